//! Heading ids, assigned in one pass over the tree before HTML is written.
//!
//! comrak's own `header_id_prefix` uses GitHub's slug rules and adds an anchor element; the site
//! needs [`heading_id`] on the heading itself, because wikilinks such as `[[Note#Part 2]]` and
//! `[[Note#見出し]]` compute their fragment with the same function ([`crate::fragment`]). Ids are assigned before output,
//! and before any embedded note is rendered, so that the page's own headings keep their plain
//! slugs and the headings of embedded notes, which continue the same [`IdSet`], get the
//! suffixes when they collide.

use std::collections::{HashMap, HashSet};

use comrak::Node;
use comrak::nodes::NodeValue;

use super::Heading;
use super::format::node_key;
use vps_core::slug::heading_id;

/// The heading ids handed out so far on one page, embedded notes included.
#[derive(Debug, Default)]
pub(super) struct IdSet {
    used: HashSet<String>,
    /// Highest suffix handed out per base slug, so each repeat is found in one step.
    suffixes: HashMap<String, usize>,
}

impl IdSet {
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

/// The ids of the headings under `root` (keyed by [`node_key`]) and the headings in document
/// order.
pub(super) fn assign<'a>(root: Node<'a>, ids: &mut IdSet) -> (HashMap<usize, String>, Vec<Heading>) {
    let mut by_node = HashMap::new();
    let mut headings = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let level = match &node.data().value {
            NodeValue::Heading(heading) => heading.level,
            // Headings are never inside inlines or code; no need to look there.
            NodeValue::Paragraph | NodeValue::CodeBlock(_) | NodeValue::HtmlBlock(_) | NodeValue::Table(_) => {
                continue;
            }
            _ => {
                stack.extend(node.reverse_children());
                continue;
            }
        };
        let text = node.collect_text().trim().to_owned();
        let id = ids.assign(heading_id(&text));
        by_node.insert(node_key(node), id.clone());
        headings.push(Heading { level, text, id, offset: 0 });
    }
    (by_node, headings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_ids_get_numbered_suffixes_without_colliding_with_literal_ones() {
        let mut ids = IdSet::default();
        let assigned: Vec<_> = ["a", "a", "a-1", "a"].iter().map(|b| ids.assign((*b).to_owned())).collect();
        assert_eq!(assigned, ["a", "a-1", "a-1-1", "a-2"]);
    }
}
