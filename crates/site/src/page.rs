//! A note's full page: breadcrumbs, title, tags, table of contents, content, backlinks and date.

use vps_core::slug::{tag_href, tag_key};

use crate::derived::KeyHasher;
use crate::escape::escape;
use crate::feeds::normalize_datetime;
use crate::graph::NEIGHBOURS_SHOWN;
use crate::layout::{Document, Served};
use crate::model::{Heading, PageInfo};
use crate::reading::{render_properties, render_reading_time};
use crate::site::Site;
use crate::tags::spelling_segments;
use crate::tree::{NavItem, render_breadcrumbs};
use crate::words::Words;

/// Backlinks a page shows; past them, "N more…" (a hub page does not grow with the vault).
pub(crate) const BACKLINKS_SHOWN: usize = 50;

/// The version of the page layout, in every [`Site::shell_key`]: bump it whenever the shell
/// around the content changes in a way the other inputs of the key do not show.
const LAYOUT_VERSION: &str = "page-shell-4";

impl Site {
    /// The full HTML document of the page at `route` (`/` is the home page), around
    /// `content_html`, which must already be sanitised. `None` for an unknown route.
    ///
    /// Every URL in it — the layout's and the content's own root-relative ones — is relative
    /// to the page's public path (`/blog/post` links to `../_site/style-….css`), so the page
    /// works under any path prefix and names no origin. The content is wrapped in
    /// `<div class="note-content">…</div><!--/note-content-->`.
    pub fn page(&self, route: &str, content_html: &str) -> Option<String> {
        let index = self.page_index(route)?;
        let shell = self.shell(index);
        let page = &self.pages[index];

        let mut main = String::with_capacity(content_html.len() + 4096);
        if !shell.is_home {
            main.push_str(&render_breadcrumbs(&shell.breadcrumbs, self.words));
        }
        // The content's own title heading is used instead of a second `<h1>`; when it opens the
        // content it moves into the header, so tags and contents still come after the title.
        let (title_html, content_html) = if starts_with_title_heading(page) {
            split_leading_h1(content_html).map_or((String::new(), content_html), |(h1, rest)| (h1.to_owned(), rest))
        } else {
            (format!("<h1 dir=\"auto\">{}</h1>", escape(&page.title)), content_html)
        };
        main.push_str("<header class=\"page-header\">");
        main.push_str(&title_html);
        main.push_str(&render_tags(&shell.tags, self.words));
        main.push_str(&render_reading_time(&page.text, self.words));
        main.push_str(&render_properties(&page.properties, self.words));
        main.push_str("</header>\n<div class=\"page-columns\">\n");
        if self.info.presentation.show_outline {
            main.push_str(&render_toc(&page.headings, self.words));
        }
        let classes: String = page.cssclasses.iter().map(|c| format!(" {}", escape(c.trim()))).collect();
        // The note's own direction (Arabic, Hebrew…), whatever the site's language.
        main.push_str(&format!(
            "<div class=\"note-content\"><article class=\"markdown-body{classes}\" dir=\"auto\">\n{content_html}\n</article></div><!--/note-content-->\n"
        ));
        main.push_str(&self.graph_panel(index, &shell.neighbours, shell.more_neighbours));
        main.push_str("</div>\n");
        // The home note: the newest pages after its content, as on a generated home.
        if shell.is_home {
            main.push_str(&self.recent_section(index));
        }
        main.push_str(&self.page_footer(index, &shell.backlinks, shell.more_backlinks));

        Some(self.render_document_with(
            &Document {
                title: Some(&page.title),
                description: Document::description_or(page.description.as_deref(), &page.text),
                path: Some(shell.path),
                served: Served::At(shell.path),
                og_type: "article",
                image: page.image.as_deref(),
                // Reachable by its URL only: not for search engines either.
                noindex: page.noindex || page.unlisted,
                nav_current: Some(shell.nav_current),
                query: "",
                main,
            },
            &shell.nav,
        ))
    }

