//! Machine-readable views of the site: `sitemap.xml`, `robots.txt` and the Atom feed.

use vps_core::url::encode_path;

use crate::escape::{escape, summarize};
use crate::site::Site;
use crate::url::PublicBase;

/// How many entries the feed carries.
const FEED_ENTRIES: usize = 20;

impl Site {
    /// `sitemap.xml`: the home page, every listed page that is not `noindex`, and the generated
    /// folder indexes, at `base` (origin and path prefix; made at serve time). Sitemaps need absolute
    /// URLs, so without an origin it holds no `<url>` at all (only a comment saying why).
    pub fn sitemap_xml(&self, base: &PublicBase) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        if base.origin().is_none() {
            out.push_str("<!-- No base URL is configured: a sitemap needs absolute URLs. -->\n");
            out.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"></urlset>\n");
            return out;
        }
        out.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        let mut entry = |path: &str, updated: Option<&str>| {
            let Some(loc) = base.absolute(path) else { return };
            out.push_str(&format!("<url><loc>{}</loc>", escape(&loc)));
            if let Some(date) = updated.and_then(normalize_datetime) {
                out.push_str(&format!("<lastmod>{}</lastmod>", escape(&date)));
            }
            out.push_str("</url>\n");
        };
        match self.home.map(|i| &self.pages[i]) {
            Some(home) if home.noindex || home.unlisted => {}
            Some(home) => entry("/", home.updated.as_deref()),
            None => entry("/", None),
        }
        for (index, page) in self.pages.iter().enumerate() {
            if Some(index) != self.home && !page.noindex && !page.unlisted {
                entry(&page.route, page.updated.as_deref());
            }
        }
        for route in self.folder_routes() {
            entry(&route, None);
        }
        out.push_str("</urlset>\n");
        out
    }

    /// `robots.txt`: everything may be crawled but search results (under the base's prefix);
    /// names the sitemap when the origin is known.
    pub fn robots_txt(&self, base: &PublicBase) -> String {
        let mut out = format!("User-agent: *\nDisallow: {}\n", base.local("/search"));
        if let Some(sitemap) = base.absolute("/sitemap.xml") {
            out.push_str(&format!("\nSitemap: {sitemap}\n"));
        }
        out
    }

    /// Listed pages' indexes, newest `updated` first; undated pages follow in title order.
    pub(crate) fn newest_first(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.pages.len()).filter(|&i| !self.pages[i].unlisted).collect();
        order.sort_unstable_by(|&a, &b| self.newest_cmp(a, b));
        order
    }

    /// Newest `updated` first, then by title; undated pages after dated ones.
    pub(crate) fn newest_cmp(&self, a: usize, b: usize) -> std::cmp::Ordering {
        match (&self.derived[a].updated, &self.derived[b].updated) {
            (Some(x), Some(y)) => y.cmp(x).then_with(|| self.title_cmp(a, b)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => self.title_cmp(a, b),
        }
    }

    /// The Atom feed: the 20 newest listed pages by `updated` (undated pages after dated ones),
    /// without `noindex` pages, with links at `base` (absolute when its origin is known, else paths
    /// under its prefix). `now_iso` is the feed's `<updated>` and the date of undated entries.
    pub fn feed_xml(&self, base: &PublicBase, now_iso: &str) -> String {
        let now = normalize_datetime(now_iso).unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
        let name = escape(&self.info.name);
        let site_id =
            base.absolute("/").unwrap_or_else(|| format!("urn:vps-publish:site:{}", encode_path(&self.info.name)));
        let mut out =
            String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
        out.push_str(&format!("<title>{name}</title>\n<id>{}</id>\n", escape(&site_id)));
        out.push_str(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(&url(base, "/"))));
        out.push_str(&format!(
            "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
            escape(&url(base, "/feed.xml"))
        ));
        out.push_str(&format!("<updated>{now}</updated>\n<author><name>{name}</name></author>\n"));
        out.push_str("<generator>vps-publish</generator>\n");

        let entries = self.newest_first().into_iter().filter(|&i| !self.pages[i].noindex).take(FEED_ENTRIES);
        for index in entries {
            let page = &self.pages[index];
            let path = self.public_path(&page.route);
            let url = url(base, path);
            let id =
                base.absolute(path).unwrap_or_else(|| format!("urn:vps-publish:page:{}", encode_path(&page.route)));
            let updated = self.derived[index].updated.clone().unwrap_or_else(|| now.clone());
            out.push_str("<entry>\n");
            out.push_str(&format!("<title>{}</title>\n", escape(&page.title)));
            out.push_str(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(&url)));
            out.push_str(&format!("<id>{}</id>\n<updated>{}</updated>\n", escape(&id), escape(&updated)));
            let summary = match page.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                Some(description) => summarize(description, 500),
                None => summarize(&page.text, 300),
            };
            if !summary.is_empty() {
                out.push_str(&format!("<summary>{}</summary>\n", escape(&summary)));
            }
            // Each tag once, as the site shows it.
            let mut seen = std::collections::HashSet::new();
            let mut names: Vec<&str> = Vec::new();
            for entry in page.tags.iter().filter_map(|tag| self.tags.get(tag)) {
                if seen.insert(entry.key.as_str()) {
                    names.push(&entry.name);
                }
            }
            for name in names {
                out.push_str(&format!("<category term=\"{}\"/>\n", escape(name)));
            }
            out.push_str("</entry>\n");
        }
        out.push_str("</feed>\n");
        out
    }
}

