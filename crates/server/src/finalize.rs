//! Finalization: `finish` queues a job; one worker turns finished sessions into revisions, one
//! at a time (finalizations of one site are serialized, so two sessions finishing together
//! produce two complete revisions in some order). Uploads and page reads go on meanwhile.

mod build;
mod documents;
mod jobs;
mod links;

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use vps_core::job::{FinishRequest, JobResult, Phase};
use vps_core::revision::{Revision, RevisionId};
use vps_core::{ContentHash, SessionId};
use vps_store::{BlobStore, StoreError};

pub use build::publish_css;
pub use documents::SiteModel;
pub use jobs::{Jobs, now_ms};

use crate::metrics::Metrics;
use crate::sessions::{Session, SessionState};
use crate::settings::Storage;
use crate::site::{Live, Site};
use crate::state::AppState;

/// Hands finished sessions to the worker.
#[derive(Clone)]
pub struct Queue(mpsc::UnboundedSender<SessionId>);

impl Queue {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<SessionId>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self(sender), receiver)
    }

    pub fn push(&self, session: SessionId) {
        let _ = self.0.send(session);
    }
}

/// Runs queued finalizations one after the other, for as long as the server runs.
pub async fn run_worker(app: AppState, mut queue: mpsc::UnboundedReceiver<SessionId>) {
    while let Some(session) = queue.recv().await {
        let started = std::time::Instant::now();
        match finalize(&app, session).await {
            Ok(revision) => {
                Metrics::add(&app.metrics.publishes_completed, 1);
                tracing::info!(%session, %revision, ms = started.elapsed().as_millis() as u64, "published");
            }
            Err(error) => {
                Metrics::add(&app.metrics.publishes_failed, 1);
                tracing::error!(%session, %error, "finalization failed; the live site is unchanged");
                let _ = app.jobs.fail(session, error);
            }
        }
        let _ = app
            .sessions
            .update(session, |s| {
                s.state = SessionState::Finished;
                Ok(())
            })
            .await;
    }
}

/// Publishing attempts per session when other servers keep moving the pointer meanwhile.
const PUBLISH_ATTEMPTS: usize = 5;
/// With a shared bucket, how long after moving the pointer a publish checks that no concurrent
/// write replaced it (the other write's request was in flight when ours completed).
const CONFIRM_AFTER: Duration = Duration::from_millis(500);

async fn finalize(app: &AppState, session_id: SessionId) -> Result<RevisionId, String> {
    let session = Arc::new(app.sessions.get(session_id).await.map_err(|e| e.to_string())?);
    let request = Arc::new(app.jobs.request(session_id).unwrap_or_default());
    for attempt in 1..=PUBLISH_ATTEMPTS {
        let base = app.site.live();
        if base.session == Some(session_id) {
            // The server stopped after publishing this session's revision but before saying so.
            let result = JobResult { content_revision: base.id.to_string(), ..JobResult::default() };
            app.jobs.complete(session_id, result).map_err(|e| e.to_string())?;
            return Ok(base.id.clone());
        }
        let built = {
            let (app, base, session, request) = (app.clone(), base.clone(), session.clone(), request.clone());
            tokio::task::spawn_blocking(move || build_on(&app, &base, &session, &request))
                .await
                .map_err(|e| format!("the finalization stopped: {e}"))??
        };
        app.jobs.advance(session_id, Phase::CompletingPublication, 97);
        // A publish that changes nothing (every note skipped, same settings) keeps the live
        // revision rather than adding an identical one to the history.
        let id = if !base.is_empty_site() && same_site(&base, &built.revision) {
            base.id.clone()
        } else {
            match app.site.publish(built.revision, built.site, Site::expect_live(&base)).await {
                Ok(live) if app.settings.storage == Storage::S3 && attempt < PUBLISH_ATTEMPTS => {
                    tokio::time::sleep(CONFIRM_AFTER).await;
                    if !app.site.still_includes(&live.id).await.map_err(|e| e.to_string())? {
                        tracing::warn!(%session_id, revision = %live.id, attempt, "another server's publish replaced this one; rebuilding on it");
                        app.site.refresh(&*app.store).await.map_err(|e| e.to_string())?;
                        continue;
                    }
                    live.id.clone()
                }
                Ok(live) => live.id.clone(),
                Err(StoreError::PointerMoved { expected, found }) if attempt < PUBLISH_ATTEMPTS => {
                    // Another server sharing the bucket published (or an operator rolled back)
                    // while this revision was built: build again on top of what is live now,
                    // so that neither publish loses the other's pages.
                    tracing::warn!(%session_id, %expected, %found, attempt, "the site changed meanwhile; rebuilding on it");
                    app.site.refresh(&*app.store).await.map_err(|e| e.to_string())?;
                    continue;
                }
                Err(error) => return Err(error.to_string()),
            }
        };
        let result = JobResult {
            notes_processed: request.notes_processed,
            assets_processed: request.assets_processed,
            content_revision: id.to_string(),
            promotion_stats: built.stats,
        };
        app.jobs.complete(session_id, result).map_err(|e| e.to_string())?;
        return Ok(id);
    }
    unreachable!("the last attempt returns")
}

