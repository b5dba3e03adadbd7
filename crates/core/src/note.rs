//! A note as the plugin sends it (protocol §5.1): lightly processed Markdown plus the metadata the
//! server needs to route, link and render it. The server keeps notes exactly as received, so a
//! page can be re-rendered later without the client sending it again.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One note of a `notes/upload` batch (protocol §5.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// A UUID the plugin makes anew at every run: not an identity; empty when absent.
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
    /// The note's properties, as Obsidian read them; empty when absent.
    #[serde(default)]
    pub frontmatter: Frontmatter,
    /// The route-tree node the note was collected under: decides its route.
    pub folder_config: FolderConfig,
    /// When the client parsed the note: an ISO-8601 string (or epoch ms from other clients);
    /// `null` when absent.
    #[serde(default)]
    pub published_at: Value,
    /// The assets the note embeds or references; empty when absent.
    #[serde(default)]
    pub assets: Vec<AssetRef>,
    /// The note's Leaflet map blocks, kept as sent (JSON); absent when the note has no map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaflet_blocks: Option<Value>,
}

/// A note's properties, in the two shapes the plugin sends; every part empty when absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Frontmatter {
    /// Property → value, keys camel-cased by the plugin (`Cover Image` → `coverImage`).
    pub flat: Map<String, Value>,
    /// The same values with dotted keys (`a.b`) turned into nested objects.
    pub nested: Map<String, Value>,
    /// The `tags` property only (a single string becomes one tag); no inline `#tags`.
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
    /// The node's id in the plugin's route tree: with the vault path, what tells two copies of
    /// one note apart. `root-index` for the site's root index.
    pub id: String,
    /// The id of the plugin's publish target this note was sent to; opaque.
    pub vps_id: String,
    /// The vault folder the node collects (`Blog`); `""` for a pure route or the root index.
    pub vault_folder: String,
    /// The route the node's notes live under (`/blog`, `/` for the site root); used verbatim.
    pub route_base: String,
    /// Ids of the cleanup rules that do not apply to this node's notes.
    pub ignored_cleanup_rule_ids: Vec<String>,
    /// The node's label in navigation; absent when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Vault path of the note that is this node's index page; absent when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_index_file: Option<String>,
    /// Vault paths of notes outside `vault_folder` published under this node; absent when
    /// not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_files: Option<Vec<String>>,
    /// `true` when sub-folders are dropped from routes (every note directly under `route_base`);
    /// absent means `false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flatten_tree: Option<bool>,
}

/// An asset the note references, as the client detected it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssetRef {
    /// The reference exactly as written in the note (`![[img.png|right|200]]`).
    pub raw: String,
    /// The referenced path, normalized by the client (`/` separators, no leading `./` or `/`);
    /// may hold `..`, so it is untrusted.
    pub target: String,
    /// `image`, `audio`, `video`, `pdf` or `other`.
    pub kind: String,
    /// How to show it: `{alignment?, width?, classes, rawModifiers}` as sent; `null` when absent.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub display: Value,
}

/// A user cleanup rule (a JavaScript regex and its replacement), sent with the first notes batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CleanupRule {
    /// The rule's id, as named in `ignoredCleanupRuleIds`.
    pub id: String,
    /// The rule's label in the plugin's settings.
    pub name: String,
    /// A JavaScript regular expression whose matches are replaced in each note's Markdown.
    pub regex: String,
    /// What each match becomes (JavaScript replacement syntax: `$1`…).
    pub replacement: String,
    /// Whether the rule applies; the plugin sends only enabled rules.
    pub is_enabled: bool,
}

/// The reassembled body of `notes/upload`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NotesBatch {
    /// The batch's notes.
    pub notes: Vec<Note>,
    /// The user's cleanup rules: present only in the first batch of a publish, and only when
    /// there are some.
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
