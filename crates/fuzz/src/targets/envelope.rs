//! Target `envelope`: the plugin's chunk envelope, from request body to parsed payload.
//!
//! A case is a request body ([`Envelope::from_slice`] then [`ChunkStore::accept`]), a whole
//! upload cut into chunks whose metadata may lie and whose base64 may be garbage, or gzip bytes
//! given straight to the capped gunzip. A completed upload is inflated with the route's cap and
//! read as the notes batch ([`read_notes_payload`]) or walked as the assets batch
//! ([`read_legacy_assets`], each asset's content through the ingest pipeline), as the server does. Properties: nothing panics; every error is a
//! 4xx with a code; the inflated payload never passes its cap; the heap grows by at most a few
//! times the input plus 32 MiB; no temp file and no chunk file is left once the case is over.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use proptest::sample::select;
use vps_core::SessionId;
use vps_envelope::{
    AssetContent, ChunkLimits, ChunkOutcome, ChunkStore, ContentConsumer, Envelope, EnvelopeError, EnvelopeMetadata,
    RouteKind, gunzip_to_file, read_legacy_assets, read_notes_payload,
};
use vps_store::FsStore;

use super::ensure;
use crate::alloc::Peak;
use crate::engine::Target;
use crate::inputs::{Bytes, edgy_u64, repeated, text_of};

/// Pieces of notes and assets batches, and of envelopes (`SESSION` becomes the case's session).
const JSON: &[&str] = &[
    "{\"notes\":[",
    "{\"assets\":[",
    "{\"noteId\":\"n\",\"vaultPath\":\"a/b.md\",\"content\":\"# hi\"}",
    "{\"relativePath\":\"a.png\",\"vaultPath\":\"a.png\",\"fileName\":\"a.png\",\"mimeType\":\"image/png\",\"contentBase64\":\"",
    "iVBORw0KGgoAAAANSUhEUg==",
    "iVBORw0KGgo",
    "!!not base64!!",
    "\"}",
    "\"vaultPath\":\"../../etc/passwd\"",
    "\"contentBase64\":12",
    "\"cleanupRules\":[{\"id\":\"r\",\"regex\":\"x\",\"replacement\":\"y\"}]",
    "]}",
    "]",
    "}",
    "{",
    "[",
    ",",
    ":",
    "\"",
    "\\u0000",
    "\\ud800",
    "\\",
    "null",
    "true",
    "-0",
    "1e999",
    "18446744073709551616",
    "{\"metadata\":{\"uploadId\":\"notes-SESSION-x\",\"chunkIndex\":0,\"totalChunks\":1,\"originalSize\":12,\"compressedSize\":32},\"data\":\"",
    "{\"metadata\":{\"uploadId\":\"assets-SESSION-y\",\"chunkIndex\":",
    "\"totalChunks\":1000000000000000,",
    "\"data\":\"H4sIAAAAAAAAA6tWys9LLVKyiq4FAJ4SJ6AMAAAA\"}",
    "\"}",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Notes,
    Assets,
}

impl Kind {
    fn route(self) -> RouteKind {
        match self {
            Kind::Notes => RouteKind::Notes,
            Kind::Assets => RouteKind::Assets,
        }
    }
}

/// A metadata field one chunk lies about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    Index,
    Total,
    Original,
    Compressed,
}

#[derive(Debug, Clone)]
pub(crate) enum EnvelopeInput {
    /// A request body, as the route receives it.
    Body { kind: Kind, body: Bytes },
    /// One upload of `payload` (gzip bytes, or anything) in chunks of the `cuts` sizes.
    Upload {
        kind: Kind,
        payload: Bytes,
        original: u64,
        cuts: Vec<usize>,
        lies: Vec<(usize, Field, u64)>,
        garbage: Option<(usize, String)>,
        tail: String,
        reversed: bool,
    },
    /// Gzip bytes straight to the capped gunzip.
    Gunzip { gz: Bytes, cap: u64, expected: u64 },
}

