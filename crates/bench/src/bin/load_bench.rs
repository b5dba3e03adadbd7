//! `load-bench`: one server under writers and readers at once.
//!
//! It starts the release server (`vps-publish serve`, fresh data directory, [`vps_bench::server`]),
//! publishes a vault through the plugin's protocol (by default `../shared/vaults/obsidian-help-en`,
//! only read), collects what a reader fetches (every page of the sitemap, the `/_blob/` images
//! and the `/_site/` stylesheet and script those pages link to, and searches), counts the
//! server's open file descriptors at rest, then for `--secs` seconds runs at once:
//!
//! - **uploaders** (default 50), each in a loop: start a session, stream one file as a multipart
//!   upload through the product's own client ([`vps_client::Client::upload_files`], no retries,
//!   so that every 429 is seen), abort the session. Files are MP4 test files of mixed sizes up to
//!   `--max-upload-mib` (default 100): 1/1000, 1/100, 1/20, 1/10, 1/4, 1/2 and all of it; each
//!   uploader starts at another one. The first upload of each file stores it; later ones are
//!   deduplicated, but every byte still travels, is hashed and is checked;
//! - **readers** (default 200), each in a loop: GET a page, an image or stylesheet, or a search
//!   (six pages, three assets, one search in ten requests), reading the whole body, timed from
//!   sending to the last byte.
//!
//! When the time is up, readers stop; uploaders finish the upload they are in. Then it prints
//! reader p50/p99 latency and reads/s, upload throughput (file bytes acknowledged by the server
//! per second of the whole run), the count of 429 answers and of other errors (target 0, the
//! first few are listed), the server's peak RSS (`VmHWM`, target ≤ 256 MiB) and its open file
//! descriptors: at rest before, at most during the run (sampled every second), and at the end
//! once the clients are gone (target: back to the count at rest; it waits up to 10 s for it).
//!
//! Client and server share the machine: the figures are a floor of what the server can do.
//! The scratch directory (the test files, about 2 × `--max-upload-mib` MiB, and the server's
//! data) is deleted at the end. Run it from the workspace root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/load-bench
//! ```
//!
//! Options: `--secs N` (default 60), `--uploaders N` (50), `--readers N` (200),
//! `--max-upload-mib N` (100), `--vault PATH`, `--dir PATH` (where the scratch directory goes).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use vps_bench::server::{Server, server_binary};
use vps_bench::testfile::write_mp4;
use vps_bench::{MIB, Result, bytes_label, default_vault, mib_per_s, scratch_dir, value, verdict};
use vps_client::{Client, ClientError, RetryPolicy, UploadFile, UploadLimits};
use vps_core::AssetPath;
use vps_core::api::{FileStatus, StartSessionRequest};
use vps_testkit::Plugin;

const USAGE: &str =
    "usage: load-bench [--secs N] [--uploaders N] [--readers N] [--max-upload-mib N] [--vault PATH] [--dir PATH]

  --secs N             how long uploaders and readers run (default 60)
  --uploaders N        concurrent uploaders (default 50)
  --readers N          concurrent readers (default 200)
  --max-upload-mib N   the largest test file, in MiB (default 100); the others are fractions of it
  --vault PATH         the site to publish and read (default: ../shared/vaults/obsidian-help-en,
                       relative to the workspace root); it is only read
  --dir PATH           where to create the scratch directory (default: the system's temp directory)

Needs the release build of the server next to it:
  cargo build --release -p vps-publish -p vps-bench && target/release/load-bench";

const API_KEY: &str = "load-bench-api-key";
/// Any origin: with it the sitemap lists every page, whose paths the readers fetch.
const BASE_URL: &str = "http://load-bench.example";
/// The test files' sizes, as fractions (per mille) of `--max-upload-mib`.
const SIZES_PER_MILLE: &[u64] = &[1, 10, 50, 100, 250, 500, 1000];
const SEARCH_TERMS: &[&str] = &["link", "callout", "canvas", "embed", "été", "sync plugin", "zzzqqq"];
/// A reader's request that takes longer than this counts as an error.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// After a 429, an uploader waits this long (the server asks for 5 s; a shorter wait keeps
/// the pressure on).
const AFTER_429: Duration = Duration::from_secs(1);
/// How long the end waits for the server's descriptors to come back to the count at rest.
const SETTLE: Duration = Duration::from_secs(10);
const PEAK_RSS_TARGET_MIB: f64 = 256.0;
/// Error messages listed under the figures, at most.
const ERRORS_SHOWN: usize = 5;
const LABEL: usize = 28;

fn main() -> ExitCode {
    match Options::parse(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("load-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    secs: u64,
    uploaders: usize,
    readers: usize,
    max_upload_mib: u64,
    vault: PathBuf,
    dir: Option<PathBuf>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options =
            Self { secs: 60, uploaders: 50, readers: 200, max_upload_mib: 100, vault: default_vault(), dir: None };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--secs" => options.secs = value(&mut args, &arg)?,
                "--uploaders" => options.uploaders = value(&mut args, &arg)?,
                "--readers" => options.readers = value(&mut args, &arg)?,
                "--max-upload-mib" => options.max_upload_mib = value(&mut args, &arg)?,
                "--vault" => options.vault = value(&mut args, &arg)?,
                "--dir" => options.dir = Some(value(&mut args, &arg)?),
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
            }
        }
        if options.secs == 0 || options.max_upload_mib == 0 || options.uploaders + options.readers == 0 {
            return Err("--secs, --max-upload-mib and --uploaders + --readers must be at least 1".into());
        }
        Ok(options)
    }
}

