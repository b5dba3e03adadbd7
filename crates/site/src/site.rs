//! [`Site`]: the model, with everything derived from it once (tree, backlinks, tags, search).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use vps_core::slug::nfc;
use vps_core::url::encode_path;

use crate::derived::{PageDerived, derive_all, title_cmp};
use crate::model::{PageInfo, SiteInfo};
use crate::tags::TagIndex;
use crate::tree::Tree;
use crate::words::Words;
use vps_core::slug::tag_route;

/// A published site, ready to render any of its pages.
///
/// Build it once per revision with [`Site::new`]; every method after that is a pure function
/// of the model.
#[derive(Debug)]
pub struct Site {
    pub(crate) info: SiteInfo,
    pub(crate) pages: Vec<PageInfo>,
    pub(crate) by_route: HashMap<String, usize>,
    pub(crate) home: Option<usize>,
    pub(crate) tree: Tree,
    /// For each page, the pages linking to it, sorted by title.
    pub(crate) backlinks: Vec<Vec<usize>>,
    pub(crate) tags: TagIndex,
    /// What each page's own record gives (search folding, title order…), shared with the
    /// sites built from this one ([`Site::new_from`]).
    pub(crate) derived: Vec<Arc<PageDerived>>,
    /// The pages the generated home lists as recently updated (made when first asked).
    pub(crate) recent: OnceLock<Vec<usize>>,
    /// Entries on one page of a folder or tag listing.
    pub(crate) listing_page_size: usize,
    /// The site's own words, in its language.
    pub(crate) words: &'static Words,
}

/// Entries on one page of a folder or tag listing, unless [`Site::with_listing_page_size`] says
/// otherwise (the server's `LISTING_PAGE_SIZE`).
pub const LISTING_PAGE_SIZE: usize = 200;

impl Site {
    /// Builds the navigation tree, backlinks, tag index and search index.
    ///
    /// Each of them is built from the listed pages only: an unlisted page
    /// ([`PageInfo::unlisted`]) is in none of them, so no document but its own shows it.
    ///
    /// Routes are normalised (leading `/`, no trailing `/`, NFC); of two pages with one route,
    /// the first is kept. The site's words follow [`SiteInfo::language`].
    pub fn new(info: SiteInfo, pages: Vec<PageInfo>) -> Site {
        Site::new_from(info, pages, None)
    }

    /// [`Site::new`], taking from `previous` (the site of the last revision) what it derived
    /// from each page's own record: a page whose [`PageInfo`] is equal (every field) to the
    /// one `previous` has at its route keeps its search folding (`search::IndexedPage`: title,
    /// headings and text folded), its title order key, its normalised links, date and listing
    /// summary, and its record's key (in [`Site::shell_key`]) instead of deriving them again.
    /// Everything that depends on other pages (tree, backlinks, tags) is built anew. The site
    /// answers exactly as `Site::new(info, pages)` would; `previous` only saves time.
    /// Its listing page size is [`LISTING_PAGE_SIZE`], as with [`Site::new`].
    pub fn new_from(info: SiteInfo, pages: Vec<PageInfo>, previous: Option<&Site>) -> Site {
        let words = Words::for_language(&info.language);
        let info = normalize_info(info, words);
        let mut by_route = HashMap::with_capacity(pages.len());
        let mut kept = Vec::with_capacity(pages.len());
        for mut page in pages {
            page.route = normalize_route(&page.route);
            if !by_route.contains_key(&page.route) {
                by_route.insert(page.route.clone(), kept.len());
                kept.push(page);
            }
        }
        let pages = kept;
        let derived = derive_all(&pages, previous);
        let home = find_home(&info, &pages, &by_route);
        let tree = Tree::build(&info, &pages, &derived, home);
        let backlinks = backlinks(&pages, &derived, &by_route, home);
        let mut tags = TagIndex::build(&pages);
        tags.sort_pages(|a, b| title_cmp(&pages, &derived, a, b));
        Site {
            info,
            pages,
            by_route,
            home,
            tree,
            backlinks,
            tags,
            derived,
            recent: OnceLock::new(),
            listing_page_size: LISTING_PAGE_SIZE,
            words,
        }
    }

