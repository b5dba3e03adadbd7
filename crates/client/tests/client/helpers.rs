use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use vps_client::{Client, RetryPolicy, UploadFile};
use vps_core::AssetPath;
use vps_core::note::Note;

pub(crate) use vps_server::test_util::{KEY, TestApp, spawn_app, spawn_app_with};
pub(crate) use vps_testkit::{noise, png, sha256_hex};

/// The client under test, pointed at a [`TestApp`].
pub(crate) trait ClientOf {
    fn client(&self) -> Client;
}

impl ClientOf for TestApp {
    fn client(&self) -> Client {
        Client::new(&self.base, KEY).unwrap()
    }
}

/// Retries that wait milliseconds, not seconds.
pub(crate) fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy { attempts, first_delay: Duration::from_millis(10), max_delay: Duration::from_secs(5) }
}

/// Writes `data` under `dir` and describes it as the vault file `vault_path`.
pub(crate) fn vault_file(dir: &Path, vault_path: &str, data: &[u8]) -> UploadFile {
    let file = dir.join(sha256_hex(vault_path.as_bytes()));
    std::fs::write(&file, data).unwrap();
    UploadFile { path: AssetPath::parse(vault_path).unwrap(), file, size: data.len() as u64, sha256: None }
}

/// A note as the plugin sends it, in a folder published at `/`.
pub(crate) fn note(vault_path: &str, content: &str) -> Note {
    serde_json::from_value(vps_testkit::note(vault_path, content)).unwrap()
}

/// A server that answers the n-th request (0-based) for a path and query with `answer(n, target)`.
pub(crate) async fn stub_server(
    answer: impl Fn(usize, &str) -> axum::response::Response + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let answer = Arc::new(answer);
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (seen, answer) = (seen.clone(), answer.clone());
        let target = uri.path_and_query().map_or("/", |target| target.as_str()).to_owned();
        async move { answer(seen.fetch_add(1, Ordering::SeqCst), &target) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), count)
}
