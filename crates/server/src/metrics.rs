//! Counters of what the server did, served as Prometheus text at `/metrics`. Counts only: no
//! names, paths or contents.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use vps_scan::ScanStats;

#[derive(Default)]
pub(crate) struct Metrics {
    pub upload_bytes: AtomicU64,
    pub files_stored: AtomicU64,
    pub files_deduplicated: AtomicU64,
    pub files_rejected: AtomicU64,
    pub files_linked: AtomicU64,
    pub notes_received: AtomicU64,
    pub publishes_completed: AtomicU64,
    pub publishes_failed: AtomicU64,
    // issue 11 — http
    /// Connections open now (a gauge).
    pub open_connections: AtomicU64,
    /// The cap on open connections in effect (a gauge; see `serve`).
    pub connection_limit: AtomicU64,
    /// Connections closed to make room at the cap while they were between requests.
    pub connections_shed: AtomicU64,
    // issue 14 — serving
    /// Blob reads of the reader's side answered from the memory cache.
    pub blob_cache_hits: AtomicU64,
    /// Blob reads of the reader's side the memory cache could not answer.
    pub blob_cache_misses: AtomicU64,
    /// Bytes in the memory cache (a gauge, set as it changes).
    pub blob_cache_bytes: AtomicU64,
    /// Opens and reads of the reader's side that reached the blob store.
    pub store_blob_reads: AtomicU64,
    /// Responses compressed at request time (dynamic ones only: stored documents never are).
    pub request_compressions: AtomicU64,
    /// Readers' logins that succeeded.
    pub logins: AtomicU64,
    /// Logins refused for a wrong name or password.
    pub login_failures: AtomicU64,
    /// Logins refused without a check: too many failures (per address or in all), or too many
    /// checks at once.
    pub login_rate_limited: AtomicU64,
    /// Logouts.
    pub logouts: AtomicU64,
    /// Requests for a protected page or folder answered with the login page (401).
    pub access_denied: AtomicU64,
    // issue 17 — image variants
    /// Variants made and stored (each width of each image).
    pub image_variants_made: AtomicU64,
    /// Per variant made: the original's bytes minus the variant's, floored at 0.
    pub image_variant_bytes_saved: AtomicU64,
    /// Sources waiting for their variants (a gauge, set when the metrics are read).
    pub image_variant_queue: AtomicU64,
    /// Images refused variants, by the refusal's code.
    pub image_refusals: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts an image refused variants, under its code.
    pub(crate) fn count_image_refusal(&self, code: vps_core::ErrorCode) {
        *self.image_refusals.lock().expect("metrics lock").entry(code.as_str()).or_default() += 1;
    }

    /// The Prometheus text exposition format, with the virus scanner's counters when it is on.
    pub(crate) fn render(&self, scans: Option<ScanStats>) -> String {
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
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        for (name, help, value) in counters {
            counter(name, help, value.load(Ordering::Relaxed));
        }
        // issue 11 — http
        counter(
            "vps_connections_shed_total",
            "Connections closed at the cap while they were still sending request headers or idle.",
            self.connections_shed.load(Ordering::Relaxed),
        );
        // issue 14 — serving
        for (name, help, value) in [
            ("vps_blob_cache_hits_total", "Blob reads served from the memory cache.", &self.blob_cache_hits),
            ("vps_blob_cache_misses_total", "Blob reads the memory cache could not answer.", &self.blob_cache_misses),
            (
                "vps_store_blob_reads_total",
                "Blob opens and reads of the reader's side that reached the store.",
                &self.store_blob_reads,
            ),
            (
                "vps_request_compressions_total",
                "Responses compressed at request time (never a stored page, document or asset).",
                &self.request_compressions,
            ),
        ] {
            counter(name, help, value.load(Ordering::Relaxed));
        }
        // issue 15 — access control
        for (name, help, value) in [
            ("vps_logins_total", "Readers' logins that succeeded.", &self.logins),
            ("vps_login_failures_total", "Logins refused for a wrong name or password.", &self.login_failures),
            (
                "vps_login_rate_limited_total",
                "Logins refused unchecked (429): too many failures, or too many checks at once.",
                &self.login_rate_limited,
            ),
            ("vps_logouts_total", "Readers' logouts.", &self.logouts),
            (
                "vps_access_denied_total",
                "Requests for a protected page or folder answered with the login page (401).",
                &self.access_denied,
            ),
        ] {
            counter(name, help, value.load(Ordering::Relaxed));
        }
        // issue 17 — image variants
        for (name, help, value) in [
            ("vps_image_variants_made_total", "Image variants made and stored.", &self.image_variants_made),
            (
                "vps_image_variant_bytes_saved_total",
                "Per variant made, the original's bytes minus the variant's (at least 0).",
                &self.image_variant_bytes_saved,
            ),
        ] {
            counter(name, help, value.load(Ordering::Relaxed));
        }
        if let Some(scans) = scans {
            counter("vps_scans_total", "Files streamed to the virus scanner.", scans.scans);
            counter("vps_scan_detections_total", "Files in which the scanner found a virus.", scans.infected);
            counter("vps_scan_failures_total", "Scans that failed (unreachable, timeout, protocol).", scans.failed);
            counter("vps_scan_too_large_total", "Files refused for exceeding the scan limit.", scans.too_large);
            counter("vps_scan_milliseconds_total", "Time spent scanning.", scans.scan_time_ms);
            counter("vps_scan_bytes_total", "Bytes sent to the virus scanner.", scans.bytes_scanned);
        }
        // issue 11 — http
        for (name, help, value) in [
            ("vps_open_connections", "HTTP connections open now.", &self.open_connections),
            ("vps_connection_limit", "The cap on open HTTP connections in effect.", &self.connection_limit),
            ("vps_blob_cache_bytes", "Bytes held by the memory cache of blobs.", &self.blob_cache_bytes),
            ("vps_image_variant_queue", "Images waiting for their variants to be made.", &self.image_variant_queue),
        ] {
            let value = value.load(Ordering::Relaxed);
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        {
            let name = "vps_image_decode_refusals_total";
            let _ = writeln!(
                out,
                "# HELP {name} Images given no variants (served as uploaded), by reason.\n# TYPE {name} counter"
            );
            for (reason, count) in self.image_refusals.lock().expect("metrics lock").iter() {
                let _ = writeln!(out, "{name}{{reason=\"{reason}\"}} {count}");
            }
        }
        out
    }
}
