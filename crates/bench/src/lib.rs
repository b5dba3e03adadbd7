//! Helpers shared by the benchmarks of vps-publish: command-line values, verdicts, and the real
//! server run as a child process ([`server`]).

use std::error::Error;
use std::str::FromStr;

pub mod server;

pub type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

pub const MIB: u64 = 1024 * 1024;

/// The value that follows `flag` on the command line, parsed.
pub fn value<T: FromStr>(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<T> {
    let raw = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
    raw.parse().map_err(|_| format!("{flag}: invalid value {raw:?}").into())
}

/// How a report says whether a target is met.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}
