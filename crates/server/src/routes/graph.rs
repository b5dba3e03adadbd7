//! The reader's graph and link previews: `/_graph.json` (the link graph the graph script
//! draws) and `/_preview?path=…&anchor=…` (what a hovered link shows of its target).
//!
//! Both answer what the reader may see: everyone gets the revision's own documents (the
//! anonymous site: listed pages only); a logged-in reader who may read more gets their view's.

use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::blob::{Caching, Delivery, serve_blob, serve_precompressed};
use super::site::reader_view;
use crate::ApiError;
use crate::state::AppState;

const JSON: &str = "application/json";

/// `/_graph.json`: the revision's stored graph document, or the reader's view's.
#[tracing::instrument(level = "debug", skip_all)]
pub(super) async fn graph(State(app): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let live = app.site.live();
    let (method, headers) = (request.method(), request.headers());
    if let Some(view) = reader_view(&app, &live, headers).await {
        if !view.site.info().presentation.show_graph {
            return Err(ApiError::RouteNotFound);
        }
        let route = vps_site::GRAPH_JSON_ROUTE;
        let file = match live.views.cached(&view, route) {
            Some(file) => file,
            None => live.views.keep(&view, route, view.site.graph_json(live.graph_max_nodes)),
        };
        let mut response = serve_precompressed(&file, JSON, Caching::Private, StatusCode::OK, method, headers);
        super::login::private(response.headers_mut());
        return Ok(response);
    }
    let document = live.generated.get(vps_site::GRAPH_JSON_ROUTE).ok_or(ApiError::RouteNotFound)?;
    let delivery = Delivery::new(JSON, Caching::Revalidate);
    serve_blob(&app, &live, &document.blob, &delivery, method, headers).await
}

#[derive(Deserialize)]
pub(super) struct PreviewQuery {
    /// The linked page's path from the site's root, percent-encoded as links write it.
    #[serde(default)]
    path: String,
    /// The linked heading's id, if the link names one.
    #[serde(default)]
    anchor: Option<String>,
}

/// `/_preview?path=/guides/start&anchor=install`: `{"title","heading"?,"text"}` of a listed
/// page the reader may see; 404 (`route-not-found`) for anything else.
#[tracing::instrument(level = "debug", skip_all)]
pub(super) async fn preview(
    State(app): State<AppState>,
    Query(query): Query<PreviewQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    // Bounded: a path or anchor longer than any route is no page's.
    if query.path.len() > 4096 || query.anchor.as_ref().is_some_and(|anchor| anchor.len() > 1024) {
        return Err(ApiError::RouteNotFound);
    }
    let live = app.site.live();
    let view = reader_view(&app, &live, &headers).await;
    let site = match (&view, &live.site) {
        (Some(view), _) => &view.site,
        (None, Some(site)) => site,
        (None, None) => return Err(ApiError::RouteNotFound),
    };
    let route = vps_core::slug::decode_route(&query.path);
    let anchor = query.anchor.as_deref().map(vps_core::slug::decode_route);
    let anchor = anchor.as_deref().map(|anchor| anchor.trim_start_matches('/'));
    let preview = site.preview(&route, anchor).ok_or(ApiError::RouteNotFound)?;
    let mut response = vps_site::Site::preview_json(&preview).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if view.is_some() {
        super::login::private(headers);
    }
    Ok(response)
}
