//! The graph, link previews and the theme toggle (issue 16), as readers meet them: the graph
//! document and previews over HTTP for an anonymous reader and a logged-in one (the access
//! fixture: protected pages are no node and have no preview for strangers), then a small vault
//! in headless Chromium — the local graph draws its page's neighbours and a click on a node
//! opens its page, hovering a link shows its target's text, the theme toggle switches and
//! survives a reload with no flash of the wrong theme, the global graph draws every page.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};
use vps_server::test_util::{TestApp, spawn_app};
use vps_testkit::vault::{self, Vault};

use crate::access::{ALICE_PASSWORD, Visitor, anonymous, publish_protected, wait_until};
use crate::browser::{CHROMEDRIVER, CHROMIUM, browser_available, luminance, parse_css_color, severe_entries};
use crate::helpers::KEY;

/// The graph document as (node routes, edges by route).
fn read_graph(body: &str) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let graph: Value = serde_json::from_str(body).expect("the graph is JSON");
    let nodes: Vec<String> =
        graph["nodes"].as_array().unwrap().iter().map(|n| n["r"].as_str().unwrap().to_owned()).collect();
    let edges = graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (nodes[e[0].as_u64().unwrap() as usize].clone(), nodes[e[1].as_u64().unwrap() as usize].clone()))
        .collect();
    (nodes.into_iter().collect(), edges)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn edges(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graph_and_previews_show_each_reader_what_they_may_read() {
    let site = publish_protected(None).await;
    let alice =
        Visitor { name: "alice", cookie: Some(site.login("alice", ALICE_PASSWORD).await.unwrap()), share_query: None };
    let stranger = anonymous();

    // Everyone: the public, listed pages; a link to a protected page is no edge. (The home note
    // is served at `/`; the board's note, the team's folder and the unlisted draft are absent.)
    let answer = site.get(&stranger, "/_graph.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/json");
    let (nodes, links) = read_graph(&answer.body);
    assert_eq!(nodes, set(&["/", "/public/guide"]), "{}", answer.body);
    assert_eq!(links, edges(&[("/", "/public/guide")]));

    // Alice (team): her view's graph, privately.
    let answer = site.get(&alice, "/_graph.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.headers["cache-control"].to_str().unwrap().contains("private"));
    let (nodes, links) = read_graph(&answer.body);
    assert_eq!(nodes, set(&["/", "/public/guide", "/work/second", "/work/zephyr-roadmap"]), "{}", answer.body);
    // A public page links only to what all its readers may see: the home note's link to the
    // team's note is plain text on the page, and no edge for anyone.
    assert_eq!(
        links,
        edges(&[
            ("/", "/public/guide"),
            ("/work/zephyr-roadmap", "/public/guide"),
            ("/work/second", "/work/zephyr-roadmap"),
        ])
    );

    // The local graph panel without JavaScript: the guide's neighbours as links.
    let guide = site.get(&stranger, "/public/guide").await.body;
    let panel = &guide[guide.find("<aside class=\"local-graph\"").expect("a local graph panel")..];
    let panel = &panel[..panel.find("</aside>").unwrap()];
    assert!(panel.contains(">Home</a>") && !panel.contains("Zephyr"), "{panel}");
    let guide = site.get(&alice, "/public/guide").await.body;
    assert!(guide.contains(">Zephyr Roadmap</a></li>"), "alice's panel lists the team's note");

    // Previews: a public page for everyone, the team's page for alice only, no unlisted page.
    let preview = site.get(&stranger, "/_preview?path=%2Fpublic%2Fguide").await;
    assert_eq!(preview.status, StatusCode::OK);
    let body: Value = serde_json::from_str(&preview.body).unwrap();
    assert_eq!(body["title"], "Guide");
    assert!(body["text"].as_str().unwrap().contains("A public guide"), "{body}");
    for path in ["/work/zephyr-roadmap", "/notes/board-minutes", "/notes/hidden-draft", "/nowhere", "/_blob/x"] {
        let answer = site.get(&stranger, &format!("/_preview?path={path}")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        let error: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(error["code"], "route-not-found", "{path}: a stable code");
        assert!(!answer.body.contains("quokka") && !answer.body.contains("Zephyr"), "{path}: nothing leaks");
    }
    let preview = site.get(&alice, "/_preview?path=/work/zephyr-roadmap").await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("quokkasecret"), "{}", preview.body);
    assert_eq!(site.get(&alice, "/_preview?path=/notes/hidden-draft").await.status, StatusCode::NOT_FOUND);
    // Bounded input.
    let long = format!("/_preview?path=/{}", "a".repeat(10_000));
    assert_eq!(site.get(&stranger, &long).await.status, StatusCode::NOT_FOUND);

    // The global graph page: for everyone, and in alice's view.
    let graph_page = site.get(&stranger, "/graph").await;
    assert_eq!(graph_page.status, StatusCode::OK);
    assert!(graph_page.body.contains("class=\"global-graph\"") && graph_page.body.contains("<noscript>"));
    assert!(site.get(&alice, "/graph").await.body.contains("class=\"global-graph\""));
}

/// A small vault: a hub linking to three notes, two of them linking on, one note alone.
fn write_vault(root: &Path) -> Vault {
    let files: Vec<(&str, String)> = vec![
        ("Home.md", "# Home\n\nStart at the [[Hub]].\n".into()),
        (
            "Hub.md",
            "# Hub\n\nThe hub links to [[Alpha]], [[Beta]] and [[Gamma#Details]].\n\n## More\n\nNothing else.\n".into(),
        ),
        ("Alpha.md", "# Alpha\n\nAlpha is the first letter. See [[Beta]].\n".into()),
        ("Beta.md", "# Beta\n\nBeta follows alpha.\n".into()),
        (
            "Gamma.md",
            "# Gamma\n\nGamma opens here.\n\n## Details\n\nThe capybaradetail of gamma.\n\n## Other\n\nUnrelated.\n"
                .into(),
        ),
        ("Alone.md", "# Alone\n\nNo links at all.\n".into()),
    ];
    for (path, text) in files {
        std::fs::write(root.join(path), text).unwrap();
    }
    vault::scan(root).unwrap()
}

async fn publish_small() -> (TestApp, tempfile::TempDir) {
    let app = spawn_app().await;
    let dir = tempfile::Builder::new().prefix("graph-vault-").tempdir().unwrap();
    let vault = write_vault(dir.path());
    let plugin = vps_testkit::Plugin::new(&app.base, KEY);
    let done = plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
    (app, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_graph_draws_and_opens_pages_previews_show_and_the_theme_is_remembered() {
    use vps_testkit::webdriver::{Browser, Chromedriver};
    if !browser_available("in_chromium_the_graph_draws_…") {
        return;
    }
    let (app, _dir) = publish_small().await;
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    let run = |script: &'static str| {
        let browser = &browser;
        async move { browser.execute(script, json!([])).await.expect("execute script") }
    };
    let click_at = |x: f64, y: f64| {
        let browser = &browser;
        async move {
            for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
                let params = json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1});
                browser.cdp("Input.dispatchMouseEvent", params).await.expect("a mouse event");
            }
        }
    };

    // The hub's local graph: itself and its four neighbours (home links to it; it links to
    // three), as many as its panel lists for readers without JavaScript.
    browser.navigate(&app.url("/hub")).await.unwrap();
    wait_until(&browser, "return !!document.querySelector('.local-graph[data-drawn-ms]')", "the local graph").await;
    let nodes = run("return document.querySelector('.local-graph').getAttribute('data-nodes')").await;
    let listed = run("return document.querySelectorAll('.local-graph .graph-neighbours li').length").await;
    assert_eq!(nodes, json!("5"), "the hub and its neighbours");
    assert_eq!(listed, json!(4), "the panel's list: the same neighbours");
    let canvas = run("const c = document.querySelector('.local-graph canvas'); return [c.width, c.height]").await;
    assert!(canvas[0].as_u64().unwrap() > 0 && canvas[1].as_u64().unwrap() > 0, "{canvas}");

    // A click on the node of Beta opens Beta (once the layout has settled a little).
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let at = run("const g = window.vpsGraphs[0]; const i = g.nodeIndex('/beta');
         g.holder.scrollIntoView({block: 'center'});
         const p = g.nodePosition(i); return [p.x, p.y];")
    .await;
    click_at(at[0].as_f64().unwrap(), at[1].as_f64().unwrap()).await;
    wait_until(&browser, "return location.pathname === '/beta'", "Beta opened from the graph").await;

    // Hovering a link shows its target's first section; a link to a heading shows that section.
    browser.navigate(&app.url("/hub")).await.unwrap();
    wait_until(&browser, "return document.readyState === 'complete'", "the hub").await;
    for (selector, expected) in
        [("a[href='alpha']", "Alpha is the first letter"), ("a[href^='gamma#']", "capybaradetail")]
    {
        let script = format!(
            "const a = document.querySelector(\".markdown-body {selector}\"); a.scrollIntoView({{block: 'center'}});
             const r = a.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];"
        );
        let at = browser.execute(&script, json!([])).await.unwrap();
        let params = json!({"type": "mouseMoved", "x": at[0], "y": at[1]});
        browser.cdp("Input.dispatchMouseEvent", params).await.unwrap();
        let shown = format!(
            "const box = document.querySelector('.link-preview'); return !!box && !box.hidden && box.textContent.includes({})",
            serde_json::to_string(expected).unwrap()
        );
        wait_until(&browser, &shown, expected).await;
        let params = json!({"type": "mouseMoved", "x": 1, "y": 1});
        browser.cdp("Input.dispatchMouseEvent", params).await.unwrap();
        wait_until(&browser, "const b = document.querySelector('.link-preview'); return !b || b.hidden", "closed")
            .await;
    }
    // By keyboard: focusing a link shows its preview, Escape closes it.
    run("document.querySelector(\".markdown-body a[href='beta']\").focus(); return true").await;
    wait_until(&browser, "const b = document.querySelector('.link-preview'); return !!b && !b.hidden && b.textContent.includes('Beta follows')", "a focused link's preview").await;
    let described = run("return document.activeElement.getAttribute('aria-describedby')").await;
    assert_eq!(described, json!("link-preview"));
    browser
        .cdp(
            "Input.dispatchKeyEvent",
            json!({"type": "keyDown", "key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27}),
        )
        .await
        .unwrap();
    wait_until(&browser, "return document.querySelector('.link-preview').hidden", "Escape closes it").await;

    // The theme: the toggle cycles system → light → dark; dark is remembered and applied before
    // the first paint of the next page (recorded when <body> first exists).
    let record = "new MutationObserver((_, observer) => { if (document.body) { window.firstTheme = document.documentElement.getAttribute('data-theme'); window.firstBackground = getComputedStyle(document.documentElement).getPropertyValue('--bg').trim(); observer.disconnect(); } }).observe(document, {childList: true, subtree: true});";
    browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": record})).await.unwrap();
    browser
        .cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}))
        .await
        .unwrap();
    browser.navigate(&app.url("/alpha")).await.unwrap();
    wait_until(&browser, "return !!document.querySelector('button.theme-toggle:not([hidden])')", "the toggle shown")
        .await;
    let state = run("return document.querySelector('button.theme-toggle').getAttribute('data-state')").await;
    assert_eq!(state, json!("system"));
    run("document.querySelector('button.theme-toggle').click(); return true").await;
    assert_eq!(run("return document.documentElement.getAttribute('data-theme')").await, json!("light"));
    run("document.querySelector('button.theme-toggle').click(); return true").await;
    assert_eq!(run("return document.documentElement.getAttribute('data-theme')").await, json!("dark"));
    let background = |value: Value| -> f64 {
        let rgba = parse_css_color(value.as_str().unwrap()).expect("a colour");
        luminance([rgba[0], rgba[1], rgba[2]])
    };
    let dark = background(run("return getComputedStyle(document.body).backgroundColor").await);
    assert!(dark < 0.3, "dark chosen under a light system: the page is dark ({dark:.2})");
    browser.navigate(&app.url("/beta")).await.unwrap();
    wait_until(&browser, "return document.readyState === 'complete'", "the next page").await;
    assert_eq!(run("return window.firstTheme").await, json!("dark"), "dark before the first paint");
    assert_eq!(run("return window.firstBackground").await, json!("#16181d"), "the dark colours at first paint");
    let dark_again = background(run("return getComputedStyle(document.body).backgroundColor").await);
    assert!(dark_again < 0.3, "remembered across pages ({dark_again:.2})");
    // Back to system: a light system gives a light page.
    run("document.querySelector('button.theme-toggle').click(); return true").await;
    assert_eq!(run("return document.documentElement.hasAttribute('data-theme')").await, json!(false));
    let light = background(run("return getComputedStyle(document.body).backgroundColor").await);
    assert!(light > 0.7, "system under a light system: light ({light:.2})");

    // The global graph: every page a node.
    browser.navigate(&app.url("/graph")).await.unwrap();
    wait_until(&browser, "return !!document.querySelector('.global-graph[data-drawn-ms]')", "the global graph").await;
    assert_eq!(run("return document.querySelector('.global-graph').getAttribute('data-nodes')").await, json!("6"));

    let log = browser.browser_log().await.expect("the browser log");
    severe_entries(&log, &app.base).expect("no console errors");
    browser.delete().await.expect("the session ends");

    // The pages' CSP is unchanged: our scripts only.
    let response = reqwest::get(app.url("/hub")).await.unwrap();
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe-eval"), "{csp}");
    let html = response.text().await.unwrap();
    assert_eq!(html.matches("<script").count(), html.matches("<script src=\"_site/").count(), "no inline script");
}
