//! `graph-bench`: what the graph costs a reader — the graph document's size and the time to lay
//! out and draw the global graph in headless Chromium, for the help vault and for a generated
//! vault (`--notes N`, default 10,000; target: interactive in ≤ 2 s at 10,000 notes).
//!
//! For each vault: starts the release server (fresh data directory), publishes the vault as
//! `vps-publish publish` does (the publisher library), then
//! 1. fetches `/_graph.json` as identity, gzip and br and prints the bytes of each, with the
//!    numbers of nodes and edges;
//! 2. opens `/graph` in headless Chromium (Debian's `chromium` and `chromedriver`, as the tests
//!    use them) and prints, from the page's own clock (`performance.now()`, from the navigation):
//!    **first draw** — when the graph is on screen and answers the pointer (the handlers are
//!    attached before it is drawn; the layout goes on a few steps per frame) — the layout's own
//!    time to its first frame, the time until the layout has **settled**, and the frame times
//!    while it runs (p50, p95, max: how responsive the page stays);
//! 3. opens the most linked page and prints when its local graph is drawn.
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/graph-bench
//! target/release/graph-bench --notes 10000 --no-help
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::runtime::Runtime;
use vps_bench::server::{Server, server_binary};
use vps_bench::{Result, bytes_label, ok_missed, value};
use vps_publisher::{Config, Publication};
use vps_testkit::webdriver::{Browser, Chromedriver};

const API_KEY: &str = "vpsk_graph_bench_key_0123456789abcdef0123";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const LABEL: usize = 34;
/// Frame intervals recorded from the start of every page (see `measure`).
const FRAMES: &str = "window.frameTimes = []; (function () { let last = performance.now(); \
    function frame(now) { window.frameTimes.push(now - last); last = now; requestAnimationFrame(frame); } \
    requestAnimationFrame(frame); })();";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("graph-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut notes = 10_000usize;
    let mut help = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--notes" => notes = value(&mut args, "--notes")?,
            "--no-help" => help = false,
            other => return Err(format!("unknown argument {other:?}; see the doc comment of graph_bench.rs").into()),
        }
    }
    let binary = server_binary()?;
    let runtime = Runtime::new()?;
    let scratch = vps_bench::scratch_dir("graph-bench", None)?;
    if help {
        let vault = scratch.path().join("help");
        vps_testkit::copy_dir(&vps_bench::default_vault(), &vault)?;
        measure(&runtime, &binary, &vault, &scratch.path().join("help-data"), "help vault", None)?;
    }
    if notes > 0 {
        let dir = scratch.path().join("synth");
        std::fs::create_dir_all(&dir)?;
        let synth = vps_bench::synth::generate(&dir, notes, 50, 0, 1)?;
        let label = format!("{notes} generated notes");
        measure(&runtime, &binary, &synth.dir, &scratch.path().join("synth-data"), &label, Some(2_000.0))?;
    }
    Ok(())
}

