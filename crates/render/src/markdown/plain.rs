//! The text of a page without markup, for search indexes and descriptions.

use comrak::Node;
use comrak::nodes::NodeValue;

/// The words of the tree under `root`, whitespace collapsed, and where each heading's text
/// starts in them (byte offsets, in document order: the order of `headings::assign`). Raw HTML
/// (ours included, so embedded notes and asset markup) is left out, as is mermaid source; code
/// keeps its text.
pub(super) fn text(root: Node<'_>) -> (String, Vec<usize>) {
    let mut raw = String::new();
    let mut headings = Vec::new();
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
                if matches!(value, NodeValue::Heading(_)) {
                    headings.push(raw.len());
                }
                stack.extend(node.reverse_children());
            }
        }
    }
    collapse(&raw, &headings)
}

/// `raw` with whitespace collapsed as `split_whitespace().join(" ")` does, and each of the
/// (ascending) byte offsets `marks` of `raw` moved to where its text is in the result.
fn collapse(raw: &str, marks: &[usize]) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(raw.len());
    let mut moved = Vec::with_capacity(marks.len());
    let mut next = marks.iter().peekable();
    let mut space = false;
    for (at, c) in raw.char_indices() {
        while next.next_if(|&&mark| mark <= at).is_some() {
            moved.push(out.len() + usize::from(space && !out.is_empty()));
        }
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    moved.extend(next.map(|_| out.len()));
    let end = out.len();
    (out, moved.into_iter().map(|offset| offset.min(end)).collect())
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
        assert_eq!(page.headings[0].offset, 0);
    }

    #[test]
    fn headings_know_where_their_text_starts() {
        let page = render(
            "Intro   words.\n\n## Use\n\nOn Linux, Use apt.\n\n> ## Quoted *heading*\n\n### Use\n\nEnd.",
            &MapResolver::new(),
            &RenderOptions::default(),
        );
        let starts: Vec<&str> = page.headings.iter().map(|h| &page.text[h.offset..]).collect();
        assert_eq!(page.text, "Intro words. Use On Linux, Use apt. Quoted heading Use End.");
        assert_eq!(starts, ["Use On Linux, Use apt. Quoted heading Use End.", "Quoted heading Use End.", "Use End."]);
        assert_eq!(super::collapse("  a \n b ", &[0, 4, 9]), ("a b".to_owned(), vec![0, 2, 3]));
    }
}
