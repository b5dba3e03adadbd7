//! Operator commands of access control: `vps-publish share` (a signed link to one page, and
//! revoking every link) and `vps-publish access check` (who may read a page, and why).
//!
//! Neither needs a running server: `share` signs with the key of the data directory
//! ([`vps_access::Key::load_or_create`]) and the current share generation; `access check` reads
//! the live revision from the store. The audience a check reports as enforced is the one the
//! live revision records ([`Page::audience`]): that is what the server applies. The reason is
//! found by deciding again under the current `[access]` table ([`vps_access::decide`]); when
//! that gives something else, the revision was built under other rules: a server applies the
//! current ones when it starts with them (it lays the site out again) or at its next publish.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use vps_access::{AccessConfig, Audience, Decision, Key, Reason, ShareToken, SiteMode};
use vps_core::revision::{Page, Revision};

use super::{AdminError, current_revision};
use crate::Settings;

/// The longest share link, in days.
pub const MAX_SHARE_DAYS: u64 = 366;
/// Readers named by `access check` among those allowed (the rest are counted).
const READERS_SHOWN: usize = 20;

/// A route as an operator writes it, normalised as the server finds pages: percent-decoded,
/// NFC, one leading `/`, no trailing `/`, no query or fragment. `/` is the home page. A pasted
/// URL (`https://notes.example.com/work/plan`) gives its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRoute(String);

impl PageRoute {
    /// Reads a route.
    ///
    /// # Errors
    /// [`AdminError::BadRoute`] for an empty route, one over
    /// [`vps_access::token::MAX_ROUTE_BYTES`], or one with control characters.
    pub fn parse(text: &str) -> Result<Self, AdminError> {
        let bad = |why: &'static str| AdminError::BadRoute { route: text.chars().take(80).collect(), why };
        let mut path = text.trim();
        if path.is_empty() {
            return Err(bad("it is empty; write `/` for the home page"));
        }
        if let Some((scheme, rest)) = path.split_once("://")
            && matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
        {
            path = rest.find('/').map_or("/", |slash| &rest[slash..]);
        }
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let decoded = vps_core::slug::decode_route(path);
        if decoded.chars().any(char::is_control) {
            return Err(bad("it holds control characters"));
        }
        let route = format!("/{}", decoded.trim_matches('/'));
        if route.len() > vps_access::token::MAX_ROUTE_BYTES {
            return Err(bad("it is longer than a route may be"));
        }
        Ok(PageRoute(route))
    }

    /// The route (`/work/plan`, `/` for the home page).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PageRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long a share link works: a number and a unit, `30m`, `12h`, `7d`, `4w`; at least a
/// minute, at most [`MAX_SHARE_DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareDuration {
    seconds: u64,
}

/// Why a text is not a [`ShareDuration`]; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` {why}")]
pub struct ShareDurationError {
    text: String,
    why: String,
}

impl ShareDuration {
    /// The duration in seconds.
    pub fn seconds(self) -> u64 {
        self.seconds
    }
}

impl FromStr for ShareDuration {
    type Err = ShareDurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |why: String| ShareDurationError { text: text.chars().take(40).collect(), why };
        let shape = || {
            error("is not a duration: write a number and a unit, m (minutes), h (hours), d (days) or w (weeks): 30m, 12h, 7d, 4w".to_owned())
        };
        let trimmed = text.trim();
        let Some(unit) = trimmed.chars().last() else { return Err(shape()) };
        let number = &trimmed[..trimmed.len() - unit.len_utf8()];
        let unit_seconds: u64 = match unit {
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(shape()),
        };
        if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(shape());
        }
        let max = MAX_SHARE_DAYS * 86_400;
        let too_long = || error(format!("is too long: a share link lasts at most {MAX_SHARE_DAYS} days"));
        // More digits than a u64 holds is too long too.
        let count: u64 = number.parse().map_err(|_| too_long())?;
        let seconds = count.checked_mul(unit_seconds).filter(|seconds| *seconds <= max).ok_or_else(too_long)?;
        if seconds == 0 {
            return Err(error("is no time: a share link lasts at least a minute (1m)".to_owned()));
        }
        Ok(ShareDuration { seconds })
    }
}

/// A signed link made by [`share`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// `<BASE_URL or http://HOST:PORT><route, percent-encoded>?share=<token>`.
    pub url: String,
    /// The route the token names: the page's (for `/`, the home note's route).
    pub route: String,
    /// When it stops working (Unix seconds).
    pub expires_at_s: u64,
    /// The share generation it belongs to (`share --revoke-all` moves past it).
    pub generation: u64,
    /// What the operator should know (the link is made all the same).
    pub warnings: Vec<ShareWarning>,
}

