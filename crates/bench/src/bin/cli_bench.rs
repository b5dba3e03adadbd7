//! `cli-bench`: what `vps-publish publish` costs, measured from outside, as a user runs it.
//!
//! The command under test is the release build of `vps-publish` next to this executable, run as
//! `vps-publish publish VAULT --server URL --json --yes` with `VPS_PUBLISH_API_KEY` set. Its
//! environment is cleared but for that key and `HOME` (a fresh directory of the run, so that no
//! configuration of the user's leaks in). Its stdout, one JSON object, gives the counts and
//! `bytes_sent`; its stderr (progress, logs) is captured, and shown only when it fails or with
//! `--verbose`; its `warning:` lines are listed under the figures. The same binary serves, as `vps-publish serve` ([`vps_bench::server`]), with a
//! fresh data directory, and `MAX_ASSET_SIZE_BYTES=1gb`, `MAX_REQUEST_BYTES=4gb` so that large
//! assets are accepted.
//!
//! In one run it:
//!
//! 1. copies the help vault (by default `../shared/vaults/obsidian-help-en` next to the
//!    workspace; the original is never written to) into a scratch directory, publishes the copy
//!    to a fresh server, then publishes it again unchanged; for each, prints the wall time
//!    (measured here, from the start of the process to its exit), `bytes_sent`, and the pages and
//!    assets sent and skipped; then the targets: republish ≤ 1 s, and republish bytes < 1 % of
//!    the first publish's;
//! 2. writes a second vault, `Videos.md` embedding `![[v1.mp4]]` … `![[v5.mp4]]`, each 200 MiB:
//!    an MP4 header then pseudo-random bytes ([`vps_bench::testfile`]; each file different, so
//!    that none deduplicates another); publishes it once to another fresh server, and prints the
//!    throughput (asset MiB / wall time), the client's peak RSS and the server's (`VmHWM`), with
//!    the target client peak RSS ≤ 64 MiB.
//!
//! The client's peak RSS is `ru_maxrss` from `wait4` on its pid. Linux carries into it the peak
//! RSS of the process that spawned it (this bench) as it was at `exec`, so the figure is exact
//! only when it is above this bench's own peak RSS; otherwise the report says that it is a bound.
//! This bench keeps itself small (no async runtime, 1 MiB buffers) so that it is exact in
//! practice. The server's peak RSS is its `VmHWM`, read before it is stopped.
//!
//! The scratch directory (the copy of the vault, the video vault, both servers' data: about
//! 2 × 1000 MiB with the defaults) is in the system's temp directory and deleted at the end.
//!
//! Run it from the workspace root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/cli-bench
//! ```
//!
//! Options: `--vault PATH` (the vault of step 1), `--asset-mib N` (size of each video, default
//! 200), `--assets N` (number of videos, default 5), `--verbose` (show the command's stderr),
//! `--in-process` (see below).
//!
//! **In-process.** With `--in-process`, each publish runs in this process instead, through the
//! library path the command runs ([`vps_publisher::Config::load`], [`vps_publisher::scan`],
//! [`vps_publisher::Publication::prepare`], [`vps_publisher::publish`], on a tokio runtime made
//! for it as the command makes one): the same figures, without the process's start and exit;
//! the wall time is from the configuration's reading to the summary, and the client's peak RSS
//! is this process's `VmHWM` after the publish (a bound: it includes the bench's own peak).

