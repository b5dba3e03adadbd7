//! The real binary behind a real nginx configured by the shipped `deploy/nginx/vps-publish.conf`
//! (see `vps_testkit::nginx`): uploads stream through, finalization events arrive as they
//! happen, and nginx's own refusals reach `vps-publish publish` as clear messages.

use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vps_testkit::nginx::{self, SHIPPED_BODY_LIMIT};
use vps_testkit::{Plugin, json_answer, note};

use crate::{BIN, Server};

const KEY: &str = "nginx-test-key-1234";
const GIB: u64 = 1024 * 1024 * 1024;
/// What the server may hold at most while 1 GiB streams through it (VmHWM).
const SERVER_MEMORY_BOUND_MIB: u64 = 256;
/// How long a test waits for the next event before it calls the stream stuck.
const EVENT_WAIT: Duration = Duration::from_secs(60);

/// `VmHWM` of process `pid` in KiB: the most resident memory it has had.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find_map(|line| line.strip_prefix("VmHWM:")).expect("VmHWM in /proc/<pid>/status");
    line.trim().trim_end_matches("kB").trim().parse().unwrap()
}

/// 1 GiB that the server takes for an MP4 video, made as it is sent: the same MiB over and over
/// (an `ftyp` header in front), so the test holds one MiB, never the GiB.
fn generated_video(len: u64) -> (impl Iterator<Item = Bytes> + Clone, String) {
    const MIB: usize = 1024 * 1024;
    let mut first = vec![0x5a; MIB];
    first[..24].copy_from_slice(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2");
    let (first, rest) = (Bytes::from(first), Bytes::from((0..MIB).map(|i| (i % 251) as u8).collect::<Vec<u8>>()));
    let chunks = (0..len.div_ceil(MIB as u64)).map(move |i| {
        let chunk = if i == 0 { first.clone() } else { rest.clone() };
        let remaining = (len - i * MIB as u64) as usize;
        chunk.slice(..remaining.min(MIB))
    });
    let mut hasher = Sha256::new();
    chunks.clone().for_each(|chunk| hasher.update(&chunk));
    let hex = hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect();
    (chunks, hex)
}

async fn start_session(base: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/session/start"))
        .header("x-api-key", KEY)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_answer(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["sessionId"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_upload_streams_through_nginx_with_bounded_server_memory() {
    let data = tempfile::tempdir().unwrap();
    let limits = [("API_KEY", KEY), ("MAX_ASSET_SIZE_BYTES", "2gb"), ("MAX_REQUEST_BYTES", "2gb")];
    let server = Server::start(data.path(), &limits);
    let test = "a_1_gib_upload_streams_through_nginx_with_bounded_server_memory";
    // The shipped body limit as it is: a 1 GiB upload must pass.
    let Some(proxy) = nginx::start_or_skip(test, server.port, SHIPPED_BODY_LIMIT) else { return };
    let session = start_session(&proxy.base_url()).await;

    let (chunks, sha256) = generated_video(GIB);
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks.map(Ok::<_, std::io::Error>)));
    let part = Part::stream_with_length(body, GIB).file_name("Videos/big.mp4");
    let response = reqwest::Client::new()
        .post(format!("{}/api/session/{session}/assets/upload", proxy.base_url()))
        .header("x-api-key", KEY)
        .multipart(Form::new().part("assets", part))
        .send()
        .await
        .unwrap();
    let (status, answer) = json_answer(response).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["files"][0]["status"], "stored", "{answer}");
    assert_eq!(answer["files"][0]["sha256"], sha256.as_str(), "the bytes arrived whole and unchanged");
    let blob = data.path().join("blobs/sha256").join(&sha256[..2]).join(&sha256[2..4]).join(&sha256);
    assert_eq!(std::fs::metadata(&blob).unwrap().len(), GIB);

    let peak = peak_rss_kib(server.child.id());
    eprintln!("server peak RSS after a 1 GiB upload through nginx: {:.1} MiB", peak as f64 / 1024.0);
    assert!(peak < SERVER_MEMORY_BOUND_MIB * 1024, "server peak RSS {} MiB", peak / 1024);
    // nginx passed the body on as it came, never spooling it to its disk first.
    assert!(!proxy.error_log().contains("buffered to a temporary file"), "{}", proxy.error_log());
}

/// The next server-sent event of `response`: its name and data (`{}` for a heartbeat without
/// JSON). Panics when the stream ends first, or nothing comes for [`EVENT_WAIT`].
async fn next_event(response: &mut reqwest::Response, buffer: &mut String) -> (String, Value) {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let name = frame.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or_default().to_owned();
            let data = frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("{}");
            return (name, serde_json::from_str(data).unwrap());
        }
        let chunk = tokio::time::timeout(EVENT_WAIT, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no event within {EVENT_WAIT:?}: held back by the proxy?"))
            .unwrap()
            .expect("the stream ended before its last event");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalization_events_arrive_through_nginx_while_the_job_runs() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[("API_KEY", KEY)]);
    let test = "finalization_events_arrive_through_nginx_while_the_job_runs";
    let Some(proxy) = nginx::start_or_skip(test, server.port, SHIPPED_BODY_LIMIT) else { return };
    let direct = format!("http://127.0.0.1:{}", server.port);

    // The finalization cannot end while the test holds the pointer's lock (as an operator's
    // `rollback` would): it stops just before moving the pointer, at 97 %.
    let lock = File::options().create(true).truncate(false).write(true).open(data.path().join("current.lock")).unwrap();
    lock.lock().unwrap();

    let plugin = Plugin::new(&proxy.base_url(), KEY);
    let started = plugin.start().await;
    let session = started["sessionId"].as_str().unwrap().to_owned();
    plugin.send_batch(&session, "notes", &json!({"notes": [note("Hello.md", "Hello [[World]]")]}), 4096).await;
    let (status, finish) = plugin.finish(&session, 1, 0).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{finish}");
    let stream = format!(
        "{}&token={}",
        finish["realtime"]["streamUrl"].as_str().unwrap(),
        finish["realtime"]["token"].as_str().unwrap()
    );

    // The server asks proxies not to buffer the stream (nginx takes the header for itself).
    let client = reqwest::Client::new();
    let straight = client.get(format!("{direct}{stream}")).send().await.unwrap();
    assert_eq!(straight.headers()["x-accel-buffering"], "no");
    drop(straight);

    // As the plugin's EventSource asks: compressed if possible. A compressor would hold events.
    let request = client.get(format!("{}{stream}", proxy.base_url())).header("accept-encoding", "gzip").send();
    let mut events = tokio::time::timeout(EVENT_WAIT, request)
        .await
        .unwrap_or_else(|_| panic!("no answer within {EVENT_WAIT:?}: held back by the proxy?"))
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    assert!(events.headers().get("content-encoding").is_none(), "never compressed: {:?}", events.headers());
    let mut buffer = String::new();
    let (first, connected) = next_event(&mut events, &mut buffer).await;
    assert_eq!(first, "connected");
    // The next event — a `status` as the job moves on, or the heartbeat the server sends every
    // 15 s while nothing changes — comes through while the job cannot have ended: nginx passes
    // each event on as it is written, not when the stream closes.
    let (second, later) = next_event(&mut events, &mut buffer).await;
    assert!(second == "status" || second == "heartbeat", "{second}: {later}");
    let (_, now) = json_answer(
        client.get(format!("{direct}/api/session/{session}/status")).header("x-api-key", KEY).send().await.unwrap(),
    )
    .await;
    for status in [&connected, &now] {
        assert!(!["completed", "failed"].contains(&status["status"].as_str().unwrap()), "{status}");
    }

    lock.unlock().unwrap();
    let completed = loop {
        match next_event(&mut events, &mut buffer).await {
            (name, data) if name == "completed" || name == "failed" => break data,
            _ => {}
        }
    };
    assert_eq!(completed["status"], "completed", "{completed}");
    assert_eq!(completed["progress"], 100, "{completed}");
    let page = reqwest::get(format!("{}/hello", proxy.base_url())).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the reader's side goes through nginx too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginxs_own_413_reaches_the_cli_as_a_clear_message() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[("API_KEY", KEY)]);
    let test = "nginxs_own_413_reaches_the_cli_as_a_clear_message";
    let Some(proxy) = nginx::start_or_skip(test, server.port, "64k") else { return };

    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join("Note.md"), "A picture: ![[pic.png]]").unwrap();
    let mut picture = b"\x89PNG\r\n\x1a\n".to_vec();
    picture.extend((0..200_000u32).map(|i| (i % 251) as u8));
    std::fs::write(vault.path().join("pic.png"), &picture).unwrap();

    let base = proxy.base_url();
    let vault_path = vault.path().to_owned();
    let output = tokio::task::spawn_blocking(move || publish(&vault_path, &base)).await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "the publish was refused: {stderr}");
    assert!(stderr.contains("the proxy in front of the server"), "{stderr}");
    assert!(stderr.contains("413 Payload Too Large"), "{stderr}");
    assert!(stderr.contains("client_max_body_size"), "{stderr}");
    // nginx's own refusal (the server sends no `Server` header): the message names it.
    assert!(stderr.contains("(nginx/"), "{stderr}");
    assert!(!stderr.contains("<html"), "no HTML page in the message: {stderr}");
}

fn publish(vault: &Path, server: &str) -> std::process::Output {
    Command::new(BIN)
        .arg("publish")
        .arg(vault)
        .args(["--server", server, "--json", "--yes"])
        .env("VPS_PUBLISH_API_KEY", KEY)
        .output()
        .unwrap()
}
