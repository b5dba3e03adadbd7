//! The chunk store's files.
//!
//! ```text
//! <dir>/<sessionId>/<notes|assets>/<upload tail>/meta.json        totalChunks, originalSize, compressedSize
//!                                               /00000000.chunk   decoded slice of index 0
//!                                               /reply.json       the final reply, once recorded
//! ```
//!
//! A slice is written to a temp file and renamed over its index, without fsync: chunks live a few
//! seconds, and a chunk torn by a power loss is caught by the exact-length checks and the gzip
//! CRC when the upload is reassembled. `meta.json` and `reply.json` are replaced durably, so that
//! a restart keeps what was received and still replays the replies already given.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio_util::io::ReaderStream;
use vps_core::SessionId;
use vps_store::durable;

use crate::wire::{RouteKind, UploadTail};
use crate::{ChunkLimits, EnvelopeError, EnvelopeMetadata};

const META: &str = "meta.json";
const REPLY: &str = "reply.json";
const CHUNK_SUFFIX: &str = ".chunk";
/// Bytes read from a chunk file at a time when the upload is reassembled.
const READ_PIECE: usize = 64 * 1024;

/// What every chunk of an upload must agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Meta {
    pub(crate) total_chunks: u64,
    pub(crate) original_size: u64,
    pub(crate) compressed_size: u64,
}

impl Meta {
    pub(crate) fn of(metadata: &EnvelopeMetadata) -> Self {
        Self {
            total_chunks: metadata.total_chunks,
            original_size: metadata.original_size,
            compressed_size: metadata.compressed_size,
        }
    }

    /// Fails unless the declared counts and sizes are within `limits` for the route: at most
    /// `max_total_chunks` chunks, sizes under the route's caps, and a compressed size that the
    /// chunks can hold. Checked on every chunk received and on every `meta.json` read back at
    /// start-up, before anything is sized by it.
    pub(crate) fn check(&self, limits: &ChunkLimits, kind: RouteKind) -> Result<(), EnvelopeError> {
        let total = self.total_chunks;
        if total == 0 {
            return Err(EnvelopeError::InvalidChunkMetadata("totalChunks must be at least 1"));
        }
        if total > limits.max_total_chunks {
            return Err(EnvelopeError::TooManyChunks { total, limit: limits.max_total_chunks });
        }
        if self.original_size > limits.max_original_bytes(kind) {
            return Err(EnvelopeError::DecompressedTooLarge { limit: limits.max_original_bytes(kind) });
        }
        let max_compressed = limits.max_compressed_bytes(kind);
        if self.compressed_size > max_compressed {
            return Err(EnvelopeError::UploadTooLarge { len: self.compressed_size, limit: max_compressed });
        }
        if self.compressed_size < total {
            return Err(EnvelopeError::InvalidChunkMetadata("compressedSize is smaller than totalChunks"));
        }
        if self.compressed_size > total.saturating_mul(limits.max_slice_bytes) {
            return Err(EnvelopeError::InvalidChunkMetadata("compressedSize does not fit in totalChunks chunks"));
        }
        Ok(())
    }

    /// Fails when a later chunk declares other sizes than the first one did.
    pub(crate) fn check_same(&self, other: &Self) -> Result<(), EnvelopeError> {
        let field = if self.total_chunks != other.total_chunks {
            "totalChunks"
        } else if self.original_size != other.original_size {
            "originalSize"
        } else if self.compressed_size != other.compressed_size {
            "compressedSize"
        } else {
            return Ok(());
        };
        Err(EnvelopeError::InconsistentChunkMetadata { field })
    }
}

pub(crate) fn session_dir(root: &Path, session: SessionId) -> PathBuf {
    root.join(session.to_string())
}

pub(crate) fn upload_dir(root: &Path, session: SessionId, kind: RouteKind, tail: &UploadTail) -> PathBuf {
    session_dir(root, session).join(kind.as_str()).join(tail.as_str())
}

