//! Image variants: the smaller copies of a published raster image a page offers a reader's
//! screen. The vocabulary every crate shares, and no I/O: which widths an image gets
//! ([`variant_widths`]), where a variant is served ([`variant_href`], [`VariantPath`]), what a
//! revision knows of an image ([`ImageMeta`]) and what the store records once an image's
//! variants are made ([`VariantRecord`]).
//!
//! A variant is named by its source (the original's SHA-256), its width and its format: the same
//! image published twice, under two names, in two revisions or by two servers sharing a bucket,
//! has one set of variants, made once.
//!
//! ```
//! use vps_core::ContentHash;
//! use vps_core::image::{VariantFormat, VariantPath, variant_href, variant_widths};
//!
//! // Never wider than the original, never the original's own width.
//! assert_eq!(variant_widths(1200, &[480, 960, 1600]), vec![480, 960]);
//! assert_eq!(variant_widths(300, &[480, 960, 1600]), Vec::<u32>::new());
//!
//! let source = ContentHash::of(b"a picture");
//! let href = variant_href(&source, 480, VariantFormat::Webp);
//! assert_eq!(href, format!("/_img/{source}/480.webp"));
//! let path = VariantPath::parse(&format!("{source}/480.webp")).unwrap();
//! assert_eq!((path.source, path.width, path.format), (source, 480, VariantFormat::Webp));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ContentHash, ErrorCode};

/// Where variants are served: `/_img/<source sha256>/<width>.<extension>`.
pub const VARIANT_ROUTE_PREFIX: &str = "/_img/";

/// The widths variants are made at unless the operator says otherwise (`IMAGE_VARIANT_WIDTHS`):
/// a phone (360–480 CSS px at 1×), a phone at 2× or the text column at 1×, the column at 2×.
pub const DEFAULT_VARIANT_WIDTHS: [u32; 3] = [480, 960, 1600];

/// The most widths an operator may configure.
pub const MAX_VARIANT_WIDTHS: usize = 8;

/// The narrowest and widest width an operator may configure.
pub const VARIANT_WIDTH_RANGE: std::ops::RangeInclusive<u32> = 16..=8192;

/// The widths an image `original_width` pixels wide gets variants at, of the `configured` ones,
/// ascending: only those narrower than the original (a variant as wide as the original would
/// only re-encode it; one wider would be upscaled).
pub fn variant_widths(original_width: u32, configured: &[u32]) -> Vec<u32> {
    let mut widths: Vec<u32> =
        configured.iter().copied().filter(|&width| width > 0 && width < original_width).collect();
    widths.sort_unstable();
    widths.dedup();
    widths
}

/// The format of a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    /// WebP: lossy for photographs, with alpha when the original has it.
    Webp,
}

impl VariantFormat {
    /// Every format variants are made in.
    pub const ALL: [VariantFormat; 1] = [VariantFormat::Webp];

    /// The file extension in a variant's URL.
    pub fn extension(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
        }
    }

    /// The `Content-Type` a variant is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            VariantFormat::Webp => "image/webp",
        }
    }

    /// The format whose extension is `extension`.
    pub fn from_extension(extension: &str) -> Option<VariantFormat> {
        VariantFormat::ALL.into_iter().find(|format| format.extension() == extension)
    }
}

impl fmt::Display for VariantFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The URL path (before `BASE_URL`) of the variant of `source` at `width` in `format`.
pub fn variant_href(source: &ContentHash, width: u32, format: VariantFormat) -> String {
    format!("{VARIANT_ROUTE_PREFIX}{source}/{width}.{}", format.extension())
}

/// A variant's address, parsed from what follows [`VARIANT_ROUTE_PREFIX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantPath {
    /// The original's SHA-256.
    pub source: ContentHash,
    /// The variant's width in pixels.
    pub width: u32,
    /// The variant's format.
    pub format: VariantFormat,
}

