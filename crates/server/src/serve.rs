//! The accept loop: HTTP/1.1 connections served by hyper with the limits this server needs,
//! which `axum::serve` does not let one set.
//!
//! - **Read buffer capped at 64 KiB.** Upload bodies arrive as chunks cut from the connection's
//!   read buffer. Left to grow (hyper's default is about 400 KiB), every buffer is a large
//!   allocation freed on another thread (the temp writer's), a pattern that makes glibc keep
//!   memory resident; 64 KiB chunks stay in the allocator's reusable small sizes and keep
//!   per-upload memory at a few chunks.
//! - **Header read timeout**, so a client that opens connections and never finishes its request
//!   headers cannot hold them forever (body idleness is handled per upload, see `body`).
//! - **Graceful shutdown**: when stopped, no new connection is accepted; requests in flight get
//!   the grace period to finish, then the server returns anyway.

use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const READ_BUFFER: usize = 64 * 1024;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn serve(listener: TcpListener, router: Router, stop: CancellationToken, grace: Duration) {
    let mut builder = http1::Builder::new();
    builder.max_buf_size(READ_BUFFER).timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
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
