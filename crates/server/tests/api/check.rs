use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// The session's assets as recorded on disk (`assets.jsonl`, one record per line; only `put`
/// records occur here).
fn session_assets(app: &TestApp, session: &str) -> Value {
    let path = app.data.path().join("sessions").join(session).join("assets.jsonl");
    let mut assets = serde_json::Map::new();
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["op"], "put", "{record}");
        assets.insert(record["path"].as_str().unwrap().to_owned(), record);
    }
    Value::Object(assets)
}

#[tokio::test]
async fn a_hash_check_names_what_is_missing_and_links_what_the_server_has() {
    let app = spawn_app().await;
    let known = png(20_000, 1);
    let first = app.start_session().await;
    app.upload(&first, &[("img.png", &known)]).await;

    let second = app.start_session().await;
    let unknown = sha256_hex(b"never uploaded");
    let request = json!([
        {"path": "Attachments/copy of img.png", "sha256": sha256_hex(&known), "size": known.len()},
        {"path": "new.png", "sha256": unknown, "size": 14},
        {"path": "also-new.png", "sha256": unknown, "size": 14},
        {"path": "liar.png", "sha256": sha256_hex(&known), "size": 5},
    ]);
    let response = app.post(&format!("/api/session/{second}/assets/check")).json(&request).send().await.unwrap();
    let (status, body) = json_answer(response).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["missing"], json!([unknown]), "each missing hash once");
    assert_eq!(body["files"][0]["status"], "linked");
    assert_eq!(body["files"][0]["mediaType"], "image/png");
    assert_eq!(body["files"][1]["status"], "missing");
    assert_eq!(body["files"][3]["status"], "rejected");
    assert_eq!(body["files"][3]["code"], "size-mismatch");

    let assets = session_assets(&app, &second);
    assert_eq!(assets["Attachments/copy of img.png"]["sha256"], sha256_hex(&known));
    assert!(assets.get("new.png").is_none() && assets.get("liar.png").is_none());
    assert_eq!(app.blob_files().len(), 1, "linking sends and stores no bytes");
}
