//! Canvas pages (`.canvas`, JSON Canvas 1.0) in a build. The publisher sends a canvas as a note
//! whose vault path ends in `.canvas` and whose content is the file's JSON, so it rides the note
//! pipeline (sources, skips, routes, access, incremental keys, deletions); only its rendering
//! differs, in two places of `page.rs`:
//!
//! - its page ([`render`]): [`vps_render::render_canvas`] through the page's resolver, so every
//!   link, embed and file a card asks for is a question of the page's content key (a canvas page
//!   is kept, like a note's, while its source and those answers are the same). No cleanup rule
//!   applies: they are written for Markdown, and would rewrite the JSON;
//! - an embed of it in another page ([`embed_markdown`]): the compact Markdown listing of its
//!   cards ([`vps_render::Canvas::markdown`], at most [`vps_render::canvas::MAX_EMBEDDED_CARDS`]),
//!   transcluded as a note is, within the embedding page's transclusion depth, budget and cycle
//!   rules.
//!
//! A canvas that is not valid JSON Canvas, or is over a bound, fails the publish with
//! [`BuildError::Canvas`] naming it (`invalid-canvas`, `canvas-too-large`).

use vps_core::note::Note;
use vps_render::{Canvas, RenderOptions, Rendered, Resolver};

use crate::error::BuildError;

/// The CSS class of a canvas page's `<article>`: the page is as wide as the site allows.
pub(crate) const PAGE_CLASS: &str = "canvas-page";

/// Whether `note` is a canvas.
pub(crate) fn is_canvas(note: &Note) -> bool {
    vps_render::is_canvas(&note.vault_path)
}

fn parse(note: &Note) -> Result<Canvas, BuildError> {
    Canvas::parse(&note.content).map_err(|error| BuildError::Canvas { note: note.vault_path.clone(), error })
}

/// The page of the canvas `note`.
pub(crate) fn render(
    note: &Note,
    resolver: &dyn Resolver,
    options: &RenderOptions<'_>,
) -> Result<Rendered, BuildError> {
    let canvas = parse(note)?;
    vps_render::render_canvas(&canvas, resolver, options).map_err(|exceeded| exceeded.in_note(&note.vault_path).into())
}

/// What an embed of the canvas `note` transcludes.
pub(crate) fn embed_markdown(note: &Note) -> Result<String, BuildError> {
    Ok(parse(note)?.markdown(vps_render::canvas::MAX_EMBEDDED_CARDS))
}
