//! nginx serving a directory of static files, as the baseline the reader benchmarks compare the
//! server with.
//!
//! [`StaticNginx::start`] runs [`vps_testkit::nginx::NGINX`] (Debian's nginx) in the foreground
//! with a master process and `worker_processes auto` (one worker per core, as a production nginx
//! runs; `user root` when this runs as root, so that the workers read the temp directory), its
//! own prefix directory (config, pid file, error log, temp paths) and:
//!
//! ```text
//! access_log off; sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 1000000;
//! root <root>; default_type text/html; charset utf-8;
//! gzip_static on; gzip_vary on;            # FILE.gz beside FILE, sent when gzip is accepted
//! brotli_static on;                        # only with the Debian module (FILE.br), see below
//! location /_blob/ { default_type image/png; }
//! ```
//!
//! No access log and a practically unlimited keep-alive make nginx as fast as it gets: the
//! baseline is a strong one. `brotli_static` needs `libnginx-mod-http-brotli-static`
//! ([`brotli_module`] installs it with apt-get when missing and possible); without it nginx
//! answers a browser's `br` with its `.gz`.
//!
//! The testkit's [`vps_testkit::nginx::Nginx`] runs the shipped proxy configuration; this one
//! serves files, so it has a config of its own. nginx cannot listen on port 0: a free port is
//! found, released and handed to it, and the start is tried again on another when it was taken
//! meanwhile.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use vps_testkit::nginx::NGINX;

use crate::Result;

/// Where Debian's `libnginx-mod-http-brotli-static` installs its module.
pub const BROTLI_STATIC_MODULE: &str = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so";
const BROTLI_PACKAGE: &str = "libnginx-mod-http-brotli-static";
const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const PORT_ATTEMPTS: usize = 3;

/// The brotli_static module, installed with apt-get when missing and possible; Err says why not.
pub fn brotli_module() -> std::result::Result<PathBuf, String> {
    crate::apt_install_if(|| Path::new(BROTLI_STATIC_MODULE).is_file(), BROTLI_PACKAGE)?;
    Ok(PathBuf::from(BROTLI_STATIC_MODULE))
}

/// nginx (Debian `nginx-light` or `nginx`), installed with apt-get when missing and possible.
pub fn ensure_nginx() -> std::result::Result<(), String> {
    let present = || Path::new(NGINX).is_file();
    crate::apt_install_if(present, "nginx-light")
        .or_else(|_| crate::apt_install_if(present, "nginx"))
        .map_err(|why| format!("{NGINX} is missing: {why}"))
}

/// A running nginx over a root directory; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct StaticNginx {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

impl StaticNginx {
    /// Starts nginx serving `root`, with `brotli_static` when `brotli` names the module.
    pub fn start(root: &Path, brotli: Option<&Path>) -> Result<Self> {
        let mut failure = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let dir = tempfile::Builder::new().prefix("vps-bench-nginx-").tempdir()?;
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            fs::write(dir.path().join("nginx.conf"), config(dir.path(), port, root, brotli))?;
            fs::create_dir(dir.path().join("temp"))?;
            let mut nginx = Self { dir, port, child: None };
            match nginx.spawn() {
                Ok(()) => return Ok(nginx),
                Err(why) => failure = why,
            }
        }
        Err(failure.into())
    }

    /// `http://127.0.0.1:PORT`, without a trailing `/`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The master's process id and its workers' (the processes whose parent it is), for their
    /// CPU time; empty once stopped.
    pub fn pids(&self) -> Vec<u32> {
        let Some(master) = self.child.as_ref().map(Child::id) else { return Vec::new() };
        let parent_of = |pid: u32| -> Option<u32> {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid …`: comm may hold spaces and parentheses; it ends at the last `)`.
            stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
        };
        let workers = fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| parent_of(pid) == Some(master));
        std::iter::once(master).chain(workers).collect()
    }

    /// What it logged (`error_log` at `warn`).
    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    fn spawn(&mut self) -> std::result::Result<(), String> {
        let dir = self.dir.path();
        let mut child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {NGINX}: {e}"))?;
        let pid_file = dir.join("nginx.pid");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("nginx exited with {status} before listening: {}", self.error_log()));
            }
            // The pid file is written once the sockets are bound: the port is then nginx's.
            let written = fs::read_to_string(&pid_file).is_ok_and(|pid| pid.trim() == child.id().to_string());
            if written && TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                self.child = Some(child);
                self.stop();
                return Err(format!("nginx did not listen within {START_TIMEOUT:?}: {}", self.error_log()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM to the master (which stops its workers), SIGKILL when it does not exit in time.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for StaticNginx {
    fn drop(&mut self) {
        self.stop();
    }
}

fn config(dir: &Path, port: u16, root: &Path, brotli: Option<&Path>) -> String {
    let path = |name: &str| dir.join(name).display().to_string();
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { libc::geteuid() } == 0 { "user root;\n" } else { "" };
    let (load, brotli_on) = match brotli {
        Some(module) => (format!("load_module {};\n", module.display()), "        brotli_static on;\n"),
        None => (String::new(), ""),
    };
    format!(
        "# Written by vps_bench::static_nginx for one run.\n\
         {load}{user}daemon off;\n\
         worker_processes auto;\n\
         pid {pid};\n\
         error_log {error} warn;\n\
         events {{\n    worker_connections 4096;\n}}\n\
         http {{\n\
         \x20   access_log off;\n\
         \x20   sendfile on;\n\
         \x20   tcp_nopush on;\n\
         \x20   tcp_nodelay on;\n\
         \x20   keepalive_timeout 65;\n\
         \x20   keepalive_requests 1000000;\n\
         \x20   client_body_temp_path {temp}/client_body;\n\
         \x20   proxy_temp_path {temp}/proxy;\n\
         \x20   fastcgi_temp_path {temp}/fastcgi;\n\
         \x20   uwsgi_temp_path {temp}/uwsgi;\n\
         \x20   scgi_temp_path {temp}/scgi;\n\
         \x20   server {{\n\
         \x20       listen 127.0.0.1:{port};\n\
         \x20       root {root};\n\
         \x20       default_type text/html;\n\
         \x20       charset utf-8;\n\
         \x20       gzip_static on;\n\
         \x20       gzip_vary on;\n\
         {brotli_on}\
         \x20       location /_blob/ {{\n\
         \x20           default_type image/png;\n\
         \x20           charset off;\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n",
        pid = path("nginx.pid"),
        error = path("error.log"),
        temp = path("temp"),
        root = root.display(),
    )
}
