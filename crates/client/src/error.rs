//! `ClientError`: every way a call can fail, sorted by [`ErrorKind`] for the caller (the CLI maps
//! kinds to exit codes and advice). No message ever holds the API key or an SSE token: the key
//! travels only in a sensitive header, and URLs are dropped from transport errors.

use std::path::PathBuf;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, SERVER};
use serde::Deserialize;
use vps_core::ErrorCode;

/// What kind of failure, for the caller to decide what to tell the user and whether to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The server refused the API key (401 missing, 403 wrong).
    Unauthorized,
    /// The server could not be reached (connect, DNS, refused, reset, timed out), after retries.
    Unreachable,
    /// The server refused the call with a JSON `{code, message}` body.
    Server,
    /// The server answered something this client does not understand.
    Protocol,
    /// A local file could not be read (or changed while it was being sent).
    Io,
    /// The client was given an unusable base URL or API key, or TLS could not be set up.
    Config,
}

/// Why a call to the server failed. Every variant names the `call` (`upload`, `finish`,
/// `notes upload`, …) as a short phrase for messages; [`ClientError::kind`] sorts them.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The client could not be built: an unusable base URL or API key, or no TLS setup.
    #[error("{reason}")]
    Config {
        /// What is wrong, as a full sentence for the user.
        reason: String,
    },

    /// The server answered 401 or 403: the API key is missing or not the server's.
    #[error("the server at {base} refused the API key ({status} on {call}); check the key it printed on first start")]
    Unauthorized {
        /// The call that was refused.
        call: &'static str,
        /// The server's base URL.
        base: String,
        /// 401 or 403.
        status: StatusCode,
    },

    /// No answer came back (connect, DNS, reset, timeout), after the retries were spent.
    #[error("cannot reach the server at {base} ({call}, {attempts} attempt(s)): {reason}")]
    Unreachable {
        /// The call that failed.
        call: &'static str,
        /// The server's base URL.
        base: String,
        /// How many attempts were made, the first included.
        attempts: u32,
        /// The innermost cause (`Connection refused`), as `timed out (…)` for a timeout.
        reason: String,
        /// The transport error, its URL removed (an event-stream URL carries a token).
        #[source]
        source: reqwest::Error,
    },

    /// The server refused the call with its JSON `{code, message}` error body.
    #[error("the server refused {call}: {message} ({status}, {code})")]
    Server {
        /// The call that was refused.
        call: &'static str,
        /// The answer's HTTP status.
        status: StatusCode,
        /// The server's kebab-case error code, as sent (possibly one this client does not know;
        /// see [`ClientError::code`]).
        code: String,
        /// The server's explanation, for the user.
        message: String,
    },

    /// A refusal that is not the server's (no JSON `{code, message}`): a reverse proxy in front
    /// of it answered, most often nginx with its own HTML page.
    #[error("the proxy in front of the server at {base}{by} refused {call}: {status} — {advice}")]
    Proxy {
        /// The call that was refused.
        call: &'static str,
        /// The server's base URL.
        base: String,
        /// 413, 502, 503 or 504.
        status: StatusCode,
        /// ` (nginx/1.22.1)`: the proxy's `Server` header, when it sent one; else empty.
        by: String,
        /// What to change on the proxy, as a sentence for the user.
        advice: &'static str,
    },

    /// The server (or whatever answered) said something this client cannot read: an unexpected
    /// status without a JSON error body, JSON of the wrong shape, a wrong hash; also a request
    /// body this client failed to build.
    #[error("the server's answer to {call} was not understood: {detail}")]
    Protocol {
        /// The call whose answer was not understood.
        call: &'static str,
        /// What was wrong, with an excerpt of the answer where it helps.
        detail: String,
    },

    /// A local file to upload could not be read, or no longer has the size it was scanned with.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file on disk.
        path: PathBuf,
        /// The read error (`InvalidData` for a file whose size changed).
        #[source]
        source: std::io::Error,
    },
}