/// An absolute URL when the origin is known, else the path under the prefix.
fn url(base: &PublicBase, path: &str) -> String {
    base.absolute(path).unwrap_or_else(|| base.local(path))
}

/// An ISO-8601 date or date-time as an RFC 3339 date-time (what Atom and `<time>` want):
/// `2024-01-05` → `2024-01-05T00:00:00Z`, `2024-01-05 10:30` → `2024-01-05T10:30:00Z`,
/// `2024-01-05T10:30:00+0200` → `2024-01-05T10:30:00+02:00`. Anything else gives `None`.
pub(crate) fn normalize_datetime(text: &str) -> Option<String> {
    let text = text.trim();
    let date = text.get(..10)?;
    let digits_at =
        |s: &str, positions: &[usize]| positions.iter().all(|&i| s.as_bytes().get(i).is_some_and(u8::is_ascii_digit));
    let valid_date = digits_at(date, &[0, 1, 2, 3, 5, 6, 8, 9]) && &date[4..5] == "-" && &date[7..8] == "-";
    if !valid_date {
        return None;
    }
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let time = time.trim();
    let time = match time.len() {
        5 if digits_at(time, &[0, 1, 3, 4]) && &time[2..3] == ":" => format!("{time}:00"),
        n if n >= 8 && digits_at(time, &[0, 1, 3, 4, 6, 7]) && &time[2..3] == ":" && &time[5..6] == ":" => {
            let fraction = &time[8..];
            let fraction_ok = fraction.is_empty()
                || (fraction.starts_with('.')
                    && fraction.len() > 1
                    && fraction[1..].bytes().all(|b| b.is_ascii_digit()));
            if !fraction_ok {
                return None;
            }
            time.to_owned()
        }
        _ => return None,
    };
    let zone = match zone.trim() {
        "" | "Z" | "z" => "Z".to_owned(),
        z if z.len() == 6 && digits_at(z, &[1, 2, 4, 5]) && &z[3..4] == ":" => z.to_owned(),
        z if z.len() == 5 && digits_at(z, &[1, 2, 3, 4]) => format!("{}:{}", &z[..3], &z[3..]),
        z if z.len() == 3 && digits_at(z, &[1, 2]) => format!("{z}:00"),
        _ => return None,
    };
    Some(format!("{date}T{time}{zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_rfc3339_date_times() {
        let rows = [
            ("2024-01-05", Some("2024-01-05T00:00:00Z")),
            ("2024-01-05T10:30", Some("2024-01-05T10:30:00Z")),
            ("2024-01-05 10:30:15.250", Some("2024-01-05T10:30:15.250Z")),
            ("2024-01-05T10:30:00+0200", Some("2024-01-05T10:30:00+02:00")),
            ("2024-01-05T10:30:00-05:00", Some("2024-01-05T10:30:00-05:00")),
            ("2024-01-05T10:30:00z", Some("2024-01-05T10:30:00Z")),
            ("yesterday", None),
            ("2024-1-5", None),
            ("2024-01-05T10", None),
            ("2024-01-05T10:30:00<script>", None),
            ("2024-01-05é", None),
        ];
        for (input, expected) in rows {
            assert_eq!(normalize_datetime(input).as_deref(), expected, "{input}");
        }
    }
}

#[cfg(test)]
mod site_tests {
    use crate::PublicBase;
    use crate::fixture::{base, site, site_without_base_url};

    #[test]
    fn sitemap_lists_indexable_pages_and_folders_with_absolute_urls() {
        let xml = site().sitemap_xml(&base());
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset"));
        assert!(xml.contains("<url><loc>https://notes.example.com/</loc></url>"));
        assert!(xml.contains(
            "<url><loc>https://notes.example.com/blog/first-post</loc><lastmod>2024-03-01T00:00:00Z</lastmod></url>"
        ));
        assert!(xml.contains("<loc>https://notes.example.com/recipes/summer</loc>"));
        assert!(!xml.contains("secret"), "noindex pages are left out");
        assert!(!xml.contains("/index<"), "the home page is listed once, at /");
        assert_eq!(xml.matches("<url>").count(), xml.matches("</url>").count());
        assert!(xml.trim_end().ends_with("</urlset>"));
    }

    #[test]
    fn sitemap_without_base_url_has_no_urls() {
        let xml = site_without_base_url().sitemap_xml(&PublicBase::default());
        assert!(!xml.contains("<url>") && xml.contains("<!--"));
    }

    #[test]
    fn robots_points_at_the_sitemap_only_with_a_base_url() {
        assert_eq!(
            site().robots_txt(&base()),
            "User-agent: *\nDisallow: /search\n\nSitemap: https://notes.example.com/sitemap.xml\n"
        );
        assert!(!site_without_base_url().robots_txt(&PublicBase::default()).contains("Sitemap"));
    }

    #[test]
    fn feed_is_atom_with_the_newest_pages_first_and_undated_last() {
        let xml = site().feed_xml(&base(), "2024-06-01T12:00:00Z");
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">")
        );
        assert!(xml.trim_end().ends_with("</feed>"));
        assert!(xml.contains("<updated>2024-06-01T12:00:00Z</updated>"));
        assert!(xml.contains(
            "<link rel=\"self\" type=\"application/atom+xml\" href=\"https://notes.example.com/feed.xml\"/>"
        ));
        assert_eq!(xml.matches("<entry>").count(), 5, "noindex page left out");
        assert_eq!(xml.matches("<entry>").count(), xml.matches("</entry>").count());
        let titles: Vec<&str> =
            xml.split("<entry>\n<title>").skip(1).map(|entry| &entry[..entry.find("</title>").unwrap()]).collect();
        assert_eq!(titles, vec!["Second post", "First post", "Été salad", "About", "Welcome"]);
        assert!(
            xml.contains("<id>https://notes.example.com/blog/second</id>\n<updated>2024-05-10T08:00:00Z</updated>")
        );
        assert!(xml.contains("<id>https://notes.example.com/about</id>\n<updated>2024-06-01T12:00:00Z</updated>"));
        assert!(xml.contains("<category term=\"project/alpha\"/>"));
        assert!(xml.contains("<summary>The very first post.</summary>"));
    }

    #[test]
    fn feed_without_base_url_uses_urn_ids_and_relative_links() {
        let xml = site_without_base_url().feed_xml(&PublicBase::default(), "2024-06-01");
        assert!(xml.contains("<id>urn:vps-publish:page:/blog/second</id>"));
        assert!(xml.contains("href=\"/blog/second\""));
        assert!(xml.contains("<updated>2024-06-01T00:00:00Z</updated>"));
    }

    #[test]
    fn sitemap_feed_and_robots_carry_the_path_prefix_of_the_base_url() {
        let prefixed = PublicBase::parse(Some("https://example.com/notes/"));
        let site = site_without_base_url();
        let sitemap = site.sitemap_xml(&prefixed);
        assert!(sitemap.contains("<url><loc>https://example.com/notes/</loc></url>"), "{sitemap}");
        assert!(sitemap.contains("<loc>https://example.com/notes/blog/first-post</loc>"), "{sitemap}");
        assert!(!sitemap.contains("<loc>https://example.com/blog"), "{sitemap}");
        let feed = site.feed_xml(&prefixed, "2024-06-01");
        assert!(feed.contains("href=\"https://example.com/notes/feed.xml\""), "{feed}");
        assert!(feed.contains("<link rel=\"alternate\" type=\"text/html\" href=\"https://example.com/notes/\"/>"));
        assert!(feed.contains("<id>https://example.com/notes/blog/second</id>"), "{feed}");
        assert_eq!(
            site.robots_txt(&prefixed),
            "User-agent: *\nDisallow: /notes/search\n\nSitemap: https://example.com/notes/sitemap.xml\n"
        );
        let path_only = PublicBase::parse(Some("/notes"));
        let feed = site.feed_xml(&path_only, "2024-06-01");
        assert!(feed.contains("href=\"/notes/blog/second\""), "{feed}");
    }
}
