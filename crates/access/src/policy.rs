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

pub use vps_core::revision::Audience;

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
        self.audience.allows(reader.map(Reader::groups))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HASH: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$iBSgJveR2P3AGhL6t5LYPA$D0l4+WfkMRRnwwf/ANIfY6txf0iHn/jDrvYNHdOqioQ";

    fn sample(site: &str) -> AccessConfig {
        let text = format!(
            r#"
            site = "{site}"
            [readers.alice]
            password = "{HASH}"
            groups = ["team"]
            [readers.bob]
            password = "{HASH}"
            groups = ["board"]
            [readers.carol]
            password = "{HASH}"
            [[rules]]
            folder = "Work"
            groups = ["team"]
            [[rules]]
            folder = "Work/Board"
            groups = ["board"]
            [[rules]]
            folder = "Work/Open"
            groups = ["public"]
            [[rules]]
            folder = "Café"
            groups = ["team"]
            "#
        );
        AccessConfig::parse(&toml::from_str::<toml::Value>(&text).unwrap()).unwrap()
    }

    fn front(value: serde_json::Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn groups(names: &[&str]) -> Audience {
        Audience::Groups(names.iter().map(|name| (*name).to_owned()).collect())
    }

    #[test]
    fn without_rules_or_frontmatter_the_site_default_decides() {
        let public = decide(&sample("public"), "Notes/a.md", &Map::new()).unwrap();
        assert_eq!(public.access, PageAccess { audience: Audience::Public, unlisted: false });
        assert_eq!(public.because, Reason::Site(SiteMode::Public));
        let private = decide(&sample("private"), "a.md", &Map::new()).unwrap();
        assert_eq!(private.access.audience, Audience::Readers);
        assert_eq!(private.because, Reason::Site(SiteMode::Private));
    }

    #[test]
    fn the_deepest_folder_rule_wins_over_the_site_default() {
        let config = sample("public");
        let work = decide(&config, "Work/Plan.md", &Map::new()).unwrap();
        assert_eq!(work.access.audience, groups(&["team"]));
        assert_eq!(work.because, Reason::FolderRule { folder: "Work".to_owned() });
        let board = decide(&config, "Work/Board/Minutes/2026.md", &Map::new()).unwrap();
        assert_eq!(board.access.audience, groups(&["board"]));
        assert_eq!(board.because, Reason::FolderRule { folder: "Work/Board".to_owned() });
        let open = decide(&sample("private"), "Work/Open/Handbook.md", &Map::new()).unwrap();
        assert_eq!(open.access.audience, Audience::Public, "a public folder inside a private site");
    }

    #[test]
    fn folder_rules_match_whole_segments_not_prefixes() {
        let config = sample("public");
        assert_eq!(decide(&config, "Workshop/a.md", &Map::new()).unwrap().access.audience, Audience::Public);
        assert_eq!(
            decide(&config, "Work.md", &Map::new()).unwrap().access.audience,
            Audience::Public,
            "a note named like the folder"
        );
        assert_eq!(
            decide(&config, "work/a.md", &Map::new()).unwrap().access.audience,
            Audience::Public,
            "case-sensitive"
        );
    }

    #[test]
    fn folder_rules_compare_unicode_in_nfc() {
        let decomposed = "Cafe\u{301}/menu.md";
        let decision = decide(&sample("public"), decomposed, &Map::new()).unwrap();
        assert_eq!(decision.access.audience, groups(&["team"]));
    }

    #[test]
    fn frontmatter_access_wins_over_the_deepest_folder_rule() {
        let config = sample("private");
        let narrowed = decide(&config, "Work/Board/x.md", &front(json!({"access": ["team", "board"]}))).unwrap();
        assert_eq!(narrowed.access.audience, groups(&["board", "team"]));
        assert_eq!(narrowed.because, Reason::Frontmatter);
        let widened = decide(&config, "Work/x.md", &front(json!({"access": "public"}))).unwrap();
        assert_eq!(widened.access.audience, Audience::Public);
        let single = decide(&config, "Home.md", &front(json!({"access": "board"}))).unwrap();
        assert_eq!(single.access.audience, groups(&["board"]));
    }

    #[test]
    fn a_note_naming_an_unknown_group_is_an_error_naming_the_note() {
        let error = decide(&sample("public"), "Work/x.md", &front(json!({"access": "teem"}))).unwrap_err().to_string();
        assert!(error.contains("Work/x.md") && error.contains("\"teem\""), "{error}");
        for bad in
            [json!({"access": 3}), json!({"access": []}), json!({"access": [1]}), json!({"access": ["public", "team"]})]
        {
            let error = decide(&sample("public"), "n.md", &front(bad.clone())).unwrap_err().to_string();
            assert!(error.starts_with("note `n.md`: `access"), "{bad}: {error}");
        }
        let many: Vec<&str> = vec!["team"; MAX_GROUPS_PER_READER + 1];
        assert!(decide(&sample("public"), "n.md", &front(json!({"access": many}))).is_err());
    }

    #[test]
    fn unlisted_keeps_the_audience_and_must_be_a_boolean() {
        let config = sample("public");
        let hidden = decide(&config, "Work/x.md", &front(json!({"unlisted": true}))).unwrap();
        assert_eq!(hidden.access, PageAccess { audience: groups(&["team"]), unlisted: true });
        let shown = decide(&config, "x.md", &front(json!({"unlisted": false, "access": "public"}))).unwrap();
        assert!(!shown.access.unlisted);
        let error = decide(&config, "x.md", &front(json!({"unlisted": "yes"}))).unwrap_err().to_string();
        assert!(error.contains("x.md") && error.contains("unlisted"), "{error}");
    }

    #[test]
    fn allows_follows_the_audience() {
        let config = sample("private");
        let (alice, bob, carol) = (config.reader("alice"), config.reader("bob"), config.reader("carol"));
        let access = |audience| PageAccess { audience, unlisted: false };
        assert!([None, alice, bob, carol].iter().all(|reader| access(Audience::Public).allows(*reader)));
        assert!(!access(Audience::Readers).allows(None));
        assert!(access(Audience::Readers).allows(carol), "a reader in no group is still a reader");
        let team = access(groups(&["team"]));
        assert!(team.allows(alice));
        assert!(!team.allows(bob) && !team.allows(carol) && !team.allows(None));
        assert!(access(groups(&["team", "board"])).allows(bob), "any one group suffices");
    }

    #[test]
    fn a_folder_page_takes_the_rule_of_its_folder() {
        let config = sample("public");
        assert_eq!(decide_folder(&config, "Work").access.audience, groups(&["team"]));
        assert_eq!(decide_folder(&config, "Work/Board/").access.audience, groups(&["board"]));
        assert_eq!(decide_folder(&config, "").because, Reason::Site(SiteMode::Public));
    }
}
