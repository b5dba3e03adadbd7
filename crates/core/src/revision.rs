//! A revision: the immutable manifest of one whole published site. The live site is the revision
//! the `current` pointer names; publishing writes a new revision and moves the pointer.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::api::{CalloutStyle, CustomIndexConfig, IgnoreRule, PipelineSignature, StartSessionRequest};
#[cfg(doc)]
use crate::note::FolderConfig;
use crate::note::{CleanupRule, Note};
use crate::{AssetPath, ContentHash, MediaType, SessionId};

/// A revision's id: `r<unix ms, 13 digits>-<8 hex>`, so that ids sort by creation time.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RevisionId(String);

/// Why a string is not a [`RevisionId`] (holds the first 40 characters of it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a revision id (r<13 digits>-<8 hex digits>)")]
pub struct RevisionIdError(String);

impl RevisionId {
    /// The id of a revision created at `unix_ms` (milliseconds since the Unix epoch), made
    /// unique among revisions of the same millisecond by `random`.
    pub fn new(unix_ms: u64, random: u32) -> Self {
        Self(format!("r{unix_ms:013}-{random:08x}"))
    }

    /// Accepts exactly `r<13 digits>-<8 lower-case hex digits>`.
    pub fn parse(text: &str) -> Result<Self, RevisionIdError> {
        let valid = text.len() == 23
            && text.starts_with('r')
            && text[1..14].bytes().all(|b| b.is_ascii_digit())
            && text.as_bytes()[14] == b'-'
            && text[15..].bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid { Ok(Self(text.to_owned())) } else { Err(RevisionIdError(text.chars().take(40).collect())) }
    }

    /// The id as text (`r1700000000000-deadbeef`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// When it was created, in milliseconds since the Unix epoch.
    pub fn unix_ms(&self) -> u64 {
        self.0[1..14].parse().unwrap_or_default()
    }
}

impl TryFrom<String> for RevisionId {
    type Error = RevisionIdError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<RevisionId> for String {
    fn from(id: RevisionId) -> String {
        id.0
    }
}

impl fmt::Display for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RevisionId({})", self.0)
    }
}

/// The manifest of one whole published site: every page, asset and generated document, by the
/// hash of its bytes. Never changed once written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// Its id, which also says when it was built.
    pub id: RevisionId,
    /// When it was built, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// The revision that was live when it was built; none for the first one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<RevisionId>,
    /// The session that produced it (none for a rollback or an empty site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionId>,
    /// The publication settings it was built with.
    pub settings: SiteSettings,
    /// Pages by route (`/blog/note-a`).
    pub pages: BTreeMap<String, Page>,
    /// Published assets by their path in the vault, served at `/assets/<path>`.
    pub assets: BTreeMap<AssetPath, Asset>,
    /// Routes that moved: old route → new route (301).
    #[serde(default)]
    pub redirects: BTreeMap<String, String>,
    /// The route of the page served at `/`, when a note is the home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    /// Documents made for the whole site rather than from one note: folder indexes, tag pages,
    /// the generated home page. (`sitemap.xml`, `robots.txt`, `feed.xml` and the 404 page depend
    /// on the public address: the server makes them when it loads the revision; revisions made
    /// before that also list them here, and they are ignored.)
    #[serde(default)]
    pub generated: BTreeMap<String, Generated>,
    /// The site model (page titles, headings, tags, text) the reader's features are built from,
    /// as a JSON blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_blob: Option<ContentHash>,
    /// The stored encodings of the published blobs that have them (pages, generated documents,
    /// compressible assets), by the hash of their identity bytes: made once at publish time, so
    /// that serving never compresses. A blob with no entry is served as it is.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub encodings: BTreeMap<ContentHash, Encodings>,
    /// The hash of the server's settings that shaped it (site name, home note, language,
    /// publish limits), so that a publish that changes nothing is known without building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_key: Option<ContentHash>,
    /// The hash of everything a page's links, embeds and images are resolved against (every
    /// note's names and route, every asset, the render settings): when the next build's is the
    /// same, a kept page that embeds no note gets the same answers without asking again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links_key: Option<ContentHash>,
    /// What is known of each published raster image (its size, whether variants are made of
    /// it), by its SHA-256: read from its header when it was first published, then carried from
    /// revision to revision while it stays published.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<ContentHash, crate::image::ImageMeta>,
}

/// The stored representations of one published blob: its own size and its compressed variants,
/// each a blob of its own (content-addressed like any other, so an unchanged page reuses them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encodings {
    /// The size of the identity bytes (what `Content-Length` says when none is chosen).
    pub size: u64,
    /// The gzip variant, when it is smaller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gzip: Option<Encoded>,
    /// The brotli variant, when it is smaller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub br: Option<Encoded>,
}

