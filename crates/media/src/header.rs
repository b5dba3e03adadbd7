//! An image's header read by hand, from its first bytes and without decoding a pixel: its format,
//! its stored size, its EXIF orientation, whether it is animated, and how many bytes its decoded
//! pixels will take. Every read is bounds-checked: a truncated or hostile header gives what could
//! be read, or `None`, never a panic.

/// The raster formats variants are made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl Format {
    /// The format whose signature `bytes` start with.
    pub(crate) fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Format::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Format::Webp)
        } else {
            None
        }
    }

    pub(crate) fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Png => image::ImageFormat::Png,
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Gif => image::ImageFormat::Gif,
            Format::Webp => image::ImageFormat::WebP,
        }
    }
}

/// What a header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) format: Format,
    /// The size as stored, before the orientation is applied.
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// The EXIF orientation (1–8; 1 when there is none or it is out of range).
    pub(crate) orientation: u8,
    /// More than one frame: an animated GIF (a loop extension or a second image), an APNG
    /// (`acTL`), an animated WebP.
    pub(crate) animated: bool,
    /// The bytes one decoded pixel takes in the `image` crate's output (its colour type).
    pub(crate) bytes_per_pixel: u8,
}

impl Header {
    /// Reads the header at the start of `bytes` (a prefix or the whole file). `None` when the
    /// format is not one of ours or its size cannot be read.
    pub(crate) fn read(bytes: &[u8]) -> Option<Header> {
        let header = match Format::sniff(bytes)? {
            Format::Png => png(bytes),
            Format::Jpeg => jpeg(bytes),
            Format::Gif => gif(bytes),
            Format::Webp => webp(bytes),
        }?;
        (header.width > 0 && header.height > 0).then_some(header)
    }

    /// Whether the orientation turns the image a quarter (EXIF 5–8): its displayed width is its
    /// stored height.
    pub(crate) fn swaps_sides(&self) -> bool {
        (5..=8).contains(&self.orientation)
    }

    /// The size as displayed, after the orientation.
    pub(crate) fn displayed(&self) -> (u32, u32) {
        if self.swaps_sides() { (self.height, self.width) } else { (self.width, self.height) }
    }

    pub(crate) fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// The bytes of the decoded image.
    pub(crate) fn decoded_bytes(&self) -> u64 {
        self.pixels().saturating_mul(u64::from(self.bytes_per_pixel))
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(3)?)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

/// PNG: `IHDR`, then the chunks before the first `IDAT` (`acTL` marks an APNG, `eXIf` holds
/// the orientation, `tRNS` adds alpha).
fn png(bytes: &[u8]) -> Option<Header> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let width = be32(bytes, 16)?;
    let height = be32(bytes, 20)?;
    let depth = *bytes.get(24)?;
    let colour = *bytes.get(25)?;
    let (mut channels, mut transparency) = match colour {
        0 => (1, false),
        2 => (3, false),
        3 => (3, false),
        4 => (2, true),
        6 => (4, true),
        _ => return None,
    };
    let mut header = Header { format: Format::Png, width, height, orientation: 1, animated: false, bytes_per_pixel: 0 };
    let mut at = 33; // signature 8 + IHDR (4 length, 4 type, 13 data, 4 crc)
    while let (Some(length), Some(kind)) = (be32(bytes, at), bytes.get(at + 4..at + 8)) {
        let data_at = at + 8;
        let end = data_at.saturating_add(length as usize);
        match kind {
            b"IDAT" | b"IEND" => break,
            b"acTL" => header.animated = true,
            b"tRNS" => transparency = true,
            b"eXIf" => {
                if let Some(data) = bytes.get(data_at..end) {
                    header.orientation = exif_orientation(data).unwrap_or(1);
                }
            }
            _ => {}
        }
        at = end.saturating_add(4);
    }
    if transparency && (colour == 0 || colour == 2 || colour == 3) {
        channels += 1;
    }
    header.bytes_per_pixel = if depth == 16 { channels * 2 } else { channels };
    Some(header)
}

