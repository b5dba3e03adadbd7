//! Operator commands on a server's store: list revisions, roll back, collect garbage, migrate to
//! another store.
//!
//! `rollback` only moves the `current` pointer (atomically), so it is safe while servers run:
//! they notice the move within `REVISION_POLL_MS`. `gc` deletes, so it takes the data directory's
//! lock and refuses to run beside a server on that directory; with a bucket shared by other
//! servers it also spares blobs younger than `--min-age`, which may belong to a session in
//! progress elsewhere.
//!
//! [`access`]: share links (`share`) and who may read a page (`access check`).

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt, stream};
use vps_core::ContentHash;
use vps_core::job::iso8601;
use vps_core::revision::{Revision, RevisionId};
use vps_store::{Backend, BlobStore, Expect, StoreError, Stores};

pub mod access;

use crate::Settings;
use crate::sessions::{SessionState, Sessions};
use crate::settings::Storage;

/// Why an admin command (`revisions`, `rollback`, `gc`, `migrate-store`, `verify`, `share`,
/// `access check`) failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The revision named does not exist (or is not a revision id); carries what was named.
    #[error("no revision {0}")]
    UnknownRevision(String),
    /// `rollback` without a target, and no revision older than the current one is kept.
    #[error("there is no earlier revision to roll back to")]
    NothingToRollBackTo,
    /// `gc` refuses while a server uses the data directory; carries its address.
    #[error("a server is running on {0}; stop it before collecting garbage")]
    ServerRunning(String),
    /// A store argument that is neither `fs:<dir>` nor `s3://<bucket>[/<prefix>]`; carries it.
    #[error("`{0}` is not a store: write fs:<data directory> or s3://<bucket>[/<prefix>]")]
    BadStoreSpec(String),
    /// `migrate-store` found a source blob whose bytes do not match its hash.
    #[error("the source blob {hash} is corrupt: its bytes hash to {actual}; nothing was copied for it")]
    CorruptBlob {
        /// The hash the blob is stored under.
        hash: ContentHash,
        /// What its bytes hash to.
        actual: ContentHash,
    },
    /// `migrate-store` could not copy a revision: a blob it needs is in neither store.
    #[error("revision {revision} references blob {blob}, which is in neither store; it was not copied")]
    IncompleteRevision {
        /// The revision left uncopied.
        revision: RevisionId,
        /// The blob that is missing.
        blob: ContentHash,
    },
    /// `share` or `access check` was given a route that cannot be one.
    #[error("`{route}` is not a route: {why}")]
    BadRoute {
        /// What was given (its first 80 characters).
        route: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// `access check` names a route the live revision has no page at.
    #[error("no page at {route}: {why}")]
    UnknownRoute {
        /// The route asked for.
        route: String,
        /// What is there instead.
        why: &'static str,
    },
    /// `access check --as` names a reader the settings do not have.
    #[error("no reader `{reader}`: {why}")]
    UnknownReader {
        /// The name given (its first 80 characters).
        reader: String,
        /// Why it is unknown.
        why: &'static str,
    },
    /// `share` found no data directory (a typo would make a key no server knows); carries it.
    #[error("there is no data directory at {}: pass the server's (--data-dir, DATA_DIR or the settings file)", .0.display())]
    NoDataDir(PathBuf),
    /// The access key or the share generation file could not be read or written.
    #[error(transparent)]
    Access(#[from] vps_access::AccessError),
}

/// One line of `vps-publish revisions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionSummary {
    /// The revision (ids sort by creation).
    pub id: RevisionId,
    /// When it was published, ISO 8601 in UTC.
    pub created_at: String,
    /// Pages (routes) it serves.
    pub pages: usize,
    /// Assets it serves.
    pub assets: usize,
    /// Whether it is the live revision (the store's pointer names it).
    pub current: bool,
}

fn open(settings: &Settings) -> Result<Stores, AdminError> {
    Ok(settings.backend().open()?)
}

