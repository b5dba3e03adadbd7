//! How the site looks: the vault's Obsidian Publish `site-options.json` (as the CLI publishes
//! it) over the server's look settings: name, home note, logo, theme, toggles, navigation order.

use vps_build::{BlobSink, BuildError, Built, MemoryBlobs, build};
use vps_core::look::SiteLook;
use vps_core::revision::{Asset, Revision};
use vps_core::{AssetPath, MediaType};

use super::{Publish, note, png};

/// `bytes` stored as the asset `path` of type `media_type`.
fn stored(blobs: &MemoryBlobs, path: &str, bytes: &[u8], media_type: &str) -> (AssetPath, Asset) {
    let asset = Asset {
        sha256: blobs.put_bytes(bytes).unwrap(),
        size: bytes.len() as u64,
        media_type: MediaType::parse(media_type).unwrap(),
    };
    (AssetPath::parse(path).unwrap(), asset)
}

fn options(blobs: &MemoryBlobs, json: &str) -> (AssetPath, Asset) {
    stored(blobs, "site-options.json", json.as_bytes(), "application/json")
}

const LOGO: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>";

fn vault() -> Vec<vps_core::note::Note> {
    let long = "# Guide\n\n## One\n\ntext\n\n## Two\n\ntext\n";
    vec![
        note("Home.md", "Welcome. See [[Zeta]] and [[Guide]]."),
        note("Alpha/Guide.md", long),
        note("Alpha/Basics.md", "[[Guide]]"),
        note("Beta/Intro.md", "beta"),
        note("Zeta.md", "[[Guide]]"),
        note("About.md", "about"),
    ]
}

/// The stored HTML of the page at `route`.
fn html(blobs: &MemoryBlobs, built: &Built, route: &str) -> String {
    let page = &built.revision.pages[route];
    String::from_utf8(blobs.get(&page.html_blob).unwrap().to_vec()).unwrap()
}

/// The labels of the top level of a page's navigation, in order.
fn top_level(html: &str) -> Vec<String> {
    let nav = html.split("<nav class=\"site-nav\"").nth(1).unwrap().split("</nav>").next().unwrap();
    let mut depth = 0;
    let mut labels = Vec::new();
    for part in nav.split('<').skip(1) {
        if part.starts_with("ul") {
            depth += 1;
        } else if part.starts_with("/ul") {
            depth -= 1;
        } else if depth == 1 && part.starts_with("a ") {
            labels.push(part.split('>').nth(1).unwrap().to_owned());
        }
    }
    labels
}

#[test]
fn a_vault_with_site_options_gets_its_name_home_order_logo_and_toggles() {
    let blobs = MemoryBlobs::new();
    let json = r#"{
        "siteName": "Field Guide", "logo": "Attachments/logo.svg", "indexFile": "About",
        "defaultTheme": "dark", "showOutline": false, "showBacklinks": false, "showSearch": false,
        "showThemeToggle": false, "navigationOrdering": ["Zeta.md", "Beta", "Alpha", "Alpha/Guide.md"],
        "unknownKey": {"ignored": true}
    }"#;
    let built = Publish {
        notes: vault(),
        assets: vec![options(&blobs, json), stored(&blobs, "Attachments/logo.svg", LOGO, "image/svg+xml")],
        ..Publish::default()
    }
    .on(&blobs, &Revision::empty());
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
    let info = built.site.info();
    assert_eq!(info.name, "Field Guide");
    assert_eq!(built.revision.home.as_deref(), Some("/about"), "indexFile without `.md` names the home note");
    let presentation = &info.presentation;
    assert_eq!(presentation.default_theme, vps_site::Theme::Dark);
    assert!(!presentation.show_theme_toggle && presentation.show_graph, "a key not given keeps its default");

    let logo = &built.revision.assets[&AssetPath::parse("Attachments/logo.svg").unwrap()];
    assert_eq!(presentation.logo_href, Some(format!("/_blob/{}", logo.sha256)));
    let guide = html(&blobs, &built, "/alpha/guide");
    assert!(guide.contains(&format!("<img class=\"site-logo\" src=\"../_blob/{}\" alt=\"Field Guide\">", logo.sha256)));
    assert!(guide.contains("<title>Guide · Field Guide</title>"));
    assert_eq!(top_level(&guide), ["Zeta", "Beta", "Alpha", "Home"], "listed first, then the rest by title");
    let alpha = guide.split("Alpha</a></summary>").nth(1).unwrap();
    assert!(alpha.find(">Guide<").unwrap() < alpha.find(">Basics<").unwrap(), "Guide is listed, Basics is not");
    assert!(!guide.contains("class=\"toc\""), "showOutline: false");
    assert!(!guide.contains("Linked from"), "showBacklinks: false");
    assert!(!guide.contains("site-search"), "showSearch: false");
}

