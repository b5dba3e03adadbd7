//! Serving stored blobs. Every byte the reader's site sends from the store goes through
//! [`serve_blob`]: pages, generated documents, `/assets/…`, `/publish.css` and `/_blob/{sha256}`.
//!
//! `GET /_blob/{sha256}` is a blob at an immutable URL — but only a blob the live revision
//! publishes (a page's HTML, a generated document, an asset: [`crate::site::Public`]). Anything
//! else, an old page, an offline site, an aborted upload, a note's source, answers exactly as a
//! hash that was never stored does: 404 `blob-not-found`. It is served with the type its
//! revision records (HTML with the page CSP, like at its route).
//!
//! Strong `ETag` (the hash), `If-None-Match` → 304, one byte range → 206 (416 when it cannot be
//! satisfied; several ranges get the whole blob, as RFC 9110 allows).
//!
//! **Integrity.** Bytes are checked against their hash as they are served. A blob of at most
//! `BLOB_CHECK_WHOLE_MAX_BYTES` (1 MiB: pages, stylesheets, most images) is read whole and
//! checked before its first byte is sent: a damaged one is a 500 `blob-corrupt`, never a cut-off
//! or defaced page.
//! A larger one is hashed as it streams, its last chunk held back until the hash is known: on a
//! mismatch the body ends with an error (the client sees a broken transfer, not a complete wrong
//! body). Either way the blob is reported ([`crate::site::Site::report_corrupt`]: logged,
//! remembered, moved to the quarantine) and every later request for it gets 500 `blob-corrupt`.
//! A range of a large blob is not checked — that would mean reading the whole blob for a piece
//! of it — unless it covers the whole blob; the full request (what a browser makes first) is,
//! and once the blob is known damaged, ranges of it are refused too. `vps-publish verify` checks
//! every blob of every kept revision.
//!
//! Why HTML at `/_blob/` gets the page CSP rather than being refused: a page's blob is as much
//! the page as its route (same bytes, same `ETag`), so it gets the same headers — one rule for
//! every HTML answer ([`content_security_policy`]), wherever it comes from.

use std::sync::atomic::Ordering;

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use vps_core::revision::Encodings;
use vps_core::{ContentHash, MediaType};
use vps_ingest::sniff::{SNIFF_LEN, sniff};
use vps_store::{BlobReader, verify};

use super::site::PAGE_CSP;
use crate::ApiError;
use crate::encoding::{self, Available, Coding, Precompressed};
use crate::metrics::Metrics;
use crate::site::Live;
use crate::state::AppState;
use crate::views::Allowed;

/// The `Cache-Control` of a URL named by its content: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[tracing::instrument(level = "debug", skip_all, fields(hash = %raw))]
pub(super) async fn get_blob(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let hash = ContentHash::parse(&raw)?;
    let live = app.site.live();
    // Not published and not stored get one answer: nothing tells which blobs the store holds.
    let public = live.public(&hash).ok_or_else(|| ApiError::BlobNotFound(hash.to_hex()))?;
    // A blob only protected pages show is for their readers only, and answers as absent to
    // anyone else.
    let caching = match super::site::blob_access(&app, &live, &hash, &request) {
        Allowed::Public => Caching::Immutable,
        Allowed::Private => Caching::Private,
        Allowed::Denied => return Err(ApiError::BlobNotFound(hash.to_hex())),
    };
    let delivery = Delivery::new(public.content_type(), caching).with_ranges();
    serve_blob(&app, &live, &hash, &delivery, request.method(), request.headers()).await
}

/// How long clients may keep what they got.
#[derive(Debug, Clone, Copy)]
pub(super) enum Caching {
    /// A URL named by the content itself: a year, never revalidated.
    Immutable,
    /// A URL whose content can change with the next revision: revalidate (cheap, by ETag).
    Revalidate,
    /// Protected content, for this reader only: `private, no-store`, `Vary: Cookie`.
    Private,
}

/// How a blob is served.
#[derive(Debug, Clone)]
pub(super) struct Delivery<'a> {
    /// The `Content-Type` header (borrowed: a page's is a constant, a document's is in the
    /// revision).
    pub content_type: Cow<'a, str>,
    pub caching: Caching,
    /// 200, or 404 for the site's 404 page (never answered 304 or ranged).
    pub status: StatusCode,
    /// Whether `Range` is honoured.
    pub ranges: bool,
    /// The blob's size when the revision records it (an asset's): a `HEAD` needs no store read.
    pub size: Option<u64>,
}

impl<'a> Delivery<'a> {
    pub(super) fn new(content_type: impl Into<Cow<'a, str>>, caching: Caching) -> Self {
        Self { content_type: content_type.into(), caching, status: StatusCode::OK, ranges: false, size: None }
    }