fn progress(message: &str) {
    eprintln!("load-bench: {message}");
}

/// What the run counts, shared by every task.
#[derive(Default)]
struct Tally {
    reads: AtomicU64,
    uploads: AtomicU64,
    uploaded_bytes: AtomicU64,
    too_many_requests: AtomicU64,
    errors: AtomicU64,
    /// The first few error messages.
    shown: Mutex<Vec<String>>,
    /// Sampled during the run.
    peak_fds: AtomicUsize,
}

impl Tally {
    fn error(&self, message: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut shown = self.shown.lock().expect("tally lock");
        if shown.len() < ERRORS_SHOWN {
            shown.push(message);
        }
    }
}

fn run(options: Options) -> Result<()> {
    let binary = server_binary()?;
    let vault = vps_testkit::vault::scan(&options.vault).map_err(|e| format!("cannot read the vault: {e}"))?;
    let scratch = scratch_dir("load-bench", options.dir.as_deref())?;
    let files = write_files(scratch.path(), options.max_upload_mib)?;
    let data_dir = scratch.path().join("data");
    let asset_limit = format!("{}", (options.max_upload_mib + 1) * MIB);
    let env = [("RUST_LOG", "warn,vps_publish=info"), ("BASE_URL", BASE_URL), ("MAX_ASSET_SIZE_BYTES", &asset_limit)];
    let server = Server::start(&binary, &data_dir, API_KEY, &env)?;
    let runtime = tokio::runtime::Runtime::new()?;

    progress(&format!("publishing {} notes and {} assets", vault.notes.len(), vault.assets.len()));
    runtime.block_on(Plugin::new(&server.base_url, API_KEY).publish(&vault.note_payloads(), &vault.asset_payloads()));
    let targets = runtime.block_on(read_targets(&server.base_url))?;
    println!(
        "{:<LABEL$}{} pages, {} assets, {} searches",
        "reader's mix of",
        targets.pages.len(),
        targets.assets.len(),
        targets.searches.len()
    );
    // The publishing client is gone; let the server see its connections close.
    std::thread::sleep(Duration::from_secs(1));
    let idle_fds = server.open_fds()?;

    progress(&format!(
        "{} uploaders ({} … {}) and {} readers for {} s",
        options.uploaders,
        bytes_label(files.first().map_or(0, |f| f.size)),
        bytes_label(files.last().map_or(0, |f| f.size)),
        options.readers,
        options.secs
    ));
    let tally = Arc::new(Tally::default());
    let (latencies, elapsed, read_elapsed) =
        runtime.block_on(load(&server, &options, Arc::new(files), Arc::new(targets), tally.clone()))?;
    let peak_rss = server.peak_rss_mib()?;
    drop(runtime);
    let settle_until = Instant::now() + SETTLE;
    let mut end_fds = server.open_fds()?;
    while end_fds > idle_fds && Instant::now() < settle_until {
        std::thread::sleep(Duration::from_millis(200));
        end_fds = server.open_fds()?;
    }
    server.stop()?;

    let reads = tally.reads.load(Ordering::Relaxed);
    let (p50, p99) = (percentile(&latencies, 50), percentile(&latencies, 99));
    let uploaded = tally.uploaded_bytes.load(Ordering::Relaxed);
    let errors = tally.errors.load(Ordering::Relaxed);
    println!(
        "{:<LABEL$}{reads} in {:.1} s: {:.0}/s; p50 {}, p99 {}",
        "reads",
        read_elapsed.as_secs_f64(),
        reads as f64 / read_elapsed.as_secs_f64(),
        millis(p50),
        millis(p99)
    );
    println!(
        "{:<LABEL$}{} files, {} in {:.1} s: {:.1} MiB/s",
        "uploads",
        tally.uploads.load(Ordering::Relaxed),
        bytes_label(uploaded),
        elapsed.as_secs_f64(),
        mib_per_s(uploaded, elapsed)
    );
    println!("{:<LABEL$}{}", "429 answers", tally.too_many_requests.load(Ordering::Relaxed));
    println!("{:<LABEL$}{errors}   target 0: {}", "other errors", verdict(errors == 0));
    for message in tally.shown.lock().expect("tally lock").iter() {
        println!("{:<LABEL$}  {message}", "");
    }
    println!(
        "{:<LABEL$}{peak_rss:.1} MiB   target ≤ {PEAK_RSS_TARGET_MIB:.0} MiB: {}",
        "server peak RSS (VmHWM)",
        verdict(peak_rss <= PEAK_RSS_TARGET_MIB)
    );
    println!(
        "{:<LABEL$}at rest {idle_fds}, at most {} during the run, {end_fds} at the end   target back to {idle_fds}: {}",
        "server open descriptors",
        tally.peak_fds.load(Ordering::Relaxed),
        verdict(end_fds <= idle_fds)
    );
    Ok(())
}

