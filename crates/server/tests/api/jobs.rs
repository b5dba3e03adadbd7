//! Finalizations are fair and cancellable, and the state the server keeps on disk is never
//! trusted blindly: what a client and an operator see.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};
use vps_server::test_util::start_app;
use vps_testkit::{L, Plugin, note};

use crate::helpers::{ApiTestApp, KEY, Multipart, json_answer, png, spawn_app, spawn_app_with};

/// Enough tiny notes that finalizing them takes a while on any machine (each is routed,
/// linked, rendered and stored), so that a test can act while the job runs.
fn bulk_notes(count: usize, tag: &str) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let next = (i + 1) % count;
            note(
                &format!("Bulk/{tag} {i}.md"),
                &format!("# {tag} {i}\n\nSee [[{tag} {next}]] and [[{tag} {}]].\n\n- one\n- two #t{}\n", i / 2, i % 7),
            )
        })
        .collect()
}

async fn page_status(plugin: &Plugin, path: &str) -> StatusCode {
    plugin.client.get(plugin.url(path)).send().await.unwrap().status()
}

async fn abort(plugin: &Plugin, session: &str) -> (StatusCode, Value) {
    json_answer(plugin.post(&format!("/api/session/{session}/abort"), &json!({})).send().await.unwrap()).await
}

/// Polls until the job runs; `false` if it ended first.
async fn until_processing(plugin: &Plugin, session: &str) -> bool {
    loop {
        let status = plugin.status(session).await;
        match status["status"].as_str().unwrap() {
            "processing" => return true,
            "completed" | "failed" => return false,
            _ => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
        }
    }
}

