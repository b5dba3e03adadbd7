//! The whole site in other scripts and languages: Unicode routes written as percent-encoded
//! hrefs everywhere with their labels as written, tags in any spelling, French words and dates.

use vps_core::slug::tag_href;
use vps_core::url::encode_path;

use crate::fixture::{page, resolved};
use crate::model::{Heading, PageInfo, SiteInfo};
use crate::{SearchHit, Site};

/// Every URL-valued attribute (`href`, `content` of URLs), `<loc>` and `<id>` of a document.
fn urls(document: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (open, close) in [("href=\"", "\""), ("content=\"https://", "\""), ("<loc>", "<"), ("<id>", "<")] {
        let mut rest = document;
        while let Some(at) = rest.find(open) {
            rest = &rest[at + open.len()..];
            let end = rest.find(close).unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

fn assert_urls_are_encoded(name: &str, document: &str) {
    let urls = urls(document);
    assert!(!urls.is_empty(), "{name} has links");
    for url in urls {
        assert!(url.is_ascii(), "{name}: a URL is not percent-encoded: {url}");
    }
}

fn japanese_site() -> Site {
    let info = SiteInfo {
        name: "ノートの庭".into(),
        base_url: Some("https://notes.example.com".into()),
        language: "ja".into(),
        ..SiteInfo::default()
    };
    let pages = vec![
        PageInfo {
            tags: vec!["#日本語".into(), "#日本語/メモ".into()],
            links_to: vec!["/ノート/使い方".into()],
            updated: Some("2026-12-05".into()),
            headings: vec![Heading::new(2, "見出し", "見出し"), Heading::new(2, "概要", "概要")],
            text: "はじめにのページです。".into(),
            ..page("/ノート/はじめに", "はじめに", "ノート/はじめに.md")
        },
        PageInfo {
            links_to: vec!["/ノート/はじめに".into()],
            updated: Some("2026-11-01".into()),
            text: "検索のテストです。".into(),
            ..page("/ノート/使い方", "使い方", "ノート/使い方.md")
        },
        PageInfo { tags: vec!["#日本語".into()], ..page("/メモ/一覧", "一覧", "メモ/一覧.md") },
        PageInfo {
            text: "مرحبا بكم".into(), ..page("/ملاحظات/صفحة", "صفحة", "ملاحظات/صفحة.md")
        },
    ];
    Site::new(info, pages).with_listing_page_size(1)
}

#[test]
fn japanese_routes_are_percent_encoded_hrefs_with_their_own_labels() {
    let site = japanese_site();
    let folder = encode_path("/ノート");
    let other = encode_path("/ノート/使い方");
    let html = resolved(&site.page("/ノート/はじめに", "<h2 id=\"見出し\">見出し</h2>").unwrap(), "/ノート/はじめに");
    assert!(html.contains("<html lang=\"ja\">"));
    // Breadcrumbs and navigation: encoded hrefs, the folder's own name as label.
    assert!(html.contains(&format!("<li><a href=\"{folder}\" dir=\"auto\">ノート</a></li>")), "{html}");
    assert!(html.contains(&format!("<summary><a href=\"{folder}\" dir=\"auto\">ノート</a></summary>")));
    assert!(html.contains(&format!("<a href=\"{}\" dir=\"auto\">メモ</a>", encode_path("/メモ"))));
    assert!(html.contains(&format!("<a href=\"{other}\" dir=\"auto\">使い方</a>")), "nav and backlinks");
    // Canonical (relative, resolved here), tags, table of contents.
    let canonical = encode_path("/ノート/はじめに");
    assert!(html.contains(&format!("<link rel=\"canonical\" href=\"{canonical}\">")));
    assert!(html.contains(&format!("<a class=\"tag\" href=\"{}\" dir=\"auto\">#日本語</a>", tag_href("日本語"))));
    assert!(html.contains(&format!("<a href=\"#{}\" dir=\"auto\">見出し</a>", encode_path("見出し"))));
    assert!(html.contains("<article class=\"markdown-body\" dir=\"auto\">"));

    let documents = [
        ("page", html.clone()),
        ("folder index", site.folder_index("/ノート", None).unwrap()),
        ("folder index page 2", site.folder_index_page("/ノート", None, 2).unwrap()),
        ("home", site.home()),
        ("tag page", site.tag_page("日本語").unwrap()),
        ("tags index", site.tags_index()),
        ("search", site.search_page("検索", &site.search("検索", 10))),
        ("sitemap", site.sitemap_xml(&crate::fixture::base())),
        ("feed", site.feed_xml(&crate::fixture::base(), "2026-12-05T00:00:00Z")),
    ];
    for (name, document) in &documents {
        assert_urls_are_encoded(name, document);
    }

    // Pagination of a Unicode folder.
    let first = resolved(&site.folder_index("/ノート", None).unwrap(), "/ノート");
    assert!(first.contains(&format!("<a rel=\"next\" href=\"{}\">Next →</a>", encode_path("/ノート/page/2"))));
    let second = resolved(&site.folder_index_page("/ノート", None, 2).unwrap(), "/ノート/page/2");
    assert!(second.contains(&format!("<a rel=\"prev\" href=\"{folder}\">← Previous</a>")));
    // Sitemap and feed.
    let sitemap = site.sitemap_xml(&crate::fixture::base());
    assert!(sitemap.contains(&format!("<loc>https://notes.example.com{other}</loc>")));
    assert!(sitemap.contains(&format!("<loc>https://notes.example.com{folder}</loc>")));
    let feed = site.feed_xml(&crate::fixture::base(), "2026-12-05T00:00:00Z");
    assert!(feed.contains(&format!("<id>https://notes.example.com{other}</id>")));
    assert!(feed.contains("<title>使い方</title>"));
    // Search results, in HTML and in JSON.
    let hits = site.search("検索", 10);
    assert_eq!(hits[0].route, "/ノート/使い方", "hits carry the plain route");
    let results = resolved(&site.search_page("検索", &hits), "/search");
    assert!(results.contains(&format!("<li><a href=\"{other}\" dir=\"auto\">使い方</a>")));
    let json: serde_json::Value = serde_json::from_str(&Site::search_json(&hits)).unwrap();
    assert_eq!(json[0]["route"], other.as_str());
    assert_eq!(json[0]["href"], other[1..], "relative to /search");
    assert_eq!(json[0]["title"], "使い方");
}

#[test]
fn folders_of_every_script_keep_their_names_and_never_merge() {
    let site = japanese_site();
    assert_eq!(site.folder_routes(), vec!["/ملاحظات", "/ノート", "/メモ"], "three folders, by route");
    let html = site.folder_index("/ملاحظات", None).unwrap();
    assert!(html.contains("<h1 dir=\"auto\">ملاحظات</h1>"));
    assert!(site.folder_index("/メモ", None).unwrap().contains("<h1 dir=\"auto\">メモ</h1>"));
    // An NFD route and an NFD folder name reach the NFC ones.
    let nfd =
        Site::new(SiteInfo::default(), vec![page("/e\u{301}te\u{301}/plage", "Plage", "E\u{301}te\u{301}/Plage.md")]);
    assert_eq!(nfd.folder_routes(), vec!["/été"]);
    assert!(nfd.folder_index("/été", None).unwrap().contains("<h1 dir=\"auto\">Été</h1>"));
    assert!(nfd.page("/été/plage", "").is_some());
}

#[test]
fn every_spelling_of_a_tag_reaches_one_page_at_its_canonical_route() {
    let pages = vec![
        PageInfo { tags: vec!["#Tag".into()], ..page("/a", "A", "A.md") },
        PageInfo { tags: vec!["#tag".into(), "#Tag/Sub".into()], ..page("/b", "B", "B.md") },
        PageInfo { tags: vec!["#TAG".into()], ..page("/c", "C", "C.md") },
        PageInfo { tags: vec!["#Tag".into(), "#日本語".into()], ..page("/d", "D", "D.md") },
    ];
    let site = Site::new(SiteInfo::default(), pages).with_listing_page_size(2);
    assert_eq!(site.tags(), vec!["Tag", "Tag/Sub", "日本語"], "one tag per key, as most pages write it");
    for spelling in ["Tag", "tag", "#TAG", "tAg"] {
        assert_eq!(site.tag_route(spelling).as_deref(), Some("/tags/tag"), "{spelling}");
        assert_eq!(site.tag_page(spelling), site.tag_page("tag"), "{spelling}");
    }
    assert_eq!(site.tag_route("tag/SUB").as_deref(), Some("/tags/tag/sub"));
    assert_eq!(site.tag_route("unknown"), None);
    assert_eq!(encode_path(&site.tag_route("日本語").unwrap()), tag_href("日本語"));

    // Every tag link uses the canonical href, with the spelling shown.
    let tag_page = resolved(&site.tag_page("TAG").unwrap(), "/tags/tag");
    assert!(tag_page.contains("<title>#Tag · Notes</title>"));
    assert!(tag_page.contains("<a class=\"tag\" href=\"/tags/tag/sub\" dir=\"auto\">#Tag/Sub</a>"));
    assert!(tag_page.contains("<a rel=\"next\" href=\"/tags/tag/page/2\">"));
    let chips = resolved(&site.page("/b", "").unwrap(), "/b");
    assert!(chips.contains("<a class=\"tag\" href=\"/tags/tag\" dir=\"auto\">#tag</a>"));
    assert!(chips.contains("<a class=\"tag\" href=\"/tags/tag/sub\" dir=\"auto\">#Tag/Sub</a>"));
    let index = resolved(&site.tags_index(), "/tags");
    assert!(index.contains("<a class=\"tag\" href=\"/tags/tag\" dir=\"auto\">#Tag</a> <span class=\"count\">4</span>"));
    assert_eq!(index.matches("href=\"/tags/tag\"").count(), 1, "one entry for #tag, #Tag and #TAG");
}

fn french_site() -> Site {
    let info = SiteInfo { name: "Jardin".into(), language: "fr-CA".into(), ..SiteInfo::default() };
    let pages = vec![
        PageInfo {
            tags: vec!["été".into()],
            updated: Some("2026-12-05T10:00:00Z".into()),
            links_to: vec!["/b".into()],
            headings: vec![Heading::new(2, "Un", "un"), Heading::new(2, "Deux", "deux")],
            text: "Une salade fraîche.".into(),
            ..page("/dossier/a", "Salade", "Dossier/A.md")
        },
        PageInfo {
            links_to: vec!["/dossier/a".into()],
            updated: Some("2026-08-01".into()),
            ..page("/b", "Bord de mer", "B.md")
        },
    ];
    Site::new(info, pages)
}

#[test]
fn a_french_site_speaks_french_with_french_dates() {
    let site = french_site();
    let html = resolved(&site.page("/dossier/a", "<p>x</p>").unwrap(), "/dossier/a");
    for needle in [
        "<html lang=\"fr-CA\">",
        ">Aller au contenu</a>",
        "placeholder=\"Rechercher…\"",
        "aria-label=\"Rechercher dans ce site\"",
        "<button type=\"submit\">Rechercher</button>",
        "data-no-results=\"Aucun résultat\"",
        "aria-label=\"Fil d’Ariane\"",
        ">Sur cette page</h2>",
        ">Pages qui mènent ici</h2>",
        "Mis à jour le <time datetime=\"2026-12-05T10:00:00Z\">5 décembre 2026</time>",
        "<a href=\"/tags\">Étiquettes</a> · <a href=\"/feed.xml\">Flux</a>",
    ] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    let home = site.home();
    assert!(home.contains("<h2>Mises à jour récentes</h2>"));
    assert!(home.contains("<time datetime=\"2026-08-01T00:00:00Z\">1er août 2026</time>"));
    assert!(home.contains("content=\"Jardin\u{a0}: toutes les pages\""));
    let not_found = site.not_found(&crate::PublicBase::default());
    assert!(not_found.contains("<h1>Page introuvable</h1>") && not_found.contains(">Aller à la page d’accueil</a>"));
    let hits: Vec<SearchHit> = site.search("zzz", 10);
    let search = site.search_page("zzz", &hits);
    assert!(search.contains("Aucune page ne correspond à «\u{a0}zzz\u{a0}»."));
    assert!(search.contains("<title>Recherche\u{a0}: zzz · Jardin</title>"));
    let tag = site.tag_page("Été").unwrap();
    assert!(tag.contains("<p class=\"search-count\">1 page</p>"));
    assert!(tag.contains("content=\"Pages avec l’étiquette #été\""));
    assert!(site.tags_index().contains("<h1>Étiquettes</h1>"));
    let folder = site.folder_index("/dossier", None).unwrap();
    assert!(folder.contains("content=\"Pages du dossier Dossier\""));

    let english = Site::new(SiteInfo { language: String::new(), ..SiteInfo::default() }, vec![]);
    assert!(
        english.not_found(&crate::PublicBase::default()).contains("<html lang=\"en\">")
            && english.not_found(&crate::PublicBase::default()).contains("Page not found")
    );
}

#[test]
fn an_unknown_or_malformed_language_falls_back_to_english() {
    let pages = vec![PageInfo { updated: Some("2026-12-05".into()), ..page("/a", "A", "A.md") }];
    let unknown = Site::new(SiteInfo { language: "tlh".into(), ..SiteInfo::default() }, pages.clone());
    let html = unknown.page("/a", "").unwrap();
    assert!(html.contains("<html lang=\"tlh\">"), "a well-formed tag is kept for the browser");
    assert!(html.contains("Last updated <time datetime=\"2026-12-05T00:00:00Z\">5 December 2026</time>"));
    assert!(html.contains(">Skip to content</a>"));

    let malformed = Site::new(SiteInfo { language: "fr\"><script>".into(), ..SiteInfo::default() }, pages);
    let html = malformed.page("/a", "").unwrap();
    assert!(html.contains("<html lang=\"en\">"), "an invalid tag is not written");
    assert!(html.contains(">Skip to content</a>"), "and its words are English");
}

#[test]
fn note_text_reads_in_its_own_direction_while_the_chrome_follows_the_language() {
    let site = japanese_site();
    let html = site.page("/ملاحظات/صفحة", "<p>مرحبا بكم</p>").unwrap();
    assert!(html.contains("<article class=\"markdown-body\" dir=\"auto\">\n<p>مرحبا بكم</p>"));
    assert!(html.contains("<h1 dir=\"auto\">صفحة</h1>"));
    assert!(!html.contains("<html lang=\"ja\" dir"), "the document's direction is the language's");
    let hits = site.search("مرحبا", 10);
    assert!(site.search_page("مرحبا", &hits).contains("<p class=\"snippet\" dir=\"auto\"><mark>مرحبا</mark> بكم</p>"));
}
