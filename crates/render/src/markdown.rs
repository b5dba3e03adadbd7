//! Markdown → sanitised HTML, with Obsidian's syntax, rendered on the server.
//!
//! CommonMark plus GFM (tables, strikethrough, task lists, autolinks, footnotes) and Obsidian's
//! additions: wikilinks and embeds, note transclusion, callouts, block ids, inline footnotes,
//! `==highlight==`, `%%comments%%`, `#tags`, math (to MathML) and highlighted code. Nothing
//! needs JavaScript in the browser. What [`render`] returns besides the HTML ([`Rendered`]) is
//! what the site needs to build link graphs, tables of contents, search indexes and asset
//! reference counts.
//!
//! The work happens on comrak's syntax tree, between parsing and HTML output
//! ([`document`] runs the steps for one note, and again for each note it embeds):
//!
//! 1. [`comments`] removes `%%…%%` from the source, outside code. It has to happen before
//!    parsing, because a comment may span several blocks.
//! 2. comrak parses the note, wikilinks, callouts, math, `==…==` and `^[…]` included. Parsing
//!    wikilinks in the tree rather than rewriting the text beforehand means code spans and
//!    fenced or indented code are skipped by construction, and `_` or `*` inside a target
//!    (`[[my_note]] and [[other_note]]`) cannot pair up into emphasis. comrak does not accept a
//!    second `|` (`![[img.png|right|200]]`); such links stay plain text, and the text pass below
//!    picks them up, still outside code.
//! 3. [`rewrite`] replaces wikilinks and embeds with our markup, sends `.md` links and local
//!    images through the [`Resolver`], turns `#tags` into links (or removes ignored ones),
//!    takes block ids (`^id`) off the text, and leaves a placeholder for each note embed.
//! 4. [`headings`] gives every heading its id, then each note embed is rendered in turn (its
//!    headings continue the same set of ids, so they never collide with the page's own).
//! 5. [`format`] writes HTML: comrak's writer, except for headings, block ids, callouts
//!    ([`callout`]), code ([`code`], highlighted by class) and math ([`math`], as MathML).
//! 6. [`sanitize`] runs an allowlist sanitiser over the whole page, always: notes may contain raw
//!    HTML, and the plugin's DataviewJS output is untrusted.

mod blocks;
mod callout;
mod code;
mod comments;
mod document;
mod embed;
mod format;
mod headings;
mod math;
mod nesting;
mod plain;
mod references;
mod rewrite;
mod sanitize;
mod section;
mod text;
mod transclude;

use comrak::Options;

pub(crate) use embed::drawing_missing_html;
pub use references::{Reference, ReferenceKind, references};
pub(crate) use rewrite::push_unique;

use crate::limits::{Exceeded, PublishLimits};

/// Answers the renderer's questions about the rest of the publication.
///
/// The renderer never computes a URL itself: routes depend on the whole live set of pages
/// (§6.2), which only the caller knows. A resolver built on [`LinkIndex`](crate::LinkIndex) and
/// [`page_href`](crate::page_href) gives percent-encoded hrefs whose fragments are the ids
/// [`render`] gives headings.
pub trait Resolver {
    /// A wikilink / .md link target → the page's URL path + fragment, or None when unresolved.
    ///
    /// `target` is the link's target as written (percent-decoded for Markdown links), without the
    /// subpath; it is empty for `[[#Heading]]`. `subpath` is what followed the first `#`.
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String>;

    /// An embed or image target → the URL of the published asset, or None when absent.
    fn asset_href(&self, target: &str) -> Option<String>;

    /// What is known of the image at `href` (a URL [`asset_href`](Resolver::asset_href) gave):
    /// its size and its smaller variants, so that its `<img>` gets `width`/`height` (no layout
    /// shift) and a `srcset` a reader's screen picks from. None: the image is shown as it is.
    fn image_source(&self, href: &str) -> Option<ImageSource> {
        let _ = href;
        None
    }

    /// The note a `![[target]]` embed names, to transclude it; None renders the embed as a link.
    ///
    /// `target` is as for [`page_href`](Resolver::page_href), without the subpath (the renderer
    /// cuts the heading's section or the block out itself). An empty target names the current
    /// note: answering it lets a note that embeds itself be caught one level earlier.
    fn note_markdown(&self, target: &str) -> Option<Transclusion> {
        let _ = target;
        None
    }