impl ClientError {
    /// Which kind of failure this is; a proxy's 5xx counts as [`ErrorKind::Unreachable`] (the
    /// server behind it did not answer), its 413 as [`ErrorKind::Server`].
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Config { .. } => ErrorKind::Config,
            Self::Unauthorized { .. } => ErrorKind::Unauthorized,
            Self::Unreachable { .. } => ErrorKind::Unreachable,
            Self::Server { .. } => ErrorKind::Server,
            Self::Proxy { status, .. } if status.is_server_error() => ErrorKind::Unreachable,
            Self::Proxy { .. } => ErrorKind::Server,
            Self::Protocol { .. } => ErrorKind::Protocol,
            Self::Io { .. } => ErrorKind::Io,
        }
    }

    /// The HTTP status of a refusal, if the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Unauthorized { status, .. } | Self::Server { status, .. } | Self::Proxy { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The server's stable error code (`file-too-large`, `session-not-open`…), if it sent one
    /// this client knows (a newer server may send codes it does not: then only the message
    /// and the status tell).
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { code, .. } => code.parse().ok(),
            _ => None,
        }
    }

    pub(crate) fn protocol(call: &'static str, detail: impl Into<String>) -> Self {
        Self::Protocol { call, detail: detail.into() }
    }

    /// A transport failure, once the retries are spent. The URL is dropped from the source (an
    /// event-stream URL carries a token); the innermost cause ("Connection refused") is kept
    /// for the message, because reqwest's own text ("error sending request") says little.
    pub(crate) fn unreachable(call: &'static str, base: &str, attempts: u32, error: reqwest::Error) -> Self {
        let error = error.without_url();
        let mut reason = error.to_string();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&error);
        while let Some(inner) = cause {
            reason = inner.to_string();
            cause = inner.source();
        }
        if error.is_timeout() {
            reason = format!("timed out ({reason})");
        }
        Self::Unreachable { call, base: base.to_owned(), attempts, reason, source: error }
    }

    /// A non-2xx answer: 401/403 are about the key; a JSON `{code, message}` body is a refusal
    /// the server explained; a 413, 502, 503 or 504 without one comes from a proxy in front of
    /// the server (the server answers every call with JSON), and says what to change there;
    /// anything else is not understood. `headers` are the answer's (`Server` names the proxy).
    pub(crate) fn from_answer(
        call: &'static str,
        base: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &str,
    ) -> Self {
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Self::Unauthorized { call, base: base.to_owned(), status };
        }
        // `vps_core::api::ErrorBody`, read leniently: a code this client does not know is still
        // the server's refusal.
        #[derive(Deserialize)]
        struct Refusal {
            code: String,
            message: String,
        }
        if let Ok(Refusal { code, message }) = serde_json::from_str::<Refusal>(body) {
            return Self::Server { call, status, code, message };
        }
        let advice = match status {
            StatusCode::PAYLOAD_TOO_LARGE => {
                "the request is larger than the proxy accepts; raise its body size limit \
                 (nginx: client_max_body_size) to at least the server's MAX_REQUEST_BYTES"
            }
            StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
                "the proxy could not get an answer from the vps-publish server behind it; \
                 check that the server runs and that the proxy points at its address"
            }
            _ => {
                let excerpt: String = body.chars().take(200).collect();
                return Self::protocol(call, format!("status {status} with body {excerpt:?}"));
            }
        };
        let by = headers
            .get(SERVER)
            .and_then(|value| value.to_str().ok())
            .map(|name| format!(" ({})", name.chars().take(60).collect::<String>()))
            .unwrap_or_default();
        Self::Proxy { call, base: base.to_owned(), status, by, advice }
    }
}

/// A file that failed while its bytes were being sent. It travels inside reqwest's error as the
/// body's cause, and is turned back into [`ClientError::Io`] (never retried as a network error).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub(crate) struct LocalFileError {
    pub(crate) path: PathBuf,
    pub(crate) source: std::io::Error,
}

impl LocalFileError {
    pub(crate) fn find(error: &reqwest::Error) -> Option<&LocalFileError> {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(inner) = cause {
            if let Some(found) = inner.downcast_ref::<LocalFileError>() {
                return Some(found);
            }
            cause = inner.source();
        }
        None
    }

    pub(crate) fn to_client_error(&self) -> ClientError {
        ClientError::Io {
            path: self.path.clone(),
            source: std::io::Error::new(self.source.kind(), self.source.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_sorted_by_kind() {
        let body = r#"{"code":"file-too-large","message":"file \"a.png\" is larger than the limit of 10 bytes"}"#;
        let cases = [
            (401, "", ErrorKind::Unauthorized),
            (403, r#"{"code":"invalid-api-key","message":"x"}"#, ErrorKind::Unauthorized),
            (413, body, ErrorKind::Server),
            (500, r#"{"code":"internal-error","message":"internal error"}"#, ErrorKind::Server),
            (404, "<html>not found</html>", ErrorKind::Protocol),
            (409, r#"{"code":"a-code-from-a-newer-server","message":"x"}"#, ErrorKind::Server),
        ];
        for (status, body, kind) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            let error = ClientError::from_answer("upload", "http://h", status, &HeaderMap::new(), body);
            assert_eq!(error.kind(), kind, "{status} {body}");
        }
        let error =
            ClientError::from_answer("upload", "http://h", StatusCode::PAYLOAD_TOO_LARGE, &HeaderMap::new(), body);
        assert_eq!(error.code(), Some(ErrorCode::FileTooLarge));
        assert_eq!(error.status(), Some(StatusCode::PAYLOAD_TOO_LARGE));
        assert_eq!(
            error.to_string(),
            "the server refused upload: file \"a.png\" is larger than the limit of 10 bytes (413 Payload Too Large, file-too-large)"
        );
    }

    #[test]
    fn a_proxys_own_refusal_says_which_limit_to_raise() {
        let page = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>…</body></html>";
        let mut headers = HeaderMap::new();
        headers.insert(SERVER, "nginx/1.22.1".parse().unwrap());
        let error = ClientError::from_answer("upload", "http://h", StatusCode::PAYLOAD_TOO_LARGE, &headers, page);
        assert_eq!(error.kind(), ErrorKind::Server, "a refused publish");
        assert_eq!(error.status(), Some(StatusCode::PAYLOAD_TOO_LARGE));
        assert_eq!(
            error.to_string(),
            "the proxy in front of the server at http://h (nginx/1.22.1) refused upload: 413 Payload Too Large — \
             the request is larger than the proxy accepts; raise its body size limit (nginx: client_max_body_size) \
             to at least the server's MAX_REQUEST_BYTES"
        );

        let error = ClientError::from_answer("finish", "http://h", StatusCode::BAD_GATEWAY, &HeaderMap::new(), page);
        assert_eq!(error.kind(), ErrorKind::Unreachable, "the server behind the proxy is down");
        assert!(error.to_string().starts_with("the proxy in front of the server at http://h refused finish: 502"));
    }
}
