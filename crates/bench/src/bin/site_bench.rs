//! `site-bench`: how fast the real server serves a published site to readers.
//!
//! It starts the release server (`vps-publish serve`, fresh data directory, only warnings logged
//! but for its `listening on` line), publishes a vault through the plugin's protocol (by default
//! `../shared/vaults/obsidian-help-en`, only read; [`vps_testkit::vault::scan`] and
//! [`vps_testkit::Plugin`]), then:
//!
//! 1. load-tests one page with [`wrk`](https://github.com/wg/wrk): 2 threads, 50 connections,
//!    10 s, `--latency`, and prints requests per second and the p99 latency from wrk's report.
//!    When `wrk` is missing it is installed with `apt-get` (Debian `wrk`) if that is possible,
//!    otherwise the bench says how to install it and skips this part;
//! 2. measures search: 200 sequential `GET /search?q=<term>` over a mix of terms (one at a time,
//!    each timed from sending to the last body byte) and prints p50 / p99 (target p99 ≤ 50 ms).
//!    A server without search (404 on `/search`) gets "search not available".
//!
//! The client and the server share the machine, so wrk's figures are a floor of what the server
//! can do. Run it from the workspace root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/site-bench
//! ```
//!
//! Options: `--vault PATH`, `--page ROUTE` (default `/editing-and-formatting/basic-formatting-syntax`),
//! `--seconds N` (wrk's duration, default 10), `--searches N` (default 200).

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use vps_bench::server::{Server, server_binary};
use vps_bench::{Result, default_vault, value, verdict};
use vps_testkit::Plugin;

const USAGE: &str = "usage: site-bench [--vault PATH] [--page ROUTE] [--seconds N] [--searches N]

  --vault PATH   the vault to publish (default: ../shared/vaults/obsidian-help-en, relative to the
                 workspace root); it is only read
  --page ROUTE   the page wrk loads (default /editing-and-formatting/basic-formatting-syntax)
  --seconds N    how long wrk runs (default 10)
  --searches N   sequential search requests (default 200)

Needs the release build of the server next to it, and wrk (installed with apt-get when missing):
  cargo build --release -p vps-publish -p vps-bench && target/release/site-bench";

const DEFAULT_PAGE: &str = "/editing-and-formatting/basic-formatting-syntax";
const API_KEY: &str = "site-bench-api-key";
const WRK_THREADS: u32 = 2;
const WRK_CONNECTIONS: u32 = 50;
/// A mix of common, rarer, accented and absent words.
const SEARCH_TERMS: &[&str] = &["link", "callout", "canvas", "embed", "été", "sync plugin", "zzzqqq"];
const SEARCH_TARGET: Duration = Duration::from_millis(50);
const LABEL: usize = 24;

fn main() -> ExitCode {
    match Options::parse(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("site-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    vault: PathBuf,
    page: String,
    seconds: u32,
    searches: usize,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self { vault: default_vault(), page: DEFAULT_PAGE.to_owned(), seconds: 10, searches: 200 };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--vault" => options.vault = value(&mut args, &arg)?,
                "--page" => options.page = value(&mut args, &arg)?,
                "--seconds" => options.seconds = value(&mut args, &arg)?,
                "--searches" => options.searches = value(&mut args, &arg)?,
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
            }
        }
        if options.seconds == 0 || options.searches == 0 {
            return Err("--seconds and --searches must be at least 1".into());
        }
        if !options.page.starts_with('/') {
            options.page.insert(0, '/');
        }
        Ok(options)
    }
}

fn progress(message: &str) {
    eprintln!("site-bench: {message}");
}

fn run(options: Options) -> Result<()> {
    let binary = server_binary()?;
    let vault = vps_testkit::vault::scan(&options.vault).map_err(|e| format!("cannot read the vault: {e}"))?;
    let data_dir = tempfile::Builder::new().prefix("site-bench-").tempdir()?;
    let server = Server::start(&binary, data_dir.path(), API_KEY, &[("RUST_LOG", "warn,vps_publish=info")])?;
    let runtime = tokio::runtime::Runtime::new()?;
    let client = reqwest::Client::builder().no_proxy().build()?;

    progress(&format!("publishing {} notes and {} assets", vault.notes.len(), vault.assets.len()));
    let started = Instant::now();
    let plugin = Plugin::new(&server.base_url, API_KEY);
    runtime.block_on(plugin.publish(&vault.note_payloads(), &vault.asset_payloads()));
    let published = started.elapsed();
    println!(
        "{:<LABEL$}{} notes, {} assets in {:.2} s",
        "published",
        vault.notes.len(),
        vault.assets.len(),
        published.as_secs_f64()
    );

    let page_url = format!("{}{}", server.base_url, options.page);
    let (status, bytes) = runtime.block_on(async {
        let response = client.get(&page_url).send().await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.bytes().await?.len()))
    })?;
    if status != StatusCode::OK {
        return Err(format!("GET {} answered {status}; choose another --page", options.page).into());
    }

    match ensure_wrk() {
        Ok(()) => {
            progress(&format!("wrk on {} for {} s", options.page, options.seconds));
            let report = wrk(&page_url, options.seconds)?;
            println!(
                "{:<LABEL$}{:.0} requests/s, p99 {}   (GET {}, {bytes} B; {} threads, {} connections, {} s{})",
                "page load (wrk)",
                report.requests_per_sec,
                report.p99.map_or("?".to_owned(), |p99| format!("{:.2} ms", p99.as_secs_f64() * 1e3)),
                options.page,
                WRK_THREADS,
                WRK_CONNECTIONS,
                options.seconds,
                report.errors.map(|errors| format!("; {errors}")).unwrap_or_default(),
            );
        }
        Err(why) => println!("{:<LABEL$}skipped: {why}", "load test (wrk)"),
    }

    runtime.block_on(search(&client, &server.base_url, options.searches))?;
    server.stop()?;
    Ok(())
}

