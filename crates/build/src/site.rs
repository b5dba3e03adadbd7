//! Site-wide choices made from the whole page set: the home page, the site's language, folder
//! labels, the vault's stylesheet, the site's look (the vault's `site-options.json` over the
//! server's settings).

use std::collections::BTreeMap;

use vps_core::AssetPath;
use vps_core::look::{MAX_SITE_OPTIONS_BYTES, SITE_OPTIONS_FILE, SiteLook, SiteLookError};
use vps_core::revision::{Asset, SiteSettings};
use vps_core::slug::nfc;

use crate::error::BuildError;
use crate::input::SiteOptions;
use crate::links::AssetLookup;
use crate::select::Entry;
use crate::sink::BlobSink;

/// The page served at `/`: the root index note, else the configured note (its vault path, `.md`
/// optional, as Obsidian Publish's `indexFile` names it), else the note whose frontmatter says
/// `permalink: /` (`wish`, a vault path), else a `Home` or `index` note at the top of the vault.
pub(crate) fn home_route(routed: &[(String, Entry)], configured: Option<&str>, wish: Option<&str>) -> Option<String> {
    let by_vault_path = |wanted: &dyn Fn(&str) -> bool| {
        routed.iter().find(|(_, entry)| wanted(&entry.vault_path)).map(|(route, _)| route.clone())
    };
    if routed.iter().any(|(route, _)| route == "/index") {
        return Some("/index".into());
    }
    configured
        .and_then(|note| {
            let with_md = format!("{note}.md");
            by_vault_path(&|path| nfc(path) == nfc(note)).or_else(|| by_vault_path(&|path| nfc(path) == nfc(&with_md)))
        })
        .or_else(|| wish.and_then(|wish| by_vault_path(&|path| path == wish)))
        .or_else(|| by_vault_path(&|path| path.eq_ignore_ascii_case("Home.md")))
        .or_else(|| by_vault_path(&|path| path.eq_ignore_ascii_case("index.md")))
}

/// The site's language: `SITE_LANGUAGE`, else the `locale` the publishing client sent (when it
/// is a language tag), else empty (English).
pub(crate) fn site_language(site: &SiteOptions, settings: &SiteSettings) -> String {
    if !site.language.is_empty() {
        return site.language.clone();
    }
    let sent = settings.locale.as_deref().unwrap_or_default();
    vps_core::language::language_tag(sent).unwrap_or_default().to_owned()
}

/// Folder labels: the session's map first, then each folder's display name, then the vault
/// folder's own name (the site crate falls back to vault folder names by itself).
pub(crate) fn folder_labels(settings: &SiteSettings, routed: &[(String, Entry)]) -> BTreeMap<String, String> {
    let mut labels = settings.folder_display_names.clone();
    for (_, entry) in routed {
        let head = &entry.head;
        if let Some(name) = &head.display_name {
            labels.entry(vps_render::normalize_route_base(&head.route_base)).or_insert_with(|| name.clone());
        }
    }
    labels
}

/// The vault's own stylesheet, applied to every page when published.
pub fn publish_css() -> AssetPath {
    AssetPath::parse("publish.css").expect("a valid path")
}

/// The vault's Obsidian Publish `site-options.json`, read by the build when published.
pub fn site_options() -> AssetPath {
    AssetPath::parse(SITE_OPTIONS_FILE).expect("a valid path")
}

/// The site's look as the build applies it: the published `site-options.json`'s choices over
/// the server's ([`SiteOptions::look`]), the logo's asset, and what was left out.
pub(crate) struct Look {
    pub(crate) look: SiteLook,
    pub(crate) logo: Option<AssetPath>,
    pub(crate) warnings: Vec<String>,
}

/// Reads the published `site-options.json` (if any) from the store and lays it over the
/// server's choices. A file over [`MAX_SITE_OPTIONS_BYTES`] or that is not a JSON object fails
/// the build ([`BuildError::SiteOptions`]); a key of the wrong type, or a logo that is not
/// published, is a warning. The logo is found as an embed is ([`AssetLookup`]).
pub(crate) fn read_look(
    sink: &dyn BlobSink,
    available: &BTreeMap<AssetPath, Asset>,
    lookup: &AssetLookup,
    server: &SiteLook,
) -> Result<Look, BuildError> {
    let mut warnings = Vec::new();
    let published = match available.get(&site_options()) {
        None => SiteLook::default(),
        Some(asset) if asset.size > MAX_SITE_OPTIONS_BYTES => return Err(SiteLookError::TooLarge(asset.size).into()),
        Some(asset) => {
            let bytes = sink
                .read_many(vec![asset.sha256])?
                .pop()
                .flatten()
                .ok_or_else(|| BuildError::Source(SITE_OPTIONS_FILE.to_owned()))?;
            let (look, left_out) = SiteLook::parse(&bytes)?;
            warnings.extend(left_out.into_iter().map(|warning| format!("{SITE_OPTIONS_FILE}: {warning}")));
            look
        }
    };
    let look = published.over(server);
    let logo = look.logo.as_deref().and_then(|path| {
        let found = lookup.resolve("", path).cloned();
        if found.is_none() {
            warnings.push(format!("the logo `{path}` is not published: the header shows the site's name alone"));
        }
        found
    });
    Ok(Look { look, logo, warnings })
}

impl Look {
    /// The site's [`vps_site::Presentation`]; `logo_href` is where the logo asset is served.
    pub(crate) fn presentation(&self, logo_href: Option<String>) -> vps_site::Presentation {
        let defaults = vps_site::Presentation::default();
        let look = &self.look;
        vps_site::Presentation {
            logo_href,
            default_theme: match look.default_theme {
                Some(vps_core::look::Theme::Light) => vps_site::Theme::Light,
                Some(vps_core::look::Theme::Dark) => vps_site::Theme::Dark,
                Some(vps_core::look::Theme::System) => vps_site::Theme::System,
                None => defaults.default_theme,
            },
            show_outline: look.show_outline.unwrap_or(defaults.show_outline),
            show_backlinks: look.show_backlinks.unwrap_or(defaults.show_backlinks),
            show_search: look.show_search.unwrap_or(defaults.show_search),
            show_theme_toggle: look.show_theme_toggle.unwrap_or(defaults.show_theme_toggle),
            show_graph: look.show_graph.unwrap_or(defaults.show_graph),
            navigation_order: look.navigation_ordering.clone().unwrap_or_default(),
        }
    }
}
