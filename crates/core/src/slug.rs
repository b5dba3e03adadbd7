//! Names into URLs: the one place where a file, folder, heading or tag name becomes a route
//! segment, a heading id or a tag key, and where names are compared.
//!
//! Every script is kept. The rules, in order:
//!
//! 1. The text is NFKC-normalised: composed (`e` + U+0301 → `é`, as macOS's NFD names become
//!    NFC) and compatibility forms folded (full-width `ＡＢＣ` → `ABC`, `ﬁ` → `fi`, `²` → `2`).
//! 2. Unicode lower-casing (`Ä` → `ä`, `Σ` → `σ`, `ＡＢＣ` → `abc`).
//! 3. Latin letters lose their diacritics, as they always have here (`Été Spécial` →
//!    `ete-special`), and the Latin letters that have no decomposition are spelled out
//!    (`ß` → `ss`, `æ` → `ae`, `ø` → `o`, `ł` → `l`). Other scripts keep their marks: Devanagari
//!    vowel signs, Arabic and Hebrew points, Cyrillic `й`, Greek tonos, Japanese dakuten.
//! 4. Letters and digits of every script, their combining marks, and pictographic emoji are
//!    kept. Apostrophes (`'`, `’`, `ʼ`) are deleted (`L'été` → `lete`, `don't` → `dont`).
//!    Invisible format characters (zero-width joiners, bidi marks, variation selectors) are
//!    deleted. Everything else — spaces, `-`, `_`, `.`, and every other punctuation or symbol —
//!    separates words.
//! 5. Words are joined with one `-`; there is never a `-` at either end.
//!
//! So `post-one`, `post_one` and `Post One` all give `post-one`, `2024-01-05 Meeting` gives
//! `2024-01-05-meeting`, and `はじめに` gives `はじめに`. A name with no letter, digit or emoji
//! at all (`!!!`) gives an empty [`slug`]; a route segment is then [`route_segment`]'s stable
//! `n-<hash>` of the name, which depends on that name alone.
//!
//! Slugs are idempotent (`slug(slug(x)) == slug(x)`). In URLs they are percent-encoded UTF-8
//! ([`crate::url::encode_path`]); an incoming path is decoded and NFC-normalised by
//! [`decode_route`], so the encoded, NFC and NFD spellings of a route reach the same page.
//!
//! ```
//! use vps_core::slug::{heading_id, route_segment, slug, tag_key};
//!
//! assert_eq!(slug("Été Spécial"), "ete-special");
//! assert_eq!(slug("post-one"), "post-one");
//! assert_eq!(slug("ノート/はじめに"), "ノート-はじめに");
//! assert_eq!(slug("Ｆｕｌｌ Ｗｉｄｔｈ"), "full-width");
//! assert_eq!(route_segment("!!!"), route_segment("!!!"));
//! assert_eq!(heading_id("Что такое Obsidian?"), "что-такое-obsidian");
//! assert_eq!(tag_key("#Project/Été"), "project/été");
//! ```

