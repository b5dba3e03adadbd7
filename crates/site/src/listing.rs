//! Generated pages: folder indexes, the generated home page, tag pages and the 404 page.

use vps_core::slug::tag_href;
use vps_core::url::encode_path;

use crate::derived::KeyHasher;
use crate::escape::escape;
use crate::layout::{Document, Served};
use crate::site::{Site, normalize_route};
use crate::tree::{Child, NavItem, render_breadcrumbs};
use crate::url::PublicBase;
use crate::words::Words;
use vps_core::slug::tag_route;

/// How many pages the home page (generated, or a note) lists under "Recently updated".
const RECENT_ON_HOME: usize = 10;

/// How many pages [`RECENT_ROUTE`] lists: the most recently updated listed pages.
pub const RECENT_PAGE_SIZE: usize = 50;

/// Where the list of the most recently updated pages is served.
pub const RECENT_ROUTE: &str = "/recent";

/// The version of the listings' layout, in every listing key: bump it whenever a listing
/// changes in a way the other inputs of its key do not show.
const LISTING_VERSION: &str = "listing-2";

/// What one page of a listing (a folder's, the generated home's, a tag's, `/tags`) shows: the
/// one description read by both the renderer ([`Site::render_listing`]) and the key
/// ([`Site::listing_key`]), so the two cannot drift. Everything but a folder's introduction.
#[derive(Hash)]
struct Listing<'s> {
    /// Where it is served (its canonical path).
    path: String,
    /// The `<title>` before the site name; `None`: the site name alone.
    title: Option<String>,
    description: String,
    /// (label, href) from the site to the listing; the generated home has none.
    breadcrumbs: Option<Vec<(String, String)>>,
    /// The `<h1>`, and whether it takes its own direction (a name from the vault).
    heading: String,
    heading_dir: bool,
    /// Whether a folder introduction is shown (the first page of a folder's listing).
    intro: bool,
    body: Body<'s>,
    pagination: Pagination,
    /// The route marked current in the navigation (the folder's), and the navigation.
    nav_current: Option<String>,
    nav: Vec<NavItem<'s>>,
}

