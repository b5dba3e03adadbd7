//! The plugin's whole protocol against the real server, and what a reader sees afterwards.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use vps_testkit::*;

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn every_call_answers_the_fields_the_plugin_reads() {
    let app = spawn_app().await;
    let plugin = app.plugin();

    let start = plugin.start().await;
    let session = start["sessionId"].as_str().unwrap().to_owned();
    assert!(start["maxBytesPerRequest"].as_u64().is_some_and(|l| l <= L as u64 && l > 0));
    assert_eq!(start["existingAssetHashes"], json!([]));
    assert_eq!(start["existingSourceNoteHashesByVaultPath"], json!({}));
    assert_eq!(start["pipelineChanged"], true, "nothing published yet");

    // Notes in three chunks: two intermediate 202s, then the route's own 200.
    let notes = json!({"notes": [note("Blog/Post One.md", &format!("# Post One\n\nSee [[Other]].\n\n![[img.png]]\n\n{}", noise(3000, 1))), note("Other.md", "Back to [[Post One]].")],
        "cleanupRules": [{"id": "drop-secrets", "name": "x", "regex": "SECRET-\\d+", "replacement": "", "isEnabled": true}]});
    let answers = plugin.send_batch(&session, "notes", &notes, 1100).await;
    assert!(answers.len() >= 3, "{answers:?}");
    for (i, (status, body)) in answers[..answers.len() - 1].iter().enumerate() {
        assert_eq!(*status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["status"], "chunk_received");
        assert_eq!(body["chunkIndex"], i);
        assert_eq!(body["totalChunks"], answers.len());
        assert_eq!(body["received"], i + 1);
        assert!(body["uploadId"].as_str().unwrap().starts_with(&format!("notes-{session}-")));
    }
    let (status, last) = answers.last().unwrap();
    assert_eq!(*status, StatusCode::OK, "{last}");
    assert_eq!(last["publishedCount"], 2);
    assert_eq!(last["errors"], json!([]));

    // Assets in several chunks too.
    let image = png(6000, 2);
    let answers =
        plugin.send_batch(&session, "assets", &json!({"assets": [asset("Attachments/img.png", &image)]}), 2000).await;
    assert!(answers.len() >= 3);
    let (status, last) = answers.last().unwrap();
    assert_eq!(*status, StatusCode::OK, "{last}");
    assert_eq!(last["publishedCount"], 1);

    let (status, finish) = plugin.finish(&session, 2, 1).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{finish}");
    assert_eq!(finish["sessionId"], session.as_str());
    assert_eq!(finish["status"], "queued");
    let job = finish["jobId"].as_str().unwrap();
    let realtime = &finish["realtime"];
    assert_eq!(realtime["transport"], "sse");
    assert!(
        realtime["streamUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/events/session/{session}/finalization?jobId={job}"))
    );
    assert!(!realtime["token"].as_str().unwrap().is_empty());
    assert!(realtime["expiresAt"].as_str().unwrap() > "2026-");

    let done = plugin.wait(&session).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["progress"], 100);
    assert_eq!(done["phase"], "completed");
    assert_eq!(done["jobId"], job);
    let stats = &done["result"]["promotionStats"];
    assert_eq!(
        (stats["notesPublished"].as_u64(), stats["notesDeleted"].as_u64(), stats["assetsPublished"].as_u64()),
        (Some(2), Some(0), Some(1))
    );

    // finish sent again (a retry after a transport error) replays the first answer.
    let (status, again) = plugin.finish(&session, 2, 1).await;
    assert_eq!((status, &again["jobId"]), (StatusCode::ACCEPTED, &finish["jobId"]));

    // The reader's site.
    let (status, page) = get(&app, "/blog/post-one").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // Links are relative to the page (`/blog/post-one`): `../other` is `/other`.
    assert!(page.contains("href=\"../other\""), "{page}");
    assert!(
        page.contains(&format!("src=\"../_blob/{}\"", sha256_hex(&image))),
        "images link to immutable URLs: {page}"
    );
    assert!(!page.contains("SECRET"), "cleanup rules applied");
    let (status, other) = get(&app, "/other").await;
    assert_eq!(status, StatusCode::OK);
    assert!(other.contains("href=\"blog/post-one\""), "{other}");
    let served = app.client.get(app.url("/assets/Attachments/img.png")).send().await.unwrap();
    assert_eq!(served.headers()["etag"], format!("\"{}\"", sha256_hex(&image)));
    assert_eq!(served.bytes().await.unwrap(), image);

    // The next start offers the skip hints of what is live.
    let next = plugin.start().await;
    assert_eq!(next["pipelineChanged"], false);
    assert_eq!(next["existingAssetHashes"], json!([sha256_hex(&image)]));
    let hashes = &next["existingSourceNoteHashesByVaultPath"];
    assert_eq!(hashes["Other.md"], sha256_hex("Back to [[Post One]].".as_bytes()));
}

