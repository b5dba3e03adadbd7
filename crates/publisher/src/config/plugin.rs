//! The plugin's saved settings (`.obsidian/plugins/vps-publish/data.json`) read as a [`Config`].
//!
//! Read loosely on purpose: the file is written by whichever plugin version the user has, so
//! unknown keys are ignored, missing ones take the plugin's defaults, and a value of the wrong
//! type counts as missing. Only a file that is not JSON, or that has no VPS, is an error.

use std::path::Path;

use serde_json::{Map, Value};
use vps_core::note::CleanupRule;

use super::{ApiKey, Config, ConfigError, DEFAULT_VPS_ID, IgnoreRule, RouteNode, clean_tags, clean_vault_path};

pub(super) fn read(data_json: &Path, wanted: Option<&str>) -> Result<Config, ConfigError> {
    let mut settings = read_object(data_json)?.ok_or_else(|| ConfigError::Io {
        path: data_json.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
    })?;
    // The plugin merges a `settings.json` snapshot over `data.json`, key by key.
    if let Some(snapshot) = data_json.parent().map(|dir| dir.join("settings.json"))
        && let Some(overrides) = read_object(&snapshot)?
    {
        settings.extend(overrides);
    }
    let plugin_error = |message: String| ConfigError::Plugin { path: data_json.to_owned(), message };

    let all: Vec<&Map<String, Value>> = settings
        .get("vpsConfigs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    let vps = match wanted {
        None => *all.first().ok_or_else(|| plugin_error("no VPS is configured (`vpsConfigs` is empty)".to_owned()))?,
        Some(wanted) => all
            .iter()
            .copied()
            .find(|vps| string(vps, "name") == Some(wanted) || string(vps, "id") == Some(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = all.iter().filter_map(|vps| string(vps, "name")).collect();
                plugin_error(format!("no VPS named `{wanted}` (configured: {})", names.join(", ")))
            })?,
    };

    let api_key = string(vps, "apiKey").filter(|key| !key.trim().is_empty()).map(ApiKey::parse).transpose()?;
    let mut routes: Vec<RouteNode> =
        match vps.get("routeTree").and_then(|tree| tree.get("roots")).and_then(Value::as_array) {
            Some(roots) => roots.iter().filter_map(route_node).collect(),
            None => legacy_folders(vps.get("folders").or_else(|| settings.get("folders"))),
        };
    super::normalize_routes(&mut routes, false);
    let ignore_rules = vps
        .get("ignoreRules")
        .and_then(Value::as_array)
        .or_else(|| settings.get("ignoreRules").and_then(Value::as_array))
        .into_iter()
        .flatten()
        .filter_map(ignore_rule)
        .collect();
    let cleanup_rules = vps
        .get("cleanupRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|rule| serde_json::from_value::<CleanupRule>(rule.clone()).ok())
        .collect();
    let assets_folder = match settings.get("assetsFolder") {
        Some(Value::String(folder)) => Some(clean_vault_path(folder)).filter(|f| !f.is_empty()),
        Some(_) => None,
        None => Some("assets".to_owned()),
    };
    Ok(Config {
        server: string(vps, "baseUrl").map(str::trim).filter(|url| !url.is_empty()).map(str::to_owned),
        api_key,
        vps_id: string(vps, "id").unwrap_or(DEFAULT_VPS_ID).to_owned(),
        routes,
        ignore_rules,
        ignored_tags: clean_tags(strings(settings.get("frontmatterTagsToExclude"))),
        assets_folder,
        assets_vault_fallback: settings.get("enableAssetsVaultFallback").and_then(Value::as_bool).unwrap_or(true),
        cleanup_rules,
        root_index_file: string(vps, "customRootIndexFile").map(clean_vault_path).filter(|f| !f.is_empty()),
        callout_styles: strings(settings.get("calloutStylePaths")).iter().map(|p| clean_vault_path(p)).collect(),
        // The plugin's own language setting; `system` (Obsidian's language) is not known here.
        locale: string(&settings, "locale")
            .and_then(|l| vps_core::language::language_tag(l).map(str::to_owned))
            .filter(|l| l != "system"),
        // The plugin has no such settings: the server's (`SITE_LOGO`…) apply, or the vault's
        // `site-options.json`, which `scan` reads whichever configuration is used.
        site: None,
    })
}

/// The JSON object in `path`, `None` if there is no such file.
fn read_object(path: &Path) -> Result<Option<Map<String, Value>>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ConfigError::Io { path: path.to_owned(), source }),
    };
    match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        // The error's position only, never its text: serde_json does not quote input, but the
        // file holds the API key, so stay on the safe side.
        Ok(_) => Err(ConfigError::Plugin { path: path.to_owned(), message: "is not a JSON object".to_owned() }),
        Err(err) => Err(ConfigError::Plugin {
            path: path.to_owned(),
            message: format!("is not valid JSON (line {}, column {})", err.line(), err.column()),
        }),
    }
}

fn string<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

fn route_node(value: &Value) -> Option<RouteNode> {
    let node = value.as_object()?;
    Some(RouteNode {
        id: string(node, "id").unwrap_or_default().to_owned(),
        segment: string(node, "segment").unwrap_or_default().to_owned(),
        vault_folder: string(node, "vaultFolder").map(str::to_owned),
        display_name: string(node, "displayName").filter(|name| !name.is_empty()).map(str::to_owned),
        flatten_tree: node.get("flattenTree").and_then(Value::as_bool).unwrap_or(false),
        custom_index_file: string(node, "customIndexFile").map(str::to_owned),
        additional_files: strings(node.get("additionalFiles")),
        ignored_cleanup_rule_ids: strings(node.get("ignoredCleanupRuleIds")),
        children: node.get("children").and_then(Value::as_array).into_iter().flatten().filter_map(route_node).collect(),
    })
}

/// The plugin's pre-route-tree `folders`: each folder becomes a top-level node whose segment is
/// its `routeBase`, which yields the same `routeBase` again.
fn legacy_folders(folders: Option<&Value>) -> Vec<RouteNode> {
    let Some(folders) = folders.and_then(Value::as_array) else { return Vec::new() };
    folders
        .iter()
        .filter_map(|folder| {
            let mut node = route_node(folder)?;
            node.segment = string(folder.as_object()?, "routeBase").unwrap_or_default().to_owned();
            Some(node)
        })
        .collect()
}

fn ignore_rule(value: &Value) -> Option<IgnoreRule> {
    let rule = value.as_object()?;
    let property = string(rule, "property")?.trim().to_owned();
    if property.is_empty() {
        return None;
    }
    Some(IgnoreRule {
        property,
        ignore_if: rule.get("ignoreIf").and_then(Value::as_bool),
        ignore_values: rule
            .get("ignoreValues")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|v| v.is_string() || v.is_number() || v.is_boolean())
            .cloned()
            .collect(),
    })
}
