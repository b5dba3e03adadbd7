//! Target `cleanup`: [`vps_render::apply_cleanup_rules`] with arbitrary regexes and replacement
//! templates on arbitrary text.
//!
//! Regexes are built from pieces JavaScript patterns use (classes, anchors, look-around,
//! back-references, nested quantifiers that backtrack, named groups, broken syntax); templates
//! from `$&`, `` $` ``, `$'`, `$1`, `$<name>`, `$$`. Properties: nothing panics, an error has a
//! message, and a case returns (the slowest case of a long run is in its summary line).

use proptest::prelude::*;
use vps_render::{CleanupRule, apply_cleanup_rules};

use super::ensure;
use crate::engine::Target;
use crate::inputs::{repeated, text_of};

const REGEX: &[&str] = &[
    ".",
    "a",
    "a*",
    "a+",
    "(a+)+",
    "(a|aa)+",
    "\\1",
    "(?=a)",
    "(?!a)",
    "(?<=a)",
    "(?<n>a)",
    "\\k<n>",
    "[",
    "]",
    "[^a]",
    "^",
    "$",
    "\\b",
    "\\d",
    "\\w",
    "\\s",
    "{2,}",
    "{1000}",
    "{0,100000}",
    "?",
    "*?",
    "(",
    ")",
    "|",
    "\\",
    "\\u00e9",
    "é",
    "\\n",
    "#",
    "%%",
    "(?i)",
    "(?s)",
    "\\p{L}",
    "[\\s\\S]",
    "(.*)*",
    "x",
];

const REPLACEMENT: &[&str] =
    &["$&", "$`", "$'", "$1", "$2", "$10", "$<n>", "$<", "$$", "$", "-", "x", "\n", "[[$1]]", "é", "$0"];

const TEXT: &[&str] = &["a", "aa", "aaaa", "b", "\n", " ", "é", "#tag", "%%c%%", "x", "TODO: ", "\r\n", "\u{0}"];

#[derive(Debug, Clone)]
pub(crate) struct CleanupInput {
    text: String,
    rules: Vec<CleanupRule>,
    ignored: Vec<String>,
}

pub(crate) struct CleanupTarget;

impl Target for CleanupTarget {
    type Input = CleanupInput;

    fn name(&self) -> &'static str {
        "cleanup"
    }

    fn strategy(&self) -> BoxedStrategy<CleanupInput> {
        let rule = (0u8..4, text_of(REGEX, 6), text_of(REPLACEMENT, 4), proptest::bool::weighted(0.9)).prop_map(
            |(id, regex, replacement, enabled)| CleanupRule { id: format!("r{id}"), regex, replacement, enabled },
        );
        let text = prop_oneof![8 => text_of(TEXT, 60), 1 => repeated(&["a", "ab", "é\n", "x"], 4_000)];
        let ignored = proptest::collection::vec((0u8..4).prop_map(|i| format!("r{i}")), 0..2);
        (text, proptest::collection::vec(rule, 0..4), ignored)
            .prop_map(|(text, rules, ignored)| CleanupInput { text, rules, ignored })
            .boxed()
    }

    /// A seed file: the regex on its first line, the replacement on its second, the text after.
    fn seed_inputs(&self, bytes: &[u8]) -> Vec<CleanupInput> {
        let seed = String::from_utf8_lossy(bytes);
        let mut lines = seed.splitn(3, '\n');
        let regex = lines.next().unwrap_or_default().to_owned();
        let replacement = lines.next().unwrap_or_default().to_owned();
        let text = lines.next().unwrap_or_default().to_owned();
        let rules = vec![CleanupRule { id: "seed".into(), regex, replacement, enabled: true }];
        vec![CleanupInput { text, rules, ignored: Vec::new() }]
    }

    fn check(&self, input: &CleanupInput) -> Result<(), String> {
        match apply_cleanup_rules(&input.text, &input.rules, &input.ignored) {
            Ok(_) => Ok(()),
            Err(e) => ensure(!e.to_string().is_empty(), || format!("an error without a message: {e:?}")),
        }
    }
}
