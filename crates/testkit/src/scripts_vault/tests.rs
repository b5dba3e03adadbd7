use super::*;

#[test]
fn the_vault_is_written_with_nfd_names_and_read_back_as_the_plugin_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let vault = multi_script_vault(dir.path());
    let nfd: String = "Français/Été.md".nfd().collect();
    assert!(dir.path().join(&nfd).is_file(), "stored in NFD");
    assert_eq!(vault.note("nfd-french").vault_path, "Français/Été.md");
    assert_eq!(vault.note("nfd-french").file_path, nfd);
    let scanned = crate::vault::scan(dir.path()).unwrap();
    assert_eq!(scanned.notes.len(), vault.notes.len() + 2);
    assert_eq!(scanned.assets.len(), 1, "the NFD image is found from its NFC embed");
    assert_eq!(scanned.assets[0].bytes, vault.image.3);
    // Routes keep every script's letters.
    assert_eq!(vault.note("japanese").route(), format!("/{}/{}", route_segment("日本語"), route_segment("はじめに")));
    assert!(vault.note("arabic").route().contains("ملاحظة"));
    for note in &vault.notes {
        assert!(!note.route().split('/').any(is_placeholder), "{}", note.route());
    }
}

#[tokio::test]
async fn a_raw_request_sends_the_path_unencoded_and_reads_the_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0; 1024];
        let n = socket.read(&mut request).await.unwrap();
        request.truncate(n);
        let answer = "HTTP/1.1 301 Moved Permanently\r\nLocation: /%E3%81%AF\r\ncontent-length: 5\r\n\r\nmoved";
        socket.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8(request).unwrap()
    });
    let fetched = Reader::new(&base).get_raw("/は").await;
    assert!(server.await.unwrap().starts_with("GET /は HTTP/1.1\r\n"), "the path went out as UTF-8");
    assert_eq!(fetched.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(fetched.location.as_deref(), Some("/%E3%81%AF"));
    assert_eq!(fetched.body, "moved");
}

#[test]
fn hrefs_split_into_decoded_routes_and_fragments() {
    let href = format!("{}#{}", encode_path("/日本語/はじめに"), encode_path("見出し"));
    assert_eq!(split_href(&href, "/x"), Some(("/日本語/はじめに".to_owned(), Some("見出し".to_owned()))));
    assert_eq!(split_href("#a", "/x"), Some(("/x".to_owned(), Some("a".to_owned()))));
    assert_eq!(split_href("https://e.com/a", "/x"), None);
    assert_eq!(split_href("mailto:a@b", "/x"), None);
}