fn chunk_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index:08}{CHUNK_SUFFIX}"))
}

/// Writes one decoded slice under its index (replacing an earlier copy), and first the upload's
/// directory and `meta.json` when `meta` is given.
pub(crate) fn write_slice(dir: &Path, meta: Option<&Meta>, index: u64, slice: &[u8]) -> Result<(), EnvelopeError> {
    if let Some(meta) = meta {
        fs::create_dir_all(dir).map_err(EnvelopeError::io("create directory", dir))?;
        let json = serde_json::to_vec(meta).expect("metadata serializes");
        durable::write_file(&dir.join(META), &json, 0o600)?;
    }
    let target = chunk_path(dir, index);
    let temp = dir.join(format!(".{index:08}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(EnvelopeError::io("create", &temp))?;
        file.write_all(slice).map_err(EnvelopeError::io("write", &temp))?;
        fs::rename(&temp, &target).map_err(EnvelopeError::io("rename into place", &target))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Records the final reply durably.
pub(crate) fn write_reply(dir: &Path, reply: &[u8]) -> Result<(), EnvelopeError> {
    Ok(durable::write_file(&dir.join(REPLY), reply, 0o600)?)
}

/// Removes the chunk files of an upload whose reply is recorded; they are no longer needed.
pub(crate) fn remove_chunks(dir: &Path, total: u64) {
    for index in 0..total {
        let path = chunk_path(dir, index);
        if let Err(error) = fs::remove_file(&path)
            && error.kind() != ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), %error, "could not remove a chunk");
        }
    }
}

/// Removes a directory and everything in it; a missing directory is fine.
pub(crate) fn remove_tree(dir: &Path) -> Result<(), EnvelopeError> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(EnvelopeError::io("remove directory", dir)(e)),
        _ => Ok(()),
    }
}

/// The decoded slices of indices `0..total`, in index order, as one stream of bytes read a piece
/// at a time. It ends with an error if their length is not `expected`.
pub(crate) fn chunk_stream(dir: PathBuf, total: u64, expected: u64) -> impl Stream<Item = io::Result<Bytes>> + Send {
    struct State {
        dir: PathBuf,
        next: u64,
        total: u64,
        current: Option<ReaderStream<tokio::fs::File>>,
        read: u64,
        expected: u64,
        done: bool,
    }
    let state = State { dir, next: 0, total, current: None, read: 0, expected, done: false };
    stream::unfold(state, |mut s| async move {
        while !s.done {
            if let Some(current) = &mut s.current {
                match current.next().await {
                    Some(Ok(piece)) => {
                        s.read += piece.len() as u64;
                        return Some((Ok(piece), s));
                    }
                    Some(Err(e)) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                    None => s.current = None,
                }
            }
            if s.next == s.total {
                s.done = true;
                if s.read != s.expected {
                    let message = format!("the chunks hold {} bytes, {} were declared", s.read, s.expected);
                    return Some((Err(io::Error::new(ErrorKind::InvalidData, message)), s));
                }
                return None;
            }
            match tokio::fs::File::open(chunk_path(&s.dir, s.next)).await {
                Ok(file) => {
                    s.current = Some(ReaderStream::with_capacity(file, READ_PIECE));
                    s.next += 1;
                }
                Err(e) => {
                    s.done = true;
                    return Some((Err(e), s));
                }
            }
        }
        None
    })
}

/// An upload found on disk at start-up.
pub(crate) struct Found {
    pub(crate) session: SessionId,
    pub(crate) kind: RouteKind,
    pub(crate) tail: UploadTail,
    pub(crate) meta: Meta,
    /// The length of each index's slice, when present.
    pub(crate) lens: HashMap<u64, u64>,
    pub(crate) reply: Option<serde_json::Value>,
}

/// An upload directory found at start-up that cannot be trusted: unreadable metadata, counts or
/// sizes out of bounds. Set aside by the caller, never loaded.
pub(crate) struct Untrusted {
    pub(crate) dir: PathBuf,
    pub(crate) reason: String,
}

