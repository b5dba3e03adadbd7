//! Streaming uploads: files go from disk to the wire as multipart `assets` parts, never whole in
//! memory. Small files share requests; large ones go alone; a few requests run at once.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use tokio::fs::File;
use tokio_util::io::ReaderStream;
use vps_core::api::{PublicConfig, UploadResponse, UploadedFile};
use vps_core::{AssetPath, ContentHash, SessionId};

use crate::client::{Client, decode};
use crate::error::{ClientError, LocalFileError};

/// Bytes read from a file per buffer: one or two such buffers per request are in memory.
const READ_BUFFER: usize = 256 * 1024;
/// Small files are grouped into requests of at most this many bytes.
const GROUP_BYTES: u64 = 64 * 1024 * 1024;
/// Multipart framing per part besides its file name (boundary, headers, line ends).
const PART_OVERHEAD: u64 = 160;
/// How often progress is reported while bytes flow.
const PROGRESS_TICK: Duration = Duration::from_millis(100);

/// A file to upload: its path in the vault (the part's filename) and where it is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadFile {
    /// The asset's path in the vault, sent as the part's filename; the server stores it there.
    pub path: AssetPath,
    /// Where the file is on the local disk.
    pub file: PathBuf,
    /// The size the file had when it was scanned; a file that no longer has it is an error.
    pub size: u64,
    /// Its SHA-256, when known: sent as the part's `Content-Digest`, so that the server refuses
    /// bytes damaged on the way, and may store them straight under their hash.
    pub sha256: Option<ContentHash>,
}

/// How uploads are cut into requests; see [`UploadLimits::from_config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// The most files in one request (at least 1 is used).
    pub max_files_per_request: usize,
    /// The largest request body, in bytes; small files are grouped up to the smaller of this
    /// and 64 MiB, a larger file goes alone.
    pub max_request_bytes: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for UploadLimits {
    /// The server's defaults (100 files, 1 GiB per request) and 4 requests at once.
    fn default() -> Self {
        Self { max_files_per_request: 100, max_request_bytes: 1024 * 1024 * 1024, concurrency: 4 }
    }
}

impl UploadLimits {
    /// The limits a server advertises, with the default concurrency.
    pub fn from_config(config: &PublicConfig) -> Self {
        Self {
            max_files_per_request: usize::try_from(config.max_files_per_request).unwrap_or(usize::MAX).max(1),
            max_request_bytes: config.max_request_bytes,
            ..Self::default()
        }
    }
}

impl From<&PublicConfig> for UploadLimits {
    fn from(config: &PublicConfig) -> Self {
        Self::from_config(config)
    }
}

