//! The page set of the new revision (ARCHITECTURE §5, step 1): every note uploaded in the
//! session replaces the page of its vault path (and folder). In a partial session (the server
//! offered skips) every other live page is kept, read back from its stored source, unless the
//! client's inventory says the note is gone. A full session publishes exactly what it uploaded.
//! A note whose frontmatter says `publish: false` is left out.

use std::collections::{BTreeMap, HashSet};

use vps_core::ContentHash;
use vps_core::note::Note;
use vps_core::revision::{Page, Revision, SiteSettings};
use vps_core::slug::nfc;
use vps_render::PageMeta;

use crate::error::BuildError;
use crate::input::SessionInput;
use crate::sink::BlobSink;

/// A note of the new site and, when it was retained, its stored source.
pub(crate) struct Entry {
    pub(crate) note: Note,
    pub(crate) source_blob: Option<ContentHash>,
}

/// One page per key: notes are one note when their NFC vault paths and folders are (macOS
/// writes names in NFD).
pub(crate) type Key = (String, String);

pub(crate) fn key(vault_path: &str, folder_id: &str) -> Key {
    (nfc(vault_path).into_owned(), folder_id.to_owned())
}

/// The notes of the new site.
pub(crate) struct Selection {
    pub(crate) entries: Vec<Entry>,
    /// Notes uploaded in the session (one per key).
    pub(crate) uploaded: u64,
    /// Live pages kept without being uploaded again.
    pub(crate) retained: u64,
}

pub(crate) fn select(
    sink: &dyn BlobSink,
    base: &Revision,
    session: &SessionInput<'_>,
    notes: Vec<Note>,
    inventory: Option<&[String]>,
) -> Result<Selection, BuildError> {
    let mut entries: BTreeMap<Key, Entry> = BTreeMap::new();
    for note in notes {
        entries.insert(key(&note.vault_path, &note.folder_config.id), Entry { note, source_blob: None });
    }
    let uploaded = entries.len() as u64;
    let inventory: Option<HashSet<String>> =
        inventory.map(|paths| paths.iter().map(|path| nfc(path).into_owned()).collect());
    let in_inventory =
        |vault_path: &str| inventory.as_ref().is_none_or(|paths| paths.contains(nfc(vault_path).as_ref()));
    let mut retained = 0u64;
    if session.offered_skips {
        let kept: Vec<&Page> = base
            .pages
            .values()
            .filter(|page| {
                !entries.contains_key(&key(&page.vault_path, &page.folder_id)) && in_inventory(&page.vault_path)
            })
            .collect();
        let sources = sink.read_many(kept.iter().map(|page| page.source_blob).collect())?;
        for (page, bytes) in kept.into_iter().zip(sources) {
            let bytes = bytes.ok_or_else(|| BuildError::Source(page.vault_path.clone()))?;
            let note = serde_json::from_slice(&bytes).map_err(|_| BuildError::Source(page.vault_path.clone()))?;
            entries.insert(key(&page.vault_path, &page.folder_id), Entry { note, source_blob: Some(page.source_blob) });
            retained += 1;
        }
    }

    // `publish: false` in the frontmatter un-publishes a note.
    entries.retain(|_, entry| PageMeta::from_frontmatter(&entry.note.frontmatter.flat).publish != Some(false));
    Ok(Selection { entries: entries.into_values().collect(), uploaded, retained })
}

/// The settings of the new revision: this session's `start`, and its cleanup rules, or, when it
/// sent none and kept pages, the live revision's.
pub(crate) fn settings_for(base: &Revision, session: &SessionInput<'_>) -> SiteSettings {
    let mut settings = SiteSettings::from_start(session.start);
    settings.cleanup_rules = match session.cleanup_rules {
        Some(rules) => rules.to_vec(),
        None if session.offered_skips => base.settings.cleanup_rules.clone(),
        None => Vec::new(),
    };
    settings
}
