//! Who is reading: the reader's side of access control. With an `[access]` table the server
//! knows its readers ([`vps_access::AccessConfig`]); a request proves who it comes from with a
//! signed session cookie (set by the login form) or a share link's cookie, both checked here
//! ([`Access::visitor`]). What a visitor may read of the live revision is [`Visitor::may_read`]
//! of a page's [`Audience`] — the one rule, `Audience::allows` — and, for blobs and assets, the
//! revision's [`crate::site::Gate`].
//!
//! Without an `[access]` table nothing here runs on a request: every page is public, as before.
//!
//! Secrets never reach a log: not a password, a hash, a cookie's value nor the key.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use vps_access::{AccessConfig, Key, LoginLimiter, LoginLimits, SessionToken};
use vps_core::revision::Audience;

use crate::settings::Login;

/// The session cookie: a signed [`SessionToken`].
pub(crate) const SESSION_COOKIE: &str = "vps_session";
/// A share link's cookie: the signed share token of the last share link opened.
pub(crate) const SHARE_COOKIE: &str = "vps_share";
/// The login form's CSRF cookie (double submit: the form carries the same random value).
pub(crate) const CSRF_COOKIE: &str = "vps_csrf";
/// The query parameter of a share link (`/work/plan?share=<token>`).
pub(crate) const SHARE_PARAM: &str = "share";
/// At most this many logins check a password at once (each Argon2id hash takes ~19 MiB and tens
/// of milliseconds): more are answered 429 at once rather than queued.
const CONCURRENT_LOGINS: usize = 4;

/// The server's access control: the configuration, the signing key, the login limits.
pub(crate) struct Access {
    pub config: Arc<AccessConfig>,
    key: Key,
    data_dir: PathBuf,
    /// The share-link generation, re-read from the data directory at most once a second, so
    /// that `vps-publish share --revoke-all` takes effect on a running server.
    generation: Mutex<(Instant, u64)>,
    limiter: Mutex<LoginLimiter>,
    /// Password checks in progress (see [`CONCURRENT_LOGINS`]).
    pub logins: tokio::sync::Semaphore,
    /// Cookies get `Secure` when `BASE_URL` is https.
    secure: bool,
    /// Cookies are for the site's path (`/` or `/notes/`).
    cookie_path: String,
}

/// Who a request comes from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Visitor {
    /// The logged-in reader (name and groups), if the session cookie is valid.
    pub reader: Option<(String, BTreeSet<String>)>,
    /// The route a valid share link opens, if the request carries one.
    pub share: Option<String>,
    /// When that share link expires (Unix seconds).
    pub share_expires_s: u64,
    /// The share link came with this request's query (`?share=`), not from its cookie: the
    /// answer sets the cookie, so that the images of the page load too.
    pub share_token_from_query: Option<String>,
}

impl Visitor {
    /// The reader's groups, `None` when not logged in (what [`Audience::allows`] takes).
    pub(crate) fn groups(&self) -> Option<&BTreeSet<String>> {
        self.reader.as_ref().map(|(_, groups)| groups)
    }

    /// Whether the visitor may read the page at `route` with `audience`: its readers, or a share
    /// link for exactly that page.
    pub(crate) fn may_read(&self, route: &str, audience: &Audience) -> bool {
        audience.allows(self.groups()) || self.share.as_deref() == Some(route)
    }
}

impl Access {
    /// The access control of `config`, its key in `data_dir` (made on first start, 0600).
    pub(crate) fn new(
        config: Arc<AccessConfig>,
        data_dir: PathBuf,
        login: &Login,
        base: &vps_site::PublicBase,
    ) -> Result<Self, vps_access::AccessError> {
        let key = Key::load_or_create(&data_dir)?;
        let generation = vps_access::share_generation(&data_dir)?;
        let limits = LoginLimits {
            per_address: login.login_failures_per_address as u32,
            per_address_window: Duration::from_secs(login.login_failure_window_secs as u64),
            global: login.login_failures_global as u32,
            global_window: Duration::from_secs(login.login_global_window_secs as u64),
        };
        let secure = base.origin().is_some_and(|origin| origin.starts_with("https://"));
        Ok(Access {
            config,
            key,
            data_dir,
            generation: Mutex::new((Instant::now(), generation)),
            limiter: Mutex::new(LoginLimiter::with_limits(Instant::now(), limits)),
            logins: tokio::sync::Semaphore::new(CONCURRENT_LOGINS),
            secure,
            cookie_path: format!("{}/", base.prefix()),
        })
    }

    /// Who `headers` say the request comes from: the session cookie checked (signature, expiry,
    /// the reader still configured with the same password and groups), and the share link of
    /// the query (`share=`) or, else, of the share cookie. Anything invalid counts as absent.
    pub(crate) fn visitor(&self, headers: &HeaderMap, query: Option<&str>) -> Visitor {
        let now = unix_now();
        let reader = cookie(headers, SESSION_COOKIE).and_then(|token| self.reader_of(token, now));
        let from_query = query.and_then(share_param);
        let token = from_query.clone().or_else(|| cookie(headers, SHARE_COOKIE).map(str::to_owned));
        let shared = token.and_then(|token| self.key.verify_share(&token, now, self.share_generation()).ok());
        let share_expires_s = shared.as_ref().map_or(0, |share| share.expires_at_s);
        let share = shared.map(|share| share.route);
        let share_token_from_query = if share.is_some() { from_query } else { None };
        Visitor { reader, share, share_expires_s, share_token_from_query }
    }

