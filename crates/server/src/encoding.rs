//! Which stored representation a request gets: [`negotiate`] reads `Accept-Encoding` (RFC 9110
//! §12.5.3, with q-values) against the variants a blob has. Nothing here compresses at request
//! time: pages, documents and assets have their variants stored at publish time
//! (`Revision.encodings`); the site's own files built into the binary get theirs once, at first
//! use ([`Precompressed`]).

use axum::http::{HeaderMap, HeaderValue, header};
use bytes::Bytes;
use vps_build::encode;
use vps_core::ContentHash;

/// A content coding we store variants in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Identity,
    Gzip,
    Br,
}

impl Coding {
    /// The `Content-Encoding` value (none for identity) and the ETag suffix.
    pub(crate) fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        }
    }
}

/// Which variants a resource has, besides identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Available {
    pub gzip: bool,
    pub br: bool,
}

impl Available {
    pub(crate) fn any(self) -> bool {
        self.gzip || self.br
    }
}

/// The representation to send for `accept_encoding` (the request's header values joined, or
/// `None` without the header) among `available`.
///
/// - No header: identity (any coding would be acceptable, but a client that says nothing gets
///   what every client can read).
/// - The highest q-value wins; between a variant and identity on a tie, the variant (smaller);
///   between variants on a tie, br, then gzip.
/// - `*` stands for every coding not listed; `q=0` excludes (`gzip;q=0`, `identity;q=0`,
///   `*;q=0`); identity not listed is acceptable below any listed coding, unless `*;q=0`.
/// - When nothing acceptable is available (identity excluded and no variant), identity anyway:
///   RFC 9110 allows answering without regard to the header rather than with 406.
pub(crate) fn negotiate(accept_encoding: Option<&str>, available: Available) -> Coding {
    let Some(header) = accept_encoding else { return Coding::Identity };
    let (mut gzip, mut br, mut identity, mut star) = (None, None, None, None);
    for item in header.split(',') {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or_default().trim();
        if token.is_empty() {
            continue;
        }
        let mut q = Some(1000);
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                q = qvalue(value.trim());
            }
        }
        let Some(q) = q else { continue }; // a malformed q-value: the entry is ignored
        let slot = if token.eq_ignore_ascii_case("gzip") || token.eq_ignore_ascii_case("x-gzip") {
            &mut gzip
        } else if token.eq_ignore_ascii_case("br") {
            &mut br
        } else if token.eq_ignore_ascii_case("identity") {
            &mut identity
        } else if token == "*" {
            &mut star
        } else {
            continue;
        };
        // A coding listed twice keeps its best q-value.
        *slot = Some(slot.map_or(q, |old: u16| old.max(q)));
    }
    let gzip = if available.gzip { gzip.or(star).unwrap_or(0) } else { 0 };
    let br = if available.br { br.or(star).unwrap_or(0) } else { 0 };
    // Identity not named: acceptable (below any named coding) unless `*;q=0`.
    let identity = identity.unwrap_or(if star == Some(0) { 0 } else { 1 });
    let (best, q) = if br >= gzip { (Coding::Br, br) } else { (Coding::Gzip, gzip) };
    if q > 0 && q >= identity { best } else { Coding::Identity }
}

/// A q-value in thousandths (`1`, `0.5`, `0.001`, `1.000`), `None` when malformed.
fn qvalue(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The request's `Accept-Encoding`, its values joined (a header sent twice counts as one list);
/// `None` without one. Borrowed in the usual case of one header line.
pub(crate) fn accept_encoding(headers: &HeaderMap) -> Option<std::borrow::Cow<'_, str>> {
    let mut values = headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok());
    let first = values.next()?;
    let rest: Vec<&str> = values.collect();
    if rest.is_empty() {
        Some(std::borrow::Cow::Borrowed(first))
    } else {
        Some(std::borrow::Cow::Owned([first].into_iter().chain(rest).collect::<Vec<_>>().join(",")))
    }
}

