//! Bad inputs on the plugin's routes: each a 4xx JSON answer with a code, and a server that goes
//! on working.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use vps_testkit::*;

async fn send(plugin: &Plugin, session: &str, route: &str, body: &Value) -> (StatusCode, Value) {
    json_answer(plugin.post(&format!("/api/session/{session}/{route}/upload"), body).send().await.unwrap()).await
}

fn upload_id(session: &str) -> String {
    format!("notes-{session}-{}", uuid_like())
}

/// Chunk envelopes the notes route must refuse, each with its status and code, for an open
/// `session` (with the default limits). The bad-input corpus (`corpus.rs`) replays them too.
pub(crate) fn bad_envelopes(session: &str) -> Vec<(&'static str, Value, StatusCode, &'static str)> {
    let batch = serde_json::to_vec(&json!({"notes": [note("A.md", "a")]})).unwrap();
    let gz = gzip(&batch);
    let bomb_json = vec![b' '; 64 * 1024 * 1024];
    let bomb = gzip(&bomb_json);
    let session = session.to_owned();
    vec![
        (
            "gzip bomb",
            envelope(&upload_id(&session), 0, 1, bomb_json.len(), bomb.len(), &bomb),
            StatusCode::PAYLOAD_TOO_LARGE,
            "decompressed-too-large",
        ),
        (
            "chunk index out of range",
            envelope(&upload_id(&session), 3, 2, batch.len(), gz.len(), &gz),
            StatusCode::BAD_REQUEST,
            "chunk-index-out-of-range",
        ),
        (
            "invalid base64",
            json!({"metadata": {"uploadId": upload_id(&session), "chunkIndex": 0, "totalChunks": 1, "originalSize": 10, "compressedSize": 10}, "data": "!!not base64!!"}),
            StatusCode::BAD_REQUEST,
            "invalid-base64",
        ),
        ("not gzip", envelope(&upload_id(&session), 0, 1, 5, 5, b"hello"), StatusCode::BAD_REQUEST, "invalid-gzip"),
        (
            "gzip of something that is not JSON",
            envelope(&upload_id(&session), 0, 1, 9, gzip(b"not json!").len(), &gzip(b"not json!")),
            StatusCode::BAD_REQUEST,
            "invalid-json",
        ),
        (
            "upload id of another session",
            envelope(&format!("notes-{}-x", uuid_like()), 0, 1, batch.len(), gz.len(), &gz),
            StatusCode::BAD_REQUEST,
            "session-mismatch",
        ),
        (
            "sizes that lie",
            envelope(&upload_id(&session), 0, 1, batch.len() + 1, gz.len(), &gz),
            StatusCode::BAD_REQUEST,
            "size-mismatch",
        ),
    ]
}

#[tokio::test]
async fn each_bad_envelope_gets_its_status_and_code() {
    let app = spawn_app_with(|s| s.uploads.max_asset_size_bytes = 1024 * 1024).await;
    let plugin = app.plugin();
    let session = plugin.start().await["sessionId"].as_str().unwrap().to_owned();
    let batch = serde_json::to_vec(&json!({"notes": [note("A.md", "a")]})).unwrap();
    let gz = gzip(&batch);
    for (name, body, status, code) in bad_envelopes(&session) {
        let (got, answer) = send(&plugin, &session, "notes", &body).await;
        assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{name}: {answer}");
    }

    // Inconsistent totalChunks between two chunks of one upload.
    let id = upload_id(&session);
    let (first, _) = gz.split_at(gz.len() / 2);
    assert_eq!(
        send(&plugin, &session, "notes", &envelope(&id, 0, 2, batch.len(), gz.len(), first)).await.0,
        StatusCode::ACCEPTED
    );
    let (status, answer) = send(&plugin, &session, "notes", &envelope(&id, 1, 3, batch.len(), gz.len(), first)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("inconsistent-chunk-metadata")),
        "{answer}"
    );

    // finish while that upload is incomplete: 409, nothing lost.
    let (status, answer) = plugin.finish(&session, 1, 0).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("incomplete-upload")), "{answer}");

    // Invalid JSON body, oversize body, unknown session.
    let response = app
        .client
        .post(app.url(&format!("/api/session/{session}/notes/upload")))
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    let (status, answer) = json_answer(response).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid-json")));
    let oversize = json!({"metadata": {"uploadId": upload_id(&session), "chunkIndex": 0, "totalChunks": 1, "originalSize": 1, "compressedSize": 1}, "data": "A".repeat(9 * 1024 * 1024)});
    let (status, answer) = send(&plugin, &session, "notes", &oversize).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("request-too-large")),
        "{answer}"
    );
    let (status, answer) = send(
        &plugin,
        "00000000-0000-4000-8000-000000000000",
        "notes",
        &envelope(&upload_id(&session), 0, 1, batch.len(), gz.len(), &gz),
    )
    .await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::NOT_FOUND, Some("session-not-found")));

    // The server still publishes.
    plugin.publish(&[note("Still.md", "working")], &[]).await;
    assert_eq!(app.client.get(app.url("/still")).send().await.unwrap().status(), StatusCode::OK);
    assert!(app.temp_files().is_empty(), "{:?}", app.temp_files());
}

