//! The plugin's protocol (reference §4): JSON batches of at most 1 MiB, each gzipped and sent as
//! base64 slices in chunk envelopes, the chunks of one batch in order. Notes always travel this
//! way; assets only when the server takes no streaming uploads (the Node reference).

use std::fs::File as StdFile;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use vps_core::SessionId;
use vps_core::note::{CleanupRule, Note};

use crate::client::{Client, read_body};
use crate::error::ClientError;
use crate::upload::UploadFile;

/// The plugin's request size `L`: a batch's JSON stays within it (one bigger item goes alone).
const BATCH_BYTES: u64 = 1024 * 1024;
/// Gzip bytes per chunk (`L / 2`): with base64 and metadata, a request stays under `L`.
const SLICE_BYTES: u64 = 512 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Notes,
    Assets,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Self::Notes => "notes",
            Self::Assets => "assets",
        }
    }

    fn call(self) -> &'static str {
        match self {
            Self::Notes => "notes upload",
            Self::Assets => "assets upload",
        }
    }
}

/// One batch, gzipped: in memory (notes, ≤ 1 MiB of JSON) or spooled to a temp file (assets).
enum Gzipped {
    Memory(Vec<u8>),
    File(tokio::fs::File),
}

/// A batch ready to send: its gzip bytes and the two sizes every envelope repeats.
struct Batch {
    gzip: Gzipped,
    original_size: u64,
    compressed_size: u64,
}

impl Client {
    /// Sends notes as the plugin does: `{"notes":[…]}` batches of at most 1 MiB of JSON (a
    /// larger note alone), `cleanupRules` with the first batch only (left out when empty),
    /// each batch gzipped and sliced into base64 chunk envelopes of at most 512 KiB of gzip,
    /// POSTed in order to `/api/session/{id}/notes/upload`: 202 for every chunk but the last,
    /// whose answer is the server's verdict on the batch. Returns the request bytes sent.
    pub async fn upload_notes(
        &self,
        session: SessionId,
        notes: &[Note],
        cleanup_rules: &[CleanupRule],
    ) -> Result<u64, ClientError> {
        let mut sent = 0;
        let mut batch = Vec::new();
        let mut batch_bytes = 0u64;
        let mut first = true;
        for note in notes {
            let json = serde_json::to_string(note).map_err(|e| ClientError::protocol("notes upload", e.to_string()))?;
            let grows = batch_bytes + 1 + json.len() as u64;
            if !batch.is_empty() && grows + NOTES_FRAME > BATCH_BYTES {
                let rules = if first { cleanup_rules } else { &[] };
                sent += self.send_notes_batch(session, &batch, rules).await?;
                first = false;
                batch.clear();
                batch_bytes = 0;
            }
            batch_bytes += json.len() as u64 + u64::from(!batch.is_empty());
            batch.push(json);
        }
        if !batch.is_empty() {
            let rules = if first { cleanup_rules } else { &[] };
            sent += self.send_notes_batch(session, &batch, rules).await?;
        }
        Ok(sent)
    }

    async fn send_notes_batch(
        &self,
        session: SessionId,
        notes: &[String],
        rules: &[CleanupRule],
    ) -> Result<u64, ClientError> {
        let mut json = Counted::new(GzEncoder::new(Vec::new(), Compression::default()));
        let written = (|| -> io::Result<()> {
            json.write_all(b"{\"notes\":[")?;
            for (index, note) in notes.iter().enumerate() {
                if index > 0 {
                    json.write_all(b",")?;
                }
                json.write_all(note.as_bytes())?;
            }
            json.write_all(b"]")?;
            if !rules.is_empty() {
                json.write_all(b",\"cleanupRules\":")?;
                serde_json::to_writer(&mut json, rules)?;
            }
            json.write_all(b"}")
        })();
        written.map_err(|e| ClientError::protocol("notes upload", format!("cannot build the batch: {e}")))?;
        let original_size = json.count;
        let gzip = json.inner.finish().map_err(|e| ClientError::protocol("notes upload", e.to_string()))?;
        let batch = Batch { compressed_size: gzip.len() as u64, gzip: Gzipped::Memory(gzip), original_size };
        tracing::debug!(%session, notes = notes.len(), original_size, compressed = batch.compressed_size, "notes batch");
        self.send_batch(session, Route::Notes, batch, &mut |_| {}).await
    }