/// `Vary: Accept-Encoding`, on every answer for a resource that has variants.
pub(crate) fn vary(headers: &mut HeaderMap) {
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
}

/// The strong ETag of one representation: `"<hash>"`, `"<hash>-br"`, `"<hash>-gzip"` (the hash
/// in lowercase hex, as `ContentHash` displays it).
///
/// Made on every answer of a stored document, a 304 included, so it is written straight into
/// one buffer: `format!` of the hash spent about 5% of a 304's server time in `core::fmt`.
pub(crate) fn etag(hash: &ContentHash, coding: Coding) -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let suffix = coding.name().unwrap_or_default();
    let mut tag = Vec::with_capacity(2 + 64 + 1 + suffix.len() + 1);
    tag.push(b'"');
    for byte in hash.as_bytes() {
        tag.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]);
    }
    if !suffix.is_empty() {
        tag.push(b'-');
        tag.extend_from_slice(suffix.as_bytes());
    }
    tag.push(b'"');
    HeaderValue::from_maybe_shared(Bytes::from(tag)).expect("hex is ascii")
}

/// Bytes held in memory with their variants (a file built into the binary, a document made when
/// a revision is loaded), compressed once as the build compresses stored documents
/// ([`vps_build::encode`]), a variant kept when it saves as much.
#[derive(Debug, Clone)]
pub(crate) struct Precompressed {
    pub identity: Bytes,
    pub hash: ContentHash,
    pub gzip: Option<Bytes>,
    pub br: Option<Bytes>,
}

impl Precompressed {
    pub(crate) fn new(identity: impl Into<Bytes>) -> Self {
        let identity: Bytes = identity.into();
        let size = identity.len() as u64;
        let worth = |encoded: Vec<u8>| {
            let saves = (encoded.len() as u64) * 100 <= size * (100 - encode::MIN_SAVING_PERCENT);
            (identity.len() >= encode::MIN_ENCODE_BYTES && saves).then(|| Bytes::from(encoded))
        };
        let (gzip, br) = (worth(encode::gzip(&identity)), worth(encode::brotli(&identity)));
        Self { hash: ContentHash::of(&identity), identity, gzip, br }
    }

    pub(crate) fn available(&self) -> Available {
        Available { gzip: self.gzip.is_some(), br: self.br.is_some() }
    }

