//! Scanning of plain text nodes for `#tags` and for wikilinks that comrak left as text.
//!
//! Text nodes never contain code (code spans and blocks are separate nodes), so nothing found
//! here can come from inside code.

use unicode_normalization::char::is_combining_mark;
use vps_core::slug::{slug, tag_key};

use crate::routing::is_js_whitespace;

/// A piece of a text node.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Segment<'t> {
    Text(&'t str),
    /// A tag's name, without `#`.
    Tag(&'t str),
    /// The inside of `[[…]]`, with whether a `!` made it an embed.
    WikiLink {
        inner: &'t str,
        embed: bool,
    },
}

/// Splits `text` into plain text, tags and wikilinks.
///
/// A tag is `#` followed by letters, digits (of any script, with their combining marks, as in
/// `#हिन्दी`), `_`, `-` and `/`, with at least one character that is not a digit (`#123` is an issue number, not a tag), at the start of the node when
/// `at_boundary` says the node starts a line or follows a break, or after whitespace.
pub(super) fn scan(text: &str, at_boundary: bool) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    let mut closing = Closing::default();
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("[[")
            && let Some(close) = closing.at_or_after(text, i + 2)
            && let Some(inner) = wikilink_inner(&text[i + 2..close])
        {
            let len = close + 2 - i;
            let embed = text[plain_start..i].ends_with('!');
            let plain_end = if embed { i - 1 } else { i };
            push_text(&mut segments, &text[plain_start..plain_end]);
            segments.push(Segment::WikiLink { inner, embed });
            i += len;
            plain_start = i;
            continue;
        }
        let boundary = match text[..i].chars().next_back() {
            Some(prev) => is_js_whitespace(prev),
            None => at_boundary,
        };
        if boundary
            && rest.starts_with('#')
            && let Some(name) = tag_at(&rest[1..])
        {
            push_text(&mut segments, &text[plain_start..i]);
            segments.push(Segment::Tag(name));
            i += 1 + name.len();
            plain_start = i;
            continue;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    push_text(&mut segments, &text[plain_start..]);
    segments
}

fn push_text<'t>(segments: &mut Vec<Segment<'t>>, text: &'t str) {
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
}

/// Where the first `]]` at or after a position is: searched once and reused while it is still
/// ahead, so that a text of many `[[` and no `]]` is read once, not once per `[[` (100,000 `[[`
/// took 47 s in a debug build when each searched the rest of the text).
#[derive(Default)]
struct Closing {
    /// Where the last search started, and what it found.
    searched: Option<(usize, Option<usize>)>,
}

impl Closing {
    fn at_or_after(&mut self, text: &str, from: usize) -> Option<usize> {
        match self.searched {
            Some((start, found)) if start <= from && found.is_none_or(|close| close >= from) => found,
            _ => {
                let found = text[from..].find("]]").map(|at| from + at);
                self.searched = Some((from, found));
                found
            }
        }
    }
}

/// The inner text of `[[inner]]`, when it makes a link that comrak left as text. The inner text
/// may not be blank nor contain brackets or a line break.
///
/// Only links with two or more `|` are taken: comrak parses every other wikilink itself, so a
/// `[[…]]` still in a text node is either one of those or was written with escaped brackets
/// (`\[\[not a link\]\]`), which must stay text.
fn wikilink_inner(inner: &str) -> Option<&str> {
    let valid = !inner.trim().is_empty() && !inner.contains(['[', ']', '\n', '\r']) && inner.matches('|').count() >= 2;
    valid.then_some(inner)
}

/// The tag name at the start of `s` (just after `#`), if there is one.
fn tag_at(s: &str) -> Option<&str> {
    let len: usize = s
        .chars()
        .take_while(|&c| c.is_alphanumeric() || is_combining_mark(c) || matches!(c, '_' | '-' | '/'))
        .map(char::len_utf8)
        .sum();
    let name = s[..len].trim_end_matches('/');
    let is_tag = !name.is_empty()
        && !name.starts_with('/')
        && !name.starts_with(is_combining_mark)
        && name.chars().any(|c| !c.is_ascii_digit());
    is_tag.then_some(name)
}

/// The session's ignored tags, as [`ignore_key`]s.
#[derive(Debug, Default)]
pub(super) struct IgnoredTags(Vec<String>);

impl IgnoredTags {
    pub(super) fn new(tags: &[String]) -> IgnoredTags {
        let folded = tags.iter().map(|t| ignore_key(t)).filter(|t| !t.is_empty());
        IgnoredTags(folded.collect())
    }

