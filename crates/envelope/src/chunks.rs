//! The chunk store: each upload's decoded slices on disk, until all are there.
//!
//! An upload is keyed by (session, route, upload id). Memory holds only an index of the uploads
//! (sizes, which indices arrived, the phase, the last activity); the bytes are on disk (see
//! [`disk`] for the layout), so a restart keeps them. Writes of one upload go one at a time
//! behind a per-upload async lock, which the plugin never contends for (it sends the chunks of an
//! upload one after the other); uploads never wait for each other.
//!
//! An upload goes `Receiving` → `Assembling` (all indices present; the caller holds the
//! [`Assembled`] and runs the route handler) → `Done` (the reply is recorded and replayed to any
//! re-sent chunk). If the [`Assembled`] is dropped before the reply is recorded (the handler
//! failed), the upload goes back to `Receiving` with all its chunks, so that a re-sent chunk
//! completes it again.

mod disk;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::Mutex as AsyncMutex;
use tokio::time::Instant;
use tokio_util::io::StreamReader;
use vps_core::SessionId;

use crate::wire::{RouteKind, UploadTail};
use crate::{Envelope, EnvelopeError, EnvelopeMetadata};
use disk::Meta;

const MIB: u64 = 1024 * 1024;

/// What the store accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The largest decoded slice (`L`, the plugin's `maxBytesPerRequest`).
    pub max_slice_bytes: u64,
    /// The most chunks one upload may have.
    pub max_total_chunks: u64,
    /// The largest decompressed notes batch (`originalSize`). A batch is about `L`; only one
    /// huge note makes it larger.
    pub max_notes_bytes: u64,
    /// The largest decompressed assets batch. A batch holding one big asset is about 4/3 of the
    /// asset's size (base64) plus its names.
    pub max_assets_bytes: u64,
    /// Uploads of one session that may be incomplete at the same time (the plugin has at most 3).
    pub max_open_uploads_per_session: usize,
}

impl ChunkLimits {
    /// Limits for a server that accepts asset files of up to `max_file_bytes`.
    pub fn for_max_asset_bytes(max_file_bytes: u64) -> Self {
        Self { max_assets_bytes: max_file_bytes.div_ceil(3) * 4 + MIB, ..Self::default() }
    }

    /// The decompressed cap of a route: what to give [`gunzip_to_file`](crate::gunzip_to_file).
    pub fn max_original_bytes(&self, kind: RouteKind) -> u64 {
        match kind {
            RouteKind::Notes => self.max_notes_bytes,
            RouteKind::Assets => self.max_assets_bytes,
        }
    }

    /// The compressed cap of a route. Gzip barely grows incompressible data (5 bytes per
    /// stored block of up to 64 KiB, plus 18 bytes of header and trailer), so anything past the
    /// decompressed cap plus 1/64 of it is refused.
    pub fn max_compressed_bytes(&self, kind: RouteKind) -> u64 {
        let original = self.max_original_bytes(kind);
        original + original / 64 + 64 * 1024
    }
}

impl Default for ChunkLimits {
    /// `L` = 1 MiB, 4096 chunks, 16 MiB of notes, assets of up to 100 MiB (the ingest
    /// pipeline's default), 8 open uploads per session.
    fn default() -> Self {
        Self {
            max_slice_bytes: MIB,
            max_total_chunks: 4096,
            max_notes_bytes: 16 * MIB,
            max_assets_bytes: (100 * MIB).div_ceil(3) * 4 + MIB,
            max_open_uploads_per_session: 8,
        }
    }
}

/// What accepting one chunk led to.
#[derive(Debug)]
pub enum ChunkOutcome {
    /// More chunks are due; answer 202 `{"status":"chunk_received",…,"received"}`.
    Partial {
        /// How many distinct chunk indexes are stored so far.
        received: usize,
        /// The upload's `totalChunks`.
        total: usize,
    },
    /// Every index is present: run the route handler on [`Assembled::reader`], answer with its
    /// reply and [record](ChunkStore::record_reply) it.
    Complete(Assembled),
    /// The upload was completed before; this is the reply recorded then.
    Replay(serde_json::Value),
}

/// The uploads of every session, on disk under one directory. Cheap to clone.
#[derive(Clone)]
pub struct ChunkStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    limits: ChunkLimits,
    uploads: Mutex<HashMap<Key, Upload>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    session: SessionId,
    kind: RouteKind,
    tail: UploadTail,
}

