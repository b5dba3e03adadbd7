//! Cleanup rules (§5.4): user regexes run over a note's Markdown before rendering.
//!
//! The plugin sends JavaScript regexes, applied with the flags `gm`, and JavaScript replacement
//! templates (`$1`, `$&`, `$<name>`, `$$`). `fancy-regex` is used because, like JavaScript, it
//! supports look-around and back-references; the `regex` crate does not. Replacement templates
//! are expanded here rather than translated to another engine's syntax, so that JavaScript's
//! rules for `$10` versus `$1` followed by `0`, and for unknown groups, hold exactly.
//!
//! Known differences from a JavaScript engine, all in corners that cleanup rules do not reach:
//! `\d`, `\w` and `\b` are Unicode-aware here, `$` before `\r\n` does not match at the `\r`, and
//! an empty match right after a non-empty one is skipped (`"aab".replace(/a*/g, "-")` gives
//! `-b-`, not `--b-`).

use std::time::Instant;

use fancy_regex::{Captures, Regex, RegexBuilder};
use serde::Deserialize;

use crate::limits::{Exceeded, PublishLimits};

/// The most backtracking steps one search of one rule may take. A rule that needs more is
/// almost certainly catastrophic (`(a+)+\1`), and is reported instead of stalling the
/// finalisation job. Patterns without look-around or back-references never backtrack: the
/// engine hands them to a linear-time matcher. One search that hits it takes about 10 ms; many
/// cheap searches are bounded by the [`CleanupBudget`]'s deadline, checked between matches.
const BACKTRACK_LIMIT: usize = 1_000_000;

/// One cleanup rule, as sent in the first notes batch (`{id, name, regex, replacement,
/// isEnabled}`; other keys are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CleanupRule {
    /// Stable id, listed in `folderConfig.ignoredCleanupRuleIds` to skip the rule for a note.
    pub id: String,
    /// A JavaScript regular expression, without delimiters or flags.
    pub regex: String,
    /// A JavaScript replacement template.
    pub replacement: String,
    /// A disabled rule is sent too, and must not run. Absent means enabled.
    #[serde(rename = "isEnabled", default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// Why a rule could not be applied. Both variants name the rule, so that the operator can fix it
/// in the plugin's settings.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CleanupError {
    /// The rule's regex does not compile.
    #[error("cleanup rule {id:?} has an invalid regex: {message}")]
    InvalidRegex {
        /// The rule's id.
        id: String,
        /// The engine's explanation.
        message: String,
    },
    /// Matching gave up: the backtracking limit was hit, or the engine failed at run time.
    #[error("cleanup rule {id:?} could not be applied: {message}")]
    MatchFailed {
        /// The rule's id.
        id: String,
        /// The engine's explanation.
        message: String,
    },
    /// The rule's output or the time spent went over the [`CleanupBudget`] (the rule is named
    /// in `exceeded.what`).
    #[error("{exceeded}")]
    Limit {
        /// The rule's id.
        id: String,
        /// Which budget was exceeded, and its limit.
        exceeded: Exceeded,
    },
}

/// What cleanup rules may cost on one note: the size of the Markdown each rule writes, and a
/// deadline (the note's own time, or what is left of the publish's, whichever ends first),
/// checked between matches.
#[derive(Debug, Clone, Copy)]
pub struct CleanupBudget {
    max_output_bytes: usize,
    deadline: Instant,
    /// The setting whose limit `deadline` is, and that limit in milliseconds.
    deadline_setting: &'static str,
    deadline_ms: u64,
}

impl CleanupBudget {
    /// The budget of a note whose cleanup starts now, in a publish whose cleanup started at
    /// `publish_started`.
    pub fn for_note(limits: &PublishLimits, publish_started: Instant) -> CleanupBudget {
        let now = Instant::now();
        let note_deadline = now + limits.cleanup_time_per_note;
        let publish_deadline = publish_started + limits.cleanup_time_per_publish;
        let (deadline, deadline_setting, limit) = if publish_deadline < note_deadline {
            (publish_deadline, "CLEANUP_TIME_PER_PUBLISH_MS", limits.cleanup_time_per_publish)
        } else {
            (note_deadline, "CLEANUP_TIME_PER_NOTE_MS", limits.cleanup_time_per_note)
        };
        CleanupBudget {
            max_output_bytes: limits.cleanup_max_output_bytes,
            deadline,
            deadline_setting,
            deadline_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
        }
    }

