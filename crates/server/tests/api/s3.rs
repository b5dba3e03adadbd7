//! The server on S3-compatible object storage: a real S3 server (s3s-fs, started by
//! `vps_testkit::s3`; or the one `VPS_TEST_S3_ENDPOINT` names, e.g. Garage in
//! `scripts/test-garage.sh`), the same plugin protocol, the same site.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use reqwest::StatusCode;
use serde_json::Value;
use vps_server::{Secret, Settings, Storage};
use vps_testkit::s3::S3Server;
use vps_testkit::{asset, note};

use crate::helpers::{ApiTestApp, Multipart, TestApp, png, sha256_hex, spawn_app_with};

/// A server whose blobs and revisions are in `server`'s bucket; it checks the pointer every
/// `poll_ms`.
pub(crate) async fn spawn_on(server: &S3Server, poll_ms: u64) -> TestApp {
    spawn_on_with(server, |settings| settings.store.revision_poll_ms = poll_ms).await
}

async fn spawn_on_with(server: &S3Server, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|settings| {
        settings.store.storage = Storage::S3;
        settings.store.s3_bucket = Some(server.bucket().to_owned());
        settings.store.s3_prefix = server.prefix().trim_matches('/').to_owned();
        settings.store.s3_endpoint = Some(server.endpoint().to_owned());
        settings.store.s3_region = server.region().to_owned();
        settings.store.s3_allow_http = true;
        settings.store.s3_part_size = vps_store::MIN_PART_BYTES as u64;
        settings.store.aws_access_key_id = Some(Secret::new(server.access_key()));
        settings.store.aws_secret_access_key = Some(Secret::new(server.secret_key()));
        configure(settings);
    })
    .await
}

/// A client of its own, to see the bucket's keys as an operator would.
pub(crate) fn bucket(server: &S3Server) -> Arc<dyn ObjectStore> {
    Arc::new(server.client())
}

