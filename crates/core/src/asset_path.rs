use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ErrorCode;

/// An asset's path inside the vault, as the writer sees it: `Attachments/my diagram.png`.
///
/// It is a key in a manifest, never a filesystem path, yet it is still held to rules that make
/// every use of it safe: `/`-separated, relative, no `.` or `..` segment, no empty segment, no
/// backslash, no control character, and bounded in length.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetPath(String);

/// The longest path accepted, in bytes.
pub(crate) const MAX_PATH_BYTES: usize = 1024;
/// The longest single segment (file or folder name) accepted, in bytes, as on most filesystems.
pub(crate) const MAX_SEGMENT_BYTES: usize = 255;

/// Why a string is not an [`AssetPath`]; [`AssetPathError::code`] is the stable API code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetPathError {
    /// The string is empty.
    #[error("the asset path is empty")]
    Empty,
    /// It starts with `/` or a drive letter (`C:`).
    #[error("the asset path is absolute; it must be relative to the vault")]
    Absolute,
    /// A segment is `..`.
    #[error("the asset path has a `..` segment")]
    Traversal,
    /// A segment is `.`.
    #[error("the asset path has a `.` segment")]
    DotSegment,
    /// It contains `\`.
    #[error("the asset path has a backslash; use `/` between folders")]
    Backslash,
    /// It contains a NUL character.
    #[error("the asset path has a NUL character")]
    Nul,
    /// It contains another control character (newline, tab, DEL…).
    #[error("the asset path has a control character")]
    ControlCharacter,
    /// It has `//`, or ends with `/`.
    #[error("the asset path has an empty segment (`//`, or a `/` at its start or end)")]
    EmptySegment,
    /// It is longer than 1024 bytes (holds its length in bytes).
    #[error("the asset path is {0} bytes long; the limit is {MAX_PATH_BYTES}")]
    TooLong(usize),
    /// One segment is longer than 255 bytes (holds that segment's length in bytes).
    #[error("a name in the asset path is {0} bytes long; the limit is {MAX_SEGMENT_BYTES}")]
    NameTooLong(usize),
}

impl AssetPathError {
    /// The machine-readable code the API answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::PathEmpty,
            Self::Absolute => ErrorCode::PathAbsolute,
            Self::Traversal => ErrorCode::PathTraversal,
            Self::DotSegment => ErrorCode::PathDotSegment,
            Self::Backslash => ErrorCode::PathBackslash,
            Self::Nul => ErrorCode::PathNul,
            Self::ControlCharacter => ErrorCode::PathControlCharacter,
            Self::EmptySegment => ErrorCode::PathEmptySegment,
            Self::TooLong(_) => ErrorCode::PathTooLong,
            Self::NameTooLong(_) => ErrorCode::PathNameTooLong,
        }
    }
}

impl AssetPath {
    /// Accepts `text` as it is (no normalization) if it breaks none of the rules above; the
    /// error names the first rule broken.
    pub fn parse(text: &str) -> Result<Self, AssetPathError> {
        if text.is_empty() {
            return Err(AssetPathError::Empty);
        }
        // Character-level rules come first so that the most specific reason is reported.
        if text.contains('\0') {
            return Err(AssetPathError::Nul);
        }
        if text.chars().any(char::is_control) {
            return Err(AssetPathError::ControlCharacter);
        }
        if text.contains('\\') {
            return Err(AssetPathError::Backslash);
        }
        if text.starts_with('/') || has_drive_prefix(text) {
            return Err(AssetPathError::Absolute);
        }
        if text.len() > MAX_PATH_BYTES {
            return Err(AssetPathError::TooLong(text.len()));
        }
        for segment in text.split('/') {
            match segment {
                "" => return Err(AssetPathError::EmptySegment),
                "." => return Err(AssetPathError::DotSegment),
                ".." => return Err(AssetPathError::Traversal),
                name if name.len() > MAX_SEGMENT_BYTES => {
                    return Err(AssetPathError::NameTooLong(name.len()));
                }
                _ => {}
            }
        }
        Ok(Self(text.to_owned()))
    }

    /// The path as text, exactly as parsed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last segment: `my diagram.png` for `Attachments/my diagram.png`.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The extension of the file name, lower-cased, without the dot, if it has one.
    pub fn extension(&self) -> Option<String> {
        let name = self.file_name();
        let (stem, ext) = name.rsplit_once('.')?;
        (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
    }
}

/// `C:` or `c:/…`: a Windows drive, which would make the path absolute on that platform.
fn has_drive_prefix(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

impl fmt::Display for AssetPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AssetPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssetPath({:?})", self.0)
    }
}

impl Serialize for AssetPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AssetPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_vault_paths() {
        for ok in [
            "image.png",
            "Attachments/my diagram.png",
            "Été/naïve café.jpg",
            "a/b/c/d.e.f",
            ".hidden/file.png",
            "...png",
        ] {
            assert_eq!(AssetPath::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn each_bad_path_is_refused_with_its_own_code() {
        let long_name = "a".repeat(256);
        let long_path = vec!["abcdefgh"; 120].join("/");
        let cases: &[(&str, &str)] = &[
            ("", "path-empty"),
            ("/etc/passwd", "path-absolute"),
            ("C:/Windows/x.png", "path-absolute"),
            ("../secret.png", "path-traversal"),
            ("a/../../b.png", "path-traversal"),
            ("a/./b.png", "path-dot-segment"),
            ("a\\b.png", "path-backslash"),
            ("a\0b.png", "path-nul"),
            ("a\nb.png", "path-control-character"),
            ("a\u{7f}b.png", "path-control-character"),
            ("a//b.png", "path-empty-segment"),
            ("a/", "path-empty-segment"),
            (&long_name, "path-name-too-long"),
            (&long_path, "path-too-long"),
        ];
        for (input, code) in cases {
            let err = AssetPath::parse(input).unwrap_err();
            assert_eq!(err.code(), *code, "input {input:?}");
        }
    }

    #[test]
    fn file_name_and_extension() {
        let path = AssetPath::parse("Attachments/Photo.JPEG").unwrap();
        assert_eq!(path.file_name(), "Photo.JPEG");
        assert_eq!(path.extension().as_deref(), Some("jpeg"));
        assert_eq!(AssetPath::parse("README").unwrap().extension(), None);
        assert_eq!(AssetPath::parse(".gitignore").unwrap().extension(), None);
    }
}
