//! The bad-input corpus of issue 11: every case with the answer it must get, against one server
//! with the default limits, and after each case the server still serves (`/health` and a known
//! page), still publishes (after every publish case, and every fifth case otherwise), keeps
//! nothing in `data/tmp`, and serves no blob the live site does not reference.
//!
//! Some inputs kill a server that lacks a bound (a stack overflow, an allocation of petabytes),
//! and a killed process cannot report anything. So the table runs in a child process (this test
//! binary again, running [`corpus_child_process`]) with its data segment capped at 3 GiB; when
//! the child dies, the case it was running is reported as a crash and a new child goes on with the
//! next case, on a new data directory. The test then lists every failing case with its mismatch,
//! not only the first one.
//!
//! `cargo test -p vps-server --test api corpus -- --nocapture` shows the cases as they run.

use std::collections::HashSet;
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use vps_server::{ApiKey, Application, Settings};
use vps_testkit::{L, Plugin, asset, envelope, gzip, note, start_body, uuid_like};

use crate::helpers::{KEY, Multipart, png, sha256_hex};

/// Set in the child process: the index of the first case to run.
const CHILD_ENV: &str = "VPS_CORPUS_FROM";
/// A case that takes longer than this is reported, and its child replaced.
const CASE_TIMEOUT: Duration = Duration::from_secs(120);
/// The child's data segment (`ulimit -d`, KiB): a server without a bound hits it instead of
/// taking the machine's memory.
const CHILD_DATA_KIB: u64 = 3 * 1024 * 1024;
/// The idle timeout of request bodies on the corpus server, short so that the slow-body cases
/// end quickly.
const BODY_IDLE_SECS: u64 = 2;
/// The page every post-check fetches.
const KNOWN_PAGE: &str = "/corpus/known";

type Outcome = Result<(), String>;
type CaseFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

enum Kind {
    /// A request; the publish check runs every fifth case.
    Http,
    /// A publish; the publish check runs after it.
    Publish,
    /// The server is stopped, the data directory changed by the function, the server started
    /// again; then the case runs.
    Restart(fn(&Path)),
}

struct Case {
    name: String,
    kind: Kind,
    run: Box<dyn Fn(Arc<Ctx>) -> CaseFuture + Send + Sync>,
}

fn case<F, Fut>(name: impl Into<String>, kind: Kind, run: F) -> Case
where
    F: Fn(Arc<Ctx>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    Case { name: name.into(), kind, run: Box::new(move |ctx| Box::pin(run(ctx))) }
}

fn http<F, Fut>(name: impl Into<String>, run: F) -> Case
where
    F: Fn(Arc<Ctx>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    case(name, Kind::Http, run)
}

fn publish<F, Fut>(name: impl Into<String>, run: F) -> Case
where
    F: Fn(Arc<Ctx>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    case(name, Kind::Publish, run)
}

// ---------------------------------------------------------------------------------------------
// The server and what cases share.

struct Server {
    base: String,
    stop: CancellationToken,
    running: tokio::task::JoinHandle<()>,
}

async fn start_server(data: &Path) -> Server {
    let settings = Settings {
        port: 0,
        data_dir: data.to_owned(),
        api_key: Some(ApiKey::new(KEY).unwrap()),
        shutdown_grace_secs: 1,
        http: vps_server::settings::Http { body_idle_timeout_secs: BODY_IDLE_SECS, ..Default::default() },
        ..Settings::default()
    };
    let app = Application::build(settings).await.expect("the corpus server builds");
    let base = format!("http://{}", app.local_addr());
    let stop = app.shutdown_handle();
    let running = tokio::spawn(app.run_until_stopped());
    Server { base, stop, running }
}

pub(crate) struct Ctx {
    base: Mutex<String>,
    data: PathBuf,
    /// No connection reuse: some cases make the server close a connection mid-request.
    client: reqwest::Client,
    /// Blobs that must not be served (hash, why), added by the cases that make them.
    unreferenced: Mutex<Vec<(String, String)>>,
    counter: AtomicU64,
}

impl Ctx {
    fn base(&self) -> String {
        self.base.lock().unwrap().clone()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).header("x-api-key", KEY)
    }

    fn plugin(&self) -> Plugin {
        Plugin::new(&self.base(), KEY)
    }

    /// A number never used before in this run, to make bytes and names unique.
    fn unique(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn temp_files(&self) -> Vec<PathBuf> {
        files_under(&self.data.join("tmp"))
    }

    async fn session(&self) -> Result<String, String> {
        let (status, body) = answer(self.post("/api/session/start").json(&json!({})).send().await).await?;
        match body["sessionId"].as_str() {
            Some(id) if status == StatusCode::CREATED => Ok(id.to_owned()),
            _ => Err(format!("start answered {status} {}", short(&body))),
        }
    }

    async fn abort(&self, session: &str) -> Outcome {
        let got = answer(self.post(&format!("/api/session/{session}/abort")).json(&json!({})).send().await).await?;
        expect_status(&got, 200)
    }

    fn never_serve(&self, hash: &str, why: &str) {
        self.unreferenced.lock().unwrap().push((hash.to_owned(), why.to_owned()));
    }

    /// Publishes `notes` with `rules` as the plugin does (a partial publish, or a full one) and
    /// answers the job's final status, whatever it is.
    async fn publish(&self, notes: &[Value], rules: Value, full: bool) -> Result<Value, String> {
        let plugin = self.plugin();
        let mut start = start_body();
        if full {
            start["deduplicationEnabled"] = json!(false);
        }
        let (status, started) = answer(plugin.post("/api/session/start", &start).send().await).await?;
        let Some(session) = started["sessionId"].as_str().filter(|_| status == StatusCode::CREATED) else {
            return Err(format!("start answered {status} {}", short(&started)));
        };
        let texts = notes.iter().map(Value::to_string).collect();
        let prefix = format!("{{\"cleanupRules\":{rules},\"notes\":[");
        for batch in vps_testkit::vault::cut_batches(&prefix, texts, L) {
            let answers = plugin.send_raw_batch(session, "notes", batch.as_bytes(), L / 2).await;
            let (status, body) = answers.last().cloned().unwrap_or((StatusCode::OK, Value::Null));
            if status != StatusCode::OK {
                return Err(format!("a notes batch was answered {status} {}", short(&body)));
            }
        }
        let (status, body) = plugin.finish(session, notes.len(), 0).await;
        if status != StatusCode::ACCEPTED {
            return Err(format!("finish answered {status} {}", short(&body)));
        }
        wait_job(self, session).await
    }

    async fn publish_ok(&self, notes: &[Value]) -> Outcome {
        let done = self.publish(notes, json!([]), false).await?;
        expect_completed(&done)
    }
}

/// Polls a session's status until its job ends (at most 100 s).
async fn wait_job(ctx: &Ctx, session: &str) -> Result<Value, String> {
    for _ in 0..1000 {
        let got = answer(ctx.post(&format!("/api/session/{session}/status")).send().await).await;
        // `status` is a GET.
        let got = match got {
            Ok((StatusCode::METHOD_NOT_ALLOWED, _)) | Err(_) => {
                answer(
                    ctx.client
                        .get(ctx.url(&format!("/api/session/{session}/status")))
                        .header("x-api-key", KEY)
                        .send()
                        .await,
                )
                .await?
            }
            Ok(got) => got,
        };
        if got.0 != StatusCode::OK {
            return Err(format!("status answered {} {}", got.0, short(&got.1)));
        }
        if got.1["status"] == "completed" || got.1["status"] == "failed" {
            return Ok(got.1);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the job did not end within 100 s".into())
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() { found.extend(files_under(&path)) } else { found.push(path) }
    }
    found
}

/// Status and body of an answer; a body that is not JSON becomes a JSON string.
async fn answer(response: reqwest::Result<reqwest::Response>) -> Result<(StatusCode, Value), String> {
    let response = response.map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{status}, then the body broke: {e}"))?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() <= 300 {
        text
    } else {
        format!("{}… ({} bytes)", &text[..text.floor_char_boundary(300)], text.len())
    }
}

