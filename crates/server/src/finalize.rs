//! Finalization: `finish` queues a job; one worker turns finished sessions into revisions, one
//! at a time (finalizations of one site are serialized, so two sessions finishing together
//! produce two complete revisions in some order). Uploads and page reads go on meanwhile.
//!
//! A finalization cannot hold the line or the server: it runs on a thread of its own with a
//! large stack (a panic fails the job, not the process), within `FINALIZATION_TIMEOUT_SECS`,
//! and stops when its client aborts it. A stopped finalization never moves the pointer. One that
//! stopped the server twice is not run again (see [`jobs`]).

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
pub use jobs::{ABORTED, Cancelled, Jobs, Stop, now_ms};

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
        // Aborted while it waited: nothing to run.
        let Some(stop) = app.jobs.begin(session) else { continue };
        let started = std::time::Instant::now();
        let deadline =
            tokio::time::Instant::now() + Duration::from_secs(app.settings.sessions.finalization_timeout_secs);
        let outcome = finalize(&app, session, &stop, deadline).await;
        app.jobs.end(session);
        match outcome {
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
        // An aborted session stays aborted.
        let _ = app
            .sessions
            .update(session, |s| {
                if s.state == SessionState::Finishing {
                    s.state = SessionState::Finished;
                }
                Ok(())
            })
            .await;
    }
}

/// The stack of the finalization thread. Rendering is bounded in depth by the render limits;
/// this leaves a wide margin on top of them, and costs only what is touched.
const BUILD_STACK_BYTES: usize = 256 * 1024 * 1024;
/// After a finalization was told to stop, how long the worker waits for its thread to notice
/// (at its next page) before it runs the next job anyway. The thread cannot publish.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The job error of a finalization over its time budget.
pub fn timeout_message(secs: u64) -> String {
    format!(
        "the finalization took longer than FINALIZATION_TIMEOUT_SECS ({secs} s) and was stopped; the live site is \
         unchanged"
    )
}

/// Publishing attempts per session when other servers keep moving the pointer meanwhile.
const PUBLISH_ATTEMPTS: usize = 5;
/// With a shared bucket, how long after moving the pointer a publish checks that no concurrent
/// write replaced it (the other write's request was in flight when ours completed).
const CONFIRM_AFTER: Duration = Duration::from_millis(500);

