//! `POST /api/session/{id}/assets/check`: the client lists files by hash; the server answers
//! which hashes it lacks and links the files it already has into the session, with no bytes
//! sent.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use vps_core::api::{CheckResponse, CheckResult, CheckStatus};
use vps_core::{AssetPath, ContentHash, ErrorCode};

use super::blob::media_type_of;
use super::json::ApiJson;
use super::parse_session_id;
use crate::ApiError;
use crate::sessions::SessionAsset;
use crate::state::AppState;

/// Entries in one check request.
const MAX_ENTRIES: usize = 10_000;
/// Entries looked up in the store at once.
const CONCURRENCY: usize = 16;

/// One entry as sent; parsed into domain types with a precise error per field.
#[derive(Deserialize)]
pub(super) struct RawEntry {
    path: String,
    sha256: String,
    size: u64,
}

#[tracing::instrument(skip_all, fields(session = %id, entries = entries.len()))]
pub(super) async fn check(
    State(app): State<AppState>,
    Path(id): Path<String>,
    ApiJson(entries): ApiJson<Vec<RawEntry>>,
) -> Result<Json<CheckResponse>, ApiError> {
    let id = parse_session_id(&id)?;
    app.sessions.ensure_open(id).await?;
    if entries.len() > MAX_ENTRIES {
        return Err(ApiError::TooManyFiles { limit: MAX_ENTRIES as u64 });
    }
    let mut parsed = Vec::with_capacity(entries.len());
    for entry in entries {
        let path = AssetPath::parse(&entry.path)
            .map_err(|source| ApiError::InvalidPath { path: entry.path.chars().take(200).collect(), source })?;
        parsed.push((path, ContentHash::parse(&entry.sha256)?, entry.size));
    }
    let sizes: Vec<u64> = parsed.iter().map(|(_, _, size)| *size).collect();

    // Each entry costs a request or two to the store (a bucket answers in milliseconds): many at
    // a time, answers kept in the request's order.
    let files: Vec<CheckResult> = stream::iter(parsed)
        .map(|(path, sha256, size)| check_one(&app, path, sha256, size))
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    let missing: BTreeSet<ContentHash> =
        files.iter().filter(|file| file.status == CheckStatus::Missing).map(|file| file.sha256).collect();
    let linked: Vec<(AssetPath, SessionAsset)> = files
        .iter()
        .zip(&sizes)
        .filter(|(file, _)| file.status == CheckStatus::Linked)
        .map(|(file, size)| {
            let media_type = file.media_type.clone().expect("a linked file has a media type");
            (file.path.clone(), SessionAsset { sha256: file.sha256, size: *size, media_type })
        })
        .collect();
    crate::metrics::Metrics::add(&app.metrics.files_linked, linked.len() as u64);
    app.sessions
        .update(id, |session| {
            session.ensure_open()?;
            session.assets.extend(linked);
            Ok(())
        })
        .await?;
    Ok(Json(CheckResponse { session_id: id, missing: missing.into_iter().collect(), files }))
}

/// Whether the store has this file's bytes, of its size and of an accepted type.
async fn check_one(app: &AppState, path: AssetPath, sha256: ContentHash, size: u64) -> Result<CheckResult, ApiError> {
    let result = |status, media_type, code: Option<ErrorCode>, message: Option<String>| CheckResult {
        path: path.clone(),
        sha256,
        status,
        media_type,
        code,
        message,
    };
    let Some(mut blob) = app.store.open(&sha256).await? else {
        return Ok(result(CheckStatus::Missing, None, None, None));
    };
    if blob.len() != size {
        let message = format!("the stored bytes with this hash are {} bytes long, not {size}", blob.len());
        return Ok(result(CheckStatus::Rejected, None, Some(ErrorCode::SizeMismatch), Some(message)));
    }
    let media_type = media_type_of(&mut blob, path.extension().as_deref()).await?;
    if !app.policy.allowlist.allows(&media_type) {
        let message = format!("files of type {media_type} are not accepted");
        return Ok(result(
            CheckStatus::Rejected,
            Some(media_type),
            Some(ErrorCode::UnsupportedMediaType),
            Some(message),
        ));
    }
    Ok(result(CheckStatus::Linked, Some(media_type), None, None))
}
