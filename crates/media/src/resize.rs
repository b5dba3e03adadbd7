//! Downscaling in bounded memory: a separable Catmull-Rom filter that streams the source a row at
//! a time. Each source row the output needs is read, turned into `f32` and filtered horizontally
//! to the output's width; the few filtered rows one output row needs (the vertical filter's taps)
//! are kept in a ring, and each output row is their weighted sum. Memory besides the output: one
//! source row and `taps` output-width rows in `f32` (for a 2400 → 480 downscale, 21 rows of 480 ×
//! 4 × 4 bytes: 160 KB), where `image`'s `resize_exact` makes a whole `source width × output
//! height` `f32` RGBA image first.
//!
//! With transparency the colour is filtered premultiplied by its alpha, so the colour of
//! transparent pixels (often black or garbage) does not bleed into the edges of what is visible.

use std::collections::VecDeque;

use image::{DynamicImage, GenericImageView, ImageBuffer, Pixel};

/// The Catmull-Rom cubic (B = 0, C = 0.5): sharp, with little ringing; support 2.
fn catmull_rom(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 {
        1.5 * x * x * x - 2.5 * x * x + 1.0
    } else if x < 2.0 {
        -0.5 * x * x * x + 2.5 * x * x - 4.0 * x + 2.0
    } else {
        0.0
    }
}

/// The taps of a one-dimensional downscale: for output pixel `i`, source pixels
/// `start[i]..start[i] + count[i]` weighted by `weights[i * stride..]` (summing to 1).
struct Taps {
    start: Vec<usize>,
    count: Vec<usize>,
    weights: Vec<f32>,
    stride: usize,
}

impl Taps {
    fn new(source: u32, output: u32) -> Taps {
        let ratio = f64::from(source) / f64::from(output);
        let scale = ratio.max(1.0);
        let support = 2.0 * scale;
        let stride = support.ceil() as usize * 2 + 1;
        let mut taps = Taps {
            start: Vec::with_capacity(output as usize),
            count: Vec::with_capacity(output as usize),
            weights: vec![0.0; stride * output as usize],
            stride,
        };
        for i in 0..output as usize {
            let centre = (i as f64 + 0.5) * ratio;
            let first = ((centre - support).floor().max(0.0)) as usize;
            let end = ((centre + support).ceil() as usize).min(source as usize).min(first + stride);
            let weights = &mut taps.weights[i * stride..][..end - first];
            for (j, weight) in (first..end).zip(weights.iter_mut()) {
                *weight = catmull_rom((j as f64 + 0.5 - centre) / scale) as f32;
            }
            let sum: f32 = weights.iter().sum();
            if sum != 0.0 {
                weights.iter_mut().for_each(|weight| *weight /= sum);
            }
            taps.start.push(first);
            taps.count.push(end - first);
        }
        taps
    }

    fn of(&self, i: usize) -> (usize, &[f32]) {
        (self.start[i], &self.weights[i * self.stride..][..self.count[i]])
    }
}

/// Writes source row `y` into `row` as `f32` with `channels` (3: RGB; 4: RGBA with the colour
/// premultiplied by alpha, 0–255).
fn read_row(image: &DynamicImage, y: u32, channels: usize, row: &mut [f32]) {
    let width = image.width() as usize;
    let mut put = |x: usize, rgba: [u8; 4]| {
        let out = &mut row[x * channels..][..channels];
        if channels == 4 {
            let alpha = f32::from(rgba[3]) / 255.0;
            out[0] = f32::from(rgba[0]) * alpha;
            out[1] = f32::from(rgba[1]) * alpha;
            out[2] = f32::from(rgba[2]) * alpha;
            out[3] = f32::from(rgba[3]);
        } else {
            out[0] = f32::from(rgba[0]);
            out[1] = f32::from(rgba[1]);
            out[2] = f32::from(rgba[2]);
        }
    };
    match image {
        DynamicImage::ImageRgb8(buffer) => {
            let raw = &buffer.as_raw()[y as usize * width * 3..][..width * 3];
            for (x, p) in raw.chunks_exact(3).enumerate() {
                put(x, [p[0], p[1], p[2], u8::MAX]);
            }
        }
        DynamicImage::ImageRgba8(buffer) => {
            let raw = &buffer.as_raw()[y as usize * width * 4..][..width * 4];
            for (x, p) in raw.chunks_exact(4).enumerate() {
                put(x, [p[0], p[1], p[2], p[3]]);
            }
        }
        DynamicImage::ImageLuma8(buffer) => {
            let raw = &buffer.as_raw()[y as usize * width..][..width];
            for (x, &l) in raw.iter().enumerate() {
                put(x, [l, l, l, u8::MAX]);
            }
        }
        // Other pixel types (grey with alpha, 16-bit, float): converted pixel by pixel.
        other => {
            for x in 0..other.width() {
                put(x as usize, other.get_pixel(x, y).to_rgba().0);
            }
        }
    }
}