use std::io::{ErrorKind, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use vps_bench::server::{Server, server_binary};
use vps_bench::testfile::write_mp4;
use vps_bench::{MIB, Result, bytes_label, default_vault, mib_per_s, peak_rss_mib, value, verdict};

const USAGE: &str = "usage: cli-bench [--vault PATH] [--asset-mib N] [--assets N] [--verbose] [--in-process]

  --vault PATH     the vault to publish and republish (default: ../shared/vaults/obsidian-help-en,
                   relative to the workspace root); a copy of it is published, it is only read
  --asset-mib N    size of each video of the second vault, in MiB (default 200)
  --assets N       number of videos of the second vault (default 5)
  --verbose        show the stderr of `vps-publish publish` (progress, logs)
  --in-process     publish through the library (vps_publisher::publish) in this process instead
                   of running `vps-publish publish`

Needs the release build of vps-publish next to it:
  cargo build --release -p vps-publish -p vps-bench && target/release/cli-bench";

const API_KEY: &str = "cli-bench-api-key";
/// The server's limits, raised so that the videos are accepted.
const SERVER_ENV: &[(&str, &str)] = &[("MAX_ASSET_SIZE_BYTES", "1gb"), ("MAX_REQUEST_BYTES", "4gb")];

const REPUBLISH_TIME_TARGET: Duration = Duration::from_secs(1);
/// Bytes sent by the republish, in percent of the first publish's: less than this.
const REPUBLISH_BYTES_TARGET_PERCENT: f64 = 1.0;
const CLIENT_PEAK_RSS_TARGET_MIB: f64 = 64.0;
/// Width of the label column of the report.
const LABEL: usize = 26;

fn main() -> ExitCode {
    match Options::parse(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cli-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    vault: PathBuf,
    asset_mib: u64,
    assets: usize,
    verbose: bool,
    in_process: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self { vault: default_vault(), asset_mib: 200, assets: 5, verbose: false, in_process: false };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--vault" => options.vault = value(&mut args, &arg)?,
                "--asset-mib" => options.asset_mib = value(&mut args, &arg)?,
                "--assets" => options.assets = value(&mut args, &arg)?,
                "--verbose" => options.verbose = true,
                "--in-process" => options.in_process = true,
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
            }
        }
        if options.asset_mib == 0 || options.assets == 0 {
            return Err("--asset-mib and --assets must be at least 1".into());
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
    let scratch = tempfile::Builder::new().prefix("cli-bench-").tempdir()?;
    let home = scratch.path().join("home");
    std::fs::create_dir(&home)?;
    let cli = Cli { binary: binary.clone(), home, verbose: options.verbose, in_process: options.in_process };

    let vault = scratch.path().join("vault");
    progress(&format!("copying {} to {}", options.vault.display(), vault.display()));
    let (files, bytes) = vps_testkit::copy_dir(&options.vault, &vault)?;
    let server = Server::start(&binary, &scratch.path().join("server-vault"), API_KEY, SERVER_ENV)?;
    progress("first publish");
    let first = cli.publish(&vault, &server.base_url)?;
    progress("republish, nothing changed");
    let second = cli.publish(&vault, &server.base_url)?;
    let server_peak_rss_mib = server.peak_rss_mib()?;
    server.stop()?;
    println!("vault {} (a copy: {files} files, {})", options.vault.display(), bytes_label(bytes));
    print_republish(&first, &second, server_peak_rss_mib);

    let videos = scratch.path().join("videos");
    let video_bytes = options.assets as u64 * options.asset_mib * MIB;
    progress(&format!("writing {} videos of {} MiB in {}", options.assets, options.asset_mib, videos.display()));
    write_video_vault(&videos, options.assets, options.asset_mib * MIB)?;
    let server = Server::start(&binary, &scratch.path().join("server-videos"), API_KEY, SERVER_ENV)?;
    progress("publishing the videos");
    let publish = cli.publish(&videos, &server.base_url)?;
    let server_peak_rss_mib = server.peak_rss_mib()?;
    server.stop()?;
    println!();
    println!(
        "vault Videos.md + {} x {} MiB MP4 ({} of assets)",
        options.assets,
        options.asset_mib,
        bytes_label(video_bytes)
    );
    print_videos(&publish, options.assets, video_bytes, server_peak_rss_mib);

    scratch.close().map_err(|e| format!("cannot delete the scratch directory: {e}").into())
}

fn progress(message: &str) {
    eprintln!("cli-bench: {message}");
}

// ---------------------------------------------------------------------------------------------
// The report

/// The first publish and the republish of the help vault, and the targets of the republish.
fn print_republish(first: &Publish, second: &Publish, server_peak_rss_mib: f64) {
    print_publish("first publish", first);
    print_publish("republish (no change)", second);
    let time_verdict = verdict(second.wall <= REPUBLISH_TIME_TARGET);
    println!(
        "{:<LABEL$}{:.3} s (target <= {} s: {time_verdict})",
        "republish wall time",
        second.wall.as_secs_f64(),
        REPUBLISH_TIME_TARGET.as_secs_f64()
    );
    let (sent, first_sent) = (second.summary.bytes_sent, first.summary.bytes_sent);
    if first_sent == 0 {
        println!("{:<LABEL$}n/a: the first publish sent 0 bytes", "republish bytes / first");
    } else {
        let percent = sent as f64 / first_sent as f64 * 100.0;
        let bytes_verdict = verdict(percent < REPUBLISH_BYTES_TARGET_PERCENT);
        println!(
            "{:<LABEL$}{percent:.3} % ({sent} B of {first_sent} B; target < {REPUBLISH_BYTES_TARGET_PERCENT} %: {bytes_verdict})",
            "republish bytes / first",
        );
    }
    println!(
        "{:<LABEL$}first {}, republish {} ({})",
        "client peak RSS",
        first.client_peak_rss.label(),
        second.client_peak_rss.label(),
        second.client_peak_rss.source()
    );
    println!("{:<LABEL$}{server_peak_rss_mib:.1} MiB (VmHWM, both publishes)", "server peak RSS");
    let mut notes = Vec::new();
    if first.summary.pages_published == 0 {
        notes.push("the first publish published no page".to_owned());
    }
    if second.summary.pages_published + second.summary.pages_removed + second.summary.assets_uploaded > 0 {
        notes.push("the republish sent pages or assets although nothing changed".to_owned());
    }
    print_notes(&[("first publish", first), ("republish", second)], notes);
}

/// The publish of the video vault: throughput and peak RSS.
fn print_videos(publish: &Publish, assets: usize, video_bytes: u64, server_peak_rss_mib: f64) {
    print_publish("publish", publish);
    println!(
        "{:<LABEL$}{:.1} MiB/s ({:.0} MiB of assets / wall time)",
        "throughput",
        mib_per_s(video_bytes, publish.wall),
        video_bytes as f64 / MIB as f64
    );
    let rss = &publish.client_peak_rss;
    let rss_verdict = verdict(rss.max_rss_mib <= CLIENT_PEAK_RSS_TARGET_MIB);
    println!(
        "{:<LABEL$}{} ({}; target <= {CLIENT_PEAK_RSS_TARGET_MIB} MiB: {rss_verdict})",
        "client peak RSS",
        rss.label(),
        rss.source()
    );
    println!("{:<LABEL$}{server_peak_rss_mib:.1} MiB (VmHWM)", "server peak RSS");
    let summary = &publish.summary;
    let mut notes = Vec::new();
    if summary.assets_uploaded != assets as u64 {
        notes.push(format!("{assets} videos, but the CLI says {} assets uploaded", summary.assets_uploaded));
    }
    if summary.bytes_sent < video_bytes {
        notes.push(format!("bytes_sent {} is less than the videos' {video_bytes} B", summary.bytes_sent));
    }
    print_notes(&[("publish", publish)], notes);
}

/// Two lines about one run of the command.
fn print_publish(label: &str, publish: &Publish) {
    let summary = &publish.summary;
    println!(
        "{label:<LABEL$}{:.3} s wall (CLI's duration_ms: {}), bytes_sent {} ({} B)",
        publish.wall.as_secs_f64(),
        summary.duration_ms,
        bytes_label(summary.bytes_sent),
        summary.bytes_sent,
    );
    println!(
        "{:<LABEL$}pages {} published, {} unchanged, {} removed; assets {} uploaded, {} skipped; revision {}",
        "",
        summary.pages_published,
        summary.pages_unchanged,
        summary.pages_removed,
        summary.assets_uploaded,
        summary.assets_skipped,
        summary.revision,
    );
}

/// The warnings of the publishes, and what looks wrong in their counts, if any.
fn print_notes(publishes: &[(&str, &Publish)], mut notes: Vec<String>) {
    for (label, publish) in publishes {
        if publish.summary.dry_run {
            notes.push(format!("{label}: the CLI says dry_run: true"));
        }
        let counted = publish.summary.warnings;
        if counted > 0 && publish.warnings.is_empty() {
            notes.push(format!("{label}: {counted} warning(s), on its stderr (which --verbose shows)"));
        }
        notes.extend(publish.warnings.iter().map(|warning| format!("{label}: {warning}")));
    }
    if !notes.is_empty() {
        println!("notes:");
        for note in notes {
            println!("  - {note}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The vaults

/// `Videos.md`, embedding `v1.mp4` … `v{assets}.mp4`, each `len` bytes and different.
fn write_video_vault(dir: &Path, assets: usize, len: u64) -> Result<()> {
    std::fs::create_dir(dir)?;
    let mut note = String::from("# Videos\n");
    for i in 1..=assets {
        note.push_str(&format!("\n![[v{i}.mp4]]\n"));
        write_mp4(&dir.join(format!("v{i}.mp4")), len, i as u64)?;
    }
    std::fs::write(dir.join("Videos.md"), note)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The command under test

/// How to run `vps-publish publish`.
struct Cli {
    binary: PathBuf,
    /// Its `HOME`.
    home: PathBuf,
    /// Whether its stderr goes to ours rather than being captured.
    verbose: bool,
    /// Whether to publish through the library in this process instead.
    in_process: bool,
}

/// One successful run of `vps-publish publish`.
struct Publish {
    /// From just before the spawn to the exit.
    wall: Duration,
    summary: Summary,
    /// The lines of its stderr that start with `warning:` (none with `--verbose`: they were shown).
    warnings: Vec<String>,
    client_peak_rss: ClientPeakRss,
}

/// The JSON object that `vps-publish publish --json` prints.
struct Summary {
    pages_published: u64,
    pages_unchanged: u64,
    pages_removed: u64,
    assets_uploaded: u64,
    assets_skipped: u64,
    bytes_sent: u64,
    duration_ms: u64,
    revision: String,
    dry_run: bool,
    /// How many warnings it printed to stderr.
    warnings: u64,
}

/// `ru_maxrss` of the command, and the floor under it: this bench's own peak RSS, which `exec`
/// carries into it. In-process, both are this process's `VmHWM`.
struct ClientPeakRss {
    max_rss_mib: f64,
    bench_peak_rss_mib: f64,
    in_process: bool,
}

impl ClientPeakRss {
    /// Where the figure comes from.
    fn source(&self) -> &'static str {
        if self.in_process { "in-process: this bench's VmHWM, the publish included" } else { "wait4 ru_maxrss" }
    }

    fn label(&self) -> String {
        if self.in_process {
            format!("<= {:.1} MiB", self.max_rss_mib)
        } else if self.max_rss_mib > self.bench_peak_rss_mib {
            format!("{:.1} MiB", self.max_rss_mib)
        } else {
            format!("<= {:.1} MiB (this bench's own peak RSS; the client's is hidden under it)", self.max_rss_mib)
        }
    }
}

impl Cli {
    /// Runs `vps-publish publish vault --server base_url --json --yes`; an error unless it exits
    /// with 0 and prints the summary.
    fn publish(&self, vault: &Path, base_url: &str) -> Result<Publish> {
        if self.in_process {
            return publish_in_process(vault, base_url);
        }
        let mut command = Command::new(&self.binary);
        command
            .arg("publish")
            .arg(vault)
            .args(["--server", base_url, "--json", "--yes"])
            .env_clear()
            .env("VPS_PUBLISH_API_KEY", API_KEY)
            .env("HOME", &self.home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if self.verbose { Stdio::inherit() } else { Stdio::piped() });
        let start = Instant::now();
        let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", self.binary.display()))?;
        let stdout = read_in_background(child.stdout.take());
        let stderr = read_in_background(child.stderr.take());
        let (status, max_rss_kib) = wait_with_rusage(&child)?;
        let wall = start.elapsed();
        let bench_peak_rss_mib = peak_rss_mib(None)?;
        let stdout = String::from_utf8_lossy(&stdout.join().map_err(|_| "the stdout reader panicked")?).into_owned();
        let stderr = String::from_utf8_lossy(&stderr.join().map_err(|_| "the stderr reader panicked")?).into_owned();

        let shown = format!("vps-publish publish {}", vault.display());
        if !status.success() {
            let stderr = if self.verbose {
                "its stderr is above".to_owned()
            } else if stderr.trim().is_empty() {
                "its stderr is empty".to_owned()
            } else {
                format!("its stderr:\n{}", stderr.trim_end())
            };
            let stdout =
                if stdout.trim().is_empty() { String::new() } else { format!("\nits stdout:\n{}", stdout.trim_end()) };
            return Err(format!(
                "`{shown}` failed after {:.3} s: {}; {stderr}{stdout}",
                wall.as_secs_f64(),
                describe_exit(status)
            )
            .into());
        }
        let summary = Summary::parse(&stdout).map_err(|e| format!("`{shown}` exited with 0, but {e}"))?;
        let client_peak_rss =
            ClientPeakRss { max_rss_mib: max_rss_kib as f64 / 1024.0, bench_peak_rss_mib, in_process: false };
        let warnings = stderr.lines().filter(|line| line.starts_with("warning:")).map(str::to_owned).collect();
        Ok(Publish { wall, summary, warnings, client_peak_rss })
    }
}

/// What `vps-publish publish` does, in this process: configuration, scan, hashes, publish.
fn publish_in_process(vault: &Path, base_url: &str) -> Result<Publish> {
    let start = Instant::now();
    let runtime = tokio::runtime::Runtime::new()?;
    let config = vps_publisher::Config::load(vault, None)?;
    let plan = vps_publisher::scan(vault, &config)?;
    let mut warnings: Vec<String> = plan.warnings.iter().map(|warning| format!("warning: {warning}")).collect();
    let publication = vps_publisher::Publication::prepare(plan, &config, &())?;
    let refused = Warnings::default();
    let summary = runtime.block_on(async {
        let client = vps_client::Client::new(base_url, API_KEY)?;
        let server = vps_publisher::Server::connect(client).await?;
        vps_publisher::publish(&server, &publication, &refused).await
    });
    let summary = summary.map_err(|e| format!("publishing {} in-process: {e}", vault.display()))?;
    drop(runtime);
    let wall = start.elapsed();
    warnings.extend(refused.0.into_inner().unwrap_or_default().into_iter().map(|w| format!("warning: {w}")));
    let peak = peak_rss_mib(None)?;
    let client_peak_rss = ClientPeakRss { max_rss_mib: peak, bench_peak_rss_mib: peak, in_process: true };
    let summary = Summary {
        pages_published: summary.pages_published,
        pages_unchanged: summary.pages_unchanged,
        pages_removed: summary.pages_removed,
        assets_uploaded: summary.assets_uploaded,
        assets_skipped: summary.assets_skipped,
        bytes_sent: summary.bytes_sent,
        // As the command counts it: from its start (here, the configuration's reading).
        duration_ms: wall.as_millis() as u64,
        revision: summary.revision.unwrap_or_else(|| "null".to_owned()),
        dry_run: summary.dry_run,
        warnings: summary.warnings as u64,
    };
    Ok(Publish { wall, summary, warnings, client_peak_rss })
}

/// The warnings of an in-process publish (files the server refused).
#[derive(Default)]
struct Warnings(std::sync::Mutex<Vec<String>>);

impl vps_publisher::Progress for Warnings {
    fn warn(&self, text: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(text.to_owned());
    }
}

impl Summary {
    fn parse(stdout: &str) -> Result<Self> {
        let json: Value = serde_json::from_str(stdout.trim())
            .map_err(|e| format!("its stdout is not one JSON object ({e}):\n{}", stdout.trim_end()))?;
        let count = |name: &str| json[name].as_u64().ok_or_else(|| format!("no count {name:?} in its JSON: {json}"));
        let revision = match &json["revision"] {
            Value::String(revision) => revision.clone(),
            other => other.to_string(),
        };
        Ok(Self {
            pages_published: count("pages_published")?,
            pages_unchanged: count("pages_unchanged")?,
            pages_removed: count("pages_removed")?,
            assets_uploaded: count("assets_uploaded")?,
            assets_skipped: count("assets_skipped")?,
            bytes_sent: count("bytes_sent")?,
            duration_ms: count("duration_ms")?,
            revision,
            dry_run: json["dry_run"].as_bool().ok_or_else(|| format!("no boolean \"dry_run\" in its JSON: {json}"))?,
            warnings: count("warnings")?,
        })
    }
}

/// The exit status, with what the command's exit codes mean.
fn describe_exit(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => {
            let meaning = match code {
                1 => "other error",
                3 => "configuration error",
                4 => "wrong API key",
                5 => "server unreachable",
                6 => "the server rejected the publish",
                _ => "an exit code the command does not document",
            };
            format!("exit code {code} ({meaning})")
        }
        None => format!("killed by signal {}", status.signal().unwrap_or_default()),
    }
}

/// Reads `pipe` to its end on another thread, so that the child never blocks on a full pipe.
fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error ends the capture early; the exit status still tells what happened.
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Waits for `child` with `wait4`, which also gives its resource usage: returns its exit status
/// and its `ru_maxrss`, in KiB.
fn wait_with_rusage(child: &Child) -> Result<(ExitStatus, u64)> {
    let pid = libc::pid_t::try_from(child.id())?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a struct of integers, for which all zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not reaped yet (`Child` reaps only in its `wait` methods,
        // which are never called on it), and both pointers are to live, writable locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != ErrorKind::Interrupted {
            return Err(format!("wait4({pid}): {error}").into());
        }
    }
    Ok((ExitStatus::from_raw(status), u64::try_from(usage.ru_maxrss).unwrap_or_default()))
}
