//! Image variants: the smaller copies of a published raster image that a page offers a reader's
//! screen. No I/O: bytes in, bytes out.
//!
//! - [`probe`] reads an image's first bytes ([`PROBE_BYTES`]) without decoding a pixel: its
//!   displayed size (after its EXIF orientation) and whether variants are made of it
//!   ([`ImageMeta`]).
//! - [`make_variants`] decodes it within [`Limits`], applies its orientation, and encodes it at
//!   each width as WebP without any metadata ([`Made`]), or says why not ([`Refusal`]).
//!
//! ```
//! use vps_media::{DEFAULT_QUALITY, Limits, make_variants, probe};
//! # let png = {
//! #     let mut bytes = Vec::new();
//! #     image::RgbImage::from_pixel(1200, 800, image::Rgb([200, 100, 50]))
//! #         .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
//! #         .unwrap();
//! #     bytes
//! # };
//! let limits = Limits::default();
//! let meta = probe(&png, &limits);
//! assert_eq!((meta.width, meta.height, meta.variants), (1200, 800, true));
//! let widths = vps_core::image::variant_widths(meta.width, &[480, 960, 1600]);
//! let made = make_variants(&png, &widths, DEFAULT_QUALITY, &limits).unwrap();
//! assert_eq!(made.iter().map(|m| (m.width, m.height)).collect::<Vec<_>>(), [(480, 320), (960, 640)]);
//! assert!(made[0].bytes.starts_with(b"RIFF"));
//! ```
//!
//! ## What is refused, and when
//! Everything is checked before the cost it bounds is paid: the file's size
//! (`max_source_bytes`, [`Refusal::TooLarge`]), then its header, read by hand, for its pixel
//! count ([`Refusal::TooManyPixels`]: a 100,000 × 100,000 PNG of a few KB is refused here, having
//! allocated nothing), animation ([`Refusal::Animated`]: a still would replace it) and the size of
//! its decoded pixels (width × height × the bytes per pixel of its colour type,
//! [`Refusal::TooMuchMemory`]). The `image` decoder then runs with the same bounds
//! (`image::Limits`: the header's width and height, `max_alloc` = `max_decode_bytes`, the output
//! buffer counted), so a header that lies is refused too. The deadline (`timeout`, from the call)
//! is checked after decoding, after each resize and after each encoding ([`Refusal::TooSlow`]): a
//! step under way is not interrupted, so the overshoot is at most one step, itself bounded by
//! `max_pixels`. A panic in a decoder or in libwebp is not caught here: the caller runs this off
//! its request path and records it (`ErrorCode::ImageCrashed`).
//!
//! ## Memory
//! Peak memory for one image, with `S` = the source's bytes (≤ `max_source_bytes`), `D` = the
//! decoded image's bytes (≤ `max_decode_bytes`; its pixels ≤ `max_pixels`), `b` = its bytes per
//! pixel and `v` = the widest variant's pixels (fewer than the source's, so ≤ `max_pixels`):
//!
//! `peak ≈ S + D + v × (b + c + 6)`
//!
//! the resized variant (`v × b`: it keeps the decoded pixel type), its RGB or RGBA copy for libwebp
//! (`c` = 3 or 4, and 0 when the decoded image already is 8-bit RGB(A): the buffer is moved, not
//! copied) and libwebp's own buffers (YUV picture and output, about 6 bytes a pixel). With the
//! default limits that is at most 64 MiB + 256 MiB + 40 MP × 22 B ≈ 1.2 GiB for the worst image
//! the limits admit (a 16-bit RGBA image); `max_decode_bytes` is the lever. Variants are made one
//! at a time, and each is dropped once encoded.
//!
//! The resize is `DynamicImage::thumbnail_exact`, an area average in integers that writes the
//! variant directly, with no intermediate image: `resize_exact` with a Triangle, Catmull-Rom or
//! Lanczos filter first makes a `source width × variant height` copy in `f32` RGBA, 16 bytes a
//! pixel (41 MB for a 2400 × 1600 screenshot's 1600 variant, 4 times its decoded RGB). The area
//! average is a proper low-pass for downscaling (no aliasing at ratios ≥ 2) but softer than
//! Lanczos3 (PSNR 25–38 dB between the two on help-vault screenshots; text stays legible). The
//! orientation is applied to the small variant, not to the decoded image (a quarter turn copies
//! the image it turns).
//!
//! Measured (`tests/media`, a counting allocator): making the 480, 960 and 1600 variants of the
//! 2400 × 1600 RGB `large_png` fixture peaks at 16.9 MB of Rust allocations (decoded 11.5 MB +
//! the 1600 variant 5.1 MB); the process's peak RSS rises from 20 MB to 44 MB while it runs
//! (`variant_figures --rss`, libwebp included).
//!
//! ## Lossy WebP with sharp YUV, alpha when there is transparency
//! Help-vault PNG screenshots at 480 and 960 pixels (`examples/variant_figures.rs`; PSNR against
//! the exact resized pixels; bytes summed over 8 images × 2 widths):
//!
//! | encoding | bytes | PSNR |
//! |---|---|---|
//! | lossy q80 | 457,454 | 28.6–44.6 dB |
//! | **lossy q80, sharp YUV (chosen)** | 470,568 | 28.7–44.7 dB |
//! | near-lossless 60 | 850,176 | — |
//! | lossless | 1,126,340 | exact |
//! | (the PNG originals, once a width) | 5,457,512 | |
//!
//! e.g. `Sync Canvas-dark.png` (2630 × 1720, 349,585 bytes) at 960: 25,526 lossy, 26,494 sharp,
//! 40,168 lossless; `bases-map-places.png` at 960: 130,574 / 137,100 / 447,268. Lossless costs 2.4
//! times the bytes of lossy for pixels a reader cannot tell apart at those sizes, so variants are
//! lossy at the caller's quality ([`DEFAULT_QUALITY`] unless the operator says otherwise). Sharp YUV (a better
//! RGB→YUV conversion) costs 3 % more bytes and keeps thin coloured lines — a screenshot's red
//! outlines, coloured text — from bleeding into the dark background of 4:2:0 chroma (up to
//! +1.8 dB on `notion-export.png`). An image with any pixel not fully opaque keeps its alpha
//! (`VP8X` + `ALPH`); an opaque one is encoded as RGB even when its file has an alpha channel.
//! Time (test profile, dependencies at opt-level 2, on a shared 2-core machine): 0.1–0.9 s an
//! image and width, decoding included.
//!
//! The bytes a variant holds are only libwebp's image chunks (`VP8 `/`VP8L`, and `VP8X` +
//! `ALPH` with alpha): libwebp's encoder writes no EXIF, XMP or ICC chunk, and the decoded pixels
//! carry none, so a photograph's GPS position never reaches a variant.

