//! Where a build puts the blobs it makes (pages, documents, note sources, the site model) and
//! reads the sources of the pages it keeps: the one thing a build asks of a store.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::Bytes;
use vps_core::ContentHash;
use vps_store::StoreError;

/// A content-addressed blob store, as a build uses it: synchronously, from the build's thread.
pub trait BlobSink {
    /// The hash of `bytes`; the bytes are stored by the next [`BlobSink::flush`] at the latest.
    fn put_bytes(&self, bytes: &[u8]) -> Result<ContentHash, StoreError>;

    /// Stores whatever is still queued. A build flushes before it returns the revision, so that
    /// every blob a revision names is stored before the revision exists.
    fn flush(&self) -> Result<(), StoreError>;

    /// Reads small blobs (note sources); `None` for one that is not stored.
    fn read_many(&self, hashes: Vec<ContentHash>) -> Result<Vec<Option<Bytes>>, StoreError>;

    /// Reads the first `max` bytes of each blob (an image's header); `None` for one that is not
    /// stored. By default the whole blobs are read and cut.
    fn read_heads(&self, hashes: Vec<ContentHash>, max: usize) -> Result<Vec<Option<Bytes>>, StoreError> {
        let blobs = self.read_many(hashes)?;
        Ok(blobs.into_iter().map(|blob| blob.map(|bytes| bytes.slice(..bytes.len().min(max)))).collect())
    }
}

/// The SHA-256 of `bytes`, as blobs are named.
pub(crate) fn hash_of(bytes: &[u8]) -> ContentHash {
    ContentHash::of(bytes)
}

/// Blobs in memory: for tests and tools that build a revision without a store.
#[derive(Debug, Default)]
pub struct MemoryBlobs {
    blobs: RefCell<HashMap<ContentHash, Bytes>>,
}

impl MemoryBlobs {
    /// No blobs.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes stored as `hash`.
    pub fn get(&self, hash: &ContentHash) -> Option<Bytes> {
        self.blobs.borrow().get(hash).cloned()
    }

    /// How many blobs are stored.
    pub fn len(&self) -> usize {
        self.blobs.borrow().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.blobs.borrow().is_empty()
    }
}

impl BlobSink for MemoryBlobs {
    fn put_bytes(&self, bytes: &[u8]) -> Result<ContentHash, StoreError> {
        let hash = hash_of(bytes);
        self.blobs.borrow_mut().entry(hash).or_insert_with(|| Bytes::copy_from_slice(bytes));
        Ok(hash)
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn read_many(&self, hashes: Vec<ContentHash>) -> Result<Vec<Option<Bytes>>, StoreError> {
        Ok(hashes.iter().map(|hash| self.get(hash)).collect())
    }
}
