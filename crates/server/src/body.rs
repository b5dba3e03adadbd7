//! Every request body is read here, as a stream of chunks with its limits built in.
//!
//! [`RequestBody`] counts bytes against the request's limit (a declared `Content-Length` over it
//! fails at once), gives up on a body that stops arriving (`BODY_IDLE_TIMEOUT_SECS`) and, for
//! JSON bodies, on one that does not arrive whole in time (`BODY_TOTAL_TIMEOUT_SECS`: a body
//! trickling a byte just under the idle timeout would otherwise hold its request slot for
//! hours). [`MultipartBody`] adds the guard on the regions a multipart parser holds whole.
//! [`read_json_body`] collects a JSON body under `MAX_JSON_BODY_BYTES`. No handler reads a body
//! any other way.
//!
//! When the handler stops reading early (a limit crossed, a bad part), dropping the stream hands
//! the rest of the body to a short-lived task that reads and discards a bounded amount of it, so
//! that the client gets to read the error answer instead of seeing its connection reset in the
//! middle of its upload.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, BodyDataStream, HttpBody};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};
use vps_ingest::multipart::{MultipartLimitError, MultipartLimits, MultipartScanner};

use crate::{ApiError, Settings};

/// After the handler has stopped reading, at most this much more is read and discarded.
const DRAIN_BYTES: u64 = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Why the body stream ended early.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("no data arrived for {secs} s")]
    Idle { secs: u64 },
    #[error("the body did not arrive whole within {secs} s")]
    TooSlow { secs: u64 },
    #[error("{0}")]
    Read(String),
    #[error(transparent)]
    Multipart(#[from] MultipartLimitError),
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge { limit } => ApiError::RequestTooLarge { limit },
            BodyError::Idle { secs } => ApiError::BodyTimeout { secs },
            BodyError::TooSlow { secs } => ApiError::BodyTooSlow { secs },
            BodyError::Read(message) => ApiError::BodyRead(message),
            BodyError::Multipart(limit) => ApiError::MalformedMultipart(limit.to_string()),
        }
    }
}

/// The body as a stream of chunks; see the module documentation.
pub(crate) struct RequestBody {
    inner: Option<BodyDataStream>,
    /// The `Content-Length`, when there is one.
    declared: Option<u64>,
    total: u64,
    limit: u64,
    idle: Duration,
    idle_deadline: Pin<Box<Sleep>>,
    /// The whole body's time budget, when it has one.
    total_deadline: Option<(Duration, Pin<Box<Sleep>>)>,
}

impl RequestBody {
    pub(crate) fn new(body: Body, limit: u64, idle: Duration) -> Self {
        let declared = body.size_hint().exact();
        let idle_deadline = Box::pin(tokio::time::sleep(idle));
        Self {
            inner: Some(body.into_data_stream()),
            declared,
            total: 0,
            limit,
            idle,
            idle_deadline,
            total_deadline: None,
        }
    }

    /// The whole body must have arrived within `budget` from now.
    pub(crate) fn with_total_timeout(mut self, budget: Duration) -> Self {
        self.total_deadline = Some((budget, Box::pin(tokio::time::sleep(budget))));
        self
    }

    /// Ends the stream: later polls answer `None`, and nothing is left to drain.
    fn end<T>(&mut self, item: T) -> Poll<Option<T>> {
        self.inner = None;
        Poll::Ready(Some(item))
    }

    /// Whether the total time budget is spent (and the error to answer).
    fn out_of_time(&mut self, cx: &mut Context<'_>) -> Option<BodyError> {
        let (budget, deadline) = self.total_deadline.as_mut()?;
        deadline.as_mut().poll(cx).is_ready().then_some(BodyError::TooSlow { secs: budget.as_secs() })
    }
}

impl Stream for RequestBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else { return Poll::Ready(None) };
        if this.declared.take().is_some_and(|declared| declared > this.limit) {
            // Refused before a byte is read; the rest is drained on drop.
            return Poll::Ready(Some(Err(BodyError::TooLarge { limit: this.limit })));
        }
        match inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.total += chunk.len() as u64;
                if this.total > this.limit {
                    // Keep the rest of the body for the drain on drop.
                    return Poll::Ready(Some(Err(BodyError::TooLarge { limit: this.limit })));
                }
                if let Some(error) = this.out_of_time(cx) {
                    return this.end(Err(error));
                }
                this.idle_deadline.as_mut().reset(Instant::now() + this.idle);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(error))) => this.end(Err(BodyError::Read(error.to_string()))),
            Poll::Ready(None) => {
                this.inner = None;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if let Some(error) = this.out_of_time(cx) {
                    return this.end(Err(error));
                }
                ready!(this.idle_deadline.as_mut().poll(cx));
                this.end(Err(BodyError::Idle { secs: this.idle.as_secs() }))
            }
        }
    }
}

/// A multipart body: a [`RequestBody`] whose bytes also go through a [`MultipartScanner`], so
/// that a preamble or part headers that never end fail at their limit instead of being held.
pub(crate) struct MultipartBody {
    body: RequestBody,
    scanner: MultipartScanner,
    failed: bool,
}

impl MultipartBody {
    pub(crate) fn new(body: RequestBody, boundary: &str, settings: &Settings) -> Self {
        let limits = MultipartLimits {
            max_preamble_bytes: settings.uploads.multipart_max_preamble_bytes,
            max_header_bytes: settings.uploads.multipart_max_header_bytes,
        };
        Self { body, scanner: MultipartScanner::new(boundary, limits), failed: false }
    }
}

impl Stream for MultipartBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        let item = ready!(this.body.poll_next_unpin(cx));
        if let Some(Ok(chunk)) = &item
            && let Err(error) = this.scanner.feed(chunk)
        {
            // The chunk is not passed on; the rest of the body is drained on drop.
            this.failed = true;
            return Poll::Ready(Some(Err(error.into())));
        }
        Poll::Ready(item)
    }
}

/// The idle timeout every body gets.
pub(crate) fn idle_timeout(settings: &Settings) -> Duration {
    Duration::from_secs(settings.http.body_idle_timeout_secs)
}

/// A whole JSON body, read under `MAX_JSON_BODY_BYTES` and both timeouts.
pub(crate) async fn read_json_body(body: Body, settings: &Settings) -> Result<Bytes, ApiError> {
    let mut body = RequestBody::new(body, settings.http.max_json_body_bytes, idle_timeout(settings))
        .with_total_timeout(Duration::from_secs(settings.http.body_total_timeout_secs));
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    Ok(bytes.freeze())
}

impl Drop for RequestBody {
    fn drop(&mut self) {
        let (Some(mut rest), Ok(runtime)) = (self.inner.take(), tokio::runtime::Handle::try_current()) else {
            return;
        };
        runtime.spawn(async move {
            let drain = async {
                let mut drained = 0u64;
                while let Some(Ok(chunk)) = rest.next().await {
                    drained += chunk.len() as u64;
                    if drained > DRAIN_BYTES {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
        });
    }
}
