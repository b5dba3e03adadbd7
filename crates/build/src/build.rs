//! [`build`]: the steps of a build, in order (ARCHITECTURE §5). Each step lives in its module:
//!
//! 1. The page set ([`crate::select`]): uploaded notes replace their pages; a partial publish
//!    keeps the others unless the inventory says they are gone.
//! 2. Routes ([`crate::routes`]), then links and embeds resolved across the whole new page set,
//!    so retained pages are re-rendered too and their links follow pages that moved.
//! 3. Every note is cleaned ([`crate::clean`]) and rendered ([`crate::page`]), then the reader's
//!    site is built around the pages ([`crate::documents`]). Every page and document becomes a
//!    blob (an unchanged one is the same blob, written once); assets are kept while a page shows
//!    them or the session uploaded them; moved routes, the routes permalinks replaced and
//!    aliases get redirects.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use vps_core::AssetPath;
use vps_core::job::{Phase, PromotionStats};
use vps_core::revision::{Asset, Page, Revision};
use vps_core::slug::nfc;
use vps_render::{LinkIndex, PageRef};
use vps_site::SiteInfo;

use crate::audience::decide_all;
use crate::clean::Notes;
use crate::documents;
use crate::documents::{Base, Draft};
use crate::encode::{Encoder, compressible};
use crate::error::BuildError;
use crate::input::{BuildInput, Built};
use crate::links::AssetLookup;
use crate::page::{PageContext, PagePart, Previous, keep_page, links_key, render_page, render_settings_key};
use crate::routes::{RouteReport, check_path_depth, nav_routes, page_ref, pointers, route_all};
use crate::select::{Selection, key, select, settings_for};
use crate::sink::BlobSink;
use crate::site::{folder_labels, home_route, publish_css, read_look, site_language, site_options};

