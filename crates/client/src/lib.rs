//! The typed HTTP client of vps-publish, used by `vps-publish publish` and by tests.
//!
//! - [`Client`]: one server and its key; every call of the API as a typed method. Calls are
//!   retried after transport errors and 429/503 answers ([`RetryPolicy`]).
//! - [`Client::upload_files`]: streaming multipart uploads from disk ([`UploadFile`],
//!   [`UploadLimits`]), never holding a file in memory.
//! - [`Client::upload_notes`] and [`Client::upload_assets_json`]: the plugin's gzip + base64
//!   chunk envelopes, the latter for servers without streaming uploads (the Node reference).
//! - [`Client::follow`]: the finalization job, over server-sent events or by polling.
//! - [`ClientError`]: what went wrong, sorted by [`ErrorKind`]; never shows the API key.
//!
//! TLS is rustls (with its default aws-lc-rs provider), checked against the system's roots.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vps_client::ClientError> {
//! use vps_client::{Client, UploadFile, UploadLimits};
//! use vps_core::AssetPath;
//! use vps_core::api::StartSessionRequest;
//! use vps_core::job::FinishRequest;
//!
//! let client = Client::new("https://notes.example.com", "vpsk_…")?;
//! let config = client.public_config().await?.expect("a vps-publish server");
//! let session = client.start(&StartSessionRequest::default()).await?.session_id;
//! let files = [UploadFile {
//!     path: AssetPath::parse("Attachments/diagram.png").unwrap(),
//!     file: "vault/Attachments/diagram.png".into(),
//!     size: 48_213,
//!     sha256: None, // or Some(hash): sent as the part's Content-Digest
//! }];
//! let uploaded = client.upload_files(session, &files, &UploadLimits::from_config(&config), &|_| {}).await?;
//! let finish = client.finish(session, &FinishRequest::default()).await?;
//! let done = client.follow(session, &finish, &|status| println!("{}%", status.progress)).await?;
//! println!("{} files, {:?}, {} bytes sent", uploaded.len(), done.status, client.bytes_sent());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod client;
mod envelope;
mod error;
mod follow;
mod retry;
mod upload;

pub use client::{Client, ClientBuilder};
pub use error::{ClientError, ErrorKind};
pub use retry::RetryPolicy;
pub use upload::{UploadFile, UploadLimits};
