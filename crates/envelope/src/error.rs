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
    /// 400: the request body does not parse as JSON; carries the parser's message.
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    /// 400: the body is JSON but not an [`Envelope`](crate::Envelope) (a field missing or of the
    /// wrong type); carries the deserializer's message.
    #[error("the body is not a chunk envelope: {0}")]
    InvalidEnvelope(String),
    /// 400: the `uploadId` does not have the route's shape; carries the id as sent, cut to 200
    /// characters.
    #[error("upload id {0:?} is not `notes-<sessionId>-<id>` or `assets-<sessionId>-<id>` for this route")]
    InvalidUploadId(String),
    /// 400: the `uploadId` is well formed but names another session than the request's.
    #[error("upload id {upload_id:?} belongs to another session than {session}")]
    SessionMismatch {
        /// The upload id as sent.
        upload_id: String,
        /// The session the request was made in.
        session: String,
    },
    /// 400: the sizes declared cannot all hold (`totalChunks` of 0, a `compressedSize` that
    /// does not fit the chunks); carries which rule was broken.
    #[error("chunk metadata is impossible: {0}")]
    InvalidChunkMetadata(&'static str),
    /// 400: `chunkIndex` is not below `totalChunks`.
    #[error("chunk index {index} is out of range for {total} chunks")]
    ChunkIndexOutOfRange {
        /// The `chunkIndex` sent.
        index: u64,
        /// The upload's `totalChunks`.
        total: u64,
    },
    /// 413: `totalChunks` is over [`ChunkLimits::max_total_chunks`](crate::ChunkLimits::max_total_chunks).
    #[error("an upload of {total} chunks is over the limit of {limit}")]
    TooManyChunks {
        /// The `totalChunks` declared.
        total: u64,
        /// The most chunks one upload may have.
        limit: u64,
    },
    /// 400: a later chunk declares other sizes than the upload's first chunk did.
    #[error("this chunk's {field} differs from the earlier chunks of the upload")]
    InconsistentChunkMetadata {
        /// The metadata field that differs: `totalChunks`, `originalSize` or `compressedSize`.
        field: &'static str,
    },
    /// 400: the chunk's `data` is not standard padded base64.
    #[error("the chunk's data is not standard padded base64")]
    InvalidBase64,
    /// 413: one chunk decodes to more bytes than a chunk may have.
    #[error("a chunk of {len} bytes is over the limit of {limit} bytes")]
    ChunkTooLarge {
        /// The chunk's decoded size in bytes (computed from the base64 length).
        len: u64,
        /// The largest decoded chunk accepted, in bytes.
        limit: u64,
    },
    /// 413: the declared `compressedSize` is over the route's limit.
    #[error("a compressed upload of {len} bytes is over the limit of {limit} bytes")]
    UploadTooLarge {
        /// The declared `compressedSize`, in bytes.
        len: u64,
        /// The route's largest compressed upload, in bytes.
        limit: u64,
    },
    /// 413: decompressing produced more bytes than allowed (declared honestly or not, a gzip
    /// bomb stops here).
    #[error("the payload is larger than the limit of {limit} bytes once decompressed")]
    DecompressedTooLarge {
        /// The most decompressed bytes accepted.
        limit: u64,
    },
    /// 400: the bytes received or decompressed are not as many as the envelope declared.
    #[error("the {what} is {actual} bytes, but {expected} were declared")]
    SizeMismatch {
        /// What was measured: `reassembled upload` (against `compressedSize`) or
        /// `decompressed payload` (against `originalSize`).
        what: &'static str,
        /// The declared size, in bytes.
        expected: u64,
        /// The size found, in bytes (for a reassembled upload, as soon as it exceeds the
        /// declared size).
        actual: u64,
    },
    /// 400: the reassembled bytes are not a gzip stream, or it is truncated or damaged.
    #[error("the reassembled upload is not a valid gzip stream")]
    InvalidGzip(#[source] io::Error),
    /// 409: a new upload would exceed the uploads one session may have open at once.
    #[error("the session already has {limit} uploads open")]
    TooManyOpenUploads {
        /// The most open uploads per session.
        limit: usize,
    },
    /// 429: the upload is complete and its payload still being processed; carries the upload
    /// id. A re-sent chunk should retry later and get the recorded reply.
    #[error("upload {0:?} is complete and still being processed; retry shortly")]
    UploadInProgress(String),
    /// 409: the upload was dropped (it expired, or its session was removed); carries the
    /// upload id.
    #[error("upload {0:?} was discarded (expired or its session removed)")]
    UploadGone(String),
    /// 500: a reply was recorded for an upload still receiving chunks (a server bug); carries
    /// the upload id.
    #[error("upload {0:?} is not complete; only a complete upload has a reply")]
    NotComplete(String),
    /// 500: a file of the chunk store could not be read or written.
    #[error("internal error")]
    Io {
        /// What was being done (`"write"`, `"rename"`, …), for the log.
        op: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// 500: the blob store failed.
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