/// One compressed variant: its blob and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encoded {
    /// The compressed bytes in the blob store.
    pub blob: ContentHash,
    /// Their size in bytes.
    pub size: u64,
}

impl Encodings {
    /// The variants, best first (brotli, then gzip), with their `Content-Encoding` names.
    pub fn variants(&self) -> impl Iterator<Item = (&'static str, &Encoded)> {
        [("br", self.br.as_ref()), ("gzip", self.gzip.as_ref())].into_iter().filter_map(|(name, e)| Some((name, e?)))
    }
}

/// A generated document: its bytes and how to serve them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    /// The document's bytes in the blob store.
    pub blob: ContentHash,
    /// The `Content-Type` to serve it with (`text/html; charset=utf-8`, `application/xml; charset=utf-8`).
    pub content_type: String,
    /// The hash of what it was made from (a listing: what it lists and its navigation), so that
    /// the next build keeps it when that did not change; none in revisions made before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<ContentHash>,
}

/// The publication settings a revision was built with: what `start` sent that affects output,
/// and the cleanup rules of the first notes batch. A `start` that differs means the pipeline
/// changed (the client must send every note again).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SiteSettings {
    /// `start`'s `calloutStyles`.
    pub callout_styles: Vec<CalloutStyle>,
    /// `start`'s `customIndexConfigs`.
    pub custom_index_configs: Vec<CustomIndexConfig>,
    /// `start`'s `ignoreRules`.
    pub ignore_rules: Vec<IgnoreRule>,
    /// `start`'s `ignoredTags`: tags the site does not show.
    pub ignored_tags: Vec<String>,
    /// `start`'s `folderDisplayNames`: route → label.
    pub folder_display_names: BTreeMap<String, String>,
    /// `start`'s `pipelineSignature`.
    pub pipeline_signature: Option<PipelineSignature>,
    /// `start`'s `locale`: the site's language when none is configured.
    pub locale: Option<String>,
    /// The cleanup rules sent with the first notes batch of the session that built it.
    pub cleanup_rules: Vec<CleanupRule>,
}

impl SiteSettings {
    /// The settings a `start` body asks for (cleanup rules come later, with the first notes).
    pub fn from_start(start: &StartSessionRequest) -> Self {
        Self {
            callout_styles: start.callout_styles.clone(),
            custom_index_configs: start.custom_index_configs.clone(),
            ignore_rules: start.ignore_rules.clone(),
            ignored_tags: start.ignored_tags.clone(),
            folder_display_names: start.folder_display_names.clone(),
            pipeline_signature: start.pipeline_signature.clone(),
            locale: start.locale.clone(),
            cleanup_rules: Vec::new(),
        }
    }

    /// The `start` body that asks for these settings ([`SiteSettings::from_start`] of it gives
    /// them back, cleanup rules aside): what a build the server starts itself (no client) is
    /// given.
    pub fn to_start(&self) -> StartSessionRequest {
        StartSessionRequest {
            callout_styles: self.callout_styles.clone(),
            custom_index_configs: self.custom_index_configs.clone(),
            ignore_rules: self.ignore_rules.clone(),
            ignored_tags: self.ignored_tags.clone(),
            folder_display_names: self.folder_display_names.clone(),
            pipeline_signature: self.pipeline_signature.clone(),
            locale: self.locale.clone(),
            ..StartSessionRequest::default()
        }
    }

    /// The same settings without the cleanup rules: what a new `start` can be compared with.
    pub fn without_cleanup_rules(&self) -> Self {
        Self { cleanup_rules: Vec::new(), ..self.clone() }
    }
}

/// A published page: made from one note, served at its route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// The page's title (the frontmatter `title`, or else the note's file name).
    pub title: String,
    /// The note's vault path (`Blog/post-one.md`).
    pub vault_path: String,
    /// The `folderConfig.id` the note came with: with `vault_path`, the note's identity.
    pub folder_id: String,
    /// SHA-256 (hex) of the note's `content` exactly as received: the plugin's skip key.
    pub source_sha256: String,
    /// The note as received (JSON), kept so that the page can be rebuilt without the client.
    pub source_blob: ContentHash,
    /// The whole HTML page.
    pub html_blob: ContentHash,
    /// Routes of the pages it links to.
    #[serde(default)]
    pub links: Vec<String>,
    /// Vault paths of the assets it shows.
    #[serde(default)]
    pub assets: Vec<AssetPath>,
    /// The page's tags, without `#`, sorted and unique: frontmatter `tags` and inline `#tags`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What its HTML was made from, so that the next build can reuse it when nothing it depends
    /// on changed (none in revisions made before incremental builds: they are rendered again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_from: Option<MadeFrom>,
    /// What routing and the link index need of its note, so that a later build keeps the page
    /// without reading its source (none in revisions made before: their sources are read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<NoteHead>,
    /// Who may read it (decided at build time from its frontmatter `access:`, the folder rules
    /// and the site mode of the server's `[access]` table). Public when absent.
    #[serde(default, skip_serializing_if = "Audience::is_public")]
    pub audience: Audience,
    /// `unlisted: true` in its frontmatter: reachable by its URL, absent from navigation,
    /// search, tags, feeds, the sitemap, backlinks and listings.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlisted: bool,
}

