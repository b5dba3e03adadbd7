//! Crash consistency: the server is killed (SIGKILL, no chance to clean up) at moments spread
//! over a finalization, twenty times, each time during another publish. After each restart the
//! site serves one complete revision — every page of the old one or every page of the new one —
//! the interrupted job runs again to completion, and no temp file is left.
//!
//! A job whose run stops the server a second time is not run again: it fails, and the server
//! stays up and publishes (no crash loop, whatever a publish holds).

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};
use vps_testkit::{Plugin, note, start_body};

use crate::Server;

const KEY: &str = "crash-test-key-123";
const PAGES: usize = 60;

fn version_notes(version: usize) -> Vec<Value> {
    (0..PAGES)
        .map(|i| {
            note(
                &format!("Note {i}.md"),
                &format!(
                    "marker-v{version}-end\n\nLinks to [[Note {}]].\n\n{}",
                    (i + 1) % PAGES,
                    "lorem ipsum ".repeat(200)
                ),
            )
        })
        .collect()
}

/// Uploads a full (not incremental) publish of `version` and sends `finish`; returns the session.
async fn finish_version(plugin: &Plugin, version: usize) -> String {
    let mut start = start_body();
    start["deduplicationEnabled"] = json!(false);
    let (_, started) = vps_testkit::json_answer(plugin.post("/api/session/start", &start).send().await.unwrap()).await;
    let session = started["sessionId"].as_str().unwrap().to_owned();
    plugin.send_batch(&session, "notes", &json!({"notes": version_notes(version)}), vps_testkit::L / 2).await;
    let (status, body) = plugin.finish(&session, PAGES, 0).await;
    assert_eq!(status.as_u16(), 202, "{body}");
    session
}

fn marker(html: &str) -> usize {
    html.split("marker-v").nth(1).and_then(|rest| rest.split('-').next()).unwrap().parse().unwrap()
}

/// What the pointer names on disk, read while no server runs: the revision must be complete
/// (every page's HTML stored) and of one version.
fn version_on_disk(data: &Path) -> usize {
    let current = std::fs::read_to_string(data.join("current")).unwrap();
    let file = data.join("revisions").join(format!("{}.json", current.trim()));
    let revision: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let pages = revision["pages"].as_object().unwrap();
    assert_eq!(pages.len(), PAGES);
    let mut versions: Vec<usize> = pages
        .values()
        .map(|page| {
            let hex = page["htmlBlob"].as_str().unwrap();
            let blob = data.join("blobs/sha256").join(&hex[..2]).join(&hex[2..4]).join(hex);
            marker(&std::fs::read_to_string(&blob).unwrap_or_else(|_| panic!("missing page blob {hex}")))
        })
        .collect();
    versions.dedup();
    assert_eq!(versions.len(), 1, "a mixed revision: {versions:?}");
    versions[0]
}

/// The version every page is served with (once no job is running).
async fn served_version(plugin: &Plugin) -> usize {
    let mut versions = Vec::new();
    for i in 0..PAGES {
        let page = plugin.client.get(plugin.url(&format!("/note-{i}"))).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200, "page {i} is missing");
        versions.push(marker(&page.text().await.unwrap()));
    }
    versions.dedup();
    assert_eq!(versions.len(), 1, "a mixed site: {versions:?}");
    versions[0]
}

fn stale_temp_files(data: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(data.join("tmp")).into_iter().flatten().flatten();
    entries.map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_server_during_finalization_never_leaves_a_mixed_site() {
    let data = tempfile::tempdir().unwrap();
    let env = [("API_KEY", KEY), ("RUST_LOG", "info")];
    let mut server = Server::start(data.path(), &env);
    let mut plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);

    // Version 1, timed, to know how long a finalization takes here.
    let started = Instant::now();
    let session = finish_version(&plugin, 1).await;
    let upload_done = started.elapsed();
    plugin.wait(&session).await;
    let finalization = started.elapsed() - upload_done;
    assert_eq!(served_version(&plugin).await, 1);

    let mut live = 1;
    let mut interrupted = 0;
    for round in 0..20u32 {
        let version = round as usize + 2;
        let session = finish_version(&plugin, version).await;
        // Moments spread from right after `finish` to a little past the usual end.
        let delay = finalization.mul_f64(f64::from(round) / 16.0);
        tokio::time::sleep(delay).await;
        server.signal("-KILL");
        let _ = server.wait();

        let seen = version_on_disk(data.path());
        assert!(seen == live || seen == version, "round {round}: v{seen} on disk, expected v{live} or v{version}");
        server = Server::start(data.path(), &env);
        plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
        if seen == live {
            interrupted += 1; // killed before the pointer moved: the job runs again at start-up
        }
        let done = plugin.wait(&session).await;
        assert_eq!(done["status"], "completed", "round {round}: {done}");
        assert_eq!(served_version(&plugin).await, version, "round {round}");
        live = version;
        assert!(stale_temp_files(data.path()).is_empty(), "round {round}: {:?}", stale_temp_files(data.path()));
    }
    server.signal("-TERM");
    let _ = server.wait();
    // The kills must really have landed before publication, or this test proves nothing.
    assert!(
        interrupted >= 5,
        "only {interrupted} of 20 kills landed before the pointer moved (finalization {finalization:?})"
    );
}

