//! Publish sessions: one per publish, from `start` to `finish` or `abort`.
//!
//! A session lives in `sessions/<id>/` and in memory behind a per-session lock, so that
//! concurrent requests of one session apply their changes one after the other while different
//! sessions never wait for each other. On disk:
//!
//! - `session.json`: the small header (state, options, notes batches), replaced durably when it
//!   changes;
//! - `assets.jsonl`: the session's asset records, one JSON line per change, appended and fsynced
//!   per upload, so that an upload costs one line whatever the session already holds. Read back
//!   in order, a later line for a path replaces an earlier one. A last line torn by a crash is
//!   dropped with a warning.
//!
//! A session whose files cannot be read back (or declare what no session holds) is moved to
//! `<data>/quarantine/` with a warning, and the server starts without it.

use std::collections::HashMap;
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

mod assets;
mod error;

use assets::Change;
pub(crate) use assets::SessionAssets;
pub(crate) use error::SessionError;

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
pub(crate) struct Session {
    pub id: SessionId,
    pub state: SessionState,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    /// The `start` body, kept whole: finalization needs its routing settings.
    pub start: StartSessionRequest,
    /// Assets uploaded or linked by hash in this session, by vault path. A later upload of the
    /// same path replaces the earlier one. Stored in `assets.jsonl`, not in `session.json`
    /// (read from there only when an older server wrote it).
    #[serde(default, skip_serializing)]
    pub assets: SessionAssets,
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
    /// Whether the parts kept in `session.json` differ (the time of the change aside).
    fn header_differs(&self, other: &Session) -> bool {
        self.id != other.id
            || self.state != other.state
            || self.created_at_ms != other.created_at_ms
            || self.offered_skips != other.offered_skips
            || self.note_batches != other.note_batches
            || self.notes_received != other.notes_received
            || self.cleanup_rules != other.cleanup_rules
            || self.start != other.start
    }

    /// Fails unless the session still accepts uploads.
    pub(crate) fn ensure_open(&self) -> Result<(), SessionError> {
        match self.state {
            SessionState::Open => Ok(()),
            state => Err(SessionError::NotOpen { id: self.id, state }),
        }
    }
}

/// All sessions, on disk and in memory.
pub(crate) struct Sessions {
    dir: PathBuf,
    live: Mutex<HashMap<SessionId, Arc<AsyncMutex<Session>>>>,
}

const SESSION_FILE: &str = "session.json";
const ASSETS_FILE: &str = "assets.jsonl";
/// A `session.json` larger than this is not read (it holds the `start` body: options and CSS).
const MAX_SESSION_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// An `assets.jsonl` line longer than this is not a record (a path is at most a few KiB).
const MAX_ASSET_LINE_BYTES: u64 = 64 * 1024;

/// One line of `assets.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
enum AssetLine {
    /// The asset of `path` is now this one.
    Put {
        at: u64,
        path: AssetPath,
        #[serde(flatten)]
        asset: SessionAsset,
    },
    /// The session no longer has an asset at `path`.
    Remove { at: u64, path: AssetPath },
    /// The session has no asset any more (it was aborted).
    Clear { at: u64 },
}

impl AssetLine {
    fn at(&self) -> u64 {
        match self {
            Self::Put { at, .. } | Self::Remove { at, .. } | Self::Clear { at } => *at,
        }
    }
}

