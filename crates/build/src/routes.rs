//! Routes: each note's route (folder route base + slugged path, custom index pages, one route
//! per note as `vps_render::assign` decides, stable across revisions), the depth limit on
//! paths and routes, and what the link index knows of each note.

use std::collections::HashMap;

use vps_core::revision::{Revision, SiteSettings};
use vps_core::slug::nfc;
use vps_render::{Exceeded, PageRef, PublishLimits};

use crate::error::BuildError;
use crate::select::Entry;

/// `path` (a vault path or a route of the note at `vault_path`) has at most `MAX_PATH_DEPTH`
/// folders.
pub(crate) fn check_path_depth(path: &str, vault_path: &str, limits: &PublishLimits) -> Result<(), BuildError> {
    let depth = vps_render::folder_depth(path);
    if depth > limits.max_path_depth {
        let what = format!("the depth of {path:?} ({depth} folders)");
        let what = if what.len() > 200 { format!("its depth ({depth} folders)") } else { what };
        return Err(Exceeded::new(what, "MAX_PATH_DEPTH", limits.max_path_depth).in_note(vault_path).into());
    }
    Ok(())
}

/// Routes every note: folder route base + slugged path, custom index pages moved to
/// `<folder>/index`; notes that want one route share it as [`vps_render::assign`] says. In route order.
pub(crate) fn route_all(entries: Vec<Entry>, settings: &SiteSettings, base: &Revision) -> Vec<(String, Entry)> {
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
            let head = &entry.head;
            let route = match index_routes.get(nfc(&entry.vault_path).as_ref()) {
                Some(route) => route.clone(),
                None => vps_render::compute_route(&head.route_base, &head.relative_path, head.flatten_tree),
            };
            // Routes are NFC, as incoming paths are once decoded (route bases are verbatim).
            let route = nfc(&route).into_owned();
            vps_render::assign::Wanted { route, vault_path: &entry.vault_path, folder_id: &entry.folder_id }
        })
        .collect();
    let assigned = vps_render::assign::assign(&wanted, &vps_render::assign::previous_routes(base));
    drop(wanted);
    let mut routed: Vec<(String, Entry)> = assigned.into_iter().zip(entries).collect();
    routed.sort_by(|a, b| (&a.0, &a.1.vault_path).cmp(&(&b.0, &b.1.vault_path)));
    routed
}

/// What the link index knows of a note: its names in NFC, as link targets are looked up
/// (`[[Été]]` typed in NFC finds `Été.md` stored in NFD, and the reverse).
pub(crate) fn page_ref(route: &str, entry: &Entry) -> PageRef {
    let composed = |text: &str| nfc(text).into_owned();
    let head = &entry.head;
    PageRef {
        vault_path: composed(&entry.vault_path),
        relative_path: composed(&head.relative_path),
        title: composed(&head.name),
        aliases: head.aliases.iter().map(|alias| composed(alias)).collect(),
        route: route.to_owned(),
    }
}
