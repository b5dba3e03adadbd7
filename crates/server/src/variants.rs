//! Making image variants, after a publish and off the request path: whenever a revision goes
//! live (a publish, a rollback, another replica's publish seen through the pointer watch, and at
//! start), every image of it that gets variants ([`vps_core::image::ImageMeta::variants`]) and has
//! no known [variant record](vps_core::image::VariantRecord) is queued; `IMAGE_WORKERS` workers
//! make them ([`vps_media::make_variants`] on a blocking thread), store each variant as a blob,
//! then write the record — last, so that a record means its variants exist. A publish never waits
//! for any of it: until a record exists, `/_img/` redirects to the original
//! (`routes::variant`).
//!
//! - **Made once.** The record is in the store, keyed by the source's hash: the same image in two
//!   revisions, or on two servers sharing a bucket, is decoded once. A worker reads the record
//!   before it decodes (another replica may have written it).
//! - **Refusals are values.** An image over the limits, undecodable or animated gets a record
//!   with `refused` (its code), logged once (when the record is written), counted in
//!   `vps_image_decode_refusals_total{reason}`, and is served as uploaded.
//! - **A crash is never repeated.** Before decoding, a worker writes the marker
//!   `<data_dir>/variants-inflight/<sha256>` (durably), and removes it once the record is written
//!   — or when it stops short (a store error, the server stopping on purpose: the image is tried
//!   again later). A marker found at start means the process died decoding that image: it gets a refused
//!   record `image-crashed` and is never decoded again. A panic of the decoder is the same.
//! - **Bounded queue.** At most `IMAGE_QUEUE_MAX` sources wait (deduplicated); what overflows is
//!   dropped with a log line and queued again the next time a revision goes live.
//! - **Memory.** Per worker, at most one image's: `S + D + v × (b + c + 6)` as `vps_media`
//!   states it — `S` the source's bytes (≤ `IMAGE_MAX_SOURCE_BYTES`; a larger file is refused
//!   from the size its revision records, unread), `D` its decoded pixels (≤
//!   `IMAGE_MAX_DECODE_BYTES`, checked from the header before anything is allocated, and by the
//!   decoder), and the widest variant's pixels `v` (≤ `IMAGE_MAX_PIXELS`) times the bytes a
//!   pixel of the resized copy, its RGB(A) copy and libwebp's buffers take (at most 22). In all,
//!   `IMAGE_WORKERS` × (`IMAGE_MAX_SOURCE_BYTES` + `IMAGE_MAX_DECODE_BYTES` + the largest
//!   variant's working memory): with the defaults (1 worker; 64 MiB, 128 MiB, and at most a
//!   1600-px-wide variant of a 40 MP image) under 750 MiB for the worst image the limits admit;
//!   the 2400 × 1600 screenshot of the tests costs about 25 MB above the server's own. The
//!   encoded variants of one image are held until stored (smaller than their pixels). Plus
//!   the record cache: [`RECORD_CACHE_ENTRIES`] records of a few hundred bytes each.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::Notify;
use vps_core::image::{Variant, VariantRecord, variant_widths};
use vps_core::{ContentHash, ErrorCode};
use vps_store::{BlobStore, StoreError, durable};

use crate::metrics::Metrics;
use crate::settings::Images;
use crate::site::Live;
use crate::state::AppState;

/// Records kept in memory, so that a hot `/_img/` URL costs no store read.
pub(crate) const RECORD_CACHE_ENTRIES: usize = 16_384;

/// The directory of crash markers, in the data directory (local whatever the store: a marker
/// is about this process).
pub(crate) const INFLIGHT_DIR: &str = "variants-inflight";

/// One source to make variants of.
#[derive(Debug, Clone)]
struct Job {
    source: ContentHash,
    /// The asset's path in the revision that queued it (for the logs).
    path: String,
    /// Its size as the revision records it (so that an oversized file is refused unread).
    size: u64,
    /// The widths to make (narrower than the image).
    widths: Vec<u32>,
    /// The build's look at its header already said no variants will be made (too many pixels,
    /// animated…): only the head is read, and `make_variants` refuses it from there, so that the
    /// refusal is recorded, logged once and counted with its reason without reading the file.
    refused_by_header: bool,
}

