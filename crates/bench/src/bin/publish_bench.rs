//! `publish-bench`: how long the real server takes to publish a real vault through the protocol
//! of the Obsidian plugin "Publish to VPS" 6.22.1, the first time and again when nothing changed.
//!
//! It reads a vault (by default `../shared/vaults/obsidian-help-en` next to the workspace, 173
//! notes and about 130 attachments; never modified) the way the plugin does, with
//! [`vps_testkit::vault::scan`]: every `.md` file outside dot folders becomes a note, its leading
//! YAML frontmatter is cut from `content` and parsed, and its embeds of attachments are resolved
//! in the vault by exact path, then path suffix, then file name. Each attachment found is
//! uploaded once.
//!
//! Then, against a fresh `vps-publish serve` with a fresh data directory, it publishes twice:
//!
//! 1. a first, full publish: `POST /api/session/start`, notes batches, then asset batches (each
//!    batch JSON ≤ 1 MiB, gzipped, sliced into 512 KiB base64 chunk envelopes, at most 3 batches in
//!    flight), `POST …/finish`, and `GET …/status` every 50 ms until `completed`
//!    (target ≤ 3 s);
//! 2. a second publish of the same vault, where the plugin's skip rules (note content hash in
//!    `existingSourceNoteHashesByVaultPath` with `pipelineChanged: false`, asset bytes hash in
//!    `existingAssetHashes`) should skip everything: `start`, then `finish` (target ≤ 0.5 s).
//!
//! Each time runs from just before `start` to the status answer that says `completed`; it
//! includes the client's own work (JSON, gzip, base64) but not the reading of the vault, which
//! happens once beforehand. Requests and request-body bytes are counted per publish. Then it
//! checks that the site is served (`GET /`, a few note routes, one attachment), and prints the
//! server's peak RSS (`VmHWM`). Any error answer or failed job stops the run, with the status and
//! body the server gave.
//!
//! Run it from the workspace root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/publish-bench
//! ```
//!
//! Options: `--vault PATH` (the vault to publish), `--runs N` (repeat the pair of publishes N
//! times, each on a fresh server; default 1).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use flate2::Compression;
use flate2::write::GzEncoder;
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use vps_bench::server::{Server, server_binary};
use vps_bench::{Result, bytes_label, default_vault, value, verdict};
use vps_testkit::vault::{self, Vault, cut_batches, note_route, sha256_hex};

const USAGE: &str = "usage: publish-bench [--vault PATH] [--runs N]

  --vault PATH   the vault to publish (default: ../shared/vaults/obsidian-help-en, relative to the
                 workspace root); it is only read
  --runs N       publish twice on a fresh server, N times (default 1)

Needs the release build of the server next to it:
  cargo build --release -p vps-publish -p vps-bench && target/release/publish-bench";

const API_KEY: &str = "publish-bench-api-key";

/// The plugin's batch limit `L`, and what it sends as `batchConfig.maxBytesPerRequest`.
const MAX_BYTES_PER_REQUEST: usize = 1024 * 1024;
/// At most this many batches (uploads) in flight, as the plugin with deduplication on.
const UPLOADS_IN_FLIGHT: usize = 3;
const STATUS_POLL: Duration = Duration::from_millis(50);
/// The plugin gives up polling after 10 minutes.
const STATUS_TIMEOUT: Duration = Duration::from_secs(600);

const PLUGIN_VERSION: &str = "6.22.1";

const FIRST_TARGET: Duration = Duration::from_secs(3);
const SECOND_TARGET: Duration = Duration::from_millis(500);
/// Width of the label column of the report.
const LABEL: usize = 31;

fn main() -> ExitCode {
    let result = Options::parse(std::env::args().skip(1)).and_then(run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("publish-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    vault: PathBuf,
    runs: usize,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self { vault: default_vault(), runs: 1 };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--vault" => options.vault = value(&mut args, &arg)?,
                "--runs" => options.runs = value(&mut args, &arg)?,
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
            }
        }
        if options.runs == 0 {
            return Err("--runs must be at least 1".into());
        }
        options.vault = options
            .vault
            .canonicalize()
            .map_err(|e| format!("cannot open the vault {}: {e}", options.vault.display()))?;
        Ok(options)
    }
}

