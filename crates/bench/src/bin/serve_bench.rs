//! `serve-bench`: how fast the real server serves a published site to readers, next to nginx
//! serving the same bytes, in one run on the machine it runs on.
//!
//! 1. Starts the release server (`vps-publish serve`, fresh data directory, filesystem store,
//!    logging at the default level, `info`) and publishes a vault to it through the plugin's
//!    protocol (by default `../shared/vaults/obsidian-help-en`, only read; [`vps_testkit::vault`]
//!    and [`vps_testkit::Plugin`]).
//! 2. Fetches from it one page's identity bytes (`--page`), its brotli bytes (`Accept-Encoding:
//!    br`) and a PNG (`--png`, by default the published PNG closest to 24 KiB, at
//!    `/_blob/<sha256>`), and writes them into the root of an nginx ([`vps_bench::static_nginx`]:
//!    Debian's nginx, installed with apt-get when missing; master + one worker per core, no access
//!    log) at the same paths: the page, `PAGE.gz` beside it (gzip -9 of the same bytes, served by
//!    `gzip_static on`) and `PAGE.br` (served by `brotli_static on` when Debian's
//!    `libnginx-mod-http-brotli-static` is, or can be, installed; the report says which).
//! 3. For each row, probes both servers (status, `Content-Encoding`, body size are printed)
//!    then runs [wrk](https://github.com/wg/wrk) (`-t2 -c32 -d8s --latency` by default;
//!    installed with apt-get when missing) on them interleaved — ours, nginx, nginx, ours, each
//!    run half the seconds, so that both meet the same changes of the machine's load — and
//!    prints requests/s (the mean of the two runs), p99 (the worse) and CPU time per request
//!    (user + system of the server's processes, from `/proc`: the figure other load disturbs
//!    least) of ours and of nginx, and the ratio ours / nginx (target ≥ 0.9):
//!    - the page with no `Accept-Encoding`, with `gzip`, and with a browser's
//!      `gzip, deflate, br, zstd`;
//!    - a 304 revalidation: the browser's `Accept-Encoding` and `If-None-Match` with the ETag
//!      each server gave for that representation;
//!    - the PNG.
//!
//!    Around our runs of each row it reads `/metrics` and prints how much `vps_store_blob_reads_total`,
//!    `vps_blob_cache_hits_total` / `vps_blob_cache_misses_total` and
//!    `vps_request_compressions_total` grew ("n/a (metric missing)" on a server without them).
//! 4. Runs the page rows again (with nginx again, interleaved) on our server restarted on the
//!    same data with the request log off (`RUST_LOG=warn,vps_publish=info`: its `listening on`
//!    line only), to show what the log at `info` costs a page view (compare the CPU per request).
//! 5. Search: 200 sequential `GET /search?q=<term>` over a mix of terms, p50 / p99 (target p99 ≤
//!    50 ms); a server without search gets "search not available".
//! 6. The same page rows against our server on an S3 store (s3s-fs on loopback as the tests start
//!    it, [`vps_testkit::s3`]; `STORAGE=s3`), the vault published to it the same way, nginx
//!    interleaved again; each row is warmed up by two requests, then the store GETs made during
//!    the wrk runs are counted from
//!    `vps_store_blob_reads_total` (target: 0 after warm-up), with the cache hits and misses.
//!    `--no-s3` skips this part.
//! 7. Access control: the server restarted on a new data directory with an `[access]` table that
//!    protects one folder of the vault for a reader's group, the vault published again; the reader
//!    logs in through the form; then the public `--page` (no cookie) and a protected page (the
//!    reader's cookie) run interleaved, and the ratio protected / public is printed (target ≥
//!    0.8). `--no-access` skips this part.
//!
//! The client (wrk) and both servers share the machine's cores, so every figure is a floor of
//! what a server can do; the ratios are what this benchmark is about. Run it from the workspace
//! root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/serve-bench
//! ```
//!
//! Options: `--vault PATH`, `--page ROUTE` (default `/editing-and-formatting/basic-formatting-syntax`),
//! `--png ROUTE`, `--threads N`, `--connections N`, `--seconds N` (wrk's, default 2, 32, 8),
//! `--searches N` (default 200), `--no-s3`, `--no-warn-run`, `--no-access`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use tokio::runtime::Runtime;
use vps_bench::metrics::{BLOB_CACHE_HITS, BLOB_CACHE_MISSES, REQUEST_COMPRESSIONS, STORE_BLOB_READS, Scrape};
use vps_bench::server::{Server, server_binary};
use vps_bench::static_nginx::{self, StaticNginx};
use vps_bench::wrk::{self, Report, Wrk};
use vps_bench::{Result, bytes_label, default_vault, ok_missed, search, value};
use vps_testkit::Plugin;
use vps_testkit::s3::S3Server;

