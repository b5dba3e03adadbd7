//! Site-wide choices made from the whole page set: the home page, the site's language, folder
//! labels, the vault's stylesheet.

use std::collections::BTreeMap;

use vps_core::AssetPath;
use vps_core::revision::SiteSettings;
use vps_core::slug::nfc;

use crate::input::SiteOptions;
use crate::select::Entry;

/// The page served at `/`: the root index note, else the configured note, else the note whose
/// frontmatter says `permalink: /` (`wish`, a vault path), else a `Home` or `index` note at the
/// top of the vault.
pub(crate) fn home_route(routed: &[(String, Entry)], configured: Option<&str>, wish: Option<&str>) -> Option<String> {
    let by_vault_path = |wanted: &dyn Fn(&str) -> bool| {
        routed.iter().find(|(_, entry)| wanted(&entry.vault_path)).map(|(route, _)| route.clone())
    };
    if routed.iter().any(|(route, _)| route == "/index") {
        return Some("/index".into());
    }
    configured
        .and_then(|note| by_vault_path(&|path| nfc(path) == nfc(note)))
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