/// Builds the revision of `input` on top of its base, storing every blob it names in `sink`.
///
/// `progress` is told how far the build is (the job's phase and percent) between two pages or
/// documents; when it answers an error (the job must stop), the build stops with that error.
pub fn build(
    sink: &dyn BlobSink,
    input: BuildInput<'_>,
    progress: &dyn Fn(Phase, u8) -> Result<(), BuildError>,
) -> Result<Built, BuildError> {
    progress(Phase::RebuildingNotes, 5)?;
    let BuildInput { base, base_site, session, notes, inventory, site, revision_id, now_ms } = input;
    let settings = settings_for(base, &session);
    let heads_current = base.options_key == Some(site.key());
    let Selection { entries, uploaded, retained } = select(sink, base, &session, notes, inventory, heads_current)?;

    let limits = &site.limits;
    // Depth is checked before anything walks the paths folder by folder (routes, the link
    // index, the navigation tree, breadcrumbs).
    for entry in &entries {
        check_path_depth(&entry.vault_path, &entry.vault_path, limits)?;
    }
    let mut report = RouteReport::default();
    let routed = route_all(entries, &settings, base, &mut report)?;
    for (route, entry) in &routed {
        check_path_depth(route, &entry.vault_path, limits)?;
    }
    let refs: Vec<PageRef> = routed.iter().map(|(route, entry)| page_ref(route, entry)).collect();
    let index = LinkIndex::new(&refs);
    // Who may read each page, before any page is rendered: a page links only to pages every
    // one of its readers may see. An invalid `access:` fails the build here, nothing written.
    let access = decide_all(&routed, site.access.as_deref())?;

    // Assets: what the live site has plus what this session brought (the plugin skips assets
    // whose bytes the server has, even in a full session, so the live ones stay available).
    let mut available: BTreeMap<AssetPath, Asset> = base.assets.clone();
    for (path, asset) in &session.assets {
        available.insert(path.clone(), asset.clone());
    }
    let lookup = AssetLookup::new(available.keys());
    // The site's look first: a bad `site-options.json` fails the build before anything is rendered.
    let look = read_look(sink, &available, &lookup, &site.look)?;
    // Each raster image's size, read from the heads of the images this publish brings.
    let images = crate::images::image_metas(sink, base, &available, &site.images, !heads_current)?;

    progress(Phase::RenderingHtml, 15)?;
    let notes = Notes::new(&routed, &settings, limits, sink)?;
    let positions: HashMap<usize, usize> =
        refs.iter().enumerate().map(|(i, page)| (std::ptr::from_ref(page).addr(), i)).collect();
    let mut by_vault_path: HashMap<String, usize> = HashMap::with_capacity(routed.len());
    for (i, (_, entry)) in routed.iter().enumerate() {
        by_vault_path.entry(nfc(&entry.vault_path).into_owned()).or_insert(i);
    }
    let render_settings = render_settings_key(&settings, limits, site.show_properties, &site.images.variant_widths);
    let links_key = links_key(render_settings, &refs, &access, &available, &images);
    let links_unchanged = base.links_key == Some(links_key);
    let context = |me: usize| PageContext {
        index: &index,
        refs: &refs,
        routed: &routed,
        access: &access,
        notes: &notes,
        me,
        lookup: &lookup,
        assets: &available,
        images: &images,
        variant_widths: &site.images.variant_widths,
        positions: &positions,
        by_vault_path: &by_vault_path,
        settings: &settings,
        limits,
        render_settings,
        show_properties: site.show_properties,
        links_unchanged,
    };
    // First the pages kept as they are (nothing they were made from changed): no note is read.
    let total = routed.len().max(1);
    let mut made: Vec<Option<(PagePart, Draft)>> = Vec::with_capacity(routed.len());
    for (i, (route, entry)) in routed.iter().enumerate() {
        let previous = base
            .pages
            .get(route)
            .filter(|page| key(&page.vault_path, &page.folder_id) == key(&entry.vault_path, &entry.folder_id))
            .and_then(|page| Some(Previous { page, info: base_site?.page_info(route)? }));
        made.push(keep_page(&context(i), route, previous));
        if i % 256 == 255 {
            progress(Phase::RenderingHtml, 15 + (15 * (i + 1) / total) as u8)?;
        }
    }
    // Then the others are rendered, their notes read together first.
    let to_render: Vec<usize> = (0..made.len()).filter(|&i| made[i].is_none()).collect();
    notes.read(&to_render)?;
    let rendering = to_render.len().max(1);
    for (done, &i) in to_render.iter().enumerate() {
        made[i] = Some(render_page(&context(i), &routed[i].0)?);
        progress(Phase::RenderingHtml, 30 + (40 * (done + 1) / rendering) as u8)?;
    }
    drop(notes);
    let (parts, mut drafts): (Vec<PagePart>, Vec<Draft>) = made.into_iter().map(|page| page.expect("made")).unzip();
    for (draft, nav_route) in drafts.iter_mut().zip(nav_routes(&routed, &settings)) {
        draft.info.nav_route = nav_route;
    }

    progress(Phase::PromotingContent, 75)?;
    let home =
        home_route(&routed, look.look.index_file.as_deref().or(site.home_note.as_deref()), report.home.as_deref());
    if let Some(wish) = &report.home
        && let Some((_, home)) = routed.iter().find(|(route, _)| Some(route) == home.as_ref())
        && nfc(&home.vault_path) != nfc(wish)
    {
        let home = &home.vault_path;
        report.warnings.push(format!("note {wish:?}: permalink \"/\" is not taken: the home page is {home:?}"));
    }
    let callout_css = documents::callout_stylesheet(&settings.callout_styles, limits)?;
    let logo_href =
        look.logo.as_ref().and_then(|logo| available.get(logo)).map(|logo| format!("/_blob/{}", logo.sha256));
    let info = SiteInfo {
        name: look.look.site_name.clone().unwrap_or_else(|| site.name.clone()),
        base_url: site.base_url.clone(),
        folder_display_names: folder_labels(&settings, &routed),
        publish_css_href: available
            .get(&publish_css())
            .map(|css| format!("/publish.css?v={}", &css.sha256.to_hex()[..12])),
        callout_css_href: callout_css.as_deref().map(documents::callout_css_href),
        home_route: home.clone(),
        language: site_language(site, &settings),
        presentation: look.presentation(logo_href),
    };
    let encoder = Encoder::new(&base.encodings);
    let mut documents =
        documents::write(sink, &encoder, Base { revision: base, site: base_site }, info, drafts, limits, progress)?;
    if let Some(css) = &callout_css {
        documents::add_callout_stylesheet(sink, &encoder, &mut documents, css)?;
    }
    let mut laid_out = documents.pages;
    let pages: BTreeMap<String, Page> = parts
        .into_iter()
        .map(|part| {
            let (html_blob, made_from) = laid_out.remove(&part.route).expect("every page is laid out");
            (part.route.clone(), part.into_page(html_blob, made_from))
        })
        .collect();
    let shown: BTreeSet<&AssetPath> = pages.values().flat_map(|page: &Page| page.assets.iter()).collect();
    // The vault's stylesheet, site options and logo stay while nothing replaces them, as a
    // page's attachments stay while it shows them.
    let (css, options) = (publish_css(), site_options());
    let keep = |path: &AssetPath| {
        shown.contains(path)
            || session.assets.contains_key(path)
            || *path == css
            || *path == options
            || look.logo.as_ref() == Some(path)
    };
    let assets: BTreeMap<AssetPath, Asset> = available.into_iter().filter(|(path, _)| keep(path)).collect();
    encode_assets(sink, &encoder, &assets, limits.max_encoded_asset_bytes)?;
    // Every blob the revision names is stored before the revision exists.
    sink.flush()?;
    let published: BTreeSet<&vps_core::ContentHash> = pages
        .values()
        .map(|page| &page.html_blob)
        .chain(documents.generated.values().map(|document| &document.blob))
        .chain(assets.values().map(|asset| &asset.sha256))
        .collect();
    let encodings = encoder.finish(|hash| published.contains(hash));

    progress(Phase::RebuildingIndexes, 92)?;
    let redirects = vps_render::assign::redirects(base, &pages, &pointers(&routed, &settings, limits));
    let kept_from_base =
        assets.keys().filter(|p| base.assets.contains_key(*p) && !session.assets.contains_key(*p)).count();
    let live_keys: BTreeSet<(String, String)> = pages.values().map(|p| key(&p.vault_path, &p.folder_id)).collect();
    let deleted = base.pages.values().filter(|p| !live_keys.contains(&key(&p.vault_path, &p.folder_id))).count();
    let stats = PromotionStats {
        notes_published: uploaded,
        notes_deduplicated: retained,
        notes_deleted: deleted as u64,
        assets_published: session.assets.len() as u64,
        assets_deduplicated: kept_from_base as u64,
    };
    let images: BTreeMap<vps_core::ContentHash, vps_core::image::ImageMeta> =
        images.into_iter().filter(|(hash, _)| published.contains(hash)).collect();
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
        encodings,
        options_key: Some(site.key()),
        links_key: Some(links_key),
        images,
    };
    Ok(Built {
        revision,
        stats,
        site: documents.site,
        pages_written: documents.pages_written,
        warnings: report.warnings.into_vec().into_iter().chain(look.warnings).collect(),
    })
}

