//! Escaping: the only way text reaches markup. URLs are encoded by `vps_core::url`.

/// Escapes text for HTML and XML, in element content and in quoted attributes alike.
///
/// ```
/// assert_eq!(vps_site::escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
///            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut out, text);
    out
}

/// [`escape`], appending to `out`.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

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
