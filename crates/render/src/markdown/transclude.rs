//! Note embeds: `![[Note]]`, `![[Note#Heading]]` and `![[Note#^block]]` show the note (or that
//! part of it) inside the page, rendered by the same pipeline.
//!
//! ```html
//! <div class="markdown-embed" data-href="/notes/note#part">
//! <div class="markdown-embed-title"><a class="markdown-embed-link" href="/notes/note#part">Note#Part</a></div>
//! <div class="markdown-embed-content">…</div>
//! </div>
//! ```
//!
//! Embeds nest up to `MAX_TRANSCLUSION_DEPTH` levels; deeper ones are plain links. Every embed
//! is charged to the page's [`TransclusionBudget`] when it is requested, before it is rendered,
//! so that notes embedding notes many times over (120 × 120 × 120) fail at
//! `MAX_TRANSCLUSION_BYTES` instead of multiplying. A note (or section)
//! that is already being shown further up renders a visible "embed cycle" notice instead of
//! recursing. Embedded headings continue the page's set of ids (so ids never collide), embedded
//! footnotes get ids of their own, and embedded block markers are hidden without ids. Links
//! and assets of embedded notes count as the page's; their tags and headings do not.
//!
//! Links and embeds written inside an embedded note are resolved from that note, as Obsidian
//! does: through [`Resolver::page_href_from`] and [`Resolver::note_markdown_from`] with the
//! note's [`Transclusion::key`], and `[[#Heading]]` becomes the note's own
//! [`Transclusion::href`] with the heading's fragment (the heading is on that page; its copy
//! in the embed may carry a suffixed id).

use std::cell::Cell;

use super::Transclusion;
use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Node};

use crate::limits::{Exceeded, PublishLimits};

use super::document::{self, Session};
use super::escape_html;
use super::rewrite::{References, push_unique};
use super::section;
use crate::links::{WikiTarget, with_fragment};

/// What one embed adds to a page besides its note's Markdown: the markup around it (two links
/// to the note, the wrapper elements), counted so that many embeds of an empty note still add up.
const EMBED_OVERHEAD: usize = 256;

/// The transclusion limits of one page, with what its embeds have used so far.
#[derive(Debug)]
pub(super) struct TransclusionBudget {
    max_depth: usize,
    max_bytes: usize,
    used: Cell<usize>,
}

impl TransclusionBudget {
    pub(super) fn new(limits: &PublishLimits) -> TransclusionBudget {
        TransclusionBudget {
            max_depth: limits.max_transclusion_depth,
            max_bytes: limits.max_transclusion_bytes,
            used: Cell::new(0),
        }
    }

    /// How many levels of embeds inside embeds are rendered.
    pub(super) fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Counts one embed's bytes; the error when the page's embeds go over the limit.
    pub(super) fn charge(&self, request: &EmbedRequest) -> Result<(), Exceeded> {
        let used = self.used.get().saturating_add(request.markdown.len() + EMBED_OVERHEAD);
        self.used.set(used);
        if used > self.max_bytes {
            return Err(Exceeded::new("the notes it transcludes", "MAX_TRANSCLUSION_BYTES", self.max_bytes));
        }
        Ok(())
    }
}

/// An embed the resolver could answer, with the part of the note it shows.
#[derive(Debug)]
pub(super) struct EmbedRequest {
    /// The embed's label: the target as written, or its alias.
    label: String,
    /// Where the embed links to: the note's page, with the fragment of the subpath.
    href: String,
    /// The note's page ([`Transclusion::href`]), for `[[#Heading]]` inside it.
    page: String,
    key: String,
    subpath: Option<String>,
    markdown: String,
}

/// The notes (and sections) being rendered, outermost first.
#[derive(Debug, Default)]
pub(super) struct EmbedStack {
    open: Vec<(String, Option<String>)>,
    /// Whether the page itself has been put at the bottom of `open`.
    seeded: bool,
    /// Embeds rendered so far on the page, to give each one's footnotes their own ids.
    count: usize,
}

/// The embedded note whose Markdown is being rendered (not the page itself).
#[derive(Debug, Clone, Copy)]
pub(super) struct Source<'s> {
    /// Its [`Transclusion::key`], for the resolver.
    pub(super) key: &'s str,
    /// Its page's URL, [`Transclusion::href`].
    pub(super) href: &'s str,
}

/// What `![[link]]` would show of `note` (as the resolver found it), or None when the note has
/// no such section (the caller then writes a link). `href` is the link the resolver gave.
pub(super) fn request(note: Transclusion, link: &WikiTarget, href: Option<&str>) -> Option<EmbedRequest> {
    let markdown = match &link.subpath {
        Some(subpath) => section::extract(&note.markdown, subpath)?,
        None => note.markdown,
    };
    let href = href.map_or_else(|| with_fragment(&note.href, link.subpath.as_deref()), str::to_owned);
    Some(EmbedRequest {
        label: link.label(),
        href,
        page: note.href,
        key: note.key,
        subpath: link.subpath.clone(),
        markdown,
    })
}

