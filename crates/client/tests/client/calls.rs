//! The small calls: public-config, ping, start, check, abort.

use axum::Json;
use axum::response::IntoResponse;
use reqwest::StatusCode;
use serde_json::json;
use vps_client::{Client, ErrorKind, UploadLimits};
use vps_core::ContentHash;
use vps_core::api::{CheckStatus, CheckedAsset, StartSessionRequest};

use crate::helpers::*;

#[tokio::test]
async fn public_config_advertises_streaming_and_the_limits() {
    let app = spawn_app_with(|s| s.uploads.max_files_per_request = 7).await;
    let config = app.client().public_config().await.unwrap().expect("our server has a public config");
    assert!(config.streaming_uploads_enabled);
    assert_eq!(config.max_files_per_request, 7);
    let limits = UploadLimits::from_config(&config);
    assert_eq!((limits.max_files_per_request, limits.max_request_bytes), (7, config.max_request_bytes));
}

#[tokio::test]
async fn public_config_is_none_on_a_server_without_streaming_uploads() {
    // The Node reference answers its frontend's config, or nothing at all under a prefix.
    let (base, _) = stub_server(|_, path| match path {
        "/public-config" => Json(json!({"siteName": "Reference", "locale": "en"})).into_response(),
        _ => (StatusCode::NOT_FOUND, "<html>Not found</html>").into_response(),
    })
    .await;
    assert_eq!(Client::new(&base, KEY).unwrap().public_config().await.unwrap(), None);
    let prefixed = Client::new(&format!("{base}/site/"), KEY).unwrap();
    assert_eq!(prefixed.public_config().await.unwrap(), None);
}

#[tokio::test]
async fn ping_and_start_work_with_a_trailing_slash_in_the_base_url() {
    let app = spawn_app().await;
    let client = Client::new(&format!("{}/", app.base), KEY).unwrap();
    client.ping().await.unwrap();
    let start = client.start(&StartSessionRequest::default()).await.unwrap();
    assert!(start.success);
    assert!(start.pipeline_changed, "nothing published yet");
    assert!(client.bytes_sent() >= 2, "the start body `{{}}` counts");
}

#[tokio::test]
async fn check_tells_missing_hashes_from_files_it_linked() {
    let app = spawn_app().await;
    let client = app.client();
    let dir = tempfile::tempdir().unwrap();
    let (known, unknown) = (png(5000, 1), png(6000, 2));
    let first = client.start(&StartSessionRequest::default()).await.unwrap().session_id;
    let files = [vault_file(dir.path(), "known.png", &known)];
    client.upload_files(first, &files, &UploadLimits::default(), &|_| {}).await.unwrap();

    let session = client.start(&StartSessionRequest::default()).await.unwrap().session_id;
    let entry = |path: &str, data: &[u8]| CheckedAsset {
        path: vps_core::AssetPath::parse(path).unwrap(),
        sha256: ContentHash::parse(&sha256_hex(data)).unwrap(),
        size: data.len() as u64,
    };
    let entries = [entry("Attachments/again.png", &known), entry("new.png", &unknown), entry("copy.png", &unknown)];
    let answer = client.check(session, &entries).await.unwrap();
    assert_eq!(answer.missing, [ContentHash::parse(&sha256_hex(&unknown)).unwrap()], "each missing hash once");
    let statuses: Vec<_> = answer.files.iter().map(|f| f.status).collect();
    assert_eq!(statuses, [CheckStatus::Linked, CheckStatus::Missing, CheckStatus::Missing]);
}

#[tokio::test]
async fn an_upload_after_abort_is_refused_with_the_servers_code() {
    let app = spawn_app().await;
    let client = app.client();
    let dir = tempfile::tempdir().unwrap();
    let session = client.start(&StartSessionRequest::default()).await.unwrap().session_id;
    client.abort(session).await.unwrap();
    client.abort(session).await.unwrap(); // idempotent

    let files = [vault_file(dir.path(), "late.png", &png(100, 3))];
    let error = client.upload_files(session, &files, &UploadLimits::default(), &|_| {}).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Server, "{error}");
    assert_eq!(error.status(), Some(StatusCode::CONFLICT));
    assert_eq!(error.code().map(vps_core::ErrorCode::as_str), Some("session-not-open"));
    assert!(error.to_string().contains("aborted"), "{error}");
}
