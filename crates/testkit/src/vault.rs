//! An Obsidian vault read by the product, turned into the plugin's note and asset payloads
//! (protocol §5.1, §5.2).
//!
//! Nothing here reads Markdown or YAML or looks a file up: [`scan`] runs the command-line
//! publisher's own scan ([`vps_publisher::scan`], the whole vault at `/`), which reads a vault
//! exactly as the plugin does: frontmatter cut and parsed as YAML, references to attachments
//! found outside code and comments and resolved as Obsidian resolves them. Routes are [`vps_render::compute_route`]'s, media types the ingest sniffer's
//! ([`vps_ingest::sniff::sniff`]). What this module adds is the payload shape and, per note,
//! which uploaded file each reference found. The plugin's batching, [`crate::cut_batches`],
//! stays with [`crate::Plugin`], independent of the product. The vault is only read.
//!
//! ```no_run
//! # async fn demo() {
//! let vault = vps_testkit::vault::scan(std::path::Path::new("my-vault")).unwrap();
//! let plugin = vps_testkit::Plugin::new("http://127.0.0.1:3000", "the-api-key");
//! plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
//! # }
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use vps_core::MediaType;
use vps_core::note::Note;
use vps_core::slug::nfc;

/// The `publishedAt` of every note sent, so that two scans of one vault send the same notes.
const PUBLISHED_AT: &str = "2026-01-05T10:00:00.000Z";

/// Why a vault could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The product's scan refused the vault.
    #[error(transparent)]
    Scan(#[from] vps_publisher::ScanError),
    /// A file of the vault could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the filesystem answered.
        #[source]
        source: std::io::Error,
    },
}

/// A vault, read.
#[derive(Debug)]
pub struct Vault {
    /// Every file outside dot folders, as vault paths with `/`, sorted.
    pub files: Vec<String>,
    /// Every note, in the scan's order (vault-path order).
    pub notes: Vec<VaultNote>,
    /// Each attachment found, once, in the order of first reference.
    pub assets: Vec<VaultAsset>,
    /// References to attachments, counted once per note that has them.
    pub embeds: usize,
    /// `(note, target)` of each reference to an attachment that no vault file matches.
    pub unresolved_embeds: Vec<(String, String)>,
    /// The scan's warnings (missing attachments, frontmatter that did not parse…).
    pub warnings: Vec<String>,
    /// How long reading took.
    pub read_time: Duration,
}

/// A note as the plugin sends it.
#[derive(Debug)]
pub struct VaultNote {
    /// Its path in the vault, with `/`.
    pub vault_path: String,
    /// Its title as the product's scan gives it.
    pub title: String,
    /// Without its frontmatter.
    pub content: String,
    /// SHA-256 of `content`, what the skip rules compare.
    pub content_sha256: String,
    /// `{flat, nested, tags}`.
    pub frontmatter: Value,
    /// The plugin's `assets` entries, one per reference to an attachment.
    pub asset_refs: Vec<Value>,
    /// For each of `asset_refs`, the vault path of the file it found.
    pub found: Vec<Option<String>>,
    /// Vault paths of the attachments its references found, in order, without duplicates.
    pub embedded_files: Vec<String>,
    /// The note as the product's scan made it.
    pub note: Note,
}

/// An attachment as the plugin sends it.
#[derive(Debug)]
pub struct VaultAsset {
    /// The target of its first reference: its `relativePath`.
    pub relative_path: String,
    /// The path of the file in the vault, with `/`.
    pub vault_path: String,
    /// The last component of `vault_path`.
    pub file_name: String,
    /// What the ingest sniffer makes of its bytes (`application/octet-stream` when nothing).
    pub media_type: MediaType,
    /// The file's content.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lowercase hex.
    pub sha256: String,
}

