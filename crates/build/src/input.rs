//! What a build takes and what it gives back: plain data, filled in by whoever runs the build
//! (the server's finalization job, a test, a tool).

use std::collections::BTreeMap;
use std::sync::Arc;

use vps_access::AccessConfig;

use vps_core::api::StartSessionRequest;
use vps_core::job::PromotionStats;
use vps_core::look::SiteLook;
use vps_core::note::{CleanupRule, Note};
use vps_core::revision::{Asset, Revision, RevisionId};
use vps_core::{AssetPath, SessionId};
use vps_render::PublishLimits;

/// Everything one build needs.
pub struct BuildInput<'a> {
    /// The live revision the new one is built on ([`Revision::empty`] for a first publish).
    pub base: &'a Revision,
    /// The reader's site of `base`, when it is at hand: its pages' info lets the build reuse
    /// the pages whose inputs did not change instead of rendering them again.
    pub base_site: Option<&'a vps_site::Site>,
    /// The publish: its settings, assets and skip hints.
    pub session: SessionInput<'a>,
    /// Every note the session uploaded, in the order received (a later copy wins).
    pub notes: Vec<Note>,
    /// The client's full list of vault paths, when it sent one (exact deletions).
    pub inventory: Option<&'a [String]>,
    /// The server's settings that shape the site.
    pub site: &'a SiteOptions,
    /// The id of the new revision.
    pub revision_id: RevisionId,
    /// The time of the build (the revision's `created_at_ms`, the feed's `updated`).
    pub now_ms: u64,
}

/// What a publish session brings to the build, besides its notes.
pub struct SessionInput<'a> {
    /// Recorded as the revision's `session`.
    pub id: SessionId,
    /// The `start` body: routing, index pages, ignored tags, folder names, locale.
    pub start: &'a StartSessionRequest,
    /// The assets uploaded or linked by hash in the session, by vault path.
    pub assets: BTreeMap<AssetPath, Asset>,
    /// Whether `start` offered skip hints the client could use: then the live pages it did not
    /// upload are kept (a partial publish), unless the inventory says they are gone. Without
    /// them the session publishes exactly what it uploaded.
    pub offered_skips: bool,
    /// The cleanup rules the session sent, if it sent any (else a partial publish keeps the
    /// live revision's).
    pub cleanup_rules: Option<&'a [CleanupRule]>,
}

/// What the page heads of a revision hold, in its [`SiteOptions::key`]: revisions made before
/// heads kept the frontmatter `access:`, `unlisted:` and `permalink:` have another key, so their
/// kept pages' heads are made again from their sources rather than trusted to say "no
/// `access:`" or "no `permalink:`".
pub(crate) const HEADS_VERSION: &str = "heads with access, unlisted and permalink";

/// The server's settings that shape the site.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    /// `SITE_NAME`: shown in every page's header and title.
    pub name: String,
    /// `BASE_URL`: the site's public address, for absolute URLs (sitemap, feed).
    pub base_url: Option<String>,
    /// The vault path of the note to serve at `/`, when configured.
    pub home_note: Option<String>,
    /// The bounds of the publish; a note over one fails it with [`crate::BuildError::Limit`].
    pub limits: PublishLimits,
    /// `SITE_LANGUAGE`: the site's language tag; empty to use the plugin's `locale`.
    pub language: String,
    /// The `[access]` table: who may read each page ([`vps_access::decide`]). `None`: every
    /// page is public (a frontmatter `unlisted: true` still keeps a page out of listings).
    pub access: Option<Arc<AccessConfig>>,
    /// `SHOW_PROPERTIES`: every page shows its frontmatter properties (a note's own
    /// `show_properties` wins; see `vps_render::shown_properties`).
    pub show_properties: bool,
    /// `SITE_LOGO`, `DEFAULT_THEME`, `SHOW_OUTLINE`, `SHOW_BACKLINKS`, `SHOW_SEARCH`,
    /// `SHOW_THEME_TOGGLE`, `SHOW_GRAPH`, `NAVIGATION_ORDER`: the server's choices of the site's
    /// look, for sites published by the plugin (which never sends a `site-options.json`).
    /// They are defaults: each choice the published `site-options.json` makes wins over the
    /// server's, as do its `siteName` over [`SiteOptions::name`] and its `indexFile` over
    /// [`SiteOptions::home_note`] — the writer, who publishes, decides how the site looks; the
    /// server's operator gives what is left. (`site_name` and `index_file` are not read here.)
    pub look: SiteLook,
    /// `IMAGE_VARIANTS`, `IMAGE_VARIANT_WIDTHS` and the decoding limits: which widths a page's
    /// images offer, and which images have variants at all.
    pub images: ImageOptions,
}

/// How pages offer their images' variants ([`vps_core::image`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageOptions {
    /// The widths variants are made at (`IMAGE_VARIANT_WIDTHS`); empty when variants are off
    /// (`IMAGE_VARIANTS=false`): pages then offer the original only (with its size).
    pub variant_widths: Vec<u32>,
    /// The decoding limits: an image over them has no variants ([`vps_media::probe`]).
    pub limits: vps_media::Limits,
}

/// A built revision, every blob it names stored.
pub struct Built {
    /// The new revision's manifest, not yet saved nor live.
    pub revision: Revision,
    /// What the publish did (notes published, kept, deleted; assets published, kept).
    pub stats: PromotionStats,
    /// The reader's site model of the revision (search, tag lists).
    pub site: vps_site::Site,
    /// Pages laid out and written by this build; the others kept the base revision's blob.
    pub pages_written: u64,
    /// What the writer should know of a publish that did not fail (a permalink not taken, keys
    /// of the published `site-options.json` left out…), a sentence each naming the note or file.
    pub warnings: Vec<String>,
}

impl SiteOptions {
    /// The hash of what these options change in a build's output: the site's name, home note,
    /// language and look, the publish limits, whether pages show their properties and the access
    /// policy ([`AccessConfig::policy_key`]). (`base_url` shapes nothing stored.)
    ///
    /// It also says that the revision's page heads hold the frontmatter `access:`,
    /// `unlisted:` and `permalink:` (`HEADS_VERSION`): a build on a revision with another key reads its kept
    /// notes' heads again from their sources.
    pub fn key(&self) -> vps_core::ContentHash {
        let policy = self.access.as_ref().map(|access| access.policy_key().to_hex());
        let text = format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{HEADS_VERSION}\n{policy:?}\nshow_properties={}\n{:?}\n{:?}",
            self.name, self.home_note, self.language, self.limits, self.show_properties, self.look, self.images
        );
        vps_core::ContentHash::of(text.as_bytes())
    }
}
