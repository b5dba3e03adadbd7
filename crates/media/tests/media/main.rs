//! Every fixture through `probe` and `make_variants`: sizes, formats, orientation, alpha, no
//! metadata, and each refusal.

mod memory;

use std::io::Cursor;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use image::{GenericImageView, ImageFormat};
use vps_core::ErrorCode;
use vps_core::image::{DEFAULT_VARIANT_WIDTHS, ImageMeta, VariantFormat, variant_widths};
use vps_media::{Limits, Made, PROBE_BYTES, Refusal, fixtures, make_variants, probe};

const QUALITY: f32 = 80.0;

fn cached(cell: &'static OnceLock<Vec<u8>>, make: fn() -> Vec<u8>) -> &'static [u8] {
    cell.get_or_init(make)
}

fn large_png() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    cached(&BYTES, fixtures::large_png)
}

fn photo() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    cached(&BYTES, fixtures::photo_jpeg_exif)
}

/// The widths the server asks for: the defaults narrower than the displayed image.
fn widths_for(source: &[u8]) -> Vec<u32> {
    variant_widths(probe(source, &Limits::default()).width, &DEFAULT_VARIANT_WIDTHS)
}

/// The chunks of a RIFF/WebP file, in order.
fn riff_chunks(bytes: &[u8]) -> Vec<String> {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WEBP");
    assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize, bytes.len() - 8, "RIFF size");
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&bytes[at..at + 4]).into_owned());
        at += 8 + size + (size & 1);
    }
    assert_eq!(at, bytes.len(), "the chunks fill the file");
    chunks
}

/// Checks what every variant must be: WebP of its stated size, with only image chunks and no
/// EXIF an EXIF reader can find. Returns the decoded variant.
fn check_variant(made: &Made) -> image::DynamicImage {
    assert_eq!(made.format, VariantFormat::Webp);
    assert_eq!(image::guess_format(&made.bytes).unwrap(), ImageFormat::WebP);
    for chunk in riff_chunks(&made.bytes) {
        assert!(["VP8 ", "VP8L", "VP8X", "ALPH"].contains(&chunk.as_str()), "chunk {chunk:?} in a variant");
    }
    match exif::Reader::new().read_from_container(&mut Cursor::new(&made.bytes)) {
        Err(exif::Error::NotFound(_)) => {}
        Err(other) => panic!("reading a variant's EXIF: {other}"),
        Ok(exif) => panic!("a variant has EXIF: {:?}", exif.fields().map(|f| f.tag).collect::<Vec<_>>()),
    }
    let decoded = image::load_from_memory_with_format(&made.bytes, ImageFormat::WebP).unwrap();
    assert_eq!(decoded.dimensions(), (made.width, made.height));
    decoded
}

fn sizes(made: &[Made]) -> Vec<(u32, u32)> {
    made.iter().map(|made| (made.width, made.height)).collect()
}

#[test]
fn a_large_png_gets_a_variant_at_every_default_width_keeping_its_ratio() {
    let source = large_png();
    assert_eq!(probe(source, &Limits::default()), ImageMeta { width: 2400, height: 1600, variants: true });
    // The server probes the first PROBE_BYTES only.
    assert_eq!(probe(&source[..PROBE_BYTES], &Limits::default()), probe(source, &Limits::default()));
    let widths = widths_for(source);
    assert_eq!(widths, [480, 960, 1600]);
    let made = make_variants(source, &widths, QUALITY, &Limits::default()).unwrap();
    assert_eq!(sizes(&made), [(480, 320), (960, 640), (1600, 1067)]);
    for variant in &made {
        let decoded = check_variant(variant);
        assert!(!decoded.color().has_alpha(), "an opaque source gives RGB variants");
        assert!(variant.bytes.len() < source.len() / 2, "{} bytes at {}", variant.bytes.len(), variant.width);
    }
}

#[test]
fn a_sideways_jpeg_is_turned_upright_and_loses_its_exif_and_gps() {
    let source = photo();
    // The fixture does carry a GPS position, read back with the same reader.
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(source)).unwrap();
    assert!(exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());
    assert!(exif.get_field(exif::Tag::GPSLongitude, exif::In::PRIMARY).is_some());

    assert_eq!(probe(source, &Limits::default()), ImageMeta { width: 800, height: 1200, variants: true });
    let widths = widths_for(source);
    assert_eq!(widths, [480]);
    let made = make_variants(source, &widths, QUALITY, &Limits::default()).unwrap();
    assert_eq!(sizes(&made), [(480, 720)]);
    let decoded = check_variant(&made[0]).to_rgb8();
    // The stored image's red top-left corner is displayed at the top right.
    let [r, g, b] = decoded.get_pixel(470, 10).0;
    assert!(r > 200 && g < 60 && b < 60, "top right is {:?}", [r, g, b]);
    let [r, _, _] = decoded.get_pixel(10, 10).0;
    assert!(r < 60, "top left is not red: {r}");
}

