//! Media type detection from content ("magic bytes").
//!
//! The decision is made on the first [`SNIFF_LEN`] bytes. Binary formats are recognised by their
//! signatures; anything else that is valid UTF-8 without binary control characters is text, and
//! only then does the extension choose between `text/plain`, `text/markdown`, `text/csv` and
//! `application/json`. Text that is really HTML, a script or SVG is told apart, because serving
//! those from the site's origin is not the same as serving plain text.

use vps_core::MediaType;

/// How many leading bytes the sniffer looks at.
pub const SNIFF_LEN: usize = 8 * 1024;

/// Detects the media type of a file from its first bytes.
///
/// `head` is the start of the file (up to [`SNIFF_LEN`] bytes); `complete` says whether it is
/// the whole file (then a UTF-8 sequence cut at its end is an error, not a truncation);
/// `extension` is the file name's lower-case extension, a hint for text formats only.
/// `None` means "binary content of no known format".
pub fn sniff(head: &[u8], complete: bool, extension: Option<&str>) -> Option<MediaType> {
    binary_signature(head).or_else(|| text_kind(head, complete, extension))
}

fn binary_signature(head: &[u8]) -> Option<MediaType> {
    let ty = MediaType::from_static;
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);

    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some(ty("image/png"));
    }
    if at(0, b"\xFF\xD8\xFF") {
        return Some(ty("image/jpeg"));
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some(ty("image/gif"));
    }
    if at(0, b"RIFF") {
        return match head.get(8..12)? {
            b"WEBP" => Some(ty("image/webp")),
            b"WAVE" => Some(ty("audio/wav")),
            b"AVI " => Some(ty("video/x-msvideo")),
            _ => None,
        };
    }
    if at(4, b"ftyp") {
        return Some(iso_media(head));
    }
    if at(0, b"\x1A\x45\xDF\xA3") {
        // EBML: WebM and Matroska differ only by the DocType element near the start.
        let window = &head[..head.len().min(64)];
        return if contains(window, b"webm") { Some(ty("video/webm")) } else { Some(ty("video/x-matroska")) };
    }
    if at(0, b"OggS") {
        return if contains(head, b"\x80theora") { Some(ty("video/ogg")) } else { Some(ty("audio/ogg")) };
    }
    if at(0, b"fLaC") {
        return Some(ty("audio/flac"));
    }
    if at(0, b"ID3") || is_mpeg_audio_frame(head) {
        return Some(ty("audio/mpeg"));
    }
    if at(0, b"%PDF-") {
        return Some(ty("application/pdf"));
    }
    if at(0, b"BM") && is_bmp(head) {
        return Some(ty("image/bmp"));
    }
    if at(0, b"\0\0\x01\0") && head.get(4..6).is_some_and(|n| n != [0, 0]) {
        return Some(ty("image/x-icon"));
    }
    if at(0, b"PK\x03\x04") || at(0, b"PK\x05\x06") {
        return Some(ty("application/zip"));
    }
    if at(0, b"\x1F\x8B") {
        return Some(ty("application/gzip"));
    }
    if at(0, b"7z\xBC\xAF\x27\x1C") {
        return Some(ty("application/x-7z-compressed"));
    }
    if at(0, b"Rar!\x1A\x07") {
        return Some(ty("application/vnd.rar"));
    }
    if at(0, b"MZ") {
        return Some(ty("application/vnd.microsoft.portable-executable"));
    }
    if at(0, b"\x7FELF") {
        return Some(ty("application/x-elf"));
    }
    if [&b"\xFE\xED\xFA\xCE"[..], b"\xFE\xED\xFA\xCF", b"\xCE\xFA\xED\xFE", b"\xCF\xFA\xED\xFE", b"\xCA\xFE\xBA\xBE"]
        .iter()
        .any(|magic| at(0, magic))
    {
        return Some(ty("application/x-mach-binary"));
    }
    if at(0, b"\0asm") {
        return Some(ty("application/wasm"));
    }
    None
}

/// ISO base media files (MP4, MOV, M4A, AVIF, HEIF) are told apart by their `ftyp` brands.
fn iso_media(head: &[u8]) -> MediaType {
    let ty = MediaType::from_static;
    let box_len = head.get(0..4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let brands_end = box_len.clamp(12, head.len().max(12)).min(head.len());
    let major = head.get(8..12).unwrap_or_default();
    let compatible = head.get(16..brands_end).unwrap_or_default();
    let has = |brand: &[u8]| major == brand || compatible.chunks_exact(4).any(|b| b == brand);
    if has(b"avif") || has(b"avis") {
        ty("image/avif")
    } else if has(b"heic") || has(b"heix") || has(b"mif1") {
        ty("image/heic")
    } else if major == b"M4A " || major == b"M4B " {
        ty("audio/mp4")
    } else if major == b"qt  " {
        ty("video/quicktime")
    } else {
        ty("video/mp4")
    }
}

fn is_mpeg_audio_frame(head: &[u8]) -> bool {
    let [a, b, c, ..] = head else { return false };
    let sync = *a == 0xFF && b & 0xE0 == 0xE0;
    let version_ok = (b >> 3) & 0b11 != 0b01;
    let layer_ok = (b >> 1) & 0b11 != 0b00; // 00 is ADTS AAC, not MP3
    let bitrate_ok = !matches!(c >> 4, 0b0000 | 0b1111);
    let rate_ok = (c >> 2) & 0b11 != 0b11;
    sync && version_ok && layer_ok && bitrate_ok && rate_ok
}

/// `BM` begins many texts ("BMW…"); a real bitmap also has a known DIB header size at 14.
fn is_bmp(head: &[u8]) -> bool {
    head.get(14..18)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .is_some_and(|dib| matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124))
}