impl Key {
    fn upload_id(&self) -> String {
        format!("{}-{}-{}", self.kind, self.session, self.tail.as_str())
    }
}

struct Upload {
    meta: Meta,
    /// The length of each index's slice, once written.
    lens: Vec<Option<u64>>,
    received: usize,
    stored_bytes: u64,
    phase: Phase,
    touched: Instant,
    /// Whether the directory and `meta.json` are written.
    on_disk: bool,
    /// Held while a slice is written or the reply recorded. Also the upload's identity: an upload
    /// removed and opened again under the same key has a new lock.
    lock: Arc<AsyncMutex<()>>,
}

/// What recording a written slice led to.
enum Recorded {
    /// Indices are still missing; this many are present.
    Partial(usize),
    Complete,
    /// The upload was removed while the slice was being written.
    Gone,
}

enum Phase {
    Receiving,
    Assembling,
    Done(Arc<serde_json::Value>),
}

impl Upload {
    fn new(meta: Meta, lens: Vec<Option<u64>>, on_disk: bool) -> Self {
        let received = lens.iter().flatten().count();
        let stored_bytes = lens.iter().flatten().sum();
        let lock = Arc::new(AsyncMutex::new(()));
        Self { meta, lens, received, stored_bytes, phase: Phase::Receiving, touched: Instant::now(), on_disk, lock }
    }

    fn is_open(&self) -> bool {
        !matches!(self.phase, Phase::Done(_))
    }

    fn is_complete(&self) -> bool {
        self.received as u64 == self.meta.total_chunks
    }
}

impl ChunkStore {
    /// Opens (creating if needed) the store under `dir`, taking back the uploads a previous run
    /// left there. Their inactivity clock starts now. An upload whose files cannot be trusted
    /// (unreadable metadata, counts or sizes beyond `limits`: never used to size anything) is
    /// moved to `quarantine` with a warning, and the store opens without it.
    pub fn open(dir: &Path, limits: ChunkLimits, quarantine: &Path) -> Result<Self, EnvelopeError> {
        std::fs::create_dir_all(dir).map_err(EnvelopeError::io("create directory", dir))?;
        let mut uploads = HashMap::new();
        let (found, untrusted) = disk::scan(dir, &|kind, meta| meta.check(&limits, kind))?;
        for bad in untrusted {
            let name = bad.dir.strip_prefix(dir).unwrap_or(&bad.dir).to_string_lossy().replace('/', "-");
            vps_store::durable::quarantine(quarantine, "chunks", &name, &bad.dir, &bad.reason)?;
        }
        for found in found {
            let mut lens = vec![None; found.meta.total_chunks as usize];
            for (index, len) in found.lens {
                lens[index as usize] = Some(len);
            }
            let mut upload = Upload::new(found.meta, lens, true);
            if let Some(reply) = found.reply {
                upload.phase = Phase::Done(Arc::new(reply));
                upload.lens = Vec::new();
            }
            uploads.insert(Key { session: found.session, kind: found.kind, tail: found.tail }, upload);
        }
        if !uploads.is_empty() {
            tracing::info!(uploads = uploads.len(), dir = %dir.display(), "chunked uploads taken back from disk");
        }
        Ok(Self { inner: Arc::new(Inner { dir: dir.to_owned(), limits, uploads: Mutex::new(uploads) }) })
    }

    /// The limits this store enforces.
    pub fn limits(&self) -> &ChunkLimits {
        &self.inner.limits
    }

