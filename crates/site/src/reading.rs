//! What a page's header shows besides its title and tags: its reading time and, when the
//! writer wants them, its frontmatter properties.

use crate::escape::escape;
use crate::words::Words;

/// Words read in a minute.
const WORDS_PER_MINUTE: usize = 200;
/// Chinese and Japanese are read by characters, about twice as many a minute as words.
const CJK_CHARACTERS_PER_WORD: usize = 2;

/// The minutes it takes to read `text` (a page's plain text), rounded up; `None` for a text
/// without words. Words are runs of characters between spaces (and CJK punctuation); each Han, Hiragana or Katakana
/// character counts as half a word, since those scripts put no spaces between words.
pub(crate) fn reading_minutes(text: &str) -> Option<usize> {
    let (mut words, mut cjk, mut in_word) = (0usize, 0usize, false);
    for c in text.chars() {
        if is_cjk(c) {
            cjk += 1;
            in_word = false;
        } else if c.is_whitespace() || is_cjk_punctuation(c) {
            in_word = false;
        } else if !in_word {
            words += 1;
            in_word = true;
        }
    }
    let units = words + cjk.div_ceil(CJK_CHARACTERS_PER_WORD);
    (units > 0).then(|| units.div_ceil(WORDS_PER_MINUTE))
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'        // Hiragana, Katakana
        | '\u{3400}'..='\u{4dbf}'      // CJK Extension A
        | '\u{4e00}'..='\u{9fff}'      // CJK Unified Ideographs
        | '\u{f900}'..='\u{faff}'      // CJK Compatibility Ideographs
        | '\u{20000}'..='\u{2ebef}') // CJK Extensions B–F
}

/// `。`, `、`, `「` and full-width forms: between CJK words, not words themselves.
fn is_cjk_punctuation(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
}

/// `<p class="reading-time">4 min read</p>`, or nothing for a page without text.
pub(crate) fn render_reading_time(text: &str, words: &Words) -> String {
    match reading_minutes(text) {
        Some(minutes) => format!("<p class=\"reading-time\">{}</p>", escape(&(words.reading_time)(minutes))),
        None => String::new(),
    }
}

/// The page's shown properties as a description list, or nothing when it shows none.
pub(crate) fn render_properties(properties: &[(String, String)], words: &Words) -> String {
    if properties.is_empty() {
        return String::new();
    }
    let mut out = format!("<dl class=\"page-properties\" aria-label=\"{}\">", escape(words.properties));
    for (name, value) in properties {
        out.push_str(&format!(
            "<div><dt dir=\"auto\">{}</dt><dd dir=\"auto\">{}</dd></div>",
            escape(name),
            escape(value)
        ));
    }
    out.push_str("</dl>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{ENGLISH, FRENCH};

    #[test]
    fn reading_time_counts_words_and_cjk_characters() {
        assert_eq!(reading_minutes(""), None);
        assert_eq!(reading_minutes("  \n "), None);
        assert_eq!(reading_minutes("one"), Some(1));
        assert_eq!(reading_minutes(&"word ".repeat(200)), Some(1));
        assert_eq!(reading_minutes(&"word ".repeat(201)), Some(2));
        assert_eq!(reading_minutes(&"word ".repeat(1000)), Some(5));
        // 800 Japanese characters without a space: about 2 minutes, not "1 word".
        assert_eq!(reading_minutes(&"日本語の文章です。".repeat(100)), Some(2));
        assert_eq!(reading_minutes(&"漢字".repeat(1000)), Some(5));
        // Mixed: the Latin words count as words.
        assert_eq!(reading_minutes(&format!("{} {}", "漢".repeat(400), "word ".repeat(200))), Some(2));
    }

    #[test]
    fn reading_time_and_properties_are_written_in_the_sites_language_and_escaped() {
        let text = "word ".repeat(450);
        assert_eq!(render_reading_time(&text, &ENGLISH), "<p class=\"reading-time\">3 min read</p>");
        assert_eq!(render_reading_time(&text, &FRENCH), "<p class=\"reading-time\">3\u{a0}min de lecture</p>");
        assert_eq!(render_reading_time("", &ENGLISH), "");
        let properties = vec![("author".to_owned(), "<script>x</script> & Ada".to_owned())];
        assert_eq!(
            render_properties(&properties, &ENGLISH),
            "<dl class=\"page-properties\" aria-label=\"Properties\"><div><dt dir=\"auto\">author</dt>\
             <dd dir=\"auto\">&lt;script&gt;x&lt;/script&gt; &amp; Ada</dd></div></dl>"
        );
        assert_eq!(render_properties(&[], &FRENCH), "");
    }
}
