//! The publication engine of vps-publish: from the live revision and one finished session (its
//! notes, assets, settings and skip hints) to the next revision — every page rendered inside the
//! reader's site, every generated document, the site model, redirects and statistics — with
//! every blob it names stored. No HTTP, no sessions, no server settings: the caller fills a
//! [`BuildInput`] and gives a [`BlobSink`]; the server's finalization job moves the `current`
//! pointer afterwards.
//!
//! ```text
//! build(sink, BuildInput { base, session, notes, inventory, site, .. }, progress) -> Result<Built, BuildError>
//! ```
//!
//! # The path of a note, from a session to a revision
//!
//! 1. `input.rs`: the note arrives in [`BuildInput::notes`] (the server read it from the
//!    session's stored batches), with the session's assets, `start` settings and skip hints in
//!    [`SessionInput`], and the server's [`SiteOptions`] (name, base URL, home note, limits).
//! 2. `select.rs`: it replaces the live page of the same NFC vault path and folder, and its
//!    source becomes a blob ([`BlobSink::put_bytes`]); in a partial publish the live pages not
//!    uploaded are kept unless the client's inventory dropped them, known by the *head* their
//!    manifest entry records (names, folder), their notes not read; `publish: false` leaves the
//!    note out. The revision's settings are the session's (cleanup rules kept from the live
//!    revision when a partial publish sent none).
//! 3. `routes.rs`: it gets its route (its frontmatter `permalink:`, checked by
//!    [`vps_core::permalink`]; else folder route base + slug, custom index pages, the route it
//!    had in the live revision when two notes want one), checked against `MAX_PATH_DEPTH`, and a
//!    [`vps_render::PageRef`] in the site's link index. `audience.rs`: who may read it
//!    ([`vps_access::decide`] on its head's `access:`/`unlisted:` and [`SiteOptions::access`]),
//!    decided again in every build; an invalid `access:` fails the build naming the note.
//! 4. `page.rs`: a kept page whose recorded questions get the same answers (links, embeds,
//!    attachments: see `links_key`) keeps its content without its note being read. Otherwise
//!    its note is read (`clean.rs`: [`BlobSink::read_many`], the pages to render together),
//!    the cleanup rules rewrite its Markdown, once, within its budget, and it is rendered: its
//!    wikilinks, embeds and transclusions resolve across the whole new page set (a page whose
//!    audience does not cover this page's is answered as missing: no title, address, text or
//!    image of it shows where not all its readers may see it), attachments
//!    through `links.rs` (Obsidian's lookup, NFC compared); its tags are checked.
//! 5. `documents.rs`: its page is laid out in the anonymous reader's site ([`vps_site::Site`]:
//!    navigation, backlinks, tags; a protected or unlisted page is in it but listed nowhere) and stored as a blob (with its gzip and brotli variants, `encode.rs`;
//!    reused from the base revision when its keys did not change), with the site's folder and
//!    tag pages (kept when their listing keys did not change) and the [`SiteModel`] (search;
//!    made from the base site, `Site::new_from`), each checked against its size limit. (The
//!    sitemap, feed, robots.txt and 404 page depend on `BASE_URL`: the server makes them.)
//! 6. `build.rs`: the manifest entry ([`vps_core::revision::Page`]) joins the new
//!    [`vps_core::revision::Revision`] with the assets still shown (`site.rs` chooses the home
//!    page and language), redirects for moved routes, for the routes permalinks replaced and for
//!    aliases (`routes.rs`), and [`vps_core::job::PromotionStats`]; the sink is flushed, and
//!    [`Built`] (with its warnings) goes back to the caller, who publishes it.
//!
//! [`BlockingBlobs`] is the sink over a [`vps_store::BlobStore`] for a build running on a
//! thread of its own; [`MemoryBlobs`] keeps blobs in memory (tests, tools).

#![warn(missing_docs)]

mod audience;
mod blocking;
mod build;
mod canvas;
mod clean;
mod documents;
pub mod encode;
mod error;
mod images;
mod input;
mod links;
mod page;
mod routes;
mod select;
mod sink;
mod site;

pub use blocking::{BlockingBlobs, FLUSH_BYTES, STORE_CONCURRENCY};
pub use build::{build, changes_nothing};
pub use documents::{CALLOUT_CSS_ROUTE, SiteModel, stale_pages};
pub use error::BuildError;
pub use input::{BuildInput, Built, ImageOptions, SessionInput, SiteOptions};
pub use sink::{BlobSink, MemoryBlobs};
pub use site::{publish_css, site_options};
