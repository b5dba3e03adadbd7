//! Routes: each note's route (its frontmatter `permalink:`, or folder route base + slugged
//! path, custom index pages, one route per note as `vps_render::assign` decides, stable across
//! revisions), the routes that redirect to a page (the route a permalink replaced, aliases),
//! the depth limit on paths and routes, and what the link index knows of each note.

use std::collections::HashMap;

use vps_core::permalink::{Permalink, PermalinkError, is_reserved};
use vps_core::revision::{Revision, SiteSettings};
use vps_core::slug::nfc;
use vps_render::{Exceeded, PageRef, PublishLimits};

use crate::error::BuildError;
use crate::select::{Entry, key};

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

/// The routes of custom index notes, by NFC vault path: `<folder>/index`.
fn index_routes(settings: &SiteSettings) -> HashMap<String, String> {
    settings
        .custom_index_configs
        .iter()
        .map(|config| {
            let folder = vps_render::normalize_route_base(&config.folder_path);
            let route = if folder == "/" { "/index".to_owned() } else { format!("{folder}/index") };
            (nfc(&config.index_file_path).into_owned(), route)
        })
        .collect()
}

/// The route a note's path gives it (folder route base + slugged path, or its folder's
/// `<folder>/index` when it is a custom index page), in NFC, before any permalink.
fn path_route(entry: &Entry, index_routes: &HashMap<String, String>) -> String {
    let head = &entry.head;
    let route = match index_routes.get(nfc(&entry.vault_path).as_ref()) {
        Some(route) => route.clone(),
        None => vps_render::compute_route(&head.route_base, &head.relative_path, head.flatten_tree),
    };
    // Routes are NFC, as incoming paths are once decoded (route bases are verbatim).
    nfc(&route).into_owned()
}

/// The most warnings a build gives (each names a note; the rest are counted in one more).
const MAX_WARNINGS: usize = 20;

/// The note's frontmatter `permalink:`, checked ([`Permalink::parse`]); `None` without one (or
/// an empty one). A permalink on one of the site's listings (`/tags`…) is not taken: the note
/// keeps its route and the report's warnings say so. `permalink: /` (Obsidian Publish's way of
/// naming the home page) keeps the note at its route and asks for it to be the home page
/// ([`RouteReport::home`]); two notes asking fail the build naming both.
fn permalink(entry: &Entry, report: &mut RouteReport) -> Result<Option<Permalink>, BuildError> {
    let Some(value) = &entry.head.permalink else { return Ok(None) };
    let written = || -> String {
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        text.chars().take(200).collect()
    };
    let parsed = match value {
        serde_json::Value::String(text) => Permalink::parse(text),
        _ => Err(PermalinkError::NotText),
    };
    match parsed {
        Ok(permalink) => Ok(Some(permalink)),
        Err(PermalinkError::Empty) => Ok(None),
        Err(reason @ PermalinkError::Listing(_)) => {
            let note = &entry.vault_path;
            report.warnings.push(format!("note {note:?}: permalink {:?} is not taken: {reason}", written()));
            Ok(None)
        }
        Err(PermalinkError::Root) => match &report.home {
            Some(first) => Err(BuildError::PermalinkTaken {
                permalink: "/".into(),
                note: first.clone(),
                other: entry.vault_path.clone(),
                other_has_permalink: true,
            }),
            None => {
                report.home = Some(entry.vault_path.clone());
                Ok(None)
            }
        },
        Err(reason) => Err(BuildError::Permalink { note: entry.vault_path.clone(), value: written(), reason }),
    }
}

/// What routing found besides routes.
#[derive(Debug, Default)]
pub(crate) struct RouteReport {
    /// What the writer should know.
    pub(crate) warnings: Warnings,
    /// The vault path of the note whose `permalink: /` asks for it to be the home page.
    pub(crate) home: Option<String>,
}

/// What a build tells the writer without failing, bounded ([`MAX_WARNINGS`]).
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    kept: Vec<String>,
    more: usize,
}

impl Warnings {
    pub(crate) fn push(&mut self, warning: String) {
        if self.kept.len() < MAX_WARNINGS {
            self.kept.push(warning);
        } else {
            self.more += 1;
        }
    }

    /// The warnings, the last one counting those left out.
    pub(crate) fn into_vec(self) -> Vec<String> {
        let mut warnings = self.kept;
        if self.more > 0 {
            warnings.push(format!("and {} more warnings like these", self.more));
        }
        warnings
    }
}