#[derive(Hash)]
enum Body<'s> {
    /// A folder's (or the root's) entries on this page, in the navigation's order; the
    /// generated home's first page adds the recently updated pages.
    Folder { route: String, empty: bool, entries: Vec<Listed<'s>>, recent: Vec<Entry<'s>> },
    /// A tag's page: its route, how many pages it has, its sub-tags (key, name) and this page's
    /// entries.
    Tag { route: String, tagged: usize, sub_tags: Vec<(&'s str, &'s str)>, pages: Vec<Entry<'s>> },
    /// Every tag: key, name, pages.
    Tags { tags: Vec<(&'s str, &'s str, usize)> },
    /// The most recently updated pages, newest first.
    Recent { pages: Vec<Entry<'s>> },
}

/// Page `number` of `count`.
#[derive(Hash, Clone, Copy)]
struct Pagination {
    number: usize,
    count: usize,
}

/// An entry of a folder's listing: a sub-folder (public path, label) or a page.
#[derive(Hash)]
enum Listed<'s> {
    Folder(&'s str, String),
    Page(Entry<'s>),
}

/// A page as a listing shows it: a link to where it is served (`path`), its title, its date
/// (RFC 3339) and its summary.
#[derive(Hash)]
struct Entry<'s> {
    path: &'s str,
    title: &'s str,
    updated: Option<&'s str>,
    summary: &'s str,
}

impl Site {
    /// Folders that need a generated index page: every folder but the root, unless a page
    /// already has the folder's route.
    pub fn folder_routes(&self) -> Vec<String> {
        self.tree
            .folder_routes()
            .filter(|(route, folder)| *route != "/" && folder.own_page.is_none())
            .map(|(route, _)| route.clone())
            .collect()
    }

    /// The generated index of a folder: its introduction (the folder's index note, already
    /// sanitised), then its sub-folders and pages. `None` for an unknown folder.
    pub fn folder_index(&self, folder_route: &str, intro_html: Option<&str>) -> Option<String> {
        self.folder_index_page(folder_route, intro_html, 1)
    }

    /// How many pages the listing of a folder takes (at least 1; 0 for an unknown folder).
    pub fn folder_index_pages(&self, folder_route: &str) -> usize {
        let Some(folder) = self.tree.folder(&normalize_route(folder_route)) else { return 0 };
        pages_for(folder.entries.len(), self.listing_page_size)
    }

    /// Page `number` (from 1) of a folder's index, served at [`listing_page_route`]; the
    /// introduction is on the first page only. `None` for an unknown folder or page. The root
    /// (`/`) gives the generated home page's listing ([`Site::home`] is its first page).
    pub fn folder_index_page(&self, folder_route: &str, intro_html: Option<&str>, number: usize) -> Option<String> {
        let listing = self.folder_listing(folder_route, number)?;
        Some(self.render_listing(&listing, intro_html))
    }

    /// A key of everything [`Site::folder_index_page`] reads for `folder_route` and `number`
    /// but the introduction (`intro_html`, which the caller keys itself): the entries shown
    /// (each sub-folder's label and path; each page's route, public path, title, date and
    /// summary), the pagination (this page's number and the page count), the breadcrumbs, the
    /// navigation's entries, the generated home's recently updated pages (for `/`), the site's
    /// name, language and stylesheets, and the listing layout's version. Made from the one
    /// description the page is rendered from; costs what the page shows, without writing HTML.
    /// `None` where [`Site::folder_index_page`] gives `None`.
    pub fn folder_listing_key(&self, folder_route: &str, number: usize) -> Option<[u8; 32]> {
        Some(self.listing_key(&self.folder_listing(folder_route, number)?))
    }

    /// The generated index served at `/` when the site has no home page: the root's folders and
    /// pages and the most recently updated pages.
    pub fn home(&self) -> String {
        self.folder_index_page("/", None, 1).expect("the root folder has a first listing page")
    }

    /// What page `number` of a folder's listing (the generated home for `/`) shows.
    fn folder_listing(&self, folder_route: &str, number: usize) -> Option<Listing<'_>> {
        let route = normalize_route(folder_route);
        let folder = self.tree.folder(&route)?;
        let size = self.listing_page_size;
        let total = folder.entries.len();
        let count = pages_for(total, size);
        if number == 0 || number > count {
            return None;
        }
        let start = (number - 1) * size;
        let end = (start + size).min(total);
        let entries = folder.entries[start..end]
            .iter()
            .map(|child| match child {
                Child::Folder(child) => Listed::Folder(self.public_path(child), self.tree.label(child)),
                Child::Page(index) => Listed::Page(self.entry(*index)),
            })
            .collect();
        let is_home = route == "/";
        let recent = if is_home && number == 1 {
            self.recent_on_home().iter().map(|&index| self.entry(index)).collect()
        } else {
            Vec::new()
        };
        let nav = self.tree.nav_items(&self.pages, Some(&route), None, size);
        let body = Body::Folder { route: route.clone(), empty: total == 0, entries, recent };
        let pagination = Pagination { number, count };
        Some(if is_home {
            Listing {
                path: listing_page_route("/", number),
                title: None,
                description: (self.words.all_pages_of)(&self.info.name),
                breadcrumbs: None,
                heading: self.info.name.clone(),
                heading_dir: false,
                intro: number == 1,
                body,
                pagination,
                nav_current: Some(route),
                nav,
            }
        } else {
            let mut breadcrumbs = vec![(self.info.name.clone(), "/".to_owned())];
            for (ancestor, label) in self.tree.ancestors(&route) {
                let href = self.href(&ancestor);
                breadcrumbs.push((label, href));
            }
            breadcrumbs.push((folder.label.clone(), String::new()));
            Listing {
                path: listing_page_route(&route, number),
                title: Some(folder.label.clone()),
                description: (self.words.pages_in)(&folder.label),
                breadcrumbs: Some(breadcrumbs),
                heading: folder.label.clone(),
                heading_dir: true,
                intro: number == 1,
                body,
                pagination,
                nav_current: Some(route),
                nav,
            }
        })
    }

    /// The most recently updated pages: the newest of the listed pages with a date
    /// ([`RECENT_PAGE_SIZE`]), found once in O(pages). Never an unlisted (or protected) page.
    fn recent(&self) -> &[usize] {
        self.recent.get_or_init(|| {
            let mut dated: Vec<usize> =
                (0..self.pages.len()).filter(|&i| !self.pages[i].unlisted && self.pages[i].updated.is_some()).collect();
            if dated.len() > RECENT_PAGE_SIZE {
                dated.select_nth_unstable_by(RECENT_PAGE_SIZE - 1, |&a, &b| self.newest_cmp(a, b));
                dated.truncate(RECENT_PAGE_SIZE);
            }
            dated.sort_unstable_by(|&a, &b| self.newest_cmp(a, b));
            dated
        })
    }

    /// The pages the home page lists as recently updated ([`RECENT_ON_HOME`] of [`Site::recent`]).
    pub(crate) fn recent_on_home(&self) -> &[usize] {
        let recent = self.recent();
        &recent[..recent.len().min(RECENT_ON_HOME)]
    }

    /// The list of the most recently updated pages, served at [`RECENT_ROUTE`]: the
    /// [`RECENT_PAGE_SIZE`] newest listed pages with a date, newest first.
    pub fn recent_page(&self) -> String {
        self.render_listing(&self.recent_listing(), None)
    }

    /// A key of everything [`Site::recent_page`] reads: the pages it lists (their paths, titles,
    /// dates and summaries), the navigation, the site's chrome and the listing layout's version.
    pub fn recent_key(&self) -> [u8; 32] {
        self.listing_key(&self.recent_listing())
    }

    /// What [`RECENT_ROUTE`] shows.
    fn recent_listing(&self) -> Listing<'_> {
        let words = self.words;
        Listing {
            path: RECENT_ROUTE.to_owned(),
            title: Some(words.recent_notes.to_owned()),
            description: (words.recent_description)(&self.info.name),
            breadcrumbs: Some(vec![
                (self.info.name.clone(), "/".to_owned()),
                (words.recent_notes.to_owned(), String::new()),
            ]),
            heading: words.recent_notes.to_owned(),
            heading_dir: false,
            intro: false,
            body: Body::Recent { pages: self.recent().iter().map(|&index| self.entry(index)).collect() },
            pagination: Pagination { number: 1, count: 1 },
            nav_current: None,
            nav: self.tree.nav_items(&self.pages, None, None, self.listing_page_size),
        }
    }

    /// Hashes what [`Site::recent_section`] shows (for the home note's page key).
    pub(crate) fn hash_recent_section(&self, hasher: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        for &index in self.recent_on_home() {
            self.entry(index).hash(hasher);
        }
    }

    /// The home note's list of the newest pages (after its content, without the home note
    /// itself, `home`), with a link to [`RECENT_ROUTE`]; nothing when no other listed page has
    /// a date.
    pub(crate) fn recent_section(&self, home: usize) -> String {
        let recent: Vec<usize> = self.recent_on_home().iter().copied().filter(|&index| index != home).collect();
        if recent.is_empty() {
            return String::new();
        }
        let mut out = format!(
            "<section class=\"recent-notes\" aria-labelledby=\"recent-notes-title\"><h2 id=\"recent-notes-title\">{}</h2><ul class=\"listing recent\">",
            escape(self.words.recent_notes)
        );
        for index in recent {
            self.render_entry(&mut out, &self.entry(index));
        }
        out.push_str(&format!(
            "</ul><p class=\"all-recent\"><a href=\"{RECENT_ROUTE}\">{}</a></p></section>\n",
            escape(self.words.all_recent_notes)
        ));
        out
    }

    /// One page as listings show it.
    fn entry(&self, index: usize) -> Entry<'_> {
        let page = &self.pages[index];
        let derived = &self.derived[index];
        Entry {
            path: self.public_path(&page.route),
            title: &page.title,
            updated: derived.updated.as_deref(),
            summary: derived.summary(page),
        }
    }

    /// Every tag with a page, parents of nested tags included (`project` for `project/alpha`),
    /// once per [`tag_key`](vps_core::slug::tag_key), as most of its pages write it; sorted by
    /// key. Each one's page is at [`Site::tag_route`].
    pub fn tags(&self) -> Vec<String> {
        self.tags.iter().map(|entry| entry.name.clone()).collect()
    }

    /// The page of a tag (at [`Site::tag_route`]): pages with the tag or one of its sub-tags, by
    /// title. The tag is looked up by its [`tag_key`](vps_core::slug::tag_key): `#Tag`, `tag` and
    /// `TAG` find the same page. `None` for an unknown tag.
    pub fn tag_page(&self, tag: &str) -> Option<String> {
        self.tag_page_number(tag, 1)
    }

    /// How many pages the listing of a tag takes (0 for an unknown tag).
    pub fn tag_pages(&self, tag: &str) -> usize {
        self.tags.get(tag).map_or(0, |entry| pages_for(entry.pages.len(), self.listing_page_size))
    }

    /// Page `number` (from 1) of a tag's listing, served at [`listing_page_route`] of its path.
    pub fn tag_page_number(&self, tag: &str, number: usize) -> Option<String> {
        Some(self.render_listing(&self.tag_listing(tag, number)?, None))
    }

    /// A key of everything [`Site::tag_page_number`] reads for `tag` and `number`: the tag's
    /// name and key, its page count, the sub-tags shown, the entries shown (as in
    /// [`Site::folder_listing_key`]), the pagination, the navigation, the site's name,
    /// language and stylesheets, and the listing layout's version. `None` where
    /// [`Site::tag_page_number`] gives `None`.
    pub fn tag_listing_key(&self, tag: &str, number: usize) -> Option<[u8; 32]> {
        Some(self.listing_key(&self.tag_listing(tag, number)?))
    }

    /// What page `number` of a tag's listing shows.
    fn tag_listing(&self, tag: &str, number: usize) -> Option<Listing<'_>> {
        let entry = self.tags.get(tag)?;
        let size = self.listing_page_size;
        let count = pages_for(entry.pages.len(), size);
        if number == 0 || number > count {
            return None;
        }
        let name = format!("#{}", entry.name);
        let words = self.words;
        let breadcrumbs = vec![
            (self.info.name.clone(), "/".to_owned()),
            (words.tags.to_owned(), "/tags".to_owned()),
            (name.clone(), String::new()),
        ];
        // As many sub-tags as entries on a listing page; every tag is on `/tags`.
        let sub_tags = entry
            .children
            .iter()
            .take(size)
            .filter_map(|key| self.tags.entry_by_key(key))
            .map(|child| (child.key.as_str(), child.name.as_str()))
            .collect();
        let pages = entry.pages.iter().skip((number - 1) * size).take(size).map(|&index| self.entry(index)).collect();
        let route = tag_route(&entry.key);
        Some(Listing {
            path: listing_page_route(&route, number),
            description: (words.pages_tagged)(&name),
            title: Some(name.clone()),
            breadcrumbs: Some(breadcrumbs),
            heading: name,
            heading_dir: true,
            intro: false,
            body: Body::Tag { route, tagged: entry.pages.len(), sub_tags, pages },
            pagination: Pagination { number, count },
            nav_current: None,
            nav: self.tree.nav_items(&self.pages, None, None, size),
        })
    }

    /// The list of all tags (`/tags`), with their page counts.
    pub fn tags_index(&self) -> String {
        self.render_listing(&self.tags_listing(), None)
    }

    /// A key of everything [`Site::tags_index`] reads: every tag's key, name and page count,
    /// the navigation, the site's name, language and stylesheets, and the listing layout's
    /// version. Costs O(tags), without writing HTML.
    pub fn tags_index_key(&self) -> [u8; 32] {
        self.listing_key(&self.tags_listing())
    }

    /// What `/tags` shows.
    fn tags_listing(&self) -> Listing<'_> {
        let words = self.words;
        let tags = self.tags.iter().map(|entry| (entry.key.as_str(), entry.name.as_str(), entry.pages.len())).collect();
        Listing {
            path: "/tags".to_owned(),
            title: Some(words.tags.to_owned()),
            description: (words.all_tags_of)(&self.info.name),
            breadcrumbs: Some(vec![(self.info.name.clone(), "/".to_owned()), (words.tags.to_owned(), String::new())]),
            heading: words.tags.to_owned(),
            heading_dir: false,
            intro: false,
            body: Body::Tags { tags },
            pagination: Pagination { number: 1, count: 1 },
            nav_current: None,
            nav: self.tree.nav_items(&self.pages, None, None, self.listing_page_size),
        }
    }

    /// The key of a listing: its description ([`Listing`]), the site's name, language and
    /// stylesheets, and [`LISTING_VERSION`].
    fn listing_key(&self, listing: &Listing<'_>) -> [u8; 32] {
        use std::hash::Hash;
        let mut hasher = KeyHasher::new();
        LISTING_VERSION.hash(&mut hasher);
        self.hash_chrome(&mut hasher);
        listing.hash(&mut hasher);
        hasher.finish_key()
    }

    /// The HTML of a listing page, with a folder's introduction (already sanitised) when the
    /// listing shows one.
    fn render_listing(&self, listing: &Listing<'_>, intro_html: Option<&str>) -> String {
        let words = self.words;
        let mut main = listing.breadcrumbs.as_ref().map_or_else(String::new, |items| render_breadcrumbs(items, words));
        let dir = if listing.heading_dir { " dir=\"auto\"" } else { "" };
        main.push_str(&format!("<header class=\"page-header\"><h1{dir}>{}</h1></header>\n", escape(&listing.heading)));
        if listing.intro
            && let Some(intro) = intro_html.filter(|i| !i.trim().is_empty())
        {
            main.push_str(&format!(
                "<article class=\"markdown-body folder-intro\" dir=\"auto\">\n{intro}\n</article>\n"
            ));
        }
        let Pagination { number, count } = listing.pagination;
        match &listing.body {
            Body::Folder { empty: true, .. } => {
                main.push_str(&format!("<p class=\"empty\">{}</p>\n", escape(words.folder_empty)));
            }
            Body::Folder { route, entries, .. } => {
                main.push_str("<ul class=\"listing\">");
                for entry in entries {
                    match entry {
                        Listed::Folder(path, label) => main.push_str(&format!(
                            "<li class=\"folder\"><a href=\"{}\" dir=\"auto\">{}</a></li>",
                            escape(&encode_path(path)),
                            escape(label)
                        )),
                        Listed::Page(entry) => self.render_entry(&mut main, entry),
                    }
                }
                main.push_str("</ul>\n");
                main.push_str(&pagination(route, number, count, words));
            }
            Body::Tag { route, tagged, sub_tags, pages } => {
                main.push_str(&format!("<p class=\"search-count\">{}</p>\n", escape(&(words.page_count)(*tagged))));
                if !sub_tags.is_empty() {
                    main.push_str(&format!(
                        "<ul class=\"page-tags sub-tags\" aria-label=\"{}\">",
                        escape(words.sub_tags)
                    ));
                    for (key, name) in sub_tags {
                        main.push_str(&format!(
                            "<li><a class=\"tag\" href=\"{}\" dir=\"auto\">#{}</a></li>",
                            escape(&tag_href(key)),
                            escape(name)
                        ));
                    }
                    main.push_str("</ul>\n");
                }
                main.push_str("<ul class=\"listing\">");
                for entry in pages {
                    self.render_entry(&mut main, entry);
                }
                main.push_str("</ul>\n");
                main.push_str(&pagination(route, number, count, words));
            }
            Body::Recent { pages } => {
                main.push_str("<ul class=\"listing recent\">");
                for entry in pages {
                    self.render_entry(&mut main, entry);
                }
                main.push_str("</ul>\n");
            }
            Body::Tags { tags } if tags.is_empty() => {
                main.push_str(&format!("<p class=\"empty\">{}</p>\n", escape(words.no_tags)));
            }
            Body::Tags { tags } => {
                main.push_str("<ul class=\"page-tags all-tags\">");
                for (key, name, count) in tags {
                    main.push_str(&format!(
                        "<li><a class=\"tag\" href=\"{}\" dir=\"auto\">#{}</a> <span class=\"count\">{count}</span></li>",
                        escape(&tag_href(key)),
                        escape(name),
                    ));
                }
                main.push_str("</ul>\n");
            }
        }
        if let Body::Folder { recent, .. } = &listing.body
            && !recent.is_empty()
        {
            main.push_str(&format!("<h2>{}</h2>\n<ul class=\"listing recent\">", escape(words.recently_updated)));
            for entry in recent {
                self.render_entry(&mut main, entry);
            }
            main.push_str("</ul>\n");
            main.push_str(&format!(
                "<p class=\"all-recent\"><a href=\"{RECENT_ROUTE}\">{}</a></p>\n",
                escape(words.all_recent_notes)
            ));
        }
        self.render_document_with(
            &Document {
                title: listing.title.as_deref(),
                description: listing.description.clone(),
                path: Some(&listing.path),
                served: Served::At(&listing.path),
                og_type: "website",
                image: None,
                noindex: false,
                nav_current: listing.nav_current.as_deref(),
                query: "",
                main,
            },
            &listing.nav,
        )
    }

    /// One page in a listing: title link, date, and description.
    fn render_entry(&self, out: &mut String, entry: &Entry<'_>) {
        out.push_str(&format!(
            "<li><a href=\"{}\" dir=\"auto\">{}</a>",
            escape(&encode_path(entry.path)),
            escape(entry.title)
        ));
        if let Some(updated) = entry.updated {
            out.push_str(&format!(
                "<time datetime=\"{}\">{}</time>",
                escape(updated),
                escape(&self.words.format_date(updated))
            ));
        }
        if !entry.summary.is_empty() {
            out.push_str(&format!("<p dir=\"auto\">{}</p>", escape(entry.summary)));
        }
        out.push_str("</li>");
    }

    /// The 404 page: a message, a search box and a way home. Not indexed. It is served at any
    /// URL, so its links are absolute paths under `base`'s prefix (`/notes/search`): make it
    /// at serve time.
    pub fn not_found(&self, base: &PublicBase) -> String {
        let words = self.words;
        let main = format!(
            "<div class=\"not-found\"><header class=\"page-header\"><h1>{title}</h1></header>\n\
<p>{text}</p>\n\
<form class=\"search-form\" action=\"/search\" method=\"get\" role=\"search\">\
<input type=\"search\" name=\"q\" aria-label=\"{label}\" dir=\"auto\"><button type=\"submit\">{button}</button></form>\n\
<p><a href=\"/\">{home}</a></p></div>",
            title = escape(words.page_not_found),
            text = escape(words.not_found_text),
            label = escape(words.search_label),
            button = escape(words.search_button),
            home = escape(words.go_home),
        );
        self.render_document(&Document {
            title: Some(words.page_not_found),
            description: String::new(),
            path: None,
            served: Served::Anywhere(base),
            og_type: "website",
            image: None,
            noindex: true,
            nav_current: None,
            query: "",
            main,
        })
    }
}

