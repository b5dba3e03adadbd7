//! One module per target.

pub(crate) mod chunks_open;
pub(crate) mod cleanup;
pub(crate) mod envelope;
pub(crate) mod multipart;
pub(crate) mod path;
pub(crate) mod render;

/// `Err(message)` unless `condition`.
pub(crate) fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message()) }
}

/// Seed files hold one input per line (without its `\n`), for targets whose inputs are lines.
pub(crate) fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes).split('\n').map(str::to_owned).collect()
}
