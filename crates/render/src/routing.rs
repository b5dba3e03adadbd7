//! Routes of notes (§7.2): where a note is published.
//!
//! Every folder and the file name become a segment by [`vps_core::slug::route_segment`], the
//! one slug rule of the product (letters and digits of every script kept, Latin diacritics
//! folded, punctuation separating words): `Sub Dir/Été Spécial.md` → `sub-dir/ete-special`,
//! `ノート/はじめに.md` → `ノート/はじめに`. A route depends on its own path alone. Routes are
//! plain Unicode (NFC); [`crate::page_href`] percent-encodes them for HTML.

use vps_core::slug::{nfc, route_segment, slug};

/// JavaScript's `\s`, which the reference's patterns use. It differs from
/// [`char::is_whitespace`]: U+FEFF counts, U+0085 does not.
pub(crate) fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{000B}' | '\u{000C}' | '\r' | ' ' | '\u{00A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// Normalises a `folderConfig.routeBase` (§7.2 step 1): trim, ensure a leading `/`, and drop one
/// trailing `/` unless the base is `/` itself. Segments are kept verbatim, not slugged, except
/// that a `\` separates segments like `/` (as in vault paths) and runs of `/` are collapsed: no
/// route may contain `\` or `//`, which browsers read as the start of another origin
/// (`/\evil.example` is `//evil.example`). The base is NFC-normalised, as every route is, so
/// that an incoming path (decoded to NFC) finds it whatever form the settings were typed in.
///
/// ```
/// assert_eq!(vps_render::normalize_route_base(" blog/ "), "/blog");
/// assert_eq!(vps_render::normalize_route_base(""), "/");
/// assert_eq!(vps_render::normalize_route_base("\\evil.example\\x"), "/evil.example/x");
/// ```
pub fn normalize_route_base(base: &str) -> String {
    let trimmed = nfc(base.trim_matches(is_js_whitespace)).replace('\\', "/");
    let mut out = collapse_slashes(&format!("/{trimmed}"));
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// The prefix under which the plugin sends a node's `additionalFiles`.
const ADDITIONAL_PREFIX: &str = "__additional__/";

/// The route of a note (§7.2): `routeBase`, then the [`route_segment`] of each directory of
/// `relative_path` (none when flattened or for additional files), then the [`route_segment`] of
/// the file name minus its last extension; runs of `/` are collapsed.
///
/// ```
/// use vps_render::compute_route;
///
/// assert_eq!(compute_route("/blog", "Sub Dir/Été Spécial.md", false), "/blog/sub-dir/ete-special");
/// assert_eq!(compute_route("/blog", "Sub Dir/Été Spécial.md", true), "/blog/ete-special");
/// assert_eq!(compute_route("/docs", "ノート/はじめに.md", false), "/docs/ノート/はじめに");
/// assert_eq!(compute_route("/blog", "post-one.md", false), "/blog/post-one");
/// ```
pub fn compute_route(route_base: &str, relative_path: &str, flatten_tree: bool) -> String {
    let base = normalize_route_base(route_base);
    let path = relative_path.replace('\\', "/");
    let path = path.trim_matches('/');
    let keep_dirs = !flatten_tree && !path.starts_with(ADDITIONAL_PREFIX);

    let mut parts: Vec<&str> = path.split('/').collect();
    // `split` always yields at least one item, even for an empty path.
    let file = parts.pop().unwrap_or_default();

    let mut route = String::from("/");
    route.push_str(&base);
    if keep_dirs {
        // An empty part comes from `a//b` and names no directory, so it is skipped rather
        // than given a segment of its own.
        for dir in parts.iter().filter(|d| !d.is_empty()) {
            route.push('/');
            route.push_str(&route_segment(dir));
        }
    }
    route.push('/');
    route.push_str(&route_segment(strip_last_extension(file)));
    collapse_slashes(&route)
}

/// The route an alias of the note routed at `note_route` redirects from: the note's folder
/// (its route without the last segment) and the alias's [`slug`] — as Quartz's AliasRedirects
/// place an alias beside its note. `note_route` is the route the note's path gives it (before
/// any permalink), so an alias stays in the folder the note is in. `None` when the alias has no
/// slug (`!!!`): it names no route. An alias with `/` is one segment (`a/b` → `a-b`), so it
/// never leaves the note's folder nor goes deeper.
///
/// ```
/// assert_eq!(vps_render::alias_route("/blog/post-one", "Old Title").as_deref(), Some("/blog/old-title"));
/// assert_eq!(vps_render::alias_route("/home", "Été").as_deref(), Some("/ete"));
/// assert_eq!(vps_render::alias_route("/home", "a/../b").as_deref(), Some("/a-b"));
/// assert_eq!(vps_render::alias_route("/home", "!!!"), None);
/// ```
pub fn alias_route(note_route: &str, alias: &str) -> Option<String> {
    let slug = slug(alias);
    if slug.is_empty() {
        return None;
    }
    let folder = note_route.rsplit_once('/').map_or("", |(folder, _)| folder);
    Some(format!("{folder}/{slug}"))
}

/// Removes the last `.ext` of a file name, as the reference's `/\.[^/.]+$/` does: `v1.5 notes`
/// loses `.5 notes`, `a.` keeps its dot.
pub(crate) fn strip_last_extension(file: &str) -> &str {
    match file.rfind('.') {
        Some(dot) if dot + 1 < file.len() => &file[..dot],
        _ => file,
    }
}

/// Replaces every run of `/` by one `/`.
pub(crate) fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_route_contains_a_backslash_or_an_empty_segment() {
        for (base, relative) in [("\\evil.example", "a.md"), ("/x\\\\y/", "b\\c.md"), ("//evil.example", "d.md")] {
            let route = compute_route(base, relative, false);
            assert!(!route.contains('\\') && !route.contains("//"), "{base} + {relative} → {route}");
        }
        assert_eq!(compute_route("\\evil.example", "a.md", false), "/evil.example/a");
    }

    #[test]
    fn routes_match_every_row_of_the_table() {
        let rows = [
            ("/blog", "Sub Dir/Été Spécial.md", false, "/blog/sub-dir/ete-special"),
            ("/blog", "Sub Dir/Été Spécial.md", true, "/blog/ete-special"),
            ("/blog", "post-one.md", false, "/blog/post-one"),
            ("/", "2024-01-05 Meeting notes.md", false, "/2024-01-05-meeting-notes"),
            ("/docs", "My  File_2.md", false, "/docs/my-file-2"),
            ("/docs", "C++ & Rust.md", false, "/docs/c-rust"),
            ("/docs", "日本語.md", false, "/docs/日本語"),
            ("/blog", "__additional__/v1.5 notes", false, "/blog/v1"),
            ("/", "Pages/Home.md", false, "/pages/home"),
            ("/guide", "Docs/Intro.md", false, "/guide/docs/intro"),
            ("/", "a\u{00A0}b\tc.md", false, "/a-b-c"),
            ("/", "L'été.md", false, "/lete"),
        ];
        for (base, relative, flatten, expected) in rows {
            assert_eq!(compute_route(base, relative, flatten), expected, "{base} + {relative}");
        }
    }

    #[test]
    fn every_script_keeps_its_letters_in_folders_and_file_names() {
        let rows = [
            ("ノート/はじめに.md", "/ノート/はじめに"),
            ("同步/快速入门.md", "/同步/快速入门"),
            ("노트/시작하기 가이드.md", "/노트/시작하기-가이드"),
            ("Заметки/Начало работы.md", "/заметки/начало-работы"),
            ("Σημειώσεις/Αρχή.md", "/σημειώσεις/αρχή"),
            ("ملاحظات/مرحبا بالعالم.md", "/ملاحظات/مرحبا-بالعالم"),
            ("הערות/שלום עולם.md", "/הערות/שלום-עולם"),
            ("नोट्स/हिन्दी.md", "/नोट्स/हिन्दी"),
            ("🎉/Party.md", "/🎉/party"),
            ("Ｆｕｌｌ/ＡＢＣ.md", "/full/abc"),
        ];
        for (relative, expected) in rows {
            assert_eq!(compute_route("/", relative, false), expected, "{relative}");
        }
    }

    #[test]
    fn folders_in_different_scripts_do_not_merge() {
        let a = compute_route("/", "ノート/a.md", false);
        let b = compute_route("/", "同步/a.md", false);
        let c = compute_route("/", "Заметки/a.md", false);
        assert!(a != b && b != c && a != c, "{a} {b} {c}");
    }

    #[test]
    fn nfd_and_nfc_file_names_and_route_bases_give_one_route() {
        assert_eq!(compute_route("/", "E\u{301}te\u{301}.md", false), compute_route("/", "Été.md", false));
        assert_eq!(compute_route("/", "が.md", false), compute_route("/", "か\u{3099}.md", false));
        assert_eq!(normalize_route_base("/Cafe\u{301}"), "/Café");
    }

    #[test]
    fn names_without_letters_get_a_route_of_their_own_that_does_not_depend_on_other_notes() {
        let bang = compute_route("/", "!!!.md", false);
        let question = compute_route("/", "???.md", false);
        assert_eq!(bang, format!("/{}", route_segment("!!!")));
        assert_ne!(bang, question);
        assert_eq!(compute_route("/", "!!!.md", false), bang);
    }

    #[test]
    fn additional_files_drop_their_directories_even_without_flattening() {
        assert_eq!(compute_route("/blog", "__additional__/Deep Note.md", false), "/blog/deep-note");
    }

    #[test]
    fn route_base_is_trimmed_prefixed_and_loses_one_trailing_slash() {
        assert_eq!(normalize_route_base("/blog"), "/blog");
        assert_eq!(normalize_route_base("blog"), "/blog");
        assert_eq!(normalize_route_base("  /blog/ "), "/blog");
        assert_eq!(normalize_route_base("/blog//"), "/blog", "runs of `/` are collapsed");
        assert_eq!(normalize_route_base("/"), "/");
        assert_eq!(normalize_route_base("   "), "/");
    }

    #[test]
    fn route_base_segments_are_kept_verbatim() {
        assert_eq!(compute_route("/Mon Blog", "Été.md", false), "/Mon Blog/ete");
    }

    #[test]
    fn double_slash_route_bases_and_paths_collapse() {
        assert_eq!(compute_route("//child", "a.md", false), "/child/a");
        assert_eq!(compute_route("/", "/x//y/z.md/", false), "/x/y/z");
    }

    #[test]
    fn backslashes_in_relative_paths_are_directory_separators() {
        assert_eq!(compute_route("/docs", "Sub\\Page.md", false), "/docs/sub/page");
    }

    #[test]
    fn only_the_last_extension_is_removed() {
        assert_eq!(strip_last_extension("a.b.md"), "a.b");
        assert_eq!(strip_last_extension("v1.5 notes"), "v1");
        assert_eq!(strip_last_extension("plain"), "plain");
        assert_eq!(strip_last_extension("trailing."), "trailing.");
    }
}
