//! Wikilink resolution (§7.4): which published page a `[[target]]` names.
//!
//! This is the reference's stage 1 (an index over the session's notes) with the useful part of
//! its stage 2 folded in (matching the vault path and a path suffix), so that one pass over the
//! whole live set gives the final answer. Lookups proceed in steps; a step that finds exactly
//! one page wins, a step that finds several passes to the next one. Where the reference would
//! then leave the link unresolved, this index picks the candidate with the shortest path, which
//! is what Obsidian itself does with an ambiguous link; see [`LinkIndex::resolve`].
//!
//! Names are compared in two forms, both from [`vps_core::slug`]: the exact key is the name in
//! NFC, lower-cased (so a name macOS stored in NFD finds its NFC spelling, and the reverse), and
//! the loose key is the [`slug`] of each path segment (`post-one` finds `Post One`, `ﾉｰﾄ` finds
//! `ノート`). An exact match always beats a slug match.

use std::collections::HashMap;

use vps_core::slug::{nfc, slug};

use super::PageRef;

/// A lookup structure over every page of a publication, built once per finalisation.
#[derive(Debug)]
pub struct LinkIndex<'p> {
    pages: &'p [PageRef],
    keys: Vec<PageKeys>,
    by_relative: Lookup,
    by_vault: Lookup,
    by_name: Lookup,
}

/// One page's normalised keys. "Exact" keys are NFC and lower-cased ([`exact_key`]); "slug"
/// keys are slugged per path segment ([`slug_path`]).
#[derive(Debug)]
struct PageKeys {
    relative: PathKey,
    vault: PathKey,
}

#[derive(Debug)]
struct PathKey {
    exact: String,
    slug: String,
}

impl PathKey {
    fn new(path: &str) -> PathKey {
        let path = normalize_path(path);
        PathKey { exact: exact_key(&path), slug: slug_path(&path) }
    }
}

/// Exact and slug keys, each mapped to the pages that carry them (indices into `pages`).
#[derive(Debug, Default)]
struct Lookup {
    exact: HashMap<String, Vec<usize>>,
    slug: HashMap<String, Vec<usize>>,
}

impl Lookup {
    fn add_exact(&mut self, key: String, page: usize) {
        add(&mut self.exact, key, page);
    }

    fn add_slug(&mut self, key: String, page: usize) {
        add(&mut self.slug, key, page);
    }

    fn exact(&self, key: &str) -> &[usize] {
        self.exact.get(key).map_or(&[], Vec::as_slice)
    }

    fn slug(&self, key: &str) -> &[usize] {
        if key.is_empty() {
            return &[];
        }
        self.slug.get(key).map_or(&[], Vec::as_slice)
    }
}

fn add(map: &mut HashMap<String, Vec<usize>>, key: String, page: usize) {
    if key.is_empty() {
        // A name of punctuation only has an empty slug; an empty key would match them all.
        return;
    }
    let pages = map.entry(key).or_default();
    if pages.last() != Some(&page) {
        pages.push(page);
    }
}

/// The outcome of one lookup step.
enum Step {
    Found(usize),
    Ambiguous(Vec<usize>),
    Missing,
}

fn step(candidates: &[usize]) -> Step {
    let mut unique = candidates.to_vec();
    unique.sort_unstable();
    unique.dedup();
    match unique.as_slice() {
        [] => Step::Missing,
        [one] => Step::Found(*one),
        _ => Step::Ambiguous(unique),
    }
}

