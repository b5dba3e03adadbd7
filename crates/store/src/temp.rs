//! An upload being streamed into the store, whatever the store.
//!
//! The caller hands over chunks as they arrive (`write`); they are gathered into batches, and
//! each batch goes both to one blocking thread that hashes it (SHA-256) and to the store's
//! [`BlobSink`] — the file writer of `fs` (a blocking thread writing a temp file) or the
//! multipart upload of `s3` (a task sending parts) — so the async side is never stalled by the
//! disk, the network or the hash, and receiving, hashing and storing proceed in parallel. A
//! chunk is shared between the hasher and the sink (reference-counted), not copied. The queues
//! are bounded, so memory is a few chunks (a few parts for S3) whatever the file's size, and a
//! slow disk or bucket slows the sender down (backpressure) instead of filling memory.
//!
//! This module knows no backend: batching, hashing and the check of the declared hash are here,
//! once; where the bytes go and how they are placed under their hash is the sink's business.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use vps_core::ContentHash;

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

/// Where a temp blob's bytes go: implemented by the file writer (`fs`) and the multipart upload
/// (`s3`). Dropping the sink before [`BlobSink::seal`] must remove what it wrote (or leave that
/// to its worker, which sees `cancelled`).
pub(crate) trait BlobSink: Send + 'static {
    /// What the worker leaves once every batch is stored.
    type Written: Send + 'static;

    /// The temp file or temp key, for errors and logs.
    fn name(&self) -> PathBuf;

    /// Starts the worker (a blocking thread or a task) that stores the batches as they are
    /// received. When the queue closes, it makes them durable (fsync; every part sent) — unless
    /// `cancelled` is set, the temp blob having been dropped: then it discards them.
    fn start(
        &mut self,
        batches: mpsc::Receiver<Batch>,
        cancelled: Arc<AtomicBool>,
    ) -> JoinHandle<Result<Self::Written, StoreError>>;

    /// Every byte is stored: what waits for the commit.
    fn seal(self, written: Self::Written) -> Box<dyn PendingBlob>;
}

/// Bytes stored under a temporary name (or a pending upload), waiting to be placed under their
/// hash; dropping it removes them.
pub(crate) trait PendingBlob: Send + 'static {
    /// Places the bytes under `hash` (already checked against the declared hash), unless that
    /// blob is already stored.
    fn commit(self: Box<Self>, hash: ContentHash) -> BoxFuture<'static, Result<Stored, StoreError>>;
}

/// An upload in progress. Dropping it before [`TempBlob::finish`] deletes what was written (the
/// temp file; or the multipart upload is aborted).
pub struct TempBlob {
    hasher: Worker<ContentHash>,
    sink: Box<dyn RunningSink>,
    /// Tells the sink that the upload was dropped, not finished: when its queue closes, it
    /// discards instead of completing.
    cancelled: Arc<AtomicBool>,
    /// The hash the client declared, checked at the commit.
    declared: Option<ContentHash>,
    name: PathBuf,
    batch: Batch,
    batch_bytes: usize,
    batch_limit: usize,
    written: u64,
}

/// An upload whose bytes are all stored (fsynced; or the multipart upload completed) under a
/// temporary name, waiting to be committed under its hash. Dropping it deletes them.
pub struct SealedBlob {
    len: u64,
    hash: ContentHash,
    declared: Option<ContentHash>,
    name: PathBuf,
    pending: Box<dyn PendingBlob>,
}

impl std::fmt::Debug for SealedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let temp = self.name.display().to_string();
        f.debug_struct("SealedBlob").field("temp", &temp).field("len", &self.len).field("hash", &self.hash).finish()
    }
}

impl SealedBlob {
    /// How many bytes were written, in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The SHA-256 of the bytes written, computed as they went by.
    pub fn hash(&self) -> &ContentHash {
        &self.hash
    }

    /// Whether no bytes were written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The hash declared for these bytes, when it is not theirs: such bytes are never committed.
    pub fn declared_mismatch(&self) -> Option<ContentHash> {
        self.declared.filter(|declared| *declared != self.hash)
    }

