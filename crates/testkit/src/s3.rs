//! An S3 bucket for tests: a private s3s-fs, or an external server such as Garage.
//!
//! By default [`S3Server::start`] runs `s3s-fs` (an S3 server over a directory; `scripts/test.sh`
//! installs it) on a port of 127.0.0.1 that it picks itself, serving a fresh temp directory that
//! holds one bucket, with the credentials [`ACCESS_KEY`] and [`SECRET_KEY`]. It is killed, and its
//! directory removed, when dropped.
//!
//! When `VPS_TEST_S3_ENDPOINT` is set, nothing is started: the bucket is `VPS_TEST_S3_BUCKET` on
//! that server, with `VPS_TEST_S3_ACCESS_KEY`, `VPS_TEST_S3_SECRET_KEY` and `VPS_TEST_S3_REGION`
//! (default [`REGION`]). `scripts/test-garage.sh` runs the S3 tests this way against Garage.
//!
//! Either way each [`S3Server`] has a prefix of its own ([`S3Server::prefix`]); a test that keeps
//! its objects under it does not see those of another test sharing the bucket.
//!
//! ```no_run
//! use vps_testkit::s3;
//!
//! let Some(s3) = s3::start_or_skip("my_test") else { return };
//! println!("bucket {} at {}, under {}", s3.bucket(), s3.endpoint(), s3.prefix());
//! let server_env = s3.env(); // STORAGE=s3, S3_BUCKET, …, for a vps-publish server
//! ```

use std::env;
use std::fs::{self, File};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The access key of a private s3s-fs.
pub const ACCESS_KEY: &str = "vps-test-access-key";
/// The secret key of a private s3s-fs.
pub const SECRET_KEY: &str = "vps-test-secret-key";
/// The region of a private s3s-fs (which accepts any), and of an external server by default.
pub const REGION: &str = "us-east-1";

/// The bucket of a private s3s-fs.
const BUCKET: &str = "vps-test";
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// What s3s-fs logs once it listens, followed by the address (`s3s-fs` 0.14, `main.rs`).
const LISTENING: &str = "server is running at http://";
const INSTALL: &str = "cargo install s3s-fs --version 0.14.1 --features binary --locked";

/// A bucket, and the prefix that is this value's own within it.
pub struct S3Server {
    endpoint: String,
    bucket: String,
    prefix: String,
    access_key: String,
    secret_key: String,
    region: String,
    /// The private s3s-fs, when not external.
    local: Option<Local>,
}

/// s3s-fs and its directory: the bucket's root and its log.
struct Local {
    child: Child,
    /// Removed when dropped, after [`S3Server`]'s `drop` has killed s3s-fs.
    _dir: TempDir,
}

/// [`S3Server::start`], or `None` after printing `SKIP <test>: <why>` when s3s-fs is missing or
/// does not start; with `CI=true` it panics instead.
pub fn start_or_skip(test: &str) -> Option<S3Server> {
    match S3Server::start() {
        Ok(server) => Some(server),
        Err(message) if env::var("CI").is_ok_and(|ci| ci == "true") => panic!("CI=true and {message}"),
        Err(message) => {
            println!("SKIP {test}: {message}");
            None
        }
    }
}

impl S3Server {
    /// The external server of `VPS_TEST_S3_*` when `VPS_TEST_S3_ENDPOINT` is set; else starts
    /// s3s-fs and waits (at most 30 s) until it listens. Err when s3s-fs is missing or does not
    /// start, or a `VPS_TEST_S3_*` variable is missing; the caller decides to skip.
    pub fn start() -> Result<S3Server, String> {
        match env::var("VPS_TEST_S3_ENDPOINT") {
            Ok(endpoint) => Self::external(endpoint),
            Err(_) => Self::local(),
        }
    }

