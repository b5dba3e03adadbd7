use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt;
use vps_core::{ContentHash, SessionId};
use vps_envelope::{
    AssetContent, ContentConsumer, EnvelopeError, LegacyAsset, LegacyAssetError, RouteKind, TempJson, gunzip_to_file,
    read_legacy_assets,
};

use crate::{envelopes, gzip, new_upload_id, open_store, send_all, unpack};

/// What the test consumer saw of one asset's content.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    extension: Option<String>,
    bytes: Vec<u8>,
}

/// Keeps each asset's bytes, up to `limit` of them (then it stops reading, as a consumer
/// enforcing a size limit does).
pub(crate) struct Collect {
    limit: usize,
}

impl Collect {
    fn all() -> Self {
        Self { limit: usize::MAX }
    }
}

impl ContentConsumer for Collect {
    type Output = Seen;
    type Error = EnvelopeError;

    async fn consume(&mut self, extension: Option<&str>, mut content: AssetContent<'_>) -> Result<Seen, EnvelopeError> {
        let mut bytes = Vec::new();
        while bytes.len() < self.limit {
            match content.next().await {
                Some(Ok(chunk)) => bytes.extend_from_slice(&chunk),
                // The parser tells why the content stopped.
                Some(Err(_)) | None => break,
            }
        }
        Ok(Seen { extension: extension.map(str::to_owned), bytes })
    }
}

/// A PNG signature and `len - 8` bytes of noise that gzip cannot shrink (xorshift64*).
fn png(len: usize) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ len as u64;
    data.extend((8..len).map(|_| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
    }));
    data
}

fn sha256(data: &[u8]) -> ContentHash {
    ContentHash::of(data)
}

/// One asset object as the plugin writes it.
fn asset_json(relative_path: &str, content: &[u8]) -> String {
    let name = relative_path.rsplit('/').next().unwrap();
    format!(
        r#"{{"relativePath":{},"vaultPath":{},"fileName":{},"mimeType":"image/png","contentBase64":"{}"}}"#,
        serde_json::to_string(relative_path).unwrap(),
        serde_json::to_string(&format!("assets/{relative_path}")).unwrap(),
        serde_json::to_string(name).unwrap(),
        STANDARD.encode(content)
    )
}

/// A payload file, the way the server gets it: gzip, then gunzip into a temp file.
async fn temp_json(dir: &Path, text: &str) -> TempJson {
    gunzip_to_file(&gzip(text.as_bytes())[..], u64::MAX, text.len() as u64, dir).await.unwrap()
}

async fn read(dir: &Path, text: &str) -> Result<Vec<LegacyAsset<Seen>>, EnvelopeError> {
    let json = temp_json(dir, text).await;
    read_legacy_assets(&json, &mut Collect::all()).await
}

fn seen(asset: &LegacyAsset<Seen>) -> &Seen {
    match &asset.content {
        Ok(seen) => seen,
        other => panic!("{} was refused: {other:?}", asset.relative_path),
    }
}

#[tokio::test]
async fn two_assets_round_trip_through_the_chunks_to_their_exact_bytes_and_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = open_store(dir.path());
    let session = SessionId::generate();
    let image = png(300_000);
    let text = "Plain notes, with UTF-8: déjà vu.\n".repeat(1000).into_bytes();
    let payload =
        format!(r#"{{"assets":[{},{}]}}"#, asset_json("img/diagram.png", &image), asset_json("notes.txt", &text));

    let envelopes = envelopes(&new_upload_id(RouteKind::Assets, session), payload.as_bytes(), 64 * 1024);
    assert!(envelopes.len() > 1);
    let outcome = send_all(&chunks, session, RouteKind::Assets, envelopes).await.unwrap();
    let json = unpack(&chunks, outcome, dir.path()).await.unwrap();
    let assets = read_legacy_assets(&json, &mut Collect::all()).await.unwrap();

    assert_eq!(assets.len(), 2);
    assert_eq!(
        (assets[0].relative_path.as_str(), assets[0].vault_path.as_str(), assets[0].file_name.as_str()),
        ("img/diagram.png", "assets/img/diagram.png", "diagram.png")
    );
    assert_eq!(assets[0].mime_type.as_deref(), Some("image/png"));
    for (asset, (bytes, extension)) in assets.iter().zip([(&image, "png"), (&text, "txt")]) {
        let seen = seen(asset);
        assert_eq!(sha256(&seen.bytes), sha256(bytes));
        assert_eq!(seen.bytes.len(), bytes.len());
        assert_eq!(seen.extension.as_deref(), Some(extension));
    }
}

