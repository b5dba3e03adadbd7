//! `POST /api/session/{id}/assets/upload` with a JSON body: the plugin's base64 assets in the
//! chunk envelope. `vps_envelope` parses the payload and hands each asset's content over as a
//! stream of decoded bytes; here each stream goes through the ingest pipeline exactly as a
//! multipart part does, and the accepted files are kept by the same
//! [`commit_and_record`](super::upload::commit_and_record) step.

use axum::body::Body;
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use vps_core::{AssetPath, ErrorCode, SessionId};
use vps_envelope::{AssetContent, ContentConsumer, LegacyAssetError, RouteKind, read_legacy_assets};
use vps_ingest::{IngestError, Outcome, ingest};

use super::envelope::receive;
use super::upload::commit_and_record;
use crate::ApiError;
use crate::state::AppState;

/// One asset the payload carried that was not kept, as the plugin reads it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Refused {
    asset_name: String,
    code: ErrorCode,
    message: String,
}

/// Runs each asset's content through the ingest pipeline as the payload is read.
struct Ingest<'a> {
    app: &'a AppState,
}

impl ContentConsumer for Ingest<'_> {
    type Output = Result<Outcome, LegacyAssetError>;
    type Error = ApiError;

    async fn consume(
        &mut self,
        extension: Option<&str>,
        content: AssetContent<'_>,
    ) -> Result<Result<Outcome, LegacyAssetError>, ApiError> {
        match ingest(&*self.app.store, &self.app.policy, extension, None, content).await {
            Ok(outcome) => Ok(Ok(outcome)),
            Err(IngestError::TooLarge { limit }) => Ok(Err(LegacyAssetError::TooLarge { limit })),
            // The parser says why the content stopped (bad base64, or a bad payload).
            Err(IngestError::Body(_)) => Ok(Err(LegacyAssetError::InvalidBase64)),
            Err(IngestError::Store(error)) => Err(ApiError::Store(error)),
        }
    }
}

pub(super) async fn upload(app: &AppState, id: SessionId, body: Body) -> Result<Response, ApiError> {
    let state = app.clone();
    receive(app, id, RouteKind::Assets, body, move |json| async move {
        let assets = read_legacy_assets(&json, &mut Ingest { app: &state }).await?;
        let mut accepted = Vec::new();
        let mut errors: Vec<Refused> = Vec::new();
        for asset in assets {
            // The vault path is the asset's real place; relativePath is the embed as written and
            // may climb out of its folder with `..`.
            let path = AssetPath::parse(&asset.vault_path).or_else(|_| AssetPath::parse(&asset.relative_path));
            let refuse =
                |code: ErrorCode, message: String| Refused { asset_name: asset.vault_path.clone(), code, message };
            match (path, asset.content.and_then(|outcome| outcome)) {
                (Err(e), _) => errors.push(refuse(e.code(), e.to_string())),
                (Ok(_), Err(e)) => errors.push(refuse(e.code(), e.to_string())),
                (Ok(_), Ok(Outcome::Rejected(why))) => errors.push(refuse(why.code, why.message)),
                (Ok(path), Ok(Outcome::Accepted(file))) => accepted.push((path, file)),
            }
        }
        // Every asset refused because the scanner is down: the server, not the files, failed.
        let scanner_down = |error: &Refused| error.code == ErrorCode::ScannerUnavailable;
        if accepted.is_empty() && !errors.is_empty() && errors.iter().all(scanner_down) {
            return Err(ApiError::ScannerUnavailable);
        }
        let published = commit_and_record(&state, id, accepted).await?.len();
        if !errors.is_empty() {
            tracing::warn!(session = %id, refused = errors.len(), "assets refused in a legacy upload");
        }
        Ok(json!({"sessionId": id, "publishedCount": published, "errors": errors}))
    })
    .await
}
