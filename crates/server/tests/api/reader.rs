//! What a reader gets from a published vault: Obsidian syntax rendered, the site around it.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn notes_render_with_obsidian_syntax_inside_the_sites_layout() {
    let app = spawn_app().await;
    let mut b =
        vps_testkit::note("Guides/B.md", "## Section\n\n> [!tip] A hint\n> Inside the callout.\n\nSee #guide/setup");
    b["frontmatter"]["flat"] = serde_json::json!({"description": "About B", "tags": ["docs"]});
    let a = vps_testkit::note(
        "A.md",
        "# A\n\nEmbeds:\n\n![[B]]\n\nMath $x^2$ and ==marked== text.%% hiddencomment %%\n\n```rust\nfn main() {}\n```",
    );
    app.plugin().publish(&[a, b], &[]).await;

    let (status, page) = get(&app, "/a").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("class=\"markdown-embed\""), "transclusion: {page}");
    assert!(page.contains("Inside the callout."), "the embedded note's content");
    assert!(page.contains("data-callout=\"tip\""), "callout");
    assert!(page.contains("<math"), "MathML");
    assert!(page.contains("<mark>marked</mark>"));
    assert!(!page.contains("hiddencomment"), "comments removed");
    assert!(page.contains("hl-"), "highlighted code");
    let style = vps_site::relative_url("/a", &vps_site::style_href());
    assert!(page.contains(&format!("href=\"{style}\"")) && style.starts_with("_site/"), "the site's stylesheet");
    assert!(page.contains("class=\"site-nav\""), "navigation");

    let (_, b_page) = get(&app, "/guides/b").await;
    // Links are relative to the page (`/guides/b`): `../a` is `/a`.
    assert!(b_page.contains("Linked from") && b_page.contains("href=\"../a\""), "backlinks: {b_page}");
    assert!(b_page.contains("href=\"../tags/guide/setup\""), "tags link to their pages");
    assert!(b_page.contains("content=\"About B\""), "description meta");

    let (status, tag) = get(&app, "/tags/guide/setup").await;
    assert!(status == StatusCode::OK && tag.contains("href=\"../../guides/b\""), "{tag}");
    let (status, folder) = get(&app, "/guides").await;
    assert!(status == StatusCode::OK && folder.contains("href=\"guides/b\""), "folder index: {folder}");

    let (status, results) = get(&app, "/search?q=CALLOUT").await;
    assert!(status == StatusCode::OK && results.contains("href=\"guides/b\""), "search: {results}");
    let json: Value = serde_json::from_str(&get(&app, "/search?q=callout&format=json").await.1).unwrap();
    assert_eq!(json[0]["route"], "/guides/b");
    assert_eq!(json[0]["href"], "guides/b", "relative to /search, where it is asked");

    for (path, kind) in [("/sitemap.xml", "xml"), ("/robots.txt", "text/plain"), ("/feed.xml", "atom")] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().contains(kind), "{path}");
    }
    let css = app.client.get(app.url(&vps_site::style_href())).send().await.unwrap();
    assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(css.text().await.unwrap().contains("prefers-color-scheme: dark"));
    let (status, missing) = get(&app, "/no/such/page").await;
    assert!(status == StatusCode::NOT_FOUND && missing.contains(&vps_site::style_href()), "a styled 404");
}

#[tokio::test]
async fn unpublished_notes_are_left_out_and_scripts_never_survive() {
    let app = spawn_app().await;
    let mut secret = vps_testkit::note("Secret.md", "do not publish");
    secret["frontmatter"]["flat"] = serde_json::json!({"publish": false});
    let evil = vps_testkit::note(
        "Evil.md",
        "<script>alert(1)</script><img src=x onerror=alert(2)>\n\n[x](javascript:alert(3)) [[Evil|<b onmouseover=alert(4)>]]",
    );
    app.plugin().publish(&[secret, evil], &[]).await;
    assert_eq!(get(&app, "/secret").await.0, StatusCode::NOT_FOUND);
    let (_, page) = get(&app, "/evil").await;
    let article = page.split("<article").nth(1).unwrap();
    // Escaped text (`&lt;b onmouseover…`) is harmless; live markup is not.
    for inert in ["<script", " onerror=", "<b onmouseover", "href=\"javascript:"] {
        assert!(!article.to_lowercase().contains(inert), "{inert}: {article}");
    }
}

#[tokio::test]
async fn the_configured_home_note_canonical_links_and_the_vaults_publish_css() {
    let app = spawn_app_with(|s| {
        s.site.home_note = Some("Start Here.md".into());
        s.site.base_url = Some("https://notes.example.com".into());
    })
    .await;
    let plugin = app.plugin();
    let started = plugin.start().await;
    let session = started["sessionId"].as_str().unwrap().to_owned();
    // Our CLI uploads the vault's publish.css beside the notes.
    let (status, _) = app.upload(&session, &[("publish.css", b"body { letter-spacing: 0.01em; }\n")]).await;
    assert_eq!(status, StatusCode::OK);
    let notes = serde_json::json!({"notes": [vps_testkit::note("Start Here.md", "Welcome, reader."), vps_testkit::note("Other.md", "x")]});
    plugin.send_batch(&session, "notes", &notes, vps_testkit::L / 2).await;
    plugin.finish(&session, 2, 1).await;
    assert_eq!(plugin.wait(&session).await["status"], "completed");

    let (status, home) = get(&app, "/").await;
    assert!(status == StatusCode::OK && home.contains("Welcome, reader."), "{home}");
    assert!(home.contains("<link rel=\"canonical\" href=\"./\">"), "relative, without BASE_URL: {home}");
    assert!(!home.contains("notes.example.com"), "a stored page names no origin");
    assert!(home.contains("og:title"));
    let css_href =
        home.split("href=\"publish.css").nth(1).map(|rest| format!("/publish.css{}", rest.split('"').next().unwrap()));
    let css_href = css_href.expect("the vault's stylesheet is linked");
    let css = app.client.get(app.url(&css_href)).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("letter-spacing"));
    let (_, sitemap) = get(&app, "/sitemap.xml").await;
    assert!(sitemap.contains("<loc>https://notes.example.com/other</loc>"), "{sitemap}");
}
