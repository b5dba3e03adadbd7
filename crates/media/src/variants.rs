//! Making an image's variants: decode within the limits, resize, orient, encode WebP.

use std::io::Cursor;
use std::time::Instant;

use image::error::{ImageError, LimitErrorKind};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};
use vps_core::image::VariantFormat;

use crate::header::{Format, Header};
use crate::resize;
use crate::{Limits, Made, Refusal};

/// The widest and tallest image WebP can hold.
const WEBP_MAX_SIDE: u32 = 16_383;

pub(crate) fn make_variants(
    source: &[u8],
    widths: &[u32],
    quality: f32,
    limits: &Limits,
) -> Result<Vec<Made>, Refusal> {
    let started = Instant::now();
    let deadline = || {
        if started.elapsed() > limits.timeout { Err(Refusal::TooSlow(limits.timeout)) } else { Ok(()) }
    };
    let size = source.len() as u64;
    if size > limits.max_source_bytes {
        return Err(Refusal::TooLarge { size, limit: limits.max_source_bytes });
    }
    let header = admit(source, limits)?;
    let mut widths: Vec<u32> =
        widths.iter().copied().filter(|&width| width > 0 && width < header.displayed().0).collect();
    widths.sort_unstable();
    widths.dedup();
    if widths.is_empty() {
        return Ok(Vec::new());
    }

    let (image, orientation) = decode(source, header, limits)?;
    deadline()?;
    // The decoded image and the orientation the decoder read are what the variants are made of:
    // sizes follow from them, so a variant is always as large as it says, even should the
    // decoder find an orientation the header reader did not.
    let turned = matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    );
    let (shown_width, shown_height) =
        if turned { (image.height(), image.width()) } else { (image.width(), image.height()) };
    widths.retain(|&width| width < shown_width);
    let alpha = has_transparency(&image);

    let mut made = Vec::with_capacity(widths.len());
    for width in widths {
        let height = scaled(shown_height, width, shown_width);
        if height > WEBP_MAX_SIDE {
            continue; // a very tall image's wider variants cannot be WebP; the narrower ones are made
        }
        // Resize first, then orient the small copy: turning the full-size image would copy it.
        let (stored_width, stored_height) = if turned { (height, width) } else { (width, height) };
        let mut variant = resize::downscale(&image, stored_width, stored_height, alpha);
        variant.apply_orientation(orientation);
        deadline()?;
        let bytes = encode(variant, alpha, quality, limits)?;
        deadline()?;
        made.push(Made { width, height, format: VariantFormat::Webp, bytes });
    }
    Ok(made)
}

/// Reads the header of the whole file and refuses, before anything is decoded, what is not to be.
pub(crate) fn admit(source: &[u8], limits: &Limits) -> Result<Header, Refusal> {
    let Some(header) = Header::read(source) else {
        return Err(match Format::sniff(source) {
            Some(_) => Refusal::Undecodable("its header cannot be read".to_owned()),
            None => Refusal::Unsupported,
        });
    };
    if header.pixels() > limits.max_pixels {
        return Err(Refusal::TooManyPixels { pixels: header.pixels(), limit: limits.max_pixels });
    }
    if header.animated {
        return Err(Refusal::Animated);
    }
    if header.decoded_bytes() > limits.max_decode_bytes {
        return Err(Refusal::TooMuchMemory { limit: limits.max_decode_bytes });
    }
    Ok(header)
}

/// Decodes the image with the `image` crate's limits: its size as the header says and at most
/// `max_decode_bytes` allocated by the decoder, the output buffer counted.
pub(crate) fn decode(source: &[u8], header: Header, limits: &Limits) -> Result<(DynamicImage, Orientation), Refusal> {
    let mut decoding = image::Limits::default();
    decoding.max_image_width = Some(header.width);
    decoding.max_image_height = Some(header.height);
    decoding.max_alloc = Some(limits.max_decode_bytes);
    let refusal = |error: ImageError| match error {
        ImageError::Limits(limit) => match limit.kind() {
            LimitErrorKind::DimensionError => {
                Refusal::Undecodable("its size differs from what its header says".to_owned())
            }
            _ => Refusal::TooMuchMemory { limit: limits.max_decode_bytes },
        },
        other => Refusal::Undecodable(other.to_string()),
    };
    let mut reader = ImageReader::with_format(Cursor::new(source), header.format.image_format());
    reader.limits(decoding.clone());
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    decoding.reserve(decoder.total_bytes()).map_err(refusal)?;
    decoder.set_limits(decoding).map_err(refusal)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    Ok((image, orientation))
}

