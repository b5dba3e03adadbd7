//! Building a revision from the live one and a finished session (ARCHITECTURE §5).
//!
//! 1. The page set: every note uploaded in the session replaces the page of its vault path (and
//!    folder). In a partial session (the server offered skips) every other live page is kept,
//!    unless the client's inventory says the note is gone. A full session publishes exactly
//!    what it uploaded.
//! 2. Routes, links and embeds are resolved across the whole new page set, so retained pages are
//!    re-rendered too and their links follow pages that moved.
//! 3. Every note is rendered, then the reader's site is built around the pages (navigation,
//!    backlinks, folder and tag pages, search, feeds: see `documents`). Every page and document
//!    becomes a blob (an unchanged one is the same blob, written once); assets are kept while a
//!    page shows them or the session uploaded them; moved routes get redirects.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use sha2::{Digest, Sha256};
use vps_core::job::{Phase, PromotionStats};
use vps_core::note::Note;
use vps_core::revision::{Asset, Page, Revision, RevisionId, SiteSettings};
use vps_core::slug::{decode_route, nfc};
use vps_core::{AssetPath, ContentHash};
use vps_render::{
    CleanupBudget, CleanupError, CompiledRules, Exceeded, LimitError, LinkIndex, PageMeta, PageRef, PublishLimits,
    RenderOptions, Resolver, Transclusion,
};
use vps_site::{Heading as SiteHeading, PageInfo, SiteInfo};
use vps_store::StoreError;

use super::BlockingBlobs;

use super::documents::{self, Draft};
use super::links::AssetLookup;
use crate::sessions::Session;

pub struct BuildInput<'a> {
    pub base: &'a Revision,
    pub session: &'a Session,
    /// Every note the session uploaded, in the order received (a later copy wins).
    pub uploaded: Vec<Note>,
    /// The client's full list of vault paths, when it sent one (exact deletions).
    pub inventory: Option<&'a [String]>,
    pub site: &'a SiteOptions,
    pub revision_id: RevisionId,
    pub now_ms: u64,
}

/// The server's settings that shape the site.
pub struct SiteOptions {
    pub name: String,
    pub base_url: Option<String>,
    /// The vault path of the note to serve at `/`, when configured.
    pub home_note: Option<String>,
    /// The bounds of the publish; a note over one fails it with [`BuildError::Limit`].
    pub limits: PublishLimits,
    /// `SITE_LANGUAGE`: the site's language tag; empty to use the plugin's `locale`.
    pub language: String,
}

pub struct Built {
    pub revision: Revision,
    pub stats: PromotionStats,
    /// The reader's site model of the revision (search, tag lists).
    pub site: vps_site::Site,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored source of {0} is missing or unreadable")]
    Source(String),
    #[error("cleanup rule {0}")]
    Cleanup(String),
    /// A note went over one of the [`PublishLimits`]: `note "<vault path>": … exceeds SETTING (n)`.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The finalization was stopped from outside: aborted by the client, or over its time
    /// budget. The message says which.
    #[error("{0}")]
    Stopped(String),
}

/// A note of the new site and, when it was retained, its stored source.
struct Entry {
    note: Note,
    source_blob: Option<ContentHash>,
}

