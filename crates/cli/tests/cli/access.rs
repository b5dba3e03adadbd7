//! `vps-publish share` and `vps-publish access check`: the real binary against a data directory
//! (published through the real server, or holding a revision written here).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use vps_access::{Key, TokenError};
use vps_core::revision::{Audience, Generated, NoteHead, Page, Revision, RevisionId};
use vps_store::{Backend, Expect};
use vps_testkit::{Plugin, note};

use crate::BIN;
use crate::publish::{KEY, spawn_app_with};

/// An Argon2id hash (of "correct horse"), as `vps-publish password` prints them.
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$iBSgJveR2P3AGhL6t5LYPA$D0l4+WfkMRRnwwf/ANIfY6txf0iHn/jDrvYNHdOqioQ";

/// `vps-publish <args> --data-dir <data>`, with no setting from the test's environment.
fn run(args: &[&str], data: &Path, env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = Command::new(BIN);
    command.args(args).arg("--data-dir").arg(data);
    for name in ["BASE_URL", "HOST", "PORT", "DATA_DIR", "VPS_PUBLISH_CONFIG"] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let output = command.output().unwrap();
    (output.status.code(), String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The token of a printed share link, checked as a server on `data` checks it.
fn verify(url: &str, data: &Path) -> Result<vps_access::ShareToken, TokenError> {
    let token = url.trim().split_once("?share=").expect("a share parameter").1;
    let key = Key::load_or_create(data).unwrap();
    key.verify_share(token, now_s(), vps_access::share_generation(data).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_prints_a_link_the_key_accepts_for_that_route_until_every_link_is_revoked() {
    let server = spawn_app_with(|_| {}).await;
    let plugin = Plugin::new(&server.base, KEY);
    plugin.publish(&[note("Home.md", "Welcome."), note("Work/Plan.md", "The plan.")], &[]).await;
    let data = server.data.path();
    let base = [("BASE_URL", "https://notes.example.com/")];

    let (code, url, said) = run(&["share", "/work/plan", "--for", "7d"], data, &base);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(url.lines().count(), 1, "stdout is the link alone: {url}");
    assert!(url.starts_with("https://notes.example.com/work/plan?share="), "{url}");
    assert!(said.contains("valid until "), "{said}");
    assert!(said.contains("warning: this page is public"), "no access rules here: {said}");
    let token = verify(&url, data).expect("the data directory's key accepts it");
    assert_eq!(token.route, "/work/plan");
    let week = 7 * 86_400;
    assert!((now_s() + week - 5..=now_s() + week).contains(&token.expires_at_s), "{}", token.expires_at_s);

    // A pasted URL, another duration: the same route.
    let (code, pasted, _) = run(&["share", "https://notes.example.com/work/plan/?x=1", "--for", "30m"], data, &base);
    assert_eq!(code, Some(0));
    let token = verify(&pasted, data).unwrap();
    assert_eq!(token.route, "/work/plan");
    assert!(token.expires_at_s <= now_s() + 1800);

    // `/` opens the home page: the token names the home note's route, which the server serves at `/`.
    let (code, home, said) = run(&["share", "/", "--for", "12h"], data, &[]);
    assert_eq!(code, Some(0), "{said}");
    assert!(home.starts_with("http://127.0.0.1:3000/?share="), "HOST:PORT without BASE_URL: {home}");
    assert!(said.contains("warning: BASE_URL is not set"), "{said}");
    assert_eq!(verify(&home, data).unwrap().route, "/home");

    // No page there: said, and the link is made all the same (percent-encoded).
    let (code, elsewhere, said) = run(&["share", "/café", "--for", "4w"], data, &base);
    assert_eq!(code, Some(0), "{said}");
    assert!(elsewhere.starts_with("https://notes.example.com/caf%C3%A9?share="), "{elsewhere}");
    assert!(said.contains("warning: the live revision has no page at this route"), "{said}");
    assert_eq!(verify(&elsewhere, data).unwrap().route, "/café");

    let (code, revoked, said) = run(&["share", "--revoke-all"], data, &[]);
    assert_eq!(code, Some(0), "{said}");
    assert!(revoked.contains("revoked every share link made before now"), "{revoked}");
    for old in [&url, &pasted, &home, &elsewhere] {
        assert_eq!(verify(old, data), Err(TokenError::Revoked), "{old}");
    }
    let (code, fresh, _) = run(&["share", "/work/plan", "--for", "1h"], data, &base);
    assert_eq!(code, Some(0));
    assert_eq!(verify(&fresh, data).unwrap().route, "/work/plan", "links made after it work");
}

#[test]
fn share_refuses_bad_durations_routes_and_a_missing_data_directory_with_exit_code_2() {
    let data = tempfile::tempdir().unwrap();
    for (args, says) in [
        (&["share", "/a", "--for", "7x"][..], "`7x` is not a duration: write a number and a unit"),
        (&["share", "/a", "--for", "7"], "`7` is not a duration"),
        (&["share", "/a", "--for", "1.5d"], "`1.5d` is not a duration"),
        (&["share", "/a", "--for", "367d"], "`367d` is too long: a share link lasts at most 366 days"),
        (&["share", "/a", "--for", "53w"], "at most 366 days"),
        (&["share", "/a", "--for", "0m"], "a share link lasts at least a minute"),
        (&["share", "/a"], "--for <DURATION>"),
        (&["share", "--for", "7d"], "<ROUTE>"),
        (&["share", "/a", "--for", "7d", "--revoke-all"], "cannot be used with"),
        (&["share", "", "--for", "7d"], "is not a route: it is empty"),
    ] {
        let (code, out, said) = run(args, data.path(), &[]);
        assert_eq!(code, Some(2), "{args:?}: {said}");
        assert!(said.contains(says), "{args:?}: {said}");
        assert!(out.is_empty(), "{args:?} printed {out}");
    }
    assert!(std::fs::read_dir(data.path()).unwrap().next().is_none(), "no key was made");
    let (code, _, said) = run(&["share", "/a", "--for", "7d"], &data.path().join("typo"), &[]);
    assert_eq!(code, Some(2));
    assert!(said.contains("there is no data directory at") && said.contains("typo"), "{said}");
    assert!(!data.path().join("typo").exists());
}

fn settings_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("settings.toml");
    let text = format!(
        r#"
site_name = "Team notes"
[access]
site = "public"
[access.readers.alice]
password = "{HASH}"
groups = ["team"]
[access.readers.bob]
password = "{HASH}"
groups = ["board"]
[access.readers.carol]
password = "{HASH}"
groups = ["team", "board"]
[[access.rules]]
folder = "Work"
groups = ["team"]
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn page(vault_path: &str, audience: Audience, unlisted: bool, frontmatter: Value) -> Page {
    let hash = vps_store::verify::hash_bytes(vault_path.as_bytes());
    let name = vault_path.rsplit('/').next().unwrap().trim_end_matches(".md");
    Page {
        title: name.to_owned(),
        vault_path: vault_path.to_owned(),
        folder_id: "root".to_owned(),
        source_sha256: hash.to_string(),
        source_blob: hash,
        html_blob: hash,
        links: Vec::new(),
        assets: Vec::new(),
        tags: Vec::new(),
        made_from: None,
        head: Some(NoteHead {
            name: name.to_owned(),
            relative_path: vault_path.to_owned(),
            route_base: "/".to_owned(),
            access: frontmatter.get("access").cloned(),
            unlisted: frontmatter.get("unlisted").cloned(),
            ..NoteHead::default()
        }),
        audience,
        unlisted,
    }
}

/// A live revision as a build under [`settings_file`]'s rules makes it, with one page built
/// under older rules (`/work/old`, public).
async fn write_revision(data: &Path) {
    let team = Audience::Groups(["team".to_owned()].into());
    let board = Audience::Groups(["board".to_owned()].into());
    let pages = BTreeMap::from([
        ("/home".to_owned(), page("Home.md", Audience::Public, false, json!({}))),
        ("/work/plan".to_owned(), page("Work/Plan.md", team, false, json!({}))),
        ("/work/old".to_owned(), page("Work/Old.md", Audience::Public, false, json!({}))),
        ("/minutes".to_owned(), page("Minutes.md", board, false, json!({"access": "board"}))),
        ("/hidden".to_owned(), page("Hidden.md", Audience::Public, true, json!({"unlisted": true}))),
    ]);
    let listing = Generated {
        blob: vps_store::verify::hash_bytes(b"listing"),
        content_type: "text/html; charset=utf-8".to_owned(),
        key: None,
    };
    let revision = Revision {
        id: RevisionId::new(1_800_000_000_000, 7),
        created_at_ms: 1_800_000_000_000,
        pages,
        home: Some("/home".to_owned()),
        redirects: BTreeMap::from([("/plan".to_owned(), "/work/plan".to_owned())]),
        generated: BTreeMap::from([("/work".to_owned(), listing)]),
        ..Revision::empty()
    };
    let backend = Backend::Fs { data_dir: data.to_owned(), tmp: data.join("tmp"), batch_bytes: 1 << 16 };
    let revisions = backend.open().unwrap().revisions;
    revisions.save(&revision).await.unwrap();
    revisions.set_current(Some(&revision.id), Expect::Anything).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_check_says_who_may_read_a_page_and_why_with_exit_codes_0_1_2() {
    let data = tempfile::tempdir().unwrap();
    write_revision(data.path()).await;
    let settings = settings_file(data.path());
    let config = settings.to_str().unwrap();
    let check = |route: &str, reader: Option<&str>| {
        let mut args = vec!["access", "check", route, "--config", config];
        args.extend(reader.iter().flat_map(|reader| ["--as", reader]));
        run(&args, data.path(), &[])
    };

    let (code, said, err) = check("/work/plan", Some("alice"));
    assert_eq!(code, Some(0), "{said}{err}");
    assert!(said.contains("page: /work/plan \"Plan\" (Work/Plan.md)"), "{said}");
    assert!(said.contains("audience: groups team (by the folder rule for `Work`)"), "{said}");
    assert!(said.contains("listed: yes"), "{said}");
    assert!(said.contains("may read: readers in team (alice, carol)"), "{said}");
    assert!(said.ends_with("alice: allowed (in group team)\n"), "{said}");
    assert!(!said.contains("other rules"), "{said}");

    let (code, said, _) = check("/work/plan", None);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.ends_with("anonymous: denied (login required)\n"), "{said}");
    let (code, said, _) = check("/work/plan", Some("bob"));
    assert_eq!(code, Some(1), "{said}");
    assert!(said.ends_with("bob: denied (not in group team)\n"), "{said}");

    let (code, said, _) = check("/minutes", Some("carol"));
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("audience: groups board (by the note's frontmatter `access:`)"), "{said}");
    assert!(said.ends_with("carol: allowed (in group board)\n"), "{said}");

    let (code, said, _) = check("/hidden", None);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("audience: public (by the site default (`site = \"public\"`))"), "{said}");
    assert!(said.contains("listed: no (unlisted"), "{said}");
    assert!(said.contains("may read: everyone, logged in or not"), "{said}");
    assert!(said.ends_with("anonymous: allowed (a public page)\n"), "{said}");

    let (code, said, _) = check("/", Some("bob"));
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("page: /home \"Home\" (Home.md)"), "`/` is the home page: {said}");

    let (code, said, _) = check("https://notes.example.com/plan", Some("alice"));
    assert_eq!(code, Some(0), "{said}");
    assert!(said.starts_with("/plan moved to /work/plan\n"), "{said}");

    // Built under other rules: the live audience is what the server enforces, and it says so.
    let (code, said, _) = check("/work/old", None);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("audience: public (as the live revision was built)"), "{said}");
    assert!(said.contains("under the current rules: groups team (by the folder rule for `Work`)"), "{said}");
    assert!(
        said.contains("the live revision was built under other rules; a server applies these when it starts with them"),
        "{said}"
    );

    for (route, reader, says) in [
        ("/nope", None, "no page at /nope: the live revision has no page there"),
        ("/work", None, "no page at /work: it is a generated listing"),
        ("/work/plan", Some("mallory"), "no reader `mallory`: it is not in the `[access.readers]`"),
    ] {
        let (code, said, err) = check(route, reader);
        assert_eq!(code, Some(2), "{route} {reader:?}: {said}{err}");
        assert!(err.contains(says), "{err}");
        assert!(said.is_empty(), "{said}");
    }
    let (code, _, err) = run(&["access", "check", "/work/plan", "--as", "alice"], data.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no reader `alice`: the settings have no `[access]` table"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["access", "check", "/work/plan"], empty.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nothing is published yet"), "{err}");
}

