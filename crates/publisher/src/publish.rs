//! Publishing a scanned vault: ask the server what it lacks, stream only that, send the changed
//! notes and the full inventory, follow the job. The flow `vps-publish publish` runs, in a
//! library so that tests and benchmarks run the same one in-process.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::path::Path;
//!
//! let vault = Path::new("my-vault");
//! let config = vps_publisher::Config::load(vault, None)?;
//! let plan = vps_publisher::scan(vault, &config)?;
//! let publication = vps_publisher::Publication::prepare(plan, &config, &())?;
//! let client = vps_client::Client::new("https://notes.example.org", "the-api-key")?;
//! let server = vps_publisher::Server::connect(client).await?;
//! let summary = vps_publisher::publish(&server, &publication, &()).await?;
//! println!("published {:?}", summary.revision);
//! # Ok(())
//! # }
//! ```

use std::collections::HashSet;
use std::time::Instant;

use serde::Serialize;
use vps_client::{Client, ClientError, UploadFile, UploadLimits};
use vps_core::ContentHash;
use vps_core::api::{CheckedAsset, FileStatus, PublicConfig, StartSessionRequest, StartSessionResponse};
use vps_core::job::{FinishRequest, FinishResponse, JobState, JobStatus};

use crate::{Config, Plan};

/// What to publish: the scan's [`Plan`], the `start` body its configuration makes, and the
/// SHA-256 of each attachment (in the order of [`Plan::assets`]).
#[derive(Debug, Clone)]
pub struct Publication {
    /// The notes and attachments found in the vault.
    pub plan: Plan,
    /// The body of `POST /session/start`: the site's configuration, routes and callout styles.
    pub start: StartSessionRequest,
    /// The SHA-256 of each of [`Plan::assets`], in the same order.
    pub hashes: Vec<ContentHash>,
}

impl Publication {
    /// Hashes the plan's attachments (one thread per core; [`Step::Hashing`] reports the bytes)
    /// and builds the `start` body with the vault's callout styles.
    pub fn prepare(plan: Plan, config: &Config, progress: &dyn Progress) -> Result<Self, PublishError> {
        let paths: Vec<_> = plan.assets.iter().map(|asset| asset.file.clone()).collect();
        progress.begin(Step::Hashing, plan.assets.iter().map(|asset| asset.size).sum());
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hashes = crate::hash_files(&paths, threads, &|n| progress.advance(Step::Hashing, n))
            .map_err(|e| PublishError::Local(e.to_string()))?;
        progress.end(Step::Hashing);
        let start = config.start_request_with(plan.callout_styles.clone());
        Ok(Self { plan, start, hashes })
    }
}

/// A server to publish to: its client, and whether it takes streaming uploads (else the
/// plugin's JSON protocol is used, as with the Node reference server or `STREAMING_ENABLED=false`).
#[derive(Debug, Clone)]
pub struct Server {
    /// The HTTP client for the server (base URL and API key).
    pub client: Client,
    /// The server's public configuration when it advertises streaming uploads (their limits
    /// size the requests); `None` sends attachments with the plugin's JSON protocol.
    pub streaming: Option<PublicConfig>,
}

impl Server {
    /// Asks the server for its public configuration (`GET /public-config`).
    pub async fn connect(client: Client) -> Result<Self, PublishError> {
        let streaming = client.public_config().await?.filter(|config| config.streaming_uploads_enabled);
        Ok(Self { client, streaming })
    }
}