pub fn build(
    store: &BlockingBlobs<'_>,
    input: BuildInput<'_>,
    progress: &dyn Fn(Phase, u8) -> Result<(), BuildError>,
) -> Result<Built, BuildError> {
    progress(Phase::RebuildingNotes, 5)?;
    let BuildInput { base, session, uploaded, inventory, site, revision_id, now_ms } = input;
    let settings = settings_for(base, session);

    // Notes are one note when their NFC vault paths are (macOS writes names in NFD).
    let key = |vault_path: &str, folder_id: &str| (nfc(vault_path).into_owned(), folder_id.to_owned());
    let mut entries: BTreeMap<(String, String), Entry> = BTreeMap::new();
    for note in uploaded {
        entries.insert(key(&note.vault_path, &note.folder_config.id), Entry { note, source_blob: None });
    }
    let uploaded_keys = entries.len() as u64;
    let inventory: Option<HashSet<String>> =
        inventory.map(|paths| paths.iter().map(|path| nfc(path).into_owned()).collect());
    let in_inventory =
        |vault_path: &str| inventory.as_ref().is_none_or(|paths| paths.contains(nfc(vault_path).as_ref()));
    let mut retained = 0u64;
    if session.offered_skips {
        let kept: Vec<&Page> = base
            .pages
            .values()
            .filter(|page| {
                !entries.contains_key(&key(&page.vault_path, &page.folder_id)) && in_inventory(&page.vault_path)
            })
            .collect();
        let sources = store.read_many(kept.iter().map(|page| page.source_blob).collect())?;
        for (page, bytes) in kept.into_iter().zip(sources) {
            let bytes = bytes.ok_or_else(|| BuildError::Source(page.vault_path.clone()))?;
            let note = serde_json::from_slice(&bytes).map_err(|_| BuildError::Source(page.vault_path.clone()))?;
            entries.insert(key(&page.vault_path, &page.folder_id), Entry { note, source_blob: Some(page.source_blob) });
            retained += 1;
        }
    }

    // `publish: false` in the frontmatter un-publishes a note.
    entries.retain(|_, entry| PageMeta::from_frontmatter(&entry.note.frontmatter.flat).publish != Some(false));
    let limits = &site.limits;
    // Depth is checked before anything walks the paths folder by folder (routes, the link
    // index, the navigation tree, breadcrumbs).
    for entry in entries.values() {
        let note = &entry.note;
        check_path_depth(&note.vault_path, &note.vault_path, limits)?;
    }
    let routed = route_all(entries.into_values().collect(), &settings, base);
    for (route, entry) in &routed {
        check_path_depth(route, &entry.note.vault_path, limits)?;
    }
    let refs: Vec<PageRef> = routed.iter().map(|(route, entry)| page_ref(route, &entry.note)).collect();
    let index = LinkIndex::new(&refs);

    // Assets: what the live site has plus what this session brought (the plugin skips assets
    // whose bytes the server has, even in a full session, so the live ones stay available).
    let mut available: BTreeMap<AssetPath, Asset> = base.assets.clone();
    for (path, asset) in &session.assets {
        let asset = Asset { sha256: asset.sha256, size: asset.size, media_type: asset.media_type.clone() };
        available.insert(path.clone(), asset);
    }
    let lookup = AssetLookup::new(available.keys());

    progress(Phase::RenderingHtml, 15)?;
    let cleaned = clean_all(&routed, &settings, limits, progress)?;
    progress(Phase::RenderingHtml, 20)?;
    let positions: HashMap<usize, usize> =
        refs.iter().enumerate().map(|(i, page)| (std::ptr::from_ref(page).addr(), i)).collect();
    let mut by_vault_path: HashMap<String, usize> = HashMap::with_capacity(routed.len());
    for (i, (_, entry)) in routed.iter().enumerate() {
        by_vault_path.entry(nfc(&entry.note.vault_path).into_owned()).or_insert(i);
    }
    let total = routed.len().max(1);
    let mut parts = Vec::with_capacity(routed.len());
    let mut drafts = Vec::with_capacity(routed.len());
    for (i, (route, entry)) in routed.iter().enumerate() {
        let cx = PageContext {
            index: &index,
            refs: &refs,
            notes: &routed,
            me: i,
            lookup: &lookup,
            assets: &available,
            cleaned: &cleaned,
            positions: &positions,
            by_vault_path: &by_vault_path,
            settings: &settings,
            limits,
        };
        let (part, draft) = build_page(store, &cx, route, entry)?;
        parts.push(part);
        drafts.push(draft);
        progress(Phase::RenderingHtml, 20 + (50 * (i + 1) / total) as u8)?;
    }

    progress(Phase::PromotingContent, 75)?;
    let home = home_route(&routed, site.home_note.as_deref());
    let info = SiteInfo {
        name: site.name.clone(),
        base_url: site.base_url.clone(),
        folder_display_names: folder_labels(&settings, &routed),
        publish_css_href: available
            .get(&publish_css())
            .map(|css| format!("/publish.css?v={}", &css.sha256.to_hex()[..12])),
        home_route: home.clone(),
        language: site_language(site, &settings),
    };
    let documents = documents::write(store, info, drafts, now_ms, limits, progress)?;
    // Every blob the revision names is stored before the revision exists.
    store.flush()?;
    let pages: BTreeMap<String, Page> = parts
        .into_iter()
        .map(|part| {
            let html_blob = documents.pages[&part.route];
            (part.route.clone(), part.into_page(html_blob))
        })
        .collect();
    let shown: BTreeSet<&AssetPath> = pages.values().flat_map(|page: &Page| page.assets.iter()).collect();
    let css = publish_css();
    let keep = |path: &AssetPath| shown.contains(path) || session.assets.contains_key(path) || *path == css;
    let assets: BTreeMap<AssetPath, Asset> = available.into_iter().filter(|(path, _)| keep(path)).collect();

    progress(Phase::RebuildingIndexes, 92)?;
    let redirects = vps_render::assign::redirects(base, &pages);
    let kept_from_base =
        assets.keys().filter(|p| base.assets.contains_key(*p) && !session.assets.contains_key(*p)).count();
    let live_keys: BTreeSet<(String, String)> = pages.values().map(|p| key(&p.vault_path, &p.folder_id)).collect();
    let deleted = base.pages.values().filter(|p| !live_keys.contains(&key(&p.vault_path, &p.folder_id))).count();
    let stats = PromotionStats {
        notes_published: uploaded_keys,
        notes_deduplicated: retained,
        notes_deleted: deleted as u64,
        assets_published: session.assets.len() as u64,
        assets_deduplicated: kept_from_base as u64,
    };
    let revision = Revision {
        id: revision_id,
        created_at_ms: now_ms,
        parent: (!base.is_empty_site()).then(|| base.id.clone()),
        session: Some(session.id),
        settings,
        pages,
        assets,
        redirects,
        home,
        generated: documents.generated,
        site_blob: Some(documents.site_blob),
    };
    Ok(Built { revision, stats, site: documents.site })
}