/// The keys under the test's prefix and `under` (`blobs`, `tmp`, …), relative to the prefix.
async fn keys(server: &S3Server, under: &str) -> Vec<String> {
    let prefix = server.key(under);
    let objects: Vec<_> = bucket(server).list(Some(&prefix)).try_collect().await.unwrap();
    let strip = server.prefix().trim_end_matches('/').len() + 1;
    objects.into_iter().map(|meta| meta.location.as_ref()[strip..].to_owned()).collect()
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Waits (at most 10 s) until `path` answers `status`; how long it took.
async fn until_served(app: &TestApp, path: &str, status: StatusCode) -> Duration {
    let started = Instant::now();
    loop {
        if get(app, path).await.0 == status {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{path} never answered {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Incompressible bytes that no sniffer mistakes for anything: `application/octet-stream` is not
/// allowed by default, so these are wrapped as a PNG.
fn big_png(len: usize) -> Vec<u8> {
    png(len, 42)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_publish_lands_in_the_bucket_and_is_served_from_it() {
    let Some(server) = vps_testkit::s3::start_or_skip("s3_a_publish_lands_in_the_bucket_and_is_served_from_it") else {
        return;
    };
    let app = spawn_on(&server, 1000).await;
    let health: Value = app.client.get(app.url("/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!((health["status"].as_str(), &health["store"]["kind"]), (Some("ok"), &Value::from("s3")), "{health}");

    // A 12 MiB video-sized file through the streaming upload: a multipart upload of 3 parts.
    let video = big_png(12 * 1024 * 1024 + 321);
    let session = app.start_session().await;
    let (status, body) = app.upload(&session, &[("Attachments/big.png", &video)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["files"][0]["status"].as_str(), body["files"][0]["sha256"].as_str()),
        (Some("stored"), Some(sha256_hex(&video).as_str()))
    );
    // With its digest declared (as `vps-publish publish` sends it), a file streams straight to
    // its blob key: no temp object, no copy; the same bytes damaged on the way are refused.
    let declared = big_png(11 * 1024 * 1024 + 5);
    let digest = vps_core::ContentHash::parse(&sha256_hex(&declared)).unwrap().to_content_digest();
    let mut damaged = declared.clone();
    damaged[6 * 1024 * 1024] ^= 1;
    for (data, status) in [(&damaged, "rejected"), (&declared, "stored")] {
        let mut form = Multipart::new();
        form.file_with_headers("assets", "Attachments/declared.png", &[("Content-Digest", &digest)], data);
        let (code, body) = app.send_multipart(&session, form.finish()).await;
        assert_eq!((code, body["files"][0]["status"].as_str()), (StatusCode::OK, Some(status)), "{body}");
    }
    let blobs = keys(&server, "blobs").await;
    assert!(!blobs.iter().any(|key| key.ends_with(&sha256_hex(&damaged))), "{blobs:?}");
    // Published (what `/_blob/` serves), they come from the bucket: Range passed through, the
    // ETag still the sha256.
    app.publish_session(&session).await;
    let fetched = app.client.get(app.url(&format!("/_blob/{}", sha256_hex(&declared)))).send().await.unwrap();
    assert!(fetched.bytes().await.unwrap() == declared);
    let hash = sha256_hex(&video);
    let ranged = app
        .client
        .get(app.url(&format!("/_blob/{hash}")))
        .header("range", "bytes=5242870-5242889")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.headers()["etag"], format!("\"{hash}\""));
    assert_eq!(ranged.headers()["content-range"], format!("bytes 5242870-5242889/{}", video.len()));
    assert_eq!(ranged.bytes().await.unwrap(), &video[5_242_870..5_242_890], "a range across a part boundary");
    let whole = app.client.get(app.url(&format!("/_blob/{hash}"))).send().await.unwrap();
    assert_eq!(whole.headers()["content-type"], "image/png");
    assert!(whole.bytes().await.unwrap() == video);
    // Then a publish through the plugin's JSON protocol, with a small image.
    let image = png(3000, 7);
    let plugin = app.plugin();
    let done = plugin
        .publish(
            &[note("Home.md", "Welcome. ![[pic.png]]"), note("Other.md", "Back [[Home]].")],
            &[asset("pic.png", &image)],
        )
        .await;
    let revision = done["result"]["contentRevision"].as_str().unwrap().to_owned();

    let (status, home) = get(&app, "/").await;
    assert!(status == StatusCode::OK && home.contains("Welcome."), "{home}");
    assert!(home.contains(&format!("\"_blob/{}\"", sha256_hex(&image))), "relative to /: {home}");
    assert_eq!(get(&app, "/other").await.0, StatusCode::OK);

    let served = app.client.get(app.url("/assets/pic.png")).send().await.unwrap();
    assert_eq!(served.headers()["etag"], format!("\"{}\"", sha256_hex(&image)));
    assert_eq!(served.bytes().await.unwrap(), image);

    // Everything is in the bucket; nothing of it on the server's disk.
    let blobs = keys(&server, "blobs").await;
    assert!(blobs.iter().any(|key| key.ends_with(&hash)), "{blobs:?}");
    assert!(blobs.iter().any(|key| key.ends_with(&sha256_hex(&image))), "{blobs:?}");
    let revisions = keys(&server, "revisions").await;
    assert!(revisions.len() == 2 && revisions.contains(&format!("revisions/{revision}.json")), "{revisions:?}");
    let pointer = bucket(&server).get(&server.key("current")).await.unwrap();
    assert_eq!(pointer.bytes().await.unwrap(), format!("{revision}\n").as_bytes());
    assert!(keys(&server, "tmp").await.is_empty(), "no temp object stays");
    assert!(app.blob_files().is_empty() && !app.data.path().join("revisions").exists());

    // A restart (a new server on the same bucket, with an empty data directory) serves the site.
    drop(app);
    let again = spawn_on(&server, 1000).await;
    let (status, home) = get(&again, "/").await;
    assert!(status == StatusCode::OK && home.contains("Welcome."), "{home}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_refused_and_interrupted_uploads_leave_no_object() {
    let Some(server) = vps_testkit::s3::start_or_skip("s3_refused_and_interrupted_uploads_leave_no_object") else {
        return;
    };
    let app = spawn_on_with(&server, |settings| settings.uploads.max_asset_size_bytes = 20 * 1024 * 1024).await;
    let session = app.start_session().await;

    // Refused by content after a multipart upload began (an executable named .png, 11 MiB).
    let mut exe = b"MZ\x90\x00".to_vec();
    exe.resize(11 * 1024 * 1024, 0x41);
    let (status, body) = app.upload(&session, &[("fake.png", &exe)]).await;
    assert_eq!((status, body["files"][0]["code"].as_str()), (StatusCode::OK, Some("unsupported-media-type")), "{body}");
    // Over the size limit while streaming (the 413 ends the request).
    let (status, body) = app.upload(&session, &[("huge.png", &big_png(21 * 1024 * 1024))]).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("file-too-large")), "{body}");
    // A client that goes away in the middle of a file, after 11 MiB.
    send_then_disconnect(&app, &session, 11 * 1024 * 1024).await;

    wait_for_no_keys(&server, "tmp").await;
    assert!(keys(&server, "blobs").await.is_empty(), "{:?}", keys(&server, "blobs").await);
    // The server still takes an upload.
    let image = png(5000, 3);
    let (status, body) = app.upload(&session, &[("ok.png", &image)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys(&server, "blobs").await.len(), 1);
    wait_for_no_keys(&server, "tmp").await;
}

async fn wait_for_no_keys(server: &S3Server, under: &str) {
    let started = Instant::now();
    loop {
        let left = keys(server, under).await;
        if left.is_empty() {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "left behind: {left:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends the head of a multipart upload and `len` bytes of a file, then drops the connection.
async fn send_then_disconnect(app: &TestApp, session: &str, len: usize) {
    use tokio::io::AsyncWriteExt;

    let mut form = Multipart::new();
    form.file("assets", "cut.png", &big_png(len));
    let (content_type, body) = form.finish();
    let address = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/session/{session}/assets/upload HTTP/1.1\r\nhost: {address}\r\nx-api-key: {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        crate::helpers::KEY,
        body.len() + 1000
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body[..body.len() - 100]).await.unwrap();
    socket.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(socket);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_replicas_sharing_a_bucket_follow_each_other_and_lose_no_publish() {
    let Some(server) =
        vps_testkit::s3::start_or_skip("s3_replicas_sharing_a_bucket_follow_each_other_and_lose_no_publish")
    else {
        return;
    };
    let a = spawn_on(&server, 100).await;
    a.plugin().publish(&[note("Base.md", "The base note.")], &[]).await;
    // B starts on the published site, and (polling only every 10 minutes) does not notice A's
    // next publish.
    let b = spawn_on(&server, 600_000).await;
    assert_eq!(get(&b, "/base").await.0, StatusCode::OK);
    a.plugin().publish(&[note("X.md", "Published on A.")], &[]).await;
    assert_eq!(get(&b, "/x").await.0, StatusCode::NOT_FOUND, "B is stale, as this test wants");

    // B publishes on top of the stale site: the pointer moved since B read it, so B builds again
    // on what is live and publishes that. Nothing A published is lost.
    let done = b.plugin().publish(&[note("Y.md", "Published on B.")], &[]).await;
    assert_eq!(done["status"], "completed");
    for path in ["/base", "/x", "/y"] {
        assert_eq!(get(&b, path).await.0, StatusCode::OK, "{path} on B");
    }
    // A follows the pointer within its poll interval.
    let lag = until_served(&a, "/y", StatusCode::OK).await;
    assert!(lag < Duration::from_secs(5), "{lag:?}");
    assert_eq!(get(&a, "/x").await.0, StatusCode::OK);

    // Two sessions finishing at the same moment on the two replicas: both notes are published.
    let (pa, pb) = (a.plugin(), b.plugin());
    let (one, two) = ([note("P.md", "P on A.")], [note("Q.md", "Q on B.")]);
    tokio::join!(pa.publish(&one, &[]), pb.publish(&two, &[]));
    // (B, polling every 10 minutes, may still serve its own publish: a fresh replica C shows what
    // the bucket says.)
    let c = spawn_on(&server, 100).await;
    for app in [&a, &c] {
        for path in ["/base", "/x", "/y", "/p", "/q"] {
            until_served(app, path, StatusCode::OK).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_an_unreachable_bucket_is_reported_and_refuses_uploads_cleanly() {
    let Some(server) =
        vps_testkit::s3::start_or_skip("s3_an_unreachable_bucket_is_reported_and_refuses_uploads_cleanly")
    else {
        return;
    };
    let app = spawn_on(&server, 1000).await;
    let image = png(2000, 1);
    app.plugin().publish(&[note("Home.md", "![[pic.png]] home")], &[asset("pic.png", &image)]).await;
    let page = get(&app, "/").await;
    assert_eq!(page.0, StatusCode::OK);
    if std::env::var("VPS_TEST_S3_ENDPOINT").is_ok() {
        return; // an external server cannot be stopped from here
    }
    drop(server); // the S3 server is gone

    let response = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: Value = response.json().await.unwrap();
    assert_eq!((health["status"].as_str(), health["store"]["reachable"].as_bool()), (Some("unavailable"), Some(false)));
    let session = app.start_session().await;
    let (status, body) = app.upload(&session, &[("new.png", &png(3000, 2))]).await;
    assert!(status.is_server_error(), "{status} {body}");
    assert!(body["code"].is_string() && !body["message"].as_str().unwrap_or_default().contains("127.0.0.1"), "{body}");
    // What is in memory is still served: the page (its HTML is a blob: 5xx, not a broken page).
    let (status, _) = get(&app, "/").await;
    assert!(status == StatusCode::OK || status.is_server_error(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_publish_replaced_right_after_it_moved_the_pointer_is_built_again_on_top() {
    let Some(server) =
        vps_testkit::s3::start_or_skip("s3_a_publish_replaced_right_after_it_moved_the_pointer_is_built_again_on_top")
    else {
        return;
    };
    let app = spawn_on(&server, 600_000).await;
    let base = app.plugin().publish(&[note("Base.md", "The base note.")], &[]).await;
    let base = base["result"]["contentRevision"].as_str().unwrap().to_owned();
    let raw = bucket(&server);
    let key = |name: &str| server.key(name);

    // Another writer's revision, built on the same base, as a server that ignores conditional
    // PUTs would let through: written over the pointer just after this server moved it.
    let mut sibling: Value =
        serde_json::from_slice(&raw.get(&key(&format!("revisions/{base}.json"))).await.unwrap().bytes().await.unwrap())
            .unwrap();
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let sibling_id = vps_core::revision::RevisionId::new(now_ms, 1).to_string();
    sibling["id"] = Value::from(sibling_id.as_str());
    sibling["parent"] = Value::from(base.as_str());
    raw.put(&key(&format!("revisions/{sibling_id}.json")), serde_json::to_vec(&sibling).unwrap().into()).await.unwrap();
    let overwrite = {
        let (raw, pointer, base, sibling_id) = (raw.clone(), key("current"), base.clone(), sibling_id.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            loop {
                let named = raw.get(&pointer).await.unwrap().bytes().await.unwrap();
                let named = String::from_utf8_lossy(&named).trim().to_owned();
                if named != base {
                    raw.put(&pointer, format!("{sibling_id}\n").into()).await.unwrap();
                    return named;
                }
                assert!(started.elapsed() < Duration::from_secs(20), "the pointer never moved");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    let done = app.plugin().publish(&[note("Y.md", "Published while replaced.")], &[]).await;
    let replaced = overwrite.await.unwrap();
    let published = done["result"]["contentRevision"].as_str().unwrap().to_owned();
    assert_ne!(published, replaced, "the replaced revision was built again");
    let current = raw.get(&key("current")).await.unwrap().bytes().await.unwrap();
    assert_eq!(String::from_utf8_lossy(&current).trim(), published);
    let revision: Value = serde_json::from_slice(
        &raw.get(&key(&format!("revisions/{published}.json"))).await.unwrap().bytes().await.unwrap(),
    )
    .unwrap();
    assert_eq!(revision["parent"], sibling_id.as_str(), "built on the revision that replaced it");
    for path in ["/base", "/y"] {
        assert_eq!(get(&app, path).await.0, StatusCode::OK, "{path}");
    }
}
