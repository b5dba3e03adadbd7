use serde_json::json;

use super::*;

const FULL: &str = r##"
server = "https://notes.example.org/site"
api_key = "enc:c2VjcmV0LWtleS0x"
vps_id = "my-vps"
assets_folder = "/Attachments/"
assets_vault_fallback = false
ignored_tags = ["#todo", "private"]
root_index_file = "Home.md"
callout_styles = [".obsidian/snippets/callouts.css"]

[[ignore_rules]]
property = "publish"
ignore_if = false

[[ignore_rules]]
property = "status"
ignore_values = ["draft", 3, true]

[[cleanup_rules]]
id = "no-code"
regex = '```[\s\S]*?```'

[[cleanup_rules]]
name = "off"
regex = "x"
enabled = false

[[routes]]
segment = "/blog/"
vault_folder = "Blog\\"
display_name = "Blog"
flatten_tree = true
custom_index_file = "Blog/_index.md"
additional_files = ["Misc/About.md"]
ignored_cleanup_rule_ids = ["no-code"]

  [[routes.children]]
  segment = "drafts"
  vault_folder = "Drafts"

[[routes]]
id = "docs-node"
segment = "docs"
display_name = "Docs"
custom_index_file = "Docs/Intro.md"
"##;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse_toml(text, Path::new("vault/.vps-publish.toml"))
}

#[test]
fn every_key_of_a_full_file_is_read() {
    let config = parse(FULL).unwrap();
    assert_eq!(config.server.as_deref(), Some("https://notes.example.org/site"));
    assert_eq!(config.api_key.as_ref().unwrap().expose(), "secret-key-1");
    assert_eq!(config.vps_id, "my-vps");
    assert_eq!(config.assets_folder.as_deref(), Some("Attachments"));
    assert!(!config.assets_vault_fallback);
    assert_eq!(config.ignored_tags, ["todo", "private"]);
    assert_eq!(config.root_index_file.as_deref(), Some("Home.md"));
    assert_eq!(config.callout_styles, [".obsidian/snippets/callouts.css"]);
    assert_eq!(
        config.ignore_rules[0],
        IgnoreRule { property: "publish".into(), ignore_if: Some(false), ignore_values: vec![] }
    );
    assert_eq!(config.ignore_rules[1].ignore_values, [json!("draft"), json!(3), json!(true)]);
    assert_eq!(config.cleanup_rules[0].id, "no-code");
    assert_eq!(config.cleanup_rules[0].name, "no-code");
    assert!(config.cleanup_rules[0].is_enabled);
    assert_eq!(config.cleanup_rules[1].id, "cleanup-2");
    assert_eq!(config.active_cleanup_rules().len(), 1);

    let blog = &config.routes[0];
    assert_eq!(
        (blog.id.as_str(), blog.segment.as_str(), blog.vault_folder.as_deref()),
        ("/blog", "blog", Some("Blog"))
    );
    assert!(blog.flatten_tree);
    assert_eq!(blog.additional_files, ["Misc/About.md"]);
    assert_eq!(blog.ignored_cleanup_rule_ids, ["no-code"]);
    assert_eq!(blog.children[0].id, "/blog/drafts");
    let docs = &config.routes[1];
    assert_eq!((docs.id.as_str(), docs.vault_folder.as_deref()), ("docs-node", None), "a pure route");
}

#[test]
fn no_file_means_the_whole_vault_at_the_root() {
    let vault = tempfile::tempdir().unwrap();
    let config = Config::load(vault.path(), None).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.routes.len(), 1);
    assert_eq!((config.routes[0].segment.as_str(), config.routes[0].vault_folder.as_deref()), ("", Some("")));
    // A file with no routes also publishes the whole vault.
    assert_eq!(parse("server = \"http://x\"").unwrap().routes, Config::default().routes);
    // A named file that does not exist is an error, not the default.
    let err = Config::load(vault.path(), Some(&vault.path().join("nope.toml"))).unwrap_err();
    assert_eq!(err.code(), "config-io");
}

#[test]
fn the_vault_file_is_found_by_default() {
    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join(CONFIG_FILE_NAME), "assets_folder = \"A\"").unwrap();
    assert_eq!(Config::load(vault.path(), None).unwrap().assets_folder.as_deref(), Some("A"));
}

