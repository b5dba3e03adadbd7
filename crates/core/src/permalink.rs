//! Permalinks: the route a note asks for in its frontmatter (`permalink: /my/path`), and the one
//! list of paths the server keeps for itself ([`RESERVED`], [`is_reserved`]), which no page may
//! take.
//!
//! A permalink is written from the site's root, with or without its leading `/`
//! (`permalink: publish/setup`, as Obsidian Publish writes them, is `/publish/setup`). It is
//! held to the rules of a route: it is percent-decoded and
//! NFC-normalised as an incoming request path is ([`crate::slug::decode_route`]), has no `.`,
//! `..` or empty segment (`//host` would be read by a browser as another host), no backslash,
//! no control character, no `?` or `#`, is at most [`MAX_PERMALINK_BYTES`] long and is not
//! reserved: not one of the server's own paths ([`RESERVED`], `/_…`) nor one of the site's
//! listings ([`LISTINGS`], which a build leaves to the listing rather than failing on it). One trailing `/` is dropped (`/about/` is `/about`). It is not slugged: the page
//! answers at the path the writer typed (routes are compared case-sensitively). Its depth is
//! bounded by `MAX_PATH_DEPTH` like every route, where routes are checked (`vps_build`).
//!
//! ```
//! use vps_core::permalink::{Permalink, PermalinkError, is_reserved};
//!
//! assert_eq!(Permalink::parse("/guides/Start%20here/").unwrap().as_str(), "/guides/Start here");
//! assert_eq!(Permalink::parse("publish/setup").unwrap().as_str(), "/publish/setup");
//! assert_eq!(Permalink::parse("tags"), Err(PermalinkError::Listing("/tags".into())));
//! assert_eq!(Permalink::parse("/_blob/x"), Err(PermalinkError::Reserved("/_blob".into())));
//! assert_eq!(Permalink::parse("//evil.example"), Err(PermalinkError::EmptySegment));
//! assert!(is_reserved("/api/ping") && !is_reserved("/apiary"));
//! ```

use std::fmt;

use crate::ErrorCode;

/// The paths the server answers itself (its router, the documents it makes at load), and every
/// path below them: no page may have one as its route. Every path starting with `/_` is
/// reserved too (the server's own: `/_blob`, `/_site`, `/_login`…).
pub const RESERVED: &[&str] = &[
    "/api",
    "/assets",
    "/events",
    "/search",
    "/feed.xml",
    "/sitemap.xml",
    "/robots.txt",
    "/favicon.svg",
    "/publish.css",
    "/health",
    "/metrics",
    "/public-config",
];

/// The site's generated listings, and every path below them: reserved too, but a permalink on one
/// is a writer's wish the site cannot grant rather than a broken vault (Obsidian Publish has no
/// such listings: its own help vault gives a note `permalink: tags`).
pub const LISTINGS: &[&str] = &["/tags", "/recent", "/graph"];

/// The prefix of every path the server keeps for its own use.
pub const RESERVED_PREFIX: &str = "/_";

/// The longest permalink accepted, in bytes (as written, before decoding).
pub const MAX_PERMALINK_BYTES: usize = 1024;