impl EmbedRequest {
    pub(super) fn href(&self) -> &str {
        &self.href
    }
}

/// The HTML of one embed found at nesting `depth`; its links and assets are added to `refs`.
pub(super) fn render(
    session: &mut Session<'_>,
    request: &EmbedRequest,
    depth: usize,
    refs: &mut References,
) -> Result<String, Exceeded> {
    if !session.embeds.seeded {
        session.embeds.seeded = true;
        if let Some(page) = session.resolver.note_markdown("") {
            session.embeds.open.push((page.key, None));
        }
    }
    let href = escape_html(&request.href);
    let link = format!(r#"<a class="markdown-embed-link" href="{href}">{}</a>"#, escape_html(&request.label));
    let identity = (request.key.clone(), request.subpath.clone());
    if session.embeds.open.contains(&identity) {
        return Ok(format!(
            "<div class=\"markdown-embed markdown-embed-cycle\" data-href=\"{href}\">\
             <p>Embed cycle: {link} is already shown above.</p></div>"
        ));
    }
    session.embeds.open.push(identity);
    session.embeds.count += 1;
    let number = session.embeds.count;
    let source = Source { key: &request.key, href: &request.page };
    let inner = document::render_document(session, &request.markdown, depth + 1, Some(source));
    session.embeds.open.pop();
    let inner = inner?;

    for (list, found) in [
        (&mut refs.links, &inner.refs.links),
        (&mut refs.unresolved, &inner.refs.unresolved),
        (&mut refs.assets, &inner.refs.assets),
    ] {
        for value in found {
            push_unique(list, value);
        }
    }
    Ok(format!(
        "<div class=\"markdown-embed\" data-href=\"{href}\">\n\
         <div class=\"markdown-embed-title\">{link}</div>\n\
         <div class=\"markdown-embed-content\">\n{}</div>\n</div>",
        prefix_footnote_ids(&inner.html, number)
    ))
}

/// Makes a block of the embed `node` when it sits in a paragraph: the paragraph is split around
/// it, and parts left with nothing but blanks are dropped. Embeds elsewhere (table cells,
/// headings, callout titles) stay inline.
pub(super) fn place_as_block<'a>(arena: &'a Arena<'a>, node: Node<'a>) -> bool {
    let Some(paragraph) = node.parent().filter(|p| matches!(p.data().value, NodeValue::Paragraph)) else {
        return false;
    };
    if paragraph.parent().is_some_and(|p| matches!(p.data().value, NodeValue::CalloutTitle)) {
        return false;
    }
    let after: Vec<Node<'a>> = node.following_siblings().skip(1).collect();
    if after.iter().any(|n| !is_blank(n)) {
        let rest = arena.alloc(AstNode::from(NodeValue::Paragraph));
        paragraph.insert_after(rest);
        for sibling in after {
            rest.append(sibling);
        }
        trim_edge(rest, false);
    } else {
        after.iter().for_each(|n| n.detach());
    }
    paragraph.insert_after(node);
    trim_edge(paragraph, true);
    if paragraph.children().all(is_blank) {
        paragraph.detach();
    }
    true
}

fn is_blank(node: Node<'_>) -> bool {
    match &node.data().value {
        NodeValue::Text(text) => text.trim().is_empty(),
        NodeValue::SoftBreak | NodeValue::LineBreak => true,
        _ => false,
    }
}

/// Removes blank nodes and whitespace at the end (or start) of a paragraph that was split.
fn trim_edge(paragraph: Node<'_>, end: bool) {
    loop {
        let Some(edge) = (if end { paragraph.last_child() } else { paragraph.first_child() }) else { return };
        if is_blank(edge) {
            edge.detach();
            continue;
        }
        if let NodeValue::Text(text) = &mut edge.data_mut().value {
            *text = if end { text.trim_end() } else { text.trim_start() }.to_owned().into();
        }
        return;
    }
}

