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

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use futures_util::TryStreamExt;
use vps_core::{ContentHash, MediaType};
use vps_ingest::sniff::{SNIFF_LEN, sniff};
use vps_store::{BlobReader, verify};

use super::site::PAGE_CSP;
use crate::ApiError;
use crate::state::AppState;

/// The `Cache-Control` of a URL named by its content: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[tracing::instrument(skip_all, fields(hash = %raw))]
pub(super) async fn get_blob(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hash = ContentHash::parse(&raw)?;
    let live = app.site.live();
    // Not published and not stored get one answer: nothing tells which blobs the store holds.
    let public = live.public(&hash).ok_or_else(|| ApiError::BlobNotFound(hash.to_hex()))?;
    let delivery = Delivery::new(public.content_type(), Caching::Immutable).with_ranges();
    serve_blob(&app, &hash, &delivery, &headers).await
}

/// How long clients may keep what they got.
#[derive(Debug, Clone, Copy)]
pub(super) enum Caching {
    /// A URL named by the content itself: a year, never revalidated.
    Immutable,
    /// A URL whose content can change with the next revision: revalidate (cheap, by ETag).
    Revalidate,
}

/// How a blob is served.
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    /// The `Content-Type` header.
    pub content_type: String,
    pub caching: Caching,
    /// 200, or 404 for the site's 404 page (never answered 304 or ranged).
    pub status: StatusCode,
    /// Whether `Range` is honoured.
    pub ranges: bool,
}

impl Delivery {
    pub(super) fn new(content_type: impl Into<String>, caching: Caching) -> Self {
        Self { content_type: content_type.into(), caching, status: StatusCode::OK, ranges: false }
    }

    pub(super) fn with_ranges(mut self) -> Self {
        self.ranges = true;
        self
    }
}

/// Serves the blob `hash` as `delivery` says, checked against its hash (see the module's docs),
/// with conditional and range handling.
pub(super) async fn serve_blob(
    app: &AppState,
    hash: &ContentHash,
    delivery: &Delivery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if app.site.is_corrupt(&*app.store, hash).await? {
        tracing::debug!(blob = %hash, "refused a blob found corrupt earlier");
        return Err(ApiError::BlobCorrupt(*hash));
    }
    let etag = format!("\"{hash}\"");
    let ok = delivery.status == StatusCode::OK;
    let mut response = if ok && if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let blob = app.store.open(hash).await?.ok_or_else(|| ApiError::BlobNotFound(hash.to_hex()))?;
        let total = blob.len();
        let range = if ok && delivery.ranges && if_range_holds(headers, &etag) {
            requested_range(headers, total)
        } else {
            Ok(None)
        };
        let Ok(range) = range else { return Err(ApiError::RangeNotSatisfiable { total }) };
        let body = checked_body(app, hash, blob, range).await?;
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
        let content_type = HeaderValue::from_str(&delivery.content_type)
            .map_err(|_| ApiError::Internal(format!("content type {:?}", delivery.content_type)))?;
        headers.insert(header::CONTENT_TYPE, content_type);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        if let Some(policy) = content_security_policy(&delivery.content_type) {
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is ascii"));
    caching_headers(headers, delivery.caching);
    if delivery.ranges {
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    Ok(response)
}

/// The headers every served file gets, a stored blob or one built into the binary: its
/// `Cache-Control` and `X-Content-Type-Options: nosniff`.
pub(crate) fn caching_headers(headers: &mut HeaderMap, caching: Caching) {
    let cache_control = match caching {
        Caching::Immutable => IMMUTABLE,
        Caching::Revalidate => "no-cache",
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

/// The policy a served document gets from its type: HTML runs only our own script and styles
/// (the page CSP, wherever a page is served from); an SVG opened directly runs no script at all.
fn content_security_policy(content_type: &str) -> Option<&'static str> {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "text/html" | "application/xhtml+xml" => Some(PAGE_CSP),
        "image/svg+xml" => Some("sandbox"),
        _ => None,
    }
}

/// The body of `range` (inclusive; or the whole blob), checked against `hash` as the module's
/// docs say.
async fn checked_body(
    app: &AppState,
    hash: &ContentHash,
    blob: BlobReader,
    range: Option<(u64, u64)>,
) -> Result<Body, ApiError> {
    let total = blob.len();
    if total <= app.settings.http.blob_check_whole_max_bytes {
        let mut bytes = BytesMut::with_capacity(total as usize);
        let mut chunks = blob.stream(None).await?;
        while let Some(chunk) = chunks.try_next().await? {
            bytes.extend_from_slice(&chunk);
        }
        let bytes = bytes.freeze();
        let actual = verify::hash_bytes(&bytes);
        if &actual != hash {
            app.site.report_corrupt(&*app.store, hash, &actual).await;
            return Err(ApiError::BlobCorrupt(*hash));
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
                tokio::spawn(async move { app.site.report_corrupt(&*app.store, &expected, &actual).await });
            });
            Ok(Body::from_stream(stream))
        }
    }
}

/// Sniffs a blob's media type from its first bytes. Unknown content is
/// `application/octet-stream`.
pub(super) async fn media_type_of(blob: &mut BlobReader, extension: Option<&str>) -> Result<MediaType, ApiError> {
    let head = blob.head(SNIFF_LEN).await?;
    let complete = blob.len() <= SNIFF_LEN as u64;
    Ok(sniff(&head, complete, extension).unwrap_or(MediaType::OCTET_STREAM))
}

/// `If-None-Match: "a", "b"` or `*`; weak tags compare by their opaque part.
pub(super) fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|value| {
        value.split(',').map(str::trim).any(|tag| tag == "*" || etag_matches(tag.trim_start_matches("W/"), etag))
    })
}

/// `"<hash>"` also matches the tags of its compressed variants, `"<hash>-gzip"` and `"<hash>-br"`.
fn etag_matches(tag: &str, etag: &str) -> bool {
    let inner = etag.trim_matches('"');
    tag == etag || ["gzip", "br"].iter().any(|encoding| tag == format!("\"{inner}-{encoding}\""))
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
