//! Blobs and revisions in one bucket of S3-compatible storage (AWS S3, Garage, MinIO…), through
//! the `object_store` crate. Keys, under an optional prefix:
//!
//! - `blobs/sha256/ab/cd/<hex>` — blobs, immutable;
//! - `tmp/vps-upload-<uuid>` — uploads in progress, before they are placed under their hash;
//! - `revisions/<id>.json` — revisions, immutable;
//! - `current` — the pointer: a revision id and a newline, or empty;
//! - `variants/<hex>.json` — variant records, one per source image, written once;
//! - `quarantine/<hex>` — blobs found corrupt, moved out of `blobs/` (see [`BlobStore::quarantine`]).
//!
//! An upload streams into a multipart upload under a temp key, cut into parts of
//! [`S3Config::part_bytes`] as the bytes arrive, at most [`S3Config::part_concurrency`] parts in
//! flight, hashed in the same pass; memory is a few parts whatever the size. A small upload (less
//! than one part) is one PUT. Committing copies the temp object under its hash (unless a blob with
//! that hash is there: content-addressed keys need no conditional create, and overwriting one with
//! identical bytes is harmless) and deletes the temp object. An upload dropped before it is
//! committed aborts its multipart upload or deletes its temp object.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use vps_core::ContentHash;
use vps_core::image::VariantRecord;
use vps_core::revision::{Revision, RevisionId};

mod upload;

use upload::{ObjectSink, Upload};

use crate::revisions::{check_expected, decode, parse_pointer, pointer_text};
use crate::temp::{DEFAULT_BATCH_BYTES, TEMP_PREFIX};
use crate::{
    BlobInfo, BlobReader, BlobStore, Expect, QUARANTINE, RevisionStore, StoreError, Stored, TempBlob, VARIANTS,
    blob_key, decode_variants,
};

/// The smallest part S3 accepts (all parts but the last).
pub const MIN_PART_BYTES: usize = 5 * 1024 * 1024;
/// Temp objects younger than this may be another replica's upload in progress.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);

/// How to reach the bucket.
#[derive(Clone)]
pub struct S3Config {
    /// The bucket's name; it must already exist.
    pub bucket: String,
    /// Keys start with this (`site-a/`), so that several sites can share a bucket.
    pub prefix: String,
    /// `https://s3.example.com` for anything but AWS; `None` for AWS itself.
    pub endpoint: Option<String>,
    /// The region to sign requests for (`us-east-1`, `garage`, …).
    pub region: String,
    /// Allow `http://` endpoints (a local Garage or MinIO).
    pub allow_http: bool,
    /// The access key; `None` takes credentials from the environment or instance metadata.
    pub access_key_id: Option<String>,
    /// The secret paired with `access_key_id` (a secret: never logged or printed).
    pub secret_access_key: Option<String>,
    /// Move the pointer with `If-Match`/`If-None-Match`, for servers that honour them.
    pub conditional_writes: bool,
    /// Size of the parts of a multipart upload (at least 5 MiB).
    pub part_bytes: usize,
    /// Parts of one upload sent at once.
    pub part_concurrency: usize,
}

impl S3Config {
    /// A configuration with the defaults for everything but the bucket.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            prefix: String::new(),
            endpoint: None,
            region: "us-east-1".into(),
            allow_http: false,
            access_key_id: None,
            secret_access_key: None,
            conditional_writes: true,
            part_bytes: 8 * 1024 * 1024,
            part_concurrency: 2,
        }
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("allow_http", &self.allow_http)
            .field("access_key_id", &self.access_key_id.as_ref().map(|_| "<redacted>"))
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "<redacted>"))
            .field("conditional_writes", &self.conditional_writes)
            .field("part_bytes", &self.part_bytes)
            .field("part_concurrency", &self.part_concurrency)
            .finish()
    }
}

