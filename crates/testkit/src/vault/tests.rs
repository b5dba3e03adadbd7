//! The payloads of a vault as the product's scan reads it. The reading rules themselves are the
//! publisher's, tested there; these pin what the tests of other crates rely on.

use super::*;

fn vault_of(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let vault = scan(dir.path()).unwrap();
    (dir, vault)
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0000";

#[test]
fn routes_are_the_route_segments_of_each_name() {
    use vps_core::slug::route_segment;
    assert_eq!(note_route("Foo Bar.md"), "/foo-bar");
    assert_eq!(
        note_route("Editing and formatting/Basic formatting syntax.md"),
        "/editing-and-formatting/basic-formatting-syntax"
    );
    assert_eq!(note_route("Sub Dir/Été Spécial.md"), "/sub-dir/ete-special");
    assert_eq!(note_route("post-one.md"), format!("/{}", route_segment("post-one")));
    assert_eq!(note_route("日本語/はじめに.md"), format!("/{}/{}", route_segment("日本語"), route_segment("はじめに")));
    assert_eq!(note_route("!!!/???.md"), format!("/{}/{}", route_segment("!!!"), route_segment("???")));
    // Every script keeps its letters: no placeholder.
    assert!(note_route("日本語/日本語.md").contains("日本語"));
    // An NFD vault path (macOS) gives the route of its NFC spelling.
    assert_eq!(note_route("E\u{301}te\u{301}.md"), note_route("Été.md"));
}

#[test]
fn frontmatter_is_cut_and_parsed() {
    let text = "---\naliases:\n  - Start here\n  - \"Home\"\ntags: [a, b]\ntitle: Hello\npublish: true\nCover Image: x.png\n---\n# Body\n";
    let (_dir, vault) = vault_of(&[("A.md", text.as_bytes()), ("B.md", b"no\n---\nfront\n---\n")]);
    let note = &vault.notes[0];
    assert_eq!(note.content, "# Body\n");
    let frontmatter = &note.frontmatter;
    assert_eq!(frontmatter["flat"]["aliases"], json!(["Start here", "Home"]));
    assert_eq!(frontmatter["flat"]["title"], json!("Hello"));
    assert_eq!(frontmatter["flat"]["publish"], json!(true));
    assert_eq!(frontmatter["flat"]["coverImage"], json!("x.png"));
    assert_eq!(frontmatter["tags"], json!(["a", "b"]));
    assert_eq!(vault.notes[1].content, "no\n---\nfront\n---\n");
}

#[test]
fn embeds_of_attachments_are_found() {
    let content = "![[a.png]] ![[Engelbart.jpg\\|200]] ![[icon.svg#icon]] ![[Note]] ![[b.PDF|right|300]]\n\
                   ![alt](sub/my%20pic.png \"t\") ![x](https://e.com/y.png) ![[./assets/c.mp3]]";
    let (_dir, vault) = vault_of(&[("N.md", content.as_bytes())]);
    let refs = &vault.notes[0].asset_refs;
    let by_target = |target: &str| refs.iter().find(|r| r["target"] == target).unwrap();
    let mut targets: Vec<&str> = refs.iter().map(|r| r["target"].as_str().unwrap()).collect();
    targets.sort_unstable();
    assert_eq!(targets, ["Engelbart.jpg", "a.png", "b.PDF", "c.mp3", "icon.svg", "sub/my pic.png"]);
    assert_eq!(by_target("sub/my pic.png")["raw"], "![alt](sub/my%20pic.png \"t\")");
    assert_eq!(by_target("b.PDF")["display"]["rawModifiers"], json!(["right", "300"]));
    assert_eq!(vault.unresolved_embeds.len(), 6, "none of them is in the vault");
}

#[test]
fn targets_resolve_by_path_then_suffix_and_a_folder_that_does_not_exist_finds_nothing() {
    let note = "![[a.png]] ![[x/b.png]] ![[yy/c.png]] ![[q/c.png]] ![[d.png]] ![[Café.png]]";
    let (_dir, vault) = vault_of(&[
        ("N.md", note.as_bytes()),
        ("a.png", PNG),
        ("x/b.png", PNG),
        ("long/x/b.png", PNG),
        ("z/c.png", PNG),
        ("zz/yy/c.png", PNG),
        ("Photos/Cafe\u{301}.png", PNG),
    ]);
    let found: Vec<Option<&str>> = vault.notes[0].found.iter().map(Option::as_deref).collect();
    assert_eq!(
        found,
        [
            Some("a.png"),
            Some("x/b.png"),
            Some("zz/yy/c.png"),
            None, // `q/c.png`: no path ends with it (Obsidian, the server and the CLI agree)
            None,
            Some("Photos/Cafe\u{301}.png") // NFC finds NFD
        ]
    );
    let unresolved = |target: &str| ("N.md".to_owned(), target.to_owned());
    assert_eq!(vault.unresolved_embeds, [unresolved("q/c.png"), unresolved("d.png")]);
}

#[test]
fn batches_stay_under_the_limit() {
    let items: Vec<String> =
        ["aaaa", "bbbb", "cccccccccccccccccccccccccccccc", "dd"].iter().map(|s| s.to_string()).collect();
    let batches = cut_batches("{\"notes\":[", items, 24);
    assert_eq!(
        batches,
        ["{\"notes\":[aaaa,bbbb]}", "{\"notes\":[cccccccccccccccccccccccccccccc]}", "{\"notes\":[dd]}"]
    );
    assert!(batches[0].len() <= 24);
}

#[test]
fn a_vault_is_read_as_the_plugin_reads_it() {
    let (_dir, vault) = vault_of(&[
        (".obsidian/app.json", b"{}"),
        ("Attachments/pic.png", PNG),
        ("Notes/A.md", b"---\ntags: [x]\n---\n![[pic.png]] ![[gone.png]] ![[pic.png]]"),
    ]);
    assert_eq!(vault.files, ["Attachments/pic.png", "Notes/A.md"]);
    assert_eq!(vault.notes.len(), 1);
    assert_eq!(vault.notes[0].content, "![[pic.png]] ![[gone.png]] ![[pic.png]]");
    assert_eq!(vault.notes[0].embedded_files, ["Attachments/pic.png"]);
    // The plugin sends a reference written twice once.
    assert_eq!(vault.embeds, 2);
    assert_eq!(vault.unresolved_embeds, [("Notes/A.md".to_owned(), "gone.png".to_owned())]);
    assert_eq!(vault.assets.len(), 1);
    assert!(vault.assets[0].is_image());
    let payload = vault.notes[0].payload();
    assert_eq!(payload["frontmatter"]["tags"], json!(["x"]));
    assert_eq!(payload["assets"].as_array().unwrap().len(), 2);
    assert_eq!(payload["publishedAt"], PUBLISHED_AT);
    assert_eq!(vault.asset_payloads()[0]["vaultPath"], "Attachments/pic.png");
    assert_eq!(vault.asset_payloads()[0]["mimeType"], "image/png");
    assert_eq!(vault.notes[0].route(), "/notes/a");
}

#[test]
fn a_target_beside_its_note_is_that_notes_file() {
    let (_dir, vault) = vault_of(&[
        ("img.png", PNG),
        ("Folder/img.png", b"\x89PNG\r\n\x1a\n1111"),
        ("Folder/Inside.md", b"![[img.png]]"),
        ("Outside.md", b"![[img.png]]"),
    ]);
    let inside = vault.notes.iter().find(|note| note.vault_path == "Folder/Inside.md").unwrap();
    let outside = vault.notes.iter().find(|note| note.vault_path == "Outside.md").unwrap();
    assert_eq!(inside.embedded_files, ["Folder/img.png"]);
    assert_eq!(outside.embedded_files, ["img.png"]);
}
