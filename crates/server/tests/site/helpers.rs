use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use vps_render::{RenderOptions, Resolver};
pub(crate) use vps_server::test_util::{KEY, TestApp, spawn_app, start_app};
use vps_testkit::vault::{self, Vault, VaultNote};

/// The Obsidian help vault (English), shared read-only beside the workspace; `HELP_VAULT`
/// points elsewhere.
pub(crate) fn help_vault_source() -> PathBuf {
    std::env::var_os("HELP_VAULT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/vaults/obsidian-help-en"))
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The help vault, copied to a temp dir (the original is never touched), read as the plugin reads
/// it, and published through the plugin's protocol to a fresh in-process server.
pub(crate) struct PublishedVault {
    pub app: TestApp,
    pub vault: Vault,
}

pub(crate) async fn publish_help_vault() -> PublishedVault {
    let source = help_vault_source();
    assert!(source.is_dir(), "the help vault is missing at {}", source.display());
    let dir = tempfile::Builder::new().prefix("help-vault-").tempdir().unwrap();
    vps_testkit::copy_dir(&source, dir.path()).unwrap();
    let vault = vault::scan(dir.path()).unwrap();
    assert!(vault.notes.len() > 100, "only {} notes in the help vault", vault.notes.len());
    let app = spawn_app().await;
    let plugin = vps_testkit::Plugin::new(&app.base, KEY);
    let done = plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
    PublishedVault { app, vault }
}

/// The route each note is served at: [`VaultNote::route`], made by `vps_core::slug`. No two
/// notes of the help vault share a route under those rules; if a vault had two, the product's
/// collision suffix decides theirs, and this panics rather than copy that rule.
pub(crate) fn expected_routes(vault: &Vault) -> Vec<(&VaultNote, String)> {
    let mut taken: HashMap<String, &str> = HashMap::new();
    let mut notes: Vec<&VaultNote> = vault.notes.iter().collect();
    notes.sort_by(|a, b| (a.route(), &a.vault_path).cmp(&(b.route(), &b.vault_path)));
    notes
        .into_iter()
        .map(|note| {
            let route = note.route();
            if let Some(other) = taken.insert(route.clone(), &note.vault_path) {
                panic!("{other} and {} share the route {route}", note.vault_path);
            }
            (note, route)
        })
        .collect()
}

/// The vault files of the images a note embeds in what it renders, as the product's scan found
/// them: its references written `![[…]]` or `![…](…)` in its text (code and comments are not
/// read), each with the file it found.
pub(crate) fn rendered_image_embeds<'v>(note: &VaultNote, vault: &'v Vault) -> Vec<&'v str> {
    let mut found: Vec<&str> = Vec::new();
    for (reference, file) in note.note.assets.iter().zip(&note.found) {
        // A link to an image (`[[shot.png|see it]]`) is a link, not an image to show; and a
        // frontmatter property is not in the text.
        if !reference.raw.starts_with('!') || !note.content.contains(&reference.raw) {
            continue;
        }
        let Some(asset) = file.as_deref().and_then(|file| vault.asset(file)) else { continue };
        if asset.is_image() && !found.contains(&asset.vault_path.as_str()) {
            found.push(&asset.vault_path);
        }
    }
    found
}

/// `(target, label)` of every link of `content` as the renderer reads it (code and comments are
/// not links): each target the renderer asks its resolver for, with the text of the link it
/// made. The target keeps its `#subpath`.
pub(crate) fn wikilinks(content: &str) -> Vec<(String, String)> {
    /// Answers every page target with `/__link/<n>`, and remembers it.
    struct Recorder(RefCell<Vec<String>>);
    impl Resolver for Recorder {
        fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
            let mut targets = self.0.borrow_mut();
            targets.push(subpath.map_or_else(|| target.to_owned(), |subpath| format!("{target}#{subpath}")));
            Some(format!("/__link/{}", targets.len() - 1))
        }
        fn asset_href(&self, _: &str) -> Option<String> {
            None
        }
    }
    let recorder = Recorder(RefCell::new(Vec::new()));
    let page = vps_render::render(content, &recorder, &RenderOptions::default());
    let targets = recorder.0.into_inner();
    vps_testkit::html::elements(&page.html)
        .iter()
        .filter(|element| element.name == "a")
        .filter_map(|element| {
            let index: usize = element.attr("href")?.strip_prefix("/__link/")?.parse().ok()?;
            Some((targets.get(index)?.clone(), element.text.trim().to_owned()))
        })
        .collect()
}

/// Lower-cased names of every vault file, with and without their extension.
pub(crate) fn vault_names(vault: &Vault) -> HashSet<String> {
    let mut names = HashSet::new();
    for file in &vault.files {
        let name = vault::file_name(file).to_lowercase();
        names.insert(strip_extension(&name).to_owned());
        names.insert(name);
    }
    names
}

/// The name a link target means: no `#…` or `^…` subpath, the last path segment, lower case.
pub(crate) fn target_name(target: &str) -> String {
    let target = target.split(['#', '|']).next().unwrap_or_default().trim();
    vault::file_name(target).to_lowercase()
}

/// `name` without a short alphanumeric extension (`x.md` → `x`, `Obsidian 1.0` stays).
pub(crate) fn strip_extension(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty() && (1..=5).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            stem
        }
        _ => name,
    }
}

#[test]
fn links_are_read_as_the_renderer_reads_them() {
    assert_eq!(target_name("Folder/Some Note#Heading"), "some note");
    let links = wikilinks("[[A]] ![[b.png|200]] [[C#D|see]] `[[code]]` %% [[comment]] %% \\[\\[escaped\\]\\]");
    let pairs: Vec<(&str, &str)> = links.iter().map(|(t, l)| (t.as_str(), l.as_str())).collect();
    assert_eq!(pairs, [("A", "A"), ("C#D", "see")]);
    assert_eq!(strip_extension("x.md"), "x");
    assert_eq!(strip_extension("obsidian 1.0"), "obsidian 1.0");
}

#[test]
fn images_in_code_and_comments_are_not_rendered_embeds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), vps_testkit::png(100, 1)).unwrap();
    let hidden = "```md\n![[a.png]]\n```\n`![[a.png]]` ``two ` ![[a.png]]`` %% ![[a.png]] %% <!-- ![[a.png]] -->\n\
                  ~~~~\n![[a.png]]\n~~~~\n[[a.png|a link]]\n";
    std::fs::write(dir.path().join("Hidden.md"), hidden).unwrap();
    std::fs::write(dir.path().join("Shown.md"), "a ![[a.png]]\n```\nx\n```\n").unwrap();
    let vault = vps_testkit::vault::scan(dir.path()).unwrap();
    let note = |path: &str| vault.notes.iter().find(|note| note.vault_path == path).unwrap();
    assert!(rendered_image_embeds(note("Hidden.md"), &vault).is_empty());
    assert_eq!(rendered_image_embeds(note("Shown.md"), &vault), ["a.png"]);
}
