//! The text of a page without markup, for search indexes and descriptions.

use comrak::Node;
use comrak::nodes::NodeValue;

/// The words of the tree under `root`, whitespace collapsed. Raw HTML (ours included, so
/// embedded notes and asset markup) is left out, as is mermaid source; code keeps its text.
pub(super) fn text(root: Node<'_>) -> String {
    let mut raw = String::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.data().value {
            NodeValue::Text(text) => raw.push_str(text),
            NodeValue::Code(code) => raw.push_str(&code.literal),
            NodeValue::Math(math) => raw.push_str(&math.literal),
            NodeValue::CodeBlock(block) => {
                if !block.info.trim_start().to_ascii_lowercase().starts_with("mermaid") {
                    raw.push(' ');
                    raw.push_str(&block.literal);
                    raw.push(' ');
                }
            }
            NodeValue::SoftBreak | NodeValue::LineBreak => raw.push(' '),
            NodeValue::HtmlBlock(_) | NodeValue::HtmlInline(_) | NodeValue::Raw(_) => {}
            value => {
                // Blocks are separated by a space; inlines join their neighbours.
                if value.block() {
                    raw.push(' ');
                }
                stack.extend(node.reverse_children());
            }
        }
    }
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::tests::MapResolver;
    use super::super::{RenderOptions, render};

    #[test]
    fn text_has_no_markup_and_collapsed_whitespace() {
        let page = render(
            "# Title\n\nSome **bold** [[Note|link]] and `code`.\n\n- a\n- b\n\n<div>raw block</div>\n\n<b>inline</b> html\n\n| x | y |\n|---|---|\n| 1 | 2 |",
            &MapResolver::new(),
            &RenderOptions::default(),
        );
        assert_eq!(page.text, "Title Some bold link and code. a b inline html x y 1 2");
    }
}
