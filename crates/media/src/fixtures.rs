//! Generated test images (feature `fixtures`): the bytes of each kind of image the variants
//! must handle, made by code and the same on every call (a fixed-seed generator, no randomness),
//! for this crate's tests, the server's and the benchmark. The product binary does not carry them.

use std::io::Cursor;

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::{Delay, Frame, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// A deterministic pseudo-random sequence (a 64-bit LCG, Knuth's constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, bound: u32) -> u32 {
        self.next() % bound.max(1)
    }
}

fn png(image: impl Into<image::DynamicImage>) -> Vec<u8> {
    let mut bytes = Vec::new();
    image.into().write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).expect("encoding a PNG in memory");
    bytes
}

/// Gradients with lines of dark "words" (boxes of noise the size of glyphs), like a screenshot
/// of text: detail everywhere, so neither PNG nor WebP compresses it to nothing.
fn screenshot(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (200 + x * 55 / width) as u8,
            (210 + y * 45 / height) as u8,
            (235 - (x + y) * 30 / (width + height)) as u8,
        ])
    });
    let mut random = Lcg(seed);
    let (line_height, glyph_width, glyph_height) = (22, 8, 12);
    let mut y = 16;
    while y + glyph_height < height - 8 {
        let mut x = 24 + random.below(40);
        let line_end = width - 24 - random.below(width / 3);
        while x + glyph_width < line_end {
            let word = 2 + random.below(8);
            for _ in 0..word {
                if x + glyph_width >= line_end {
                    break;
                }
                for dy in 0..glyph_height {
                    for dx in 0..glyph_width - 2 {
                        if random.below(3) == 0 {
                            image.put_pixel(x + dx, y + dy, Rgb([30, 30, 40]));
                        }
                    }
                }
                x += glyph_width;
            }
            x += glyph_width;
        }
        y += line_height;
    }
    image
}

/// A 2400 × 1600 RGB PNG screenshot of "text" on gradients (2.6 MB): variants at every
/// default width (480, 960, 1600).
pub fn large_png() -> Vec<u8> {
    png(screenshot(2400, 1600, 1))
}

/// A 1200 × 800 JPEG stored sideways, with an APP1 EXIF segment saying Orientation = 6 (turn a
/// quarter clockwise to display: it displays 800 × 1200) and a GPS IFD with GPSLatitude 48°51'29.52"
/// N and GPSLongitude 2°17'40.2" E. The stored image's top-left 200 × 200 corner is pure red, so
/// it is at the displayed image's top right; the rest is a blue-green gradient.
pub fn photo_jpeg_exif() -> Vec<u8> {
    let image = RgbImage::from_fn(1200, 800, |x, y| {
        if x < 200 && y < 200 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, (60 + y * 150 / 800) as u8, (90 + x * 150 / 1200) as u8])
        }
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&image).expect("encoding a JPEG in memory");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(exif_tiff());
    let mut bytes = jpeg[..2].to_vec(); // SOI
    bytes.extend([0xFF, 0xE1]);
    bytes.extend(u16::try_from(app1.len() + 2).expect("a small segment").to_be_bytes());
    bytes.extend(app1);
    bytes.extend(&jpeg[2..]);
    bytes
}

