//! References from a note to attachments, found as the plugin's `DetectAssetsService` finds them,
//! plus links to attachments.
//!
//! Syntaxes: embeds `![[x.png]]` / `![[x.png|right|300]]`, Markdown images `![alt](x.png)`, HTML
//! `<img src>` (and `data-src`) and `<a href>`, links `[[file.pdf]]` and `[text](file.pdf)`, and
//! frontmatter strings holding any of these or a bare path (`cover: images/x.png`). The plugin does
//! not upload linked (not embedded) attachments, so such links stay dead on its sites; they are
//! published here so that links to files work.
//!
//! Nothing inside code blocks, code spans, `%%comments%%` or `<!-- comments -->` counts: Obsidian
//! does not render it. A `#fragment` and an `|alias` are not part of the path, and Markdown and
//! HTML targets are percent-decoded.

use serde_json::{Map, Value, json};

/// Extensions of files published as attachments, with the kind each is sent as.
const KINDS: &[(&str, &str)] = &[
    ("png", "image"),
    ("jpg", "image"),
    ("jpeg", "image"),
    ("gif", "image"),
    ("webp", "image"),
    ("avif", "image"),
    ("svg", "image"),
    ("bmp", "image"),
    ("ico", "image"),
    ("mp3", "audio"),
    ("wav", "audio"),
    ("flac", "audio"),
    ("ogg", "audio"),
    ("m4a", "audio"),
    ("mp4", "video"),
    ("webm", "video"),
    ("mov", "video"),
    ("mkv", "video"),
    ("pdf", "pdf"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Origin {
    Content,
    Frontmatter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Syntax {
    ObsidianEmbed,
    MarkdownImage,
    HtmlRef,
    ObsidianLink,
    MarkdownLink,
    FrontmatterPath,
}

/// One reference to a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reference {
    /// The source text, as written.
    pub raw: String,
    /// The path as the protocol's asset `relativePath` (§5.2): `\` → `/`, leading `./` and `/`
    /// removed, one leading `assets/` removed.
    pub target: String,
    /// The path to look up in the vault: like `target`, keeping a leading `assets/`.
    pub lookup: String,
    /// `image`, `audio`, `video`, `pdf` or `other`.
    pub kind: &'static str,
    pub display: Display,
    pub origin: Origin,
    pub syntax: Syntax,
    pub frontmatter_path: Option<String>,
    /// The extension is an attachment's: a target not found deserves a warning. Otherwise (an
    /// embed of `x.canvas`, of a note named `v1.5`) it is published only if such a file exists.
    pub attachment: bool,
}

/// How an embed asks to be shown: `![[x.png|right|300|framed]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Display {
    pub alignment: Option<&'static str>,
    pub width: Option<u64>,
    pub classes: Vec<String>,
    pub raw_modifiers: Vec<String>,
}

impl Display {
    /// The plugin's `display` object.
    pub fn to_json(&self) -> Value {
        let mut display = json!({"classes": self.classes, "rawModifiers": self.raw_modifiers});
        if let Some(alignment) = self.alignment {
            display["alignment"] = json!(alignment);
        }
        if let Some(width) = self.width {
            display["width"] = json!(width);
        }
        display
    }

    /// The first alignment word, the first number (the width), and the rest as classes.
    fn parse<'a>(tokens: impl Iterator<Item = &'a str>) -> Self {
        let mut display = Display::default();
        for token in tokens.map(str::trim).filter(|t| !t.is_empty()) {
            display.raw_modifiers.push(token.to_owned());
            if display.alignment.is_none() {
                display.alignment = match token.to_lowercase().as_str() {
                    "left" => Some("left"),
                    "right" => Some("right"),
                    "center" | "centre" => Some("center"),
                    _ => None,
                };
                if display.alignment.is_some() {
                    continue;
                }
            }
            if display.width.is_none() && token.bytes().all(|b| b.is_ascii_digit()) {
                display.width = token.parse().ok();
                if display.width.is_some() {
                    continue;
                }
            }
            display.classes.push(token.to_owned());
        }
        display
    }
}

