//! Finding the asset an embed or image means: [`vps_render::AttachmentIndex`], the one rule the
//! publisher uploads by and the page shows by (next to the note, then the vault path, then by
//! name: a path ending with the target, fewest folders, shortest path, byte order; exact case,
//! then any case), names compared in NFC. Targets may be percent-encoded (`./My%20Photo.JPG`):
//! decoded here.

use vps_core::AssetPath;
use vps_render::AttachmentIndex;

pub(crate) struct AssetLookup {
    /// The assets, in the order `index` was given them.
    paths: Vec<AssetPath>,
    index: AttachmentIndex,
}

impl AssetLookup {
    pub(crate) fn new<'a>(paths: impl Iterator<Item = &'a AssetPath>) -> Self {
        let paths: Vec<AssetPath> = paths.cloned().collect();
        let index = AttachmentIndex::new(paths.iter().map(AssetPath::as_str));
        Self { paths, index }
    }

    /// The asset a target (`img.png`, `Attachments/img.png`, `./x%20y.png`) written in the note
    /// at `note_path` (its vault path) points at.
    pub(crate) fn resolve(&self, note_path: &str, target: &str) -> Option<&AssetPath> {
        let target = target.trim().split(['#', '?']).next().unwrap_or_default();
        let target = vps_core::slug::decode_route(target);
        let found = self.index.resolve_index(note_path, &target).or_else(|| {
            // The plugin's `relativePath` drops a leading `assets/`: such a file may sit at the root.
            target.trim_start_matches(['.', '/']).strip_prefix("assets/").and_then(|rest| self.index.get(rest))
        });
        found.map(|i| &self.paths[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(paths: &[&str]) -> AssetLookup {
        let paths: Vec<AssetPath> = paths.iter().map(|p| AssetPath::parse(p).unwrap()).collect();
        AssetLookup::new(paths.iter())
    }

    #[test]
    fn resolves_by_path_then_suffix_then_shortest_name() {
        let assets = lookup(&["Attachments/img.png", "deep/er/img.png", "other/My Photo.JPG", "x/p.png"]);
        let found = |t: &str| assets.resolve("Note.md", t).map(|p| p.as_str().to_owned());
        assert_eq!(found("Attachments/img.png").as_deref(), Some("Attachments/img.png"));
        assert_eq!(found("er/img.png").as_deref(), Some("deep/er/img.png"));
        assert_eq!(found("img.png").as_deref(), Some("Attachments/img.png"), "shortest path wins");
        assert_eq!(found("my photo.jpg").as_deref(), Some("other/My Photo.JPG"));
        assert_eq!(found("./My%20Photo.JPG").as_deref(), Some("other/My Photo.JPG"));
        assert_eq!(found("../x/p.png").as_deref(), Some("x/p.png"));
        assert_eq!(found("Attachments/img.png#interface").as_deref(), Some("Attachments/img.png"));
        assert_eq!(found("nowhere/img.png"), None);
        assert_eq!(found("missing.png"), None);
    }

    #[test]
    fn nfd_and_nfc_spellings_find_the_same_file() {
        let assets = lookup(&["Attachments/E\u{301}te\u{301}.png", "x/y/Café.jpg"]);
        let found = |t: &str| assets.resolve("Note.md", t).map(|p| p.as_str().to_owned());
        let nfd = Some("Attachments/E\u{301}te\u{301}.png");
        assert_eq!(found("Été.png").as_deref(), nfd, "by name, NFC typed");
        assert_eq!(found("Attachments/Été.png").as_deref(), nfd, "by path");
        assert_eq!(found("été.png").as_deref(), nfd, "by name, any case");
        assert_eq!(found("%C3%89t%C3%A9.png").as_deref(), nfd, "percent-encoded");
        assert_eq!(found("y/Cafe\u{301}.jpg").as_deref(), Some("x/y/Café.jpg"), "by suffix, NFD typed");
        assert_eq!(found("Cafe\u{301}.jpg").as_deref(), Some("x/y/Café.jpg"));
    }

    #[test]
    fn an_attachment_next_to_the_note_wins_over_the_one_at_the_vault_root() {
        let assets = lookup(&["img.png", "Notes/img.png"]);
        assert_eq!(assets.resolve("Notes/Post.md", "img.png").map(AssetPath::as_str), Some("Notes/img.png"));
        assert_eq!(assets.resolve("Post.md", "img.png").map(AssetPath::as_str), Some("img.png"));
    }
}
