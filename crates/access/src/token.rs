//! Signed tokens: session cookies and share links, HMAC-SHA256 with a 32-byte key kept in the
//! data directory.
//!
//! A token is `<payload>.<mac>`, both URL-safe base64 without padding (cookie- and URL-safe):
//! the payload is `[version = 1][kind: 'S' session | 'H' share][key id: 8 bytes][JSON body]`,
//! the MAC is HMAC-SHA256 over the payload bytes (43 characters). The kind byte keeps a share
//! link from being accepted as a session and back; the key id (derived from the key by HMAC, so
//! it reveals nothing of it) tells "signed by another server" from "tampered with".
//!
//! [`Key::verify_session`] and [`Key::verify_share`] check, in order: the length (at most
//! [`MAX_TOKEN_BYTES`], before decoding), the shape, the version, the kind and the key id, the
//! MAC (constant-time, `hmac`'s `verify_slice`), then the body and its expiry against the `now`
//! given, then (share links) the generation. Each failure has its own [`TokenError`].
//!
//! Key file: `<data>/access-key`, 32 raw bytes, mode 0600, created by [`Key::load_or_create`]
//! (temp file → fsync → hard link, so two servers starting at once agree on one key). Share
//! links carry the `generation` of `<data>/share-generation` (absent = 0); [`revoke_all_shares`]
//! increments it, and links of older generations fail with [`TokenError::Revoked`].

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::AccessError;
use crate::config::{MAX_NAME_LEN, check_name};

/// Tokens longer than this are refused before decoding (a session token is ~150 bytes).
pub const MAX_TOKEN_BYTES: usize = 4096;
/// The longest route a share link may carry, in bytes.
pub const MAX_ROUTE_BYTES: usize = 2048;
/// The key file's name in the data directory.
pub const KEY_FILE: &str = "access-key";
/// The share-link generation file's name in the data directory.
pub const GENERATION_FILE: &str = "share-generation";

const VERSION: u8 = 1;
const KIND_SESSION: u8 = b'S';
const KIND_SHARE: u8 = b'H';
const KEY_ID_BYTES: usize = 8;
const HEADER_BYTES: usize = 2 + KEY_ID_BYTES;
const MAC_BYTES: usize = 32;
/// Base64 (no padding) of 32 bytes.
const MAC_CHARS: usize = 43;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused. None of the variants carries the token's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Longer than [`MAX_TOKEN_BYTES`] (or, when signing, a route over [`MAX_ROUTE_BYTES`] or
    /// an invalid reader name).
    #[error("the token is too long")]
    TooLong,
    /// Cut short: no MAC, or a MAC with fewer than 43 characters.
    #[error("the token is truncated")]
    Truncated,
    /// Not base64, or a payload that cannot be a token.
    #[error("the token is malformed")]
    Malformed,
    /// A version of the format this server does not know.
    #[error("the token has an unknown version")]
    UnsupportedVersion,
    /// A share link used as a session or the reverse.
    #[error("the token is of another kind")]
    WrongKind,
    /// Signed with another key (another server, or a key that was replaced).
    #[error("the token was signed with another key")]
    OtherKey,
    /// The MAC does not match the payload: changed after signing.
    #[error("the token was tampered with")]
    Tampered,
    /// Past its expiry.
    #[error("the token has expired")]
    Expired,
    /// A share link of an older generation (`vps-publish share --revoke-all` since).
    #[error("the share link was revoked")]
    Revoked,
}

/// A login: who, which version of their account (see [`crate::Reader::session_version`]), and
/// until when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionToken {
    pub reader: String,
    pub groups_version: u64,
    pub expires_at_s: u64,
}

/// A share link: one route, until when (Unix seconds), of which generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareToken {
    pub route: String,
    pub expires_at_s: u64,
    pub generation: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    r: String,
    v: u64,
    e: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareBody {
    p: String,
    e: u64,
    g: u64,
}

/// The signing key. `Debug` shows no byte of it.
#[derive(Clone)]
pub struct Key {
    bytes: [u8; Key::LEN],
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

impl Key {
    /// Key length in bytes.
    pub const LEN: usize = 32;

    /// A key from its bytes (tests; a server uses [`Key::load_or_create`]).
    #[must_use]
    pub fn from_bytes(bytes: [u8; Key::LEN]) -> Self {
        Key { bytes }
    }

    /// A new random key.
    ///
    /// # Errors
    /// [`AccessError::Crypto`] when the system's random number generator fails.
    pub fn generate() -> Result<Self, AccessError> {
        let mut bytes = [0u8; Key::LEN];
        getrandom::fill(&mut bytes).map_err(|error| AccessError::Crypto(format!("no random key: {error}")))?;
        Ok(Key { bytes })
    }

