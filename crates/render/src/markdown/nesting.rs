//! How deeply a note nests blocks and inlines, measured without recursion.
//!
//! comrak, our passes over its tree and the HTML sanitiser all walk the nesting, and some of
//! them recurse: a note of 100,000 `>` would overflow the stack. Two checks keep the depth
//! under `MAX_NESTING_DEPTH`: [`source_depth`] counts the container markers that open each line
//! (block quotes, list items, callouts), before the parser sees the note; [`tree_depth`] measures
//! the parsed tree (inlines such as nested emphasis and links included) before anything else
//! walks it; [`html_depth`] counts how deeply the note's own raw HTML nests its elements, which
//! the parser keeps as text and the sanitiser parses (100,000 nested `<div>` cost it minutes).

use comrak::Node;
use comrak::nodes::NodeValue;

/// The most container markers (`>`, `-`, `*`, `+`, `1.`, `1)`) that open one line of
/// `markdown`, stopping as soon as it passes `limit`.
pub(super) fn source_depth(markdown: &str, limit: usize) -> usize {
    let mut deepest = 0;
    for line in markdown.lines() {
        let depth = line_depth(line, limit);
        deepest = deepest.max(depth);
        if deepest > limit {
            break;
        }
    }
    deepest
}

fn line_depth(line: &str, limit: usize) -> usize {
    let mut depth = 0;
    let mut rest = line.trim_start_matches([' ', '\t']);
    while depth <= limit {
        let after = if let Some(after) = rest.strip_prefix('>') {
            after
        } else if let Some(after) = rest.strip_prefix(['-', '*', '+']).filter(|a| a.starts_with([' ', '\t'])) {
            after
        } else {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            match rest[digits..].strip_prefix(['.', ')']) {
                Some(after) if (1..=9).contains(&digits) && after.starts_with([' ', '\t']) => after,
                _ => break,
            }
        };
        depth += 1;
        rest = after.trim_start_matches([' ', '\t']);
    }
    depth
}

/// The depth of the tree under `root` (the root alone is 0), stopping as soon as it passes
/// `limit`.
pub(super) fn tree_depth(root: Node<'_>, limit: usize) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(root, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        if deepest > limit {
            break;
        }
        stack.extend(node.children().map(|child| (child, depth + 1)));
    }
    deepest
}

/// Elements that close themselves (void) or are closed by the next of their kind (`<p>`,
/// `<li>`…): an unclosed one does not nest, so it is not counted.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "p", "li",
    "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "colgroup", "rp", "rt",
];

/// How deeply the raw HTML of the note (its HTML blocks and inline tags, in document order)
/// nests elements: start tags open, end tags close; stops as soon as it passes `limit`.
pub(super) fn html_depth(root: Node<'_>, limit: usize) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for node in root.descendants() {
        let data = node.data();
        let html = match &data.value {
            NodeValue::HtmlBlock(block) => block.literal.as_str(),
            NodeValue::HtmlInline(html) => html.as_str(),
            _ => continue,
        };
        for tag in html.split('<').skip(1) {
            let (closing, rest) = match tag.strip_prefix('/') {
                Some(rest) => (true, rest),
                None => (false, tag),
            };
            let name_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
            if name_len == 0 || !rest.as_bytes()[0].is_ascii_alphabetic() {
                continue;
            }
            let name = rest[..name_len].to_ascii_lowercase();
            if NOT_NESTING.contains(&name.as_str()) {
                continue;
            }
            let self_closing = rest.split('>').next().is_some_and(|attrs| attrs.ends_with('/'));
            if closing {
                depth = depth.saturating_sub(1);
            } else if !self_closing {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > limit {
                    return deepest;
                }
            }
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_markers_opening_a_line_are_counted() {
        assert_eq!(source_depth("text\n> quote\n> > - [ ] item\n", 64), 3);
        assert_eq!(source_depth(">>>> x", 64), 4);
        assert_eq!(source_depth("1. a\n   2) b\n- - - c", 64), 3);
        assert_eq!(source_depth("-not a list\n12345678901. neither\n*emphasis*", 64), 0);
        assert_eq!(source_depth(&">".repeat(100_000), 64), 65, "counting stops past the limit");
    }

    fn html(markdown: &str) -> usize {
        let arena = comrak::Arena::new();
        let root = comrak::parse_document(&arena, markdown, &crate::markdown::comrak_options());
        html_depth(root, 64)
    }

    #[test]
    fn raw_html_elements_nest_unless_they_close_themselves() {
        assert_eq!(html("<div><div><span>x</span></div></div>\n"), 3);
        assert_eq!(html("<div>\n\n<p>a<p>b<br><img src=x><hr/>\n\n</div>\n"), 1);
        assert_eq!(html("text <b>bold <i>it</i></b> and <x-y/> done"), 2);
        assert_eq!(html("a < b and 3<4, </div> stray"), 0);
        assert_eq!(html(&"<div>".repeat(100_000)), 65, "counting stops past the limit");
    }
}
