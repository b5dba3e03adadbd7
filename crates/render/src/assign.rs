//! Which route each note of a publication gets, and which old routes redirect where.
//!
//! A note *wants* a route computed from its own vault path and its folder's route settings
//! alone. When several notes want the same route:
//!
//! 1. a note that held exactly this route in the live revision keeps it (a note is the same
//!    note when its NFC vault path and folder id are);
//! 2. a note that held one of its own collision forms (`collision_form`) keeps that;
//! 3. otherwise the note with the smallest NFC vault path (then folder id) gets the plain route;
//! 4. every other note gets its first collision form that is free: `<route>-<hash of its vault
//!    path>`, then hashes of its vault path, folder id and a counter.
//!
//! Plain routes are given before collision forms, so a collision form never takes the route a
//! note wants for itself. Nothing here depends on where a note sits among the others: deleting
//! or renaming a note never changes another note's route.
//!
//! Old routes of notes that moved redirect to their new route ([`redirects`]), except the
//! placeholders of the old slug rule ([`is_old_placeholder`]); so do the routes the build
//! points at a page ([`Pointer`]: the route a permalink replaced, aliases).

use std::collections::{BTreeMap, HashMap, HashSet};

use vps_core::revision::{Page, Revision};
use vps_core::slug::{name_hash, nfc};

/// The route a note wants, and who the note is.
#[derive(Debug, Clone)]
pub struct Wanted<'a> {
    /// The route its slug rule gives it (`/folder/note`), before collisions are settled.
    pub route: String,
    /// The note's path in the vault (any Unicode form; compared in NFC).
    pub vault_path: &'a str,
    /// The id of the plugin folder it was published through.
    pub folder_id: &'a str,
}

/// A note's identity across revisions: its NFC vault path and its folder id.
pub type NoteKey = (String, String);

/// The key of the note at `vault_path` published through `folder_id` (the path taken in NFC).
pub fn note_key(vault_path: &str, folder_id: &str) -> NoteKey {
    (nfc(vault_path).into_owned(), folder_id.to_owned())
}

/// Each note's route in the live revision.
pub fn previous_routes(base: &Revision) -> HashMap<NoteKey, String> {
    base.pages.iter().map(|(route, page)| (note_key(&page.vault_path, &page.folder_id), route.clone())).collect()
}

/// How many collision forms of a note are recognised as its own when it held one.
const OWN_FORMS: u32 = 8;

/// The `n`th collision form of `route` for a note: `n = 0` is `<route>-<name_hash(vault path)>`,
/// later ones hash the vault path, the folder id and `n` (the same file published under two
/// folders has one vault path).
fn collision_form(route: &str, vault_path: &str, folder_id: &str, n: u32) -> String {
    let path = nfc(vault_path);
    let hash = if n == 0 { name_hash(&path) } else { name_hash(&format!("{path}\u{0}{folder_id}\u{0}{n}")) };
    format!("{}-{hash}", route.trim_end_matches('/'))
}

