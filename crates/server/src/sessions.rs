//! Publish sessions: one per publish, from `start` to `finish` or `abort`.
//!
//! A session lives in `sessions/<id>/session.json` (replaced durably on every change) and in
//! memory behind a per-session lock, so that concurrent requests of one session apply their
//! changes one after the other while different sessions never wait for each other.

use std::collections::{BTreeMap, HashMap};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex as AsyncMutex;
use vps_core::api::StartSessionRequest;
use vps_core::note::{CleanupRule, Note, NotesBatch};
use vps_core::{AssetPath, ContentHash, MediaType, SessionId};
use vps_store::{StoreError, durable};

use crate::ApiError;

/// Where a session is in its life. Only `Open` accepts uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionState {
    Open,
    Aborted,
    Finishing,
    Finished,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Aborted => "aborted",
            Self::Finishing => "finishing",
            Self::Finished => "finished",
        }
    }
}

/// One asset of a session: its path in the vault and the blob that holds its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAsset {
    pub sha256: ContentHash,
    pub size: u64,
    pub media_type: MediaType,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: SessionId,
    pub state: SessionState,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    /// The `start` body, kept whole: finalization needs its routing settings.
    pub start: StartSessionRequest,
    /// Assets uploaded or linked by hash in this session, by vault path. A later upload of the
    /// same path replaces the earlier one.
    pub assets: BTreeMap<AssetPath, SessionAsset>,
    /// Whether `start` offered skip hints the client could use (`pipelineChanged: false` with a
    /// non-empty note map): then pages not uploaded are kept (a partial publish).
    #[serde(default)]
    pub offered_skips: bool,
    /// Files under `notes/` holding the notes batches received, in order.
    #[serde(default)]
    pub note_batches: Vec<String>,
    #[serde(default)]
    pub notes_received: u64,
    /// The cleanup rules of the first notes batch, if it had any.
    #[serde(default)]
    pub cleanup_rules: Option<Vec<CleanupRule>>,
}

impl Session {
    /// Fails unless the session still accepts uploads.
    pub fn ensure_open(&self) -> Result<(), ApiError> {
        match self.state {
            SessionState::Open => Ok(()),
            state => Err(ApiError::SessionNotOpen { id: self.id.to_string(), state: state.as_str() }),
        }
    }
}

/// All sessions, on disk and in memory.
pub struct Sessions {
    dir: PathBuf,
    live: Mutex<HashMap<SessionId, Arc<AsyncMutex<Session>>>>,
}

const SESSION_FILE: &str = "session.json";

