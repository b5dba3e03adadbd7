use std::time::Duration;

use serde_json::json;
use vps_core::SessionId;
use vps_envelope::{ChunkLimits, ChunkOutcome, ChunkStore, Envelope, RouteKind, read_notes_payload};

use crate::{entries, envelopes, gzip, new_upload_id, open_store, send_all, unpack};

/// A notes batch of about 50 KB that compresses to some 12 KB.
fn notes_payload() -> Vec<u8> {
    let noise = |i: u32| format!("{:08x}", i.wrapping_mul(2_654_435_761));
    let notes: Vec<_> = (0..200)
        .map(|i| {
            let content: String = (0..8).map(|j| noise(i * 8 + j)).collect();
            json!({"noteId": format!("n{i}"), "vaultPath": format!("Blog/post-{i}.md"), "content": content})
        })
        .collect();
    serde_json::to_vec(&json!({ "notes": notes, "cleanupRules": [{"id": "r1", "regex": "x"}] })).unwrap()
}

#[tokio::test]
async fn chunks_arriving_out_of_order_are_reassembled_in_index_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let session = SessionId::generate();
    let payload = notes_payload();
    let mut chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &payload, 300);
    let total = chunks.len();
    assert!(total >= 5, "{total}");
    // Last first, then the rest from the end, the first index last.
    chunks.rotate_right(1);
    chunks[1..].reverse();

    let last = chunks.pop().unwrap();
    for (i, envelope) in chunks.into_iter().enumerate() {
        let outcome = store.accept(session, RouteKind::Notes, envelope).await.unwrap();
        assert!(matches!(outcome, ChunkOutcome::Partial { received, total: t } if received == i + 1 && t == total));
        assert!(store.has_incomplete(session));
    }
    let outcome = store.accept(session, RouteKind::Notes, last).await.unwrap();
    let json = unpack(&store, outcome, dir.path()).await.unwrap();
    assert_eq!(std::fs::read(json.path()).unwrap(), payload);
    let notes = read_notes_payload(&json).unwrap();
    assert_eq!(notes.notes.len(), 200);
    assert_eq!(notes.notes[199]["vaultPath"], "Blog/post-199.md");
    assert_eq!(notes.cleanup_rules.len(), 1);
}

#[tokio::test]
async fn a_repeated_index_overwrites_the_earlier_slice() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let session = SessionId::generate();
    let payload = notes_payload();
    let chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &payload, 1000);

    // A damaged copy of index 0, then the good one: the second copy wins and counts once.
    let mut damaged = chunks[0].clone();
    damaged.data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, vec![0u8; 1000]);
    let outcome = store.accept(session, RouteKind::Notes, damaged).await.unwrap();
    assert!(matches!(outcome, ChunkOutcome::Partial { received: 1, .. }));
    let outcome = store.accept(session, RouteKind::Notes, chunks[0].clone()).await.unwrap();
    assert!(matches!(outcome, ChunkOutcome::Partial { received: 1, .. }));

    let outcome = send_all(&store, session, RouteKind::Notes, chunks[1..].to_vec()).await.unwrap();
    let json = unpack(&store, outcome, dir.path()).await.unwrap();
    assert_eq!(std::fs::read(json.path()).unwrap(), payload);
}

#[tokio::test]
async fn a_chunk_re_sent_after_completion_gets_the_recorded_reply_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let session = SessionId::generate();
    let upload_id = new_upload_id(RouteKind::Assets, session);
    let chunks = envelopes(&upload_id, br#"{"assets":[]}"#, 10);
    let ChunkOutcome::Complete(upload) = send_all(&store, session, RouteKind::Assets, chunks.clone()).await.unwrap()
    else {
        panic!("complete");
    };
    assert!(store.has_incomplete(session), "being processed still counts as incomplete");
    let reply = json!({"sessionId": session, "publishedCount": 0, "errors": []});
    store.record_reply(session, RouteKind::Assets, &upload.upload_id(), &reply).await.unwrap();
    drop(upload);
    assert!(!store.has_incomplete(session));

    for envelope in [chunks.last().unwrap().clone(), chunks[0].clone()] {
        let outcome = store.accept(session, RouteKind::Assets, envelope).await.unwrap();
        assert!(matches!(&outcome, ChunkOutcome::Replay(r) if *r == reply), "{outcome:?}");
    }
    // Only the reply and the metadata remain on disk.
    let upload_dir = dir.path().join("chunks").join(session.to_string()).join("assets").join(&upload_id[44..]);
    let mut files = entries(&upload_dir);
    files.sort();
    assert_eq!(files, ["meta.json", "reply.json"]);

    drop(store);
    let store = open_store(dir.path());
    let outcome = store.accept(session, RouteKind::Assets, chunks[1].clone()).await.unwrap();
    assert!(matches!(&outcome, ChunkOutcome::Replay(r) if *r == reply), "{outcome:?}");
}

