use vps_core::MediaType;

/// Which detected media types are accepted. Entries are exact (`image/png`) or a whole top-level
/// type (`image/*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaAllowlist {
    entries: Vec<String>,
}

/// Images, audio, video, PDF and plain text formats: what a vault embeds.
pub(crate) const DEFAULT_ALLOWED: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/svg+xml",
    "image/bmp",
    "image/x-icon",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/flac",
    "audio/mp4",
    "video/mp4",
    "video/webm",
    "video/quicktime",
    "application/pdf",
    "text/plain",
    "text/markdown",
    "text/csv",
    "application/json",
];

/// An allowlist entry that is not a media type or a `type/*` pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a media type (`image/png`) or a pattern (`image/*`)")]
pub struct InvalidAllowlistEntry(pub String);

impl MediaAllowlist {
    /// Parses a comma-separated list such as `image/*, application/pdf`.
    pub fn parse(list: &str) -> Result<Self, InvalidAllowlistEntry> {
        let entries = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let pattern = entry.strip_suffix("/*").map(|top| format!("{top}/x"));
                let parsed = MediaType::parse(pattern.as_deref().unwrap_or(entry));
                parsed.map(|_| entry.to_ascii_lowercase()).ok_or_else(|| InvalidAllowlistEntry(entry.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// Whether a file of this (sniffed) type may be stored: an entry names it exactly, or its
    /// top-level type with `/*`.
    pub fn allows(&self, media_type: &MediaType) -> bool {
        self.entries.iter().any(|entry| match entry.strip_suffix("/*") {
            Some(top) => media_type.top_level() == top,
            None => entry == media_type.as_str(),
        })
    }

    /// The entries, lower-cased, in the order given (`image/*`, `application/pdf`, …).
    pub fn entries(&self) -> &[String] {
        &self.entries
    }
}

impl Default for MediaAllowlist {
    fn default() -> Self {
        Self { entries: DEFAULT_ALLOWED.iter().map(|s| (*s).to_owned()).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_entries_and_top_level_patterns() {
        let list = MediaAllowlist::parse("image/*, application/pdf").unwrap();
        assert!(list.allows(&MediaType::from_static("image/heic")));
        assert!(list.allows(&MediaType::from_static("application/pdf")));
        assert!(!list.allows(&MediaType::from_static("application/zip")));
        assert!(MediaAllowlist::parse("image/*, nonsense").is_err());
    }

    #[test]
    fn the_default_refuses_executables_and_html() {
        let list = MediaAllowlist::default();
        assert!(list.allows(&MediaType::from_static("image/png")));
        assert!(!list.allows(&MediaType::from_static("text/html")));
        assert!(!list.allows(&MediaType::from_static("application/vnd.microsoft.portable-executable")));
    }
}