    pub(super) fn with_ranges(mut self) -> Self {
        self.ranges = true;
        self
    }

    pub(super) fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }
}

/// The representation chosen for a request: which coding, from which blob, of what size when
/// the revision says.
struct Chosen {
    coding: Coding,
    blob: ContentHash,
    size: Option<u64>,
}

/// Serves the blob `hash` of `live` as `delivery` says: in the stored encoding `Accept-Encoding`
/// asks for (`live.encodings`; see [`encoding::negotiate`]), checked against its hash (see the
/// module's docs), from the memory cache when it is there, with conditional and range handling.
///
/// No store read for a 304, nor for a `HEAD` whose size the revision records (pages, documents
/// and compressible assets in `Revision.encodings`, assets in `Asset.size`); a `HEAD` of a blob
/// of an older revision without recorded sizes opens the blob for its length (no bytes read).
pub(super) async fn serve_blob(
    app: &AppState,
    live: &Live,
    hash: &ContentHash,
    delivery: &Delivery<'_>,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    // A lock and a lookup in a map that is empty unless a blob was found damaged: the store is
    // asked only about a blob quarantined earlier (whether it was stored anew since).
    if app.site.is_corrupt(&*app.store, hash).await? {
        tracing::debug!(blob = %hash, "refused a blob found corrupt earlier");
        return Err(ApiError::BlobCorrupt(*hash));
    }
    let ok = delivery.status == StatusCode::OK;
    let encodings = live.encodings.get(hash);
    // A range is a range of the identity bytes.
    let ranged = ok && delivery.ranges && headers.contains_key(header::RANGE);
    let chosen = choose(app, hash, encodings, delivery, ranged, headers).await?;
    let etag = encoding::etag(hash, chosen.coding);
    let mut response = if ok && if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if method == Method::HEAD {
        let len = match chosen.size.or_else(|| app.blob_cache.get(&chosen.blob).map(|b| b.len() as u64)) {
            Some(len) => len,
            None => open(app, &chosen.blob).await?.len(), // an old revision: no recorded size
        };
        let mut response = Response::new(Body::empty());
        *response.status_mut() = delivery.status;
        representation_headers(response.headers_mut(), delivery, chosen.coding, len)?;
        response
    } else {
        let (body, total) = match app.blob_cache.get(&chosen.blob) {
            Some(bytes) => {
                Metrics::add(&app.metrics.blob_cache_hits, 1);
                let total = bytes.len() as u64;
                (Source::Cached(bytes), total)
            }
            None => {
                Metrics::add(&app.metrics.blob_cache_misses, 1);
                let reader = open(app, &chosen.blob).await?;
                let total = reader.len();
                (Source::Store(reader), total)
            }
        };
        let identity_tag = etag.to_str().expect("ascii");
        let range = if ranged && chosen.coding == Coding::Identity && if_range_holds(headers, identity_tag) {
            requested_range(headers, total)
        } else {
            Ok(None)
        };
        let Ok(range) = range else { return Err(ApiError::RangeNotSatisfiable { total }) };
        let body = match body {
            Source::Cached(bytes) => Body::from(match range {
                Some((start, end)) => bytes.slice(start as usize..=end as usize),
                None => bytes,
            }),
            Source::Store(reader) => checked_body(app, &chosen.blob, reader, range).await?,
        };
        let mut response = Response::new(body);
        let (status, len) = match range {
            Some((start, end)) => (StatusCode::PARTIAL_CONTENT, end - start + 1),
            None => (delivery.status, total),
        };
        *response.status_mut() = status;
        let headers = response.headers_mut();
        if let Some((start, end)) = range {
            let value = format!("bytes {start}-{end}/{total}");
            headers.insert(header::CONTENT_RANGE, HeaderValue::from_str(&value).expect("ascii"));
        }
        representation_headers(headers, delivery, chosen.coding, len)?;
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag);
    caching_headers(headers, delivery.caching);
    if encodings.is_some_and(|e| e.variants().next().is_some()) {
        encoding::vary(headers);
    }
    if delivery.ranges {
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    Ok(response)
}

/// Where the bytes come from.
enum Source {
    Cached(Bytes),
    Store(BlobReader),
}

/// The representation of `hash` to send: a stored variant `Accept-Encoding` prefers (not for a
/// range, nor when that variant was found corrupt: then identity), else the identity bytes.
async fn choose(
    app: &AppState,
    hash: &ContentHash,
    encodings: Option<&Encodings>,
    delivery: &Delivery<'_>,
    ranged: bool,
    headers: &HeaderMap,
) -> Result<Chosen, ApiError> {
    let identity = Chosen { coding: Coding::Identity, blob: *hash, size: encodings.map(|e| e.size).or(delivery.size) };
    let Some(encodings) = encodings.filter(|_| !ranged) else { return Ok(identity) };
    let available = Available { gzip: encodings.gzip.is_some(), br: encodings.br.is_some() };
    if !available.any() {
        return Ok(identity);
    }
    let coding = encoding::negotiate(encoding::accept_encoding(headers).as_deref(), available);
    let variant = match coding {
        Coding::Identity => None,
        Coding::Gzip => encodings.gzip,
        Coding::Br => encodings.br,
    };
    let Some(variant) = variant else { return Ok(identity) };
    if app.site.is_corrupt(&*app.store, &variant.blob).await? {
        return Ok(identity);
    }
    Ok(Chosen { coding, blob: variant.blob, size: Some(variant.size) })
}

/// Opens `hash` in the store (counted as a read of the reader's side).
async fn open(app: &AppState, hash: &ContentHash) -> Result<BlobReader, ApiError> {
    Metrics::add(&app.metrics.store_blob_reads, 1);
    app.store.open(hash).await?.ok_or_else(|| ApiError::BlobNotFound(hash.to_hex()))
}

/// The headers of a representation sent with its body (or a `HEAD`'s): type, length, coding,
/// policy.
fn representation_headers(
    headers: &mut HeaderMap,
    delivery: &Delivery<'_>,
    coding: Coding,
    len: u64,
) -> Result<(), ApiError> {
    let content_type = HeaderValue::from_str(&delivery.content_type)
        .map_err(|_| ApiError::Internal(format!("content type {:?}", delivery.content_type)))?;
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Some(name) = coding.name() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    if let Some(policy) = content_security_policy(&delivery.content_type) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    }
    Ok(())
}

