//! The live site: the revision the `current` pointer names, held in memory with its reader's
//! model (search, tags), so that a request is a map lookup and a blob read. Publishing and
//! rollback save a revision, move the pointer, then swap the in-memory copy; readers see the old
//! site or the new one, never a mix. The pointer may live in a bucket shared by several servers:
//! each follows it ([`Site::refresh`]), and a publish moves it only from the revision it was built
//! on ([`Site::publish`]).
//!
//! With the revision goes the set of blobs it publishes ([`Live::public`]): only those are
//! served at `/_blob/<hash>`, so a deleted page, an offline site, an aborted upload or a note's
//! source is never served, whatever hash is asked for. Blobs found damaged while being served
//! are remembered in [`Site`] ([`Site::report_corrupt`]) so that they are never served again.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, RwLock};

use vps_core::revision::{Asset, Revision, RevisionId};
use vps_core::slug::nfc;
use vps_core::{AssetPath, ContentHash, MediaType};
use vps_store::{BlobStore, Expect, RevisionStore, StoreError};

use vps_build::SiteModel;

use crate::encoding::Precompressed;
use crate::views::{Gate, Views};

/// A revision and its reader's model (absent for an empty site or an unreadable model).
pub(crate) struct Live {
    pub revision: Revision,
    pub site: Option<vps_site::Site>,
    /// The documents that depend on the public address (`BASE_URL`), made once per revision
    /// when it is loaded, with the server's settings of now: a restart with another `BASE_URL`
    /// or `SITE_NAME` shows in them at once.
    pub documents: ServedDocuments,
    /// Every blob the revision publishes, and what it is: one entry per blob, built once per
    /// revision, looked up by hash.
    public: HashMap<ContentHash, Public>,
    /// The assets whose path is not in NFC, by their NFC path (macOS writes NFD names).
    nfd_assets: HashMap<String, AssetPath>,
    /// What the revision protects, and from whom.
    pub gate: Gate,
    /// The site as logged-in readers see it, made when first asked.
    pub views: Views,
    /// Entries per listing page (`LISTING_PAGE_SIZE`), for the views' listings.
    pub listing_page_size: usize,
    /// `GRAPH_MAX_NODES`, for the views' graph documents.
    pub graph_max_nodes: usize,
}

/// What a published blob is, which says how it is served at `/_blob/<hash>`. Note sources and
/// the site model are not published: they have no entry. Neither have the stored compressed
/// variants (`Revision::encodings`): they are only ever sent as a `Content-Encoding` of the blob
/// they encode, never at a URL of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Public {
    /// A page's whole HTML.
    Page,
    /// A generated document (folder index, tag page, sitemap, feed, 404 page).
    Document { content_type: String },
    /// An uploaded asset, with the media type detected at upload.
    Asset { media_type: MediaType },
}

impl Public {
    /// The `Content-Type` it is served with.
    pub(crate) fn content_type(&self) -> String {
        match self {
            Public::Page => PAGE_CONTENT_TYPE.to_owned(),
            Public::Document { content_type } => content_type.clone(),
            Public::Asset { media_type } if media_type.is_textual() => format!("{media_type}; charset=utf-8"),
            Public::Asset { media_type } => media_type.to_string(),
        }
    }
}

/// How pages are served, at their route and at `/_blob/`.
pub(crate) const PAGE_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// What the site's address is to readers, from the settings: `BASE_URL` (origin and path
/// prefix) and `SITE_NAME`. Applied when a revision is loaded, never stored in one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Address {
    pub base: vps_site::PublicBase,
    /// `SITE_NAME`: replaces the name stored in the revision's site model, for what is made at
    /// load (feed, 404, search), unless the revision has a `site-options.json` (whose `siteName`
    /// wins). Pages keep the name they were published with.
    pub site_name: Option<String>,
    /// `LISTING_PAGE_SIZE`, for the listings of readers' views.
    pub listing_page_size: usize,
    /// `GRAPH_MAX_NODES`, for the graph documents of readers' views.
    pub graph_max_nodes: usize,
    /// `READER_VIEW_CACHE_BYTES`.
    pub view_cache_bytes: usize,
}

/// A document made when a revision is loaded: its bytes and their strong ETag.
#[derive(Debug, Clone)]
pub(crate) struct ServedDocument {
    /// Its bytes with their gzip and br variants, made with the document.
    pub file: Precompressed,
    pub content_type: &'static str,
}

