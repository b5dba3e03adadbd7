//! The document shell every full page shares: `<head>` with its meta tags, header, navigation,
//! `<main>` and footer.

use vps_core::url::encode_path;

use crate::assets::{site_js_href, style_href, theme_js_href};
use crate::escape::{escape, summarize};
use crate::model::Theme;
use crate::site::Site;
use crate::tree::{NavItem, render_nav};
use crate::url::{PublicBase, prefix_html, relative_url, relativize_html};
use crate::words::lang_attribute;

/// Where a document is served, which says how its links are written.
#[derive(Clone, Copy)]
pub(crate) enum Served<'a> {
    /// At one path (`/blog/post`, `/` for the home page, `/search`): every link is relative to
    /// it, so the stored document works under any path prefix.
    At(&'a str),
    /// At any URL (the 404 page): links are absolute paths under the base's prefix.
    Anywhere(&'a PublicBase),
}

/// What one full page puts into the shell.
pub(crate) struct Document<'a> {
    /// The page's own title; `None` gives the site name alone (home).
    pub(crate) title: Option<&'a str>,
    pub(crate) description: String,
    /// The public path for `<link rel="canonical">` (written relative, as every link); `None`
    /// for pages that have no canonical URL (search results, 404).
    pub(crate) path: Option<&'a str>,
    /// Where the document is served.
    pub(crate) served: Served<'a>,
    pub(crate) og_type: &'static str,
    pub(crate) image: Option<&'a str>,
    pub(crate) noindex: bool,
    /// The route marked as current in the navigation.
    pub(crate) nav_current: Option<&'a str>,
    /// The search box's value.
    pub(crate) query: &'a str,
    /// The inner HTML of `<main>`.
    pub(crate) main: String,
}

impl Document<'_> {
    pub(crate) fn description_or(text: Option<&str>, fallback: &str) -> String {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            Some(description) => summarize(description, 300),
            None => summarize(fallback, 160),
        }
    }
}

impl Site {
    /// Hashes everything of the site that every document's chrome shows (static files, name,
    /// language, stylesheet, presentation): part of every document's key.
    pub(crate) fn hash_chrome(&self, hasher: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        crate::assets::static_hrefs().hash(hasher);
        (&self.info.name, &self.info.language, &self.info.publish_css_href, &self.info.callout_css_href).hash(hasher);
        self.info.presentation.hash(hasher);
    }

    pub(crate) fn render_document(&self, doc: &Document<'_>) -> String {
        let nav = self.tree.nav_items(&self.pages, doc.nav_current, None, self.listing_page_size);
        self.render_document_with(doc, &nav)
    }

