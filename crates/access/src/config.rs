//! The `[access]` table of the server's TOML configuration file:
//!
//! ```toml
//! [access]
//! site = "public"            # or "private": every page needs a login unless a rule says otherwise
//! session_hours = 168        # how long a login lasts
//! [access.readers.alice]
//! password = "$argon2id$v=19$m=19456,t=2,p=1$..."   # a hash made by `vps-publish password`
//! groups = ["team"]
//! [[access.rules]]
//! folder = "Work"            # a vault folder and everything under it
//! groups = ["team"]          # or ["public"]: a public folder in a private site
//! ```
//!
//! [`AccessConfig::parse`] validates everything once, so that the policy and the login never
//! meet a bad value: unknown keys, names outside `[A-Za-z0-9._-]`, rules naming a group no
//! reader has, passwords that are not Argon2id hashes (or whose cost would let a configuration
//! file make each login take minutes), and counts beyond the bounds below.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::AccessError;

/// At most this many readers (a file of 10,000 readers is ~1.5 MB of TOML).
pub const MAX_READERS: usize = 10_000;
/// At most this many `[[access.rules]]`; each page is checked against all of them.
pub const MAX_RULES: usize = 1_000;
/// At most this many groups per reader, per rule and per note's `access:` list.
pub const MAX_GROUPS_PER_READER: usize = 64;
/// Reader and group names: 1 to this many characters of `[A-Za-z0-9._-]`.
pub const MAX_NAME_LEN: usize = 64;
/// A rule's folder: at most this many bytes and [`MAX_FOLDER_DEPTH`] segments.
pub const MAX_FOLDER_BYTES: usize = 1024;
/// A rule's folder: at most this many `/`-separated segments.
pub const MAX_FOLDER_DEPTH: usize = 32;
/// `session_hours` when the table does not say (one week).
pub const DEFAULT_SESSION_HOURS: u32 = 168;
/// `session_hours` may be 1 to this many hours (one year).
pub const MAX_SESSION_HOURS: u32 = 24 * 366;
/// The group name that means "everyone, logged in or not" in rules and frontmatter; no reader
/// may be given it.
pub const PUBLIC: &str = "public";

/// Bounds on the cost parameters of a stored Argon2id hash. Verification runs with the stored
/// parameters, so without these a configuration line could make each login allocate gigabytes.
/// `vps-publish password` uses the `argon2` crate's defaults (m=19456 KiB, t=2, p=1), far below.
pub const MAX_HASH_MEMORY_KIB: u32 = 256 * 1024;
/// See [`MAX_HASH_MEMORY_KIB`].
pub const MAX_HASH_ITERATIONS: u32 = 16;
/// See [`MAX_HASH_MEMORY_KIB`].
pub const MAX_HASH_PARALLELISM: u32 = 8;

/// What a page with no frontmatter `access:` and no matching folder rule gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteMode {
    /// Everyone may read it (today's behaviour).
    #[default]
    Public,
    /// Any logged-in reader may read it.
    Private,
}

/// The validated `[access]` table.
#[derive(Debug, Clone)]
pub struct AccessConfig {
    /// The default audience of a page.
    pub site: SiteMode,
    /// How long a login lasts, in hours (1 to [`MAX_SESSION_HOURS`]).
    pub session_hours: u32,
    readers: BTreeMap<String, Reader>,
    rules: Vec<FolderRule>,
    groups: BTreeSet<String>,
}

/// A reader: a name, a password hash and groups. `Debug` never shows the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Reader {
    name: String,
    password_hash: String,
    groups: BTreeSet<String>,
}

/// `[[access.rules]]`: the pages under `folder` are for `groups` (or public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderRule {
    /// NFC, without leading or trailing `/` (`Work/Clients`).
    pub folder: String,
    pub(crate) segments: Vec<String>,
    /// The rule's groups; `{"public"}` alone means public.
    pub groups: BTreeSet<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    #[serde(default)]
    site: SiteMode,
    #[serde(default = "default_session_hours")]
    session_hours: u32,
    #[serde(default)]
    readers: BTreeMap<String, RawReader>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