#[test]
fn the_server_settings_are_defaults_the_published_file_overrides_key_by_key() {
    let blobs = MemoryBlobs::new();
    let server = SiteLook {
        show_outline: Some(false),
        show_search: Some(false),
        navigation_ordering: Some(vec!["About.md".into()]),
        logo: Some("Attachments/logo.svg".into()),
        ..SiteLook::default()
    };
    let logo = stored(&blobs, "Attachments/logo.svg", LOGO, "image/svg+xml");
    // A plugin user: no site-options.json, the server's settings apply.
    let plugin = Publish { notes: vault(), assets: vec![logo.clone()], look: server.clone(), ..Publish::default() }
        .on(&blobs, &Revision::empty());
    let presentation = &plugin.site.info().presentation;
    assert!(!presentation.show_outline && !presentation.show_search && presentation.show_backlinks);
    assert!(presentation.logo_href.is_some());
    assert_eq!(top_level(&html(&blobs, &plugin, "/zeta"))[0], "About");
    assert_eq!(plugin.site.info().name, "Site", "SITE_NAME");
    assert_eq!(plugin.revision.home.as_deref(), Some("/home"), "Home.md");

    // The writer publishes a site-options.json: its keys win, the others stay the server's.
    let json = r#"{"siteName": "Mine", "showSearch": true, "navigationOrdering": ["Zeta.md"]}"#;
    let cli = Publish { notes: vault(), assets: vec![logo, options(&blobs, json)], look: server, ..Publish::default() }
        .on(&blobs, &Revision::empty());
    let presentation = &cli.site.info().presentation;
    assert!(presentation.show_search && !presentation.show_outline);
    assert_eq!(cli.site.info().name, "Mine");
    assert_eq!(top_level(&html(&blobs, &cli, "/zeta"))[0], "Zeta");
}

#[test]
fn the_options_and_the_logo_stay_published_while_later_publishes_do_not_send_them() {
    let blobs = MemoryBlobs::new();
    let json = r#"{"siteName": "Kept", "logo": "logo.png"}"#;
    let first =
        Publish { notes: vault(), assets: vec![options(&blobs, json), png("logo.png", 7)], ..Publish::default() }
            .on(&blobs, &Revision::empty());
    let second =
        Publish { notes: vec![note("Zeta.md", "edited")], partial: true, ..Publish::default() }.on_live(&blobs, &first);
    let paths: Vec<&str> = second.revision.assets.keys().map(AssetPath::as_str).collect();
    assert_eq!(paths, ["logo.png", "site-options.json"]);
    assert_eq!(second.site.info().name, "Kept");
    assert!(second.site.info().presentation.logo_href.is_some());
}

#[test]
fn a_bad_site_options_json_fails_the_publish_with_a_stable_code_and_wrong_types_are_warnings() {
    let blobs = MemoryBlobs::new();
    for (json, code) in [("{\"siteName\": ", "site-options-invalid"), ("[\"Home.md\"]", "site-options-invalid")] {
        let publish = Publish { notes: vault(), assets: vec![options(&blobs, json)], ..Publish::default() };
        let error = publish
            .with_input(&Revision::empty(), None, |input| build(&blobs, input, &|_, _| Ok(())))
            .err()
            .expect("the build fails");
        let BuildError::SiteOptions(cause) = &error else { panic!("{error}") };
        assert_eq!(cause.code(), code);
        assert!(error.to_string().starts_with("site-options.json is not a JSON object"), "{error}");
    }
    let mut too_large = options(&blobs, "{}");
    too_large.1.size = vps_core::look::MAX_SITE_OPTIONS_BYTES + 1;
    let publish = Publish { notes: vault(), assets: vec![too_large], ..Publish::default() };
    let error = publish.with_input(&Revision::empty(), None, |input| build(&blobs, input, &|_, _| Ok(()))).err();
    assert!(matches!(&error, Some(BuildError::SiteOptions(e)) if e.code() == "site-options-too-large"), "{error:?}");

    let json = r#"{"siteName": "Still", "showOutline": "no", "logo": "missing.svg"}"#;
    let built = Publish { notes: vault(), assets: vec![options(&blobs, json)], ..Publish::default() }
        .on(&blobs, &Revision::empty());
    assert_eq!(built.site.info().name, "Still");
    assert!(built.site.info().presentation.show_outline && built.site.info().presentation.logo_href.is_none());
    assert_eq!(
        built.warnings,
        [
            "site-options.json: `showOutline` is not true or false; it is ignored",
            "the logo `missing.svg` is not published: the header shows the site's name alone",
        ]
    );
}