/// The settings of the new revision: this session's `start`, and its cleanup rules, or, when it
/// sent none and kept pages, the live revision's.
fn settings_for(base: &Revision, session: &Session) -> SiteSettings {
    let mut settings = SiteSettings::from_start(&session.start);
    settings.cleanup_rules = match &session.cleanup_rules {
        Some(rules) => rules.clone(),
        None if session.offered_skips => base.settings.cleanup_rules.clone(),
        None => Vec::new(),
    };
    settings
}

fn cleanup_rules(settings: &SiteSettings) -> Vec<vps_render::CleanupRule> {
    let enabled = settings.cleanup_rules.iter().filter(|rule| rule.is_enabled && !rule.regex.is_empty());
    enabled
        .map(|rule| vps_render::CleanupRule {
            id: rule.id.clone(),
            regex: rule.regex.clone(),
            replacement: rule.replacement.clone(),
            enabled: true,
        })
        .collect()
}

/// Every note's Markdown after the cleanup rules, in the order of `routed`: once per note, for
/// its page and for every page that embeds it. The rules are compiled once; each note gets its
/// [`CleanupBudget`] (output size, its own time and what is left of the publish's).
fn clean_all(
    routed: &[(String, Entry)],
    settings: &SiteSettings,
    limits: &PublishLimits,
    progress: &dyn Fn(Phase, u8) -> Result<(), BuildError>,
) -> Result<Vec<String>, BuildError> {
    let rules = CompiledRules::compile(&cleanup_rules(settings)).map_err(|e| BuildError::Cleanup(e.to_string()))?;
    let started = Instant::now();
    let mut cleaned = Vec::with_capacity(routed.len());
    for (i, (_, entry)) in routed.iter().enumerate() {
        let note = &entry.note;
        let budget = CleanupBudget::for_note(limits, started);
        let content =
            rules.apply(&note.content, &note.folder_config.ignored_cleanup_rule_ids, &budget).map_err(|error| {
                match error {
                    CleanupError::Limit { exceeded, .. } => BuildError::Limit(exceeded.in_note(&note.vault_path)),
                    other => BuildError::Cleanup(other.to_string()),
                }
            })?;
        cleaned.push(content);
        if i % 64 == 63 {
            progress(Phase::RenderingHtml, 15 + (5 * (i + 1) / routed.len()) as u8)?;
        }
    }
    Ok(cleaned)
}

/// `path` (a vault path or a route of the note at `vault_path`) has at most `MAX_PATH_DEPTH`
/// folders.
fn check_path_depth(path: &str, vault_path: &str, limits: &PublishLimits) -> Result<(), BuildError> {
    let depth = vps_render::folder_depth(path);
    if depth > limits.max_path_depth {
        let what = format!("the depth of {path:?} ({depth} folders)");
        let what = if what.len() > 200 { format!("its depth ({depth} folders)") } else { what };
        return Err(Exceeded::new(what, "MAX_PATH_DEPTH", limits.max_path_depth).in_note(vault_path).into());
    }
    Ok(())
}

