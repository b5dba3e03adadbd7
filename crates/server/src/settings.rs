//! Settings, layered: built-in defaults, then an optional TOML file, then environment variables,
//! then command-line flags. The environment names of the Node reference server keep working.
//!
//! Each setting is written once, as one row of the tables below: its documentation, its type, its
//! default, its environment variables (ours first, then the reference's aliases) and the reader
//! that turns text into the value (with its bounds). The TOML key is the field's name; the keys
//! stay flat in the file and the environment whichever group holds them. The same rows drive
//! [`Settings::load`] and `--print-config` ([`Settings::to_redacted_toml`]).
//!
//! To add a setting: one row in the group it governs (see `layers::settings_group!`).

#[macro_use]
mod layers;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use vps_ingest::MediaAllowlist;
use vps_store::{Backend, S3Config};

use self::layers::{
    GIB, Group, MIB, REDACTED, api_key, at_least, clean_env, count_within, flag, ip, media_types, millis,
    navigation_order, number, parse_language, path, port, quality, secret, size, size_upto, some, storage, text, theme,
    variant_widths, vault_path, workers,
};
use crate::api_key::ApiKey;

settings_group! {
    /// Everything the server needs to start. Built by [`Settings::load`]; tests build it directly
    /// (`Settings { port: 0, ..Settings::default() }`, then `settings.uploads.max_asset_size_bytes = …`).
    pub struct Settings {
        /// The address to listen on.
        host: IpAddr = IpAddr::from([127, 0, 0, 1]), env ["HOST"], read ip;
        /// The port to listen on; 0 picks a free one.
        port: u16 = 3000, env ["PORT"], read port;
        /// Blobs, sessions, the generated API key; one server per data directory (locked).
        data_dir: PathBuf = PathBuf::from("data"), env ["DATA_DIR"], read path;
        /// Where uploads are streamed before they are committed; `<data_dir>/tmp` by default.
        /// Best on the same filesystem as the data directory (then a commit is a rename).
        upload_temp_dir: Option<PathBuf> = None, env ["UPLOAD_TEMP_DIR"], read some(path);
        /// The API key; when unset, one is generated on first start and kept in the data directory.
        api_key: Option<ApiKey> = None, env ["API_KEY"], read api_key;
        /// How long in-flight requests may run after SIGTERM/SIGINT before the server exits anyway.
        shutdown_grace_secs: u64 = 30, env ["SHUTDOWN_GRACE_SECS"], read number;
    }
    groups {
        /// Connections and request bodies.
        http: Http,
        /// What an upload may hold.
        uploads: Uploads,
        /// The published site.
        site: Site,
        /// Publish sessions and their finalization.
        sessions: Sessions,
        /// The virus scanner (clamd).
        scanner: Scanner,
        /// Where blobs and revisions live.
        store: Store,
        /// Who may read what: the `[access]` table of the settings file.
        access: AccessSettings,
        /// Readers' logins: failed-login limits, reader views.
        login: Login,
        /// The bounds of a publish (`MAX_PATH_DEPTH`, `MAX_TRANSCLUSION_BYTES`, `LISTING_PAGE_SIZE`…).
        publish_limits: vps_render::PublishLimits,
        /// Image variants: the smaller WebP copies pages offer (`IMAGE_VARIANTS`, widths, limits).
        images: Images,
    }
}

