//! One note through the pipeline of [`markdown`](super): the page itself, and again each note
//! it embeds, with the [`Session`] carrying what the page and its embeds share.

use comrak::nodes::NodeValue;
use comrak::{Arena, parse_document};

use super::format::{self, Ids};
use super::headings::{self, IdSet};
use super::rewrite::{self, References};
use super::text::IgnoredTags;
use super::transclude::{self, EmbedStack};
use super::{Heading, RenderOptions, Resolver, comments};

/// What one page and all its embeds share while rendering.
pub(super) struct Session<'r> {
    pub(super) resolver: &'r dyn Resolver,
    pub(super) ignored: IgnoredTags,
    pub(super) ids: IdSet,
    pub(super) embeds: EmbedStack,
}

impl<'r> Session<'r> {
    pub(super) fn new(resolver: &'r dyn Resolver, options: &RenderOptions<'_>) -> Session<'r> {
        Session {
            resolver,
            ignored: IgnoredTags::new(options.ignored_tags),
            ids: IdSet::default(),
            embeds: EmbedStack::default(),
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

/// Renders `markdown` found at embed nesting `depth` (0 for the page).
pub(super) fn render_document(session: &mut Session<'_>, markdown: &str, depth: usize) -> Document {
    let source = comments::strip(markdown);
    let options = super::comrak_options();
    let arena = Arena::new();
    let root = parse_document(&arena, &source, &options);
    let rewritten = rewrite::rewrite(&arena, root, session.resolver, &session.ignored, depth);
    // The page's headings take their ids before any embed is rendered.
    let (heading_ids, headings) = headings::assign(root, &mut session.ids);
    let mut refs = rewritten.refs;
    for placeholder in rewritten.embeds {
        let mut html = transclude::render(session, &placeholder.request, depth, &mut refs);
        if placeholder.block {
            html.push('\n');
        }
        placeholder.node.data_mut().value = NodeValue::Raw(html);
    }
    let text = super::plain::text(root);
    let html = format::html(root, &options, Ids { headings: heading_ids, blocks: rewritten.block_ids });
    Document { html, headings, refs, text, block_ids: rewritten.block_id_list }
}