    /// A link written inside an embedded note, `source` being that note's
    /// [`Transclusion::key`]: resolved from the source note, as Obsidian does (a relative
    /// target is relative to the source's folder). The renderer answers `[[#Heading]]` inside
    /// embedded content itself, with the embed's href. Defaults to
    /// [`page_href`](Resolver::page_href).
    fn page_href_from(&self, source: &str, target: &str, subpath: Option<&str>) -> Option<String> {
        let _ = source;
        self.page_href(target, subpath)
    }

    /// An embed written inside an embedded note `source`, resolved from that note. Defaults to
    /// [`note_markdown`](Resolver::note_markdown).
    fn note_markdown_from(&self, source: &str, target: &str) -> Option<Transclusion> {
        let _ = source;
        self.note_markdown(target)
    }

    /// The URL of the page that lists the notes tagged `tag` (`Project/Alpha`, without `#`, as
    /// the writer spelled it), or None to show the tag as plain text. Defaults to the tag's one
    /// canonical URL, [`vps_core::slug::tag_href`] (`#Tag`, `#TAG` and `#tag` →
    /// `/tags/tag`; `#Été/X` → `/tags/%C3%A9t%C3%A9/x`).
    fn tag_href(&self, tag: &str) -> Option<String> {
        Some(vps_core::slug::tag_href(tag))
    }
}

/// A published raster image, as pages offer it ([`Resolver::image_source`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSource {
    /// Its width as displayed, in pixels.
    pub width: u32,
    /// Its height as displayed, in pixels.
    pub height: u32,
    /// Its variants, narrowest first: URL and width in pixels (each narrower than the image).
    /// The original is the widest candidate of the `srcset`; empty: no `srcset`.
    pub variants: Vec<(String, u32)>,
}

/// A note to transclude, as the [`Resolver`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transclusion {
    /// The note's Markdown, after cleanup rules, frontmatter already removed.
    pub markdown: String,
    /// The note's page URL as written into HTML (percent-encoded, as
    /// [`page_href`](crate::page_href) gives it without a subpath). The embed links to it, and a
    /// `[[#Heading]]` written inside the embedded note becomes this URL + `#` + the heading's
    /// fragment: the heading is on the note's own page.
    pub href: String,
    /// A stable identity of the note (its vault path, say), for cycle detection.
    pub key: String,
}

/// Settings that change how a note renders.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions<'a> {
    /// Tags to remove from the text (`ignoredTags` of the session), with or without `#`.
    /// Matching folds accents and case; ignoring `private` also removes `#private/diary`.
    pub ignored_tags: &'a [String],
    /// The bounds of nesting and transclusion ([`try_render`] fails past them).
    pub limits: PublishLimits,
}

/// A heading of the rendered page, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// The heading's text, without markup.
    pub text: String,
    /// Its `id` attribute: [`vps_core::slug::heading_id`] of the text, made unique on the page
    /// with `-1`, `-2`. Plain Unicode (`見出し`); links to it carry it percent-encoded.
    pub id: String,
    /// Where its text starts in [`Rendered::text`] (a byte offset): its section follows it.
    pub offset: usize,
}

/// A rendered note. Every list is in document order, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised HTML.
    pub html: String,
    /// The page's own headings (not those of embedded notes), with the ids they carry in `html`.
    pub headings: Vec<Heading>,
    /// Hrefs of the links that resolved to pages (or to assets, for `[[file.pdf]]`), those of
    /// embedded notes included.
    pub links: Vec<String>,
    /// Targets of the links that did not resolve.
    pub unresolved: Vec<String>,
    /// Asset targets referenced by embeds and images, whether or not the resolver knew them.
    pub assets: Vec<String>,
    /// Tags found in the text, without `#`, as the writer spelled them (`Tag` and `tag` are two
    /// entries; [`vps_core::slug::tag_key`] makes them one tag), ignored tags excluded.
    pub tags: Vec<String>,
    /// The page's text without markup, whitespace collapsed: for search indexes and
    /// descriptions. Embedded notes, raw HTML and comments are left out.
    pub text: String,
    /// Block ids (`^id` markers) of the page, without `^`; each is the `id="^…"` of a paragraph,
    /// list item or anchor in `html`.
    pub block_ids: Vec<String>,
}

