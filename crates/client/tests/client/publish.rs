//! A whole publish: notes in several batches and chunks, finish with an inventory, following the
//! job, and the pages a reader then gets.

use std::sync::Mutex;

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use vps_client::Client;
use vps_core::SessionId;
use vps_core::api::StartSessionRequest;
use vps_core::job::{FinishRequest, FinishResponse, JobState, JobStatus, Realtime};
use vps_core::note::CleanupRule;

use crate::helpers::*;

#[tokio::test]
async fn notes_in_several_batches_are_published_and_their_pages_served() {
    let app = spawn_app().await;
    let client = app.client();
    // 30 notes of 40 KB (more than one 1 MiB batch), and one of 1.5 MB that goes alone, in
    // three chunks of gzip.
    let mut notes: Vec<_> = (0..30)
        .map(|i| {
            note(&format!("Note {i}.md"), &format!("# Note {i}\n\nSECRET-{i} visible-{i}\n\n{}", noise(40_000, i)))
        })
        .collect();
    notes.push(note("Long.md", &format!("# Long\n\nSee [[Note 3]].\n\n{}", noise(1_500_000, 99))));
    let rules = [CleanupRule {
        id: "drop-secrets".into(),
        name: "Secrets".into(),
        regex: "SECRET-\\d+".into(),
        replacement: String::new(),
        is_enabled: true,
    }];

    let session = client.start(&StartSessionRequest::default()).await.unwrap().session_id;
    let sent = client.upload_notes(session, &notes, &rules).await.unwrap();
    assert!(sent > 1_500_000, "{sent} bytes sent");
    let inventory = notes.iter().map(|n| n.vault_path.clone()).collect();
    let request =
        FinishRequest { notes_processed: notes.len() as u64, assets_processed: 0, inventory: Some(inventory) };
    let finish = client.finish(session, &request).await.unwrap();
    assert!(finish.realtime.is_some(), "our server offers the event stream");

    let seen = Mutex::new(Vec::<JobStatus>::new());
    let done = client.follow(session, &finish, &|status| seen.lock().unwrap().push(status.clone())).await.unwrap();
    assert_eq!(done.status, JobState::Completed, "{done:?}");
    assert_eq!(done.result.as_ref().unwrap().promotion_stats.notes_published, 31);
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.last(), Some(&done), "the terminal status is reported too");
    assert!(seen.windows(2).all(|w| w[0].progress <= w[1].progress), "progress never goes back");

    let (status, page) = app.get("/note-7").await;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("visible-7") && !page.contains("SECRET-7"), "cleanup rules went with the first batch");
    let (status, page) = app.get("/long").await;
    assert_eq!(status, 200);
    // Relative to `/long`: `note-3` is `/note-3`.
    assert!(String::from_utf8_lossy(&page).contains("href=\"note-3\""));
    assert!(client.bytes_sent() >= sent);
}

#[tokio::test]
async fn follow_polls_the_status_when_the_server_offers_no_event_stream() {
    let app = spawn_app_with(|s| s.sessions.finalization_sse_enabled = false).await;
    let client = app.client();
    let session = client.start(&StartSessionRequest::default()).await.unwrap().session_id;
    client.upload_notes(session, &[note("Home.md", "Hello from the client.")], &[]).await.unwrap();
    let request = FinishRequest { notes_processed: 1, ..FinishRequest::default() };
    let finish = client.finish(session, &request).await.unwrap();
    assert!(finish.realtime.is_none());
    let calls = Mutex::new(0);
    let done = client.follow(session, &finish, &|_| *calls.lock().unwrap() += 1).await.unwrap();
    assert_eq!(done.status, JobState::Completed, "{done:?}");
    assert!(*calls.lock().unwrap() >= 1);
    let (status, page) = app.get("/").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("Hello from the client."));
}

/// A status object as the server sends it.
fn status_json(session: SessionId, state: &str, progress: u8) -> serde_json::Value {
    serde_json::json!({"jobId": "job-1", "sessionId": session, "status": state, "progress": progress,
        "phase": if state == "completed" { "completed" } else { "rendering_html" },
        "createdAt": "2026-01-05T10:00:00.000Z"})
}

fn finish_answer(session: SessionId) -> FinishResponse {
    FinishResponse {
        session_id: session,
        success: true,
        job_id: "job-1".into(),
        status: "queued".into(),
        realtime: Some(Realtime {
            transport: "sse".into(),
            stream_url: format!("/events/session/{session}/finalization?jobId=job-1"),
            token: "tok.en/+=".into(),
            expires_at: "2099-01-01T00:00:00.000Z".into(),
        }),
    }
}

#[tokio::test]
async fn follow_reads_the_event_stream_with_its_token() {
    let session = SessionId::generate();
    let (base, _) = stub_server(move |_, uri| {
        if !uri.starts_with("/site/events/") || !uri.ends_with("jobId=job-1&token=tok%2Een%2F%2B%3D") {
            return (StatusCode::INTERNAL_SERVER_ERROR, "polling is not expected").into_response();
        }
        let frames = format!(
            "event: connected\ndata: {}\n\n: keep-alive\nevent: heartbeat\ndata: {{}}\n\nevent: status\ndata: {}\n\nevent: completed\ndata: {}\n\n",
            status_json(session, "processing", 10),
            status_json(session, "processing", 60),
            status_json(session, "completed", 100)
        );
        ([(CONTENT_TYPE, "text/event-stream")], frames).into_response()
    })
    .await;
    let client = Client::new(&format!("{base}/site"), KEY).unwrap();
    let seen = Mutex::new(Vec::new());
    let done = client.follow(session, &finish_answer(session), &|s| seen.lock().unwrap().push(s.progress)).await;
    assert_eq!(done.unwrap().status, JobState::Completed);
    assert_eq!(seen.into_inner().unwrap(), [10, 60, 100]);
}

#[tokio::test]
async fn follow_polls_when_the_event_stream_breaks_before_the_end() {
    let session = SessionId::generate();
    let (base, requests) = stub_server(move |n, uri| {
        if uri.starts_with("/events/") {
            let frames = format!("event: connected\ndata: {}\n\n", status_json(session, "processing", 10));
            return ([(CONTENT_TYPE, "text/event-stream")], frames).into_response();
        }
        let state = if n < 2 { "processing" } else { "completed" };
        Json(status_json(session, state, if n < 2 { 10 } else { 100 })).into_response()
    })
    .await;
    let client = Client::new(&base, KEY).unwrap();
    let seen = Mutex::new(Vec::new());
    let done = client.follow(session, &finish_answer(session), &|s| seen.lock().unwrap().push(s.progress)).await;
    assert_eq!(done.unwrap().status, JobState::Completed);
    assert_eq!(seen.into_inner().unwrap(), [10, 100], "an unchanged status is not reported twice");
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 3, "the stream, then two polls");
}