/// Where page `number` of the listing at `route` is served: the route itself for the first
/// page, then `<route>/page/<number>` (`/page/2` for the root). A note published at such a route
/// is served there instead (pages come before generated documents).
///
/// ```
/// assert_eq!(vps_site::listing_page_route("/blog", 1), "/blog");
/// assert_eq!(vps_site::listing_page_route("/blog", 3), "/blog/page/3");
/// assert_eq!(vps_site::listing_page_route("/", 2), "/page/2");
/// ```
pub fn listing_page_route(route: &str, number: usize) -> String {
    match number {
        0 | 1 => route.to_owned(),
        n => format!("{}/page/{n}", route.trim_end_matches('/')),
    }
}

/// Pages needed for `entries` at `size` per page; an empty listing still has its first page.
fn pages_for(entries: usize, size: usize) -> usize {
    entries.div_ceil(size.max(1)).max(1)
}

/// Links to the previous and next pages of a listing; nothing for a single page.
fn pagination(route: &str, number: usize, count: usize, words: &Words) -> String {
    if count <= 1 {
        return String::new();
    }
    let mut out = format!("<nav class=\"pagination\" aria-label=\"{}\">", escape(words.pagination_label));
    if number > 1 {
        let href = encode_path(&listing_page_route(route, number - 1));
        out.push_str(&format!("<a rel=\"prev\" href=\"{}\">{}</a> ", escape(&href), escape(words.previous)));
    }
    out.push_str(&format!("<span>{}</span>", escape(&(words.page_of)(number, count))));
    if number < count {
        let href = encode_path(&listing_page_route(route, number + 1));
        out.push_str(&format!(" <a rel=\"next\" href=\"{}\">{}</a>", escape(&href), escape(words.next)));
    }
    out.push_str("</nav>\n");
    out
}

