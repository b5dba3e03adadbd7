//! What cases share: answers read and checked, requests built by hand, and the checks after
//! each case.

use super::*;

/// Status and body of an answer; a body that is not JSON becomes a JSON string.
pub(super) async fn answer(response: reqwest::Result<reqwest::Response>) -> Result<(StatusCode, Value), String> {
    let response = response.map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{status}, then the body broke: {e}"))?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

pub(super) fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() <= 300 {
        text
    } else {
        format!("{}… ({} bytes)", &text[..text.floor_char_boundary(300)], text.len())
    }
}

pub(super) fn expect_status(got: &(StatusCode, Value), status: u16) -> Outcome {
    if got.0.as_u16() == status { Ok(()) } else { Err(format!("expected {status}, got {} {}", got.0, short(&got.1))) }
}

/// Exactly this status, and a JSON body with this `code` and a message.
pub(super) fn expect_code(got: &(StatusCode, Value), status: u16, code: &str) -> Outcome {
    let (got_status, body) = got;
    let ok = got_status.as_u16() == status
        && body["code"] == code
        && body["message"].as_str().is_some_and(|m| !m.is_empty());
    if ok { Ok(()) } else { Err(format!("expected {status} {code}, got {got_status} {}", short(body))) }
}

/// Any 4xx with a non-empty `code`.
pub(super) fn expect_4xx(got: &(StatusCode, Value)) -> Outcome {
    let ok = got.0.is_client_error() && got.1["code"].as_str().is_some_and(|c| !c.is_empty());
    if ok { Ok(()) } else { Err(format!("expected a 4xx with a code, got {} {}", got.0, short(&got.1))) }
}

pub(super) fn expect_completed(done: &Value) -> Outcome {
    if done["status"] == "completed" { Ok(()) } else { Err(format!("the publish did not complete: {}", short(done))) }
}

/// The job failed, and its error names the note's vault path and the setting's ENV name.
pub(super) fn expect_limit(done: &Value, vault_path: &str, setting: &str) -> Outcome {
    let error = done["error"].as_str().unwrap_or_default();
    if done["status"] == "failed" && error.contains(vault_path) && error.contains(setting) {
        Ok(())
    } else {
        let path: String = vault_path.chars().take(60).collect();
        Err(format!("expected the job to fail naming {path:?} and {setting}, got {}", short(done)))
    }
}

pub(super) fn expect_failed_with(done: &Value, needle: &str) -> Outcome {
    let error = done["error"].as_str().unwrap_or_default();
    if done["status"] == "failed" && error.contains(needle) {
        Ok(())
    } else {
        Err(format!("expected the job to fail with {needle:?}, got {}", short(done)))
    }
}

/// A request written by hand, so that its target is sent as is (`/\evil`, which URL parsers
/// rewrite); answers the status line and headers.
pub(super) async fn raw_request(base: &str, head: &str) -> Result<String, String> {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.write_all(head.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// `GET target` sent as is; a redirect must stay on this site: one `/`, then not `/` nor `\`.
pub(super) async fn expect_local_redirect(ctx: Arc<Ctx>, target: &'static str) -> Outcome {
    let head =
        raw_request(&ctx.base(), &format!("GET {target} HTTP/1.1\r\nHost: corpus.test\r\nConnection: close\r\n\r\n"))
            .await?;
    let status = head.split(' ').nth(1).unwrap_or_default().to_owned();
    let location = head.lines().find_map(|l| {
        l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("location")).map(|(_, v)| v.trim().to_owned())
    });
    match location {
        Some(location) if !location.starts_with('/') || location.starts_with("//") || location.starts_with("/\\") => {
            Err(format!("{status} redirects off-site: Location: {location}"))
        }
        _ if status.starts_with('5') || status.is_empty() => Err(format!("answered {status:?}")),
        _ => Ok(()),
    }
}

/// A body that sends `first`, then nothing for `pause`, then fails.
pub(super) fn stalled_body(first: &'static [u8], pause: Duration) -> reqwest::Body {
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first.to_vec()) }).chain(
        futures_util::stream::once(async move {
            tokio::time::sleep(pause).await;
            Err(std::io::Error::other("the client gave up"))
        }),
    );
    reqwest::Body::wrap_stream(stream)
}

