//! Full-text search over titles, headings and text: accent- and case-insensitive, every term
//! required, with a highlighted snippet. Text is folded once when the site is built, so a
//! query is a handful of substring scans.
//!
//! Every script is searched. Folding lower-cases (`РАБОТЫ` finds `работы`, `ΟΔΟΣ` finds `οδός`),
//! applies compatibility forms (full-width `ＡＢＣ`, half-width `ｶﾞ`) and drops the marks a
//! reader may or may not type: Latin, Greek and Cyrillic accents, Arabic harakat, Hebrew points.
//! Marks that make another letter are kept: Japanese dakuten (`ガ` is not `カ`) and the vowel
//! signs of Indic and South-East Asian scripts; Hangul syllables stay whole. Query terms are
//! split at whitespace and punctuation (full-width `，。、` included); scripts written without
//! spaces (Chinese, Japanese, Thai) match anywhere, a Latin term at the start of a word.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use crate::escape::escape_into;
use crate::model::PageInfo;

/// Weights of a term found in each field.
pub(crate) const TITLE_WEIGHT: u32 = 3;
pub(crate) const HEADING_WEIGHT: u32 = 2;
pub(crate) const TEXT_WEIGHT: u32 = 1;
/// Queries longer than this are cut, and only this many distinct terms are used.
pub(crate) const MAX_QUERY_CHARS: usize = 200;
pub(crate) const MAX_TERMS: usize = 8;
/// Snippet window: characters of context before the first match, and total length.
pub(crate) const SNIPPET_BEFORE: usize = 60;
pub(crate) const SNIPPET_CHARS: usize = 200;

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// Where the page is served (`/` for the home page), as a route (plain Unicode; its href is
    /// `vps_core::url::encode_path` of it).
    pub route: String,
    /// The page's title, plain text (not escaped).
    pub title: String,
    /// Escaped text around the first match in the page's text, with the matches in `<mark>`.
    pub snippet_html: String,
    /// Relevance: over the query's terms, the sum of the weights of the fields each occurs in
    /// (title 3, headings 2, text 1); higher is better, and every hit scores at least 1 per term.
    pub score: u32,
}

/// Text folded for matching, with the way back to the original for snippets.
#[derive(Debug, Default)]
pub(crate) struct Folded {
    pub(crate) folded: String,
    /// For each byte of `folded`, the offset in the original of the character it came from;
    /// `None` when the two offsets are equal (ASCII text).
    origin: Option<Vec<u32>>,
}

impl Folded {
    pub(crate) fn new(text: &str) -> Folded {
        fn push(folded: &mut String, origin: &mut Vec<u32>, part: char, offset: usize) {
            for lower in part.to_lowercase() {
                // Greek final sigma is the same letter as σ.
                folded.push(if lower == 'ς' { 'σ' } else { lower });
                origin.resize(folded.len(), offset as u32);
            }
        }
        if text.is_ascii() {
            return Folded { folded: text.to_ascii_lowercase(), origin: None };
        }
        let mut folded = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        for (offset, c) in text.char_indices() {
            if c.is_ascii() {
                // What the general path gives an ASCII character, without its iterators.
                folded.push(c.to_ascii_lowercase());
                origin.push(offset as u32);
                continue;
            }
            if is_hangul_syllable(c) {
                // Decomposed into jamo, `시` would be found inside `식`.
                push(&mut folded, &mut origin, c, offset);
                continue;
            }
            decompose_compatible(c, |part| {
                if !is_combining_mark(part) || is_letter_mark(part) {
                    push(&mut folded, &mut origin, part, offset);
                }
            });
        }
        Folded { folded, origin: Some(origin) }
    }

    /// The original offset where folded byte `at` comes from.
    fn original_start(&self, at: usize) -> usize {
        self.origin.as_ref().map_or(at, |origin| origin.get(at).map_or(usize::MAX, |&o| o as usize))
    }

    /// The original byte range of the folded range `start..end` (non-empty).
    fn original_range(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        match &self.origin {
            None => (start, end),
            Some(origin) => {
                let last = origin[end - 1] as usize;
                let last_len = original[last..].chars().next().map_or(0, char::len_utf8);
                // The marks written after the last letter (a Hebrew point, Arabic harakat) are
                // part of it, though folding dropped them.
                let marks: usize =
                    original[last + last_len..].chars().take_while(|&c| is_combining_mark(c)).map(char::len_utf8).sum();
                (origin[start] as usize, last + last_len + marks)
            }
        }
    }

    /// The first folded offset whose original offset is at least `original_offset`.
    fn folded_offset(&self, original_offset: usize) -> usize {
        match &self.origin {
            None => original_offset,
            Some(origin) => origin.partition_point(|&o| (o as usize) < original_offset),
        }
    }
}

/// Lower-case, compatibility-decomposed, without accents: `Été` → `ete`.
pub(crate) fn fold(text: &str) -> String {
    Folded::new(text).folded
}

pub(crate) fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Combining marks that make another letter rather than accent one, kept by folding: the kana
/// voicing marks and the vowel signs and viramas of the Indic and South-East Asian scripts
/// (Devanagari to Myanmar, Khmer).
pub(crate) fn is_letter_mark(c: char) -> bool {
    matches!(c, '\u{3099}' | '\u{309A}' | '\u{0900}'..='\u{109F}' | '\u{1780}'..='\u{17FF}')
}

#[derive(Debug)]
pub(crate) struct IndexedPage {
    pub(crate) title: String,
    pub(crate) headings: String,
    pub(crate) text: Folded,
    /// The distinct ASCII words of the folded text, sorted: a Latin term is looked up here by
    /// binary search instead of scanning the text.
    pub(crate) text_words: Vec<Box<str>>,
}

