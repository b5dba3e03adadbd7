//! The files of a vault, listed once, and the lookup of a reference's target among them the way
//! Obsidian finds an attachment: next to the note, then in the assets folder, then anywhere.
//! Paths and names are compared in NFC (`vps_core::slug::nfc`): macOS writes names in NFD, and a
//! note typed elsewhere names them in NFC. Each file keeps its own spelling.

use std::collections::HashMap;
use std::path::Path;

use vps_core::slug::nfc;

/// A file of the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VaultFile {
    /// Its vault path, with `/`.
    pub path: String,
    pub size: u64,
}

/// Every file of a vault outside dot folders (`.obsidian`, `.trash`, `.git`…), dot files left
/// out too, sorted by path.
pub(crate) struct VaultIndex {
    files: Vec<VaultFile>,
    /// Each file's path in NFC, in the order of `files`.
    keys: Vec<String>,
    by_path: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_lower_name: HashMap<String, Vec<usize>>,
}

impl VaultIndex {
    /// Lists the vault. Names that are not UTF-8 are skipped, each with a warning; so are
    /// symbolic links to folders (a link can make a loop). Links to files are followed.
    pub fn read(root: &Path, warnings: &mut Vec<String>) -> std::io::Result<Self> {
        let mut files = Vec::new();
        list(root, "", &mut files, warnings)?;
        Ok(Self::new(files))
    }

    pub fn new(mut files: Vec<VaultFile>) -> Self {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut by_path = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_lower_name: HashMap<String, Vec<usize>> = HashMap::new();
        let keys: Vec<String> = files.iter().map(|file| nfc(&file.path).into_owned()).collect();
        for (i, key) in keys.iter().enumerate() {
            // Two files whose names differ only by normalization: the first in byte order.
            by_path.entry(key.clone()).or_insert(i);
            let name = file_name(key);
            by_name.entry(name.to_owned()).or_default().push(i);
            by_lower_name.entry(name.to_lowercase()).or_default().push(i);
        }
        Self { files, keys, by_path, by_name, by_lower_name }
    }

    /// The file at `path`, in either normalization.
    pub fn get(&self, path: &str) -> Option<&VaultFile> {
        self.by_path.get(nfc(path).as_ref()).map(|&i| &self.files[i])
    }

