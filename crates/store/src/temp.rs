//! An upload being streamed into the store.
//!
//! The caller hands over chunks as they arrive (`write`); one blocking thread hashes them
//! (SHA-256) while a sink stores them — a blocking thread writing a temp file, or a task sending
//! the parts of an S3 multipart upload — so the async side is never stalled by the disk, the
//! network or the hash, and receiving, hashing and storing proceed in parallel. A chunk is shared
//! between the hasher and the sink (reference-counted), not copied. The queues are bounded, so
//! memory is a few chunks (a few parts for S3) whatever the file's size, and a slow disk or
//! bucket slows the sender down (backpressure) instead of filling memory.

use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::{IoSlice, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use vps_core::ContentHash;

use crate::s3::{ObjectSink, PendingObject};
use crate::{StoreError, Stored};

/// Chunks are handed to the threads in batches of about this many bytes (unless the store says
/// otherwise): one wake-up of a thread and one `writev` per batch rather than per (often 64 KiB)
/// chunk, and no copy into a write buffer.
pub const DEFAULT_BATCH_BYTES: usize = 256 * 1024;
/// Batches queued for each thread before the sender waits.
const QUEUE_BATCHES: usize = 2;

pub(crate) type Batch = Vec<Bytes>;
/// Temp files (and temp objects) carry this prefix, so that start-up cleans only its own files
/// even when the temp directory is shared (`UPLOAD_TEMP_DIR=/tmp`).
pub(crate) const TEMP_PREFIX: &str = "vps-upload-";

/// An upload in progress. Dropping it before [`TempBlob::finish`] deletes what was written (the
/// temp file; or the multipart upload is aborted).
pub struct TempBlob {
    hasher: Worker<ContentHash>,
    sink: Sink,
    /// Tells the sink that the upload was dropped, not finished: when its queue closes, it
    /// discards instead of completing.
    cancelled: Arc<AtomicBool>,
    /// The hash the client declared, checked at the commit.
    declared: Option<ContentHash>,
    batch: Batch,
    batch_bytes: usize,
    batch_limit: usize,
    written: u64,
}

/// Where a temp blob's bytes go.
enum Sink {
    File { guard: RemoveOnDrop, blobs: PathBuf, writer: Worker<()> },
    Object(ObjectSink),
}

/// An upload whose bytes are all stored (fsynced; or the multipart upload completed) under a
/// temporary name, waiting to be committed under its hash. Dropping it deletes them.
pub struct SealedBlob {
    pub(crate) len: u64,
    pub(crate) hash: ContentHash,
    declared: Option<ContentHash>,
    pending: Pending,
}

/// Where a sealed blob's bytes wait.
pub(crate) enum Pending {
    /// A temp file and the blob directory it is to be renamed into.
    File {
        guard: RemoveOnDrop,
        blobs: PathBuf,
    },
    Object(PendingObject),
}

impl std::fmt::Debug for SealedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let temp = match &self.pending {
            Pending::File { guard, .. } => guard.path.display().to_string(),
            Pending::Object(object) => object.key().to_string(),
        };
        f.debug_struct("SealedBlob").field("temp", &temp).field("len", &self.len).field("hash", &self.hash).finish()
    }
}

impl SealedBlob {
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The SHA-256 of the bytes written, computed as they went by.
    pub fn hash(&self) -> &ContentHash {
        &self.hash
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Places the bytes under their hash, unless that blob is already stored.
    ///
    /// Two uploads of the same bytes may race here; both put identical bytes in place, so the
    /// only effect is that both may report `Created`.
    /// Bytes whose hash differs from the one declared for them are refused
    /// ([`StoreError::Corrupt`]) and dropped.
    pub async fn commit(self) -> Result<Stored, StoreError> {
        let hash = self.hash;
        if let Some(declared) = self.declared.filter(|declared| *declared != hash) {
            let why = format!("the bytes hash to {hash}, not to the {declared} declared for them");
            return Err(StoreError::Corrupt { what: format!("upload of {declared}"), why });
        }
        match self.pending {
            Pending::File { guard, blobs } => {
                tokio::task::spawn_blocking(move || crate::fs::commit_file(guard, &blobs, &hash))
                    .await
                    .map_err(|_| StoreError::WriterGone { path: PathBuf::from("commit") })?
            }
            Pending::Object(object) => object.commit(&hash).await,
        }
    }
}

impl TempBlob {
    /// An upload into a temp file in `dir`, to be committed into `blobs`.
    pub(crate) async fn create_file(
        dir: &Path,
        blobs: PathBuf,
        batch_limit: usize,
        declared: Option<ContentHash>,
    ) -> Result<Self, StoreError> {
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
        let writer = {
            let cancelled = cancelled.clone();
            Worker::spawn_blocking(move |batches| write_all(file, &path, batches, &cancelled))
        };
        Ok(Self::with_sink(Sink::File { guard, blobs, writer }, cancelled, batch_limit, declared))
    }

