//! The navigation tree: folders and pages nested by route segments, with folder labels, and the
//! nav and breadcrumb markup built from it.

use std::collections::{BTreeMap, HashMap};

use vps_core::slug::{nfc, route_segment};
use vps_core::url::encode_path;

use std::sync::Arc;

use crate::derived::{PageDerived, title_cmp};
use crate::escape::escape;
use crate::model::{PageInfo, SiteInfo};
use crate::words::Words;

/// Entries (in navigation order) a folder on the way to the current page shows in the
/// navigation: a window of its entries around the one leading to the current page; the rest are
/// behind "More…" links to the folder's listing pages. A page's navigation thus has at most
/// `(depth + 1) × (NAV_ENTRIES_PER_FOLDER + 2)` entries, whatever the size of the site: the top
/// level, then each folder on the path to the page with its siblings. Every folder is a link to
/// its folder page, which lists all of its entries, so every page is reachable without script.
pub(crate) const NAV_ENTRIES_PER_FOLDER: usize = 24;

/// Every folder of the site that holds a listed page, by route, the root (`/`) included.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    folders: BTreeMap<String, Folder>,
    /// Labels of the folders that hold unlisted pages only (so are not in `folders`), from
    /// those pages' vault paths: an unlisted page's own breadcrumbs name its folders as the
    /// vault does, and no folder of the tree takes a label from an unlisted page.
    hidden_labels: BTreeMap<String, String>,
    /// For each page, where it is in its folder's `pages`, if it is listed there.
    page_positions: Vec<Option<usize>>,
}

#[derive(Debug, Default)]
pub(crate) struct Folder {
    pub(crate) label: String,
    /// Sub-folders and listed pages, in the navigation's order (see [`Tree::build`]).
    pub(crate) entries: Vec<Child>,
    /// A page whose route is the folder's own route: it stands for the folder.
    pub(crate) own_page: Option<usize>,
    /// Where the folder is in its parent's `entries` (0 for the root).
    position: usize,
}

/// An entry of a folder: a sub-folder (its route) or a listed page (its index in `Site::pages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Child {
    Folder(String),
    Page(usize),
}

impl Tree {
    /// Builds the tree of the listed pages: an unlisted page ([`PageInfo::unlisted`]) is in
    /// no folder, makes no folder and names none, and is no folder's own page. `home` is not
    /// listed; neither are folder index notes (`index`, `_index`, `readme`), whose content
    /// belongs to the folder's index page. Each folder's entries are in the navigation's order
    /// ([`crate::Presentation::navigation_order`]).
    pub(crate) fn build(
        info: &SiteInfo,
        pages: &[PageInfo],
        derived: &[Arc<PageDerived>],
        home: Option<usize>,
    ) -> Tree {
        let mut folders: BTreeMap<String, Folder> = BTreeMap::new();
        folders.insert("/".to_owned(), Folder::default());
        for page in pages.iter().filter(|page| !page.unlisted) {
            let mut route = place(page);
            while let Some(parent) = parent_route(route) {
                folders.entry(parent.to_owned()).or_default();
                route = parent;
            }
        }

        let folder_names = vault_folders(pages.iter().filter(|page| !page.unlisted));
        for (route, folder) in folders.iter_mut() {
            folder.label = match info.folder_display_names.get(route) {
                Some(label) if !label.trim().is_empty() => label.trim().to_owned(),
                _ if route == "/" => info.name.clone(),
                _ => folder_names
                    .get(route)
                    .map(|(label, _)| label.clone())
                    .unwrap_or_else(|| humanize(last_segment(route))),
            };
        }

        // The folder each listed page is listed in.
        let mut listed_in: Vec<Option<&str>> = vec![None; pages.len()];
        for (index, page) in pages.iter().enumerate() {
            if Some(index) == home || page.route == "/" || page.unlisted {
                continue;
            }
            if let Some(folder) = folders.get_mut(place(page)) {
                folder.own_page.get_or_insert(index);
                continue;
            }
            if is_index_note(page) {
                continue;
            }
            listed_in[index] = parent_route(place(page)).filter(|parent| folders.contains_key(*parent));
        }
        let page_paths: Vec<std::borrow::Cow<'_, str>> = if info.presentation.navigation_order.is_empty() {
            Vec::new()
        } else {
            pages.iter().map(|page| nfc(&page.vault_path)).collect()
        };

