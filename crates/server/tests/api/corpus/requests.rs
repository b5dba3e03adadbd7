//! The corpus cases of single requests: the folded tables, authentication and the API, multipart
//! bodies, chunk envelopes, the reader's pages.

use super::*;

/// The tables of `bad_inputs.rs` and `plugin_bad_inputs.rs`, replayed here.
pub(super) fn folded_tables() -> Vec<Case> {
    let mut cases = Vec::new();
    for index in 0..crate::bad_inputs::cases("s", "a").len() {
        let name = crate::bad_inputs::cases("s", "a")[index].name;
        cases.push(http(format!("request table: {name}"), move |ctx| async move {
            let session = ctx.session().await?;
            let aborted = ctx.session().await?;
            ctx.abort(&aborted).await?;
            let case = crate::bad_inputs::cases(&session, &aborted).swap_remove(index);
            let mut request = ctx.client.post(ctx.url(&case.path)).body(case.body);
            if let Some(key) = case.key {
                request = request.header("x-api-key", key);
            }
            if let Some(content_type) = case.content_type {
                request = request.header("content-type", content_type);
            }
            expect_code(&answer(request.send().await).await?, case.status.as_u16(), case.code)
        }));
    }
    for index in 0..crate::plugin_bad_inputs::bad_envelopes("s").len() {
        let name = crate::plugin_bad_inputs::bad_envelopes("s")[index].0;
        cases.push(http(format!("envelope table: {name}"), move |ctx| async move {
            let session = ctx.session().await?;
            let (_, body, status, code) = crate::plugin_bad_inputs::bad_envelopes(&session).swap_remove(index);
            expect_code(&send_envelope(&ctx, &session, "notes", &body).await?, status.as_u16(), code)
        }));
    }
    cases
}