const USAGE: &str = "usage: serve-bench [--vault PATH] [--page ROUTE] [--png ROUTE] [--threads N] [--connections N]
                   [--seconds N] [--searches N] [--no-s3] [--no-warn-run]

  --vault PATH       the vault to publish (default: ../shared/vaults/obsidian-help-en, relative to
                     the workspace root); it is only read
  --page ROUTE       the page (default /editing-and-formatting/basic-formatting-syntax)
  --png ROUTE        the image, e.g. /_blob/<sha256> (default: the published PNG closest to 24 KiB)
  --threads N        wrk -t (default 2)
  --connections N    wrk -c (default 32)
  --seconds N        wrk -d, per row and server (default 8)
  --searches N       sequential search requests (default 200)
  --no-s3            skip the rows on an S3 store
  --no-warn-run      skip the rows with the request log off
  --no-access        skip the public / protected page rows (access control)

Needs the release build of the server next to it, wrk and nginx (both installed with apt-get
when missing), and s3s-fs for the S3 rows (scripts/test.sh installs it):
  cargo build --release -p vps-publish -p vps-bench && target/release/serve-bench";

const DEFAULT_PAGE: &str = "/editing-and-formatting/basic-formatting-syntax";
const API_KEY: &str = "serve-bench-api-key";
/// What browsers send (Chromium, Firefox).
const BROWSER: &str = "gzip, deflate, br, zstd";
const PNG_SIZE_HINT: u64 = 24 * 1024;
const RATIO_TARGET: f64 = 0.9;
/// A mix of common, rarer, accented and absent words.
const SEARCH_TERMS: &[&str] = &["link", "callout", "canvas", "embed", "été", "sync plugin", "zzzqqq"];
/// The request log off, but for the line that says where the server listens.
const QUIET_LOG: &str = "warn,vps_publish=info";
const LABEL: usize = 30;
/// How [`StaticNginx`] runs, for the report.
const NGINX_SHAPE: &str = "worker_processes auto, access_log off, sendfile on, keepalive_requests 1000000";

fn main() -> ExitCode {
    match Options::parse(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("serve-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    vault: PathBuf,
    page: String,
    png: Option<String>,
    wrk: Wrk,
    searches: usize,
    s3: bool,
    warn_run: bool,
    access: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self {
            vault: default_vault(),
            page: DEFAULT_PAGE.to_owned(),
            png: None,
            wrk: Wrk { threads: 2, connections: 32, seconds: 8 },
            searches: 200,
            s3: true,
            warn_run: true,
            access: true,
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--vault" => options.vault = value(&mut args, &arg)?,
                "--page" => options.page = value(&mut args, &arg)?,
                "--png" => options.png = Some(value(&mut args, &arg)?),
                "--threads" => options.wrk.threads = value(&mut args, &arg)?,
                "--connections" => options.wrk.connections = value(&mut args, &arg)?,
                "--seconds" => options.wrk.seconds = value(&mut args, &arg)?,
                "--searches" => options.searches = value(&mut args, &arg)?,
                "--no-s3" => options.s3 = false,
                "--no-warn-run" => options.warn_run = false,
                "--no-access" => options.access = false,
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
            }
        }
        let wrk = options.wrk;
        if wrk.threads == 0 || wrk.connections < wrk.threads || wrk.seconds == 0 || options.searches == 0 {
            return Err(
                "--threads, --seconds and --searches must be at least 1, --connections at least --threads".into()
            );
        }
        options.vault = options
            .vault
            .canonicalize()
            .map_err(|e| format!("cannot open the vault {}: {e}", options.vault.display()))?;
        for route in [Some(&mut options.page), options.png.as_mut()].into_iter().flatten() {
            if !route.starts_with('/') {
                route.insert(0, '/');
            }
        }
        Ok(options)
    }
}

fn progress(message: &str) {
    eprintln!("serve-bench: {message}");
}

/// One kind of request, made to both servers.
struct Row {
    label: &'static str,
    /// The route, not percent-encoded.
    route: String,
    accept_encoding: Option<&'static str>,
    /// Revalidate with the ETag this server gives for the representation.
    revalidate: bool,
}

