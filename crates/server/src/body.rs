//! The request body of an upload, as a stream of chunks with the upload's limits built in.
//!
//! It counts bytes against the whole-request limit and gives up on a body that stops arriving.
//! When the handler stops reading early (a limit crossed, a bad part), dropping the stream hands
//! the rest of the body to a short-lived task that reads and discards a bounded amount of it, so
//! that the client gets to read the error answer instead of seeing its connection reset in the
//! middle of its upload.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};

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
    #[error("{0}")]
    Read(String),
}

/// The body as a stream of chunks; see the module documentation.
pub struct RequestBody {
    inner: Option<BodyDataStream>,
    total: u64,
    limit: u64,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl RequestBody {
    pub fn new(body: Body, limit: u64, idle: Duration) -> Self {
        let deadline = Box::pin(tokio::time::sleep(idle));
        Self { inner: Some(body.into_data_stream()), total: 0, limit, idle, deadline }
    }

    /// Ends the stream: later polls answer `None`, and nothing is left to drain.
    fn end<T>(&mut self, item: T) -> Poll<Option<T>> {
        self.inner = None;
        Poll::Ready(Some(item))
    }
}

impl Stream for RequestBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else { return Poll::Ready(None) };
        match inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.total += chunk.len() as u64;
                if this.total > this.limit {
                    // Keep the rest of the body for the drain on drop.
                    return Poll::Ready(Some(Err(BodyError::TooLarge { limit: this.limit })));
                }
                this.deadline.as_mut().reset(Instant::now() + this.idle);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(error))) => this.end(Err(BodyError::Read(error.to_string()))),
            Poll::Ready(None) => {
                this.inner = None;
                Poll::Ready(None)
            }
            Poll::Pending => {
                ready!(this.deadline.as_mut().poll(cx));
                this.end(Err(BodyError::Idle { secs: this.idle.as_secs() }))
            }
        }
    }
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