fn run(options: Options) -> Result<()> {
    let binary = server_binary()?;
    progress(&format!("reading the vault {}", options.vault.display()));
    let vault = vault::scan(&options.vault)?;
    if vault.notes.is_empty() {
        return Err(format!("no notes in {}", options.vault.display()).into());
    }
    progress(&format!(
        "{} notes, {} assets, {} embeds of attachments ({} unresolved)",
        vault.notes.len(),
        vault.assets.len(),
        vault.embeds,
        vault.unresolved_embeds.len()
    ));
    if !vault.unresolved_embeds.is_empty() {
        let unresolved: Vec<String> =
            vault.unresolved_embeds.iter().map(|(note, target)| format!("{target:?} in {note}")).collect();
        progress(&format!("embeds not found in the vault: {}", unresolved.join(", ")));
    }
    let runtime = Runtime::new()?;

    let mut outcomes = Vec::new();
    for run in 1..=options.runs {
        if options.runs > 1 {
            progress(&format!("run {run} of {}", options.runs));
        }
        outcomes.push(run_pair(&runtime, &binary, &vault)?);
    }

    print_vault(&vault);
    let mut failures = Vec::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        if options.runs > 1 {
            println!("run {} of {}", i + 1, options.runs);
        }
        outcome.print();
        failures.extend(outcome.site.failures.iter().map(|failure| format!("run {}: {failure}", i + 1)));
    }
    let oddities: Vec<&String> = outcomes.iter().flat_map(|outcome| &outcome.oddities).collect();
    if !oddities.is_empty() {
        println!("oddities:");
        for oddity in oddities {
            println!("  - {oddity}");
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("the published site is not served as expected:\n  {}", failures.join("\n  ")).into())
    }
}

fn progress(message: &str) {
    eprintln!("publish-bench: {message}");
}

fn print_vault(vault: &Vault) {
    println!(
        "{:<LABEL$}{} notes, {} assets ({} embeds, {} unresolved; {} read in {:.2} s)",
        "vault",
        vault.notes.len(),
        vault.assets.len(),
        vault.embeds,
        vault.unresolved_embeds.len(),
        bytes_label(vault.size()),
        vault.read_time.as_secs_f64(),
    );
}

/// A fresh server and data directory: first publish, second publish, site check, peak RSS.
fn run_pair(runtime: &Runtime, binary: &Path, vault: &Vault) -> Result<Outcome> {
    let data_dir = tempfile::Builder::new().prefix("publish-bench-").tempdir()?;
    let server = Server::start(binary, data_dir.path(), API_KEY, &[])?;
    let api = Api::new(&server.base_url)?;
    let outcome: Result<Outcome> = runtime.block_on(async {
        progress("first publish");
        let first = publish(&api, vault).await?;
        progress("second publish");
        let second = publish(&api, vault).await?;
        progress("checking the site");
        let site = check_site(&api, vault, &first).await?;
        Ok(Outcome {
            first,
            second,
            site,
            peak_rss_mib: 0.0,
            oddities: std::mem::take(&mut *api.oddities.lock().unwrap()),
        })
    });
    let outcome = Outcome { peak_rss_mib: server.peak_rss_mib()?, ..outcome? };
    server.stop()?;
    Ok(outcome)
}

/// What one pair of publishes measured.
struct Outcome {
    first: Publish,
    second: Publish,
    site: SiteCheck,
    peak_rss_mib: f64,
    oddities: Vec<String>,
}

impl Outcome {
    fn print(&self) {
        let first = &self.first;
        println!(
            "{:<LABEL$}{}   target <= {} s: {}",
            "first publish",
            first.summary(),
            FIRST_TARGET.as_secs_f64(),
            verdict(first.elapsed <= FIRST_TARGET)
        );
        println!("{:<LABEL$}{}", "", first.details());
        println!("{:<LABEL$}{}", "", first.timeline());
        let second = &self.second;
        let label = if second.everything_skipped() {
            "second publish (all skipped)"
        } else {
            "second publish (NOT all skipped)"
        };
        println!(
            "{label:<LABEL$}{}   target <= {} s: {}",
            second.summary(),
            SECOND_TARGET.as_secs_f64(),
            verdict(second.elapsed <= SECOND_TARGET)
        );
        println!("{:<LABEL$}{}", "", second.details());
        println!("{:<LABEL$}{}", "", second.timeline());
        println!("{:<LABEL$}{}", "site served", self.site.summary());
        println!("{:<LABEL$}{:.1} MiB", "server peak RSS", self.peak_rss_mib);
    }
}