#[tokio::test]
async fn a_failed_handler_leaves_the_upload_completable_by_a_re_sent_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let session = SessionId::generate();
    let chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &notes_payload(), 2000);
    let last = chunks.last().unwrap().clone();

    let outcome = send_all(&store, session, RouteKind::Notes, chunks).await.unwrap();
    let ChunkOutcome::Complete(upload) = outcome else { panic!("complete") };
    // While the first attempt is being processed, a re-sent chunk is told to come back later.
    let err = store.accept(session, RouteKind::Notes, last.clone()).await.unwrap_err();
    assert_eq!((err.code().as_str(), err.status()), ("upload-in-progress", 429));
    drop(upload);

    let outcome = store.accept(session, RouteKind::Notes, last).await.unwrap();
    let json = unpack(&store, outcome, dir.path()).await.unwrap();
    assert_eq!(std::fs::read(json.path()).unwrap(), notes_payload());
}

#[tokio::test]
async fn a_restart_keeps_the_chunks_already_received() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionId::generate();
    let chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &notes_payload(), 1000);
    {
        let store = open_store(dir.path());
        send_all(&store, session, RouteKind::Notes, chunks[..2].to_vec()).await.unwrap();
    }
    let store = open_store(dir.path());
    assert!(store.has_incomplete(session));
    let outcome = send_all(&store, session, RouteKind::Notes, chunks[2..].to_vec()).await.unwrap();
    let json = unpack(&store, outcome, dir.path()).await.unwrap();
    assert_eq!(std::fs::read(json.path()).unwrap(), notes_payload());
}

#[tokio::test]
async fn uploads_whose_stored_metadata_cannot_be_trusted_are_quarantined_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad, torn) = (SessionId::generate(), SessionId::generate(), SessionId::generate());
    for session in [good, bad, torn] {
        let chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &notes_payload(), 1000);
        let store = open_store(dir.path());
        send_all(&store, session, RouteKind::Notes, chunks[..2].to_vec()).await.unwrap();
    }
    let meta_of = |session: SessionId| {
        let uploads = dir.path().join("chunks").join(session.to_string()).join("notes");
        uploads.join(&entries(&uploads)[0]).join("meta.json")
    };
    // 10^15 chunks: sizing anything by it aborts the process.
    let huge = json!({"totalChunks": 1_000_000_000_000_000u64, "originalSize": 1000, "compressedSize": 1_000_000_000_000_000u64});
    std::fs::write(meta_of(bad), huge.to_string()).unwrap();
    std::fs::write(meta_of(torn), b"{\"totalChu").unwrap();

    let store = open_store(dir.path());
    assert!(store.has_incomplete(good), "the sound upload is kept");
    assert!(!store.has_incomplete(bad) && !store.has_incomplete(torn));
    let mut quarantined = entries(&dir.path().join("quarantine"));
    quarantined.sort();
    assert_eq!(quarantined.len(), 2, "{quarantined:?}");
    assert!(quarantined.iter().all(|name| name.starts_with("chunks-")), "{quarantined:?}");
    assert!(entries(&dir.path().join("chunks").join(bad.to_string()).join("notes")).is_empty());
}

/// A valid chunk of a small notes upload of `total` chunks.
fn chunk(session: SessionId, index: u64, total: u64) -> Envelope {
    Envelope {
        metadata: vps_envelope::EnvelopeMetadata {
            upload_id: format!("notes-{session}-00000000-0000-4000-8000-000000000000"),
            chunk_index: index,
            total_chunks: total,
            original_size: 1000,
            compressed_size: 10 * total,
        },
        data: "AAAAAAAAAAAAAA==".into(), // 10 bytes
    }
}

