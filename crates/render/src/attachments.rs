//! Which file an embed, an image or a link to an attachment means, in Obsidian's order: the one
//! rule the publisher (choosing what to upload), the server (choosing what the page shows) and
//! the tests share.
//!
//! For a target written in the note at `note_path`:
//!
//! 1. relative to the note's folder (`pic.png` next to the note, `../img/pic.png`), unless the
//!    target starts with `/`;
//! 2. as a vault path (`Attachments/pic.png`, `/Attachments/pic.png`);
//! 3. in the assets folder, when one is configured ([`AttachmentIndex::with_assets_folder`]):
//!    the path inside it, then by name as in 4 but only among its files;
//! 4. by file name: the files whose path ends with the target (`b/far.png` matches
//!    `deep/a/b/far.png`; a target with folders that no path ends with finds nothing), the one
//!    with the fewest folders winning, then the shortest path, then the first in byte order.
//!    The file name's case is compared exactly first, then ignoring case (as Obsidian on most
//!    systems). Skipped when an assets folder is configured without the vault fallback.
//!
//! Paths and names are compared in NFC ([`vps_core::slug::nfc`]): macOS writes names in NFD, and
//! a note typed elsewhere names them in NFC. Each file keeps its own spelling. A `#fragment` is
//! not part of the target, `\` is a folder separator; percent-decoding is the caller's (a
//! Markdown destination is encoded, a wikilink is not).
//!
//! ```
//! use vps_render::AttachmentIndex;
//!
//! let vault = AttachmentIndex::new(["img.png", "Notes/img.png", "Attachments/deep/photo.JPG"]);
//! // Next to the note first, as Obsidian does: not the file at the vault root.
//! assert_eq!(vault.resolve("Notes/Post.md", "img.png"), Some("Notes/img.png"));
//! assert_eq!(vault.resolve("Other/Post.md", "img.png"), Some("img.png"));
//! assert_eq!(vault.resolve("Notes/Post.md", "/img.png"), Some("img.png"));
//! assert_eq!(vault.resolve("Notes/Post.md", "deep/photo.jpg"), Some("Attachments/deep/photo.JPG"));
//! assert_eq!(vault.resolve("Notes/Post.md", "nowhere/photo.JPG"), None);
//! ```

use std::collections::HashMap;

use vps_core::slug::nfc;

/// The files of a vault (or of a publication), indexed to resolve references.
#[derive(Debug, Clone, Default)]
pub struct AttachmentIndex {
    /// Each path as given, in the order given.
    paths: Vec<String>,
    /// Each path in NFC, in the same order.
    keys: Vec<String>,
    by_path: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_lower_name: HashMap<String, Vec<usize>>,
    assets_folder: Option<String>,
    vault_fallback: bool,
}

