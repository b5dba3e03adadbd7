//! The file writer: the [`BlobSink`] of the filesystem store. A blocking thread writes each batch
//! of an upload to a temp file with one `writev` (starting the write-back as it goes) and fsyncs
//! it at the end; the commit renames it under its hash (copies it, across filesystems).

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{ErrorKind, IoSlice, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use vps_core::ContentHash;

use crate::temp::{Batch, BlobSink, PendingBlob, TEMP_PREFIX};
use crate::{StoreError, Stored, blob_key, durable};

/// An upload's temp file, being written. Dropped unsealed, it deletes the file.
pub(super) struct FileSink {
    guard: RemoveOnDrop,
    /// Taken by the writing thread when it starts.
    file: Option<File>,
    /// The blob directory the file is to be renamed into.
    blobs: PathBuf,
}

impl FileSink {
    /// Creates a new temp file in `dir`, to be committed into `blobs`.
    pub(super) async fn create(dir: &Path, blobs: PathBuf) -> Result<Self, StoreError> {
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
        Ok(Self { guard: RemoveOnDrop::new(path), file: Some(file), blobs })
    }
}

impl BlobSink for FileSink {
    type Written = ();

    fn name(&self) -> PathBuf {
        self.guard.path.clone()
    }

    fn start(
        &mut self,
        batches: mpsc::Receiver<Batch>,
        cancelled: Arc<AtomicBool>,
    ) -> JoinHandle<Result<(), StoreError>> {
        let file = self.file.take().expect("a file sink starts once");
        let path = self.guard.path.clone();
        tokio::task::spawn_blocking(move || write_all(file, &path, batches, &cancelled))
    }

    fn seal(self, (): ()) -> Box<dyn PendingBlob> {
        let FileSink { guard, blobs, .. } = self;
        Box::new(PendingFile { guard, blobs })
    }
}

/// A fsynced temp file and the blob directory it is to be renamed into.
struct PendingFile {
    guard: RemoveOnDrop,
    blobs: PathBuf,
}

impl PendingBlob for PendingFile {
    fn commit(self: Box<Self>, hash: ContentHash) -> BoxFuture<'static, Result<Stored, StoreError>> {
        let PendingFile { guard, blobs } = *self;
        Box::pin(async move {
            tokio::task::spawn_blocking(move || commit_file(guard, &blobs, &hash))
                .await
                .map_err(|_| StoreError::WriterGone { path: PathBuf::from("commit") })?
        })
    }
}

/// Moves a sealed temp file to its place under its hash in `blobs`, unless that blob is already
/// stored. Blocking file I/O.
pub(super) fn commit_file(mut guard: RemoveOnDrop, blobs: &Path, hash: &ContentHash) -> Result<Stored, StoreError> {
    let target = blobs.join(blob_key(hash));
    if target.exists() {
        return Ok(Stored::AlreadyPresent); // the guard deletes the temp file
    }
    let shard = target.parent().expect("blob paths have a shard directory");
    ensure_dir_durably(shard)?;
    let source = guard.path.clone();
    // Blobs are immutable: make that visible to anyone who looks at the files.
    fs::set_permissions(&source, Permissions::from_mode(0o444)).map_err(StoreError::io("set permissions", &source))?;
    match fs::rename(&source, &target) {
        Ok(()) => guard.disarm(),
        Err(e) if e.kind() == ErrorKind::CrossesDevices => copy_across_devices(&source, &target)?,
        Err(e) => return Err(StoreError::io("rename into blob store", target)(e)),
    }
    durable::sync_dir(shard)?;
    Ok(Stored::Created)
}

/// The temp directory is on another filesystem: copy into the shard, fsync, rename there.
fn copy_across_devices(source: &Path, target: &Path) -> Result<(), StoreError> {
    let shard = target.parent().expect("blob paths have a shard directory");
    let mut staged = RemoveOnDrop::new(shard.join(format!(".{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple())));
    fs::copy(source, &staged.path).map_err(StoreError::io("copy into blob store", &staged.path))?;
    fs::File::open(&staged.path).and_then(|f| f.sync_all()).map_err(StoreError::io("fsync", &staged.path))?;
    fs::rename(&staged.path, target).map_err(StoreError::io("rename into blob store", target))?;
    staged.disarm();
    Ok(())
}

/// Creates `dir` and its missing parents, fsyncing each parent that gained an entry.
pub(super) fn ensure_dir_durably(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        ensure_dir_durably(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => durable::sync_dir(dir.parent().unwrap_or(Path::new("."))),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::io("create directory", dir)(e)),
    }
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
pub(super) struct RemoveOnDrop {
    pub(super) path: PathBuf,
    armed: bool,
}

impl RemoveOnDrop {
    pub(super) fn new(path: PathBuf) -> Self {
        Self { path, armed: true }
    }

    /// The file has been moved away or is wanted: keep it.
    pub(super) fn disarm(&mut self) {
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