/// Every revision kept in the store, oldest first.
pub async fn list_revisions(settings: &Settings) -> Result<Vec<RevisionSummary>, AdminError> {
    let revisions = open(settings)?.revisions;
    let current = revisions.current().await?;
    let mut summaries = Vec::new();
    for id in revisions.list().await? {
        let Some(revision) = revisions.load(&id).await? else { continue };
        summaries.push(RevisionSummary {
            current: current.as_ref() == Some(&id),
            created_at: iso8601(revision.created_at_ms),
            pages: revision.pages.len(),
            assets: revision.assets.len(),
            id,
        });
    }
    Ok(summaries)
}

/// Points the site at `target`, or at the revision before the current one.
pub async fn rollback(settings: &Settings, target: Option<&str>) -> Result<RevisionId, AdminError> {
    let revisions = open(settings)?.revisions;
    let id = match target {
        Some(text) => RevisionId::parse(text).map_err(|_| AdminError::UnknownRevision(text.to_owned()))?,
        None => {
            let all = revisions.list().await?;
            let current = revisions.current().await?;
            let before = match &current {
                Some(current) => all.iter().rev().find(|id| *id < current),
                None => all.last(),
            };
            before.cloned().ok_or(AdminError::NothingToRollBackTo)?
        }
    };
    if revisions.load(&id).await?.is_none() {
        return Err(AdminError::UnknownRevision(id.to_string()));
    }
    revisions.set_current(Some(&id), Expect::Anything).await?;
    Ok(id)
}

/// What `gc` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Old revisions deleted (beyond the `keep` most recent and the current one).
    pub revisions_removed: usize,
    /// Blobs deleted: referenced by no kept revision and no open or finishing session, and old enough.
    pub blobs_removed: usize,
    /// Bytes of the deleted blobs.
    pub bytes_freed: u64,
    /// Unreferenced blobs kept because they are younger than `min_age`.
    pub blobs_spared: usize,
    /// Variant records removed: of images no kept revision publishes (their variants go with
    /// the blobs).
    pub variant_records_removed: usize,
}

/// Keeps the current revision and the `keep` newest ones, every blob they or an open session
/// reference (with the variants of the images among them), and every blob younger than `min_age` (default: none on a filesystem, which one
/// server owns; an hour in a bucket, which other servers may be uploading into); removes the rest.
pub async fn gc(settings: &Settings, keep: usize, min_age: Option<Duration>) -> Result<GcReport, AdminError> {
    let data_dir = &settings.data_dir;
    std::fs::create_dir_all(data_dir).map_err(StoreError::io("create directory", data_dir))?;
    let lock_path = data_dir.join(".lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(StoreError::io("open", &lock_path))?;
    lock.try_lock().map_err(|_| AdminError::ServerRunning(data_dir.display().to_string()))?;
    let min_age = min_age.unwrap_or(match settings.store.storage {
        Storage::Fs => Duration::ZERO,
        Storage::S3 => Duration::from_secs(3600),
    });

    let Stores { blobs, revisions } = open(settings)?;
    let current = revisions.current().await?;
    let all = revisions.list().await?;
    let newest: HashSet<&RevisionId> = all.iter().rev().take(keep).collect();
    let mut report = GcReport::default();
    let mut referenced: HashSet<ContentHash> = HashSet::new();
    for id in &all {
        if newest.contains(id) || current.as_ref() == Some(id) {
            if let Some(revision) = revisions.load(id).await? {
                referenced.extend(revision.blobs().copied());
            }
        } else {
            revisions.remove(id).await?;
            report.revisions_removed += 1;
        }
    }
    let sessions = Sessions::open(&data_dir.join("sessions"), &data_dir.join("quarantine"))?;
    for session in sessions.all().await {
        if matches!(session.state, SessionState::Open | SessionState::Finishing) {
            referenced.extend(session.assets.values().map(|asset| asset.sha256));
        }
    }
    let now = SystemTime::now();
    let listed = blobs.list().await?;
    let young = |blob: &vps_store::BlobInfo| {
        blob.modified.and_then(|at| now.duration_since(at).ok()).unwrap_or(Duration::MAX) < min_age
    };
    let spared: HashSet<ContentHash> =
        listed.iter().filter(|blob| !referenced.contains(&blob.hash) && young(blob)).map(|blob| blob.hash).collect();
    // An image kept (or too young to remove) keeps its variants; the record of one that goes is
    // removed first, so that a record never names variants that are gone.
    let mut variants_kept = Vec::new();
    for source in blobs.list_variants().await? {
        if referenced.contains(&source) || spared.contains(&source) {
            if let Some(record) = blobs.read_variants(&source).await? {
                variants_kept.extend(record.variants.iter().map(|variant| variant.sha256));
            }
        } else {
            blobs.remove_variants(&source).await?;
            report.variant_records_removed += 1;
        }
    }
    referenced.extend(variants_kept);
    for blob in listed {
        if referenced.contains(&blob.hash) {
            continue;
        }
        if young(&blob) {
            report.blobs_spared += 1;
            continue;
        }
        blobs.remove(&blob.hash).await?;
        report.bytes_freed += blob.len;
        report.blobs_removed += 1;
    }
    Ok(report)
}

/// The revision the site serves now, if any.
pub async fn current_revision(settings: &Settings) -> Result<Option<Revision>, AdminError> {
    let revisions = open(settings)?.revisions;
    match revisions.current().await? {
        Some(id) => Ok(revisions.load(&id).await?),
        None => Ok(None),
    }
}

/// Reads `fs:<data directory>` or `s3://<bucket>[/<prefix>]`. The bucket's endpoint, region and
/// credentials come from `settings` (`S3_ENDPOINT`, `AWS_ACCESS_KEY_ID`…), as for `serve`.
pub fn parse_store(spec: &str, settings: &Settings) -> Result<Backend, AdminError> {
    if let Some(dir) = spec.strip_prefix("fs:").filter(|dir| !dir.is_empty()) {
        let data_dir = PathBuf::from(dir);
        let tmp = data_dir.join("tmp");
        return Ok(Backend::Fs { data_dir, tmp, batch_bytes: settings.uploads.streaming_chunk_size });
    }
    let Some(rest) = spec.strip_prefix("s3://") else { return Err(AdminError::BadStoreSpec(spec.to_owned())) };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(AdminError::BadStoreSpec(spec.to_owned()));
    }
    let mut settings = settings.clone();
    settings.store.storage = Storage::S3;
    settings.store.s3_bucket = Some(bucket.to_owned());
    settings.store.s3_prefix = prefix.trim_matches('/').to_owned();
    Ok(settings.backend())
}

