//! Image variants (issue 17): a vault with the seven fixture images of `vps_media::fixtures`
//! embedded in notes, published through the plugin's protocol; the server makes the variants
//! after the publish, off its path, and serves them at `/_img/<sha256>/<width>.webp` — only for
//! what the live revision publishes to the reader. Republishing makes nothing again, a replica
//! on the same bucket reuses them, `gc` keeps only those of kept images, and a crash while
//! decoding is never repeated.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use vps_server::test_util::{RunningApp, start_app};
use vps_testkit::vault::Vault;

use crate::helpers::{KEY, TestApp, spawn_app, spawn_app_with};

/// The fixtures, their vault paths and the widths of the variants each must get (none: it gets
/// no variant — too small, animated, undecodable or a bomb).
fn fixtures() -> Vec<(&'static str, Vec<u8>, &'static [u32])> {
    use vps_media::fixtures::*;
    vec![
        ("img/large.png", large_png(), &[480, 960, 1600]),
        // 1200 × 800 stored, displayed 800 × 1200 (EXIF orientation 6): 480 only.
        ("img/photo.jpg", photo_jpeg_exif(), &[480]),
        ("img/transparent.png", transparent_png(), &[480, 960]),
        ("img/animated.gif", animated_gif(), &[]),
        ("img/tiny.png", tiny_png(), &[]),
        ("img/corrupt.png", corrupt_png(), &[]),
        ("img/bomb.png", bomb_png(), &[]),
    ]
}

/// Variants the fixture vault gets: 3 + 1 + 2.
const MADE: u64 = 6;

/// Writes a vault: `Home.md`, and a note per image embedding it (`Gallery/<name>.md`), then
/// scans it with the product's scan.
fn write_vault(dir: &Path, images: &[(&str, Vec<u8>)], extra_notes: &[(&str, &str)]) -> Vault {
    std::fs::write(dir.join("Home.md"), "# Home\n\nThe gallery.\n").unwrap();
    std::fs::create_dir_all(dir.join("Gallery")).unwrap();
    for (path, bytes) in images {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, bytes).unwrap();
        let name = path.rsplit('/').next().unwrap();
        std::fs::write(dir.join(format!("Gallery/{name}.md")), format!("# {name}\n\n![[{name}]]\n")).unwrap();
    }
    for (path, text) in extra_notes {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    vps_testkit::vault::scan(dir).unwrap()
}

async fn publish(base: &str, vault: &Vault) {
    let done = vps_testkit::Plugin::new(base, KEY).publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
}

/// Removes the image `name` and the note that shows it from the vault in `dir`, and publishes
/// the vault again in full: the image is published no more.
async fn unpublish(base: &str, dir: &Path, name: &str) {
    std::fs::remove_file(dir.join("img").join(name)).unwrap();
    std::fs::remove_file(dir.join("Gallery").join(format!("{name}.md"))).unwrap();
    let vault = vps_testkit::vault::scan(dir).unwrap();
    let done = vps_testkit::Plugin::new(base, KEY)
        .full_publish()
        .publish(&vault.note_payloads(), &vault.asset_payloads())
        .await;
    assert_eq!(done["status"], "completed", "{done}");
}

fn sha(bytes: &[u8]) -> String {
    vps_testkit::sha256_hex(bytes)
}

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A counter or gauge of `/metrics` (0 when absent); `name` may carry labels.
async fn metric(base: &str, name: &str) -> u64 {
    let text = client().get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok()).unwrap_or(0)
}

/// Waits (at most 120 s) until `done` holds.
async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < Duration::from_secs(120), "waited 120 s for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `base` made `made` variants and refused `refused` images (`reason` → count), and
/// nothing waits.
async fn wait_for_variants(base: &str, made: u64, refused: &[(&str, u64)]) {
    wait_until("the variants", || async {
        let mut all = metric(base, "vps_image_variants_made_total").await >= made
            && metric(base, "vps_image_variant_queue").await == 0;
        for (reason, count) in refused {
            all &= metric(base, &format!("vps_image_decode_refusals_total{{reason=\"{reason}\"}}")).await >= *count;
        }
        all
    })
    .await;
}

async fn get(base: &str, path: &str) -> reqwest::Response {
    client().get(format!("{base}{path}")).send().await.unwrap()
}

/// The record file of `source` in a data directory (`blobs/variants/ab/<hex>.json`).
fn record_path(data: &Path, source: &str) -> std::path::PathBuf {
    data.join("blobs/variants").join(&source[..2]).join(format!("{source}.json"))
}

fn record(data: &Path, source: &str) -> Option<vps_core::image::VariantRecord> {
    Some(serde_json::from_slice(&std::fs::read(record_path(data, source)).ok()?).unwrap())
}

