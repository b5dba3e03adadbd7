//! Domain types shared by every crate of vps-publish. Nothing here does I/O.
//!
//! Every string that comes from outside becomes one of these types through `parse`, which
//! returns a typed error; code past the boundary never sees an unchecked name:
//!
//! - [`ContentHash`]: the SHA-256 that names a blob (64 lower-case hex digits).
//! - [`AssetPath`]: an asset's path inside the vault (`Attachments/my diagram.png`), with no way
//!   to express traversal, absolute paths or control characters.
//! - [`SessionId`]: a publish session's id, a UUID in its hyphenated lower-case form.
//! - [`MediaType`]: a detected media type such as `image/png`.
//! - [`ErrorCode`]: every stable error code the API answers with (`session-not-open`…).
//! - [`api`]: the JSON shapes of the HTTP API, shared by the server and its clients.
//! - [`slug`]: names into route segments, heading ids and tag keys, for every script; names
//!   compared in NFC.
//! - [`language`]: the one rule for language tags (`SITE_LANGUAGE`, the client's `locale`).
//! - [`look`]: the writer's choices of how the site looks (Obsidian Publish's `site-options.json`).
//! - Small shared tools: [`html::escape`], [`url`] (percent-coding), [`ContentHash::of`] (SHA-256
//!   of bytes), [`error_chain::chain`] (an error and its causes on one line).
//! - [`permalink`]: the route a note asks for, and the paths the server keeps for itself.
//! - [`note`]: a note as the plugin sends it; [`revision`]: the manifest of a published site.
//!
//! ```
//! use vps_core::{AssetPath, ContentHash};
//!
//! let path = AssetPath::parse("Attachments/my diagram.png").unwrap();
//! assert_eq!(path.file_name(), "my diagram.png");
//! assert!(AssetPath::parse("../etc/passwd").is_err());
//!
//! let hash = ContentHash::parse(&"AB".repeat(32)).unwrap();
//! assert_eq!(hash.to_hex(), "ab".repeat(32));
//! ```

#![warn(missing_docs)]

pub mod api;
mod asset_path;
pub mod error_chain;
mod error_code;
mod hash;
pub mod html;
pub mod image;
pub mod job;
pub mod language;
pub mod look;
mod media_type;
pub mod note;
pub mod permalink;
pub mod revision;
mod session_id;
pub mod slug;
pub mod url;

pub use asset_path::{AssetPath, AssetPathError};
pub use error_code::{ErrorCode, UnknownErrorCode};
pub use hash::{ContentHash, ContentHashError};
pub use media_type::MediaType;
pub use session_id::{SessionId, SessionIdError};
