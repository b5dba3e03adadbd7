//! `render-bench`: how long `vps_render::render` takes to render every note of a real vault, the
//! work a full publish does between `rendering_html` and `completing_publication`.
//!
//! It reads the vault (by default `../shared/vaults/obsidian-help-en` next to the workspace; only
//! read) with [`vps_testkit::vault::scan`], as the plugin reads it, and resolves links the way
//! the publication engine does (`crates/build`): every note gets its route (`compute_route` with
//! route base `/`, and `vps_render::assign` for notes that would share one), a [`LinkIndex`]
//! over all pages resolves wikilinks, and an embed resolves to `/assets/<path>` among the
//! attachments the plugin uploads, by [`AttachmentIndex`] (next to the note first).
//! Then, `--runs` times (default 5), it renders every note in vault order on one thread, as the
//! server does, and prints each run's wall time, the best run, notes per second, the slowest
//! notes of the best run, and whether the best run meets the target (≤ 1 s for the whole vault).
//!
//! Run it from the workspace root:
//!
//! ```text
//! cargo build --release -p vps-publish -p vps-bench && target/release/render-bench
//! ```
//!
//! Options: `--vault PATH`, `--runs N`.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use vps_bench::{Result, default_vault, value, verdict};
use vps_render::AttachmentIndex;
use vps_render::assign::Wanted;
use vps_render::{LinkIndex, PageRef, RenderOptions, Resolver};
use vps_testkit::vault::{self, Vault};

const USAGE: &str = "usage: render-bench [--vault PATH] [--runs N]

  --vault PATH   the vault to render (default: ../shared/vaults/obsidian-help-en, relative to the
                 workspace root); it is only read
  --runs N       render the whole vault N times (default 5)

Build it in release mode first:
  cargo build --release -p vps-publish -p vps-bench && target/release/render-bench";

const TARGET: Duration = Duration::from_secs(1);
const SLOWEST_SHOWN: usize = 5;
const LABEL: usize = 22;

fn main() -> ExitCode {
    match Options::parse(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("render-bench: {error}");
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
        let mut options = Self { vault: default_vault(), runs: 5 };
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
        Ok(options)
    }
}

fn run(options: Options) -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("render-bench: this is a debug build; figures mean little (build with --release)");
    }
    let vault = vault::scan(&options.vault).map_err(|e| format!("cannot read the vault: {e}"))?;
    if vault.notes.is_empty() {
        return Err(format!("no notes in {}", options.vault.display()).into());
    }
    let started = Instant::now();
    let pages = page_refs(&vault);
    let index = LinkIndex::new(&pages);
    // The server resolves embeds among the attachments the plugin uploaded, as this does.
    let files = AttachmentIndex::new(vault.assets.iter().map(|asset| asset.vault_path.as_str()));
    let site = Site { index, pages: &pages, files };
    let setup = started.elapsed();
    let source_bytes: usize = vault.notes.iter().map(|note| note.content.len()).sum();

    let mut runs: Vec<Run> = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        runs.push(render_all(&vault, &site));
    }
    let best = runs.iter().min_by_key(|run| run.total).expect("at least one run");

    println!(
        "{:<LABEL$}{} notes, {:.1} KiB of Markdown; routes + link index built in {:.1} ms",
        "vault",
        vault.notes.len(),
        source_bytes as f64 / 1024.0,
        setup.as_secs_f64() * 1e3
    );
    for (i, run) in runs.iter().enumerate() {
        println!("{:<LABEL$}{:>8.1} ms", format!("run {}", i + 1), run.total.as_secs_f64() * 1e3);
    }
    let rate = vault.notes.len() as f64 / best.total.as_secs_f64();
    println!(
        "{:<LABEL$}{:>8.1} ms   {rate:.0} notes/s, {:.0} KiB of HTML, {} unresolved links   target <= {} s: {}",
        "best",
        best.total.as_secs_f64() * 1e3,
        best.html_bytes as f64 / 1024.0,
        best.unresolved,
        TARGET.as_secs_f64(),
        verdict(best.total <= TARGET)
    );
    let mut slowest: Vec<&(Duration, usize)> = best.per_note.iter().collect();
    slowest.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    for (time, note) in slowest.into_iter().take(SLOWEST_SHOWN) {
        let note = &vault.notes[*note];
        println!(
            "{:<LABEL$}{:>8.1} ms   {} ({:.1} KiB)",
            "  slow note",
            time.as_secs_f64() * 1e3,
            note.vault_path,
            note.content.len() as f64 / 1024.0
        );
    }
    Ok(())
}

