//! SHA-256 of files, streamed and in parallel, to ask the server which bytes it already has.

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sha2::{Digest, Sha256};
use vps_core::ContentHash;

/// Bytes read at a time, per thread: memory stays `threads` × this, whatever the file sizes.
const BUFFER: usize = 1 << 20;

/// The SHA-256 of each file, in the order given. `threads` workers (at least one, at most one per
/// file) take files in turn; `progress` is called with the number of bytes just hashed, from any
/// worker. The first error stops the others and is returned, naming its file.
pub fn hash_files(
    files: &[PathBuf],
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<ContentHash>, std::io::Error> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<ContentHash>>> = Mutex::new(vec![None; files.len()]);
    let first_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    let workers = threads.clamp(1, files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut buffer = vec![0u8; BUFFER];
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    match hash_file(path, &mut buffer, progress) {
                        Ok(hash) => results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(hash),
                        Err(err) => {
                            failed.store(true, Ordering::Relaxed);
                            let err = std::io::Error::new(err.kind(), format!("{}: {err}", path.display()));
                            first_error.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(err);
                        }
                    }
                }
            });
        }
    });
    if let Some(err) = first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(err);
    }
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(results.into_iter().map(|hash| hash.expect("every file was hashed when no error occurred")).collect())
}

fn hash_file(path: &PathBuf, buffer: &mut [u8], progress: &(dyn Fn(u64) + Sync)) -> std::io::Result<ContentHash> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    loop {
        let read = match file.read(buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        hasher.update(&buffer[..read]);
        progress(read as u64);
    }
    Ok(ContentHash::from_digest(hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;

    #[test]
    fn hashes_match_sha256_of_the_bytes_in_order_and_progress_counts_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let contents: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"hello".to_vec(),
            (0..(BUFFER * 2 + 123)).map(|i| (i % 251) as u8).collect(),
            vec![7u8; BUFFER],
        ];
        let files: Vec<PathBuf> = contents
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                let path = dir.path().join(format!("f{i}"));
                std::fs::write(&path, bytes).unwrap();
                path
            })
            .collect();
        for threads in [0, 1, 2, 8] {
            let seen = AtomicU64::new(0);
            let hashes = hash_files(&files, threads, &|n| {
                seen.fetch_add(n, Ordering::Relaxed);
            })
            .unwrap();
            let expected: Vec<ContentHash> = contents.iter().map(|bytes| ContentHash::of(bytes)).collect();
            assert_eq!(hashes, expected, "{threads} threads");
            assert_eq!(seen.load(Ordering::Relaxed), contents.iter().map(|c| c.len() as u64).sum::<u64>());
        }
        assert_eq!(hashes_of(&[]), Vec::<ContentHash>::new(), "no files, no hashes");
    }

    fn hashes_of(files: &[PathBuf]) -> Vec<ContentHash> {
        hash_files(files, 4, &|_| {}).unwrap()
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good");
        std::fs::write(&good, b"x").unwrap();
        let gone = dir.path().join("gone.png");
        let err = hash_files(&[good, gone], 2, &|_| {}).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(err.to_string().contains("gone.png"), "{err}");
    }
}
