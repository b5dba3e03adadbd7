//! What the live revision publishes to whom: the [`Gate`] (made once per revision) says which
//! pages, blobs and folders are protected; a [`View`] is the site as a logged-in reader may see
//! it — navigation, backlinks, listings, tags and search over the pages they may read.
//!
//! Everything stored with a revision is the anonymous view (the build lays every page out with
//! public chrome: protected and unlisted pages are listed nowhere in it). A reader who may read
//! more gets their view, made when first asked ([`Views::view`]): a site model of exactly the
//! pages their audience allows, each document laid out from it when first asked and kept in a
//! byte-bounded cache (`READER_VIEW_CACHE_BYTES`), with its gzip and br variants. Readers who
//! may read the same protected audiences share one view. All of it goes with the revision.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Weighter};
use vps_core::ContentHash;
use vps_core::revision::{Audience, Revision};
use vps_site::{Site, listing_page_route};

use crate::access::Visitor;
use crate::encoding::Precompressed;

/// At most this many views are kept per revision (distinct sets of protected audiences their
/// readers may read); past it the oldest are dropped and made again when asked.
const MAX_VIEWS: usize = 32;

/// What a revision protects: made once per revision, O(pages × (assets + depth)).
#[derive(Debug, Default)]
pub(crate) struct Gate {
    /// The distinct audiences of the revision's pages that are not public.
    audiences: Vec<Audience>,
    /// Blobs no public page shows but protected ones do (their HTML, the assets only they
    /// show): the routes of those pages.
    restricted: HashMap<ContentHash, Vec<String>>,
    /// The folders (routes) holding a protected page: asked for, they answer the login page
    /// rather than 404.
    protected_folders: HashSet<String>,
}

/// May a visitor have a blob, and how is it cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Allowed {
    /// Public: everyone, shared caches too.
    Public,
    /// This visitor may, as a reader of a protected page: `private, no-store`.
    Private,
    /// Not for this visitor: answered as if it did not exist.
    Denied,
}

impl Gate {
    pub(crate) fn new(revision: &Revision) -> Gate {
        let mut audiences: Vec<Audience> = Vec::new();
        let mut public: HashSet<ContentHash> = HashSet::new();
        let shown = |route: &str| {
            let page = &revision.pages[route];
            let assets = page.assets.iter().filter_map(|path| revision.assets.get(path)).map(|asset| asset.sha256);
            std::iter::once(page.html_blob).chain(assets)
        };
        for (route, page) in &revision.pages {
            if page.audience.is_public() {
                public.extend(shown(route));
            } else if !audiences.contains(&page.audience) {
                audiences.push(page.audience.clone());
            }
        }
        let mut restricted: HashMap<ContentHash, Vec<String>> = HashMap::new();
        let mut protected_folders = HashSet::new();
        for route in revision.pages.iter().filter(|(_, page)| !page.audience.is_public()).map(|(route, _)| route) {
            for blob in shown(route).filter(|blob| !public.contains(blob)) {
                let routes = restricted.entry(blob).or_default();
                if routes.last() != Some(route) {
                    routes.push(route.clone());
                }
            }
            let mut folder = route.as_str();
            while let Some(slash) = folder.rfind('/').filter(|&slash| slash > 0) {
                folder = &folder[..slash];
                if !protected_folders.insert(folder.to_owned()) {
                    break;
                }
            }
        }
        audiences.sort();
        Gate { audiences, restricted, protected_folders }
    }

    /// Whether the revision protects nothing (every page public): no request is checked.
    pub(crate) fn is_open(&self) -> bool {
        self.audiences.is_empty()
    }

    /// Whether `visitor` may have the blob `hash` (published by the revision).
    pub(crate) fn blob(&self, revision: &Revision, hash: &ContentHash, visitor: &Visitor) -> Allowed {
        match self.restricted.get(hash) {
            None => Allowed::Public,
            Some(routes) => {
                let may = routes
                    .iter()
                    .any(|route| revision.pages.get(route).is_some_and(|page| visitor.may_read(route, &page.audience)));
                if may { Allowed::Private } else { Allowed::Denied }
            }
        }
    }

