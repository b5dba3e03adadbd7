//! `$…$` and `$$…$$` to MathML on the server, so formulas show without a script.
//!
//! Conversion is math-core's (LaTeX to MathML Core). The TeX source is kept in an
//! `<annotation encoding="application/x-tex">`, for copying and for screen readers that prefer
//! it. A formula that does not convert is shown as its source in `<code class="math-error">`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};

use super::escape_html;

/// Longer formulas are refused rather than converted: the parser recurses, and a note must not
/// be able to exhaust a worker thread's stack.
const MAX_LATEX_BYTES: usize = 16 * 1024;
/// The deepest `{…}` / `\left…\right` nesting converted, for the same reason.
const MAX_NESTING: usize = 48;

static CONVERTER: LazyLock<LatexToMathML> = LazyLock::new(|| {
    let config = MathCoreConfig { annotation: true, ..MathCoreConfig::default() };
    // The configuration has no macros, the only thing that can fail to build.
    LatexToMathML::new(config).unwrap_or_default()
});

/// The MathML of one formula, or its escaped source marked as an error.
pub(super) fn to_mathml(latex: &str, display: bool) -> String {
    let latex = latex.trim();
    let mode = if display { MathDisplay::Block } else { MathDisplay::Inline };
    if latex.len() <= MAX_LATEX_BYTES && nesting(latex) <= MAX_NESTING {
        // math-core reports bad input as errors; the unwind guard is for its own bugs, so that
        // one odd formula cannot take the whole publication down.
        let converted = catch_unwind(AssertUnwindSafe(|| CONVERTER.convert_with_local_state(latex, mode)));
        if let Ok(Ok(result)) = converted {
            return result.mathml;
        }
    }
    format!(r#"<code class="math-error">{}</code>"#, escape_html(latex))
}

/// How deeply groups nest, counting braces and `\left` / `\begin` as openers, and also runs of
/// prefix commands (`\sqrt\sqrt\sqrt x`), which nest without braces.
fn nesting(latex: &str) -> usize {
    let (mut depth, mut deepest, mut commands_in_a_row) = (0usize, 0usize, 0usize);
    let mut rest = latex;
    while let Some(c) = rest.chars().next() {
        let mut len = c.len_utf8();
        match c {
            '{' => (depth, commands_in_a_row) = (depth + 1, 0),
            '}' => (depth, commands_in_a_row) = (depth.saturating_sub(1), 0),
            '\\' => {
                let name: String = rest[1..].chars().take_while(char::is_ascii_alphabetic).collect();
                len += name.len();
                match name.as_str() {
                    "left" | "begin" => depth += 1,
                    "right" | "end" => depth = depth.saturating_sub(1),
                    "" => len += rest[1..].chars().next().map_or(0, char::len_utf8),
                    _ => commands_in_a_row += 1,
                }
            }
            c if c.is_whitespace() => {}
            _ => commands_in_a_row = 0,
        }
        deepest = deepest.max(depth).max(commands_in_a_row);
        rest = &rest[len..];
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_display_formulas_become_mathml_with_their_source() {
        let inline = to_mathml("x^2", false);
        assert!(inline.starts_with("<math><semantics><msup><mi>x</mi><mn>2</mn></msup>"), "{inline}");
        assert!(inline.contains(r#"<annotation encoding="application/x-tex">x^2</annotation>"#), "{inline}");
        assert!(to_mathml(r"\frac{a}{b}", true).starts_with(r#"<math display="block">"#));
    }

    #[test]
    fn bad_formulas_are_shown_as_escaped_source() {
        assert_eq!(to_mathml(r"\frac{a", false), r#"<code class="math-error">\frac{a</code>"#);
        assert_eq!(
            to_mathml(r"\nosuchcommand<b>", false),
            r#"<code class="math-error">\nosuchcommand&lt;b&gt;</code>"#
        );
    }

    #[test]
    fn deeply_nested_formulas_are_refused_before_the_parser_sees_them() {
        let braces = format!("{}x{}", "{".repeat(5000), "}".repeat(5000));
        assert!(to_mathml(&braces, false).starts_with(r#"<code class="math-error">"#));
        let roots = format!("{}x", r"\sqrt".repeat(5000));
        assert!(to_mathml(&roots, false).starts_with(r#"<code class="math-error">"#));
        assert_eq!(nesting(r"\frac{a}{b} + \sqrt{x}"), 1);
    }
}
