//! `vps-publish publish <vault>`: scan, hash, ask the server what it lacks, stream only that,
//! send the changed notes and the full inventory, follow the job, print a summary.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};
use vps_client::{Client, ClientError, ErrorKind, UploadFile, UploadLimits};
use vps_core::api::CheckedAsset;
use vps_core::job::{FinishRequest, JobState};
use vps_publisher::{Config, Plan};

/// Exit codes of `publish`, documented in the README.
pub mod exit {
    pub const FAILED: u8 = 1;
    pub const CONFIG: u8 = 3;
    pub const AUTH: u8 = 4;
    pub const UNREACHABLE: u8 = 5;
    pub const REJECTED: u8 = 6;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(clap::Args)]
pub struct PublishArgs {
    /// The vault's folder.
    pub vault: PathBuf,
    /// The server's URL [env: VPS_PUBLISH_SERVER] (else the config file's `server`).
    #[arg(long, env = "VPS_PUBLISH_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The API key [env: VPS_PUBLISH_API_KEY] (else the config file's); never printed.
    #[arg(long, env = "VPS_PUBLISH_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The publishing configuration [default: <vault>/.vps-publish.toml if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the Obsidian plugin's settings (…/.obsidian/plugins/vps-publish/data.json) instead.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    pub from_plugin: Option<PathBuf>,
    /// Show what would be published; change nothing on the server.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
    /// Print a machine-readable summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// The site's language sent at `start` (`ja`, `pt-BR`), over the config file's `locale`;
    /// the server's SITE_LANGUAGE wins over both.
    #[arg(long, value_name = "TAG")]
    pub locale: Option<String>,
}

/// What `--json` prints.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub pages_published: u64,
    pub pages_unchanged: u64,
    pub pages_removed: u64,
    pub assets_uploaded: u64,
    pub assets_skipped: u64,
    pub bytes_sent: u64,
    pub duration_ms: u64,
    pub revision: Option<String>,
    pub dry_run: bool,
    pub warnings: usize,
}

/// A failure of `publish`, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("the server could not publish: {0}")]
    JobFailed(String),
    #[error("cannot read the vault: {0}")]
    Local(String),
    #[error("interrupted; the session was aborted on the server")]
    Interrupted,
    #[error("cancelled")]
    Cancelled,
}

impl PublishError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) => exit::CONFIG,
            Self::Client(e) => match e.kind() {
                ErrorKind::Unauthorized => exit::AUTH,
                ErrorKind::Unreachable => exit::UNREACHABLE,
                ErrorKind::Server => exit::REJECTED,
                _ => exit::FAILED,
            },
            Self::JobFailed(_) => exit::REJECTED,
            Self::Interrupted => exit::INTERRUPTED,
            Self::Local(_) | Self::Cancelled => exit::FAILED,
        }
    }
}

pub fn run(args: PublishArgs) -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let json = args.json;
    match runtime.block_on(publish(args)) {
        Ok(summary) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&summary).expect("summaries serialize"));
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