impl Client {
    /// Streams files from disk as multipart `assets` parts (filename = vault path), grouping
    /// small files into requests of at most `max_files_per_request` files and 64 MiB (or
    /// `max_request_bytes`, if smaller), and sending larger files alone, with up to
    /// `concurrency` requests in flight. Memory stays at a few 256 KiB buffers per request
    /// whatever the sizes: a file is opened only when its part starts, read into a
    /// `ReaderStream`, and closed at its end.
    ///
    /// `progress` is called with the number of file bytes sent since its last call (a retried
    /// request reports only bytes past what its earlier attempts reached). Returns every file's
    /// outcome (`stored`, `deduplicated` or `rejected` for its type or emptiness), in the order
    /// of `files`. A request the server refuses as a whole (a limit crossed, a bad path) fails
    /// the call: check files against [`PublicConfig::max_asset_size_bytes`] first.
    pub async fn upload_files(
        &self,
        session: SessionId,
        files: &[UploadFile],
        limits: &UploadLimits,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Vec<UploadedFile>, ClientError> {
        let reported = Arc::new(AtomicU64::new(0));
        let requests = stream::iter(plan(files, limits))
            .map(|group| self.upload_group(session, &files[group], reported.clone()))
            .buffered(limits.concurrency.max(1))
            .try_fold(Vec::with_capacity(files.len()), |mut all, answered| async move {
                all.extend(answered);
                Ok(all)
            });
        tokio::pin!(requests);
        let mut ticker = tokio::time::interval(PROGRESS_TICK);
        let mut told = 0;
        let tell = |told: &mut u64| {
            let now = reported.load(Ordering::Relaxed);
            if now > *told {
                progress(now - *told);
                *told = now;
            }
        };
        loop {
            tokio::select! {
                result = &mut requests => {
                    tell(&mut told);
                    return result;
                }
                _ = ticker.tick() => tell(&mut told),
            }
        }
    }

    /// One multipart request for `group`, rebuilt (files reopened) for each attempt.
    async fn upload_group(
        &self,
        session: SessionId,
        group: &[UploadFile],
        reported: Arc<AtomicU64>,
    ) -> Result<Vec<UploadedFile>, ClientError> {
        for file in group {
            let found = tokio::fs::metadata(&file.file).await.map_err(|e| io_error(&file.file, e))?;
            if !found.is_file() || found.len() != file.size {
                return Err(io_error(&file.file, changed(file.size, found.len())));
            }
        }
        let path = format!("/api/session/{session}/assets/upload");
        let high_water = Arc::new(AtomicU64::new(0));
        let mut build = || {
            let meter = Meter {
                client_total: self.sent.clone(),
                attempt: Arc::new(AtomicU64::new(0)),
                high_water: high_water.clone(),
                reported: reported.clone(),
            };
            let form = group.iter().fold(Form::new(), |form, file| {
                let body = reqwest::Body::wrap_stream(file_stream(file.file.clone(), file.size, meter.clone()));
                let mut part = Part::stream_with_length(body, file.size).file_name(file.path.as_str().to_owned());
                if let Some(hash) = &file.sha256 {
                    let mut headers = reqwest::header::HeaderMap::new();
                    let digest =
                        reqwest::header::HeaderValue::from_str(&hash.to_content_digest()).expect("base64 is ASCII");
                    headers.insert("content-digest", digest);
                    part = part.headers(headers);
                }
                form.part("assets", part)
            });
            Ok(self.api(Method::POST, &path).multipart(form))
        };
        let response = self.execute("upload", true, &mut build).await?;
        let answer: UploadResponse = decode("upload", response).await?;
        if answer.files.len() != group.len() {
            let detail = format!("{} results for {} files", answer.files.len(), group.len());
            return Err(ClientError::protocol("upload", detail));
        }
        tracing::debug!(%session, files = group.len(), "upload request done");
        Ok(answer.files)
    }
}

/// Cuts `files` into requests, in order: runs of small files up to the count and byte limits
/// (a path already in the run starts a new one: the server refuses duplicates), and each file
/// too large to share a request alone.
fn plan(files: &[UploadFile], limits: &UploadLimits) -> Vec<std::ops::Range<usize>> {
    let max_files = limits.max_files_per_request.max(1);
    let max_bytes = GROUP_BYTES.min(limits.max_request_bytes);
    let mut groups = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    let mut paths = HashSet::new();
    for (index, file) in files.iter().enumerate() {
        let cost = file.size + PART_OVERHEAD + file.path.as_str().len() as u64;
        let full = index - start >= max_files || bytes + cost > max_bytes || paths.contains(&file.path);
        if index > start && full {
            groups.push(start..index);
            (start, bytes) = (index, 0);
            paths.clear();
        }
        bytes += cost;
        paths.insert(&file.path);
    }
    if start < files.len() {
        groups.push(start..files.len());
    }
    groups
}

/// Counts the bytes of one attempt as they are read for sending.
#[derive(Clone)]
struct Meter {
    /// The client's [`Client::bytes_sent`].
    client_total: Arc<AtomicU64>,
    /// Bytes read by this attempt, across its parts.
    attempt: Arc<AtomicU64>,
    /// The furthest any attempt of this request got: progress reports only what passes it.
    high_water: Arc<AtomicU64>,
    /// Progress of the whole upload, read by the reporting loop.
    reported: Arc<AtomicU64>,
}

impl Meter {
    fn add(&self, n: u64) {
        self.client_total.fetch_add(n, Ordering::Relaxed);
        let position = self.attempt.fetch_add(n, Ordering::Relaxed) + n;
        let before = self.high_water.fetch_max(position, Ordering::Relaxed);
        if position > before {
            self.reported.fetch_add(position - before, Ordering::Relaxed);
        }
    }
}

/// A file's bytes as a stream: opened at the first poll (so that a request of 100 parts holds
/// one open file and one buffer at a time), checked against the expected size.
fn file_stream(
    path: PathBuf,
    size: u64,
    meter: Meter,
) -> impl futures_util::Stream<Item = Result<Bytes, LocalFileError>> + Send + 'static {
    enum State {
        Closed,
        Open(ReaderStream<File>, u64),
        Done,
    }
    let path: Arc<Path> = path.into();
    stream::unfold(State::Closed, move |state| {
        let (path, meter) = (path.clone(), meter.clone());
        async move {
            let fail =
                |source: io::Error| Some((Err(LocalFileError { path: path.to_path_buf(), source }), State::Done));
            let (mut reader, read) = match state {
                State::Done => return None,
                State::Open(reader, read) => (reader, read),
                State::Closed => match File::open(&path).await {
                    Ok(file) => (ReaderStream::with_capacity(file, READ_BUFFER), 0),
                    Err(e) => return fail(e),
                },
            };
            match reader.next().await {
                Some(Ok(bytes)) => {
                    let read = read + bytes.len() as u64;
                    if read > size {
                        return fail(changed(size, read));
                    }
                    meter.add(bytes.len() as u64);
                    Some((Ok(bytes), State::Open(reader, read)))
                }
                Some(Err(e)) => fail(e),
                None if read != size => fail(changed(size, read)),
                None => None,
            }
        }
    })
}

