//! Helpers shared by the benchmarks of vps-publish: command-line values, verdicts, units, peak
//! RSS, open file descriptors, Debian packages installed when missing, the real server run as a
//! child process ([`server`]), large test files ([`testfile`]), the client of its upload API
//! ([`api`]), its `/metrics` counters ([`metrics`]), wrk ([`wrk`]), a static nginx
//! ([`static_nginx`]), timed searches ([`search`]) and a generated vault of any size ([`synth`]).

#![warn(missing_docs)]

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

pub mod api;
pub mod metrics;
pub mod search;
pub mod server;
pub mod static_nginx;
pub mod synth;
pub mod testfile;
pub mod wrk;

/// What every benchmark helper returns: any error, to be printed and end the run.
pub type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// One mebibyte, in bytes.
pub const MIB: u64 = 1024 * 1024;

/// The vault that the benchmarks read by default, relative to the workspace root.
pub const DEFAULT_VAULT: &str = "../shared/vaults/obsidian-help-en";

/// [`DEFAULT_VAULT`], from the workspace this crate was built in.
pub fn default_vault() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEFAULT_VAULT)
}

/// The value that follows `flag` on the command line, parsed.
pub fn value<T: FromStr>(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<T> {
    let raw = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
    raw.parse().map_err(|_| format!("{flag}: invalid value {raw:?}").into())
}

/// The options of the benchmarks that upload one large test file: `--size-mib N` and `--dir PATH`
/// (where to create the scratch directory).
pub struct FileOptions {
    /// Size of the test file in MiB (at least 1).
    pub size_mib: u64,
    /// Parent of the scratch directory; absent, the system's temp directory.
    pub dir: Option<PathBuf>,
}

impl FileOptions {
    /// Reads the command line; `-h` prints `usage` and exits.
    pub fn parse(mut args: impl Iterator<Item = String>, default_size_mib: u64, usage: &str) -> Result<Self> {
        let mut options = Self { size_mib: default_size_mib, dir: None };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--size-mib" => options.size_mib = value(&mut args, &arg)?,
                "--dir" => options.dir = Some(value(&mut args, &arg)?),
                "-h" | "--help" => {
                    println!("{usage}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{usage}").into()),
            }
        }
        if options.size_mib == 0 {
            return Err("--size-mib must be at least 1".into());
        }
        Ok(options)
    }
}

/// A scratch directory named after the benchmark, in `parent` (default: the system's temp
/// directory); deleted when dropped.
pub fn scratch_dir(bench: &str, parent: Option<&Path>) -> Result<tempfile::TempDir> {
    let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
    tempfile::Builder::new()
        .prefix(&format!("{bench}-"))
        .tempdir_in(&parent)
        .map_err(|e| format!("cannot create a scratch directory in {}: {e}", parent.display()).into())
}

/// How a report says whether a target is met.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// How a report says whether a figure meets its target: `ok` or `MISSED`.
pub fn ok_missed(met: bool) -> &'static str {
    if met { "ok" } else { "MISSED" }
}

/// Whether `command` can be run and exits with 0 (its output discarded).
pub fn runs(command: &mut Command) -> bool {
    command.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|status| status.success())
}

/// Ok when `present()`; otherwise installs the Debian `package` with apt-get (when this runs as
/// root and apt-get exists) and checks `present()` again. Err says why it is still missing.
pub fn apt_install_if(present: impl Fn() -> bool, package: &str) -> std::result::Result<(), String> {
    if present() {
        return Ok(());
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    let apt = runs(Command::new("apt-get").arg("--version"));
    if !(root && apt) {
        return Err(format!("{package} is not installed (and apt-get cannot be run as root here)"));
    }
    eprintln!("installing the Debian package {package} with apt-get");
    let script = format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}");
    let installed = runs(Command::new("sh").args(["-c", &script]));
    if installed && present() { Ok(()) } else { Err(format!("apt-get could not install {package}")) }
}

/// Every file below `root`, as a path relative to it with `/`, and its size; sorted. Names
/// that are not UTF-8 are skipped.
pub fn files_under(root: &Path) -> Result<Vec<(String, u64)>> {
    let mut files = Vec::new();
    let mut folders = vec![String::new()];
    while let Some(dir) = folders.pop() {
        let path = root.join(&dir);
        for entry in std::fs::read_dir(&path).map_err(|e| format!("cannot list {}: {e}", path.display()))? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            let relative = if dir.is_empty() { name } else { format!("{dir}/{name}") };
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(relative);
            } else if kind.is_file() {
                files.push((relative, entry.metadata()?.len()));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `bytes` in `elapsed`, in MiB/s.
pub fn mib_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB as f64 / elapsed.as_secs_f64()
}

/// `bytes` in MiB from 1 MiB up, else in KiB, with one decimal.
pub fn bytes_label(bytes: u64) -> String {
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// `VmHWM` of process `pid` (this process when `None`): the most resident memory it has had
/// since it started (since its last `exec`), in MiB.
pub fn peak_rss_mib(pid: Option<u32>) -> Result<f64> {
    let path = pid.map_or_else(|| "/proc/self/status".to_owned(), |pid| format!("/proc/{pid}/status"));
    let status = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
        .ok_or_else(|| format!("no VmHWM in {path}"))?;
    Ok(kib as f64 / 1024.0)
}

/// How many file descriptors process `pid` has open (the entries of `/proc/<pid>/fd`).
pub fn open_fds(pid: u32) -> Result<usize> {
    let path = format!("/proc/{pid}/fd");
    Ok(std::fs::read_dir(&path).map_err(|e| format!("cannot read {path}: {e}"))?.count())
}
