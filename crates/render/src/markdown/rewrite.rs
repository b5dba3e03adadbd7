//! The pass over comrak's tree that turns Obsidian syntax into our markup.
//!
//! Replacement markup is inserted as raw HTML nodes around ordinary text nodes (a link's label
//! stays a text node), so that comrak still escapes every label and heading ids still see the
//! words of the links inside them. Every href and attribute written here is escaped, and the
//! whole page is sanitised afterwards anyway. Note embeds that can be transcluded become empty
//! placeholders, filled once the page's heading ids are known; block ids (`^id`) are taken off
//! the text and recorded for the HTML writer.

use std::collections::HashMap;
use vps_core::url::has_scheme;

use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Node};

use super::blocks;
use super::embed::{self, AssetKind};
use super::format::node_key;
use super::text::{self, IgnoredTags, Segment};
use super::transclude::{self, EmbedRequest, Source, TransclusionBudget};
use super::{ImageSource, Resolver, Transclusion, escape_html};
use crate::limits::Exceeded;
use crate::links::{WikiTarget, split_wikilink, with_fragment};

/// What a page refers to, gathered while rewriting. Lists keep first-seen order, no repeats.
#[derive(Debug, Default)]
pub(super) struct References {
    pub(super) links: Vec<String>,
    pub(super) unresolved: Vec<String>,
    pub(super) assets: Vec<String>,
    pub(super) tags: Vec<String>,
}

/// What the pass leaves for the later steps.
pub(super) struct Rewritten<'a> {
    pub(super) refs: References,
    /// Block ids by [`node_key`] of the paragraph or list item that carries them.
    pub(super) block_ids: HashMap<usize, String>,
    /// Every block id of the document, in order.
    pub(super) block_id_list: Vec<String>,
    pub(super) embeds: Vec<Placeholder<'a>>,
}

/// The raw node an embedded note's HTML goes into.
pub(super) struct Placeholder<'a> {
    pub(super) node: Node<'a>,
    pub(super) request: EmbedRequest,
    /// Whether the embed was alone in its paragraph and replaced it (a block), or sits in text.
    pub(super) block: bool,
}

pub(crate) fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}

/// A node to insert in place of another.
enum Piece {
    Html(String),
    Text(String),
    Embed(Box<EmbedRequest>),
}

/// Rewrites the tree under `root` in place and returns what it refers to. `depth` is the embed
/// nesting level of the document (0 for the page itself) and `source` the embedded note it
/// comes from (None for the page); every note embed found is charged to `budget` as it is
/// requested, and the first one over it is the error.
pub(super) fn rewrite<'a>(
    arena: &'a Arena<'a>,
    root: Node<'a>,
    resolver: &dyn Resolver,
    ignored: &IgnoredTags,
    depth: usize,
    source: Option<Source<'_>>,
    budget: &TransclusionBudget,
) -> Result<Rewritten<'a>, Exceeded> {
    let mut rewriter = Rewriter {
        arena,
        resolver,
        ignored,
        depth,
        source,
        budget,
        exceeded: None,
        refs: References::default(),
        block_ids: HashMap::new(),
        block_id_list: Vec::new(),
        embeds: Vec::new(),
        in_link: false,
        images_shown: 0,
    };
    // An explicit stack instead of recursion: nesting depth is under the note author's control.
    // Children are pushed in reverse so nodes are visited in document order.
    let mut stack = vec![(root, false)];
    while let Some((node, in_link)) = stack.pop() {
        rewriter.in_link = in_link;
        let (action, descend) = classify(node, in_link);
        // Children are taken before the node is rewritten: an unresolved link moves them out.
        let children: Vec<Node<'a>> = if descend.is_some() { node.reverse_children().collect() } else { Vec::new() };
        match action {
            Action::WikiLink { url, embed } => {
                let inner = wikilink_inner(node, &url);
                let pieces = rewriter.wikilink(&inner, embed);
                rewriter.replace(node, pieces);
            }
            Action::Link(url) => rewriter.markdown_link(node, &url),
            Action::Image(url) => rewriter.markdown_image(node, &url),
            Action::Text(text) => rewriter.text(node, &text),
            Action::Paragraph => rewriter.paragraph(node),
            Action::None => {}
        }
        if let Some(exceeded) = rewriter.exceeded.take() {
            return Err(exceeded);
        }
        if let Some(in_link) = descend {
            stack.extend(children.into_iter().map(|child| (child, in_link)));
        }
    }
    for placeholder in &mut rewriter.embeds {
        placeholder.block = transclude::place_as_block(arena, placeholder.node);
    }
    Ok(Rewritten {
        refs: rewriter.refs,
        block_ids: rewriter.block_ids,
        block_id_list: rewriter.block_id_list,
        embeds: rewriter.embeds,
    })
}

