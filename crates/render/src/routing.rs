//! Routes of notes and the three slug flavours of the plugin protocol (§7.2, §7.4, §7.5).
//!
//! The three slugs disagree on purpose: the reference computes routes, wikilink keys and
//! heading ids with three different functions, and published URLs must stay identical to the
//! reference's, so each one is reproduced as is. `My File_2` gives the route slug `my-file2`, the
//! link slug `my-file-2` and the heading slug `my-file_2`.

use unicode_normalization::UnicodeNormalization;

/// The combining diacritical marks that every slug drops after decomposition (`é` → `e` + U+0301).
pub(crate) fn is_combining_diacritic(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// JavaScript's `\s`, which the reference's patterns use. It differs from
/// [`char::is_whitespace`]: U+FEFF counts, U+0085 does not.
pub(crate) fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{000B}' | '\u{000C}' | '\r' | ' ' | '\u{00A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// The route slug of a file or folder name.
///
/// NFD, drop combining marks, **delete** every character that is not an ASCII letter, digit or
/// whitespace, then join the remaining words with `-` in lower case. An empty result becomes
/// `note`, which is why all non-Latin names share one route.
///
/// ```
/// assert_eq!(vps_render::route_slug("Été Spécial"), "ete-special");
/// assert_eq!(vps_render::route_slug("post-one"), "postone");
/// assert_eq!(vps_render::route_slug("日本語"), "note");
/// ```
pub fn route_slug(name: &str) -> String {
    let kept: String = name
        .nfd()
        .filter(|&c| !is_combining_diacritic(c) && (c.is_ascii_alphanumeric() || is_js_whitespace(c)))
        .collect();
    let slug = join_words(kept.split(is_js_whitespace));
    if slug.is_empty() { "note".to_owned() } else { slug }
}

/// The link slug used to match wikilink targets against notes.
///
/// Like [`route_slug`], except that every character that is not an ASCII letter or digit
/// separates words (so `-`, `_`, `.` and `'` become `-`), and an empty result stays empty.
///
/// ```
/// assert_eq!(vps_render::link_slug("post-one"), "post-one");
/// assert_eq!(vps_render::link_slug("L'été"), "l-ete");
/// assert_eq!(vps_render::link_slug("日本語"), "");
/// ```
pub fn link_slug(name: &str) -> String {
    let kept: String = name.nfd().filter(|&c| !is_combining_diacritic(c)).collect();
    join_words(kept.split(|c: char| !c.is_ascii_alphanumeric()))
}

/// The id of a heading, and the fragment of a link to it.
///
/// NFKD, drop marks, lower-case, keep only `[a-z0-9_]`, whitespace and `-`, turn whitespace into
/// `-`, collapse runs of `-` and trim them at both ends.
///
/// ```
/// assert_eq!(vps_render::heading_slug("C'est l'été!"), "cest-lete");
/// assert_eq!(vps_render::heading_slug("Mixed_Title Format"), "mixed_title-format");
/// ```
pub fn heading_slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let lowered = text.nfkd().filter(|&c| !is_combining_diacritic(c)).flat_map(char::to_lowercase);
    for c in lowered {
        let kept = match c {
            'a'..='z' | '0'..='9' | '_' => c,
            '-' => '-',
            c if is_js_whitespace(c) => '-',
            // Upper case can survive `to_lowercase` only outside ASCII, so this arm is
            // never reached by `A`–`Z`; everything else is deleted.
            _ => continue,
        };
        if kept == '-' && (slug.is_empty() || slug.ends_with('-')) {
            continue;
        }
        slug.push(kept);
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// Lower-cases the non-empty words and joins them with `-`.
fn join_words<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for word in words.filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// Normalises a `folderConfig.routeBase` (§7.2 step 1): trim, ensure a leading `/`, and drop one
/// trailing `/` unless the base is `/` itself. Segments are kept verbatim, not slugged, except
/// that a `\` separates segments like `/` (as in vault paths) and runs of `/` are collapsed: no
/// route may contain `\` or `//`, which browsers read as the start of another origin
/// (`/\evil.example` is `//evil.example`).
///
/// ```
/// assert_eq!(vps_render::normalize_route_base(" blog/ "), "/blog");
/// assert_eq!(vps_render::normalize_route_base(""), "/");
/// assert_eq!(vps_render::normalize_route_base("\\evil.example\\x"), "/evil.example/x");
/// ```
pub fn normalize_route_base(base: &str) -> String {
    let trimmed = base.trim_matches(is_js_whitespace).replace('\\', "/");
    let mut out = collapse_slashes(&format!("/{trimmed}"));
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// The prefix under which the plugin sends a node's `additionalFiles`.
const ADDITIONAL_PREFIX: &str = "__additional__/";

/// The route of a note (§7.2): `routeBase`, then the route-slugged directories of
/// `relative_path` (none when flattened or for additional files), then the route slug of the file
/// name minus its last extension; runs of `/` are collapsed.
///
/// ```
/// use vps_render::compute_route;
///
/// assert_eq!(compute_route("/blog", "Sub Dir/Été Spécial.md", false), "/blog/sub-dir/ete-special");
/// assert_eq!(compute_route("/blog", "Sub Dir/Été Spécial.md", true), "/blog/ete-special");
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
        // than slugged into `note`.
        for dir in parts.iter().filter(|d| !d.is_empty()) {
            route.push('/');
            route.push_str(&route_slug(dir));
        }
    }
    route.push('/');
    route.push_str(&route_slug(strip_last_extension(file)));
    collapse_slashes(&route)
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
    fn routes_match_every_row_of_the_protocol_table() {
        let rows = [
            ("/blog", "Sub Dir/Été Spécial.md", false, "/blog/sub-dir/ete-special"),
            ("/blog", "Sub Dir/Été Spécial.md", true, "/blog/ete-special"),
            ("/blog", "post-one.md", false, "/blog/postone"),
            ("/", "2024-01-05 Meeting notes.md", false, "/20240105-meeting-notes"),
            ("/docs", "My  File_2.md", false, "/docs/my-file2"),
            ("/docs", "C++ & Rust.md", false, "/docs/c-rust"),
            ("/docs", "日本語.md", false, "/docs/note"),
            ("/blog", "__additional__/v1.5 notes", false, "/blog/v1"),
            ("/", "Pages/Home.md", false, "/pages/home"),
            ("/guide", "Docs/Intro.md", false, "/guide/docs/intro"),
        ];
        for (base, relative, flatten, expected) in rows {
            assert_eq!(compute_route(base, relative, flatten), expected, "{base} + {relative}");
        }
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

    #[test]
    fn slugs_disagree_as_the_protocol_documents() {
        assert_eq!(route_slug("My File_2"), "my-file2");
        assert_eq!(link_slug("My File_2"), "my-file-2");
        assert_eq!(heading_slug("My File_2"), "my-file_2");

        assert_eq!(route_slug("L'été"), "lete");
        assert_eq!(link_slug("L'été"), "l-ete");
        assert_eq!(heading_slug("L'été"), "lete");
    }

    #[test]
    fn non_latin_names_give_note_as_route_slug_and_an_empty_link_slug() {
        assert_eq!(route_slug("日本語"), "note");
        assert_eq!(route_slug(""), "note");
        assert_eq!(link_slug("日本語"), "");
    }

    #[test]
    fn route_slug_treats_unicode_spaces_as_separators() {
        assert_eq!(route_slug("a\u{00A0}b\tc"), "a-b-c");
    }

    #[test]
    fn heading_slug_matches_reference_examples() {
        let rows = [
            ("Simple Heading", "simple-heading"),
            ("Les Héros Légendaires", "les-heros-legendaires"),
            ("Question?", "question"),
            ("Hello, World!", "hello-world"),
            ("Multiple   Spaces   Here", "multiple-spaces-here"),
            ("Too---Many---Hyphens", "too-many-hyphens"),
            ("---Both---", "both"),
            ("!!!", ""),
            ("", ""),
            ("Section 4.5", "section-45"),
            ("snake_case_title", "snake_case_title"),
            ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ];
        for (text, expected) in rows {
            assert_eq!(heading_slug(text), expected, "{text}");
        }
    }
}