/// What `migrate-store` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateReport {
    /// Blobs written to the target.
    pub blobs_copied: usize,
    /// Bytes of the blobs written.
    pub bytes_copied: u64,
    /// Blobs the target had already (an earlier, interrupted run; or shared content).
    pub blobs_present: usize,
    /// Revision manifests written to the target.
    pub revisions_copied: usize,
    /// Revision manifests the target had already.
    pub revisions_present: usize,
    /// What the target's pointer names now.
    pub current: Option<RevisionId>,
}

/// Blobs copied at once.
const MIGRATE_CONCURRENCY: usize = 4;

/// Copies every blob, then every revision, then the pointer from `from` to `to`. Each blob is
/// streamed and hashed on its way; one whose bytes do not match its name is not copied (and the
/// migration fails, naming it). Blobs and revisions the target has are skipped, so an interrupted
/// migration resumes where it stopped. A revision is written only after every blob it references
/// is in the target, and the pointer last: the target is a consistent store at every moment.
pub async fn migrate(
    from: &Backend,
    to: &Backend,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<MigrateReport, AdminError> {
    let (source, target) = (from.open()?, to.open()?);
    let mut report = MigrateReport::default();

    let present: HashMap<ContentHash, u64> =
        target.blobs.list().await?.into_iter().map(|blob| (blob.hash, blob.len)).collect();
    let mut missing = Vec::new();
    for blob in source.blobs.list().await? {
        if present.get(&blob.hash) == Some(&blob.len) {
            report.blobs_present += 1;
        } else {
            missing.push(blob);
        }
    }
    progress(&format!(
        "blobs: {} to copy ({} bytes), {} already in {}",
        missing.len(),
        missing.iter().map(|b| b.len).sum::<u64>(),
        report.blobs_present,
        target.blobs.describe()
    ));
    let total = missing.len();
    let mut copied = stream::iter(missing)
        .map(|blob| {
            let (source, target) = (&source.blobs, &target.blobs);
            async move { copy_blob(&**source, &**target, &blob.hash).await.map(|len| (blob.hash, len)) }
        })
        .buffer_unordered(MIGRATE_CONCURRENCY);
    let mut in_target: HashSet<ContentHash> = present.into_keys().collect();
    while let Some((hash, len)) = copied.try_next().await? {
        // A blob removed from the source meanwhile (`gc`) is not copied: a revision that
        // references it stops the migration below.
        let Some(len) = len else { continue };
        in_target.insert(hash);
        report.blobs_copied += 1;
        report.bytes_copied += len;
        if report.blobs_copied % 100 == 0 || report.blobs_copied == total {
            progress(&format!("blobs: {}/{total} copied", report.blobs_copied));
        }
    }
    drop(copied);

    let existing: HashSet<RevisionId> = target.revisions.list().await?.into_iter().collect();
    for id in source.revisions.list().await? {
        if existing.contains(&id) {
            report.revisions_present += 1;
            continue;
        }
        let Some(revision) = source.revisions.load(&id).await? else { continue };
        if let Some(blob) = revision.blobs().find(|blob| !in_target.contains(blob)) {
            return Err(AdminError::IncompleteRevision { revision: id, blob: *blob });
        }
        target.revisions.save(&revision).await?;
        report.revisions_copied += 1;
    }
    report.current = source.revisions.current().await?;
    target.revisions.set_current(report.current.as_ref(), Expect::Anything).await?;
    progress(&format!(
        "revisions: {} copied, {} already there; the pointer names {}",
        report.revisions_copied,
        report.revisions_present,
        report.current.as_ref().map_or_else(|| "no revision".to_owned(), RevisionId::to_string)
    ));
    Ok(report)
}

/// Streams one blob from `source` into `target`, checking its hash; returns its length, or
/// `None` when the source no longer has it.
async fn copy_blob(
    source: &dyn BlobStore,
    target: &dyn BlobStore,
    hash: &ContentHash,
) -> Result<Option<u64>, AdminError> {
    let Some(reader) = source.open(hash).await? else { return Ok(None) };
    let mut bytes = reader.stream(None).await?;
    // Declared: the S3 store writes it straight under its key, and only if the bytes match.
    let mut temp = target.create_temp(Some(*hash)).await?;
    while let Some(chunk) = bytes.try_next().await? {
        temp.write(chunk).await?;
    }
    let sealed = temp.finish().await?;
    if sealed.hash() != hash {
        return Err(AdminError::CorruptBlob { hash: *hash, actual: *sealed.hash() });
    }
    let len = sealed.len();
    sealed.commit().await?;
    Ok(Some(len))
}

// issue 11 — blobs: `vps-publish verify`

/// Blobs read at once by `verify`.
const VERIFY_CONCURRENCY: usize = 4;
/// Uses of one bad blob listed by `verify` (the rest are counted).
const USES_SHOWN: usize = 20;

/// What `verify` found wrong with one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// Its bytes hash to `actual`.
    Corrupt {
        /// The SHA-256 of the bytes the store holds.
        actual: ContentHash,
    },
    /// The store does not have it.
    Missing,
}