fn is_break(node: Node<'_>) -> bool {
    matches!(node.data().value, NodeValue::SoftBreak | NodeValue::LineBreak)
}

/// What to do with one node; strings are copied out so that the node can be changed.
enum Action {
    WikiLink { url: String, embed: bool },
    Link(String),
    Image(String),
    Text(String),
    Paragraph,
    None,
}

/// The action for `node`, and whether (and in which link context) to visit its children.
fn classify(node: Node<'_>, in_link: bool) -> (Action, Option<bool>) {
    match &node.data().value {
        NodeValue::WikiLink(w) => (Action::WikiLink { url: w.url.clone(), embed: w.embed }, None),
        // Images inside links still need resolving; tags in link text do not count.
        NodeValue::Link(link) => (Action::Link(link.url.clone()), Some(true)),
        NodeValue::Image(image) => (Action::Image(image.url.clone()), None),
        NodeValue::Text(text) if !in_link => (Action::Text(text.to_string()), None),
        NodeValue::Paragraph => (Action::Paragraph, Some(in_link)),
        NodeValue::Text(_)
        | NodeValue::Code(_)
        | NodeValue::CodeBlock(_)
        | NodeValue::HtmlBlock(_)
        | NodeValue::HtmlInline(_)
        | NodeValue::Math(_)
        | NodeValue::Raw(_) => (Action::None, None),
        _ => (Action::None, Some(in_link)),
    }
}

/// Rebuilds the text between `[[` and `]]` from comrak's node: the target, then `|label` when the
/// label differs (comrak keeps the label as child text nodes).
fn wikilink_inner(node: Node<'_>, url: &str) -> String {
    let label = node.collect_text();
    if label == url { url.to_owned() } else { format!("{url}|{label}") }
}

struct Rewriter<'a, 'r> {
    arena: &'a Arena<'a>,
    resolver: &'r dyn Resolver,
    ignored: &'r IgnoredTags,
    depth: usize,
    /// The embedded note being rewritten, whose links are resolved from it; None for the page.
    source: Option<Source<'r>>,
    budget: &'r TransclusionBudget,
    /// The first limit exceeded; the pass stops at the node that found it.
    exceeded: Option<Exceeded>,
    refs: References,
    block_ids: HashMap<usize, String>,
    block_id_list: Vec<String>,
    embeds: Vec<Placeholder<'a>>,
    /// Whether the node being rewritten is inside a link (its images are not wrapped in one).
    in_link: bool,
    /// Images shown so far: the page's first one loads at once, the others lazily.
    images_shown: usize,
}

