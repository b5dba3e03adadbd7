//! The publisher over a copy of the Obsidian help vault: every note found, every attachment
//! resolved, only the really missing ones warned about, and the plugin's settings honoured.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::json;
use vps_core::ContentHash;
use vps_publisher::{Config, scan};

mod site_options;

const HELP_VAULT: &str = "/work/shared/vaults/obsidian-help-en";

/// A fresh copy of the help vault, so that tests may add settings to it.
fn help_vault_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(Path::new(HELP_VAULT), dir.path());
    dir
}

/// Every file of the vault by name, to tell a really missing attachment from a resolution bug.
fn file_names(root: &Path) -> HashSet<String> {
    let mut names = HashSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                names.insert(entry.file_name().into_string().unwrap());
            }
        }
    }
    names
}

#[test]
fn the_whole_help_vault_is_planned_with_its_attachments_resolved() {
    let vault = help_vault_copy();
    let config = Config::load(vault.path(), None).unwrap();
    assert_eq!(config, Config::default(), "no configuration file: the whole vault at /");
    let plan = scan(vault.path(), &config).unwrap();

    assert_eq!(plan.notes.len(), 173);
    assert_eq!(plan.inventory.len(), 173);
    assert!(plan.ignored.is_empty());
    for note in &plan.notes {
        assert_eq!(note.relative_path, note.vault_path, "at the vault root, the relative path is the vault path");
        assert_eq!(note.folder_config.route_base, "/");
        assert!(!note.content.starts_with("---\n"), "{}: frontmatter left in the content", note.vault_path);
    }
    let home = plan.notes.iter().find(|n| n.vault_path == "Home.md").unwrap();
    assert_eq!(home.frontmatter.flat["aliases"], json!(["Start here"]));
    assert_eq!(home.frontmatter.flat["permalink"], json!("/"));
    assert!(home.content.starts_with("# Obsidian Help"));

    // Each attachment once, present on disk with the size planned; the site's options are
    // written for the publish (`site_options.rs`), the rest are the vault's files.
    let mut seen = HashSet::new();
    for asset in &plan.assets {
        assert!(seen.insert(asset.vault_path.clone()), "{} planned twice", asset.vault_path);
        assert_eq!(std::fs::metadata(&asset.file).unwrap().len(), asset.size);
        if asset.vault_path.as_str() != "site-options.json" {
            assert_eq!(asset.file, vault.path().join(asset.vault_path.as_str()));
        }
    }
    assert!(plan.assets.len() > 100, "{} assets", plan.assets.len());

    // Known embeds resolve, with the plugin's display options.
    let embed_files = plan.notes.iter().find(|n| n.vault_path == "Linking notes and files/Embed files.md").unwrap();
    let sized = embed_files.assets.iter().find(|r| r.raw == "![[Engelbart.jpg#outline|100]]").unwrap();
    assert_eq!((sized.target.as_str(), sized.kind.as_str()), ("Engelbart.jpg", "image"));
    assert_eq!(sized.display, json!({"width": 100, "classes": [], "rawModifiers": ["100"]}));
    let planned = |path: &str| plan.assets.iter().find(|a| a.vault_path.as_str() == path);
    assert_eq!(planned("Attachments/Engelbart.jpg").unwrap().targets, ["Engelbart.jpg"]);
    let ogg = embed_files.assets.iter().find(|r| r.target.ends_with(".ogg")).unwrap();
    assert_eq!(ogg.kind, "audio");
    assert!(planned("Attachments/audio/Excerpt from Mother of All Demos (1968).ogg").is_some());
    // Examples inside code blocks and code spans are not references.
    let raws: Vec<&str> = embed_files.assets.iter().map(|r| r.raw.as_str()).collect();
    for example in
        ["![[Engelbart.jpg]]", "![[Engelbart.jpg|100x145]]", "![[Engelbart.jpg|100]]", "![[My canvas.canvas]]"]
    {
        assert!(!raws.contains(&example), "{example} is an example in code");
    }

    // The only warning is the one attachment the vault really lacks.
    assert_eq!(
        plan.warnings,
        ["attachment `obsidian-cli.mp4` not found in the vault (referenced in Extending Obsidian/Obsidian CLI.md)"]
    );
    assert!(!file_names(vault.path()).contains("obsidian-cli.mp4"));

    // Hashes are SHA-256 of the bytes.
    let files: Vec<PathBuf> = plan.assets.iter().map(|a| a.file.clone()).collect();
    let hashes = vps_publisher::hash_files(&files, 2, &|_| {}).unwrap();
    for (file, hash) in files.iter().zip(&hashes) {
        assert_eq!(*hash, ContentHash::of(&std::fs::read(file).unwrap()));
    }
}

