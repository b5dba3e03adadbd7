//! Argon2id password hashes (the `argon2` crate's default costs: m=19456 KiB, t=2, p=1).
//!
//! Passwords longer than [`MAX_PASSWORD_BYTES`] are refused before any hashing, so a 10 MB
//! password costs a length check. A login for a reader that does not exist spends one hash
//! against [`DUMMY_HASH`] (same costs as [`hash_password`]'s), so the time of an answer does not
//! tell whether the name exists.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::{AccessConfig, AccessError, Reader};

/// The longest password accepted, in bytes (UTF-8).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The salt length of new hashes, in bytes.
const SALT_BYTES: usize = 16;

/// A hash (of a throwaway password; the answer is ignored either way), with the costs [`hash_password`] uses; verified against
/// when the reader does not exist, so that a miss costs what a hit costs.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$iBSgJveR2P3AGhL6t5LYPA$D0l4+WfkMRRnwwf/ANIfY6txf0iHn/jDrvYNHdOqioQ";

/// Hashes `password` with Argon2id and a random 16-byte salt, as a PHC string for the
/// configuration file (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
///
/// # Errors
/// [`AccessError::PasswordEmpty`], [`AccessError::PasswordTooLong`] (before hashing), or
/// [`AccessError::Crypto`] when the system's random number generator fails.
pub fn hash_password(password: &str) -> Result<String, AccessError> {
    if password.is_empty() {
        return Err(AccessError::PasswordEmpty);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccessError::PasswordTooLong { max: MAX_PASSWORD_BYTES });
    }
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt).map_err(|error| AccessError::Crypto(format!("no random salt: {error}")))?;
    let hash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|error| AccessError::Crypto(format!("hashing failed: {error}")))?;
    Ok(hash.to_string())
}

/// Whether `candidate` matches `hash` (a PHC string). `false` for a malformed hash, and for a
/// candidate longer than [`MAX_PASSWORD_BYTES`] without hashing it. The output comparison is
/// constant-time (the `password-hash` crate compares `Output`s so).
#[must_use]
pub fn verify_password(hash: &str, candidate: &str) -> bool {
    if candidate.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    Argon2::default().verify_password(candidate.as_bytes(), hash).is_ok()
}

impl AccessConfig {
    /// The reader named `name` if `password` is theirs. Spends one hash whether or not the
    /// reader exists (against [`DUMMY_HASH`] when not); a password over [`MAX_PASSWORD_BYTES`]
    /// is refused without hashing. Failures are not counted here: see [`crate::LoginLimiter`].
    #[must_use]
    pub fn authenticate(&self, name: &str, password: &str) -> Option<&Reader> {
        if password.len() > MAX_PASSWORD_BYTES {
            return None;
        }
        match self.reader(name) {
            Some(reader) => verify_password(reader.password_hash(), password).then_some(reader),
            None => {
                let _ = verify_password(DUMMY_HASH, password);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with_alice(hash: &str) -> AccessConfig {
        let table: toml::Value = toml::from_str(&format!(
            "site = \"private\"\n[readers.alice]\npassword = \"{hash}\"\ngroups = [\"team\"]\n"
        ))
        .unwrap();
        AccessConfig::parse(&table).unwrap()
    }

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password(&hash, "correct horse battery staple"));
        assert!(!verify_password(&hash, "correct horse battery stapl"));
        assert!(!verify_password(&hash, ""));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        assert_ne!(hash_password("same").unwrap(), hash_password("same").unwrap());
    }

    #[test]
    fn a_ten_megabyte_password_is_refused_without_hashing() {
        let huge = "a".repeat(10 * 1024 * 1024);
        assert!(matches!(hash_password(&huge), Err(AccessError::PasswordTooLong { max: MAX_PASSWORD_BYTES })));
        // A hash with impossible costs: were the candidate hashed, this would fail differently
        // (or take minutes); the length check answers first.
        assert!(!verify_password(
            "$argon2id$v=19$m=4294967295,t=4294967295,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            &huge
        ));
        let config = config_with_alice(&hash_password("a").unwrap());
        assert!(config.authenticate("alice", &huge).is_none());
        let longest = "a".repeat(MAX_PASSWORD_BYTES);
        let hash = hash_password(&longest).unwrap();
        assert!(verify_password(&hash, &longest));
    }

    #[test]
    fn an_empty_password_cannot_be_hashed() {
        assert!(matches!(hash_password(""), Err(AccessError::PasswordEmpty)));
    }

    #[test]
    fn a_malformed_hash_verifies_nothing() {
        assert!(!verify_password("plain-text-password", "plain-text-password"));
        assert!(!verify_password("", ""));
    }

    #[test]
    fn authenticate_returns_the_reader_only_for_the_right_password() {
        let config = config_with_alice(&hash_password("s3cret").unwrap());
        assert_eq!(config.authenticate("alice", "s3cret").map(Reader::name), Some("alice"));
        assert!(config.authenticate("alice", "wrong").is_none());
        assert!(config.authenticate("bob", "s3cret").is_none());
    }

    #[test]
    fn the_dummy_hash_of_unknown_readers_costs_what_a_new_hash_costs() {
        // Same algorithm, version and costs as `hash_password`, so a miss spends one real hash.
        let fresh = hash_password("x").unwrap();
        let prefix = |hash: &str| hash.rsplitn(3, '$').nth(2).unwrap().to_owned();
        assert_eq!(prefix(DUMMY_HASH), prefix(&fresh));
        assert!(argon2::PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(verify_password(DUMMY_HASH, "x"), "the dummy is a real hash (of a throwaway password)");
    }
}
