//! Access control for vps-publish, as a library: who may read what, and how a reader proves
//! who they are. No I/O except the key files of [`token::Key`]; no server wiring (the server
//! and the build call these functions).
//!
//! - [`config`]: the `[access]` table of the server's TOML file (readers, groups, folder rules),
//!   validated and bounded.
//! - [`policy`]: which audience a page has and why (frontmatter › deepest folder rule › site).
//! - [`password`]: Argon2id hashes; login that spends one hash whether or not the reader exists.
//! - [`token`]: HMAC-SHA256 signed session cookies and share links; the key file (0600).
//! - [`limit`]: failed-login rate limits per client address and globally, bounded memory.
//!
//! Secrets (passwords, hashes, keys, token values) never appear in a `Debug` or `Display`
//! output of this crate's types: those are written by hand and redact them.

pub mod config;
pub mod limit;
pub mod password;
pub mod policy;
pub mod token;

mod error;

pub use config::{AccessConfig, FolderRule, Reader, SiteMode};
pub use error::AccessError;

pub use limit::{Limits as LoginLimits, LoginLimiter, RetryAfter};
pub use password::{MAX_PASSWORD_BYTES, hash_password, verify_password};
pub use policy::{Audience, Decision, PageAccess, Reason, decide, decide_folder};
pub use token::{Key, SessionToken, ShareToken, TokenError, revoke_all_shares, share_generation};

/// Compares two byte strings in time that depends only on their lengths, not on where they
/// differ (for CSRF tokens and the like; tokens of this crate use HMAC's own comparison).
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_eq_tells_equal_from_different_and_different_lengths() {
        assert!(constant_time_eq(b"csrf-token", b"csrf-token"));
        assert!(!constant_time_eq(b"csrf-token", b"csrf-tokeN"));
        assert!(!constant_time_eq(b"csrf-token", b"csrf-toke"));
        assert!(constant_time_eq(b"", b""));
    }
}
