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
use vps_server::test_util::{RunningApp, start_app};
use vps_testkit::{L, Plugin, asset, envelope, gzip, note, start_body, uuid_like};

use crate::helpers::{KEY, Multipart, files_under, png, sha256_hex};

mod checks;
mod publishing;
mod requests;

use checks::*;
use publishing::*;
use requests::*;

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

async fn start_server(data: &Path) -> RunningApp {
    start_app(data, |settings| settings.http.body_idle_timeout_secs = BODY_IDLE_SECS).await
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
            server.stop().await;
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