/// What one server answered to one row's probe, and wrk's figures.
struct Measured {
    answer: Answer,
    /// Its wrk runs as one ([`Report::combine`]).
    report: Report,
    /// The server's CPU time (user + system, all its processes) per answered request.
    cpu_per_request: Option<Duration>,
    /// The share of the machine's CPU that neither this server nor wrk used during its runs:
    /// other processes, and kernel work not charged to a process (the req/s of a run follow it
    /// closely on a shared machine).
    others: Option<f64>,
    /// Growth of the reader-side counters during the wrk runs (ours only).
    counters: Option<Counters>,
}

/// One server under test: where it listens, its processes (whose CPU time is read), and whether
/// it is ours (with `/metrics`).
struct Target {
    base_url: String,
    pids: Vec<u32>,
    ours: bool,
}

impl Target {
    fn ours(server: &Server) -> Self {
        Self { base_url: server.base_url.clone(), pids: vec![server.pid()], ours: true }
    }

    fn nginx(nginx: &StaticNginx) -> Self {
        Self { base_url: nginx.base_url(), pids: nginx.pids(), ours: false }
    }
}

struct Counters {
    store_reads: String,
    hits: String,
    misses: String,
    compressions: String,
    store_reads_value: Option<f64>,
}

/// A probe's answer.
struct Answer {
    status: StatusCode,
    encoding: String,
    etag: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn label(&self) -> String {
        format!("{} {} {}", self.status.as_u16(), self.encoding, bytes_label(self.body.len() as u64))
    }
}