    /// The same site with `size` entries per listing page (at least 1).
    pub fn with_listing_page_size(mut self, size: usize) -> Site {
        self.listing_page_size = size.max(1);
        self
    }

    /// The site settings, normalised.
    pub fn info(&self) -> &SiteInfo {
        &self.info
    }

    /// The pages, in the order given (duplicates removed), unlisted ones included: each is laid
    /// out by [`Site::page`].
    pub fn pages(&self) -> &[PageInfo] {
        &self.pages
    }

    /// The route of the page served at `/`: the configured home note (even if unlisted), else a
    /// listed `/index`, else a listed root `Home.md` or `index.md`. Without one, `/` is
    /// [`Site::home`].
    pub fn home_route(&self) -> Option<&str> {
        self.home.map(|index| self.pages[index].route.as_str())
    }

    /// The page published at `route` (exactly that route; `/` is not the home page's alias),
    /// listed or not.
    pub fn page_info(&self, route: &str) -> Option<&PageInfo> {
        self.by_route.get(route).map(|&index| &self.pages[index])
    }

    /// Pages `a` and `b` by title, case-insensitively, then by route.
    pub(crate) fn title_cmp(&self, a: usize, b: usize) -> std::cmp::Ordering {
        title_cmp(&self.pages, &self.derived, a, b)
    }

    pub(crate) fn page_index(&self, route: &str) -> Option<usize> {
        let route = normalize_route(route);
        if route == "/" {
            return self.home;
        }
        self.by_route.get(&route).copied()
    }

    /// Where a route is served: the home page at `/`, everything else at its route.
    pub(crate) fn public_path<'a>(&self, route: &'a str) -> &'a str {
        if self.home_route() == Some(route) { "/" } else { route }
    }

    /// An `href` for a route (percent-encoded, and `/` for the home page).
    pub(crate) fn href(&self, route: &str) -> String {
        encode_path(self.public_path(route))
    }

    /// The route (not encoded) of the page of a tag written any way (`#Tag`, `tag`, `TAG` →
    /// `/tags/tag`; `#日本語/メモ` → `/tags/日本語/メモ`), or `None` for a tag no page has. Page
    /// `n` of its listing is at [`crate::listing_page_route`] of it; its href is
    /// `vps_core::slug::tag_href(tag)`, which is this route percent-encoded.
    pub fn tag_route(&self, tag: &str) -> Option<String> {
        self.tags.get(tag).map(|entry| tag_route(&entry.key))
    }
}

fn normalize_info(mut info: SiteInfo, words: &Words) -> SiteInfo {
    info.name = info.name.trim().to_owned();
    if info.name.is_empty() {
        info.name = words.default_site_name.to_owned();
    }
    info.base_url = info.base_url.map(|b| b.trim().trim_end_matches('/').to_owned()).filter(|b| !b.is_empty());
    info.folder_display_names =
        info.folder_display_names.into_iter().map(|(route, label)| (normalize_route(&route), label)).collect();
    info.home_route = info.home_route.map(|r| normalize_route(&r));
    info.publish_css_href = info.publish_css_href.filter(|h| !h.trim().is_empty());
    info.callout_css_href = info.callout_css_href.filter(|h| !h.trim().is_empty());
    info
}

/// ` blog/post/ ` → `/blog/post`, in NFC; the root stays `/`. Routes are plain Unicode:
/// percent-decoding an incoming path is the server's (`vps_core::slug::decode_route`).
pub(crate) fn normalize_route(route: &str) -> String {
    let route = route.trim();
    let route = route.split(['#', '?']).next().unwrap_or_default();
    let trimmed = route.trim_matches('/');
    format!("/{}", nfc(trimmed))
}