/// The route of every note of `wanted`, in the same order: see the [module](self).
pub fn assign(wanted: &[Wanted<'_>], previous: &HashMap<NoteKey, String>) -> Vec<String> {
    let mut routes: Vec<Option<String>> = vec![None; wanted.len()];
    let mut by_route: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, note) in wanted.iter().enumerate() {
        by_route.entry(note.route.as_str()).or_default().push(i);
    }
    let mut taken: HashSet<String> = HashSet::new();
    let mut losers: Vec<usize> = Vec::new();
    for (route, mut claimants) in by_route {
        let order = |&i: &usize| (nfc(wanted[i].vault_path).into_owned(), wanted[i].folder_id.to_owned());
        claimants.sort_by_cached_key(order);
        let held = |i: usize| previous.get(&note_key(wanted[i].vault_path, wanted[i].folder_id));
        let own_form = |i: usize| {
            let note = &wanted[i];
            held(i).filter(|previous| {
                previous.as_str() != route
                    && (0..OWN_FORMS).any(|n| collision_form(route, note.vault_path, note.folder_id, n) == **previous)
            })
        };
        let holder = claimants.iter().copied().find(|&i| held(i).is_some_and(|r| r == route));
        let winner = holder.or_else(|| claimants.iter().copied().find(|&i| own_form(i).is_none()));
        for i in claimants {
            if let Some(form) = own_form(i) {
                routes[i] = Some(form.clone());
            } else if Some(i) == winner {
                routes[i] = Some(route.to_owned());
            } else {
                losers.push(i);
                continue;
            }
            taken.insert(routes[i].clone().expect("just set"));
        }
    }
    // A kept collision form may be a route some note wants for itself: the form wins (it is
    // that note's URL already), and the plain claimant, whose route was free, falls back.
    let mut seen: HashSet<&str> = HashSet::new();
    let mut demoted = Vec::new();
    let mut order: Vec<usize> = (0..wanted.len()).filter(|&i| routes[i].is_some()).collect();
    // Collision forms first, so that they are the ones kept.
    order.sort_by_key(|&i| routes[i].as_deref() == Some(wanted[i].route.as_str()));
    for i in order {
        if !seen.insert(routes[i].as_deref().expect("set")) {
            demoted.push(i);
        }
    }
    for &i in &demoted {
        routes[i] = None;
    }
    losers.extend(demoted);
    losers.sort_by_cached_key(|&i| (wanted[i].route.clone(), nfc(wanted[i].vault_path).into_owned(), i));
    for i in losers {
        let note = &wanted[i];
        let free = (0..)
            .map(|n| collision_form(&note.route, note.vault_path, note.folder_id, n))
            .find(|candidate| !taken.contains(candidate))
            .expect("a free route");
        taken.insert(free.clone());
        routes[i] = Some(free);
    }
    routes.into_iter().map(|route| route.expect("every note is routed")).collect()
}

/// A route that leads to a page without being its route: the route a note's permalink
/// replaced, or one of its aliases (decided by the build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    /// The route that redirects.
    pub from: String,
    /// The route of the page it leads to.
    pub to: String,
}

/// The revision's redirects (old route → new route, each a 301), never shadowing a live page:
///
/// 1. `pointers`, in their order (the first of two pointers from one route wins);
/// 2. old routes of pages that moved point at their new route (a page is the same when its
///    NFC vault path and folder id are), except the placeholders of the old slug rule
///    ([`is_old_placeholder`]);
/// 3. older redirects follow along while the page they lead to lives.
pub fn redirects(base: &Revision, pages: &BTreeMap<String, Page>, pointers: &[Pointer]) -> BTreeMap<String, String> {
    let new_routes: HashMap<NoteKey, &str> =
        pages.iter().map(|(route, p)| (note_key(&p.vault_path, &p.folder_id), route.as_str())).collect();
    let mut redirects: BTreeMap<String, String> = BTreeMap::new();
    for pointer in pointers {
        if pages.contains_key(&pointer.to) {
            redirects.entry(pointer.from.clone()).or_insert_with(|| pointer.to.clone());
        }
    }
    for (old_route, page) in &base.pages {
        if let Some(new_route) = new_routes.get(&note_key(&page.vault_path, &page.folder_id))
            && old_route != new_route
            && !is_old_placeholder(old_route, &page.vault_path)
        {
            redirects.entry(old_route.clone()).or_insert_with(|| (*new_route).to_owned());
        }
    }
    let moved = redirects.clone();
    for (from, to) in &base.redirects {
        let to = moved.get(to).cloned().unwrap_or_else(|| to.clone());
        if pages.contains_key(&to) {
            redirects.entry(from.clone()).or_insert(to);
        }
    }
    redirects.retain(|from, _| !pages.contains_key(from));
    redirects
}