impl<'p> LinkIndex<'p> {
    /// Indexes `pages` by relative path, vault path, basename, title and aliases.
    pub fn new(pages: &'p [PageRef]) -> LinkIndex<'p> {
        let mut index = LinkIndex {
            pages,
            keys: Vec::with_capacity(pages.len()),
            by_relative: Lookup::default(),
            by_vault: Lookup::default(),
            by_name: Lookup::default(),
        };
        for (i, page) in pages.iter().enumerate() {
            let keys = PageKeys { relative: PathKey::new(&page.relative_path), vault: PathKey::new(&page.vault_path) };
            index.by_relative.add_exact(keys.relative.exact.clone(), i);
            index.by_relative.add_slug(keys.relative.slug.clone(), i);
            index.by_vault.add_exact(keys.vault.exact.clone(), i);
            index.by_vault.add_slug(keys.vault.slug.clone(), i);

            let basename = normalize_path(&page.vault_path).rsplit('/').next().unwrap_or_default().to_owned();
            index.by_name.add_exact(exact_key(&basename), i);
            index.by_name.add_slug(slug(&basename), i);
            index.by_name.add_slug(slug(&page.title), i);
            for alias in &page.aliases {
                index.by_name.add_exact(exact_key(alias.trim()), i);
                index.by_name.add_slug(slug(alias), i);
            }
            index.keys.push(keys);
        }
        index
    }

    /// The page that `target` (the part of a wikilink before `#` and `|`, or a `.md` link's path)
    /// names, seen from the page `from`.
    ///
    /// - An empty target (`[[#Heading]]`) is `from` itself.
    /// - `../x` and `./x` are resolved against `from`'s directory.
    /// - A target without `/` is looked up in `from`'s directory, then as a whole relative path,
    ///   then by file name or alias (exact first, then slugged, title slug included).
    /// - A target with `/` is matched against relative paths, then vault paths, then as a
    ///   `/`-suffix of either.
    ///
    /// Each step is tried with exact keys (NFC, lower case) first, then with slugs. If no step finds
    /// exactly one page, the candidates of the first ambiguous step are ranked by path length
    /// (fewest segments, then fewest characters) and the shortest wins, as in Obsidian; the
    /// reference would leave such a link unresolved. Between equally short candidates (the same
    /// file published under two folders), the one whose route shares the longest prefix with
    /// `from`'s route wins, then the first given.
    ///
    /// "Same directory" uses the vault path, not `relativePath` as the reference does: relative
    /// paths of different folders overlap, and all additional files share `__additional__/`.
    pub fn resolve<'a>(&'a self, from: &'a PageRef, target: &str) -> Option<&'a PageRef> {
        let raw = target.trim();
        if raw.is_empty() {
            return Some(from);
        }
        let decoded = vps_core::url::decode(raw).replace('\\', "/");
        let relative_to_note = decoded.starts_with("../") || decoded.starts_with("./");
        let path = normalize_path(&decoded);
        if path.is_empty() {
            return None;
        }

        let mut first_ambiguous = None;
        let mut attempt = |candidates: &[usize]| -> Option<usize> {
            match step(candidates) {
                Step::Found(i) => Some(i),
                Step::Ambiguous(all) => {
                    first_ambiguous.get_or_insert(all);
                    None
                }
                Step::Missing => None,
            }
        };

        let found = if relative_to_note {
            self.lookup_relative(from, &decoded, &mut attempt)
        } else if path.contains('/') {
            self.lookup_path(&path, &mut attempt)
        } else {
            self.lookup_name(from, &path, &mut attempt)
        };
        let chosen = found.or_else(|| self.shortest(from, first_ambiguous?))?;
        self.pages.get(chosen)
    }

    /// `../x`, `./x`: joined to `from`'s directory, in the vault and in its folder.
    fn lookup_relative(
        &self,
        from: &PageRef,
        decoded: &str,
        attempt: &mut impl FnMut(&[usize]) -> Option<usize>,
    ) -> Option<usize> {
        let in_vault = PathKey::new(&join_relative(&from.vault_path, decoded)?);
        let found =
            attempt(self.by_vault.exact(&in_vault.exact)).or_else(|| attempt(self.by_vault.slug(&in_vault.slug)));
        if found.is_some() {
            return found;
        }
        let in_folder = PathKey::new(&join_relative(&from.relative_path, decoded)?);
        attempt(self.by_relative.exact(&in_folder.exact)).or_else(|| attempt(self.by_relative.slug(&in_folder.slug)))
    }

    /// A target containing `/`.
    fn lookup_path(&self, path: &str, attempt: &mut impl FnMut(&[usize]) -> Option<usize>) -> Option<usize> {
        let exact = exact_key(path);
        let loose = slug_path(path);
        attempt(self.by_relative.exact(&exact))
            .or_else(|| attempt(self.by_relative.slug(&loose)))
            .or_else(|| attempt(self.by_vault.exact(&exact)))
            .or_else(|| attempt(self.by_vault.slug(&loose)))
            .or_else(|| attempt(&self.with_suffix(&exact, |k| &k.exact)))
            .or_else(|| attempt(&self.with_suffix(&loose, |k| &k.slug)))
    }

    /// A target without `/`.
    fn lookup_name(
        &self,
        from: &PageRef,
        name: &str,
        attempt: &mut impl FnMut(&[usize]) -> Option<usize>,
    ) -> Option<usize> {
        let exact = exact_key(name);
        let loose = slug(name);
        let sibling = match normalize_path(&from.vault_path).rsplit_once('/') {
            Some((dir, _)) => PathKey::new(&format!("{dir}/{name}")),
            None => PathKey::new(name),
        };
        attempt(self.by_vault.exact(&sibling.exact))
            .or_else(|| attempt(self.by_vault.slug(&sibling.slug)))
            .or_else(|| attempt(self.by_relative.exact(&exact)))
            .or_else(|| attempt(self.by_relative.slug(&loose)))
            .or_else(|| attempt(self.by_name.exact(&exact)))
            .or_else(|| {
                let mut any: Vec<usize> = self.by_name.exact(&exact).to_vec();
                any.extend_from_slice(self.by_name.slug(&loose));
                attempt(&any)
            })
    }

    /// Pages whose relative or vault key ends with `/` + `key`.
    fn with_suffix(&self, key: &str, pick: impl Fn(&PathKey) -> &String) -> Vec<usize> {
        if key.is_empty() {
            return Vec::new();
        }
        let suffix = format!("/{key}");
        let ends = |k: &PathKey| pick(k).ends_with(&suffix);
        self.keys.iter().enumerate().filter(|(_, k)| ends(&k.relative) || ends(&k.vault)).map(|(i, _)| i).collect()
    }

    /// Obsidian's choice between ambiguous candidates: the shortest path.
    fn shortest(&self, from: &PageRef, candidates: Vec<usize>) -> Option<usize> {
        let rank = |&i: &usize| {
            let path = &self.pages[i].vault_path;
            let shared = common_prefix_len(&self.pages[i].route, &from.route);
            (path.matches('/').count(), nfc(path).chars().count(), std::cmp::Reverse(shared), i)
        };
        candidates.into_iter().min_by_key(rank)
    }
}

fn common_prefix_len(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// The reference's path normalisation, minus URL-decoding: `\` → `/`, `./` segments dropped,
/// runs of `/` collapsed, outer `/` trimmed, `.md` removed.
///
/// Only `.md` is removed, not any last extension as in the reference: that rule turns
/// `[[Release 1.5]]` into `Release 1` (§7.5), which the reference only rescues in stage 2.
/// `..` segments are resolved where possible, so `a/../b` is `b`.
fn normalize_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." if segments.last().is_some_and(|s| *s != "..") => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let joined = segments.join("/");
    strip_md(&joined).to_owned()
}

fn strip_md(path: &str) -> &str {
    let cut = path.len().saturating_sub(3);
    match path.get(cut..) {
        Some(ext) if ext.eq_ignore_ascii_case(".md") && cut > 0 => &path[..cut],
        _ => path,
    }
}

/// `dir(base)` joined with a `./` or `../` path, `..` resolved; `None` when it climbs above the
/// root.
fn join_relative(base: &str, relative: &str) -> Option<String> {
    let base = base.replace('\\', "/");
    let mut segments: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    segments.pop(); // the file name
    let relative = relative.replace('\\', "/");
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            _ => segments.push(segment),
        }
    }
    Some(segments.join("/"))
}

