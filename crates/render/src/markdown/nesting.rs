//! How deeply a note nests blocks and inlines, measured without recursion.
//!
//! comrak, our passes over its tree and the HTML sanitiser all walk the nesting, and some of
//! them recurse: a note of 100,000 `>` would overflow the stack. Two checks keep the depth
//! under `MAX_NESTING_DEPTH`: [`source_depth`] counts the container markers that open each line
//! (block quotes, list items, callouts), before the parser sees the note; [`tree_depth`] measures
//! the parsed tree (inlines such as nested emphasis and links included) before anything else
//! walks it.

use comrak::Node;

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
}
