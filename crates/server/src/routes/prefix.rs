//! `BASE_URL` with a path (`https://example.com/notes`): the site is served under `/notes`
//! whether the reverse proxy strips the prefix (`location /notes/ { proxy_pass http://app/; }`)
//! or passes it on (`proxy_pass http://app;`). A request path under the prefix loses it once
//! before routing; any other path is routed as it is. `/notes` alone redirects to `/notes/`,
//! where the home page's relative links resolve. Redirects the site makes carry the prefix
//! (`routes::site::local_location`).
//!
//! One consequence: with a stripping proxy, a top-level folder named like the prefix
//! (`/notes/notes/x` on the proxy, `/notes/x` here) is read as the prefix too. Name the prefix
//! after none of the vault's top-level folders.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;

/// `inner`, taking requests with or without `prefix` (percent-encoded, no trailing `/`; empty:
/// `inner` as it is).
pub(crate) fn under_prefix(inner: Router, prefix: &str) -> Router {
    if prefix.is_empty() {
        return inner;
    }
    let prefix: Arc<str> = Arc::from(prefix);
    let service = tower::Layer::layer(&middleware::from_fn_with_state(prefix, strip_prefix), inner);
    Router::new().fallback_service(service)
}

async fn strip_prefix(State(prefix): State<Arc<str>>, mut request: Request, next: Next) -> Response {
    let uri = request.uri();
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let path = uri.path();
    if path == &*prefix {
        let mut response = super::site::redirect(&prefix, "/");
        if let Some(location) = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok())
            && let Ok(with_query) = HeaderValue::from_str(&format!("{location}{query}"))
        {
            response.headers_mut().insert(header::LOCATION, with_query);
        }
        return response;
    }
    if let Some(rest) = path.strip_prefix(&*prefix).filter(|rest| rest.starts_with('/'))
        && let Ok(stripped) = format!("{rest}{query}").parse::<axum::http::uri::PathAndQuery>()
    {
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(stripped);
        if let Ok(new_uri) = Uri::from_parts(parts) {
            *request.uri_mut() = new_uri;
        }
    }
    next.run(request).await
}