/// Serves bytes held in memory with their variants (the site's stylesheet and script; the
/// documents made when a revision is loaded: sitemap, robots.txt, feed, 404 page) like a stored
/// blob: its variant as `Accept-Encoding` asks, its own ETag per coding, 304 on a match (for a
/// 200 only).
pub(super) fn serve_precompressed(
    file: &Precompressed,
    content_type: &'static str,
    caching: Caching,
    status: StatusCode,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let coding = encoding::negotiate(encoding::accept_encoding(headers).as_deref(), file.available());
    let etag = encoding::etag(&file.hash, coding);
    let mut response = if status == StatusCode::OK && if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = file.body(coding);
        let len = body.len();
        let mut response =
            if method == Method::HEAD { Response::new(Body::empty()) } else { Response::new(Body::from(body.clone())) };
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        if let Some(name) = coding.name() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        if let Some(policy) = content_security_policy(content_type) {
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag);
    caching_headers(headers, caching);
    if file.available().any() {
        encoding::vary(headers);
    }
    response
}

/// The headers every served file gets, a stored blob or one built into the binary: its
/// `Cache-Control` and `X-Content-Type-Options: nosniff`.
pub(crate) fn caching_headers(headers: &mut HeaderMap, caching: Caching) {
    let cache_control = match caching {
        Caching::Immutable => IMMUTABLE,
        Caching::Revalidate => "no-cache",
        Caching::Private => "private, no-store",
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if matches!(caching, Caching::Private) {
        headers.append(header::VARY, HeaderValue::from_static("cookie"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

/// The policy a served document gets from its type: HTML runs only our own script and styles
/// (the page CSP, wherever a page is served from); an SVG opened directly runs no script at all.
fn content_security_policy(content_type: &str) -> Option<&'static str> {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let is = |name: &str| essence.eq_ignore_ascii_case(name);
    if is("text/html") || is("application/xhtml+xml") {
        Some(PAGE_CSP)
    } else if is("image/svg+xml") {
        Some("sandbox")
    } else {
        None
    }
}

/// The body of `range` (inclusive; or the whole blob), checked against `hash` as the module's
/// docs say. A blob read whole and found sound enters the memory cache.
async fn checked_body(
    app: &AppState,
    hash: &ContentHash,
    blob: BlobReader,
    range: Option<(u64, u64)>,
) -> Result<Body, ApiError> {
    let total = blob.len();
    Metrics::add(&app.metrics.store_blob_reads, 1);
    if total <= app.settings.http.blob_check_whole_max_bytes {
        let mut bytes = BytesMut::with_capacity(total as usize);
        let mut chunks = blob.stream(None).await?;
        while let Some(chunk) = chunks.try_next().await? {
            bytes.extend_from_slice(&chunk);
        }
        let bytes = bytes.freeze();
        let actual = verify::hash_bytes(&bytes);
        if &actual != hash {
            report_corrupt(app, hash, &actual).await;
            return Err(ApiError::BlobCorrupt(*hash));
        }
        if app.blob_cache.admits(total) {
            app.blob_cache.insert_verified(*hash, bytes.clone());
            app.metrics.blob_cache_bytes.store(app.blob_cache.weight(), Ordering::Relaxed);
        }
        return Ok(Body::from(match range {
            Some((start, end)) => bytes.slice(start as usize..=end as usize),
            None => bytes,
        }));
    }
    match range {
        Some((start, end)) if start > 0 || end + 1 < total => {
            Ok(Body::from_stream(blob.stream(Some(start..end + 1)).await?))
        }
        _ => {
            let (app, expected) = (app.clone(), *hash);
            let stream = verify::verified(blob.stream(None).await?, expected, move |actual| {
                tokio::spawn(async move { report_corrupt(&app, &expected, &actual).await });
            });
            Ok(Body::from_stream(stream))
        }
    }
}

/// The blob `hash` was read as `actual`: out of the memory cache, reported to the site (logged,
/// refused from now on, quarantined).
async fn report_corrupt(app: &AppState, hash: &ContentHash, actual: &ContentHash) {
    app.blob_cache.remove(hash);
    app.metrics.blob_cache_bytes.store(app.blob_cache.weight(), Ordering::Relaxed);
    app.site.report_corrupt(&*app.store, hash, actual).await;
}

/// Sniffs a blob's media type from its first bytes. Unknown content is
/// `application/octet-stream`.
pub(super) async fn media_type_of(blob: &mut BlobReader, extension: Option<&str>) -> Result<MediaType, ApiError> {
    let head = blob.head(SNIFF_LEN).await?;
    let complete = blob.len() <= SNIFF_LEN as u64;
    Ok(sniff(&head, complete, extension).unwrap_or(MediaType::OCTET_STREAM))
}

/// `If-None-Match: "a", "b"` or `*`; weak tags compare by their opaque part (RFC 9110's weak
/// comparison). Each representation has its own tag: `"<hash>-br"` revalidates the br variant
/// only, never identity or gzip.
pub(super) fn if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|value| {
        value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == etag)
    })
}

/// A Range is honoured unless `If-Range` names another version.
fn if_range_holds(headers: &HeaderMap, etag: &str) -> bool {
    headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()).is_none_or(|value| value.trim() == etag)
}