    /// Validates one chunk and writes its decoded slice to disk under its index.
    ///
    /// Everything about the chunk alone is checked before anything is stored: the upload id
    /// (route prefix, the session's id), `0 ≤ chunkIndex < totalChunks ≤` the cap, the declared
    /// sizes against the route's caps, the base64 and the slice's length (≤ `L`). Then
    /// `totalChunks`, `originalSize` and `compressedSize` must equal those of the upload's
    /// earlier chunks, and the slices may never add up to more than `compressedSize`. A repeated
    /// index replaces the earlier slice.
    pub async fn accept(
        &self,
        session: SessionId,
        kind: RouteKind,
        envelope: Envelope,
    ) -> Result<ChunkOutcome, EnvelopeError> {
        let Envelope { metadata, data } = envelope;
        let tail = UploadTail::parse(&metadata.upload_id, session, kind)?;
        let meta = self.check_metadata(kind, &metadata)?;
        let index = metadata.chunk_index;
        let slice = decode_slice(&data, self.inner.limits.max_slice_bytes)?;
        drop(data);
        if slice.len() as u64 > meta.compressed_size {
            return Err(EnvelopeError::InvalidChunkMetadata("a chunk is larger than compressedSize"));
        }
        let key = Key { session, kind, tail };

        // 1. Find the upload, or open it.
        let lock = {
            let mut uploads = self.uploads();
            match uploads.get_mut(&key) {
                Some(upload) => match &upload.phase {
                    Phase::Done(reply) => return Ok(ChunkOutcome::Replay((**reply).clone())),
                    Phase::Assembling => return Err(EnvelopeError::UploadInProgress(key.upload_id())),
                    Phase::Receiving => {
                        upload.meta.check_same(&meta)?;
                        upload.touched = Instant::now();
                        upload.lock.clone()
                    }
                },
                None => {
                    let limit = self.inner.limits.max_open_uploads_per_session;
                    let open = uploads.iter().filter(|(k, u)| k.session == session && u.is_open()).count();
                    if open >= limit {
                        return Err(EnvelopeError::TooManyOpenUploads { limit });
                    }
                    let upload = Upload::new(meta, vec![None; meta.total_chunks as usize], false);
                    let lock = upload.lock.clone();
                    uploads.insert(key.clone(), upload);
                    lock
                }
            }
        };

        // 2. Write the slice, one writer per upload at a time. Another writer may have changed
        //    the upload while this one waited: look again.
        let _writing = lock.lock().await;
        let first_write = {
            let mut uploads = self.uploads();
            let upload = current(&mut uploads, &key, &lock)?;
            match &upload.phase {
                Phase::Receiving => {}
                Phase::Done(reply) => return Ok(ChunkOutcome::Replay((**reply).clone())),
                Phase::Assembling => return Err(EnvelopeError::UploadInProgress(key.upload_id())),
            }
            let replaced = upload.lens[index as usize].unwrap_or(0);
            let total = upload.stored_bytes - replaced + slice.len() as u64;
            if total > meta.compressed_size {
                return Err(EnvelopeError::SizeMismatch {
                    what: "reassembled upload",
                    expected: meta.compressed_size,
                    actual: total,
                });
            }
            !upload.on_disk
        };
        let dir = self.upload_dir(&key);
        let len = slice.len() as u64;
        let target = dir.clone();
        blocking("write chunk", &dir, move || disk::write_slice(&target, first_write.then_some(&meta), index, &slice))
            .await?;

        // 3. Record it.
        match self.record_slice(&key, &lock, index, len)? {
            Recorded::Partial(received) => Ok(ChunkOutcome::Partial { received, total: meta.total_chunks as usize }),
            Recorded::Complete => {
                tracing::debug!(upload = %key.upload_id(), bytes = meta.compressed_size, "upload complete");
                let lock = lock.clone();
                Ok(ChunkOutcome::Complete(Assembled { store: self.inner.clone(), key, lock, meta, dir }))
            }
            Recorded::Gone => {
                // Removed (its session removed) while the slice was being written: remove the
                // files written since, unless the upload has been opened anew.
                let reopened = self.uploads().contains_key(&key);
                if !reopened {
                    self.remove_dir(dir).await;
                }
                Err(EnvelopeError::UploadGone(key.upload_id()))
            }
        }
    }

    /// Notes a written slice; a slice that completes the upload makes it `Assembling`.
    fn record_slice(
        &self,
        key: &Key,
        lock: &Arc<AsyncMutex<()>>,
        index: u64,
        len: u64,
    ) -> Result<Recorded, EnvelopeError> {
        let mut uploads = self.uploads();
        let Ok(upload) = current(&mut uploads, key, lock) else { return Ok(Recorded::Gone) };
        upload.on_disk = true;
        upload.touched = Instant::now();
        let slot = &mut upload.lens[index as usize];
        upload.stored_bytes = upload.stored_bytes - slot.unwrap_or(0) + len;
        if slot.replace(len).is_none() {
            upload.received += 1;
        }
        let (received, total) = (upload.received, upload.meta.total_chunks);
        tracing::debug!(upload = %key.upload_id(), index, len, received, total, "chunk stored");
        if !upload.is_complete() {
            return Ok(Recorded::Partial(received));
        }
        if upload.stored_bytes != upload.meta.compressed_size {
            return Err(EnvelopeError::SizeMismatch {
                what: "reassembled upload",
                expected: upload.meta.compressed_size,
                actual: upload.stored_bytes,
            });
        }
        upload.phase = Phase::Assembling;
        Ok(Recorded::Complete)
    }