    /// [`Site::render_document`] with the navigation's entries already listed.
    pub(crate) fn render_document_with(&self, doc: &Document<'_>, nav: &[NavItem<'_>]) -> String {
        let site_name = escape(&self.info.name);
        let full_title = match doc.title {
            Some(title) => format!("{} · {site_name}", escape(title)),
            None => site_name.clone(),
        };
        let og_title = escape(doc.title.unwrap_or(&self.info.name));
        let description = if doc.description.is_empty() { site_name.clone() } else { escape(&doc.description) };

        let mut head = String::with_capacity(2048);
        head.push_str("<meta charset=\"utf-8\">\n");
        // Before anything is painted: the reader's remembered theme (see `THEME_JS`).
        head.push_str(&format!("<script src=\"{}\"></script>\n", theme_js_href()));
        head.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        head.push_str(&format!("<title>{full_title}</title>\n"));
        head.push_str(&format!("<meta name=\"description\" content=\"{description}\">\n"));
        head.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
        if doc.noindex {
            head.push_str("<meta name=\"robots\" content=\"noindex\">\n");
        }
        if let Some(path) = doc.path {
            head.push_str(&format!("<link rel=\"canonical\" href=\"{}\">\n", escape(&encode_path(path))));
        }
        head.push_str(&format!("<meta property=\"og:title\" content=\"{og_title}\">\n"));
        head.push_str(&format!("<meta property=\"og:type\" content=\"{}\">\n", doc.og_type));
        head.push_str(&format!("<meta property=\"og:description\" content=\"{description}\">\n"));
        head.push_str(&format!("<meta property=\"og:site_name\" content=\"{site_name}\">\n"));
        let image = doc.image.and_then(|image| image_url(image, doc.served));
        if let Some(image) = &image {
            head.push_str(&format!("<meta property=\"og:image\" content=\"{}\">\n", escape(image)));
        }
        let card = if image.is_some() { "summary_large_image" } else { "summary" };
        head.push_str(&format!("<meta name=\"twitter:card\" content=\"{card}\">\n"));
        head.push_str(&format!("<meta name=\"twitter:title\" content=\"{og_title}\">\n"));
        head.push_str(&format!("<meta name=\"twitter:description\" content=\"{description}\">\n"));
        head.push_str("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n");
        head.push_str(&format!(
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{site_name}\" href=\"/feed.xml\">\n"
        ));
        head.push_str(&format!("<link rel=\"stylesheet\" href=\"{}\">\n", style_href()));
        // The writer's callout styles, then the vault's publish.css, which has the last word.
        if let Some(href) = &self.info.callout_css_href {
            head.push_str(&format!("<link rel=\"stylesheet\" href=\"{}\">\n", escape(href)));
        }
        if let Some(href) = &self.info.publish_css_href {
            head.push_str(&format!("<link rel=\"stylesheet\" href=\"{}\">\n", escape(href)));
        }
        head.push_str(&format!("<script src=\"{}\" defer></script>\n", site_js_href()));

        let words = self.words;
        let nav = render_nav(nav, words);
        let home_current = if doc.nav_current == Some("/") { " aria-current=\"page\"" } else { "" };
        let presentation = &self.info.presentation;
        // With a logo, the image names the link (its alt is the site's name) and the name beside
        // it is not read a second time.
        let brand = match &presentation.logo_href {
            Some(logo) => format!(
                "<img class=\"site-logo\" src=\"{}\" alt=\"{site_name}\"><span aria-hidden=\"true\">{site_name}</span>",
                escape(&encode_path(logo))
            ),
            None => site_name.clone(),
        };
        let search = if presentation.show_search {
            format!(
                "<form class=\"site-search\" action=\"/search\" method=\"get\" role=\"search\" data-no-results=\"{no_results}\" data-all-results=\"{all_results}\">\
<input type=\"search\" name=\"q\" value=\"{query}\" placeholder=\"{placeholder}\" aria-label=\"{search_label}\" autocomplete=\"off\" dir=\"auto\">\
<button type=\"submit\">{search_button}</button></form>\n",
                no_results = escape(words.no_results),
                all_results = escape(words.all_results),
                query = escape(doc.query),
                placeholder = escape(words.search_placeholder),
                search_label = escape(words.search_label),
                search_button = escape(words.search_button),
            )
        } else {
            String::new()
        };
        let html = format!(
            "<!doctype html>\n<html lang=\"{lang}\"{theme}>\n<head>\n{head}</head>\n<body>\n\
<a class=\"skip-link\" href=\"#main\">{skip}</a>\n\
<header class=\"site-header\">\n<a class=\"site-name\" href=\"/\"{home_current}>{brand}</a>\n{search}{theme_toggle}</header>\n\
<div class=\"site-body\">\n\
<input type=\"checkbox\" id=\"nav-toggle\" class=\"nav-toggle\" aria-controls=\"site-nav\">\
<label for=\"nav-toggle\" class=\"nav-toggle-label\">{pages}</label>\n\
{nav}\n<main id=\"main\" class=\"site-main\">\n{main}\n</main>\n</div>\n\
<footer class=\"site-footer\"><a href=\"/\">{site_name}</a> · <a href=\"/tags\">{tags}</a> · <a href=\"/feed.xml\">{feed}</a></footer>\n\
</body>\n</html>\n",
            lang = escape(lang_attribute(&self.info.language)),
            theme = theme_attributes(self.info.presentation.default_theme),
            theme_toggle = self.theme_toggle(),
            skip = escape(words.skip_link),
            pages = escape(words.pages),
            tags = escape(words.tags),
            feed = escape(words.feed),
            main = doc.main,
        );
        match doc.served {
            Served::At(from) => relativize_html(&html, from),
            Served::Anywhere(base) => prefix_html(&html, base),
        }
    }
}

