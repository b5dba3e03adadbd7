//! The plugin's chunk envelope on the two upload routes: every chunk but the last gets 202
//! `chunk_received`; the last runs the route's handler on the reassembled payload, whose reply is
//! recorded and replayed if the last chunk comes again.

use std::future::Future;

use axum::Json;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use vps_core::SessionId;
use vps_envelope::{Assembled, ChunkOutcome, Envelope, RouteKind, TempJson};

use crate::ApiError;
use crate::state::AppState;

/// Reads the body (`MAX_JSON_BODY_BYTES` and the body timeouts; the plugin sends at most 1 MiB),
/// accepts the chunk, and on the last one runs `complete`.
pub(super) async fn receive<F, Fut>(
    app: &AppState,
    session: SessionId,
    kind: RouteKind,
    body: Body,
    complete: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(TempJson) -> Fut,
    Fut: Future<Output = Result<Value, ApiError>>,
{
    let bytes = crate::body::read_json_body(body, &app.settings).await?;
    // The handler's span declares `chunk_bytes` (the chunk as received, in bytes).
    tracing::Span::current().record("chunk_bytes", bytes.len());
    let envelope = Envelope::from_slice(&bytes)?;
    let (upload_id, chunk_index) = (envelope.metadata.upload_id.clone(), envelope.metadata.chunk_index);
    match app.chunks.accept(session, kind, envelope).await? {
        ChunkOutcome::Partial { received, total } => {
            let body = json!({"status": "chunk_received", "uploadId": upload_id, "chunkIndex": chunk_index, "totalChunks": total, "received": received});
            Ok((StatusCode::ACCEPTED, Json(body)).into_response())
        }
        ChunkOutcome::Replay(reply) => Ok(Json(reply).into_response()),
        ChunkOutcome::Complete(upload) => {
            let json = inflate(app, &upload).await?;
            let reply = complete(json).await?;
            app.chunks.record_reply(session, kind, &upload_id, &reply).await?;
            Ok(Json(reply).into_response())
        }
    }
}

async fn inflate(app: &AppState, upload: &Assembled) -> Result<TempJson, ApiError> {
    let cap = app.chunks.limits().max_original_bytes(upload.kind());
    Ok(vps_envelope::gunzip_to_file(upload.reader(), cap, upload.original_size(), &app.temp_dir).await?)
}
