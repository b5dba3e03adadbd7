//! [`BlockingBlobs`]: a [`BlobStore`] (filesystem or bucket) as the [`BlobSink`] of a build that
//! runs on a thread of its own, outside the async runtime.

use std::cell::RefCell;
use std::collections::HashSet;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use vps_core::ContentHash;
use vps_store::{BlobStore, StoreError};

use crate::sink::{BlobSink, hash_of};

/// The blob store as the finalization's blocking thread uses it. Stores are called many at a
/// time (a bucket answers each request in milliseconds; a few hundred pages one after the other
/// would take seconds): [`BlobSink::put_bytes`] hashes here and queues the bytes, stored
/// together, [`STORE_CONCURRENCY`] requests at a time, when [`FLUSH_BYTES`] are queued and at
/// [`BlobSink::flush`]; [`BlobSink::read_many`] reads many at once.
pub struct BlockingBlobs<'a> {
    store: &'a dyn BlobStore,
    runtime: tokio::runtime::Handle,
    queued: RefCell<Queued>,
}

#[derive(Default)]
struct Queued {
    blobs: Vec<Bytes>,
    hashes: HashSet<ContentHash>,
    bytes: usize,
}

/// Requests to the store in flight at once.
pub const STORE_CONCURRENCY: usize = 16;
/// Bytes queued before they are stored.
pub const FLUSH_BYTES: usize = 16 * 1024 * 1024;

impl<'a> BlockingBlobs<'a> {
    /// `store`, called on `runtime` (from a thread that is not one of its workers).
    pub fn new(store: &'a dyn BlobStore, runtime: tokio::runtime::Handle) -> Self {
        Self { store, runtime, queued: RefCell::default() }
    }
}

impl BlobSink for BlockingBlobs<'_> {
    fn put_bytes(&self, bytes: &[u8]) -> Result<ContentHash, StoreError> {
        let hash = hash_of(bytes);
        let full = {
            let mut queued = self.queued.borrow_mut();
            if queued.hashes.insert(hash) {
                queued.blobs.push(Bytes::copy_from_slice(bytes));
                queued.bytes += bytes.len();
            }
            queued.bytes >= FLUSH_BYTES
        };
        if full {
            self.flush()?;
        }
        Ok(hash)
    }

    /// Stores what is queued (each blob unless already stored).
    fn flush(&self) -> Result<(), StoreError> {
        let blobs = std::mem::take(&mut self.queued.borrow_mut().blobs);
        self.queued.borrow_mut().bytes = 0;
        self.runtime.block_on(
            stream::iter(blobs)
                .map(|bytes| self.store.put_bytes(bytes))
                .buffer_unordered(STORE_CONCURRENCY)
                .try_for_each(|_| std::future::ready(Ok(()))),
        )
    }

    fn read_many(&self, hashes: Vec<ContentHash>) -> Result<Vec<Option<Bytes>>, StoreError> {
        self.runtime.block_on(
            stream::iter(hashes)
                .map(|hash| async move { self.store.read_bytes(&hash).await })
                .buffered(STORE_CONCURRENCY)
                .try_collect(),
        )
    }

    /// Reads only what is asked of each blob, however large it is (a 50 MiB photograph costs its
    /// header).
    fn read_heads(&self, hashes: Vec<ContentHash>, max: usize) -> Result<Vec<Option<Bytes>>, StoreError> {
        self.runtime.block_on(
            stream::iter(hashes)
                .map(|hash| async move {
                    match self.store.open(&hash).await? {
                        Some(mut reader) => Ok(Some(reader.head(max).await?)),
                        None => Ok(None),
                    }
                })
                .buffered(STORE_CONCURRENCY)
                .try_collect(),
        )
    }
}
