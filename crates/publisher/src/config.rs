//! What to publish and where: a vault's `.vps-publish.toml`, or the Obsidian plugin's saved settings
//! (`plugin.rs`), turned into one [`Config`].
//!
//! The file's keys mirror the plugin's settings (route tree, ignore rules, ignored tags, assets
//! folder, cleanup rules, root index), spelled in snake_case. Unknown keys are refused, and every
//! error names the key and line at fault. No error, `Debug` output or log ever shows the API key.

mod plugin;
mod starter;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use vps_core::api::{
    BatchConfig, CalloutStyle, CustomIndexConfig, IgnoreRule as WireIgnoreRule, PipelineSignature, StartSessionRequest,
};
use vps_core::look::{MAX_NAVIGATION_ENTRIES, SiteLook, Theme};
use vps_core::note::CleanupRule;

pub use starter::{STARTER_CONFIG, write_starter};

/// The configuration file looked for at the root of a vault.
pub const CONFIG_FILE_NAME: &str = ".vps-publish.toml";
/// The environment variable that holds the API key; it wins over the configuration file.
pub const API_KEY_ENV: &str = "VPS_PUBLISH_API_KEY";
/// The request size the plugin announces at `start` (protocol §3.1).
pub const MAX_BYTES_PER_REQUEST: u64 = 1_048_576;
/// `folderConfig.vpsId` of a configuration that does not come from the plugin.
pub const DEFAULT_VPS_ID: &str = "vps-publish-cli";

/// What to publish and where. Built by [`Config::load`] (a vault's `.vps-publish.toml`, or the whole
/// vault at `/` when there is none) or [`Config::from_plugin`] (the plugin's `data.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The server's base URL (`https://notes.example.com`, possibly with a path prefix).
    pub server: Option<String>,
    /// The key from the file; [`Config::api_key`] also looks at the environment.
    pub api_key: Option<ApiKey>,
    /// `folderConfig.vpsId`: the plugin's VPS id, or [`DEFAULT_VPS_ID`].
    pub vps_id: String,
    /// The route tree: each node a URL segment, optionally bound to a vault folder.
    pub routes: Vec<RouteNode>,
    /// Notes whose frontmatter matches one of these are not published.
    pub ignore_rules: Vec<IgnoreRule>,
    /// Tags (without `#`) the server removes from rendered text; the notes are still published.
    pub ignored_tags: Vec<String>,
    /// The vault folder where attachments are looked for after the note's own folder.
    pub assets_folder: Option<String>,
    /// Whether attachments not found there are looked for in the whole vault.
    pub assets_vault_fallback: bool,
    /// Regex replacements the server applies to every note (JavaScript syntax, flags `gm`).
    pub cleanup_rules: Vec<CleanupRule>,
    /// A note published as the site's home page (`/`).
    pub root_index_file: Option<String>,
    /// Vault paths of CSS snippets that style custom callouts (sent at `start`).
    pub callout_styles: Vec<String>,
    /// The `locale` sent at `start` (a language tag: `en`, `fr`, `ja`): the site's language when
    /// the server sets none. `None` sends `en`, as the plugin's default.
    pub locale: Option<String>,
    /// The `[site]` table: how the site looks (name, logo, home note, theme, toggles, navigation
    /// order), the keys of Obsidian Publish's `site-options.json` in snake_case. Each one set
    /// wins over the vault's `site-options.json`; the two are published together as that file.
    /// `None` without a `[site]` table.
    pub site: Option<SiteLook>,
}

/// A node of the route tree (protocol §7.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouteNode {
    /// `folderConfig.id`. From a file, when absent: the node's route (`/blog`), made unique.
    pub id: String,
    /// The URL segment, used verbatim (not slugified); `""` is the site root.
    pub segment: String,
    /// The vault folder published under this route; `""` is the whole vault; `None` makes a
    /// pure route (only its index file and additional files).
    pub vault_folder: Option<String>,
    /// The label of the route in navigation.
    pub display_name: Option<String>,
    /// Publish every note of the folder directly under the route, without sub-folders.
    pub flatten_tree: bool,
    /// A note (vault path) whose content opens the route's index page.
    pub custom_index_file: Option<String>,
    /// Notes (vault paths) published at the root of this route wherever they are.
    pub additional_files: Vec<String>,
    /// Ids of cleanup rules not applied to this route's notes.
    #[serde(alias = "ignored_cleanup_rules")]
    pub ignored_cleanup_rule_ids: Vec<String>,
    /// Routes nested under this one (their URLs start with this route's).
    pub children: Vec<RouteNode>,
}

