//! [`Application`]: the server as a value. `build` prepares everything and binds the socket (port
//! 0 picks a free one, for tests); `run_until_stopped` serves until SIGTERM, SIGINT or
//! [`Application::shutdown_handle`].

use std::fs::{File, OpenOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vps_core::SessionId;
use vps_envelope::{ChunkLimits, ChunkStore};
use vps_ingest::{Policy, ScanPolicy};
use vps_scan::{Endpoint, Scanner, ScannerConfig};
use vps_store::StoreError;

use crate::Settings;
use crate::api_key::{ApiKey, ApiKeyError};
use crate::background;
use crate::cache::BlobCache;
use crate::finalize::{Jobs, Queue};
use crate::metrics::Metrics;
use crate::sessions::{SessionState, Sessions};
use crate::site::Site;
use crate::state::{AppState, Inner};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The data directory could not be created or its lock file opened.
    #[error("cannot use the data directory {path}")]
    DataDir {
        /// The data directory.
        path: String,
        /// What the filesystem answered.
        #[source]
        source: std::io::Error,
    },
    /// Another server holds the data directory's lock; carries the directory.
    #[error("another vps-publish server is using the data directory {0}")]
    DataDirInUse(String),
    /// No API key: the one given is invalid, or none could be read or generated.
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    /// The content store (filesystem or bucket) could not be opened or checked.
    #[error("cannot open the store")]
    Store(#[from] StoreError),
    /// The store of partial chunked uploads could not be opened; carries why.
    #[error("cannot open the chunk store: {0}")]
    Chunks(String),
    /// The finalization jobs kept on disk could not be read; carries why.
    #[error("cannot open the finalization jobs: {0}")]
    Jobs(String),
    /// Access control could not start (its key file in the data directory); carries why.
    #[error("access control: {0}")]
    Access(String),
    /// The listening socket could not be bound (address in use, no permission…).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system answered.
        #[source]
        source: std::io::Error,
    },
}

/// A server built and bound to its port, not yet serving: [`Application::build`], then
/// [`Application::run_until_stopped`].
pub struct Application {
    listener: TcpListener,
    state: AppState,
    queue: mpsc::UnboundedReceiver<SessionId>,
    generated_api_key: Option<ApiKey>,
    shutdown: CancellationToken,
    signals: Signals,
    // Held for the server's life: a second server on the same data directory refuses to start.
    _lock: File,
}