#[cfg(test)]
mod tests {
    use crate::fixture::{self, resolved, site};

    #[test]
    fn folders_without_a_page_of_their_own_need_an_index() {
        assert_eq!(site().folder_routes(), vec!["/blog", "/drafts", "/recipes", "/recipes/summer"]);
        let mut pages = fixture::pages();
        pages.push(fixture::page("/blog", "Blog home", "Blog.md"));
        assert_eq!(
            crate::Site::new(fixture::info(None), pages).folder_routes(),
            vec!["/drafts", "/recipes", "/recipes/summer"]
        );
    }

    #[test]
    fn folder_index_shows_the_intro_then_subfolders_and_pages() {
        let site = site();
        let html = resolved(&site.folder_index("/recipes/", Some("<p>Seasonal food.</p>")).unwrap(), "/recipes");
        assert!(html.contains("<title>Recipes · Garden</title>"));
        assert!(html.contains("<h1 dir=\"auto\">Recipes</h1>"));
        assert!(html.contains("<p>Seasonal food.</p>"));
        assert!(html.contains("<li class=\"folder\"><a href=\"/recipes/summer\" dir=\"auto\">Summer</a></li>"));
        assert!(
            html.contains("<summary><a href=\"/recipes\" aria-current=\"page\" dir=\"auto\">Recipes</a></summary>")
        );
        assert!(html.contains("<link rel=\"canonical\" href=\"/recipes\">"));
        let raw = site.folder_index("/recipes/", None).unwrap();
        assert!(raw.contains("<link rel=\"canonical\" href=\"recipes\">"), "written relative");

        let blog = resolved(&site.folder_index("/blog", None).unwrap(), "/blog");
        let first = blog.find("<li><a href=\"/blog/first-post\" dir=\"auto\">First post</a>").unwrap();
        let second = blog.find("<li><a href=\"/blog/second\" dir=\"auto\">Second post</a>").unwrap();
        assert!(first < second);
        assert!(blog.contains("<p dir=\"auto\">The very first post.</p>"), "descriptions are listed");
        assert!(site.folder_index("/nope", None).is_none());
    }