/// An ignore rule on a frontmatter property, as the plugin's.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IgnoreRule {
    /// The property; dotted for nested values (`publish`, `meta.status`).
    pub property: String,
    /// Ignore the note when the property is this boolean.
    pub ignore_if: Option<bool>,
    /// Ignore the note when the property equals (or, for a list, contains) one of these
    /// (strings compared case- and accent-insensitively, numbers and booleans exactly).
    pub ignore_values: Vec<Value>,
}

/// An API key. It is only ever shown through [`ApiKey::expose`]; `Debug` prints `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key as stored by the plugin or written in a file: plain, or `enc:` + base64 of the key.
    pub fn parse(stored: &str) -> Result<Self, ConfigError> {
        let stored = stored.trim().trim_start_matches('\u{feff}').trim();
        let key = match stored.strip_prefix("enc:") {
            Some(encoded) => decode_base64(encoded.trim()).ok_or(ConfigError::BadApiKey)?,
            None => stored.to_owned(),
        };
        Ok(Self(key))
    }

    /// The key itself, for the `Authorization` header only: never log or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn decode_base64(encoded: &str) -> Option<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    let bytes = STANDARD.decode(encoded).or_else(|_| STANDARD_NO_PAD.decode(encoded)).ok()?;
    String::from_utf8(bytes).ok()
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Why a configuration could not be read. Never carries the API key or file contents.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A configuration file could not be read or written.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A `.vps-publish.toml` does not parse, or a value in it is not allowed.
    #[error("{at}: {key}: {message}")]
    Invalid {
        /// `file:line:column`, or only the file when the line is not known.
        at: String,
        /// The offending key, dotted with indexes (`ignore_rules[0].property`); `(syntax)` for a
        /// TOML syntax error.
        key: String,
        /// What is wrong with it (`is missing or empty`, …).
        message: String,
    },
    /// The Obsidian plugin's `data.json` is not usable.
    #[error("{path}: {message}")]
    Plugin {
        /// The plugin's `data.json`.
        path: PathBuf,
        /// What is wrong with it; a JSON error gives only its line and column (the file holds
        /// the API key).
        message: String,
    },
    /// An `enc:` API key whose rest is not base64 of UTF-8 text.
    #[error("the API key starts with `enc:` but what follows is not base64 of UTF-8 text")]
    BadApiKey,
    /// The starter configuration was not written: the file already exists (carries its path).
    #[error("{0} already exists; it was left as it is")]
    AlreadyExists(PathBuf),
}

impl ConfigError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "config-io",
            Self::Invalid { .. } => "config-invalid",
            Self::Plugin { .. } => "config-plugin",
            Self::BadApiKey => "config-bad-api-key",
            Self::AlreadyExists(_) => "config-exists",
        }
    }
}

/// The file as written. Every key is optional; see [`STARTER_CONFIG`] for their meaning.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct ConfigFile {
    server: Option<String>,
    api_key: Option<String>,
    vps_id: Option<String>,
    assets_folder: Option<String>,
    assets_vault_fallback: Option<bool>,
    ignored_tags: Vec<String>,
    root_index_file: Option<String>,
    callout_styles: Vec<String>,
    locale: Option<String>,
    ignore_rules: Vec<IgnoreRule>,
    cleanup_rules: Vec<CleanupRuleFile>,
    routes: Vec<RouteNode>,
    site: Option<SiteTable>,
}

/// The `[site]` table as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct SiteTable {
    site_name: Option<String>,
    logo: Option<String>,
    index_file: Option<String>,
    default_theme: Option<String>,
    show_outline: Option<bool>,
    show_backlinks: Option<bool>,
    show_search: Option<bool>,
    show_theme_toggle: Option<bool>,
    show_graph: Option<bool>,
    #[serde(alias = "navigation_order")]
    navigation_ordering: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CleanupRuleFile {
    id: Option<String>,
    name: Option<String>,
    regex: String,
    #[serde(default)]
    replacement: String,
    #[serde(default = "yes", alias = "is_enabled")]
    enabled: bool,
}

