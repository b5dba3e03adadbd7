//! Obsidian's own help vault (published by Obsidian at obsidian.md/help) as a corpus: every
//! note must render, sanitised, without a panic.

use std::fs;
use std::path::{Path, PathBuf};

use crate::site::Site;

const VAULT: &str = "/work/shared/vaults/obsidian-help-en";

fn notes(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable vault folder") {
        let path = entry.expect("readable entry").path();
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        if path.is_dir() {
            notes(&path, found);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
}

/// The note without its YAML frontmatter, as the plugin sends it.
fn body(text: &str) -> &str {
    text.strip_prefix("---\n").and_then(|rest| rest.find("\n---").map(|end| &rest[end + 4..])).unwrap_or(text)
}

#[test]
fn every_note_of_the_help_vault_renders_without_scripts() {
    let root = Path::new(VAULT);
    if !root.is_dir() {
        eprintln!("skipped: the help vault is not at {VAULT}");
        return;
    }
    let mut paths = Vec::new();
    notes(root, &mut paths);
    assert!(paths.len() > 100, "only {} notes found under {VAULT}", paths.len());
    let site = Site::new();
    let mut with_headings = 0;
    for path in &paths {
        let text = fs::read_to_string(path).expect("readable note");
        let page = site.render(body(&text));
        let lower = page.html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{} kept a script", path.display());
        assert!(!lower.contains("javascript:"), "{} kept a javascript: URL", path.display());
        with_headings += usize::from(!page.headings.is_empty());
    }
    assert!(with_headings * 2 > paths.len(), "most help notes have headings; found {with_headings}");
}
