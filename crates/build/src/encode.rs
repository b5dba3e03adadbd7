//! The stored encodings of what a revision publishes: every page, generated document and
//! compressible asset is compressed once, at publish time, to gzip and brotli, each variant a
//! blob of its own ([`vps_core::revision::Encodings`]); the server then picks one by
//! `Accept-Encoding` and never compresses a stored document while serving it.
//!
//! A blob that the base revision already encoded keeps its variants without being compressed
//! again (an unchanged page costs nothing). A variant is kept only when it saves at least
//! [`MIN_SAVING_PERCENT`] of the bytes; blobs under [`MIN_ENCODE_BYTES`] are served as they are.
//! Compression is deterministic (gzip with no name and mtime 0, brotli at a fixed quality), so
//! the same bytes give the same variant blobs on every server and in every revision.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;

use vps_core::revision::{Encoded, Encodings};
use vps_core::{ContentHash, MediaType};
use vps_store::StoreError;

use crate::sink::BlobSink;

/// Blobs smaller than this are not worth a variant (headers cost more than the saving).
pub const MIN_ENCODE_BYTES: usize = 512;
/// A variant is stored only when it is at least this much smaller than the identity bytes.
pub const MIN_SAVING_PERCENT: u64 = 10;
/// Brotli's quality (0–11). Measured on this machine on a 9 KB page (the `brotli` crate, size
/// hint given, window 18): q4 31 MB/s → 4,235 bytes; q5 20 MB/s → 3,983; q7 6.4 MB/s → 3,980;
/// q9 0.6 MB/s → 3,988; q11 0.3 MB/s → 3,532 (gzip -9: 4,227). Above 5 the time goes into the
/// encoder's tables, not into a smaller page; 11 would cost a 10,000-note first publish minutes.
const BROTLI_QUALITY: i32 = 5;
/// Brotli's window (log2 of bytes) ranges over these: smaller inputs get a window just large
/// enough ([`brotli_window`]). Measured with the `brotli` crate on a 9 KB page at quality 5:
/// windows 14 and 16 run at 0.7 MB/s (another, slower hasher), 18 and 20 at 20 MB/s, 22 at
/// 14 MB/s (larger tables to clear).
const BROTLI_MIN_WINDOW: u32 = 18;
const BROTLI_WINDOW: u32 = 22;
/// gzip's level (0–9).
const GZIP_LEVEL: u32 = 9;

/// Whether an asset of this type is worth compressing: text, JSON, JavaScript, XML and SVG
/// (images, audio, video, PDF and archives are compressed already).
pub fn compressible(media_type: &MediaType) -> bool {
    media_type.is_textual()
        || matches!(
            media_type.as_str(),
            "application/javascript" | "application/xml" | "application/atom+xml" | "application/rss+xml"
        )
}

/// The encodings of one build: those of the base revision, reused by hash, and the new ones.
pub(crate) struct Encoder<'a> {
    base: &'a BTreeMap<ContentHash, Encodings>,
    made: RefCell<BTreeMap<ContentHash, Encodings>>,
}

impl<'a> Encoder<'a> {
    pub(crate) fn new(base: &'a BTreeMap<ContentHash, Encodings>) -> Self {
        Self { base, made: RefCell::default() }
    }

    /// Records the encodings of `bytes` (whose hash is `hash`), storing new variants in `sink`.
    pub(crate) fn encode(&self, sink: &dyn BlobSink, hash: ContentHash, bytes: &[u8]) -> Result<(), StoreError> {
        if self.made.borrow().contains_key(&hash) {
            return Ok(());
        }
        let encodings = match self.base.get(&hash) {
            Some(known) => known.clone(),
            None => encode_bytes(sink, bytes)?,
        };
        self.made.borrow_mut().insert(hash, encodings);
        Ok(())
    }

    /// Whether `hash` was encoded by the base revision (its variants can be reused without
    /// reading its bytes).
    pub(crate) fn reuse(&self, hash: &ContentHash) -> bool {
        match self.base.get(hash) {
            Some(known) => {
                self.made.borrow_mut().insert(*hash, known.clone());
                true
            }
            None => self.made.borrow().contains_key(hash),
        }
    }

    /// The encodings of every blob recorded, those with at least one variant.
    pub(crate) fn finish(self, published: impl Fn(&ContentHash) -> bool) -> BTreeMap<ContentHash, Encodings> {
        let mut made = self.made.into_inner();
        made.retain(|hash, encodings| published(hash) && encodings.variants().next().is_some());
        made
    }
}