/// The `[site]` table as a [`SiteLook`]: paths cleaned, the theme checked, the order bounded.
fn site_look(table: SiteTable, invalid: &dyn Fn(String, &str) -> ConfigError) -> Result<SiteLook, ConfigError> {
    let text = |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let path = |value: Option<String>| value.map(|v| vps_core::look::clean_vault_path(&v)).filter(|v| !v.is_empty());
    let default_theme = match text(table.default_theme) {
        Some(name) => Some(
            Theme::parse(&name).ok_or_else(|| invalid("site.default_theme".into(), "is not light, dark or system"))?,
        ),
        None => None,
    };
    let navigation_ordering = table.navigation_ordering.map(|paths| {
        paths.iter().map(|p| vps_core::look::clean_vault_path(p)).filter(|p| !p.is_empty()).collect::<Vec<_>>()
    });
    if navigation_ordering.as_ref().is_some_and(|paths| paths.len() > MAX_NAVIGATION_ENTRIES) {
        return Err(invalid(
            "site.navigation_ordering".into(),
            &format!("has more than {MAX_NAVIGATION_ENTRIES} paths"),
        ));
    }
    Ok(SiteLook {
        site_name: text(table.site_name),
        logo: path(table.logo),
        index_file: path(table.index_file),
        default_theme,
        show_outline: table.show_outline,
        show_backlinks: table.show_backlinks,
        show_search: table.show_search,
        show_theme_toggle: table.show_theme_toggle,
        show_graph: table.show_graph,
        navigation_ordering,
    })
}

fn yes() -> bool {
    true
}

impl Default for Config {
    /// The whole vault at `/`, attachments looked for everywhere, nothing ignored.
    fn default() -> Self {
        Self {
            server: None,
            api_key: None,
            vps_id: DEFAULT_VPS_ID.to_owned(),
            routes: vec![RouteNode { id: "/".to_owned(), vault_folder: Some(String::new()), ..RouteNode::default() }],
            ignore_rules: Vec::new(),
            ignored_tags: Vec::new(),
            assets_folder: None,
            assets_vault_fallback: true,
            cleanup_rules: Vec::new(),
            root_index_file: None,
            callout_styles: Vec::new(),
            locale: None,
            site: None,
        }
    }
}

