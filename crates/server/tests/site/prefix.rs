//! The site under a path prefix behind a real nginx (issue 14): `BASE_URL` is
//! `http://127.0.0.1:<nginx port>/notes`, nginx runs the shipped
//! `deploy/nginx/vps-publish-prefix.conf` in either form an operator may write (it strips the
//! prefix, or passes the path on as it is) and answers 404 everywhere else, so a page that links
//! outside its prefix breaks as it would on a shared host. The vault is published through nginx
//! too, by the plugin's protocol at `…/notes/api/`. Headless Chromium reads the site through nginx: the stylesheet applies, images
//! load, every URL of a page stays under the prefix and answers, a wikilink and the search lead
//! to their pages, the 404 page is styled; over HTTP, redirects, the feed and the sitemap carry
//! the prefix. And a `BASE_URL` (and `SITE_NAME`) changed at a restart shows at once, with no
//! republish.
//!
//! Needs nginx (`/usr/sbin/nginx`), `/usr/bin/chromium` and `/usr/bin/chromedriver`
//! (`scripts/test.sh` installs them). Without them the tests print SKIP, or fail when `CI=true`.

use std::path::Path;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde_json::{Value, json};
use vps_server::test_util::{RunningApp, start_app};
use vps_testkit::nginx::{self, Nginx, PrefixForm};
use vps_testkit::vault::{self, Vault};
use vps_testkit::webdriver::{Browser, Chromedriver};

use crate::browser::{CHROMEDRIVER, CHROMIUM, Report, browser_available, images, severe_entries, wait_for_images};
use crate::helpers::KEY;

/// A word that only `Folder/Other.md` has.
const SEARCHED: &str = "zephyrine";
/// The `SITE_NAME` of the restarted server.
const RENAMED: &str = "Garden notes";
/// How long a navigation, or the search box's suggestions, may take to show.
const WAIT: Duration = Duration::from_secs(15);

/// The small vault every test publishes: the home note, a note two folders deep with an image
/// embed, a wikilink and a nested tag, and a note in between that the search finds.
struct SmallVault {
    _dir: tempfile::TempDir,
    vault: Vault,
}

impl SmallVault {
    fn write() -> Self {
        let dir = tempfile::Builder::new().prefix("prefix-vault-").tempdir().unwrap();
        let other = format!("# Other\n\nThe word {SEARCHED} lives here. Back [[Home]].\n");
        let picture = vps_testkit::image_png(40, 30, [200, 80, 40]);
        let files: [(&str, &[u8]); 4] = [
            ("Home.md", b"# Home\n\nWelcome. Read the [[Deep Note]] or [[Other]]. #garden\n"),
            ("Folder/Other.md", other.as_bytes()),
            (
                "Folder/Sub/Deep Note.md",
                b"# Deep Note\n\nA picture:\n\n![[picture.png]]\n\nSee [[Other]]. #garden/deep\n",
            ),
            ("Folder/Sub/picture.png", &picture),
        ];
        for (path, bytes) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let vault = vault::scan(dir.path()).unwrap();
        assert_eq!(vault.notes.len(), 3);
        assert_eq!(vault.assets.len(), 1, "the picture is found");
        Self { _dir: dir, vault }
    }

    /// The percent-encoded route of a note (`vps_core::url::encode_path` of the product's route).
    fn href(&self, vault_path: &str) -> String {
        let note = self.vault.notes.iter().find(|note| note.vault_path == vault_path).unwrap();
        vps_core::url::encode_path(&note.route())
    }

    async fn publish(&self, base: &str) {
        let plugin = vps_testkit::Plugin::new(base, KEY);
        plugin.publish(&self.vault.note_payloads(), &self.vault.asset_payloads()).await;
    }
}

/// The server on `data` with `BASE_URL` = `http://127.0.0.1:<nginx port><prefix>`, behind
/// nginx on that port.
struct Proxied {
    app: RunningApp,
    _nginx: Nginx,
    /// `http://127.0.0.1:<nginx port><prefix>`: the public base, without a trailing `/`.
    base: String,
    prefix: &'static str,
}