/// A bucket holding blobs and revisions.
#[derive(Clone)]
pub struct S3Store {
    store: Arc<dyn ObjectStore>,
    /// `""` or `"<prefix>/"`.
    prefix: String,
    description: String,
    conditional_writes: bool,
    part_bytes: usize,
    part_concurrency: usize,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store").field("at", &self.description).finish()
    }
}

impl S3Store {
    /// Builds a client for the bucket (no request is made: [`BlobStore::check`] makes one).
    pub fn open(config: &S3Config) -> Result<Self, StoreError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false)
            .with_conditional_put(if config.conditional_writes {
                S3ConditionalPut::ETagMatch
            } else {
                S3ConditionalPut::Disabled
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(key) = &config.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder.build().map_err(StoreError::object("configure bucket", &config.bucket))?;
        let prefix = config.prefix.trim_matches('/');
        let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        let endpoint = config.endpoint.as_deref().unwrap_or("AWS");
        Ok(Self {
            store: Arc::new(store),
            description: format!("s3://{}/{prefix} at {endpoint}", config.bucket),
            prefix,
            conditional_writes: config.conditional_writes,
            part_bytes: config.part_bytes.max(MIN_PART_BYTES),
            part_concurrency: config.part_concurrency.max(1),
        })
    }

    fn key(&self, relative: &str) -> ObjectPath {
        ObjectPath::from(format!("{}{relative}", self.prefix))
    }

    fn blob(&self, hash: &ContentHash) -> ObjectPath {
        self.key(&format!("blobs/{}", blob_key(hash)))
    }

    fn variants(&self, source: &ContentHash) -> ObjectPath {
        self.key(&format!("{VARIANTS}/{}.json", source.to_hex()))
    }

    fn revision(&self, id: &RevisionId) -> ObjectPath {
        self.key(&format!("revisions/{id}.json"))
    }

    /// The object's length, `None` when it does not exist.
    async fn head(&self, key: &ObjectPath) -> Result<Option<u64>, StoreError> {
        match self.store.head(key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StoreError::object("head", key)(e)),
        }
    }

    /// The object's bytes and ETag, `None` when it does not exist.
    async fn get(&self, key: &ObjectPath) -> Result<Option<(Bytes, Option<String>)>, StoreError> {
        let result = match self.store.get(key).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(StoreError::object("get", key)(e)),
        };
        let e_tag = result.meta.e_tag.clone();
        let bytes = result.bytes().await.map_err(StoreError::object("read", key))?;
        Ok(Some((bytes, e_tag)))
    }

    async fn put(&self, key: &ObjectPath, bytes: Bytes) -> Result<(), StoreError> {
        self.store.put(key, bytes.into()).await.map(drop).map_err(StoreError::object("put", key))
    }

    async fn list_keys(&self, relative: &str) -> Result<Vec<object_store::ObjectMeta>, StoreError> {
        let prefix = self.key(relative);
        self.store.list(Some(&prefix)).try_collect().await.map_err(StoreError::object("list", &prefix))
    }

    async fn delete(&self, key: &ObjectPath) -> Result<(), StoreError> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::object("delete", key)(e)),
        }
    }
}

