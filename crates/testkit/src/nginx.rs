//! A private nginx in front of a server under test, configured by the shipped config.
//!
//! [`Nginx::start`] runs `/usr/sbin/nginx` (Debian's `nginx`; `scripts/test.sh` installs it) in
//! the foreground, as one process (`master_process off`: no worker to switch to another user,
//! so it runs as whoever runs the tests, root in CI), with a prefix directory of its own in a
//! temp directory: its config, pid file, error and access logs, and temp paths. Its `http` block
//! includes the repository's `deploy/nginx/vps-publish.conf` ([`SHIPPED`]), rendered by
//! [`render`] with three substitutions only: the port it listens on, the server's port, and
//! `client_max_body_size`. It is killed when dropped.
//!
//! nginx cannot listen on port 0 (it refuses the port) nor take over a listening socket in
//! single-process mode, so a free port is chosen, released and handed to nginx; when another
//! process takes it meanwhile, nginx fails to bind and the start is tried again on another.
//!
//! [`Nginx::start_prefixed`] runs the site under a path prefix instead: the shipped
//! `deploy/nginx/vps-publish-prefix.conf` ([`SHIPPED_PREFIX`], `location /notes/ …`) in either
//! [`PrefixForm`], inside a server block that answers 404 outside the prefix.
//!
//! ```no_run
//! use vps_testkit::nginx;
//!
//! let app_port = 3000; // the server under test
//! let Some(proxy) = nginx::start_or_skip("my_test", app_port, nginx::SHIPPED_BODY_LIMIT) else { return };
//! println!("the server behind nginx at {}", proxy.base_url());
//! ```

use std::fs::{self, File};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Where Debian's `nginx` package installs nginx.
pub const NGINX: &str = "/usr/sbin/nginx";
/// The nginx configuration shipped for operators, as the tests run it.
pub const SHIPPED: &str = include_str!("../../../deploy/nginx/vps-publish.conf");
/// `client_max_body_size` of `/api/` in [`SHIPPED`].
pub const SHIPPED_BODY_LIMIT: &str = "1100m";

/// The lines of [`SHIPPED`] that [`render`] replaces, each present exactly once.
const LISTEN: &str = "listen 80;";
const UPSTREAM: &str = "server 127.0.0.1:3000;";
const BODY_LIMIT: &str = "client_max_body_size 1100m;";

const START_TIMEOUT: Duration = Duration::from_secs(30);
/// A running nginx of its own; killed when dropped.
pub struct Nginx {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

/// [`Nginx::start`], or `None` after printing `SKIP <test>: <why>` when nginx is missing or
/// does not start; with `CI=true` it panics instead.
pub fn start_or_skip(test: &str, app_port: u16, body_limit: &str) -> Option<Nginx> {
    match Nginx::start(app_port, body_limit) {
        Ok(nginx) => Some(nginx),
        Err(message) if std::env::var("CI").is_ok_and(|ci| ci == "true") => panic!("CI=true and {message}"),
        Err(message) => {
            println!("SKIP {test}: {message}");
            None
        }
    }
}

/// [`SHIPPED`] listening on 127.0.0.1:`port`, proxying to 127.0.0.1:`app_port`, with
/// `client_max_body_size` of `/api/` set to `body_limit` (nginx's syntax: `64k`, `1100m`).
/// Err when a line to replace is not in the shipped file exactly once.
pub fn render(port: u16, app_port: u16, body_limit: &str) -> Result<String, String> {
    let mut config = SHIPPED.to_owned();
    for (line, by) in [
        (LISTEN, format!("listen 127.0.0.1:{port};")),
        (UPSTREAM, format!("server 127.0.0.1:{app_port};")),
        (BODY_LIMIT, format!("client_max_body_size {body_limit};")),
    ] {
        let found = config.matches(line).count();
        if found != 1 {
            return Err(format!("deploy/nginx/vps-publish.conf has `{line}` {found} times, not once"));
        }
        config = config.replace(line, &by);
    }
    Ok(config)
}

/// The shipped nginx lines for the site under a path prefix (`location /notes/ …` in two forms,
/// the API and events under it), as the tests run them.
pub const SHIPPED_PREFIX: &str = include_str!("../../../deploy/nginx/vps-publish-prefix.conf");
/// The prefix [`SHIPPED_PREFIX`] is written for.
const SHIPPED_PREFIX_PATH: &str = "/notes";
/// Form 1 of [`SHIPPED_PREFIX`], active as shipped, and form 2, commented out as shipped.
const FORM_STRIPS: &str = "location /notes/ {\n    proxy_pass http://vps_publish/;\n}\n";
const FORM_KEEPS_COMMENTED: &str = "# location /notes/ {\n#     proxy_pass http://vps_publish;\n# }\n";

/// How a `location /<prefix>/` block hands a request to the server: the two forms of
/// [`SHIPPED_PREFIX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixForm {
    /// Form 1, `proxy_pass http://vps_publish/;`: nginx replaces `/<prefix>/` by `/`, the server
    /// gets `/route`.
    Strips,
    /// Form 2, `proxy_pass http://vps_publish;`: the server gets the path as the reader asked
    /// it, `/<prefix>/route`.
    Keeps,
}

