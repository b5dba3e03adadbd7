//! Streaming gunzip into a temp file, stopped at a cap.
//!
//! The compressed bytes are read on the async side and handed, a piece at a time, through a
//! bounded queue to one blocking thread that inflates them and writes the output. Memory is the
//! queue (two pieces of [`PIECE_LEN`]), the inflater's state (its 32 KiB window and tables) and
//! one output buffer of [`OUT_LEN`], whatever the payload's size. The output is counted before it
//! is written, so a gzip bomb costs at most `cap` bytes of disk and the work of inflating that
//! much.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use bytes::{Buf, Bytes, BytesMut};
use flate2::bufread::GzDecoder;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

use crate::EnvelopeError;

/// Bytes of compressed input read at a time.
pub(crate) const PIECE_LEN: usize = 64 * 1024;
/// Bytes of decompressed output written at a time.
pub(crate) const OUT_LEN: usize = 64 * 1024;
/// Pieces queued for the inflating thread before the reader waits.
const QUEUE_PIECES: usize = 2;
/// Temp files carry the prefix of `vps-store`'s temp files, so that
/// `vps_store::remove_stale_temp_files` also sweeps ours after a crash when `out_dir` is the
/// store's temp directory.
const TEMP_PREFIX: &str = "vps-upload-json-";

/// A decompressed payload in a temp file. Dropping it deletes the file.
#[derive(Debug)]
pub struct TempJson {
    guard: RemoveOnDrop,
    len: u64,
}

impl TempJson {
    /// Where the decompressed JSON is; valid until this value is dropped.
    pub fn path(&self) -> &Path {
        &self.guard.path
    }

    /// The decompressed size, equal to the envelope's `originalSize`.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the decompressed payload has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Decompresses the gzip stream `gz` into a new temp file in `out_dir`.
///
/// Fails with [`EnvelopeError::DecompressedTooLarge`] the moment the output would pass `cap`
/// (nothing past `cap` is written), with [`EnvelopeError::SizeMismatch`] when the output is not
/// exactly `expected` bytes (the envelope's `originalSize`), and with
/// [`EnvelopeError::InvalidGzip`] for anything that is not exactly one valid gzip member
/// (bad header, corrupt data, CRC or length mismatch, truncation, trailing bytes). A failed
/// call leaves no file behind.
pub async fn gunzip_to_file<R>(mut gz: R, cap: u64, expected: u64, out_dir: &Path) -> Result<TempJson, EnvelopeError>
where
    R: AsyncRead + Unpin,
{
    let path = out_dir.join(format!("{TEMP_PREFIX}{}.json", uuid::Uuid::new_v4().simple()));
    let guard = RemoveOnDrop { path: path.clone() };
    let (sender, receiver) = mpsc::channel::<Bytes>(QUEUE_PIECES);
    let worker = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || inflate(receiver, &path, cap, expected))
    };

    let mut read_error = None;
    loop {
        let mut piece = BytesMut::with_capacity(PIECE_LEN);
        match gz.read_buf(&mut piece).await {
            Ok(0) => break,
            Ok(_) => {
                // A closed queue means the thread stopped early; its result says why.
                if sender.send(piece.freeze()).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    drop(sender);
    let result = worker.await.map_err(|_| EnvelopeError::task_gone("gunzip", &path))?;
    if let Some(e) = read_error {
        return Err(EnvelopeError::io("read the compressed upload", &path)(e));
    }
    let len = result?;
    Ok(TempJson { guard, len })
}

/// The blocking half: inflate what arrives on the queue into the file at `path`.
fn inflate(pieces: mpsc::Receiver<Bytes>, path: &Path, cap: u64, expected: u64) -> Result<u64, EnvelopeError> {
    let mut file: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(EnvelopeError::io("create", path))?;
    let mut decoder = GzDecoder::new(QueueReader { pieces, current: Bytes::new() });
    let mut out = vec![0u8; OUT_LEN];
    let mut total = 0u64;
    loop {
        let n = match decoder.read(&mut out) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(EnvelopeError::InvalidGzip(e)),
        };
        total += n as u64;
        if total > cap {
            return Err(EnvelopeError::DecompressedTooLarge { limit: cap });
        }
        if total > expected {
            return Err(EnvelopeError::SizeMismatch { what: "decompressed payload", expected, actual: total });
        }
        file.write_all(&out[..n]).map_err(EnvelopeError::io("write", path))?;
    }
    // One gzip member and nothing after it: CompressionStream writes exactly that.
    let mut rest = decoder.into_inner();
    if !rest.fill_buf().map_err(EnvelopeError::InvalidGzip)?.is_empty() {
        return Err(EnvelopeError::InvalidGzip(io::Error::new(
            io::ErrorKind::InvalidData,
            "bytes follow the end of the gzip stream",
        )));
    }
    if total != expected {
        return Err(EnvelopeError::SizeMismatch { what: "decompressed payload", expected, actual: total });
    }
    Ok(total)
}

/// The queue of compressed pieces, read as a `BufRead` without copying.
struct QueueReader {
    pieces: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for QueueReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for QueueReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.current.is_empty() {
            match self.pieces.blocking_recv() {
                Some(piece) => self.current = piece,
                None => break,
            }
        }
        Ok(&self.current)
    }

    fn consume(&mut self, amount: usize) {
        self.current.advance(amount);
    }
}

