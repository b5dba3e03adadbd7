//! Finalization jobs: one per finished session, stored durably beside the session
//! (`sessions/<id>/job.json`) so that status survives a restart, and broadcast to SSE
//! subscribers as it changes. Progress and phase only move forward.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tokio::sync::watch;
use vps_core::SessionId;
use vps_core::job::{FinishRequest, FinishResponse, JobResult, JobState, JobStatus, Phase, Realtime, iso8601};
use vps_store::durable;

use crate::ApiError;

const JOB_FILE: &str = "job.json";
/// How long an SSE token stays valid.
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// What is stored per job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub status: JobStatus,
    pub request: FinishRequest,
    /// The first answer to `finish`, replayed when the client sends `finish` again.
    pub response: FinishResponse,
    token: String,
    token_expires_ms: u64,
}

pub struct Jobs {
    sessions_dir: PathBuf,
    live: Mutex<HashMap<SessionId, Live>>,
}

struct Live {
    record: JobRecord,
    updates: watch::Sender<JobStatus>,
}

impl Jobs {
    /// Loads every stored job; returns the registry and the sessions whose job did not finish
    /// (the server stopped during finalization), to be run again.
    pub fn open(sessions_dir: &Path) -> (Self, Vec<SessionId>) {
        let mut live = HashMap::new();
        let mut unfinished = Vec::new();
        for entry in std::fs::read_dir(sessions_dir).into_iter().flatten().flatten() {
            let path = entry.path().join(JOB_FILE);
            let Ok(bytes) = std::fs::read(&path) else { continue };
            match serde_json::from_slice::<JobRecord>(&bytes) {
                Ok(record) => {
                    let id = record.status.session_id;
                    if !record.status.status.is_terminal() {
                        unfinished.push(id);
                    }
                    let (updates, _) = watch::channel(record.status.clone());
                    live.insert(id, Live { record, updates });
                }
                Err(error) => tracing::warn!(path = %path.display(), %error, "ignoring an unreadable job"),
            }
        }
        (Self { sessions_dir: sessions_dir.to_owned(), live: Mutex::new(live) }, unfinished)
    }

    /// Creates the job of a finished session.
    pub fn create(&self, session: SessionId, request: FinishRequest) -> Result<FinishResponse, ApiError> {
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
            result: None,
            content_revision: None,
            created_at: iso8601(now),
            started_at: None,
            completed_at: None,
        };
        let record = JobRecord { status: status.clone(), request, response: response.clone(), token, token_expires_ms };
        self.persist(&record)?;
        let (updates, _) = watch::channel(status);
        self.live.lock().expect("jobs lock").insert(session, Live { record, updates });
        Ok(response)
    }

    /// The first answer given to `finish`, to answer a repeated `finish` with.
    pub fn response(&self, session: SessionId) -> Option<FinishResponse> {
        self.live.lock().expect("jobs lock").get(&session).map(|live| live.record.response.clone())
    }

    pub fn status(&self, session: SessionId) -> Option<JobStatus> {
        self.live.lock().expect("jobs lock").get(&session).map(|live| live.record.status.clone())
    }

    pub fn request(&self, session: SessionId) -> Option<FinishRequest> {
        self.live.lock().expect("jobs lock").get(&session).map(|live| live.record.request.clone())
    }

    /// Follows a job's status, for the SSE stream; the token is the only credential there.
    pub fn subscribe(
        &self,
        session: SessionId,
        job_id: &str,
        token: &str,
    ) -> Result<watch::Receiver<JobStatus>, ApiError> {
        let live = self.live.lock().expect("jobs lock");
        let job = live.get(&session).filter(|live| live.record.status.job_id == job_id).ok_or(ApiError::JobNotFound)?;
        let matches: bool = job.record.token.as_bytes().ct_eq(token.as_bytes()).into();
        if !matches {
            return Err(ApiError::InvalidToken);
        }
        if now_ms() > job.record.token_expires_ms {
            return Err(ApiError::TokenExpired);
        }
        Ok(job.updates.subscribe())
    }

    /// Moves the job forward; a phase or progress lower than the current one is ignored.
    pub fn advance(&self, session: SessionId, phase: Phase, progress: u8) {
        let _ = self.update(session, |status| {
            if status.started_at.is_none() {
                status.started_at = Some(iso8601(now_ms()));
            }
            status.status = JobState::Processing;
            status.phase = status.phase.max(phase);
            status.progress = status.progress.max(progress.min(99));
        });
    }

    pub fn complete(&self, session: SessionId, result: JobResult) -> Result<(), ApiError> {
        self.update(session, |status| {
            status.status = JobState::Completed;
            status.phase = Phase::Completed;
            status.progress = 100;
            status.content_revision = Some(result.content_revision.clone());
            status.result = Some(result);
            status.completed_at = Some(iso8601(now_ms()));
        })
    }

    pub fn fail(&self, session: SessionId, error: String) -> Result<(), ApiError> {
        self.update(session, |status| {
            status.status = JobState::Failed;
            status.phase = Phase::Failed;
            status.error = Some(error);
            status.completed_at = Some(iso8601(now_ms()));
        })
    }

    /// Forgets a session's job (the session expired or was cleaned up).
    pub fn forget(&self, session: SessionId) {
        self.live.lock().expect("jobs lock").remove(&session);
    }

    fn update(&self, session: SessionId, change: impl FnOnce(&mut JobStatus)) -> Result<(), ApiError> {
        let record = {
            let mut live = self.live.lock().expect("jobs lock");
            let Some(job) = live.get_mut(&session) else { return Err(ApiError::JobNotFound) };
            let before = (job.record.status.status, job.record.status.phase);
            change(&mut job.record.status);
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

    fn persist(&self, record: &JobRecord) -> Result<(), ApiError> {
        let dir = self.sessions_dir.join(record.status.session_id.to_string());
        let bytes = serde_json::to_vec_pretty(record).map_err(|e| ApiError::Internal(e.to_string()))?;
        durable::write_file_in(&dir, JOB_FILE, &bytes, 0o600)?;
        Ok(())
    }
}

fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::Internal("no randomness for a token".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