#[test]
fn a_transparent_png_keeps_its_alpha() {
    let source = fixtures::transparent_png();
    assert_eq!(probe(&source, &Limits::default()), ImageMeta { width: 1000, height: 700, variants: true });
    let widths = widths_for(&source);
    assert_eq!(widths, [480, 960]);
    let made = make_variants(&source, &widths, QUALITY, &Limits::default()).unwrap();
    assert_eq!(sizes(&made), [(480, 336), (960, 672)]);
    for variant in &made {
        assert!(riff_chunks(&variant.bytes).contains(&"ALPH".to_owned()));
        let decoded = check_variant(variant).to_rgba8();
        assert_eq!(decoded.get_pixel(2, 2).0[3], 0, "a transparent corner stays transparent");
        let centre = decoded.get_pixel(variant.width / 2, variant.height / 4).0[3];
        assert_eq!(centre, 255, "the disc stays opaque");
    }
}

#[test]
fn an_animated_gif_is_refused_and_probed_without_variants() {
    let source = fixtures::animated_gif();
    assert_eq!(probe(&source, &Limits::default()), ImageMeta { width: 600, height: 400, variants: false });
    let refusal = make_variants(&source, &[480], QUALITY, &Limits::default()).unwrap_err();
    assert_eq!(refusal, Refusal::Animated);
    assert_eq!(refusal.code(), ErrorCode::ImageAnimated);
}

#[test]
fn a_still_gif_and_a_webp_get_variants_too() {
    let mut gif = Vec::new();
    image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]))
        .write_to(&mut Cursor::new(&mut gif), ImageFormat::Gif)
        .unwrap();
    let webp = make_variants(large_png(), &[1600], QUALITY, &Limits::default()).unwrap().remove(0).bytes;
    let pixels = [10u8, 200, 30, 255].repeat(700 * 500);
    let lossless = webp::Encoder::from_rgba(&pixels, 700, 500).encode_lossless().to_vec();
    assert_eq!(riff_chunks(&lossless), ["VP8L"]);
    for (source, size) in [(gif, (640, 480)), (webp, (1600, 1067)), (lossless, (700, 500))] {
        let meta = probe(&source, &Limits::default());
        assert_eq!((meta.width, meta.height, meta.variants), (size.0, size.1, true));
        let made = make_variants(&source, &[480], QUALITY, &Limits::default()).unwrap();
        assert_eq!(sizes(&made), [(480, size.1 * 480 / size.0 + u32::from(size.1 * 480 % size.0 * 2 >= size.0))]);
        check_variant(&made[0]);
    }
}

#[test]
fn a_tiny_image_gets_no_variant() {
    let source = fixtures::tiny_png();
    assert_eq!(probe(&source, &Limits::default()), ImageMeta { width: 64, height: 48, variants: true });
    assert_eq!(widths_for(&source), Vec::<u32>::new());
    assert_eq!(make_variants(&source, &[], QUALITY, &Limits::default()), Ok(Vec::new()));
    // Widths not narrower than the image are skipped even when asked for.
    assert_eq!(make_variants(&source, &[64, 480], QUALITY, &Limits::default()), Ok(Vec::new()));
}

#[test]
fn a_corrupt_png_reads_its_header_but_is_undecodable() {
    let source = fixtures::corrupt_png();
    assert_eq!(probe(&source, &Limits::default()), ImageMeta { width: 800, height: 600, variants: true });
    let refusal = make_variants(&source, &[480], QUALITY, &Limits::default()).unwrap_err();
    assert!(matches!(refusal, Refusal::Undecodable(_)), "{refusal:?}");
    assert_eq!(refusal.code(), ErrorCode::ImageUndecodable);
}