    /// A key of everything [`Site::page`] reads for `route` but the content: the page's own
    /// record (its `unlisted` flag included), where it is served, its breadcrumbs, its
    /// navigation's entries, the backlinks it shows, which of its tags have a page, the site's
    /// name, language and stylesheets, and the layout's version. Two sites
    /// whose pages at `route` differ for some content give different keys; a page far away
    /// (not in this page's navigation or backlinks) does not change it. Costs what the page's
    /// shell shows (O(depth × entries per folder + backlinks shown)), without rendering it.
    /// `None` for an unknown route.
    pub fn shell_key(&self, route: &str) -> Option<[u8; 32]> {
        use std::hash::Hash;
        let index = self.page_index(route)?;
        let shell = self.shell(index);
        let mut hasher = KeyHasher::new();
        LAYOUT_VERSION.hash(&mut hasher);
        self.hash_chrome(&mut hasher);
        // The record's own key, kept with the page's derived data (see `Site::new_from`).
        self.derived[index].record_key(&self.pages[index]).hash(&mut hasher);
        (shell.is_home, shell.path, shell.nav_current, &shell.breadcrumbs, &shell.tags).hash(&mut hasher);
        shell.nav.hash(&mut hasher);
        for &source in &shell.backlinks {
            (&self.pages[source].route, &self.pages[source].title, self.public_path(&self.pages[source].route))
                .hash(&mut hasher);
        }
        shell.more_backlinks.hash(&mut hasher);
        for &neighbour in &shell.neighbours {
            let neighbour = &self.pages[neighbour];
            (&neighbour.route, &neighbour.title, self.public_path(&neighbour.route)).hash(&mut hasher);
        }
        shell.more_neighbours.hash(&mut hasher);
        if shell.is_home {
            self.hash_recent_section(&mut hasher);
        }
        Some(hasher.finish_key())
    }

    /// What the shell of page `index` shows besides its own record: one list, read by both
    /// [`Site::page`] and [`Site::shell_key`], so that the two cannot drift.
    fn shell(&self, index: usize) -> Shell<'_> {
        let page = &self.pages[index];
        let is_home = Some(index) == self.home;
        let path = self.public_path(&page.route);
        let nav_current = if is_home { "/" } else { crate::tree::place(page) };
        let mut breadcrumbs = vec![(self.info.name.clone(), "/".to_owned())];
        if !is_home {
            for (route, label) in self.tree.ancestors(crate::tree::place(page)) {
                // A folder of unlisted pages only has no page to link to (it is named, not linked).
                let href = if self.tree.folder(&route).is_some() { self.href(&route) } else { String::new() };
                breadcrumbs.push((label, href));
            }
            breadcrumbs.push((page.title.clone(), String::new()));
        }
        // Backlinks turned off: none shown, none in the key.
        let all: &[usize] = if self.info.presentation.show_backlinks { &self.backlinks[index] } else { &[] };
        let backlinks = all[..all.len().min(BACKLINKS_SHOWN)].to_vec();
        let mut neighbours = self.neighbours_of(index);
        let more_neighbours = neighbours.len().saturating_sub(NEIGHBOURS_SHOWN);
        neighbours.truncate(NEIGHBOURS_SHOWN);
        Shell {
            is_home,
            path,
            nav_current,
            breadcrumbs,
            tags: self.page_tags(&page.tags),
            nav: self.tree.nav_items(&self.pages, Some(nav_current), Some(index), self.listing_page_size),
            more_backlinks: all.len() - backlinks.len(),
            backlinks,
            neighbours,
            more_neighbours,
        }
    }

    /// A page's tags as it writes them, each once (`#Tag`, `#tag`), and whether the tag has a
    /// page: every tag of a listed page has one; a tag only unlisted pages carry has none.
    fn page_tags(&self, tags: &[String]) -> Vec<(String, bool)> {
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut shown = Vec::new();
        for tag in tags {
            let spelling = spelling_segments(tag).join("/");
            if !spelling.is_empty() && seen.insert(tag_key(&spelling)) {
                let linked = self.tags.get(&spelling).is_some();
                shown.push((spelling, linked));
            }
        }
        shown
    }

    fn page_footer(&self, index: usize, backlinks: &[usize], more: usize) -> String {
        let page = &self.pages[index];
        let mut footer = String::new();
        if !backlinks.is_empty() {
            footer.push_str("<section class=\"backlinks\" aria-labelledby=\"backlinks-title\">");
            footer.push_str(&format!("<h2 id=\"backlinks-title\">{}</h2><ul>", escape(self.words.linked_from)));
            for &source in backlinks {
                let source = &self.pages[source];
                footer.push_str(&format!(
                    "<li><a href=\"{}\" dir=\"auto\">{}</a></li>",
                    escape(&self.href(&source.route)),
                    escape(&source.title)
                ));
            }
            if more > 0 {
                footer.push_str(&format!("<li class=\"more\">{}</li>", escape(&(self.words.more)(more))));
            }
            footer.push_str("</ul></section>");
        }
        if let Some(updated) = page.updated.as_deref().and_then(normalize_datetime) {
            footer.push_str(&format!(
                "<p class=\"updated\">{} <time datetime=\"{}\">{}</time></p>",
                escape(self.words.last_updated),
                escape(&updated),
                escape(&self.words.format_date(&updated))
            ));
        }
        if footer.is_empty() { footer } else { format!("<footer class=\"page-footer\">{footer}</footer>\n") }
    }
}