    /// Places the bytes under their hash, unless that blob is already stored.
    ///
    /// Two uploads of the same bytes may race here; both put identical bytes in place, so the
    /// only effect is that both may report `Created`.
    /// Bytes whose hash differs from the one declared for them are refused
    /// ([`StoreError::Corrupt`]) and dropped.
    pub async fn commit(self) -> Result<Stored, StoreError> {
        let hash = self.hash;
        if let Some(declared) = self.declared_mismatch() {
            let why = format!("the bytes hash to {hash}, not to the {declared} declared for them");
            return Err(StoreError::Corrupt { what: format!("upload of {declared}"), why });
        }
        self.pending.commit(hash).await
    }
}

impl TempBlob {
    /// An upload into `sink`, batched `batch_limit` bytes at a time.
    pub(crate) fn new<S: BlobSink>(sink: S, batch_limit: usize, declared: Option<ContentHash>) -> Self {
        let cancelled = Arc::new(AtomicBool::new(false));
        let name = sink.name();
        let sink = Running::start(sink, cancelled.clone());
        let hasher = Worker::spawn_blocking(hash_all);
        Self {
            hasher,
            sink: Box::new(sink),
            cancelled,
            declared,
            name,
            batch: Vec::new(),
            batch_bytes: 0,
            batch_limit,
            written: 0,
        }
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
        self.hasher.send(batch.clone(), &self.name).await?;
        self.sink.send(batch, &self.name).await
    }

    /// Bytes handed to [`TempBlob::write`] so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Waits for every byte to be stored (fsync; or the multipart upload completed) and for the
    /// hash.
    pub async fn finish(mut self) -> Result<SealedBlob, StoreError> {
        self.send_batch().await?;
        let name = self.name.clone();
        let sink = std::mem::replace(&mut self.sink, Box::new(Finished));
        let pending = sink.finish(&name).await?;
        let hash = self.hasher.join(&name).await?;
        Ok(SealedBlob { len: self.written, hash, declared: self.declared, name, pending })
    }
}

/// A sink and its worker, its type erased for [`TempBlob`].
trait RunningSink: Send {
    fn send<'a>(&'a mut self, batch: Batch, name: &'a Path) -> BoxFuture<'a, Result<(), StoreError>>;
    fn finish<'a>(self: Box<Self>, name: &'a Path) -> BoxFuture<'a, Result<Box<dyn PendingBlob>, StoreError>>;
}

struct Running<S: BlobSink> {
    sink: S,
    worker: Worker<S::Written>,
}

impl<S: BlobSink> Running<S> {
    fn start(mut sink: S, cancelled: Arc<AtomicBool>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_BATCHES);
        let handle = sink.start(receiver, cancelled);
        Self { sink, worker: Worker { sender: Some(sender), handle: Some(handle) } }
    }
}

impl<S: BlobSink> RunningSink for Running<S> {
    fn send<'a>(&'a mut self, batch: Batch, name: &'a Path) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.worker.send(batch, name))
    }

    fn finish<'a>(mut self: Box<Self>, name: &'a Path) -> BoxFuture<'a, Result<Box<dyn PendingBlob>, StoreError>> {
        Box::pin(async move {
            let written = self.worker.join(name).await?;
            Ok(self.sink.seal(written))
        })
    }
}

/// What a finished temp blob holds in place of its sink.
struct Finished;

impl RunningSink for Finished {
    fn send<'a>(&'a mut self, _: Batch, name: &'a Path) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Err(StoreError::WriterGone { path: name.into() }) })
    }

    fn finish<'a>(self: Box<Self>, name: &'a Path) -> BoxFuture<'a, Result<Box<dyn PendingBlob>, StoreError>> {
        Box::pin(async move { Err(StoreError::WriterGone { path: name.into() }) })
    }
}

/// A worker (a blocking thread or a task) fed with batches of chunks through a bounded queue.
struct Worker<T> {
    sender: Option<mpsc::Sender<Batch>>,
    handle: Option<JoinHandle<Result<T, StoreError>>>,
}

