//! One file being sent to clamd with `INSTREAM`.
//!
//! The caller hands over chunks as they arrive ([`ScanStream::write`]); a task writes them to
//! clamd as frames, so that the socket write proceeds while the caller hashes and stores the same
//! chunks (reference-counted, not copied). Chunks go to the task in batches through a bounded
//! queue: a scan holds a few hundred KiB at most whatever the file's size, and a slow clamd slows
//! the caller down (backpressure) rather than filling memory. The task owns the connection and the
//! connection slot: aborting it (on an error, or when the stream is dropped) closes the one and
//! gives back the other.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::task::JoinHandle;

use crate::connection::Connection;
use crate::{ScanError, Shared, Verdict, protocol};

/// Chunks are handed to the task in batches of about this many bytes: one wake-up and one
/// `writev` per batch rather than per chunk.
const BATCH_BYTES: usize = 128 * 1024;
/// …or of this many chunks, when they are small (`writev` takes at most 1024 pieces).
const BATCH_CHUNKS: usize = 64;
/// Batches queued for the task before the caller waits.
const QUEUE_BATCHES: usize = 2;
/// How long a failed write waits for clamd to say why it closed the connection.
const REASON_WAIT: Duration = Duration::from_secs(1);

enum Message {
    Batch(Vec<Bytes>),
    End,
}

/// A file being scanned. Dropping it before [`ScanStream::finish`] closes the connection and
/// gives its slot back.
pub struct ScanStream {
    shared: Arc<Shared>,
    queue: mpsc::Sender<Message>,
    task: Option<JoinHandle<Result<Verdict, ScanError>>>,
    batch: Vec<Bytes>,
    batch_bytes: usize,
    written: u64,
    started: Instant,
    /// Set when the scan has ended in an error (counted then): every later call answers it.
    ended: Option<ScanError>,
}

impl ScanStream {
    pub(crate) fn start(
        shared: Arc<Shared>,
        connection: Connection,
        slot: OwnedSemaphorePermit,
        started: Instant,
    ) -> Self {
        let (queue, batches) = mpsc::channel(QUEUE_BATCHES);
        let task = tokio::spawn(feed(connection, batches, shared.config.timeout, slot));
        Self { shared, queue, task: Some(task), batch: Vec::new(), batch_bytes: 0, written: 0, started, ended: None }
    }

    /// Queues a chunk for clamd; waits only when the task is a few batches behind.
    ///
    /// A chunk that would take the file past the scanner's `stream_max_length` is refused with
    /// [`ScanError::TooLarge`] and not sent; the scan ends there.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), ScanError> {
        if let Some(error) = &self.ended {
            return Err(error.clone());
        }
        if chunk.is_empty() {
            return Ok(());
        }
        let limit = self.shared.config.stream_max_length;
        if self.written + chunk.len() as u64 > limit {
            return Err(self.fail(ScanError::TooLarge { limit }));
        }
        self.written += chunk.len() as u64;
        self.batch_bytes += chunk.len();
        self.batch.push(chunk);
        if self.batch_bytes >= BATCH_BYTES || self.batch.len() >= BATCH_CHUNKS {
            self.send_batch().await?;
        }
        Ok(())
    }

    /// Bytes accepted by [`ScanStream::write`] so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Sends what is left and the end of the stream, and waits for clamd's verdict (clamd scans
    /// the file once it has all of it).
    pub async fn finish(mut self) -> Result<Verdict, ScanError> {
        if let Some(error) = self.ended.take() {
            return Err(error);
        }
        if !self.batch.is_empty() {
            self.send_batch().await?;
        }
        self.send(Message::End).await?;
        match self.join().await {
            Ok(verdict) => {
                let elapsed = self.started.elapsed();
                self.shared.counters.verdict(matches!(verdict, Verdict::Infected(_)), self.written, elapsed);
                tracing::debug!(bytes = self.written, ms = elapsed.as_millis() as u64, ?verdict, "scanned");
                Ok(verdict)
            }
            Err(error) => Err(self.fail(error)),
        }
    }

    async fn send_batch(&mut self) -> Result<(), ScanError> {
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        self.send(Message::Batch(batch)).await
    }

    async fn send(&mut self, message: Message) -> Result<(), ScanError> {
        if self.queue.send(message).await.is_ok() {
            return Ok(());
        }
        // The task stopped early: it failed, and its error says why.
        let error = match self.join().await {
            Err(error) => error,
            Ok(_) => ScanError::Protocol("clamd answered before the end of the stream".to_owned()),
        };
        Err(self.fail(error))
    }

    async fn join(&mut self) -> Result<Verdict, ScanError> {
        let task = self.task.take().expect("a scan is joined once");
        task.await.unwrap_or_else(|error| Err(ScanError::Unavailable(format!("the scan task failed: {error}"))))
    }

    /// Ends the scan with `error`: closes the connection, gives the slot back, counts it.
    fn fail(&mut self, error: ScanError) -> ScanError {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.batch = Vec::new();
        match error {
            ScanError::TooLarge { .. } => self.shared.counters.too_large(),
            _ => self.shared.counters.failed(),
        }
        tracing::debug!(bytes = self.written, %error, "scan failed");
        self.ended = Some(error.clone());
        error
    }
}

impl Drop for ScanStream {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The task of a scan: writes each batch as frames, then the end of the stream, and reads the
/// verdict. Holds the connection slot until it returns or is aborted.
async fn feed(
    mut connection: Connection,
    mut batches: mpsc::Receiver<Message>,
    limit: Duration,
    _slot: OwnedSemaphorePermit,
) -> Result<Verdict, ScanError> {
    while let Some(message) = batches.recv().await {
        let end = matches!(message, Message::End);
        let sent = match message {
            Message::Batch(batch) => connection.send_all(&protocol::frames(&batch), limit).await,
            Message::End => connection.send(Bytes::from_static(protocol::END), limit).await,
        };
        if let Err(error) = sent {
            return Err(reason(connection, error).await);
        }
        if end {
            return protocol::verdict(&connection.reply(limit).await?);
        }
    }
    // The stream was dropped, which aborts this task: nobody reads this.
    Err(ScanError::Unavailable("the scan was abandoned".to_owned()))
}

/// clamd closes the connection when it refuses a stream (past its `StreamMaxLength`, say), after
/// saying why: its reason, when it can still be read, is a better error than the failed write.
async fn reason(mut connection: Connection, error: ScanError) -> ScanError {
    if error == ScanError::Timeout {
        return error;
    }
    match connection.reply(REASON_WAIT).await {
        Ok(reply) => ScanError::Protocol(format!("clamd answered {reply:?}")),
        Err(_) => error,
    }
}