impl Config {
    /// Reads `config_file`, or else `<vault>/.vps-publish.toml` if there is one; with neither, the
    /// whole vault is published at `/` ([`Config::default`]).
    pub fn load(vault: &Path, config_file: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match config_file {
            Some(path) => path.to_owned(),
            None => {
                let path = vault.join(CONFIG_FILE_NAME);
                if !path.is_file() {
                    return Ok(Config::default());
                }
                path
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io { path: path.clone(), source })?;
        Self::parse_toml(&text, &path)
    }

    /// Parses the text of a `.vps-publish.toml`; `path` only names it in errors.
    pub fn parse_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file: ConfigFile = parse_file(text, path)?;
        let invalid = |key: String, message: &str| ConfigError::Invalid {
            at: path.display().to_string(),
            key,
            message: message.to_owned(),
        };
        for (i, rule) in file.ignore_rules.iter().enumerate() {
            if rule.property.trim().is_empty() {
                return Err(invalid(format!("ignore_rules[{i}].property"), "is missing or empty"));
            }
            if let Some(j) = rule.ignore_values.iter().position(|v| !(v.is_string() || v.is_number() || v.is_boolean()))
            {
                return Err(invalid(
                    format!("ignore_rules[{i}].ignore_values[{j}]"),
                    "must be a string, number or boolean",
                ));
            }
        }
        let api_key = file.api_key.as_deref().filter(|key| !key.trim().is_empty()).map(ApiKey::parse).transpose()?;
        let cleanup_rules = file
            .cleanup_rules
            .into_iter()
            .enumerate()
            .map(|(i, rule)| {
                let id = rule.id.unwrap_or_else(|| format!("cleanup-{}", i + 1));
                CleanupRule {
                    name: rule.name.unwrap_or_else(|| id.clone()),
                    id,
                    regex: rule.regex,
                    replacement: rule.replacement,
                    is_enabled: rule.enabled,
                }
            })
            .collect();
        let locale = match file.locale.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            Some(locale) => Some(vps_core::language::language_tag(locale).map(str::to_owned).ok_or_else(|| {
                invalid("locale".to_owned(), "is not a language tag (letters, digits and `-`, as `ja` or `pt-BR`)")
            })?),
            None => None,
        };
        let site = file.site.map(|table| site_look(table, &invalid)).transpose()?;
        let mut routes = file.routes;
        if routes.is_empty() {
            routes = Config::default().routes;
        } else {
            normalize_routes(&mut routes, true);
            if let Some(id) = duplicate_id(&routes) {
                return Err(invalid("routes".to_owned(), &format!("the id `{id}` is used by two routes")));
            }
        }
        Ok(Config {
            server: file.server.filter(|s| !s.trim().is_empty()),
            api_key,
            vps_id: file.vps_id.unwrap_or_else(|| DEFAULT_VPS_ID.to_owned()),
            routes,
            ignore_rules: file.ignore_rules,
            ignored_tags: clean_tags(file.ignored_tags),
            assets_folder: file.assets_folder.map(|f| clean_vault_path(&f)).filter(|f| !f.is_empty()),
            assets_vault_fallback: file.assets_vault_fallback.unwrap_or(true),
            cleanup_rules,
            root_index_file: file.root_index_file.map(|f| clean_vault_path(&f)).filter(|f| !f.is_empty()),
            callout_styles: file.callout_styles.iter().map(|f| clean_vault_path(f)).collect(),
            locale,
            site,
        })
    }

    /// Reads the plugin's saved settings (`<vault>/.obsidian/plugins/vps-publish/data.json`),
    /// taking its first VPS. See [`Config::from_plugin_vps`] for the mapping.
    pub fn from_plugin(data_json: &Path) -> Result<Config, ConfigError> {
        Self::from_plugin_vps(data_json, None)
    }

    /// Reads the plugin's saved settings, taking the VPS whose name or id is `vps` (the first one
    /// when `None`). The mapping, key by key:
    ///
    /// | plugin (`data.json`) | here |
    /// |---|---|
    /// | `vpsConfigs[i].baseUrl` | `server` |
    /// | `vpsConfigs[i].apiKey` (`enc:` + base64, or plain) | `api_key`, decoded |
    /// | `vpsConfigs[i].id` | `vps_id` |
    /// | `vpsConfigs[i].routeTree.roots` (or legacy `folders`, each one a top-level node) | `routes` |
    /// | `vpsConfigs[i].ignoreRules` (or the older top-level `ignoreRules`) | `ignore_rules` |
    /// | `vpsConfigs[i].cleanupRules` | `cleanup_rules` |
    /// | `vpsConfigs[i].customRootIndexFile` | `root_index_file` |
    /// | `frontmatterTagsToExclude` | `ignored_tags` |
    /// | `assetsFolder` (default `assets`) | `assets_folder` |
    /// | `enableAssetsVaultFallback` (default `true`) | `assets_vault_fallback` |
    /// | `calloutStylePaths` | `callout_styles` |
    ///
    /// Like the plugin, a `settings.json` next to `data.json` overrides its top-level keys. Unknown
    /// keys are ignored and missing ones take the plugin's defaults. A node whose `vaultFolder`
    /// is empty is a pure route, as in the plugin.
    pub fn from_plugin_vps(data_json: &Path, vps: Option<&str>) -> Result<Config, ConfigError> {
        plugin::read(data_json, vps)
    }

    /// The API key: `VPS_PUBLISH_API_KEY` when set and not empty, else the configured one.
    pub fn api_key(&self) -> Option<String> {
        std::env::var(API_KEY_ENV)
            .ok()
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty())
            .or_else(|| self.api_key.as_ref().map(|key| key.expose().to_owned()))
    }

    /// The body of `POST /api/session/start`, as the plugin builds it, without callout styles
    /// (see [`Config::start_request_with`]).
    pub fn start_request(&self) -> StartSessionRequest {
        self.start_request_with(Vec::new())
    }

    /// The body of `POST /api/session/start` with the callout styles read from the vault
    /// ([`crate::Plan::callout_styles`]).
    pub fn start_request_with(&self, callout_styles: Vec<CalloutStyle>) -> StartSessionRequest {
        let render_settings_hash = self.render_settings_hash(&callout_styles);
        StartSessionRequest {
            notes_planned: 0,
            assets_planned: 0,
            batch_config: Some(BatchConfig { max_bytes_per_request: MAX_BYTES_PER_REQUEST }),
            callout_styles,
            custom_index_configs: self.custom_index_configs(),
            ignore_rules: self
                .ignore_rules
                .iter()
                .map(|rule| WireIgnoreRule {
                    property: rule.property.clone(),
                    ignore_if: rule.ignore_if,
                    ignore_values: (!rule.ignore_values.is_empty()).then(|| rule.ignore_values.clone()),
                })
                .collect(),
            ignored_tags: self.ignored_tags.clone(),
            folder_display_names: self.folder_display_names(),
            pipeline_signature: Some(PipelineSignature {
                version: format!("vps-publish-cli {}", env!("CARGO_PKG_VERSION")),
                render_settings_hash,
                git_commit: None,
            }),
            locale: Some(self.locale.clone().unwrap_or_else(|| "en".to_owned())),
            deduplication_enabled: Some(true),
        }
    }

    /// The cleanup rules the plugin sends: enabled ones with a non-empty regex.
    pub fn active_cleanup_rules(&self) -> Vec<CleanupRule> {
        self.cleanup_rules.iter().filter(|rule| rule.is_enabled && !rule.regex.trim().is_empty()).cloned().collect()
    }

    /// The root index first, then each node bound to a vault folder that has an index file, in
    /// tree order; `folderPath` joins the non-empty segments, as the plugin does. Ids are derived
    /// from the route (the plugin draws fresh UUIDs, which would make every start look changed).
    fn custom_index_configs(&self) -> Vec<CustomIndexConfig> {
        let mut configs = Vec::new();
        if let Some(file) = &self.root_index_file {
            configs.push(CustomIndexConfig {
                id: "index:root".to_owned(),
                folder_path: String::new(),
                index_file_path: file.clone(),
                is_root_index: Some(true),
            });
        }
        fn walk(nodes: &[RouteNode], parents: &[&str], configs: &mut Vec<CustomIndexConfig>) {
            for node in nodes {
                let mut segments = parents.to_vec();
                if !node.segment.is_empty() {
                    segments.push(&node.segment);
                }
                if let (Some(_), Some(file)) = (&node.vault_folder, &node.custom_index_file) {
                    let folder_path = format!("/{}", segments.join("/"));
                    configs.push(CustomIndexConfig {
                        id: format!("index:{folder_path}"),
                        folder_path,
                        index_file_path: file.clone(),
                        is_root_index: None,
                    });
                }
                walk(&node.children, &segments, configs);
            }
        }
        walk(&self.routes, &[], &mut configs);
        configs
    }

    /// `{route: displayName}` as the plugin's `collectDisplayNamesFromRouteTree`: an empty segment
    /// is `/`, a child of the root is `/child`.
    fn folder_display_names(&self) -> BTreeMap<String, String> {
        fn walk(nodes: &[RouteNode], parent: &str, names: &mut BTreeMap<String, String>) {
            for node in nodes {
                let path = if node.segment.is_empty() {
                    "/".to_owned()
                } else if parent.is_empty() || parent == "/" {
                    format!("/{}", node.segment)
                } else {
                    format!("{parent}/{}", node.segment)
                };
                if let Some(name) = node.display_name.as_ref().filter(|name| !name.is_empty()) {
                    names.insert(path.clone(), name.clone());
                }
                walk(&node.children, &path, names);
            }
        }
        let mut names = BTreeMap::new();
        walk(&self.routes, "", &mut names);
        names
    }

    /// SHA-256 (hex) of a JSON text with sorted keys of what changes the rendering but is not
    /// otherwise in the `start` body: callout CSS, the active cleanup rules and the sorted
    /// ignored tags. (The plugin's whitelist also drops the nested keys, so its hash sees only
    /// the number of rules; this one sees their content.)
    fn render_settings_hash(&self, callout_styles: &[CalloutStyle]) -> String {
        let styles: BTreeMap<&str, &str> = callout_styles.iter().map(|s| (s.path.as_str(), s.css.as_str())).collect();
        let mut rules: Vec<Value> = self
            .active_cleanup_rules()
            .into_iter()
            .map(|r| serde_json::json!({"id": r.id, "isEnabled": r.is_enabled, "regex": r.regex, "replace": r.replacement}))
            .collect();
        rules.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        let mut tags = self.ignored_tags.clone();
        tags.sort();
        // serde_json's map keeps keys sorted, so this text is stable.
        let stable =
            serde_json::json!({"calloutStyles": styles, "cleanupRules": rules, "ignoredTags": tags}).to_string();
        vps_core::ContentHash::of(stable.as_bytes()).to_hex()
    }
}

