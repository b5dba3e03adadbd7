//! Full-text search over titles, headings and text: accent- and case-insensitive, every term
//! required, with a highlighted snippet. Text is folded once when the site is built, so a
//! query is a handful of substring scans.
//!
//! Every script is searched. Folding lower-cases (`РАБОТЫ` finds `работы`, `ΟΔΟΣ` finds `οδός`),
//! applies compatibility forms (full-width `ＡＢＣ`, half-width `ｶﾞ`) and drops the marks a
//! reader may or may not type: Latin, Greek and Cyrillic accents, Arabic harakat, Hebrew points.
//! Marks that make another letter are kept: Japanese dakuten (`ガ` is not `カ`) and the vowel
//! signs of Indic and South-East Asian scripts; Hangul syllables stay whole. Query terms are
//! split at whitespace and punctuation (full-width `，。、` included); scripts written without
//! spaces (Chinese, Japanese, Thai) match anywhere, a Latin term at the start of a word.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use vps_core::url::encode_path;

use crate::escape::{escape, escape_into};
use crate::layout::Document;
use crate::model::PageInfo;
use crate::site::Site;

/// Weights of a term found in each field.
const TITLE_WEIGHT: u32 = 3;
const HEADING_WEIGHT: u32 = 2;
const TEXT_WEIGHT: u32 = 1;
/// Queries longer than this are cut, and only this many distinct terms are used.
const MAX_QUERY_CHARS: usize = 200;
const MAX_TERMS: usize = 8;
/// Snippet window: characters of context before the first match, and total length.
const SNIPPET_BEFORE: usize = 60;
const SNIPPET_CHARS: usize = 200;

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// Where the page is served (`/` for the home page), as a route (plain Unicode; its href is
    /// `vps_core::url::encode_path` of it).
    pub route: String,
    pub title: String,
    /// Escaped text around the first match in the page's text, with the matches in `<mark>`.
    pub snippet_html: String,
    pub score: u32,
}

/// Text folded for matching, with the way back to the original for snippets.
#[derive(Debug, Default)]
pub(crate) struct Folded {
    pub(crate) folded: String,
    /// For each byte of `folded`, the offset in the original of the character it came from;
    /// `None` when the two offsets are equal (ASCII text).
    origin: Option<Vec<u32>>,
}

impl Folded {
    pub(crate) fn new(text: &str) -> Folded {
        if text.is_ascii() {
            return Folded { folded: text.to_ascii_lowercase(), origin: None };
        }
        let mut folded = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        let mut push = |part: char, offset: usize| {
            for lower in part.to_lowercase() {
                // Greek final sigma is the same letter as σ.
                folded.push(if lower == 'ς' { 'σ' } else { lower });
                origin.resize(folded.len(), offset as u32);
            }
        };
        for (offset, c) in text.char_indices() {
            if is_hangul_syllable(c) {
                // Decomposed into jamo, `시` would be found inside `식`.
                push(c, offset);
                continue;
            }
            decompose_compatible(c, |part| {
                if !is_combining_mark(part) || is_letter_mark(part) {
                    push(part, offset);
                }
            });
        }
        Folded { folded, origin: Some(origin) }
    }

    /// The original offset where folded byte `at` comes from.
    fn original_start(&self, at: usize) -> usize {
        self.origin.as_ref().map_or(at, |origin| origin.get(at).map_or(usize::MAX, |&o| o as usize))
    }

    /// The original byte range of the folded range `start..end` (non-empty).
    fn original_range(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        match &self.origin {
            None => (start, end),
            Some(origin) => {
                let last = origin[end - 1] as usize;
                let last_len = original[last..].chars().next().map_or(0, char::len_utf8);
                // The marks written after the last letter (a Hebrew point, Arabic harakat) are
                // part of it, though folding dropped them.
                let marks: usize =
                    original[last + last_len..].chars().take_while(|&c| is_combining_mark(c)).map(char::len_utf8).sum();
                (origin[start] as usize, last + last_len + marks)
            }
        }
    }

    /// The first folded offset whose original offset is at least `original_offset`.
    fn folded_offset(&self, original_offset: usize) -> usize {
        match &self.origin {
            None => original_offset,
            Some(origin) => origin.partition_point(|&o| (o as usize) < original_offset),
        }
    }
}

/// Lower-case, compatibility-decomposed, without accents: `Été` → `ete`.
pub(crate) fn fold(text: &str) -> String {
    Folded::new(text).folded
}

fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Combining marks that make another letter rather than accent one, kept by folding: the kana
/// voicing marks and the vowel signs and viramas of the Indic and South-East Asian scripts
/// (Devanagari to Myanmar, Khmer).
fn is_letter_mark(c: char) -> bool {
    matches!(c, '\u{3099}' | '\u{309A}' | '\u{0900}'..='\u{109F}' | '\u{1780}'..='\u{17FF}')
}