/// A blob a kept revision needs that is damaged or missing, and where it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBlob {
    /// The blob, by the hash it is stored under.
    pub hash: ContentHash,
    /// Whether it is corrupt or missing.
    pub damage: Damage,
    /// `r… page /route (HTML)`, `r… asset Attachments/a.png`… (at most `USES_SHOWN`, 20).
    pub uses: Vec<String>,
    /// How many uses there are in all.
    pub use_count: usize,
    /// Moved to the quarantine (`--quarantine`).
    pub quarantined: bool,
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Revisions whose blobs were checked.
    pub revisions: usize,
    /// Blobs read (intact and corrupt ones).
    pub checked: usize,
    /// Bytes read to check them.
    pub bytes: u64,
    /// Corrupt, then missing blobs, each in hash order.
    pub bad: Vec<BadBlob>,
    /// Revisions whose manifest could not be read, with why.
    pub unreadable_revisions: Vec<(RevisionId, String)>,
}

impl VerifyReport {
    /// How many bad blobs are corrupt.
    pub fn corrupt(&self) -> usize {
        self.bad.iter().filter(|bad| matches!(bad.damage, Damage::Corrupt { .. })).count()
    }

    /// How many bad blobs are missing from the store.
    pub fn missing(&self) -> usize {
        self.bad.iter().filter(|bad| bad.damage == Damage::Missing).count()
    }