/// Who may read a page. The one place that says which reader a page allows
/// ([`Audience::allows`]) and which pages one page may name ([`Audience::covers`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "groups")]
pub enum Audience {
    /// Everyone, logged in or not.
    #[default]
    Public,
    /// Any logged-in reader (`site = "private"`).
    Readers,
    /// Readers in at least one of these groups (never empty).
    Groups(BTreeSet<String>),
}

impl Audience {
    /// Whether it is [`Audience::Public`].
    pub fn is_public(&self) -> bool {
        *self == Audience::Public
    }

    /// Whether a reader may read it: `None` is an anonymous reader, `Some(groups)` a logged-in
    /// reader in those groups.
    pub fn allows(&self, reader_groups: Option<&BTreeSet<String>>) -> bool {
        match self {
            Audience::Public => true,
            Audience::Readers => reader_groups.is_some(),
            Audience::Groups(groups) => reader_groups.is_some_and(|mine| !mine.is_disjoint(groups)),
        }
    }

    /// Whether every reader `other` allows is allowed by this audience too: a page for `other`
    /// may show this page's title, link, text or images without telling anyone something they
    /// may not read.
    pub fn covers(&self, other: &Audience) -> bool {
        match (self, other) {
            (Audience::Public, _) => true,
            (Audience::Readers, Audience::Readers | Audience::Groups(_)) => true,
            (Audience::Groups(mine), Audience::Groups(theirs)) => theirs.is_subset(mine),
            _ => false,
        }
    }

    /// A short human description: `public`, `any logged-in reader`, `groups team, board`.
    pub fn describe(&self) -> String {
        match self {
            Audience::Public => "public".to_owned(),
            Audience::Readers => "any logged-in reader".to_owned(),
            Audience::Groups(groups) => {
                format!("groups {}", groups.iter().map(String::as_str).collect::<Vec<_>>().join(", "))
            }
        }
    }
}

/// A note's names and where its folder puts it: all a build needs of a note it keeps to route
/// it and find it by a link. Its content, properties and assets stay in its source blob, read
/// only when the page must be rendered again or another page embeds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteHead {
    /// The file name without `.md` ([`Note::title`]).
    pub name: String,
    /// [`Note::relative_path`].
    pub relative_path: String,
    /// The frontmatter `aliases`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The folder's route base ([`FolderConfig::route_base`]).
    pub route_base: String,
    /// The folder drops sub-folders from routes ([`FolderConfig::flatten_tree`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flatten_tree: bool,
    /// The folder's label in navigation ([`FolderConfig::display_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The frontmatter `access:` as written, so that a kept page's audience is decided again
    /// (under the server's current rules) without reading its source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<serde_json::Value>,
    /// The frontmatter `unlisted:` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<serde_json::Value>,
    /// The frontmatter `permalink:` as written, checked by
    /// [`Permalink::parse`](crate::permalink::Permalink::parse) at every build (a kept page is
    /// routed again without reading its source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<serde_json::Value>,
}

impl NoteHead {
    /// The head of `note`.
    pub fn of(note: &Note) -> NoteHead {
        let folder = &note.folder_config;
        NoteHead {
            name: note.title.clone(),
            relative_path: note.relative_path.clone(),
            aliases: note.frontmatter.strings("aliases"),
            route_base: folder.route_base.clone(),
            flatten_tree: folder.flatten_tree == Some(true),
            display_name: folder.display_name.clone(),
            access: note.frontmatter.flat.get("access").filter(|value| !value.is_null()).cloned(),
            unlisted: note.frontmatter.flat.get("unlisted").filter(|value| !value.is_null()).cloned(),
            permalink: note.frontmatter.flat.get("permalink").filter(|value| !value.is_null()).cloned(),
        }
    }
}

