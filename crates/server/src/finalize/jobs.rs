//! Finalization jobs: one per finished session, stored durably beside the session
//! (`sessions/<id>/job.json`) so that status survives a restart, and broadcast to SSE
//! subscribers as it changes. Progress and phase only move forward; the first terminal state
//! (completed or failed) is the last.
//!
//! Jobs wait in line, oldest first, and run one at a time. Each run is counted in `job.json`
//! before it starts: a job found unfinished at start-up has stopped the server during its run
//! (a crash, an out-of-memory kill, a stop), and one that did so [`MAX_ATTEMPTS`] times is
//! failed rather than run again, so that no input can keep the server in a crash loop.
//!
//! A job can be stopped ([`Jobs::cancel`]) while it waits or runs, until it starts moving the
//! `current` pointer ([`Jobs::begin_commit`]): then it is too late, and it completes.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use vps_core::SessionId;
use vps_core::job::{FinishRequest, FinishResponse, JobResult, JobState, JobStatus, Phase, Realtime, iso8601};
use vps_store::durable;

use super::JobError;

const JOB_FILE: &str = "job.json";
/// How long an SSE token stays valid.
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Runs of one job that may stop the server before the job is given up.
pub(super) const MAX_ATTEMPTS: u32 = 2;
/// A `job.json` larger than this is not read (it holds a status and the client's inventory).
const MAX_JOB_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The error of a job given up at start-up.
pub(super) const STOPPED_THE_SERVER_TWICE: &str = "the finalization stopped the server twice; not run again. \
     The live site is unchanged: publish again, and if it happens again see the server log for the note at fault";
/// The error of a job aborted by its client.
pub(crate) const ABORTED: &str = "the publish was aborted before it went live; the live site is unchanged";

/// What is stored per job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JobRecord {
    pub status: JobStatus,
    pub request: FinishRequest,
    /// The first answer to `finish`, replayed when the client sends `finish` again.
    pub response: FinishResponse,
    token: String,
    token_expires_ms: u64,
    /// Runs started, each counted (and stored) before it starts.
    #[serde(default)]
    attempts: u32,
}

/// Asks a running finalization to stop, and says why. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Stop {
    token: CancellationToken,
    reason: Arc<OnceLock<String>>,
}

impl Stop {
    /// The first reason given wins.
    fn stop(&self, reason: &str) {
        let _ = self.reason.set(reason.to_owned());
        self.token.cancel();
    }

    /// Why the finalization must stop, once it must.
    pub(crate) fn reason(&self) -> Option<String> {
        self.token.is_cancelled().then(|| self.reason.get().cloned().unwrap_or_else(|| ABORTED.to_owned()))
    }

    /// Resolves once the finalization must stop.
    pub(crate) async fn stopped(&self) {
        self.token.cancelled().await;
    }
}

/// What [`Jobs::cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cancelled {
    /// The job was waiting or running: it is failed and will not publish.
    Stopped,
    /// The job already ended, or is moving the pointer: it was not stopped.
    TooLate,
}

/// What start-up found among the stored jobs.
#[derive(Debug, Default)]
pub(crate) struct Reopened {
    /// Jobs interrupted by a stop, to run again (already in line, oldest first).
    pub to_run: Vec<SessionId>,
    /// Jobs that stopped the server [`MAX_ATTEMPTS`] times: now failed, not run again.
    pub given_up: Vec<SessionId>,
}

pub(crate) struct Jobs {
    sessions_dir: PathBuf,
    registry: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    jobs: HashMap<SessionId, Live>,
    /// Jobs waiting to run, oldest first.
    waiting: VecDeque<SessionId>,
    running: Option<SessionId>,
}

struct Live {
    record: JobRecord,
    updates: watch::Sender<JobStatus>,
    stop: Stop,
    /// Set while the job moves the pointer: too late to stop it.
    committing: bool,
}

impl Live {
    fn new(record: JobRecord) -> Self {
        let (updates, _) = watch::channel(record.status.clone());
        Self { record, updates, stop: Stop::default(), committing: false }
    }
}