#[derive(Default)]
struct Waiting {
    jobs: VecDeque<Job>,
    /// Queued or being made: a source is queued once.
    sources: HashSet<ContentHash>,
}

/// The queue, the workers' settings and the record cache. One per server.
pub(crate) struct Variants {
    settings: Images,
    inflight: PathBuf,
    records: quick_cache::sync::Cache<ContentHash, Arc<VariantRecord>>,
    waiting: Mutex<Waiting>,
    wake: Notify,
}

impl Variants {
    pub(crate) fn new(settings: Images, data_dir: &Path) -> Self {
        Self {
            settings,
            inflight: data_dir.join(INFLIGHT_DIR),
            records: quick_cache::sync::Cache::new(RECORD_CACHE_ENTRIES),
            waiting: Mutex::default(),
            wake: Notify::new(),
        }
    }

    /// The widths pages offer (none when variants are off).
    pub(crate) fn widths(&self) -> Vec<u32> {
        self.settings.widths()
    }

    /// The record of `source`: from memory, else from the store (then remembered). `None` until
    /// its variants are made.
    pub(crate) async fn record(
        &self,
        store: &dyn BlobStore,
        source: &ContentHash,
    ) -> Result<Option<Arc<VariantRecord>>, StoreError> {
        if let Some(record) = self.records.get(source) {
            return Ok(Some(record));
        }
        let record = store.read_variants(source).await?.map(Arc::new);
        if let Some(record) = &record {
            self.records.insert(*source, record.clone());
        }
        Ok(record)
    }

    /// Queues every image of `live` that gets variants and whose record is not known. Called
    /// whenever a revision goes live; cheap when everything is made (a map lookup per image).
    pub(crate) fn revision_live(&self, live: &Live) {
        let widths = self.settings.widths();
        if widths.is_empty() {
            return;
        }
        let mut dropped = 0usize;
        {
            let mut waiting = self.waiting.lock().expect("variants queue");
            for (path, asset) in &live.revision.assets {
                let Some(meta) = live.revision.images.get(&asset.sha256) else {
                    continue;
                };
                // An image whose header could not be read is refused from its head as well.
                let widths = if meta.width == 0 { widths.clone() } else { variant_widths(meta.width, &widths) };
                if widths.is_empty()
                    || self.records.get(&asset.sha256).is_some()
                    || waiting.sources.contains(&asset.sha256)
                {
                    continue;
                }
                if waiting.jobs.len() >= self.settings.image_queue_max {
                    dropped += 1;
                    continue;
                }
                waiting.sources.insert(asset.sha256);
                let refused_by_header = !meta.variants;
                let job =
                    Job { source: asset.sha256, path: path.to_string(), size: asset.size, widths, refused_by_header };
                waiting.jobs.push_back(job);
            }
        }
        if dropped > 0 {
            tracing::warn!(
                dropped,
                queue_max = self.settings.image_queue_max,
                "the image variant queue is full (IMAGE_QUEUE_MAX); the rest are queued the next time a revision goes live"
            );
        }
        self.wake.notify_waiters();
    }

    /// The next job, waiting for one.
    async fn next(&self) -> Job {
        loop {
            let notified = self.wake.notified();
            {
                let mut waiting = self.waiting.lock().expect("variants queue");
                if let Some(job) = waiting.jobs.pop_front() {
                    return job;
                }
            }
            notified.await;
        }
    }

    /// Sources waiting (the `vps_image_variant_queue` gauge).
    pub(crate) fn queued(&self) -> usize {
        self.waiting.lock().expect("variants queue").jobs.len()
    }

    fn done(&self, source: &ContentHash) {
        self.waiting.lock().expect("variants queue").sources.remove(source);
    }

    fn marker(&self, source: &ContentHash) -> PathBuf {
        self.inflight.join(source.to_hex())
    }
}

/// The workers, over the server's state (its store, [`Variants`] and metrics).
#[derive(Clone)]
pub(crate) struct Workers(pub AppState);

