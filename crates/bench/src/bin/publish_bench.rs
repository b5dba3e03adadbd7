//! `publish-bench`: how long the real server takes to publish a real vault through the protocol
//! of the Obsidian plugin "Publish to VPS" 6.22.1, the first time and again when nothing changed.
//!
//! It reads a vault (by default `../shared/vaults/obsidian-help-en` next to the workspace, 173
//! notes and about 130 attachments; never modified), the way the plugin does: every `.md` file
//! outside dot folders becomes a note, its leading YAML frontmatter is cut from `content` and
//! parsed (a small line-based parser: `key: value`, `key: [a, b]` and `- item` lists), and its
//! embeds (`![[target]]`, `![[target|…]]`, `![alt](target)`) of attachments are resolved in the
//! vault by exact path, then path suffix, then file name. Each attachment found is uploaded once.
//!
//! Then, against a fresh `vps-publish serve` with a fresh data directory, it publishes twice:
//!
//! 1. a first, full publish: `POST /api/session/start`, notes batches, then asset batches (each
//!    batch JSON ≤ 1 MiB, gzipped, sliced into 512 KiB base64 chunk envelopes, at most 3 batches in
//!    flight), `POST …/finish`, and `GET …/status` every 50 ms until `completed`
//!    (target ≤ 3 s);
//! 2. a second publish of the same vault, where the plugin's skip rules (note content hash in
//!    `existingSourceNoteHashesByVaultPath` with `pipelineChanged: false`, asset bytes hash in
//!    `existingAssetHashes`) should skip everything: `start`, then `finish` (target ≤ 0.5 s).
//!
//! Each time runs from just before `start` to the status answer that says `completed`; it
//! includes the client's own work (JSON, gzip, base64) but not the reading of the vault, which
//! happens once beforehand. Requests and request-body bytes are counted per publish. Then it
//! checks that the site is served (`GET /`, a few note routes, one attachment), and prints the
//! server's peak RSS (`VmHWM`). Any error answer or failed job stops the run, with the status and
//! body the server gave.
//!
//! Run it from the workspace root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/publish-bench
//! ```
//!
//! Options: `--vault PATH` (the vault to publish), `--runs N` (repeat the pair of publishes N
//! times, each on a fresh server; default 1).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use flate2::Compression;
use flate2::write::GzEncoder;
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::{Client, StatusCode};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::runtime::Runtime;
use unicode_normalization::UnicodeNormalization;
use vps_bench::server::{Server, server_binary};
use vps_bench::{MIB, Result, value, verdict};

const USAGE: &str = "usage: publish-bench [--vault PATH] [--runs N]

  --vault PATH   the vault to publish (default: ../shared/vaults/obsidian-help-en, relative to the
                 workspace root); it is only read
  --runs N       publish twice on a fresh server, N times (default 1)

Needs the release build of the server next to it:
  cargo build --release -p vps-publish -p vps-bench && target/release/publish-bench";

/// Relative to the workspace root.
const DEFAULT_VAULT: &str = "../shared/vaults/obsidian-help-en";
const API_KEY: &str = "publish-bench-api-key";

/// The plugin's batch limit `L`, and what it sends as `batchConfig.maxBytesPerRequest`.
const MAX_BYTES_PER_REQUEST: usize = 1024 * 1024;
/// At most this many batches (uploads) in flight, as the plugin with deduplication on.
const UPLOADS_IN_FLIGHT: usize = 3;
const STATUS_POLL: Duration = Duration::from_millis(50);
/// The plugin gives up polling after 10 minutes.
const STATUS_TIMEOUT: Duration = Duration::from_secs(600);

const PLUGIN_VERSION: &str = "6.22.1";
const PUBLISHED_AT: &str = "2026-01-05T10:00:00.000Z";
const ASSET_EXTENSIONS: &[&str] =
    &["png", "jpg", "jpeg", "gif", "webp", "svg", "mp3", "wav", "flac", "ogg", "mp4", "webm", "mkv", "mov", "pdf"];

const FIRST_TARGET: Duration = Duration::from_secs(3);
const SECOND_TARGET: Duration = Duration::from_millis(500);
/// Width of the label column of the report.
const LABEL: usize = 31;

