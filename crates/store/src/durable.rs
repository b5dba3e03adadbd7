//! Durable replacement of small files: write a temp file beside the target, fsync it, rename it
//! over the target, fsync the directory. A crash at any moment leaves the old content or the new,
//! never a mix, and never an empty file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::StoreError;

/// Replaces `path` with `contents`, creating it with `mode` (e.g. `0o600` for secrets).
pub fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)
            .map_err(StoreError::io("create", &temp))?;
        file.write_all(contents).map_err(StoreError::io("write", &temp))?;
        file.sync_all().map_err(StoreError::io("fsync", &temp))?;
        fs::rename(&temp, path).map_err(StoreError::io("rename into place", path))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// [`write_file`] into `dir`, creating the directory (and its parents) first.
pub fn write_file_in(dir: &Path, name: &str, contents: &[u8], mode: u32) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(StoreError::io("create directory", dir))?;
    write_file(&dir.join(name), contents, mode)
}

/// Fsyncs a directory, so that a rename or a new entry in it survives a power loss.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(StoreError::io("fsync directory", dir))
}

// issue 11 — jobs
/// Moves a state file or directory that cannot be trusted (unreadable, or declaring counts out of
/// bounds) out of the way, to `<quarantine>/<kind>-<unix ms>-<name>`, and says so in the log; the
/// server then carries on without it. Answers where it went.
pub fn quarantine(
    quarantine: &Path,
    kind: &str,
    name: &str,
    path: &Path,
    reason: &str,
) -> Result<std::path::PathBuf, StoreError> {
    fs::create_dir_all(quarantine).map_err(StoreError::io("create directory", quarantine))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let mut target = quarantine.join(format!("{kind}-{now}-{name}"));
    for n in 1.. {
        if !target.exists() {
            break;
        }
        target = quarantine.join(format!("{kind}-{now}-{n}-{name}"));
    }
    fs::rename(path, &target).map_err(StoreError::io("move into quarantine", path))?;
    sync_dir(quarantine)?;
    tracing::warn!(path = %path.display(), moved_to = %target.display(), reason, "quarantined a state file that cannot be trusted");
    Ok(target)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temp_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("current");
        write_file(&path, b"one", 0o600).unwrap();
        write_file(&path, b"two", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
