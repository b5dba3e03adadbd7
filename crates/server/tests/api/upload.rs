use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn uploaded_bytes_come_back_identical_under_their_sha256() {
    let app = spawn_app().await;
    let session = app.start_session().await;
    // Larger than axum's 2 MB default body limit, which must not apply to uploads.
    let data = png(5 * 1024 * 1024 + 7, 1);
    let (status, body) = app.upload(&session, &[("Attachments/my diagram.png", &data)]).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let file = &body["files"][0];
    assert_eq!(file["path"], "Attachments/my diagram.png");
    assert_eq!(file["status"], "stored");
    assert_eq!(file["size"], data.len());
    assert_eq!(file["mediaType"], "image/png");
    assert_eq!(file["sha256"], sha256_hex(&data));

    app.publish_session(&session).await;
    let blob = app.client.get(app.url(&format!("/_blob/{}", sha256_hex(&data)))).send().await.unwrap();
    assert_eq!(blob.status(), StatusCode::OK);
    assert_eq!(blob.headers()["content-type"], "image/png");
    assert_eq!(blob.bytes().await.unwrap(), data);
    assert!(app.temp_files().is_empty());
}

#[tokio::test]
async fn the_same_bytes_under_two_paths_and_two_sessions_are_one_blob() {
    let app = spawn_app().await;
    let data = png(300_000, 2);
    let first = app.start_session().await;
    let (status, body) = app.upload(&first, &[("a.png", &data), ("copies/b.png", &data)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["files"][0]["status"], "stored");
    assert_eq!(body["files"][1]["status"], "deduplicated");

    let second = app.start_session().await;
    let (_, body) = app.upload(&second, &[("elsewhere/c.png", &data)]).await;
    assert_eq!(body["files"][0]["status"], "deduplicated");
    assert_eq!(body["files"][0]["sha256"], sha256_hex(&data));
    assert_eq!(app.blob_files().len(), 1);

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("vps_files_stored_total 1\n"), "{metrics}");
    assert!(metrics.contains("vps_files_deduplicated_total 2\n"), "{metrics}");
    assert!(metrics.contains(&format!("vps_upload_bytes_total {}\n", 3 * data.len())), "{metrics}");
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_with_413_and_leaves_nothing() {
    let app = spawn_app_with(|s| s.uploads.max_asset_size_bytes = 1024 * 1024).await;
    let session = app.start_session().await;
    let small = png(10_000, 3);
    let big = png(1024 * 1024 + 1, 4);
    let (status, body) = app.upload(&session, &[("small.png", &small), ("big.png", &big)]).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "file-too-large");
    assert!(body["message"].as_str().unwrap().contains("big.png"));
    // All or nothing: the small file that came first is not kept either.
    assert!(app.blob_files().is_empty(), "{:?}", app.blob_files());
    app.wait_for_empty_temp().await;
    // Exactly at the limit is fine.
    let (status, _) = app.upload(&session, &[("exact.png", &big[..1024 * 1024])]).await;
    assert_eq!(status, StatusCode::OK);
    app.assert_still_serving().await;
}

#[tokio::test]
async fn too_many_files_in_one_request_is_refused_with_413() {
    let app = spawn_app_with(|s| s.uploads.max_files_per_request = 3).await;
    let session = app.start_session().await;
    let files: Vec<(String, Vec<u8>)> = (0..4).map(|i| (format!("f{i}.png"), png(1000, i))).collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (p.as_str(), d.as_slice())).collect();

    let (status, body) = app.upload(&session, &refs).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "too-many-files");
    assert!(app.blob_files().is_empty());

    let (status, _) = app.upload(&session, &refs[..3]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.blob_files().len(), 3);
}

#[tokio::test]
async fn a_request_over_the_whole_request_limit_is_refused_with_413() {
    let app = spawn_app_with(|s| s.uploads.max_request_bytes = 100_000).await;
    let session = app.start_session().await;
    let data = png(150_000, 5);
    // Declared by Content-Length: refused before a byte is read.
    let (status, body) = app.upload(&session, &[("a.png", &data)]).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("request-too-large")));

    // Sent chunked, without a length: refused when the count crosses the limit.
    let mut form = Multipart::new();
    form.file("assets", "a.png", &data);
    let (content_type, body) = form.finish();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let response = app
        .post(&format!("/api/session/{session}/assets/upload"))
        .header("content-type", content_type)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    let (status, body) = json_answer(response).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("request-too-large")));
    app.assert_still_serving().await;
}

#[tokio::test]
async fn the_413_comes_as_soon_as_the_limit_is_crossed_not_after_the_whole_body() {
    let app = spawn_app_with(|s| s.uploads.max_asset_size_bytes = 256 * 1024).await;
    let session = app.start_session().await;
    let mut form = Multipart::new();
    let head = format!(
        "--{}\r\nContent-Disposition: form-data; name=\"assets\"; filename=\"huge.png\"\r\n\r\n",
        form.boundary
    );
    form.raw(head.as_bytes());
    let opening = std::mem::take(&mut form.body);
    // 1 MiB of a file, then a body that never ends: only an early answer can end this request.
    let endless = futures_util::stream::iter([Ok::<_, std::io::Error>(opening), Ok(png(1024 * 1024, 6))])
        .chain(futures_util::stream::pending());
    let response = app
        .post(&format!("/api/session/{session}/assets/upload"))
        .header("content-type", form.content_type())
        .body(reqwest::Body::wrap_stream(endless))
        .send();
    let response = tokio::time::timeout(std::time::Duration::from_secs(20), response)
        .await
        .expect("the server answers while the body is still being sent")
        .unwrap();
    let (status, body) = json_answer(response).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("file-too-large")));
    app.wait_for_empty_temp().await;
}

