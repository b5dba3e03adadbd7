//! The bounds of one publish: how deep, how large and how slow anything a note controls may get.
//!
//! Every cost a note can grow has a limit here, checked while the work is done (not after), so
//! that a hostile or broken vault fails its publish with a [`LimitError`] naming the note and
//! the setting instead of exhausting the stack, the memory or the time of the server. The
//! server sets each field from a setting of the same name (`MAX_PATH_DEPTH`, …); [`Default`]
//! gives the safe defaults.
//!
//! ```
//! use vps_render::{Exceeded, LimitError, PublishLimits};
//!
//! let limits = PublishLimits::default();
//! let error = LimitError {
//!     note: "Deep/Note.md".into(),
//!     exceeded: Exceeded::new("its transcluded notes", "MAX_TRANSCLUSION_BYTES", limits.max_transclusion_bytes),
//! };
//! assert_eq!(
//!     error.to_string(),
//!     "note \"Deep/Note.md\": its transcluded notes exceeds MAX_TRANSCLUSION_BYTES (2097152)"
//! );
//! ```

use std::time::Duration;

/// The limits of one publish. Each field is a setting of the server (its name in the field's
/// documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishLimits {
    /// `MAX_PATH_DEPTH`: folders above a note, in its vault path and in its route.
    pub max_path_depth: usize,
    /// `MAX_TAG_DEPTH`: levels of a nested tag (`a/b/c` has 3).
    pub max_tag_depth: usize,
    /// `MAX_NESTING_DEPTH`: nesting of block quotes, lists, callouts and inlines in one note.
    pub max_nesting_depth: usize,
    /// `MAX_TRANSCLUSION_DEPTH`: levels of note embeds inside note embeds; deeper embeds are
    /// shown as links.
    pub max_transclusion_depth: usize,
    /// `MAX_TRANSCLUSION_BYTES`: Markdown transcluded into one page, all embeds together,
    /// counted as each embed is expanded.
    pub max_transclusion_bytes: usize,
    /// `CLEANUP_MAX_OUTPUT_BYTES`: a note's Markdown after one cleanup rule.
    pub cleanup_max_output_bytes: usize,
    /// `CLEANUP_TIME_PER_NOTE_MS`: cleanup rules' time on one note.
    pub cleanup_time_per_note: Duration,
    /// `CLEANUP_TIME_PER_PUBLISH_MS`: cleanup rules' time on every note of a publish together.
    pub cleanup_time_per_publish: Duration,
    /// `MAX_PAGE_BYTES`: one page's HTML, layout included.
    pub max_page_bytes: usize,
    /// `MAX_DOCUMENT_BYTES`: one generated document (sitemap, feed, listing page).
    pub max_document_bytes: usize,
    /// `MAX_SEARCH_INDEX_BYTES`: the site model (every page's record and searchable text), which
    /// grows with the whole vault; the server holds it in memory.
    pub max_search_index_bytes: usize,
    /// `LISTING_PAGE_SIZE`: entries on one page of a folder or tag listing.
    pub listing_page_size: usize,
    /// `GRAPH_MAX_NODES`: nodes of the graph document (the most linked pages when the site has
    /// more): the graph script draws them all, so this bounds a reader's download and layout.
    pub graph_max_nodes: usize,
    /// `MAX_ENCODED_ASSET_BYTES`: the largest compressible asset (SVG, CSS, text…) given stored
    /// gzip and brotli variants at publish time; a larger one is served as uploaded. Each is
    /// read whole into memory to be compressed, so this bounds a build's memory for it.
    pub max_encoded_asset_bytes: usize,
    /// `MAX_ALIAS_REDIRECTS`: the aliases of one note that become redirects to its page (the
    /// first ones, in the order written); every alias still finds the note by a link.
    pub max_alias_redirects: usize,
}

impl Default for PublishLimits {
    fn default() -> Self {
        PublishLimits {
            max_path_depth: 32,
            max_tag_depth: 10,
            max_nesting_depth: 64,
            max_transclusion_depth: 5,
            max_transclusion_bytes: 2 * 1024 * 1024,
            cleanup_max_output_bytes: 8 * 1024 * 1024,
            cleanup_time_per_note: Duration::from_millis(2_000),
            cleanup_time_per_publish: Duration::from_millis(30_000),
            max_page_bytes: 8 * 1024 * 1024,
            max_document_bytes: 64 * 1024 * 1024,
            max_search_index_bytes: 256 * 1024 * 1024,
            listing_page_size: 200,
            graph_max_nodes: 20_000,
            max_encoded_asset_bytes: 16 * 1024 * 1024,
            max_alias_redirects: 16,
        }
    }
}

/// One limit that was exceeded: what grew, the setting that bounds it and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    /// What grew too large, in words (`"its path (40 folders)"`).
    pub what: String,
    /// The setting's environment name (`MAX_PATH_DEPTH`).
    pub setting: &'static str,
    /// The setting's value.
    pub limit: u64,
}

impl Exceeded {
    /// `what` went over `setting`, whose value is `limit` (one that does not fit a `u64` is kept
    /// as `u64::MAX`).
    pub fn new(what: impl Into<String>, setting: &'static str, limit: impl TryInto<u64>) -> Exceeded {
        Exceeded { what: what.into(), setting, limit: limit.try_into().unwrap_or(u64::MAX) }
    }
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} exceeds {} ({})", self.what, self.setting, self.limit)
    }
}

/// A limit exceeded while publishing one note: `note "<vault path>": <what> exceeds <SETTING> (<value>)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("note \"{note}\": {exceeded}")]
pub struct LimitError {
    /// The vault path of the note.
    pub note: String,
    /// What grew too large, and the setting it went over.
    pub exceeded: Exceeded,
}

impl Exceeded {
    /// This limit, blamed on `note`.
    pub fn in_note(self, note: impl Into<String>) -> LimitError {
        LimitError { note: note.into(), exceeded: self }
    }
}

/// How deep a route or vault path is: the folders above its last segment.
///
/// ```
/// assert_eq!(vps_render::folder_depth("/a/b/note"), 2);
/// assert_eq!(vps_render::folder_depth("Note.md"), 0);
/// ```
pub fn folder_depth(path: &str) -> usize {
    path.split('/').filter(|segment| !segment.is_empty()).count().saturating_sub(1)
}

/// Levels of a nested tag: `#a/b/c` has 3. Counted on its canonical form
/// ([`vps_core::slug::tag_key`]), so the depth is that of the tag's page URL.
///
/// ```
/// assert_eq!(vps_render::tag_depth("#Projet//Été/"), 2);
/// assert_eq!(vps_render::tag_depth("日本語/タグ/深い"), 3);
/// ```
pub fn tag_depth(tag: &str) -> usize {
    vps_core::slug::tag_key(tag).split('/').filter(|segment| !segment.is_empty()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tags_depth_is_the_number_of_segments_of_its_page_url() {
        for tag in ["a", "#a/b/c", "Projet//Été/", "#日本語/タグ/深い", "a/ /b", "/lead"] {
            let href = vps_core::slug::tag_href(tag);
            let segments = href.trim_start_matches("/tags").split('/').filter(|s| !s.is_empty()).count();
            assert_eq!(tag_depth(tag), segments, "{tag} → {href}");
        }
    }
}
