//! Image variants (skeleton: the API the server and the build use; bodies to be written).

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
    let _ = (prefix, limits);
    ImageMeta::UNREADABLE
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
pub fn make_variants(source: &[u8], widths: &[u32], quality: f32, limits: &Limits) -> Result<Vec<Made>, Refusal> {
    let _ = (source, widths, quality, limits);
    Err(Refusal::Unsupported)
}
