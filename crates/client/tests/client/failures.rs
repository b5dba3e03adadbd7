//! What the caller sees when things go wrong: a wrong key, no server, a busy server.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::response::IntoResponse;
use reqwest::StatusCode;
use serde_json::json;
use vps_client::{Client, ErrorKind};
use vps_core::SessionId;
use vps_core::api::StartSessionRequest;

use crate::helpers::*;

#[tokio::test]
async fn a_wrong_key_is_unauthorized_and_never_shown() {
    let app = spawn_app().await;
    let client = Client::new(&app.base, "wrong-key-but-long-enough").unwrap();
    for error in [client.ping().await.unwrap_err(), client.start(&StartSessionRequest::default()).await.unwrap_err()] {
        assert_eq!(error.kind(), ErrorKind::Unauthorized, "{error}");
        assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
        assert!(!error.to_string().contains("wrong-key") && !format!("{error:?}").contains("wrong-key"));
    }
}

#[tokio::test]
async fn nothing_listening_is_unreachable_after_quick_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder(&base, KEY).retry(quick_retries(3)).build().unwrap();
    let started = Instant::now();
    let error = client.start(&StartSessionRequest::default()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unreachable, "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let message = error.to_string();
    assert!(message.contains(&base) && message.contains("3 attempt"), "{message}");
    assert!(!message.contains(KEY));
    // ping is never retried, and says the same.
    assert_eq!(client.ping().await.unwrap_err().kind(), ErrorKind::Unreachable);
}

#[tokio::test]
async fn a_429_is_retried_after_the_delay_the_server_asks_for() {
    let session = SessionId::generate();
    let (base, requests) = stub_server(move |n, _| {
        if n == 0 {
            let body = json!({"code": "overloaded", "message": "busy", "retryAfterMs": 1000});
            return (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, "1")], Json(body)).into_response();
        }
        let body = json!({"sessionId": session, "success": true, "maxBytesPerRequest": 1048576,
            "existingAssetHashes": [], "existingSourceNoteHashesByVaultPath": {}, "pipelineChanged": true,
            "deduplicationEnabled": true});
        (StatusCode::CREATED, Json(body)).into_response()
    })
    .await;
    let client = Client::new(&base, KEY).unwrap();
    let started = Instant::now();
    let start = client.start(&StartSessionRequest::default()).await.unwrap();
    assert_eq!(start.session_id, session);
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited as asked: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_server_busy_too_long_or_refusing_is_a_server_error() {
    let (base, requests) = stub_server(|_, path| {
        if path.ends_with("/abort") {
            return (StatusCode::BAD_REQUEST, Json(json!({"code": "invalid-request", "message": "no"})))
                .into_response();
        }
        let body = json!({"code": "unavailable", "message": "down for maintenance", "retryAfterMs": 20});
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    })
    .await;
    let client = Client::builder(&base, KEY).retry(quick_retries(3)).build().unwrap();
    let error = client.start(&StartSessionRequest::default()).await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Server, Some(StatusCode::SERVICE_UNAVAILABLE)));
    assert_eq!(requests.load(Ordering::SeqCst), 3, "three attempts");

    let error = client.abort(SessionId::generate()).await.unwrap_err();
    assert_eq!(
        (error.kind(), error.code().map(vps_core::ErrorCode::as_str)),
        (ErrorKind::Server, Some("invalid-request"))
    );
    assert_eq!(requests.load(Ordering::SeqCst), 4, "a 400 is not retried");
}
