//! The site model the server hands over: site settings and one record per published page.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Site-wide settings that shape every page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteInfo {
    /// The site's name, shown in the header, in `<title>` and in the feed.
    pub name: String,
    /// `BASE_URL` when the model was built. Not read by the site: stored documents are written
    /// with relative URLs, and the documents that need the public address (sitemap, feed,
    /// robots.txt, 404) take a [`PublicBase`](crate::PublicBase) when they are made, at serve time.
    pub base_url: Option<String>,
    /// Folder route → label (`"/blog"` → `"Blog"`), the first choice for folder labels.
    pub folder_display_names: BTreeMap<String, String>,
    /// Where the vault's `publish.css` is served, if it was published.
    pub publish_css_href: Option<String>,
    /// Where the writer's callout styles are served (sanitised, one stylesheet, with a content
    /// hash in the query), if the publish sent any that survived sanitising.
    pub callout_css_href: Option<String>,
    /// The route of the note that is the home page, if one was configured.
    pub home_route: Option<String>,
    /// The site's language as a BCP 47 tag (`en`, `fr-FR`, `ja`): `<html lang>` and the table
    /// of the site's own words. Empty means English. The server sets it from `SITE_LANGUAGE`,
    /// else the `locale` the plugin sent.
    pub language: String,
    /// How the site looks and what its pages show (logo, theme, toggles, navigation order).
    pub presentation: Presentation,
}

/// The writer's choices of how the site looks: Obsidian Publish's `site-options.json`, the
/// CLI's `.vps-publish.toml` or the server's settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Presentation {
    /// Where the logo shown in the header is served (a root-relative URL), if any.
    pub logo_href: Option<String>,
    /// The theme a reader gets until they choose one.
    pub default_theme: Theme,
    /// Show each page's table of contents.
    pub show_outline: bool,
    /// Show each page's backlinks ("Linked from").
    pub show_backlinks: bool,
    /// Show the search box.
    pub show_search: bool,
    /// Show the light / dark / system toggle.
    pub show_theme_toggle: bool,
    /// Show each page's local graph and the global graph page.
    pub show_graph: bool,
    /// The navigation's order: vault paths of folders (`Guides`) and notes (`Guides/Start.md`),
    /// in NFC. Within each folder, the entries listed here come first in this order, folders and
    /// notes interleaved as listed (as Obsidian Publish's `navigationOrdering`); the others
    /// follow in the usual order (folders by name, then notes by title). Folder listings follow
    /// the same order. A folder is matched by the vault path its pages are in.
    pub navigation_order: Vec<String>,
}

impl Default for Presentation {
    fn default() -> Self {
        Presentation {
            logo_href: None,
            default_theme: Theme::System,
            show_outline: true,
            show_backlinks: true,
            show_search: true,
            show_theme_toggle: true,
            show_graph: true,
            navigation_order: Vec::new(),
        }
    }
}

/// A colour theme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// The reader's system preference (`prefers-color-scheme`).
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// One published page, as the layout needs it. The rendered body is passed separately to
/// [`Site::page`](crate::Site::page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct PageInfo {
    /// `/folder/sub/page-slug`; `/index` is the root index note.
    pub route: String,
    /// Plain text (escaped when written): the `<h1>`, `<title>`, listings, feed and search.
    pub title: String,
    /// The frontmatter properties the page shows under its title, as (name, value) plain text
    /// (escaped when written); empty: none shown. Chosen and bounded by
    /// `vps_render::shown_properties`.
    pub properties: Vec<(String, String)>,
    /// `Folder/Sub/Page Name.md`; folder labels fall back to these folder names.
    pub vault_path: String,
    /// The front matter's description: meta description, feed summary; absent or blank, a
    /// summary of `text` is used.
    pub description: Option<String>,
    /// Tags without `#`; nested tags use `/` (`project/alpha`).
    pub tags: Vec<String>,
    /// The headings of the content, in document order.
    pub headings: Vec<Heading>,
    /// ISO-8601 date or date-time of the last change.
    pub updated: Option<String>,
    /// Asks search engines not to index the page (and keeps it out of the sitemap and feed).
    pub noindex: bool,
    /// Obsidian `cssclasses`, added to the `<article>`.
    pub cssclasses: Vec<String>,
    /// Absolute or root-relative URL of the `og:image`.
    pub image: Option<String>,
    /// Routes this page links to; they give the backlinks of the targets.
    pub links_to: Vec<String>,
    /// The content as plain text, for search and default descriptions.
    pub text: String,
    /// Listed nowhere: the page is in the model only so that its own page can be laid out
    /// ([`Site::page`](crate::Site::page), [`Site::shell_key`](crate::Site::shell_key),
    /// [`Site::page_info`](crate::Site::page_info)). It is in no navigation, breadcrumbs,
    /// folder listing, tag, backlinks ("Linked from" of other pages), generated home, search
    /// (its text is not even indexed), sitemap or feed, and asks search engines not to index it.
    /// Its own page still shows the backlinks of listed pages and a navigation of listed pages.
    /// It is the home page only when [`SiteInfo::home_route`] names it. Set for unlisted,
    /// protected and private pages alike: everything the site prebuilds is the anonymous view.
    pub unlisted: bool,
    /// Where the page sits in the navigation and breadcrumbs when its route is not there: a
    /// note whose `permalink:` gave it another address stays in its vault folder, as on
    /// Obsidian Publish. `None`: at its route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nav_route: Option<String>,
}

/// A heading of a page's content; `id` is its (already unique) anchor in the content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Heading {
    /// 1 for `<h1>` to 6 for `<h6>`.
    pub level: u8,
    /// The heading as plain text.
    pub text: String,
    /// The anchor (`#id`) of the heading in the rendered content.
    pub id: String,
    /// Where the heading's text starts in the page's `text` (a byte offset), when the renderer
    /// said: its section follows it (link previews).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

impl Heading {
    /// A heading of `level` (1–6) reading `text`, at anchor `id`.
    pub fn new(level: u8, text: impl Into<String>, id: impl Into<String>) -> Self {
        Heading { level, text: text.into(), id: id.into(), offset: None }
    }

    /// The same heading, its text at byte `offset` of the page's text.
    pub fn at(self, offset: usize) -> Self {
        Heading { offset: Some(offset), ..self }
    }
}
