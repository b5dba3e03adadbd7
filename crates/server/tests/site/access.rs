//! Access control as readers meet it (issue 15): a small vault with a team folder, a note for
//! another group, an unlisted note and public notes that link to, embed and share images with a
//! protected one, published through the plugin's protocol to a server with an `[access]` table.
//! Then every surface a protected page could leak through is asked by five visitors — anonymous,
//! a reader in `team`, a reader in another group, a share link, an expired share link — and each
//! answer is checked for its status and for any protected title, text or URL in its body.
//! Bad inputs (tampered cookies, another server's key, a changed share link, a 10 MB password,
//! 100 wrong passwords, login CSRF, an open redirect through `next=`) come after.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use vps_access::{AccessConfig, Key, ShareToken};
use vps_server::test_util::{TestApp, spawn_app_with};
use vps_testkit::vault::{self, Vault};

use crate::helpers::KEY;

/// Words only protected notes hold: none may reach a visitor who may not read them.
const TEAM_TITLE: &str = "Zephyr Roadmap";
const TEAM_WORD: &str = "quokkasecret";
const TEAM_ROUTE: &str = "/work/zephyr-roadmap";
const TEAM_TAG: &str = "teamtag";
const BOARD_TITLE: &str = "Board Minutes";
const BOARD_WORD: &str = "wombatminutes";
const UNLISTED_TITLE: &str = "Hidden Draft";
const UNLISTED_WORD: &str = "platypusdraft";

pub(crate) const ALICE_PASSWORD: &str = "correct horse battery staple";
const BOB_PASSWORD: &str = "tr0ub4dor&3";

/// The `[access]` table of every test here (hashes made by the product's own function).
pub(crate) fn access_config(login_window_secs: Option<u64>) -> (Arc<AccessConfig>, Option<u64>) {
    let alice = vps_access::hash_password(ALICE_PASSWORD).unwrap();
    let bob = vps_access::hash_password(BOB_PASSWORD).unwrap();
    let text = format!(
        r#"
        [access]
        site = "public"
        [access.readers.alice]
        password = "{alice}"
        groups = ["team"]
        [access.readers.bob]
        password = "{bob}"
        groups = ["board"]
        [[access.rules]]
        folder = "Work"
        groups = ["team"]
        "#
    );
    (Arc::new(AccessConfig::from_settings_text(&text).unwrap().unwrap()), login_window_secs)
}

/// The vault: public notes that link to, embed and share an image with the team's note.
pub(crate) fn write_vault(root: &Path) -> Vault {
    let png = |seed: u8| vps_testkit::image_png(8, 8, [seed, 20, 30]);
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("Home.md", format!("# Home\n\nWelcome. Read [[Guide]], [[{TEAM_TITLE}]] and:\n\n![[{TEAM_TITLE}]]\n").into_bytes()),
        ("Public/Guide.md", b"# Guide\n\nA public guide. #guide\n\n![[shared.png]]\n".to_vec()),
        (
            "Work/Zephyr Roadmap.md",
            format!(
                "# {TEAM_TITLE}\n\nThe {TEAM_WORD} plan. #{TEAM_TAG}\n\nSee [[Guide]].\n\n![[plan-only.png]]\n\n![[shared.png]]\n"
            )
            .into_bytes(),
        ),
        ("Work/Second.md", b"# Second\n\nAnother team note linking [[Zephyr Roadmap]].\n".to_vec()),
        (
            "Notes/Board Minutes.md",
            format!("---\naccess: board\n---\n# {BOARD_TITLE}\n\nThe {BOARD_WORD} of the board. [[Guide]]\n").into_bytes(),
        ),
        (
            "Notes/Hidden Draft.md",
            format!("---\nunlisted: true\n---\n# {UNLISTED_TITLE}\n\nThe {UNLISTED_WORD}. #guide [[Guide]]\n").into_bytes(),
        ),
        ("Public/shared.png", png(1)),
        ("Work/plan-only.png", png(2)),
    ];
    for (path, bytes) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    vault::scan(root).unwrap()
}

/// A server with the `[access]` table and the vault published.
pub(crate) struct Protected {
    pub app: TestApp,
    _vault: Vault,
    _dir: tempfile::TempDir,
}

pub(crate) async fn publish_protected(login_window_secs: Option<u64>) -> Protected {
    let (config, window) = access_config(login_window_secs);
    let app = spawn_app_with(move |settings| {
        settings.access.config = Some(config);
        // An origin, so that the sitemap and the feed list absolute URLs (plain http: the
        // browser test reaches the server at 127.0.0.1).
        settings.site.base_url = Some("http://notes.example.com".into());
        if let Some(window) = window {
            settings.login.login_failure_window_secs = window as usize;
        }
    })
    .await;
    let dir = tempfile::Builder::new().prefix("access-vault-").tempdir().unwrap();
    let vault = write_vault(dir.path());
    let plugin = vps_testkit::Plugin::new(&app.base, KEY);
    let done = plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
    Protected { app, _vault: vault, _dir: dir }
}

