//! Operator commands on a data directory: list revisions, roll back, collect garbage.
//!
//! `rollback` only moves the `current` pointer (atomically), so it is safe while a server runs:
//! the server notices the move within `REVISION_POLL_MS`. `gc` deletes files, so it takes the
//! data directory's lock and refuses to run beside a server.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::path::Path;

use vps_core::ContentHash;
use vps_core::job::iso8601;
use vps_core::revision::{Revision, RevisionId};
use vps_store::{FsStore, Revisions, StoreError};

use crate::sessions::{SessionState, Sessions};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no revision {0}")]
    UnknownRevision(String),
    #[error("there is no earlier revision to roll back to")]
    NothingToRollBackTo,
    #[error("a server is running on {0}; stop it before collecting garbage")]
    ServerRunning(String),
}

/// One line of `vps-publish revisions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionSummary {
    pub id: RevisionId,
    pub created_at: String,
    pub pages: usize,
    pub assets: usize,
    pub current: bool,
}

pub fn list_revisions(data_dir: &Path) -> Result<Vec<RevisionSummary>, AdminError> {
    let revisions = Revisions::open(data_dir)?;
    let current = revisions.current()?;
    let mut summaries = Vec::new();
    for id in revisions.list()? {
        let Some(revision) = revisions.load(&id)? else { continue };
        summaries.push(RevisionSummary {
            current: current.as_ref() == Some(&id),
            created_at: iso8601(revision.created_at_ms),
            pages: revision.pages.len(),
            assets: revision.assets.len(),
            id,
        });
    }
    Ok(summaries)
}

/// Points the site at `target`, or at the revision before the current one.
pub fn rollback(data_dir: &Path, target: Option<&str>) -> Result<RevisionId, AdminError> {
    let revisions = Revisions::open(data_dir)?;
    let id = match target {
        Some(text) => RevisionId::parse(text).map_err(|_| AdminError::UnknownRevision(text.to_owned()))?,
        None => {
            let all = revisions.list()?;
            let current = revisions.current()?;
            let before = match &current {
                Some(current) => all.iter().rev().find(|id| *id < current),
                None => all.last(),
            };
            before.cloned().ok_or(AdminError::NothingToRollBackTo)?
        }
    };
    if revisions.load(&id)?.is_none() {
        return Err(AdminError::UnknownRevision(id.to_string()));
    }
    revisions.set_current(Some(&id))?;
    Ok(id)
}

/// What `gc` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    pub revisions_removed: usize,
    pub blobs_removed: usize,
    pub bytes_freed: u64,
}

/// Keeps the current revision and the `keep` newest ones, and every blob they or an open
/// session reference; removes the rest.
pub fn gc(data_dir: &Path, keep: usize) -> Result<GcReport, AdminError> {
    let lock_path = data_dir.join(".lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(StoreError::io("open", &lock_path))?;
    lock.try_lock().map_err(|_| AdminError::ServerRunning(data_dir.display().to_string()))?;

    let revisions = Revisions::open(data_dir)?;
    let current = revisions.current()?;
    let all = revisions.list()?;
    let newest: HashSet<&RevisionId> = all.iter().rev().take(keep).collect();
    let mut report = GcReport::default();
    let mut referenced: HashSet<ContentHash> = HashSet::new();
    for id in &all {
        if newest.contains(id) || current.as_ref() == Some(id) {
            if let Some(revision) = revisions.load(id)? {
                referenced.extend(revision.blobs().copied());
            }
        } else {
            revisions.remove(id)?;
            report.revisions_removed += 1;
        }
    }
    let sessions = Sessions::open(&data_dir.join("sessions"))?;
    for session in sessions.all_blocking() {
        if matches!(session.state, SessionState::Open | SessionState::Finishing) {
            referenced.extend(session.assets.values().map(|asset| asset.sha256));
        }
    }
    let store = FsStore::open(&data_dir.join("blobs"), &data_dir.join("tmp"))?;
    for hash in store.list()? {
        if !referenced.contains(&hash) {
            report.bytes_freed += std::fs::metadata(store.blob_path(&hash)).map(|m| m.len()).unwrap_or(0);
            store.remove(&hash)?;
            report.blobs_removed += 1;
        }
    }
    Ok(report)
}

/// The revision the site serves now, if any.
pub fn current_revision(data_dir: &Path) -> Result<Option<Revision>, AdminError> {
    let revisions = Revisions::open(data_dir)?;
    match revisions.current()? {
        Some(id) => Ok(revisions.load(&id)?),
        None => Ok(None),
    }
}
