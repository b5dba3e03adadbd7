//! `/health`, `/public-config` and `/api/ping`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use vps_core::api::{Health, PublicConfig, ScannerHealth, StoreHealth};

use crate::state::AppState;

/// The version of the upload protocols this server speaks (streaming multipart, hash check).
pub(super) const PROTOCOL_VERSION: u32 = 1;
/// The plugin's chunk size (`L`): it never sends more per request, whatever we answer.
pub(super) const MAX_BYTES_PER_REQUEST: u64 = 1024 * 1024;

/// 200 when the server can write to its data directory and reach its store, 503 otherwise.
#[tracing::instrument(skip_all)]
pub(super) async fn health(State(app): State<AppState>) -> (StatusCode, Json<Health>) {
    let probe = app.temp_dir.join(format!(".health-{}", uuid::Uuid::new_v4().simple()));
    let writable = tokio::task::spawn_blocking(move || {
        let ok = std::fs::write(&probe, b"ok").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    })
    .await
    .unwrap_or(false);
    let store = match app.store.check().await {
        Ok(()) => StoreHealth { kind: app.settings.store.storage.name().into(), reachable: true, error: None },
        Err(error) => {
            tracing::warn!(?error, "the store cannot be reached");
            StoreHealth {
                kind: app.settings.store.storage.name().into(),
                reachable: false,
                error: Some(error.to_string()),
            }
        }
    };
    let scanner = match app.policy.scan.as_ref() {
        Some(scan) => Some(match scan.scanner.ping().await {
            Ok(()) => ScannerHealth { reachable: true, version: scan.scanner.version().await.ok(), error: None },
            Err(error) => ScannerHealth { reachable: false, version: None, error: Some(error.to_string()) },
        }),
        None => None,
    };
    let (status, label) = match (writable && store.reachable, scanner.as_ref().is_none_or(|s| s.reachable)) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        // Pages are still served; uploads are refused (or, fail-open, unscanned).
        (true, false) => (StatusCode::OK, "degraded"),
        (true, true) => (StatusCode::OK, "ok"),
    };
    let health = Health {
        status: label.into(),
        data_dir_writable: writable,
        store,
        version: env!("CARGO_PKG_VERSION").into(),
        scanner,
    };
    (status, Json(health))
}

#[tracing::instrument(skip_all)]
pub(super) async fn public_config(State(app): State<AppState>) -> Json<PublicConfig> {
    let settings = &app.settings;
    Json(PublicConfig {
        protocol_version: PROTOCOL_VERSION,
        streaming_uploads_enabled: settings.uploads.streaming_enabled,
        max_asset_size_bytes: settings.uploads.max_asset_size_bytes,
        max_files_per_request: settings.uploads.max_files_per_request,
        max_request_bytes: settings.uploads.max_request_bytes,
        max_bytes_per_request: MAX_BYTES_PER_REQUEST,
        allowed_media_types: settings.uploads.allowed_media_types.entries().to_vec(),
        site_name: settings.site.site_name.clone(),
        base_url: settings.site.base_url.clone(),
    })
}

/// `GET /metrics`: Prometheus counters.
#[tracing::instrument(skip_all)]
pub(super) async fn metrics(State(app): State<AppState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let scans = app.policy.scan.as_ref().map(|scan| scan.scanner.stats());
    app.metrics.image_variant_queue.store(app.variants.queued() as u64, std::sync::atomic::Ordering::Relaxed);
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render(scans))
}

/// The plugin's "test connection" button.
#[tracing::instrument(skip_all)]
pub(super) async fn ping() -> Json<Value> {
    Json(json!({"api": "ok"}))
}
