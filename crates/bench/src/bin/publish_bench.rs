//! `publish-bench`: how long the real server takes to publish a real vault through the path
//! `vps-publish publish` runs ([`vps_publisher::publish`], in this process), the first time and
//! again when nothing changed.
//!
//! It reads a vault (by default `../shared/vaults/obsidian-help-en` next to the workspace, 173
//! notes and about 130 attachments; never modified) as the CLI does: its `.vps-publish.toml`, or
//! the whole vault at `/` when it has none ([`vps_publisher::Config::load`]), scanned by
//! [`vps_publisher::scan`] (notes, their attachments resolved as Obsidian does, warnings) and
//! hashed ([`vps_publisher::Publication::prepare`]). That happens once, beforehand.
//!
//! Then, against a fresh `vps-publish serve` with a fresh data directory, it publishes twice with
//! one [`vps_client::Client`]:
//!
//! 1. a first, full publish: `start`, the hash check, the attachments the server lacks (streamed
//!    multipart; the plugin's JSON protocol if the server does not stream), the notes, `finish`
//!    with the inventory, and the job followed to `completed` (target ≤ 3 s);
//! 2. a second publish of the same vault, where the skip rules (the hash check for attachments;
//!    for notes, their content hash in `existingSourceNoteHashesByVaultPath` with
//!    `pipelineChanged: false`) should skip everything: `start`, the hash check, `finish`
//!    (target ≤ 0.5 s).
//!
//! Each time runs from just before `start` to the job's `completed` status; it includes the
//! client's own work but not the reading and hashing of the vault. Request-body bytes
//! ([`vps_client::Client::bytes_sent`]) and the job statuses received are counted per publish.
//! Then it checks that the site is served (`GET /`, a few note routes, one attachment), and
//! prints the server's peak RSS (`VmHWM`). Any error or failed job stops the run, with what the
//! server said.
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
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use tokio::runtime::Runtime;
use vps_bench::server::{Server, server_binary};
use vps_bench::{Result, bytes_label, default_vault, value, verdict};
use vps_core::job::JobStatus;
use vps_publisher::{Config, Milestone, Progress, Publication, Summary};

const USAGE: &str = "usage: publish-bench [--vault PATH] [--runs N]

  --vault PATH   the vault to publish (default: ../shared/vaults/obsidian-help-en, relative to the
                 workspace root); it is only read
  --runs N       publish twice on a fresh server, N times (default 1)

Needs the release build of the server next to it:
  cargo build --release -p vps-publish -p vps-bench && target/release/publish-bench";

const API_KEY: &str = "publish-bench-api-key";

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

/// The vault, read, scanned and hashed once.
struct Vault {
    publication: Publication,
    read_time: Duration,
}

impl Vault {
    fn read(path: &Path) -> Result<Self> {
        let started = Instant::now();
        let config = Config::load(path, None)?;
        let plan = vps_publisher::scan(path, &config)?;
        let publication = Publication::prepare(plan, &config, &())?;
        Ok(Self { publication, read_time: started.elapsed() })
    }

    /// Notes' text and attachments' bytes.
    fn size(&self) -> u64 {
        let plan = &self.publication.plan;
        plan.notes.iter().map(|note| note.content.len() as u64).sum::<u64>()
            + plan.assets.iter().map(|asset| asset.size).sum::<u64>()
    }
}

