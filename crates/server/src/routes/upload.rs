//! `POST /api/session/{id}/assets/upload` with a `multipart/form-data` body: one part per file,
//! field name `assets`, the part's filename is the asset's path in the vault.
//!
//! Each part streams through the ingest pipeline as it arrives. The request is all or nothing:
//! accepted files wait, sealed in temp files, until every part has been read, and are committed
//! to the store and recorded in the session only then, by [`commit_and_record`] (the one step
//! the legacy JSON body goes through too). A request that fails (a limit crossed, a bad part, a
//! client gone) keeps nothing; a file refused for its type is reported in the 200 answer and
//! the others are kept.

use std::collections::HashSet;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use vps_core::api::{FileStatus, UploadResponse, UploadedFile};
use vps_core::{AssetPath, ContentHash, ErrorCode, SessionId};
use vps_ingest::{Accepted, IngestError, Outcome, ingest};
use vps_store::Stored;

use super::parse_session_id;
use crate::ApiError;
use crate::body::{BodyError, MultipartBody, RequestBody, idle_timeout};
use crate::metrics::Metrics;
use crate::sessions::SessionAsset;
use crate::state::AppState;

/// The form field every file part must use.
const FIELD_NAME: &str = "assets";

/// A part read to its end, in request order.
enum Part {
    Accepted(AssetPath, Accepted),
    Rejected(UploadedFile),
}

#[tracing::instrument(skip_all, fields(session = %id, content_length = content_length(&headers), chunk_bytes = tracing::field::Empty))]
pub(super) async fn upload(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = parse_session_id(&id)?;
    app.sessions.ensure_open(id).await?;
    if is_json(&headers) {
        return super::legacy_assets::upload(&app, id, body).await;
    }
    let boundary = multipart_boundary(&headers, app.settings.uploads.streaming_enabled)?;
    // A declared length over the limit is refused before a byte is read (see `RequestBody`).
    let body = RequestBody::new(body, app.settings.uploads.max_request_bytes, idle_timeout(&app.settings));
    let body = MultipartBody::new(body, &boundary, &app.settings);
    let mut multipart = multer::Multipart::new(body, boundary);
    let mut parts = Vec::new();
    let mut seen = HashSet::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default();
        if name != FIELD_NAME {
            return Err(ApiError::UnexpectedField(name.chars().take(100).collect()));
        }
        let raw_path = field.file_name().ok_or(ApiError::MissingFilename)?;
        let path = AssetPath::parse(raw_path)
            .map_err(|source| ApiError::InvalidPath { path: raw_path.chars().take(200).collect(), source })?;
        if parts.len() as u64 >= app.settings.uploads.max_files_per_request {
            return Err(ApiError::TooManyFiles { limit: app.settings.uploads.max_files_per_request });
        }
        if !seen.insert(path.clone()) {
            return Err(ApiError::DuplicatePath(path.to_string()));
        }
        let declared = match field.headers().get("content-digest") {
            Some(value) => ContentHash::from_content_digest(value.to_str().unwrap_or_default())
                .map_err(|source| ApiError::InvalidDigest { path: path.to_string(), source })?,
            None => None,
        };
        let extension = path.extension();
        let outcome =
            ingest(&*app.store, &app.policy, extension.as_deref(), declared, field).await.map_err(|e| match e {
                IngestError::TooLarge { limit } => ApiError::FileTooLarge { path: path.to_string(), limit },
                IngestError::Body(e) => multipart_error(e),
                IngestError::Store(e) => ApiError::Store(e),
            })?;
        parts.push(match outcome {
            Outcome::Accepted(file) => Part::Accepted(path, file),
            Outcome::Rejected(why) => {
                tracing::info!(session = %id, path = %path, code = %why.code, "file rejected");
                Part::Rejected(UploadedFile {
                    path,
                    status: FileStatus::Rejected,
                    size: why.size,
                    sha256: None,
                    media_type: why.media_type,
                    code: Some(why.code),
                    message: Some(why.message),
                })
            }
        });
    }
    if parts.is_empty() {
        return Err(ApiError::NoFiles);
    }
    // Every file refused because the virus scanner could not be reached: the answer is 503 (the
    // server, not the files, is the problem).
    let scanner_down =
        |part: &Part| matches!(part, Part::Rejected(file) if file.code == Some(ErrorCode::ScannerUnavailable));
    if parts.iter().all(scanner_down) {
        return Err(ApiError::ScannerUnavailable);
    }

    // Every part is in: commit the accepted files and record them in the session; the answer
    // lists every file in request order.
    let mut accepted = Vec::new();
    let mut slots = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Part::Rejected(file) => slots.push(Some(file)),
            Part::Accepted(path, file) => {
                accepted.push((path, file));
                slots.push(None);
            }
        }
    }
    let mut committed = commit_and_record(&app, id, accepted).await?.into_iter();
    for rejected in slots.iter().flatten() {
        Metrics::add(&app.metrics.upload_bytes, rejected.size);
        Metrics::add(&app.metrics.files_rejected, 1);
    }
    let files =
        slots.into_iter().map(|slot| slot.or_else(|| committed.next()).expect("one per accepted file")).collect();
    Ok(Json(UploadResponse { session_id: id, files }).into_response())
}

