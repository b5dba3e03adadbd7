//! One note through the pipeline of [`markdown`](super): the page itself, and again each note
//! it embeds, with the [`Session`] carrying what the page and its embeds share.

use comrak::nodes::NodeValue;
use comrak::{Arena, Node, parse_document};

use super::format::{self, Ids};
use super::headings::{self, IdSet};
use super::rewrite::{self, References};
use super::text::IgnoredTags;
use super::transclude::{self, EmbedStack, Source, TransclusionBudget};
use super::{Heading, RenderOptions, Resolver, comments, nesting};
use crate::limits::Exceeded;

/// What one page and all its embeds share while rendering.
pub(super) struct Session<'r> {
    pub(super) resolver: &'r dyn Resolver,
    pub(super) ignored: IgnoredTags,
    pub(super) ids: IdSet,
    pub(super) embeds: EmbedStack,
    pub(super) transclusion: TransclusionBudget,
    max_nesting: usize,
}

impl<'r> Session<'r> {
    pub(super) fn new(resolver: &'r dyn Resolver, options: &RenderOptions<'_>) -> Session<'r> {
        Session {
            resolver,
            ignored: IgnoredTags::new(options.ignored_tags),
            ids: IdSet::default(),
            embeds: EmbedStack::default(),
            transclusion: TransclusionBudget::new(&options.limits),
            max_nesting: options.limits.max_nesting_depth,
        }
    }
}

/// A rendered document, before sanitising.
pub(super) struct Document {
    pub(super) html: String,
    pub(super) headings: Vec<Heading>,
    pub(super) refs: References,
    pub(super) text: String,
    pub(super) block_ids: Vec<String>,
}

/// Parses `source` (comments already stripped, [`comments::strip`]) with the renderer's options,
/// or the nesting limit it exceeds: measured before the parser walks the nesting, and again on
/// the tree (inlines and raw HTML included) before any pass walks it (some recursively). The
/// one parse of a note: [`render`](super::render) and [`references`](super::references) both
/// start here.
pub(super) fn parse<'a>(arena: &'a Arena<'a>, source: &str, max_nesting: usize) -> Result<Node<'a>, Exceeded> {
    let too_deep = || {
        Exceeded::new(
            "its nesting of quotes, lists, callouts, inlines or HTML elements",
            "MAX_NESTING_DEPTH",
            max_nesting,
        )
    };
    if nesting::source_depth(source, max_nesting) > max_nesting {
        return Err(too_deep());
    }
    let root = parse_document(arena, source, &super::comrak_options());
    if nesting::tree_depth(root, max_nesting) > max_nesting || nesting::html_depth(root, max_nesting) > max_nesting {
        return Err(too_deep());
    }
    Ok(root)
}

/// Renders `markdown` found at embed nesting `depth` (0 for the page); `from` is the embedded
/// note it comes from, None for the page itself.
pub(super) fn render_document(
    session: &mut Session<'_>,
    markdown: &str,
    depth: usize,
    from: Option<Source<'_>>,
) -> Result<Document, Exceeded> {
    let source = comments::strip(markdown);
    let options = super::comrak_options();
    let arena = Arena::new();
    let root = parse(&arena, &source, session.max_nesting)?;
    let rewritten =
        rewrite::rewrite(&arena, root, session.resolver, &session.ignored, depth, from, &session.transclusion)?;
    // The page's headings take their ids before any embed is rendered.
    let (heading_ids, mut headings) = headings::assign(root, &mut session.ids);
    let mut refs = rewritten.refs;
    for placeholder in rewritten.embeds {
        let mut html = transclude::render(session, &placeholder.request, depth, &mut refs)?;
        if placeholder.block {
            html.push('\n');
        }
        placeholder.node.data_mut().value = NodeValue::Raw(html);
    }
    let (text, offsets) = super::plain::text(root);
    for (heading, offset) in headings.iter_mut().zip(offsets) {
        heading.offset = offset;
    }
    let html = format::html(root, &options, Ids { headings: heading_ids, blocks: rewritten.block_ids });
    Ok(Document { html, headings, refs, text, block_ids: rewritten.block_id_list })
}
