//! Tests of search: folding and matching, then the site's search over pages in every script.

mod folding {
    use super::super::*;

    #[test]
    fn folding_drops_case_and_accents_and_keeps_offsets() {
        let folded = Folded::new("Été ﬁne");
        assert_eq!(folded.folded, "ete fine");
        let at = folded.folded.find("fine").unwrap();
        assert_eq!(folded.original_range("Été ﬁne", at, at + 4), ("Été ".len(), "Été ﬁne".len()));
        assert_eq!(fold("ÇA Déjà"), "ca deja");
    }

    #[test]
    fn query_terms_are_folded_distinct_words() {
        assert_eq!(query_terms("  Été, ete  CAFÉ!"), vec!["ete", "cafe"]);
        assert!(query_terms(" ,; ").is_empty());
    }

    #[test]
    fn snippet_marks_matches_in_the_original_text_and_escapes_it() {
        let text = "Bonjour <b>l'Été</b> est chaud";
        let snippet = snippet(text, &Folded::new(text), &["ete".to_owned()]);
        assert_eq!(snippet, "Bonjour &lt;b&gt;l&#39;<mark>Été</mark>&lt;/b&gt; est chaud");
    }

    #[test]
    fn snippet_is_a_window_around_the_first_match() {
        let text = format!("{} needle {}", "lorem ipsum ".repeat(40), "dolor sit ".repeat(40));
        let snippet = snippet(&text, &Folded::new(&text), &["needle".to_owned()]);
        assert!(snippet.starts_with('…') && snippet.ends_with('…'), "{snippet}");
        assert!(snippet.contains("<mark>needle</mark>"));
        assert!(snippet.chars().count() < SNIPPET_CHARS + 40, "{snippet}");
        assert!(!snippet.contains("  "));
        assert!(snippet[3..].starts_with("lorem") || snippet[3..].starts_with("ipsum"), "starts at a word: {snippet}");
    }

    #[test]
    fn snippet_without_a_text_match_shows_the_beginning() {
        let text = "First words\n\nof the page.";
        assert_eq!(snippet(text, &Folded::new(text), &["zzz".to_owned()]), "First words of the page.");
    }
}

mod site_tests {
    use crate::fixture::{self, page, site};
    use crate::model::{Heading, PageInfo, SiteInfo};
    use crate::{SearchHit, Site};

    fn routes(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter().map(|h| h.route.as_str()).collect()
    }

    #[test]
    fn search_ignores_accents_and_case() {
        let site = site();
        assert_eq!(routes(&site.search("ete", 10)), vec!["/recipes/summer/ete"]);
        assert_eq!(routes(&site.search("ÉTÉ", 10)), vec!["/recipes/summer/ete"]);
        let mut accented = page("/cafe", "Coffee", "Cafe.md");
        accented.text = "Un café crème".into();
        let site = Site::new(SiteInfo::default(), vec![accented]);
        assert_eq!(routes(&site.search("CAFE creme", 10)), vec!["/cafe"]);
    }

    #[test]
    fn terms_match_at_the_start_of_words() {
        let pages = vec![
            PageInfo { text: "Delete the complete list".into(), ..page("/delete", "Delete", "Delete.md") },
            PageInfo { text: "L'été étendu".into(), ..page("/summer", "Summer", "Summer.md") },
            PageInfo { text: "東京の夏".into(), ..page("/tokyo", "Tokyo", "Tokyo.md") },
        ];
        let site = Site::new(SiteInfo::default(), pages);
        assert_eq!(routes(&site.search("ete", 10)), vec!["/summer"]);
        assert_eq!(site.search("ete", 10)[0].snippet_html, "L&#39;<mark>été</mark> <mark>éte</mark>ndu");
        assert_eq!(routes(&site.search("夏", 10)), vec!["/tokyo"], "no word boundaries in Japanese");
    }