impl Sessions {
    /// Opens the sessions directory and loads every session in it.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            op: "create directory",
            path: dir.into(),
            source,
        })?;
        let mut live = HashMap::new();
        let entries =
            std::fs::read_dir(dir).map_err(|source| StoreError::Io { op: "list", path: dir.into(), source })?;
        for entry in entries.flatten() {
            let path = entry.path().join(SESSION_FILE);
            match std::fs::read(&path) {
                Ok(bytes) => match serde_json::from_slice::<Session>(&bytes) {
                    Ok(session) => {
                        live.insert(session.id, Arc::new(AsyncMutex::new(session)));
                    }
                    Err(error) => tracing::warn!(path = %path.display(), %error, "ignoring an unreadable session"),
                },
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(source) => return Err(StoreError::Io { op: "read", path, source }),
            }
        }
        Ok(Self { dir: dir.to_owned(), live: Mutex::new(live) })
    }

    pub async fn create(&self, start: StartSessionRequest, offered_skips: bool) -> Result<Session, ApiError> {
        let now = now_ms();
        let session = Session {
            id: SessionId::generate(),
            state: SessionState::Open,
            created_at_ms: now,
            updated_at_ms: now,
            start,
            assets: BTreeMap::new(),
            offered_skips,
            note_batches: Vec::new(),
            notes_received: 0,
            cleanup_rules: None,
        };
        self.persist(&session).await?;
        self.live.lock().expect("sessions lock").insert(session.id, Arc::new(AsyncMutex::new(session.clone())));
        Ok(session)
    }

    /// A copy of the session as it is now.
    pub async fn get(&self, id: SessionId) -> Result<Session, ApiError> {
        let entry = self.entry(id)?;
        let session = entry.lock().await;
        Ok(session.clone())
    }

    /// Applies `change` to the session and stores the result durably; if `change` fails or the
    /// session cannot be stored, the session stays as it was.
    pub async fn update<R>(
        &self,
        id: SessionId,
        change: impl FnOnce(&mut Session) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let entry = self.entry(id)?;
        let mut session = entry.lock().await;
        let mut next = session.clone();
        let result = change(&mut next)?;
        next.updated_at_ms = now_ms();
        self.persist(&next).await?;
        *session = next;
        Ok(result)
    }

    /// Stores a batch of notes in the session's directory; returns the file name to record.
    pub async fn store_notes(&self, id: SessionId, upload_id: &str, batch: &NotesBatch) -> Result<String, ApiError> {
        let name = format!("{}.json", sanitize_file_name(upload_id));
        let dir = self.dir.join(id.to_string()).join("notes");
        let bytes = serde_json::to_vec(batch).map_err(|e| ApiError::Internal(e.to_string()))?;
        let file = name.clone();
        tokio::task::spawn_blocking(move || durable::write_file_in(&dir, &file, &bytes, 0o600))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
        Ok(name)
    }

    /// Every note the session received, in the order received. Blocking file I/O.
    pub fn load_notes(&self, session: &Session) -> Result<Vec<Note>, StoreError> {
        let dir = self.dir.join(session.id.to_string()).join("notes");
        let mut notes = Vec::new();
        for name in &session.note_batches {
            let path = dir.join(name);
            let bytes =
                std::fs::read(&path).map_err(|source| StoreError::Io { op: "read", path: path.clone(), source })?;
            let batch: NotesBatch = serde_json::from_slice(&bytes).map_err(|e| StoreError::Io {
                op: "decode notes",
                path: path.clone(),
                source: std::io::Error::new(ErrorKind::InvalidData, e),
            })?;
            notes.extend(batch.notes);
        }
        Ok(notes)
    }

    /// Sessions not touched for `ttl` that are not finishing: removed with their files.
    pub async fn expire(&self, ttl: std::time::Duration) -> Vec<SessionId> {
        let cutoff = now_ms().saturating_sub(ttl.as_millis() as u64);
        let entries: Vec<_> = self.live.lock().expect("sessions lock").iter().map(|(id, s)| (*id, s.clone())).collect();
        let mut expired = Vec::new();
        for (id, entry) in entries {
            let session = entry.lock().await;
            let idle = session.updated_at_ms < cutoff;
            if idle && session.state != SessionState::Finishing {
                let _ = tokio::fs::remove_dir_all(self.dir.join(id.to_string())).await;
                expired.push(id);
            }
        }
        let mut live = self.live.lock().expect("sessions lock");
        for id in &expired {
            live.remove(id);
        }
        expired
    }

    /// Every session (for `gc`, which keeps what open sessions reference).
    pub async fn all(&self) -> Vec<Session> {
        let entries: Vec<_> = self.live.lock().expect("sessions lock").values().cloned().collect();
        let mut sessions = Vec::with_capacity(entries.len());
        for entry in entries {
            sessions.push(entry.lock().await.clone());
        }
        sessions
    }

    fn entry(&self, id: SessionId) -> Result<Arc<AsyncMutex<Session>>, ApiError> {
        let live = self.live.lock().expect("sessions lock");
        live.get(&id).cloned().ok_or_else(|| ApiError::SessionNotFound(id.to_string()))
    }

    async fn persist(&self, session: &Session) -> Result<(), ApiError> {
        let dir = self.dir.join(session.id.to_string());
        let bytes = serde_json::to_vec_pretty(session).map_err(|e| ApiError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || durable::write_file_in(&dir, SESSION_FILE, &bytes, 0o600))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(ApiError::from)
    }
}

/// Upload ids come from the client: keep letters, digits and `-` only.
fn sanitize_file_name(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(120).collect()
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