fn expect_status(got: &(StatusCode, Value), status: u16) -> Outcome {
    if got.0.as_u16() == status { Ok(()) } else { Err(format!("expected {status}, got {} {}", got.0, short(&got.1))) }
}

/// Exactly this status, and a JSON body with this `code` and a message.
fn expect_code(got: &(StatusCode, Value), status: u16, code: &str) -> Outcome {
    let (got_status, body) = got;
    let ok = got_status.as_u16() == status
        && body["code"] == code
        && body["message"].as_str().is_some_and(|m| !m.is_empty());
    if ok { Ok(()) } else { Err(format!("expected {status} {code}, got {got_status} {}", short(body))) }
}

/// Any 4xx with a non-empty `code`.
fn expect_4xx(got: &(StatusCode, Value)) -> Outcome {
    let ok = got.0.is_client_error() && got.1["code"].as_str().is_some_and(|c| !c.is_empty());
    if ok { Ok(()) } else { Err(format!("expected a 4xx with a code, got {} {}", got.0, short(&got.1))) }
}

fn expect_completed(done: &Value) -> Outcome {
    if done["status"] == "completed" { Ok(()) } else { Err(format!("the publish did not complete: {}", short(done))) }
}

/// The job failed, and its error names the note's vault path and the setting's ENV name.
fn expect_limit(done: &Value, vault_path: &str, setting: &str) -> Outcome {
    let error = done["error"].as_str().unwrap_or_default();
    if done["status"] == "failed" && error.contains(vault_path) && error.contains(setting) {
        Ok(())
    } else {
        let path: String = vault_path.chars().take(60).collect();
        Err(format!("expected the job to fail naming {path:?} and {setting}, got {}", short(done)))
    }
}

fn expect_failed_with(done: &Value, needle: &str) -> Outcome {
    let error = done["error"].as_str().unwrap_or_default();
    if done["status"] == "failed" && error.contains(needle) {
        Ok(())
    } else {
        Err(format!("expected the job to fail with {needle:?}, got {}", short(done)))
    }
}

/// A request written by hand, so that its target is sent as is (`/\evil`, which URL parsers
/// rewrite); answers the status line and headers.
async fn raw_request(base: &str, head: &str) -> Result<String, String> {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.write_all(head.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// `GET target` sent as is; a redirect must stay on this site: one `/`, then not `/` nor `\`.
async fn expect_local_redirect(ctx: Arc<Ctx>, target: &'static str) -> Outcome {
    let head =
        raw_request(&ctx.base(), &format!("GET {target} HTTP/1.1\r\nHost: corpus.test\r\nConnection: close\r\n\r\n"))
            .await?;
    let status = head.split(' ').nth(1).unwrap_or_default().to_owned();
    let location = head.lines().find_map(|l| {
        l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("location")).map(|(_, v)| v.trim().to_owned())
    });
    match location {
        Some(location) if !location.starts_with('/') || location.starts_with("//") || location.starts_with("/\\") => {
            Err(format!("{status} redirects off-site: Location: {location}"))
        }
        _ if status.starts_with('5') || status.is_empty() => Err(format!("answered {status:?}")),
        _ => Ok(()),
    }
}

/// A body that sends `first`, then nothing for `pause`, then fails.
fn stalled_body(first: &'static [u8], pause: Duration) -> reqwest::Body {
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first.to_vec()) }).chain(
        futures_util::stream::once(async move {
            tokio::time::sleep(pause).await;
            Err(std::io::Error::other("the client gave up"))
        }),
    );
    reqwest::Body::wrap_stream(stream)
}

/// `len` bytes of `byte` (then `tail`), streamed in 64 KiB pieces.
fn streamed(prefix: Vec<u8>, byte: u8, len: usize, tail: Vec<u8>) -> reqwest::Body {
    let pieces = len.div_ceil(64 * 1024);
    let body = futures_util::stream::iter(
        std::iter::once(prefix)
            .chain((0..pieces).map(move |i| vec![byte; (len - i * 64 * 1024).min(64 * 1024)]))
            .chain(std::iter::once(tail))
            .map(Ok::<_, std::io::Error>),
    );
    reqwest::Body::wrap_stream(body)
}

fn multipart_of(files: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let mut form = Multipart::new();
    for (path, data) in files {
        form.file("assets", path, data);
    }
    form.finish()
}