/// Reads the vault at `root` with the product's scan.
pub fn scan(root: &Path) -> Result<Vault, ScanError> {
    let started = Instant::now();
    let plan = vps_publisher::scan(root, &config())?;
    let files = crate::files::list_files(root).map_err(|source| ScanError::Io { path: root.to_owned(), source })?;

    let mut assets = Vec::new();
    // target → the vault paths of the files it found (in some note).
    let mut by_target: HashMap<&str, Vec<&str>> = HashMap::new();
    for planned in &plan.assets {
        let bytes =
            std::fs::read(&planned.file).map_err(|source| ScanError::Io { path: planned.file.clone(), source })?;
        let extension = planned.vault_path.extension();
        let sniffed = vps_ingest::sniff::sniff(&bytes, true, extension.as_deref());
        let vault_path = planned.vault_path.as_str();
        for target in &planned.targets {
            by_target.entry(target).or_default().push(vault_path);
        }
        assets.push(VaultAsset {
            relative_path: planned.targets.first().cloned().unwrap_or_else(|| vault_path.to_owned()),
            vault_path: vault_path.to_owned(),
            file_name: file_name(vault_path).to_owned(),
            media_type: sniffed.unwrap_or(MediaType::OCTET_STREAM),
            sha256: sha256_hex(&bytes),
            bytes,
        });
    }

    let (mut notes, mut embeds, mut unresolved_embeds) = (Vec::new(), 0, Vec::new());
    for note in &plan.notes {
        let dir = note.vault_path.rsplit_once('/').map_or("", |(dir, _)| dir);
        let mut found = Vec::new();
        let mut embedded_files: Vec<String> = Vec::new();
        for reference in &note.assets {
            embeds += 1;
            let file = which_file(by_target.get(reference.target.as_str()).map(Vec::as_slice), dir, &reference.target);
            match file {
                Some(file) if !embedded_files.iter().any(|known| known == file) => embedded_files.push(file.to_owned()),
                Some(_) => {}
                None => unresolved_embeds.push((note.vault_path.clone(), reference.target.clone())),
            }
            found.push(file.map(str::to_owned));
        }
        notes.push(VaultNote {
            vault_path: note.vault_path.clone(),
            title: note.title.clone(),
            content: note.content.clone(),
            content_sha256: sha256_hex(note.content.as_bytes()),
            frontmatter: serde_json::to_value(&note.frontmatter).expect("JSON"),
            asset_refs: note.assets.iter().map(|asset| serde_json::to_value(asset).expect("JSON")).collect(),
            found,
            embedded_files,
            note: note.clone(),
        });
    }
    Ok(Vault { files, notes, assets, embeds, unresolved_embeds, warnings: plan.warnings, read_time: started.elapsed() })
}

/// The whole vault at `/` ([`vps_publisher::Config::default`]) in the folder the tests have
/// always published (`folderConfig` `{id: "root", vpsId: "testkit"}`): a note's identity is its
/// folder id and vault path, and the checked-in data directories were published so.
fn config() -> vps_publisher::Config {
    let mut config = vps_publisher::Config { vps_id: "testkit".to_owned(), ..vps_publisher::Config::default() };
    for node in &mut config.routes {
        node.id = "root".to_owned();
    }
    config
}

/// Which of the files a target found (in the notes of the whole vault) it found in the note of
/// folder `dir`. The scan finds a target next to its note first, else in one place for every
/// note; so the file next to this note if there is one, else the one not next to another note.
fn which_file<'a>(candidates: Option<&[&'a str]>, dir: &str, target: &str) -> Option<&'a str> {
    let candidates = candidates?;
    if let [only] = candidates {
        return Some(only);
    }
    let beside = if dir.is_empty() { nfc(target).into_owned() } else { nfc(&format!("{dir}/{target}")).into_owned() };
    candidates
        .iter()
        .find(|file| nfc(file) == beside)
        .or_else(|| candidates.iter().find(|file| !nfc(file).ends_with(&format!("/{}", nfc(target)))))
        .or(candidates.first())
        .copied()
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

    /// The attachment uploaded from `vault_path`.
    pub fn asset(&self, vault_path: &str) -> Option<&VaultAsset> {
        self.assets.iter().find(|asset| asset.vault_path == vault_path)
    }
}

impl VaultNote {
    /// The §5.1 payload: the product's note, sent at a fixed `publishedAt`.
    pub fn payload(&self) -> Value {
        let mut payload = serde_json::to_value(&self.note).expect("JSON");
        payload["publishedAt"] = json!(PUBLISHED_AT);
        payload["eligibility"] = json!({"isPublishable": true});
        payload
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
            "mimeType": self.media_type.as_str(),
            "contentBase64": BASE64.encode(&self.bytes),
        })
    }

    /// Whether the browser shows it in an `<img>`.
    pub fn is_image(&self) -> bool {
        self.media_type.top_level() == "image"
    }
}

/// The last component of a `/`-separated path (the whole of a path without `/`).
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The route of a note of a folder published at `/` (§7.2): [`vps_render::compute_route`]. A
/// plain Unicode route; in an href it is [`vps_core::url::encode_path`] of it. Two notes whose
/// routes collide get the product's deterministic suffix, which this does not add.
pub fn note_route(vault_path: &str) -> String {
    vps_render::compute_route("/", vault_path, false)
}

/// The plugin's batching, [`crate::cut_batches`] (kept here for the benchmarks).
pub use crate::cut_batches;

/// SHA-256 of `bytes`, lowercase hex, as the server names blobs.
pub fn sha256_hex(bytes: &[u8]) -> String {
    vps_core::ContentHash::of(bytes).to_hex()
}

#[doc(hidden)]
#[cfg(test)]
mod tests;