    /// Whether `route` is a folder holding protected pages.
    pub(crate) fn is_protected_folder(&self, route: &str) -> bool {
        self.protected_folders.contains(route)
    }

    /// The protected audiences `groups` may read (the key of their view); empty when they may
    /// read only what everyone may.
    fn key(&self, groups: Option<&BTreeSet<String>>) -> Vec<u16> {
        let allowed = self.audiences.iter().enumerate().filter(|(_, audience)| audience.allows(groups));
        allowed.map(|(index, _)| index as u16).collect()
    }
}

/// The site as readers who may read the same protected audiences see it.
pub(crate) struct View {
    pub key: Arc<[u16]>,
    pub site: Site,
    /// Tag page route (`/tags/rust`) → the tag as the site shows it.
    tags: HashMap<String, String>,
}

/// What a [`View`] has at a route besides pages.
pub(crate) enum Listing {
    /// A folder's listing page (`number` from 1), with the route of its introduction note.
    Folder { folder: String, number: usize, intro: Option<String> },
    /// A tag's listing page.
    Tag { tag: String, number: usize },
    /// `/tags`.
    TagsIndex,
    /// The global graph page (`vps_site::GRAPH_ROUTE`).
    Graph,
    /// `/recent`: the newest pages this view lists.
    Recent,
}

impl View {
    /// What is listed at `route` in this view, if anything.
    pub(crate) fn listing(&self, route: &str) -> Option<Listing> {
        if route == "/tags" {
            return Some(Listing::TagsIndex);
        }
        if route == vps_site::GRAPH_ROUTE && self.site.info().presentation.show_graph {
            return Some(Listing::Graph);
        }
        if route == vps_site::RECENT_ROUTE {
            return Some(Listing::Recent);
        }
        let (base, number) = split_page_number(route);
        if let Some(tag) = self.tags.get(base) {
            return (number <= self.site.tag_pages(tag)).then(|| Listing::Tag { tag: tag.clone(), number });
        }
        let is_folder =
            (base == "/" && self.site.home_route().is_none()) || self.site.folder_routes().iter().any(|f| f == base);
        if !is_folder || number > self.site.folder_index_pages(base) {
            return None;
        }
        let index = format!("{}/index", base.trim_end_matches('/'));
        let intro = (base != "/" && self.site.page_info(&index).is_some()).then_some(index);
        Some(Listing::Folder { folder: base.to_owned(), number, intro })
    }
}

/// `/blog/page/3` → (`/blog`, 3); anything else is its own page 1. Checked against
/// [`listing_page_route`], the one place listing routes are made.
fn split_page_number(route: &str) -> (&str, usize) {
    if let Some((base, number)) = route.rsplit_once("/page/")
        && let Ok(number) = number.parse::<usize>()
        && number >= 2
    {
        let base = if base.is_empty() { "/" } else { base };
        if listing_page_route(base, number) == route {
            return (base, number);
        }
    }
    (route, 1)
}

#[derive(Clone)]
struct BySize;

impl Weighter<DocumentKey, Arc<Precompressed>> for BySize {
    fn weight(&self, key: &DocumentKey, file: &Arc<Precompressed>) -> u64 {
        let bodies =
            file.identity.len() + file.gzip.as_ref().map_or(0, |b| b.len()) + file.br.as_ref().map_or(0, |b| b.len());
        (bodies + key.1.len() + 128) as u64
    }
}

/// A view's key and a route: a document laid out for that view.
type DocumentKey = (Arc<[u16]>, String);

/// A view, made once by the first request that needs it (the others wait for it).
type ViewCell = Arc<tokio::sync::OnceCell<Arc<View>>>;

/// The views of one revision and the documents laid out for them.
pub(crate) struct Views {
    /// Each view made or being made, by its key, oldest first.
    views: Mutex<Vec<(Arc<[u16]>, ViewCell)>>,
    documents: Option<Cache<DocumentKey, Arc<Precompressed>, BySize, DefaultHashBuilder>>,
}