/// The parts of a page's shell that come from the rest of the site (see `Site::shell`).
struct Shell<'s> {
    is_home: bool,
    /// Where the page is served (`/` for the home page).
    path: &'s str,
    nav_current: &'s str,
    /// (label, href) from the site to the page; the home page has none shown.
    breadcrumbs: Vec<(String, String)>,
    /// The page's tags, and whether each has a page ([`Site::page_tags`]).
    tags: Vec<(String, bool)>,
    nav: Vec<NavItem<'s>>,
    backlinks: Vec<usize>,
    more_backlinks: usize,
    /// The listed pages linked with this one either way, by title ([`Site::neighbours_of`]),
    /// at most `NEIGHBOURS_SHOWN`, and how many more there are.
    neighbours: Vec<usize>,
    more_neighbours: usize,
}

/// Whether the content opens with an `<h1>` equal to the title, so the layout must not add one.
fn starts_with_title_heading(page: &PageInfo) -> bool {
    page.headings
        .first()
        .is_some_and(|h| h.level == 1 && h.text.trim().to_lowercase() == page.title.trim().to_lowercase())
}

/// The `<h1>…</h1>` that opens `html`, and the rest; `None` if `html` does not open with one.
fn split_leading_h1(html: &str) -> Option<(&str, &str)> {
    let trimmed = html.trim_start();
    let opens = trimmed.starts_with("<h1>") || trimmed.starts_with("<h1 ");
    let end = trimmed.find("</h1>")? + "</h1>".len();
    opens.then(|| trimmed.split_at(end))
}

/// The page's tags ([`Site::page_tags`]), each a link to its tag's one page ([`tag_href`]),
/// or plain text when the tag has no page. Nothing when there are no tags.
fn render_tags(tags: &[(String, bool)], words: &Words) -> String {
    if tags.is_empty() {
        return String::new();
    }
    let mut out = format!("<ul class=\"page-tags\" aria-label=\"{}\">", escape(words.tags));
    for (tag, linked) in tags {
        if *linked {
            out.push_str(&format!(
                "<li><a class=\"tag\" href=\"{}\" dir=\"auto\">#{}</a></li>",
                escape(&tag_href(tag)),
                escape(tag)
            ));
        } else {
            out.push_str(&format!("<li><span class=\"tag\" dir=\"auto\">#{}</span></li>", escape(tag)));
        }
    }
    out.push_str("</ul>");
    out
}