/// Something about a share link worth a line on stderr; the link is made all the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareWarning {
    /// `BASE_URL` is not set: the link names the listening address, which readers elsewhere
    /// may not reach.
    NoBaseUrl,
    /// The store has no live revision (nothing published yet).
    NoLiveRevision,
    /// The live revision has no page at the route.
    NoPage,
    /// The route is a generated listing (a folder's, a tag's or the home index), not a note's
    /// page.
    Listing,
    /// The route moved: the live revision redirects it to this one.
    Moved(String),
    /// The page is public: anyone may open it without the link.
    PublicPage,
    /// The store could not be read to check the route; carries why.
    StoreUnreadable(String),
}

impl fmt::Display for ShareWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareWarning::NoBaseUrl => {
                f.write_str("BASE_URL is not set: the link names the address the server listens on")
            }
            ShareWarning::NoLiveRevision => f.write_str("nothing is published yet: the link opens no page for now"),
            ShareWarning::NoPage => f.write_str("the live revision has no page at this route"),
            ShareWarning::Listing => {
                f.write_str("this route is a generated listing (a folder, a tag or the home index), not a note's page")
            }
            ShareWarning::Moved(target) => write!(f, "this page moved to {target}: share that route instead"),
            ShareWarning::PublicPage => f.write_str("this page is public: anyone can open it without a share link"),
            ShareWarning::StoreUnreadable(why) => {
                write!(f, "could not read the live revision to check the route: {why}")
            }
        }
    }
}

/// Signs a link to the page at `route` that works for `valid_for` from `now_s` (Unix seconds),
/// with the key of the data directory (made when absent, mode 0600) and the current share
/// generation. The token names the page's own route, which the server compares with the route
/// it serves: for `/`, the home note's route (the link itself opens `/`). The live revision is
/// read for that and to warn (no page there, a public page); a store that cannot be read is a
/// warning, and the route is signed as given.
///
/// # Errors
/// [`AdminError::NoDataDir`] when the data directory does not exist (a typo would otherwise make
/// a new key that no server knows); [`AdminError::Access`] when the key or generation file cannot
/// be read or written.
pub async fn share(
    settings: &Settings,
    route: &PageRoute,
    valid_for: ShareDuration,
    now_s: u64,
) -> Result<ShareLink, AdminError> {
    let data_dir = &settings.data_dir;
    if !data_dir.is_dir() {
        return Err(AdminError::NoDataDir(data_dir.clone()));
    }
    let mut warnings = Vec::new();
    if settings.site.base_url.is_none() {
        warnings.push(ShareWarning::NoBaseUrl);
    }
    // The route the token names, and the path the link opens.
    let (mut signed, mut opened) = (route.as_str().to_owned(), route.as_str().to_owned());
    match current_revision(settings).await {
        Ok(None) => warnings.push(ShareWarning::NoLiveRevision),
        Ok(Some(revision)) => match find(&revision, route.as_str()) {
            Found::Page(page_route, page) => {
                if page.audience.is_public() {
                    warnings.push(ShareWarning::PublicPage);
                }
                signed = page_route.to_owned();
                // The server answers a home note inside a folder only at `/`.
                if revision.home.as_deref() == Some(page_route) && page_route.rfind('/').is_some_and(|slash| slash > 0)
                {
                    opened = "/".to_owned();
                }
            }
            Found::Listing => warnings.push(ShareWarning::Listing),
            Found::Moved(target) => warnings.push(ShareWarning::Moved(target.to_owned())),
            Found::Nothing => warnings.push(ShareWarning::NoPage),
        },
        Err(error) => warnings.push(ShareWarning::StoreUnreadable(vps_core::error_chain::chain(&error, ": "))),
    }
    let key = Key::load_or_create(data_dir)?;
    let generation = vps_access::share_generation(data_dir)?;
    let expires_at_s = now_s.saturating_add(valid_for.seconds());
    let token = ShareToken { route: signed.clone(), expires_at_s, generation };
    let token = key
        .sign_share(&token)
        .map_err(|_| AdminError::BadRoute { route: signed.clone(), why: "it is longer than a route may be" })?;
    let url = format!("{}{}?share={token}", origin(settings), vps_core::url::encode_path(&opened));
    Ok(ShareLink { url, route: signed, expires_at_s, generation, warnings })
}