    /// Notes (`.md`, any case) in `folder` and below, in path order; `""` is the whole vault.
    pub fn notes_under<'a>(&'a self, folder: &'a str) -> impl Iterator<Item = &'a VaultFile> + 'a {
        let folder = nfc(folder).into_owned();
        self.files
            .iter()
            .zip(&self.keys)
            .filter(move |(file, key)| {
                is_note(&file.path)
                    && (folder.is_empty() || key.strip_prefix(&folder).is_some_and(|r| r.starts_with('/')))
            })
            .map(|(file, _)| file)
    }

    /// Whether `folder` holds at least one file.
    pub fn has_folder(&self, folder: &str) -> bool {
        let folder = nfc(folder);
        folder.is_empty()
            || self.keys.iter().any(|key| key.strip_prefix(folder.as_ref()).is_some_and(|r| r.starts_with('/')))
    }

    /// The file a reference written in a note of `note_dir` points to: the path relative to the
    /// note's folder, or else a full vault path; then in `assets_folder`, the path inside it, else by path suffix, else by
    /// file name; then, if `vault_fallback` (or there is no assets folder), the same across the
    /// whole vault. Among several, the shortest path wins, then the first in byte order. Names
    /// are compared exactly, then ignoring case (as Obsidian on most systems).
    pub fn resolve(
        &self,
        lookup: &str,
        note_dir: &str,
        assets_folder: Option<&str>,
        vault_fallback: bool,
    ) -> Option<&VaultFile> {
        if let Some(found) = join(note_dir, lookup).and_then(|path| self.get(&path)) {
            return Some(found);
        }
        // A full vault path (Obsidian's "absolute path in vault" links) is not a search.
        if let Some(found) = join("", lookup).and_then(|path| self.get(&path)) {
            return Some(found);
        }
        if let Some(folder) = assets_folder {
            if let Some(found) = join(folder, lookup).and_then(|path| self.get(&path)) {
                return Some(found);
            }
            if let Some(found) = self.best_match(lookup, Some(folder)) {
                return Some(found);
            }
        }
        if vault_fallback || assets_folder.is_none() {
            return self.best_match(lookup, None);
        }
        None
    }

    /// By path suffix, then by name, exact case then any case; only under `within` if given.
    fn best_match(&self, lookup: &str, within: Option<&str>) -> Option<&VaultFile> {
        // What follows the last `..` is the part that must match.
        let lookup = nfc(lookup);
        let suffix = lookup.rsplit("../").next().unwrap_or(&lookup).trim_start_matches("./");
        let name = file_name(suffix);
        let inside = |i: &usize| {
            within.is_none_or(|folder| {
                self.keys[*i].strip_prefix(nfc(folder).as_ref()).is_some_and(|r| r.starts_with('/'))
            })
        };
        let shortest = |candidates: &mut dyn Iterator<Item = usize>| {
            candidates.min_by(|&a, &b| {
                let (a, b) = (&self.files[a].path, &self.files[b].path);
                a.len().cmp(&b.len()).then_with(|| a.cmp(b))
            })
        };
        let exact = self.by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        let slash_suffix = format!("/{suffix}");
        let by_suffix = |path: &str| path == suffix || path.ends_with(&slash_suffix);
        if let Some(i) = shortest(&mut exact.iter().copied().filter(inside).filter(|&i| by_suffix(&self.keys[i])))
            .or_else(|| shortest(&mut exact.iter().copied().filter(inside)))
        {
            return Some(&self.files[i]);
        }
        let lower = self.by_lower_name.get(&name.to_lowercase()).map(Vec::as_slice).unwrap_or_default();
        let (lower_suffix, lower_slash) = (suffix.to_lowercase(), slash_suffix.to_lowercase());
        let by_lower_suffix = |path: &str| {
            let path = path.to_lowercase();
            path == lower_suffix || path.ends_with(&lower_slash)
        };
        shortest(&mut lower.iter().copied().filter(inside).filter(|&i| by_lower_suffix(&self.keys[i])))
            .or_else(|| shortest(&mut lower.iter().copied().filter(inside)))
            .map(|i| &self.files[i])
    }
}

/// `dir` + `/` + `path`, with `.` and `..` segments resolved; `None` if it leaves the vault.
pub(crate) fn join(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
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

pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The folder of a vault path (`""` at the root).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

pub(crate) fn is_note(path: &str) -> bool {
    file_name(path).rsplit_once('.').is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("md"))
}

