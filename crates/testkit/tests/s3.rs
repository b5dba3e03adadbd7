//! The bucket of `vps_testkit::s3` does what a vps-publish server will ask of S3, through the
//! client that server uses (object_store): plain and multipart puts read back whole, and listing
//! under a prefix. (Conditional puts are not asked of it: Garage 2.5 ignores `If-Match` and
//! `If-None-Match` on PUT, and s3s-fs checks them apart from the write; the server copes with
//! both, see `vps_server::site::Site::still_includes`.)
//!
//! With s3s-fs by default; `scripts/test-garage.sh` runs it against Garage.

use futures_util::TryStreamExt;
use object_store::aws::AmazonS3;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use vps_testkit::s3;

/// S3's least part size, but for the last part.
const MIB_5: usize = 5 * 1024 * 1024;

async fn read(client: &AmazonS3, path: &Path) -> Vec<u8> {
    client.get(path).await.unwrap().bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn plain_and_multipart_puts_are_read_back_whole_and_listed_under_the_prefix() {
    let Some(s3) = s3::start_or_skip("plain_and_multipart_puts_are_read_back_whole_and_listed_under_the_prefix") else {
        return;
    };
    let client = s3.client();

    let note = s3.key("notes/Hello World.md");
    client.put(&note, PutPayload::from_static(b"# Hello\n")).await.unwrap();
    assert_eq!(read(&client, &note).await, b"# Hello\n");

    // Not a repeating pattern of the part size: a part stored at the wrong offset would show.
    let bytes: Vec<u8> = (0..MIB_5 + 1).map(|i| (i % 251) as u8).collect();
    let asset = s3.key("assets/big.bin");
    let mut upload = client.put_multipart(&asset).await.unwrap();
    upload.put_part(PutPayload::from(bytes[..MIB_5].to_vec())).await.unwrap();
    upload.put_part(PutPayload::from(bytes[MIB_5..].to_vec())).await.unwrap();
    upload.complete().await.unwrap();
    let back = read(&client, &asset).await;
    assert!(back == bytes, "read {} bytes back, not the {} written", back.len(), bytes.len());

    let prefix = Path::parse(s3.prefix()).unwrap();
    let mut listed: Vec<(String, u64)> =
        client.list(Some(&prefix)).map_ok(|meta| (meta.location.to_string(), meta.size)).try_collect().await.unwrap();
    listed.sort();
    assert_eq!(listed, [(asset.to_string(), bytes.len() as u64), (note.to_string(), 8)]);
}
