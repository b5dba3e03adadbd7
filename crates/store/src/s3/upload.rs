//! An upload's way into the bucket: the task that cuts the stream into the parts of a multipart
//! upload ([`Upload`]), and what it leaves until the commit places it under its hash
//! ([`PendingObject`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use object_store::path::Path as ObjectPath;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt, PutPayload};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use vps_core::ContentHash;

use crate::temp::{Batch, BlobSink, PendingBlob};
use crate::{StoreError, Stored, blob_key};

/// The multipart upload: the [`BlobSink`] of the S3 store, a task running an [`Upload`].
pub(super) struct ObjectSink {
    /// Taken by the task when it starts.
    pub(super) upload: Option<Upload>,
}

impl BlobSink for ObjectSink {
    type Written = PendingObject;

    fn name(&self) -> std::path::PathBuf {
        self.upload.as_ref().map(|upload| upload.key.to_string()).unwrap_or_default().into()
    }

    fn start(
        &mut self,
        batches: mpsc::Receiver<Batch>,
        cancelled: Arc<AtomicBool>,
    ) -> JoinHandle<Result<PendingObject, StoreError>> {
        let upload = self.upload.take().expect("an object sink starts once");
        tokio::spawn(upload.run(batches, cancelled))
    }

    fn seal(self, written: PendingObject) -> Box<dyn PendingBlob> {
        Box::new(written)
    }
}

impl PendingBlob for PendingObject {
    fn commit(self: Box<Self>, hash: ContentHash) -> BoxFuture<'static, Result<Stored, StoreError>> {
        Box::pin(async move { (*self).commit(&hash).await })
    }
}

/// One upload's bytes on their way to the bucket.
pub(super) struct Upload {
    pub(super) store: Arc<dyn ObjectStore>,
    /// A temp key; or, when the client declared the hash, the blob's own key.
    pub(super) key: ObjectPath,
    pub(super) direct: bool,
    pub(super) part_bytes: usize,
    pub(super) part_concurrency: usize,
    /// The key prefix of blobs (`<prefix>/blobs`), where the object goes when committed.
    pub(super) blobs: String,
}

impl Upload {
    /// Receives batches until the queue closes. To a temp key, the object is then completed; to
    /// the blob's own key, it is left for the commit to complete once the hash is known to match
    /// (until then S3 shows nothing under that key). When the temp blob was dropped or a part
    /// failed, the multipart upload is aborted: no object and no parts are left.
    pub(super) async fn run(
        self,
        mut batches: mpsc::Receiver<Batch>,
        cancelled: Arc<AtomicBool>,
    ) -> Result<PendingObject, StoreError> {
        let mut multipart: Option<Box<dyn MultipartUpload>> = None;
        let mut in_flight = JoinSet::new();
        let result = self.send(&mut batches, &cancelled, &mut multipart, &mut in_flight).await;
        let state = match result {
            Ok(state) => state,
            Err(error) => {
                in_flight.abort_all();
                if let Some(mut multipart) = multipart
                    && let Err(error) = multipart.abort().await
                {
                    tracing::warn!(key = %self.key, %error, "could not abort a multipart upload");
                }
                return Err(error);
            }
        };
        let state = match (state, multipart) {
            (Sent::Complete, _) => Waiting::Temp,
            (Sent::Parts, Some(multipart)) => Waiting::Parts(multipart),
            (Sent::Small(payload), _) => Waiting::Small(payload),
            (Sent::Parts, None) => unreachable!("parts were sent through a multipart upload"),
        };
        Ok(PendingObject { store: self.store.clone(), key: self.key.clone(), blobs: self.blobs.clone(), state })
    }

    async fn send(
        &self,
        batches: &mut mpsc::Receiver<Batch>,
        cancelled: &AtomicBool,
        multipart: &mut Option<Box<dyn MultipartUpload>>,
        in_flight: &mut JoinSet<object_store::Result<()>>,
    ) -> Result<Sent, StoreError> {
        let mut part: Vec<Bytes> = Vec::new();
        let mut part_len = 0;
        while let Some(batch) = batches.recv().await {
            for mut chunk in batch {
                while !chunk.is_empty() {
                    let piece = chunk.split_to((self.part_bytes - part_len).min(chunk.len()));
                    part_len += piece.len();
                    part.push(piece);
                    if part_len < self.part_bytes {
                        continue;
                    }
                    let upload = match multipart {
                        Some(upload) => upload,
                        None => multipart.insert(
                            self.store
                                .put_multipart(&self.key)
                                .await
                                .map_err(StoreError::object("start upload of", &self.key))?,
                        ),
                    };
                    in_flight.spawn(upload.put_part(PutPayload::from_iter(std::mem::take(&mut part))));
                    part_len = 0;
                    while in_flight.len() >= self.part_concurrency {
                        join_part(in_flight, &self.key).await?;
                    }
                }
            }
        }
        if cancelled.load(Ordering::Relaxed) {
            return Err(StoreError::WriterGone { path: self.key.to_string().into() });
        }
        let Some(upload) = multipart else {
            // Less than a part: one PUT, now to a temp key, at the commit to the blob's own key.
            let payload = PutPayload::from_iter(part);
            if self.direct {
                return Ok(Sent::Small(payload));
            }
            self.store.put(&self.key, payload).await.map_err(StoreError::object("put", &self.key))?;
            return Ok(Sent::Complete);
        };
        if part_len > 0 {
            in_flight.spawn(upload.put_part(PutPayload::from_iter(part)));
        }
        while !in_flight.is_empty() {
            join_part(in_flight, &self.key).await?;
        }
        if self.direct {
            return Ok(Sent::Parts);
        }
        upload.complete().await.map_err(StoreError::object("complete upload of", &self.key))?;
        Ok(Sent::Complete)
    }
}