    /// The fallback for servers without streaming uploads (the Node reference): assets as the
    /// plugin sends them, `{"assets":[{relativePath, vaultPath, fileName, mimeType,
    /// contentBase64}]}` in batches of at most 1 MiB of JSON (a larger asset alone), in the same
    /// chunk envelopes as notes.
    ///
    /// Memory: a batch is written, base64 and gzip as it goes, to an anonymous temp file, then
    /// sent from there one slice at a time; at worst one asset's base64 is ever held (in
    /// practice about one 512 KiB slice and its envelope), whatever the asset sizes. The temp
    /// file needs disk space of about the batch's gzip size. `progress` gets file bytes as
    /// their chunks are sent. Returns the request bytes sent.
    pub async fn upload_assets_json(
        &self,
        session: SessionId,
        files: &[UploadFile],
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, ClientError> {
        let mut sent = 0;
        for group in asset_batches(files) {
            let assets: Vec<(String, UploadFile)> =
                files[group].iter().map(|file| (asset_head(file), file.clone())).collect();
            let raw_bytes: u64 = assets.iter().map(|(_, file)| file.size).sum();
            let batch = tokio::task::spawn_blocking(move || spool_assets(&assets))
                .await
                .map_err(|e| ClientError::protocol("assets upload", format!("the batch writer failed: {e}")))??;
            let total = batch.compressed_size.div_ceil(SLICE_BYTES).max(1);
            let mut told = 0;
            let mut on_chunk = |index: u64| {
                let now = raw_bytes * (index + 1) / total;
                progress(now - told);
                told = now;
            };
            sent += self.send_batch(session, Route::Assets, batch, &mut on_chunk).await?;
        }
        Ok(sent)
    }

    /// Sends one batch as chunk envelopes, in order, each with the usual retries; the last
    /// chunk must complete the upload.
    async fn send_batch(
        &self,
        session: SessionId,
        route: Route,
        mut batch: Batch,
        on_chunk: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64, ClientError> {
        let call = route.call();
        let upload_id = format!("{}-{session}-{}", route.name(), uuid::Uuid::new_v4());
        let total = batch.compressed_size.div_ceil(SLICE_BYTES).max(1);
        let path = format!("/api/session/{session}/{}/upload", route.name());
        let mut sent = 0;
        for index in 0..total {
            let slice = batch.slice(index).await;
            let slice =
                slice.map_err(|e| ClientError::protocol(call, format!("cannot read the spooled batch: {e}")))?;
            let envelope = Envelope {
                metadata: Metadata {
                    upload_id: &upload_id,
                    chunk_index: index,
                    total_chunks: total,
                    original_size: batch.original_size,
                    compressed_size: batch.compressed_size,
                },
                data: STANDARD.encode(&slice),
            };
            let body = Bytes::from(serde_json::to_vec(&envelope).expect("envelopes serialize"));
            drop((envelope, slice)); // only the request body stays in memory while it is sent
            let response = self.execute(call, true, &mut || Ok(self.json_request(&path, &body))).await?;
            let status = response.status();
            let answer = read_body(call, response).await?;
            let last = index + 1 == total;
            if last && is_chunk_receipt(&answer) {
                let detail = format!("the last chunk of {upload_id} was only acknowledged ({status}), not processed");
                return Err(ClientError::protocol(call, detail));
            }
            sent += body.len() as u64;
            on_chunk(index);
        }
        Ok(sent)
    }
}

impl Batch {
    /// Gzip bytes `[index·c, min((index+1)·c, compressedSize))`.
    async fn slice(&mut self, index: u64) -> io::Result<Vec<u8>> {
        let start = index * SLICE_BYTES;
        let end = (start + SLICE_BYTES).min(self.compressed_size);
        match &mut self.gzip {
            Gzipped::Memory(bytes) => Ok(bytes[start as usize..end as usize].to_vec()),
            Gzipped::File(file) => {
                let mut slice = vec![0; (end - start) as usize];
                file.seek(SeekFrom::Start(start)).await?;
                file.read_exact(&mut slice).await?;
                Ok(slice)
            }
        }
    }
}

/// `{"status":"chunk_received",…}`: the answer to a chunk that did not complete its upload.
fn is_chunk_receipt(answer: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(answer)
        .is_ok_and(|value| value.get("status").and_then(|s| s.as_str()) == Some("chunk_received"))
}

#[derive(Serialize)]
struct Envelope<'a> {
    metadata: Metadata<'a>,
    data: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    upload_id: &'a str,
    chunk_index: u64,
    total_chunks: u64,
    original_size: u64,
    compressed_size: u64,
}

/// `{"notes":[` and `]}`.
const NOTES_FRAME: u64 = 12;
/// `{"assets":[` and `]}`.
const ASSETS_FRAME: u64 = 13;

/// An asset's JSON up to the opening quote of its base64: `{"relativePath":…,"contentBase64":"`.
fn asset_head(file: &UploadFile) -> String {
    let quoted = |text: &str| serde_json::to_string(text).expect("strings serialize");
    let path = quoted(file.path.as_str());
    format!(
        "{{\"relativePath\":{path},\"vaultPath\":{path},\"fileName\":{},\"mimeType\":{},\"contentBase64\":\"",
        quoted(file.path.file_name()),
        quoted(mime_from_extension(file.path.extension().as_deref())),
    )
}

/// An asset's exact JSON length: its head, its base64, and `"}`.
fn asset_json_len(file: &UploadFile) -> u64 {
    asset_head(file).len() as u64 + file.size.div_ceil(3) * 4 + 2
}

/// Groups assets, in order, into batches of at most 1 MiB of JSON (a larger asset alone).
fn asset_batches(files: &[UploadFile]) -> Vec<std::ops::Range<usize>> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (index, file) in files.iter().enumerate() {
        let len = asset_json_len(file) + u64::from(index > start);
        if index > start && ASSETS_FRAME + bytes + len > BATCH_BYTES {
            batches.push(start..index);
            (start, bytes) = (index, asset_json_len(file));
        } else {
            bytes += len;
        }
    }
    if start < files.len() {
        batches.push(start..files.len());
    }
    batches
}

