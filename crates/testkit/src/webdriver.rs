//! A small W3C WebDriver client for headless Chromium, over HTTP with reqwest and serde_json.
//!
//! [`Chromedriver`] runs `chromedriver` on a loopback port chosen at run time and kills it (and
//! the browsers it started, its whole process group) when dropped. [`Browser`] is one session:
//! navigate, run a script, take a screenshot, read the browser's console log, send a DevTools
//! command. Its session is deleted when it is dropped, so a failing test leaves no browser behind.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vps_testkit::webdriver::WebDriverError> {
//! use std::path::Path;
//! use vps_testkit::webdriver::{Browser, Chromedriver};
//!
//! let driver = Chromedriver::start(Path::new("/usr/bin/chromedriver"))?;
//! let browser = Browser::chromium(&driver, Path::new("/usr/bin/chromium")).await?;
//! browser.navigate("http://127.0.0.1:3000/").await?;
//! let title = browser.execute("return document.title", serde_json::json!([])).await?;
//! let png = browser.screenshot().await?;
//! browser.delete().await?;
//! # Ok(()) }
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use tempfile::TempDir;

const START_TIMEOUT: Duration = Duration::from_secs(20);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const PORT_LINE: &str = "started successfully on port ";

/// Why chromedriver could not be started or a WebDriver command failed.
#[derive(Debug, thiserror::Error)]
pub enum WebDriverError {
    /// The chromedriver binary could not be run.
    #[error("cannot start {binary}: {source}")]
    Spawn {
        /// The binary's path.
        binary: String,
        /// What the system answered.
        #[source]
        source: std::io::Error,
    },
    /// chromedriver exited or stayed silent before printing its port; carries what happened.
    #[error("chromedriver did not report its port: {0}")]
    NoPort(String),
    /// Reading chromedriver's output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A command never got an answer (connection refused, timeout…).
    #[error("{command}: {source}")]
    Http {
        /// The command, in words (`new session`, `execute script`…).
        command: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The driver answered with a W3C error (`{"value":{"error","message"}}`).
    #[error("{command}: {status} {error}: {message}")]
    Command {
        /// The command, in words.
        command: String,
        /// The HTTP status of the answer.
        status: u16,
        /// The W3C error code (`no such element`, `javascript error`…).
        error: String,
        /// The driver's explanation.
        message: String,
    },
    /// The driver's answer is not of the shape the command expects.
    #[error("{command}: unexpected answer {answer}")]
    Answer {
        /// The command, in words.
        command: String,
        /// The answer as received.
        answer: String,
    },
}

/// A running chromedriver; killed with its process group when dropped.
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    /// Starts `binary --port=0` and reads the port it chose from its output (no race). Should a
    /// driver not support port 0, falls back to a port that a `127.0.0.1:0` listener was given
    /// and then released: another process could take it in between, a small race that only
    /// makes the start fail.
    pub fn start(binary: &Path) -> Result<Self, WebDriverError> {
        match Self::spawn(binary, 0) {
            Ok(driver) => Ok(driver),
            Err(WebDriverError::NoPort(_)) => {
                let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
                Self::spawn(binary, port)
            }
            Err(other) => Err(other),
        }
    }

    fn spawn(binary: &Path, port: u16) -> Result<Self, WebDriverError> {
        let mut child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group: dropping the driver kills the browsers it started too.
            .process_group(0)
            .spawn()
            .map_err(|source| WebDriverError::Spawn { binary: binary.display().to_string(), source })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut seen = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|read| read > 0) {
                seen.push_str(&line);
                if let Some(rest) = line.split_once(PORT_LINE).map(|(_, rest)| rest) {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = sender.send(digits.parse::<u16>().map_err(|_| seen.clone()));
                    // Keep reading, so that the driver never blocks on a full pipe.
                    let _ = std::io::copy(&mut reader, &mut std::io::sink());
                    return;
                }
                line.clear();
            }
            let _ = sender.send(Err(seen));
        });
        let mut driver = Self { child, port };
        match receiver.recv_timeout(START_TIMEOUT) {
            Ok(Ok(reported)) if reported != 0 => driver.port = reported,
            Ok(Ok(_)) => return Err(WebDriverError::NoPort("it reported port 0".into())),
            Ok(Err(output)) => return Err(WebDriverError::NoPort(format!("it exited; output: {output:?}"))),
            Err(_) => return Err(WebDriverError::NoPort(format!("nothing within {START_TIMEOUT:?}"))),
        }
        Ok(driver)
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group id is the driver's pid (process_group(0)): this ends the driver and every
        // browser process it started, and nothing else.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The capabilities of a headless Chromium session with a fresh profile in `profile`.
pub fn chromium_capabilities(chromium: &Path, profile: &Path) -> Value {
    json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,900",
            ],
        },
        "goog:loggingPrefs": {"browser": "ALL"},
        "timeouts": {"pageLoad": 30_000, "script": 30_000, "implicit": 0},
    })
}

/// One entry of the browser's console log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// The logged text (for console calls, prefixed by the script's URL and position).
    pub message: String,
    /// Where it comes from: `console-api`, `javascript`, `network`…
    pub source: String,
}