impl Proxied {
    /// `BASE_URL` names nginx's port, and nginx the server's: a free port is chosen for nginx,
    /// the server started with it, then nginx on it; tried again if another process took it.
    async fn start(data: &Path, prefix: &'static str, form: PrefixForm) -> Self {
        Self::start_named(data, prefix, form, None).await
    }

    /// [`Proxied::start`] with `SITE_NAME` set to `name`, if given.
    async fn start_named(data: &Path, prefix: &'static str, form: PrefixForm, name: Option<&str>) -> Self {
        let mut failure = String::new();
        for _ in 0..3 {
            let port = nginx::free_port().unwrap();
            let base = format!("http://127.0.0.1:{port}{prefix}");
            let public = base.clone();
            let name = name.map(str::to_owned);
            let app = start_app(data, move |settings| {
                settings.site.base_url = Some(public);
                if let Some(name) = name {
                    settings.site.site_name = name;
                }
            })
            .await;
            let app_port = Url::parse(&app.base).unwrap().port().unwrap();
            match Nginx::start_prefixed(port, app_port, prefix, form) {
                Ok(nginx) => return Self { app, _nginx: nginx, base, prefix },
                Err(why) => {
                    failure = why;
                    app.stop().await;
                }
            }
        }
        panic!("nginx did not start: {failure}");
    }

    /// `http://127.0.0.1:<nginx port>`.
    fn origin(&self) -> String {
        self.base.strip_suffix(self.prefix).unwrap().to_owned()
    }
}