/// Revokes every share link made so far (the data directory's share generation moves on);
/// returns the new generation.
///
/// # Errors
/// [`AdminError::NoDataDir`] when the data directory does not exist; [`AdminError::Access`]
/// when the generation file cannot be read or written.
pub fn revoke_shares(settings: &Settings) -> Result<u64, AdminError> {
    if !settings.data_dir.is_dir() {
        return Err(AdminError::NoDataDir(settings.data_dir.clone()));
    }
    Ok(vps_access::revoke_all_shares(&settings.data_dir)?)
}

/// `BASE_URL`, else `http://HOST:PORT` (an IPv6 host in brackets).
fn origin(settings: &Settings) -> String {
    match &settings.site.base_url {
        Some(base) => base.trim_end_matches('/').to_owned(),
        None if settings.host.is_ipv6() => format!("http://[{}]:{}", settings.host, settings.port),
        None => format!("http://{}:{}", settings.host, settings.port),
    }
}

/// What a route names in a revision, as the server finds it.
enum Found<'a> {
    /// A note's page, at this route (`/` is the home note's).
    Page(&'a str, &'a Page),
    /// A generated listing.
    Listing,
    /// A moved page: the route it redirects to.
    Moved(&'a str),
    Nothing,
}

fn find<'a>(revision: &'a Revision, route: &'a str) -> Found<'a> {
    let route = match (route, revision.home.as_deref()) {
        ("/", Some(home)) => home,
        _ => route,
    };
    if let Some((route, page)) = revision.pages.get_key_value(route) {
        return Found::Page(route, page);
    }
    if revision.generated.contains_key(route) {
        return Found::Listing;
    }
    match revision.redirects.get(route) {
        Some(target) => Found::Moved(target),
        None => Found::Nothing,
    }
}

/// Who may read a page and why: what `vps-publish access check` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCheck {
    /// The page's route (for `/`, the home note's; after a redirect, where it leads).
    pub route: String,
    /// The route asked for, when it redirects to [`AccessCheck::route`].
    pub moved_from: Option<String>,
    /// The page's title.
    pub title: String,
    /// Its note's vault path.
    pub vault_path: String,
    /// Who may read it: the live revision's audience, which the server enforces.
    pub audience: Audience,
    /// Whether the live revision leaves it out of every listing.
    pub unlisted: bool,
    /// The audience and listing the current `[access]` table gives it, and why.
    pub current: CurrentRules,
    /// The readers of the `[access]` table allowed to read it, by name (at most 20).
    pub readers_allowed: Vec<String>,
    /// How many readers of the table are allowed in all.
    pub readers_allowed_count: usize,
    /// The reader asked about (`None`: an anonymous reader).
    pub reader: Option<String>,
    /// Whether that reader may read the page, and why.
    pub verdict: Verdict,
}

impl AccessCheck {
    /// Whether the live revision was built under other rules than the current ones (a server
    /// started with the current ones applies them).
    pub fn is_stale(&self) -> bool {
        match &self.current {
            CurrentRules::Decided { decision, .. } => {
                decision.access.audience != self.audience || decision.access.unlisted != self.unlisted
            }
            CurrentRules::NoAccessTable { unlisted } => !self.audience.is_public() || *unlisted != self.unlisted,
            CurrentRules::Invalid(_) => true,
        }
    }
}

/// The page's audience under the current `[access]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrentRules {
    /// Decided by [`vps_access::decide`].
    Decided {
        /// The audience, listing and the row of the precedence table that decided.
        decision: Decision,
        /// Whether the revision kept the note's frontmatter (`false` for pages published before
        /// it did: decided as if it had no `access:` or `unlisted:`).
        frontmatter_known: bool,
    },
    /// The settings have no `[access]` table: every page is public.
    NoAccessTable {
        /// The frontmatter's `unlisted: true`, which works without the table.
        unlisted: bool,
    },
    /// The note's frontmatter is invalid under the current table (the next publish fails,
    /// naming it); carries why.
    Invalid(String),
}

/// Whether a reader may read a page, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A public page: everyone may.
    Public,
    /// Any logged-in reader may.
    AnyReader,
    /// The reader is in these groups of the page's.
    InGroups(Vec<String>),
    /// An anonymous reader on a page that is not public.
    LoginRequired,
    /// The reader is in none of these groups, the page's.
    NotInGroups(Vec<String>),
}

impl Verdict {
    /// Whether the reader may read the page.
    pub fn allowed(&self) -> bool {
        matches!(self, Verdict::Public | Verdict::AnyReader | Verdict::InGroups(_))
    }
}