fn default_session_hours() -> u32 {
    DEFAULT_SESSION_HOURS
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReader {
    password: String,
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    folder: String,
    groups: Vec<String>,
}

impl AccessConfig {
    /// Validates the `[access]` table (the value of the `access` key of the settings file).
    ///
    /// # Errors
    /// [`AccessError::Config`] naming the offending key (`access.readers.bob.password`).
    pub fn parse(table: &toml::Value) -> Result<Self, AccessError> {
        let raw: RawAccess = serde_path_to_error::deserialize(table.clone()).map_err(|error| {
            let path = error.path().to_string();
            let key = if path == "." || path.is_empty() { "access".to_owned() } else { format!("access.{path}") };
            AccessError::config(key, error.into_inner().message().to_owned())
        })?;
        Self::validate(raw)
    }

    /// Reads the `[access]` table of a whole settings file's text: `Ok(None)` when it has none.
    ///
    /// # Errors
    /// [`AccessError::Config`] for a file that is not TOML or a table that is invalid.
    pub fn from_settings_text(text: &str) -> Result<Option<Self>, AccessError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|error| AccessError::config("access", error.message().to_owned()))?;
        table.get("access").map(Self::parse).transpose()
    }

    fn validate(raw: RawAccess) -> Result<Self, AccessError> {
        if !(1..=MAX_SESSION_HOURS).contains(&raw.session_hours) {
            return Err(AccessError::config(
                "access.session_hours",
                format!("must be 1 to {MAX_SESSION_HOURS} hours, not {}", raw.session_hours),
            ));
        }
        if raw.readers.len() > MAX_READERS {
            return Err(AccessError::config(
                "access.readers",
                format!("at most {MAX_READERS} readers, not {}", raw.readers.len()),
            ));
        }
        if raw.rules.len() > MAX_RULES {
            return Err(AccessError::config(
                "access.rules",
                format!("at most {MAX_RULES} rules, not {}", raw.rules.len()),
            ));
        }
        let mut readers = BTreeMap::new();
        let mut groups = BTreeSet::new();
        for (name, reader) in raw.readers {
            let key = format!("access.readers.{}", shown_name(&name));
            check_name(&name).map_err(|message| AccessError::config(&key, format!("reader name {message}")))?;
            check_password_hash(&reader.password)
                .map_err(|message| AccessError::config(format!("{key}.password"), message))?;
            let reader_groups = group_set(&reader.groups, &format!("{key}.groups"), false)?;
            groups.extend(reader_groups.iter().cloned());
            readers.insert(name.clone(), Reader { name, password_hash: reader.password, groups: reader_groups });
        }
        let mut rules: Vec<FolderRule> = Vec::with_capacity(raw.rules.len());
        for (index, rule) in raw.rules.into_iter().enumerate() {
            let key = format!("access.rules[{index}]");
            let segments = folder_segments(&rule.folder)
                .map_err(|message| AccessError::config(format!("{key}.folder"), message))?;
            let folder = segments.join("/");
            if let Some(other) = rules.iter().position(|known| known.folder == folder) {
                return Err(AccessError::config(
                    format!("{key}.folder"),
                    format!("`{folder}` already has a rule (access.rules[{other}]); merge them"),
                ));
            }
            let rule_groups = group_set(&rule.groups, &format!("{key}.groups"), true)?;
            if rule_groups.is_empty() {
                return Err(AccessError::config(
                    format!("{key}.groups"),
                    "must name at least one group (or \"public\")",
                ));
            }
            if let Some(unknown) = rule_groups.iter().find(|group| *group != PUBLIC && !groups.contains(*group)) {
                return Err(AccessError::config(
                    format!("{key}.groups"),
                    format!("no reader is in group `{unknown}`: give it to a reader or remove it"),
                ));
            }
            rules.push(FolderRule { folder, segments, groups: rule_groups });
        }
        Ok(AccessConfig { site: raw.site, session_hours: raw.session_hours, readers, rules, groups })
    }

    /// The reader of this name, if any.
    #[must_use]
    pub fn reader(&self, name: &str) -> Option<&Reader> {
        self.readers.get(name)
    }

    /// Every reader, by name.
    pub fn readers(&self) -> impl Iterator<Item = &Reader> {
        self.readers.values()
    }

    /// The folder rules, in the file's order.
    #[must_use]
    pub fn rules(&self) -> &[FolderRule] {
        &self.rules
    }

    /// Whether some reader is in `group` (`public` is not a group of readers).
    #[must_use]
    pub fn has_group(&self, group: &str) -> bool {
        self.groups.contains(group)
    }

    /// The hash of everything that decides pages' audiences ([`crate::decide`]): the site mode,
    /// the folder rules and the set of groups (a frontmatter `access:` may name only those). A
    /// build keys its output with it, so that new rules are never "nothing changed". Readers'
    /// names, passwords and `session_hours` are not in it: they change no page.
    #[must_use]
    pub fn policy_key(&self) -> vps_core::ContentHash {
        let mut bytes = b"vps-access policy v1".to_vec();
        let mut put = |part: &[u8]| {
            bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
            bytes.extend_from_slice(part);
        };
        put(match self.site {
            SiteMode::Public => b"public",
            SiteMode::Private => b"private",
        });
        // Rule order does not decide anything (the deepest rule wins; one rule per folder).
        let mut rules: Vec<&FolderRule> = self.rules.iter().collect();
        rules.sort_by(|a, b| a.folder.cmp(&b.folder));
        put(&(rules.len() as u64).to_le_bytes());
        for rule in rules {
            put(rule.folder.as_bytes());
            put(&(rule.groups.len() as u64).to_le_bytes());
            for group in &rule.groups {
                put(group.as_bytes());
            }
        }
        put(&(self.groups.len() as u64).to_le_bytes());
        for group in &self.groups {
            put(group.as_bytes());
        }
        vps_core::ContentHash::of(&bytes)
    }
}

