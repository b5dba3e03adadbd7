//! An unlisted page is laid out at its route and shown by no other document: not in any
//! navigation, breadcrumbs, listing, tag, backlinks, search, sitemap, feed or 404.

use std::sync::Arc;

use crate::fixture::{page, resolved};
use crate::model::{Heading, PageInfo, SiteInfo};
use crate::page::BACKLINKS_SHOWN;
use crate::site::Site;
use crate::{PublicBase, listing_page_route};

/// What would name an unlisted page of [`pages`]: its title, its route, a word of its text, a
/// heading, a tag and its folder's vault name.
const SECRETS: [&str; 12] = [
    "Zephyrine",
    "hidden-plan",
    "quokkaword",
    "Quokka heading",
    "zephyr-secret",
    "Marzipan",
    "vault-secret",
    "Vault Secret",
    "wombatword",
    "marzipan-tag",
    "hidden-index",
    "Hidden index",
];

/// Listed pages (a home note, two in `/blog`, one in `/notes`) and unlisted ones: one in the
/// shared folder `/blog` (linked from a listed page, linking to one), one in a folder of its
/// own (linking to listed and unlisted pages), and an unlisted root `index.md`-like note.
fn pages() -> Vec<PageInfo> {
    vec![
        PageInfo { text: "Welcome to the garden.".into(), ..page("/home", "Welcome", "Home.md") },
        PageInfo {
            tags: vec!["shared".into()],
            updated: Some("2024-03-01".into()),
            links_to: vec!["/blog/hidden-plan".into(), "/notes/listed".into()],
            text: "A public post about plans.".into(),
            ..page("/blog/public-post", "Public post", "Blog/Public Post.md")
        },
        PageInfo {
            tags: vec!["shared".into()],
            updated: Some("2024-02-01".into()),
            text: "Another public post.".into(),
            ..page("/blog/other", "Other post", "Blog/Other.md")
        },
        PageInfo {
            updated: Some("2024-01-01".into()),
            text: "A listed note.".into(),
            ..page("/notes/listed", "Listed note", "Notes/Listed.md")
        },
        PageInfo {
            unlisted: true,
            tags: vec!["zephyr-secret".into(), "shared".into()],
            headings: vec![Heading::new(2, "Quokka heading", "quokka")],
            updated: Some("2030-01-01".into()),
            links_to: vec!["/notes/listed".into(), "/blog/public-post".into()],
            description: Some("The Zephyrine plan, unlisted.".into()),
            text: "The quokkaword plan for the post.".into(),
            ..page("/blog/hidden-plan", "Zephyrine plan", "Blog/Hidden Plan.md")
        },
        PageInfo {
            unlisted: true,
            tags: vec!["marzipan-tag/deep".into()],
            updated: Some("2031-01-01".into()),
            links_to: vec!["/blog/public-post".into(), "/blog/hidden-plan".into(), "/".into()],
            text: "The wombatword vault for the garden.".into(),
            ..page("/vault-secret/only", "Marzipan vault", "Vault Secret/Only.md")
        },
        PageInfo {
            unlisted: true,
            updated: Some("2032-01-01".into()),
            text: "Hidden index of the garden.".into(),
            ..page("/hidden-index", "Hidden index", "index.md")
        },
    ]
}

fn info() -> SiteInfo {
    SiteInfo { name: "Garden".into(), ..SiteInfo::default() }
}

fn base() -> PublicBase {
    PublicBase::parse(Some("https://notes.example.com"))
}

fn listed_routes(site: &Site) -> Vec<String> {
    site.pages().iter().filter(|p| !p.unlisted).map(|p| p.route.clone()).collect()
}

