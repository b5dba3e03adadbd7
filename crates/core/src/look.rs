//! The writer's choices of how the site looks, as Obsidian Publish keeps them in the vault's
//! `site-options.json`: [`SiteLook`], read by [`SiteLook::parse`] (the CLI reads the vault's file
//! with it, the build reads the published asset with it: one reader, one set of rules).
//!
//! Keys read (`camelCase`, as Obsidian Publish writes them): `siteName`, `logo` (a vault path to
//! an image), `indexFile` (the home note's vault path, `.md` optional), `defaultTheme`
//! (`light`, `dark` or `system`), `showOutline`, `showBacklinks`, `showSearch`,
//! `showThemeToggle`, `showGraph` and `navigationOrdering` (vault paths of folders and notes, in
//! the order the navigation shows them). Unknown keys are ignored. A known key of the wrong type
//! is left out with a warning; a file that is not a JSON object, or is over
//! [`MAX_SITE_OPTIONS_BYTES`], is an error.
//!
//! ```
//! use vps_core::look::{SiteLook, Theme};
//!
//! let (look, warnings) = SiteLook::parse(br#"{"siteName": "Help", "defaultTheme": "dark", "showSearch": "no"}"#).unwrap();
//! assert_eq!(look.site_name.as_deref(), Some("Help"));
//! assert_eq!(look.default_theme, Some(Theme::Dark));
//! assert_eq!(look.show_search, None);
//! assert_eq!(warnings, ["`showSearch` is not true or false; it is ignored"]);
//! ```

use serde::Serialize;
use serde_json::{Map, Value};

/// The file's name, at the root of the vault, and the asset path it is published under.
pub const SITE_OPTIONS_FILE: &str = "site-options.json";

/// The largest `site-options.json` read (Obsidian Publish's for its 500-page help is 8 KB).
pub const MAX_SITE_OPTIONS_BYTES: u64 = 1024 * 1024;

/// The most entries of `navigationOrdering` kept; the rest are dropped with a warning.
pub const MAX_NAVIGATION_ENTRIES: usize = 20_000;

/// The longest string value kept (a site name, a vault path); longer ones are left out.
pub const MAX_VALUE_CHARS: usize = 1024;

/// The choices of a `site-options.json` (or of the CLI's `[site]` table, or the server's
/// settings): every one optional, so that layers can be put [`over`](SiteLook::over) each other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteLook {
    /// The site's name, shown in the header and the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    /// The vault path of the logo shown in the header (`Attachments/logo.svg`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// The vault path of the home note (`Home` or `Home.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_file: Option<String>,
    /// The theme a reader gets until they choose one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_theme: Option<Theme>,
    /// Show each page's table of contents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_outline: Option<bool>,
    /// Show each page's backlinks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_backlinks: Option<bool>,
    /// Show the search box.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_search: Option<bool>,
    /// Show the light / dark / system toggle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_theme_toggle: Option<bool>,
    /// Show the graph (not an Obsidian Publish key: ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_graph: Option<bool>,
    /// Vault paths of folders (`Guides`) and notes (`Guides/Start.md`), in navigation order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub navigation_ordering: Option<Vec<String>>,
}

/// A colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Light.
    Light,
    /// Dark.
    Dark,
    /// The reader's system preference.
    System,
}

impl Theme {
    /// `light`, `dark` or `system`, any case; `None` for anything else.
    pub fn parse(text: &str) -> Option<Theme> {
        match text.trim().to_ascii_lowercase().as_str() {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            "system" => Some(Theme::System),
            _ => None,
        }
    }

    /// `light`, `dark` or `system`.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::System => "system",
        }
    }
}

/// Why a `site-options.json` could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteLookError {
    /// The file is over [`MAX_SITE_OPTIONS_BYTES`].
    #[error("site-options.json is {0} bytes, over the limit of {MAX_SITE_OPTIONS_BYTES}")]
    TooLarge(u64),
    /// The file is not a JSON object: the parser's message, with its line and column.
    #[error("site-options.json is not a JSON object: {0}")]
    Invalid(String),
}

impl SiteLookError {
    /// A stable machine-readable code: `site-options-too-large` or `site-options-invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "site-options-too-large",
            Self::Invalid(_) => "site-options-invalid",
        }
    }
}