/// The `<html>` attributes of the site's default theme: a light or dark default applies without
/// JavaScript too (`data-theme`); the theme script reads `data-default-theme` when the reader
/// has chosen nothing, and `data-theme` is what the stylesheet follows.
fn theme_attributes(theme: Theme) -> &'static str {
    match theme {
        Theme::System => "",
        Theme::Light => " data-default-theme=\"light\" data-theme=\"light\"",
        Theme::Dark => " data-default-theme=\"dark\" data-theme=\"dark\"",
    }
}

impl Site {
    /// The light / dark / system toggle: hidden until the theme script shows it (it does
    /// nothing without the script), absent when the site turns it off.
    fn theme_toggle(&self) -> String {
        if !self.info.presentation.show_theme_toggle {
            return String::new();
        }
        let words = self.words;
        format!(
            "<button type=\"button\" class=\"theme-toggle\" hidden aria-label=\"{system}\" title=\"{system}\" \
data-label-system=\"{system}\" data-label-light=\"{light}\" data-label-dark=\"{dark}\">\u{25d0}</button>\n",
            system = escape(words.theme_system),
            light = escape(words.theme_light),
            dark = escape(words.theme_dark),
        )
    }
}

/// An image URL fit for `og:image`: absolute `http(s)` URLs as they are, root-relative ones
/// written as every link of the document (relative, or under the prefix); anything else
/// (`javascript:`, `//host`, relative) is dropped.
fn image_url(image: &str, served: Served<'_>) -> Option<String> {
    let image = image.trim();
    let lower = image.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Some(image.to_owned())
    } else if image.starts_with('/') && !image.starts_with("//") && !image.starts_with("/\\") {
        Some(match served {
            Served::At(from) => relative_url(from, image),
            Served::Anywhere(base) => base.local_encoded(image),
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{self, resolved, site, site_without_base_url};
    use crate::model::{Heading, PageInfo, SiteInfo};
    use crate::{Site, site_js_href, style_href, theme_js_href};

    /// Every kind of full page, as a browser at its path sees its links (see `resolved`).
    fn every_full_page(site: &Site) -> Vec<(&'static str, String)> {
        every_full_page_raw(site).into_iter().map(|(name, from, html)| (name, resolved(&html, from))).collect()
    }

    /// Every kind of full page as written, with the path it is served at.
    fn every_full_page_raw(site: &Site) -> Vec<(&'static str, &'static str, String)> {
        let hits = site.search("post", 10);
        vec![
            ("page", "/blog/first-post", site.page("/blog/first-post", "<p>x</p>").unwrap()),
            ("home page", "/", site.page("/", "<p>x</p>").unwrap()),
            ("folder index", "/blog", site.folder_index("/blog", None).unwrap()),
            ("generated home", "/", site.home()),
            ("tag page", "/tags/project", site.tag_page("project").unwrap()),
            ("tags index", "/tags", site.tags_index()),
            ("search", "/search", site.search_page("post", &hits)),
            ("404", "/any/where", site.not_found(&crate::PublicBase::default())),
        ]
    }

    #[test]
    fn stored_pages_hold_no_root_relative_url_and_no_origin() {
        for (name, _, html) in every_full_page_raw(&site()) {
            if name == "404" {
                continue;
            }
            for attribute in ["href=\"/", "src=\"/", "action=\"/", "content=\"/"] {
                assert!(!html.contains(attribute), "{name} has {attribute}: {html}");
            }
            assert!(!html.contains("notes.example.com"), "{name} names the origin");
        }
        let page = site().page("/blog/first-post", "<p><a href=\"/about\">a</a><img src=\"/_blob/x\"></p>").unwrap();
        assert!(page.contains("<link rel=\"stylesheet\" href=\"../_site/style-"), "{page}");
        assert!(page.contains("<a href=\"../about\">a</a><img src=\"../_blob/x\">"), "the content's links too");
        assert!(page.contains("<form class=\"site-search\" action=\"../search\""));
    }

    #[test]
    fn the_404_page_links_under_the_path_prefix_from_any_url() {
        let base = crate::PublicBase::parse(Some("https://example.com/notes"));
        let html = site().not_found(&base);
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/notes/_site/style-"), "{html}");
        assert!(html.contains("action=\"/notes/search\""));
        assert!(html.contains("<a class=\"site-name\" href=\"/notes/\""));
        assert!(!html.contains("href=\"/_site") && !html.contains("href=\"/\""), "{html}");
    }

    #[test]
    fn every_full_page_has_the_shared_head_header_and_no_inline_script() {
        for (name, html) in every_full_page(&site()) {
            for needle in [
                "<!doctype html>\n<html lang=\"en\">",
                "<meta charset=\"utf-8\">",
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
                "<meta name=\"description\" content=\"",
                "<meta property=\"og:title\"",
                "<meta property=\"og:site_name\" content=\"Garden\">",
                "<meta name=\"twitter:card\"",
                "<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">",
                "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Garden\" href=\"/feed.xml\">",
                "<a class=\"site-name\" href=\"/\"",
                "<form class=\"site-search\" action=\"/search\" method=\"get\" role=\"search\" data-no-results=\"No results\" data-all-results=\"All results\"><input type=\"search\" name=\"q\"",
                "<nav class=\"site-nav\"",
                "<main id=\"main\"",
            ] {
                assert!(html.contains(needle), "{name} lacks {needle}");
            }
            let style = html.find(&format!("<link rel=\"stylesheet\" href=\"{}\">", style_href())).unwrap();
            let publish = html.find("<link rel=\"stylesheet\" href=\"/assets/publish.css\">").unwrap();
            assert!(style < publish, "{name}: publish.css comes after the site stylesheet");
            assert!(html.contains(&format!("<script src=\"{}\" defer></script>", site_js_href())), "{name}");
            let theme = format!("<script src=\"{}\"></script>", theme_js_href());
            assert!(html.find(&theme).unwrap() < style, "{name}: the theme is applied before the stylesheet");
            assert_eq!(html.matches("<script").count(), 2, "{name}: no inline script");
            assert!(html.contains(&format!("<title>{}", if name == "generated home" { "Garden" } else { "" })));
        }
    }

    #[test]
    fn the_default_theme_applies_without_script_and_the_toggle_follows_the_presentation() {
        use crate::model::Theme;
        let with = |theme: Theme, toggle: bool| {
            let mut info = SiteInfo { name: "Garden".into(), ..SiteInfo::default() };
            info.presentation.default_theme = theme;
            info.presentation.show_theme_toggle = toggle;
            Site::new(info, vec![PageInfo { route: "/a".into(), title: "A".into(), ..PageInfo::default() }])
        };
        let system = with(Theme::System, true).page("/a", "").unwrap();
        assert!(system.contains("<html lang=\"en\">"), "no theme attribute: the system's preference");
        assert!(system.contains("<button type=\"button\" class=\"theme-toggle\" hidden"), "shown by the script only");
        let dark = with(Theme::Dark, true).page("/a", "").unwrap();
        assert!(dark.contains("<html lang=\"en\" data-default-theme=\"dark\" data-theme=\"dark\">"));
        let light = with(Theme::Light, false).page("/a", "").unwrap();
        assert!(light.contains("data-theme=\"light\"") && !light.contains("theme-toggle"));
        assert_ne!(with(Theme::Dark, true).shell_key("/a"), with(Theme::System, true).shell_key("/a"));
    }

    #[test]
    fn canonical_is_relative_and_og_url_is_gone() {
        let with = site().page("/blog/second", "").unwrap();
        assert!(with.contains("<link rel=\"canonical\" href=\"second\">"));
        assert!(!with.contains("og:url"));
        assert!(with.contains("<meta property=\"og:type\" content=\"article\">"));
        assert_eq!(with, site_without_base_url().page("/blog/second", "").unwrap(), "BASE_URL is not read");
        for (name, html) in every_full_page(&site_without_base_url()) {
            if matches!(name, "search" | "404") {
                assert!(!html.contains("rel=\"canonical\""), "{name}");
            }
        }
    }

    #[test]
    fn og_image_is_relative_or_absolute_as_given_and_makes_a_large_card() {
        let with = site().page("/blog/first-post", "").unwrap();
        assert!(with.contains("<meta property=\"og:image\" content=\"../_blob/abc\">"));
        assert!(with.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
        let without = site().page("/about", "").unwrap();
        assert!(!without.contains("og:image") && without.contains("content=\"summary\">"));

        let mut page = fixture::page("/x", "X", "X.md");
        page.image = Some("javascript:alert(1)".into());
        let html = Site::new(SiteInfo::default(), vec![page]).page("/x", "").unwrap();
        assert!(!html.contains("og:image"), "only http(s) and root-relative images are used");
    }

    #[test]
    fn untrusted_text_is_escaped_everywhere_including_attributes_feed_and_sitemap() {
        let evil = "\"'><script>alert(1)</script>";
        let mut info = fixture::info(Some("https://notes.example.com"));
        info.name = evil.into();
        info.folder_display_names.insert("/evil".into(), evil.into());
        info.publish_css_href = Some(format!("/p.css{evil}"));
        let page = PageInfo {
            route: "/evil/page".into(),
            title: evil.into(),
            vault_path: "Evil/Page.md".into(),
            description: Some(evil.into()),
            tags: vec![evil.into()],
            headings: vec![Heading::new(2, evil, evil), Heading::new(3, evil, "b")],
            updated: Some(evil.into()),
            cssclasses: vec![evil.into()],
            image: Some(format!("/img{evil}")),
            links_to: vec!["/evil/other".into()],
            text: evil.into(),
            ..PageInfo::default()
        };
        let other =
            PageInfo { links_to: vec!["/evil/page".into()], ..fixture::page("/evil/other", evil, "Evil/Other.md") };
        let site = Site::new(info, vec![page, other]);
        let hits = site.search("alert", 10);
        assert_eq!(hits.len(), 2);
        let outputs = [
            site.page("/evil/page", "").unwrap(),
            site.folder_index("/evil", Some("")).unwrap(),
            site.home(),
            site.tag_page(evil).unwrap(),
            site.tags_index(),
            site.search_page(evil, &hits),
            site.not_found(&crate::PublicBase::default()),
            site.sitemap_xml(&crate::fixture::base()),
            site.feed_xml(&crate::fixture::base(), evil),
        ];
        for output in outputs {
            assert!(!output.contains("<script>alert"), "{output}");
            assert!(!output.contains("\"'>"), "an attribute was broken out of: {output}");
        }
        assert!(site.tags().iter().any(|t| t == evil), "tags are returned as written");
        let page = resolved(&site.page("/evil/page", "").unwrap(), "/evil/page");
        assert!(page.contains("href=\"/tags/%22%27%3E%3Cscript%3Ealert%281%29%3C"), "tag hrefs are percent-encoded");
    }
}