fn list(root: &Path, dir: &str, files: &mut Vec<VaultFile>, warnings: &mut Vec<String>) -> std::io::Result<()> {
    let path = if dir.is_empty() { root.to_owned() } else { root.join(dir) };
    let entries = std::fs::read_dir(&path).map_err(|err| with_path(err, &path))?;
    for entry in entries {
        let entry = entry.map_err(|err| with_path(err, &path))?;
        let Ok(name) = entry.file_name().into_string() else {
            warnings.push(format!("skipped {:?}: its name is not UTF-8", entry.path()));
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let vault_path = if dir.is_empty() { name } else { format!("{dir}/{name}") };
        let kind = entry.file_type().map_err(|err| with_path(err, &entry.path()))?;
        if kind.is_dir() {
            list(root, &vault_path, files, warnings)?;
        } else if kind.is_file() {
            let size = entry.metadata().map_err(|err| with_path(err, &entry.path()))?.len();
            files.push(VaultFile { path: vault_path, size });
        } else if kind.is_symlink() {
            match std::fs::metadata(entry.path()) {
                Ok(meta) if meta.is_file() => files.push(VaultFile { path: vault_path, size: meta.len() }),
                Ok(_) => warnings.push(format!("skipped {vault_path}: a link to a folder is not followed")),
                Err(_) => warnings.push(format!("skipped {vault_path}: a broken link")),
            }
        }
    }
    Ok(())
}

pub(crate) fn with_path(err: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(paths: &[&str]) -> VaultIndex {
        VaultIndex::new(paths.iter().map(|p| VaultFile { path: (*p).to_owned(), size: 1 }).collect())
    }

    #[test]
    fn resolution_goes_relative_then_assets_folder_then_vault() {
        let vault = index(&[
            "Notes/pic.png",
            "assets/pic.png",
            "assets/deep/only-in-assets.png",
            "z/only-in-assets.png",
            "Other/far.png",
            "deep/a/b/far.png",
            "Notes/sub/x.png",
        ]);
        let resolve =
            |lookup, dir, fallback| vault.resolve(lookup, dir, Some("assets"), fallback).map(|f| f.path.as_str());
        assert_eq!(resolve("pic.png", "Notes", true), Some("Notes/pic.png"), "next to the note first");
        assert_eq!(resolve("pic.png", "Elsewhere", true), Some("assets/pic.png"), "then the assets folder");
        assert_eq!(resolve("only-in-assets.png", "Notes", true), Some("assets/deep/only-in-assets.png"));
        assert_eq!(resolve("far.png", "Notes", true), Some("Other/far.png"), "then the vault, shortest path");
        assert_eq!(resolve("b/far.png", "Notes", true), Some("deep/a/b/far.png"), "a path suffix beats a name");
        assert_eq!(resolve("far.png", "Notes", false), None, "no vault fallback");
        assert_eq!(resolve("../Notes/sub/x.png", "Notes/sub", true), Some("Notes/sub/x.png"));
        assert_eq!(resolve("sub/x.png", "Notes", true), Some("Notes/sub/x.png"));
        assert_eq!(resolve("FAR.PNG", "Notes", true), Some("Other/far.png"), "any case, last");
        assert_eq!(resolve("gone.png", "Notes", true), None);
        assert_eq!(vault.resolve("far.png", "", None, false).map(|f| f.path.as_str()), Some("Other/far.png"));
    }

    #[test]
    fn joins_resolve_dots_and_refuse_to_leave_the_vault() {
        assert_eq!(join("a/b", "../c.png").as_deref(), Some("a/c.png"));
        assert_eq!(join("", "./c.png").as_deref(), Some("c.png"));
        assert_eq!(join("a", "../../c.png"), None);
    }

    #[test]
    fn nfd_and_nfc_names_find_each_other_and_keep_their_spelling() {
        let nfd = "Photos/E\u{301}te\u{301}.png";
        let vault = index(&[nfd, "Notes/Café.md", "Ce\u{301}dric/Note.md"]);
        let resolve = |lookup, dir| vault.resolve(lookup, dir, Some("assets"), true).map(|f| f.path.as_str());
        assert_eq!(resolve("Été.png", "Notes"), Some(nfd), "by name, NFC typed, NFD stored");
        assert_eq!(resolve("Photos/Été.png", "Notes"), Some(nfd), "by vault path");
        assert_eq!(resolve("../Photos/Été.png", "Notes"), Some(nfd), "relative");
        assert_eq!(resolve("été.png", "Notes"), Some(nfd), "any case");
        assert_eq!(vault.get("Notes/Cafe\u{301}.md").map(|f| f.path.as_str()), Some("Notes/Café.md"));
        let under: Vec<&str> = vault.notes_under("Cédric").map(|f| f.path.as_str()).collect();
        assert_eq!(under, ["Ce\u{301}dric/Note.md"], "a folder named in NFC holds its NFD files");
        assert!(vault.has_folder("Cédric"));
    }
}