impl AttachmentIndex {
    /// Indexes `paths` (vault paths with `/`; notes may be among them). Of two paths that differ
    /// only by normalization, the first in byte order is found.
    pub fn new<I>(paths: I) -> AttachmentIndex
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let paths: Vec<String> = paths.into_iter().map(|path| path.as_ref().to_owned()).collect();
        let keys: Vec<String> = paths.iter().map(|path| nfc(path).into_owned()).collect();
        let mut order: Vec<usize> = (0..paths.len()).collect();
        order.sort_by(|&a, &b| paths[a].cmp(&paths[b]));
        let mut by_path = HashMap::with_capacity(paths.len());
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_lower_name: HashMap<String, Vec<usize>> = HashMap::new();
        for i in order {
            let key = &keys[i];
            by_path.entry(key.clone()).or_insert(i);
            let name = file_name(key);
            by_name.entry(name.to_owned()).or_default().push(i);
            by_lower_name.entry(name.to_lowercase()).or_default().push(i);
        }
        AttachmentIndex { paths, keys, by_path, by_name, by_lower_name, assets_folder: None, vault_fallback: true }
    }

    /// Searches `folder` (the plugin's `assetsFolder`) after the note's folder and the vault
    /// path, before the whole vault; without `vault_fallback` (the plugin's
    /// `enableAssetsVaultFallback` off) the whole vault is not searched by name at all.
    pub fn with_assets_folder(mut self, folder: Option<&str>, vault_fallback: bool) -> AttachmentIndex {
        self.assets_folder = folder.map(|folder| nfc(folder.trim_matches('/')).into_owned());
        self.vault_fallback = vault_fallback;
        self
    }

    /// The file `target`, written in the note at `note_path`, means, as given to
    /// [`new`](AttachmentIndex::new).
    pub fn resolve(&self, note_path: &str, target: &str) -> Option<&str> {
        self.resolve_index(note_path, target).map(|i| self.paths[i].as_str())
    }

    /// Like [`resolve`](AttachmentIndex::resolve): the position of the file in the paths given
    /// to [`new`](AttachmentIndex::new).
    pub fn resolve_index(&self, note_path: &str, target: &str) -> Option<usize> {
        let target = target.split('#').next().unwrap_or_default().trim().replace('\\', "/");
        let target = nfc(&target);
        if target.is_empty() {
            return None;
        }
        let note_dir = parent(note_path);
        if !target.starts_with('/')
            && let Some(found) = join(note_dir, &target).and_then(|path| self.get(&path))
        {
            return Some(found);
        }
        if let Some(found) = join("", &target).and_then(|path| self.get(&path)) {
            return Some(found);
        }
        if let Some(folder) = &self.assets_folder {
            if let Some(found) = join(folder, &target).and_then(|path| self.get(&path)) {
                return Some(found);
            }
            if let Some(found) = self.by_name(&target, Some(folder)) {
                return Some(found);
            }
            if !self.vault_fallback {
                return None;
            }
        }
        self.by_name(&target, None)
    }

    /// The position of the file at exactly this vault path (in either normalization).
    pub fn get(&self, path: &str) -> Option<usize> {
        self.by_path.get(nfc(path).as_ref()).copied()
    }

    /// The files named as `target`'s last segment whose path ends with what follows its last
    /// `../`; only under `within` if given. Exact case, then any case.
    fn by_name(&self, target: &str, within: Option<&str>) -> Option<usize> {
        let suffix = target.rsplit("../").next().unwrap_or(target);
        let suffix = suffix.trim_start_matches("./").trim_start_matches('/');
        let name = file_name(suffix);
        if name.is_empty() {
            return None;
        }
        let inside = |i: usize| {
            within.is_none_or(|folder| {
                folder.is_empty() || self.keys[i].strip_prefix(folder).is_some_and(|rest| rest.starts_with('/'))
            })
        };
        let exact = self.by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        let slash_suffix = format!("/{suffix}");
        let found = self.best(exact.iter().copied().filter(|&i| inside(i)).filter(|&i| {
            let key = &self.keys[i];
            key == suffix || key.ends_with(&slash_suffix)
        }));
        if found.is_some() {
            return found;
        }
        let lower = self.by_lower_name.get(&name.to_lowercase()).map(Vec::as_slice).unwrap_or_default();
        let (suffix, slash_suffix) = (suffix.to_lowercase(), slash_suffix.to_lowercase());
        self.best(lower.iter().copied().filter(|&i| inside(i)).filter(|&i| {
            let key = self.keys[i].to_lowercase();
            key == suffix || key.ends_with(&slash_suffix)
        }))
    }

    /// The fewest folders, then the shortest path, then the first in byte order.
    fn best(&self, candidates: impl Iterator<Item = usize>) -> Option<usize> {
        candidates.min_by(|&a, &b| {
            let (a, b) = (&self.keys[a], &self.keys[b]);
            let folders = |path: &str| path.matches('/').count();
            folders(a).cmp(&folders(b)).then(a.len().cmp(&b.len())).then_with(|| a.cmp(b))
        })
    }
}

/// `dir` + `/` + `path`, with `.` and `..` segments resolved; `None` if it leaves the vault.
fn join(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|part| !part.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The folder of a vault path (`""` at the root).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

#[cfg(test)]
mod tests;