/// Every document but the unlisted pages' own, each with what it is.
fn every_other_document(site: &Site) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for route in listed_routes(site) {
        out.push((format!("page {route}"), site.page(&route, "<p>x</p>").unwrap()));
    }
    out.push(("page /".into(), site.page("/", "<p>x</p>").unwrap()));
    for folder in site.folder_routes().into_iter().chain(["/".to_owned()]) {
        for number in 1..=site.folder_index_pages(&folder) {
            let html = site.folder_index_page(&folder, None, number).unwrap();
            out.push((format!("folder {}", listing_page_route(&folder, number)), html));
        }
    }
    out.push(("generated home".into(), site.home()));
    for tag in site.tags() {
        for number in 1..=site.tag_pages(&tag) {
            out.push((format!("tag {tag} {number}"), site.tag_page_number(&tag, number).unwrap()));
        }
    }
    out.push(("tags index".into(), site.tags_index()));
    // The search page shows its query: it is asked for words of the unlisted pages too, but
    // only its hits are checked for them.
    for query in SECRETS.iter().copied().chain(["plan", "garden", "the", "post", "unlisted"]) {
        let hits = site.search(query, 100);
        out.push((format!("search {query}"), format!("{hits:?}")));
        out.push((format!("search json {query}"), Site::search_json(&hits)));
    }
    for query in ["plan", "garden", "the", "post", "unlisted"] {
        out.push((format!("search page {query}"), site.search_page(query, &site.search(query, 100))));
    }
    out.push(("sitemap".into(), site.sitemap_xml(&base())));
    out.push(("feed".into(), site.feed_xml(&base(), "2035-01-01")));
    out.push(("404".into(), site.not_found(&base())));
    out.push(("tags".into(), format!("{:?}", site.tags())));
    out.push(("folder routes".into(), format!("{:?}", site.folder_routes())));
    out
}

fn assert_nothing_names_the_unlisted_pages(site: &Site) {
    for (what, document) in every_other_document(site) {
        for secret in SECRETS {
            assert!(!document.to_lowercase().contains(&secret.to_lowercase()), "{what} names {secret}:\n{document}");
        }
    }
}

#[test]
fn no_other_document_names_an_unlisted_page() {
    let site = Site::new(info(), pages());
    assert_eq!(site.home_route(), Some("/home"));
    assert_nothing_names_the_unlisted_pages(&site);
    // The listed pages are still everywhere they were.
    assert_eq!(site.folder_routes(), vec!["/blog", "/notes"]);
    assert_eq!(site.tags(), vec!["shared"]);
    assert_eq!(site.tag_route("zephyr-secret"), None);
    assert_eq!(site.tag_route("marzipan-tag"), None);
    assert!(site.tag_page("marzipan-tag/deep").is_none() && site.folder_index("/vault-secret", None).is_none());
    assert_eq!(site.folder_index_pages("/vault-secret"), 0);
    let hits: Vec<String> = site.search("garden", 10).into_iter().map(|h| h.route).collect();
    assert_eq!(hits, vec!["/"], "only the listed home page's text says garden");
    let feed = site.feed_xml(&base(), "2035-01-01");
    assert_eq!(feed.matches("<entry>").count(), 4, "the four listed pages");
    let sitemap = site.sitemap_xml(&base());
    assert!(sitemap.contains("<loc>https://notes.example.com/blog/public-post</loc>"), "{sitemap}");
    let tag = site.tag_page("shared").unwrap();
    assert!(tag.contains(">Public post</a>") && tag.contains(">Other post</a>"));
    assert!(tag.contains("<p class=\"search-count\">2 pages</p>"), "the count leaves the unlisted page out: {tag}");
    assert!(site.tags_index().contains("#shared</a> <span class=\"count\">2</span>"));
    let blog = site.folder_index("/blog", None).unwrap();
    assert!(blog.contains(">Public post</a>") && blog.contains(">Other post</a>"));
    let home = site.home();
    let recent = &home[home.find("Recently updated").unwrap()..];
    assert!(recent.contains(">Public post</a>"), "{recent}");
}