/// Routes every note: folder route base + slugged path, custom index pages moved to
/// `<folder>/index`; notes that want one route share it as [`routes`] says. In route order.
fn route_all(entries: Vec<Entry>, settings: &SiteSettings, base: &Revision) -> Vec<(String, Entry)> {
    let index_routes: HashMap<String, String> = settings
        .custom_index_configs
        .iter()
        .map(|config| {
            let folder = vps_render::normalize_route_base(&config.folder_path);
            let route = if folder == "/" { "/index".to_owned() } else { format!("{folder}/index") };
            (nfc(&config.index_file_path).into_owned(), route)
        })
        .collect();
    let wanted: Vec<vps_render::assign::Wanted<'_>> = entries
        .iter()
        .map(|entry| {
            let folder = &entry.note.folder_config;
            let route = match index_routes.get(nfc(&entry.note.vault_path).as_ref()) {
                Some(route) => route.clone(),
                None => vps_render::compute_route(
                    &folder.route_base,
                    &entry.note.relative_path,
                    folder.flatten_tree == Some(true),
                ),
            };
            // Routes are NFC, as incoming paths are once decoded (route bases are verbatim).
            let route = nfc(&route).into_owned();
            vps_render::assign::Wanted { route, vault_path: &entry.note.vault_path, folder_id: &folder.id }
        })
        .collect();
    let assigned = vps_render::assign::assign(&wanted, &vps_render::assign::previous_routes(base));
    drop(wanted);
    let mut routed: Vec<(String, Entry)> = assigned.into_iter().zip(entries).collect();
    routed.sort_by(|a, b| (&a.0, &a.1.note.vault_path).cmp(&(&b.0, &b.1.note.vault_path)));
    routed
}

/// What the link index knows of a note: its names in NFC, as link targets are looked up
/// (`[[Été]]` typed in NFC finds `Été.md` stored in NFD, and the reverse).
fn page_ref(route: &str, note: &Note) -> PageRef {
    let composed = |text: &str| nfc(text).into_owned();
    PageRef {
        vault_path: composed(&note.vault_path),
        relative_path: composed(&note.relative_path),
        title: composed(&note.title),
        aliases: note.frontmatter.strings("aliases").iter().map(|alias| composed(alias)).collect(),
        route: route.to_owned(),
    }
}

struct PageContext<'a> {
    index: &'a LinkIndex<'a>,
    refs: &'a [PageRef],
    /// Every note of the new site, in the order of `refs`, for transclusion.
    notes: &'a [(String, Entry)],
    me: usize,
    lookup: &'a AssetLookup,
    assets: &'a BTreeMap<AssetPath, Asset>,
    /// Every note's Markdown after cleanup rules, in the order of `refs`.
    cleaned: &'a [String],
    /// The index in `refs` of each page reference, by its address.
    positions: &'a HashMap<usize, usize>,
    /// The index in `refs` of each note, by its NFC vault path (the first of a file published
    /// under two folders).
    by_vault_path: &'a HashMap<String, usize>,
    settings: &'a SiteSettings,
    limits: &'a PublishLimits,
}

/// A page's manifest entry, all but its HTML (which needs the whole site around it).
struct PagePart {
    route: String,
    title: String,
    vault_path: String,
    folder_id: String,
    source_sha256: String,
    source_blob: ContentHash,
    links: Vec<String>,
    assets: Vec<AssetPath>,
    tags: Vec<String>,
}

impl PagePart {
    fn into_page(self, html_blob: ContentHash) -> Page {
        Page {
            title: self.title,
            vault_path: self.vault_path,
            folder_id: self.folder_id,
            source_sha256: self.source_sha256,
            source_blob: self.source_blob,
            html_blob,
            links: self.links,
            assets: self.assets,
            tags: self.tags,
        }
    }
}

