//! Target `multipart`: arbitrary bodies posted to `/api/session/{id}/assets/upload` of the real
//! application, started in-process on a loopback port with a temp data directory.
//!
//! Bodies are built part by part from hostile pieces (boundaries that almost match, part headers
//! that never end, missing or doubled `Content-Disposition`, traversal and control characters in
//! filenames, bad `Content-Digest`, truncation, preambles without a boundary). Properties: every
//! answer is a 2xx, or a 4xx whose JSON body has a non-empty `code`; never a 5xx, never a closed
//! connection (except for a body over 64 KiB answered early, when the server still answers
//! `/api/ping`); `data/tmp` is empty once the answer is in (polled up to five seconds, as the
//! server removes an aborted upload's temp file when its connection is torn down).

use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use vps_server::{ApiKey, Application, Settings};

use crate::engine::Target;
use crate::inputs::{Bytes, repeated, text_of};
use crate::targets::envelope::files_under;

const KEY: &str = "fuzz-api-key-0123456789";
const BOUNDARY: &str = "fuzzBoundary7MA4YWxk";
/// Bodies larger than this may be answered before they are sent whole.
const EARLY_ANSWER_BYTES: usize = 64 * 1024;

const FILENAMES: &[&str] = &[
    "a.png",
    "dir/b.png",
    "..",
    "../",
    "/etc/passwd",
    "C:",
    "\\",
    "%2e%2e",
    "é",
    "\u{202e}",
    "\u{1b}",
    "//",
    ".",
    "x.txt",
    "\"",
    ";",
    "\r",
    "\n",
    " ",
    "日本",
    "a\u{0}b",
];

/// PNG and text bytes pass the sniffer; the rest are refused with a 200 (their type) or are empty.
const DATA: &[&str] = &["\u{89}PNG\r\n\u{1a}\n0123456789", "hello text", "", "MZ\u{90}\u{0}", "<script>", "--"];

#[derive(Debug, Clone)]
pub(crate) enum ContentType {
    Multipart,
    NoBoundary,
    Json,
    Other(String),
}

#[derive(Debug, Clone)]
pub(crate) struct MultipartInput {
    content_type: ContentType,
    body: Bytes,
}

pub(crate) struct MultipartTarget {
    runtime: tokio::runtime::Runtime,
    base: String,
    client: reqwest::Client,
    data: tempfile::TempDir,
    /// The open session, and how many cases have used it.
    session: std::cell::RefCell<(String, u32)>,
    /// How many answers of each status (and code) the run got; printed when the target is dropped.
    answers: std::cell::RefCell<std::collections::BTreeMap<String, u64>>,
}

impl Drop for MultipartTarget {
    fn drop(&mut self) {
        let answers: Vec<String> = self.answers.borrow().iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        eprintln!("fuzz multipart: answers: {}", answers.join(", "));
    }
}

impl MultipartTarget {
    pub(crate) fn new() -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let data = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            port: 0,
            data_dir: data.path().to_owned(),
            api_key: Some(ApiKey::new(KEY).expect("a valid key")),
            shutdown_grace_secs: 1,
            ..Settings::default()
        };
        let base = runtime.block_on(async {
            let app = Application::build(settings).await.expect("the app builds");
            let base = format!("http://{}", app.local_addr());
            tokio::spawn(app.run_until_stopped());
            base
        });
        // A fresh connection per request: the server closes a connection whose body it did not
        // read to the end, and a pooled one could be reused just as it closes.
        let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("a client");
        let session = runtime.block_on(start_session(&client, &base)).expect("a session");
        Self {
            runtime,
            base,
            client,
            data,
            session: std::cell::RefCell::new((session, 0)),
            answers: Default::default(),
        }
    }

    /// The session to post to; a new one every 200 cases so that none grows without end.
    fn session(&self) -> Result<String, String> {
        let mut current = self.session.borrow_mut();
        if current.1 >= 200 {
            let old = current.0.clone();
            let _ = self.runtime.block_on(
                self.client
                    .post(format!("{}/api/session/{old}/abort", self.base))
                    .header("x-api-key", KEY)
                    .json(&serde_json::json!({}))
                    .send(),
            );
            *current = (self.runtime.block_on(start_session(&self.client, &self.base))?, 0);
        }
        current.1 += 1;
        Ok(current.0.clone())
    }
}