/// The GET of `url`'s path and query on the server at `port`: its status and body.
async fn get(client: &reqwest::Client, port: u16, url: &str) -> (u16, String) {
    let path = url.trim().split_once("://").map_or(url, |(_, rest)| &rest[rest.find('/').unwrap()..]);
    let response = client.get(format!("http://127.0.0.1:{port}{path}")).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_server_publishing_under_access_rules_check_and_share_links_agree_with_it() {
    let data = tempfile::tempdir().unwrap();
    let settings = settings_file(data.path());
    let config = settings.to_str().unwrap().to_owned();
    let server = crate::Server::start(data.path(), &[("API_KEY", KEY), ("VPS_PUBLISH_CONFIG", &config)]);
    let plugin = Plugin::new(&format!("http://127.0.0.1:{}", server.port), KEY);
    let mut minutes = note("Minutes.md", "Board minutes.");
    minutes["frontmatter"]["flat"]["access"] = json!("board");
    let mut hidden = note("Hidden.md", "Out of every listing.");
    hidden["frontmatter"]["flat"]["unlisted"] = json!(true);
    plugin.publish(&[note("Home.md", "Welcome."), note("Work/Plan.md", "The plan."), minutes, hidden], &[]).await;
    let data = data.path();
    let cli = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--config", &config]);
        run(&args, data, &[])
    };

    for (route, reader, code, verdict) in [
        ("/work/plan", Some("alice"), 0, "alice: allowed (in group team)"),
        ("/work/plan", Some("bob"), 1, "bob: denied (not in group team)"),
        ("/work/plan", None, 1, "anonymous: denied (login required)"),
        ("/minutes", Some("bob"), 0, "bob: allowed (in group board)"),
        ("/minutes", Some("alice"), 1, "alice: denied (not in group board)"),
        ("/hidden", None, 0, "anonymous: allowed (a public page)"),
        ("/", None, 0, "anonymous: allowed (a public page)"),
    ] {
        let mut args = vec!["access", "check", route];
        args.extend(reader.iter().flat_map(|reader| ["--as", reader]));
        let (exit, said, err) = cli(&args);
        assert_eq!(exit, Some(code), "{route} {reader:?}: {said}{err}");
        assert!(said.ends_with(&format!("{verdict}\n")), "{said}");
        assert!(!said.contains("other rules"), "built under these rules: {said}");
    }
    let (_, said, _) = cli(&["access", "check", "/work/plan"]);
    assert!(said.contains("audience: groups team (by the folder rule for `Work`)"), "{said}");
    let (_, said, _) = cli(&["access", "check", "/minutes"]);
    assert!(said.contains("(by the note's frontmatter `access:`)") && said.contains("(bob, carol)"), "{said}");
    let (_, said, _) = cli(&["access", "check", "/hidden"]);
    assert!(said.contains("listed: no"), "{said}");

    // The server agrees: a protected page asks for a login, and its share link opens it.
    let client = &plugin.client;
    let port = server.port;
    assert_eq!(get(client, port, "/work/plan").await.0, 401);
    let (code, url, said) = cli(&["share", "/work/plan", "--for", "1h"]);
    assert_eq!(code, Some(0), "{said}");
    assert!(!said.contains("public"), "a protected page: no warning about it: {said}");
    let (status, body) = get(client, port, &url).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("The plan."), "{body}");
    let (code, other, _) = cli(&["share", "/minutes", "--for", "1h"]);
    assert_eq!(code, Some(0));
    let token = other.trim().split_once("?share=").unwrap().1;
    assert_eq!(get(client, port, &format!("/work/plan?share={token}")).await.0, 401, "a link opens its page only");

    let (code, _, said) = cli(&["share", "--revoke-all"]);
    assert_eq!(code, Some(0), "{said}");
    let mut refused = false;
    for _ in 0..30 {
        if get(client, port, &url).await.0 == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refused, "the running server refuses a revoked link");
    let (_, fresh, _) = cli(&["share", "/work/plan", "--for", "1h"]);
    assert_eq!(get(client, port, &fresh).await.0, 200, "a link made after it works");
    server.signal("-TERM");
    let _ = server.wait();
}
