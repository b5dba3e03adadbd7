//! The corpus cases of publishing, of state files left by a previous run, and the last one.

use super::*;

pub(super) fn publish_cases() -> Vec<Case> {
    let deep_path: Arc<String> = Arc::new(format!("{}Deep.md", "d/".repeat(20_000)));
    vec![
        publish("publish: a note 20,000 folders deep", move |ctx| {
            let path = deep_path.clone();
            async move {
                expect_limit(&ctx.publish(&[note(&path, "deep")], json!([]), false).await?, &path, "MAX_PATH_DEPTH")
            }
        }),
        publish("publish: A embeds B ×120, B embeds C ×120, C embeds D ×120", |ctx| async move {
            let n = ctx.unique();
            let name = |x: &str| format!("amp{n}/{x}{n}.md");
            let embeds = |x: &str| format!("![[{x}{n}]]\n").repeat(120);
            let notes = [
                note(&name("A"), &embeds("B")),
                note(&name("B"), &embeds("C")),
                note(&name("C"), &embeds("D")),
                note(&name("D"), "A small note, embedded 1.7 million times."),
            ];
            expect_limit(&ctx.publish(&notes, json!([]), false).await?, &name("A"), "MAX_TRANSCLUSION_BYTES")
        }),
        publish(
            "publish: a chain of 200 transclusions stops at the depth limit, deeper embeds shown as links",
            |ctx| async move {
                let n = ctx.unique();
                let notes: Vec<Value> = (0..200)
                    .map(|i| note(&format!("chain{n}/N{i}.md"), &format!("step {i} ![[N{}]]", i + 1)))
                    .collect();
                ctx.publish_ok(&notes).await?;
                let page = ctx.get(&format!("/chain{n}/n0")).send().await.map_err(|e| e.to_string())?;
                let status = page.status();
                let html = page.text().await.map_err(|e| e.to_string())?;
                // MAX_TRANSCLUSION_DEPTH is 5: N1…N5 are expanded in N0's page, N6 is a link.
                if status != 200 || !html.contains("step 5") || html.contains("step 7") {
                    return Err(format!(
                        "expected N0's page with five levels expanded, got {status}: {} bytes",
                        html.len()
                    ));
                }
                Ok(())
            },
        ),
        publish("publish: cleanup rule . → $` on a 200 KB note", |ctx| async move {
            let path = format!("cleanup{}/Big.md", ctx.unique());
            let rules =
                json!([{"id": "quadratic", "name": "quadratic", "regex": ".", "replacement": "$`", "isEnabled": true}]);
            let done = ctx.publish(&[note(&path, &"x".repeat(200_000))], rules, false).await?;
            expect_limit(&done, &path, "CLEANUP_MAX_OUTPUT_BYTES")
        }),
        publish("publish: 100,000 nested >", |ctx| async move {
            let path = format!("nest{}/Quotes.md", ctx.unique());
            expect_limit(
                &ctx.publish(&[note(&path, &format!("{} deep", ">".repeat(100_000)))], json!([]), false).await?,
                &path,
                "MAX_NESTING_DEPTH",
            )
        }),
        publish("publish: a list 20,000 deep on one line", |ctx| async move {
            let path = format!("nest{}/List.md", ctx.unique());
            expect_limit(
                &ctx.publish(&[note(&path, &format!("{}deep", "- ".repeat(20_000)))], json!([]), false).await?,
                &path,
                "MAX_NESTING_DEPTH",
            )
        }),
        publish("publish: a tag 3,000 levels deep", |ctx| async move {
            let path = format!("tags{}/Deep tag.md", ctx.unique());
            let tag = format!("#{}", vec!["t"; 3000].join("/"));
            expect_limit(&ctx.publish(&[note(&path, &tag)], json!([]), false).await?, &path, "MAX_TAG_DEPTH")
        }),
        // Seconds of backtracking on one note today: the per-search backtrack limit is not hit.
        publish(
            "publish: a backtracking cleanup regex fails the job, naming its rule or the time limit",
            |ctx| async move {
                let rules = json!([{"id": "catastrophic-rule", "name": "c", "regex": "^(\\w+\\s?)+(?=\\d)$", "replacement": "", "isEnabled": true}]);
                let done = ctx
                    .publish(
                        &[note(&format!("re{}/R.md", ctx.unique()), &format!("{}b", "a".repeat(40)))],
                        rules,
                        false,
                    )
                    .await?;
                expect_failed_with(&done, "catastrophic-rule")
                    .or_else(|_| expect_failed_with(&done, "CLEANUP_TIME_PER_NOTE_MS"))
            },
        ),
        publish("publish: an invalid cleanup regex names its rule", |ctx| async move {
            let rules = json!([{"id": "unclosed-rule", "name": "u", "regex": "(unclosed", "replacement": "", "isEnabled": true}]);
            expect_failed_with(
                &ctx.publish(&[note(&format!("re{}/U.md", ctx.unique()), "text")], rules, false).await?,
                "unclosed-rule",
            )
        }),
        publish("publish: a vault path with ../ stays a page of the site", |ctx| async move {
            ctx.publish_ok(&[note("../../etc/passwd.md", "not the password file")]).await?;
            let text = ctx.get("/etc/passwd").send().await.map_err(|e| e.to_string())?.text().await.unwrap_or_default();
            if text.contains("root:x:0") { Err("served /etc/passwd".into()) } else { Ok(()) }
        }),
        publish("publish: one vault path twice in a batch", |ctx| async move {
            let path = format!("dup{}/Twice.md", ctx.unique());
            ctx.publish_ok(&[note(&path, "first"), note(&path, "second")]).await
        }),
        publish("publish: unicode names (NFD, right-to-left, emoji, CJK)", |ctx| async move {
            let n = ctx.unique();
            let notes: Vec<Value> =
                ["E\u{301}te\u{301}.md", "a\u{202e}dm.txt.md", "\u{1f600}.md", "日本語.md", "\u{200b}.md"]
                    .iter()
                    .map(|name| note(&format!("uni{n}/{name}"), "text"))
                    .collect();
            ctx.publish_ok(&notes).await
        }),
        publish("publish: a route base with a backslash never links off-site", |ctx| async move {
            let n = ctx.unique();
            let mut page = note(&format!("bs{n}/Page.md"), &format!("findme{n}"));
            page["folderConfig"]["routeBase"] = json!("\\evil.example");
            let done = ctx.publish(&[page], json!([]), false).await?;
            if done["status"] != "completed" && done["status"] != "failed" {
                return Err(format!("the job ended {}", short(&done)));
            }
            let search = ctx
                .get(&format!("/search?q=findme{n}"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .unwrap_or_default();
            let home = ctx.get("/").send().await.map_err(|e| e.to_string())?.text().await.unwrap_or_default();
            for (what, text) in [("the search page", &search), ("the home page", &home)] {
                if text.contains("href=\"/\\") || text.contains("href=\"//") || text.contains("\"/\\\\") {
                    return Err(format!("{what} links off-site"));
                }
            }
            Ok(())
        }),
        publish("publish: 2,000 notes in one folder stay small pages", |ctx| async move {
            let n = ctx.unique();
            let notes: Vec<Value> = (0..2000).map(|i| note(&format!("crowd{n}/Note {i}.md"), "crowded")).collect();
            ctx.publish_ok(&notes).await?;
            let page = ctx
                .get(&format!("/crowd{n}/note-7"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .bytes()
                .await
                .unwrap_or_default();
            // Navigation shows the reader's neighbourhood, not 2,000 siblings on every page.
            if page.len() < 200_000 { Ok(()) } else { Err(format!("a page of the folder is {} bytes", page.len())) }
        }),
        publish("publish: the page of a deleted note is not served at /_blob/", |ctx| async move {
            let n = ctx.unique();
            ctx.publish_ok(&[note(&format!("gone{n}/Gone.md"), &format!("soon deleted {n}"))]).await?;
            let hash = page_etag(&ctx, &format!("/gone{n}/gone")).await?;
            // A full publish without it deletes it.
            let done = ctx.publish(&[note("corpus/Known.md", "known page")], json!([]), true).await?;
            expect_completed(&done)?;
            ctx.never_serve(&hash, "the page of a deleted note");
            expect_code(&answer(ctx.get(&format!("/_blob/{hash}")).send().await).await?, 404, "blob-not-found")
        }),
        publish("publish: a corrupted blob is 500 blob-corrupt, never its bytes", |ctx| async move {
            let n = ctx.unique();
            let data: Vec<u8> = png(5000, 77).into_iter().chain(n.to_le_bytes()).collect();
            let hash = sha256_hex(&data);
            let done = ctx
                .plugin()
                .publish(
                    &[note(&format!("corrupt{n}/Page.md"), &format!("![[c{n}.png]]"))],
                    &[asset(&format!("corrupt{n}/c{n}.png"), &data)],
                )
                .await;
            expect_completed(&done)?;
            let blob = files_under(&ctx.data.join("blobs"))
                .into_iter()
                .find(|p| p.file_name().is_some_and(|f| f.to_string_lossy() == hash));
            let Some(blob) = blob else { return Err("the blob file is not under data/blobs".into()) };
            let mut permissions = std::fs::metadata(&blob).map_err(|e| e.to_string())?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(&blob, permissions).map_err(|e| e.to_string())?;
            let mut bytes = std::fs::read(&blob).map_err(|e| e.to_string())?;
            bytes[100] ^= 0xff;
            std::fs::write(&blob, &bytes).map_err(|e| e.to_string())?;
            for attempt in ["first", "second"] {
                let got = answer(ctx.get(&format!("/_blob/{hash}")).send().await).await;
                match got {
                    Ok(got) => expect_code(&got, 500, "blob-corrupt").map_err(|e| format!("{attempt} request: {e}"))?,
                    // A large blob may be cut mid-stream the first time.
                    Err(e) if attempt == "first" && e.contains("body broke") => {}
                    Err(e) => return Err(format!("{attempt} request: {e}")),
                }
            }
            Ok(())
        }),
        publish("publish: abort during a running finalization", |ctx| async move {
            let n = ctx.unique();
            let notes: Vec<Value> = (0..3000)
                .map(|i| {
                    note(&format!("slow{n}/F{}/Note {i}.md", i % 30), &format!("# {i}\n[[Note {}]] #t{}", i + 1, i % 7))
                })
                .collect();
            let plugin = ctx.plugin();
            let start = plugin.start().await;
            let session = start["sessionId"].as_str().unwrap_or_default().to_owned();
            for batch in
                vps_testkit::vault::cut_batches("{\"notes\":[", notes.iter().map(Value::to_string).collect(), L)
            {
                plugin.send_raw_batch(&session, "notes", batch.as_bytes(), L / 2).await;
            }
            let (status, body) = plugin.finish(&session, notes.len(), 0).await;
            if status != StatusCode::ACCEPTED {
                return Err(format!("finish answered {status} {}", short(&body)));
            }
            let mut running = false;
            for _ in 0..300 {
                let got = answer(
                    ctx.client
                        .get(ctx.url(&format!("/api/session/{session}/status")))
                        .header("x-api-key", KEY)
                        .send()
                        .await,
                )
                .await?;
                if got.1["status"] == "processing" {
                    running = true;
                    break;
                }
                if got.1["status"] == "completed" || got.1["status"] == "failed" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !running {
                return Err("the finalization was never seen running".into());
            }
            let aborted =
                answer(ctx.post(&format!("/api/session/{session}/abort")).json(&json!({})).send().await).await?;
            let done = wait_job(&ctx, &session).await?;
            expect_status(&aborted, 200)?;
            expect_failed_with(&done, "aborted")
        }),
    ]
}

/// State files a previous run left, read at start-up.
pub(super) fn state_file_cases() -> Vec<Case> {
    fn chunk_meta(data: &Path, meta: &str, reply: bool) {
        let dir = data.join("chunks").join(uuid_like()).join("notes").join("left-behind");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("meta.json"), meta).unwrap();
        std::fs::write(dir.join("00000000.chunk"), b"x").unwrap();
        if reply {
            std::fs::write(dir.join("reply.json"), b"{}").unwrap();
        }
    }
    fn session_file(data: &Path, file: &str, content: &[u8]) {
        let dir = data.join("sessions").join(uuid_like());
        std::fs::create_dir_all(&dir).unwrap();
        if file == "job.json" {
            std::fs::write(dir.join("session.json"), b"{\"not\":\"a session\"}").unwrap();
        }
        std::fs::write(dir.join(file), content).unwrap();
    }
    let started = |name: &'static str, setup: fn(&Path)| {
        case(format!("start-up: {name}"), Kind::Restart(setup), |ctx| async move {
            expect_status(&answer(ctx.get("/health").send().await).await?, 200)
        })
    };
    vec![
        started("chunk metadata declaring totalChunks = 1e15", |data| {
            chunk_meta(data, r#"{"totalChunks":1000000000000000,"originalSize":12,"compressedSize":32}"#, false)
        }),
        started("chunk metadata of 1e15 chunks with a recorded reply", |data| {
            chunk_meta(data, r#"{"totalChunks":1000000000000000,"originalSize":12,"compressedSize":32}"#, true)
        }),
        started("chunk metadata that is not JSON", |data| chunk_meta(data, "{\"totalChunks\":", false)),
        started("a session.json that is garbage", |data| session_file(data, "session.json", b"\x00\xffgarbage")),
        started("a session.json of 1e15 notes", |data| {
            session_file(data, "session.json", br#"{"id":"x","notesReceived":1000000000000000,"assets":{"a":1}}"#)
        }),
        started("a job.json that is garbage", |data| session_file(data, "job.json", b"{\"status\":")),
    ]
}

pub(super) fn last_cases() -> Vec<Case> {
    vec![publish("maintenance: after cleanup, /_blob/ serves none of the old site", |ctx| async move {
        let hash = page_etag(&ctx, KNOWN_PAGE).await?;
        let got =
            answer(ctx.post("/api/maintenance/cleanup").json(&json!({"targetName": "corpus"})).send().await).await?;
        expect_status(&got, 200)?;
        let served = answer(ctx.get(&format!("/_blob/{hash}")).send().await).await?;
        // Bring the known page back for the checks that follow.
        ctx.publish_ok(&[note("corpus/Known.md", "known page")]).await?;
        expect_code(&served, 404, "blob-not-found")
    })]
}
