//! What a page shows around its text (issue 16): its properties when the writer wants them,
//! its reading time, and the recent notes (on the home page, a note or generated, and at
//! `/recent`), never an unlisted page among them.

use crate::fixture::{page, resolved};
use crate::model::{PageInfo, SiteInfo};
use crate::site::Site;
use crate::{RECENT_PAGE_SIZE, RECENT_ROUTE};

fn info() -> SiteInfo {
    SiteInfo { name: "Garden".into(), ..SiteInfo::default() }
}

fn dated(route: &str, title: &str, day: u32) -> PageInfo {
    PageInfo {
        updated: Some(format!("2026-01-{day:02}")),
        text: "word ".repeat(10),
        ..page(route, title, &format!("{}.md", route.trim_start_matches('/')))
    }
}

/// The listed pages' titles a document links to, in order, among `candidates`.
fn titles_in<'a>(html: &str, candidates: &'a [String]) -> Vec<&'a str> {
    let mut found: Vec<(usize, &str)> = candidates
        .iter()
        .filter_map(|title| html.find(&format!(">{title}</a>")).map(|at| (at, title.as_str())))
        .collect();
    found.sort();
    found.into_iter().map(|(_, title)| title).collect()
}

#[test]
fn properties_show_under_the_title_escaped_and_enter_the_pages_key() {
    let with = PageInfo {
        properties: vec![
            ("author".into(), "Ada <script>alert(1)</script>".into()),
            ("status".into(), "draft & \"final\"".into()),
        ],
        ..page("/note", "Note", "Note.md")
    };
    let site = Site::new(info(), vec![with.clone()]);
    let html = site.page("/note", "<p>Body</p>").unwrap();
    let properties = &html[html.find("<dl class=\"page-properties\"").expect("a properties list")..];
    assert!(properties.starts_with(
        "<dl class=\"page-properties\" aria-label=\"Properties\"><div><dt dir=\"auto\">author</dt>\
         <dd dir=\"auto\">Ada &lt;script&gt;alert(1)&lt;/script&gt;</dd></div>\
         <div><dt dir=\"auto\">status</dt><dd dir=\"auto\">draft &amp; &quot;final&quot;</dd></div></dl>"
    ));
    assert!(html.find("<dl class=\"page-properties\"").unwrap() < html.find("<p>Body</p>").unwrap());
    assert!(!html.contains("<script>alert"));

    let without = Site::new(info(), vec![PageInfo { properties: vec![], ..with.clone() }]);
    assert!(!without.page("/note", "<p>Body</p>").unwrap().contains("page-properties"));
    assert_ne!(site.shell_key("/note"), without.shell_key("/note"), "properties are part of the page's key");
    let changed = Site::new(info(), vec![PageInfo { properties: vec![("author".into(), "Bo".into())], ..with }]);
    assert_ne!(site.shell_key("/note"), changed.shell_key("/note"));
}

#[test]
fn every_page_shows_its_reading_time_in_the_sites_language() {
    let long = PageInfo { text: "word ".repeat(1_000), ..page("/long", "Long", "Long.md") };
    let japanese = PageInfo { text: "日本語の文章です。".repeat(200), ..page("/ja", "Ja", "Ja.md") };
    let empty = page("/empty", "Empty", "Empty.md");
    let site = Site::new(info(), vec![long.clone(), japanese, empty]);
    assert!(site.page("/long", "").unwrap().contains("<p class=\"reading-time\">5 min read</p>"));
    assert!(site.page("/ja", "").unwrap().contains("<p class=\"reading-time\">4 min read</p>"));
    assert!(!site.page("/empty", "").unwrap().contains("reading-time"));
    let french = Site::new(SiteInfo { language: "fr".into(), ..info() }, vec![long]);
    assert!(french.page("/long", "").unwrap().contains("<p class=\"reading-time\">5\u{a0}min de lecture</p>"));
}

