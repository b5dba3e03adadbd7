//! The server's background loops, spawned by [`crate::startup::Application::run_until_stopped`]:
//! the finalization worker, the pointer watch and the expiry of abandoned sessions.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use vps_core::SessionId;

use crate::finalize::{FinalizeConfig, Finalizer};
use crate::metrics::Metrics;
use crate::sessions::SessionState;
use crate::state::AppState;

/// Runs queued finalizations one after the other, for as long as the server runs.
pub(crate) async fn run_worker(app: AppState, mut queue: mpsc::UnboundedReceiver<SessionId>) {
    let finalizer = Finalizer::new(
        app.store.clone(),
        app.site.clone(),
        app.jobs.clone(),
        app.sessions.clone(),
        FinalizeConfig::from_settings(&app.settings),
    );
    // Before any job: pages that show settings changed since they were published (SITE_NAME…)
    // are laid out again (the old ones are served meanwhile).
    if let Err(error) = finalizer.refresh_layout().await {
        tracing::warn!(error = %vps_core::error_chain::chain(&error, ": "), "could not lay the pages out again; they keep the settings they were published with");
    }
    while let Some(session) = queue.recv().await {
        // Aborted while it waited: nothing to run.
        let Some(stop) = app.jobs.begin(session) else { continue };
        let started = Instant::now();
        let outcome = finalizer.run(session, &stop).await;
        app.jobs.end(session);
        match outcome {
            Ok(revision) => {
                Metrics::add(&app.metrics.publishes_completed, 1);
                tracing::info!(%session, %revision, ms = started.elapsed().as_millis() as u64, "published");
            }
            Err(error) => {
                Metrics::add(&app.metrics.publishes_failed, 1);
                tracing::error!(%session, %error, "finalization failed; the live site is unchanged");
                let _ = app.jobs.fail_with(session, error.to_string(), error.code());
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

/// Follows the `current` pointer when another process moves it (a rollback while serving, another
/// server publishing to the same bucket): one small read every `REVISION_POLL_MS`.
pub(crate) async fn watch_pointer(app: AppState) {
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
pub(crate) async fn expire_sessions(app: AppState) {
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