#[tokio::test]
async fn a_20_mib_asset_streams_through_to_its_exact_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let chunks = open_store(dir.path());
    let session = SessionId::generate();
    let big = png(20 << 20);
    let payload = format!(r#"{{"assets":[{}]}}"#, asset_json("maps/world.png", &big));

    let envelopes = envelopes(&new_upload_id(RouteKind::Assets, session), payload.as_bytes(), 512 * 1024);
    let outcome = send_all(&chunks, session, RouteKind::Assets, envelopes).await.unwrap();
    let json = unpack(&chunks, outcome, dir.path()).await.unwrap();
    drop(payload);
    let assets = read_legacy_assets(&json, &mut Collect::all()).await.unwrap();
    let seen = seen(&assets[0]);
    assert_eq!((sha256(&seen.bytes), seen.bytes.len()), (sha256(&big), big.len()));
    assert!(seen.bytes == big);
}

#[tokio::test]
async fn escapes_unknown_fields_of_any_type_and_any_key_order_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let image = png(5000);
    let markdown = b"# Title\n\nSome *markdown*.\n";
    let text = format!(
        r#" {{ "version" : 2, "meta": {{"nested": [1, {{"deep": [true, false, null]}}, "s\"]}}"], "n": -1.5e3}},
        "assets" : [
          {{"contentBase64": "{image}", "extra": {{"a": [1, 2, {{"b": "}}]"}}]}}, "fileName": "p\u00e9.png",
            "vaultPath": "Att/p\u00e9 \"1\".png", "relativePath": "Att\/p\u00e9 \"1\".png", "flag": false, "none": null}},
          {{"relativePath": "readme.md", "vaultPath": "readme.md", "fileName": "readme.md", "num": 0,
            "contentBase64": "{markdown}"}},
          {{"vaultPath": "first.md", "contentBase64": "{markdown}", "relativePath": "first.md", "fileName": "first.md",
            "list": [], "obj": {{}}, "emoji": "\ud83d\ude00"}}
        ],
        "after": ["assets", {{"assets": []}}]
      }} "#,
        image = STANDARD.encode(&image),
        markdown = STANDARD.encode(markdown),
    );
    let assets = read(dir.path(), &text).await.unwrap();
    assert_eq!(assets.len(), 3);
    assert_eq!(assets[0].relative_path, "Att/pé \"1\".png");
    assert_eq!(assets[0].vault_path, "Att/pé \"1\".png");
    assert_eq!(assets[0].file_name, "pé.png");
    assert_eq!(assets[0].mime_type, None);
    assert_eq!(sha256(&seen(&assets[0]).bytes), sha256(&image));
    // The extension is a hint when the path comes before the content (it picks Markdown over
    // plain text in the pipeline)…
    assert_eq!(seen(&assets[1]).extension.as_deref(), Some("md"));
    // …and there is no hint when the content comes first.
    assert_eq!(seen(&assets[2]).extension, None);
    assert_eq!(seen(&assets[2]).bytes, markdown);
}

