//! [`ErrorCode`]: every stable, machine-readable code the server answers with, in one place.
//!
//! A code is what a client branches on (the plugin, `vps-client`, the CLI's advice), so the
//! strings never change once shipped: each is written once below, next to its variant, and
//! serialised as that exact kebab-case string (the `code` of an error body, of a refused file of
//! an upload, of a refused entry of a hash check).
//!
//! ```
//! use vps_core::ErrorCode;
//!
//! assert_eq!(ErrorCode::SessionNotOpen.as_str(), "session-not-open");
//! assert_eq!("file-too-large".parse::<ErrorCode>(), Ok(ErrorCode::FileTooLarge));
//! assert_eq!(serde_json::to_string(&ErrorCode::InvalidJson).unwrap(), r#""invalid-json""#);
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares the enum, its string table and the list of every code from one list.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// A stable error code. See the [module docs](self).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }
        }

        impl FromStr for ErrorCode {
            type Err = UnknownErrorCode;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok(ErrorCode::$variant),)*
                    _ => Err(UnknownErrorCode(text.chars().take(100).collect())),
                }
            }
        }
    };
}

error_codes! {
    // Authentication.
    MissingApiKey => "missing-api-key",
    InvalidApiKey => "invalid-api-key",
    // Sessions and jobs.
    InvalidSessionId => "invalid-session-id",
    SessionNotFound => "session-not-found",
    SessionNotOpen => "session-not-open",
    IncompleteUpload => "incomplete-upload",
    JobNotFound => "job-not-found",
    MissingJobId => "missing-job-id",
    InvalidToken => "invalid-token",
    TokenExpired => "token-expired",
    // Blobs.
    InvalidHash => "invalid-hash",
    BlobNotFound => "blob-not-found",
    BlobCorrupt => "blob-corrupt",
    // Requests and bodies.
    InvalidJson => "invalid-json",
    InvalidRequest => "invalid-request",
    RouteNotFound => "route-not-found",
    UnsupportedContentType => "unsupported-content-type",
    RequestTooLarge => "request-too-large",
    BodyTimeout => "body-timeout",
    BodyReadFailed => "body-read-failed",
    Overloaded => "overloaded",
    InternalError => "internal-error",
    // Streaming (multipart) uploads.
    StreamingDisabled => "streaming-disabled",
    MultipartBoundaryMissing => "multipart-boundary-missing",
    MalformedMultipart => "malformed-multipart",
    UnexpectedField => "unexpected-field",
    MissingFilename => "missing-filename",
    DuplicatePath => "duplicate-path",
    InvalidContentDigest => "invalid-content-digest",
    NoFiles => "no-files",
    TooManyFiles => "too-many-files",
    // One file of an upload.
    FileTooLarge => "file-too-large",
    EmptyFile => "empty-file",
    UnsupportedMediaType => "unsupported-media-type",
    DigestMismatch => "digest-mismatch",
    SizeMismatch => "size-mismatch",
    VirusDetected => "virus-detected",
    TooLargeToScan => "too-large-to-scan",
    ScannerUnavailable => "scanner-unavailable",
    // Asset paths.
    PathEmpty => "path-empty",
    PathAbsolute => "path-absolute",
    PathTraversal => "path-traversal",
    PathDotSegment => "path-dot-segment",
    PathBackslash => "path-backslash",
    PathNul => "path-nul",
    PathControlCharacter => "path-control-character",
    PathEmptySegment => "path-empty-segment",
    PathTooLong => "path-too-long",
    PathNameTooLong => "path-name-too-long",
    // The plugin's chunk envelope.
    InvalidEnvelope => "invalid-envelope",
    InvalidUploadId => "invalid-upload-id",
    SessionMismatch => "session-mismatch",
    InvalidChunkMetadata => "invalid-chunk-metadata",
    ChunkIndexOutOfRange => "chunk-index-out-of-range",
    TooManyChunks => "too-many-chunks",
    InconsistentChunkMetadata => "inconsistent-chunk-metadata",
    InvalidBase64 => "invalid-base64",
    ChunkTooLarge => "chunk-too-large",
    UploadTooLarge => "upload-too-large",
    DecompressedTooLarge => "decompressed-too-large",
    InvalidGzip => "invalid-gzip",
    TooManyOpenUploads => "too-many-open-uploads",
    UploadInProgress => "upload-in-progress",
    UploadGone => "upload-gone",
    // One asset of a legacy JSON payload.
    MissingField => "missing-field",
    InvalidField => "invalid-field",
    DuplicateField => "duplicate-field",
    FieldTooLong => "field-too-long",
}

/// A code this version does not know (sent by a newer server, or made up).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code {0:?}")]
pub struct UnknownErrorCode(pub String);

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets a test or a log filter compare a code with the text a client sees.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_kebab_case_unique_and_round_trips() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.split('-')
                    .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{text} is not kebab-case"
            );
            assert_eq!(text.parse::<ErrorCode>(), Ok(*code));
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
        }
    }

    #[test]
    fn an_unknown_code_is_an_error_not_a_guess() {
        assert_eq!("no-such-code".parse::<ErrorCode>(), Err(UnknownErrorCode("no-such-code".into())));
        assert!(serde_json::from_str::<ErrorCode>("\"Invalid-Json\"").is_err());
    }
}
