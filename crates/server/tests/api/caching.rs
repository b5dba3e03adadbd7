//! What caches and browsers see: compressed text, validators that survive compression.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn pages_are_compressed_and_revalidate_with_304() {
    let app = spawn_app().await;
    let body = "A paragraph that compresses well. ".repeat(200);
    app.plugin().publish(&[vps_testkit::note("Long.md", &body)], &[]).await;

    let plain = app.client.get(app.url("/long")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none(), "not asked for");
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();

    let gzip = app.client.get(app.url("/long")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_eq!(gzip.headers()["vary"], "accept-encoding");
    let gzip_etag = gzip.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(gzip_etag, etag, "a compressed variant has its own validator");
    assert!(gzip.bytes().await.unwrap().len() < body.len() / 4);

    for (tag, encoding) in [(&etag, "identity"), (&gzip_etag, "gzip")] {
        let again = app
            .client
            .get(app.url("/long"))
            .header("accept-encoding", encoding)
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{tag}");
    }
    let br = app.client.get(app.url("/long")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
}

#[tokio::test]
async fn images_are_never_recompressed() {
    let app = spawn_app().await;
    let session = app.start_session().await;
    let image = png(50_000, 1);
    app.upload(&session, &[("i.png", &image)]).await;
    app.publish_session(&session).await;
    let response = app
        .client
        .get(app.url(&format!("/_blob/{}", sha256_hex(&image))))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("content-encoding").is_none());
    assert_eq!(response.bytes().await.unwrap(), image);
}