        let routes: Vec<String> = folders.keys().filter(|route| *route != "/").cloned().collect();
        for route in routes {
            if let Some(parent) = parent_route(&route).and_then(|parent| folders.get_mut(parent)) {
                parent.entries.push(Child::Folder(route));
            }
        }
        for (index, parent) in listed_in.iter().enumerate() {
            if let Some(folder) = parent.and_then(|parent| folders.get_mut(parent)) {
                folder.entries.push(Child::Page(index));
            }
        }
        // The writer's order, by vault path: the first mention of a path counts.
        let order = &info.presentation.navigation_order;
        let mut ranks: HashMap<&str, usize> = HashMap::with_capacity(order.len());
        for (rank, path) in order.iter().enumerate() {
            ranks.entry(path.as_str()).or_insert(rank);
        }
        let labels: BTreeMap<String, String> =
            folders.iter().map(|(route, folder)| (route.clone(), folder.label.to_lowercase())).collect();
        let mut page_positions = vec![None; pages.len()];
        let mut positions: Vec<(String, usize)> = Vec::new();
        for folder in folders.values_mut() {
            folder.entries.sort_by(|a, b| match (a, b) {
                (Child::Folder(a), Child::Folder(b)) => labels[a].cmp(&labels[b]).then_with(|| a.cmp(b)),
                (Child::Folder(_), Child::Page(_)) => std::cmp::Ordering::Less,
                (Child::Page(_), Child::Folder(_)) => std::cmp::Ordering::Greater,
                (Child::Page(a), Child::Page(b)) => title_cmp(pages, derived, *a, *b),
            });
            if !ranks.is_empty() {
                // Stable: the entries the order does not name keep the usual order, after the others.
                folder.entries.sort_by_key(|child| {
                    let path = match child {
                        Child::Folder(route) => folder_names.get(route).map(|(_, path)| path.as_str()),
                        Child::Page(index) => Some(page_paths[*index].as_ref()),
                    };
                    path.and_then(|path| ranks.get(path)).copied().unwrap_or(usize::MAX)
                });
            }
            for (position, child) in folder.entries.iter().enumerate() {
                match child {
                    Child::Page(page) => page_positions[*page] = Some(position),
                    Child::Folder(route) => positions.push((route.clone(), position)),
                }
            }
        }
        for (route, position) in positions {
            if let Some(folder) = folders.get_mut(&route) {
                folder.position = position;
            }
        }
        let mut hidden_labels: BTreeMap<String, String> = vault_folders(pages.iter().filter(|page| page.unlisted))
            .into_iter()
            .filter(|(route, _)| !folders.contains_key(route))
            .map(|(route, (label, _))| (route, label))
            .collect();
        for (route, label) in hidden_labels.iter_mut() {
            if let Some(display) = info.folder_display_names.get(route).filter(|l| !l.trim().is_empty()) {
                *label = display.trim().to_owned();
            }
        }
        Tree { folders, hidden_labels, page_positions }
    }

    pub(crate) fn folder(&self, route: &str) -> Option<&Folder> {
        self.folders.get(route)
    }

    pub(crate) fn folder_routes(&self) -> impl Iterator<Item = (&String, &Folder)> {
        self.folders.iter()
    }

    /// The label of a folder: the tree's, else (a folder of unlisted pages only) its display
    /// name or vault name, else the humanised last segment.
    pub(crate) fn label(&self, route: &str) -> String {
        match self.folders.get(route) {
            Some(folder) => folder.label.clone(),
            None => self.hidden_labels.get(route).cloned().unwrap_or_else(|| humanize(last_segment(route))),
        }
    }

    /// The folders above `route`, outermost first, without the root and without `route` itself.
    pub(crate) fn ancestors(&self, route: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut current = route;
        while let Some(parent) = parent_route(current) {
            if parent != "/" {
                out.push((parent.to_owned(), self.label(parent)));
            }
            current = parent;
        }
        out.reverse();
        out
    }

    /// What the navigation of a document shows, in order ([`render_nav`] writes it; the page
    /// shell key hashes it): the top level, then each folder on the way to `current` open, each
    /// level a window of at most [`NAV_ENTRIES_PER_FOLDER`] entries around the one leading to
    /// `current` (else its first entries). Folders off the path are links to their pages.
    /// `page_size` is the listing's, for the "More…" links to the right listing page.
    /// Built level by level with a stack of closing parts: the tree's depth is the vault's.
    /// `current_page` is the index of the page at `current`, if it is one: a page's place in
    /// its folder is known, not searched (a folder of `n` pages would cost `n²` for its pages).
    pub(crate) fn nav_items<'t>(
        &'t self,
        pages: &'t [PageInfo],
        current: Option<&str>,
        current_page: Option<usize>,
        page_size: usize,
    ) -> Vec<NavItem<'t>> {
        let mut items = Vec::new();
        let mut tails: Vec<Vec<NavItem<'t>>> = Vec::new();
        let mut level: Option<&'t str> = Some("/");
        while let Some(route) = level.take() {
            let Some(folder) = self.folders.get(route) else { break };
            let total = folder.entries.len();
            if total == 0 {
                break;
            }
            let on_path = current.and_then(|c| self.position_toward(route, folder, c, current_page));
            let (start, end) = window(total, on_path, NAV_ENTRIES_PER_FOLDER);
            let size = page_size.max(1);
            items.push(NavItem::Markup("<ul>"));
            if start > 0 {
                items.push(NavItem::More(crate::listing::listing_page_route(route, (start - 1) / size + 1)));
            }
            let mut tail = Vec::new();
            for position in start..end {
                let out = if level.is_some() { &mut tail } else { &mut items };
                match &folder.entries[position] {
                    Child::Folder(child) => {
                        let open = on_path == Some(position);
                        let label = self.folders[child].label.as_str();
                        out.push(NavItem::Folder { route: child, label, open, current: current == Some(child) });
                        if open {
                            level = Some(child);
                        }
                    }
                    Child::Page(index) => {
                        let page = &pages[*index];
                        let current = current == Some(place(page));
                        out.push(NavItem::Page { route: &page.route, title: &page.title, current });
                    }
                }
            }
            if level.is_some() {
                tail.insert(0, NavItem::Markup("</details></li>"));
            }
            if end < total {
                tail.push(NavItem::More(crate::listing::listing_page_route(route, end / size + 1)));
            }
            tail.push(NavItem::Markup("</ul>"));
            if level.is_some() {
                tails.push(tail);
            } else {
                items.append(&mut tail);
            }
        }
        while let Some(mut tail) = tails.pop() {
            items.append(&mut tail);
        }
        items
    }
}