/// The one way an upload's accepted files are kept, whatever the body (multipart, legacy JSON):
/// each is committed to the store under its hash and counted, then all are recorded in the
/// session at once (which must still be open). Answers what became of each, in order.
pub(super) async fn commit_and_record(
    app: &AppState,
    id: SessionId,
    accepted: Vec<(AssetPath, Accepted)>,
) -> Result<Vec<UploadedFile>, ApiError> {
    let mut files = Vec::with_capacity(accepted.len());
    let mut records = Vec::with_capacity(accepted.len());
    for (path, file) in accepted {
        let status = match file.sealed.commit().await? {
            Stored::Created => FileStatus::Stored,
            Stored::AlreadyPresent => FileStatus::Deduplicated,
        };
        tracing::info!(session = %id, path = %path, sha256 = %file.hash, size = file.size, ?status, "file uploaded");
        Metrics::add(&app.metrics.upload_bytes, file.size);
        let counter = match status {
            FileStatus::Deduplicated => &app.metrics.files_deduplicated,
            _ => &app.metrics.files_stored,
        };
        Metrics::add(counter, 1);
        let asset = SessionAsset { sha256: file.hash, size: file.size, media_type: file.media_type.clone() };
        records.push((path.clone(), asset));
        files.push(UploadedFile {
            path,
            status,
            size: file.size,
            sha256: Some(file.hash),
            media_type: Some(file.media_type),
            code: None,
            message: None,
        });
    }
    app.sessions
        .update(id, |session| {
            session.ensure_open()?;
            session.assets.extend(records);
            Ok(())
        })
        .await?;
    Ok(files)
}

/// The plugin's legacy body: `application/json` (the same URL as multipart; the type tells).
/// The declared body size in bytes, for the span; 0 when absent or unreadable (chunked).
fn content_length(headers: &HeaderMap) -> u64 {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn is_json(headers: &HeaderMap) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    content_type.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json")
}

fn multipart_boundary(headers: &HeaderMap, streaming_enabled: bool) -> Result<String, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != "multipart/form-data" {
        return Err(ApiError::UnsupportedContentType(content_type.chars().take(100).collect()));
    }
    if !streaming_enabled {
        return Err(ApiError::StreamingDisabled);
    }
    multer::parse_boundary(content_type).map_err(|_| ApiError::MissingBoundary)
}

/// Tells a body that could not be read (too large, stalled, client gone, a preamble or part
/// headers past their limit) from a malformed one.
fn multipart_error(error: multer::Error) -> ApiError {
    if let multer::Error::StreamReadFailed(source) = &error
        && let Some(body) = source.downcast_ref::<BodyError>()
    {
        return body.clone().into();
    }
    ApiError::MalformedMultipart(error.to_string())
}
