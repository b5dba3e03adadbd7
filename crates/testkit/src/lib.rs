//! Test support for vps-publish.
//!
//! [`Plugin`] talks to a server exactly as the "Publish to VPS" plugin 6.22.1 does (protocol
//! reference §3–§4): JSON bodies, batches of at most 1 MiB, each sent as gzip + base64 chunk
//! envelopes, chunks of one upload in order, then `finish` and the job. [`note`] and [`asset`]
//! build its payloads by hand; [`vault::scan`] builds them from a real vault with the product's
//! own scan (`vps_publisher::scan`, which reads a vault as the plugin does). [`html::elements`] reads served pages; [`webdriver`] drives headless Chromium;
//! [`clamd`] runs a private clamd that knows the EICAR test file; [`s3`] a private S3 server
//! (s3s-fs), or points at an external one (Garage), with a prefix of its own per test;
//! [`nginx`] a private nginx in front of a server, configured by the shipped config;
//! [`copy_dir`] copies a vault or a data directory into a temp dir; [`generated_vault`] writes a
//! vault of any size, the same on every run.
//!
//! ```no_run
//! # async fn demo() {
//! use vps_testkit::{Plugin, note};
//!
//! let plugin = Plugin::new("http://127.0.0.1:3000", "the-api-key");
//! let done = plugin.publish(&[note("Hello.md", "Hello [[World]]")], &[]).await;
//! assert_eq!(done["status"], "completed");
//! # }
//! ```

#![warn(missing_docs)]

pub mod clamd;
mod files;
pub mod generated_vault;
pub mod html;
pub mod nginx;
mod port;
pub mod s3;
pub mod scripts_vault;
pub mod vault;
pub mod webdriver;

pub use files::{copy_dir, image_png, noise, png};
pub use vault::sha256_hex;

use std::io::Write;
use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The plugin's request size limit `L`.
pub const L: usize = 1024 * 1024;

/// A plugin pointed at one server.
pub struct Plugin {
    /// The HTTP client every request goes through.
    pub client: reqwest::Client,
    /// The server's URL, without a trailing `/` (`http://127.0.0.1:3000`).
    pub base: String,
    /// The API key sent as `x-api-key`.
    pub key: String,
    /// Sent as `x-upload-run-id` on every request; one per `Plugin`.
    pub run_id: String,
    /// The `locale` sent at `start` (the plugin's UI language: `en` or `fr`).
    pub locale: String,
    /// `deduplicationEnabled` at `start`: when false, the session is a full publish (what it
    /// does not upload is deleted).
    pub deduplication: bool,
    /// `calloutStyles` at `start`: the writer's callout CSS snippets (`{path, css}`).
    pub callout_styles: Vec<Value>,
}