/// Routes every note: its frontmatter `permalink:` when it has one, else folder route base +
/// slugged path, custom index pages moved to `<folder>/index`; notes that want one route share
/// it as [`vps_render::assign`] says. In route order.
///
/// A permalink is never shared: two notes with one permalink, or a permalink that is another
/// note's route, fail the build naming both notes ([`BuildError::PermalinkTaken`]); an invalid
/// one fails it naming the note ([`BuildError::Permalink`]), but for one on a site's listing,
/// which is not taken (a warning in the report), and `/`, which asks for the home page.
pub(crate) fn route_all(
    entries: Vec<Entry>,
    settings: &SiteSettings,
    base: &Revision,
    report: &mut RouteReport,
) -> Result<Vec<(String, Entry)>, BuildError> {
    let index_routes = index_routes(settings);
    // Notes by NFC vault path: who is named first, who wins.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_cached_key(|&i| key(&entries[i].vault_path, &entries[i].folder_id));
    let mut permalinks: Vec<Option<Permalink>> = vec![None; entries.len()];
    for &i in &order {
        permalinks[i] = permalink(&entries[i], report)?;
    }
    let mut holders: HashMap<&str, usize> = HashMap::new();
    for &i in &order {
        if let Some(permalink) = &permalinks[i]
            && let Some(&first) = holders.get(permalink.as_str())
        {
            return Err(taken(permalink.as_str(), &entries[first], &entries[i], true));
        } else if let Some(permalink) = &permalinks[i] {
            holders.insert(permalink.as_str(), i);
        }
    }
    let wanted: Vec<vps_render::assign::Wanted<'_>> = entries
        .iter()
        .zip(&permalinks)
        .map(|(entry, permalink)| {
            let route = match permalink {
                Some(permalink) => permalink.as_str().to_owned(),
                None => path_route(entry, &index_routes),
            };
            vps_render::assign::Wanted { route, vault_path: &entry.vault_path, folder_id: &entry.folder_id }
        })
        .collect();
    for &i in &order {
        if permalinks[i].is_none()
            && let Some(&holder) = holders.get(wanted[i].route.as_str())
        {
            return Err(taken(&wanted[i].route, &entries[holder], &entries[i], false));
        }
    }
    let assigned = vps_render::assign::assign(&wanted, &vps_render::assign::previous_routes(base));
    drop(wanted);
    // A collision form another note kept from the live revision is its URL already: a
    // permalink equal to it is that note's route.
    for (i, permalink) in permalinks.iter().enumerate() {
        if let Some(permalink) = permalink
            && assigned[i] != permalink.as_str()
            && let Some(holder) = assigned.iter().position(|route| route == permalink.as_str())
        {
            return Err(taken(permalink.as_str(), &entries[i], &entries[holder], false));
        }
    }
    let mut routed: Vec<(String, Entry)> = assigned.into_iter().zip(entries).collect();
    routed.sort_by(|a, b| (&a.0, &a.1.vault_path).cmp(&(&b.0, &b.1.vault_path)));
    Ok(routed)
}

fn taken(permalink: &str, note: &Entry, other: &Entry, other_has_permalink: bool) -> BuildError {
    BuildError::PermalinkTaken {
        permalink: permalink.to_owned(),
        note: note.vault_path.clone(),
        other: other.vault_path.clone(),
        other_has_permalink,
    }
}

/// The routes that lead to a page without being its route, in the order they are given
/// (earlier ones win, see [`vps_render::assign::redirects`]): first the route each note with a
/// permalink would otherwise have, then each note's aliases ([`vps_render::alias_route`]: its
/// folder and the alias's slug), notes by NFC vault path, at most `max_alias_redirects` per
/// note. An alias that names a reserved path, or the note's own route, is no redirect.
pub(crate) fn pointers(
    routed: &[(String, Entry)],
    settings: &SiteSettings,
    limits: &PublishLimits,
) -> Vec<vps_render::assign::Pointer> {
    let index_routes = index_routes(settings);
    let mut notes: Vec<(&String, &Entry, String)> =
        routed.iter().map(|(route, entry)| (route, entry, path_route(entry, &index_routes))).collect();
    notes.sort_by_cached_key(|(_, entry, _)| key(&entry.vault_path, &entry.folder_id));
    let pointer = |from: String, to: &String| vps_render::assign::Pointer { from, to: to.clone() };
    let moved = notes.iter().filter(|(route, _, own)| own != *route).map(|(route, _, own)| pointer(own.clone(), route));
    let mut pointers: Vec<vps_render::assign::Pointer> = moved.collect();
    for (route, entry, own) in &notes {
        let aliases = entry.head.aliases.iter().take(limits.max_alias_redirects);
        for alias in aliases.filter_map(|alias| vps_render::alias_route(own, alias)) {
            if alias != **route && alias != *own && !is_reserved(&alias) {
                pointers.push(pointer(alias, route));
            }
        }
    }
    pointers
}

/// For each routed note, where it sits in the navigation when its permalink gave it another
/// route: the route it would otherwise have ([`vps_site::PageInfo::nav_route`]).
pub(crate) fn nav_routes(routed: &[(String, Entry)], settings: &SiteSettings) -> Vec<Option<String>> {
    let index_routes = index_routes(settings);
    routed
        .iter()
        .map(|(route, entry)| {
            let own = path_route(entry, &index_routes);
            (entry.head.permalink.is_some() && own != *route).then_some(own)
        })
        .collect()
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