/// A `server` listening on 127.0.0.1:`port` with the upstream `vps_publish` at
/// 127.0.0.1:`app_port` and the proxy headers of [`SHIPPED`], whose locations are
/// [`SHIPPED_PREFIX`] with `/notes` replaced by `prefix` (no trailing `/`) and `form` active,
/// and 404 everywhere else, as a site shared with other applications answers: a page that links
/// outside its prefix gets nothing. nginx itself redirects `/notes` to `/notes/`. Err when a
/// form is not written in the shipped file as expected.
pub fn render_prefixed(port: u16, app_port: u16, prefix: &str, form: PrefixForm) -> Result<String, String> {
    let mut locations = SHIPPED_PREFIX.to_owned();
    for block in [FORM_STRIPS, FORM_KEEPS_COMMENTED] {
        let found = locations.matches(block).count();
        if found != 1 {
            return Err(format!("deploy/nginx/vps-publish-prefix.conf has `{block}` {found} times, not once"));
        }
    }
    if form == PrefixForm::Keeps {
        let strips_commented: String = FORM_STRIPS.lines().map(|line| format!("# {line}\n")).collect();
        let keeps: String =
            FORM_KEEPS_COMMENTED.lines().map(|line| format!("{}\n", line.strip_prefix("# ").unwrap_or(line))).collect();
        locations = locations.replace(FORM_STRIPS, &strips_commented).replace(FORM_KEEPS_COMMENTED, &keeps);
    }
    let locations = locations.replace(&format!("{SHIPPED_PREFIX_PATH}/"), &format!("{prefix}/"));
    let indented: String = locations.lines().map(|line| format!("    {line}\n")).collect();
    Ok(format!(
        "# Written by vps_testkit::nginx: deploy/nginx/vps-publish-prefix.conf under {prefix}/ ({form:?}).\n\
         upstream vps_publish {{\n\
         \x20   server 127.0.0.1:{app_port};\n\
         \x20   keepalive 16;\n\
         }}\n\
         server {{\n\
         \x20   listen 127.0.0.1:{port};\n\
         \x20   proxy_http_version 1.1;\n\
         \x20   proxy_set_header Connection \"\";\n\
         \x20   proxy_set_header Host $host;\n\
         \x20   proxy_set_header X-Real-IP $remote_addr;\n\
         \x20   proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         \x20   proxy_set_header X-Forwarded-Proto $scheme;\n\
         {indented}\
         \x20   location / {{\n\
         \x20       return 404;\n\
         \x20   }}\n\
         }}\n"
    ))
}

/// A port of 127.0.0.1 free right now (a listener was given it, then dropped): for a service
/// whose address must be known before it starts (the site's `BASE_URL` names nginx's port).
/// Another process may take it meanwhile; the start on it then fails and the caller tries again.
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

impl Nginx {
    /// nginx on 127.0.0.1:`port` (found with [`free_port`]) serving the server at
    /// 127.0.0.1:`app_port` under `prefix` only, by the shipped [`SHIPPED_PREFIX`]
    /// ([`render_prefixed`]), once it listens. Err when
    /// nginx is missing or does not start (the port was taken meanwhile, among others); the
    /// caller tries another port or skips.
    pub fn start_prefixed(port: u16, app_port: u16, prefix: &str, form: PrefixForm) -> Result<Nginx, String> {
        if !Path::new(NGINX).is_file() {
            return Err(format!("{NGINX} is missing (Debian: apt-get install nginx)"));
        }
        let dir = tempfile::Builder::new()
            .prefix("vps-nginx-")
            .tempdir()
            .map_err(|e| format!("cannot create a directory for nginx: {e}"))?;
        write_config(dir.path(), "site.conf", &render_prefixed(port, app_port, prefix, form)?)?;
        let mut nginx = Nginx { dir, port, child: None };
        nginx.spawn().map(|()| nginx)
    }

