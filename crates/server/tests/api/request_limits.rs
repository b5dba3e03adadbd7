//! Bounded request parsing: multipart preambles and part headers, JSON bodies (size, idle and
//! total time), request heads, and connections (the cap, slow headers, idle keep-alive).
//! Clients that misbehave are raw TCP sockets.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::helpers::*;

/// Only a guard against a test hanging forever: nothing is asserted about time.
const PATIENCE: Duration = Duration::from_secs(20);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap()
}

/// The head of a request with a body of `length` bytes.
fn post_head(path: &str, content_type: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nx-api-key: {KEY}\r\ncontent-type: {content_type}\r\ncontent-length: {length}\r\n\r\n"
    )
}

/// Reads one response: its status and its body (empty when it has none).
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> (u16, Vec<u8>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse().unwrap());
            let body_start = end + 4;
            while buffer.len() < body_start + length {
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "the connection closed in the middle of the answer");
                buffer.extend_from_slice(&chunk[..n]);
            }
            return (status, buffer[body_start..body_start + length].to_vec());
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed before an answer: {:?}", String::from_utf8_lossy(&buffer));
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn read_json_response(stream: &mut (impl AsyncRead + Unpin)) -> (u16, Value) {
    let (status, body) = timeout(PATIENCE, read_response(stream)).await.expect("an answer");
    (status, serde_json::from_slice(&body).unwrap_or_else(|_| panic!("JSON, got {}", String::from_utf8_lossy(&body))))
}

/// Waits until the server closes the connection (reading and discarding what it sends).
async fn wait_for_close(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    let closed = timeout(PATIENCE, async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept the connection open");
}

/// A metric's value from `/metrics`, over a connection of its own.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let text = client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|line| line.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{text}"));
    line[name.len() + 1..].parse().unwrap()
}

/// Sends the head of a 20 MB multipart upload, then `prefix` and then filler bytes up to
/// `limit` plus `slack`, and stops: the answer must come with most of the body unsent, which
/// shows that the server stopped holding bytes at the limit.
async fn refused_after_limit(app: &TestApp, prefix: &[u8], filler: u8, limit: usize) -> (u16, Value) {
    let session = app.start_session().await;
    let boundary = Multipart::new().boundary;
    let declared = 20 * 1024 * 1024;
    let head = post_head(
        &format!("/api/session/{session}/assets/upload"),
        &format!("multipart/form-data; boundary={boundary}"),
        declared,
    );
    let mut socket = connect(app).await;
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(prefix).await.unwrap();
    let slack = 256 * 1024;
    let sent = prefix.len() + limit + slack;
    socket.write_all(&vec![filler; limit + slack]).await.unwrap();
    assert!(sent < declared / 10, "most of the body is never sent");
    read_json_response(&mut socket).await
}

#[tokio::test]
async fn a_multipart_preamble_without_a_boundary_is_refused_at_its_limit() {
    // The body idle timeout must not be what answers.
    let app = spawn_app_with(|s| s.http.body_idle_timeout_secs = 3600).await;
    let (status, body) = refused_after_limit(&app, b"", b'p', 64 * 1024).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "malformed-multipart");
    assert!(body["message"].as_str().unwrap().contains("MULTIPART_MAX_PREAMBLE_BYTES"), "{body}");
    app.assert_still_serving().await;
}

#[tokio::test]
async fn multipart_part_headers_that_never_end_are_refused_at_their_limit() {
    let app = spawn_app_with(|s| {
        s.http.body_idle_timeout_secs = 3600;
        s.uploads.multipart_max_header_bytes = 4096;
    })
    .await;
    let boundary = Multipart::new().boundary;
    let prefix =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"assets\"; filename=\"a.png\"\r\nX-Padding: ");
    let (status, body) = refused_after_limit(&app, prefix.as_bytes(), b'h', 4096).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "malformed-multipart");
    assert!(body["message"].as_str().unwrap().contains("MULTIPART_MAX_HEADER_BYTES"), "{body}");
    app.assert_still_serving().await;
}

