//! The writer's callout styles (the plugin's `calloutStyles`, CSS snippets such as
//! `.callout[data-callout="recipe"] { --callout-color: 200, 120, 40; --callout-icon: lucide-chef-hat; }`),
//! sanitised into one stylesheet the site can serve from its own origin.
//!
//! Nothing of the input is copied through: it is parsed, each piece is checked against an
//! allowlist, and the stylesheet is written again from the pieces kept. What is kept:
//!
//! - rules whose every selector targets a callout: a compound with the class `callout` or a
//!   `callout-*` class, joined to the others by descendant or child combinators only, so the
//!   element styled is always a callout or inside one (no `~`, `+`, no functional pseudo-class
//!   such as `:has()`, which could reach the site's own interface);
//! - in them, declarations of the callout's custom properties (`--callout-*`, such as
//!   `--callout-color` and `--callout-icon`) and of colours, backgrounds, borders, shadows and
//!   font weight or style, whose value uses only plain tokens and the colour functions (`rgb`,
//!   `hsl`, `var`, `calc`, `color-mix`…): no `url(`, `image(`, `expression(`, no string;
//! - for `--callout-icon: lucide-<name>` naming an icon of the vendored Lucide set
//!   ([`callout_icon_url`]), that icon as `--callout-icon-image`, which the site's stylesheet
//!   draws as a mask before the title (an icon outside the set keeps the callout kind's icon);
//! - `@media` blocks of such rules (one level); every other at-rule (`@import`, `@font-face`,
//!   `@namespace`…) is dropped.
//!
//! Comments are removed first (an unterminated one runs to the end, as in CSS), then anything
//! holding a backslash (an escape that could spell `url(` or `<`), `<`, `@` outside the start of
//! an at-rule, or a character outside the small sets above is dropped with the rule or
//! declaration it is in. The input is bounded ([`sanitize_callout_css`]'s `max_bytes`) before
//! any work, and the work is one pass with no recursion.
//!
//! ```
//! use vps_render::sanitize_callout_css;
//!
//! let css = r#"@import url(https://evil.example/x.css);
//! .callout[data-callout="recipe"] { --callout-color: 200, 120, 40; background: url(https://evil.example/t.png); }
//! body { display: none }"#;
//! let clean = sanitize_callout_css(&[("snippets/recipe.css", css)], 4096).unwrap();
//! assert_eq!(clean, ".callout[data-callout=\"recipe\"] {\n  --callout-color: 200, 120, 40;\n}\n");
//! ```

use crate::limits::{Exceeded, LimitError};

/// The vendored Lucide icons (ISC licence, `callout_css/LUCIDE-LICENSE`): one a line, its name,
/// a tab and the elements of its `<svg>`.
const LUCIDE: &str = include_str!("callout_css/lucide.txt");

/// The CSS image of the vendored Lucide icon `name` (`lucide-flame` or `flame`, as Obsidian's
/// `--callout-icon` names it): `url("data:image/svg+xml,…")` of the icon drawn in black, for a
/// mask. `None` for an icon not in the vendored set. Every character of the SVG but letters,
/// digits and `-._=:,/` is percent-encoded: no quote, `<` or `#` reaches the stylesheet.
pub fn callout_icon_url(name: &str) -> Option<String> {
    let name = name.trim();
    let name = name.strip_prefix("lucide-").unwrap_or(name);
    let inner = LUCIDE
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.split_once('\t').filter(|(icon, _)| *icon == name).map(|(_, inner)| inner))?;
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="black" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{inner}</svg>"#
    );
    let mut url = String::from("url(\"data:image/svg+xml,");
    for byte in svg.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._=:,/".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url.push_str("\")");
    Some(url)
}

/// The properties a callout rule may set, besides the callout's own custom properties
/// (`--callout-*`).
const PROPERTIES: &[&str] = &[
    "color",
    "background",
    "background-color",
    "border",
    "border-color",
    "border-style",
    "border-width",
    "border-radius",
    "border-left",
    "border-left-color",
    "border-left-style",
    "border-left-width",
    "border-right",
    "border-right-color",
    "border-top",
    "border-top-color",
    "border-bottom",
    "border-bottom-color",
    "outline",
    "outline-color",
    "box-shadow",
    "opacity",
    "font-weight",
    "font-style",
    "text-decoration",
    "text-decoration-color",
];

/// The functions a value may call: colours and arithmetic, nothing that fetches.
const FUNCTIONS: &[&str] = &[
    "rgb",
    "rgba",
    "hsl",
    "hsla",
    "hwb",
    "lab",
    "lch",
    "oklab",
    "oklch",
    "color-mix",
    "light-dark",
    "var",
    "calc",
    "min",
    "max",
    "clamp",
];

/// The longest selector list or declaration value kept; longer ones are dropped.
const MAX_PIECE_BYTES: usize = 1024;