#[test]
fn a_decompression_bomb_is_refused_at_once_without_allocating() {
    let source = fixtures::bomb_png();
    assert!(source.len() < 8 * 1024, "a few KB: {}", source.len());
    let meta = probe(&source, &Limits::default());
    assert_eq!(meta, ImageMeta { width: 100_000, height: 100_000, variants: false });
    let started = Instant::now();
    let (result, peak) = memory::peak_while(|| make_variants(&source, &[480, 960, 1600], QUALITY, &Limits::default()));
    assert_eq!(result, Err(Refusal::TooManyPixels { pixels: 10_000_000_000, limit: 40_000_000 }));
    assert_eq!(result.unwrap_err().code(), ErrorCode::ImageTooManyPixels);
    assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
    assert!(peak < 64 * 1024, "allocated {peak} bytes to refuse it");
}

#[test]
fn an_image_whose_pixels_need_more_than_max_decode_bytes_is_refused() {
    let mut source = Vec::new();
    image::GrayImage::new(6000, 6000).write_to(&mut Cursor::new(&mut source), ImageFormat::Png).unwrap();
    let limits = Limits { max_decode_bytes: 16 * 1024 * 1024, ..Limits::default() };
    assert_eq!(probe(&source, &limits), ImageMeta { width: 6000, height: 6000, variants: false });
    assert_eq!(probe(&source, &Limits::default()), ImageMeta { width: 6000, height: 6000, variants: true });
    let (result, peak) = memory::peak_while(|| make_variants(&source, &[480], QUALITY, &limits));
    let refusal = result.unwrap_err();
    assert_eq!(refusal, Refusal::TooMuchMemory { limit: 16 * 1024 * 1024 });
    assert_eq!(refusal.code(), ErrorCode::ImageTooMuchMemory);
    assert!(peak < 1024 * 1024, "allocated {peak} bytes to refuse it");
}

#[test]
fn the_other_limits_refuse_with_their_codes() {
    let source = fixtures::tiny_png();
    let slow = Limits { timeout: Duration::ZERO, ..Limits::default() };
    let refusal = make_variants(large_png(), &[480], QUALITY, &slow).unwrap_err();
    assert_eq!((refusal.clone(), refusal.code()), (Refusal::TooSlow(Duration::ZERO), ErrorCode::ImageTooSlow));

    let small = Limits { max_source_bytes: 100, ..Limits::default() };
    let refusal = make_variants(&source, &[32], QUALITY, &small).unwrap_err();
    assert_eq!(refusal, Refusal::TooLarge { size: source.len() as u64, limit: 100 });
    assert_eq!(refusal.code(), ErrorCode::ImageTooLarge);

    let few = Limits { max_pixels: 64 * 48 - 1, ..Limits::default() };
    assert!(!probe(&source, &few).variants);
    assert_eq!(make_variants(&source, &[32], QUALITY, &few).unwrap_err().code(), ErrorCode::ImageTooManyPixels);

    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' width='800' height='600'/>";
    assert_eq!(probe(svg, &Limits::default()), ImageMeta::UNREADABLE);
    assert_eq!(make_variants(svg, &[480], QUALITY, &Limits::default()), Err(Refusal::Unsupported));
    assert_eq!(probe(&fixtures::large_png()[..20], &Limits::default()), ImageMeta::UNREADABLE);
}

#[test]
fn making_a_large_png_s_variants_allocates_no_full_size_float_copy() {
    let source = large_png();
    let decoded = 2400 * 1600 * 3;
    let (made, peak) = memory::peak_while(|| make_variants(source, &[480, 960, 1600], QUALITY, &Limits::default()));
    assert_eq!(made.unwrap().len(), 3);
    // The decoded image, the widest variant as RGB and the filter's rows (about 150 KB); a
    // resize through a full `f32` image would take 2400 × 1067 × 16 = 41 MB more.
    let bound = decoded + 1600 * 1067 * 3 + 2 * 1024 * 1024;
    eprintln!("peak Rust allocation making 3 variants of a 2400×1600 RGB PNG: {peak} bytes (bound {bound})");
    assert!(peak < bound, "peak {peak} over {bound}");
}

#[test]
fn an_animated_webp_is_refused_and_probed_without_variants() {
    let config = webp::WebPConfig::new().unwrap();
    let frames: Vec<Vec<u8>> = (0..3u8).map(|i| [40 * i, 100, 200].repeat(600 * 400)).collect();
    let mut encoder = webp::AnimEncoder::new(600, 400, &config);
    for (index, frame) in frames.iter().enumerate() {
        encoder.add_frame(webp::AnimFrame::from_rgb(frame, 600, 400, 100 * index as i32));
    }
    let source = encoder.encode().to_vec();
    assert_eq!(probe(&source, &Limits::default()), ImageMeta { width: 600, height: 400, variants: false });
    assert_eq!(make_variants(&source, &[480], QUALITY, &Limits::default()), Err(Refusal::Animated));
}

