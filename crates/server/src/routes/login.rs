//! Readers' login and logout, without JavaScript: `GET /_login` (the form), `POST /_login`,
//! `POST /_logout`. Only with an `[access]` table; without one these routes are 404.
//!
//! - **CSRF**: the form carries a random value that must equal its `vps_csrf` cookie
//!   (`SameSite=Strict`, `HttpOnly`): another site can neither read it nor make a browser send it,
//!   so it cannot log a reader in (or out) behind their back. Compared in constant time.
//! - **Limits**: failed logins per client address and for the whole server (429 with
//!   `Retry-After`, checked before any password is looked at); a password over
//!   `MAX_PASSWORD_BYTES` fails without hashing; the form body is capped at [`MAX_FORM_BYTES`];
//!   at most a few Argon2id checks run at once, on the blocking pool.
//! - **Where to after**: `next` is a path of this site only (`/work/plan`); anything else (`//evil`,
//!   `https://evil`, `/\evil`) goes to the home page — [`super::site::local_location`] makes it.
//! - Nothing secret is logged: the reader's name on success, the client address on failure.

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::site::{PAGE_CSP, local_location};
use crate::ApiError;
use crate::access::{Access, CSRF_COOKIE, SESSION_COOKIE, SHARE_COOKIE, Visitor, client_address, cookie};
use crate::metrics::Metrics;
use crate::serve::Peer;
use crate::state::AppState;

/// The largest login or logout form body accepted (a name, a password of at most
/// `MAX_PASSWORD_BYTES`, the CSRF value and `next`, form-encoded).
pub(crate) const MAX_FORM_BYTES: usize = 16 * 1024;
/// How much of a form body over [`MAX_FORM_BYTES`] is read and dropped before answering 413.
const MAX_DRAINED_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize, Default)]
pub(super) struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `GET /_login?next=/work/plan`: the form (or, when logged in, who you are and a logout button).
pub(super) async fn login_page(
    State(app): State<AppState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let access = app.access.as_ref().ok_or(ApiError::RouteNotFound)?;
    let visitor = access.visitor(&headers, None);
    let next = query.next.as_deref().unwrap_or("/");
    Ok(login_response(&app, access, &visitor, "/_login", next, None, StatusCode::OK))
}

/// The login page as the answer to a page the visitor may not read: 401, `noindex`, with the
/// page's path as `next`.
pub(crate) fn login_required(app: &AppState, headers: &HeaderMap, route: &str) -> Response {
    Metrics::add(&app.metrics.access_denied, 1);
    match &app.access {
        Some(access) => {
            let visitor = access.visitor(headers, None);
            let message = if visitor.reader.is_some() {
                "You are logged in, but this page is not for your account. Log in as a reader who may see it."
            } else {
                "This page is for its readers only. Log in to see it."
            };
            login_response(app, access, &visitor, route, route, Some(message), StatusCode::UNAUTHORIZED)
        }
        // A revision with protected pages served without an `[access]` table: nobody can log in.
        None => {
            let mut response = (StatusCode::UNAUTHORIZED, "This page is for its readers only.").into_response();
            private(response.headers_mut());
            response
        }
    }
}

/// `POST /_login`.
pub(super) async fn login(State(app): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let access = app.access.clone().ok_or(ApiError::RouteNotFound)?;
    let peer = request.extensions().get::<Peer>().map(|peer| peer.0);
    let address = client_address(peer, request.headers());
    if let Err(retry) = access.check_limit(address) {
        Metrics::add(&app.metrics.login_rate_limited, 1);
        tracing::warn!(client = %address, global = retry.global, "login refused: too many failed logins");
        return Err(ApiError::LoginRateLimited { retry_after_secs: retry.seconds });
    }
    let headers = request.headers().clone();
    let form: LoginForm = read_form(request.into_body()).await?;
    check_csrf(&headers, &form.csrf)?;
    let Ok(_permit) = access.logins.try_acquire() else {
        Metrics::add(&app.metrics.login_rate_limited, 1);
        return Err(ApiError::LoginRateLimited { retry_after_secs: 1 });
    };
    let LoginForm { name, password, next, .. } = form;
    let checker = access.clone();
    let name_for_check = name.clone();
    let found = tokio::task::spawn_blocking(move || {
        checker.config.authenticate(name_for_check.trim(), &password).map(|reader| reader.name().to_owned())
    })
    .await
    .map_err(|error| ApiError::Internal(format!("the password check stopped: {error}")))?;
    let reader = found.and_then(|name| access.config.reader(&name));
    let Some(reader) = reader else {
        access.record_failure(address);
        Metrics::add(&app.metrics.login_failures, 1);
        tracing::info!(client = %address, "failed login");
        let visitor = access.visitor(&headers, None);
        let message = "Wrong name or password.";
        return Ok(login_response(&app, &access, &visitor, "/_login", &next, Some(message), StatusCode::UNAUTHORIZED));
    };
    access.record_success(address);
    Metrics::add(&app.metrics.logins, 1);
    tracing::info!(reader = reader.name(), "reader logged in");
    let mut response = see_other(&app, &next);
    let cookies = response.headers_mut();
    if let Some(session) = access.session_cookie(reader) {
        cookies.append(header::SET_COOKIE, session);
    }
    Ok(response)
}

