use std::io;
use std::path::PathBuf;

/// A storage operation failed. Always a server-side problem (disk full, permissions, I/O error,
/// an unreachable bucket): the API answers it with a 5xx and logs the chain, never the details
/// to the client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A filesystem call failed.
    #[error("{op} {path}")]
    Io {
        /// What was being done (`"create directory"`, `"rename"`, …), for the message.
        op: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The thread writing an upload's temp file ended (panicked or was dropped) before the upload
    /// finished; the upload is lost.
    #[error("the writer of {path} stopped unexpectedly")]
    WriterGone {
        /// The temp file it was writing.
        path: PathBuf,
    },
    /// An object store request failed.
    #[error("{op} {key}")]
    Object {
        /// What was being done (`"put"`, `"get"`, `"complete multipart"`, …), for the message.
        op: &'static str,
        /// The object's key in the bucket (prefix included).
        key: String,
        /// The object store client's error.
        #[source]
        source: object_store::Error,
    },
    /// The `current` pointer moved since it was read: someone else published or rolled back.
    #[error("the current revision pointer moved (expected {expected}, found {found})")]
    PointerMoved {
        /// The revision id the caller expected the pointer to name (`no revision` when none).
        expected: String,
        /// The revision id it named instead (`no revision` when none).
        found: String,
    },
    /// Stored bytes are not what their name says (a revision that does not parse, a blob whose
    /// hash differs).
    #[error("{what} is corrupt: {why}")]
    Corrupt {
        /// Which stored thing (a revision file, a blob's hash, the pointer).
        what: String,
        /// What is wrong with it (a parse error, the hash the bytes actually have).
        why: String,
    },
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
