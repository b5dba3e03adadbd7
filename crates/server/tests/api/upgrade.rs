//! Upgrade: a data directory whose live revision was made before issue 12 (routes that kept
//! only ASCII letters and digits, `note`/`note-1` placeholders for other scripts), republished
//! by today's server: every page whose route changed answers 301 from its old route, and the
//! placeholders, which pointed at different notes over time, are not redirected.

use std::path::Path;

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use vps_core::slug::route_segment;
use vps_core::url::encode_path;

use crate::helpers::*;

/// The vault of `tests/fixtures/upgrade-v0/` (see its README): `(vault path, content)`;
/// `pic.png` is [`png`]`(300, 1)`.
pub(crate) const VAULT: &[(&str, &str)] = &[
    ("post-one.md", "The first post. See [[My File_2]]."),
    ("My File_2.md", "A file with an underscore."),
    ("2024-01-05 Meeting.md", "Minutes of the meeting."),
    ("Été Spécial.md", "Un été spécial."),
    ("日本語のノート.md", "日本語の本文です。"),
    ("はじめに.md", "はじめにの本文です。"),
    ("Projets/Plan.md", "Le plan.\n\n![[pic.png]]"),
];

/// Writes [`VAULT`] and its image into `dir`.
pub(crate) fn write_vault(dir: &Path) {
    for (path, content) in VAULT {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    std::fs::write(dir.join("Projets/pic.png"), png(300, 1)).unwrap();
}

/// `(vault path, route in the fixture's live revision)` of the notes with a real name.
const OLD_ROUTES: &[(&str, &str)] = &[
    ("post-one.md", "/postone"),
    ("My File_2.md", "/my-file2"),
    ("2024-01-05 Meeting.md", "/20240105-meeting"),
    ("Été Spécial.md", "/ete-special"),
    ("Projets/Plan.md", "/projets/plan"),
];

/// `(vault path, placeholder route in the fixture)`: routes that named different notes as the
/// vault changed, so they must not lead anywhere now.
const PLACEHOLDERS: &[(&str, &str)] = &[("はじめに.md", "/note"), ("日本語のノート.md", "/note-1")];

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade-v0")
}

/// The status, `Location` and body of `GET path`, redirects not followed.
async fn get_once(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, Option<String>, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    let location = response.headers().get("location").map(|value| value.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap())
}

#[tokio::test]
async fn routes_changed_by_the_new_url_rules_answer_301_from_their_old_route_but_placeholders_do_not() {
    let data = tempfile::tempdir().unwrap();
    vps_testkit::copy_dir(&fixture(), data.path()).unwrap();
    let app = spawn_app_with(|settings| settings.data_dir = data.path().to_owned()).await;
    let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    // The old live revision is served as it was.
    let (status, _, page) = get_once(&client, &app, "/postone").await;
    assert_eq!(status, StatusCode::OK, "the fixture's revision is live: {page}");

    let vault_dir = tempfile::tempdir().unwrap();
    write_vault(vault_dir.path());
    let vault = vps_testkit::vault::scan(vault_dir.path()).unwrap();
    app.plugin().full_publish().publish(&vault.note_payloads(), &vault.asset_payloads()).await;

    let mut changed = 0;
    for (vault_path, old) in OLD_ROUTES {
        let new = vps_testkit::vault::note_route(vault_path);
        let title = vault_path.rsplit('/').next().unwrap().trim_end_matches(".md");
        let (status, _, page) = get_once(&client, &app, &encode_path(&new)).await;
        assert_eq!(status, StatusCode::OK, "{vault_path} at its new route {new}: {page}");
        assert!(page.contains(title), "{new} shows {title}: {page}");
        let (status, location, _) = get_once(&client, &app, old).await;
        if *old == new {
            assert_eq!(status, StatusCode::OK, "{old} did not change and still answers");
            continue;
        }
        changed += 1;
        assert_eq!(status, StatusCode::MOVED_PERMANENTLY, "{old} → {new}");
        let location = location.unwrap_or_else(|| panic!("{old}: a 301 without Location"));
        assert!(location.is_ascii(), "{old}: Location {location:?} is percent-encoded");
        assert_eq!(vps_core::slug::decode_route(&location), new, "{old}: Location {location}");
    }
    assert!(changed >= 3, "post-one, My File_2 and the meeting changed route: {changed}");
    assert_eq!(vps_testkit::vault::note_route("post-one.md"), format!("/{}", route_segment("post-one")));

    for (vault_path, placeholder) in PLACEHOLDERS {
        let new = vps_testkit::vault::note_route(vault_path);
        let (status, _, page) = get_once(&client, &app, &encode_path(&new)).await;
        assert_eq!(status, StatusCode::OK, "{vault_path} at {new}: {page}");
        let (status, location, page) = get_once(&client, &app, placeholder).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::OK,
            "{placeholder}: {status} to {location:?}: a placeholder is not redirected"
        );
        for (other, content) in VAULT.iter().filter(|(path, _)| path.ends_with(".md")) {
            assert!(!page.contains(content), "{placeholder} serves {other}'s page");
        }
    }

    // The image of the unchanged folder's note still loads from its page.
    let (_, _, plan) = get_once(&client, &app, "/projets/plan").await;
    let src = vps_testkit::html::elements(&plan)
        .into_iter()
        .find_map(|element| (element.name == "img").then(|| element.attr("src").map(str::to_owned)).flatten())
        .expect("Plan shows its image");
    // Relative to the page, as a browser resolves it.
    let src = reqwest::Url::parse(&app.url("/projets/plan")).unwrap().join(&src).unwrap();
    let image = app.client.get(src.clone()).send().await.unwrap();
    assert_eq!(image.status(), StatusCode::OK, "{src}");
    assert_eq!(image.bytes().await.unwrap().to_vec(), png(300, 1));
}