/// `len` bytes of `byte` (then `tail`), streamed in 64 KiB pieces.
pub(super) fn streamed(prefix: Vec<u8>, byte: u8, len: usize, tail: Vec<u8>) -> reqwest::Body {
    let pieces = len.div_ceil(64 * 1024);
    let body = futures_util::stream::iter(
        std::iter::once(prefix)
            .chain((0..pieces).map(move |i| vec![byte; (len - i * 64 * 1024).min(64 * 1024)]))
            .chain(std::iter::once(tail))
            .map(Ok::<_, std::io::Error>),
    );
    reqwest::Body::wrap_stream(body)
}

pub(super) fn multipart_of(files: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let mut form = Multipart::new();
    for (path, data) in files {
        form.file("assets", path, data);
    }
    form.finish()
}

pub(super) async fn upload(
    ctx: &Ctx,
    session: &str,
    (content_type, body): (String, Vec<u8>),
) -> Result<(StatusCode, Value), String> {
    answer(
        ctx.post(&format!("/api/session/{session}/assets/upload"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await,
    )
    .await
}

/// One file uploaded in a new session: the status of that file in the 200 answer.
pub(super) async fn upload_one_file(ctx: &Ctx, path: &str, data: Vec<u8>) -> Result<Value, String> {
    let session = ctx.session().await?;
    let got = upload(ctx, &session, multipart_of(&[(path, data)])).await?;
    expect_status(&got, 200)?;
    Ok(got.1["files"][0].clone())
}

pub(super) async fn send_envelope(
    ctx: &Ctx,
    session: &str,
    route: &str,
    body: &Value,
) -> Result<(StatusCode, Value), String> {
    answer(ctx.plugin().post(&format!("/api/session/{session}/{route}/upload"), body).send().await).await
}

pub(super) fn notes_upload_id(session: &str) -> String {
    format!("notes-{session}-{}", uuid_like())
}

/// The strong ETag of a page, without quotes: the hash of its HTML blob.
pub(super) async fn page_etag(ctx: &Ctx, route: &str) -> Result<String, String> {
    let response = ctx.get(route).send().await.map_err(|e| e.to_string())?;
    if response.status() != StatusCode::OK {
        return Err(format!("{route} answered {}", response.status()));
    }
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default();
    Ok(etag.trim_start_matches("W/").trim_matches('"').to_owned())
}

// ---------------------------------------------------------------------------------------------
// After each case.

/// What must hold after every case; each problem is one message.
pub(super) async fn post_checks(ctx: &Ctx, publish_too: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for _ in 0..100 {
        if ctx.temp_files().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left = ctx.temp_files();
    if !left.is_empty() {
        problems.push(format!("data/tmp is not empty: {left:?}"));
    }
    for path in ["/health", KNOWN_PAGE] {
        match ctx.get(path).send().await {
            Ok(response) if response.status() == StatusCode::OK => {}
            Ok(response) => problems.push(format!("GET {path} answers {}", response.status())),
            Err(e) => problems.push(format!("GET {path}: no answer: {e}")),
        }
    }
    let unreferenced = ctx.unreferenced.lock().unwrap().clone();
    for (hash, why) in unreferenced {
        match answer(ctx.get(&format!("/_blob/{hash}")).send().await).await {
            Ok(got) if expect_code(&got, 404, "blob-not-found").is_ok() => {}
            Ok((status, _)) => problems.push(format!("/_blob/ serves {why} ({status})")),
            Err(e) => problems.push(format!("/_blob/ of {why}: {e}")),
        }
    }
    if publish_too {
        let n = ctx.unique();
        let route = format!("/corpus/check-{n}");
        let published = ctx.publish_ok(&[note(&format!("corpus/Check {n}.md"), "still publishing")]).await;
        match published {
            Err(e) => problems.push(format!("a small publish fails: {e}")),
            Ok(()) => match ctx.get(&route).send().await {
                Ok(response) if response.status() == StatusCode::OK => {}
                Ok(response) => problems.push(format!("the page just published answers {}", response.status())),
                Err(e) => problems.push(format!("the page just published: {e}")),
            },
        }
    }
    problems
}
