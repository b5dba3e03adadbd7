//! The accept loop: HTTP/1.1 connections served by hyper with the limits this server needs,
//! which `axum::serve` does not let one set.
//!
//! - **Read buffer capped at 64 KiB.** Upload bodies arrive as chunks cut from the connection's
//!   read buffer. Left to grow (hyper's default is about 400 KiB), every buffer is a large
//!   allocation freed on another thread (the temp writer's), a pattern that makes glibc keep
//!   memory resident; 64 KiB chunks stay in the allocator's reusable small sizes and keep
//!   per-upload memory at a few chunks. It also bounds a request's head: a request line and
//!   headers over 64 KiB (a 1 MB URL, 10,000 headers) get 431 without more being read, and
//!   more than 100 headers get 431 whatever their size.
//! - **Header read timeout** (`HEADER_READ_TIMEOUT_SECS`, 10 s): a connection must send a
//!   request's headers within it. Hyper starts the clock as soon as the connection waits for a
//!   request, so the same timeout closes idle keep-alive connections. Body idleness and total
//!   time are handled per body (see `body`).
//! - **File descriptors.** At start the soft `RLIMIT_NOFILE` is raised to the hard limit, and
//!   open connections are capped at `MAX_CONNECTIONS`, lowered to fit that limit: each
//!   connection may hold a second descriptor while it is served (the file it streams, an
//!   upload's temp file), and [`RESERVED_DESCRIPTORS`] plus clamd's connections are kept for
//!   the rest. Accepting never runs out of descriptors.
//! - **At the cap**, the oldest connection that is between requests (still sending its headers,
//!   or idle in keep-alive) is closed to make room: those cost the server nothing to drop and
//!   a slow-header client is always among them, whereas waiting for a slot would let a few
//!   hundred such clients hold the site for the whole header timeout. Only when every open
//!   connection is inside a request does the loop wait (new connections then queue in the
//!   listen backlog) until one ends.
//! - **Graceful shutdown**: when stopped, no new connection is accepted; requests in flight get
//!   the grace period to finish, then the server returns anyway.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::Settings;
use crate::state::AppState;

const READ_BUFFER: usize = 64 * 1024;
/// Descriptors kept for everything but connections: the listener, the log, the data
/// directory's lock and state files, the store's connection pool.
const RESERVED_DESCRIPTORS: u64 = 64;
/// When the hard limit is "unlimited", the soft one is raised to this (Linux's usual `nr_open`).
const UNLIMITED_FALLBACK: u64 = 1 << 20;

/// What [`serve`] runs: the routes, and the state whose settings and gauges the loop uses.
/// The address of the connection a request came on (for the login limits).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub std::net::IpAddr);

pub(crate) struct Routes {
    pub router: Router,
    pub state: AppState,
}

pub(crate) async fn serve(listener: TcpListener, routes: Routes, stop: CancellationToken, grace: Duration) {
    let Routes { router, state } = routes;
    let settings = &state.settings;
    let cap = connection_cap(settings, raise_fd_limit());
    state.metrics.connection_limit.store(cap as u64, Ordering::Relaxed);
    let header_timeout = Duration::from_secs(settings.http.header_read_timeout_secs);
    tracing::info!(max_connections = cap, header_read_timeout_secs = header_timeout.as_secs(), "serving connections");
    let mut builder = http1::Builder::new();
    builder.max_buf_size(READ_BUFFER).timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let connections = Arc::new(Connections::new(cap, state.clone()));
    let graceful = GracefulShutdown::new();
    loop {
        if !connections.wait_for_slot(&stop).await {
            break;
        }
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer.ip()),
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let (stream, peer) = stream;
        let _ = stream.set_nodelay(true);
        let registration = connections.register();
        let service = tracked_service(router.clone(), connections.clone(), registration.entry.clone(), peer);
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let shed = registration.entry.shed.clone();
            tokio::pin!(connection);
            let result = tokio::select! {
                result = &mut connection => result,
                () = shed.cancelled() => {
                    if registration.entry.in_flight.load(Ordering::SeqCst) == 0 {
                        tracing::debug!("connection closed at the cap, between requests");
                        crate::metrics::Metrics::add(&registration.connections.state.metrics.connections_shed, 1);
                        return;
                    }
                    // A request started meanwhile: let it finish.
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(registration);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; stopping anyway");
        }
    }
}

/// The router as a hyper service that marks its connection busy from the moment a request's
/// headers are in until its response body is done (or dropped).
fn tracked_service(
    router: Router,
    connections: Arc<Connections>,
    entry: Arc<Entry>,
    peer: std::net::IpAddr,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = hyper::Response<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<hyper::Response<Body>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        // Only the login form needs the client's address (its failure limits): other requests
        // do not pay for the extension map.
        if request.method() == hyper::Method::POST {
            request.extensions_mut().insert(Peer(peer));
        }
        let busy = Busy::new(connections.clone(), entry.clone());
        let call = router.clone().oneshot(request);
        async move {
            let response = call.await?;
            Ok(response.map(|body| Body::new(TrackedBody { body, _busy: busy })))
        }
    })
}