pub(super) fn auth_and_api_cases() -> Vec<Case> {
    let start_with = |name: &'static str,
                      key: Option<&'static str>,
                      extra: Option<(&'static str, &'static str)>,
                      status: u16,
                      code: &'static str| {
        http(name, move |ctx| async move {
            let mut request = ctx.client.post(ctx.url("/api/session/start")).json(&json!({}));
            if let Some(key) = key {
                request = request.header("x-api-key", key);
            }
            if let Some((name, value)) = extra {
                request = request.header(name, value);
            }
            expect_code(&answer(request.send().await).await?, status, code)
        })
    };
    let json_to = |name: &'static str,
                   path: &'static str,
                   content_type: &'static str,
                   body: fn() -> Vec<u8>,
                   status: u16,
                   code: &'static str| {
        http(name, move |ctx| async move {
            let path =
                if path.contains("SESSION") { path.replace("SESSION", &ctx.session().await?) } else { path.to_owned() };
            let request = ctx.post(&path).header("content-type", content_type).body(body());
            expect_code(&answer(request.send().await).await?, status, code)
        })
    };
    vec![
        start_with("auth: an empty x-api-key", Some(""), None, 403, "invalid-api-key"),
        start_with(
            "auth: the key with a trailing space",
            None,
            Some(("x-api-key", "test-api-key-0123456789x")),
            403,
            "invalid-api-key",
        ),
        start_with(
            "auth: a bearer token instead of x-api-key",
            None,
            Some(("authorization", "Bearer test-api-key-0123456789")),
            401,
            "missing-api-key",
        ),
        start_with(
            "auth: a key of 8 KiB",
            Some(Box::leak("k".repeat(8192).into_boxed_str())),
            None,
            403,
            "invalid-api-key",
        ),
        start_with(
            "auth: a key with a non-ASCII byte",
            None,
            Some(("x-api-key", "test-api-key-01234567\u{e9}")),
            403,
            "invalid-api-key",
        ),
        json_to(
            "json: a body over 8 MiB",
            "/api/session/start",
            "application/json",
            || {
                let mut body = b"{\"pad\":\"".to_vec();
                body.extend(std::iter::repeat_n(b'a', 9 << 20));
                body.extend_from_slice(b"\"}");
                body
            },
            413,
            "request-too-large",
        ),
        json_to(
            "json: 100,000 nested arrays",
            "/api/session/start",
            "application/json",
            || "[".repeat(100_000).into_bytes(),
            400,
            "invalid-json",
        ),
        json_to(
            "json: truncated",
            "/api/session/start",
            "application/json",
            || b"{\"notesPlanned\": 1".to_vec(),
            400,
            "invalid-json",
        ),
        json_to(
            "json: start as text/plain",
            "/api/session/start",
            "text/plain",
            || b"{}".to_vec(),
            415,
            "unsupported-content-type",
        ),
        json_to(
            "json: finish with a string count",
            "/api/session/SESSION/finish",
            "application/json",
            || br#"{"notesProcessed":"many"}"#.to_vec(),
            400,
            "invalid-json",
        ),
        json_to(
            "json: check with a negative size",
            "/api/session/SESSION/assets/check",
            "application/json",
            || format!(r#"[{{"path":"a.png","sha256":"{}","size":-1}}]"#, "a".repeat(64)).into_bytes(),
            400,
            "invalid-json",
        ),
        json_to(
            "json: check with a path of 2,000 folders",
            "/api/session/SESSION/assets/check",
            "application/json",
            || {
                format!(r#"[{{"path":"{}a.png","sha256":"{}","size":1}}]"#, "d/".repeat(2000), "a".repeat(64))
                    .into_bytes()
            },
            400,
            "path-too-long",
        ),
        json_to(
            "json: maintenance cleanup without a target",
            "/api/maintenance/cleanup",
            "application/json",
            || b"{}".to_vec(),
            400,
            "invalid-request",
        ),
        http("json: check with 20,000 entries", |ctx| async move {
            let session = ctx.session().await?;
            let entries: Vec<Value> = (0..20_000)
                .map(|i| json!({"path": format!("many/{i}.png"), "sha256": format!("{:064x}", i + 1), "size": 10}))
                .collect();
            let got =
                answer(ctx.post(&format!("/api/session/{session}/assets/check")).json(&entries).send().await).await?;
            expect_code(&got, 413, "too-many-files")
        }),
        http("json: status of an unknown session", |ctx| async move {
            let got = answer(
                ctx.client
                    .get(ctx.url("/api/session/00000000-0000-4000-8000-000000000000/status"))
                    .header("x-api-key", KEY)
                    .send()
                    .await,
            )
            .await?;
            expect_code(&got, 404, "job-not-found")
        }),
        http("events: no job id", |ctx| async move {
            let session = ctx.session().await?;
            expect_code(
                &answer(ctx.get(&format!("/events/session/{session}/finalization")).send().await).await?,
                400,
                "missing-job-id",
            )
        }),
        http("events: a wrong token", |ctx| async move {
            let session = ctx.session().await?;
            let got =
                answer(ctx.get(&format!("/events/session/{session}/finalization?jobId=x&token=nope")).send().await)
                    .await?;
            expect_4xx(&got)
        }),
        http("json: a slow body (1 byte, then nothing) is 408", |ctx| async move {
            let request = ctx
                .post("/api/session/start")
                .header("content-type", "application/json")
                .body(stalled_body(b"{", Duration::from_secs(4 * BODY_IDLE_SECS)));
            expect_code(&answer(request.send().await).await?, 408, "body-timeout")
        }),
    ]
}

pub(super) fn multipart_cases() -> Vec<Case> {
    let boundary = Multipart::new().boundary;
    let mut cases = vec![
        http("multipart: a 20 MB preamble without a boundary", move |ctx| {
            let content_type = format!("multipart/form-data; boundary={}", Multipart::new().boundary);
            async move {
                let session = ctx.session().await?;
                let request = ctx
                    .post(&format!("/api/session/{session}/assets/upload"))
                    .header("content-type", content_type)
                    .body(streamed(Vec::new(), b'p', 20_000_000, Vec::new()));
                expect_code(&answer(request.send().await).await?, 400, "malformed-multipart")
            }
        }),
        http("multipart: part headers that never end (20 MB)", move |ctx| {
            let boundary = Multipart::new().boundary;
            async move {
                let session = ctx.session().await?;
                let head = format!("--{boundary}\r\nX-Never-Ends: ").into_bytes();
                let request = ctx
                    .post(&format!("/api/session/{session}/assets/upload"))
                    .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                    .body(streamed(head, b'h', 20_000_000, Vec::new()));
                expect_code(&answer(request.send().await).await?, 400, "malformed-multipart")
            }
        }),
        http("multipart: a slow body is 408", move |ctx| {
            let boundary = Multipart::new().boundary;
            async move {
                let session = ctx.session().await?;
                let request = ctx
                    .post(&format!("/api/session/{session}/assets/upload"))
                    .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                    .body(stalled_body(b"--", Duration::from_secs(4 * BODY_IDLE_SECS)));
                expect_code(&answer(request.send().await).await?, 408, "body-timeout")
            }
        }),
        http("multipart: Content-Length of 2 GB is refused before the body", |ctx| async move {
            let session = ctx.session().await?;
            let head = raw_request(
                &ctx.base(),
                &format!(
                    "POST /api/session/{session}/assets/upload HTTP/1.1\r\nHost: corpus.test\r\nx-api-key: {KEY}\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: 2000000000\r\nConnection: close\r\n\r\n"
                ),
            )
            .await?;
            if head.starts_with("HTTP/1.1 413") {
                Ok(())
            } else {
                Err(format!("expected 413, got {:?}", head.lines().next()))
            }
        }),
        http("multipart: 101 files", |ctx| async move {
            let session = ctx.session().await?;
            let files: Vec<(String, Vec<u8>)> =
                (0..101).map(|i| (format!("many/{i}.png"), png(100, i as u8))).collect();
            let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(p, d)| (p.as_str(), d.clone())).collect();
            expect_code(&upload(&ctx, &session, multipart_of(&files)).await?, 413, "too-many-files")
        }),
        http("multipart: a file of 100 MiB + 1 byte", |ctx| async move {
            let session = ctx.session().await?;
            let boundary = Multipart::new().boundary;
            let head = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"assets\"; filename=\"big.png\"\r\n\r\n\u{89}PNG"
            )
            .into_bytes();
            let request = ctx
                .post(&format!("/api/session/{session}/assets/upload"))
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(streamed(head, b'b', (100 << 20) + 1, format!("\r\n--{boundary}--\r\n").into_bytes()));
            match answer(request.send().await).await {
                Ok(got) => expect_code(&got, 413, "file-too-large"),
                // Answered as soon as the limit was crossed, while the client still sent.
                Err(e) if e.contains("no answer") => Ok(()),
                Err(e) => Err(e),
            }
        }),
        http("multipart: a boundary of 200 characters still works", |ctx| async move {
            let session = ctx.session().await?;
            let boundary = "b".repeat(200);
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"assets\"; filename=\"a.txt\"\r\n\r\nx\r\n--{boundary}--\r\n"
            );
            expect_status(
                &upload(&ctx, &session, (format!("multipart/form-data; boundary={boundary}"), body.into_bytes()))
                    .await?,
                200,
            )
        }),
    ];
    let refused_path = |name: &'static str, path: &'static str, code: &'static str| {
        http(format!("multipart path: {name}"), move |ctx| async move {
            let session = ctx.session().await?;
            expect_code(&upload(&ctx, &session, multipart_of(&[(path, png(300, 5))])).await?, 400, code)
        })
    };
    cases.extend([
        refused_path("a dot segment", "./a.png", "path-dot-segment"),
        refused_path("a Windows drive", "C:/x.png", "path-absolute"),
        refused_path(
            "a name of 256 bytes",
            Box::leak(format!("{}.png", "n".repeat(252)).into_boxed_str()),
            "path-name-too-long",
        ),
        refused_path("traversal in the middle", "a/../../b.png", "path-traversal"),
        // A raw control character cannot stand in a part header (JSON can carry one: see the tables).
        refused_path("an escape character", "a\u{1b}b.png", "malformed-multipart"),
        refused_path("a trailing slash", "dir/", "path-empty-segment"),
    ]);
    let file_status = |name: &'static str,
                       path: &'static str,
                       data: fn(u64) -> Vec<u8>,
                       status: &'static str,
                       code: Option<&'static str>| {
        http(format!("multipart file: {name}"), move |ctx| async move {
            let file = upload_one_file(&ctx, path, data(ctx.unique())).await?;
            let ok = file["status"] == status && code.is_none_or(|c| file["code"] == c);
            if ok { Ok(()) } else { Err(format!("expected {status} {code:?}, got {file}")) }
        })
    };
    cases.extend([
        file_status("an empty file", "empty.png", |_| Vec::new(), "rejected", Some("empty-file")),
        file_status(
            "an executable named .png",
            "photo.png",
            |_| b"MZ\x90\x00\x03\x00\x00\x00".repeat(40),
            "rejected",
            Some("unsupported-media-type"),
        ),
        file_status(
            "HTML named .txt",
            "page.txt",
            |_| b"<!DOCTYPE html><script>alert(1)</script>".to_vec(),
            "rejected",
            Some("unsupported-media-type"),
        ),
        file_status(
            "a decomposed accent in the name",
            "Ete\u{301}/e\u{301}.png",
            |n| png(400, n as u8),
            "stored",
            None,
        ),
        file_status(
            "a right-to-left override in the name",
            "a\u{202e}gnp.exe.png",
            |n| png(401, n as u8),
            "stored",
            None,
        ),
    ]);
    cases.push(http("multipart: a Content-Digest that is not base64", move |ctx| {
        let boundary = boundary.clone();
        async move {
            let session = ctx.session().await?;
            let mut form = Multipart { boundary, body: Vec::new() };
            form.file_with_headers("assets", "d.png", &[("Content-Digest", "sha-256=:!!!:")], &png(300, 7));
            expect_code(&upload(&ctx, &session, form.finish()).await?, 400, "invalid-content-digest")
        }
    }));
    cases.push(http("multipart: a Content-Digest that does not match", |ctx| async move {
        let session = ctx.session().await?;
        let mut form = Multipart::new();
        form.file_with_headers(
            "assets",
            "m.png",
            &[("Content-Digest", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")],
            &png(300, 8),
        );
        let got = upload(&ctx, &session, form.finish()).await?;
        expect_status(&got, 200)?;
        let file = &got.1["files"][0];
        if file["status"] == "rejected" && file["code"] == "digest-mismatch" {
            Ok(())
        } else {
            Err(format!("got {file}"))
        }
    }));
    cases.push(http("multipart: a blob of an aborted session is not served", |ctx| async move {
        let data = png(900, 200).into_iter().chain(ctx.unique().to_le_bytes()).collect::<Vec<u8>>();
        let hash = sha256_hex(&data);
        let session = ctx.session().await?;
        expect_status(&upload(&ctx, &session, multipart_of(&[("aborted/x.png", data)])).await?, 200)?;
        ctx.abort(&session).await?;
        ctx.never_serve(&hash, "an asset of an aborted session");
        expect_code(&answer(ctx.get(&format!("/_blob/{hash}")).send().await).await?, 404, "blob-not-found")
    }));
    cases
}

pub(super) fn envelope_cases() -> Vec<Case> {
    let batch = serde_json::to_vec(&json!({"notes": [note("A.md", "a")]})).unwrap();
    let gz = gzip(&batch);
    let meta = |total: u64, index: i64, original: u64, compressed: u64, data: Value| move |session: &str| json!({"metadata": {"uploadId": notes_upload_id(session), "chunkIndex": index, "totalChunks": total, "originalSize": original, "compressedSize": compressed}, "data": data});
    let b64 = |bytes: &[u8]| envelope("", 0, 1, 0, 0, bytes)["data"].clone();
    let envelope_case =
        |name: &'static str, make: Box<dyn Fn(&str) -> Value + Send + Sync>, status: u16, code: &'static str| {
            let make = Arc::new(make);
            http(format!("envelope: {name}"), move |ctx| {
                let make = make.clone();
                async move {
                    let session = ctx.session().await?;
                    let got = send_envelope(&ctx, &session, "notes", &make(&session)).await?;
                    if code.is_empty() { expect_4xx(&got) } else { expect_code(&got, status, code) }
                }
            })
        };
    let (n, g) = (batch.len() as u64, gz.len() as u64);
    let nested_json = format!("{{\"notes\":{}", "[".repeat(100_000)).into_bytes();
    let nested = gzip(&nested_json);
    let nested_len = nested_json.len() as u64;
    let not_a_list = serde_json::to_vec(&json!({"notes": {"a": 1}})).unwrap();
    let gz_gz = gzip(&gz);
    let big = vec![b'A'; (1 << 20) + 4];
    vec![
        // The code is the chunk store's choice; any 4xx with a code will do.
        envelope_case("totalChunks = 1e15", Box::new(meta(1_000_000_000_000_000, 0, n, g, b64(&gz))), 0, ""),
        envelope_case("totalChunks = 0", Box::new(meta(0, 0, n, g, b64(&gz))), 400, "invalid-chunk-metadata"),
        envelope_case("a negative chunkIndex", Box::new(meta(1, -1, n, g, b64(&gz))), 400, "invalid-envelope"),
        envelope_case(
            "originalSize = 1e15",
            Box::new(meta(1, 0, 1_000_000_000_000_000, g, b64(&gz))),
            413,
            "decompressed-too-large",
        ),
        envelope_case(
            "compressedSize = u64::MAX",
            Box::new(meta(1, 0, n, u64::MAX, b64(&gz))),
            413,
            "upload-too-large",
        ),
        envelope_case(
            "base64 garbage",
            Box::new(meta(1, 0, n, g, json!("\u{0}\u{1}not base64 at all ==="))),
            400,
            "invalid-base64",
        ),
        envelope_case("data is a number", Box::new(meta(1, 0, n, g, json!(12))), 400, "invalid-envelope"),
        envelope_case(
            "a decoded slice over 1 MiB",
            Box::new(meta(2, 0, n, (2 << 20) as u64, b64(&big))),
            413,
            "chunk-too-large",
        ),
        envelope_case(
            "gzip of gzip",
            Box::new(meta(1, 0, gz.len() as u64, gz_gz.len() as u64, b64(&gz_gz))),
            400,
            "invalid-json",
        ),
        envelope_case(
            "100,000 nested arrays in a notes batch",
            Box::new(meta(1, 0, nested_len, nested.len() as u64, b64(&nested))),
            400,
            "invalid-json",
        ),
        envelope_case(
            "notes that are not a list",
            Box::new({
                let gz = gzip(&not_a_list);
                meta(1, 0, not_a_list.len() as u64, gz.len() as u64, b64(&gz))
            }),
            400,
            "invalid-json",
        ),
        envelope_case(
            "an upload id with ../",
            Box::new(
                move |session: &str| json!({"metadata": {"uploadId": format!("notes-{session}-../../etc"), "chunkIndex": 0, "totalChunks": 1, "originalSize": 1, "compressedSize": 1}, "data": "QQ=="}),
            ),
            400,
            "invalid-upload-id",
        ),
        envelope_case("metadata missing", Box::new(|_: &str| json!({"data": "QQ=="})), 400, "invalid-envelope"),
        http("envelope: a ninth open upload of one session", |ctx| async move {
            let session = ctx.session().await?;
            let gz = gzip(br#"{"notes":[]}"#);
            let mut last = (StatusCode::OK, Value::Null);
            for _ in 0..9 {
                last = send_envelope(
                    &ctx,
                    &session,
                    "notes",
                    &envelope(&notes_upload_id(&session), 0, 2, 12, gz.len(), &gz[..1]),
                )
                .await?;
            }
            expect_code(&last, 409, "too-many-open-uploads")
        }),
        http("envelope: a legacy asset of base64 garbage is that asset's error", |ctx| async move {
            let session = ctx.session().await?;
            let mut bad = asset("ok/fine.png", &png(300, 9));
            bad["contentBase64"] = json!("@@@@ not base64");
            let good = asset("ok/good.png", &png(300, 10));
            let answers = ctx.plugin().send_batch(&session, "assets", &json!({"assets": [bad, good]}), L / 2).await;
            let (status, body) = answers.last().cloned().unwrap_or((StatusCode::OK, Value::Null));
            let errors = body["errors"].as_array().cloned().unwrap_or_default();
            let ok = status == StatusCode::OK
                && body["publishedCount"] == 1
                && errors.len() == 1
                && errors[0]["code"] == "invalid-base64";
            if ok {
                Ok(())
            } else {
                Err(format!("expected 200 with one invalid-base64 error, got {status} {}", short(&body)))
            }
        }),
    ]
}

pub(super) fn reader_cases() -> Vec<Case> {
    let redirect = |target: &'static str| {
        http(format!("reader: GET {target} stays on the site"), move |ctx| expect_local_redirect(ctx, target))
    };
    let not_found = |name: &'static str, path: &'static str| {
        http(format!("reader: {name}"), move |ctx| async move {
            let response = ctx.get(path).send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if status == StatusCode::NOT_FOUND && !text.contains("root:x:0") {
                Ok(())
            } else {
                Err(format!("expected 404, got {status}"))
            }
        })
    };
    vec![
        redirect("//evil.example/"),
        redirect("/%2F%2Fevil.example/"),
        redirect("///evil.example/"),
        redirect("/\\evil.example/"),
        redirect("/%5Cevil.example/"),
        redirect("/%2F%5Cevil.example/"),
        redirect("/corpus/\\/evil.example/"),
        not_found("encoded traversal under /assets", "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
        not_found("a path of 10,000 segments", Box::leak("/a".repeat(10_000).into_boxed_str())),
        http("reader: /_blob/ of an unknown hash", |ctx| async move {
            expect_code(
                &answer(ctx.get(&format!("/_blob/{}", "ab".repeat(32))).send().await).await?,
                404,
                "blob-not-found",
            )
        }),
        http("reader: /_blob/ of a malformed hash", |ctx| async move {
            expect_code(&answer(ctx.get("/_blob/..%2F..%2Fapi-key").send().await).await?, 400, "invalid-hash")
        }),
        http("reader: a search query of 60 KB", |ctx| async move {
            let response =
                ctx.get(&format!("/search?q={}", "a".repeat(60_000))).send().await.map_err(|e| e.to_string())?;
            if response.status() == StatusCode::OK {
                Ok(())
            } else {
                Err(format!("expected 200, got {}", response.status()))
            }
        }),
        http("reader: 1,000 ranges of a page's blob", |ctx| async move {
            let hash = page_etag(&ctx, KNOWN_PAGE).await?;
            let ranges: Vec<String> = (0..1000).map(|i| format!("{i}-{i}")).collect();
            let response = ctx
                .get(&format!("/_blob/{hash}"))
                .header("range", format!("bytes={}", ranges.join(",")))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if response.status().is_server_error() { Err(format!("answered {}", response.status())) } else { Ok(()) }
        }),
    ]
}