/// Deletes the file at `path` when dropped.
#[derive(Debug)]
struct RemoveOnDrop {
    path: PathBuf,
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        match std::fs::remove_file(&self.path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                tracing::warn!(path = %self.path.display(), %error, "could not remove temp file");
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn files_in(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[tokio::test]
    async fn decompresses_to_a_temp_file_that_goes_away_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let json = gunzip_to_file(&gzip(&data)[..], 10 << 20, data.len() as u64, dir.path()).await.unwrap();
        assert_eq!(json.len(), data.len() as u64);
        assert_eq!(std::fs::read(json.path()).unwrap(), data);
        assert!(json.path().file_name().unwrap().to_str().unwrap().starts_with("vps-upload-"));
        drop(json);
        assert_eq!(files_in(dir.path()), 0);
    }

    #[tokio::test]
    async fn a_gzip_bomb_stops_at_the_cap_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let bomb = gzip(&vec![0u8; 10 << 20]);
        assert!(bomb.len() < 20_000);
        // Declared honestly or not, the output never passes the cap.
        let err = gunzip_to_file(&bomb[..], 1 << 20, 10 << 20, dir.path()).await.unwrap_err();
        assert!(matches!(err, EnvelopeError::DecompressedTooLarge { limit } if limit == 1 << 20), "{err:?}");
        assert_eq!(err.code(), "decompressed-too-large");
        assert_eq!(files_in(dir.path()), 0);
    }

    #[tokio::test]
    async fn the_size_must_be_exactly_the_declared_one() {
        let dir = tempfile::tempdir().unwrap();
        let gz = gzip(b"{\"notes\":[]}");
        for declared in [11, 13, 0] {
            let err = gunzip_to_file(&gz[..], 1000, declared, dir.path()).await.unwrap_err();
            assert_eq!(err.code(), "size-mismatch", "{declared}");
        }
        assert_eq!(files_in(dir.path()), 0);
    }

    #[tokio::test]
    async fn corrupt_truncated_or_trailing_input_is_invalid_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let data = b"{\"assets\":[]}".repeat(100);
        let good = gzip(&data);
        let mut corrupt = good.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 0x55;
        let mut bad_crc = good.clone();
        let crc_at = bad_crc.len() - 8;
        bad_crc[crc_at] ^= 1;
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk");
        let mut two_members = good.clone();
        two_members.extend_from_slice(&good);
        let cases: [(&str, &[u8]); 7] = [
            ("empty", b""),
            ("not gzip", b"{\"assets\":[]}"),
            ("truncated", &good[..good.len() - 3]),
            ("corrupt", &corrupt),
            ("bad crc", &bad_crc),
            ("trailing", &trailing),
            ("two members", &two_members),
        ];
        for (name, input) in cases {
            let err = gunzip_to_file(input, 1 << 20, data.len() as u64, dir.path()).await.unwrap_err();
            assert_eq!(err.code(), "invalid-gzip", "{name}: {err:?}");
        }
        assert_eq!(files_in(dir.path()), 0);
    }
}
