//! Issue 12 through `vps-publish publish`: the vault written in every script
//! (`vps_testkit::scripts_vault`), published by the real binary, passes the same reader's checks
//! as through the plugin's protocol (`crates/server/tests/api/scripts.rs`).

use crate::publish::{KEY, publish, spawn_app_with, summary};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_in_every_script_published_by_the_cli_gets_routes_anchors_tags_and_search_that_work() {
    let server = spawn_app_with(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let vault = vps_testkit::scripts_vault::multi_script_vault(dir.path());
    let done = summary(&publish(dir.path(), &server.base, KEY, &[]).await);
    assert_eq!(done["pages_published"], vault.notes.len() + vault.collision.len(), "{done}");
    let problems = vault.problems(&server.base).await;
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
