//! An Obsidian vault read the way the "Publish to VPS" plugin reads it, turned into the plugin's
//! note and asset payloads (protocol §5.1, §5.2).
//!
//! Every `.md` file outside dot folders becomes a [`VaultNote`]: its leading YAML frontmatter is
//! cut from `content` and parsed (a small line-based parser: `key: value`, `key: [a, b]` and
//! `- item` lists), and its embeds (`![[target]]`, `![[target|…]]`, `![alt](target)`) of
//! attachments are resolved in the vault by exact path, then path suffix, then file name
//! ([`FileResolver`]). Each attachment found becomes one [`VaultAsset`], in the order of first
//! reference. The vault is only read.
//!
//! ```no_run
//! # async fn demo() {
//! let vault = vps_testkit::vault::scan(std::path::Path::new("my-vault")).unwrap();
//! let plugin = vps_testkit::Plugin::new("http://127.0.0.1:3000", "the-api-key");
//! plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use vps_core::slug::nfc;

/// Extensions of the files an embed can publish as an attachment.
pub const ASSET_EXTENSIONS: &[&str] =
    &["png", "jpg", "jpeg", "gif", "webp", "svg", "mp3", "wav", "flac", "ogg", "mp4", "webm", "mkv", "mov", "pdf"];
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "svg"];
const PUBLISHED_AT: &str = "2026-01-05T10:00:00.000Z";

/// Why a vault could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("non-UTF-8 file name {0:?}")]
    NonUtf8Name(std::ffi::OsString),
}

/// A vault, read.
#[derive(Debug)]
pub struct Vault {
    /// Every file outside dot folders, as vault paths with `/`, sorted.
    pub files: Vec<String>,
    /// Every note, in vault-path order.
    pub notes: Vec<VaultNote>,
    /// Each attachment found, once, in the order of first reference.
    pub assets: Vec<VaultAsset>,
    /// Embeds of attachments, counted once per occurrence.
    pub embeds: usize,
    /// `(note, target)` of each embed that no vault file matches.
    pub unresolved_embeds: Vec<(String, String)>,
    /// How long reading took.
    pub read_time: Duration,
}

/// A note as the plugin sends it.
#[derive(Debug)]
pub struct VaultNote {
    pub vault_path: String,
    pub title: String,
    /// Without its frontmatter.
    pub content: String,
    /// SHA-256 of `content`, what the skip rules compare.
    pub content_sha256: String,
    /// `{flat, nested, tags}`.
    pub frontmatter: Value,
    /// The plugin's `assets` entries, one per embed of an attachment.
    pub asset_refs: Vec<Value>,
    /// Vault paths of the attachments its embeds found, in order, without duplicates.
    pub embedded_files: Vec<String>,
}

/// An attachment as the plugin sends it.
#[derive(Debug)]
pub struct VaultAsset {
    /// The target as first written in an embed, normalized.
    pub relative_path: String,
    pub vault_path: String,
    pub file_name: String,
    pub mime_type: &'static str,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// Reads the vault at `root`.
pub fn scan(root: &Path) -> Result<Vault, ScanError> {
    let started = Instant::now();
    let mut files = Vec::new();
    list_files(root, "", &mut files)?;
    files.sort();
    let resolver = FileResolver::new(&files);

    let mut notes = Vec::new();
    let mut assets: Vec<VaultAsset> = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    let (mut embeds, mut unresolved_embeds) = (0, Vec::new());
    for path in files.iter().filter(|path| path.ends_with(".md")) {
        let text = std::fs::read_to_string(root.join(path)).map_err(|source| io(root.join(path), source))?;
        let (yaml, content) = split_frontmatter(&text);
        let mut asset_refs = Vec::new();
        let mut embedded_files: Vec<String> = Vec::new();
        for embed in find_embeds(content) {
            embeds += 1;
            asset_refs.push(embed.to_json());
            let Some(found) = resolver.resolve(&embed.lookup) else {
                unresolved_embeds.push((path.clone(), embed.lookup));
                continue;
            };
            if !embedded_files.iter().any(|file| file == found) {
                embedded_files.push(found.to_owned());
            }
            if !known.insert(found.to_owned()) {
                continue;
            }
            let bytes = std::fs::read(root.join(found)).map_err(|source| io(root.join(found), source))?;
            assets.push(VaultAsset {
                relative_path: embed.target.clone(),
                vault_path: found.to_owned(),
                file_name: file_name(found).to_owned(),
                mime_type: mime_type(found),
                sha256: sha256_hex(&bytes),
                bytes,
            });
        }
        let title = file_name(path).strip_suffix(".md").unwrap_or(path).to_owned();
        notes.push(VaultNote {
            vault_path: path.clone(),
            title,
            content_sha256: sha256_hex(content.as_bytes()),
            content: content.to_owned(),
            frontmatter: parse_frontmatter(yaml.unwrap_or("")),
            asset_refs,
            embedded_files,
        });
    }
    Ok(Vault { files, notes, assets, embeds, unresolved_embeds, read_time: started.elapsed() })
}

impl Vault {
    /// Every note's payload.
    pub fn note_payloads(&self) -> Vec<Value> {
        self.notes.iter().map(VaultNote::payload).collect()
    }

