//! Block ids: a paragraph or list item that ends with ` ^id` can be linked to as
//! `[[Note#^id]]`. The marker is hidden and the block carries `id="^id"`, caret included, as in
//! Obsidian. A `^id` alone in its own paragraph names the block before it (how Obsidian marks
//! tables, quotes and lists); an empty anchor with the id is placed just before that block.

/// Splits `text ^abc-1` into (`text `, `abc-1`). Ids are ASCII letters, digits and `-`, after
/// whitespace or at the start of `text`.
pub(super) fn split_block_id(text: &str) -> Option<(&str, &str)> {
    let trimmed = text.trim_end();
    let caret = trimmed.rfind('^')?;
    let id = &trimmed[caret + 1..];
    let before = &trimmed[..caret];
    let valid = !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && (before.is_empty() || before.ends_with(char::is_whitespace));
    valid.then_some((before, id))
}

/// The anchor for a block id given on its own line.
pub(super) fn anchor_html(id: &str) -> String {
    // `split_block_id` let through only `[A-Za-z0-9-]`: nothing to escape.
    format!("<div class=\"block-anchor\" id=\"^{id}\"></div>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_end_the_text_after_whitespace() {
        assert_eq!(split_block_id("Some text ^abc-12"), Some(("Some text ", "abc-12")));
        assert_eq!(split_block_id("^abc "), Some(("", "abc")));
        assert_eq!(split_block_id("x^2"), None);
        assert_eq!(split_block_id("a ^b c"), None);
        assert_eq!(split_block_id("a ^"), None);
        assert_eq!(split_block_id("a ^b_c"), None);
    }
}
