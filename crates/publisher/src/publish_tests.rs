//! The publish flow in-process, against the real server on port 0.

use std::sync::Mutex;
use std::time::Duration;

use vps_client::{Client, ErrorKind, RetryPolicy};
use vps_core::ContentHash;
use vps_core::job::JobStatus;
use vps_server::{ApiKey, Application, Settings};

use super::*;

const KEY: &str = "publish-tests-api-key";

/// What a publish reported, in order.
#[derive(Default)]
struct Events(Mutex<Vec<String>>);

impl Events {
    fn push(&self, event: String) {
        self.0.lock().unwrap().push(event);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl Progress for Events {
    fn warn(&self, text: &str) {
        self.push(format!("warn {text}"));
    }

    fn begin(&self, step: Step, total: u64) {
        self.push(format!("begin {} {total}", step.label()));
    }

    fn end(&self, step: Step) {
        self.push(format!("end {}", step.label()));
    }

    fn milestone(&self, milestone: Milestone<'_>) {
        self.push(match milestone {
            Milestone::Started(_) => "started".to_owned(),
            Milestone::AssetsSent { uploaded, skipped } => format!("assets {uploaded} sent {skipped} skipped"),
            Milestone::NotesSent { sent, skipped } => format!("notes {sent} sent {skipped} skipped"),
            Milestone::Finished(_) => "finished".to_owned(),
        });
    }

    fn job(&self, _status: &JobStatus) {}
}

/// A vault of two notes, one embedding a picture.
fn vault() -> (tempfile::TempDir, Vec<u8>) {
    let vault = tempfile::tempdir().unwrap();
    let picture = b"\x89PNG\r\n\x1a\na picture of the publish tests".to_vec();
    std::fs::write(vault.path().join("Home.md"), "# Home\n\n![[picture.png]]\n\nSee [[Other]].\n").unwrap();
    std::fs::write(vault.path().join("Other.md"), "# Other\n\nText.\n").unwrap();
    std::fs::write(vault.path().join("picture.png"), &picture).unwrap();
    (vault, picture)
}

fn prepare(vault: &std::path::Path, progress: &dyn Progress) -> Publication {
    let config = Config::load(vault, None).unwrap();
    let plan = crate::scan(vault, &config).unwrap();
    Publication::prepare(plan, &config, progress).unwrap()
}

#[test]
fn preparing_hashes_every_attachment_and_reports_the_bytes() {
    let (vault, picture) = vault();
    let events = Events::default();
    let publication = prepare(vault.path(), &events);
    assert_eq!(publication.hashes, vec![ContentHash::of(&picture)]);
    assert_eq!(events.take(), [format!("begin hashing {}", picture.len()), "end hashing".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_publishes_in_process_then_republishes_with_nothing_sent() {
    let (_data, base) = spawn_server().await;

    let (vault, _) = vault();
    let publication = prepare(vault.path(), &());
    let server = Server::connect(Client::new(&base, KEY).unwrap()).await.unwrap();
    assert!(server.streaming.is_some(), "our server streams");
    let events = Events::default();

    let first = publish(&server, &publication, &events).await.unwrap();
    assert_eq!((first.pages_published, first.assets_uploaded, first.assets_skipped), (2, 1, 0), "{first:?}");
    assert!(first.revision.is_some() && first.bytes_sent > 0 && !first.dry_run);
    assert_eq!(
        events.take(),
        [
            "started",
            "begin uploading 38",
            "end uploading",
            "assets 1 sent 0 skipped",
            "notes 2 sent 0 skipped",
            "finished",
            "begin publishing 100",
            "end publishing"
        ]
    );
    let page = reqwest::get(format!("{base}/home")).await.unwrap();
    assert_eq!(page.status(), 200);

    let second = publish(&server, &publication, &events).await.unwrap();
    assert_eq!((second.pages_published, second.assets_uploaded, second.assets_skipped), (0, 0, 1), "{second:?}");
    assert!(second.bytes_sent < first.bytes_sent, "bytes are counted per publish: {second:?} after {first:?}");
    assert!(events.take().contains(&"notes 0 sent 2 skipped".to_owned()));
}

#[tokio::test]
async fn an_unreachable_server_is_a_client_error_before_any_milestone() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let retry = RetryPolicy { attempts: 1, first_delay: Duration::ZERO, max_delay: Duration::ZERO };
    let client = Client::builder(&base, KEY).retry(retry).build().unwrap();
    let (vault, _) = vault();
    let publication = prepare(vault.path(), &());
    let events = Events::default();
    let server = Server { client, streaming: None };
    let error = publish(&server, &publication, &events).await.unwrap_err();
    assert!(matches!(&error, PublishError::Client(e) if e.kind() == ErrorKind::Unreachable), "{error}");
    assert!(events.take().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_options_and_the_logo_are_uploaded_and_shape_the_site() {
    let (_data, base) = spawn_server().await;

    let (vault, _) = vault();
    let logo =
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\"/></svg>";
    std::fs::create_dir(vault.path().join("Brand")).unwrap();
    std::fs::write(vault.path().join("Brand/logo.svg"), logo).unwrap();
    std::fs::write(
        vault.path().join("site-options.json"),
        r#"{"siteName": "From the file", "logo": "Brand/logo.svg", "showSearch": false, "navigationOrdering": ["Other.md"]}"#,
    )
    .unwrap();
    std::fs::write(vault.path().join(".vps-publish.toml"), "[site]\nsite_name = \"From the table\"\n").unwrap();
    let publication = prepare(vault.path(), &());
    let server = Server::connect(Client::new(&base, KEY).unwrap()).await.unwrap();
    let events = Events::default();
    let summary = publish(&server, &publication, &events).await.unwrap();
    assert_eq!(summary.assets_uploaded, 3, "the picture, the logo and site-options.json: {summary:?}");
    assert!(!events.take().iter().any(|event| event.starts_with("warn")), "no file refused");

    let page = reqwest::get(format!("{base}/other")).await.unwrap().text().await.unwrap();
    assert!(page.contains("<title>Other · From the table</title>"), "the table wins over the file");
    assert!(!page.contains("site-search"), "the file's showSearch");
    let src = page.split("<img class=\"site-logo\" src=\"").nth(1).expect("a logo").split('"').next().unwrap();
    assert!(page.contains("alt=\"From the table\">"));
    let answer = reqwest::get(format!("{base}/{src}")).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("image/svg+xml"));
    assert_eq!(answer.bytes().await.unwrap().as_ref(), logo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drawing_is_published_as_its_exported_image_and_its_note_shows_no_scene() {
    let (_data, base) = spawn_server().await;

    let (vault, _) = vault();
    let export = b"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 4 4\"><circle r=\"2\"/></svg>";
    std::fs::create_dir(vault.path().join("Drawings")).unwrap();
    std::fs::write(vault.path().join("Home.md"), "# Home\n\n![[Plan.excalidraw|400]]\n").unwrap();
    std::fs::write(
        vault.path().join("Drawings/Plan.excalidraw.md"),
        "---\nexcalidraw-plugin: parsed\n---\n# Excalidraw Data\n## Text Elements\n%%\n## Drawing\n\
         ```compressed-json\nN4KAkARALgngDgUwgLgAQQQDwMYEMA2AlgCYBOuA7\n```\n%%\n",
    )
    .unwrap();
    std::fs::write(vault.path().join("Drawings/Plan.excalidraw.svg"), export).unwrap();
    std::fs::write(vault.path().join("Drawings/Plan.excalidraw.png"), b"\x89PNG not this one").unwrap();
    let publication = prepare(vault.path(), &());
    let server = Server::connect(Client::new(&base, KEY).unwrap()).await.unwrap();
    let summary = publish(&server, &publication, &()).await.unwrap();
    assert_eq!(summary.assets_uploaded, 1, "the SVG export only: {summary:?}");

    let home = reqwest::get(format!("{base}/home")).await.unwrap().text().await.unwrap();
    let img = home.split("<img src=\"").nth(1).expect("an image").split('>').next().unwrap();
    assert!(img.contains("alt=\"Plan.excalidraw\" width=\"400\""), "{img}");
    let src = img.split('"').next().unwrap();
    let answer = reqwest::get(format!("{base}/{}", src.trim_start_matches(['.', '/']))).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("image/svg+xml"));
    assert_eq!(answer.bytes().await.unwrap().as_ref(), export);

    let route = vps_render::compute_route("/", "Drawings/Plan.excalidraw.md", false);
    let drawing = reqwest::get(format!("{base}{route}")).await.unwrap();
    assert_eq!(drawing.status(), 200, "{route}");
    let drawing = drawing.text().await.unwrap();
    let blob = src.rsplit("_blob/").next().unwrap();
    assert!(drawing.contains(&format!("_blob/{blob}\" alt=\"Plan.excalidraw.md\"")), "the export: {drawing}");
    assert!(!drawing.contains("N4KAkARAL") && !drawing.contains("compressed-json"), "{drawing}");
}

/// Our server, in process, on a free port with a fresh data directory (kept while the directory
/// lives), and its address.
async fn spawn_server() -> (tempfile::TempDir, String) {
    let data = tempfile::tempdir().unwrap();
    let settings = Settings {
        port: 0,
        data_dir: data.path().to_owned(),
        api_key: Some(ApiKey::new(KEY).unwrap()),
        ..Settings::default()
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    (data, base)
}
