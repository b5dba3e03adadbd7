//! What a note refers to, found on the renderer's own parse: the wikilinks, embeds, Markdown
//! links and images, and the `<img>` and `<a>` tags of its raw HTML.
//!
//! The note goes through the same steps as in [`render`](super::render) up to the tree
//! ([`comments::strip`](super::comments), then [`document::parse`](super::document), under the
//! same nesting limit), and the tree is walked as [`rewrite`](super::rewrite) walks it: code
//! spans and blocks (fenced or indented), math and `%%comments%%` hold no references by
//! construction, because they are not links in the tree. Wikilinks that comrak leaves as text
//! (two or more `|`) are found by the renderer's own text pass ([`text::scan`](super::text)).
//! So a reference is found exactly when the page shows it as a link, an image or an embed.

use comrak::nodes::NodeValue;
use comrak::{Arena, Node};

use super::text::{self, Segment};
use super::{comments, document};
use crate::limits::{Exceeded, PublishLimits};
use crate::links::split_wikilink;

/// How a reference is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// `![[target#subpath|modifiers]]`.
    Embed,
    /// `[[target#subpath|alias]]`.
    WikiLink,
    /// `![alt](destination)` (reference-style `![alt][id]` too).
    Image,
    /// `[text](destination)`, `[text][id]` and autolinks.
    Link,
    /// `<img src>` (or `data-src`) in the note's raw HTML.
    HtmlImage,
    /// `<a href>` in the note's raw HTML.
    HtmlLink,
}

/// One reference of a note, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The syntax it was written in: wiki embed or link, Markdown image or link, or raw HTML.
    pub kind: ReferenceKind,
    /// The source text of the reference, as written (`![[a.png|300]]`, `![x](a%20b.png "t")`,
    /// `<img src="a.png" width=10>`).
    pub raw: String,
    /// Where it points. Wikilinks and embeds: the target without `#subpath` and `|alias`
    /// ([`split_wikilink`]), not decoded. Markdown and HTML: the destination without its
    /// `#fragment` (and, in HTML, its `?query`), percent-decoded. Remote URLs are kept as they
    /// are; telling them apart is the caller's business.
    pub target: String,
    /// Wikilinks and embeds: what follows the first `|` (an alias, an embed's size and
    /// modifiers). Markdown images: the alt text. Otherwise `None`.
    pub alias: Option<String>,
}

/// Every reference of a note, in document order (repeats included), or the nesting limit of
/// `limits` the note exceeds, the one [`try_render`](crate::try_render) fails on.
///
/// ```
/// use vps_render::{PublishLimits, ReferenceKind, references};
///
/// let note = "![[cat.png|right|200]] and `![[code.png]]` %%![[hidden.png]]%%\n\n\
///             See [the deck](slides/my%20deck.pdf#page=2) and [[Other note#Part|there]].";
/// let found = references(note, &PublishLimits::default()).unwrap();
/// let summary: Vec<_> = found.iter().map(|r| (r.kind, r.target.as_str(), r.alias.as_deref())).collect();
/// assert_eq!(
///     summary,
///     [
///         (ReferenceKind::Embed, "cat.png", Some("right|200")),
///         (ReferenceKind::Link, "slides/my deck.pdf", None),
///         (ReferenceKind::WikiLink, "Other note", Some("there")),
///     ]
/// );
/// assert_eq!(found[1].raw, "[the deck](slides/my%20deck.pdf#page=2)");
/// ```
pub fn references(markdown: &str, limits: &PublishLimits) -> Result<Vec<Reference>, Exceeded> {
    let source = comments::strip(markdown);
    let arena = Arena::new();
    let root = document::parse(&arena, &source, limits.max_nesting_depth)?;
    let lines = LineStarts::new(&source);
    let mut found = Vec::new();
    // An explicit stack, children pushed in reverse: document order without recursion.
    // Text inside a link's label is not scanned for wikilinks, as in `rewrite`.
    let mut stack = vec![(root, false)];
    while let Some((node, in_link)) = stack.pop() {
        let data = node.data();
        let descend: Option<bool> = match &data.value {
            NodeValue::WikiLink(link) => {
                // comrak keeps the alias as child text; rebuilt as `rewrite` does.
                let label = node.collect_text();
                let inner = if label == link.url { link.url.clone() } else { format!("{}|{label}", link.url) };
                let bang = if link.embed { "!" } else { "" };
                let raw = lines
                    .slice(&source, node)
                    .filter(|raw| raw.starts_with(&format!("{bang}[[")) && raw.ends_with("]]"))
                    .unwrap_or_else(|| format!("{bang}[[{inner}]]"));
                found.push(wikilink(&inner, link.embed, raw));
                None
            }
            NodeValue::Link(link) => {
                let raw = lines.slice(&source, node).unwrap_or_default();
                found.push(Reference {
                    kind: ReferenceKind::Link,
                    raw,
                    target: destination(&link.url, &['#']),
                    alias: None,
                });
                // An image inside a link is a reference too.
                Some(true)
            }
            NodeValue::Image(image) => {
                let raw = lines.slice(&source, node).unwrap_or_default();
                found.push(Reference {
                    kind: ReferenceKind::Image,
                    raw,
                    target: destination(&image.url, &['#']),
                    alias: Some(node.collect_text()),
                });
                None
            }
            NodeValue::Text(text) if !in_link => {
                for segment in text::scan(text, false) {
                    if let Segment::WikiLink { inner, embed } = segment {
                        let bang = if embed { "!" } else { "" };
                        found.push(wikilink(inner, embed, format!("{bang}[[{inner}]]")));
                    }
                }
                None
            }
            NodeValue::HtmlBlock(block) => {
                html_references(&block.literal, &mut found);
                None
            }
            NodeValue::HtmlInline(html) => {
                html_references(html, &mut found);
                None
            }
            NodeValue::Text(_)
            | NodeValue::Code(_)
            | NodeValue::CodeBlock(_)
            | NodeValue::Math(_)
            | NodeValue::Raw(_) => None,
            _ => Some(in_link),
        };
        drop(data);
        if let Some(in_link) = descend {
            stack.extend(node.reverse_children().map(|child| (child, in_link)));
        }
    }
    Ok(found)
}

