//! Stored encodings: a page, a document, a compressible asset and the site's own files are
//! sent in the gzip or br variant made once (at publish time, or at first use for the files built
//! into the binary), as `Accept-Encoding` asks with its q-values; each variant has its own ETag;
//! nothing is compressed at request time; `HEAD` and 304 read no store; a second view comes from
//! the memory cache.

use std::io::Read;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use vps_testkit::{asset, note};

use crate::helpers::*;

/// A note whose page compresses well.
fn long_note() -> serde_json::Value {
    note("Long.md", &"A paragraph that compresses well, said again and again. ".repeat(300))
}

/// A counter of `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|line| line.split(' ').next() == Some(name)).unwrap_or_else(|| panic!("{name}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// GET `path` with `Accept-Encoding: accept` (none when `None`): status, headers, raw body.
async fn fetch(app: &TestApp, path: &str, accept: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = app.client.get(app.url(path));
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap();
        }
        Some("br") => {
            brotli::Decompressor::new(body, 4096).read_to_end(&mut out).unwrap();
        }
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

/// Every representation of `path`: the coding each `Accept-Encoding` gets, bodies that decode to
/// the identity bytes, `Vary`, and an ETag per coding.
async fn assert_served_in_every_encoding(app: &TestApp, path: &str) {
    let (status, headers, identity) = fetch(app, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert_eq!(header(&headers, "content-encoding"), None, "{path}: not asked for");
    assert_eq!(header(&headers, "vary"), Some("accept-encoding"), "{path}: identity varies too");
    let hash = header(&headers, "etag").unwrap().trim_matches('"').to_owned();
    let table = [
        ("gzip, deflate, br, zstd", Some("br")),
        ("gzip", Some("gzip")),
        ("br;q=0.5, gzip;q=1", Some("gzip")),
        ("br;q=1, gzip;q=0.5", Some("br")),
        ("gzip;q=0, br;q=0", None),
        ("identity;q=0, gzip", Some("gzip")),
        ("*", Some("br")),
        ("deflate", None),
    ];
    for (accept, expected) in table {
        let (status, headers, body) = fetch(app, path, Some(accept)).await;
        assert_eq!(status, StatusCode::OK, "{path} {accept}");
        assert_eq!(header(&headers, "content-encoding"), expected, "{path} {accept}");
        assert_eq!(header(&headers, "vary"), Some("accept-encoding"), "{path} {accept}");
        assert_eq!(header(&headers, "content-length"), Some(&*body.len().to_string()), "{path} {accept}");
        let etag = match expected {
            Some(coding) => format!("\"{hash}-{coding}\""),
            None => format!("\"{hash}\""),
        };
        assert_eq!(header(&headers, "etag"), Some(&*etag), "{path} {accept}");
        if expected.is_some() {
            assert!(body.len() < identity.len(), "{path} {accept}: smaller");
        }
        assert_eq!(decode(expected, &body), identity, "{path} {accept}: the same bytes");
    }
}

#[tokio::test]
async fn a_page_is_sent_in_the_stored_encoding_asked_for_and_decodes_to_the_same_bytes() {
    let app = spawn_app().await;
    app.plugin().publish(&[long_note()], &[]).await;
    assert_served_in_every_encoding(&app, "/long").await;
}

#[tokio::test]
async fn each_variant_revalidates_with_its_own_etag_only() {
    let app = spawn_app().await;
    app.plugin().publish(&[long_note()], &[]).await;
    let (_, headers, _) = fetch(&app, "/long", None).await;
    let hash = header(&headers, "etag").unwrap().trim_matches('"').to_owned();
    let tags = [
        (None, format!("\"{hash}\"")),
        (Some("gzip"), format!("\"{hash}-gzip\"")),
        (Some("br"), format!("\"{hash}-br\"")),
    ];
    for (coding, _) in &tags {
        for (other, tag) in &tags {
            let mut request = app.client.get(app.url("/long")).header("if-none-match", tag);
            if let Some(coding) = coding {
                request = request.header("accept-encoding", *coding);
            }
            let response = request.send().await.unwrap();
            let expected = if coding == other { StatusCode::NOT_MODIFIED } else { StatusCode::OK };
            assert_eq!(response.status(), expected, "{coding:?} revalidated with {tag}");
            assert_eq!(response.headers()["vary"], "accept-encoding", "{coding:?} with {tag}");
            let etag = response.headers()["etag"].to_str().unwrap().to_owned();
            assert_eq!(etag, tags.iter().find(|(c, _)| c == coding).unwrap().1, "the tag of what would be sent");
            let body = response.bytes().await.unwrap();
            assert_eq!(body.is_empty(), expected == StatusCode::NOT_MODIFIED);
        }
    }
}

#[tokio::test]
async fn stored_documents_are_never_compressed_at_request_time() {
    let app = spawn_app().await;
    let svg =
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{}</svg>", "<rect width=\"1\" height=\"1\"/>".repeat(200));
    let notes = [long_note(), note("Folder/Other.md", "Another page. #tag")];
    app.plugin().publish(&notes, &[asset("drawing.svg", svg.as_bytes())]).await;
    let before = metric(&app, "vps_request_compressions_total").await;
    for path in ["/long", "/folder", "/tags/tag", "/sitemap.xml", "/assets/drawing.svg", "/no-such-page"] {
        for accept in ["gzip", "br", "gzip, deflate, br, zstd"] {
            let (_, headers, _) = fetch(&app, path, Some(accept)).await;
            let etag = header(&headers, "etag");
            let encoding = header(&headers, "content-encoding");
            assert!(
                encoding.is_none() || etag.is_some_and(|tag| tag.ends_with(&format!("-{}\"", encoding.unwrap()))),
                "{path}: a stored variant"
            );
        }
    }
    assert_eq!(metric(&app, "vps_request_compressions_total").await, before, "no request-time compression");
    // The counter counts: a dynamic answer is compressed at request time.
    let (_, headers, _) = fetch(&app, "/search?q=paragraph", Some("gzip")).await;
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(metric(&app, "vps_request_compressions_total").await, before + 1);
}