impl Jobs {
    /// Loads every stored job. A job that did not finish is put back in line, unless its runs
    /// stopped the server [`MAX_ATTEMPTS`] times: it is then failed. A `job.json` that cannot be
    /// read is moved to `quarantine`.
    pub(crate) fn open(sessions_dir: &Path, quarantine: &Path) -> Result<(Self, Reopened), JobError> {
        let jobs = Self { sessions_dir: sessions_dir.to_owned(), registry: Mutex::default() };
        let mut unfinished = Vec::new();
        let mut given_up = Vec::new();
        for entry in std::fs::read_dir(sessions_dir).into_iter().flatten().flatten() {
            let path = entry.path().join(JOB_FILE);
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut record = match read_record(&path) {
                Ok(Some(record)) => record,
                Ok(None) => continue,
                Err(reason) => {
                    durable::quarantine(quarantine, "job", &name, &path, &reason).map_err(JobError::Persist)?;
                    continue;
                }
            };
            let id = record.status.session_id;
            if !record.status.status.is_terminal() {
                if record.attempts >= MAX_ATTEMPTS {
                    tracing::error!(session = %id, attempts = record.attempts, "a finalization stopped the server every time it ran; failing it");
                    fail_status(&mut record.status, STOPPED_THE_SERVER_TWICE);
                    jobs.persist(&record)?;
                    given_up.push(id);
                } else {
                    unfinished.push((record.status.created_at.clone(), id));
                }
            }
            jobs.registry().jobs.insert(id, Live::new(record));
        }
        unfinished.sort();
        let to_run: Vec<SessionId> = unfinished.into_iter().map(|(_, id)| id).collect();
        {
            let mut registry = jobs.registry();
            registry.waiting.extend(to_run.iter().copied());
            registry.refresh_positions();
        }
        Ok((jobs, Reopened { to_run, given_up }))
    }

    /// Creates the job of a finished session and puts it in line.
    pub(crate) fn create(&self, session: SessionId, request: FinishRequest) -> Result<FinishResponse, JobError> {
        let now = now_ms();
        let job_id = uuid::Uuid::new_v4().to_string();
        let token = random_token()?;
        let token_expires_ms = now + TOKEN_LIFETIME.as_millis() as u64;
        let response = FinishResponse {
            session_id: session,
            success: true,
            job_id: job_id.clone(),
            status: "queued".into(),
            realtime: Some(Realtime {
                transport: "sse".into(),
                stream_url: format!("/events/session/{session}/finalization?jobId={job_id}"),
                token: token.clone(),
                expires_at: iso8601(token_expires_ms),
            }),
        };
        let status = JobStatus {
            job_id,
            session_id: session,
            status: JobState::Pending,
            progress: 0,
            phase: Phase::Queued,
            error: None,
            error_code: None,
            result: None,
            content_revision: None,
            created_at: iso8601(now),
            started_at: None,
            completed_at: None,
            queued_ahead: None,
        };
        let record = JobRecord { status, request, response: response.clone(), token, token_expires_ms, attempts: 0 };
        self.persist(&record)?;
        let mut registry = self.registry();
        registry.jobs.insert(session, Live::new(record));
        registry.waiting.push_back(session);
        registry.refresh_positions();
        Ok(response)
    }

    /// The first answer given to `finish`, to answer a repeated `finish` with.
    pub(crate) fn response(&self, session: SessionId) -> Option<FinishResponse> {
        self.registry().jobs.get(&session).map(|live| live.record.response.clone())
    }

    pub(crate) fn status(&self, session: SessionId) -> Option<JobStatus> {
        self.registry().jobs.get(&session).map(|live| live.record.status.clone())
    }

    pub(crate) fn request(&self, session: SessionId) -> Option<FinishRequest> {
        self.registry().jobs.get(&session).map(|live| live.record.request.clone())
    }

    /// Follows a job's status, for the SSE stream; the token is the only credential there.
    pub(crate) fn subscribe(
        &self,
        session: SessionId,
        job_id: &str,
        token: &str,
    ) -> Result<watch::Receiver<JobStatus>, JobError> {
        let registry = self.registry();
        let job =
            registry.jobs.get(&session).filter(|live| live.record.status.job_id == job_id).ok_or(JobError::NotFound)?;
        let matches: bool = job.record.token.as_bytes().ct_eq(token.as_bytes()).into();
        if !matches {
            return Err(JobError::InvalidToken);
        }
        if now_ms() > job.record.token_expires_ms {
            return Err(JobError::TokenExpired);
        }
        Ok(job.updates.subscribe())
    }