fn run(options: Options) -> Result<()> {
    let binary = server_binary()?;
    wrk::ensure_wrk()?;
    static_nginx::ensure_nginx()?;
    let vault = vps_testkit::vault::scan(&options.vault).map_err(|e| format!("cannot read the vault: {e}"))?;
    let scratch = vps_bench::scratch_dir("serve-bench", None)?;
    let runtime = Runtime::new()?;
    let client = reqwest::Client::builder().no_proxy().build()?;

    let data_dir = scratch.path().join("data-fs");
    let server = Server::start(&binary, &data_dir, API_KEY, &[])?;
    publish(&runtime, &server, &vault)?;

    let page_path = vps_core::url::encode_path(&options.page);
    let page = runtime.block_on(probe(&client, &server.base_url, &page_path, None, None))?;
    if page.status != StatusCode::OK || page.encoding != "identity" {
        return Err(format!("GET {} answered {}; choose another --page", options.page, page.label()).into());
    }
    let br = runtime.block_on(probe(&client, &server.base_url, &page_path, Some("br"), None))?;
    let png_route = match &options.png {
        Some(route) => route.clone(),
        None => choose_png(&vault)?,
    };
    let png =
        runtime.block_on(probe(&client, &server.base_url, &vps_core::url::encode_path(&png_route), None, None))?;
    if png.status != StatusCode::OK {
        return Err(format!("GET {png_route} answered {}; choose another --png", png.label()).into());
    }

    let root = scratch.path().join("nginx-root");
    let brotli = write_nginx_root(&root, &options.page, &page.body, &br, &png_route, &png.body)?;
    let nginx = StaticNginx::start(&root, brotli.as_ref().ok().map(PathBuf::as_path))?;
    let same = runtime.block_on(probe(&client, &nginx.base_url(), &page_path, None, None))?;
    if same.body != page.body {
        return Err(format!("nginx does not serve the page's bytes: {}", same.label()).into());
    }

    let page_rows = |route: &str| {
        [
            Row {
                label: "page, no Accept-Encoding",
                route: route.to_owned(),
                accept_encoding: None,
                revalidate: false,
            },
            Row { label: "page, gzip", route: route.to_owned(), accept_encoding: Some("gzip"), revalidate: false },
            Row {
                label: "page, browser's A-E",
                route: route.to_owned(),
                accept_encoding: Some(BROWSER),
                revalidate: false,
            },
            Row {
                label: "page, 304 (browser's A-E)",
                route: route.to_owned(),
                accept_encoding: Some(BROWSER),
                revalidate: true,
            },
        ]
    };
    let mut rows: Vec<Row> = page_rows(&options.page).into_iter().collect();
    rows.push(Row { label: "PNG", route: png_route.clone(), accept_encoding: None, revalidate: false });

    println!("vault {}: {} notes, {} assets", options.vault.display(), vault.notes.len(), vault.assets.len());
    println!(
        "page {} ({} identity; our br {}), PNG {png_route} ({}); {}",
        options.page,
        bytes_label(page.body.len() as u64),
        if br.encoding == "br" { bytes_label(br.body.len() as u64) } else { format!("not sent: {}", br.label()) },
        bytes_label(png.body.len() as u64),
        options.wrk.label()
    );
    match &brotli {
        Ok(module) => println!("nginx: {NGINX_SHAPE}; gzip_static on, brotli_static on ({})", module.display()),
        Err(why) => println!("nginx: {NGINX_SHAPE}; gzip_static on; no brotli_static ({why})"),
    }
    println!();

    progress("filesystem store: wrk on each row, ours and nginx interleaved");
    let theirs = Target::nginx(&nginx);
    print_header("ours (fs store, log info)");
    for row in &rows {
        let (ours, nginx) =
            runtime.block_on(measure_pair(&client, &Target::ours(&server), &theirs, row, options.wrk))?;
        print_row(row, &ours, &nginx);
    }
    server.stop()?;

    if options.warn_run {
        progress("filesystem store, request log off: the page rows again");
        let quiet = Server::start(&binary, &data_dir, API_KEY, &[("RUST_LOG", QUIET_LOG)])?;
        println!();
        print_header(&format!("ours (fs store, RUST_LOG={QUIET_LOG})"));
        for row in rows.iter().filter(|row| !row.revalidate && row.route == options.page) {
            let (ours, nginx) =
                runtime.block_on(measure_pair(&client, &Target::ours(&quiet), &theirs, row, options.wrk))?;
            print_row(row, &ours, &nginx);
        }
        print_search(&runtime, &client, &quiet.base_url, options.searches)?;
        quiet.stop()?;
    } else {
        let again = Server::start(&binary, &data_dir, API_KEY, &[])?;
        print_search(&runtime, &client, &again.base_url, options.searches)?;
        again.stop()?;
    }

    if options.s3 {
        progress("S3 store (s3s-fs): publishing, then the page rows");
        let s3 = S3Server::start()?;
        let env = s3.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        let on_s3 = Server::start(&binary, &scratch.path().join("data-s3"), API_KEY, &env)?;
        publish(&runtime, &on_s3, &vault)?;
        println!();
        print_header("ours (S3 store, log info)");
        let mut reads = Vec::new();
        for row in page_rows(&options.page) {
            let (ours, nginx) =
                runtime.block_on(measure_pair(&client, &Target::ours(&on_s3), &theirs, &row, options.wrk))?;
            print_row(&row, &ours, &nginx);
            reads.push(ours.counters.and_then(|c| c.store_reads_value));
        }
        let total: Option<f64> = reads.iter().copied().sum();
        println!(
            "{:<LABEL$}{}   target 0 after warm-up: {}",
            "S3 store GETs during wrk",
            total.map_or("n/a (metric missing)".to_owned(), |total| format!("{total}")),
            total.map_or("n/a", |total| ok_missed(total == 0.0))
        );
        on_s3.stop()?;
    }
    if options.access {
        progress("access control: a public page and a protected page (with a reader's cookie), interleaved");
        measure_access(&runtime, &client, &binary, scratch.path(), &vault, &options)?;
    }
    let log = nginx.error_log();
    if !log.trim().is_empty() {
        println!("nginx's error log:\n{}", log.trim_end());
    }
    Ok(())
}

/// The folder the access part protects (a rule for group `team`) and the page of it measured.
const PROTECTED_FOLDER: &str = "Linking notes and files";
const PROTECTED_PAGE: &str = "/linking-notes-and-files/internal-links";