/// Every reference of a note: its content (outside code and comments), then its frontmatter.
/// Each (origin, frontmatter path, syntax, raw, target) once, as the plugin dedups them.
pub(crate) fn find(content: &str, nested: &Map<String, Value>) -> Vec<Reference> {
    let mut found = Vec::new();
    let masked = mask(content);
    in_text(&masked, content, Origin::Content, None, &mut found);
    in_frontmatter(nested, String::new(), &mut found);
    let mut seen = std::collections::HashSet::new();
    found.retain(|r: &Reference| {
        seen.insert((r.origin, r.frontmatter_path.clone(), r.syntax, r.raw.clone(), r.target.clone()))
    });
    found
}

/// `masked` is `original` with code and comments blanked out (same byte offsets).
fn in_text(masked: &str, original: &str, origin: Origin, path: Option<&str>, out: &mut Vec<Reference>) {
    let mut push = |raw: &str, path_text: &str, syntax: Syntax, display: Display, only_attachments: bool| {
        let Some(lookup) = clean(path_text) else { return };
        let (kind, attachment) = match classify(&lookup) {
            Some(found) => found,
            // `<img src="picture">`: an image whatever its name; other syntaxes need a file type.
            None if syntax == Syntax::HtmlRef && !lookup.to_lowercase().ends_with(".md") => ("image", false),
            None => return,
        };
        if only_attachments && !attachment {
            return;
        }
        out.push(Reference {
            raw: raw.to_owned(),
            target: lookup.strip_prefix("assets/").unwrap_or(&lookup).to_owned(),
            lookup,
            kind,
            display,
            origin,
            syntax,
            frontmatter_path: path.map(str::to_owned),
            attachment,
        });
    };

    // Embeds: `![[target|modifiers]]`.
    for (start, end, inner) in wikilinks(masked) {
        if !masked[..start].ends_with('!') {
            continue;
        }
        let mut parts = inner.split('|');
        let target = subpath_free(parts.next().unwrap_or_default());
        push(&original[start - 1..end], target, Syntax::ObsidianEmbed, Display::parse(parts), false);
    }
    // Markdown images `![alt](dest)` and links `[text](dest)`.
    for (start, end, text, dest, image) in markdown_links(masked) {
        let dest = vps_core::url::decode(&dest);
        let (syntax, display) = if image {
            let modifiers = text.split('|').skip(1);
            (Syntax::MarkdownImage, Display::parse(modifiers))
        } else {
            (Syntax::MarkdownLink, Display::default())
        };
        push(&original[start..end], &dest, syntax, display, true);
    }
    // HTML `<img src>` / `<img data-src>` and `<a href>`.
    for (start, end, tag) in html_tags(masked) {
        let value = if tag == "img" {
            attribute(&masked[start..end], "src").or_else(|| attribute(&masked[start..end], "data-src"))
        } else {
            attribute(&masked[start..end], "href")
        };
        let Some(value) = value else { continue };
        let value = value.split(['#', '?']).next().unwrap_or_default();
        let decoded = vps_core::url::decode(value);
        push(&original[start..end], &decoded, Syntax::HtmlRef, Display::default(), tag == "a");
    }
    // Links to attachments: `[[file.pdf]]`, `[[shot.png|see it]]`.
    for (start, end, inner) in wikilinks(masked) {
        if masked[..start].ends_with('!') {
            continue;
        }
        let target = subpath_free(inner.split('|').next().unwrap_or_default());
        push(&original[start..end], target, Syntax::ObsidianLink, Display::default(), true);
    }
}

/// Frontmatter strings, at any depth: the syntaxes above, or else the whole string as a path
/// when it names an attachment (`cover: images/x.png`).
fn in_frontmatter(map: &Map<String, Value>, prefix: String, out: &mut Vec<Reference>) {
    for (key, value) in map {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        in_frontmatter_value(value, path, out);
    }
}