    /// Takes the job out of the line to run it: counts the run in `job.json` (durably, before
    /// anything of the run happens) and answers how to know when to stop. `None` when there is
    /// nothing to run (the job was aborted while it waited, or is gone).
    pub(crate) fn begin(&self, session: SessionId) -> Option<Stop> {
        let record = {
            let mut registry = self.registry();
            registry.waiting.retain(|id| *id != session);
            let job = registry.jobs.get_mut(&session).filter(|job| !job.record.status.status.is_terminal())?;
            job.record.attempts += 1;
            job.record.status.queued_ahead = None;
            job.updates.send_replace(job.record.status.clone());
            let record = job.record.clone();
            registry.running = Some(session);
            registry.refresh_positions();
            record
        };
        if let Err(error) = self.persist(&record) {
            // Without the count, a run that kills the server could be run again forever.
            tracing::error!(%session, %error, "cannot record the start of a finalization; not running it");
            let _ = self.fail(session, format!("the finalization could not start: {error}"));
            self.end(session);
            return None;
        }
        tracing::info!(%session, attempt = record.attempts, "finalization started");
        self.registry().jobs.get(&session).map(|job| job.stop.clone())
    }

    /// The job's run ended (whatever its outcome): the next in line moves up.
    pub(crate) fn end(&self, session: SessionId) {
        let mut registry = self.registry();
        if registry.running == Some(session) {
            registry.running = None;
        }
        registry.refresh_positions();
    }

    /// The job whose run is under way, if any.
    pub(crate) fn running(&self) -> Option<SessionId> {
        self.registry().running
    }

    /// The server stops on purpose while `session` runs: that run is not counted against it.
    pub(crate) fn release_attempt(&self, session: SessionId) {
        let record = {
            let mut registry = self.registry();
            let Some(job) = registry.jobs.get_mut(&session) else { return };
            if job.record.status.status.is_terminal() || job.record.attempts == 0 {
                return;
            }
            job.record.attempts -= 1;
            job.record.clone()
        };
        let _ = self.persist(&record);
    }

    /// Stops a waiting or running job, which fails with `reason`; the client and SSE
    /// subscribers see it at once. Too late once the job ended or moves the pointer.
    pub(crate) fn cancel(&self, session: SessionId, reason: &str) -> Result<Cancelled, JobError> {
        {
            let mut registry = self.registry();
            let job = registry.jobs.get_mut(&session).ok_or(JobError::NotFound)?;
            if job.committing || job.record.status.status.is_terminal() {
                return Ok(Cancelled::TooLate);
            }
            job.stop.stop(reason);
            registry.waiting.retain(|id| *id != session);
            registry.refresh_positions();
        }
        self.fail(session, reason.to_owned())?;
        Ok(Cancelled::Stopped)
    }

    /// The job is about to move the pointer: from now on it cannot be stopped. Fails with the
    /// reason when it was stopped first (a stopped job never publishes).
    pub(crate) fn begin_commit(&self, session: SessionId) -> Result<(), JobError> {
        let mut registry = self.registry();
        let job = registry.jobs.get_mut(&session).ok_or(JobError::NotFound)?;
        if let Some(reason) = job.stop.reason() {
            return Err(JobError::Stopped(reason));
        }
        job.committing = true;
        Ok(())
    }

    /// The pointer did not move after all (another server's publish came first): the job builds
    /// again and may be stopped meanwhile.
    pub(crate) fn end_commit(&self, session: SessionId) {
        if let Some(job) = self.registry().jobs.get_mut(&session) {
            job.committing = false;
        }
    }

    /// Moves the job forward; a phase or progress lower than the current one is ignored, and
    /// so is any change to a job that ended.
    pub(crate) fn advance(&self, session: SessionId, phase: Phase, progress: u8) {
        let _ = self.update(session, |status| {
            if status.started_at.is_none() {
                status.started_at = Some(iso8601(now_ms()));
            }
            status.status = JobState::Processing;
            status.phase = status.phase.max(phase);
            status.progress = status.progress.max(progress.min(99));
        });
    }

