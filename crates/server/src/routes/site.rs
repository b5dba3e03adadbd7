//! The reader's side: pages, generated documents, assets and search of the live revision.
//! Nothing else is ever served here: sessions, staging and temp files have no URL.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::blob::{Caching, Delivery, serve_blob, serve_precompressed};
use super::login::login_required;
use crate::ApiError;
use crate::access::Visitor;
use crate::encoding::Precompressed;
use crate::site::{Live, PAGE_CONTENT_TYPE, Public, ServedDocument};
use crate::state::AppState;
use crate::views::{Allowed, Listing};
use std::sync::Arc;

/// Pages are HTML of our own making: only our own script and styles may run. Every HTML
/// response of the site gets it (see `blob::content_security_policy`), whatever its URL.
pub(crate) const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data: https:; media-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";
const HTML: &str = PAGE_CONTENT_TYPE;

/// `/assets/<vault path>`: an asset of the live revision, by its path (decoded already),
/// compared in NFC: a file uploaded under its NFD name is found by its NFC spelling too.
#[tracing::instrument(level = "debug", skip_all)]
pub(super) async fn asset(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::BlobNotFound(raw.chars().take(200).collect());
    let live = app.site.live();
    let asset = live.asset_by_path(&raw).ok_or_else(not_found)?;
    let caching = match blob_access(&app, &live, &asset.sha256, &request) {
        Allowed::Public => Caching::Revalidate,
        Allowed::Private => Caching::Private,
        Allowed::Denied => return Err(not_found()),
    };
    let media_type = Public::Asset { media_type: asset.media_type.clone() }.content_type();
    let delivery = Delivery::new(media_type, caching).with_ranges().with_size(asset.size);
    serve_blob(&app, &live, &asset.sha256, &delivery, request.method(), request.headers()).await
}

/// `/publish.css`: the vault's own stylesheet, when published.
#[tracing::instrument(level = "debug", skip_all)]
pub(super) async fn publish_css(State(app): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let live = app.site.live();
    let css =
        live.assets.get(&crate::finalize::publish_css()).ok_or_else(|| ApiError::BlobNotFound("publish.css".into()))?;
    let delivery = Delivery::new("text/css; charset=utf-8", Caching::Immutable).with_size(css.size);
    serve_blob(&app, &live, &css.sha256, &delivery, request.method(), request.headers()).await
}

/// `/_site/<file>`: the site's own stylesheet and script, at URLs named by their hash, with
/// their gzip and br variants made once, at first use (never per request).
#[tracing::instrument(level = "debug", skip_all)]
pub(super) async fn static_file(Path(name): Path<String>, request: Request) -> Response {
    type Files = std::collections::HashMap<&'static str, (Precompressed, &'static str)>;
    static FILES: LazyLock<Files> = LazyLock::new(|| {
        let files = vps_site::static_files().into_iter();
        files.map(|(href, content, media_type)| (href, (Precompressed::new(content.as_bytes()), media_type))).collect()
    });
    let path = format!("/_site/{name}");
    let file = FILES.get(path.as_str()).map(|(file, content_type)| (file, *content_type));
    match file {
        Some((file, content_type)) => serve_precompressed(
            file,
            content_type,
            Caching::Immutable,
            StatusCode::OK,
            request.method(),
            request.headers(),
        ),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn favicon() -> Response {
    let mut response = vps_site::FAVICON_SVG.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}

#[derive(Deserialize)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    format: Option<String>,
}