    /// Every attachment's payload.
    pub fn asset_payloads(&self) -> Vec<Value> {
        self.assets.iter().map(VaultAsset::payload).collect()
    }

    /// Bytes of note content and attachments.
    pub fn size(&self) -> u64 {
        let assets: usize = self.assets.iter().map(|asset| asset.bytes.len()).sum();
        let notes: usize = self.notes.iter().map(|note| note.content.len()).sum();
        (assets + notes) as u64
    }
}

impl VaultNote {
    /// The §5.1 payload, in a folder published at `/`.
    pub fn payload(&self) -> Value {
        json!({
            "noteId": crate::uuid_like(),
            "title": self.title,
            "vaultPath": self.vault_path,
            "relativePath": self.vault_path,
            "content": self.content,
            "frontmatter": self.frontmatter,
            "folderConfig": {
                "id": "root",
                "vpsId": "testkit",
                "vaultFolder": "",
                "routeBase": "/",
                "ignoredCleanupRuleIds": [],
            },
            "publishedAt": PUBLISHED_AT,
            "eligibility": {"isPublishable": true},
            "assets": self.asset_refs,
        })
    }

    /// Its route: [`note_route`] of its vault path.
    pub fn route(&self) -> String {
        note_route(&self.vault_path)
    }
}

impl VaultAsset {
    /// The §5.2 payload.
    pub fn payload(&self) -> Value {
        json!({
            "relativePath": self.relative_path,
            "vaultPath": self.vault_path,
            "fileName": self.file_name,
            "mimeType": self.mime_type,
            "contentBase64": BASE64.encode(&self.bytes),
        })
    }
}

fn io(path: PathBuf, source: std::io::Error) -> ScanError {
    ScanError::Io { path, source }
}

/// Every file below `dir`, as vault paths with `/`; dot files and dot folders (`.obsidian`) are
/// left out.
fn list_files(root: &Path, dir: &str, files: &mut Vec<String>) -> Result<(), ScanError> {
    let path = root.join(dir);
    for entry in std::fs::read_dir(&path).map_err(|source| io(path.clone(), source))? {
        let entry = entry.map_err(|source| io(path.clone(), source))?;
        let name = entry.file_name().into_string().map_err(ScanError::NonUtf8Name)?;
        if name.starts_with('.') {
            continue;
        }
        let vault_path = if dir.is_empty() { name } else { format!("{dir}/{name}") };
        let kind = entry.file_type().map_err(|source| io(entry.path(), source))?;
        if kind.is_dir() {
            list_files(root, &vault_path, files)?;
        } else if kind.is_file() {
            files.push(vault_path);
        }
    }
    Ok(())
}

/// A leading `---` … `---` block, and the text after it.
pub fn split_frontmatter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "---" {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

/// `{flat, nested, tags}` from top-level `key: value`, `key: [a, b]` and `key:` + `- item` lines.
pub fn parse_frontmatter(yaml: &str) -> Value {
    let mut flat = Map::new();
    let mut list_key: Option<String> = None;
    for line in yaml.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t', '-']) {
            let item = trimmed.strip_prefix('-').filter(|item| item.is_empty() || item.starts_with(' '));
            if let (Some(item), Some(key)) = (item, &list_key) {
                let entry = flat.entry(key.clone()).or_insert_with(|| json!([]));
                if !entry.is_array() {
                    *entry = json!([]);
                }
                if let Some(list) = entry.as_array_mut() {
                    list.push(Value::String(unquote(item.trim()).to_owned()));
                }
            }
            continue;
        }
        let Some((key, raw)) = line.split_once(':') else { continue };
        let key = camel_case(key.trim());
        let raw = raw.trim();
        list_key = None;
        let value = if raw.is_empty() {
            list_key = Some(key.clone());
            Value::Null
        } else if let Some(inner) = raw.strip_prefix('[').and_then(|raw| raw.strip_suffix(']')) {
            inner.split(',').map(|item| unquote(item.trim())).filter(|item| !item.is_empty()).map(Value::from).collect()
        } else {
            scalar(raw)
        };
        flat.insert(key, value);
    }
    let tags: Vec<Value> = match flat.get("tags") {
        Some(Value::String(tag)) => vec![Value::String(tag.clone())],
        Some(Value::Array(tags)) => tags.clone(),
        _ => Vec::new(),
    };
    let mut nested = Map::new();
    for (key, value) in &flat {
        insert_nested(&mut nested, key, value.clone());
    }
    json!({"flat": flat, "nested": nested, "tags": tags})
}

