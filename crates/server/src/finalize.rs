//! Finalization: `finish` queues a job; one worker turns finished sessions into revisions, one
//! at a time (finalizations of one site are serialized, so two sessions finishing together
//! produce two complete revisions in some order). Uploads and page reads go on meanwhile.

mod build;
mod documents;
mod jobs;
mod links;

use std::time::Duration;

use tokio::sync::mpsc;
use vps_core::SessionId;
use vps_core::job::{JobResult, Phase};
use vps_core::revision::{Revision, RevisionId};

pub use build::publish_css;
pub use documents::SiteModel;
pub use jobs::{Jobs, now_ms};

use crate::metrics::Metrics;
use crate::sessions::SessionState;
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

async fn finalize(app: &AppState, session_id: SessionId) -> Result<RevisionId, String> {
    let session = app.sessions.get(session_id).await.map_err(|e| e.to_string())?;
    let request = app.jobs.request(session_id).unwrap_or_default();
    let base = app.site.live();
    if base.session == Some(session_id) {
        // The server stopped after publishing this session's revision but before saying so.
        let result = JobResult { content_revision: base.id.to_string(), ..JobResult::default() };
        app.jobs.complete(session_id, result).map_err(|e| e.to_string())?;
        return Ok(base.id.clone());
    }
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let progress = |phase, percent| app.jobs.advance(session_id, phase, percent);
        progress(Phase::RebuildingNotes, 2);
        let uploaded = app.sessions.load_notes(&session).map_err(|e| e.to_string())?;
        let now = now_ms();
        let input = build::BuildInput {
            base: &base,
            session: &session,
            uploaded,
            inventory: request.inventory.as_deref(),
            site: &build::SiteOptions {
                name: app.settings.site_name.clone(),
                base_url: app.settings.base_url.clone(),
                home_note: app.settings.home_note.clone(),
            },
            revision_id: RevisionId::new(now, random_u32()),
            now_ms: now,
        };
        let built = build::build(&app.store, input, &progress).map_err(|e| e.to_string())?;
        progress(Phase::CompletingPublication, 97);
        // A publish that changes nothing (every note skipped, same settings) keeps the live
        // revision rather than adding an identical one to the history.
        let id = if !base.is_empty_site() && same_site(&base, &built.revision) {
            base.id.clone()
        } else {
            app.site.publish(built.revision, built.site).map_err(|e| e.to_string())?.id.clone()
        };
        let result = JobResult {
            notes_processed: request.notes_processed,
            assets_processed: request.assets_processed,
            content_revision: id.to_string(),
            promotion_stats: built.stats,
        };
        app.jobs.complete(session_id, result).map_err(|e| e.to_string())?;
        Ok(id)
    })
    .await
    .map_err(|e| format!("the finalization stopped: {e}"))?
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

/// Follows the `current` pointer when another process moves it (rollback while serving).
pub async fn watch_pointer(app: AppState) {
    let every = Duration::from_millis(app.settings.revision_poll_ms);
    loop {
        tokio::time::sleep(every).await;
        let site = app.clone();
        match tokio::task::spawn_blocking(move || site.site.refresh(&site.store)).await {
            Ok(Ok(Some(id))) => tracing::info!(revision = %id, "now serving a revision chosen elsewhere"),
            Ok(Err(error)) => tracing::warn!(%error, "cannot follow the current revision pointer"),
            _ => {}
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