async fn finalize(
    app: &AppState,
    session_id: SessionId,
    stop: &Stop,
    deadline: tokio::time::Instant,
) -> Result<RevisionId, String> {
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
        let built = build_on_thread(app, &base, &session, &request, stop, deadline).await?;
        app.jobs.advance(session_id, Phase::CompletingPublication, 97);
        if tokio::time::Instant::now() >= deadline {
            app.jobs
                .cancel(session_id, &timeout_message(app.settings.sessions.finalization_timeout_secs))
                .map_err(|e| e.to_string())?;
        }
        // From here on the job cannot be stopped; a stopped job never gets here.
        app.jobs.begin_commit(session_id)?;
        // A publish that changes nothing (every note skipped, same settings) keeps the live
        // revision rather than adding an identical one to the history.
        let id = if !base.is_empty_site() && same_site(&base, &built.revision) {
            base.id.clone()
        } else {
            match app.site.publish(built.revision, built.site, Site::expect_live(&base)).await {
                Ok(live) if app.settings.store.storage == Storage::S3 && attempt < PUBLISH_ATTEMPTS => {
                    tokio::time::sleep(CONFIRM_AFTER).await;
                    if !app.site.still_includes(&live.id).await.map_err(|e| e.to_string())? {
                        tracing::warn!(%session_id, revision = %live.id, attempt, "another server's publish replaced this one; rebuilding on it");
                        app.site.refresh(&*app.store).await.map_err(|e| e.to_string())?;
                        app.jobs.end_commit(session_id);
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
                    app.jobs.end_commit(session_id);
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

/// Runs [`build_on`] on a thread of its own ([`BUILD_STACK_BYTES`] of stack) and waits for it,
/// or for `stop`, or for the deadline, whichever comes first. A panic of the build fails the
/// job. When the job must stop, the build stops at its next progress report; the worker waits
/// for that [`STOP_GRACE`] at most.
async fn build_on_thread(
    app: &AppState,
    base: &Arc<Live>,
    session: &Arc<Session>,
    request: &Arc<FinishRequest>,
    stop: &Stop,
    deadline: tokio::time::Instant,
) -> Result<build::Built, String> {
    let session_id = session.id;
    let (app_, base, session, request, stop_) =
        (app.clone(), base.clone(), session.clone(), request.clone(), stop.clone());
    let runtime = tokio::runtime::Handle::current();
    let mut done = on_thread("finalization", BUILD_STACK_BYTES, move || {
        build_on(&app_, &base, &session, &request, &stop_, runtime)
    })?;
    tokio::select! {
        result = &mut done => return result,
        () = stop.stopped() => {}
        () = tokio::time::sleep_until(deadline) => {
            let message = timeout_message(app.settings.sessions.finalization_timeout_secs);
            tracing::warn!(%session_id, "{message}");
            app.jobs.cancel(session_id, &message).map_err(|e| e.to_string())?;
        }
    }
    if tokio::time::timeout(STOP_GRACE, done).await.is_err() {
        tracing::warn!(%session_id, "a stopped finalization is still running; the next one starts anyway");
    }
    Err(stop.reason().unwrap_or_else(|| ABORTED.to_owned()))
}

/// Runs `work` on a new named thread with `stack` bytes of stack; the receiver gets its result,
/// or an error naming the panic if it panicked.
fn on_thread<T: Send + 'static>(
    name: &str,
    stack: usize,
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<impl std::future::Future<Output = Result<T, String>> + Unpin, String> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(stack)
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                tracing::error!(panic = %what, "the finalization panicked");
                Err(format!("the finalization failed on an internal error ({what}); the live site is unchanged"))
            });
            let _ = sender.send(result);
        })
        .map_err(|e| format!("cannot start the finalization: {e}"))?;
    Ok(Box::pin(
        async move { receiver.await.unwrap_or_else(|_| Err("the finalization ended without an answer".into())) },
    ))
}

/// Builds the session's revision on top of `base`, on the finalization's thread (rendering is
/// CPU work; the store is called through [`BlockingBlobs`] on `runtime`). Every progress report
/// is also where the build stops when `stop` says so.
fn build_on(
    app: &AppState,
    base: &Live,
    session: &Session,
    request: &FinishRequest,
    stop: &Stop,
    runtime: tokio::runtime::Handle,
) -> Result<build::Built, String> {
    let session_id = session.id;
    let progress = |phase, percent| -> Result<(), build::BuildError> {
        if let Some(reason) = stop.reason() {
            return Err(build::BuildError::Stopped(reason));
        }
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
            name: app.settings.site.site_name.clone(),
            base_url: app.settings.site.base_url.clone(),
            home_note: app.settings.site.home_note.clone(),
            limits: app.settings.publish_limits,
            language: app.settings.site.site_language.clone(),
        },
        revision_id: RevisionId::new(now, random_u32()),
        now_ms: now,
    };
    let blobs = BlockingBlobs::new(&*app.store, runtime);
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
    let every = Duration::from_millis(app.settings.store.revision_poll_ms);
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
    let ttl = Duration::from_secs(app.settings.sessions.session_ttl_secs);
    let chunk_ttl = Duration::from_secs(app.settings.sessions.chunk_upload_ttl_secs);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_on_the_finalization_thread_is_an_error_not_a_crash() {
        let done = on_thread("test", 1 << 20, || -> Result<(), String> { panic!("a bug in a renderer") }).unwrap();
        let error = done.await.unwrap_err();
        assert!(error.contains("a bug in a renderer") && error.contains("live site is unchanged"), "{error}");
    }

    #[tokio::test]
    async fn the_finalization_thread_has_room_for_deep_work() {
        // About 40 MiB of stack: far past a default 2 MiB thread, within the finalization's.
        fn deep(n: u32) -> u32 {
            let pad = std::hint::black_box([0u8; 1024]);
            if n == 0 { u32::from(pad[0]) } else { deep(n - 1) + u32::from(pad[n as usize % 1024] == 1) }
        }
        let done = on_thread("test", BUILD_STACK_BYTES, || Ok(deep(40_000))).unwrap();
        assert_eq!(done.await, Ok(0));
    }
}