fn main() -> ExitCode {
    let result = Options::parse(std::env::args().skip(1)).and_then(run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("publish-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    vault: PathBuf,
    runs: usize,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut options = Self { vault: workspace.join(DEFAULT_VAULT), runs: 1 };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--vault" => options.vault = value(&mut args, &arg)?,
                "--runs" => options.runs = value(&mut args, &arg)?,
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
            }
        }
        if options.runs == 0 {
            return Err("--runs must be at least 1".into());
        }
        options.vault = options
            .vault
            .canonicalize()
            .map_err(|e| format!("cannot open the vault {}: {e}", options.vault.display()))?;
        Ok(options)
    }
}

fn run(options: Options) -> Result<()> {
    let binary = server_binary()?;
    progress(&format!("reading the vault {}", options.vault.display()));
    let vault = Vault::read(&options.vault)?;
    if vault.notes.is_empty() {
        return Err(format!("no notes in {}", options.vault.display()).into());
    }
    progress(&format!(
        "{} notes, {} assets, {} embeds of attachments ({} unresolved)",
        vault.notes.len(),
        vault.assets.len(),
        vault.embeds,
        vault.unresolved.len()
    ));
    if !vault.unresolved.is_empty() {
        progress(&format!("embeds not found in the vault: {}", vault.unresolved.join(", ")));
    }
    let runtime = Runtime::new()?;

    let mut outcomes = Vec::new();
    for run in 1..=options.runs {
        if options.runs > 1 {
            progress(&format!("run {run} of {}", options.runs));
        }
        outcomes.push(run_pair(&runtime, &binary, &vault)?);
    }

    vault.print();
    let mut failures = Vec::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        if options.runs > 1 {
            println!("run {} of {}", i + 1, options.runs);
        }
        outcome.print();
        failures.extend(outcome.site.failures.iter().map(|failure| format!("run {}: {failure}", i + 1)));
    }
    let oddities: Vec<&String> = outcomes.iter().flat_map(|outcome| &outcome.oddities).collect();
    if !oddities.is_empty() {
        println!("oddities:");
        for oddity in oddities {
            println!("  - {oddity}");
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("the published site is not served as expected:\n  {}", failures.join("\n  ")).into())
    }
}

fn progress(message: &str) {
    eprintln!("publish-bench: {message}");
}

/// A fresh server and data directory: first publish, second publish, site check, peak RSS.
fn run_pair(runtime: &Runtime, binary: &Path, vault: &Vault) -> Result<Outcome> {
    let data_dir = tempfile::Builder::new().prefix("publish-bench-").tempdir()?;
    let server = Server::start(binary, data_dir.path(), API_KEY, &[])?;
    let api = Api::new(&server.base_url)?;
    let outcome: Result<Outcome> = runtime.block_on(async {
        progress("first publish");
        let first = publish(&api, vault).await?;
        progress("second publish");
        let second = publish(&api, vault).await?;
        progress("checking the site");
        let site = check_site(&api, vault, &first).await?;
        Ok(Outcome {
            first,
            second,
            site,
            peak_rss_mib: 0.0,
            oddities: std::mem::take(&mut *api.oddities.lock().unwrap()),
        })
    });
    let outcome = Outcome { peak_rss_mib: server.peak_rss_mib()?, ..outcome? };
    server.stop()?;
    Ok(outcome)
}

/// What one pair of publishes measured.
struct Outcome {
    first: Publish,
    second: Publish,
    site: SiteCheck,
    peak_rss_mib: f64,
    oddities: Vec<String>,
}

impl Outcome {
    fn print(&self) {
        let first = &self.first;
        println!(
            "{:<LABEL$}{}   target <= {} s: {}",
            "first publish",
            first.summary(),
            FIRST_TARGET.as_secs_f64(),
            verdict(first.elapsed <= FIRST_TARGET)
        );
        println!("{:<LABEL$}{}", "", first.details());
        println!("{:<LABEL$}{}", "", first.timeline());
        let second = &self.second;
        let label = if second.everything_skipped() {
            "second publish (all skipped)"
        } else {
            "second publish (NOT all skipped)"
        };
        println!(
            "{label:<LABEL$}{}   target <= {} s: {}",
            second.summary(),
            SECOND_TARGET.as_secs_f64(),
            verdict(second.elapsed <= SECOND_TARGET)
        );
        println!("{:<LABEL$}{}", "", second.details());
        println!("{:<LABEL$}{}", "", second.timeline());
        println!("{:<LABEL$}{}", "site served", self.site.summary());
        println!("{:<LABEL$}{:.1} MiB", "server peak RSS", self.peak_rss_mib);
    }
}