impl Tree {
    /// The position among `folder`'s entries of the one leading to
    /// `current`: the sub-folder holding it (or that it is), else the page it is (`current_page`).
    fn position_toward(
        &self,
        route: &str,
        folder: &Folder,
        current: &str,
        current_page: Option<usize>,
    ) -> Option<usize> {
        if !is_within(current, route) || current == route {
            return None;
        }
        // The route one segment below `route` on the way to `current`.
        let below = if route == "/" { 1 } else { route.len() + 1 };
        let child = match current.get(below..)?.find('/') {
            Some(slash) => &current[..below + slash],
            None => current,
        };
        if let Some(sub) = self.folders.get(child) {
            return Some(sub.position);
        }
        let page = current_page.filter(|_| child == current)?;
        self.page_positions[page].filter(|&at| folder.entries.get(at) == Some(&Child::Page(page)))
    }
}

/// Entries `start..end` of `total` to show: all when they fit, else `cap` of them around
/// `around` (the entry leading to the current page), else the first `cap`.
fn window(total: usize, around: Option<usize>, cap: usize) -> (usize, usize) {
    if total <= cap {
        return (0, total);
    }
    let start = around.map_or(0, |at| at.saturating_sub(cap / 2).min(total - cap));
    (start, start + cap)
}

/// One entry of the navigation (see [`Tree::nav_items`]).
#[derive(Debug, Hash)]
pub(crate) enum NavItem<'t> {
    Markup(&'static str),
    /// A folder: open (its entries follow, up to `</details></li>`) when it leads to the
    /// current document, else a link to its page.
    Folder {
        route: &'t str,
        label: &'t str,
        open: bool,
        current: bool,
    },
    Page {
        route: &'t str,
        title: &'t str,
        current: bool,
    },
    /// A link to the listing page (route) of a folder's entries not shown.
    More(String),
}

