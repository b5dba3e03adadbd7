use super::*;

fn found(markdown: &str) -> Vec<Reference> {
    references(markdown, &PublishLimits::default()).unwrap()
}

/// (kind, target, alias) of each reference.
fn summary(markdown: &str) -> Vec<(ReferenceKind, String, Option<String>)> {
    found(markdown).into_iter().map(|r| (r.kind, r.target, r.alias)).collect()
}

fn targets(markdown: &str) -> Vec<String> {
    found(markdown).into_iter().map(|r| r.target).collect()
}

use ReferenceKind::{Embed, HtmlImage, HtmlLink, Image, Link, WikiLink};

#[test]
fn embeds_and_wikilinks_are_found_with_their_aliases_in_document_order() {
    let refs = found(
        "![[a.png]] [[Note#Part|see]] ![[icon.svg#icon]] ![[b.PDF|right|300|framed]] [[a|b|c]]\n\
         ![[./assets/c.mp3]] ![[My canvas.canvas]]",
    );
    let got: Vec<_> = refs.iter().map(|r| (r.kind, r.target.as_str(), r.alias.as_deref(), r.raw.as_str())).collect();
    assert_eq!(
        got,
        [
            (Embed, "a.png", None, "![[a.png]]"),
            (WikiLink, "Note", Some("see"), "[[Note#Part|see]]"),
            (Embed, "icon.svg", None, "![[icon.svg#icon]]"),
            (Embed, "b.PDF", Some("right|300|framed"), "![[b.PDF|right|300|framed]]"),
            (WikiLink, "a", Some("b|c"), "[[a|b|c]]"),
            (Embed, "./assets/c.mp3", None, "![[./assets/c.mp3]]"),
            (Embed, "My canvas.canvas", None, "![[My canvas.canvas]]"),
        ]
    );
}

#[test]
fn markdown_images_and_links_are_decoded_with_their_source_text() {
    let refs = found(
        "![alt](sub/my%20pic.png \"title\") ![y](<with space.webp>) ![z|150](./z.gif#frag) \
         [the deck](slides/deck.pdf) [a note](Note.md#Part) ![r](https://e.com/r.png)",
    );
    let got: Vec<_> = refs.iter().map(|r| (r.kind, r.target.as_str(), r.alias.as_deref())).collect();
    assert_eq!(
        got,
        [
            (Image, "sub/my pic.png", Some("alt")),
            (Image, "with space.webp", Some("y")),
            (Image, "./z.gif", Some("z|150")),
            (Link, "slides/deck.pdf", None),
            (Link, "Note.md", None),
            (Image, "https://e.com/r.png", Some("r")),
        ]
    );
    assert_eq!(refs[0].raw, "![alt](sub/my%20pic.png \"title\")");
    assert_eq!(refs[3].raw, "[the deck](slides/deck.pdf)");
}

#[test]
fn html_img_and_links_are_found_outside_html_comments() {
    let refs = found(
        "<img src=\"pics/a%20b.png?v=2\" width=100> <IMG data-src='lazy.jpg'>\n\
         <a href=\"docs/manual.pdf#page=2\">manual</a> <abbr title=\"a.png\">no</abbr> <!-- <img src=\"c.png\"> -->\n\n\
         <div>\n<img src=\"in-block.png\">\n<!--\n<img src=\"commented.png\">\n-->\n</div>\n",
    );
    let got: Vec<_> = refs.iter().map(|r| (r.kind, r.target.as_str())).collect();
    assert_eq!(
        got,
        [
            (HtmlImage, "pics/a b.png"),
            (HtmlImage, "lazy.jpg"),
            (HtmlLink, "docs/manual.pdf"),
            (HtmlImage, "in-block.png")
        ]
    );
    assert_eq!(refs[0].raw, "<img src=\"pics/a%20b.png?v=2\" width=100>");
}

#[test]
fn nothing_in_code_math_or_comments_counts() {
    let content = "```markdown\n![[in-fence.png]]\n```\n\
                   > ```\n> ![[in-quoted-fence.png]]\n> ```\n\
                   ~~~~\n![[in-tilde.png]]\n~~~~\n\
                   Text `![[in-span.png]]` and ``a ` ![[in-double.png]]`` and %%![[in-comment.png]]%%\n\
                   %%\n![[in-block-comment.png]]\n%%\n<!-- ![[in-html-comment.png]] -->\n\n\
                   \\`![[escaped-tick.png]]\\` ![[real.png]] a lone ` then ![[after-lone.png]]\n\n\
                   Math $![[in-math.png]]$ and\n\n$$\n![[in-display-math.png]]\n$$\n\n\
                   Indented code:\n\n    ![[in-indented-code.png]]\n";
    assert_eq!(targets(content), ["escaped-tick.png", "real.png", "after-lone.png"]);
    // An unclosed fence runs to the end of the note.
    assert!(found("```\n![[never.png]]\n").is_empty());
}

