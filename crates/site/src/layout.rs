//! The document shell every full page shares: `<head>` with its meta tags, header, navigation,
//! `<main>` and footer.

use crate::assets::{search_js_href, style_href};
use crate::escape::{escape, summarize};
use crate::site::Site;
use crate::words::lang_attribute;

/// What one full page puts into the shell.
pub(crate) struct Document<'a> {
    /// The page's own title; `None` gives the site name alone (home).
    pub(crate) title: Option<&'a str>,
    pub(crate) description: String,
    /// The public path for `<link rel="canonical">` and `og:url`; `None` for pages that have no
    /// canonical URL (search results, 404).
    pub(crate) path: Option<&'a str>,
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
    pub(crate) fn render_document(&self, doc: &Document<'_>) -> String {
        let site_name = escape(&self.info.name);
        let full_title = match doc.title {
            Some(title) => format!("{} · {site_name}", escape(title)),
            None => site_name.clone(),
        };
        let og_title = escape(doc.title.unwrap_or(&self.info.name));
        let description = if doc.description.is_empty() { site_name.clone() } else { escape(&doc.description) };

        let mut head = String::with_capacity(2048);
        head.push_str("<meta charset=\"utf-8\">\n");
        head.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        head.push_str(&format!("<title>{full_title}</title>\n"));
        head.push_str(&format!("<meta name=\"description\" content=\"{description}\">\n"));
        head.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
        if doc.noindex {
            head.push_str("<meta name=\"robots\" content=\"noindex\">\n");
        }
        let canonical = doc.path.and_then(|path| self.absolute(path));
        if let Some(url) = &canonical {
            head.push_str(&format!("<link rel=\"canonical\" href=\"{}\">\n", escape(url)));
        }
        head.push_str(&format!("<meta property=\"og:title\" content=\"{og_title}\">\n"));
        head.push_str(&format!("<meta property=\"og:type\" content=\"{}\">\n", doc.og_type));
        head.push_str(&format!("<meta property=\"og:description\" content=\"{description}\">\n"));
        head.push_str(&format!("<meta property=\"og:site_name\" content=\"{site_name}\">\n"));
        if let Some(url) = &canonical {
            head.push_str(&format!("<meta property=\"og:url\" content=\"{}\">\n", escape(url)));
        }
        let image = doc.image.and_then(|image| self.image_url(image));
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
        if let Some(href) = &self.info.publish_css_href {
            head.push_str(&format!("<link rel=\"stylesheet\" href=\"{}\">\n", escape(href)));
        }
        head.push_str(&format!("<script src=\"{}\" defer></script>\n", search_js_href()));

        let words = self.words;
        let nav = self.tree.render_nav(&self.pages, doc.nav_current, words);
        let home_current = if doc.nav_current == Some("/") { " aria-current=\"page\"" } else { "" };
        let query = escape(doc.query);
        format!(
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n{head}</head>\n<body>\n\
<a class=\"skip-link\" href=\"#main\">{skip}</a>\n\
<header class=\"site-header\">\n<a class=\"site-name\" href=\"/\"{home_current}>{site_name}</a>\n\
<form class=\"site-search\" action=\"/search\" method=\"get\" role=\"search\" data-no-results=\"{no_results}\" data-all-results=\"{all_results}\">\
<input type=\"search\" name=\"q\" value=\"{query}\" placeholder=\"{placeholder}\" aria-label=\"{search_label}\" autocomplete=\"off\" dir=\"auto\">\
<button type=\"submit\">{search_button}</button></form>\n</header>\n\
<div class=\"site-body\">\n\
<input type=\"checkbox\" id=\"nav-toggle\" class=\"nav-toggle\" aria-controls=\"site-nav\">\
<label for=\"nav-toggle\" class=\"nav-toggle-label\">{pages}</label>\n\
{nav}\n<main id=\"main\" class=\"site-main\">\n{main}\n</main>\n</div>\n\
<footer class=\"site-footer\"><a href=\"/\">{site_name}</a> · <a href=\"/tags\">{tags}</a> · <a href=\"/feed.xml\">{feed}</a></footer>\n\
</body>\n</html>\n",
            lang = escape(lang_attribute(&self.info.language)),
            skip = escape(words.skip_link),
            no_results = escape(words.no_results),
            all_results = escape(words.all_results),
            placeholder = escape(words.search_placeholder),
            search_label = escape(words.search_label),
            search_button = escape(words.search_button),
            pages = escape(words.pages),
            tags = escape(words.tags),
            feed = escape(words.feed),
            main = doc.main,
        )
    }

    /// An image URL fit for `og:image`: absolute `http(s)` URLs as they are, root-relative ones
    /// made absolute when the base URL is known; anything else (`javascript:`, relative) is
    /// dropped.
    fn image_url(&self, image: &str) -> Option<String> {
        let image = image.trim();
        let lower = image.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            Some(image.to_owned())
        } else if image.starts_with('/') && !image.starts_with("//") {
            Some(match &self.info.base_url {
                Some(base) => format!("{base}{image}"),
                None => image.to_owned(),
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{self, site, site_without_base_url};
    use crate::model::{Heading, PageInfo, SiteInfo};
    use crate::{Site, search_js_href, style_href};

    fn every_full_page(site: &Site) -> Vec<(&'static str, String)> {
        let hits = site.search("post", 10);
        vec![
            ("page", site.page("/blog/first-post", "<p>x</p>").unwrap()),
            ("home page", site.page("/", "<p>x</p>").unwrap()),
            ("folder index", site.folder_index("/blog", None).unwrap()),
            ("generated home", site.home()),
            ("tag page", site.tag_page("project").unwrap()),
            ("tags index", site.tags_index()),
            ("search", site.search_page("post", &hits)),
            ("404", site.not_found()),
        ]
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
            assert!(html.contains(&format!("<script src=\"{}\" defer></script>", search_js_href())), "{name}");
            assert_eq!(html.matches("<script").count(), 1, "{name}: no inline script");
            assert!(html.contains(&format!("<title>{}", if name == "generated home" { "Garden" } else { "" })));
        }
    }

    #[test]
    fn canonical_and_og_url_appear_only_with_a_base_url() {
        let with = site().page("/blog/second", "").unwrap();
        assert!(with.contains("<link rel=\"canonical\" href=\"https://notes.example.com/blog/second\">"));
        assert!(with.contains("<meta property=\"og:url\" content=\"https://notes.example.com/blog/second\">"));
        assert!(with.contains("<meta property=\"og:type\" content=\"article\">"));
        for (name, html) in every_full_page(&site_without_base_url()) {
            assert!(!html.contains("rel=\"canonical\"") && !html.contains("og:url"), "{name}");
        }
    }

    #[test]
    fn og_image_is_absolute_and_makes_a_large_card() {
        let with = site().page("/blog/first-post", "").unwrap();
        assert!(with.contains("<meta property=\"og:image\" content=\"https://notes.example.com/_blob/abc\">"));
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
            site.not_found(),
            site.sitemap_xml(),
            site.feed_xml(evil),
        ];
        for output in outputs {
            assert!(!output.contains("<script>alert"), "{output}");
            assert!(!output.contains("\"'>"), "an attribute was broken out of: {output}");
        }
        assert!(site.tags().iter().any(|t| t == evil), "tags are returned as written");
        let page = site.page("/evil/page", "").unwrap();
        assert!(page.contains("href=\"/tags/%22%27%3E%3Cscript%3Ealert%281%29%3C"), "tag hrefs are percent-encoded");
    }
}
