//! A global allocator that counts live heap bytes and their peak, and refuses absurd requests.
//!
//! The counts are process-wide: targets run one at a time, so the growth of the peak during a
//! case ([`Peak`]) is what that case cost (its server or blocking threads included).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One allocation larger than this is refused: no input of a target may make the product ask for
/// it (a `Vec` sized by an input-declared count, say). The process then aborts with "memory
/// allocation of N bytes failed", with the input in `current-input.txt`.
pub const SINGLE_ALLOCATION_BUDGET: usize = 1 << 30;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counted.
pub struct Counting;

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > SINGLE_ALLOCATION_BUDGET {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's layout.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > SINGLE_ALLOCATION_BUDGET {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's layout.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded; `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > SINGLE_ALLOCATION_BUDGET {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded; the caller upholds `realloc`'s contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Live heap bytes now.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Measures how far the heap grows above its level at [`Peak::start`].
pub struct Peak {
    base: usize,
}

impl Peak {
    /// Starts measuring from the heap's size now (resets the recorded peak to it).
    pub fn start() -> Self {
        let base = live();
        PEAK.store(base, Ordering::Relaxed);
        Self { base }
    }

    /// The largest growth of live heap bytes since `start`.
    pub fn growth(&self) -> usize {
        PEAK.load(Ordering::Relaxed).saturating_sub(self.base)
    }
}