/// comrak numbers every document's footnotes from `fn-1`; those of embed `n` become
/// `e<n>-fn-1` so that they do not clash with the page's.
fn prefix_footnote_ids(html: &str, n: usize) -> String {
    if !html.contains("fn") {
        return html.to_owned();
    }
    html.replace("href=\"#fn", &format!("href=\"#e{n}-fn")).replace("id=\"fn", &format!("id=\"e{n}-fn"))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::super::{RenderOptions, Resolver, render};
    use super::*;

    /// The page `Current.md` embeds `Dir/Other.md`, which links to its sibling `Dir/Sibling.md`
    /// and embeds `Dir/Child.md`; neither is reachable by name from the page itself, only from
    /// `Other`. Records the sources it is asked about.
    #[derive(Default)]
    struct FromSource {
        asked: RefCell<Vec<(String, String)>>,
    }

    impl FromSource {
        fn note(key: &str, href: &str, markdown: &str) -> Transclusion {
            Transclusion { markdown: markdown.to_owned(), href: href.to_owned(), key: key.to_owned() }
        }
    }

    impl Resolver for FromSource {
        fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
            let route = match target {
                "" => "/current",
                "Other" => "/other",
                _ => return None,
            };
            Some(with_fragment(route, subpath))
        }

        fn asset_href(&self, _: &str) -> Option<String> {
            None
        }

        fn note_markdown(&self, target: &str) -> Option<Transclusion> {
            match target {
                "" => Some(Self::note("Current.md", "/current", "# Current\n")),
                "Other" => Some(Self::note(
                    "Dir/Other.md",
                    "/other",
                    "# Other\n\n## Part\n\nSee [[#Section]], [[#見出し|midashi]] and [[Sibling]].\n\n![[Child]]\n\n\
                     ## Section\n\nThe section.\n\n## 見出し\n\nJapanese.\n",
                )),
                _ => None,
            }
        }

        fn page_href_from(&self, source: &str, target: &str, subpath: Option<&str>) -> Option<String> {
            self.asked.borrow_mut().push((source.to_owned(), target.to_owned()));
            match (source, target) {
                ("Dir/Other.md", "Sibling") => Some(with_fragment("/dir/sibling", subpath)),
                _ => self.page_href(target, subpath),
            }
        }

        fn note_markdown_from(&self, source: &str, target: &str) -> Option<Transclusion> {
            self.asked.borrow_mut().push((source.to_owned(), target.to_owned()));
            match (source, target) {
                ("Dir/Other.md", "Child") => {
                    Some(Self::note("Dir/Child.md", "/dir/child", "Child text, back to [[#Top]].\n\n# Top\n"))
                }
                _ => self.note_markdown(target),
            }
        }
    }

    #[test]
    fn heading_links_inside_an_embed_point_at_the_embedded_notes_page() {
        let resolver = FromSource::default();
        let page = render("![[Other#Part]]\n\n## Section\n\n[[#Section]]", &resolver, &RenderOptions::default());
        assert!(page.html.contains(r#"href="/other#section""#), "{}", page.html);
        assert!(page.html.contains(r#"href="/other#%E8%A6%8B%E5%87%BA%E3%81%97""#), "{}", page.html);
        // The page's own `[[#Section]]` stays on the page, where its own heading is.
        assert!(page.html.contains(r#"<h2 id="section">Section</h2>"#), "{}", page.html);
        assert!(page.html.contains(r#"href="/current#section""#), "{}", page.html);
        assert_eq!(page.links.iter().filter(|l| l.starts_with("/current")).count(), 1, "{:?}", page.links);
    }

    #[test]
    fn links_and_embeds_inside_an_embed_are_resolved_from_its_note() {
        let resolver = FromSource::default();
        let page = render("![[Other#Part]]", &resolver, &RenderOptions::default());
        assert!(page.html.contains(r#"href="/dir/sibling""#), "{}", page.html);
        assert!(page.html.contains("Child text"), "the nested embed is found from Other: {}", page.html);
        // `[[#Top]]` inside the nested embed is Child's heading, on Child's page.
        assert!(page.html.contains(r#"href="/dir/child#top""#), "{}", page.html);
        assert!(page.unresolved.is_empty(), "{:?}", page.unresolved);
        let asked = resolver.asked.borrow();
        assert!(asked.contains(&("Dir/Other.md".to_owned(), "Sibling".to_owned())), "{asked:?}");
        assert!(asked.contains(&("Dir/Other.md".to_owned(), "Child".to_owned())), "{asked:?}");
        assert!(asked.iter().all(|(_, target)| !target.is_empty()), "`[[#…]]` is answered by the renderer: {asked:?}");
    }

    #[test]
    fn footnote_ids_of_embeds_are_prefixed() {
        let html = r##"<a href="#fn-1" id="fnref-1">1</a><li id="fn-1"><a href="#fnref-1">↩</a></li>"##;
        assert_eq!(
            prefix_footnote_ids(html, 2),
            r##"<a href="#e2-fn-1" id="e2-fnref-1">1</a><li id="e2-fn-1"><a href="#e2-fnref-1">↩</a></li>"##
        );
    }
}