    /// The key of `<dir>/access-key`, created (random, mode 0600) when absent.
    ///
    /// # Errors
    /// [`AccessError::KeyFile`] when the file cannot be read or written, has a size other than
    /// 32 bytes, or may be read by others than its owner (mode not 0600 or 0400).
    pub fn load_or_create(dir: &Path) -> Result<Self, AccessError> {
        let path = dir.join(KEY_FILE);
        match read_key(&path) {
            Ok(key) => return Ok(key),
            Err(Missing::No(error)) => return Err(error),
            Err(Missing::Yes) => {}
        }
        let key = Key::generate()?;
        let temp = temp_path(dir, KEY_FILE)?;
        write_durably(&temp, &key.bytes)?;
        // A hard link never replaces an existing file: when two servers start at once, the
        // first link wins and both read that key back.
        let linked = std::fs::hard_link(&temp, &path);
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => sync_dir(dir)?,
            Err(error) if error.kind() == ErrorKind::AlreadyExists => {}
            Err(error) => return Err(key_file_error(&path, format!("cannot create: {error}"))),
        }
        read_key(&path).map_err(|missing| match missing {
            Missing::No(error) => error,
            Missing::Yes => key_file_error(&path, "vanished right after being written"),
        })
    }

    /// Signs a session token.
    ///
    /// # Errors
    /// [`TokenError::TooLong`] when the reader's name is not a valid reader name.
    pub fn sign_session(&self, token: &SessionToken) -> Result<String, TokenError> {
        if check_name(&token.reader).is_err() {
            return Err(TokenError::TooLong);
        }
        let body = SessionBody { r: token.reader.clone(), v: token.groups_version, e: token.expires_at_s };
        Ok(self.sign(KIND_SESSION, &serde_json::to_vec(&body).map_err(|_| TokenError::Malformed)?))
    }

    /// Checks a session token (a cookie's value) at `now_s` (Unix seconds).
    ///
    /// # Errors
    /// The first [`TokenError`] of the checks listed in the module's documentation.
    pub fn verify_session(&self, token: &str, now_s: u64) -> Result<SessionToken, TokenError> {
        let body = self.open(token, KIND_SESSION)?;
        let body: SessionBody = serde_json::from_slice(&body).map_err(|_| TokenError::Malformed)?;
        if body.r.len() > MAX_NAME_LEN {
            return Err(TokenError::Malformed);
        }
        if now_s >= body.e {
            return Err(TokenError::Expired);
        }
        Ok(SessionToken { reader: body.r, groups_version: body.v, expires_at_s: body.e })
    }

    /// Signs a share link's token.
    ///
    /// # Errors
    /// [`TokenError::TooLong`] for a route over [`MAX_ROUTE_BYTES`].
    pub fn sign_share(&self, token: &ShareToken) -> Result<String, TokenError> {
        if token.route.len() > MAX_ROUTE_BYTES {
            return Err(TokenError::TooLong);
        }
        let body = ShareBody { p: token.route.clone(), e: token.expires_at_s, g: token.generation };
        Ok(self.sign(KIND_SHARE, &serde_json::to_vec(&body).map_err(|_| TokenError::Malformed)?))
    }

