//! The tag index: every tag and every parent of a nested tag, with the pages under it.

use std::collections::BTreeMap;

use crate::model::PageInfo;

#[derive(Debug, Default)]
pub(crate) struct TagIndex {
    /// Lower-cased tag → entry. Tags are case-insensitive, as in Obsidian.
    entries: BTreeMap<String, TagEntry>,
}

#[derive(Debug, Default)]
pub(crate) struct TagEntry {
    /// The tag as first written (`Project/Alpha`).
    pub(crate) name: String,
    /// Pages with this tag or one of its sub-tags, in page order, each once.
    pub(crate) pages: Vec<usize>,
    /// Keys of the direct sub-tags.
    pub(crate) children: Vec<String>,
}

impl TagIndex {
    pub(crate) fn build(pages: &[PageInfo]) -> TagIndex {
        let mut entries: BTreeMap<String, TagEntry> = BTreeMap::new();
        for (index, page) in pages.iter().enumerate() {
            for tag in page.tags.iter().filter_map(|t| normalize_tag(t)) {
                let mut parent: Option<String> = None;
                for (end, _) in tag.match_indices('/').chain([(tag.len(), "")]) {
                    let name = &tag[..end];
                    let key = name.to_lowercase();
                    let entry = entries
                        .entry(key.clone())
                        .or_insert_with(|| TagEntry { name: name.to_owned(), ..TagEntry::default() });
                    if entry.pages.last() != Some(&index) {
                        entry.pages.push(index);
                    }
                    if let Some(parent) = parent.replace(key.clone()) {
                        // Repeats are removed once at the end: a `contains` here would be
                        // quadratic in the sub-tags of one tag.
                        entries.get_mut(&parent).expect("parent inserted first").children.push(key);
                    }
                }
            }
        }
        for entry in entries.values_mut() {
            entry.children.sort();
            entry.children.dedup();
        }
        TagIndex { entries }
    }

    pub(crate) fn get(&self, tag: &str) -> Option<&TagEntry> {
        self.entries.get(&normalize_tag(tag)?.to_lowercase())
    }

    pub(crate) fn entry_by_key(&self, key: &str) -> Option<&TagEntry> {
        self.entries.get(key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &TagEntry> {
        self.entries.values()
    }
}

/// `#Project//Alpha/` → `Project/Alpha`; nothing for an empty tag.
pub(crate) fn normalize_tag(tag: &str) -> Option<String> {
    let tag = tag.trim().trim_start_matches('#');
    let parts: Vec<&str> = tag.split('/').map(str::trim).filter(|p| !p.is_empty()).collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_tags_count_under_their_parents_once_per_page() {
        let pages = vec![
            PageInfo { tags: vec!["project/alpha".into(), "project/beta".into()], ..PageInfo::default() },
            PageInfo { tags: vec!["#Project".into()], ..PageInfo::default() },
        ];
        let index = TagIndex::build(&pages);
        let project = index.get("PROJECT").unwrap();
        assert_eq!(project.name, "project");
        assert_eq!(project.pages, vec![0, 1]);
        assert_eq!(project.children, vec!["project/alpha", "project/beta"]);
        assert_eq!(index.get("project/alpha").unwrap().pages, vec![0]);
        assert!(index.get("alpha").is_none());
        assert_eq!(normalize_tag(" #a//b/ "), Some("a/b".into()));
        assert_eq!(normalize_tag("#"), None);
    }
}
