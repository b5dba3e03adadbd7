//! Canvas pages (`.canvas`, JSON Canvas 1.0), sent by the CLI as notes whose content is the
//! file's JSON: every card and connection on the page, the payloads of untrusted cards inert,
//! the page in navigation, search and backlinks, links and embeds of it from notes, and a
//! canvas that is not valid refused with its code, naming it.

use vps_build::MemoryBlobs;
use vps_core::revision::Revision;

use vps_core::note::Note;

use super::{Publish, html_of, png, route_of};

/// A note as `vps-publish` sends it: a canvas's title is its file's stem.
fn note(vault_path: &str, content: &str) -> Note {
    let mut note = super::note(vault_path, content);
    note.title = note.title.trim_end_matches(".canvas").to_owned();
    note
}

/// The board: a group holding two text cards (one embeds a note), a file card showing a note's
/// section, one showing an image, one naming a file not published, two link cards (one a
/// `javascript:` URL), a text card with a script payload, and three labelled edges.
const BOARD: &str = r###"{
  "nodes": [
    {"id":"group1","type":"group","x":-50,"y":-50,"width":800,"height":400,"label":"Phase one","color":"4"},
    {"id":"intro","type":"text","x":0,"y":0,"width":300,"height":150,"text":"## Kick-off\n\nSee [[Plan]] and #roadmap"},
    {"id":"embed","type":"text","x":400,"y":0,"width":300,"height":150,"text":"![[Embedded]]","color":"#336699"},
    {"id":"plan","type":"file","x":0,"y":500,"width":400,"height":300,"file":"Notes/Plan.md","subpath":"#Goals"},
    {"id":"image","type":"file","x":500,"y":500,"width":300,"height":300,"file":"Images/diagram.png"},
    {"id":"gone","type":"file","x":900,"y":500,"width":300,"height":100,"file":"Private/Secret.md"},
    {"id":"site","type":"link","x":0,"y":900,"width":300,"height":100,"url":"https://obsidian.md/canvas"},
    {"id":"evil-link","type":"link","x":400,"y":900,"width":300,"height":100,"url":"javascript:alert(1)"},
    {"id":"evil","type":"text","x":800,"y":900,"width":300,"height":100,"text":"Payload <script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(2))"},
    {"id":"future","type":"sticker","x":0,"y":0,"width":10,"height":10}
  ],
  "edges": [
    {"id":"e1","fromNode":"intro","fromSide":"right","toNode":"embed","toSide":"left","label":"then"},
    {"id":"e2","fromNode":"intro","toNode":"plan","label":"details","color":"1"},
    {"id":"e3","fromNode":"plan","toNode":"image","fromEnd":"arrow","label":"drawn as"},
    {"id":"e4","fromNode":"future","toNode":"plan"}
  ]
}"###;

fn board_site(blobs: &MemoryBlobs) -> vps_build::Built {
    Publish {
        notes: vec![
            note("Boards/Board.canvas", BOARD),
            note("Notes/Plan.md", "# Plan\n\n## Goals\n\nShip the canvas.\n\n## Later\n\nNot on the board.\n"),
            note("Embedded.md", "Embedded words here."),
            note("Home.md", "Our board: [[Board.canvas]].\n\n![[Board.canvas]]\n"),
        ],
        assets: vec![png("Images/diagram.png", 9)],
        ..Publish::default()
    }
    .on(blobs, &Revision::empty())
}