/// The inputs of a page's HTML, as hashes: a build reuses the previous revision's HTML when they
/// are the same. Rendering a note is a pure function of its source, its route, the site's
/// render settings and the answers to the questions it asked about the rest of the site
/// (where a link goes, what an embedded note says, which blob an image is): asking the same
/// questions again and getting the same answers means the same content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MadeFrom {
    /// The hash of the note's own inputs and of every answer it got (its content HTML's key).
    pub content_key: ContentHash,
    /// The hash of `content_key` and of the page's shell (navigation, backlinks, site): the
    /// whole page's key.
    pub page_key: ContentHash,
    /// The note's content HTML as rendered, a blob of its own (kept with the revision, never
    /// published): a page whose shell changed is laid out again around it without rendering
    /// its note.
    pub content: ContentHash,
    /// The questions its rendering asked, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<Question>,
}

/// One question a note's rendering asked about the rest of the site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "q")]
pub enum Question {
    /// Where a wikilink to `target` (with its `#subpath`) goes, asked from the note or, inside
    /// an embedded note, from `from` (a vault path).
    Link {
        /// The embedded note's vault path the link is in, if not the page's own note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The link's target as written.
        target: String,
        /// `heading` or `^block`, when the link has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subpath: Option<String>,
    },
    /// What an embedded note (`![[target]]`) says.
    Embed {
        /// As for [`Question::Link`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The embed's target as written.
        target: String,
    },
    /// Which blob an attachment named `target` is.
    Asset {
        /// The attachment's name or path as written.
        target: String,
    },
}

/// A published asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Asset {
    /// SHA-256 of its bytes: its blob in the store.
    pub sha256: ContentHash,
    /// Its size in bytes.
    pub size: u64,
    /// The media type detected from its bytes, served as its `Content-Type`.
    pub media_type: MediaType,
}

impl Revision {
    /// The site before anything is published.
    pub fn empty() -> Self {
        Self {
            id: RevisionId::new(0, 0),
            created_at_ms: 0,
            parent: None,
            session: None,
            settings: SiteSettings::default(),
            pages: BTreeMap::new(),
            assets: BTreeMap::new(),
            redirects: BTreeMap::new(),
            home: None,
            generated: BTreeMap::new(),
            site_blob: None,
            encodings: BTreeMap::new(),
            options_key: None,
            links_key: None,
            images: BTreeMap::new(),
        }
    }

    /// Whether this is [`Revision::empty`], the site before anything is published.
    pub fn is_empty_site(&self) -> bool {
        self.id.unix_ms() == 0
    }

    /// Every blob the revision needs: page sources, contents and HTML, assets, documents,
    /// encodings.
    pub fn blobs(&self) -> impl Iterator<Item = &ContentHash> {
        let pages = self.pages.values().flat_map(|p| [&p.source_blob, &p.html_blob]);
        let generated = self.generated.values().map(|g| &g.blob).chain(&self.site_blob);
        let encoded = self.encodings.values().flat_map(|e| e.variants().map(|(_, variant)| &variant.blob));
        let contents = self.pages.values().filter_map(|p| p.made_from.as_ref().map(|made| &made.content));
        pages.chain(self.assets.values().map(|a| &a.sha256)).chain(generated).chain(encoded).chain(contents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_allow_readers_and_cover_narrower_audiences() {
        let groups = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect::<BTreeSet<String>>();
        let team = Audience::Groups(groups(&["team"]));
        let team_or_board = Audience::Groups(groups(&["team", "board"]));
        assert!(Audience::Public.allows(None));
        assert!(!Audience::Readers.allows(None) && Audience::Readers.allows(Some(&groups(&[]))));
        assert!(!team.allows(None) && !team.allows(Some(&groups(&["board"]))));
        assert!(team.allows(Some(&groups(&["board", "team"]))));
        assert!(Audience::Public.covers(&team) && Audience::Readers.covers(&team));
        assert!(team_or_board.covers(&team) && !team.covers(&team_or_board));
        assert!(!team.covers(&Audience::Public) && !team.covers(&Audience::Readers));
        assert!(!Audience::Readers.covers(&Audience::Public));
        let json = serde_json::to_string(&team).unwrap();
        assert_eq!(json, r#"{"kind":"groups","groups":["team"]}"#);
        assert_eq!(serde_json::from_str::<Audience>(&json).unwrap(), team);
    }

    #[test]
    fn revision_ids_sort_by_time_and_parse_back() {
        let a = RevisionId::new(1_700_000_000_000, 0xdead_beef);
        let b = RevisionId::new(1_700_000_000_001, 0);
        assert!(a < b);
        assert_eq!(RevisionId::parse(a.as_str()), Ok(a.clone()));
        assert_eq!(a.unix_ms(), 1_700_000_000_000);
        for bad in ["", "r123", "x1700000000000-deadbeef", "r1700000000000-DEADBEEF", "r1700000000000-deadbee/"] {
            assert!(RevisionId::parse(bad).is_err(), "{bad}");
        }
    }
}
