//! The counters of a [`crate::Scanner`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What a [`crate::Scanner`] and its clones have done since it was made.
///
/// Every scan begun (a slot obtained) is counted in `scans`, and, once it ends, in one of
/// `clean`, `infected`, `failed` or `too_large`; scans that the caller dropped before the
/// verdict (an upload that failed for another reason) are only in `scans`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Scans begun (a connection slot obtained), whatever became of them.
    pub scans: u64,
    /// Scans whose verdict was [`Verdict::Clean`](crate::Verdict::Clean).
    pub clean: u64,
    /// Scans whose verdict was [`Verdict::Infected`](crate::Verdict::Infected).
    pub infected: u64,
    /// Scanner unavailable, timeout or protocol error.
    pub failed: u64,
    /// Files refused for being larger than the scan limit.
    pub too_large: u64,
    /// Time from connecting to the verdict, summed over the scans with a verdict.
    pub scan_time_ms: u64,
    /// Bytes sent to clamd, summed over the scans with a verdict.
    pub bytes_scanned: u64,
    /// Connection slots held now (scans in progress).
    pub in_use: usize,
}

#[derive(Default)]
pub(crate) struct Counters {
    scans: AtomicU64,
    clean: AtomicU64,
    infected: AtomicU64,
    failed: AtomicU64,
    too_large: AtomicU64,
    scan_time_us: AtomicU64,
    bytes_scanned: AtomicU64,
}

impl Counters {
    pub(crate) fn begun(&self) {
        self.scans.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn verdict(&self, infected: bool, bytes: u64, time: Duration) {
        let counter = if infected { &self.infected } else { &self.clean };
        counter.fetch_add(1, Ordering::Relaxed);
        self.bytes_scanned.fetch_add(bytes, Ordering::Relaxed);
        self.scan_time_us.fetch_add(time.as_micros().try_into().unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn too_large(&self) {
        self.too_large.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, in_use: usize) -> ScanStats {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ScanStats {
            scans: get(&self.scans),
            clean: get(&self.clean),
            infected: get(&self.infected),
            failed: get(&self.failed),
            too_large: get(&self.too_large),
            scan_time_ms: get(&self.scan_time_us) / 1000,
            bytes_scanned: get(&self.bytes_scanned),
            in_use,
        }
    }
}