/// A test file on disk.
#[derive(Clone)]
struct TestFile {
    path: PathBuf,
    size: u64,
}

/// The test files, smallest first: MP4 headers then pseudo-random bytes, each different.
fn write_files(dir: &Path, max_mib: u64) -> Result<Vec<TestFile>> {
    let mut files = Vec::new();
    for (seed, per_mille) in SIZES_PER_MILLE.iter().enumerate() {
        let size = (max_mib * MIB * per_mille / 1000).max(64 * 1024);
        let path = dir.join(format!("upload-{seed}.mp4"));
        write_mp4(&path, size, seed as u64 + 1)?;
        files.push(TestFile { path, size });
    }
    Ok(files)
}

/// The paths a reader fetches.
struct Targets {
    pages: Vec<String>,
    assets: Vec<String>,
    searches: Vec<String>,
}

/// Every page of the sitemap, and what the first pages link to under `/_blob/` and `/_site/`.
async fn read_targets(base: &str) -> Result<Targets> {
    let client = reqwest::Client::builder().no_proxy().build()?;
    let sitemap = client.get(format!("{base}/sitemap.xml")).send().await?.error_for_status()?.text().await?;
    let pages: Vec<String> = sitemap
        .split("<loc>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</loc>"))
        .filter_map(|(loc, _)| loc.strip_prefix(BASE_URL))
        .map(|path| path.replace("&amp;", "&"))
        .collect();
    if pages.is_empty() {
        return Err("the sitemap lists no page: nothing to read".into());
    }
    let mut assets = Vec::new();
    for page in pages.iter().take(40) {
        let html = client.get(format!("{base}{page}")).send().await?.text().await?;
        // Pages link relative to themselves (`../_blob/…`, `_site/…`): both live at the top level.
        for prefix in ["_blob/", "_site/"] {
            let parts: Vec<&str> = html.split(prefix).collect();
            for (before, rest) in parts.iter().zip(parts.iter().skip(1)) {
                if !(before.ends_with('"') || before.ends_with('/')) {
                    continue;
                }
                if let Some((name, _)) = rest.split_once('"') {
                    let path = format!("/{prefix}{name}");
                    if !assets.contains(&path) {
                        assets.push(path);
                    }
                }
            }
        }
    }
    let searches = SEARCH_TERMS.iter().map(|term| format!("/search?q={}", term.replace(' ', "+"))).collect();
    Ok(Targets { pages, assets, searches })
}

