//! The one-pass ingest pipeline: every upload path (multipart, legacy JSON, resumable) ends here.
//!
//! ```text
//! bytes ─▶ size guard ─▶ sniff the first 8 KiB (media type, allowlist) ─▶ SHA-256 ─▶ temp file
//! end   ─▶ verdict ─▶ fsync ─▶ (caller) commit under the hash, or drop
//! ```
//!
//! - [`multipart`]: bounds the regions a multipart parser holds whole (preamble, part headers).
//! - [`sniff`]: tells a file's media type from its first bytes; the extension is only a hint
//!   (it picks `text/markdown` over `text/plain`, never makes an executable a PNG).
//! - [`MediaAllowlist`]: which detected types are accepted.
//! - [`ingest`]: runs one file's byte stream through the pipeline and returns an [`Outcome`]:
//!   an [`Accepted`] file (hash, size, media type, sealed temp file) or a [`Rejection`].
//!   A file over the size limit is an [`IngestError::TooLarge`], raised the moment the limit
//!   is crossed; the temp file is gone by the time the error is seen.
//!
//! ```no_run
//! # async fn demo(store: &dyn vps_store::BlobStore, body: impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin)
//! # -> Result<(), Box<dyn std::error::Error>> {
//! use vps_ingest::{ingest, Outcome, Policy};
//!
//! let policy = Policy::default();
//! match ingest(store, &policy, Some("png"), None, body).await? {
//!     Outcome::Accepted(file) => { file.sealed.commit().await?; }
//!     Outcome::Rejected(why) => println!("{}: {}", why.code, why.message),
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod allowlist;
pub mod multipart;
mod pipeline;
pub mod sniff;

pub use allowlist::MediaAllowlist;
pub use pipeline::{Accepted, IngestError, Outcome, Policy, Rejection, ScanPolicy, ingest};
