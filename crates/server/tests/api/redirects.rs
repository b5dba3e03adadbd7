//! Every redirect the site makes stays on the site: a `Location` is `/` followed by neither `/`
//! nor `\` (a browser reads `//host` and `/\host` as another host).

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vps_testkit::note;

use crate::helpers::*;

/// Sends `GET <target>` exactly as written (an HTTP client would normalise `//` and `\`);
/// answers the status and the `Location` header.
async fn raw_get(app: &TestApp, target: &str) -> (u16, Option<String>) {
    let mut socket = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let status = answer[9..12].parse().unwrap();
    let head = answer.split("\r\n\r\n").next().unwrap();
    let location = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location").then(|| value.trim().to_owned())
    });
    (status, location)
}

fn is_local(location: &str) -> bool {
    location == "/" || (location.starts_with('/') && !matches!(location.as_bytes()[1], b'/' | b'\\'))
}

#[tokio::test]
async fn redirects_never_leave_the_site() {
    let app = spawn_app().await;
    let plugin = app.plugin();
    plugin.publish(&[note("Old Name.md", "x"), note("Notes/Page.md", "y")], &[]).await;
    let mut moved = note("New Name.md", "x");
    moved["vaultPath"] = json!("Old Name.md");
    plugin.publish(&[moved, note("Notes/Page.md", "y")], &[]).await;

    // (request target, the one Location it must get)
    let table = [
        ("//evil.example/", "/evil.example"),
        ("///evil.example/", "/evil.example"),
        ("////evil.example//", "/evil.example"),
        ("/%2F%2Fevil.example/", "/evil.example"),
        ("/%2f%2fevil.example/", "/evil.example"),
        ("/%2F/evil.example/", "/evil.example"),
        ("/\\evil.example/", "/evil.example"),
        ("/\\\\evil.example/", "/evil.example"),
        ("/\\/evil.example/", "/evil.example"),
        ("//\\evil.example/", "/evil.example"),
        ("/%5Cevil.example/", "/evil.example"),
        ("/%5c%5cevil.example/", "/evil.example"),
        ("/%5C/evil.example/", "/evil.example"),
        ("/%2F%5Cevil.example/", "/evil.example"),
        ("//evil.example/path/", "/evil.example/path"),
        ("//evil.example:8080/", "/evil.example%3A8080"),
        ("/%09/evil.example/", "/%09/evil.example"),
        ("/%0D%0ALocation:%20//evil.example/", "/%0D%0ALocation%3A%20/evil.example"),
        ("/..//evil.example/", "/../evil.example"),
        ("//", "/"),
        ("///", "/"),
        ("/notes//page/", "/notes/page"),
        ("/notes/page/", "/notes/page"),
        ("/old-name", "/new-name"),
        ("/notes/index", "/notes"),
    ];
    for (target, expected) in table {
        let (status, location) = raw_get(&app, target).await;
        let location = location.unwrap_or_else(|| panic!("{target}: no Location ({status})"));
        assert_eq!((status, location.as_str()), (301, expected), "{target}");
        assert!(is_local(&location), "{target} → {location}");
    }
    // Where the redirect leads is a page of the site.
    let response = app.client.get(app.url("/notes//page/")).send().await.unwrap();
    assert_eq!((response.status(), response.url().path()), (StatusCode::OK, "/notes/page"));
}