async fn start_session(client: &reqwest::Client, base: &str) -> Result<String, String> {
    let response = client
        .post(format!("{base}/api/session/start"))
        .header("x-api-key", KEY)
        .json(&serde_json::json!({}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
    body["sessionId"].as_str().map(str::to_owned).ok_or_else(|| format!("start answered {body}"))
}

fn part() -> BoxedStrategy<Vec<u8>> {
    let opening = prop_oneof![
        8 => Just(format!("--{BOUNDARY}\r\n")),
        1 => select(&["--fuzzBoundary7MA4YWx\r\n", "--fuzzBoundary7MA4YWxkk\r\n", "--\r\n", "\r\n", ""][..]).prop_map(str::to_owned),
        1 => Just(format!("--{BOUNDARY}")),
    ];
    let disposition = prop_oneof![
        6 => (
            select(&["assets", "assets", "assets", "assets", "avatar", "", "assets\""][..]),
            prop_oneof![3 => select(&["a.png", "dir/b.png", "c.txt", "é/d.png"][..]).prop_map(str::to_owned), 2 => text_of(FILENAMES, 5)],
        )
            .prop_map(|(name, file)| format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n")),
        1 => Just("Content-Disposition: form-data; name=\"assets\"\r\n".to_owned()),
        1 => Just("Content-Disposition form-data name assets\r\n".to_owned()),
        1 => repeated(&["X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", "a"], 20_000),
    ];
    let extra = prop_oneof![
        4 => Just(String::new()),
        2 => Just("Content-Type: image/png\r\n".to_owned()),
        1 => Just("Content-Digest: sha-256=:not base64:\r\n".to_owned()),
        1 => Just("Content-Digest: sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:\r\n".to_owned()),
        1 => Just("Content-Disposition: form-data; name=\"assets\"; filename=\"twice.png\"\r\n".to_owned()),
        1 => text_of(&["\r\n", ":", "x", "\u{0}", "\u{ff}"], 6),
    ];
    let end_of_headers = prop_oneof![8 => Just("\r\n"), 1 => Just(""), 1 => Just("\n")];
    let data = prop_oneof![
        6 => text_of(DATA, 4).prop_map(String::into_bytes),
        2 => proptest::collection::vec(any::<u8>(), 0..600),
        1 => (0usize..4).prop_map(|k| vec![b'A'; [1 << 16, 1 << 18, 300_000, 1 << 20][k]]),
    ];
    (opening, disposition, extra, end_of_headers, data, any::<bool>())
        .prop_map(|(opening, disposition, extra, end, data, crlf)| {
            let mut part = format!("{opening}{disposition}{extra}{end}").into_bytes();
            part.extend_from_slice(&data);
            if crlf {
                part.extend_from_slice(b"\r\n");
            }
            part
        })
        .boxed()
}

impl Target for MultipartTarget {
    type Input = MultipartInput;

    fn name(&self) -> &'static str {
        "multipart"
    }

    fn strategy(&self) -> BoxedStrategy<MultipartInput> {
        let content_type = prop_oneof![
            16 => Just(ContentType::Multipart),
            1 => Just(ContentType::NoBoundary),
            1 => Just(ContentType::Json),
            1 => select(&[
                "multipart/form-data; boundary=",
                "multipart/form-data; boundary=\"a b\"",
                "multipart/mixed; boundary=fuzzBoundary7MA4YWxk",
                "text/plain",
                "multipart/form-data; boundary=fuzzBoundary7MA4YWxk; boundary=x",
            ][..])
            .prop_map(|c| ContentType::Other(c.to_owned())),
        ];
        let preamble = prop_oneof![
            8 => Just(Vec::new()),
            1 => text_of(&["preamble ", "\r\n", "--", "-"], 8).prop_map(String::into_bytes),
            1 => (0usize..2).prop_map(|k| vec![b'p'; [1 << 16, 1 << 20][k]]),
        ];
        let closing = prop_oneof![
            6 => Just(format!("--{BOUNDARY}--\r\n")),
            1 => Just(format!("--{BOUNDARY}--")),
            1 => Just(String::new()),
            1 => Just(format!("--{BOUNDARY}--\r\nepilogue")),
        ];
        let truncate = proptest::option::weighted(0.1, any::<proptest::sample::Index>());
        (content_type, preamble, proptest::collection::vec(part(), 0..4), closing, truncate)
            .prop_map(|(content_type, preamble, parts, closing, truncate)| {
                let mut body = preamble;
                for part in parts {
                    body.extend_from_slice(&part);
                }
                body.extend_from_slice(closing.as_bytes());
                if let Some(at) = truncate {
                    body.truncate(at.index(body.len() + 1));
                }
                MultipartInput { content_type, body: Bytes(body) }
            })
            .boxed()
    }

    /// A seed file is a body sent as `multipart/form-data; boundary=fuzzBoundary7MA4YWxk`; one
    /// whose first line is `content-type: …` is sent with that type instead.
    fn seed_inputs(&self, bytes: &[u8]) -> Vec<MultipartInput> {
        if let Some(rest) = bytes.strip_prefix(b"content-type: ")
            && let Some(end) = rest.iter().position(|&b| b == b'\n')
        {
            let content_type = String::from_utf8_lossy(&rest[..end]).trim_end().to_owned();
            return vec![MultipartInput {
                content_type: ContentType::Other(content_type),
                body: Bytes(rest[end + 1..].to_vec()),
            }];
        }
        vec![MultipartInput { content_type: ContentType::Multipart, body: Bytes(bytes.to_vec()) }]
    }

    fn check(&self, input: &MultipartInput) -> Result<(), String> {
        let session = self.session()?;
        let content_type = match &input.content_type {
            ContentType::Multipart => Some(format!("multipart/form-data; boundary={BOUNDARY}")),
            ContentType::NoBoundary => Some("multipart/form-data".to_owned()),
            ContentType::Json => Some("application/json".to_owned()),
            ContentType::Other(other) => Some(other.clone()),
        };
        self.runtime.block_on(async {
            let mut request = self
                .client
                .post(format!("{}/api/session/{session}/assets/upload", self.base))
                .header("x-api-key", KEY)
                .body(input.body.0.clone());
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let response = match request.send().await {
                Ok(response) => response,
                // A server may answer a large body early (a limit crossed, a bad header) and
                // close the connection while the client still writes: the client then sees a
                // broken pipe instead of the answer. Fine, if the server still answers.
                Err(e) if input.body.len() > EARLY_ANSWER_BYTES => {
                    let ping = self.client.get(format!("{}/api/ping", self.base)).header("x-api-key", KEY).send().await;
                    return match ping {
                        Ok(ping) if ping.status().is_success() => {
                            *self.answers.borrow_mut().entry("answered early".into()).or_default() += 1;
                            Ok(())
                        }
                        _ => Err(format!("no answer ({e}), and the server no longer answers /api/ping")),
                    };
                }
                Err(e) => return Err(format!("no answer: {e}")),
            };
            let status = response.status();
            let text = response.text().await.map_err(|e| format!("{status}: the body did not arrive: {e}"))?;
            let body: serde_json::Value = serde_json::from_str(&text)
                .map_err(|_| format!("{status}: not JSON: {}", crate::engine::shorten(&text, 300)))?;
            let key = format!("{} {}", status.as_u16(), body["code"].as_str().unwrap_or_default());
            *self.answers.borrow_mut().entry(key).or_default() += 1;
            if status.is_client_error() {
                let code = body["code"].as_str().unwrap_or_default();
                if code.is_empty() {
                    return Err(format!("{status} without a code: {body}"));
                }
            } else if !status.is_success() {
                return Err(format!("{status}: {body}"));
            }
            // The temp directory empties once the request is over.
            for _ in 0..100 {
                if files_under(&self.data.path().join("tmp")) == 0 {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(format!("{status}: temp files left behind: {}", files_under(&self.data.path().join("tmp"))))
        })
    }
}
