//! Times the site's per-revision work on a synthetic vault (10,000 notes unless given):
//! `cargo run --release -p vps-site --example site_timing [-- notes]`. Prints the fastest of 5
//! runs of each step (and the median); asserts nothing about time.

use std::time::Instant;

use vps_site::{Heading, PageInfo, Site, SiteInfo};

fn vault(notes: usize) -> Vec<PageInfo> {
    let mut pages = Vec::with_capacity(notes);
    let words = ["garden", "Été", "rust", "notes", "über", "обзор", "かな", "publishing", "server", "vault"];
    for i in 0..notes {
        let (top, sub) = (i % 20, (i / 20) % 25);
        let route = if i < 500 { format!("/big/note-{i:06}") } else { format!("/t{top}/s{sub}/note-{i:06}") };
        let path = if i < 500 { format!("Big/Note {i:06}.md") } else { format!("T{top}/S{sub}/Note {i:06}.md") };
        let text: String = (0..300).map(|w| words[(i * 7 + w * 13) % words.len()]).collect::<Vec<_>>().join(" ");
        pages.push(PageInfo {
            route,
            title: format!("Note number {i:06} about {}", words[i % words.len()]),
            vault_path: path,
            description: (i % 3 == 0).then(|| format!("Description of note {i}")),
            tags: vec![format!("tag{}", i % 50), format!("project/p{}", i % 13)],
            headings: vec![Heading::new(2, "Intro", "intro"), Heading::new(2, format!("Part {i}"), "part")],
            updated: Some(format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28)),
            links_to: vec!["/big/note-000000".into(), format!("/t{top}/s0/note-{:06}", 500 + top), "/nowhere".into()],
            text,
            ..PageInfo::default()
        });
    }
    pages
}

/// Runs `f` `RUNS` times and prints the fastest and the median run (the machine may be shared).
fn time<T>(what: &str, f: impl Fn() -> T) -> T {
    const RUNS: usize = 5;
    let mut times = Vec::with_capacity(RUNS);
    let mut out = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        out = Some(f());
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!("{what:<48} {:>9.1} ms (median {:.1})", times[0], times[RUNS / 2]);
    out.expect("run at least once")
}

fn main() {
    let notes: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let info = SiteInfo { name: "Timing".into(), ..SiteInfo::default() };
    let pages = vault(notes);
    println!("{notes} notes");
    let site = time("Site::new", || Site::new(info.clone(), pages.clone()));
    let mut changed = pages.clone();
    changed[notes / 2].text.push_str(" changed");
    changed[notes / 2].title.push_str(" changed");
    let _again = time("Site::new (1 page changed)", || Site::new(info.clone(), changed.clone()));
    let again =
        time("Site::new_from previous (1 page changed)", || Site::new_from(info.clone(), changed.clone(), Some(&site)));
    time("  (of which cloning the pages given)", || changed.clone().len());
    let folders = site.folder_routes();
    let tags = site.tags();
    time("Site::new, then shell_key of every page", || {
        let fresh = Site::new(info.clone(), pages.clone());
        fresh.pages().iter().filter_map(|p| fresh.shell_key(&p.route)).count()
    });
    time("shell_key of every page (again)", || site.pages().iter().filter_map(|p| site.shell_key(&p.route)).count());
    time("shell_key of every page, new_from site", || {
        again.pages().iter().filter_map(|p| again.shell_key(&p.route)).count()
    });
    time("key of every folder listing page (with home)", || {
        let mut keys = 0;
        for folder in folders.iter().map(String::as_str).chain(["/"]) {
            for number in 1..=site.folder_index_pages(folder) {
                keys += usize::from(site.folder_listing_key(folder, number).is_some());
            }
        }
        keys
    });
    time("key of every tag listing page and /tags", || {
        let mut keys = usize::from(site.tags_index_key()[0] > 0);
        for tag in &tags {
            for number in 1..=site.tag_pages(tag) {
                keys += usize::from(site.tag_listing_key(tag, number).is_some());
            }
        }
        keys
    });
    time("render every folder listing page (with home)", || {
        let mut bytes = 0;
        for folder in folders.iter().map(String::as_str).chain(["/"]) {
            for number in 1..=site.folder_index_pages(folder) {
                bytes += site.folder_index_page(folder, None, number).map_or(0, |h| h.len());
            }
        }
        bytes
    });
    time("render every tag listing page and /tags", || {
        let mut bytes = site.tags_index().len();
        for tag in &tags {
            for number in 1..=site.tag_pages(tag) {
                bytes += site.tag_page_number(tag, number).map_or(0, |h| h.len());
            }
        }
        bytes
    });
    println!("{} folders, {} tags", folders.len(), tags.len());
}
