use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use vps_core::{ContentHash, ErrorCode, MediaType};
use vps_scan::{ScanError, ScanStream, Scanner, Verdict};
use vps_store::{BlobStore, SealedBlob, StoreError};

use crate::MediaAllowlist;
use crate::sniff::{SNIFF_LEN, sniff};

/// What the pipeline enforces on each file.
#[derive(Debug, Clone)]
pub struct Policy {
    /// A file larger than this is refused the moment it crosses the limit.
    pub max_file_bytes: u64,
    /// The types a file may have, judged on its sniffed content (not its name or declared type).
    pub allowlist: MediaAllowlist,
    /// Virus scanning in the same pass, when enabled.
    pub scan: Option<ScanPolicy>,
}

/// Every accepted file is streamed to clamd as it arrives; `fail_open` decides what a scanner
/// failure means (refuse the file by default, accept it with a warning when set).
#[derive(Clone)]
pub struct ScanPolicy {
    /// The clamd connection settings.
    pub scanner: Scanner,
    /// Accept a file (with a warning) when the scanner fails or cannot be reached, instead of
    /// refusing it.
    pub fail_open: bool,
}

impl std::fmt::Debug for ScanPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanPolicy").field("fail_open", &self.fail_open).finish_non_exhaustive()
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self { max_file_bytes: 100 * 1024 * 1024, allowlist: MediaAllowlist::default(), scan: None }
    }
}

/// The result of running one file through the pipeline.
#[derive(Debug)]
pub enum Outcome {
    /// Every check passed; the bytes wait in a temp blob for the caller to commit.
    Accepted(Accepted),
    /// The file was refused; the request goes on with the next file.
    Rejected(Rejection),
}

/// A file that passed every check: its bytes are fsynced in a temp file, waiting for the caller
/// to commit them under `hash` (or to drop them, which deletes the file).
#[derive(Debug)]
pub struct Accepted {
    /// The SHA-256 of the bytes read (equal to the declared one, if any).
    pub hash: ContentHash,
    /// The file's size in bytes.
    pub size: u64,
    /// The type sniffed from the content, which the allowlist allows.
    pub media_type: MediaType,
    /// The stored-but-uncommitted bytes: commit them to keep the file; dropping this deletes them.
    pub sealed: SealedBlob,
}

/// A file refused for what it is (its type, its emptiness); nothing of it was kept. The rest of
/// the request goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Stable machine-readable code, e.g. `unsupported-media-type`.
    pub code: ErrorCode,
    /// Why, for the user (`files of type … are not accepted`, the scanner's finding).
    pub message: String,
    /// Bytes read of the file.
    pub size: u64,
    /// What the content was detected as, when it was recognised.
    pub media_type: Option<MediaType>,
}

