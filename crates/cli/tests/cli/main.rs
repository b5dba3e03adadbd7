//! Tests of the `vps-publish` binary itself: what an operator sees when starting and stopping it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

mod access;
mod crash;
mod migrate;
mod nginx;
mod operator;
mod publish;
mod scripts;
mod verify;

const BIN: &str = env!("CARGO_BIN_EXE_vps-publish");

/// A server process; its stderr lines arrive on `log`, all of them kept in `seen`.
pub struct Server {
    child: Child,
    pub port: u16,
    log: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .env_remove("API_KEY")
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the binary starts");
        let (sender, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut server = Server { child, port: 0, log, seen: Vec::new() };
        let line = server.wait_for_line("listening on");
        server.port = line.rsplit(':').next().unwrap().trim().parse().expect("a port at the end of the line");
        server
    }

    fn wait_for_line(&mut self, needle: &str) -> String {
        loop {
            let line = self
                .log
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no log line with {needle:?}: {:?}", self.seen));
            self.seen.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit; returns its exit code, stdout and every stderr line.
    pub fn wait(mut self) -> (Option<i32>, String, Vec<String>) {
        let status = self.child.wait().unwrap();
        let mut stdout = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
        let mut seen = std::mem::take(&mut self.seen);
        seen.extend(self.log.try_iter());
        (status.code(), stdout, seen)
    }
}

/// A test that fails half-way must not leave its server running.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request over a fresh connection; answers the status and the body.
fn request(port: u16, method: &str, path: &str, key: &str, body: &str) -> (u16, String) {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        socket,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    read_answer(socket)
}

fn read_answer(mut socket: TcpStream) -> (u16, String) {
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

fn session_id(port: u16, key: &str) -> String {
    let (status, body) = request(port, "POST", "/api/session/start", key, "{}");
    assert_eq!(status, 201, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    body["sessionId"].as_str().unwrap().to_owned()
}

#[test]
fn first_start_prints_the_generated_key_once_and_never_logs_it() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path(), &[]);
    let key_file = std::fs::read_to_string(data.path().join("api-key")).unwrap();
    let key = key_file.trim().to_owned();
    assert_eq!(request(server.port, "GET", "/api/ping", &key, "").0, 200);
    assert_eq!(request(server.port, "GET", "/api/ping", "wrong-key-000000", "").0, 403);
    server.wait_for_line("request refused");
    server.signal("-TERM");
    let (code, stdout, log) = server.wait();
    assert_eq!(code, Some(0));
    assert_eq!(stdout.matches(&key).count(), 1, "shown once: {stdout}");
    assert_eq!(log.iter().filter(|line| line.contains("listening on http://127.0.0.1:")).count(), 1);
    assert!(log.iter().all(|line| !line.contains(&key)), "the key is in the log: {log:?}");

    let server = Server::start(data.path(), &[]);
    server.signal("-INT");
    let (code, stdout, _) = server.wait();
    assert_eq!(code, Some(0));
    assert!(!stdout.contains(&key), "not shown again: {stdout}");
}

#[test]
fn an_upload_in_flight_at_sigterm_is_allowed_to_finish() {
    let data = tempfile::tempdir().unwrap();
    let key = "graceful-test-key-1";
    let mut server = Server::start(data.path(), &[("API_KEY", key), ("SHUTDOWN_GRACE_SECS", "20")]);
    let session = session_id(server.port, key);

    let boundary = "b0undary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"assets\"; filename=\"slow.png\"\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    body.extend(std::iter::repeat_n(7u8, 2 * 1024 * 1024));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut socket = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        socket,
        "POST /api/session/{session}/assets/upload HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\ncontent-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    socket.write_all(first).unwrap();

    server.signal("-TERM");
    server.wait_for_line("SIGTERM received");
    thread::sleep(Duration::from_millis(300));
    socket.write_all(rest).unwrap();
    let (status, answer) = read_answer(socket);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"status\":\"stored\""), "{answer}");

    let (code, _, _) = server.wait();
    assert_eq!(code, Some(0));
}

#[test]
fn print_config_shows_merged_settings_with_the_key_redacted() {
    let output = Command::new(BIN)
        .args(["serve", "--print-config", "--port", "4321"])
        .env("API_KEY", "very-secret-key-42")
        .env("PORT", "9999")
        .env("MAX_ASSET_SIZE_BYTES", "5mb")
        .output()
        .unwrap();
    assert!(output.status.success());
    let shown = String::from_utf8(output.stdout).unwrap();
    assert!(shown.contains("port = 4321"), "the flag wins over PORT: {shown}");
    assert!(shown.contains("max_asset_size_bytes = 5242880"), "{shown}");
    assert!(shown.contains("api_key = \"<redacted>\""), "{shown}");
    assert!(!shown.contains("very-secret"), "{shown}");
}

#[test]
fn a_bad_setting_exits_with_code_2_and_names_it() {
    let output = Command::new(BIN).args(["serve"]).env("PORT", "eighty").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("environment variable PORT: `eighty` is not a port number"), "{stderr}");
}

/// Waits for a child while reading its output, and answers its peak resident set size in KiB
/// (`ru_maxrss` from `wait4`, which the kernel keeps per child).
pub fn wait_with_peak_rss(mut child: std::process::Child) -> (std::process::Output, u64) {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut buffer = Vec::new();
        stdout.read_to_end(&mut buffer).unwrap();
        buffer
    });
    let err = thread::spawn(move || {
        let mut buffer = Vec::new();
        stderr.read_to_end(&mut buffer).unwrap();
        buffer
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 only writes into the two out-parameters.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let status = std::os::unix::process::ExitStatusExt::from_raw(status);
    let output = std::process::Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
    (output, usage.ru_maxrss as u64)
}