/// One WebDriver session; deleted when dropped.
pub struct Browser {
    client: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    session_url: String,
    driver_port: u16,
    id: String,
    deleted: bool,
    /// The browser's profile; removed after the session is deleted.
    _profile: Option<TempDir>,
}

impl Browser {
    /// A headless Chromium session with a fresh profile in a temp dir.
    pub async fn chromium(driver: &Chromedriver, chromium: &Path) -> Result<Self, WebDriverError> {
        let profile = tempfile::Builder::new().prefix("vps-chromium-").tempdir()?;
        let capabilities = chromium_capabilities(chromium, profile.path());
        let mut browser = Self::new(driver, capabilities).await?;
        browser._profile = Some(profile);
        Ok(browser)
    }

    /// A session with these `alwaysMatch` capabilities.
    pub async fn new(driver: &Chromedriver, capabilities: Value) -> Result<Self, WebDriverError> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|source| WebDriverError::Http { command: "client".into(), source })?;
        let body = json!({"capabilities": {"alwaysMatch": capabilities}});
        let value = send("new session", client.post(format!("{}/session", driver.url())).json(&body)).await?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| WebDriverError::Answer { command: "new session".into(), answer: value.to_string() })?
            .to_owned();
        Ok(Self {
            session_url: format!("{}/session/{id}", driver.url()),
            driver_port: driver.port,
            client,
            id,
            deleted: false,
            _profile: None,
        })
    }

    /// The session id the driver gave.
    pub fn id(&self) -> &str {
        &self.id
    }

    async fn post(&self, command: &str, path: &str, body: Value) -> Result<Value, WebDriverError> {
        send(command, self.client.post(format!("{}{path}", self.session_url)).json(&body)).await
    }

    async fn get(&self, command: &str, path: &str) -> Result<Value, WebDriverError> {
        send(command, self.client.get(format!("{}{path}", self.session_url))).await
    }

    /// Loads `url` and waits for it (the page load strategy `normal`: until `load`).
    pub async fn navigate(&self, url: &str) -> Result<(), WebDriverError> {
        self.post(&format!("navigate to {url}"), "/url", json!({"url": url})).await.map(drop)
    }

    /// Runs `script` as a function body with `arguments`; its return value.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value, WebDriverError> {
        self.post("execute script", "/execute/sync", json!({"script": script, "args": args})).await
    }

    /// The viewport as PNG bytes.
    pub async fn screenshot(&self) -> Result<Vec<u8>, WebDriverError> {
        let value = self.get("screenshot", "/screenshot").await?;
        let answer = || WebDriverError::Answer { command: "screenshot".into(), answer: value.to_string() };
        let encoded = value.as_str().ok_or_else(answer)?;
        BASE64.decode(encoded).map_err(|_| answer())
    }

    /// The console entries logged since the last call (chromedriver's `se/log`, which drains).
    pub async fn browser_log(&self) -> Result<Vec<LogEntry>, WebDriverError> {
        let value = self.post("browser log", "/se/log", json!({"type": "browser"})).await?;
        let entries = value
            .as_array()
            .ok_or_else(|| WebDriverError::Answer { command: "browser log".into(), answer: value.to_string() })?;
        let text = |entry: &Value, key: &str| entry[key].as_str().unwrap_or_default().to_owned();
        Ok(entries
            .iter()
            .map(|entry| LogEntry {
                level: text(entry, "level"),
                message: text(entry, "message"),
                source: text(entry, "source"),
            })
            .collect())
    }

    /// A Chrome DevTools Protocol command (`Emulation.setEmulatedMedia`, …).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value, WebDriverError> {
        self.post(&format!("cdp {cmd}"), "/goog/cdp/execute", json!({"cmd": cmd, "params": params})).await
    }

    /// Ends the session: the browser quits.
    pub async fn delete(mut self) -> Result<(), WebDriverError> {
        self.deleted = true;
        send("delete session", self.client.delete(&self.session_url)).await.map(drop)
    }
}

impl Drop for Browser {
    /// A test that failed never reached [`Browser::delete`]: delete the session with a plain
    /// blocking request (no runtime is needed in `drop`), so that the browser quits cleanly.
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.driver_port)) else { return };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.id, self.driver_port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let _ = stream.read_to_end(&mut Vec::new());
        }
    }
}

/// Sends a command; its `value`, or the W3C error it answered.
async fn send(command: &str, request: reqwest::RequestBuilder) -> Result<Value, WebDriverError> {
    let http = |source| WebDriverError::Http { command: command.to_owned(), source };
    let response = request.send().await.map_err(http)?;
    let status = response.status();
    let text = response.text().await.map_err(http)?;
    let mut body: Value = serde_json::from_str(&text)
        .map_err(|_| WebDriverError::Answer { command: command.to_owned(), answer: text.clone() })?;
    let value = body["value"].take();
    if !status.is_success() || value.get("error").is_some_and(Value::is_string) {
        return Err(WebDriverError::Command {
            command: command.to_owned(),
            status: status.as_u16(),
            error: value["error"].as_str().unwrap_or("?").to_owned(),
            message: value["message"].as_str().unwrap_or(&text).chars().take(2000).collect(),
        });
    }
    Ok(value)
}