    /// `http://127.0.0.1:PORT` for s3s-fs, else `VPS_TEST_S3_ENDPOINT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bucket to use (it exists already).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// `test-<random>/`, unique to this value.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The access key id to sign requests with.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret access key to sign requests with.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The region to sign requests for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// A client of the bucket, to look at its keys behind a server's back: path-style requests,
    /// as s3s-fs and Garage on 127.0.0.1 have no bucket host names.
    pub fn client(&self) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(self.endpoint())
            .with_bucket_name(self.bucket())
            .with_region(self.region())
            .with_access_key_id(self.access_key())
            .with_secret_access_key(self.secret_key())
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .build()
            .expect("a client of a bucket on an http:// endpoint")
    }

    /// The key of `name` under this server's prefix.
    pub fn key(&self, name: &str) -> object_store::path::Path {
        object_store::path::Path::from(format!("{}{name}", self.prefix()))
    }

    /// The environment a vps-publish server needs to keep its data under this bucket's prefix.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("STORAGE", "s3"),
            ("S3_BUCKET", self.bucket()),
            ("S3_PREFIX", self.prefix()),
            ("S3_ENDPOINT", self.endpoint()),
            ("S3_REGION", self.region()),
            // s3s-fs and a Garage of the test script speak plain HTTP on loopback.
            ("S3_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", self.access_key()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    fn external(endpoint: String) -> Result<S3Server, String> {
        let var = |name: &str| {
            env::var(name).map_err(|_| format!("VPS_TEST_S3_ENDPOINT is set but {name} is not (or is not UTF-8)"))
        };
        Ok(S3Server {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            bucket: var("VPS_TEST_S3_BUCKET")?,
            prefix: unique_prefix(),
            access_key: var("VPS_TEST_S3_ACCESS_KEY")?,
            secret_key: var("VPS_TEST_S3_SECRET_KEY")?,
            region: var("VPS_TEST_S3_REGION").unwrap_or_else(|_| REGION.to_owned()),
            local: None,
        })
    }

    fn local() -> Result<S3Server, String> {
        let program = s3s_fs().ok_or_else(|| format!("s3s-fs is missing ({INSTALL})"))?;
        let dir = tempfile::Builder::new()
            .prefix("vps-s3s-fs-")
            .tempdir()
            .map_err(|e| format!("cannot create s3s-fs's directory: {e}"))?;
        // The log beside the root, not in it: s3s-fs would see it as a bucket's file.
        let root = dir.path().join("root");
        // s3s-fs keeps a bucket as a directory of its root.
        fs::create_dir_all(root.join(BUCKET)).map_err(|e| format!("cannot create the bucket's directory: {e}"))?;
        let log_path = dir.path().join("s3s-fs.log");
        let log = File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let log_too = log.try_clone().map_err(|e| e.to_string())?;
        // Port 0: s3s-fs binds a free port and logs it (at `info`), so no other process can take
        // the port between our choice and its bind.
        let child = Command::new(&program)
            .args(["--host", "127.0.0.1", "--port", "0", "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&root)
            .env("RUST_LOG", "s3s_fs=info")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_too)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let mut local = Local { child, _dir: dir };
        let address = wait_until_listening(&mut local.child, &log_path)?;
        Ok(S3Server {
            endpoint: format!("http://{address}"),
            bucket: BUCKET.to_owned(),
            prefix: unique_prefix(),
            access_key: ACCESS_KEY.to_owned(),
            secret_key: SECRET_KEY.to_owned(),
            region: REGION.to_owned(),
            local: Some(local),
        })
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(local) = &mut self.local {
            let _ = local.child.kill();
            let _ = local.child.wait();
        }
    }
}

/// `S3S_FS`, else `s3s-fs` on `PATH`, else in `~/.cargo/bin` (where `cargo install` puts it,
/// often not on the `PATH` of a test run).
fn s3s_fs() -> Option<PathBuf> {
    if let Some(path) = env::var_os("S3S_FS") {
        return Some(PathBuf::from(path));
    }
    let path = env::var_os("PATH").unwrap_or_default();
    let cargo_bin = env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/bin"));
    env::split_paths(&path).chain(cargo_bin).map(|dir| dir.join("s3s-fs")).find(|program| program.is_file())
}

/// The `host:port` that s3s-fs logs once it listens, when it also accepts a connection there.
/// Kills it when it does not within [`START_TIMEOUT`].
fn wait_until_listening(child: &mut Child, log_path: &Path) -> Result<String, String> {
    let deadline = Instant::now() + START_TIMEOUT;
    let failure = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break format!("s3s-fs exited with {status} before listening");
        }
        let log = fs::read_to_string(log_path).unwrap_or_default();
        if let Some(address) = listening_address(&log)
            && TcpStream::connect(address).is_ok()
        {
            return Ok(address.to_owned());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break format!("s3s-fs did not listen within {START_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = fs::read_to_string(log_path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!("{failure}; its output ends with:\n{}", tail.join("\n")))
}

/// The address of the [`LISTENING`] line, once that line is whole.
fn listening_address(log: &str) -> Option<&str> {
    let (_, rest) = log.split_once(LISTENING)?;
    let (address, _) = rest.split_once('\n')?;
    Some(address.trim())
}

fn unique_prefix() -> String {
    format!("test-{}/", crate::uuid_like())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_read_from_the_log_line() {
        let log =
            "  2026-01-05T10:00:00Z  INFO s3s_fs: server is running at http://127.0.0.1:40123\n    at main.rs:116\n";
        assert_eq!(listening_address(log), Some("127.0.0.1:40123"));
        assert_eq!(listening_address("  INFO s3s_fs: authentication is enabled\n"), None);
        // Not yet whole: the port may still be cut short.
        assert_eq!(listening_address("INFO s3s_fs: server is running at http://127.0.0.1:40"), None);
    }
}
