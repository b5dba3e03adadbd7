//! The memory cache in front of the blob store, for the reader's side: small hot blobs (pages,
//! their stored variants, stylesheets, small images) by their hash, with a byte budget
//! (`SITE_CACHE_BYTES`; 0 turns it off).
//!
//! An entry holds bytes already checked against their hash, so it is never hashed again and
//! never stale (a hash names one content forever); a cache hit is a map lookup and a `Bytes`
//! clone (a reference count), no copy. Only blobs read whole (at most
//! `BLOB_CHECK_WHOLE_MAX_BYTES`) enter it. A blob reported corrupt is evicted.
//! Eviction is quick_cache's (S3-FIFO: one-hit wonders do not push hot pages out).

use bytes::Bytes;
use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Weighter};
use vps_core::ContentHash;

/// What an entry costs beyond its bytes (key, `Bytes` header, the map's slot), in the budget.
const ENTRY_OVERHEAD: u64 = 96;

/// An average entry, to size the map up front (a page, a small image).
const TYPICAL_ENTRY: u64 = 16 * 1024;

#[derive(Clone)]
struct ByLength;

impl Weighter<ContentHash, Bytes> for ByLength {
    fn weight(&self, _: &ContentHash, bytes: &Bytes) -> u64 {
        bytes.len() as u64 + ENTRY_OVERHEAD
    }
}

/// Verified blob bytes by hash, within a byte budget.
pub(crate) struct BlobCache {
    cache: Option<Cache<ContentHash, Bytes, ByLength, DefaultHashBuilder>>,
    /// Blobs larger than this are not kept (they stream, checked as they go).
    max_entry: u64,
}

impl BlobCache {
    /// A cache of at most `budget` bytes (none when 0) for blobs of at most `max_entry` bytes.
    pub(crate) fn new(budget: u64, max_entry: u64) -> Self {
        let cache = (budget > 0).then(|| {
            let items = (budget / TYPICAL_ENTRY).clamp(16, 1 << 20) as usize;
            Cache::with_weighter(items, budget, ByLength)
        });
        Self { cache, max_entry }
    }

    /// The bytes of `hash`, when cached.
    pub(crate) fn get(&self, hash: &ContentHash) -> Option<Bytes> {
        self.cache.as_ref()?.get(hash)
    }

    /// Keeps `bytes`, which the caller checked hash to `hash`, when small enough. (An entry
    /// larger than a shard of the budget is not admitted by the cache itself.)
    pub(crate) fn insert_verified(&self, hash: ContentHash, bytes: Bytes) {
        if let Some(cache) = &self.cache
            && bytes.len() as u64 <= self.max_entry
        {
            cache.insert(hash, bytes);
        }
    }

    /// Forgets `hash` (found corrupt in the store).
    pub(crate) fn remove(&self, hash: &ContentHash) {
        if let Some(cache) = &self.cache {
            cache.remove(hash);
        }
    }

    /// The bytes the cache holds now, overhead included (the `vps_blob_cache_bytes` gauge).
    pub(crate) fn weight(&self) -> u64 {
        self.cache.as_ref().map_or(0, Cache::weight)
    }

    /// Whether a blob of `len` bytes may be cached at all.
    pub(crate) fn admits(&self, len: u64) -> bool {
        self.cache.is_some() && len <= self.max_entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(byte: u8, len: usize) -> (ContentHash, Bytes) {
        let bytes = Bytes::from(vec![byte; len]);
        (ContentHash::of(&bytes), bytes)
    }

    #[test]
    fn a_cached_blob_is_the_same_bytes_without_a_copy() {
        let cache = BlobCache::new(1 << 20, 1 << 16);
        let (hash, bytes) = blob(1, 1000);
        assert_eq!(cache.get(&hash), None);
        cache.insert_verified(hash, bytes.clone());
        let hit = cache.get(&hash).expect("cached");
        assert_eq!(hit.as_ptr(), bytes.as_ptr(), "a reference, not a copy");
        assert_eq!(cache.weight(), 1000 + ENTRY_OVERHEAD);
        cache.remove(&hash);
        assert_eq!(cache.get(&hash), None);
        assert_eq!(cache.weight(), 0);
    }

    #[test]
    fn large_blobs_and_a_zero_budget_are_not_cached() {
        let cache = BlobCache::new(1 << 20, 1000);
        let (hash, bytes) = blob(2, 1001);
        assert!(!cache.admits(1001));
        cache.insert_verified(hash, bytes);
        assert_eq!(cache.get(&hash), None);

        let off = BlobCache::new(0, 1000);
        let (hash, bytes) = blob(3, 10);
        assert!(!off.admits(10));
        off.insert_verified(hash, bytes);
        assert_eq!(off.get(&hash), None);
        assert_eq!(off.weight(), 0);
    }

    #[test]
    fn the_budget_bounds_what_is_kept() {
        let budget = 64 * 1024;
        let cache = BlobCache::new(budget, 4096);
        for byte in 0..200u8 {
            let (hash, bytes) = blob(byte, 4000);
            cache.insert_verified(hash, bytes);
        }
        assert!(cache.weight() <= budget, "{} > {budget}", cache.weight());
        assert!(cache.weight() > 0);
    }
}
