//! The contract of the store traits, run against each implementation: the filesystem store in a
//! temp directory (`fs_*`) and the S3 store against a real S3-compatible server (`s3_*`: s3s-fs
//! started by `vps_testkit::s3`, or the server `VPS_TEST_S3_ENDPOINT` names, e.g. Garage through
//! `scripts/test-garage.sh`).

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::ObjectStore;
use vps_core::ContentHash;
use vps_core::revision::{Revision, RevisionId};
use vps_store::{Backend, Expect, S3Config, StoreError, Stored, Stores};
use vps_testkit::s3::S3Server;

/// One store under test and a way to see what it left behind.
struct Fixture {
    stores: Stores,
    /// Counts temp files or temp objects.
    leftovers: Box<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = usize> + Send>> + Send + Sync>,
    /// Whether racing conditional moves of the pointer are decided atomically (exactly one
    /// wins). The filesystem store locks; S3 servers differ: s3s-fs checks `If-Match` before it
    /// writes, not atomically with the write, and Garage ignores it.
    atomic_pointer: bool,
    /// Reads and writes the store's objects behind its back, to damage a blob as a disk error
    /// or a hand edit would.
    raw: Box<dyn Raw>,
    _keep: Box<dyn std::any::Any + Send>,
}

/// Where a blob and its quarantined copy are, in the store's own layout.
trait Raw: Send + Sync {
    fn overwrite_blob(&self, hash: &ContentHash, bytes: Vec<u8>) -> BoxFuture<'_, ()>;
    fn quarantined(&self, hash: &ContentHash) -> BoxFuture<'_, Option<Vec<u8>>>;
    /// The stored bytes of a source's variant record, read at its documented place.
    fn variant_record(&self, source: &ContentHash) -> BoxFuture<'_, Option<Vec<u8>>>;
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct RawFs(vps_store::FsStore);

impl Raw for RawFs {
    fn overwrite_blob(&self, hash: &ContentHash, bytes: Vec<u8>) -> BoxFuture<'_, ()> {
        let path = self.0.blob_path(hash);
        Box::pin(async move {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            std::fs::write(&path, bytes).unwrap();
        })
    }

    fn quarantined(&self, hash: &ContentHash) -> BoxFuture<'_, Option<Vec<u8>>> {
        let path = self.0.quarantine_path(hash);
        Box::pin(async move { std::fs::read(path).ok() })
    }

    fn variant_record(&self, source: &ContentHash) -> BoxFuture<'_, Option<Vec<u8>>> {
        let hex = source.to_hex();
        let path = self.0.blob_path(source);
        // `<blobs>/sha256/ab/cd/<hex>` → `<blobs>/variants/ab/<hex>.json`
        let blobs = path.ancestors().nth(4).unwrap().to_owned();
        let path = blobs.join("variants").join(&hex[..2]).join(format!("{hex}.json"));
        Box::pin(async move { std::fs::read(path).ok() })
    }
}

/// Keys as the README documents them: `blobs/sha256/ab/cd/<hex>`, `quarantine/<hex>`.
struct RawS3 {
    client: std::sync::Arc<dyn ObjectStore>,
    prefix: String,
}

impl Raw for RawS3 {
    fn overwrite_blob(&self, hash: &ContentHash, bytes: Vec<u8>) -> BoxFuture<'_, ()> {
        let hex = hash.to_hex();
        let key =
            object_store::path::Path::from(format!("{}blobs/sha256/{}/{}/{hex}", self.prefix, &hex[..2], &hex[2..4]));
        Box::pin(async move {
            object_store::ObjectStoreExt::put(&*self.client, &key, bytes.into()).await.unwrap();
        })
    }

    fn quarantined(&self, hash: &ContentHash) -> BoxFuture<'_, Option<Vec<u8>>> {
        let key = object_store::path::Path::from(format!("{}quarantine/{}", self.prefix, hash.to_hex()));
        Box::pin(async move {
            let got = object_store::ObjectStoreExt::get(&*self.client, &key).await.ok()?;
            Some(got.bytes().await.unwrap().to_vec())
        })
    }

    fn variant_record(&self, source: &ContentHash) -> BoxFuture<'_, Option<Vec<u8>>> {
        let key = object_store::path::Path::from(format!("{}variants/{}.json", self.prefix, source.to_hex()));
        Box::pin(async move {
            let got = object_store::ObjectStoreExt::get(&*self.client, &key).await.ok()?;
            Some(got.bytes().await.unwrap().to_vec())
        })
    }
}