impl Plugin {
    /// The plugin as installed: locale `en`, deduplication on, a fresh run id.
    pub fn new(base: &str, key: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            run_id: uuid_like(),
            locale: "en".to_owned(),
            deduplication: true,
            callout_styles: Vec::new(),
        }
    }

    /// The plugin of a writer with callout CSS snippets (`(path, css)`), sent at `start`.
    pub fn with_callout_styles(mut self, styles: &[(&str, &str)]) -> Self {
        self.callout_styles = styles.iter().map(|(path, css)| json!({"path": path, "css": css})).collect();
        self
    }

    /// The plugin with deduplication unticked: each publish is a full publish, and a note
    /// deleted from the vault leaves the site.
    pub fn full_publish(mut self) -> Self {
        self.deduplication = false;
        self
    }

    /// The plugin of a user whose Obsidian speaks `locale` (sent at `start`).
    pub fn with_locale(mut self, locale: &str) -> Self {
        self.locale = locale.to_owned();
        self
    }

    /// The absolute URL of `path` (which starts with `/`) on the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A POST of `body` as JSON to `path`, with the plugin's headers (API key, run id).
    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .header("x-api-key", &self.key)
            .header("x-upload-run-id", &self.run_id)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap())
    }

    /// `start` with the body of protocol §3.1.
    pub async fn start(&self) -> Value {
        let mut body = start_body();
        body["locale"] = json!(self.locale);
        body["deduplicationEnabled"] = json!(self.deduplication);
        body["calloutStyles"] = json!(self.callout_styles);
        let (status, body) = json_answer(self.post("/api/session/start", &body).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Sends a batch object (`{"notes":[…]}` or `{"assets":[…]}`) as chunk envelopes of slices of
    /// `slice` gzip bytes; answers every (status, body), the last being the route's own.
    pub async fn send_batch(
        &self,
        session: &str,
        route: &str,
        batch: &Value,
        slice: usize,
    ) -> Vec<(StatusCode, Value)> {
        self.send_raw_batch(session, route, &serde_json::to_vec(batch).unwrap(), slice).await
    }

    /// [`Plugin::send_batch`] of a batch already serialized.
    pub async fn send_raw_batch(
        &self,
        session: &str,
        route: &str,
        json: &[u8],
        slice: usize,
    ) -> Vec<(StatusCode, Value)> {
        let gz = gzip(json);
        let kind = if route == "notes" { "notes" } else { "assets" };
        let upload_id = format!("{kind}-{session}-{}", uuid_like());
        let total = gz.len().div_ceil(slice);
        let mut answers = Vec::new();
        for (index, piece) in gz.chunks(slice).enumerate() {
            let envelope = envelope(&upload_id, index, total, json.len(), gz.len(), piece);
            let path = format!("/api/session/{session}/{route}/upload");
            answers.push(json_answer(self.post(&path, &envelope).send().await.unwrap()).await);
        }
        answers
    }

    /// `finish` of `session`, declaring the counts of notes and assets sent; answers the
    /// status (202 when accepted) and body.
    pub async fn finish(&self, session: &str, notes: usize, assets: usize) -> (StatusCode, Value) {
        let body = json!({"notesProcessed": notes, "assetsProcessed": assets});
        json_answer(self.post(&format!("/api/session/{session}/finish"), &body).send().await.unwrap()).await
    }

    /// Polls the status every 100 ms (the plugin: 1.5 s) until the job ends, for at most three
    /// minutes (a 5,000-note publish on a loaded two-core machine).
    pub async fn wait(&self, session: &str) -> Value {
        for _ in 0..1800 {
            let response = self
                .client
                .get(self.url(&format!("/api/session/{session}/status")))
                .header("x-api-key", &self.key)
                .send()
                .await
                .unwrap();
            let (status, body) = json_answer(response).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if body["status"] == "completed" || body["status"] == "failed" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the job did not end within three minutes");
    }

    /// start → notes → assets → finish → completed; answers the final status. Notes and assets
    /// are cut into batches of at most [`L`] bytes of JSON (an item larger than that alone), as
    /// the plugin does, sent one after the other.
    pub async fn publish(&self, notes: &[Value], assets: &[Value]) -> Value {
        let session = self.upload_and_finish(notes, assets).await;
        let done = self.wait(&session).await;
        assert_eq!(done["status"], "completed", "{done}");
        done
    }

    /// [`Plugin::publish`] up to `finish` (answered 202): the job is queued. Answers the session.
    pub async fn upload_and_finish(&self, notes: &[Value], assets: &[Value]) -> String {
        let start = self.start().await;
        let session = start["sessionId"].as_str().unwrap().to_owned();
        for (route, items) in [("notes", notes), ("assets", assets)] {
            let texts = items.iter().map(Value::to_string).collect();
            for batch in cut_batches(&format!("{{\"{route}\":["), texts, L) {
                let answers = self.send_raw_batch(&session, route, batch.as_bytes(), L / 2).await;
                let last = answers.last().unwrap();
                assert_eq!(last.0, StatusCode::OK, "{route}: {last:?}");
            }
        }
        let (status, body) = self.finish(&session, notes.len(), assets.len()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        session
    }

    /// `GET /api/session/{id}/status`: the job as the plugin polls it.
    pub async fn status(&self, session: &str) -> Value {
        let url = self.url(&format!("/api/session/{session}/status"));
        let response = self.client.get(url).header("x-api-key", &self.key).send().await.unwrap();
        let (status, body) = json_answer(response).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// Greedy, in order, as the plugin batches: each batch `{prefix…]}` stays ≤ `limit` bytes, but
/// for an item larger than `limit`, which makes a batch of its own. `prefix` is `{"notes":[` or
/// `{"assets":[`; items are JSON texts.
pub fn cut_batches(prefix: &str, items: Vec<String>, limit: usize) -> Vec<String> {
    let overhead = prefix.len() + 2;
    let mut batches = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = overhead;
    let flush = |current: &mut Vec<String>, batches: &mut Vec<String>| {
        if !current.is_empty() {
            batches.push(format!("{prefix}{}]}}", current.join(",")));
            current.clear();
        }
    };
    for item in items {
        let separator = usize::from(!current.is_empty());
        if !current.is_empty() && size + separator + item.len() > limit {
            flush(&mut current, &mut batches);
            size = overhead;
        }
        size += usize::from(!current.is_empty()) + item.len();
        current.push(item);
    }
    flush(&mut current, &mut batches);
    batches
}

/// The body of `start` as the plugin sends it by default (§3.1): English, deduplication on,
/// `publish: false` and the `private` tag ignored.
pub fn start_body() -> Value {
    json!({
        "notesPlanned": 0, "assetsPlanned": 0, "batchConfig": {"maxBytesPerRequest": 1048576},
        "calloutStyles": [], "customIndexConfigs": [],
        "ignoreRules": [{"property": "publish", "ignoreIf": false}], "ignoredTags": ["private"],
        "folderDisplayNames": {}, "pipelineSignature": {"version": "6.22.1", "renderSettingsHash": "3e1d"},
        "locale": "en", "deduplicationEnabled": true
    })
}

/// A note as the plugin sends it (§5.1), in a folder published at `/`.
pub fn note(vault_path: &str, content: &str) -> Value {
    let title = vault_path.rsplit('/').next().unwrap().trim_end_matches(".md");
    json!({
        "noteId": uuid_like(), "title": title, "vaultPath": vault_path, "relativePath": vault_path,
        "content": content,
        "frontmatter": {"flat": {}, "nested": {}, "tags": []},
        "folderConfig": {"id": "root", "vpsId": "v1", "vaultFolder": "", "routeBase": "/", "ignoredCleanupRuleIds": []},
        "publishedAt": "2026-01-05T10:00:00.000Z", "eligibility": {"isPublishable": true}, "assets": []
    })
}

/// An asset as the plugin sends it (§5.2).
pub fn asset(vault_path: &str, bytes: &[u8]) -> Value {
    let name = vault_path.rsplit('/').next().unwrap();
    json!({
        "relativePath": name, "vaultPath": vault_path, "fileName": name, "mimeType": "image/png",
        "contentBase64": base64::engine::general_purpose::STANDARD.encode(bytes)
    })
}

/// A chunk envelope: chunk `index` of `total` of upload `upload_id`, whose JSON is `original`
/// bytes and gzip `compressed` bytes; `piece` is this chunk's slice of the gzip bytes.
pub fn envelope(
    upload_id: &str,
    index: usize,
    total: usize,
    original: usize,
    compressed: usize,
    piece: &[u8],
) -> Value {
    json!({
        "metadata": {"uploadId": upload_id, "chunkIndex": index, "totalChunks": total, "originalSize": original, "compressedSize": compressed},
        "data": base64::engine::general_purpose::STANDARD.encode(piece)
    })
}

/// `bytes` gzip-compressed at the default level, as the plugin compresses a batch.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The status and JSON body of an answer (panics on a body that is not JSON: every answer of
/// the server is).
pub async fn json_answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON body, got {status}: {text:?}"));
    (status, body)
}

/// A fresh random id in the form of a session id (a UUID), for run, note and upload ids.
pub fn uuid_like() -> String {
    vps_core::SessionId::generate().to_string()
}
