use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;
use vps_server::{ApiKey, Application, Settings};
use vps_testkit::vault::{self, FileResolver, Vault, VaultNote};

pub const KEY: &str = "site-test-api-key-0123456789";

/// The Obsidian help vault (English), shared read-only beside the workspace; `HELP_VAULT`
/// points elsewhere.
pub fn help_vault_source() -> PathBuf {
    std::env::var_os("HELP_VAULT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/vaults/obsidian-help-en"))
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running server with its own data directory; stopped when dropped.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    _data: TempDir,
    stop: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            port: 0,
            data_dir: data.path().to_owned(),
            api_key: Some(ApiKey::new(KEY).unwrap()),
            shutdown_grace_secs: 1,
            ..Settings::default()
        };
        let app = Application::build(settings).await.expect("the app builds");
        let base = format!("http://{}", app.local_addr());
        let stop = app.shutdown_handle();
        tokio::spawn(app.run_until_stopped());
        Self { base, client: reqwest::Client::builder().no_proxy().build().unwrap(), _data: data, stop }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// A public GET: status and body.
    pub async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let response = self.client.get(self.url(path)).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status();
        (status, response.bytes().await.unwrap_or_else(|e| panic!("GET {path}: {e}")).to_vec())
    }
}

/// The help vault, copied to a temp dir (the original is never touched), read as the plugin reads
/// it, and published through the plugin's protocol to a fresh in-process server.
pub struct PublishedVault {
    pub app: TestApp,
    pub vault: Vault,
}

pub async fn publish_help_vault() -> PublishedVault {
    let source = help_vault_source();
    assert!(source.is_dir(), "the help vault is missing at {}", source.display());
    let dir = tempfile::Builder::new().prefix("help-vault-").tempdir().unwrap();
    vps_testkit::copy_dir(&source, dir.path()).unwrap();
    let vault = vault::scan(dir.path()).unwrap();
    assert!(vault.notes.len() > 100, "only {} notes in the help vault", vault.notes.len());
    let app = TestApp::spawn().await;
    let plugin = vps_testkit::Plugin::new(&app.base, KEY);
    let done = plugin.publish(&vault.note_payloads(), &vault.asset_payloads()).await;
    assert_eq!(done["status"], "completed", "{done}");
    PublishedVault { app, vault }
}

/// The route each note is served at: [`VaultNote::route`], made by `vps_core::slug`. No two
/// notes of the help vault share a route under those rules; if a vault had two, the product's
/// collision suffix decides theirs, and this panics rather than copy that rule.
pub fn expected_routes(vault: &Vault) -> Vec<(&VaultNote, String)> {
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

/// The vault files of the images a note embeds in what it renders: code (fenced blocks and
/// spans) and comments (`%%…%%`, `<!--…-->`) are not rendered, so embeds written there are not
/// images a reader should see.
pub fn rendered_image_embeds<'v>(note: &VaultNote, files: &FileResolver<'v>) -> Vec<&'v str> {
    let mut found: Vec<&str> = Vec::new();
    let embeds = vault::find_embeds(&without_code_and_comments(&note.content));
    // A link to an image (`[[shot.png|see it]]`) is a link, not an image to show.
    for embed in embeds.iter().filter(|embed| embed.syntax != "obsidian-link") {
        if let Some(file) = files.resolve(&embed.lookup).filter(|file| vault::is_image(file))
            && !found.contains(&file)
        {
            found.push(file);
        }
    }
    found
}

/// `content` with fenced code blocks, code spans and comments blanked out.
pub fn without_code_and_comments(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut fence: Option<(char, usize)> = None;
    for line in content.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |m| trimmed.chars().take_while(|c| *c == m).count());
        match (fence, marker) {
            (None, Some(m)) if run >= 3 => fence = Some((m, run)),
            (Some((m, open)), Some(c)) if c == m && run >= open && trimmed[run..].trim().is_empty() => fence = None,
            (None, _) => out.push_str(line),
            _ => {}
        }
    }
    // Spans first: a `%%` inside code is text, not a comment.
    let out = strip_code_spans(&out);
    let out = strip_between(&out, "%%", "%%");
    strip_between(&out, "<!--", "-->")
}