use std::borrow::Cow;

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The text in Unicode Normalization Form C: how names are compared (a vault path written by
/// macOS in NFD finds the same note as its NFC spelling). Borrowed when already NFC.
///
/// ```
/// use vps_core::slug::nfc;
///
/// assert_eq!(nfc("E\u{301}te\u{301}.md"), "Été.md");
/// ```
pub fn nfc(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// The slug of a name: see the [module](self) for the rules. Empty when the name has no
/// letter, digit or emoji.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The kind of the last character written, to decide what a combining mark joins.
    let mut last = Last::Separator;
    let mut separate = false;
    let normalized: Cow<'_, str> =
        if text.is_ascii() { Cow::Borrowed(text) } else { Cow::Owned(text.nfkc().collect()) };
    for upper in normalized.chars() {
        for c in upper.to_lowercase() {
            let class = classify(c);
            match class {
                Class::Deleted => continue,
                Class::Separator => {
                    separate = true;
                    last = Last::Separator;
                    continue;
                }
                Class::Mark => {
                    // A mark belongs to the letter before it: kept on a non-Latin letter,
                    // dropped on a Latin one (the diacritic fold) and at a word's start.
                    if last == Last::Other {
                        out.push(c);
                    }
                    continue;
                }
                Class::Latin | Class::Other => {}
            }
            if separate && !out.is_empty() {
                out.push('-');
            }
            separate = false;
            if class == Class::Latin {
                push_latin(c, &mut out);
                last = Last::Latin;
            } else {
                out.push(c);
                last = Last::Other;
            }
        }
    }
    if out.is_ascii() { out } else { out.nfc().collect() }
}

/// A route segment: the [`slug`] of a file or folder name, or, when the name has no letter,
/// digit or emoji (`!!!`), `n-` and a hash of the name, which no other name's slug can be.
///
/// ```
/// use vps_core::slug::route_segment;
///
/// assert_eq!(route_segment("Été Spécial"), "ete-special");
/// assert_eq!(route_segment("???"), format!("n-{}", vps_core::slug::name_hash("???")));
/// assert_ne!(route_segment("???"), route_segment("!!!"));
/// ```
pub fn route_segment(name: &str) -> String {
    let slug = slug(name);
    if slug.is_empty() { format!("n-{}", name_hash(name)) } else { slug }
}

/// The id of a heading, and the fragment of every link to it: the heading text's [`slug`],
/// or `heading` when the text has no letter (a table of contents still needs an id). A page
/// makes repeated ids unique with `-1`, `-2`…
pub fn heading_id(text: &str) -> String {
    let slug = slug(text);
    if slug.is_empty() { "heading".to_owned() } else { slug }
}

/// The canonical form of a tag: no leading `#`, NFC, lower-cased, each segment of a nested tag
/// trimmed, and segments that are empty or only dots dropped (`#Projet//Été` → `projet/été`;
/// a browser would resolve a `.` or `..` segment of its URL away). `#tag`, `#Tag` and `#TAG`
/// are one tag, and a tag key is its own key.
pub fn tag_key(tag: &str) -> String {
    let lowered: String = nfc(tag).chars().flat_map(char::to_lowercase).collect();
    let lowered = nfc(&lowered).into_owned();
    let only_dots = |segment: &str| segment.bytes().all(|b| b == b'.');
    let segments: Vec<&str> =
        lowered.split('/').map(str::trim).filter(|segment| !segment.is_empty() && !only_dots(segment)).collect();
    // The `#` marks in front belong to the syntax, not to the name: strip them from the first
    // segment, and drop leading segments that were nothing else.
    let mut kept = Vec::with_capacity(segments.len());
    for segment in segments {
        if kept.is_empty() {
            let name = segment.trim_start_matches(|c: char| c == '#' || c.is_whitespace());
            if !name.is_empty() && !only_dots(name) {
                kept.push(name);
            }
        } else {
            kept.push(segment);
        }
    }
    kept.join("/")
}

/// The route of a tag's page: `/tags/` and its [`tag_key`] (`#Projet/Été` → `/tags/projet/été`).
/// Every spelling of a tag has this one route; the server answers the others with a 301 to it.
/// A tag with no key (`#`, `/`) is the list of tags, `/tags`.
pub fn tag_route(tag: &str) -> String {
    let key = tag_key(tag);
    if key.is_empty() { "/tags".to_owned() } else { format!("/tags/{key}") }
}

/// The URL of a tag's page: its [`tag_route`] percent-encoded (`#Été/X` →
/// `/tags/%C3%A9t%C3%A9/x`).
pub fn tag_href(tag: &str) -> String {
    crate::url::encode_path(&tag_route(tag))
}

/// An incoming URL path as a route: percent-decoded, then NFC-normalised, so
/// `/%E3%83%8E%E3%83%BC%E3%83%88`, `/ノート` and its NFD spelling are one route.
pub fn decode_route(path: &str) -> String {
    nfc(&crate::url::decode(path)).into_owned()
}

/// Eight hex digits naming a text (64-bit FNV-1a of its NFC bytes, folded to 32 bits): the
/// stable suffix of routes that would collide and of names with no slug. It depends on the
/// text alone, so it never changes when other notes come or go.
pub fn name_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in nfc(text).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08x}", (hash ^ (hash >> 32)) as u32)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// An ASCII or Latin letter, or an ASCII digit.
    Latin,
    /// A letter, digit or emoji of any other script.
    Other,
    /// A combining mark.
    Mark,
    /// Invisible: apostrophes, format characters.
    Deleted,
    Separator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Latin,
    Other,
    Separator,
}

