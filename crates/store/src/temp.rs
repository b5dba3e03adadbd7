//! A file being streamed into the temp directory.
//!
//! The caller hands over chunks as they arrive (`write`); a blocking thread writes them, so the
//! async side is never stalled by the disk and the two proceed in parallel. The channel between
//! them is bounded, so memory is a few chunks whatever the file's size, and a slow disk slows the
//! sender down (backpressure) instead of filling memory.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::StoreError;

/// Chunks queued between the receiving side and the writer thread.
const QUEUE_CHUNKS: usize = 8;
/// Writes to the file are gathered into buffers of this size, unless the store says otherwise.
pub(crate) const DEFAULT_WRITE_BUFFER: usize = 256 * 1024;
/// Temp files carry this prefix, so that start-up cleans only its own files even when the temp
/// directory is shared (`UPLOAD_TEMP_DIR=/tmp`).
pub(crate) const TEMP_PREFIX: &str = "vps-upload-";

/// A temp file being written. Dropping it before [`TempBlob::finish`] deletes the file.
pub struct TempBlob {
    guard: RemoveOnDrop,
    sender: Option<mpsc::Sender<Bytes>>,
    writer: Option<JoinHandle<Result<(), StoreError>>>,
    cancelled: Arc<AtomicBool>,
    written: u64,
}

/// A temp file whose bytes are all written and fsynced, waiting to be committed under its hash.
/// Dropping it deletes the file.
pub struct SealedBlob {
    pub(crate) guard: RemoveOnDrop,
    pub(crate) len: u64,
}

impl std::fmt::Debug for SealedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedBlob").field("path", &self.guard.path).field("len", &self.len).finish()
    }
}

impl SealedBlob {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn path(&self) -> &Path {
        &self.guard.path
    }
}

impl TempBlob {
    pub(crate) async fn create(dir: &Path, write_buffer: usize) -> Result<Self, StoreError> {
        let path = dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple()));
        let open = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map_err(StoreError::io("create temp file", path))
            })
        };
        let file = open.await.map_err(|_| StoreError::WriterGone { path: path.clone() })??;
        let guard = RemoveOnDrop::new(path.clone());
        let cancelled = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::channel(QUEUE_CHUNKS);
        let writer = {
            let cancelled = cancelled.clone();
            tokio::task::spawn_blocking(move || {
                write_all(BufWriter::with_capacity(write_buffer, file), &path, receiver, &cancelled)
            })
        };
        Ok(Self { guard, sender: Some(sender), writer: Some(writer), cancelled, written: 0 })
    }

    /// Queues a chunk for writing; waits only when the writer is several chunks behind.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        if chunk.is_empty() {
            return Ok(());
        }
        let len = chunk.len() as u64;
        let sender = self.sender.as_ref().expect("write after finish");
        if sender.send(chunk).await.is_err() {
            // The writer stopped early: it failed, and its error says why.
            return Err(self
                .join_writer()
                .await
                .err()
                .unwrap_or_else(|| StoreError::WriterGone { path: self.guard.path.clone() }));
        }
        self.written += len;
        Ok(())
    }

    /// Bytes handed to [`TempBlob::write`] so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Waits for every byte to reach the disk (flush + fsync).
    pub async fn finish(mut self) -> Result<SealedBlob, StoreError> {
        self.sender = None;
        self.join_writer().await?;
        let guard = std::mem::replace(&mut self.guard, RemoveOnDrop::disarmed());
        Ok(SealedBlob { guard, len: self.written })
    }

    async fn join_writer(&mut self) -> Result<(), StoreError> {
        let path = self.guard.path.clone();
        match self.writer.take() {
            Some(handle) => handle.await.map_err(|_| StoreError::WriterGone { path })?,
            None => Err(StoreError::WriterGone { path }),
        }
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        // Tell the writer not to bother with fsync; the guard deletes the file.
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

fn write_all(
    mut out: BufWriter<File>,
    path: &Path,
    mut receiver: mpsc::Receiver<Bytes>,
    cancelled: &AtomicBool,
) -> Result<(), StoreError> {
    while let Some(chunk) = receiver.blocking_recv() {
        out.write_all(&chunk).map_err(StoreError::io("write temp file", path))?;
    }
    if cancelled.load(Ordering::Relaxed) {
        return Ok(());
    }
    let file = out.into_inner().map_err(|e| StoreError::io("write temp file", path)(e.into_error()))?;
    file.sync_all().map_err(StoreError::io("fsync temp file", path))
}

/// Deletes the file at `path` when dropped, unless disarmed.
pub(crate) struct RemoveOnDrop {
    pub(crate) path: PathBuf,
    armed: bool,
}

impl RemoveOnDrop {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, armed: true }
    }

    fn disarmed() -> Self {
        Self { path: PathBuf::new(), armed: false }
    }

    /// The file has been moved away or is wanted: keep it.
    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        match fs::remove_file(&self.path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %self.path.display(), %error, "could not remove temp file");
            }
            _ => {}
        }
    }
}
