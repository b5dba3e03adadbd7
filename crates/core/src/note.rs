//! A note as the plugin sends it (protocol §5.1): lightly processed Markdown plus the metadata the
//! server needs to route, link and render it. The server keeps notes exactly as received, so a
//! page can be re-rendered later without the client sending it again.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(default)]
    pub note_id: String,
    /// The file's basename without `.md` (not the frontmatter title).
    pub title: String,
    /// The vault path with `.md`: with `folder_config.id`, the note's stable identity.
    pub vault_path: String,
    /// The path relative to the folder's vault folder (see the protocol for the exceptions).
    pub relative_path: String,
    /// Markdown, frontmatter already removed by the client.
    pub content: String,
    #[serde(default)]
    pub frontmatter: Frontmatter,
    pub folder_config: FolderConfig,
    #[serde(default)]
    pub published_at: Value,
    #[serde(default)]
    pub assets: Vec<AssetRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaflet_blocks: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Frontmatter {
    pub flat: Map<String, Value>,
    pub nested: Map<String, Value>,
    pub tags: Vec<String>,
}

impl Frontmatter {
    /// A string or list-of-strings property (`aliases: [a, b]` or `aliases: a`).
    pub fn strings(&self, key: &str) -> Vec<String> {
        match self.flat.get(key) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        }
    }
}

/// Where a note sits in the route tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FolderConfig {
    pub id: String,
    pub vps_id: String,
    pub vault_folder: String,
    pub route_base: String,
    pub ignored_cleanup_rule_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_index_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_files: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flatten_tree: Option<bool>,
}

/// An asset the note references, as the client detected it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssetRef {
    pub raw: String,
    pub target: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub display: Value,
}

/// A user cleanup rule (a JavaScript regex and its replacement), sent with the first notes batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CleanupRule {
    pub id: String,
    pub name: String,
    pub regex: String,
    pub replacement: String,
    pub is_enabled: bool,
}

/// The reassembled body of `notes/upload`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NotesBatch {
    pub notes: Vec<Note>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup_rules: Option<Vec<CleanupRule>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugins_note_parses() {
        let json = r#"{"notes":[{"noteId":"n","title":"post-one","vaultPath":"Blog/post-one.md","relativePath":"post-one.md",
            "content":"Hello [[Other]]","frontmatter":{"flat":{"aliases":["P1"]},"nested":{},"tags":[]},
            "folderConfig":{"id":"n1","vpsId":"v1","vaultFolder":"Blog","routeBase":"/blog","ignoredCleanupRuleIds":[]},
            "publishedAt":"2026-01-05T10:00:00.000Z","eligibility":{"isPublishable":true},"assets":[]}],
            "cleanupRules":[{"id":"r","name":"x","regex":"a","replacement":"","isEnabled":true}]}"#;
        let batch: NotesBatch = serde_json::from_str(json).unwrap();
        assert_eq!(batch.notes[0].folder_config.route_base, "/blog");
        assert_eq!(batch.notes[0].frontmatter.strings("aliases"), ["P1"]);
        assert_eq!(batch.cleanup_rules.unwrap()[0].id, "r");
    }
}
