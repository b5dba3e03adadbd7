//! `POST /api/maintenance/cleanup`: the plugin's "clean VPS" button.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::ApiJson;
use crate::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CleanupRequest {
    #[serde(default)]
    target_name: String,
}

/// Takes the site offline and forgets every skip hint, so that the next publish is a full one.
/// Earlier revisions stay on disk: `vps-publish rollback` can bring one back, and `gc` removes
/// them for good.
#[tracing::instrument(skip_all)]
pub(super) async fn cleanup(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<CleanupRequest>,
) -> Result<Json<Value>, ApiError> {
    if request.target_name.trim().is_empty() {
        return Err(ApiError::InvalidRequest("targetName must name the server being cleaned".into()));
    }
    app.site.clear().await?;
    tracing::warn!(target_name = %request.target_name.trim(), "site cleared by maintenance cleanup");
    Ok(Json(json!({"status": "ok", "cleared": ["content", "assets"]})))
}
