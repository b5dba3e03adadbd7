//! The published help vault in headless Chromium, driven over W3C WebDriver: what a reader's
//! browser shows, in light and dark mode; and pages of a vault written in every script
//! (issue 12): heading anchors that scroll, Arabic laid out right-to-left, `<html lang>`.
//! Screenshots go to `target/test-artifacts/browser/`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian `chromium`, `chromium-driver`;
//! `scripts/test.sh` installs them). Without them the test prints SKIP, or fails when `CI=true`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use vps_testkit::webdriver::{Browser, Chromedriver, LogEntry};

use crate::helpers::{KEY, publish_help_vault, spawn_app, workspace_root};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CALLOUTS: &str = "Editing and formatting/Callouts.md";
const EMBEDS: &str = "Linking notes and files/Embed files.md";
const MATH: &str = "Editing and formatting/Advanced formatting syntax.md";
/// How long images get to load after `load` (they normally have by then).
const IMAGE_WAIT: Duration = Duration::from_secs(10);

/// The outcome of each assertion, all of them run before the test fails, so that one run
/// reports every problem.
#[derive(Default)]
pub(crate) struct Report {
    pub(crate) lines: Vec<String>,
    pub(crate) failures: usize,
}

impl Report {
    pub(crate) fn check(&mut self, page: &str, what: &str, outcome: Result<String, String>) {
        let line = match outcome {
            Ok(detail) => format!("PASS {page}: {what} ({detail})"),
            Err(why) => {
                self.failures += 1;
                format!("FAIL {page}: {what}: {why}")
            }
        };
        println!("{line}");
        self.lines.push(line);
    }
}