/// Lists the uploads under `root`, removing temp files. An upload whose metadata is unreadable or
/// fails `check` (given the route and the metadata, before anything is sized by it) is listed
/// apart, untouched. Entries that are not the store's are left alone.
pub(crate) fn scan(
    root: &Path,
    check: &dyn Fn(RouteKind, &Meta) -> Result<(), EnvelopeError>,
) -> Result<(Vec<Found>, Vec<Untrusted>), EnvelopeError> {
    let mut found = Vec::new();
    let mut untrusted = Vec::new();
    for session_dir in subdirs(root)? {
        let Some(session) = file_name(&session_dir).and_then(|n| SessionId::parse(n).ok()) else { continue };
        for kind_dir in subdirs(&session_dir)? {
            let Some(kind) = file_name(&kind_dir).and_then(RouteKind::parse) else { continue };
            for upload_dir in subdirs(&kind_dir)? {
                let Some(tail) = file_name(&upload_dir).and_then(UploadTail::from_dir_name) else { continue };
                match read_upload(&upload_dir, &|meta| check(kind, meta))? {
                    Ok((meta, lens, reply)) => found.push(Found { session, kind, tail, meta, lens, reply }),
                    Err(reason) => untrusted.push(Untrusted { dir: upload_dir, reason }),
                }
            }
        }
    }
    Ok((found, untrusted))
}

type UploadFiles = (Meta, HashMap<u64, u64>, Option<serde_json::Value>);

/// An upload's files, or why they cannot be trusted. The metadata is checked before anything is
/// sized by it, and so is every slice against it.
fn read_upload(
    dir: &Path,
    check: &dyn Fn(&Meta) -> Result<(), EnvelopeError>,
) -> Result<Result<UploadFiles, String>, EnvelopeError> {
    let Some(meta) = read_json::<Meta>(&dir.join(META))? else {
        return Ok(Err(format!("{META} is missing or unreadable")));
    };
    if let Err(error) = check(&meta) {
        return Ok(Err(format!("{META}: {error}")));
    }
    let reply = read_json::<serde_json::Value>(&dir.join(REPLY))?;
    let mut lens = HashMap::new();
    let mut stored = 0u64;
    for entry in fs::read_dir(dir).map_err(EnvelopeError::io("list", dir))? {
        let entry = entry.map_err(EnvelopeError::io("list", dir))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".tmp") {
            fs::remove_file(&path).map_err(EnvelopeError::io("remove stale temp file", &path))?;
            continue;
        }
        let index = name.strip_suffix(CHUNK_SUFFIX).and_then(|digits| digits.parse::<u64>().ok());
        if let Some(index) = index.filter(|&i| i < meta.total_chunks && reply.is_none()) {
            let len = entry.metadata().map_err(EnvelopeError::io("stat", &path))?.len();
            stored = stored.saturating_add(len);
            if stored > meta.compressed_size {
                return Ok(Err(format!("its chunks hold more than the {} bytes declared", meta.compressed_size)));
            }
            lens.insert(index, len);
        }
    }
    if reply.is_some() {
        remove_chunks(dir, meta.total_chunks);
    }
    Ok(Ok((meta, lens, reply)))
}

/// A JSON file's content; `None` when it is missing or unreadable as `T`.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, EnvelopeError> {
    match fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EnvelopeError::io("read", path)(e)),
    }
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, EnvelopeError> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir).map_err(EnvelopeError::io("list", dir))? {
        let entry = entry.map_err(EnvelopeError::io("list", dir))?;
        if entry.file_type().map_err(EnvelopeError::io("stat", entry.path()))?.is_dir() {
            dirs.push(entry.path());
        }
    }
    Ok(dirs)
}

fn file_name(path: &Path) -> Option<&str> {
    path.file_name()?.to_str()
}
