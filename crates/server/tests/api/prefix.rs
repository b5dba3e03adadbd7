//! `BASE_URL` with a path (`https://example.com/notes`): the site answers with or without the
//! prefix (a proxy may strip it or not), its redirects and absolute URLs carry it, and a
//! restart with another `BASE_URL` or `SITE_NAME` shows in the documents made at load at once.

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use vps_server::test_util::start_app;

use crate::helpers::*;

fn notes() -> Vec<serde_json::Value> {
    vec![vps_testkit::note("A.md", "Hello from A, see [[B]]."), vps_testkit::note("Guides/B.md", "In the guides.")]
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(Policy::none()).build().unwrap()
}

async fn get(client: &reqwest::Client, url: String) -> (StatusCode, Option<String>, String) {
    let response = client.get(&url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (response.status(), location, response.text().await.unwrap())
}

#[tokio::test]
async fn a_base_url_path_is_served_with_or_without_the_prefix_and_redirects_keep_it() {
    let app = spawn_app_with(|s| s.site.base_url = Some("https://example.com/notes".into())).await;
    app.plugin().publish(&notes(), &[]).await;
    let client = client();
    let at = |path: &str| format!("{}{path}", app.base);

    let (status, _, stripped) = get(&client, at("/a")).await;
    let (status_prefixed, _, prefixed) = get(&client, at("/notes/a")).await;
    assert_eq!((status, status_prefixed), (StatusCode::OK, StatusCode::OK));
    assert_eq!(stripped, prefixed, "one page, whichever form the proxy uses");
    assert!(stripped.contains("href=\"guides/b\""), "relative links: {stripped}");
    let style = vps_site::style_href();
    let (status, _, _) = get(&client, at(&format!("/notes{style}"))).await;
    assert_eq!(status, StatusCode::OK, "the stylesheet under the prefix");

    for (path, location) in [
        ("/notes", "/notes/"),
        ("/notes/guides/", "/notes/guides"),
        ("/guides/", "/notes/guides"),
        ("/notes/guides/index", "/notes/guides"),
    ] {
        let (status, got, _) = get(&client, at(path)).await;
        assert_eq!((status, got.as_deref()), (StatusCode::MOVED_PERMANENTLY, Some(location)), "{path}");
    }
    let (status, _, home) = get(&client, at("/notes/")).await;
    assert!(status == StatusCode::OK && home.contains("href=\"a\""), "{home}");

    for path in ["/feed.xml", "/notes/feed.xml"] {
        let (_, _, feed) = get(&client, at(path)).await;
        assert!(
            feed.contains("<link rel=\"alternate\" type=\"text/html\" href=\"https://example.com/notes/a\"/>"),
            "{feed}"
        );
        assert!(feed.contains("href=\"https://example.com/notes/feed.xml\""), "{feed}");
    }
    let (_, _, sitemap) = get(&client, at("/notes/sitemap.xml")).await;
    assert!(sitemap.contains("<loc>https://example.com/notes/guides/b</loc>"), "{sitemap}");
    assert!(sitemap.contains("<loc>https://example.com/notes/</loc>"), "{sitemap}");
    let (_, _, robots) = get(&client, at("/notes/robots.txt")).await;
    assert!(robots.contains("Sitemap: https://example.com/notes/sitemap.xml"), "{robots}");
    assert!(robots.contains("Disallow: /notes/search"), "{robots}");

    let (status, _, missing) = get(&client, at("/notes/no/such/page")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains(&format!("href=\"/notes{style}\"")), "the 404 page works at any depth: {missing}");
    assert!(missing.contains("action=\"/notes/search\""), "{missing}");

    let (status, _, json) = get(&client, at("/notes/search?q=guides&format=json")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json[0]["href"], "guides/b");
    let ping = client.get(at("/notes/api/ping")).header("x-api-key", KEY).send().await.unwrap();
    assert_eq!(ping.status(), StatusCode::OK, "the API under the prefix too");
}

#[tokio::test]
async fn base_url_and_site_name_changed_at_restart_show_without_a_republish() {
    let data = tempfile::tempdir().unwrap();
    let first = start_app(data.path(), |s| {
        s.site.base_url = Some("https://old.example".into());
        s.site.site_name = "Old name".into();
    })
    .await;
    vps_testkit::Plugin::new(&first.base, KEY).publish(&notes(), &[]).await;
    let client = client();
    let (_, _, page_before) = get(&client, format!("{}/guides/b", first.base)).await;
    let (_, _, feed) = get(&client, format!("{}/feed.xml", first.base)).await;
    assert!(feed.contains("https://old.example/a") && feed.contains("<title>Old name</title>"), "{feed}");
    first.stop().await;

    let second = start_app(data.path(), |s| {
        s.site.base_url = Some("https://new.example/notes".into());
        s.site.site_name = "New name".into();
    })
    .await;
    let (_, _, feed) = get(&client, format!("{}/notes/feed.xml", second.base)).await;
    assert!(feed.contains("https://new.example/notes/a") && !feed.contains("old.example"), "{feed}");
    assert!(feed.contains("<title>New name</title>"), "{feed}");
    let (_, _, sitemap) = get(&client, format!("{}/sitemap.xml", second.base)).await;
    assert!(sitemap.contains("<loc>https://new.example/notes/guides/b</loc>"), "{sitemap}");
    let (status, _, missing) = get(&client, format!("{}/notes/nowhere", second.base)).await;
    assert!(status == StatusCode::NOT_FOUND && missing.contains("href=\"/notes/\""), "{missing}");
    let (status, _, page_after) = get(&client, format!("{}/notes/guides/b", second.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(note_content(&page_after), note_content(&page_before), "the stored page works under the new prefix");
    // The pages show the site's name: the server lays them out again when it starts (no note
    // is rendered again, no client is involved), and serves the old ones meanwhile.
    assert!(page_before.contains("Old name"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let renamed = loop {
        let (status, _, page) = get(&client, format!("{}/notes/guides/b", second.base)).await;
        assert_eq!(status, StatusCode::OK);
        if page.contains("New name") {
            break page;
        }
        assert!(std::time::Instant::now() < deadline, "the page never showed the new SITE_NAME: {page}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(!renamed.contains("Old name"), "{renamed}");
    assert_eq!(note_content(&renamed), note_content(&page_before), "the note itself is the same");
    second.stop().await;

    // Started again with the same settings: nothing to lay out, the revision stays.
    let live = std::fs::read_to_string(data.path().join("current")).unwrap_or_default();
    let third = start_app(data.path(), |s| {
        s.site.base_url = Some("https://new.example/notes".into());
        s.site.site_name = "New name".into();
    })
    .await;
    // Give the worker's check time to run (it finds nothing to do, so nothing will show).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (_, _, page) = get(&client, format!("{}/notes/guides/b", third.base)).await;
    assert_eq!(page, renamed);
    third.stop().await;
    assert_eq!(std::fs::read_to_string(data.path().join("current")).unwrap_or_default(), live);
}

/// The note's own content in a page (between the site's wrapper and its closing comment).
fn note_content(page: &str) -> &str {
    let start = page.find("<div class=\"note-content\">").expect("a note page");
    let end = page.find("<!--/note-content-->").expect("a note page");
    &page[start..end]
}
