//! `media-bench`: what image variants save a reader on a phone, and what making them costs the
//! server. For the help vault (or `--vault DIR`):
//!
//! 1. **Before**: the release server with `IMAGE_VARIANTS=false` (fresh data directory); the vault
//!    published as `vps-publish publish` does (the publisher library). The ten pages whose images
//!    weigh most (the original bytes of every `/_blob/` image a page shows, from its HTML and the
//!    sizes the server answers) are chosen.
//! 2. **After**: another server, variants on (the defaults), the same vault published; the time
//!    until every variant is made (`vps_image_variant_queue` 0 and no more records appearing) gives
//!    the throughput in source images per second; the server's peak RSS (VmHWM) is printed next to
//!    the first server's (the same publish without variants).
//! 3. Each of the ten pages is loaded in headless Chromium as a phone shows it (360 CSS px wide,
//!    at device pixel ratio 1 and 2, the cache cleared before each page), scrolled to its end so
//!    that lazy images load, and the bytes of every image it fetched are summed from the page's
//!    own Resource Timing (`encodedBodySize`), on both servers. Target: at least 60 % fewer bytes.
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/media-bench
//! target/release/media-bench --env IMAGE_WORKERS=2
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::runtime::Runtime;
use vps_bench::metrics::Scrape;
use vps_bench::server::{Server, server_binary};
use vps_bench::{Result, bytes_label, ok_missed, value};
use vps_publisher::{Config, Publication};
use vps_testkit::webdriver::{Browser, Chromedriver};

const API_KEY: &str = "vpsk_media_bench_key_0123456789abcdef0123";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const LABEL: usize = 40;
/// An origin, so that the sitemap lists the pages (the bench reads their paths from it).
const BASE_URL: (&str, &str) = ("BASE_URL", "http://media-bench.invalid");
/// Pages measured.
const PAGES: usize = 10;
/// Whether every image of the page has loaded (or failed).
const IMAGES_DONE: &str = "return [...document.querySelectorAll('main img')].every(i => i.complete);";
/// `[bytes, images fetched, images on the page]`, from the page's Resource Timing.
const IMAGE_BYTES: &str = "const fetched = performance.getEntriesByType('resource').filter(e => e.initiatorType === 'img'); \
    return [fetched.reduce((sum, e) => sum + e.encodedBodySize, 0), fetched.length, document.querySelectorAll('main img').length];";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("media-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut vault = vps_bench::default_vault();
    let mut after_env: Vec<(String, String)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--vault" => vault = value::<String>(&mut args, "--vault")?.into(),
            "--env" => {
                let setting: String = value(&mut args, "--env")?;
                let (name, value) = setting.split_once('=').ok_or("--env takes NAME=VALUE")?;
                after_env.push((name.to_owned(), value.to_owned()));
            }
            other => return Err(format!("unknown argument {other:?}; see the doc comment of media_bench.rs").into()),
        }
    }
    let binary = server_binary()?;
    let runtime = Runtime::new()?;
    let scratch = vps_bench::scratch_dir("media-bench", None)?;
    let copy = scratch.path().join("vault");
    vps_testkit::copy_dir(&vault, &copy)?;

    println!("== before: IMAGE_VARIANTS=false");
    let before = Server::start(
        binary.as_path(),
        &scratch.path().join("before"),
        API_KEY,
        &[("IMAGE_VARIANTS", "false"), BASE_URL],
    )?;
    let published = Instant::now();
    publish(&runtime, &before, &copy)?;
    println!("{:<LABEL$}{:.1} s", "published in", published.elapsed().as_secs_f64());
    let pages = runtime.block_on(heaviest_pages(&before.base_url))?;
    let originals: u64 = pages.iter().map(|(_, bytes)| bytes).sum();
    println!(
        "{:<LABEL$}{} in their original images",
        format!("the {} heaviest pages", pages.len()),
        bytes_label(originals)
    );
    let before_rss = before.peak_rss_mib()?;

    println!(
        "\n== after: variants on (defaults{})",
        after_env.iter().map(|(n, v)| format!(", {n}={v}")).collect::<String>()
    );
    let mut env: Vec<(&str, &str)> = after_env.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    env.push(BASE_URL);
    let after = Server::start(binary.as_path(), &scratch.path().join("after"), API_KEY, &env)?;
    let started = Instant::now();
    publish(&runtime, &after, &copy)?;
    let publish_secs = started.elapsed().as_secs_f64();
    let (made, refused) = runtime.block_on(wait_for_variants(&after.base_url))?;
    let sources = images_with_variants(&scratch.path().join("after"))?;
    let total = started.elapsed().as_secs_f64();
    let making = (total - publish_secs).max(0.001);
    println!("{:<LABEL$}{publish_secs:.1} s (pages served with originals meanwhile)", "published in");
    println!(
        "{:<LABEL$}{made} variants of {sources} images ({refused} refused) in {making:.1} s after the publish",
        "variants made"
    );
    println!("{:<LABEL$}{:.1} images/s, {:.1} variants/s", "throughput", sources as f64 / making, made as f64 / making);
    println!(
        "{:<LABEL$}{:.0} MiB (without variants: {before_rss:.0} MiB)",
        "server peak RSS (VmHWM)",
        after.peak_rss_mib()?
    );

    println!("\n== a phone (360 CSS px) loading the {} heaviest pages", pages.len());
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).map_err(|e| format!("chromedriver: {e}"))?;
    for ratio in [1.0, 2.0] {
        let (mut old, mut new) = (0u64, 0u64);
        for (route, _) in &pages {
            old += runtime.block_on(phone_bytes(&driver, &before.base_url, route, ratio))?;
            new += runtime.block_on(phone_bytes(&driver, &after.base_url, route, ratio))?;
        }
        let saved = 100.0 * (1.0 - new as f64 / old.max(1) as f64);
        println!(
            "{:<LABEL$}{} before, {} after: {saved:.0} % fewer  (target ≥ 60 %: {})",
            format!("images at device pixel ratio {ratio}"),
            bytes_label(old),
            bytes_label(new),
            ok_missed(saved >= 60.0)
        );
    }
    before.stop()?;
    after.stop()?;
    Ok(())
}

