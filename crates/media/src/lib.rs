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
//! use vps_media::{Limits, make_variants, probe};
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
//! let made = make_variants(&png, &widths, 80.0, &limits).unwrap();
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
//! is checked after decoding, after each resize and after each encoding ([`Refusal::TooSlow`]).
//!
//! ## Memory
//! Peak memory for one image, with `D` = the decoded image's bytes (≤ `max_decode_bytes`, and its
//! pixels ≤ `max_pixels`) and `v` = the widest variant's pixel count (< the source's pixels):
//!
//! `peak ≈ source bytes + D + v × (b + 4 + ~6)`
//!
//! where `b` is the decoded bytes per pixel (the resized copy keeps the decoded type), 4 the RGB(A)
//! copy handed to libwebp and ~6 bytes per pixel libwebp's own buffers (ARGB/YUV picture and
//! output). The resize is `DynamicImage::thumbnail_exact`: an area average in integers that writes
//! the variant directly, with no intermediate image (a `resize_exact` with a Triangle or
//! Catmull-Rom filter first makes a `source width × variant height` copy in `f32` RGBA: 16 bytes
//! per pixel, up to 4 times the decoded image itself). The orientation is applied to the small
//! variant, not to the decoded image (a quarter turn copies the image it turns). Variants are made
//! one at a time. With the default limits the bound is 64 MiB + 256 MiB + 40 MP × ~14 B, under
//! 1 GiB; a typical 2400 × 1600 screenshot peaks near 15 MB + 1600×1067 × 14 B ≈ 40 MB
//! (measured: see the `variant_figures` example).
//!
//! ## Lossy WebP, with alpha when there is transparency
//! Variants are lossy WebP at the caller's quality, RGBA only when a pixel is not opaque.
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