/// Deserializes a TOML text, reporting the dotted key and the line of the first error. The
/// message never quotes the file (it may hold the API key); a type error on `api_key` does not
/// even quote the value.
fn parse_file<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, ConfigError> {
    let error = |key: String, message: String, span: Option<std::ops::Range<usize>>| {
        let at = match span {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                format!("{}:{line}:{column}", path.display())
            }
            None => path.display().to_string(),
        };
        ConfigError::Invalid { at, key, message }
    };
    let deserializer = toml::de::Deserializer::parse(text)
        .map_err(|err| error("(syntax)".to_owned(), err.message().to_owned(), err.span()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let key = err.path().to_string();
        let inner = err.inner();
        let message =
            if key.starts_with("api_key") { "must be a string".to_owned() } else { inner.message().to_owned() };
        error(if key == "." { "(top level)".to_owned() } else { key }, message, inner.span())
    })
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// `\` → `/`, surrounding spaces and `/` removed: how a vault path is written in settings.
pub(crate) fn clean_vault_path(path: &str) -> String {
    path.trim().replace('\\', "/").trim_matches('/').to_owned()
}

fn clean_tags(tags: Vec<String>) -> Vec<String> {
    tags.into_iter().map(|t| t.trim().trim_start_matches('#').to_owned()).filter(|t| !t.is_empty()).collect()
}