#[tokio::test]
async fn bad_chunks_are_refused_with_their_code_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ChunkLimits { max_total_chunks: 100, max_notes_bytes: 1 << 20, ..ChunkLimits::default() };
    let store = ChunkStore::open(&dir.path().join("chunks"), limits, &dir.path().join("quarantine")).unwrap();
    let session = SessionId::generate();
    store.accept(session, RouteKind::Notes, chunk(session, 0, 3)).await.unwrap();
    let other_session = SessionId::generate();

    type Edit = fn(&mut Envelope);
    let cases: &[(&str, Edit, &str, u16)] = &[
        ("index = total", |e| e.metadata.chunk_index = 3, "chunk-index-out-of-range", 400),
        ("zero chunks", |e| e.metadata.total_chunks = 0, "invalid-chunk-metadata", 400),
        ("too many chunks", |e| e.metadata.total_chunks = 101, "too-many-chunks", 413),
        ("other totalChunks", |e| e.metadata.total_chunks = 4, "inconsistent-chunk-metadata", 400),
        ("other originalSize", |e| e.metadata.original_size = 999, "inconsistent-chunk-metadata", 400),
        ("other compressedSize", |e| e.metadata.compressed_size = 31, "inconsistent-chunk-metadata", 400),
        ("invalid base64", |e| e.data = "AAAA!AAA".into(), "invalid-base64", 400),
        ("unpadded base64", |e| e.data = "AAAAAA".into(), "invalid-base64", 400),
        ("over the decompressed cap", |e| e.metadata.original_size = (1 << 20) + 1, "decompressed-too-large", 413),
        ("over the compressed cap", |e| e.metadata.compressed_size = 10 << 20, "upload-too-large", 413),
        ("slice over L", |e| e.data = "A".repeat(1_400_000), "chunk-too-large", 413),
        ("slice over compressedSize", |e| e.data = "A".repeat(44), "invalid-chunk-metadata", 400),
        (
            "other route",
            |e| e.metadata.upload_id = e.metadata.upload_id.replace("notes-", "assets-"),
            "invalid-upload-id",
            400,
        ),
        ("no id", |e| e.metadata.upload_id.clear(), "invalid-upload-id", 400),
        (
            "path in the id",
            |e| e.metadata.upload_id = e.metadata.upload_id.replace("-00000000-", "-../../x-"),
            "invalid-upload-id",
            400,
        ),
    ];
    for (name, edit, code, status) in cases {
        let mut envelope = chunk(session, 1, 3);
        edit(&mut envelope);
        let err = store.accept(session, RouteKind::Notes, envelope).await.expect_err(name);
        assert_eq!((err.code().as_str(), err.status()), (*code, *status), "{name}: {err}");
    }

    let err = store.accept(other_session, RouteKind::Notes, chunk(session, 1, 3)).await.unwrap_err();
    assert_eq!((err.code().as_str(), err.status()), ("session-mismatch", 400));

    // Slices that add up to more than compressedSize.
    let mut big = chunk(session, 1, 3);
    big.data = "A".repeat(28); // 21 bytes: 10 + 21 > 30
    let err = store.accept(session, RouteKind::Notes, big).await.unwrap_err();
    assert_eq!(err.code().as_str(), "size-mismatch");

    // None of the refused chunks was stored.
    let outcome = store.accept(session, RouteKind::Notes, chunk(session, 1, 3)).await.unwrap();
    assert!(matches!(outcome, ChunkOutcome::Partial { received: 2, total: 3 }));
}

