//! `ingest-bench`: how fast, and in how little memory, the real server takes in large uploads.
//!
//! In one run, on the machine it runs on, it:
//!
//! 1. writes a 1 GiB test file: an MP4 header (so that the server's type allowlist accepts it)
//!    followed by pseudo-random, incompressible bytes;
//! 2. measures two baselines on that file: its SHA-256 computed in this process, and a plain
//!    copy of it followed by an fsync;
//! 3. uploads it once to the real `vps-publish serve` over loopback with a streaming multipart
//!    client, and prints the MiB/s and their ratio to the slower baseline (target ≥ 0.70: the
//!    server hashes and fsyncs every byte, so it cannot beat the slower of the two);
//! 4. uploads it 10 times at once, each upload in its own session, and prints the aggregate MiB/s
//!    and the server's peak RSS (`VmHWM`; target ≤ 48 MiB: memory must not grow with file size
//!    or concurrency beyond a few chunk buffers per upload);
//! 5. uploads one 10 MiB file and prints the server's peak RSS, as a floor to compare with.
//!
//! Every answer is checked: status `stored` or `deduplicated`, and the SHA-256 of step 2. Each
//! of steps 3 to 5 gets a fresh server with a fresh data directory, so that each peak RSS is that
//! step's alone. The server's environment is cleared but for its API key, its limits and
//! `RUST_LOG`. All files live in a scratch directory that is deleted at the end; it needs about
//! (concurrency + 2) × size free, 12 GiB with the defaults.
//!
//! Run it from the workspace root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/ingest-bench
//! ```
//!
//! Options: `--size-mib N` (default 1024), `--concurrency N` (default 10), `--dir PATH` (where to
//! create the scratch directory; default the system's temp directory).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::future::try_join_all;
use tokio::runtime::Runtime;
use vps_bench::api::Api;
use vps_bench::server::{Server, server_binary};
use vps_bench::testfile::{TestFile, sha256_file, write_mp4};
use vps_bench::{MIB, Result, mib_per_s, scratch_dir, value, verdict};

const USAGE: &str = "usage: ingest-bench [--size-mib N] [--concurrency N] [--dir PATH]

  --size-mib N      size of the large test file, in MiB (default 1024)
  --concurrency N   number of simultaneous uploads of it (default 10)
  --dir PATH        where to create the scratch directory (default: the system's temp directory)

Needs the release build of the server next to it:
  cargo build --release -p vps-publish -p vps-bench && target/release/ingest-bench";

/// Buffer of the copy baseline, as large as that of the SHA-256 one ([`sha256_file`]).
const IO_BUFFER: usize = 1024 * 1024;
const SMALL_FILE_MIB: u64 = 10;

const API_KEY: &str = "ingest-bench-api-key";

const RATIO_TARGET: f64 = 0.70;
const PEAK_RSS_TARGET_MIB: f64 = 48.0;
/// Width of the label column of the report.
const LABEL: usize = 32;

fn main() -> ExitCode {
    let result = Options::parse(std::env::args().skip(1)).and_then(run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ingest-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    size_mib: u64,
    concurrency: usize,
    dir: Option<PathBuf>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self { size_mib: 1024, concurrency: 10, dir: None };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--size-mib" => options.size_mib = value(&mut args, &arg)?,
                "--concurrency" => options.concurrency = value(&mut args, &arg)?,
                "--dir" => options.dir = Some(value(&mut args, &arg)?),
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
            }
        }
        if options.size_mib == 0 || options.concurrency == 0 {
            return Err("--size-mib and --concurrency must be at least 1".into());
        }
        Ok(options)
    }
}

/// The figures of one run, printed once everything is measured.
struct Report {
    size_mib: u64,
    concurrency: usize,
    upload: Measured,
    sha256_mib_s: f64,
    copy_mib_s: f64,
    concurrent: Measured,
    small_peak_rss_mib: f64,
}

/// One scenario against one server: throughput of its uploads, and the server's peak RSS.
struct Measured {
    mib_s: f64,
    peak_rss_mib: f64,
}

fn run(options: Options) -> Result<()> {
    let binary = server_binary()?;
    let scratch = scratch_dir("ingest-bench", options.dir.as_deref())?;
    let runtime = Runtime::new()?;
    let size = options.size_mib * MIB;

    progress(&format!("writing a {} test file in {}", size_label(options.size_mib), scratch.path().display()));
    let large_path = scratch.path().join("large.mp4");
    write_mp4(&large_path, size, size)?;

    progress("measuring the baselines: SHA-256 in-process, then copy + fsync");
    let (sha256, sha256_time) = timed(|| sha256_file(&large_path))?;
    let copy_path = scratch.path().join("copy.mp4");
    let ((), copy_time) = timed(|| copy_with_fsync(&large_path, &copy_path))?;
    std::fs::remove_file(&copy_path)?;
    let large = TestFile { path: large_path, len: size, sha256 };

    progress("uploading it once");
    let upload = run_scenario(&runtime, &binary, &scratch.path().join("server-single"), &large, 1)?;
    progress(&format!("uploading it {} times at once", options.concurrency));
    let concurrent =
        run_scenario(&runtime, &binary, &scratch.path().join("server-concurrent"), &large, options.concurrency)?;

    progress(&format!("uploading a {SMALL_FILE_MIB} MiB file"));
    let small_path = scratch.path().join("small.mp4");
    write_mp4(&small_path, SMALL_FILE_MIB * MIB, SMALL_FILE_MIB * MIB)?;
    let small = TestFile { sha256: sha256_file(&small_path)?, path: small_path, len: SMALL_FILE_MIB * MIB };
    let small_run = run_scenario(&runtime, &binary, &scratch.path().join("server-small"), &small, 1)?;

    Report {
        size_mib: options.size_mib,
        concurrency: options.concurrency,
        upload,
        sha256_mib_s: mib_per_s(size, sha256_time),
        copy_mib_s: mib_per_s(size, copy_time),
        concurrent,
        small_peak_rss_mib: small_run.peak_rss_mib,
    }
    .print();
    Ok(())
}

