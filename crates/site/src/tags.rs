//! The tag index: every tag and every parent of a nested tag, with the pages under it.
//!
//! Tags are grouped by [`tag_key`] (`#tag`, `#Tag` and `#TAG` are one tag, in every script),
//! and each tag's page is at one URL, [`vps_core::slug::tag_href`]. A tag is shown as the
//! spelling most of its pages use; on a tie, the first spelling in code-point order (`Tag`
//! before `tag`).

use std::collections::BTreeMap;

use vps_core::slug::{nfc, tag_key};

use crate::model::PageInfo;

#[derive(Debug, Default)]
pub(crate) struct TagIndex {
    /// [`tag_key`] → entry.
    entries: BTreeMap<String, TagEntry>,
}

#[derive(Debug, Default)]
pub(crate) struct TagEntry {
    /// The [`tag_key`] (`project/alpha`): the tag page's route is `/tags/<key>`.
    pub(crate) key: String,
    /// The tag as most of its pages write it (`Project/Alpha`).
    pub(crate) name: String,
    /// Pages with this tag or one of its sub-tags, each once: in page order from
    /// [`TagIndex::build`], by title after [`TagIndex::sort_pages`].
    pub(crate) pages: Vec<usize>,
    /// Keys of the direct sub-tags.
    pub(crate) children: Vec<String>,
}

impl TagIndex {
    /// The tags of the listed pages: an unlisted page gives no tag and is under none.
    pub(crate) fn build(pages: &[PageInfo]) -> TagIndex {
        let mut entries: BTreeMap<String, TagEntry> = BTreeMap::new();
        // key → spelling → pages writing it (each page once).
        let mut spellings: BTreeMap<String, BTreeMap<String, (usize, usize)>> = BTreeMap::new();
        for (index, page) in pages.iter().enumerate().filter(|(_, page)| !page.unlisted) {
            for tag in &page.tags {
                let segments = spelling_segments(tag);
                let mut parent: Option<String> = None;
                for depth in 1..=segments.len() {
                    let spelling = segments[..depth].join("/");
                    let key = tag_key(&spelling);
                    let entry = entries
                        .entry(key.clone())
                        .or_insert_with(|| TagEntry { key: key.clone(), ..TagEntry::default() });
                    if entry.pages.last() != Some(&index) {
                        entry.pages.push(index);
                    }
                    // (pages, last page counted) per spelling.
                    let count = spellings.entry(key.clone()).or_default().entry(spelling).or_insert((0, usize::MAX));
                    if count.1 != index {
                        *count = (count.0 + 1, index);
                    }
                    if let Some(parent) = parent.replace(key.clone()) {
                        // Repeats are removed once at the end: a `contains` here would be
                        // quadratic in the sub-tags of one tag.
                        entries.get_mut(&parent).expect("parent inserted first").children.push(key);
                    }
                }
            }
        }
        for (key, entry) in entries.iter_mut() {
            entry.children.sort();
            entry.children.dedup();
            // The most used spelling; `max_by` keeps the last of equals, so iterate in reverse
            // code-point order to keep the first.
            entry.name = spellings
                .get(key)
                .and_then(|by_spelling| {
                    by_spelling.iter().rev().max_by_key(|(_, (count, _))| *count).map(|(s, _)| s.clone())
                })
                .unwrap_or_else(|| key.clone());
        }
        TagIndex { entries }
    }

    /// Orders every tag's pages by `order` (the site's title order), once for all its listings.
    pub(crate) fn sort_pages(&mut self, order: impl Fn(usize, usize) -> std::cmp::Ordering) {
        for entry in self.entries.values_mut() {
            entry.pages.sort_unstable_by(|&a, &b| order(a, b));
        }
    }

    /// The entry of a tag written any way (`#Project`, `project`, `PROJECT`).
    pub(crate) fn get(&self, tag: &str) -> Option<&TagEntry> {
        self.entries.get(&tag_key(tag))
    }

    pub(crate) fn entry_by_key(&self, key: &str) -> Option<&TagEntry> {
        self.entries.get(key)
    }

    /// Every tag, by key.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &TagEntry> {
        self.entries.values()
    }
}

/// A tag as written, without `#` and without empty segments, in NFC (`#Projet//Été/` →
/// `["Projet", "Été"]`): the same segments as its [`tag_key`], in the writer's case.
pub(crate) fn spelling_segments(tag: &str) -> Vec<String> {
    let tag = nfc(tag.trim().trim_start_matches('#')).into_owned();
    tag.split('/').filter(|segment| !segment.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vps_core::slug::tag_route;

    fn tagged(tags: &[&str]) -> PageInfo {
        PageInfo { tags: tags.iter().map(|t| (*t).to_owned()).collect(), ..PageInfo::default() }
    }

    #[test]
    fn nested_tags_count_under_their_parents_once_per_page() {
        let pages = vec![tagged(&["project/alpha", "project/beta"]), tagged(&["#Project"])];
        let index = TagIndex::build(&pages);
        let project = index.get("PROJECT").unwrap();
        assert_eq!(project.name, "Project", "one page each: the first in code-point order");
        assert_eq!(project.pages, vec![0, 1]);
        assert_eq!(project.children, vec!["project/alpha", "project/beta"]);
        assert_eq!(index.get("project/alpha").unwrap().pages, vec![0]);
        assert!(index.get("alpha").is_none());
        assert_eq!(spelling_segments(" #a//b/ "), vec!["a", "b"]);
        assert!(spelling_segments("#").is_empty());
    }

    #[test]
    fn spellings_of_one_tag_make_one_entry_named_as_most_pages_write_it() {
        let pages = vec![tagged(&["#Tag"]), tagged(&["#tag"]), tagged(&["#TAG", "#Tag"]), tagged(&["Tag/Sub"])];
        let index = TagIndex::build(&pages);
        assert_eq!(index.iter().count(), 2, "tag and tag/sub");
        let tag = index.get("tAg").unwrap();
        assert_eq!(tag.name, "Tag", "3 pages write Tag, 1 tag, 1 TAG");
        assert_eq!(tag.pages, vec![0, 1, 2, 3]);
        assert_eq!(tag.children, vec!["tag/sub"]);

        let tie = TagIndex::build(&[tagged(&["été"]), tagged(&["Été"])]);
        assert_eq!(tie.get("ÉTÉ").unwrap().name, "Été", "a tie goes to the first in code-point order");
    }

    #[test]
    fn tags_of_every_script_fold_case_and_normalisation() {
        let pages =
            vec![tagged(&["#Проект"]), tagged(&["#ПРОЕКТ"]), tagged(&["#日本語/メモ"]), tagged(&["E\u{301}te\u{301}"])];
        let index = TagIndex::build(&pages);
        assert_eq!(index.get("проект").unwrap().pages, vec![0, 1]);
        assert_eq!(index.get("日本語").unwrap().children, vec!["日本語/メモ"]);
        assert_eq!(index.get("Été").unwrap().name, "Été", "NFD spelling shown composed");
        assert_eq!(tag_route("#Проект"), "/tags/проект");
        assert_eq!(vps_core::url::encode_path(&tag_route("#日本語/メモ")), vps_core::slug::tag_href("#日本語/メモ"));
    }
}