    /// Checks a share link's token at `now_s` against the current `generation` (see
    /// [`share_generation`]). The caller then compares the route with the one requested.
    ///
    /// # Errors
    /// The first [`TokenError`] of the checks listed in the module's documentation.
    pub fn verify_share(&self, token: &str, now_s: u64, generation: u64) -> Result<ShareToken, TokenError> {
        let body = self.open(token, KIND_SHARE)?;
        let body: ShareBody = serde_json::from_slice(&body).map_err(|_| TokenError::Malformed)?;
        if now_s >= body.e {
            return Err(TokenError::Expired);
        }
        if body.g != generation {
            return Err(TokenError::Revoked);
        }
        Ok(ShareToken { route: body.p, expires_at_s: body.e, generation: body.g })
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; 32 bytes cannot fail.
        <HmacSha256 as KeyInit>::new_from_slice(&self.bytes)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    fn key_id(&self) -> [u8; KEY_ID_BYTES] {
        let mut mac = self.mac();
        // Payloads start with VERSION (1), so this input is never a payload.
        mac.update(b"\0vps-access key id");
        let digest = mac.finalize().into_bytes();
        let mut id = [0u8; KEY_ID_BYTES];
        id.copy_from_slice(&digest[..KEY_ID_BYTES]);
        id
    }

    fn sign(&self, kind: u8, body: &[u8]) -> String {
        let mut payload = Vec::with_capacity(HEADER_BYTES + body.len());
        payload.push(VERSION);
        payload.push(kind);
        payload.extend_from_slice(&self.key_id());
        payload.extend_from_slice(body);
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The body of a token of `kind` signed by this key, all checks but the body's own done.
    fn open(&self, token: &str, kind: u8) -> Result<Vec<u8>, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLong);
        }
        let (payload, tag) = token.split_once('.').ok_or(TokenError::Truncated)?;
        if tag.len() < MAC_CHARS {
            return Err(TokenError::Truncated);
        }
        if tag.len() > MAC_CHARS {
            return Err(TokenError::Malformed);
        }
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?;
        if tag.len() != MAC_BYTES || payload.len() <= HEADER_BYTES {
            return Err(TokenError::Malformed);
        }
        if payload[0] != VERSION {
            return Err(TokenError::UnsupportedVersion);
        }
        if payload[1] != kind {
            return Err(TokenError::WrongKind);
        }
        if payload[2..HEADER_BYTES] != self.key_id() {
            return Err(TokenError::OtherKey);
        }
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| TokenError::Tampered)?;
        Ok(payload[HEADER_BYTES..].to_vec())
    }
}

/// The current share-link generation: the number in `<dir>/share-generation`, 0 when absent.
///
/// # Errors
/// [`AccessError::KeyFile`] when the file cannot be read or does not hold a number.
pub fn share_generation(dir: &Path) -> Result<u64, AccessError> {
    let path = dir.join(GENERATION_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(key_file_error(&path, format!("cannot read: {error}"))),
    };
    let mut text = String::new();
    file.take(32).read_to_string(&mut text).map_err(|error| key_file_error(&path, format!("cannot read: {error}")))?;
    text.trim()
        .parse()
        .map_err(|_| key_file_error(&path, "does not hold a generation number; write 0, or the last one plus 1"))
}

/// Revokes every share link made so far: increments the generation (written durably: temp
/// file → fsync → rename → fsync of the directory) and returns the new one. Not meant to run
/// twice at the same instant (an operator's command); the last write wins.
///
/// # Errors
/// [`AccessError::KeyFile`] when the file cannot be read or written.
pub fn revoke_all_shares(dir: &Path) -> Result<u64, AccessError> {
    let path = dir.join(GENERATION_FILE);
    let next = share_generation(dir)?
        .checked_add(1)
        .ok_or_else(|| key_file_error(&path, "the generation cannot grow further"))?;
    let temp = temp_path(dir, GENERATION_FILE)?;
    write_durably(&temp, format!("{next}\n").as_bytes())?;
    if let Err(error) = std::fs::rename(&temp, &path) {
        let _ = std::fs::remove_file(&temp);
        return Err(key_file_error(&path, format!("cannot write: {error}")));
    }
    sync_dir(dir)?;
    Ok(next)
}

enum Missing {
    Yes,
    No(AccessError),
}

fn read_key(path: &Path) -> Result<Key, Missing> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == ErrorKind::NotFound => return Err(Missing::Yes),
        Err(error) => return Err(Missing::No(key_file_error(path, format!("cannot read: {error}")))),
    };
    let metadata =
        file.metadata().map_err(|error| Missing::No(key_file_error(path, format!("cannot read: {error}"))))?;
    if !metadata.is_file() {
        return Err(Missing::No(key_file_error(path, "is not a regular file")));
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Missing::No(key_file_error(
            path,
            format!("may be read by others (mode {mode:04o}); run `chmod 600` on it"),
        )));
    }
    if metadata.len() != Key::LEN as u64 {
        return Err(Missing::No(key_file_error(
            path,
            format!(
                "has {} bytes, a key has {}; delete it to make a new key (every login ends)",
                metadata.len(),
                Key::LEN
            ),
        )));
    }
    let mut bytes = [0u8; Key::LEN];
    file.read_exact(&mut bytes).map_err(|error| Missing::No(key_file_error(path, format!("cannot read: {error}"))))?;
    Ok(Key { bytes })
}

fn temp_path(dir: &Path, name: &str) -> Result<PathBuf, AccessError> {
    let nonce = getrandom::u64().map_err(|error| AccessError::Crypto(format!("no random file name: {error}")))?;
    Ok(dir.join(format!(".{name}.tmp-{nonce:016x}")))
}