pub(crate) struct EnvelopeTarget {
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    chunks: ChunkStore,
    blobs: FsStore,
}

impl EnvelopeTarget {
    pub(crate) fn new() -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let chunks =
            ChunkStore::open(&dir.path().join("chunks"), ChunkLimits::default(), &dir.path().join("quarantine"))
                .expect("chunk store");
        std::fs::create_dir_all(dir.path().join("tmp")).expect("tmp");
        let blobs = FsStore::open(&dir.path().join("blobs"), &dir.path().join("tmp")).expect("blob store");
        Self { runtime, dir, chunks, blobs }
    }

    fn tmp(&self) -> std::path::PathBuf {
        self.dir.path().join("tmp")
    }
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory")
}

fn payload() -> BoxedStrategy<(Vec<u8>, u64)> {
    let json = prop_oneof![4 => text_of(JSON, 40), 1 => repeated(&["[", "{\"a\":", "{\"assets\":["], 100_000)];
    prop_oneof![
        // An honest gzip of a batch-like JSON text.
        6 => json.clone().prop_map(|j| { let gz = gzip(j.as_bytes()); (gz, j.len() as u64) }),
        // The same, lying about its size.
        2 => (json, edgy_u64()).prop_map(|(j, original)| (gzip(j.as_bytes()), original)),
        // Gzip bombs: spaces that inflate past the notes cap (16 MiB), declared honestly or not.
        1 => (select(&[1usize << 20, 17 << 20][..]), any::<bool>())
            .prop_map(|(n, honest)| (gzip(&vec![b' '; n]), if honest { n as u64 } else { 12 })),
        // Not gzip at all, or gzip of noise.
        2 => (proptest::collection::vec(any::<u8>(), 0..3000), edgy_u64()).prop_map(|(b, o)| (b, o)),
        1 => proptest::collection::vec(any::<u8>(), 0..3000).prop_map(|b| { let n = b.len() as u64; (gzip(&b), n) }),
    ]
    .boxed()
}

impl Target for EnvelopeTarget {
    type Input = EnvelopeInput;

