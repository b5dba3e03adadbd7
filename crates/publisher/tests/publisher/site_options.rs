//! The help vault's Obsidian Publish `site-options.json` (and its logo) are planned for upload,
//! and a `[site]` table in `.vps-publish.toml` wins over it.

use vps_publisher::{Config, scan};

use super::help_vault_copy;

fn sent_options(plan: &vps_publisher::Plan) -> serde_json::Value {
    let asset = plan.assets.iter().find(|a| a.vault_path.as_str() == "site-options.json").expect("planned");
    serde_json::from_slice(&std::fs::read(&asset.file).unwrap()).unwrap()
}

#[test]
fn the_help_vaults_site_options_and_logo_are_planned() {
    let vault = help_vault_copy();
    let plan = scan(vault.path(), &Config::default()).unwrap();
    let options = sent_options(&plan);
    assert_eq!(options["siteName"], "Obsidian Help");
    assert_eq!(options["indexFile"], "Home");
    assert_eq!(options["logo"], "Attachments/obsidian-lockup-help.svg");
    let order = options["navigationOrdering"].as_array().unwrap();
    assert_eq!(order[..2], ["Getting started", "Getting started/Download and install Obsidian.md"]);
    let logo = plan.assets.iter().find(|a| a.vault_path.as_str() == "Attachments/obsidian-lockup-help.svg");
    assert_eq!(logo.unwrap().file, vault.path().join("Attachments/obsidian-lockup-help.svg"));
    assert_eq!(
        plan.assets.iter().filter(|a| a.vault_path.as_str() == "Attachments/obsidian-lockup-help.svg").count(),
        1,
        "the logo once"
    );
}

#[test]
fn a_site_table_overrides_the_help_vaults_choices() {
    let vault = help_vault_copy();
    std::fs::write(
        vault.path().join(".vps-publish.toml"),
        "[site]\nsite_name = \"Aide\"\nshow_search = false\nnavigation_ordering = [\"Plugins\"]\n",
    )
    .unwrap();
    let config = Config::load(vault.path(), None).unwrap();
    let plan = scan(vault.path(), &config).unwrap();
    let options = sent_options(&plan);
    assert_eq!(options["siteName"], "Aide");
    assert_eq!(options["showSearch"], false);
    assert_eq!(options["navigationOrdering"], serde_json::json!(["Plugins"]));
    assert_eq!(options["indexFile"], "Home", "what the table leaves is the file's");
    assert!(!plan.assets.iter().any(|a| a.vault_path.as_str() == ".vps-publish.toml"));
}
