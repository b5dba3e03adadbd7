//! The notes of the new site as pages need them ([`Notes`]): a kept note is read from its stored
//! source only when its page must be rendered again or another page embeds it, and every note's
//! Markdown after the session's cleanup rules is made once (for its page and for every page that
//! embeds it), each within its budget.

use std::cell::{Cell, OnceCell};
use std::time::{Duration, Instant};

use vps_core::note::Note;
use vps_core::revision::SiteSettings;
use vps_render::{CleanupBudget, CleanupError, CompiledRules, PublishLimits};

use crate::error::BuildError;
use crate::select::{Entry, parse_source};
use crate::sink::BlobSink;

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

/// The notes of `routed`, by position: read on demand, cleaned on demand, each once. The rules
/// are compiled once; each note gets its [`CleanupBudget`] (output size, its own time, and what
/// is left of the publish's: the time spent cleaning the notes before it).
pub(crate) struct Notes<'a> {
    routed: &'a [(String, Entry)],
    sink: &'a dyn BlobSink,
    rules: CompiledRules,
    limits: &'a PublishLimits,
    cleaned: Vec<OnceCell<String>>,
    /// Time spent in cleanup rules so far in this build.
    spent: Cell<Duration>,
}

impl<'a> Notes<'a> {
    pub(crate) fn new(
        routed: &'a [(String, Entry)],
        settings: &SiteSettings,
        limits: &'a PublishLimits,
        sink: &'a dyn BlobSink,
    ) -> Result<Self, BuildError> {
        let rules = CompiledRules::compile(&cleanup_rules(settings)).map_err(BuildError::Cleanup)?;
        let cleaned = (0..routed.len()).map(|_| OnceCell::new()).collect();
        Ok(Notes { routed, sink, rules, limits, cleaned, spent: Cell::new(Duration::ZERO) })
    }

    /// Reads the sources of the notes at `positions` that are not at hand yet, in one batch (a
    /// page rendered again needs its note; reading them together is one round of store reads).
    pub(crate) fn read(&self, positions: &[usize]) -> Result<(), BuildError> {
        let unread: Vec<&Entry> =
            positions.iter().map(|&i| &self.routed[i].1).filter(|entry| entry.note.get().is_none()).collect();
        if unread.is_empty() {
            return Ok(());
        }
        let sources = self.sink.read_many(unread.iter().map(|entry| entry.source_blob).collect())?;
        for (entry, bytes) in unread.into_iter().zip(sources) {
            let _ = entry.note.set(parse_source(bytes.as_deref(), &entry.vault_path)?);
        }
        Ok(())
    }

    /// The note at `position`, read from its source if it is not at hand.
    pub(crate) fn note(&self, position: usize) -> Result<&'a Note, BuildError> {
        let entry = &self.routed[position].1;
        if let Some(note) = entry.note.get() {
            return Ok(note);
        }
        let bytes = self.sink.read_many(vec![entry.source_blob])?.pop().flatten();
        let _ = entry.note.set(parse_source(bytes.as_deref(), &entry.vault_path)?);
        Ok(entry.note.get().expect("just set"))
    }

    /// The Markdown of the note at `position` after the cleanup rules.
    pub(crate) fn cleaned(&self, position: usize) -> Result<&str, BuildError> {
        if let Some(cleaned) = self.cleaned[position].get() {
            return Ok(cleaned);
        }
        let note = self.note(position)?;
        let started = Instant::now();
        // The publish's budget counts only the time spent cleaning, not rendering in between.
        let budget = CleanupBudget::for_note(self.limits, started.checked_sub(self.spent.get()).unwrap_or(started));
        let result = self.rules.apply(&note.content, &note.folder_config.ignored_cleanup_rule_ids, &budget);
        self.spent.set(self.spent.get() + started.elapsed());
        let content = result.map_err(|error| match error {
            CleanupError::Limit { exceeded, .. } => BuildError::Limit(exceeded.in_note(&note.vault_path)),
            other => BuildError::Cleanup(other),
        })?;
        Ok(self.cleaned[position].get_or_init(|| content))
    }
}