fn wikilink(inner: &str, embed: bool, raw: String) -> Reference {
    let link = split_wikilink(inner);
    let kind = if embed { ReferenceKind::Embed } else { ReferenceKind::WikiLink };
    Reference { kind, raw, target: link.target, alias: link.alias }
}

/// A Markdown or HTML destination without what follows the first of `cuts`, percent-decoded.
fn destination(url: &str, cuts: &[char]) -> String {
    let path = url.split(cuts).next().unwrap_or_default().trim();
    vps_core::url::decode(path)
}

/// The byte offset where each line of the source starts, to cut a node's text out of it.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(source: &str) -> LineStarts {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(at, _)| at + 1));
        LineStarts(starts)
    }

    /// The text a node spans, as written; None if its position does not fall on the source.
    ///
    /// Columns are 1-based bytes, the end inclusive. In a table cell, comrak positions the
    /// inlines in the cell's text with each `\|` unescaped to `|`: the offsets are mapped back
    /// from the start of the cell's content, where both agree.
    fn slice(&self, source: &str, node: Node<'_>) -> Option<String> {
        let pos = node.data().sourcepos;
        let mut start = self.offset(pos.start.line, pos.start.column)?;
        let mut end = self.offset(pos.end.line, pos.end.column)? + 1;
        let cell = node.ancestors().find(|n| matches!(n.data().value, NodeValue::TableCell));
        if let Some(first) = cell.and_then(|cell| cell.first_child()) {
            let content = first.data().sourcepos.start;
            let content = self.offset(content.line, content.column)?;
            let escaped = |unescaped: usize| {
                let mut at = content;
                for _ in content..unescaped {
                    at += if source.get(at..)?.starts_with("\\|") { 2 } else { 1 };
                }
                Some(at)
            };
            (start, end) = (escaped(start)?, escaped(end)?);
        }
        source.get(start..end).filter(|raw| !raw.is_empty()).map(str::to_owned)
    }

    /// The byte offset of a 1-based line and column.
    fn offset(&self, line: usize, column: usize) -> Option<usize> {
        Some(self.0.get(line.checked_sub(1)?)? + column.checked_sub(1)?)
    }
}

/// `<img src>` / `<img data-src>` and `<a href>` tags of a piece of raw HTML, HTML comments
/// skipped.
fn html_references(html: &str, found: &mut Vec<Reference>) {
    let mut from = 0;
    while let Some(at) = html[from..].find('<') {
        let start = from + at;
        let rest = &html[start + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            from = comment.find("-->").map_or(html.len(), |end| start + 4 + end + 3);
            continue;
        }
        from = start + 1;
        let (kind, name_len) = if rest.get(..3).is_some_and(|name| name.eq_ignore_ascii_case("img")) {
            (ReferenceKind::HtmlImage, 3)
        } else if rest.starts_with(['a', 'A']) {
            (ReferenceKind::HtmlLink, 1)
        } else {
            continue;
        };
        if !rest[name_len..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            continue;
        }
        let Some(close) = rest.find('>') else { break };
        let tag = &html[start..start + 1 + close + 1];
        from = start + 1 + close + 1;
        let value = match kind {
            ReferenceKind::HtmlImage => attribute(tag, "src").or_else(|| attribute(tag, "data-src")),
            _ => attribute(tag, "href"),
        };
        if let Some(value) = value {
            found.push(Reference { kind, raw: tag.to_owned(), target: destination(&value, &['#', '?']), alias: None });
        }
    }
}

/// The value of an attribute in a tag's text, entities `&amp;` `&quot;` `&#39;` `&lt;` `&gt;`
/// decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    let mut rest = inner.split_once(char::is_whitespace)?.1;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '/').unwrap_or(rest.len());
        let attr = &rest[..name_end];
        rest = rest[name_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, remaining) = match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let stop = body.find(quote).unwrap_or(body.len());
                    (&body[..stop], body.get(stop + 1..).unwrap_or_default())
                }
                _ => {
                    let stop = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..stop], &after[stop..])
                }
            };
            rest = remaining;
            Some(value)
        } else {
            None
        };
        if attr.eq_ignore_ascii_case(name) {
            return Some(
                value?
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            );
        }
    }
}

#[cfg(test)]
mod tests;