#[tokio::test]
async fn json_bodies_that_stop_arriving_get_408_and_free_their_slot() {
    let app = spawn_app_with(|s| {
        s.http.body_idle_timeout_secs = 1;
        s.http.max_active_requests = 2;
    })
    .await;
    let session = app.start_session().await;
    // As many stalled calls as there are slots, on every kind of JSON body.
    let paths = ["/api/session/start".to_owned(), format!("/api/session/{session}/notes/upload")];
    let mut sockets = Vec::new();
    for path in &paths {
        let mut socket = connect(&app).await;
        socket.write_all(post_head(path, "application/json", 100).as_bytes()).await.unwrap();
        socket.write_all(b"{").await.unwrap();
        sockets.push(socket);
    }
    for socket in &mut sockets {
        let (status, body) = read_json_response(socket).await;
        assert_eq!((status, body["code"].as_str()), (408, Some("body-timeout")), "{body}");
    }
    // The slots are free again: a normal call is not 429.
    app.start_session().await;
    let (status, body) = json_answer(
        app.post(&format!("/api/session/{session}/assets/check")).json(&serde_json::json!([])).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_json_body_trickling_under_the_idle_timeout_is_cut_at_the_total_timeout() {
    let app = spawn_app_with(|s| {
        s.http.body_idle_timeout_secs = 3600;
        s.http.body_total_timeout_secs = 2;
    })
    .await;
    let session = app.start_session().await;
    let socket = connect(&app).await;
    let (mut reader, mut writer) = socket.into_split();
    let head = post_head(&format!("/api/session/{session}/finish"), "application/json", 10_000);
    writer.write_all(head.as_bytes()).await.unwrap();
    // One byte every 100 ms: 10,000 bytes would take 1,000 s.
    let trickle = tokio::spawn(async move {
        for _ in 0..10_000 {
            if writer.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let (status, body) = read_json_response(&mut reader).await;
    trickle.abort();
    assert_eq!((status, body["code"].as_str()), (408, Some("body-timeout")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("within 2 s"), "{body}");
}

#[tokio::test]
async fn json_bodies_over_the_limit_get_413() {
    let app = spawn_app_with(|s| s.http.max_json_body_bytes = 4096).await;
    let session = app.start_session().await;
    let big = serde_json::json!({ "siteName": "x".repeat(10_000) });
    for path in ["/api/session/start".to_owned(), format!("/api/session/{session}/notes/upload")] {
        // Declared length, then a chunked body that declares nothing.
        let declared = app.post(&path).json(&big).send().await.unwrap();
        let (status, body) = json_answer(declared).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("request-too-large")));
        let bytes = serde_json::to_vec(&big).unwrap();
        let stream = futures_util::stream::iter(
            bytes.chunks(1000).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>(),
        );
        let chunked = app
            .post(&path)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
            .unwrap();
        let (status, body) = json_answer(chunked).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("request-too-large")));
        assert!(body["message"].as_str().unwrap().contains("4096"), "{body}");
    }
    app.assert_still_serving().await;
}

#[tokio::test]
async fn a_request_with_ten_thousand_headers_gets_431() {
    let app = spawn_app().await;
    let mut request = "GET /health HTTP/1.1\r\nHost: test\r\n".to_owned();
    request.extend((0..10_000).map(|i| format!("x-{i}: v\r\n")));
    request.push_str("\r\n");
    let mut socket = connect(&app).await;
    // The server may answer and close before reading it all.
    let _ = socket.write_all(request.as_bytes()).await;
    let (status, _) = timeout(PATIENCE, read_response(&mut socket)).await.expect("an answer");
    assert_eq!(status, 431);
    app.assert_still_serving().await;
}

#[tokio::test]
async fn a_one_megabyte_url_gets_431_or_414() {
    let app = spawn_app().await;
    let request = format!("GET /{} HTTP/1.1\r\nHost: test\r\n\r\n", "a".repeat(1024 * 1024));
    let mut socket = connect(&app).await;
    let _ = socket.write_all(request.as_bytes()).await;
    let (status, _) = timeout(PATIENCE, read_response(&mut socket)).await.expect("an answer");
    assert!(status == 431 || status == 414, "{status}");
    app.assert_still_serving().await;
}

/// Opens a connection that sends half a request head and nothing more.
async fn slow_header_connection(app: &TestApp) -> TcpStream {
    let mut socket = connect(app).await;
    socket.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n").await.unwrap();
    socket
}

#[tokio::test]
async fn slow_header_connections_beyond_the_cap_do_not_keep_readers_out() {
    // The header timeout is long: only the cap's shedding can let a reader in.
    let app = spawn_app_with(|s| {
        s.http.max_connections = 20;
        s.http.header_read_timeout_secs = 3600;
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..30 {
        slow.push(slow_header_connection(&app).await);
    }
    let client = reqwest::Client::new();
    let health = timeout(PATIENCE, client.get(app.url("/health")).send()).await.expect("an answer").unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // The 30 slow connections came first: at least 11 were closed to stay at 20.
    assert!(metric(&app, "vps_open_connections").await <= 20);
    assert!(metric(&app, "vps_connections_shed_total").await >= 11);
    assert_eq!(metric(&app, "vps_connection_limit").await, 20);
    drop(slow);
}

#[tokio::test]
async fn slow_header_and_idle_keep_alive_connections_are_closed_after_the_header_timeout() {
    let app = spawn_app_with(|s| s.http.header_read_timeout_secs = 1).await;
    let mut sockets = Vec::new();
    for _ in 0..10 {
        sockets.push(slow_header_connection(&app).await);
    }
    // A keep-alive connection that asked once and then stays silent.
    let mut idle = connect(&app).await;
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    let (status, _) = timeout(PATIENCE, read_response(&mut idle)).await.expect("an answer");
    assert_eq!(status, 200);
    sockets.push(idle);

    for socket in &mut sockets {
        wait_for_close(socket).await;
    }
    // Back to idle: the only connection left is the one asking.
    let mut open = metric(&app, "vps_open_connections").await;
    for _ in 0..200 {
        if open == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        open = metric(&app, "vps_open_connections").await;
    }
    assert_eq!(open, 1);
}
