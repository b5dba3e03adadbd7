//! The real `vps-publish serve`, run as a child process on a free loopback port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::Result;

const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The release build of the server, next to the running executable.
pub fn server_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let binary = exe.parent().ok_or("this executable has no parent directory")?.join("vps-publish");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "the server binary {} is missing; build it first: cargo build --release -p vps-publish -p vps-bench",
            binary.display()
        )
        .into())
    }
}

/// A running `vps-publish serve`; killed when dropped without [`Server::stop`].
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing `/`.
    pub base_url: String,
}

impl Server {
    /// Starts `binary serve` on 127.0.0.1 with a free port and `data_dir`, and waits until it logs
    /// `listening on http://…`. Its environment is cleared but for `API_KEY`, `RUST_LOG=info` and
    /// `env`. The log before that line is echoed (so that a failed start shows why); after it,
    /// warnings, errors and lines that are not log lines (a panic, an abort).
    pub fn start(binary: &Path, data_dir: &Path, api_key: &str, env: &[(&str, &str)]) -> Result<Self> {
        let mut command = Command::new(binary);
        command
            .args(["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .env_clear()
            .env("API_KEY", api_key)
            .env("RUST_LOG", "info");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stderr = child.stderr.take().ok_or("the server's stderr is not piped")?;
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || watch_stderr(stderr, sender));
        let mut server = Self { child, base_url: String::new() };
        let address = receiver.recv_timeout(START_TIMEOUT).map_err(|e| match e {
            RecvTimeoutError::Timeout => format!("the server did not log 'listening on' within {START_TIMEOUT:?}"),
            RecvTimeoutError::Disconnected => "the server stopped before listening (its log is above)".to_owned(),
        })?;
        server.base_url = format!("http://{address}");
        Ok(server)
    }

    /// `VmHWM`: the most resident memory the server has had since it started.
    pub fn peak_rss_mib(&self) -> Result<f64> {
        crate::peak_rss_mib(Some(self.child.id()))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file descriptors the server has open now.
    pub fn open_fds(&self) -> Result<usize> {
        crate::open_fds(self.child.id())
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn stop(mut self) -> Result<()> {
        let pid = self.child.id().to_string();
        if !Command::new("kill").args(["-TERM", &pid]).status()?.success() {
            return Err(format!("kill -TERM {pid} failed").into());
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return if status.success() { Ok(()) } else { Err(format!("the server exited with {status}").into()) };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("the server did not stop within {STOP_TIMEOUT:?} of SIGTERM").into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Nothing to do when it has stopped already; otherwise an error cut the run short.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends the server's address once it logs it, echoing the log before it; afterwards echoes only
/// what says something went wrong — warnings, errors, and any line that is not a log line (a
/// panic, an abort, an allocation failure) — and reads the rest away, so that the server never
/// blocks on a full pipe.
fn watch_stderr(stderr: ChildStderr, listening: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    let mut listening = Some(listening);
    while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
        let text = String::from_utf8_lossy(&line);
        let echo = match &listening {
            Some(sender) => match text.split_once("listening on http://") {
                Some((_, address)) => {
                    let _ = sender.send(address.trim().to_owned());
                    listening = None;
                    false
                }
                None => true,
            },
            None => {
                let log_line = text.as_bytes().first().is_some_and(u8::is_ascii_digit);
                !log_line || text.contains(" WARN ") || text.contains(" ERROR ")
            }
        };
        if echo {
            eprint!("  server: {text}");
        }
        line.clear();
    }
}
