//! The layers, the aliases, the readers' messages and the redaction.

use std::collections::HashMap;

use super::layers::{GIB, MIB, parse_size};
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
    assert_eq!(settings.uploads.max_asset_size_bytes, 100 * MIB);
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
    assert_eq!(settings.site.site_name, "Garden");
    assert_eq!(settings.uploads.max_asset_size_bytes, MIB);
    assert_eq!(settings.uploads.max_request_bytes, 50 * MIB, "the reference's name works when ours is unset");
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
    let settings = Settings::load(None, env(&[("API_KEY", "super-secret-key-123")]), &Overrides::default()).unwrap();
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
    assert_eq!(Settings::load(None, env(&[]), &Overrides::default()).unwrap().site.site_language, "");
    let set = Settings::load(None, env(&[("SITE_LANGUAGE", " pt-BR ")]), &Overrides::default()).unwrap();
    assert_eq!(set.site.site_language, "pt-BR");
    assert!(set.to_redacted_toml().contains("site_language = \"pt-BR\""));
    for bad in ["fr_FR", "ja<script>", "日本語", &"x".repeat(36)] {
        let err = Settings::load(None, env(&[("SITE_LANGUAGE", bad)]), &Overrides::default()).unwrap_err();
        assert!(err.to_string().starts_with("environment variable SITE_LANGUAGE: `"), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vps.toml");
    std::fs::write(&file, "site_language = \"ja\"\n").unwrap();
    assert_eq!(Settings::load(Some(&file), env(&[]), &Overrides::default()).unwrap().site.site_language, "ja");
}

#[test]
fn every_setting_has_one_key_and_is_read_from_its_own_environment_name() {
    let mut keys = Vec::new();
    Settings::keys(&mut keys);
    let mut seen = std::collections::BTreeSet::new();
    for key in &keys {
        assert!(seen.insert(key.name), "`{}` is declared twice", key.name);
        for name in key.env {
            assert!(seen.insert(name), "the environment name {name} is declared twice");
        }
    }
    // The file and the environment use the same names, but for the reference's `CLAMAV_TIMEOUT`.
    for key in &keys {
        let ours = if key.name == "clamav_timeout_ms" { "CLAMAV_TIMEOUT".to_owned() } else { key.name.to_uppercase() };
        assert_eq!(key.env[0], ours, "the first environment name of `{}`", key.name);
    }
    // Nested groups are settable through their flat names, from the file and the environment.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vps.toml");
    std::fs::write(&file, "max_document_bytes = \"1mb\"\nclamav_port = 3311\nrevision_poll_ms = 10\n").unwrap();
    let settings = Settings::load(
        Some(&file),
        env(&[("CLEANUP_TIME_PER_NOTE_MS", "250"), ("SESSION_TTL_SECS", "7200")]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(settings.publish_limits.max_document_bytes, MIB as usize);
    assert_eq!(settings.publish_limits.cleanup_time_per_note, std::time::Duration::from_millis(250));
    assert_eq!(settings.scanner.clamav_port, 3311);
    assert_eq!(settings.store.revision_poll_ms, 50, "bounds apply to the file's values");
    assert_eq!(settings.sessions.session_ttl_secs, 7200);
    // A group's name is not a key: the file stays flat.
    std::fs::write(&file, "[uploads]\nmax_asset_size_bytes = 1\n").unwrap();
    let err = Settings::load(Some(&file), env(&[]), &Overrides::default()).unwrap_err();
    assert!(err.to_string().ends_with("key `uploads`: unknown setting `uploads`"), "{err}");
}

#[test]
fn the_references_aliases_are_read_only_when_our_names_are_unset() {
    let aliases = env(&[("AWS_ENDPOINT_URL", "http://minio:9000/"), ("AWS_REGION", "eu-west-3")]);
    let settings = Settings::load(None, aliases, &Overrides::default()).unwrap();
    assert_eq!(settings.store.s3_endpoint.as_deref(), Some("http://minio:9000"));
    assert_eq!(settings.store.s3_region, "eu-west-3");
    let both = env(&[
        ("S3_REGION", "garage"),
        ("AWS_REGION", "eu-west-3"),
        ("MAX_REQUEST_BYTES", "1mb"),
        ("MAX_REQUEST_SIZE", "2mb"),
    ]);
    let settings = Settings::load(None, both, &Overrides::default()).unwrap();
    assert_eq!(settings.store.s3_region, "garage");
    assert_eq!(settings.uploads.max_request_bytes, MIB);
    let err = Settings::load(None, env(&[("MAX_REQUEST_SIZE", "lots")]), &Overrides::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable MAX_REQUEST_SIZE: `lots` is not a size (bytes, or 10kb, 50mb, 1gb)"
    );
}

#[test]
fn printed_configuration_loads_back_as_the_same_settings() {
    let settings = Settings::load(
        None,
        env(&[
            ("SITE_NAME", "Jardin \"d'hiver\""),
            ("BASE_URL", "https://example.org/"),
            ("MAX_ASSET_SIZE_BYTES", "5mb"),
            ("ALLOWED_MEDIA_TYPES", "image/*,application/pdf"),
            ("CLAMAV_SOCKET", "/run/clamd.sock"),
            ("MAX_TRANSCLUSION_DEPTH", "3"),
            ("CLEANUP_TIME_PER_PUBLISH_MS", "1234"),
            ("STORAGE", "s3"),
            ("S3_BUCKET", "site"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret-access-key"),
        ]),
        &Overrides { port: Some(0), ..Overrides::default() },
    )
    .unwrap();
    let shown = settings.to_redacted_toml();
    assert!(shown.contains("port = 0\n") && shown.contains("cleanup_time_per_publish_ms = 1234\n"), "{shown}");
    assert!(!shown.contains("very-secret"), "{shown}");
    // Everything but the redacted lines is a settings file that gives the same settings.
    let file_text: String = shown.lines().filter(|line| !line.contains("<")).map(|line| format!("{line}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vps.toml");
    std::fs::write(&file, &file_text).unwrap();
    let reloaded = Settings::load(Some(&file), env(&[]), &Overrides::default()).unwrap();
    assert_eq!(reloaded.site.site_name, "Jardin \"d'hiver\"");
    assert_eq!(reloaded.publish_limits, settings.publish_limits);
    assert_eq!(reloaded.to_redacted_toml(), shown.replace("aws_secret_access_key = \"<redacted>\"\n", ""));
}

// issue 16 — properties
#[test]
fn show_properties_is_off_by_default_and_reaches_the_build() {
    let default = Settings::load(None, env(&[]), &Overrides::default()).unwrap();
    assert!(!default.site.show_properties);
    assert!(!crate::finalize::FinalizeConfig::from_settings(&default).site.show_properties);
    let on = Settings::load(None, env(&[("SHOW_PROPERTIES", "true")]), &Overrides::default()).unwrap();
    assert!(on.site.show_properties);
    let site = crate::finalize::FinalizeConfig::from_settings(&on).site;
    assert!(site.show_properties);
    assert_ne!(
        site.key(),
        crate::finalize::FinalizeConfig::from_settings(&default).site.key(),
        "part of the options' key"
    );
    let err = Settings::load(None, env(&[("SHOW_PROPERTIES", "maybe")]), &Overrides::default()).unwrap_err();
    assert!(err.to_string().contains("SHOW_PROPERTIES"), "{err}");
}

#[test]
fn the_sites_look_is_set_by_file_or_environment_and_shown_by_print_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vps.toml");
    std::fs::write(
        &file,
        "site_logo = \"/Attachments\\\\logo.svg\"\nshow_outline = false\nnavigation_order = [\"Guides\", \"Guides/Start.md\", 'About.md']\n",
    )
    .unwrap();
    let settings =
        Settings::load(Some(&file), env(&[("DEFAULT_THEME", "Dark"), ("SHOW_SEARCH", "no")]), &Overrides::default())
            .unwrap();
    let look = settings.site.look();
    assert_eq!(look.logo.as_deref(), Some("Attachments/logo.svg"));
    assert_eq!(look.default_theme, Some(vps_core::look::Theme::Dark));
    assert_eq!((look.show_outline, look.show_search, look.show_backlinks), (Some(false), Some(false), Some(true)));
    assert_eq!(look.navigation_ordering.as_deref().unwrap(), ["Guides", "Guides/Start.md", "About.md"]);
    let shown = settings.to_redacted_toml();
    for line in [
        "site_logo = \"Attachments/logo.svg\"",
        "default_theme = \"dark\"",
        "show_search = false",
        "navigation_order = [\"Guides\", \"Guides/Start.md\", \"About.md\"]",
    ] {
        assert!(shown.contains(line), "{line} in {shown}");
    }
    let reloaded_file = dir.path().join("printed.toml");
    let file_text: String = shown.lines().filter(|line| !line.contains("<")).map(|line| format!("{line}\n")).collect();
    std::fs::write(&reloaded_file, file_text).unwrap();
    let reloaded = Settings::load(Some(&reloaded_file), env(&[]), &Overrides::default()).unwrap();
    assert_eq!(reloaded.site.look(), look, "--print-config reads back");

    let comma = Settings::load(None, env(&[("NAVIGATION_ORDER", "Guides, Home.md")]), &Overrides::default()).unwrap();
    assert_eq!(comma.site.navigation_order, ["Guides", "Home.md"]);
    let default = Settings::load(None, env(&[]), &Overrides::default()).unwrap().site.look();
    assert_eq!((default.logo, default.navigation_ordering), (None, None));
    for (name, value, message) in [
        (
            "DEFAULT_THEME",
            "sepia",
            "environment variable DEFAULT_THEME: `sepia` is not a theme (light, dark or system)",
        ),
        ("SHOW_GRAPH", "maybe", "environment variable SHOW_GRAPH: `maybe` is not true or false"),
        (
            "NAVIGATION_ORDER",
            "[\"a\", 1]",
            "environment variable NAVIGATION_ORDER: is not a list of quoted vault paths",
        ),
    ] {
        let err = Settings::load(None, env(&[(name, value)]), &Overrides::default()).unwrap_err().to_string();
        assert!(err.starts_with(message), "{err}");
    }
}

#[test]
fn image_variants_default_on_at_three_widths_and_bad_values_are_refused() {
    let settings = Settings::load(None, env(&[]), &Overrides::default()).unwrap();
    let images = &settings.images;
    assert!(images.image_variants);
    assert_eq!(images.widths(), vec![480, 960, 1600]);
    assert_eq!((images.image_variant_quality, images.image_workers), (80, 1));
    assert_eq!(images.limits(), vps_media::Limits::default());
    assert_eq!(images.image_queue_max, 10_000);
    let shown = settings.to_redacted_toml();
    assert!(shown.contains("image_variant_widths = [480, 960, 1600]\n"), "{shown}");
    assert!(shown.contains("image_max_pixels = 40000000\n"), "{shown}");

    let settings = Settings::load(
        None,
        env(&[("IMAGE_VARIANT_WIDTHS", " 960, 320 ,960"), ("IMAGE_VARIANT_QUALITY", "60"), ("IMAGE_WORKERS", "1")]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(settings.images.widths(), vec![320, 960], "sorted, duplicates dropped");
    assert_eq!(settings.images.image_variant_quality, 60);
    let off = Settings::load(None, env(&[("IMAGE_VARIANTS", "false")]), &Overrides::default()).unwrap();
    assert_eq!(off.images.widths(), Vec::<u32>::new(), "off: pages offer no variant");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vps.toml");
    std::fs::write(&file, "image_variant_widths = [640, 1280]\n").unwrap();
    let settings = Settings::load(Some(&file), env(&[]), &Overrides::default()).unwrap();
    assert_eq!(settings.images.widths(), vec![640, 1280], "a TOML array works");

    for (name, value, message) in [
        ("IMAGE_VARIANT_WIDTHS", ", ,", "is not 1 to 8 widths"),
        ("IMAGE_VARIANT_WIDTHS", "1,2,3,4,5,6,7,8,9", "the width 1 is not between 16 and 8192"),
        ("IMAGE_VARIANT_WIDTHS", "100,200,300,400,500,600,700,800,900", "is not 1 to 8 widths"),
        ("IMAGE_VARIANT_WIDTHS", "480,9000", "the width 9000 is not between 16 and 8192"),
        ("IMAGE_VARIANT_WIDTHS", "480,wide", "`wide` is not a width in pixels"),
        ("IMAGE_VARIANT_QUALITY", "0", "is not a quality between 1 and 100"),
        ("IMAGE_VARIANT_QUALITY", "101", "is not a quality between 1 and 100"),
        ("IMAGE_WORKERS", "0", "at least 1 worker"),
    ] {
        let result = Settings::load(None, env(&[(name, value)]), &Overrides::default());
        let err = result.map(|_| ()).unwrap_err().to_string();
        assert!(err.starts_with(&format!("environment variable {name}: ")), "{name}={value}: {err}");
        assert!(err.contains(message), "{name}={value}: {err}");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let many = Settings::load(None, env(&[("IMAGE_WORKERS", "512")]), &Overrides::default()).unwrap();
    assert_eq!(many.images.image_workers, cores, "lowered to the machine's cores");
}