mod header;
mod variants;

#[cfg(feature = "fixtures")]
pub mod fixtures;

use std::time::Duration;

use vps_core::ErrorCode;
use vps_core::image::{ImageMeta, VariantFormat};

/// What decoding may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most pixels (width × height) an image may have to be decoded.
    pub max_pixels: u64,
    /// The most bytes the decoder may allocate for one image.
    pub max_decode_bytes: u64,
    /// The largest file read to be decoded.
    pub max_source_bytes: u64,
    /// How long making one image's variants may take.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: 40_000_000,
            max_decode_bytes: 256 * 1024 * 1024,
            max_source_bytes: 64 * 1024 * 1024,
            timeout: Duration::from_secs(30),
        }
    }
}

/// The lossy WebP quality (0–100) variants are made at unless the operator says otherwise: the
/// figures behind it are in the crate's doc.
pub const DEFAULT_QUALITY: f32 = 80.0;

/// The most bytes of a file [`probe`] needs to find its size and orientation.
pub const PROBE_BYTES: usize = 256 * 1024;

/// Why an image gets no variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the image has {pixels} pixels, over the limit of {limit}")]
    TooManyPixels { pixels: u64, limit: u64 },
    #[error("decoding the image needs more than {limit} bytes")]
    TooMuchMemory { limit: u64 },
    #[error("making the image's variants took over {0:?}")]
    TooSlow(Duration),
    #[error("the file is {size} bytes, over the limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
    #[error("the image is animated")]
    Animated,
    #[error("variants are not made from this format")]
    Unsupported,
}

impl Refusal {
    /// The stable code of the refusal (a metric's label, a variant record's `refused`).
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::TooManyPixels { .. } => ErrorCode::ImageTooManyPixels,
            Refusal::TooMuchMemory { .. } => ErrorCode::ImageTooMuchMemory,
            Refusal::TooSlow(_) => ErrorCode::ImageTooSlow,
            Refusal::TooLarge { .. } => ErrorCode::ImageTooLarge,
            Refusal::Undecodable(_) => ErrorCode::ImageUndecodable,
            Refusal::Animated => ErrorCode::ImageAnimated,
            Refusal::Unsupported => ErrorCode::ImageUnsupported,
        }
    }
}

/// What an image's header says, read from its first bytes (at most [`PROBE_BYTES`]) without
/// decoding it: its displayed size and whether variants are to be made of it (see
/// [`ImageMeta`]). Never fails: an unreadable header is [`ImageMeta::UNREADABLE`].
pub fn probe(prefix: &[u8], limits: &Limits) -> ImageMeta {
    let prefix = &prefix[..prefix.len().min(PROBE_BYTES)];
    let Some(header) = header::Header::read(prefix) else {
        return ImageMeta::UNREADABLE;
    };
    let (width, height) = header.displayed();
    let variants =
        !header.animated && header.pixels() <= limits.max_pixels && header.decoded_bytes() <= limits.max_decode_bytes;
    ImageMeta { width, height, variants }
}

/// One variant made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    pub bytes: Vec<u8>,
}

/// Decodes `source` within `limits`, applies its EXIF orientation, and encodes it at each of
/// `widths` (narrower than the image; see [`vps_core::image::variant_widths`]) in each format,
/// without any metadata. `quality` is the lossy quality (0–100).
///
/// A width not narrower than the displayed image is skipped, and so is one whose variant would
/// be over 16,383 pixels tall (WebP's limit). No widths: nothing is decoded and the result is
/// empty. See the crate's doc for the order of the checks and the memory bound.
pub fn make_variants(source: &[u8], widths: &[u32], quality: f32, limits: &Limits) -> Result<Vec<Made>, Refusal> {
    variants::make_variants(source, widths, quality, limits)
}