#[test]
fn recent_lists_the_newest_listed_pages_only_bounded_and_newest_first() {
    let mut pages: Vec<PageInfo> =
        (1..=28).map(|day| dated(&format!("/p{day}"), &format!("Page {day}"), day)).collect();
    // The newest of all are unlisted (or protected): never shown.
    pages.push(PageInfo { unlisted: true, ..dated("/secret", "Secret plan", 31) });
    pages.push(PageInfo { unlisted: true, ..dated("/private/board", "Board minutes", 30) });
    // Without a date: not in the list.
    pages.push(page("/undated", "Undated", "Undated.md"));
    let site = Site::new(info(), pages);
    let titles: Vec<String> = (1..=28).map(|day| format!("Page {day}")).collect();

    let recent = resolved(&site.recent_page(), RECENT_ROUTE);
    assert!(recent.contains("<title>Recent notes · Garden</title>"), "{recent}");
    let expected: Vec<String> = (1..=28).rev().map(|day| format!("Page {day}")).collect();
    // In the main column (the navigation lists every page too, by title).
    assert_eq!(titles_in(&recent[recent.find("<main").unwrap()..], &titles), expected);
    for hidden in ["Secret plan", "Board minutes", "/secret", "/private", "Undated"] {
        assert!(!recent.contains(hidden), "{hidden} is listed: {recent}");
    }
    // The generated home: the ten newest, and a link to the whole list.
    let home = resolved(&site.home(), "/");
    assert_eq!(titles_in(&home[home.find("listing recent").unwrap()..], &titles), expected[..10]);
    assert!(home.contains("<a href=\"/recent\">All recent notes →</a>"), "{home}");
    assert!(!home.contains("Secret plan"));

    // Bounded: a large vault lists RECENT_PAGE_SIZE pages.
    let many: Vec<PageInfo> =
        (0..300).map(|i| dated(&format!("/n{i}"), &format!("N{i}"), 1 + (i % 28) as u32)).collect();
    let big = Site::new(info(), many).recent_page();
    let list = &big[big.find("<ul class=\"listing recent\">").unwrap()..];
    assert_eq!(list[..list.find("</ul>").unwrap()].matches("<li>").count(), RECENT_PAGE_SIZE);
}

#[test]
fn a_home_note_shows_the_recent_notes_and_its_key_follows_them() {
    let pages = || {
        vec![
            PageInfo { text: "Welcome.".into(), ..dated("/home", "Welcome", 7) },
            dated("/a", "Alpha", 3),
            dated("/b", "Beta", 5),
            PageInfo { unlisted: true, ..dated("/hidden", "Hidden", 9) },
        ]
    };
    let home_info = SiteInfo { home_route: Some("/home".into()), ..info() };
    let site = Site::new(home_info.clone(), pages());
    let html = resolved(&site.page("/home", "<p>Welcome.</p>").unwrap(), "/");
    let section = &html[html.find("<section class=\"recent-notes\"").expect("a recent notes section")..];
    assert!(section.starts_with(
        "<section class=\"recent-notes\" aria-labelledby=\"recent-notes-title\"><h2 id=\"recent-notes-title\">Recent notes</h2>"
    ));
    let names = ["Alpha".to_owned(), "Beta".to_owned(), "Hidden".to_owned(), "Welcome".to_owned()];
    assert_eq!(titles_in(section, &names), ["Beta", "Alpha"], "not the unlisted page, not the home itself");
    assert!(section.contains("<a href=\"/recent\">All recent notes →</a>"));
    // Other pages do not carry the list.
    assert!(!site.page("/a", "<p>a</p>").unwrap().contains("recent-notes"));

    // A page updated elsewhere changes the home page's key (it lists it), not another page's.
    let mut newer = pages();
    newer[1].updated = Some("2026-02-01".into());
    let updated = Site::new(home_info, newer);
    assert_ne!(site.shell_key("/home"), updated.shell_key("/home"));
    assert_ne!(site.recent_key(), updated.recent_key());
    assert_eq!(site.shell_key("/b"), updated.shell_key("/b"));
}
