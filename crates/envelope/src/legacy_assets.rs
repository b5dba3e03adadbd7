//! The legacy JSON asset payload (protocol §5.2), read as a stream of assets, each with a stream
//! of its bytes.
//!
//! ```json
//! {"assets":[{"relativePath":"img.png","vaultPath":"assets/img.png","fileName":"img.png","mimeType":"image/png","contentBase64":"iVBORw0KGgo…"}]}
//! ```
//!
//! One asset can be hundreds of MiB of base64, so the payload is never parsed into memory: a
//! [`JsonReader`] walks it, reads the short fields whole (each at most [`MAX_FIELD_BYTES`]),
//! skips unknown fields of any type, and turns `contentBase64` into an [`AssetContent`] stream
//! of decoded chunks (at most [`MAX_DECODED_CHUNK`] bytes each) that the caller's
//! [`ContentConsumer`] reads as the reader advances. Memory is the reader's buffer, one decoded
//! chunk and what the consumer queues, whatever the asset's size. This module only parses: what
//! becomes of the bytes (the ingest pipeline, the store) is the consumer's business.

mod content;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use vps_core::ErrorCode;

use crate::json_reader::JsonReader;
use crate::{EnvelopeError, TempJson};
use content::{Base64Content, ContentError};

/// The longest `relativePath`, `vaultPath`, `fileName` or `mimeType` accepted, in bytes.
pub const MAX_FIELD_BYTES: usize = 4096;

/// One asset of the payload: its names as sent (untrusted: the caller parses them into an
/// `AssetPath`) and what the consumer made of its content.
#[derive(Debug)]
pub struct LegacyAsset<T> {
    /// `relativePath`: the asset's path as the note linked it (the server's fallback when
    /// `vaultPath` is not a valid asset path).
    pub relative_path: String,
    /// `vaultPath`: the asset's path from the vault's root, which the server stores it under.
    pub vault_path: String,
    /// `fileName`: the asset's file name, extension included.
    pub file_name: String,
    /// The type the client claims; only informative.
    pub mime_type: Option<String>,
    /// The consumer's output for the content; or why the asset is refused (a missing or bad
    /// field, content that is not base64), in which case any output was dropped.
    pub content: Result<T, LegacyAssetError>,
}

/// Why one asset of a payload failed; the others are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyAssetError {
    /// `contentBase64` is not standard padded base64.
    #[error("contentBase64 is not standard padded base64")]
    InvalidBase64,
    /// Not raised by the parser: for a consumer that enforces a size limit.
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The largest file accepted, in decoded bytes.
        limit: u64,
    },
    /// A required field (`relativePath`, `vaultPath`, `fileName` or `contentBase64`) is absent;
    /// carries its name.
    #[error("the asset has no {0}")]
    MissingField(&'static str),
    /// A short field has another JSON type than string (`null` included); carries its name.
    #[error("{0} must be a string")]
    InvalidField(&'static str),
    /// A field appears more than once in the asset's object; carries its name.
    #[error("{0} appears twice in the asset")]
    DuplicateField(&'static str),
    /// A short field is longer than [`MAX_FIELD_BYTES`]; carries its name.
    #[error("{0} is longer than {MAX_FIELD_BYTES} bytes")]
    FieldTooLong(&'static str),
}

impl LegacyAssetError {
    /// The stable, machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidBase64 => ErrorCode::InvalidBase64,
            Self::TooLarge { .. } => ErrorCode::FileTooLarge,
            Self::MissingField(_) => ErrorCode::MissingField,
            Self::InvalidField(_) => ErrorCode::InvalidField,
            Self::DuplicateField(_) => ErrorCode::DuplicateField,
            Self::FieldTooLong(_) => ErrorCode::FieldTooLong,
        }
    }
}

/// What the caller does with each asset's content, as the payload is read.
pub trait ContentConsumer {
    /// What one asset's content became (kept in [`LegacyAsset::content`]).
    type Output;
    /// A failure that stops the whole payload (the store is down…). A payload that is not
    /// valid JSON fails with an [`EnvelopeError`].
    type Error: From<EnvelopeError>;

    /// Reads `content` as far as it wants (what it leaves is skipped). `extension` is a hint
    /// from the name sent before the content (`png` for `img/a.PNG`); `None` when the content
    /// comes first.
    fn consume(
        &mut self,
        extension: Option<&str>,
        content: AssetContent<'_>,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;
}

/// The decoded bytes of one asset's `contentBase64`, chunk by chunk. An item is an error when
/// the content cannot be read further (not base64, or the payload ends there); the parser then
/// tells which, and the stream ends.
pub struct AssetContent<'a> {
    chunks: BoxStream<'a, Result<Bytes, InvalidContent>>,
}

/// The content of an asset could not be read further. See [`AssetContent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the asset's content could not be read")]
pub struct InvalidContent;

impl Stream for AssetContent<'_> {
    type Item = Result<Bytes, InvalidContent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.chunks.poll_next_unpin(cx)
    }
}

