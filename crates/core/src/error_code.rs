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
        /// A stable, machine-readable error code: what a client branches on. Serialised as its
        /// kebab-case string ([`ErrorCode::as_str`]), which never changes once shipped.
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
    /// An `/api` call came without an `x-api-key` header (401).
    MissingApiKey => "missing-api-key",
    /// The `x-api-key` header does not match the server's key (403).
    InvalidApiKey => "invalid-api-key",
    // Sessions and jobs.
    /// The session id in the path is not a canonical lower-case UUID.
    InvalidSessionId => "invalid-session-id",
    /// No session has this id (never started, or expired and removed).
    SessionNotFound => "session-not-found",
    /// The session is finishing, finished or aborted, so it takes no more uploads or changes.
    SessionNotOpen => "session-not-open",
    /// `finish` came while a chunked upload of the session still lacks chunks.
    IncompleteUpload => "incomplete-upload",
    /// The session has no finalization job (`finish` was never accepted, or the job is gone).
    JobNotFound => "job-not-found",
    /// The finalization stream was opened without its `jobId` query parameter.
    MissingJobId => "missing-job-id",
    /// The finalization stream's `token` is missing or not valid for this job.
    InvalidToken => "invalid-token",
    /// The finalization stream's token has expired; the client should poll the status instead.
    TokenExpired => "token-expired",
    // Blobs.
    /// A hash in the path or body is not 64 hex digits.
    InvalidHash => "invalid-hash",
    /// The store has no blob with this hash.
    BlobNotFound => "blob-not-found",
    /// A stored blob's bytes do not match its hash; the client learns nothing more.
    BlobCorrupt => "blob-corrupt",
    // Requests and bodies.
    /// The body is not valid JSON, or not of the shape the route expects.
    InvalidJson => "invalid-json",
    /// The request is well-formed but its values are not acceptable; the message says which.
    InvalidRequest => "invalid-request",
    /// No API route has this method and path.
    RouteNotFound => "route-not-found",
    /// The body's `Content-Type` is not one the route accepts (JSON or multipart).
    UnsupportedContentType => "unsupported-content-type",
    /// The body is larger than the route's limit (413).
    RequestTooLarge => "request-too-large",
    /// The body stopped arriving, or did not arrive whole, within the server's time limit.
    BodyTimeout => "body-timeout",
    /// The body could not be read (the connection failed mid-body).
    BodyReadFailed => "body-read-failed",
    /// The server is at capacity (429); retry after `Retry-After` seconds.
    Overloaded => "overloaded",
    /// The server failed (storage, I/O, a bug); details are only in its log.
    InternalError => "internal-error",
    // Readers' logins.
    /// Too many failed logins from this address or on this server (429, `Retry-After`).
    LoginRateLimited => "login-rate-limited",
    /// A login or logout form without the CSRF value of its cookie (403): sent from another
    /// site, or from a page older than its cookie.
    LoginCsrfFailed => "login-csrf-failed",
    /// The login or logout form is not `name`, `password`, `csrf` and `next` as a form body.
    LoginInvalid => "login-invalid",
    // Streaming (multipart) uploads.
    /// Multipart (streaming) uploads are turned off on this server.
    StreamingDisabled => "streaming-disabled",
    /// A `multipart/form-data` body has no `boundary` parameter.
    MultipartBoundaryMissing => "multipart-boundary-missing",
    /// The multipart body cannot be parsed.
    MalformedMultipart => "malformed-multipart",
    /// A multipart part has another name than `assets`.
    UnexpectedField => "unexpected-field",
    /// A multipart part has no file name (which is the asset's path in the vault).
    MissingFilename => "missing-filename",
    /// One request names the same asset path twice.
    DuplicatePath => "duplicate-path",
    /// A part's `Content-Digest` header is not a valid `sha-256=:…:` field.
    InvalidContentDigest => "invalid-content-digest",
    /// The upload or hash check holds no file.
    NoFiles => "no-files",
    /// The request holds more files than `maxFilesPerRequest`.
    TooManyFiles => "too-many-files",
    // One file of an upload.
    /// The file is larger than the server's per-asset limit.
    FileTooLarge => "file-too-large",
    /// The file has no bytes.
    EmptyFile => "empty-file",
    /// The type detected from the file's bytes is not on the server's allowlist.
    UnsupportedMediaType => "unsupported-media-type",
    /// The bytes received do not hash to the `Content-Digest` the client declared.
    DigestMismatch => "digest-mismatch",
    /// A size differs from the one declared (a hash check's `size`, or an envelope's sizes).
    SizeMismatch => "size-mismatch",
    /// The virus scanner found a virus in the file.
    VirusDetected => "virus-detected",
    /// The file is larger than the virus scanner accepts, so it is refused.
    TooLargeToScan => "too-large-to-scan",
    /// Scanning is on and the scanner cannot be reached, so no file is accepted now.
    ScannerUnavailable => "scanner-unavailable",
    // Asset paths.
    /// The asset path is empty.
    PathEmpty => "path-empty",
    /// The asset path starts with `/` or a drive letter.
    PathAbsolute => "path-absolute",
    /// The asset path has a `..` segment.
    PathTraversal => "path-traversal",
    /// The asset path has a `.` segment.
    PathDotSegment => "path-dot-segment",
    /// The asset path has a backslash.
    PathBackslash => "path-backslash",
    /// The asset path has a NUL character.
    PathNul => "path-nul",
    /// The asset path has a control character.
    PathControlCharacter => "path-control-character",
    /// The asset path has an empty segment (`//` or a trailing `/`).
    PathEmptySegment => "path-empty-segment",
    /// The asset path is longer than 1024 bytes.
    PathTooLong => "path-too-long",
    /// A name in the asset path is longer than 255 bytes.
    PathNameTooLong => "path-name-too-long",
    // The plugin's chunk envelope.
    /// An upload body is not a chunk envelope (`{metadata, data}`).
    InvalidEnvelope => "invalid-envelope",
    /// The `uploadId` is not `notes-<sessionId>-<id>` or `assets-<sessionId>-<id>` for this route.
    InvalidUploadId => "invalid-upload-id",
    /// The `uploadId` names another session than the path.
    SessionMismatch => "session-mismatch",
    /// The chunk metadata is impossible (e.g. `totalChunks` of 0).
    InvalidChunkMetadata => "invalid-chunk-metadata",
    /// `chunkIndex` is not below `totalChunks`.
    ChunkIndexOutOfRange => "chunk-index-out-of-range",
    /// `totalChunks` is over the server's limit.
    TooManyChunks => "too-many-chunks",
    /// `totalChunks`, `originalSize` or `compressedSize` differs from earlier chunks of the upload.
    InconsistentChunkMetadata => "inconsistent-chunk-metadata",
    /// A chunk's `data` (or a legacy asset's `contentBase64`) is not standard padded base64.
    InvalidBase64 => "invalid-base64",
    /// One decoded chunk is larger than the server's limit.
    ChunkTooLarge => "chunk-too-large",
    /// The upload's compressed size is over the server's limit.
    UploadTooLarge => "upload-too-large",
    /// The upload is over the server's limit once decompressed.
    DecompressedTooLarge => "decompressed-too-large",
    /// The reassembled upload is not a valid gzip stream.
    InvalidGzip => "invalid-gzip",
    /// The session already has as many chunked uploads open as the server allows.
    TooManyOpenUploads => "too-many-open-uploads",
    /// The upload is complete and still being processed; retry the chunk shortly.
    UploadInProgress => "upload-in-progress",
    /// The upload was discarded (expired, or its session removed); it cannot complete.
    UploadGone => "upload-gone",
    // One asset of a legacy JSON payload.
    /// An asset of a JSON `assets` payload lacks a required field.
    MissingField => "missing-field",
    /// A field of an asset of a JSON `assets` payload is not a string.
    InvalidField => "invalid-field",
    /// A field appears twice in one asset of a JSON `assets` payload.
    DuplicateField => "duplicate-field",
    /// A text field of an asset of a JSON `assets` payload is over the server's length limit.
    FieldTooLong => "field-too-long",
    // Publishing (a finalization job's `errorCode`).
    /// A note's frontmatter `permalink:` is not a route it may have (not a text, not starting
    /// with `/`, a `.`, `..` or empty segment, a control character, a reserved path…).
    InvalidPermalink => "invalid-permalink",
    /// Two notes have the same permalink, or a note's permalink is another note's route.
    PermalinkCollision => "permalink-collision",
    // Image variants (a [`crate::image::VariantRecord`]'s `refused`, the `reason` of the
    // `vps_image_decode_refusals_total` metric). The original is served as uploaded.
    /// The image has more pixels than `IMAGE_MAX_PIXELS` allows (a decompression bomb, or a
    /// huge scan).
    ImageTooManyPixels => "image-too-many-pixels",
    /// Decoding the image would take more memory than `IMAGE_MAX_DECODE_BYTES` allows.
    ImageTooMuchMemory => "image-too-much-memory",
    /// Making the image's variants took longer than `IMAGE_DECODE_TIMEOUT_SECS`.
    ImageTooSlow => "image-too-slow",
    /// The file is larger than `IMAGE_MAX_SOURCE_BYTES`: it is not read to be decoded.
    ImageTooLarge => "image-too-large",
    /// The image's bytes could not be decoded (damaged, truncated, not what its type says).
    ImageUndecodable => "image-undecodable",
    /// The image is animated: a still variant would replace its animation.
    ImageAnimated => "image-animated",
    /// The image's format is not one variants are made from.
    ImageUnsupported => "image-unsupported",
    /// Making the image's variants stopped the server (or panicked) once: it is not tried again.
    ImageCrashed => "image-crashed",
    /// A published `.canvas` file is not JSON Canvas: not JSON, a node or edge without its
    /// required fields, a coordinate that is not finite or outside ±1e7, a size not in (0, 1e5].
    InvalidCanvas => "invalid-canvas",
    /// A published `.canvas` file is over a bound: its bytes, `MAX_CANVAS_NODES` nodes or
    /// `MAX_CANVAS_EDGES` edges.
    CanvasTooLarge => "canvas-too-large",
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