impl<'a> Rewriter<'a, '_> {
    /// The href of a link to a note, resolved from the note the link is written in: the page,
    /// or the embedded note (`[[#Heading]]` in an embedded note is a heading of that note, on
    /// that note's page, as in Obsidian).
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
        match self.source {
            None => self.resolver.page_href(target, subpath),
            Some(source) if target.trim().is_empty() => Some(with_fragment(source.href, subpath)),
            Some(source) => self.resolver.page_href_from(source.key, target, subpath),
        }
    }

    /// The note a `![[target]]` names, from the note the embed is written in.
    fn note_markdown(&self, target: &str) -> Option<Transclusion> {
        match self.source {
            None => self.resolver.note_markdown(target),
            Some(source) => self.resolver.note_markdown_from(source.key, target),
        }
    }

    /// For an image (`is_image`) at `src`: what the resolver knows of it, and whether it is the
    /// page's first image (not in an embedded note), which is not loaded lazily.
    fn image(&mut self, is_image: bool, src: &str) -> (Option<ImageSource>, bool) {
        if !is_image {
            return (None, false);
        }
        self.images_shown += 1;
        let eager = self.depth == 0 && self.images_shown == 1;
        (self.resolver.image_source(src), eager)
    }

    /// Inserts `pieces` where `node` is, and removes `node`.
    fn replace(&mut self, node: Node<'a>, pieces: Vec<Piece>) {
        for piece in pieces {
            let new = self.alloc(piece);
            node.insert_before(new);
        }
        node.detach();
    }

    fn alloc(&mut self, piece: Piece) -> Node<'a> {
        let value = match piece {
            Piece::Html(html) => NodeValue::HtmlInline(html),
            Piece::Text(text) => NodeValue::Text(text.into()),
            Piece::Embed(request) => {
                let node = self.arena.alloc(AstNode::from(NodeValue::Raw(String::new())));
                self.embeds.push(Placeholder { node, request: *request, block: false });
                return node;
            }
        };
        self.arena.alloc(AstNode::from(value))
    }

    /// Takes a trailing ` ^id` off a paragraph and records it (§ [`blocks`]).
    fn paragraph(&mut self, node: Node<'a>) {
        if node.parent().is_some_and(|p| matches!(p.data().value, NodeValue::CalloutTitle)) {
            return;
        }
        let Some(last) = node.last_child() else { return };
        let (rest, id) = {
            let NodeValue::Text(text) = &last.data().value else { return };
            let Some((before, id)) = blocks::split_block_id(text) else { return };
            // `*word*^id` is not a marker: the caret must follow a space or start the line.
            if before.is_empty() && last.previous_sibling().is_some_and(|prev| !is_break(prev)) {
                return;
            }
            (before.trim_end().to_owned(), id.to_owned())
        };
        if rest.is_empty() {
            last.detach();
            while let Some(trailing) = node.last_child().filter(|n| is_break(n)) {
                trailing.detach();
            }
        } else if let NodeValue::Text(text) = &mut last.data_mut().value {
            *text = rest.into();
        }
        if node.first_child().is_none() {
            // A marker on its own names the block before it.
            if self.depth == 0 {
                let anchor = self.arena.alloc(AstNode::from(NodeValue::Raw(blocks::anchor_html(&id))));
                node.previous_sibling().unwrap_or(node).insert_before(anchor);
                push_unique(&mut self.block_id_list, &id);
            }
            node.detach();
            return;
        }
        if self.depth > 0 {
            // Embedded blocks keep their marker hidden but take no id: it could clash.
            return;
        }
        let item = node.parent().filter(|parent| {
            matches!(parent.data().value, NodeValue::Item(_) | NodeValue::TaskItem(_))
                && parent.first_child().is_some_and(|first| std::ptr::eq(first, node))
        });
        self.block_ids.insert(node_key(item.unwrap_or(node)), id.clone());
        push_unique(&mut self.block_id_list, &id);
    }

    /// `[[…]]` or `![[…]]`.
    fn wikilink(&mut self, inner: &str, embed: bool) -> Vec<Piece> {
        let link = split_wikilink(inner);
        let drawing = crate::drawing::is_drawing(&link.target);
        if embed && drawing {
            // Its export, never a transclusion of the drawing's note (compressed JSON).
            return self.drawing_embed(&link);
        }
        let kind = AssetKind::of(&link.target);
        if embed && let Some(kind) = kind {
            return self.asset_embed(&link, kind);
        }
        let mut href = self.page_href(&link.target, link.subpath.as_deref());
        if embed
            && self.exceeded.is_none()
            && self.depth < self.budget.max_depth()
            && let Some(note) = self.note_markdown(&link.target)
            && let Some(request) = transclude::request(note, &link, href.as_deref())
        {
            if let Err(exceeded) = self.budget.charge(&request) {
                self.exceeded = Some(exceeded);
                return Vec::new();
            }
            push_unique(&mut self.refs.links, request.href());
            return vec![Piece::Embed(Box::new(request))];
        }
        if href.is_none() && kind.is_some() {
            // `[[paper.pdf]]`: a plain link to a published file.
            push_unique(&mut self.refs.assets, &link.target);
            href = self.resolver.asset_href(&link.target);
        }
        if href.is_none() && drawing {
            // `[[Drawing.excalidraw]]` whose note is not published: its exported image, if any.
            href = self.drawing_export(&link.target);
        }
        // A note embed that cannot be transcluded (unknown to the resolver, too deep) is a link.
        let class = if embed { "wikilink embed-note" } else { "wikilink" };
        self.link_or_unresolved(href, class, &link.target, vec![Piece::Text(link.label())])
    }

    fn asset_embed(&mut self, link: &WikiTarget, kind: AssetKind) -> Vec<Piece> {
        push_unique(&mut self.refs.assets, &link.target);
        match self.resolver.asset_href(&link.target) {
            Some(src) => {
                let (image, eager) = self.image(kind == AssetKind::Image, &src);
                vec![Piece::Html(embed::asset_html(kind, &src, link, self.in_link, image.as_ref(), eager))]
            }
            None => unresolved(vec![Piece::Text(link.label())]),
        }
    }

    /// `![[Drawing.excalidraw|400]]`: the drawing's exported image, sized and linked as an
    /// image embed is, or the placeholder that says how to publish one.
    fn drawing_embed(&mut self, link: &WikiTarget) -> Vec<Piece> {
        match self.drawing_export(&link.target) {
            Some(src) => {
                let (image, eager) = self.image(true, &src);
                vec![Piece::Html(embed::asset_html(AssetKind::Image, &src, link, self.in_link, image.as_ref(), eager))]
            }
            None => vec![Piece::Html(embed::drawing_missing_html(&link.target))],
        }
    }

    /// The URL of the first published export of the drawing `target`
    /// ([`crate::drawing::drawing_exports`]), recorded among the page's assets (the SVG's name
    /// when none is published, as the file to publish).
    fn drawing_export(&mut self, target: &str) -> Option<String> {
        let exports = crate::drawing::drawing_exports(target);
        for export in &exports {
            if let Some(src) = self.resolver.asset_href(export) {
                push_unique(&mut self.refs.assets, export);
                return Some(src);
            }
        }
        if let Some(first) = exports.first() {
            push_unique(&mut self.refs.assets, first);
        }
        None
    }

    /// `<a class=… href=…>label</a>` when resolved, else the unresolved span; records either.
    fn link_or_unresolved(&mut self, href: Option<String>, class: &str, target: &str, label: Vec<Piece>) -> Vec<Piece> {
        match href {
            Some(href) => {
                push_unique(&mut self.refs.links, &href);
                let mut pieces = vec![Piece::Html(format!(r#"<a class="{class}" href="{}">"#, escape_html(&href)))];
                pieces.extend(label);
                pieces.push(Piece::Html("</a>".to_owned()));
                pieces
            }
            None => {
                push_unique(&mut self.refs.unresolved, target);
                unresolved(label)
            }
        }
    }

    /// `[text](Other%20Note.md#Part)`: local links to `.md` files are wikilinks in disguise.
    fn markdown_link(&mut self, node: Node<'a>, url: &str) {
        let Some((target, subpath)) = local_md_target(url) else { return };
        match self.page_href(&target, subpath.as_deref()) {
            Some(href) => {
                push_unique(&mut self.refs.links, &href);
                if let NodeValue::Link(link) = &mut node.data_mut().value {
                    link.url = href;
                }
            }
            None => {
                push_unique(&mut self.refs.unresolved, &target);
                // Keep the link text (and any markup in it) inside the unresolved span.
                let open = self.alloc(Piece::Html(UNRESOLVED_OPEN.to_owned()));
                node.insert_before(open);
                while let Some(child) = node.first_child() {
                    node.insert_before(child);
                }
                let close = self.alloc(Piece::Html(UNRESOLVED_CLOSE.to_owned()));
                node.insert_before(close);
                node.detach();
            }
        }
    }

    /// `![alt](pics/photo.png)`: a local image is a published asset. Outside a link, the image
    /// is wrapped in one to its full-size file (as embeds are, [`embed::asset_html`]).
    fn markdown_image(&mut self, node: Node<'a>, url: &str) {
        if has_scheme(url) || url.starts_with("//") || url.starts_with('#') || url.is_empty() {
            // Remote images stay as written; the sanitiser drops schemes it does not allow.
            let web =
                ["http://", "https://"].iter().any(|s| url.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)));
            if web {
                self.link_image(node, url);
            }
            return;
        }
        let target = decode(url);
        push_unique(&mut self.refs.assets, &target);
        match self.resolver.asset_href(&target) {
            Some(src) => {
                self.link_image(node, &src);
                let (image, eager) = self.image(true, &src);
                if let Some(image) = image {
                    // Sized and with its variants, as an embed is ([`embed::image_html`]).
                    let alt = node.collect_text();
                    let html = embed::image_html(&src, &alt, (None, None), Some(&image), eager);
                    self.replace(node, vec![Piece::Html(html)]);
                } else if let NodeValue::Image(image) = &mut node.data_mut().value {
                    image.url = src;
                }
            }
            None => {
                let alt = node.collect_text();
                let label = if alt.trim().is_empty() { target } else { alt };
                let pieces = unresolved(vec![Piece::Text(label)]);
                self.replace(node, pieces);
            }
        }
    }

    /// Puts `node` (an image) inside a link to `src`, unless it is inside a link already.
    fn link_image(&mut self, node: Node<'a>, src: &str) {
        if self.in_link {
            return;
        }
        let open = self.alloc(Piece::Html(embed::image_link_open(src)));
        node.insert_before(open);
        let close = self.alloc(Piece::Html("</a>".to_owned()));
        node.insert_after(close);
    }

    /// Tags and leftover wikilinks in a text node.
    fn text(&mut self, node: Node<'a>, text: &str) {
        let at_boundary = node
            .previous_sibling()
            .is_none_or(|prev| matches!(prev.data().value, NodeValue::SoftBreak | NodeValue::LineBreak));
        let segments = text::scan(text, at_boundary);
        if let [Segment::Text(_)] | [] = segments.as_slice() {
            return;
        }
        let mut pieces = Vec::new();
        for segment in segments {
            match segment {
                Segment::Text(t) => pieces.push(Piece::Text(t.to_owned())),
                Segment::WikiLink { inner, embed } => pieces.extend(self.wikilink(inner, embed)),
                Segment::Tag(name) if self.ignored.contains(name) => {}
                Segment::Tag(name) => {
                    push_unique(&mut self.refs.tags, name);
                    let (open, close) = match self.resolver.tag_href(name) {
                        Some(href) => (format!(r#"<a class="tag" href="{}">"#, escape_html(&href)), "</a>"),
                        None => (r#"<span class="tag">"#.to_owned(), "</span>"),
                    };
                    pieces.push(Piece::Html(open));
                    pieces.push(Piece::Text(format!("#{name}")));
                    pieces.push(Piece::Html(close.to_owned()));
                }
            }
        }
        self.replace(node, pieces);
    }
}

const UNRESOLVED_OPEN: &str = r#"<span class="wikilink wikilink-unresolved">"#;
const UNRESOLVED_CLOSE: &str = "</span>";

fn unresolved(label: Vec<Piece>) -> Vec<Piece> {
    let mut pieces = vec![Piece::Html(UNRESOLVED_OPEN.to_owned())];
    pieces.extend(label);
    pieces.push(Piece::Html(UNRESOLVED_CLOSE.to_owned()));
    pieces
}

/// `Other%20Note.md#Part` → (`Other Note.md`, `Some("Part")`) for local links to `.md` files.
fn local_md_target(url: &str) -> Option<(String, Option<String>)> {
    if has_scheme(url) || url.starts_with("//") || url.starts_with('#') {
        return None;
    }
    let (path, fragment) = match url.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (url, None),
    };
    let path = decode(path.split('?').next().unwrap_or_default());
    let is_md = path.len() > 3 && path.get(path.len() - 3..).is_some_and(|ext| ext.eq_ignore_ascii_case(".md"));
    if !is_md {
        return None;
    }
    let subpath = fragment.map(decode).filter(|s| !s.trim().is_empty());
    Some((path, subpath))
}

fn decode(s: &str) -> String {
    vps_core::url::decode(s)
}

#[cfg(test)]
mod tests;