/// `<nav class="site-nav">` of [`Tree::nav_items`], with root-relative links.
pub(crate) fn render_nav(items: &[NavItem<'_>], words: &Words) -> String {
    let mut out = format!("<nav class=\"site-nav\" id=\"site-nav\" aria-label=\"{}\">", escape(words.pages));
    for item in items {
        match item {
            NavItem::Markup(markup) => out.push_str(markup),
            NavItem::Folder { route, label, open: true, current } => {
                out.push_str("<li class=\"nav-folder\"><details open><summary>");
                link(&mut out, route, label, *current);
                out.push_str("</summary>");
            }
            NavItem::Folder { route, label, open: false, current } => {
                out.push_str("<li class=\"nav-folder nav-folder-closed\">");
                link(&mut out, route, label, *current);
                out.push_str("</li>");
            }
            NavItem::Page { route, title, current } => {
                out.push_str("<li class=\"nav-page\">");
                link(&mut out, route, title, *current);
                out.push_str("</li>");
            }
            NavItem::More(route) => {
                out.push_str("<li class=\"nav-more\"><a href=\"");
                out.push_str(&escape(&encode_path(route)));
                out.push_str(&format!("\">{}</a></li>", escape(words.nav_more)));
            }
        }
    }
    out.push_str("</nav>");
    out
}

/// A link to a folder or page: the route percent-encoded, the label (a note's title or a vault
/// folder's name, in any script) with its own direction.
fn link(out: &mut String, route: &str, label: &str, current: bool) {
    let aria = if current { " aria-current=\"page\"" } else { "" };
    out.push_str(&format!("<a href=\"{}\"{aria} dir=\"auto\">{}</a>", escape(&encode_path(route)), escape(label)));
}

/// `<nav aria-label="Breadcrumb">` from (label, href) pairs, hrefs already encoded; the last
/// item is the current page, and an item with an empty href (a folder with no page: it holds
/// unlisted pages only) is not a link. Labels are names from the vault, each with its own
/// direction.
pub(crate) fn render_breadcrumbs(items: &[(String, String)], words: &Words) -> String {
    let mut out = format!("<nav class=\"breadcrumbs\" aria-label=\"{}\"><ol>", escape(words.breadcrumbs));
    for (i, (label, href)) in items.iter().enumerate() {
        if i + 1 == items.len() {
            out.push_str(&format!("<li><span aria-current=\"page\" dir=\"auto\">{}</span></li>", escape(label)));
        } else if href.is_empty() {
            out.push_str(&format!("<li><span dir=\"auto\">{}</span></li>", escape(label)));
        } else {
            out.push_str(&format!("<li><a href=\"{}\" dir=\"auto\">{}</a></li>", escape(href), escape(label)));
        }
    }
    out.push_str("</ol></nav>");
    out
}

/// `/a/b` → `/a`, `/a` → `/`, `/` → none.
pub(crate) fn parent_route(route: &str) -> Option<&str> {
    if route == "/" || route.is_empty() {
        return None;
    }
    let trimmed = route.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) | None => Some("/"),
        Some(slash) => Some(&trimmed[..slash]),
    }
}

/// Whether `route` is `folder` or lies below it.
pub(crate) fn is_within(route: &str, folder: &str) -> bool {
    folder == "/" || route == folder || route.strip_prefix(folder).is_some_and(|rest| rest.starts_with('/'))
}

fn last_segment(route: &str) -> &str {
    route.trim_end_matches('/').rsplit('/').next().unwrap_or(route)
}

