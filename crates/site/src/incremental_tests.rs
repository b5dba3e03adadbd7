//! A site built from the previous one answers as a fresh one; listing keys follow what each
//! listing shows.

use std::sync::Arc;

use crate::fixture::page;
use crate::model::{Heading, PageInfo, SiteInfo};
use crate::site::Site;
use crate::{PublicBase, listing_page_route};

/// Entries per listing page in these tests: small, so listings have several pages.
const PAGE_SIZE: usize = 7;

/// `notes` pages in a few folders, with tags, links, dates, descriptions and texts in several
/// scripts; the first is the home note.
fn vault(notes: usize) -> Vec<PageInfo> {
    let words = ["garden", "Été", "rust", "обзор", "かな", "über", "publishing"];
    let mut pages = vec![PageInfo { text: "Welcome home.".into(), ..page("/index", "Welcome", "index.md") }];
    for i in 1..notes {
        let (route, path) = match i % 4 {
            0 => (format!("/note-{i:03}"), format!("Note {i:03}.md")),
            1 => (format!("/blog/post-{i:03}"), format!("Blog/Post {i:03}.md")),
            _ => (format!("/t{}/s{}/note-{i:03}", i % 3, i % 2), format!("T{}/S{}/Note {i:03}.md", i % 3, i % 2)),
        };
        let text = (0..40).map(|w| words[(i + w * 3) % words.len()]).collect::<Vec<_>>().join(" ");
        pages.push(PageInfo {
            title: format!("{} {i:03}", words[i % words.len()]),
            description: (i % 5 == 0).then(|| format!("About {i}")),
            tags: vec![format!("tag{}", i % 4), format!("Project/P{}", i % 3)],
            headings: vec![Heading::new(2, format!("Part {}", words[i % 3]), "part")],
            updated: (i % 6 != 0).then(|| format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28)),
            links_to: vec!["/blog/post-001".into(), format!("/t0/s0/note-{:03}", 6 * (i % 5) + 6), "/".into()],
            text,
            ..page(&route, "", &path)
        });
    }
    pages
}

fn info() -> SiteInfo {
    SiteInfo { name: "Keys".into(), ..SiteInfo::default() }
}

fn at<'p>(pages: &'p mut [PageInfo], route: &str) -> &'p mut PageInfo {
    pages.iter_mut().find(|p| p.route == route).unwrap_or_else(|| panic!("no page {route}"))
}

/// Every listing page of a site: (what, HTML, key), with the folder listings under `/` too.
fn listings(site: &Site) -> Vec<(String, String, [u8; 32])> {
    let mut out = Vec::new();
    for folder in site.folder_routes().into_iter().chain(["/".to_owned()]) {
        for number in 1..=site.folder_index_pages(&folder) + 1 {
            let html = site.folder_index_page(&folder, None, number);
            let key = site.folder_listing_key(&folder, number);
            assert_eq!(html.is_some(), key.is_some(), "{folder} {number}: a key exactly for each page");
            if let (Some(html), Some(key)) = (html, key) {
                out.push((listing_page_route(&folder, number), html, key));
            }
        }
    }
    for tag in site.tags() {
        for number in 1..=site.tag_pages(&tag) + 1 {
            let html = site.tag_page_number(&tag, number);
            let key = site.tag_listing_key(&tag, number);
            assert_eq!(html.is_some(), key.is_some(), "#{tag} {number}: a key exactly for each page");
            if let (Some(html), Some(key)) = (html, key) {
                out.push((format!("#{tag} page {number}"), html, key));
            }
        }
    }
    out.push(("/tags".into(), site.tags_index(), site.tags_index_key()));
    out
}

/// Everything a reader can get from a site, as text.
fn observable(site: &Site) -> Vec<String> {
    let mut out = Vec::new();
    for info in site.pages() {
        out.push(site.page(&info.route, "<p>content</p>").unwrap());
        out.push(format!("{:?}", site.shell_key(&info.route)));
    }
    for (what, html, key) in listings(site) {
        out.extend([what, html, format!("{key:?}")]);
    }
    for query in ["garden", "ete", "обзор", "かな", "part uber", "changed", "fresh", "p1", "about 5"] {
        let hits = site.search(query, 1000);
        out.push(format!("{query}: {hits:?}"));
        out.push(site.search_page(query, &hits));
    }
    let base = PublicBase::parse(Some("https://example.com/notes"));
    out.push(site.feed_xml(&base, "2025-01-01"));
    out.push(site.sitemap_xml(&base));
    out.push(site.home());
    out.push(format!("{:?} {:?} {:?}", site.pages(), site.tags(), site.folder_routes()));
    out
}