#[tokio::test]
async fn a_session_may_have_only_so_many_open_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ChunkLimits { max_open_uploads_per_session: 2, ..ChunkLimits::default() };
    let store = ChunkStore::open(&dir.path().join("chunks"), limits, &dir.path().join("quarantine")).unwrap();
    let session = SessionId::generate();
    let payload = notes_payload();
    let mut first_chunks = Vec::new();
    for _ in 0..2 {
        let chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &payload, 1000);
        store.accept(session, RouteKind::Notes, chunks[0].clone()).await.unwrap();
        first_chunks.push(chunks);
    }
    let third = envelopes(&new_upload_id(RouteKind::Assets, session), &payload, 1000);
    let err = store.accept(session, RouteKind::Assets, third[0].clone()).await.unwrap_err();
    assert_eq!((err.code().as_str(), err.status()), ("too-many-open-uploads", 409));
    // Another session is not affected.
    let other = SessionId::generate();
    let chunks = envelopes(&new_upload_id(RouteKind::Notes, other), &payload, 1000);
    store.accept(other, RouteKind::Notes, chunks[0].clone()).await.unwrap();

    // Once one upload is done, a new one may open.
    let chunks = first_chunks.pop().unwrap();
    let outcome = send_all(&store, session, RouteKind::Notes, chunks[1..].to_vec()).await.unwrap();
    let ChunkOutcome::Complete(upload) = outcome else { panic!("complete") };
    store.record_reply(session, RouteKind::Notes, &upload.upload_id(), &json!({})).await.unwrap();
    store.accept(session, RouteKind::Assets, third[0].clone()).await.unwrap();
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_without_leaving_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ChunkLimits { max_notes_bytes: 1 << 20, ..ChunkLimits::default() };
    let store = ChunkStore::open(&dir.path().join("chunks"), limits, &dir.path().join("quarantine")).unwrap();
    let session = SessionId::generate();
    let zeros = vec![0u8; 10 << 20];

    // Declared honestly: refused at the first chunk, before anything is stored.
    let chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &zeros, 4096);
    let err = store.accept(session, RouteKind::Notes, chunks[0].clone()).await.unwrap_err();
    assert_eq!((err.code().as_str(), err.status()), ("decompressed-too-large", 413));
    assert!(entries(&dir.path().join("chunks")).is_empty());

    // Declared at the cap: stopped when the output passes it.
    let mut chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &zeros, 4096);
    assert!(gzip(&zeros).len() < 20 << 10);
    for envelope in &mut chunks {
        envelope.metadata.original_size = 1 << 20;
    }
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let outcome = send_all(&store, session, RouteKind::Notes, chunks).await.unwrap();
    let err = unpack(&store, outcome, &out).await.unwrap_err();
    assert_eq!((err.code().as_str(), err.status()), ("decompressed-too-large", 413));
    assert!(entries(&out).is_empty());

    // Declared below the truth: a size mismatch, found as soon as the output passes it.
    let mut chunks = envelopes(&new_upload_id(RouteKind::Notes, session), &zeros, 4096);
    for envelope in &mut chunks {
        envelope.metadata.original_size = 1000;
    }
    let outcome = send_all(&store, session, RouteKind::Notes, chunks).await.unwrap();
    let err = unpack(&store, outcome, &out).await.unwrap_err();
    assert_eq!((err.code().as_str(), err.status()), ("size-mismatch", 400));
    assert!(entries(&out).is_empty());
}

#[tokio::test(start_paused = true)]
async fn incomplete_uploads_expire_after_inactivity_not_age() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let session = SessionId::generate();
    let upload_id = new_upload_id(RouteKind::Notes, session);
    let chunks = envelopes(&upload_id, &notes_payload(), 1000);
    let done = envelopes(&new_upload_id(RouteKind::Notes, session), br#"{"notes":[]}"#, 1000);
    let ChunkOutcome::Complete(upload) = send_all(&store, session, RouteKind::Notes, done).await.unwrap() else {
        panic!("complete");
    };
    store.record_reply(session, RouteKind::Notes, &upload.upload_id(), &json!({"ok": 1})).await.unwrap();

    let minute = Duration::from_secs(60);
    store.accept(session, RouteKind::Notes, chunks[0].clone()).await.unwrap();
    tokio::time::advance(4 * minute).await;
    store.accept(session, RouteKind::Notes, chunks[1].clone()).await.unwrap();
    tokio::time::advance(4 * minute).await;
    // Eight minutes old, but active four minutes ago.
    assert_eq!(store.expire_idle(5 * minute).await, 0);
    assert!(store.has_incomplete(session));

    tokio::time::advance(2 * minute).await;
    assert_eq!(store.expire_idle(5 * minute).await, 1);
    assert!(!store.has_incomplete(session));
    let kind_dir = dir.path().join("chunks").join(session.to_string()).join("notes");
    assert_eq!(entries(&kind_dir).len(), 1, "only the completed upload is left");

    // A chunk arriving later starts over; the completed upload still replays.
    let outcome = store.accept(session, RouteKind::Notes, chunks[2].clone()).await.unwrap();
    assert!(matches!(outcome, ChunkOutcome::Partial { received: 1, .. }));
    assert_eq!(store.expire_idle(Duration::ZERO).await, 1);
}

#[tokio::test]
async fn removing_a_session_forgets_its_uploads_and_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let (gone, kept) = (SessionId::generate(), SessionId::generate());
    for session in [gone, kept] {
        let chunks = envelopes(&new_upload_id(RouteKind::Assets, session), &notes_payload(), 1000);
        store.accept(session, RouteKind::Assets, chunks[0].clone()).await.unwrap();
    }
    store.remove_session(gone).await.unwrap();
    assert!(!store.has_incomplete(gone));
    assert!(store.has_incomplete(kept));
    assert_eq!(entries(&dir.path().join("chunks")), [kept.to_string()]);
    store.remove_session(gone).await.unwrap();
}
