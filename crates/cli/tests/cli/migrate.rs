//! `migrate-store`: a site published on the filesystem moves into a bucket and back, and is
//! served the same from each; the copy resumes, and refuses corrupt bytes.

use std::path::Path;
use std::process::Command;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use vps_testkit::s3::S3Server;
use vps_testkit::{Plugin, asset, note, sha256_hex};

use crate::{BIN, Server};

const KEY: &str = "migrate-test-key-1";

/// Runs `vps-publish migrate-store` with the bucket's settings in the environment.
fn migrate(s3: &S3Server, from: &str, to: &str) -> (Option<i32>, String, String) {
    let output = Command::new(BIN).args(["migrate-store", "--from", from, "--to", to]).envs(s3.env()).output().unwrap();
    (output.status.code(), String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
}

fn bucket(s3: &S3Server) -> std::sync::Arc<dyn ObjectStore> {
    std::sync::Arc::new(s3.client())
}

fn blob_key(s3: &S3Server, hex: &str) -> ObjectPath {
    s3.key(&format!("blobs/sha256/{}/{}/{hex}", &hex[..2], &hex[2..4]))
}

/// What a reader gets for each path.
async fn snapshot(port: u16, paths: &[&str]) -> Vec<(u16, Vec<u8>)> {
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    for path in paths {
        let response = client.get(format!("http://127.0.0.1:{port}{path}")).send().await.unwrap();
        answers.push((response.status().as_u16(), response.bytes().await.unwrap().to_vec()));
    }
    answers
}

fn server_env(s3: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut env: Vec<(&str, &str)> = s3.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("API_KEY", KEY));
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_moves_into_a_bucket_and_back_and_is_served_the_same() {
    let Some(s3) = vps_testkit::s3::start_or_skip("a_site_moves_into_a_bucket_and_back_and_is_served_the_same") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let image = b"\x89PNG\r\n\x1a\nan image that moves".to_vec();
    let photo = b"\x89PNG\r\n\x1a\na second image".to_vec();
    let paths = ["/", "/other", "/assets/a.png", "/assets/b.png", "/sitemap.xml", "/nowhere"];
    let before = {
        let server = Server::start(data.path(), &[("API_KEY", KEY)]);
        let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
        plugin.publish(&[note("Home.md", "Home ![[a.png]]")], &[asset("a.png", &image)]).await;
        plugin.publish(&[note("Other.md", "Other ![[b.png]]")], &[asset("b.png", &photo)]).await;
        let answers = snapshot(server.port, &paths).await;
        server.signal("-TERM");
        let _ = server.wait();
        answers
    };
    assert_eq!(before.iter().map(|(status, _)| *status).collect::<Vec<_>>(), [200, 200, 200, 200, 200, 404]);

    let from = format!("fs:{}", data.path().display());
    let to = format!("s3://{}/{}", s3.bucket(), s3.prefix().trim_end_matches('/'));
    let (code, said, stderr) = migrate(&s3, &from, &to);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(said.contains("copied") && said.contains("2 revisions"), "{said}");
    assert!(!said.contains("copied 0 blobs"), "{said}");

    // Again: nothing left to copy. After losing one object (an interrupted run), only it is copied.
    let (code, said, _) = migrate(&s3, &from, &to);
    assert_eq!(code, Some(0));
    assert!(said.contains("copied 0 blobs (0 bytes) and 0 revisions"), "{said}");
    bucket(&s3).delete(&blob_key(&s3, &sha256_hex(&photo))).await.unwrap();
    let (code, said, _) = migrate(&s3, &from, &to);
    assert_eq!(code, Some(0));
    assert!(said.contains(&format!("copied 1 blobs ({} bytes) and 0 revisions", photo.len())), "{said}");

    // A server on the bucket (with an empty data directory of its own) serves the same site.
    let s3_env = s3.env();
    let on_s3 = tempfile::tempdir().unwrap();
    {
        let server = Server::start(on_s3.path(), &server_env(&s3_env));
        assert_eq!(snapshot(server.port, &paths).await, before);
        server.signal("-TERM");
        let _ = server.wait();
    }

    // And back to a new data directory on the filesystem.
    let back = tempfile::tempdir().unwrap();
    let (code, said, stderr) = migrate(&s3, &to, &format!("fs:{}", back.path().display()));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(said.contains("2 revisions"), "{said}");
    let server = Server::start(back.path(), &[("API_KEY", KEY)]);
    assert_eq!(snapshot(server.port, &paths).await, before);
    server.signal("-TERM");
    let _ = server.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_source_bytes_are_not_copied_and_bad_store_names_are_refused() {
    let Some(s3) =
        vps_testkit::s3::start_or_skip("corrupt_source_bytes_are_not_copied_and_bad_store_names_are_refused")
    else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let image = b"\x89PNG\r\n\x1a\nbytes that will rot".to_vec();
    {
        let server = Server::start(data.path(), &[("API_KEY", KEY)]);
        let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
        plugin.publish(&[note("Home.md", "![[a.png]]")], &[asset("a.png", &image)]).await;
        server.signal("-TERM");
        let _ = server.wait();
    }
    // Bit rot on the source disk: the file no longer hashes to its name.
    let hex = sha256_hex(&image);
    let file = data.path().join(format!("blobs/sha256/{}/{}/{hex}", &hex[..2], &hex[2..4]));
    set_writable(&file);
    std::fs::write(&file, b"\x89PNG\r\n\x1a\nrotten").unwrap();

    let to = format!("s3://{}/{}", s3.bucket(), s3.prefix().trim_end_matches('/'));
    let (code, _, stderr) = migrate(&s3, &format!("fs:{}", data.path().display()), &to);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&hex) && stderr.contains("corrupt"), "{stderr}");
    let missing = bucket(&s3).head(&blob_key(&s3, &hex)).await;
    assert!(matches!(missing, Err(object_store::Error::NotFound { .. })), "{missing:?}");
    let pointer = bucket(&s3).head(&s3.key("current")).await;
    assert!(pointer.is_err(), "no pointer in a half-copied store");

    for bad in ["ftp://x", "fs:", "s3://", "data"] {
        let (code, _, stderr) = migrate(&s3, bad, &to);
        assert_eq!(code, Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("is not a store"), "{stderr}");
    }
}

fn set_writable(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn a_server_on_a_missing_bucket_does_not_start_and_says_why() {
    let Some(s3) = vps_testkit::s3::start_or_skip("a_server_on_a_missing_bucket_does_not_start_and_says_why") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let missing = format!("{}-missing", s3.bucket());
    let output = Command::new(BIN)
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(data.path())
        .envs(s3.env())
        .env("S3_BUCKET", &missing)
        .env("API_KEY", KEY)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot open the store") && stderr.contains(&missing), "{stderr}");
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
    assert!(!stderr.contains(s3.secret_key()), "the secret never shows: {stderr}");
}
