//! The part of a note that `![[Note#Heading]]` or `![[Note#^block]]` embeds, cut from its
//! Markdown source.
//!
//! - A heading's section runs from the heading to the next heading of the same or a higher
//!   level (fewer `#`), and includes the heading. Headings match by their id, so
//!   `![[Note#part two]]` finds `## Part Two`; of a chain (`A#B`), the last heading counts.
//! - A block is the paragraph whose last line ends with `^block`, or the list item that does
//!   (with its nested items), or, for a `^block` on a line of its own, the block just before.
//!
//! Lines inside fenced code are never taken for headings or markers.

use vps_core::slug::heading_id;

/// The source of the section `subpath` names, or None when the note has no such section.
pub(super) fn extract(markdown: &str, subpath: &str) -> Option<String> {
    let lines = Lines::new(markdown);
    match subpath.trim().strip_prefix('^') {
        Some(block) => lines.block(block),
        None => lines.heading_section(subpath.rsplit('#').next().unwrap_or_default()),
    }
}

struct Lines<'m> {
    lines: Vec<&'m str>,
    /// Whether each line is part of a fenced code block (fences included).
    in_code: Vec<bool>,
}

impl<'m> Lines<'m> {
    fn new(markdown: &'m str) -> Lines<'m> {
        let lines: Vec<&str> = markdown.lines().collect();
        let mut in_code = Vec::with_capacity(lines.len());
        let mut fence: Option<(char, usize)> = None;
        for line in &lines {
            let body = line.trim_start();
            let marker = body.chars().next().filter(|&c| c == '`' || c == '~');
            let run = marker.map_or(0, |m| body.chars().take_while(|&c| c == m).count());
            match fence {
                Some((m, len)) => {
                    in_code.push(true);
                    if marker == Some(m) && run >= len && body[run..].trim().is_empty() {
                        fence = None;
                    }
                }
                None if run >= 3 => {
                    in_code.push(true);
                    fence = marker.map(|m| (m, run));
                }
                None => in_code.push(false),
            }
        }
        Lines { lines, in_code }
    }

    /// The heading level and text of line `i`, when it is an ATX heading outside code.
    fn heading(&self, i: usize) -> Option<(usize, &'m str)> {
        if self.in_code[i] {
            return None;
        }
        let line = self.lines[i];
        let body = line.trim_start_matches(' ');
        if line.len() - body.len() > 3 {
            return None;
        }
        let level = body.bytes().take_while(|&b| b == b'#').count();
        let rest = &body[level..];
        let valid = (1..=6).contains(&level) && (rest.is_empty() || rest.starts_with([' ', '\t']));
        valid.then(|| (level, rest.trim().trim_end_matches('#').trim_end()))
    }

    fn heading_section(&self, wanted: &str) -> Option<String> {
        let wanted = heading_id(wanted);
        let (start, level) = (0..self.lines.len()).find_map(|i| {
            let (level, text) = self.heading(i)?;
            let matches = heading_id(text) == wanted || heading_id(&display_text(text)) == wanted;
            matches.then_some((i, level))
        })?;
        let end = (start + 1..self.lines.len())
            .find(|&i| self.heading(i).is_some_and(|(l, _)| l <= level))
            .unwrap_or(self.lines.len());
        Some(self.join(start, end))
    }

    fn block(&self, id: &str) -> Option<String> {
        let marker = format!("^{id}");
        let i = (0..self.lines.len()).find(|&i| {
            let line = self.lines[i].trim_end();
            !self.in_code[i]
                && line.ends_with(&marker)
                && line[..line.len() - marker.len()].chars().next_back().is_none_or(char::is_whitespace)
        })?;
        let line = self.lines[i];
        if line.trim() == marker {
            // The block before: back over blank lines, then to the previous blank line.
            let end = (0..i).rev().find(|&j| !self.is_blank(j))? + 1;
            let start = (0..end).rev().find(|&j| self.is_blank(j)).map_or(0, |j| j + 1);
            return Some(self.join(start, end));
        }
        if is_list_item(line) {
            let indent = indentation(line);
            let end = (i + 1..self.lines.len())
                .find(|&j| self.is_blank(j) || indentation(self.lines[j]) <= indent)
                .unwrap_or(self.lines.len());
            // Nested under its parent's indentation, the item would not parse as a list.
            return Some(
                self.lines[i..end]
                    .iter()
                    .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        let start = (0..i).rev().find(|&j| self.is_blank(j) || self.heading(j).is_some()).map_or(0, |j| j + 1);
        Some(self.join(start, i + 1))
    }

    fn is_blank(&self, i: usize) -> bool {
        self.lines[i].trim().is_empty()
    }

    fn join(&self, start: usize, end: usize) -> String {
        self.lines[start..end].join("\n")
    }
}

/// A heading's text as displayed: wikilinks by their label, without emphasis marks.
fn display_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("[[") {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find("]]") else { break };
        let inner = &rest[open + 2..open + close];
        out.push_str(inner.rsplit('|').next().unwrap_or(inner));
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out.replace(['*', '_', '`', '='], "")
}

fn is_list_item(line: &str) -> bool {
    let body = line.trim_start();
    let bullet = body.starts_with(['-', '*', '+']) && body[1..].starts_with([' ', '\t']);
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    let ordered = digits > 0 && body[digits..].starts_with(['.', ')']) && body[digits + 1..].starts_with([' ', '\t']);
    bullet || ordered
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str = "# Title\n\nIntro.\n\n## Part One\n\nOne ^p1\n\n### Deeper\n\nStill one.\n\n```\n## Not a heading\n```\n\n## Part [[Two|2]]\n\nTwo.\n\n- a\n- item ^li\n  - child\n- c\n\n| t |\n|---|\n| 1 |\n\n^table\n";

    #[test]
    fn a_heading_section_ends_at_the_next_heading_of_its_level() {
        assert_eq!(
            extract(NOTE, "Part One").as_deref(),
            Some("## Part One\n\nOne ^p1\n\n### Deeper\n\nStill one.\n\n```\n## Not a heading\n```\n")
        );
        assert_eq!(extract(NOTE, "Title#part 2").as_deref().map(|s| s.lines().next()), Some(Some("## Part [[Two|2]]")));
        assert_eq!(extract(NOTE, "Not a heading"), None);
    }

    #[test]
    fn blocks_are_paragraphs_list_items_or_the_block_before_a_lone_marker() {
        assert_eq!(extract(NOTE, "^p1").as_deref(), Some("One ^p1"));
        assert_eq!(extract(NOTE, "^li").as_deref(), Some("- item ^li\n  - child"));
        assert_eq!(extract(NOTE, "^table").as_deref(), Some("| t |\n|---|\n| 1 |"));
        assert_eq!(extract(NOTE, "^nope"), None);
    }
}
