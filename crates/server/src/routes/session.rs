//! `start` and `abort`. The rest of the plugin's session lifecycle (notes, finish, status) builds
//! on the same [`crate::sessions::Session`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use vps_core::api::{SessionAck, StartSessionRequest, StartSessionResponse};

use super::json::ApiJson;
use super::meta::MAX_BYTES_PER_REQUEST;
use super::parse_session_id;
use crate::ApiError;
use crate::sessions::SessionState;
use crate::state::AppState;

pub async fn start(
    State(app): State<AppState>,
    ApiJson(start): ApiJson<StartSessionRequest>,
) -> Result<(StatusCode, Json<StartSessionResponse>), ApiError> {
    let deduplication_enabled = start.deduplication_enabled.unwrap_or(true);
    let session = app.sessions.create(start).await?;
    tracing::info!(session = %session.id, "session started");
    Ok((
        StatusCode::CREATED,
        Json(StartSessionResponse {
            session_id: session.id,
            success: true,
            max_bytes_per_request: MAX_BYTES_PER_REQUEST,
            // Nothing is published yet, so nothing can be skipped: every session is a full one.
            existing_asset_hashes: Vec::new(),
            existing_source_note_hashes_by_vault_path: Default::default(),
            pipeline_changed: true,
            deduplication_enabled,
        }),
    ))
}

/// Idempotent: aborting an aborted session answers 200 again.
pub async fn abort(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<SessionAck>, ApiError> {
    let id = parse_session_id(&id)?;
    app.sessions
        .update(id, |session| match session.state {
            SessionState::Open | SessionState::Aborted => {
                session.state = SessionState::Aborted;
                session.assets.clear();
                Ok(())
            }
            state => Err(ApiError::SessionNotOpen { id: id.to_string(), state: state.as_str() }),
        })
        .await?;
    tracing::info!(session = %id, "session aborted");
    Ok(Json(SessionAck { session_id: id, success: true }))
}