#[test]
fn a_canvas_page_shows_every_card_and_connection_with_payloads_inert() {
    let blobs = MemoryBlobs::new();
    let built = board_site(&blobs);
    assert_eq!(route_of(&built.revision, "Boards/Board.canvas"), "/boards/board");
    let page = html_of(&blobs, &built, "Boards/Board.canvas");
    let article = page.split("<article").nth(1).unwrap();
    assert!(article.contains("canvas-page"), "{article}");
    assert!(page.contains("<title>Board"), "the title is the file's stem");

    assert_eq!(page.matches("class=\"canvas-node canvas-card").count(), 8, "every card: {page}");
    assert!(page.contains("<h2 class=\"canvas-group-label\">Phase one</h2>"), "{page}");
    assert!(page.contains("canvas-group canvas-color-4"), "{page}");
    assert!(page.contains(r##"data-color="#336699""##), "{page}");
    assert!(page.contains("<h2 id=\"kick-off\">Kick-off</h2>"), "{page}");
    assert!(page.contains("<a class=\"wikilink\" href=\"../notes/plan\""), "the wikilink of a text card: {page}");
    assert!(page.contains("Embedded words here."), "a card that embeds a note: {page}");
    assert!(
        page.contains("Ship the canvas.") && !page.contains("Not on the board."),
        "the file card's section: {page}"
    );
    let image = png("Images/diagram.png", 9).1.sha256;
    assert!(page.contains(&format!("src=\"../_blob/{image}\"")), "the image card: {page}");
    assert!(page.contains("“Secret.md” is not published."), "{page}");
    assert!(page.contains(r#"href="https://obsidian.md/canvas" rel="noopener nofollow ugc""#), "{page}");
    assert!(page.contains(r#"<p class="canvas-link-text">javascript:alert(1)</p>"#), "{page}");

    // Connections: three (the one from the unknown node is left out), each with its label.
    assert_eq!(page.matches("<li class=\"canvas-edge").count(), 3, "{page}");
    for (from, arrow, to, label) in [
        ("Kick-off", "→", "Embedded", "then"),
        ("Kick-off", "→", "Plan.md", "details"),
        ("Plan.md", "↔", "diagram.png", "drawn as"),
    ] {
        let line = format!(
            "<span class=\"canvas-edge-from\">{from}</span> {arrow} <span class=\"canvas-edge-to\">{to}</span>: <span class=\"canvas-edge-label\">{label}</span>"
        );
        assert!(page.contains(&line), "{line} missing: {page}");
    }
    assert!(page.contains(r#"data-from-side="right" data-to-side="left""#), "{page}");

    let content = page.split("<div class=\"canvas\"").nth(1).unwrap();
    for payload in ["<script", "onerror", "href=\"javascript", "alert(2)\""] {
        assert!(!content.contains(payload), "{payload} in {content}");
    }
    assert!(content.contains("Payload"), "{content}");
}

#[test]
fn a_canvas_is_in_navigation_search_and_the_backlinks_of_its_notes() {
    let blobs = MemoryBlobs::new();
    let built = board_site(&blobs);
    let home = html_of(&blobs, &built, "Home.md");
    let nav = home.split("<nav class=\"site-nav\"").nth(1).unwrap().split("</nav>").next().unwrap();
    assert!(nav.contains("<a href=\"boards\" dir=\"auto\">Boards</a>"), "its folder: {nav}");
    let board = html_of(&blobs, &built, "Boards/Board.canvas");
    let nav = board.split("<nav class=\"site-nav\"").nth(1).unwrap().split("</nav>").next().unwrap();
    assert!(nav.contains("<a href=\"board\" aria-current=\"page\" dir=\"auto\">Board</a>"), "{nav}");

    for (query, why) in [
        ("roadmap", "a tag"),
        ("kick-off", "a text card"),
        ("obsidian.md", "a link card"),
        ("phase one", "a group label"),
    ] {
        let hits = built.site.search(query, 10);
        assert!(hits.iter().any(|hit| hit.route == "/boards/board"), "{why}: {}", vps_site::Site::search_json(&hits));
    }
    assert!(built.revision.pages["/boards/board"].tags.contains(&"roadmap".to_owned()));

    let plan = html_of(&blobs, &built, "Notes/Plan.md");
    let backlinks =
        plan.split("<section class=\"backlinks\"").nth(1).expect("backlinks").split("</section>").next().unwrap();
    assert!(backlinks.contains("href=\"../boards/board\"") && backlinks.contains(">Board<"), "{backlinks}");
    let embedded = html_of(&blobs, &built, "Embedded.md");
    assert!(
        embedded.contains("<section class=\"backlinks\""),
        "a note embedded by a card has the board in its backlinks"
    );
}

#[test]
fn notes_link_to_and_embed_a_canvas() {
    let blobs = MemoryBlobs::new();
    let built = board_site(&blobs);
    let home = html_of(&blobs, &built, "Home.md");
    assert!(home.contains(r#"<a class="wikilink" href="boards/board""#), "{home}");
    let embed = home.split("<div class=\"markdown-embed\" data-href=\"boards/board\">").nth(1).expect("an embed");
    assert!(
        embed.contains(
            r#"<a class="markdown-embed-link" href="boards/board" rel="noopener noreferrer">Board.canvas</a>"#
        ),
        "{embed}"
    );
    for card in ["Phase one", "Kick-off", "Embedded words here.", "Ship the canvas.", "https://obsidian.md/canvas"] {
        assert!(embed.contains(card), "{card} missing from the embed: {embed}");
    }
    assert!(!embed.contains("<script") && !embed.contains("onerror"), "{embed}");
}

#[test]
fn a_canvas_that_embeds_itself_or_a_note_that_embeds_it_stops_at_the_cycle() {
    let blobs = MemoryBlobs::new();
    let board = r#"{"nodes":[{"id":"a","type":"text","x":0,"y":0,"width":10,"height":10,"text":"Loop ![[Loop.canvas]] and ![[Note]]"}]}"#;
    let built = Publish {
        notes: vec![note("Loop.canvas", board), note("Note.md", "Note text ![[Loop.canvas]]")],
        ..Publish::default()
    }
    .on(&blobs, &Revision::empty());
    let page = html_of(&blobs, &built, "Loop.canvas");
    assert!(page.contains("Embed cycle"), "{page}");
    assert!(page.contains("Note text"), "{page}");
    let note_page = html_of(&blobs, &built, "Note.md");
    assert!(note_page.contains("Embed cycle"), "{note_page}");
}

#[test]
fn a_canvas_and_a_note_of_the_same_route_both_get_a_page() {
    let blobs = MemoryBlobs::new();
    let board = r#"{"nodes":[{"id":"a","type":"text","x":0,"y":0,"width":10,"height":10,"text":"Board card"}]}"#;
    let built = Publish { notes: vec![note("Plan.canvas", board), note("Plan.md", "Plan note")], ..Publish::default() }
        .on(&blobs, &Revision::empty());
    let (canvas, note_route) = (route_of(&built.revision, "Plan.canvas"), route_of(&built.revision, "Plan.md"));
    assert_ne!(canvas, note_route);
    assert!(html_of(&blobs, &built, "Plan.canvas").contains("Board card"));
    assert!(html_of(&blobs, &built, "Plan.md").contains("Plan note"));
}

#[test]
fn an_invalid_or_oversized_canvas_fails_the_publish_naming_it() {
    let many = format!(
        r#"{{"nodes":[{}]}}"#,
        vec![r#"{"id":"n","type":"text","x":0,"y":0,"width":10,"height":10}"#; 2001].join(",")
    );
    let far = r#"{"nodes":[{"id":"far","type":"text","x":20000000,"y":0,"width":10,"height":10}]}"#;
    for (json, code, says) in [
        ("{\"nodes\": [", "invalid-canvas", "is not a valid JSON Canvas file"),
        (far, "invalid-canvas", "node \"far\": its x"),
        (many.as_str(), "canvas-too-large", "MAX_CANVAS_NODES (2000)"),
    ] {
        let blobs = MemoryBlobs::new();
        let error = Publish { notes: vec![note("Boards/Bad.canvas", json), note("A.md", "a")], ..Publish::default() }
            .try_on(&blobs, &Revision::empty(), None)
            .err()
            .expect("the publish fails");
        assert_eq!(error.code().map(|code| code.as_str()), Some(code), "{error}");
        let message = error.to_string();
        assert!(message.starts_with("canvas \"Boards/Bad.canvas\""), "{message}");
        assert!(message.contains(says), "{message}");
    }
}

#[test]
fn an_unchanged_canvas_is_kept_and_a_changed_note_it_shows_renders_it_again() {
    let blobs = MemoryBlobs::new();
    let first = board_site(&blobs);
    let again = Publish {
        notes: vec![note("Notes/Plan.md", "# Plan\n\n## Goals\n\nShip it twice.\n")],
        assets: vec![png("Images/diagram.png", 9)],
        partial: true,
        ..Publish::default()
    }
    .on_live(&blobs, &first);
    let page = html_of(&blobs, &again, "Boards/Board.canvas");
    assert!(page.contains("Ship it twice."), "the file card follows its note: {page}");
    let unchanged = Publish { partial: true, assets: vec![png("Images/diagram.png", 9)], ..Publish::default() }
        .on_live(&blobs, &again);
    assert_eq!(unchanged.revision.pages["/boards/board"].html_blob, again.revision.pages["/boards/board"].html_blob);
    assert_eq!(unchanged.pages_written, 0, "nothing is rendered or laid out again");
}

#[test]
fn folder_access_rules_apply_to_a_canvas_and_its_file_cards_show_only_what_its_readers_may_see() {
    const HASH: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$iBSgJveR2P3AGhL6t5LYPA$D0l4+WfkMRRnwwf/ANIfY6txf0iHn/jDrvYNHdOqioQ";
    let text = format!(
        "[access]\n[access.readers.alice]\npassword = \"{HASH}\"\ngroups = [\"team\"]\n\
         [[access.rules]]\nfolder = \"Work\"\ngroups = [\"team\"]\n"
    );
    let access = std::sync::Arc::new(vps_access::AccessConfig::from_settings_text(&text).unwrap().unwrap());
    let board = r#"{"nodes":[{"id":"a","type":"file","x":0,"y":0,"width":10,"height":10,"file":"Work/Secret.md"}]}"#;
    let blobs = MemoryBlobs::new();
    let built = Publish {
        notes: vec![
            note("Work/Board.canvas", board),
            note("Public.canvas", board),
            note("Work/Secret.md", "Team eyes only."),
        ],
        access: Some(access),
        ..Publish::default()
    }
    .on(&blobs, &Revision::empty());
    let audience = |path: &str| built.revision.pages[route_of(&built.revision, path)].audience.clone();
    assert_ne!(audience("Work/Board.canvas"), vps_access::Audience::Public, "the folder rule applies");
    assert_eq!(audience("Public.canvas"), vps_access::Audience::Public);
    assert!(html_of(&blobs, &built, "Work/Board.canvas").contains("Team eyes only."), "same readers: shown");
    let public = html_of(&blobs, &built, "Public.canvas");
    assert!(!public.contains("Team eyes only.") && public.contains("“Secret.md” is not published."), "{public}");
}