/// `value × numerator / denominator`, rounded, at least 1.
fn scaled(value: u32, numerator: u32, denominator: u32) -> u32 {
    let denominator = u64::from(denominator.max(1));
    let exact = (u64::from(value) * u64::from(numerator) + denominator / 2) / denominator;
    u32::try_from(exact).unwrap_or(u32::MAX).max(1)
}

/// Whether any pixel is not fully opaque (an alpha channel that is all opaque is dropped).
fn has_transparency(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageLumaA8(buffer) => buffer.pixels().any(|p| p.0[1] != u8::MAX),
        DynamicImage::ImageRgba8(buffer) => buffer.pixels().any(|p| p.0[3] != u8::MAX),
        DynamicImage::ImageLumaA16(buffer) => buffer.pixels().any(|p| p.0[1] != u16::MAX),
        DynamicImage::ImageRgba16(buffer) => buffer.pixels().any(|p| p.0[3] != u16::MAX),
        DynamicImage::ImageRgba32F(buffer) => buffer.pixels().any(|p| p.0[3] < 1.0),
        _ => false,
    }
}

/// Encodes a variant as lossy WebP with "sharp YUV" (a slower RGB→YUV conversion that keeps
/// coloured edges, such as a screenshot's red outlines, from bleeding: about 3 % more bytes), with
/// alpha when the source has transparency. libwebp's encoder writes only the image's chunks
/// (`VP8 `, and `VP8X` + `ALPH` with alpha): no EXIF, XMP or ICC profile.
fn encode(variant: DynamicImage, alpha: bool, quality: f32, limits: &Limits) -> Result<Vec<u8>, Refusal> {
    let (width, height) = (variant.width(), variant.height());
    let undecodable = |what: String| Refusal::Undecodable(format!("its variant could not be encoded: {what}"));
    let mut config = webp::WebPConfig::new().map_err(|()| undecodable("libwebp's configuration".to_owned()))?;
    config.lossless = 0;
    config.quality = quality.clamp(0.0, 100.0);
    config.use_sharp_yuv = 1;
    let encoded = if alpha {
        let pixels = variant.into_rgba8();
        webp::Encoder::from_rgba(pixels.as_raw(), width, height).encode_advanced(&config)
    } else {
        let pixels = variant.into_rgb8();
        webp::Encoder::from_rgb(pixels.as_raw(), width, height).encode_advanced(&config)
    };
    match encoded {
        Ok(memory) => Ok(memory.to_vec()),
        Err(webp::WebPEncodingError::VP8_ENC_ERROR_OUT_OF_MEMORY) => {
            Err(Refusal::TooMuchMemory { limit: limits.max_decode_bytes })
        }
        Err(error) => Err(undecodable(format!("{error:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::GenericImageView;

    /// The decoder's own limit, for a header whose estimate was passed (a lying header, a colour
    /// type decoded wider than counted): its allocation refusal is `TooMuchMemory`.
    #[test]
    fn the_decoder_s_allocation_limit_is_too_much_memory() {
        let mut source = Vec::new();
        image::RgbImage::new(1000, 1000).write_to(&mut Cursor::new(&mut source), image::ImageFormat::Png).unwrap();
        let mut header = Header::read(&source).unwrap();
        header.bytes_per_pixel = 1;
        let limits = Limits { max_decode_bytes: 2_000_000, ..Limits::default() };
        assert_eq!(admit(&source, &limits), Err(Refusal::TooMuchMemory { limit: 2_000_000 }));
        assert_eq!(decode(&source, header, &limits).unwrap_err(), Refusal::TooMuchMemory { limit: 2_000_000 });
        let enough = Limits { max_decode_bytes: 3_000_000, ..Limits::default() };
        assert_eq!(decode(&source, header, &enough).unwrap().0.dimensions(), (1000, 1000));
    }

    #[test]
    fn heights_keep_the_ratio_rounded_and_never_zero() {
        assert_eq!(scaled(1200, 480, 800), 720);
        assert_eq!(scaled(1600, 480, 2400), 320);
        assert_eq!(scaled(1, 480, 100_000), 1);
        assert_eq!(scaled(333, 480, 1000), 160);
    }
}