fn text_kind(head: &[u8], complete: bool, extension: Option<&str>) -> Option<MediaType> {
    let ty = MediaType::from_static;
    let text = utf8_prefix(head, complete)?;
    let binary_control = text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C' | '\x1B'));
    if binary_control {
        return None;
    }
    let start = text.trim_start_matches('\u{FEFF}').trim_start();
    let lower: String = start.chars().take(256).flat_map(char::to_lowercase).collect();
    if lower.starts_with("<svg")
        || (lower.starts_with("<?xml") || lower.starts_with("<!doctype svg")) && contains(text.as_bytes(), b"<svg")
    {
        return Some(ty("image/svg+xml"));
    }
    if ["<!doctype html", "<html", "<head", "<body", "<script", "<iframe"].iter().any(|tag| lower.starts_with(tag)) {
        return Some(ty("text/html"));
    }
    if lower.starts_with("<?xml") {
        return Some(ty("application/xml"));
    }
    if start.starts_with("#!") {
        return Some(ty("text/x-script"));
    }
    Some(match extension {
        Some("md" | "markdown") => ty("text/markdown"),
        Some("csv") => ty("text/csv"),
        Some("tsv") => ty("text/tab-separated-values"),
        Some("json") if start.starts_with(['{', '[']) => ty("application/json"),
        _ => ty("text/plain"),
    })
}

/// The head as UTF-8, allowing a multi-byte sequence cut off at the end of an incomplete head.
fn utf8_prefix(head: &[u8], complete: bool) -> Option<&str> {
    match std::str::from_utf8(head) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() && !complete => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(head: &[u8], ext: Option<&str>) -> Option<String> {
        sniff(head, true, ext).map(|t| t.to_string())
    }

    #[test]
    fn binary_formats_are_recognised_by_signature_whatever_the_extension() {
        let mut bmp = b"BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0".to_vec();
        bmp.resize(64, 0);
        let cases: &[(&[u8], &str)] = &[
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", "image/jpeg"),
            (b"GIF89a\x01\0\x01\0", "image/gif"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
            (b"RIFF\x24\0\0\0WAVEfmt ", "audio/wav"),
            (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1", "image/avif"),
            (b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2", "video/mp4"),
            (b"\0\0\0\x14ftypqt  \0\0\0\0qt  ", "video/quicktime"),
            (b"\0\0\0\x18ftypM4A \0\0\0\0M4A mp42", "audio/mp4"),
            (b"\x1A\x45\xDF\xA3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
            (b"OggS\0\x02\0\0\0\0\0\0\0\0\x01vorbis", "audio/ogg"),
            (b"fLaC\0\0\0\x22", "audio/flac"),
            (b"ID3\x04\0\0\0\0\0\0", "audio/mpeg"),
            (b"\xFF\xFB\x90\x64\0\0", "audio/mpeg"),
            (b"%PDF-1.7\n", "application/pdf"),
            (&bmp, "image/bmp"),
            (b"\0\0\x01\0\x01\0\x10\x10", "image/x-icon"),
            (b"PK\x03\x04\x14\0", "application/zip"),
            (b"MZ\x90\0\x03\0\0\0", "application/vnd.microsoft.portable-executable"),
            (b"\x7FELF\x02\x01\x01", "application/x-elf"),
        ];
        for (head, expected) in cases {
            assert_eq!(detect(head, Some("txt")).as_deref(), Some(*expected), "{expected}");
        }
    }

    #[test]
    fn text_is_refined_by_extension_but_active_content_is_not() {
        assert_eq!(detect(b"# Title\n", Some("md")).as_deref(), Some("text/markdown"));
        assert_eq!(detect(b"a,b\n1,2\n", Some("csv")).as_deref(), Some("text/csv"));
        assert_eq!(detect(b"{\"a\":1}", Some("json")).as_deref(), Some("application/json"));
        assert_eq!(detect(b"not json", Some("json")).as_deref(), Some("text/plain"));
        assert_eq!(detect("café\n".as_bytes(), None).as_deref(), Some("text/plain"));
        assert_eq!(
            detect(b"\xEF\xBB\xBF<?xml version='1.0'?>\n<svg xmlns='x'/>", Some("png")).as_deref(),
            Some("image/svg+xml")
        );
        assert_eq!(detect(b"<!DOCTYPE html><html>", Some("md")).as_deref(), Some("text/html"));
        assert_eq!(detect(b"  <script>alert(1)</script>", Some("txt")).as_deref(), Some("text/html"));
        assert_eq!(detect(b"#!/bin/sh\nrm -rf /", Some("txt")).as_deref(), Some("text/x-script"));
        assert_eq!(detect(b"BMW is a car\n", Some("txt")).as_deref(), Some("text/plain"));
    }

    #[test]
    fn binary_noise_and_broken_utf8_are_unknown() {
        assert_eq!(detect(b"\0\x01\x02\x03binary", None), None);
        assert_eq!(detect(b"abc\xFF\xFEdef", None), None);
        // A UTF-8 sequence cut at the end of the sniffed window is not an error …
        assert!(sniff("é".as_bytes().split_at(1).0, false, None).is_some());
        // … but at the end of the whole file it is.
        assert!(sniff("é".as_bytes().split_at(1).0, true, None).is_none());
    }
}
