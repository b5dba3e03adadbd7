//! Where vps-publish keeps bytes: on a filesystem (the default) or in S3-compatible object
//! storage. Two traits are the seam the server sees; each has both implementations.
//!
//! - [`BlobStore`]: the content-addressed blob store. A blob is immutable and named by its
//!   SHA-256: `blobs/sha256/ab/cd/abcd…` (a path under the data directory, or a key in the bucket).
//!   Uploads stream in through a [`TempBlob`], hashed in the same pass as they are written (to a
//!   temp file, or as an S3 multipart upload); dropped before it is committed, a temp blob leaves
//!   nothing behind. `temp` knows no backend: it batches, hashes and checks the declared hash,
//!   and hands the batches to a sink — the file writer of `fs`, the multipart upload of `s3`.
//! - [`RevisionStore`]: the immutable manifests of published sites and the `current` pointer,
//!   the one mutable thing, moved in one step (rename; or a conditional PUT).
//! - Variant records ([`BlobStore::read_variants`]): one small JSON file per source image,
//!   naming the variant blobs made of it ([`vps_core::image::VariantRecord`]); written once.
//! - [`durable`]: write-temp → fsync → rename → fsync-dir, for the few small mutable files.
//! - [`verify`]: whether a blob's bytes still hash to its name, for a whole blob or while it
//!   streams out; a damaged blob can be moved aside ([`BlobStore::quarantine`]).
//!
//! [`Backend::open`] gives both for a configuration.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vps_store::StoreError> {
//! use bytes::Bytes;
//! use vps_store::{BlobStore, FsStore, Stored};
//!
//! let store = FsStore::open("data/blobs".as_ref(), "data/tmp".as_ref())?;
//! let mut temp = store.create_temp(None).await?;
//! temp.write(Bytes::from_static(b"hello")).await?;
//! let sealed = temp.finish().await?; // hashed as it was written
//! println!("sha256 {}", sealed.hash());
//! let stored: Stored = sealed.commit().await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod durable;
mod error;
mod fs;
mod reader;
mod revisions;
mod s3;
mod temp;
pub mod verify;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use vps_core::ContentHash;
use vps_core::image::VariantRecord;
use vps_core::revision::{Revision, RevisionId};

pub use error::StoreError;
pub use fs::{FsStore, remove_stale_temp_files};
pub use reader::{BlobReader, ByteStream};
pub use revisions::FsRevisions;
pub use s3::{MIN_PART_BYTES, S3Config, S3Store};
pub use temp::{DEFAULT_BATCH_BYTES, SealedBlob, TempBlob};

/// Where variant records are: `variants/<ab>/<hex>.json` under the blobs directory,
/// `variants/<hex>.json` under the bucket's prefix ([`BlobStore::read_variants`]).
pub const VARIANTS: &str = "variants";

/// Where corrupt blobs go: a directory beside `blobs` in the data directory, a key prefix beside
/// `blobs/` in the bucket.
pub const QUARANTINE: &str = "quarantine";

/// What committing a blob did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The bytes were new and are now stored.
    Created,
    /// A blob with this hash was already stored; the new copy was dropped.
    AlreadyPresent,
}

/// A stored blob, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// The SHA-256 the blob is stored under (its name, not re-verified by listing).
    pub hash: ContentHash,
    /// Its size in bytes.
    pub len: u64,
    /// When it was stored, where the store knows.
    pub modified: Option<SystemTime>,
}

/// The content-addressed blob store. Methods return boxed futures so that the server can hold
/// either implementation behind one `Arc<dyn BlobStore>`.
pub trait BlobStore: Send + Sync + fmt::Debug + 'static {
    /// Where the blobs are, for logs and `--print-config` (never a secret).
    fn describe(&self) -> String;

    /// Starts an upload: bytes handed to the [`TempBlob`] are hashed and stored as they arrive.
    /// `declared` is the SHA-256 the client says they have, if it said: the S3 store then streams
    /// them straight to that blob's key, as a multipart upload completed only at the commit (no
    /// temp object, no copy), and any store's commit refuses bytes whose hash differs.
    fn create_temp(&self, declared: Option<ContentHash>) -> BoxFuture<'_, Result<TempBlob, StoreError>>;

    /// The length of a stored blob, or `None` when it is not stored.
    fn len<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<u64>, StoreError>>;

    /// Opens a stored blob for reading, or `None` when it is not stored.
    fn open<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<BlobReader>, StoreError>>;

    /// Stores a small blob held in memory (a page's HTML, a note's source), unless present.
    fn put_bytes(&self, bytes: Bytes) -> BoxFuture<'_, Result<(ContentHash, Stored), StoreError>>;

    /// Reads a whole blob into memory: only for small blobs (note sources, site models).
    fn read_bytes<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>>;

    /// Every stored blob (for garbage collection and migration).
    fn list(&self) -> BoxFuture<'_, Result<Vec<BlobInfo>, StoreError>>;

    /// Deletes a blob (garbage collection only: blobs are otherwise immutable).
    fn remove<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Moves a blob whose bytes do not match its hash out of the store, kept for inspection
    /// under [`QUARANTINE`] (`<data>/quarantine/<hex>`, or the key `quarantine/<hex>` in the
    /// bucket; a later quarantine of the same hash replaces it). Afterwards the store does not
    /// have the blob, so an upload of the right bytes stores it again. Answers `false` when the
    /// blob was not there.
    fn quarantine<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Removes what interrupted uploads left behind (temp files, temp objects older than an
    /// hour — younger ones may belong to another replica's upload in progress); returns how
    /// many. Call it before serving.
    fn remove_stale_temps(&self) -> BoxFuture<'_, Result<usize, StoreError>>;

    /// A cheap request that fails when the store cannot be reached (for `/health`).
    fn check(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// The variant record of a source image ([`VARIANTS`]), or `None` when none was written; a
    /// stored one that does not parse is [`StoreError::Corrupt`].
    fn read_variants<'a>(&'a self, source: &'a ContentHash)
    -> BoxFuture<'a, Result<Option<VariantRecord>, StoreError>>;

    /// Writes a source's variant record, durably, unless one is there ([`Stored::AlreadyPresent`]:
    /// a record is written once; two servers making the same variants write equal records).
    /// Write it after every variant it lists is stored: a record means its variants exist.
    fn write_variants<'a>(&'a self, record: &'a VariantRecord) -> BoxFuture<'a, Result<Stored, StoreError>>;

    /// The sources that have a variant record (for garbage collection).
    fn list_variants(&self) -> BoxFuture<'_, Result<Vec<ContentHash>, StoreError>>;

    /// Deletes a source's variant record (garbage collection only; its variant blobs are removed
    /// as blobs); removing one that is not there succeeds.
    fn remove_variants<'a>(&'a self, source: &'a ContentHash) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// What [`RevisionStore::set_current`] expects the pointer to name before it moves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Move it whatever it names (an operator's rollback).
    Anything,
    /// Move it only if it still names this revision (or nothing): publishing on top of the
    /// revision the new one was built from.
    Current(Option<RevisionId>),
}

