//! The legacy upload format of the "Publish to VPS" plugin, so that the server's upload routes
//! stay thin. Nothing here holds a whole upload in memory.
//!
//! The plugin sends every notes and assets batch as gzip, cut into base64 slices, one
//! [`Envelope`] per request (protocol §4). This crate:
//!
//! - [`ChunkStore`]: validates each envelope and spools its decoded slice to disk under its index,
//!   keyed by (session, [`RouteKind`], upload id). When every index is there, [`accept`] returns
//!   [`ChunkOutcome::Complete`] with an [`Assembled`] upload whose [`reader`] streams the gzip
//!   bytes in index order. The final reply is recorded and replayed to re-sent chunks; idle
//!   incomplete uploads expire ([`expire_idle`]).
//! - [`gunzip_to_file`]: inflates that stream into a [`TempJson`] file, stopping at a cap (a gzip
//!   bomb costs at most the cap in disk and about 250 KiB of memory) and requiring exactly the declared
//!   size.
//! - [`ingest_legacy_assets`]: walks `{"assets":[…]}` with a streaming tokenizer and feeds each
//!   asset's `contentBase64`, decoded as it is read, into [`vps_ingest::ingest`]; a bad asset is
//!   that asset's [`LegacyAssetError`], a malformed payload fails the call.
//! - [`read_notes_payload`]: parses a (small) notes batch into [`NotesPayload`].
//!
//! Every failure is an [`EnvelopeError`] with a stable [`code`](EnvelopeError::code) and an HTTP
//! [`status`](EnvelopeError::status).
//!
//! ```no_run
//! # async fn demo(body: &[u8], session: vps_core::SessionId, blobs: &dyn vps_store::BlobStore, temp_dir: &std::path::Path)
//! # -> Result<(), vps_envelope::EnvelopeError> {
//! use vps_envelope::{ChunkLimits, ChunkOutcome, ChunkStore, Envelope, RouteKind};
//!
//! let chunks = ChunkStore::open("data/chunks".as_ref(), ChunkLimits::default(), "data/quarantine".as_ref())?;
//! let envelope = Envelope::from_slice(body)?;
//! match chunks.accept(session, RouteKind::Assets, envelope).await? {
//!     ChunkOutcome::Partial { received, total } => println!("202: {received} of {total}"),
//!     ChunkOutcome::Replay(reply) => println!("200 again: {reply}"),
//!     ChunkOutcome::Complete(upload) => {
//!         let cap = chunks.limits().max_original_bytes(upload.kind());
//!         let json = vps_envelope::gunzip_to_file(upload.reader(), cap, upload.original_size(), temp_dir).await?;
//!         let assets = vps_envelope::ingest_legacy_assets(&json, blobs, &vps_ingest::Policy::default()).await?;
//!         // … commit the accepted assets, build the reply …
//!         let reply = serde_json::json!({ "sessionId": session, "publishedCount": assets.len(), "errors": [] });
//!         chunks.record_reply(session, RouteKind::Assets, &upload.upload_id(), &reply).await?;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! [`accept`]: ChunkStore::accept
//! [`reader`]: Assembled::reader
//! [`expire_idle`]: ChunkStore::expire_idle

mod chunks;
mod error;
mod gunzip;
mod json_reader;
mod legacy_assets;
mod notes;
mod wire;

pub use chunks::{Assembled, AssembledReader, ChunkLimits, ChunkOutcome, ChunkStore};
pub use error::EnvelopeError;
pub use gunzip::{TempJson, gunzip_to_file};
pub use legacy_assets::{LegacyAsset, LegacyAssetError, MAX_FIELD_BYTES, ingest_legacy_assets};
pub use notes::{NotesPayload, read_notes_payload};
pub use wire::{Envelope, EnvelopeMetadata, RouteKind, is_envelope};
