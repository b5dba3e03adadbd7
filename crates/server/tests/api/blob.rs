use reqwest::StatusCode;

use crate::helpers::*;

async fn stored_blob(app: &TestApp, data: &[u8]) -> String {
    let session = app.start_session().await;
    let (status, body) = app.upload(&session, &[("file.png", data)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.publish_session(&session).await;
    format!("/_blob/{}", sha256_hex(data))
}

#[tokio::test]
async fn blobs_are_served_immutable_with_their_hash_as_etag() {
    let app = spawn_app().await;
    let data = png(100_000, 1);
    let url = app.url(&stored_blob(&app, &data).await);

    let response = app.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["etag"], format!("\"{}\"", sha256_hex(&data)));
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["content-length"], "100000");

    let head = app.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], "100000");
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn if_none_match_answers_304_without_a_body() {
    let app = spawn_app().await;
    let data = png(1000, 2);
    let url = app.url(&stored_blob(&app, &data).await);
    let etag = format!("\"{}\"", sha256_hex(&data));
    for tag in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}"), "*".into()] {
        let response = app.client.get(&url).header("if-none-match", &tag).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(response.headers()["etag"], etag.as_str());
        assert!(response.bytes().await.unwrap().is_empty());
    }
    let response = app.client.get(&url).header("if-none-match", "\"other\"").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn single_ranges_are_served_with_206_and_unsatisfiable_ones_with_416() {
    let app = spawn_app().await;
    let data = png(10_000, 3);
    let url = app.url(&stored_blob(&app, &data).await);
    let get = |range: &'static str| app.client.get(&url).header("range", range).send();

    let response = get("bytes=100-199").await.unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.headers()["content-range"], "bytes 100-199/10000");
    assert_eq!(response.bytes().await.unwrap(), data[100..200]);

    let response = get("bytes=-10").await.unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.bytes().await.unwrap(), data[9990..]);

    let response = get("bytes=9000-").await.unwrap();
    assert_eq!(response.bytes().await.unwrap(), data[9000..]);

    let response = get("bytes=10000-").await.unwrap();
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(response.headers()["content-range"], "bytes */10000");

    // Several ranges: the whole blob, as RFC 9110 allows.
    let response = get("bytes=0-1,5-6").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), data);

    // If-Range with another version: the whole (new) blob instead of a piece of it.
    let response =
        app.client.get(&url).header("range", "bytes=0-9").header("if-range", "\"old\"").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_malformed_hashes_are_json_404_and_400() {
    let app = spawn_app().await;
    let response = app.client.get(app.url(&format!("/_blob/{}", "0".repeat(64)))).send().await.unwrap();
    let (status, body) = json_answer(response).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("blob-not-found")));

    for bad in ["abc", "%2E%2E%2Fapi-key", &"g".repeat(64)] {
        let response = app.client.get(app.url(&format!("/_blob/{bad}"))).send().await.unwrap();
        let (status, body) = json_answer(response).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid-hash")), "{bad}");
    }
}
