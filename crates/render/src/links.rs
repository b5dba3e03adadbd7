//! Wikilinks (§7.4): their syntax, their hrefs, and which published page they name.
//!
//! [`split_wikilink`] takes `[[target#subpath|alias]]` apart, [`LinkIndex`] finds the page a target
//! names, and [`page_href`] and [`fragment`] write the link's URL the way the reference does.

mod index;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::routing::heading_slug;

pub use index::LinkIndex;

/// What the index needs to know about one published page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRef {
    /// The note's vault path, with `.md` (`Blog/Post One.md`).
    pub vault_path: String,
    /// The note's `relativePath` as sent by the plugin (relative to its folder's `vaultFolder`).
    pub relative_path: String,
    /// The note's title: its file name without `.md`.
    pub title: String,
    /// The frontmatter `aliases`.
    pub aliases: Vec<String>,
    /// The page's route (`/blog/postone`).
    pub route: String,
}

/// The inside of `[[…]]`, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WikiTarget {
    /// What the link points to; empty for `[[#Heading]]`.
    pub target: String,
    /// What follows the first `#` of the target: a heading, or `^block`.
    pub subpath: Option<String>,
    /// What follows the first `|`: the label, or an embed's size and modifiers.
    pub alias: Option<String>,
}

impl WikiTarget {
    /// The text a link shows: the alias, else the target as written, `#subpath` included.
    pub fn label(&self) -> String {
        if let Some(alias) = &self.alias {
            return alias.clone();
        }
        match &self.subpath {
            Some(sub) => format!("{}#{sub}", self.target),
            None => self.target.clone(),
        }
    }
}

/// Splits the inside of a wikilink at the first `|` (alias), then the target at the first `#`
/// (subpath). Parts are trimmed; empty parts become `None`.
///
/// ```
/// use vps_render::split_wikilink;
///
/// let link = split_wikilink("Note#Part 2|see part 2");
/// assert_eq!(link.target, "Note");
/// assert_eq!(link.subpath.as_deref(), Some("Part 2"));
/// assert_eq!(link.alias.as_deref(), Some("see part 2"));
/// ```
pub fn split_wikilink(inner: &str) -> WikiTarget {
    let (target, alias) = match inner.split_once('|') {
        Some((target, alias)) => (target, non_empty(alias)),
        None => (inner, None),
    };
    let (target, subpath) = match target.split_once('#') {
        Some((target, sub)) => (target, non_empty(sub)),
        None => (target, None),
    };
    WikiTarget { target: target.trim().to_owned(), subpath, alias }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The URL fragment for a link's subpath, without the `#`.
///
/// A block reference `^id` is kept as written, with the caret encoded (`%5Eid`); anything else is
/// a heading and gets [`heading_slug`]. Of a heading chain (`Part#Section`), the last heading is
/// used, since that is the one the link lands on.
///
/// ```
/// assert_eq!(vps_render::fragment("^abc123"), "%5Eabc123");
/// assert_eq!(vps_render::fragment("Été à Paris"), "ete-a-paris");
/// ```
pub fn fragment(subpath: &str) -> String {
    let subpath = subpath.trim();
    if let Some(block) = subpath.strip_prefix('^') {
        return format!("%5E{block}");
    }
    heading_slug(subpath.rsplit('#').next().unwrap_or_default())
}

/// What JavaScript's `encodeURI` leaves alone, which the reference applies to link hrefs.
const ENCODE_URI: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b';')
    .remove(b',')
    .remove(b'/')
    .remove(b'?')
    .remove(b':')
    .remove(b'@')
    .remove(b'&')
    .remove(b'=')
    .remove(b'+')
    .remove(b'$')
    .remove(b'#');

/// The `href` of a link to `page`: its route, encoded as by `encodeURI` (route bases are used
/// verbatim, so they may hold spaces), plus `#fragment` when the subpath gives one.
///
/// ```
/// use vps_render::{PageRef, page_href};
///
/// let page = PageRef {
///     vault_path: "Guide.md".into(),
///     relative_path: "Guide.md".into(),
///     title: "Guide".into(),
///     aliases: vec![],
///     route: "/docs/guide".into(),
/// };
/// assert_eq!(page_href(&page, Some("Getting Started")), "/docs/guide#getting-started");
/// assert_eq!(page_href(&page, None), "/docs/guide");
/// ```
pub fn page_href(page: &PageRef, subpath: Option<&str>) -> String {
    let route = utf8_percent_encode(&page.route, ENCODE_URI).to_string();
    match subpath.map(fragment).filter(|f| !f.is_empty()) {
        Some(fragment) => format!("{route}#{fragment}"),
        None => route,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A page of a test index, titled after its file name.
    pub(crate) fn page(vault_path: &str, relative_path: &str, route: &str) -> PageRef {
        let title = vault_path.rsplit('/').next().unwrap().trim_end_matches(".md").to_owned();
        PageRef {
            vault_path: vault_path.into(),
            relative_path: relative_path.into(),
            title,
            aliases: vec![],
            route: route.into(),
        }
    }

    #[test]
    fn split_wikilink_uses_first_pipe_then_first_hash() {
        let link = split_wikilink("a#b#c|d|e");
        assert_eq!(link.target, "a");
        assert_eq!(link.subpath.as_deref(), Some("b#c"));
        assert_eq!(link.alias.as_deref(), Some("d|e"));
        assert_eq!(split_wikilink("Note|").alias, None);
        assert_eq!(split_wikilink("Note#Sec").label(), "Note#Sec");
        assert_eq!(split_wikilink("Note#Sec|Shown").label(), "Shown");
    }

    #[test]
    fn hrefs_encode_verbatim_route_segments_like_encode_uri() {
        let page = page("x.md", "x.md", "/Mon Blog/été");
        assert_eq!(page_href(&page, Some("^b1")), "/Mon%20Blog/%C3%A9t%C3%A9#%5Eb1");
        assert_eq!(page_href(&page, Some("!!!")), "/Mon%20Blog/%C3%A9t%C3%A9");
    }

    #[test]
    fn fragments_keep_block_ids_and_slug_headings() {
        assert_eq!(fragment("^block-1"), "%5Eblock-1");
        assert_eq!(fragment("My File_2"), "my-file_2");
        assert_eq!(fragment("Part#Sub Part"), "sub-part");
    }
}
