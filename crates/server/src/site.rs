//! The live site: the revision the `current` pointer names, held in memory so that a page
//! request is a map lookup and a blob read. Publishing and rollback save a revision, move the
//! pointer, then swap the in-memory copy; readers see the old site or the new one, never a mix.

use std::sync::{Arc, RwLock};

use vps_core::revision::{Revision, RevisionId};
use vps_store::{Revisions, StoreError};

pub struct Site {
    revisions: Revisions,
    live: RwLock<Arc<Revision>>,
}

impl Site {
    /// Loads the revision `current` names (or an empty site).
    pub fn open(revisions: Revisions) -> Result<Self, StoreError> {
        let live = Self::load_current(&revisions)?;
        Ok(Self { revisions, live: RwLock::new(Arc::new(live)) })
    }

    fn load_current(revisions: &Revisions) -> Result<Revision, StoreError> {
        match revisions.current()? {
            Some(id) => revisions.load(&id)?.ok_or_else(|| missing(&id)),
            None => Ok(Revision::empty()),
        }
    }

    pub fn live(&self) -> Arc<Revision> {
        self.live.read().expect("site lock").clone()
    }

    /// Saves `revision`, points the site at it and serves it from now on. Blocking file I/O.
    pub fn publish(&self, revision: Revision) -> Result<Arc<Revision>, StoreError> {
        self.revisions.save(&revision)?;
        self.revisions.set_current(Some(&revision.id))?;
        let revision = Arc::new(revision);
        *self.live.write().expect("site lock") = revision.clone();
        Ok(revision)
    }

    /// Serves nothing (the plugin's "clean VPS"): the pointer names no revision; history stays.
    pub fn clear(&self) -> Result<(), StoreError> {
        self.revisions.set_current(None)?;
        *self.live.write().expect("site lock") = Arc::new(Revision::empty());
        Ok(())
    }

    /// Follows the pointer when something else moved it (`vps-publish rollback` while serving).
    /// Returns the new live revision's id when it changed. Blocking file I/O (one small read).
    pub fn refresh(&self) -> Result<Option<RevisionId>, StoreError> {
        let on_disk = self.revisions.current()?;
        let live = self.live();
        let live_id = (!live.is_empty_site()).then(|| live.id.clone());
        if on_disk == live_id {
            return Ok(None);
        }
        let revision = Self::load_current(&self.revisions)?;
        let id = revision.id.clone();
        *self.live.write().expect("site lock") = Arc::new(revision);
        Ok(Some(id))
    }
}

fn missing(id: &RevisionId) -> StoreError {
    StoreError::Io {
        op: "load the current revision",
        path: format!("revisions/{id}.json").into(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "the pointer names a revision that is not stored"),
    }
}
