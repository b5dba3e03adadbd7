//! The legacy upload path end to end, on real files: envelopes in, chunk store, gunzip, and the
//! notes or assets payload out.

mod assets;
mod chunks;

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::GzEncoder;
use vps_core::SessionId;
use vps_envelope::{
    ChunkLimits, ChunkOutcome, ChunkStore, Envelope, EnvelopeError, EnvelopeMetadata, RouteKind, TempJson,
};

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub fn new_upload_id(kind: RouteKind, session: SessionId) -> String {
    format!("{kind}-{session}-{}", uuid::Uuid::new_v4())
}

/// Cuts `payload` the way the plugin does: gzip, slices of `slice` bytes, base64.
pub fn envelopes(upload_id: &str, payload: &[u8], slice: usize) -> Vec<Envelope> {
    let gz = gzip(payload);
    let total = gz.len().div_ceil(slice) as u64;
    gz.chunks(slice)
        .enumerate()
        .map(|(i, piece)| Envelope {
            metadata: EnvelopeMetadata {
                upload_id: upload_id.to_owned(),
                chunk_index: i as u64,
                total_chunks: total,
                original_size: payload.len() as u64,
                compressed_size: gz.len() as u64,
            },
            data: STANDARD.encode(piece),
        })
        .collect()
}

pub fn open_store(dir: &Path) -> ChunkStore {
    ChunkStore::open(&dir.join("chunks"), ChunkLimits::default(), &dir.join("quarantine")).unwrap()
}

/// Sends every envelope, in the order given; returns the last outcome.
pub async fn send_all(
    store: &ChunkStore,
    session: SessionId,
    kind: RouteKind,
    envelopes: impl IntoIterator<Item = Envelope>,
) -> Result<ChunkOutcome, EnvelopeError> {
    let mut last = None;
    for envelope in envelopes {
        last = Some(store.accept(session, kind, envelope).await?);
    }
    Ok(last.expect("at least one envelope"))
}

/// Reassembles and decompresses a complete upload into `out_dir`.
pub async fn unpack(store: &ChunkStore, outcome: ChunkOutcome, out_dir: &Path) -> Result<TempJson, EnvelopeError> {
    let ChunkOutcome::Complete(upload) = outcome else { panic!("expected a complete upload, got {outcome:?}") };
    let cap = store.limits().max_original_bytes(upload.kind());
    vps_envelope::gunzip_to_file(upload.reader(), cap, upload.original_size(), out_dir).await
}

/// Names of the entries in a directory (none when it does not exist).
pub fn entries(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(list) => list.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The server awaits these inside its handlers, which must be `Send`.
#[test]
fn the_async_api_is_send() {
    fn assert_send<T: Send>(_: T) {}
    let _ = |store: &ChunkStore,
             consumer: &mut assets::Collect,
             json: &TempJson,
             upload: &vps_envelope::Assembled,
             session: SessionId,
             envelope: Envelope| {
        assert_send(store.accept(session, RouteKind::Notes, envelope));
        assert_send(store.record_reply(session, RouteKind::Notes, "", &serde_json::Value::Null));
        assert_send(store.expire_idle(std::time::Duration::ZERO));
        assert_send(store.remove_session(session));
        assert_send(vps_envelope::gunzip_to_file(upload.reader(), 1, 1, Path::new(".")));
        assert_send(vps_envelope::read_legacy_assets(json, consumer));
    };
}