#[test]
fn errors_name_the_bad_key_and_its_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("servr = \"x\"", ":1:1: servr", "unknown field `servr`, expected one of `server`"),
        ("ignored_tags = \"x\"", ":1:16: ignored_tags", "invalid type"),
        (
            "\n[[routes]]\nsegment = \"a\"\nflaten_tree = true\n",
            ":4:1: routes[0].flaten_tree",
            "unknown field `flaten_tree`",
        ),
        ("[[routes]]\n[[routes.children]]\nvault_folder = 3\n", "routes[0].children[0].vault_folder", "invalid type"),
        ("[[ignore_rules]]\nproperty = \"p\"\nignore_if = \"no\"\n", "ignore_rules[0].ignore_if", "invalid type"),
        ("[[ignore_rules]]\nproperty = \"\"\n", "ignore_rules[0].property", "missing or empty"),
        (
            "[[ignore_rules]]\nproperty = \"p\"\nignore_values = [[1]]\n",
            "ignore_rules[0].ignore_values[0]",
            "string, number or boolean",
        ),
        ("[[cleanup_rules]]\nid = \"x\"\n", "cleanup_rules[0]", "missing field `regex`"),
        ("server = \"unterminated\n", ":1:23: (syntax)", "invalid basic string"),
        (
            "[[routes]]\nid = \"a\"\n[[routes]]\nid = \"a\"\nsegment = \"x\"\n",
            "routes",
            "the id `a` is used by two routes",
        ),
    ];
    for (text, at, message) in cases {
        let err = parse(text).unwrap_err().to_string();
        assert!(err.starts_with("vault/.vps-publish.toml"), "{err}");
        assert!(err.contains(at), "{text:?} gave {err:?}, expected {at:?}");
        assert!(err.contains(message), "{text:?} gave {err:?}, expected {message:?}");
    }
}

#[test]
fn no_error_or_debug_output_shows_the_api_key() {
    for text in [
        "api_key = 123456789\n",
        "api_key = \"hunter2-secret\nserver = 1\n",
        "api_key = \"hunter2-secret\"\nserver = 1\n",
        "api_key = \"enc:!!hunter2-secret\"\n",
    ] {
        let err = parse(text).unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("hunter2") && !shown.contains("123456789"), "{shown}");
        }
    }
    let config = parse("api_key = \"hunter2-secret\"").unwrap();
    assert!(!format!("{config:?}").contains("hunter2"));
    assert!(format!("{config:?}").contains("<redacted>"));
}

#[test]
fn api_keys_decode_from_the_plugins_form() {
    assert_eq!(ApiKey::parse("enc:aMOpbGxv").unwrap().expose(), "héllo");
    assert_eq!(ApiKey::parse("enc:aMOpbGxv\n").unwrap().expose(), "héllo");
    assert_eq!(ApiKey::parse("enc:aGk").unwrap().expose(), "hi", "padding may be missing");
    assert_eq!(ApiKey::parse("\u{feff} plain-key ").unwrap().expose(), "plain-key");
    assert_eq!(ApiKey::parse("enc:%%%").unwrap_err().code(), "config-bad-api-key");
}

fn plugin_sample() -> serde_json::Value {
    json!({
        "locale": "system",
        "assetsFolder": "_assets",
        "enableAssetsVaultFallback": false,
        "frontmatterTagsToExclude": ["#private", "draft"],
        "calloutStylePaths": [".obsidian/snippets/c.css"],
        "someFutureSetting": {"x": 1},
        "vpsConfigs": [
            {
                "id": "vps-1",
                "name": "Main",
                "baseUrl": "https://main.example.org",
                "apiKey": "enc:bWFpbi1zZWNyZXQta2V5",
                "ignoreRules": [{"property": "publish", "ignoreIf": false}, {"property": "status", "ignoreValues": ["draft", {"bad": 1}]}, {"ignoreIf": true}],
                "cleanupRules": [{"id": "r1", "name": "Code", "regex": "```[\\s\\S]*?```", "replacement": "", "isEnabled": true, "isDefault": true, "nameKey": "x"}],
                "customRootIndexFile": "Home.md",
                "routeTree": {"roots": [
                    {"id": "n-blog", "segment": "blog", "vaultFolder": "Blog", "displayName": "Blog", "flattenTree": false,
                     "children": [{"id": "n-sub", "segment": "sub", "vaultFolder": "", "customIndexFile": "Sub.md", "unknown": 1}]},
                    {"id": "n-root", "segment": "", "vaultFolder": "Notes", "additionalFiles": ["Misc/About.md"]}
                ]}
            },
            {"id": "vps-2", "name": "Backup", "baseUrl": "https://backup.example.org", "apiKey": "plain-backup",
             "folders": [{"id": "f1", "vpsId": "vps-2", "vaultFolder": "Blog", "routeBase": "/blog/posts", "ignoredCleanupRuleIds": []}]}
        ]
    })
}

fn write_plugin(dir: &Path, settings: &serde_json::Value) -> PathBuf {
    let plugin_dir = dir.join(".obsidian/plugins/vps-publish");
    std::fs::create_dir_all(&plugin_dir).unwrap();
    let path = plugin_dir.join("data.json");
    std::fs::write(&path, serde_json::to_string_pretty(settings).unwrap()).unwrap();
    path
}