/// `wrk` on the PATH, installed with apt-get when it is missing and that is possible.
fn ensure_wrk() -> std::result::Result<(), String> {
    let found = || Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if found() {
        return Ok(());
    }
    let how = "install it with `sudo apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS) \
               or from https://github.com/wg/wrk";
    let root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    let apt = Command::new("apt-get").arg("--version").stdout(Stdio::null()).status().is_ok();
    if !(root && apt) {
        return Err(format!("wrk is not installed; {how}"));
    }
    progress("installing wrk with apt-get");
    let installed = Command::new("sh")
        .args(["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if installed && found() { Ok(()) } else { Err(format!("apt-get could not install wrk; {how}")) }
}

struct WrkReport {
    requests_per_sec: f64,
    p99: Option<Duration>,
    /// wrk's socket errors and non-2xx/3xx count, when it reports any.
    errors: Option<String>,
}

fn wrk(url: &str, seconds: u32) -> Result<WrkReport> {
    let output = Command::new("wrk")
        .args([
            format!("-t{WRK_THREADS}"),
            format!("-c{WRK_CONNECTIONS}"),
            format!("-d{seconds}s"),
            "--latency".to_owned(),
            url.to_owned(),
        ])
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!("wrk failed ({}): {text}{}", output.status, String::from_utf8_lossy(&output.stderr)).into());
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's report:\n{text}").into())
}

fn parse_wrk(text: &str) -> Option<WrkReport> {
    let mut report = WrkReport { requests_per_sec: f64::NAN, p99: None, errors: None };
    let mut errors = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rate) = line.strip_prefix("Requests/sec:") {
            report.requests_per_sec = rate.trim().parse().ok()?;
        } else if let Some(p99) = line.strip_prefix("99%") {
            report.p99 = parse_wrk_duration(p99.trim());
        } else if line.starts_with("Socket errors:") || line.starts_with("Non-2xx or 3xx responses:") {
            errors.push(line.to_owned());
        }
    }
    if !errors.is_empty() {
        report.errors = Some(errors.join("; "));
    }
    report.requests_per_sec.is_finite().then_some(report)
}

/// `250.00us`, `5.00ms`, `1.20s`, `2.00m`.
fn parse_wrk_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

/// Sequential searches over [`SEARCH_TERMS`]; p50 / p99 of the answers.
async fn search(client: &reqwest::Client, base_url: &str, count: usize) -> Result<()> {
    let url = |term: &str| format!("{base_url}/search?q={}", vps_core::url::encode_path(term));
    let probe = client.get(url(SEARCH_TERMS[0])).send().await?;
    if probe.status() == StatusCode::NOT_FOUND {
        println!("{:<LABEL$}search not available (GET /search answers 404)", "search");
        return Ok(());
    }
    let mut times = Vec::with_capacity(count);
    let mut failures = 0;
    for i in 0..count {
        let term = SEARCH_TERMS[i % SEARCH_TERMS.len()];
        let started = Instant::now();
        let response = client.get(url(term)).send().await?;
        let ok = response.status().is_success();
        response.bytes().await?;
        times.push(started.elapsed());
        failures += usize::from(!ok);
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    let (p50, p99) = (at(0.50), at(0.99));
    println!(
        "{:<LABEL$}p50 {:.2} ms, p99 {:.2} ms over {count} sequential requests ({} terms{})   target p99 <= {} ms: {}",
        "search",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        SEARCH_TERMS.len(),
        if failures > 0 { format!(", {failures} not 2xx") } else { String::new() },
        SEARCH_TARGET.as_millis(),
        verdict(p99 <= SEARCH_TARGET && failures == 0)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_reports_are_read() {
        let report = "Running 10s test @ http://127.0.0.1:1/x
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   635.91us    0.89ms  12.92ms   93.69%
    Req/Sec    56.20k     8.07k   62.00k    86.54%
  Latency Distribution
     50%  250.00us
     75%  491.00us
     90%  700.00us
     99%    5.00ms
  2243502 requests in 10.00s, 1.64GB read
  Non-2xx or 3xx responses: 12
Requests/sec: 224317.25
Transfer/sec:    168.22MB
";
        let parsed = parse_wrk(report).unwrap();
        assert_eq!(parsed.requests_per_sec, 224317.25);
        assert_eq!(parsed.p99, Some(Duration::from_millis(5)));
        assert_eq!(parsed.errors.as_deref(), Some("Non-2xx or 3xx responses: 12"));
        assert_eq!(parse_wrk_duration("250.00us"), Some(Duration::from_micros(250)));
        assert_eq!(parse_wrk_duration("1.50s"), Some(Duration::from_millis(1500)));
        assert!(parse_wrk("garbage").is_none());
    }
}