/// The taps per output pixel of a downscale from `source` to `output` pixels.
fn stride(source: u32, output: u32) -> u64 {
    let support = 2.0 * (f64::from(source) / f64::from(output.max(1))).max(1.0);
    support.ceil() as u64 * 2 + 1
}

/// The bytes the filter works with besides its output: the weights of both directions, the ring
/// of filtered rows and one source row, all `f32`. About `16 × (W + H) + 16 × channels × W`: small
/// next to the decoded image unless the image is a few pixels thin.
pub(crate) fn working_bytes(source: (u32, u32), output: (u32, u32), channels: u64) -> u64 {
    let (horizontal, vertical) = (stride(source.0, output.0), stride(source.1, output.1));
    4 * (horizontal * u64::from(output.0)
        + vertical * u64::from(output.1)
        + vertical * u64::from(output.0) * channels
        + u64::from(source.0) * channels)
}

/// The working memory always allowed: small images that are thin (a banner) keep the filter.
const SMALL_WORKING_BYTES: u64 = 4 * 1024 * 1024;

/// `image` downscaled to `width` × `height` (each at most the source's), as 8-bit RGBA when
/// `alpha`, RGB otherwise. When the filter's working memory would exceed both the decoded image's
/// own bytes and [`SMALL_WORKING_BYTES`] (an image a few pixels thin and very long), an area
/// average (`thumbnail_exact`, no working memory) is used instead, so the peak stays bounded by
/// the decoded image.
pub(crate) fn downscale(image: &DynamicImage, width: u32, height: u32, alpha: bool) -> DynamicImage {
    let channels = if alpha { 4 } else { 3 };
    let (source_width, source_height) = image.dimensions();
    let allowed = (image.as_bytes().len() as u64).max(SMALL_WORKING_BYTES);
    if working_bytes((source_width, source_height), (width, height), channels as u64) > allowed {
        let small = image.thumbnail_exact(width, height);
        return if alpha {
            DynamicImage::ImageRgba8(small.into_rgba8())
        } else {
            DynamicImage::ImageRgb8(small.into_rgb8())
        };
    }
    let horizontal = Taps::new(source_width, width);
    let vertical = Taps::new(source_height, height);
    let out_row = width as usize * channels;
    let mut source_row = vec![0.0f32; source_width as usize * channels];
    // The horizontally filtered source rows, oldest first, and the index of the first.
    let mut ring: VecDeque<Vec<f32>> = VecDeque::with_capacity(vertical.stride);
    let mut ring_first = 0usize;
    let mut spare: Vec<Vec<f32>> = Vec::new();
    let mut output = vec![0u8; out_row * height as usize];
    let mut sums = vec![0.0f32; out_row];
    for (y, output_row) in output.chunks_exact_mut(out_row).enumerate() {
        let (first, weights) = vertical.of(y);
        // Windows only move down: drop the rows above this one's, keeping their buffers.
        while ring_first < first && !ring.is_empty() {
            spare.extend(ring.pop_front());
            ring_first += 1;
        }
        if ring.is_empty() {
            ring_first = first;
        }
        while ring.len() < weights.len() {
            let source_y = ring_first + ring.len();
            read_row(image, source_y as u32, channels, &mut source_row);
            let mut filtered = spare.pop().unwrap_or_default();
            filtered.clear();
            filtered.resize(out_row, 0.0);
            for (x, pixel) in filtered.chunks_exact_mut(channels).enumerate() {
                let (start, taps) = horizontal.of(x);
                let source = &source_row[start * channels..];
                for (tap, &weight) in taps.iter().enumerate() {
                    let from = &source[tap * channels..][..channels];
                    for (value, &component) in pixel.iter_mut().zip(from) {
                        *value += weight * component;
                    }
                }
            }
            ring.push_back(filtered);
        }
        sums.fill(0.0);
        for (row, &weight) in ring.iter().zip(weights) {
            for (sum, &value) in sums.iter_mut().zip(row) {
                *sum += weight * value;
            }
        }
        for (pixel, sum) in output_row.chunks_exact_mut(channels).zip(sums.chunks_exact(channels)) {
            if channels == 4 {
                let alpha = sum[3].clamp(0.0, 255.0);
                let unpremultiply = if alpha > 0.0 { 255.0 / alpha } else { 0.0 };
                for c in 0..3 {
                    pixel[c] = (sum[c] * unpremultiply).round().clamp(0.0, 255.0) as u8;
                }
                pixel[3] = alpha.round() as u8;
            } else {
                for c in 0..3 {
                    pixel[c] = sum[c].round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    if alpha {
        DynamicImage::ImageRgba8(ImageBuffer::from_raw(width, height, output).expect("the buffer's size"))
    } else {
        DynamicImage::ImageRgb8(ImageBuffer::from_raw(width, height, output).expect("the buffer's size"))
    }
}

#[cfg(test)]
mod tests {
    use image::imageops::FilterType;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    fn psnr(a: &DynamicImage, b: &DynamicImage) -> f64 {
        let (a, b) = (a.to_rgba8(), b.to_rgba8());
        let mean = a.as_raw().iter().zip(b.as_raw()).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>()
            / a.as_raw().len() as f64;
        10.0 * (255.0f64.powi(2) / mean.max(1e-9)).log10()
    }

    fn detailed(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let stripe = if (x / 3 + y / 5) % 2 == 0 { 40 } else { 220 };
            Rgb([stripe, (x * 255 / width) as u8, (y * 255 / height) as u8])
        })
    }

    #[test]
    fn a_thin_long_image_is_averaged_within_the_decoded_image_s_bytes() {
        assert!(working_bytes((2400, 1600), (480, 320), 3) < 2400 * 1600 * 3 / 50);
        // 40 million pixels in one row: the taps of a Catmull-Rom filter would take 640 MB.
        let thin = (4_000_000, 2);
        assert!(working_bytes(thin, (480, 1), 3) > 4_000_000 * 2 * 3);
        let image = DynamicImage::ImageRgb8(RgbImage::from_fn(thin.0, thin.1, |x, _| Rgb([(x % 256) as u8, 0, 0])));
        let small = downscale(&image, 480, 1, false);
        assert_eq!(small.dimensions(), (480, 1));
    }

    #[test]
    fn taps_sum_to_one_and_stay_inside_the_source() {
        for (source, output) in [(2400, 480), (1000, 960), (7, 3), (100, 100), (3, 1)] {
            let taps = Taps::new(source, output);
            for i in 0..output as usize {
                let (start, weights) = taps.of(i);
                assert!(start + weights.len() <= source as usize, "{source}→{output} at {i}");
                assert!((weights.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{source}→{output} at {i}");
            }
        }
    }

    #[test]
    fn it_matches_image_s_catmull_rom_resize() {
        for (source, (width, height)) in
            [((1200, 800), (480, 320)), ((1000, 700), (960, 672)), ((333, 777), (100, 233))]
        {
            let image = DynamicImage::ImageRgb8(detailed(source.0, source.1));
            let ours = downscale(&image, width, height, false);
            let theirs = image.resize_exact(width, height, FilterType::CatmullRom);
            assert_eq!(ours.dimensions(), (width, height));
            let similarity = psnr(&ours, &theirs);
            assert!(similarity > 40.0, "{source:?} → {width}: {similarity:.1} dB");
        }
    }

    #[test]
    fn a_flat_colour_stays_exact_and_transparent_pixels_do_not_bleed() {
        let flat = DynamicImage::ImageRgb8(RgbImage::from_pixel(500, 300, Rgb([12, 200, 99])));
        let small = downscale(&flat, 123, 74, false).to_rgb8();
        assert!(small.pixels().all(|p| p.0 == [12, 200, 99]));
        // Left half transparent black, right half opaque white: the edge fades in alpha, its
        // colour stays white.
        let edge = DynamicImage::ImageRgba8(RgbaImage::from_fn(400, 100, |x, _| {
            if x < 200 { Rgba([0, 0, 0, 0]) } else { Rgba([255, 255, 255, 255]) }
        }));
        let small = downscale(&edge, 100, 25, true).to_rgba8();
        assert_eq!(small.get_pixel(10, 10).0[3], 0);
        assert_eq!(small.get_pixel(90, 10).0, [255, 255, 255, 255]);
        for x in 0..100 {
            let p = small.get_pixel(x, 10).0;
            assert!(p[3] == 0 || p[0] >= 250, "at {x}: {p:?}");
        }
    }
}
