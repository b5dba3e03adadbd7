//! Target `render`: [`vps_render::render`] on arbitrary Markdown.
//!
//! The generator is biased towards what the renderer rewrites or must neutralise: nested `>`,
//! lists and callouts (sometimes thousands deep), wikilinks and embeds (images, headings, note
//! transclusion between two embedded notes that may embed each other and the page), `$…$` and
//! `$$` math, code fences, footnotes, tags and raw HTML carrying scripts, event handlers and
//! `javascript:` URLs. Properties: nothing panics, and the HTML has no `<script`, no attribute
//! named `on…` and no attribute value that is a `javascript:` URL (whitespace and control characters
//! removed, any case), read with the test kit's HTML reader.

use proptest::prelude::*;
use vps_core::slug::heading_id;
use vps_core::url::encode_segment;
use vps_render::{PublishLimits, RenderOptions, Resolver, Transclusion, render};

use super::ensure;
use crate::engine::Target;
use crate::inputs::{repeated, text_of};

const BLOCKS: &[&str] = &[
    "\n",
    "\n\n",
    "> ",
    ">",
    "- ",
    "* ",
    "1. ",
    "  ",
    "    ",
    "> [!note] Title\n> ",
    "> [!tip]- ",
    "# ",
    "## ",
    "| a | b |\n|---|---|\n| ",
    "```\n",
    "```js\n",
    "```mermaid\n",
    "$$\n",
    "~~~\n",
    "---\n",
    "<div>\n",
    "<details>",
    "[^1]: ",
    "- [ ] ",
    "\t",
];

const INLINE: &[&str] = &[
    "text ",
    "[[Note]]",
    "[[Note#Head|alias]]",
    "[[Note|javascript:alert(1)]]",
    "![[img.png]]",
    "![[img.png|100]]",
    "![[img.png|\" onerror=\"alert(1)]]",
    "![[A]]",
    "![[B#Sec]]",
    "![[A#^blk]]",
    "![[#Sec]]",
    "![[missing]]",
    "[x](javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]: javascript:alert(1)\n",
    "![i](img.png)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"jAvAsCrIpT:alert(1)\">a</a>",
    "<a href=\"&#106;avascript:alert(1)\">",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<style>*{}</style>",
    "<base href=\"javascript:\">",
    "<form action=javascript:alert(1)><button formaction=javascript:alert(1)>",
    "<details open ontoggle=alert(1)>",
    "$x^2$",
    "$\\href{javascript:alert(1)}{x}$",
    "$$\\text{<script>alert(1)</script>}$$",
    "==hi==",
    "%%c%%",
    "%%",
    "#tag",
    "#a/b/c",
    "#tag\" onclick=\"alert(1)",
    " ^blk",
    "^x\" onclick=\"alert(1)",
    "`code`",
    "**b**",
    "_i_",
    "~~s~~",
    "[^1]",
    "^[inline]",
    "<!--",
    "-->",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "\"",
    "'",
    "|",
    "$",
    "`",
    "data:text/html,<script>alert(1)</script>",
    "<p style=\"background:url(javascript:alert(1))\">",
    "é",
    "\u{0}",
];

#[derive(Debug, Clone)]
pub(crate) struct RenderInput {
    page: String,
    /// The notes `A` and `B`, which the page (and each other) may embed.
    notes: [String; 2],
    ignored_tags: Vec<String>,
}

pub(crate) struct RenderTarget;

struct Notes<'a>(&'a RenderInput);

impl Resolver for Notes<'_> {
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
        let route = match target {
            "Note" | "A" | "B" => format!("/{}", target.to_lowercase()),
            "" => String::new(),
            _ => return None,
        };
        Some(match subpath {
            Some(sub) => format!("{route}#{}", encode_segment(&heading_id(sub))),
            None => route,
        })
    }

    fn asset_href(&self, target: &str) -> Option<String> {
        (target == "img.png").then(|| "/_blob/0123abcd".to_owned())
    }

    fn note_markdown(&self, target: &str) -> Option<Transclusion> {
        let (index, key) = match target {
            "A" => (0, "A.md"),
            "B" => (1, "B.md"),
            "" => {
                return Some(Transclusion {
                    markdown: self.0.page.clone(),
                    href: "/page".into(),
                    key: "page.md".into(),
                });
            }
            _ => return None,
        };
        Some(Transclusion {
            markdown: self.0.notes[index].clone(),
            href: format!("/{}", target.to_lowercase()),
            key: key.into(),
        })
    }
}

/// How many times a nesting unit may repeat: far past `MAX_NESTING_DEPTH`, which must stop it
/// before anything walks the nesting.
fn deepest() -> usize {
    100_000
}

fn markdown() -> BoxedStrategy<String> {
    let line = (text_of(BLOCKS, 3), text_of(INLINE, 8)).prop_map(|(block, inline)| format!("{block}{inline}\n"));
    let deep = (
        repeated(&["> ", "- ", "  - ", "> [!note]\n> ", "<div>", "[", "*", "1. ", ">"], deepest()),
        text_of(INLINE, 4),
    )
        .prop_map(|(prefix, inline)| format!("{prefix}{inline}\n"));
    let tag = repeated(&["a/", "é/", "x"], 3_000).prop_map(|t| format!("#{t}\n"));
    let piece = prop_oneof![12 => line, 1 => deep, 1 => tag];
    proptest::collection::vec(piece, 0..12).prop_map(|lines| lines.concat()).boxed()
}

impl Target for RenderTarget {
    type Input = RenderInput;

    fn name(&self) -> &'static str {
        "render"
    }

    fn strategy(&self) -> BoxedStrategy<RenderInput> {
        let ignored = proptest::collection::vec(proptest::sample::select(&["private", "#a", "tag", "", "é"][..]), 0..3);
        (markdown(), markdown(), markdown(), ignored)
            .prop_map(|(page, a, b, ignored)| RenderInput {
                page,
                notes: [a, b],
                ignored_tags: ignored.into_iter().map(str::to_owned).collect(),
            })
            .boxed()
    }

    /// A seed file is a page; it is also note `A`, and `B` embeds `A`.
    fn seed_inputs(&self, bytes: &[u8]) -> Vec<RenderInput> {
        let page = String::from_utf8_lossy(bytes).into_owned();
        vec![RenderInput {
            page: page.clone(),
            notes: [page, "![[A]]\n![[A]]".into()],
            ignored_tags: vec!["private".into()],
        }]
    }

    fn check(&self, input: &RenderInput) -> Result<(), String> {
        let options = RenderOptions { ignored_tags: &input.ignored_tags, limits: PublishLimits::default() };
        let page = render(&input.page, &Notes(input), &options);
        let html = &page.html;
        ensure(!html.to_ascii_lowercase().contains("<script"), || format!("a script survived: {html}"))?;
        for element in vps_testkit::html::elements(html) {
            for (name, value) in &element.attrs {
                let context = || format!("<{} {name}={value:?}> survived", element.name);
                ensure(!name.to_ascii_lowercase().starts_with("on"), || format!("an event handler: {}", context()))?;
                let squeezed: String = value
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                // What a browser runs: a value whose scheme is `javascript:` once whitespace and
                // control characters are dropped (`[[x|javascript:…]]` percent-encoded into a
                // relative href is text, not a script).
                ensure(!squeezed.starts_with("javascript:"), || format!("a javascript: URL: {}", context()))?;
            }
        }
        Ok(())
    }
}
