//! How the site looks, as the publisher sends it: the vault's Obsidian Publish
//! `site-options.json` with the `[site]` table of `.vps-publish.toml` over it, published as the
//! asset `site-options.json`, and the logo it names as an ordinary asset. The server's build reads
//! that file ([`vps_core::look::SiteLook::parse`], the same reader) and applies it.
//!
//! The file is checked here, before anything is sent: one that is not a JSON object or is over
//! [`vps_core::look::MAX_SITE_OPTIONS_BYTES`] stops the publish ([`crate::ScanError::SiteOptions`]);
//! a key of the wrong type, or a logo not in the vault, is a warning of the plan. What is sent is
//! the merged choices written anew (only the keys set), so the server never sees a key this
//! reader left out.

use std::path::Path;
use std::sync::Arc;

use vps_core::AssetPath;
use vps_core::look::{MAX_SITE_OPTIONS_BYTES, SITE_OPTIONS_FILE, SiteLook, SiteLookError};

use crate::config::Config;
use crate::scan::{PlannedAsset, ScanError};
use crate::vault::VaultIndex;

/// A file the scan wrote for the publish (the merged `site-options.json`), outside the vault; it
/// is removed when the last [`crate::Plan`] holding it is dropped.
#[derive(Debug, Clone)]
pub struct GeneratedFile(Arc<tempfile::TempPath>);

impl GeneratedFile {
    /// Where it is on disk.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl PartialEq for GeneratedFile {
    fn eq(&self, other: &Self) -> bool {
        self.path() == other.path()
    }
}

impl Eq for GeneratedFile {}

/// What the scan publishes of the site's look.
pub(crate) struct PlannedLook {
    /// The merged choices.
    pub(crate) look: SiteLook,
    /// `site-options.json`, written to a temporary file.
    pub(crate) options: PlannedAsset,
    pub(crate) generated: GeneratedFile,
    /// The logo's vault path, when it is in the vault.
    pub(crate) logo: Option<PlannedAsset>,
}