impl fmt::Display for Verdict {
    /// `allowed (in group team)`, `denied (login required)`…
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Public => f.write_str("allowed (a public page)"),
            Verdict::AnyReader => f.write_str("allowed (any logged-in reader)"),
            Verdict::InGroups(groups) => write!(f, "allowed (in {})", groups_phrase(groups)),
            Verdict::LoginRequired => f.write_str("denied (login required)"),
            Verdict::NotInGroups(groups) if groups.len() == 1 => write!(f, "denied (not in group {})", groups[0]),
            Verdict::NotInGroups(groups) => write!(f, "denied (in none of groups {})", groups.join(", ")),
        }
    }
}

/// `group team`, `groups team, board`.
fn groups_phrase(groups: &[String]) -> String {
    match groups {
        [one] => format!("group {one}"),
        many => format!("groups {}", many.join(", ")),
    }
}

/// The reason as a phrase: `frontmatter \`access:\``, `folder rule \`Work\``, `site default (private)`.
pub fn describe_reason(reason: &Reason) -> String {
    match reason {
        Reason::Frontmatter => "the note's frontmatter `access:`".to_owned(),
        Reason::FolderRule { folder } => format!("the folder rule for `{folder}`"),
        Reason::Site(SiteMode::Public) => "the site default (`site = \"public\"`)".to_owned(),
        Reason::Site(SiteMode::Private) => "the site default (`site = \"private\"`)".to_owned(),
    }
}

/// Who may read the page at `route` of the live revision, why, and whether `reader` (`None`:
/// anonymous) may, under `config` (the settings' `[access]` table, if any).
///
/// # Errors
/// [`AdminError::UnknownReader`] when `reader` is not in the table (or there is none);
/// [`AdminError::UnknownRoute`] when nothing is published or the live revision has no page
/// there (a listing is not a page); [`AdminError::Store`] when the store cannot be read.
pub async fn check(
    settings: &Settings,
    config: Option<&AccessConfig>,
    route: &PageRoute,
    reader: Option<&str>,
) -> Result<AccessCheck, AdminError> {
    let reader = match reader {
        None => None,
        Some(name) => match config.and_then(|config| config.reader(name)) {
            Some(reader) => Some(reader),
            None => {
                let why = if config.is_some() {
                    "it is not in the `[access.readers]` of the settings"
                } else {
                    "the settings have no `[access]` table"
                };
                return Err(AdminError::UnknownReader { reader: name.chars().take(80).collect(), why });
            }
        },
    };
    let unknown = |why: &'static str| AdminError::UnknownRoute { route: route.to_string(), why };
    let revision = current_revision(settings).await?.ok_or_else(|| unknown("nothing is published yet"))?;
    let (page_route, page, moved_from) = match find(&revision, route.as_str()) {
        Found::Page(page_route, page) => (page_route, page, None),
        Found::Moved(target) => match find(&revision, target) {
            Found::Page(page_route, page) => (page_route, page, Some(route.to_string())),
            _ => return Err(unknown("it redirects to a route with no page")),
        },
        Found::Listing => {
            return Err(unknown("it is a generated listing (a folder, a tag or the home index), not a note's page"));
        }
        Found::Nothing => return Err(unknown("the live revision has no page there")),
    };

    let verdict = verdict(&page.audience, reader.map(vps_access::Reader::groups));
    let allowed: Vec<&str> = config
        .map(|config| {
            config.readers().filter(|r| page.audience.allows(Some(r.groups()))).map(vps_access::Reader::name).collect()
        })
        .unwrap_or_default();
    Ok(AccessCheck {
        route: page_route.to_owned(),
        moved_from,
        title: page.title.clone(),
        vault_path: page.vault_path.clone(),
        audience: page.audience.clone(),
        unlisted: page.unlisted,
        current: current_rules(config, page),
        readers_allowed: allowed.iter().take(READERS_SHOWN).map(|name| (*name).to_owned()).collect(),
        readers_allowed_count: allowed.len(),
        reader: reader.map(|reader| reader.name().to_owned()),
        verdict,
    })
}

fn verdict(audience: &Audience, reader_groups: Option<&BTreeSet<String>>) -> Verdict {
    match (audience, reader_groups) {
        (Audience::Public, _) => Verdict::Public,
        (_, None) => Verdict::LoginRequired,
        (Audience::Readers, Some(_)) => Verdict::AnyReader,
        (Audience::Groups(groups), Some(mine)) => {
            let shared: Vec<String> = groups.intersection(mine).cloned().collect();
            if shared.is_empty() {
                Verdict::NotInGroups(groups.iter().cloned().collect())
            } else {
                Verdict::InGroups(shared)
            }
        }
    }
}