async fn upload(
    ctx: &Ctx,
    session: &str,
    (content_type, body): (String, Vec<u8>),
) -> Result<(StatusCode, Value), String> {
    answer(
        ctx.post(&format!("/api/session/{session}/assets/upload"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await,
    )
    .await
}

/// One file uploaded in a new session: the status of that file in the 200 answer.
async fn upload_one_file(ctx: &Ctx, path: &str, data: Vec<u8>) -> Result<Value, String> {
    let session = ctx.session().await?;
    let got = upload(ctx, &session, multipart_of(&[(path, data)])).await?;
    expect_status(&got, 200)?;
    Ok(got.1["files"][0].clone())
}

async fn send_envelope(ctx: &Ctx, session: &str, route: &str, body: &Value) -> Result<(StatusCode, Value), String> {
    answer(ctx.plugin().post(&format!("/api/session/{session}/{route}/upload"), body).send().await).await
}

fn notes_upload_id(session: &str) -> String {
    format!("notes-{session}-{}", uuid_like())
}

/// The strong ETag of a page, without quotes: the hash of its HTML blob.
async fn page_etag(ctx: &Ctx, route: &str) -> Result<String, String> {
    let response = ctx.get(route).send().await.map_err(|e| e.to_string())?;
    if response.status() != StatusCode::OK {
        return Err(format!("{route} answered {}", response.status()));
    }
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default();
    Ok(etag.trim_start_matches("W/").trim_matches('"').to_owned())
}

// ---------------------------------------------------------------------------------------------
// After each case.

/// What must hold after every case; each problem is one message.
async fn post_checks(ctx: &Ctx, publish_too: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for _ in 0..100 {
        if ctx.temp_files().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left = ctx.temp_files();
    if !left.is_empty() {
        problems.push(format!("data/tmp is not empty: {left:?}"));
    }
    for path in ["/health", KNOWN_PAGE] {
        match ctx.get(path).send().await {
            Ok(response) if response.status() == StatusCode::OK => {}
            Ok(response) => problems.push(format!("GET {path} answers {}", response.status())),
            Err(e) => problems.push(format!("GET {path}: no answer: {e}")),
        }
    }
    let unreferenced = ctx.unreferenced.lock().unwrap().clone();
    for (hash, why) in unreferenced {
        match answer(ctx.get(&format!("/_blob/{hash}")).send().await).await {
            Ok(got) if expect_code(&got, 404, "blob-not-found").is_ok() => {}
            Ok((status, _)) => problems.push(format!("/_blob/ serves {why} ({status})")),
            Err(e) => problems.push(format!("/_blob/ of {why}: {e}")),
        }
    }
    if publish_too {
        let n = ctx.unique();
        let route = format!("/corpus/check-{n}");
        let published = ctx.publish_ok(&[note(&format!("corpus/Check {n}.md"), "still publishing")]).await;
        match published {
            Err(e) => problems.push(format!("a small publish fails: {e}")),
            Ok(()) => match ctx.get(&route).send().await {
                Ok(response) if response.status() == StatusCode::OK => {}
                Ok(response) => problems.push(format!("the page just published answers {}", response.status())),
                Err(e) => problems.push(format!("the page just published: {e}")),
            },
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// The cases.

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(folded_tables());
    cases.extend(auth_and_api_cases());
    cases.extend(multipart_cases());
    cases.extend(envelope_cases());
    cases.extend(reader_cases());
    cases.extend(publish_cases());
    cases.extend(state_file_cases());
    cases.extend(last_cases());
    cases
}

/// The tables of `bad_inputs.rs` and `plugin_bad_inputs.rs`, replayed here.
fn folded_tables() -> Vec<Case> {
    let mut cases = Vec::new();
    for index in 0..crate::bad_inputs::cases("s", "a").len() {
        let name = crate::bad_inputs::cases("s", "a")[index].name;
        cases.push(http(format!("request table: {name}"), move |ctx| async move {
            let session = ctx.session().await?;
            let aborted = ctx.session().await?;
            ctx.abort(&aborted).await?;
            let case = crate::bad_inputs::cases(&session, &aborted).swap_remove(index);
            let mut request = ctx.client.post(ctx.url(&case.path)).body(case.body);
            if let Some(key) = case.key {
                request = request.header("x-api-key", key);
            }
            if let Some(content_type) = case.content_type {
                request = request.header("content-type", content_type);
            }
            expect_code(&answer(request.send().await).await?, case.status.as_u16(), case.code)
        }));
    }
    for index in 0..crate::plugin_bad_inputs::bad_envelopes("s").len() {
        let name = crate::plugin_bad_inputs::bad_envelopes("s")[index].0;
        cases.push(http(format!("envelope table: {name}"), move |ctx| async move {
            let session = ctx.session().await?;
            let (_, body, status, code) = crate::plugin_bad_inputs::bad_envelopes(&session).swap_remove(index);
            expect_code(&send_envelope(&ctx, &session, "notes", &body).await?, status.as_u16(), code)
        }));
    }
    cases
}

fn auth_and_api_cases() -> Vec<Case> {
    let start_with = |name: &'static str,
                      key: Option<&'static str>,
                      extra: Option<(&'static str, &'static str)>,
                      status: u16,
                      code: &'static str| {
        http(name, move |ctx| async move {
            let mut request = ctx.client.post(ctx.url("/api/session/start")).json(&json!({}));
            if let Some(key) = key {
                request = request.header("x-api-key", key);
            }
            if let Some((name, value)) = extra {
                request = request.header(name, value);
            }
            expect_code(&answer(request.send().await).await?, status, code)
        })
    };
    let json_to = |name: &'static str,
                   path: &'static str,
                   content_type: &'static str,
                   body: fn() -> Vec<u8>,
                   status: u16,
                   code: &'static str| {
        http(name, move |ctx| async move {
            let path =
                if path.contains("SESSION") { path.replace("SESSION", &ctx.session().await?) } else { path.to_owned() };
            let request = ctx.post(&path).header("content-type", content_type).body(body());
            expect_code(&answer(request.send().await).await?, status, code)
        })
    };
    vec![
        start_with("auth: an empty x-api-key", Some(""), None, 403, "invalid-api-key"),
        start_with(
            "auth: the key with a trailing space",
            None,
            Some(("x-api-key", "test-api-key-0123456789x")),
            403,
            "invalid-api-key",
        ),
        start_with(
            "auth: a bearer token instead of x-api-key",
            None,
            Some(("authorization", "Bearer test-api-key-0123456789")),
            401,
            "missing-api-key",
        ),
        start_with(
            "auth: a key of 8 KiB",
            Some(Box::leak("k".repeat(8192).into_boxed_str())),
            None,
            403,
            "invalid-api-key",
        ),
        start_with(
            "auth: a key with a non-ASCII byte",
            None,
            Some(("x-api-key", "test-api-key-01234567\u{e9}")),
            403,
            "invalid-api-key",
        ),
        json_to(
            "json: a body over 8 MiB",
            "/api/session/start",
            "application/json",
            || {
                let mut body = b"{\"pad\":\"".to_vec();
                body.extend(std::iter::repeat_n(b'a', 9 << 20));
                body.extend_from_slice(b"\"}");
                body
            },
            413,
            "request-too-large",
        ),
        json_to(
            "json: 100,000 nested arrays",
            "/api/session/start",
            "application/json",
            || "[".repeat(100_000).into_bytes(),
            400,
            "invalid-json",
        ),
        json_to(
            "json: truncated",
            "/api/session/start",
            "application/json",
            || b"{\"notesPlanned\": 1".to_vec(),
            400,
            "invalid-json",
        ),
        json_to(
            "json: start as text/plain",
            "/api/session/start",
            "text/plain",
            || b"{}".to_vec(),
            415,
            "unsupported-content-type",
        ),
        json_to(
            "json: finish with a string count",
            "/api/session/SESSION/finish",
            "application/json",
            || br#"{"notesProcessed":"many"}"#.to_vec(),
            400,
            "invalid-json",
        ),
        json_to(
            "json: check with a negative size",
            "/api/session/SESSION/assets/check",
            "application/json",
            || format!(r#"[{{"path":"a.png","sha256":"{}","size":-1}}]"#, "a".repeat(64)).into_bytes(),
            400,
            "invalid-json",
        ),
        json_to(
            "json: check with a path of 2,000 folders",
            "/api/session/SESSION/assets/check",
            "application/json",
            || {
                format!(r#"[{{"path":"{}a.png","sha256":"{}","size":1}}]"#, "d/".repeat(2000), "a".repeat(64))
                    .into_bytes()
            },
            400,
            "path-too-long",
        ),
        json_to(
            "json: maintenance cleanup without a target",
            "/api/maintenance/cleanup",
            "application/json",
            || b"{}".to_vec(),
            400,
            "invalid-request",
        ),
        http("json: check with 20,000 entries", |ctx| async move {
            let session = ctx.session().await?;
            let entries: Vec<Value> = (0..20_000)
                .map(|i| json!({"path": format!("many/{i}.png"), "sha256": format!("{:064x}", i + 1), "size": 10}))
                .collect();
            let got =
                answer(ctx.post(&format!("/api/session/{session}/assets/check")).json(&entries).send().await).await?;
            expect_code(&got, 413, "too-many-files")
        }),
        http("json: status of an unknown session", |ctx| async move {
            let got = answer(
                ctx.client
                    .get(ctx.url("/api/session/00000000-0000-4000-8000-000000000000/status"))
                    .header("x-api-key", KEY)
                    .send()
                    .await,
            )
            .await?;
            expect_code(&got, 404, "job-not-found")
        }),
        http("events: no job id", |ctx| async move {
            let session = ctx.session().await?;
            expect_code(
                &answer(ctx.get(&format!("/events/session/{session}/finalization")).send().await).await?,
                400,
                "missing-job-id",
            )
        }),
        http("events: a wrong token", |ctx| async move {
            let session = ctx.session().await?;
            let got =
                answer(ctx.get(&format!("/events/session/{session}/finalization?jobId=x&token=nope")).send().await)
                    .await?;
            expect_4xx(&got)
        }),
        http("json: a slow body (1 byte, then nothing) is 408", |ctx| async move {
            let request = ctx
                .post("/api/session/start")
                .header("content-type", "application/json")
                .body(stalled_body(b"{", Duration::from_secs(4 * BODY_IDLE_SECS)));
            expect_code(&answer(request.send().await).await?, 408, "body-timeout")
        }),
    ]
}

fn multipart_cases() -> Vec<Case> {
    let boundary = Multipart::new().boundary;
    let mut cases = vec![
        http("multipart: a 20 MB preamble without a boundary", move |ctx| {
            let content_type = format!("multipart/form-data; boundary={}", Multipart::new().boundary);
            async move {
                let session = ctx.session().await?;
                let request = ctx
                    .post(&format!("/api/session/{session}/assets/upload"))
                    .header("content-type", content_type)
                    .body(streamed(Vec::new(), b'p', 20_000_000, Vec::new()));
                expect_code(&answer(request.send().await).await?, 400, "malformed-multipart")
            }
        }),
        http("multipart: part headers that never end (20 MB)", move |ctx| {
            let boundary = Multipart::new().boundary;
            async move {
                let session = ctx.session().await?;
                let head = format!("--{boundary}\r\nX-Never-Ends: ").into_bytes();
                let request = ctx
                    .post(&format!("/api/session/{session}/assets/upload"))
                    .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                    .body(streamed(head, b'h', 20_000_000, Vec::new()));
                expect_code(&answer(request.send().await).await?, 400, "malformed-multipart")
            }
        }),
        http("multipart: a slow body is 408", move |ctx| {
            let boundary = Multipart::new().boundary;
            async move {
                let session = ctx.session().await?;
                let request = ctx
                    .post(&format!("/api/session/{session}/assets/upload"))
                    .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                    .body(stalled_body(b"--", Duration::from_secs(4 * BODY_IDLE_SECS)));
                expect_code(&answer(request.send().await).await?, 408, "body-timeout")
            }
        }),
        http("multipart: Content-Length of 2 GB is refused before the body", |ctx| async move {
            let session = ctx.session().await?;
            let head = raw_request(
                &ctx.base(),
                &format!(
                    "POST /api/session/{session}/assets/upload HTTP/1.1\r\nHost: corpus.test\r\nx-api-key: {KEY}\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: 2000000000\r\nConnection: close\r\n\r\n"
                ),
            )
            .await?;
            if head.starts_with("HTTP/1.1 413") {
                Ok(())
            } else {
                Err(format!("expected 413, got {:?}", head.lines().next()))
            }
        }),
        http("multipart: 101 files", |ctx| async move {
            let session = ctx.session().await?;
            let files: Vec<(String, Vec<u8>)> =
                (0..101).map(|i| (format!("many/{i}.png"), png(100, i as u8))).collect();
            let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(p, d)| (p.as_str(), d.clone())).collect();
            expect_code(&upload(&ctx, &session, multipart_of(&files)).await?, 413, "too-many-files")
        }),
        http("multipart: a file of 100 MiB + 1 byte", |ctx| async move {
            let session = ctx.session().await?;
            let boundary = Multipart::new().boundary;
            let head = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"assets\"; filename=\"big.png\"\r\n\r\n\u{89}PNG"
            )
            .into_bytes();
            let request = ctx
                .post(&format!("/api/session/{session}/assets/upload"))
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(streamed(head, b'b', (100 << 20) + 1, format!("\r\n--{boundary}--\r\n").into_bytes()));
            match answer(request.send().await).await {
                Ok(got) => expect_code(&got, 413, "file-too-large"),
                // Answered as soon as the limit was crossed, while the client still sent.
                Err(e) if e.contains("no answer") => Ok(()),
                Err(e) => Err(e),
            }
        }),
        http("multipart: a boundary of 200 characters still works", |ctx| async move {
            let session = ctx.session().await?;
            let boundary = "b".repeat(200);
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"assets\"; filename=\"a.txt\"\r\n\r\nx\r\n--{boundary}--\r\n"
            );
            expect_status(
                &upload(&ctx, &session, (format!("multipart/form-data; boundary={boundary}"), body.into_bytes()))
                    .await?,
                200,
            )
        }),
    ];
    let refused_path = |name: &'static str, path: &'static str, code: &'static str| {
        http(format!("multipart path: {name}"), move |ctx| async move {
            let session = ctx.session().await?;
            expect_code(&upload(&ctx, &session, multipart_of(&[(path, png(300, 5))])).await?, 400, code)
        })
    };
    cases.extend([
        refused_path("a dot segment", "./a.png", "path-dot-segment"),
        refused_path("a Windows drive", "C:/x.png", "path-absolute"),
        refused_path(
            "a name of 256 bytes",
            Box::leak(format!("{}.png", "n".repeat(252)).into_boxed_str()),
            "path-name-too-long",
        ),
        refused_path("traversal in the middle", "a/../../b.png", "path-traversal"),
        // A raw control character cannot stand in a part header (JSON can carry one: see the tables).
        refused_path("an escape character", "a\u{1b}b.png", "malformed-multipart"),
        refused_path("a trailing slash", "dir/", "path-empty-segment"),
    ]);
    let file_status = |name: &'static str,
                       path: &'static str,
                       data: fn(u64) -> Vec<u8>,
                       status: &'static str,
                       code: Option<&'static str>| {
        http(format!("multipart file: {name}"), move |ctx| async move {
            let file = upload_one_file(&ctx, path, data(ctx.unique())).await?;
            let ok = file["status"] == status && code.is_none_or(|c| file["code"] == c);
            if ok { Ok(()) } else { Err(format!("expected {status} {code:?}, got {file}")) }
        })
    };
    cases.extend([
        file_status("an empty file", "empty.png", |_| Vec::new(), "rejected", Some("empty-file")),
        file_status(
            "an executable named .png",
            "photo.png",
            |_| b"MZ\x90\x00\x03\x00\x00\x00".repeat(40),
            "rejected",
            Some("unsupported-media-type"),
        ),
        file_status(
            "HTML named .txt",
            "page.txt",
            |_| b"<!DOCTYPE html><script>alert(1)</script>".to_vec(),
            "rejected",
            Some("unsupported-media-type"),
        ),
        file_status(
            "a decomposed accent in the name",
            "Ete\u{301}/e\u{301}.png",
            |n| png(400, n as u8),
            "stored",
            None,
        ),
        file_status(
            "a right-to-left override in the name",
            "a\u{202e}gnp.exe.png",
            |n| png(401, n as u8),
            "stored",
            None,
        ),
    ]);
    cases.push(http("multipart: a Content-Digest that is not base64", move |ctx| {
        let boundary = boundary.clone();
        async move {
            let session = ctx.session().await?;
            let mut form = Multipart { boundary, body: Vec::new() };
            form.file_with_headers("assets", "d.png", &[("Content-Digest", "sha-256=:!!!:")], &png(300, 7));
            expect_code(&upload(&ctx, &session, form.finish()).await?, 400, "invalid-content-digest")
        }
    }));
    cases.push(http("multipart: a Content-Digest that does not match", |ctx| async move {
        let session = ctx.session().await?;
        let mut form = Multipart::new();
        form.file_with_headers(
            "assets",
            "m.png",
            &[("Content-Digest", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")],
            &png(300, 8),
        );
        let got = upload(&ctx, &session, form.finish()).await?;
        expect_status(&got, 200)?;
        let file = &got.1["files"][0];
        if file["status"] == "rejected" && file["code"] == "digest-mismatch" {
            Ok(())
        } else {
            Err(format!("got {file}"))
        }
    }));
    cases.push(http("multipart: a blob of an aborted session is not served", |ctx| async move {
        let data = png(900, 200).into_iter().chain(ctx.unique().to_le_bytes()).collect::<Vec<u8>>();
        let hash = sha256_hex(&data);
        let session = ctx.session().await?;
        expect_status(&upload(&ctx, &session, multipart_of(&[("aborted/x.png", data)])).await?, 200)?;
        ctx.abort(&session).await?;
        ctx.never_serve(&hash, "an asset of an aborted session");
        expect_code(&answer(ctx.get(&format!("/_blob/{hash}")).send().await).await?, 404, "blob-not-found")
    }));
    cases
}

fn envelope_cases() -> Vec<Case> {
    let batch = serde_json::to_vec(&json!({"notes": [note("A.md", "a")]})).unwrap();
    let gz = gzip(&batch);
    let meta = |total: u64, index: i64, original: u64, compressed: u64, data: Value| move |session: &str| json!({"metadata": {"uploadId": notes_upload_id(session), "chunkIndex": index, "totalChunks": total, "originalSize": original, "compressedSize": compressed}, "data": data});
    let b64 = |bytes: &[u8]| envelope("", 0, 1, 0, 0, bytes)["data"].clone();
    let envelope_case =
        |name: &'static str, make: Box<dyn Fn(&str) -> Value + Send + Sync>, status: u16, code: &'static str| {
            let make = Arc::new(make);
            http(format!("envelope: {name}"), move |ctx| {
                let make = make.clone();
                async move {
                    let session = ctx.session().await?;
                    let got = send_envelope(&ctx, &session, "notes", &make(&session)).await?;
                    if code.is_empty() { expect_4xx(&got) } else { expect_code(&got, status, code) }
                }
            })
        };
    let (n, g) = (batch.len() as u64, gz.len() as u64);
    let nested_json = format!("{{\"notes\":{}", "[".repeat(100_000)).into_bytes();
    let nested = gzip(&nested_json);
    let nested_len = nested_json.len() as u64;
    let not_a_list = serde_json::to_vec(&json!({"notes": {"a": 1}})).unwrap();
    let gz_gz = gzip(&gz);
    let big = vec![b'A'; (1 << 20) + 4];
    vec![
        // The code is the chunk store's choice; any 4xx with a code will do.
        envelope_case("totalChunks = 1e15", Box::new(meta(1_000_000_000_000_000, 0, n, g, b64(&gz))), 0, ""),
        envelope_case("totalChunks = 0", Box::new(meta(0, 0, n, g, b64(&gz))), 400, "invalid-chunk-metadata"),
        envelope_case("a negative chunkIndex", Box::new(meta(1, -1, n, g, b64(&gz))), 400, "invalid-envelope"),
        envelope_case(
            "originalSize = 1e15",
            Box::new(meta(1, 0, 1_000_000_000_000_000, g, b64(&gz))),
            413,
            "decompressed-too-large",
        ),
        envelope_case(
            "compressedSize = u64::MAX",
            Box::new(meta(1, 0, n, u64::MAX, b64(&gz))),
            413,
            "upload-too-large",
        ),
        envelope_case(
            "base64 garbage",
            Box::new(meta(1, 0, n, g, json!("\u{0}\u{1}not base64 at all ==="))),
            400,
            "invalid-base64",
        ),
        envelope_case("data is a number", Box::new(meta(1, 0, n, g, json!(12))), 400, "invalid-envelope"),
        envelope_case(
            "a decoded slice over 1 MiB",
            Box::new(meta(2, 0, n, (2 << 20) as u64, b64(&big))),
            413,
            "chunk-too-large",
        ),
        envelope_case(
            "gzip of gzip",
            Box::new(meta(1, 0, gz.len() as u64, gz_gz.len() as u64, b64(&gz_gz))),
            400,
            "invalid-json",
        ),
        envelope_case(
            "100,000 nested arrays in a notes batch",
            Box::new(meta(1, 0, nested_len, nested.len() as u64, b64(&nested))),
            400,
            "invalid-json",
        ),
        envelope_case(
            "notes that are not a list",
            Box::new({
                let gz = gzip(&not_a_list);
                meta(1, 0, not_a_list.len() as u64, gz.len() as u64, b64(&gz))
            }),
            400,
            "invalid-json",
        ),
        envelope_case(
            "an upload id with ../",
            Box::new(
                move |session: &str| json!({"metadata": {"uploadId": format!("notes-{session}-../../etc"), "chunkIndex": 0, "totalChunks": 1, "originalSize": 1, "compressedSize": 1}, "data": "QQ=="}),
            ),
            400,
            "invalid-upload-id",
        ),
        envelope_case("metadata missing", Box::new(|_: &str| json!({"data": "QQ=="})), 400, "invalid-envelope"),
        http("envelope: a ninth open upload of one session", |ctx| async move {
            let session = ctx.session().await?;
            let gz = gzip(br#"{"notes":[]}"#);
            let mut last = (StatusCode::OK, Value::Null);
            for _ in 0..9 {
                last = send_envelope(
                    &ctx,
                    &session,
                    "notes",
                    &envelope(&notes_upload_id(&session), 0, 2, 12, gz.len(), &gz[..1]),
                )
                .await?;
            }
            expect_code(&last, 409, "too-many-open-uploads")
        }),
        http("envelope: a legacy asset of base64 garbage is that asset's error", |ctx| async move {
            let session = ctx.session().await?;
            let mut bad = asset("ok/fine.png", &png(300, 9));
            bad["contentBase64"] = json!("@@@@ not base64");
            let good = asset("ok/good.png", &png(300, 10));
            let answers = ctx.plugin().send_batch(&session, "assets", &json!({"assets": [bad, good]}), L / 2).await;
            let (status, body) = answers.last().cloned().unwrap_or((StatusCode::OK, Value::Null));
            let errors = body["errors"].as_array().cloned().unwrap_or_default();
            let ok = status == StatusCode::OK
                && body["publishedCount"] == 1
                && errors.len() == 1
                && errors[0]["code"] == "invalid-base64";
            if ok {
                Ok(())
            } else {
                Err(format!("expected 200 with one invalid-base64 error, got {status} {}", short(&body)))
            }
        }),
    ]
}

fn reader_cases() -> Vec<Case> {
    let redirect = |target: &'static str| {
        http(format!("reader: GET {target} stays on the site"), move |ctx| expect_local_redirect(ctx, target))
    };
    let not_found = |name: &'static str, path: &'static str| {
        http(format!("reader: {name}"), move |ctx| async move {
            let response = ctx.get(path).send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if status == StatusCode::NOT_FOUND && !text.contains("root:x:0") {
                Ok(())
            } else {
                Err(format!("expected 404, got {status}"))
            }
        })
    };
    vec![
        redirect("//evil.example/"),
        redirect("/%2F%2Fevil.example/"),
        redirect("///evil.example/"),
        redirect("/\\evil.example/"),
        redirect("/%5Cevil.example/"),
        redirect("/%2F%5Cevil.example/"),
        redirect("/corpus/\\/evil.example/"),
        not_found("encoded traversal under /assets", "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
        not_found("a path of 10,000 segments", Box::leak("/a".repeat(10_000).into_boxed_str())),
        http("reader: /_blob/ of an unknown hash", |ctx| async move {
            expect_code(
                &answer(ctx.get(&format!("/_blob/{}", "ab".repeat(32))).send().await).await?,
                404,
                "blob-not-found",
            )
        }),
        http("reader: /_blob/ of a malformed hash", |ctx| async move {
            expect_code(&answer(ctx.get("/_blob/..%2F..%2Fapi-key").send().await).await?, 400, "invalid-hash")
        }),
        http("reader: a search query of 60 KB", |ctx| async move {
            let response =
                ctx.get(&format!("/search?q={}", "a".repeat(60_000))).send().await.map_err(|e| e.to_string())?;
            if response.status() == StatusCode::OK {
                Ok(())
            } else {
                Err(format!("expected 200, got {}", response.status()))
            }
        }),
        http("reader: 1,000 ranges of a page's blob", |ctx| async move {
            let hash = page_etag(&ctx, KNOWN_PAGE).await?;
            let ranges: Vec<String> = (0..1000).map(|i| format!("{i}-{i}")).collect();
            let response = ctx
                .get(&format!("/_blob/{hash}"))
                .header("range", format!("bytes={}", ranges.join(",")))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if response.status().is_server_error() { Err(format!("answered {}", response.status())) } else { Ok(()) }
        }),
    ]
}

fn publish_cases() -> Vec<Case> {
    let deep_path: Arc<String> = Arc::new(format!("{}Deep.md", "d/".repeat(20_000)));
    vec![
        publish("publish: a note 20,000 folders deep", move |ctx| {
            let path = deep_path.clone();
            async move {
                expect_limit(&ctx.publish(&[note(&path, "deep")], json!([]), false).await?, &path, "MAX_PATH_DEPTH")
            }
        }),
        publish("publish: A embeds B ×120, B embeds C ×120, C embeds D ×120", |ctx| async move {
            let n = ctx.unique();
            let name = |x: &str| format!("amp{n}/{x}{n}.md");
            let embeds = |x: &str| format!("![[{x}{n}]]\n").repeat(120);
            let notes = [
                note(&name("A"), &embeds("B")),
                note(&name("B"), &embeds("C")),
                note(&name("C"), &embeds("D")),
                note(&name("D"), "A small note, embedded 1.7 million times."),
            ];
            expect_limit(&ctx.publish(&notes, json!([]), false).await?, &name("A"), "MAX_TRANSCLUSION_BYTES")
        }),
        publish(
            "publish: a chain of 200 transclusions stops at the depth limit, deeper embeds shown as links",
            |ctx| async move {
                let n = ctx.unique();
                let notes: Vec<Value> = (0..200)
                    .map(|i| note(&format!("chain{n}/N{i}.md"), &format!("step {i} ![[N{}]]", i + 1)))
                    .collect();
                ctx.publish_ok(&notes).await?;
                let page = ctx.get(&format!("/chain{n}/n0")).send().await.map_err(|e| e.to_string())?;
                let status = page.status();
                let html = page.text().await.map_err(|e| e.to_string())?;
                // MAX_TRANSCLUSION_DEPTH is 5: N1…N5 are expanded in N0's page, N6 is a link.
                if status != 200 || !html.contains("step 5") || html.contains("step 7") {
                    return Err(format!(
                        "expected N0's page with five levels expanded, got {status}: {} bytes",
                        html.len()
                    ));
                }
                Ok(())
            },
        ),
        publish("publish: cleanup rule . → $` on a 200 KB note", |ctx| async move {
            let path = format!("cleanup{}/Big.md", ctx.unique());
            let rules =
                json!([{"id": "quadratic", "name": "quadratic", "regex": ".", "replacement": "$`", "isEnabled": true}]);
            let done = ctx.publish(&[note(&path, &"x".repeat(200_000))], rules, false).await?;
            expect_limit(&done, &path, "CLEANUP_MAX_OUTPUT_BYTES")
        }),
        publish("publish: 100,000 nested >", |ctx| async move {
            let path = format!("nest{}/Quotes.md", ctx.unique());
            expect_limit(
                &ctx.publish(&[note(&path, &format!("{} deep", ">".repeat(100_000)))], json!([]), false).await?,
                &path,
                "MAX_NESTING_DEPTH",
            )
        }),
        publish("publish: a list 20,000 deep on one line", |ctx| async move {
            let path = format!("nest{}/List.md", ctx.unique());
            expect_limit(
                &ctx.publish(&[note(&path, &format!("{}deep", "- ".repeat(20_000)))], json!([]), false).await?,
                &path,
                "MAX_NESTING_DEPTH",
            )
        }),
        publish("publish: a tag 3,000 levels deep", |ctx| async move {
            let path = format!("tags{}/Deep tag.md", ctx.unique());
            let tag = format!("#{}", vec!["t"; 3000].join("/"));
            expect_limit(&ctx.publish(&[note(&path, &tag)], json!([]), false).await?, &path, "MAX_TAG_DEPTH")
        }),
        // Seconds of backtracking on one note today: the per-search backtrack limit is not hit.
        publish(
            "publish: a backtracking cleanup regex fails the job, naming its rule or the time limit",
            |ctx| async move {
                let rules = json!([{"id": "catastrophic-rule", "name": "c", "regex": "^(\\w+\\s?)+(?=\\d)$", "replacement": "", "isEnabled": true}]);
                let done = ctx
                    .publish(
                        &[note(&format!("re{}/R.md", ctx.unique()), &format!("{}b", "a".repeat(40)))],
                        rules,
                        false,
                    )
                    .await?;
                expect_failed_with(&done, "catastrophic-rule")
                    .or_else(|_| expect_failed_with(&done, "CLEANUP_TIME_PER_NOTE_MS"))
            },
        ),
        publish("publish: an invalid cleanup regex names its rule", |ctx| async move {
            let rules = json!([{"id": "unclosed-rule", "name": "u", "regex": "(unclosed", "replacement": "", "isEnabled": true}]);
            expect_failed_with(
                &ctx.publish(&[note(&format!("re{}/U.md", ctx.unique()), "text")], rules, false).await?,
                "unclosed-rule",
            )
        }),
        publish("publish: a vault path with ../ stays a page of the site", |ctx| async move {
            ctx.publish_ok(&[note("../../etc/passwd.md", "not the password file")]).await?;
            let text = ctx.get("/etc/passwd").send().await.map_err(|e| e.to_string())?.text().await.unwrap_or_default();
            if text.contains("root:x:0") { Err("served /etc/passwd".into()) } else { Ok(()) }
        }),
        publish("publish: one vault path twice in a batch", |ctx| async move {
            let path = format!("dup{}/Twice.md", ctx.unique());
            ctx.publish_ok(&[note(&path, "first"), note(&path, "second")]).await
        }),
        publish("publish: unicode names (NFD, right-to-left, emoji, CJK)", |ctx| async move {
            let n = ctx.unique();
            let notes: Vec<Value> =
                ["E\u{301}te\u{301}.md", "a\u{202e}dm.txt.md", "\u{1f600}.md", "日本語.md", "\u{200b}.md"]
                    .iter()
                    .map(|name| note(&format!("uni{n}/{name}"), "text"))
                    .collect();
            ctx.publish_ok(&notes).await
        }),
        publish("publish: a route base with a backslash never links off-site", |ctx| async move {
            let n = ctx.unique();
            let mut page = note(&format!("bs{n}/Page.md"), &format!("findme{n}"));
            page["folderConfig"]["routeBase"] = json!("\\evil.example");
            let done = ctx.publish(&[page], json!([]), false).await?;
            if done["status"] != "completed" && done["status"] != "failed" {
                return Err(format!("the job ended {}", short(&done)));
            }
            let search = ctx
                .get(&format!("/search?q=findme{n}"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .unwrap_or_default();
            let home = ctx.get("/").send().await.map_err(|e| e.to_string())?.text().await.unwrap_or_default();
            for (what, text) in [("the search page", &search), ("the home page", &home)] {
                if text.contains("href=\"/\\") || text.contains("href=\"//") || text.contains("\"/\\\\") {
                    return Err(format!("{what} links off-site"));
                }
            }
            Ok(())
        }),
        publish("publish: 2,000 notes in one folder stay small pages", |ctx| async move {
            let n = ctx.unique();
            let notes: Vec<Value> = (0..2000).map(|i| note(&format!("crowd{n}/Note {i}.md"), "crowded")).collect();
            ctx.publish_ok(&notes).await?;
            let page = ctx
                .get(&format!("/crowd{n}/note-7"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .bytes()
                .await
                .unwrap_or_default();
            // Navigation shows the reader's neighbourhood, not 2,000 siblings on every page.
            if page.len() < 200_000 { Ok(()) } else { Err(format!("a page of the folder is {} bytes", page.len())) }
        }),
        publish("publish: the page of a deleted note is not served at /_blob/", |ctx| async move {
            let n = ctx.unique();
            ctx.publish_ok(&[note(&format!("gone{n}/Gone.md"), &format!("soon deleted {n}"))]).await?;
            let hash = page_etag(&ctx, &format!("/gone{n}/gone")).await?;
            // A full publish without it deletes it.
            let done = ctx.publish(&[note("corpus/Known.md", "known page")], json!([]), true).await?;
            expect_completed(&done)?;
            ctx.never_serve(&hash, "the page of a deleted note");
            expect_code(&answer(ctx.get(&format!("/_blob/{hash}")).send().await).await?, 404, "blob-not-found")
        }),
        publish("publish: a corrupted blob is 500 blob-corrupt, never its bytes", |ctx| async move {
            let n = ctx.unique();
            let data: Vec<u8> = png(5000, 77).into_iter().chain(n.to_le_bytes()).collect();
            let hash = sha256_hex(&data);
            let done = ctx
                .plugin()
                .publish(
                    &[note(&format!("corrupt{n}/Page.md"), &format!("![[c{n}.png]]"))],
                    &[asset(&format!("corrupt{n}/c{n}.png"), &data)],
                )
                .await;
            expect_completed(&done)?;
            let blob = files_under(&ctx.data.join("blobs"))
                .into_iter()
                .find(|p| p.file_name().is_some_and(|f| f.to_string_lossy() == hash));
            let Some(blob) = blob else { return Err("the blob file is not under data/blobs".into()) };
            let mut permissions = std::fs::metadata(&blob).map_err(|e| e.to_string())?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(&blob, permissions).map_err(|e| e.to_string())?;
            let mut bytes = std::fs::read(&blob).map_err(|e| e.to_string())?;
            bytes[100] ^= 0xff;
            std::fs::write(&blob, &bytes).map_err(|e| e.to_string())?;
            for attempt in ["first", "second"] {
                let got = answer(ctx.get(&format!("/_blob/{hash}")).send().await).await;
                match got {
                    Ok(got) => expect_code(&got, 500, "blob-corrupt").map_err(|e| format!("{attempt} request: {e}"))?,
                    // A large blob may be cut mid-stream the first time.
                    Err(e) if attempt == "first" && e.contains("body broke") => {}
                    Err(e) => return Err(format!("{attempt} request: {e}")),
                }
            }
            Ok(())
        }),
        publish("publish: abort during a running finalization", |ctx| async move {
            let n = ctx.unique();
            let notes: Vec<Value> = (0..3000)
                .map(|i| {
                    note(&format!("slow{n}/F{}/Note {i}.md", i % 30), &format!("# {i}\n[[Note {}]] #t{}", i + 1, i % 7))
                })
                .collect();
            let plugin = ctx.plugin();
            let start = plugin.start().await;
            let session = start["sessionId"].as_str().unwrap_or_default().to_owned();
            for batch in
                vps_testkit::vault::cut_batches("{\"notes\":[", notes.iter().map(Value::to_string).collect(), L)
            {
                plugin.send_raw_batch(&session, "notes", batch.as_bytes(), L / 2).await;
            }
            let (status, body) = plugin.finish(&session, notes.len(), 0).await;
            if status != StatusCode::ACCEPTED {
                return Err(format!("finish answered {status} {}", short(&body)));
            }
            let mut running = false;
            for _ in 0..300 {
                let got = answer(
                    ctx.client
                        .get(ctx.url(&format!("/api/session/{session}/status")))
                        .header("x-api-key", KEY)
                        .send()
                        .await,
                )
                .await?;
                if got.1["status"] == "processing" {
                    running = true;
                    break;
                }
                if got.1["status"] == "completed" || got.1["status"] == "failed" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !running {
                return Err("the finalization was never seen running".into());
            }
            let aborted =
                answer(ctx.post(&format!("/api/session/{session}/abort")).json(&json!({})).send().await).await?;
            let done = wait_job(&ctx, &session).await?;
            expect_status(&aborted, 200)?;
            expect_failed_with(&done, "aborted")
        }),
    ]
}

/// State files a previous run left, read at start-up.
fn state_file_cases() -> Vec<Case> {
    fn chunk_meta(data: &Path, meta: &str, reply: bool) {
        let dir = data.join("chunks").join(uuid_like()).join("notes").join("left-behind");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("meta.json"), meta).unwrap();
        std::fs::write(dir.join("00000000.chunk"), b"x").unwrap();
        if reply {
            std::fs::write(dir.join("reply.json"), b"{}").unwrap();
        }
    }
    fn session_file(data: &Path, file: &str, content: &[u8]) {
        let dir = data.join("sessions").join(uuid_like());
        std::fs::create_dir_all(&dir).unwrap();
        if file == "job.json" {
            std::fs::write(dir.join("session.json"), b"{\"not\":\"a session\"}").unwrap();
        }
        std::fs::write(dir.join(file), content).unwrap();
    }
    let started = |name: &'static str, setup: fn(&Path)| {
        case(format!("start-up: {name}"), Kind::Restart(setup), |ctx| async move {
            expect_status(&answer(ctx.get("/health").send().await).await?, 200)
        })
    };
    vec![
        started("chunk metadata declaring totalChunks = 1e15", |data| {
            chunk_meta(data, r#"{"totalChunks":1000000000000000,"originalSize":12,"compressedSize":32}"#, false)
        }),
        started("chunk metadata of 1e15 chunks with a recorded reply", |data| {
            chunk_meta(data, r#"{"totalChunks":1000000000000000,"originalSize":12,"compressedSize":32}"#, true)
        }),
        started("chunk metadata that is not JSON", |data| chunk_meta(data, "{\"totalChunks\":", false)),
        started("a session.json that is garbage", |data| session_file(data, "session.json", b"\x00\xffgarbage")),
        started("a session.json of 1e15 notes", |data| {
            session_file(data, "session.json", br#"{"id":"x","notesReceived":1000000000000000,"assets":{"a":1}}"#)
        }),
        started("a job.json that is garbage", |data| session_file(data, "job.json", b"{\"status\":")),
    ]
}

fn last_cases() -> Vec<Case> {
    vec![publish("maintenance: after cleanup, /_blob/ serves none of the old site", |ctx| async move {
        let hash = page_etag(&ctx, KNOWN_PAGE).await?;
        let got =
            answer(ctx.post("/api/maintenance/cleanup").json(&json!({"targetName": "corpus"})).send().await).await?;
        expect_status(&got, 200)?;
        let served = answer(ctx.get(&format!("/_blob/{hash}")).send().await).await?;
        // Bring the known page back for the checks that follow.
        ctx.publish_ok(&[note("corpus/Known.md", "known page")]).await?;
        expect_code(&served, 404, "blob-not-found")
    })]
}

// ---------------------------------------------------------------------------------------------
// The two processes.

/// The child: runs the cases from `VPS_CORPUS_FROM` on, one line per event on stdout.
/// Without that variable (a normal `cargo test`), it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_child_process() {
    let Some(from) = std::env::var(CHILD_ENV).ok().and_then(|v| v.parse::<usize>().ok()) else { return };
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = start_server(data.path()).await;
    let ctx = Arc::new(Ctx {
        base: Mutex::new(server.base.clone()),
        data: data.path().to_owned(),
        client: reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap(),
        unreferenced: Mutex::new(Vec::new()),
        counter: AtomicU64::new(1),
    });
    if let Err(e) = ctx.publish_ok(&[note("corpus/Known.md", "known page")]).await {
        println!("corpus-setup-failed\t{}", json!(e));
        return;
    }
    // The tokio timeout below needs a free worker; a case that blocks both (a runaway finalization
    // on the runtime's threads) is caught by this plain thread instead.
    static RUNNING: Mutex<Option<(usize, std::time::Instant)>> = Mutex::new(None);
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_secs(5));
            if let Some((index, started)) = *RUNNING.lock().unwrap()
                && started.elapsed() > CASE_TIMEOUT + Duration::from_secs(30)
            {
                let message = format!(
                    "did not finish within {} s (the server's threads were blocked)",
                    CASE_TIMEOUT.as_secs() + 30
                );
                println!("corpus-result\t{index}\t{}", json!({"case": message, "after": []}));
                std::process::exit(3);
            }
        }
    });
    for (index, case) in cases().into_iter().enumerate().skip(from) {
        println!("corpus-start\t{index}\t{}", case.name);
        *RUNNING.lock().unwrap() = Some((index, std::time::Instant::now()));
        if let Kind::Restart(setup) = case.kind {
            server.stop.cancel();
            let _ = server.running.await;
            setup(data.path());
            server = start_server(data.path()).await;
            *ctx.base.lock().unwrap() = server.base.clone();
        }
        let publishes = matches!(case.kind, Kind::Publish) || index % 5 == 4;
        let outcome = match tokio::time::timeout(CASE_TIMEOUT, tokio::spawn((case.run)(ctx.clone()))).await {
            Err(_) => {
                let message = format!("did not finish within {} s", CASE_TIMEOUT.as_secs());
                println!("corpus-result\t{index}\t{}", json!({"case": message, "after": []}));
                std::process::exit(3);
            }
            Ok(Err(join)) => Err(match join.try_into_panic() {
                Ok(panic) => format!(
                    "panicked: {}",
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                ),
                Err(e) => format!("the case's task ended: {e}"),
            }),
            Ok(Ok(outcome)) => outcome,
        };
        let after = post_checks(&ctx, publishes).await;
        *RUNNING.lock().unwrap() = None;
        println!("corpus-result\t{index}\t{}", json!({"case": outcome.err(), "after": after}));
    }
    println!("corpus-end");
}

/// The parent: runs the children, lists every failing case.
#[test]
fn bad_input_corpus_every_case_gets_its_answer_and_the_server_keeps_serving() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let names: Vec<String> = cases().into_iter().map(|c| c.name).collect();
    assert!(names.len() >= 80, "the corpus has {} cases", names.len());
    let exe = std::env::current_exe().unwrap();
    let mut failures: Vec<String> = Vec::new();
    let mut seen_after: HashSet<String> = HashSet::new();
    let mut passed = 0;
    let mut from = 0;
    while from < names.len() {
        let started_at = from;
        let mut stderr = tempfile::tempfile().unwrap();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -d {CHILD_DATA_KIB}; exec \"$0\" \"$@\""))
            .arg(&exe)
            .args(["corpus::corpus_child_process", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, from.to_string())
            .stdout(Stdio::piped())
            .stderr(stderr.try_clone().unwrap())
            .spawn()
            .unwrap();
        let mut current: Option<usize> = None;
        let mut ended = false;
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let Ok(line) = line else { break };
            // libtest writes `test … ... ` before the test's first line, without a newline.
            let Some(at) = line.find("corpus-") else { continue };
            let fields: Vec<&str> = line[at..].splitn(3, '\t').collect();
            match fields.as_slice() {
                ["corpus-start", index, name] => {
                    current = index.parse().ok();
                    println!("corpus: {index} {name}");
                }
                ["corpus-result", index, result] => {
                    let index: usize = index.parse().unwrap();
                    let result: Value = serde_json::from_str(result).unwrap();
                    let name = &names[index];
                    let mut ok = true;
                    if let Some(message) = result["case"].as_str() {
                        failures.push(format!("#{index} {name}: {message}"));
                        ok = false;
                    }
                    // A problem that persists from case to case is charged to the first case
                    // after which it showed.
                    for after in result["after"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                        if seen_after.insert(after.to_owned()) {
                            failures.push(format!("#{index} {name}: after the case: {after}"));
                            ok = false;
                        }
                    }
                    passed += usize::from(ok);
                    println!("corpus: {index} {}", if ok { "ok" } else { "FAILED" });
                    current = None;
                    from = index + 1;
                }
                ["corpus-setup-failed", message] => {
                    failures.push(format!("the corpus server could not publish its first page: {message}"));
                    from = names.len();
                }
                ["corpus-end"] => ended = true,
                _ => {}
            }
        }
        let status = child.wait().unwrap();
        if !ended && current.is_none() && from == started_at {
            // Died before its first case: count that case as the one that killed it.
            current = Some(from);
        }
        if !ended && let Some(index) = current {
            let mut text = String::new();
            stderr.rewind().unwrap();
            stderr.read_to_string(&mut text).unwrap();
            let tail: Vec<&str> = text
                .lines()
                .filter(|l| {
                    l.contains("overflow")
                        || l.contains("memory allocation")
                        || l.contains("panicked")
                        || l.contains("killed")
                })
                .take(3)
                .collect();
            failures.push(format!(
                "#{index} {}: the server process died ({status}): {}",
                names[index],
                tail.join(" | ")
            ));
            from = index + 1;
        } else if !ended
            && status.code() != Some(3)
            && from < names.len()
            && failures.last().is_none_or(|f| !f.starts_with("the corpus"))
        {
            // Died between cases (in a post-check): go on with the next case.
            failures.push(format!("the server process died after case #{} ({status})", from.saturating_sub(1)));
        }
    }
    println!("corpus: {passed} passed, {} failed", names.len() - passed);
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        names.len() - passed,
        names.len(),
        failures.join("\n")
    );
}
