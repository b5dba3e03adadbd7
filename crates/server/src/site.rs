//! The live site: the revision the `current` pointer names, held in memory with its reader's
//! model (search, tags), so that a request is a map lookup and a blob read. Publishing and
//! rollback save a revision, move the pointer, then swap the in-memory copy; readers see the old
//! site or the new one, never a mix. The pointer may live in a bucket shared by several servers:
//! each follows it ([`Site::refresh`]), and a publish moves it only from the revision it was built
//! on ([`Site::publish`]).

use std::ops::Deref;
use std::sync::{Arc, RwLock};

use vps_core::revision::{Revision, RevisionId};
use vps_store::{BlobStore, Expect, RevisionStore, StoreError};

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
    revisions: Arc<dyn RevisionStore>,
    live: RwLock<Arc<Live>>,
}

impl Site {
    /// Loads the revision `current` names (or an empty site).
    pub async fn open(revisions: Arc<dyn RevisionStore>, store: &dyn BlobStore) -> Result<Self, StoreError> {
        let live = Self::load_current(&*revisions, store).await?;
        Ok(Self { revisions, live: RwLock::new(Arc::new(live)) })
    }

    async fn load_current(revisions: &dyn RevisionStore, store: &dyn BlobStore) -> Result<Live, StoreError> {
        let revision = match revisions.current().await? {
            Some(id) => revisions.load(&id).await?.ok_or_else(|| missing(&id))?,
            None => Revision::empty(),
        };
        let site = match &revision.site_blob {
            Some(blob) => store
                .read_bytes(blob)
                .await?
                .and_then(|bytes| serde_json::from_slice::<SiteModel>(&bytes).ok())
                .map(SiteModel::build),
            None => None,
        };
        Ok(Live { revision, site })
    }

    pub fn live(&self) -> Arc<Live> {
        self.live.read().expect("site lock").clone()
    }

    /// What the pointer must still name for a revision built on the live one to be published.
    pub fn expect_live(live: &Live) -> Expect {
        Expect::Current((!live.is_empty_site()).then(|| live.id.clone()))
    }

    /// Saves `revision`, points the site at it — if the pointer is still where `expect` says:
    /// else [`StoreError::PointerMoved`], and nothing changes — and serves it from now on.
    pub async fn publish(
        &self,
        revision: Revision,
        site: vps_site::Site,
        expect: Expect,
    ) -> Result<Arc<Live>, StoreError> {
        self.revisions.save(&revision).await?;
        if let Err(error) = self.revisions.set_current(Some(&revision.id), expect).await {
            // Never live: not worth keeping in the history (its blobs go with the next `gc`).
            if matches!(error, StoreError::PointerMoved { .. }) {
                let _ = self.revisions.remove(&revision.id).await;
            }
            return Err(error);
        }
        let live = Arc::new(Live { revision, site: Some(site) });
        *self.live.write().expect("site lock") = live.clone();
        Ok(live)
    }

    /// Serves nothing (the plugin's "clean VPS"): the pointer names no revision; history stays.
    pub async fn clear(&self) -> Result<(), StoreError> {
        self.revisions.set_current(None, Expect::Anything).await?;
        *self.live.write().expect("site lock") = Arc::new(Live { revision: Revision::empty(), site: None });
        Ok(())
    }

    /// Whether `ours` is the revision the pointer names or one it was built on. After a publish to
    /// a bucket shared with other servers, this tells whether another server's publish replaced
    /// ours unseen — possible where the S3 server checks conditional writes non-atomically, or
    /// ignores them — so that ours can be built again on top of it.
    pub async fn still_includes(&self, ours: &RevisionId) -> Result<bool, StoreError> {
        let mut next = self.revisions.current().await?;
        while let Some(id) = next {
            if &id == ours {
                return Ok(true);
            }
            // Revision ids grow with time: one older than ours cannot have been built on it.
            if &id < ours {
                return Ok(false);
            }
            next = self.revisions.load(&id).await?.and_then(|revision| revision.parent);
        }
        Ok(false)
    }

    /// Follows the pointer when something else moved it (`vps-publish rollback` while serving,
    /// another replica's publish). Returns the new live revision's id when it changed.
    pub async fn refresh(&self, store: &dyn BlobStore) -> Result<Option<RevisionId>, StoreError> {
        let stored = self.revisions.current().await?;
        let live = self.live();
        let live_id = (!live.is_empty_site()).then(|| live.id.clone());
        if stored == live_id {
            return Ok(None);
        }
        let loaded = Self::load_current(&*self.revisions, store).await?;
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