impl BlobStore for S3Store {
    fn describe(&self) -> String {
        self.description.clone()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", declared = declared.as_ref().map(tracing::field::display)))]
    fn create_temp(&self, declared: Option<ContentHash>) -> BoxFuture<'_, Result<TempBlob, StoreError>> {
        Box::pin(async move {
            let key = match &declared {
                Some(hash) => self.blob(hash),
                None => self.key(&format!("tmp/{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple())),
            };
            let upload = Upload {
                store: self.store.clone(),
                key: key.clone(),
                direct: declared.is_some(),
                part_bytes: self.part_bytes,
                part_concurrency: self.part_concurrency,
                blobs: self.key("blobs/").to_string(),
            };
            Ok(TempBlob::new(ObjectSink { upload: Some(upload) }, DEFAULT_BATCH_BYTES, declared))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", hash = %hash))]
    fn len<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<u64>, StoreError>> {
        Box::pin(async move { self.head(&self.blob(hash)).await })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", hash = %hash))]
    fn open<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<BlobReader>, StoreError>> {
        Box::pin(async move {
            let key = self.blob(hash);
            Ok(self.head(&key).await?.map(|len| BlobReader::object(self.store.clone(), key, len)))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", len = bytes.len(), hash = tracing::field::Empty))]
    fn put_bytes(&self, bytes: Bytes) -> BoxFuture<'_, Result<(ContentHash, Stored), StoreError>> {
        Box::pin(async move {
            let hash = ContentHash::of(&bytes);
            tracing::Span::current().record("hash", tracing::field::display(&hash));
            let key = self.blob(&hash);
            if self.head(&key).await?.is_some() {
                return Ok((hash, Stored::AlreadyPresent));
            }
            // One PUT is atomic: no temp object needed.
            self.put(&key, bytes).await?;
            Ok((hash, Stored::Created))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", hash = %hash))]
    fn read_bytes<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>> {
        Box::pin(async move { Ok(self.get(&self.blob(hash)).await?.map(|(bytes, _)| bytes)) })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", count = tracing::field::Empty))]
    fn list(&self) -> BoxFuture<'_, Result<Vec<BlobInfo>, StoreError>> {
        Box::pin(async move {
            let objects = self.list_keys("blobs/sha256/").await?;
            tracing::Span::current().record("count", objects.len());
            Ok(objects
                .into_iter()
                .filter_map(|meta| {
                    let hash = ContentHash::parse(meta.location.filename()?).ok()?;
                    Some(BlobInfo { hash, len: meta.size, modified: Some(meta.last_modified.into()) })
                })
                .collect())
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", hash = %hash))]
    fn remove<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.delete(&self.blob(hash)).await })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", hash = %hash))]
    fn quarantine<'a>(&'a self, hash: &'a ContentHash) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let (key, kept) = (self.blob(hash), self.key(&format!("{QUARANTINE}/{}", hash.to_hex())));
            // Copy, then delete: a failure between the two leaves the blob where it was.
            match self.store.copy(&key, &kept).await {
                Ok(()) => {}
                Err(object_store::Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(StoreError::object("copy into quarantine", &key)(e)),
            }
            self.delete(&key).await?;
            Ok(true)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3"))]
    fn remove_stale_temps(&self) -> BoxFuture<'_, Result<usize, StoreError>> {
        Box::pin(async move {
            let now = SystemTime::now();
            let mut removed = 0;
            for meta in self.list_keys("tmp/").await? {
                let age = now.duration_since(meta.last_modified.into()).unwrap_or_default();
                if age >= STALE_TEMP_AGE {
                    self.delete(&meta.location).await?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            // A listing of the prefix's top level (a handful of entries): unlike a HEAD, it tells
            // a missing bucket (NoSuchBucket) from a missing key.
            let prefix = self.key("");
            let prefix = (!self.prefix.is_empty()).then_some(&prefix);
            self.store
                .list_with_delimiter(prefix)
                .await
                .map(drop)
                .map_err(StoreError::object("list", &self.description))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", source = %source))]
    fn read_variants<'a>(
        &'a self,
        source: &'a ContentHash,
    ) -> BoxFuture<'a, Result<Option<VariantRecord>, StoreError>> {
        Box::pin(async move {
            let key = self.variants(source);
            match self.get(&key).await? {
                Some((bytes, _)) => decode_variants(&bytes, source, &key).map(Some),
                None => Ok(None),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", source = %record.source))]
    fn write_variants<'a>(&'a self, record: &'a VariantRecord) -> BoxFuture<'a, Result<Stored, StoreError>> {
        Box::pin(async move {
            let key = self.variants(&record.source);
            if self.head(&key).await?.is_some() {
                return Ok(Stored::AlreadyPresent);
            }
            // One PUT is atomic; two servers racing write equal records, so no condition is needed.
            let json = serde_json::to_vec(record).expect("variant records serialize");
            self.put(&key, json.into()).await?;
            Ok(Stored::Created)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3"))]
    fn list_variants(&self) -> BoxFuture<'_, Result<Vec<ContentHash>, StoreError>> {
        Box::pin(async move {
            Ok(self
                .list_keys(&format!("{VARIANTS}/"))
                .await?
                .iter()
                .filter_map(|meta| ContentHash::parse(meta.location.filename()?.strip_suffix(".json")?).ok())
                .collect())
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", source = %source))]
    fn remove_variants<'a>(&'a self, source: &'a ContentHash) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.delete(&self.variants(source)).await })
    }
}

impl RevisionStore for S3Store {
    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", revision = %revision.id, len = tracing::field::Empty))]
    fn save<'a>(&'a self, revision: &'a Revision) -> BoxFuture<'a, Result<(), StoreError>> {
        let bytes = serde_json::to_vec(revision).expect("revisions serialize");
        Box::pin(async move {
            tracing::Span::current().record("len", bytes.len());
            self.put(&self.revision(&revision.id), bytes.into()).await
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", revision = %id))]
    fn load<'a>(&'a self, id: &'a RevisionId) -> BoxFuture<'a, Result<Option<Revision>, StoreError>> {
        Box::pin(async move {
            let key = self.revision(id);
            match self.get(&key).await? {
                Some((bytes, _)) => decode(&bytes, &key).map(Some),
                None => Ok(None),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3"))]
    fn list(&self) -> BoxFuture<'_, Result<Vec<RevisionId>, StoreError>> {
        Box::pin(async move {
            let mut ids: Vec<RevisionId> = self
                .list_keys("revisions/")
                .await?
                .iter()
                .filter_map(|meta| RevisionId::parse(meta.location.filename()?.strip_suffix(".json")?).ok())
                .collect();
            ids.sort();
            Ok(ids)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3"))]
    fn current(&self) -> BoxFuture<'_, Result<Option<RevisionId>, StoreError>> {
        Box::pin(async move {
            let key = self.key("current");
            match self.get(&key).await? {
                Some((bytes, _)) => parse_pointer(&String::from_utf8_lossy(&bytes), key.as_ref()),
                None => Ok(None),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", revision = id.map(tracing::field::display), expect = ?expect))]
    fn set_current<'a>(&'a self, id: Option<&'a RevisionId>, expect: Expect) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let key = self.key("current");
            let payload = PutPayload::from(pointer_text(id));
            let mode = match &expect {
                Expect::Anything => PutMode::Overwrite,
                Expect::Current(_) => {
                    let stored = self.get(&key).await?;
                    let found = match &stored {
                        Some((bytes, _)) => parse_pointer(&String::from_utf8_lossy(bytes), key.as_ref())?,
                        None => None,
                    };
                    check_expected(&expect, &found)?;
                    match stored {
                        _ if !self.conditional_writes => PutMode::Overwrite,
                        // Only if nobody wrote it since we read it.
                        Some((_, e_tag)) => PutMode::Update(UpdateVersion { e_tag, version: None }),
                        None => PutMode::Create,
                    }
                }
            };
            match self.store.put_opts(&key, payload, PutOptions::from(mode)).await {
                Ok(_) => Ok(()),
                Err(object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. }) => {
                    let found = self.current().await?;
                    Err(StoreError::PointerMoved {
                        expected: match expect {
                            Expect::Current(Some(id)) => id.to_string(),
                            _ => "no revision".into(),
                        },
                        found: found.map_or_else(|| "no revision".into(), |id| id.to_string()),
                    })
                }
                Err(e) => Err(StoreError::object("put", &key)(e)),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(backend = "s3", revision = %id))]
    fn remove<'a>(&'a self, id: &'a RevisionId) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.delete(&self.revision(id)).await })
    }
}
