//! The Obsidian help vault, published as the plugin publishes it, read back as a reader sees it.

use std::collections::{BTreeMap, HashMap, HashSet};

use reqwest::StatusCode;
use vps_testkit::html::{self, Element};

use crate::helpers::{
    expected_routes, publish_help_vault, rendered_image_embeds, strip_extension, target_name, vault_names, wikilinks,
};

/// What a link marked unresolved points at: the target the page names in an attribute when it
/// does; else the target of the note's `[[target|label]]` whose label (or target) is the link's
/// text; else the text. Also whether the note's source has such a `[[…]]` at all.
fn unresolved_target(element: &Element, links: &[(String, String)]) -> (String, bool) {
    let text = element.text.trim();
    let from_source = links.iter().find(|(target, label)| label == text || target == text);
    let attr = ["data-target", "data-href", "data-wikilink", "title"]
        .iter()
        .find_map(|attr| element.attr(attr).filter(|value| !value.trim().is_empty()));
    let target = attr.or(from_source.map(|(target, _)| target.as_str())).unwrap_or(text);
    (target.trim().to_owned(), from_source.is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_help_vault_note_is_a_page_showing_its_images_and_only_absent_files_stay_unresolved() {
    let published = publish_help_vault().await;
    let (app, vault) = (&published.app, &published.vault);
    let sha_of: HashMap<&str, &str> =
        vault.assets.iter().map(|asset| (asset.vault_path.as_str(), asset.sha256.as_str())).collect();
    let names = vault_names(vault);
    let mut failures: Vec<String> = Vec::new();

    // Every note is a page.
    let routes = expected_routes(vault);
    let mut pages: Vec<(&str, String, String)> = Vec::new(); // (vault path, route, html)
    for (note, route) in &routes {
        // A note with a `permalink:` is at its permalink: its route redirects there, and its
        // page's relative URLs are read from where it is.
        let response = app.client.get(app.url(route)).send().await.unwrap_or_else(|e| panic!("GET {route}: {e}"));
        let (status, at) = (response.status(), vps_core::slug::decode_route(response.url().path()));
        let body = response.bytes().await.unwrap();
        if status == StatusCode::OK {
            pages.push((&note.vault_path, at, String::from_utf8_lossy(&body).into_owned()));
        } else {
            failures.push(format!("GET {route} ({}) → {status}", note.vault_path));
        }
    }

    // Unresolved links: printed, and each must name a file the vault does not have.
    let uploaded: HashSet<String> = vault.assets.iter().map(|asset| asset.file_name.to_lowercase()).collect();
    let mut unresolved: Vec<(&str, String, bool)> = Vec::new();
    for (vault_path, _, page) in &pages {
        let note = vault.notes.iter().find(|note| note.vault_path == *vault_path).expect("a note");
        let links = wikilinks(&note.content);
        for element in html::elements(page).iter().filter(|e| e.has_class("wikilink-unresolved")) {
            let (target, in_source) = unresolved_target(element, &links);
            unresolved.push((vault_path, target, in_source));
        }
    }
    println!("unresolved wikilinks on the served pages: {}", unresolved.len());
    for (vault_path, target, in_source) in &unresolved {
        let name = target_name(target);
        let present = names.contains(&name) || names.contains(strip_extension(&name));
        let mut notes = Vec::new();
        if present {
            notes.push("names a file IN the vault");
        }
        if !in_source {
            notes.push("no such [[…]] outside code in the note's source");
        }
        let notes = if notes.is_empty() { String::new() } else { format!("   <- {}", notes.join("; ")) };
        println!("  {target:?} in {vault_path}{notes}");
        if present || name.is_empty() {
            let why = if uploaded.contains(&name) {
                "which the plugin uploaded"
            } else if names.contains(&name) && !name.ends_with(".md") {
                "an attachment the plugin does not upload (it uploads embedded attachments only)"
            } else {
                "a note of the vault"
            };
            failures.push(format!("{vault_path}: [[{target}]] is unresolved, but the vault has {name:?}, {why}"));
        }
    }

    // Every image a note embeds (outside code and comments) and the vault has is shown: the page
    // has an <img> whose src serves exactly that file's bytes.
    let html_of: HashMap<&str, (&str, &str)> =
        pages.iter().map(|(path, route, page)| (*path, (route.as_str(), page.as_str()))).collect();
    let mut fetched: HashMap<String, Option<String>> = HashMap::new(); // src → sha256 of a 200 non-empty body
    let mut images_checked = 0;
    let mut pages_with_images = 0;
    for note in &vault.notes {
        let wanted = rendered_image_embeds(note, vault);
        let Some(&(route, page)) = html_of.get(note.vault_path.as_str()) else { continue };
        if wanted.is_empty() {
            continue;
        }
        pages_with_images += 1;
        let mut shown: BTreeMap<String, Option<String>> = BTreeMap::new();
        for src in html::elements(page).iter().filter(|e| e.name == "img").filter_map(|e| e.attr("src")) {
            let src = src.replace("&amp;", "&");
            // Resolved against the page, as a browser does; an external image is never one of
            // the vault's, and the test is offline.
            let src = if let Some(path) = src.strip_prefix(&app.base) {
                path.to_owned()
            } else {
                match vps_testkit::scripts_vault::split_href(&src, route) {
                    Some((path, _)) => vps_core::url::encode_path(&path),
                    None => continue,
                }
            };
            if !fetched.contains_key(&src) {
                let (status, body) = app.get(&src).await;
                let sha =
                    (status == StatusCode::OK && !body.is_empty()).then(|| vps_core::ContentHash::of(&body).to_hex());
                fetched.insert(src.clone(), sha);
            }
            shown.insert(src.clone(), fetched[&src].clone());
        }
        for file in wanted {
            images_checked += 1;
            let Some(sha) = sha_of.get(file) else {
                failures.push(format!("{}: embeds {file}, which the plugin did not upload", note.vault_path));
                continue;
            };
            if !shown.values().any(|served| served.as_deref() == Some(*sha)) {
                let srcs: Vec<String> = shown
                    .iter()
                    .map(|(src, ok)| format!("{src} ({})", if ok.is_some() { "200" } else { "not served" }))
                    .collect();
                failures.push(format!(
                    "{}: the image {file} is not shown (no <img> serves its bytes; <img> srcs: {})",
                    note.vault_path,
                    if srcs.is_empty() { "none".to_owned() } else { srcs.join(", ") }
                ));
            }
        }
    }

    println!(
        "help vault: {} notes, {} pages served 200, {images_checked} embedded images checked on {pages_with_images} \
         pages, {} unresolved wikilinks, {} failures",
        vault.notes.len(),
        pages.len(),
        unresolved.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{} failures:\n  {}", failures.len(), failures.join("\n  "));
}