/// Sanitises the writer's callout styles (`(path, css)` in the order sent) into one stylesheet,
/// as the module's documentation says. Empty when nothing is kept. More than `max_bytes` of CSS
/// in all is refused before any work: the error names the snippet that went over and
/// `MAX_DOCUMENT_BYTES` (the stylesheet is one of the revision's generated documents).
pub fn sanitize_callout_css(styles: &[(&str, &str)], max_bytes: usize) -> Result<String, LimitError> {
    let mut total = 0usize;
    for (path, css) in styles {
        total = total.saturating_add(css.len());
        if total > max_bytes {
            let what = format!("the callout styles ({total} bytes or more)");
            return Err(Exceeded::new(what, "MAX_DOCUMENT_BYTES", max_bytes).in_note(*path));
        }
    }
    let mut out = String::new();
    for (_, css) in styles {
        sanitize_sheet(&strip_comments(css), &mut out);
    }
    Ok(out)
}

/// `css` without its comments; an unterminated comment runs to the end.
fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        // Removed, not replaced by a space: `.callout/**/[data-callout=x]` is one compound, as
        // the browser reads it. Tokens a comment split (`u/**/rl(`) are joined, and checked as
        // joined: the stricter reading.
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// One stylesheet's kept rules, appended to `out`.
fn sanitize_sheet(css: &str, out: &mut String) {
    let mut rest = css;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return;
        }
        if let Some(at) = rest.strip_prefix('@') {
            let name_len = at.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(at.len());
            let name = at[..name_len].to_ascii_lowercase();
            let Some((prelude, block, after)) = next_block(&at[name_len..]) else { return };
            rest = after;
            // `@import …;` and other statements end at `;`: `block` is None.
            if let Some(block) = block
                && name == "media"
                && media_query(prelude).is_some()
            {
                let mut inner = String::new();
                sanitize_rules(block, &mut inner, "  ");
                if !inner.is_empty() {
                    out.push_str(&format!("@media {} {{\n{inner}}}\n", media_query(prelude).unwrap_or_default()));
                }
            }
            continue;
        }
        let Some((prelude, block, after)) = next_block(rest) else { return };
        rest = after;
        if let Some(block) = block {
            rule(prelude, block, out, "");
        }
    }
}

/// The rules of a `@media` block (no at-rule inside is kept).
fn sanitize_rules(css: &str, out: &mut String, indent: &str) {
    let mut rest = css;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return;
        }
        let Some((prelude, block, after)) = next_block(rest) else { return };
        rest = after;
        if let Some(block) = block
            && !prelude.trim_start().starts_with('@')
        {
            rule(prelude, block, out, indent);
        }
    }
}

