//! Settings, layered: built-in defaults, then an optional TOML file, then environment variables,
//! then command-line flags. The environment names of the Node reference server keep working.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;
use vps_ingest::MediaAllowlist;

use vps_store::{Backend, S3Config};

use crate::api_key::ApiKey;

/// Everything the server needs to start. Built by [`Settings::load`]; tests build it directly.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    /// Where uploads are streamed before they are committed; `<data_dir>/tmp` by default.
    /// Best on the same filesystem as the data directory (then a commit is a rename).
    pub upload_temp_dir: Option<PathBuf>,
    /// The API key; when unset, one is generated on first start and kept in the data directory.
    pub api_key: Option<ApiKey>,
    pub max_asset_size_bytes: u64,
    pub max_files_per_request: u64,
    pub max_request_bytes: u64,
    pub allowed_media_types: MediaAllowlist,
    /// How many bytes of an upload are gathered into one batch for hashing and one `writev`.
    pub streaming_chunk_size: usize,
    /// Whether `multipart/form-data` uploads are accepted (and advertised in `/public-config`).
    pub streaming_enabled: bool,
    /// A request body that sends nothing for this long is abandoned.
    pub body_idle_timeout_secs: u64,
    /// How long in-flight requests may run after SIGTERM/SIGINT before the server exits anyway.
    pub shutdown_grace_secs: u64,
    pub site_name: String,
    pub base_url: Option<String>,
    /// The vault path of the note to serve at `/` (else the root index, `Home.md` or `index.md`,
    /// else a generated index).
    pub home_note: Option<String>,
    /// Always answer `pipelineChanged: true`: every publish is a full one (exact deletions with
    /// the plugin, at the cost of sending every note each time).
    pub always_full_publish: bool,
    /// Open or aborted sessions untouched this long are removed.
    pub session_ttl_secs: u64,
    /// Incomplete chunked uploads untouched this long are removed.
    pub chunk_upload_ttl_secs: u64,
    /// `/api` requests in flight above which the server answers 429.
    pub max_active_requests: u64,
    /// Whether `finish` offers the server-sent-event stream (else clients poll).
    pub finalization_sse_enabled: bool,
    /// How often the `current` pointer is checked for changes made by another process
    /// (`vps-publish rollback` while serving).
    pub revision_poll_ms: u64,
    /// Stream every upload to clamd (INSTREAM) in the same pass as hashing and writing.
    pub virus_scanner_enabled: bool,
    pub clamav_host: String,
    pub clamav_port: u16,
    /// A unix socket; when set, used instead of host and port.
    pub clamav_socket: Option<PathBuf>,
    /// Connect, write and verdict timeout, in milliseconds.
    pub clamav_timeout_ms: u64,
    /// Accept files (with a warning) when the scanner fails, instead of refusing them.
    pub virus_scanner_fail_open: bool,
    /// Connections to clamd at once (keep it under clamd's `MaxThreads`).
    pub clamav_max_connections: u64,
    /// The largest file clamd will scan (its `StreamMaxLength`); larger files are refused.
    pub clamav_stream_max_length: u64,
    /// Where blobs and revisions live: the data directory, or a bucket.
    pub storage: Storage,
    pub s3_bucket: Option<String>,
    /// Keys start with this, so that several sites can share a bucket.
    pub s3_prefix: String,
    /// The S3 API's address, for anything but AWS (Garage, MinIO…).
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    /// Allow an `http://` endpoint.
    pub s3_allow_http: bool,
    /// Move the `current` pointer with a conditional PUT (`If-Match`); turn off for servers that
    /// reject those headers.
    pub s3_conditional_writes: bool,
    /// Part size of multipart uploads (at least 5 MiB).
    pub s3_part_size: u64,
    /// Parts of one upload in flight at once.
    pub s3_part_concurrency: u64,
    pub aws_access_key_id: Option<Secret>,
    pub aws_secret_access_key: Option<Secret>,
    // issue 11 — http
    /// Bytes a multipart body may carry before its first boundary.
    pub multipart_max_preamble_bytes: u64,
    /// Bytes of one multipart part's header block. 16 KiB leaves room for a filename well past
    /// the path limit (1 KiB, 3 KiB percent-encoded), so that it gets its own precise error.
    pub multipart_max_header_bytes: u64,
    /// The largest JSON body (session start, finish, hash checks, note and legacy asset chunks).
    pub max_json_body_bytes: u64,
    /// A JSON body must arrive whole within this time, however steadily it trickles.
    pub body_total_timeout_secs: u64,
    /// Open connections at most (lowered to fit the file-descriptor limit).
    pub max_connections: u64,
    /// A connection must send a request's headers within this time; an idle keep-alive
    /// connection is closed after it.
    pub header_read_timeout_secs: u64,
    // issue 11 — blobs
    /// Blobs up to this size are read whole and checked against their hash before their first
    /// byte is sent (a damaged page is a 500, never a defaced page); larger ones are checked as
    /// they stream. Memory: up to this much per request reading a blob.
    pub blob_check_whole_max_bytes: u64,
    // issue 11 — render
    /// The bounds of a publish (`MAX_PATH_DEPTH`, `MAX_TRANSCLUSION_BYTES`, `LISTING_PAGE_SIZE`…).
    pub publish_limits: vps_render::PublishLimits,
    // issue 11 — jobs
    /// A finalization running longer than this is stopped (its job fails, the live site is
    /// unchanged) and the next queued publish runs.
    pub finalization_timeout_secs: u64,
    // issue 12 — language
    /// The site's language, a BCP 47 tag (`ja`, `pt-BR`), for `<html lang>` and the site's own
    /// words; empty: the `locale` the plugin sent, else English.
    pub site_language: String,
}