/// The pipeline could not finish the file; the whole request fails. Nothing of the file is kept.
#[derive(Debug, thiserror::Error)]
pub enum IngestError<E> {
    /// The file crossed [`Policy::max_file_bytes`]; reading stopped there.
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The largest file accepted, in bytes.
        limit: u64,
    },
    /// The body stream failed (the client went away, a transport error); carries its error.
    #[error("the request body could not be read")]
    Body(#[source] E),
    /// The blob store failed to write the file.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs one file's bytes through the pipeline, reading each byte once.
///
/// The first [`SNIFF_LEN`] bytes are held back until the type is known; after that, each chunk is
/// counted, hashed and handed to the temp writer as it arrives, so memory stays at a few chunks
/// whatever the file's size. A refused type does not stop the stream from being read to its end
/// (it is counted, so the size limit still applies), but nothing of it is written.
///
/// `declared` is the SHA-256 the client declared for the file (a `Content-Digest`): bytes that
/// hash otherwise are refused (`digest-mismatch`), and the store may stream straight under it.
pub async fn ingest<S, E>(
    store: &dyn BlobStore,
    policy: &Policy,
    extension: Option<&str>,
    declared: Option<ContentHash>,
    mut body: S,
) -> Result<Outcome, IngestError<E>>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut size = 0u64;
    let next = async |body: &mut S, size: &mut u64| -> Result<Option<Bytes>, IngestError<E>> {
        match body.next().await {
            None => Ok(None),
            Some(Err(e)) => Err(IngestError::Body(e)),
            Some(Ok(chunk)) => {
                *size += chunk.len() as u64;
                if *size > policy.max_file_bytes {
                    return Err(IngestError::TooLarge { limit: policy.max_file_bytes });
                }
                Ok(Some(chunk))
            }
        }
    };

    // 1. Hold back the first chunks until the type can be told; copy only their first 8 KiB.
    let mut held = Vec::new();
    let mut head = BytesMut::with_capacity(SNIFF_LEN);
    let mut ended = false;
    while head.len() < SNIFF_LEN {
        match next(&mut body, &mut size).await? {
            Some(chunk) => {
                head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_LEN - head.len())]);
                held.push(chunk);
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    if size == 0 {
        return Ok(Outcome::Rejected(Rejection {
            code: ErrorCode::EmptyFile,
            message: "the file is empty".into(),
            size: 0,
            media_type: None,
        }));
    }
    let sniffed = sniff(&head, ended, extension);
    let media_type = match sniffed {
        Some(media_type) if policy.allowlist.allows(&media_type) => media_type,
        refused => {
            while next(&mut body, &mut size).await?.is_some() {}
            let message = match &refused {
                Some(media_type) => format!("files of type {media_type} are not accepted"),
                None => "the file's content is not of any accepted type".to_owned(),
            };
            return Ok(Outcome::Rejected(Rejection {
                code: ErrorCode::UnsupportedMediaType,
                message,
                size,
                media_type: refused,
            }));
        }
    };

    // 2. Stream every chunk, as it arrives, to the temp writer (which hashes and writes it) and
    //    to the scanner: each byte is read once, and the three proceed side by side.
    let mut scan = Scan::begin(policy.scan.as_ref()).await;
    let mut temp = store.create_temp(declared).await?;
    for chunk in held {
        scan.write(&chunk).await;
        temp.write(chunk).await?;
    }
    while let Some(chunk) = next(&mut body, &mut size).await? {
        scan.write(&chunk).await;
        temp.write(chunk).await?;
    }
    // clamd scans once the stream has ended: let it work while the temp file is fsynced.
    let (sealed, verdict) = tokio::join!(temp.finish(), scan.verdict());
    let sealed = sealed?;
    if let Some(declared) = sealed.declared_mismatch() {
        let message = format!(
            "the file's bytes hash to {}, not to the {declared} its Content-Digest declares (damaged on the way?)",
            sealed.hash()
        );
        return Ok(Outcome::Rejected(Rejection {
            code: ErrorCode::DigestMismatch,
            message,
            size,
            media_type: Some(media_type),
        }));
    }
    match verdict {
        Ok(()) => Ok(Outcome::Accepted(Accepted { hash: *sealed.hash(), size, media_type, sealed })),
        // Dropping `sealed` deletes the temp file: nothing of a refused file is kept.
        Err((code, message)) => Ok(Outcome::Rejected(Rejection { code, message, size, media_type: Some(media_type) })),
    }
}

/// One file's scan, from the first chunk to the verdict; a failure is remembered, not raised,
/// so that the rest of the file is still read (the request goes on).
enum Scan {
    Off,
    Running { stream: ScanStream, fail_open: bool },
    Failed { error: ScanError, fail_open: bool },
}

impl Scan {
    async fn begin(policy: Option<&ScanPolicy>) -> Self {
        let Some(policy) = policy else { return Self::Off };
        match policy.scanner.begin().await {
            Ok(stream) => Self::Running { stream, fail_open: policy.fail_open },
            Err(error) => Self::Failed { error, fail_open: policy.fail_open },
        }
    }

    async fn write(&mut self, chunk: &Bytes) {
        if let Self::Running { stream, fail_open } = self
            && let Err(error) = stream.write(chunk.clone()).await
        {
            *self = Self::Failed { error, fail_open: *fail_open };
        }
    }

