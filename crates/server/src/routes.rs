//! The HTTP surface: which path goes to which handler, and what guards it.

mod blob;
mod check;
mod envelope;
mod finish;
mod graph;
mod json;
mod legacy_assets;
mod login;
mod maintenance;
mod meta;
mod notes;
mod prefix;
mod request_log;
mod session;
mod site;
mod upload;
mod variant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use std::sync::atomic::Ordering;
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use vps_core::SessionId;

use crate::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;

/// The routes, with the state the accept loop needs (settings, connection gauges). Every
/// handler reads its body through `crate::body` (limits and timeouts); none collects one itself.
pub(crate) fn router(state: AppState) -> crate::serve::Routes {
    let api = Router::new()
        .route("/ping", get(meta::ping))
        .route("/session/start", post(session::start))
        .route("/session/{id}/abort", post(session::abort))
        .route("/session/{id}/notes/upload", post(notes::upload))
        .route("/session/{id}/finish", post(finish::finish))
        .route("/session/{id}/status", get(finish::status))
        .route("/maintenance/cleanup", post(maintenance::cleanup))
        .route("/session/{id}/assets/check", post(check::check))
        .route("/session/{id}/assets/upload", post(upload::upload))
        .fallback(api_not_found)
        .route_layer(middleware::from_fn_with_state(state.clone(), require_api_key))
        .route_layer(middleware::from_fn_with_state(state.clone(), limit_active_requests));

    // Answers made per request (health, metrics, search, the API's JSON): compressed as the
    // client accepts, counted. Never images or event streams.
    let dynamic = Router::new()
        .route("/health", get(meta::health))
        .route("/public-config", get(meta::public_config))
        .route("/metrics", get(meta::metrics))
        .route("/search", get(site::search))
        .route("/_preview", get(graph::preview))
        .route("/_login", get(login::login_page).post(login::login))
        .route("/_logout", axum::routing::post(login::logout))
        .route("/events/session/{id}/finalization", get(finish::events))
        .nest("/api", api)
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new()))
        .layer(middleware::from_fn_with_state(state.clone(), count_compressions));
    // What is stored (pages, documents, assets, blobs) or built into the binary (`/_site/`): its
    // variants are made once, at publish time or at first use, and only chosen here
    // (`blob::serve_blob`); nothing is compressed per request.
    let stored = Router::new()
        .route("/_blob/{hash}", get(blob::get_blob))
        .route("/_img/{hash}/{file}", get(variant::get_variant))
        .route("/assets/{*path}", get(site::asset))
        .route("/publish.css", get(site::publish_css))
        .route("/_site/{name}", get(site::static_file))
        .route("/favicon.svg", get(site::favicon))
        .route("/_graph.json", get(graph::graph))
        .fallback(site::page);
    let router = dynamic.merge(stored).layer(request_log::RequestLog).with_state(state.clone());
    let router = prefix::under_prefix(router, state.site.address().base.prefix());
    crate::serve::Routes { router, state }
}

/// Counts the answers compressed at request time (`vps_request_compressions_total`): only the
/// dynamic routes can be; the count staying put across page views proves stored ones never are.
async fn count_compressions(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        Metrics::add(&app.metrics.request_compressions, 1);
    }
    response
}

/// Every `/api` call carries `x-api-key`: missing → 401, wrong → 403.
async fn require_api_key(
    State(app): State<AppState>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = headers.get("x-api-key").ok_or(ApiError::MissingApiKey)?;
    let presented = presented.to_str().map_err(|_| ApiError::InvalidApiKey)?;
    if !app.api_key.matches(presented) {
        return Err(ApiError::InvalidApiKey);
    }
    Ok(next.run(request).await)
}

async fn api_not_found() -> ApiError {
    ApiError::RouteNotFound
}

/// Past `MAX_ACTIVE_REQUESTS` API calls in flight, answer 429 with a delay the plugin honours.
/// `ping` is exempt: the plugin does not retry it.
async fn limit_active_requests(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if request.uri().path().ends_with("/ping") {
        return Ok(next.run(request).await);
    }
    let active = app.active_requests.fetch_add(1, Ordering::SeqCst) + 1;
    let _release = scopeguard(&app);
    if active > app.settings.http.max_active_requests {
        return Err(ApiError::Overloaded { retry_after_secs: 5 });
    }
    Ok(next.run(request).await)
}

/// Decrements the in-flight count when the request ends, however it ends.
fn scopeguard(app: &AppState) -> impl Drop + '_ {
    struct Release<'a>(&'a AppState);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            self.0.active_requests.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Release(app)
}

fn parse_session_id(raw: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(raw).map_err(|_| ApiError::InvalidSessionId(raw.chars().take(64).collect()))
}

#[cfg(test)]
mod tests {
    /// The quoted paths in `source` right after each of `calls` (`.route("`…).
    fn quoted_after<'a>(source: &'a str, calls: &[&str]) -> Vec<&'a str> {
        let mut paths = Vec::new();
        for call in calls {
            for (at, _) in source.match_indices(call) {
                let rest = &source[at + call.len()..];
                paths.extend(rest.find('"').map(|end| &rest[..end]));
            }
        }
        paths
    }

    /// No page can take a path the server answers itself: every path of the router (read from
    /// this file, so that a new route cannot be forgotten; the routes nested under `/api` are
    /// covered by `/api`) and every document made at load (`ServedDocuments::at`) is reserved
    /// by `vps_core::permalink`, the list permalinks are checked against.
    #[test]
    fn every_path_the_server_answers_is_reserved_for_it() {
        let source = include_str!("routes.rs");
        let start = source.find("let dynamic = Router::new()").expect("the site's routes");
        let end = source.find("let router = dynamic.merge(stored)").expect("their end");
        let paths = quoted_after(&source[start..end], &[".route(\"", ".nest(\""]);
        assert!(paths.contains(&"/api") && paths.contains(&"/_blob/{hash}"), "{paths:?}");
        assert!(paths.len() >= 12, "{paths:?}");
        let site = include_str!("site.rs");
        let at = site.find("pub(crate) fn at(&self, route: &str)").expect("the documents made at load");
        let documents = quoted_after(&site[at..at + site[at..].find("_ => None").unwrap()], &["\""]);
        let documents: Vec<&str> = documents.into_iter().filter(|path| path.starts_with('/')).collect();
        assert_eq!(documents, ["/sitemap.xml", "/robots.txt", "/feed.xml"]);
        for path in paths.into_iter().chain(documents) {
            let route = path.split('/').map(|segment| if segment.starts_with('{') { "x" } else { segment });
            let route = route.collect::<Vec<_>>().join("/");
            assert!(vps_core::permalink::is_reserved(&route), "{path} is served but not reserved");
        }
    }
}