#[tokio::test]
async fn a_bad_asset_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let good = png(100_000);
    let mut broken = asset_json("broken.png", &png(100_000));
    let middle = broken.len() - 50_000;
    broken.replace_range(middle..middle + 4, "!@#$");
    let long_name = "x".repeat(5000);
    let items = [
        asset_json("before.png", &good),
        broken,
        r#"{"relativePath":"a.png","vaultPath":"a.png","fileName":"a.png","contentBase64":"QQ"}"#.to_owned(),
        r#"{"relativePath":"a.png","vaultPath":"a.png","fileName":"a.png","contentBase64":"QQ==QQ=="}"#.to_owned(),
        r#"{"relativePath":"a.png","vaultPath":"a.png","fileName":"a.png"}"#.to_owned(),
        r#"{"relativePath":"a.png","fileName":"a.png","contentBase64":"QQ=="}"#.to_owned(),
        r#"{"relativePath":7,"vaultPath":"a.png","fileName":"a.png","contentBase64":"QQ=="}"#.to_owned(),
        r#"{"relativePath":"a.png","vaultPath":"a.png","fileName":"a.png","contentBase64":["QQ=="]}"#.to_owned(),
        r#"{"relativePath":"a.png","relativePath":"b.png","vaultPath":"a","fileName":"a","contentBase64":"QQ=="}"#
            .to_owned(),
        format!(r#"{{"relativePath":"{long_name}","vaultPath":"a","fileName":"a","contentBase64":"QQ=="}}"#),
        asset_json("after.png", &good),
    ];
    let assets = read(dir.path(), &format!(r#"{{"assets":[{}]}}"#, items.join(","))).await.unwrap();
    let errors: Vec<_> = assets[1..10].iter().map(|a| a.content.as_ref().unwrap_err().clone()).collect();
    assert_eq!(
        errors,
        [
            LegacyAssetError::InvalidBase64,
            LegacyAssetError::InvalidBase64,
            LegacyAssetError::InvalidBase64,
            LegacyAssetError::MissingField("contentBase64"),
            LegacyAssetError::MissingField("vaultPath"),
            LegacyAssetError::InvalidField("relativePath"),
            LegacyAssetError::InvalidField("contentBase64"),
            LegacyAssetError::DuplicateField("relativePath"),
            LegacyAssetError::FieldTooLong("relativePath"),
        ]
    );
    assert_eq!(errors[0].code(), "invalid-base64");
    assert_eq!(sha256(&seen(&assets[0]).bytes), sha256(&good));
    assert_eq!(sha256(&seen(&assets[10]).bytes), sha256(&good));
    assert_eq!(assets[10].relative_path, "after.png");
}

#[tokio::test]
async fn a_consumer_that_stops_reading_early_leaves_the_next_asset_whole() {
    let dir = tempfile::tempdir().unwrap();
    let payload =
        format!(r#"{{"assets":[{},{}]}}"#, asset_json("big.png", &png(300_000)), asset_json("small.png", &png(1000)));
    let json = temp_json(dir.path(), &payload).await;
    let assets = read_legacy_assets(&json, &mut Collect { limit: 100_000 }).await.unwrap();
    let first = seen(&assets[0]);
    assert!((100_000..300_000).contains(&first.bytes.len()), "{}", first.bytes.len());
    assert_eq!(first.bytes, png(300_000)[..first.bytes.len()]);
    assert_eq!((assets[1].relative_path.as_str(), seen(&assets[1]).bytes.clone()), ("small.png", png(1000)));
}

#[tokio::test]
async fn a_malformed_or_truncated_payload_fails_the_whole_call() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let whole =
        format!(r#"{{"assets":[{},{}]}}"#, asset_json("a.png", &png(50_000)), asset_json("b.png", &png(50_000)));
    let mut cases: Vec<String> =
        [0.1, 0.5, 0.6, 0.99].iter().map(|f| whole[..(whole.len() as f64 * f) as usize].to_owned()).collect();
    cases.push(whole[..whole.len() - 1].to_owned());
    for text in [
        "",
        "[]",
        r#"{"other":1}"#,
        r#"{"assets":{}}"#,
        r#"{"assets":[1]}"#,
        r#"{"assets":[],"assets":[]}"#,
        r#"{"assets":[]} []"#,
        r#"{"assets":[{"relativePath":"a.png","contentBase64":"QQ==}]}"#,
        r#"{"assets":[{"relativePath":"a\q.png","contentBase64":"QQ=="}]}"#,
    ] {
        cases.push(text.to_owned());
    }
    for text in cases {
        let json = temp_json(&out, &text).await;
        let err = read_legacy_assets(&json, &mut Collect::all()).await.unwrap_err();
        let shown: String = text.chars().take(60).collect();
        assert_eq!((err.code().as_str(), err.status()), ("invalid-json", 400), "{shown}: {err}");
    }
}
