//! References from a note to attachments, found as the plugin's `DetectAssetsService` finds them,
//! plus links to attachments.
//!
//! Syntaxes: embeds `![[x.png]]` / `![[x.png|right|300]]`, Markdown images `![alt](x.png)`, HTML
//! `<img src>` (and `data-src`) and `<a href>`, links `[[file.pdf]]` and `[text](file.pdf)`, and
//! frontmatter strings holding any of these or a bare path (`cover: images/x.png`). The plugin does
//! not upload linked (not embedded) attachments, so such links stay dead on its sites; they are
//! published here so that links to files work.
//!
//! The references are those [`vps_render::references`] finds on the renderer's own parse, so
//! nothing inside code (fenced, indented or spans), math, `%%comments%%` or `<!-- comments -->`
//! counts: the page does not show it as a link either. A `#fragment` and an `|alias` are not part
//! of the path, and Markdown and HTML targets are percent-decoded.

use serde_json::{Map, Value, json};
use vps_render::{Exceeded, PublishLimits, ReferenceKind};

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
    pub(crate) fn to_json(&self) -> Value {
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

/// Every reference of a note: its content, then its frontmatter, or the nesting limit the
/// content exceeds (the one the server's renderer fails the note on). Each (origin, frontmatter
/// path, syntax, raw, target) once, as the plugin dedups them, in the plugin's order: embeds,
/// then Markdown images and links, then HTML, then links to attachments.
pub(crate) fn find(content: &str, nested: &Map<String, Value>) -> Result<Vec<Reference>, Exceeded> {
    let mut found = Vec::new();
    in_markdown(content, Origin::Content, None, &mut found)?;
    in_frontmatter(nested, String::new(), &mut found);
    let mut seen = std::collections::HashSet::new();
    found.retain(|r: &Reference| {
        seen.insert((r.origin, r.frontmatter_path.clone(), r.syntax, r.raw.clone(), r.target.clone()))
    });
    Ok(found)
}

/// The references [`vps_render::references`] finds in `markdown`, as the plugin reports them,
/// appended to `out` in the plugin's order of syntaxes.
fn in_markdown(markdown: &str, origin: Origin, path: Option<&str>, out: &mut Vec<Reference>) -> Result<(), Exceeded> {
    let mut found = Vec::new();
    for reference in vps_render::references(markdown, &PublishLimits::default())? {
        let alias = reference.alias.as_deref();
        let (syntax, path_text, display, only_attachments) = match reference.kind {
            ReferenceKind::Embed => {
                let display = Display::parse(alias.into_iter().flat_map(|alias| alias.split('|')));
                (Syntax::ObsidianEmbed, subpath_free(&reference.target), display, false)
            }
            ReferenceKind::Image => {
                let modifiers = alias.into_iter().flat_map(|alt| alt.split('|').skip(1));
                (Syntax::MarkdownImage, reference.target.as_str(), Display::parse(modifiers), true)
            }
            ReferenceKind::Link => (Syntax::MarkdownLink, reference.target.as_str(), Display::default(), true),
            ReferenceKind::HtmlImage => (Syntax::HtmlRef, reference.target.as_str(), Display::default(), false),
            ReferenceKind::HtmlLink => (Syntax::HtmlRef, reference.target.as_str(), Display::default(), true),
            ReferenceKind::WikiLink => {
                (Syntax::ObsidianLink, subpath_free(&reference.target), Display::default(), true)
            }
        };
        let Some(lookup) = clean(path_text) else { continue };
        let drawing = matches!(syntax, Syntax::ObsidianEmbed | Syntax::ObsidianLink) && vps_render::is_drawing(&lookup);
        let (kind, attachment) = match classify(&lookup) {
            // `![[Plan.excalidraw]]`, `[[Plan.excalidraw.md]]`: shown by the image the plugin
            // exports beside the drawing, which the scan looks for.
            _ if drawing => ("image", false),
            Some(found) => found,
            // `<img src="picture">`: an image whatever its name; other syntaxes need a file type.
            None if syntax == Syntax::HtmlRef && !lookup.to_lowercase().ends_with(".md") => ("image", false),
            None => continue,
        };
        if only_attachments && !attachment && !drawing {
            continue;
        }
        found.push(Reference {
            raw: reference.raw,
            target: lookup.strip_prefix("assets/").unwrap_or(&lookup).to_owned(),
            lookup,
            kind,
            display,
            origin,
            syntax,
            frontmatter_path: path.map(str::to_owned),
            attachment,
        });
    }
    // The plugin looks for one syntax after another.
    found.sort_by_key(|reference| match reference.syntax {
        Syntax::ObsidianEmbed => 0,
        Syntax::MarkdownImage | Syntax::MarkdownLink => 1,
        Syntax::HtmlRef => 2,
        Syntax::ObsidianLink | Syntax::FrontmatterPath => 3,
    });
    out.extend(found);
    Ok(())
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
            // A string nested past the limit is not Markdown anyone will see.
            let _ = in_markdown(text, Origin::Frontmatter, Some(&path), out);
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
    vps_core::url::has_scheme(path)
}

#[cfg(test)]
mod tests;
