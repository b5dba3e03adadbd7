//! One log line per request, inside a span that the handler's own lines inherit. The query
//! string is left out: it may carry tokens. The API's requests are logged at `info`; the
//! reader's (pages, assets, blobs: thousands a second) at `debug`, their span too.
//!
//! A tower layer rather than `axum::middleware::from_fn`: when the request's span is disabled
//! (a page view at `info`), the request goes straight to the route, its future unboxed and
//! unwrapped, with no clock read — `from_fn` would box a future and clone the route for every
//! request whether anything is logged or not.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::response::Response;
use futures_util::future::{BoxFuture, Either};
use tower::{Layer, Service};
use tracing::Instrument;

const TARGET: &str = "vps_server::routes";

/// Logs each request it sees (see the module).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RequestLog;

impl<S> Layer<S> for RequestLog {
    type Service = Logged<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Logged { inner }
    }
}

/// A route with its requests logged.
#[derive(Debug, Clone)]
pub(super) struct Logged<S> {
    inner: S,
}

impl<S> Service<Request> for Logged<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let api = request.uri().path().starts_with("/api/");
        // The fields are formatted only when the span is enabled. The target is the one these
        // lines have always had (filters and operators' searches name it).
        let span = if api {
            tracing::info_span!(target: TARGET, "request", method = %request.method(), path = request.uri().path())
        } else {
            tracing::debug_span!(target: TARGET, "request", method = %request.method(), path = request.uri().path())
        };
        if !api && span.is_disabled() {
            return Either::Left(self.inner.call(request));
        }
        let started = Instant::now();
        let answer = self.inner.call(request).instrument(span.clone());
        Either::Right(Box::pin(async move {
            let response = answer.await?;
            let _entered = span.enter();
            let (status, ms) = (response.status().as_u16(), started.elapsed().as_millis() as u64);
            if api {
                tracing::info!(target: TARGET, status, ms, "answered");
            } else {
                tracing::debug!(target: TARGET, status, ms, "answered");
            }
            Ok(response)
        }))
    }
}
