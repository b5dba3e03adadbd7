//! The reader's side: pages and assets of the live revision. Nothing else is ever served here:
//! sessions, staging and temp files have no URL.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use vps_core::AssetPath;

use super::blob::{Caching, if_none_match, serve_blob};
use crate::ApiError;
use crate::finalize::layout;
use crate::state::AppState;

/// Pages are HTML of our own making: no script is expected, none may run.
const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'; object-src 'none'; frame-ancestors 'self'; base-uri 'none'";

/// `/assets/<vault path>`: an asset of the live revision, by its path.
pub async fn asset(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::BlobNotFound(raw.chars().take(200).collect());
    let path = AssetPath::parse(&raw).map_err(|_| not_found())?;
    let live = app.site.live();
    let asset = live.assets.get(&path).ok_or_else(not_found)?;
    serve_blob(&app, &asset.sha256, Some(&asset.media_type), &headers, Caching::Revalidate).await
}

/// Every other GET: a page of the live revision, a redirect to where it moved, or a 404 page.
pub async fn page(
    State(app): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(ApiError::RouteNotFound);
    }
    let live = app.site.live();
    let path = vps_core::url::decode(uri.path());
    let trimmed = if path.len() > 1 { path.trim_end_matches('/') } else { path.as_str() };
    let candidates = match trimmed {
        "/" | "" => vec!["/index".to_owned(), "/".to_owned()],
        route => vec![route.to_owned(), format!("{route}/index")],
    };
    let Some((route, page)) = candidates.iter().find_map(|route| live.pages.get_key_value(route)) else {
        if let Some(target) = live.redirects.get(trimmed) {
            return Ok(redirect(target));
        }
        if trimmed == "/" && !live.pages.is_empty() {
            return Ok(generated_home(&app.settings.site_name, &live));
        }
        return Ok(not_found_page(&app.settings.site_name));
    };
    if trimmed != path && route != "/index" {
        return Ok(redirect(trimmed)); // one URL per page: no trailing slash
    }
    let etag = format!("\"{}\"", page.html_blob);
    if if_none_match(&headers, &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, HeaderValue::from_str(&etag).expect("ascii"));
        return Ok(response);
    }
    let file =
        app.store.open_blob(&page.html_blob).await?.ok_or_else(|| ApiError::BlobNotFound(page.html_blob.to_hex()))?;
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(file.file)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.len));
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("ascii"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    Ok(response)
}

/// The home page of a site without an index note: every page, by route.
fn generated_home(site_name: &str, live: &vps_core::revision::Revision) -> Response {
    let items: String = live
        .pages
        .iter()
        .map(|(route, page)| {
            let href = vps_core::url::encode_path(route);
            format!("<li><a href=\"{href}\">{}</a></li>\n", layout::escape(&page.title))
        })
        .collect();
    let html = layout::page(site_name, site_name, &format!("<ul class=\"page-list\">\n{items}</ul>"), true);
    let mut response = html.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    response
}

fn redirect(target: &str) -> Response {
    let location = vps_core::url::encode_path(target);
    let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).expect("encoded"));
    response
}

fn not_found_page(site_name: &str) -> Response {
    let mut response = (StatusCode::NOT_FOUND, layout::not_found(site_name)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response
}