/// Where blobs and revisions are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// `<data_dir>/blobs`, `<data_dir>/revisions`, `<data_dir>/current`.
    Fs,
    /// A bucket of S3-compatible object storage.
    S3,
}

impl Storage {
    pub fn name(self) -> &'static str {
        match self {
            Storage::Fs => "fs",
            Storage::S3 => "s3",
        }
    }
}

/// A credential: kept, used, never shown (`Debug` and `--print-config` say `<redacted>`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 3000,
            data_dir: PathBuf::from("data"),
            upload_temp_dir: None,
            api_key: None,
            max_asset_size_bytes: 100 * MIB,
            max_files_per_request: 100,
            max_request_bytes: GIB,
            allowed_media_types: MediaAllowlist::default(),
            streaming_chunk_size: 256 * 1024,
            streaming_enabled: true,
            body_idle_timeout_secs: 60,
            shutdown_grace_secs: 30,
            site_name: "vps-publish".into(),
            base_url: None,
            home_note: None,
            always_full_publish: false,
            session_ttl_secs: 24 * 3600,
            chunk_upload_ttl_secs: 600,
            max_active_requests: 200,
            finalization_sse_enabled: true,
            revision_poll_ms: 1000,
            virus_scanner_enabled: false,
            clamav_host: "localhost".into(),
            clamav_port: 3310,
            clamav_socket: None,
            clamav_timeout_ms: 60_000,
            virus_scanner_fail_open: false,
            clamav_max_connections: 4,
            clamav_stream_max_length: 25 * MIB,
            storage: Storage::Fs,
            s3_bucket: None,
            s3_prefix: String::new(),
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_allow_http: false,
            s3_conditional_writes: true,
            s3_part_size: 8 * MIB,
            s3_part_concurrency: 2,
            aws_access_key_id: None,
            aws_secret_access_key: None,
            // issue 11 — http
            multipart_max_preamble_bytes: 64 * 1024,
            multipart_max_header_bytes: 16 * 1024,
            max_json_body_bytes: 8 * MIB,
            body_total_timeout_secs: 120,
            max_connections: 4096,
            header_read_timeout_secs: 10,
            // issue 11 — blobs
            blob_check_whole_max_bytes: MIB,
            // issue 11 — render
            publish_limits: vps_render::PublishLimits::default(),
            // issue 11 — jobs
            finalization_timeout_secs: 300,
            // issue 12 — language
            site_language: String::new(),
        }
    }
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// The settings file and its environment variables use the same names: a TOML key `max_request_bytes`
/// is the variable `MAX_REQUEST_BYTES`; the reference's older names are accepted as aliases.
const ENV_NAMES: &[(&str, &[&str])] = &[
    ("host", &["HOST"]),
    ("port", &["PORT"]),
    ("data_dir", &["DATA_DIR"]),
    ("upload_temp_dir", &["UPLOAD_TEMP_DIR"]),
    ("api_key", &["API_KEY"]),
    ("max_asset_size_bytes", &["MAX_ASSET_SIZE_BYTES"]),
    ("max_files_per_request", &["MAX_FILES_PER_REQUEST"]),
    ("max_request_bytes", &["MAX_REQUEST_BYTES", "MAX_REQUEST_SIZE"]),
    ("allowed_media_types", &["ALLOWED_MEDIA_TYPES"]),
    ("streaming_chunk_size", &["STREAMING_CHUNK_SIZE"]),
    ("streaming_enabled", &["STREAMING_ENABLED"]),
    ("body_idle_timeout_secs", &["BODY_IDLE_TIMEOUT_SECS"]),
    ("shutdown_grace_secs", &["SHUTDOWN_GRACE_SECS"]),
    ("site_name", &["SITE_NAME"]),
    ("base_url", &["BASE_URL"]),
    ("home_note", &["HOME_NOTE"]),
    ("always_full_publish", &["ALWAYS_FULL_PUBLISH"]),
    ("session_ttl_secs", &["SESSION_TTL_SECS"]),
    ("chunk_upload_ttl_secs", &["CHUNK_UPLOAD_TTL_SECS"]),
    ("max_active_requests", &["MAX_ACTIVE_REQUESTS"]),
    ("finalization_sse_enabled", &["FINALIZATION_SSE_ENABLED"]),
    ("revision_poll_ms", &["REVISION_POLL_MS"]),
    ("virus_scanner_enabled", &["VIRUS_SCANNER_ENABLED"]),
    ("clamav_host", &["CLAMAV_HOST"]),
    ("clamav_port", &["CLAMAV_PORT"]),
    ("clamav_socket", &["CLAMAV_SOCKET"]),
    ("clamav_timeout_ms", &["CLAMAV_TIMEOUT"]),
    ("virus_scanner_fail_open", &["VIRUS_SCANNER_FAIL_OPEN"]),
    ("clamav_max_connections", &["CLAMAV_MAX_CONNECTIONS"]),
    ("clamav_stream_max_length", &["CLAMAV_STREAM_MAX_LENGTH"]),
    ("storage", &["STORAGE"]),
    ("s3_bucket", &["S3_BUCKET"]),
    ("s3_prefix", &["S3_PREFIX"]),
    ("s3_endpoint", &["S3_ENDPOINT", "AWS_ENDPOINT_URL"]),
    ("s3_region", &["S3_REGION", "AWS_REGION"]),
    ("s3_allow_http", &["S3_ALLOW_HTTP"]),
    ("s3_conditional_writes", &["S3_CONDITIONAL_WRITES"]),
    ("s3_part_size", &["S3_PART_SIZE"]),
    ("s3_part_concurrency", &["S3_PART_CONCURRENCY"]),
    ("aws_access_key_id", &["AWS_ACCESS_KEY_ID"]),
    ("aws_secret_access_key", &["AWS_SECRET_ACCESS_KEY"]),
    // issue 11 — http
    ("multipart_max_preamble_bytes", &["MULTIPART_MAX_PREAMBLE_BYTES"]),
    ("multipart_max_header_bytes", &["MULTIPART_MAX_HEADER_BYTES"]),
    ("max_json_body_bytes", &["MAX_JSON_BODY_BYTES"]),
    ("body_total_timeout_secs", &["BODY_TOTAL_TIMEOUT_SECS"]),
    ("max_connections", &["MAX_CONNECTIONS"]),
    ("header_read_timeout_secs", &["HEADER_READ_TIMEOUT_SECS"]),
    // issue 11 — blobs
    ("blob_check_whole_max_bytes", &["BLOB_CHECK_WHOLE_MAX_BYTES"]),
    // issue 11 — render
    ("max_path_depth", &["MAX_PATH_DEPTH"]),
    ("max_tag_depth", &["MAX_TAG_DEPTH"]),
    ("max_nesting_depth", &["MAX_NESTING_DEPTH"]),
    ("max_transclusion_depth", &["MAX_TRANSCLUSION_DEPTH"]),
    ("max_transclusion_bytes", &["MAX_TRANSCLUSION_BYTES"]),
    ("cleanup_max_output_bytes", &["CLEANUP_MAX_OUTPUT_BYTES"]),
    ("cleanup_time_per_note_ms", &["CLEANUP_TIME_PER_NOTE_MS"]),
    ("cleanup_time_per_publish_ms", &["CLEANUP_TIME_PER_PUBLISH_MS"]),
    ("max_page_bytes", &["MAX_PAGE_BYTES"]),
    ("max_document_bytes", &["MAX_DOCUMENT_BYTES"]),
    ("listing_page_size", &["LISTING_PAGE_SIZE"]),
    // issue 11 — jobs
    ("finalization_timeout_secs", &["FINALIZATION_TIMEOUT_SECS"]),
    // issue 12 — language
    ("site_language", &["SITE_LANGUAGE"]),
];

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the settings file {path}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the settings file {path} is not valid")]
    ParseFile {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("{source_name}: {message}")]
    Invalid { source_name: String, message: String },
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// Builds the settings from defaults, `config_file` (if any), the environment (read through
    /// `env`, so tests can pass a map) and `overrides`.
    pub fn load(
        config_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Self, SettingsError> {
        let mut settings = Settings::default();
        if let Some(path) = config_file {
            let text = std::fs::read_to_string(path)
                .map_err(|source| SettingsError::ReadFile { path: path.to_owned(), source })?;
            let table: BTreeMap<String, toml::Value> =
                toml::from_str(&text).map_err(|source| SettingsError::ParseFile { path: path.to_owned(), source })?;
            for (key, value) in table {
                let text = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                settings.set(&key, &text, &format!("{} key `{key}`", path.display()))?;
            }
        }
        for (key, names) in ENV_NAMES {
            // The first name is ours; later ones are the reference's, used only when ours is unset.
            if let Some((name, value)) = names.iter().find_map(|name| clean_env(env(name)).map(|v| (name, v))) {
                settings.set(key, &value, &format!("environment variable {name}"))?;
            }
        }
        if let Some(host) = &overrides.host {
            settings.set("host", host, "--host")?;
        }
        if let Some(port) = overrides.port {
            settings.port = port;
        }
        if let Some(dir) = &overrides.data_dir {
            settings.data_dir = dir.clone();
        }
        if settings.storage == Storage::S3 && settings.s3_bucket.is_none() {
            let message = "STORAGE=s3 needs a bucket: set S3_BUCKET".to_owned();
            return Err(SettingsError::Invalid { source_name: "storage".into(), message });
        }
        Ok(settings)
    }

    fn set(&mut self, key: &str, value: &str, source_name: &str) -> Result<(), SettingsError> {
        let invalid = |message: String| SettingsError::Invalid { source_name: source_name.to_owned(), message };
        let number =
            |value: &str| value.parse::<u64>().map_err(|_| invalid(format!("`{value}` is not a whole number")));
        let size = |value: &str| {
            parse_size(value).ok_or_else(|| invalid(format!("`{value}` is not a size (bytes, or 10kb, 50mb, 1gb)")))
        };
        let flag = |value: &str| parse_bool(value).ok_or_else(|| invalid(format!("`{value}` is not true or false")));
        match key {
            "host" => self.host = value.parse().map_err(|_| invalid(format!("`{value}` is not an IP address")))?,
            "port" => self.port = value.parse().map_err(|_| invalid(format!("`{value}` is not a port number")))?,
            "data_dir" => self.data_dir = PathBuf::from(value),
            "upload_temp_dir" => self.upload_temp_dir = Some(PathBuf::from(value)),
            "api_key" => self.api_key = Some(ApiKey::new(value).map_err(|e| invalid(e.to_string()))?),
            "max_asset_size_bytes" => self.max_asset_size_bytes = size(value)?,
            "max_files_per_request" => self.max_files_per_request = number(value)?.max(1),
            "max_request_bytes" => self.max_request_bytes = size(value)?,
            "allowed_media_types" => {
                self.allowed_media_types = MediaAllowlist::parse(value).map_err(|e| invalid(e.to_string()))?
            }
            "streaming_chunk_size" => self.streaming_chunk_size = size(value)?.clamp(4096, 64 * MIB) as usize,
            "streaming_enabled" => self.streaming_enabled = flag(value)?,
            "body_idle_timeout_secs" => self.body_idle_timeout_secs = number(value)?.max(1),
            "shutdown_grace_secs" => self.shutdown_grace_secs = number(value)?,
            "site_name" => self.site_name = value.to_owned(),
            "base_url" => self.base_url = Some(value.trim_end_matches('/').to_owned()),
            "home_note" => self.home_note = Some(value.to_owned()),
            "always_full_publish" => self.always_full_publish = flag(value)?,
            "session_ttl_secs" => self.session_ttl_secs = number(value)?.max(60),
            "chunk_upload_ttl_secs" => self.chunk_upload_ttl_secs = number(value)?.max(10),
            "max_active_requests" => self.max_active_requests = number(value)?.max(1),
            "finalization_sse_enabled" => self.finalization_sse_enabled = flag(value)?,
            "revision_poll_ms" => self.revision_poll_ms = number(value)?.max(50),
            "virus_scanner_enabled" => self.virus_scanner_enabled = flag(value)?,
            "clamav_host" => self.clamav_host = value.to_owned(),
            "clamav_port" => {
                self.clamav_port = value.parse().map_err(|_| invalid(format!("`{value}` is not a port number")))?
            }
            "clamav_socket" => self.clamav_socket = Some(PathBuf::from(value)),
            "clamav_timeout_ms" => self.clamav_timeout_ms = number(value)?.max(100),
            "virus_scanner_fail_open" => self.virus_scanner_fail_open = flag(value)?,
            "clamav_max_connections" => self.clamav_max_connections = number(value)?.max(1),
            "clamav_stream_max_length" => self.clamav_stream_max_length = size(value)?,
            "storage" => {
                self.storage = match value.to_ascii_lowercase().as_str() {
                    "fs" | "filesystem" => Storage::Fs,
                    "s3" => Storage::S3,
                    _ => return Err(invalid(format!("`{value}` is not a storage (fs or s3)"))),
                }
            }
            "s3_bucket" => self.s3_bucket = Some(value.to_owned()),
            "s3_prefix" => self.s3_prefix = value.trim_matches('/').to_owned(),
            "s3_endpoint" => self.s3_endpoint = Some(value.trim_end_matches('/').to_owned()),
            "s3_region" => self.s3_region = value.to_owned(),
            "s3_allow_http" => self.s3_allow_http = flag(value)?,
            "s3_conditional_writes" => self.s3_conditional_writes = flag(value)?,
            "s3_part_size" => self.s3_part_size = size(value)?.clamp(vps_store::MIN_PART_BYTES as u64, GIB),
            "s3_part_concurrency" => self.s3_part_concurrency = number(value)?.clamp(1, 64),
            "aws_access_key_id" => self.aws_access_key_id = Some(Secret(value.to_owned())),
            "aws_secret_access_key" => self.aws_secret_access_key = Some(Secret(value.to_owned())),
            // issue 11 — http
            "multipart_max_preamble_bytes" => self.multipart_max_preamble_bytes = size(value)?,
            "multipart_max_header_bytes" => self.multipart_max_header_bytes = size(value)?.max(256),
            "max_json_body_bytes" => self.max_json_body_bytes = size(value)?.max(1024),
            "body_total_timeout_secs" => self.body_total_timeout_secs = number(value)?.max(1),
            "max_connections" => self.max_connections = number(value)?.max(1),
            "header_read_timeout_secs" => self.header_read_timeout_secs = number(value)?.max(1),
            // issue 11 — blobs
            "blob_check_whole_max_bytes" => self.blob_check_whole_max_bytes = size(value)?.min(64 * MIB),
            // issue 11 — render
            // Caps: transclusion renders each level on the stack; a path or tag `d` levels deep
            // makes `d` folder or tag pages whose breadcrumbs and navigation grow with `d` and
            // whose routes with `d` again (d³ bytes: 250 KB at 32, 16 MB at 200); sizes fit a
            // 32-bit `usize`.
            "max_path_depth" => self.publish_limits.max_path_depth = number(value)?.clamp(1, 256) as usize,
            "max_tag_depth" => self.publish_limits.max_tag_depth = number(value)?.clamp(1, 256) as usize,
            "max_nesting_depth" => self.publish_limits.max_nesting_depth = number(value)?.clamp(4, 1024) as usize,
            "max_transclusion_depth" => self.publish_limits.max_transclusion_depth = number(value)?.min(16) as usize,
            "max_transclusion_bytes" => self.publish_limits.max_transclusion_bytes = size(value)?.min(GIB) as usize,
            "cleanup_max_output_bytes" => self.publish_limits.cleanup_max_output_bytes = size(value)?.min(GIB) as usize,
            "cleanup_time_per_note_ms" => {
                self.publish_limits.cleanup_time_per_note = std::time::Duration::from_millis(number(value)?)
            }
            "cleanup_time_per_publish_ms" => {
                self.publish_limits.cleanup_time_per_publish = std::time::Duration::from_millis(number(value)?)
            }
            "max_page_bytes" => self.publish_limits.max_page_bytes = size(value)?.min(GIB) as usize,
            "max_document_bytes" => self.publish_limits.max_document_bytes = size(value)?.min(GIB) as usize,
            "listing_page_size" => self.publish_limits.listing_page_size = number(value)?.clamp(1, 100_000) as usize,
            // issue 11 — jobs
            "finalization_timeout_secs" => self.finalization_timeout_secs = number(value)?.max(1),
            // issue 12 — language
            "site_language" => self.site_language = parse_language(value).map_err(invalid)?,
            unknown => return Err(invalid(format!("unknown setting `{unknown}`"))),
        }
        Ok(())
    }

    /// Where uploads are streamed before they are committed (with `STORAGE=s3`, where chunked
    /// uploads of the plugin's JSON protocol are spooled).
    pub fn temp_dir(&self) -> PathBuf {
        self.upload_temp_dir.clone().unwrap_or_else(|| self.data_dir.join("tmp"))
    }

    /// Where blobs and revisions are kept, as the store opens it.
    pub fn backend(&self) -> Backend {
        match self.storage {
            Storage::Fs => Backend::Fs {
                data_dir: self.data_dir.clone(),
                tmp: self.temp_dir(),
                batch_bytes: self.streaming_chunk_size,
            },
            Storage::S3 => Backend::S3(S3Config {
                bucket: self.s3_bucket.clone().unwrap_or_default(),
                prefix: self.s3_prefix.clone(),
                endpoint: self.s3_endpoint.clone(),
                region: self.s3_region.clone(),
                allow_http: self.s3_allow_http,
                access_key_id: self.aws_access_key_id.as_ref().map(|s| s.expose().to_owned()),
                secret_access_key: self.aws_secret_access_key.as_ref().map(|s| s.expose().to_owned()),
                conditional_writes: self.s3_conditional_writes,
                part_bytes: self.s3_part_size as usize,
                part_concurrency: self.s3_part_concurrency as usize,
            }),
        }
    }

    /// The merged settings as a TOML document, secrets redacted: what `serve --print-config` shows.
    pub fn to_redacted_toml(&self) -> String {
        #[derive(Serialize)]
        struct Shown<'a> {
            host: String,
            port: u16,
            data_dir: String,
            upload_temp_dir: String,
            api_key: &'a str,
            max_asset_size_bytes: u64,
            max_files_per_request: u64,
            max_request_bytes: u64,
            allowed_media_types: String,
            streaming_chunk_size: usize,
            streaming_enabled: bool,
            body_idle_timeout_secs: u64,
            shutdown_grace_secs: u64,
            site_name: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            base_url: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            home_note: Option<&'a str>,
            always_full_publish: bool,
            session_ttl_secs: u64,
            chunk_upload_ttl_secs: u64,
            max_active_requests: u64,
            finalization_sse_enabled: bool,
            revision_poll_ms: u64,
            virus_scanner_enabled: bool,
            clamav_host: &'a str,
            clamav_port: u16,
            #[serde(skip_serializing_if = "Option::is_none")]
            clamav_socket: Option<String>,
            clamav_timeout_ms: u64,
            virus_scanner_fail_open: bool,
            clamav_max_connections: u64,
            clamav_stream_max_length: u64,
            storage: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            s3_bucket: Option<&'a str>,
            s3_prefix: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            s3_endpoint: Option<&'a str>,
            s3_region: &'a str,
            s3_allow_http: bool,
            s3_conditional_writes: bool,
            s3_part_size: u64,
            s3_part_concurrency: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            aws_access_key_id: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            aws_secret_access_key: Option<&'a str>,
            // issue 11 — http
            multipart_max_preamble_bytes: u64,
            multipart_max_header_bytes: u64,
            max_json_body_bytes: u64,
            body_total_timeout_secs: u64,
            max_connections: u64,
            header_read_timeout_secs: u64,
            // issue 11 — blobs
            blob_check_whole_max_bytes: u64,
            // issue 11 — render
            max_path_depth: usize,
            max_tag_depth: usize,
            max_nesting_depth: usize,
            max_transclusion_depth: usize,
            max_transclusion_bytes: usize,
            cleanup_max_output_bytes: usize,
            cleanup_time_per_note_ms: u128,
            cleanup_time_per_publish_ms: u128,
            max_page_bytes: usize,
            max_document_bytes: usize,
            listing_page_size: usize,
            // issue 11 — jobs
            finalization_timeout_secs: u64,
            // issue 12 — language
            site_language: &'a str,
        }
        let redacted = |secret: &Option<Secret>| secret.as_ref().map(|_| "<redacted>");
        let shown = Shown {
            host: self.host.to_string(),
            port: self.port,
            data_dir: self.data_dir.display().to_string(),
            upload_temp_dir: self.temp_dir().display().to_string(),
            api_key: match self.api_key {
                Some(_) => "<redacted>",
                None => "<generated on first start, kept in the data directory>",
            },
            max_asset_size_bytes: self.max_asset_size_bytes,
            max_files_per_request: self.max_files_per_request,
            max_request_bytes: self.max_request_bytes,
            allowed_media_types: self.allowed_media_types.entries().join(","),
            streaming_chunk_size: self.streaming_chunk_size,
            streaming_enabled: self.streaming_enabled,
            body_idle_timeout_secs: self.body_idle_timeout_secs,
            shutdown_grace_secs: self.shutdown_grace_secs,
            site_name: &self.site_name,
            base_url: self.base_url.as_deref(),
            home_note: self.home_note.as_deref(),
            always_full_publish: self.always_full_publish,
            session_ttl_secs: self.session_ttl_secs,
            chunk_upload_ttl_secs: self.chunk_upload_ttl_secs,
            max_active_requests: self.max_active_requests,
            finalization_sse_enabled: self.finalization_sse_enabled,
            revision_poll_ms: self.revision_poll_ms,
            virus_scanner_enabled: self.virus_scanner_enabled,
            clamav_host: &self.clamav_host,
            clamav_port: self.clamav_port,
            clamav_socket: self.clamav_socket.as_ref().map(|p| p.display().to_string()),
            clamav_timeout_ms: self.clamav_timeout_ms,
            virus_scanner_fail_open: self.virus_scanner_fail_open,
            clamav_max_connections: self.clamav_max_connections,
            clamav_stream_max_length: self.clamav_stream_max_length,
            storage: self.storage.name(),
            s3_bucket: self.s3_bucket.as_deref(),
            s3_prefix: &self.s3_prefix,
            s3_endpoint: self.s3_endpoint.as_deref(),
            s3_region: &self.s3_region,
            s3_allow_http: self.s3_allow_http,
            s3_conditional_writes: self.s3_conditional_writes,
            s3_part_size: self.s3_part_size,
            s3_part_concurrency: self.s3_part_concurrency,
            aws_access_key_id: redacted(&self.aws_access_key_id),
            aws_secret_access_key: redacted(&self.aws_secret_access_key),
            // issue 11 — http
            multipart_max_preamble_bytes: self.multipart_max_preamble_bytes,
            multipart_max_header_bytes: self.multipart_max_header_bytes,
            max_json_body_bytes: self.max_json_body_bytes,
            body_total_timeout_secs: self.body_total_timeout_secs,
            max_connections: self.max_connections,
            header_read_timeout_secs: self.header_read_timeout_secs,
            // issue 11 — blobs
            blob_check_whole_max_bytes: self.blob_check_whole_max_bytes,
            // issue 11 — render
            max_path_depth: self.publish_limits.max_path_depth,
            max_tag_depth: self.publish_limits.max_tag_depth,
            max_nesting_depth: self.publish_limits.max_nesting_depth,
            max_transclusion_depth: self.publish_limits.max_transclusion_depth,
            max_transclusion_bytes: self.publish_limits.max_transclusion_bytes,
            cleanup_max_output_bytes: self.publish_limits.cleanup_max_output_bytes,
            cleanup_time_per_note_ms: self.publish_limits.cleanup_time_per_note.as_millis(),
            cleanup_time_per_publish_ms: self.publish_limits.cleanup_time_per_publish.as_millis(),
            max_page_bytes: self.publish_limits.max_page_bytes,
            max_document_bytes: self.publish_limits.max_document_bytes,
            listing_page_size: self.publish_limits.listing_page_size,
            // issue 11 — jobs
            finalization_timeout_secs: self.finalization_timeout_secs,
            // issue 12 — language
            site_language: &self.site_language,
        };
        toml::to_string(&shown).expect("plain values serialize")
    }
}

