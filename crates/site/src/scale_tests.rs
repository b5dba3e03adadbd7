//! A page's shell does not grow with the vault; the whole tree is reachable without script;
//! the shell key follows what the shell shows.

use std::collections::{HashSet, VecDeque};

use crate::fixture::{page, resolved};
use crate::model::{PageInfo, SiteInfo};
use crate::site::Site;
use crate::url::rewrite_url_attributes;

/// The target of the issue: HTML around a note's own content, on any page of a 10,000-note vault.
const SHELL_BYTES: usize = 32 * 1024;

/// `notes` pages in nested folders (10 top folders, 10 sub-folders each, the rest of the notes
/// spread in them and 500 in one big folder), each linking to the first page (a hub).
fn vault(notes: usize) -> Vec<PageInfo> {
    let mut pages = Vec::with_capacity(notes);
    for i in 0..notes {
        let (route, path) = if i < 500 {
            (format!("/big/note-{i:05}"), format!("Big/Note {i:05}.md"))
        } else {
            let (top, sub) = (i % 10, (i / 10) % 10);
            (format!("/t{top}/s{sub}/note-{i:05}"), format!("T{top}/S{sub}/Note {i:05}.md"))
        };
        let mut info = page(&route, &format!("A fairly long note title number {i:05}"), &path);
        info.links_to = vec!["/big/note-00000".into(), format!("/t{}/s0/note-{:05}", i % 10, 500 + i % 10)];
        info.tags = vec![format!("tag{}", i % 7)];
        pages.push(info);
    }
    pages
}

fn shell_bytes(site: &Site, route: &str) -> usize {
    let content = "<p>content</p>";
    site.page(route, content).unwrap().len() - content.len()
}

#[test]
fn every_page_of_a_ten_thousand_note_vault_has_a_shell_under_32_kb() {
    let site = Site::new(SiteInfo { name: "Big".into(), ..SiteInfo::default() }, vault(10_000));
    let mut largest = (0, String::new());
    for info in site.pages() {
        let bytes = shell_bytes(&site, &info.route);
        if bytes > largest.0 {
            largest = (bytes, info.route.clone());
        }
    }
    println!("largest shell of a 10,000-note vault: {} bytes ({})", largest.0, largest.1);
    assert!(largest.0 <= SHELL_BYTES, "{} bytes around the content of {}", largest.0, largest.1);
    // The hub, linked from every page, shows a capped list of backlinks.
    let hub = site.page("/big/note-00000", "").unwrap();
    assert!(hub.contains("<li class=\"more\">9949 more…</li>"), "capped backlinks");
    let wrapped = hub.find("<div class=\"note-content\">").unwrap();
    assert!(hub[wrapped..].contains("</article></div><!--/note-content-->"), "a stable wrapper around the content");
}

#[test]
fn the_shell_stays_the_same_size_when_the_vault_doubles() {
    // Both vaults fill every folder past what the navigation shows of one.
    let small = Site::new(SiteInfo::default(), vault(5_000));
    let large = Site::new(SiteInfo::default(), vault(10_000));
    for route in ["/big/note-00007", "/t3/s4/note-00543"] {
        let (a, b) = (shell_bytes(&small, route), shell_bytes(&large, route));
        // Only digits of counts may differ.
        assert!(b <= a + 64, "{route}: {a} bytes at 5,000 notes, {b} at 10,000");
    }
}

#[test]
fn every_page_is_reachable_from_home_through_folder_and_listing_pages() {
    let site = Site::new(SiteInfo::default(), vault(3_000)).with_listing_page_size(100);
    // What the server serves: the generated home, folder pages with their numbered listing
    // pages, and the notes (their content is not needed to follow the shell's links).
    let mut served: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for number in 1..=site.folder_index_pages("/") {
        served.insert(crate::listing_page_route("/", number), site.folder_index_page("/", None, number).unwrap());
    }
    for folder in site.folder_routes() {
        for number in 1..=site.folder_index_pages(&folder) {
            let route = crate::listing_page_route(&folder, number);
            served.insert(route, site.folder_index_page(&folder, None, number).unwrap());
        }
    }
    for info in site.pages() {
        served.insert(info.route.clone(), site.page(&info.route, "").unwrap());
    }
    let mut seen: HashSet<String> = HashSet::from(["/".to_owned()]);
    let mut queue = VecDeque::from(["/".to_owned()]);
    while let Some(at) = queue.pop_front() {
        let html = resolved(&served[&at], &at);
        for link in collect_hrefs(&html) {
            let path = vps_core::slug::decode_route(link.split(['#', '?']).next().unwrap_or_default());
            if served.contains_key(&path) && seen.insert(path.clone()) {
                queue.push_back(path);
            }
        }
    }
    let missing: Vec<&String> = site.pages().iter().map(|p| &p.route).filter(|r| !seen.contains(*r)).collect();
    assert!(missing.is_empty(), "{} pages unreachable, e.g. {:?}", missing.len(), missing.first());
}

