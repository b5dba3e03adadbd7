//! Finalization: `finish` queues a job; one worker (`crate::background`) turns finished
//! sessions into revisions, one at a time (finalizations of one site are serialized, so two
//! sessions finishing together produce two complete revisions in some order). Uploads and page
//! reads go on meanwhile.
//!
//! A job reads its session and notes, hands them to the publication engine ([`vps_build`]) as
//! plain data, then moves the `current` pointer ([`Site::publish`]). The build cannot hold the
//! line or the server: it runs on a thread of its own with a large stack (a panic fails the job,
//! not the process), within `FINALIZATION_TIMEOUT_SECS`, and stops when its client aborts it. A
//! stopped finalization never moves the pointer. One that stopped the server twice is not run
//! again (see [`jobs`]).

mod error;
mod jobs;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use vps_build::{BlockingBlobs, BuildError, BuildInput, Built, SessionInput, SiteOptions};
use vps_core::SessionId;
use vps_core::job::{FinishRequest, JobResult, Phase};
use vps_core::revision::{Asset, Revision, RevisionId};
use vps_store::{BlobStore, StoreError};

pub(crate) use error::JobError;
pub(crate) use jobs::{ABORTED, Cancelled, Jobs, Stop, now_ms};
pub(crate) use vps_build::publish_css;

use crate::sessions::{Session, Sessions};
use crate::settings::{Settings, Storage};
use crate::site::{Live, Site};

/// Hands finished sessions to the worker.
#[derive(Clone)]
pub(crate) struct Queue(mpsc::UnboundedSender<SessionId>);

impl Queue {
    pub(crate) fn new() -> (Self, mpsc::UnboundedReceiver<SessionId>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self(sender), receiver)
    }

    pub(crate) fn push(&self, session: SessionId) {
        let _ = self.0.send(session);
    }
}

/// The stack of the finalization thread. Rendering is bounded in depth by the render limits;
/// this leaves a wide margin on top of them, and costs only what is touched.
const BUILD_STACK_BYTES: usize = 256 * 1024 * 1024;
/// After a finalization was told to stop, how long the worker waits for its thread to notice
/// (at its next page) before it runs the next job anyway. The thread cannot publish.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The job error of a finalization over its time budget.
pub(crate) fn timeout_message(secs: u64) -> String {
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

/// The server's settings a finalization uses, the engine's part as [`SiteOptions`].
pub(crate) struct FinalizeConfig {
    /// `FINALIZATION_TIMEOUT_SECS`.
    pub timeout_secs: u64,
    /// The pointer lives in a bucket other servers may share (S3): a publish checks that no
    /// concurrent write replaced it.
    pub shared_pointer: bool,
    pub site: SiteOptions,
}

impl FinalizeConfig {
    /// The one place where the server's [`Settings`] become the engine's input.
    pub(crate) fn from_settings(settings: &Settings) -> Self {
        Self {
            timeout_secs: settings.sessions.finalization_timeout_secs,
            shared_pointer: settings.store.storage == Storage::S3,
            site: SiteOptions {
                name: settings.site.site_name.clone(),
                base_url: settings.site.base_url.clone(),
                home_note: settings.site.home_note.clone(),
                limits: settings.publish_limits,
                language: settings.site.site_language.clone(),
                access: settings.access.config.clone(),
                show_properties: settings.site.show_properties,
                look: settings.site.look(),
                images: vps_build::ImageOptions {
                    variant_widths: settings.images.widths(),
                    limits: settings.images.limits(),
                },
            },
        }
    }
}

/// What a finalization needs of the server: the store, the live site, the jobs, the sessions
/// and its settings. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Finalizer {
    store: Arc<dyn BlobStore>,
    site: Arc<Site>,
    jobs: Arc<Jobs>,
    sessions: Arc<Sessions>,
    config: Arc<FinalizeConfig>,
}

impl Finalizer {
    pub(crate) fn new(
        store: Arc<dyn BlobStore>,
        site: Arc<Site>,
        jobs: Arc<Jobs>,
        sessions: Arc<Sessions>,
        config: FinalizeConfig,
    ) -> Self {
        Self { store, site, jobs, sessions, config: Arc::new(config) }
    }

