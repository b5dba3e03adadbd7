//! What `render` reports besides the HTML.

use vps_render::{RenderOptions, Resolver, render};

use crate::site::Site;

#[test]
fn block_ids_plain_text_and_own_headings_are_reported() {
    let page =
        Site::new().render("# Top\n\nFirst ^one\n\n- item ^two\n\n![[Embedded#Section One]]\n\nSee **this**. ^three");
    assert_eq!(page.block_ids, ["one", "two", "three"]);
    let headings: Vec<_> = page.headings.iter().map(|h| (h.level, h.id.as_str())).collect();
    assert_eq!(headings, [(1, "top")], "embedded headings are not the page's");
    assert_eq!(page.text, "Top First item See this.");
    assert!(page.links.contains(&"/embedded#section-one".to_owned()), "{:?}", page.links);
    assert!(page.links.contains(&"/notes/note".to_owned()), "links of embedded notes count: {:?}", page.links);
    assert!(page.tags.is_empty(), "tags of embedded notes are theirs: {:?}", page.tags);
}

#[test]
fn a_resolver_without_transclusion_leaves_note_embeds_as_links() {
    struct Links;
    impl Resolver for Links {
        fn page_href(&self, target: &str, _: Option<&str>) -> Option<String> {
            Some(format!("/{}", target.to_lowercase()))
        }
        fn asset_href(&self, _: &str) -> Option<String> {
            None
        }
    }
    let page = render("![[Note]]", &Links, &RenderOptions::default());
    assert_eq!(
        page.html,
        "<p><a class=\"wikilink embed-note\" href=\"/note\" rel=\"noopener noreferrer\">Note</a></p>\n"
    );
}

#[test]
fn a_note_that_embeds_itself_shows_the_cycle_notice() {
    let page = Site::new().render("Before\n\n![[Current]]");
    assert!(page.html.contains("markdown-embed-cycle"), "{}", page.html);
    assert!(page.html.contains("Embed cycle"), "{}", page.html);
}

#[test]
fn a_page_may_embed_a_section_of_itself() {
    let page = Site::new().render("![[#Local Part]]");
    assert!(page.html.contains("<p>Local text.</p>"), "{}", page.html);
}

/// The values of every `name="…"` attribute in `html`.
fn attributes(html: &str, name: &str) -> Vec<String> {
    let marker = format!(" {name}=\"");
    html.split(&marker).skip(1).map(|rest| rest[..rest.find('"').expect("a closed attribute")].to_owned()).collect()
}

/// The heading ids of a note of the site, as its own page carries them.
fn ids_of(site: &Site, vault_path: &str) -> Vec<String> {
    let page = site.render_as(vault_path, site.note(vault_path));
    let ids = attributes(&page.html, "id");
    assert_eq!(ids, page.headings.iter().map(|h| h.id.clone()).collect::<Vec<_>>());
    ids
}

/// The route and the decoded fragment of an href.
fn split_href(href: &str) -> (String, String) {
    let (route, fragment) = href.split_once('#').unwrap_or((href, ""));
    (vps_core::slug::decode_route(route), vps_core::url::decode(fragment))
}

#[test]
fn links_to_headings_in_japanese_russian_and_arabic_land_on_the_ids_of_those_headings() {
    let site = Site::new();
    let ids = ids_of(&site, "ノート/はじめに.md");
    assert_eq!(ids, ["はじめに", "見出し", "что-такое-obsidian", "مرحبا-بالعالم", "見出し-1"]);

    let page = site.render(
        "[[はじめに#見出し]], [[ノート/はじめに#Что такое Obsidian?]], [[はじめに#مرحبا بالعالم|Arabic]], \
         [[ノート/はじめに.md#はじめに]].",
    );
    assert!(page.unresolved.is_empty(), "{:?}", page.unresolved);
    assert_eq!(page.links.len(), 4, "{:?}", page.links);
    for href in &page.links {
        assert!(href.is_ascii(), "hrefs are percent-encoded: {href}");
        let (route, fragment) = split_href(href);
        assert_eq!(route, "/ノート/はじめに", "{href}");
        assert!(ids.contains(&fragment), "{href}: #{fragment} is not an id of the target page {ids:?}");
    }
    assert_eq!(attributes(&page.html, "href"), page.links, "the HTML carries the hrefs reported");
}

#[test]
fn links_to_headings_of_the_same_page_land_on_their_ids_in_every_script() {
    let site = Site::new();
    let markdown =
        format!("{}\n[[#見出し]] [[#Что такое Obsidian?]] [[#مرحبا بالعالم]]\n", site.note("ノート/はじめに.md"));
    let page = site.render_as("ノート/はじめに.md", &markdown);
    let ids = attributes(&page.html, "id");
    assert_eq!(page.links.len(), 3, "{:?}", page.links);
    for href in &page.links {
        let (route, fragment) = split_href(href);
        assert_eq!(route, "/ノート/はじめに");
        assert!(ids.contains(&fragment), "#{fragment} not in {ids:?}");
    }
}

#[test]
fn a_section_named_in_any_script_is_transcluded() {
    let site = Site::new();
    for (target, shown, not_shown) in [
        ("はじめに#Что такое Obsidian?", "<p>Russian.</p>", "Japanese."),
        ("はじめに#見出し", "<p>Japanese.</p>", "Russian."),
        ("はじめに#مرحبا بالعالم", "<p>Arabic.</p>", "Russian."),
    ] {
        let page = site.render(&format!("![[{target}]]"));
        assert!(page.html.contains(shown), "{target}: {}", page.html);
        assert!(!page.html.contains(not_shown), "{target} shows only its section: {}", page.html);
    }
}

#[test]
fn links_inside_an_embedded_note_resolve_from_that_note() {
    let site = Site::new();
    // From the page, `[[Dup]]` is the shortest `A/Dup`; from `B/Deeper/Uses Dup`, its sibling.
    assert_eq!(site.render("[[Dup]]").links, ["/a/dup"]);
    let page = site.render("![[Uses Dup#Part]]");
    let hrefs = attributes(&page.html, "href");
    assert!(hrefs.contains(&"/b/deeper/dup".to_owned()), "{hrefs:?}");
    assert!(!hrefs.contains(&"/a/dup".to_owned()), "{hrefs:?}");
    // `[[#Local]]` written in the embedded note is that note's heading, on that note's page.
    assert!(hrefs.contains(&"/b/deeper/uses-dup#local".to_owned()), "{hrefs:?}");
    assert!(hrefs.iter().all(|href| !href.starts_with("/current")), "{hrefs:?}");
    assert!(ids_of(&site, "B/Deeper/Uses Dup.md").contains(&"local".to_owned()));
}