#[derive(Debug)]
struct IndexedPage {
    title: String,
    headings: String,
    text: Folded,
    /// The distinct ASCII words of the folded text, sorted: a Latin term is looked up here by
    /// binary search instead of scanning the text.
    text_words: Vec<Box<str>>,
}

impl IndexedPage {
    fn text_contains(&self, term: &str) -> bool {
        if term.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let at = self.text_words.partition_point(|word| **word < *term);
            self.text_words.get(at).is_some_and(|word| word.starts_with(term))
        } else {
            contains_term(&self.text.folded, term)
        }
    }
}

fn ascii_words(folded: &str) -> Vec<Box<str>> {
    let mut words: Vec<Box<str>> =
        folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(Box::from).collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// The folded fields of every page, in page order.
#[derive(Debug, Default)]
pub(crate) struct SearchIndex {
    documents: Vec<IndexedPage>,
}

impl SearchIndex {
    pub(crate) fn build(pages: &[PageInfo]) -> SearchIndex {
        let documents = pages
            .iter()
            .map(|page| {
                let text = Folded::new(&page.text);
                IndexedPage {
                    title: fold(&page.title),
                    headings: fold(&page.headings.iter().map(|h| h.text.as_str()).collect::<Vec<_>>().join("\n")),
                    text_words: ascii_words(&text.folded),
                    text,
                }
            })
            .collect();
        SearchIndex { documents }
    }
}

/// The distinct folded words of a query.
fn query_terms(query: &str) -> Vec<String> {
    let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
    let mut terms: Vec<String> = Vec::new();
    let separator = |c: char| !(c.is_alphanumeric() || is_combining_mark(c));
    for term in fold(&query).split(separator).filter(|t| !t.is_empty()) {
        if !terms.iter().any(|t| t == term) {
            terms.push(term.to_owned());
        }
    }
    terms.truncate(MAX_TERMS);
    terms
}

impl Site {
    /// Searches titles (weight 3), headings (2) and text (1), ignoring case and accents. Every
    /// term of the query must start a word somewhere in the page (`ete` finds `Été` and
    /// `étendu`, not `complete`); a term scores the weight of each field it occurs in. Best first, ties by title; at most `limit` hits.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let terms = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(u32, usize)> = Vec::new();
        'documents: for (index, document) in self.search.documents.iter().enumerate() {
            let mut score = 0;
            for term in &terms {
                let term_score = u32::from(contains_term(&document.title, term)) * TITLE_WEIGHT
                    + u32::from(contains_term(&document.headings, term)) * HEADING_WEIGHT
                    + u32::from(document.text_contains(term)) * TEXT_WEIGHT;
                if term_score == 0 {
                    continue 'documents;
                }
                score += term_score;
            }
            scored.push((score, index));
        }
        scored.sort_by(|&(score_a, a), &(score_b, b)| {
            score_b.cmp(&score_a).then_with(|| crate::tree::title_order(&self.pages[a], &self.pages[b]))
        });
        scored
            .into_iter()
            .take(limit)
            .map(|(score, index)| {
                let page = &self.pages[index];
                SearchHit {
                    route: self.public_path(&page.route).to_owned(),
                    title: page.title.clone(),
                    snippet_html: snippet(&page.text, &self.search.documents[index].text, &terms),
                    score,
                }
            })
            .collect()
    }

    /// The `/search?q=` page: a search form holding the query, and the hits with their snippets.
    /// Not indexed, and without a canonical URL.
    pub fn search_page(&self, query: &str, hits: &[SearchHit]) -> String {
        let words = self.words;
        let query = query.trim();
        let mut main = format!("<header class=\"page-header\"><h1>{}</h1></header>\n", escape(words.search_title));
        main.push_str(&format!(
            "<form class=\"search-form\" action=\"/search\" method=\"get\" role=\"search\">\
<input type=\"search\" name=\"q\" value=\"{}\" aria-label=\"{}\" dir=\"auto\">\
<button type=\"submit\">{}</button></form>\n",
            escape(query),
            escape(words.search_label),
            escape(words.search_button)
        ));
        if !query.is_empty() {
            // The query goes in escaped; the table's words are plain text without markup.
            let count = (words.search_count)(hits.len(), &escape(query));
            main.push_str(&format!("<p class=\"search-count\" role=\"status\">{count}</p>\n"));
        }
        if !hits.is_empty() {
            main.push_str("<ol class=\"listing search-results\">");
            for hit in hits {
                main.push_str(&format!(
                    "<li><a href=\"{}\" dir=\"auto\">{}</a>",
                    escape(&encode_path(&hit.route)),
                    escape(&hit.title)
                ));
                if !hit.snippet_html.is_empty() {
                    main.push_str(&format!("<p class=\"snippet\" dir=\"auto\">{}</p>", hit.snippet_html));
                }
                main.push_str("</li>");
            }
            main.push_str("</ol>\n");
        }
        let title = if query.is_empty() { words.search_title.to_owned() } else { (words.search_title_for)(query) };
        self.render_document(&Document {
            title: Some(&title),
            description: (words.search_description)(&self.info.name),
            path: None,
            og_type: "website",
            image: None,
            noindex: true,
            nav_current: None,
            query,
            main,
        })
    }

    /// The hits as JSON for the search-as-you-type script: `[{"route","title","snippet"}]`,
    /// where `route` is the href (percent-encoded) and `snippet` the escaped HTML snippet.
    pub fn search_json(hits: &[SearchHit]) -> String {
        let items: Vec<serde_json::Value> = hits
            .iter()
            .map(|hit| {
                serde_json::json!({"route": encode_path(&hit.route), "title": hit.title, "snippet": hit.snippet_html})
            })
            .collect();
        serde_json::Value::Array(items).to_string()
    }
}

