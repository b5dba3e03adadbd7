//! A client of clamd, the ClamAV daemon, for scanning uploads while they stream in.
//!
//! - [`Scanner`]: one clamd endpoint ([`Endpoint`]: TCP or unix socket), a bound on the
//!   connections open to it at once, timeouts and counters ([`ScanStats`]). Cheap to clone.
//! - [`ScanStream`]: one file being sent with `INSTREAM`. [`ScanStream::write`] queues a chunk
//!   (a reference-counted [`Bytes`], not a copy) for a task that writes it to clamd, so the
//!   caller hashes and stores the same chunk meanwhile: the file is read once.
//!   [`ScanStream::finish`] answers a [`Verdict`].
//! - [`ScanError`]: scanner unavailable, timeout, protocol error (all `scanner-unavailable`, for
//!   the caller's fail-open or fail-closed policy) or file over the scan limit
//!   (`too-large-to-scan`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), vps_scan::ScanError> {
//! use std::time::Duration;
//! use bytes::Bytes;
//! use vps_scan::{Endpoint, Scanner, ScannerConfig, Verdict};
//!
//! let scanner = Scanner::new(ScannerConfig {
//!     endpoint: Endpoint::Tcp { host: "127.0.0.1".into(), port: 3310 },
//!     timeout: Duration::from_secs(30),
//!     max_connections: 4,
//!     stream_max_length: 25 * 1024 * 1024,
//! });
//! let mut scan = scanner.begin().await?; // waits for a free connection slot
//! scan.write(Bytes::from_static(b"hello")).await?;
//! match scan.finish().await? {
//!     Verdict::Clean => println!("clean"),
//!     Verdict::Infected(signature) => println!("infected: {signature}"),
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod connection;
mod protocol;
mod stats;
mod stream;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Semaphore;
use vps_core::ErrorCode;

pub use stats::ScanStats;
pub use stream::ScanStream;

use crate::connection::Connection;
use crate::stats::Counters;

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `TCPSocket` / `TCPAddr` of clamd.conf.
    Tcp {
        /// A host name or IP address (an IPv6 address without brackets).
        host: String,
        /// The TCP port (clamd's default is 3310).
        port: u16,
    },
    /// `LocalSocket` of clamd.conf.
    Unix(PathBuf),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Self::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// How a [`Scanner`] reaches and uses clamd.
#[derive(Debug, Clone)]
pub struct ScannerConfig {
    /// Where clamd listens.
    pub endpoint: Endpoint,
    /// Applies to connecting, to each write to the socket (a stalled clamd) and to waiting for
    /// the verdict, which clamd gives only once it has scanned the whole file: it must cover the
    /// scan of the largest file.
    pub timeout: Duration,
    /// Connections open to clamd at once (scans; PING and VERSION do not count, see
    /// [`Scanner::ping`]); further scans wait for a slot. Keep it below clamd's `MaxThreads`.
    /// 0 is taken as 1.
    pub max_connections: usize,
    /// The most bytes one scan may send: at most clamd's `StreamMaxLength`, past which clamd
    /// drops the connection; [`ScanStream::write`] refuses a chunk that would exceed it.
    pub stream_max_length: u64,
}

/// A clamd client. Clones share the connection slots and the counters.
#[derive(Clone)]
pub struct Scanner {
    shared: Arc<Shared>,
}

/// What the clones of a [`Scanner`] and its running scans share.
pub(crate) struct Shared {
    pub(crate) config: ScannerConfig,
    /// One permit per connection that a scan may hold.
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) counters: Counters,
}

/// What clamd said about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No signature matched.
    Clean,
    /// The name of the signature that matched, as clamd reports it (a signature from an
    /// unofficial database carries the suffix `.UNOFFICIAL`).
    Infected(String),
}

