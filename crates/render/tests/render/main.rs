//! Integration tests of `vps-render`, through its public API only.
//!
//! - `golden`: one Markdown input and its expected HTML per feature, in `tests/golden/`.
//!   Run with `UPDATE_GOLDEN=1 cargo test -p vps-render --test render` to rewrite the expected
//!   files after an intended change, then review the diff before committing it.
//! - `xss`: a table of hostile inputs that must come out inert.
//! - `vault`: every note of Obsidian's own help vault renders without a panic or a script.

mod api;
mod golden;
mod site;
mod vault;
mod xss;