/// The documents made when a revision is loaded (none for an empty site).
#[derive(Debug, Clone, Default)]
pub(crate) struct ServedDocuments {
    pub sitemap: Option<ServedDocument>,
    pub robots: Option<ServedDocument>,
    pub feed: Option<ServedDocument>,
    pub not_found: Option<ServedDocument>,
}

impl ServedDocuments {
    fn make(site: &vps_site::Site, revision: &Revision, base: &vps_site::PublicBase) -> Self {
        let document = |body: String, content_type: &'static str| {
            Some(ServedDocument { file: Precompressed::new(body), content_type })
        };
        let updated = vps_core::job::iso8601(revision.created_at_ms);
        ServedDocuments {
            sitemap: document(site.sitemap_xml(base), "application/xml; charset=utf-8"),
            robots: document(site.robots_txt(base), "text/plain; charset=utf-8"),
            feed: document(site.feed_xml(base, &updated), "application/atom+xml; charset=utf-8"),
            not_found: document(site.not_found(base), PAGE_CONTENT_TYPE),
        }
    }

    /// The document served at `route` (`/sitemap.xml`, `/robots.txt`, `/feed.xml`).
    pub(crate) fn at(&self, route: &str) -> Option<&ServedDocument> {
        match route {
            "/sitemap.xml" => self.sitemap.as_ref(),
            "/robots.txt" => self.robots.as_ref(),
            "/feed.xml" => self.feed.as_ref(),
            _ => None,
        }
    }
}

impl Live {
    pub(crate) fn new(revision: Revision, site: Option<vps_site::Site>, address: &Address) -> Self {
        let documents =
            site.as_ref().map(|site| ServedDocuments::make(site, &revision, &address.base)).unwrap_or_default();
        let mut public =
            HashMap::with_capacity(revision.pages.len() + revision.generated.len() + revision.assets.len());
        // Later kinds win for a blob that is two things at once: an asset keeps its own type.
        for page in revision.pages.values() {
            public.insert(page.html_blob, Public::Page);
        }
        for document in revision.generated.values() {
            public.insert(document.blob, Public::Document { content_type: document.content_type.clone() });
        }
        for asset in revision.assets.values() {
            public.insert(asset.sha256, Public::Asset { media_type: asset.media_type.clone() });
        }
        let nfd_assets = revision
            .assets
            .keys()
            .filter_map(|path| match nfc(path.as_str()) {
                Cow::Owned(composed) => Some((composed, path.clone())),
                Cow::Borrowed(_) => None,
            })
            .collect();
        let gate = Gate::new(&revision);
        let views = Views::new(if gate.is_open() { 0 } else { address.view_cache_bytes });
        let listing_page_size = address.listing_page_size.max(1);
        let graph_max_nodes = address.graph_max_nodes.max(1);
        Self { revision, site, documents, public, nfd_assets, gate, views, listing_page_size, graph_max_nodes }
    }

    /// The asset at `path`, compared in NFC: an NFD or NFC spelling finds the file whatever the
    /// spelling it was uploaded under.
    pub(crate) fn asset_by_path(&self, path: &str) -> Option<&Asset> {
        let composed = nfc(path);
        let exact = AssetPath::parse(&composed).ok().and_then(|path| self.revision.assets.get(&path));
        exact.or_else(|| self.revision.assets.get(self.nfd_assets.get(composed.as_ref())?))
    }

    /// What `hash` is in this revision, if the revision publishes it.
    pub(crate) fn public(&self, hash: &ContentHash) -> Option<&Public> {
        self.public.get(hash)
    }
}

impl Deref for Live {
    type Target = Revision;
    fn deref(&self) -> &Revision {
        &self.revision
    }
}

/// What is told of each revision that goes live.
type LiveListener = Box<dyn Fn(&Live) + Send + Sync>;

