//! `scan-bench`: what virus scanning costs an upload, against what clamd itself can take.
//!
//! In one run, on the machine it runs on, it:
//!
//! 1. starts a private clamd (`vps_testkit::clamd`: its own config, a unix socket, a one-signature
//!    database flagging EICAR, `StreamMaxLength` above the file's size);
//! 2. writes a 500 MiB test file: an MP4 header (so that the server's type allowlist accepts it)
//!    followed by pseudo-random, incompressible bytes;
//! 3. measures the scanner's own ceiling: `clamdscan --stream` of that file to the same clamd, a
//!    process that does nothing but read the file and stream it (best of two runs, one before the
//!    uploads and one after, so that neither a cold clamd nor a busy disk makes the ceiling low);
//! 4. uploads the file to the real `vps-publish serve` (release build, child process, fresh data
//!    directory) with `VIRUS_SCANNER_ENABLED=true` and `CLAMAV_SOCKET` pointing at that clamd,
//!    checks that it is stored with the right SHA-256, that `/health` reports the scanner
//!    reachable and that a small file with EICAR in it is refused (`virus-detected`: the upload
//!    really went through the scanner), and reads the server's peak RSS (`VmHWM`);
//! 5. uploads it to a fresh server with scanning off;
//!
//! and prints the three throughputs in MiB/s, the ratio of the upload with scanning on to the
//! ceiling (target ≥ 0.80) and the server's peak RSS with scanning on (target ≤ 48 MiB).
//!
//! An upload is timed from the request's start to the answer: it includes the server's fsync and
//! clamd's scan of the whole file, which clamd does once the stream has ended, as with
//! `clamdscan`. All files live in a scratch directory that is deleted at the end (about 2 × size
//! free: the file, the stored copy; clamd's temp copy is in the system's temp directory).
//!
//! Run it from the workspace root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/scan-bench
//! ```
//!
//! Options: `--size-mib N` (default 500), `--dir PATH` (where to create the scratch directory;
//! default the system's temp directory). Needs `/usr/sbin/clamd` and `clamdscan` (Debian
//! `clamav-daemon`, `clamdscan`).

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::multipart::Part;
use tokio::runtime::Runtime;
use vps_bench::api::Api;
use vps_bench::server::{Server, server_binary};
use vps_bench::testfile::{MP4_HEADER, TestFile, sha256_file, write_mp4};
use vps_bench::{FileOptions, MIB, Result, mib_per_s, scratch_dir, verdict};
use vps_testkit::clamd::{Clamd, EICAR};