impl Report {
    fn print(&self) {
        let size = size_label(self.size_mib);
        let upload = &self.upload;
        let ratio = upload.mib_s / self.sha256_mib_s.min(self.copy_mib_s);
        let ratio_verdict = verdict(ratio >= RATIO_TARGET);
        let concurrent = &self.concurrent;
        let rss_verdict = verdict(concurrent.peak_rss_mib <= PEAK_RSS_TARGET_MIB);

        let label = format!("upload {size} (1 stream)");
        println!("{label:<LABEL$}{:>8.1} MiB/s, server peak RSS {:.1} MiB", upload.mib_s, upload.peak_rss_mib);
        println!("{:<LABEL$}{:>8.1} MiB/s", "sha256 in-process", self.sha256_mib_s);
        println!("{:<LABEL$}{:>8.1} MiB/s", "copy + fsync", self.copy_mib_s);
        println!(
            "{:<LABEL$}{ratio:>8.2}  (target >= {RATIO_TARGET:.2}: {ratio_verdict})",
            "ratio upload / slower baseline"
        );
        let label = format!("{} x {size} concurrent", self.concurrency);
        println!(
            "{label:<LABEL$}{:>8.1} MiB/s aggregate, server peak RSS {:.1} MiB (target <= {PEAK_RSS_TARGET_MIB} MiB: {rss_verdict})",
            concurrent.mib_s, concurrent.peak_rss_mib,
        );
        let label = format!("1 x {SMALL_FILE_MIB} MiB");
        println!("{label:<LABEL$}server peak RSS {:.1} MiB", self.small_peak_rss_mib);
    }
}

fn size_label(mib: u64) -> String {
    if mib.is_multiple_of(1024) { format!("{} GiB", mib / 1024) } else { format!("{mib} MiB") }
}

fn progress(message: &str) {
    eprintln!("ingest-bench: {message}");
}

fn timed<T>(work: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let start = Instant::now();
    let value = work()?;
    Ok((value, start.elapsed()))
}

// ---------------------------------------------------------------------------------------------
// The baselines: 1 is `sha256_file` (also the hash that every upload's answer must carry)

/// Baseline 2: a read/write loop, then fsync.
fn copy_with_fsync(from: &Path, to: &Path) -> Result<()> {
    let mut input = File::open(from)?;
    let mut output = File::create(to)?;
    let mut buffer = vec![0; IO_BUFFER];
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        output.write_all(&buffer[..n])?;
    }
    output.sync_all()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The server and its client

/// Starts a fresh server in `data_dir`, sends `uploads` uploads of `file` at once, reads the
/// server's peak RSS, stops it and deletes `data_dir`.
fn run_scenario(
    runtime: &Runtime,
    binary: &Path,
    data_dir: &Path,
    file: &TestFile,
    uploads: usize,
) -> Result<Measured> {
    let server =
        Server::start(binary, data_dir, API_KEY, &[("MAX_ASSET_SIZE_BYTES", "2gb"), ("MAX_REQUEST_BYTES", "16gb")])?;
    let api = Api::new(&server.base_url, API_KEY)?.with_method_in_errors();
    let elapsed = runtime.block_on(upload_concurrently(api, file, uploads))?;
    let peak_rss_mib = server.peak_rss_mib()?;
    server.stop()?;
    std::fs::remove_dir_all(data_dir)?;
    Ok(Measured { mib_s: mib_per_s(file.len * uploads as u64, elapsed), peak_rss_mib })
}

/// Starts one session per upload, then all the uploads together; returns the time from their
/// start to the last answer.
async fn upload_concurrently(api: Api, file: &TestFile, uploads: usize) -> Result<Duration> {
    let mut sessions = Vec::with_capacity(uploads);
    for _ in 0..uploads {
        sessions.push(api.start_session().await?);
    }
    let start = Instant::now();
    let tasks = sessions.into_iter().enumerate().map(|(i, session)| {
        let (api, file) = (api.clone(), file.clone());
        tokio::spawn(async move { api.upload(&session, &format!("video-{i}.mp4"), &file).await })
    });
    for result in try_join_all(tasks).await? {
        result?;
    }
    Ok(start.elapsed())
}