impl Workers {
    /// Turns the crash markers a previous run left into `image-crashed` records, then runs
    /// `IMAGE_WORKERS` workers for as long as the server runs. Nothing at all when variants
    /// are off.
    pub(crate) async fn run(self) {
        if !self.0.variants.settings.image_variants {
            return;
        }
        if let Err(error) = self.recover_crashes().await {
            tracing::error!(error = %vps_core::error_chain::chain(&error, ": "), "cannot read the image variant crash markers");
        }
        let variants = self.0.variants.clone();
        self.0.site.on_live(move |live| variants.revision_live(live));
        let workers: Vec<_> = (0..self.0.variants.settings.image_workers.max(1))
            .map(|_| {
                let workers = self.clone();
                tokio::spawn(async move { workers.work().await })
            })
            .collect();
        // Aborting this task (at shutdown) aborts the workers with it.
        struct AbortAll(Vec<tokio::task::JoinHandle<()>>);
        impl Drop for AbortAll {
            fn drop(&mut self) {
                self.0.iter().for_each(tokio::task::JoinHandle::abort);
            }
        }
        let _workers = AbortAll(workers);
        std::future::pending::<()>().await;
    }

    async fn recover_crashes(&self) -> Result<(), StoreError> {
        let dir = self.0.variants.inflight.clone();
        let markers: Vec<ContentHash> = tokio::task::spawn_blocking(move || match std::fs::read_dir(&dir) {
            Ok(entries) => Ok(entries
                .filter_map(|entry| ContentHash::parse(&entry.ok()?.file_name().to_string_lossy()).ok())
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(StoreError::io("list", dir)(e)),
        })
        .await
        .map_err(|_| StoreError::WriterGone { path: INFLIGHT_DIR.into() })??;
        for source in markers {
            tracing::error!(%source, "the server stopped while making variants of this image; it will not be decoded again (image-crashed)");
            let record = VariantRecord { source, variants: Vec::new(), refused: Some(ErrorCode::ImageCrashed) };
            self.finish(record).await?;
        }
        Ok(())
    }

    async fn work(&self) {
        let decoder = match Decoder::start() {
            Ok(decoder) => decoder,
            Err(error) => {
                tracing::error!(%error, "cannot start an image variant thread; no variants are made by this worker");
                return;
            }
        };
        loop {
            let job = self.0.variants.next().await;
            let source = job.source;
            if let Err(error) = self.make(&decoder, job).await {
                tracing::warn!(%source, error = %vps_core::error_chain::chain(&error, ": "), "could not make an image's variants; tried again when a revision next goes live");
            }
            self.0.variants.done(&source);
        }
    }

    /// Makes one source's variants, unless its record exists.
    #[tracing::instrument(level = "debug", skip_all, fields(source = %job.source, path = %job.path))]
    async fn make(&self, decoder: &Decoder, job: Job) -> Result<(), StoreError> {
        if self.0.variants.record(&*self.0.store, &job.source).await?.is_some() {
            return Ok(()); // made by another replica, or before a restart
        }
        let settings = &self.0.variants.settings;
        let limits = settings.limits();
        if job.refused_by_header {
            let Some(mut reader) = self.0.store.open(&job.source).await? else { return Ok(()) };
            let head = reader.head(vps_media::PROBE_BYTES).await?;
            let refusal = vps_media::make_variants(&head, &job.widths, 1.0, &limits)
                .err()
                .unwrap_or(vps_media::Refusal::Undecodable("its header could not be read".to_owned()));
            return self.refuse(&job, refusal.code(), &refusal.to_string()).await;
        }
        if job.size > limits.max_source_bytes {
            let refusal = vps_media::Refusal::TooLarge { size: job.size, limit: limits.max_source_bytes };
            return self.refuse(&job, refusal.code(), &refusal.to_string()).await;
        }
        let Some(bytes) = self.0.store.read_bytes(&job.source).await? else {
            tracing::warn!(source = %job.source, path = %job.path, "an image of the live revision is not in the store; no variants");
            return Ok(());
        };
        let source_len = bytes.len() as u64;
        let inflight = self.0.variants.inflight.clone();
        let name = job.source.to_hex();
        blocking(move || durable::write_file_in(&inflight, &name, b"", 0o644)).await?;
        // Left only if the process dies while decoding: any return, an error or the task's abort
        // at shutdown removes it.
        let _marker = Marker(self.0.variants.marker(&job.source));
        let (widths, quality) = (job.widths.clone(), f32::from(settings.image_variant_quality));
        let made = decoder
            .run(move || {
                let made = vps_media::make_variants(&bytes, &widths, quality, &limits);
                drop(bytes);
                give_back_freed_memory();
                made
            })
            .await;
        let made = match made {
            Ok(Ok(made)) => made,
            Ok(Err(refusal)) => return self.refuse(&job, refusal.code(), &refusal.to_string()).await,
            Err(_) => return self.refuse(&job, ErrorCode::ImageCrashed, "the decoder panicked").await,
        };
        let mut variants = Vec::with_capacity(made.len());
        for variant in made {
            let size = variant.bytes.len() as u64;
            let (sha256, _) = self.0.store.put_bytes(Bytes::from(variant.bytes)).await?;
            variants.push(Variant {
                width: variant.width,
                height: variant.height,
                format: variant.format,
                sha256,
                size,
            });
        }
        let count = variants.len() as u64;
        let saved: u64 = variants.iter().map(|variant| source_len.saturating_sub(variant.size)).sum();
        let record = VariantRecord { source: job.source, variants, refused: None };
        if self.finish(record).await? {
            Metrics::add(&self.0.metrics.image_variants_made, count);
            Metrics::add(&self.0.metrics.image_variant_bytes_saved, saved);
            tracing::info!(source = %job.source, path = %job.path, variants = count, "made an image's variants");
        }
        Ok(())
    }

    /// Writes a refused record, logs the refusal (once: when the record is written) and counts it.
    async fn refuse(&self, job: &Job, code: ErrorCode, why: &str) -> Result<(), StoreError> {
        let record = VariantRecord { source: job.source, variants: Vec::new(), refused: Some(code) };
        if self.finish(record).await? {
            tracing::warn!(source = %job.source, path = %job.path, code = code.as_str(), reason = why, "no variants for this image: it is served as uploaded");
        }
        Ok(())
    }

    /// Writes the record (unless one is there), remembers it, then removes the source's crash
    /// marker (the record settles it); answers whether the record was written.
    async fn finish(&self, record: VariantRecord) -> Result<bool, StoreError> {
        let stored = self.0.store.write_variants(&record).await?;
        let written = stored == vps_store::Stored::Created;
        if written && let Some(code) = record.refused {
            self.0.metrics.count_image_refusal(code);
        }
        let source = record.source;
        self.0.variants.records.insert(source, Arc::new(record));
        remove_marker(self.0.variants.marker(&source)).await?;
        Ok(written)
    }
}

/// A worker's own thread, where every image it makes is decoded and encoded. Not the blocking
/// pool: glibc gives each thread an arena of its own that keeps what was freed in it, so images
/// decoded on whichever pool thread is free leave tens of MB behind in each of them (measured
/// with the help vault: a peak RSS of 425 MiB over the pool, 165 MiB on one thread, against
/// 99 MiB without variants). Ends when the worker (its sender) is dropped.
struct Decoder {
    tasks: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

impl Decoder {
    fn start() -> std::io::Result<Decoder> {
        let (tasks, receive) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        std::thread::Builder::new().name("image-variants".into()).spawn(move || {
            while let Ok(task) = receive.recv() {
                task();
            }
        })?;
        Ok(Decoder { tasks })
    }

    /// Runs `work` on the thread and waits for it; `Err` when it panicked (or the thread is gone).
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, ()> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let task = move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = answer.send(outcome);
        };
        self.tasks.send(Box::new(task)).map_err(drop)?;
        match answered.await {
            Ok(Ok(value)) => Ok(value),
            _ => Err(()),
        }
    }
}

/// Returns the memory an image's decoding freed to the system, so that a server at rest after
/// making variants holds no more than before.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages of the allocator's arenas to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A crash marker, removed when dropped: what outlives the process is a marker of a crash.
struct Marker(PathBuf);

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn remove_marker(marker: PathBuf) -> Result<(), StoreError> {
    blocking(move || match std::fs::remove_file(&marker) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::io("remove", marker)(e)),
        _ => {
            if let Some(dir) = marker.parent() {
                durable::sync_dir(dir)?;
            }
            Ok(())
        }
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| StoreError::WriterGone { path: INFLIGHT_DIR.into() })?
}