// ---------------------------------------------------------------------------------------------
// The vault, read as the plugin reads it

struct Vault {
    notes: Vec<Note>,
    /// Each attachment found, once, in the order of first reference.
    assets: Vec<Asset>,
    embeds: usize,
    /// Targets of the embeds that no vault file matches, one per embed.
    unresolved: Vec<String>,
    read_time: Duration,
}

struct Note {
    vault_path: String,
    title: String,
    /// Without its frontmatter.
    content: String,
    content_sha256: String,
    frontmatter: Value,
    asset_refs: Vec<Value>,
}

struct Asset {
    relative_path: String,
    vault_path: String,
    file_name: String,
    mime_type: &'static str,
    bytes: Vec<u8>,
    sha256: String,
}

impl Vault {
    fn read(root: &Path) -> Result<Self> {
        let started = Instant::now();
        let mut files = Vec::new();
        list_files(root, "", &mut files)?;
        files.sort();
        let resolver = Resolver::new(&files);

        let mut notes = Vec::new();
        let mut assets: Vec<Asset> = Vec::new();
        let mut asset_index: HashMap<String, usize> = HashMap::new();
        let (mut embeds, mut unresolved) = (0, Vec::new());
        for path in files.iter().filter(|path| path.ends_with(".md")) {
            let text = std::fs::read_to_string(root.join(path)).map_err(|e| format!("{path}: {e}"))?;
            let (yaml, content) = split_frontmatter(&text);
            let mut asset_refs = Vec::new();
            for embed in find_embeds(content) {
                embeds += 1;
                asset_refs.push(embed.to_json());
                let Some(found) = resolver.resolve(&embed.lookup) else {
                    unresolved.push(format!("{:?} in {path}", embed.lookup));
                    continue;
                };
                if asset_index.contains_key(found) {
                    continue;
                }
                let bytes = std::fs::read(root.join(found)).map_err(|e| format!("{found}: {e}"))?;
                asset_index.insert(found.to_owned(), assets.len());
                assets.push(Asset {
                    relative_path: embed.target.clone(),
                    vault_path: found.to_owned(),
                    file_name: file_name(found).to_owned(),
                    mime_type: mime_type(found),
                    sha256: sha256_hex(&bytes),
                    bytes,
                });
            }
            let title = file_name(path).strip_suffix(".md").unwrap_or(path).to_owned();
            notes.push(Note {
                vault_path: path.clone(),
                title,
                content_sha256: sha256_hex(content.as_bytes()),
                content: content.to_owned(),
                frontmatter: parse_frontmatter(yaml.unwrap_or("")),
                asset_refs,
            });
        }
        Ok(Self { notes, assets, embeds, unresolved, read_time: started.elapsed() })
    }

    fn print(&self) {
        let bytes: usize = self.assets.iter().map(|asset| asset.bytes.len()).sum::<usize>()
            + self.notes.iter().map(|note| note.content.len()).sum::<usize>();
        println!(
            "{:<LABEL$}{} notes, {} assets ({} embeds, {} unresolved; {} read in {:.2} s)",
            "vault",
            self.notes.len(),
            self.assets.len(),
            self.embeds,
            self.unresolved.len(),
            size_label(bytes as u64),
            self.read_time.as_secs_f64(),
        );
    }
}

/// Every file below `dir`, as vault paths with `/`; dot files and dot folders (`.obsidian`) are
/// left out.
fn list_files(root: &Path, dir: &str, files: &mut Vec<String>) -> Result<()> {
    let path = root.join(dir);
    for entry in std::fs::read_dir(&path).map_err(|e| format!("{}: {e}", path.display()))? {
        let entry = entry?;
        let name = entry.file_name().into_string().map_err(|name| format!("non-UTF-8 file name {name:?}"))?;
        if name.starts_with('.') {
            continue;
        }
        let vault_path = if dir.is_empty() { name } else { format!("{dir}/{name}") };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list_files(root, &vault_path, files)?;
        } else if kind.is_file() {
            files.push(vault_path);
        }
    }
    Ok(())
}