/// One visitor: the cookies it sends.
#[derive(Clone, Debug)]
pub(crate) struct Visitor {
    pub name: &'static str,
    pub cookie: Option<String>,
    /// A share link's query, added to the page it opens.
    pub share_query: Option<String>,
}

/// An answer: status, headers, body.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Protected {
    pub(crate) async fn get(&self, visitor: &Visitor, path: &str) -> Answer {
        let client = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut request = client.get(self.app.url(path));
        if let Some(cookie) = &visitor.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Answer { status, headers, body }
    }

    /// Logs `name` in through the form, as a browser does: the page's CSRF cookie and value.
    pub(crate) async fn login(&self, name: &str, password: &str) -> Result<String, (StatusCode, String)> {
        let (csrf_cookie, csrf) = self.login_form().await;
        let response = self
            .post_login(&csrf_cookie, &[("name", name), ("password", password), ("csrf", &csrf), ("next", "/")])
            .await;
        let status = response.status();
        let session = set_cookie(response.headers(), "vps_session");
        match (status, session) {
            (StatusCode::SEE_OTHER, Some(session)) => Ok(format!("vps_session={session}")),
            _ => Err((status, response.text().await.unwrap_or_default())),
        }
    }

    /// The login form's CSRF cookie (`vps_csrf=…`) and hidden value.
    pub(crate) async fn login_form(&self) -> (String, String) {
        let answer = self.get(&anonymous(), "/_login").await;
        assert_eq!(answer.status, StatusCode::OK);
        let cookie = set_cookie(&answer.headers, "vps_csrf").expect("the login page sets its CSRF cookie");
        let value = hidden_value(&answer.body, "csrf").expect("the form has its CSRF value");
        (format!("vps_csrf={cookie}"), value)
    }

    pub(crate) async fn post_login(&self, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let client = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        client
            .post(self.app.url("/_login"))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap())
            .send()
            .await
            .unwrap()
    }

    /// A share link for `route` valid for `seconds` (negative: already expired), signed with the
    /// server's key as `vps-publish share` does.
    pub(crate) fn share(&self, route: &str, seconds: i64) -> String {
        let key = Key::load_or_create(self.app.data.path()).unwrap();
        let generation = vps_access::share_generation(self.app.data.path()).unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let token = ShareToken { route: route.to_owned(), expires_at_s: (now + seconds) as u64, generation };
        key.sign_share(&token).unwrap()
    }
}

pub(crate) fn anonymous() -> Visitor {
    Visitor { name: "anonymous", cookie: None, share_query: None }
}

/// The value a `Set-Cookie` header gives cookie `name`.
pub(crate) fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(SET_COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|line| {
        let (pair, _) = line.split_once(';').unwrap_or((line, ""));
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name && !value.is_empty()).then(|| value.to_owned())
    })
}

/// The `value` of the hidden input `name` of a form.
pub(crate) fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_owned())
}

/// Which protected markers a body shows.
fn leaks(body: &str, markers: &[&str]) -> Vec<String> {
    let lower = body.to_lowercase();
    markers.iter().filter(|marker| lower.contains(&marker.to_lowercase())).map(|marker| (*marker).to_owned()).collect()
}