// ---------------------------------------------------------------------------------------------
// One publish, as the plugin makes it

/// What one publish did and how long it took.
struct Publish {
    elapsed: Duration,
    /// Every request but the status polls.
    requests: u64,
    polls: u64,
    bytes_sent: u64,
    notes_uploaded: usize,
    notes_skipped: usize,
    note_batches: usize,
    assets_uploaded: usize,
    assets_skipped: usize,
    asset_batches: usize,
    /// Time spent building, gzipping and encoding batches, summed over batches.
    client_work: Duration,
    pipeline_changed: Option<bool>,
    promotion_stats: Value,
    /// When each step ended, and when each phase of the job was first seen, from the start.
    timeline: Vec<(String, Duration)>,
    /// The note routes and the asset paths this publish uploaded.
    uploaded_notes: Vec<String>,
    uploaded_assets: Vec<String>,
}

impl Publish {
    fn everything_skipped(&self) -> bool {
        self.notes_uploaded == 0 && self.assets_uploaded == 0
    }

    fn summary(&self) -> String {
        let polls = if self.polls == 1 { "poll" } else { "polls" };
        format!(
            "{:>5.2} s   ({} requests + {} status {polls}, {} sent)",
            self.elapsed.as_secs_f64(),
            self.requests,
            self.polls,
            bytes_label(self.bytes_sent),
        )
    }

    fn details(&self) -> String {
        let changed = match self.pipeline_changed {
            Some(changed) => changed.to_string(),
            None => "absent".to_owned(),
        };
        format!(
            "sent {} notes in {}, {} assets in {}; skipped {} notes, {} assets \
             (pipelineChanged {changed}); client JSON+gzip+base64 {:.2} s; promotionStats {}",
            self.notes_uploaded,
            batches(self.note_batches),
            self.assets_uploaded,
            batches(self.asset_batches),
            self.notes_skipped,
            self.assets_skipped,
            self.client_work.as_secs_f64(),
            self.promotion_stats,
        )
    }

    fn timeline(&self) -> String {
        let steps: Vec<String> =
            self.timeline.iter().map(|(step, at)| format!("{step} {:.2}", at.as_secs_f64())).collect();
        format!("timeline (s): {}", steps.join(", "))
    }
}