impl IndexedPage {
    /// The folded title, headings and text of a page.
    pub(crate) fn new(page: &PageInfo) -> IndexedPage {
        let text = Folded::new(&page.text);
        IndexedPage {
            title: fold(&page.title),
            headings: fold(&page.headings.iter().map(|h| h.text.as_str()).collect::<Vec<_>>().join("\n")),
            text_words: ascii_words(&text.folded),
            text,
        }
    }

    pub(crate) fn text_contains(&self, term: &str) -> bool {
        if term.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let at = self.text_words.partition_point(|word| **word < *term);
            self.text_words.get(at).is_some_and(|word| word.starts_with(term))
        } else {
            contains_term(&self.text.folded, term)
        }
    }
}

pub(crate) fn ascii_words(folded: &str) -> Vec<Box<str>> {
    // Repeats dropped before sorting: a text has far fewer distinct words than words.
    let distinct: std::collections::HashSet<&str> =
        folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut words: Vec<&str> = distinct.into_iter().collect();
    words.sort_unstable();
    words.into_iter().map(Box::from).collect()
}

/// The distinct folded words of a query.
pub(crate) fn query_terms(query: &str) -> Vec<String> {
    let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
    let mut terms: Vec<String> = Vec::new();
    let separator = |c: char| !(c.is_alphanumeric() || is_combining_mark(c));
    for term in fold(&query).split(separator).filter(|t| !t.is_empty()) {
        if !terms.iter().any(|t| t == term) {
            terms.push(term.to_owned());
        }
    }
    terms.truncate(MAX_TERMS);
    terms
}

/// Where `term` occurs in `folded`. A term that starts with an ASCII letter or digit (all that
/// Latin text folds to) must start a word: `ete` is not found in `complete`. Other scripts may
/// not separate words with spaces, so there any occurrence counts (`同步` in `使用Obsidian同步`).
/// A match never ends inside a letter: `カ` is not found in `ガ` (`カ` and a kept mark).
pub(crate) fn term_matches<'a>(folded: &'a str, term: &'a str) -> impl Iterator<Item = usize> + 'a {
    let latin = term.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    folded.match_indices(term).map(|(at, _)| at).filter(move |&at| {
        let starts_word =
            !latin || folded[..at].chars().next_back().is_none_or(|before| !before.is_ascii_alphanumeric());
        let ends_letter = folded[at + term.len()..].chars().next().is_none_or(|after| !is_combining_mark(after));
        starts_word && ends_letter
    })
}

pub(crate) fn contains_term(folded: &str, term: &str) -> bool {
    // `contains` has a SIMD fast path that `match_indices` lacks; most pages fail it.
    folded.contains(term) && term_matches(folded, term).next().is_some()
}

/// About [`SNIPPET_CHARS`] characters of `text` around the first match of any term (or its
/// start when only the title or headings matched), escaped, matches in `<mark>`.
pub(crate) fn snippet(text: &str, folded: &Folded, terms: &[String]) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let first = terms.iter().filter_map(|t| term_matches(&folded.folded, t).next()).min();
    let anchor = first.map_or(0, |at| folded.original_start(at)).min(text.len());

    let mut start = back_chars(text, anchor, SNIPPET_BEFORE);
    if start > 0 {
        // Start at a word: after the first whitespace before the match, if any.
        if let Some(space) = text[start..anchor].find(char::is_whitespace) {
            start += space + text[start + space..].chars().next().map_or(1, char::len_utf8);
        }
    }
    let mut end = forward_chars(text, start, SNIPPET_CHARS);
    if end < text.len() {
        // End at a word: at the last whitespace after the match, if any.
        if let Some(space) = text[anchor..end].rfind(char::is_whitespace).filter(|&s| s > 0) {
            end = anchor + space;
        }
    }

    let (folded_start, folded_end) = (folded.folded_offset(start), folded.folded_offset(end));
    let window = &folded.folded[folded_start..folded_end];
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for term in terms {
        for at in term_matches(window, term) {
            marks.push((folded_start + at, folded_start + at + term.len()));
        }
    }
    marks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in marks {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }

    let mut out = String::with_capacity(SNIPPET_CHARS * 2);
    if start > 0 {
        out.push('…');
    }
    let mut cursor = start;
    for (s, e) in merged {
        let (s, e) = folded.original_range(text, s, e);
        let (s, e) = (s.clamp(cursor, end), e.clamp(cursor, end));
        if s >= e {
            continue;
        }
        push_collapsed(&mut out, &text[cursor..s]);
        out.push_str("<mark>");
        push_collapsed(&mut out, &text[s..e]);
        out.push_str("</mark>");
        cursor = e;
    }
    push_collapsed(&mut out, &text[cursor..end]);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    if end < text.len() {
        out.push('…');
    }
    out
}

/// Escapes `text` with every run of whitespace made one space (none at the very start).
pub(crate) fn push_collapsed(out: &mut String, text: &str) {
    let mut last_space = out.is_empty() || out.ends_with(' ');
    let mut buffer = [0; 4];
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            escape_into(out, c.encode_utf8(&mut buffer));
            last_space = false;
        }
    }
}

/// The offset `count` characters before `at` (or 0).
pub(crate) fn back_chars(text: &str, at: usize, count: usize) -> usize {
    text[..at].char_indices().rev().nth(count.saturating_sub(1)).map_or(0, |(i, _)| i)
}

/// The offset `count` characters after `at` (or the end).
pub(crate) fn forward_chars(text: &str, at: usize, count: usize) -> usize {
    text[at..].char_indices().nth(count).map_or(text.len(), |(i, _)| at + i)
}

#[cfg(test)]
mod tests;
