//! The help vault published with the CLI's publisher (`vps_publisher`, as `vps-publish publish`
//! runs it) keeps the look its Obsidian Publish `site-options.json` asks for: the name and logo
//! in the header, the navigation in `navigationOrdering`'s order, `Home` as the home page.

use std::path::Path;

use crate::helpers::{KEY, help_vault_source, spawn_app};

/// The labels of the navigation's top level, in order.
fn top_level(html: &str) -> Vec<String> {
    let nav = html.split("<nav class=\"site-nav\"").nth(1).expect("a navigation").split("</nav>").next().unwrap();
    let mut depth = 0;
    let mut labels = Vec::new();
    for part in nav.split('<').skip(1) {
        if part.starts_with("ul") {
            depth += 1;
        } else if part.starts_with("/ul") {
            depth -= 1;
        } else if depth == 1 && part.starts_with("a ") {
            labels.push(part.split_once('>').unwrap().1.to_owned());
        }
    }
    labels
}

/// The top-level folders `navigationOrdering` names that hold notes, in its order.
fn ordered_folders(vault: &Path) -> Vec<String> {
    let options: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vault.join("site-options.json")).unwrap()).unwrap();
    let holds_notes = |folder: &Path| {
        let mut stack = vec![folder.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
                if entry.file_type().unwrap().is_dir() {
                    stack.push(entry.path());
                } else if entry.path().extension().is_some_and(|ext| ext == "md") {
                    return true;
                }
            }
        }
        false
    };
    options["navigationOrdering"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry.as_str().unwrap())
        .filter(|entry| !entry.contains('/') && vault.join(entry).is_dir() && holds_notes(&vault.join(entry)))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_vault_published_with_the_cli_keeps_its_name_logo_order_and_home() {
    let vault = tempfile::Builder::new().prefix("help-vault-").tempdir().unwrap();
    vps_testkit::copy_dir(&help_vault_source(), vault.path()).unwrap();
    let app = spawn_app().await;
    let config = vps_publisher::Config::load(vault.path(), None).unwrap();
    let plan = vps_publisher::scan(vault.path(), &config).unwrap();
    let publication = vps_publisher::Publication::prepare(plan, &config, &()).unwrap();
    let client = vps_client::Client::new(&app.base, KEY).unwrap();
    let server = vps_publisher::Server::connect(client).await.unwrap();
    let summary = vps_publisher::publish(&server, &publication, &()).await.unwrap();
    assert_eq!(summary.pages_published, 173, "{summary:?}");

    // The home page is `Home`, at `/`.
    let (status, body) = app.get("/").await;
    assert_eq!(status, 200);
    let home = String::from_utf8(body).unwrap();
    assert!(home.contains("Welcome to the official Obsidian Help site"), "the Home note's text");
    assert!(home.contains("<link rel=\"canonical\" href=\"./\">"));

    // The header: the site's name and its logo.
    let (_, body) = app.get("/plugins/backlinks").await;
    let page = String::from_utf8(body).unwrap();
    let header = page.split("<header class=\"site-header\">").nth(1).unwrap().split("</header>").next().unwrap();
    assert!(header.contains("alt=\"Obsidian Help\"><span aria-hidden=\"true\">Obsidian Help</span></a>"), "{header}");
    assert!(page.contains("<title>Backlinks · Obsidian Help</title>"));
    let src = header.split("<img class=\"site-logo\" src=\"").nth(1).expect("a logo").split('"').next().unwrap();
    assert!(src.starts_with("../_blob/"), "relative, like every link of the page: {src}");
    let logo = app.client.get(format!("{}/plugins/{src}", app.base)).send().await.unwrap();
    assert_eq!(logo.status(), 200);
    let media_type = logo.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(media_type.starts_with("image/svg+xml"), "{media_type}");
    let bytes = logo.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), std::fs::read(vault.path().join("Attachments/obsidian-lockup-help.svg")).unwrap());

    // The navigation's first folders are in `navigationOrdering`'s order.
    let wanted = ordered_folders(vault.path());
    assert!(wanted.len() >= 10, "{wanted:?}");
    assert_eq!(wanted[..3], ["Getting started", "Import notes", "User interface"]);
    for html in [&home, &page] {
        let shown = top_level(html);
        assert_eq!(shown[..wanted.len()], wanted[..], "{shown:?}");
    }
    assert!(!top_level(&home).contains(&"Home".to_owned()), "the home page is not listed");
    // Within a folder, the order of its notes too.
    let (_, body) = app.get("/getting-started/glossary").await;
    let glossary = String::from_utf8(body).unwrap();
    let folder = glossary.split("Getting started</a></summary>").nth(1).unwrap();
    let (install, vault_note) = (folder.find(">Download and install Obsidian<"), folder.find(">Create a vault<"));
    assert!(install.unwrap() < vault_note.unwrap(), "the listed order, not the alphabet: {folder}");
}

/// Publishes `vault` with the CLI's publisher to the server at `base`.
async fn publish_with_cli(vault: &Path, base: &str) {
    let config = vps_publisher::Config::load(vault, None).unwrap();
    let plan = vps_publisher::scan(vault, &config).unwrap();
    let publication = vps_publisher::Publication::prepare(plan, &config, &()).unwrap();
    let server = vps_publisher::Server::connect(vps_client::Client::new(base, KEY).unwrap()).await.unwrap();
    vps_publisher::publish(&server, &publication, &()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writers_site_name_wins_over_site_name_on_every_page_and_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let vault = tempfile::tempdir().unwrap();
    std::fs::write(vault.path().join("Note.md"), "Some words.").unwrap();
    std::fs::write(vault.path().join("site-options.json"), r#"{"siteName": "The Writer's Garden"}"#).unwrap();
    let configure = |settings: &mut vps_server::Settings| settings.site.site_name = "Server name".into();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let shown = |base: String| {
        let client = client.clone();
        async move {
            let mut titles = Vec::new();
            for path in ["/note", "/search?q=words", "/nowhere"] {
                let html = client.get(format!("{base}{path}")).send().await.unwrap().text().await.unwrap();
                let title = html.split("<title>").nth(1).unwrap().split("</title>").next().unwrap().to_owned();
                titles.push(title);
            }
            titles
        }
    };
    let running = crate::helpers::start_app(data.path(), configure).await;
    publish_with_cli(vault.path(), &running.base).await;
    let before = shown(running.base.clone()).await;
    assert!(before.iter().all(|title| title.ends_with(" · The Writer&#39;s Garden")), "{before:?}");
    running.stop().await;

    let again = crate::helpers::start_app(data.path(), configure).await;
    let after = shown(again.base.clone()).await;
    assert_eq!(after, before, "a restart keeps the writer's name");
    again.stop().await;
}