/// `/search?q=…`: results over titles, headings and text; `&format=json` for the small script.
#[tracing::instrument(skip_all, fields(query_len = query.q.len(), format = query.format.as_deref().unwrap_or("html")))]
pub(super) async fn search(
    State(app): State<AppState>,
    Query(query): Query<SearchQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let live = app.site.live();
    // A logged-in reader searches what they may read (their view); everyone else what is public.
    let view = reader_view(&app, &live, &headers).await;
    let site = match (&view, &live.site) {
        (Some(view), _) => &view.site,
        (None, Some(site)) => site,
        (None, None) => return (StatusCode::NOT_FOUND, "nothing is published yet").into_response(),
    };
    let hits = site.search(query.q.trim(), 30);
    let (body, content_type) = match query.format.as_deref() {
        Some("json") => (vps_site::Site::search_json(&hits), "application/json"),
        _ => (site.search_page(query.q.trim(), &hits), HTML),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    if view.is_some() {
        super::login::private(headers);
    }
    response
}

/// Every other GET: a page or generated document of the live revision, a redirect to where a
/// page moved, or the 404 page.
///
/// A page view borrows what it reads from the request (no copy of its headers) and allocates
/// nothing to find the page: see [`route_of`].
#[tracing::instrument(level = "debug", skip_all)]
pub(super) async fn page(State(app): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        return Err(ApiError::RouteNotFound);
    }
    let live = app.site.live();
    let prefix = || app.site.address().base.prefix();
    let path = route_of(request.uri().path());
    let trimmed = if path.len() > 1 { path.trim_end_matches('/') } else { &*path };
    if trimmed != path {
        return Ok(redirect(prefix(), trimmed)); // one URL per page: no trailing slash (and `//host/` stays here)
    }
    if let Some(document) = live.documents.at(trimmed) {
        return Ok(serve_document(document, StatusCode::OK, &request));
    }
    let route = match trimmed {
        "/" => live.home.as_deref().unwrap_or("/"),
        route => route,
    };
    // The home page's links are written for `/`: a home note inside a folder is not served at
    // its own route too.
    if trimmed != "/" && live.home.as_deref() == Some(trimmed) && trimmed.rfind('/').is_some_and(|slash| slash > 0) {
        return Ok(redirect(prefix(), "/"));
    }
    // Only a revision that protects something looks at who is asking.
    if !live.gate.is_open()
        && let Some(response) =
            gated(&app, &live, request.method(), request.headers(), request.uri().query(), trimmed, route).await?
    {
        return Ok(response);
    }
    if let Some(page) = live.pages.get(route) {
        let delivery = Delivery::new(HTML, Caching::Revalidate);
        return serve_blob(&app, &live, &page.html_blob, &delivery, request.method(), request.headers()).await;
    }
    if let Some(document) = live.generated.get(route) {
        let delivery = Delivery::new(document.content_type.as_str(), Caching::Revalidate);
        return serve_blob(&app, &live, &document.blob, &delivery, request.method(), request.headers()).await;
    }
    if let Some(target) = live.redirects.get(trimmed) {
        return Ok(redirect(prefix(), target));
    }
    if let Some(canonical) = other_tag_spelling(trimmed, &|route| live.generated.contains_key(route)) {
        return Ok(redirect(prefix(), &canonical));
    }
    // `<folder>/index` notes are shown inside their folder's page.
    if let Some(folder) = trimmed.strip_suffix("/index") {
        let folder = if folder.is_empty() { "/" } else { folder };
        if folder == "/" || live.generated.contains_key(folder) {
            return Ok(redirect(prefix(), folder));
        }
    }
    match &live.documents.not_found {
        Some(document) => Ok(serve_document(document, StatusCode::NOT_FOUND, &request)),
        None => {
            let mut response = (
                StatusCode::NOT_FOUND,
                "<!doctype html><title>Not found</title><p>There is no page at this address.</p>",
            )
                .into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
            Ok(response)
        }
    }
}

/// The view of a logged-in reader who may read more than everyone, for the documents made per
/// request (search, link previews, the graph); `None` for everyone else, who get the anonymous
/// site.
pub(super) async fn reader_view(
    app: &AppState,
    live: &Arc<Live>,
    headers: &axum::http::HeaderMap,
) -> Option<Arc<crate::views::View>> {
    match &app.access {
        Some(access) if !live.gate.is_open() => {
            let visitor = access.visitor(headers, None);
            live.views.view(&live.gate, live, visitor.groups()).await
        }
        _ => None,
    }
}

/// Who is asking, for a revision that protects something (anonymous without `[access]`).
fn visitor_of(app: &AppState, headers: &axum::http::HeaderMap, query: Option<&str>) -> Visitor {
    app.access.as_ref().map(|access| access.visitor(headers, query)).unwrap_or_default()
}

/// Whether the visitor of `request` may have the blob `hash` of `live`.
pub(super) fn blob_access(app: &AppState, live: &Live, hash: &vps_core::ContentHash, request: &Request) -> Allowed {
    if live.gate.is_open() {
        return Allowed::Public;
    }
    live.gate.blob(&live.revision, hash, &visitor_of(app, request.headers(), request.uri().query()))
}