/// `Ok(Some((first, last)))` for one satisfiable range, `Ok(None)` for no (or an ignored) Range,
/// `Err(())` for a range that cannot be satisfied.
fn requested_range(headers: &HeaderMap, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else { return Ok(None) };
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None); // several ranges: answer with the whole blob
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Ok(None) };
    let parse = |s: &str| s.trim().parse::<u64>();
    let range = match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, false) => {
            let suffix = parse(last).map_err(|_| ())?;
            if suffix == 0 || len == 0 {
                return Err(());
            }
            (len.saturating_sub(suffix), len - 1)
        }
        (false, true) => (parse(first).map_err(|_| ())?, len.saturating_sub(1)),
        (false, false) => {
            let (a, b) = (parse(first).map_err(|_| ())?, parse(last).map_err(|_| ())?);
            if b < a {
                return Ok(None); // syntactically invalid: ignore the header
            }
            (a, b.min(len.saturating_sub(1)))
        }
        (true, true) => return Ok(None),
    };
    if range.0 >= len { Err(()) } else { Ok(Some(range)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        requested_range(&headers, len)
    }

    #[test]
    fn html_gets_the_page_policy_and_svg_a_sandbox_whatever_the_spelling_of_the_type() {
        assert_eq!(content_security_policy("text/html; charset=utf-8"), Some(PAGE_CSP));
        assert_eq!(content_security_policy(" Text/HTML ;charset=utf-8"), Some(PAGE_CSP));
        assert_eq!(content_security_policy("application/xhtml+xml"), Some(PAGE_CSP));
        assert_eq!(content_security_policy("IMAGE/SVG+XML"), Some("sandbox"));
        assert_eq!(content_security_policy("text/css; charset=utf-8"), None);
        assert_eq!(content_security_policy("text/htmlx"), None);
    }

    #[test]
    fn single_ranges_are_parsed_and_clamped() {
        assert_eq!(range("bytes=0-9", 100), Ok(Some((0, 9))));
        assert_eq!(range("bytes=90-", 100), Ok(Some((90, 99))));
        assert_eq!(range("bytes=-10", 100), Ok(Some((90, 99))));
        assert_eq!(range("bytes=-1000", 100), Ok(Some((0, 99))));
        assert_eq!(range("bytes=50-1000", 100), Ok(Some((50, 99))));
        assert_eq!(range("bytes=100-", 100), Err(()));
        assert_eq!(range("bytes=-0", 100), Err(()));
        assert_eq!(range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(range("items=0-1", 100), Ok(None));
        assert_eq!(range("bytes=9-1", 100), Ok(None));
    }
}
