//! `vps-publish publish <vault>`: reads the flags and the configuration, scans and hashes the
//! vault, then runs [`vps_publisher::publish_until`] (until Ctrl-C), drawing its progress and
//! mapping its errors to exit codes; prints the summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use vps_client::{Client, ClientError, ErrorKind};
use vps_core::job::JobStatus;
use vps_publisher::{Config, Plan, Progress, Publication, PublishError, ScanError, Server, Step, Summary};

/// Exit codes of `publish`, documented in the README.
pub(crate) mod exit {
    pub(crate) const FAILED: u8 = 1;
    pub(crate) const CONFIG: u8 = 3;
    pub(crate) const AUTH: u8 = 4;
    pub(crate) const UNREACHABLE: u8 = 5;
    pub(crate) const REJECTED: u8 = 6;
    pub(crate) const INTERRUPTED: u8 = 130;
}

#[derive(clap::Args)]
pub(crate) struct PublishArgs {
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

/// A failure of `publish`, with its exit code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("cancelled")]
    Cancelled,
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Self::Publish(error.into())
    }
}

impl Failure {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) => exit::CONFIG,
            Self::Publish(PublishError::Client(e)) => match e.kind() {
                ErrorKind::Unauthorized => exit::AUTH,
                ErrorKind::Unreachable => exit::UNREACHABLE,
                ErrorKind::Server => exit::REJECTED,
                _ => exit::FAILED,
            },
            Self::Publish(PublishError::JobFailed(_)) => exit::REJECTED,
            Self::Publish(PublishError::Interrupted) => exit::INTERRUPTED,
            Self::Publish(PublishError::Local(_)) | Self::Cancelled => exit::FAILED,
        }
    }
}

pub(crate) fn run(args: PublishArgs) -> ExitCode {
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

async fn publish(args: PublishArgs) -> Result<Summary, Failure> {
    let started = Instant::now();
    let log = Log::new();
    let config = match &args.from_plugin {
        Some(data) => Config::from_plugin(data),
        None => Config::load(&args.vault, args.config.as_deref()),
    }
    .map_err(|e| Failure::Config(e.to_string()))?;
    let mut config = config;
    if let Some(locale) = &args.locale {
        let tag = vps_core::language::language_tag(locale).map(str::to_owned).ok_or_else(|| {
            Failure::Config(format!("--locale: `{locale}` is not a language tag (as `ja` or `pt-BR`)"))
        })?;
        config.locale = Some(tag);
    }
    let server = args.server.clone().or_else(|| config.server.clone()).ok_or_else(|| {
        Failure::Config("no server URL: pass --server, set VPS_PUBLISH_SERVER, or `server` in the config".into())
    })?;
    let api_key = args.api_key.clone().or_else(|| config.api_key()).ok_or_else(|| {
        Failure::Config("no API key: pass --api-key, set VPS_PUBLISH_API_KEY, or `api_key` in the config".into())
    })?;

    // Ctrl-C before a session exists (while the vault is read and hashed, which takes a while for
    // large files) has nothing to abort on the server: exit at once, with the same code.
    // (The handler is registered here, before the scan starts, not when the task first runs.)
    let mut early_signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| PublishError::Local(format!("cannot listen for Ctrl-C: {e}")))?;
    let early_interrupt = tokio::spawn(async move {
        if early_signal.recv().await.is_some() {
            eprintln!("interrupted before anything was sent");
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
    });
    // A bad `site-options.json` is the writer's configuration: nothing is sent.
    let plan = vps_publisher::scan(&args.vault, &config).map_err(|e| match e {
        ScanError::SiteOptions { .. } => Failure::Config(e.to_string()),
        other => PublishError::Local(other.to_string()).into(),
    })?;
    for warning in &plan.warnings {
        log.warn(warning);
    }
    log.line(&format!("{} notes and {} attachments in {}", plan.notes.len(), plan.assets.len(), args.vault.display()));
    let publication = Publication::prepare(plan, &config, &log)?;
    let plan = &publication.plan;

    let target = Server::connect(Client::new(&server, &api_key)?).await?;
    if args.dry_run {
        log.line(&format!("dry run: would publish to {server}; nothing was sent"));
        return Ok(Summary {
            dry_run: true,
            warnings: plan.warnings.len(),
            duration_ms: elapsed(started),
            ..Summary::default()
        });
    }
    if !args.yes && std::io::stdin().is_terminal() && !confirm(plan, &server)? {
        return Err(Failure::Cancelled);
    }

    // From here Ctrl-C aborts the session on the server (publish_until), then exits.
    early_interrupt.abort();
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let mut summary = vps_publisher::publish_until(&target, &publication, &log, interrupt).await?;
    summary.duration_ms = elapsed(started);
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

fn confirm(plan: &Plan, server: &str) -> Result<bool, Failure> {
    eprint!("Publish {} notes and {} attachments to {server}? [y/N] ", plan.notes.len(), plan.assets.len());
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| PublishError::Local(e.to_string()))?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

fn elapsed(started: Instant) -> u64 {
    started.elapsed().as_millis() as u64
}

/// Progress bars on a terminal, plain lines otherwise (cron, CI); nothing on stdout with --json.
struct Log {
    bars: bool,
    /// The bar of the step under way (hidden when there are no bars).
    bar: Mutex<Option<ProgressBar>>,
}

impl Log {
    fn new() -> Self {
        Self { bars: std::io::stderr().is_terminal(), bar: Mutex::new(None) }
    }

    fn line(&self, text: &str) {
        eprintln!("{text}");
    }

    fn bar(&self) -> Option<ProgressBar> {
        self.bar.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn bytes_bar(&self, what: &str, total: u64) -> ProgressBar {
        if !self.bars || total == 0 {
            if total > 0 {
                self.line(&format!("{what} {}", indicatif::HumanBytes(total)));
            }
            return ProgressBar::hidden();
        }
        let style = ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .expect("a valid template")
            .progress_chars("=> ");
        ProgressBar::new(total).with_style(style).with_message(what.to_owned())
    }

    fn percent_bar(&self, what: &str) -> ProgressBar {
        if !self.bars {
            self.line(what);
            return ProgressBar::hidden();
        }
        let style = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}% {msg}").expect("a valid template");
        ProgressBar::new(100).with_style(style).with_prefix(what.to_owned())
    }
}

impl Progress for Log {
    fn info(&self, text: &str) {
        self.line(text);
    }

    fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    fn begin(&self, step: Step, total: u64) {
        let bar = match step {
            Step::Hashing | Step::Uploading => self.bytes_bar(step.label(), total),
            Step::Publishing => self.percent_bar(step.label()),
        };
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn advance(&self, _step: Step, done: u64) {
        if let Some(bar) = self.bar() {
            bar.inc(done);
        }
    }

    fn end(&self, _step: Step) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }

    fn job(&self, status: &JobStatus) {
        if let Some(bar) = self.bar() {
            bar.set_position(u64::from(status.progress));
            bar.set_message(format!("{:?}", status.phase).to_lowercase());
        }
    }
}