/// The reserved path `route` falls under ([`RESERVED`], [`LISTINGS`], or `/_` and its first
/// segment), if any.
/// Compared exactly (the server's routes are case-sensitive): `/api` and `/api/x` are
/// reserved, `/apiary` and `/API` are not.
pub fn reserved_by(route: &str) -> Option<&str> {
    if route.starts_with(RESERVED_PREFIX) {
        let end = route[1..].find('/').map_or(route.len(), |i| i + 1);
        return Some(&route[..end]);
    }
    RESERVED
        .iter()
        .chain(LISTINGS)
        .copied()
        .find(|reserved| route.strip_prefix(reserved).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// Whether `route` is one of the server's own paths or below one ([`reserved_by`]).
pub fn is_reserved(route: &str) -> bool {
    reserved_by(route).is_some()
}

/// A note's permalink: a route it may have (see the [module](self)). Built by
/// [`Permalink::parse`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permalink(String);

/// Why a frontmatter value is not a [`Permalink`]; every one is
/// [`ErrorCode::InvalidPermalink`]. The messages complete "permalink … is refused: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermalinkError {
    /// The frontmatter value is not a text (a number, a list…).
    #[error("it is not a text")]
    NotText,
    /// It is empty.
    #[error("it is empty")]
    Empty,
    /// It is `/`: the site's root, which is the home page (a build reads `permalink: /` as
    /// asking for the home page, as Obsidian Publish does).
    #[error("`/` is the home page")]
    Root,
    /// Longer than [`MAX_PERMALINK_BYTES`] (holds its length).
    #[error("it is {0} bytes long; the limit is {MAX_PERMALINK_BYTES}")]
    TooLong(usize),
    /// A `%` escape decodes to bytes that are not UTF-8.
    #[error("it percent-decodes to bytes that are not UTF-8")]
    InvalidEncoding,
    /// It has a `.` or `..` segment.
    #[error("it has a `.` or `..` segment")]
    DotSegment,
    /// It has an empty segment (`//`, as in `//host`).
    #[error("it has an empty segment (`//`)")]
    EmptySegment,
    /// It has a backslash.
    #[error("it has a backslash")]
    Backslash,
    /// It has a control character (newline, tab, DEL…).
    #[error("it has a control character")]
    ControlCharacter,
    /// It has `?` or `#`: a route is a path, without query or fragment.
    #[error("it has `?` or `#`")]
    QueryOrFragment,
    /// It is a path the server keeps for itself (holds the reserved path).
    #[error("{0} is a path the server keeps for itself")]
    Reserved(String),
    /// It is one of the site's listings ([`LISTINGS`]; holds the listing's path).
    #[error("{0} is the site's own listing")]
    Listing(String),
}

impl PermalinkError {
    /// The stable code of a publish that fails on it.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidPermalink
    }
}

impl Permalink {
    /// The permalink `text` names, decoded and normalised, or the first rule it breaks.
    pub fn parse(text: &str) -> Result<Self, PermalinkError> {
        if text.len() > MAX_PERMALINK_BYTES {
            return Err(PermalinkError::TooLong(text.len()));
        }
        if text.is_empty() {
            return Err(PermalinkError::Empty);
        }
        let decoded = crate::slug::decode_route(text);
        // Written from the site's root, with or without its `/`.
        let decoded = if decoded.starts_with('/') { decoded } else { format!("/{decoded}") };
        // `url::decode` turns bytes that are not UTF-8 into U+FFFD.
        if decoded.contains('\u{FFFD}') && !text.contains('\u{FFFD}') {
            return Err(PermalinkError::InvalidEncoding);
        }
        if decoded.chars().any(char::is_control) {
            return Err(PermalinkError::ControlCharacter);
        }
        if decoded.contains('\\') {
            return Err(PermalinkError::Backslash);
        }
        if decoded.contains(['?', '#']) {
            return Err(PermalinkError::QueryOrFragment);
        }
        let route = match decoded.strip_suffix('/') {
            Some(stripped) if !stripped.is_empty() => stripped,
            _ => decoded.as_str(),
        };
        if route == "/" {
            return Err(PermalinkError::Root);
        }
        for segment in route[1..].split('/') {
            match segment {
                "" => return Err(PermalinkError::EmptySegment),
                "." | ".." => return Err(PermalinkError::DotSegment),
                _ => {}
            }
        }
        if let Some(reserved) = reserved_by(route) {
            return Err(if LISTINGS.contains(&reserved) {
                PermalinkError::Listing(reserved.to_owned())
            } else {
                PermalinkError::Reserved(reserved.to_owned())
            });
        }
        Ok(Self(route.to_owned()))
    }