fn insert_nested(map: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        Some((head, rest)) if !head.is_empty() && !rest.is_empty() => {
            let entry = map.entry(head.to_owned()).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            if let Some(child) = entry.as_object_mut() {
                insert_nested(child, rest, value);
            }
        }
        _ => {
            map.insert(key.to_owned(), value);
        }
    }
}

fn unquote(raw: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = raw.strip_prefix(quote).and_then(|raw| raw.strip_suffix(quote)) {
            return inner;
        }
    }
    raw
}

fn scalar(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" | "~" => Value::Null,
        _ if raw.starts_with(['"', '\'']) => Value::String(unquote(raw).to_owned()),
        _ => raw
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| raw.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(raw.to_owned())),
    }
}

/// `Cover Image` → `coverImage`; keys without separators are kept as they are.
fn camel_case(key: &str) -> String {
    if !key.contains([' ', '-', '_']) {
        return key.to_owned();
    }
    let mut out = String::new();
    for word in key.split([' ', '-', '_']).filter(|word| !word.is_empty()) {
        let lower = word.to_lowercase();
        if out.is_empty() {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            out.extend(chars);
        }
    }
    out
}

/// One embed of an attachment in a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    pub raw: String,
    /// The target as written, normalized (§5.2): the asset's `relativePath`.
    pub target: String,
    /// The target as written, with `\` as `/` and without a leading `./` or `/`: what is looked up.
    pub lookup: String,
    pub modifiers: Vec<String>,
    /// `obsidian-embed` or `markdown-image`.
    pub syntax: &'static str,
}

impl Embed {
    /// The plugin's `assets` entry for it.
    pub fn to_json(&self) -> Value {
        json!({
            "raw": self.raw,
            "target": self.target,
            "kind": asset_kind(&self.target),
            "display": {"classes": [], "rawModifiers": self.modifiers},
            "origin": "content",
            "sourceSyntax": self.syntax,
        })
    }
}

/// `![[target]]`, `![[target|…]]` and `![alt](target)` (not http) whose target has an asset
/// extension; a `#…` subpath is dropped, and so is the `\` of a `\|` escaped in a table.
pub fn find_embeds(content: &str) -> Vec<Embed> {
    let mut embeds = Vec::new();
    let mut from = 0;
    while let Some(found) = content[from..].find("![") {
        let start = from + found;
        from = start + 2;
        let rest = &content[start + 2..];
        let parsed = if let Some(inner) = rest.strip_prefix('[') {
            inner.find("]]").map(|end| &inner[..end]).filter(|inner| !inner.contains(['\n', '[', ']'])).map(|inner| {
                let mut parts = inner.split('|');
                let target = parts.next().unwrap_or_default();
                let modifiers = parts.map(|part| part.trim().to_owned()).collect();
                (format!("![[{inner}]]"), target.to_owned(), modifiers, "obsidian-embed")
            })
        } else {
            markdown_image(rest)
                .map(|(len, target)| (content[start..start + 2 + len].to_owned(), target, Vec::new(), "markdown-image"))
        };
        let Some((raw, target, modifiers, syntax)) = parsed else { continue };
        let target = target.split('#').next().unwrap_or_default().trim().trim_end_matches('\\').trim();
        if !ASSET_EXTENSIONS.contains(&extension(target).as_str()) {
            continue;
        }
        let lookup = clean_path(target);
        let target = lookup.strip_prefix("assets/").unwrap_or(&lookup).to_owned();
        from = start + raw.len();
        embeds.push(Embed { raw, target, lookup, modifiers, syntax });
    }
    embeds.extend(linked_attachments(content));
    embeds
}