/// Why a scan gave no verdict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// clamd could not be reached, or the connection failed.
    #[error("the virus scanner is unavailable: {0}")]
    Unavailable(String),
    /// Connecting, a write or the verdict took longer than [`ScannerConfig::timeout`].
    #[error("the virus scanner did not answer in time")]
    Timeout,
    /// clamd answered something other than a verdict (its errors end in `ERROR`).
    #[error("the virus scanner failed: {0}")]
    Protocol(String),
    /// The file is larger than the scanner accepts; nothing past the limit was sent.
    #[error("the file is larger than the virus scanner's limit of {limit} bytes")]
    TooLarge {
        /// [`ScannerConfig::stream_max_length`], in bytes.
        limit: u64,
    },
}

impl ScanError {
    /// The stable machine-readable code of the error, as the server answers it.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unavailable(_) | Self::Timeout | Self::Protocol(_) => ErrorCode::ScannerUnavailable,
            Self::TooLarge { .. } => ErrorCode::TooLargeToScan,
        }
    }
}

impl Scanner {
    /// A client for the clamd of `config`; nothing is connected until a scan or a command.
    pub fn new(config: ScannerConfig) -> Scanner {
        let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
        Scanner { shared: Arc::new(Shared { config, slots, counters: Counters::default() }) }
    }

    /// The settings it was made with.
    pub fn config(&self) -> &ScannerConfig {
        &self.shared.config
    }

    /// The most bytes one scan may send ([`ScannerConfig::stream_max_length`]).
    pub fn stream_max_length(&self) -> u64 {
        self.shared.config.stream_max_length
    }

    /// Starts scanning a file: waits for a connection slot, connects and sends `zINSTREAM`.
    ///
    /// Waiting for a slot holds nothing but the caller's future (no buffer, no socket); the
    /// slot is given back when the [`ScanStream`] finishes or is dropped.
    pub async fn begin(&self) -> Result<ScanStream, ScanError> {
        let slot = self.shared.slots.clone().acquire_owned().await.expect("the slots are never closed");
        self.shared.counters.begun();
        let started = Instant::now();
        match self.open(protocol::INSTREAM).await {
            Ok(connection) => Ok(ScanStream::start(self.shared.clone(), connection, slot, started)),
            Err(error) => {
                self.shared.counters.failed();
                tracing::debug!(endpoint = %self.shared.config.endpoint, %error, "scan not started");
                Err(error)
            }
        }
    }

    /// `PING` → `PONG`. Health checks and VERSION take no slot: they must answer while every slot
    /// is busy with long uploads, and take a clamd thread only for an instant (so `MaxThreads`
    /// should leave one or two above [`ScannerConfig::max_connections`]).
    pub async fn ping(&self) -> Result<(), ScanError> {
        let reply = self.command(protocol::PING).await?;
        if reply == "PONG" { Ok(()) } else { Err(ScanError::Protocol(format!("PING answered {reply:?}"))) }
    }

    /// `VERSION`: e.g. `ClamAV 1.4.6/27000/Mon Nov 24 09:00:00 2026` (engine/database/date).
    pub async fn version(&self) -> Result<String, ScanError> {
        self.command(protocol::VERSION).await
    }

    /// A snapshot of the counters shared by this scanner and its clones, with the slots in use now.
    pub fn stats(&self) -> ScanStats {
        let in_use = self.shared.config.max_connections.max(1) - self.shared.slots.available_permits();
        self.shared.counters.snapshot(in_use)
    }

    /// Connects and sends `command`, all within the timeout.
    async fn open(&self, command: &'static [u8]) -> Result<Connection, ScanError> {
        let config = &self.shared.config;
        let mut connection = Connection::open(&config.endpoint, config.timeout).await?;
        connection.send(Bytes::from_static(command), config.timeout).await?;
        Ok(connection)
    }

    async fn command(&self, command: &'static [u8]) -> Result<String, ScanError> {
        let mut connection = self.open(command).await?;
        connection.reply(self.shared.config.timeout).await
    }
}

#[cfg(test)]
mod tests;
