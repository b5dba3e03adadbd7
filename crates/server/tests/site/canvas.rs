//! Canvas pages as readers meet them: a vault with a `.canvas` published by the CLI's publisher
//! (`vps_publisher`, as `vps-publish publish` runs it), its page read over HTTP without
//! JavaScript (every card and connection listed, in reading order) and in headless Chromium (the
//! cards at their coordinates, one SVG path per connection, zoom changing the scale, no console
//! error).

use std::path::Path;

use serde_json::json;
use vps_server::test_util::{TestApp, spawn_app};

use crate::helpers::KEY;

/// Two cards side by side in a group (A left of B), a file card showing a note's section below
/// them, an image card, a link card; three connections, two labelled.
const BOARD: &str = r###"{
  "nodes": [
    {"id":"g","type":"group","x":-40,"y":-60,"width":840,"height":300,"label":"Sprint","color":"5"},
    {"id":"a","type":"text","x":0,"y":0,"width":300,"height":200,"text":"# Card A\n\nStart with [[Plan]]."},
    {"id":"b","type":"text","x":460,"y":0,"width":300,"height":200,"text":"# Card B\n\n<script>alert(1)</script>","color":"#aa3355"},
    {"id":"plan","type":"file","x":0,"y":400,"width":400,"height":250,"file":"Notes/Plan.md","subpath":"#Goals"},
    {"id":"pic","type":"file","x":500,"y":400,"width":250,"height":250,"file":"Pics/diagram.png"},
    {"id":"web","type":"link","x":900,"y":400,"width":300,"height":120,"url":"https://jsoncanvas.org/"}
  ],
  "edges": [
    {"id":"e1","fromNode":"a","fromSide":"right","toNode":"b","toSide":"left","label":"leads to"},
    {"id":"e2","fromNode":"a","fromSide":"bottom","toNode":"plan","toSide":"top","label":"explained in"},
    {"id":"e3","fromNode":"plan","toNode":"pic","fromEnd":"arrow"}
  ]
}"###;