    /// The bytes of `coding` (identity when that variant is absent).
    pub(crate) fn body(&self, coding: Coding) -> &Bytes {
        let variant = match coding {
            Coding::Identity => None,
            Coding::Gzip => self.gzip.as_ref(),
            Coding::Br => self.br.as_ref(),
        };
        variant.unwrap_or(&self.identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Available = Available { gzip: true, br: true };
    const GZIP: Available = Available { gzip: true, br: false };
    const NONE: Available = Available { gzip: false, br: false };

    fn pick(header: &str, available: Available) -> Coding {
        negotiate(Some(header), available)
    }

    #[test]
    fn no_header_gets_identity() {
        assert_eq!(negotiate(None, BOTH), Coding::Identity);
        assert_eq!(pick("", BOTH), Coding::Identity);
    }

    #[test]
    fn browsers_get_brotli_and_older_clients_gzip() {
        assert_eq!(pick("gzip, deflate, br, zstd", BOTH), Coding::Br);
        assert_eq!(pick("gzip, deflate, br, zstd", GZIP), Coding::Gzip);
        assert_eq!(pick("gzip", BOTH), Coding::Gzip);
        assert_eq!(pick("x-gzip", BOTH), Coding::Gzip);
        assert_eq!(pick("GZIP", BOTH), Coding::Gzip);
        assert_eq!(pick("br", GZIP), Coding::Identity, "br is not there");
        assert_eq!(pick("gzip, br", NONE), Coding::Identity);
        assert_eq!(pick("deflate, zstd", BOTH), Coding::Identity);
    }

    #[test]
    fn q_values_rank_codings() {
        assert_eq!(pick("br;q=0.5, gzip;q=1", BOTH), Coding::Gzip);
        assert_eq!(pick("br;q=1, gzip;q=0.5", BOTH), Coding::Br);
        assert_eq!(pick("br;q=0.8, gzip;q=0.8", BOTH), Coding::Br, "a tie: br");
        assert_eq!(pick("gzip;q=0.5", BOTH), Coding::Gzip, "identity not named ranks below");
        assert_eq!(pick("gzip;q=0.5, identity", BOTH), Coding::Identity, "identity named ranks higher");
        assert_eq!(pick("gzip, identity", BOTH), Coding::Gzip, "a tie with identity: the variant");
        assert_eq!(pick("gzip ; Q=0.300 , br;q=0.2", BOTH), Coding::Gzip);
        assert_eq!(pick("br;q=2, gzip", BOTH), Coding::Gzip, "a malformed q-value ignores its entry");
        assert_eq!(pick("br;q=0.1234, gzip;q=0.1", BOTH), Coding::Gzip);
        assert_eq!(pick("gzip;q=0, gzip;q=0.5", BOTH), Coding::Gzip, "the best of a repeated coding");
    }

    #[test]
    fn q_zero_excludes() {
        assert_eq!(pick("gzip;q=0", GZIP), Coding::Identity);
        assert_eq!(pick("gzip;q=0, br;q=0", BOTH), Coding::Identity);
        assert_eq!(pick("br;q=0, gzip", BOTH), Coding::Gzip);
        assert_eq!(pick("identity;q=0", BOTH), Coding::Identity, "nothing else acceptable: identity anyway");
        assert_eq!(pick("gzip, identity;q=0", BOTH), Coding::Gzip);
        assert_eq!(pick("gzip;q=0.001, identity;q=0", BOTH), Coding::Gzip);
    }

    #[test]
    fn a_star_stands_for_every_coding_not_listed() {
        assert_eq!(pick("*", BOTH), Coding::Br);
        assert_eq!(pick("*", GZIP), Coding::Gzip);
        assert_eq!(pick("*;q=0.5, br;q=0", BOTH), Coding::Gzip);
        assert_eq!(pick("*;q=0", BOTH), Coding::Identity);
        assert_eq!(pick("*;q=0, identity", BOTH), Coding::Identity);
        assert_eq!(pick("*;q=0, gzip", BOTH), Coding::Gzip);
        assert_eq!(pick("*;q=0.5, identity", BOTH), Coding::Identity);
    }

    #[test]
    fn each_representation_has_its_own_strong_etag() {
        let hash = ContentHash::of(b"page");
        assert_eq!(etag(&hash, Coding::Identity), format!("\"{hash}\"").as_str());
        assert_eq!(etag(&hash, Coding::Gzip), format!("\"{hash}-gzip\"").as_str());
        assert_eq!(etag(&hash, Coding::Br), format!("\"{hash}-br\"").as_str());
    }

    #[test]
    fn q_values_are_read_in_thousandths() {
        assert_eq!(qvalue("1"), Some(1000));
        assert_eq!(qvalue("1.000"), Some(1000));
        assert_eq!(qvalue("0"), Some(0));
        assert_eq!(qvalue("0.5"), Some(500));
        assert_eq!(qvalue("0.001"), Some(1));
        assert_eq!(qvalue("1.5"), None);
        assert_eq!(qvalue("0.0001"), None);
        assert_eq!(qvalue("-1"), None);
        assert_eq!(qvalue(""), None);
    }

    #[test]
    fn built_in_files_get_smaller_variants_that_decode_to_them() {
        let file = Precompressed::new(b"body { color: red; }\n".repeat(50));
        let gzip = file.gzip.as_ref().expect("smaller");
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut decoded).unwrap();
        assert_eq!(decoded, file.identity);
        let br = file.br.as_ref().expect("smaller");
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut brotli::Decompressor::new(&br[..], 4096), &mut decoded).unwrap();
        assert_eq!(decoded, file.identity);
        let tiny = Precompressed::new(&b"x"[..]);
        assert_eq!(tiny.available(), NONE, "a variant that saves too little is not kept");
    }
}