/// The home page: the configured one, listed or not; else the first listed page of the usual
/// names (an unlisted page is not chosen by its name alone).
fn find_home(info: &SiteInfo, pages: &[PageInfo], by_route: &HashMap<String, usize>) -> Option<usize> {
    if let Some(index) = info.home_route.as_ref().and_then(|route| by_route.get(route)) {
        return Some(*index);
    }
    let listed = |route: &str| by_route.get(route).copied().filter(|&index| !pages[index].unlisted);
    if let Some(index) = listed("/index").or_else(|| listed("/")) {
        return Some(index);
    }
    ["home.md", "index.md"]
        .iter()
        .find_map(|name| pages.iter().position(|p| !p.unlisted && p.vault_path.to_lowercase() == *name))
}

/// For each page, the listed pages linking to it, each once, by title: an unlisted page is
/// nobody's backlink (though it may have some). Sources are visited in page order, so a source
/// linking twice to a target is the last one in its list: no search.
fn backlinks(
    pages: &[PageInfo],
    derived: &[Arc<PageDerived>],
    by_route: &HashMap<String, usize>,
    home: Option<usize>,
) -> Vec<Vec<usize>> {
    let mut backlinks = vec![Vec::new(); pages.len()];
    for (source, page) in derived.iter().enumerate() {
        if pages[source].unlisted {
            continue;
        }
        for route in &page.links {
            let target = if route == "/" { home } else { by_route.get(route).copied() };
            if let Some(target) = target.filter(|&t| t != source) {
                let list: &mut Vec<usize> = &mut backlinks[target];
                if list.last() != Some(&source) {
                    list.push(source);
                }
            }
        }
    }
    for list in &mut backlinks {
        list.sort_unstable_by(|&a, &b| title_cmp(pages, derived, a, b));
    }
    backlinks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(route: &str, vault_path: &str) -> PageInfo {
        PageInfo { route: route.into(), title: route.into(), vault_path: vault_path.into(), ..PageInfo::default() }
    }

    #[test]
    fn home_is_the_configured_note_then_index_then_a_root_home_file() {
        let pages = vec![page("/notes/a", "Notes/A.md"), page("/home", "Home.md"), page("/index", "index.md")];
        let configured = SiteInfo { home_route: Some("/notes/a/".into()), ..SiteInfo::default() };
        assert_eq!(Site::new(configured, pages.clone()).home_route(), Some("/notes/a"));
        assert_eq!(Site::new(SiteInfo::default(), pages.clone()).home_route(), Some("/index"));
        assert_eq!(Site::new(SiteInfo::default(), pages[..2].to_vec()).home_route(), Some("/home"));
        assert_eq!(Site::new(SiteInfo::default(), pages[..1].to_vec()).home_route(), None);
    }

    #[test]
    fn a_page_linking_many_times_is_one_backlink_and_backlinks_go_by_title_in_any_case() {
        let links = |p: PageInfo, to: &[&str]| PageInfo { links_to: to.iter().map(|t| (*t).to_owned()).collect(), ..p };
        let pages = vec![
            page("/hub", "Hub.md"),
            links(PageInfo { title: "beta".into(), ..page("/b", "B.md") }, &["/hub", "/hub#x", "hub/", "/hub"]),
            links(PageInfo { title: "Gamma".into(), ..page("/c", "C.md") }, &["/hub", "/b", "/hub"]),
            links(PageInfo { title: "Alpha".into(), ..page("/a", "A.md") }, &["/hub"]),
        ];
        let site = Site::new(SiteInfo::default(), pages);
        let titles = |route: &str| -> Vec<&str> {
            site.backlinks[site.by_route[route]].iter().map(|&i| site.pages[i].title.as_str()).collect()
        };
        assert_eq!(titles("/hub"), vec!["Alpha", "beta", "Gamma"]);
        assert_eq!(titles("/b"), vec!["Gamma"]);
    }

    #[test]
    fn routes_are_normalised_and_duplicates_dropped() {
        let site = Site::new(SiteInfo::default(), vec![page("a/b/", "A/B.md"), page("/a/b", "A/B2.md")]);
        assert_eq!(site.pages().len(), 1);
        assert_eq!(site.pages()[0].route, "/a/b");
        assert_eq!(normalize_route("/x#frag"), "/x");
        assert_eq!(normalize_route(""), "/");
    }
}
