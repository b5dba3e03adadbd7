//! The request body of an upload, read by a small pump task.
//!
//! The pump counts bytes against the whole-request limit, gives up on a body that stops
//! arriving, and hands chunks to the handler through a short queue. When the handler stops
//! early (a limit crossed, a bad part), the pump drains a bounded amount of what the client is
//! still sending, so that the client can read the error answer instead of seeing its connection
//! reset in the middle of its upload.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

/// Chunks queued between the pump and the handler.
const QUEUE_CHUNKS: usize = 4;
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
    receiver: mpsc::Receiver<Result<Bytes, BodyError>>,
}

impl RequestBody {
    pub fn spawn(body: Body, limit: u64, idle: Duration) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_CHUNKS);
        tokio::spawn(pump(body, limit, idle, sender));
        Self { receiver }
    }
}

impl Stream for RequestBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

async fn pump(body: Body, limit: u64, idle: Duration, sender: mpsc::Sender<Result<Bytes, BodyError>>) {
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    loop {
        let item = match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(item)) => item,
            Ok(None) => return,
            Err(_) => {
                let _ = sender.send(Err(BodyError::Idle { secs: idle.as_secs() })).await;
                return;
            }
        };
        let chunk = match item {
            Ok(chunk) => chunk,
            Err(error) => {
                let _ = sender.send(Err(BodyError::Read(error.to_string()))).await;
                return;
            }
        };
        total += chunk.len() as u64;
        if total > limit {
            let _ = sender.send(Err(BodyError::TooLarge { limit })).await;
            break;
        }
        if sender.send(Ok(chunk)).await.is_err() {
            break; // the handler has its answer already
        }
    }
    let drain = async {
        let mut drained = 0u64;
        while let Some(Ok(chunk)) = stream.next().await {
            drained += chunk.len() as u64;
            if drained > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
}