impl Reader {
    /// The reader's name (the key of `[access.readers.NAME]`).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The reader's groups.
    #[must_use]
    pub fn groups(&self) -> &BTreeSet<String> {
        &self.groups
    }

    pub(crate) fn password_hash(&self) -> &str {
        &self.password_hash
    }

    /// A number that changes when the reader's password or groups change: put in the session
    /// token at login and compared on each request, it logs a reader out of every browser when
    /// the operator changes their password or groups. Derived by SHA-256, so it reveals nothing
    /// usable about the hash.
    #[must_use]
    pub fn session_version(&self) -> u64 {
        use sha2::{Digest, Sha256};
        let mut digest = Sha256::new();
        digest.update(b"vps-access reader version v1\0");
        digest.update(self.password_hash.as_bytes());
        for group in &self.groups {
            digest.update(b"\0");
            digest.update(group.as_bytes());
        }
        let bytes = digest.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&bytes[..8]);
        u64::from_be_bytes(first)
    }
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("groups", &self.groups)
            .finish()
    }
}

/// A name as it may appear in an error message: valid names as they are, anything else
/// truncated and escaped (a 1 MB name must not make a 1 MB message).
fn shown_name(name: &str) -> String {
    if check_name(name).is_ok() {
        name.to_owned()
    } else {
        let short: String = name.chars().take(MAX_NAME_LEN).collect();
        format!("{short:?}")
    }
}

/// Reader and group names: 1 to [`MAX_NAME_LEN`] characters of `[A-Za-z0-9._-]`.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("may not be empty".to_owned());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("may have at most {MAX_NAME_LEN} characters"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return Err("may only use the characters A-Z a-z 0-9 . _ -".to_owned());
    }
    Ok(())
}

/// A list of group names as a set; `public` only where `allow_public` (rules), and then alone.
fn group_set(list: &[String], key: &str, allow_public: bool) -> Result<BTreeSet<String>, AccessError> {
    if list.len() > MAX_GROUPS_PER_READER {
        return Err(AccessError::config(key, format!("at most {MAX_GROUPS_PER_READER} groups, not {}", list.len())));
    }
    let mut set = BTreeSet::new();
    for group in list {
        check_name(group)
            .map_err(|message| AccessError::config(key, format!("group name {:?} {message}", shown_name(group))))?;
        if group == PUBLIC && !allow_public {
            return Err(AccessError::config(key, "`public` means everyone and cannot be given to a reader"));
        }
        set.insert(group.clone());
    }
    if set.contains(PUBLIC) && set.len() > 1 {
        return Err(AccessError::config(key, "`public` means everyone: list it alone"));
    }
    Ok(set)
}