    /// An upload through an object sink (see [`crate::s3`]).
    pub(crate) fn create_object(
        sink: ObjectSink,
        cancelled: Arc<AtomicBool>,
        batch_limit: usize,
        declared: Option<ContentHash>,
    ) -> Self {
        Self::with_sink(Sink::Object(sink), cancelled, batch_limit, declared)
    }

    fn with_sink(sink: Sink, cancelled: Arc<AtomicBool>, batch_limit: usize, declared: Option<ContentHash>) -> Self {
        let hasher = Worker::spawn_blocking(hash_all);
        Self { hasher, sink, cancelled, declared, batch: Vec::new(), batch_bytes: 0, batch_limit, written: 0 }
    }

    /// Queues a chunk for hashing and storing; waits only when a worker is several batches behind.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        // Multipart parsers may end a part with an empty chunk: nothing to write, and a batch of
        // only empty chunks would make `writev` write zero bytes.
        if chunk.is_empty() {
            return Ok(());
        }
        self.written += chunk.len() as u64;
        self.batch_bytes += chunk.len();
        self.batch.push(chunk);
        if self.batch_bytes >= self.batch_limit {
            self.send_batch().await?;
        }
        Ok(())
    }

    async fn send_batch(&mut self) -> Result<(), StoreError> {
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let name = self.name();
        self.hasher.send(batch.clone(), &name).await?;
        match &mut self.sink {
            Sink::File { writer, .. } => writer.send(batch, &name).await,
            Sink::Object(sink) => sink.worker.send(batch, &name).await,
        }
    }

    /// What the upload is called in errors: the temp file or temp key.
    fn name(&self) -> PathBuf {
        match &self.sink {
            Sink::File { guard, .. } => guard.path.clone(),
            Sink::Object(sink) => PathBuf::from(sink.key()),
        }
    }

    /// Bytes handed to [`TempBlob::write`] so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Waits for every byte to be stored (fsync; or the multipart upload completed) and for the
    /// hash.
    pub async fn finish(mut self) -> Result<SealedBlob, StoreError> {
        self.send_batch().await?;
        let name = self.name();
        let pending = match &mut self.sink {
            Sink::File { guard, blobs, writer } => {
                writer.join(&name).await?;
                let guard = std::mem::replace(guard, RemoveOnDrop::disarmed());
                Pending::File { guard, blobs: std::mem::take(blobs) }
            }
            Sink::Object(sink) => Pending::Object(sink.worker.join(&name).await?),
        };
        let hash = self.hasher.join(&name).await?;
        Ok(SealedBlob { len: self.written, hash, declared: self.declared, pending })
    }
}

/// A worker (a blocking thread or a task) fed with batches of chunks through a bounded queue.
pub(crate) struct Worker<T> {
    sender: Option<mpsc::Sender<Batch>>,
    handle: Option<JoinHandle<Result<T, StoreError>>>,
}

