//! Damaged blob bytes are never served as what their hash names: small blobs are checked before
//! their first byte, large ones as they stream (the transfer breaks off before it completes);
//! either way the blob is refused from then on with 500 `blob-corrupt` and moved to the
//! quarantine.

use std::path::PathBuf;

use reqwest::StatusCode;
use vps_core::ContentHash;
use vps_store::FsStore;
use vps_testkit::{asset, note};

use crate::helpers::*;

fn store(app: &TestApp) -> FsStore {
    FsStore::open(&app.data.path().join("blobs"), &app.data.path().join("tmp")).unwrap()
}

/// Changes the stored bytes of blob `hex` with `edit` (blobs are read-only files: made writable
/// first), as a disk error or a hand edit would; answers the file.
fn damage(app: &TestApp, hex: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = store(app).blob_path(&ContentHash::parse(hex).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    edit(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn quarantined(app: &TestApp, hex: &str) -> Option<Vec<u8>> {
    std::fs::read(store(app).quarantine_path(&ContentHash::parse(hex).unwrap())).ok()
}

async fn assert_corrupt_answer(response: reqwest::Response, hex: &str) {
    let text = response.text().await.unwrap();
    let what = format!("{text:?}");
    let body: serde_json::Value = serde_json::from_str(&text).expect(&what);
    assert_eq!(body["code"], "blob-corrupt", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("internal error"), "{message}");
    assert!(!message.contains(hex) && !message.contains("blobs/"), "no internals: {message}");
}

#[tokio::test]
async fn a_damaged_page_is_a_500_blob_corrupt_and_its_bytes_are_never_served() {
    let app = spawn_app().await;
    app.plugin().publish(&[note("Page.md", "The original text.")], &[]).await;
    // A HEAD tells the hash without reading the page: a view would keep its (sound) bytes in the
    // memory cache, which serves them from then on without reading the store again.
    let response = app.client.head(app.url("/page")).send().await.unwrap();
    let hex = response.headers()["etag"].to_str().unwrap().trim_matches('"').to_owned();
    let file = damage(&app, &hex, |bytes| {
        let at = bytes.windows(8).position(|w| w == b"original").unwrap();
        bytes[at..at + 8].copy_from_slice(b"defaced!");
    });

    for (path, conditional) in [("/page", false), ("/page", false), (&*format!("/_blob/{hex}"), false), ("/page", true)]
    {
        let mut request = app.client.get(app.url(path));
        if conditional {
            request = request.header("if-none-match", format!("\"{hex}\""));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert_corrupt_answer(response, &hex).await;
    }
    assert!(!file.exists(), "moved out of the store");
    let kept = quarantined(&app, &hex).expect("kept in the quarantine");
    assert!(String::from_utf8(kept).unwrap().contains("defaced!"));
}

#[tokio::test]
async fn a_damaged_large_blob_breaks_off_before_its_end_and_is_refused_afterwards() {
    let app = spawn_app().await;
    let session = app.start_session().await;
    let video = png(3 * 1024 * 1024 + 5, 8);
    let (status, body) = app.upload(&session, &[("big.png", &video)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.publish_session(&session).await;
    let hex = sha256_hex(&video);
    damage(&app, &hex, |bytes| bytes[2 * 1024 * 1024] ^= 0x20);

    // The first full read streams, hashing: the body stops short of its Content-Length.
    let mut response = app.client.get(app.url(&format!("/_blob/{hex}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-length"], video.len().to_string().as_str());
    let mut received = 0;
    let broken = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(broken && received < video.len(), "a complete body was sent ({received} bytes)");

    // From then on: refused, whatever the URL (the report is written as the stream fails).
    let mut refused = false;
    for _ in 0..100 {
        let response = app.client.get(app.url("/assets/big.png")).send().await.unwrap();
        if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
            assert_corrupt_answer(response, &hex).await;
            refused = true;
            break;
        }
        assert!(response.bytes().await.is_err(), "a complete body was sent again");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(refused, "still served after the damage was seen");
    let response =
        app.client.get(app.url(&format!("/_blob/{hex}"))).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "a piece of it neither");
    for _ in 0..100 {
        if quarantined(&app, &hex).is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the damaged blob was not moved to the quarantine");
}

#[tokio::test]
async fn a_damaged_asset_is_refused_even_in_pieces_until_it_is_uploaded_again() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    let image = png(20_000, 6);
    let (notes, assets) = ([note("Page.md", "![[pic.png]]")], [asset("pic.png", &image)]);
    plugin.publish(&notes, &assets).await;
    let hex = sha256_hex(&image);
    damage(&app, &hex, |bytes| bytes[10_000] ^= 1);

    // A small blob is checked whole before anything is sent, a range of it too.
    let response = app.client.get(app.url(&format!("/_blob/{hex}"))).header("range", "bytes=0-9").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_corrupt_answer(response, &hex).await;
    let response = app.client.get(app.url("/assets/pic.png")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);

    // Quarantined, the blob is missing from the store: the next publish uploads it again.
    plugin.publish(&notes, &assets).await;
    let response = app.client.get(app.url("/assets/pic.png")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), image);
}