fn classify(c: char) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            Class::Latin
        } else if c == '\'' {
            Class::Deleted
        } else {
            Class::Separator
        };
    }
    if matches!(c, '\u{2019}' | '\u{02BC}') || is_format(c) {
        return Class::Deleted;
    }
    if is_combining_mark(c) {
        return Class::Mark;
    }
    if c.is_alphabetic() && is_latin(c) {
        return Class::Latin;
    }
    if c.is_alphanumeric() || is_pictographic(c) {
        return Class::Other;
    }
    Class::Separator
}

/// Pushes a lower-case Latin letter without its diacritics (`é` → `e`, `ǿ` → `o`, `ß` → `ss`).
fn push_latin(c: char, out: &mut String) {
    decompose_canonical(c, |part| {
        if is_combining_mark(part) {
            return;
        }
        match part {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'đ' | 'ð' => out.push('d'),
            'ł' | 'ŀ' => out.push('l'),
            'þ' => out.push_str("th"),
            'ı' => out.push('i'),
            'ħ' => out.push('h'),
            'ŧ' => out.push('t'),
            other => out.push(other),
        }
    });
}

/// Letters of the Latin blocks past ASCII (Latin-1 Supplement to Latin Extended-E, and the
/// Latin Extended Additional block of Vietnamese).
fn is_latin(c: char) -> bool {
    matches!(c,
        '\u{00C0}'..='\u{024F}'
        | '\u{1E00}'..='\u{1EFF}'
        | '\u{2C60}'..='\u{2C7F}'
        | '\u{A720}'..='\u{A7FF}'
        | '\u{AB30}'..='\u{AB6F}')
}

/// Emoji and pictographs, which have no letters but are a name's whole meaning (`🎉.md`).
fn is_pictographic(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{2300}'..='\u{23FF}')
}

