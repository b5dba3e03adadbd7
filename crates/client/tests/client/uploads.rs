//! Streaming multipart uploads and the plugin's JSON fallback.

use std::sync::atomic::{AtomicU64, Ordering};

use vps_client::{ErrorKind, UploadLimits};
use vps_core::api::{FileStatus, StartSessionRequest};
use vps_core::job::{FinishRequest, JobState};

use crate::helpers::*;

#[tokio::test]
async fn small_and_large_files_are_stored_then_deduplicated() {
    let app = spawn_app().await;
    let client = app.client();
    let dir = tempfile::tempdir().unwrap();
    let big = png(30 * 1024 * 1024, 9);
    let files = [
        vault_file(dir.path(), "Attachments/one.png", &png(1000, 1)),
        vault_file(dir.path(), "Été/naïve café.png", &png(70_000, 2)),
        vault_file(dir.path(), "three.png", &png(300_000, 3)),
        vault_file(dir.path(), "Videos/big.png", &big),
    ];
    let total: u64 = files.iter().map(|f| f.size).sum();
    let limits = UploadLimits { max_files_per_request: 2, concurrency: 2, ..UploadLimits::default() };

    for expected in [FileStatus::Stored, FileStatus::Deduplicated] {
        let before = client.bytes_sent();
        let session = client.start(&StartSessionRequest::default()).await.unwrap().session_id;
        let progress = AtomicU64::new(0);
        let report = |n: u64| {
            progress.fetch_add(n, Ordering::Relaxed);
        };
        let uploaded = client.upload_files(session, &files, &limits, &report).await.unwrap();

        let paths: Vec<_> = uploaded.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["Attachments/one.png", "Été/naïve café.png", "three.png", "Videos/big.png"]);
        for (file, data) in uploaded.iter().zip(&files) {
            assert_eq!(file.status, expected, "{file:?}");
            assert_eq!(file.size, data.size);
            assert_eq!(file.media_type.as_ref().map(|m| m.to_string()).as_deref(), Some("image/png"));
        }
        assert_eq!(uploaded[3].sha256.unwrap().to_hex(), sha256_hex(&big));
        assert_eq!(progress.load(Ordering::Relaxed), total, "progress adds up to the files' bytes");
        let sent = client.bytes_sent() - before;
        assert!(sent >= total && sent < total + 4096, "{sent} bytes counted for {total} bytes of files");
    }
}

#[tokio::test]
async fn a_file_that_changed_after_it_was_hashed_is_refused_by_its_digest() {
    let app = spawn_app().await;
    let client = app.client();
    let dir = tempfile::tempdir().unwrap();
    let hashed = png(200_000, 4);
    let mut file = vault_file(dir.path(), "Attachments/edited.png", &hashed);
    file.sha256 = Some(vps_core::ContentHash::parse(&sha256_hex(&hashed)).unwrap());
    let session = client.start(&StartSessionRequest::default()).await.unwrap().session_id;
    // Edited in place after the scan hashed it: same size, other bytes.
    std::fs::write(&file.file, png(200_000, 5)).unwrap();
    let uploaded =
        client.upload_files(session, std::slice::from_ref(&file), &UploadLimits::default(), &|_| {}).await.unwrap();
    assert_eq!(
        (uploaded[0].status, uploaded[0].code.map(vps_core::ErrorCode::as_str)),
        (FileStatus::Rejected, Some("digest-mismatch"))
    );
    // Hashed again, it goes through.
    file.sha256 = Some(vps_core::ContentHash::parse(&sha256_hex(&png(200_000, 5))).unwrap());
    let uploaded = client.upload_files(session, &[file], &UploadLimits::default(), &|_| {}).await.unwrap();
    assert_eq!(uploaded[0].status, FileStatus::Stored);
}

#[tokio::test]
async fn a_file_missing_or_changed_on_disk_is_an_io_error() {
    let app = spawn_app().await;
    let client = app.client();
    let dir = tempfile::tempdir().unwrap();
    let session = client.start(&StartSessionRequest::default()).await.unwrap().session_id;

    let mut gone = vault_file(dir.path(), "gone.png", &png(100, 1));
    gone.file = dir.path().join("no-such-file");
    let error = client.upload_files(session, &[gone], &UploadLimits::default(), &|_| {}).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io, "{error}");
    assert!(error.to_string().contains("no-such-file"), "{error}");

    let mut changed = vault_file(dir.path(), "changed.png", &png(100, 2));
    changed.size = 99;
    let error = client.upload_assets_json(session, &[changed], &|_| {}).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io, "{error}");
}

#[tokio::test]
async fn the_json_fallback_uploads_assets_the_server_stores_and_serves() {
    let app = spawn_app().await;
    let client = app.client();
    let dir = tempfile::tempdir().unwrap();
    let (small, large) = (png(2000, 4), png(1_500_000, 5));
    let files = [vault_file(dir.path(), "pic.png", &small), vault_file(dir.path(), "Attachments/large.png", &large)];
    let total: u64 = files.iter().map(|f| f.size).sum();

    let session = client.start(&StartSessionRequest::default()).await.unwrap().session_id;
    let progress = AtomicU64::new(0);
    let report = |n: u64| {
        progress.fetch_add(n, Ordering::Relaxed);
    };
    let sent = client.upload_assets_json(session, &files, &report).await.unwrap();
    assert!(sent > total, "base64 of incompressible bytes: {sent} bytes sent for {total}");
    assert_eq!(progress.load(Ordering::Relaxed), total);
    let notes = [note("Gallery.md", "![[pic.png]]\n\n![[large.png]]")];
    client.upload_notes(session, &notes, &[]).await.unwrap();
    let request = FinishRequest { notes_processed: 1, assets_processed: 2, inventory: None };
    let finish = client.finish(session, &request).await.unwrap();
    let done = client.follow(session, &finish, &|_| {}).await.unwrap();
    assert_eq!(done.status, JobState::Completed, "{done:?}");

    assert_eq!(app.get("/assets/pic.png").await.1, small);
    assert_eq!(app.get("/assets/Attachments/large.png").await.1, large);
}