    #[test]
    fn generated_home_lists_the_root_and_recent_pages() {
        let home = resolved(&fixture::site().home(), "/");
        assert!(home.contains("<title>Garden</title>"));
        assert!(home.contains("<li class=\"folder\"><a href=\"/blog\" dir=\"auto\">The Blog</a></li>"));
        let recent = &home[home.find("Recently updated").unwrap()..];
        let second = recent.find("Second post").unwrap();
        let first = recent.find("First post").unwrap();
        let ete = recent.find("Été salad").unwrap();
        assert!(second < first && first < ete, "newest first");
        assert!(!recent.contains(">About<"), "undated pages are not recent");
    }

    #[test]
    fn tag_pages_list_pages_with_the_tag_or_a_sub_tag() {
        let site = site();
        assert_eq!(site.tags(), vec!["project", "project/alpha", "project/beta", "rust"]);
        let html = resolved(&site.tag_page("#Project").unwrap(), "/tags/project");
        assert!(html.contains("<title>#project · Garden</title>"));
        let listed = &html[html.find("<main").unwrap()..];
        for title in ["First post", "Second post", "Été salad"] {
            assert!(listed.contains(&format!(">{title}</a>")), "{title}");
        }
        assert!(!listed.contains(">About</a>"));
        assert!(
            html.contains("<a class=\"tag\" href=\"/tags/project/alpha\" dir=\"auto\">#project/alpha</a>"),
            "sub-tags linked"
        );
        assert!(html.contains("<link rel=\"canonical\" href=\"/tags/project\">"));

        let alpha = site.tag_page("project/alpha").unwrap();
        let listed = &alpha[alpha.find("<main").unwrap()..];
        assert!(listed.contains(">First post</a>") && !listed.contains(">Second post</a>"));
        assert!(site.tag_page("alpha").is_none());
        assert!(
            resolved(&site.tags_index(), "/tags")
                .contains("<a class=\"tag\" href=\"/tags/rust\" dir=\"auto\">#rust</a> <span class=\"count\">1</span>")
        );
    }

    #[test]
    fn not_found_is_noindex_with_a_search_box_and_no_canonical() {
        let html = site().not_found(&crate::PublicBase::default());
        assert!(html.contains("<h1>Page not found</h1>"));
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(!html.contains("rel=\"canonical\""));
        assert!(html.contains("action=\"/search\""));
    }
}