/// Part 7: the server restarted with an `[access]` table protecting [`PROTECTED_FOLDER`] for one
/// reader's group, the vault published again; a reader logs in through the form; then wrk runs
/// the public `--page` (no cookie) and [`PROTECTED_PAGE`] (the reader's cookie) with a browser's
/// `Accept-Encoding`, interleaved (public, protected, protected, public), and the ratio
/// protected / public is printed (target ≥ 0.8).
fn measure_access(
    runtime: &Runtime,
    client: &reqwest::Client,
    binary: &Path,
    scratch: &Path,
    vault: &vps_testkit::vault::Vault,
    options: &Options,
) -> Result<()> {
    const PASSWORD: &str = "bench reader password";
    let hash = vps_access::hash_password(PASSWORD)?;
    let config = scratch.join("access.toml");
    std::fs::write(
        &config,
        format!(
            "[access]\n[access.readers.reader]\npassword = \"{hash}\"\ngroups = [\"team\"]\n\n\
             [[access.rules]]\nfolder = \"{PROTECTED_FOLDER}\"\ngroups = [\"team\"]\n"
        ),
    )?;
    let config = config.to_string_lossy().into_owned();
    let server =
        Server::start(binary, &scratch.join("data-access"), API_KEY, &[("VPS_PUBLISH_CONFIG", config.as_str())])?;
    publish(runtime, &server, vault)?;
    let cookie = runtime.block_on(log_in(client, &server.base_url, "reader", PASSWORD))?;
    let public_url = format!("{}{}", server.base_url, vps_core::url::encode_path(&options.page));
    let protected_url = format!("{}{}", server.base_url, vps_core::url::encode_path(PROTECTED_PAGE));
    let anonymous = runtime.block_on(client.get(&protected_url).send())?.status();
    if anonymous != StatusCode::UNAUTHORIZED {
        return Err(format!("{PROTECTED_PAGE} answered {anonymous} without a login (expected 401)").into());
    }
    let public: Vec<(&str, &str)> = vec![("Accept-Encoding", BROWSER)];
    let protected: Vec<(&str, &str)> = vec![("Accept-Encoding", BROWSER), ("Cookie", cookie.as_str())];
    for (url, headers) in [(&public_url, &public), (&protected_url, &protected)] {
        let mut request = client.get(url.as_str());
        for (name, value) in headers.iter() {
            request = request.header(*name, *value);
        }
        let response = runtime.block_on(request.send())?;
        let status = response.status();
        let cache = response.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
        let body = runtime.block_on(response.bytes())?.len();
        println!("probe {url}: {status}, Cache-Control {cache}, {} body", bytes_label(body as u64));
        if status != StatusCode::OK {
            return Err(format!("{url} answered {status}").into());
        }
    }
    let half = Wrk { seconds: (options.wrk.seconds / 2).max(1), ..options.wrk };
    let mut runs: [Vec<Report>; 2] = [Vec::new(), Vec::new()];
    for who in [0, 1, 1, 0] {
        let (url, headers) = if who == 0 { (&public_url, &public) } else { (&protected_url, &protected) };
        runs[who].push(half.run(url, headers)?);
    }
    let [public_runs, protected_runs] = runs;
    let public = Report::combine(&public_runs).ok_or("no public runs")?;
    let protected = Report::combine(&protected_runs).ok_or("no protected runs")?;
    let ratio = protected.requests_per_sec / public.requests_per_sec;
    println!();
    println!("access control (fs store, log info; browser's Accept-Encoding)");
    println!("{:<LABEL$}{:>10.0} req/s  p99 {}", "public page, anonymous", public.requests_per_sec, public.p99_label());
    println!(
        "{:<LABEL$}{:>10.0} req/s  p99 {}",
        "protected page, reader's cookie",
        protected.requests_per_sec,
        protected.p99_label()
    );
    println!("{:<LABEL$}{ratio:>10.2}   target >= 0.8: {}", "ratio protected / public", ok_missed(ratio >= 0.8));
    server.stop()
}

/// Logs `name` in through the login form (its CSRF cookie and value); the session cookie as a
/// `Cookie` header value.
async fn log_in(client: &reqwest::Client, base_url: &str, name: &str, password: &str) -> Result<String> {
    let form = client.get(format!("{base_url}/_login")).send().await?;
    let csrf_cookie = set_cookie_value(form.headers(), "vps_csrf").ok_or("the login page set no CSRF cookie")?;
    let html = form.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).ok_or("the login page has no CSRF value")? + marker.len();
    let csrf = html[start..].split('"').next().unwrap_or_default().to_owned();
    let body = format!("name={name}&password={}&csrf={csrf}&next=/", password.replace(' ', "+"));
    let no_redirect = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build()?;
    let answer = no_redirect
        .post(format!("{base_url}/_login"))
        .header("Cookie", format!("vps_csrf={csrf_cookie}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    let session = set_cookie_value(answer.headers(), "vps_session")
        .ok_or_else(|| format!("the login answered {} without a session cookie", answer.status()))?;
    Ok(format!("vps_session={session}"))
}

fn set_cookie_value(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(reqwest::header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|line| {
        let pair = line.split(';').next()?;
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name && !value.is_empty()).then(|| value.to_owned())
    })
}