/// `[[file.pdf]]` or `[[screenshot.png|see it]]`: a link (not an embed) to an attachment. The
/// plugin does not upload these, so such links stay unresolved on its sites; our publisher does,
/// and so does this scan, so that a published vault's links to its own files work.
fn linked_attachments(content: &str) -> Vec<Embed> {
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(found) = content[from..].find("[[") {
        let start = from + found;
        from = start + 2;
        if content[..start].ends_with('!') || content[..start].ends_with('\\') {
            continue;
        }
        let Some(inner) = content[start + 2..].find("]]").map(|end| &content[start + 2..start + 2 + end]) else {
            break;
        };
        if inner.contains(['\n', '[', ']']) {
            continue;
        }
        let target = inner.split('|').next().unwrap_or_default().split('#').next().unwrap_or_default().trim();
        if !ASSET_EXTENSIONS.contains(&extension(target).as_str()) {
            continue;
        }
        let lookup = clean_path(target);
        let raw = format!("[[{inner}]]");
        from = start + raw.len();
        let target = lookup.strip_prefix("assets/").unwrap_or(&lookup).to_owned();
        links.push(Embed { raw, target, lookup, modifiers: Vec::new(), syntax: "obsidian-link" });
    }
    links
}

/// After `![`: `alt](target)` or `alt](<target> "title")`; the length of that text, and the
/// target percent-decoded. Remote targets (with a scheme) are not attachments.
fn markdown_image(rest: &str) -> Option<(usize, String)> {
    let close = rest.find(']')?;
    if rest[..close].contains('\n') {
        return None;
    }
    let after = rest[close + 1..].strip_prefix('(')?;
    let end = after.find(')')?;
    let inside = after[..end].trim();
    if inside.contains('\n') {
        return None;
    }
    let target = match inside.strip_prefix('<') {
        Some(bracketed) => bracketed.split('>').next()?,
        None => inside.split_whitespace().next()?,
    };
    if target.contains("://") || target.starts_with("data:") || target.starts_with("mailto:") {
        return None;
    }
    Some((close + 2 + end + 1, percent_decode(target)))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|hex| std::str::from_utf8(hex).ok());
        match (bytes[i], hex.and_then(|hex| u8::from_str_radix(hex, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// `\` → `/`, and leading `./` and `/` removed.
pub fn clean_path(target: &str) -> String {
    let mut path = target.replace('\\', "/");
    loop {
        if let Some(rest) = path.strip_prefix("./") {
            path = rest.to_owned();
        } else if let Some(rest) = path.strip_prefix('/') {
            path = rest.to_owned();
        } else {
            return path;
        }
    }
}

/// The lower-cased extension of a path's file name, or `""`.
pub fn extension(path: &str) -> String {
    let name = file_name(path);
    name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default()
}

/// Whether a path names an image the browser shows in an `<img>`.
pub fn is_image(path: &str) -> bool {
    IMAGE_EXTENSIONS.contains(&extension(path).as_str())
}

pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn asset_kind(path: &str) -> &'static str {
    match extension(path).as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg" => "image",
        "mp3" | "wav" | "flac" | "ogg" => "audio",
        "mp4" | "webm" | "mkv" | "mov" => "video",
        "pdf" => "pdf",
        _ => "other",
    }
}

/// As the plugin: by extension, `application/octet-stream` for the others.
pub fn mime_type(path: &str) -> &'static str {
    match extension(path).as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

/// Finds the vault file of an embed target: exact path, then path suffix, then file name; among
/// several, the shortest path wins (then the first in byte order). Case-sensitive, as the
/// plugin's lookup; paths are compared in NFC, as on macOS (whose file system finds `Café.png`
/// stored in NFD when a note names it in NFC).
pub struct FileResolver<'a> {
    files: HashMap<String, &'a str>,
    by_name: HashMap<String, Vec<&'a str>>,
}

impl<'a> FileResolver<'a> {
    pub fn new(files: &'a [String]) -> Self {
        let mut by_name: HashMap<String, Vec<&str>> = HashMap::new();
        for file in files {
            by_name.entry(nfc(file_name(file)).into_owned()).or_default().push(file);
        }
        Self { files: files.iter().map(|file| (nfc(file).into_owned(), file.as_str())).collect(), by_name }
    }