/// How far an upload went once every byte was sent.
enum Sent {
    /// The object is complete (under a temp key).
    Complete,
    /// Every part is uploaded; the multipart upload waits to be completed.
    Parts,
    /// A small upload, held until the commit.
    Small(PutPayload),
}

async fn join_part(in_flight: &mut JoinSet<object_store::Result<()>>, key: &ObjectPath) -> Result<(), StoreError> {
    match in_flight.join_next().await {
        Some(Ok(result)) => result.map_err(StoreError::object("upload part of", key)),
        Some(Err(_)) => Err(StoreError::WriterGone { path: key.to_string().into() }),
        None => Ok(()),
    }
}

/// An upload whose bytes are all sent, waiting to be placed under its hash; what it left is
/// removed when it is dropped uncommitted.
pub(super) struct PendingObject {
    store: Arc<dyn ObjectStore>,
    key: ObjectPath,
    blobs: String,
    state: Waiting,
}

enum Waiting {
    /// A complete temp object: copied under the hash at the commit, then deleted.
    Temp,
    /// A multipart upload to the declared hash's key, completed at the commit.
    Parts(Box<dyn MultipartUpload>),
    /// A small upload to the declared hash's key, PUT at the commit.
    Small(PutPayload),
    /// Committed, or nothing left to clean.
    Done,
}

impl PendingObject {
    /// Places the bytes under the blob key of `hash`, unless that blob exists. `hash` is the
    /// bytes' own, checked by the temp blob against the declared one.
    async fn commit(mut self, hash: &ContentHash) -> Result<Stored, StoreError> {
        let target = ObjectPath::from(format!("{}/{}", self.blobs, blob_key(hash)));
        let present = match self.store.head(&target).await {
            Ok(_) => true,
            Err(object_store::Error::NotFound { .. }) => false,
            Err(e) => return Err(StoreError::object("head", &target)(e)),
        };
        // Straight to a blob's own key only when a hash was declared, and the temp blob commits
        // only bytes that have the hash declared for them.
        debug_assert!(matches!(self.state, Waiting::Temp) || self.key == target, "{} is not {target}", self.key);
        match std::mem::replace(&mut self.state, Waiting::Done) {
            Waiting::Temp => {
                if !present {
                    let copied = self.store.copy(&self.key, &target).await;
                    if let Err(error) = copied {
                        self.state = Waiting::Temp; // dropped: the temp object is deleted
                        return Err(StoreError::object("copy into place", &target)(error));
                    }
                }
                if let Err(error) = self.store.delete(&self.key).await {
                    // The blob is in place; a leftover temp object is removed at a later start-up.
                    tracing::warn!(key = %self.key, %error, "could not delete a temp object");
                }
            }
            Waiting::Parts(mut upload) if present => {
                upload.abort().await.map_err(StoreError::object("abort upload of", &self.key))?;
            }
            Waiting::Parts(mut upload) => {
                upload.complete().await.map_err(StoreError::object("complete upload of", &self.key))?;
            }
            Waiting::Small(_) if present => {}
            Waiting::Small(payload) => {
                self.store.put(&self.key, payload).await.map_err(StoreError::object("put", &self.key))?;
            }
            Waiting::Done => unreachable!("a pending object is committed once"),
        }
        Ok(if present { Stored::AlreadyPresent } else { Stored::Created })
    }
}

impl Drop for PendingObject {
    fn drop(&mut self) {
        let (store, key) = (self.store.clone(), self.key.clone());
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        match std::mem::replace(&mut self.state, Waiting::Done) {
            Waiting::Temp => {
                runtime.spawn(async move {
                    if let Err(error) = store.delete(&key).await {
                        tracing::warn!(%key, %error, "could not delete a temp object");
                    }
                });
            }
            Waiting::Parts(mut upload) => {
                runtime.spawn(async move {
                    if let Err(error) = upload.abort().await {
                        tracing::warn!(%key, %error, "could not abort a multipart upload");
                    }
                });
            }
            Waiting::Small(_) | Waiting::Done => {}
        }
    }
}
