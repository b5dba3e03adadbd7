//! Heading ids, assigned while comrak writes the HTML.
//!
//! comrak's own `header_id_prefix` uses GitHub's slug rules and adds an anchor element; the site
//! needs the reference's [`heading_slug`] on the heading itself, because wikilinks such as
//! `[[Note#Part 2]]` compute the same slug for their fragment. Ids are assigned during output
//! rather than in a pass before it, so the list handed back matches the rendered headings
//! exactly, in order, whatever comrak decides to render.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use comrak::adapters::{HeadingAdapter, HeadingMeta};
use comrak::nodes::Sourcepos;

use super::Heading;
use crate::routing::heading_slug;

/// The id of a heading whose text has no slug at all (only symbols or non-Latin script):
/// an id is still needed for a table of contents.
const FALLBACK_ID: &str = "heading";

/// comrak requires adapters to be `Sync`, hence the mutex; it is never contended.
#[derive(Debug, Default)]
pub(super) struct HeadingIds(Mutex<State>);

#[derive(Debug, Default)]
struct State {
    used: HashSet<String>,
    /// Highest suffix handed out per base slug, so each repeat is found in one step.
    suffixes: HashMap<String, usize>,
    headings: Vec<Heading>,
}

impl State {
    /// The first free id among `base`, `base-1`, `base-2`…
    fn assign(&mut self, base: String) -> String {
        let mut n = self.suffixes.get(&base).copied().unwrap_or(0);
        let mut id = base.clone();
        while self.used.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.suffixes.insert(base, n);
        self.used.insert(id.clone());
        id
    }
}

impl HeadingIds {
    pub(super) fn into_headings(self) -> Vec<Heading> {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner).headings
    }
}

impl HeadingAdapter for HeadingIds {
    fn enter(&self, output: &mut dyn fmt::Write, heading: &HeadingMeta, _: Option<Sourcepos>) -> fmt::Result {
        let text = heading.content.trim().to_owned();
        let mut base = heading_slug(&text);
        if base.is_empty() {
            base = FALLBACK_ID.to_owned();
        }
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let id = state.assign(base);
        // The id is made of `[a-z0-9_-]` only, so it needs no escaping.
        write!(output, r#"<h{} id="{id}">"#, heading.level)?;
        state.headings.push(Heading { level: heading.level, text, id });
        Ok(())
    }

    fn exit(&self, output: &mut dyn fmt::Write, heading: &HeadingMeta) -> fmt::Result {
        writeln!(output, "</h{}>", heading.level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_ids_get_numbered_suffixes_without_colliding_with_literal_ones() {
        let mut state = State::default();
        let ids: Vec<_> = ["a", "a", "a-1", "a"].iter().map(|b| state.assign((*b).to_owned())).collect();
        assert_eq!(ids, ["a", "a-1", "a-1-1", "a-2"]);
    }
}