fn run(options: Options) -> Result<()> {
    let binary = server_binary()?;
    progress(&format!("reading the vault {}", options.vault.display()));
    let vault = Vault::read(&options.vault)?;
    let plan = &vault.publication.plan;
    if plan.notes.is_empty() {
        return Err(format!("no notes in {}", options.vault.display()).into());
    }
    progress(&format!("{} notes, {} assets, {} warnings", plan.notes.len(), plan.assets.len(), plan.warnings.len()));
    for warning in &plan.warnings {
        progress(&format!("warning: {warning}"));
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
    let oddities: Vec<String> = outcomes
        .iter()
        .flat_map(|outcome| [("first publish", &outcome.first), ("second publish", &outcome.second)])
        .flat_map(|(label, publish)| publish.warnings.iter().map(move |warning| format!("{label}: {warning}")))
        .collect();
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
    let plan = &vault.publication.plan;
    println!(
        "{:<LABEL$}{} notes, {} assets ({} warnings; {} read and hashed in {:.2} s)",
        "vault",
        plan.notes.len(),
        plan.assets.len(),
        plan.warnings.len(),
        bytes_label(vault.size()),
        vault.read_time.as_secs_f64(),
    );
}

/// A fresh server and data directory: first publish, second publish, site check, peak RSS.
fn run_pair(runtime: &Runtime, binary: &Path, vault: &Vault) -> Result<Outcome> {
    let data_dir = tempfile::Builder::new().prefix("publish-bench-").tempdir()?;
    let server = Server::start(binary, data_dir.path(), API_KEY, &[])?;
    let http = Client::builder().no_proxy().build()?;
    let outcome: Result<Outcome> = runtime.block_on(async {
        let client = vps_client::Client::new(&server.base_url, API_KEY)?;
        let target = vps_publisher::Server::connect(client).await?;
        progress("first publish");
        let first = publish(&target, vault).await?;
        progress("second publish");
        let second = publish(&target, vault).await?;
        progress("checking the site");
        let site = check_site(&http, &server.base_url, vault).await?;
        Ok(Outcome { first, second, site, peak_rss_mib: 0.0 })
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
// One publish, as `vps-publish publish` makes it

/// What one publish did and how long it took.
struct Publish {
    elapsed: Duration,
    summary: Summary,
    /// The job statuses the client received (events or polls).
    statuses: u64,
    pipeline_changed: Option<bool>,
    notes_sent: u64,
    notes_skipped: u64,
    /// When each step ended, and when each phase of the job was first seen, from the start.
    timeline: Vec<(String, Duration)>,
    /// What the publish warned about (files the server refused).
    warnings: Vec<String>,
}

impl Publish {
    fn everything_skipped(&self) -> bool {
        self.notes_sent == 0 && self.summary.assets_uploaded == 0
    }

    fn summary(&self) -> String {
        let statuses = if self.statuses == 1 { "status" } else { "statuses" };
        format!(
            "{:>5.2} s   ({} job {statuses}, {} sent)",
            self.elapsed.as_secs_f64(),
            self.statuses,
            bytes_label(self.summary.bytes_sent),
        )
    }

    fn details(&self) -> String {
        let changed = match self.pipeline_changed {
            Some(changed) => changed.to_string(),
            None => "absent".to_owned(),
        };
        let summary = &self.summary;
        format!(
            "sent {} notes, {} assets; skipped {} notes, {} assets (pipelineChanged {changed}); \
             pages {} published, {} unchanged, {} removed; revision {}",
            self.notes_sent,
            summary.assets_uploaded,
            self.notes_skipped,
            summary.assets_skipped,
            summary.pages_published,
            summary.pages_unchanged,
            summary.pages_removed,
            summary.revision.as_deref().unwrap_or("?"),
        )
    }

    fn timeline(&self) -> String {
        let steps: Vec<String> =
            self.timeline.iter().map(|(step, at)| format!("{step} {:.2}", at.as_secs_f64())).collect();
        format!("timeline (s): {}", steps.join(", "))
    }
}

/// Records what a publish reports, with the time of each point from its start.
struct Recorder {
    started: Instant,
    statuses: AtomicU64,
    pipeline_changed: Mutex<Option<bool>>,
    notes: Mutex<(u64, u64)>,
    timeline: Mutex<Vec<(String, Duration)>>,
    warnings: Mutex<Vec<String>>,
}

impl Recorder {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            statuses: AtomicU64::new(0),
            pipeline_changed: Mutex::new(None),
            notes: Mutex::new((0, 0)),
            timeline: Mutex::new(Vec::new()),
            warnings: Mutex::new(Vec::new()),
        }
    }

    fn mark(&self, step: &str) {
        let mut timeline = self.timeline.lock().unwrap();
        if timeline.iter().all(|(seen, _)| seen != step) {
            timeline.push((step.to_owned(), self.started.elapsed()));
        }
    }
}

impl Progress for Recorder {
    fn warn(&self, text: &str) {
        self.warnings.lock().unwrap().push(text.to_owned());
    }

    fn milestone(&self, milestone: Milestone<'_>) {
        match milestone {
            Milestone::Started(start) => {
                *self.pipeline_changed.lock().unwrap() = Some(start.pipeline_changed);
                self.mark("start");
            }
            Milestone::AssetsSent { .. } => self.mark("assets"),
            Milestone::NotesSent { sent, skipped } => {
                *self.notes.lock().unwrap() = (sent, skipped);
                self.mark("notes");
            }
            Milestone::Finished(_) => self.mark("finish"),
        }
    }

    fn job(&self, status: &JobStatus) {
        self.statuses.fetch_add(1, Ordering::Relaxed);
        self.mark(&format!("{:?}", status.phase).to_lowercase());
    }
}

async fn publish(target: &vps_publisher::Server, vault: &Vault) -> Result<Publish> {
    let recorder = Recorder::new();
    let summary = vps_publisher::publish(target, &vault.publication, &recorder).await?;
    let elapsed = recorder.started.elapsed();
    let (notes_sent, notes_skipped) = *recorder.notes.lock().unwrap();
    Ok(Publish {
        elapsed,
        summary,
        statuses: recorder.statuses.load(Ordering::Relaxed),
        pipeline_changed: *recorder.pipeline_changed.lock().unwrap(),
        notes_sent,
        notes_skipped,
        timeline: recorder.timeline.into_inner().unwrap(),
        warnings: recorder.warnings.into_inner().unwrap(),
    })
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

/// The route the server gives a note, as the renderer computes it, percent-encoded.
fn note_route(note: &vps_core::note::Note) -> String {
    let folder = &note.folder_config;
    let route = vps_render::compute_route(&folder.route_base, &note.relative_path, folder.flatten_tree == Some(true));
    vps_core::url::encode_path(&route)
}

/// `GET /` (reported; 404 is allowed: no home page is declared), a few note routes, and the
/// first `/assets/…` URL that those pages link to (each must be 200).
async fn check_site(http: &Client, base_url: &str, vault: &Vault) -> Result<SiteCheck> {
    let get = async |path: &str| -> Result<(StatusCode, String)> {
        let response = http.get(format!("{base_url}{path}")).send().await.map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        Ok((status, body))
    };
    let (root_status, _) = get("/").await?;
    let plan = &vault.publication.plan;
    let notes = &plan.notes;
    let mut chosen: Vec<&vps_core::note::Note> = Vec::new();
    let preferred = ["Home.md", "Editing and formatting/Basic formatting syntax.md"];
    chosen.extend(notes.iter().filter(|note| preferred.contains(&note.vault_path.as_str())));
    chosen.extend([notes.first(), notes.get(notes.len() / 2), notes.last()].into_iter().flatten());
    // And a note that references an attachment the publish sent, whose link is followed.
    let uploaded: HashSet<&str> = plan.assets.iter().flat_map(|asset| &asset.targets).map(String::as_str).collect();
    chosen.extend(notes.iter().find(|note| note.assets.iter().any(|asset| uploaded.contains(asset.target.as_str()))));
    let mut routes: Vec<String> = Vec::new();
    for route in chosen.into_iter().map(note_route) {
        if !routes.contains(&route) {
            routes.push(route);
        }
    }

    let mut checked = Vec::new();
    let mut failures = Vec::new();
    let mut asset_link = None;
    for route in routes {
        let (status, body) = get(&route).await?;
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
            let (status, _) = get(&link).await?;
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

/// The first link of a page to a published asset, as a site path: `src`/`href` of
/// `assets/<path>`, or `src` of `_blob/<sha256>` (how pages show images since assets are linked
/// by their immutable URL). Pages link relative to themselves (`../_blob/…`); both live at the
/// site's top level, so the `../` and `./` before them only climb to it.
fn first_asset_link(html: &str) -> Option<String> {
    let mut found: Option<(usize, String)> = None;
    for attribute in ["src=\"", "href=\""] {
        let mut from = 0;
        while let Some(offset) = html[from..].find(attribute) {
            let start = from + offset + attribute.len();
            from = start;
            let Some(end) = html[start..].find('"') else { break };
            let mut value = &html[start..start + end];
            while let Some(rest) = value.strip_prefix("../").or_else(|| value.strip_prefix("./")) {
                value = rest;
            }
            let value = value.trim_start_matches('/');
            let asset = value.starts_with("assets/") || (attribute == "src=\"" && value.starts_with("_blob/"));
            if asset && found.as_ref().is_none_or(|(at, _)| start < *at) {
                found = Some((start, format!("/{}", value.replace("&amp;", "&"))));
            }
            if asset {
                break;
            }
        }
    }
    found.map(|(_, link)| link)
}
