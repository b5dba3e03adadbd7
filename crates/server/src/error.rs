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
    /// 401: an `/api` call came without an `x-api-key` header.
    #[error("this call needs the x-api-key header")]
    MissingApiKey,
    /// 403: the `x-api-key` header does not match the server's key.
    #[error("the API key is not valid")]
    InvalidApiKey,
    /// 400: the `{id}` of the URL is not a session id; carries it, cut to 64 characters.
    #[error("`{0}` is not a session id")]
    InvalidSessionId(String),
    /// 404: no session has this id (never created, or removed since); carries the id.
    #[error("no session {0}")]
    SessionNotFound(String),
    /// 409: the session exists but has left `open` (finishing, finished or aborted), so it takes no more uploads.
    #[error("session {id} is {state}; it accepts no more uploads")]
    SessionNotOpen {
        /// The session, as sent in the URL.
        id: String,
        /// Where it is instead: `finishing`, `finished` or `aborted`.
        state: &'static str,
    },
    /// 400: a SHA-256 sent by the client is not 64 hexadecimal digits.
    #[error("{0}")]
    InvalidHash(#[from] ContentHashError),
    /// 404: nothing published under this hash or asset path (unpublished and unstored blobs answer alike); carries what was asked for.
    #[error("no blob {0}")]
    BlobNotFound(String),
    /// 400: a file's vault path is not an acceptable asset path; the code is the path error's own.
    #[error("{source} (file {path:?})")]
    InvalidPath {
        /// The path as sent, cut to 200 characters.
        path: String,
        /// Which rule of asset paths it breaks.
        source: AssetPathError,
    },
    /// 400: the body (or a note or rule inside it) is not the JSON expected; carries the parser's message.
    #[error("the request body is not valid JSON: {0}")]
    InvalidJson(String),
    /// 400: the request is well-formed but says something the server cannot act on; carries the explanation.
    #[error("{0}")]
    InvalidRequest(String),
    /// 415: the upload's `Content-Type` is neither multipart with a boundary nor JSON; carries the type sent.
    #[error("expected Content-Type multipart/form-data (with a boundary) or application/json, got {0:?}")]
    UnsupportedContentType(String),
    /// 415: a multipart upload reached a server whose `uploads.streaming_enabled` is off.
    #[error("streaming (multipart) uploads are disabled on this server")]
    StreamingDisabled,
    /// 400: a multipart `Content-Type` without its `boundary` parameter.
    #[error("the multipart body has no boundary parameter in its Content-Type")]
    MissingBoundary,
    /// 400: the multipart body could not be parsed; carries the parser's message.
    #[error("the multipart body is malformed: {0}")]
    MalformedMultipart(String),
    /// 400: a multipart part is named other than `assets`; carries the name, cut to 100 characters.
    #[error("multipart part {0:?} is not expected; send files in parts named `assets`")]
    UnexpectedField(String),
    /// 400: a multipart part has no filename, which must be the asset's vault path.
    #[error("a multipart part has no filename; the filename is the asset's path in the vault")]
    MissingFilename,
    /// 400: one upload request names the same vault path twice; carries the path.
    #[error("the path {0:?} appears twice in one request")]
    DuplicatePath(String),
    /// 400: a part's `Content-Digest` header cannot be read as a SHA-256.
    #[error("the Content-Digest of {path:?} is not valid: {source}")]
    InvalidDigest {
        /// The vault path of the part.
        path: String,
        /// Why the digest is not a SHA-256.
        source: ContentHashError,
    },
    /// 400: an upload request with no file part in it.
    #[error("the request holds no file")]
    NoFiles,
    /// 413: one file is over `uploads.max_asset_size_bytes`.
    #[error("file {path:?} is larger than the limit of {limit} bytes")]
    FileTooLarge {
        /// The vault path of the file.
        path: String,
        /// The largest file accepted, in bytes.
        limit: u64,
    },
    /// 413: more files (or check entries) in one request than the server takes.
    #[error("the request holds more than {limit} files")]
    TooManyFiles {
        /// The most files accepted in one request.
        limit: u64,
    },
    /// 413: the body (declared or as read) is over the request size limit.
    #[error("the request body is larger than the limit of {limit} bytes")]
    RequestTooLarge {
        /// The largest body accepted, in bytes.
        limit: u64,
    },
    /// 408: the body stopped arriving: no byte for longer than the idle timeout.
    #[error("the request body stopped arriving for {secs} s")]
    BodyTimeout {
        /// The idle timeout that passed, in seconds.
        secs: u64,
    },
    /// 400: the connection failed while the body was being read; carries the cause.
    #[error("the request body could not be read: {0}")]
    BodyRead(String),
    /// 404: no `/api` route has this path (or the site was asked with a method other than GET or HEAD).
    #[error("no such API route")]
    RouteNotFound,
    /// 404: the session has no finalization job (it was never finished, or the job was forgotten).
    #[error("no finalization job for this session")]
    JobNotFound,
    /// 400: the finalization event stream was opened without its `jobId` parameter.
    #[error("the stream needs a jobId parameter")]
    MissingJobId,
    /// 403: the event stream's token is missing or does not belong to this job.
    #[error("the token is missing or not valid for this job")]
    InvalidToken,
    /// 410: the event stream's token is past its lifetime; the client polls `status` instead.
    #[error("the token has expired; poll the status instead")]
    TokenExpired,
    /// 409: `finish` came while a chunked upload of the session still misses chunks.
    #[error("the session still has an incomplete chunked upload; send its missing chunks first")]
    IncompleteUpload,
    /// 503: scanning is required (fail-closed) and the virus scanner cannot be reached.
    #[error("the virus scanner is unavailable; no file can be accepted now")]
    ScannerUnavailable,
    /// 429: too many API calls in flight; `Retry-After` tells when to try again.
    #[error("the server is busy; retry in {retry_after_secs} s")]
    Overloaded {
        /// Seconds the client should wait, sent as `Retry-After`.
        retry_after_secs: u64,
    },
    /// 429: too many failed logins from this address or on this server.
    #[error("too many failed logins; retry in {retry_after_secs} s")]
    LoginRateLimited {
        /// Seconds to wait, sent as `Retry-After`.
        retry_after_secs: u64,
    },
    /// 403: a login or logout form whose CSRF value does not match its cookie.
    #[error("the form's CSRF value does not match its cookie; open the login page again")]
    LoginCsrfFailed,
    /// 400: a login or logout form that is not a valid form body.
    #[error("the login form is not valid: {0}")]
    LoginInvalid(String),
    /// A chunk envelope was refused; its status and code are the envelope error's own.
    #[error(transparent)]
    Envelope(#[from] vps_envelope::EnvelopeError),
    /// 500: the content store failed; the client sees only "internal error", the log the cause.
    #[error("internal error")]
    Store(#[from] StoreError),
    /// 500: any other failure of the server; carries the message for the log only.
    #[error("internal error")]
    Internal(String),
    // issue 11 — http
    /// 408: the body kept trickling in but did not arrive whole within the body deadline.
    #[error("the request body did not arrive whole within {secs} s")]
    BodyTooSlow {
        /// The deadline for the whole body, in seconds.
        secs: u64,
    },
    // issue 11 — blobs
    /// A stored blob's bytes do not match its hash (found while serving it, or earlier). The
    /// client learns only that; the log names the blob.
    #[error("internal error: stored content is damaged")]
    BlobCorrupt(vps_core::ContentHash),
    // issue 13 — errors
    /// A `Range` outside the blob: 416 with `Content-Range: bytes */{total}`.
    #[error("the requested range is outside the blob")]
    RangeNotSatisfiable {
        /// The blob's length in bytes.
        total: u64,
    },
}

impl ApiError {
    /// The HTTP status the client gets for this error.
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
            Overloaded { .. } | LoginRateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            LoginCsrfFailed => StatusCode::FORBIDDEN,
            LoginInvalid(_) => StatusCode::BAD_REQUEST,
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
            LoginRateLimited { .. } => ErrorCode::LoginRateLimited,
            LoginCsrfFailed => ErrorCode::LoginCsrfFailed,
            LoginInvalid(_) => ErrorCode::LoginInvalid,
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
                    ApiError::Overloaded { retry_after_secs } | ApiError::LoginRateLimited { retry_after_secs } => {
                        retry_after_secs
                    }
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
