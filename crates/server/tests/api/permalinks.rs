//! Permalinks and aliases through the real server: a page answers at its frontmatter
//! `permalink:`, the route it would otherwise have and its aliases answer 301 to it (under the
//! `BASE_URL` prefix too), a protected page's redirects tell an anonymous reader nothing, and a
//! publish with an invalid or taken permalink fails with a stable `errorCode`, the live site
//! unchanged.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use vps_testkit::note;

use crate::helpers::*;

fn with_front(mut note: Value, key: &str, value: Value) -> Value {
    note["frontmatter"]["flat"][key] = value;
    note
}

/// A guide with a permalink and an alias, and a home page that links to it.
fn vault() -> Vec<Value> {
    let guide = note("Guides/Getting Started.md", "Welcome to the guide.");
    let guide = with_front(guide, "permalink", json!("/start"));
    let guide = with_front(guide, "aliases", json!(["Intro"]));
    vec![guide, note("Home.md", "Read [[Getting Started]].")]
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(Policy::none()).build().unwrap()
}

/// `GET <base><path>` without following redirects: status, `Location`, body.
async fn get(app: &TestApp, path: &str) -> (StatusCode, Option<String>, String) {
    let url = format!("{}{path}", app.base);
    let response = client().get(&url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (response.status(), location, response.text().await.unwrap())
}

#[tokio::test]
async fn a_page_answers_at_its_permalink_and_its_route_and_aliases_redirect_there() {
    let app = spawn_app().await;
    app.plugin().publish(&vault(), &[]).await;

    let (status, _, page) = get(&app, "/start").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Welcome to the guide."), "{page}");
    for old in ["/guides/getting-started", "/guides/intro"] {
        let (status, location, _) = get(&app, old).await;
        assert_eq!((status, location.as_deref()), (StatusCode::MOVED_PERMANENTLY, Some("/start")), "{old}");
    }
    let (_, _, home) = get(&app, "/home").await;
    assert!(home.contains("href=\"start\""), "the link points at the permalink: {home}");
    // Followed, the redirect ends on the page.
    let response = app.client.get(app.url("/guides/getting-started")).send().await.unwrap();
    assert_eq!((response.status(), response.url().path()), (StatusCode::OK, "/start"));
}

#[tokio::test]
async fn under_a_base_url_prefix_the_redirects_keep_the_prefix() {
    let app = spawn_app_with(|s| s.site.base_url = Some("https://example.com/notes".into())).await;
    app.plugin().publish(&vault(), &[]).await;
    let (status, _, page) = get(&app, "/notes/start").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Welcome to the guide."));
    for old in ["/notes/guides/getting-started", "/guides/getting-started", "/notes/guides/intro"] {
        let (status, location, _) = get(&app, old).await;
        assert_eq!((status, location.as_deref()), (StatusCode::MOVED_PERMANENTLY, Some("/notes/start")), "{old}");
    }
}

#[tokio::test]
async fn a_protected_pages_permalink_and_alias_redirects_do_not_tell_an_anonymous_reader_where_it_is() {
    let hash = vps_access::hash_password("correct horse battery staple").unwrap();
    let text = format!(
        "[access]\nsite = \"public\"\n[access.readers.alice]\npassword = \"{hash}\"\ngroups = [\"team\"]\n\
         [[access.rules]]\nfolder = \"Work\"\ngroups = [\"team\"]\n"
    );
    let config = Arc::new(vps_access::AccessConfig::from_settings_text(&text).unwrap().unwrap());
    let app = spawn_app_with(move |s| s.access.config = Some(config)).await;
    let plan = with_front(note("Work/Plan.md", "The secret plan."), "permalink", json!("/the-secret-plan"));
    let plan = with_front(plan, "aliases", json!(["Roadmap"]));
    app.plugin().publish(&[plan, note("Home.md", "home")], &[]).await;
    for path in ["/the-secret-plan", "/work/plan", "/work/roadmap"] {
        let (status, location, body) = get(&app, path).await;
        assert_eq!((status, location), (StatusCode::UNAUTHORIZED, None), "{path}");
        assert!(!body.contains("The secret plan"), "{path}: {body}");
        // The login form returns to the address asked for; a redirect's does not name the page.
        assert_eq!(body.contains("the-secret-plan"), path == "/the-secret-plan", "{path}: {body}");
    }
}

/// Publishes `notes` on top of the live site of [`vault`], which must fail: answers the job's
/// `error` and `errorCode` after checking that the live site and the `current` pointer did not
/// move.
async fn failed_publish(app: &TestApp, notes: &[Value]) -> (String, String) {
    let plugin = app.plugin();
    let current = std::fs::read_to_string(app.data.path().join("current")).expect("a current pointer");
    let session = plugin.upload_and_finish(notes, &[]).await;
    let done = plugin.wait(&session).await;
    assert_eq!(done["status"], "failed", "{done}");
    let after = std::fs::read_to_string(app.data.path().join("current")).unwrap();
    assert_eq!(after, current, "the pointer did not move");
    let (status, _, page) = get(app, "/start").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Welcome to the guide."), "the live site is unchanged");
    let (status, location, _) = get(app, "/guides/getting-started").await;
    assert_eq!((status, location.as_deref()), (StatusCode::MOVED_PERMANENTLY, Some("/start")));
    (done["error"].as_str().unwrap().to_owned(), done["errorCode"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_publish_with_an_invalid_or_taken_permalink_fails_with_a_stable_code_and_the_live_site_stays() {
    let app = spawn_app().await;
    app.plugin().publish(&vault(), &[]).await;

    let mut notes = vault();
    notes.push(with_front(note("Blob.md", "x"), "permalink", json!("/_blob/x")));
    let (error, code) = failed_publish(&app, &notes).await;
    assert_eq!(code, "invalid-permalink");
    assert_eq!(
        error,
        "note \"Blob.md\": permalink \"/_blob/x\" is refused: /_blob is a path the server keeps for itself"
    );

    let mut notes = vault();
    notes.push(with_front(note("Another Start.md", "x"), "permalink", json!("/start")));
    let (error, code) = failed_publish(&app, &notes).await;
    assert_eq!(code, "permalink-collision");
    assert_eq!(
        error,
        "notes \"Another Start.md\" and \"Guides/Getting Started.md\" have the same permalink \"/start\""
    );

    let mut notes = vault();
    notes.push(with_front(note("Traversal.md", "x"), "permalink", json!("/a/../../etc")));
    let (error, code) = failed_publish(&app, &notes).await;
    assert_eq!(code, "invalid-permalink");
    assert!(error.starts_with("note \"Traversal.md\": "), "{error}");
    app.assert_still_serving().await;
}

#[tokio::test]
async fn a_permalink_on_the_tag_listing_is_not_taken_and_the_job_result_says_so() {
    let app = spawn_app().await;
    // As the Obsidian help vault's `Editing and formatting/Tags.md` says.
    let tags = with_front(note("Editing and formatting/Tags.md", "Tags are #keywords."), "permalink", json!("tags"));
    let done = app.plugin().publish(&[tags, note("Home.md", "home")], &[]).await;
    assert_eq!(
        done["result"]["warnings"],
        json!([
            "note \"Editing and formatting/Tags.md\": permalink \"tags\" is not taken: /tags is the site's own listing"
        ]),
        "{done}"
    );
    assert!(done.get("errorCode").is_none(), "{done}");
    let (status, _, page) = get(&app, "/editing-and-formatting/tags").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Tags are"), "{page}");
    let (status, _, listing) = get(&app, "/tags").await;
    assert_eq!(status, StatusCode::OK);
    assert!(listing.contains("/tags/keywords") || listing.contains("tags/keywords"), "the tag listing: {listing}");
    assert!(!listing.contains("Tags are"), "not the note: {listing}");
}