/// Whether nginx, Chromium and chromedriver are installed; prints SKIP (or panics when `CI=true`).
fn services_available(test: &str) -> bool {
    if !Path::new(nginx::NGINX).is_file() {
        let message = format!("{} is missing (Debian: apt-get install nginx; scripts/test.sh does)", nginx::NGINX);
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!("CI=true and {message}");
        }
        println!("SKIP {test}: {message}");
        return false;
    }
    browser_available(test)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_that_strips_the_prefix_stylesheet_images_links_search_feed_and_sitemap_work_under_it() {
    let test = "behind_nginx_that_strips_the_prefix_…";
    if !services_available(test) {
        return;
    }
    let vault = SmallVault::write();
    let data = tempfile::tempdir().unwrap();
    let site = Proxied::start(data.path(), "/notes", PrefixForm::Strips).await;
    vault.publish(&site.base).await;

    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    let mut report = Report::default();
    check_site(&browser, &mut report, &site, &vault).await;
    browser.delete().await.expect("the session ends");
    site.app.stop().await;
    assert!(report.failures == 0, "{} assertions failed:\n  {}", report.failures, report.lines.join("\n  "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_that_keeps_the_prefix_the_site_works_and_a_base_url_and_site_name_changed_at_restart_show_at_once()
 {
    let test = "behind_nginx_that_keeps_the_prefix_…_at_restart_show_at_once";
    if !services_available(test) {
        return;
    }
    let vault = SmallVault::write();
    let data = tempfile::tempdir().unwrap();
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    let mut report = Report::default();

    let site = Proxied::start(data.path(), "/notes", PrefixForm::Keeps).await;
    vault.publish(&site.base).await;
    check_site(&browser, &mut report, &site, &vault).await;
    let before = site.base.clone();
    site.app.stop().await;
    drop(site._nginx);

    // Same data directory, another BASE_URL and SITE_NAME (and nginx with the other form), no publish.
    let site = Proxied::start_named(data.path(), "/garden", PrefixForm::Strips, Some(RENAMED)).await;
    let (_, feed) = get_text(&format!("{}/feed.xml", site.base)).await;
    let title = format!("<title>{RENAMED}</title>");
    let renamed = if feed.contains(&title) { Ok(title) } else { Err(format!("no {title} in {feed}")) };
    report.check("after the restart /feed.xml", "is titled with the new SITE_NAME", renamed);
    for document in ["/sitemap.xml", "/feed.xml"] {
        let (status, xml) = get_text(&format!("{}{document}", site.base)).await;
        let old = xml.contains(&format!("{before}/")) || xml.contains(&format!("{}/notes", site.origin()));
        let outcome = if status != StatusCode::OK {
            Err(format!("{status}"))
        } else if old {
            Err(format!("still names {before}: {xml}"))
        } else {
            Ok(format!("no URL of {before}"))
        };
        report.check(&format!("after the restart {document}"), "no longer names the old BASE_URL", outcome);
    }
    check_site(&browser, &mut report, &site, &vault).await;
    browser.delete().await.expect("the session ends");
    site.app.stop().await;
    assert!(report.failures == 0, "{} assertions failed:\n  {}", report.failures, report.lines.join("\n  "));
}

/// Every check of the site at `site.base`, in the browser and over HTTP, into `report`.
async fn check_site(browser: &Browser, report: &mut Report, site: &Proxied, vault: &SmallVault) {
    let base = &site.base;
    let (deep, other) = (vault.href("Folder/Sub/Deep Note.md"), vault.href("Folder/Other.md"));
    let label = |page: &str| format!("{base} {page}");

    // The home page, and a wikilink clicked from it.
    let home = format!("{base}/");
    browser.navigate(&home).await.unwrap_or_else(|e| panic!("navigate to {home}: {e}"));
    check_page(browser, report, site, &label("home"), false, false).await;
    let clicked = click_link(browser, "article a", "Deep Note").await;
    let landed = match clicked {
        Ok(()) => wait_for_path(browser, &format!("{}{deep}", site.prefix)).await,
        Err(why) => Err(why),
    };
    report.check(&label("home"), "clicking the wikilink [[Deep Note]] opens its page under the prefix", landed);

    // The nested page, opened at its URL: its image, its stylesheet, its links.
    let url = format!("{base}{deep}");
    browser.navigate(&url).await.unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
    report.check(&label("nested page"), "is the note's page", heading(browser, "Deep Note").await);
    check_page(browser, report, site, &label("nested page"), true, false).await;

    // Search from the nested page: the suggestions as one types, then the form's results page.
    report.check(
        &label("nested page"),
        "the search box suggests the note under the prefix",
        suggest(browser, site, &other).await,
    );
    let submitted = browser
        .execute("document.querySelector('form.site-search').submit(); return null;", json!([]))
        .await
        .map_err(|e| e.to_string());
    let results = match submitted {
        Ok(_) => wait_for_path(browser, &format!("{}/search", site.prefix)).await,
        Err(why) => Err(why),
    };
    report.check(&label("nested page"), "submitting the search form opens the results page under the prefix", results);
    check_page(browser, report, site, &label("search results"), false, false).await;
    let opened = match click_link(browser, "main a", "Other").await {
        Ok(()) => wait_for_path(browser, &format!("{}{other}", site.prefix)).await,
        Err(why) => Err(why),
    };
    report.check(&label("search results"), "the result for the searched word opens its note", opened);

    // The 404 page, at any depth, is styled and links under the prefix.
    let missing = format!("{base}/no/such/page");
    browser.navigate(&missing).await.unwrap_or_else(|e| panic!("navigate to {missing}: {e}"));
    check_page(browser, report, site, &label("404 page"), false, true).await;
    let (status, _) = get_text(&missing).await;
    let status = if status == StatusCode::NOT_FOUND { Ok(status.to_string()) } else { Err(status.to_string()) };
    report.check(&label("404 page"), "answers 404", status);

    report.check(&label("redirects"), "Location headers keep the prefix", redirects(site, &deep).await);
    let pages = [format!("{base}/"), format!("{base}{deep}"), format!("{base}{other}")];
    let sitemap = xml_urls(site, "/sitemap.xml", &pages).await;
    report.check(&label("/sitemap.xml"), "lists every page at an absolute URL under the prefix", sitemap);
    let feed = xml_urls(site, "/feed.xml", &pages[1..]).await;
    report.check(&label("/feed.xml"), "links every note at an absolute URL under the prefix", feed);
}

/// What any page of the site must do under the prefix: the stylesheet applies, every URL it
/// uses stays under the prefix, every link answers, every image loads (at least one when
/// `has_image`), and the browser logged no failed request (but the 404 of the page itself, on
/// the 404 page).
async fn check_page(browser: &Browser, report: &mut Report, site: &Proxied, page: &str, has_image: bool, is_404: bool) {
    let loaded = wait_for_images(browser).await;
    report.check(page, "the site's stylesheet applies", stylesheet(browser).await);
    let (here, urls) = page_urls(browser).await;
    report.check(page, "every URL the page uses is under the prefix", under_prefix(site, &urls));
    report.check(page, "every link of the page answers", links_answer(&here, &urls).await);
    report.check(page, "every image of the page loads", images(browser, loaded, has_image).await);
    let mut log = browser.browser_log().await.expect("the browser log");
    log.retain(|entry| !(is_404 && entry.message.starts_with(&format!("{here} ")) && entry.message.contains("404")));
    report.check(page, "no request of the page failed (browser log)", severe_entries(&log, &site.origin()));
}

/// The page's `<h1>` is `title`.
async fn heading(browser: &Browser, title: &str) -> Result<String, String> {
    let found = browser
        .execute("const h1 = document.querySelector('h1'); return h1 && h1.textContent.trim();", json!([]))
        .await
        .map_err(|e| e.to_string())?;
    if found == json!(title) { Ok(format!("<h1> {title}")) } else { Err(format!("<h1> is {found}")) }
}

/// The stylesheet's custom properties are defined on the root: none are without it.
async fn stylesheet(browser: &Browser) -> Result<String, String> {
    let script = "const root = getComputedStyle(document.documentElement);
        return {text: root.getPropertyValue('--text').trim(), link: root.getPropertyValue('--link').trim(),
                sheets: Array.from(document.styleSheets).map(s => s.href)};";
    let found = browser.execute(script, json!([])).await.map_err(|e| e.to_string())?;
    let defined = |key: &str| found[key].as_str().is_some_and(|value| !value.is_empty());
    if defined("text") && defined("link") {
        Ok(format!("--text {} --link {}", found["text"], found["link"]))
    } else {
        Err(format!("the site's CSS variables are not defined; stylesheets {}", found["sheets"]))
    }
}

/// The page's own URL (no fragment), and `[kind, absolute URL]` of every URL the page uses:
/// links, stylesheets and icons, scripts, images, the search form's action, as the browser
/// resolved them.
async fn page_urls(browser: &Browser) -> (String, Vec<(String, String)>) {
    let script = "const out = [];
        document.querySelectorAll('a[href]').forEach(a => out.push(['a', a.href]));
        document.querySelectorAll('link[href]').forEach(l => out.push(['link ' + l.rel, l.href]));
        document.querySelectorAll('script[src]').forEach(s => out.push(['script', s.src]));
        document.querySelectorAll('img[src]').forEach(i => out.push(['img', i.src]));
        document.querySelectorAll('form[action]').forEach(f => out.push(['form', f.action]));
        return {here: location.href.split('#')[0], urls: out};";
    let found = browser.execute(script, json!([])).await.expect("execute script");
    let pair = |item: &Value| (item[0].as_str().unwrap_or("?").to_owned(), item[1].as_str().unwrap_or("?").to_owned());
    let urls = found["urls"].as_array().map(|items| items.iter().map(pair).collect()).unwrap_or_default();
    (found["here"].as_str().unwrap_or_default().to_owned(), urls)
}

fn under_prefix(site: &Proxied, urls: &[(String, String)]) -> Result<String, String> {
    let origin = site.origin();
    let local: Vec<&(String, String)> = urls.iter().filter(|(_, url)| url.starts_with(&format!("{origin}/"))).collect();
    let outside: Vec<String> = local
        .iter()
        .filter(|(_, url)| url != &site.base && !url.starts_with(&format!("{}/", site.base)))
        .map(|(kind, url)| format!("{kind} {url}"))
        .collect();
    if !outside.is_empty() {
        return Err(format!("{} of {} outside {}: {}", outside.len(), local.len(), site.prefix, outside.join(", ")));
    }
    if local.is_empty() {
        return Err("the page uses no URL of the site".into());
    }
    Ok(format!("{} URLs, all under {}", local.len(), site.prefix))
}

/// Every link and resource of the site the page uses answers 200 through nginx (a redirect is
/// followed once, and must lead to a 200); links to the page itself (`#main`) are not asked.
async fn links_answer(here: &str, urls: &[(String, String)]) -> Result<String, String> {
    let client = client();
    let mut broken = Vec::new();
    let mut checked = 0;
    for (kind, url) in urls {
        let Ok(mut parsed) = Url::parse(url) else { continue };
        if parsed.host_str() != Some("127.0.0.1") || kind.starts_with("form") {
            continue;
        }
        parsed.set_fragment(None);
        if parsed.as_str() == here {
            continue;
        }
        checked += 1;
        match answer(&client, parsed).await {
            Ok(StatusCode::OK) => {}
            Ok(status) => broken.push(format!("{kind} {url}: {status}")),
            Err(why) => broken.push(format!("{kind} {url}: {why}")),
        }
    }
    if broken.is_empty() { Ok(format!("{checked} answered 200")) } else { Err(broken.join(", ")) }
}

/// The status of `url`, after one redirect if it answers one.
async fn answer(client: &reqwest::Client, url: Url) -> Result<StatusCode, String> {
    let response = client.get(url.clone()).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_redirection() {
        return Ok(response.status());
    }
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or("");
    let next = url.join(location).map_err(|e| format!("Location {location:?}: {e}"))?;
    Ok(client.get(next).send().await.map_err(|e| e.to_string())?.status())
}

/// Clicks the first element of `selector` whose text is `text`.
async fn click_link(browser: &Browser, selector: &str, text: &str) -> Result<(), String> {
    let script = "const link = Array.from(document.querySelectorAll(arguments[0]))
            .find(a => a.textContent.trim() === arguments[1]);
        if (!link) return 'no ' + arguments[0] + ' with the text ' + arguments[1] + ' on ' + location.href;
        link.click();
        return null;";
    let clicked = browser.execute(script, json!([selector, text])).await.map_err(|e| e.to_string())?;
    match clicked.as_str() {
        Some(why) => Err(why.to_owned()),
        None => Ok(()),
    }
}

/// Waits until the browser shows a loaded page whose path is `path`.
async fn wait_for_path(browser: &Browser, path: &str) -> Result<String, String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut last = Value::Null;
    loop {
        // A script may run while the next page replaces this one: that attempt fails, the next sees it.
        if let Ok(now) = browser
            .execute("return {path: location.pathname, ready: document.readyState, title: document.title};", json!([]))
            .await
        {
            if now["path"] == json!(path) && now["ready"] == json!("complete") {
                return Ok(format!("at {path}: {}", now["title"]));
            }
            last = now;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("not at {path} after {WAIT:?}: {last}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types [`SEARCHED`] in the search box; the suggestions (search.js, from the search JSON) list
/// the note at `base` + `other`, and every link they show is under the prefix.
async fn suggest(browser: &Browser, site: &Proxied, other: &str) -> Result<String, String> {
    let typed = "const input = document.querySelector('form.site-search input[name=q]');
        if (!input) return 'no search box';
        input.focus();
        input.value = arguments[0];
        input.dispatchEvent(new Event('input', {bubbles: true}));
        return null;";
    let typed = browser.execute(typed, json!([SEARCHED])).await.map_err(|e| e.to_string())?;
    if let Some(why) = typed.as_str() {
        return Err(why.to_owned());
    }
    let read = "const box = document.querySelector('.search-suggest');
        return box && !box.hidden ? Array.from(box.querySelectorAll('a')).map(a => a.href) : null;";
    let deadline = tokio::time::Instant::now() + WAIT;
    let links = loop {
        let links = browser.execute(read, json!([])).await.map_err(|e| e.to_string())?;
        if links.as_array().is_some_and(|links| !links.is_empty()) {
            break links;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("no suggestion shown within {WAIT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let links: Vec<&str> = links.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let expected = format!("{}{other}", site.base);
    let outside: Vec<&&str> = links.iter().filter(|link| !link.starts_with(&format!("{}/", site.base))).collect();
    if !links.contains(&expected.as_str()) {
        Err(format!("{expected} is not among the suggestions {links:?}"))
    } else if !outside.is_empty() {
        Err(format!("suggestions outside {}: {outside:?}", site.prefix))
    } else {
        Ok(format!("{links:?}"))
    }
}

/// The server's redirects, through nginx, keep the prefix: a trailing `/` and another spelling
/// of a tag.
async fn redirects(site: &Proxied, deep: &str) -> Result<String, String> {
    let client = client();
    let tag = vps_core::slug::tag_href("garden");
    let cases = [
        (format!("{}{deep}/", site.base), format!("{}{deep}", site.base)),
        (format!("{}{}", site.base, tag.to_uppercase().replace("/TAGS/", "/tags/")), format!("{}{tag}", site.base)),
    ];
    let mut seen = Vec::new();
    for (from, to) in cases {
        let response = client.get(&from).send().await.map_err(|e| format!("GET {from}: {e}"))?;
        let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or("");
        let resolved = Url::parse(&from).unwrap().join(location).map(String::from).unwrap_or_default();
        if !response.status().is_redirection() || resolved != to {
            return Err(format!("GET {from}: {} Location {location:?}, not {to}", response.status()));
        }
        seen.push(format!("{from} → {location}"));
    }
    Ok(seen.join("; "))
}

async fn get_text(url: &str) -> (StatusCode, String) {
    let response = client().get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    (response.status(), response.text().await.unwrap_or_default())
}

/// `document` (through nginx) answers 200, every URL of the site it names is under the prefix,
/// and it names each of `expected`.
async fn xml_urls(site: &Proxied, document: &str, expected: &[String]) -> Result<String, String> {
    let (status, xml) = get_text(&format!("{}{document}", site.base)).await;
    if status != StatusCode::OK {
        return Err(format!("{status}"));
    }
    let urls = site_urls(&xml, &site.origin());
    let outside: Vec<&String> =
        urls.iter().filter(|url| *url != &site.base && !url.starts_with(&format!("{}/", site.base))).collect();
    let missing: Vec<&String> = expected.iter().filter(|url| !urls.contains(url)).collect();
    match (outside.is_empty(), missing.is_empty()) {
        (true, true) => Ok(format!("{} URLs under {}", urls.len(), site.prefix)),
        (false, _) => Err(format!("URLs outside {}: {outside:?}", site.prefix)),
        (true, false) => Err(format!("{missing:?} missing; it names {urls:?}")),
    }
}

/// Every URL of `text` that starts with `origin` (`http://127.0.0.1:PORT`), up to a quote, `<`
/// or white space; `&amp;` decoded.
fn site_urls(text: &str, origin: &str) -> Vec<String> {
    text.match_indices(origin)
        .map(|(at, _)| {
            let rest = &text[at..];
            let end = rest.find(|c: char| c == '<' || c == '"' || c == '\'' || c.is_whitespace()).unwrap_or(rest.len());
            rest[..end].replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn urls_of_the_site_are_read_from_xml() {
    let xml = "<loc>http://127.0.0.1:8080/notes/a</loc><link href=\"http://127.0.0.1:8080/b?x=1&amp;y\"/> \
               http://127.0.0.1:8080 http://example.org/c";
    assert_eq!(
        site_urls(xml, "http://127.0.0.1:8080"),
        ["http://127.0.0.1:8080/notes/a", "http://127.0.0.1:8080/b?x=1&y", "http://127.0.0.1:8080"]
    );
}