    #[test]
    fn search_ranks_title_over_headings_over_text() {
        let pages = vec![
            PageInfo { text: "a zebra crossing".into(), ..page("/text", "Alpha", "Text.md") },
            PageInfo { headings: vec![Heading::new(2, "Zebras", "zebras")], ..page("/heading", "Beta", "Heading.md") },
            page("/title", "Zebra facts", "Title.md"),
            page("/none", "Nothing", "None.md"),
        ];
        let hits = Site::new(SiteInfo::default(), pages).search("Zebra", 10);
        assert_eq!(routes(&hits), vec!["/title", "/heading", "/text"]);
        assert_eq!(hits.iter().map(|h| h.score).collect::<Vec<_>>(), vec![3, 2, 1]);
    }

    #[test]
    fn every_term_must_match_and_limit_applies() {
        let site = site();
        assert_eq!(routes(&site.search("salad summer", 10)), vec!["/recipes/summer/ete"]);
        assert!(site.search("salad zzz", 10).is_empty());
        assert!(site.search("  ", 10).is_empty());
        assert_eq!(site.search("a", 2).len(), 2);
    }

    #[test]
    fn snippets_mark_matches_and_escape_the_text() {
        let mut evil = page("/evil", "Evil", "Evil.md");
        evil.text = "before <script>alert('needle')</script> after".into();
        let hits = Site::new(SiteInfo::default(), vec![evil]).search("needle", 5);
        assert_eq!(
            hits[0].snippet_html,
            "before &lt;script&gt;alert(&#39;<mark>needle</mark>&#39;)&lt;/script&gt; after"
        );
    }

    #[test]
    fn hit_for_the_home_page_points_at_the_root() {
        assert_eq!(routes(&site().search("welcome", 5)), vec!["/"]);
    }