/// Compresses `bytes` to gzip and brotli and stores the variants worth keeping.
fn encode_bytes(sink: &dyn BlobSink, bytes: &[u8]) -> Result<Encodings, StoreError> {
    let size = bytes.len() as u64;
    let mut encodings = Encodings { size, gzip: None, br: None };
    if bytes.len() < MIN_ENCODE_BYTES {
        return Ok(encodings);
    }
    let worth = |compressed: &[u8]| (compressed.len() as u64) * 100 <= size * (100 - MIN_SAVING_PERCENT);
    let gzip = gzip(bytes);
    if worth(&gzip) {
        encodings.gzip = Some(Encoded { blob: sink.put_bytes(&gzip)?, size: gzip.len() as u64 });
    }
    let br = brotli(bytes);
    if worth(&br) {
        encodings.br = Some(Encoded { blob: sink.put_bytes(&br)?, size: br.len() as u64 });
    }
    Ok(encodings)
}

/// gzip at [`GZIP_LEVEL`], with no file name and mtime 0 (the same bytes always give the same
/// variant).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::with_capacity(bytes.len() / 3), flate2::Compression::new(GZIP_LEVEL));
    encoder.write_all(bytes).expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// Brotli at [`BROTLI_QUALITY`], with a window fit to the input.
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: brotli_window(bytes.len()) as i32,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(bytes.len() / 4);
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("reading a slice, writing a Vec cannot fail");
    out
}

/// The smallest window that holds `len` bytes, within [`BROTLI_MIN_WINDOW`]..=[`BROTLI_WINDOW`].
fn brotli_window(len: usize) -> u32 {
    let needed = usize::BITS - len.max(1).leading_zeros();
    needed.clamp(BROTLI_MIN_WINDOW, BROTLI_WINDOW)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::MemoryBlobs;

    fn page(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("<li><a href=\"../notes/note-{i}\">Note number {i}</a></li>\n"))
            .collect::<String>()
            .into()
    }

    #[test]
    fn variants_decompress_to_the_identity_bytes_and_are_deterministic() {
        let bytes = page(500);
        let sink = MemoryBlobs::new();
        let base = BTreeMap::new();
        let encoder = Encoder::new(&base);
        let hash = ContentHash::of(&bytes);
        encoder.encode(&sink, hash, &bytes).unwrap();
        let encodings = encoder.finish(|_| true).remove(&hash).expect("a large page has variants");
        assert_eq!(encodings.size, bytes.len() as u64);
        let gz = sink.get(&encodings.gzip.unwrap().blob).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, bytes);
        let br = sink.get(&encodings.br.unwrap().blob).unwrap();
        let mut out = Vec::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut out).unwrap();
        assert_eq!(out, bytes);
        assert_eq!(gzip(&bytes), gzip(&bytes));
        assert_eq!(brotli(&bytes), brotli(&bytes));
        assert!(encodings.br.unwrap().size < encodings.gzip.unwrap().size);
    }

    #[test]
    fn small_or_incompressible_blobs_get_no_variant() {
        let sink = MemoryBlobs::new();
        let base = BTreeMap::new();
        let encoder = Encoder::new(&base);
        let small = b"<p>hi</p>".to_vec();
        // Bytes that do not compress (a xorshift stream).
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for bytes in [&small, &noise] {
            encoder.encode(&sink, ContentHash::of(bytes), bytes).unwrap();
        }
        assert!(encoder.finish(|_| true).is_empty());
        assert!(sink.is_empty(), "no variant stored");
    }

    #[test]
    fn encodings_of_the_base_revision_are_reused_without_compressing() {
        let bytes = page(100);
        let hash = ContentHash::of(&bytes);
        let known = Encodings {
            size: bytes.len() as u64,
            gzip: Some(Encoded { blob: ContentHash::of(b"gz"), size: 2 }),
            br: None,
        };
        let base = BTreeMap::from([(hash, known.clone())]);
        let sink = MemoryBlobs::new();
        let encoder = Encoder::new(&base);
        encoder.encode(&sink, hash, &bytes).unwrap();
        assert!(sink.is_empty(), "nothing compressed again");
        assert_eq!(encoder.finish(|_| true).get(&hash), Some(&known));
    }

    #[test]
    fn only_published_blobs_keep_their_encodings() {
        let bytes = page(100);
        let hash = ContentHash::of(&bytes);
        let sink = MemoryBlobs::new();
        let base = BTreeMap::new();
        let encoder = Encoder::new(&base);
        encoder.encode(&sink, hash, &bytes).unwrap();
        assert!(encoder.finish(|h| *h != hash).is_empty());
    }

    #[test]
    fn compressible_types() {
        for yes in ["text/css", "text/plain", "image/svg+xml", "application/json", "application/javascript"] {
            assert!(compressible(&MediaType::parse(yes).unwrap()), "{yes}");
        }
        for no in ["image/png", "image/jpeg", "application/pdf", "video/mp4", "application/zip"] {
            assert!(!compressible(&MediaType::parse(no).unwrap()), "{no}");
        }
    }
}