fn fs_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    let stores = Backend::Fs { data_dir: dir.path().to_owned(), tmp: tmp.clone(), batch_bytes: 4096 }.open().unwrap();
    let leftovers = Box::new(move || {
        let count = std::fs::read_dir(&tmp).unwrap().count();
        Box::pin(async move { count }) as std::pin::Pin<Box<dyn Future<Output = usize> + Send>>
    });
    let raw = Box::new(RawFs(vps_store::FsStore::open(&dir.path().join("blobs"), &dir.path().join("tmp")).unwrap()));
    Fixture { stores, leftovers, atomic_pointer: true, raw, _keep: Box::new(dir) }
}

/// The configuration a server would use for this bucket, with the smallest parts S3 accepts so
/// that a few MiB make a multipart upload.
fn s3_config(server: &S3Server) -> S3Config {
    S3Config {
        prefix: server.prefix().to_owned(),
        endpoint: Some(server.endpoint().to_owned()),
        region: server.region().to_owned(),
        allow_http: true,
        access_key_id: Some(server.access_key().to_owned()),
        secret_access_key: Some(server.secret_key().to_owned()),
        part_bytes: vps_store::MIN_PART_BYTES,
        ..S3Config::new(server.bucket())
    }
}

fn s3_fixture(test: &str) -> Option<Fixture> {
    let server = vps_testkit::s3::start_or_skip(test)?;
    let stores = Backend::S3(s3_config(&server)).open().unwrap();
    let raw: std::sync::Arc<dyn ObjectStore> = std::sync::Arc::new(server.client());
    let tmp = object_store::path::Path::from(format!("{}tmp", server.prefix()));
    let raw_objects = Box::new(RawS3 { client: raw.clone(), prefix: server.prefix().to_owned() });
    let leftovers = Box::new(move || {
        let (raw, tmp) = (raw.clone(), tmp.clone());
        Box::pin(async move { raw.list(Some(&tmp)).try_collect::<Vec<_>>().await.unwrap().len() })
            as std::pin::Pin<Box<dyn Future<Output = usize> + Send>>
    });
    Some(Fixture { stores, leftovers, atomic_pointer: false, raw: raw_objects, _keep: Box::new(server) })
}

/// Runs each contract test against both stores.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod fs {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::fs_fixture()).await;
            })*
        }
        mod s3 {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(fixture) = super::s3_fixture(concat!("s3::", stringify!($name))) else { return };
                super::$name(fixture).await;
            })*
        }
    };
}

contract!(
    a_streamed_upload_is_stored_under_its_hash_once,
    a_large_upload_streams_in_parts_and_reads_back_in_ranges,
    an_empty_blob_is_a_blob,
    an_upload_dropped_midway_leaves_nothing,
    a_sealed_upload_dropped_before_commit_leaves_nothing,
    small_blobs_are_put_listed_and_removed,
    revisions_are_saved_listed_and_the_pointer_moves,
    the_pointer_moves_only_from_the_revision_it_was_expected_to_name,
    of_publishers_racing_from_one_revision_one_wins_and_the_others_are_told,
    a_declared_hash_is_stored_if_the_bytes_match_it_and_else_nothing_is,
    a_damaged_blob_is_found_by_its_hash_and_quarantined_out_of_the_store,
    variant_records_are_written_once_read_listed_and_removed,
);

fn hash_of(bytes: &[u8]) -> ContentHash {
    ContentHash::of(bytes)
}

/// Deterministic, incompressible-looking bytes.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

async fn upload(fixture: &Fixture, bytes: &[u8], chunk: usize) -> vps_store::SealedBlob {
    let mut temp = fixture.stores.blobs.create_temp(None).await.unwrap();
    for piece in bytes.chunks(chunk.max(1)) {
        temp.write(Bytes::copy_from_slice(piece)).await.unwrap();
    }
    assert_eq!(temp.written(), bytes.len() as u64);
    temp.finish().await.unwrap()
}

async fn read_all(fixture: &Fixture, hash: &ContentHash, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let reader = fixture.stores.blobs.open(hash).await.unwrap().expect("stored");
    let chunks: Vec<Bytes> = reader.stream(range).await.unwrap().try_collect().await.unwrap();
    chunks.concat()
}

