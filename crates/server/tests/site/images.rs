//! Images sized for the reader's screen (issue 17): a vault with a wide screenshot, a small
//! picture shown at `|300`, and a photo far down the page, published through the plugin's
//! protocol. Once the server has made the variants, the page is read over HTTP (`srcset`,
//! `sizes`, `width`/`height`, lazy loading) and in headless Chromium as a phone (360 CSS px) and
//! a desktop (1280 px) show it: the browser picks a variant (`currentSrc`), nothing shifts while
//! images arrive (the Layout Instability API's entries), every image is loaded and not empty.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use vps_server::test_util::{TestApp, spawn_app};
use vps_testkit::webdriver::{Browser, Chromedriver};

use crate::browser::{CHROMEDRIVER, CHROMIUM, browser_available, severe_entries, wait_for_images};
use crate::helpers::KEY;

const ROUTE: &str = "/gallery";

/// Records every layout shift from the start of the page (`window.shifts`).
const SHIFTS: &str = "window.shifts = []; new PerformanceObserver(list => { \
    for (const entry of list.getEntries()) window.shifts.push({value: entry.value, at: entry.startTime, \
        moved: entry.sources.map(s => (s.node && s.node.nodeName + '.' + (s.node.className || '')) + ' ' + \
            JSON.stringify(s.previousRect) + ' -> ' + JSON.stringify(s.currentRect))}); \
    }).observe({type: 'layout-shift', buffered: true});";

/// What the page's images are and which candidate the browser chose.
const IMAGES: &str = "return Array.from(document.querySelectorAll('article img')).map(i => ({
    alt: i.alt, current: i.currentSrc, complete: i.complete, natural: i.naturalWidth,
    width: i.getAttribute('width'), height: i.getAttribute('height'), shown: i.getBoundingClientRect().width}));";

/// Publishes the vault; answers the app and the variant URLs of the screenshot.
async fn publish() -> TestApp {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let filler = "A paragraph that pushes the photo below the fold.\n\n".repeat(60);
    let gallery = format!(
        "# Gallery\n\nThe screenshot: ![[screenshot.png]]\n\nA small one: ![[small.png|300]]\n\n{filler}![The photo](photo.png)\n"
    );
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("Home.md", b"# Home\n\nSee [[Gallery]].\n".to_vec()),
        ("Gallery.md", gallery.into_bytes()),
        ("screenshot.png", vps_testkit::image_png(2400, 1600, [40, 90, 160])),
        ("small.png", vps_testkit::image_png(1000, 500, [200, 60, 60])),
        ("photo.png", vps_testkit::image_png(1200, 900, [60, 160, 60])),
    ];
    for (path, bytes) in &files {
        std::fs::write(dir.path().join(path), bytes).unwrap();
    }
    let vault = vps_testkit::vault::scan(dir.path()).unwrap();
    vps_testkit::Plugin::new(&app.base, KEY).publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    app
}

