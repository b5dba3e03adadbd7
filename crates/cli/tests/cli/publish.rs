//! `vps-publish publish`: the real binary against the real server (in-process, port 0).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::BIN;

pub(crate) use vps_server::test_util::{KEY, TestApp, spawn_app_with};

/// Runs `vps-publish publish <vault> --json --yes …` off the async runtime.
pub(crate) async fn publish(vault: &Path, server: &str, key: &str, extra: &[&str]) -> Output {
    let (vault, server, key) = (vault.to_owned(), server.to_owned(), key.to_owned());
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .arg("publish")
            .arg(&vault)
            .args(["--server", &server, "--json", "--yes"])
            .args(&extra)
            .env("VPS_PUBLISH_API_KEY", &key)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// A server that takes large files, and a vault whose note embeds a 1 GiB video: an MP4 header,
/// then a sparse GiB (cheap to make, a real GiB to read and send).
async fn server_and_a_vault_with_a_1_gib_video() -> (TestApp, tempfile::TempDir) {
    let server = spawn_app_with(|s| {
        s.uploads.max_asset_size_bytes = 2 * 1024 * 1024 * 1024;
        s.uploads.max_request_bytes = 4 * 1024 * 1024 * 1024;
    })
    .await;
    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join("Video.md"), "![[big.mp4]]").unwrap();
    let file = std::fs::File::create(vault.path().join("big.mp4")).unwrap();
    std::io::Write::write_all(&mut &file, b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2").unwrap();
    file.set_len(1024 * 1024 * 1024).unwrap();
    (server, vault)
}

/// `vps-publish publish` started in the background, its output piped.
fn spawn_publish(vault: &Path, server: &str) -> std::process::Child {
    Command::new(BIN)
        .arg("publish")
        .arg(vault)
        .args(["--server", server, "--json", "--yes"])
        .env("VPS_PUBLISH_API_KEY", KEY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

pub(crate) fn summary(output: &Output) -> Value {
    assert!(output.status.success(), "exit {:?}: {}", output.status.code(), String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("a JSON summary: {}", String::from_utf8_lossy(&output.stdout)))
}

fn help_vault() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vaults/obsidian-help-en")
}

async fn status(server: &TestApp, path: &str) -> u16 {
    reqwest::get(format!("{}{path}", server.base)).await.unwrap().status().as_u16()
}

async fn metric(server: &TestApp, name: &str) -> u64 {
    let text = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    text.lines().find_map(|line| line.strip_prefix(&format!("{name} "))).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_the_help_vault_then_only_what_changed_then_a_deletion() {
    let server = spawn_app_with(|_| {}).await;
    let vault = tempfile::tempdir().unwrap();
    vps_testkit::copy_dir(&help_vault(), vault.path()).unwrap();

    let first = summary(&publish(vault.path(), &server.base, KEY, &[]).await);
    assert_eq!(first["pages_published"], 173, "{first}");
    assert!(first["assets_uploaded"].as_u64().unwrap() > 100, "{first}");
    assert_eq!(status(&server, "/editing-and-formatting/callouts").await, 200);

    // One note and one image change.
    let note = vault.path().join("Editing and formatting/Callouts.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(&note, format!("{text}\n\nA line added by the test.\n")).unwrap();
    let image = vault.path().join("Attachments/Engelbart.jpg");
    let mut bytes = std::fs::read(&image).unwrap();
    bytes.extend_from_slice(b"trailing bytes that change the hash");
    std::fs::write(&image, &bytes).unwrap();
    let uploaded_before = metric(&server, "vps_upload_bytes_total").await;

    let second = summary(&publish(vault.path(), &server.base, KEY, &[]).await);
    assert_eq!(second["pages_published"], 1, "{second}");
    assert_eq!(second["pages_unchanged"], 172, "{second}");
    assert_eq!(second["assets_uploaded"], 1, "{second}");
    let first_bytes = first["bytes_sent"].as_u64().unwrap();
    let second_bytes = second["bytes_sent"].as_u64().unwrap();
    assert!(
        second_bytes < (bytes.len() as u64) + 200_000,
        "only the changed bytes travel: {second_bytes} of {first_bytes}"
    );
    assert_eq!(
        metric(&server, "vps_upload_bytes_total").await - uploaded_before,
        bytes.len() as u64,
        "the server received just the image"
    );
    let page =
        reqwest::get(format!("{}/editing-and-formatting/callouts", server.base)).await.unwrap().text().await.unwrap();
    assert!(page.contains("A line added by the test."));

    // A deleted note's page goes.
    std::fs::remove_file(vault.path().join("Editing and formatting/Callouts.md")).unwrap();
    let third = summary(&publish(vault.path(), &server.base, KEY, &[]).await);
    assert_eq!(third["pages_removed"], 1, "{third}");
    assert_eq!(status(&server, "/editing-and-formatting/callouts").await, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_changes_nothing_on_the_server() {
    let server = spawn_app_with(|_| {}).await;
    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join("Note.md"), "# Note\n\nHello.").unwrap();
    let output = publish(vault.path(), &server.base, KEY, &["--dry-run"]).await;
    let summary = summary(&output);
    assert_eq!(summary["dry_run"], true);
    assert_eq!(status(&server, "/note").await, 404);
    let sessions = std::fs::read_dir(server.data.path().join("sessions")).unwrap().count();
    assert_eq!(sessions, 0, "no session was started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_unreachable_server_and_bad_config_have_their_exit_codes() {
    let server = spawn_app_with(|_| {}).await;
    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join("Note.md"), "Hello.").unwrap();

    let wrong = publish(vault.path(), &server.base, "not-the-right-key", &[]).await;
    assert_eq!(wrong.status.code(), Some(4), "{}", String::from_utf8_lossy(&wrong.stderr));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.to_lowercase().contains("key"), "{stderr}");
    assert!(!stderr.contains("not-the-right-key"), "the key is never echoed");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let down = publish(vault.path(), &closed, KEY, &[]).await;
    assert_eq!(down.status.code(), Some(5), "{}", String::from_utf8_lossy(&down.stderr));

    std::fs::write(vault.path().join(".vps-publish.toml"), "this is = = not toml").unwrap();
    let bad = publish(vault.path(), &server.base, KEY, &[]).await;
    assert_eq!(bad.status.code(), Some(3), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(String::from_utf8_lossy(&bad.stderr).contains(".vps-publish.toml"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_site_options_json_exits_3_before_anything_is_sent_and_wrong_types_are_warned() {
    let server = spawn_app_with(|_| {}).await;
    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join("Note.md"), "Hello.").unwrap();
    std::fs::write(vault.path().join("site-options.json"), "{\"siteName\": \"Site\",,}").unwrap();
    let bad = publish(vault.path(), &server.base, KEY, &[]).await;
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("site-options.json is not a JSON object") && stderr.contains("(site-options-invalid)"));
    assert_eq!(status(&server, "/note").await, 404, "nothing published");

    std::fs::write(vault.path().join("site-options.json"), "{\"siteName\": \"Mine\", \"showSearch\": \"no\"}").unwrap();
    let output = publish(vault.path(), &server.base, KEY, &[]).await;
    let done = summary(&output);
    assert_eq!(done["warnings"], 1, "{done}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: site-options.json: `showSearch` is not true or false; it is ignored"),
        "{stderr}"
    );
    let page = reqwest::get(format!("{}/note", server.base)).await.unwrap().text().await.unwrap();
    assert!(page.contains("<title>Note · Mine</title>") && page.contains("site-search"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_with_a_1_gib_asset_publishes_in_bounded_client_memory() {
    let (server, vault) = server_and_a_vault_with_a_1_gib_video().await;

    let (vault_path, base) = (vault.path().to_owned(), server.base.clone());
    let (output, peak_kib) = tokio::task::spawn_blocking(move || {
        let child = spawn_publish(&vault_path, &base);
        crate::wait_with_peak_rss(child)
    })
    .await
    .unwrap();
    let summary = summary(&output);
    assert_eq!(summary["assets_uploaded"], 1, "{summary}");
    assert!(peak_kib < 64 * 1024, "client peak RSS {} MiB", peak_kib / 1024);
    eprintln!("client peak RSS publishing a 1 GiB asset: {:.1} MiB", peak_kib as f64 / 1024.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_without_streaming_get_the_plugins_json_protocol() {
    let server = spawn_app_with(|s| s.uploads.streaming_enabled = false).await;
    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join("Note.md"), "![[pic.png]]").unwrap();
    std::fs::write(vault.path().join("pic.png"), b"\x89PNG\r\n\x1a\nsome picture bytes").unwrap();
    let output = publish(vault.path(), &server.base, KEY, &[]).await;
    let summary = summary(&output);
    assert_eq!(summary["assets_uploaded"], 1, "{summary}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("JSON protocol"));
    let page = reqwest::get(format!("{}/note", server.base)).await.unwrap().text().await.unwrap();
    assert!(page.contains("src=\"_blob/"), "the image is shown (relative to /note): {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_the_server_refuses_exits_6_and_init_writes_a_starter_once() {
    let server = spawn_app_with(|_| {}).await;
    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join("Note.md"), "Hello.").unwrap();

    let init = || Command::new(BIN).arg("init").arg(vault.path()).output().unwrap();
    let first = init();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let starter = std::fs::read_to_string(vault.path().join(".vps-publish.toml")).unwrap();
    assert!(starter.contains("cleanup_rules") && starter.contains("ignored_tags"), "a commented starter");
    assert_eq!(init().status.code(), Some(3), "never overwrites");

    // A cleanup rule the server cannot compile: the publish job fails, the site is untouched.
    std::fs::write(
        vault.path().join(".vps-publish.toml"),
        "[[cleanup_rules]]\nid = \"broken\"\nname = \"broken\"\nregex = \"(unclosed\"\nreplacement = \"\"\n",
    )
    .unwrap();
    let refused = publish(vault.path(), &server.base, KEY, &[]).await;
    assert_eq!(refused.status.code(), Some(6), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("broken"));
    assert_eq!(status(&server, "/note").await, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_aborts_the_session_on_the_server() {
    let (server, vault) = server_and_a_vault_with_a_1_gib_video().await;

    let (vault_path, base) = (vault.path().to_owned(), server.base.clone());
    let child = spawn_publish(&vault_path, &base);
    // Wait until a session exists (the upload is under way), then interrupt.
    let sessions = server.data.path().join("sessions");
    // (Hashing 1 GiB first takes seconds, more on a loaded machine.) The video's bytes stream
    // into the server's temp directory while it uploads: interrupt then.
    let temp = server.data.path().join("tmp");
    let entries = |dir: &std::path::Path| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    for _ in 0..6000 {
        if entries(&sessions) > 0 && entries(&temp) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    let session = std::fs::read_dir(&sessions).unwrap().next().unwrap().unwrap().path();
    let state: Value = serde_json::from_slice(&std::fs::read(session.join("session.json")).unwrap()).unwrap();
    assert_eq!(state["state"], "aborted");
}