/// Waits (at most 10 s) until nothing is left behind: cleanup after a drop runs in the background.
async fn assert_no_leftovers(fixture: &Fixture) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = (fixture.leftovers)().await;
        if left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{left} temp files or objects left behind");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_streamed_upload_is_stored_under_its_hash_once(fixture: Fixture) {
    let blobs = &fixture.stores.blobs;
    let content = b"hello, blob: the same bytes twice";
    let first = upload(&fixture, content, 5).await;
    assert_eq!(first.hash(), &hash_of(content));
    assert_eq!(first.len(), content.len() as u64);
    assert_eq!(blobs.len(first.hash()).await.unwrap(), None, "nothing is visible before the commit");
    let hash = *first.hash();
    assert_eq!(first.commit().await.unwrap(), Stored::Created);
    let second = upload(&fixture, content, 7).await;
    assert_eq!(second.commit().await.unwrap(), Stored::AlreadyPresent);

    assert_eq!(blobs.len(&hash).await.unwrap(), Some(content.len() as u64));
    assert_eq!(blobs.read_bytes(&hash).await.unwrap().as_deref(), Some(&content[..]));
    assert_eq!(read_all(&fixture, &hash, None).await, content);
    let mut reader = blobs.open(&hash).await.unwrap().unwrap();
    assert_eq!(reader.len(), content.len() as u64);
    assert_eq!(&reader.head(5).await.unwrap()[..], b"hello");
    let rest: Vec<Bytes> = reader.stream(Some(7..11)).await.unwrap().try_collect().await.unwrap();
    assert_eq!(rest.concat(), b"blob", "a reader streams after its head was read");

    let absent = hash_of(b"never stored");
    assert_eq!(blobs.len(&absent).await.unwrap(), None);
    assert!(blobs.open(&absent).await.unwrap().is_none());
    assert_eq!(blobs.read_bytes(&absent).await.unwrap(), None);
    assert_no_leftovers(&fixture).await;
}

async fn a_large_upload_streams_in_parts_and_reads_back_in_ranges(fixture: Fixture) {
    // Over two 5 MiB parts, in odd-sized chunks: parts are cut across chunk boundaries.
    let content = pattern(11 * 1024 * 1024 + 12_345, 1);
    let sealed = upload(&fixture, &content, 100_003).await;
    assert_eq!(sealed.hash(), &hash_of(&content));
    let hash = *sealed.hash();
    assert_eq!(sealed.commit().await.unwrap(), Stored::Created);
    assert_eq!(fixture.stores.blobs.len(&hash).await.unwrap(), Some(content.len() as u64));
    assert_eq!(hash_of(&read_all(&fixture, &hash, None).await), hash);
    let across = 5 * 1024 * 1024 - 10..5 * 1024 * 1024 + 10;
    let expected = &content[across.start as usize..across.end as usize];
    assert_eq!(read_all(&fixture, &hash, Some(across)).await, expected, "a range across a part boundary");
    let end = content.len() as u64;
    assert_eq!(read_all(&fixture, &hash, Some(end - 3..end)).await, &content[content.len() - 3..]);
    assert_no_leftovers(&fixture).await;
}

async fn an_empty_blob_is_a_blob(fixture: Fixture) {
    let sealed = upload(&fixture, b"", 1).await;
    assert!(sealed.is_empty());
    assert_eq!(sealed.hash(), &hash_of(b""));
    let hash = *sealed.hash();
    assert_eq!(sealed.commit().await.unwrap(), Stored::Created);
    assert_eq!(fixture.stores.blobs.len(&hash).await.unwrap(), Some(0));
    assert_eq!(read_all(&fixture, &hash, None).await, b"");
    let mut reader = fixture.stores.blobs.open(&hash).await.unwrap().unwrap();
    assert_eq!(reader.head(10).await.unwrap(), Bytes::new());
}