/// Builds the session's revision on top of `base`. Runs on a blocking thread (rendering is CPU
/// work; the store is called through [`BlockingBlobs`]).
fn build_on(app: &AppState, base: &Live, session: &Session, request: &FinishRequest) -> Result<build::Built, String> {
    let session_id = session.id;
    let progress = |phase, percent| -> Result<(), build::BuildError> {
        app.jobs.advance(session_id, phase, percent);
        Ok(())
    };
    let _ = progress(Phase::RebuildingNotes, 2);
    let uploaded = app.sessions.load_notes(session).map_err(|e| e.to_string())?;
    let now = now_ms();
    let input = build::BuildInput {
        base,
        session,
        uploaded,
        inventory: request.inventory.as_deref(),
        site: &build::SiteOptions {
            name: app.settings.site_name.clone(),
            base_url: app.settings.base_url.clone(),
            home_note: app.settings.home_note.clone(),
            limits: app.settings.publish_limits,
        },
        revision_id: RevisionId::new(now, random_u32()),
        now_ms: now,
    };
    let blobs = BlockingBlobs::new(&*app.store, tokio::runtime::Handle::current());
    build::build(&blobs, input, &progress).map_err(|e| e.to_string())
}

/// The blob store as the finalization's blocking thread uses it. Stores are called many at a
/// time (a bucket answers each request in milliseconds; a few hundred pages one after the other
/// would take seconds): [`BlockingBlobs::put_bytes`] hashes here and queues the bytes, stored
/// together, [`STORE_CONCURRENCY`] requests at a time, when [`FLUSH_BYTES`] are queued and at
/// [`BlockingBlobs::flush`]; [`BlockingBlobs::read_many`] reads many at once.
pub struct BlockingBlobs<'a> {
    store: &'a dyn BlobStore,
    runtime: tokio::runtime::Handle,
    queued: RefCell<Queued>,
}

#[derive(Default)]
struct Queued {
    blobs: Vec<Bytes>,
    hashes: HashSet<ContentHash>,
    bytes: usize,
}

/// Requests to the store in flight at once.
const STORE_CONCURRENCY: usize = 16;
/// Bytes queued before they are stored.
const FLUSH_BYTES: usize = 16 * 1024 * 1024;

impl<'a> BlockingBlobs<'a> {
    fn new(store: &'a dyn BlobStore, runtime: tokio::runtime::Handle) -> Self {
        Self { store, runtime, queued: RefCell::default() }
    }

    /// The hash of a page, a note's source or a document; its bytes are stored by the next
    /// [`BlockingBlobs::flush`] at the latest.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<ContentHash, StoreError> {
        let hash = ContentHash::from_digest(Sha256::digest(bytes).into());
        let full = {
            let mut queued = self.queued.borrow_mut();
            if queued.hashes.insert(hash) {
                queued.blobs.push(Bytes::copy_from_slice(bytes));
                queued.bytes += bytes.len();
            }
            queued.bytes >= FLUSH_BYTES
        };
        if full {
            self.flush()?;
        }
        Ok(hash)
    }

    /// Stores what is queued (each blob unless already stored).
    pub fn flush(&self) -> Result<(), StoreError> {
        let blobs = std::mem::take(&mut self.queued.borrow_mut().blobs);
        self.queued.borrow_mut().bytes = 0;
        self.runtime.block_on(
            stream::iter(blobs)
                .map(|bytes| self.store.put_bytes(bytes))
                .buffer_unordered(STORE_CONCURRENCY)
                .try_for_each(|_| std::future::ready(Ok(()))),
        )
    }

    /// Reads small blobs (note sources), many at a time; `None` for one that is not stored.
    pub fn read_many(&self, hashes: Vec<ContentHash>) -> Result<Vec<Option<Bytes>>, StoreError> {
        self.runtime.block_on(
            stream::iter(hashes)
                .map(|hash| async move { self.store.read_bytes(&hash).await })
                .buffered(STORE_CONCURRENCY)
                .try_collect(),
        )
    }
}

/// Whether two revisions publish the same site. Generated documents are left out: the feed
/// carries the time it was made, and everything else in them follows from the pages.
fn same_site(a: &Revision, b: &Revision) -> bool {
    a.pages == b.pages
        && a.assets == b.assets
        && a.redirects == b.redirects
        && a.settings == b.settings
        && a.home == b.home
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes)
}

/// Follows the `current` pointer when another process moves it (a rollback while serving, another
/// server publishing to the same bucket): one small read every `REVISION_POLL_MS`.
pub async fn watch_pointer(app: AppState) {
    let every = Duration::from_millis(app.settings.revision_poll_ms);
    loop {
        tokio::time::sleep(every).await;
        match app.site.refresh(&*app.store).await {
            Ok(Some(id)) => tracing::info!(revision = %id, "now serving a revision chosen elsewhere"),
            Ok(None) => {}
            Err(error) => tracing::warn!(?error, "cannot follow the current revision pointer"),
        }
    }
}

/// Removes abandoned sessions and idle incomplete chunked uploads now and then.
pub async fn expire_sessions(app: AppState) {
    let ttl = Duration::from_secs(app.settings.session_ttl_secs);
    let chunk_ttl = Duration::from_secs(app.settings.chunk_upload_ttl_secs);
    loop {
        tokio::time::sleep(Duration::from_secs(30).min(chunk_ttl)).await;
        let expired = app.chunks.expire_idle(chunk_ttl).await;
        if expired > 0 {
            tracing::info!(expired, "expired idle incomplete chunked uploads");
        }
        for session in app.sessions.expire(ttl).await {
            app.jobs.forget(session);
            let _ = app.chunks.remove_session(session).await;
            tracing::info!(%session, "expired an abandoned session");
        }
    }
}