settings_group! {
    /// Connections and request bodies.
    pub struct Http {
        /// Open connections at most (lowered to fit the file-descriptor limit).
        max_connections: u64 = 4096, env ["MAX_CONNECTIONS"], read at_least(1);
        /// A connection must send a request's headers within this time; an idle keep-alive
        /// connection is closed after it.
        header_read_timeout_secs: u64 = 10, env ["HEADER_READ_TIMEOUT_SECS"], read at_least(1);
        /// `/api` requests in flight above which the server answers 429.
        max_active_requests: u64 = 200, env ["MAX_ACTIVE_REQUESTS"], read at_least(1);
        /// A request body that sends nothing for this long is abandoned.
        body_idle_timeout_secs: u64 = 60, env ["BODY_IDLE_TIMEOUT_SECS"], read at_least(1);
        /// A JSON body must arrive whole within this time, however steadily it trickles.
        body_total_timeout_secs: u64 = 120, env ["BODY_TOTAL_TIMEOUT_SECS"], read at_least(1);
        /// The largest JSON body (session start, finish, hash checks, note and legacy asset chunks).
        max_json_body_bytes: u64 = 8 * MIB, env ["MAX_JSON_BODY_BYTES"], read |v| Ok(size(v)?.max(1024));
        /// Blobs up to this size are read whole and checked against their hash before their first
        /// byte is sent (a damaged page is a 500, never a defaced page); larger ones are checked as
        /// they stream. Memory: up to this much per request reading a blob.
        blob_check_whole_max_bytes: u64 = MIB, env ["BLOB_CHECK_WHOLE_MAX_BYTES"], read |v| Ok(size(v)?.min(64 * MIB));
        /// The memory cache of the reader's side: verified bytes of small blobs (at most
        /// `BLOB_CHECK_WHOLE_MAX_BYTES` each: pages, their variants, stylesheets, small images),
        /// up to this many bytes in all; `0` turns it off (every view reads the store).
        site_cache_bytes: u64 = 64 * MIB, env ["SITE_CACHE_BYTES"], read size;
    }
}

settings_group! {
    /// What an upload may hold.
    pub struct Uploads {
        /// The largest file, enforced while streaming.
        max_asset_size_bytes: u64 = 100 * MIB, env ["MAX_ASSET_SIZE_BYTES"], read size;
        /// Files in one multipart request.
        max_files_per_request: u64 = 100, env ["MAX_FILES_PER_REQUEST"], read at_least(1);
        /// A whole upload request.
        max_request_bytes: u64 = GIB, env ["MAX_REQUEST_BYTES", "MAX_REQUEST_SIZE"], read size;
        /// Detected media types (or `type/*` patterns) accepted.
        allowed_media_types: MediaAllowlist = MediaAllowlist::default(), env ["ALLOWED_MEDIA_TYPES"], read media_types;
        /// How many bytes of an upload are gathered into one batch for hashing and one `writev`.
        streaming_chunk_size: usize = 256 * 1024, env ["STREAMING_CHUNK_SIZE"],
            read |v| Ok(size(v)?.clamp(4096, 64 * MIB) as usize);
        /// Whether `multipart/form-data` uploads are accepted (and advertised in `/public-config`).
        streaming_enabled: bool = true, env ["STREAMING_ENABLED"], read flag;
        /// Bytes a multipart body may carry before its first boundary.
        multipart_max_preamble_bytes: u64 = 64 * 1024, env ["MULTIPART_MAX_PREAMBLE_BYTES"], read size;
        /// Bytes of one multipart part's header block. 16 KiB leaves room for a filename well past
        /// the path limit (1 KiB, 3 KiB percent-encoded), so that it gets its own precise error.
        multipart_max_header_bytes: u64 = 16 * 1024, env ["MULTIPART_MAX_HEADER_BYTES"],
            read |v| Ok(size(v)?.max(256));
    }
}

