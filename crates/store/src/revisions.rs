//! Revisions on a filesystem: `revisions/<id>.json`, immutable once written, and `current`, the
//! one mutable file, naming the live revision. Every write is temp → fsync → rename → fsync dir,
//! so a crash leaves the old pointer or the new one, each naming a complete revision.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use vps_core::revision::{Revision, RevisionId};

use crate::{StoreError, durable};

#[derive(Debug, Clone)]
pub struct Revisions {
    dir: PathBuf,
    current: PathBuf,
}

impl Revisions {
    /// Opens (creating if needed) `<data>/revisions` and `<data>/current`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let dir = data_dir.join("revisions");
        std::fs::create_dir_all(&dir).map_err(StoreError::io("create directory", &dir))?;
        Ok(Self { dir, current: data_dir.join("current") })
    }

    pub fn save(&self, revision: &Revision) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(revision).map_err(|e| StoreError::io("encode revision", &self.dir)(e.into()))?;
        durable::write_file(&self.path(&revision.id), &bytes, 0o644)
    }

    pub fn load(&self, id: &RevisionId) -> Result<Option<Revision>, StoreError> {
        let path = self.path(id);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map(Some).map_err(|e| StoreError::io("decode revision", path)(e.into()))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io("read", path)(e)),
        }
    }

    /// Every stored revision's id, oldest first.
    pub fn list(&self) -> Result<Vec<RevisionId>, StoreError> {
        let entries = std::fs::read_dir(&self.dir).map_err(StoreError::io("list", &self.dir))?;
        let mut ids: Vec<RevisionId> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".json").and_then(|id| RevisionId::parse(id).ok()))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The live revision's id, if anything is published.
    pub fn current(&self) -> Result<Option<RevisionId>, StoreError> {
        match std::fs::read_to_string(&self.current) {
            Ok(text) if text.trim().is_empty() => Ok(None),
            Ok(text) => RevisionId::parse(text.trim())
                .map(Some)
                .map_err(|e| StoreError::io("read", &self.current)(std::io::Error::new(ErrorKind::InvalidData, e))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io("read", &self.current)(e)),
        }
    }

    /// Points the site at a saved revision: the one step readers see.
    pub fn set_current(&self, id: Option<&RevisionId>) -> Result<(), StoreError> {
        let text = id.map(|id| format!("{id}\n")).unwrap_or_default();
        durable::write_file(&self.current, text.as_bytes(), 0o644)
    }

    pub fn remove(&self, id: &RevisionId) -> Result<(), StoreError> {
        let path = self.path(id);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(StoreError::io("remove", path)(e)),
            _ => Ok(()),
        }
    }

    /// The pointer file, for those who watch it for changes.
    pub fn pointer_path(&self) -> &Path {
        &self.current
    }

    fn path(&self, id: &RevisionId) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_revisions_are_listed_and_the_pointer_moves() {
        let dir = tempfile::tempdir().unwrap();
        let revisions = Revisions::open(dir.path()).unwrap();
        assert_eq!(revisions.current().unwrap(), None);
        let mut first = Revision::empty();
        first.id = RevisionId::new(1, 1);
        let mut second = Revision::empty();
        second.id = RevisionId::new(2, 2);
        revisions.save(&second).unwrap();
        revisions.save(&first).unwrap();
        assert_eq!(revisions.list().unwrap(), [first.id.clone(), second.id.clone()]);
        revisions.set_current(Some(&second.id)).unwrap();
        assert_eq!(revisions.current().unwrap(), Some(second.id.clone()));
        assert_eq!(revisions.load(&second.id).unwrap(), Some(second));
        revisions.set_current(None).unwrap();
        assert_eq!(revisions.current().unwrap(), None);
    }
}