fn measure(
    runtime: &Runtime,
    binary: &Path,
    vault: &Path,
    data_dir: &Path,
    label: &str,
    target_ms: Option<f64>,
) -> Result<()> {
    println!("\n== {label}");
    let server = Server::start(binary, data_dir, API_KEY, &[("FINALIZATION_TIMEOUT_SECS", "3600")])?;
    let started = Instant::now();
    runtime.block_on(async {
        let client = vps_client::Client::new(&server.base_url, API_KEY)?;
        let target = vps_publisher::Server::connect(client).await?;
        let config = Config::load(vault, None)?;
        let plan = vps_publisher::scan(vault, &config)?;
        let publication = Publication::prepare(plan, &config, &())?;
        vps_publisher::publish(&target, &publication, &()).await?;
        Result::Ok(())
    })?;
    println!("{:<LABEL$}{:.1} s", "published in", started.elapsed().as_secs_f64());

    // 1. The document, as each coding sends it.
    let url = format!("{}/_graph.json", server.base_url);
    let (graph, sizes) = runtime.block_on(async {
        let client = reqwest::Client::builder().no_gzip().no_brotli().build()?;
        let mut sizes = Vec::new();
        let mut graph = Value::Null;
        for coding in ["identity", "gzip", "br"] {
            let response = client.get(&url).header("accept-encoding", coding).send().await?.error_for_status()?;
            let bytes = response.bytes().await?;
            if coding == "identity" {
                graph = serde_json::from_slice(&bytes)?;
            }
            sizes.push((coding, bytes.len() as u64));
        }
        Result::Ok((graph, sizes))
    })?;
    let nodes = graph["nodes"].as_array().map_or(0, Vec::len);
    let edges = graph["edges"].as_array().map_or(0, Vec::len);
    println!(
        "{:<LABEL$}{nodes} nodes, {edges} edges, {} tags",
        "graph document",
        graph["tags"].as_array().map_or(0, Vec::len)
    );
    for (coding, bytes) in sizes {
        println!("{:<LABEL$}{}", format!("  as {coding}"), bytes_label(bytes));
    }

    // 2. and 3. In Chromium.
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).map_err(|e| format!("chromedriver: {e}"))?;
    runtime.block_on(async {
        let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.map_err(|e| format!("chromium: {e}"))?;
        browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": FRAMES})).await?;
        browser.navigate(&format!("{}/graph", server.base_url)).await?;
        let drawn = wait_for(&browser, ".global-graph", "data-drawn-at", Duration::from_secs(60)).await?;
        let layout = attribute(&browser, ".global-graph", "data-drawn-ms").await?;
        let met = target_ms.map(|target| format!("  (target ≤ {target:.0} ms: {})", ok_missed(drawn <= target)));
        println!("{:<LABEL$}{drawn:.0} ms from navigation{}", "global graph: first draw", met.unwrap_or_default());
        println!("{:<LABEL$}{layout:.0} ms (fetch and parse before it)", "  of which layout to first frame");
        let settled = wait_for(&browser, ".global-graph", "data-settled-ms", Duration::from_secs(120)).await?;
        println!("{:<LABEL$}{settled:.0} ms after the layout began", "  layout settled");
        let frames = browser
            .execute(
                "const f = window.frameTimes.slice(2).sort((a, b) => a - b); const at = p => f[Math.min(f.length - 1, Math.floor(p * f.length))]; return [f.length, at(0.5), at(0.95), f[f.length - 1]];",
                json!([]),
            )
            .await?;
        println!(
            "{:<LABEL$}{} frames: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            "  frames while laying out",
            frames[0],
            frames[1].as_f64().unwrap_or(0.0),
            frames[2].as_f64().unwrap_or(0.0),
            frames[3].as_f64().unwrap_or(0.0)
        );

        // The most linked page's local graph.
        let hub = most_linked(&graph);
        if let Some((path, degree)) = hub {
            browser.navigate(&format!("{}{path}", server.base_url)).await?;
            let drawn = wait_for(&browser, ".local-graph", "data-drawn-at", Duration::from_secs(60)).await?;
            let shown = attribute(&browser, ".local-graph", "data-nodes").await?;
            println!("{:<LABEL$}{drawn:.0} ms from navigation ({shown:.0} nodes, {degree} links)", "local graph of the most linked");
        }
        let log = browser.browser_log().await?;
        let severe = log.iter().filter(|entry| entry.level == "SEVERE").count();
        println!("{:<LABEL$}{severe}", "console errors");
        browser.delete().await?;
        Result::Ok(())
    })?;
    println!("{:<LABEL$}{:.1} MiB (VmHWM)", "server peak RSS", server.peak_rss_mib()?);
    server.stop()?;
    Ok(())
}

/// The path and link count of the node with the most links either way.
fn most_linked(graph: &Value) -> Option<(String, usize)> {
    let nodes = graph["nodes"].as_array()?;
    let mut degree = vec![0usize; nodes.len()];
    for edge in graph["edges"].as_array()? {
        for end in [&edge[0], &edge[1]] {
            if let Some(slot) = end.as_u64().and_then(|n| degree.get_mut(n as usize)) {
                *slot += 1;
            }
        }
    }
    let (best, links) = degree.iter().enumerate().max_by_key(|(_, d)| **d)?;
    Some((nodes[best]["r"].as_str()?.to_owned(), *links))
}

/// Waits for `attribute` of `selector` and returns it as a number.
async fn wait_for(browser: &Browser, selector: &str, attribute_name: &str, timeout: Duration) -> Result<f64> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(value) = attribute(browser, selector, attribute_name).await {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(format!("{selector} never got {attribute_name}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn attribute(browser: &Browser, selector: &str, name: &str) -> Result<f64> {
    let script = "const e = document.querySelector(arguments[0]); return e && e.getAttribute(arguments[1]);";
    let value = browser.execute(script, json!([selector, name])).await?;
    value.as_str().and_then(|v| v.parse().ok()).ok_or_else(|| format!("no {name} yet").into())
}