/// The TIFF structure of [`photo_jpeg_exif`]'s EXIF, little-endian, written by hand: IFD0 with
/// Orientation and the GPS IFD's offset, then the GPS IFD and its two rationals triples.
fn exif_tiff() -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        tiff.extend(value);
    };
    let (ifd0, gps_ifd) = (8u32, 38u32); // IFD0: 2 + 2 × 12 + 4 bytes
    let (latitude, longitude) = (gps_ifd + 2 + 4 * 12 + 4, gps_ifd + 2 + 4 * 12 + 4 + 24);
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(ifd0.to_le_bytes());
    tiff.extend(2u16.to_le_bytes());
    entry(&mut tiff, 0x0112, SHORT, 1, [6, 0, 0, 0]);
    entry(&mut tiff, 0x8825, LONG, 1, gps_ifd.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    debug_assert_eq!(tiff.len() as u32, gps_ifd);
    tiff.extend(4u16.to_le_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, RATIONAL, 3, latitude.to_le_bytes());
    entry(&mut tiff, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut tiff, 0x0004, RATIONAL, 3, longitude.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    debug_assert_eq!(tiff.len() as u32, latitude);
    for (numerator, denominator) in [(48u32, 1u32), (51, 1), (2952, 100), (2, 1), (17, 1), (402, 10)] {
        tiff.extend(numerator.to_le_bytes());
        tiff.extend(denominator.to_le_bytes());
    }
    tiff
}

/// A 1000 × 700 RGBA PNG: an opaque gradient disc on a fully transparent background (its
/// corners are alpha 0), with a half-transparent band across the middle.
pub fn transparent_png() -> Vec<u8> {
    let image = RgbaImage::from_fn(1000, 700, |x, y| {
        let (dx, dy) = (f64::from(x) - 500.0, f64::from(y) - 350.0);
        let inside = (dx / 450.0).powi(2) + (dy / 320.0).powi(2) <= 1.0;
        let alpha = if !inside {
            0
        } else if (330..370).contains(&y) {
            128
        } else {
            255
        };
        Rgba([(x * 255 / 1000) as u8, (y * 255 / 700) as u8, 160, alpha])
    });
    png(image)
}

/// A 600 × 400 GIF of 3 frames (red, green, blue, each with a moving white square), looping
/// forever (a NETSCAPE2.0 extension).
pub fn animated_gif() -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder.set_repeat(Repeat::Infinite).expect("a loop extension");
        for (index, colour) in [[200u8, 30, 30], [30, 200, 30], [30, 30, 200]].into_iter().enumerate() {
            let left = 50 + 150 * index as u32;
            let image = RgbaImage::from_fn(600, 400, |x, y| {
                if (left..left + 100).contains(&x) && (150..250).contains(&y) {
                    Rgba([255, 255, 255, 255])
                } else {
                    Rgba([colour[0], colour[1], colour[2], 255])
                }
            });
            let frame = Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(200, 1));
            encoder.encode_frame(frame).expect("encoding a GIF frame in memory");
        }
    }
    bytes
}

/// A 64 × 48 RGB PNG: narrower than every default width, so it gets no variant.
pub fn tiny_png() -> Vec<u8> {
    png(screenshot(64, 48, 2))
}

/// A PNG whose signature and `IHDR` (800 × 600, RGB) are valid, followed by an `IDAT` holding
/// the first half of the real image's compressed data with bytes flipped (its CRC recomputed so
/// that the chunk itself reads), and `IEND`: its header reads, its pixels do not decode.
pub fn corrupt_png() -> Vec<u8> {
    let whole = png(screenshot(800, 600, 3));
    let mut data = Vec::new();
    let mut at = 8;
    while at + 8 <= whole.len() {
        let length = u32::from_be_bytes(whole[at..at + 4].try_into().expect("4 bytes")) as usize;
        if &whole[at + 4..at + 8] == b"IDAT" {
            data.extend(&whole[at + 8..at + 8 + length]);
        }
        at += 12 + length;
    }
    data.truncate(data.len() / 2);
    for index in (10..data.len()).step_by(97) {
        data[index] ^= 0x5A;
    }
    let mut bytes = whole[..33].to_vec(); // signature + IHDR
    chunk(&mut bytes, b"IDAT", &data);
    chunk(&mut bytes, b"IEND", &[]);
    bytes
}

/// A decompression bomb's header: a PNG whose `IHDR` declares 100,000 × 100,000 RGB pixels (30 GB
/// decoded) followed by a 4 KB `IDAT` that is not real image data, and `IEND`. Its chunks and CRCs
/// are valid; only its size is a lie. Nothing may try to decode it.
pub fn bomb_png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut bytes, b"IHDR", &ihdr);
    let mut idat = vec![0x78, 0xDA];
    idat.resize(4096, 0);
    chunk(&mut bytes, b"IDAT", &idat);
    chunk(&mut bytes, b"IEND", &[]);
    bytes
}

/// Appends a PNG chunk with its CRC.
fn chunk(bytes: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    bytes.extend(u32::try_from(data.len()).expect("a small chunk").to_be_bytes());
    let start = bytes.len();
    bytes.extend(kind);
    bytes.extend(data);
    let crc = crc32(&bytes[start..]);
    bytes.extend(crc.to_be_bytes());
}

/// CRC-32 (ISO-HDLC, as PNG uses), bit by bit: fixtures are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_crc_is_png_s() {
        // The CRC of an empty IEND chunk, as every PNG ends.
        assert_eq!(super::crc32(b"IEND"), 0xAE42_6082);
    }
}