/// Runs the uploaders and readers; answers every read's latency, the time until the last
/// uploader stopped, and the readers' time.
async fn load(
    server: &Server,
    options: &Options,
    files: Arc<Vec<TestFile>>,
    targets: Arc<Targets>,
    tally: Arc<Tally>,
) -> Result<(Vec<Duration>, Duration, Duration)> {
    // No retries: a 429 is counted, and the uploader waits and goes on.
    let retry = RetryPolicy { attempts: 1, ..RetryPolicy::default() };
    let uploader = Client::builder(&server.base_url, API_KEY).retry(retry).build()?;
    let reader = reqwest::Client::builder().no_proxy().timeout(READ_TIMEOUT).build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.secs);

    let sampling = {
        let (tally, pid) = (tally.clone(), server.pid());
        tokio::spawn(async move {
            while Instant::now() < deadline {
                if let Ok(fds) = vps_bench::open_fds(pid) {
                    tally.peak_fds.fetch_max(fds, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };
    let uploads: Vec<_> = (0..options.uploaders)
        .map(|index| tokio::spawn(upload_loop(uploader.clone(), files.clone(), index, deadline, tally.clone())))
        .collect();
    let reads: Vec<_> = (0..options.readers)
        .map(|index| {
            let (base, reader, targets, tally) =
                (server.base_url.clone(), reader.clone(), targets.clone(), tally.clone());
            tokio::spawn(read_loop(base, reader, targets, index, deadline, tally))
        })
        .collect();
    let mut latencies = Vec::new();
    for task in reads {
        latencies.extend(task.await?);
    }
    let read_elapsed = started.elapsed();
    for task in uploads {
        task.await?;
    }
    let elapsed = started.elapsed();
    sampling.await?;
    latencies.sort_unstable();
    Ok((latencies, elapsed, read_elapsed))
}

async fn upload_loop(client: Client, files: Arc<Vec<TestFile>>, index: usize, deadline: Instant, tally: Arc<Tally>) {
    let mut next = index;
    while Instant::now() < deadline {
        let file = &files[next % files.len()];
        next += 1;
        match upload_one(&client, file, index).await {
            Ok(()) => {
                tally.uploads.fetch_add(1, Ordering::Relaxed);
                tally.uploaded_bytes.fetch_add(file.size, Ordering::Relaxed);
            }
            Err(error) if error.status() == Some(StatusCode::TOO_MANY_REQUESTS) => {
                tally.too_many_requests.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(AFTER_429).await;
            }
            Err(error) => tally.error(format!("upload of {}: {error}", bytes_label(file.size))),
        }
    }
}

/// start → one streamed multipart upload → abort; the file must be stored or deduplicated.
async fn upload_one(client: &Client, file: &TestFile, uploader: usize) -> std::result::Result<(), ClientError> {
    let session = client.start(&StartSessionRequest::default()).await?.session_id;
    let name = format!("Load/uploader-{uploader}/{}", file.path.file_name().and_then(|n| n.to_str()).unwrap_or("f"));
    let upload = UploadFile {
        path: AssetPath::parse(&name).expect("a valid asset path"),
        file: file.path.clone(),
        size: file.size,
        sha256: None,
    };
    let answered = client.upload_files(session, &[upload], &UploadLimits::default(), &|_| {}).await?;
    let result = client.abort(session).await;
    match answered.first() {
        Some(file) if file.status != FileStatus::Rejected => result,
        other => Err(ClientError::Config { reason: format!("the server did not keep {name}: {other:?}") }),
    }
}

/// Six pages, three assets, one search in every ten requests, each reader starting elsewhere.
async fn read_loop(
    base: String,
    client: reqwest::Client,
    targets: Arc<Targets>,
    index: usize,
    deadline: Instant,
    tally: Arc<Tally>,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut turn = index;
    while Instant::now() < deadline {
        let list = match turn % 10 {
            0..=5 => &targets.pages,
            6..=8 if !targets.assets.is_empty() => &targets.assets,
            6..=8 => &targets.pages,
            _ => &targets.searches,
        };
        let path = &list[(turn / 10 + index) % list.len()];
        turn += 1;
        let sent = Instant::now();
        let outcome = match client.get(format!("{base}{path}")).send().await {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(_) => Ok(status),
                    Err(error) => Err(error.to_string()),
                }
            }
            Err(error) => Err(error.to_string()),
        };
        match outcome {
            Ok(StatusCode::OK | StatusCode::NOT_MODIFIED) => {
                latencies.push(sent.elapsed());
                tally.reads.fetch_add(1, Ordering::Relaxed);
            }
            Ok(StatusCode::TOO_MANY_REQUESTS) => {
                tally.too_many_requests.fetch_add(1, Ordering::Relaxed);
            }
            Ok(status) => tally.error(format!("GET {path}: {status}")),
            Err(error) => tally.error(format!("GET {path}: {error}")),
        }
    }
    latencies
}

/// The `p`th percentile of sorted `values` (nearest rank); zero when there are none.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}
