//! `contentBase64`, decoded as the reader moves through it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use tokio::io::AsyncRead;

use crate::EnvelopeError;
use crate::json_reader::{JsonReader, Piece, READ_BUFFER};

/// The most bytes one decoded chunk can hold: a full read buffer of base64 text plus the up to
/// three characters carried over from the previous one.
pub(crate) const MAX_DECODED_CHUNK: usize = READ_BUFFER.div_ceil(4) * 3;

/// Why the content stream stopped.
#[derive(Debug)]
pub(crate) enum ContentError {
    /// The string is not standard padded base64: only this asset fails.
    Base64,
    /// The file is not valid JSON or could not be read: the whole payload fails.
    Fatal(EnvelopeError),
}

/// Decodes a base64 JSON string into chunks of bytes, one per run of text in the reader's
/// buffer. Characters that do not fill a 4-character group wait in `pending`.
#[derive(Debug, Default)]
pub(crate) struct Base64Content {
    pending: [u8; 4],
    pending_len: usize,
    /// A group ending in `=` was decoded: nothing may follow it.
    padded: bool,
    /// The closing quote was consumed.
    finished: bool,
}

impl Base64Content {
    /// Whether the whole string was consumed.
    pub(crate) fn finished(&self) -> bool {
        self.finished
    }

    /// The next decoded chunk (at most [`MAX_DECODED_CHUNK`] bytes, never empty), or `None`
    /// after the closing quote.
    pub(crate) async fn next_chunk<R>(&mut self, reader: &mut JsonReader<R>) -> Result<Option<Bytes>, ContentError>
    where
        R: AsyncRead + Unpin,
    {
        while !self.finished {
            let decoded = match reader.next_piece().await.map_err(ContentError::Fatal)? {
                Piece::End => {
                    self.finished = true;
                    if self.pending_len != 0 {
                        return Err(ContentError::Base64);
                    }
                    return Ok(None);
                }
                // JSON allows any character to be escaped (`\/` is common); only ASCII can be
                // base64.
                Piece::Escaped(c) if c.is_ascii() => self.decode(&[c as u8])?,
                Piece::Escaped(_) => return Err(ContentError::Base64),
                Piece::Text(len) => self.decode(reader.take(len))?,
            };
            if !decoded.is_empty() {
                return Ok(Some(decoded));
            }
        }
        Ok(None)
    }

    fn decode(&mut self, mut text: &[u8]) -> Result<Bytes, ContentError> {
        if text.is_empty() {
            return Ok(Bytes::new());
        }
        if self.padded {
            return Err(ContentError::Base64);
        }
        let mut out = Vec::with_capacity((self.pending_len + text.len()) / 4 * 3);
        if self.pending_len > 0 {
            let take = (4 - self.pending_len).min(text.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&text[..take]);
            self.pending_len += take;
            text = &text[take..];
            if self.pending_len < 4 {
                return Ok(Bytes::new());
            }
            self.pending_len = 0;
            let group = self.pending;
            self.decode_groups(&group, &mut out)?;
        }
        let whole = text.len() / 4 * 4;
        if whole > 0 {
            self.decode_groups(&text[..whole], &mut out)?;
        }
        let rest = &text[whole..];
        if !rest.is_empty() {
            if self.padded {
                return Err(ContentError::Base64);
            }
            self.pending[..rest.len()].copy_from_slice(rest);
            self.pending_len = rest.len();
        }
        debug_assert!(out.len() <= MAX_DECODED_CHUNK);
        Ok(Bytes::from(out))
    }

    /// Decodes whole 4-character groups; padding may only end the last of them, and then nothing
    /// may follow.
    fn decode_groups(&mut self, groups: &[u8], out: &mut Vec<u8>) -> Result<(), ContentError> {
        if self.padded {
            return Err(ContentError::Base64);
        }
        STANDARD.decode_vec(groups, out).map_err(|_| ContentError::Base64)?;
        self.padded = groups.last() == Some(&b'=');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Decodes the JSON string `json` (with its quotes) and the chunk sizes seen.
    async fn decode(json: &[u8]) -> (Result<Vec<u8>, ContentError>, Vec<usize>) {
        let mut reader = JsonReader::new(json, Path::new("test.json"));
        reader.expect(b'"', "string").await.unwrap();
        let mut content = Base64Content::default();
        let mut out = Vec::new();
        let mut sizes = Vec::new();
        loop {
            match content.next_chunk(&mut reader).await {
                Ok(Some(chunk)) => {
                    sizes.push(chunk.len());
                    out.extend_from_slice(&chunk);
                }
                Ok(None) => return (Ok(out), sizes),
                Err(e) => return (Err(e), sizes),
            }
        }
    }

    #[tokio::test]
    async fn decodes_standard_padded_base64_with_escapes() {
        for (json, expected) in [
            (&br#""""#[..], &b""[..]),
            (br#""QQ==""#, b"A"),
            (br#""QUI=""#, b"AB"),
            (br#""QUJD""#, b"ABC"),
            (br#""Pz8\/""#, b"???"),
            (br#""\u0051UJD""#, b"ABC"),
        ] {
            let (out, _) = decode(json).await;
            assert_eq!(out.unwrap(), expected, "{}", String::from_utf8_lossy(json));
        }
    }

    #[tokio::test]
    async fn refuses_anything_else() {
        for json in [
            &br#""QQ""#[..],
            br#""QQ=""#,
            br#""QQ==QUJD""#,
            br#""QUI=QQ==""#,
            br#""Q===""#,
            br#""QUJD QUJD""#,
            br#""QU-D""#,
            br#""QUJ\u00e9""#,
            br#""QR==""#,
            br#""QUJDQ""#,
        ] {
            let (out, _) = decode(json).await;
            assert!(matches!(out, Err(ContentError::Base64)), "{}", String::from_utf8_lossy(json));
        }
        let (out, _) = decode(br#""QUJD"#).await;
        assert!(matches!(out, Err(ContentError::Fatal(_))), "a truncated file is not a base64 problem");
    }

    #[tokio::test]
    async fn groups_split_across_buffer_refills_are_joined() {
        // Offsets the text so that groups straddle every refill of the reader's buffer.
        let data: Vec<u8> = (0..(READ_BUFFER * 2)).map(|i| (i * 31 % 256) as u8).collect();
        for shift in 1..4 {
            let json = format!("{}\"{}\"", " ".repeat(shift), STANDARD.encode(&data));
            let mut reader = JsonReader::new(json.as_bytes(), Path::new("test.json"));
            reader.expect(b'"', "string").await.unwrap();
            let mut content = Base64Content::default();
            let mut out = Vec::new();
            while let Some(chunk) = content.next_chunk(&mut reader).await.unwrap() {
                assert!(chunk.len() <= MAX_DECODED_CHUNK);
                out.extend_from_slice(&chunk);
            }
            assert_eq!(out, data, "shift {shift}");
        }
    }
}