#[tokio::test]
async fn skipped_pages_are_kept_and_an_inventory_makes_deletions_exact() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    let image = png(3000, 5);
    let a = note("A.md", "A embeds ![[pic.png]] and links [[B]].");
    let b = note("B.md", "B, version one.");
    plugin.publish(&[a, b.clone()], &[asset("pic.png", &image)]).await;

    // The plugin skips B (its hash was offered) and the image (its hash was offered); A changed.
    let start = plugin.start().await;
    let session = start["sessionId"].as_str().unwrap().to_owned();
    assert_eq!(start["existingSourceNoteHashesByVaultPath"]["B.md"], sha256_hex(b"B, version one."));
    let a2 = note("A.md", "A, version two, still with ![[pic.png]].");
    plugin.send_batch(&session, "notes", &json!({"notes": [a2]}), L / 2).await;
    plugin.finish(&session, 1, 1).await;
    let done = plugin.wait(&session).await;
    assert_eq!(done["result"]["promotionStats"]["notesDeduplicated"], 1);

    let (status, a_page) = get(&app, "/a").await;
    assert!(status == StatusCode::OK && a_page.contains("version two"), "{a_page}");
    assert_eq!(get(&app, "/b").await.0, StatusCode::OK, "B was skipped, not deleted");
    assert_eq!(app.client.get(app.url("/assets/pic.png")).send().await.unwrap().status(), StatusCode::OK);

    // A session with an inventory that lacks B: B goes, and so does an image only B showed.
    let b_only = png(2000, 6);
    plugin
        .publish(&[note("A.md", "A alone."), note("B.md", "B shows ![[only-b.png]]")], &[asset("only-b.png", &b_only)])
        .await;
    assert_eq!(app.client.get(app.url("/assets/only-b.png")).send().await.unwrap().status(), StatusCode::OK);
    let start = plugin.start().await;
    let session = start["sessionId"].as_str().unwrap().to_owned();
    let body = json!({"notesProcessed": 0, "assetsProcessed": 0, "inventory": ["A.md"]});
    let (status, _) =
        json_answer(plugin.post(&format!("/api/session/{session}/finish"), &body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let done = plugin.wait(&session).await;
    assert_eq!(done["result"]["promotionStats"]["notesDeleted"], 1);
    assert_eq!(get(&app, "/b").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/a").await.0, StatusCode::OK);
    assert_eq!(app.client.get(app.url("/assets/only-b.png")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_session_in_which_no_skip_was_offered_is_a_full_publish() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    plugin.publish(&[note("A.md", "a"), note("B.md", "b")], &[]).await;
    // Unticking deduplication forces a full publish: only what is uploaded stays.
    let mut start = start_body();
    start["deduplicationEnabled"] = json!(false);
    let (_, start) = json_answer(plugin.post("/api/session/start", &start).send().await.unwrap()).await;
    assert_eq!(start["existingSourceNoteHashesByVaultPath"], json!({}));
    let session = start["sessionId"].as_str().unwrap().to_owned();
    plugin.send_batch(&session, "notes", &json!({"notes": [note("A.md", "a")]}), L / 2).await;
    plugin.finish(&session, 1, 0).await;
    plugin.wait(&session).await;
    assert_eq!(get(&app, "/b").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_session_with_no_notes_completes_and_changes_nothing() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    let first = plugin.publish(&[note("A.md", "a")], &[]).await;
    let start = plugin.start().await;
    let session = start["sessionId"].as_str().unwrap().to_owned();
    plugin.finish(&session, 0, 0).await;
    let done = plugin.wait(&session).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["contentRevision"], first["contentRevision"], "no new revision for nothing new");
    assert_eq!(get(&app, "/a").await.0, StatusCode::OK);
}

#[tokio::test]
async fn only_the_live_revision_is_served_and_unknown_routes_are_404() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    let (status, home) = get(&app, "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing published: {home}");
    plugin.publish(&[note("Notes/Été Spécial.md", "accents")], &[]).await;
    let (status, home) = get(&app, "/").await;
    assert!(status == StatusCode::OK && home.contains("href=\"notes/ete-special\""), "a generated index: {home}");
    plugin.publish(&[note("index.md", "Welcome home."), note("Notes/Été Spécial.md", "accents")], &[]).await;
    let (status, home) = get(&app, "/").await;
    assert!(status == StatusCode::OK && home.contains("Welcome home."), "{home}");
    assert_eq!(get(&app, "/notes/ete-special").await.0, StatusCode::OK);
    for missing in ["/nothing", "/sessions", "/data/current", "/tmp", "/_blob/", "/api-key", "/notes/ete-special/extra"]
    {
        let (status, body) = get(&app, missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {body}");
        assert!(!body.contains("Welcome home."), "{missing}");
    }
    let response = app.client.get(app.url("/notes/ete-special/")).send().await.unwrap();
    assert_eq!(response.url().path(), "/notes/ete-special", "a trailing slash redirects to the page");
}

#[tokio::test]
async fn a_page_that_moves_leaves_a_redirect() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    plugin.publish(&[note("Old Name.md", "x")], &[]).await;
    let mut moved = note("New Name.md", "x");
    moved["vaultPath"] = json!("Old Name.md");
    plugin.publish(&[moved], &[]).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(app.url("/old-name")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(response.headers()["location"], "/new-name");
}

#[tokio::test]
async fn two_sessions_finishing_at_once_both_publish_in_some_order() {
    let app = spawn_app().await;
    let (one, two) = (app.plugin(), app.plugin());
    let (notes_one, notes_two) = ([note("One.md", "1")], [note("Two.md", "2")]);
    let (first, second) = tokio::join!(one.publish(&notes_one, &[]), two.publish(&notes_two, &[]));
    let revisions = [first["contentRevision"].as_str().unwrap(), second["contentRevision"].as_str().unwrap()];
    assert_ne!(revisions[0], revisions[1]);
    // Both were full publishes, so the later one is the site: exactly one of the two pages.
    let served = [get(&app, "/one").await.0, get(&app, "/two").await.0];
    assert_eq!(served.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{served:?}");
}

#[tokio::test]
async fn the_event_stream_delivers_each_event_as_it_happens_even_when_gzip_is_accepted() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    let start = plugin.start().await;
    let session = start["sessionId"].as_str().unwrap().to_owned();
    let notes: Vec<Value> = (0..150)
        .map(|i| note(&format!("N{i}.md"), &format!("Note {i} [[N{}]]\n\n{}", i + 1, noise(2000, i as u8))))
        .collect();
    plugin.send_batch(&session, "notes", &json!({"notes": notes}), L / 2).await;
    let (_, finish) = plugin.finish(&session, 150, 0).await;
    let realtime = &finish["realtime"];
    let url = format!(
        "{}{}&token={}",
        app.base,
        realtime["streamUrl"].as_str().unwrap(),
        realtime["token"].as_str().unwrap()
    );
    let mut response = app.client.get(url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert!(response.headers().get("content-encoding").is_none(), "never compressed");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");

    // (event name, data, which read of the body it came in)
    let mut events = Vec::new();
    let mut buffer = String::new();
    let mut reads = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        reads += 1;
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let name = frame.lines().find_map(|l| l.strip_prefix("event: ")).unwrap().to_owned();
            let data: Value =
                serde_json::from_str(frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
            events.push((name, data, reads));
        }
    }
    let names: Vec<&str> = events.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"connected"), "{names:?}");
    assert_eq!(names.last(), Some(&"completed"), "{names:?}");
    assert!(names.contains(&"status"), "{names:?}");
    // Each event is written as it happens: `connected` arrives in an earlier read of the body
    // than `completed` (behind a compressor, everything would come in one piece at the end).
    let (first, last) = (events.first().unwrap().2, events.last().unwrap().2);
    assert!(first < last, "all events arrived at once: {names:?}");
    let progress: Vec<u64> = events.iter().map(|(_, d, _)| d["progress"].as_u64().unwrap()).collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "progress never goes back: {progress:?}");
}

#[tokio::test]
async fn route_bases_custom_index_pages_and_flattened_folders_route_like_the_reference() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    let in_blog = |vault_path: &str, relative: &str, content: &str, flatten: bool| {
        let mut n = note(vault_path, content);
        n["relativePath"] = json!(relative);
        n["folderConfig"] = json!({"id": "blog", "vpsId": "v1", "vaultFolder": "Blog", "routeBase": "/blog", "ignoredCleanupRuleIds": [], "flattenTree": flatten});
        n
    };
    let mut start = start_body();
    start["customIndexConfigs"] = json!([{"id": "c1", "folderPath": "/blog", "indexFilePath": "Blog/_index.md"}]);
    let (_, started) = json_answer(plugin.post("/api/session/start", &start).send().await.unwrap()).await;
    let session = started["sessionId"].as_str().unwrap().to_owned();
    let notes = json!({"notes": [
        in_blog("Blog/Note A.md", "Note A.md", "A", false),
        in_blog("Blog/Sub Dir/Été Spécial.md", "Sub Dir/Été Spécial.md", "summer", false),
        in_blog("Blog/_index.md", "_index.md", "The blog's front page.", false),
    ]});
    plugin.send_batch(&session, "notes", &notes, L / 2).await;
    plugin.finish(&session, 3, 0).await;
    assert_eq!(plugin.wait(&session).await["status"], "completed");

    assert_eq!(get(&app, "/blog/note-a").await.0, StatusCode::OK);
    assert_eq!(get(&app, "/blog/sub-dir/ete-special").await.0, StatusCode::OK);
    let (status, index) = get(&app, "/blog").await;
    assert!(status == StatusCode::OK && index.contains("front page"), "{index}");
}