    #[test]
    fn search_page_echoes_the_query_escaped_and_lists_hits() {
        let site = site();
        let query = "\"><script>alert(1)</script> salad";
        let hits = site.search("salad", 10);
        let html = site.search_page(query, &hits);
        assert!(!html.contains("<script>alert"), "query is escaped");
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; salad\""));
        assert!(html.contains("1 result for “&quot;&gt;&lt;script&gt;"));
        assert!(
            html.contains(
                "<li><a href=\"recipes/summer/ete\" dir=\"auto\">Été salad</a><p class=\"snippet\" dir=\"auto\">"
            ),
            "relative to /search"
        );
        assert!(html.contains("action=\"search\""), "{html}");
        assert!(html.contains("<mark>salad</mark>"));
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(site.search_page("zzz", &[]).contains("No pages match “zzz”."));
        assert!(!site.search_page("", &[]).contains("search-count"));
    }

    /// One page per script; each query must find its page alone, with the match marked.
    fn scripts_site() -> Site {
        let pages = [
            ("/ja", "Obsidian はメモアプリです。ノートを書きましょう。ガイドを読んでください。"),
            ("/zh", "快速入门指南：如何使用Obsidian同步功能。同步需要登录。"),
            ("/ko", "시작하기 가이드입니다. 노트를 작성하세요."),
            ("/ru", "Начало работы с Obsidian: создайте первую заметку."),
            ("/ar", "مَرْحَبًا بِكُمْ فِي دَلِيلِ البِدَايَةِ"),
            ("/ar-plain", "كتابة الملاحظات اليومية"),
            ("/he", "שָׁלוֹם, זֶה מַדְרִיךְ הַהַתְחָלָה"),
            ("/el", "Η Οδός των σημειώσεων"),
        ];
        let pages = pages
            .iter()
            .map(|(route, text)| PageInfo { text: (*text).into(), ..page(route, &route[1..], "x.md") })
            .collect();
        Site::new(SiteInfo::default(), pages)
    }

    /// The only hit for `query` is `route`, and its snippet marks `marked` (the original text).
    fn finds(site: &Site, query: &str, route: &str, marked: &str) {
        let hits = site.search(query, 10);
        assert_eq!(routes(&hits), vec![route], "{query}");
        let snippet = &hits[0].snippet_html;
        assert!(snippet.contains(&format!("<mark>{marked}</mark>")), "{query}: {snippet}");
    }

    #[test]
    fn search_finds_japanese_with_and_without_spaces_and_keeps_dakuten_apart() {
        let site = scripts_site();
        finds(&site, "ノート", "/ja", "ノート");
        finds(&site, "書きましょう", "/ja", "書きましょう");
        finds(&site, "ｶﾞｲﾄﾞ", "/ja", "ガイド");
        finds(&site, "ノート。", "/ja", "ノート");
        assert!(site.search("カイド", 10).is_empty(), "カ is not ガ");
        assert!(site.search("ハ", 10).is_empty(), "no match ends inside a voiced kana");
    }

    #[test]
    fn search_finds_chinese_phrases_and_short_words_inside_sentences() {
        let site = scripts_site();
        finds(&site, "快速入门", "/zh", "快速入门");
        finds(&site, "同步", "/zh", "同步");
        finds(&site, "入门指南", "/zh", "入门指南");
        let hits = site.search("同步", 10);
        assert_eq!(hits[0].snippet_html.matches("<mark>同步</mark>").count(), 2, "after Latin letters too");
        finds(&site, "登录，同步", "/zh", "登录");
    }

    #[test]
    fn search_finds_korean_by_whole_syllables() {
        let site = scripts_site();
        finds(&site, "가이드", "/ko", "가이드");
        finds(&site, "시작", "/ko", "시작");
        assert!(site.search("식", 10).is_empty());
        assert!(site.search("자", 10).is_empty(), "자 is not inside 작 (작성하세요)");
    }

    #[test]
    fn search_finds_russian_and_greek_whatever_the_case() {
        let site = scripts_site();
        finds(&site, "РАБОТЫ", "/ru", "работы");
        finds(&site, "заметку", "/ru", "заметку");
        finds(&site, "ΟΔΟΣ", "/el", "Οδός");
    }

    #[test]
    fn search_finds_arabic_and_hebrew_with_and_without_points() {
        let site = scripts_site();
        finds(&site, "مرحبا", "/ar", "مَرْحَبًا");
        finds(&site, "مَرْحَبًا", "/ar", "مَرْحَبًا");
        finds(&site, "المَلَاحَظَات", "/ar-plain", "الملاحظات");
        finds(&site, "שלום", "/he", "שָׁלוֹם");
        finds(&site, "מדריך", "/he", "מַדְרִיךְ");
    }

    #[test]
    fn snippets_of_long_text_without_spaces_are_windows_of_whole_characters() {
        let text = format!("{}同步{}", "天地玄黄宇宙洪荒".repeat(40), "日月盈昃辰宿列张".repeat(40));
        let page = PageInfo { text: text.clone(), ..page("/long", "Long", "Long.md") };
        let hits = Site::new(SiteInfo::default(), vec![page]).search("同步", 5);
        let snippet = &hits[0].snippet_html;
        assert!(snippet.starts_with('…') && snippet.ends_with('…'), "{snippet}");
        assert!(snippet.contains("<mark>同步</mark>"));
        let plain = snippet.replace("<mark>", "").replace("</mark>", "");
        assert!(text.contains(plain.trim_matches('…')), "the window is the text's own characters: {snippet}");
    }

    #[test]
    fn search_json_has_route_title_and_snippet() {
        let hits = fixture::site().search("salad", 10);
        let json: serde_json::Value = serde_json::from_str(&Site::search_json(&hits)).unwrap();
        assert_eq!(json[0]["route"], "/recipes/summer/ete");
        assert_eq!(json[0]["title"], "Été salad");
        assert!(json[0]["snippet"].as_str().unwrap().contains("<mark>salad</mark>"));
        assert_eq!(Site::search_json(&[]), "[]");
    }
}
