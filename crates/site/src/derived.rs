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
/// The fields read: `title`, `headings` and `text` (search folding, title order), `unlisted`
/// (whether it is folded for search at all), `links_to`
/// (normalised link routes), `updated` (dates), `description` and `text` (listing summary),
/// and the whole record for [`PageDerived::record_key`].
#[derive(Debug)]
pub(crate) struct PageDerived {
    /// The page's folded title, headings and text (the search index's part of it); `None` for
    /// an unlisted page, which search cannot find because it is not in the index.
    pub(crate) search: Option<IndexedPage>,
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
            search: (!page.unlisted).then(|| IndexedPage::new(page)),
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

/// `std::hash::Hash` into SHA-256: a key is the same from one process to the next. Hashing
/// writes many small pieces (a route, a flag); they are gathered and given to SHA-256 in blocks.
pub(crate) struct KeyHasher {
    sha: sha2::Sha256,
    pending: [u8; PENDING_BYTES],
    len: usize,
}

/// Bytes gathered before they are hashed.
const PENDING_BYTES: usize = 1024;

impl KeyHasher {
    pub(crate) fn new() -> KeyHasher {
        KeyHasher { sha: sha2::Digest::new(), pending: [0; PENDING_BYTES], len: 0 }
    }

    pub(crate) fn finish_key(mut self) -> [u8; 32] {
        sha2::Digest::update(&mut self.sha, &self.pending[..self.len]);
        sha2::Digest::finalize(self.sha).into()
    }
}

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let mut sha = self.sha.clone();
        sha2::Digest::update(&mut sha, &self.pending[..self.len]);
        let digest = sha2::Digest::finalize(sha);
        u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > PENDING_BYTES {
            sha2::Digest::update(&mut self.sha, &self.pending[..self.len]);
            self.len = 0;
        }
        if bytes.len() > PENDING_BYTES {
            sha2::Digest::update(&mut self.sha, bytes);
        } else {
            self.pending[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::Hasher;

    use super::*;

    #[test]
    fn a_key_is_the_sha256_of_every_byte_written_whatever_the_pieces() {
        let pieces: Vec<Vec<u8>> =
            [3, 1000, 30, PENDING_BYTES, 1, PENDING_BYTES + 7, 0, 5000, 12].iter().map(|&n| vec![n as u8; n]).collect();
        let mut hasher = KeyHasher::new();
        let mut all = Vec::new();
        for piece in &pieces {
            hasher.write(piece);
            all.extend_from_slice(piece);
        }
        let expected: [u8; 32] = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&all)).into();
        assert_eq!(hasher.finish(), u64::from_le_bytes(expected[..8].try_into().unwrap()));
        assert_eq!(hasher.finish_key(), expected);
    }
}