/// Generated notes, enough that their finalization takes seconds.
fn bulk_notes(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            note(&format!("Bulk/B{i}.md"), &format!("# B{i}\n\nSee [[B{}]] and [[B{}]].\n", (i + 1) % count, i / 2))
        })
        .collect()
}

/// Waits for the log line saying that `session`'s finalization started (a run is under way).
fn wait_for_run(server: &mut Server, session: &str) {
    while !server.wait_for_line("finalization started").contains(session) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalization_that_stops_the_server_twice_is_failed_and_not_run_again() {
    let data = tempfile::tempdir().unwrap();
    let env = [("API_KEY", KEY), ("RUST_LOG", "info")];
    let mut server = Server::start(data.path(), &env);
    let mut plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    plugin.publish(&[note("Home.md", "home v1")], &[]).await;
    let notes = bulk_notes(3000);

    let mut tries = 0;
    let failed = loop {
        tries += 1;
        assert!(tries <= 3, "the kills never landed during the runs");
        let session = plugin.upload_and_finish(&notes, &[]).await;
        // Killed during its run, twice: once as first queued, once as re-run at start-up.
        for _ in 0..2 {
            wait_for_run(&mut server, &session);
            server.signal("-KILL");
            let _ = server.wait();
            server = Server::start(data.path(), &env);
        }
        plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
        let status = plugin.status(&session).await;
        if status["status"] == "failed" {
            break status;
        }
        // A run ended before its kill (a very fast machine): let it end, and try again.
        plugin.wait(&session).await;
    };
    assert!(
        failed["error"].as_str().unwrap().contains("the finalization stopped the server twice; not run again"),
        "{failed}"
    );
    // Up, serving the old site, and publishing.
    let page = plugin.client.get(plugin.url("/home")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(plugin.client.get(plugin.url("/bulk/b0")).send().await.unwrap().status().as_u16(), 404);
    plugin.publish(&[note("After.md", "after")], &[]).await;
    assert_eq!(plugin.client.get(plugin.url("/after")).send().await.unwrap().status().as_u16(), 200);
    // Not run again at the next start either.
    server.signal("-TERM");
    let (code, _, lines) = server.wait();
    assert_eq!(code, Some(0));
    assert!(!lines.iter().any(|l| l.contains("panicked")), "{lines:?}");
    let server = Server::start(data.path(), &env);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    assert_eq!(plugin.status(failed["sessionId"].as_str().unwrap()).await["status"], "failed");
}

/// A publish over a limit, killed while it runs: the restarted server runs it again, the limit
/// fails it (naming the note and the setting) and the server stays up, serving the old site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_an_over_limit_finalization_restarts_and_the_job_fails_naming_the_limit() {
    let data = tempfile::tempdir().unwrap();
    let env = [("API_KEY", KEY), ("RUST_LOG", "info")];
    let mut server = Server::start(data.path(), &env);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    plugin.publish(&[note("Home.md", "home v1")], &[]).await;
    // Rendered after the bulk notes (pages are rendered in vault path order): 120 embeds of a
    // 30 KB note transclude 3.6 MB, over the default MAX_TRANSCLUSION_BYTES (2 MB).
    let mut notes = bulk_notes(3000);
    notes.push(note("Zz/Big.md", &"word ".repeat(6_000)));
    notes.push(note("Zz/Over.md", &"![[Big]]\n".repeat(120)));
    let session = plugin.upload_and_finish(&notes, &[]).await;
    wait_for_run(&mut server, &session);
    server.signal("-KILL");
    let _ = server.wait();

    let mut server = Server::start(data.path(), &env);
    // The kill landed during the run: the restarted server runs the job again.
    wait_for_run(&mut server, &session);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    let failed = plugin.wait(&session).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = failed["error"].as_str().unwrap();
    assert!(error.starts_with("note \"Zz/Over.md\":") && error.contains("MAX_TRANSCLUSION_BYTES"), "{error}");
    assert_eq!(plugin.client.get(plugin.url("/home")).send().await.unwrap().status().as_u16(), 200);
    assert_eq!(plugin.client.get(plugin.url("/bulk/b0")).send().await.unwrap().status().as_u16(), 404);
    plugin.publish(&[note("After.md", "after")], &[]).await;
    assert_eq!(plugin.client.get(plugin.url("/after")).send().await.unwrap().status().as_u16(), 200);
    server.signal("-TERM");
    let (code, _, lines) = server.wait();
    assert_eq!(code, Some(0), "the server stayed up until asked to stop");
    assert!(!lines.iter().any(|l| l.contains("panicked")), "{lines:?}");
}