async fn publish(api: &Api, vault: &Vault) -> Result<Publish> {
    api.reset_counters();
    let run_id = uuid::Uuid::new_v4().to_string();
    let started = Instant::now();

    let start = start_body();
    let (_, answer) = api.post(&run_id, "/api/session/start", start, StatusCode::CREATED).await?;
    let mut timeline = vec![("start".to_owned(), started.elapsed())];
    let session = answer["sessionId"].as_str().ok_or_else(|| format!("start: no sessionId in {answer}"))?.to_owned();
    let limit = answer["maxBytesPerRequest"]
        .as_u64()
        .map_or(MAX_BYTES_PER_REQUEST, |value| (value as usize).min(MAX_BYTES_PER_REQUEST));
    let pipeline_changed = answer["pipelineChanged"].as_bool();
    let note_hashes = answer["existingSourceNoteHashesByVaultPath"].as_object().cloned().unwrap_or_default();
    let asset_hashes: HashSet<&str> =
        answer["existingAssetHashes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();

    // The plugin's skip rules (§6.1).
    let skip_notes = pipeline_changed == Some(false) && !note_hashes.is_empty();
    let notes: Vec<usize> = (0..vault.notes.len())
        .filter(|&i| {
            let note = &vault.notes[i];
            !(skip_notes && note_hashes.get(&note.vault_path).and_then(Value::as_str) == Some(&note.content_sha256))
        })
        .collect();
    let assets: Vec<usize> = (0..vault.assets.len())
        .filter(|&i| asset_hashes.is_empty() || !asset_hashes.contains(vault.assets[i].sha256.as_str()))
        .collect();

    let client_work = Mutex::new(Duration::ZERO);
    let prepare = Instant::now();
    let note_items: Vec<String> = notes.iter().map(|&i| vault.notes[i].payload().to_string()).collect();
    let note_batches = cut_batches("{\"notes\":[", note_items, limit);
    let note_batch_count = note_batches.len();
    *client_work.lock().unwrap() += prepare.elapsed();
    let context = UploadContext { api, run_id: &run_id, session: &session, limit, client_work: &client_work };
    upload_all(&context, "notes", note_batches).await?;
    timeline.push(("notes".to_owned(), started.elapsed()));

    let prepare = Instant::now();
    let asset_items: Vec<String> = assets.iter().map(|&i| vault.assets[i].payload().to_string()).collect();
    let asset_batches = cut_batches("{\"assets\":[", asset_items, limit);
    let asset_batch_count = asset_batches.len();
    *client_work.lock().unwrap() += prepare.elapsed();
    upload_all(&context, "assets", asset_batches).await?;
    timeline.push(("assets".to_owned(), started.elapsed()));

    let finish = json!({"notesProcessed": notes.len(), "assetsProcessed": vault.assets.len()}).to_string();
    let path = format!("/api/session/{session}/finish");
    let (_, answer) = api.post(&run_id, &path, finish, StatusCode::ACCEPTED).await?;
    timeline.push(("finish".to_owned(), started.elapsed()));
    let promotion_stats = match answer["jobId"].as_str() {
        Some(_) => wait_for_completion(api, &run_id, &session, started, &mut timeline).await?,
        None => answer["promotionStats"].clone(),
    };
    let elapsed = started.elapsed();

    let (requests, polls, bytes_sent) = api.counters();
    let client_work = *client_work.lock().unwrap();
    Ok(Publish {
        elapsed,
        requests,
        polls,
        bytes_sent,
        notes_uploaded: notes.len(),
        notes_skipped: vault.notes.len() - notes.len(),
        note_batches: note_batch_count,
        assets_uploaded: assets.len(),
        assets_skipped: vault.assets.len() - assets.len(),
        asset_batches: asset_batch_count,
        client_work,
        pipeline_changed,
        promotion_stats,
        timeline,
        uploaded_notes: notes.iter().map(|&i| vault.notes[i].vault_path.clone()).collect(),
        uploaded_assets: assets.iter().map(|&i| vault.assets[i].relative_path.clone()).collect(),
    })
}

/// The §3.1 body of the plugin: no custom index, ignore rules or tags; deduplication on.
fn start_body() -> String {
    json!({
        "notesPlanned": 0,
        "assetsPlanned": 0,
        "batchConfig": {"maxBytesPerRequest": MAX_BYTES_PER_REQUEST},
        "calloutStyles": [],
        "customIndexConfigs": [],
        "ignoreRules": [],
        "ignoredTags": [],
        "folderDisplayNames": {},
        "pipelineSignature": {
            "version": PLUGIN_VERSION,
            "renderSettingsHash": sha256_hex(br#"{"cleanupRules":0,"ignoredTags":[]}"#),
        },
        "locale": "en",
        "deduplicationEnabled": true,
    })
    .to_string()
}

struct UploadContext<'a> {
    api: &'a Api,
    run_id: &'a str,
    session: &'a str,
    limit: usize,
    client_work: &'a Mutex<Duration>,
}

/// Every batch of one kind, at most [`UPLOADS_IN_FLIGHT`] at a time.
async fn upload_all(context: &UploadContext<'_>, kind: &str, batches: Vec<String>) -> Result<()> {
    stream::iter(batches.into_iter().map(|batch| upload_batch(context, kind, batch)))
        .buffer_unordered(UPLOADS_IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// One batch: gzip, slices of `limit / 2` gzip bytes as base64 chunk envelopes, sent in order;
/// 202 for each but the last, 200 for the last.
async fn upload_batch(context: &UploadContext<'_>, kind: &str, batch: String) -> Result<()> {
    let original_size = batch.len();
    let (gzip, work) = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, Duration)> {
        let started = Instant::now();
        let mut encoder = GzEncoder::new(Vec::with_capacity(batch.len() / 2), Compression::default());
        encoder.write_all(batch.as_bytes())?;
        Ok((encoder.finish()?, started.elapsed()))
    })
    .await??;
    *context.client_work.lock().unwrap() += work;

    let slice = (context.limit / 2).clamp(1, gzip.len().max(1));
    let total = gzip.len().div_ceil(slice);
    let upload_id = format!("{kind}-{}-{}", context.session, uuid::Uuid::new_v4());
    let path = format!("/api/session/{}/{kind}/upload", context.session);
    for (index, data) in gzip.chunks(slice).enumerate() {
        let started = Instant::now();
        let metadata = json!({
            "uploadId": upload_id,
            "chunkIndex": index,
            "totalChunks": total,
            "originalSize": original_size,
            "compressedSize": gzip.len(),
        });
        let envelope = format!("{{\"metadata\":{metadata},\"data\":\"{}\"}}", BASE64.encode(data));
        *context.client_work.lock().unwrap() += started.elapsed();
        let expected = if index + 1 == total { StatusCode::OK } else { StatusCode::ACCEPTED };
        let (_, answer) = context.api.post(context.run_id, &path, envelope, expected).await?;
        if index + 1 == total
            && let Some(errors) = answer["errors"].as_array().filter(|errors| !errors.is_empty())
        {
            context
                .api
                .odd(format!("POST {path} ({upload_id}): errors in the final answer: {}", Value::from(errors.clone())));
        }
    }
    Ok(())
}

/// Polls the job every [`STATUS_POLL`] until `completed`; its `result.promotionStats`. Each
/// phase seen for the first time goes on the timeline.
async fn wait_for_completion(
    api: &Api,
    run_id: &str,
    session: &str,
    started: Instant,
    timeline: &mut Vec<(String, Duration)>,
) -> Result<Value> {
    let path = format!("/api/session/{session}/status");
    let deadline = Instant::now() + STATUS_TIMEOUT;
    loop {
        let answer = api.poll(run_id, &path).await?;
        let phase = answer["phase"].as_str().unwrap_or("?");
        if timeline.iter().all(|(step, _)| step != phase) {
            timeline.push((phase.to_owned(), started.elapsed()));
        }
        match answer["status"].as_str() {
            Some("completed") => return Ok(answer["result"]["promotionStats"].clone()),
            Some("failed") => {
                return Err(format!("GET {path}: the job failed: error {}; answer {answer}", answer["error"]).into());
            }
            Some("pending" | "processing") => {}
            _ => api.odd(format!("GET {path}: unexpected status in {answer}")),
        }
        if Instant::now() > deadline {
            return Err(format!("GET {path}: not completed after {STATUS_TIMEOUT:?}: {answer}").into());
        }
        tokio::time::sleep(STATUS_POLL).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The site, once published twice

struct SiteCheck {
    root_status: StatusCode,
    checked: Vec<(String, StatusCode)>,
    failures: Vec<String>,
}

impl SiteCheck {
    fn summary(&self) -> String {
        let ok = self.checked.iter().filter(|(_, status)| *status == StatusCode::OK).count();
        let assets =
            self.checked.iter().filter(|(path, _)| path.starts_with("/assets/") || path.starts_with("/_blob/")).count();
        let mut summary = format!(
            "GET / {}; {ok} of {} GETs 200 ({} note routes, {assets} asset linked from a page)",
            self.root_status.as_u16(),
            self.checked.len(),
            self.checked.len() - assets,
        );
        if !self.failures.is_empty() {
            summary.push_str(&format!(" (FAILED: {})", self.failures.join("; ")));
        }
        summary
    }
}

/// `GET /` (reported; 404 is allowed: no home page is declared), a few note routes, and the
/// first `/assets/…` URL that those pages link to (each must be 200).
async fn check_site(api: &Api, vault: &Vault, first: &Publish) -> Result<SiteCheck> {
    let (root_status, _) = api.get("/").await?;
    let mut notes: Vec<&str> = Vec::new();
    let uploaded = &first.uploaded_notes;
    let preferred = ["Home.md", "Editing and formatting/Basic formatting syntax.md"];
    notes.extend(preferred.iter().copied().filter(|path| uploaded.iter().any(|note| note == path)));
    notes.extend(
        [uploaded.first(), uploaded.get(uploaded.len() / 2), uploaded.last()].into_iter().flatten().map(String::as_str),
    );
    // And a note with an `![[…]]` embed of an uploaded attachment, whose link is followed.
    let resolved: HashSet<&str> = first.uploaded_assets.iter().map(String::as_str).collect();
    let embedding = vault.notes.iter().find(|note| {
        note.asset_refs.iter().any(|asset| {
            asset["sourceSyntax"] == "obsidian-embed"
                && asset["target"].as_str().is_some_and(|target| resolved.contains(target))
        })
    });
    notes.extend(embedding.map(|note| note.vault_path.as_str()));
    let mut routes: Vec<String> = Vec::new();
    for route in notes.into_iter().map(note_route) {
        if !routes.contains(&route) {
            routes.push(route);
        }
    }

    let mut checked = Vec::new();
    let mut failures = Vec::new();
    let mut asset_link = None;
    for route in routes {
        let (status, body) = api.get(&route).await?;
        if status != StatusCode::OK {
            failures.push(format!("GET {route} → {status}"));
        }
        if asset_link.is_none() {
            asset_link = first_asset_link(&body);
        }
        checked.push((route, status));
    }
    match asset_link {
        Some(link) => {
            let (status, _) = api.get(&link).await?;
            if status != StatusCode::OK {
                failures.push(format!("GET {link} (linked from a page) → {status}"));
            }
            checked.push((link, status));
        }
        None => failures.push("no page checked links to /assets/… or shows /_blob/…".to_owned()),
    }
    if root_status != StatusCode::OK && root_status != StatusCode::NOT_FOUND {
        failures.push(format!("GET / → {root_status}"));
    }
    Ok(SiteCheck { root_status, checked, failures })
}

/// The first link of a page to a published asset: `src`/`href` of `/assets/<path>`, or `src` of
/// `/_blob/<sha256>` (how pages show images since assets are linked by their immutable URL).
fn first_asset_link(html: &str) -> Option<String> {
    ["src=\"/assets/", "href=\"/assets/", "src=\"/_blob/"]
        .iter()
        .filter_map(|prefix| {
            let at = html.find(prefix)?;
            let value = &html[at + prefix.find('"')? + 1..];
            Some((at, value[..value.find('"')?].replace("&amp;", "&")))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, link)| link)
}

// ---------------------------------------------------------------------------------------------
// The HTTP client, which counts what it sends

struct Api {
    client: Client,
    base_url: String,
    requests: AtomicU64,
    polls: AtomicU64,
    bytes_sent: AtomicU64,
    /// Answers that are successes for the plugin but not what the protocol describes.
    oddities: Mutex<Vec<String>>,
}

impl Api {
    fn new(base_url: &str) -> Result<Self> {
        Ok(Self {
            client: Client::builder().no_proxy().build()?,
            base_url: base_url.to_owned(),
            requests: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            oddities: Mutex::new(Vec::new()),
        })
    }

    fn reset_counters(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.polls.store(0, Ordering::Relaxed);
        self.bytes_sent.store(0, Ordering::Relaxed);
    }

    /// (requests but polls, polls, request-body bytes)
    fn counters(&self) -> (u64, u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.polls.load(Ordering::Relaxed),
            self.bytes_sent.load(Ordering::Relaxed),
        )
    }

    fn odd(&self, oddity: String) {
        self.oddities.lock().unwrap().push(oddity);
    }

    /// A JSON POST with the plugin's headers. Any 2xx with a JSON body is a success, as for the
    /// plugin; a 2xx other than `expected` is recorded as an oddity.
    async fn post(&self, run_id: &str, path: &str, body: String, expected: StatusCode) -> Result<(StatusCode, Value)> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes_sent.fetch_add(body.len() as u64, Ordering::Relaxed);
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("x-api-key", API_KEY)
            .header("x-upload-run-id", run_id)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("POST {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status}: {text}").into());
        }
        let answer = serde_json::from_str(&text)
            .map_err(|e| format!("POST {path}: {status}, but the body is not JSON ({e}): {text:?}"))?;
        if status != expected {
            self.odd(format!("POST {path}: {status} where {expected} was expected: {text}"));
        }
        Ok((status, answer))
    }

    async fn poll(&self, run_id: &str, path: &str) -> Result<Value> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .header("x-api-key", API_KEY)
            .header("x-upload-run-id", run_id)
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("GET {path}: {status}: {text}").into());
        }
        serde_json::from_str(&text).map_err(|e| format!("GET {path}: the body is not JSON ({e}): {text:?}").into())
    }

    /// A public GET, without the API key; its status and body.
    async fn get(&self, path: &str) -> Result<(StatusCode, String)> {
        let response =
            self.client.get(format!("{}{path}", self.base_url)).send().await.map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        Ok((status, body))
    }
}

fn batches(count: usize) -> String {
    format!("{count} {}", if count == 1 { "batch" } else { "batches" })
}
