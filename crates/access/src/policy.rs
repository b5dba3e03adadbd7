//! Who may read a page, and why.
//!
//! Precedence (the first row that applies decides; the most specific wins):
//!
//! | # | Where                                   | Example                                  | Audience                          |
//! |---|-----------------------------------------|------------------------------------------|-----------------------------------|
//! | 1 | the note's frontmatter `access:`        | `access: team` / `access: [team, board]` / `access: public` | those groups / everyone |
//! | 2 | the deepest `[[access.rules]]` folder containing the note | `folder = "Work/Clients"` beats `folder = "Work"` | the rule's groups / everyone (`["public"]`) |
//! | 3 | `site` of `[access]`                    | `site = "private"`                       | any logged-in reader              |
//! |   |                                         | `site = "public"` (the default)          | everyone                          |
//!
//! A frontmatter `access:` may widen as well as narrow (`access: public` in a private folder
//! publishes that one note). `unlisted: true` is independent of the audience: the page keeps its
//! audience and its URL, and is left out of navigation, search, tags, feeds, the sitemap,
//! backlinks and listings. Folder rules match whole path segments after NFC normalisation
//! (`Work` covers `Work/a.md` and `Work/Sub/b.md`, not `Workshop/c.md`); names are
//! case-sensitive, as in the vault's paths.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use crate::AccessError;
use crate::config::{AccessConfig, MAX_GROUPS_PER_READER, PUBLIC, Reader, SiteMode, check_name};

/// Who may read a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Everyone, logged in or not.
    Public,
    /// Any logged-in reader (`site = "private"`).
    Readers,
    /// Readers in at least one of these groups (never empty).
    Groups(BTreeSet<String>),
}

/// A page's audience and whether it is left out of every listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAccess {
    pub audience: Audience,
    /// `unlisted: true`: reachable by its URL, absent from navigation, search, tags, feeds,
    /// the sitemap, backlinks and listings.
    pub unlisted: bool,
}

/// Which row of the precedence table decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The note's frontmatter `access:`.
    Frontmatter,
    /// The `[[access.rules]]` entry for this folder (the deepest one containing the page).
    FolderRule { folder: String },
    /// `site` of `[access]` (nothing more specific applied).
    Site(SiteMode),
}

/// The outcome of [`decide`]: the access and the reason, for `vps-publish access check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub access: PageAccess,
    pub because: Reason,
}

impl PageAccess {
    /// Whether `reader` (`None`: not logged in) may read the page.
    #[must_use]
    pub fn allows(&self, reader: Option<&Reader>) -> bool {
        match &self.audience {
            Audience::Public => true,
            Audience::Readers => reader.is_some(),
            Audience::Groups(groups) => reader.is_some_and(|reader| !reader.groups().is_disjoint(groups)),
        }
    }

    /// Whether the page is for everyone (public caching applies).
    #[must_use]
    pub fn is_public(&self) -> bool {
        self.audience == Audience::Public
    }
}

/// The access of the note at `vault_path` (`Work/Plan.md`) with this frontmatter.
///
/// # Errors
/// [`AccessError::Note`] naming the note when `access:` is not a group name or a list of them,
/// names a group no reader has, or `unlisted:` is not a boolean.
pub fn decide(
    config: &AccessConfig,
    vault_path: &str,
    frontmatter: &Map<String, Value>,
) -> Result<Decision, AccessError> {
    let unlisted = match frontmatter.get("unlisted") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(unlisted)) => *unlisted,
        Some(_) => return Err(AccessError::note(vault_path, "`unlisted:` must be true or false")),
    };
    if let Some(groups) = frontmatter_groups(config, vault_path, frontmatter.get("access"))? {
        let audience = audience_of(groups);
        return Ok(Decision { access: PageAccess { audience, unlisted }, because: Reason::Frontmatter });
    }
    let folder = note_folder(vault_path);
    let mut decision = decide_folder_segments(config, &folder);
    decision.access.unlisted = unlisted;
    Ok(decision)
}

/// The access of a folder's own page (its listing), `folder` as in the vault (`Work/Clients`,
/// `""` for the root): the deepest rule containing it, else the site default.
#[must_use]
pub fn decide_folder(config: &AccessConfig, folder: &str) -> Decision {
    let segments: Vec<String> =
        folder.split('/').filter(|segment| !segment.is_empty()).map(|segment| segment.nfc().collect()).collect();
    decide_folder_segments(config, &segments)
}

fn decide_folder_segments(config: &AccessConfig, folder: &[String]) -> Decision {
    let deepest =
        config.rules().iter().filter(|rule| folder.starts_with(&rule.segments)).max_by_key(|rule| rule.segments.len());
    match deepest {
        Some(rule) => Decision {
            access: PageAccess { audience: audience_of(rule.groups.clone()), unlisted: false },
            because: Reason::FolderRule { folder: rule.folder.clone() },
        },
        None => {
            let audience = match config.site {
                SiteMode::Public => Audience::Public,
                SiteMode::Private => Audience::Readers,
            };
            Decision { access: PageAccess { audience, unlisted: false }, because: Reason::Site(config.site) }
        }
    }
}

/// The NFC segments of the folder holding the note (all but the file name).
fn note_folder(vault_path: &str) -> Vec<String> {
    let mut segments: Vec<String> =
        vault_path.split('/').filter(|segment| !segment.is_empty()).map(|segment| segment.nfc().collect()).collect();
    segments.pop();
    segments
}

fn audience_of(groups: BTreeSet<String>) -> Audience {
    if groups.contains(PUBLIC) { Audience::Public } else { Audience::Groups(groups) }
}

/// `access:` as a set of known groups: `None` when absent (or null).
fn frontmatter_groups(
    config: &AccessConfig,
    note: &str,
    value: Option<&Value>,
) -> Result<Option<BTreeSet<String>>, AccessError> {
    const SHAPE: &str = "`access:` must be a group name or a list of group names (or `public`)";
    let names: Vec<&str> = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(list)) => {
            if list.len() > MAX_GROUPS_PER_READER {
                return Err(AccessError::note(
                    note,
                    format!("`access:` may list at most {MAX_GROUPS_PER_READER} groups"),
                ));
            }
            list.iter()
                .map(|item| item.as_str().ok_or_else(|| AccessError::note(note, SHAPE)))
                .collect::<Result<_, _>>()?
        }
        Some(_) => return Err(AccessError::note(note, SHAPE)),
    };
    if names.is_empty() {
        return Err(AccessError::note(note, "`access:` is an empty list; name a group or `public`"));
    }
    let mut groups = BTreeSet::new();
    for name in names {
        let name = name.trim();
        if check_name(name).is_err() || (name != PUBLIC && !config.has_group(name)) {
            let shown: String = name.chars().take(crate::config::MAX_NAME_LEN).collect();
            return Err(AccessError::note(note, format!("`access:` names group {shown:?}, which no reader has")));
        }
        groups.insert(name.to_owned());
    }
    if groups.contains(PUBLIC) && groups.len() > 1 {
        return Err(AccessError::note(note, "`access: public` means everyone: list it alone"));
    }
    Ok(Some(groups))
}
