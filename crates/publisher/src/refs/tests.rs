use serde_json::json;

use super::*;

fn content_refs(content: &str) -> Vec<Reference> {
    find(content, &Map::new()).unwrap()
}

fn targets(refs: &[Reference]) -> Vec<&str> {
    refs.iter().map(|r| r.target.as_str()).collect()
}

#[test]
fn embeds_are_found_with_their_display_modifiers() {
    let refs = content_refs(
        "![[a.png]] ![[Engelbart.jpg\\|200]] ![[icon.svg#icon]] ![[Note]] ![[Note.md]] ![[b.PDF|right|300|framed]]\n\
         ![[./assets/c.mp3]] ![[Note#Heading]] ![[My canvas.canvas]]",
    );
    assert_eq!(targets(&refs), ["a.png", "Engelbart.jpg", "icon.svg", "b.PDF", "c.mp3", "My canvas.canvas"]);
    let pdf = &refs[3];
    assert_eq!(pdf.raw, "![[b.PDF|right|300|framed]]");
    assert_eq!(pdf.kind, "pdf");
    assert_eq!(
        pdf.display.to_json(),
        json!({"alignment": "right", "width": 300, "classes": ["framed"], "rawModifiers": ["right", "300", "framed"]})
    );
    assert_eq!(refs[1].display.width, Some(200));
    assert_eq!(refs[4].lookup, "assets/c.mp3", "looked up as written");
    assert_eq!(refs[4].target, "c.mp3", "sent without the leading assets/, as the plugin");
    assert_eq!(refs[4].kind, "audio");
    assert!(refs[0].attachment && !refs[5].attachment, "a canvas is published only if it exists");
    assert_eq!(refs[5].kind, "other");
    assert!(refs.iter().all(|r| r.syntax == Syntax::ObsidianEmbed && r.origin == Origin::Content));
}

#[test]
fn markdown_images_are_decoded_and_remote_ones_skipped() {
    let refs = content_refs(
        "![alt](sub/my%20pic.png \"title\") ![x](https://e.com/y.png) ![y](<with space.webp>) \
         ![z|150](./z.gif#frag) ![d](data:image/png;base64,xx) ![n](Other%20note.md)",
    );
    assert_eq!(targets(&refs), ["sub/my pic.png", "with space.webp", "z.gif"]);
    assert_eq!(refs[0].raw, "![alt](sub/my%20pic.png \"title\")");
    assert_eq!(refs[2].display.width, Some(150));
    assert!(refs.iter().all(|r| r.syntax == Syntax::MarkdownImage));
}

#[test]
fn html_img_and_links_to_files_are_found() {
    let refs = content_refs(
        "<img src=\"pics/a%20b.png?v=2\" width=100> <IMG data-src='lazy.jpg'> <img src=\"https://x/y.png\">\n\
         <a href=\"docs/manual.pdf#page=2\">manual</a> <a href=\"Other note.md\">n</a> <a href=\"https://x.org\">x</a>\n\
         <abbr title=\"a.png\">no</abbr>",
    );
    assert_eq!(targets(&refs), ["pics/a b.png", "lazy.jpg", "docs/manual.pdf"]);
    assert_eq!(refs[0].raw, "<img src=\"pics/a%20b.png?v=2\" width=100>");
    assert_eq!(refs[2].kind, "pdf");
    assert!(refs.iter().all(|r| r.syntax == Syntax::HtmlRef));
}

#[test]
fn links_to_attachments_are_found_but_links_to_notes_are_not() {
    let refs = content_refs(
        "See [[file.pdf]], [[shot.png|the shot]], [[Note]], [[Other.md]], [the deck](slides/deck.pdf), [a note](Note.md), \\[[esc.png]]",
    );
    assert_eq!(targets(&refs), ["slides/deck.pdf", "file.pdf", "shot.png"]);
    assert_eq!(refs[0].syntax, Syntax::MarkdownLink);
    assert_eq!(refs[1].syntax, Syntax::ObsidianLink);
    assert_eq!(refs[2].raw, "[[shot.png|the shot]]");
    assert!(refs[2].display.raw_modifiers.is_empty(), "an alias is not a display modifier");
}

#[test]
fn nothing_in_code_or_comments_counts() {
    let content = "```markdown\n![[in-fence.png]]\n```\n\
                   > ```\n> ![[in-quoted-fence.png]]\n> ```\n\
                   ~~~~\n![[in-tilde.png]]\n~~~~\n\
                   Text `![[in-span.png]]` and ``a ` ![[in-double.png]]`` and %%![[in-comment.png]]%%\n\
                   %%\n![[in-block-comment.png]]\n%%\n<!-- ![[in-html-comment.png]] -->\n\
                   \\`![[escaped-tick.png]]\\` ![[real.png]] a lone ` then ![[after-lone.png]]\n";
    assert_eq!(targets(&content_refs(content)), ["escaped-tick.png", "real.png", "after-lone.png"]);
    // An unclosed fence runs to the end of the note.
    assert!(content_refs("```\n![[never.png]]\n").is_empty());
}