impl Views {
    pub(crate) fn new(budget: usize) -> Self {
        let documents =
            (budget > 0).then(|| Cache::with_weighter((budget / 16_384).clamp(16, 1 << 16), budget as u64, BySize));
        Views { views: Mutex::new(Vec::new()), documents }
    }

    /// The view of a reader in `groups`, made when first asked (from `anonymous`, the
    /// revision's own model), or `None` when they may read nothing more than everyone.
    pub(crate) async fn view(
        &self,
        gate: &Gate,
        revision: &Arc<crate::site::Live>,
        groups: Option<&BTreeSet<String>>,
    ) -> Option<Arc<View>> {
        let key = gate.key(groups);
        if key.is_empty() {
            return None;
        }
        let cell = {
            let mut views = self.views.lock().expect("views lock");
            match views.iter().find(|(known, _)| **known == *key) {
                Some((_, cell)) => cell.clone(),
                None => {
                    if views.len() >= MAX_VIEWS {
                        views.remove(0);
                    }
                    let cell = Arc::new(tokio::sync::OnceCell::new());
                    views.push((key.clone().into(), cell.clone()));
                    cell
                }
            }
        };
        let live = revision.clone();
        let view = cell
            .get_or_init(|| async move {
                let made = tokio::task::spawn_blocking(move || make_view(&live, key)).await;
                Arc::new(made.expect("making a view does not panic"))
            })
            .await;
        Some(view.clone())
    }

    /// The document at `route` of `view`, when it was laid out already (and still kept).
    pub(crate) fn cached(&self, view: &View, route: &str) -> Option<Arc<Precompressed>> {
        self.documents.as_ref()?.get(&(view.key.clone(), route.to_owned()))
    }

    /// Keeps `html`, the document at `route` of `view`, with its variants.
    pub(crate) fn keep(&self, view: &View, route: &str, html: String) -> Arc<Precompressed> {
        let file = Arc::new(Precompressed::new(html));
        if let Some(cache) = &self.documents {
            cache.insert((view.key.clone(), route.to_owned()), file.clone());
        }
        file
    }
}

/// The site model of the pages the audiences of `key` allow (and the public ones), each listed
/// unless the page is unlisted.
fn make_view(live: &crate::site::Live, key: Vec<u16>) -> View {
    let anonymous = live.site.as_ref();
    let gate = &live.gate;
    let allowed: Vec<&Audience> = key.iter().map(|&index| &gate.audiences[index as usize]).collect();
    let pages = anonymous.map(|site| site.pages().to_vec()).unwrap_or_default();
    let pages: Vec<vps_site::PageInfo> = pages
        .into_iter()
        .filter_map(|mut info| {
            let page = live.revision.pages.get(&info.route)?;
            let readable = page.audience.is_public() || allowed.contains(&&page.audience);
            readable.then(|| {
                info.unlisted = page.unlisted;
                info
            })
        })
        .collect();
    let info = anonymous.map(|site| site.info().clone()).unwrap_or_default();
    let site = Site::new_from(info, pages, anonymous).with_listing_page_size(live.listing_page_size);
    let tags = site.tags().into_iter().map(|tag| (vps_core::slug::tag_route(&tag), tag)).collect();
    View { key: key.into(), site, tags }
}

#[cfg(test)]
mod tests {
    use super::split_page_number;

    #[test]
    fn listing_page_numbers_are_read_back_from_their_routes() {
        assert_eq!(split_page_number("/blog/page/3"), ("/blog", 3));
        assert_eq!(split_page_number("/page/2"), ("/", 2));
        assert_eq!(split_page_number("/blog/page/1"), ("/blog/page/1", 1), "page 1 is the folder itself");
        assert_eq!(split_page_number("/blog/page/x"), ("/blog/page/x", 1));
        assert_eq!(split_page_number("/blog"), ("/blog", 1));
    }
}
