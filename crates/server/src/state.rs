//! [`AppState`]: what every handler and background loop can reach.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use vps_envelope::ChunkStore;
use vps_ingest::Policy;
use vps_store::BlobStore;

use crate::Settings;
use crate::api_key::ApiKey;
use crate::cache::BlobCache;
use crate::finalize::{Jobs, Queue};
use crate::metrics::Metrics;
use crate::sessions::Sessions;
use crate::site::Site;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Inner>);

pub(crate) struct Inner {
    pub settings: Settings,
    pub api_key: ApiKey,
    /// Blobs: on the filesystem or in a bucket.
    pub store: Arc<dyn BlobStore>,
    /// Local scratch space (the data directory's `tmp`): chunked JSON uploads are spooled here
    /// whatever the store.
    pub temp_dir: PathBuf,
    pub sessions: Arc<Sessions>,
    pub policy: Policy,
    pub site: Arc<Site>,
    pub jobs: Arc<Jobs>,
    pub finalize: Queue,
    pub chunks: ChunkStore,
    /// `/api` requests in flight, for the overload guard.
    pub active_requests: AtomicU64,
    pub metrics: Metrics,
    /// Small blobs of the reader's side, verified, by hash (`SITE_CACHE_BYTES`).
    pub blob_cache: BlobCache,
    /// Readers, logins and share links, with an `[access]` table (none: every page is public).
    pub access: Option<Arc<crate::access::Access>>,
    /// Image variants: their queue and records (`crate::variants`).
    pub variants: Arc<crate::variants::Variants>,
}

impl AppState {
    pub(crate) fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
