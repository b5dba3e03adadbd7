//! The cleanup rules: every note's Markdown after the session's regex rules, computed once per
//! note (for its page and for every page that embeds it), each within its budget.

use std::time::Instant;

use vps_core::job::Phase;
use vps_core::revision::SiteSettings;
use vps_render::{CleanupBudget, CleanupError, CompiledRules, PublishLimits};

use crate::error::BuildError;
use crate::select::Entry;

fn cleanup_rules(settings: &SiteSettings) -> Vec<vps_render::CleanupRule> {
    let enabled = settings.cleanup_rules.iter().filter(|rule| rule.is_enabled && !rule.regex.is_empty());
    enabled
        .map(|rule| vps_render::CleanupRule {
            id: rule.id.clone(),
            regex: rule.regex.clone(),
            replacement: rule.replacement.clone(),
            enabled: true,
        })
        .collect()
}

/// Every note's Markdown after the cleanup rules, in the order of `routed`: once per note, for
/// its page and for every page that embeds it. The rules are compiled once; each note gets its
/// [`CleanupBudget`] (output size, its own time and what is left of the publish's).
pub(crate) fn clean_all(
    routed: &[(String, Entry)],
    settings: &SiteSettings,
    limits: &PublishLimits,
    progress: &dyn Fn(Phase, u8) -> Result<(), BuildError>,
) -> Result<Vec<String>, BuildError> {
    let rules = CompiledRules::compile(&cleanup_rules(settings)).map_err(BuildError::Cleanup)?;
    let started = Instant::now();
    let mut cleaned = Vec::with_capacity(routed.len());
    for (i, (_, entry)) in routed.iter().enumerate() {
        let note = &entry.note;
        let budget = CleanupBudget::for_note(limits, started);
        let content =
            rules.apply(&note.content, &note.folder_config.ignored_cleanup_rule_ids, &budget).map_err(|error| {
                match error {
                    CleanupError::Limit { exceeded, .. } => BuildError::Limit(exceeded.in_note(&note.vault_path)),
                    other => BuildError::Cleanup(other),
                }
            })?;
        cleaned.push(content);
        if i % 64 == 63 {
            progress(Phase::RenderingHtml, 15 + (5 * (i + 1) / routed.len()) as u8)?;
        }
    }
    Ok(cleaned)
}