/// Writes `{"assets":[…]}` through base64 and gzip into an anonymous temp file, reading each
/// file once; answers the file rewound, with the exact sizes.
fn spool_assets(assets: &[(String, UploadFile)]) -> Result<Batch, ClientError> {
    let temp_error = |e: io::Error| ClientError::protocol("assets upload", format!("cannot spool the batch: {e}"));
    let spool = tempfile::tempfile().map_err(temp_error)?;
    let mut json = Counted::new(GzEncoder::new(BufWriter::new(spool), Compression::default()));
    json.write_all(b"{\"assets\":[").map_err(temp_error)?;
    for (index, (head, file)) in assets.iter().enumerate() {
        if index > 0 {
            json.write_all(b",").map_err(temp_error)?;
        }
        json.write_all(head.as_bytes()).map_err(temp_error)?;
        copy_base64(&file.file, file.size, &mut json)?;
        json.write_all(b"\"}").map_err(temp_error)?;
    }
    json.write_all(b"]}").map_err(temp_error)?;
    let original_size = json.count;
    let buffered = json.inner.finish().map_err(temp_error)?;
    let mut spool = buffered.into_inner().map_err(|e| temp_error(e.into_error()))?;
    let compressed_size = spool.stream_position().map_err(temp_error)?;
    Ok(Batch { gzip: Gzipped::File(tokio::fs::File::from_std(spool)), original_size, compressed_size })
}

