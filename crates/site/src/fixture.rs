//! A small site shared by the unit tests.

use crate::model::{Heading, PageInfo, SiteInfo};
use crate::site::Site;

pub(crate) fn page(route: &str, title: &str, vault_path: &str) -> PageInfo {
    PageInfo { route: route.into(), title: title.into(), vault_path: vault_path.into(), ..PageInfo::default() }
}

pub(crate) fn info(base_url: Option<&str>) -> SiteInfo {
    let mut info = SiteInfo {
        name: "Garden".into(),
        base_url: base_url.map(Into::into),
        publish_css_href: Some("/assets/publish.css".into()),
        ..SiteInfo::default()
    };
    info.folder_display_names.insert("/blog".into(), "The Blog".into());
    info
}

pub(crate) fn pages() -> Vec<PageInfo> {
    vec![
        PageInfo { text: "Welcome to the garden.".into(), ..page("/index", "Welcome", "index.md") },
        PageInfo {
            tags: vec!["rust".into(), "project/alpha".into()],
            headings: vec![
                Heading::new(1, "First post", "first-post"),
                Heading::new(2, "Intro", "intro"),
                Heading::new(3, "Details", "details"),
            ],
            updated: Some("2024-03-01".into()),
            links_to: vec!["/recipes/summer/ete#top".into()],
            description: Some("The very first post.".into()),
            image: Some("/_blob/abc".into()),
            cssclasses: vec!["wide".into()],
            text: "Intro text about gardens and Rust.".into(),
            ..page("/blog/first-post", "First post", "Blog/First Post.md")
        },
        PageInfo {
            tags: vec!["project/beta".into()],
            headings: vec![Heading::new(2, "Only one", "only-one")],
            updated: Some("2024-05-10T08:00:00Z".into()),
            links_to: vec!["/blog/first-post".into(), "/blog/second".into()],
            text: "A second post.".into(),
            ..page("/blog/second", "Second post", "Blog/Second.md")
        },
        PageInfo {
            tags: vec!["Project".into()],
            links_to: vec!["/blog/first-post".into(), "/nowhere".into()],
            updated: Some("2023-07-14".into()),
            text: "A fresh salad for hot summer days.".into(),
            ..page("/recipes/summer/ete", "Été salad", "Recipes/Summer/Été.md")
        },
        PageInfo {
            noindex: true,
            text: "Not ready.".into(),
            ..page("/drafts/secret", "Secret draft", "Drafts/Secret.md")
        },
        PageInfo { text: "About this garden.".into(), ..page("/about", "About", "About.md") },
    ]
}

/// The public base of the fixture site's documents made at serve time.
pub(crate) fn base() -> crate::PublicBase {
    crate::PublicBase::parse(Some("https://notes.example.com"))
}

/// The fixture site, with a base URL.
pub(crate) fn site() -> Site {
    Site::new(info(Some("https://notes.example.com")), pages())
}

/// The fixture site without a base URL.
pub(crate) fn site_without_base_url() -> Site {
    Site::new(info(None), pages())
}

/// `html` as a browser at `from` (a public path) sees its links: every relative URL of a URL
/// attribute resolved to the root-relative path it reaches (by the `url` crate, not by the
/// site's own rule). Fragments alone (`#intro`) and other sites' URLs stay as written.
pub(crate) fn resolved(html: &str, from: &str) -> String {
    let base = url::Url::parse(&format!("https://site.example{}", vps_core::url::encode_path(from))).unwrap();
    crate::url::rewrite_url_attributes(html, &|value| {
        if value.starts_with('#') || value.contains("://") || value.starts_with("//") || value.is_empty() {
            return None;
        }
        let url = base.join(value).ok()?;
        let mut out = url.path().to_owned();
        if let Some(query) = url.query() {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = url.fragment() {
            out.push('#');
            out.push_str(fragment);
        }
        Some(out)
    })
}
