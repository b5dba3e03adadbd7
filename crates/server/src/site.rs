//! The live site: the revision the `current` pointer names, held in memory with its reader's
//! model (search, tags), so that a request is a map lookup and a blob read. Publishing and
//! rollback save a revision, move the pointer, then swap the in-memory copy; readers see the old
//! site or the new one, never a mix.

use std::ops::Deref;
use std::sync::{Arc, RwLock};

use vps_core::revision::{Revision, RevisionId};
use vps_store::{FsStore, Revisions, StoreError};

use crate::finalize::SiteModel;

/// A revision and its reader's model (absent for an empty site or an unreadable model).
pub struct Live {
    pub revision: Revision,
    pub site: Option<vps_site::Site>,
}

impl Deref for Live {
    type Target = Revision;
    fn deref(&self) -> &Revision {
        &self.revision
    }
}

pub struct Site {
    revisions: Revisions,
    live: RwLock<Arc<Live>>,
}

impl Site {
    /// Loads the revision `current` names (or an empty site).
    pub fn open(revisions: Revisions, store: &FsStore) -> Result<Self, StoreError> {
        let live = Self::load_current(&revisions, store)?;
        Ok(Self { revisions, live: RwLock::new(Arc::new(live)) })
    }

    fn load_current(revisions: &Revisions, store: &FsStore) -> Result<Live, StoreError> {
        let revision = match revisions.current()? {
            Some(id) => revisions.load(&id)?.ok_or_else(|| missing(&id))?,
            None => Revision::empty(),
        };
        let site = match &revision.site_blob {
            Some(blob) => store
                .read_bytes(blob)?
                .and_then(|bytes| serde_json::from_slice::<SiteModel>(&bytes).ok())
                .map(SiteModel::build),
            None => None,
        };
        Ok(Live { revision, site })
    }

    pub fn live(&self) -> Arc<Live> {
        self.live.read().expect("site lock").clone()
    }

    /// Saves `revision`, points the site at it and serves it from now on. Blocking file I/O.
    pub fn publish(&self, revision: Revision, site: vps_site::Site) -> Result<Arc<Live>, StoreError> {
        self.revisions.save(&revision)?;
        self.revisions.set_current(Some(&revision.id))?;
        let live = Arc::new(Live { revision, site: Some(site) });
        *self.live.write().expect("site lock") = live.clone();
        Ok(live)
    }

    /// Serves nothing (the plugin's "clean VPS"): the pointer names no revision; history stays.
    pub fn clear(&self) -> Result<(), StoreError> {
        self.revisions.set_current(None)?;
        *self.live.write().expect("site lock") = Arc::new(Live { revision: Revision::empty(), site: None });
        Ok(())
    }

    /// Follows the pointer when something else moved it (`vps-publish rollback` while serving).
    /// Returns the new live revision's id when it changed. Blocking file I/O (one small read).
    pub fn refresh(&self, store: &FsStore) -> Result<Option<RevisionId>, StoreError> {
        let on_disk = self.revisions.current()?;
        let live = self.live();
        let live_id = (!live.is_empty_site()).then(|| live.id.clone());
        if on_disk == live_id {
            return Ok(None);
        }
        let loaded = Self::load_current(&self.revisions, store)?;
        let id = loaded.revision.id.clone();
        *self.live.write().expect("site lock") = Arc::new(loaded);
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