#[test]
fn frontmatter_strings_are_searched_and_bare_paths_count() {
    let nested = json!({
        "cover": "images/Cover.PNG",
        "banner": "![[banner.jpg]]",
        "gallery": ["[[one.webp]]", "not a file", "https://e.com/remote.png"],
        "meta": {"pdf": "docs/x.pdf"},
        "title": "Version 1.5",
        "note": "Other.md"
    });
    let refs = find("", nested.as_object().unwrap()).unwrap();
    let mut found: Vec<(&str, Option<&str>, Syntax)> =
        refs.iter().map(|r| (r.target.as_str(), r.frontmatter_path.as_deref(), r.syntax)).collect();
    found.sort_by_key(|f| f.0);
    assert_eq!(
        found,
        [
            ("banner.jpg", Some("banner"), Syntax::ObsidianEmbed),
            ("docs/x.pdf", Some("meta.pdf"), Syntax::FrontmatterPath),
            ("images/Cover.PNG", Some("cover"), Syntax::FrontmatterPath),
            ("one.webp", Some("gallery[0]"), Syntax::ObsidianLink),
        ]
    );
    assert!(refs.iter().all(|r| r.origin == Origin::Frontmatter));
    assert_eq!(refs.iter().find(|r| r.target == "images/Cover.PNG").unwrap().kind, "image");
}

#[test]
fn the_same_reference_twice_is_listed_once() {
    let refs = content_refs("![[a.png]] text ![[a.png]] ![[a.png|100]]");
    assert_eq!(refs.iter().map(|r| r.raw.as_str()).collect::<Vec<_>>(), ["![[a.png]]", "![[a.png|100]]"]);
}

#[test]
fn kinds_follow_extensions_in_any_case() {
    for (path, kind) in [
        ("a.PNG", Some(("image", true))),
        ("b.avif", Some(("image", true))),
        ("c.m4a", Some(("audio", true))),
        ("d.MOV", Some(("video", true))),
        ("e.pdf", Some(("pdf", true))),
        ("f.canvas", Some(("other", false))),
        ("g.md", None),
        ("dir.v2/Note", None),
        (".hidden", None),
    ] {
        assert_eq!(classify(path), kind, "{path}");
    }
}

// Where the hand-written scanner this module had before disagreed with the page the server
// renders: the references are now those of the renderer's own parse.

#[test]
fn an_embed_in_indented_code_is_not_an_attachment() {
    assert_eq!(targets(&content_refs("Example:\n\n    ![[in-indented-code.png]]\n\n![[real.png]]")), ["real.png"]);
}

#[test]
fn an_embed_in_math_is_not_an_attachment() {
    assert_eq!(targets(&content_refs("$x ![[in-math.png]]$ and\n\n$$\n![[in-block.png]]\n$$\n")), Vec::<&str>::new());
}

#[test]
fn an_embed_inside_an_html_block_is_not_an_attachment() {
    // The page shows the HTML block as written: no image there.
    let refs = content_refs("<div>\n![[in-html-block.png]]\n<img src=\"shown.png\">\n</div>\n");
    assert_eq!(targets(&refs), ["shown.png"]);
}

#[test]
fn reference_style_images_and_links_are_attachments() {
    let refs = content_refs("![a chart][chart] and [the paper][paper]\n\n[chart]: img/chart.png\n[paper]: paper.pdf\n");
    assert_eq!(targets(&refs), ["img/chart.png", "paper.pdf"]);
    assert_eq!(refs[0].raw, "![a chart][chart]");
    assert_eq!(refs[0].syntax, Syntax::MarkdownImage);
}

#[test]
fn an_image_that_is_a_link_gives_both_files() {
    let refs = content_refs("[![cover](cover.png)](book.pdf)");
    assert_eq!(targets(&refs), ["book.pdf", "cover.png"]);
}

#[test]
fn a_note_nested_past_the_renderers_limit_has_no_references() {
    let deep = format!("{}![[deep.png]]", "> ".repeat(100));
    let error = find(&deep, &Map::new()).unwrap_err();
    assert_eq!(error.setting, "MAX_NESTING_DEPTH");
}

#[test]
fn an_embed_with_several_modifiers_in_a_table_keeps_clean_modifiers() {
    // The escaped pipes of a table cell are unescaped before the embed is read: the old scanner
    // took `right\` for a class.
    let refs = content_refs("| a |\n|---|\n| ![[b.png\\|right\\|300]] |\n");
    assert_eq!(targets(&refs), ["b.png"]);
    assert_eq!(
        refs[0].display.to_json(),
        json!({"alignment": "right", "width": 300, "classes": [], "rawModifiers": ["right", "300"]})
    );
}