    /// Whether everything every kept revision needs is there and intact.
    pub fn is_clean(&self) -> bool {
        self.bad.is_empty() && self.unreadable_revisions.is_empty()
    }
}

/// Reads every blob of every kept revision through SHA-256 (streamed, a few at a time) and
/// reports the ones whose bytes do not match their hash and the ones missing, with the
/// revisions, routes and paths that use them. With `quarantine`, corrupt blobs are moved out of
/// the store ([`BlobStore::quarantine`]): a server then answers 5xx or 404 for them instead of
/// serving damaged bytes, and the next upload of the right bytes stores them again. Read-only
/// otherwise, so safe beside running servers.
pub async fn verify(settings: &Settings, quarantine: bool) -> Result<VerifyReport, AdminError> {
    let Stores { blobs, revisions } = open(settings)?;
    let mut report = VerifyReport::default();
    let ids = revisions.list().await?;
    let mut needed: HashSet<ContentHash> = HashSet::new();
    for id in &ids {
        match revisions.load(id).await {
            Ok(Some(revision)) => needed.extend(revision.blobs().copied()),
            Ok(None) => {}
            Err(error @ StoreError::Corrupt { .. }) => {
                report.unreadable_revisions.push((id.clone(), error.to_string()))
            }
            Err(error) => return Err(error.into()),
        }
        report.revisions += 1;
    }
    let mut needed: Vec<ContentHash> = needed.into_iter().collect();
    needed.sort();

    let store = &*blobs;
    let mut checks = stream::iter(needed)
        .map(|hash| async move { vps_store::verify::check_blob(store, &hash).await.map(|check| (hash, check)) })
        .buffered(VERIFY_CONCURRENCY);
    let mut bad = Vec::new();
    while let Some((hash, check)) = checks.try_next().await? {
        let damage = match check {
            vps_store::verify::Check::Intact { len } => {
                report.checked += 1;
                report.bytes += len;
                continue;
            }
            vps_store::verify::Check::Corrupt { len, actual } => {
                report.checked += 1;
                report.bytes += len;
                Damage::Corrupt { actual }
            }
            vps_store::verify::Check::Missing => Damage::Missing,
        };
        bad.push(BadBlob { hash, damage, uses: Vec::new(), use_count: 0, quarantined: false });
    }
    drop(checks);
    if bad.is_empty() {
        return Ok(report);
    }

    // Where the bad ones are used: a second pass, so that only they cost memory.
    let index: HashMap<ContentHash, usize> = bad.iter().enumerate().map(|(i, blob)| (blob.hash, i)).collect();
    for id in &ids {
        let Ok(Some(revision)) = revisions.load(id).await else { continue };
        for (hash, what) in blob_uses(&revision) {
            if let Some(&i) = index.get(hash) {
                let entry = &mut bad[i];
                entry.use_count += 1;
                if entry.uses.len() < USES_SHOWN {
                    entry.uses.push(format!("{id} {what}"));
                }
            }
        }
    }
    if quarantine {
        for entry in bad.iter_mut().filter(|bad| matches!(bad.damage, Damage::Corrupt { .. })) {
            entry.quarantined = blobs.quarantine(&entry.hash).await?;
        }
    }
    bad.sort_by_key(|entry| (entry.damage == Damage::Missing, entry.hash));
    report.bad = bad;
    Ok(report)
}

/// Every blob a revision uses, with what it is for, in words.
fn blob_uses(revision: &Revision) -> impl Iterator<Item = (&ContentHash, String)> {
    let pages = revision.pages.iter().flat_map(|(route, page)| {
        [
            (&page.html_blob, format!("page {route} (HTML)")),
            (&page.source_blob, format!("page {route} (source of {})", page.vault_path)),
        ]
    });
    let assets = revision.assets.iter().map(|(path, asset)| (&asset.sha256, format!("asset {path}")));
    let documents = revision.generated.iter().map(|(route, document)| (&document.blob, format!("document {route}")));
    let model = revision.site_blob.iter().map(|blob| (blob, "site model".to_owned()));
    pages.chain(assets).chain(documents).chain(model)
}
