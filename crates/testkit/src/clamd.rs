//! A private clamd for tests and benchmarks, and the files that it must flag.
//!
//! [`Clamd::start`] runs `/usr/sbin/clamd` (Debian `clamav-daemon`; `scripts/test.sh` installs
//! it) in the foreground with a config of its own in a temp directory: a unix socket there, a
//! loopback TCP port, and a signature database of one body signature, that of the EICAR test file
//! ([`EICAR`]), so that no download is needed. It is killed when dropped. [`Clamd::stop`] and
//! [`Clamd::restart`] (same socket, same port) let a test take the scanner away and bring it
//! back. [`zip_stored`] puts a file in a ZIP archive.
//!
//! ```no_run
//! use vps_testkit::clamd::{self, Clamd, EICAR};
//!
//! let Some(clamd) = clamd::start_or_skip("my_test") else { return };
//! println!("clamd on {} and 127.0.0.1:{}", clamd.socket().display(), clamd.tcp_port());
//! let zip = clamd::zip_stored("eicar.com", EICAR);
//! ```

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Where Debian's `clamav-daemon` installs clamd.
pub const CLAMD: &str = "/usr/sbin/clamd";
/// The EICAR anti-virus test file: harmless, and flagged by every scanner.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
/// The name of the signature that flags [`EICAR`]. clamd reports it as
/// `Eicar-Test-Signature.UNOFFICIAL` (it is not from an official database).
pub const EICAR_SIGNATURE: &str = "Eicar-Test-Signature";
/// clamd's `StreamMaxLength` (and `MaxFileSize`, `MaxScanSize`) with [`Clamd::start`], in MiB.
pub const DEFAULT_LIMIT_MIB: u64 = 300;

const START_TIMEOUT: Duration = Duration::from_secs(30);
/// A running clamd of its own; killed when dropped.
pub struct Clamd {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

/// [`Clamd::start`], or `None` after printing `SKIP <test>: <why>` when clamd is missing or
/// does not start; with `CI=true` it panics instead.
pub fn start_or_skip(test: &str) -> Option<Clamd> {
    match Clamd::start() {
        Ok(clamd) => Some(clamd),
        Err(message) if std::env::var("CI").is_ok_and(|ci| ci == "true") => panic!("CI=true and {message}"),
        Err(message) => {
            println!("SKIP {test}: {message}");
            None
        }
    }
}

impl Clamd {
    /// Starts clamd with limits of [`DEFAULT_LIMIT_MIB`] and waits (at most 30 s) until it
    /// answers PING. Err when clamd is missing or does not start; the caller decides to skip.
    pub fn start() -> Result<Clamd, String> {
        Self::start_with(DEFAULT_LIMIT_MIB)
    }

    /// [`Clamd::start`] with `StreamMaxLength`, `MaxFileSize` and `MaxScanSize` of `limit_mib` MiB.
    pub fn start_with(limit_mib: u64) -> Result<Clamd, String> {
        if !Path::new(CLAMD).is_file() {
            return Err(format!("{CLAMD} is missing (Debian: apt-get install clamav-daemon clamdscan)"));
        }
        crate::port::start_on_free_port("vps-clamd-", |dir, port| {
            write_files(dir.path(), port, limit_mib).map_err(|e| format!("cannot write clamd's config: {e}"))?;
            let mut clamd = Clamd { dir, port, child: None };
            clamd.spawn().map(|()| clamd)
        })
    }

    /// Its unix socket (`LocalSocket`).
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("clamd.sock")
    }

    /// Its port on 127.0.0.1 (`TCPSocket`).
    pub fn tcp_port(&self) -> u16 {
        self.port
    }