/// Invisible characters that only shape the text around them: zero-width space and joiners,
/// bidi marks and isolates, word joiner, variation selectors, byte-order mark, soft hyphen.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{E0100}'..='\u{E01EF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::encode_path;

    fn table(rows: &[(&str, &str)]) {
        for (name, expected) in rows {
            assert_eq!(slug(name), *expected, "slug({name:?})");
        }
    }

    #[test]
    fn latin_keeps_todays_diacritic_fold_and_separates_words_at_punctuation() {
        table(&[
            ("Été Spécial", "ete-special"),
            ("post-one", "post-one"),
            ("post_one", "post-one"),
            ("Post One", "post-one"),
            ("My  File_2", "my-file-2"),
            ("2024-01-05 Meeting notes", "2024-01-05-meeting-notes"),
            ("C++ & Rust", "c-rust"),
            ("L'été", "lete"),
            ("Don’t panic", "dont-panic"),
            ("v1.5 notes", "v1-5-notes"),
            ("---Both---", "both"),
            ("Straße", "strasse"),
            ("Æsir Øresund Łódź", "aesir-oresund-lodz"),
            ("Tiếng Việt", "tieng-viet"),
            ("Ça va ?", "ca-va"),
            ("İstanbul", "istanbul"),
        ]);
    }

    #[test]
    fn nfd_and_nfc_spellings_give_one_slug() {
        assert_eq!(slug("E\u{301}te\u{301}"), slug("Été"));
        assert_eq!(slug("E\u{301}te\u{301}"), "ete");
        assert_eq!(nfc("Cafe\u{301}"), "Café");
        assert!(matches!(nfc("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn japanese_chinese_korean() {
        table(&[
            ("はじめに", "はじめに"),
            ("Obsidian Sync について", "obsidian-sync-について"),
            ("ガイド・チュートリアル", "ガイド-チュートリアル"),
            ("データ（ローカル）", "データ-ローカル"),
            ("が", "が"),
            ("か\u{3099}", "が"),
            ("ｶﾀｶﾅ", "カタカナ"),
            ("快速入门", "快速入门"),
            ("同步：设置", "同步-设置"),
            ("시작하기 가이드", "시작하기-가이드"),
        ]);
    }

    #[test]
    fn cyrillic_greek_arabic_hebrew_devanagari_keep_their_letters_and_marks() {
        table(&[
            ("Начало работы", "начало-работы"),
            ("Йога", "йога"),
            ("Ελληνικά Σημειώσεις", "ελληνικά-σημειώσεις"),
            ("مرحبا بالعالم", "مرحبا-بالعالم"),
            ("عَرَبِيّ", "عَرَبِيّ"),
            ("שלום עולם", "שלום-עולם"),
            ("हिन्दी नोट्स", "हिन्दी-नोट्स"),
            ("१२३ संख्या", "१२३-संख्या"),
            ("ไทย ภาษา", "ไทย-ภาษา"),
        ]);
    }

    #[test]
    fn full_width_emoji_mixed_and_invisible() {
        table(&[
            ("ＡＢＣ", "abc"),
            ("Ｆｕｌｌ Ｗｉｄｔｈ １２", "full-width-12"),
            ("🎉 Party", "🎉-party"),
            ("🎉", "🎉"),
            ("❤\u{FE0F} love", "❤-love"),
            ("Rust と 日本語 mix", "rust-と-日本語-mix"),
            ("Zero\u{200B}Width", "zerowidth"),
            ("!!!", ""),
            ("", ""),
        ]);
    }

    #[test]
    fn names_without_letters_get_a_stable_hashed_segment() {
        assert_eq!(route_segment("!!!"), route_segment("!!!"));
        assert!(route_segment("!!!").starts_with("n-"));
        assert_ne!(route_segment("!!!"), route_segment("???"));
        assert_eq!(route_segment("Note"), "note");
        assert_eq!(name_hash("E\u{301}"), name_hash("É"), "the hash is of the NFC name");
    }

    #[test]
    fn headings_and_tags() {
        assert_eq!(heading_id("見出し 2"), "見出し-2");
        assert_eq!(heading_id("!!!"), "heading");
        assert_eq!(heading_id("Section 4.5"), "section-4-5");
        assert_eq!(tag_key("#Tag"), tag_key("tag"));
        assert_eq!(tag_key("TAG"), "tag");
        assert_eq!(tag_key("#Projet//Été/"), "projet/été");
        assert_eq!(tag_key("#ТЕГ"), "тег");
        assert_eq!(tag_key("! /"), "!");
        assert_eq!(tag_key("../x/./y/.."), "x/y");
        assert_eq!(tag_key("/#"), "");
        assert_eq!(tag_key("# #A/#b"), "a/#b");
        for tag in ["! /", "#\u{85}..", "a/ /b", "#Été//X/", "/#", "# #a", "#/.#./x"] {
            assert_eq!(tag_key(&tag_key(tag)), tag_key(tag), "{tag:?}");
        }
        assert_eq!(tag_href("#Été/X"), "/tags/%C3%A9t%C3%A9/x");
        assert_eq!(tag_route("#Été/X"), "/tags/été/x");
        assert_eq!(tag_route(" / "), "/tags");
        assert_eq!(decode_route(&tag_href("#TAG/Ünter")), tag_route("tag/ünter"));
        assert_eq!(tag_href("日本"), format!("/tags/{}", encode_path("日本")));
    }

    #[test]
    fn incoming_paths_are_decoded_and_composed() {
        let route = format!("/{}/{}", slug("ノート"), slug("はじめに"));
        assert_eq!(decode_route(&encode_path(&route)), route);
        let nfd: String = route.nfd().collect();
        assert_eq!(decode_route(&nfd), route);
        assert_eq!(decode_route(&encode_path(&nfd)), route);
    }
}