    /// `Ok` to keep the file, or the code and message of its refusal.
    async fn verdict(self) -> Result<(), (ErrorCode, String)> {
        let (error, fail_open) = match self {
            Self::Off => return Ok(()),
            Self::Running { stream, fail_open } => match stream.finish().await {
                Ok(Verdict::Clean) => return Ok(()),
                Ok(Verdict::Infected(signature)) => {
                    tracing::warn!(%signature, "virus detected in an upload; refused");
                    return Err((ErrorCode::VirusDetected, format!("a virus was found in the file: {signature}")));
                }
                Err(error) => (error, fail_open),
            },
            Self::Failed { error, fail_open } => (error, fail_open),
        };
        match error {
            // Too large for clamd: refused whatever the policy, as clamd would refuse it too.
            ScanError::TooLarge { limit } => {
                Err((error.code(), format!("the file is larger than the {limit} bytes the virus scanner accepts")))
            }
            error if fail_open => {
                tracing::warn!(%error, "the virus scanner failed; file accepted unscanned (VIRUS_SCANNER_FAIL_OPEN)");
                Ok(())
            }
            error => {
                tracing::error!(%error, "the virus scanner failed; file refused");
                Err((error.code(), format!("the file could not be scanned for viruses: {error}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures_util::stream;

    use super::*;

    fn chunks(data: &[u8], size: usize) -> impl Stream<Item = Result<Bytes, Infallible>> + Unpin {
        let pieces: Vec<_> = data.chunks(size).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        stream::iter(pieces)
    }

    fn store() -> (tempfile::TempDir, vps_store::FsStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = vps_store::FsStore::open(&dir.path().join("blobs"), &dir.path().join("tmp")).unwrap();
        (dir, store)
    }

    fn png(len: usize) -> Vec<u8> {
        let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
        data.extend((0..len - 8).map(|i| (i * 7 % 251) as u8));
        data
    }

    #[tokio::test]
    async fn an_accepted_file_has_the_sha256_of_all_its_bytes() {
        let (_dir, store) = store();
        let data = png(100_000);
        let Outcome::Accepted(file) =
            ingest(&store, &Policy::default(), Some("png"), None, chunks(&data, 1000)).await.unwrap()
        else {
            panic!("a PNG is accepted");
        };
        assert_eq!(file.hash, ContentHash::of(&data));
        assert_eq!(file.size, 100_000);
        assert_eq!(file.media_type.as_str(), "image/png");
        file.sealed.commit().await.unwrap();
        assert_eq!(store.read_bytes(&file.hash).await.unwrap().as_deref(), Some(&data[..]));
    }

    #[tokio::test]
    async fn crossing_the_size_limit_fails_at_once_and_leaves_no_temp_file() {
        let (_dir, store) = store();
        let policy = Policy { max_file_bytes: 50_000, ..Policy::default() };
        let err = ingest(&store, &policy, None, None, chunks(&png(60_000), 4096)).await.unwrap_err();
        assert!(matches!(err, IngestError::TooLarge { limit: 50_000 }));
        assert_eq!(std::fs::read_dir(store.temp_dir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn refused_types_and_empty_files_are_rejections_not_errors() {
        let (_dir, store) = store();
        let exe = b"MZ\x90\0".repeat(5000);
        let Outcome::Rejected(why) =
            ingest(&store, &Policy::default(), Some("png"), None, chunks(&exe, 999)).await.unwrap()
        else {
            panic!("an executable is refused");
        };
        assert_eq!((why.code.as_str(), why.size), ("unsupported-media-type", 20_000));
        let Outcome::Rejected(why) = ingest(&store, &Policy::default(), None, None, chunks(b"", 1)).await.unwrap()
        else {
            panic!("an empty file is refused");
        };
        assert_eq!(why.code, "empty-file");
        assert_eq!(std::fs::read_dir(store.temp_dir()).unwrap().count(), 0);
    }
}
