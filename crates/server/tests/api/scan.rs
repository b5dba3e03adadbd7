//! Virus scanning against a real clamd (a private one, started per test with an EICAR
//! signature database): the same pass as hashing and writing, fail-closed by default.

use reqwest::StatusCode;
use serde_json::{Value, json};
use vps_testkit::clamd::{self, Clamd, EICAR, EICAR_SIGNATURE};

use crate::helpers::*;

async fn scanning_app(clamd: &Clamd, configure: impl FnOnce(&mut vps_server::Settings)) -> TestApp {
    let socket = clamd.socket();
    spawn_app_with(|s| {
        s.scanner.virus_scanner_enabled = true;
        s.scanner.clamav_socket = Some(socket);
        s.scanner.clamav_timeout_ms = 3_000;
        s.scanner.clamav_stream_max_length = 300 * 1024 * 1024;
        configure(s);
    })
    .await
}

fn eicar_in_a_zip() -> Vec<u8> {
    clamd::zip_stored("readme.txt", EICAR)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eicar_is_refused_plain_zipped_and_split_across_chunks_and_nothing_is_stored() {
    let Some(clamd) = clamd::start_or_skip("eicar_is_refused") else { return };
    let app = scanning_app(&clamd, |s| {
        s.uploads.allowed_media_types =
            vps_ingest::MediaAllowlist::parse("image/*, text/plain, application/zip").unwrap();
    })
    .await;
    let session = app.start_session().await;
    let clean = b"Just a harmless note.\n".repeat(50);
    let (status, body) =
        app.upload(&session, &[("eicar.txt", EICAR), ("archive.zip", &eicar_in_a_zip()), ("clean.txt", &clean)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for file in &body["files"].as_array().unwrap()[..2] {
        assert_eq!(file["status"], "rejected", "{file}");
        assert_eq!(file["code"], "virus-detected", "{file}");
        assert!(file["message"].as_str().unwrap().contains(EICAR_SIGNATURE), "{file}");
    }
    assert_eq!(body["files"][2]["status"], "stored");
    assert_eq!(app.blob_files().len(), 1, "only the clean file is stored");

    // The same virus split across many tiny body chunks (and so across multipart reads).
    let mut form = Multipart::new();
    form.file("assets", "split.txt", EICAR);
    let (content_type, body) = form.finish();
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(7).map(|c| Ok(c.to_vec())).collect();
    let response = app
        .post(&format!("/api/session/{session}/assets/upload"))
        .header("content-type", content_type)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(pieces)))
        .send()
        .await
        .unwrap();
    let (_, body) = json_answer(response).await;
    assert_eq!(body["files"][0]["code"], "virus-detected", "{body}");
    assert_eq!(app.blob_files().len(), 1);
    app.wait_for_empty_temp().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eicar_as_a_legacy_base64_asset_is_refused() {
    let Some(clamd) = clamd::start_or_skip("eicar_as_a_legacy_base64_asset") else { return };
    let app = scanning_app(&clamd, |_| {}).await;
    let plugin = app.plugin();
    let session = plugin.start().await["sessionId"].as_str().unwrap().to_owned();
    let mut asset = vps_testkit::asset("virus.txt", EICAR);
    asset["mimeType"] = json!("text/plain");
    let answers = plugin.send_batch(&session, "assets", &json!({"assets": [asset]}), vps_testkit::L / 2).await;
    let (status, reply) = answers.last().unwrap();
    assert_eq!(*status, StatusCode::OK, "{reply}");
    assert_eq!(reply["publishedCount"], 0);
    assert_eq!(reply["errors"][0]["code"], "virus-detected", "{reply}");
    assert!(app.blob_files().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_files_of_1_kib_and_200_mib_are_stored_and_health_reports_the_scanner() {
    let Some(clamd) = clamd::start_or_skip("clean_files_are_stored") else { return };
    let app = scanning_app(&clamd, |s| {
        s.uploads.max_asset_size_bytes = 300 * 1024 * 1024;
        s.uploads.max_request_bytes = 600 * 1024 * 1024;
        // The verdict comes after clamd has read all 200 MiB: allow for a busy machine.
        s.scanner.clamav_timeout_ms = 60_000;
    })
    .await;
    let session = app.start_session().await;
    let small = png(1024, 1);
    let big = png(200 * 1024 * 1024, 2);
    let (status, body) = app.upload(&session, &[("small.png", &small), ("big.png", &big)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["files"][0]["status"], "stored");
    assert_eq!(body["files"][1]["status"], "stored", "{}", body["files"][1]);
    assert_eq!(body["files"][1]["sha256"], sha256_hex(&big));

    let (status, health) = json_answer(app.client.get(app.url("/health")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["scanner"]["reachable"], true, "{health}");
    assert!(health["scanner"]["version"].as_str().unwrap().starts_with("ClamAV"), "{health}");
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("vps_scans_total 2\n"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_scanner_fails_closed_and_scanning_resumes_when_it_is_back() {
    let Some(mut clamd) = clamd::start_or_skip("a_stopped_scanner_fails_closed") else { return };
    // Over TCP this time (CLAMAV_HOST / CLAMAV_PORT).
    let port = clamd.tcp_port();
    let app = spawn_app_with(|s| {
        s.scanner.virus_scanner_enabled = true;
        s.scanner.clamav_host = "127.0.0.1".into();
        s.scanner.clamav_port = port;
        s.scanner.clamav_timeout_ms = 2_000;
    })
    .await;
    let session = app.start_session().await;
    let (status, _) = app.upload(&session, &[("before.png", &png(2000, 1))]).await;
    assert_eq!(status, StatusCode::OK);

    clamd.stop();
    let (status, body) = app.upload(&session, &[("during.png", &png(2000, 2))]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("scanner-unavailable")),
        "{body}"
    );
    let (status, health): (StatusCode, Value) =
        json_answer(app.client.get(app.url("/health")).send().await.unwrap()).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("degraded")),
        "the server still serves: {health}"
    );
    assert_eq!(app.blob_files().len(), 1, "nothing stored while the scanner is down");

    clamd.restart();
    let (status, body) = app.upload(&session, &[("after.png", &png(2000, 3)), ("virus.txt", EICAR)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["files"][0]["status"], "stored");
    assert_eq!(body["files"][1]["code"], "virus-detected", "scanning resumed without a server restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_open_accepts_unscanned_files_when_the_scanner_is_down() {
    let Some(mut clamd) = clamd::start_or_skip("fail_open_accepts") else { return };
    let app = scanning_app(&clamd, |s| s.scanner.virus_scanner_fail_open = true).await;
    clamd.stop();
    let session = app.start_session().await;
    let (status, body) = app.upload(&session, &[("a.png", &png(2000, 4))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["files"][0]["status"], "stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_above_the_scan_limit_are_refused_with_their_own_code() {
    let Some(clamd) = clamd::start_or_skip("files_above_the_scan_limit") else { return };
    let app = scanning_app(&clamd, |s| s.scanner.clamav_stream_max_length = 100_000).await;
    let session = app.start_session().await;
    let (status, body) = app.upload(&session, &[("big.png", &png(150_000, 5)), ("small.png", &png(1000, 6))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["files"][0]["code"], "too-large-to-scan", "{body}");
    assert_eq!(body["files"][1]["status"], "stored");
}