fn publish(runtime: &Runtime, server: &Server, vault: &Path) -> Result<()> {
    runtime.block_on(async {
        let client = vps_client::Client::new(&server.base_url, API_KEY)?;
        let target = vps_publisher::Server::connect(client).await?;
        let config = Config::load(vault, None)?;
        let plan = vps_publisher::scan(vault, &config)?;
        let publication = Publication::prepare(plan, &config, &())?;
        vps_publisher::publish(&target, &publication, &()).await?;
        Result::Ok(())
    })
}

/// The routes of the [`PAGES`] pages whose `/_blob/` images weigh most, with that weight.
async fn heaviest_pages(base_url: &str) -> Result<Vec<(String, u64)>> {
    let client = reqwest::Client::new();
    let sitemap = client.get(format!("{base_url}/sitemap.xml")).send().await?.error_for_status()?.text().await?;
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    let mut pages = Vec::new();
    for location in sitemap.split("<loc>").skip(1).filter_map(|rest| rest.split("</loc>").next()) {
        // An absolute URL when `BASE_URL` is set, else the path.
        let route = match location.find("://") {
            Some(at) => location[at + 3..].find('/').map(|slash| &location[at + 3 + slash..]),
            None => Some(location),
        };
        let Some(route) = route else { continue };
        let html = client.get(format!("{base_url}{route}")).send().await?.text().await?;
        let mut weight = 0;
        // Each `<img src="…_blob/<sha256>"` (page URLs are relative: `_blob/…`, `../_blob/…`).
        let sources = html.split("<img src=\"").skip(1).filter_map(|rest| {
            let src = &rest[..rest.find('"')?];
            src.rsplit_once("_blob/").and_then(|(_, hash)| hash.get(..64))
        });
        for hash in sources {
            if !sizes.contains_key(hash) {
                let response = client.head(format!("{base_url}/_blob/{hash}")).send().await?;
                let length = response.headers().get(reqwest::header::CONTENT_LENGTH);
                let length = length.and_then(|value| value.to_str().ok()?.parse().ok()).unwrap_or(0);
                sizes.insert(hash.to_owned(), length);
            }
            weight += sizes[hash];
        }
        pages.push((route.to_owned(), weight));
    }
    pages.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    pages.truncate(PAGES);
    Ok(pages)
}

/// The images whose variants the server in `data_dir` made: its variant records that list some.
fn images_with_variants(data_dir: &Path) -> Result<u64> {
    let root = data_dir.join("blobs/variants");
    let mut count = 0;
    for (path, _) in vps_bench::files_under(&root)? {
        let record: vps_core::image::VariantRecord = serde_json::from_slice(&std::fs::read(root.join(path))?)?;
        count += u64::from(!record.variants.is_empty());
    }
    Ok(count)
}

/// Waits until no image waits for its variants and no more are made; returns the variants made
/// and the refusals.
async fn wait_for_variants(base_url: &str) -> Result<(u64, u64)> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(1800);
    let mut last = (u64::MAX, Instant::now());
    loop {
        let scrape = Scrape::fetch(&client, base_url).await?;
        let made = scrape.get("vps_image_variants_made_total").unwrap_or(0.0) as u64;
        let queued = scrape.get("vps_image_variant_queue").unwrap_or(0.0) as u64;
        let refused = scrape.sum_prefix("vps_image_decode_refusals_total") as u64;
        if made != last.0 {
            last = (made, Instant::now());
        } else if queued == 0 && last.1.elapsed() > Duration::from_secs(2) {
            return Ok((made, refused));
        }
        if Instant::now() > deadline {
            return Err(format!("variants still being made after 30 minutes ({made} so far)").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The bytes of the images `route` makes a phone fetch, 360 CSS px wide at `ratio`.
async fn phone_bytes(driver: &Chromedriver, base_url: &str, route: &str, ratio: f64) -> Result<u64> {
    let browser = Browser::chromium(driver, Path::new(CHROMIUM)).await.map_err(|e| format!("chromium: {e}"))?;
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 360, "height": 740, "deviceScaleFactor": ratio, "mobile": true}),
        )
        .await?;
    browser.cdp("Network.clearBrowserCache", json!({})).await?;
    browser.navigate(&format!("{base_url}{route}")).await?;
    // Scroll to the end step by step, so that every lazy image starts, then wait for them all.
    let height = browser.execute("return document.documentElement.scrollHeight;", json!([])).await?;
    let mut y = 0.0;
    while y <= height.as_f64().unwrap_or(0.0) {
        browser.execute("scrollTo(0, arguments[0]);", json!([y])).await?;
        tokio::time::sleep(Duration::from_millis(40)).await;
        y += 370.0;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while browser.execute(IMAGES_DONE, json!([])).await? != json!(true) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let measured = browser.execute(IMAGE_BYTES, json!([])).await?;
    browser.delete().await?;
    Ok(measured[0].as_f64().unwrap_or(0.0) as u64)
}