/// The page's access decided again under `config`, from the frontmatter values its head kept.
fn current_rules(config: Option<&AccessConfig>, page: &Page) -> CurrentRules {
    let head = page.head.as_ref();
    let mut frontmatter = Map::new();
    for (name, value) in
        [("access", head.and_then(|h| h.access.as_ref())), ("unlisted", head.and_then(|h| h.unlisted.as_ref()))]
    {
        if let Some(value) = value {
            frontmatter.insert(name.to_owned(), value.clone());
        }
    }
    let Some(config) = config else {
        return CurrentRules::NoAccessTable { unlisted: frontmatter.get("unlisted") == Some(&Value::Bool(true)) };
    };
    match vps_access::decide(config, &page.vault_path, &frontmatter) {
        Ok(decision) => CurrentRules::Decided { decision, frontmatter_known: head.is_some() },
        Err(error) => CurrentRules::Invalid(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_normalised_as_the_server_finds_pages() {
        for (text, route) in [
            ("/work/plan", "/work/plan"),
            ("work/plan/", "/work/plan"),
            (" /work/plan ", "/work/plan"),
            ("/", "/"),
            ("//", "/"),
            ("/caf%C3%A9", "/café"),
            ("/cafe\u{301}", "/café"),
            ("/work/plan?x=1#top", "/work/plan"),
            ("https://notes.example.com/work/plan?share=abc", "/work/plan"),
            ("http://127.0.0.1:3000", "/"),
            ("/ノート", "/ノート"),
        ] {
            assert_eq!(PageRoute::parse(text).unwrap().as_str(), route, "{text:?}");
        }
    }

    #[test]
    fn empty_overlong_and_control_routes_are_refused_with_why() {
        let empty = PageRoute::parse("  ").unwrap_err().to_string();
        assert!(empty.contains("empty") && empty.contains("`/`"), "{empty}");
        let long = format!("/{}", "a".repeat(vps_access::token::MAX_ROUTE_BYTES));
        assert!(PageRoute::parse(&long).unwrap_err().to_string().contains("longer than a route may be"));
        assert!(PageRoute::parse("/a%0Ab").unwrap_err().to_string().contains("control characters"));
    }

    #[test]
    fn durations_take_minutes_hours_days_and_weeks_up_to_366_days() {
        for (text, seconds) in
            [("30m", 1800), ("12h", 43_200), ("7d", 604_800), ("4w", 2_419_200), ("366d", 366 * 86_400), ("1m", 60)]
        {
            assert_eq!(text.parse::<ShareDuration>().unwrap().seconds(), seconds, "{text}");
        }
    }

    #[test]
    fn bad_durations_are_refused_with_a_message_that_says_what_to_write() {
        for (text, says) in [
            ("7", "is not a duration: write a number and a unit"),
            ("d", "is not a duration"),
            ("7x", "is not a duration"),
            ("-1d", "is not a duration"),
            ("1.5d", "is not a duration"),
            ("", "is not a duration"),
            ("7 d", "is not a duration"),
            ("367d", "is too long: a share link lasts at most 366 days"),
            ("53w", "is too long"),
            ("99999999999999999999999d", "is too long"),
            ("0m", "is no time: a share link lasts at least a minute"),
        ] {
            let error = text.parse::<ShareDuration>().unwrap_err().to_string();
            assert!(error.contains(says), "{text:?}: {error}");
        }
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn verdicts_say_why_in_words() {
        let team = Audience::Groups(set(&["team"]));
        let both = Audience::Groups(set(&["board", "team"]));
        assert_eq!(verdict(&Audience::Public, None).to_string(), "allowed (a public page)");
        assert_eq!(verdict(&Audience::Readers, None).to_string(), "denied (login required)");
        assert_eq!(verdict(&Audience::Readers, Some(&set(&[]))).to_string(), "allowed (any logged-in reader)");
        assert_eq!(verdict(&team, None).to_string(), "denied (login required)");
        assert_eq!(verdict(&team, Some(&set(&["team", "x"]))).to_string(), "allowed (in group team)");
        assert_eq!(verdict(&both, Some(&set(&["team", "board"]))).to_string(), "allowed (in groups board, team)");
        assert_eq!(verdict(&team, Some(&set(&["board"]))).to_string(), "denied (not in group team)");
        assert_eq!(verdict(&both, Some(&set(&[]))).to_string(), "denied (in none of groups board, team)");
        assert!(!verdict(&both, Some(&set(&[]))).allowed() && verdict(&both, Some(&set(&["team"]))).allowed());
    }
}