async fn page(app: &TestApp) -> String {
    let response = app.client.get(app.url(ROUTE)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The `<img …>` tags of the page's article, in order.
fn img_tags(html: &str) -> Vec<&str> {
    let article = &html[html.find("<article").expect("an article")..];
    article.split("<img ").skip(1).map(|rest| &rest[..rest.find('>').unwrap()]).collect()
}

fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let start = tag
        .find(&format!(" {name}=\""))
        .map(|at| at + name.len() + 3)
        .or_else(|| tag.starts_with(&format!("{name}=\"")).then_some(name.len() + 2))?;
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// Waits until every variant URL of the page's `srcset`s answers 200 (they are made after the
/// publish, off its path): the URLs, made absolute.
async fn wait_for_variants(app: &TestApp, html: &str) -> Vec<String> {
    let urls: Vec<String> = img_tags(html)
        .iter()
        .filter_map(|tag| attribute(tag, "srcset"))
        .flat_map(|srcset| srcset.split(", ").map(|candidate| candidate.split(' ').next().unwrap().to_owned()))
        .filter(|url| url.contains("_img/"))
        .map(|url| app.url(&format!("{ROUTE}/../{url}")))
        .collect();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    for url in &urls {
        loop {
            let status = client.get(url).send().await.unwrap().status();
            if status == 200 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{url} still answers {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    urls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_offer_variants_with_sizes_and_load_below_the_fold_lazily() {
    let app = publish().await;
    let html = page(&app).await;
    let tags = img_tags(&html);
    assert_eq!(tags.len(), 3, "{html}");
    let (screenshot, small, photo) = (tags[0], tags[1], tags[2]);

    // The screenshot: 2400 px wide, so variants at every default width, and itself the widest.
    let srcset = attribute(screenshot, "srcset").expect("a srcset");
    let widths: Vec<&str> = srcset.split(", ").map(|candidate| candidate.rsplit(' ').next().unwrap()).collect();
    assert_eq!(widths, ["480w", "960w", "1600w", "2400w"], "{screenshot}");
    assert!(srcset.split(", ").take(3).all(|c| c.contains("_img/") && c.contains(".webp ")), "{srcset}");
    assert!(srcset.ends_with(&format!("{} 2400w", attribute(screenshot, "src").unwrap())), "{srcset}");
    assert_eq!(attribute(screenshot, "sizes"), Some("(max-width: 52rem) 100vw, 52rem"));
    assert_eq!((attribute(screenshot, "width"), attribute(screenshot, "height")), (Some("2400"), Some("1600")));
    assert_eq!(attribute(screenshot, "loading"), None, "the first image is not lazy: {screenshot}");
    assert_eq!(attribute(screenshot, "decoding"), Some("async"));

    // `|300` wins: shown 300 px wide, its height from the image's ratio, sized for 300 px.
    assert_eq!((attribute(small, "width"), attribute(small, "height")), (Some("300"), Some("150")), "{small}");
    assert_eq!(attribute(small, "sizes"), Some("(max-width: 300px) 100vw, 300px"));
    assert_eq!(attribute(small, "loading"), Some("lazy"));

    // A Markdown image gets the same; 1200 px wide: variants narrower than it only.
    let widths: Vec<&str> =
        attribute(photo, "srcset").unwrap().split(", ").map(|c| c.rsplit(' ').next().unwrap()).collect();
    assert_eq!(widths, ["480w", "960w", "1200w"], "{photo}");
    assert_eq!((attribute(photo, "alt"), attribute(photo, "loading")), (Some("The photo"), Some("lazy")));

    // The variants are made after the publish: each answers as WebP at its width.
    for url in wait_for_variants(&app, &html).await {
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.headers()["content-type"], "image/webp", "{url}");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(&bytes[..4], b"RIFF", "{url}");
        assert_eq!(&bytes[8..12], b"WEBP", "{url}");
    }
    // The original stays at its URL.
    let original = app.url(&format!("{ROUTE}/../{}", attribute(screenshot, "src").unwrap()));
    let response = app.client.get(&original).send().await.unwrap();
    assert_eq!((response.status().as_u16(), response.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
}

/// Loads the page at `width` CSS px (device pixel ratio 1) and returns its images.
async fn images_at(browser: &Browser, app: &TestApp, width: u32, mobile: bool) -> Vec<Value> {
    let metrics = json!({"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": mobile});
    browser.cdp("Emulation.setDeviceMetricsOverride", metrics).await.expect("Emulation.setDeviceMetricsOverride");
    browser.cdp("Network.clearBrowserCache", json!({})).await.expect("Network.clearBrowserCache");
    browser.navigate(&app.url(ROUTE)).await.unwrap();
    assert!(wait_for_images(browser).await, "the page's images load");
    let images = browser.execute(IMAGES, json!([])).await.unwrap();
    images.as_array().cloned().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_phone_and_a_desktop_each_pick_a_variant_and_nothing_shifts() {
    if !browser_available("in_chromium_a_phone_and_a_desktop_each_pick_a_variant_…") {
        return;
    }
    let app = publish().await;
    wait_for_variants(&app, &page(&app).await).await;
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": SHIFTS})).await.unwrap();

    for (width, mobile, expected) in
        [(360, true, ["480.webp", "480.webp", "480.webp"]), (1280, false, ["960.webp", "480.webp", "960.webp"])]
    {
        let images = images_at(&browser, &app, width, mobile).await;
        assert_eq!(images.len(), 3, "{images:?}");
        for (image, expected) in images.iter().zip(expected) {
            let current = image["current"].as_str().unwrap();
            assert!(current.contains("/_img/") && current.ends_with(expected), "at {width} px: {image}");
            assert_eq!(image["complete"], true, "{image}");
            assert!(image["natural"].as_f64().unwrap() > 0.0, "{image}");
            assert!(image["width"].is_string() && image["height"].is_string(), "no layout shift: {image}");
            assert!(image["shown"].as_f64().unwrap() > 0.0, "{image}");
        }
        let shifts = browser.execute("return window.shifts;", json!([])).await.unwrap();
        let total: f64 = shifts.as_array().unwrap().iter().filter_map(|shift| shift["value"].as_f64()).sum();
        eprintln!("layout shifts at {width} px: {shifts}");
        assert!(total < 0.01, "at {width} px the layout shifted by {total} while images arrived: {shifts}");
    }
    let log = browser.browser_log().await.unwrap();
    severe_entries(&log, &app.base).expect("no console errors");
    browser.delete().await.unwrap();
}