/// JPEG: the markers up to the start of scan; `SOFn` has the size, an `APP1` `Exif` segment the
/// orientation.
fn jpeg(bytes: &[u8]) -> Option<Header> {
    let mut at = 2;
    let mut orientation = 1;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            at += 2;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return None; // end of image or start of scan before any frame header
        }
        let length = usize::from(be16(bytes, at + 2)?);
        let data_at = at + 4;
        let data = bytes.get(data_at..(at + 2).saturating_add(length));
        match marker {
            0xE1 => {
                if let Some(tiff) = data.and_then(|d| d.strip_prefix(b"Exif\0\0")) {
                    orientation = exif_orientation(tiff).unwrap_or(1);
                }
            }
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                let height = u32::from(be16(bytes, data_at + 1)?);
                let width = u32::from(be16(bytes, data_at + 3)?);
                let components = *bytes.get(data_at + 5)?;
                // Grey decodes to L8, anything else to RGB8 (CMYK counted at 4 to err high).
                let bytes_per_pixel = match components {
                    1 => 1,
                    3 => 3,
                    _ => 4,
                };
                return Some(Header {
                    format: Format::Jpeg,
                    width,
                    height,
                    orientation,
                    animated: false,
                    bytes_per_pixel,
                });
            }
            _ => {}
        }
        at = (at + 2).saturating_add(length);
    }
}

/// GIF: the logical screen's size, then the blocks as far as `bytes` go, looking for a looping
/// application extension (`NETSCAPE2.0`) or a second image descriptor.
fn gif(bytes: &[u8]) -> Option<Header> {
    let width = u32::from(le16(bytes, 6)?);
    let height = u32::from(le16(bytes, 8)?);
    let mut header = Header { format: Format::Gif, width, height, orientation: 1, animated: false, bytes_per_pixel: 4 };
    let flags = *bytes.get(10)?;
    let mut at = 13;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 0x07) + 1);
    }
    let mut images = 0;
    // Skips a run of data sub-blocks; `None` when `bytes` end first.
    let skip_sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let size = usize::from(*bytes.get(at)?);
            at += 1;
            if size == 0 {
                return Some(at);
            }
            at += size;
        }
    };
    while let Some(&block) = bytes.get(at) {
        match block {
            0x21 => {
                let Some(&label) = bytes.get(at + 1) else { break };
                if label == 0xFF
                    && bytes.get(at + 2) == Some(&11)
                    && bytes.get(at + 3..at + 14).is_some_and(|id| id == b"NETSCAPE2.0")
                {
                    header.animated = true;
                    break;
                }
                let Some(next) = skip_sub_blocks(at + 2) else { break };
                at = next;
            }
            0x2C => {
                images += 1;
                if images > 1 {
                    header.animated = true;
                    break;
                }
                let Some(&flags) = bytes.get(at + 9) else { break };
                at += 10;
                if flags & 0x80 != 0 {
                    at += 3 << ((flags & 0x07) + 1);
                }
                at += 1; // LZW minimum code size
                let Some(next) = skip_sub_blocks(at) else { break };
                at = next;
            }
            _ => break, // the trailer, or garbage
        }
    }
    Some(header)
}

/// WebP: the first chunk (`VP8 `, `VP8L` or `VP8X`); for `VP8X` its flags (animation, alpha) and
/// an `EXIF` chunk found within `bytes`.
fn webp(bytes: &[u8]) -> Option<Header> {
    let kind = bytes.get(12..16)?;
    let data = 20;
    let mut header =
        Header { format: Format::Webp, width: 0, height: 0, orientation: 1, animated: false, bytes_per_pixel: 3 };
    match kind {
        b"VP8 " => {
            if bytes.get(data + 3..data + 6)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            header.width = u32::from(le16(bytes, data + 6)? & 0x3FFF);
            header.height = u32::from(le16(bytes, data + 8)? & 0x3FFF);
        }
        b"VP8L" => {
            if *bytes.get(data)? != 0x2F {
                return None;
            }
            let bits = le32(bytes, data + 1)?;
            header.width = (bits & 0x3FFF) + 1;
            header.height = ((bits >> 14) & 0x3FFF) + 1;
            header.bytes_per_pixel = 4;
        }
        b"VP8X" => {
            let flags = *bytes.get(data)?;
            header.animated = flags & 0x02 != 0;
            if flags & 0x10 != 0 {
                header.bytes_per_pixel = 4;
            }
            header.width = le24(bytes, data + 4)? + 1;
            header.height = le24(bytes, data + 7)? + 1;
            let mut at = 12;
            while let (Some(kind), Some(length)) = (bytes.get(at..at + 4), le32(bytes, at + 4)) {
                let end = (at + 8).saturating_add(length as usize);
                match kind {
                    b"ANIM" | b"ANMF" => header.animated = true,
                    b"VP8L" => header.bytes_per_pixel = 4,
                    b"EXIF" => {
                        if let Some(exif) = bytes.get(at + 8..end) {
                            let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
                            header.orientation = exif_orientation(tiff).unwrap_or(1);
                        }
                    }
                    _ => {}
                }
                at = end.saturating_add(length as usize & 1); // chunks are padded to even sizes
            }
        }
        _ => return None,
    }
    Some(header)
}

