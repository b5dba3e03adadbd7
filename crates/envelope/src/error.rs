use std::io;
use std::path::PathBuf;

use vps_core::ErrorCode;
use vps_store::StoreError;

/// Why an envelope, a reassembled payload or one of the store's operations failed.
///
/// [`EnvelopeError::code`] is a stable kebab-case string for the API's error body and
/// [`EnvelopeError::status`] the HTTP status the server should answer with. The 4xx variants
/// describe what the client sent and may be shown to it; the 5xx ones are server-side problems
/// whose details belong in the log only.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("the body is not a chunk envelope: {0}")]
    InvalidEnvelope(String),
    #[error("upload id {0:?} is not `notes-<sessionId>-<id>` or `assets-<sessionId>-<id>` for this route")]
    InvalidUploadId(String),
    #[error("upload id {upload_id:?} belongs to another session than {session}")]
    SessionMismatch { upload_id: String, session: String },
    #[error("chunk metadata is impossible: {0}")]
    InvalidChunkMetadata(&'static str),
    #[error("chunk index {index} is out of range for {total} chunks")]
    ChunkIndexOutOfRange { index: u64, total: u64 },
    #[error("an upload of {total} chunks is over the limit of {limit}")]
    TooManyChunks { total: u64, limit: u64 },
    #[error("this chunk's {field} differs from the earlier chunks of the upload")]
    InconsistentChunkMetadata { field: &'static str },
    #[error("the chunk's data is not standard padded base64")]
    InvalidBase64,
    #[error("a chunk of {len} bytes is over the limit of {limit} bytes")]
    ChunkTooLarge { len: u64, limit: u64 },
    #[error("a compressed upload of {len} bytes is over the limit of {limit} bytes")]
    UploadTooLarge { len: u64, limit: u64 },
    #[error("the payload is larger than the limit of {limit} bytes once decompressed")]
    DecompressedTooLarge { limit: u64 },
    #[error("the {what} is {actual} bytes, but {expected} were declared")]
    SizeMismatch { what: &'static str, expected: u64, actual: u64 },
    #[error("the reassembled upload is not a valid gzip stream")]
    InvalidGzip(#[source] io::Error),
    #[error("the session already has {limit} uploads open")]
    TooManyOpenUploads { limit: usize },
    #[error("upload {0:?} is complete and still being processed; retry shortly")]
    UploadInProgress(String),
    #[error("upload {0:?} was discarded (expired or its session removed)")]
    UploadGone(String),
    #[error("upload {0:?} is not complete; only a complete upload has a reply")]
    NotComplete(String),
    #[error("internal error")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("internal error")]
    Store(#[from] StoreError),
}

impl EnvelopeError {
    /// The stable, machine-readable code.
    pub fn code(&self) -> ErrorCode {
        use EnvelopeError::*;
        match self {
            InvalidJson(_) => ErrorCode::InvalidJson,
            InvalidEnvelope(_) => ErrorCode::InvalidEnvelope,
            InvalidUploadId(_) => ErrorCode::InvalidUploadId,
            SessionMismatch { .. } => ErrorCode::SessionMismatch,
            InvalidChunkMetadata(_) => ErrorCode::InvalidChunkMetadata,
            ChunkIndexOutOfRange { .. } => ErrorCode::ChunkIndexOutOfRange,
            TooManyChunks { .. } => ErrorCode::TooManyChunks,
            InconsistentChunkMetadata { .. } => ErrorCode::InconsistentChunkMetadata,
            InvalidBase64 => ErrorCode::InvalidBase64,
            ChunkTooLarge { .. } => ErrorCode::ChunkTooLarge,
            UploadTooLarge { .. } => ErrorCode::UploadTooLarge,
            DecompressedTooLarge { .. } => ErrorCode::DecompressedTooLarge,
            SizeMismatch { .. } => ErrorCode::SizeMismatch,
            InvalidGzip(_) => ErrorCode::InvalidGzip,
            TooManyOpenUploads { .. } => ErrorCode::TooManyOpenUploads,
            UploadInProgress(_) => ErrorCode::UploadInProgress,
            UploadGone(_) => ErrorCode::UploadGone,
            NotComplete(_) | Io { .. } | Store(_) => ErrorCode::InternalError,
        }
    }

    /// The HTTP status to answer with.
    ///
    /// The plugin does not retry a chunk answered with 400 or 413 (it aborts the publish at
    /// once), retries other statuses twice after 1 s and 2 s, and retries 429 up to three times
    /// after `Retry-After` seconds. Hence [`EnvelopeError::UploadInProgress`] is a 429: a final
    /// chunk re-sent while its payload is still being processed should come back later and get
    /// the recorded reply.
    pub fn status(&self) -> u16 {
        use EnvelopeError::*;
        match self {
            InvalidJson(_)
            | InvalidEnvelope(_)
            | InvalidUploadId(_)
            | SessionMismatch { .. }
            | InvalidChunkMetadata(_)
            | ChunkIndexOutOfRange { .. }
            | InconsistentChunkMetadata { .. }
            | InvalidBase64
            | SizeMismatch { .. }
            | InvalidGzip(_) => 400,
            TooManyOpenUploads { .. } | UploadGone(_) => 409,
            TooManyChunks { .. } | ChunkTooLarge { .. } | UploadTooLarge { .. } | DecompressedTooLarge { .. } => 413,
            UploadInProgress(_) => 429,
            NotComplete(_) | Io { .. } | Store(_) => 500,
        }
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { op, path, source }
    }

    /// A blocking task that panicked or was cancelled.
    pub(crate) fn task_gone(op: &'static str, path: impl Into<PathBuf>) -> Self {
        Self::Io { op, path: path.into(), source: io::Error::other("the blocking task stopped unexpectedly") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_4xx_and_server_errors_say_internal() {
        let io = EnvelopeError::io("write", "/x")(io::Error::other("disk on fire"));
        assert_eq!(
            (io.code().as_str(), io.status(), io.to_string().as_str()),
            ("internal-error", 500, "internal error")
        );
        let bomb = EnvelopeError::DecompressedTooLarge { limit: 1 };
        assert_eq!((bomb.code().as_str(), bomb.status()), ("decompressed-too-large", 413));
        let busy = EnvelopeError::TooManyOpenUploads { limit: 8 };
        assert_eq!((busy.code().as_str(), busy.status()), ("too-many-open-uploads", 409));
    }
}