/// Reads a decompressed assets payload and hands each asset's content to `consumer`, in the
/// order of the payload.
///
/// A problem with one asset (bad base64, a missing or non-string field) is that asset's
/// `content`; a payload that is not valid JSON of the expected shape (`{"assets":[{…}, …]}`,
/// extra fields allowed anywhere) fails the whole call, as does the consumer's error. On
/// failure, the outputs of the assets already read are dropped.
pub async fn read_legacy_assets<C: ContentConsumer>(
    json: &TempJson,
    consumer: &mut C,
) -> Result<Vec<LegacyAsset<C::Output>>, C::Error> {
    let file = tokio::fs::File::open(json.path()).await.map_err(EnvelopeError::io("open", json.path()))?;
    let mut reader = JsonReader::new(file, json.path());
    let mut assets = None;
    reader.expect(b'{', "the payload must be an object").await?;
    let mut first = true;
    while let Some(key) = reader.next_key(&mut first).await? {
        if key.as_str() != Some("assets") {
            reader.skip_value().await?;
            continue;
        }
        if assets.is_some() {
            return Err(reader.error("`assets` appears twice").into());
        }
        reader.expect(b'[', "`assets` must be an array").await?;
        let mut list = Vec::new();
        let mut first_item = true;
        while reader.next_item(&mut first_item).await? {
            reader.expect(b'{', "each asset must be an object").await?;
            list.push(read_asset(&mut reader, consumer).await?);
        }
        assets = Some(list);
    }
    reader.expect_end().await?;
    let assets = assets.ok_or_else(|| EnvelopeError::InvalidJson("the payload has no `assets` array".into()))?;
    tracing::debug!(count = assets.len(), bytes = json.len(), "legacy assets read");
    Ok(assets)
}

/// The fields of one asset object, as they are met.
struct Fields<T> {
    relative_path: Option<String>,
    vault_path: Option<String>,
    file_name: Option<String>,
    mime_type: Option<String>,
    content: Option<Result<T, LegacyAssetError>>,
    /// The first problem met; it becomes the asset's content.
    problem: Option<LegacyAssetError>,
}

impl<T> Fields<T> {
    fn note(&mut self, problem: LegacyAssetError) {
        self.problem.get_or_insert(problem);
    }
}

/// Reads one asset object whose `{` is consumed, handing its content to `consumer` on the way.
async fn read_asset<R, C>(reader: &mut JsonReader<R>, consumer: &mut C) -> Result<LegacyAsset<C::Output>, C::Error>
where
    R: tokio::io::AsyncRead + Unpin + Send,
    C: ContentConsumer,
{
    let mut fields = Fields {
        relative_path: None,
        vault_path: None,
        file_name: None,
        mime_type: None,
        content: None,
        problem: None,
    };
    let mut first = true;
    while let Some(key) = reader.next_key(&mut first).await? {
        let Some(key) = key.as_str() else {
            reader.skip_value().await?;
            continue;
        };
        match key {
            "relativePath" => short_field(reader, &mut fields, |f| &mut f.relative_path, "relativePath").await?,
            "vaultPath" => short_field(reader, &mut fields, |f| &mut f.vault_path, "vaultPath").await?,
            "fileName" => short_field(reader, &mut fields, |f| &mut f.file_name, "fileName").await?,
            "mimeType" => short_field(reader, &mut fields, |f| &mut f.mime_type, "mimeType").await?,
            "contentBase64" => {
                if fields.content.is_some() {
                    fields.note(LegacyAssetError::DuplicateField("contentBase64"));
                    reader.skip_value().await?;
                } else if reader.peek_token().await? != Some(b'"') {
                    fields.note(LegacyAssetError::InvalidField("contentBase64"));
                    reader.skip_value().await?;
                } else {
                    reader.expect(b'"', "").await?;
                    // The extension is a hint for telling text formats apart. The plugin sends
                    // `relativePath` first; when the content comes before any name, it is
                    // handed over without a hint.
                    let name = fields.relative_path.as_deref().or(fields.file_name.as_deref());
                    let extension = name.and_then(extension_of);
                    let content = read_content(reader, consumer, extension.as_deref()).await?;
                    fields.content = Some(content);
                }
            }
            _ => reader.skip_value().await?,
        }
    }

    let content = match fields.problem.take() {
        Some(problem) => Err(problem),
        None if fields.relative_path.is_none() => Err(LegacyAssetError::MissingField("relativePath")),
        None if fields.vault_path.is_none() => Err(LegacyAssetError::MissingField("vaultPath")),
        None if fields.file_name.is_none() => Err(LegacyAssetError::MissingField("fileName")),
        None => fields.content.take().unwrap_or(Err(LegacyAssetError::MissingField("contentBase64"))),
    };
    Ok(LegacyAsset {
        relative_path: fields.relative_path.unwrap_or_default(),
        vault_path: fields.vault_path.unwrap_or_default(),
        file_name: fields.file_name.unwrap_or_default(),
        mime_type: fields.mime_type,
        content,
    })
}

