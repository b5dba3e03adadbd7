//! Target `chunks-open`: the chunk store taking back uploads a previous run left on disk.
//!
//! A case writes one upload directory (`<session>/<notes|assets>/<tail>/`) holding an arbitrary
//! `meta.json` (often well-formed, with sizes on the edges: `totalChunks = 1e15`), chunk files
//! and maybe a `reply.json`, then opens a [`ChunkStore`] there. Properties: opening never panics
//! nor asks for an absurd allocation (the counting allocator refuses any over 1 GiB), whatever
//! the files say; the store opened, or refused with an error, and an opened store still takes a
//! new upload.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use proptest::sample::select;
use vps_core::SessionId;
use vps_envelope::{ChunkLimits, ChunkOutcome, ChunkStore, Envelope, EnvelopeMetadata, RouteKind};

use super::ensure;
use crate::engine::Target;
use crate::inputs::{Bytes, edgy_u64, text_of};

#[derive(Debug, Clone)]
pub(crate) struct OpenInput {
    kind: &'static str,
    meta: Bytes,
    /// Chunk file names (`00000000.chunk`…) and their lengths.
    chunks: Vec<(String, usize)>,
    reply: Option<Bytes>,
}

pub(crate) struct ChunksOpenTarget {
    runtime: tokio::runtime::Runtime,
}

impl ChunksOpenTarget {
    pub(crate) fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Self { runtime }
    }
}

fn meta() -> BoxedStrategy<Vec<u8>> {
    let number = prop_oneof![
        4 => edgy_u64().prop_map(|n| n.to_string()),
        1 => select(&["-1", "1e15", "1.5", "null", "\"1\"", "18446744073709551616", "[]"][..]).prop_map(str::to_owned),
    ];
    prop_oneof![
        6 => (number.clone(), number.clone(), number).prop_map(|(t, o, c)| {
            format!("{{\"totalChunks\":{t},\"originalSize\":{o},\"compressedSize\":{c}}}").into_bytes()
        }),
        1 => text_of(&["{", "}", "\"totalChunks\":", "1000000000000000", ",", "\"", ":"], 12).prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
    ]
    .boxed()
}

impl Target for ChunksOpenTarget {
    type Input = OpenInput;

    fn name(&self) -> &'static str {
        "chunks-open"
    }

    fn strategy(&self) -> BoxedStrategy<OpenInput> {
        let chunk_name = prop_oneof![
            4 => (0u64..4).prop_map(|i| format!("{i:08}.chunk")),
            1 => edgy_u64().prop_map(|i| format!("{i:08}.chunk")),
            1 => select(&["x.chunk", ".00000000.abc.tmp", "reply.json.tmp", "-1.chunk"][..]).prop_map(str::to_owned),
        ];
        (
            select(&["notes", "assets"][..]),
            meta(),
            proptest::collection::vec((chunk_name, 0usize..64), 0..4),
            proptest::option::weighted(
                0.3,
                prop_oneof![Just(b"{\"ok\":true}".to_vec()), proptest::collection::vec(any::<u8>(), 0..16)],
            ),
        )
            .prop_map(|(kind, meta, chunks, reply)| OpenInput {
                kind,
                meta: Bytes(meta),
                chunks,
                reply: reply.map(Bytes),
            })
            .boxed()
    }

    /// A seed file is a `meta.json`, tried with and without chunks and a reply.
    fn seed_inputs(&self, bytes: &[u8]) -> Vec<OpenInput> {
        let plain = OpenInput { kind: "notes", meta: Bytes(bytes.to_vec()), chunks: Vec::new(), reply: None };
        let full = OpenInput {
            kind: "assets",
            meta: Bytes(bytes.to_vec()),
            chunks: vec![("00000000.chunk".into(), 10), ("00000001.chunk".into(), 3)],
            reply: Some(Bytes(b"{\"ok\":true}".to_vec())),
        };
        let chunks = OpenInput { reply: None, ..full.clone() };
        vec![plain, chunks, full]
    }

    fn check(&self, input: &OpenInput) -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let session = SessionId::generate();
        let upload = dir.path().join(session.to_string()).join(input.kind).join("seeded-upload");
        std::fs::create_dir_all(&upload).map_err(|e| e.to_string())?;
        std::fs::write(upload.join("meta.json"), &input.meta[..]).map_err(|e| e.to_string())?;
        for (name, len) in &input.chunks {
            std::fs::write(upload.join(name), vec![b'x'; *len]).map_err(|e| e.to_string())?;
        }
        if let Some(reply) = &input.reply {
            std::fs::write(upload.join("reply.json"), &reply[..]).map_err(|e| e.to_string())?;
        }
        let quarantine = dir.path().join("quarantine");
        let Ok(store) = ChunkStore::open(dir.path(), ChunkLimits::default(), &quarantine) else { return Ok(()) };

        // The store still takes a new upload of another session.
        let other = SessionId::generate();
        let json = br#"{"notes":[]}"#;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(json).map_err(|e| e.to_string())?;
        let gz = encoder.finish().map_err(|e| e.to_string())?;
        let envelope = Envelope {
            metadata: EnvelopeMetadata {
                upload_id: format!("notes-{other}-after"),
                chunk_index: 0,
                total_chunks: 1,
                original_size: json.len() as u64,
                compressed_size: gz.len() as u64,
            },
            data: STANDARD.encode(&gz),
        };
        let outcome = self.runtime.block_on(store.accept(other, RouteKind::Notes, envelope));
        ensure(matches!(outcome, Ok(ChunkOutcome::Complete(_))), || {
            format!("after opening, a new upload is not taken: {outcome:?}")
        })
    }
}
