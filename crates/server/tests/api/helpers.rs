use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
pub(crate) use vps_server::test_util::{KEY, TestApp, spawn_app, spawn_app_with};
pub(crate) use vps_testkit::{json_answer, png, sha256_hex};

/// What the API tests do with a [`TestApp`] beyond `url`, `get` and `post`.
#[allow(async_fn_in_trait)]
pub(crate) trait ApiTestApp {
    /// A plugin client pointed at this server.
    fn plugin(&self) -> vps_testkit::Plugin;
    async fn start_session(&self) -> String;
    /// Uploads files as one multipart request; answers status and JSON body.
    async fn upload(&self, session: &str, files: &[(&str, &[u8])]) -> (StatusCode, Value);
    async fn send_multipart(&self, session: &str, body: (String, Vec<u8>)) -> (StatusCode, Value);
    /// Finishes a session whose files were uploaded: they are published (`/_blob/` serves only
    /// what the live revision publishes). Panics unless the job completes.
    async fn publish_session(&self, session: &str);
    fn temp_files(&self) -> Vec<PathBuf>;
    fn blob_files(&self) -> Vec<PathBuf>;
    /// Polls until the temp directory is empty (an aborted upload's cleanup runs as its
    /// connection is torn down); fails after five seconds.
    async fn wait_for_empty_temp(&self);
    /// After any refused request, the server still takes a normal upload and keeps no temp file.
    async fn assert_still_serving(&self);
}

impl ApiTestApp for TestApp {
    fn plugin(&self) -> vps_testkit::Plugin {
        vps_testkit::Plugin::new(&self.base, KEY)
    }

    async fn start_session(&self) -> String {
        let response = self.post("/api/session/start").json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["sessionId"].as_str().expect("a session id").to_owned()
    }

    async fn upload(&self, session: &str, files: &[(&str, &[u8])]) -> (StatusCode, Value) {
        let mut form = Multipart::new();
        for (path, data) in files {
            form.file("assets", path, data);
        }
        self.send_multipart(session, form.finish()).await
    }

    async fn send_multipart(&self, session: &str, (content_type, body): (String, Vec<u8>)) -> (StatusCode, Value) {
        let response = self
            .post(&format!("/api/session/{session}/assets/upload"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        json_answer(response).await
    }

    async fn publish_session(&self, session: &str) {
        let plugin = self.plugin();
        let (status, body) = plugin.finish(session, 0, 0).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let done = plugin.wait(session).await;
        assert_eq!(done["status"], "completed", "{done}");
    }

    fn temp_files(&self) -> Vec<PathBuf> {
        files_under(&self.data.path().join("tmp"))
    }

    fn blob_files(&self) -> Vec<PathBuf> {
        files_under(&self.data.path().join("blobs"))
    }

    async fn wait_for_empty_temp(&self) {
        for _ in 0..100 {
            if self.temp_files().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("temp files left behind: {:?}", self.temp_files());
    }

    async fn assert_still_serving(&self) {
        self.wait_for_empty_temp().await;
        let session = self.start_session().await;
        let data = png(2000, 99);
        let (status, body) = self.upload(&session, &[("after/check.png", &data)]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["files"][0]["sha256"], sha256_hex(&data));
        self.wait_for_empty_temp().await;
    }
}

pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// A multipart/form-data body built byte by byte, so tests can also build broken ones.
pub(crate) struct Multipart {
    pub boundary: String,
    pub body: Vec<u8>,
}

impl Multipart {
    pub(crate) fn new() -> Self {
        Self { boundary: "----vps-test-boundary-7MA4YWxkTrZu0gW".into(), body: Vec::new() }
    }

    pub(crate) fn file(&mut self, field: &str, filename: &str, data: &[u8]) -> &mut Self {
        self.file_with_headers(field, filename, &[], data)
    }

    /// A file part with extra part headers (`Content-Digest: …`).
    pub(crate) fn file_with_headers(
        &mut self,
        field: &str,
        filename: &str,
        headers: &[(&str, &str)],
        data: &[u8],
    ) -> &mut Self {
        let extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
        let head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n{extra}\r\n",
            self.boundary
        );
        self.raw(head.as_bytes()).raw(data).raw(b"\r\n")
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.body.extend_from_slice(bytes);
        self
    }

    pub(crate) fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    pub(crate) fn finish(&mut self) -> (String, Vec<u8>) {
        let end = format!("--{}--\r\n", self.boundary);
        self.body.extend_from_slice(end.as_bytes());
        (self.content_type(), std::mem::take(&mut self.body))
    }
}