/// Splits off the next statement: `(prelude, Some(block), rest)` for `prelude { block }`,
/// `(prelude, None, rest)` for a statement that ends at `;` before any `{`, `None` at the end
/// of the input (an unclosed block is dropped). Braces nest; the block's inside is returned
/// whole.
fn next_block(css: &str) -> Option<(&str, Option<&str>, &str)> {
    let open = css.find(['{', ';'])?;
    if css.as_bytes()[open] == b';' {
        return Some((&css[..open], None, &css[open + 1..]));
    }
    let mut depth = 0usize;
    for (i, byte) in css.bytes().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&css[..open], Some(&css[open + 1..i]), &css[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// One qualified rule: kept (written to `out`) when its selectors all target callouts and at
/// least one declaration is kept. A block with a block inside (CSS nesting) is dropped.
fn rule(prelude: &str, block: &str, out: &mut String, indent: &str) {
    if block.contains('{') || prelude.len() > MAX_PIECE_BYTES {
        return;
    }
    let selectors: Vec<String> = prelude.split(',').map(collapse_whitespace).collect();
    if selectors.iter().any(|selector| !targets_callouts(selector)) {
        return;
    }
    let mut declarations: Vec<String> = block.split(';').filter_map(declaration).collect();
    if declarations.is_empty() {
        return;
    }
    // `--callout-icon: lucide-flame` names an icon; the site's CSS draws the image of
    // `--callout-icon-image` (ours, from the vendored set) before the callout's title.
    let icon = declarations.iter().rev().find_map(|d| d.strip_prefix("--callout-icon: ").and_then(callout_icon_url));
    if let Some(icon) = icon {
        declarations.push(format!("--callout-icon-image: {icon}"));
    }
    out.push_str(&format!("{indent}{} {{\n", selectors.join(", ")));
    for declaration in declarations {
        out.push_str(&format!("{indent}  {declaration};\n"));
    }
    out.push_str(&format!("{indent}}}\n"));
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// Whether `selector` (whitespace collapsed) is made only of type, class, id, attribute and
/// plain pseudo selectors joined by descendant or child combinators, one compound carrying the
/// class `callout` or a `callout-*` class.
fn targets_callouts(selector: &str) -> bool {
    let chars: Vec<char> = selector.chars().collect();
    let mut callout = false;
    let mut i = 0;
    let ident = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && is_ident_char(chars[*i]) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    if chars.is_empty() {
        return false;
    }
    while i < chars.len() {
        match chars[i] {
            ' ' | '>' | '*' => i += 1,
            '.' | '#' => {
                let class = chars[i] == '.';
                i += 1;
                let name = ident(&mut i);
                if name.is_empty() {
                    return false;
                }
                if class && (name == "callout" || name.starts_with("callout-")) {
                    callout = true;
                }
            }
            ':' => {
                i += 1;
                if chars.get(i) == Some(&':') {
                    i += 1;
                }
                if ident(&mut i).is_empty() {
                    return false;
                }
            }
            '[' => {
                i += 1;
                if !attribute_selector(&chars, &mut i) {
                    return false;
                }
            }
            c if is_ident_char(c) => {
                ident(&mut i);
            }
            _ => return false,
        }
    }
    callout
}

/// `name]`, `name=value]`, `name~="value" i]`… from just after `[`; moves `i` past `]`.
fn attribute_selector(chars: &[char], i: &mut usize) -> bool {
    let skip_spaces = |i: &mut usize| {
        while chars.get(*i) == Some(&' ') {
            *i += 1;
        }
    };
    skip_spaces(i);
    let start = *i;
    while *i < chars.len() && is_ident_char(chars[*i]) {
        *i += 1;
    }
    if *i == start {
        return false;
    }
    skip_spaces(i);
    if chars.get(*i) == Some(&']') {
        *i += 1;
        return true;
    }
    if matches!(chars.get(*i), Some('~' | '|' | '^' | '$' | '*')) {
        *i += 1;
    }
    if chars.get(*i) != Some(&'=') {
        return false;
    }
    *i += 1;
    skip_spaces(i);
    match chars.get(*i) {
        Some(&quote @ ('"' | '\'')) => {
            *i += 1;
            while *i < chars.len() && chars[*i] != quote {
                if !(is_ident_char(chars[*i]) || chars[*i] == ' ') {
                    return false;
                }
                *i += 1;
            }
            if *i == chars.len() {
                return false;
            }
            *i += 1;
        }
        _ => {
            let value = *i;
            while *i < chars.len() && is_ident_char(chars[*i]) {
                *i += 1;
            }
            if *i == value {
                return false;
            }
        }
    }
    skip_spaces(i);
    if matches!(chars.get(*i), Some('i' | 's')) && chars.get(*i + 1).is_some_and(|c| matches!(c, ' ' | ']')) {
        *i += 1;
        skip_spaces(i);
    }
    if chars.get(*i) == Some(&']') {
        *i += 1;
        true
    } else {
        false
    }
}

/// A `@media` prelude of plain tokens (`(prefers-color-scheme: dark)`, `screen and (max-width: 40em)`).
fn media_query(prelude: &str) -> Option<String> {
    let query = collapse_whitespace(prelude);
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '(' | ')' | ':' | ',' | '-' | '.');
    (!query.is_empty() && query.len() <= MAX_PIECE_BYTES && query.chars().all(plain)).then_some(query)
}

/// `name: value`, written again, when the property is allowed and the value is plain.
fn declaration(text: &str) -> Option<String> {
    let (name, value) = text.split_once(':')?;
    let name = name.trim().to_ascii_lowercase();
    let value = collapse_whitespace(value);
    // `--callout-icon-image` is ours (the icon's image, see `rule`): a writer may not set it.
    let custom = name != "--callout-icon-image"
        && name.strip_prefix("--callout-").is_some_and(|rest| !rest.is_empty() && rest.chars().all(is_ident_char));
    if !custom && !PROPERTIES.contains(&name.as_str()) {
        return None;
    }
    plain_value(&value).then(|| format!("{name}: {value}"))
}

/// Only ASCII letters, digits, spaces and `# ( ) , . % + - / _ !`; every function one of
/// [`FUNCTIONS`]; balanced parentheses; `!` only in a final `!important`. No `*` either, so
/// that `/*` cannot open a comment in the output.
fn plain_value(value: &str) -> bool {
    if value.is_empty() || value.len() > MAX_PIECE_BYTES {
        return false;
    }
    let (body, important) = match value.to_ascii_lowercase().strip_suffix("!important") {
        Some(body) => (body.trim_end().to_owned(), true),
        None => (value.to_ascii_lowercase(), false),
    };
    if body.is_empty() && important {
        return false;
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, ' ' | '#' | '(' | ')' | ',' | '.' | '%' | '+' | '-' | '/' | '_')
    };
    if !body.chars().all(allowed) {
        return false;
    }
    let mut depth = 0usize;
    let mut word_start = 0;
    for (i, c) in body.char_indices() {
        match c {
            '(' => {
                let function = &body[word_start..i];
                if !FUNCTIONS.contains(&function) {
                    return false;
                }
                depth += 1;
                word_start = i + 1;
            }
            ')' => {
                let Some(d) = depth.checked_sub(1) else { return false };
                depth = d;
                word_start = i + 1;
            }
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => {}
            _ => word_start = i + 1,
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests;