/// Open connections, oldest first, and the cap.
struct Connections {
    cap: usize,
    open: Mutex<BTreeMap<u64, Arc<Entry>>>,
    /// A connection closed or went idle.
    changed: Notify,
    next_id: AtomicU64,
    state: AppState,
}

struct Entry {
    /// Requests inside the service or still sending their response body.
    in_flight: AtomicUsize,
    /// Cancelled to close the connection at the cap.
    shed: CancellationToken,
}

impl Connections {
    fn new(cap: usize, state: AppState) -> Self {
        Self { cap, open: Mutex::new(BTreeMap::new()), changed: Notify::new(), next_id: AtomicU64::new(0), state }
    }

    /// Waits until a connection may be accepted, closing the oldest one between requests when
    /// at the cap. False when the server stops meanwhile.
    async fn wait_for_slot(&self, stop: &CancellationToken) -> bool {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let open = self.open.lock().expect("the connection table is never poisoned");
                if open.len() < self.cap {
                    return true;
                }
                // One at a time: wait for the connection being closed to be gone.
                if !open.values().any(|entry| entry.shed.is_cancelled())
                    && let Some(oldest_idle) = open.values().find(|entry| entry.in_flight.load(Ordering::SeqCst) == 0)
                {
                    oldest_idle.shed.cancel();
                }
            }
            tokio::select! {
                () = changed => {}
                () = stop.cancelled() => return false,
            }
        }
    }

    fn register(self: &Arc<Self>) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(Entry { in_flight: AtomicUsize::new(0), shed: CancellationToken::new() });
        self.open.lock().expect("the connection table is never poisoned").insert(id, entry.clone());
        self.state.metrics.open_connections.fetch_add(1, Ordering::Relaxed);
        Registration { id, entry, connections: self.clone() }
    }
}

/// One open connection; dropping it (the connection's task ends) frees its slot.
struct Registration {
    id: u64,
    entry: Arc<Entry>,
    connections: Arc<Connections>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.connections.open.lock().expect("the connection table is never poisoned").remove(&self.id);
        self.connections.state.metrics.open_connections.fetch_sub(1, Ordering::Relaxed);
        self.connections.changed.notify_waiters();
    }
}

/// A request in flight on a connection.
struct Busy {
    connections: Arc<Connections>,
    entry: Arc<Entry>,
}

impl Busy {
    fn new(connections: Arc<Connections>, entry: Arc<Entry>) -> Self {
        entry.in_flight.fetch_add(1, Ordering::SeqCst);
        Self { connections, entry }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.entry.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.connections.changed.notify_waiters();
        }
    }
}

/// A response body that keeps its request counted as in flight until it is done.
struct TrackedBody {
    body: Body,
    _busy: Busy,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Raises the soft limit on open files to the hard one; answers the soft limit in effect.
fn raise_fd_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct it is given, which lives across the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        tracing::warn!(error = %std::io::Error::last_os_error(), "cannot read the file-descriptor limit");
        return None;
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        let target =
            if limit.rlim_max == libc::RLIM_INFINITY { UNLIMITED_FALLBACK as libc::rlim_t } else { limit.rlim_max };
        let raised = libc::rlimit { rlim_cur: target, rlim_max: limit.rlim_max };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = target;
        } else {
            let error = std::io::Error::last_os_error();
            tracing::warn!(%error, soft = before, "cannot raise the file-descriptor limit");
        }
    }
    let soft = limit.rlim_cur;
    tracing::info!(before, soft, hard = limit.rlim_max, "file-descriptor limit");
    Some(soft)
}

/// `MAX_CONNECTIONS`, lowered so that connections cannot use up the descriptors.
fn connection_cap(settings: &Settings, fd_limit: Option<u64>) -> usize {
    let fits = fd_limit.map_or(u64::MAX, |soft| {
        soft.saturating_sub(RESERVED_DESCRIPTORS + settings.scanner.clamav_max_connections) / 2
    });
    let cap = settings.http.max_connections.min(fits).max(1);
    if cap < settings.http.max_connections {
        tracing::warn!(
            max_connections = settings.http.max_connections,
            effective = cap,
            fd_limit,
            "MAX_CONNECTIONS lowered to fit the file-descriptor limit"
        );
    }
    usize::try_from(cap).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_leaves_room_for_files() {
        let settings = Settings::default();
        assert_eq!(connection_cap(&settings, Some(1024)), (1024 - 64 - 4) / 2);
        assert_eq!(connection_cap(&settings, Some(1 << 20)), 4096);
        assert_eq!(connection_cap(&settings, None), 4096);
        assert_eq!(connection_cap(&settings, Some(10)), 1, "never zero");
    }
}