/// A page or listing of a revision that protects something, as the visitor may see it: the
/// login page (401) for a protected page, folder or moved page they may not read; their view
/// (`private, no-store`) when they may read more than everyone; the stored page, privately,
/// for a share link's page. `None`: what everyone gets (the stored documents).
async fn gated(
    app: &AppState,
    live: &Arc<Live>,
    method: &Method,
    headers: &axum::http::HeaderMap,
    query: Option<&str>,
    trimmed: &str,
    route: &str,
) -> Result<Option<Response>, ApiError> {
    let visitor = visitor_of(app, headers, query);
    let view = match visitor.groups() {
        Some(groups) => live.views.view(&live.gate, live, Some(groups)).await,
        None => None,
    };
    if let Some(page) = live.pages.get(route) {
        let protected = !page.audience.is_public();
        if protected && !visitor.may_read(route, &page.audience) {
            return Ok(Some(login_required(app, headers, trimmed)));
        }
        let file = match (&view, &page.made_from) {
            (Some(view), Some(made_from)) if view.site.page_info(route).is_some() => {
                match live.views.cached(view, route) {
                    Some(file) => Some(file),
                    None => {
                        let content = read_text(app, &made_from.content).await?;
                        view.site.page(route, &content).map(|html| live.views.keep(view, route, html))
                    }
                }
            }
            _ => None,
        };
        let mut response = match file {
            Some(file) => serve_precompressed(&file, HTML, Caching::Private, StatusCode::OK, method, headers),
            None if protected => {
                let delivery = Delivery::new(HTML, Caching::Private);
                serve_blob(app, live, &page.html_blob, &delivery, method, headers).await?
            }
            None => return Ok(None),
        };
        if let Some(cookie) = app.access.as_ref().and_then(|access| access.share_cookie(&visitor)) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        return Ok(Some(response));
    }
    // A listing laid out already is served without looking it up in the view again.
    if let Some(view) = &view
        && let Some(file) = live.views.cached(view, route)
    {
        return Ok(Some(serve_precompressed(&file, HTML, Caching::Private, StatusCode::OK, method, headers)));
    }
    if let Some(view) = &view
        && let Some(listing) = view.listing(route)
    {
        let html = match listing {
            Listing::Folder { folder, number, intro } => {
                let intro = match intro.as_deref().and_then(|intro| live.pages.get(intro)?.made_from.as_ref()) {
                    Some(made_from) => Some(read_text(app, &made_from.content).await?),
                    None => None,
                };
                view.site.folder_index_page(&folder, intro.as_deref(), number)
            }
            Listing::Tag { tag, number } => view.site.tag_page_number(&tag, number),
            Listing::TagsIndex => Some(view.site.tags_index()),
            Listing::Graph => Some(view.site.graph_page()),
            Listing::Recent => Some(view.site.recent_page()),
        };
        let file = html.map(|html| live.views.keep(view, route, html));
        if let Some(file) = file {
            let response = serve_precompressed(&file, HTML, Caching::Private, StatusCode::OK, method, headers);
            return Ok(Some(response));
        }
    }
    // A moved protected page: its new address is for its readers only.
    if let Some(target) = live.redirects.get(trimmed)
        && let Some(page) = live.pages.get(target)
        && !visitor.may_read(target, &page.audience)
    {
        return Ok(Some(login_required(app, headers, trimmed)));
    }
    if !live.generated.contains_key(route) && live.gate.is_protected_folder(trimmed) {
        return Ok(Some(login_required(app, headers, trimmed)));
    }
    Ok(None)
}

/// A stored UTF-8 text blob (a page's content HTML), whole.
async fn read_text(app: &AppState, hash: &vps_core::ContentHash) -> Result<String, ApiError> {
    let bytes = app
        .store
        .read_bytes(hash)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("content blob {hash} is missing")))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::Internal(format!("content blob {hash} is not UTF-8")))
}

/// The route a request path names: [`vps_core::slug::decode_route`] (percent-decoded, NFC). A
/// path of ASCII without `%` — what nearly every request carries — decodes to itself and is
/// already in NFC, so it is borrowed as it is rather than copied twice.
fn route_of(path: &str) -> Cow<'_, str> {
    if path.is_ascii() && !path.contains('%') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(vps_core::slug::decode_route(path))
    }
}

/// A document made when the revision was loaded (sitemap, robots.txt, feed, 404 page), with
/// its variants made then too: served like a stored blob (its ETag per coding, 304 by it).
fn serve_document(document: &ServedDocument, status: StatusCode, request: &Request) -> Response {
    let (method, headers) = (request.method(), request.headers());
    serve_precompressed(&document.file, document.content_type, Caching::Revalidate, status, method, headers)
}