#[tokio::test]
async fn abort_after_finish_is_409_and_uploads_after_abort_are_refused() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    let session = plugin.start().await["sessionId"].as_str().unwrap().to_owned();
    plugin.finish(&session, 0, 0).await;
    plugin.wait(&session).await;
    let (status, answer) =
        json_answer(plugin.post(&format!("/api/session/{session}/abort"), &json!({})).send().await.unwrap()).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("session-not-open")));

    let aborted = plugin.start().await["sessionId"].as_str().unwrap().to_owned();
    plugin.post(&format!("/api/session/{aborted}/abort"), &json!({})).send().await.unwrap();
    let answers = plugin.send_batch(&aborted, "notes", &json!({"notes": [note("A.md", "a")]}), L / 2).await;
    assert_eq!(answers[0].0, StatusCode::CONFLICT, "{:?}", answers[0]);
    let (status, _) = plugin.finish(&aborted, 1, 0).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_invalid_cleanup_rule_fails_the_job_and_leaves_the_site_untouched() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    plugin.publish(&[note("A.md", "first")], &[]).await;
    let mut start = start_body();
    start["ignoredTags"] = json!(["changed"]); // a full session
    let (_, start) = json_answer(plugin.post("/api/session/start", &start).send().await.unwrap()).await;
    let session = start["sessionId"].as_str().unwrap().to_owned();
    let batch = json!({"notes": [note("A.md", "second")], "cleanupRules": [{"id": "bad", "name": "bad", "regex": "(unclosed", "replacement": "", "isEnabled": true}]});
    plugin.send_batch(&session, "notes", &batch, L / 2).await;
    plugin.finish(&session, 1, 0).await;
    let done = plugin.wait(&session).await;
    assert_eq!(done["status"], "failed");
    assert!(done["error"].as_str().unwrap().contains("bad"), "{done}");
    let page = app.client.get(app.url("/a")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("first"), "{page}");
}

#[tokio::test]
async fn overload_answers_429_with_both_retry_hints() {
    let app = spawn_app_with(|s| s.http.max_active_requests = 1).await;
    let plugin = app.plugin();
    let session = plugin.start().await["sessionId"].as_str().unwrap().to_owned();
    // Hold one request open: a multipart upload whose body has not finished.
    let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
    let held = futures_util::stream::once(async { Ok::<_, std::io::Error>(b"--b\r\n".to_vec()) }).chain(
        futures_util::stream::once(async move {
            let _ = receiver.await;
            Err(std::io::Error::other("released"))
        }),
    );
    let slow = app
        .post(&format!("/api/session/{session}/assets/upload"))
        .header("content-type", "multipart/form-data; boundary=b")
        .body(reqwest::Body::wrap_stream(held))
        .send();
    let slow = tokio::spawn(slow);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, answer) = json_answer(plugin.post("/api/session/start", &start_body()).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert_eq!(answer["retryAfterMs"], 5000);
    let response = plugin.post("/api/session/start", &start_body()).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "5");
    assert_eq!(
        app.client.get(app.url("/api/ping")).header("x-api-key", KEY).send().await.unwrap().status(),
        StatusCode::OK
    );
    drop(sender);
    let _ = slow.await;
}

use futures_util::StreamExt;