/// Writes a new file of mode 0600 (refusing an existing one) and fsyncs it.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), AccessError> {
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    result.map_err(|error| {
        let _ = std::fs::remove_file(path);
        key_file_error(path, format!("cannot write: {error}"))
    })
}

fn sync_dir(dir: &Path) -> Result<(), AccessError> {
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|error| key_file_error(dir, format!("cannot sync the directory: {error}")))
}

fn key_file_error(path: &Path, message: impl Into<String>) -> AccessError {
    AccessError::KeyFile { path: path.to_owned(), message: message.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn key(byte: u8) -> Key {
        Key::from_bytes([byte; Key::LEN])
    }

    fn session() -> SessionToken {
        SessionToken { reader: "alice".to_owned(), groups_version: 42, expires_at_s: NOW + 3600 }
    }

    fn share() -> ShareToken {
        ShareToken { route: "/work/plan".to_owned(), expires_at_s: NOW + 7 * 86_400, generation: 3 }
    }

    /// The token with its payload's JSON body replaced (re-encoded, MAC kept).
    fn with_body(token: &str, edit: impl Fn(&str) -> String) -> String {
        let (payload, tag) = token.split_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
        let body = String::from_utf8(bytes.split_off(HEADER_BYTES)).unwrap();
        bytes.extend_from_slice(edit(&body).as_bytes());
        format!("{}.{tag}", URL_SAFE_NO_PAD.encode(bytes))
    }

    #[test]
    fn a_signed_session_verifies_until_it_expires() {
        let token = key(1).sign_session(&session()).unwrap();
        assert!(token.len() < 200, "{} bytes", token.len());
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')), "cookie-safe");
        assert_eq!(key(1).verify_session(&token, NOW), Ok(session()));
        assert_eq!(key(1).verify_session(&token, NOW + 3599).map(|s| s.reader), Ok("alice".to_owned()));
        assert_eq!(key(1).verify_session(&token, NOW + 3600), Err(TokenError::Expired));
    }

    #[test]
    fn a_session_with_a_changed_reader_or_expiry_is_tampered() {
        let token = key(1).sign_session(&session()).unwrap();
        let other_reader = with_body(&token, |body| body.replace("alice", "admin"));
        assert_eq!(key(1).verify_session(&other_reader, NOW), Err(TokenError::Tampered));
        let later = with_body(&token, |body| body.replace(&(NOW + 3600).to_string(), &(NOW + 999_999).to_string()));
        assert_eq!(key(1).verify_session(&later, NOW), Err(TokenError::Tampered));
        let mut flipped_mac = token.clone();
        let last = flipped_mac.pop().unwrap();
        flipped_mac.push(if last == 'A' { 'Q' } else { 'A' });
        assert_eq!(key(1).verify_session(&flipped_mac, NOW), Err(TokenError::Tampered));
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = key(2).sign_session(&session()).unwrap();
        assert_eq!(key(1).verify_session(&token, NOW), Err(TokenError::OtherKey));
        let link = key(2).sign_share(&share()).unwrap();
        assert_eq!(key(1).verify_share(&link, NOW, 3), Err(TokenError::OtherKey));
    }

    #[test]
    fn a_truncated_token_is_refused_as_truncated() {
        let token = key(1).sign_session(&session()).unwrap();
        for cut in [1, 5, MAC_CHARS, MAC_CHARS + 1, token.len() - 1] {
            assert_eq!(
                key(1).verify_session(&token[..token.len() - cut], NOW),
                Err(TokenError::Truncated),
                "cut {cut}"
            );
        }
        assert_eq!(key(1).verify_session("", NOW), Err(TokenError::Truncated));
    }

    #[test]
    fn garbage_and_oversized_tokens_are_refused_before_any_mac() {
        assert_eq!(key(1).verify_session(&"a".repeat(MAX_TOKEN_BYTES + 1), NOW), Err(TokenError::TooLong));
        assert_eq!(
            key(1).verify_session(&format!("{}.{}", "a".repeat(10_000_000), "b".repeat(43)), NOW),
            Err(TokenError::TooLong)
        );
        assert_eq!(key(1).verify_session(&format!("!!!.{}", "A".repeat(MAC_CHARS)), NOW), Err(TokenError::Malformed));
        assert_eq!(
            key(1).verify_session(&format!("AAAA.{}", "A".repeat(MAC_CHARS + 1)), NOW),
            Err(TokenError::Malformed)
        );
        let token = key(1).sign_session(&session()).unwrap();
        let (payload, tag) = token.split_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
        bytes[0] = 2;
        assert_eq!(
            key(1).verify_session(&format!("{}.{tag}", URL_SAFE_NO_PAD.encode(&bytes)), NOW),
            Err(TokenError::UnsupportedVersion)
        );
    }

    #[test]
    fn a_share_link_is_not_a_session_and_a_session_is_not_a_share_link() {
        let link = key(1).sign_share(&share()).unwrap();
        assert_eq!(key(1).verify_session(&link, NOW), Err(TokenError::WrongKind));
        let cookie = key(1).sign_session(&session()).unwrap();
        assert_eq!(key(1).verify_share(&cookie, NOW, 3), Err(TokenError::WrongKind));
    }

    #[test]
    fn a_share_link_opens_its_route_until_it_expires_or_is_revoked() {
        let link = key(1).sign_share(&share()).unwrap();
        assert_eq!(key(1).verify_share(&link, NOW, 3), Ok(share()));
        assert_eq!(key(1).verify_share(&link, NOW + 7 * 86_400, 3), Err(TokenError::Expired));
        assert_eq!(key(1).verify_share(&link, NOW, 4), Err(TokenError::Revoked));
        let other_route = with_body(&link, |body| body.replace("/work/plan", "/work/secret"));
        assert_eq!(key(1).verify_share(&other_route, NOW, 3), Err(TokenError::Tampered));
        let later =
            with_body(&link, |body| body.replace(&(NOW + 7 * 86_400).to_string(), &(NOW + 70 * 86_400).to_string()));
        assert_eq!(key(1).verify_share(&later, NOW, 3), Err(TokenError::Tampered));
    }

    #[test]
    fn overlong_routes_and_invalid_reader_names_are_not_signed() {
        let long = ShareToken { route: format!("/{}", "a".repeat(MAX_ROUTE_BYTES)), ..share() };
        assert_eq!(key(1).sign_share(&long), Err(TokenError::TooLong));
        let longest = ShareToken { route: "/".repeat(MAX_ROUTE_BYTES), ..share() };
        let token = key(1).sign_share(&longest).unwrap();
        assert!(token.len() <= MAX_TOKEN_BYTES, "the longest share link verifies: {} bytes", token.len());
        assert_eq!(key(1).verify_share(&token, NOW, 3), Ok(longest));
        let bad = SessionToken { reader: "a b".to_owned(), ..session() };
        assert_eq!(key(1).sign_session(&bad), Err(TokenError::TooLong));
    }

    #[test]
    fn the_key_is_created_once_with_mode_0600_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = Key::load_or_create(dir.path()).unwrap();
        let metadata = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap();
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
        assert_eq!(metadata.len(), 32);
        let again = Key::load_or_create(dir.path()).unwrap();
        let token = first.sign_session(&session()).unwrap();
        assert_eq!(again.verify_session(&token, NOW), Ok(session()), "the same key is read back");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [KEY_FILE], "no temporary file is left");
    }

    #[test]
    fn a_key_file_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Key::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = Key::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(error.contains("access-key") && error.contains("0644") && error.contains("chmod 600"), "{error}");
    }

    #[test]
    fn a_key_file_of_the_wrong_size_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, [7u8; 31]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let error = Key::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(error.contains("has 31 bytes, a key has 32"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), [7u8; 31], "the file is left for the operator");
    }

    #[test]
    fn revoking_all_share_links_fails_the_older_generations() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::load_or_create(dir.path()).unwrap();
        assert_eq!(share_generation(dir.path()).unwrap(), 0);
        let link = key.sign_share(&ShareToken { generation: 0, ..share() }).unwrap();
        assert!(key.verify_share(&link, NOW, share_generation(dir.path()).unwrap()).is_ok());
        assert_eq!(revoke_all_shares(dir.path()).unwrap(), 1);
        assert_eq!(revoke_all_shares(dir.path()).unwrap(), 2);
        assert_eq!(share_generation(dir.path()).unwrap(), 2);
        assert_eq!(key.verify_share(&link, NOW, share_generation(dir.path()).unwrap()), Err(TokenError::Revoked));
        assert_eq!(std::fs::read_to_string(dir.path().join(GENERATION_FILE)).unwrap(), "2\n");
        std::fs::write(dir.path().join(GENERATION_FILE), "two").unwrap();
        assert!(share_generation(dir.path()).unwrap_err().to_string().contains("share-generation"));
    }

    #[test]
    fn no_key_byte_appears_in_debug_output() {
        let shown = format!("{:?}", key(0xAB));
        assert_eq!(shown, "Key(<redacted>)");
    }
}