async fn publish(args: PublishArgs) -> Result<Summary, PublishError> {
    let started = Instant::now();
    let log = Log::new();
    let config = match &args.from_plugin {
        Some(data) => Config::from_plugin(data),
        None => Config::load(&args.vault, args.config.as_deref()),
    }
    .map_err(|e| PublishError::Config(e.to_string()))?;
    let mut config = config;
    if let Some(locale) = &args.locale {
        let tag = vps_core::language::language_tag(locale).map(str::to_owned).ok_or_else(|| {
            PublishError::Config(format!("--locale: `{locale}` is not a language tag (as `ja` or `pt-BR`)"))
        })?;
        config.locale = Some(tag);
    }
    let server = args.server.clone().or_else(|| config.server.clone()).ok_or_else(|| {
        PublishError::Config("no server URL: pass --server, set VPS_PUBLISH_SERVER, or `server` in the config".into())
    })?;
    let api_key = args.api_key.clone().or_else(|| config.api_key()).ok_or_else(|| {
        PublishError::Config("no API key: pass --api-key, set VPS_PUBLISH_API_KEY, or `api_key` in the config".into())
    })?;

    let plan = vps_publisher::scan(&args.vault, &config).map_err(|e| PublishError::Local(e.to_string()))?;
    let start_request = config.start_request_with(plan.callout_styles.clone());
    for warning in &plan.warnings {
        log.warn(warning);
    }
    log.line(&format!("{} notes and {} attachments in {}", plan.notes.len(), plan.assets.len(), args.vault.display()));
    let hashes = hash_assets(&plan, &log)?;

    let client = Client::new(&server, &api_key)?;
    // Servers that do not stream (the Node reference, or ours with STREAMING_ENABLED=false) get
    // the plugin's JSON protocol.
    let streaming = client.public_config().await?.filter(|config| config.streaming_uploads_enabled);
    if args.dry_run {
        log.line(&format!("dry run: would publish to {server}; nothing was sent"));
        return Ok(Summary {
            dry_run: true,
            warnings: plan.warnings.len(),
            duration_ms: elapsed(started),
            ..Summary::default()
        });
    }
    if !args.yes && std::io::stdin().is_terminal() && !confirm(&plan, &server)? {
        return Err(PublishError::Cancelled);
    }

    let start = client.start(&start_request).await?;
    let session = start.session_id;
    let work = upload_and_finish(&client, &plan, &hashes, &start, streaming.as_ref(), &log);
    let outcome = tokio::select! {
        outcome = work => outcome,
        _ = tokio::signal::ctrl_c() => {
            let _ = client.abort(session).await;
            return Err(PublishError::Interrupted);
        }
    };
    let (mut summary, status) = match outcome {
        Ok(done) => done,
        Err(error) => {
            let _ = client.abort(session).await;
            return Err(error);
        }
    };
    if status.status != JobState::Completed {
        return Err(PublishError::JobFailed(status.error.unwrap_or_else(|| "unknown error".into())));
    }
    let stats = status.result.as_ref().map(|r| r.promotion_stats).unwrap_or_default();
    summary.pages_published = stats.notes_published;
    summary.pages_unchanged = stats.notes_deduplicated;
    summary.pages_removed = stats.notes_deleted;
    summary.revision = status.content_revision.clone();
    summary.bytes_sent = client.bytes_sent();
    summary.duration_ms = elapsed(started);
    summary.warnings = plan.warnings.len();
    log.line(&format!(
        "published {}: {} pages sent, {} unchanged, {} removed; {} attachments uploaded, {} skipped; {} sent in {:.1} s",
        summary.revision.as_deref().unwrap_or("?"),
        summary.pages_published,
        summary.pages_unchanged,
        summary.pages_removed,
        summary.assets_uploaded,
        summary.assets_skipped,
        indicatif::HumanBytes(summary.bytes_sent),
        summary.duration_ms as f64 / 1000.0
    ));
    Ok(summary)
}

