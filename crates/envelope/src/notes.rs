//! The notes payload (protocol §3.2): small enough to parse whole.

use std::fs::File;
use std::io::BufReader;

use serde::Deserialize;

use crate::{EnvelopeError, TempJson};

/// A reassembled notes batch: `{"notes":[…], "cleanupRules"?: […]}`. The items stay untyped
/// JSON; the server gives them their types.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotesPayload {
    /// The batch's notes, each as the plugin sent it (required; may be empty).
    pub notes: Vec<serde_json::Value>,
    /// Sent with the first batch only, and omitted when empty.
    #[serde(default)]
    pub cleanup_rules: Vec<serde_json::Value>,
}

/// Parses a decompressed notes payload.
///
/// A batch is about `L` (1 MiB) of JSON, so this parses it whole, synchronously; the size is
/// bounded by the decompressed cap the file was gunzipped with (see
/// [`ChunkLimits::max_notes_bytes`](crate::ChunkLimits::max_notes_bytes)). Call it from
/// `spawn_blocking` if that cap is large.
pub fn read_notes_payload(json: &TempJson) -> Result<NotesPayload, EnvelopeError> {
    let file = File::open(json.path()).map_err(EnvelopeError::io("open", json.path()))?;
    serde_json::from_reader(BufReader::new(file)).map_err(|e| {
        if e.is_io() {
            EnvelopeError::io("read", json.path())(e.into())
        } else {
            EnvelopeError::InvalidJson(e.to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;
    use crate::gunzip_to_file;

    async fn temp_json(dir: &std::path::Path, text: &str) -> TempJson {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        let gz = encoder.finish().unwrap();
        gunzip_to_file(&gz[..], 1 << 20, text.len() as u64, dir).await.unwrap()
    }

    #[tokio::test]
    async fn parses_notes_and_optional_cleanup_rules() {
        let dir = tempfile::tempdir().unwrap();
        let json = temp_json(
            dir.path(),
            r#"{"notes":[{"noteId":"n1","vaultPath":"Blog/post.md"}],"cleanupRules":[{"id":"r","regex":"x","isDefault":true}],"extra":1}"#,
        )
        .await;
        let payload = read_notes_payload(&json).unwrap();
        assert_eq!(payload.notes[0]["vaultPath"], "Blog/post.md");
        assert_eq!(payload.cleanup_rules.len(), 1);

        let json = temp_json(dir.path(), r#"{"notes":[]}"#).await;
        assert_eq!(read_notes_payload(&json).unwrap(), NotesPayload { notes: vec![], cleanup_rules: vec![] });
    }

    #[tokio::test]
    async fn wrong_shapes_are_invalid_json() {
        let dir = tempfile::tempdir().unwrap();
        for text in [r#"{"cleanupRules":[]}"#, r#"{"notes":{}}"#, r#"[]"#, r#"{"notes":[]} x"#] {
            let json = temp_json(dir.path(), text).await;
            assert_eq!(read_notes_payload(&json).unwrap_err().code(), "invalid-json", "{text}");
        }
    }
}