pub(crate) struct Site {
    revisions: Arc<dyn RevisionStore>,
    /// The settings every loaded revision is served with.
    settings: Address,
    live: RwLock<Arc<Live>>,
    /// Blobs found damaged while being served, and whether they were moved out of the store.
    corrupt: Mutex<HashMap<ContentHash, Quarantined>>,
    /// Told of every revision that goes live (the image variant queue).
    on_live: std::sync::OnceLock<LiveListener>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quarantined {
    Yes,
    No,
}

impl Site {
    /// Loads the revision `current` names (or an empty site).
    pub(crate) async fn open(
        revisions: Arc<dyn RevisionStore>,
        store: &dyn BlobStore,
        settings: Address,
    ) -> Result<Self, StoreError> {
        let live = Self::load_current(&*revisions, store, &settings).await?;
        Ok(Self {
            revisions,
            settings,
            live: RwLock::new(Arc::new(live)),
            corrupt: Mutex::default(),
            on_live: std::sync::OnceLock::new(),
        })
    }

    /// Calls `listener` with the live revision now, and with every revision that goes live from
    /// now on (a publish, a rollback, another server's publish). Set once.
    pub(crate) fn on_live(&self, listener: impl Fn(&Live) + Send + Sync + 'static) {
        if self.on_live.set(Box::new(listener)).is_ok() {
            self.went_live(&self.live());
        }
    }

    fn went_live(&self, live: &Live) {
        if let Some(listener) = self.on_live.get() {
            listener(live);
        }
    }

    /// The settings revisions are served with.
    pub(crate) fn address(&self) -> &Address {
        &self.settings
    }

    async fn load_current(
        revisions: &dyn RevisionStore,
        store: &dyn BlobStore,
        settings: &Address,
    ) -> Result<Live, StoreError> {
        let revision = match revisions.current().await? {
            Some(id) => revisions.load(&id).await?.ok_or_else(|| missing(&id))?,
            None => Revision::empty(),
        };
        // A site published with a `site-options.json` keeps the name it was built with: the
        // writer's `siteName` wins over `SITE_NAME` (and a new `SITE_NAME` changes the options
        // key, so the site is built again at start, `Finalizer::refresh_layout`).
        let writer_named = revision.assets.contains_key(&vps_build::site_options());
        let site = match &revision.site_blob {
            Some(blob) => {
                store.read_bytes(blob).await?.and_then(|bytes| serde_json::from_slice::<SiteModel>(&bytes).ok()).map(
                    |mut model| {
                        if let Some(name) = settings.site_name.as_ref().filter(|_| !writer_named) {
                            model.info.name = name.clone();
                        }
                        model.build()
                    },
                )
            }
            None => None,
        };
        Ok(Live::new(revision, site, settings))
    }

    pub(crate) fn live(&self) -> Arc<Live> {
        self.live.read().expect("site lock").clone()
    }

    /// What the pointer must still name for a revision built on the live one to be published.
    pub(crate) fn expect_live(live: &Live) -> Expect {
        Expect::Current((!live.is_empty_site()).then(|| live.id.clone()))
    }

    /// Saves `revision`, points the site at it — if the pointer is still where `expect` says:
    /// else [`StoreError::PointerMoved`], and nothing changes — and serves it from now on.
    pub(crate) async fn publish(
        &self,
        revision: Revision,
        site: vps_site::Site,
        expect: Expect,
    ) -> Result<Arc<Live>, StoreError> {
        self.revisions.save(&revision).await?;
        if let Err(error) = self.revisions.set_current(Some(&revision.id), expect).await {
            // Never live: not worth keeping in the history (its blobs go with the next `gc`).
            if matches!(error, StoreError::PointerMoved { .. }) {
                let _ = self.revisions.remove(&revision.id).await;
            }
            return Err(error);
        }
        let live = Arc::new(Live::new(revision, Some(site), &self.settings));
        *self.live.write().expect("site lock") = live.clone();
        self.went_live(&live);
        Ok(live)
    }

    /// Serves nothing (the plugin's "clean VPS"): the pointer names no revision; history stays.
    pub(crate) async fn clear(&self) -> Result<(), StoreError> {
        self.revisions.set_current(None, Expect::Anything).await?;
        *self.live.write().expect("site lock") = Arc::new(Live::new(Revision::empty(), None, &self.settings));
        Ok(())
    }