#[test]
fn a_16_bit_png_with_transparency_gets_8_bit_variants_with_alpha() {
    let image = image::ImageBuffer::from_fn(600, 400, |x, _| {
        image::Rgba([(x * 100) as u16, 30_000, 60_000, if x < 300 { 0 } else { u16::MAX }])
    });
    let mut source = Vec::new();
    image::DynamicImage::ImageRgba16(image).write_to(&mut Cursor::new(&mut source), ImageFormat::Png).unwrap();
    assert_eq!(probe(&source, &Limits::default()), ImageMeta { width: 600, height: 400, variants: true });
    let made = make_variants(&source, &[480, 480], QUALITY, &Limits::default()).unwrap();
    assert_eq!(sizes(&made), [(480, 320)], "a width asked twice is made once");
    let decoded = check_variant(&made[0]).to_rgba8();
    assert_eq!((decoded.get_pixel(10, 10).0[3], decoded.get_pixel(470, 10).0[3]), (0, 255));
    assert_eq!(probe(&made[0].bytes, &Limits::default()), ImageMeta { width: 480, height: 320, variants: true });
}

/// Damaged files, made deterministically from the fixtures (prefixes, flipped bytes), never
/// panic: `probe` reads what it can, `make_variants` refuses with a code.
#[test]
fn damaged_images_never_panic() {
    let sources = [
        fixtures::tiny_png(),
        fixtures::photo_jpeg_exif(),
        fixtures::animated_gif(),
        fixtures::bomb_png(),
        fixtures::corrupt_png(),
        fixtures::transparent_png(),
        make_variants(&fixtures::transparent_png(), &[480], QUALITY, &Limits::default()).unwrap().remove(0).bytes,
    ];
    let mut state = 7u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for source in &sources {
        let head = &source[..source.len().min(4096)];
        for end in 0..head.len().min(400) {
            let _ = probe(&head[..end], &Limits::default());
        }
        for _ in 0..300 {
            let mut damaged = head.to_vec();
            for _ in 0..1 + next() % 4 {
                if !damaged.is_empty() {
                    let at = next() % damaged.len();
                    damaged[at] = next() as u8;
                }
            }
            let _ = probe(&damaged, &Limits::default());
        }
    }
    // Whole small images, damaged, through the decoder: a refusal or variants, never a panic.
    let tiny = fixtures::tiny_png();
    for _ in 0..200 {
        let mut damaged = tiny.clone();
        let at = next() % damaged.len();
        damaged[at] = next() as u8;
        if let Err(refusal) = make_variants(&damaged, &[32], QUALITY, &Limits::default()) {
            let _ = refusal.code();
        }
    }
}

/// The Obsidian help vault (English), shared read-only beside the workspace; `HELP_VAULT`
/// points elsewhere.
fn help_vault() -> std::path::PathBuf {
    std::env::var_os("HELP_VAULT").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vaults/obsidian-help-en")
    })
}

/// Every raster image of the help vault: `probe` on its first bytes gives the size the decoder
/// finds, and its 480 variant (when it is wider) is made, WebP, smaller than the original.
#[test]
fn every_help_vault_image_is_probed_right_and_gets_its_variant() {
    let mut folders = vec![help_vault()];
    let mut images = 0;
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            if !["png", "jpg", "jpeg", "gif", "webp"].contains(&extension.as_str()) {
                continue;
            }
            images += 1;
            let source = std::fs::read(&path).unwrap();
            let meta = probe(&source[..source.len().min(PROBE_BYTES)], &Limits::default());
            let mut decoded = image::load_from_memory(&source).unwrap();
            let orientation = image::ImageReader::new(Cursor::new(&source))
                .with_guessed_format()
                .unwrap()
                .into_decoder()
                .and_then(|mut decoder| image::ImageDecoder::orientation(&mut decoder))
                .unwrap();
            decoded.apply_orientation(orientation);
            assert_eq!((meta.width, meta.height, meta.variants), (decoded.width(), decoded.height(), true), "{path:?}");
            let made =
                make_variants(&source, &variant_widths(meta.width, &[480]), QUALITY, &Limits::default()).unwrap();
            for variant in &made {
                check_variant(variant);
                assert!(variant.bytes.len() < source.len(), "{path:?}: {} ≥ {}", variant.bytes.len(), source.len());
            }
        }
    }
    assert!(images >= 40, "only {images} images in the help vault");
}