#[test]
fn the_plugins_settings_map_onto_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_plugin(dir.path(), &plugin_sample());
    let config = Config::from_plugin(&data).unwrap();
    assert_eq!(config.server.as_deref(), Some("https://main.example.org"));
    assert_eq!(config.api_key.as_ref().unwrap().expose(), "main-secret-key");
    assert!(!format!("{config:?}").contains("main-secret-key"), "Debug redacts the key");
    assert_eq!(config.vps_id, "vps-1");
    assert_eq!(config.assets_folder.as_deref(), Some("_assets"));
    assert!(!config.assets_vault_fallback);
    assert_eq!(config.ignored_tags, ["private", "draft"]);
    assert_eq!(config.callout_styles, [".obsidian/snippets/c.css"]);
    assert_eq!(config.root_index_file.as_deref(), Some("Home.md"));
    assert_eq!(config.ignore_rules.len(), 2, "a rule without a property is dropped");
    assert_eq!(config.ignore_rules[1].ignore_values, [json!("draft")], "non-scalar values are dropped");
    assert_eq!(config.cleanup_rules[0].id, "r1");
    let blog = &config.routes[0];
    assert_eq!(
        (blog.id.as_str(), blog.vault_folder.as_deref(), blog.display_name.as_deref()),
        ("n-blog", Some("Blog"), Some("Blog"))
    );
    let sub = &blog.children[0];
    assert_eq!(sub.vault_folder, None, "an empty vaultFolder is a pure route, as in the plugin");
    assert_eq!(sub.custom_index_file.as_deref(), Some("Sub.md"));
    assert_eq!(config.routes[1].additional_files, ["Misc/About.md"]);

    let backup = Config::from_plugin_vps(&data, Some("Backup")).unwrap();
    assert_eq!(backup.api_key.unwrap().expose(), "plain-backup");
    assert_eq!(backup.routes[0].segment, "blog/posts", "legacy folders become top-level nodes");
    assert_eq!(backup.routes[0].id, "f1");
    assert_eq!(backup.assets_folder.as_deref(), Some("_assets"));
    assert!(Config::from_plugin_vps(&data, Some("vps-2")).is_ok(), "by id too");
    let err = Config::from_plugin_vps(&data, Some("Nope")).unwrap_err().to_string();
    assert!(err.contains("Main, Backup"), "{err}");
}

#[test]
fn the_plugins_defaults_fill_missing_settings_and_settings_json_wins() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_plugin(dir.path(), &json!({"vpsConfigs": [{"baseUrl": "http://h"}]}));
    let config = Config::from_plugin(&data).unwrap();
    assert_eq!(config.assets_folder.as_deref(), Some("assets"));
    assert!(config.assets_vault_fallback);
    assert_eq!(config.vps_id, DEFAULT_VPS_ID);
    assert!(config.api_key.is_none() && config.routes.is_empty());

    std::fs::write(data.with_file_name("settings.json"), r#"{"assetsFolder": "Files"}"#).unwrap();
    assert_eq!(Config::from_plugin(&data).unwrap().assets_folder.as_deref(), Some("Files"));
}

#[test]
fn unusable_plugin_files_are_errors_that_do_not_quote_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_plugin(dir.path(), &json!({"vpsConfigs": []}));
    assert_eq!(Config::from_plugin(&data).unwrap_err().code(), "config-plugin");
    std::fs::write(&data, "{\"vpsConfigs\": [{\"apiKey\": \"leaky-secret\"").unwrap();
    let err = Config::from_plugin(&data).unwrap_err().to_string();
    assert!(err.contains("not valid JSON") && !err.contains("leaky"), "{err}");
    assert_eq!(Config::from_plugin(&dir.path().join("missing.json")).unwrap_err().code(), "config-io");
}