settings_group! {
    /// The published site.
    pub struct Site {
        /// The site's title.
        site_name: String = "vps-publish".into(), env ["SITE_NAME"], read text;
        /// The public origin, for canonical links, OpenGraph, the sitemap and the feed.
        base_url: Option<String> = None, env ["BASE_URL"], read |v| Ok(Some(v.trim_end_matches('/').to_owned()));
        /// The vault path of the note to serve at `/` (else the root index, `Home.md` or `index.md`,
        /// else a generated index).
        home_note: Option<String> = None, env ["HOME_NOTE"], read some(text);
        /// The site's language, a BCP 47 tag (`ja`, `pt-BR`), for `<html lang>` and the site's own
        /// words; empty: the `locale` the plugin sent, else English.
        site_language: String = String::new(), env ["SITE_LANGUAGE"], read parse_language;
        /// Every page shows its frontmatter properties under its title (internal keys such as
        /// `publish` or `access` never); a note's own `show_properties: true|false` wins.
        show_properties: bool = false, env ["SHOW_PROPERTIES"], read flag;
        /// The vault path of the logo shown in the header (an attachment the site publishes:
        /// `Attachments/logo.svg`). This and the look settings below are defaults for sites
        /// published by the plugin: a `site-options.json` the writer publishes (the CLI does,
        /// with its `[site]` table) wins, key by key, as its `siteName` wins over `site_name`
        /// and its `indexFile` over `home_note`.
        site_logo: Option<String> = None, env ["SITE_LOGO"], read some(vault_path);
        /// The theme a reader gets until they choose one: `light`, `dark` or `system`.
        default_theme: String = "system".into(), env ["DEFAULT_THEME"], read theme;
        /// Show each page's table of contents.
        show_outline: bool = true, env ["SHOW_OUTLINE"], read flag;
        /// Show each page's backlinks ("Linked from").
        show_backlinks: bool = true, env ["SHOW_BACKLINKS"], read flag;
        /// Show the search box.
        show_search: bool = true, env ["SHOW_SEARCH"], read flag;
        /// Show the light / dark / system toggle.
        show_theme_toggle: bool = true, env ["SHOW_THEME_TOGGLE"], read flag;
        /// Show each page's local graph and the global graph.
        show_graph: bool = true, env ["SHOW_GRAPH"], read flag;
        /// The navigation's order: vault paths of folders and notes, listed first in this order
        /// within their folder (`["Guides", "Guides/Start.md", "About.md"]`, or comma-separated).
        navigation_order: Vec<String> = Vec::new(), env ["NAVIGATION_ORDER"], read navigation_order;
    }
}

settings_group! {
    /// Readers' logins (with an `[access]` table): how many failed logins are allowed before
    /// 429 with `Retry-After`, and what the reader views may keep in memory.
    pub struct Login {
        /// Failed logins one client address may make per window (IPv6: per /64).
        login_failures_per_address: usize = 10, env ["LOGIN_FAILURES_PER_ADDRESS"], read count_within(1, 1_000_000);
        /// The window of `login_failures_per_address`, in seconds.
        login_failure_window_secs: usize = 300, env ["LOGIN_FAILURE_WINDOW_SECS"], read count_within(1, 86_400);
        /// Failed logins all addresses together may make per window.
        login_failures_global: usize = 100, env ["LOGIN_FAILURES_GLOBAL"], read count_within(1, 1_000_000);
        /// The window of `login_failures_global`, in seconds.
        login_global_window_secs: usize = 60, env ["LOGIN_GLOBAL_WINDOW_SECS"], read count_within(1, 86_400);
        /// Memory for the pages and listings laid out for logged-in readers (their navigation
        /// shows what they may read), kept until the next publish; 0 lays out every view again.
        reader_view_cache_bytes: usize = 64 * MIB as usize, env ["READER_VIEW_CACHE_BYTES"], read size_upto(4 * GIB);
    }
}

settings_group! {
    /// Publish sessions and their finalization.
    pub struct Sessions {
        /// Always answer `pipelineChanged: true`: every publish is a full one (exact deletions with
        /// the plugin, at the cost of sending every note each time).
        always_full_publish: bool = false, env ["ALWAYS_FULL_PUBLISH"], read flag;
        /// Open or aborted sessions untouched this long are removed.
        session_ttl_secs: u64 = 24 * 3600, env ["SESSION_TTL_SECS"], read at_least(60);
        /// Incomplete chunked uploads untouched this long are removed.
        chunk_upload_ttl_secs: u64 = 600, env ["CHUNK_UPLOAD_TTL_SECS"], read at_least(10);
        /// Whether `finish` offers the server-sent-event stream (else clients poll).
        finalization_sse_enabled: bool = true, env ["FINALIZATION_SSE_ENABLED"], read flag;
        /// A finalization running longer than this is stopped (its job fails, the live site is
        /// unchanged) and the next queued publish runs.
        finalization_timeout_secs: u64 = 300, env ["FINALIZATION_TIMEOUT_SECS"], read at_least(1);
    }
}