#[test]
fn a_site_built_from_the_previous_one_answers_as_a_fresh_one() {
    let before = vault(120);
    let previous = Site::new(info(), before.clone());
    let mut after = before;
    at(&mut after, "/t1/s1/note-007").text = "changed words here".into();
    at(&mut after, "/blog/post-005").title = "A changed title".into();
    at(&mut after, "/note-008").tags.push("fresh/tag".into());
    at(&mut after, "/t2/s0/note-014").links_to.push("/note-008".into());
    at(&mut after, "/t0/s1/note-027").headings.push(Heading::new(2, "Fresh heading", "fresh"));
    at(&mut after, "/blog/post-009").updated = Some("2030-01-01".into());
    after.retain(|p| p.route != "/blog/post-021" && p.route != "/t0/s0/note-006");
    after.push(PageInfo { text: "A fresh page.".into(), ..page("/blog/fresh", "Fresh", "Blog/Fresh.md") });
    // A page moves, and another takes its route.
    at(&mut after, "/note-012").route = "/blog/moved".into();
    after.push(PageInfo { title: "In its place".into(), ..page("/note-012", "", "Note 012.md") });

    let fresh = Site::new(info(), after.clone()).with_listing_page_size(PAGE_SIZE);
    let built = Site::new_from(info(), after.clone(), Some(&previous)).with_listing_page_size(PAGE_SIZE);
    let (fresh_out, built_out) = (observable(&fresh), observable(&built));
    assert_eq!(fresh_out.len(), built_out.len());
    for (a, b) in fresh_out.iter().zip(&built_out) {
        assert_eq!(a, b);
    }
    assert!(built.search("changed", 10).iter().any(|hit| hit.route == "/t1/s1/note-007"), "new text is searched");
    assert!(built.search("fresh heading", 10).iter().any(|hit| hit.route == "/t0/s1/note-027"));

    // What was kept: the derived data of every page whose record is unchanged, and only those.
    let kept = |route: &str| {
        let (old, new) = (previous.by_route[route], built.by_route[route]);
        Arc::ptr_eq(&previous.derived[old], &built.derived[new])
    };
    assert!(kept("/t1/s0/note-010") && kept("/blog/post-001") && kept("/index"));
    for changed in ["/note-012", "/t1/s1/note-007", "/blog/post-005", "/note-008", "/t2/s0/note-014", "/t0/s1/note-027"]
    {
        assert!(!kept(changed), "{changed} is derived again");
    }
    let reused = built.pages().iter().filter(|p| previous.by_route.contains_key(&p.route) && kept(&p.route)).count();
    assert_eq!(reused, built.pages().len() - 9, "all but the 6 changed, the 2 added and the moved one");
}

/// The listings of the vault after `change`, with their keys.
fn listings_after(change: impl FnOnce(&mut SiteInfo, &mut Vec<PageInfo>)) -> Vec<(String, String, [u8; 32])> {
    let (mut info, mut pages) = (info(), vault(120));
    change(&mut info, &mut pages);
    listings(&Site::new(info, pages).with_listing_page_size(PAGE_SIZE))
}

#[test]
fn a_listing_key_changes_exactly_when_the_listing_does() {
    let base = listings_after(|_, _| {});
    assert_eq!(listings_after(|_, _| {}), base, "stable");
    type Change = Box<dyn FnOnce(&mut SiteInfo, &mut Vec<PageInfo>)>;
    let changes: Vec<(&str, Change)> = vec![
        ("a page's title", Box::new(|_, p| at(p, "/t1/s1/note-007").title = "Renamed".into())),
        ("a page's summary", Box::new(|_, p| at(p, "/t1/s1/note-007").text = "Other words".into())),
        ("a page's date", Box::new(|_, p| at(p, "/blog/post-009").updated = Some("2031-02-03".into()))),
        ("a page's description", Box::new(|_, p| at(p, "/note-020").description = Some("New".into()))),
        ("a page's tag", Box::new(|_, p| at(p, "/note-020").tags.push("tag1".into()))),
        ("a page added", Box::new(|_, p| p.push(page("/t1/s1/new", "New", "T1/S1/New.md")))),
        ("a page removed", Box::new(|_, p| p.retain(|p| p.route != "/blog/post-033"))),
        (
            "a folder's label",
            Box::new(|i, _| {
                i.folder_display_names.insert("/t2/s0".into(), "Zero".into());
            }),
        ),
        ("the stylesheet", Box::new(|i, _| i.publish_css_href = Some("/p.css".into()))),
        ("a page's text past its summary", Box::new(|_, p| at(p, "/note-020").text.push_str(" and more"))),
        ("a page's links", Box::new(|_, p| at(p, "/note-020").links_to.push("/note-004".into()))),
    ];
    for (what, change) in changes {
        let after = listings_after(change);
        assert_eq!(after.len(), base.len(), "{what}: the same listings");
        let mut changed = 0;
        for ((name, html_before, key_before), (_, html_after, key_after)) in base.iter().zip(&after) {
            assert_eq!(
                html_before == html_after,
                key_before == key_after,
                "{what}: {name}'s key changes exactly when its HTML does"
            );
            changed += usize::from(key_before != key_after);
        }
        println!("{what}: {changed} of {} listing keys changed", base.len());
        if what.contains("past its summary") || what.contains("links") {
            assert_eq!(changed, 0, "{what} shows in no listing");
        } else {
            assert!(changed > 0 && changed < base.len() || what == "the stylesheet", "{what}: {changed} changed");
        }
    }
    let renamed = listings_after(|i, _| i.name = "Other".into());
    for ((name, _, before), (_, _, after)) in base.iter().zip(&renamed) {
        assert_ne!(before, after, "the site name changes {name}'s key");
    }
}
