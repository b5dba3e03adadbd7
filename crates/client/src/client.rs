//! The client itself: construction, the retrying request loop every call goes through, and the
//! small JSON calls (`public-config`, `ping`, `start`, `check`, `finish`, `abort`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use vps_core::SessionId;
use vps_core::api::{CheckResponse, CheckedAsset, PublicConfig, StartSessionRequest, StartSessionResponse};
use vps_core::job::{FinishRequest, FinishResponse};

use crate::error::{ClientError, LocalFileError};
use crate::retry::RetryPolicy;

/// Entries per hash-check request (the server accepts up to 10,000).
const CHECK_BATCH: usize = 5_000;
/// How long a small JSON call may take in all before it counts as a transport failure.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// A vps-publish server, its key, and the connection pool used to talk to it. Cheap to clone;
/// clones share the pool and the [`Client::bytes_sent`] counter.
#[derive(Clone)]
pub struct Client {
    pub(crate) http: reqwest::Client,
    /// `https://host/prefix`, without a trailing `/` and without user info.
    pub(crate) base: Arc<str>,
    key: HeaderValue,
    run_id: HeaderValue,
    pub(crate) retry: RetryPolicy,
    pub(crate) sent: Arc<AtomicU64>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("api_key", &"<redacted>")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Options of a [`Client`] beyond its URL and key.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    api_key: String,
    retry: RetryPolicy,
    connect_timeout: Duration,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl ClientBuilder {
    /// How calls are retried ([`RetryPolicy::default`]: 5 attempts from 0.5 s).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long to wait for a TCP (and TLS) connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Checks the base URL and the API key and sets up the HTTP client; no request is made.
    /// Fails with [`ClientError::Config`].
    pub fn build(self) -> Result<Client, ClientError> {
        let base = parse_base(&self.base_url)?;
        let mut key = HeaderValue::from_str(self.api_key.trim().trim_start_matches('\u{feff}'))
            .ok()
            .filter(|key| !key.is_empty())
            .ok_or_else(|| ClientError::Config { reason: "the API key must be visible ASCII characters".into() })?;
        key.set_sensitive(true);
        let run_id = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("a UUID is a valid header");
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("vps-publish/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Config { reason: format!("cannot set up the HTTP client: {e}") })?;
        Ok(Client { http, base: base.into(), key, run_id, retry: self.retry, sent: Arc::new(AtomicU64::new(0)) })
    }
}

/// Checks the base URL and puts it in the form paths are appended to: an `http` or `https` URL
/// with no query, fragment or user info, and no trailing `/`.
fn parse_base(text: &str) -> Result<String, ClientError> {
    let invalid = |why: &str| ClientError::Config { reason: format!("the server URL {text:?} is not usable: {why}") };
    let url = Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("it must start with http:// or https://"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not hold a user name or password"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl Client {
    /// A client for the server at `base_url` (a path prefix such as `https://host/site` works)
    /// with default options; see [`Client::builder`].
    pub fn new(base_url: &str, api_key: &str) -> Result<Client, ClientError> {
        Self::builder(base_url, api_key).build()
    }

    /// Starts configuring a client for the server at `base_url` with the API key `api_key`;
    /// finish with [`ClientBuilder::build`].
    pub fn builder(base_url: &str, api_key: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            api_key: api_key.to_owned(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// The server's base URL, as calls use it.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Request body bytes this client (and its clones) sent: JSON bodies, chunk envelopes and
    /// file contents (multipart framing aside), retried attempts included.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `/api…`, with the key and the run id.
    pub(crate) fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("x-api-key", self.key.clone())
            .header("x-upload-run-id", self.run_id.clone())
    }

    /// A JSON request whose body is `body`, counted in [`Client::bytes_sent`] at each attempt.
    pub(crate) fn json_request(&self, path: &str, body: &Bytes) -> RequestBuilder {
        self.sent.fetch_add(body.len() as u64, Ordering::Relaxed);
        self.api(Method::POST, path).header(CONTENT_TYPE, "application/json").body(body.clone())
    }

    /// Sends the request `build` makes, again with a fresh one after a transport error or a
    /// 429/503 (up to the policy's attempts), and answers the first 2xx response. Every other
    /// answer becomes an error. A streaming body cannot be replayed: `build` makes a new
    /// request (reopening files) for each attempt.
    pub(crate) async fn execute(
        &self,
        call: &'static str,
        retry: bool,
        build: &mut (dyn FnMut() -> Result<RequestBuilder, ClientError> + Send),
    ) -> Result<Response, ClientError> {
        let attempts = if retry { self.retry.attempts.max(1) } else { 1 };
        let mut attempt = 1;
        loop {
            let request = build()?;
            let delay = match request.send().await {
                Err(error) => {
                    if let Some(local) = LocalFileError::find(&error) {
                        return Err(local.to_client_error());
                    }
                    if attempt >= attempts {
                        return Err(ClientError::unreachable(call, &self.base, attempts, error));
                    }
                    tracing::debug!(call, attempt, error = %error.without_url(), "transport error; retrying");
                    self.retry.backoff(attempt)
                }
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = response.text().await.unwrap_or_default();
                    let busy = status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
                    if !busy || attempt >= attempts {
                        return Err(ClientError::from_answer(call, &self.base, status, &headers, &body));
                    }
                    let delay = self.retry.server_delay(&headers, &body).unwrap_or_else(|| self.retry.backoff(attempt));
                    tracing::debug!(call, attempt, %status, delay_ms = delay.as_millis() as u64, "server busy; retrying");
                    delay
                }
            };
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// POSTs `body` as JSON (with retries) and decodes the answer.
    pub(crate) async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        call: &'static str,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let body = Bytes::from(serde_json::to_vec(body).expect("request bodies serialize"));
        let response =
            self.execute(call, true, &mut || Ok(self.json_request(path, &body).timeout(CALL_TIMEOUT))).await?;
        decode(call, response).await
    }

    /// `GET /public-config`: the server's limits and whether it takes streaming uploads. `None`
    /// when the server has no such document or it lacks `streamingUploadsEnabled` (the Node
    /// reference server): then use the plugin's JSON protocol ([`Client::upload_assets_json`]).
    pub async fn public_config(&self) -> Result<Option<PublicConfig>, ClientError> {
        const CALL: &str = "public-config";
        let url = self.url("/public-config");
        let result = self.execute(CALL, true, &mut || Ok(self.http.get(&url).timeout(CALL_TIMEOUT))).await;
        let response = match result {
            Ok(response) => response,
            Err(ClientError::Server { status: StatusCode::NOT_FOUND, .. }) => return Ok(None),
            Err(ClientError::Protocol { .. }) => return Ok(None), // a 404 page, not JSON
            Err(other) => return Err(other),
        };
        let body = read_body(CALL, response).await?;
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else { return Ok(None) };
        if value.get("streamingUploadsEnabled").is_none() {
            return Ok(None);
        }
        serde_json::from_value(value).map(Some).map_err(|e| ClientError::protocol(CALL, e.to_string()))
    }

    /// `GET /api/ping`: checks the URL and the key. Not retried, as the plugin's "test
    /// connection" button.
    pub async fn ping(&self) -> Result<(), ClientError> {
        let response =
            self.execute("ping", false, &mut || Ok(self.api(Method::GET, "/api/ping").timeout(CALL_TIMEOUT))).await?;
        read_body("ping", response).await.map(drop)
    }

    /// `POST /api/session/start`: opens a publish session.
    pub async fn start(&self, request: &StartSessionRequest) -> Result<StartSessionResponse, ClientError> {
        self.post_json("session start", "/api/session/start", request).await
    }

    /// `POST /api/session/{id}/assets/check`: which of these files the server lacks. The files
    /// it has are linked into the session, with no bytes sent. Sent in requests of at most
    /// 5,000 entries; the answers are merged (each missing hash once, in order).
    pub async fn check(&self, session: SessionId, entries: &[CheckedAsset]) -> Result<CheckResponse, ClientError> {
        let path = format!("/api/session/{session}/assets/check");
        let mut merged = CheckResponse { session_id: session, missing: Vec::new(), files: Vec::new() };
        let mut seen = std::collections::HashSet::new();
        for batch in entries.chunks(CHECK_BATCH) {
            let answer: CheckResponse = self.post_json("hash check", &path, batch).await?;
            if answer.files.len() != batch.len() {
                let detail = format!("{} results for {} entries", answer.files.len(), batch.len());
                return Err(ClientError::protocol("hash check", detail));
            }
            merged.missing.extend(answer.missing.into_iter().filter(|hash| seen.insert(*hash)));
            merged.files.extend(answer.files);
        }
        Ok(merged)
    }

    /// `POST /api/session/{id}/finish`: ends the uploads and queues the site's rebuild. Sent
    /// again after a transport error, the server replays its first answer.
    pub async fn finish(&self, session: SessionId, request: &FinishRequest) -> Result<FinishResponse, ClientError> {
        self.post_json("finish", &format!("/api/session/{session}/finish"), request).await
    }

    /// `POST /api/session/{id}/abort`: abandons the session (idempotent; refused after `finish`).
    pub async fn abort(&self, session: SessionId) -> Result<(), ClientError> {
        let path = format!("/api/session/{session}/abort");
        let _: serde_json::Value = self.post_json("abort", &path, &serde_json::json!({})).await?;
        Ok(())
    }
}

/// Reads a whole (small) answer; a connection that breaks meanwhile is a protocol failure.
pub(crate) async fn read_body(call: &'static str, response: Response) -> Result<Bytes, ClientError> {
    response
        .bytes()
        .await
        .map_err(|e| ClientError::protocol(call, format!("the answer could not be read: {}", e.without_url())))
}

pub(crate) async fn decode<T: DeserializeOwned>(call: &'static str, response: Response) -> Result<T, ClientError> {
    let body = read_body(call, response).await?;
    serde_json::from_slice(&body).map_err(|e| ClientError::protocol(call, format!("unexpected JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CLI may `tokio::spawn` any call: every future must be `Send`.
    #[allow(dead_code)]
    fn every_call_is_send(client: &Client, session: SessionId, finish: &FinishResponse) {
        fn send<T: Send>(_: T) {}
        let progress = |_: u64| {};
        send(client.public_config());
        send(client.ping());
        send(client.check(session, &[]));
        send(client.upload_files(session, &[], &crate::UploadLimits::default(), &progress));
        send(client.upload_notes(session, &[], &[]));
        send(client.upload_assets_json(session, &[], &progress));
        send(client.follow(session, finish, &|_| {}));
        send(client.abort(session));
    }

    #[test]
    fn base_urls_are_normalised_or_refused() {
        assert_eq!(parse_base("https://notes.example.com/").unwrap(), "https://notes.example.com");
        assert_eq!(parse_base("http://127.0.0.1:3000").unwrap(), "http://127.0.0.1:3000");
        assert_eq!(parse_base(" https://host/site/ ").unwrap(), "https://host/site");
        for bad in ["", "notes.example.com", "ftp://host", "https://host/?x=1", "https://user:pw@host"] {
            assert!(parse_base(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let builder = Client::builder("http://127.0.0.1:1", "secret-key-123");
        assert!(!format!("{builder:?}").contains("secret-key-123"));
        let client = builder.build().unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("secret-key-123") && debug.contains("<redacted>"), "{debug}");
    }

    #[test]
    fn a_key_with_invisible_characters_is_refused_without_echoing_it() {
        let error = Client::new("http://127.0.0.1:1", "bad\nkey-123").unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Config);
        assert!(!error.to_string().contains("key-123"));
    }
}