async fn upload_and_finish(
    client: &Client,
    plan: &Plan,
    hashes: &[vps_core::ContentHash],
    start: &vps_core::api::StartSessionResponse,
    streaming: Option<&vps_core::api::PublicConfig>,
    log: &Log,
) -> Result<(Summary, vps_core::job::JobStatus), PublishError> {
    let session = start.session_id;
    let mut summary = Summary::default();
    let files: Vec<UploadFile> = plan
        .assets
        .iter()
        .zip(hashes)
        .map(|(asset, hash)| UploadFile {
            path: asset.vault_path.clone(),
            file: asset.file.clone(),
            size: asset.size,
            sha256: Some(*hash),
        })
        .collect();

    // Attachments: only the bytes the server lacks.
    match streaming {
        Some(config) => {
            let entries: Vec<CheckedAsset> = files
                .iter()
                .zip(hashes)
                .map(|(file, hash)| CheckedAsset { path: file.path.clone(), sha256: *hash, size: file.size })
                .collect();
            let checked = client.check(session, &entries).await?;
            let missing: HashSet<_> = checked.missing.iter().collect();
            let send: Vec<UploadFile> =
                files.iter().zip(hashes).filter(|(_, hash)| missing.contains(hash)).map(|(f, _)| f.clone()).collect();
            summary.assets_skipped = (files.len() - send.len()) as u64;
            let limits = UploadLimits::from_config(config);
            let bar = log.bytes_bar("uploading", send.iter().map(|f| f.size).sum());
            let uploaded = client.upload_files(session, &send, &limits, &|n| bar.inc(n)).await?;
            bar.finish_and_clear();
            for rejected in uploaded.iter().filter(|f| f.status == vps_core::api::FileStatus::Rejected) {
                log.warn(&format!(
                    "{} refused by the server: {}",
                    rejected.path,
                    rejected.message.as_deref().unwrap_or("")
                ));
            }
            summary.assets_uploaded =
                uploaded.iter().filter(|f| f.status != vps_core::api::FileStatus::Rejected).count() as u64;
        }
        None => {
            log.line("the server does not advertise streaming uploads: using the plugin's JSON protocol");
            let known: HashSet<_> = start.existing_asset_hashes.iter().collect();
            let send: Vec<UploadFile> =
                files.iter().zip(hashes).filter(|(_, hash)| !known.contains(hash)).map(|(f, _)| f.clone()).collect();
            summary.assets_skipped = (files.len() - send.len()) as u64;
            let bar = log.bytes_bar("uploading", send.iter().map(|f| f.size).sum());
            client.upload_assets_json(session, &send, &|n| bar.inc(n)).await?;
            bar.finish_and_clear();
            summary.assets_uploaded = send.len() as u64;
        }
    }

    // Notes: skip those whose content the server already has, as the plugin does.
    let skip = !start.pipeline_changed;
    let notes: Vec<_> = plan
        .notes
        .iter()
        .filter(|note| {
            let known = start.existing_source_note_hashes_by_vault_path.get(&note.vault_path);
            !(skip && known.is_some_and(|hash| *hash == sha256_hex(&note.content)))
        })
        .cloned()
        .collect();
    if !notes.is_empty() {
        client.upload_notes(session, &notes, &plan.cleanup_rules).await?;
    }
    let finish = FinishRequest {
        notes_processed: notes.len() as u64,
        assets_processed: files.len() as u64,
        inventory: Some(plan.inventory.clone()),
    };
    let finished = client.finish(session, &finish).await?;
    let bar = log.percent_bar("publishing");
    let status = client
        .follow(session, &finished, &|status| {
            bar.set_position(u64::from(status.progress));
            bar.set_message(format!("{:?}", status.phase).to_lowercase());
        })
        .await?;
    bar.finish_and_clear();
    Ok((summary, status))
}

fn hash_assets(plan: &Plan, log: &Log) -> Result<Vec<vps_core::ContentHash>, PublishError> {
    let paths: Vec<PathBuf> = plan.assets.iter().map(|asset| asset.file.clone()).collect();
    let bar = log.bytes_bar("hashing", plan.assets.iter().map(|asset| asset.size).sum());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hashes =
        vps_publisher::hash_files(&paths, threads, &|n| bar.inc(n)).map_err(|e| PublishError::Local(e.to_string()))?;
    bar.finish_and_clear();
    Ok(hashes)
}

fn confirm(plan: &Plan, server: &str) -> Result<bool, PublishError> {
    eprint!("Publish {} notes and {} attachments to {server}? [y/N] ", plan.notes.len(), plan.assets.len());
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| PublishError::Local(e.to_string()))?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn elapsed(started: Instant) -> u64 {
    started.elapsed().as_millis() as u64
}

/// Progress bars on a terminal, plain lines otherwise (cron, CI); nothing on stdout with --json.
struct Log {
    bars: bool,
}

impl Log {
    fn new() -> Self {
        Self { bars: std::io::stderr().is_terminal() }
    }

    fn line(&self, text: &str) {
        eprintln!("{text}");
    }

    fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    fn bytes_bar(&self, what: &str, total: u64) -> Arc<ProgressBar> {
        if !self.bars || total == 0 {
            if total > 0 {
                self.line(&format!("{what} {}", indicatif::HumanBytes(total)));
            }
            return Arc::new(ProgressBar::hidden());
        }
        let style = ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .expect("a valid template")
            .progress_chars("=> ");
        Arc::new(ProgressBar::new(total).with_style(style).with_message(what.to_owned()))
    }

    fn percent_bar(&self, what: &str) -> Arc<ProgressBar> {
        if !self.bars {
            self.line(what);
            return Arc::new(ProgressBar::hidden());
        }
        let style = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}% {msg}").expect("a valid template");
        Arc::new(ProgressBar::new(100).with_style(style).with_prefix(what.to_owned()))
    }
}
