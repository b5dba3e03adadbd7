//! Every cost a note controls has a bound: a publish over one fails with a job error naming the
//! note's vault path and the setting, and the live site stays as it was.

use reqwest::StatusCode;
use serde_json::{Value, json};
use vps_testkit::{L, note, start_body};

use crate::helpers::{ApiTestApp, TestApp, json_answer, spawn_app, spawn_app_with};

/// Publishes a first site, then `notes` (with `cleanup_rules`) in a full session that must fail;
/// checks that the live site and the `current` pointer did not move, and answers the job error.
async fn failed_publish(app: &TestApp, notes: Vec<Value>, cleanup_rules: Value) -> String {
    let plugin = app.plugin();
    plugin.publish(&[note("Live.md", "the live site")], &[]).await;
    let current = std::fs::read_to_string(app.data.path().join("current")).expect("a current pointer");

    let mut start = start_body();
    start["ignoredTags"] = json!(["changed"]); // a full session: every note is sent
    let (_, start) = json_answer(plugin.post("/api/session/start", &start).send().await.unwrap()).await;
    let session = start["sessionId"].as_str().unwrap().to_owned();
    let count = notes.len();
    for chunk in notes.chunks(200) {
        let batch = json!({"notes": chunk, "cleanupRules": cleanup_rules});
        let answers = plugin.send_batch(&session, "notes", &batch, L / 2).await;
        assert_eq!(answers.last().unwrap().0, StatusCode::OK, "{:?}", answers.last());
    }
    let (status, body) = plugin.finish(&session, count, 0).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let done = plugin.wait(&session).await;
    assert_eq!(done["status"], "failed", "{done}");

    let page = app.client.get(app.url("/live")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("the live site"));
    let after = std::fs::read_to_string(app.data.path().join("current")).unwrap();
    assert_eq!(after, current, "the pointer did not move");
    app.assert_still_serving().await;
    done["error"].as_str().expect("an error").to_owned()
}

fn assert_names(error: &str, vault_path: &str, setting: &str, limit: u64) {
    assert!(error.starts_with(&format!("note \"{vault_path}\": ")), "{}", &error[..error.len().min(300)]);
    assert!(error.ends_with(&format!(" exceeds {setting} ({limit})")), "{}", &error[error.len().saturating_sub(300)..]);
}

#[tokio::test]
async fn a_note_nested_20000_folders_deep_fails_its_publish_naming_the_note_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let vault_path = format!("{}Deep.md", "a/".repeat(20_000));
    let error = failed_publish(&app, vec![note(&vault_path, "deep")], json!([])).await;
    assert_names(&error, &vault_path, "MAX_PATH_DEPTH", 32);
}

#[tokio::test]
async fn a_route_base_deeper_than_the_limit_fails_the_publish_too() {
    let app = spawn_app_with(|s| s.publish_limits.max_path_depth = 3).await;
    let mut deep = note("Shallow.md", "x");
    deep["folderConfig"]["routeBase"] = json!("/a/b/c/d/e");
    let error = failed_publish(&app, vec![deep], json!([])).await;
    assert_names(&error, "Shallow.md", "MAX_PATH_DEPTH", 3);
}

#[tokio::test]
async fn notes_embedding_notes_120_times_at_each_level_fail_at_the_transclusion_bytes_limit() {
    let app = spawn_app().await;
    let embeds = |target: &str| format!("![[{target}]]\n").repeat(120);
    let notes = vec![
        note("A.md", &embeds("B")),
        note("B.md", &embeds("C")),
        note("C.md", &embeds("D")),
        note("D.md", "The bottom note, embedded 1.7 million times."),
    ];
    let error = failed_publish(&app, notes, json!([])).await;
    assert!(error.starts_with("note \"A.md\": ") || error.starts_with("note \"B.md\": "), "{error}");
    assert!(error.ends_with("exceeds MAX_TRANSCLUSION_BYTES (2097152)"), "{error}");
}

#[tokio::test]
async fn a_cleanup_rule_whose_output_grows_quadratically_fails_at_the_output_limit() {
    let app = spawn_app().await;
    let rules = json!([{"id": "prefix", "name": "prefix", "regex": ".", "replacement": "$`", "isEnabled": true}]);
    let error = failed_publish(&app, vec![note("Big.md", &"x".repeat(200_000))], rules).await;
    assert_names(&error, "Big.md", "CLEANUP_MAX_OUTPUT_BYTES", 8 * 1024 * 1024);
}

#[tokio::test]
async fn cleanup_rules_out_of_time_fail_the_publish_naming_the_note() {
    // A zero budget makes the first match late: the check runs between matches.
    let app = spawn_app_with(|s| s.publish_limits.cleanup_time_per_publish = std::time::Duration::ZERO).await;
    let rules = json!([{"id": "cheap", "name": "cheap", "regex": "a", "replacement": "b", "isEnabled": true}]);
    let error = failed_publish(&app, vec![note("Many.md", &"a ".repeat(30_000))], rules).await;
    assert_names(&error, "Many.md", "CLEANUP_TIME_PER_PUBLISH_MS", 0);
    assert!(error.contains("cleanup rule \"cheap\""), "{error}");
}

