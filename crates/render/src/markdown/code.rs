//! Fenced and indented code: highlighted on the server, by class, so that light and dark
//! themes are a matter of CSS (`.hl-keyword`, `.hl-string`, `.hl-comment`…).
//!
//! Highlighting uses syntect's bundled Sublime Text grammars with its pure-Rust regex engine;
//! the grammar set is loaded once per process. A language it does not know, or a block too
//! large to highlight quickly, is written as plain escaped code. ` ```mermaid ` stays source
//! text in `<pre class="mermaid">` for an optional script; ` ```math ` is display math.

use std::sync::LazyLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::{escape_html, math};

/// Every class syntect writes starts with this; the sanitiser keeps no other on `span`.
pub(super) const CLASS_PREFIX: &str = "hl-";

/// Past this size a block is not highlighted: syntect's backtracking grammars are slow on
/// large inputs, and nobody reads colours in a 50 KB listing.
const MAX_HIGHLIGHTED_BYTES: usize = 32 * 1024;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// The HTML of a code block with info string `info`.
pub(super) fn block_html(info: &str, literal: &str) -> String {
    let lang = info.split_ascii_whitespace().next().unwrap_or_default();
    match lang.to_ascii_lowercase().as_str() {
        "mermaid" => return format!("<pre class=\"mermaid\">{}</pre>\n", escape_html(literal)),
        "math" => return format!("{}\n", math::to_mathml(literal, true)),
        _ => {}
    }
    let class = if lang.is_empty() { String::new() } else { format!(r#" class="language-{}""#, escape_html(lang)) };
    let body = highlight(lang, literal).unwrap_or_else(|| escape_html(literal));
    format!("<pre><code{class}>{body}</code></pre>\n")
}

/// The highlighted HTML of `literal`, or None when the language is unknown or highlighting fails.
fn highlight(lang: &str, literal: &str) -> Option<String> {
    if lang.is_empty() || literal.len() > MAX_HIGHLIGHTED_BYTES {
        return None;
    }
    let syntax = syntax(lang)?;
    let mut generator = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        &SYNTAXES,
        ClassStyle::SpacedPrefixed { prefix: CLASS_PREFIX },
    );
    for line in LinesWithEndings::from(literal) {
        generator.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(generator.finalize())
}

/// The grammar for a fence's language, by name or extension, with the common aliases the
/// bundled set lacks.
fn syntax(lang: &str) -> Option<&'static SyntaxReference> {
    let lang = lang.to_ascii_lowercase();
    let token = match lang.as_str() {
        "text" | "txt" | "plain" | "plaintext" => return None,
        // No TypeScript grammar is bundled; JavaScript's covers most of its syntax.
        "ts" | "typescript" | "tsx" | "jsx" | "dataviewjs" | "mjs" | "cjs" => "js",
        "shell" | "zsh" | "console" | "shellscript" => "bash",
        "jsonc" | "json5" => "json",
        "csharp" | "c#" => "cs",
        "yml" => "yaml",
        other => other,
    };
    SYNTAXES.find_syntax_by_token(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_are_highlighted_with_prefixed_classes_and_escaped() {
        let out = block_html("rust", "let x = \"<b>\";\n");
        assert!(out.starts_with(r#"<pre><code class="language-rust"><span class="hl-source hl-rust">"#), "{out}");
        assert!(out.contains(r#"<span class="hl-storage hl-type hl-rust">let</span>"#), "{out}");
        assert!(out.contains("&lt;b&gt;"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
    }

    #[test]
    fn unknown_languages_and_plain_blocks_are_escaped_text() {
        assert_eq!(
            block_html("nosuchlang", "<i>\n"),
            "<pre><code class=\"language-nosuchlang\">&lt;i&gt;\n</code></pre>\n"
        );
        assert_eq!(block_html("", "a & b\n"), "<pre><code>a &amp; b\n</code></pre>\n");
    }

    #[test]
    fn aliases_find_a_grammar() {
        for alias in ["ts", "sh", "zsh", "yml", "py", "js", "json5"] {
            assert!(syntax(alias).is_some(), "{alias}");
        }
        assert!(syntax("text").is_none());
    }

    #[test]
    fn mermaid_is_kept_as_escaped_source() {
        assert_eq!(block_html("mermaid", "graph TD\nA-->B\n"), "<pre class=\"mermaid\">graph TD\nA--&gt;B\n</pre>\n");
    }

    #[test]
    fn huge_blocks_are_not_highlighted() {
        let big = "let x = 1;\n".repeat(4000);
        assert!(!block_html("rust", &big).contains("hl-"));
    }
}
