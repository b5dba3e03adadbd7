//! The files of a vault, listed once, and the lookup of a reference's target among them with
//! [`vps_render::AttachmentIndex`], the rule the server shows pages by: next to the note, then the
//! vault path, then the assets folder, then anywhere. Paths are compared in NFC
//! (`vps_core::slug::nfc`): macOS writes names in NFD, and a note typed elsewhere names them in
//! NFC. Each file keeps its own spelling.

use std::path::Path;

use vps_core::slug::nfc;
use vps_render::AttachmentIndex;

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
    /// The same files, in the same order, to resolve references.
    attachments: AttachmentIndex,
}

impl VaultIndex {
    /// Lists the vault. Names that are not UTF-8 are skipped, each with a warning; so are
    /// symbolic links to folders (a link can make a loop). Links to files are followed.
    pub(crate) fn read(root: &Path, warnings: &mut Vec<String>) -> std::io::Result<Self> {
        let mut files = Vec::new();
        list(root, "", &mut files, warnings)?;
        Ok(Self::new(files))
    }

    pub(crate) fn new(mut files: Vec<VaultFile>) -> Self {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let keys = files.iter().map(|file| nfc(&file.path).into_owned()).collect();
        let attachments = AttachmentIndex::new(files.iter().map(|file| file.path.as_str()));
        Self { files, keys, attachments }
    }

    /// Resolves references with the plugin's `assetsFolder` and `enableAssetsVaultFallback`.
    pub(crate) fn with_assets_folder(mut self, folder: Option<&str>, vault_fallback: bool) -> Self {
        self.attachments = self.attachments.with_assets_folder(folder, vault_fallback);
        self
    }

    /// The file at `path`, in either normalization.
    pub(crate) fn get(&self, path: &str) -> Option<&VaultFile> {
        self.attachments.get(path).map(|i| &self.files[i])
    }

    /// The file `lookup`, written in the note at `note_path`, means
    /// ([`AttachmentIndex::resolve`]).
    pub(crate) fn resolve(&self, note_path: &str, lookup: &str) -> Option<&VaultFile> {
        self.attachments.resolve_index(note_path, lookup).map(|i| &self.files[i])
    }

    /// Notes (`.md`, any case) and canvases (`.canvas`) in `folder` and below, in path order;
    /// `""` is the whole vault.
    pub(crate) fn notes_under<'a>(&'a self, folder: &'a str) -> impl Iterator<Item = &'a VaultFile> + 'a {
        let folder = nfc(folder).into_owned();
        self.files
            .iter()
            .zip(&self.keys)
            .filter(move |(file, key)| {
                is_page(&file.path)
                    && (folder.is_empty() || key.strip_prefix(&folder).is_some_and(|r| r.starts_with('/')))
            })
            .map(|(file, _)| file)
    }

    /// Whether `folder` holds at least one file.
    pub(crate) fn has_folder(&self, folder: &str) -> bool {
        let folder = nfc(folder);
        folder.is_empty()
            || self.keys.iter().any(|key| key.strip_prefix(folder.as_ref()).is_some_and(|r| r.starts_with('/')))
    }
}

pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub(crate) fn is_note(path: &str) -> bool {
    file_name(path).rsplit_once('.').is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("md"))
}

/// Whether the file at `path` is published as a page: a note, or a canvas (sent as a note whose
/// content is its JSON, [`vps_render::Canvas`]).
pub(crate) fn is_page(path: &str) -> bool {
    is_note(path) || vps_render::is_canvas(path)
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
    fn nfd_and_nfc_names_find_each_other_and_keep_their_spelling() {
        let nfd = "Photos/E\u{301}te\u{301}.png";
        let vault = index(&[nfd, "Notes/Café.md", "Ce\u{301}dric/Note.md"]).with_assets_folder(Some("assets"), true);
        let resolve = |lookup| vault.resolve("Notes/Note.md", lookup).map(|f| f.path.as_str());
        assert_eq!(resolve("Été.png"), Some(nfd), "by name, NFC typed, NFD stored");
        assert_eq!(resolve("Photos/Été.png"), Some(nfd), "by vault path");
        assert_eq!(resolve("../Photos/Été.png"), Some(nfd), "relative");
        assert_eq!(resolve("été.png"), Some(nfd), "any case");
        assert_eq!(vault.get("Notes/Cafe\u{301}.md").map(|f| f.path.as_str()), Some("Notes/Café.md"));
        let under: Vec<&str> = vault.notes_under("Cédric").map(|f| f.path.as_str()).collect();
        assert_eq!(under, ["Ce\u{301}dric/Note.md"], "a folder named in NFC holds its NFD files");
        assert!(vault.has_folder("Cédric"));
    }
}