/// Every URL of a URL attribute of `html`.
fn collect_hrefs(html: &str) -> Vec<String> {
    let found = std::cell::RefCell::new(Vec::new());
    rewrite_url_attributes(html, &|href| {
        found.borrow_mut().push(href.to_owned());
        None
    });
    found.into_inner()
}

/// A change made to the site info and pages before a site is built.
type Change = dyn FnOnce(&mut SiteInfo, &mut Vec<PageInfo>);

fn key_site(change: impl FnOnce(&mut SiteInfo, &mut Vec<PageInfo>)) -> Site {
    let mut info = SiteInfo { name: "Keys".into(), ..SiteInfo::default() };
    let mut pages = vault(1_500);
    change(&mut info, &mut pages);
    Site::new(info, pages)
}

fn at<'p>(pages: &'p mut [PageInfo], route: &str) -> &'p mut PageInfo {
    pages.iter_mut().find(|p| p.route == route).unwrap()
}

#[test]
fn the_shell_key_changes_with_what_the_shell_shows_and_only_with_it() {
    let route = "/t3/s4/note-00843";
    let base = key_site(|_, _| {}).shell_key(route).unwrap();
    assert_eq!(key_site(|_, _| {}).shell_key(route), Some(base), "stable");
    assert_eq!(key_site(|_, _| {}).shell_key("/nowhere"), None);

    let changes: Vec<(&str, Box<Change>)> = vec![
        ("its title", Box::new(|_, p: &mut Vec<PageInfo>| at(p, "/t3/s4/note-00843").title = "New".into())),
        (
            "a sibling's title shown in its nav",
            Box::new(|_, p: &mut Vec<PageInfo>| at(p, "/t3/s4/note-00943").title = "Renamed".into()),
        ),
        (
            "a page linking to it (backlinks)",
            Box::new(|_, p: &mut Vec<PageInfo>| at(p, "/big/note-00002").links_to.push("/t3/s4/note-00843".into())),
        ),
        ("the site name", Box::new(|i: &mut SiteInfo, _| i.name = "Other".into())),
        ("the language", Box::new(|i: &mut SiteInfo, _| i.language = "fr".into())),
        (
            "a top-level folder's label",
            Box::new(|i: &mut SiteInfo, _| {
                i.folder_display_names.insert("/t0".into(), "Zero".into());
            }),
        ),
    ];
    for (what, change) in changes {
        let site = key_site(change);
        assert_ne!(site.shell_key(route), Some(base), "{what} changes the key");
    }

    // A page far away: another folder, not in this page's navigation, not linking to it.
    let far = key_site(|_, p| at(p, "/t7/s1/note-00817").title = "Elsewhere".into());
    assert_eq!(far.shell_key(route), Some(base), "a far-away page does not change the key");
    let far_text = key_site(|_, p| at(p, "/t3/s4/note-00943").text = "new text".into());
    assert_eq!(far_text.shell_key(route), Some(base), "a sibling's text is not in the shell");

    // Whatever changes the key, the page differs for the same content, and conversely.
    let one = key_site(|_, _| {});
    let two = key_site(|_, p| at(p, "/t3/s4/note-00943").title = "Renamed".into());
    assert_ne!(one.page(route, "<p>x</p>"), two.page(route, "<p>x</p>"));
    assert_eq!(one.page(route, "<p>x</p>"), far.page(route, "<p>x</p>"));
}

#[test]
fn a_page_deep_in_a_big_folder_is_shown_current_in_its_own_navigation() {
    let site = Site::new(SiteInfo::default(), vault(1_000));
    for route in ["/big/note-00000", "/big/note-00250", "/big/note-00499", "/t3/s4/note-00943"] {
        let html = resolved(&site.page(route, "").unwrap(), route);
        let nav = &html[html.find("<nav class=\"site-nav\"").unwrap()..];
        let nav = &nav[..nav.find("</nav>").unwrap()];
        let current = format!("<a href=\"{route}\" aria-current=\"page\" dir=\"auto\">");
        assert_eq!(nav.matches(&current).count(), 1, "{route} is in the window its navigation shows: {nav}");
    }
}
