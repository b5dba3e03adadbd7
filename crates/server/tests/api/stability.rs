//! Issue 12, stable routes: a note's route depends on its own vault path only. Deleting one
//! note and renaming another, then publishing the whole vault again, moves no other note, and no
//! old URL serves a different note.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use vps_core::slug::{decode_route, nfc};
use vps_core::url::encode_path;
use vps_testkit::html::elements;
use vps_testkit::scripts_vault::{Reader, multi_script_vault, split_href};

use crate::helpers::*;

/// Every page the site's navigation lists, as route → title (its `<h1>`, NFC), found as a
/// reader finds them: from the home page's navigation, then the navigation of each page found
/// (a page's navigation shows the folders on its way open, the others as links to their pages).
async fn site_pages(reader: &Reader) -> BTreeMap<String, String> {
    let home = reader.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let mut pages = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([("/".to_owned(), home.body)]);
    while let Some((at, body)) = queue.pop_front() {
        let page = elements(&body);
        for link in page.iter().filter(|e| e.name == "a" && e.is_inside(&page, |outer| outer.has_class("site-nav"))) {
            let Some((route, _)) = link.attr("href").and_then(|href| split_href(href, &at)) else { continue };
            if pages.contains_key(&route) || route == "/" {
                continue;
            }
            let fetched = reader.get(&encode_path(&route)).await;
            assert_eq!(fetched.status, StatusCode::OK, "{route}, listed in the navigation");
            let title =
                elements(&fetched.body).into_iter().find(|e| e.name == "h1").map(|e| e.text).unwrap_or_default();
            pages.insert(route.clone(), nfc(title.trim()).into_owned());
            queue.push_back((route, fetched.body));
        }
    }
    pages
}

#[tokio::test]
async fn deleting_one_note_and_renaming_another_moves_no_other_note_and_no_old_url_serves_another_note() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let vault = multi_script_vault(dir.path());
    let scanned = vps_testkit::vault::scan(dir.path()).unwrap();
    app.plugin().publish(&scanned.note_payloads(), &scanned.asset_payloads()).await;
    let reader = Reader::new(&app.base);
    let before = site_pages(&reader).await;
    for note in &vault.notes {
        assert!(before.values().any(|title| *title == note.title), "{} is in the navigation: {before:#?}", note.title);
    }

    let deleted = vault.note("chinese").clone();
    let renamed = vault.note("korean").clone();
    std::fs::remove_file(dir.path().join(&deleted.file_path)).unwrap();
    let new_path = renamed.file_path.replace("메모", "새 메모");
    std::fs::rename(dir.path().join(&renamed.file_path), dir.path().join(&new_path)).unwrap();
    let scanned = vps_testkit::vault::scan(dir.path()).unwrap();
    app.plugin().full_publish().publish(&scanned.note_payloads(), &scanned.asset_payloads()).await;
    let after = site_pages(&reader).await;

    let renamed_title = "새 메모";
    let new_route = after
        .iter()
        .find(|(_, title)| *title == renamed_title)
        .map(|(route, _)| route.clone())
        .expect("the renamed note");
    let deleted_folder = deleted.vault_path.rsplit_once('/').map(|(folder, _)| folder.to_owned()).unwrap_or_default();
    let mut problems = Vec::new();
    for (route, title) in &before {
        let gone = *title == deleted.title || *title == deleted_folder;
        let moved = *title == renamed.title;
        if !gone && !moved && after.get(route) != Some(title) {
            let now = after.iter().find(|(_, t)| *t == title).map(|(r, _)| r.as_str());
            problems.push(format!("{title} moved from {route} to {now:?}"));
        }
        let fetched = reader.get(&encode_path(route)).await;
        let shown = elements(&fetched.body).into_iter().find(|e| e.name == "h1").map(|e| e.text).unwrap_or_default();
        let shown = nfc(shown.trim()).into_owned();
        let location = fetched.location.as_deref().map(decode_route);
        let fine = match fetched.status {
            StatusCode::OK => shown == *title,
            StatusCode::MOVED_PERMANENTLY => moved && location.as_deref() == Some(new_route.as_str()),
            StatusCode::NOT_FOUND => gone || moved,
            _ => false,
        };
        if !fine {
            problems.push(format!(
                "{route} was {title:?}; now answers {} showing {shown:?}, Location {location:?}",
                fetched.status
            ));
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