/// `/tags/Tag`, `/tags/TAG`…: another spelling of a tag whose page exists, the route of that
/// page ([`vps_core::slug::tag_href`]; pagination after the tag follows along).
fn other_tag_spelling(route: &str, exists: &dyn Fn(&str) -> bool) -> Option<String> {
    let tag = route.strip_prefix("/tags/")?;
    let canonical = vps_core::slug::tag_route(tag);
    (canonical != route && exists(&canonical)).then_some(canonical)
}

/// A 301 to `target`, a path of the site, through [`local_location`].
pub(crate) fn redirect(prefix: &str, target: &str) -> Response {
    let location = local_location(prefix, target);
    let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).expect("encoded"));
    response
}

/// The `Location` of every redirect the site makes: a path on this site, whatever `path` holds,
/// under the `BASE_URL` path prefix (`prefix`, already encoded: `/notes`, or empty; the root is
/// `/notes/`). The path is `/` followed by neither `/` nor `\` — a browser reads `//host` and
/// `/\host` as another host — so leading slashes and backslashes go, runs of slashes become
/// one, and the rest is percent-encoded (a `\` inside a route stays, as `%5C`; control
/// characters cannot reach the header).
pub(crate) fn local_location(prefix: &str, path: &str) -> String {
    let segments: Vec<&str> =
        path.trim_start_matches(['/', '\\']).split('/').filter(|segment| !segment.is_empty()).collect();
    format!("{prefix}{}", vps_core::url::encode_path(&format!("/{}", segments.join("/"))))
}

#[cfg(test)]
mod tests {
    use super::{local_location, other_tag_spelling, route_of};

    #[test]
    fn other_spellings_of_a_tag_point_at_its_page() {
        let pages = ["/tags/tag", "/tags/été/x", "/tags/tag/page/2"];
        let exists = |route: &str| pages.contains(&route);
        let nfd = vps_core::slug::decode_route("/tags/E\u{301}te\u{301}/X");
        assert_eq!(other_tag_spelling("/tags/Tag", &exists).as_deref(), Some("/tags/tag"));
        assert_eq!(other_tag_spelling("/tags/TAG", &exists).as_deref(), Some("/tags/tag"));
        assert_eq!(other_tag_spelling(&nfd, &exists).as_deref(), Some("/tags/été/x"));
        assert_eq!(other_tag_spelling("/tags/TAG/page/2", &exists).as_deref(), Some("/tags/tag/page/2"));
        assert_eq!(other_tag_spelling("/tags/tag", &exists), None, "the page itself");
        assert_eq!(other_tag_spelling("/tags/Missing", &exists), None, "no page: 404");
        assert_eq!(other_tag_spelling("/blog/Tag", &exists), None);
    }

    #[test]
    fn a_plain_path_is_its_own_route_and_others_are_decoded() {
        let paths = ["/", "/notes/page", "/a b", "/%C3%89t%C3%A9", "/E%CC%81te%CC%81", "/caf\u{e9}", "/100%", "/%zz"];
        for path in paths {
            assert_eq!(route_of(path), vps_core::slug::decode_route(path), "{path:?}");
        }
        assert!(matches!(route_of("/notes/page"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn every_location_is_a_path_of_this_site() {
        let table = [
            ("/notes/page", "/notes/page"),
            ("/Mon Blog/Été", "/Mon%20Blog/%C3%89t%C3%A9"),
            ("", "/"),
            ("/", "/"),
            ("//evil.example", "/evil.example"),
            ("///evil.example", "/evil.example"),
            ("/\\evil.example", "/evil.example"),
            ("\\\\evil.example", "/evil.example"),
            ("/\\/\\evil.example", "/evil.example"),
            ("evil.example", "/evil.example"),
            ("/a//b///c", "/a/b/c"),
            ("/folder\\name", "/folder%5Cname"),
            ("/\t/evil.example", "/%09/evil.example"),
            ("/\r\nSet-Cookie: x", "/%0D%0ASet-Cookie%3A%20x"),
            ("/https://evil.example", "/https%3A/evil.example"),
        ];
        for (path, expected) in table {
            let location = local_location("", path);
            assert_eq!(location, expected, "{path:?}");
            assert_eq!(local_location("/notes", path), format!("/notes{expected}"), "{path:?}");
            let second = location.as_bytes().get(1);
            assert!(location.starts_with('/') && !matches!(second, Some(b'/' | b'\\')), "{path:?}");
        }
    }
}
