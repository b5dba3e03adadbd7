//! Where vps-publish keeps bytes.
//!
//! - [`FsStore`]: the content-addressed blob store on a filesystem. A blob is immutable and named
//!   by its SHA-256: `blobs/sha256/ab/cd/abcd…`.
//! - [`TempBlob`]: a file being streamed into the store's temp directory, hashed and written on
//!   a blocking thread while the caller keeps receiving bytes. Dropped before it is committed, it deletes
//!   its file: a rejected or interrupted upload leaves nothing behind.
//! - [`Revisions`]: the immutable manifests of published sites and the `current` pointer.
//! - [`durable`]: write-temp → fsync → rename → fsync-dir, for the few small mutable files.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vps_store::StoreError> {
//! use bytes::Bytes;
//! use vps_store::{FsStore, Stored};
//!
//! let store = FsStore::open("data/blobs".as_ref(), "data/tmp".as_ref())?;
//! let mut temp = store.create_temp().await?;
//! temp.write(Bytes::from_static(b"hello")).await?;
//! let sealed = temp.finish().await?; // hashed as it was written
//! println!("sha256 {}", sealed.hash());
//! let stored: Stored = store.commit(sealed).await?;
//! # Ok(()) }
//! ```

pub mod durable;
mod error;
mod fs;
mod revisions;
mod temp;

pub use error::StoreError;
pub use fs::{BlobFile, FsStore, Stored};
pub use revisions::Revisions;
pub use temp::{SealedBlob, TempBlob};