/// The Orientation tag (0x0112) of IFD0 of a TIFF structure, when it is 1–8.
pub(crate) fn exif_orientation(tiff: &[u8]) -> Option<u8> {
    let tiff = tiff.strip_prefix(b"Exif\0\0").unwrap_or(tiff);
    let big = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| if big { be16(tiff, at) } else { le16(tiff, at) };
    let u32_at = |at: usize| if big { be32(tiff, at) } else { le32(tiff, at) };
    let ifd = u32_at(4)? as usize;
    let entries = usize::from(u16_at(ifd)?);
    for entry in 0..entries.min(512) {
        let at = ifd + 2 + entry * 12;
        if u16_at(at)? == 0x0112 {
            let value = u16_at(at + 8)?;
            return (1..=8).contains(&value).then_some(value as u8);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(width: u32, height: u32, depth: u8, colour: u8, chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8; 4], data: &[u8]| {
            bytes.extend((data.len() as u32).to_be_bytes());
            bytes.extend(kind);
            bytes.extend(data);
            bytes.extend([0; 4]); // the CRC is not read
        };
        let mut ihdr = Vec::new();
        ihdr.extend(width.to_be_bytes());
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([depth, colour, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        for (kind, data) in chunks {
            chunk(kind, data);
        }
        chunk(b"IDAT", &[]);
        bytes
    }

    #[test]
    fn png_colour_types_give_the_decoded_bytes_per_pixel() {
        for (depth, colour, chunks, expected) in [
            (8, 2, &[][..], 3),
            (16, 6, &[][..], 8),
            (8, 3, &[][..], 3),
            (8, 3, &[(b"tRNS", &[0u8][..])][..], 4),
            (1, 0, &[][..], 1),
            (16, 4, &[][..], 4),
        ] {
            let header = Header::read(&png_header(10, 20, depth, colour, chunks)).unwrap();
            assert_eq!(header.bytes_per_pixel, expected, "depth {depth} colour {colour}");
            assert_eq!((header.width, header.height, header.animated), (10, 20, false));
        }
    }

    #[test]
    fn an_apng_is_animated_and_a_png_exif_orientation_is_read() {
        let apng = png_header(10, 20, 8, 6, &[(b"acTL", &[0, 0, 0, 2, 0, 0, 0, 0])]);
        assert!(Header::read(&apng).unwrap().animated);
        let tiff = [b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
        let rotated = Header::read(&png_header(10, 20, 8, 6, &[(b"eXIf", &tiff)])).unwrap();
        assert_eq!((rotated.orientation, rotated.displayed()), (6, (20, 10)));
    }

    #[test]
    fn truncated_and_foreign_headers_read_as_nothing_without_panicking() {
        let whole = png_header(10, 20, 8, 6, &[]);
        for end in 0..24 {
            assert_eq!(Header::read(&whole[..end]), None, "{end}");
        }
        for bytes in
            [&b"GIF89a"[..], b"RIFF\0\0\0\0WEBPVP8X", b"\xFF\xD8\xFF\xE0\xFF\xFF", b"<svg/>", b"", b"\xFF\xD8\xFF"]
        {
            assert_eq!(Header::read(bytes), None, "{bytes:?}");
        }
        assert_eq!(Header::read(&png_header(0, 20, 8, 6, &[])), None);
        assert_eq!(Header::read(&png_header(10, 20, 8, 9, &[])), None);
    }
}