fn build_page(
    store: &BlockingBlobs<'_>,
    cx: &PageContext<'_>,
    route: &str,
    entry: &Entry,
) -> Result<(PagePart, Draft), BuildError> {
    let note = &entry.note;
    let content = &cx.cleaned[cx.me];
    let resolver = PageResolver { cx, shown: RefCell::new(BTreeSet::new()) };
    let options = RenderOptions { ignored_tags: &cx.settings.ignored_tags, limits: *cx.limits };
    let rendered =
        vps_render::try_render(content, &resolver, &options).map_err(|exceeded| exceeded.in_note(&note.vault_path))?;
    let meta = PageMeta::from_frontmatter(&note.frontmatter.flat);
    let title = meta.title.clone().unwrap_or_else(|| note.title.clone());
    let source_blob = match entry.source_blob {
        Some(blob) => blob,
        None => store.put_bytes(&serde_json::to_vec(note).expect("notes serialize"))?,
    };
    // Assets the client detected (frontmatter images, HTML references) count as shown too.
    let mut shown = resolver.shown.into_inner();
    shown.extend(note.assets.iter().filter_map(|asset| cx.lookup.resolve(&asset.target).cloned()));
    let image = meta.image.as_deref().and_then(|target| image_url(cx, target, &mut shown));
    let mut tags: Vec<String> = note
        .frontmatter
        .tags
        .iter()
        .chain(&meta.tags)
        .cloned()
        .chain(rendered.tags)
        .map(|t| t.trim_start_matches('#').to_owned())
        .collect();
    tags.sort();
    tags.dedup();
    if let Some(tag) = tags.iter().find(|tag| vps_render::tag_depth(tag) > cx.limits.max_tag_depth) {
        let depth = vps_render::tag_depth(tag);
        let what = if tag.len() > 200 {
            format!("a tag's depth ({depth} levels)")
        } else {
            format!("the depth of tag #{tag} ({depth} levels)")
        };
        return Err(Exceeded::new(what, "MAX_TAG_DEPTH", cx.limits.max_tag_depth).in_note(&note.vault_path).into());
    }
    // Hrefs are percent-encoded; the site's model and the manifest name routes.
    let links: Vec<String> = rendered
        .links
        .iter()
        .map(|href| match href.split_once('#') {
            Some((path, fragment)) => format!("{}#{fragment}", decode_route(path)),
            None => decode_route(href),
        })
        .collect();
    let links_to: Vec<String> =
        links.iter().map(|link| link.split('#').next().unwrap_or_default().to_owned()).collect();
    let info = PageInfo {
        route: route.to_owned(),
        title: title.clone(),
        vault_path: note.vault_path.clone(),
        description: meta.description.clone(),
        tags: tags.clone(),
        headings: rendered.headings.iter().map(|h| SiteHeading::new(h.level, h.text.clone(), h.id.clone())).collect(),
        updated: meta
            .updated
            .clone()
            .or_else(|| meta.date.clone())
            .or_else(|| note.published_at.as_str().map(str::to_owned)),
        noindex: meta.noindex,
        cssclasses: meta.cssclasses.clone(),
        image,
        links_to,
        text: rendered.text,
    };
    let part = PagePart {
        route: route.to_owned(),
        title,
        vault_path: note.vault_path.clone(),
        folder_id: note.folder_config.id.clone(),
        source_sha256: Sha256::digest(note.content.as_bytes()).iter().map(|b| format!("{b:02x}")).collect(),
        source_blob,
        links,
        assets: shown.into_iter().collect(),
        tags,
    };
    Ok((part, Draft { info, content_html: rendered.html }))
}

/// A frontmatter `image`/`cover`: a published asset (by its immutable URL) or a web address.
fn image_url(cx: &PageContext<'_>, target: &str, shown: &mut BTreeSet<AssetPath>) -> Option<String> {
    if target.starts_with("https://") || target.starts_with("http://") {
        return Some(target.to_owned());
    }
    let target = target.trim_start_matches("![[").trim_start_matches("[[").trim_end_matches("]]");
    let path = cx.lookup.resolve(target)?.clone();
    let url = format!("/_blob/{}", cx.assets.get(&path)?.sha256);
    shown.insert(path);
    Some(url)
}

/// The page served at `/`: the root index note, else the configured note, else a `Home` or
/// `index` note at the top of the vault.
fn home_route(routed: &[(String, Entry)], configured: Option<&str>) -> Option<String> {
    let by_vault_path = |wanted: &dyn Fn(&str) -> bool| {
        routed.iter().find(|(_, entry)| wanted(&entry.note.vault_path)).map(|(route, _)| route.clone())
    };
    if routed.iter().any(|(route, _)| route == "/index") {
        return Some("/index".into());
    }
    configured
        .and_then(|note| by_vault_path(&|path| nfc(path) == nfc(note)))
        .or_else(|| by_vault_path(&|path| path.eq_ignore_ascii_case("Home.md")))
        .or_else(|| by_vault_path(&|path| path.eq_ignore_ascii_case("index.md")))
}

