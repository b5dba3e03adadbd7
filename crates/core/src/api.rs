//! The JSON shapes of the HTTP API. Field names follow the plugin protocol (camelCase); unknown
//! fields are ignored, because the plugin sends more than any one server version reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AssetPath, ContentHash, ErrorCode, MediaType, SessionId};

/// The body of every error answer: a stable machine-readable `code` and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, for a client to branch on; never changes once shipped.
    pub code: ErrorCode,
    /// An English sentence for people (logs, CLI output); may change between versions.
    pub message: String,
}

/// `POST /api/session/start`, as the "Publish to VPS" plugin sends it. Every field has a
/// default, so a client that sends `{}` (our CLI, curl) starts a session too.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StartSessionRequest {
    /// Notes the client means to upload. The plugin always sends `0`; informative only.
    pub notes_planned: u64,
    /// Assets the client means to upload. The plugin always sends `0`; informative only.
    pub assets_planned: u64,
    /// The client's own request-size limit; absent when the client sends none.
    pub batch_config: Option<BatchConfig>,
    /// CSS snippet files chosen in the plugin's settings, for custom callouts; may be empty.
    pub callout_styles: Vec<CalloutStyle>,
    /// Notes that replace or extend the generated index page of a route.
    pub custom_index_configs: Vec<CustomIndexConfig>,
    /// Frontmatter rules the client already applied (ignored notes are never sent); informative.
    pub ignore_rules: Vec<IgnoreRule>,
    /// Tag names, without `#`, that the site must not show or list.
    pub ignored_tags: Vec<String>,
    /// Labels for routes in navigation and indexes: route (`/blog`, the root is `/`) → label.
    pub folder_display_names: BTreeMap<String, String>,
    /// The client's version and render settings; a change means every note must be sent again.
    pub pipeline_signature: Option<PipelineSignature>,
    /// The client's language (`en`, `fr`); absent when the client does not say.
    pub locale: Option<String>,
    /// Whether the client may skip unchanged notes and assets; absent means yes.
    pub deduplication_enabled: Option<bool>,
}

/// How the plugin batches its uploads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchConfig {
    /// The largest request body the client will send, in bytes (the plugin: 1 MiB).
    pub max_bytes_per_request: u64,
}

/// One CSS snippet for custom callouts, as the plugin sends it in `start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalloutStyle {
    /// Vault path of the CSS snippet file.
    pub path: String,
    /// The snippet's whole CSS text.
    pub css: String,
}

/// A note chosen in the plugin's settings as the index page of a route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomIndexConfig {
    /// The client's id for this entry; opaque.
    pub id: String,
    /// The route whose index this is (`/blog`); `""` for the site root.
    pub folder_path: String,
    /// Vault path of the note that makes the index page.
    pub index_file_path: String,
    /// `true` for the site's root index (with `folder_path` `""`); usually absent otherwise.
    pub is_root_index: Option<bool>,
}

/// A frontmatter rule by which the plugin leaves notes out (already applied by it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IgnoreRule {
    /// The frontmatter property the rule tests.
    pub property: String,
    /// Ignore a note when the property has this boolean value; absent when the rule uses values.
    pub ignore_if: Option<bool>,
    /// Ignore a note when the property equals one of these (strings, numbers or booleans).
    pub ignore_values: Option<Vec<serde_json::Value>>,
}

/// Identifies the client's pipeline: the same signature means the same notes render the same.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PipelineSignature {
    /// The client's version (`6.22.1`).
    pub version: String,
    /// A hash of the client's settings that change what it sends; opaque, compared for equality.
    pub render_settings_hash: String,
    /// The client's build commit, when it knows it.
    pub git_commit: Option<String>,
}

/// `201` answer to `start`. The plugin reads `sessionId`, `maxBytesPerRequest` (a JSON number),
/// the two skip hints and `pipelineChanged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartSessionResponse {
    /// The new session: every later call of this publish names it in its path.
    pub session_id: SessionId,
    /// Always `true` (errors have their own status and [`ErrorBody`]); ignored by the plugin.
    pub success: bool,
    /// The largest upload request the client may send, in bytes; the plugin uses at most 1 MiB.
    pub max_bytes_per_request: u64,
    /// Hashes of the assets the live site has, sorted and unique: the client need not upload
    /// these bytes again. Empty when deduplication is off.
    pub existing_asset_hashes: Vec<ContentHash>,
    /// Vault path → SHA-256 (hex) of the `content` of each live page: a note whose content still
    /// hashes to this may be skipped. Empty unless deduplication is on and `pipeline_changed` is false.
    pub existing_source_note_hashes_by_vault_path: BTreeMap<String, String>,
    /// Whether the live site was built with other settings than this `start` sent (or nothing is
    /// published yet, or the server is set to always want a full publish): then every note must
    /// be sent and no note may be skipped.
    pub pipeline_changed: bool,
    /// Whether the skip hints above are in effect (the request's value; absent there means `true`).
    pub deduplication_enabled: bool,
}

/// `200` answer to `abort` (and to later session state changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAck {
    /// The session the change applied to.
    pub session_id: SessionId,
    /// Always `true`; failures answer with an error status instead.
    pub success: bool,
}

/// What became of one file of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    /// The bytes were new to the server and are now stored.
    Stored,
    /// The server already had these bytes; nothing new was written.
    Deduplicated,
    /// The file was refused (see `code`); nothing was kept.
    Rejected,
}

