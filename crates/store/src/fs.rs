//! The content-addressed blob store on a filesystem. Uploads stream into temp files through
//! [`writer`], the file writer behind a [`TempBlob`].

use std::fs;
use std::io::ErrorKind;
use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use vps_core::ContentHash;

use crate::temp::{DEFAULT_BATCH_BYTES, TEMP_PREFIX};
use vps_core::image::VariantRecord;

use crate::{
    BlobInfo, BlobReader, BlobStore, QUARANTINE, StoreError, Stored, TempBlob, VARIANTS, blob_key, blocking,
    decode_variants, durable,
};

mod writer;

use writer::{FileSink, RemoveOnDrop, commit_file, ensure_dir_durably};

/// Blobs under `<blobs>/sha256/ab/cd/<64 hex>`, temp files under `<tmp>`. The two directories
/// should be on one filesystem, so that committing a blob is a rename; when they are not, the
/// commit copies instead.
#[derive(Debug, Clone)]
pub struct FsStore {
    blobs: PathBuf,
    tmp: PathBuf,
    /// Beside `blobs`: `<data>/quarantine`, created when first needed.
    quarantine: PathBuf,
    batch_bytes: usize,
}

impl FsStore {
    /// Opens (creating if needed) a store over these two directories.
    pub fn open(blobs: &Path, tmp: &Path) -> Result<Self, StoreError> {
        let sharded = blobs.join("sha256");
        for dir in [&sharded, tmp] {
            fs::create_dir_all(dir).map_err(StoreError::io("create directory", dir))?;
        }
        let quarantine = blobs.parent().unwrap_or(blobs).join(QUARANTINE);
        Ok(Self { blobs: blobs.to_owned(), tmp: tmp.to_owned(), quarantine, batch_bytes: DEFAULT_BATCH_BYTES })
    }

    /// Sets how many bytes of an upload's chunks are gathered into one batch for the hashing and
    /// writing threads (one `writev` per batch).
    pub fn with_batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(4096);
        self
    }

    /// The directory uploads are written to before they are committed.
    pub fn temp_dir(&self) -> &Path {
        &self.tmp
    }

    /// Where the blob with this hash lives (whether or not it exists).
    pub fn blob_path(&self, hash: &ContentHash) -> PathBuf {
        self.blobs.join(blob_key(hash))
    }

    fn put_bytes_blocking(&self, bytes: &[u8]) -> Result<(ContentHash, Stored), StoreError> {
        let hash = ContentHash::of(bytes);
        if self.blob_path(&hash).exists() {
            return Ok((hash, Stored::AlreadyPresent));
        }
        let guard = RemoveOnDrop::new(self.tmp.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple())));
        let mut file = fs::File::create_new(&guard.path).map_err(StoreError::io("create", &guard.path))?;
        file.write_all(bytes).map_err(StoreError::io("write", &guard.path))?;
        file.sync_all().map_err(StoreError::io("fsync", &guard.path))?;
        let stored = commit_file(guard, &self.blobs, &hash)?;
        Ok((hash, stored))
    }

    /// Where a quarantined blob's bytes are kept.
    pub fn quarantine_path(&self, hash: &ContentHash) -> PathBuf {
        self.quarantine.join(hash.to_hex())
    }

    fn quarantine_blocking(&self, hash: &ContentHash) -> Result<bool, StoreError> {
        let source = self.blob_path(hash);
        if !source.exists() {
            return Ok(false);
        }
        ensure_dir_durably(&self.quarantine)?;
        let target = self.quarantine_path(hash);
        match fs::rename(&source, &target) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(StoreError::io("move into quarantine", target)(e)),
        }
        durable::sync_dir(&self.quarantine)?;
        durable::sync_dir(source.parent().expect("blob paths have a shard directory"))?;
        Ok(true)
    }

    /// Where the variant record of `source` lives: `<blobs>/variants/<ab>/<hex>.json`.
    pub fn variants_path(&self, source: &ContentHash) -> PathBuf {
        let hex = source.to_hex();
        self.blobs.join(VARIANTS).join(&hex[..2]).join(format!("{hex}.json"))
    }

    fn write_variants_blocking(&self, record: &VariantRecord) -> Result<Stored, StoreError> {
        let path = self.variants_path(&record.source);
        if path.exists() {
            return Ok(Stored::AlreadyPresent);
        }
        let dir = path.parent().expect("variant records have a shard directory");
        let fresh = !dir.exists();
        let json = serde_json::to_vec(record).expect("variant records serialize");
        let name = path.file_name().expect("variant records have a name").to_string_lossy();
        durable::write_file_in(dir, &name, &json, 0o444)?;
        if fresh {
            durable::sync_dir(dir.parent().expect("the variants directory has a parent"))?;
        }
        Ok(Stored::Created)
    }

    fn list_variants_blocking(&self) -> Result<Vec<ContentHash>, StoreError> {
        let root = self.blobs.join(VARIANTS);
        if !root.exists() {
            return Ok(Vec::new());
        }
        let mut sources = Vec::new();
        for shard in read_dir(&root)? {
            for path in read_dir(&shard)? {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if let Some(Ok(hash)) = name.strip_suffix(".json").map(ContentHash::parse) {
                    sources.push(hash);
                }
            }
        }
        Ok(sources)
    }

    fn list_blocking(&self) -> Result<Vec<BlobInfo>, StoreError> {
        let mut blobs = Vec::new();
        for first in read_dir(&self.blobs.join("sha256"))? {
            for second in read_dir(&first)? {
                for path in read_dir(&second)? {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let Ok(hash) = ContentHash::parse(&name) else { continue };
                    let meta = fs::metadata(&path).map_err(StoreError::io("stat", &path))?;
                    blobs.push(BlobInfo { hash, len: meta.len(), modified: meta.modified().ok() });
                }
            }
        }
        Ok(blobs)
    }
}

