//! Revisions on a filesystem: `revisions/<id>.json`, immutable once written, and `current`, the
//! one mutable file, naming the live revision. Every write is temp → fsync → rename → fsync dir,
//! so a crash leaves the old pointer or the new one, each naming a complete revision.
//!
//! Moving the pointer with [`Expect::Current`] reads it and replaces it under an exclusive
//! `flock` of `current.lock`, so that no other writer (another task, the operator's `rollback`)
//! moves it in between.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use vps_core::revision::{Revision, RevisionId};

use crate::{Expect, RevisionStore, StoreError, blocking, durable};

/// The [`RevisionStore`] of a data directory: `revisions/<id>.json` and the `current` file.
#[derive(Debug, Clone)]
pub struct FsRevisions {
    dir: PathBuf,
    current: PathBuf,
    lock: PathBuf,
}

impl FsRevisions {
    /// Opens (creating if needed) `<data>/revisions` and `<data>/current`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let dir = data_dir.join("revisions");
        std::fs::create_dir_all(&dir).map_err(StoreError::io("create directory", &dir))?;
        Ok(Self { dir, current: data_dir.join("current"), lock: data_dir.join("current.lock") })
    }

    fn path(&self, id: &RevisionId) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn read_current(&self) -> Result<Option<RevisionId>, StoreError> {
        match std::fs::read_to_string(&self.current) {
            Ok(text) => parse_pointer(&text, &self.current.display().to_string()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io("read", &self.current)(e)),
        }
    }
}

/// The pointer's text: a revision id and a newline, or nothing.
pub(crate) fn parse_pointer(text: &str, what: &str) -> Result<Option<RevisionId>, StoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    RevisionId::parse(text).map(Some).map_err(|e| StoreError::Corrupt { what: what.to_owned(), why: e.to_string() })
}

pub(crate) fn pointer_text(id: Option<&RevisionId>) -> String {
    id.map(|id| format!("{id}\n")).unwrap_or_default()
}

/// Fails with [`StoreError::PointerMoved`] unless the pointer names what was expected.
pub(crate) fn check_expected(expect: &Expect, found: &Option<RevisionId>) -> Result<(), StoreError> {
    match expect {
        Expect::Current(expected) if expected != found => {
            Err(StoreError::PointerMoved { expected: name(expected.as_ref()), found: name(found.as_ref()) })
        }
        _ => Ok(()),
    }
}

fn name(id: Option<&RevisionId>) -> String {
    id.map_or_else(|| "no revision".to_owned(), RevisionId::to_string)
}

pub(crate) fn decode(bytes: &[u8], what: impl std::fmt::Display) -> Result<Revision, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt { what: what.to_string(), why: e.to_string() })
}

/// An exclusive `flock` on the pointer's lock file, released when dropped (the file is closed).
struct PointerLock(#[allow(dead_code, reason = "held for its lock; closing it unlocks")] std::fs::File);

impl PointerLock {
    fn acquire(path: &Path) -> Result<Self, StoreError> {
        use std::os::fd::AsRawFd;

        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(StoreError::io("open", path))?;
        // SAFETY: flock on a descriptor owned by `file`, which outlives the call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(StoreError::io("lock", path)(std::io::Error::last_os_error()));
        }
        Ok(Self(file))
    }
}

impl RevisionStore for FsRevisions {
    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", revision = %revision.id, len = tracing::field::Empty))]
    fn save<'a>(&'a self, revision: &'a Revision) -> BoxFuture<'a, Result<(), StoreError>> {
        let bytes = serde_json::to_vec(revision).expect("revisions serialize");
        let path = self.path(&revision.id);
        Box::pin(async move {
            tracing::Span::current().record("len", bytes.len());
            blocking(move || durable::write_file(&path, &bytes, 0o644)).await
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", revision = %id))]
    fn load<'a>(&'a self, id: &'a RevisionId) -> BoxFuture<'a, Result<Option<Revision>, StoreError>> {
        Box::pin(async move {
            let path = self.path(id);
            match tokio::fs::read(&path).await {
                Ok(bytes) => decode(&bytes, path.display()).map(Some),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::io("read", path)(e)),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs"))]
    fn list(&self) -> BoxFuture<'_, Result<Vec<RevisionId>, StoreError>> {
        let dir = self.dir.clone();
        Box::pin(async move {
            blocking(move || {
                let entries = std::fs::read_dir(&dir).map_err(StoreError::io("list", &dir))?;
                let mut ids: Vec<RevisionId> = entries
                    .flatten()
                    .filter_map(|e| {
                        e.file_name().to_str()?.strip_suffix(".json").and_then(|id| RevisionId::parse(id).ok())
                    })
                    .collect();
                ids.sort();
                Ok(ids)
            })
            .await
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs"))]
    fn current(&self) -> BoxFuture<'_, Result<Option<RevisionId>, StoreError>> {
        let this = self.clone();
        Box::pin(async move { blocking(move || this.read_current()).await })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", revision = id.map(tracing::field::display), expect = ?expect))]
    fn set_current<'a>(&'a self, id: Option<&'a RevisionId>, expect: Expect) -> BoxFuture<'a, Result<(), StoreError>> {
        let this = self.clone();
        let text = pointer_text(id);
        Box::pin(async move {
            blocking(move || {
                let _locked = PointerLock::acquire(&this.lock)?;
                check_expected(&expect, &this.read_current()?)?;
                durable::write_file(&this.current, text.as_bytes(), 0o644)
            })
            .await
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", revision = %id))]
    fn remove<'a>(&'a self, id: &'a RevisionId) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let path = self.path(id);
            match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(StoreError::io("remove", path)(e)),
                _ => Ok(()),
            }
        })
    }
}
