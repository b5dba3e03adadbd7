//! `scale-bench`: what a large vault costs the real server — publishing it, publishing it again,
//! the size of its pages and searching it.
//!
//! (Over 600 lines for one responsibility: the report of one run, step by step; the vault
//! generator, wrk, metrics and search helpers live in `vps_bench`'s modules.)
//!
//! 1. Generates a synthetic vault ([`vps_bench::synth`]: `--notes N`, default 10,000, nested
//!    folders of 25 notes 20 wide, wikilinks, hub notes, tags, embeds of `--images` distinct PNGs
//!    (default 300), transclusions; deterministic for `--seed`; written note by note, constant
//!    memory) in a scratch directory. `--big-folder N` puts the last N notes in one flat folder
//!    (`Inbox/`): the case of a folder of thousands of notes (default 0).
//! 2. Starts the release server (`vps-publish serve`, fresh data directory, filesystem store,
//!    default log level; `FINALIZATION_TIMEOUT_SECS=3600` so that a 100,000-note publish is not cut
//!    short) and publishes the vault three times through the library path `vps-publish publish`
//!    runs ([`vps_publisher::Config::load`], [`vps_publisher::scan`],
//!    [`vps_publisher::Publication::prepare`], [`vps_publisher::publish`]), each after a fresh scan:
//!    the first publish; again with nothing changed; again after one note's body text changed
//!    (one sentence of its overview; its links, headings and tags unchanged).
//! 3. For each publish it prints:
//!    - the wall time (scan, hashes and publish, as the CLI runs them) and the **server time**:
//!      the finalization job's own duration, `completedAt − startedAt` of the job's final status
//!      (`JobStatus`, as `GET /api/session/{id}/status` and each SSE event carry it; millisecond
//!      timestamps set by the server when the job starts running and when it completes). Targets:
//!      no-change ≤ 0.3 s, one note changed ≤ 1 s;
//!    - the job statuses the client received (SSE events, or polls);
//!    - the **page blobs written**: the page blobs of the new revision (each page's `htmlBlob`,
//!      each generated document's blob, and the stored gzip/br variants of both, read from
//!      `<data>/revisions/<id>.json`) that the previous revision did not have, with their bytes
//!      (sizes of the files under `<data>/blobs/`); and the new files of any kind under
//!      `<data>/blobs/` (a cross-check, walked before and after);
//!    - after the first publish, the server's peak RSS (`VmHWM` from `/proc`).
//! 4. Page size: fetches every page (or, past `--sample` pages, an evenly spaced sample of that
//!    many, plus the deepest page, the most-linked page and the home page) and measures the bytes
//!    **outside the note content**: the page's size minus the inner HTML of the element that
//!    wraps the rendered note (`<article class="markdown-body …">…</article>`, see
//!    [`CONTENT_WRAPPER`]). Target for the largest: ≤ 32 KiB. Also the largest generated HTML
//!    document (folder and tag listings) in a sample, for information.
//! 5. Search: 200 sequential `GET /search?q=<term>` over words of the vault (common and rare, two
//!    words, a title, an accented and an absent word): p50 / p99 (target p99 ≤ 50 ms).
//!
//! Every figure is printed next to its target with `ok` or `MISSED`. Run it from the workspace
//! root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/scale-bench
//! target/release/scale-bench --notes 100000     # 15–30 minutes, 2–3 GiB of disk (2 cores)
//! ```
//!
//! Options: `--notes N`, `--images N`, `--big-folder N`, `--seed N`, `--sample N` (pages fetched, default 1000),
//! `--searches N` (default 200), `--dir PATH` (where to create the scratch directory, deleted at
//! the end unless `--keep`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::runtime::Runtime;
use vps_bench::server::{Server, server_binary};
use vps_bench::synth::{self, Synth};
use vps_bench::{Result, bytes_label, ok_missed, search, value};
use vps_core::ContentHash;
use vps_core::job::JobStatus;
use vps_core::revision::Revision;
use vps_publisher::{Config, Progress, Publication};