    /// Runs the job of `session_id` (already begun: [`Jobs::begin`]) within its time budget:
    /// builds its revision on the live one and publishes it, again on top of another server's
    /// publish when one came first. Completes the job; the caller fails it with the error.
    pub(crate) async fn run(&self, session_id: SessionId, stop: &Stop) -> Result<RevisionId, JobError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(self.config.timeout_secs);
        let session = self.sessions.get(session_id).await.map_err(JobError::Session)?;
        let session = Arc::new(session);
        let request = Arc::new(self.jobs.request(session_id).unwrap_or_default());
        for attempt in 1..=PUBLISH_ATTEMPTS {
            let base = self.site.live();
            if base.session == Some(session_id) {
                // The server stopped after publishing this session's revision but before saying so.
                let result = JobResult { content_revision: base.id.to_string(), ..JobResult::default() };
                self.jobs.complete(session_id, result)?;
                return Ok(base.id.clone());
            }
            let built = match self.build_on_thread(&base, &session, &request, stop, deadline).await? {
                Outcome::Built(built) => *built,
                // Nothing to build: the live revision is what this publish would give.
                Outcome::Unchanged(promotion_stats) => {
                    let result = JobResult {
                        notes_processed: request.notes_processed,
                        assets_processed: request.assets_processed,
                        content_revision: base.id.to_string(),
                        promotion_stats,
                        warnings: Vec::new(),
                    };
                    self.jobs.complete(session_id, result)?;
                    return Ok(base.id.clone());
                }
            };
            for warning in &built.warnings {
                tracing::warn!(%session_id, "{warning}");
            }
            self.jobs.advance(session_id, Phase::CompletingPublication, 97);
            if tokio::time::Instant::now() >= deadline {
                self.jobs.cancel(session_id, &timeout_message(self.config.timeout_secs))?;
            }
            // From here on the job cannot be stopped; a stopped job never gets here.
            self.jobs.begin_commit(session_id)?;
            // A publish that changes nothing (every note skipped, same settings) keeps the live
            // revision rather than adding an identical one to the history.
            let id = if !base.is_empty_site() && same_site(&base, &built.revision) {
                base.id.clone()
            } else {
                match self.site.publish(built.revision, built.site, Site::expect_live(&base)).await {
                    Ok(live) if self.config.shared_pointer && attempt < PUBLISH_ATTEMPTS => {
                        tokio::time::sleep(CONFIRM_AFTER).await;
                        if !self.site.still_includes(&live.id).await? {
                            tracing::warn!(%session_id, revision = %live.id, attempt, "another server's publish replaced this one; rebuilding on it");
                            self.site.refresh(&*self.store).await?;
                            self.jobs.end_commit(session_id);
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
                        self.site.refresh(&*self.store).await?;
                        self.jobs.end_commit(session_id);
                        continue;
                    }
                    Err(error) => return Err(error.into()),
                }
            };
            for warning in &built.warnings {
                tracing::warn!(%session_id, %warning, "published with a warning");
            }
            let result = JobResult {
                notes_processed: request.notes_processed,
                assets_processed: request.assets_processed,
                content_revision: id.to_string(),
                promotion_stats: built.stats,
                warnings: built.warnings,
            };
            self.jobs.complete(session_id, result)?;
            return Ok(id);
        }
        unreachable!("the last attempt returns")
    }

