//! Obsidian comments, `%%…%%`, inline or spanning blocks, are removed before parsing.
//!
//! They are found in the source text because a comment may cover several paragraphs, which no
//! pass over the tree could undo. Code is skipped: fenced blocks (inside block quotes and
//! callouts too) and backtick code spans on one line. A `%%` that is never closed hides the
//! rest of the note, as in Obsidian. Indented code blocks are not recognised here; a `%%` in
//! one is rare enough to accept.

use std::borrow::Cow;

/// `markdown` without its comments.
pub(super) fn strip(markdown: &str) -> Cow<'_, str> {
    if !markdown.contains("%%") {
        return Cow::Borrowed(markdown);
    }
    let mut out = String::with_capacity(markdown.len());
    let mut fence: Option<Fence> = None;
    let mut rest = markdown;
    while !rest.is_empty() {
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = &rest[..line_end];
        if let Some(open) = &fence {
            if open.is_closed_by(line) {
                fence = None;
            }
            out.push_str(line);
            rest = &rest[line_end..];
            continue;
        }
        if let Some(opened) = Fence::opened_by(line) {
            fence = Some(opened);
            out.push_str(line);
            rest = &rest[line_end..];
            continue;
        }
        match comment_start(line) {
            None => {
                out.push_str(line);
                rest = &rest[line_end..];
            }
            Some(start) => {
                out.push_str(&line[..start]);
                let after = &rest[start + 2..];
                // The comment ends at the next `%%`, wherever it is; the text resumes after it.
                rest = after.find("%%").map_or("", |end| &after[end + 2..]);
            }
        }
    }
    Cow::Owned(out)
}

/// The byte offset of the first `%%` in `line` that is not inside a code span.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => {
                let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
                // A code span closes at the next run of exactly as many backticks.
                match closing_run(&line[i + run..], run) {
                    Some(end) => i += run + end + run,
                    None => i += run,
                }
            }
            b'%' if bytes.get(i + 1) == Some(&b'%') => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The offset in `s` of the first run of exactly `len` backticks.
fn closing_run(s: &str, len: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// An open code fence: its character and length.
struct Fence {
    marker: u8,
    len: usize,
}

impl Fence {
    fn opened_by(line: &str) -> Option<Fence> {
        let body = strip_container_markers(line);
        let marker = *body.as_bytes().first().filter(|&&b| b == b'`' || b == b'~')?;
        let len = body.bytes().take_while(|&b| b == marker).count();
        // A backtick fence's info string may not contain a backtick.
        let valid = len >= 3 && !(marker == b'`' && body[len..].contains('`'));
        valid.then_some(Fence { marker, len })
    }

    fn is_closed_by(&self, line: &str) -> bool {
        let body = strip_container_markers(line);
        let len = body.bytes().take_while(|&b| b == self.marker).count();
        len >= self.len && body[len..].trim().is_empty()
    }
}

/// A line without its indentation (up to three spaces) and block-quote markers.
fn strip_container_markers(line: &str) -> &str {
    let mut body = line;
    loop {
        let trimmed = body.trim_start_matches([' ', '\t']);
        match trimmed.strip_prefix('>') {
            Some(inner) => body = inner,
            None => return trimmed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_block_comments_are_removed() {
        assert_eq!(strip("a %%hidden%% b"), "a  b");
        assert_eq!(strip("one\n\n%%\nsecret\n\nmore\n%%\n\ntwo\n"), "one\n\n\n\ntwo\n");
    }

    #[test]
    fn comments_in_code_are_kept() {
        let fenced = "```\n%% not a comment %%\n```\nx %%y%%\n";
        assert_eq!(strip(fenced), "```\n%% not a comment %%\n```\nx \n");
        assert_eq!(strip("`%%code%%` and %%gone%%."), "`%%code%%` and .");
        assert_eq!(strip("> ```\n> %%kept%%\n> ```\n"), "> ```\n> %%kept%%\n> ```\n");
        assert_eq!(strip("~~~~\n%%\n~~~\n%%\n~~~~\n"), "~~~~\n%%\n~~~\n%%\n~~~~\n");
    }

    #[test]
    fn an_unclosed_comment_hides_the_rest() {
        assert_eq!(strip("kept %% gone\nand gone"), "kept ");
    }

    #[test]
    fn text_without_comments_is_borrowed() {
        assert!(matches!(strip("100% sure"), Cow::Borrowed(_)));
    }
}