/// Publishes the board's vault with the CLI's publisher; the app and the vault's folder.
async fn publish_board() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::Builder::new().prefix("canvas-vault-").tempdir().unwrap();
    let files: [(&str, Vec<u8>); 4] = [
        ("Boards/Board.canvas", BOARD.into()),
        ("Notes/Plan.md", "# Plan\n\n## Goals\n\nShip the board.\n\n## Later\n\nNot on it.\n".into()),
        ("Home.md", "# Home\n\nSee [[Board.canvas]].\n".into()),
        ("Pics/diagram.png", vps_testkit::image_png(200, 120, [40, 120, 200])),
    ];
    for (path, bytes) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let app = spawn_app().await;
    let config = vps_publisher::Config::load(dir.path(), None).unwrap();
    let plan = vps_publisher::scan(dir.path(), &config).unwrap();
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    let publication = vps_publisher::Publication::prepare(plan, &config, &()).unwrap();
    let client = vps_client::Client::new(&app.base, KEY).unwrap();
    let server = vps_publisher::Server::connect(client).await.unwrap();
    let summary = vps_publisher::publish(&server, &publication, &()).await.unwrap();
    assert_eq!(summary.pages_published, 3, "{summary:?}");
    assert_eq!(summary.assets_uploaded, 1, "the image a file card shows: {summary:?}");
    (app, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canvas_published_with_the_cli_is_a_page_that_lists_every_card_and_connection_without_javascript() {
    let (app, _dir) = publish_board().await;
    let (status, body) = app.get("/boards/board").await;
    assert_eq!(status, 200);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("<title>Board"), "titled with the file's stem");
    let content = &page[page.find("<div class=\"canvas\"").expect("the canvas")..];
    let content = &content[..content.find("<!--/note-content-->").unwrap()];

    // Every card, in reading order: the group (A, B), then the row below (Plan, image, link).
    let order = ["Sprint", "Card A", "Card B", "Ship the board.", "_blob/", "https://jsoncanvas.org/"];
    let at: Vec<usize> =
        order.iter().map(|card| content.find(card).unwrap_or_else(|| panic!("{card}: {content}"))).collect();
    assert!(at.windows(2).all(|pair| pair[0] < pair[1]), "reading order {at:?}: {content}");
    assert_eq!(content.matches("class=\"canvas-node canvas-card").count(), 5);
    assert!(!content.contains("Not on it."), "only the file card's section");
    assert!(!content.contains("<script"), "{content}");
    assert!(content.contains("href=\"../notes/plan\""), "the text card's wikilink");

    // Every connection, as "From → To: label".
    let connections = &content[content.find("<section class=\"canvas-connections\">").expect("the connections")..];
    assert_eq!(connections.matches("<li class=\"canvas-edge").count(), 3);
    for line in [
        "Card A</span> → <span class=\"canvas-edge-to\">Card B</span>: <span class=\"canvas-edge-label\">leads to</span>",
        "Card A</span> → <span class=\"canvas-edge-to\">Plan.md</span>: <span class=\"canvas-edge-label\">explained in</span>",
        "Plan.md</span> ↔ <span class=\"canvas-edge-to\">diagram.png</span>",
    ] {
        assert!(connections.contains(line), "{line}: {connections}");
    }

    // The note the file card shows has the board in its backlinks; the home note links to it.
    let (_, plan) = app.get("/notes/plan").await;
    let plan = String::from_utf8(plan).unwrap();
    assert!(plan.contains("<a href=\"../boards/board\" dir=\"auto\">Board</a>"), "a backlink");
    let (_, home) = app.get("/").await;
    assert!(String::from_utf8(home).unwrap().contains("href=\"boards/board\""), "[[Board.canvas]]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_canvas_is_laid_out_at_its_coordinates_with_its_edges_drawn_and_zooms() {
    use crate::access::wait_until;
    use crate::browser::{CHROMEDRIVER, CHROMIUM, browser_available, severe_entries};
    use vps_testkit::webdriver::{Browser, Chromedriver};
    if !browser_available("in_chromium_a_canvas_is_laid_out_…") {
        return;
    }
    let (app, _dir) = publish_board().await;
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    let run = |script: &'static str| {
        let browser = &browser;
        async move { browser.execute(script, json!([])).await.expect("execute script") }
    };
    browser.navigate(&app.url("/boards/board")).await.unwrap();
    wait_until(&browser, "return !!document.querySelector('.canvas-live .canvas-viewport')", "the canvas laid out")
        .await;

    let boxes = "const box = (id) => document.querySelector(`.canvas-node[data-node='${id}']`).getBoundingClientRect();
         const a = box(1), b = box(2), plan = box(3);
         return [a.left, a.right, a.top, a.width, b.left, b.top, plan.top, a.bottom];";
    let before = browser.execute(boxes, json!([])).await.unwrap();
    let n = |value: &serde_json::Value, i: usize| value[i].as_f64().unwrap();
    let (a_right, a_top, a_width, b_left, b_top) =
        (n(&before, 1), n(&before, 2), n(&before, 3), n(&before, 4), n(&before, 5));
    assert!(b_left > a_right, "card B (x = 460) is right of card A (x = 0, width 300): {before}");
    assert!((a_top - b_top).abs() < 1.0, "on one row: {before}");
    assert!(n(&before, 6) > n(&before, 7), "the file card (y = 400) is below card A: {before}");
    assert!(a_width > 10.0, "{before}");
    // The ratio of the gap to the width is the canvas's: (460 - 300) / 300.
    let ratio = (b_left - a_right) / a_width;
    assert!((ratio - 160.0 / 300.0).abs() < 0.05, "drawn to scale: {ratio}");

    let paths = run("return document.querySelectorAll('.canvas-edges path.canvas-edge-line').length").await;
    assert_eq!(paths, json!(3), "one path per connection");
    let arrows = run("return document.querySelectorAll('.canvas-edges .canvas-edge-arrow').length").await;
    assert_eq!(arrows, json!(4), "an arrow at each `arrow` end (one edge has two)");
    let labels = run("return [...document.querySelectorAll('.canvas-edges text')].map(t => t.textContent)").await;
    assert_eq!(labels, json!(["leads to", "explained in"]));
    let drawn = run("const p = document.querySelector('.canvas-edges path'); return p.getTotalLength()").await;
    assert!(drawn.as_f64().unwrap() > 50.0, "{drawn}");

    // Zoom in with the + button: the scale and the cards grow; "Fit" brings it back.
    let scale = run("return parseFloat(document.querySelector('.canvas').getAttribute('data-scale'))").await;
    run("document.querySelector('.canvas-controls button[aria-label=\"Zoom in\"]').click(); return true").await;
    let zoomed = run("return parseFloat(document.querySelector('.canvas').getAttribute('data-scale'))").await;
    assert!((zoomed.as_f64().unwrap() / scale.as_f64().unwrap() - 1.25).abs() < 0.01, "{scale} → {zoomed}");
    let width =
        run("return document.querySelector(\".canvas-node[data-node='1']\").getBoundingClientRect().width").await;
    assert!(
        (width.as_f64().unwrap() / a_width - 1.25).abs() < 0.02,
        "the card grows with the scale: {a_width} → {width}"
    );
    // The keyboard: the view has focus, `-` zooms out, an arrow key pans.
    run("document.querySelector('.canvas-viewport').focus(); return true").await;
    for (key, code) in [("-", "Minus"), ("ArrowLeft", "ArrowLeft")] {
        for kind in ["keyDown", "keyUp"] {
            let params = json!({"type": kind, "key": key, "code": code});
            browser.cdp("Input.dispatchKeyEvent", params).await.unwrap();
        }
    }
    let after = run("return parseFloat(document.querySelector('.canvas').getAttribute('data-scale'))").await;
    assert!((after.as_f64().unwrap() - zoomed.as_f64().unwrap() * 0.8).abs() < 0.01, "{zoomed} → {after}");
    let moved =
        run("return document.querySelector(\".canvas-node[data-node='1']\").getBoundingClientRect().left").await;
    let expected_left = n(&before, 0); // same scale as at first, moved right by the arrow key
    assert!(moved.as_f64().unwrap() > expected_left + 30.0, "ArrowLeft moves the view: {expected_left} → {moved}");
    run(
        "document.querySelector('.canvas-controls button[aria-label=\"Fit the canvas in view\"]').click(); return true",
    )
    .await;
    let fitted = run("return parseFloat(document.querySelector('.canvas').getAttribute('data-scale'))").await;
    assert_eq!(fitted, scale, "Fit returns to the first view");

    let log = browser.browser_log().await.expect("the browser log");
    severe_entries(&log, &app.base).expect("no console errors");
    browser.delete().await.expect("the session ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_canvas_fails_the_cli_publish_naming_it_and_the_live_site_stays() {
    let (app, dir) = publish_board().await;
    std::fs::write(dir.path().join("Boards/Board.canvas"), "{\"nodes\": [").unwrap();
    std::fs::write(dir.path().join("Notes/Plan.md"), "# Plan\n\nChanged.\n").unwrap();
    let config = vps_publisher::Config::load(dir.path(), None).unwrap();
    let plan = vps_publisher::scan(dir.path(), &config).unwrap();
    assert!(plan.warnings.iter().any(|w| w.contains("Boards/Board.canvas") && w.contains("invalid-canvas")));
    let publication = vps_publisher::Publication::prepare(plan, &config, &()).unwrap();
    let client = vps_client::Client::new(&app.base, KEY).unwrap();
    let server = vps_publisher::Server::connect(client).await.unwrap();
    let error = vps_publisher::publish(&server, &publication, &()).await.expect_err("the publish fails");
    let message = error.to_string();
    assert!(message.contains("canvas \"Boards/Board.canvas\" is not a valid JSON Canvas file"), "{message}");
    let (status, body) = app.get("/boards/board").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(body).unwrap().contains("Card A"), "the live board is unchanged");
    let (_, plan) = app.get("/notes/plan").await;
    assert!(!String::from_utf8(plan).unwrap().contains("Changed."), "nothing of the failed publish is live");
}