#[tokio::test]
async fn an_svg_asset_and_the_sites_own_stylesheet_have_variants_too() {
    let app = spawn_app().await;
    let svg =
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{}</svg>", "<rect width=\"1\" height=\"1\"/>".repeat(200));
    app.plugin().publish(&[note("Page.md", "![[drawing.svg]]")], &[asset("drawing.svg", svg.as_bytes())]).await;
    assert_served_in_every_encoding(&app, "/assets/drawing.svg").await;
    let (status, _, body) = fetch(&app, "/assets/drawing.svg", None).await;
    assert_eq!((status, body), (StatusCode::OK, svg.into_bytes()));
    assert_served_in_every_encoding(&app, &vps_site::style_href()).await;
}

#[tokio::test]
async fn head_answers_the_length_of_each_variant_without_reading_the_store() {
    let app = spawn_app().await;
    app.plugin().publish(&[long_note()], &[asset("pic.png", &png(20_000, 4))]).await;
    let mut lengths = Vec::new();
    for accept in ["identity", "gzip", "br"] {
        let (_, headers, body) = fetch(&app, "/long", Some(accept)).await;
        lengths.push((accept, body.len(), header(&headers, "content-encoding").map(str::to_owned)));
    }
    let reads = metric(&app, "vps_store_blob_reads_total").await;
    for (path, accept, len, encoding) in lengths
        .iter()
        .map(|(accept, len, encoding)| ("/long", *accept, *len, encoding.clone()))
        .chain([("/assets/pic.png", "gzip", 20_000, None)])
    {
        let response = app.client.head(app.url(path)).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path} {accept}");
        assert_eq!(response.headers()["content-length"], len.to_string().as_str(), "{path} {accept}");
        assert_eq!(response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned()), encoding);
        assert!(response.bytes().await.unwrap().is_empty());
    }
    assert_eq!(metric(&app, "vps_store_blob_reads_total").await, reads, "HEAD read no blob");
}

