//! Large test files that the server accepts as video and that do not compress, and the
//! SHA-256 that the server must answer for them.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::Result;

/// `ftyp` box of an ISO MP4: enough for the server to detect `video/mp4`.
pub const MP4_HEADER: &[u8; 24] = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2";
/// Bytes generated and written, or read and hashed, at a time.
const BUFFER: usize = 1024 * 1024;

/// A file to upload, with the SHA-256 that the server must answer.
#[derive(Clone)]
pub struct TestFile {
    /// Where the file was written.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// SplitMix64: fast, and its output does not compress.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill(&mut self, buffer: &mut [u8]) {
        for chunk in buffer.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes()[..chunk.len()]);
        }
    }
}

/// Writes `len` bytes to `path`: [`MP4_HEADER`], then pseudo-random bytes from `seed` (files with
/// different seeds differ, so that none deduplicates another); fsynced, so that no writeback of
/// it runs during a measurement.
pub fn write_mp4(path: &Path, len: u64, seed: u64) -> Result<()> {
    let mut output = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    output.write_all(MP4_HEADER)?;
    let mut random = SplitMix64(seed);
    let mut buffer = vec![0; BUFFER];
    let mut remaining = len.checked_sub(MP4_HEADER.len() as u64).ok_or("the test file is shorter than its header")?;
    while remaining > 0 {
        let n = remaining.min(BUFFER as u64) as usize;
        random.fill(&mut buffer[..n]);
        output.write_all(&buffer[..n])?;
        remaining -= n as u64;
    }
    output.sync_all()?;
    Ok(())
}

/// The SHA-256 of the file at `path`, in lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut input = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; BUFFER];
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(vps_core::ContentHash::from_digest(hasher.finalize().into()).to_hex())
}
