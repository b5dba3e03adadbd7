//! The JSON shapes of the HTTP API. Field names follow the plugin protocol (camelCase); unknown
//! fields are ignored, because the plugin sends more than any one server version reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AssetPath, ContentHash, ErrorCode, MediaType, SessionId};

/// The body of every error answer: a stable machine-readable `code` and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// `POST /api/session/start`, as the "Publish to VPS" plugin sends it. Every field has a
/// default, so a client that sends `{}` (our CLI, curl) starts a session too.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StartSessionRequest {
    pub notes_planned: u64,
    pub assets_planned: u64,
    pub batch_config: Option<BatchConfig>,
    pub callout_styles: Vec<CalloutStyle>,
    pub custom_index_configs: Vec<CustomIndexConfig>,
    pub ignore_rules: Vec<IgnoreRule>,
    pub ignored_tags: Vec<String>,
    pub folder_display_names: BTreeMap<String, String>,
    pub pipeline_signature: Option<PipelineSignature>,
    pub locale: Option<String>,
    pub deduplication_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchConfig {
    pub max_bytes_per_request: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalloutStyle {
    pub path: String,
    pub css: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomIndexConfig {
    pub id: String,
    pub folder_path: String,
    pub index_file_path: String,
    pub is_root_index: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IgnoreRule {
    pub property: String,
    pub ignore_if: Option<bool>,
    pub ignore_values: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PipelineSignature {
    pub version: String,
    pub render_settings_hash: String,
    pub git_commit: Option<String>,
}

/// `201` answer to `start`. The plugin reads `sessionId`, `maxBytesPerRequest` (a JSON number),
/// the two skip hints and `pipelineChanged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartSessionResponse {
    pub session_id: SessionId,
    pub success: bool,
    pub max_bytes_per_request: u64,
    pub existing_asset_hashes: Vec<ContentHash>,
    pub existing_source_note_hashes_by_vault_path: BTreeMap<String, String>,
    pub pipeline_changed: bool,
    pub deduplication_enabled: bool,
}

/// `200` answer to `abort` (and to later session state changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAck {
    pub session_id: SessionId,
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
    pub path: AssetPath,
    pub status: FileStatus,
    /// Bytes received for this file (for a rejected file, as far as it was read).
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<ContentHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `200` answer to `POST /api/session/{id}/assets/upload` with a multipart body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadResponse {
    pub session_id: SessionId,
    pub files: Vec<UploadedFile>,
}

/// One entry of `POST /api/session/{id}/assets/check`: a file the client has, by hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedAsset {
    pub path: AssetPath,
    pub sha256: ContentHash,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub path: AssetPath,
    pub sha256: ContentHash,
    pub status: CheckStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `200` answer to a hash check: the hashes to upload (each once), and a result per entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResponse {
    pub session_id: SessionId,
    pub missing: Vec<ContentHash>,
    pub files: Vec<CheckResult>,
}

/// `GET /public-config`: what a client needs to choose a protocol and size its requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicConfig {
    pub protocol_version: u32,
    pub streaming_uploads_enabled: bool,
    pub max_asset_size_bytes: u64,
    pub max_files_per_request: u64,
    pub max_request_bytes: u64,
    pub max_bytes_per_request: u64,
    pub allowed_media_types: Vec<String>,
    pub site_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, `degraded` (the virus scanner is down) or `unavailable` (nothing can be stored).
    pub status: String,
    pub data_dir_writable: bool,
    /// The blob and revision store: the data directory, or the bucket.
    pub store: StoreHealth,
    pub version: String,
    /// The virus scanner's state, when scanning is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanner: Option<ScannerHealth>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreHealth {
    /// `fs` or `s3`.
    pub kind: String,
    /// Whether a request to the store just succeeded.
    pub reachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannerHealth {
    /// Whether clamd answered PING with PONG.
    pub reachable: bool,
    /// clamd's VERSION answer, when reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
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