    fn out_of_time(&self, rule: &CompiledRule) -> Option<CleanupError> {
        (Instant::now() >= self.deadline).then(|| CleanupError::Limit {
            id: rule.id.clone(),
            exceeded: Exceeded::new(
                format!("the time of cleanup rule {:?}", rule.id),
                self.deadline_setting,
                self.deadline_ms,
            ),
        })
    }

    fn too_large(&self, rule: &CompiledRule) -> CleanupError {
        CleanupError::Limit {
            id: rule.id.clone(),
            exceeded: Exceeded::new(
                format!("the output of cleanup rule {:?}", rule.id),
                "CLEANUP_MAX_OUTPUT_BYTES",
                self.max_output_bytes,
            ),
        }
    }
}

/// Cleanup rules compiled once, to apply to every note of a publish.
#[derive(Debug)]
pub struct CompiledRules(Vec<CompiledRule>);

#[derive(Debug)]
struct CompiledRule {
    id: String,
    regex: Regex,
    template: Template,
}

impl CompiledRules {
    /// Compiles the enabled rules with a non-empty regex, in order.
    pub fn compile(rules: &[CleanupRule]) -> Result<CompiledRules, CleanupError> {
        let enabled = rules.iter().filter(|rule| rule.enabled && !rule.regex.is_empty());
        let compiled = enabled
            .map(|rule| {
                let regex = compile(rule)?;
                let template = Template::parse(&rule.replacement, &regex);
                Ok(CompiledRule { id: rule.id.clone(), regex, template })
            })
            .collect::<Result<Vec<_>, CleanupError>>()?;
        Ok(CompiledRules(compiled))
    }

    /// Applies the rules in order to `content`, skipping those named in `ignored_rule_ids`,
    /// within `budget`.
    pub fn apply(
        &self,
        content: &str,
        ignored_rule_ids: &[String],
        budget: &CleanupBudget,
    ) -> Result<String, CleanupError> {
        let mut text = content.to_owned();
        for rule in &self.0 {
            if ignored_rule_ids.contains(&rule.id) {
                continue;
            }
            text = replace_all(rule, &text, budget)?;
        }
        Ok(text)
    }
}

/// Applies the enabled rules in order, skipping those named in `ignored_rule_ids` and those with
/// an empty regex (which would match between every character; the plugin counts only non-empty
/// rules too).
///
/// ```
/// use vps_render::{CleanupRule, apply_cleanup_rules};
///
/// let rule = CleanupRule {
///     id: "todo".into(),
///     regex: r"^TODO: (.*)$".into(),
///     replacement: "- [ ] $1".into(),
///     enabled: true,
/// };
/// let out = apply_cleanup_rules("TODO: write\ntext", &[rule], &[]).unwrap();
/// assert_eq!(out, "- [ ] write\ntext");
/// ```
///
/// Runs within the default [`PublishLimits`]; a publish compiles its rules once
/// ([`CompiledRules`]) and gives each note its [`CleanupBudget`].
pub fn apply_cleanup_rules(
    content: &str,
    rules: &[CleanupRule],
    ignored_rule_ids: &[String],
) -> Result<String, CleanupError> {
    let budget = CleanupBudget::for_note(&PublishLimits::default(), Instant::now());
    CompiledRules::compile(rules)?.apply(content, ignored_rule_ids, &budget)
}

/// Compiles a rule with JavaScript's `m` flag; `g` is the loop in [`replace_all`].
fn compile(rule: &CleanupRule) -> Result<Regex, CleanupError> {
    RegexBuilder::new(&format!("(?m){}", rule.regex))
        .backtrack_limit(BACKTRACK_LIMIT)
        .build()
        .map_err(|e| CleanupError::InvalidRegex { id: rule.id.clone(), message: e.to_string() })
}