    /// Whether `tag` (without `#`) or one of its parents (`a` of `a/b`) is ignored. Matching is
    /// on [`ignore_key`]s: case, Unicode form and Latin accents do not count.
    pub(super) fn contains(&self, tag: &str) -> bool {
        let tag = ignore_key(tag);
        self.0.iter().any(|ignored| {
            tag == *ignored || (tag.starts_with(ignored.as_str()) && tag[ignored.len()..].starts_with('/'))
        })
    }
}

/// How ignored tags are compared: each segment of the [`tag_key`] by its [`slug`] (accents of
/// Latin letters folded, so ignoring `#Privé` also hides `#prive`), or as it is when it has no
/// slug. Wider than the tag's page (`tag_key`): an ignored tag errs on the side of hiding.
fn ignore_key(tag: &str) -> String {
    let key = tag_key(tag);
    let segments = key.split('/').map(|segment| match slug(segment) {
        loose if loose.is_empty() => segment.to_owned(),
        loose => loose,
    });
    segments.collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::{Tag, Text, WikiLink};

    #[test]
    fn tags_need_whitespace_or_a_boundary_before_them() {
        assert_eq!(scan("#a b#c d #e", true), [Tag("a"), Text(" b#c d "), Tag("e")]);
        assert_eq!(scan("#a", false), [Text("#a")]);
    }

    #[test]
    fn nested_unicode_and_dashed_tags_are_whole() {
        assert_eq!(scan("x #projet/été-2024_b.", true), [Text("x "), Tag("projet/été-2024_b"), Text(".")]);
    }

    #[test]
    fn numbers_headings_markers_and_lone_hashes_are_not_tags() {
        assert_eq!(scan("issue #123, C# and # x", true), [Text("issue #123, C# and # x")]);
        assert_eq!(scan("#2024a", true), [Tag("2024a")]);
        assert_eq!(scan("#a/", true), [Tag("a"), Text("/")]);
    }

    #[test]
    fn leftover_wikilinks_and_embeds_are_found() {
        assert_eq!(
            scan("see ![[img.png|right|200]] and [[a|b|c]]", false),
            [
                Text("see "),
                WikiLink { inner: "img.png|right|200", embed: true },
                Text(" and "),
                WikiLink { inner: "a|b|c", embed: false },
            ]
        );
        assert_eq!(scan("[[]] [[a\nb]]", false), [Text("[[]] [[a\nb]]")]);
    }

    #[test]
    fn a_text_of_many_brackets_is_read_once() {
        // Searching for `]]` again from every `[[` made this take minutes.
        let text = "[[".repeat(200_000);
        assert_eq!(scan(&text, false), [Text(&text)]);
        let text = "[[a|b|c".repeat(100_000) + "]]";
        assert_eq!(scan(&text, false).len(), 2, "only the last one closes");
    }

    #[test]
    fn brackets_that_were_escaped_in_the_source_stay_text() {
        // `\[\[double bracket syntax\]\]` reaches this pass as plain `[[…]]` text.
        assert_eq!(scan("[[double bracket syntax]]", false), [Text("[[double bracket syntax]]")]);
        assert_eq!(scan("![[x.png|200]]", false), [Text("![[x.png|200]]")]);
    }

    #[test]
    fn ignored_tags_fold_case_and_accents_and_cover_children() {
        let ignored = IgnoredTags::new(&["#Privé".to_owned(), "draft".to_owned()]);
        assert!(ignored.contains("prive"));
        assert!(ignored.contains("PRIVÉ/journal"));
        assert!(ignored.contains("Draft"));
        assert!(!ignored.contains("drafts"));
        assert!(!ignored.contains("public"));
        let japanese = IgnoredTags::new(&["#日記".to_owned(), "#Личное".to_owned()]);
        assert!(japanese.contains("日記"));
        assert!(japanese.contains("日記/2024"));
        assert!(japanese.contains("ЛИЧНОЕ"));
        assert!(!japanese.contains("日本"));
    }

    #[test]
    fn tags_in_every_script_are_whole_marks_included() {
        assert_eq!(scan("#हिन्दी नोट", true), [Tag("हिन्दी"), Text(" नोट")]);
        assert_eq!(
            scan("#日本語/タグ #Русский #العربية", true),
            [Tag("日本語/タグ"), Text(" "), Tag("Русский"), Text(" "), Tag("العربية")]
        );
        assert_eq!(scan("#\u{301}x", true), [Text("#\u{301}x")], "a tag does not start with a mark");
    }
}
