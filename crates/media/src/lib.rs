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
//! decoded image's bytes (≤ `max_decode_bytes`; its pixels ≤ `max_pixels`), `v` = the widest
//! variant's pixels (fewer than the source's) and `c` = 3, or 4 with alpha:
//!
//! `peak ≈ S + D + v × (c + 6) + R`, with `R ≤ max(D, 4 MiB)`
//!
//! The variant is written directly as 8-bit RGB(A) (`v × c`) and handed to libwebp as it is;
//! libwebp's own buffers (YUV picture and output) take about 6 bytes a pixel. `R` is the resize's
//! working memory: a Catmull-Rom filter that streams the decoded image a row at a time
//! (`resize.rs`), keeping only its weights and the few filtered rows one output row needs, about
//! `16 × (W + H) + 16 × c × W` bytes for a `W × H` source (150 KB for a 2400 × 1600 screenshot);
//! `image`'s own `resize_exact` first makes a `W × variant height` image in `f32` RGBA, 16 bytes a
//! pixel (41 MB for that screenshot's 1600 variant, 3.6 times its decoded RGB). For an image so
//! thin that `R` would exceed both `D` and 4 MiB the resize falls back to an area average (`thumbnail_exact`, no
//! working memory). The orientation is applied to the small variant, not to the decoded image (a
//! quarter turn copies the image it turns). Variants are made one at a time, each dropped once
//! encoded. With the default limits: ≤ 64 MiB + 2 × 128 MiB + 40 MP × 10 B ≈ 720 MiB for the
//! worst image the limits admit; `max_decode_bytes` is the lever.
//!
//! Measured (`tests/media`, a counting allocator): making the 480, 960 and 1600 variants of the
//! 2400 × 1600 RGB `large_png` fixture peaks at 17.2 MB of Rust allocations (decoded 11.5 MB +
//! the 1600 variant 5.1 MB + the filter); the process's peak RSS rises from 19 MB to 44 MB while
//! it runs (`variant_figures --rss`, libwebp included).
//!
//! Catmull-Rom rather than an area average: text stays sharper (the area average is 25–40 dB
//! PSNR away from it on help-vault screenshots, visibly softer strokes) and the WebP files come
//! out no larger (458,830 bytes for the 16 variants below against 470,568 with the area average).
//!
//! ## Lossy WebP with sharp YUV, alpha when there is transparency
//! Help-vault PNG screenshots at 480 and 960 pixels (`examples/variant_figures.rs`; 8 images × 2
//! widths; PSNR against the same resized pixels, `image`'s Catmull-Rom):
//!
//! | encoding | bytes | PSNR |
//! |---|---|---|
//! | lossy q80 | 443,564 | 29.4–44.4 dB |
//! | **lossy q80, sharp YUV (chosen)** | 459,356 (458,830 from `make_variants`) | 29.6–44.4 dB |
//! | near-lossless 60 | 1,096,082 | — |
//! | lossless | 1,554,716 | exact |
//! | (the PNG originals, once a width) | 5,457,512 | |
//!
//! e.g. `Sync Canvas-dark.png` (2630 × 1720, 349,585 bytes) at 960: 25,300 lossy, 26,312 chosen,
//! 69,582 lossless; `bases-map-places.png` at 960: 123,558 / 132,088 / 653,742. Lossless costs 3.4
//! times the bytes of lossy for differences a reader does not see at these sizes (text edges
//! stay legible at q80), so variants are lossy at the caller's quality ([`DEFAULT_QUALITY`] unless
//! the operator says otherwise). Sharp YUV (a better RGB→YUV conversion) costs 3 % more bytes and
//! keeps thin coloured lines — a screenshot's red outlines, coloured text — from bleeding into a
//! dark background through 4:2:0 chroma (up to +1.7 dB on `notion-export.png`). An image with any
//! pixel not fully opaque keeps its alpha (`VP8X` + `ALPH`, the colour filtered premultiplied so
//! transparent pixels do not darken edges); an opaque one is encoded as RGB even when its file has
//! an alpha channel. Time (dev profile at opt-level 2, a shared 2-core machine): 0.1–0.4 s an
//! image and width, decoding included.
//!
//! The bytes a variant holds are only libwebp's image chunks (`VP8 `/`VP8L`, and `VP8X` +
//! `ALPH` with alpha): libwebp's encoder writes no EXIF, XMP or ICC chunk, and the decoded pixels
//! carry none, so a photograph's GPS position never reaches a variant.

mod header;
mod resize;
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
            max_decode_bytes: 128 * 1024 * 1024,
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