impl SiteLook {
    /// Reads a `site-options.json`: the choices it makes, and a warning for each known key left
    /// out (wrong type, unknown theme, too long, too many entries). See the module's docs.
    pub fn parse(bytes: &[u8]) -> Result<(SiteLook, Vec<String>), SiteLookError> {
        if bytes.len() as u64 > MAX_SITE_OPTIONS_BYTES {
            return Err(SiteLookError::TooLarge(bytes.len() as u64));
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let value: Value = serde_json::from_slice(bytes).map_err(|e| SiteLookError::Invalid(e.to_string()))?;
        let Value::Object(object) = value else {
            return Err(SiteLookError::Invalid("the top level is not an object".into()));
        };
        let mut warnings = Vec::new();
        let look = Self::from_object(&object, &mut warnings);
        Ok((look, warnings))
    }

    fn from_object(object: &Map<String, Value>, warnings: &mut Vec<String>) -> SiteLook {
        let mut text = |key: &str| match object.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() > MAX_VALUE_CHARS => {
                warnings.push(format!("`{key}` is over {MAX_VALUE_CHARS} characters; it is ignored"));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(_) => {
                warnings.push(format!("`{key}` is not a string; it is ignored"));
                None
            }
        };
        let site_name = text("siteName");
        let logo = text("logo").map(|path| clean_vault_path(&path)).filter(|p| !p.is_empty());
        let index_file = text("indexFile").map(|path| clean_vault_path(&path)).filter(|p| !p.is_empty());
        let theme = text("defaultTheme");
        let default_theme = theme.and_then(|name| {
            let theme = Theme::parse(&name);
            if theme.is_none() {
                warnings.push(format!("`defaultTheme` is `{name}`, not light, dark or system; it is ignored"));
            }
            theme
        });
        let mut flag = |key: &str| match object.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                warnings.push(format!("`{key}` is not true or false; it is ignored"));
                None
            }
        };
        let show_outline = flag("showOutline");
        let show_backlinks = flag("showBacklinks");
        let show_search = flag("showSearch");
        let show_theme_toggle = flag("showThemeToggle");
        let show_graph = flag("showGraph");
        let navigation_ordering = match object.get("navigationOrdering") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(navigation_entries(items, warnings)),
            Some(_) => {
                warnings.push("`navigationOrdering` is not a list of paths; it is ignored".to_owned());
                None
            }
        };
        SiteLook {
            site_name,
            logo,
            index_file,
            default_theme,
            show_outline,
            show_backlinks,
            show_search,
            show_theme_toggle,
            show_graph,
            navigation_ordering,
        }
    }

    /// These choices, each one not made here taken from `defaults`.
    pub fn over(self, defaults: &SiteLook) -> SiteLook {
        let defaults = defaults.clone();
        SiteLook {
            site_name: self.site_name.or(defaults.site_name),
            logo: self.logo.or(defaults.logo),
            index_file: self.index_file.or(defaults.index_file),
            default_theme: self.default_theme.or(defaults.default_theme),
            show_outline: self.show_outline.or(defaults.show_outline),
            show_backlinks: self.show_backlinks.or(defaults.show_backlinks),
            show_search: self.show_search.or(defaults.show_search),
            show_theme_toggle: self.show_theme_toggle.or(defaults.show_theme_toggle),
            show_graph: self.show_graph.or(defaults.show_graph),
            navigation_ordering: self.navigation_ordering.or(defaults.navigation_ordering),
        }
    }

    /// The choices as a `site-options.json` (only the keys set), as the CLI publishes them.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("a SiteLook serializes");
        json.push(b'\n');
        json
    }

    /// Whether no choice is made.
    pub fn is_empty(&self) -> bool {
        *self == SiteLook::default()
    }
}

/// The entries of `navigationOrdering`: strings, cleaned, at most [`MAX_NAVIGATION_ENTRIES`].
fn navigation_entries(items: &[Value], warnings: &mut Vec<String>) -> Vec<String> {
    let mut entries = Vec::with_capacity(items.len().min(MAX_NAVIGATION_ENTRIES));
    let mut skipped = 0;
    for item in items {
        match item {
            Value::String(path) if path.chars().count() <= MAX_VALUE_CHARS => {
                let path = clean_vault_path(path);
                if !path.is_empty() {
                    entries.push(path);
                }
            }
            _ => skipped += 1,
        }
    }
    if skipped > 0 {
        warnings.push(format!("`navigationOrdering` has {skipped} entries that are not paths; they are ignored"));
    }
    if entries.len() > MAX_NAVIGATION_ENTRIES {
        warnings.push(format!(
            "`navigationOrdering` has {} entries; only the first {MAX_NAVIGATION_ENTRIES} are used",
            entries.len()
        ));
        entries.truncate(MAX_NAVIGATION_ENTRIES);
    }
    entries
}