impl Sessions {
    /// Opens the sessions directory and loads every session in it; one that cannot be read back
    /// is moved to `quarantine`.
    pub(crate) fn open(dir: &Path, quarantine: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            op: "create directory",
            path: dir.into(),
            source,
        })?;
        let mut live = HashMap::new();
        let entries =
            std::fs::read_dir(dir).map_err(|source| StoreError::Io { op: "list", path: dir.into(), source })?;
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let session_dir = entry.path();
            match load_session(&session_dir)? {
                Loaded::Session(session) => {
                    live.insert(session.id, Arc::new(AsyncMutex::new(*session)));
                }
                Loaded::Nothing => {}
                Loaded::Untrusted(reason) => {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    durable::quarantine(quarantine, "session", &name, &session_dir, &reason)?;
                }
            }
        }
        Ok(Self { dir: dir.to_owned(), live: Mutex::new(live) })
    }

    pub(crate) async fn create(
        &self,
        start: StartSessionRequest,
        offered_skips: bool,
    ) -> Result<Session, SessionError> {
        let now = now_ms();
        let session = Session {
            id: SessionId::generate(),
            state: SessionState::Open,
            created_at_ms: now,
            updated_at_ms: now,
            start,
            assets: SessionAssets::default(),
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
    pub(crate) async fn get(&self, id: SessionId) -> Result<Session, SessionError> {
        let entry = self.entry(id)?;
        let session = entry.lock().await;
        Ok(session.clone())
    }

    /// Applies `change` to the session and stores the result durably; if `change` fails or the
    /// session cannot be stored, the session stays as it was.
    pub(crate) async fn update<R>(
        &self,
        id: SessionId,
        change: impl FnOnce(&mut Session) -> Result<R, SessionError>,
    ) -> Result<R, SessionError> {
        self.try_update(id, change).await
    }

    /// [`Sessions::update`] with a change that fails with an error of its caller's (a route that
    /// must ask the job queue first).
    pub(crate) async fn try_update<R, E: From<SessionError>>(
        &self,
        id: SessionId,
        change: impl FnOnce(&mut Session) -> Result<R, E>,
    ) -> Result<R, E> {
        let entry = self.entry(id)?;
        let mut session = entry.lock().await;
        // The header is copied to restore it on failure; the assets are not (a session may hold
        // tens of thousands): their changes are undone one by one instead.
        let assets = std::mem::take(&mut session.assets);
        let before = session.clone();
        session.assets = assets;
        let outcome = match change(&mut session) {
            Ok(result) => self.store_changes(&mut session, &before).await.map(|()| result).map_err(E::from),
            Err(error) => Err(error),
        };
        if outcome.is_err() {
            let mut assets = std::mem::take(&mut session.assets);
            assets.roll_back();
            *session = before;
            session.assets = assets;
        }
        outcome
    }

    /// Stores what an update changed: the header when it differs, one journal line per asset
    /// change. Costs what changed, whatever the session holds.
    async fn store_changes(&self, session: &mut Session, before: &Session) -> Result<(), SessionError> {
        session.updated_at_ms = now_ms();
        let at = session.updated_at_ms;
        let lines: Vec<AssetLine> = session
            .assets
            .pending()
            .iter()
            .map(|change| match change {
                Change::Put { path, asset, .. } => AssetLine::Put { at, path: path.clone(), asset: asset.clone() },
                Change::Remove { path, .. } => AssetLine::Remove { at, path: path.clone() },
                Change::Clear { .. } => AssetLine::Clear { at },
            })
            .collect();
        if session.header_differs(before) {
            self.persist(session).await?;
        }
        self.append_assets(session.id, lines).await?;
        session.assets.settle();
        Ok(())
    }

    /// Fails unless the session exists and still accepts uploads; copies nothing.
    pub(crate) async fn ensure_open(&self, id: SessionId) -> Result<(), SessionError> {
        self.entry(id)?.lock().await.ensure_open()
    }

    /// Stores a batch of notes in the session's directory; returns the file name to record.
    pub(crate) async fn store_notes(
        &self,
        id: SessionId,
        upload_id: &str,
        batch: &NotesBatch,
    ) -> Result<String, SessionError> {
        let name = format!("{}.json", sanitize_file_name(upload_id));
        let dir = self.dir.join(id.to_string()).join("notes");
        let bytes = serde_json::to_vec(batch).map_err(|e| SessionError::Internal(e.to_string()))?;
        let file = name.clone();
        tokio::task::spawn_blocking(move || durable::write_file_in(&dir, &file, &bytes, 0o600))
            .await
            .map_err(|e| SessionError::Internal(e.to_string()))??;
        Ok(name)
    }

    /// Every note the session received, in the order received. Blocking file I/O.
    pub(crate) fn load_notes(&self, session: &Session) -> Result<Vec<Note>, StoreError> {
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
    pub(crate) async fn expire(&self, ttl: std::time::Duration) -> Vec<SessionId> {
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
    pub(crate) async fn all(&self) -> Vec<Session> {
        let entries: Vec<_> = self.live.lock().expect("sessions lock").values().cloned().collect();
        let mut sessions = Vec::with_capacity(entries.len());
        for entry in entries {
            sessions.push(entry.lock().await.clone());
        }
        sessions
    }

    fn entry(&self, id: SessionId) -> Result<Arc<AsyncMutex<Session>>, SessionError> {
        let live = self.live.lock().expect("sessions lock");
        live.get(&id).cloned().ok_or(SessionError::NotFound(id))
    }

    /// Appends asset records to the session's `assets.jsonl` and fsyncs it.
    async fn append_assets(&self, id: SessionId, lines: Vec<AssetLine>) -> Result<(), SessionError> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::new();
        for line in &lines {
            serde_json::to_writer(&mut bytes, line).map_err(|e| SessionError::Internal(e.to_string()))?;
            bytes.push(b'\n');
        }
        let dir = self.dir.join(id.to_string());
        tokio::task::spawn_blocking(move || append_file(&dir, ASSETS_FILE, &bytes))
            .await
            .map_err(|e| SessionError::Internal(e.to_string()))?
            .map_err(SessionError::from)
    }

    async fn persist(&self, session: &Session) -> Result<(), SessionError> {
        let dir = self.dir.join(session.id.to_string());
        let bytes = serde_json::to_vec_pretty(session).map_err(|e| SessionError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || durable::write_file_in(&dir, SESSION_FILE, &bytes, 0o600))
            .await
            .map_err(|e| SessionError::Internal(e.to_string()))?
            .map_err(SessionError::from)
    }
}

/// What is found in a session's directory at start-up.
enum Loaded {
    Session(Box<Session>),
    /// Not a session (no `session.json`).
    Nothing,
    /// Files that cannot be trusted; why.
    Untrusted(String),
}

/// Reads a session back: `session.json`, then `assets.jsonl` line by line. A torn last line is
/// cut off the file (a crash during an append); any other bad line makes the session untrusted.
fn load_session(dir: &Path) -> Result<Loaded, StoreError> {
    let path = dir.join(SESSION_FILE);
    let len = match std::fs::metadata(&path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Loaded::Nothing),
        Err(source) => return Err(StoreError::Io { op: "read", path, source }),
    };
    if len > MAX_SESSION_FILE_BYTES {
        return Ok(Loaded::Untrusted(format!("{SESSION_FILE} has {len} bytes, more than a session ever holds")));
    }
    let bytes = std::fs::read(&path).map_err(|source| StoreError::Io { op: "read", path: path.clone(), source })?;
    let mut session = match serde_json::from_slice::<Session>(&bytes) {
        Ok(session) => session,
        Err(error) => return Ok(Loaded::Untrusted(format!("{SESSION_FILE} is not a session: {error}"))),
    };
    if dir.file_name().and_then(|n| n.to_str()) != Some(session.id.to_string().as_str()) {
        return Ok(Loaded::Untrusted(format!("{SESSION_FILE} names another session")));
    }
    let journal = dir.join(ASSETS_FILE);
    if !session.assets.is_empty() && !journal.exists() {
        // Written by a server that kept the assets in `session.json`: move them to the journal.
        let at = session.updated_at_ms;
        let lines =
            session.assets.iter().map(|(path, asset)| AssetLine::Put { at, path: path.clone(), asset: asset.clone() });
        let mut bytes = Vec::new();
        for line in lines {
            serde_json::to_writer(&mut bytes, &line).expect("records serialize");
            bytes.push(b'\n');
        }
        append_file(dir, ASSETS_FILE, &bytes)?;
        let header = serde_json::to_vec_pretty(&session).expect("sessions serialize");
        durable::write_file_in(dir, SESSION_FILE, &header, 0o600)?;
        session.assets.settle();
        return Ok(Loaded::Session(Box::new(session)));
    }
    session.assets.clear();
    let untrusted = read_journal(&journal, &mut session)?;
    session.assets.settle();
    match untrusted {
        Some(reason) => Ok(Loaded::Untrusted(reason)),
        None => Ok(Loaded::Session(Box::new(session))),
    }
}

/// Applies `assets.jsonl` to `session`; `Some(why)` when the file cannot be trusted.
fn read_journal(path: &Path, session: &mut Session) -> Result<Option<String>, StoreError> {
    use std::io::{BufRead, BufReader, Read};
    let io = |op| move |source| StoreError::Io { op, path: path.to_owned(), source };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read")(e)),
    };
    let mut reader = BufReader::new(file);
    let (mut good, mut number) = (0u64, 0u64);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut reader).take(MAX_ASSET_LINE_BYTES + 1).read_until(b'\n', &mut line).map_err(io("read"))?;
        if read == 0 {
            return Ok(None);
        }
        number += 1;
        let complete = line.last() == Some(&b'\n');
        if read as u64 > MAX_ASSET_LINE_BYTES {
            return Ok(Some(format!("{ASSETS_FILE} line {number} is longer than any record")));
        }
        match serde_json::from_slice::<AssetLine>(&line) {
            Ok(record) if complete => {
                good += read as u64;
                session.updated_at_ms = session.updated_at_ms.max(record.at());
                match record {
                    AssetLine::Put { path, asset, .. } => {
                        session.assets.insert(path, asset);
                    }
                    AssetLine::Remove { path, .. } => {
                        session.assets.remove(&path);
                    }
                    AssetLine::Clear { .. } => session.assets.clear(),
                }
            }
            _ if !complete => {
                // The last line, torn by a crash during its append: its upload was never
                // answered. Cut it off, so that the next append starts on a line of its own.
                tracing::warn!(path = %path.display(), line = number, "ignoring the torn last line of a session's asset records");
                let file = std::fs::OpenOptions::new().write(true).open(path).map_err(io("open"))?;
                file.set_len(good).map_err(io("truncate"))?;
                file.sync_all().map_err(io("fsync"))?;
                return Ok(None);
            }
            Ok(_) => unreachable!("complete lines are handled above"),
            Err(error) => return Ok(Some(format!("{ASSETS_FILE} line {number} is not a record: {error}"))),
        }
    }
}