#[tokio::test]
async fn a_tag_3000_levels_deep_fails_at_the_tag_depth_limit() {
    let app = spawn_app().await;
    let tag = vec!["t"; 3_000].join("/");
    let error = failed_publish(&app, vec![note("Tagged.md", &format!("text #{tag}"))], json!([])).await;
    assert_names(&error, "Tagged.md", "MAX_TAG_DEPTH", 10);
}

#[tokio::test]
async fn a_note_of_100000_nested_quotes_fails_at_the_nesting_limit() {
    let app = spawn_app().await;
    let error = failed_publish(&app, vec![note("Quotes.md", &">".repeat(100_000))], json!([])).await;
    assert_names(&error, "Quotes.md", "MAX_NESTING_DEPTH", 64);
}

#[tokio::test]
async fn a_note_of_100000_nested_html_elements_fails_at_the_nesting_limit_before_the_sanitiser_parses_it() {
    let app = spawn_app().await;
    let error = failed_publish(&app, vec![note("Divs.md", &"<div>".repeat(100_000))], json!([])).await;
    assert_names(&error, "Divs.md", "MAX_NESTING_DEPTH", 64);
}

#[tokio::test]
async fn a_page_over_the_page_limit_fails_the_publish() {
    let app = spawn_app_with(|s| s.publish_limits.max_page_bytes = 64 * 1024).await;
    let error = failed_publish(&app, vec![note("Long.md", &"word ".repeat(20_000))], json!([])).await;
    assert_names(&error, "Long.md", "MAX_PAGE_BYTES", 64 * 1024);
}

#[tokio::test]
async fn a_search_index_over_its_limit_fails_the_publish_naming_the_note_that_tipped_it() {
    let app = spawn_app_with(|s| s.publish_limits.max_search_index_bytes = 256 * 1024).await;
    let notes = (0..10).map(|i| note(&format!("N{i}.md"), &"word ".repeat(10_000))).collect();
    let error = failed_publish(&app, notes, json!([])).await;
    assert!(error.contains("the search index"), "{error}");
    assert!(error.ends_with("exceeds MAX_SEARCH_INDEX_BYTES (262144)"), "{error}");
    assert!(error.starts_with("note \"N"), "{error}");
}

#[tokio::test]
async fn a_folder_of_450_notes_gets_a_bounded_navigation_and_a_paginated_listing() {
    let app = spawn_app().await;
    let notes: Vec<Value> = (0..450).map(|i| note(&format!("Notes/Note {i:03}.md"), "x")).collect();
    app.plugin().publish(&notes, &[]).await;
    let get = |path: &str| {
        let url = app.url(path);
        let client = app.client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let (status, page) = get("/notes/note-000").await;
    assert_eq!(status, StatusCode::OK);
    // The window of siblings around the page (24), then a link to the folder's listing page
    // holding the next ones (relative to `/notes/note-000`: `../notes` is `/notes`).
    assert!(page.contains("<li class=\"nav-more\"><a href=\"../notes\">More…</a></li>"), "the nav stops at 24");
    assert_eq!(page.matches("class=\"nav-page\"").count(), 24);
    // The current page is listed with its neighbours, and a link back to the listing page
    // holding the ones before them (entry 425 is on page 3 of 200 per page).
    let (_, last) = get("/notes/note-449").await;
    assert!(last.contains("<a href=\"note-449\" aria-current=\"page\" dir=\"auto\">"), "the current page is shown");
    assert!(last.contains("<li class=\"nav-more\"><a href=\"page/3\">More…</a></li>"), "{last}");
    assert!(last.contains("<a href=\"note-426\"") && !last.contains("<a href=\"note-425\""), "{last}");
    assert!(page.len() < 16 * 1024, "a page of a 450-note folder is {} bytes", page.len());

    let (status, first) = get("/notes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first.matches("<li><a href=\"notes/note-").count(), 200);
    assert!(first.contains("<a rel=\"next\" href=\"notes/page/2\">"), "{first}");
    let (status, third) = get("/notes/page/3").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(third.matches("<li><a href=\"../note-").count(), 50);
    assert!(third.contains("Page 3 of 3") && third.contains("<a rel=\"prev\" href=\"2\">"));
    assert_eq!(get("/notes/page/4").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_route_base_with_a_backslash_publishes_under_a_route_without_one() {
    let app = spawn_app().await;
    let mut escaping = note("Escape.md", "findme");
    escaping["folderConfig"]["routeBase"] = json!("\\evil.example");
    app.plugin().publish(&[escaping], &[]).await;
    let hits: Value =
        app.client.get(app.url("/search?format=json&q=findme")).send().await.unwrap().json().await.unwrap();
    assert_eq!(hits[0]["route"], "/evil.example/escape", "{hits}");
    let page = app.client.get(app.url("/evil.example/escape")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}