/// Where `term` occurs in `folded`. A term that starts with an ASCII letter or digit (all that
/// Latin text folds to) must start a word: `ete` is not found in `complete`. Other scripts may
/// not separate words with spaces, so there any occurrence counts (`同步` in `使用Obsidian同步`).
/// A match never ends inside a letter: `カ` is not found in `ガ` (`カ` and a kept mark).
fn term_matches<'a>(folded: &'a str, term: &'a str) -> impl Iterator<Item = usize> + 'a {
    let latin = term.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    folded.match_indices(term).map(|(at, _)| at).filter(move |&at| {
        let starts_word =
            !latin || folded[..at].chars().next_back().is_none_or(|before| !before.is_ascii_alphanumeric());
        let ends_letter = folded[at + term.len()..].chars().next().is_none_or(|after| !is_combining_mark(after));
        starts_word && ends_letter
    })
}

fn contains_term(folded: &str, term: &str) -> bool {
    // `contains` has a SIMD fast path that `match_indices` lacks; most pages fail it.
    folded.contains(term) && term_matches(folded, term).next().is_some()
}

/// About [`SNIPPET_CHARS`] characters of `text` around the first match of any term (or its
/// start when only the title or headings matched), escaped, matches in `<mark>`.
fn snippet(text: &str, folded: &Folded, terms: &[String]) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let first = terms.iter().filter_map(|t| term_matches(&folded.folded, t).next()).min();
    let anchor = first.map_or(0, |at| folded.original_start(at)).min(text.len());

    let mut start = back_chars(text, anchor, SNIPPET_BEFORE);
    if start > 0 {
        // Start at a word: after the first whitespace before the match, if any.
        if let Some(space) = text[start..anchor].find(char::is_whitespace) {
            start += space + text[start + space..].chars().next().map_or(1, char::len_utf8);
        }
    }
    let mut end = forward_chars(text, start, SNIPPET_CHARS);
    if end < text.len() {
        // End at a word: at the last whitespace after the match, if any.
        if let Some(space) = text[anchor..end].rfind(char::is_whitespace).filter(|&s| s > 0) {
            end = anchor + space;
        }
    }

    let (folded_start, folded_end) = (folded.folded_offset(start), folded.folded_offset(end));
    let window = &folded.folded[folded_start..folded_end];
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for term in terms {
        for at in term_matches(window, term) {
            marks.push((folded_start + at, folded_start + at + term.len()));
        }
    }
    marks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in marks {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }

    let mut out = String::with_capacity(SNIPPET_CHARS * 2);
    if start > 0 {
        out.push('…');
    }
    let mut cursor = start;
    for (s, e) in merged {
        let (s, e) = folded.original_range(text, s, e);
        let (s, e) = (s.clamp(cursor, end), e.clamp(cursor, end));
        if s >= e {
            continue;
        }
        push_collapsed(&mut out, &text[cursor..s]);
        out.push_str("<mark>");
        push_collapsed(&mut out, &text[s..e]);
        out.push_str("</mark>");
        cursor = e;
    }
    push_collapsed(&mut out, &text[cursor..end]);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    if end < text.len() {
        out.push('…');
    }
    out
}

/// Escapes `text` with every run of whitespace made one space (none at the very start).
fn push_collapsed(out: &mut String, text: &str) {
    let mut last_space = out.is_empty() || out.ends_with(' ');
    let mut buffer = [0; 4];
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            escape_into(out, c.encode_utf8(&mut buffer));
            last_space = false;
        }
    }
}

/// The offset `count` characters before `at` (or 0).
fn back_chars(text: &str, at: usize, count: usize) -> usize {
    text[..at].char_indices().rev().nth(count.saturating_sub(1)).map_or(0, |(i, _)| i)
}

/// The offset `count` characters after `at` (or the end).
fn forward_chars(text: &str, at: usize, count: usize) -> usize {
    text[at..].char_indices().nth(count).map_or(text.len(), |(i, _)| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

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

#[cfg(test)]
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
        assert!(html.contains(
            "<li><a href=\"/recipes/summer/ete\" dir=\"auto\">Été salad</a><p class=\"snippet\" dir=\"auto\">"
        ));
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