    pub(crate) fn complete(&self, session: SessionId, result: JobResult) -> Result<(), JobError> {
        self.update(session, |status| {
            status.status = JobState::Completed;
            status.phase = Phase::Completed;
            status.progress = 100;
            status.content_revision = Some(result.content_revision.clone());
            status.result = Some(result);
            status.completed_at = Some(iso8601(now_ms()));
        })
    }

    pub(crate) fn fail(&self, session: SessionId, error: String) -> Result<(), JobError> {
        self.fail_with(session, error, None)
    }

    /// Fails the job with `error` and, when the failure has one, its stable `code`.
    pub(crate) fn fail_with(
        &self,
        session: SessionId,
        error: String,
        code: Option<vps_core::ErrorCode>,
    ) -> Result<(), JobError> {
        self.update(session, |status| {
            fail_status(status, &error);
            status.error_code = code;
        })
    }

    /// Forgets a session's job (the session expired or was cleaned up).
    pub(crate) fn forget(&self, session: SessionId) {
        let mut registry = self.registry();
        registry.jobs.remove(&session);
        registry.waiting.retain(|id| *id != session);
    }

    fn update(&self, session: SessionId, change: impl FnOnce(&mut JobStatus)) -> Result<(), JobError> {
        let record = {
            let mut registry = self.registry();
            let Some(job) = registry.jobs.get_mut(&session) else { return Err(JobError::NotFound) };
            if job.record.status.status.is_terminal() {
                return Ok(());
            }
            let before = (job.record.status.status, job.record.status.phase);
            change(&mut job.record.status);
            if job.record.status.status.is_terminal() {
                job.record.status.queued_ahead = None;
            }
            job.updates.send_replace(job.record.status.clone());
            // Progress ticks are broadcast only; state and phase changes are also stored.
            let changed = before != (job.record.status.status, job.record.status.phase);
            changed.then(|| job.record.clone())
        };
        match record {
            Some(record) => self.persist(&record),
            None => Ok(()),
        }
    }

    fn persist(&self, record: &JobRecord) -> Result<(), JobError> {
        let dir = self.sessions_dir.join(record.status.session_id.to_string());
        let bytes = serde_json::to_vec_pretty(record).map_err(JobError::Encode)?;
        durable::write_file_in(&dir, JOB_FILE, &bytes, 0o600).map_err(JobError::Persist)?;
        Ok(())
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // Every change leaves the registry consistent: a panic elsewhere does not spoil it.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Registry {
    /// Tells each waiting job how many runs come before it (broadcast, not stored).
    fn refresh_positions(&mut self) {
        let running = u32::from(self.running.is_some());
        for (place, id) in self.waiting.iter().enumerate() {
            if let Some(job) = self.jobs.get_mut(id) {
                let ahead = Some(running + place as u32);
                if job.record.status.queued_ahead != ahead && !job.record.status.status.is_terminal() {
                    job.record.status.queued_ahead = ahead;
                    job.updates.send_replace(job.record.status.clone());
                }
            }
        }
    }
}

fn fail_status(status: &mut JobStatus, error: &str) {
    status.status = JobState::Failed;
    status.phase = Phase::Failed;
    status.error = Some(error.to_owned());
    status.queued_ahead = None;
    status.completed_at = Some(iso8601(now_ms()));
}

/// A stored job; `Ok(None)` when the session has none, `Err` (why) when it cannot be trusted.
fn read_record(path: &Path) -> Result<Option<JobRecord>, String> {
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    if len > MAX_JOB_FILE_BYTES {
        return Err(format!("{len} bytes, more than a job ever holds ({MAX_JOB_FILE_BYTES})"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let record: JobRecord = serde_json::from_slice(&bytes).map_err(|e| format!("not a job: {e}"))?;
    let in_dir = path.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
    if in_dir.as_deref() != Some(record.status.session_id.to_string().as_str()) {
        return Err("the job names another session".into());
    }
    Ok(Some(record))
}

fn random_token() -> Result<String, JobError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|_| JobError::Randomness)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