#[test]
fn an_unlisted_page_in_a_shared_folder_is_laid_out_with_the_folders_nav_and_its_backlinks() {
    let site = Site::new(info(), pages());
    assert!(site.page_info("/blog/hidden-plan").is_some_and(|p| p.unlisted));
    assert!(site.shell_key("/blog/hidden-plan").is_some());
    let raw = site.page("/blog/hidden-plan", "<p>The quokkaword plan.</p>").unwrap();
    let html = resolved(&raw, "/blog/hidden-plan");
    assert!(html.contains("<title>Zephyrine plan · Garden</title>"));
    assert!(html.contains("<p>The quokkaword plan.</p>"), "its content");
    assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"), "not for search engines");
    let nav = &html[html.find("<nav class=\"site-nav\"").unwrap()..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    assert!(
        nav.contains("<details open><summary><a href=\"/blog\" dir=\"auto\">Blog</a>"),
        "its folder is open: {nav}"
    );
    assert!(nav.contains(">Public post</a>") && nav.contains(">Other post</a>"), "its neighbours: {nav}");
    assert!(!nav.contains("Zephyrine") && !nav.contains("aria-current"), "not in the tree, not current: {nav}");
    assert!(html.contains("<li><a href=\"/blog\" dir=\"auto\">Blog</a></li>"), "breadcrumbs to its folder");
    let footer = &html[html.find("<section class=\"backlinks\"").unwrap()..];
    assert!(footer.contains("<a href=\"/blog/public-post\" dir=\"auto\">Public post</a>"), "a listed backlink");
    assert!(!footer.contains("Marzipan"), "the unlisted page linking to it is no backlink: {footer}");
    assert!(
        html.contains("<span class=\"tag\" dir=\"auto\">#zephyr-secret</span>"),
        "a tag with no page is not a link"
    );
    assert!(html.contains("<a class=\"tag\" href=\"/tags/shared\" dir=\"auto\">#shared</a>"), "one with a page is");
}

#[test]
fn an_unlisted_page_in_a_folder_of_its_own_names_the_folder_without_linking_it() {
    let site = Site::new(info(), pages());
    let html =
        resolved(&site.page("/vault-secret/only", "<p>The wombatword vault.</p>").unwrap(), "/vault-secret/only");
    assert!(html.contains("<p>The wombatword vault.</p>") && html.contains("<h1 dir=\"auto\">Marzipan vault</h1>"));
    let crumbs = &html[html.find("<nav class=\"breadcrumbs\"").unwrap()..];
    let crumbs = &crumbs[..crumbs.find("</nav>").unwrap()];
    assert!(
        crumbs.contains("<li><span dir=\"auto\">Vault Secret</span></li>"),
        "its vault folder's name, not a link to a folder page that does not exist: {crumbs}"
    );
    let nav = &html[html.find("<nav class=\"site-nav\"").unwrap()..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    assert!(nav.contains(">Blog</a>") && nav.contains(">Notes</a>"), "the top level: {nav}");
    assert!(!nav.contains("Vault") && !nav.contains("Marzipan") && !nav.contains("aria-current"), "{nav}");
    assert!(!html.contains("Linked from"), "only an unlisted page links to it");
}

#[test]
fn a_listed_page_shows_no_unlisted_backlink_and_its_more_count_leaves_them_out() {
    let mut pages = vec![page("/hub", "Hub", "Hub.md")];
    for i in 0..BACKLINKS_SHOWN + 2 {
        pages.push(PageInfo { links_to: vec!["/hub".into()], ..page(&format!("/l/{i:03}"), "Listed", "L/x.md") });
    }
    for i in 0..5 {
        pages.push(PageInfo {
            unlisted: true,
            links_to: vec!["/hub".into()],
            ..page(&format!("/u/{i}"), "Aardvark unlisted", "U/x.md")
        });
    }
    let site = Site::new(info(), pages);
    let hub = site.page("/hub", "").unwrap();
    assert!(hub.contains("<li class=\"more\">2 more…</li>"), "{hub}");
    assert!(!hub.contains("Aardvark"), "the unlisted sources come first by title, and are not shown");
}

#[test]
fn an_unlisted_page_is_the_home_page_only_when_configured() {
    let unlisted_index =
        PageInfo { unlisted: true, text: "Hidden welcome.".into(), ..page("/index", "Hidden welcome", "index.md") };
    let site = Site::new(info(), vec![unlisted_index.clone(), page("/a", "A", "A.md")]);
    assert_eq!(site.home_route(), None, "not chosen for its route");
    assert!(!site.home().contains("Hidden welcome"), "nor listed in the generated home");
    assert!(site.page("/index", "").is_some(), "still laid out at its route");

    let configured = SiteInfo { home_route: Some("/index".into()), ..info() };
    let site = Site::new(configured, vec![unlisted_index, page("/a", "A", "A.md")]);
    assert_eq!(site.home_route(), Some("/index"));
    let home = site.page("/", "<p>Hidden welcome.</p>").unwrap();
    assert!(home.contains("<p>Hidden welcome.</p>"));
    let sitemap = site.sitemap_xml(&base());
    assert!(!sitemap.contains("<loc>https://notes.example.com/</loc>"), "{sitemap}");
    assert!(!site.feed_xml(&base(), "2035-01-01").contains("Hidden welcome"));
    assert!(site.search("hidden", 10).is_empty());
}

#[test]
fn a_folder_whose_page_is_unlisted_keeps_its_generated_listing() {
    let pages = vec![
        PageInfo { unlisted: true, ..page("/notes", "Secret notes home", "Notes.md") },
        page("/notes/a", "A", "Notes/A.md"),
    ];
    let site = Site::new(info(), pages);
    assert_eq!(site.folder_routes(), vec!["/notes"], "the unlisted page does not stand for the folder");
    assert!(!site.folder_index("/notes", None).unwrap().contains("Secret notes home"));
}

#[test]
fn keys_change_when_a_page_becomes_unlisted() {
    let listed = Site::new(info(), pages().into_iter().map(|p| PageInfo { unlisted: false, ..p }).collect());
    let site = Site::new(info(), pages());
    for route in ["/blog/hidden-plan", "/blog/public-post", "/vault-secret/only"] {
        assert_ne!(listed.shell_key(route), site.shell_key(route), "{route}");
    }
    assert_ne!(listed.folder_listing_key("/blog", 1), site.folder_listing_key("/blog", 1));
    assert_ne!(listed.folder_listing_key("/", 1), site.folder_listing_key("/", 1));
    assert_ne!(listed.tag_listing_key("shared", 1), site.tag_listing_key("shared", 1));
    assert_ne!(listed.tags_index_key(), site.tags_index_key());
    assert!(listed.search("quokkaword", 10).len() == 1 && site.search("quokkaword", 10).is_empty());
}

#[test]
fn a_site_built_from_the_previous_one_follows_a_page_becoming_unlisted_and_listed_again() {
    let all_listed: Vec<PageInfo> = pages().into_iter().map(|p| PageInfo { unlisted: false, ..p }).collect();
    let first = Site::new(info(), all_listed.clone());
    let second = Site::new_from(info(), pages(), Some(&first));
    assert_nothing_names_the_unlisted_pages(&second);
    let unlisted_fresh = Site::new(info(), pages());
    assert_eq!(every_other_document(&second), every_other_document(&unlisted_fresh), "as a fresh site");
    for route in ["/blog/hidden-plan", "/vault-secret/only", "/hidden-index"] {
        assert_eq!(second.page(route, ""), unlisted_fresh.page(route, ""), "{route}");
        assert_eq!(second.shell_key(route), unlisted_fresh.shell_key(route), "{route}");
    }
    let third = Site::new_from(info(), all_listed.clone(), Some(&second));
    let fresh = Site::new(info(), all_listed);
    let (a, b) = (every_other_document(&fresh), every_other_document(&third));
    assert_eq!(a, b, "listed again, as a fresh site");
    assert_eq!(third.search("quokkaword", 10).len(), 1, "indexed again");
    let kept = |previous: &Site, next: &Site, route: &str| {
        Arc::ptr_eq(&previous.derived[previous.by_route[route]], &next.derived[next.by_route[route]])
    };
    assert!(kept(&first, &second, "/blog/public-post"), "an unchanged record keeps its derived data");
    assert!(!kept(&first, &second, "/blog/hidden-plan"), "the flag is part of the record");
}