#[tokio::test]
async fn a_second_view_of_a_page_comes_from_the_memory_cache() {
    let app = spawn_app().await;
    app.plugin().publish(&[long_note()], &[]).await;
    let (_, _, first) = fetch(&app, "/long", Some("br")).await;
    let (hits, misses, reads) = (
        metric(&app, "vps_blob_cache_hits_total").await,
        metric(&app, "vps_blob_cache_misses_total").await,
        metric(&app, "vps_store_blob_reads_total").await,
    );
    assert!(metric(&app, "vps_blob_cache_bytes").await >= first.len() as u64);
    let (_, _, second) = fetch(&app, "/long", Some("br")).await;
    assert_eq!(second, first);
    assert_eq!(metric(&app, "vps_blob_cache_hits_total").await, hits + 1);
    assert_eq!(metric(&app, "vps_blob_cache_misses_total").await, misses);
    assert_eq!(metric(&app, "vps_store_blob_reads_total").await, reads, "no store read");
}

#[tokio::test]
async fn with_no_cache_budget_every_view_reads_the_store() {
    let app = spawn_app_with(|settings| settings.http.site_cache_bytes = 0).await;
    app.plugin().publish(&[long_note()], &[]).await;
    fetch(&app, "/long", None).await;
    let reads = metric(&app, "vps_store_blob_reads_total").await;
    fetch(&app, "/long", None).await;
    assert!(metric(&app, "vps_store_blob_reads_total").await > reads);
    assert_eq!(metric(&app, "vps_blob_cache_hits_total").await, 0);
    assert_eq!(metric(&app, "vps_blob_cache_bytes").await, 0);
}

#[tokio::test]
async fn a_range_is_served_from_the_identity_bytes() {
    let app = spawn_app().await;
    let svg =
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{}</svg>", "<rect width=\"1\" height=\"1\"/>".repeat(200));
    app.plugin().publish(&[], &[asset("drawing.svg", svg.as_bytes())]).await;
    let response = app
        .client
        .get(app.url("/assets/drawing.svg"))
        .header("accept-encoding", "br, gzip")
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert!(response.headers().get("content-encoding").is_none());
    assert_eq!(response.headers()["vary"], "accept-encoding");
    assert_eq!(response.bytes().await.unwrap(), svg.as_bytes()[..100]);
}

#[tokio::test]
async fn on_s3_a_page_viewed_before_is_served_with_no_store_request() {
    let test = "on_s3_a_page_viewed_before_is_served_with_no_store_request";
    let Some(server) = vps_testkit::s3::start_or_skip(test) else { return };
    let app = crate::s3::spawn_on(&server, 60_000).await;
    app.plugin().publish(&[long_note()], &[]).await;
    let (_, _, first) = fetch(&app, "/long", Some("br")).await;
    let (_, _, identity) = fetch(&app, "/long", None).await;
    let reads = metric(&app, "vps_store_blob_reads_total").await;

    // Both blobs leave the bucket behind the server's back: only the memory cache can answer.
    for bytes in [&first, &identity] {
        let hex = sha256_hex(bytes);
        let key = server.key(&format!("blobs/sha256/{}/{}/{hex}", &hex[0..2], &hex[2..4]));
        object_store::ObjectStoreExt::delete(&*crate::s3::bucket(&server), &key).await.unwrap();
    }
    for _ in 0..3 {
        let (status, _, again) = fetch(&app, "/long", Some("br")).await;
        assert_eq!((status, again == first), (StatusCode::OK, true));
        let (status, _, again) = fetch(&app, "/long", None).await;
        assert_eq!((status, again == identity), (StatusCode::OK, true));
    }
    assert_eq!(metric(&app, "vps_store_blob_reads_total").await, reads, "no store request");
}