/// The site's language: `SITE_LANGUAGE`, else the `locale` the publishing client sent (when it
/// is a language tag), else empty (English).
fn site_language(site: &SiteOptions, settings: &SiteSettings) -> String {
    if !site.language.is_empty() {
        return site.language.clone();
    }
    let sent = settings.locale.as_deref().unwrap_or_default();
    vps_core::language::language_tag(sent).unwrap_or_default().to_owned()
}

/// Folder labels: the session's map first, then each folder's display name, then the vault
/// folder's own name (the site crate falls back to vault folder names by itself).
fn folder_labels(settings: &SiteSettings, routed: &[(String, Entry)]) -> BTreeMap<String, String> {
    let mut labels = settings.folder_display_names.clone();
    for (_, entry) in routed {
        let folder = &entry.note.folder_config;
        if let Some(name) = &folder.display_name {
            labels.entry(vps_render::normalize_route_base(&folder.route_base)).or_insert_with(|| name.clone());
        }
    }
    labels
}

/// The vault's own stylesheet, applied to every page when published.
pub fn publish_css() -> AssetPath {
    AssetPath::parse("publish.css").expect("a valid path")
}

/// Links and embeds of one page, resolved across the new site.
struct PageResolver<'a> {
    cx: &'a PageContext<'a>,
    shown: RefCell<BTreeSet<AssetPath>>,
}

impl PageResolver<'_> {
    /// The page of the note whose vault path is `source` (a [`Transclusion::key`]), NFC
    /// compared; the current page when it is unknown.
    fn source(&self, source: &str) -> &PageRef {
        let position = self.cx.by_vault_path.get(nfc(source).as_ref()).copied().unwrap_or(self.cx.me);
        &self.cx.refs[position]
    }

    /// The href of `target` linked from `from` ([`vps_render::page_href`]).
    fn href_from(&self, from: &PageRef, target: &str, subpath: Option<&str>) -> Option<String> {
        let page = self.cx.index.resolve(from, target)?;
        Some(vps_render::page_href(page, subpath))
    }

    /// `target` embedded from `from`: the note's Markdown (its cleanup rules applied).
    fn markdown_from(&self, from: &PageRef, target: &str) -> Option<Transclusion> {
        let page = self.cx.index.resolve(from, target)?;
        let position = *self.cx.positions.get(&std::ptr::from_ref(page).addr())?;
        let note = &self.cx.notes[position].1.note;
        let markdown = self.cx.cleaned[position].clone();
        Some(Transclusion { markdown, href: vps_render::page_href(page, None), key: note.vault_path.clone() })
    }
}

