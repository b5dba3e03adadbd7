//! `ApiError`: every way a request can fail, each with its status and stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vps_core::api::ErrorBody;
use vps_core::{AssetPathError, ContentHashError};
use vps_store::StoreError;

/// A request that failed. The body is `{"code","message"}`; a 5xx says only "internal error"
/// to the client and logs the whole chain of causes.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("this call needs the x-api-key header")]
    MissingApiKey,
    #[error("the API key is not valid")]
    InvalidApiKey,
    #[error("`{0}` is not a session id")]
    InvalidSessionId(String),
    #[error("no session {0}")]
    SessionNotFound(String),
    #[error("session {id} is {state}; it accepts no more uploads")]
    SessionNotOpen { id: String, state: &'static str },
    #[error("{0}")]
    InvalidHash(#[from] ContentHashError),
    #[error("no blob {0}")]
    BlobNotFound(String),
    #[error("{source} (file {path:?})")]
    InvalidPath { path: String, source: AssetPathError },
    #[error("the request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("expected Content-Type multipart/form-data (with a boundary) or application/json, got {0:?}")]
    UnsupportedContentType(String),
    #[error("streaming (multipart) uploads are disabled on this server")]
    StreamingDisabled,
    #[error("the multipart body has no boundary parameter in its Content-Type")]
    MissingBoundary,
    #[error("the multipart body is malformed: {0}")]
    MalformedMultipart(String),
    #[error("multipart part {0:?} is not expected; send files in parts named `assets`")]
    UnexpectedField(String),
    #[error("a multipart part has no filename; the filename is the asset's path in the vault")]
    MissingFilename,
    #[error("the path {0:?} appears twice in one request")]
    DuplicatePath(String),
    #[error("the Content-Digest of {path:?} is not valid: {source}")]
    InvalidDigest { path: String, source: ContentHashError },
    #[error("the request holds no file")]
    NoFiles,
    #[error("file {path:?} is larger than the limit of {limit} bytes")]
    FileTooLarge { path: String, limit: u64 },
    #[error("the request holds more than {limit} files")]
    TooManyFiles { limit: u64 },
    #[error("the request body is larger than the limit of {limit} bytes")]
    RequestTooLarge { limit: u64 },
    #[error("the request body stopped arriving for {secs} s")]
    BodyTimeout { secs: u64 },
    #[error("the request body could not be read: {0}")]
    BodyRead(String),
    #[error("no such API route")]
    RouteNotFound,
    #[error("no finalization job for this session")]
    JobNotFound,
    #[error("the stream needs a jobId parameter")]
    MissingJobId,
    #[error("the token is missing or not valid for this job")]
    InvalidToken,
    #[error("the token has expired; poll the status instead")]
    TokenExpired,
    #[error("the session still has an incomplete chunked upload; send its missing chunks first")]
    IncompleteUpload,
    #[error("the virus scanner is unavailable; no file can be accepted now")]
    ScannerUnavailable,
    #[error("the server is busy; retry in {retry_after_secs} s")]
    Overloaded { retry_after_secs: u64 },
    #[error(transparent)]
    Envelope(#[from] vps_envelope::EnvelopeError),
    #[error("internal error")]
    Store(#[from] StoreError),
    #[error("internal error")]
    Internal(String),
    // issue 11 — http
    #[error("the request body did not arrive whole within {secs} s")]
    BodyTooSlow { secs: u64 },
    // issue 11 — blobs
    /// A stored blob's bytes do not match its hash (found while serving it, or earlier). The
    /// client learns only that; the log names the blob.
    #[error("internal error: stored content is damaged")]
    BlobCorrupt(vps_core::ContentHash),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            MissingApiKey => StatusCode::UNAUTHORIZED,
            InvalidApiKey => StatusCode::FORBIDDEN,
            SessionNotFound(_) | BlobNotFound(_) | RouteNotFound | JobNotFound => StatusCode::NOT_FOUND,
            SessionNotOpen { .. } | IncompleteUpload => StatusCode::CONFLICT,
            MissingJobId => StatusCode::BAD_REQUEST,
            InvalidToken => StatusCode::FORBIDDEN,
            TokenExpired => StatusCode::GONE,
            Overloaded { .. } => StatusCode::TOO_MANY_REQUESTS,
            ScannerUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Envelope(e) => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            InvalidSessionId(_)
            | InvalidHash(_)
            | InvalidPath { .. }
            | InvalidJson(_)
            | InvalidRequest(_)
            | MissingBoundary
            | MalformedMultipart(_)
            | UnexpectedField(_)
            | MissingFilename
            | DuplicatePath(_)
            | InvalidDigest { .. }
            | NoFiles
            | BodyRead(_) => StatusCode::BAD_REQUEST,
            UnsupportedContentType(_) | StreamingDisabled => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FileTooLarge { .. } | TooManyFiles { .. } | RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Store(_) | Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            // issue 11 — http
            BodyTooSlow { .. } => StatusCode::REQUEST_TIMEOUT,
            // issue 11 — blobs
            BlobCorrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            MissingApiKey => "missing-api-key",
            InvalidApiKey => "invalid-api-key",
            InvalidSessionId(_) => "invalid-session-id",
            SessionNotFound(_) => "session-not-found",
            SessionNotOpen { .. } => "session-not-open",
            InvalidHash(_) => "invalid-hash",
            BlobNotFound(_) => "blob-not-found",
            InvalidPath { source, .. } => source.code(),
            InvalidJson(_) => "invalid-json",
            InvalidRequest(_) => "invalid-request",
            UnsupportedContentType(_) => "unsupported-content-type",
            StreamingDisabled => "streaming-disabled",
            MissingBoundary => "multipart-boundary-missing",
            MalformedMultipart(_) => "malformed-multipart",
            UnexpectedField(_) => "unexpected-field",
            MissingFilename => "missing-filename",
            DuplicatePath(_) => "duplicate-path",
            InvalidDigest { .. } => "invalid-content-digest",
            NoFiles => "no-files",
            FileTooLarge { .. } => "file-too-large",
            TooManyFiles { .. } => "too-many-files",
            RequestTooLarge { .. } => "request-too-large",
            BodyTimeout { .. } => "body-timeout",
            BodyRead(_) => "body-read-failed",
            RouteNotFound => "route-not-found",
            JobNotFound => "job-not-found",
            MissingJobId => "missing-job-id",
            InvalidToken => "invalid-token",
            TokenExpired => "token-expired",
            IncompleteUpload => "incomplete-upload",
            Overloaded { .. } => "overloaded",
            ScannerUnavailable => "scanner-unavailable",
            Envelope(e) => e.code(),
            Store(_) | Internal(_) => "internal-error",
            // issue 11 — http
            BodyTooSlow { .. } => "body-timeout",
            // issue 11 — blobs
            BlobCorrupt(_) => "blob-corrupt",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %error_chain(&self), code = self.code(), "request failed");
        } else {
            tracing::debug!(code = self.code(), message = %self, "request refused");
        }
        let body = ErrorBody { code: self.code().to_owned(), message: self.to_string() };
        let mut response = match (&self, status) {
            // The plugin reads the delay from `Retry-After` (whole seconds) or `retryAfterMs`.
            (_, StatusCode::TOO_MANY_REQUESTS) => {
                let secs = match self {
                    ApiError::Overloaded { retry_after_secs } => retry_after_secs,
                    _ => 1, // a chunk re-sent while its upload is being processed
                };
                let body = serde_json::json!({"code": body.code, "message": body.message, "retryAfterMs": secs * 1000});
                let mut response = (status, axum::Json(body)).into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                response
            }
            _ => (status, axum::Json(body)).into_response(),
        };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// The error and its sources, for the log (never for the client).
fn error_chain(error: &ApiError) -> String {
    let mut chain = match error {
        ApiError::Internal(detail) => format!("internal error: {detail}"),
        other => other.to_string(),
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}