    /// Records the final reply of a completed upload: a later chunk of it gets
    /// [`ChunkOutcome::Replay`] with this reply, even after a restart. The chunks are deleted.
    pub async fn record_reply(
        &self,
        session: SessionId,
        kind: RouteKind,
        upload_id: &str,
        reply: &serde_json::Value,
    ) -> Result<(), EnvelopeError> {
        let key = Key { session, kind, tail: UploadTail::parse(upload_id, session, kind)? };
        let gone = || EnvelopeError::UploadGone(key.upload_id());
        let lock = {
            let mut uploads = self.uploads();
            let upload = uploads.get_mut(&key).ok_or_else(gone)?;
            match upload.phase {
                Phase::Done(_) => return Ok(()),
                Phase::Assembling => {}
                Phase::Receiving if upload.is_complete() => {}
                Phase::Receiving => return Err(EnvelopeError::NotComplete(key.upload_id())),
            }
            upload.lock.clone()
        };
        let _writing = lock.lock().await;
        let dir = self.upload_dir(&key);
        let bytes = serde_json::to_vec(reply).expect("a JSON value serializes");
        let target = dir.clone();
        blocking("write reply", &dir, move || disk::write_reply(&target, &bytes)).await?;
        let total = {
            let mut uploads = self.uploads();
            let upload = current(&mut uploads, &key, &lock).map_err(|_| gone())?;
            upload.phase = Phase::Done(Arc::new(reply.clone()));
            upload.lens = Vec::new();
            upload.meta.total_chunks
        };
        let target = dir.clone();
        let _ = blocking("remove chunks", &dir, move || {
            disk::remove_chunks(&target, total);
            Ok(())
        })
        .await;
        Ok(())
    }

    /// Removes the incomplete uploads that received nothing for `idle` (whatever their age),
    /// with their files; returns how many. Completed uploads stay until their session is removed.
    pub async fn expire_idle(&self, idle: Duration) -> usize {
        let now = Instant::now();
        let expired: Vec<Key> = {
            let mut uploads = self.uploads();
            let stale: Vec<Key> = uploads
                .iter()
                .filter(|(_, u)| {
                    // A held lock is a write in progress: not idle.
                    matches!(u.phase, Phase::Receiving)
                        && now.saturating_duration_since(u.touched) >= idle
                        && u.lock.try_lock().is_ok()
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in &stale {
                uploads.remove(key);
            }
            stale
        };
        for key in &expired {
            tracing::info!(upload = %key.upload_id(), "incomplete upload expired");
            self.remove_dir(self.upload_dir(key)).await;
        }
        expired.len()
    }

    /// Whether the session has an upload still missing chunks or being processed (`finish`
    /// should then be answered with 409).
    pub fn has_incomplete(&self, session: SessionId) -> bool {
        self.uploads().iter().any(|(key, upload)| key.session == session && upload.is_open())
    }

    /// Forgets everything of a session (uploads, replies) and deletes its files.
    pub async fn remove_session(&self, session: SessionId) -> Result<(), EnvelopeError> {
        self.uploads().retain(|key, _| key.session != session);
        let dir = disk::session_dir(&self.inner.dir, session);
        let target = dir.clone();
        blocking("remove session", &dir, move || disk::remove_tree(&target)).await
    }

    fn check_metadata(&self, kind: RouteKind, metadata: &EnvelopeMetadata) -> Result<Meta, EnvelopeError> {
        let meta = Meta::of(metadata);
        meta.check(&self.inner.limits, kind)?;
        let (index, total) = (metadata.chunk_index, meta.total_chunks);
        if index >= total {
            return Err(EnvelopeError::ChunkIndexOutOfRange { index, total });
        }
        Ok(meta)
    }

    fn uploads(&self) -> MutexGuard<'_, HashMap<Key, Upload>> {
        self.inner.uploads()
    }

    fn upload_dir(&self, key: &Key) -> PathBuf {
        disk::upload_dir(&self.inner.dir, key.session, key.kind, &key.tail)
    }

    async fn remove_dir(&self, dir: PathBuf) {
        let target = dir.clone();
        if let Err(error) = blocking("remove upload", &dir, move || disk::remove_tree(&target)).await {
            tracing::warn!(error = vps_core::error_chain::chain(&error, ": "), "could not remove an upload's files");
        }
    }
}

impl Inner {
    fn uploads(&self) -> MutexGuard<'_, HashMap<Key, Upload>> {
        // The map is consistent after every statement: a panic elsewhere does not spoil it.
        self.uploads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ChunkStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkStore").field("dir", &self.inner.dir).field("limits", &self.inner.limits).finish()
    }
}