/// `POST /_logout`: forgets the session and any share link, back to the home page.
pub(super) async fn logout(State(app): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let access = app.access.clone().ok_or(ApiError::RouteNotFound)?;
    let headers = request.headers().clone();
    let form: LogoutForm = read_form(request.into_body()).await?;
    check_csrf(&headers, &form.csrf)?;
    Metrics::add(&app.metrics.logouts, 1);
    let mut response = see_other(&app, "/");
    for name in [SESSION_COOKIE, SHARE_COOKIE] {
        if let Some(clear) = access.clear_cookie(name) {
            response.headers_mut().append(header::SET_COOKIE, clear);
        }
    }
    Ok(response)
}

/// The form body, at most [`MAX_FORM_BYTES`]. A larger one is read on (and dropped) up to
/// [`MAX_DRAINED_BYTES`] so that the client, still sending, gets its 413 rather than a broken
/// connection; past that the connection is closed.
async fn read_form<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(data) = stream.next().await {
        let data = data.map_err(|error| ApiError::BodyRead(error.to_string()))?;
        seen += data.len();
        if seen <= MAX_FORM_BYTES {
            bytes.extend_from_slice(&data);
        } else if seen > MAX_DRAINED_BYTES {
            break;
        }
    }
    if seen > MAX_FORM_BYTES {
        return Err(ApiError::RequestTooLarge { limit: MAX_FORM_BYTES as u64 });
    }
    serde_urlencoded::from_bytes(&bytes).map_err(|error| ApiError::LoginInvalid(error.to_string()))
}

fn check_csrf(headers: &HeaderMap, sent: &str) -> Result<(), ApiError> {
    match cookie(headers, CSRF_COOKIE) {
        Some(expected) if !sent.is_empty() && vps_access::constant_time_eq(expected.as_bytes(), sent.as_bytes()) => {
            Ok(())
        }
        _ => Err(ApiError::LoginCsrfFailed),
    }
}

/// A 303 to `next` when it is a path of this site, else to the home page.
fn see_other(app: &AppState, next: &str) -> Response {
    let prefix = app.site.address().base.prefix();
    let local = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    let location = local_location(prefix, if local { next } else { "/" });
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).expect("encoded"));
    private(response.headers_mut());
    response
}

/// `Cache-Control: private, no-store` and `Vary: Cookie`: what every answer that depends on who
/// asks carries.
pub(crate) fn private(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.append(header::VARY, HeaderValue::from_static("cookie"));
}

/// The login page: the form (with a fresh CSRF value and its cookie) or, for a logged-in reader,
/// their name and a logout button; `message` above it.
fn login_response(
    app: &AppState,
    access: &Access,
    visitor: &Visitor,
    served_at: &str,
    next: &str,
    message: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut csrf_bytes = [0u8; 18];
    let csrf = match getrandom::fill(&mut csrf_bytes) {
        Ok(()) => csrf_bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>(),
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "no randomness available").into_response(),
    };
    let page = crate::login_page::render(&crate::login_page::LoginPage {
        site_name: &app.settings.site.site_name,
        reader: visitor.reader.as_ref().map(|(name, _)| name.as_str()),
        served_at,
        next,
        csrf: &csrf,
        message,
    });
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    private(headers);
    if let Some(cookie) = access.csrf_cookie(&csrf) {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}