/// Trims the value and a leading byte-order mark, as the reference does; blank means unset.
fn clean_env(value: Option<String>) -> Option<String> {
    let value = value?;
    let value = value.trim_start_matches('\u{FEFF}').trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// `1048576`, `512kb`, `50mb`, `1gb` (1024-based, as the reference reads `MAX_REQUEST_SIZE`).
fn parse_size(value: &str) -> Option<u64> {
    let lower = value.trim().to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => lower.split_at(at),
        None => (lower.as_str(), ""),
    };
    let factor = match unit.trim() {
        "" | "b" => 1,
        "kb" | "k" | "kib" => 1024,
        "mb" | "m" | "mib" => MIB,
        "gb" | "g" | "gib" => GIB,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

/// A language tag, BCP 47-ish: ASCII letters, digits and `-`, at most 35 characters (empty:
/// unset).
pub(crate) fn parse_language(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    match vps_core::language::language_tag(value) {
        Some(tag) => Ok(tag.to_owned()),
        None => {
            let shown: String = value.trim().chars().take(40).collect();
            Err(format!(
                "`{shown}` is not a language tag (letters, digits and `-`, at most {}, as `ja` or `pt-BR`)",
                vps_core::language::MAX_LANGUAGE_TAG_LEN
            ))
        }
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_redacted_toml())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_need_no_configuration() {
        let settings = Settings::load(None, env(&[]), &Overrides::default()).unwrap();
        assert_eq!(settings.port, 3000);
        assert_eq!(settings.host.to_string(), "127.0.0.1");
        assert_eq!(settings.temp_dir(), PathBuf::from("data/tmp"));
        assert_eq!(settings.max_asset_size_bytes, 100 * MIB);
    }

    #[test]
    fn file_then_environment_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vps.toml");
        std::fs::write(&file, "port = 4000\nsite_name = \"Garden\"\nmax_request_bytes = \"2gb\"\n").unwrap();
        let settings = Settings::load(
            Some(&file),
            env(&[("PORT", " 5000 "), ("MAX_ASSET_SIZE_BYTES", "\u{FEFF}1048576"), ("MAX_REQUEST_SIZE", "50mb")]),
            &Overrides { port: Some(6000), ..Overrides::default() },
        )
        .unwrap();
        assert_eq!(settings.port, 6000);
        assert_eq!(settings.site_name, "Garden");
        assert_eq!(settings.max_asset_size_bytes, MIB);
        assert_eq!(settings.max_request_bytes, 50 * MIB, "the reference's name works when ours is unset");
    }

    #[test]
    fn bad_values_name_their_source() {
        let err = Settings::load(None, env(&[("PORT", "eighty")]), &Overrides::default()).unwrap_err();
        assert_eq!(err.to_string(), "environment variable PORT: `eighty` is not a port number");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vps.toml");
        std::fs::write(&file, "prot = 1\n").unwrap();
        let err = Settings::load(Some(&file), env(&[]), &Overrides::default()).unwrap_err();
        assert!(err.to_string().ends_with("key `prot`: unknown setting `prot`"), "{err}");
    }

    #[test]
    fn object_storage_is_configured_from_the_environment_and_credentials_never_show() {
        let settings = Settings::load(
            None,
            env(&[
                ("STORAGE", "s3"),
                ("S3_BUCKET", "site"),
                ("S3_PREFIX", "/blog/"),
                ("S3_ENDPOINT", "http://127.0.0.1:3900/"),
                ("S3_REGION", "garage"),
                ("S3_ALLOW_HTTP", "true"),
                ("S3_PART_SIZE", "1mb"),
                ("AWS_ACCESS_KEY_ID", "GK-access-key-id"),
                ("AWS_SECRET_ACCESS_KEY", "very-secret-access-key"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        let Backend::S3(config) = settings.backend() else { panic!("not s3: {:?}", settings.backend()) };
        assert_eq!(config.bucket, "site");
        assert_eq!(config.prefix, "blog");
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:3900"));
        assert_eq!(config.region, "garage");
        assert!(config.allow_http && config.conditional_writes);
        assert_eq!(config.part_bytes, vps_store::MIN_PART_BYTES, "parts are at least 5 MiB");
        assert_eq!(config.secret_access_key.as_deref(), Some("very-secret-access-key"));
        for shown in [settings.to_redacted_toml(), format!("{settings:?}"), format!("{config:?}")] {
            assert!(!shown.contains("very-secret-access-key") && !shown.contains("GK-access-key-id"), "{shown}");
        }
        assert!(settings.to_redacted_toml().contains("aws_secret_access_key = \"<redacted>\""));

        let error = Settings::load(None, env(&[("STORAGE", "s3")]), &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("S3_BUCKET"), "{error}");
        let error = Settings::load(None, env(&[("STORAGE", "tape")]), &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("STORAGE"), "{error}");
    }

    #[test]
    fn printed_configuration_redacts_the_key() {
        let settings =
            Settings::load(None, env(&[("API_KEY", "super-secret-key-123")]), &Overrides::default()).unwrap();
        let shown = settings.to_redacted_toml();
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(shown.contains("api_key = \"<redacted>\""), "{shown}");
        assert!(!format!("{settings:?}").contains("super-secret"));
    }

    #[test]
    fn sizes_accept_the_references_units() {
        assert_eq!(parse_size("10485760"), Some(10 * MIB));
        assert_eq!(parse_size("50mb"), Some(50 * MIB));
        assert_eq!(parse_size("1GB"), Some(GIB));
        assert_eq!(parse_size("12 parsecs"), None);
    }

    // issue 12 — language
    #[test]
    fn site_language_is_a_language_tag_or_a_startup_error_naming_it() {
        assert_eq!(Settings::load(None, env(&[]), &Overrides::default()).unwrap().site_language, "");
        let set = Settings::load(None, env(&[("SITE_LANGUAGE", " pt-BR ")]), &Overrides::default()).unwrap();
        assert_eq!(set.site_language, "pt-BR");
        assert!(set.to_redacted_toml().contains("site_language = \"pt-BR\""));
        for bad in ["fr_FR", "ja<script>", "日本語", &"x".repeat(36)] {
            let err = Settings::load(None, env(&[("SITE_LANGUAGE", bad)]), &Overrides::default()).unwrap_err();
            assert!(err.to_string().starts_with("environment variable SITE_LANGUAGE: `"), "{err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vps.toml");
        std::fs::write(&file, "site_language = \"ja\"\n").unwrap();
        assert_eq!(Settings::load(Some(&file), env(&[]), &Overrides::default()).unwrap().site_language, "ja");
    }
}