const USAGE: &str =
    "usage: scale-bench [--notes N] [--images N] [--big-folder N] [--seed N] [--sample N] [--searches N] [--dir PATH] [--keep] [--server-env NAME=VALUE]…

  --notes N      notes of the generated vault (default 10000)
  --images N     PNG images, each embedded by a note (default 300)
  --big-folder N put the last N notes in one flat folder, Inbox/ (default 0)
  --seed N       the generator's seed (default 14)
  --sample N     pages fetched to measure their size (default 1000; all when fewer)
  --searches N   sequential search requests (default 200)
  --dir PATH     where to create the scratch directory (default: the system's temp directory)
  --keep         keep the scratch directory (the vault and the server's data) and print its path
  --server-env NAME=VALUE
                 a setting for the server, repeatable (e.g. LISTING_PAGE_SIZE=50)

Needs the release build of the server next to it:
  cargo build --release -p vps-publish -p vps-bench && target/release/scale-bench";

const API_KEY: &str = "scale-bench-api-key";
const SERVER_ENV: &[(&str, &str)] = &[("FINALIZATION_TIMEOUT_SECS", "3600")];
const NO_CHANGE_TARGET: Duration = Duration::from_millis(300);
const ONE_CHANGE_TARGET: Duration = Duration::from_secs(1);
const OUTSIDE_TARGET: u64 = 32 * 1024;
/// How the element that wraps the rendered note opens (`vps_site`'s page): what is inside it is
/// the note's content, everything else is the page around it.
const CONTENT_WRAPPER: &str = "<article class=\"markdown-body";
/// Requests in flight while fetching pages.
const FETCH_CONCURRENCY: usize = 4;
/// Generated documents fetched to find the largest.
const GENERATED_SAMPLE: usize = 300;
const LABEL: usize = 34;

fn main() -> ExitCode {
    match Options::parse(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("scale-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    notes: usize,
    images: usize,
    big_folder: usize,
    seed: u64,
    sample: usize,
    searches: usize,
    dir: Option<PathBuf>,
    keep: bool,
    /// `--server-env NAME=VALUE`: more settings for the server (e.g. `LISTING_PAGE_SIZE=50`).
    server_env: Vec<(String, String)>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self {
            notes: 10_000,
            images: 300,
            big_folder: 0,
            seed: 14,
            sample: 1000,
            searches: 200,
            dir: None,
            keep: false,
            server_env: Vec::new(),
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--notes" => options.notes = value(&mut args, &arg)?,
                "--images" => options.images = value(&mut args, &arg)?,
                "--big-folder" => options.big_folder = value(&mut args, &arg)?,
                "--seed" => options.seed = value(&mut args, &arg)?,
                "--sample" => options.sample = value(&mut args, &arg)?,
                "--searches" => options.searches = value(&mut args, &arg)?,
                "--dir" => options.dir = Some(value(&mut args, &arg)?),
                "--keep" => options.keep = true,
                "--server-env" => {
                    let setting: String = value(&mut args, &arg)?;
                    let (name, value) =
                        setting.split_once('=').ok_or_else(|| format!("--server-env {setting:?}: not NAME=VALUE"))?;
                    options.server_env.push((name.to_owned(), value.to_owned()));
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
            }
        }
        if options.notes == 0 || options.sample == 0 || options.searches == 0 {
            return Err("--notes, --sample and --searches must be at least 1".into());
        }
        Ok(options)
    }
}

fn progress(message: &str) {
    eprintln!("scale-bench: {message}");
}

fn run(options: Options) -> Result<()> {
    let binary = server_binary()?;
    let scratch = vps_bench::scratch_dir("scale-bench", options.dir.as_deref())?;
    let vault_dir = scratch.path().join("vault");
    progress(&format!("generating {} notes and {} images in {}", options.notes, options.images, vault_dir.display()));
    let started = Instant::now();
    let synth = synth::generate(&vault_dir, options.notes, options.images, options.big_folder, options.seed)?;
    println!(
        "{:<LABEL$}{} notes, {} images, {} folders, {} levels{}, {} (generated in {:.1} s, seed {})",
        "vault",
        synth.notes,
        synth.images,
        synth.folders,
        synth.depth + 1,
        if options.big_folder > 0 {
            format!(", {} notes in {}/", options.big_folder.min(options.notes), synth::BIG_FOLDER)
        } else {
            String::new()
        },
        bytes_label(synth.bytes),
        started.elapsed().as_secs_f64(),
        options.seed
    );

    let data_dir = scratch.path().join("data");
    let mut env: Vec<(&str, &str)> = SERVER_ENV.to_vec();
    env.extend(options.server_env.iter().map(|(name, value)| (name.as_str(), value.as_str())));
    let server = Server::start(&binary, &data_dir, API_KEY, &env)?;
    let runtime = Runtime::new()?;
    let target = runtime.block_on(async {
        let client = vps_client::Client::new(&server.base_url, API_KEY)?;
        Result::Ok(vps_publisher::Server::connect(client).await?)
    })?;

    progress("first publish");
    let first = publish(&runtime, &target, &synth, &data_dir, None)?;
    let peak_after_first = server.peak_rss_mib()?;
    first.print("first publish", None);
    println!("{:<LABEL$}{peak_after_first:.1} MiB (VmHWM after the first publish)", "server peak RSS");

    progress("republish, nothing changed");
    let second = publish(&runtime, &target, &synth, &data_dir, Some(&first))?;
    second.print("no-change republish", Some(NO_CHANGE_TARGET));
    drop(first); // only the previous publish is compared with: at 100,000 notes each holds ~100 MiB

    progress(&format!("republish, one note changed: {}", synth.note_to_change.display()));
    synth::change_one_note(&synth)?;
    let third = publish(&runtime, &target, &synth, &data_dir, Some(&second))?;
    third.print("one-note-changed republish", Some(ONE_CHANGE_TARGET));

    progress("fetching pages");
    let client = reqwest::Client::builder().no_proxy().build()?;
    let sizes = runtime.block_on(page_sizes(&client, &server.base_url, &third.revision, options.sample))?;
    sizes.print();

    progress("search");
    let terms: Vec<&str> = synth.search_terms.iter().map(String::as_str).collect();
    match runtime.block_on(search::measure(&client, &server.base_url, &terms, options.searches))? {
        None => println!("{:<LABEL$}search not available (GET /search answers 404)", "search"),
        Some(searches) => println!(
            "{:<LABEL$}p50 {:.2} ms, p99 {:.2} ms over {} sequential requests ({} terms{})   target p99 <= {} ms: {}",
            "search",
            searches.p50.as_secs_f64() * 1e3,
            searches.p99.as_secs_f64() * 1e3,
            searches.count,
            terms.len(),
            if searches.failures > 0 { format!(", {} not 2xx", searches.failures) } else { String::new() },
            search::SEARCH_TARGET.as_millis(),
            ok_missed(searches.met())
        ),
    }
    println!("{:<LABEL$}{:.1} MiB (VmHWM at the end)", "server peak RSS", server.peak_rss_mib()?);
    println!(
        "{:<LABEL$}{:.1} MiB (VmHWM: the CLI's library path in-process, and the bench)",
        "this bench's peak RSS",
        vps_bench::peak_rss_mib(None)?
    );
    server.stop()?;
    if options.keep {
        println!("kept {}", scratch.keep().display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Publishing

/// One publish and what it wrote.
struct Publish {
    /// Scan, hashes and publish.
    wall: Duration,
    /// `completedAt − startedAt` of the job; `None` when the status lacks either.
    server_time: Option<Duration>,
    statuses: u64,
    summary: vps_publisher::Summary,
    revision: Revision,
    page_blobs: HashSet<ContentHash>,
    /// Page blobs of this revision that the previous one did not have, and their bytes.
    written: usize,
    written_bytes: u64,
    /// All page blobs of this revision, and their bytes.
    total_bytes: u64,
    /// Files under `<data>/blobs` after this publish, and how many are new.
    blob_files: HashSet<String>,
    new_blob_files: usize,
}

impl Publish {
    fn print(&self, label: &str, target: Option<Duration>) {
        let server = match (self.server_time, target) {
            (Some(time), Some(target)) => format!(
                "{:.3} s   target <= {} s: {}",
                time.as_secs_f64(),
                target.as_secs_f64(),
                ok_missed(time <= target)
            ),
            (Some(time), None) => format!("{:.3} s", time.as_secs_f64()),
            (None, _) => "? (the job's status has no startedAt/completedAt)".to_owned(),
        };
        let summary = &self.summary;
        println!("{label}");
        println!("{:<LABEL$}{server}", "  server time (job)");
        println!(
            "{:<LABEL$}{:.2} s (scan, hashes, publish); {} job statuses received",
            "  wall time",
            self.wall.as_secs_f64(),
            self.statuses
        );
        println!(
            "{:<LABEL$}{} published, {} unchanged, {} removed; assets {} uploaded, {} skipped; revision {}",
            "  pages",
            summary.pages_published,
            summary.pages_unchanged,
            summary.pages_removed,
            summary.assets_uploaded,
            summary.assets_skipped,
            self.revision.id
        );
        println!(
            "{:<LABEL$}{} new ({}) of {} in the revision ({})",
            "  page blobs written",
            self.written,
            bytes_label(self.written_bytes),
            self.page_blobs.len(),
            bytes_label(self.total_bytes)
        );
        println!(
            "{:<LABEL$}{} new files (any kind), {} in all",
            "  blob files",
            self.new_blob_files,
            self.blob_files.len()
        );
    }
}

/// Counts the job statuses and keeps the last one.
#[derive(Default)]
struct Recorder {
    statuses: AtomicU64,
    last: Mutex<Option<JobStatus>>,
}

impl Progress for Recorder {
    fn job(&self, status: &JobStatus) {
        self.statuses.fetch_add(1, Ordering::Relaxed);
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(status.clone());
    }
}

/// Scans the vault and publishes it as `vps-publish publish` does; then reads the revision.
fn publish(
    runtime: &Runtime,
    target: &vps_publisher::Server,
    synth: &Synth,
    data_dir: &Path,
    previous: Option<&Publish>,
) -> Result<Publish> {
    let started = Instant::now();
    let config = Config::load(&synth.dir, None)?;
    let plan = vps_publisher::scan(&synth.dir, &config)?;
    let publication = Publication::prepare(plan, &config, &())?;
    let recorder = Recorder::default();
    let summary = runtime.block_on(vps_publisher::publish(target, &publication, &recorder))?;
    let wall = started.elapsed();
    drop(publication);

    let last = recorder.last.into_inner().unwrap_or_else(|e| e.into_inner());
    let server_time = last.as_ref().and_then(|status| {
        let started = iso_ms(status.started_at.as_deref()?)?;
        let completed = iso_ms(status.completed_at.as_deref()?)?;
        Some(Duration::from_millis(completed.saturating_sub(started)))
    });
    let id = summary.revision.clone().ok_or("the publish named no revision")?;
    let path = data_dir.join("revisions").join(format!("{id}.json"));
    let revision: Revision = serde_json::from_slice(
        &std::fs::read(&path).map_err(|e| format!("cannot read the revision {}: {e}", path.display()))?,
    )
    .map_err(|e| format!("cannot read the revision {}: {e}", path.display()))?;

    let page_blobs = page_blobs(&revision);
    let size = |hash: &ContentHash| std::fs::metadata(blob_path(data_dir, hash)).map(|m| m.len()).unwrap_or(0);
    let empty = HashSet::new();
    let before = previous.map_or(&empty, |p| &p.page_blobs);
    let new: Vec<&ContentHash> = page_blobs.difference(before).collect();
    let written_bytes = new.iter().map(|hash| size(hash)).sum();
    let total_bytes = page_blobs.iter().map(size).sum();
    let blob_files: HashSet<String> =
        vps_bench::files_under(&data_dir.join("blobs"))?.into_iter().map(|(name, _)| name).collect();
    let empty_files = HashSet::new();
    let new_blob_files = blob_files.difference(previous.map_or(&empty_files, |p| &p.blob_files)).count();
    Ok(Publish {
        wall,
        server_time,
        statuses: recorder.statuses.into_inner(),
        summary,
        written: new.len(),
        written_bytes,
        total_bytes,
        page_blobs,
        revision,
        blob_files,
        new_blob_files,
    })
}

/// The page blobs of a revision: pages' HTML, generated documents, and their stored variants.
fn page_blobs(revision: &Revision) -> HashSet<ContentHash> {
    let identities =
        revision.pages.values().map(|page| page.html_blob).chain(revision.generated.values().map(|g| g.blob));
    let mut blobs = HashSet::new();
    for identity in identities {
        blobs.insert(identity);
        if let Some(encodings) = revision.encodings.get(&identity) {
            blobs.extend(encodings.variants().map(|(_, variant)| variant.blob));
        }
    }
    blobs
}

/// `<data>/blobs/sha256/ab/cd/<hex>` (the filesystem store's layout).
fn blob_path(data_dir: &Path, hash: &ContentHash) -> PathBuf {
    let hex = hash.to_hex();
    data_dir.join("blobs").join("sha256").join(&hex[..2]).join(&hex[2..4]).join(hex)
}

/// `2026-01-05T10:00:00.123Z` in milliseconds since the Unix epoch (the form
/// `vps_core::job::iso8601` writes).
fn iso_ms(text: &str) -> Option<u64> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let millis = if text.as_bytes().get(19) == Some(&b'.') { number(20..23)? } else { 0 };
    // Days since 1970-01-01 from a civil date (H. Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) + millis).ok()
}

// ---------------------------------------------------------------------------------------------
// Page sizes

/// One fetched page: its size and the bytes outside its note content (`None`: no wrapper).
struct Fetched {
    route: String,
    size: u64,
    outside: Option<u64>,
}

struct Sizes {
    fetched: usize,
    of: usize,
    largest_outside: Option<Fetched>,
    deepest: Option<Fetched>,
    most_linked: Option<(Fetched, usize)>,
    median_outside: Option<u64>,
    largest_page: Option<Fetched>,
    without_wrapper: Vec<String>,
    failures: Vec<String>,
    largest_generated: Option<Fetched>,
    generated_fetched: usize,
}

impl Sizes {
    fn print(&self) {
        println!("page size (bytes outside the note content: the page minus the inner HTML of {CONTENT_WRAPPER}…\">)");
        println!(
            "{:<LABEL$}{} of {} pages (deepest, most-linked and home included)",
            "  pages fetched", self.fetched, self.of
        );
        match &self.largest_outside {
            Some(page) => println!(
                "{:<LABEL$}{} B ({}) at {}   target <= {} KiB: {}",
                "  largest outside content",
                page.outside.unwrap_or_default(),
                bytes_label(page.outside.unwrap_or_default()),
                page.route,
                OUTSIDE_TARGET / 1024,
                ok_missed(page.outside.unwrap_or_default() <= OUTSIDE_TARGET && self.without_wrapper.is_empty())
            ),
            None => println!(
                "{:<LABEL$}no page had the wrapper   target <= {} KiB: MISSED",
                "  largest outside content",
                OUTSIDE_TARGET / 1024
            ),
        }
        if let Some(median) = self.median_outside {
            println!("{:<LABEL$}{}", "  median outside content", bytes_label(median));
        }
        let describe = |page: &Fetched| match page.outside {
            Some(outside) => {
                format!("{} outside content, {} in all, {}", bytes_label(outside), bytes_label(page.size), page.route)
            }
            None => format!("no wrapper, {} in all, {}", bytes_label(page.size), page.route),
        };
        if let Some(page) = &self.deepest {
            println!("{:<LABEL$}{}", "  deepest page", describe(page));
        }
        if let Some((page, links)) = &self.most_linked {
            println!("{:<LABEL$}{} (linked from {links} pages)", "  most-linked page", describe(page));
        }
        if let Some(page) = &self.largest_page {
            println!("{:<LABEL$}{}", "  largest page in all", describe(page));
        }
        if let Some(page) = &self.largest_generated {
            println!(
                "{:<LABEL$}{} at {} (of {} HTML listings fetched; no target)",
                "  largest generated HTML",
                bytes_label(page.size),
                page.route,
                self.generated_fetched
            );
        }
        if !self.without_wrapper.is_empty() {
            println!(
                "{:<LABEL$}{} pages (e.g. {}): counted as MISSED",
                "  pages without the wrapper",
                self.without_wrapper.len(),
                self.without_wrapper[0]
            );
        }
        for failure in self.failures.iter().take(5) {
            println!("  failed: {failure}");
        }
    }
}

/// Fetches every page, or a sample of `sample` plus the deepest, the most-linked and the home
/// page, and measures them.
async fn page_sizes(client: &reqwest::Client, base_url: &str, revision: &Revision, sample: usize) -> Result<Sizes> {
    let routes: Vec<&String> = revision.pages.keys().collect();
    let mut inbound: HashMap<&str, usize> = HashMap::new();
    for page in revision.pages.values() {
        let unique: HashSet<&String> = page.links.iter().collect();
        for link in unique {
            *inbound.entry(link.as_str()).or_default() += 1;
        }
    }
    let most_linked = routes
        .iter()
        .filter_map(|r| Some((*r, *inbound.get(r.as_str())?)))
        .max_by_key(|(r, n)| (*n, std::cmp::Reverse(*r)));
    let depth = |route: &str| route.split('/').filter(|s| !s.is_empty()).count();
    let deepest = routes.iter().max_by_key(|r| (depth(r), r.len())).copied();

    let mut chosen: Vec<String> = if routes.len() <= sample {
        routes.iter().map(|r| (*r).clone()).collect()
    } else {
        (0..sample).map(|k| routes[k * routes.len() / sample].clone()).collect()
    };
    chosen.extend(deepest.cloned());
    chosen.extend(most_linked.map(|(r, _)| r.clone()));
    if let Some(home) = &revision.home {
        chosen.push(home.clone());
    }
    chosen.sort();
    chosen.dedup();

    let fetched = fetch_all(client, base_url, chosen.clone(), true).await;
    let mut pages = Vec::new();
    let mut failures = Vec::new();
    for result in fetched {
        match result {
            Ok(page) => pages.push(page),
            Err(error) => failures.push(error),
        }
    }
    let without_wrapper: Vec<String> = pages.iter().filter(|p| p.outside.is_none()).map(|p| p.route.clone()).collect();
    let mut outsides: Vec<u64> = pages.iter().filter_map(|p| p.outside).collect();
    outsides.sort_unstable();
    let median_outside = outsides.get(outsides.len() / 2).copied();
    let take = |route: &str, pages: &[Fetched]| {
        pages.iter().find(|p| p.route == route).map(|p| Fetched {
            route: p.route.clone(),
            size: p.size,
            outside: p.outside,
        })
    };
    let deepest = deepest.and_then(|r| take(r, &pages));
    let most_linked = most_linked.and_then(|(r, n)| Some((take(r, &pages)?, n)));
    let largest_page = pages.iter().max_by_key(|p| p.size).and_then(|p| take(&p.route, &pages));
    let largest_outside =
        pages.iter().filter(|p| p.outside.is_some()).max_by_key(|p| p.outside).and_then(|p| take(&p.route, &pages));

    let listings: Vec<String> = revision
        .generated
        .iter()
        .filter(|(_, g)| g.content_type.starts_with("text/html"))
        .map(|(route, _)| route.clone())
        .collect();
    let listings: Vec<String> = if listings.len() <= GENERATED_SAMPLE {
        listings
    } else {
        (0..GENERATED_SAMPLE).map(|k| listings[k * listings.len() / GENERATED_SAMPLE].clone()).collect()
    };
    let generated: Vec<Fetched> =
        fetch_all(client, base_url, listings, false).await.into_iter().filter_map(|r| r.ok()).collect();
    let generated_fetched = generated.len();
    let largest_generated = generated.into_iter().max_by_key(|p| p.size);

    Ok(Sizes {
        fetched: pages.len(),
        of: routes.len(),
        largest_outside,
        deepest,
        most_linked,
        median_outside,
        largest_page,
        without_wrapper,
        failures,
        largest_generated,
        generated_fetched,
    })
}

/// GETs each route (a few at a time); with `measure`, finds the note content in each.
async fn fetch_all(
    client: &reqwest::Client,
    base_url: &str,
    routes: Vec<String>,
    measure: bool,
) -> Vec<std::result::Result<Fetched, String>> {
    futures_util::stream::iter(routes)
        .map(|route| async move {
            let url = format!("{base_url}{}", vps_core::url::encode_path(&route));
            let response = client.get(&url).send().await.map_err(|e| format!("GET {route}: {e}"))?;
            let status = response.status();
            let body = response.bytes().await.map_err(|e| format!("GET {route}: {e}"))?;
            if !status.is_success() {
                return Err(format!("GET {route}: {status}"));
            }
            let outside = if measure { content_len(&body).map(|inner| (body.len() - inner) as u64) } else { None };
            Ok(Fetched { route, size: body.len() as u64, outside })
        })
        .buffer_unordered(FETCH_CONCURRENCY)
        .collect()
        .await
}

/// The length of the inner HTML of the first [`CONTENT_WRAPPER`] element that is not a folder's
/// introduction, up to its matching `</article>`.
fn content_len(html: &[u8]) -> Option<usize> {
    let html = std::str::from_utf8(html).ok()?;
    let mut from = 0;
    let start = loop {
        let at = from + html[from..].find(CONTENT_WRAPPER)?;
        let tag_end = at + html[at..].find('>')?;
        if !html[at..tag_end].contains("folder-intro") {
            break tag_end + 1;
        }
        from = tag_end;
    };
    let mut depth = 1;
    let mut at = start;
    loop {
        let open = html[at..].find("<article").map(|i| at + i);
        let close = at + html[at..].find("</article>")?;
        match open {
            Some(open) if open < close => {
                depth += 1;
                at = open + "<article".len();
            }
            _ => {
                depth -= 1;
                if depth == 0 {
                    return Some(close - start);
                }
                at = close + "</article>".len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps_are_read_as_the_server_writes_them() {
        for ms in [0, 1_767_607_200_123, 951_782_400_000, 1_796_466_607_999] {
            assert_eq!(iso_ms(&vps_core::job::iso8601(ms)), Some(ms));
        }
        assert_eq!(iso_ms("garbage"), None);
    }

    #[test]
    fn the_note_content_is_the_inside_of_its_article() {
        let page = "<nav>n</nav><article class=\"markdown-body folder-intro\">x</article>\
                    <article class=\"markdown-body wide\" dir=\"auto\">\n<p>a</p><article>b</article>\n</article><footer>";
        assert_eq!(content_len(page.as_bytes()), Some("\n<p>a</p><article>b</article>\n".len()));
        assert_eq!(content_len(b"<main>no wrapper</main>"), None);
    }
}