/// One rule over `text`, every match replaced. The output's size is checked before each piece
/// is written and the deadline after each match, so neither a quadratic template (`` $` ``) nor
/// many cheap matches can run away.
fn replace_all(rule: &CompiledRule, text: &str, budget: &CleanupBudget) -> Result<String, CleanupError> {
    let mut out = String::with_capacity(text.len().min(budget.max_output_bytes));
    let mut last = 0;
    for caps in rule.regex.captures_iter(text) {
        let caps = caps.map_err(|e| CleanupError::MatchFailed { id: rule.id.clone(), message: e.to_string() })?;
        if let Some(error) = budget.out_of_time(rule) {
            return Err(error);
        }
        let Some(whole) = caps.get(0) else { continue };
        let grown = out.len() + (whole.start() - last) + rule.template.expanded_len(&caps, text);
        if grown > budget.max_output_bytes {
            return Err(budget.too_large(rule));
        }
        out.push_str(&text[last..whole.start()]);
        rule.template.expand(&caps, text, &mut out);
        last = whole.end();
    }
    if out.len() + (text.len() - last) > budget.max_output_bytes {
        return Err(budget.too_large(rule));
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// A JavaScript replacement template, parsed once per rule.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Group(usize),
    Named(String),
    WholeMatch,
    BeforeMatch,
    AfterMatch,
}

#[derive(Debug, PartialEq, Eq)]
struct Template(Vec<Piece>);

impl Template {
    /// Parses `template` with the rules of `String.prototype.replace`: `$$`, `$&`, `` $` ``,
    /// `$'`, `$n` / `$nn` for existing groups only (preferring two digits), `$<name>` only when
    /// the regex has named groups; anything else is literal text.
    fn parse(template: &str, regex: &Regex) -> Template {
        let group_count = regex.captures_len() - 1;
        let has_names = regex.capture_names().any(|n| n.is_some());
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = template;

        while let Some(dollar) = rest.find('$') {
            literal.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            let (piece, consumed) = match after.as_bytes() {
                [b'$', ..] => (Some(Piece::Literal("$".into())), 1),
                [b'&', ..] => (Some(Piece::WholeMatch), 1),
                [b'`', ..] => (Some(Piece::BeforeMatch), 1),
                [b'\'', ..] => (Some(Piece::AfterMatch), 1),
                [a @ b'0'..=b'9', b @ b'0'..=b'9', ..]
                    if (1..=group_count).contains(&usize::from((a - b'0') * 10 + (b - b'0'))) =>
                {
                    (Some(Piece::Group(usize::from((a - b'0') * 10 + (b - b'0')))), 2)
                }
                [a @ b'0'..=b'9', ..] if (1..=group_count).contains(&usize::from(a - b'0')) => {
                    (Some(Piece::Group(usize::from(a - b'0'))), 1)
                }
                [b'<', ..] if has_names => match after.find('>') {
                    Some(end) => (Some(Piece::Named(after[1..end].to_owned())), end + 1),
                    None => (None, 0),
                },
                _ => (None, 0),
            };
            match piece {
                Some(Piece::Literal(text)) => literal.push_str(&text),
                Some(piece) => {
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(piece);
                }
                None => literal.push('$'),
            }
            rest = &after[consumed..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Template(pieces)
    }

    /// The length of [`Template::expand`]'s output for one match, without writing it.
    fn expanded_len(&self, caps: &Captures<'_, str>, text: &str) -> usize {
        let whole = caps.get(0).map_or(0..0, |m| m.start()..m.end());
        self.0
            .iter()
            .map(|piece| match piece {
                Piece::Literal(s) => s.len(),
                Piece::Group(i) => caps.get(*i).map_or(0, |m| m.as_str().len()),
                Piece::Named(name) => caps.name(name).map_or(0, |m| m.as_str().len()),
                Piece::WholeMatch => whole.len(),
                Piece::BeforeMatch => whole.start,
                Piece::AfterMatch => text.len() - whole.end,
            })
            .sum()
    }

    /// Appends the replacement for one match. Groups that did not take part in the match, and
    /// unknown names, expand to nothing, as in JavaScript.
    fn expand(&self, caps: &Captures<'_, str>, text: &str, out: &mut String) {
        let whole = caps.get(0).map_or(0..0, |m| m.start()..m.end());
        for piece in &self.0 {
            match piece {
                Piece::Literal(s) => out.push_str(s),
                Piece::Group(i) => out.push_str(caps.get(*i).map_or("", |m| m.as_str())),
                Piece::Named(name) => out.push_str(caps.name(name).map_or("", |m| m.as_str())),
                Piece::WholeMatch => out.push_str(&text[whole.clone()]),
                Piece::BeforeMatch => out.push_str(&text[..whole.start]),
                Piece::AfterMatch => out.push_str(&text[whole.end..]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plugin's default rule: delete every fenced code block.
    const REMOVE_CODE_BLOCKS: &str = r"```[\s\S]*?```|~~~[\s\S]*?~~~";

    fn rule(id: &str, regex: &str, replacement: &str) -> CleanupRule {
        CleanupRule { id: id.into(), regex: regex.into(), replacement: replacement.into(), enabled: true }
    }

    fn apply(content: &str, rules: &[CleanupRule]) -> String {
        apply_cleanup_rules(content, rules, &[]).unwrap()
    }

    #[test]
    fn default_rule_removes_backtick_and_tilde_fences() {
        let content = "before\n```rust\nfn main() {}\n```\nmiddle\n~~~\nx\n~~~\nafter";
        let out = apply(content, &[rule("remove-code", REMOVE_CODE_BLOCKS, "")]);
        assert_eq!(out, "before\n\nmiddle\n\nafter");
    }

    #[test]
    fn numbered_groups_and_whole_match_are_substituted() {
        let out = apply("John Smith", &[rule("swap", r"(\w+) (\w+)", "$2, $1 ($&)")]);
        assert_eq!(out, "Smith, John (John Smith)");
    }

    #[test]
    fn dollar_dollar_is_a_literal_dollar_and_unknown_groups_stay_literal() {
        let out = apply("price 5", &[rule("money", r"(\d)", "$$$1 $2 $0 $x")]);
        assert_eq!(out, "price $5 $2 $0 $x");
    }

    #[test]
    fn two_digit_group_falls_back_to_one_digit_and_a_literal() {
        let out = apply("ab", &[rule("g", r"(a)(b)", "$10|$2")]);
        assert_eq!(out, "a0|b");
    }

    #[test]
    fn named_groups_and_prefix_suffix_templates_expand() {
        let out = apply("key=value", &[rule("named", r"(?<k>\w+)=(?<v>\w+)", "$<v>:$<k>")]);
        assert_eq!(out, "value:key");
        let out = apply("a-b", &[rule("around", "-", "[$`|$']")]);
        assert_eq!(out, "a[a|b]b");
    }

    #[test]
    fn rules_are_multiline_and_global() {
        let out = apply("# one\ntext\n# two", &[rule("h", r"^# (.*)$", "## $1")]);
        assert_eq!(out, "## one\ntext\n## two");
    }

    #[test]
    fn lookaround_and_backreferences_work_like_javascript() {
        let out = apply("aa bb ab", &[rule("double", r"\b(\w)\1\b", "<$1>")]);
        assert_eq!(out, "<a> <b> ab");
        let out = apply("x1 y2", &[rule("look", r"(?<=x)\d", "#")]);
        assert_eq!(out, "x# y2");
    }

    #[test]
    fn ignored_and_disabled_rules_are_skipped() {
        let rules = [rule("drop-a", "a", ""), CleanupRule { enabled: false, ..rule("drop-b", "b", "") }];
        let out = apply_cleanup_rules("abc", &rules, &["drop-a".to_owned()]).unwrap();
        assert_eq!(out, "abc");
    }

    #[test]
    fn rules_run_in_order_on_the_previous_output() {
        let out = apply("a", &[rule("1", "a", "b"), rule("2", "b", "c")]);
        assert_eq!(out, "c");
    }

    #[test]
    fn empty_regex_is_skipped_rather_than_matching_everywhere() {
        assert_eq!(apply("abc", &[rule("empty", "", "-")]), "abc");
    }

    #[test]
    fn invalid_regex_is_a_typed_error_naming_the_rule() {
        let err = apply_cleanup_rules("x", &[rule("broken", "(unclosed", "")], &[]).unwrap_err();
        assert!(matches!(&err, CleanupError::InvalidRegex { id, .. } if id == "broken"), "{err:?}");
    }

    #[test]
    fn catastrophic_backtracking_is_an_error_not_a_hang() {
        // The look-ahead puts the nested repetition in the backtracking engine, where a line
        // of 40 letters without a digit takes 2^40 paths to fail.
        let content = format!("{}b", "a".repeat(40));
        let err = apply_cleanup_rules(&content, &[rule("evil", r"^(\w+\s?)+(?=\d)$", "")], &[]).unwrap_err();
        assert!(matches!(&err, CleanupError::MatchFailed { id, .. } if id == "evil"), "{err:?}");
    }

    #[test]
    fn a_template_whose_output_grows_quadratically_stops_at_the_output_limit() {
        // `.` → `` $` `` writes the whole text before each character: 200 KB would give 20 GB.
        let content = "x".repeat(200_000);
        let rules = CompiledRules::compile(&[rule("prefix", ".", "$`")]).unwrap();
        let limits = PublishLimits::default();
        let err = rules.apply(&content, &[], &CleanupBudget::for_note(&limits, Instant::now())).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the output of cleanup rule \"prefix\" exceeds CLEANUP_MAX_OUTPUT_BYTES ({})",
                limits.cleanup_max_output_bytes
            )
        );
    }

    #[test]
    fn output_up_to_the_limit_is_kept() {
        let limits = PublishLimits { cleanup_max_output_bytes: 6, ..PublishLimits::default() };
        let rules = CompiledRules::compile(&[rule("double", "a", "aa")]).unwrap();
        let budget = CleanupBudget::for_note(&limits, Instant::now());
        assert_eq!(rules.apply("aaa", &[], &budget).unwrap(), "aaaaaa");
        assert!(matches!(rules.apply("aaaa", &[], &budget), Err(CleanupError::Limit { .. })));
    }

    #[test]
    fn cleanup_is_stopped_between_matches_once_the_note_or_the_publish_is_out_of_time() {
        let content = "ab".repeat(30_000);
        let rules = CompiledRules::compile(&[rule("cheap", "a", "c")]).unwrap();
        let note = PublishLimits { cleanup_time_per_note: std::time::Duration::ZERO, ..PublishLimits::default() };
        let err = rules.apply(&content, &[], &CleanupBudget::for_note(&note, Instant::now())).unwrap_err();
        assert_eq!(err.to_string(), "the time of cleanup rule \"cheap\" exceeds CLEANUP_TIME_PER_NOTE_MS (0)");

        let publish = PublishLimits { cleanup_time_per_publish: std::time::Duration::ZERO, ..PublishLimits::default() };
        let err = rules.apply(&content, &[], &CleanupBudget::for_note(&publish, Instant::now())).unwrap_err();
        assert_eq!(err.to_string(), "the time of cleanup rule \"cheap\" exceeds CLEANUP_TIME_PER_PUBLISH_MS (0)");
    }

    #[test]
    fn rules_deserialize_from_the_plugin_payload_ignoring_extra_keys() {
        let json = r#"[
            {"id":"a","name":"A","regex":"x","replacement":"y","isEnabled":false,"isDefault":true},
            {"id":"b","regex":"x","replacement":"y"}
        ]"#;
        let rules: Vec<CleanupRule> = serde_json::from_str(json).unwrap();
        assert!(!rules[0].enabled);
        assert!(rules[1].enabled);
    }
}