/// Whether `route`, a page's route in an older revision, is a placeholder of the old slug rule
/// for the note at `vault_path`. That rule dropped every character but ASCII letters, digits
/// and spaces and named what was left empty `note`, then `note-1`, `note-2`… by position, so
/// such a route pointed at different notes over time and is not redirected anywhere.
///
/// The rule: a segment `note` or `note-<digits>` whose name — the vault path's component at the
/// same place, counted from the end (file name without extension, then its folders) — has no
/// ASCII letter or digit.
pub fn is_old_placeholder(route: &str, vault_path: &str) -> bool {
    let is_placeholder_segment = |segment: &str| {
        segment == "note"
            || segment.strip_prefix("note-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut names: Vec<&str> = vault_path.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
    if let Some(file) = names.last_mut() {
        *file = file.rsplit_once('.').map_or(*file, |(stem, _)| stem);
    }
    let segments: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    // `<folder>/index` routes of custom index notes: the file is not in the route.
    let segments = match segments.split_last() {
        Some((&"index", folders)) if names.len() > 1 => {
            names.pop();
            folders.to_vec()
        }
        _ => segments,
    };
    segments
        .iter()
        .rev()
        .zip(names.iter().rev())
        .any(|(segment, name)| is_placeholder_segment(segment) && !name.bytes().any(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want<'a>(route: &str, vault_path: &'a str) -> Wanted<'a> {
        Wanted { route: route.to_owned(), vault_path, folder_id: "f" }
    }

    fn routes(wanted: &[Wanted<'_>], previous: &HashMap<NoteKey, String>) -> BTreeMap<String, String> {
        let assigned = assign(wanted, previous);
        wanted.iter().zip(assigned).map(|(note, route)| (note.vault_path.to_owned(), route)).collect()
    }

    fn previous(assigned: &BTreeMap<String, String>) -> HashMap<NoteKey, String> {
        assigned.iter().map(|(path, route)| (note_key(path, "f"), route.clone())).collect()
    }

    fn hashed(route: &str, vault_path: &str) -> String {
        format!("{route}-{}", name_hash(vault_path))
    }

    #[test]
    fn notes_that_want_one_route_share_it_by_vault_path_and_hash_the_others() {
        let wanted = [want("/x", "b/X.md"), want("/x", "a/X.md"), want("/y", "Y.md")];
        let assigned = routes(&wanted, &HashMap::new());
        assert_eq!(assigned["a/X.md"], "/x", "the smallest vault path gets the plain route");
        assert_eq!(assigned["b/X.md"], hashed("/x", "b/X.md"));
        assert_eq!(assigned["Y.md"], "/y");
        let reversed = [want("/y", "Y.md"), want("/x", "a/X.md"), want("/x", "b/X.md")];
        assert_eq!(routes(&reversed, &HashMap::new()), assigned, "upload order does not matter");
    }

    #[test]
    fn deleting_or_renaming_a_note_never_moves_another() {
        let first = [
            want("/note", "a/ノート.md"),
            want("/note", "b/ノート.md"),
            want("/note", "c/ノート.md"),
            want("/z", "Z.md"),
        ];
        let before = routes(&first, &HashMap::new());
        // `a` is deleted, `Z` renamed to `W`.
        let second = [want("/note", "b/ノート.md"), want("/note", "c/ノート.md"), want("/w", "W.md")];
        let after = routes(&second, &previous(&before));
        assert_eq!(after["b/ノート.md"], before["b/ノート.md"]);
        assert_eq!(after["c/ノート.md"], before["c/ノート.md"]);
        assert_eq!(after["W.md"], "/w");
        // No old URL serves another note.
        for (path, route) in &after {
            let was = before.iter().find(|(_, r)| *r == route).map(|(p, _)| p);
            assert!(was.is_none_or(|was| was == path), "{route} served {was:?}, now {path}");
        }
        // A note coming back with a smaller name does not take a route another holds.
        let third = [want("/note", "0/ノート.md"), want("/note", "b/ノート.md"), want("/note", "c/ノート.md")];
        let later = routes(&third, &previous(&after));
        assert_eq!(later["b/ノート.md"], before["b/ノート.md"]);
        assert_eq!(later["c/ノート.md"], before["c/ノート.md"]);
        assert_eq!(later["0/ノート.md"], "/note", "the plain route is free again");
    }

    #[test]
    fn a_note_that_held_the_plain_route_keeps_it_against_a_smaller_newcomer() {
        let before = routes(&[want("/x", "m/X.md")], &HashMap::new());
        let after = routes(&[want("/x", "m/X.md"), want("/x", "a/X.md")], &previous(&before));
        assert_eq!(after["m/X.md"], "/x");
        assert_eq!(after["a/X.md"], hashed("/x", "a/X.md"));
    }

    #[test]
    fn identity_is_the_nfc_vault_path() {
        let before = routes(&[want("/ete", "x/Été.md"), want("/ete", "y/Été.md")], &HashMap::new());
        let nfd = "y/E\u{301}te\u{301}.md";
        let after = routes(&[want("/ete", "x/Été.md"), want("/ete", nfd)], &previous(&before));
        assert_eq!(after[nfd], before["y/Été.md"]);
    }

    #[test]
    fn a_taken_hashed_route_falls_back_to_a_longer_hash_deterministically() {
        // A note whose own name is another note's hashed form.
        let taken = hashed("/x", "b/X.md");
        let wanted = [want("/x", "a/X.md"), want("/x", "b/X.md"), want(&taken, "x-hash.md")];
        let assigned = routes(&wanted, &HashMap::new());
        assert_eq!(assigned["x-hash.md"], taken, "a note's own route wins over a collision form");
        assert_ne!(assigned["b/X.md"], taken);
        assert!(assigned["b/X.md"].starts_with("/x-"));
        assert_eq!(routes(&wanted, &HashMap::new()), assigned);
        // The same file under two folders: one vault path, two folder ids.
        let twice = [
            Wanted { route: "/x".into(), vault_path: "X.md", folder_id: "1" },
            Wanted { route: "/x".into(), vault_path: "X.md", folder_id: "2" },
            Wanted { route: "/x".into(), vault_path: "X.md", folder_id: "3" },
        ];
        let assigned = assign(&twice, &HashMap::new());
        let unique: HashSet<&String> = assigned.iter().collect();
        assert_eq!(unique.len(), 3, "{assigned:?}");
    }

    #[test]
    fn old_placeholders_are_the_note_segments_of_names_without_ascii_letters() {
        let table = [
            ("/note", "はじめに.md", true),
            ("/note-12", "はじめに.md", true),
            ("/obsidian-sync/note-1", "Obsidian Sync/同期.md", true),
            ("/note/note-40", "ノート/はじめに.md", true),
            ("/note/getting-started", "ノート/Getting started.md", true),
            ("/blog/note/index", "Blog/日本/Welcome.md", true),
            ("/note", "Note.md", false),
            ("/notes/note-1", "Notes/Note 1.md", false),
            ("/note-2", "Note.md", false),
            ("/note-x", "ノート.md", false),
            ("/guide/start", "ガイド/Start.md", false),
        ];
        for (route, vault_path, expected) in table {
            assert_eq!(is_old_placeholder(route, vault_path), expected, "{route} for {vault_path}");
        }
    }

    fn page(vault_path: &str) -> Page {
        let hash = vps_core::ContentHash::from_digest([0; 32]);
        Page {
            title: vault_path.into(),
            vault_path: vault_path.into(),
            folder_id: "f".into(),
            source_sha256: String::new(),
            source_blob: hash,
            html_blob: hash,
            links: vec![],
            assets: vec![],
            tags: vec![],
            made_from: None,
            head: None,
            audience: vps_core::revision::Audience::Public,
            unlisted: false,
        }
    }

    #[test]
    fn moved_pages_redirect_from_their_old_route_except_old_placeholders() {
        let mut base = Revision::empty();
        base.pages.insert("/postone".into(), page("Post-One.md"));
        base.pages.insert("/note-3".into(), page("はじめに.md"));
        base.pages.insert("/note/guide".into(), page("ノート/Guide.md"));
        base.pages.insert("/kept".into(), page("Kept.md"));
        base.redirects.insert("/older".into(), "/postone".into());
        let mut pages = BTreeMap::new();
        pages.insert("/post-one".to_owned(), page("Post-One.md"));
        pages.insert("/はじめに".to_owned(), page("は\u{3057}\u{3099}めに.md")); // NFD: the same note
        pages.insert("/ノート/guide".to_owned(), page("ノート/Guide.md"));
        pages.insert("/kept".to_owned(), page("Kept.md"));
        let redirects = redirects(&base, &pages, &[]);
        let expected: BTreeMap<String, String> = [("/postone", "/post-one"), ("/older", "/post-one")]
            .into_iter()
            .map(|(from, to)| (from.to_owned(), to.to_owned()))
            .collect();
        assert_eq!(redirects, expected, "`/note-3` and `/note/guide` pointed at different notes over time");
    }
}