/// Runs file work on the blocking pool.
async fn blocking<T: Send + 'static>(
    op: &'static str,
    path: &Path,
    work: impl FnOnce() -> Result<T, EnvelopeError> + Send + 'static,
) -> Result<T, EnvelopeError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| EnvelopeError::task_gone(op, path))?
}

/// The upload under `key`, if it is still the one whose lock is `lock`.
fn current<'a>(
    uploads: &'a mut HashMap<Key, Upload>,
    key: &Key,
    lock: &Arc<AsyncMutex<()>>,
) -> Result<&'a mut Upload, EnvelopeError> {
    match uploads.get_mut(key) {
        Some(upload) if Arc::ptr_eq(&upload.lock, lock) => Ok(upload),
        _ => Err(EnvelopeError::UploadGone(key.upload_id())),
    }
}

/// Decodes a chunk's base64, refusing a slice over `max` bytes before decoding it.
fn decode_slice(data: &str, max: u64) -> Result<Vec<u8>, EnvelopeError> {
    let bound = (data.len() as u64 / 4) * 3;
    let padding = data.bytes().rev().take(2).filter(|&b| b == b'=').count() as u64;
    if bound.saturating_sub(padding) > max {
        return Err(EnvelopeError::ChunkTooLarge { len: bound - padding, limit: max });
    }
    STANDARD.decode(data).map_err(|_| EnvelopeError::InvalidBase64)
}

/// A complete upload, held by the caller while it processes the payload.
///
/// Read the gzip stream with [`Assembled::reader`]. Keep this value until the reply is recorded
/// with [`ChunkStore::record_reply`]: dropping it before (the handler failed) makes the upload
/// incomplete again, so that a re-sent chunk completes it anew.
pub struct Assembled {
    store: Arc<Inner>,
    key: Key,
    lock: Arc<AsyncMutex<()>>,
    meta: Meta,
    dir: PathBuf,
}

impl Assembled {
    /// The upload's id as the client sent it (`notes-<sessionId>-<id>` or `assets-…`).
    pub fn upload_id(&self) -> String {
        self.key.upload_id()
    }

    /// The route the upload came in on.
    pub fn kind(&self) -> RouteKind {
        self.key.kind
    }

    /// How many chunks the upload had.
    pub fn total_chunks(&self) -> usize {
        self.meta.total_chunks as usize
    }

    /// The declared decompressed size: what [`gunzip_to_file`](crate::gunzip_to_file) must find.
    pub fn original_size(&self) -> u64 {
        self.meta.original_size
    }

    /// The length of the gzip stream, checked against the chunks.
    pub fn compressed_size(&self) -> u64 {
        self.meta.compressed_size
    }

    /// The gzip stream: the slices of indices `0..total` in index order, read from disk a
    /// piece at a time. A read error ends it if the files no longer add up to `compressedSize`.
    pub fn reader(&self) -> AssembledReader {
        let stream = disk::chunk_stream(self.dir.clone(), self.meta.total_chunks, self.meta.compressed_size);
        AssembledReader(StreamReader::new(Box::pin(stream)))
    }
}

impl Drop for Assembled {
    fn drop(&mut self) {
        let mut uploads = self.store.uploads();
        if let Ok(upload) = current(&mut uploads, &self.key, &self.lock)
            && matches!(upload.phase, Phase::Assembling)
        {
            upload.phase = Phase::Receiving;
            upload.touched = Instant::now();
        }
    }
}

impl fmt::Debug for Assembled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assembled").field("upload_id", &self.upload_id()).field("meta", &self.meta).finish()
    }
}

/// The gzip stream of an [`Assembled`] upload.
pub struct AssembledReader(StreamReader<BoxStream<'static, io::Result<Bytes>>, Bytes>);

impl AsyncRead for AssembledReader {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl fmt::Debug for AssembledReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AssembledReader")
    }
}
