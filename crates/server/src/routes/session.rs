//! `start` and `abort`. The rest of the plugin's session lifecycle (notes, finish, status) builds
//! on the same [`crate::sessions::Session`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::collections::BTreeMap;

use vps_core::ContentHash;
use vps_core::api::{SessionAck, StartSessionRequest, StartSessionResponse};
use vps_core::revision::SiteSettings;

use super::json::ApiJson;
use super::meta::MAX_BYTES_PER_REQUEST;
use super::parse_session_id;
use crate::ApiError;
use crate::finalize::Cancelled;
use crate::sessions::SessionState;
use crate::state::AppState;

#[tracing::instrument(skip_all, fields(session = tracing::field::Empty))]
pub(super) async fn start(
    State(app): State<AppState>,
    ApiJson(start): ApiJson<StartSessionRequest>,
) -> Result<(StatusCode, Json<StartSessionResponse>), ApiError> {
    let deduplication_enabled = start.deduplication_enabled.unwrap_or(true);
    let live = app.site.live();
    // The skip hints describe the live site; `pipelineChanged` says whether what `start` sent
    // would render it differently (then every note must come again).
    let pipeline_changed = app.settings.sessions.always_full_publish
        || live.is_empty_site()
        || live.settings.without_cleanup_rules() != SiteSettings::from_start(&start);
    let note_hashes: BTreeMap<String, String> =
        live.pages.values().map(|page| (page.vault_path.clone(), page.source_sha256.clone())).collect();
    let offered_skips = deduplication_enabled && !pipeline_changed && !note_hashes.is_empty();
    let mut asset_hashes: Vec<ContentHash> = live.assets.values().map(|asset| asset.sha256).collect();
    asset_hashes.sort();
    asset_hashes.dedup();
    let session = app.sessions.create(start, offered_skips).await?;
    tracing::Span::current().record("session", tracing::field::display(session.id));
    tracing::info!(session = %session.id, pipeline_changed, offered_skips, "session started");
    Ok((
        StatusCode::CREATED,
        Json(StartSessionResponse {
            session_id: session.id,
            success: true,
            max_bytes_per_request: MAX_BYTES_PER_REQUEST,
            existing_asset_hashes: if deduplication_enabled { asset_hashes } else { Vec::new() },
            existing_source_note_hashes_by_vault_path: if offered_skips { note_hashes } else { BTreeMap::new() },
            pipeline_changed,
            deduplication_enabled,
        }),
    ))
}

/// Idempotent: aborting an aborted session answers 200 again. After `finish`, it stops the
/// finalization (waiting or running: its job fails, saying it was aborted, and the live site
/// stays as it was) unless it already ended or is moving the pointer (409).
#[tracing::instrument(skip_all, fields(session = %id))]
pub(super) async fn abort(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<SessionAck>, ApiError> {
    let id = parse_session_id(&id)?;
    app.sessions
        .try_update(id, |session| {
            match session.state {
                SessionState::Open | SessionState::Aborted => {}
                SessionState::Finishing => match app.jobs.cancel(id, crate::finalize::ABORTED)? {
                    Cancelled::Stopped => tracing::info!(session = %id, "finalization aborted"),
                    Cancelled::TooLate => {
                        return Err(ApiError::SessionNotOpen { id: id.to_string(), state: "finishing" });
                    }
                },
                state => return Err(ApiError::SessionNotOpen { id: id.to_string(), state: state.as_str() }),
            }
            session.state = SessionState::Aborted;
            session.assets.clear();
            Ok(())
        })
        .await?;
    tracing::info!(session = %id, "session aborted");
    Ok(Json(SessionAck { session_id: id, success: true }))
}