fn changed(expected: u64, found: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the file changed since it was scanned ({found} bytes now, {expected} then)"),
    )
}

fn io_error(path: &Path, source: io::Error) -> ClientError {
    ClientError::Io { path: path.to_owned(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> UploadFile {
        UploadFile { path: AssetPath::parse(path).unwrap(), file: PathBuf::from(path), size, sha256: None }
    }

    #[test]
    fn small_files_share_requests_and_large_ones_go_alone() {
        const MIB: u64 = 1024 * 1024;
        let files = [
            file("a.png", 10),
            file("b.png", 20),
            file("c.png", 30),
            file("big.mp4", 200 * MIB),
            file("d.png", 40 * MIB),
            file("e.png", 40 * MIB),
            file("f.png", 1),
        ];
        let limits = UploadLimits { max_files_per_request: 2, ..UploadLimits::default() };
        assert_eq!(plan(&files, &limits), [0..2, 2..3, 3..4, 4..5, 5..7]);
        let limits = UploadLimits { max_files_per_request: 100, max_request_bytes: 50, concurrency: 1 };
        assert_eq!(plan(&files[..3], &limits), [0..1, 1..2, 2..3]);
        assert!(plan(&[], &UploadLimits::default()).is_empty());
    }

    #[tokio::test]
    async fn a_file_that_shrinks_while_it_is_sent_is_an_io_error_and_not_retried() {
        // A peer that reads everything and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicU64::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move { tokio::io::copy(&mut socket, &mut tokio::io::sink()).await });
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let on_disk = dir.path().join("a.png");
        std::fs::write(&on_disk, vec![7u8; 300_000]).unwrap();
        let client = Client::new(&base, "test-key-123").unwrap();
        let meter = || Meter {
            client_total: client.sent.clone(),
            attempt: Arc::default(),
            high_water: Arc::default(),
            reported: Arc::default(),
        };
        let mut build = || {
            let body = reqwest::Body::wrap_stream(file_stream(on_disk.clone(), 400_000, meter()));
            let form = Form::new().part("assets", Part::stream_with_length(body, 400_000).file_name("a.png"));
            Ok(client.api(Method::POST, "/api/session/x/assets/upload").multipart(form))
        };
        let error = client.execute("upload", true, &mut build).await.unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Io, "{error}");
        assert!(error.to_string().contains("changed since it was scanned"), "{error}");
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "not retried");
        assert_eq!(client.bytes_sent(), 300_000);
    }

    #[test]
    fn the_same_path_twice_goes_in_two_requests() {
        let files = [file("a.png", 1), file("b.png", 1), file("a.png", 1)];
        assert_eq!(plan(&files, &UploadLimits::default()), [0..2, 2..3]);
    }
}