impl VariantPath {
    /// Parses `<64 hex>/<width>.<extension>`; `None` for anything else (a width with a sign,
    /// leading zeros or over 5 digits, an unknown extension, more segments).
    pub fn parse(path: &str) -> Option<VariantPath> {
        let (source, file) = path.split_once('/')?;
        let source = ContentHash::parse(source).ok()?;
        let (width, extension) = file.split_once('.')?;
        let canonical = !width.is_empty()
            && width.len() <= 5
            && width.bytes().all(|b| b.is_ascii_digit())
            && !width.starts_with('0');
        if !canonical {
            return None;
        }
        let width = width.parse().ok()?;
        let format = VariantFormat::from_extension(extension)?;
        Some(VariantPath { source, width, format })
    }
}

/// What a revision knows of one published raster image (by its SHA-256, in
/// [`crate::revision::Revision::images`]), read from its header when it was first published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageMeta {
    /// Its width as displayed (after its EXIF orientation), in pixels; 0 when its header could
    /// not be read.
    pub width: u32,
    /// Its height as displayed, in pixels; 0 when unknown.
    pub height: u32,
    /// Whether variants are made of it: false for an image whose header could not be read, one
    /// over the decoding limits, an animation (a still would replace it) and a vector image.
    pub variants: bool,
}

impl ImageMeta {
    /// An image whose header could not be read: no size, no variants.
    pub const UNREADABLE: ImageMeta = ImageMeta { width: 0, height: 0, variants: false };

    /// Its size, when known.
    pub fn size(&self) -> Option<(u32, u32)> {
        (self.width > 0 && self.height > 0).then_some((self.width, self.height))
    }
}

/// What the store records of one source once its variants are made, or why none will be: written
/// once, after every variant it lists is stored, and never changed (`variants/<source>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantRecord {
    /// The original's SHA-256.
    pub source: ContentHash,
    /// The variants made, each a blob of the store.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// Why no variant was made (the stable code of the refusal), when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<ErrorCode>,
}

impl VariantRecord {
    /// The variant at `width` in `format`, if it was made.
    pub fn find(&self, width: u32, format: VariantFormat) -> Option<&Variant> {
        self.variants.iter().find(|variant| variant.width == width && variant.format == format)
    }
}

/// One stored variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    /// The width asked for, which names it (the height follows from the original's ratio).
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
    /// Its format.
    pub format: VariantFormat,
    /// Its blob.
    pub sha256: ContentHash,
    /// Its size in bytes.
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_narrower_than_the_original_sorted_and_unique() {
        assert_eq!(variant_widths(2000, &[1600, 480, 960, 480]), vec![480, 960, 1600]);
        assert_eq!(variant_widths(960, &[480, 960, 1600]), vec![480]);
        assert_eq!(variant_widths(0, &[480]), Vec::<u32>::new());
    }

    #[test]
    fn variant_paths_parse_only_their_canonical_form() {
        let source = ContentHash::of(b"x");
        for bad in [
            format!("{source}/0480.webp"),
            format!("{source}/+480.webp"),
            format!("{source}/480.png"),
            format!("{source}/480.webp/x"),
            format!("{source}/123456.webp"),
            format!("{source}/.webp"),
            "abc/480.webp".to_owned(),
        ] {
            assert_eq!(VariantPath::parse(&bad), None, "{bad}");
        }
        let good = VariantPath::parse(&format!("{source}/1600.webp")).unwrap();
        assert_eq!(variant_href(&good.source, good.width, good.format), format!("/_img/{source}/1600.webp"));
    }

    #[test]
    fn records_round_trip_as_json() {
        let source = ContentHash::of(b"x");
        let record = VariantRecord {
            source,
            variants: vec![Variant {
                width: 480,
                height: 320,
                format: VariantFormat::Webp,
                sha256: ContentHash::of(b"y"),
                size: 10,
            }],
            refused: None,
        };
        let json = serde_json::to_string(&record).unwrap();
        assert!(json.contains(r#""format":"webp""#), "{json}");
        assert_eq!(serde_json::from_str::<VariantRecord>(&json).unwrap(), record);
        assert!(record.find(480, VariantFormat::Webp).is_some());
        assert!(record.find(960, VariantFormat::Webp).is_none());
    }
}