impl<T: Send + 'static> Worker<T> {
    fn spawn_blocking(work: impl FnOnce(mpsc::Receiver<Batch>) -> Result<T, StoreError> + Send + 'static) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_BATCHES);
        let handle = tokio::task::spawn_blocking(move || work(receiver));
        Self { sender: Some(sender), handle: Some(handle) }
    }

    pub(crate) fn spawn<F>(work: impl FnOnce(mpsc::Receiver<Batch>) -> F) -> Self
    where
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel(QUEUE_BATCHES);
        let handle = tokio::spawn(work(receiver));
        Self { sender: Some(sender), handle: Some(handle) }
    }

    pub(crate) async fn send(&mut self, batch: Batch, name: &Path) -> Result<(), StoreError> {
        let sender = self.sender.as_ref().expect("send after join");
        match sender.send(batch).await {
            Ok(()) => Ok(()),
            // The worker stopped early: it failed, and its error says why.
            Err(_) => Err(self.join(name).await.err().unwrap_or_else(|| StoreError::WriterGone { path: name.into() })),
        }
    }

    /// Closes the queue and waits for the worker's result.
    pub(crate) async fn join(&mut self, name: &Path) -> Result<T, StoreError> {
        self.sender = None;
        let gone = || StoreError::WriterGone { path: name.into() };
        let handle = self.handle.take().ok_or_else(gone)?;
        handle.await.map_err(|_| gone())?
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        // Runs before the fields (and so the queues) are dropped: a sink that sees its queue
        // close after this discards what it has (no fsync; the multipart upload is aborted).
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

fn hash_all(mut batches: mpsc::Receiver<Batch>) -> Result<ContentHash, StoreError> {
    let mut hasher = Sha256::new();
    while let Some(batch) = batches.blocking_recv() {
        batch.iter().for_each(|chunk| hasher.update(chunk));
    }
    Ok(ContentHash::from_digest(hasher.finalize().into()))
}

fn write_all(
    mut file: File,
    path: &Path,
    mut batches: mpsc::Receiver<Batch>,
    cancelled: &AtomicBool,
) -> Result<(), StoreError> {
    let mut writeback = Writeback::default();
    let write_error = || StoreError::io("write temp file", path);
    while let Some(batch) = batches.blocking_recv() {
        let len = write_batch(&mut file, &batch).map_err(write_error())?;
        writeback.advance(&file, len).map_err(write_error())?;
    }
    if cancelled.load(Ordering::Relaxed) {
        return Ok(());
    }
    file.sync_all().map_err(StoreError::io("fsync temp file", path))
}

/// Writes every chunk of the batch with as few `writev` calls as the kernel allows.
fn write_batch(file: &mut File, batch: &[Bytes]) -> std::io::Result<u64> {
    let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|chunk| IoSlice::new(chunk)).collect();
    let mut remaining = &mut slices[..];
    let mut total = 0u64;
    while !remaining.is_empty() {
        let written = file.write_vectored(remaining)?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        total += written as u64;
        IoSlice::advance_slices(&mut remaining, written);
    }
    Ok(total)
}

/// Starts writing an upload's bytes to the disk while it is still arriving, a window at a time,
/// instead of leaving it all dirty in the page cache for the final fsync. The final fsync then
/// finds little left to do, and the disk works in parallel with the network. It also bounds
/// the dirty data one upload leaves in the page cache: before a window is started, the one
/// before it must have reached the disk, so a disk slower than the network slows the upload down
/// (through the bounded queue) rather than filling memory.
#[derive(Default)]
struct Writeback {
    /// Bytes written to the file so far.
    written: u64,
    /// Where the window that has not been started yet begins.
    window_start: u64,
}

impl Writeback {
    const WINDOW: u64 = 8 * 1024 * 1024;

    fn advance(&mut self, file: &File, len: u64) -> std::io::Result<()> {
        self.written += len;
        if self.written - self.window_start < Self::WINDOW {
            return Ok(());
        }
        start_writeback(file, self.window_start, self.written - self.window_start)?;
        self.window_start = self.written;
        Ok(())
    }
}

/// Waits for the data before `offset` to be written, then starts writing `[offset, offset+len)`.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;

    let wait_previous =
        libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    let previous = offset.saturating_sub(Writeback::WINDOW);
    // SAFETY: plain syscalls on a file descriptor this function borrows for their duration.
    let results = unsafe {
        [
            libc::sync_file_range(file.as_raw_fd(), previous as i64, (offset - previous) as i64, wait_previous),
            libc::sync_file_range(file.as_raw_fd(), offset as i64, len as i64, libc::SYNC_FILE_RANGE_WRITE),
        ]
    };
    if results.contains(&-1) { Err(std::io::Error::last_os_error()) } else { Ok(()) }
}

/// Elsewhere the final fsync does all the work.
#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) -> std::io::Result<()> {
    Ok(())
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
