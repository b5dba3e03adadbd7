//! `POST /api/session/{id}/notes/upload`: batches of notes in the chunk envelope. Notes are only
//! stored here, exactly as received; rendering happens at `finish`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;
use vps_core::note::{CleanupRule, Note, NotesBatch};
use vps_envelope::{RouteKind, read_notes_payload};

use super::envelope::receive;
use super::parse_session_id;
use crate::ApiError;
use crate::state::AppState;

#[tracing::instrument(skip_all, fields(session = %id, chunk_bytes = tracing::field::Empty, notes = tracing::field::Empty))]
pub(super) async fn upload(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let id = parse_session_id(&id)?;
    app.sessions.ensure_open(id).await?;
    let state = app.clone();
    receive(&app, id, RouteKind::Notes, body, move |json| async move {
        let payload = read_notes_payload(&json)?;
        let notes: Vec<Note> =
            payload.notes.into_iter().map(serde_json::from_value).collect::<Result<_, _>>().map_err(invalid)?;
        let rules: Vec<CleanupRule> =
            payload.cleanup_rules.into_iter().map(serde_json::from_value).collect::<Result<_, _>>().map_err(invalid)?;
        let count = notes.len();
        tracing::Span::current().record("notes", count);
        let batch = NotesBatch { notes, cleanup_rules: (!rules.is_empty()).then_some(rules) };
        let name = state.sessions.store_notes(id, &uuid::Uuid::new_v4().simple().to_string(), &batch).await?;
        state
            .sessions
            .update(id, |session| {
                session.ensure_open()?;
                session.note_batches.push(name);
                session.notes_received += count as u64;
                if session.cleanup_rules.is_none() {
                    session.cleanup_rules = batch.cleanup_rules;
                }
                Ok(())
            })
            .await?;
        crate::metrics::Metrics::add(&state.metrics.notes_received, count as u64);
        tracing::info!(session = %id, notes = count, "notes received");
        Ok(json!({"sessionId": id, "publishedCount": count, "errors": []}))
    })
    .await
}

fn invalid(error: serde_json::Error) -> ApiError {
    ApiError::InvalidJson(format!("a note or cleanup rule is not valid: {error}"))
}
