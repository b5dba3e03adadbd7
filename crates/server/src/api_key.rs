//! The API key: generated on first start and kept in the data directory (mode 0600), or given by
//! the operator. It is never logged; `Debug` and `--print-config` redact it.

use std::fmt;
use std::io::ErrorKind;
use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use vps_store::{StoreError, durable};

/// The file in the data directory that holds a generated key.
pub const KEY_FILE: &str = "api-key";

/// The key every `/api` call must present in `x-api-key`: at least 8 visible ASCII characters.
/// Compared in constant time; its `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey(String);

/// Why no API key could be had at startup.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    /// The key given (flag, environment or settings) is too short or has spaces or non-ASCII.
    #[error("an API key must be at least 8 visible ASCII characters, without spaces")]
    Invalid,
    /// The key file in the data directory holds no valid key; carries the file's path.
    #[error("the API key file {0} is not a valid key")]
    BadFile(String),
    /// The key file exists but could not be read.
    #[error("cannot read the API key file")]
    Read(#[source] std::io::Error),
    /// A key was generated but could not be written durably to the data directory.
    #[error("cannot store the generated API key")]
    Store(#[from] StoreError),
    /// The operating system gave no random bytes to generate a key with.
    #[error("cannot generate an API key: no randomness from the system")]
    Random,
}

impl ApiKey {
    /// Trims surrounding whitespace and a leading byte-order mark (as the plugin's reference does).
    pub fn new(text: &str) -> Result<Self, ApiKeyError> {
        let text = clean(text);
        let visible = text.bytes().all(|b| b.is_ascii_graphic());
        if text.len() < 8 || !visible {
            return Err(ApiKeyError::Invalid);
        }
        Ok(Self(text.to_owned()))
    }

    /// A new random key: `vpsk_` and 64 hex digits (256 bits).
    pub fn generate() -> Result<Self, ApiKeyError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| ApiKeyError::Random)?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self(format!("vpsk_{hex}")))
    }

    /// Reads the key kept in `data_dir`, or generates and keeps one. The flag says whether it was
    /// generated now (then, and only then, the operator is shown it).
    pub fn load_or_generate(data_dir: &Path) -> Result<(Self, bool), ApiKeyError> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((Self::new(&text).map_err(|_| ApiKeyError::BadFile(path.display().to_string()))?, false)),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let key = Self::generate()?;
                durable::write_file(&path, format!("{}\n", key.0).as_bytes(), 0o600)?;
                Ok((key, true))
            }
            Err(e) => Err(ApiKeyError::Read(e)),
        }
    }

    /// Compares in constant time (over SHA-256 digests, so the length does not leak either).
    pub fn matches(&self, presented: &str) -> bool {
        let expected = Sha256::digest(self.0.as_bytes());
        let given = Sha256::digest(clean(presented).as_bytes());
        expected.as_slice().ct_eq(given.as_slice()).into()
    }

    /// The key itself, for the one place that shows it (first start) and for deriving tokens.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn clean(text: &str) -> &str {
    text.trim().trim_start_matches('\u{FEFF}').trim()
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn generated_once_then_read_back_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let (key, generated) = ApiKey::load_or_generate(dir.path()).unwrap();
        assert!(generated);
        assert!(key.expose().starts_with("vpsk_") && key.expose().len() == 69);
        let (again, generated) = ApiKey::load_or_generate(dir.path()).unwrap();
        assert!(!generated);
        assert_eq!(again.expose(), key.expose());
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn matching_ignores_surrounding_whitespace_and_bom_only() {
        let key = ApiKey::new("correct-horse").unwrap();
        assert!(key.matches("correct-horse"));
        assert!(key.matches("\u{FEFF}correct-horse \n"));
        assert!(!key.matches("correct-hors"));
        assert!(!key.matches(""));
        assert!(ApiKey::new("short").is_err());
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    }
}