/// A leading `---` … `---` block, and the text after it.
fn split_frontmatter(text: &str) -> (Option<&str>, &str) {
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
fn parse_frontmatter(yaml: &str) -> Value {
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
struct Embed {
    raw: String,
    /// The target as written, normalized (§5.2): the asset's `relativePath`.
    target: String,
    /// The target as written, with `\` as `/` and without a leading `./` or `/`: what is looked up.
    lookup: String,
    modifiers: Vec<String>,
    syntax: &'static str,
}

impl Embed {
    fn to_json(&self) -> Value {
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
fn find_embeds(content: &str) -> Vec<Embed> {
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
    embeds
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
fn clean_path(target: &str) -> String {
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

fn extension(path: &str) -> String {
    let name = file_name(path);
    name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default()
}

fn file_name(path: &str) -> &str {
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
fn mime_type(path: &str) -> &'static str {
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
/// several, the shortest path wins (then the first in byte order). Case-sensitive.
struct Resolver<'a> {
    files: HashSet<&'a str>,
    by_name: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Resolver<'a> {
    fn new(files: &'a [String]) -> Self {
        let mut by_name: HashMap<&str, Vec<&str>> = HashMap::new();
        for file in files {
            by_name.entry(file_name(file)).or_default().push(file);
        }
        Self { files: files.iter().map(String::as_str).collect(), by_name }
    }

    fn resolve(&self, target: &str) -> Option<&'a str> {
        if let Some(exact) = self.files.get(target) {
            return Some(exact);
        }
        let candidates = self.by_name.get(file_name(target))?;
        let shortest = |paths: &mut dyn Iterator<Item = &'a str>| paths.min_by_key(|path| (path.len(), *path));
        let suffix = format!("/{target}");
        shortest(&mut candidates.iter().copied().filter(|path| path.ends_with(&suffix)))
            .or_else(|| shortest(&mut candidates.iter().copied()))
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// One publish, as the plugin makes it

/// What one publish did and how long it took.
struct Publish {
    elapsed: Duration,
    /// Every request but the status polls.
    requests: u64,
    polls: u64,
    bytes_sent: u64,
    notes_uploaded: usize,
    notes_skipped: usize,
    note_batches: usize,
    assets_uploaded: usize,
    assets_skipped: usize,
    asset_batches: usize,
    /// Time spent building, gzipping and encoding batches, summed over batches.
    client_work: Duration,
    pipeline_changed: Option<bool>,
    promotion_stats: Value,
    /// When each step ended, and when each phase of the job was first seen, from the start.
    timeline: Vec<(String, Duration)>,
    /// The note routes and the asset paths this publish uploaded.
    uploaded_notes: Vec<String>,
    uploaded_assets: Vec<String>,
}

impl Publish {
    fn everything_skipped(&self) -> bool {
        self.notes_uploaded == 0 && self.assets_uploaded == 0
    }

    fn summary(&self) -> String {
        let polls = if self.polls == 1 { "poll" } else { "polls" };
        format!(
            "{:>5.2} s   ({} requests + {} status {polls}, {} sent)",
            self.elapsed.as_secs_f64(),
            self.requests,
            self.polls,
            size_label(self.bytes_sent),
        )
    }

    fn details(&self) -> String {
        let changed = match self.pipeline_changed {
            Some(changed) => changed.to_string(),
            None => "absent".to_owned(),
        };
        format!(
            "sent {} notes in {}, {} assets in {}; skipped {} notes, {} assets \
             (pipelineChanged {changed}); client JSON+gzip+base64 {:.2} s; promotionStats {}",
            self.notes_uploaded,
            batches(self.note_batches),
            self.assets_uploaded,
            batches(self.asset_batches),
            self.notes_skipped,
            self.assets_skipped,
            self.client_work.as_secs_f64(),
            self.promotion_stats,
        )
    }

    fn timeline(&self) -> String {
        let steps: Vec<String> =
            self.timeline.iter().map(|(step, at)| format!("{step} {:.2}", at.as_secs_f64())).collect();
        format!("timeline (s): {}", steps.join(", "))
    }
}

async fn publish(api: &Api, vault: &Vault) -> Result<Publish> {
    api.reset_counters();
    let run_id = uuid::Uuid::new_v4().to_string();
    let started = Instant::now();

    let start = start_body();
    let (_, answer) = api.post(&run_id, "/api/session/start", start, StatusCode::CREATED).await?;
    let mut timeline = vec![("start".to_owned(), started.elapsed())];
    let session = answer["sessionId"].as_str().ok_or_else(|| format!("start: no sessionId in {answer}"))?.to_owned();
    let limit = answer["maxBytesPerRequest"]
        .as_u64()
        .map_or(MAX_BYTES_PER_REQUEST, |value| (value as usize).min(MAX_BYTES_PER_REQUEST));
    let pipeline_changed = answer["pipelineChanged"].as_bool();
    let note_hashes = answer["existingSourceNoteHashesByVaultPath"].as_object().cloned().unwrap_or_default();
    let asset_hashes: HashSet<&str> =
        answer["existingAssetHashes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();

    // The plugin's skip rules (§6.1).
    let skip_notes = pipeline_changed == Some(false) && !note_hashes.is_empty();
    let notes: Vec<usize> = (0..vault.notes.len())
        .filter(|&i| {
            let note = &vault.notes[i];
            !(skip_notes && note_hashes.get(&note.vault_path).and_then(Value::as_str) == Some(&note.content_sha256))
        })
        .collect();
    let assets: Vec<usize> = (0..vault.assets.len())
        .filter(|&i| asset_hashes.is_empty() || !asset_hashes.contains(vault.assets[i].sha256.as_str()))
        .collect();

    let client_work = Mutex::new(Duration::ZERO);
    let prepare = Instant::now();
    let note_items: Vec<String> = notes.iter().map(|&i| note_json(&vault.notes[i]).to_string()).collect();
    let note_batches = cut_batches("{\"notes\":[", note_items, limit);
    let note_batch_count = note_batches.len();
    *client_work.lock().unwrap() += prepare.elapsed();
    let context = UploadContext { api, run_id: &run_id, session: &session, limit, client_work: &client_work };
    upload_all(&context, "notes", note_batches).await?;
    timeline.push(("notes".to_owned(), started.elapsed()));

    let prepare = Instant::now();
    let asset_items: Vec<String> = assets.iter().map(|&i| asset_json(&vault.assets[i]).to_string()).collect();
    let asset_batches = cut_batches("{\"assets\":[", asset_items, limit);
    let asset_batch_count = asset_batches.len();
    *client_work.lock().unwrap() += prepare.elapsed();
    upload_all(&context, "assets", asset_batches).await?;
    timeline.push(("assets".to_owned(), started.elapsed()));

    let finish = json!({"notesProcessed": notes.len(), "assetsProcessed": vault.assets.len()}).to_string();
    let path = format!("/api/session/{session}/finish");
    let (_, answer) = api.post(&run_id, &path, finish, StatusCode::ACCEPTED).await?;
    timeline.push(("finish".to_owned(), started.elapsed()));
    let promotion_stats = match answer["jobId"].as_str() {
        Some(_) => wait_for_completion(api, &run_id, &session, started, &mut timeline).await?,
        None => answer["promotionStats"].clone(),
    };
    let elapsed = started.elapsed();

    let (requests, polls, bytes_sent) = api.counters();
    let client_work = *client_work.lock().unwrap();
    Ok(Publish {
        elapsed,
        requests,
        polls,
        bytes_sent,
        notes_uploaded: notes.len(),
        notes_skipped: vault.notes.len() - notes.len(),
        note_batches: note_batch_count,
        assets_uploaded: assets.len(),
        assets_skipped: vault.assets.len() - assets.len(),
        asset_batches: asset_batch_count,
        client_work,
        pipeline_changed,
        promotion_stats,
        timeline,
        uploaded_notes: notes.iter().map(|&i| vault.notes[i].vault_path.clone()).collect(),
        uploaded_assets: assets.iter().map(|&i| vault.assets[i].relative_path.clone()).collect(),
    })
}

/// The §3.1 body of the plugin: no custom index, ignore rules or tags; deduplication on.
fn start_body() -> String {
    json!({
        "notesPlanned": 0,
        "assetsPlanned": 0,
        "batchConfig": {"maxBytesPerRequest": MAX_BYTES_PER_REQUEST},
        "calloutStyles": [],
        "customIndexConfigs": [],
        "ignoreRules": [],
        "ignoredTags": [],
        "folderDisplayNames": {},
        "pipelineSignature": {
            "version": PLUGIN_VERSION,
            "renderSettingsHash": sha256_hex(br#"{"cleanupRules":0,"ignoredTags":[]}"#),
        },
        "locale": "en",
        "deduplicationEnabled": true,
    })
    .to_string()
}

fn note_json(note: &Note) -> Value {
    json!({
        "noteId": uuid::Uuid::new_v4().to_string(),
        "title": note.title,
        "vaultPath": note.vault_path,
        "relativePath": note.vault_path,
        "content": note.content,
        "frontmatter": note.frontmatter,
        "folderConfig": {
            "id": "root",
            "vpsId": "bench",
            "vaultFolder": "",
            "routeBase": "/",
            "ignoredCleanupRuleIds": [],
        },
        "publishedAt": PUBLISHED_AT,
        "eligibility": {"isPublishable": true},
        "assets": note.asset_refs,
    })
}

fn asset_json(asset: &Asset) -> Value {
    json!({
        "relativePath": asset.relative_path,
        "vaultPath": asset.vault_path,
        "fileName": asset.file_name,
        "mimeType": asset.mime_type,
        "contentBase64": BASE64.encode(&asset.bytes),
    })
}

/// Greedy, in order: each batch `{prefix…]}` stays ≤ `limit` bytes, but for an item larger than
/// `limit`, which makes a batch of its own.
fn cut_batches(prefix: &str, items: Vec<String>, limit: usize) -> Vec<String> {
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

struct UploadContext<'a> {
    api: &'a Api,
    run_id: &'a str,
    session: &'a str,
    limit: usize,
    client_work: &'a Mutex<Duration>,
}

/// Every batch of one kind, at most [`UPLOADS_IN_FLIGHT`] at a time.
async fn upload_all(context: &UploadContext<'_>, kind: &str, batches: Vec<String>) -> Result<()> {
    stream::iter(batches.into_iter().map(|batch| upload_batch(context, kind, batch)))
        .buffer_unordered(UPLOADS_IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// One batch: gzip, slices of `limit / 2` gzip bytes as base64 chunk envelopes, sent in order;
/// 202 for each but the last, 200 for the last.
async fn upload_batch(context: &UploadContext<'_>, kind: &str, batch: String) -> Result<()> {
    let original_size = batch.len();
    let (gzip, work) = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, Duration)> {
        let started = Instant::now();
        let mut encoder = GzEncoder::new(Vec::with_capacity(batch.len() / 2), Compression::default());
        encoder.write_all(batch.as_bytes())?;
        Ok((encoder.finish()?, started.elapsed()))
    })
    .await??;
    *context.client_work.lock().unwrap() += work;

    let slice = (context.limit / 2).clamp(1, gzip.len().max(1));
    let total = gzip.len().div_ceil(slice);
    let upload_id = format!("{kind}-{}-{}", context.session, uuid::Uuid::new_v4());
    let path = format!("/api/session/{}/{kind}/upload", context.session);
    for (index, data) in gzip.chunks(slice).enumerate() {
        let started = Instant::now();
        let metadata = json!({
            "uploadId": upload_id,
            "chunkIndex": index,
            "totalChunks": total,
            "originalSize": original_size,
            "compressedSize": gzip.len(),
        });
        let envelope = format!("{{\"metadata\":{metadata},\"data\":\"{}\"}}", BASE64.encode(data));
        *context.client_work.lock().unwrap() += started.elapsed();
        let expected = if index + 1 == total { StatusCode::OK } else { StatusCode::ACCEPTED };
        let (_, answer) = context.api.post(context.run_id, &path, envelope, expected).await?;
        if index + 1 == total
            && let Some(errors) = answer["errors"].as_array().filter(|errors| !errors.is_empty())
        {
            context
                .api
                .odd(format!("POST {path} ({upload_id}): errors in the final answer: {}", Value::from(errors.clone())));
        }
    }
    Ok(())
}

/// Polls the job every [`STATUS_POLL`] until `completed`; its `result.promotionStats`. Each
/// phase seen for the first time goes on the timeline.
async fn wait_for_completion(
    api: &Api,
    run_id: &str,
    session: &str,
    started: Instant,
    timeline: &mut Vec<(String, Duration)>,
) -> Result<Value> {
    let path = format!("/api/session/{session}/status");
    let deadline = Instant::now() + STATUS_TIMEOUT;
    loop {
        let answer = api.poll(run_id, &path).await?;
        let phase = answer["phase"].as_str().unwrap_or("?");
        if timeline.iter().all(|(step, _)| step != phase) {
            timeline.push((phase.to_owned(), started.elapsed()));
        }
        match answer["status"].as_str() {
            Some("completed") => return Ok(answer["result"]["promotionStats"].clone()),
            Some("failed") => {
                return Err(format!("GET {path}: the job failed: error {}; answer {answer}", answer["error"]).into());
            }
            Some("pending" | "processing") => {}
            _ => api.odd(format!("GET {path}: unexpected status in {answer}")),
        }
        if Instant::now() > deadline {
            return Err(format!("GET {path}: not completed after {STATUS_TIMEOUT:?}: {answer}").into());
        }
        tokio::time::sleep(STATUS_POLL).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The site, once published twice

struct SiteCheck {
    root_status: StatusCode,
    checked: Vec<(String, StatusCode)>,
    failures: Vec<String>,
}

impl SiteCheck {
    fn summary(&self) -> String {
        let ok = self.checked.iter().filter(|(_, status)| *status == StatusCode::OK).count();
        let assets = self.checked.iter().filter(|(path, _)| path.starts_with("/assets/")).count();
        let mut summary = format!(
            "GET / {}; {ok} of {} GETs 200 ({} note routes, {assets} asset linked from a page)",
            self.root_status.as_u16(),
            self.checked.len(),
            self.checked.len() - assets,
        );
        if !self.failures.is_empty() {
            summary.push_str(&format!(" (FAILED: {})", self.failures.join("; ")));
        }
        summary
    }
}

/// `GET /` (reported; 404 is allowed: no home page is declared), a few note routes, and the
/// first `/assets/…` URL that those pages link to (each must be 200).
async fn check_site(api: &Api, vault: &Vault, first: &Publish) -> Result<SiteCheck> {
    let (root_status, _) = api.get("/").await?;
    let mut notes: Vec<&str> = Vec::new();
    let uploaded = &first.uploaded_notes;
    let preferred = ["Home.md", "Editing and formatting/Basic formatting syntax.md"];
    notes.extend(preferred.iter().copied().filter(|path| uploaded.iter().any(|note| note == path)));
    notes.extend(
        [uploaded.first(), uploaded.get(uploaded.len() / 2), uploaded.last()].into_iter().flatten().map(String::as_str),
    );
    // And a note with an `![[…]]` embed of an uploaded attachment, whose link is followed.
    let resolved: HashSet<&str> = first.uploaded_assets.iter().map(String::as_str).collect();
    let embedding = vault.notes.iter().find(|note| {
        note.asset_refs.iter().any(|asset| {
            asset["sourceSyntax"] == "obsidian-embed"
                && asset["target"].as_str().is_some_and(|target| resolved.contains(target))
        })
    });
    notes.extend(embedding.map(|note| note.vault_path.as_str()));
    let mut routes: Vec<String> = Vec::new();
    for route in notes.into_iter().map(note_route) {
        if !routes.contains(&route) {
            routes.push(route);
        }
    }

    let mut checked = Vec::new();
    let mut failures = Vec::new();
    let mut asset_link = None;
    for route in routes {
        let (status, body) = api.get(&route).await?;
        if status != StatusCode::OK {
            failures.push(format!("GET {route} → {status}"));
        }
        if asset_link.is_none() {
            asset_link = first_asset_link(&body);
        }
        checked.push((route, status));
    }
    match asset_link {
        Some(link) => {
            let (status, _) = api.get(&link).await?;
            if status != StatusCode::OK {
                failures.push(format!("GET {link} (linked from a page) → {status}"));
            }
            checked.push((link, status));
        }
        None => failures.push("no page checked links to /assets/…".to_owned()),
    }
    if root_status != StatusCode::OK && root_status != StatusCode::NOT_FOUND {
        failures.push(format!("GET / → {root_status}"));
    }
    Ok(SiteCheck { root_status, checked, failures })
}

/// The first `src="/assets/…"` or `href="/assets/…"` of a page.
fn first_asset_link(html: &str) -> Option<String> {
    ["src=\"/assets/", "href=\"/assets/"]
        .iter()
        .filter_map(|attribute| {
            let at = html.find(attribute)?;
            let value = &html[at + attribute.len() - "/assets/".len()..];
            Some((at, value[..value.find('"')?].replace("&amp;", "&")))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, link)| link)
}

/// The route of a note of the root node (§7.2): each folder and the file name route-slugged.
fn note_route(vault_path: &str) -> String {
    let mut parts: Vec<&str> = vault_path.split('/').collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let mut route = String::new();
    for dir in parts.into_iter().map(dir_slug).filter(|dir| !dir.is_empty()) {
        route.push('/');
        route.push_str(&dir);
    }
    route.push('/');
    route.push_str(&route_slug(stem));
    route
}

/// NFD, combining marks dropped, everything but ASCII letters, digits and whitespace deleted,
/// whitespace collapsed and trimmed, lower-cased, spaces as `-`; `note` when empty.
fn route_slug(name: &str) -> String {
    let slug = dir_slug(name);
    if slug.is_empty() { "note".to_owned() } else { slug }
}

/// [`route_slug`] without the `note` fallback: folders whose slug is empty are dropped.
fn dir_slug(name: &str) -> String {
    let kept: String = name
        .nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .filter(|c| c.is_ascii_alphanumeric() || c.is_whitespace())
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase()
}

// ---------------------------------------------------------------------------------------------
// The HTTP client, which counts what it sends

struct Api {
    client: Client,
    base_url: String,
    requests: AtomicU64,
    polls: AtomicU64,
    bytes_sent: AtomicU64,
    /// Answers that are successes for the plugin but not what the protocol describes.
    oddities: Mutex<Vec<String>>,
}

impl Api {
    fn new(base_url: &str) -> Result<Self> {
        Ok(Self {
            client: Client::builder().no_proxy().build()?,
            base_url: base_url.to_owned(),
            requests: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            oddities: Mutex::new(Vec::new()),
        })
    }

    fn reset_counters(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.polls.store(0, Ordering::Relaxed);
        self.bytes_sent.store(0, Ordering::Relaxed);
    }

    /// (requests but polls, polls, request-body bytes)
    fn counters(&self) -> (u64, u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.polls.load(Ordering::Relaxed),
            self.bytes_sent.load(Ordering::Relaxed),
        )
    }

    fn odd(&self, oddity: String) {
        self.oddities.lock().unwrap().push(oddity);
    }

    /// A JSON POST with the plugin's headers. Any 2xx with a JSON body is a success, as for the
    /// plugin; a 2xx other than `expected` is recorded as an oddity.
    async fn post(&self, run_id: &str, path: &str, body: String, expected: StatusCode) -> Result<(StatusCode, Value)> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes_sent.fetch_add(body.len() as u64, Ordering::Relaxed);
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("x-api-key", API_KEY)
            .header("x-upload-run-id", run_id)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("POST {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status}: {text}").into());
        }
        let answer = serde_json::from_str(&text)
            .map_err(|e| format!("POST {path}: {status}, but the body is not JSON ({e}): {text:?}"))?;
        if status != expected {
            self.odd(format!("POST {path}: {status} where {expected} was expected: {text}"));
        }
        Ok((status, answer))
    }

    async fn poll(&self, run_id: &str, path: &str) -> Result<Value> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .header("x-api-key", API_KEY)
            .header("x-upload-run-id", run_id)
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("GET {path}: {status}: {text}").into());
        }
        serde_json::from_str(&text).map_err(|e| format!("GET {path}: the body is not JSON ({e}): {text:?}").into())
    }

    /// A public GET, without the API key; its status and body.
    async fn get(&self, path: &str) -> Result<(StatusCode, String)> {
        let response =
            self.client.get(format!("{}{path}", self.base_url)).send().await.map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        Ok((status, body))
    }
}

fn batches(count: usize) -> String {
    format!("{count} {}", if count == 1 { "batch" } else { "batches" })
}

fn size_label(bytes: u64) -> String {
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_reference_slug() {
        assert_eq!(note_route("Foo Bar.md"), "/foo-bar");
        assert_eq!(
            note_route("Editing and formatting/Basic formatting syntax.md"),
            "/editing-and-formatting/basic-formatting-syntax"
        );
        assert_eq!(note_route("Sub Dir/Été Spécial.md"), "/sub-dir/ete-special");
        assert_eq!(note_route("post-one.md"), "/postone");
        assert_eq!(note_route("2024-01-05 Meeting notes.md"), "/20240105-meeting-notes");
        assert_eq!(note_route("My  File_2.md"), "/my-file2");
        assert_eq!(note_route("C++ & Rust.md"), "/c-rust");
        assert_eq!(note_route("日本語/日本語.md"), "/note");
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
        let resolver = Resolver::new(&files);
        assert_eq!(resolver.resolve("a.png"), Some("a.png"));
        assert_eq!(resolver.resolve("x/b.png"), Some("x/b.png"));
        assert_eq!(resolver.resolve("yy/c.png"), Some("zz/yy/c.png"));
        assert_eq!(resolver.resolve("q/c.png"), Some("z/c.png"));
        assert_eq!(resolver.resolve("d.png"), None);
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
}