async fn an_upload_dropped_midway_leaves_nothing(fixture: Fixture) {
    // Dropped once past the first part (the multipart upload has begun) and before any part.
    for len in [12 * 1024 * 1024, 1000] {
        let content = pattern(len, 2);
        let mut temp = fixture.stores.blobs.create_temp(None).await.unwrap();
        for piece in content.chunks(64 * 1024) {
            temp.write(Bytes::copy_from_slice(piece)).await.unwrap();
        }
        drop(temp);
        assert_no_leftovers(&fixture).await;
        assert_eq!(fixture.stores.blobs.len(&hash_of(&content)).await.unwrap(), None);
    }
    assert!(fixture.stores.blobs.list().await.unwrap().is_empty());
}

async fn a_sealed_upload_dropped_before_commit_leaves_nothing(fixture: Fixture) {
    let sealed = upload(&fixture, b"rejected after it was read: a virus, say", 4).await;
    let hash = *sealed.hash();
    drop(sealed);
    assert_no_leftovers(&fixture).await;
    assert_eq!(fixture.stores.blobs.len(&hash).await.unwrap(), None);
}

async fn small_blobs_are_put_listed_and_removed(fixture: Fixture) {
    let blobs = &fixture.stores.blobs;
    let (page, stored) = blobs.put_bytes(Bytes::from_static(b"<p>page</p>")).await.unwrap();
    assert_eq!((page, stored), (hash_of(b"<p>page</p>"), Stored::Created));
    let (_, again) = blobs.put_bytes(Bytes::from_static(b"<p>page</p>")).await.unwrap();
    assert_eq!(again, Stored::AlreadyPresent);
    let (note, _) = blobs.put_bytes(Bytes::from_static(b"# note")).await.unwrap();

    let mut listed: Vec<(ContentHash, u64)> =
        blobs.list().await.unwrap().into_iter().map(|info| (info.hash, info.len)).collect();
    listed.sort();
    let mut expected = vec![(page, 11), (note, 6)];
    expected.sort();
    assert_eq!(listed, expected);

    blobs.remove(&page).await.unwrap();
    blobs.remove(&page).await.unwrap(); // removing what is gone is not an error
    assert_eq!(blobs.len(&page).await.unwrap(), None);
    assert_eq!(blobs.list().await.unwrap().len(), 1);
    blobs.check().await.unwrap();
    assert!(!blobs.describe().is_empty());
}

fn revision(seconds: u64) -> Revision {
    let mut revision = Revision::empty();
    revision.id = RevisionId::new(seconds * 1000, 7);
    revision
}

async fn revisions_are_saved_listed_and_the_pointer_moves(fixture: Fixture) {
    let revisions = &fixture.stores.revisions;
    assert_eq!(revisions.current().await.unwrap(), None);
    assert!(revisions.list().await.unwrap().is_empty());
    let (first, second) = (revision(1), revision(2));
    revisions.save(&second).await.unwrap();
    revisions.save(&first).await.unwrap();
    assert_eq!(revisions.list().await.unwrap(), [first.id.clone(), second.id.clone()], "oldest first");
    assert_eq!(revisions.load(&second.id).await.unwrap(), Some(second.clone()));
    assert_eq!(revisions.load(&revision(3).id).await.unwrap(), None);

    revisions.set_current(Some(&second.id), Expect::Current(None)).await.unwrap();
    assert_eq!(revisions.current().await.unwrap(), Some(second.id.clone()));
    revisions.set_current(Some(&first.id), Expect::Anything).await.unwrap();
    assert_eq!(revisions.current().await.unwrap(), Some(first.id.clone()));
    revisions.set_current(None, Expect::Anything).await.unwrap();
    assert_eq!(revisions.current().await.unwrap(), None);

    revisions.remove(&first.id).await.unwrap();
    revisions.remove(&first.id).await.unwrap();
    assert_eq!(revisions.list().await.unwrap(), [second.id]);
}

async fn the_pointer_moves_only_from_the_revision_it_was_expected_to_name(fixture: Fixture) {
    let revisions = &fixture.stores.revisions;
    let (a, b, c) = (revision(10), revision(11), revision(12));
    for r in [&a, &b, &c] {
        revisions.save(r).await.unwrap();
    }
    revisions.set_current(Some(&a.id), Expect::Current(None)).await.unwrap();
    // Two publishers built on `a`; the first one wins, the second is told.
    revisions.set_current(Some(&b.id), Expect::Current(Some(a.id.clone()))).await.unwrap();
    let lost = revisions.set_current(Some(&c.id), Expect::Current(Some(a.id.clone()))).await.unwrap_err();
    assert!(
        matches!(&lost, StoreError::PointerMoved { expected, found } if *expected == a.id.to_string() && *found == b.id.to_string()),
        "{lost:?}"
    );
    assert_eq!(revisions.current().await.unwrap(), Some(b.id.clone()), "the loser changed nothing");
    let lost = revisions.set_current(Some(&c.id), Expect::Current(None)).await.unwrap_err();
    assert!(matches!(lost, StoreError::PointerMoved { .. }), "{lost:?}");
    revisions.set_current(Some(&c.id), Expect::Current(Some(b.id.clone()))).await.unwrap();
    assert_eq!(revisions.current().await.unwrap(), Some(c.id));
}

