//! Wikilinks (§7.4): their syntax, their hrefs, and which published page they name.
//!
//! [`split_wikilink`] takes `[[target#subpath|alias]]` apart, [`LinkIndex`] finds the page a target
//! names, and [`page_href`] and [`fragment`] write the link's URL: the route percent-encoded
//! ([`vps_core::url::encode_path`]), and the fragment computed by
//! [`vps_core::slug::heading_id`], the function that gives headings their ids.

mod index;

use vps_core::slug::heading_id;
use vps_core::url::{encode_path, encode_segment};

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
    /// The page's route, plain Unicode in NFC (`/blog/post-one`, `/docs/ノート`).
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

/// The URL fragment for a link's subpath, without the `#`, percent-encoded; empty for a blank
/// subpath.
///
/// A block reference `^id` keeps its id as written, with the caret encoded (`%5Eid`); anything
/// else is a heading and gets [`heading_id`], the id that heading carries on its page. Of a
/// heading chain (`Part#Section`), the last heading is used, since that is the one the link
/// lands on.
///
/// ```
/// assert_eq!(vps_render::fragment("^abc123"), "%5Eabc123");
/// assert_eq!(vps_render::fragment("Été à Paris"), "ete-a-paris");
/// assert_eq!(vps_render::fragment("見出し"), "%E8%A6%8B%E5%87%BA%E3%81%97");
/// assert_eq!(vps_render::fragment("!!!"), "heading");
/// ```
pub fn fragment(subpath: &str) -> String {
    let subpath = subpath.trim();
    if let Some(block) = subpath.strip_prefix('^') {
        return format!("%5E{}", encode_segment(block.trim()));
    }
    match subpath.rsplit('#').map(str::trim).find(|heading| !heading.is_empty()) {
        Some(heading) => encode_segment(&heading_id(heading)),
        None => String::new(),
    }
}

/// `href` with the fragment of `subpath` appended, when it gives one.
pub(crate) fn with_fragment(href: &str, subpath: Option<&str>) -> String {
    match subpath.map(fragment).filter(|f| !f.is_empty()) {
        Some(fragment) => format!("{href}#{fragment}"),
        None => href.to_owned(),
    }
}

/// The `href` of a link to `page`: its route, percent-encoded UTF-8
/// ([`vps_core::url::encode_path`]; route bases are used verbatim, so they may hold spaces),
/// plus `#fragment` when the subpath gives one ([`fragment`]).
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
///
/// let japanese = PageRef { route: "/docs/ノート".into(), ..page };
/// assert_eq!(
///     page_href(&japanese, Some("見出し")),
///     "/docs/%E3%83%8E%E3%83%BC%E3%83%88#%E8%A6%8B%E5%87%BA%E3%81%97"
/// );
/// ```
pub fn page_href(page: &PageRef, subpath: Option<&str>) -> String {
    with_fragment(&encode_path(&page.route), subpath)
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
    fn hrefs_are_percent_encoded_utf8_that_decodes_back_to_the_route() {
        let page = page("x.md", "x.md", "/Mon Blog/été");
        assert_eq!(page_href(&page, Some("^b1")), "/Mon%20Blog/%C3%A9t%C3%A9#%5Eb1");
        assert_eq!(page_href(&page, Some("!!!")), "/Mon%20Blog/%C3%A9t%C3%A9#heading");
        assert_eq!(page_href(&page, Some("  ")), "/Mon%20Blog/%C3%A9t%C3%A9");
        for route in ["/ノート/はじめに", "/заметки/начало-работы", "/ملاحظات/مرحبا", "/a?b#c/d"]
        {
            let href = page_href(&self::page("x.md", "x.md", route), None);
            assert!(href.is_ascii(), "{href}");
            assert_eq!(vps_core::slug::decode_route(&href), route);
        }
    }

    #[test]
    fn fragments_keep_block_ids_and_are_the_ids_of_the_headings_they_name() {
        assert_eq!(fragment("^block-1"), "%5Eblock-1");
        assert_eq!(fragment("My File_2"), "my-file-2");
        assert_eq!(fragment("Part#Sub Part"), "sub-part");
        assert_eq!(fragment("Part#"), "part");
        for heading in ["見出し 2", "Что такое Obsidian?", "مرحبا بالعالم", "Été à Paris"] {
            assert_eq!(vps_core::url::decode(&fragment(heading)), heading_id(heading), "{heading}");
        }
    }
}
