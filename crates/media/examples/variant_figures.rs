//! Figures behind the crate's choices (a measurement, not a test): for PNG screenshots, the bytes
//! of lossy (`make_variants` at quality 80) and lossless WebP variants at 480 and 960 pixels, how
//! far lossy drifts from the exact resized pixels (PSNR), how far an area-average resize drifts
//! from the Catmull-Rom one, and the peak RSS of making the variants of the large fixture.
//!
//! `cargo run -p vps-media --example variant_figures --features fixtures -- [PNG files…]`
//! (with no files: the largest help-vault screenshots, from `../shared/vaults/…`).

use std::time::Instant;

use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView};
use vps_media::{Limits, fixtures, make_variants};

const DEFAULT_FILES: [&str; 8] = [
    "bases-map-places.png",
    "Sync Canvas-dark.png",
    "web-clipper-kde.png",
    "Mac-OS-DateTime.png",
    "linking-to-a-header-with-double-hashtags.png",
    "Style-guide-modal-example.png",
    "Backlinks.png",
    "notion-export.png",
];

fn psnr(a: &DynamicImage, b: &DynamicImage) -> f64 {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let squares: f64 = a.as_raw().iter().zip(b.as_raw()).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum();
    let mean = squares / a.as_raw().len() as f64;
    if mean == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64.powi(2) / mean).log10() }
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--rss") {
        // Alone in its process, so that VmHWM is this work's.
        let source = fixtures::large_png();
        let before = peak_rss_kib();
        let made = make_variants(&source, &[480, 960, 1600], 80.0, &Limits::default()).unwrap();
        println!(
            "large_png ({} bytes, 2400×1600 RGB): {} variants, peak RSS {} KiB before, {} KiB after",
            source.len(),
            made.len(),
            before,
            peak_rss_kib()
        );
        return;
    }
    let dir = "../shared/vaults/obsidian-help-en/Attachments";
    let files: Vec<String> =
        if args.is_empty() { DEFAULT_FILES.iter().map(|f| format!("{dir}/{f}")).collect() } else { args };
    println!(
        "| image | size | PNG bytes | width | product | lossy q80 | q80 sharp YUV | lossless | near-lossless 60 | PSNR dB: product, q80, q80 sharp | area average vs Catmull-Rom PSNR dB | product ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut totals = [0usize; 6];
    for path in files {
        let source = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let image = image::load_from_memory(&source).unwrap();
        let (width, height) = image.dimensions();
        for target in [480u32, 960] {
            if target >= width {
                continue;
            }
            let target_height =
                ((u64::from(height) * u64::from(target) + u64::from(width) / 2) / u64::from(width)) as u32;
            let started = Instant::now();
            let product = make_variants(&source, &[target], 80.0, &Limits::default()).unwrap().remove(0);
            let product_ms = started.elapsed().as_millis();
            // The product's resize is a streaming Catmull-Rom; `image`'s own gives the same pixels (± rounding).
            let exact = image.resize_exact(target, target_height, FilterType::CatmullRom);
            let encode = |lossless: bool, sharp: bool, near_lossless: i32| {
                let mut config = webp::WebPConfig::new().unwrap();
                config.lossless = i32::from(lossless);
                config.quality = if lossless { 75.0 } else { 80.0 };
                config.use_sharp_yuv = i32::from(sharp);
                config.near_lossless = near_lossless;
                let bytes = if exact.color().has_alpha() {
                    let rgba = exact.to_rgba8();
                    webp::Encoder::from_rgba(rgba.as_raw(), target, target_height).encode_advanced(&config)
                } else {
                    let rgb = exact.to_rgb8();
                    webp::Encoder::from_rgb(rgb.as_raw(), target, target_height).encode_advanced(&config)
                };
                bytes.unwrap().to_vec()
            };
            let lossy = encode(false, false, 100);
            let sharp = encode(false, true, 100);
            let lossless = encode(true, false, 100);
            let near = encode(true, false, 60);
            let fidelity = |bytes: &[u8]| psnr(&exact, &image::load_from_memory(bytes).unwrap());
            let area = image.thumbnail_exact(target, target_height);
            for (total, bytes) in totals.iter_mut().zip([
                product.bytes.len(),
                lossy.len(),
                sharp.len(),
                lossless.len(),
                near.len(),
                source.len(),
            ]) {
                *total += bytes;
            }
            println!(
                "| {} | {width}×{height} | {} | {target} | {} | {} | {} | {} | {} | {:.1}, {:.1}, {:.1} | {:.1} | {product_ms} |",
                path.rsplit('/').next().unwrap_or(&path),
                source.len(),
                product.bytes.len(),
                lossy.len(),
                sharp.len(),
                lossless.len(),
                near.len(),
                fidelity(&product.bytes),
                fidelity(&lossy),
                fidelity(&sharp),
                psnr(&exact, &area),
            );
        }
    }
    println!(
        "total bytes: product {}, lossy q80 {}, q80 sharp YUV {}, lossless {}, near-lossless 60 {} (the PNG originals, once per width: {})",
        totals[0], totals[1], totals[2], totals[3], totals[4], totals[5]
    );
}