    /// The route (`/guides/start`): decoded, NFC, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The route, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Permalink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Permalink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permalink({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permalinks_are_decoded_routes_without_a_trailing_slash() {
        let table = [
            ("/about", "/about"),
            ("/about/", "/about"),
            ("/My/Path", "/My/Path"),
            ("/caf%C3%A9", "/café"),
            ("/cafe\u{301}", "/café"),
            ("/a b/c", "/a b/c"),
            ("/x_", "/x_"),
            ("/apiary", "/apiary"),
            ("/API", "/API"),
            ("/tagsoup", "/tagsoup"),
            ("/blog/_drafts", "/blog/_drafts"),
            ("/...", "/..."),
            ("about", "/about"),
            ("publish/setup", "/publish/setup"),
            ("caf%C3%A9/", "/café"),
        ];
        for (text, route) in table {
            assert_eq!(Permalink::parse(text).map(Permalink::into_string), Ok(route.to_owned()), "{text:?}");
        }
    }

    #[test]
    fn bad_permalinks_are_refused_with_the_rule_they_break() {
        let reserved = |path: &str| PermalinkError::Reserved(path.to_owned());
        let long = format!("/{}", "a".repeat(MAX_PERMALINK_BYTES));
        let table = [
            ("", PermalinkError::Empty),
            ("https://evil.example/x", PermalinkError::EmptySegment),
            ("//evil.example", PermalinkError::EmptySegment),
            ("../etc", PermalinkError::DotSegment),
            ("/", PermalinkError::Root),
            ("//", PermalinkError::Root),
            ("//host", PermalinkError::EmptySegment),
            ("//host/x", PermalinkError::EmptySegment),
            ("/a//b", PermalinkError::EmptySegment),
            ("/%2F/host", PermalinkError::EmptySegment),
            ("/a/../b", PermalinkError::DotSegment),
            ("/..", PermalinkError::DotSegment),
            ("/./a", PermalinkError::DotSegment),
            ("/a/%2E%2E", PermalinkError::DotSegment),
            ("/a\\b", PermalinkError::Backslash),
            ("/%5Chost", PermalinkError::Backslash),
            ("/a\u{0}b", PermalinkError::ControlCharacter),
            ("/a\nb", PermalinkError::ControlCharacter),
            ("/a%0D%0ALocation:x", PermalinkError::ControlCharacter),
            ("/a\u{7f}", PermalinkError::ControlCharacter),
            ("/a?b=1", PermalinkError::QueryOrFragment),
            ("/a#top", PermalinkError::QueryOrFragment),
            ("/a%3Fb", PermalinkError::QueryOrFragment),
            ("/%FF", PermalinkError::InvalidEncoding),
            (long.as_str(), PermalinkError::TooLong(long.len())),
            ("/_blob/x", reserved("/_blob")),
            ("/_site", reserved("/_site")),
            ("/_anything/else", reserved("/_anything")),
            ("/api", reserved("/api")),
            ("/api/session/start", reserved("/api")),
            ("/%61pi", reserved("/api")),
            ("/search/", reserved("/search")),
            ("/tags/x", PermalinkError::Listing("/tags".into())),
            ("tags", PermalinkError::Listing("/tags".into())),
            ("/recent", PermalinkError::Listing("/recent".into())),
            ("/assets/a.png", reserved("/assets")),
            ("/feed.xml", reserved("/feed.xml")),
            ("/health", reserved("/health")),
        ];
        for (text, error) in table {
            assert_eq!(Permalink::parse(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn every_reserved_path_is_a_route_and_refused_as_a_permalink() {
        for path in RESERVED {
            assert!(path.starts_with('/') && !path.ends_with('/'), "{path}");
            assert_eq!(Permalink::parse(path), Err(PermalinkError::Reserved((*path).to_owned())));
            assert!(is_reserved(&format!("{path}/below")));
        }
        for path in LISTINGS {
            assert_eq!(Permalink::parse(path), Err(PermalinkError::Listing((*path).to_owned())));
            assert!(is_reserved(path) && is_reserved(&format!("{path}/below")));
        }
        assert!(is_reserved("/_"));
    }
}
