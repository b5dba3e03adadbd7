use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A publish session's id: a random UUID, always in its 36-character lower-case hyphenated form,
/// so that it is safe to paste into a URL path (the plugin does so without encoding).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(Uuid);

/// Why a string is not a [`SessionId`]: it is not a UUID in canonical lower-case form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a session id is a UUID such as 0b6f1c9e-2f7a-4c1e-9d3b-5a8e7f6d4c21")]
pub struct SessionIdError;

impl SessionId {
    /// A new random (version 4) id.
    pub fn generate() -> Self {
        Self(Uuid::new_v4())
    }

    /// Accepts only the canonical form `^[0-9a-f]{8}-[0-9a-f]{4}-…-[0-9a-f]{12}$`.
    pub fn parse(text: &str) -> Result<Self, SessionIdError> {
        let canonical = text.len() == 36
            && text.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
            });
        if !canonical {
            return Err(SessionIdError);
        }
        Uuid::parse_str(text).map(Self).map_err(|_| SessionIdError)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

impl Serialize for SessionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SessionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        let id = SessionId::generate();
        assert_eq!(SessionId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn only_the_canonical_form_is_accepted() {
        for bad in [
            "",
            "0B6F1C9E-2F7A-4C1E-9D3B-5A8E7F6D4C21",
            "0b6f1c9e2f7a4c1e9d3b5a8e7f6d4c21",
            "{0b6f1c9e-2f7a-4c1e-9d3b-5a8e7f6d4c21}",
            "../../etc/passwd-aaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(SessionId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(SessionId::parse("0b6f1c9e-2f7a-4c1e-9d3b-5a8e7f6d4c21").is_ok());
    }
}