settings_group! {
    /// Image variants: smaller WebP copies of each published raster image, made after a publish
    /// by a few background workers, served at `/_img/<sha256>/<width>.webp` (the original stays
    /// at its URL; a page offers the variants in its `srcset`). Memory while making them: at
    /// most `IMAGE_WORKERS` × (`IMAGE_MAX_SOURCE_BYTES` + `IMAGE_MAX_DECODE_BYTES` + the largest
    /// variant) — see `crate::variants`.
    pub struct Images {
        /// Make variants (and offer them in pages); `false`: pages offer the original only, no
        /// worker runs.
        image_variants: bool = true, env ["IMAGE_VARIANTS"], read flag;
        /// The widths variants are made at, in pixels (`480,960,1600`): 1 to 8 widths, each 16
        /// to 8192. An image gets only those narrower than itself.
        image_variant_widths: Vec<u32> = vps_core::image::DEFAULT_VARIANT_WIDTHS.to_vec(),
            env ["IMAGE_VARIANT_WIDTHS"], read variant_widths;
        /// The WebP quality of variants, 1 (smallest) to 100 (best).
        image_variant_quality: u8 = 80, env ["IMAGE_VARIANT_QUALITY"], read quality;
        /// Images decoded at once (each on its own thread); at least 1, at most the machine's
        /// cores (more are lowered).
        image_workers: usize = 1, env ["IMAGE_WORKERS"], read workers;
        /// The most pixels (width × height, as the header says) an image may have to be decoded;
        /// a larger one (a decompression bomb) gets no variants and is served as uploaded.
        image_max_pixels: u64 = 40_000_000, env ["IMAGE_MAX_PIXELS"], read at_least(1);
        /// The most memory the decoder may allocate for one image.
        image_max_decode_bytes: u64 = 128 * MIB, env ["IMAGE_MAX_DECODE_BYTES"], read |v| Ok(size(v)?.max(MIB));
        /// The largest image file variants are made of (it is read whole into memory).
        image_max_source_bytes: u64 = 64 * MIB, env ["IMAGE_MAX_SOURCE_BYTES"], read |v| Ok(size(v)?.max(1024));
        /// How long making one image's variants may take, in seconds.
        image_decode_timeout_secs: u64 = 30, env ["IMAGE_DECODE_TIMEOUT_SECS"], read at_least(1);
        /// Images waiting for variants at most; more are left for the next time a revision goes
        /// live (a publish, a rollback, a restart).
        image_queue_max: usize = 10_000, env ["IMAGE_QUEUE_MAX"], read count_within(1, 10_000_000);
    }
}

impl Images {
    /// The decoding limits of these settings.
    pub fn limits(&self) -> vps_media::Limits {
        vps_media::Limits {
            max_pixels: self.image_max_pixels,
            max_decode_bytes: self.image_max_decode_bytes,
            max_source_bytes: self.image_max_source_bytes,
            timeout: std::time::Duration::from_secs(self.image_decode_timeout_secs),
        }
    }

    /// The widths pages offer and workers make: none when variants are off.
    pub fn widths(&self) -> Vec<u32> {
        if self.image_variants { self.image_variant_widths.clone() } else { Vec::new() }
    }
}

settings_group! {
    /// The virus scanner (clamd).
    pub struct Scanner {
        /// Stream every upload to clamd (INSTREAM) in the same pass as hashing and writing.
        virus_scanner_enabled: bool = false, env ["VIRUS_SCANNER_ENABLED"], read flag;
        /// clamd's host.
        clamav_host: String = "localhost".into(), env ["CLAMAV_HOST"], read text;
        /// clamd's port.
        clamav_port: u16 = 3310, env ["CLAMAV_PORT"], read port;
        /// A unix socket; when set, used instead of host and port.
        clamav_socket: Option<PathBuf> = None, env ["CLAMAV_SOCKET"], read some(path);
        /// Connect, write and verdict timeout, in milliseconds.
        clamav_timeout_ms: u64 = 60_000, env ["CLAMAV_TIMEOUT"], read at_least(100);
        /// Accept files (with a warning) when the scanner fails, instead of refusing them.
        virus_scanner_fail_open: bool = false, env ["VIRUS_SCANNER_FAIL_OPEN"], read flag;
        /// Connections to clamd at once (keep it under clamd's `MaxThreads`).
        clamav_max_connections: u64 = 4, env ["CLAMAV_MAX_CONNECTIONS"], read at_least(1);
        /// The largest file clamd will scan (its `StreamMaxLength`); larger files are refused.
        clamav_stream_max_length: u64 = 25 * MIB, env ["CLAMAV_STREAM_MAX_LENGTH"], read size;
    }
}

