//! Generated pages: folder indexes, the generated home page, tag pages and the 404 page.

use crate::escape::{escape, summarize, tag_href};
use crate::feeds::{newest_first, normalize_datetime};
use crate::layout::Document;
use crate::model::PageInfo;
use crate::site::{Site, normalize_route};
use crate::tags::normalize_tag;
use crate::tree::render_breadcrumbs;

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
        let route = normalize_route(folder_route);
        if route == "/" {
            return Some(self.generated_home(intro_html));
        }
        let folder = self.tree.folder(&route)?;
        let mut items = vec![(self.info.name.clone(), "/".to_owned())];
        for (ancestor, label) in self.tree.ancestors(&route) {
            let href = self.href(&ancestor);
            items.push((label, href));
        }
        items.push((folder.label.clone(), String::new()));

        let mut main = render_breadcrumbs(&items);
        main.push_str(&format!("<header class=\"page-header\"><h1>{}</h1></header>\n", escape(&folder.label)));
        if let Some(intro) = intro_html.filter(|i| !i.trim().is_empty()) {
            main.push_str(&format!("<article class=\"markdown-body folder-intro\">\n{intro}\n</article>\n"));
        }
        main.push_str(&self.folder_listing(&route));
        Some(self.render_document(&Document {
            title: Some(&folder.label),
            description: format!("Pages in {}", folder.label),
            path: Some(&route),
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
        self.generated_home(None)
    }

    fn generated_home(&self, intro_html: Option<&str>) -> String {
        let mut main = format!("<header class=\"page-header\"><h1>{}</h1></header>\n", escape(&self.info.name));
        if let Some(intro) = intro_html.filter(|i| !i.trim().is_empty()) {
            main.push_str(&format!("<article class=\"markdown-body folder-intro\">\n{intro}\n</article>\n"));
        }
        main.push_str(&self.folder_listing("/"));
        let recent: Vec<usize> = newest_first(&self.pages)
            .into_iter()
            .filter(|&i| self.pages[i].updated.is_some())
            .take(RECENT_ON_HOME)
            .collect();
        if !recent.is_empty() {
            main.push_str("<h2>Recently updated</h2>\n<ul class=\"listing recent\">");
            for index in recent {
                main.push_str(&self.page_item(&self.pages[index]));
            }
            main.push_str("</ul>\n");
        }
        self.render_document(&Document {
            title: None,
            description: format!("{}: all pages", self.info.name),
            path: Some("/"),
            og_type: "website",
            image: None,
            noindex: false,
            nav_current: Some("/"),
            query: "",
            main,
        })
    }

    fn folder_listing(&self, route: &str) -> String {
        let Some(folder) = self.tree.folder(route) else { return String::new() };
        if folder.folders.is_empty() && folder.pages.is_empty() {
            return "<p class=\"empty\">This folder has no pages yet.</p>\n".to_owned();
        }
        let mut out = String::from("<ul class=\"listing\">");
        for child in &folder.folders {
            out.push_str(&format!(
                "<li class=\"folder\"><a href=\"{}\">{}</a></li>",
                escape(&self.href(child)),
                escape(&self.tree.label(child))
            ));
        }
        for &index in &folder.pages {
            out.push_str(&self.page_item(&self.pages[index]));
        }
        out.push_str("</ul>\n");
        out
    }

    /// One page in a listing: title link, date, and description.
    pub(crate) fn page_item(&self, page: &PageInfo) -> String {
        let mut out = format!("<li><a href=\"{}\">{}</a>", escape(&self.href(&page.route)), escape(&page.title));
        if let Some(updated) = page.updated.as_deref().and_then(normalize_datetime) {
            out.push_str(&format!("<time datetime=\"{}\">{}</time>", escape(&updated), escape(&updated[..10])));
        }
        let description = match page.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(description) => summarize(description, 200),
            None => summarize(&page.text, 160),
        };
        if !description.is_empty() {
            out.push_str(&format!("<p>{}</p>", escape(&description)));
        }
        out.push_str("</li>");
        out
    }

    /// Every tag with a page, parents of nested tags included (`project` for `project/alpha`),
    /// as first written; sorted case-insensitively.
    pub fn tags(&self) -> Vec<String> {
        self.tags.iter().map(|entry| entry.name.clone()).collect()
    }

    /// The page of a tag (`/tags/<tag>`): pages with the tag or one of its sub-tags, by title.
    /// Tags match case-insensitively, with or without `#`. `None` for an unknown tag.
    pub fn tag_page(&self, tag: &str) -> Option<String> {
        let entry = self.tags.get(tag)?;
        let name = format!("#{}", entry.name);
        let items = vec![
            (self.info.name.clone(), "/".to_owned()),
            ("Tags".to_owned(), "/tags".to_owned()),
            (name.clone(), String::new()),
        ];
        let mut main = render_breadcrumbs(&items);
        main.push_str(&format!("<header class=\"page-header\"><h1>{}</h1></header>\n", escape(&name)));
        let count = entry.pages.len();
        main.push_str(&format!(
            "<p class=\"search-count\">{count} {}</p>\n",
            if count == 1 { "page" } else { "pages" }
        ));
        if !entry.children.is_empty() {
            main.push_str("<ul class=\"page-tags sub-tags\" aria-label=\"Sub-tags\">");
            for child in entry.children.iter().filter_map(|key| self.tags.entry_by_key(key)) {
                main.push_str(&format!(
                    "<li><a class=\"tag\" href=\"{}\">#{}</a></li>",
                    escape(&tag_href(&child.name)),
                    escape(&child.name)
                ));
            }
            main.push_str("</ul>\n");
        }
        let mut pages = entry.pages.clone();
        pages.sort_by(|&a, &b| crate::tree::title_order(&self.pages[a], &self.pages[b]));
        main.push_str("<ul class=\"listing\">");
        for index in pages {
            main.push_str(&self.page_item(&self.pages[index]));
        }
        main.push_str("</ul>\n");
        let path = tag_path(&entry.name);
        Some(self.render_document(&Document {
            title: Some(&name),
            description: format!("Pages tagged {name}"),
            path: Some(&path),
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
        let items = vec![(self.info.name.clone(), "/".to_owned()), ("Tags".to_owned(), String::new())];
        let mut main = render_breadcrumbs(&items);
        main.push_str("<header class=\"page-header\"><h1>Tags</h1></header>\n");
        if self.tags.iter().next().is_none() {
            main.push_str("<p class=\"empty\">No page has a tag yet.</p>\n");
        } else {
            main.push_str("<ul class=\"page-tags all-tags\">");
            for entry in self.tags.iter() {
                main.push_str(&format!(
                    "<li><a class=\"tag\" href=\"{}\">#{}</a> <span class=\"count\">{}</span></li>",
                    escape(&tag_href(&entry.name)),
                    escape(&entry.name),
                    entry.pages.len()
                ));
            }
            main.push_str("</ul>\n");
        }
        self.render_document(&Document {
            title: Some("Tags"),
            description: format!("All tags of {}", self.info.name),
            path: Some("/tags"),
            og_type: "website",
            image: None,
            noindex: false,
            nav_current: None,
            query: "",
            main,
        })
    }

    /// The 404 page: a message, a search box and a way home. Not indexed.
    pub fn not_found(&self) -> String {
        let main = "<div class=\"not-found\"><header class=\"page-header\"><h1>Page not found</h1></header>\n\
<p>There is no page at this address. It may have moved or been unpublished.</p>\n\
<form class=\"search-form\" action=\"/search\" method=\"get\" role=\"search\">\
<input type=\"search\" name=\"q\" aria-label=\"Search this site\"><button type=\"submit\">Search</button></form>\n\
<p><a href=\"/\">Go to the home page</a></p></div>"
            .to_owned();
        self.render_document(&Document {
            title: Some("Page not found"),
            description: String::new(),
            path: None,
            og_type: "website",
            image: None,
            noindex: true,
            nav_current: None,
            query: "",
            main,
        })
    }
}

/// The (unencoded) path of a tag page.
pub(crate) fn tag_path(tag: &str) -> String {
    format!("/tags/{}", normalize_tag(tag).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use crate::fixture::{self, site};

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
        let html = site.folder_index("/recipes/", Some("<p>Seasonal food.</p>")).unwrap();
        assert!(html.contains("<title>Recipes · Garden</title>"));
        assert!(html.contains("<h1>Recipes</h1>"));
        assert!(html.contains("<p>Seasonal food.</p>"));
        assert!(html.contains("<li class=\"folder\"><a href=\"/recipes/summer\">Summer</a></li>"));
        assert!(html.contains("<summary><a href=\"/recipes\" aria-current=\"page\">Recipes</a></summary>"));
        assert!(html.contains("<link rel=\"canonical\" href=\"https://notes.example.com/recipes\">"));

        let blog = site.folder_index("/blog", None).unwrap();
        let first = blog.find("<li><a href=\"/blog/first-post\">First post</a>").unwrap();
        let second = blog.find("<li><a href=\"/blog/second\">Second post</a>").unwrap();
        assert!(first < second);
        assert!(blog.contains("<p>The very first post.</p>"), "descriptions are listed");
        assert!(site.folder_index("/nope", None).is_none());
    }

    #[test]
    fn generated_home_lists_the_root_and_recent_pages() {
        let home = fixture::site().home();
        assert!(home.contains("<title>Garden</title>"));
        assert!(home.contains("<li class=\"folder\"><a href=\"/blog\">The Blog</a></li>"));
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
        let html = site.tag_page("#Project").unwrap();
        assert!(html.contains("<title>#project · Garden</title>"));
        let listed = &html[html.find("<main").unwrap()..];
        for title in ["First post", "Second post", "Été salad"] {
            assert!(listed.contains(&format!(">{title}</a>")), "{title}");
        }
        assert!(!listed.contains(">About</a>"));
        assert!(html.contains("<a class=\"tag\" href=\"/tags/project/alpha\">#project/alpha</a>"), "sub-tags linked");
        assert!(html.contains("<link rel=\"canonical\" href=\"https://notes.example.com/tags/project\">"));

        let alpha = site.tag_page("project/alpha").unwrap();
        let listed = &alpha[alpha.find("<main").unwrap()..];
        assert!(listed.contains(">First post</a>") && !listed.contains(">Second post</a>"));
        assert!(site.tag_page("alpha").is_none());
        assert!(
            site.tags_index().contains("<a class=\"tag\" href=\"/tags/rust\">#rust</a> <span class=\"count\">1</span>")
        );
    }

    #[test]
    fn not_found_is_noindex_with_a_search_box_and_no_canonical() {
        let html = site().not_found();
        assert!(html.contains("<h1>Page not found</h1>"));
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(!html.contains("rel=\"canonical\""));
        assert!(html.contains("action=\"/search\""));
    }
}