    /// Starts nginx with the rendered [`SHIPPED`] config in front of 127.0.0.1:`app_port`, and
    /// waits (at most 30 s) until it listens. Err when nginx is missing or does not start; the
    /// caller decides to skip.
    pub fn start(app_port: u16, body_limit: &str) -> Result<Nginx, String> {
        if !Path::new(NGINX).is_file() {
            return Err(format!("{NGINX} is missing (Debian: apt-get install nginx)"));
        }
        crate::port::start_on_free_port("vps-nginx-", |dir, port| {
            write_config(dir.path(), "vps-publish.conf", &render(port, app_port, body_limit)?)?;
            let mut nginx = Nginx { dir, port, child: None };
            nginx.spawn().map(|()| nginx)
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing `/`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The configuration it runs: the wrapper and, beside it, the rendered shipped file.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("nginx.conf")
    }

    /// What it has logged so far (`error_log` at `info`).
    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// The requests it has served so far, one line each (nginx's `combined` format).
    pub fn access_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    /// Kills it and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn spawn(&mut self) -> Result<(), String> {
        let dir = self.dir.path();
        let output_path = dir.join("nginx.out");
        let output = File::create(&output_path).map_err(|e| format!("cannot create {}: {e}", output_path.display()))?;
        let stderr = output.try_clone().map_err(|e| e.to_string())?;
        // -p: relative paths under our directory; -e: the error log before the config is read
        // (else nginx opens /var/log/nginx/error.log first).
        let mut child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(self.config_file())
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {NGINX}: {e}"))?;
        let pid_file = dir.join("nginx.pid");
        let deadline = Instant::now() + START_TIMEOUT;
        let failure = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break format!("nginx exited with {status} before listening");
            }
            // nginx writes its pid file once its sockets are bound: a port that answers then
            // is nginx's, not another process's that took the port first.
            let written = fs::read_to_string(&pid_file).is_ok_and(|pid| pid.trim() == child.id().to_string());
            if written && TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break format!("nginx did not listen within {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let log = format!("{}{}", fs::read_to_string(&output_path).unwrap_or_default(), self.error_log());
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!("{failure}; its output ends with:\n{}", tail.join("\n")))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `nginx.conf` (the main context, everything under `dir`) including `site`, written beside it
/// as `name` (the rendered shipped file, `vps-publish.conf`, or a test's own).
fn write_config(dir: &Path, name: &str, site: &str) -> Result<(), String> {
    let path = |name: &str| dir.join(name).display().to_string();
    let main = format!(
        "# Written by vps_testkit::nginx for one run.\n\
         daemon off;\n\
         master_process off;\n\
         pid {pid};\n\
         error_log {error} info;\n\
         events {{\n    worker_connections 1024;\n}}\n\
         http {{\n\
         \x20   access_log {access};\n\
         \x20   client_body_temp_path {temp}/client_body;\n\
         \x20   proxy_temp_path {temp}/proxy;\n\
         \x20   fastcgi_temp_path {temp}/fastcgi;\n\
         \x20   uwsgi_temp_path {temp}/uwsgi;\n\
         \x20   scgi_temp_path {temp}/scgi;\n\
         \x20   include {site};\n\
         }}\n",
        pid = path("nginx.pid"),
        error = path("error.log"),
        access = path("access.log"),
        temp = path("temp"),
        site = path(name),
    );
    let write = |name: &str, text: &str| {
        fs::write(dir.join(name), text).map_err(|e| format!("cannot write nginx's {name}: {e}"))
    };
    fs::create_dir(dir.join("temp")).map_err(|e| format!("cannot create nginx's temp directory: {e}"))?;
    write("nginx.conf", &main)?;
    write(name, site)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_streams_uploads_and_events() {
        let config = render(8080, 3100, "64k").unwrap();
        assert!(config.contains("listen 127.0.0.1:8080;"));
        assert!(config.contains("server 127.0.0.1:3100;"));
        assert!(config.contains("client_max_body_size 64k;"));
        for line in ["proxy_request_buffering off;", "proxy_buffering off;", "proxy_http_version 1.1;"] {
            assert!(config.contains(line), "{line}");
        }
    }

    #[test]
    fn the_shipped_prefix_lines_are_run_in_either_form_under_any_prefix() {
        let strips = render_prefixed(8080, 3100, "/notes", PrefixForm::Strips).unwrap();
        assert!(strips.contains("listen 127.0.0.1:8080;"));
        assert!(strips.contains("server 127.0.0.1:3100;"));
        assert!(strips.contains("    location /notes/ {\n        proxy_pass http://vps_publish/;\n    }"), "{strips}");
        assert!(strips.contains("    location /notes/api/ {\n        proxy_pass http://vps_publish/api/;"), "{strips}");
        assert!(strips.contains("    location / {\n        return 404;"));
        let keeps = render_prefixed(8080, 3100, "/garden", PrefixForm::Keeps).unwrap();
        assert!(keeps.contains("    location /garden/ {\n        proxy_pass http://vps_publish;\n    }"), "{keeps}");
        assert!(
            keeps.contains("    # location /garden/ {\n    #     proxy_pass http://vps_publish/;\n    # }"),
            "{keeps}"
        );
        assert!(!keeps.contains("/notes/"), "{keeps}");
    }
}