    /// Its `clamd.conf`, for `clamdscan --config-file=…`.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("clamd.conf")
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("clamd.log")).unwrap_or_default()
    }

    /// Its process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills it (SIGKILL: as a crash would) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again, on the same socket and port, and waits until it answers PING. Panics
    /// when it does not start (the port may have been taken meanwhile).
    pub fn restart(&mut self) {
        self.stop();
        if let Err(message) = self.spawn() {
            panic!("clamd did not restart: {message}");
        }
    }

    fn spawn(&mut self) -> Result<(), String> {
        let output_path = self.dir.path().join("clamd.out");
        let output = File::create(&output_path).map_err(|e| format!("cannot create {}: {e}", output_path.display()))?;
        let stderr = output.try_clone().map_err(|e| e.to_string())?;
        let mut child = Command::new(CLAMD)
            .arg(format!("--config-file={}", self.config_file().display()))
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {CLAMD}: {e}"))?;
        let deadline = Instant::now() + START_TIMEOUT;
        let failure = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break format!("clamd exited with {status} before answering PING");
            }
            if pong(&self.socket()) && pong_tcp(self.port) {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break format!("clamd did not answer PING within {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let output = fs::read_to_string(&output_path).unwrap_or_default();
        let tail: Vec<&str> = output.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!("{failure}; its output ends with:\n{}", tail.join("\n")))
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `clamd.conf` and the signature database, in `dir`.
fn write_files(dir: &Path, port: u16, limit_mib: u64) -> std::io::Result<()> {
    let path = |name: &str| dir.join(name).display().to_string();
    // No `User` line: clamd keeps the user that started it (root in a container), as it cannot
    // drop privileges to a user that may not be able to read this directory.
    let config = format!(
        "# Written by vps_testkit::clamd for one run.\n\
         Foreground yes\n\
         LocalSocket {socket}\n\
         FixStaleSocket yes\n\
         TCPSocket {port}\n\
         TCPAddr 127.0.0.1\n\
         DatabaseDirectory {db}\n\
         TemporaryDirectory {dir}\n\
         LogFile {log}\n\
         LogTime yes\n\
         PidFile {pid}\n\
         StreamMaxLength {limit_mib}M\n\
         MaxFileSize {limit_mib}M\n\
         MaxScanSize {limit_mib}M\n\
         MaxThreads 10\n\
         ConcurrentDatabaseReload no\n",
        socket = path("clamd.sock"),
        db = path("db"),
        dir = dir.display(),
        log = path("clamd.log"),
        pid = path("clamd.pid"),
    );
    fs::write(dir.join("clamd.conf"), config)?;
    fs::create_dir(dir.join("db"))?;
    // An extended (body) signature: name, any file type, any offset, the bytes in hex.
    let hex: String = EICAR.iter().map(|byte| format!("{byte:02x}")).collect();
    fs::write(dir.join("db/eicar.ndb"), format!("{EICAR_SIGNATURE}:0:*:{hex}\n"))
}

/// Whether clamd answers `PING` on the unix socket at `socket`.
fn pong(socket: &Path) -> bool {
    UnixStream::connect(socket).is_ok_and(|stream| {
        let timeout = Some(Duration::from_secs(1));
        stream.set_read_timeout(timeout).is_ok() && stream.set_write_timeout(timeout).is_ok() && answers_pong(stream)
    })
}

/// Whether clamd answers `PING` on 127.0.0.1:`port`.
fn pong_tcp(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok_and(|stream| {
        let timeout = Some(Duration::from_secs(1));
        stream.set_read_timeout(timeout).is_ok() && stream.set_write_timeout(timeout).is_ok() && answers_pong(stream)
    })
}

fn answers_pong(mut stream: impl Read + Write) -> bool {
    let mut reply = Vec::new();
    stream.write_all(b"zPING\0").is_ok() && stream.read_to_end(&mut reply).is_ok() && reply == b"PONG\0"
}

/// A ZIP archive holding `contents` as `name`, stored (not compressed), as most archivers would
/// write it with compression off.
pub fn zip_stored(name: &str, contents: &[u8]) -> Vec<u8> {
    const VERSION: u16 = 10; // 1.0: stored entries
    const DOS_DATE_1980_01_01: u16 = (1 << 5) | 1;
    let crc = crc32(contents);
    let size = u32::try_from(contents.len()).expect("zip_stored writes no ZIP64");
    let name_len = u16::try_from(name.len()).expect("a short name");
    // The fields from "version needed" to "extra field length", shared by both headers.
    let mut common = Vec::new();
    for field in [VERSION, 0, 0, 0, DOS_DATE_1980_01_01] {
        common.extend_from_slice(&field.to_le_bytes());
    }
    for field in [crc, size, size] {
        common.extend_from_slice(&field.to_le_bytes());
    }
    common.extend_from_slice(&name_len.to_le_bytes());
    common.extend_from_slice(&0u16.to_le_bytes());

    let mut zip = Vec::with_capacity(contents.len() + 3 * name.len() + 128);
    zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    zip.extend_from_slice(&common);
    zip.extend_from_slice(name.as_bytes());
    zip.extend_from_slice(contents);

    let directory_offset = u32::try_from(zip.len()).expect("zip_stored writes no ZIP64");
    zip.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    zip.extend_from_slice(&VERSION.to_le_bytes()); // made by: MS-DOS, 1.0
    zip.extend_from_slice(&common);
    // Comment length, disk number, internal attributes; external attributes; local header offset.
    zip.extend_from_slice(&[0; 6]);
    zip.extend_from_slice(&0u32.to_le_bytes());
    zip.extend_from_slice(&0u32.to_le_bytes());
    zip.extend_from_slice(name.as_bytes());
    let directory_len = zip.len() as u32 - directory_offset;

    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    // This disk, the directory's disk, entries on this disk, entries in all.
    for field in [0u16, 0, 1, 1] {
        zip.extend_from_slice(&field.to_le_bytes());
    }
    zip.extend_from_slice(&directory_len.to_le_bytes());
    zip.extend_from_slice(&directory_offset.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes()); // comment length
    zip
}

/// CRC-32 of ZIP (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit: test files are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn a_stored_zip_is_read_back_by_unzip() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("test.zip");
        fs::write(&zip, zip_stored("eicar.com", EICAR)).unwrap();
        let Ok(output) = Command::new("unzip").arg("-p").arg(&zip).output() else {
            println!("SKIP a_stored_zip_is_read_back_by_unzip: no unzip");
            return;
        };
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(output.stdout, EICAR);
    }
}
