//! `GET /_blob/{sha256}`: a blob's bytes at an immutable URL, streamed from the store (a file,
//! or the bucket with the range passed through).
//!
//! Strong `ETag` (the hash), a year of caching, `If-None-Match` → 304, one byte range → 206
//! (416 when it cannot be satisfied; several ranges get the whole blob, as RFC 9110 allows).
//! The media type is sniffed from the blob's first bytes, as it was at upload.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vps_core::{ContentHash, MediaType};
use vps_ingest::sniff::{SNIFF_LEN, sniff};
use vps_store::BlobReader;

use crate::ApiError;
use crate::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub async fn get_blob(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hash = ContentHash::parse(&raw)?;
    serve_blob(&app, &hash, None, &headers, Caching::Immutable).await
}

/// How long clients may keep what they got.
#[derive(Debug, Clone, Copy)]
pub enum Caching {
    /// A URL named by the content itself: a year, never revalidated.
    Immutable,
    /// A URL whose content can change with the next revision: revalidate (cheap, by ETag).
    Revalidate,
}

/// Streams a blob with conditional and range handling. The media type is the one recorded at
/// upload when the caller knows it, else sniffed from the blob's first bytes.
pub async fn serve_blob(
    app: &AppState,
    hash: &ContentHash,
    media_type: Option<&MediaType>,
    headers: &HeaderMap,
    caching: Caching,
) -> Result<Response, ApiError> {
    let mut blob = app.store.open(hash).await?.ok_or_else(|| ApiError::BlobNotFound(hash.to_hex()))?;
    let etag = format!("\"{hash}\"");

    let mut response = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let media_type = match media_type {
            Some(known) => known.clone(),
            None => media_type_of(&mut blob, None).await?,
        };
        let range = if if_range_holds(headers, &etag) { requested_range(headers, blob.len()) } else { Ok(None) };
        match range {
            Err(()) => {
                let mut response =
                    ApiError::InvalidRequest("the requested range is outside the blob".into()).into_response();
                *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
                let value = format!("bytes */{}", blob.len());
                response.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&value).expect("ascii"));
                return Ok(response);
            }
            Ok(range) => body_response(blob, range, &media_type).await?,
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is ascii"));
    let cache_control = match caching {
        Caching::Immutable => IMMUTABLE,
        Caching::Revalidate => "no-cache",
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

async fn body_response(
    blob: BlobReader,
    range: Option<(u64, u64)>,
    media_type: &MediaType,
) -> Result<Response, ApiError> {
    let total = blob.len();
    let (status, start, end) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end),
        None => (StatusCode::OK, 0, total.saturating_sub(1)),
    };
    let len = if total == 0 { 0 } else { end - start + 1 };
    let stream = blob.stream(Some(start..start + len)).await?;
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let content_type =
        if media_type.is_textual() { format!("{media_type}; charset=utf-8") } else { media_type.to_string() };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).expect("media types are ascii"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if status == StatusCode::PARTIAL_CONTENT {
        let value = format!("bytes {start}-{end}/{total}");
        headers.insert(header::CONTENT_RANGE, HeaderValue::from_str(&value).expect("ascii"));
    }
    if media_type.as_str() == "image/svg+xml" {
        // An SVG opened directly must not run scripts on the site's origin.
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    }
    Ok(response)
}

/// Sniffs a blob's media type from its first bytes. Unknown content is
/// `application/octet-stream`.
pub async fn media_type_of(blob: &mut BlobReader, extension: Option<&str>) -> Result<MediaType, ApiError> {
    let head = blob.head(SNIFF_LEN).await?;
    let complete = blob.len() <= SNIFF_LEN as u64;
    Ok(sniff(&head, complete, extension).unwrap_or(MediaType::OCTET_STREAM))
}

/// `If-None-Match: "a", "b"` or `*`; weak tags compare by their opaque part.
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
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