/// Revisions (`revisions/<id>.json`, immutable once written) and the `current` pointer.
pub trait RevisionStore: Send + Sync + fmt::Debug + 'static {
    /// Writes a revision under its id, durably; it does not become live until
    /// [`set_current`](Self::set_current) names it.
    fn save<'a>(&'a self, revision: &'a Revision) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Reads a stored revision, or `None` when there is none with this id; a stored one that does
    /// not parse is [`StoreError::Corrupt`].
    fn load<'a>(&'a self, id: &'a RevisionId) -> BoxFuture<'a, Result<Option<Revision>, StoreError>>;

    /// Every stored revision's id, oldest first.
    fn list(&self) -> BoxFuture<'_, Result<Vec<RevisionId>, StoreError>>;

    /// The live revision's id, if anything is published.
    fn current(&self) -> BoxFuture<'_, Result<Option<RevisionId>, StoreError>>;

    /// Points the site at a saved revision (or at nothing): the one step readers see. With
    /// [`Expect::Current`], fails with [`StoreError::PointerMoved`] when the pointer names
    /// another revision — with a conditional write where the store supports one, so that two
    /// servers publishing at the same moment cannot both win.
    fn set_current<'a>(&'a self, id: Option<&'a RevisionId>, expect: Expect) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Deletes a stored revision (pruning old ones); removing one that is not there succeeds.
    fn remove<'a>(&'a self, id: &'a RevisionId) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// Where a server keeps its blobs and revisions.
#[derive(Debug, Clone)]
pub enum Backend {
    /// `<data>/blobs`, `<data>/revisions`, `<data>/current`; uploads stream through `tmp`, in
    /// batches of `batch_bytes` (one `writev` each).
    Fs {
        /// The data directory holding `blobs`, `revisions` and `current`.
        data_dir: PathBuf,
        /// Where uploads are written before they are committed (same filesystem as `data_dir`,
        /// so that committing is a rename).
        tmp: PathBuf,
        /// Bytes gathered per write batch (at least 4096).
        batch_bytes: usize,
    },
    /// One bucket (and key prefix) of S3-compatible storage.
    S3(S3Config),
}

/// A backend, opened.
#[derive(Debug, Clone)]
pub struct Stores {
    /// The content-addressed blob store.
    pub blobs: Arc<dyn BlobStore>,
    /// The revisions and the `current` pointer (on S3, the same store as `blobs`).
    pub revisions: Arc<dyn RevisionStore>,
}

impl Backend {
    /// Opens the blob and revision stores (creating directories; an S3 bucket must exist).
    pub fn open(&self) -> Result<Stores, StoreError> {
        match self {
            Backend::Fs { data_dir, tmp, batch_bytes } => Ok(Stores {
                blobs: Arc::new(FsStore::open(&data_dir.join("blobs"), tmp)?.with_batch_bytes(*batch_bytes)),
                revisions: Arc::new(FsRevisions::open(data_dir)?),
            }),
            Backend::S3(config) => {
                let store = Arc::new(S3Store::open(config)?);
                Ok(Stores { blobs: store.clone(), revisions: store })
            }
        }
    }
}

/// The key (or path below the store's root) of a blob: `blobs/sha256/ab/cd/<hex>`.
pub(crate) fn blob_key(hash: &ContentHash) -> String {
    let hex = hash.to_hex();
    format!("sha256/{}/{}/{hex}", &hex[0..2], &hex[2..4])
}

/// Parses a stored variant record, checking that it is the record of `source`.
pub(crate) fn decode_variants(
    bytes: &[u8],
    source: &ContentHash,
    what: impl fmt::Display,
) -> Result<VariantRecord, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt { what: format!("variant record {what}"), why };
    let record: VariantRecord = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if record.source != *source {
        return Err(corrupt(format!("it is the record of {}", record.source)));
    }
    Ok(record)
}

/// Runs blocking file I/O off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| StoreError::WriterGone { path: PathBuf::from("blocking task") })?
}
