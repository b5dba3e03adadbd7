//! Obsidian callouts: `> [!type]± Title`.
//!
//! comrak parses them (its `ofm_callouts` extension); this writes Obsidian's markup, with a
//! foldable callout (`+` open, `-` closed) as `<details>`, so folding works without a script:
//!
//! ```html
//! <div class="callout" data-callout="tldr" data-callout-kind="abstract">
//! <div class="callout-title"><div class="callout-title-inner">Tldr</div></div>
//! <div class="callout-content">…</div>
//! </div>
//! ```
//!
//! `data-callout` keeps the type as written (lower-cased), which is what the plugin's
//! `calloutStyles` select on (`.callout[data-callout='x']`); `data-callout-kind` names the
//! Obsidian style the type or alias belongs to, `note` for a type Obsidian does not know, so a
//! stylesheet need not list every alias.

use comrak::nodes::{CalloutFold, NodeCallout, NodeValue};

use super::escape_html;

/// Each Obsidian callout style and the types that select it.
const KINDS: &[(&str, &[&str])] = &[
    ("note", &["note"]),
    ("abstract", &["abstract", "summary", "tldr"]),
    ("info", &["info"]),
    ("todo", &["todo"]),
    ("tip", &["tip", "hint", "important"]),
    ("success", &["success", "check", "done"]),
    ("question", &["question", "help", "faq"]),
    ("warning", &["warning", "caution", "attention"]),
    ("failure", &["failure", "fail", "missing"]),
    ("danger", &["danger", "error"]),
    ("bug", &["bug"]),
    ("example", &["example"]),
    ("quote", &["quote", "cite"]),
];

/// The style of a callout type (already lower-cased by comrak); unknown types look like notes.
pub(super) fn kind(callout_type: &str) -> &'static str {
    KINDS.iter().find(|(_, types)| types.contains(&callout_type)).map_or("note", |(kind, _)| kind)
}

pub(super) fn is_foldable(value: &NodeValue) -> bool {
    matches!(value, NodeValue::Callout(c) if c.fold != CalloutFold::None)
}

/// The opening markup; with no title of its own, the default title and the content's opening.
pub(super) fn open(callout: &NodeCallout, has_title: bool) -> String {
    let foldable = callout.fold != CalloutFold::None;
    let mut html = String::from(if foldable { "<details" } else { "<div" });
    html.push_str(&format!(
        r#" class="callout" data-callout="{}" data-callout-kind="{}""#,
        escape_html(&callout.callout_type),
        kind(&callout.callout_type)
    ));
    if let Some(metadata) = callout.metadata.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        html.push_str(&format!(r#" data-callout-metadata="{}""#, escape_html(metadata)));
    }
    if callout.fold == CalloutFold::Expanded {
        html.push_str(" open");
    }
    html.push_str(">\n");
    if !has_title {
        html.push_str(title_open(foldable));
        html.push_str(&escape_html(&callout.default_title()));
        html.push_str(title_close(foldable));
    }
    html
}

pub(super) fn close(callout: &NodeCallout) -> String {
    let tag = if callout.fold == CalloutFold::None { "div" } else { "details" };
    format!("</div>\n</{tag}>\n")
}

/// A `<summary>` may hold only phrasing content, hence the span there.
pub(super) fn title_open(foldable: bool) -> &'static str {
    if foldable {
        r#"<summary class="callout-title"><span class="callout-title-inner">"#
    } else {
        r#"<div class="callout-title"><div class="callout-title-inner">"#
    }
}

/// Closes the title and opens the content.
pub(super) fn title_close(foldable: bool) -> &'static str {
    if foldable {
        "</span></summary>\n<div class=\"callout-content\">\n"
    } else {
        "</div></div>\n<div class=\"callout-content\">\n"
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::html;
    use super::*;

    #[test]
    fn every_alias_has_its_obsidian_style_and_unknown_types_look_like_notes() {
        for (alias, expected) in [
            ("summary", "abstract"),
            ("tldr", "abstract"),
            ("hint", "tip"),
            ("important", "tip"),
            ("check", "success"),
            ("done", "success"),
            ("help", "question"),
            ("faq", "question"),
            ("caution", "warning"),
            ("attention", "warning"),
            ("fail", "failure"),
            ("missing", "failure"),
            ("error", "danger"),
            ("cite", "quote"),
            ("todo", "todo"),
            ("bug", "bug"),
            ("example", "example"),
            ("info", "info"),
            ("recipe", "note"),
        ] {
            assert_eq!(kind(alias), expected, "{alias}");
        }
    }

    #[test]
    fn callouts_without_a_title_get_the_capitalised_type() {
        let out = html("> [!my-tip]\n> Body");
        assert_eq!(
            out,
            "<div class=\"callout\" data-callout=\"my-tip\" data-callout-kind=\"note\">\n\
             <div class=\"callout-title\"><div class=\"callout-title-inner\">My tip</div></div>\n\
             <div class=\"callout-content\">\n<p>Body</p>\n</div>\n</div>\n"
        );
    }

    #[test]
    fn foldable_callouts_are_details_open_only_with_plus() {
        let open = html("> [!faq]+ Why?\n> Because.");
        assert!(
            open.starts_with(
                "<details class=\"callout\" data-callout=\"faq\" data-callout-kind=\"question\" open=\"\">"
            ),
            "{open}"
        );
        assert!(
            open.contains("<summary class=\"callout-title\"><span class=\"callout-title-inner\">Why?</span></summary>"),
            "{open}"
        );
        let closed = html("> [!faq]- Why?\n> Because.");
        assert!(
            closed.starts_with("<details class=\"callout\" data-callout=\"faq\" data-callout-kind=\"question\">"),
            "{closed}"
        );
        assert!(closed.ends_with("</div>\n</details>\n"), "{closed}");
    }
}
