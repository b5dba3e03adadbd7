//! Escaping: the only way text reaches markup is `vps_core::html` (re-exported here as
//! [`escape`]). URLs are encoded by `vps_core::url`.

pub use vps_core::html::escape;
pub(crate) use vps_core::html::escape_into;

/// Collapses whitespace and cuts `text` to about `max` characters at a word boundary,
/// adding `…` when something was cut.
pub(crate) fn summarize(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let sep = usize::from(len > 0);
        let word_len = word.chars().count();
        if len + sep + word_len > max {
            if len == 0 {
                out.extend(word.chars().take(max));
            }
            let trimmed = out.trim_end_matches(|c: char| c.is_ascii_punctuation()).len();
            out.truncate(trimmed);
            out.push('…');
            return out;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
        len += sep + word_len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(escape("a\"b&c"), "a&quot;b&amp;c");
        assert_eq!(escape("bell\u{7}ok\n"), "bellok\n");
    }

    #[test]
    fn summaries_cut_at_a_word_boundary() {
        assert_eq!(summarize("  short\n text ", 160), "short text");
        assert_eq!(summarize("one two three four", 10), "one two…");
        assert_eq!(summarize("abcdefghijkl", 5), "abcde…");
        assert_eq!(summarize("end, of. sentence", 8), "end, of…");
    }
}
