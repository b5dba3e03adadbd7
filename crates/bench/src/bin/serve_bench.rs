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
//! 3. For each row, probes both servers once (status, `Content-Encoding`, body size are printed)
//!    then runs [wrk](https://github.com/wg/wrk) (`-t2 -c32 -d8s --latency` by default;
//!    installed with apt-get when missing) on each and prints requests/s and p99 of ours and of
//!    nginx, and the ratio ours / nginx (target ≥ 0.9):
//!    - the page with no `Accept-Encoding`, with `gzip`, and with a browser's
//!      `gzip, deflate, br, zstd`;
//!    - a 304 revalidation: the browser's `Accept-Encoding` and `If-None-Match` with the ETag
//!      each server gave for that representation;
//!    - the PNG.
//!
//!    Around each of our runs it reads `/metrics` and prints how much `vps_store_blob_reads_total`,
//!    `vps_blob_cache_hits_total` / `vps_blob_cache_misses_total` and
//!    `vps_request_compressions_total` grew ("n/a (metric missing)" on a server without them).
//! 4. Runs the page rows without `Accept-Encoding` and with the browser's again on our server
//!    restarted on the same data with the request log off (`RUST_LOG=warn,vps_publish=info`: its
//!    `listening on` line only), to show what logging each request at `info` costs.
//! 5. Search: 200 sequential `GET /search?q=<term>` over a mix of terms, p50 / p99 (target p99 ≤
//!    50 ms); a server without search gets "search not available".
//! 6. The same page rows against our server on an S3 store (s3s-fs on loopback as the tests start
//!    it, [`vps_testkit::s3`]; `STORAGE=s3`), the vault published to it the same way; each row is
//!    warmed up by two requests, then the store GETs made during the wrk run are counted from
//!    `vps_store_blob_reads_total` (target: 0 after warm-up), with the cache hits and misses.
//!    `--no-s3` skips this part.
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
//! `--searches N` (default 200), `--no-s3`, `--no-warn-run`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

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
    report: Report,
    /// Growth of the reader-side counters during the wrk run (ours only).
    counters: Option<Counters>,
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

    progress("filesystem store: wrk on each row, ours then nginx");
    let mut nginx_figures = Vec::new();
    print_header("ours (fs store, log info)");
    for row in &rows {
        let ours = runtime.block_on(measure(&client, &server.base_url, row, options.wrk, true))?;
        let theirs = runtime.block_on(measure(&client, &nginx.base_url(), row, options.wrk, false))?;
        print_row(row, &ours, &theirs);
        nginx_figures.push((row.label, theirs));
    }
    server.stop()?;

    if options.warn_run {
        progress("filesystem store, request log off: the page rows again");
        let quiet = Server::start(&binary, &data_dir, API_KEY, &[("RUST_LOG", QUIET_LOG)])?;
        println!();
        print_header(&format!("ours (fs store, RUST_LOG={QUIET_LOG})"));
        for row in rows.iter().filter(|row| !row.revalidate && row.route == options.page) {
            let ours = runtime.block_on(measure(&client, &quiet.base_url, row, options.wrk, true))?;
            let theirs = &nginx_figures.iter().find(|(label, _)| *label == row.label).expect("measured above").1;
            print_row(row, &ours, theirs);
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
            let ours = runtime.block_on(measure(&client, &on_s3.base_url, &row, options.wrk, true))?;
            let theirs = &nginx_figures.iter().find(|(label, _)| *label == row.label).expect("measured above").1;
            print_row(&row, &ours, theirs);
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
    let log = nginx.error_log();
    if !log.trim().is_empty() {
        println!("nginx's error log:\n{}", log.trim_end());
    }
    Ok(())
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

/// Probes `row` on one server, then runs wrk on it; for ours, reads `/metrics` around the run.
async fn measure(client: &reqwest::Client, base_url: &str, row: &Row, wrk: Wrk, ours: bool) -> Result<Measured> {
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
        // A second request: the warm-up of a cache, if any.
        probe(client, base_url, &path, row.accept_encoding, None).await?
    };
    let before = if ours { Some(Scrape::fetch(client, base_url).await?) } else { None };
    let url = format!("{base_url}{path}");
    let headers: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
    // wrk blocks this thread; nothing else needs it meanwhile (the runtime's workers keep the
    // client's connections).
    let report = wrk.run(&url, &headers)?;
    let counters = match before {
        Some(before) => {
            let after = Scrape::fetch(client, base_url).await?;
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
    Ok(Measured { answer, report, counters })
}

fn print_header(ours: &str) {
    println!("{ours}");
    println!(
        "{:<LABEL$}{:>10} {:>10}   {:>10} {:>10}   {:>6}  target >= {RATIO_TARGET}",
        "request", "ours req/s", "p99", "nginx", "p99", "ratio"
    );
}

fn print_row(row: &Row, ours: &Measured, theirs: &Measured) {
    let ratio = ours.report.requests_per_sec / theirs.report.requests_per_sec;
    println!(
        "{:<LABEL$}{:>10.0} {:>10}   {:>10.0} {:>10}   {:>6.2}  {}",
        row.label,
        ours.report.requests_per_sec,
        ours.report.p99_label(),
        theirs.report.requests_per_sec,
        theirs.report.p99_label(),
        ratio,
        ok_missed(ratio >= RATIO_TARGET)
    );
    let mut details = format!("answers: ours {}, nginx {}", ours.answer.label(), theirs.answer.label());
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
