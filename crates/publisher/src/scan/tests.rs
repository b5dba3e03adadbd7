use std::path::Path;

use serde_json::json;

use super::*;

/// A vault in a temporary folder, from (vault path, text) pairs.
fn vault(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn config(toml: &str) -> Config {
    Config::parse_toml(toml, Path::new(".vps-publish.toml")).unwrap()
}

/// (vault path, relative path, folderConfig.id, routeBase) of each note, in order.
fn placed(plan: &Plan) -> Vec<(String, String, String, String)> {
    plan.notes
        .iter()
        .map(|n| {
            (
                n.vault_path.clone(),
                n.relative_path.clone(),
                n.folder_config.id.clone(),
                n.folder_config.route_base.clone(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    rows.iter().map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string())).collect()
}

#[test]
fn with_no_configuration_every_note_outside_dot_folders_is_published_at_the_root() {
    let dir = vault(&[
        ("Home.md", "# Home"),
        ("Sub/Deep/Page.MD", "x"),
        (".obsidian/workspace.md", "no"),
        (".trash/Old.md", "no"),
        ("Sub/.hidden.md", "no"),
        ("Sub/.drafts/Secret.md", "no"),
        ("pic.png", "png"),
        ("Canvas.canvas", "{}"),
    ]);
    let plan = scan(dir.path(), &Config::default()).unwrap();
    assert_eq!(
        placed(&plan),
        owned(&[
            ("Canvas.canvas", "Canvas.canvas", "/", "/"),
            ("Home.md", "Home.md", "/", "/"),
            ("Sub/Deep/Page.MD", "Sub/Deep/Page.MD", "/", "/")
        ])
    );
    assert_eq!(plan.inventory, ["Canvas.canvas", "Home.md", "Sub/Deep/Page.MD"]);
    assert_eq!(plan.notes[2].title, "Page");
    assert!(plan.assets.is_empty(), "files nobody references are not published");
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

#[test]
fn notes_take_the_plugins_shape() {
    let dir = vault(&[
        (
            "Blog/Post One.md",
            "---\nCover Image: cover.png\nsite.title: Hi\ntags: [a, b]\npublish: true\n---\nBody ![[cover.png|center|200]]\n\n---\nnot frontmatter\n---\n",
        ),
        ("Blog/cover.png", "png"),
    ]);
    let plan =
        scan(dir.path(), &config("[[routes]]\nsegment = \"blog\"\nvault_folder = \"Blog\"\ndisplay_name = \"Blog\""))
            .unwrap();
    let note = &plan.notes[0];
    assert_eq!(note.title, "Post One");
    assert_eq!(note.vault_path, "Blog/Post One.md");
    assert_eq!(note.relative_path, "Post One.md");
    assert_eq!(note.content, "Body ![[cover.png|center|200]]\n\n---\nnot frontmatter\n---\n");
    assert_eq!(note.frontmatter.flat["coverImage"], json!("cover.png"));
    assert_eq!(note.frontmatter.nested["site"], json!({"title": "Hi"}));
    assert_eq!(note.frontmatter.tags, ["a", "b"]);
    assert_eq!(uuid::Uuid::parse_str(&note.note_id).unwrap().get_version_num(), 4);
    let published_at = note.published_at.as_str().unwrap();
    assert!(published_at.len() == 24 && published_at.ends_with('Z'), "{published_at}");
    let wire = serde_json::to_value(note).unwrap();
    assert_eq!(
        wire["folderConfig"],
        json!({"id": "/blog", "vpsId": "vps-publish-cli", "vaultFolder": "Blog", "routeBase": "/blog",
               "ignoredCleanupRuleIds": [], "displayName": "Blog"})
    );
    assert_eq!(
        wire["assets"],
        json!([
            {"raw": "![[cover.png|center|200]]", "target": "cover.png", "kind": "image",
             "display": {"alignment": "center", "width": 200, "classes": [], "rawModifiers": ["center", "200"]}},
            {"raw": "cover.png", "target": "cover.png", "kind": "image", "display": {"classes": [], "rawModifiers": []}},
        ])
    );
    assert_eq!(plan.assets.len(), 1, "one file, referenced twice");
    assert_eq!(plan.assets[0].vault_path.as_str(), "Blog/cover.png");
    assert_eq!(plan.assets[0].size, 3);
    assert_eq!(plan.assets[0].file, dir.path().join("Blog/cover.png"));
    assert_eq!(plan.assets[0].targets, ["cover.png"]);
}

#[test]
fn the_route_tree_places_notes_as_the_plugin_does() {
    let dir = vault(&[
        ("Home.md", "home"),
        ("Blog/Post.md", "p"),
        ("Blog/2024/Old.md", "o"),
        ("Blog/_index.md", "i"),
        ("Indexes/Guide.md", "g"),
        ("Misc/About.md", "a"),
        ("Misc/v1.5 notes.md", "v"),
        ("Docs/Intro.md", "d"),
        ("Shared/Both.md", "b"),
        ("Extra/E.md", "e"),
        ("Other/Idx.md", "i"),
    ]);
    let config = config(
        r#"
root_index_file = "Home.md"

[[routes]]
id = "blog"
segment = "blog"
vault_folder = "Blog"
flatten_tree = true
custom_index_file = "Blog/_index.md"
additional_files = ["Misc/About.md", "Blog/Post.md", "Misc/v1.5 notes.md", "Misc/Gone.md"]

  [[routes.children]]
  id = "guide"
  segment = "guide"
  custom_index_file = "Indexes/Guide.md"
  additional_files = ["Misc/About.md"]

[[routes]]
id = "docs"
segment = "docs"
vault_folder = "Docs"
custom_index_file = "Indexes/Guide.md"

[[routes]]
id = "extra"
segment = "extra"
vault_folder = "Extra"
custom_index_file = "Other/Idx.md"

[[routes]]
id = "one"
segment = "one"
vault_folder = "Shared"

[[routes]]
id = "two"
segment = "two"
vault_folder = "Shared"
"#,
    );
    let plan = scan(dir.path(), &config).unwrap();
    assert_eq!(
        placed(&plan),
        owned(&[
            // The root index first, under its full path.
            ("Home.md", "Home.md", "root-index", "/"),
            // A folder node: every note below it, relative to the folder…
            ("Blog/2024/Old.md", "2024/Old.md", "blog", "/blog"),
            ("Blog/Post.md", "Post.md", "blog", "/blog"),
            ("Blog/_index.md", "_index.md", "blog", "/blog"),
            // …then its additional files, unless already collected.
            ("Misc/About.md", "__additional__/About", "blog", "/blog"),
            ("Misc/v1.5 notes.md", "__additional__/v1.5 notes", "blog", "/blog"),
            // A pure route: its index under its full path, and its additional files even if
            // collected before.
            ("Indexes/Guide.md", "Indexes/Guide.md", "guide", "/blog/guide"),
            ("Misc/About.md", "__additional__/About", "guide", "/blog/guide"),
            // An index file outside the folder, already collected: not again.
            ("Docs/Intro.md", "Intro.md", "docs", "/docs"),
            // An index file outside the folder, not yet collected: under its full path.
            ("Extra/E.md", "E.md", "extra", "/extra"),
            ("Other/Idx.md", "Other/Idx.md", "extra", "/extra"),
            // Overlapping folders: the note is sent once per node.
            ("Shared/Both.md", "Both.md", "one", "/one"),
            ("Shared/Both.md", "Both.md", "two", "/two"),
        ])
    );
    assert_eq!(plan.notes[0].folder_config.vault_folder, "");
    assert_eq!(plan.notes[1].folder_config.flatten_tree, Some(true));
    assert_eq!(plan.notes[1].folder_config.custom_index_file.as_deref(), Some("Blog/_index.md"));
    assert_eq!(plan.notes[6].folder_config.vault_folder, "", "a pure route has no folder");
    assert_eq!(
        plan.inventory,
        [
            "Blog/2024/Old.md",
            "Blog/Post.md",
            "Blog/_index.md",
            "Docs/Intro.md",
            "Extra/E.md",
            "Home.md",
            "Indexes/Guide.md",
            "Misc/About.md",
            "Misc/v1.5 notes.md",
            "Other/Idx.md",
            "Shared/Both.md"
        ]
    );
    assert_eq!(plan.warnings, ["route /blog: additional file Misc/Gone.md not found"]);
}

#[test]
fn children_of_an_empty_root_segment_get_a_double_slash_as_in_the_plugin() {
    let dir = vault(&[("A.md", "a"), ("Kids/K.md", "k")]);
    let plan = scan(
        dir.path(),
        &config("[[routes]]\nvault_folder = \"\"\n[[routes.children]]\nsegment = \"kids\"\nvault_folder = \"Kids\"\n"),
    )
    .unwrap();
    let kid = plan.notes.iter().find(|n| n.folder_config.id == "/kids").unwrap();
    assert_eq!(kid.folder_config.route_base, "//kids");
    assert_eq!(kid.relative_path, "K.md");
}

#[test]
fn a_missing_vault_folder_is_a_warning() {
    let dir = vault(&[("A.md", "a")]);
    let plan = scan(dir.path(), &config("[[routes]]\nsegment = \"x\"\nvault_folder = \"Nope\"")).unwrap();
    assert!(plan.notes.is_empty());
    assert_eq!(plan.warnings, ["route /x: vault folder Nope not found"]);
}

#[test]
fn ignore_rules_leave_notes_out_and_ignored_tags_do_not() {
    let dir = vault(&[
        ("Draft.md", "---\npublish: false\n---\nx"),
        ("Wip.md", "---\nstatus: [WIP, x]\n---\n![[gone.png]]"),
        ("Tagged.md", "---\ntags: private\n---\n#private text"),
        ("Plain.md", "text"),
    ]);
    let config = config(
        "ignored_tags = [\"private\"]\n[[ignore_rules]]\nproperty = \"publish\"\nignore_if = false\n\
         [[ignore_rules]]\nproperty = \"status\"\nignore_values = [\"wip\"]\n",
    );
    let plan = scan(dir.path(), &config).unwrap();
    assert_eq!(plan.inventory, ["Plain.md", "Tagged.md"]);
    let ignored: Vec<&str> = plan.ignored.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(ignored, ["Draft.md", "Wip.md"]);
    assert!(plan.ignored[0].1.contains("publish"), "{:?}", plan.ignored);
    assert_eq!(
        plan.warnings,
        ["2 note(s) left out by ignore rules"],
        "an ignored note's attachments are not looked for"
    );
}

#[test]
fn bad_frontmatter_publishes_the_note_without_it_and_warns() {
    let dir = vault(&[("Bad.md", "---\ntitle: [unclosed\n---\nBody"), ("Good.md", "ok")]);
    let plan = scan(dir.path(), &Config::default()).unwrap();
    assert_eq!(plan.notes.len(), 2);
    let bad = &plan.notes[0];
    assert_eq!(bad.content, "Body");
    assert_eq!(bad.frontmatter, Frontmatter::default());
    assert_eq!(plan.warnings.len(), 1);
    assert!(plan.warnings[0].starts_with("Bad.md: frontmatter not read"), "{:?}", plan.warnings);
}

#[test]
fn attachments_resolve_as_obsidian_and_each_missing_target_is_warned_once() {
    let dir = vault(&[
        (
            "Notes/A.md",
            "![[pic.png]] ![[logo.svg]] ![[gone.png]] ![[Notes/sub/deep.jpg]] [[doc.pdf]] ![[Other note]] ![[v1.5]]",
        ),
        ("Notes/B.md", "![[gone.png]] ![](../pic.png) ![[also-gone.webp]]"),
        ("Notes/C.md", "![[gone.png]] ![[gone.png|100]]"),
        ("Notes/pic.png", "near"),
        ("pic.png", "root"),
        ("assets/logo.svg", "<svg/>"),
        ("Elsewhere/logo.svg", "<svg/>"),
        ("Notes/sub/deep.jpg", "jpg"),
        ("Files/Long/doc.pdf", "pdf"),
        ("Other note.md", "n"),
        ("v1.5.md", "a note whose name has a dot"),
    ]);
    let config = config("assets_folder = \"assets\"");
    let plan = scan(dir.path(), &config).unwrap();
    let assets: Vec<&str> = plan.assets.iter().map(|a| a.vault_path.as_str()).collect();
    assert_eq!(assets, ["Notes/pic.png", "assets/logo.svg", "Notes/sub/deep.jpg", "Files/Long/doc.pdf", "pic.png"]);
    assert_eq!(
        plan.warnings,
        [
            "attachment `gone.png` not found in the vault (referenced in Notes/A.md and 2 other notes)",
            "attachment `also-gone.webp` not found in the vault (referenced in Notes/B.md)",
        ]
    );
    let a = plan.notes.iter().find(|n| n.vault_path == "Notes/A.md").unwrap();
    let targets: Vec<&str> = a.assets.iter().map(|r| r.target.as_str()).collect();
    // A missing attachment is still referenced, as by the plugin; a note embed is not an asset.
    assert_eq!(targets, ["pic.png", "logo.svg", "gone.png", "Notes/sub/deep.jpg", "doc.pdf"]);

    // Without the vault fallback, only the note's folder and the assets folder are searched.
    let strict = Config { assets_vault_fallback: false, ..config };
    let plan = scan(dir.path(), &strict).unwrap();
    let assets: Vec<&str> = plan.assets.iter().map(|a| a.vault_path.as_str()).collect();
    assert_eq!(assets, ["Notes/pic.png", "assets/logo.svg", "Notes/sub/deep.jpg", "pic.png"]);
    assert!(plan.warnings.iter().any(|w| w.contains("`doc.pdf`")));
}

#[test]
fn callout_styles_are_read_from_the_vault_even_in_dot_folders() {
    let dir = vault(&[(".obsidian/snippets/c.css", ".callout[data-callout='x']{}"), ("A.md", "a")]);
    let config = config("callout_styles = [\".obsidian/snippets/c.css\", \"missing.css\"]");
    let plan = scan(dir.path(), &config).unwrap();
    assert_eq!(
        plan.callout_styles,
        [CalloutStyle { path: ".obsidian/snippets/c.css".into(), css: ".callout[data-callout='x']{}".into() }]
    );
    assert_eq!(plan.warnings.len(), 1);
    assert!(plan.warnings[0].starts_with("callout style missing.css not read"));
}

#[test]
fn cleanup_rules_in_the_plan_are_the_active_ones() {
    let dir = vault(&[("A.md", "a")]);
    let config = config(
        "[[cleanup_rules]]\nid = \"on\"\nregex = \"x\"\n[[cleanup_rules]]\nid = \"off\"\nregex = \"y\"\nenabled = false\n\
         [[cleanup_rules]]\nid = \"empty\"\nregex = \" \"\n",
    );
    let plan = scan(dir.path(), &config).unwrap();
    assert_eq!(plan.cleanup_rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["on"]);
}

#[test]
fn a_missing_vault_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = scan(&dir.path().join("nope"), &Config::default()).unwrap_err();
    assert!(matches!(err, ScanError::Vault { .. }), "{err}");
}

#[test]
fn a_byte_order_mark_does_not_hide_the_frontmatter() {
    let dir = vault(&[("A.md", "\u{feff}---\ntitle: T\n---\nbody")]);
    let plan = scan(dir.path(), &Config::default()).unwrap();
    assert_eq!(plan.notes[0].content, "body");
    assert_eq!(plan.notes[0].frontmatter.flat["title"], json!("T"));
}

#[test]
fn attachments_resolve_as_the_server_shows_them() {
    let dir = vault(&[
        ("Notes/A.md", "![[img.png]] ![[photo.png]] ![[nowhere/pic.png]]"),
        ("img.png", "root"),
        ("Notes/img.png", "next to the note"),
        ("a/b/photo.png", "two folders"),
        ("very-long-folder-name/photo.png", "one folder"),
        ("Elsewhere/pic.png", "not in nowhere/"),
    ]);
    let plan = scan(dir.path(), &Config::default()).unwrap();
    let assets: Vec<&str> = plan.assets.iter().map(|a| a.vault_path.as_str()).collect();
    // Next to the note before the vault root; by name, the fewest folders before the shortest
    // path; a target with folders only matches a path that ends with it.
    assert_eq!(assets, ["Notes/img.png", "very-long-folder-name/photo.png"]);
    assert_eq!(plan.warnings, ["attachment `nowhere/pic.png` not found in the vault (referenced in Notes/A.md)"]);
}

/// A drawing as the Excalidraw plugin writes it: the scene is compressed in a comment.
const DRAWING: &str = "---\nexcalidraw-plugin: parsed\ntags: [excalidraw]\n---\n\
    ==⚠  Switch to EXCALIDRAW VIEW in the MORE OPTIONS menu of this document. ⚠==\n\n\
    # Excalidraw Data\n## Text Elements\nHello ^a1\n\n%%\n## Drawing\n```compressed-json\nN4KAkARALgngDgUwgLgAQQQDwMYEMA2AlgCYBOuA7\n```\n%%\n";

#[test]
fn a_drawing_embed_uploads_the_export_beside_the_drawing_never_the_drawing() {
    let dir = vault(&[
        ("Post.md", "![[Plan.excalidraw|400]] [[Plan.excalidraw.md]] ![[Old.excalidraw]] ![[Bare.excalidraw]]"),
        ("Drawings/Plan.excalidraw.md", DRAWING),
        ("Drawings/Plan.excalidraw.svg", "<svg/>"),
        ("Drawings/Plan.excalidraw.png", "png"),
        ("Old.excalidraw", "{\"type\":\"excalidraw\"}"),
        ("Old.png", "png"),
        ("Bare.excalidraw.md", DRAWING),
    ]);
    let plan = scan(dir.path(), &Config::default()).unwrap();
    let assets: Vec<&str> = plan.assets.iter().map(|a| a.vault_path.as_str()).collect();
    assert_eq!(assets, ["Drawings/Plan.excalidraw.svg", "Old.png"], "SVG first; the legacy file's PNG");
    assert_eq!(plan.assets[0].targets, ["Plan.excalidraw.svg"]);

    let post = plan.notes.iter().find(|n| n.vault_path == "Post.md").unwrap();
    let refs: Vec<(&str, &str)> = post.assets.iter().map(|r| (r.target.as_str(), r.kind.as_str())).collect();
    assert_eq!(refs, [("Plan.excalidraw.svg", "image"), ("Old.png", "image"), ("Plan.excalidraw.svg", "image")]);
    assert_eq!(post.assets[0].display["width"], json!(400));

    // The drawing's note is sent as an embed of itself: its page shows the export, not its scene.
    let drawing = plan.notes.iter().find(|n| n.vault_path == "Drawings/Plan.excalidraw.md").unwrap();
    assert_eq!(drawing.content, "![[Plan.excalidraw.md]]\n");
    assert_eq!(drawing.frontmatter.flat["excalidrawPlugin"], json!("parsed"));
    assert_eq!(drawing.assets.iter().map(|r| r.target.as_str()).collect::<Vec<_>>(), ["Plan.excalidraw.svg"]);

    // A drawing without export is said once, with how to make one; never "attachment not found".
    let about_bare: Vec<&String> = plan.warnings.iter().filter(|w| w.contains("Bare.excalidraw")).collect();
    assert_eq!(about_bare.len(), 1, "{:?}", plan.warnings);
    assert!(
        about_bare[0].starts_with(
            "drawing `Bare.excalidraw.md` (referenced in Bare.excalidraw.md) has no exported image in the vault \
             (such as `Bare.excalidraw.svg`)"
        ),
        "{}",
        about_bare[0]
    );
    assert!(about_bare[0].contains("Auto-export SVG"), "{}", about_bare[0]);
    assert!(!plan.warnings.iter().any(|w| w.contains("not found")), "{:?}", plan.warnings);
}

#[test]
fn canvases_are_sent_as_notes_with_their_json_and_the_files_their_cards_show() {
    let board = r##"{"nodes":[
        {"id":"a","type":"file","file":"Pics/diagram.png","x":0,"y":0,"width":10,"height":10},
        {"id":"b","type":"file","file":"Docs/Paper.pdf","x":0,"y":20,"width":10,"height":10},
        {"id":"c","type":"file","file":"Notes/Plan.md","subpath":"#Goals","x":0,"y":40,"width":10,"height":10},
        {"id":"d","type":"text","text":"![[photo.jpg]] and ![[Other.canvas]]","x":0,"y":60,"width":10,"height":10}]}"##;
    let dir = vault(&[
        ("Boards/Board.canvas", board),
        ("Boards/Other.canvas", "{}"),
        ("Boards/Broken.canvas", "{nope"),
        ("Drafts/Hidden.canvas", "{}"),
        ("Pics/diagram.png", "png"),
        ("Pics/photo.jpg", "jpg"),
        ("Docs/Paper.pdf", "pdf"),
        ("Notes/Plan.md", "# Plan"),
        ("Home.md", "![[Board.canvas]] [[Other.canvas]]"),
    ]);
    let config = config(
        r#"
[[routes]]
segment = ""
vault_folder = "Boards"
[[routes]]
segment = "notes"
vault_folder = "Notes"
[[routes]]
segment = "home"
additional_files = ["Home.md"]
"#,
    );
    let plan = scan(dir.path(), &config).unwrap();
    let board = plan.notes.iter().find(|note| note.vault_path == "Boards/Board.canvas").expect("the canvas is sent");
    assert_eq!(board.title, "Board");
    assert_eq!(board.relative_path, "Board.canvas");
    assert!(board.content.contains("\"Pics/diagram.png\""), "its JSON, as written");
    assert!(board.frontmatter.flat.is_empty());
    let mut targets: Vec<&str> = board.assets.iter().map(|asset| asset.target.as_str()).collect();
    targets.sort_unstable();
    assert_eq!(targets, ["Docs/Paper.pdf", "Pics/diagram.png", "photo.jpg"]);
    let mut uploaded: Vec<&str> = plan.assets.iter().map(|asset| asset.vault_path.as_str()).collect();
    uploaded.sort_unstable();
    assert_eq!(uploaded, ["Docs/Paper.pdf", "Pics/diagram.png", "Pics/photo.jpg"], "never a canvas as an attachment");
    assert!(plan.inventory.contains(&"Boards/Other.canvas".to_owned()));
    assert!(!plan.inventory.contains(&"Drafts/Hidden.canvas".to_owned()), "outside the routes' folders");
    assert!(plan.inventory.contains(&"Boards/Broken.canvas".to_owned()), "sent: the server names what is wrong");
    assert!(
        plan.warnings.iter().any(|w| w.starts_with("canvas Boards/Broken.canvas is not a valid JSON Canvas file")
            && w.contains("invalid-canvas")),
        "{:?}",
        plan.warnings
    );
}