const TEAM_MARKERS: [&str; 4] = [TEAM_TITLE, TEAM_WORD, TEAM_ROUTE, TEAM_TAG];
const BOARD_MARKERS: [&str; 2] = [BOARD_TITLE, BOARD_WORD];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_surface_shows_protected_pages_only_to_their_readers() {
    let site = publish_protected(None).await;
    let alice = site.login("alice", ALICE_PASSWORD).await.expect("alice logs in");
    let bob = site.login("bob", BOB_PASSWORD).await.expect("bob logs in");
    let share = site.share(TEAM_ROUTE, 3600);
    let expired = site.share(TEAM_ROUTE, -10);
    let visitors = [
        anonymous(),
        Visitor { name: "alice (team)", cookie: Some(alice.clone()), share_query: None },
        Visitor { name: "bob (board)", cookie: Some(bob.clone()), share_query: None },
        Visitor { name: "share link", cookie: Some(format!("vps_share={share}")), share_query: Some(share.clone()) },
        Visitor {
            name: "expired share link",
            cookie: Some(format!("vps_share={expired}")),
            share_query: Some(expired),
        },
    ];
    let plan_png = vps_testkit::vault::sha256_hex(&vps_testkit::image_png(8, 8, [2, 20, 30]));
    let shared_png = vps_testkit::vault::sha256_hex(&vps_testkit::image_png(8, 8, [1, 20, 30]));
    let team_html_blob = stored_page_blob(&site.app, TEAM_ROUTE);
    let team_variant = stored_variant(&site.app, &team_html_blob);

    let failures = std::cell::RefCell::new(Vec::new());
    // What a body may hold without telling anything: what the visitor sent (the URL a login page
    // offers to come back to, the words a search page repeats) and what a public note's author
    // wrote (the text of a link whose target is protected) are not leaks; the protected page's
    // text, its URL and its tag are, wherever they show.
    let check = |visitor: &Visitor, surface: &str, answer: &Answer, status: StatusCode, may_see_team: bool| {
        let mut problems = Vec::new();
        if answer.status != status {
            problems.push(format!("status {} (expected {status})", answer.status));
        }
        let team_may = may_see_team && answer.status.is_success();
        let echoed: &[&str] = match surface {
            "page" if answer.status == StatusCode::UNAUTHORIZED => &[TEAM_ROUTE],
            "search HTML" => &[TEAM_WORD],
            // The home's summary in its own recent list repeats the home's link text.
            "home: link and transclusion" | "home: recent notes" | "feed" => &[TEAM_TITLE],
            _ => &[],
        };
        let markers: Vec<&str> = TEAM_MARKERS.iter().copied().filter(|marker| !echoed.contains(marker)).collect();
        if !team_may {
            let leaked = leaks(&answer.body, &markers);
            if !leaked.is_empty() {
                problems.push(format!("shows {leaked:?}"));
            }
        }
        // The board's page is for bob alone: no one else sees its title or text anywhere.
        if visitor.name != "bob (board)" {
            let leaked = leaks(&answer.body, &BOARD_MARKERS);
            if !leaked.is_empty() {
                problems.push(format!("shows the board's {leaked:?}"));
            }
        }
        if answer.status == StatusCode::UNAUTHORIZED && !answer.body.contains("name=\"password\"") {
            problems.push("a 401 without the login form".to_owned());
        }
        let println_line = format!("{:<20} {:<28} {}", visitor.name, surface, answer.status);
        println!("{println_line}");
        if !problems.is_empty() {
            failures.borrow_mut().push(format!("{} / {surface}: {}", visitor.name, problems.join("; ")));
        }
    };

    for visitor in &visitors {
        let is_alice = visitor.name.starts_with("alice");
        let is_share = visitor.name == "share link";
        let team_reader = is_alice;
        let may_open_page = is_alice || is_share;
        let allowed = |yes: bool| if yes { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
        let found = |yes: bool| if yes { StatusCode::OK } else { StatusCode::NOT_FOUND };

        let page_path = match &visitor.share_query {
            Some(token) => format!("{TEAM_ROUTE}?share={token}"),
            None => TEAM_ROUTE.to_owned(),
        };
        let page = site.get(visitor, &page_path).await;
        check(visitor, "page", &page, allowed(may_open_page), true);
        if may_open_page {
            assert!(page.body.contains(TEAM_WORD), "{}: the page shows its text", visitor.name);
            let cache = page.headers.get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert_eq!(cache, "private, no-store", "{}: a protected page is never kept by shared caches", visitor.name);
            let vary: Vec<&str> = page.headers.get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect();
            assert!(
                vary.iter().any(|v| v.to_lowercase().contains("cookie")),
                "{}: Vary: Cookie ({vary:?})",
                visitor.name
            );
        } else {
            assert!(page.body.contains("noindex"), "{}: the login page is noindex", visitor.name);
        }
        check(visitor, "folder page /work", &site.get(visitor, "/work").await, allowed(team_reader), true);
        // The newest pages (issue 16): each reader's own view, the team's note for the team only.
        let recent = site.get(visitor, "/recent").await;
        check(visitor, "recent notes /recent", &recent, StatusCode::OK, true);
        if team_reader {
            assert!(recent.body.contains(TEAM_TITLE), "{}: /recent lists the team's note", visitor.name);
        }
        check(
            visitor,
            "asset only it shows",
            &site.get(visitor, "/assets/Work/plan-only.png").await,
            found(may_open_page),
            true,
        );
        check(
            visitor,
            "its image's blob",
            &site.get(visitor, &format!("/_blob/{plan_png}")).await,
            found(may_open_page),
            true,
        );
        check(
            visitor,
            "its page's blob",
            &site.get(visitor, &format!("/_blob/{team_html_blob}")).await,
            found(may_open_page),
            true,
        );
        // A stored variant is never served by itself at `/_blob/` (issue 14), to anyone.
        let variant = site.get(visitor, &format!("/_blob/{team_variant}")).await;
        check(visitor, "its page's brotli variant", &variant, StatusCode::NOT_FOUND, true);
        check(
            visitor,
            "image public pages show too",
            &site.get(visitor, "/assets/Public/shared.png").await,
            StatusCode::OK,
            true,
        );
        check(
            visitor,
            "that image's blob",
            &site.get(visitor, &format!("/_blob/{shared_png}")).await,
            StatusCode::OK,
            true,
        );
        let search = site.get(visitor, &format!("/search?q={TEAM_WORD}")).await;
        check(visitor, "search HTML", &search, StatusCode::OK, team_reader);
        let json = site.get(visitor, &format!("/search?q={TEAM_WORD}&format=json")).await;
        check(visitor, "search JSON", &json, StatusCode::OK, team_reader);
        if team_reader {
            assert!(json.body.contains(TEAM_ROUTE), "alice finds the team's page: {}", json.body);
        }
        check(visitor, "tags index", &site.get(visitor, "/tags").await, StatusCode::OK, team_reader);
        let tag = site.get(visitor, &format!("/tags/{TEAM_TAG}")).await;
        check(visitor, "tag page", &tag, found(team_reader), team_reader);
        let guide = site.get(visitor, "/public/guide").await;
        check(visitor, "nav and backlinks of a public page", &guide, StatusCode::OK, team_reader);
        let home = site.get(visitor, "/").await;
        // The home note's text (its transclusion) is everyone's; the newest pages listed after it
        // (issue 16) are the reader's own view.
        let (text, recent) = match home.body.find("<section class=\"recent-notes\"") {
            Some(at) => (home.body[..at].to_owned(), home.body[at..].to_owned()),
            None => (home.body.clone(), String::new()),
        };
        let part = |body: String| Answer { status: home.status, headers: home.headers.clone(), body };
        check(visitor, "home: link and transclusion", &part(text), StatusCode::OK, false);
        check(visitor, "home: recent notes", &part(recent.clone()), StatusCode::OK, team_reader);
        if team_reader {
            assert!(recent.contains(TEAM_TITLE), "{}: the home lists the team's note as recent", visitor.name);
        }
        check(visitor, "feed", &site.get(visitor, "/feed.xml").await, StatusCode::OK, false);
        let sitemap = site.get(visitor, "/sitemap.xml").await;
        check(visitor, "sitemap", &sitemap, StatusCode::OK, false);
        assert!(sitemap.body.contains("http://notes.example.com/public/guide"), "the sitemap lists public pages");
        let feed = site.get(visitor, "/feed.xml").await;
        assert!(feed.body.contains("http://notes.example.com/public/guide"), "the feed lists public pages");
        check(visitor, "404 page", &site.get(visitor, "/no/such/page").await, StatusCode::NOT_FOUND, false);
        let board = site.get(visitor, "/notes/board-minutes").await;
        let is_bob = visitor.name.starts_with("bob");
        check(visitor, "board page", &board, allowed(is_bob), false);
        // The unlisted note: reachable by its URL, listed nowhere.
        let hidden = site.get(visitor, "/notes/hidden-draft").await;
        assert_eq!(hidden.status, StatusCode::OK, "{}: an unlisted page opens by its URL", visitor.name);
        assert!(hidden.body.contains(UNLISTED_WORD));
        for (surface, answer) in [("search", &search), ("guide", &guide), ("home", &home)] {
            let listed = leaks(&answer.body, &[UNLISTED_TITLE, UNLISTED_WORD, "/notes/hidden-draft"]);
            if !listed.is_empty() {
                failures
                    .borrow_mut()
                    .push(format!("{}: the unlisted page shows in {surface}: {listed:?}", visitor.name));
            }
        }
        let searched = site.get(visitor, &format!("/search?q={UNLISTED_WORD}&format=json")).await;
        if searched.body.contains("hidden-draft") {
            failures.borrow_mut().push(format!("{}: search finds the unlisted page", visitor.name));
        }
        let guide_tag = site.get(visitor, "/tags/guide").await;
        if guide_tag.body.contains(UNLISTED_TITLE) {
            failures.borrow_mut().push(format!("{}: the tag page lists the unlisted page", visitor.name));
        }
    }
    // What alice's view adds: the team's pages in the navigation and backlinks of public pages.
    let alice_visitor = Visitor { name: "alice", cookie: Some(alice), share_query: None };
    let guide = site.get(&alice_visitor, "/public/guide").await;
    assert!(guide.body.contains(TEAM_TITLE), "alice sees the team's page linking to the guide");
    let folder = site.get(&alice_visitor, "/work").await;
    assert!(folder.body.contains(TEAM_TITLE) && folder.body.contains("Second"), "alice's /work lists the team's notes");
    let failures = failures.into_inner();
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

/// The brotli variant of the stored blob `hash`, from the live revision's encodings.
fn stored_variant(app: &TestApp, hash: &str) -> String {
    let current = std::fs::read_to_string(app.data.path().join("current")).unwrap();
    let revision = std::fs::read_to_string(app.data.path().join(format!("revisions/{}.json", current.trim()))).unwrap();
    let revision: serde_json::Value = serde_json::from_str(&revision).unwrap();
    revision["encodings"][hash]["br"]["blob"].as_str().unwrap_or_else(|| panic!("no br variant of {hash}")).to_owned()
}

/// The stored HTML blob of the page at `route`, from the live revision in the data directory.
fn stored_page_blob(app: &TestApp, route: &str) -> String {
    let current = std::fs::read_to_string(app.data.path().join("current")).unwrap();
    let revision = std::fs::read_to_string(app.data.path().join(format!("revisions/{}.json", current.trim()))).unwrap();
    let revision: serde_json::Value = serde_json::from_str(&revision).unwrap();
    revision["pages"][route]["htmlBlob"].as_str().unwrap_or_else(|| panic!("no page at {route}")).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_cookies_and_share_links_are_anonymous_visitors() {
    let site = publish_protected(None).await;
    let alice = site.login("alice", ALICE_PASSWORD).await.unwrap();
    let token = alice.trim_start_matches("vps_session=").to_owned();
    let other_key = Key::from_bytes([7; 32]);
    let forged = other_key
        .sign_session(&vps_access::SessionToken {
            reader: "alice".into(),
            groups_version: 0,
            expires_at_s: u64::MAX / 2,
        })
        .unwrap();
    let mut tampered = token.clone().into_bytes();
    let middle = tampered.len() / 3;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    // A cookie signed with this server's key, for alice as she is, but past its expiry.
    let (config, _) = access_config(None);
    let version = config.reader("alice").unwrap().session_version();
    let key = Key::load_or_create(site.app.data.path()).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let expired = key
        .sign_session(&vps_access::SessionToken {
            reader: "alice".into(),
            groups_version: version,
            expires_at_s: now - 1,
        })
        .unwrap();
    let share = site.share(TEAM_ROUTE, 3600);
    let (payload, _) = share.split_once('.').unwrap();
    let moved_share = site.share("/work/second", 3600);
    let cases: Vec<(&str, String)> = vec![
        ("tampered cookie", format!("vps_session={}", String::from_utf8(tampered).unwrap())),
        ("truncated cookie", format!("vps_session={}", &token[..token.len() - 5])),
        ("cookie of another server's key", format!("vps_session={forged}")),
        ("expired cookie", format!("vps_session={expired}")),
        ("garbage cookie", "vps_session=%%%;;==".to_owned()),
        ("huge cookie", format!("vps_session={}", "A".repeat(6000))),
        ("share link without its signature", format!("vps_share={payload}")),
        ("share link for another page", format!("vps_share={moved_share}")),
    ];
    for (what, cookie) in cases {
        let visitor = Visitor { name: "bad", cookie: Some(cookie), share_query: None };
        let answer = site.get(&visitor, TEAM_ROUTE).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}");
        // The login page offers to come back to the URL asked for; nothing else of the page shows.
        assert!(leaks(&answer.body, &[TEAM_TITLE, TEAM_WORD, TEAM_TAG]).is_empty(), "{what}");
    }
    // A share link whose route or expiry was edited: its signature no longer matches.
    let edited = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (payload, tag) = share.split_once('.').unwrap();
        let mut bytes = engine.decode(payload).unwrap();
        let text = String::from_utf8_lossy(&bytes).replace("zephyr", "second");
        bytes = text.into_bytes();
        format!("{}.{tag}", engine.encode(bytes))
    };
    let answer = site.get(&anonymous(), &format!("/work/second?share={edited}")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "an edited share link opens nothing");
    // Revoking every share link: the good one stops working (the server re-reads the generation).
    let good = site.get(&anonymous(), &format!("{TEAM_ROUTE}?share={share}")).await;
    assert_eq!(good.status, StatusCode::OK);
    vps_access::revoke_all_shares(site.app.data.path()).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let revoked = site.get(&anonymous(), &format!("{TEAM_ROUTE}?share={share}")).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED, "a revoked share link opens nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_rate_limited_csrf_checked_bounded_and_redirect_only_locally() {
    let site = publish_protected(Some(15)).await;
    let (cookie, csrf) = site.login_form().await;

    // Login CSRF: no cookie, a wrong value, another site's form.
    let no_cookie = site.post_login("", &[("name", "alice"), ("password", ALICE_PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(no_cookie.status(), StatusCode::FORBIDDEN);
    let (status, body) = vps_testkit::json_answer(no_cookie).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("login-csrf-failed")));
    let wrong = site.post_login(&cookie, &[("name", "alice"), ("password", ALICE_PASSWORD), ("csrf", "0000")]).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(wrong.headers(), "vps_session").is_none());

    // A 10 MB password: refused at once, by size, without a hash.
    let huge = "p".repeat(10 * 1024 * 1024);
    let started = std::time::Instant::now();
    let answer = site.post_login(&cookie, &[("name", "alice"), ("password", &huge), ("csrf", &csrf)]).await;
    assert!(set_cookie(answer.headers(), "vps_session").is_none());
    let (status, body) = vps_testkit::json_answer(answer).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("request-too-large")));
    println!("10 MB password refused in {:?}", started.elapsed());

    // `next` leads only to paths of this site.
    for (next, expected) in [
        ("/work/zephyr-roadmap", "/work/zephyr-roadmap"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ] {
        let (cookie, csrf) = site.login_form().await;
        let answer = site
            .post_login(&cookie, &[("name", "alice"), ("password", ALICE_PASSWORD), ("csrf", &csrf), ("next", next)])
            .await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{next}");
        let location = answer.headers().get(LOCATION).unwrap().to_str().unwrap().to_owned();
        assert_eq!(location, expected, "next={next}");
    }

    // 100 wrong passwords in a row: 429 with Retry-After once the address used its failures,
    // without checking more passwords; after the wait, the right one works.
    let mut limited = None;
    let (mut wrong, mut refused_unchecked) = (0, 0);
    for attempt in 0..100 {
        let (cookie, csrf) = site.login_form().await;
        let answer = site.post_login(&cookie, &[("name", "alice"), ("password", "wrong"), ("csrf", &csrf)]).await;
        match answer.status() {
            StatusCode::UNAUTHORIZED => {
                wrong += 1;
                assert!(answer.text().await.unwrap().contains("Wrong name or password"));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                refused_unchecked += 1;
                let retry = answer.headers().get("retry-after").unwrap().to_str().unwrap().parse::<u64>().unwrap();
                let (_, body) = vps_testkit::json_answer(answer).await;
                assert_eq!(body["code"], "login-rate-limited");
                if limited.is_none() {
                    let right = site.login("alice", ALICE_PASSWORD).await;
                    assert_eq!(
                        right.map_err(|e| e.0),
                        Err(StatusCode::TOO_MANY_REQUESTS),
                        "even the right password waits"
                    );
                }
                limited = Some((limited.map_or(attempt, |(first, _)| first), retry));
            }
            other => panic!("attempt {attempt}: {other}"),
        }
    }
    let (first_limited, retry) = limited.expect("100 wrong passwords are rate-limited");
    assert_eq!(first_limited, 10, "the 11th failure in the window is refused");
    assert!((1..=15).contains(&retry), "Retry-After {retry}");
    tokio::time::sleep(Duration::from_secs(retry + 1)).await;
    assert!(site.login("alice", ALICE_PASSWORD).await.is_ok(), "after the wait the right password works");

    let metrics = site.get(&anonymous(), "/metrics").await.body;
    let value = |name: &str| {
        metrics.lines().find_map(|line| line.strip_prefix(&format!("{name} "))).and_then(|v| v.parse::<u64>().ok())
    };
    assert!(value("vps_logins_total").unwrap() >= 6, "{metrics}");
    // The window is 15 s here: a slow run may see it end once and allow 10 more failures.
    println!("100 wrong passwords: {wrong} checked and refused, {refused_unchecked} refused unchecked (429)");
    assert!(wrong >= 10 && refused_unchecked >= 1, "{wrong} / {refused_unchecked}");
    assert_eq!(value("vps_login_failures_total"), Some(wrong));
    assert_eq!(value("vps_login_rate_limited_total"), Some(refused_unchecked + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_forgets_the_session_and_a_moved_protected_page_redirects_only_its_readers() {
    let site = publish_protected(None).await;
    let alice = site.login("alice", ALICE_PASSWORD).await.unwrap();
    let reader = Visitor { name: "alice", cookie: Some(alice.clone()), share_query: None };
    assert_eq!(site.get(&reader, TEAM_ROUTE).await.status, StatusCode::OK);

    // Move the team's note (the plugin publishes its folder under another route base): its old
    // route redirects, for its readers only.
    let dir = tempfile::tempdir().unwrap();
    let vault = write_vault(dir.path());
    let mut notes = vault.note_payloads();
    for note in &mut notes {
        if note["vaultPath"] == "Work/Zephyr Roadmap.md" {
            note["folderConfig"]["routeBase"] = serde_json::json!("/archive");
        }
    }
    let plugin = vps_testkit::Plugin::new(&site.app.base, KEY).full_publish();
    let done = plugin.publish(&notes, &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
    let redirect = site.get(&reader, TEAM_ROUTE).await;
    assert_eq!(redirect.status, StatusCode::MOVED_PERMANENTLY);
    let new_route = redirect.headers.get(LOCATION).unwrap().to_str().unwrap().to_owned();
    assert!(new_route.starts_with("/archive"), "{new_route}");
    assert_eq!(site.get(&reader, &new_route).await.status, StatusCode::OK);
    let anonymous_answer = site.get(&anonymous(), TEAM_ROUTE).await;
    assert_eq!(anonymous_answer.status, StatusCode::UNAUTHORIZED, "the new address is not told to strangers");
    assert!(anonymous_answer.headers.get(LOCATION).is_none() && !anonymous_answer.body.contains(&new_route));

    // Logout: a form with the CSRF value; then the page is the login page again.
    let (csrf_cookie, csrf) = site.login_form().await;
    let client = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let forged = client
        .post(site.app.url("/_logout"))
        .header("cookie", alice.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "a logout without the CSRF cookie is refused");
    let out = client
        .post(site.app.url("/_logout"))
        .header("cookie", format!("{alice}; {csrf_cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let cleared: BTreeSet<String> = out
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|line| line.contains("Max-Age=0"))
        .map(|line| line.split('=').next().unwrap().to_owned())
        .collect();
    assert!(cleared.contains("vps_session"), "{cleared:?}");
    let after = Visitor { name: "after logout", cookie: None, share_query: None };
    assert_eq!(site.get(&after, &new_route).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_access_table_every_page_is_public_as_before_and_unlisted_pages_stay_unlisted() {
    let app = vps_server::test_util::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let vault = write_vault(dir.path());
    let plugin = vps_testkit::Plugin::new(&app.base, KEY);
    let done = plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
    let site = Protected { app, _vault: vault, _dir: dir };
    let page = site.get(&anonymous(), TEAM_ROUTE).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-cache", "public caching, as before");
    assert!(page.headers.get(SET_COOKIE).is_none());
    assert_eq!(site.get(&anonymous(), "/_login").await.status, StatusCode::NOT_FOUND, "no login without readers");
    assert_eq!(site.get(&anonymous(), "/notes/board-minutes").await.status, StatusCode::OK);
    let hidden = site.get(&anonymous(), "/notes/hidden-draft").await;
    assert_eq!(hidden.status, StatusCode::OK);
    let search = site.get(&anonymous(), &format!("/search?q={UNLISTED_WORD}&format=json")).await;
    assert!(!search.body.contains("hidden-draft"), "unlisted: out of search without [access] too");
    let found = site.get(&anonymous(), &format!("/search?q={TEAM_WORD}&format=json")).await;
    assert!(found.body.contains(TEAM_ROUTE), "a folder rule needs an [access] table: {}", found.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_an_access_table_protects_the_live_site_without_a_republish() {
    use vps_server::test_util::start_app;
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = write_vault(dir.path());
    let open = start_app(data.path(), |_| {}).await;
    let plugin = vps_testkit::Plugin::new(&open.base, KEY);
    let done = plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = client.get(format!("{}{TEAM_ROUTE}", open.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "public before the rules");
    open.stop().await;

    let (config, _) = access_config(None);
    let guarded = start_app(data.path(), move |settings| settings.access.config = Some(config)).await;
    // Served at once with the stored pages' audiences (all public): the server builds the live
    // site again under the new rules in the background, then serves that.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let page = client.get(format!("{}{TEAM_ROUTE}", guarded.base)).send().await.unwrap();
        if page.status() == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the new rules never applied ({})", page.status());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let search = client.get(format!("{}/search?q={TEAM_WORD}&format=json", guarded.base)).send().await.unwrap();
    assert!(!search.text().await.unwrap().contains(TEAM_ROUTE), "the rebuilt site's search hides the team's page");
    guarded.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_http_only_and_lax_under_an_https_base_url() {
    let (config, _) = access_config(None);
    let app = spawn_app_with(move |settings| {
        settings.access.config = Some(config);
        settings.site.base_url = Some("https://notes.example.com".into());
    })
    .await;
    let site =
        Protected { app, _vault: write_vault(tempfile::tempdir().unwrap().path()), _dir: tempfile::tempdir().unwrap() };
    let (cookie, csrf) = site.login_form().await;
    let answer = site.post_login(&cookie, &[("name", "alice"), ("password", ALICE_PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let line = answer
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with("vps_session="))
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=604800"] {
        assert!(line.split("; ").any(|part| part == attribute), "{attribute} missing in {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_site_shows_nothing_to_strangers_and_everything_to_any_reader() {
    let hash = vps_access::hash_password(ALICE_PASSWORD).unwrap();
    let text = format!("[access]\nsite = \"private\"\n[access.readers.carol]\npassword = \"{hash}\"\n");
    let config = Arc::new(AccessConfig::from_settings_text(&text).unwrap().unwrap());
    let app = spawn_app_with(move |settings| {
        settings.access.config = Some(config);
        settings.site.base_url = Some("http://notes.example.com".into());
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let files: [(&str, Vec<u8>); 3] = [
        ("Home.md", b"# Home\n\nWelcome to [[Alpha]].\n".to_vec()),
        ("Notes/Alpha.md", b"# Alpha\n\nThe ocelotword note. #alphatag\n\n![[pic.png]]\n".to_vec()),
        ("Notes/pic.png", vps_testkit::image_png(8, 8, [9, 9, 9])),
    ];
    for (path, bytes) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let vault = vault::scan(dir.path()).unwrap();
    let plugin = vps_testkit::Plugin::new(&app.base, KEY);
    let done = plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
    let site = Protected { app, _vault: vault, _dir: dir };
    let stranger = anonymous();
    let carol = site.login("carol", ALICE_PASSWORD).await.expect("carol, in no group, logs in");
    let carol = Visitor { name: "carol", cookie: Some(carol), share_query: None };
    let secret = ["ocelotword", "alphatag", "/notes/alpha"];
    for (path, stranger_status) in [
        ("/", StatusCode::UNAUTHORIZED),
        ("/notes/alpha", StatusCode::UNAUTHORIZED),
        ("/notes", StatusCode::UNAUTHORIZED),
        ("/tags/alphatag", StatusCode::NOT_FOUND),
        ("/assets/Notes/pic.png", StatusCode::NOT_FOUND),
        ("/search?q=ocelotword&format=json", StatusCode::OK),
        ("/sitemap.xml", StatusCode::OK),
        ("/feed.xml", StatusCode::OK),
    ] {
        let answer = site.get(&stranger, path).await;
        assert_eq!(answer.status, stranger_status, "anonymous {path}");
        let shown = leaks(&answer.body, &secret).into_iter().filter(|marker| !path.contains(marker.as_str())).count();
        assert_eq!(shown, 0, "anonymous {path} shows something private: {}", answer.body);
        let answer = site.get(&carol, path).await;
        assert_eq!(answer.status, StatusCode::OK, "carol {path}");
    }
    assert!(site.get(&carol, "/notes/alpha").await.body.contains("ocelotword"));
    assert!(site.get(&carol, "/notes").await.body.contains("Alpha"), "carol's folder page lists the note");
    assert!(site.get(&carol, "/search?q=ocelotword&format=json").await.body.contains("/notes/alpha"));
}

/// Runs `script` until it returns true (a navigation or a form post may take a moment).
pub(crate) async fn wait_until(browser: &vps_testkit::webdriver::Browser, script: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let value = browser.execute(script, serde_json::json!([])).await.expect("execute script");
        if value == serde_json::json!(true) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_protected_page_asks_for_a_login_shows_with_its_images_and_goes_after_logout() {
    use crate::browser::{CHROMEDRIVER, CHROMIUM, browser_available, wait_for_images};
    use serde_json::json;
    use vps_testkit::webdriver::{Browser, Chromedriver};
    if !browser_available("in_chromium_a_protected_page_asks_for_a_login_…") {
        return;
    }
    let site = publish_protected(None).await;
    let driver = Chromedriver::start(Path::new(CHROMEDRIVER)).expect("chromedriver starts");
    let browser = Browser::chromium(&driver, Path::new(CHROMIUM)).await.expect("a Chromium session");
    let page_url = site.app.url(TEAM_ROUTE);
    let shows_form = "return !!document.querySelector('form input[name=password]')";

    // Anonymous: the login form, not the page.
    browser.navigate(&page_url).await.unwrap();
    wait_until(&browser, shows_form, "the login form").await;
    let text = browser.execute("return document.body.innerText", json!([])).await.unwrap();
    assert!(!text.as_str().unwrap().contains(TEAM_WORD), "the page's text is not shown before the login");

    // Log in through the form (as typed), the browser keeps the cookie and comes back.
    let submit = format!(
        "document.querySelector('input[name=name]').value = 'alice';
         document.querySelector('input[name=password]').value = {};
         document.querySelector('form.login-form').submit(); return true;",
        serde_json::to_string(ALICE_PASSWORD).unwrap()
    );
    browser.execute(&submit, json!([])).await.unwrap();
    wait_until(&browser, &format!("return document.body.innerText.includes('{TEAM_WORD}')"), "the page after login")
        .await;
    let url = browser.execute("return location.pathname", json!([])).await.unwrap();
    assert_eq!(url, json!(TEAM_ROUTE), "the login leads back to the page asked for");
    assert!(wait_for_images(&browser).await, "the page's images load");
    let images = browser
        .execute(
            "return Array.from(document.images).map(img => [img.getAttribute('src'), img.naturalWidth])",
            json!([]),
        )
        .await
        .unwrap();
    let images = images.as_array().unwrap();
    assert!(images.len() >= 2, "both images are on the page: {images:?}");
    for image in images {
        assert!(image[1].as_u64().unwrap_or(0) > 0, "an image did not load: {image:?}");
    }

    // Logout (the button of the login page), then the page is gone again.
    browser.navigate(&site.app.url("/_login")).await.unwrap();
    wait_until(&browser, "return document.body.innerText.includes('Logged in as')", "who is logged in").await;
    browser
        .execute("document.querySelector('button[type=submit]').closest('form').submit(); return true;", json!([]))
        .await
        .unwrap();
    wait_until(&browser, "return location.pathname === '/'", "the home page after logout").await;
    browser.navigate(&page_url).await.unwrap();
    wait_until(&browser, shows_form, "the login form after logout").await;
    let text = browser.execute("return document.body.innerText", json!([])).await.unwrap();
    assert!(!text.as_str().unwrap().contains(TEAM_WORD), "after logout the page is gone");
    browser.delete().await.expect("the session ends");
}
