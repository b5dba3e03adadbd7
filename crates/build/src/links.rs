//! Finding the asset an embed or image means, the way Obsidian does: by path, then by a path
//! suffix, then by file name, the shortest path winning when several match. Paths are
//! compared in NFC (macOS writes names in NFD): an embed typed in either spelling finds a file
//! uploaded under the other.

use std::collections::HashMap;

use vps_core::AssetPath;
use vps_core::slug::nfc;

pub(crate) struct AssetLookup {
    by_path: HashMap<String, AssetPath>,
    /// Lower-cased file name → paths, shortest first.
    by_name: HashMap<String, Vec<AssetPath>>,
}

impl AssetLookup {
    pub(crate) fn new<'a>(paths: impl Iterator<Item = &'a AssetPath>) -> Self {
        let mut by_path = HashMap::new();
        let mut by_name: HashMap<String, Vec<AssetPath>> = HashMap::new();
        for path in paths {
            by_path.entry(nfc(path.as_str()).into_owned()).or_insert_with(|| path.clone());
            by_name.entry(nfc(path.file_name()).to_lowercase()).or_default().push(path.clone());
        }
        // The shortest path wins: fewest folders, then fewest characters (as links do).
        let rank = |p: &AssetPath| (p.as_str().matches('/').count(), p.as_str().len(), p.as_str().to_owned());
        for candidates in by_name.values_mut() {
            candidates.sort_by_key(rank);
        }
        Self { by_path, by_name }
    }

    /// The asset an embed target (`img.png`, `Attachments/img.png`, `./x%20y.png`) points at.
    pub(crate) fn resolve(&self, target: &str) -> Option<&AssetPath> {
        let target = normalize(target);
        if target.is_empty() {
            return None;
        }
        if let Some(path) = self.by_path.get(&target).or_else(|| self.by_path.get(target.trim_start_matches("assets/")))
        {
            return Some(path);
        }
        let name = target.rsplit('/').next().unwrap_or(&target).to_lowercase();
        let candidates = self.by_name.get(&name)?;
        let suffix = format!("/{}", target.to_lowercase());
        let by_suffix = candidates.iter().find(|path| nfc(path.as_str()).to_lowercase().ends_with(&suffix));
        by_suffix.or_else(|| if target.contains('/') { None } else { candidates.first() })
    }
}

/// Drops a `#fragment` or `?query`, percent-decodes, composes (NFC), turns `\` into `/`, drops
/// `./`, leading `/` and `../` segments.
fn normalize(target: &str) -> String {
    let target = target.trim().split(['#', '?']).next().unwrap_or_default();
    let decoded = vps_core::slug::decode_route(target).replace('\\', "/");
    decoded.split('/').filter(|segment| !matches!(*segment, "" | "." | "..")).collect::<Vec<_>>().join("/")
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
        let found = |t: &str| assets.resolve(t).map(|p| p.as_str().to_owned());
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
        let found = |t: &str| assets.resolve(t).map(|p| p.as_str().to_owned());
        let nfd = Some("Attachments/E\u{301}te\u{301}.png");
        assert_eq!(found("Été.png").as_deref(), nfd, "by name, NFC typed");
        assert_eq!(found("Attachments/Été.png").as_deref(), nfd, "by path");
        assert_eq!(found("été.png").as_deref(), nfd, "by name, any case");
        assert_eq!(found("%C3%89t%C3%A9.png").as_deref(), nfd, "percent-encoded");
        assert_eq!(found("y/Cafe\u{301}.jpg").as_deref(), Some("x/y/Café.jpg"), "by suffix, NFD typed");
        assert_eq!(found("Cafe\u{301}.jpg").as_deref(), Some("x/y/Café.jpg"));
    }
}