/// Appends `bytes` to `dir/name` (created with mode 0600 if missing) and fsyncs it; a new file's
/// directory entry is fsynced too.
fn append_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let io = |op| {
        let path = path.clone();
        move |source| StoreError::Io { op, path, source }
    };
    let existed = path.exists();
    let mut file = std::fs::OpenOptions::new().append(true).create(true).mode(0o600).open(&path).map_err(io("open"))?;
    file.write_all(bytes).map_err(io("append"))?;
    file.sync_data().map_err(io("fsync"))?;
    if !existed {
        durable::sync_dir(dir)?;
    }
    Ok(())
}

/// Upload ids come from the client: keep letters, digits and `-` only.
fn sanitize_file_name(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(120).collect()
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(seed: u8) -> SessionAsset {
        SessionAsset { sha256: ContentHash::from_digest([seed; 32]), size: 10, media_type: MediaType::OCTET_STREAM }
    }

    async fn session_with_two_uploads(dir: &Path, quarantine: &Path) -> SessionId {
        let sessions = Sessions::open(dir, quarantine).unwrap();
        let id = sessions.create(StartSessionRequest::default(), false).await.unwrap().id;
        for (name, seed) in [("a.png", 1), ("b.png", 2), ("a.png", 3)] {
            let path = AssetPath::parse(name).unwrap();
            sessions
                .update(id, |s| {
                    s.assets.insert(path, asset(seed));
                    Ok(())
                })
                .await
                .unwrap();
        }
        id
    }

    #[tokio::test]
    async fn asset_records_come_back_in_order_the_later_one_winning() {
        let root = tempfile::tempdir().unwrap();
        let (dir, quarantine) = (root.path().join("sessions"), root.path().join("quarantine"));
        let id = session_with_two_uploads(&dir, &quarantine).await;
        let sessions = Sessions::open(&dir, &quarantine).unwrap();
        let assets = sessions.get(id).await.unwrap().assets;
        assert_eq!(assets.len(), 2);
        assert_eq!(assets[&AssetPath::parse("a.png").unwrap()], asset(3));
        // An abort clears them with one more line.
        sessions
            .update(id, |s| {
                s.assets.clear();
                Ok(())
            })
            .await
            .unwrap();
        let sessions = Sessions::open(&dir, &quarantine).unwrap();
        assert!(sessions.get(id).await.unwrap().assets.is_empty());
    }

    #[tokio::test]
    async fn a_bad_record_before_the_last_line_quarantines_the_session() {
        let root = tempfile::tempdir().unwrap();
        let (dir, quarantine) = (root.path().join("sessions"), root.path().join("quarantine"));
        let id = session_with_two_uploads(&dir, &quarantine).await;
        let journal = dir.join(id.to_string()).join(ASSETS_FILE);
        let text = std::fs::read_to_string(&journal).unwrap();
        std::fs::write(&journal, text.replacen("\"put\"", "\"pu", 1)).unwrap();
        let sessions = Sessions::open(&dir, &quarantine).unwrap();
        assert!(sessions.get(id).await.is_err(), "not loaded");
        let set_aside: Vec<String> =
            std::fs::read_dir(&quarantine).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(set_aside.len(), 1);
        assert!(set_aside[0].starts_with("session-") && set_aside[0].ends_with(&id.to_string()), "{set_aside:?}");
        assert!(!dir.join(id.to_string()).exists());
    }
}