/// What a publish did; `vps-publish publish --json` prints it as is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Pages sent and published by this publish.
    pub pages_published: u64,
    /// Pages kept from the previous revision without being sent again.
    pub pages_unchanged: u64,
    /// Pages of the previous revision no longer published.
    pub pages_removed: u64,
    /// Attachments sent and accepted by the server (refused ones are warned about, not counted).
    pub assets_uploaded: u64,
    /// Attachments not sent because the server already had their bytes.
    pub assets_skipped: u64,
    /// Request body bytes of this publish (JSON, chunk envelopes, file contents; retries included).
    pub bytes_sent: u64,
    /// From the call of [`publish`] to its end (the CLI counts from its own start instead).
    pub duration_ms: u64,
    /// The id of the revision the publish made live; `None` for a dry run, or when the server
    /// did not say.
    pub revision: Option<String>,
    /// Whether nothing was sent (`publish --dry-run`): only the scan's counts are meaningful.
    pub dry_run: bool,
    /// How many warnings the scan gave ([`Plan::warnings`]).
    pub warnings: usize,
}

/// Why a publish failed. The session, once opened, is aborted on the server first.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A call to the server failed; [`ClientError::kind`] tells how.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The server's publish job ended `failed`; carries its error message (`unknown error` when
    /// it gave none).
    #[error("the server could not publish: {0}")]
    JobFailed(String),
    /// An attachment could not be read while hashing; carries the error's text.
    #[error("cannot read the vault: {0}")]
    Local(String),
    /// The interrupt future of [`publish_until`] completed first (Ctrl-C).
    #[error("interrupted; the session was aborted on the server")]
    Interrupted,
}

/// A step that moves bytes (or, for [`Step::Publishing`], percents of the server's job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Hashing the attachments ([`Publication::prepare`]).
    Hashing,
    /// Sending the attachments the server lacks.
    Uploading,
    /// The server building the site: [`Progress::job`] reports its statuses.
    Publishing,
}

impl Step {
    /// `hashing`, `uploading`, `publishing`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Hashing => "hashing",
            Self::Uploading => "uploading",
            Self::Publishing => "publishing",
        }
    }
}

