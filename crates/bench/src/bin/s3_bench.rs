//! `s3-bench`: a large upload through the real server into S3-compatible storage, and back out,
//! next to the same on the filesystem store, in one run on the machine it runs on.
//!
//! 1. writes a 1 GiB test file (an MP4 header, then incompressible bytes);
//! 2. starts a real S3 server on loopback (s3s-fs, as the tests do: `scripts/test.sh` installs
//!    it; or the one `VPS_TEST_S3_ENDPOINT` names) with a bucket;
//! 3. for each store — the filesystem, then the bucket — starts `vps-publish serve` with a fresh
//!    data directory, uploads the file with a streaming multipart client (the answer's SHA-256 is
//!    checked), then GETs `/_blob/<sha256>` and counts the bytes (length and ETag checked), and
//!    prints both throughputs and the server's peak RSS (`VmHWM`; target with S3 ≤ 96 MiB: the
//!    server holds a few 8 MiB parts, whatever the file's size). The bucket is measured twice:
//!    with the file's `Content-Digest` declared, as `vps-publish publish` sends it (the upload
//!    streams straight to the blob's key), and without, as the Obsidian plugin sends it (to a temp
//!    key, copied under the hash once it is known);
//! 4. measures the S3 server alone, as a ceiling: a 1 GiB PUT and GET with its own client.
//!
//! The S3 server runs on the same machine and writes the bytes to the same disk: the S3 figures
//! include its work (s3s-fs writes a multipart upload's parts, then joins them into the object:
//! the bytes are written twice; a copy writes them once more).
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/s3-bench
//! ```
//!
//! Options: `--size-mib N` (default 1024), `--dir PATH` (where to create the scratch directory).

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use tokio::runtime::Runtime;
use vps_bench::api::Api;
use vps_bench::server::{Server, server_binary};
use vps_bench::testfile::{TestFile, sha256_file, write_mp4};
use vps_bench::{FileOptions, MIB, Result, mib_per_s, scratch_dir, verdict};
use vps_testkit::s3::S3Server;

