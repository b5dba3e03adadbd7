//! HTML escaping: the one way text reaches markup (pages, feeds, the sitemap). URLs are encoded
//! by [`crate::url`].

/// Escapes text for HTML and XML, in element content and in quoted attributes alike. Control
/// characters other than tab and newlines are dropped: XML 1.0 does not allow them.
///
/// ```
/// assert_eq!(vps_core::html::escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
///            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut out, text);
    out
}

/// [`escape`], appending to `out`.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes_and_drops_control_characters() {
        assert_eq!(escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(escape("a\"b&c"), "a&quot;b&amp;c");
        assert_eq!(escape("bell\u{7}ok\n\ttab\r"), "bellok\n\ttab\r");
        let mut out = String::from("<p>");
        escape_into(&mut out, "ノート & co");
        assert_eq!(out, "<p>ノート &amp; co");
    }
}
