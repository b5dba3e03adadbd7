//! What a page shows besides its text (issue 16): the writer's callout styles, images that open
//! full size and PDFs shown inline. A small vault published through the plugin's protocol, with
//! a callout CSS snippet sent at `start`; read over HTTP (the pages work without a script), then
//! in headless Chromium (computed styles, the lightbox, the PDF object, no console error).
//! Screenshots go to `target/test-artifacts/content/`.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use vps_server::test_util::{TestApp, spawn_app};
use vps_testkit::webdriver::{Browser, Chromedriver};

use crate::browser::{CHROMEDRIVER, CHROMIUM, browser_available, save_screenshot, severe_entries, wait_for_images};
use crate::helpers::{KEY, workspace_root};

/// A snippet as writers keep them in `.obsidian/snippets/`, with what the sanitiser must drop.
const SNIPPET: &str = r#"/* My callouts */
@import url(https://evil.example/x.css);
.callout[data-callout="recipe"] {
    --callout-color: 200, 120, 40;
    --callout-icon: lucide-chef-hat;
    background-image: url(https://evil.example/t.png);
}
body { display: none }
"#;

const MEDIA_ROUTE: &str = "/media";

/// A one-page PDF that says "Hello PDF" (offsets computed, so any viewer accepts it).
fn pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length 44 >>\nstream\nBT /F1 24 Tf 40 100 Td (Hello PDF) Tj ET\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// Publishes the vault with the snippet; answers the app.
async fn publish() -> TestApp {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("Home.md", b"# Home\n\nSee [[Media]].\n".to_vec()),
        (
            "Media.md",
            b"# Media\n\n> [!recipe] Soup\n> Boil the water.\n\n> [!note] A plain note\n> Text.\n\n\
              A photo: ![[photo.png|40]]\n\nA linked photo: [![linked](photo.png)](https://example.org/)\n\n\
              ![[paper.pdf]]\n"
                .to_vec(),
        ),
        ("photo.png", vps_testkit::image_png(320, 200, [30, 160, 90])),
        ("paper.pdf", pdf()),
    ];
    for (path, bytes) in &files {
        std::fs::write(dir.path().join(path), bytes).unwrap();
    }
    let vault = vps_testkit::vault::scan(dir.path()).unwrap();
    let plugin =
        vps_testkit::Plugin::new(&app.base, KEY).with_callout_styles(&[(".obsidian/snippets/my.css", SNIPPET)]);
    plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    app
}

async fn get(app: &TestApp, path: &str) -> (reqwest::StatusCode, String, reqwest::header::HeaderMap) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, response.text().await.unwrap(), headers)
}

/// The value of `attribute` on the first tag of `html` that starts with `tag_start`.
fn attribute<'h>(html: &'h str, tag_start: &str, attribute: &str) -> Option<&'h str> {
    let tag = &html[html.find(tag_start)?..];
    let tag = &tag[..tag.find('>')?];
    let value = &tag[tag.find(&format!(" {attribute}=\""))? + attribute.len() + 3..];
    Some(&value[..value.find('"')?])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_script_images_link_to_their_file_pdfs_are_objects_and_callout_styles_are_served_clean() {
    let app = publish().await;
    let (status, html, headers) = get(&app, MEDIA_ROUTE).await;
    assert_eq!(status, 200, "{html}");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("object-src 'self'") && csp.contains("script-src 'self'"), "{csp}");

    // The image is inside a link to its own file; the image already in a link keeps that link only.
    let href = attribute(&html, "<a class=\"image-link\"", "href").expect("a link around the image");
    let src = attribute(&html, "<img src=", "src").unwrap();
    assert_eq!(href, src, "{html}");
    assert_eq!(html.matches("class=\"image-link\"").count(), 1, "{html}");
    let (status, _, headers) = get(&app, &format!("{MEDIA_ROUTE}/../{href}")).await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (reqwest::StatusCode::OK, "image/png"));

    // The PDF: an object of the site's file, with a link to it.
    let data = attribute(&html, "<object class=\"pdf-frame\"", "data").expect("a PDF object");
    assert_eq!(attribute(&html, "<object class=\"pdf-frame\"", "type"), Some("application/pdf"));
    let download = attribute(&html, "<a class=\"embed embed-pdf pdf-download\"", "href").expect("a link to the PDF");
    assert_eq!(data, download);
    let (status, body, headers) = get(&app, &format!("{MEDIA_ROUTE}/../{data}")).await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (reqwest::StatusCode::OK, "application/pdf"));
    assert!(body.starts_with("%PDF-"));

    // The callout stylesheet: linked after the site's, served as CSS, without what was dropped.
    let css_href = attribute(&html, "<link rel=\"stylesheet\" href=\"_callouts.css", "href")
        .or_else(|| attribute(&html, "<link rel=\"stylesheet\" href=\"./_callouts.css", "href"))
        .expect("the callout stylesheet is linked");
    assert!(html.find("/style-").unwrap() < html.find("_callouts.css?v=").unwrap());
    let (status, css, headers) = get(&app, &format!("/{}", css_href.trim_start_matches("./"))).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"].to_str().unwrap(), "text/css; charset=utf-8");
    assert!(css.contains(".callout[data-callout=\"recipe\"] {\n  --callout-color: 200, 120, 40;\n"), "{css}");
    assert!(css.contains("--callout-icon-image: url(\"data:image/svg+xml,"), "{css}");
    for dropped in ["@import", "evil", "body", "display"] {
        assert!(!css.contains(dropped), "{dropped} reached the stylesheet: {css}");
    }
    // Every page links it, the home page too.
    let (_, home, _) = get(&app, "/").await;
    assert!(home.contains("_callouts.css?v="), "{home}");
}