fn publish(runtime: &Runtime, server: &Server, vault: &vps_testkit::vault::Vault) -> Result<()> {
    progress(&format!("publishing {} notes and {} assets", vault.notes.len(), vault.assets.len()));
    let started = Instant::now();
    let plugin = Plugin::new(&server.base_url, API_KEY);
    runtime.block_on(plugin.publish(&vault.note_payloads(), &vault.asset_payloads()));
    progress(&format!("published in {:.2} s", started.elapsed().as_secs_f64()));
    Ok(())
}

/// `/_blob/<sha256>` of the vault's PNG closest to [`PNG_SIZE_HINT`].
fn choose_png(vault: &vps_testkit::vault::Vault) -> Result<String> {
    let png = vault
        .assets
        .iter()
        .filter(|asset| asset.bytes.starts_with(b"\x89PNG"))
        .min_by_key(|asset| (asset.bytes.len() as u64).abs_diff(PNG_SIZE_HINT))
        .ok_or("the vault has no PNG; name an image with --png")?;
    Ok(format!("/_blob/{}", vps_testkit::sha256_hex(&png.bytes)))
}

/// The page, `PAGE.gz` (gzip -9), `PAGE.br` (our brotli bytes, when we sent some and the module
/// is there) and the PNG under `root`, at their routes. The brotli module's path, or why none.
fn write_nginx_root(
    root: &Path,
    page_route: &str,
    page: &[u8],
    br: &Answer,
    png_route: &str,
    png: &[u8],
) -> Result<std::result::Result<PathBuf, String>> {
    use std::io::Write;

    let file = |route: &str| root.join(route.trim_start_matches('/'));
    let page_file = file(page_route);
    std::fs::create_dir_all(page_file.parent().ok_or("the page has no folder")?)?;
    std::fs::write(&page_file, page)?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(page)?;
    let mut gz_name = page_file.clone().into_os_string();
    gz_name.push(".gz");
    std::fs::write(&gz_name, gzip.finish()?)?;
    let png_file = file(png_route);
    std::fs::create_dir_all(png_file.parent().ok_or("the image has no folder")?)?;
    std::fs::write(&png_file, png)?;
    if br.encoding != "br" {
        return Ok(Err(format!("our server sent no brotli bytes to copy ({})", br.label())));
    }
    let module = static_nginx::brotli_module();
    if module.is_ok() {
        let mut br_name = page_file.into_os_string();
        br_name.push(".br");
        std::fs::write(&br_name, &br.body)?;
    }
    Ok(module)
}