#[test]
fn escaped_brackets_are_text_not_links() {
    assert_eq!(targets("\\[[esc.png]] and \\[\\[also.png\\]\\]"), Vec::<String>::new());
}

#[test]
fn reference_style_images_and_links_count() {
    let refs = summary("![a chart][chart] and [the paper][paper]\n\n[chart]: img/chart.png\n[paper]: docs/paper.pdf\n");
    assert_eq!(
        refs,
        [(Image, "img/chart.png".to_owned(), Some("a chart".to_owned())), (Link, "docs/paper.pdf".to_owned(), None)]
    );
}

#[test]
fn an_image_inside_a_link_is_found_too() {
    assert_eq!(
        summary("[![pic](img.png)](doc.pdf)"),
        [(Link, "doc.pdf".to_owned(), None), (Image, "img.png".to_owned(), Some("pic".to_owned()))]
    );
}

#[test]
fn wikilinks_in_tables_use_escaped_pipes() {
    let refs = found("| a | b |\n|---|---|\n| ![[Engelbart.jpg\\|200]] | [[Note\\|alias]] |\n");
    let got: Vec<_> = refs.iter().map(|r| (r.kind, r.target.as_str(), r.alias.as_deref())).collect();
    assert_eq!(got, [(Embed, "Engelbart.jpg", Some("200")), (WikiLink, "Note", Some("alias"))]);
    assert_eq!(refs[0].raw, "![[Engelbart.jpg\\|200]]");
}

#[test]
fn source_text_in_table_cells_counts_the_backslashes_of_escaped_pipes() {
    // comrak positions a cell's inlines in its text without the `\` of each `\|`.
    let refs = found(
        "| a | b |\n|---|---|\n|  x\\|y ![[a.png\\|100]] [b](c.pdf) | ![i\\|j](k.png) ![[Engelbart.jpg\\|200]] |\n",
    );
    let raws: Vec<&str> = refs.iter().map(|r| r.raw.as_str()).collect();
    assert_eq!(raws, ["![[a.png\\|100]]", "[b](c.pdf)", "![i\\|j](k.png)", "![[Engelbart.jpg\\|200]]"]);
}

#[test]
fn references_are_what_the_rendered_page_shows() {
    use crate::markdown::tests::MapResolver;
    use crate::{RenderOptions, render};
    // Everything the renderer asks the resolver for is found, nothing it shows as text is.
    let note = "![[img.png|300]] `![[code.png]]` ![A photo](pics/photo%20one.jpg)\n\n\
                %%![[gone.png]]%% [[doc.pdf]] $x ![[m.png]]$\n\n    ![[indented.png]]\n";
    let page = render(note, &MapResolver::new(), &RenderOptions::default());
    let refs = targets(note);
    assert_eq!(page.assets, ["img.png", "pics/photo one.jpg", "doc.pdf"]);
    assert_eq!(refs, page.assets);
}

#[test]
fn a_note_nested_past_the_limit_fails_as_it_does_in_the_renderer() {
    let limits = PublishLimits::default();
    for input in [">".repeat(100_000), "- ".repeat(100_000) + "x", "<div>".repeat(20_000)] {
        let error = references(&input, &limits).unwrap_err();
        assert_eq!(error.setting, "MAX_NESTING_DEPTH");
        assert_eq!(error.limit, 64);
    }
    let shallow = PublishLimits { max_nesting_depth: 4, ..limits };
    assert!(references("> > > ![[deep.png]]", &shallow).is_err());
    assert_eq!(references("> ![[ok.png]]", &shallow).unwrap().len(), 1);
}

#[test]
fn deeply_nested_inlines_do_not_overflow_the_stack() {
    let inputs = [
        format!("{}a{}", "*".repeat(100_000), "*".repeat(100_000)),
        "[".repeat(20_000) + "a" + &"](x)".repeat(20_000),
        "[[".repeat(10_000) + "a" + &"]]".repeat(10_000),
        "![[".repeat(10_000) + "Note" + &"]]".repeat(10_000),
        "<img src=".repeat(50_000),
    ];
    for input in &inputs {
        // Either found or refused: what matters is that the thread survives.
        let _ = references(input, &PublishLimits::default());
    }
}
