//! `POST /api/session/{id}/assets/check`: the client lists files by hash; the server answers
//! which hashes it lacks and links the files it already has into the session, with no bytes
//! sent.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use vps_core::api::{CheckResponse, CheckResult, CheckStatus};
use vps_core::{AssetPath, ContentHash};

use super::blob::media_type_of;
use super::json::ApiJson;
use super::parse_session_id;
use crate::ApiError;
use crate::sessions::SessionAsset;
use crate::state::AppState;

/// Entries in one check request.
const MAX_ENTRIES: usize = 10_000;

/// One entry as sent; parsed into domain types with a precise error per field.
#[derive(Deserialize)]
pub struct RawEntry {
    path: String,
    sha256: String,
    size: u64,
}

pub async fn check(
    State(app): State<AppState>,
    Path(id): Path<String>,
    ApiJson(entries): ApiJson<Vec<RawEntry>>,
) -> Result<Json<CheckResponse>, ApiError> {
    let id = parse_session_id(&id)?;
    app.sessions.get(id).await?.ensure_open()?;
    if entries.len() > MAX_ENTRIES {
        return Err(ApiError::TooManyFiles { limit: MAX_ENTRIES as u64 });
    }
    let mut parsed = Vec::with_capacity(entries.len());
    for entry in entries {
        let path = AssetPath::parse(&entry.path)
            .map_err(|source| ApiError::InvalidPath { path: entry.path.chars().take(200).collect(), source })?;
        parsed.push((path, ContentHash::parse(&entry.sha256)?, entry.size));
    }

    let mut missing = BTreeSet::new();
    let mut files = Vec::with_capacity(parsed.len());
    let mut linked = Vec::new();
    for (path, sha256, size) in parsed {
        let result = |status, media_type, code: Option<&str>, message: Option<String>| CheckResult {
            path: path.clone(),
            sha256,
            status,
            media_type,
            code: code.map(str::to_owned),
            message,
        };
        let Some(mut blob) = app.store.open(&sha256).await? else {
            missing.insert(sha256);
            files.push(result(CheckStatus::Missing, None, None, None));
            continue;
        };
        if blob.len() != size {
            let message = format!("the stored bytes with this hash are {} bytes long, not {size}", blob.len());
            files.push(result(CheckStatus::Rejected, None, Some("size-mismatch"), Some(message)));
            continue;
        }
        let media_type = media_type_of(&mut blob, path.extension().as_deref()).await?;
        if !app.policy.allowlist.allows(&media_type) {
            let message = format!("files of type {media_type} are not accepted");
            files.push(result(CheckStatus::Rejected, Some(media_type), Some("unsupported-media-type"), Some(message)));
            continue;
        }
        linked.push((path.clone(), SessionAsset { sha256, size, media_type: media_type.clone() }));
        files.push(result(CheckStatus::Linked, Some(media_type), None, None));
    }
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
