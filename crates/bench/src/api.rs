//! The client of the upload API that the upload benchmarks share: start a session, stream a
//! [`TestFile`] to it as a multipart part and check the answer.

use reqwest::multipart::{Form, Part};
use reqwest::{Body, Client, Response, StatusCode};
use serde_json::{Value, json};
use tokio_util::io::ReaderStream;

use crate::Result;
use crate::testfile::TestFile;

/// Bytes per chunk that the client reads from the file and sends.
pub const UPLOAD_CHUNK: usize = 256 * 1024;

/// The calls of the upload API that the benchmarks make, with the server's API key.
#[derive(Clone)]
pub struct Api {
    client: Client,
    base_url: String,
    api_key: String,
    /// Whether an error about an answer names the request as `POST {url}` rather than `{url}`.
    method_in_errors: bool,
}

impl Api {
    /// A client of the server at `base_url` (no proxy), which sends `api_key`.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self> {
        let client = Client::builder().no_proxy().build()?;
        Ok(Self { client, base_url: base_url.to_owned(), api_key: api_key.to_owned(), method_in_errors: false })
    }

    /// The same client, whose errors about answers name the request's method before its URL.
    pub fn with_method_in_errors(self) -> Self {
        Self { method_in_errors: true, ..self }
    }

    /// The underlying HTTP client (no proxy), for requests this API does not wrap; it adds no
    /// `x-api-key` by itself.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `http://HOST:PORT`, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A new upload session; its id.
    pub async fn start_session(&self) -> Result<String> {
        let response = self
            .client
            .post(format!("{}/api/session/start", self.base_url))
            .header("x-api-key", &self.api_key)
            .json(&json!({}))
            .send()
            .await?;
        let answer = self.expect_json(response, "POST", StatusCode::CREATED).await?;
        let id = answer["sessionId"].as_str().ok_or_else(|| format!("no sessionId in {answer}"))?;
        Ok(id.to_owned())
    }

    /// Streams `file` from disk as the one part of a multipart body, as the plugin does, and
    /// checks the answer.
    pub async fn upload(&self, session: &str, name: &str, file: &TestFile) -> Result<()> {
        self.upload_declaring(session, name, file, false).await
    }

    /// [`Api::upload`], with the file's SHA-256 declared in the part's `Content-Digest` when
    /// `declare` (as `vps-publish publish` sends it).
    pub async fn upload_declaring(&self, session: &str, name: &str, file: &TestFile, declare: bool) -> Result<()> {
        let reader = tokio::fs::File::open(&file.path).await?;
        let body = Body::wrap_stream(ReaderStream::with_capacity(reader, UPLOAD_CHUNK));
        let mut part = Part::stream_with_length(body, file.len).file_name(name.to_owned());
        if declare {
            let digest = vps_core::ContentHash::parse(&file.sha256)?.to_content_digest();
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert("content-digest", reqwest::header::HeaderValue::from_str(&digest)?);
            part = part.headers(headers);
        }
        let answer = self.send(session, part).await?;
        check_uploaded(&answer["files"][0], name, file)
    }

    /// Sends `part` as the one part `assets` of an upload to `session`; the answer, which must be
    /// `200 OK` with a JSON body.
    pub async fn send(&self, session: &str, part: Part) -> Result<Value> {
        let response = self
            .client
            .post(format!("{}/api/session/{session}/assets/upload", self.base_url))
            .header("x-api-key", &self.api_key)
            .multipart(Form::new().part("assets", part))
            .send()
            .await?;
        self.expect_json(response, "POST", StatusCode::OK).await
    }

    /// Finishes `session` and waits until its job completes: what it uploaded is then published
    /// (the server serves only what the live revision publishes, `/_blob/` included).
    pub async fn publish(&self, session: &str) -> Result<()> {
        let response = self
            .client
            .post(format!("{}/api/session/{session}/finish", self.base_url))
            .header("x-api-key", &self.api_key)
            .json(&json!({"notesProcessed": 0, "assetsProcessed": 1}))
            .send()
            .await?;
        self.expect_json(response, "POST", StatusCode::ACCEPTED).await?;
        loop {
            let response = self
                .client
                .get(format!("{}/api/session/{session}/status", self.base_url))
                .header("x-api-key", &self.api_key)
                .send()
                .await?;
            let status = self.expect_json(response, "GET", StatusCode::OK).await?;
            match status["status"].as_str() {
                Some("completed") => return Ok(()),
                Some("failed") => return Err(format!("the publish of session {session} failed: {status}").into()),
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
    }

    /// The JSON body of `response`, which must have status `expected`; `method` is the request's,
    /// for the error message.
    pub async fn expect_json(&self, response: Response, method: &str, expected: StatusCode) -> Result<Value> {
        let (url, status) = (response.url().clone(), response.status());
        let request = if self.method_in_errors { format!("{method} {url}") } else { url.to_string() };
        let text = response.text().await?;
        if status != expected {
            return Err(format!("{request}: expected {expected}, got {status}: {text}").into());
        }
        serde_json::from_str(&text).map_err(|e| format!("{request}: the answer is not JSON ({e}): {text}").into())
    }
}

/// `entry`, the answer about the upload of `file` as `name`, must say `stored` or `deduplicated`,
/// with the file's SHA-256.
fn check_uploaded(entry: &Value, name: &str, file: &TestFile) -> Result<()> {
    let status = entry["status"].as_str();
    if !matches!(status, Some("stored" | "deduplicated")) {
        return Err(format!("{name} was not stored: {entry}").into());
    }
    let sha256 = entry["sha256"].as_str().unwrap_or_default();
    if sha256 != file.sha256 {
        return Err(format!("{name}: the server's SHA-256 {sha256} is not ours, {}", file.sha256).into());
    }
    Ok(())
}
