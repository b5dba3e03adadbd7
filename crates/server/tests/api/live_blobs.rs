//! `/_blob/<sha256>` serves only what the live revision publishes, and HTML there is a page like
//! any other (the page CSP).

use reqwest::StatusCode;
use serde_json::{Value, json};
use vps_testkit::{asset, note};

use crate::helpers::*;

/// The strong ETag of a route: the hash of the blob it serves.
async fn blob_of(app: &TestApp, route: &str) -> String {
    let response = app.client.get(app.url(route)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{route}");
    response.headers()["etag"].to_str().unwrap().trim_matches('"').to_owned()
}

/// The live revision's manifest, as stored.
fn live_revision(app: &TestApp) -> Value {
    let id = std::fs::read_to_string(app.data.path().join("current")).unwrap();
    let path = app.data.path().join("revisions").join(format!("{}.json", id.trim()));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

async fn get_blob(app: &TestApp, hash: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = app.client.get(app.url(&format!("/_blob/{hash}"))).send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// Exactly what a hash that was never stored gets.
async fn assert_not_served(app: &TestApp, hash: &str, what: &str) {
    let (status, headers, body) = get_blob(app, hash).await;
    let body: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{what}: JSON, got {status}"));
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("blob-not-found")), "{what}: {body}");
    assert_eq!(body["message"], format!("no blob {hash}"), "{what}");
    assert_eq!(headers["cache-control"], "no-store", "{what}");
}

#[tokio::test]
async fn blob_urls_serve_only_what_the_live_revision_publishes() {
    let app = spawn_app_with(|s| s.sessions.always_full_publish = true).await;
    let plugin = app.plugin();
    let image = png(5000, 4);
    let notes = [note("Kept.md", "Kept. ![[pic.png]]"), note("Gone.md", "Soon deleted.")];
    plugin.publish(&notes, &[asset("pic.png", &image)]).await;
    let (gone_page, kept_page) = (blob_of(&app, "/gone").await, blob_of(&app, "/kept").await);
    let revision = live_revision(&app);
    let gone_source = revision["pages"]["/gone"]["sourceBlob"].as_str().unwrap().to_owned();
    let site_model = revision["siteBlob"].as_str().unwrap().to_owned();
    let document = revision["generated"]["/"]["blob"].as_str().unwrap().to_owned();

    // Published: pages' HTML, generated documents, assets.
    for hash in [&gone_page, &kept_page, &document, &sha256_hex(&image)] {
        assert_eq!(get_blob(&app, hash).await.0, StatusCode::OK, "{hash}");
    }
    assert_eq!(get_blob(&app, &sha256_hex(&image)).await.2, image);
    // Never public: note sources (the notes' JSON), the site model.
    assert_not_served(&app, &gone_source, "a note's source").await;
    assert_not_served(&app, &site_model, "the site model").await;
    assert_not_served(&app, &"0".repeat(64), "a hash never stored").await;

    // An asset uploaded in a session that is then aborted.
    let session = app.start_session().await;
    let stray = png(3000, 5);
    let (status, body) = app.upload(&session, &[("stray.png", &stray)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!app.blob_files().is_empty());
    assert_not_served(&app, &sha256_hex(&stray), "an upload of an open session").await;
    let aborted = app.post(&format!("/api/session/{session}/abort")).json(&json!({})).send().await.unwrap();
    assert!(aborted.status().is_success());
    assert_not_served(&app, &sha256_hex(&stray), "an aborted upload").await;

    // A deleted note: its old page stays in the store (for rollback), not on the site.
    plugin.publish(&[note("Kept.md", "Kept. ![[pic.png]]")], &[asset("pic.png", &image)]).await;
    assert_eq!(app.client.get(app.url("/gone")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_not_served(&app, &gone_page, "the page of a deleted note").await;
    // (The navigation changed: the kept page is a new blob; the old one is not served either.)
    assert_not_served(&app, &kept_page, "a page of an earlier revision").await;
    let kept_page = blob_of(&app, "/kept").await;
    assert_eq!(get_blob(&app, &kept_page).await.0, StatusCode::OK);

    // The site taken offline: nothing of it.
    let cleanup = app.post("/api/maintenance/cleanup").json(&json!({"targetName": "test"})).send().await.unwrap();
    assert_eq!(cleanup.status(), StatusCode::OK);
    for hash in [&kept_page, &document, &sha256_hex(&image)] {
        assert_not_served(&app, hash, "a blob of the site taken offline").await;
    }
}

#[tokio::test]
async fn a_pages_html_at_its_blob_url_gets_the_page_csp_and_its_type() {
    let app = spawn_app().await;
    app.plugin().publish(&[note("Page.md", "Hello.")], &[]).await;
    let at_route = app.client.get(app.url("/page")).send().await.unwrap();
    let hash = at_route.headers()["etag"].to_str().unwrap().trim_matches('"').to_owned();
    let csp = at_route.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");

    let (status, headers, body) = get_blob(&app, &hash).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["content-security-policy"], csp.as_str(), "the same policy as at its route");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(body, at_route.bytes().await.unwrap());
}
