//! `POST /api/session/{id}/assets/upload` with a JSON body: the plugin's base64 assets in the
//! chunk envelope. Each asset's base64 is decoded as it is read and goes through the same
//! one-pass ingest pipeline as a multipart part.

use axum::body::Body;
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use vps_core::{AssetPath, ErrorCode, SessionId};
use vps_envelope::{RouteKind, ingest_legacy_assets};
use vps_ingest::Outcome;

use super::envelope::receive;
use crate::ApiError;
use crate::metrics::Metrics;
use crate::sessions::SessionAsset;
use crate::state::AppState;

/// One asset the payload carried that was not kept, as the plugin reads it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Refused {
    asset_name: String,
    code: ErrorCode,
    message: String,
}

pub async fn upload(app: &AppState, id: SessionId, body: Body) -> Result<Response, ApiError> {
    let state = app.clone();
    receive(app, id, RouteKind::Assets, body, move |json| async move {
        let assets = ingest_legacy_assets(&json, &*state.store, &state.policy).await?;
        let mut records = Vec::new();
        let mut errors: Vec<Refused> = Vec::new();
        for asset in assets {
            // The vault path is the asset's real place; relativePath is the embed as written and
            // may climb out of its folder with `..`.
            let path = AssetPath::parse(&asset.vault_path).or_else(|_| AssetPath::parse(&asset.relative_path));
            let refuse =
                |code: ErrorCode, message: String| Refused { asset_name: asset.vault_path.clone(), code, message };
            match (path, asset.outcome) {
                (Err(e), _) => errors.push(refuse(e.code(), e.to_string())),
                (Ok(_), Err(e)) => errors.push(refuse(e.code(), e.to_string())),
                (Ok(_), Ok(Outcome::Rejected(why))) => errors.push(refuse(why.code, why.message)),
                (Ok(path), Ok(Outcome::Accepted(file))) => {
                    Metrics::add(&state.metrics.upload_bytes, file.size);
                    let counter = match file.sealed.commit().await? {
                        vps_store::Stored::Created => &state.metrics.files_stored,
                        vps_store::Stored::AlreadyPresent => &state.metrics.files_deduplicated,
                    };
                    Metrics::add(counter, 1);
                    records
                        .push((path, SessionAsset { sha256: file.hash, size: file.size, media_type: file.media_type }));
                }
            }
        }
        let published = records.len();
        // Every asset refused because the scanner is down: the server, not the files, failed.
        let scanner_down = |error: &Refused| error.code == ErrorCode::ScannerUnavailable;
        if published == 0 && !errors.is_empty() && errors.iter().all(scanner_down) {
            return Err(ApiError::ScannerUnavailable);
        }
        state
            .sessions
            .update(id, |session| {
                session.ensure_open()?;
                session.assets.extend(records);
                Ok(())
            })
            .await?;
        if !errors.is_empty() {
            tracing::warn!(session = %id, refused = errors.len(), "assets refused in a legacy upload");
        }
        Ok(json!({"sessionId": id, "publishedCount": published, "errors": errors}))
    })
    .await
}