settings_group! {
    /// Where blobs and revisions live: the data directory, or a bucket.
    pub struct Store {
        /// `fs` (the data directory) or `s3` (a bucket).
        storage: Storage = Storage::Fs, env ["STORAGE"], read storage;
        /// How often the `current` pointer is checked for changes made by another process
        /// (`vps-publish rollback` while serving).
        revision_poll_ms: u64 = 1000, env ["REVISION_POLL_MS"], read at_least(50);
        /// The bucket (needed with `STORAGE=s3`).
        s3_bucket: Option<String> = None, env ["S3_BUCKET"], read some(text);
        /// Keys start with this, so that several sites can share a bucket.
        s3_prefix: String = String::new(), env ["S3_PREFIX"], read |v| Ok(v.trim_matches('/').to_owned());
        /// The S3 API's address, for anything but AWS (Garage, MinIO…).
        s3_endpoint: Option<String> = None, env ["S3_ENDPOINT", "AWS_ENDPOINT_URL"],
            read |v| Ok(Some(v.trim_end_matches('/').to_owned()));
        /// The region the signatures name.
        s3_region: String = "us-east-1".into(), env ["S3_REGION", "AWS_REGION"], read text;
        /// Allow an `http://` endpoint.
        s3_allow_http: bool = false, env ["S3_ALLOW_HTTP"], read flag;
        /// Move the `current` pointer with a conditional PUT (`If-Match`); turn off for servers that
        /// reject those headers.
        s3_conditional_writes: bool = true, env ["S3_CONDITIONAL_WRITES"], read flag;
        /// Part size of multipart uploads (at least 5 MiB).
        s3_part_size: u64 = 8 * MIB, env ["S3_PART_SIZE"],
            read |v| Ok(size(v)?.clamp(vps_store::MIN_PART_BYTES as u64, GIB));
        /// Parts of one upload in flight at once.
        s3_part_concurrency: u64 = 2, env ["S3_PART_CONCURRENCY"], read |v| Ok(number(v)?.clamp(1, 64));
        /// The access key id (never shown).
        aws_access_key_id: Option<Secret> = None, env ["AWS_ACCESS_KEY_ID"], read secret;
        /// The secret access key (never shown).
        aws_secret_access_key: Option<Secret> = None, env ["AWS_SECRET_ACCESS_KEY"], read secret;
    }
}