    pub fn resolve(&self, target: &str) -> Option<&'a str> {
        let target = nfc(target);
        if let Some(exact) = self.files.get(target.as_ref()) {
            return Some(exact);
        }
        let candidates = self.by_name.get(nfc(file_name(&target)).as_ref())?;
        let shortest = |paths: &mut dyn Iterator<Item = &'a str>| paths.min_by_key(|path| (path.len(), *path));
        let suffix = format!("/{target}");
        shortest(&mut candidates.iter().copied().filter(|path| nfc(path).ends_with(&suffix)))
            .or_else(|| shortest(&mut candidates.iter().copied()))
    }
}

/// The route of a note of a folder published at `/` (§7.2): each folder name and the file name
/// (without its extension) as [`vps_core::slug::route_segment`] makes them, joined with `/`. A
/// plain Unicode route (NFC); in an href it is [`vps_core::url::encode_path`] of it. Two notes
/// whose routes collide get the product's deterministic suffix, which this does not add.
pub fn note_route(vault_path: &str) -> String {
    let mut parts: Vec<&str> = vault_path.split('/').filter(|part| !part.is_empty()).collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let mut route = String::new();
    for part in parts.into_iter().chain([stem]) {
        route.push('/');
        route.push_str(&vps_core::slug::route_segment(part));
    }
    route
}