/// Runs `script` until it returns true.
async fn wait_until(browser: &Browser, script: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let value = browser.execute(script, json!([])).await.expect("execute script");
        if value == json!(true) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {value}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn press_escape(browser: &Browser) {
    for kind in ["keyDown", "keyUp"] {
        let params = json!({"type": kind, "key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27});
        browser.cdp("Input.dispatchKeyEvent", params).await.expect("Input.dispatchKeyEvent");
    }
}

async fn run(browser: &Browser, script: &str) -> Value {
    browser.execute(script, json!([])).await.expect("execute script")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_custom_callout_has_its_colour_an_image_opens_full_size_and_the_pdf_shows() {
    if !browser_available("in_chromium_a_custom_callout_has_its_colour_…") {
        return;
    }
    let app = publish().await;
    let artifacts = workspace_root().join("target/test-artifacts/content");
    std::fs::create_dir_all(&artifacts).unwrap();
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    browser.navigate(&app.url(MEDIA_ROUTE)).await.unwrap();
    assert!(wait_for_images(&browser).await, "the page's images load");

    // The custom callout is drawn in the snippet's colour, with its icon; a note keeps its own.
    let styles = run(
        &browser,
        "const style = (type) => {
            const callout = document.querySelector(`.callout[data-callout=${type}]`);
            const title = callout.querySelector('.callout-title');
            return {border: getComputedStyle(callout).borderLeftColor, title: getComputedStyle(title).color,
                    icon: getComputedStyle(title, '::before').maskImage || getComputedStyle(title, '::before').webkitMaskImage};
        };
        return {recipe: style('recipe'), note: style('note')};",
    )
    .await;
    assert_eq!(styles["recipe"]["border"], json!("rgb(200, 120, 40)"), "{styles}");
    assert_eq!(styles["recipe"]["title"], json!("rgb(200, 120, 40)"), "{styles}");
    assert_ne!(styles["note"]["border"], json!("rgb(200, 120, 40)"), "{styles}");
    let (recipe_icon, note_icon) =
        (styles["recipe"]["icon"].as_str().unwrap(), styles["note"]["icon"].as_str().unwrap());
    assert!(recipe_icon.contains("data:image/svg+xml") && note_icon.contains("data:image/svg+xml"), "{styles}");
    assert_ne!(recipe_icon, note_icon, "the chef's hat, not the note's pencil");

    // The PDF object shows the file: its fallback link is not rendered, and it was fetched.
    wait_until(
        &browser,
        "const object = document.querySelector('object.pdf-frame');
         const fetched = performance.getEntriesByType('resource').some(e => e.name === object.data);
         return object.offsetHeight > 100 && object.querySelector('a').getClientRects().length === 0 && fetched;",
        "the PDF object to load",
    )
    .await;
    save_screenshot(&browser, &artifacts, "media.png").await;

    // A click on the image opens it full size in the lightbox; Escape closes it and the focus
    // is back on the image's link.
    let thumbnail =
        run(&browser, "return document.querySelector('a.image-link img').getBoundingClientRect().width").await;
    run(
        &browser,
        "document.querySelector('a.image-link').focus(); document.querySelector('a.image-link').click(); return true",
    )
    .await;
    wait_until(
        &browser,
        "const dialog = document.querySelector('dialog.lightbox');
         const image = dialog && dialog.querySelector('img');
         return !!dialog && dialog.open && image.complete && image.naturalWidth === 320
             && image.src === document.querySelector('a.image-link').href;",
        "the lightbox with the full-size image",
    )
    .await;
    assert_eq!(run(&browser, "return location.pathname").await, json!(MEDIA_ROUTE), "the page stays");
    let shown =
        run(&browser, "return document.querySelector('dialog.lightbox img').getBoundingClientRect().width").await;
    assert!(shown.as_f64().unwrap() > thumbnail.as_f64().unwrap() * 4.0, "full size: {shown} vs {thumbnail}");
    assert_eq!(run(&browser, "return document.activeElement.className").await, json!("lightbox-close"));
    save_screenshot(&browser, &artifacts, "lightbox.png").await;
    press_escape(&browser).await;
    wait_until(&browser, "return !document.querySelector('dialog.lightbox')", "Escape to close the lightbox").await;
    assert_eq!(run(&browser, "return document.activeElement.className").await, json!("image-link"));
    // Closed, the page holds no lightbox image: every image of the page is the page's own.
    assert_eq!(run(&browser, "return document.images.length").await, json!(2));

    // A click anywhere closes it too.
    run(&browser, "document.querySelector('a.image-link').click(); return true").await;
    wait_until(&browser, "return !!document.querySelector('dialog.lightbox[open]')", "the lightbox again").await;
    run(&browser, "document.querySelector('dialog.lightbox img').click(); return true").await;
    wait_until(&browser, "return !document.querySelector('dialog.lightbox')", "a click to close the lightbox").await;

    let log = browser.browser_log().await.expect("the browser log");
    let outcome = severe_entries(&log, &app.base);
    browser.delete().await.expect("the session ends");
    outcome.unwrap_or_else(|errors| panic!("console errors: {errors}"));
}
