//! Checking that a stored blob's bytes still hash to its name. Blobs are immutable, so a
//! mismatch is damage (a disk error, a hand edit, a bad copy): such bytes must never be served
//! as what the hash names.
//!
//! - [`check_blob`] streams one blob through SHA-256 (never whole in memory): `vps-publish verify`.
//! - [`verified`] wraps a blob's byte stream for serving: it hashes the bytes as they go out and
//!   always holds back the last chunk until the hash is known, so that a mismatch ends the stream
//!   with an error *before* the body is complete — the client sees a broken transfer, never a
//!   whole wrong body.

use futures_util::stream::{self, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use vps_core::ContentHash;

use crate::{BlobStore, ByteStream, StoreError};

/// What reading a blob through SHA-256 found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Its bytes hash to its name.
    Intact {
        /// The blob's size in bytes.
        len: u64,
    },
    /// Its bytes hash to something else.
    Corrupt {
        /// The blob's size in bytes.
        len: u64,
        /// The SHA-256 its bytes actually have.
        actual: ContentHash,
    },
    /// The store does not have it.
    Missing,
}

/// Streams the blob `hash` through SHA-256 and compares.
pub async fn check_blob(store: &dyn BlobStore, hash: &ContentHash) -> Result<Check, StoreError> {
    let Some(reader) = store.open(hash).await? else { return Ok(Check::Missing) };
    let mut bytes = reader.stream(None).await?;
    let (mut hasher, mut len) = (Sha256::new(), 0u64);
    while let Some(chunk) = bytes.try_next().await? {
        hasher.update(&chunk);
        len += chunk.len() as u64;
    }
    let actual = ContentHash::from_digest(hasher.finalize().into());
    Ok(if &actual == hash { Check::Intact { len } } else { Check::Corrupt { len, actual } })
}

/// The hash of bytes held in memory.
pub fn hash_bytes(bytes: &[u8]) -> ContentHash {
    ContentHash::of(bytes)
}

/// The error a stream of a damaged blob ends with.
pub fn corrupt_error(expected: &ContentHash, actual: &ContentHash) -> StoreError {
    StoreError::Corrupt { what: format!("blob {expected}"), why: format!("its bytes hash to {actual}") }
}

/// `inner` (the whole of blob `expected`), hashed as it is consumed. Every chunk but the last is
/// passed on as it arrives; the last one only once the hash matches. On a mismatch the stream
/// ends with [`StoreError::Corrupt`] instead of the last chunk, after calling `on_corrupt` with
/// the hash the bytes really have.
pub fn verified(
    inner: ByteStream,
    expected: ContentHash,
    on_corrupt: impl FnOnce(ContentHash) + Send + 'static,
) -> ByteStream {
    struct State<F> {
        inner: ByteStream,
        hasher: Sha256,
        held: Option<bytes::Bytes>,
        expected: ContentHash,
        on_corrupt: Option<F>,
        done: bool,
    }
    let state = State { inner, hasher: Sha256::new(), held: None, expected, on_corrupt: Some(on_corrupt), done: false };
    stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        loop {
            match state.inner.next().await {
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => {
                    state.hasher.update(&chunk);
                    if let Some(previous) = state.held.replace(chunk) {
                        return Some((Ok(previous), state));
                    }
                }
                Some(Err(error)) => {
                    state.done = true;
                    return Some((Err(error), state));
                }
                None => {
                    state.done = true;
                    let actual = ContentHash::from_digest(std::mem::take(&mut state.hasher).finalize().into());
                    if actual == state.expected {
                        return state.held.take().map(|last| (Ok(last), state));
                    }
                    if let Some(report) = state.on_corrupt.take() {
                        report(actual);
                    }
                    let error = corrupt_error(&state.expected, &actual);
                    return Some((Err(error), state));
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use bytes::Bytes;

    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> ByteStream {
        stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>()).boxed()
    }

    async fn drain(stream: ByteStream) -> (Vec<u8>, Option<StoreError>) {
        let mut stream = stream;
        let mut out = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(chunk) => out.extend_from_slice(&chunk),
                Err(error) => return (out, Some(error)),
            }
        }
        (out, None)
    }

    #[tokio::test]
    async fn intact_bytes_pass_whole_and_in_order() {
        let hash = hash_bytes(b"hello, world");
        let (out, error) = drain(verified(chunks(&[b"hello", b"", b", ", b"world"]), hash, |_| panic!())).await;
        assert_eq!((out.as_slice(), error.is_none()), (&b"hello, world"[..], true));
        let empty = hash_bytes(b"");
        let (out, error) = drain(verified(chunks(&[]), empty, |_| panic!())).await;
        assert!(out.is_empty() && error.is_none());
    }

    #[tokio::test]
    async fn damaged_bytes_end_in_an_error_before_the_last_chunk_and_are_reported() {
        let reported = Arc::new(Mutex::new(None));
        let seen = reported.clone();
        let expected = hash_bytes(b"hello, world");
        let stream = verified(chunks(&[b"hello", b", ", b"w0rld"]), expected, move |actual| {
            *seen.lock().unwrap() = Some(actual);
        });
        let (out, error) = drain(stream).await;
        assert_eq!(out, b"hello, ", "the last chunk is never sent");
        assert!(matches!(error, Some(StoreError::Corrupt { .. })), "{error:?}");
        assert_eq!(*reported.lock().unwrap(), Some(hash_bytes(b"hello, w0rld")));
    }
}