/// The points of a publish, in order, for whoever times it.
#[derive(Debug, Clone, Copy)]
pub enum Milestone<'a> {
    /// `start` answered: the session, the hashes the server has, `pipelineChanged`.
    Started(&'a StartSessionResponse),
    /// The attachments are on the server (sent now or already there).
    AssetsSent {
        /// Attachments sent and accepted.
        uploaded: u64,
        /// Attachments the server already had.
        skipped: u64,
    },
    /// The changed notes are sent (`sent` may be 0).
    NotesSent {
        /// Notes sent: new or changed ones, or all of them when the server's pipeline changed.
        sent: u64,
        /// Notes not sent because the server already has their content.
        skipped: u64,
    },
    /// `finish` answered: the job is queued.
    Finished(&'a FinishResponse),
}

/// What a publish tells as it goes. Every method does nothing unless implemented; `()` is the
/// silent progress. Calls come from one task, but [`Progress::advance`] of [`Step::Hashing`]
/// comes from several threads.
pub trait Progress: Sync {
    /// A line for the user (the JSON protocol is used…).
    fn info(&self, _text: &str) {}
    /// Something the user should know (a file the server refused).
    fn warn(&self, _text: &str) {}
    /// `step` begins, with `total` bytes to go (100 for [`Step::Publishing`]); 0 is possible.
    fn begin(&self, _step: Step, _total: u64) {}
    /// `done` more bytes of `step`.
    fn advance(&self, _step: Step, _done: u64) {}
    /// `step` is over.
    fn end(&self, _step: Step) {}
    /// A point of the publish was passed.
    fn milestone(&self, _milestone: Milestone<'_>) {}
    /// The server's job changed (during [`Step::Publishing`]).
    fn job(&self, _status: &JobStatus) {}
}

impl Progress for () {}

/// Publishes `publication` to `server`; see [`publish_until`].
pub async fn publish(
    server: &Server,
    publication: &Publication,
    progress: &dyn Progress,
) -> Result<Summary, PublishError> {
    publish_until(server, publication, progress, std::future::pending()).await
}

/// Opens a session, sends the attachments the server lacks (streamed when it takes streaming
/// uploads, else the plugin's JSON protocol with its skip rule), the notes whose content changed
/// (all of them when the server's pipeline changed), then `finish` with the inventory, and
/// follows the job to its end. On an error, or when `interrupt` completes first, the session is
/// aborted on the server. A job that ends `failed` is [`PublishError::JobFailed`].
pub async fn publish_until(
    server: &Server,
    publication: &Publication,
    progress: &dyn Progress,
    interrupt: impl Future<Output = ()>,
) -> Result<Summary, PublishError> {
    let started = Instant::now();
    let client = &server.client;
    let sent_before = client.bytes_sent();
    let start = client.start(&publication.start).await?;
    progress.milestone(Milestone::Started(&start));
    let session = start.session_id;
    let work = upload_and_finish(server, publication, &start, progress);
    let outcome = tokio::select! {
        outcome = work => outcome,
        () = interrupt => {
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
    summary.bytes_sent = client.bytes_sent() - sent_before;
    summary.duration_ms = started.elapsed().as_millis() as u64;
    summary.warnings = publication.plan.warnings.len();
    Ok(summary)
}

async fn upload_and_finish(
    server: &Server,
    publication: &Publication,
    start: &StartSessionResponse,
    progress: &dyn Progress,
) -> Result<(Summary, JobStatus), PublishError> {
    let (client, plan, hashes) = (&server.client, &publication.plan, &publication.hashes);
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
    let advance = |n| progress.advance(Step::Uploading, n);
    match &server.streaming {
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
            progress.begin(Step::Uploading, send.iter().map(|f| f.size).sum());
            let uploaded = client.upload_files(session, &send, &limits, &advance).await?;
            progress.end(Step::Uploading);
            for rejected in uploaded.iter().filter(|f| f.status == FileStatus::Rejected) {
                progress.warn(&format!(
                    "{} refused by the server: {}",
                    rejected.path,
                    rejected.message.as_deref().unwrap_or("")
                ));
            }
            summary.assets_uploaded = uploaded.iter().filter(|f| f.status != FileStatus::Rejected).count() as u64;
        }
        None => {
            progress.info("the server does not advertise streaming uploads: using the plugin's JSON protocol");
            let known: HashSet<_> = start.existing_asset_hashes.iter().collect();
            let send: Vec<UploadFile> =
                files.iter().zip(hashes).filter(|(_, hash)| !known.contains(hash)).map(|(f, _)| f.clone()).collect();
            summary.assets_skipped = (files.len() - send.len()) as u64;
            progress.begin(Step::Uploading, send.iter().map(|f| f.size).sum());
            client.upload_assets_json(session, &send, &advance).await?;
            progress.end(Step::Uploading);
            summary.assets_uploaded = send.len() as u64;
        }
    }
    progress.milestone(Milestone::AssetsSent { uploaded: summary.assets_uploaded, skipped: summary.assets_skipped });

    // Notes: skip those whose content the server already has, as the plugin does.
    let skip = !start.pipeline_changed;
    let notes: Vec<_> = plan
        .notes
        .iter()
        .filter(|note| {
            let known = start.existing_source_note_hashes_by_vault_path.get(&note.vault_path);
            !(skip && known.is_some_and(|hash| *hash == ContentHash::of(note.content.as_bytes()).to_hex()))
        })
        .cloned()
        .collect();
    if !notes.is_empty() {
        client.upload_notes(session, &notes, &plan.cleanup_rules).await?;
    }
    let skipped = (plan.notes.len() - notes.len()) as u64;
    progress.milestone(Milestone::NotesSent { sent: notes.len() as u64, skipped });
    let finish = FinishRequest {
        notes_processed: notes.len() as u64,
        assets_processed: files.len() as u64,
        inventory: Some(plan.inventory.clone()),
    };
    let finished = client.finish(session, &finish).await?;
    progress.milestone(Milestone::Finished(&finished));
    progress.begin(Step::Publishing, 100);
    let status = client.follow(session, &finished, &|status| progress.job(status)).await?;
    progress.end(Step::Publishing);
    Ok((summary, status))
}

#[cfg(test)]
#[path = "publish_tests.rs"]
mod tests;
