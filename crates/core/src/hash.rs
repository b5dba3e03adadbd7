use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The SHA-256 of a blob's bytes: the blob's name everywhere (store key, URL, ETag).
///
/// Always held as 64 lower-case hex digits; upper-case input is accepted and folded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash([u8; 32]);

/// Why a string is not a [`ContentHash`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentHashError {
    /// The text is not 64 characters long (holds its length in characters).
    #[error("a SHA-256 hash has 64 hex digits, this one has {0} characters")]
    Length(usize),
    /// The text has a character that is not a hex digit.
    #[error("a SHA-256 hash is written in hex digits (0-9, a-f)")]
    NotHex,
    /// A `Content-Digest`'s `sha-256` is not 32 bytes of base64 between colons.
    #[error("a Content-Digest's sha-256 is 32 bytes in base64 between colons (sha-256=:…:)")]
    BadDigest,
}

impl ContentHash {
    /// Parses 64 hex digits (either case).
    pub fn parse(text: &str) -> Result<Self, ContentHashError> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(ContentHashError::Length(text.chars().count()));
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            *slot = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Ok(Self(out))
    }

    /// The SHA-256 of `bytes`, all in memory: the one way to hash a note's text, a page or a
    /// small blob (large files are streamed through a hasher, then [`ContentHash::from_digest`]).
    ///
    /// ```
    /// let hash = vps_core::ContentHash::of(b"");
    /// assert_eq!(hash.to_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /// ```
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest as _;

        Self(sha2::Sha256::digest(bytes).into())
    }

    /// Wraps a digest computed by a hasher.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    /// The `sha-256` of a `Content-Digest` field (RFC 9530): `sha-256=:<base64>:`, possibly
    /// among other algorithms (`sha-512=:…:, sha-256=:…:`), which are ignored. `None` when the
    /// field has no `sha-256`.
    pub fn from_content_digest(field: &str) -> Result<Option<Self>, ContentHashError> {
        use base64::Engine as _;

        let Some(value) = field.split(',').find_map(|member| member.trim().strip_prefix("sha-256=")) else {
            return Ok(None);
        };
        let encoded = value.trim().strip_prefix(':').and_then(|v| v.strip_suffix(':'));
        let bytes = encoded
            .and_then(|encoded| base64::engine::general_purpose::STANDARD.decode(encoded).ok())
            .ok_or(ContentHashError::BadDigest)?;
        let digest: [u8; 32] = bytes.try_into().map_err(|_| ContentHashError::BadDigest)?;
        Ok(Some(Self(digest)))
    }

    /// The `Content-Digest` field value that declares this hash: `sha-256=:<base64>:`.
    pub fn to_content_digest(&self) -> String {
        use base64::Engine as _;

        format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(self.0))
    }

    /// The 32 bytes of the digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The lower-case hex form.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

fn hex_value(digit: u8) -> Result<u8, ContentHashError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        _ => Err(ContentHashError::NotHex),
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

impl FromStr for ContentHash {
    type Err = ContentHashError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for ContentHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn of_hashes_bytes_as_sha256() {
        assert_eq!(ContentHash::of(b"").to_hex(), EMPTY);
        assert_eq!(
            ContentHash::of(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn round_trips_through_hex_and_folds_upper_case() {
        let hash = ContentHash::parse(&EMPTY.to_uppercase()).unwrap();
        assert_eq!(hash.to_string(), EMPTY);
    }

    #[test]
    fn refuses_wrong_length_and_non_hex() {
        assert_eq!(ContentHash::parse("abc"), Err(ContentHashError::Length(3)));
        let not_hex = format!("{}g", &EMPTY[..63]);
        assert_eq!(ContentHash::parse(&not_hex), Err(ContentHashError::NotHex));
        assert!(ContentHash::parse(&format!("{}é", &EMPTY[..62])).is_err());
    }

    #[test]
    fn serializes_as_a_json_string() {
        let hash: ContentHash = EMPTY.parse().unwrap();
        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(json, format!("\"{EMPTY}\""));
        assert_eq!(serde_json::from_str::<ContentHash>(&json).unwrap(), hash);
    }

    #[test]
    fn content_digest_fields_declare_a_sha256() {
        let hash = ContentHash::parse(&"ab".repeat(32)).unwrap();
        let field = hash.to_content_digest();
        assert_eq!(field, "sha-256=:q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=:");
        assert_eq!(ContentHash::from_content_digest(&field), Ok(Some(hash)));
        let among = format!("sha-512=:AAAA:, {field}");
        assert_eq!(ContentHash::from_content_digest(&among), Ok(Some(hash)));
        assert_eq!(ContentHash::from_content_digest("sha-512=:AAAA:"), Ok(None));
        for bad in ["sha-256=q6ur", "sha-256=:not base64:", "sha-256=:AAAA:", "sha-256=::"] {
            assert_eq!(ContentHash::from_content_digest(bad), Err(ContentHashError::BadDigest), "{bad}");
        }
    }
}
