//! What the site derives from one page's own record alone ([`PageDerived`]), kept from one site
//! to the next by [`Site::new_from`](crate::Site::new_from).

use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

use crate::escape::summarize;
use crate::feeds::normalize_datetime;
use crate::model::PageInfo;
use crate::search::IndexedPage;
use crate::site::normalize_route;

/// Everything derived from one [`PageInfo`] and nothing else. It is reused for a page whose
/// record is equal (every field: `==` on [`PageInfo`]) to the one it was derived from.
/// The fields read: `title`, `headings` and `text` (search folding, title order), `links_to`
/// (normalised link routes), `updated` (dates), `description` and `text` (listing summary),
/// and the whole record for [`PageDerived::record_key`].
#[derive(Debug)]
pub(crate) struct PageDerived {
    /// The page's folded title, headings and text (the search index's part of it).
    pub(crate) search: IndexedPage,
    /// The title lower-cased: pages are ordered by it, then by route ([`title_cmp`]).
    pub(crate) sort_title: String,
    /// `links_to`, each normalised as a route (`normalize_route`).
    pub(crate) links: Vec<String>,
    /// `updated` as an RFC 3339 date-time, if it is a date.
    pub(crate) updated: Option<String>,
    /// The description listings show (made when first asked).
    summary: OnceLock<String>,
    /// A SHA-256 of the whole record (made when first asked).
    record_key: OnceLock<[u8; 32]>,
}

impl PageDerived {
    pub(crate) fn new(page: &PageInfo) -> PageDerived {
        PageDerived {
            search: IndexedPage::new(page),
            sort_title: page.title.to_lowercase(),
            links: page.links_to.iter().map(|link| normalize_route(link)).collect(),
            updated: page.updated.as_deref().and_then(normalize_datetime),
            summary: OnceLock::new(),
            record_key: OnceLock::new(),
        }
    }

    /// What a listing shows under the page's title: its description, else the start of its text.
    pub(crate) fn summary(&self, page: &PageInfo) -> &str {
        self.summary.get_or_init(|| match page.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(description) => summarize(description, 200),
            None => summarize(&page.text, 160),
        })
    }

    /// A key of the whole record (`std::hash::Hash` of [`PageInfo`] into SHA-256).
    pub(crate) fn record_key(&self, page: &PageInfo) -> &[u8; 32] {
        self.record_key.get_or_init(|| {
            use std::hash::Hash;
            let mut hasher = KeyHasher::new();
            page.hash(&mut hasher);
            hasher.finish_key()
        })
    }
}

/// Each page's [`PageDerived`], taken from `previous` for a page at the same route whose
/// record is equal, else made. `pages` are normalised already.
pub(crate) fn derive_all(pages: &[PageInfo], previous: Option<&crate::Site>) -> Vec<Arc<PageDerived>> {
    pages
        .iter()
        .map(|page| {
            let kept = previous.and_then(|site| {
                let index = *site.by_route.get(&page.route)?;
                (site.pages[index] == *page).then(|| Arc::clone(&site.derived[index]))
            });
            kept.unwrap_or_else(|| Arc::new(PageDerived::new(page)))
        })
        .collect()
}

/// Pages by title, case-insensitively, then by route so the order is total.
pub(crate) fn title_cmp(pages: &[PageInfo], derived: &[Arc<PageDerived>], a: usize, b: usize) -> Ordering {
    derived[a].sort_title.cmp(&derived[b].sort_title).then_with(|| pages[a].route.cmp(&pages[b].route))
}

/// `std::hash::Hash` into SHA-256: a key is the same from one process to the next.
pub(crate) struct KeyHasher(sha2::Sha256);

impl KeyHasher {
    pub(crate) fn new() -> KeyHasher {
        KeyHasher(sha2::Digest::new())
    }

    pub(crate) fn finish_key(self) -> [u8; 32] {
        sha2::Digest::finalize(self.0).into()
    }
}

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let digest = sha2::Digest::finalize(self.0.clone());
        u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
    }

    fn write(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }
}