/// Greedy, in order, as the plugin batches: each batch `{prefix…]}` stays ≤ `limit` bytes, but
/// for an item larger than `limit`, which makes a batch of its own. `prefix` is `{"notes":[` or
/// `{"assets":[`; items are JSON texts.
pub fn cut_batches(prefix: &str, items: Vec<String>, limit: usize) -> Vec<String> {
    let overhead = prefix.len() + 2;
    let mut batches = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = overhead;
    let flush = |current: &mut Vec<String>, batches: &mut Vec<String>| {
        if !current.is_empty() {
            batches.push(format!("{prefix}{}]}}", current.join(",")));
            current.clear();
        }
    };
    for item in items {
        let separator = usize::from(!current.is_empty());
        if !current.is_empty() && size + separator + item.len() > limit {
            flush(&mut current, &mut batches);
            size = overhead;
        }
        size += usize::from(!current.is_empty()) + item.len();
        current.push(item);
    }
    flush(&mut current, &mut batches);
    batches
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_the_route_segments_of_each_name() {
        use vps_core::slug::route_segment;
        assert_eq!(note_route("Foo Bar.md"), "/foo-bar");
        assert_eq!(
            note_route("Editing and formatting/Basic formatting syntax.md"),
            "/editing-and-formatting/basic-formatting-syntax"
        );
        assert_eq!(note_route("Sub Dir/Été Spécial.md"), "/sub-dir/ete-special");
        assert_eq!(note_route("post-one.md"), format!("/{}", route_segment("post-one")));
        assert_eq!(
            note_route("日本語/はじめに.md"),
            format!("/{}/{}", route_segment("日本語"), route_segment("はじめに"))
        );
        assert_eq!(note_route("!!!/???.md"), format!("/{}/{}", route_segment("!!!"), route_segment("???")));
        // Every script keeps its letters: no placeholder.
        assert!(note_route("日本語/日本語.md").contains("日本語"));
        // An NFD vault path (macOS) gives the route of its NFC spelling.
        assert_eq!(note_route("E\u{301}te\u{301}.md"), note_route("Été.md"));
    }

    #[test]
    fn frontmatter_is_cut_and_parsed() {
        let text = "---\naliases:\n  - Start here\n  - \"Home\"\ntags: [a, b]\ntitle: Hello\npublish: true\nCover Image: x.png\n---\n# Body\n";
        let (yaml, content) = split_frontmatter(text);
        assert_eq!(content, "# Body\n");
        let frontmatter = parse_frontmatter(yaml.unwrap());
        assert_eq!(frontmatter["flat"]["aliases"], json!(["Start here", "Home"]));
        assert_eq!(frontmatter["flat"]["title"], json!("Hello"));
        assert_eq!(frontmatter["flat"]["publish"], json!(true));
        assert_eq!(frontmatter["flat"]["coverImage"], json!("x.png"));
        assert_eq!(frontmatter["tags"], json!(["a", "b"]));
        assert_eq!(split_frontmatter("no\n---\nfront\n---\n"), (None, "no\n---\nfront\n---\n"));
    }

    #[test]
    fn embeds_of_attachments_are_found() {
        let content = "![[a.png]] ![[Engelbart.jpg\\|200]] ![[icon.svg#icon]] ![[Note]] ![[b.PDF|right|300]]\n\
                       ![alt](sub/my%20pic.png \"t\") ![x](https://e.com/y.png) ![[./assets/c.mp3]]";
        let embeds = find_embeds(content);
        let targets: Vec<&str> = embeds.iter().map(|embed| embed.target.as_str()).collect();
        assert_eq!(targets, ["a.png", "Engelbart.jpg", "icon.svg", "b.PDF", "sub/my pic.png", "c.mp3"]);
        assert_eq!(embeds[4].raw, "![alt](sub/my%20pic.png \"t\")");
        assert_eq!(embeds[3].modifiers, ["right", "300"]);
        assert_eq!(embeds[5].lookup, "assets/c.mp3");
    }

    #[test]
    fn targets_resolve_by_path_then_suffix_then_name() {
        let files: Vec<String> =
            ["a.png", "x/b.png", "long/x/b.png", "z/c.png", "zz/yy/c.png"].iter().map(|s| s.to_string()).collect();
        let resolver = FileResolver::new(&files);
        assert_eq!(resolver.resolve("a.png"), Some("a.png"));
        assert_eq!(resolver.resolve("x/b.png"), Some("x/b.png"));
        assert_eq!(resolver.resolve("yy/c.png"), Some("zz/yy/c.png"));
        assert_eq!(resolver.resolve("q/c.png"), Some("z/c.png"));
        assert_eq!(resolver.resolve("d.png"), None);
        let files = vec!["Photos/Cafe\u{301}.png".to_owned()];
        let resolver = FileResolver::new(&files);
        assert_eq!(resolver.resolve("Café.png"), Some("Photos/Cafe\u{301}.png"), "NFC finds NFD");
        assert_eq!(resolver.resolve("Photos/Café.png"), Some("Photos/Cafe\u{301}.png"));
    }

    #[test]
    fn batches_stay_under_the_limit() {
        let items: Vec<String> =
            ["aaaa", "bbbb", "cccccccccccccccccccccccccccccc", "dd"].iter().map(|s| s.to_string()).collect();
        let batches = cut_batches("{\"notes\":[", items, 24);
        assert_eq!(
            batches,
            ["{\"notes\":[aaaa,bbbb]}", "{\"notes\":[cccccccccccccccccccccccccccccc]}", "{\"notes\":[dd]}"]
        );
        assert!(batches[0].len() <= 24);
    }

    #[test]
    fn a_vault_is_read_as_the_plugin_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("Notes")).unwrap();
        std::fs::create_dir_all(dir.path().join("Attachments")).unwrap();
        std::fs::create_dir_all(dir.path().join(".obsidian")).unwrap();
        std::fs::write(dir.path().join(".obsidian/app.json"), "{}").unwrap();
        std::fs::write(dir.path().join("Attachments/pic.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        std::fs::write(dir.path().join("Notes/A.md"), "---\ntags: [x]\n---\n![[pic.png]] ![[gone.png]] ![[pic.png]]")
            .unwrap();
        let vault = scan(dir.path()).unwrap();
        assert_eq!(vault.files, ["Attachments/pic.png", "Notes/A.md"]);
        assert_eq!(vault.notes.len(), 1);
        assert_eq!(vault.notes[0].content, "![[pic.png]] ![[gone.png]] ![[pic.png]]");
        assert_eq!(vault.notes[0].embedded_files, ["Attachments/pic.png"]);
        assert_eq!(vault.embeds, 3);
        assert_eq!(vault.unresolved_embeds, [("Notes/A.md".to_owned(), "gone.png".to_owned())]);
        assert_eq!(vault.assets.len(), 1);
        let payload = vault.notes[0].payload();
        assert_eq!(payload["frontmatter"]["tags"], json!(["x"]));
        assert_eq!(payload["assets"].as_array().unwrap().len(), 3);
        assert_eq!(vault.asset_payloads()[0]["vaultPath"], "Attachments/pic.png");
        assert_eq!(vault.notes[0].route(), "/notes/a");
    }
}