/// Renders one note's Markdown (after cleanup rules) to sanitised HTML.
///
/// ```
/// use vps_render::{RenderOptions, Resolver, render};
///
/// struct NoPages;
/// impl Resolver for NoPages {
///     fn page_href(&self, _: &str, _: Option<&str>) -> Option<String> { None }
///     fn asset_href(&self, _: &str) -> Option<String> { None }
/// }
///
/// let page = render("# Hi\n\n[[Missing]] <script>x()</script>", &NoPages, &RenderOptions::default());
/// assert!(page.html.contains(r#"<h1 id="hi">Hi</h1>"#));
/// assert!(page.html.contains(r#"<span class="wikilink wikilink-unresolved">Missing</span>"#));
/// assert!(!page.html.contains("script"));
/// assert_eq!(page.unresolved, ["Missing"]);
/// ```
///
/// A note over one of the [`PublishLimits`] of `options` renders as a paragraph that says
/// which; [`try_render`] returns the limit instead.
pub fn render(markdown: &str, resolver: &dyn Resolver, options: &RenderOptions<'_>) -> Rendered {
    try_render(markdown, resolver, options).unwrap_or_else(|exceeded| Rendered {
        html: format!(
            "<p class=\"render-error\">This note cannot be shown: {}.</p>\n",
            escape_html(&exceeded.to_string())
        ),
        ..Rendered::default()
    })
}

/// [`render`], or the limit of `options.limits` the note exceeds: its nesting
/// (`MAX_NESTING_DEPTH`, measured before parsing) or the Markdown of the notes it transcludes
/// (`MAX_TRANSCLUSION_BYTES`, counted as each embed is expanded).
///
/// ```
/// use vps_render::{PublishLimits, RenderOptions, Resolver, try_render};
///
/// struct NoPages;
/// impl Resolver for NoPages {
///     fn page_href(&self, _: &str, _: Option<&str>) -> Option<String> { None }
///     fn asset_href(&self, _: &str) -> Option<String> { None }
/// }
///
/// let quotes = ">".repeat(100_000);
/// let error = try_render(&quotes, &NoPages, &RenderOptions::default()).unwrap_err();
/// assert_eq!(error.setting, "MAX_NESTING_DEPTH");
/// assert_eq!(error.limit, PublishLimits::default().max_nesting_depth as u64);
/// ```
pub fn try_render(markdown: &str, resolver: &dyn Resolver, options: &RenderOptions<'_>) -> Result<Rendered, Exceeded> {
    let mut session = document::Session::new(resolver, options);
    let page = document::render_document(&mut session, markdown, 0, None)?;
    Ok(Rendered {
        html: sanitize::clean(&page.html),
        headings: page.headings,
        links: page.refs.links,
        unresolved: page.refs.unresolved,
        assets: page.refs.assets,
        tags: page.refs.tags,
        text: page.text,
        block_ids: page.block_ids,
    })
}

/// Renders several Markdown documents as one page (the cards of a canvas, [`crate::canvas`]):
/// one session for all (heading ids unique across them, one transclusion budget, one embed
/// stack), each part's HTML sanitised on its own. The [`Rendered`] holds what they found
/// together (its `html` empty); its text is the parts' texts joined by spaces. Each part comes
/// back as its HTML and a short name: its first heading's text, else its text.
pub(crate) fn try_render_parts(
    parts: &[String],
    resolver: &dyn Resolver,
    options: &RenderOptions<'_>,
) -> Result<(Vec<(String, String)>, Rendered), Exceeded> {
    let mut session = document::Session::new(resolver, options);
    let mut all = Rendered::default();
    let mut html = Vec::with_capacity(parts.len());
    for part in parts {
        let page = document::render_document(&mut session, part, 0, None)?;
        let name = page.headings.first().map_or_else(|| page.text.clone(), |heading| heading.text.clone());
        html.push((sanitize::clean(&page.html), name));
        if !page.text.is_empty() {
            if !all.text.is_empty() {
                all.text.push(' ');
            }
            let start = all.text.len();
            all.text.push_str(&page.text);
            all.headings
                .extend(page.headings.into_iter().map(|heading| Heading { offset: heading.offset + start, ..heading }));
        }
        for (list, found) in [
            (&mut all.links, page.refs.links),
            (&mut all.unresolved, page.refs.unresolved),
            (&mut all.assets, page.refs.assets),
            (&mut all.tags, page.refs.tags),
            (&mut all.block_ids, page.block_ids),
        ] {
            for value in &found {
                push_unique(list, value);
            }
        }
    }
    Ok((html, all))
}