/// One entry of the answer to a streaming upload, in the order of the request's parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFile {
    /// The path the file was sent under (its multipart file name).
    pub path: AssetPath,
    /// Whether the bytes were stored, already known, or refused.
    pub status: FileStatus,
    /// Bytes received for this file (for a rejected file, as far as it was read).
    pub size: u64,
    /// SHA-256 of the bytes received; absent for a file rejected before it was read whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<ContentHash>,
    /// The media type detected from the bytes; absent when the file was rejected before detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// Why the file was rejected; present only when `status` is `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    /// The rejection in a sentence for people; present only when `status` is `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `200` answer to `POST /api/session/{id}/assets/upload` with a multipart body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadResponse {
    /// The session the files were added to.
    pub session_id: SessionId,
    /// One entry per file part, in request order.
    pub files: Vec<UploadedFile>,
}

/// One entry of `POST /api/session/{id}/assets/check`: a file the client has, by hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedAsset {
    /// The path the asset is to be published under.
    pub path: AssetPath,
    /// SHA-256 of the file's bytes, as the client computed it.
    pub sha256: ContentHash,
    /// The file's size in bytes.
    pub size: u64,
}

/// What became of one entry of a hash check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// The server has these bytes; the path is now part of the session, no upload needed.
    Linked,
    /// The server lacks these bytes; upload the file.
    Missing,
    /// The server has bytes under this hash but refuses to link them (see `code`).
    Rejected,
}

/// What became of one entry of a hash check (`POST /api/session/{id}/assets/check`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// The entry's path, as sent.
    pub path: AssetPath,
    /// The entry's hash, as sent.
    pub sha256: ContentHash,
    /// Whether the entry was linked, must be uploaded, or was refused.
    pub status: CheckStatus,
    /// The media type of the stored bytes; present when `status` is `linked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// Why the entry was refused; present only when `status` is `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    /// The refusal in a sentence for people; present only when `status` is `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `200` answer to a hash check: the hashes to upload (each once), and a result per entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResponse {
    /// The session the linked entries were added to.
    pub session_id: SessionId,
    /// Hashes the server lacks, each once even when several paths share it: upload these.
    pub missing: Vec<ContentHash>,
    /// One result per requested entry, in request order.
    pub files: Vec<CheckResult>,
}

/// `GET /public-config`: what a client needs to choose a protocol and size its requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicConfig {
    /// The version of this server's API beyond the plugin protocol; raised on an incompatible change.
    pub protocol_version: u32,
    /// Whether `assets/upload` accepts a multipart body (streaming uploads).
    pub streaming_uploads_enabled: bool,
    /// The largest single asset accepted, in bytes.
    pub max_asset_size_bytes: u64,
    /// The most file parts one multipart upload may carry.
    pub max_files_per_request: u64,
    /// The largest multipart upload body accepted, in bytes.
    pub max_request_bytes: u64,
    /// The largest request the plugin's chunk envelope may use, in bytes (as `start` answers).
    pub max_bytes_per_request: u64,
    /// The media types (`image/png`) or families (`image/*`) an asset may have, as configured.
    pub allowed_media_types: Vec<String>,
    /// The site's title.
    pub site_name: String,
    /// The site's public URL, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, `degraded` (the virus scanner is down) or `unavailable` (nothing can be stored).
    pub status: String,
    /// Whether the server could write a file in its data directory just now.
    pub data_dir_writable: bool,
    /// The blob and revision store: the data directory, or the bucket.
    pub store: StoreHealth,
    /// The server's release version.
    pub version: String,
    /// The virus scanner's state, when scanning is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanner: Option<ScannerHealth>,
}

/// Whether the blob and revision store answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreHealth {
    /// `fs` or `s3`.
    pub kind: String,
    /// Whether a request to the store just succeeded.
    pub reachable: bool,
    /// Why the store is unreachable; absent when it is reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether the virus scanner (clamd) answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannerHealth {
    /// Whether clamd answered PING with PONG.
    pub reachable: bool,
    /// clamd's VERSION answer, when reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why clamd is unreachable; absent when it is reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugins_start_body_parses_and_unknown_fields_are_ignored() {
        let body = r#"{"notesPlanned":0,"assetsPlanned":0,"batchConfig":{"maxBytesPerRequest":1048576},
            "calloutStyles":[],"customIndexConfigs":[{"id":"c1","folderPath":"/blog","indexFilePath":"Blog/_index.md"}],
            "ignoreRules":[{"property":"publish","ignoreIf":false}],"ignoredTags":["private"],
            "folderDisplayNames":{"/blog":"Blog"},"pipelineSignature":{"version":"6.22.1","renderSettingsHash":"3e1d"},
            "locale":"en","deduplicationEnabled":true,"somethingNew":{"x":1}}"#;
        let start: StartSessionRequest = serde_json::from_str(body).unwrap();
        assert_eq!(start.batch_config.unwrap().max_bytes_per_request, 1_048_576);
        assert_eq!(start.custom_index_configs[0].index_file_path, "Blog/_index.md");
        assert_eq!(start.ignored_tags, ["private"]);
        assert_eq!(start.deduplication_enabled, Some(true));
        assert_eq!(serde_json::from_str::<StartSessionRequest>("{}").unwrap(), StartSessionRequest::default());
    }

    #[test]
    fn upload_entries_omit_absent_fields() {
        let file = UploadedFile {
            path: AssetPath::parse("a.png").unwrap(),
            status: FileStatus::Deduplicated,
            size: 3,
            sha256: None,
            media_type: Some(MediaType::from_static("image/png")),
            code: None,
            message: None,
        };
        let json = serde_json::to_value(&file).unwrap();
        assert_eq!(json, serde_json::json!({"path":"a.png","status":"deduplicated","size":3,"mediaType":"image/png"}));
    }
}