impl<T: Send + 'static> Worker<T> {
    fn spawn_blocking(work: impl FnOnce(mpsc::Receiver<Batch>) -> Result<T, StoreError> + Send + 'static) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_BATCHES);
        let handle = tokio::task::spawn_blocking(move || work(receiver));
        Self { sender: Some(sender), handle: Some(handle) }
    }

    async fn send(&mut self, batch: Batch, name: &Path) -> Result<(), StoreError> {
        let sender = self.sender.as_ref().expect("send after join");
        match sender.send(batch).await {
            Ok(()) => Ok(()),
            // The worker stopped early: it failed, and its error says why.
            Err(_) => Err(self.join(name).await.err().unwrap_or_else(|| StoreError::WriterGone { path: name.into() })),
        }
    }

    /// Closes the queue and waits for the worker's result.
    async fn join(&mut self, name: &Path) -> Result<T, StoreError> {
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A sink that keeps the bytes in memory: what any backend sees of a temp blob.
    #[derive(Default, Clone)]
    struct Memory {
        bytes: Arc<Mutex<Vec<u8>>>,
        batches: Arc<Mutex<Vec<usize>>>,
        committed: Arc<Mutex<Option<ContentHash>>>,
        discarded: Arc<AtomicBool>,
    }

    impl BlobSink for Memory {
        type Written = ();

        fn name(&self) -> PathBuf {
            PathBuf::from("memory")
        }

        fn start(
            &mut self,
            mut batches: mpsc::Receiver<Batch>,
            cancelled: Arc<AtomicBool>,
        ) -> JoinHandle<Result<(), StoreError>> {
            let this = self.clone();
            tokio::spawn(async move {
                while let Some(batch) = batches.recv().await {
                    this.batches.lock().unwrap().push(batch.len());
                    batch.iter().for_each(|chunk| this.bytes.lock().unwrap().extend_from_slice(chunk));
                }
                this.discarded.store(cancelled.load(Ordering::Relaxed), Ordering::Relaxed);
                Ok(())
            })
        }

        fn seal(self, (): ()) -> Box<dyn PendingBlob> {
            Box::new(self)
        }
    }

    impl PendingBlob for Memory {
        fn commit(self: Box<Self>, hash: ContentHash) -> BoxFuture<'static, Result<Stored, StoreError>> {
            *self.committed.lock().unwrap() = Some(hash);
            Box::pin(async { Ok(Stored::Created) })
        }
    }

    fn sha256(bytes: &[u8]) -> ContentHash {
        ContentHash::of(bytes)
    }

    async fn written(sink: &Memory, declared: Option<ContentHash>, data: &[u8]) -> SealedBlob {
        let mut temp = TempBlob::new(sink.clone(), 10, declared);
        for piece in data.chunks(4) {
            temp.write(Bytes::copy_from_slice(piece)).await.unwrap();
        }
        temp.finish().await.unwrap()
    }

    #[tokio::test]
    async fn any_sink_gets_the_bytes_in_batches_and_the_commit_gets_their_hash() {
        let sink = Memory::default();
        let data: Vec<u8> = (0..25).collect();
        let sealed = written(&sink, None, &data).await;
        assert_eq!((sealed.len(), *sealed.hash()), (25, sha256(&data)));
        assert_eq!(*sink.bytes.lock().unwrap(), data);
        // Chunks of 4 bytes, batches of at least 10 bytes: 3 chunks a batch, the rest at the end.
        assert_eq!(*sink.batches.lock().unwrap(), [3, 3, 1]);
        assert_eq!(sealed.commit().await.unwrap(), Stored::Created);
        assert_eq!(*sink.committed.lock().unwrap(), Some(sha256(&data)));
    }

    #[tokio::test]
    async fn bytes_that_do_not_have_the_declared_hash_never_reach_the_sinks_commit() {
        let sink = Memory::default();
        let declared = sha256(b"something else");
        let sealed = written(&sink, Some(declared), b"the bytes sent").await;
        assert_eq!(sealed.declared_mismatch(), Some(declared));
        assert!(matches!(sealed.commit().await, Err(StoreError::Corrupt { .. })));
        assert_eq!(*sink.committed.lock().unwrap(), None);

        let sealed = written(&sink, Some(sha256(b"the bytes sent")), b"the bytes sent").await;
        assert_eq!(sealed.declared_mismatch(), None);
        assert_eq!(sealed.commit().await.unwrap(), Stored::Created);
    }

    #[tokio::test]
    async fn a_dropped_temp_blob_tells_its_sink_to_discard() {
        let sink = Memory::default();
        let mut temp = TempBlob::new(sink.clone(), 10, None);
        temp.write(Bytes::from_static(b"partial")).await.unwrap();
        drop(temp);
        for _ in 0..1000 {
            if sink.discarded.load(Ordering::Relaxed) {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the sink was not told");
    }
}
