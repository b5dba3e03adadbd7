//! The page set of the new revision (ARCHITECTURE §5, step 1): every note uploaded in the
//! session replaces the page of its vault path (and folder). In a partial session (the server
//! offered skips) every other live page is kept, read back from its stored source, unless the
//! client's inventory says the note is gone. A full session publishes exactly what it uploaded.
//! A note whose frontmatter says `publish: false` is left out.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashSet};

use vps_core::ContentHash;
use vps_core::note::Note;
use vps_core::revision::{NoteHead, Page, Revision, SiteSettings};
use vps_core::slug::nfc;
use vps_render::PageMeta;

use crate::error::BuildError;
use crate::input::SessionInput;
use crate::sink::BlobSink;

/// A note of the new site: its identity, its head (names and folder, what routing and the link
/// index read), its stored source, and the note itself once it is at hand — uploaded in the
/// session, or read from its source when a kept page must be rendered again or is embedded
/// ([`crate::clean::Notes`]).
pub(crate) struct Entry {
    pub(crate) vault_path: String,
    pub(crate) folder_id: String,
    pub(crate) head: NoteHead,
    pub(crate) source_blob: ContentHash,
    pub(crate) note: OnceCell<Note>,
}

impl Entry {
    pub(crate) fn of(note: Note, source_blob: ContentHash) -> Entry {
        Entry {
            vault_path: note.vault_path.clone(),
            folder_id: note.folder_config.id.clone(),
            head: NoteHead::of(&note),
            source_blob,
            note: OnceCell::from(note),
        }
    }
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

/// Kept pages whose heads are read again from their sources, per batch of store reads (the
/// notes are dropped once their heads are made).
const HEAD_BATCH: usize = 256;

/// The page set. `heads_current`: the base revision's page heads hold everything this build
/// reads of them (it was built by this engine, [`crate::input::HEADS_VERSION`]); otherwise the
/// heads of kept pages are made again from their sources.
pub(crate) fn select(
    sink: &dyn BlobSink,
    base: &Revision,
    session: &SessionInput<'_>,
    notes: Vec<Note>,
    inventory: Option<&[String]>,
    heads_current: bool,
) -> Result<Selection, BuildError> {
    let mut uploaded: BTreeMap<Key, Note> = BTreeMap::new();
    for note in notes {
        uploaded.insert(key(&note.vault_path, &note.folder_config.id), note);
    }
    let uploaded_count = uploaded.len() as u64;
    let inventory: Option<HashSet<String>> =
        inventory.map(|paths| paths.iter().map(|path| nfc(path).into_owned()).collect());
    let in_inventory =
        |vault_path: &str| inventory.as_ref().is_none_or(|paths| paths.contains(nfc(vault_path).as_ref()));
    // `publish: false` in the frontmatter un-publishes a note.
    let published = |note: &Note| PageMeta::from_frontmatter(&note.frontmatter.flat).publish != Some(false);
    let mut entries: BTreeMap<Key, Entry> = BTreeMap::new();
    // Every uploaded note replaces its live page, even one it un-publishes.
    let replaced: HashSet<Key> = uploaded.keys().cloned().collect();
    for (key, note) in uploaded {
        if published(&note) {
            let source_blob = sink.put_bytes(&serde_json::to_vec(&note).expect("notes serialize"))?;
            entries.insert(key, Entry::of(note, source_blob));
        }
    }
    let mut retained = 0u64;
    if session.offered_skips {
        let kept: Vec<&Page> = base
            .pages
            .values()
            .filter(|page| {
                !replaced.contains(&key(&page.vault_path, &page.folder_id)) && in_inventory(&page.vault_path)
            })
            .collect();
        // A kept page's head is in the manifest: its source is read only if it is needed
        // (revisions made before heads were recorded: read now; made before heads held
        // `access:` and `unlisted:`: read now for the head, which decides who may read it).
        let mut unread = Vec::new();
        let mut stale = Vec::new();
        for page in kept {
            retained += 1;
            let Some(head) = &page.head else {
                unread.push(page);
                continue;
            };
            if !heads_current {
                stale.push(page);
                continue;
            }
            entries.insert(key(&page.vault_path, &page.folder_id), kept_entry(page, head.clone()));
        }
        for batch in stale.chunks(HEAD_BATCH) {
            let sources = sink.read_many(batch.iter().map(|page| page.source_blob).collect())?;
            for (page, bytes) in batch.iter().zip(sources) {
                let note = parse_source(bytes.as_deref(), &page.vault_path)?;
                if published(&note) {
                    entries.insert(key(&page.vault_path, &page.folder_id), kept_entry(page, NoteHead::of(&note)));
                }
            }
        }
        let sources = sink.read_many(unread.iter().map(|page| page.source_blob).collect())?;
        for (page, bytes) in unread.into_iter().zip(sources) {
            let note = parse_source(bytes.as_deref(), &page.vault_path)?;
            if published(&note) {
                entries.insert(key(&page.vault_path, &page.folder_id), Entry::of(note, page.source_blob));
            }
        }
    }
    Ok(Selection { entries: entries.into_values().collect(), uploaded: uploaded_count, retained })
}

/// The entry of a page kept from the base revision, its note not read.
fn kept_entry(page: &Page, head: NoteHead) -> Entry {
    Entry {
        vault_path: page.vault_path.clone(),
        folder_id: page.folder_id.clone(),
        head,
        source_blob: page.source_blob,
        note: OnceCell::new(),
    }
}

/// A note from its stored source (`None`: the blob is missing).
pub(crate) fn parse_source(bytes: Option<&[u8]>, vault_path: &str) -> Result<Note, BuildError> {
    let bytes = bytes.ok_or_else(|| BuildError::Source(vault_path.to_owned()))?;
    serde_json::from_slice(bytes).map_err(|_| BuildError::Source(vault_path.to_owned()))
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