use futures_util::StreamExt;

#[tokio::test]
async fn content_decides_the_type_not_the_name() {
    let app = spawn_app().await;
    let session = app.start_session().await;
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0 This program cannot be run in DOS mode".repeat(10);
    let png_data = png(4096, 7);
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let (status, body) = app
        .upload(&session, &[("photo.png", &exe), ("notes/x.txt", &png_data), ("empty.md", b""), ("icon.svg", svg)])
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let files = body["files"].as_array().unwrap();
    assert_eq!(files[0]["status"], "rejected");
    assert_eq!(files[0]["code"], "unsupported-media-type");
    assert_eq!(files[0]["mediaType"], "application/vnd.microsoft.portable-executable");
    assert_eq!(files[1]["status"], "stored");
    assert_eq!(files[1]["mediaType"], "image/png");
    assert_eq!(files[2]["status"], "rejected");
    assert_eq!(files[2]["code"], "empty-file");
    assert_eq!(files[3]["mediaType"], "image/svg+xml");
    assert_eq!(app.blob_files().len(), 2, "only the PNG and the SVG are stored");
    app.publish_session(&session).await;

    let svg_blob = app.client.get(app.url(&format!("/_blob/{}", sha256_hex(svg)))).send().await.unwrap();
    assert_eq!(svg_blob.headers()["content-security-policy"], "sandbox");
    assert_eq!(svg_blob.headers()["content-type"], "image/svg+xml; charset=utf-8");
}

#[tokio::test]
async fn a_configured_allowlist_replaces_the_default() {
    let app = spawn_app_with(|s| {
        s.uploads.allowed_media_types = vps_ingest::MediaAllowlist::parse("application/pdf").unwrap()
    })
    .await;
    let session = app.start_session().await;
    let (_, body) = app.upload(&session, &[("doc.pdf", b"%PDF-1.7\n%%EOF\n"), ("a.png", &png(100, 8))]).await;
    assert_eq!(body["files"][0]["status"], "stored");
    assert_eq!(body["files"][1]["code"], "unsupported-media-type");
}

#[tokio::test]
async fn a_client_that_disconnects_mid_file_leaves_no_temp_file() {
    use tokio::io::AsyncWriteExt;

    let app = spawn_app().await;
    let session = app.start_session().await;
    let mut form = Multipart::new();
    form.file("assets", "video.png", &png(2 * 1024 * 1024, 9));
    let (content_type, body) = form.finish();
    let head = format!(
        "POST /api/session/{session}/assets/upload HTTP/1.1\r\nHost: test\r\nx-api-key: {KEY}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let mut socket = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body[..body.len() / 2]).await.unwrap();
    // Let the server start writing the temp file, then vanish.
    for _ in 0..100 {
        if !app.temp_files().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.temp_files().len(), 1, "the upload was being written");
    drop(socket);

    app.wait_for_empty_temp().await;
    assert!(app.blob_files().is_empty());
    app.assert_still_serving().await;
}

/// `Content-Digest: sha-256=:…:` of `data`.
fn digest_of(data: &[u8]) -> String {
    vps_core::ContentHash::parse(&sha256_hex(data)).unwrap().to_content_digest()
}

#[tokio::test]
async fn a_declared_content_digest_is_checked_against_the_bytes() {
    let app = spawn_app().await;
    let session = app.start_session().await;
    let (good, damaged) = (png(300_000, 11), png(300_000, 12));
    let mut form = Multipart::new();
    form.file_with_headers("assets", "good.png", &[("Content-Digest", &digest_of(&good))], &good);
    // Bytes damaged on the way: they no longer hash to what the client declared.
    form.file_with_headers("assets", "damaged.png", &[("Content-Digest", &digest_of(&good))], &damaged);
    let (status, body) = app.send_multipart(&session, form.finish()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["files"][0]["status"].as_str(), body["files"][0]["sha256"].as_str()),
        (Some("stored"), Some(sha256_hex(&good).as_str()))
    );
    let refused = &body["files"][1];
    assert_eq!(
        (refused["status"].as_str(), refused["code"].as_str()),
        (Some("rejected"), Some("digest-mismatch")),
        "{body}"
    );
    assert!(refused["message"].as_str().unwrap().contains(&sha256_hex(&damaged)), "{refused}");
    let damaged_blob = app.client.get(app.url(&format!("/_blob/{}", sha256_hex(&damaged)))).send().await.unwrap();
    assert_eq!(damaged_blob.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.blob_files().len(), 1);

    // A digest that cannot be read refuses the request, naming the file.
    for bad in ["sha-256=:not base64:", "sha-256=:AAAA:", "sha-256=abc"] {
        let mut form = Multipart::new();
        form.file_with_headers("assets", "x.png", &[("Content-Digest", bad)], &good);
        let (status, body) = app.send_multipart(&session, form.finish()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid-content-digest")),
            "{bad}: {body}"
        );
        assert!(body["message"].as_str().unwrap().contains("x.png"), "{body}");
    }
    // Other algorithms alone declare nothing we check; the file is taken as it is.
    let mut form = Multipart::new();
    form.file_with_headers("assets", "other.png", &[("Content-Digest", "sha-512=:AAAA:")], &damaged);
    let (status, body) = app.send_multipart(&session, form.finish()).await;
    assert_eq!((status, body["files"][0]["status"].as_str()), (StatusCode::OK, Some("stored")), "{body}");
    app.assert_still_serving().await;
}