/// Whether Chromium and its driver are installed; prints SKIP (or panics when `CI=true`) if not.
pub(crate) fn browser_available(test: &str) -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER].into_iter().filter(|path| !Path::new(path).exists()).collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "{} missing: install Debian's chromium and chromium-driver (scripts/test.sh does)",
        missing.join(" and ")
    );
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("CI=true and {message}");
    }
    println!("SKIP {test}: {message}");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_vault_pages_render_callouts_images_math_and_dark_mode_in_headless_chromium() {
    if !browser_available("help_vault_pages_render_…_in_headless_chromium") {
        return;
    }

    let published = publish_help_vault().await;
    let app = &published.app;
    let route_of = |vault_path: &str| {
        let note = published.vault.notes.iter().find(|note| note.vault_path == vault_path);
        note.unwrap_or_else(|| panic!("{vault_path} is not in the help vault")).route()
    };
    let pages = [
        ("home", "/".to_owned()),
        ("callouts", route_of(CALLOUTS)),
        ("embeds", route_of(EMBEDS)),
        ("math", route_of(MATH)),
    ];
    let artifacts = workspace_root().join("target/test-artifacts/browser");
    std::fs::create_dir_all(&artifacts).unwrap();

    // Dropped in reverse order: the session is deleted (the browser quits), then the driver and
    // anything left of its process group are killed, whether the test passes or panics.
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    let mut report = Report::default();

    for (name, route) in &pages {
        let url = app.url(route);
        emulate_color_scheme(&browser, "light").await;
        browser.navigate(&url).await.unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
        let images_loaded = wait_for_images(&browser).await;
        save_screenshot(&browser, &artifacts, &format!("{name}-light.png")).await;
        let light = background(&browser).await;

        match *name {
            "callouts" => report.check(name, "a .callout-title is visible with text", callout_title(&browser).await),
            "math" => report.check(name, "a <math> element is present", math(&browser).await),
            _ => {}
        }
        let must_have_images = *name == "embeds";
        let outcome = images(&browser, images_loaded, must_have_images).await;
        report.check(name, "every same-origin <img> of the article has loaded", outcome);

        emulate_color_scheme(&browser, "dark").await;
        let dark = background(&browser).await;
        save_screenshot(&browser, &artifacts, &format!("{name}-dark.png")).await;
        report.check(
            name,
            "prefers-color-scheme: dark gives a dark body that differs from light",
            dark_mode(light, dark),
        );

        let log = browser.browser_log().await.expect("the browser log");
        report.check(name, "no SEVERE entry in the browser log", severe_entries(&log, &app.base));
    }

    emulate_color_scheme(&browser, "light").await;
    browser.delete().await.expect("the session ends");
    println!("screenshots: {}", artifacts.display());
    assert!(report.failures == 0, "{} browser assertions failed:\n  {}", report.failures, report.lines.join("\n  "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn japanese_and_arabic_pages_scroll_to_their_heading_anchors_and_arabic_reads_right_to_left() {
    if !browser_available("japanese_and_arabic_pages_…_right_to_left") {
        return;
    }
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let vault = vps_testkit::scripts_vault::multi_script_vault(dir.path());
    let scanned = vps_testkit::vault::scan(dir.path()).unwrap();
    let plugin = vps_testkit::Plugin::new(&app.base, KEY).with_locale("fr");
    plugin.publish(&scanned.note_payloads(), &scanned.asset_payloads()).await;
    let artifacts = workspace_root().join("target/test-artifacts/browser");
    std::fs::create_dir_all(&artifacts).unwrap();

    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    let mut report = Report::default();
    for (script, direction) in [("japanese", "ltr"), ("arabic", "rtl")] {
        let note = vault.note(script);
        let url = app.url(&vps_core::url::encode_path(&note.route()));
        browser.navigate(&url).await.unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
        save_screenshot(&browser, &artifacts, &format!("scripts-{script}.png")).await;
        let lang = browser.execute("return document.documentElement.lang", json!([])).await.unwrap();
        let lang = if lang == json!("fr") { Ok("fr".to_owned()) } else { Err(format!("lang is {lang}")) };
        report.check(script, "<html lang> is the plugin's locale", lang);
        report.check(
            script,
            &format!("the article's text is laid out {direction}"),
            text_direction(&browser, direction).await,
        );
        for heading in &note.self_links {
            let id = vps_core::slug::heading_id(heading);
            let outcome = follow_anchor(&browser, &id).await;
            report.check(script, &format!("the link to #{id} scrolls to its heading"), outcome);
        }
    }
    browser.delete().await.expect("the session ends");
    assert!(report.failures == 0, "{} browser assertions failed:\n  {}", report.failures, report.lines.join("\n  "));
}

/// The computed `direction` of the article's first paragraph.
async fn text_direction(browser: &Browser, expected: &str) -> Result<String, String> {
    let script = "const p = document.querySelector('article p');
        return p ? getComputedStyle(p).direction : null;";
    let direction = browser.execute(script, json!([])).await.map_err(|e| e.to_string())?;
    if direction == json!(expected) { Ok(expected.to_owned()) } else { Err(format!("direction is {direction}")) }
}

/// Clicks the article's link to `#id` from the top of the page; then the location's hash is
/// that id and the element with that id is in the viewport.
async fn follow_anchor(browser: &Browser, id: &str) -> Result<String, String> {
    let click = "const id = arguments[0];
        const link = Array.from(document.querySelectorAll('article a[href*=\"#\"]'))
            .find(a => decodeURIComponent(a.hash.slice(1)) === id);
        if (!link) return 'no link to #' + id;
        window.scrollTo(0, 0);
        link.click();
        return null;";
    let clicked = browser.execute(click, json!([id])).await.map_err(|e| e.to_string())?;
    if let Some(error) = clicked.as_str() {
        return Err(error.to_owned());
    }
    let landed = "const id = decodeURIComponent(location.hash.slice(1));
        const element = document.getElementById(id);
        if (!element) return {hash: location.hash, id: id, found: false};
        const rect = element.getBoundingClientRect();
        return {hash: location.hash, id: id, found: true,
                inView: rect.bottom > 0 && rect.top < window.innerHeight, top: rect.top};";
    let landed = browser.execute(landed, json!([])).await.map_err(|e| e.to_string())?;
    let fine = landed["id"] == json!(id) && landed["found"] == json!(true) && landed["inView"] == json!(true);
    if fine { Ok(format!("{landed}")) } else { Err(format!("after the click: {landed}")) }
}

async fn emulate_color_scheme(browser: &Browser, scheme: &str) {
    let params = json!({"media": "", "features": [{"name": "prefers-color-scheme", "value": scheme}]});
    browser.cdp("Emulation.setEmulatedMedia", params).await.expect("Emulation.setEmulatedMedia");
}

/// Waits until every image has finished (loaded or failed); whether all finished in time. Pages
/// load images lazily, as a reader scrolls: each pending image is scrolled into view in turn,
/// and the page is scrolled back to the top at the end.
pub(crate) async fn wait_for_images(browser: &Browser) -> bool {
    let script = "const pending = Array.from(document.images).filter(img => !img.complete);
        if (pending.length > 0) pending[0].scrollIntoView({block: 'center'});
        return pending.length;";
    let deadline = tokio::time::Instant::now() + IMAGE_WAIT;
    let finished = loop {
        let pending = browser.execute(script, json!([])).await.expect("execute script");
        if pending == json!(0) {
            break true;
        }
        if tokio::time::Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    browser.execute("window.scrollTo(0, 0)", json!([])).await.expect("execute script");
    finished
}

pub(crate) async fn save_screenshot(browser: &Browser, dir: &Path, file: &str) -> PathBuf {
    let png = browser.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot {file} is not a PNG");
    let path = dir.join(file);
    std::fs::write(&path, png).unwrap();
    path
}

async fn callout_title(browser: &Browser) -> Result<String, String> {
    let script = "const titles = Array.from(document.querySelectorAll('.callout-title'));
        return titles.map(t => ({height: t.offsetHeight, text: t.textContent.trim()}));";
    let titles = browser.execute(script, json!([])).await.map_err(|e| e.to_string())?;
    let titles = titles.as_array().cloned().unwrap_or_default();
    let visible = titles.iter().filter(|t| t["height"].as_f64().is_some_and(|h| h > 0.0)).count();
    let first = titles.iter().find(|t| t["height"].as_f64().is_some_and(|h| h > 0.0));
    match first {
        Some(title) if !title["text"].as_str().unwrap_or_default().is_empty() => {
            Ok(format!("{visible} of {} titles visible; first {:?}", titles.len(), title["text"]))
        }
        Some(_) => Err("the first visible .callout-title has no text".into()),
        None if titles.is_empty() => Err("no .callout-title element on the page".into()),
        None => Err(format!("{} .callout-title elements, none visible (offsetHeight 0)", titles.len())),
    }
}

/// Every same-origin `<img>` of the article (or of the page, when it has no `<article>`) has
/// loaded, and there is at least one when `must_have_some`. Images of other origins are listed,
/// not checked: the test runs offline.
pub(crate) async fn images(browser: &Browser, loaded_in_time: bool, must_have_some: bool) -> Result<String, String> {
    let script = "const scope = document.querySelector('article') || document;
        return {article: !!document.querySelector('article'),
                images: Array.from(scope.querySelectorAll('img')).map(i => ({
                    src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth,
                    local: new URL(i.src, location.href).origin === location.origin}))};";
    let found = browser.execute(script, json!([])).await.map_err(|e| e.to_string())?;
    let all = found["images"].as_array().cloned().unwrap_or_default();
    let scope = if found["article"] == true { "article" } else { "page (no <article>)" };
    let (local, external): (Vec<&Value>, Vec<&Value>) = all.iter().partition(|img| img["local"] == true);
    let src = |img: &&Value| img["src"].as_str().unwrap_or("?").to_owned();
    let broken: Vec<String> = local
        .iter()
        .filter(|img| img["complete"] != true || img["width"].as_f64().unwrap_or(0.0) <= 0.0)
        .map(src)
        .collect();
    let external = match external.len() {
        0 => String::new(),
        n => {
            format!("; {n} of another origin, not checked: {}", external.iter().map(src).collect::<Vec<_>>().join(", "))
        }
    };
    if !broken.is_empty() {
        let late = if loaded_in_time { "" } else { " (not all finished within 10 s)" };
        let (count, list) = (local.len(), broken.join(", "));
        return Err(format!("{} of {count} images in the {scope} not loaded{late}: {list}{external}", broken.len()));
    }
    if local.is_empty() && must_have_some {
        return Err(format!("no same-origin <img> in the {scope}{external}"));
    }
    Ok(format!("{} images in the {scope}, all loaded{external}", local.len()))
}

async fn math(browser: &Browser) -> Result<String, String> {
    let count = browser
        .execute("return document.getElementsByTagName('math').length", json!([]))
        .await
        .map_err(|e| e.to_string())?;
    match count.as_u64() {
        Some(n) if n > 0 => Ok(format!("{n} <math> elements")),
        _ => Err("no <math> element (is math rendered to MathML?)".into()),
    }
}

/// The color the body is painted with: its background, else the root's, over a white canvas.
async fn background(browser: &Browser) -> Result<[f64; 3], String> {
    let script = "return [getComputedStyle(document.body).backgroundColor,
                          getComputedStyle(document.documentElement).backgroundColor];";
    let colors = browser.execute(script, json!([])).await.map_err(|e| e.to_string())?;
    let parse = |i: usize| {
        let text = colors[i].as_str().unwrap_or_default();
        parse_css_color(text).ok_or_else(|| format!("cannot read the color {text:?}"))
    };
    let (body, root) = (parse(0)?, parse(1)?);
    let [r, g, b, a] = if body[3] > 0.0 { body } else { root };
    // Composite over white, which is what a canvas without a color-scheme shows.
    Ok([r * a + (1.0 - a), g * a + (1.0 - a), b * a + (1.0 - a)])
}

/// `rgb(r, g, b)` / `rgba(r, g, b, a)` (also space-separated) → 0..1 channels and alpha.
pub(crate) fn parse_css_color(text: &str) -> Option<[f64; 4]> {
    let inner = text.trim().strip_prefix("rgba(").or_else(|| text.trim().strip_prefix("rgb("))?.strip_suffix(')')?;
    let parts: Vec<f64> = inner
        .split([',', ' ', '/'])
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    match parts[..] {
        [r, g, b] => Some([r / 255.0, g / 255.0, b / 255.0, 1.0]),
        [r, g, b, a] => Some([r / 255.0, g / 255.0, b / 255.0, a]),
        _ => None,
    }
}

/// WCAG relative luminance of sRGB channels in 0..1.
pub(crate) fn luminance([r, g, b]: [f64; 3]) -> f64 {
    let linear = |c: f64| if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

fn dark_mode(light: Result<[f64; 3], String>, dark: Result<[f64; 3], String>) -> Result<String, String> {
    let (light, dark) = (light?, dark?);
    let (light_l, dark_l) = (luminance(light), luminance(dark));
    let show = |c: [f64; 3]| format!("rgb({:.0}, {:.0}, {:.0})", c[0] * 255.0, c[1] * 255.0, c[2] * 255.0);
    let detail = format!("light {} L={light_l:.2}, dark {} L={dark_l:.2}", show(light), show(dark));
    if dark_l < 0.3 && light != dark { Ok(detail) } else { Err(detail) }
}

/// SEVERE entries fail, but two kinds, reported only: the browser's own request of
/// `/favicon.ico`, and network failures of other origins (the test runs offline). A page asking
/// for something its own CSP forbids does fail.
pub(crate) fn severe_entries(log: &[LogEntry], origin: &str) -> Result<String, String> {
    let mut ignored = Vec::new();
    let mut failing = Vec::new();
    for entry in log.iter().filter(|entry| entry.level == "SEVERE") {
        let network = entry.source == "network";
        if network && entry.message.contains("/favicon.ico") {
            ignored.push("a favicon.ico request");
        } else if network && !entry.message.starts_with(origin) {
            ignored.push("a network failure of another origin");
        } else {
            failing.push(format!("[{}] {}", entry.source, entry.message));
        }
    }
    if !failing.is_empty() {
        return Err(failing.join(" | "));
    }
    let note = if ignored.is_empty() { String::new() } else { format!("; ignored: {}", ignored.join(", ")) };
    Ok(format!("{} entries{note}", log.len()))
}

#[test]
fn css_colors_and_luminance() {
    assert_eq!(parse_css_color("rgb(255, 255, 255)"), Some([1.0, 1.0, 1.0, 1.0]));
    assert_eq!(parse_css_color("rgba(0, 0, 0, 0)"), Some([0.0, 0.0, 0.0, 0.0]));
    assert_eq!(parse_css_color("rgb(0 0 0 / 0.5)"), Some([0.0, 0.0, 0.0, 0.5]));
    assert_eq!(parse_css_color("color(srgb 1 1 1)"), None);
    assert!(luminance([1.0, 1.0, 1.0]) > 0.99);
    assert!(luminance([0.12, 0.12, 0.13]) < 0.3);
    assert!(dark_mode(Ok([1.0; 3]), Ok([0.1; 3])).is_ok());
    assert!(dark_mode(Ok([1.0; 3]), Ok([1.0; 3])).is_err());
}