/// Every SSE event of a job until the stream ends: (event name, data).
async fn events(plugin: &Plugin, finish: &Value) -> Vec<(String, Value)> {
    let realtime = &finish["realtime"];
    let url = format!(
        "{}{}&token={}",
        plugin.base,
        realtime["streamUrl"].as_str().unwrap(),
        realtime["token"].as_str().unwrap()
    );
    let text = plugin.client.get(url).send().await.unwrap().text().await.unwrap();
    text.split("\n\n")
        .filter(|frame| !frame.is_empty())
        .map(|frame| {
            let name = frame.lines().find_map(|l| l.strip_prefix("event: ")).unwrap().to_owned();
            let data = serde_json::from_str(frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
            (name, data)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalization_over_its_time_budget_fails_naming_the_setting_and_the_next_publish_runs() {
    let app = spawn_app_with(|s| s.sessions.finalization_timeout_secs = 1).await;
    let plugin = app.plugin();
    plugin.publish(&[note("Home.md", "home v1")], &[]).await;

    // Thousands of notes take longer than a second to finalize; on a machine fast enough to
    // finish them within it, four times more.
    let mut count = 3000;
    let (failed, next, tag) = loop {
        let tag = format!("Slow{count}");
        let slow = plugin.upload_and_finish(&bulk_notes(count, &tag), &[]).await;
        let next = plugin.upload_and_finish(&[note("After.md", "after")], &[]).await;
        let failed = plugin.wait(&slow).await;
        if failed["status"] == "failed" || count > 20_000 {
            break (failed, next, tag.to_lowercase());
        }
        plugin.wait(&next).await;
        count *= 4;
    };
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(
        failed["error"],
        "the finalization took longer than FINALIZATION_TIMEOUT_SECS (1 s) and was stopped; the live site is unchanged"
    );
    let done = plugin.wait(&next).await;
    assert_eq!(done["status"], "completed", "the publish queued behind it runs: {done}");
    assert_eq!(page_status(&plugin, "/home").await, StatusCode::OK);
    assert_eq!(page_status(&plugin, "/after").await, StatusCode::OK);
    let first_page = format!("/bulk/{tag}-0");
    assert_eq!(page_status(&plugin, &first_page).await, StatusCode::NOT_FOUND, "nothing of the slow one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_during_a_running_finalization_stops_it_and_the_live_site_stays() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    plugin.publish(&[note("Home.md", "home v1")], &[]).await;

    // Abort as soon as the job runs; if it ended first (a very fast machine), try again.
    let mut tries = 0;
    let (session, finish) = loop {
        tries += 1;
        assert!(tries <= 5, "the abort never landed while the job ran");
        let start = plugin.start().await;
        let session = start["sessionId"].as_str().unwrap().to_owned();
        let notes = json!({"notes": bulk_notes(3000, "Big")});
        let answers = plugin.send_batch(&session, "notes", &notes, L / 2).await;
        assert_eq!(answers.last().unwrap().0, StatusCode::OK);
        let (status, finish) = plugin.finish(&session, 3000, 0).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{finish}");
        if !until_processing(&plugin, &session).await {
            continue;
        }
        let (status, answer) = abort(&plugin, &session).await;
        if status == StatusCode::CONFLICT {
            continue; // it was publishing already
        }
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer, json!({"sessionId": session, "success": true}));
        break (session, finish);
    };

    let failed = plugin.status(&session).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("aborted"), "{failed}");
    let seen = events(&plugin, &finish).await;
    let (last, data) = seen.last().unwrap();
    assert_eq!(last, "failed", "{seen:?}");
    assert!(data["error"].as_str().unwrap().contains("aborted"), "{data}");
    // Aborting again is fine; the job stays failed and nothing of it goes live.
    assert_eq!(abort(&plugin, &session).await.0, StatusCode::OK);
    assert_eq!(page_status(&plugin, "/bulk/big-0").await, StatusCode::NOT_FOUND);
    assert_eq!(page_status(&plugin, "/home").await, StatusCode::OK);

    plugin.publish(&[note("Later.md", "later")], &[]).await;
    assert_eq!(page_status(&plugin, "/later").await, StatusCode::OK);
    assert_eq!(plugin.status(&session).await["status"], "failed");
    assert_eq!(page_status(&plugin, "/bulk/big-0").await, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_publish_says_how_many_are_ahead_and_aborting_it_takes_it_out_of_the_line() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    let mut tries = 0;
    let (first, queued) = loop {
        tries += 1;
        assert!(tries <= 5, "the second publish never waited behind the first");
        let first = plugin.upload_and_finish(&bulk_notes(3000, "First"), &[]).await;
        let queued = plugin.upload_and_finish(&[note("Queued.md", "queued")], &[]).await;
        let status = plugin.status(&queued).await;
        if status["status"] != "pending" {
            continue; // the first one ended already
        }
        assert_eq!(status["phase"], "queued");
        assert_eq!(status["queuedAhead"], 1, "{status}");
        break (first, queued);
    };
    let (status, answer) = abort(&plugin, &queued).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let failed = plugin.status(&queued).await;
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("aborted"), "{failed}");
    assert!(failed.get("queuedAhead").is_none(), "{failed}");

    let (status, _) = abort(&plugin, &first).await;
    if status == StatusCode::OK {
        assert_eq!(plugin.wait(&first).await["status"], "failed");
    }
    plugin.publish(&[note("Next.md", "next")], &[]).await;
    assert_eq!(page_status(&plugin, "/next").await, StatusCode::OK);
    assert_eq!(page_status(&plugin, "/queued").await, StatusCode::NOT_FOUND, "an aborted job never runs");
    assert_eq!(plugin.status(&queued).await["status"], "failed");
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|list| list.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn start_up_quarantines_state_files_that_cannot_be_trusted_and_serves() {
    let data = tempfile::tempdir().unwrap();
    let server = start_app(data.path(), |_| {}).await;
    let plugin = Plugin::new(&server.base, KEY);
    plugin.publish(&[note("Home.md", "home")], &[]).await;
    // A chunked upload half sent, a session open, a finished job: each gets a corrupt file.
    let chunked = plugin.start().await["sessionId"].as_str().unwrap().to_owned();
    let gz = vps_testkit::gzip(&serde_json::to_vec(&json!({"notes": [note("A.md", &"a".repeat(5000))]})).unwrap());
    let upload_id = format!("notes-{chunked}-{}", vps_testkit::uuid_like());
    let first = vps_testkit::envelope(&upload_id, 0, 2, 9999, gz.len(), &gz[..gz.len() / 2]);
    let path = format!("/api/session/{chunked}/notes/upload");
    assert_eq!(json_answer(plugin.post(&path, &first).send().await.unwrap()).await.0, StatusCode::ACCEPTED);
    let open = plugin.start().await["sessionId"].as_str().unwrap().to_owned();
    let finished = plugin.upload_and_finish(&[note("Done.md", "done")], &[]).await;
    plugin.wait(&finished).await;
    server.stop().await;

    let uploads = data.path().join(format!("chunks/{chunked}/notes"));
    let meta = uploads.join(&entries(&uploads)[0]).join("meta.json");
    let huge = json!({"totalChunks": 1_000_000_000_000_000u64, "originalSize": 9999, "compressedSize": 1_000_000_000_000_000u64});
    std::fs::write(&meta, huge.to_string()).unwrap();
    std::fs::write(data.path().join(format!("sessions/{open}/session.json")), b"{\"id\": 12").unwrap();
    std::fs::write(data.path().join(format!("sessions/{finished}/job.json")), b"\0\0garbage").unwrap();

    let server = start_app(data.path(), |_| {}).await;
    let plugin = Plugin::new(&server.base, KEY);
    let quarantined = entries(&data.path().join("quarantine"));
    assert_eq!(quarantined.len(), 3, "{quarantined:?}");
    for (kind, name) in [("chunks", &chunked), ("job", &finished), ("session", &open)] {
        let found =
            quarantined.iter().any(|entry| entry.starts_with(&format!("{kind}-")) && entry.contains(name.as_str()));
        assert!(found, "{kind} of {name} not in {quarantined:?}");
    }
    // The server serves and publishes; what was set aside is simply gone.
    assert_eq!(page_status(&plugin, "/home").await, StatusCode::OK);
    let (status, _) = json_answer(plugin.post(&path, &first).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "the chunked upload starts again from its first chunk");
    let response = plugin.client.get(plugin.url(&format!("/api/session/{open}/status"))).header("x-api-key", KEY);
    assert_eq!(response.send().await.unwrap().status(), StatusCode::NOT_FOUND);
    plugin.publish(&[note("Later.md", "later")], &[]).await;
    assert_eq!(page_status(&plugin, "/later").await, StatusCode::OK);

    // The same bound on the request path: a chunk declaring 10^15 chunks is refused.
    let session = plugin.start().await["sessionId"].as_str().unwrap().to_owned();
    let mut envelope =
        vps_testkit::envelope(&format!("notes-{session}-{}", vps_testkit::uuid_like()), 0, 1, 10, 10, b"0123456789");
    envelope["metadata"]["totalChunks"] = json!(1_000_000_000_000_000u64);
    let (status, body) =
        json_answer(plugin.post(&format!("/api/session/{session}/notes/upload"), &envelope).send().await.unwrap())
            .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too-many-chunks")), "{body}");
    server.stop().await;
}

fn line_count(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|text| text.lines().count()).unwrap_or(0)
}

#[tokio::test]
async fn each_upload_appends_one_record_however_many_assets_the_session_holds() {
    let data = tempfile::tempdir().unwrap();
    let server = start_app(data.path(), |_| {}).await;
    let session = {
        let plugin = Plugin::new(&server.base, KEY);
        plugin.start().await["sessionId"].as_str().unwrap().to_owned()
    };
    let dir = data.path().join(format!("sessions/{session}"));
    let header_len = std::fs::metadata(dir.join("session.json")).unwrap().len();
    let client = reqwest::Client::new();
    let upload = |path: String, bytes: Vec<u8>| {
        let mut form = Multipart::new();
        form.file("assets", &path, &bytes);
        let (content_type, body) = form.finish();
        client
            .post(format!("{}/api/session/{session}/assets/upload", server.base))
            .header("x-api-key", KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let mut grown = Vec::new();
    for i in 0..40u8 {
        let before = std::fs::metadata(dir.join("assets.jsonl")).map_or(0, |m| m.len());
        let response = upload(format!("img/{i:03}.png"), png(300, i)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        grown.push(std::fs::metadata(dir.join("assets.jsonl")).unwrap().len() - before);
        assert_eq!(
            std::fs::metadata(dir.join("session.json")).unwrap().len(),
            header_len,
            "the header is not rewritten"
        );
    }
    assert_eq!(line_count(&dir.join("assets.jsonl")), 40, "one line per upload");
    let (least, most) = (grown.iter().min().unwrap(), grown.iter().max().unwrap());
    assert!(most - least <= 2, "an upload writes the same few bytes whatever came before: {grown:?}");
    // The same path uploaded again: one more line, and the later record wins.
    let replacement = png(400, 200);
    upload("img/000.png".into(), replacement.clone()).await.unwrap();
    server.stop().await;

    // A crash while a record was appended leaves a torn last line: it is dropped at start-up.
    let mut journal = std::fs::OpenOptions::new().append(true).open(dir.join("assets.jsonl")).unwrap();
    std::io::Write::write_all(&mut journal, b"{\"op\":\"put\",\"at\":1,\"path\":\"img/tor").unwrap();
    drop(journal);
    let server = start_app(data.path(), |_| {}).await;
    let plugin = Plugin::new(&server.base, KEY);
    assert_eq!(line_count(&dir.join("assets.jsonl")), 41, "the torn line is cut off");
    let notes = [note("Gallery.md", "![[img/000.png]] ![[img/039.png]]")];
    let answers = plugin.send_batch(&session, "notes", &json!({"notes": notes}), L / 2).await;
    assert_eq!(answers.last().unwrap().0, StatusCode::OK);
    let (status, _) = plugin.finish(&session, 1, 41).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let done = plugin.wait(&session).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["promotionStats"]["assetsPublished"], 40, "{done}");
    let page = plugin.client.get(plugin.url("/gallery")).send().await.unwrap().text().await.unwrap();
    let replaced = crate::helpers::sha256_hex(&replacement);
    // Relative to `/gallery`: `_blob/…` is `/_blob/…`.
    assert!(page.contains(&format!("\"_blob/{replaced}\"")), "the later upload of a path wins: {page}");
    server.stop().await;
}
