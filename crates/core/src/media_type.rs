use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A media type such as `image/png`, as detected from a file's content (never as claimed by a
/// client). Parameters (`; charset=…`) are not part of it; the server adds them when serving.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MediaType(Cow<'static, str>);

impl MediaType {
    /// A media type written in the code; `essence` must already be lower-case `type/subtype`
    /// (it is not checked).
    pub const fn from_static(essence: &'static str) -> Self {
        Self(Cow::Borrowed(essence))
    }

    /// Accepts `type/subtype` made of the token characters of RFC 9110, lower-cased.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        let (kind, subtype) = text.split_once('/')?;
        let token =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
        if token(kind) && token(subtype) { Some(Self(Cow::Owned(text))) } else { None }
    }

    /// `type/subtype`, lower-case, without parameters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `/`: `image` for `image/png`.
    pub fn top_level(&self) -> &str {
        self.0.split('/').next().unwrap_or_default()
    }

    /// Whether a browser treats it as text that needs a charset when served.
    pub fn is_textual(&self) -> bool {
        self.top_level() == "text" || matches!(self.as_str(), "application/json" | "image/svg+xml")
    }

    /// `application/octet-stream`: bytes of no known type.
    pub const OCTET_STREAM: Self = Self::from_static("application/octet-stream");
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MediaType({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_lowercases_essences() {
        assert_eq!(MediaType::parse(" Image/PNG ").unwrap().as_str(), "image/png");
        assert_eq!(MediaType::parse("image/svg+xml").unwrap().top_level(), "image");
        for bad in ["image", "/png", "image/", "image/png; q=1", "ima ge/png"] {
            assert!(MediaType::parse(bad).is_none(), "{bad:?}");
        }
    }
}