    fn reader_of(&self, token: &str, now: u64) -> Option<(String, BTreeSet<String>)> {
        let session = self.key.verify_session(token, now).ok()?;
        let reader = self.config.reader(&session.reader)?;
        (reader.session_version() == session.groups_version)
            .then(|| (reader.name().to_owned(), reader.groups().clone()))
    }

    fn share_generation(&self) -> u64 {
        let mut cached = self.generation.lock().expect("generation lock");
        if cached.0.elapsed() >= Duration::from_secs(1) {
            match vps_access::share_generation(&self.data_dir) {
                Ok(generation) => *cached = (Instant::now(), generation),
                // Unreadable: no share link is valid until it is readable again.
                Err(error) => {
                    tracing::error!(%error, "the share-link generation cannot be read; share links are refused");
                    *cached = (Instant::now(), u64::MAX);
                }
            }
        }
        cached.1
    }

    /// `Err` when `address` (or the whole server) has used up its failed logins.
    pub(crate) fn check_limit(&self, address: IpAddr) -> Result<(), vps_access::RetryAfter> {
        self.limiter.lock().expect("limiter lock").check(address, Instant::now())
    }

    pub(crate) fn record_failure(&self, address: IpAddr) {
        self.limiter.lock().expect("limiter lock").record_failure(address, Instant::now());
    }

    pub(crate) fn record_success(&self, address: IpAddr) {
        self.limiter.lock().expect("limiter lock").record_success(address);
    }

    /// The session cookie for `reader`, valid for the configured session length.
    pub(crate) fn session_cookie(&self, reader: &vps_access::Reader) -> Option<HeaderValue> {
        let max_age = u64::from(self.config.session_hours) * 3600;
        let token = SessionToken {
            reader: reader.name().to_owned(),
            groups_version: reader.session_version(),
            expires_at_s: unix_now() + max_age,
        };
        let value = self.key.sign_session(&token).ok()?;
        self.cookie(SESSION_COOKIE, &value, max_age, "Lax")
    }

    /// The share cookie of a visitor who opened a share link, until the link expires.
    pub(crate) fn share_cookie(&self, visitor: &Visitor) -> Option<HeaderValue> {
        let token = visitor.share_token_from_query.as_deref()?;
        self.cookie(SHARE_COOKIE, token, visitor.share_expires_s.saturating_sub(unix_now()), "Lax")
    }

    /// A cookie that removes `name`.
    pub(crate) fn clear_cookie(&self, name: &str) -> Option<HeaderValue> {
        self.cookie(name, "", 0, "Lax")
    }

    /// The login form's CSRF cookie with `value`: `SameSite=Strict`, so no other site's form
    /// sends it.
    pub(crate) fn csrf_cookie(&self, value: &str) -> Option<HeaderValue> {
        self.cookie(CSRF_COOKIE, value, 3600, "Strict")
    }

    fn cookie(&self, name: &str, value: &str, max_age: u64, same_site: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        let path = &self.cookie_path;
        HeaderValue::from_str(&format!(
            "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"
        ))
        .ok()
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|line| {
        line.split(';').find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then_some(value)
        })
    })
}

/// The `share` parameter of a query string (tokens are URL-safe base64 and `.`: no decoding).
pub(crate) fn share_param(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == SHARE_PARAM && !value.is_empty()).then(|| value.to_owned())
    })
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// The client's address for the login limits: the connection's peer; behind a proxy on the
/// same host (a loopback peer), the address it forwards in `X-Real-IP` or the last
/// `X-Forwarded-For` entry.
pub(crate) fn client_address(peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !peer.is_loopback() {
        return peer;
    }
    let forwarded = headers
        .get("x-real-ip")
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            headers
                .get("x-forwarded-for")
                .and_then(|value| value.to_str().ok())
                .and_then(|list| list.rsplit(',').next())
        })
        .and_then(|text| text.trim().parse().ok());
    forwarded.unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name_in_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; vps_session_x=no; theme=dark"));
        headers.append(header::COOKIE, HeaderValue::from_static("vps_session=tok.en"));
        assert_eq!(cookie(&headers, "vps_session"), Some("tok.en"));
        assert_eq!(cookie(&headers, "theme"), Some("dark"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn the_share_parameter_is_read_from_the_query() {
        assert_eq!(share_param("a=1&share=abc.def").as_deref(), Some("abc.def"));
        assert_eq!(share_param("shared=abc"), None);
        assert_eq!(share_param("share="), None);
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_loopback_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.1, 203.0.113.9"));
        let remote: IpAddr = "192.0.2.5".parse().unwrap();
        assert_eq!(client_address(Some(remote), &headers), remote, "a remote peer cannot claim another address");
        let proxied = client_address(Some("127.0.0.1".parse().unwrap()), &headers);
        assert_eq!(proxied, "203.0.113.9".parse::<IpAddr>().unwrap(), "the address the proxy saw");
    }
}