async fn of_publishers_racing_from_one_revision_one_wins_and_the_others_are_told(fixture: Fixture) {
    let revisions = fixture.stores.revisions.clone();
    let base = revision(20);
    revisions.save(&base).await.unwrap();
    revisions.set_current(Some(&base.id), Expect::Current(None)).await.unwrap();
    let racers: Vec<Revision> = (21..29).map(revision).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for racer in racers.clone() {
        let (revisions, base) = (revisions.clone(), base.id.clone());
        tasks.spawn(async move {
            revisions.save(&racer).await.unwrap();
            revisions.set_current(Some(&racer.id), Expect::Current(Some(base))).await.map(|()| racer.id)
        });
    }
    let (mut winners, mut told) = (Vec::new(), 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(id) => winners.push(id),
            Err(StoreError::PointerMoved { .. }) => told += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(winners.len() + told, racers.len());
    if fixture.atomic_pointer {
        assert_eq!(winners.len(), 1, "winners: {winners:?}");
    } else {
        // Several may believe they won: the server checks `after` publishing (`Site::still_includes`).
        assert!(!winners.is_empty());
    }
    let current = revisions.current().await.unwrap().unwrap();
    assert!(winners.contains(&current), "the pointer names a winner: {current} of {winners:?}");
}

async fn upload_declared(fixture: &Fixture, bytes: &[u8], declared: ContentHash) -> vps_store::SealedBlob {
    let mut temp = fixture.stores.blobs.create_temp(Some(declared)).await.unwrap();
    for piece in bytes.chunks(64 * 1024) {
        temp.write(Bytes::copy_from_slice(piece)).await.unwrap();
    }
    temp.finish().await.unwrap()
}

async fn a_declared_hash_is_stored_if_the_bytes_match_it_and_else_nothing_is(fixture: Fixture) {
    let blobs = &fixture.stores.blobs;
    // Large (a multipart upload) and small (one PUT), as declared.
    for (len, seed) in [(11 * 1024 * 1024 + 7, 3), (1000, 4)] {
        let content = pattern(len, seed);
        let hash = hash_of(&content);
        let sealed = upload_declared(&fixture, &content, hash).await;
        assert_eq!(blobs.len(&hash).await.unwrap(), None, "nothing is visible before the commit");
        assert_eq!(sealed.commit().await.unwrap(), Stored::Created);
        assert_eq!(hash_of(&read_all(&fixture, &hash, None).await), hash);
        let again = upload_declared(&fixture, &content, hash).await;
        assert_eq!(again.commit().await.unwrap(), Stored::AlreadyPresent);
    }
    // Bytes that are not what was declared: refused at the commit, and nothing is stored, under
    // either hash.
    for (len, seed) in [(11 * 1024 * 1024, 5), (1000, 6)] {
        let content = pattern(len, seed);
        let claimed = hash_of(b"what the client said it would send");
        let sealed = upload_declared(&fixture, &content, claimed).await;
        assert_eq!(sealed.hash(), &hash_of(&content));
        let refused = sealed.commit().await.unwrap_err();
        assert!(matches!(refused, StoreError::Corrupt { .. }), "{refused:?}");
        assert_eq!(blobs.len(&claimed).await.unwrap(), None);
        assert_eq!(blobs.len(&hash_of(&content)).await.unwrap(), None);
    }
    assert_no_leftovers(&fixture).await;
    assert_eq!(blobs.list().await.unwrap().len(), 2);
}

async fn a_damaged_blob_is_found_by_its_hash_and_quarantined_out_of_the_store(fixture: Fixture) {
    use vps_store::verify::{Check, check_blob};
    let blobs = &*fixture.stores.blobs;
    let content = pattern(300_000, 9);
    let (hash, _) = blobs.put_bytes(Bytes::from(content.clone())).await.unwrap();
    assert_eq!(check_blob(blobs, &hash).await.unwrap(), Check::Intact { len: 300_000 });

    let mut damaged = content.clone();
    damaged[150_000] ^= 0x40;
    fixture.raw.overwrite_blob(&hash, damaged.clone()).await;
    let check = check_blob(blobs, &hash).await.unwrap();
    assert_eq!(check, Check::Corrupt { len: 300_000, actual: hash_of(&damaged) });

    assert!(blobs.quarantine(&hash).await.unwrap(), "it was there to be moved");
    assert_eq!(blobs.len(&hash).await.unwrap(), None, "the store no longer has it");
    assert_eq!(check_blob(blobs, &hash).await.unwrap(), Check::Missing);
    assert_eq!(fixture.raw.quarantined(&hash).await, Some(damaged), "kept for inspection");
    assert!(!blobs.quarantine(&hash).await.unwrap(), "nothing left to move");
    assert!(blobs.list().await.unwrap().iter().all(|info| info.hash != hash), "not listed as a blob");

    // The right bytes, uploaded again, are stored again.
    assert_eq!(blobs.put_bytes(Bytes::from(content)).await.unwrap(), (hash, Stored::Created));
    assert_eq!(check_blob(blobs, &hash).await.unwrap(), Check::Intact { len: 300_000 });
}

async fn variant_records_are_written_once_read_listed_and_removed(fixture: Fixture) {
    use vps_core::image::{Variant, VariantFormat, VariantRecord};
    let blobs = &fixture.stores.blobs;
    let (source, _) = blobs.put_bytes(Bytes::from_static(b"an original image")).await.unwrap();
    let (small, _) = blobs.put_bytes(Bytes::from_static(b"a variant")).await.unwrap();
    let made = VariantRecord {
        source,
        variants: vec![Variant { width: 480, height: 320, format: VariantFormat::Webp, sha256: small, size: 9 }],
        refused: None,
    };
    let refused_source = hash_of(b"a bomb");
    let refused = VariantRecord {
        source: refused_source,
        variants: Vec::new(),
        refused: Some(vps_core::ErrorCode::ImageTooManyPixels),
    };

    assert_eq!(blobs.read_variants(&source).await.unwrap(), None);
    assert_eq!(blobs.list_variants().await.unwrap(), Vec::<ContentHash>::new());
    assert_eq!(blobs.write_variants(&made).await.unwrap(), Stored::Created);
    assert_eq!(blobs.write_variants(&refused).await.unwrap(), Stored::Created);
    // Written once: a second record for the same source leaves the first.
    let other =
        VariantRecord { refused: Some(vps_core::ErrorCode::ImageCrashed), variants: Vec::new(), ..made.clone() };
    assert_eq!(blobs.write_variants(&other).await.unwrap(), Stored::AlreadyPresent);
    assert_eq!(blobs.read_variants(&source).await.unwrap(), Some(made.clone()));
    assert_eq!(blobs.read_variants(&refused_source).await.unwrap(), Some(refused));

    let stored = fixture.raw.variant_record(&source).await.expect("the record is at its documented place");
    assert_eq!(serde_json::from_slice::<VariantRecord>(&stored).unwrap(), made);

    let mut listed = blobs.list_variants().await.unwrap();
    listed.sort();
    let mut expected = vec![source, refused_source];
    expected.sort();
    assert_eq!(listed, expected);
    // Records are not blobs.
    let mut listed_blobs: Vec<ContentHash> = blobs.list().await.unwrap().into_iter().map(|info| info.hash).collect();
    listed_blobs.sort();
    let mut expected_blobs = vec![source, small];
    expected_blobs.sort();
    assert_eq!(listed_blobs, expected_blobs);

    blobs.remove_variants(&source).await.unwrap();
    blobs.remove_variants(&source).await.unwrap(); // removing what is gone is not an error
    assert_eq!(blobs.read_variants(&source).await.unwrap(), None);
    assert_eq!(blobs.list_variants().await.unwrap(), vec![refused_source]);
    assert_eq!(blobs.write_variants(&other).await.unwrap(), Stored::Created, "a removed record can be written again");
}
