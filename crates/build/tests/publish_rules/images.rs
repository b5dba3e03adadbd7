//! Images sized for the reader's screen: the build reads each new raster image's head once, the
//! revision keeps what it says (`Revision::images`), and pages offer the variants the server
//! makes after the publish (`srcset`, `sizes`) with the image's size (`width`, `height`).

use vps_build::{BlobSink, ImageOptions, MemoryBlobs};
use vps_core::image::ImageMeta;
use vps_core::revision::{Asset, Revision};
use vps_core::{AssetPath, MediaType};
use vps_media::fixtures;

use super::{Publish, html_of, note};

/// Stores `bytes` and answers the asset that names them.
fn image(blobs: &MemoryBlobs, path: &str, media_type: &str, bytes: &[u8]) -> (AssetPath, Asset) {
    let sha256 = blobs.put_bytes(bytes).unwrap();
    let asset = Asset { sha256, size: bytes.len() as u64, media_type: MediaType::parse(media_type).unwrap() };
    (AssetPath::parse(path).unwrap(), asset)
}

fn variants_on() -> ImageOptions {
    ImageOptions { variant_widths: vec![480, 960, 1600], limits: vps_media::Limits::default() }
}

/// The `<img …>` tag of the page of `vault_path` whose `alt` is `alt`.
fn img<'h>(html: &'h str, alt: &str) -> &'h str {
    let at = html.find(&format!(r#"alt="{alt}""#)).unwrap_or_else(|| panic!("no image {alt}: {html}"));
    let start = html[..at].rfind("<img ").unwrap();
    &html[start..start + html[start..].find('>').unwrap() + 1]
}

fn fixture_vault(blobs: &MemoryBlobs) -> Publish {
    let assets = vec![
        image(blobs, "large.png", "image/png", &fixtures::large_png()),
        image(blobs, "photo.jpg", "image/jpeg", &fixtures::photo_jpeg_exif()),
        image(blobs, "clear.png", "image/png", &fixtures::transparent_png()),
        image(blobs, "moving.gif", "image/gif", &fixtures::animated_gif()),
        image(blobs, "tiny.png", "image/png", &fixtures::tiny_png()),
        image(blobs, "bomb.png", "image/png", &fixtures::bomb_png()),
    ];
    let text =
        "![[large.png]]\n\n![[photo.jpg]]\n\n![[clear.png|300]]\n\n![[moving.gif]]\n\n![[tiny.png]]\n\n![[bomb.png]]\n";
    Publish { notes: vec![note("Gallery.md", text)], assets, images: variants_on(), ..Publish::default() }
}

#[test]
fn pages_offer_each_image_at_its_size_with_the_variants_it_will_have() {
    let blobs = MemoryBlobs::new();
    let built = fixture_vault(&blobs).on(&blobs, &Revision::empty());
    let revision = &built.revision;
    let meta = |path: &str| revision.images[&revision.assets[&AssetPath::parse(path).unwrap()].sha256];
    assert_eq!(meta("large.png"), ImageMeta { width: 2400, height: 1600, variants: true });
    // EXIF orientation 6: stored 1200 × 800, shown turned a quarter, 800 × 1200.
    assert_eq!(meta("photo.jpg"), ImageMeta { width: 800, height: 1200, variants: true });
    assert!(meta("clear.png").variants);
    assert!(!meta("moving.gif").variants, "a still would replace the animation");
    assert_eq!(meta("tiny.png"), ImageMeta { width: 64, height: 48, variants: true });
    assert_eq!(meta("bomb.png"), ImageMeta { width: 100_000, height: 100_000, variants: false });

    let html = html_of(&blobs, &built, "Gallery.md");
    let large = img(&html, "large.png");
    let sha = revision.assets[&AssetPath::parse("large.png").unwrap()].sha256;
    // Relative, as every URL of a page is (a site under a path prefix works as it is).
    let srcset = format!(
        r#"srcset="_img/{sha}/480.webp 480w, _img/{sha}/960.webp 960w, _img/{sha}/1600.webp 1600w, _blob/{sha} 2400w""#
    );
    assert!(large.contains(&srcset), "{large}");
    assert!(large.contains(r#"width="2400" height="1600""#) && !large.contains("loading="), "{large}");
    let photo = img(&html, "photo.jpg");
    assert!(photo.contains("480.webp 480w, _blob/") && photo.contains(r#" 800w""#), "only narrower widths: {photo}");
    assert!(photo.contains(r#"width="800" height="1200" loading="lazy""#), "{photo}");
    let clear = img(&html, "clear.png");
    assert!(clear.contains(r#"sizes="(max-width: 300px) 100vw, 300px""#), "the writer's width wins: {clear}");
    for still in ["moving.gif", "tiny.png", "bomb.png"] {
        assert!(!img(&html, still).contains("srcset"), "{}", img(&html, still));
    }
    assert!(img(&html, "moving.gif").contains(r#"width="600" height="400""#), "{html}");
    assert!(img(&html, "tiny.png").contains(r#"width="64" height="48""#), "{html}");
}

#[test]
fn republishing_carries_what_is_known_and_other_widths_change_the_pages() {
    let blobs = MemoryBlobs::new();
    let first = fixture_vault(&blobs).on(&blobs, &Revision::empty());
    // The same vault again: nothing to read, nothing laid out again.
    let again = fixture_vault(&blobs).on_live(&blobs, &first);
    assert_eq!(again.revision.images, first.revision.images);
    assert_eq!(again.pages_written, 0);
    // Variants off: the pages keep the images' sizes and lose their srcset.
    let off = Publish { images: ImageOptions { variant_widths: Vec::new(), ..variants_on() }, ..fixture_vault(&blobs) }
        .on_live(&blobs, &first);
    let html = html_of(&blobs, &off, "Gallery.md");
    assert!(!html.contains("srcset") && img(&html, "large.png").contains(r#"width="2400""#), "{html}");
}