/// A vault folder as NFC segments: no empty, `.` or `..` segment, no control character, bounded.
pub(crate) fn folder_segments(folder: &str) -> Result<Vec<String>, String> {
    if folder.len() > MAX_FOLDER_BYTES {
        return Err(format!("may have at most {MAX_FOLDER_BYTES} bytes"));
    }
    let trimmed = folder.trim_matches('/');
    if trimmed.is_empty() {
        return Err("must name a folder of the vault (for the whole site use `site`)".to_owned());
    }
    if trimmed.chars().any(|c| c.is_control() || c == '\\') {
        return Err("may not contain control characters or `\\`".to_owned());
    }
    let segments: Vec<String> = trimmed.split('/').map(|segment| segment.nfc().collect()).collect();
    if segments.len() > MAX_FOLDER_DEPTH {
        return Err(format!("may have at most {MAX_FOLDER_DEPTH} levels"));
    }
    if segments.iter().any(|segment| segment.is_empty() || segment == "." || segment == "..") {
        return Err("may not have empty, `.` or `..` segments".to_owned());
    }
    Ok(segments)
}

/// An Argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with bounded costs.
fn check_password_hash(hash: &str) -> Result<(), String> {
    const NOT_A_HASH: &str =
        "must be an Argon2id hash made by `vps-publish password` (\"$argon2id$v=19$...\"), never a password";
    if hash.len() > 512 {
        return Err(NOT_A_HASH.to_owned());
    }
    let parsed = argon2::PasswordHash::new(hash).map_err(|_| NOT_A_HASH.to_owned())?;
    if parsed.algorithm.as_str() != argon2::ARGON2ID_IDENT.as_str() || parsed.version != Some(0x13) {
        return Err(NOT_A_HASH.to_owned());
    }
    let (Some(salt), Some(output)) = (&parsed.salt, &parsed.hash) else {
        return Err(NOT_A_HASH.to_owned());
    };
    if salt.len() < 8 || output.len() < 16 {
        return Err("the hash's salt or output is too short; make a new one with `vps-publish password`".to_owned());
    }
    let params = argon2::Params::try_from(&parsed).map_err(|_| NOT_A_HASH.to_owned())?;
    if params.m_cost() > MAX_HASH_MEMORY_KIB
        || params.t_cost() > MAX_HASH_ITERATIONS
        || params.p_cost() > MAX_HASH_PARALLELISM
    {
        return Err(format!(
            "the hash's costs (m={}, t={}, p={}) exceed the bounds m≤{MAX_HASH_MEMORY_KIB}, t≤{MAX_HASH_ITERATIONS}, p≤{MAX_HASH_PARALLELISM}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid hash (of "pw"), with the costs `vps-publish password` uses.
    pub(crate) const HASH: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$iBSgJveR2P3AGhL6t5LYPA$D0l4+WfkMRRnwwf/ANIfY6txf0iHn/jDrvYNHdOqioQ";

    fn parse(text: &str) -> Result<AccessConfig, AccessError> {
        let text = text.replace("HASH", HASH);
        AccessConfig::parse(&toml::from_str::<toml::Value>(&text).unwrap())
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn the_example_of_the_documentation_parses() {
        let config = parse(
            r#"
            site = "private"
            session_hours = 24
            [readers.alice]
            password = "HASH"
            groups = ["team"]
            [readers.bob]
            password = "HASH"
            [[rules]]
            folder = "/Work/"
            groups = ["team"]
            [[rules]]
            folder = "Work/Open"
            groups = ["public"]
            "#,
        )
        .unwrap();
        assert_eq!(config.site, SiteMode::Private);
        assert_eq!(config.session_hours, 24);
        assert_eq!(config.reader("alice").unwrap().groups().iter().collect::<Vec<_>>(), ["team"]);
        assert!(config.reader("bob").unwrap().groups().is_empty());
        assert_eq!(config.rules().iter().map(|rule| rule.folder.as_str()).collect::<Vec<_>>(), ["Work", "Work/Open"]);
        assert!(config.has_group("team") && !config.has_group("public"));
    }

    #[test]
    fn an_empty_table_is_a_public_site_with_week_long_sessions() {
        let config = parse("").unwrap();
        assert_eq!((config.site, config.session_hours), (SiteMode::Public, DEFAULT_SESSION_HOURS));
        assert_eq!(config.readers().count(), 0);
    }

    #[test]
    fn the_access_table_of_a_settings_file_is_found_or_absent() {
        assert!(AccessConfig::from_settings_text("port = 3000\n").unwrap().is_none());
        let text =
            format!("port = 3000\n[access]\nsite = \"private\"\n[access.readers.alice]\npassword = \"{HASH}\"\n");
        assert_eq!(AccessConfig::from_settings_text(&text).unwrap().unwrap().site, SiteMode::Private);
    }

    #[test]
    fn a_rule_naming_a_group_no_reader_has_is_refused_with_its_key() {
        let message = error(
            "[readers.alice]\npassword = \"HASH\"\ngroups = [\"team\"]\n[[rules]]\nfolder = \"Work\"\ngroups = [\"teem\"]\n",
        );
        assert!(message.contains("`access.rules[0].groups`") && message.contains("`teem`"), "{message}");
    }

    #[test]
    fn a_plain_password_instead_of_a_hash_is_refused_without_being_shown() {
        let message = error("[readers.alice]\npassword = \"hunter2\"\n");
        assert!(message.contains("`access.readers.alice.password`") && message.contains("Argon2id"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn hashes_of_other_algorithms_or_excessive_costs_are_refused() {
        let argon2i = HASH.replace("argon2id", "argon2i");
        assert!(error(&format!("[readers.a]\npassword = \"{argon2i}\"\n")).contains("Argon2id"));
        let huge = HASH.replace("m=19456,t=2", "m=4194304,t=2");
        let message = error(&format!("[readers.a]\npassword = \"{huge}\"\n"));
        assert!(message.contains("exceed the bounds"), "{message}");
        let slow = HASH.replace("t=2", "t=100");
        assert!(error(&format!("[readers.a]\npassword = \"{slow}\"\n")).contains("exceed the bounds"));
    }

    #[test]
    fn reader_and_group_names_outside_the_alphabet_are_refused() {
        assert!(error("[readers.\"al ice\"]\npassword = \"HASH\"\n").contains("reader name may only use"));
        let long = "a".repeat(MAX_NAME_LEN + 1);
        assert!(error(&format!("[readers.{long}]\npassword = \"HASH\"\n")).contains("at most 64 characters"));
        assert!(error("[readers.\"\"]\npassword = \"HASH\"\n").contains("may not be empty"));
        let message = error("[readers.alice]\npassword = \"HASH\"\ngroups = [\"te/am\"]\n");
        assert!(message.contains("`access.readers.alice.groups`") && message.contains("may only use"), "{message}");
        assert!(
            error("[readers.alice]\npassword = \"HASH\"\ngroups = [\"public\"]\n")
                .contains("cannot be given to a reader")
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_their_key() {
        let message = error("sight = \"private\"\n");
        assert!(message.contains("`access.sight`") && message.contains("unknown field"), "{message}");
        let message = error("[readers.alice]\npassword = \"HASH\"\ngroup = [\"team\"]\n");
        assert!(message.contains("access.readers.alice") && message.contains("group"), "{message}");
        let message = error("site = \"secret\"\n");
        assert!(message.contains("`access.site`") && message.contains("public"), "{message}");
        assert!(error("session_hours = 0\n").contains("`access.session_hours`"));
        assert!(error("session_hours = 100000\n").contains("`access.session_hours`"));
    }

    #[test]
    fn folders_that_are_not_vault_folders_are_refused() {
        let reader = "[readers.a]\npassword = \"HASH\"\ngroups = [\"team\"]\n";
        for folder in ["", "/", "Work/../Home", "Work//Sub", "./Work", "Wo\\rk"] {
            let message = error(&format!("{reader}[[rules]]\nfolder = {folder:?}\ngroups = [\"team\"]\n"));
            assert!(message.contains("`access.rules[0].folder`"), "{folder}: {message}");
        }
        let message = error(&format!(
            "{reader}[[rules]]\nfolder = \"Work\"\ngroups = [\"team\"]\n[[rules]]\nfolder = \"Work/\"\ngroups = [\"public\"]\n"
        ));
        assert!(message.contains("already has a rule"), "{message}");
        let message = error(&format!("{reader}[[rules]]\nfolder = \"Work\"\ngroups = []\n"));
        assert!(message.contains("at least one group"), "{message}");
        let message = error(&format!("{reader}[[rules]]\nfolder = \"Work\"\ngroups = [\"public\", \"team\"]\n"));
        assert!(message.contains("list it alone"), "{message}");
    }

    #[test]
    fn counts_beyond_the_bounds_are_refused() {
        let groups: Vec<String> = (0..=MAX_GROUPS_PER_READER).map(|n| format!("\"g{n}\"")).collect();
        let message = error(&format!("[readers.a]\npassword = \"HASH\"\ngroups = [{}]\n", groups.join(",")));
        assert!(message.contains("at most 64 groups"), "{message}");
        let mut text = String::from("[readers.a]\npassword = \"HASH\"\ngroups = [\"t\"]\n");
        for n in 0..=MAX_RULES {
            text.push_str(&format!("[[rules]]\nfolder = \"f{n}\"\ngroups = [\"t\"]\n"));
        }
        assert!(error(&text).contains("at most 1000 rules"));
        let mut readers = toml::Table::new();
        for n in 0..=MAX_READERS {
            let mut reader = toml::Table::new();
            reader.insert("password".into(), HASH.into());
            readers.insert(format!("r{n}"), reader.into());
        }
        let mut table = toml::Table::new();
        table.insert("readers".into(), readers.into());
        let message = AccessConfig::parse(&table.into()).unwrap_err().to_string();
        assert!(message.contains("at most 10000 readers"), "{message}");
    }

    #[test]
    fn debug_output_never_shows_a_password_hash() {
        let config = parse("[readers.alice]\npassword = \"HASH\"\ngroups = [\"team\"]\n").unwrap();
        let shown = format!("{config:?}");
        assert!(shown.contains("alice") && shown.contains("<redacted>"), "{shown}");
        assert!(!shown.contains("argon2") && !shown.contains("iBSgJveR2P3AGhL6t5LYPA"), "{shown}");
    }

    #[test]
    fn the_policy_key_follows_rules_site_and_groups_but_not_passwords_or_rule_order() {
        let key = |text: &str| parse(text).unwrap().policy_key();
        let alice = "[readers.alice]\npassword = \"HASH\"\ngroups = [\"team\", \"board\"]\n";
        let work = "[[rules]]\nfolder = \"Work\"\ngroups = [\"team\"]\n";
        let board = "[[rules]]\nfolder = \"Board\"\ngroups = [\"board\"]\n";
        let base = key(&format!("{alice}{work}{board}"));
        assert_eq!(base, key(&format!("{alice}{board}{work}")), "rule order decides nothing");
        assert_eq!(base, key(&format!("session_hours = 2\n{alice}{work}{board}")));
        let other_password = alice.replace("HASH", &HASH.replace("iBSgJveR2P3AGhL6t5LYPA", "AAAAAAAAAAAAAAAAAAAAAA"));
        assert_eq!(base, key(&format!("{other_password}{work}{board}")), "a password decides no page");
        assert_ne!(base, key(&format!("site = \"private\"\n{alice}{work}{board}")));
        assert_ne!(base, key(&format!("{alice}{work}")), "a rule fewer");
        assert_ne!(base, key(&format!("{alice}{work}{}", board.replace("Board", "Boards"))));
        let more_groups = alice.replace("\"board\"]", "\"board\", \"x\"]");
        assert_ne!(base, key(&format!("{more_groups}{work}{board}")), "a new group may be named by notes");
    }

    #[test]
    fn the_session_version_changes_with_the_password_or_the_groups() {
        let other = HASH.replace("iBSgJveR2P3AGhL6t5LYPA", "AAAAAAAAAAAAAAAAAAAAAA");
        let version = |hash: &str, groups: &str| {
            parse(&format!("[readers.a]\npassword = \"{hash}\"\ngroups = [{groups}]\n"))
                .unwrap()
                .reader("a")
                .unwrap()
                .session_version()
        };
        assert_eq!(version(HASH, "\"x\""), version(HASH, "\"x\""));
        assert_ne!(version(HASH, "\"x\""), version(&other, "\"x\""));
        assert_ne!(version(HASH, "\"x\""), version(HASH, "\"x\", \"y\""));
    }
}