/// Appends a file's base64 to `out`, checking that it still has the size it was scanned with.
fn copy_base64(path: &Path, size: u64, out: &mut impl Write) -> Result<(), ClientError> {
    let io_error = |source: io::Error| ClientError::Io { path: path.to_owned(), source };
    let mut file = StdFile::open(path).map_err(io_error)?;
    let mut encoder = base64::write::EncoderWriter::new(out, &STANDARD);
    let copied = io::copy(&mut (&mut file).take(size + 1), &mut encoder).map_err(io_error)?;
    if copied != size {
        let message = format!("the file changed since it was scanned ({copied} bytes now, {size} then)");
        return Err(io_error(io::Error::new(io::ErrorKind::InvalidData, message)));
    }
    encoder.finish().map_err(io_error)?;
    Ok(())
}

/// The plugin's media type by extension (§5.2); the server decides by content anyway.
fn mime_from_extension(extension: Option<&str>) -> &'static str {
    match extension.unwrap_or_default() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

/// A writer that counts the bytes written through it (the batch's `originalSize`).
struct Counted<W> {
    inner: W,
    count: u64,
}

impl<W> Counted<W> {
    fn new(inner: W) -> Self {
        Self { inner, count: 0 }
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use vps_core::AssetPath;

    use super::*;

    fn file(path: &str, size: u64) -> UploadFile {
        UploadFile { path: AssetPath::parse(path).unwrap(), file: path.into(), size, sha256: None }
    }

    #[test]
    fn asset_batches_stay_under_a_mebibyte_and_big_assets_go_alone() {
        let files = [file("a.png", 300_000), file("b.png", 300_000), file("c.png", 2_000_000), file("d.png", 10)];
        assert_eq!(asset_batches(&files), [0..2, 2..3, 3..4]);
        let many: Vec<_> = (0..5).map(|i| file(&format!("{i}.png"), 100)).collect();
        assert_eq!(asset_batches(&many).len(), 1, "five small assets share one batch");
    }

    #[tokio::test]
    async fn a_spooled_batch_is_the_plugins_json_with_exact_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let on_disk = dir.path().join("x");
        std::fs::write(&on_disk, b"\x89PNG hello").unwrap();
        let upload = UploadFile {
            path: AssetPath::parse("Attachments/a \"b\".png").unwrap(),
            file: on_disk,
            size: 10,
            sha256: None,
        };
        assert_eq!(asset_json_len(&upload), (asset_head(&upload).len() + 16 + 2) as u64);
        let mut batch = spool_assets(&[(asset_head(&upload), upload.clone())]).unwrap();
        let gzip = batch.slice(0).await.unwrap();
        assert_eq!(gzip.len() as u64, batch.compressed_size);
        let mut json = String::new();
        flate2::read::GzDecoder::new(&gzip[..]).read_to_string(&mut json).unwrap();
        assert_eq!(json.len() as u64, batch.original_size);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let asset = &value["assets"][0];
        assert_eq!(asset["vaultPath"], "Attachments/a \"b\".png");
        assert_eq!(asset["fileName"], "a \"b\".png");
        assert_eq!(asset["mimeType"], "image/png");
        assert_eq!(STANDARD.decode(asset["contentBase64"].as_str().unwrap()).unwrap(), b"\x89PNG hello");
    }

    #[test]
    fn a_file_that_changed_since_the_scan_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let on_disk = dir.path().join("x");
        std::fs::write(&on_disk, b"1234").unwrap();
        let upload = UploadFile { path: AssetPath::parse("x.png").unwrap(), file: on_disk, size: 3, sha256: None };
        let error = spool_assets(&[(asset_head(&upload), upload)]).err().unwrap();
        assert_eq!(error.kind(), crate::ErrorKind::Io);
    }
}