// The publish limits are documented and defaulted where they are enforced (`vps_render`).
// Caps: transclusion renders each level on the stack; a path or tag `d` levels deep makes `d`
// folder or tag pages whose breadcrumbs and navigation grow with `d` and whose routes with `d`
// again (d³ bytes: 250 KB at 32, 16 MB at 200); sizes fit a 32-bit `usize`.
settings_of! {
    impl Group for vps_render::PublishLimits {
        max_path_depth => max_path_depth, env ["MAX_PATH_DEPTH"], read count_within(1, 256);
        max_tag_depth => max_tag_depth, env ["MAX_TAG_DEPTH"], read count_within(1, 256);
        max_nesting_depth => max_nesting_depth, env ["MAX_NESTING_DEPTH"], read count_within(4, 1024);
        max_transclusion_depth => max_transclusion_depth, env ["MAX_TRANSCLUSION_DEPTH"], read count_within(0, 16);
        max_transclusion_bytes => max_transclusion_bytes, env ["MAX_TRANSCLUSION_BYTES"], read size_upto(GIB);
        cleanup_max_output_bytes => cleanup_max_output_bytes, env ["CLEANUP_MAX_OUTPUT_BYTES"], read size_upto(GIB);
        cleanup_time_per_note_ms => cleanup_time_per_note, env ["CLEANUP_TIME_PER_NOTE_MS"], read millis;
        cleanup_time_per_publish_ms => cleanup_time_per_publish, env ["CLEANUP_TIME_PER_PUBLISH_MS"], read millis;
        max_page_bytes => max_page_bytes, env ["MAX_PAGE_BYTES"], read size_upto(GIB);
        max_document_bytes => max_document_bytes, env ["MAX_DOCUMENT_BYTES"], read size_upto(GIB);
        max_search_index_bytes => max_search_index_bytes, env ["MAX_SEARCH_INDEX_BYTES"], read size_upto(4 * GIB);
        listing_page_size => listing_page_size, env ["LISTING_PAGE_SIZE"], read count_within(1, 100_000);
        graph_max_nodes => graph_max_nodes, env ["GRAPH_MAX_NODES"], read count_within(1, 1_000_000);
        max_encoded_asset_bytes => max_encoded_asset_bytes, env ["MAX_ENCODED_ASSET_BYTES"], read size_upto(GIB);
        max_alias_redirects => max_alias_redirects, env ["MAX_ALIAS_REDIRECTS"], read count_within(0, 1024);
    }
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
    /// The name used in settings and reported by `/health`: `fs` or `s3`.
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
    /// Wraps a credential read from settings, the environment or a flag.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for the one place that sends it (never to a log).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The settings file given could not be read.
    #[error("cannot read the settings file {path}")]
    ReadFile {
        /// The file, as given.
        path: PathBuf,
        /// Why reading it failed.
        #[source]
        source: std::io::Error,
    },
    /// The settings file is not valid TOML or has keys or values the server does not know.
    #[error("the settings file {path} is not valid")]
    ParseFile {
        /// The file, as given.
        path: PathBuf,
        /// Where and why parsing failed.
        #[source]
        source: toml::de::Error,
    },
    /// A value (from the file, the environment or a flag) is out of range or malformed.
    #[error("{source_name}: {message}")]
    Invalid {
        /// Where the value came from: the settings file and its key, the environment variable, or
        /// the flag (`--host`…).
        source_name: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--host`: the address to listen on.
    pub host: Option<String>,
    /// `--port`: the TCP port to listen on (0 picks a free one).
    pub port: Option<u16>,
    /// `--data-dir`: where sessions, the key and (with the `fs` store) the site are kept.
    pub data_dir: Option<PathBuf>,
}

impl Site {
    /// The server's choices of the site's look ([`vps_build::SiteOptions::look`]), each one a
    /// default that a published `site-options.json` overrides.
    pub fn look(&self) -> vps_core::look::SiteLook {
        vps_core::look::SiteLook {
            site_name: None,
            index_file: None,
            logo: self.site_logo.clone(),
            default_theme: vps_core::look::Theme::parse(&self.default_theme),
            show_outline: Some(self.show_outline),
            show_backlinks: Some(self.show_backlinks),
            show_search: Some(self.show_search),
            show_theme_toggle: Some(self.show_theme_toggle),
            show_graph: Some(self.show_graph),
            navigation_ordering: (!self.navigation_order.is_empty()).then(|| self.navigation_order.clone()),
        }
    }
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
            let table: toml::Table =
                toml::from_str(&text).map_err(|source| SettingsError::ParseFile { path: path.to_owned(), source })?;
            for (key, value) in table {
                if key == "access" {
                    let config = vps_access::AccessConfig::parse(&value).map_err(|error| SettingsError::Invalid {
                        source_name: format!("{} table `[access]`", path.display()),
                        message: error.to_string(),
                    })?;
                    settings.access.config = Some(std::sync::Arc::new(config));
                    continue;
                }
                let text = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                settings.apply(&key, &text, &format!("{} key `{key}`", path.display()))?;
            }
        }
        let mut keys = Vec::new();
        Settings::keys(&mut keys);
        for key in keys {
            // The first name is ours; later ones are the reference's, used only when ours is unset.
            if let Some((name, value)) = key.env.iter().find_map(|name| clean_env(env(name)).map(|v| (name, v))) {
                settings.apply(key.name, &value, &format!("environment variable {name}"))?;
            }
        }
        if let Some(host) = &overrides.host {
            settings.apply("host", host, "--host")?;
        }
        if let Some(port) = overrides.port {
            settings.port = port;
        }
        if let Some(dir) = &overrides.data_dir {
            settings.data_dir = dir.clone();
        }
        if settings.store.storage == Storage::S3 && settings.store.s3_bucket.is_none() {
            let message = "STORAGE=s3 needs a bucket: set S3_BUCKET".to_owned();
            return Err(SettingsError::Invalid { source_name: "storage".into(), message });
        }
        Ok(settings)
    }

    /// Sets one setting from its text, naming `source_name` when the key or the value is bad.
    fn apply(&mut self, key: &str, value: &str, source_name: &str) -> Result<(), SettingsError> {
        let message = match self.set(key, value) {
            Some(Ok(())) => return Ok(()),
            Some(Err(message)) => message,
            None => format!("unknown setting `{key}`"),
        };
        Err(SettingsError::Invalid { source_name: source_name.to_owned(), message })
    }

    /// Where uploads are streamed before they are committed (with `STORAGE=s3`, where chunked
    /// uploads of the plugin's JSON protocol are spooled).
    pub fn temp_dir(&self) -> PathBuf {
        self.upload_temp_dir.clone().unwrap_or_else(|| self.data_dir.join("tmp"))
    }

    /// Where blobs and revisions are kept, as the store opens it.
    pub fn backend(&self) -> Backend {
        let store = &self.store;
        match store.storage {
            Storage::Fs => Backend::Fs {
                data_dir: self.data_dir.clone(),
                tmp: self.temp_dir(),
                batch_bytes: self.uploads.streaming_chunk_size,
            },
            Storage::S3 => Backend::S3(S3Config {
                bucket: store.s3_bucket.clone().unwrap_or_default(),
                prefix: store.s3_prefix.clone(),
                endpoint: store.s3_endpoint.clone(),
                region: store.s3_region.clone(),
                allow_http: store.s3_allow_http,
                access_key_id: store.aws_access_key_id.as_ref().map(|s| s.expose().to_owned()),
                secret_access_key: store.aws_secret_access_key.as_ref().map(|s| s.expose().to_owned()),
                conditional_writes: store.s3_conditional_writes,
                part_bytes: store.s3_part_size as usize,
                part_concurrency: store.s3_part_concurrency as usize,
            }),
        }
    }

    /// The merged settings as a TOML document (one flat key a line, as the file takes them),
    /// secrets redacted: what `serve --print-config` shows.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = Vec::new();
        self.show(&mut shown);
        let mut out = String::new();
        for (key, value) in shown {
            let value = match key {
                // Shown as used: the default directory, or that a key will be generated.
                "upload_temp_dir" => Some(toml::Value::String(self.temp_dir().display().to_string())),
                "api_key" if self.api_key.is_none() => {
                    Some(toml::Value::String("<generated on first start, kept in the data directory>".into()))
                }
                _ => value,
            };
            if let Some(value) = value {
                out.push_str(&format!("{key} = {value}\n"));
            }
        }
        out
    }
}

/// The `[access]` table: readers, groups, folder rules and the site's mode
/// ([`vps_access::AccessConfig`]). Only in the settings file (it is a table, not a flat key);
/// none means every page is public, as before access control existed.
#[derive(Debug, Clone, Default)]
pub struct AccessSettings {
    /// The validated table, when the settings file has one.
    pub config: Option<std::sync::Arc<vps_access::AccessConfig>>,
}

impl layers::Group for AccessSettings {
    fn keys(_: &mut Vec<layers::Key>) {}

    fn set(&mut self, _: &str, _: &str) -> Option<Result<(), String>> {
        None
    }

    fn show(&self, out: &mut Vec<(&'static str, Option<toml::Value>)>) {
        // Password hashes are secrets: `--print-config` says what the table holds, not its values.
        let summary = self.config.as_ref().map(|config| {
            toml::Value::String(format!(
                "<[access] table: site {:?}, {} readers, {} folder rules>",
                config.site,
                config.readers().count(),
                config.rules().len()
            ))
        });
        out.push(("access", summary));
    }
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_redacted_toml())
    }
}
