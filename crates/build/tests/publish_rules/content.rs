//! What a publish shows around the notes' text: the writer's callout styles, the notes'
//! properties (`SHOW_PROPERTIES` or the note's `show_properties`), the recent notes.

use vps_build::{CALLOUT_CSS_ROUTE, MemoryBlobs};
use vps_core::api::CalloutStyle;
use vps_core::revision::Revision;

use super::{Publish, note};

fn style(path: &str, css: &str) -> CalloutStyle {
    CalloutStyle { path: path.into(), css: css.into() }
}

fn text(blobs: &MemoryBlobs, hash: &vps_core::ContentHash) -> String {
    String::from_utf8(blobs.get(hash).expect("stored").to_vec()).unwrap()
}

/// The `href` of the page's callout stylesheet link, if it has one.
fn callout_link(html: &str) -> Option<&str> {
    let at = html.find("_callouts.css?v=")?;
    let start = html[..at].rfind('"')? + 1;
    let end = at + html[at..].find('"')?;
    Some(&html[start..end])
}

const RECIPE: &str = "@import url(https://evil.example/x.css);\n\
    .callout[data-callout=\"recipe\"] { --callout-color: 200, 120, 40; background: url(https://evil.example/t.png); }\n\
    body { display: none }";

#[test]
fn a_sessions_callout_styles_are_served_sanitised_and_linked_from_every_page() {
    let blobs = MemoryBlobs::new();
    let notes = vec![note("A.md", "> [!recipe] Soup\n> Boil."), note("Deep/B.md", "b")];
    let styles = vec![style(".obsidian/snippets/recipe.css", RECIPE)];
    let built = Publish { notes, callout_styles: styles, ..Publish::default() }.on(&blobs, &Revision::empty());
    let document = &built.revision.generated[CALLOUT_CSS_ROUTE];
    assert_eq!(document.content_type, "text/css; charset=utf-8");
    let css = text(&blobs, &document.blob);
    assert_eq!(css, ".callout[data-callout=\"recipe\"] {\n  --callout-color: 200, 120, 40;\n}\n");
    for (route, page) in &built.revision.pages {
        let html = text(&blobs, &page.html_blob);
        let link = callout_link(&html).unwrap_or_else(|| panic!("{route} does not link the callout styles"));
        assert!(
            link.ends_with(&format!("_callouts.css?v={}", &vps_core::ContentHash::of(css.as_bytes()).to_hex()[..12]))
        );
        // After the site's stylesheet, so that the writer's rules win over the defaults.
        assert!(html.find("/style-").or(html.find("style-")).unwrap() < html.find("_callouts.css").unwrap(), "{html}");
    }
    assert!(text(&blobs, &built.revision.pages["/a"].html_blob).contains(r#"data-callout="recipe""#));
}

#[test]
fn changed_callout_styles_lay_out_every_page_again_and_none_means_no_link() {
    let blobs = MemoryBlobs::new();
    let notes = || vec![note("A.md", "a"), note("B.md", "b")];
    let first = Publish { notes: notes(), callout_styles: vec![style("c.css", RECIPE)], ..Publish::default() }
        .on(&blobs, &Revision::empty());
    let link_of = |built: &vps_build::Built| {
        callout_link(&text(&blobs, &built.revision.pages["/a"].html_blob)).map(str::to_owned)
    };
    let first_link = link_of(&first).expect("linked");

    let same = Publish { notes: notes(), callout_styles: vec![style("c.css", RECIPE)], ..Publish::default() }
        .on_live(&blobs, &first);
    assert_eq!(same.pages_written, 0, "nothing changed: every page is kept");

    let blue = ".callout[data-callout=\"recipe\"] { --callout-color: 0, 0, 255; }";
    let changed = Publish { notes: notes(), callout_styles: vec![style("c.css", blue)], ..Publish::default() }
        .on_live(&blobs, &same);
    assert_eq!(changed.pages_written, 2, "every page links the new stylesheet");
    let changed_link = link_of(&changed).expect("linked");
    assert_ne!(changed_link, first_link);
    assert!(text(&blobs, &changed.revision.generated[CALLOUT_CSS_ROUTE].blob).contains("0, 0, 255"));

    // Only hostile rules: nothing is left, no document, no link.
    let hostile = Publish {
        notes: notes(),
        callout_styles: vec![style("evil.css", "@import url(https://evil.example/x.css); body { display: none }")],
        ..Publish::default()
    }
    .on_live(&blobs, &changed);
    assert!(!hostile.revision.generated.contains_key(CALLOUT_CSS_ROUTE));
    assert_eq!(link_of(&hostile), None);
}

#[test]
fn callout_styles_over_the_document_limit_fail_the_publish_naming_the_snippet() {
    let blobs = MemoryBlobs::new();
    // Over MAX_DOCUMENT_BYTES' default (64 MiB): refused before it is read.
    let huge = " ".repeat((64 << 20) + 1);
    let error = Publish {
        notes: vec![note("A.md", "a")],
        callout_styles: vec![style("snippets/huge.css", &huge)],
        ..Publish::default()
    }
    .try_on(&blobs, &Revision::empty(), None)
    .err()
    .expect("the publish fails");
    let message = error.to_string();
    assert!(message.contains("snippets/huge.css") && message.contains("MAX_DOCUMENT_BYTES"), "{message}");
}

/// A note with frontmatter `flat` (a JSON object).
fn note_with(vault_path: &str, content: &str, flat: serde_json::Value) -> vps_core::note::Note {
    let mut note = note(vault_path, content);
    note.frontmatter.flat = flat.as_object().expect("an object").clone();
    note
}

fn properties_notes() -> Vec<vps_core::note::Note> {
    vec![
        note_with(
            "A.md",
            "a",
            serde_json::json!({"author": "Ada", "publish": true, "access": "public", "permalink": "/x"}),
        ),
        note_with("B.md", "b", serde_json::json!({"author": "Bo", "showProperties": true})),
        note_with("C.md", "c", serde_json::json!({"author": "Cy", "show_properties": false})),
    ]
}

#[test]
fn properties_follow_show_properties_and_the_notes_own_choice_and_a_changed_setting_lays_pages_out_again() {
    let blobs = MemoryBlobs::new();
    let page = |built: &vps_build::Built, route: &str| text(&blobs, &built.revision.pages[route].html_blob);
    let shown = |html: &str| html.contains("<dl class=\"page-properties\"");

    let off = Publish { notes: properties_notes(), ..Publish::default() }.on(&blobs, &Revision::empty());
    // A's `permalink: /x` puts its page there (and is never shown as a property).
    assert!(!shown(&page(&off, "/x")), "off by default");
    assert!(shown(&page(&off, "/b")) && page(&off, "/b").contains("<dd dir=\"auto\">Bo</dd>"), "the note asks");
    assert!(!shown(&page(&off, "/c")));

    // The server's setting turned on: pages are made again without a new upload.
    let on =
        Publish { notes: vec![], partial: true, show_properties: true, ..Publish::default() }.on_live(&blobs, &off);
    let a = page(&on, "/x");
    assert!(shown(&a) && a.contains("<dt dir=\"auto\">author</dt><dd dir=\"auto\">Ada</dd>"), "{a}");
    for internal in ["publish", "access", "permalink", "showProperties"] {
        assert!(!a.contains(&format!(">{internal}</dt>")), "{internal} is shown: {a}");
    }
    assert!(shown(&page(&on, "/b")));
    assert!(!shown(&page(&on, "/c")), "a note may say no");
}

#[test]
fn the_recent_page_is_a_document_of_every_revision_listing_only_listed_pages() {
    let blobs = MemoryBlobs::new();
    let mut notes = vec![
        note_with("Old.md", "old", serde_json::json!({"updated": "2026-01-01"})),
        note_with("New.md", "new", serde_json::json!({"updated": "2026-03-01"})),
        note_with("Draft.md", "draft", serde_json::json!({"updated": "2026-04-01", "unlisted": true})),
    ];
    notes.push(note("Undated.md", "no date"));
    let built = Publish { notes, ..Publish::default() }.on(&blobs, &Revision::empty());
    let recent = text(&blobs, &built.revision.generated[vps_site::RECENT_ROUTE].blob);
    let main = &recent[recent.find("<main").unwrap()..];
    let (new, old) = (main.find(">New</a>").expect("New is listed"), main.find(">Old</a>").expect("Old is listed"));
    assert!(new < old, "newest first");
    assert!(!main.contains("Draft") && !main.contains("Undated"), "{main}");
}
