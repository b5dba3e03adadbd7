//! The one in-process server of every test (cargo feature `test-util`): the real
//! [`Application`] on port 0 of 127.0.0.1, with a temporary data directory and the API key
//! [`KEY`], stopped when the [`TestApp`] is dropped.
//!
//! The crates whose tests need a server enable the feature from their dev-dependencies
//! (`vps-server = { workspace = true, features = ["test-util"] }`); a release build never has it.
//!
//! ```no_run
//! # async fn demo() {
//! let app = vps_server::test_util::spawn_app_with(|settings| settings.shutdown_grace_secs = 2).await;
//! let (status, _page) = app.get("/health").await;
//! assert_eq!(status, reqwest::StatusCode::OK);
//! # }
//! ```

use std::path::Path;

use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{ApiKey, Application, Settings};

/// The API key of every test server.
pub const KEY: &str = "test-api-key-0123456789";

/// A running server with its own data directory; stopped when dropped (the directory is then
/// removed).
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// A client that goes straight to the server (no proxy from the environment).
    pub client: reqwest::Client,
    /// Declared before `data`: the server is asked to stop before its directory is removed.
    _running: RunningApp,
    /// The data directory.
    pub data: TempDir,
}

/// A server on a data directory the test keeps (to restart a server on it, or to look at what
/// a stopped server left): [`RunningApp::stop`] waits until it has stopped; dropping it only asks.
pub struct RunningApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl RunningApp {
    /// Stops the server and waits until it has.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("the server task ends");
        }
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Starts the server on `data_dir` with [`KEY`], port 0 and a one-second shutdown grace, changed
/// by `configure`.
pub async fn start_app(data_dir: &Path, configure: impl FnOnce(&mut Settings)) -> RunningApp {
    let mut settings = Settings {
        port: 0,
        data_dir: data_dir.to_owned(),
        api_key: Some(ApiKey::new(KEY).expect("a valid key")),
        shutdown_grace_secs: 1,
        ..Settings::default()
    };
    configure(&mut settings);
    let app = Application::build(settings).await.expect("the app builds");
    let base = format!("http://{}", app.local_addr());
    let stop = app.shutdown_handle();
    RunningApp { base, stop, task: Some(tokio::spawn(app.run_until_stopped())) }
}

/// A server with the default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server on a new temporary data directory ([`start_app`]'s settings changed by `configure`).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let data = tempfile::tempdir().expect("a temp dir");
    let running = start_app(data.path(), configure).await;
    let client = reqwest::Client::builder().no_proxy().build().expect("a client");
    TestApp { base: running.base.clone(), client, _running: running, data }
}

impl TestApp {
    /// `path` on this server; an absolute URL is kept as it is.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// A public GET: status and body.
    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, Vec<u8>) {
        let response = self.client.get(self.url(path)).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status();
        (status, response.bytes().await.unwrap_or_else(|e| panic!("GET {path}: {e}")).to_vec())
    }

    /// A POST with the API key.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).header("x-api-key", KEY)
    }
}