/// `<nav class="toc">` over the level 2–4 headings; nothing when there are fewer than two.
pub(crate) fn render_toc(headings: &[Heading], words: &Words) -> String {
    let entries: Vec<&Heading> = headings.iter().filter(|h| (2..=4).contains(&h.level) && !h.id.is_empty()).collect();
    if entries.len() < 2 {
        return String::new();
    }
    let mut out = format!(
        "<nav class=\"toc\" aria-labelledby=\"toc-title\"><h2 class=\"toc-title\" id=\"toc-title\">{}</h2><ul>",
        escape(words.on_this_page)
    );
    for heading in entries {
        // The fragment is the id percent-encoded, as every href (`#見出し` → `#%E8%A6%8B…`).
        out.push_str(&format!(
            "<li class=\"toc-h{}\"><a href=\"#{}\" dir=\"auto\">{}</a></li>",
            heading.level,
            escape(&vps_core::url::encode_segment(&heading.id)),
            escape(&heading.text)
        ));
    }
    out.push_str("</ul></nav>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, resolved, site};
    use crate::model::SiteInfo;

    fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
        let from = html.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
        let to = from + html[from..].find(end).unwrap_or_else(|| panic!("no {end}"));
        &html[from..to]
    }

    #[test]
    fn nav_marks_the_current_page_and_opens_only_its_folders() {
        let html = resolved(&site().page("/recipes/summer/ete", "<p>x</p>").unwrap(), "/recipes/summer/ete");
        let nav = between(&html, "<nav class=\"site-nav\"", "</nav>");
        assert!(
            nav.contains("<a href=\"/recipes/summer/ete\" aria-current=\"page\" dir=\"auto\">Été salad</a>"),
            "{nav}"
        );
        assert_eq!(nav.matches("aria-current").count(), 1);
        assert!(nav.contains("<details open><summary><a href=\"/recipes\" dir=\"auto\">Recipes</a>"), "{nav}");
        assert!(nav.contains("<details open><summary><a href=\"/recipes/summer\" dir=\"auto\">Summer</a>"), "{nav}");
        assert!(
            nav.contains("<li class=\"nav-folder nav-folder-closed\"><a href=\"/blog\" dir=\"auto\">The Blog</a></li>"),
            "a folder off the path is a link to its page: {nav}"
        );
        assert!(!nav.contains("Welcome"), "the home page is not listed: {nav}");
    }

    #[test]
    fn nav_uses_display_names_then_vault_folder_names() {
        let mut pages = fixture::pages();
        pages.push(fixture::page("/guides/getting-started/setup", "Setup", "Guides/Getting Started/Setup.md"));
        let site = crate::Site::new(fixture::info(None), pages);
        let html = site.page("/about", "").unwrap();
        assert!(html.contains(">The Blog</a></li>"));
        assert!(html.contains(">Guides</a></li>"), "vault folder name, not the slug");
        assert!(!html.contains(">Blog</a>"));
        let setup = site.page("/guides/getting-started/setup", "").unwrap();
        assert!(setup.contains(">Getting Started</a></summary>"), "vault folder name, not the slug");
    }

    #[test]
    fn breadcrumbs_lead_from_the_site_through_folders_to_the_page() {
        let html = site().page("/recipes/summer/ete", "").unwrap();
        let raw = between(&html, "<nav class=\"breadcrumbs\" aria-label=\"Breadcrumb\">", "</nav>");
        assert!(raw.starts_with("<ol><li><a href=\"../../\" dir=\"auto\">Garden</a></li>"), "relative: {raw}");
        let html = resolved(&html, "/recipes/summer/ete");
        let crumbs = between(&html, "<nav class=\"breadcrumbs\" aria-label=\"Breadcrumb\">", "</nav>");
        assert_eq!(
            crumbs,
            "<ol><li><a href=\"/\" dir=\"auto\">Garden</a></li><li><a href=\"/recipes\" dir=\"auto\">Recipes</a></li>\
<li><a href=\"/recipes/summer\" dir=\"auto\">Summer</a></li><li><span aria-current=\"page\" dir=\"auto\">Été salad</span></li></ol>"
        );
    }

    #[test]
    fn toc_lists_level_two_to_four_headings_and_is_omitted_below_two() {
        let site = site();
        let first = site.page("/blog/first-post", "").unwrap();
        let toc = between(&first, "<nav class=\"toc\"", "</nav>");
        assert!(toc.contains("<li class=\"toc-h2\"><a href=\"#intro\" dir=\"auto\">Intro</a></li>"));
        assert!(toc.contains("<li class=\"toc-h3\"><a href=\"#details\" dir=\"auto\">Details</a></li>"));
        assert!(!toc.contains("first-post"), "h1 is not in the contents");
        let second = site.page("/blog/second", "").unwrap();
        assert!(!second.contains("class=\"toc\""), "one heading gives no contents");
    }

    #[test]
    fn title_heading_of_the_content_is_not_duplicated() {
        let site = site();
        let html = site.page("/blog/first-post", "<h1 id=\"first-post\">First post</h1><p>Body</p>").unwrap();
        assert_eq!(html.matches("<h1").count(), 1);
        let header = between(&html, "<header class=\"page-header\">", "</header>");
        assert!(header.starts_with("<h1 id=\"first-post\">First post</h1>"), "{header}");
        assert!(html.contains("<article class=\"markdown-body wide\" dir=\"auto\">\n<p>Body</p>"));

        let other = site.page("/about", "<p>About</p>").unwrap();
        assert!(other.contains("<header class=\"page-header\"><h1 dir=\"auto\">About</h1>"));
    }

    #[test]
    fn backlinks_list_linking_pages_by_title_without_self_links() {
        let site = site();
        let html = resolved(&site.page("/blog/first-post", "").unwrap(), "/blog/first-post");
        let backlinks = between(&html, "<h2 id=\"backlinks-title\">Linked from</h2>", "</section>");
        assert_eq!(
            backlinks,
            "<ul><li><a href=\"/blog/second\" dir=\"auto\">Second post</a></li><li><a href=\"/recipes/summer/ete\" dir=\"auto\">Été salad</a></li></ul>"
        );
        let second = site.page("/blog/second", "").unwrap();
        assert!(!second.contains("Linked from"), "a page linking to itself has no backlink");
    }

    #[test]
    fn tags_link_to_tag_pages_and_date_is_a_time_element() {
        let html = site().page("/blog/first-post", "").unwrap();
        assert!(html.contains("<a class=\"tag\" href=\"../tags/project/alpha\" dir=\"auto\">#project/alpha</a>"));
        assert!(html.contains("Last updated <time datetime=\"2024-03-01T00:00:00Z\">1 March 2024</time>"));
        let about = site().page("/about", "").unwrap();
        assert!(!about.contains("Last updated") && !about.contains("page-tags"));
    }

    #[test]
    fn home_page_is_served_at_the_root_without_breadcrumbs() {
        let site = site();
        assert_eq!(site.page("/", "<p>hi</p>"), site.page("/index", "<p>hi</p>"));
        let html = site.page("/", "").unwrap();
        assert!(html.contains("<link rel=\"canonical\" href=\"./\">"));
        assert!(!html.contains("aria-label=\"Breadcrumb\""));
        assert!(html.contains("<a class=\"site-name\" href=\"./\" aria-current=\"page\">"));
        assert!(site.page("/missing", "").is_none());
    }

    #[test]
    fn noindex_pages_carry_the_robots_meta() {
        let site = site();
        assert!(site.page("/drafts/secret", "").unwrap().contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(!site.page("/about", "").unwrap().contains("name=\"robots\""));
    }

    #[test]
    fn description_falls_back_to_the_start_of_the_text() {
        let mut page = fixture::page("/long", "Long", "Long.md");
        page.text = "word ".repeat(100);
        let html = crate::Site::new(SiteInfo::default(), vec![page]).page("/long", "").unwrap();
        let description = between(&html, "<meta name=\"description\" content=\"", "\"");
        assert!(description.ends_with('…') && description.chars().count() <= 161, "{description}");
    }

    fn site_with(presentation: crate::Presentation) -> crate::Site {
        let mut info = fixture::info(None);
        info.presentation = presentation;
        crate::Site::new(info, fixture::pages())
    }

    #[test]
    fn the_logo_shows_in_the_header_named_by_the_site_and_relative_to_the_page() {
        let site = site_with(crate::Presentation { logo_href: Some("/_blob/logo hash".into()), ..Default::default() });
        let raw = site.page("/blog/first-post", "").unwrap();
        let header = between(&raw, "<header class=\"site-header\">", "</header>");
        assert!(
            header.contains(
                "<a class=\"site-name\" href=\"../\"><img class=\"site-logo\" src=\"../_blob/logo%20hash\" alt=\"Garden\"><span aria-hidden=\"true\">Garden</span></a>"
            ),
            "{header}"
        );
        for html in [site.home(), site.tags_index(), site.folder_index("/blog", None).unwrap()] {
            assert!(html.contains("class=\"site-logo\""), "every page has the logo");
        }
        let plain = site_with(crate::Presentation::default()).page("/blog/first-post", "").unwrap();
        assert!(!plain.contains("<img") && plain.contains("href=\"../\">Garden</a>"));
        assert_ne!(
            site.shell_key("/blog/first-post"),
            site_with(crate::Presentation::default()).shell_key("/blog/first-post"),
            "the logo is in the page's key"
        );
    }

    #[test]
    fn the_toggles_hide_the_outline_the_backlinks_and_the_search_box() {
        let shown = site_with(crate::Presentation::default()).page("/blog/first-post", "").unwrap();
        assert!(shown.contains("class=\"toc\"") && shown.contains("Linked from") && shown.contains("site-search"));
        let off = crate::Presentation {
            show_outline: false,
            show_backlinks: false,
            show_search: false,
            ..crate::Presentation::default()
        };
        let site = site_with(off);
        let hidden = site.page("/blog/first-post", "").unwrap();
        assert!(!hidden.contains("class=\"toc\""), "no table of contents");
        assert!(!hidden.contains("Linked from") && !hidden.contains("class=\"backlinks\""), "no backlinks");
        assert!(!hidden.contains("<form") && !hidden.contains("site-search"), "no search box");
        assert!(!site.home().contains("<form"), "nor on listings");
        assert!(hidden.contains("<article"), "the content is still there");
    }

    #[test]
    fn split_leading_h1_needs_an_opening_h1() {
        assert_eq!(split_leading_h1(" <h1 id=\"a\">A</h1><p>b</p>"), Some(("<h1 id=\"a\">A</h1>", "<p>b</p>")));
        assert_eq!(split_leading_h1("<p>b</p><h1>A</h1>"), None);
        assert_eq!(split_leading_h1("<h1x>"), None);
    }
}