    /// Lays the live site's pages out again when what they show of the server's settings changed
    /// since they were published (`SITE_NAME`; the layout itself, after an upgrade): run by the
    /// worker when the server starts, before any job, so that a restart with another name shows
    /// it without a republish. No note is rendered again (every content key holds); the pages
    /// are laid out, stored and compressed again, and the pointer moves as for a publish. The
    /// old pages are served meanwhile; if a publish (another server's) moved the pointer first,
    /// nothing is done: that publish laid its pages out with the same settings.
    pub(crate) async fn refresh_layout(&self) -> Result<Option<RevisionId>, JobError> {
        let base = self.site.live();
        let Some(site) = &base.site else { return Ok(None) };
        let stale = vps_build::stale_pages(&base, site);
        // The `[access]` rules (or the site's name, home note, language, look, limits) changed since the
        // live revision was built: who may read each page is decided again now, so that a rule
        // added before a restart protects its pages without a republish.
        let options_changed = base.options_key.is_some_and(|key| key != self.config.site.key());
        if stale == 0 && !options_changed {
            return Ok(None);
        }
        tracing::info!(
            pages = stale,
            options_changed,
            "the live site was built with other settings or rules; building it again"
        );
        let (this, live) = (self.clone(), base.clone());
        let runtime = tokio::runtime::Handle::current();
        let built = on_thread("relayout", BUILD_STACK_BYTES, move || {
            let start = live.settings.to_start();
            let now = now_ms();
            let input = BuildInput {
                base: &live,
                base_site: live.site.as_ref(),
                session: SessionInput {
                    id: SessionId::generate(),
                    start: &start,
                    assets: Default::default(),
                    offered_skips: true,
                    cleanup_rules: None,
                },
                notes: Vec::new(),
                inventory: None,
                site: &this.config.site,
                revision_id: RevisionId::new(now, random_u32()),
                now_ms: now,
            };
            let blobs = BlockingBlobs::new(&*this.store, runtime);
            Ok(vps_build::build(&blobs, input, &|_, _| Ok(()))?)
        })?
        .await?;
        match self.site.publish(built.revision, built.site, Site::expect_live(&base)).await {
            Ok(live) => {
                tracing::info!(revision = %live.id, pages = built.pages_written, "pages laid out again");
                Ok(Some(live.id.clone()))
            }
            Err(StoreError::PointerMoved { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Runs [`Finalizer::build_on`] on a thread of its own ([`BUILD_STACK_BYTES`] of stack) and
    /// waits for it, or for `stop`, or for the deadline, whichever comes first. A panic of the
    /// build fails the job. When the job must stop, the build stops at its next progress report;
    /// the worker waits for that [`STOP_GRACE`] at most.
    async fn build_on_thread(
        &self,
        base: &Arc<Live>,
        session: &Arc<Session>,
        request: &Arc<FinishRequest>,
        stop: &Stop,
        deadline: tokio::time::Instant,
    ) -> Result<Outcome, JobError> {
        let session_id = session.id;
        let (this, base, session, request, stop_) =
            (self.clone(), base.clone(), session.clone(), request.clone(), stop.clone());
        let runtime = tokio::runtime::Handle::current();
        let mut done = on_thread("finalization", BUILD_STACK_BYTES, move || {
            this.build_on(&base, &session, &request, &stop_, runtime)
        })?;
        tokio::select! {
            result = &mut done => return result,
            () = stop.stopped() => {}
            () = tokio::time::sleep_until(deadline) => {
                let message = timeout_message(self.config.timeout_secs);
                tracing::warn!(%session_id, "{message}");
                self.jobs.cancel(session_id, &message)?;
            }
        }
        if tokio::time::timeout(STOP_GRACE, done).await.is_err() {
            tracing::warn!(%session_id, "a stopped finalization is still running; the next one starts anyway");
        }
        Err(JobError::Stopped(stop.reason().unwrap_or_else(|| ABORTED.to_owned())))
    }

    /// Builds the session's revision on top of `base`, on the finalization's thread (rendering
    /// is CPU work; the store is called through [`BlockingBlobs`] on `runtime`). Every progress
    /// report is also where the build stops when `stop` says so.
    fn build_on(
        &self,
        base: &Live,
        session: &Session,
        request: &FinishRequest,
        stop: &Stop,
        runtime: tokio::runtime::Handle,
    ) -> Result<Outcome, JobError> {
        let session_id = session.id;
        let progress = |phase, percent| -> Result<(), BuildError> {
            if let Some(reason) = stop.reason() {
                return Err(BuildError::Stopped(reason));
            }
            self.jobs.advance(session_id, phase, percent);
            Ok(())
        };
        let _ = progress(Phase::RebuildingNotes, 2);
        let notes = self.sessions.load_notes(session)?;
        let now = now_ms();
        let input = BuildInput {
            base,
            base_site: base.site.as_ref(),
            session: session_input(session),
            notes,
            inventory: request.inventory.as_deref(),
            site: &self.config.site,
            revision_id: RevisionId::new(now, random_u32()),
            now_ms: now,
        };
        let blobs = BlockingBlobs::new(&*self.store, runtime);
        if let Some(stats) = vps_build::changes_nothing(&input) {
            return Ok(Outcome::Unchanged(stats));
        }
        Ok(Outcome::Built(Box::new(vps_build::build(&blobs, input, &progress)?)))
    }
}

/// What a finalization's build came to.
enum Outcome {
    /// A new revision, to publish.
    Built(Box<Built>),
    /// Nothing would change ([`vps_build::changes_nothing`]): the live revision stays.
    Unchanged(vps_core::job::PromotionStats),
}

/// What the engine needs of a session besides its notes.
fn session_input(session: &Session) -> SessionInput<'_> {
    let assets = session.assets.iter().map(|(path, asset)| {
        (path.clone(), Asset { sha256: asset.sha256, size: asset.size, media_type: asset.media_type.clone() })
    });
    SessionInput {
        id: session.id,
        start: &session.start,
        assets: assets.collect(),
        offered_skips: session.offered_skips,
        cleanup_rules: session.cleanup_rules.as_deref(),
    }
}

/// Runs `work` on a new named thread with `stack` bytes of stack; the receiver gets its result,
/// or an error naming the panic if it panicked.
fn on_thread<T: Send + 'static>(
    name: &str,
    stack: usize,
    work: impl FnOnce() -> Result<T, JobError> + Send + 'static,
) -> Result<impl std::future::Future<Output = Result<T, JobError>> + Unpin, JobError> {
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
                Err(JobError::Panicked(what))
            });
            let _ = sender.send(result);
        })
        .map_err(JobError::Thread)?;
    Ok(Box::pin(async move { receiver.await.unwrap_or(Err(JobError::NoAnswer)) }))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_on_the_finalization_thread_is_an_error_not_a_crash() {
        let done = on_thread("test", 1 << 20, || -> Result<(), JobError> { panic!("a bug in a renderer") }).unwrap();
        let error = done.await.unwrap_err().to_string();
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
        assert_eq!(done.await.ok(), Some(0));
    }
}
