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
        page.html.contains(r#"<img src="/assets/img.png" alt="img.png" width="300" decoding="async">"#),
        "{}",
        page.html
    );
    assert!(page.html.contains(r#"width="640" height="480" loading="lazy" decoding="async""#), "{}", page.html);
    assert_eq!(page.html.matches("loading=").count(), 1, "the first image loads at once: {}", page.html);
    assert_eq!(page.assets, ["img.png"]);
}

#[test]
fn embeds_with_several_modifiers_are_still_found() {
    let out = html("![[img.png|right|A cat|200]]");
    assert!(out.contains(r#"<img src="/assets/img.png" alt="A cat" width="200" decoding="async">"#), "{out}");
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

/// The resolver of [`MapResolver::new`], plus these published files.
fn with_assets(assets: &[(&'static str, &'static str)]) -> MapResolver {
    let mut resolver = MapResolver::new();
    resolver.assets.extend(assets.iter().copied());
    resolver
}

#[test]
fn a_drawing_embed_shows_its_svg_export_as_an_image_sized_by_the_embed() {
    let resolver = with_assets(&[
        ("Drawing.excalidraw.svg", "/_blob/svg"),
        ("Drawing.excalidraw.png", "/_blob/png"),
        ("Drawing.excalidraw.dark.svg", "/_blob/dark"),
    ]);
    for markdown in ["![[Drawing.excalidraw|400]]", "![[Drawing.excalidraw.md|400]]"] {
        let page = render(markdown, &resolver, &RenderOptions::default());
        assert!(page.html.contains(r#"<img src="/_blob/svg" alt="Drawing.excalidraw"#), "{markdown}: {}", page.html);
        assert!(page.html.contains(r#"width="400" decoding="async">"#), "{markdown}: {}", page.html);
        assert!(page.html.contains(r#"<a class="image-link" href="/_blob/svg""#), "{}", page.html);
        assert!(!page.html.contains("<svg"), "never inline SVG: {}", page.html);
        assert_eq!(page.assets, ["Drawing.excalidraw.svg"]);
    }
}

#[test]
fn a_drawing_without_svg_shows_its_png_then_its_light_export() {
    let png = with_assets(&[("Plans/Drawing.excalidraw.png", "/_blob/png")]);
    let out = render("![[Plans/Drawing.excalidraw]]", &png, &RenderOptions::default()).html;
    assert!(out.contains(r#"<img src="/_blob/png" alt="Plans/Drawing.excalidraw" decoding="async">"#), "{out}");

    let light =
        with_assets(&[("Drawing.excalidraw.light.svg", "/_blob/light"), ("Drawing.excalidraw.png", "/_blob/png")]);
    let out = render("![[Drawing.excalidraw]]", &light, &RenderOptions::default()).html;
    assert!(out.contains(r#"<img src="/_blob/light""#), "an SVG (light) before a PNG: {out}");

    let legacy = with_assets(&[("Old.svg", "/_blob/old")]);
    let out = render("![[Old.excalidraw]]", &legacy, &RenderOptions::default()).html;
    assert!(out.contains(r#"<img src="/_blob/old""#), "a .excalidraw file exports as Old.svg: {out}");
}

#[test]
fn a_drawing_without_export_shows_how_to_turn_auto_export_on() {
    let page = render("Before\n\n![[Drawing.excalidraw]]\n\nAfter", &MapResolver::new(), &RenderOptions::default());
    assert!(
        page.html.contains(
            r#"<span class="excalidraw-missing"><strong>Drawing “Drawing.excalidraw” is not published as an image.</strong>"#
        ),
        "{}",
        page.html
    );
    assert!(page.html.contains("Settings → Excalidraw → Embedding Excalidraw into your Notes and Exporting"));
    assert!(page.html.contains("Auto-export SVG"), "{}", page.html);
    assert!(!page.html.contains("<img"), "{}", page.html);
    assert_eq!(page.assets, ["Drawing.excalidraw.svg"], "the file to publish is named");
    assert!(page.unresolved.is_empty(), "{:?}", page.unresolved);
}

#[test]
fn hostile_drawing_and_export_names_cannot_inject_markup() {
    let resolver = with_assets(&[(r#"x"><script>alert(1)</script>.excalidraw.svg"#, r#"/_blob/a"onerror="alert(1)"#)]);
    let out = render(
        r#"![[x"><script>alert(1)</script>.excalidraw]] ![[y<img src=z onerror=alert(2)>.excalidraw]]"#,
        &resolver,
        &RenderOptions::default(),
    )
    .html;
    assert!(!out.contains("<script"), "{out}");
    assert!(!out.contains("onerror=\""), "{out}");
    assert!(!out.contains("<img src=\"z\""), "{out}");
    assert!(out.contains(r#"src="/_blob/a&quot;onerror=&quot;alert(1)""#), "{out}");
    assert!(out.contains("Drawing “y&lt;img src=z onerror=alert(2)&gt;.excalidraw”"), "{out}");
}

#[test]
fn a_link_to_an_unpublished_drawing_note_opens_its_export() {
    let resolver = with_assets(&[("Drawing.excalidraw.svg", "/_blob/svg")]);
    let page = render("[[Drawing.excalidraw|the plan]] and [[Gone.excalidraw]]", &resolver, &RenderOptions::default());
    assert!(
        page.html.contains(&format!(r#"<a class="wikilink" href="/_blob/svg" {REL}>the plan</a>"#)),
        "{}",
        page.html
    );
    assert!(
        page.html.contains(r#"<span class="wikilink wikilink-unresolved">Gone.excalidraw</span>"#),
        "{}",
        page.html
    );
}

/// [`MapResolver`] that knows `img.png` is 2000 × 1000 with two variants.
struct SizedImages(MapResolver);

impl Resolver for SizedImages {
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
        self.0.page_href(target, subpath)
    }

    fn asset_href(&self, target: &str) -> Option<String> {
        self.0.asset_href(target)
    }

    fn image_source(&self, href: &str) -> Option<crate::ImageSource> {
        (href == "/assets/img.png").then(|| crate::ImageSource {
            width: 2000,
            height: 1000,
            variants: vec![("/_img/a/480.webp".into(), 480), ("/_img/a/960.webp".into(), 960)],
        })
    }
}

#[test]
fn images_offer_their_variants_and_size_through_the_sanitiser() {
    let resolver = SizedImages(MapResolver::new());
    let page = render("![[img.png]]\n\n![A *cat*](img.png)\n\n![[img.png|300]]", &resolver, &RenderOptions::default());
    let srcset = r#"srcset="/_img/a/480.webp 480w, /_img/a/960.webp 960w, /assets/img.png 2000w""#;
    assert_eq!(page.html.matches(srcset).count(), 3, "{}", page.html);
    assert!(
        page.html.contains(r#"alt="img.png" srcset="#)
            && page
                .html
                .contains(r#"sizes="(max-width: 52rem) 100vw, 52rem" width="2000" height="1000" decoding="async">"#),
        "the first image: its own size, not lazy: {}",
        page.html
    );
    assert!(page.html.contains(r#"alt="A cat" srcset="#), "a Markdown image too: {}", page.html);
    assert!(
        page.html.contains(
            r#"sizes="(max-width: 300px) 100vw, 300px" width="300" height="150" loading="lazy" decoding="async">"#
        ),
        "{}",
        page.html
    );
    assert_eq!(page.html.matches(r#"<a class="image-link" href="/assets/img.png""#).count(), 3, "{}", page.html);
}