#[test]
fn the_start_request_is_built_like_the_plugins() {
    let config = parse(FULL).unwrap();
    let start = config.start_request();
    assert_eq!((start.notes_planned, start.assets_planned), (0, 0));
    assert_eq!(start.batch_config.unwrap().max_bytes_per_request, 1_048_576);
    assert_eq!(start.locale.as_deref(), Some("en"));
    assert_eq!(start.deduplication_enabled, Some(true));
    assert_eq!(start.ignored_tags, ["todo", "private"]);
    assert_eq!(start.ignore_rules[0].ignore_values, None);
    assert_eq!(start.ignore_rules[1].ignore_values.as_ref().unwrap().len(), 3);
    let indexes: Vec<(&str, &str, Option<bool>)> = start
        .custom_index_configs
        .iter()
        .map(|c| (c.folder_path.as_str(), c.index_file_path.as_str(), c.is_root_index))
        .collect();
    // The pure route's index file is not declared, as in the plugin.
    assert_eq!(indexes, [("", "Home.md", Some(true)), ("/blog", "Blog/_index.md", None)]);
    assert_eq!(
        start.folder_display_names,
        BTreeMap::from([("/blog".to_owned(), "Blog".to_owned()), ("/docs".to_owned(), "Docs".to_owned())])
    );
    let signature = start.pipeline_signature.unwrap();
    assert_eq!(signature.version, format!("vps-publish-cli {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(signature.render_settings_hash.len(), 64);
    // Stable, and sensitive to what changes rendering.
    assert_eq!(config.start_request().pipeline_signature.unwrap().render_settings_hash, signature.render_settings_hash);
    let mut other = config.clone();
    other.cleanup_rules[0].regex = "changed".into();
    assert_ne!(other.start_request().pipeline_signature.unwrap().render_settings_hash, signature.render_settings_hash);
    let styled = config.start_request_with(vec![CalloutStyle { path: "c.css".into(), css: ".callout{}".into() }]);
    assert_eq!(styled.callout_styles.len(), 1);
    assert_ne!(styled.pipeline_signature.unwrap().render_settings_hash, signature.render_settings_hash);
}

#[test]
fn display_names_of_root_children_are_spelled_like_the_plugin() {
    let config = parse(
        "[[routes]]\nsegment = \"\"\nvault_folder = \"\"\ndisplay_name = \"Home\"\n\
         [[routes.children]]\nsegment = \"child\"\nvault_folder = \"C\"\ndisplay_name = \"Child\"\ncustom_index_file = \"C/i.md\"\n",
    )
    .unwrap();
    let start = config.start_request();
    assert_eq!(
        start.folder_display_names,
        BTreeMap::from([("/".to_owned(), "Home".to_owned()), ("/child".to_owned(), "Child".to_owned())])
    );
    assert_eq!(start.custom_index_configs[0].folder_path, "/child");
}

#[test]
fn the_starter_file_parses_documents_every_key_and_is_never_overwritten() {
    let config = parse(STARTER_CONFIG).unwrap();
    assert_eq!(config, Config::default());
    for key in [
        "server",
        "api_key",
        "vps_id",
        "assets_folder",
        "assets_vault_fallback",
        "ignored_tags",
        "root_index_file",
        "callout_styles",
        "[[ignore_rules]]",
        "property",
        "ignore_if",
        "ignore_values",
        "[[cleanup_rules]]",
        "id",
        "name",
        "regex",
        "replacement",
        "enabled",
        "[[routes]]",
        "segment",
        "vault_folder",
        "display_name",
        "flatten_tree",
        "custom_index_file",
        "additional_files",
        "ignored_cleanup_rule_ids",
        "[[routes.children]]",
        "VPS_PUBLISH_API_KEY",
    ] {
        assert!(STARTER_CONFIG.contains(key), "the starter file does not mention {key}");
    }
    // Uncommenting the examples gives a valid file.
    let uncommented: String = STARTER_CONFIG
        .lines()
        .filter(|line| {
            !line.starts_with("# vault_folder = \"\"    :") && !line.starts_with("#                        which")
        })
        .map(|line| {
            let stripped = line.strip_prefix("# ").unwrap_or(line).trim_start();
            let looks_like_toml = stripped.starts_with('[') || stripped.contains(" = ");
            if looks_like_toml { format!("{stripped}\n") } else { "\n".to_owned() }
        })
        .collect();
    let example = parse(&uncommented).unwrap_or_else(|err| panic!("{err}\n{uncommented}"));
    assert_eq!(example.routes.len(), 2);
    assert_eq!(example.routes[1].children[0].segment, "drafts");

    let vault = tempfile::tempdir().unwrap();
    let path = write_starter(vault.path()).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), STARTER_CONFIG);
    std::fs::write(&path, "# mine").unwrap();
    assert_eq!(write_starter(vault.path()).unwrap_err().code(), "config-exists");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine");
}

// issue 12 — language
#[test]
fn the_locale_is_sent_at_start_from_the_file_or_the_plugin_else_en() {
    let path = Path::new("vps.toml");
    assert_eq!(Config::parse_toml("", path).unwrap().start_request().locale.as_deref(), Some("en"));
    let japanese = Config::parse_toml("locale = \"ja\"\n", path).unwrap();
    assert_eq!(japanese.start_request().locale.as_deref(), Some("ja"));
    let err = Config::parse_toml("locale = \"日本語\"\n", path).unwrap_err().to_string();
    assert!(err.contains("locale: is not a language tag"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let data = write_plugin(dir.path(), &json!({"locale": "fr", "vpsConfigs": [{"baseUrl": "http://h"}]}));
    assert_eq!(Config::from_plugin(&data).unwrap().start_request().locale.as_deref(), Some("fr"));
    let system = write_plugin(dir.path(), &plugin_sample());
    assert_eq!(Config::from_plugin(&system).unwrap().start_request().locale.as_deref(), Some("en"));
}
