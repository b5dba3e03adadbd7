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
//! - [`read_legacy_assets`]: walks `{"assets":[…]}` with a streaming tokenizer and hands each
//!   asset's `contentBase64`, decoded as it is read, to the caller's [`ContentConsumer`] as an
//!   [`AssetContent`] stream of bytes; a bad asset is that asset's [`LegacyAssetError`], a
//!   malformed payload fails the call. This crate only parses: it runs no pipeline and writes
//!   no blob (the server ingests each stream as it does a multipart part).
//! - [`read_notes_payload`]: parses a (small) notes batch into [`NotesPayload`].
//!
//! Every failure is an [`EnvelopeError`] with a stable [`code`](EnvelopeError::code) and an HTTP
//! [`status`](EnvelopeError::status).
//!
//! ```no_run
//! # async fn demo(body: &[u8], session: vps_core::SessionId, temp_dir: &std::path::Path)
//! # -> Result<(), vps_envelope::EnvelopeError> {
//! use futures_util::StreamExt;
//! use vps_envelope::{AssetContent, ChunkLimits, ChunkOutcome, ChunkStore, ContentConsumer, Envelope, EnvelopeError, RouteKind};
//!
//! /// Counts each asset's bytes.
//! struct Count;
//! impl ContentConsumer for Count {
//!     type Output = u64;
//!     type Error = EnvelopeError;
//!     async fn consume(&mut self, _: Option<&str>, mut content: AssetContent<'_>) -> Result<u64, EnvelopeError> {
//!         let mut bytes = 0;
//!         while let Some(Ok(chunk)) = content.next().await {
//!             bytes += chunk.len() as u64;
//!         }
//!         Ok(bytes)
//!     }
//! }
//!
//! let chunks = ChunkStore::open("data/chunks".as_ref(), ChunkLimits::default(), "data/quarantine".as_ref())?;
//! let envelope = Envelope::from_slice(body)?;
//! match chunks.accept(session, RouteKind::Assets, envelope).await? {
//!     ChunkOutcome::Partial { received, total } => println!("202: {received} of {total}"),
//!     ChunkOutcome::Replay(reply) => println!("200 again: {reply}"),
//!     ChunkOutcome::Complete(upload) => {
//!         let cap = chunks.limits().max_original_bytes(upload.kind());
//!         let json = vps_envelope::gunzip_to_file(upload.reader(), cap, upload.original_size(), temp_dir).await?;
//!         let assets = vps_envelope::read_legacy_assets(&json, &mut Count).await?;
//!         // … ingest each stream, commit the accepted assets, build the reply …
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

#![warn(missing_docs)]

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
pub use legacy_assets::{
    AssetContent, ContentConsumer, InvalidContent, LegacyAsset, LegacyAssetError, MAX_FIELD_BYTES, read_legacy_assets,
};
pub use notes::{NotesPayload, read_notes_payload};
pub use wire::{Envelope, EnvelopeMetadata, RouteKind, is_envelope};