    /// Whether `ours` is the revision the pointer names or one it was built on. After a publish to
    /// a bucket shared with other servers, this tells whether another server's publish replaced
    /// ours unseen — possible where the S3 server checks conditional writes non-atomically, or
    /// ignores them — so that ours can be built again on top of it.
    pub(crate) async fn still_includes(&self, ours: &RevisionId) -> Result<bool, StoreError> {
        let mut next = self.revisions.current().await?;
        while let Some(id) = next {
            if &id == ours {
                return Ok(true);
            }
            // Revision ids grow with time: one older than ours cannot have been built on it.
            if &id < ours {
                return Ok(false);
            }
            next = self.revisions.load(&id).await?.and_then(|revision| revision.parent);
        }
        Ok(false)
    }

    /// Follows the pointer when something else moved it (`vps-publish rollback` while serving,
    /// another replica's publish). Returns the new live revision's id when it changed.
    pub(crate) async fn refresh(&self, store: &dyn BlobStore) -> Result<Option<RevisionId>, StoreError> {
        let stored = self.revisions.current().await?;
        let live = self.live();
        let live_id = (!live.is_empty_site()).then(|| live.id.clone());
        if stored == live_id {
            return Ok(None);
        }
        let loaded = Self::load_current(&*self.revisions, store, &self.settings).await?;
        let id = loaded.revision.id.clone();
        let loaded = Arc::new(loaded);
        *self.live.write().expect("site lock") = loaded.clone();
        self.went_live(&loaded);
        Ok(Some(id))
    }
}

impl Site {
    /// Records that the bytes stored as `hash` hash to `actual`: logs it, remembers it (every
    /// later request gets a 5xx, never the bytes) and moves the blob out of the store, so that
    /// a restart does not serve it either and a new upload of the right bytes can store it again.
    pub(crate) async fn report_corrupt(&self, store: &dyn BlobStore, hash: &ContentHash, actual: &ContentHash) {
        tracing::error!(blob = %hash, actual = %actual, store = %store.describe(), "a stored blob is corrupt: its bytes do not match its hash; it is no longer served");
        self.corrupt.lock().expect("corrupt lock").insert(*hash, Quarantined::No);
        match store.quarantine(hash).await {
            Ok(moved) => {
                if moved {
                    tracing::warn!(blob = %hash, "the corrupt blob was moved to the quarantine");
                }
                self.corrupt.lock().expect("corrupt lock").insert(*hash, Quarantined::Yes);
            }
            Err(error) => tracing::error!(blob = %hash, error = %error, "the corrupt blob could not be quarantined"),
        }
    }

    /// Whether `hash` was found corrupt. A quarantined blob that the store holds again was
    /// stored anew since (uploads are hashed as they are written): it is trusted again, and
    /// verified as every blob is when served.
    pub(crate) async fn is_corrupt(&self, store: &dyn BlobStore, hash: &ContentHash) -> Result<bool, StoreError> {
        let mark = self.corrupt.lock().expect("corrupt lock").get(hash).copied();
        match mark {
            None => Ok(false),
            Some(Quarantined::No) => Ok(true),
            Some(Quarantined::Yes) => {
                if store.len(hash).await?.is_none() {
                    return Ok(true);
                }
                self.corrupt.lock().expect("corrupt lock").remove(hash);
                Ok(false)
            }
        }
    }
}

fn missing(id: &RevisionId) -> StoreError {
    StoreError::Io {
        op: "load the current revision",
        path: format!("revisions/{id}.json").into(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "the pointer names a revision that is not stored"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_found_by_their_nfc_and_nfd_spellings() {
        let mut revision = Revision::empty();
        let asset = |byte: u8| Asset {
            sha256: ContentHash::from_digest([byte; 32]),
            size: 1,
            media_type: MediaType::parse("image/png").unwrap(),
        };
        revision.assets.insert(AssetPath::parse("img/E\u{301}te\u{301}.png").unwrap(), asset(1));
        revision.assets.insert(AssetPath::parse("img/Café.png").unwrap(), asset(2));
        let live = Live::new(revision, None, &Address::default());
        let found = |path: &str| live.asset_by_path(path).map(|a| a.sha256.as_bytes()[0]);
        assert_eq!(found("img/Été.png"), Some(1), "NFC finds the NFD upload");
        assert_eq!(found("img/E\u{301}te\u{301}.png"), Some(1));
        assert_eq!(found("img/Cafe\u{301}.png"), Some(2), "NFD finds the NFC upload");
        assert_eq!(found("img/Café.png"), Some(2));
        assert_eq!(found("img/cafe.png"), None);
    }
}