/// One request with the row's headers; its status, encoding, ETag and body.
async fn probe(
    client: &reqwest::Client,
    base_url: &str,
    path: &str,
    accept_encoding: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<Answer> {
    let mut request = client.get(format!("{base_url}{path}"));
    if let Some(accept) = accept_encoding {
        request = request.header(ACCEPT_ENCODING, accept);
    }
    if let Some(etag) = if_none_match {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let response = request.send().await?;
    let header = |name| response.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok());
    let encoding = header(CONTENT_ENCODING).unwrap_or("identity").to_owned();
    let etag = header(ETAG).map(str::to_owned);
    let status = response.status();
    Ok(Answer { status, encoding, etag, body: response.bytes().await?.to_vec() })
}

/// Measures `row` on both servers, interleaved: ours, nginx, nginx, ours, each wrk run half of
/// `--seconds` (at least 1 s), so that each server gets `--seconds` in all.
///
/// The client, both servers and whatever else runs on the machine share its cores, and that
/// load changes from one second to the next: interleaving (ABBA) puts both servers under the
/// same changes, so that the ratio compares the servers rather than the moments they were
/// measured at. Measuring nginx once and comparing later rows with it (the S3 rows, the request
/// log off) showed differences that were the machine's, not the servers'.
///
/// Reads each server's CPU time around its runs (per answered request: the figure that depends
/// least on what else runs) and, for ours, `/metrics` before its first run and after its last.
async fn measure_pair(
    client: &reqwest::Client,
    ours: &Target,
    nginx: &Target,
    row: &Row,
    wrk: Wrk,
) -> Result<(Measured, Measured)> {
    let half = Wrk { seconds: (wrk.seconds / 2).max(1), ..wrk };
    let targets = [ours, nginx];
    let mut prepared = Vec::new();
    for target in targets {
        prepared.push(prepare(client, &target.base_url, row).await?);
    }
    let before = if ours.ours { Some(Scrape::fetch(client, &ours.base_url).await?) } else { None };
    let mut reports: [Vec<Report>; 2] = [Vec::new(), Vec::new()];
    let mut cpu: [Option<Duration>; 2] = [Some(Duration::ZERO); 2];
    let mut others: [Option<(f64, f64)>; 2] = [Some((0.0, 0.0)); 2];
    for who in [0, 1, 1, 0] {
        let (target, (_, url, headers)) = (targets[who], &prepared[who]);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let (started, machine, client) = (cpu_time(&target.pids), machine_cpu(), children_cpu());
        // wrk blocks this thread; nothing else needs it meanwhile (the runtime's workers keep the
        // client's connections).
        reports[who].push(half.run(url, &headers)?);
        let used = started.zip(cpu_time(&target.pids)).map(|(start, end)| end.saturating_sub(start));
        cpu[who] = cpu[who].zip(used).map(|(sum, used)| sum + used);
        // What the machine was busy with beyond this server and wrk (a child of this process,
        // whose CPU time is counted once it is waited for).
        let wrk_used = client.zip(children_cpu()).map(|(start, end)| end.saturating_sub(start));
        let other = machine.zip(machine_cpu()).zip(used.zip(wrk_used)).map(|((start, end), (server, wrk))| {
            let (busy, total) = (end.0.saturating_sub(start.0), end.1.saturating_sub(start.1));
            ((busy.as_secs_f64() - server.as_secs_f64() - wrk.as_secs_f64()).max(0.0), total.as_secs_f64())
        });
        others[who] = others[who].zip(other).map(|(sum, other)| (sum.0 + other.0, sum.1 + other.1));
    }
    let counters = match before {
        Some(before) => {
            let after = Scrape::fetch(client, &ours.base_url).await?;
            Some(Counters {
                store_reads: after.delta_label(&before, STORE_BLOB_READS),
                hits: after.delta_label(&before, BLOB_CACHE_HITS),
                misses: after.delta_label(&before, BLOB_CACHE_MISSES),
                compressions: after.delta_label(&before, REQUEST_COMPRESSIONS),
                store_reads_value: after.delta(&before, STORE_BLOB_READS),
            })
        }
        None => None,
    };
    let mut measured =
        prepared.into_iter().zip(reports).zip(cpu).zip(others).map(|((((answer, _, _), runs), cpu), others)| {
            let report = Report::combine(&runs).expect("two runs each");
            let cpu_per_request = cpu
                .zip(report.requests.filter(|&n| n > 0))
                .map(|(cpu, n)| Duration::from_secs_f64(cpu.as_secs_f64() / n as f64));
            let others = others.filter(|(_, total)| *total > 0.0).map(|(other, total)| other / total);
            Measured { answer, report, cpu_per_request, others, counters: None }
        });
    let (mut ours, nginx) = (measured.next().expect("ours"), measured.next().expect("nginx"));
    ours.counters = counters;
    Ok((ours, nginx))
}

/// Probes `row` on one server (twice: the second request warms a cache, if any, or is the
/// revalidation with the ETag the first gave); its answer, the URL and the headers for wrk.
async fn prepare(
    client: &reqwest::Client,
    base_url: &str,
    row: &Row,
) -> Result<(Answer, String, Vec<(&'static str, String)>)> {
    let path = vps_core::url::encode_path(&row.route);
    let mut headers: Vec<(&str, String)> = Vec::new();
    if let Some(accept) = row.accept_encoding {
        headers.push(("Accept-Encoding", accept.to_owned()));
    }
    let first = probe(client, base_url, &path, row.accept_encoding, None).await?;
    let answer = if row.revalidate {
        let etag = first.etag.clone().ok_or_else(|| format!("{base_url}{path} sent no ETag to revalidate"))?;
        headers.push(("If-None-Match", etag.clone()));
        probe(client, base_url, &path, row.accept_encoding, Some(&etag)).await?
    } else {
        probe(client, base_url, &path, row.accept_encoding, None).await?
    };
    Ok((answer, format!("{base_url}{path}"), headers))
}

/// `USER_HZ`: the unit of `/proc`'s CPU times (100 on Linux).
fn ticks_per_sec() -> Option<f64> {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then_some(ticks as f64)
}

/// The machine's CPU time so far, busy and in all (`/proc/stat`: busy is all but idle and
/// iowait), summed over its cores.
fn machine_cpu() -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> =
        stat.lines().next()?.strip_prefix("cpu ")?.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4)?;
    let per_sec = ticks_per_sec()?;
    let ticks = |n: u64| Duration::from_secs_f64(n as f64 / per_sec);
    Some((ticks(total - idle), ticks(total)))
}