/// The exact key of a name or path: NFC, then lower-cased (Obsidian's links ignore case).
fn exact_key(s: &str) -> String {
    let lowered = nfc(s).to_lowercase();
    nfc(&lowered).into_owned()
}

/// The [`slug`] of every segment of a path; empty when any segment's slug is empty (a name of
/// punctuation only), so that such a segment cannot collapse into a shorter, wrong path.
fn slug_path(path: &str) -> String {
    let mut out = String::new();
    for segment in path.split('/') {
        let loose = slug(segment);
        if loose.is_empty() {
            return String::new();
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&loose);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::split_wikilink;
    use crate::links::tests::page;

    /// A small vault published under `/blog` (folder `Blog`).
    fn vault() -> Vec<PageRef> {
        vec![
            page("Blog/Post One.md", "Post One.md", "/blog/post-one"),
            page("Blog/Sub/Intro.md", "Sub/Intro.md", "/blog/sub/intro"),
            page("Blog/Other/Intro.md", "Other/Intro.md", "/blog/other/intro"),
            page("Blog/Other/Été.md", "Other/Été.md", "/blog/other/ete"),
            page("Blog/Release 1.5.md", "Release 1.5.md", "/blog/release-15"),
            PageRef { aliases: vec!["Home Page".into()], ..page("Blog/Index.md", "Index.md", "/blog/index") },
        ]
    }

    fn route_of(pages: &[PageRef], from: usize, target: &str) -> Option<String> {
        let index = LinkIndex::new(pages);
        index.resolve(&pages[from], target).map(|p| p.route.clone())
    }

    #[test]
    fn empty_target_is_the_current_page() {
        let pages = vault();
        assert_eq!(route_of(&pages, 1, "").as_deref(), Some("/blog/sub/intro"));
        let link = split_wikilink("#Heading");
        assert_eq!(link.target, "");
        assert_eq!(link.subpath.as_deref(), Some("Heading"));
    }

    #[test]
    fn same_directory_wins_over_an_ambiguous_basename() {
        let pages = vault();
        // `Intro` exists in Sub and Other; from Other/Été the sibling is chosen.
        assert_eq!(route_of(&pages, 3, "Intro").as_deref(), Some("/blog/other/intro"));
        assert_eq!(route_of(&pages, 1, "intro").as_deref(), Some("/blog/sub/intro"));
    }

    #[test]
    fn whole_relative_path_without_slash_matches_a_root_note() {
        let pages = vault();
        assert_eq!(route_of(&pages, 1, "Post One").as_deref(), Some("/blog/post-one"));
        assert_eq!(route_of(&pages, 1, "Post One.md").as_deref(), Some("/blog/post-one"));
    }

    #[test]
    fn basename_is_matched_by_slug_and_accents_are_folded() {
        let pages = vault();
        assert_eq!(route_of(&pages, 0, "post-one").as_deref(), Some("/blog/post-one"));
        assert_eq!(route_of(&pages, 0, "ETE").as_deref(), Some("/blog/other/ete"));
        assert_eq!(route_of(&pages, 0, "été").as_deref(), Some("/blog/other/ete"));
    }

    #[test]
    fn aliases_resolve_exactly_and_by_slug() {
        let pages = vault();
        assert_eq!(route_of(&pages, 0, "Home Page").as_deref(), Some("/blog/index"));
        assert_eq!(route_of(&pages, 0, "home-page").as_deref(), Some("/blog/index"));
    }

    #[test]
    fn title_slug_resolves() {
        let pages = vec![PageRef { title: "Custom Title".into(), ..page("x/A.md", "A.md", "/a") }];
        assert_eq!(route_of(&pages, 0, "custom title").as_deref(), Some("/a"));
    }

    #[test]
    fn dotted_names_are_not_cut_at_their_last_dot() {
        let pages = vault();
        assert_eq!(route_of(&pages, 0, "Release 1.5").as_deref(), Some("/blog/release-15"));
    }

    #[test]
    fn path_targets_match_relative_path_vault_path_and_suffix() {
        let pages = vault();
        assert_eq!(route_of(&pages, 0, "Sub/Intro").as_deref(), Some("/blog/sub/intro"));
        assert_eq!(route_of(&pages, 0, "sub/intro").as_deref(), Some("/blog/sub/intro"));
        // Vault-path form, which the reference's stage 1 misses (§7.5).
        assert_eq!(route_of(&pages, 0, "Blog/Other/Intro").as_deref(), Some("/blog/other/intro"));
        assert_eq!(route_of(&pages, 0, "/Blog/Other/Intro.md").as_deref(), Some("/blog/other/intro"));
        // A suffix of the vault path.
        let deep = vec![page("Vault/Deep/Area/Page.md", "Deep/Area/Page.md", "/d/page")];
        assert_eq!(route_of(&deep, 0, "Area/Page").as_deref(), Some("/d/page"));
    }

    #[test]
    fn path_targets_do_not_fall_back_to_the_basename() {
        let pages = vault();
        assert_eq!(route_of(&pages, 0, "Nowhere/Post One"), None);
    }

    #[test]
    fn parent_directory_links_resolve_against_the_current_note() {
        let pages = vault();
        assert_eq!(route_of(&pages, 1, "..\\Other\\Intro").as_deref(), Some("/blog/other/intro"));
        assert_eq!(route_of(&pages, 1, "../Other/Intro").as_deref(), Some("/blog/other/intro"));
        assert_eq!(route_of(&pages, 1, "../Post One.md").as_deref(), Some("/blog/post-one"));
        assert_eq!(route_of(&pages, 1, "./Intro").as_deref(), Some("/blog/sub/intro"));
        assert_eq!(route_of(&pages, 0, "../../../x"), None);
    }

    #[test]
    fn url_encoded_and_backslashed_targets_are_normalised() {
        let pages = vault();
        assert_eq!(route_of(&pages, 0, "Post%20One.md").as_deref(), Some("/blog/post-one"));
        assert_eq!(route_of(&pages, 0, "Sub\\Intro").as_deref(), Some("/blog/sub/intro"));
        assert_eq!(route_of(&pages, 0, "Sub//Intro").as_deref(), Some("/blog/sub/intro"));
    }

    #[test]
    fn ambiguous_names_pick_the_shortest_path() {
        // No step finds exactly one `Topic`: not the linking note's directory, no whole
        // relative path, two basenames. The reference leaves this unresolved; Obsidian, and
        // this index, take the shallowest file.
        let pages = vec![
            page("Notes/Deep/Topic.md", "A/Deep/Topic.md", "/n/deep/topic"),
            page("Notes/Topic.md", "B/Topic.md", "/n/topic"),
            page("Elsewhere/Start.md", "Start.md", "/e/start"),
        ];
        assert_eq!(route_of(&pages, 2, "Topic").as_deref(), Some("/n/topic"));
        let reversed: Vec<PageRef> = pages.iter().rev().cloned().collect();
        assert_eq!(route_of(&reversed, 0, "topic").as_deref(), Some("/n/topic"));
    }

    #[test]
    fn a_unique_match_in_a_later_step_beats_an_earlier_ambiguity() {
        // Both notes have relative path `Sub/Intro.md` (two folders), so the relative-path step
        // is ambiguous; the vault-path step then finds exactly one.
        let pages = vec![
            page("Sub/Intro.md", "Sub/Intro.md", "/root/sub/intro"),
            page("X/Sub/Intro.md", "Sub/Intro.md", "/x/sub/intro"),
            page("D/From.md", "From.md", "/d/from"),
        ];
        assert_eq!(route_of(&pages, 2, "Sub/Intro").as_deref(), Some("/root/sub/intro"));
    }

    #[test]
    fn exact_match_beats_a_slug_collision() {
        let pages = vec![page("A-B.md", "A-B.md", "/ab1"), page("A B.md", "A B.md", "/ab2")];
        assert_eq!(route_of(&pages, 0, "A B").as_deref(), Some("/ab2"));
        assert_eq!(route_of(&pages, 1, "a-b").as_deref(), Some("/ab1"));
    }

    #[test]
    fn same_file_in_two_folders_prefers_the_linking_pages_tree() {
        let pages = vec![
            page("Shared/Note.md", "Note.md", "/one/note"),
            page("Shared/Note.md", "Note.md", "/two/note"),
            page("Other/From.md", "From.md", "/two/from"),
        ];
        assert_eq!(route_of(&pages, 2, "Note").as_deref(), Some("/two/note"));
    }

    #[test]
    fn nfc_and_nfd_spellings_of_a_name_find_the_same_note() {
        let pages = vec![
            page("Blog/E\u{301}te\u{301}.md", "E\u{301}te\u{301}.md", "/blog/ete-nfd"),
            page("Blog/Ete.md", "Ete.md", "/blog/ete"),
            page("Notes/Café.md", "Café.md", "/notes/cafe"),
            page("Start.md", "Start.md", "/start"),
        ];
        // NFC link, NFD file: the exact step finds it, ahead of `Ete`, its slug twin.
        assert_eq!(route_of(&pages, 3, "Été").as_deref(), Some("/blog/ete-nfd"));
        assert_eq!(route_of(&pages, 3, "Blog/Été").as_deref(), Some("/blog/ete-nfd"));
        assert_eq!(route_of(&pages, 3, "Ete").as_deref(), Some("/blog/ete"));
        // NFD link, NFC file.
        assert_eq!(route_of(&pages, 3, "Cafe\u{301}").as_deref(), Some("/notes/cafe"));
        assert_eq!(route_of(&pages, 3, "Notes/Cafe\u{301}.md").as_deref(), Some("/notes/cafe"));
        let aliased = vec![PageRef { aliases: vec!["Re\u{301}sume\u{301}".into()], ..page("A.md", "A.md", "/a") }];
        assert_eq!(route_of(&aliased, 0, "Résumé").as_deref(), Some("/a"));
    }

    #[test]
    fn names_in_every_script_resolve_exactly_and_by_slug() {
        let pages = vec![
            page("ノート.md", "ノート.md", "/ノート"),
            page("日本語 メモ.md", "日本語 メモ.md", "/日本語-メモ"),
            page("Заметки/Начало работы.md", "Заметки/Начало работы.md", "/заметки/начало-работы"),
            page("同步/快速入门.md", "同步/快速入门.md", "/同步/快速入门"),
            page("ملاحظات/مرحبا بالعالم.md", "ملاحظات/مرحبا بالعالم.md", "/ملاحظات/مرحبا-بالعالم"),
            page("Start.md", "Start.md", "/start"),
        ];
        let rows = [
            ("ノート", "/ノート"),
            ("ﾉｰﾄ", "/ノート"),
            ("日本語 メモ", "/日本語-メモ"),
            ("日本語-メモ", "/日本語-メモ"),
            ("начало работы", "/заметки/начало-работы"),
            ("НАЧАЛО_РАБОТЫ", "/заметки/начало-работы"),
            ("快速入门", "/同步/快速入门"),
            ("同步/快速入门", "/同步/快速入门"),
            ("مرحبا-بالعالم", "/ملاحظات/مرحبا-بالعالم"),
            ("ملاحظات/مرحبا بالعالم", "/ملاحظات/مرحبا-بالعالم"),
        ];
        for (target, route) in rows {
            assert_eq!(route_of(&pages, 5, target).as_deref(), Some(route), "[[{target}]]");
        }
        assert_eq!(route_of(&pages, 5, "ノートブック"), None);
    }

    #[test]
    fn unknown_and_non_latin_unknown_targets_are_unresolved() {
        let pages = vec![page("日本語.md", "日本語.md", "/note"), page("A.md", "A.md", "/a")];
        assert_eq!(route_of(&pages, 1, "Missing"), None);
        assert_eq!(route_of(&pages, 1, "中文"), None);
        assert_eq!(route_of(&pages, 1, "日本語").as_deref(), Some("/note"));
    }
}