/// Removes the temp files (ours only: they carry our prefix) that a crash left in `dir`; returns
/// how many. Blocking file I/O; call it at start-up, before anything streams into `dir`.
pub fn remove_stale_temp_files(dir: &Path) -> Result<usize, StoreError> {
    let entries = fs::read_dir(dir).map_err(StoreError::io("list", dir))?;
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(StoreError::io("list", dir))?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let path = entry.path();
            fs::remove_file(&path).map_err(StoreError::io("remove stale temp file", &path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

impl BlobStore for FsStore {
    fn describe(&self) -> String {
        format!("filesystem {}", self.blobs.display())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", declared = declared.as_ref().map(tracing::field::display)))]
    fn create_temp(&self, declared: Option<ContentHash>) -> BoxFuture<'_, Result<TempBlob, StoreError>> {
        Box::pin(async move {
            let sink = FileSink::create(&self.tmp, self.blobs.clone()).await?;
            Ok(TempBlob::new(sink, self.batch_bytes, declared))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", hash = %hash))]
    fn len<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        Box::pin(async move {
            let path = self.blob_path(hash);
            match tokio::fs::metadata(&path).await {
                Ok(meta) => Ok(Some(meta.len())),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::io("stat", path)(e)),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", hash = %hash))]
    fn open<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<BlobReader>, StoreError>> {
        Box::pin(async move {
            let path = self.blob_path(hash);
            let file = match tokio::fs::File::open(&path).await {
                Ok(file) => file,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(StoreError::io("open", path)(e)),
            };
            let len = file.metadata().await.map_err(StoreError::io("stat", &path))?.len();
            Ok(Some(BlobReader::file(file, len, path)))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", len = bytes.len(), hash = tracing::field::Empty))]
    fn put_bytes(&self, bytes: Bytes) -> BoxFuture<'_, Result<(ContentHash, Stored), StoreError>> {
        let store = self.clone();
        Box::pin(async move {
            let stored = blocking(move || store.put_bytes_blocking(&bytes)).await;
            if let Ok((hash, _)) = &stored {
                tracing::Span::current().record("hash", tracing::field::display(hash));
            }
            stored
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", hash = %hash))]
    fn read_bytes<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>> {
        Box::pin(async move {
            let path = self.blob_path(hash);
            match tokio::fs::read(&path).await {
                Ok(bytes) => Ok(Some(bytes.into())),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::io("read", path)(e)),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", count = tracing::field::Empty))]
    fn list(&self) -> BoxFuture<'_, Result<Vec<BlobInfo>, StoreError>> {
        let store = self.clone();
        Box::pin(async move {
            let blobs = blocking(move || store.list_blocking()).await?;
            tracing::Span::current().record("count", blobs.len());
            Ok(blobs)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", hash = %hash))]
    fn remove<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let path = self.blob_path(hash);
            match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(StoreError::io("remove", path)(e)),
                _ => Ok(()),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", hash = %hash))]
    fn quarantine<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<bool, StoreError>> {
        let (store, hash) = (self.clone(), *hash);
        Box::pin(async move { blocking(move || store.quarantine_blocking(&hash)).await })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs"))]
    fn remove_stale_temps(&self) -> BoxFuture<'_, Result<usize, StoreError>> {
        let store = self.clone();
        Box::pin(async move { blocking(move || remove_stale_temp_files(&store.tmp)).await })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            tokio::fs::metadata(&self.blobs).await.map(drop).map_err(StoreError::io("stat", &self.blobs))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", source = %source))]
    fn read_variants<'a>(
        &'a self,
        source: &'a ContentHash,
    ) -> BoxFuture<'a, Result<Option<VariantRecord>, StoreError>> {
        Box::pin(async move {
            let path = self.variants_path(source);
            match tokio::fs::read(&path).await {
                Ok(bytes) => decode_variants(&bytes, source, path.display()).map(Some),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::io("read", path)(e)),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", source = %record.source))]
    fn write_variants<'a>(&'a self, record: &'a VariantRecord) -> BoxFuture<'a, Result<Stored, StoreError>> {
        let (store, record) = (self.clone(), record.clone());
        Box::pin(async move { blocking(move || store.write_variants_blocking(&record)).await })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs"))]
    fn list_variants(&self) -> BoxFuture<'_, Result<Vec<ContentHash>, StoreError>> {
        let store = self.clone();
        Box::pin(async move { blocking(move || store.list_variants_blocking()).await })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "fs", source = %source))]
    fn remove_variants<'a>(&'a self, source: &'a ContentHash) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let path = self.variants_path(source);
            match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(StoreError::io("remove", path)(e)),
                _ => Ok(()),
            }
        })
    }
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = fs::read_dir(dir).map_err(StoreError::io("list", dir))?;
    entries.map(|entry| entry.map(|e| e.path()).map_err(StoreError::io("list", dir))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SealedBlob;

    fn hash_of(content: &[u8]) -> ContentHash {
        ContentHash::of(content)
    }

    async fn sealed(store: &FsStore, content: &'static [u8]) -> SealedBlob {
        let mut temp = store.create_temp(None).await.unwrap();
        for piece in content.chunks(3) {
            temp.write(Bytes::from_static(piece)).await.unwrap();
        }
        temp.finish().await.unwrap()
    }

    #[tokio::test]
    async fn commit_moves_the_temp_file_under_its_hash_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(&dir.path().join("blobs"), &dir.path().join("tmp")).unwrap();

        let first = sealed(&store, b"hello, blob").await;
        assert_eq!(first.len(), 11);
        assert_eq!(first.hash(), &hash_of(b"hello, blob"));
        assert_eq!(first.commit().await.unwrap(), Stored::Created);
        let second = sealed(&store, b"hello, blob").await;
        assert_eq!(second.commit().await.unwrap(), Stored::AlreadyPresent);

        let hash = hash_of(b"hello, blob");
        let hex = hash.to_hex();
        let path = store.blob_path(&hash);
        assert!(path.ends_with(format!("sha256/{}/{}/{hex}", &hex[..2], &hex[2..4])));
        assert_eq!(fs::read(&path).unwrap(), b"hello, blob");
        assert_eq!(store.len(&hash).await.unwrap(), Some(11));
        assert_eq!(store.len(&hash_of(b"other")).await.unwrap(), None);
        assert_eq!(fs::read_dir(store.temp_dir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn an_empty_chunk_after_a_full_batch_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(&dir.path().join("blobs"), &dir.path().join("tmp")).unwrap().with_batch_bytes(4096);
        let mut temp = store.create_temp(None).await.unwrap();
        temp.write(Bytes::from(vec![7u8; 4096])).await.unwrap();
        temp.write(Bytes::new()).await.unwrap();
        let sealed = temp.finish().await.unwrap();
        assert_eq!(sealed.len(), 4096);
        assert_eq!(sealed.commit().await.unwrap(), Stored::Created);
    }

    #[tokio::test]
    async fn a_dropped_temp_blob_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(&dir.path().join("blobs"), &dir.path().join("tmp")).unwrap();
        let mut temp = store.create_temp(None).await.unwrap();
        temp.write(Bytes::from_static(b"partial")).await.unwrap();
        drop(temp);
        let sealed = sealed(&store, b"sealed but never committed").await;
        drop(sealed);
        assert_eq!(fs::read_dir(store.temp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn start_up_removes_only_its_own_stale_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        let store = FsStore::open(&dir.path().join("blobs"), &tmp).unwrap();
        fs::write(tmp.join(format!("{TEMP_PREFIX}crashed")), b"x").unwrap();
        fs::write(tmp.join("someone-elses-file"), b"y").unwrap();
        assert_eq!(remove_stale_temp_files(store.temp_dir()).unwrap(), 1);
        assert!(tmp.join("someone-elses-file").exists());
    }
}
