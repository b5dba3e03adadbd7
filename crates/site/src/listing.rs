//! Generated pages: folder indexes, the generated home page, tag pages and the 404 page.

use vps_core::slug::tag_href;
use vps_core::url::encode_path;

use crate::escape::{escape, summarize};
use crate::feeds::{newest_first, normalize_datetime};
use crate::layout::{Document, Served};
use crate::model::PageInfo;
use crate::site::{Site, normalize_route};
use crate::tree::render_breadcrumbs;
use crate::url::PublicBase;
use crate::words::Words;
use vps_core::slug::tag_route;

/// How many pages the generated home page lists under "Recently updated".
const RECENT_ON_HOME: usize = 10;

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
        pages_for(folder.folders.len() + folder.pages.len(), self.listing_page_size)
    }

    /// Page `number` (from 1) of a folder's index, served at [`listing_page_route`]; the
    /// introduction is on the first page only. `None` for an unknown folder or page.
    pub fn folder_index_page(&self, folder_route: &str, intro_html: Option<&str>, number: usize) -> Option<String> {
        let route = normalize_route(folder_route);
        if number == 0 || number > self.folder_index_pages(&route) {
            return None;
        }
        let intro_html = intro_html.filter(|_| number == 1);
        if route == "/" {
            return Some(self.generated_home(intro_html, number));
        }
        let folder = self.tree.folder(&route)?;
        let mut items = vec![(self.info.name.clone(), "/".to_owned())];
        for (ancestor, label) in self.tree.ancestors(&route) {
            let href = self.href(&ancestor);
            items.push((label, href));
        }
        items.push((folder.label.clone(), String::new()));

        let mut main = render_breadcrumbs(&items, self.words);
        main.push_str(&format!(
            "<header class=\"page-header\"><h1 dir=\"auto\">{}</h1></header>\n",
            escape(&folder.label)
        ));
        if let Some(intro) = intro_html.filter(|i| !i.trim().is_empty()) {
            main.push_str(&format!(
                "<article class=\"markdown-body folder-intro\" dir=\"auto\">\n{intro}\n</article>\n"
            ));
        }
        main.push_str(&self.folder_listing(&route, number));
        let path = listing_page_route(&route, number);
        Some(self.render_document(&Document {
            title: Some(&folder.label),
            description: (self.words.pages_in)(&folder.label),
            path: Some(&path),
            served: Served::At(&path),
            og_type: "website",
            image: None,
            noindex: false,
            nav_current: Some(&route),
            query: "",
            main,
        }))
    }

    /// The generated index served at `/` when the site has no home page: the root's folders and
    /// pages and the most recently updated pages.
    pub fn home(&self) -> String {
        self.generated_home(None, 1)
    }

    fn generated_home(&self, intro_html: Option<&str>, number: usize) -> String {
        let mut main = format!("<header class=\"page-header\"><h1>{}</h1></header>\n", escape(&self.info.name));
        if let Some(intro) = intro_html.filter(|i| !i.trim().is_empty()) {
            main.push_str(&format!(
                "<article class=\"markdown-body folder-intro\" dir=\"auto\">\n{intro}\n</article>\n"
            ));
        }
        main.push_str(&self.folder_listing("/", number));
        let recent: Vec<usize> = if number == 1 {
            newest_first(&self.pages)
                .into_iter()
                .filter(|&i| self.pages[i].updated.is_some())
                .take(RECENT_ON_HOME)
                .collect()
        } else {
            Vec::new()
        };
        if !recent.is_empty() {
            main.push_str(&format!("<h2>{}</h2>\n<ul class=\"listing recent\">", escape(self.words.recently_updated)));
            for index in recent {
                main.push_str(&self.page_item(&self.pages[index]));
            }
            main.push_str("</ul>\n");
        }
        let path = listing_page_route("/", number);
        self.render_document(&Document {
            title: None,
            description: (self.words.all_pages_of)(&self.info.name),
            path: Some(&path),
            served: Served::At(&path),
            og_type: "website",
            image: None,
            noindex: false,
            nav_current: Some("/"),
            query: "",
            main,
        })
    }

    /// Page `number` of a folder's entries: sub-folders, then pages.
    fn folder_listing(&self, route: &str, number: usize) -> String {
        let Some(folder) = self.tree.folder(route) else { return String::new() };
        if folder.folders.is_empty() && folder.pages.is_empty() {
            return format!("<p class=\"empty\">{}</p>\n", escape(self.words.folder_empty));
        }
        let size = self.listing_page_size;
        let total = folder.folders.len() + folder.pages.len();
        let start = (number - 1) * size;
        let end = (start + size).min(total);
        let mut out = String::from("<ul class=\"listing\">");
        for child in folder.folders.iter().take(end).skip(start) {
            out.push_str(&format!(
                "<li class=\"folder\"><a href=\"{}\" dir=\"auto\">{}</a></li>",
                escape(&self.href(child)),
                escape(&self.tree.label(child))
            ));
        }
        let skip = start.saturating_sub(folder.folders.len());
        let take = end.saturating_sub(folder.folders.len()).saturating_sub(skip);
        for &index in folder.pages.iter().skip(skip).take(take) {
            out.push_str(&self.page_item(&self.pages[index]));
        }
        out.push_str("</ul>\n");
        out.push_str(&pagination(route, number, pages_for(total, size), self.words));
        out
    }

    /// One page in a listing: title link, date, and description.
    pub(crate) fn page_item(&self, page: &PageInfo) -> String {
        let mut out =
            format!("<li><a href=\"{}\" dir=\"auto\">{}</a>", escape(&self.href(&page.route)), escape(&page.title));
        if let Some(updated) = page.updated.as_deref().and_then(normalize_datetime) {
            out.push_str(&format!(
                "<time datetime=\"{}\">{}</time>",
                escape(&updated),
                escape(&self.words.format_date(&updated))
            ));
        }
        let description = match page.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(description) => summarize(description, 200),
            None => summarize(&page.text, 160),
        };
        if !description.is_empty() {
            out.push_str(&format!("<p dir=\"auto\">{}</p>", escape(&description)));
        }
        out.push_str("</li>");
        out
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
        let entry = self.tags.get(tag)?;
        let size = self.listing_page_size;
        let page_count = pages_for(entry.pages.len(), size);
        if number == 0 || number > page_count {
            return None;
        }
        let name = format!("#{}", entry.name);
        let words = self.words;
        let items = vec![
            (self.info.name.clone(), "/".to_owned()),
            (words.tags.to_owned(), "/tags".to_owned()),
            (name.clone(), String::new()),
        ];
        let mut main = render_breadcrumbs(&items, words);
        main.push_str(&format!("<header class=\"page-header\"><h1 dir=\"auto\">{}</h1></header>\n", escape(&name)));
        main.push_str(&format!("<p class=\"search-count\">{}</p>\n", escape(&(words.page_count)(entry.pages.len()))));
        if !entry.children.is_empty() {
            main.push_str(&format!("<ul class=\"page-tags sub-tags\" aria-label=\"{}\">", escape(words.sub_tags)));
            // As many sub-tags as entries on a listing page; every tag is on `/tags`.
            for child in entry.children.iter().take(size).filter_map(|key| self.tags.entry_by_key(key)) {
                main.push_str(&format!(
                    "<li><a class=\"tag\" href=\"{}\" dir=\"auto\">#{}</a></li>",
                    escape(&tag_href(&child.key)),
                    escape(&child.name)
                ));
            }
            main.push_str("</ul>\n");
        }
        let mut pages = entry.pages.clone();
        pages.sort_by(|&a, &b| crate::tree::title_order(&self.pages[a], &self.pages[b]));
        main.push_str("<ul class=\"listing\">");
        for index in pages.into_iter().skip((number - 1) * size).take(size) {
            main.push_str(&self.page_item(&self.pages[index]));
        }
        main.push_str("</ul>\n");
        let route = tag_route(&entry.key);
        main.push_str(&pagination(&route, number, page_count, words));
        let path = listing_page_route(&route, number);
        Some(self.render_document(&Document {
            title: Some(&name),
            description: (words.pages_tagged)(&name),
            path: Some(&path),
            served: Served::At(&path),
            og_type: "website",
            image: None,
            noindex: false,
            nav_current: None,
            query: "",
            main,
        }))
    }

    /// The list of all tags (`/tags`), with their page counts.
    pub fn tags_index(&self) -> String {
        let words = self.words;
        let items = vec![(self.info.name.clone(), "/".to_owned()), (words.tags.to_owned(), String::new())];
        let mut main = render_breadcrumbs(&items, words);
        main.push_str(&format!("<header class=\"page-header\"><h1>{}</h1></header>\n", escape(words.tags)));
        if self.tags.iter().next().is_none() {
            main.push_str(&format!("<p class=\"empty\">{}</p>\n", escape(words.no_tags)));
        } else {
            main.push_str("<ul class=\"page-tags all-tags\">");
            for entry in self.tags.iter() {
                main.push_str(&format!(
                    "<li><a class=\"tag\" href=\"{}\" dir=\"auto\">#{}</a> <span class=\"count\">{}</span></li>",
                    escape(&tag_href(&entry.key)),
                    escape(&entry.name),
                    entry.pages.len()
                ));
            }
            main.push_str("</ul>\n");
        }
        self.render_document(&Document {
            title: Some(words.tags),
            description: (words.all_tags_of)(&self.info.name),
            path: Some("/tags"),
            served: Served::At("/tags"),
            og_type: "website",
            image: None,
            noindex: false,
            nav_current: None,
            query: "",
            main,
        })
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