const USAGE: &str = "usage: scan-bench [--size-mib N] [--dir PATH]

  --size-mib N   size of the test file, in MiB (default 500)
  --dir PATH     where to create the scratch directory (default: the system's temp directory)

Needs /usr/sbin/clamd and clamdscan (Debian: clamav-daemon, clamdscan), and the release build
of the server next to it:
  cargo build --release -p vps-publish -p vps-bench && target/release/scan-bench";

const CLAMDSCAN: &str = "clamdscan";
/// clamd's and the server's scan limit, above the file's size.
const LIMIT_MARGIN_MIB: u64 = 100;
/// The server's timeout for clamd: it covers clamd's scan of the whole file after the stream.
const CLAMAV_TIMEOUT_MS: &str = "300000";

const API_KEY: &str = "scan-bench-api-key";

const RATIO_TARGET: f64 = 0.80;
const PEAK_RSS_TARGET_MIB: f64 = 48.0;
/// Width of the label column of the report.
const LABEL: usize = 34;

fn main() -> ExitCode {
    let result = FileOptions::parse(std::env::args().skip(1), 500, USAGE).and_then(run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("scan-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The figures of one run, printed once everything is measured.
struct Report {
    size_mib: u64,
    /// `clamdscan --stream`, before and after the uploads.
    ceiling_mib_s: [f64; 2],
    scanning_on: Measured,
    scanning_off: Measured,
    clamd_version: String,
}

struct Measured {
    mib_s: f64,
    peak_rss_mib: f64,
}

fn run(options: FileOptions) -> Result<()> {
    let binary = server_binary()?;
    let scratch = scratch_dir("scan-bench", options.dir.as_deref())?;
    let runtime = Runtime::new()?;
    let size = options.size_mib * MIB;
    let limit_mib = options.size_mib + LIMIT_MARGIN_MIB;

    progress(&format!("starting a private clamd (StreamMaxLength {limit_mib}M)"));
    let clamd = Clamd::start_with(limit_mib).map_err(|e| format!("clamd: {e}"))?;

    progress(&format!("writing a {} MiB test file in {}", options.size_mib, scratch.path().display()));
    let path = scratch.path().join("large.mp4");
    write_mp4(&path, size, size)?;
    let file = TestFile { sha256: sha256_file(&path)?, path, len: size };

    progress("measuring the scanner's ceiling: clamdscan --stream");
    let ceiling_before = clamdscan(&clamd, &file)?;

    progress("uploading it with scanning on");
    let socket = clamd.socket().display().to_string();
    let limit = format!("{limit_mib}mb");
    let scanning = [
        ("VIRUS_SCANNER_ENABLED", "true"),
        ("CLAMAV_SOCKET", socket.as_str()),
        ("CLAMAV_STREAM_MAX_LENGTH", limit.as_str()),
        ("CLAMAV_TIMEOUT", CLAMAV_TIMEOUT_MS),
    ];
    let (scanning_on, clamd_version) =
        run_upload(&runtime, &binary, &scratch.path().join("server-on"), &file, &scanning, limit_mib)?;
    let clamd_version = clamd_version.ok_or("/health does not report the scanner")?;

    progress("uploading it with scanning off");
    let scanning_off = run_upload(&runtime, &binary, &scratch.path().join("server-off"), &file, &[], limit_mib)?.0;

    progress("measuring the scanner's ceiling again");
    let ceiling_after = clamdscan(&clamd, &file)?;

    Report {
        size_mib: options.size_mib,
        ceiling_mib_s: [mib_per_s(size, ceiling_before), mib_per_s(size, ceiling_after)],
        scanning_on,
        scanning_off,
        clamd_version,
    }
    .print();
    Ok(())
}

impl Report {
    fn print(&self) {
        let size = self.size_mib;
        let ceiling = self.ceiling_mib_s[0].max(self.ceiling_mib_s[1]);
        let on = &self.scanning_on;
        let ratio = on.mib_s / ceiling;
        let ratio_verdict = verdict(ratio >= RATIO_TARGET);
        let rss_verdict = verdict(on.peak_rss_mib <= PEAK_RSS_TARGET_MIB);

        println!("{:<LABEL$}{}", "clamd", self.clamd_version);
        let label = format!("upload {size} MiB, scanning on");
        println!(
            "{label:<LABEL$}{:>8.1} MiB/s, server peak RSS {:.1} MiB (target <= {PEAK_RSS_TARGET_MIB} MiB: {rss_verdict})",
            on.mib_s, on.peak_rss_mib
        );
        let label = format!("upload {size} MiB, scanning off");
        println!(
            "{label:<LABEL$}{:>8.1} MiB/s, server peak RSS {:.1} MiB",
            self.scanning_off.mib_s, self.scanning_off.peak_rss_mib
        );
        let [before, after] = self.ceiling_mib_s;
        println!(
            "{:<LABEL$}{ceiling:>8.1} MiB/s (best of {before:.1} before, {after:.1} after the uploads)",
            "clamdscan --stream (ceiling)"
        );
        println!(
            "{:<LABEL$}{ratio:>8.2}  (target >= {RATIO_TARGET:.2}: {ratio_verdict})",
            "ratio scanning on / ceiling"
        );
    }
}

fn progress(message: &str) {
    eprintln!("scan-bench: {message}");
}

/// `clamdscan --stream` of `file` to `clamd`; how long it took, once it said `OK`.
fn clamdscan(clamd: &Clamd, file: &TestFile) -> Result<Duration> {
    let start = Instant::now();
    let output = Command::new(CLAMDSCAN)
        .arg("--stream")
        .arg("--no-summary")
        .arg(format!("--config-file={}", clamd.config_file().display()))
        .arg(&file.path)
        .output()
        .map_err(|e| format!("cannot run {CLAMDSCAN}: {e}"))?;
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !stdout.trim_end().ends_with(": OK") {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{CLAMDSCAN} --stream failed ({}): {stdout}{stderr}", output.status).into());
    }
    Ok(elapsed)
}

// ---------------------------------------------------------------------------------------------
// The server and its client

/// Starts a fresh server in `data_dir` with `env`, uploads `file`, and, when scanning is on,
/// checks `/health` and that EICAR is refused; reads the server's peak RSS, stops it and deletes
/// `data_dir`. Answers the measure and clamd's version as `/health` reports it.
fn run_upload(
    runtime: &Runtime,
    binary: &Path,
    data_dir: &Path,
    file: &TestFile,
    env: &[(&str, &str)],
    limit_mib: u64,
) -> Result<(Measured, Option<String>)> {
    let max_asset = format!("{limit_mib}mb");
    let max_request = format!("{}mb", 2 * limit_mib);
    let mut server_env =
        vec![("MAX_ASSET_SIZE_BYTES", max_asset.as_str()), ("MAX_REQUEST_BYTES", max_request.as_str())];
    server_env.extend_from_slice(env);
    let server = Server::start(binary, data_dir, API_KEY, &server_env)?;
    let api = Api::new(&server.base_url, API_KEY)?;
    let (elapsed, version) = runtime.block_on(upload_and_check(&api, file))?;
    let peak_rss_mib = server.peak_rss_mib()?;
    server.stop()?;
    std::fs::remove_dir_all(data_dir)?;
    Ok((Measured { mib_s: mib_per_s(file.len, elapsed), peak_rss_mib }, version))
}

/// The timed upload of `file`; then, when `/health` reports a scanner, the EICAR check.
async fn upload_and_check(api: &Api, file: &TestFile) -> Result<(Duration, Option<String>)> {
    let session = api.start_session().await?;
    let start = Instant::now();
    api.upload(&session, "video.mp4", file).await?;
    let elapsed = start.elapsed();
    let version = scanner_version(api).await?;
    if version.is_some() {
        expect_eicar_refused(api, &session).await?;
    }
    Ok((elapsed, version))
}

/// An MP4 header followed by EICAR must come back `rejected`, `virus-detected`.
async fn expect_eicar_refused(api: &Api, session: &str) -> Result<()> {
    let bytes = [MP4_HEADER.as_slice(), EICAR].concat();
    let answer = api.send(session, Part::bytes(bytes).file_name("eicar.mp4")).await?;
    let entry = &answer["files"][0];
    if entry["status"] != "rejected" || entry["code"] != "virus-detected" {
        return Err(format!("EICAR was not refused as a virus; the scanner is not in the path: {entry}").into());
    }
    Ok(())
}

/// clamd's version when `/health` reports a reachable scanner; `None` when it reports none.
async fn scanner_version(api: &Api) -> Result<Option<String>> {
    let response = api.client().get(format!("{}/health", api.base_url())).send().await?;
    let health = api.expect_json(response, "GET", StatusCode::OK).await?;
    let scanner = &health["scanner"];
    if scanner.is_null() {
        return Ok(None);
    }
    if scanner["reachable"] != true {
        return Err(format!("/health reports the scanner unreachable: {health}").into());
    }
    Ok(Some(scanner["version"].as_str().unwrap_or("(no version)").to_owned()))
}
