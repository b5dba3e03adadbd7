//! `ApiError`: every way a request can fail, each with its status and stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vps_core::api::ErrorBody;
use vps_core::{AssetPathError, ContentHashError, ErrorCode};
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
    // issue 13 — errors
    /// A `Range` outside the blob: 416 with `Content-Range: bytes */{total}`.
    #[error("the requested range is outside the blob")]
    RangeNotSatisfiable { total: u64 },
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
            // issue 13 — errors
            RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
        }
    }

    /// The stable, machine-readable code.
    pub fn code(&self) -> ErrorCode {
        use ApiError::*;
        match self {
            MissingApiKey => ErrorCode::MissingApiKey,
            InvalidApiKey => ErrorCode::InvalidApiKey,
            InvalidSessionId(_) => ErrorCode::InvalidSessionId,
            SessionNotFound(_) => ErrorCode::SessionNotFound,
            SessionNotOpen { .. } => ErrorCode::SessionNotOpen,
            InvalidHash(_) => ErrorCode::InvalidHash,
            BlobNotFound(_) => ErrorCode::BlobNotFound,
            InvalidPath { source, .. } => source.code(),
            InvalidJson(_) => ErrorCode::InvalidJson,
            InvalidRequest(_) => ErrorCode::InvalidRequest,
            UnsupportedContentType(_) => ErrorCode::UnsupportedContentType,
            StreamingDisabled => ErrorCode::StreamingDisabled,
            MissingBoundary => ErrorCode::MultipartBoundaryMissing,
            MalformedMultipart(_) => ErrorCode::MalformedMultipart,
            UnexpectedField(_) => ErrorCode::UnexpectedField,
            MissingFilename => ErrorCode::MissingFilename,
            DuplicatePath(_) => ErrorCode::DuplicatePath,
            InvalidDigest { .. } => ErrorCode::InvalidContentDigest,
            NoFiles => ErrorCode::NoFiles,
            FileTooLarge { .. } => ErrorCode::FileTooLarge,
            TooManyFiles { .. } => ErrorCode::TooManyFiles,
            RequestTooLarge { .. } => ErrorCode::RequestTooLarge,
            BodyTimeout { .. } => ErrorCode::BodyTimeout,
            BodyRead(_) => ErrorCode::BodyReadFailed,
            RouteNotFound => ErrorCode::RouteNotFound,
            JobNotFound => ErrorCode::JobNotFound,
            MissingJobId => ErrorCode::MissingJobId,
            InvalidToken => ErrorCode::InvalidToken,
            TokenExpired => ErrorCode::TokenExpired,
            IncompleteUpload => ErrorCode::IncompleteUpload,
            Overloaded { .. } => ErrorCode::Overloaded,
            ScannerUnavailable => ErrorCode::ScannerUnavailable,
            Envelope(e) => e.code(),
            Store(_) | Internal(_) => ErrorCode::InternalError,
            // issue 11 — http
            BodyTooSlow { .. } => ErrorCode::BodyTimeout,
            // issue 11 — blobs
            BlobCorrupt(_) => ErrorCode::BlobCorrupt,
            // issue 13 — errors
            // The code a 416 has always carried.
            RangeNotSatisfiable { .. } => ErrorCode::InvalidRequest,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %error_chain(&self), code = %self.code(), "request failed");
        } else {
            tracing::debug!(code = %self.code(), message = %self, "request refused");
        }
        let body = ErrorBody { code: self.code(), message: self.to_string() };
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
            (ApiError::RangeNotSatisfiable { total }, _) => {
                let mut response = (status, axum::Json(body)).into_response();
                let value = format!("bytes */{total}");
                response.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&value).expect("ascii"));
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
    for cause in vps_core::error_chain::causes(error) {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
    }
    chain
}

impl From<crate::sessions::SessionError> for ApiError {
    fn from(error: crate::sessions::SessionError) -> Self {
        use crate::sessions::SessionError;
        match error {
            SessionError::NotFound(id) => ApiError::SessionNotFound(id.to_string()),
            SessionError::NotOpen { id, state } => {
                ApiError::SessionNotOpen { id: id.to_string(), state: state.as_str() }
            }
            SessionError::Store(error) => ApiError::Store(error),
            SessionError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::{SessionError, SessionState};

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn an_unsatisfiable_range_is_its_own_416_with_the_blobs_length() {
        let response = ApiError::RangeNotSatisfiable { total: 10_000 }.into_response();
        assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(response.headers()[header::CONTENT_RANGE], "bytes */10000");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body = body_of(response).await;
        assert_eq!(
            body,
            serde_json::json!({"code": "invalid-request", "message": "the requested range is outside the blob"})
        );
    }

    #[tokio::test]
    async fn session_errors_answer_as_they_always_did() {
        let id = vps_core::SessionId::generate();
        let closed: ApiError = SessionError::NotOpen { id, state: SessionState::Aborted }.into();
        assert_eq!((closed.status(), closed.code()), (StatusCode::CONFLICT, ErrorCode::SessionNotOpen));
        assert_eq!(closed.to_string(), format!("session {id} is aborted; it accepts no more uploads"));
        let missing: ApiError = SessionError::NotFound(id).into();
        assert_eq!((missing.status(), missing.to_string()), (StatusCode::NOT_FOUND, format!("no session {id}")));
        let broken: ApiError = SessionError::Internal("disk on fire".into()).into();
        let body = body_of(broken.into_response()).await;
        assert_eq!(body, serde_json::json!({"code": "internal-error", "message": "internal error"}));
    }
}
