use std::io;
use std::path::PathBuf;

/// A storage operation failed. Always a server-side problem (disk full, permissions, I/O error,
/// an unreachable bucket): the API answers it with a 5xx and logs the chain, never the details
/// to the client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{op} {path}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the writer of {path} stopped unexpectedly")]
    WriterGone { path: PathBuf },
    /// An object store request failed.
    #[error("{op} {key}")]
    Object {
        op: &'static str,
        key: String,
        #[source]
        source: object_store::Error,
    },
    /// The `current` pointer moved since it was read: someone else published or rolled back.
    #[error("the current revision pointer moved (expected {expected}, found {found})")]
    PointerMoved { expected: String, found: String },
    /// Stored bytes are not what their name says (a revision that does not parse, a blob whose
    /// hash differs).
    #[error("{what} is corrupt: {why}")]
    Corrupt { what: String, why: String },
}

impl StoreError {
    /// Wraps an I/O error with what was being done to which path.
    pub fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { op, path, source }
    }

    /// Wraps an object store error with what was being done to which key.
    pub fn object(op: &'static str, key: impl std::fmt::Display) -> impl FnOnce(object_store::Error) -> Self {
        let key = key.to_string();
        move |source| Self::Object { op, key, source }
    }
}
