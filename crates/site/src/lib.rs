//! The reader-facing site of vps-publish, as pure functions: no I/O, no clock, no randomness.
//!
//! The server builds a [`Site`] from the published pages once per revision ([`SiteInfo`] for
//! the site, one [`PageInfo`] per page) and asks it for every document a reader gets:
//!
//! - [`Site::page`]: a note's page (navigation tree, breadcrumbs, table of contents,
//!   backlinks, tags, date) around its already sanitised HTML;
//! - [`Site::folder_index`] for each of [`Site::folder_routes`], [`Site::home`] when no note is
//!   the home page, [`Site::tag_page`] for each of [`Site::tags`], [`Site::tags_index`] and
//!   [`Site::not_found`]; listings of more than [`LISTING_PAGE_SIZE`] entries continue on
//!   numbered pages ([`Site::folder_index_page`], [`Site::tag_page_number`], at
//!   [`listing_page_route`]: `/blog/page/2`, `/tags/rust/page/2`);
//! - [`Site::tag_route`] says where a tag's page is (`vps_core::slug::tag_route`: any spelling
//!   of the tag finds it);
//! - [`Site::search`] per request, shown by [`Site::search_page`] or [`Site::search_json`];
//! - [`Site::sitemap_xml`], [`Site::robots_txt`], [`Site::feed_xml`] and [`Site::not_found`],
//!   made at serve time with the [`PublicBase`] (`BASE_URL`: origin and path prefix);
//! - [`Site::shell_key`]: a key of everything around a page's content, for reusing pages;
//!   [`Site::folder_listing_key`], [`Site::tag_listing_key`] and [`Site::tags_index_key`]: a key
//!   of everything a listing page shows (but a folder's introduction), for reusing listings.
//!   Each key hashes the very description its document is rendered from.
//!
//! Every document the site makes but a page's own is the same for every reader: it shows the
//! listed pages only. A page marked [`PageInfo::unlisted`] (unlisted, protected or private) is
//! laid out at its route by [`Site::page`] and named by no other document: the tree, tag index,
//! backlinks and search index are built without it.
//!
//! A new revision's site is built with [`Site::new_from`] the previous one: what each page's
//! own record gives (its search folding above all) is taken over for the pages whose record did
//! not change, so a one-note change costs the site's structure (O(N log N) in pages and links),
//! not the folding of every note again.
//!
//! Every URL in a page, listing or search page is relative to where the document is served
//! ([`relative_url`]): `/blog/post` links to `../_site/style-….css` and the home page as `../`,
//! so a stored document works under any path prefix and names no origin.
//! - the static assets [`STYLE_CSS`], [`SITE_JS`], [`THEME_JS`] (optional enhancements) and [`FAVICON_SVG`],
//!   served at [`style_href`], [`site_js_href`], [`theme_js_href`] and `/favicon.svg`.
//!
//! Every text from the model reaches markup through [`escape`]. Pages carry no inline script,
//! so they can be served with `script-src 'self'`.
//!
//! Routes in the model (`PageInfo::route`, `links_to`, `home_route`, the keys of
//! `folder_display_names`) are plain Unicode, compared in NFC; every route written into a page,
//! the sitemap, the feed or the search JSON is `vps_core::url::encode_path` of it, and every name
//! is compared with `vps_core::slug`. The site's own words come from one table per language
//! (`words.rs`), chosen by [`SiteInfo::language`].
//!
//! ```
//! use vps_site::{Heading, PageInfo, Site, SiteInfo};
//!
//! let info = SiteInfo { name: "Notes".into(), ..SiteInfo::default() };
//! let page = PageInfo {
//!     route: "/travel/summer".into(),
//!     title: "Été à Lyon".into(),
//!     vault_path: "Travel/Summer.md".into(),
//!     headings: vec![Heading::new(2, "Food", "food"), Heading::new(2, "Walks", "walks")],
//!     text: "Bouchons, the Saône and long walks.".into(),
//!     ..PageInfo::default()
//! };
//! let site = Site::new(info, vec![page]);
//!
//! let html = site.page("/travel/summer", "<h2 id=\"food\">Food</h2>").unwrap();
//! assert!(html.contains("<title>Été à Lyon · Notes</title>"));
//! assert!(html.contains("<link rel=\"canonical\" href=\"summer\">"));
//!
//! let hits = site.search("ete", 10);
//! assert_eq!(hits[0].route, "/travel/summer");
//! assert_eq!(site.folder_routes(), vec!["/travel".to_owned()]);
//! ```

#![warn(missing_docs)]

mod assets;
mod derived;
mod escape;
mod feeds;
mod graph;
mod layout;
mod listing;
mod model;
mod page;
mod preview;
mod reading;
mod search;
mod search_page;
mod site;
mod tags;
mod tree;
mod url;
mod words;

pub use assets::{FAVICON_SVG, SITE_JS, STYLE_CSS, THEME_JS, site_js_href, static_files, style_href, theme_js_href};
pub use escape::escape;
pub use graph::{GRAPH_JSON_ROUTE, GRAPH_ROUTE};
pub use listing::{RECENT_PAGE_SIZE, RECENT_ROUTE, listing_page_route};
pub use model::{Heading, PageInfo, Presentation, SiteInfo, Theme};
pub use preview::{PREVIEW_CHARS, Preview};
pub use search::SearchHit;
pub use site::{LISTING_PAGE_SIZE, Site};
pub use url::{PublicBase, relative_url};

#[cfg(test)]
mod content_tests;
#[cfg(test)]
mod fixture;
#[cfg(test)]
mod i18n_tests;
#[cfg(test)]
mod incremental_tests;
#[cfg(test)]
mod scale_tests;
#[cfg(test)]
mod unlisted_tests;
