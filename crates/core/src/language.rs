//! Language tags: the one rule for `SITE_LANGUAGE`, the `locale` a client sends, and `<html lang>`.

/// The longest tag accepted (BCP 47 recommends that implementations support at least 35).
pub const MAX_LANGUAGE_TAG_LEN: usize = 35;

/// `text` (trimmed) when it is a plausible BCP 47 language tag: ASCII letters, digits and `-`,
/// at most [`MAX_LANGUAGE_TAG_LEN`] characters, not empty, not starting or ending with `-`.
/// Anything else (`fr"><script>`, `日本`, an empty string) is `None`.
///
/// ```
/// use vps_core::language::language_tag;
///
/// assert_eq!(language_tag(" pt-BR "), Some("pt-BR"));
/// assert_eq!(language_tag("ja"), Some("ja"));
/// assert_eq!(language_tag("fr\"><script>"), None);
/// assert_eq!(language_tag(""), None);
/// assert_eq!(language_tag("-en"), None);
/// ```
pub fn language_tag(text: &str) -> Option<&str> {
    let tag = text.trim();
    let valid = !tag.is_empty()
        && tag.len() <= MAX_LANGUAGE_TAG_LEN
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !tag.starts_with('-')
        && !tag.ends_with('-');
    valid.then_some(tag)
}
