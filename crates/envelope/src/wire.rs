//! The chunk envelope as it travels, and the upload id inside it.

use std::fmt;

use serde::{Deserialize, Serialize};
use vps_core::SessionId;

use crate::EnvelopeError;

/// One request of a chunked upload (protocol §4). Unknown fields are ignored.
///
/// ```json
/// {"metadata":{"uploadId":"notes-0b6f…-5d2e…","chunkIndex":0,"totalChunks":2,"originalSize":3383,"compressedSize":1180},"data":"H4sI…"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Which upload this chunk belongs to and the sizes it declares.
    pub metadata: EnvelopeMetadata,
    /// Standard padded base64 of the gzip bytes `[i·c, min((i+1)·c, compressedSize))`.
    pub data: String,
}

/// The `metadata` object of a chunk envelope: every chunk of one upload repeats the same
/// `uploadId`, `totalChunks`, `originalSize` and `compressedSize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeMetadata {
    /// `notes-<sessionId>-<uuid>` or `assets-<sessionId>-<uuid>`, one per batch.
    pub upload_id: String,
    /// This chunk's position, from 0 to `totalChunks - 1`; chunks may arrive in any order.
    pub chunk_index: u64,
    /// How many chunks the upload has (at least 1).
    pub total_chunks: u64,
    /// Exact byte length of the batch JSON.
    pub original_size: u64,
    /// Exact length of the gzip stream.
    pub compressed_size: u64,
}

impl Envelope {
    /// Parses a request body already known to be JSON.
    pub fn from_value(value: serde_json::Value) -> Result<Self, EnvelopeError> {
        serde_json::from_value(value).map_err(|e| EnvelopeError::InvalidEnvelope(e.to_string()))
    }

    /// Parses a request body.
    pub fn from_slice(body: &[u8]) -> Result<Self, EnvelopeError> {
        serde_json::from_slice(body).map_err(|e| {
            if e.is_data() {
                EnvelopeError::InvalidEnvelope(e.to_string())
            } else {
                EnvelopeError::InvalidJson(e.to_string())
            }
        })
    }
}

/// Whether a JSON body is a chunk envelope: an object with `data` and an object `metadata`
/// holding `uploadId`, `chunkIndex` and `totalChunks` (the reference's test, protocol §4).
pub fn is_envelope(body: &serde_json::Value) -> bool {
    let Some(body) = body.as_object() else { return false };
    let Some(metadata) = body.get("metadata").and_then(|m| m.as_object()) else { return false };
    body.contains_key("data") && ["uploadId", "chunkIndex", "totalChunks"].iter().all(|k| metadata.contains_key(*k))
}

/// The upload route a chunk came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteKind {
    /// `POST /api/session/{id}/notes/upload`: a notes batch.
    Notes,
    /// `POST /api/session/{id}/assets/upload`: a legacy JSON asset payload.
    Assets,
}

impl RouteKind {
    /// `notes` or `assets`: the upload id's prefix and the store's directory name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notes => "notes",
            Self::Assets => "assets",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "notes" => Some(Self::Notes),
            "assets" => Some(Self::Assets),
            _ => None,
        }
    }
}

impl fmt::Display for RouteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The part of an upload id after `<kind>-<sessionId>-`: the plugin puts a UUID there. It names
/// a directory, so only `[A-Za-z0-9_-]{1,64}` is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct UploadTail(String);

impl UploadTail {
    const MAX_LEN: usize = 64;

    /// Splits `<kind>-<sessionId>-<tail>`, checking the kind and the session.
    pub(crate) fn parse(upload_id: &str, session: SessionId, kind: RouteKind) -> Result<Self, EnvelopeError> {
        let invalid = || EnvelopeError::InvalidUploadId(upload_id.chars().take(200).collect());
        let rest = upload_id.strip_prefix(kind.as_str()).and_then(|r| r.strip_prefix('-')).ok_or_else(invalid)?;
        // A session id is always 36 ASCII characters.
        let (id, tail) = (rest.get(..36).ok_or_else(invalid)?, &rest[36..]);
        let tail = tail.strip_prefix('-').ok_or_else(invalid)?;
        let owner = SessionId::parse(id).map_err(|_| invalid())?;
        if owner != session {
            return Err(EnvelopeError::SessionMismatch {
                upload_id: upload_id.to_owned(),
                session: session.to_string(),
            });
        }
        Self::from_dir_name(tail).ok_or_else(invalid)
    }

    /// Accepts a tail read back from the store's directory.
    pub(crate) fn from_dir_name(tail: &str) -> Option<Self> {
        let ok = (1..=Self::MAX_LEN).contains(&tail.len())
            && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(tail.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SESSION: &str = "0b6f1c9e-2f7a-4c1e-9d3b-5a8e7f6d4c21";

    #[test]
    fn detects_envelopes_like_the_reference() {
        let envelope = json!({"metadata": {"uploadId": "x", "chunkIndex": 0, "totalChunks": 1}, "data": ""});
        assert!(is_envelope(&envelope));
        for not in [
            json!({"metadata": {"uploadId": "x", "chunkIndex": 0}, "data": ""}),
            json!({"metadata": "x", "data": ""}),
            json!({"metadata": {"uploadId": "x", "chunkIndex": 0, "totalChunks": 1}}),
            json!({"notes": []}),
            json!([1]),
        ] {
            assert!(!is_envelope(&not), "{not}");
        }
    }

    #[test]
    fn parses_camel_case_and_ignores_unknown_fields() {
        let body = br#"{"metadata":{"uploadId":"u","chunkIndex":1,"totalChunks":2,"originalSize":3,"compressedSize":4,"extra":true},"data":"QQ==","more":1}"#;
        let envelope = Envelope::from_slice(body).unwrap();
        assert_eq!(envelope.metadata.chunk_index, 1);
        assert_eq!(envelope.metadata.compressed_size, 4);
        assert_eq!(Envelope::from_slice(b"{").unwrap_err().code(), "invalid-json");
        assert_eq!(Envelope::from_slice(br#"{"data":""}"#).unwrap_err().code(), "invalid-envelope");
        let negative = br#"{"metadata":{"uploadId":"u","chunkIndex":-1,"totalChunks":2,"originalSize":3,"compressedSize":4},"data":""}"#;
        assert_eq!(Envelope::from_slice(negative).unwrap_err().code(), "invalid-envelope");
    }

    #[test]
    fn upload_ids_name_their_route_and_session() {
        let session = SessionId::parse(SESSION).unwrap();
        let tail = UploadTail::parse(
            &format!("notes-{SESSION}-5d2e8c1a-0000-4000-8000-000000000000"),
            session,
            RouteKind::Notes,
        );
        assert_eq!(tail.unwrap().as_str(), "5d2e8c1a-0000-4000-8000-000000000000");

        let other = "11111111-2222-4333-8444-555555555555";
        let err = UploadTail::parse(&format!("notes-{other}-x"), session, RouteKind::Notes).unwrap_err();
        assert_eq!(err.code(), "session-mismatch");
        for bad in [
            format!("assets-{SESSION}-x"),
            format!("notes-{SESSION}-"),
            format!("notes-{SESSION}x"),
            format!("notes-{SESSION}-../../x"),
            format!("notes-{SESSION}-{}", "a".repeat(65)),
            "notes-".to_owned(),
            format!("notes-{}-x", SESSION.to_uppercase()),
            "notes-é".to_owned(),
        ] {
            let err = UploadTail::parse(&bad, session, RouteKind::Notes).unwrap_err();
            assert_eq!(err.code(), "invalid-upload-id", "{bad}");
        }
    }
}