/// An id that two nodes share: the server keys notes by it, so it must be unique.
fn duplicate_id(routes: &[RouteNode]) -> Option<String> {
    fn walk<'a>(nodes: &'a [RouteNode], seen: &mut HashSet<&'a str>) -> Option<String> {
        for node in nodes {
            if !seen.insert(&node.id) {
                return Some(node.id.clone());
            }
            if let Some(id) = walk(&node.children, seen) {
                return Some(id);
            }
        }
        None
    }
    walk(routes, &mut HashSet::new())
}

/// Trims segments and paths, and gives each node without an id its route (`/`, `/blog`,
/// `/blog/2024`), with `#2`, `#3` for repeats so that ids stay unique.
fn normalize_routes(routes: &mut [RouteNode], from_file: bool) {
    fn walk(nodes: &mut [RouteNode], parent: &str, from_file: bool, seen: &mut HashMap<String, usize>) {
        for node in nodes {
            node.segment = node.segment.trim().trim_matches('/').to_owned();
            node.vault_folder = node.vault_folder.as_deref().map(clean_vault_path);
            if !from_file && node.vault_folder.as_deref() == Some("") {
                // The plugin treats an empty `vaultFolder` as absent.
                node.vault_folder = None;
            }
            node.custom_index_file =
                node.custom_index_file.as_deref().map(clean_vault_path).filter(|path| !path.is_empty());
            node.additional_files = node
                .additional_files
                .iter()
                .map(|path| clean_vault_path(path))
                .filter(|path| !path.is_empty())
                .collect();
            let route = if node.segment.is_empty() { parent.to_owned() } else { format!("{parent}/{}", node.segment) };
            if node.id.trim().is_empty() {
                let base = if route.is_empty() { "/".to_owned() } else { route.clone() };
                let count = seen.entry(base.clone()).or_insert(0);
                *count += 1;
                node.id = if *count == 1 { base } else { format!("{base}#{count}") };
            }
            walk(&mut node.children, &route, from_file, seen);
        }
    }
    walk(routes, "", from_file, &mut HashMap::new());
}

#[cfg(test)]
mod tests;
