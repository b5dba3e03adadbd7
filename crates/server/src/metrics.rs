//! Counters of what the server did, served as Prometheus text at `/metrics`. Counts only: no
//! names, paths or contents.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub upload_bytes: AtomicU64,
    pub files_stored: AtomicU64,
    pub files_deduplicated: AtomicU64,
    pub files_rejected: AtomicU64,
    pub files_linked: AtomicU64,
    pub notes_received: AtomicU64,
    pub publishes_completed: AtomicU64,
    pub publishes_failed: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let counters: [(&str, &str, &AtomicU64); 8] = [
            ("vps_upload_bytes_total", "Bytes of files received by upload requests.", &self.upload_bytes),
            ("vps_files_stored_total", "Uploaded files whose bytes were new.", &self.files_stored),
            (
                "vps_files_deduplicated_total",
                "Uploaded files whose bytes were already stored.",
                &self.files_deduplicated,
            ),
            ("vps_files_rejected_total", "Uploaded files refused (type, emptiness, size).", &self.files_rejected),
            ("vps_files_linked_total", "Files linked into a session by hash, with no bytes sent.", &self.files_linked),
            ("vps_notes_received_total", "Notes received in sessions.", &self.notes_received),
            ("vps_publishes_completed_total", "Finalizations that published a revision.", &self.publishes_completed),
            (
                "vps_publishes_failed_total",
                "Finalizations that failed (the live site unchanged).",
                &self.publishes_failed,
            ),
        ];
        let mut out = String::new();
        for (name, help, value) in counters {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Ordering::Relaxed));
        }
        out
    }
}