    fn name(&self) -> &'static str {
        "envelope"
    }

    fn strategy(&self) -> BoxedStrategy<EnvelopeInput> {
        let kind = prop_oneof![Just(Kind::Notes), Just(Kind::Assets)];
        let field = prop_oneof![Just(Field::Index), Just(Field::Total), Just(Field::Original), Just(Field::Compressed)];
        let body = (
            kind.clone(),
            prop_oneof![
                3 => text_of(JSON, 30).prop_map(String::into_bytes),
                1 => proptest::collection::vec(any::<u8>(), 0..2000),
            ],
        )
            .prop_map(|(kind, body)| EnvelopeInput::Body { kind, body: Bytes(body) });
        let upload = (
            kind,
            payload(),
            proptest::collection::vec(prop_oneof![4 => 1usize..4000, 1 => Just(1usize << 20), 1 => Just((1 << 20) + 1)], 0..6),
            proptest::collection::vec((0usize..6, field, edgy_u64()), 0..2),
            proptest::option::weighted(0.1, (0usize..6, text_of(&["A", "=", "==", "!", " ", "\n", "QQ", "-_", "\u{e9}"], 12))),
            prop_oneof![8 => Just("x".to_owned()), 1 => select(&["../x", "", "a-b_c", "é", "..", "x/y"][..]).prop_map(str::to_owned), 1 => Just("t".repeat(65))],
            proptest::bool::weighted(0.2),
        )
            .prop_map(|(kind, (payload, original), cuts, lies, garbage, tail, reversed)| EnvelopeInput::Upload {
                kind,
                payload: Bytes(payload),
                original,
                cuts,
                lies,
                garbage,
                tail,
                reversed,
            });
        let gunzip = (payload(), prop_oneof![Just(1u64 << 20), Just(16u64 << 20), 0u64..100_000], edgy_u64()).prop_map(
            |((gz, honest), cap, lie)| EnvelopeInput::Gunzip {
                gz: Bytes(gz),
                cap,
                expected: if lie % 3 == 0 { lie } else { honest },
            },
        );
        prop_oneof![3 => body, 6 => upload, 2 => gunzip].boxed()
    }

    /// A seed file is a request body to the notes route; a `.gz` file is an upload's gzip stream,
    /// sent in one chunk to both routes and given to the gunzip.
    fn seed_inputs(&self, bytes: &[u8]) -> Vec<EnvelopeInput> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let original = inflated_len(bytes);
            let upload = |kind| EnvelopeInput::Upload {
                kind,
                payload: Bytes(bytes.to_vec()),
                original,
                cuts: vec![bytes.len().max(1)],
                lies: Vec::new(),
                garbage: None,
                tail: "seed".into(),
                reversed: false,
            };
            return vec![
                upload(Kind::Notes),
                upload(Kind::Assets),
                EnvelopeInput::Gunzip { gz: Bytes(bytes.to_vec()), cap: 16 << 20, expected: original },
            ];
        }
        vec![EnvelopeInput::Body { kind: Kind::Notes, body: Bytes(bytes.to_vec()) }]
    }

    fn check(&self, input: &EnvelopeInput) -> Result<(), String> {
        let peak = Peak::start();
        let input_bytes = match input {
            EnvelopeInput::Body { body, .. } => body.len(),
            EnvelopeInput::Upload { payload, .. } => payload.len(),
            EnvelopeInput::Gunzip { gz, .. } => gz.len(),
        };
        self.runtime.block_on(self.case(input))?;
        let growth = peak.growth();
        let budget = 4 * input_bytes + (32 << 20);
        ensure(growth <= budget, || format!("the heap grew by {growth} bytes for {input_bytes} bytes of input"))?;
        let left = files_under(&self.tmp()) + files_under(&self.dir.path().join("chunks"));
        ensure(left == 0, || format!("{left} files left behind"))
    }
}

/// The length a gzip seed inflates to (seeds are small and valid).
fn inflated_len(gz: &[u8]) -> u64 {
    let mut out = Vec::new();
    let _ = std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut out);
    out.len() as u64
}

fn four_xx(what: &str, error: &EnvelopeError) -> Result<(), String> {
    let status = error.status();
    ensure((400..500).contains(&status) && !error.code().as_str().is_empty(), || {
        format!("{what}: {status} {} ({error})", error.code())
    })
}

impl EnvelopeTarget {
    async fn case(&self, input: &EnvelopeInput) -> Result<(), String> {
        let session = SessionId::generate();
        let result = match input {
            EnvelopeInput::Body { kind, body } => {
                let body = if body.windows(7).any(|w| w == b"SESSION") {
                    String::from_utf8_lossy(body).replace("SESSION", &session.to_string()).into_bytes()
                } else {
                    body.0.clone()
                };
                match Envelope::from_slice(&body) {
                    Err(e) => four_xx("from_slice", &e),
                    Ok(envelope) => self.accept(session, kind.route(), envelope).await,
                }
            }
            EnvelopeInput::Upload { kind, payload, original, cuts, lies, garbage, tail, reversed } => {
                let slices = cut(payload, cuts);
                let total = slices.len() as u64;
                let mut order: Vec<usize> = (0..slices.len()).collect();
                if *reversed {
                    order.reverse();
                }
                let mut outcome = Ok(());
                for index in order {
                    let mut metadata = EnvelopeMetadata {
                        upload_id: format!("{}-{session}-{tail}", kind.route()),
                        chunk_index: index as u64,
                        total_chunks: total,
                        original_size: *original,
                        compressed_size: payload.len() as u64,
                    };
                    for &(at, field, value) in lies {
                        if at == index {
                            match field {
                                Field::Index => metadata.chunk_index = value,
                                Field::Total => metadata.total_chunks = value,
                                Field::Original => metadata.original_size = value,
                                Field::Compressed => metadata.compressed_size = value,
                            }
                        }
                    }
                    let data = match garbage {
                        Some((at, text)) if *at == index => text.clone(),
                        _ => STANDARD.encode(slices[index]),
                    };
                    outcome = outcome.and(self.accept(session, kind.route(), Envelope { metadata, data }).await);
                }
                outcome
            }
            EnvelopeInput::Gunzip { gz, cap, expected } => {
                match gunzip_to_file(&gz[..], *cap, *expected, &self.tmp()).await {
                    Ok(json) => ensure(json.len() <= *cap && json.len() == *expected, || {
                        format!("inflated {} bytes with cap {cap}, expected {expected}", json.len())
                    }),
                    Err(e) => four_xx("gunzip_to_file", &e),
                }
            }
        };
        self.chunks.expire_idle(Duration::ZERO).await;
        result
    }

