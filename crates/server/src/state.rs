use std::ops::Deref;
use std::sync::Arc;

use vps_ingest::Policy;
use vps_store::FsStore;

use crate::Settings;
use crate::api_key::ApiKey;
use crate::sessions::Sessions;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    pub api_key: ApiKey,
    pub store: FsStore,
    pub sessions: Sessions,
    pub policy: Policy,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