const USAGE: &str = "usage: s3-bench [--size-mib N] [--dir PATH]

  --size-mib N   size of the test file, in MiB (default 1024)
  --dir PATH     where to create the scratch directory (default: the system's temp directory)

Needs the release build of the server next to it, and s3s-fs (scripts/test.sh installs it):
  cargo build --release -p vps-publish -p vps-bench && target/release/s3-bench";

const API_KEY: &str = "s3-bench-api-key";
/// Room for the test file and its multipart framing.
const LIMITS: [(&str, &str); 2] = [("MAX_ASSET_SIZE_BYTES", "8gb"), ("MAX_REQUEST_BYTES", "8gb")];
const PEAK_RSS_TARGET_MIB: f64 = 96.0;
/// Width of the label column of the report.
const LABEL: usize = 38;

fn main() -> ExitCode {
    match FileOptions::parse(std::env::args().skip(1), 1024, USAGE).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("s3-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One store's figures.
struct Measured {
    upload_mib_s: f64,
    get_mib_s: f64,
    peak_rss_mib: f64,
}

fn run(options: FileOptions) -> Result<()> {
    let binary = server_binary()?;
    let scratch = scratch_dir("s3-bench", options.dir.as_deref())?;
    let runtime = Runtime::new()?;
    let size = options.size_mib * MIB;

    progress(&format!("writing a {} MiB test file in {}", options.size_mib, scratch.path().display()));
    let path = scratch.path().join("large.mp4");
    write_mp4(&path, size, size)?;
    let file = TestFile { sha256: sha256_file(&path)?, path, len: size };

    progress("starting the S3 server");
    let s3 = S3Server::start()?;
    progress("filesystem store: upload, then GET");
    let fs = measure(&runtime, &binary, &scratch.path().join("server-fs"), &file, &LIMITS, true)?;
    progress(&format!("S3 store ({}): upload with a declared digest, then GET", s3.endpoint()));
    let env = s3.env();
    let env: Vec<(&str, &str)> =
        env.iter().map(|(name, value)| (name.as_str(), value.as_str())).chain(LIMITS).collect();
    let on_s3 = measure(&runtime, &binary, &scratch.path().join("server-s3"), &file, &env, true)?;
    progress("S3 store: upload without a digest (a temp key, then a copy)");
    let undeclared = S3Server::start()?;
    let env = undeclared.env();
    let env: Vec<(&str, &str)> =
        env.iter().map(|(name, value)| (name.as_str(), value.as_str())).chain(LIMITS).collect();
    let plugin_style = measure(&runtime, &binary, &scratch.path().join("server-s3-plugin"), &file, &env, false)?;
    progress("the S3 server alone: PUT and GET with its own client");
    let ceiling = runtime.block_on(s3_alone(&s3, &file))?;

    let size_label = if options.size_mib.is_multiple_of(1024) {
        format!("{} GiB", options.size_mib / 1024)
    } else {
        format!("{} MiB", options.size_mib)
    };
    for (store, measured) in [("filesystem", &fs), ("S3, digest declared", &on_s3), ("S3, no digest", &plugin_style)] {
        let label = format!("{store}: upload {size_label}");
        println!(
            "{label:<LABEL$}{:>8.1} MiB/s, server peak RSS {:.1} MiB",
            measured.upload_mib_s, measured.peak_rss_mib
        );
        let label = format!("{store}: GET {size_label}");
        println!("{label:<LABEL$}{:>8.1} MiB/s", measured.get_mib_s);
    }
    let label = format!("s3s-fs alone: PUT, GET {size_label}");
    println!("{label:<LABEL$}{:>8.1} MiB/s, {:.1} MiB/s", ceiling.0, ceiling.1);
    println!(
        "{:<LABEL$}{:>8.2}  upload, {:.2} GET",
        "ratio S3 (declared) / filesystem",
        on_s3.upload_mib_s / fs.upload_mib_s,
        on_s3.get_mib_s / fs.get_mib_s
    );
    println!(
        "{:<LABEL$}{:>8.2}  upload, {:.2} GET",
        "ratio S3 (declared) / s3s-fs alone",
        on_s3.upload_mib_s / ceiling.0,
        on_s3.get_mib_s / ceiling.1
    );
    let peak = on_s3.peak_rss_mib.max(plugin_style.peak_rss_mib);
    println!(
        "{:<LABEL$}{peak:.1} MiB (target <= {PEAK_RSS_TARGET_MIB} MiB: {})",
        "S3 server peak RSS (worst of two)",
        verdict(peak <= PEAK_RSS_TARGET_MIB)
    );
    Ok(())
}

/// Starts a server with `env`, uploads `file`, GETs it back, stops the server.
fn measure(
    runtime: &Runtime,
    binary: &Path,
    data_dir: &Path,
    file: &TestFile,
    env: &[(&str, &str)],
    declare: bool,
) -> Result<Measured> {
    let server = Server::start(binary, data_dir, API_KEY, env)?;
    let api = Api::new(&server.base_url, API_KEY)?;
    let (upload_time, get_time) = runtime.block_on(async {
        let session = api.start_session().await?;
        let started = Instant::now();
        api.upload_declaring(&session, "large.mp4", file, declare).await?;
        let upload_time = started.elapsed();
        api.publish(&session).await?; // only what is published is served
        let get_time = download(&api, file).await?;
        Result::Ok((upload_time, get_time))
    })?;
    let peak_rss_mib = server.peak_rss_mib()?;
    server.stop()?;
    Ok(Measured {
        upload_mib_s: mib_per_s(file.len, upload_time),
        get_mib_s: mib_per_s(file.len, get_time),
        peak_rss_mib,
    })
}

/// GETs the blob and counts its bytes as they arrive; how long that took.
async fn download(api: &Api, file: &TestFile) -> Result<Duration> {
    let started = Instant::now();
    let response = api.client().get(format!("{}/_blob/{}", api.base_url(), file.sha256)).send().await?;
    if !response.status().is_success() {
        return Err(format!("GET /_blob answered {}", response.status()).into());
    }
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if etag != format!("\"{}\"", file.sha256) {
        return Err(format!("GET /_blob answered the ETag {etag:?}").into());
    }
    let mut received = 0u64;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.try_next().await? {
        received += chunk.len() as u64;
    }
    if received != file.len {
        return Err(format!("GET /_blob sent {received} bytes of {}", file.len).into());
    }
    Ok(started.elapsed())
}

fn progress(message: &str) {
    eprintln!("s3-bench: {message}");
}

/// A PUT of `file` (streamed from disk, as a multipart upload of 8 MiB parts, 2 in flight, as the
/// server sends it) and a GET of it, straight to the S3 server with object_store: MiB/s of each.
async fn s3_alone(s3: &S3Server, file: &TestFile) -> Result<(f64, f64)> {
    use object_store::{ObjectStoreExt, WriteMultipart};

    let store = s3.client();
    let key = s3.key("alone/large.mp4");
    let started = Instant::now();
    let mut writer = WriteMultipart::new_with_chunk_size(store.put_multipart(&key).await?, 8 * MIB as usize);
    let mut reader = tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::open(&file.path).await?, 256 * 1024);
    while let Some(chunk) = reader.try_next().await? {
        writer.wait_for_capacity(2).await?;
        writer.write(&chunk);
    }
    writer.finish().await?;
    let put = mib_per_s(file.len, started.elapsed());
    let started = Instant::now();
    let mut body = store.get(&key).await?.into_stream();
    let mut received = 0u64;
    while let Some(chunk) = body.try_next().await? {
        received += chunk.len() as u64;
    }
    if received != file.len {
        return Err(format!("the S3 server sent {received} bytes of {}", file.len).into());
    }
    Ok((put, mib_per_s(file.len, started.elapsed())))
}