fn in_frontmatter_value(value: &Value, path: String, out: &mut Vec<Reference>) {
    match value {
        Value::String(text) => {
            let before = out.len();
            in_text(text, text, Origin::Frontmatter, Some(&path), out);
            let bare = text.trim();
            if out.len() == before
                && !bare.contains('\n')
                && bare.len() <= 1024
                && let Some(lookup) = clean(bare)
                && let Some((kind, true)) = classify(&lookup)
            {
                out.push(Reference {
                    raw: text.clone(),
                    target: lookup.strip_prefix("assets/").unwrap_or(&lookup).to_owned(),
                    lookup,
                    kind,
                    display: Display::default(),
                    origin: Origin::Frontmatter,
                    syntax: Syntax::FrontmatterPath,
                    frontmatter_path: Some(path),
                    attachment: true,
                });
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                in_frontmatter_value(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => in_frontmatter(map, path, out),
        _ => {}
    }
}

/// The kind of a path by its extension, and whether it is an attachment type; `None` for notes
/// (`.md`) and names without an extension (`[[Note]]`).
pub(crate) fn classify(path: &str) -> Option<(&'static str, bool)> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    if stem.is_empty() || ext.is_empty() || ext == "md" {
        return None;
    }
    Some(KINDS.iter().find(|(e, _)| *e == ext).map_or(("other", false), |(_, kind)| (*kind, true)))
}

/// `a.png#x` → `a.png`; a trailing `\` (the escape of `\|` in a table) dropped.
fn subpath_free(target: &str) -> &str {
    target.split('#').next().unwrap_or_default().trim().trim_end_matches('\\').trim()
}

/// A written path as looked up: `\` → `/`, leading `./` and `/` removed; `None` if empty or remote.
fn clean(path: &str) -> Option<String> {
    let path = path.trim();
    if path.is_empty() || is_external(path) {
        return None;
    }
    let mut path = path.replace('\\', "/");
    loop {
        if let Some(rest) = path.strip_prefix("./") {
            path = rest.to_owned();
        } else if let Some(rest) = path.strip_prefix('/') {
            path = rest.to_owned();
        } else {
            break;
        }
    }
    (!path.is_empty()).then_some(path)
}

/// A URL with a scheme (`https:`, `mailto:`, `data:`, `obsidian:`…), protocol-relative, or a
/// fragment of the page itself.
fn is_external(path: &str) -> bool {
    if path.starts_with('#') || path.starts_with("//") {
        return true;
    }
    let Some((scheme, _)) = path.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `[[inner]]` on one line, not escaped: (start of `[[`, end after `]]`, inner).
fn wikilinks(text: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("[[") {
        let start = from + at;
        from = start + 2;
        if text[..start].ends_with('\\') {
            continue;
        }
        let rest = &text[start + 2..];
        let Some(close) = rest.find("]]") else { break };
        let inner = &rest[..close];
        if inner.contains(['\n', '[', ']']) || inner.trim().is_empty() {
            continue;
        }
        let end = start + 2 + close + 2;
        found.push((start, end, inner));
        from = end;
    }
    found
}

/// `![alt](dest "title")` and `[text](<dest>)` on one line: (start, end, alt or text, dest,
/// is an image).
fn markdown_links(text: &str) -> Vec<(usize, usize, &str, String, bool)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find('[') {
        let open = i + at;
        i = open + 1;
        if bytes.get(open + 1) == Some(&b'[') || (open > 0 && matches!(bytes[open - 1], b'[' | b'\\')) {
            // `[[`: a wikilink, not a Markdown link.
            i = open + 2;
            continue;
        }
        let image = open > 0 && bytes[open - 1] == b'!';
        let start = if image { open - 1 } else { open };
        let rest = &text[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let label = &rest[..close];
        if label.contains(['\n', '[']) {
            continue;
        }
        let Some(after) = rest[close + 1..].strip_prefix('(') else { continue };
        let (dest, len) = if let Some(bracketed) = after.strip_prefix('<') {
            let Some(gt) = bracketed.find('>') else { continue };
            let Some(paren) = bracketed[gt..].find(')') else { continue };
            (bracketed[..gt].to_owned(), 1 + gt + paren + 1)
        } else {
            let Some(paren) = after.find(')') else { continue };
            (without_title(&after[..paren]).to_owned(), paren + 1)
        };
        if dest.contains('\n') {
            continue;
        }
        let end = open + 1 + close + 1 + 1 + len;
        let dest = dest.split('#').next().unwrap_or_default().trim().to_owned();
        found.push((start, end, label, dest, image));
        i = end;
    }
    found
}

/// `x.png "a title"` → `x.png`.
fn without_title(dest: &str) -> &str {
    let dest = dest.trim();
    for quote in ['"', '\''] {
        if dest.ends_with(quote)
            && let Some(open) = dest[..dest.len() - 1].rfind(quote)
        {
            let before = &dest[..open];
            if before.ends_with(char::is_whitespace) && !before.trim().is_empty() {
                return before.trim_end();
            }
        }
    }
    dest
}

/// `<img …>` and `<a …>` tags: (start, end after `>`, `img` or `a`).
fn html_tags(text: &str) -> Vec<(usize, usize, &'static str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find('<') {
        let start = from + at;
        from = start + 1;
        let rest = &text[start + 1..];
        let tag = if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case("img") {
            "img"
        } else if rest.starts_with(['a', 'A']) {
            "a"
        } else {
            continue;
        };
        if !rest[tag.len()..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            continue;
        }
        let Some(close) = rest.find('>') else { break };
        let end = start + 1 + close + 1;
        found.push((start, end, tag));
        from = end;
    }
    found
}

/// The value of an attribute in a tag's text, entities `&amp;` `&quot;` `&#39;` decoded.
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
            let value = value?;
            return Some(
                value
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            );
        }
    }
}