fn strip_between(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        match rest[start + open.len()..].find(close) {
            Some(end) => rest = &rest[start + open.len() + end + close.len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Removes `` `…` `` spans: a run of backticks up to the next run of the same length.
fn strip_code_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].chars().take_while(|c| *c == '`').count();
        let after = &rest[start + run..];
        let closing = "`".repeat(run);
        let mut search = 0;
        let end = loop {
            match after[search..].find(&closing) {
                Some(at) => {
                    let at = search + at;
                    let longer = after[at + run..].starts_with('`');
                    if !longer && (at == 0 || !after[..at].ends_with('`')) {
                        break Some(at);
                    }
                    search = at + after[at..].chars().take_while(|c| *c == '`').count();
                }
                None => break None,
            }
        };
        match end {
            Some(at) => rest = &after[at + run..],
            None => {
                out.push_str(&rest[start..start + run]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `(target, label)` of every `[[…]]` and `![[…]]` of `content` outside code and comments; the
/// label is the text after the first `|`, else the target.
pub fn wikilinks(content: &str) -> Vec<(String, String)> {
    let text = without_code_and_comments(content);
    let mut links = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("[[") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("]]") else { break };
        let inner = &after[..end];
        if !inner.contains(['\n', '[']) {
            let (target, label) = inner.split_once('|').unwrap_or((inner, inner));
            links.push((target.trim().to_owned(), label.trim().to_owned()));
            rest = &after[end + 2..];
        } else {
            rest = after;
        }
    }
    links
}

/// Lower-cased names of every vault file, with and without their extension.
pub fn vault_names(vault: &Vault) -> HashSet<String> {
    let mut names = HashSet::new();
    for file in &vault.files {
        let name = vault::file_name(file).to_lowercase();
        names.insert(strip_extension(&name).to_owned());
        names.insert(name);
    }
    names
}

/// The name a link target means: no `#…` or `^…` subpath, the last path segment, lower case.
pub fn target_name(target: &str) -> String {
    let target = target.split(['#', '|']).next().unwrap_or_default().trim();
    vault::file_name(target).to_lowercase()
}

/// `name` without a short alphanumeric extension (`x.md` → `x`, `Obsidian 1.0` stays).
pub fn strip_extension(name: &str) -> &str {
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
fn code_and_comments_are_not_rendered_embeds() {
    assert_eq!(without_code_and_comments("`%%` [[A]] %% [[B]] %% [[C]]"), " [[A]]  [[C]]");
    let text = "a ![[x.png]]\n```md\n![[in-fence.png]]\n```\nb `![[span.png]]` ``two ` ![[span2.png]]`` \
                %% ![[comment.png]] %% <!-- ![[html.png]] --> ![[y.png]]\n~~~~\n![[tilde.png]]\n~~~~\nend";
    let kept = without_code_and_comments(text);
    assert!(kept.contains("![[x.png]]") && kept.contains("![[y.png]]") && kept.contains("end"), "{kept}");
    for gone in ["in-fence", "span.png", "span2", "comment", "html", "tilde"] {
        assert!(!kept.contains(gone), "{gone} in {kept}");
    }
    assert_eq!(target_name("Folder/Some Note#Heading"), "some note");
    let links = wikilinks("[[A]] ![[b.png|200]] [[C#D|see]] `[[code]]` \\[\\[escaped\\]\\]");
    let pairs: Vec<(&str, &str)> = links.iter().map(|(t, l)| (t.as_str(), l.as_str())).collect();
    assert_eq!(pairs, [("A", "A"), ("b.png", "200"), ("C#D", "see")]);
    assert_eq!(strip_extension("x.md"), "x");
    assert_eq!(strip_extension("obsidian 1.0"), "obsidian 1.0");
}
