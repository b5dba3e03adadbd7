//! Pages of a large vault (issue 14): a generated vault of 5,000 notes
//! ([`vps_testkit::generated_vault`]: nested folders, a flat folder of hundreds of notes, links,
//! a hub with hundreds of backlinks, tags on thousands of notes, orphans that only the folders
//! lead to) published once through the plugin's protocol, then read back over HTTP as a reader
//! without JavaScript (or a search engine's crawler) would:
//!
//! - the site's `<a href>` links are followed breadth-first from the home page, the note's own
//!   content left out (its wikilinks would reach most notes by themselves): every note is
//!   reached, and every link followed answers;
//! - every note's page (and the home page) has at most 32 KB of HTML around the note's own
//!   content, the target; listing pages (folders, tags), which hold no note, are bounded
//!   by their `LISTING_PAGE_SIZE` entries (200 by default, each a link, a date and a summary of
//!   at most 200 characters): at most 96 KB, whatever the vault's size.
//!
//! It prints how long the publish and the crawl took; it asserts no time.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use futures_util::StreamExt as _;
use reqwest::{StatusCode, Url};
use vps_testkit::html;

use crate::helpers::{KEY, expected_routes, spawn_app};

const NOTES: usize = 5_000;
/// Bytes of a note page's HTML outside the note's own content.
const AROUND_CONTENT_LIMIT: usize = 32 * 1024;
/// Bytes of a listing page (folder, tag): a bounded number of bounded entries.
const LISTING_LIMIT: usize = 96 * 1024;
/// Pages fetched at once.
const CONCURRENT: usize = 8;
/// More distinct pages than this means the links never end (a pagination loop…).
const MAX_PAGES: usize = 20 * NOTES;
/// Where a page holds the note's own content: `<div class="note-content">…<!--/note-content-->`;
/// pages written before issue 14 have only the `<article class="markdown-body">` inside it.
const CONTENT_OPEN: &str = "<div class=\"note-content\">";
const CONTENT_END: &str = "<!--/note-content-->";
const ARTICLE_OPEN: &str = "<article class=\"markdown-body";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_of_a_5000_note_vault_stay_within_32_kb_around_the_note_and_links_reach_every_note_without_javascript() {
    let started = Instant::now();
    let dir = tempfile::Builder::new().prefix("scale-vault-").tempdir().unwrap();
    let generated = vps_testkit::generated_vault::write(dir.path(), NOTES).unwrap();
    let vault = vps_testkit::vault::scan(dir.path()).unwrap();
    assert_eq!(vault.notes.len(), NOTES);
    let generate_time = started.elapsed();
    let app = spawn_app().await;
    let started = Instant::now();
    let plugin = vps_testkit::Plugin::new(&app.base, KEY);
    plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    let publish_time = started.elapsed();

    let started = Instant::now();
    let client = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let crawl = crawl(&client, Url::parse(&format!("{}/", app.base)).unwrap()).await;
    let crawl_time = started.elapsed();

    // Which notes the crawl reached: `/` is the home note's page.
    let routes = expected_routes(&vault);
    let home = routes.iter().find(|(note, _)| note.vault_path == "Home.md").map(|(_, route)| route.clone());
    let mut reached: HashSet<String> = crawl.pages.keys().map(|url| vps_core::slug::decode_route(url.path())).collect();
    if reached.contains("/") {
        reached.extend(home);
    }
    let missed: Vec<&str> =
        routes.iter().filter(|(_, route)| !reached.contains(route)).map(|(note, _)| note.vault_path.as_str()).collect();
    let orphans_missed = generated.orphans.iter().filter(|orphan| missed.contains(&orphan.as_str())).count();

    // The size of every page reached, and of every note's page the crawl missed.
    let mut sizes: Vec<(String, Page)> = crawl.pages.iter().map(|(url, page)| (url.path().to_owned(), *page)).collect();
    let unreached: Vec<Url> = routes
        .iter()
        .filter(|(_, route)| !reached.contains(route))
        .map(|(_, route)| Url::parse(&app.url(&vps_core::url::encode_path(route))).unwrap())
        .collect();
    for (url, fetched) in fetch_all(&client, unreached).await {
        if let Fetched::Html { page, .. } = fetched {
            sizes.push((url.path().to_owned(), page));
        }
    }
    sizes.sort_by_key(|(_, page)| std::cmp::Reverse(page.around_content));
    // The largest page of each kind, for the figures and the failure.
    let note_routes: HashSet<String> = routes.iter().map(|(_, route)| vps_core::url::encode_path(route)).collect();
    let kind = |path: &str| match path {
        "/" => "home",
        path if path == "/tags" || path.starts_with("/tags/") => "tag page",
        path if note_routes.contains(path) => "note page",
        _ => "folder or other page",
    };
    let limit = |path: &str| match kind(path) {
        "home" | "note page" => AROUND_CONTENT_LIMIT,
        _ => LISTING_LIMIT,
    };
    let over: Vec<String> = sizes
        .iter()
        .filter(|(path, page)| page.around_content > limit(path))
        .map(|(path, page)| format!("{path} ({} bytes around the content, {} in all)", page.around_content, page.bytes))
        .collect();
    let mut largest: Vec<(&str, usize, usize, &str)> = Vec::new(); // kind, count over, bytes, path
    for (path, page) in &sizes {
        let kind = kind(path);
        let over = usize::from(page.around_content > limit(path));
        match largest.iter_mut().find(|entry| entry.0 == kind) {
            Some(entry) => entry.1 += over,
            None => largest.push((kind, over, page.around_content, path)),
        }
    }
    let by_kind: Vec<String> = largest
        .iter()
        .map(|(kind, over, bytes, path)| format!("{kind}: largest {bytes} bytes ({path}), {over} over the limit"))
        .collect();

    println!(
        "{NOTES} notes: generated and scanned in {:.1} s; publish {:.1} s; crawl of {} pages ({} links followed) {:.1} s; \
         largest HTML around a note's content: {} bytes ({}); {} pages checked",
        generate_time.as_secs_f64(),
        publish_time.as_secs_f64(),
        crawl.pages.len(),
        crawl.links,
        crawl_time.as_secs_f64(),
        sizes.first().map_or(0, |(_, page)| page.around_content),
        sizes.first().map_or("-", |(path, _)| path.as_str()),
        sizes.len(),
    );
    println!("around the content, by kind of page: {}", by_kind.join("; "));
    let mut failures = Vec::new();
    if !missed.is_empty() {
        failures.push(format!(
            "{} of {NOTES} notes not reached by following links from the home page ({orphans_missed} of the {} orphans); \
             the first: {:?}",
            missed.len(),
            generated.orphans.len(),
            &missed[..missed.len().min(10)]
        ));
    }
    if !crawl.broken.is_empty() {
        failures.push(format!(
            "{} links answer an error; the first: {:?}",
            crawl.broken.len(),
            &crawl.broken[..crawl.broken.len().min(10)]
        ));
    }
    if crawl.pages.len() >= MAX_PAGES {
        failures.push(format!("the crawl stopped at {MAX_PAGES} pages: do the links loop?"));
    }
    if !over.is_empty() {
        failures.push(format!(
            "{} pages are over their bound ({AROUND_CONTENT_LIMIT} bytes around a note's content, {LISTING_LIMIT} for a listing) ({}); the largest: {:?}",
            over.len(),
            by_kind.join("; "),
            &over[..over.len().min(10)]
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One HTML page read.
#[derive(Debug, Clone, Copy)]
struct Page {
    bytes: usize,
    around_content: usize,
}

/// What a breadth-first crawl found.
struct Crawl {
    /// Every HTML page answered 200, by URL (no fragment).
    pages: HashMap<Url, Page>,
    /// `<a href>` links followed (to the same origin, duplicates included).
    links: usize,
    /// `URL: status` of each link that answered neither 200 nor a redirect.
    broken: Vec<String>,
}

enum Fetched {
    Html { page: Page, links: Vec<Url> },
    Redirect(Url),
    Other,
    Broken(String),
}

/// Follows every `<a href>` of the site outside the notes' own content, from `start`, level by
/// level; a redirect counts as a link to its `Location`. Other origins are not followed.
async fn crawl(client: &reqwest::Client, start: Url) -> Crawl {
    let mut seen: HashSet<Url> = HashSet::from([start.clone()]);
    let mut level = vec![start.clone()];
    let mut crawl = Crawl { pages: HashMap::new(), links: 0, broken: Vec::new() };
    while !level.is_empty() && seen.len() < MAX_PAGES {
        let mut next = Vec::new();
        for (url, fetched) in fetch_all(client, std::mem::take(&mut level)).await {
            let links = match fetched {
                Fetched::Html { page, links } => {
                    crawl.pages.insert(url, page);
                    links
                }
                Fetched::Redirect(to) => vec![to],
                Fetched::Other => Vec::new(),
                Fetched::Broken(why) => {
                    crawl.broken.push(why);
                    Vec::new()
                }
            };
            for link in links {
                if link.origin() != start.origin() {
                    continue;
                }
                crawl.links += 1;
                if seen.len() < MAX_PAGES && seen.insert(link.clone()) {
                    next.push(link);
                }
            }
        }
        level = next;
    }
    crawl
}

/// GETs every URL, [`CONCURRENT`] at a time.
async fn fetch_all(client: &reqwest::Client, urls: Vec<Url>) -> Vec<(Url, Fetched)> {
    futures_util::stream::iter(urls)
        .map(|url| async move {
            let fetched = fetch(client, &url).await;
            (url, fetched)
        })
        .buffer_unordered(CONCURRENT)
        .collect()
        .await
}

async fn fetch(client: &reqwest::Client, url: &Url) -> Fetched {
    let response = match client.get(url.clone()).send().await {
        Ok(response) => response,
        Err(e) => return Fetched::Broken(format!("{url}: {e}")),
    };
    let status = response.status();
    if status.is_redirection() {
        let location = response.headers().get("location").and_then(|value| value.to_str().ok());
        return match location.map(|location| url.join(location)) {
            Some(Ok(mut to)) => {
                to.set_fragment(None);
                Fetched::Redirect(to)
            }
            _ => Fetched::Broken(format!("{url}: {status} with Location {location:?}")),
        };
    }
    if status != StatusCode::OK {
        return Fetched::Broken(format!("{url}: {status}"));
    }
    let is_html = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if !is_html {
        return Fetched::Other;
    }
    let text = match response.text().await {
        Ok(text) => text,
        Err(e) => return Fetched::Broken(format!("{url}: {e}")),
    };
    let page = Page { bytes: text.len(), around_content: around_content(&text) };
    Fetched::Html { page, links: navigation_links(url, &text) }
}

/// The absolute URLs (no fragment) of the page's `<a href>` outside the note's own content.
fn navigation_links(url: &Url, text: &str) -> Vec<Url> {
    let elements = html::elements(text);
    let is_content = |element: &html::Element| {
        (element.name == "div" && element.has_class("note-content"))
            || (element.name == "article" && element.has_class("markdown-body"))
    };
    elements
        .iter()
        .filter(|element| element.name == "a" && !element.is_inside(&elements, is_content))
        .filter_map(|element| url.join(element.attr("href")?).ok())
        .map(|mut link| {
            link.set_fragment(None);
            link
        })
        .collect()
}

/// Bytes of `html` outside the note's own content: everything but what is between each
/// [`CONTENT_OPEN`] and its [`CONTENT_END`]; on a page without them, inside each `<article>`
/// that opens with [`ARTICLE_OPEN`] (nested articles counted).
fn around_content(html: &str) -> usize {
    let mut content = 0;
    if html.contains(CONTENT_OPEN) {
        let mut from = 0;
        while let Some(start) = html[from..].find(CONTENT_OPEN).map(|at| from + at + CONTENT_OPEN.len()) {
            let end = html[start..].find(CONTENT_END).map_or(html.len(), |at| start + at);
            content += end - start;
            from = end;
        }
        return html.len() - content;
    }
    let (open, close) = ("<article", "</article>");
    let mut from = 0;
    while let Some(at) = html[from..].find(ARTICLE_OPEN).map(|at| from + at) {
        let Some(start) = html[at..].find('>').map(|end| at + end + 1) else { break };
        let (mut depth, mut cursor) = (1, start);
        let end = loop {
            let next_close = html[cursor..].find(close).map(|i| cursor + i);
            let next_open = html[cursor..].find(open).map(|i| cursor + i);
            match (next_open, next_close) {
                (Some(o), Some(c)) if o < c => {
                    depth += 1;
                    cursor = o + open.len();
                }
                (_, Some(c)) => {
                    depth -= 1;
                    cursor = c + close.len();
                    if depth == 0 {
                        break c;
                    }
                }
                (_, None) => break html.len(),
            }
        };
        content += end - start;
        from = end;
    }
    html.len() - content
}

#[test]
fn what_is_around_the_note_content_is_measured() {
    let page = "<html><nav>n</nav><article class=\"markdown-body\" dir=\"auto\">\n<p>12345</p>\
                <article>x</article>\n</article><footer>f</footer></html>";
    let inside = "\n<p>12345</p><article>x</article>\n".len();
    assert_eq!(around_content(page), page.len() - inside);
    assert_eq!(around_content("<p>no article</p>"), "<p>no article</p>".len());
    let wrapped = "<nav>n</nav><div class=\"note-content\"><article class=\"markdown-body\"><div>x</div></article></div><!--/note-content--><p>f</p>";
    let inside = "<article class=\"markdown-body\"><div>x</div></article></div>".len();
    assert_eq!(around_content(wrapped), wrapped.len() - inside);
    let url = Url::parse("http://h:1/a/b").unwrap();
    let links = navigation_links(
        &url,
        "<nav><a href=\"../c#x\">c</a></nav><article class=\"markdown-body\"><a href=\"d\">d</a></article>\
         <div class=\"note-content\"><p><a href=\"e\">e</a></p></div>",
    );
    assert_eq!(links, [Url::parse("http://h:1/c").unwrap()]);
}
