//! Turning a published note into a page: its URL, its cleaned Markdown, its links and its HTML.
//! Pure functions; nothing here does I/O.
//!
//! The rules are those of the plugin protocol (`plugin-protocol.md` §5.4 and §7), so that URLs
//! and anchors match what the reference server publishes:
//!
//! - [`assign`]: the route of every note of a publication, stable when other notes come and
//!   go (collisions get a hash of the vault path), and the redirects from routes that moved.
//! - [`compute_route`]: where a note is published (§7.2). Names become route segments, heading
//!   ids and tag URLs by the one slug module, [`vps_core::slug`] (every script kept); routes are
//!   plain Unicode (NFC), and every href this crate writes is percent-encoded UTF-8.
//! - [`apply_cleanup_rules`]: the user's JavaScript-flavoured regex rules ([`CleanupRule`]),
//!   failing with a typed [`CleanupError`] instead of hanging (§5.4).
//! - [`LinkIndex`]: which [`PageRef`] a wikilink names; [`split_wikilink`], [`fragment`] and
//!   [`page_href`] build the link (§7.4).
//! - [`render`]: Markdown to sanitised HTML, asking a [`Resolver`] for every URL (and for the
//!   notes to transclude, [`Transclusion`]), and returning the headings, links, assets, tags,
//!   block ids and plain text it found ([`Rendered`]). Callouts, math (as MathML) and code
//!   highlighting are done on the server; the HTML needs no script.
//! - [`references`]: every wikilink, embed, Markdown link and image (and `<img>`/`<a>` in raw
//!   HTML) a note refers to ([`Reference`]), found on the renderer's own parse: what is in code,
//!   math or `%%comments%%` is not a reference, exactly as it is not a link on the page.
//! - [`AttachmentIndex`]: which file an embed or image means, in Obsidian's order (next to the
//!   note, then the vault path, then by name with the fewest folders); the publisher, the server
//!   and the tests all resolve with it.
//! - [`drawing_exports`]: the image an Excalidraw drawing (`![[Drawing.excalidraw]]`) is shown
//!   by, the SVG or PNG the plugin exports beside it; [`drawing_page_markdown`]: what a drawing's
//!   own note (`Drawing.excalidraw.md`) is rendered from instead of its compressed JSON.
//! - [`Canvas`]: a `.canvas` file (JSON Canvas 1.0) parsed within bounds, its page
//!   ([`render_canvas`]) and the Markdown its embed transcludes ([`Canvas::markdown`]).
//! - [`PageMeta`]: the frontmatter properties a page uses (title, tags, cover image, `publish`…).
//! - [`PublishLimits`]: the bounds of a publish (depths, sizes, times); a note over one fails
//!   with a [`LimitError`] that names it and the setting ([`try_render`], [`CompiledRules`]).
//!
//! ```
//! use vps_render::{LinkIndex, PageRef, RenderOptions, Resolver, compute_route, page_href, render};
//!
//! let pages: Vec<PageRef> = ["Sub Dir/Été Spécial.md", "ノート/はじめに.md"]
//!     .into_iter()
//!     .map(|path| PageRef {
//!         vault_path: format!("Blog/{path}"),
//!         relative_path: path.into(),
//!         title: path.rsplit('/').next().unwrap().trim_end_matches(".md").into(),
//!         aliases: vec![],
//!         route: compute_route("/blog", path, false),
//!     })
//!     .collect();
//! assert_eq!(pages[0].route, "/blog/sub-dir/ete-special");
//! assert_eq!(pages[1].route, "/blog/ノート/はじめに");
//!
//! /// Resolves links from one page of the publication; no assets are published.
//! struct Site<'a> {
//!     index: LinkIndex<'a>,
//!     current: &'a PageRef,
//! }
//!
//! impl Resolver for Site<'_> {
//!     fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
//!         let page = self.index.resolve(self.current, target)?;
//!         Some(page_href(page, subpath))
//!     }
//!     fn asset_href(&self, _target: &str) -> Option<String> {
//!         None
//!     }
//! }
//!
//! let site = Site { index: LinkIndex::new(&pages), current: &pages[0] };
//! let page = render("See [[ete special#Le Début|the start]].", &site, &RenderOptions::default());
//! assert_eq!(
//!     page.html,
//!     "<p>See <a class=\"wikilink\" href=\"/blog/sub-dir/ete-special#le-debut\" \
//!      rel=\"noopener noreferrer\">the start</a>.</p>\n"
//! );
//!
//! // Unicode routes and heading ids are written percent-encoded; the heading's id is the
//! // link's fragment, decoded.
//! let page = render("# 見出し\n\n[[はじめに#見出し]]", &site, &RenderOptions::default());
//! assert!(page.html.contains("<h1 id=\"見出し\">見出し</h1>"), "{}", page.html);
//! assert_eq!(
//!     page.links,
//!     ["/blog/%E3%83%8E%E3%83%BC%E3%83%88/%E3%81%AF%E3%81%98%E3%82%81%E3%81%AB#%E8%A6%8B%E5%87%BA%E3%81%97"]
//! );
//! ```

#![warn(missing_docs)]

pub mod assign;
mod attachments;
mod callout_css;
pub mod canvas;
mod cleanup;
mod drawing;
mod limits;
mod links;
mod markdown;
mod meta;
mod routing;

pub use attachments::AttachmentIndex;
pub use callout_css::{callout_icon_url, sanitize_callout_css};
pub use canvas::{Canvas, CanvasError, is_canvas, render_canvas};
pub use cleanup::{CleanupBudget, CleanupError, CleanupRule, CompiledRules, apply_cleanup_rules};
pub use drawing::{drawing_exports, drawing_page_markdown, is_drawing, is_drawing_note};
pub use limits::{Exceeded, LimitError, PublishLimits, folder_depth, tag_depth};
pub use links::{LinkIndex, PageRef, WikiTarget, fragment, page_href, split_wikilink};
pub use markdown::{
    Heading, ImageSource, Reference, ReferenceKind, RenderOptions, Rendered, Resolver, Transclusion, references,
    render, try_render,
};
pub use meta::{MAX_PROPERTY_CHARS, MAX_SHOWN_PROPERTIES, PageMeta, shown_properties};
pub use routing::{alias_route, compute_route, normalize_route_base};