/// The text with fenced code blocks, code spans, `%%comments%%` and `<!-- comments -->` replaced
/// by spaces (line breaks kept), so that offsets still match the original.
pub(crate) fn mask(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for byte in &mut out[from..to] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    };
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        if line_start && let Some(end) = fenced_block(text, i) {
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        let rest = &text[i..];
        let comment_end = if let Some(after) = rest.strip_prefix("%%") {
            Some(after.find("%%").map_or(bytes.len(), |at| i + 2 + at + 2))
        } else if let Some(after) = rest.strip_prefix("<!--") {
            Some(after.find("-->").map_or(bytes.len(), |at| i + 4 + at + 3))
        } else if bytes[i] == b'`' {
            let run = rest.bytes().take_while(|&b| b == b'`').count();
            match code_span_end(text, i + run, run) {
                Some(end) => Some(end),
                None => {
                    // A lone run of backticks is text.
                    i += run;
                    line_start = false;
                    continue;
                }
            }
        } else {
            None
        };
        if let Some(end) = comment_end {
            blank(&mut out, i, end);
            line_start = bytes[end - 1] == b'\n';
            i = end;
            continue;
        }
        if bytes[i] == b'\\' {
            // An escaped character is text, whatever it is.
            let next = rest[1..].chars().next().map_or(0, char::len_utf8);
            i += 1 + next;
            line_start = next == 1 && bytes[i - 1] == b'\n';
            continue;
        }
        line_start = bytes[i] == b'\n';
        // Whole characters at a time, so that `i` stays on a character boundary.
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    String::from_utf8(out).expect("only whole UTF-8 sequences were replaced, by ASCII spaces")
}

/// Where a code span opened by `run` backticks ending at `from` closes (after its closing run):
/// the next run of exactly `run` backticks, before any blank line.
fn code_span_end(text: &str, from: usize, run: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut j = from;
    while j < bytes.len() {
        match bytes[j] {
            b'`' => {
                let len = bytes[j..].iter().take_while(|&&b| b == b'`').count();
                if len == run {
                    return Some(j + len);
                }
                j += len;
            }
            b'\n' => {
                let next_line = text[j + 1..].split('\n').next().unwrap_or_default();
                if next_line.trim().is_empty() {
                    return None;
                }
                j += 1;
            }
            _ => j += 1,
        }
    }
    None
}

/// A fenced code block opening at this line (``` or ~~~, possibly inside a quote or list):
/// where it ends, after its closing fence or at the end of the text.
fn fenced_block(text: &str, start: usize) -> Option<usize> {
    let fence_of = |line: &str| {
        let trimmed = line.trim_start_matches([' ', '\t', '>']);
        let trimmed = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")).unwrap_or(trimmed);
        let fence = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let len = trimmed.chars().take_while(|c| *c == fence).count();
        (len >= 3).then_some((fence, len, trimmed[len..].to_owned()))
    };
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |at| from + at + 1);
    let first_end = line_end(start);
    let (fence, len, info) = fence_of(&text[start..first_end])?;
    if fence == '`' && info.contains('`') {
        return None; // an inline code span such as ```x``` on one line
    }
    let mut at = first_end;
    while at < text.len() {
        let end = line_end(at);
        if let Some((f, l, rest)) = fence_of(&text[at..end])
            && f == fence
            && l >= len
            && rest.trim().is_empty()
        {
            return Some(end);
        }
        at = end;
    }
    Some(text.len())
}

#[cfg(test)]
mod tests;