/// ` /Guides\Start.md/ ` → `Guides/Start.md`: separators made `/`, no leading, trailing or
/// doubled ones, in NFC (vault paths are compared in NFC).
pub fn clean_vault_path(path: &str) -> String {
    let path = path.trim().replace('\\', "/");
    let parts: Vec<&str> = path.split('/').filter(|part| !part.is_empty() && *part != ".").collect();
    crate::slug::nfc(&parts.join("/")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_vaults_keys_are_read_and_unknown_ones_ignored() {
        let json = br#"{"logo": "Attachments/logo.svg", "indexFile": "Home", "siteName": "Obsidian Help",
            "defaultTheme": "system", "showOutline": true, "showBacklinks": false, "showSearch": true,
            "showThemeToggle": true, "navigationOrdering": ["Start", "Start/A.md", "Home.md"],
            "hideTitle": true, "customDomain": {"x": 1}}"#;
        let (look, warnings) = SiteLook::parse(json).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(look.site_name.as_deref(), Some("Obsidian Help"));
        assert_eq!(look.logo.as_deref(), Some("Attachments/logo.svg"));
        assert_eq!(look.index_file.as_deref(), Some("Home"));
        assert_eq!(look.default_theme, Some(Theme::System));
        assert_eq!((look.show_outline, look.show_backlinks, look.show_graph), (Some(true), Some(false), None));
        assert_eq!(look.navigation_ordering.unwrap(), ["Start", "Start/A.md", "Home.md"]);
    }

    #[test]
    fn wrong_types_are_left_out_with_a_warning_each() {
        let json = br#"{"siteName": 3, "defaultTheme": "sepia", "showOutline": "yes",
            "navigationOrdering": ["A", 1, null, "/B//c.md/"], "logo": ["x"]}"#;
        let (look, warnings) = SiteLook::parse(json).unwrap();
        assert_eq!(look.site_name, None);
        assert_eq!(look.default_theme, None);
        assert_eq!(look.show_outline, None);
        assert_eq!(look.logo, None);
        assert_eq!(look.navigation_ordering.unwrap(), ["A", "B/c.md"]);
        assert_eq!(
            warnings,
            [
                "`siteName` is not a string; it is ignored",
                "`logo` is not a string; it is ignored",
                "`defaultTheme` is `sepia`, not light, dark or system; it is ignored",
                "`showOutline` is not true or false; it is ignored",
                "`navigationOrdering` has 2 entries that are not paths; they are ignored",
            ]
        );
    }

    #[test]
    fn bad_files_are_errors_with_stable_codes() {
        let cases: [(&[u8], &str); 4] = [
            (b"{\"siteName\": ", "site-options-invalid"),
            (b"[1, 2]", "site-options-invalid"),
            (b"", "site-options-invalid"),
            (&[b' '; MAX_SITE_OPTIONS_BYTES as usize + 1], "site-options-too-large"),
        ];
        for (bytes, code) in cases {
            assert_eq!(
                SiteLook::parse(bytes).unwrap_err().code(),
                code,
                "{:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(20)])
            );
        }
        let error = SiteLook::parse(b"{\n\"a\": }").unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn navigation_entries_are_bounded() {
        let many: Vec<String> = (0..MAX_NAVIGATION_ENTRIES + 5).map(|i| format!("n{i}.md")).collect();
        let json = serde_json::to_vec(&serde_json::json!({ "navigationOrdering": many })).unwrap();
        let (look, warnings) = SiteLook::parse(&json).unwrap();
        assert_eq!(look.navigation_ordering.unwrap().len(), MAX_NAVIGATION_ENTRIES);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn layers_fill_what_the_top_one_leaves_and_round_trip_as_json() {
        let top = SiteLook { site_name: Some("Top".into()), show_search: Some(false), ..SiteLook::default() };
        let defaults = SiteLook {
            site_name: Some("Default".into()),
            show_search: Some(true),
            show_outline: Some(false),
            ..SiteLook::default()
        };
        let merged = top.over(&defaults);
        assert_eq!(merged.site_name.as_deref(), Some("Top"));
        assert_eq!((merged.show_search, merged.show_outline), (Some(false), Some(false)));
        let (again, warnings) = SiteLook::parse(&merged.to_json()).unwrap();
        assert_eq!((again, warnings), (merged, Vec::<String>::new()));
        assert_eq!(SiteLook::default().to_json(), b"{}\n");
    }
}
