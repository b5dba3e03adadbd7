use reqwest::StatusCode;
use serde_json::json;
use vps_server::{ApiKey, Application, Settings, StartupError};

use crate::helpers::*;

#[tokio::test]
async fn start_answers_the_fields_the_plugin_reads() {
    let app = spawn_app().await;
    let plugin_start = json!({
        "notesPlanned": 0, "assetsPlanned": 0, "batchConfig": {"maxBytesPerRequest": 1048576},
        "calloutStyles": [], "customIndexConfigs": [{"id": "c1", "folderPath": "/blog", "indexFilePath": "Blog/_index.md"}],
        "ignoreRules": [{"property": "publish", "ignoreIf": false}], "ignoredTags": ["private"],
        "folderDisplayNames": {"/blog": "Blog"}, "pipelineSignature": {"version": "6.22.1", "renderSettingsHash": "3e1d"},
        "locale": "en", "deduplicationEnabled": true
    });
    let response = app.post("/api/session/start").json(&plugin_start).send().await.unwrap();
    let (status, body) = json_answer(response).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = body["sessionId"].as_str().unwrap();
    assert!(vps_core::SessionId::parse(id).is_ok(), "{id}");
    assert_eq!(body["success"], true);
    assert!(body["maxBytesPerRequest"].is_u64(), "a JSON number, not a string");
    assert_eq!(body["existingAssetHashes"], json!([]));
    assert_eq!(body["pipelineChanged"], true);
    assert!(app.data.path().join("sessions").join(id).join("session.json").is_file());
}

#[tokio::test]
async fn ping_health_and_public_config() {
    let app = spawn_app_with(|s| s.uploads.max_asset_size_bytes = 12345).await;
    let response = app.client.get(app.url("/api/ping")).header("x-api-key", KEY).send().await.unwrap();
    assert_eq!(json_answer(response).await.1, json!({"api": "ok"}));

    let (status, health) = json_answer(app.client.get(app.url("/health")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");

    let (_, config) = json_answer(app.client.get(app.url("/public-config")).send().await.unwrap()).await;
    assert_eq!(config["streamingUploadsEnabled"], true);
    assert_eq!(config["maxAssetSizeBytes"], 12345);
    assert_eq!(config["protocolVersion"], 1);
    assert!(config["allowedMediaTypes"].as_array().unwrap().contains(&json!("image/png")));
}

#[tokio::test]
async fn health_is_503_when_the_data_directory_cannot_be_written() {
    let app = spawn_app().await;
    // Root ignores permission bits, so make the temp directory unusable by replacing it.
    let tmp = app.data.path().join("tmp");
    std::fs::remove_dir(&tmp).unwrap();
    std::fs::write(&tmp, b"not a directory").unwrap();
    let (status, health) = json_answer(app.client.get(app.url("/health")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health["dataDirWritable"], false);
}

#[tokio::test]
async fn start_up_removes_temp_files_left_by_a_crash() {
    let data = tempfile::tempdir().unwrap();
    let tmp = data.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("vps-upload-0123abcd"), b"half an upload").unwrap();
    let settings = Settings { port: 0, data_dir: data.path().to_owned(), ..Settings::default() };
    let _app = Application::build(settings).await.unwrap();
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_refuses_to_start() {
    let data = tempfile::tempdir().unwrap();
    let settings = Settings { port: 0, data_dir: data.path().to_owned(), ..Settings::default() };
    let first = Application::build(settings.clone()).await.unwrap();
    let second = Application::build(settings.clone()).await;
    assert!(matches!(second, Err(StartupError::DataDirInUse(_))));
    drop(first);
    assert!(Application::build(settings).await.is_ok(), "the lock goes with the server");
}

#[tokio::test]
async fn the_generated_key_guards_the_api_and_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let settings = Settings { port: 0, data_dir: data.path().to_owned(), ..Settings::default() };
    let app = Application::build(settings.clone()).await.unwrap();
    let key = app.generated_api_key().expect("a key on first start").expose().to_owned();
    drop(app);
    let app = Application::build(settings).await.unwrap();
    assert!(app.generated_api_key().is_none(), "shown once only");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let ok = client.get(format!("{base}/api/ping")).header("x-api-key", &key).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let other = ApiKey::generate().unwrap();
    let refused = client.get(format!("{base}/api/ping")).header("x-api-key", other.expose()).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
