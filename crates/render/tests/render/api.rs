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