#[test]
fn the_plugins_settings_in_the_vault_select_routes_and_rules() {
    let vault = help_vault_copy();
    let plugin_dir = vault.path().join(".obsidian/plugins/vps-publish");
    std::fs::create_dir_all(&plugin_dir).unwrap();
    // A note in a dot folder is never published, whatever the settings.
    std::fs::write(vault.path().join(".obsidian/Secret.md"), "secret").unwrap();
    let data_json = plugin_dir.join("data.json");
    let settings = json!({
        "assetsFolder": "Attachments",
        "enableAssetsVaultFallback": true,
        "frontmatterTagsToExclude": ["draft"],
        "vpsConfigs": [{
            "id": "vps-help",
            "name": "Help",
            "baseUrl": "https://help.example.org",
            "apiKey": "enc:aGVscC1rZXk=",
            "ignoreRules": [{"property": "permalink", "ignoreValues": ["/"]}],
            "cleanupRules": [],
            "routeTree": {"roots": [
                {"id": "links", "segment": "links", "vaultFolder": "Linking notes and files", "displayName": "Links",
                 "additionalFiles": ["Editing and formatting/Callouts.md"]},
                {"id": "start", "segment": "start", "customIndexFile": "Getting started/Download and install Obsidian.md"}
            ]}
        }]
    });
    std::fs::write(&data_json, serde_json::to_string(&settings).unwrap()).unwrap();

    let config = Config::from_plugin(&data_json).unwrap();
    assert!(!format!("{config:?}").contains("help-key"));
    let plan = scan(vault.path(), &config).unwrap();
    let placed: Vec<(&str, &str, &str)> = plan
        .notes
        .iter()
        .map(|n| (n.vault_path.as_str(), n.relative_path.as_str(), n.folder_config.route_base.as_str()))
        .collect();
    assert_eq!(
        placed,
        [
            ("Linking notes and files/Aliases.md", "Aliases.md", "/links"),
            ("Linking notes and files/Embed files.md", "Embed files.md", "/links"),
            ("Linking notes and files/Internal links.md", "Internal links.md", "/links"),
            ("Editing and formatting/Callouts.md", "__additional__/Callouts", "/links"),
            (
                "Getting started/Download and install Obsidian.md",
                "Getting started/Download and install Obsidian.md",
                "/start"
            ),
        ]
    );
    assert!(plan.notes.iter().all(|n| n.folder_config.vps_id == "vps-help"));
    // Attachments are found in the assets folder first.
    assert!(plan.assets.iter().any(|a| a.vault_path.as_str() == "Attachments/Engelbart.jpg"));

    let start = config.start_request();
    assert_eq!(start.ignored_tags, ["draft"]);
    assert_eq!(start.folder_display_names.get("/links").map(String::as_str), Some("Links"));
    assert!(start.custom_index_configs.is_empty(), "a pure route's index is not declared, as in the plugin");
}

#[test]
fn a_vault_configuration_file_is_read_and_never_published() {
    let vault = help_vault_copy();
    std::fs::write(
        vault.path().join(".vps-publish.toml"),
        "root_index_file = \"Home.md\"\n\n[[ignore_rules]]\nproperty = \"publish\"\nignore_values = [true]\n",
    )
    .unwrap();
    let config = Config::load(vault.path(), None).unwrap();
    let plan = scan(vault.path(), &config).unwrap();
    assert_eq!(plan.ignored.len(), 54, "the help vault marks 54 notes `publish: true`");
    assert_eq!(plan.inventory.len(), 173 - 54);
    assert_eq!(plan.notes[0].vault_path, "Home.md");
    assert_eq!(plan.notes[0].folder_config.id, "root-index");
    assert!(plan.notes.iter().all(|n| !n.vault_path.contains("vps-publish")));
    assert!(plan.warnings.contains(&"54 note(s) left out by ignore rules".to_owned()));
}