/// The peak resident memory of this process (`VmHWM`), in bytes: the app runs in-process.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// The most this test process may reach while the server makes the fixtures' variants: the
/// test harness, the client and the server (tens of MiB) plus one worker's worst case for these
/// images (the 2400 × 1600 PNG: 2 MB source + 11.5 MB decoded + the 1600 variant and libwebp's
/// buffers, ≈ 45 MB), and the tests that run beside it in this binary (the high-water mark is
/// the process's). Measured: 85 MiB alone, 256 MiB with the whole `api` binary. Decoding the
/// bomb (30 GB of pixels) or a second copy of every image would cross it.
const PEAK_RSS_BOUND: u64 = 512 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_its_variants_or_its_original_and_the_server_stays_healthy() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let images: Vec<(&str, Vec<u8>)> = fixtures().into_iter().map(|(path, bytes, _)| (path, bytes)).collect();
    let vault = write_vault(dir.path(), &images, &[]);
    // The high-water mark from here on (Linux ≥ 4.0): what the tests before this one used is not
    // counted; tests running beside it in this binary are.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    publish(&app.base, &vault).await;
    let refusals = [("image-undecodable", 1), ("image-too-many-pixels", 1), ("image-animated", 1)];
    wait_for_variants(&app.base, MADE, &refusals).await;
    let peak = peak_rss();
    eprintln!("peak RSS of the test process (server in-process) after making the variants: {peak} bytes");
    assert!(peak < PEAK_RSS_BOUND, "peak RSS {peak} over {PEAK_RSS_BOUND}");

    // The reader below finds EXIF and GPS where they are: in the uploaded photo.
    let photo = vps_media::fixtures::photo_jpeg_exif();
    let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&photo[..])).unwrap();
    assert!(exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());

    for (path, bytes, widths) in fixtures() {
        let source = sha(&bytes);
        for &width in widths {
            let response = get(&app.base, &format!("/_img/{source}/{width}.webp")).await;
            assert_eq!(response.status(), StatusCode::OK, "{path} at {width}");
            let headers = response.headers().clone();
            assert_eq!(headers["content-type"], "image/webp", "{path}");
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
            let webp = response.bytes().await.unwrap();
            assert_eq!(headers["etag"], format!("\"{}\"", sha(&webp)), "the ETag is the variant's hash");
            let decoded = image::load_from_memory_with_format(&webp, image::ImageFormat::WebP).unwrap();
            assert_eq!(decoded.width(), width, "{path}");
            // The height follows the displayed ratio (the JPEG displays 800 × 1200).
            let (shown_width, shown_height) = match path {
                "img/large.png" => (2400, 1600),
                "img/photo.jpg" => (800, 1200),
                _ => (1000, 700),
            };
            let expected_height = (f64::from(width) * f64::from(shown_height) / f64::from(shown_width)).round() as u32;
            assert!(decoded.height().abs_diff(expected_height) <= 1, "{path}: {}", decoded.height());
            assert_eq!(decoded.color().has_alpha(), path == "img/transparent.png", "{path}: alpha kept, only there");
            if path == "img/transparent.png" {
                let corner = decoded.to_rgba8().get_pixel(0, 0).0;
                assert_eq!(corner[3], 0, "the transparent corner stays transparent");
            }
            // No metadata: no EXIF (so no GPS) chunk, and nothing an EXIF reader can find.
            assert!(!webp.windows(4).any(|w| w == b"EXIF" || w == b"XMP "), "{path}: metadata chunk");
            assert!(exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&webp[..])).is_err(), "{path}");
            // A 304 for its ETag.
            let again = client()
                .get(format!("{}/_img/{source}/{width}.webp", app.base))
                .header("if-none-match", headers["etag"].clone())
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        }
        // A width not offered is not found, whatever the image.
        for width in [320, 2400, 4000] {
            let response = get(&app.base, &format!("/_img/{source}/{width}.webp")).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path} at {width}");
        }
        if widths.is_empty() {
            // No variant URL answers 200: a refused image is redirected to its original, one that
            // gets no variant at all (tiny, animated, a bomb) answers 404.
            for width in [480, 960, 1600] {
                let response = get(&app.base, &format!("/_img/{source}/{width}.webp")).await;
                let status = response.status();
                assert_ne!(status, StatusCode::OK, "{path} at {width}");
                if status == StatusCode::TEMPORARY_REDIRECT {
                    assert_eq!(response.headers()["location"], format!("/_blob/{source}"));
                    assert_eq!(response.headers()["cache-control"], "no-cache");
                } else {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{path} at {width}");
                }
            }
        }
    }
    let corrupt = vps_media::fixtures::corrupt_png();
    let response = get(&app.base, &format!("/_img/{}/480.webp", sha(&corrupt))).await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "the corrupt image is refused, served as uploaded");
    let response = get(&app.base, &format!("/_blob/{}", sha(&corrupt))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), corrupt, "exactly the uploaded bytes");
    let refused = record(app.data.path(), &sha(&corrupt)).expect("a record for the corrupt image");
    assert_eq!(refused.refused.map(|code| code.as_str()), Some("image-undecodable"));
    assert!(refused.variants.is_empty());

    let health = get(&app.base, "/health").await;
    assert_eq!(health.status(), StatusCode::OK, "healthy after the bomb");
    assert_eq!(metric(&app.base, "vps_image_variants_made_total").await, MADE);
    assert!(metric(&app.base, "vps_image_variant_bytes_saved_total").await > 0);
    // Each refusal is counted once, with its reason: the bomb and the animation from their headers.
    for (reason, count) in refusals {
        assert_eq!(metric(&app.base, &format!("vps_image_decode_refusals_total{{reason=\"{reason}\"}}")).await, count);
    }
    let bomb = record(app.data.path(), &sha(&vps_media::fixtures::bomb_png())).expect("a record for the bomb");
    assert_eq!(bomb.refused.map(|code| code.as_str()), Some("image-too-many-pixels"));

    // Republishing the unchanged vault makes nothing again.
    publish(&app.base, &vault).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    wait_for_variants(&app.base, MADE, &[]).await;
    assert_eq!(metric(&app.base, "vps_image_variants_made_total").await, MADE);
    for (reason, count) in refusals {
        assert_eq!(metric(&app.base, &format!("vps_image_decode_refusals_total{{reason=\"{reason}\"}}")).await, count);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variant_is_found_only_while_its_image_is_live_and_the_reader_may_see_it() {
    let hash = vps_access::hash_password("correct horse battery staple").unwrap();
    let text = format!(
        "[access]\nsite = \"public\"\n[access.readers.alice]\npassword = \"{hash}\"\ngroups = [\"team\"]\n\
         [[access.rules]]\nfolder = \"Work\"\ngroups = [\"team\"]\n"
    );
    let config = std::sync::Arc::new(vps_access::AccessConfig::from_settings_text(&text).unwrap().unwrap());
    let app = spawn_app_with(move |s| s.access.config = Some(config)).await;
    let dir = tempfile::tempdir().unwrap();
    let large = vps_media::fixtures::large_png();
    let secret = vps_media::fixtures::transparent_png();
    std::fs::create_dir_all(dir.path().join("Work")).unwrap();
    std::fs::write(dir.path().join("Work/secret.png"), &secret).unwrap();
    let vault = write_vault(
        dir.path(),
        &[("img/large.png", large.clone())],
        &[("Work/Plan.md", "# Plan\n\n![[secret.png]]\n")],
    );
    publish(&app.base, &vault).await;
    wait_for_variants(&app.base, 3 + 2, &[]).await;
    let (large, secret) = (sha(&large), sha(&secret));
    assert_eq!(get(&app.base, &format!("/_img/{large}/480.webp")).await.status(), StatusCode::OK);
    // Made, but only a protected page shows it: an anonymous reader gets what a hash never
    // stored gets.
    assert!(record(app.data.path(), &secret).is_some_and(|record| record.variants.len() == 2));
    for path in [format!("/_img/{secret}/480.webp"), format!("/_blob/{secret}")] {
        let response = get(&app.base, &path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "blob-not-found", "{path}");
    }

    // Published no more: its variants are not found either.
    unpublish(&app.base, dir.path(), "large.png").await;
    let response = get(&app.base, &format!("/_img/{large}/480.webp")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // A hash that is not one is a bad request, as at `/_blob/`; a file that is not a variant's
    // name is not found.
    assert_eq!(get(&app.base, "/_img/abc/480.webp").await.status(), StatusCode::BAD_REQUEST);
    for file in ["0480.webp", "480.png", "480", "480.webp.webp"] {
        assert_eq!(get(&app.base, &format!("/_img/{large}/{file}")).await.status(), StatusCode::NOT_FOUND, "{file}");
    }
}

/// Starts a server on `data` with variants on or off.
async fn start(data: &Path, variants: bool) -> RunningApp {
    start_app(data, move |settings| settings.images.image_variants = variants).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_while_decoding_is_never_repeated_and_gc_keeps_only_the_variants_of_kept_images() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (large, photo) = (vps_media::fixtures::large_png(), vps_media::fixtures::photo_jpeg_exif());
    let vault = write_vault(dir.path(), &[("img/large.png", large.clone()), ("img/photo.jpg", photo.clone())], &[]);
    let (large, photo) = (sha(&large), sha(&photo));

    // Published with variants off: nothing is made.
    let app = start(data.path(), false).await;
    publish(&app.base, &vault).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(metric(&app.base, "vps_image_variants_made_total").await, 0);
    app.stop().await;
    assert!(record(data.path(), &large).is_none());

    // The process died while decoding the large image: its marker is left.
    let markers = data.path().join("variants-inflight");
    std::fs::create_dir_all(&markers).unwrap();
    std::fs::write(markers.join(&large), b"").unwrap();
    let app = start(data.path(), true).await;
    wait_for_variants(&app.base, 1, &[("image-crashed", 1)]).await;
    let crashed = record(data.path(), &large).expect("a record for the image that crashed the server");
    assert_eq!(crashed.refused.map(|code| code.as_str()), Some("image-crashed"));
    assert!(!markers.join(&large).exists(), "the marker is settled");
    assert_eq!(metric(&app.base, "vps_image_variants_made_total").await, 1, "only the photo's 480");
    let response = get(&app.base, &format!("/_img/{large}/480.webp")).await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "served as uploaded");
    assert_eq!(get(&app.base, &format!("/_img/{photo}/480.webp")).await.status(), StatusCode::OK);

    // The photo is published no more; `gc` keeping one revision removes its record and variant
    // and keeps the large image's record.
    unpublish(&app.base, dir.path(), "photo.jpg").await;
    app.stop().await;
    let photo_variant = record(data.path(), &photo).unwrap().variants[0].sha256;
    let settings = vps_server::Settings { data_dir: data.path().to_owned(), ..vps_server::Settings::default() };
    let report = vps_server::admin::gc(&settings, 1, None).await.unwrap();
    assert_eq!(report.variant_records_removed, 1, "{report:?}");
    assert!(record(data.path(), &photo).is_none());
    assert!(record(data.path(), &large).is_some());
    let blob = |hash: &vps_core::ContentHash| {
        let hex = hash.to_hex();
        data.path().join("blobs/sha256").join(&hex[..2]).join(&hex[2..4]).join(&hex)
    };
    assert!(!blob(&photo_variant).exists(), "the variant went with its image");

    // Now decoded normally would mean the large image's variants: after a restart they are
    // still not made (the crash is never repeated).
    let app = start(data.path(), true).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    wait_for_variants(&app.base, 0, &[]).await;
    assert_eq!(metric(&app.base, "vps_image_variants_made_total").await, 0);
    assert_eq!(get(&app.base, &format!("/_img/{large}/480.webp")).await.status(), StatusCode::TEMPORARY_REDIRECT);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_keeps_the_variants_of_a_kept_image() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let transparent = vps_media::fixtures::transparent_png();
    let vault = write_vault(dir.path(), &[("img/transparent.png", transparent.clone())], &[]);
    let app = start(data.path(), true).await;
    publish(&app.base, &vault).await;
    wait_for_variants(&app.base, 2, &[]).await;
    app.stop().await;
    let source = sha(&transparent);
    let made = record(data.path(), &source).unwrap();
    let settings = vps_server::Settings { data_dir: data.path().to_owned(), ..vps_server::Settings::default() };
    let report = vps_server::admin::gc(&settings, 1, None).await.unwrap();
    assert_eq!(report.variant_records_removed, 0, "{report:?}");
    assert_eq!(record(data.path(), &source), Some(made.clone()));
    let app = start(data.path(), true).await;
    for variant in &made.variants {
        let response = get(&app.base, &format!("/_img/{source}/{}.webp", variant.width)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(sha(&response.bytes().await.unwrap()), variant.sha256.to_hex());
    }
    assert_eq!(metric(&app.base, "vps_image_variants_made_total").await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_replica_on_the_same_bucket_reuses_the_variants() {
    let Some(server) = vps_testkit::s3::start_or_skip("s3_a_replica_on_the_same_bucket_reuses_the_variants") else {
        return;
    };
    let first: TestApp = crate::s3::spawn_on(&server, 100).await;
    let dir = tempfile::tempdir().unwrap();
    let large = vps_media::fixtures::large_png();
    let vault = write_vault(dir.path(), &[("img/large.png", large.clone())], &[]);
    publish(&first.base, &vault).await;
    wait_for_variants(&first.base, 3, &[]).await;
    let source = sha(&large);

    let second: TestApp = crate::s3::spawn_on(&server, 100).await;
    for width in [480, 960, 1600] {
        let path = format!("/_img/{source}/{width}.webp");
        wait_until("the replica serves the variant", || async { get(&second.base, &path).await.status() == 200 }).await;
        let (mine, theirs) = (get(&first.base, &path).await, get(&second.base, &path).await);
        assert_eq!(mine.headers()["etag"], theirs.headers()["etag"]);
    }
    wait_for_variants(&second.base, 0, &[]).await;
    assert_eq!(metric(&second.base, "vps_image_variants_made_total").await, 0, "the replica made nothing");
    assert_eq!(metric(&first.base, "vps_image_variants_made_total").await, 3);
}
