//! HTML output: comrak's writer, with our markup for the nodes where it differs.
//!
//! - headings carry the ids [`headings`](super::headings) assigned;
//! - paragraphs and list items that ended with `^id` carry `id="^id"`;
//! - callouts become `<div class="callout">` or, when foldable, `<details>` ([`callout`]);
//! - code blocks are highlighted on the server, mermaid kept for a script ([`code`]);
//! - math becomes MathML ([`math`]).
//!
//! Everything else, our raw placeholders included, is written by comrak as usual.

use std::collections::HashMap;
use std::fmt::{self, Write};

use comrak::html::{ChildRendering, Context, format_document_with_formatter, format_node_default};
use comrak::nodes::{AstNode, NodeValue};
use comrak::options::Plugins;
use comrak::{Node, Options};

use super::{callout, code, math};

/// Ids decided before output, keyed by [`node_key`].
#[derive(Debug, Default)]
pub(super) struct Ids {
    pub(super) headings: HashMap<usize, String>,
    /// On a paragraph, or on the list item whose first paragraph carried the marker.
    pub(super) blocks: HashMap<usize, String>,
}

/// A node's identity for the side tables above; valid while the arena lives.
pub(super) fn node_key(node: &AstNode<'_>) -> usize {
    std::ptr::from_ref(node).addr()
}

/// Writes the tree under `root` as (unsanitised) HTML.
pub(super) fn html(root: Node<'_>, options: &Options<'_>, ids: Ids) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail, and none of our writers returns an error of its own.
    format_document_with_formatter(root, options, &mut out, &Plugins::default(), format_node, ids)
        .expect("HTML output into a String");
    out
}

fn format_node<'a>(
    cx: &mut Context<'_, '_, Ids>,
    node: Node<'a>,
    entering: bool,
) -> Result<ChildRendering, fmt::Error> {
    let key = node_key(node);
    match &node.data().value {
        NodeValue::Heading(heading) => {
            if entering {
                cx.cr()?;
                // Ids are made of `[a-z0-9_-]` only and need no escaping.
                let id = cx.user.headings.get(&key).map_or_else(|| "heading".to_owned(), String::clone);
                write!(cx, r#"<h{} id="{id}">"#, heading.level)?;
            } else {
                write!(cx, "</h{}>", heading.level)?;
                cx.lf()?;
            }
            Ok(ChildRendering::HTML)
        }
        NodeValue::Paragraph if entering && !is_tight(node) && cx.user.blocks.contains_key(&key) => {
            cx.cr()?;
            let id = super::escape_html(&cx.user.blocks[&key]);
            write!(cx, r#"<p id="^{id}">"#)?;
            Ok(ChildRendering::HTML)
        }
        NodeValue::Item(_) if entering && cx.user.blocks.contains_key(&key) => {
            cx.cr()?;
            let id = super::escape_html(&cx.user.blocks[&key]);
            write!(cx, r#"<li id="^{id}">"#)?;
            Ok(ChildRendering::HTML)
        }
        NodeValue::TaskItem(task) if entering && cx.user.blocks.contains_key(&key) => {
            // comrak's task item markup, with the id; a task item is always in a list here.
            cx.cr()?;
            let id = super::escape_html(&cx.user.blocks[&key]);
            let checked = if task.symbol.is_some() { r#" checked="""# } else { "" };
            write!(
                cx,
                r#"<li id="^{id}" class="task-list-item"><input type="checkbox" class="task-list-item-checkbox"{checked} disabled="" /> "#
            )?;
            Ok(ChildRendering::HTML)
        }
        NodeValue::Callout(callout) => {
            let has_title = node.first_child().is_some_and(|c| matches!(c.data().value, NodeValue::CalloutTitle));
            cx.cr()?;
            if entering {
                cx.write_str(&callout::open(callout, has_title))?;
            } else {
                cx.write_str(&callout::close(callout))?;
            }
            Ok(ChildRendering::HTML)
        }
        NodeValue::CalloutTitle => {
            let foldable = node.parent().is_some_and(|p| callout::is_foldable(&p.data().value));
            if entering {
                cx.write_str(callout::title_open(foldable))?;
            } else {
                cx.write_str(callout::title_close(foldable))?;
            }
            Ok(ChildRendering::HTML)
        }
        NodeValue::CodeBlock(block) => {
            if entering {
                cx.cr()?;
                cx.write_str(&code::block_html(&block.info, &block.literal))?;
            }
            Ok(ChildRendering::HTML)
        }
        NodeValue::Math(formula) => {
            if entering {
                cx.write_str(&math::to_mathml(&formula.literal, formula.display_math))?;
            }
            Ok(ChildRendering::HTML)
        }
        _ => format_node_default(cx, node, entering),
    }
}

/// Whether comrak writes `node` (a paragraph) without `<p>`: in a tight list.
fn is_tight(node: Node<'_>) -> bool {
    node.parent()
        .and_then(|n| n.parent())
        .is_some_and(|n| matches!(n.data().value, NodeValue::List(list) if list.tight))
}
