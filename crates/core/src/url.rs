//! Percent-encoding of paths, both ways: route and asset paths in URLs.

/// Percent-decodes (`/Mon%20Blog/x` → `/Mon Blog/x`); invalid escapes stay as they are and
/// invalid UTF-8 becomes U+FFFD.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a path for a URL, keeping `/` and the unreserved characters: every route
/// and asset path is written into a page, a header or a feed this way (`/ノート` →
/// `/%E3%83%8E%E3%83%BC%E3%83%88`).
pub fn encode_path(path: &str) -> String {
    encode(path, true)
}

/// Percent-encodes one path segment: as [`encode_path`], with `/` encoded too.
pub fn encode_segment(segment: &str) -> String {
    encode(segment, false)
}

fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            b'/' if keep_slash => out.push('/'),
            other => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(other >> 4)] as char);
                out.push(HEX[usize::from(other & 15)] as char);
            }
        }
    }
    out
}

/// Whether `url` starts with a URL scheme (`https:`, `mailto:`, `javascript:`…): a letter, then
/// letters, digits, `+`, `-` or `.`, then `:`. Such a link leaves the vault.
///
/// ```
/// assert!(vps_core::url::has_scheme("https://example.com"));
/// assert!(vps_core::url::has_scheme("mailto:a@b"));
/// assert!(!vps_core::url::has_scheme("./img.png"));
/// ```
pub fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes_paths() {
        assert_eq!(encode_path("Attachments/my diagram#1.png"), "Attachments/my%20diagram%231.png");
        assert_eq!(encode_path("Été.png"), "%C3%89t%C3%A9.png");
        assert_eq!(decode("%C3%89t%C3%A9%20x.png"), "Été x.png");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode(&encode_path("a b/ü?.md")), "a b/ü?.md");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }
}