impl Resolver for PageResolver<'_> {
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
        self.href_from(&self.cx.refs[self.cx.me], target, subpath)
    }

    /// A link inside an embedded note resolves from that note, as in Obsidian.
    fn page_href_from(&self, source: &str, target: &str, subpath: Option<&str>) -> Option<String> {
        self.href_from(self.source(source), target, subpath)
    }

    /// `![[Note]]`: the embedded note's Markdown (its cleanup rules applied), to render in place.
    fn note_markdown(&self, target: &str) -> Option<Transclusion> {
        self.markdown_from(&self.cx.refs[self.cx.me], target)
    }

    fn note_markdown_from(&self, source: &str, target: &str) -> Option<Transclusion> {
        self.markdown_from(self.source(source), target)
    }

    /// Assets are linked by their immutable `/_blob/<sha256>` URL: caches keep them for a year,
    /// and a changed file is a new URL.
    fn asset_href(&self, target: &str) -> Option<String> {
        let path = self.cx.lookup.resolve(target)?.clone();
        let href = format!("/_blob/{}", self.cx.assets.get(&path)?.sha256);
        self.shown.borrow_mut().insert(path);
        Some(href)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vps_core::url::encode_path;

    fn entry(vault_path: &str, content: &str) -> Entry {
        let title = vault_path.rsplit('/').next().unwrap().trim_end_matches(".md").to_owned();
        let note = Note {
            note_id: String::new(),
            title,
            vault_path: vault_path.to_owned(),
            relative_path: vault_path.to_owned(),
            content: content.to_owned(),
            frontmatter: Default::default(),
            folder_config: vps_core::note::FolderConfig {
                id: "f".into(),
                route_base: "/".into(),
                ..Default::default()
            },
            published_at: serde_json::Value::Null,
            assets: vec![],
            leaflet_blocks: None,
        };
        Entry { note, source_blob: None }
    }

    /// Resolves `check` against the site of `notes`, as the page `me` (a vault path).
    fn with_resolver(notes: &[(&str, &str)], me: &str, check: impl FnOnce(&PageResolver<'_>)) {
        let settings = SiteSettings::default();
        let routed = route_all(
            notes.iter().map(|(path, content)| entry(path, content)).collect(),
            &settings,
            &Revision::empty(),
        );
        let refs: Vec<PageRef> = routed.iter().map(|(route, entry)| page_ref(route, &entry.note)).collect();
        let index = LinkIndex::new(&refs);
        let positions = refs.iter().enumerate().map(|(i, page)| (std::ptr::from_ref(page).addr(), i)).collect();
        let by_vault_path =
            routed.iter().enumerate().map(|(i, (_, entry))| (nfc(&entry.note.vault_path).into_owned(), i)).collect();
        let cleaned: Vec<String> = routed.iter().map(|(_, entry)| entry.note.content.clone()).collect();
        let assets = BTreeMap::new();
        let lookup = AssetLookup::new(assets.keys());
        let limits = PublishLimits::default();
        let cx = PageContext {
            index: &index,
            refs: &refs,
            notes: &routed,
            me: routed.iter().position(|(_, entry)| entry.note.vault_path == me).unwrap(),
            lookup: &lookup,
            assets: &assets,
            cleaned: &cleaned,
            positions: &positions,
            by_vault_path: &by_vault_path,
            settings: &settings,
            limits: &limits,
        };
        check(&PageResolver { cx: &cx, shown: RefCell::new(BTreeSet::new()) });
    }

    fn route_of(notes: &[(&str, &str)], vault_path: &str) -> String {
        let routed = route_all(
            notes.iter().map(|(path, content)| entry(path, content)).collect(),
            &SiteSettings::default(),
            &Revision::empty(),
        );
        routed.into_iter().find(|(_, entry)| entry.note.vault_path == vault_path).unwrap().0
    }

    #[test]
    fn links_inside_an_embedded_note_resolve_from_that_note() {
        let notes = [("Home.md", "![[Inner]]"), ("sub/Inner.md", "[[Other]]"), ("sub/Other.md", ""), ("Other.md", "")];
        let sibling = encode_path(&route_of(&notes, "sub/Other.md"));
        let root = encode_path(&route_of(&notes, "Other.md"));
        assert_ne!(sibling, root);
        with_resolver(&notes, "Home.md", |resolver| {
            assert_eq!(resolver.page_href("Other", None), Some(root.clone()), "from the embedding page");
            assert_eq!(resolver.page_href_from("sub/Inner.md", "Other", None), Some(sibling.clone()));
            let embedded = resolver.note_markdown_from("sub/Inner.md", "Other").unwrap();
            assert_eq!(embedded.href, sibling, "an embed inside the embedded note, from that note");
            assert_eq!(embedded.key, "sub/Other.md");
            assert_eq!(resolver.note_markdown("Other").unwrap().key, "Other.md");
        });
    }

    #[test]
    fn wikilinks_find_notes_in_either_normalization_and_hrefs_are_encoded() {
        let nfd = "Dossier/E\u{301}te\u{301}.md";
        let notes = [("Home.md", ""), (nfd, "## Section"), ("Blog/Café.md", "")];
        with_resolver(&notes, "Home.md", |resolver| {
            let href = resolver.page_href("Été", None).expect("NFC target, NFD file");
            assert!(href.is_ascii(), "{href}");
            assert_eq!(decode_route(&href), route_of(&notes, nfd));
            let cafe = resolver.page_href("Cafe\u{301}", Some("x")).expect("NFD target, NFC file");
            assert!(cafe.is_ascii() && cafe.ends_with("#x"), "{cafe}");
            assert_eq!(resolver.note_markdown("Dossier/Été").unwrap().markdown, "## Section");
        });
    }

    #[test]
    fn routes_are_nfc_and_owned_by_their_note() {
        let nfd = "Caf\u{65}\u{301}.md";
        let route = route_of(&[(nfd, "")], nfd);
        assert_eq!(route, nfc(&route));
    }
}
