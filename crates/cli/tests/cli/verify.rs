//! `verify` against a real data directory: damaged and missing blobs are found, named with what
//! uses them, and quarantined; a restarted server then refuses them instead of serving them.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use vps_core::ContentHash;
use vps_store::FsStore;
use vps_testkit::{Plugin, asset, note};

use crate::{BIN, Server};

const KEY: &str = "verify-test-key-1";
/// `verify`'s exit code when a blob is corrupt or missing (README, "Revisions and operator commands").
const EXIT_DAMAGED: i32 = 7;

fn verify(args: &[&str], data: &std::path::Path) -> (Option<i32>, String, String) {
    let output = Command::new(BIN).arg("verify").args(args).arg("--data-dir").arg(data).output().unwrap();
    (output.status.code(), String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
}

fn hash_of(bytes: &[u8]) -> ContentHash {
    vps_store::verify::hash_bytes(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_corrupt_and_missing_blobs_and_quarantines_the_corrupt_ones() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[("API_KEY", KEY)]);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    let image = b"\x89PNG\r\n\x1a\nthe image bytes, intact".to_vec();
    plugin
        .publish(&[note("Page.md", "A page. ![[a.png]]"), note("Other.md", "Another.")], &[asset("a.png", &image)])
        .await;
    let other = plugin.client.get(plugin.url("/other")).send().await.unwrap();
    let other_page: ContentHash = other.headers()["etag"].to_str().unwrap().trim_matches('"').parse().unwrap();
    server.signal("-TERM");
    let _ = server.wait();

    let (code, said, stderr) = verify(&[], data.path());
    assert_eq!(code, Some(0), "{said}{stderr}");
    let summary = said.lines().next().unwrap();
    assert!(summary.starts_with("checked ") && summary.ends_with(": 0 corrupt, 0 missing"), "{said}");

    // A flipped byte in the image, a page's HTML deleted.
    let store = FsStore::open(&data.path().join("blobs"), &data.path().join("tmp")).unwrap();
    let image_hash = hash_of(&image);
    let image_file = store.blob_path(&image_hash);
    std::fs::set_permissions(&image_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut damaged = image.clone();
    *damaged.last_mut().unwrap() ^= 1;
    std::fs::write(&image_file, &damaged).unwrap();
    std::fs::remove_file(store.blob_path(&other_page)).unwrap();

    let (code, said, _) = verify(&[], data.path());
    assert_eq!(code, Some(EXIT_DAMAGED), "{said}");
    assert!(said.lines().next().unwrap().ends_with(": 1 corrupt, 1 missing"), "{said}");
    assert!(said.contains(&format!("corrupt {image_hash} (its bytes hash to {})", hash_of(&damaged))), "{said}");
    assert!(said.contains(&format!("missing {other_page}")), "{said}");
    assert!(said.contains(" asset a.png"), "which revision and path use it: {said}");
    assert!(said.contains(" page /other (HTML)"), "{said}");
    assert!(image_file.exists(), "without --quarantine nothing moves");

    let (code, said, _) = verify(&["--quarantine"], data.path());
    assert_eq!(code, Some(EXIT_DAMAGED), "{said}");
    assert!(said.contains("moved to the quarantine"), "{said}");
    assert!(!image_file.exists());
    assert_eq!(std::fs::read(store.quarantine_path(&image_hash)).unwrap(), damaged);
    let (code, said, _) = verify(&[], data.path());
    assert_eq!(code, Some(EXIT_DAMAGED));
    assert!(said.lines().next().unwrap().ends_with(": 0 corrupt, 2 missing"), "quarantined means gone: {said}");

    // A restarted server answers for the quarantined blob without its bytes.
    let server = Server::start(data.path(), &[("API_KEY", KEY)]);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    let response = plugin.client.get(plugin.url("/assets/a.png")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert!(!response.bytes().await.unwrap().windows(damaged.len()).any(|w| w == damaged));
    assert_eq!(plugin.client.get(plugin.url("/page")).send().await.unwrap().status().as_u16(), 200);
    server.signal("-TERM");
    let _ = server.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_checks_and_quarantines_the_blobs_of_a_bucket() {
    use object_store::ObjectStoreExt;
    let Some(s3) = vps_testkit::s3::start_or_skip("verify_checks_and_quarantines_the_blobs_of_a_bucket") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let owned = s3.env();
    let mut env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("API_KEY", KEY));
    let server = Server::start(data.path(), &env);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    let image = b"\x89PNG\r\n\x1a\nan image in a bucket".to_vec();
    plugin.publish(&[note("Page.md", "![[a.png]]")], &[asset("a.png", &image)]).await;
    server.signal("-TERM");
    let _ = server.wait();
    let run = |quarantine: bool| {
        let mut command = Command::new(BIN);
        command.arg("verify").arg("--data-dir").arg(data.path()).envs(s3.env());
        if quarantine {
            command.arg("--quarantine");
        }
        let output = command.output().unwrap();
        (output.status.code(), String::from_utf8(output.stdout).unwrap())
    };
    let (code, said) = run(false);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.lines().next().unwrap().ends_with(": 0 corrupt, 0 missing"), "{said}");

    let hash = hash_of(&image).to_hex();
    let key = s3.key(&format!("blobs/sha256/{}/{}/{hash}", &hash[..2], &hash[2..4]));
    let bucket = s3.client();
    bucket.put(&key, b"\x89PNG\r\n\x1a\nan image, defaced".to_vec().into()).await.unwrap();
    let (code, said) = run(true);
    assert_eq!(code, Some(EXIT_DAMAGED), "{said}");
    assert!(said.contains(&format!("corrupt {hash}")) && said.contains("moved to the quarantine"), "{said}");
    assert!(said.contains(" asset a.png"), "{said}");
    assert!(bucket.head(&key).await.is_err(), "moved out of blobs/");
    let kept = bucket.get(&s3.key(&format!("quarantine/{hash}"))).await.unwrap().bytes().await.unwrap();
    assert_eq!(&kept[..], b"\x89PNG\r\n\x1a\nan image, defaced");
}
