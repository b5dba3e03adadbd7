//! Reading a stored blob: its length first (for `Content-Length` and ranges), then its bytes as
//! a stream, from a file or from the bucket, never whole in memory.

use std::io::SeekFrom;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::StoreError;

/// A blob's bytes, in chunks of at most this many bytes when read from a file.
const READ_CHUNK: usize = 64 * 1024;

/// Bytes as they are read.
pub type ByteStream = BoxStream<'static, Result<Bytes, StoreError>>;

/// An opened blob.
pub struct BlobReader {
    len: u64,
    source: Source,
}

enum Source {
    File { file: tokio::fs::File, path: PathBuf },
    Object { store: Arc<dyn ObjectStore>, key: ObjectPath },
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::File { path, .. } => path.display().to_string(),
            Source::Object { key, .. } => key.to_string(),
        };
        f.debug_struct("BlobReader").field("len", &self.len).field("source", &source).finish()
    }
}

impl BlobReader {
    pub(crate) fn file(file: tokio::fs::File, len: u64, path: PathBuf) -> Self {
        Self { len, source: Source::File { file, path } }
    }

    pub(crate) fn object(store: Arc<dyn ObjectStore>, key: ObjectPath, len: u64) -> Self {
        Self { len, source: Source::Object { store, key } }
    }

    /// The blob's size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the blob has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `max` bytes (fewer when the blob is shorter), e.g. to sniff its type. The
    /// reader can still stream the whole blob afterwards.
    pub async fn head(&mut self, max: usize) -> Result<Bytes, StoreError> {
        let n = (max as u64).min(self.len);
        if n == 0 {
            return Ok(Bytes::new());
        }
        match &mut self.source {
            Source::File { file, path } => {
                let mut head = vec![0u8; n as usize];
                file.read_exact(&mut head).await.map_err(StoreError::io("read", &*path))?;
                file.rewind().await.map_err(StoreError::io("seek", &*path))?;
                Ok(head.into())
            }
            Source::Object { store, key } => {
                let options = GetOptions { range: Some(GetRange::Bounded(0..n)), ..GetOptions::default() };
                let result = store.get_opts(key, options).await.map_err(StoreError::object("get", &*key))?;
                result.bytes().await.map_err(StoreError::object("read", &*key))
            }
        }
    }

    /// Streams the bytes of `range` (end exclusive, within the blob), or of the whole blob.
    pub async fn stream(self, range: Option<Range<u64>>) -> Result<ByteStream, StoreError> {
        let range = range.unwrap_or(0..self.len);
        assert!(range.start <= range.end && range.end <= self.len, "range {range:?} of a {} byte blob", self.len);
        if range.is_empty() {
            return Ok(stream::empty().boxed());
        }
        match self.source {
            Source::File { mut file, path } => {
                file.seek(SeekFrom::Start(range.start)).await.map_err(StoreError::io("seek", &path))?;
                let chunks = ReaderStream::with_capacity(file.take(range.end - range.start), READ_CHUNK);
                Ok(chunks.map_err(move |e| StoreError::io("read", path.clone())(e)).boxed())
            }
            Source::Object { store, key } => {
                let options = GetOptions { range: Some(GetRange::Bounded(range)), ..GetOptions::default() };
                let result = store.get_opts(&key, options).await.map_err(StoreError::object("get", &key))?;
                Ok(result.into_stream().map_err(move |e| StoreError::object("read", &key)(e)).boxed())
            }
        }
    }
}