/// Reads a short string field into its slot; a non-string, a repeat or an over-long value is a
/// problem of the asset, not of the payload.
async fn short_field<R, T>(
    reader: &mut JsonReader<R>,
    fields: &mut Fields<T>,
    slot: fn(&mut Fields<T>) -> &mut Option<String>,
    name: &'static str,
) -> Result<(), EnvelopeError>
where
    R: tokio::io::AsyncRead + Unpin,
{
    if reader.peek_token().await? != Some(b'"') {
        fields.note(LegacyAssetError::InvalidField(name));
        return reader.skip_value().await;
    }
    reader.expect(b'"', "").await?;
    match reader.read_string(MAX_FIELD_BYTES).await? {
        None => fields.note(LegacyAssetError::FieldTooLong(name)),
        Some(_) if slot(fields).is_some() => fields.note(LegacyAssetError::DuplicateField(name)),
        Some(value) => *slot(fields) = Some(value),
    }
    Ok(())
}

/// Hands the base64 string at the cursor (opening quote consumed) to `consumer` as a stream of
/// decoded chunks and leaves the cursor after its closing quote.
async fn read_content<R, C>(
    reader: &mut JsonReader<R>,
    consumer: &mut C,
    extension: Option<&str>,
) -> Result<Result<C::Output, LegacyAssetError>, C::Error>
where
    R: tokio::io::AsyncRead + Unpin + Send,
    C: ContentConsumer,
{
    let mut content = Base64Content::default();
    // Why the stream stopped early, for the parser to tell a bad asset from a bad payload.
    let mut stopped: Option<ContentError> = None;
    let output = {
        let chunks =
            stream::unfold((&mut *reader, &mut content, &mut stopped), |(reader, content, stopped)| async move {
                if stopped.is_some() {
                    return None;
                }
                match content.next_chunk(reader).await {
                    Ok(Some(chunk)) => Some((Ok(chunk), (reader, content, stopped))),
                    Ok(None) => None,
                    Err(error) => {
                        *stopped = Some(error);
                        Some((Err(InvalidContent), (reader, content, stopped)))
                    }
                }
            });
        // A consumer may poll again after the end: fuse.
        consumer.consume(extension, AssetContent { chunks: chunks.fuse().boxed() }).await
    };
    match stopped {
        Some(ContentError::Fatal(error)) => return Err(error.into()),
        Some(ContentError::Base64) => {}
        None => {}
    }
    // The consumer may stop reading early (a refused or oversized file), and bad base64 stops
    // the stream: skip what is left of the string.
    if !content.finished() {
        reader.skip_string().await?;
    }
    match stopped {
        Some(ContentError::Base64) => Ok(Err(LegacyAssetError::InvalidBase64)),
        _ => Ok(Ok(output?)),
    }
}

/// The lower-case extension of the last segment of a path: `png` for `sub/Img.PNG`.
fn extension_of(path: &str) -> Option<String> {
    let name = path.rsplit(['/', '\\']).next()?;
    let (stem, extension) = name.rsplit_once('.')?;
    let plausible =
        !stem.is_empty() && (1..=16).contains(&extension.len()) && extension.bytes().all(|b| b.is_ascii_alphanumeric());
    plausible.then(|| extension.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;
    use crate::json_reader::READ_BUFFER;
    use content::MAX_DECODED_CHUNK;

    /// Memory per asset is bounded by construction: the reader's one fixed buffer and one decoded
    /// chunk at a time, whatever the asset's size.
    #[tokio::test]
    async fn a_20_mib_asset_is_decoded_through_fixed_size_buffers() {
        const { assert!(READ_BUFFER + MAX_DECODED_CHUNK <= 256 * 1024) };
        let asset: Vec<u8> = (0..20u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let json = format!(r#"{{"relativePath":"big.bin","contentBase64":"{}"}}"#, STANDARD.encode(&asset));
        let mut reader = JsonReader::new(json.as_bytes(), Path::new("test.json"));
        reader.expect(b'{', "").await.unwrap();
        let mut first = true;
        let mut decoded = Vec::with_capacity(asset.len());
        let mut largest = 0;
        while let Some(key) = reader.next_key(&mut first).await.unwrap() {
            if key.as_str() != Some("contentBase64") {
                reader.skip_value().await.unwrap();
                continue;
            }
            reader.expect(b'"', "").await.unwrap();
            let mut content = Base64Content::default();
            while let Some(chunk) = content.next_chunk(&mut reader).await.unwrap() {
                largest = largest.max(chunk.len());
                decoded.extend_from_slice(&chunk);
            }
        }
        reader.expect_end().await.unwrap();
        assert!(decoded == asset);
        assert!(largest <= MAX_DECODED_CHUNK, "{largest}");
        assert_eq!(reader.buffer_len(), READ_BUFFER);
    }

    #[test]
    fn extension_hints_come_from_the_last_segment() {
        assert_eq!(extension_of("sub/Img.PNG").as_deref(), Some("png"));
        assert_eq!(extension_of("notes.v2/readme").as_deref(), None);
        assert_eq!(extension_of(".hidden").as_deref(), None);
        assert_eq!(extension_of("a.tar.gz").as_deref(), Some("gz"));
        assert_eq!(extension_of("x.p g").as_deref(), None);
    }
}