/// `my-old_notes` → `My old notes`.
pub(crate) fn humanize(segment: &str) -> String {
    let spaced = segment.replace(['-', '_'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => segment.to_owned(),
    }
}

/// Index notes hold a folder's introduction and are hidden from listings.
pub(crate) fn is_index_note(page: &PageInfo) -> bool {
    let file = page.vault_path.rsplit('/').next().unwrap_or("");
    let stem = file.strip_suffix(".md").unwrap_or(file).to_lowercase();
    last_segment(&page.route) == "index" || matches!(stem.as_str(), "index" | "_index" | "readme")
}

/// Where a page sits in the tree: [`PageInfo::nav_route`], else its route.
pub(crate) fn place(page: &PageInfo) -> &str {
    page.nav_route.as_deref().unwrap_or(&page.route)
}

/// Labels and vault paths of folders, from vault folder names: each route folder above a page
/// is matched with the vault folder at the same distance from the file, as long as the folder
/// name's [`route_segment`] is the segment, compared in NFC (a folder's route base may rename it,
/// and then nothing is taken from the vault path). Names keep their script: `ノート` for
/// `/ノート`. Route → (label, vault path of the folder, in NFC).
fn vault_folders<'p>(pages: impl Iterator<Item = &'p PageInfo>) -> BTreeMap<String, (String, String)> {
    let mut folders = BTreeMap::new();
    // Each vault folder name's segment, made once: most pages share their folders.
    let mut segments_of: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for page in pages {
        let segments: Vec<&str> = place(page).trim_matches('/').split('/').collect();
        let route_folders = &segments[..segments.len().saturating_sub(1)];
        let vault_parts: Vec<&str> = page.vault_path.split('/').filter(|p| !p.is_empty()).collect();
        let vault_folders = &vault_parts[..vault_parts.len().saturating_sub(1)];
        for (depth, (segment, folder)) in route_folders.iter().rev().zip(vault_folders.iter().rev()).enumerate() {
            let folder_segment = segments_of.entry(folder).or_insert_with(|| route_segment(folder));
            if *folder_segment != nfc(segment) {
                break;
            }
            let route = format!("/{}", route_folders[..route_folders.len() - depth].join("/"));
            folders.entry(route).or_insert_with(|| {
                let path = vault_folders[..vault_folders.len() - depth].join("/");
                (nfc(folder).into_owned(), nfc(&path).into_owned())
            });
        }
    }
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(route: &str, title: &str, vault_path: &str) -> PageInfo {
        PageInfo { route: route.into(), title: title.into(), vault_path: vault_path.into(), ..PageInfo::default() }
    }

    fn derive(pages: &[PageInfo]) -> Vec<Arc<PageDerived>> {
        pages.iter().map(|page| Arc::new(PageDerived::new(page))).collect()
    }

    #[test]
    fn parent_routes_walk_up_to_the_root() {
        assert_eq!(parent_route("/a/b/c"), Some("/a/b"));
        assert_eq!(parent_route("/a"), Some("/"));
        assert_eq!(parent_route("/"), None);
        assert!(is_within("/a/b", "/a") && is_within("/a", "/a") && !is_within("/ab", "/a"));
    }

    #[test]
    fn folder_labels_prefer_display_names_then_vault_folders_then_segments() {
        let mut info = SiteInfo { name: "Site".into(), ..SiteInfo::default() };
        info.folder_display_names.insert("/blog".into(), "The Blog".into());
        let pages = vec![
            page("/blog/post", "Post", "Blog/Post.md"),
            page("/projets/ete-special/plan", "Plan", "Projets/Été Spécial/Plan.md"),
            page("/guide/docs/intro", "Intro", "Docs/Intro.md"),
        ];
        let tree = Tree::build(&info, &pages, &derive(&pages), None);
        assert_eq!(tree.label("/blog"), "The Blog");
        assert_eq!(tree.label("/projets/ete-special"), "Été Spécial");
        assert_eq!(tree.label("/projets"), "Projets");
        assert_eq!(tree.label("/guide/docs"), "Docs");
        assert_eq!(tree.label("/guide"), "Guide", "a route base with no vault folder is humanised");
        assert_eq!(tree.label("/"), "Site");
    }

    #[test]
    fn vault_folder_names_label_the_folders_whose_segment_they_give() {
        let pages = vec![
            page("/obsidian-sync-について/x", "X", "Obsidian Sync について/X.md"),
            page("/post-one/y", "Y", "Post-One/Y.md"),
            page("/ノート/z", "Z", "ノート/Z.md"),
            page("/note/w", "W", "Ｎｏｔｅ/W.md"),
        ];
        let tree = Tree::build(&SiteInfo::default(), &pages, &derive(&pages), None);
        assert_eq!(tree.label("/obsidian-sync-について"), "Obsidian Sync について");
        assert_eq!(tree.label("/post-one"), "Post-One");
        assert_eq!(tree.label("/ノート"), "ノート");
        assert_eq!(tree.label("/note"), "Ｎｏｔｅ", "full-width Latin gives `note`");
    }

    #[test]
    fn a_page_moved_by_its_permalink_stays_in_its_vault_folder() {
        let moved = PageInfo { nav_route: Some("/guides/setup".into()), ..page("/setup", "Setup", "Guides/Setup.md") };
        let pages = vec![moved, page("/guides/other", "Other", "Guides/Other.md")];
        let site = crate::Site::new(SiteInfo::default(), pages);
        let html = site.page("/setup", "").unwrap();
        let nav = &html[html.find("<nav class=\"site-nav\"").unwrap()..html.find("</nav>").unwrap()];
        assert!(!nav.contains("<li><a href=\"setup\""), "not at the top level: {nav}");
        assert!(nav.contains("href=\"setup\" aria-current=\"page\""), "in its folder, the current page: {nav}");
        assert!(html.contains(">Guides</a>"), "its breadcrumbs lead through its folder");
        assert_eq!(site.folder_routes(), vec!["/guides".to_owned()]);
    }

    #[test]
    fn folders_come_first_and_pages_sort_by_title_without_index_notes() {
        let pages = vec![
            page("/b-page", "beta", "b.md"),
            page("/a-page", "Alpha", "a.md"),
            page("/zoo/x", "X", "Zoo/X.md"),
            page("/zoo/index", "Zoo index", "Zoo/_index.md"),
            page("/zoo/readme", "Read me", "Zoo/README.md"),
        ];
        let tree = Tree::build(&SiteInfo::default(), &pages, &derive(&pages), None);
        let nav = render_nav(&tree.nav_items(&pages, None, None, 10), &crate::words::ENGLISH);
        let zoo = nav.find("Zoo").unwrap();
        let alpha = nav.find("Alpha").unwrap();
        let beta = nav.find("beta").unwrap();
        assert!(zoo < alpha && alpha < beta, "{nav}");
        assert!(!nav.contains("Zoo index") && !nav.contains("Read me"), "{nav}");
    }

    /// The labels of the navigation's entries (folders and pages), in order.
    fn nav_labels(nav: &str) -> Vec<String> {
        nav.split("dir=\"auto\">").skip(1).map(|rest| rest.split('<').next().unwrap().to_owned()).collect()
    }

    #[test]
    fn the_navigation_order_puts_listed_folders_and_notes_first_interleaved_within_their_folder() {
        let pages = vec![
            page("/zoo/x", "X", "Zoo/X.md"),
            page("/zoo/y", "Y", "Zoo/Y.md"),
            page("/zoo/z", "Z", "Zoo/Z.md"),
            page("/zoo/deep/inner", "Inner", "Zoo/Deep/Inner.md"),
            page("/apes/a", "A", "Apes/A.md"),
            page("/birds/b", "B", "Birds/B.md"),
            page("/about", "About", "About.md"),
            page("/contact", "Contact", "Contact.md"),
        ];
        let mut info = SiteInfo::default();
        info.presentation.navigation_order =
            ["Contact.md", "Zoo", "Zoo/Z.md", "Zoo/Deep", "Zoo/X.md", "Nowhere", "About.md"].map(String::from).to_vec();
        let tree = Tree::build(&info, &pages, &derive(&pages), None);
        let top = render_nav(&tree.nav_items(&pages, None, None, 10), &crate::words::ENGLISH);
        assert_eq!(
            nav_labels(&top),
            ["Contact", "Zoo", "About", "Apes", "Birds"],
            "listed first in the given order (a note before a folder), then folders by name: {top}"
        );
        let inside = render_nav(&tree.nav_items(&pages, Some("/zoo/y"), Some(1), 10), &crate::words::ENGLISH);
        let zoo = inside.split("Zoo</a></summary>").nth(1).unwrap();
        assert_eq!(
            nav_labels(zoo)[..4],
            ["Z", "Deep", "X", "Y"],
            "a folder between notes, the unlisted one last: {zoo}"
        );

        let plain = Tree::build(&SiteInfo::default(), &pages, &derive(&pages), None);
        let top = render_nav(&plain.nav_items(&pages, None, None, 10), &crate::words::ENGLISH);
        assert_eq!(nav_labels(&top), ["Apes", "Birds", "Zoo", "About", "Contact"], "no order: folders, then notes");
    }

    #[test]
    fn the_navigation_order_matches_folders_by_their_vault_path_in_nfc() {
        let pages = vec![page("/ete/a", "A", "E\u{301}te\u{301}/A.md"), page("/autumn/b", "B", "Autumn/B.md")];
        let mut info = SiteInfo::default();
        info.presentation.navigation_order = vec!["Été".into()];
        let tree = Tree::build(&info, &pages, &derive(&pages), None);
        let top = render_nav(&tree.nav_items(&pages, None, None, 10), &crate::words::ENGLISH);
        assert_eq!(nav_labels(&top), ["Été", "Autumn"], "{top}");
    }

    #[test]
    fn humanize_turns_slugs_into_labels() {
        assert_eq!(humanize("my-old_notes"), "My old notes");
        assert_eq!(humanize("été"), "Été");
    }
}