/// The CPU time (user + system) of this process's children that have ended and been waited
/// for (the wrk runs).
fn children_cpu() -> Option<Duration> {
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given, which lives across the call.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return None;
    }
    let time = |t: libc::timeval| Duration::from_secs_f64(t.tv_sec as f64 + t.tv_usec as f64 / 1e6);
    Some(time(usage.ru_utime) + time(usage.ru_stime))
}

/// The CPU time (user + system) `pids` have used since they started, summed (`/proc/PID/stat`,
/// in clock ticks: 10 ms on Linux); `None` when one cannot be read.
fn cpu_time(pids: &[u32]) -> Option<Duration> {
    let ticks_per_sec = ticks_per_sec()?;
    let mut ticks = 0;
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After `pid (comm)`: state is the 1st field, utime the 12th, stime the 13th.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        ticks += fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    }
    Some(Duration::from_secs_f64(ticks as f64 / ticks_per_sec))
}

fn print_header(ours: &str) {
    println!("{ours}");
    println!(
        "{:<LABEL$}{:>10} {:>10} {:>8}   {:>10} {:>10} {:>8}   {:>6}  target >= {RATIO_TARGET}",
        "request", "ours req/s", "p99", "CPU/req", "nginx", "p99", "CPU/req", "ratio"
    );
}

fn print_row(row: &Row, ours: &Measured, theirs: &Measured) {
    let ratio = ours.report.requests_per_sec / theirs.report.requests_per_sec;
    let cpu =
        |m: &Measured| m.cpu_per_request.map_or("?".to_owned(), |cpu| format!("{:.1} us", cpu.as_secs_f64() * 1e6));
    println!(
        "{:<LABEL$}{:>10.0} {:>10} {:>8}   {:>10.0} {:>10} {:>8}   {:>6.2}  {}",
        row.label,
        ours.report.requests_per_sec,
        ours.report.p99_label(),
        cpu(ours),
        theirs.report.requests_per_sec,
        theirs.report.p99_label(),
        cpu(theirs),
        ratio,
        ok_missed(ratio >= RATIO_TARGET)
    );
    let mut details = format!("answers: ours {}, nginx {}", ours.answer.label(), theirs.answer.label());
    let others = |m: &Measured| m.others.map_or("?".to_owned(), |share| format!("{:.0}%", share * 100.0));
    details.push_str(&format!(
        "; machine CPU used by neither server nor wrk: during ours {}, during nginx {}",
        others(ours),
        others(theirs)
    ));
    if row.revalidate && ours.answer.status != StatusCode::NOT_MODIFIED {
        details.push_str(" (ours did not answer 304)");
    }
    for (who, errors) in [("ours", &ours.report.errors), ("nginx", &theirs.report.errors)] {
        if let Some(errors) = errors {
            details.push_str(&format!("; {who}: {errors}"));
        }
    }
    println!("{:<LABEL$}{details}", "");
    if let Some(c) = &ours.counters {
        let missing = "n/a (metric missing)";
        if [&c.store_reads, &c.hits, &c.misses, &c.compressions].iter().all(|v| v.as_str() == missing) {
            println!("{:<LABEL$}during ours: {missing} (no reader-side counters in /metrics)", "");
        } else {
            println!(
                "{:<LABEL$}during ours: store reads {}, cache hits {}, misses {}, request compressions {}",
                "", c.store_reads, c.hits, c.misses, c.compressions
            );
        }
    }
}

fn print_search(runtime: &Runtime, client: &reqwest::Client, base_url: &str, count: usize) -> Result<()> {
    progress("search");
    println!();
    match runtime.block_on(search::measure(client, base_url, SEARCH_TERMS, count))? {
        None => println!("{:<LABEL$}search not available (GET /search answers 404)", "search"),
        Some(searches) => println!(
            "{:<LABEL$}p50 {:.2} ms, p99 {:.2} ms over {} sequential requests ({} terms{})   target p99 <= {} ms: {}",
            "search",
            searches.p50.as_secs_f64() * 1e3,
            searches.p99.as_secs_f64() * 1e3,
            searches.count,
            SEARCH_TERMS.len(),
            if searches.failures > 0 { format!(", {} not 2xx", searches.failures) } else { String::new() },
            search::SEARCH_TARGET.as_millis(),
            ok_missed(searches.met())
        ),
    }
    Ok(())
}