fn comrak_options() -> Options<'static> {
    let mut options = Options::default();
    options.extension.strikethrough = true;
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.inline_footnotes = true;
    options.extension.wikilinks_title_after_pipe = true;
    options.extension.highlight = true;
    options.extension.math_dollars = true;
    options.extension.ofm_callouts = true;
    // Raw HTML is kept, then sanitised: notes legitimately use <details>, <kbd>, <mark>…
    options.render.r#unsafe = true;
    options.render.tasklist_classes = true;
    options
}

/// HTML escaping is the workspace's one rule, `vps_core::html::escape`.
pub(crate) use vps_core::html::escape as escape_html;

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Pages and assets known by name; `[[Note#Sub]]` gives `/route#sub-slug`.
    #[derive(Default)]
    pub(crate) struct MapResolver {
        pub(crate) pages: HashMap<&'static str, &'static str>,
        pub(crate) assets: HashMap<&'static str, &'static str>,
    }

    impl MapResolver {
        pub(crate) fn new() -> MapResolver {
            MapResolver {
                pages: HashMap::from([
                    ("Note", "/notes/note"),
                    ("Other Note.md", "/notes/other-note"),
                    ("", "/notes/current"),
                ]),
                assets: HashMap::from([
                    ("img.png", "/assets/img.png"),
                    ("pics/photo one.jpg", "/assets/pics/photo%20one.jpg"),
                    ("song.mp3", "/assets/song.mp3"),
                    ("clip.mp4", "/assets/clip.mp4"),
                    ("doc.pdf", "/assets/doc.pdf"),
                ]),
            }
        }
    }

    impl Resolver for MapResolver {
        fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
            let route = self.pages.get(target)?;
            Some(match subpath {
                Some(sub) => format!("{route}#{}", crate::fragment(sub)),
                None => (*route).to_owned(),
            })
        }

        fn asset_href(&self, target: &str) -> Option<String> {
            self.assets.get(target).map(|s| (*s).to_owned())
        }
    }

    pub(crate) fn html(markdown: &str) -> String {
        render(markdown, &MapResolver::new(), &RenderOptions::default()).html
    }

    #[test]
    fn paragraphs_emphasis_and_strikethrough_render() {
        let out = html("Some *soft* **bold** ~~gone~~ text");
        assert_eq!(out, "<p>Some <em>soft</em> <strong>bold</strong> <del>gone</del> text</p>\n");
    }

    #[test]
    fn gfm_tables_keep_alignment() {
        let out = html("| a | b |\n|:--|--:|\n| 1 | 2 |");
        assert!(out.contains(r#"<th align="left">a</th>"#), "{out}");
        assert!(out.contains(r#"<td align="right">2</td>"#), "{out}");
    }

    #[test]
    fn task_lists_render_disabled_checkboxes_in_a_stable_attribute_order() {
        let out = html("- [ ] todo\n- [x] done");
        assert_eq!(
            out,
            "<ul class=\"contains-task-list\">\n\
             <li class=\"task-list-item\"><input class=\"task-list-item-checkbox\" disabled=\"\" type=\"checkbox\"> todo</li>\n\
             <li class=\"task-list-item\"><input class=\"task-list-item-checkbox\" checked=\"\" disabled=\"\" type=\"checkbox\"> \
             done</li>\n\
             </ul>\n"
        );
    }

    #[test]
    fn bare_urls_become_links() {
        let out = html("see www.example.com and https://example.org/x");
        assert!(
            out.contains(r#"<a href="http://www.example.com" rel="noopener noreferrer">www.example.com</a>"#),
            "{out}"
        );
        assert!(out.contains(r#"<a href="https://example.org/x" rel="noopener noreferrer">"#), "{out}");
    }

    #[test]
    fn footnotes_render_with_their_back_references() {
        let out = html("Claim[^1].\n\n[^1]: Source.");
        assert!(out.contains(r##"<sup class="footnote-ref"><a href="#fn-1" id="fnref-1" data-footnote-ref"##), "{out}");
        assert!(out.contains(r#"<section class="footnotes" data-footnotes="">"#), "{out}");
        assert!(out.contains(r#"<li id="fn-1">"#), "{out}");
        assert!(out.contains(r#"class="footnote-backref""#), "{out}");
    }

    #[test]
    fn headings_get_slug_ids_made_unique_and_are_listed() {
        let page =
            render("# Été à Paris\n## Intro\n## Intro\n## Intro", &MapResolver::new(), &RenderOptions::default());
        assert!(page.html.contains(r#"<h1 id="ete-a-paris">Été à Paris</h1>"#), "{}", page.html);
        assert!(page.html.contains(r#"<h2 id="intro-1">Intro</h2>"#), "{}", page.html);
        let ids: Vec<_> = page.headings.iter().map(|h| (h.level, h.id.as_str())).collect();
        assert_eq!(ids, [(1, "ete-a-paris"), (2, "intro"), (2, "intro-1"), (2, "intro-2")]);
        assert_eq!(page.headings[0].text, "Été à Paris");
    }

    #[test]
    fn heading_ids_include_link_labels_and_survive_odd_text() {
        let page = render(
            "## See [[Note|the note]]\n## 日本語\n## !!!\n## ???",
            &MapResolver::new(),
            &RenderOptions::default(),
        );
        let ids: Vec<_> = page.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["see-the-note", "日本語", "heading", "heading-1"]);
    }

    #[test]
    fn raw_html_that_is_safe_is_kept() {
        let out = html(
            "<details><summary>More</summary>Press <kbd>Ctrl</kbd>, H<sub>2</sub>O, x<sup>2</sup>, <mark>hi</mark></details>",
        );
        for tag in [
            "<details>",
            "<summary>More</summary>",
            "<kbd>Ctrl</kbd>",
            "<sub>2</sub>",
            "<sup>2</sup>",
            "<mark>hi</mark>",
        ] {
            assert!(out.contains(tag), "{tag} missing from {out}");
        }
    }

    #[test]
    fn code_blocks_keep_their_language_class_and_escape_content() {
        let out = html("```rust\nlet x = \"<b>\";\n```");
        assert!(out.starts_with(r#"<pre><code class="language-rust"><span class="hl-source hl-rust">"#), "{out}");
        assert!(out.contains(r#"<span class="hl-storage hl-type hl-rust">let</span> x"#), "{out}");
        assert!(out.contains("&lt;b&gt;"), "{out}");
    }

    fn nesting_error(markdown: &str) -> Option<Exceeded> {
        try_render(markdown, &MapResolver::new(), &RenderOptions::default()).err()
    }

    #[test]
    fn a_note_of_100000_nested_quotes_lists_or_callouts_fails_with_the_nesting_limit() {
        let inputs = [
            ">".repeat(100_000),
            "> ".repeat(100_000) + "x",
            "- ".repeat(100_000) + "x",
            "> [!note]\n".to_owned() + &"> ".repeat(100_000),
            (0..2_000).map(|i| format!("{}- item\n", "  ".repeat(i))).collect::<String>(),
            (0..2_000).map(|i| format!("{}> [!note] level {i}\n", "> ".repeat(i))).collect::<String>(),
        ];
        for input in &inputs {
            let error = nesting_error(input).unwrap_or_else(|| panic!("rendered {}…", &input[..40]));
            assert_eq!(error.setting, "MAX_NESTING_DEPTH");
            assert_eq!(error.limit, 64);
        }
    }

    #[test]
    fn deeply_nested_inlines_and_raw_html_do_not_overflow_the_stack() {
        let inputs = [
            format!("{}a{}", "*".repeat(100_000), "*".repeat(100_000)),
            format!("{}a{}", "_".repeat(50_000), "_".repeat(50_000)),
            // These three take time quadratic in their length (comrak's brackets, html5ever's
            // open elements): smaller, and still far deeper than any stack allows recursion.
            "[".repeat(20_000) + "a" + &"](x)".repeat(20_000),
            "<div>".repeat(20_000),
            "[[".repeat(10_000) + "a" + &"]]".repeat(10_000),
            "<span>".repeat(100_000) + "x",
            "<b><i>".repeat(50_000),
            "`".repeat(100_000),
            "~~".repeat(50_000) + "a" + &"~~".repeat(50_000),
            "==".repeat(50_000) + "a" + &"==".repeat(50_000),
            "^[".repeat(50_000) + "a" + &"]".repeat(50_000),
            "$".repeat(100_000),
            "![[".repeat(10_000) + "Note" + &"]]".repeat(10_000),
        ];
        for input in &inputs {
            // Either rendered or refused: what matters is that the thread survives.
            let _ = nesting_error(input);
        }
    }

    #[test]
    fn ordinary_nesting_renders() {
        assert!(nesting_error("> quote\n> - item\n>   - sub\n>     > [!tip] deep\n>     > *a **b [c](d)***").is_none());
    }

    #[test]
    fn escape_html_covers_quotes_and_markup() {
        assert_eq!(escape_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