/// Reads `<vault>/site-options.json` (if any) and lays `config.site` over it. `None` when there
/// is neither the file nor a `[site]` table: then nothing is sent and the live site keeps the
/// choices it was last published with.
pub(crate) fn plan_look(
    vault: &Path,
    config: &Config,
    index: &VaultIndex,
    warnings: &mut Vec<String>,
) -> Result<Option<PlannedLook>, ScanError> {
    let from_file = match index.get(SITE_OPTIONS_FILE) {
        None => None,
        Some(file) => {
            let path = vault.join(&file.path);
            let too_large = |size| ScanError::SiteOptions { path: path.clone(), source: SiteLookError::TooLarge(size) };
            if file.size > MAX_SITE_OPTIONS_BYTES {
                return Err(too_large(file.size));
            }
            let bytes = std::fs::read(&path).map_err(|source| ScanError::Read { path: path.clone(), source })?;
            let (look, left_out) =
                SiteLook::parse(&bytes).map_err(|source| ScanError::SiteOptions { path: path.clone(), source })?;
            warnings.extend(left_out.into_iter().map(|warning| format!("{SITE_OPTIONS_FILE}: {warning}")));
            Some(look)
        }
    };
    let look = match (&config.site, from_file) {
        (None, None) => return Ok(None),
        (Some(table), Some(file)) => table.clone().over(&file),
        (Some(table), None) => table.clone(),
        (None, Some(file)) => file,
    };

    let logo = look.logo.as_deref().and_then(|logo| {
        let found = index.resolve("", logo).and_then(|file| Some((file, AssetPath::parse(&file.path).ok()?)));
        if found.is_none() {
            warnings.push(format!("the logo `{logo}` is not in the vault: the header shows the site's name alone"));
        }
        found.map(|(file, vault_path)| PlannedAsset {
            vault_path,
            file: vault.join(&file.path),
            size: file.size,
            targets: Vec::new(),
        })
    });

    let json = look.to_json();
    let temp = tempfile::Builder::new()
        .prefix("vps-publish-site-options-")
        .suffix(".json")
        .tempfile()
        .and_then(|mut file| {
            use std::io::Write as _;
            file.write_all(&json)?;
            file.flush()?;
            Ok(file.into_temp_path())
        })
        .map_err(|source| ScanError::Read { path: std::env::temp_dir().join(SITE_OPTIONS_FILE), source })?;
    let generated = GeneratedFile(Arc::new(temp));
    let options = PlannedAsset {
        vault_path: AssetPath::parse(SITE_OPTIONS_FILE).expect("a valid path"),
        file: generated.path().to_owned(),
        size: json.len() as u64,
        targets: Vec::new(),
    };
    Ok(Some(PlannedLook { look, options, generated, logo }))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use vps_core::look::Theme;

    use crate::{Config, Plan, ScanError, scan};

    fn vault(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, bytes) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        dir
    }

    fn config(toml: &str) -> Config {
        Config::parse_toml(toml, Path::new(".vps-publish.toml")).unwrap()
    }

    /// The `site-options.json` the plan uploads, parsed back, and the other assets' paths.
    fn sent(plan: &Plan) -> (serde_json::Value, Vec<&str>) {
        let options = plan.assets.iter().find(|a| a.vault_path.as_str() == "site-options.json").expect("sent");
        let bytes = std::fs::read(&options.file).unwrap();
        assert_eq!(bytes.len() as u64, options.size);
        let others = plan.assets.iter().map(|a| a.vault_path.as_str()).filter(|p| *p != "site-options.json").collect();
        (serde_json::from_slice(&bytes).unwrap(), others)
    }

    const OPTIONS: &[u8] = br#"{"siteName": "Help", "logo": "Attachments/logo.svg", "indexFile": "Home",
        "defaultTheme": "light", "showSearch": true, "navigationOrdering": ["B", "A.md"], "customKey": 1}"#;

    #[test]
    fn the_vaults_site_options_and_its_logo_are_uploaded() {
        let dir = vault(&[
            ("A.md", b"![[pic.png]]"),
            ("pic.png", b"\x89PNG"),
            ("Attachments/logo.svg", b"<svg/>"),
            ("site-options.json", OPTIONS),
        ]);
        let plan = scan(dir.path(), &Config::default()).unwrap();
        let (json, others) = sent(&plan);
        assert_eq!(
            json,
            serde_json::json!({"siteName": "Help", "logo": "Attachments/logo.svg", "indexFile": "Home",
                "defaultTheme": "light", "showSearch": true, "navigationOrdering": ["B", "A.md"]}),
            "the choices, without unknown keys"
        );
        assert_eq!(others, ["pic.png", "Attachments/logo.svg"]);
        let logo = plan.assets.iter().find(|a| a.vault_path.as_str() == "Attachments/logo.svg").unwrap();
        assert_eq!(logo.file, dir.path().join("Attachments/logo.svg"));
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
        assert!(!plan.inventory.iter().any(|p| p.ends_with(".json")), "not a note");

        // The file is the plan's: gone with it, and never written into the vault.
        let file = plan.generated[0].path().to_owned();
        assert!(!file.starts_with(dir.path()));
        drop(plan);
        assert!(!file.exists());
    }

    #[test]
    fn the_site_table_of_the_configuration_wins_key_by_key() {
        let dir = vault(&[("A.md", b"a"), ("logo.png", b"\x89PNG"), ("site-options.json", OPTIONS)]);
        let config = config(
            "[site]\nsite_name = \"Mine\"\nlogo = \"logo.png\"\ndefault_theme = \"dark\"\nshow_outline = false\n\
             navigation_order = [\"A.md\"]\n",
        );
        let plan = scan(dir.path(), &config).unwrap();
        let (json, others) = sent(&plan);
        assert_eq!(
            json,
            serde_json::json!({"siteName": "Mine", "logo": "logo.png", "indexFile": "Home", "defaultTheme": "dark",
                "showOutline": false, "showSearch": true, "navigationOrdering": ["A.md"]})
        );
        assert_eq!(others, ["logo.png"]);
        let look = plan.site_look.unwrap();
        assert_eq!((look.default_theme, look.site_name.as_deref()), (Some(Theme::Dark), Some("Mine")));

        // A `[site]` table alone is published too.
        let alone = vault(&[("A.md", b"a")]);
        let plan = scan(alone.path(), &config).unwrap();
        assert_eq!(sent(&plan).0["siteName"], "Mine");
        assert_eq!(plan.warnings, ["the logo `logo.png` is not in the vault: the header shows the site's name alone"]);
    }

    #[test]
    fn without_file_or_table_nothing_is_sent() {
        let dir = vault(&[("A.md", b"a")]);
        let plan = scan(dir.path(), &Config::default()).unwrap();
        assert!(plan.assets.is_empty() && plan.site_look.is_none() && plan.generated.is_empty());
    }

    #[test]
    fn a_bad_file_stops_the_scan_and_wrong_types_are_warnings() {
        let dir = vault(&[("A.md", b"a"), ("site-options.json", b"{\"siteName\": \"x\",\n}")]);
        let error = scan(dir.path(), &Config::default()).unwrap_err();
        assert!(matches!(&error, ScanError::SiteOptions { source, .. } if source.code() == "site-options-invalid"));
        let message = error.to_string();
        assert!(message.contains("site-options.json is not a JSON object") && message.contains("line 2"), "{message}");
        assert!(message.ends_with("(site-options-invalid)"), "{message}");

        let big = vec![b' '; vps_core::look::MAX_SITE_OPTIONS_BYTES as usize + 1];
        let dir = vault(&[("A.md", b"a"), ("site-options.json", &big)]);
        let error = scan(dir.path(), &Config::default()).unwrap_err();
        assert!(error.to_string().ends_with("(site-options-too-large)"), "{error}");

        let dir = vault(&[("A.md", b"a"), ("site-options.json", b"{\"showSearch\": \"no\", \"siteName\": \"Kept\"}")]);
        let plan = scan(dir.path(), &Config::default()).unwrap();
        assert_eq!(plan.warnings, ["site-options.json: `showSearch` is not true or false; it is ignored"]);
        assert_eq!(sent(&plan).0, serde_json::json!({"siteName": "Kept"}));
    }

    #[test]
    fn a_bad_site_table_names_its_key() {
        let error = Config::parse_toml("[site]\ndefault_theme = \"sepia\"\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(error.to_string(), "c.toml: site.default_theme: is not light, dark or system");
        let error = Config::parse_toml("[site]\nshow_serach = true\n", Path::new("c.toml")).unwrap_err();
        assert!(error.to_string().contains("show_serach"), "{error}");
    }
}
