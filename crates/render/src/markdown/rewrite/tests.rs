//! Tests of the rewriting of links, embeds and tags.

use super::super::tests::{MapResolver, html};
use super::super::{RenderOptions, render};
use super::*;

/// The sanitiser adds this to every link.
const REL: &str = r#"rel="noopener noreferrer""#;

#[test]
fn wikilinks_resolve_with_alias_and_heading() {
    assert_eq!(html("[[Note]]"), format!("<p><a class=\"wikilink\" href=\"/notes/note\" {REL}>Note</a></p>\n"));
    let aliased = html("[[Note|the note]]");
    assert!(aliased.contains(&format!(r#"<a class="wikilink" href="/notes/note" {REL}>the note</a>"#)), "{aliased}");
    let sub = html("[[Note#Part Two]]");
    assert!(
        sub.contains(&format!(r##"<a class="wikilink" href="/notes/note#part-two" {REL}>Note#Part Two</a>"##)),
        "{sub}"
    );
}

#[test]
fn heading_only_wikilinks_point_into_the_current_page() {
    let out = html("[[#Intro]]");
    assert!(out.contains(&format!(r##"href="/notes/current#intro" {REL}>#Intro</a>"##)), "{out}");
}

#[test]
fn unresolved_wikilinks_become_spans_and_are_reported() {
    let page = render("[[Missing|shown]] and [[Missing]]", &MapResolver::new(), &RenderOptions::default());
    assert!(page.html.contains(r#"<span class="wikilink wikilink-unresolved">shown</span>"#), "{}", page.html);
    assert_eq!(page.unresolved, ["Missing"]);
    assert!(page.links.is_empty());
}

#[test]
fn wikilinks_inside_code_are_left_alone() {
    let out = html("`[[Note]]`\n\n```\n[[Note]] #tag\n```\n\n    [[Note]]");
    assert!(!out.contains("wikilink"), "{out}");
    assert!(!out.contains("class=\"tag\""), "{out}");
    assert_eq!(out.matches("[[Note]]").count(), 3, "{out}");
}

#[test]
fn underscores_in_targets_do_not_become_emphasis() {
    let out = html("[[my_note]] and [[other_note]]");
    assert!(!out.contains("<em>"), "{out}");
    assert!(out.contains(r#"<span class="wikilink wikilink-unresolved">my_note</span>"#), "{out}");
}

#[test]
fn image_embeds_use_the_asset_url_with_size() {
    let page = render("![[img.png|300]] ![[img.png|640x480]]", &MapResolver::new(), &RenderOptions::default());
    assert!(
        page.html.contains(r#"<img src="/assets/img.png" alt="img.png" width="300" loading="lazy">"#),
        "{}",
        page.html
    );
    assert!(page.html.contains(r#"width="640" height="480""#), "{}", page.html);
    assert_eq!(page.assets, ["img.png"]);
}

#[test]
fn embeds_with_several_modifiers_are_still_found() {
    let out = html("![[img.png|right|A cat|200]]");
    assert!(out.contains(r#"<img src="/assets/img.png" alt="A cat" width="200" loading="lazy">"#), "{out}");
}

#[test]
fn audio_video_and_pdf_embeds_render_safely() {
    let out = html("![[song.mp3]]\n\n![[clip.mp4]]\n\n![[doc.pdf]]");
    assert!(out.contains(r#"<audio controls="" src="/assets/song.mp3"></audio>"#), "{out}");
    assert!(out.contains(r#"<video controls="" src="/assets/clip.mp4"></video>"#), "{out}");
    assert!(
        out.contains(
            r#"<object class="pdf-frame" data="/assets/doc.pdf" aria-label="doc.pdf" type="application/pdf">"#
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!(r#"<a class="embed embed-pdf pdf-download" href="/assets/doc.pdf" {REL}>doc.pdf</a>"#)),
        "{out}"
    );
}

#[test]
fn images_open_full_size_through_a_link_unless_already_in_one() {
    let out = html("![[img.png|300]] and ![a cat](img.png) and ![far](https://example.org/far.png)");
    assert_eq!(out.matches(r#"<a class="image-link" href="/assets/img.png""#).count(), 2, "{out}");
    assert!(out.contains(r#"<a class="image-link" href="https://example.org/far.png""#), "{out}");
    assert_eq!(out.matches("<img").count(), 3, "{out}");
    assert_eq!(out.matches("</a>").count(), 3, "{out}");

    // Inside a link, the image keeps the writer's link and gets none of its own.
    let linked = html("[![a cat](img.png)](https://example.org)");
    assert_eq!(
        linked,
        format!("<p><a href=\"https://example.org\" {REL}><img src=\"/assets/img.png\" alt=\"a cat\"></a></p>\n")
    );
}

#[test]
fn missing_assets_are_unresolved_but_still_referenced() {
    let page = render("![[gone.png]]", &MapResolver::new(), &RenderOptions::default());
    assert!(page.html.contains(r#"<span class="wikilink wikilink-unresolved">gone.png</span>"#), "{}", page.html);
    assert_eq!(page.assets, ["gone.png"]);
}

#[test]
fn note_embeds_without_transclusion_are_links() {
    let out = html("![[Note]]");
    assert!(out.contains(&format!(r#"<a class="wikilink embed-note" href="/notes/note" {REL}>Note</a>"#)), "{out}");
}

#[test]
fn markdown_links_to_md_files_are_resolved() {
    let page = render("[see](Other%20Note.md#Part%202)", &MapResolver::new(), &RenderOptions::default());
    assert!(
        page.html.contains(r##"<a href="/notes/other-note#part-2" rel="noopener noreferrer">see</a>"##),
        "{}",
        page.html
    );
    assert_eq!(page.links, ["/notes/other-note#part-2"]);
}

#[test]
fn unresolved_markdown_links_keep_their_formatted_text() {
    let page = render("[*gone*](Gone.md)", &MapResolver::new(), &RenderOptions::default());
    assert!(page.html.contains(r#"<span class="wikilink wikilink-unresolved"><em>gone</em></span>"#), "{}", page.html);
    assert_eq!(page.unresolved, ["Gone.md"]);
}

#[test]
fn images_inside_unresolved_links_are_still_resolved() {
    let page = render("[![pic](img.png)](Gone.md)", &MapResolver::new(), &RenderOptions::default());
    assert!(
        page.html
            .contains(r#"<span class="wikilink wikilink-unresolved"><img src="/assets/img.png" alt="pic"></span>"#),
        "{}",
        page.html
    );
    assert_eq!(page.assets, ["img.png"]);
}

#[test]
fn remote_and_non_md_links_are_untouched() {
    let out = html("[a](https://x.org/a.md) [b](other.html) [c](#local)");
    assert!(out.contains(r#"href="https://x.org/a.md""#), "{out}");
    assert!(out.contains(r#"href="other.html""#), "{out}");
    assert!(out.contains(r##"href="#local""##), "{out}");
}

#[test]
fn local_markdown_images_go_through_the_resolver() {
    let page = render("![A photo](pics/photo%20one.jpg)", &MapResolver::new(), &RenderOptions::default());
    assert!(page.html.contains(r#"<img src="/assets/pics/photo%20one.jpg" alt="A photo">"#), "{}", page.html);
    assert_eq!(page.assets, ["pics/photo one.jpg"]);
    let remote = html("![r](https://example.org/r.png)");
    assert!(remote.contains(r#"<img src="https://example.org/r.png" alt="r">"#), "{remote}");
}

#[test]
fn tags_are_collected_and_marked_up() {
    let page = render("Notes #rust and #web/css, not `#code`", &MapResolver::new(), &RenderOptions::default());
    assert_eq!(page.tags, ["rust", "web/css"]);
    assert!(page.html.contains(&format!(r#"<a class="tag" href="/tags/rust" {REL}>#rust</a>"#)), "{}", page.html);
    assert!(page.html.contains(&format!(r#"<a class="tag" href="/tags/web/css" {REL}>#web/css</a>"#)), "{}", page.html);
    assert!(page.html.contains("<code>#code</code>"), "{}", page.html);
}

#[test]
fn every_spelling_of_a_tag_links_to_its_one_canonical_page() {
    let page = render(
        "#Tag, #TAG and #tag; #Été/Sub, #ÉTÉ/SUB; #日本語/タグ; #Русский and #русский",
        &MapResolver::new(),
        &RenderOptions::default(),
    );
    assert_eq!(page.tags, ["Tag", "TAG", "tag", "Été/Sub", "ÉTÉ/SUB", "日本語/タグ", "Русский", "русский"]);
    let hrefs: Vec<&str> = page.html.split("href=\"").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]).collect();
    let expected: Vec<String> = page.tags.iter().map(|tag| vps_core::slug::tag_href(tag)).collect();
    assert_eq!(hrefs, expected);
    assert_eq!(&hrefs[..3], ["/tags/tag"; 3]);
    assert_eq!(hrefs[3], "/tags/%C3%A9t%C3%A9/sub");
    assert_eq!(hrefs[3], hrefs[4]);
    assert_eq!(hrefs[6], hrefs[7]);
    assert!(hrefs.iter().all(|href| href.is_ascii()), "{hrefs:?}");
    // The text keeps the writer's spelling.
    assert!(page.html.contains(">#TAG</a>") && page.html.contains(">#ÉTÉ/SUB</a>"), "{}", page.html);
}

#[test]
fn ignored_tags_are_removed_from_the_text() {
    let ignored = ["#Privé".to_owned()];
    let options = RenderOptions { ignored_tags: &ignored, ..RenderOptions::default() };
    let page = render("Kept #public, gone #prive and #PRIVÉ/x.", &MapResolver::new(), &options);
    assert_eq!(page.tags, ["public"]);
    assert_eq!(
        page.html,
        "<p>Kept <a class=\"tag\" href=\"/tags/public\" rel=\"noopener noreferrer\">#public</a>, gone  and .</p>\n",
        "ignored tags leave no trace"
    );
}

#[test]
fn tags_in_link_text_are_not_tags() {
    let page = render("[#notatag](https://x.org)", &MapResolver::new(), &RenderOptions::default());
    assert!(page.tags.is_empty());
}

#[test]
fn wikilinks_in_tables_use_escaped_pipes() {
    let out = html("| a |\n|---|\n| [[Note\\|alias]] |");
    assert!(out.contains(&format!(r#"<a class="wikilink" href="/notes/note" {REL}>alias</a>"#)), "{out}");
}

#[test]
fn local_md_targets_are_recognised() {
    assert_eq!(local_md_target("a%20b.MD#x%20y"), Some(("a b.MD".into(), Some("x y".into()))));
    assert_eq!(local_md_target("../up.md"), Some(("../up.md".into(), None)));
    assert_eq!(local_md_target("mailto:a.md"), None);
    assert_eq!(local_md_target("notes.txt"), None);
    assert_eq!(local_md_target(".md"), None);
}