impl Application {
    /// Opens the data directory (and takes its lock), the store, sessions and jobs, queues again
    /// the finalizations a previous run left unfinished, and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let data_dir = settings.data_dir.clone();
        let dir_error = |source| StartupError::DataDir { path: data_dir.display().to_string(), source };
        std::fs::create_dir_all(&data_dir).map_err(dir_error)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data_dir.join(".lock"))
            .map_err(dir_error)?;
        lock.try_lock().map_err(|_| StartupError::DataDirInUse(data_dir.display().to_string()))?;

        let (api_key, generated_api_key) = match &settings.api_key {
            Some(key) => (key.clone(), None),
            None => match ApiKey::load_or_generate(&data_dir)? {
                (key, true) => (key.clone(), Some(key)),
                (key, false) => (key, None),
            },
        };

        let temp_dir = settings.temp_dir();
        std::fs::create_dir_all(&temp_dir).map_err(StoreError::io("create directory", &temp_dir))?;
        let stores = settings.backend().open()?;
        // Fail now, with the store's own words, rather than at the first upload.
        stores.blobs.check().await?;
        let removed = vps_store::remove_stale_temp_files(&temp_dir)? + stores.blobs.remove_stale_temps().await?;
        if removed > 0 {
            tracing::warn!(removed, "removed temp files left by an interrupted run");
        }
        tracing::info!(store = %stores.blobs.describe(), "blobs and revisions");
        let quarantine = data_dir.join("quarantine");
        let sessions = Sessions::open(&data_dir.join("sessions"), &quarantine)?;
        let policy = Policy {
            max_file_bytes: settings.uploads.max_asset_size_bytes,
            allowlist: settings.uploads.allowed_media_types.clone(),
            scan: settings.scanner.virus_scanner_enabled.then(|| ScanPolicy {
                scanner: Scanner::new(scanner_config(&settings)),
                fail_open: settings.scanner.virus_scanner_fail_open,
            }),
        };
        let address = crate::site::Address {
            base: vps_site::PublicBase::parse(settings.site.base_url.as_deref()),
            site_name: Some(settings.site.site_name.clone()),
            listing_page_size: settings.publish_limits.listing_page_size,
            graph_max_nodes: settings.publish_limits.graph_max_nodes,
            view_cache_bytes: settings.login.reader_view_cache_bytes,
        };
        let site = Site::open(stores.revisions, &*stores.blobs, address).await?;
        let (jobs, reopened) =
            Jobs::open(&data_dir.join("sessions"), &quarantine).map_err(|e| StartupError::Jobs(e.to_string()))?;
        let (finalize, queue) = Queue::new();
        for session in reopened.to_run {
            tracing::warn!(%session, "finalization interrupted by a stop; running it again");
            finalize.push(session);
        }
        for session in reopened.given_up {
            let _ = sessions
                .update(session, |s| {
                    s.state = SessionState::Finished;
                    Ok(())
                })
                .await;
        }
        let limits = ChunkLimits::for_max_asset_bytes(settings.uploads.max_asset_size_bytes);
        let chunks = ChunkStore::open(&data_dir.join("chunks"), limits, &data_dir.join("quarantine"))
            .map_err(|e| StartupError::Chunks(e.to_string()))?;

        let addr = SocketAddr::new(settings.host, settings.port);
        let listener = TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr, source })?;
        let access = match &settings.access.config {
            Some(config) => {
                let base = vps_site::PublicBase::parse(settings.site.base_url.as_deref());
                let access = crate::access::Access::new(config.clone(), data_dir.clone(), &settings.login, &base)
                    .map_err(|error| StartupError::Access(error.to_string()))?;
                tracing::info!(
                    readers = config.readers().count(),
                    rules = config.rules().len(),
                    site = ?config.site,
                    "access control on"
                );
                Some(Arc::new(access))
            }
            None => None,
        };
        let variants = Arc::new(crate::variants::Variants::new(settings.images.clone(), &data_dir));
        let blob_cache = BlobCache::new(settings.http.site_cache_bytes, settings.http.blob_check_whole_max_bytes);
        let state = AppState::new(Inner {
            settings,
            api_key,
            store: stores.blobs,
            temp_dir,
            sessions: Arc::new(sessions),
            policy,
            site: Arc::new(site),
            jobs: Arc::new(jobs),
            finalize,
            chunks,
            active_requests: AtomicU64::new(0),
            metrics: Metrics::default(),
            blob_cache,
            access,
            variants,
        });
        let signals = Signals::install().map_err(|source| StartupError::Bind { addr, source })?;
        Ok(Self { listener, state, queue, generated_api_key, shutdown: CancellationToken::new(), signals, _lock: lock })
    }

    /// The address the server listens on (with the real port when port 0 was asked for).
    /// The address the server listens on (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The key generated at this start, if one was: show it to the operator once.
    pub fn generated_api_key(&self) -> Option<&ApiKey> {
        self.generated_api_key.as_ref()
    }

    /// Cancelling this token stops the server as a signal would.
    pub fn shutdown_handle(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until SIGTERM, SIGINT or the shutdown handle; in-flight requests then get
    /// `shutdown_grace_secs` to finish.
    pub async fn run_until_stopped(self) {
        let grace = Duration::from_secs(self.state.settings.shutdown_grace_secs);
        let background = [
            tokio::spawn(background::run_worker(self.state.clone(), self.queue)),
            tokio::spawn(background::watch_pointer(self.state.clone())),
            tokio::spawn(background::expire_sessions(self.state.clone())),
            tokio::spawn(crate::variants::Workers(self.state.clone()).run()),
        ];
        let state = self.state.clone();
        let router = crate::routes::router(self.state);
        let stop = self.shutdown.clone();
        let signals = self.signals;
        tokio::spawn(async move {
            tokio::select! {
                () = signals.recv() => stop.cancel(),
                () = stop.cancelled() => {}
            }
        });
        crate::serve::serve(self.listener, router, self.shutdown, grace).await;
        // A finalization in progress is not cut: it runs to the end on its thread, or, if the
        // process exits first, runs again at the next start; a stop on purpose does not count
        // as one of the runs that stopped the server.
        if let Some(session) = state.jobs.running() {
            state.jobs.release_attempt(session);
        }
        background.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// Where and how to reach clamd: a unix socket when one is set, else TCP.
fn scanner_config(settings: &Settings) -> ScannerConfig {
    let endpoint = match &settings.scanner.clamav_socket {
        Some(socket) => Endpoint::Unix(socket.clone()),
        None => Endpoint::Tcp { host: settings.scanner.clamav_host.clone(), port: settings.scanner.clamav_port },
    };
    ScannerConfig {
        endpoint,
        timeout: Duration::from_millis(settings.scanner.clamav_timeout_ms),
        max_connections: settings.scanner.clamav_max_connections as usize,
        stream_max_length: settings.scanner.clamav_stream_max_length,
    }
}

/// SIGTERM and SIGINT, listened to from `build` on, so that a signal sent as soon as the server
/// says it listens is not missed.
struct Signals {
    term: Signal,
    interrupt: Signal,
}

impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Self { term: signal(SignalKind::terminate())?, interrupt: signal(SignalKind::interrupt())? })
    }

    async fn recv(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => tracing::info!("SIGINT received, stopping"),
            _ = self.term.recv() => tracing::info!("SIGTERM received, stopping"),
        }
    }
}