/// One rendering of the whole vault.
struct Run {
    total: Duration,
    /// (time, note index)
    per_note: Vec<(Duration, usize)>,
    html_bytes: usize,
    unresolved: usize,
}

fn render_all(vault: &Vault, site: &Site<'_>) -> Run {
    let options = RenderOptions::default();
    let mut run = Run { total: Duration::ZERO, per_note: Vec::new(), html_bytes: 0, unresolved: 0 };
    let started = Instant::now();
    for (i, note) in vault.notes.iter().enumerate() {
        let note_started = Instant::now();
        let resolver = PageResolver { site, me: &site.pages[i], shown: RefCell::new(BTreeSet::new()) };
        let rendered = vps_render::render(&note.content, &resolver, &options);
        run.per_note.push((note_started.elapsed(), i));
        run.html_bytes += rendered.html.len();
        run.unresolved += rendered.unresolved.len();
    }
    run.total = started.elapsed();
    run
}

/// Every note's page, in vault order (the order of `vault.notes`), routed as the server routes a
/// folder published at `/`, notes that would share a route told apart as the server does
/// ([`vps_render::assign`]).
fn page_refs(vault: &Vault) -> Vec<PageRef> {
    let wanted: Vec<Wanted<'_>> = vault
        .notes
        .iter()
        .map(|note| Wanted {
            route: vps_render::compute_route("/", &note.vault_path, false),
            vault_path: &note.vault_path,
            folder_id: "vault",
        })
        .collect();
    let routes = vps_render::assign::assign(&wanted, &HashMap::new());
    vault
        .notes
        .iter()
        .zip(routes)
        .map(|(note, route)| {
            let aliases = match &note.frontmatter["flat"]["aliases"] {
                serde_json::Value::String(alias) => vec![alias.clone()],
                serde_json::Value::Array(aliases) => {
                    aliases.iter().filter_map(|alias| alias.as_str().map(str::to_owned)).collect()
                }
                _ => Vec::new(),
            };
            PageRef {
                vault_path: note.vault_path.clone(),
                relative_path: note.vault_path.clone(),
                title: note.title.clone(),
                aliases,
                route,
            }
        })
        .collect()
}

/// What every page resolves against.
struct Site<'a> {
    index: LinkIndex<'a>,
    pages: &'a [PageRef],
    /// The attachments the plugin uploads, resolved by the engine's rule.
    files: AttachmentIndex,
}

/// Links and embeds of one page, as the server's `PageResolver`.
struct PageResolver<'a> {
    site: &'a Site<'a>,
    me: &'a PageRef,
    /// The assets the page shows, collected as the server collects them.
    shown: RefCell<BTreeSet<String>>,
}

impl Resolver for PageResolver<'_> {
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
        let page = self.site.index.resolve(self.me, target)?;
        Some(vps_render::page_href(page, subpath))
    }

    fn asset_href(&self, target: &str) -> Option<String> {
        let target = target.split(['#', '?']).next().unwrap_or_default();
        let found = self.site.files.resolve(&self.me.vault_path, &vps_core::url::decode(target))?;
        self.shown.borrow_mut().insert(found.to_owned());
        Some(format!("/assets/{}", vps_core::url::encode_path(found)))
    }
}
