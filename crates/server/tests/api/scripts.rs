//! Issue 12: a vault written in every script, published through the plugin's protocol, gets
//! real URLs: routes made of the names' own letters, folders that do not merge, heading anchors
//! that land, one page per tag, NFC and NFD spellings of a route and of an image that meet, and
//! search in every script. The checks are `vps_testkit::scripts_vault`'s, shared with the CLI's
//! test (`crates/cli/tests/cli/scripts.rs`).

use reqwest::StatusCode;
use vps_server::{ApiKey, Overrides, Settings};
use vps_testkit::html::elements;
use vps_testkit::scripts_vault::multi_script_vault;
use vps_testkit::{Plugin, note};

use crate::helpers::*;

#[tokio::test]
async fn a_vault_in_every_script_published_by_the_plugin_gets_routes_anchors_tags_and_search_that_work() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let vault = multi_script_vault(dir.path());
    let scanned = vps_testkit::vault::scan(dir.path()).unwrap();
    assert!(scanned.unresolved_embeds.is_empty(), "{:?}", scanned.unresolved_embeds);
    app.plugin().publish(&scanned.note_payloads(), &scanned.asset_payloads()).await;
    let problems = vault.problems(&app.base).await;
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// A note B linked from A (so B's page has a backlinks section), published with `locale`.
async fn publish_linked_pair(plugin: Plugin) {
    let a = note("A.md", "See [[B]].");
    let b = note("العربية/B.md", "مرحبا بالعالم العربي، هذه فقرة.");
    plugin.publish(&[a, b], &[]).await;
}

/// `<html lang>` of a page.
fn html_lang(page: &str) -> Option<String> {
    elements(page).into_iter().find(|e| e.name == "html").and_then(|e| e.attr("lang").map(str::to_owned))
}

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_site_speaks_the_language_of_the_plugins_locale_and_note_content_reads_in_its_own_direction() {
    let app = spawn_app().await;
    publish_linked_pair(app.plugin().with_locale("fr")).await;
    let b = vps_testkit::vault::note_route("العربية/B.md");
    for path in [vps_core::url::encode_path(&b), "/a".to_owned(), "/search?q=x".to_owned(), "/no/such/page".to_owned()]
    {
        let (_, body) = page(&app, &path).await;
        assert_eq!(html_lang(&body).as_deref(), Some("fr"), "{path}");
        assert!(!body.contains("Linked from"), "{path} still says \"Linked from\"");
    }
    let (status, body) = page(&app, &vps_core::url::encode_path(&b)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("href=\"../a\""), "the backlink is shown, relative to the page: {body}");
    let directed = elements(&body).into_iter().any(|e| e.attr("dir") == Some("auto") && e.text.contains("مرحبا"));
    assert!(directed, "the note's content carries dir=\"auto\": {body}");
}

#[tokio::test]
async fn site_language_overrides_the_plugins_locale() {
    let app = spawn_app_with(|settings| {
        let env = |name: &str| (name == "SITE_LANGUAGE").then(|| "ja".to_owned());
        let mut loaded = Settings::load(None, env, &Overrides::default()).expect("SITE_LANGUAGE is a setting");
        loaded.port = 0;
        loaded.data_dir = settings.data_dir.clone();
        loaded.api_key = Some(ApiKey::new(KEY).unwrap());
        loaded.shutdown_grace_secs = 1;
        *settings = loaded;
    })
    .await;
    publish_linked_pair(app.plugin().with_locale("fr")).await;
    for path in ["/a", "/no/such/page"] {
        let (_, body) = page(&app, path).await;
        assert_eq!(html_lang(&body).as_deref(), Some("ja"), "{path}");
    }
}