    /// Accepts one chunk; a completed upload is processed as the route does.
    async fn accept(&self, session: SessionId, kind: RouteKind, envelope: Envelope) -> Result<(), String> {
        let upload = match self.chunks.accept(session, kind, envelope).await {
            Err(e) => return four_xx("accept", &e),
            Ok(ChunkOutcome::Partial { .. } | ChunkOutcome::Replay(_)) => return Ok(()),
            Ok(ChunkOutcome::Complete(upload)) => upload,
        };
        let cap = self.chunks.limits().max_original_bytes(kind);
        let json = match gunzip_to_file(upload.reader(), cap, upload.original_size(), &self.tmp()).await {
            Ok(json) => json,
            Err(e) => return four_xx("gunzip of a complete upload", &e),
        };
        ensure(json.len() <= cap, || format!("inflated {} bytes past the cap {cap}", json.len()))?;
        match kind {
            RouteKind::Notes => match read_notes_payload(&json) {
                Ok(_) => Ok(()),
                Err(e) => four_xx("read_notes_payload", &e),
            },
            RouteKind::Assets => match read_legacy_assets(&json, &mut Ingest { blobs: &self.blobs }).await {
                Ok(assets) => {
                    for asset in &assets {
                        if let Err(e) = &asset.content {
                            ensure(!e.code().as_str().is_empty(), || format!("an asset error without a code: {e}"))?;
                        }
                    }
                    Ok(())
                }
                Err(e) => four_xx("read_legacy_assets", &e),
            },
        }
    }
}

/// Each asset's content through the ingest pipeline, as the server's upload route runs it.
struct Ingest<'a> {
    blobs: &'a FsStore,
}

impl ContentConsumer for Ingest<'_> {
    type Output = Option<vps_ingest::Outcome>;
    type Error = EnvelopeError;

    async fn consume(
        &mut self,
        extension: Option<&str>,
        content: AssetContent<'_>,
    ) -> Result<Option<vps_ingest::Outcome>, EnvelopeError> {
        match vps_ingest::ingest(self.blobs, &vps_ingest::Policy::default(), extension, None, content).await {
            Ok(outcome) => Ok(Some(outcome)),
            Err(vps_ingest::IngestError::Store(e)) => Err(e.into()),
            Err(_) => Ok(None),
        }
    }
}

/// `payload` cut into slices of the given sizes (the rest in a last slice); at least one slice.
fn cut<'a>(payload: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut slices = Vec::new();
    let mut rest = payload;
    for &size in sizes {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(size.min(rest.len()));
        slices.push(head);
        rest = tail;
    }
    if !rest.is_empty() || slices.is_empty() {
        slices.push(rest);
    }
    slices
}

pub(crate) fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() { files_under(&path) } else { 1 }
        })
        .sum()
}
