use std::io;
use std::path::PathBuf;

/// A storage operation failed. Always a server-side problem (disk full, permissions, I/O error):
/// the API answers it with a 5xx and logs the chain, never the details to the client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{op} {path}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the writer thread of {path} stopped unexpectedly")]
    WriterGone { path: PathBuf },
}

impl StoreError {
    /// Wraps an I/O error with what was being done to which path.
    pub fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { op, path, source }
    }
}