/// The statistics of a publish that would give its base revision again, or `None` when it may
/// change something: then it must be built. Nothing changes when no note was uploaded, the
/// client was offered skips (the pages it did not send stay), every asset of the session is
/// live already with the same bytes, the `start` settings and cleanup rules are the live
/// revision's, the server's options are those it was built with, and the inventory, if any,
/// drops no page. The caller then keeps the live revision without building (a no-change
/// publish costs a comparison, not a build).
pub fn changes_nothing(input: &BuildInput<'_>) -> Option<PromotionStats> {
    let BuildInput { base, session, notes, inventory, site, .. } = input;
    let unchanged = !base.is_empty_site()
        && notes.is_empty()
        && session.offered_skips
        && base.options_key == Some(site.key())
        && settings_for(base, session) == base.settings
        && session.assets.iter().all(|(path, asset)| base.assets.get(path) == Some(asset))
        && inventory.is_none_or(|paths| {
            let paths: std::collections::HashSet<String> = paths.iter().map(|path| nfc(path).into_owned()).collect();
            base.pages.values().all(|page| paths.contains(nfc(&page.vault_path).as_ref()))
        });
    unchanged.then(|| PromotionStats {
        notes_published: 0,
        notes_deduplicated: base.pages.len() as u64,
        notes_deleted: 0,
        assets_published: session.assets.len() as u64,
        assets_deduplicated: base.assets.keys().filter(|path| !session.assets.contains_key(*path)).count() as u64,
    })
}

/// Bytes of compressible assets read at once to be encoded (each at most
/// `MAX_ENCODED_ASSET_BYTES`, so a batch holds at most this plus one asset).
const ENCODE_BATCH_BYTES: u64 = 32 * 1024 * 1024;

/// Gives every compressible asset of at most `max_bytes` its stored variants: those the base
/// revision made are reused, the others are read from the store in batches and compressed.
fn encode_assets(
    sink: &dyn BlobSink,
    encoder: &Encoder<'_>,
    assets: &BTreeMap<AssetPath, Asset>,
    max_bytes: usize,
) -> Result<(), BuildError> {
    let mut todo: Vec<&Asset> = assets
        .values()
        .filter(|asset| compressible(&asset.media_type) && asset.size <= max_bytes as u64)
        .filter(|asset| !encoder.reuse(&asset.sha256))
        .collect();
    todo.sort_by_key(|asset| asset.sha256);
    todo.dedup_by_key(|asset| asset.sha256);
    let mut batch: Vec<vps_core::ContentHash> = Vec::new();
    let mut batch_bytes = 0;
    let mut rest = todo.into_iter().peekable();
    while let Some(asset) = rest.next() {
        batch.push(asset.sha256);
        batch_bytes += asset.size;
        if batch_bytes >= ENCODE_BATCH_BYTES || rest.peek().is_none() {
            let hashes = std::mem::take(&mut batch);
            batch_bytes = 0;
            for (hash, bytes) in hashes.iter().zip(sink.read_many(hashes.clone())?) {
                // An asset the store does not have is served (or not) as it is; the build does
                // not fail for a variant.
                if let Some(bytes) = bytes {
                    encoder.encode(sink, *hash, &bytes)?;
                }
            }
        }
    }
    Ok(())
}
