//! Every bad input gets a 4xx JSON answer with a stable code, and the server keeps serving with
//! nothing left behind.

use reqwest::StatusCode;

use crate::helpers::*;

/// One bad request and the answer it must get. The bad-input corpus (`corpus.rs`) replays this
/// table too.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) path: String,
    pub(crate) key: Option<&'static str>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
}

fn multipart_with_filename(filename: &str) -> (String, Vec<u8>) {
    let mut form = Multipart::new();
    form.file("assets", filename, &png(500, 1));
    form.finish()
}

pub(crate) fn cases(session: &str, aborted: &str) -> Vec<Case> {
    let upload = format!("/api/session/{session}/assets/upload");
    let multipart = |name, (content_type, body): (String, Vec<u8>), status, code| Case {
        name,
        path: upload.clone(),
        key: Some(KEY),
        content_type: Some(content_type),
        body,
        status,
        code,
    };
    let boundary = Multipart::new().boundary;
    let good = multipart_with_filename("ok.png");
    let truncated = {
        let mut form = Multipart::new();
        form.file("assets", "cut.png", &png(50_000, 2));
        let (content_type, body) = form.finish();
        (content_type, body[..30_000].to_vec())
    };
    let raw = |text: String| (format!("multipart/form-data; boundary={boundary}"), text.into_bytes());
    let long_name = format!("{}.png", "n".repeat(10_000));

    vec![
        multipart(
            "no boundary",
            ("multipart/form-data".into(), good.1.clone()),
            StatusCode::BAD_REQUEST,
            "multipart-boundary-missing",
        ),
        multipart(
            "not multipart",
            ("text/plain".into(), b"hello".to_vec()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-content-type",
        ),
        multipart("truncated body", truncated, StatusCode::BAD_REQUEST, "malformed-multipart"),
        multipart(
            "malformed part headers",
            raw(format!("--{boundary}\r\nContent-Disposition form-data name assets\r\n\r\nxx\r\n--{boundary}--\r\n")),
            StatusCode::BAD_REQUEST,
            "malformed-multipart",
        ),
        multipart(
            "garbage instead of parts",
            raw("this is not multipart at all".into()),
            StatusCode::BAD_REQUEST,
            "malformed-multipart",
        ),
        multipart("no parts at all", raw(format!("--{boundary}--\r\n")), StatusCode::BAD_REQUEST, "no-files"),
        multipart(
            "filename with ../",
            multipart_with_filename("../../etc/passwd.png"),
            StatusCode::BAD_REQUEST,
            "path-traversal",
        ),
        multipart(
            "absolute filename",
            multipart_with_filename("/etc/passwd.png"),
            StatusCode::BAD_REQUEST,
            "path-absolute",
        ),
        // A raw NUL cannot stand in a part header at all; JSON can carry one (see the check cases).
        multipart(
            "filename with NUL",
            multipart_with_filename("a\0b.png"),
            StatusCode::BAD_REQUEST,
            "malformed-multipart",
        ),
        multipart(
            "filename with a backslash",
            multipart_with_filename("dir\\\\evil.png"),
            StatusCode::BAD_REQUEST,
            "path-backslash",
        ),
        multipart(
            "filename of 10,000 characters",
            multipart_with_filename(&long_name),
            StatusCode::BAD_REQUEST,
            "path-too-long",
        ),
        multipart("empty segment", multipart_with_filename("a//b.png"), StatusCode::BAD_REQUEST, "path-empty-segment"),
        multipart(
            "part without filename",
            raw(format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"assets\"\r\n\r\nxx\r\n--{boundary}--\r\n"
            )),
            StatusCode::BAD_REQUEST,
            "missing-filename",
        ),
        multipart(
            "unexpected field",
            {
                let mut form = Multipart::new();
                form.file("avatar", "a.png", &png(100, 3));
                form.finish()
            },
            StatusCode::BAD_REQUEST,
            "unexpected-field",
        ),
        multipart(
            "one path twice",
            {
                let mut form = Multipart::new();
                form.file("assets", "a.png", &png(100, 3)).file("assets", "a.png", &png(100, 4));
                form.finish()
            },
            StatusCode::BAD_REQUEST,
            "duplicate-path",
        ),
        Case {
            name: "missing API key",
            key: None,
            ..multipart("", good.clone(), StatusCode::UNAUTHORIZED, "missing-api-key")
        },
        Case {
            name: "wrong API key",
            key: Some("wrong-key-12345"),
            ..multipart("", good.clone(), StatusCode::FORBIDDEN, "invalid-api-key")
        },
        Case {
            name: "unknown session",
            path: "/api/session/00000000-0000-4000-8000-000000000000/assets/upload".into(),
            ..multipart("", good.clone(), StatusCode::NOT_FOUND, "session-not-found")
        },
        Case {
            name: "malformed session id",
            path: "/api/session/..%2F..%2Fetc/assets/upload".into(),
            ..multipart("", good.clone(), StatusCode::BAD_REQUEST, "invalid-session-id")
        },
        Case {
            name: "aborted session",
            path: format!("/api/session/{aborted}/assets/upload"),
            ..multipart("", good.clone(), StatusCode::CONFLICT, "session-not-open")
        },
        Case {
            name: "start with invalid JSON",
            path: "/api/session/start".into(),
            key: Some(KEY),
            content_type: Some("application/json".into()),
            body: b"{\"notesPlanned\": ".to_vec(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid-json",
        },
        Case {
            name: "check with a malformed hash",
            path: format!("/api/session/{session}/assets/check"),
            key: Some(KEY),
            content_type: Some("application/json".into()),
            body: br#"[{"path":"a.png","sha256":"xyz","size":1}]"#.to_vec(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid-hash",
        },
        Case {
            name: "check with a traversal path",
            path: format!("/api/session/{session}/assets/check"),
            key: Some(KEY),
            content_type: Some("application/json".into()),
            body: format!(r#"[{{"path":"../a.png","sha256":"{}","size":1}}]"#, "a".repeat(64)).into_bytes(),
            status: StatusCode::BAD_REQUEST,
            code: "path-traversal",
        },
        Case {
            name: "check with NUL in a path",
            path: format!("/api/session/{session}/assets/check"),
            key: Some(KEY),
            content_type: Some("application/json".into()),
            body: format!(r#"[{{"path":"a\u0000b.png","sha256":"{}","size":1}}]"#, "a".repeat(64)).into_bytes(),
            status: StatusCode::BAD_REQUEST,
            code: "path-nul",
        },
        Case {
            name: "check with a control character in a path",
            path: format!("/api/session/{session}/assets/check"),
            key: Some(KEY),
            content_type: Some("application/json".into()),
            body: format!(r#"[{{"path":"a\u001bb.png","sha256":"{}","size":1}}]"#, "a".repeat(64)).into_bytes(),
            status: StatusCode::BAD_REQUEST,
            code: "path-control-character",
        },
        Case {
            name: "check that is not a list",
            path: format!("/api/session/{session}/assets/check"),
            key: Some(KEY),
            content_type: Some("application/json".into()),
            body: br#"{"path":"a.png"}"#.to_vec(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid-json",
        },
        Case {
            name: "unknown API route",
            path: "/api/nothing/here".into(),
            key: Some(KEY),
            content_type: None,
            body: Vec::new(),
            status: StatusCode::NOT_FOUND,
            code: "route-not-found",
        },
    ]
}

#[tokio::test]
async fn each_bad_input_gets_its_status_and_code_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let session = app.start_session().await;
    let aborted = app.start_session().await;
    let response =
        app.post(&format!("/api/session/{aborted}/abort")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    for case in cases(&session, &aborted) {
        let mut request = app.client.post(app.url(&case.path)).body(case.body);
        if let Some(key) = case.key {
            request = request.header("x-api-key", key);
        }
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let (status, body) = json_answer(response).await;
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(body["code"], case.code, "{}: {body}", case.name);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}: {body}", case.name);
        assert!(app.blob_files().is_empty(), "{}: nothing is stored", case.name);
        app.wait_for_empty_temp().await;
    }
    app.assert_still_serving().await;
}

#[tokio::test]
async fn abort_is_idempotent_and_unknown_sessions_are_404() {
    let app = spawn_app().await;
    let session = app.start_session().await;
    for _ in 0..2 {
        let response =
            app.post(&format!("/api/session/{session}/abort")).json(&serde_json::json!({})).send().await.unwrap();
        let (status, body) = json_answer(response).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["success"], true);
    }
    let response = app
        .post("/api/session/00000000-0000-4000-8000-000000000000/abort")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_answer(response).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("session-not-found")));
}
