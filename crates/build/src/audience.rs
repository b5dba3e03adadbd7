//! Who may read each page of the new site ([`decide_all`]), and what that makes of it in the
//! site the build lays out, which is the anonymous reader's ([`listed_for_everyone`]).
//!
//! A page's access is decided again in every build, from its head (the frontmatter `access:`
//! and `unlisted:` as written, kept in the manifest) and the server's current rules, so a kept
//! page follows a changed rule without its note being read.

use serde_json::{Map, Value};
use vps_access::{AccessConfig, Audience, PageAccess};

use crate::error::BuildError;
use crate::select::Entry;

/// Every note's access, in the order of `routed`. Without an `[access]` table every page is
/// public, as before access control existed: `access:` means nothing, `unlisted: true` still
/// keeps a page out of listings.
///
/// # Errors
/// [`BuildError::Access`] naming the first note whose `access:` or `unlisted:` is invalid.
pub(crate) fn decide_all(
    routed: &[(String, Entry)],
    config: Option<&AccessConfig>,
) -> Result<Vec<PageAccess>, BuildError> {
    routed
        .iter()
        .map(|(_, entry)| {
            let head = &entry.head;
            let Some(config) = config else {
                let unlisted = head.unlisted == Some(Value::Bool(true));
                return Ok(PageAccess { audience: Audience::Public, unlisted });
            };
            let mut frontmatter = Map::new();
            for (name, value) in [("access", &head.access), ("unlisted", &head.unlisted)] {
                if let Some(value) = value {
                    frontmatter.insert(name.to_owned(), value.clone());
                }
            }
            Ok(vps_access::decide(config, &entry.vault_path, &frontmatter)?.access)
        })
        .collect()
}

/// Whether the page appears in the anonymous reader's site: navigation, backlinks, tags,
/// listings, search, feed, sitemap. A protected page is laid out in that site too (its chrome
/// names only such pages) but, like an unlisted one, is listed nowhere.
pub(crate) fn listed_for_everyone(access: &PageAccess) -> bool {
    !access.unlisted && access.audience.is_public()
}
