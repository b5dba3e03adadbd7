//! `revisions`, `rollback` and `gc` against a real data directory, with and without a server.

use std::process::Command;

use vps_testkit::{Plugin, asset, note};

use crate::{BIN, Server};

const KEY: &str = "operator-test-key-1";

fn run(args: &[&str], data: &std::path::Path) -> (Option<i32>, String, String) {
    let output = Command::new(BIN).args(args).arg("--data-dir").arg(data).output().unwrap();
    (output.status.code(), String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
}

fn blob_count(data: &std::path::Path) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
            .sum()
    }
    walk(&data.join("blobs"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_is_followed_by_the_running_server_and_gc_keeps_what_is_referenced() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[("API_KEY", KEY), ("REVISION_POLL_MS", "100")]);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    let old_image = b"\x89PNG\r\n\x1a\nold image bytes".to_vec();
    plugin.publish(&[note("Page.md", "first ![[a.png]]")], &[asset("a.png", &old_image)]).await;
    plugin.publish(&[note("Page.md", "second")], &[]).await;
    let page = || async { plugin.client.get(plugin.url("/page")).send().await.unwrap().text().await.unwrap() };
    assert!(page().await.contains("second"));

    let (code, listed, _) = run(&["revisions"], data.path());
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[1].starts_with('*') && lines[1].contains("1 pages"), "{listed}");

    // Rollback while the server runs: it follows the pointer.
    let (code, said, stderr) = run(&["rollback"], data.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(said.starts_with("now serving r"), "{said}");
    let mut followed = false;
    for _ in 0..50 {
        if page().await.contains("first") {
            followed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(followed, "the server kept serving the newer revision");
    assert_eq!(plugin.client.get(plugin.url("/assets/a.png")).send().await.unwrap().status().as_u16(), 200);

    // gc refuses beside a running server.
    let (code, _, stderr) = run(&["gc"], data.path());
    assert_eq!(code, Some(1));
    assert!(stderr.contains("stop it"), "{stderr}");
    server.signal("-TERM");
    let _ = server.wait();

    // Back to the newest, then keep only it: the old image and old page blobs go.
    let newest = lines[1].split_whitespace().nth(1).unwrap();
    assert_eq!(run(&["rollback", newest], data.path()).0, Some(0));
    let before = blob_count(data.path());
    let (code, said, stderr) = run(&["gc", "--keep", "1"], data.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(said.starts_with("removed 1 revisions"), "{said}");
    assert!(blob_count(data.path()) < before);
    let server = Server::start(data.path(), &[("API_KEY", KEY)]);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    let text = plugin.client.get(plugin.url("/page")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("second"), "the kept revision is whole after gc");
    assert_eq!(plugin.client.get(plugin.url("/assets/a.png")).send().await.unwrap().status().as_u16(), 404);
    let (code, _, stderr) = run(&["rollback", "r0000000000001-00000000"], data.path());
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no revision"), "{stderr}");
    server.signal("-TERM");
    let _ = server.wait();
}
