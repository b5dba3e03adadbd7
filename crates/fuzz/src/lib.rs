//! Fuzz targets of vps-publish, on stable Rust.
//!
//! Each [`Target`] generates inputs with a [proptest] strategy biased towards what breaks parsers
//! (deep nesting, `..`, huge counts, truncations, gzip bombs, base64 garbage, hostile HTML) and
//! checks properties that must hold for *every* input: no panic, no 5xx, no script in a page,
//! nothing left in the temp directory, memory within the caps. A failing input is shrunk by
//! proptest to a minimal one and printed.
//!
//! Two ways to run a target ([`run`]):
//! - [`Mode::Short`]: the checked-in seeds (`crates/fuzz/seeds/<target>/`), then a fixed number
//!   of generated cases from a fixed RNG seed. Deterministic; `cargo test -p vps-fuzz` runs every
//!   target this way (a few seconds each).
//! - [`Mode::Long`]: the seeds, then generated cases from fresh RNG seeds until a wall-clock
//!   duration has passed; prints one [`Summary`] line. `scripts/fuzz.sh <target> <minutes>`.
//!
//! Heap use is counted by a global allocator ([`alloc`]): a single allocation over
//! [`alloc::SINGLE_ALLOCATION_BUDGET`] is refused (the process aborts with "memory allocation of
//! N bytes failed"), and the current input is written to `target/fuzz/<target>/current-input.txt`
//! before each case in long mode, so that an abort leaves the input that caused it.
//!
//! ```no_run
//! let summary = vps_fuzz::run("path", vps_fuzz::Mode::Short { cases: 500, seed: 1 }).unwrap();
//! assert_eq!(summary.crashes, 0);
//! ```

#![warn(missing_docs)]

pub mod alloc;
mod engine;
mod inputs;
mod targets;

pub use engine::{Mode, Summary, Target};

/// The targets, by the name `scripts/fuzz.sh` takes.
pub const TARGETS: &[&str] = &["path", "envelope", "chunks-open", "multipart", "render", "cleanup"];

/// Runs the target called `name`; `Err` for an unknown name.
pub fn run(name: &str, mode: Mode) -> Result<Summary, String> {
    match name {
        "path" => Ok(engine::run(&targets::path::PathTarget, mode)),
        "envelope" => Ok(engine::run(&targets::envelope::EnvelopeTarget::new(), mode)),
        "chunks-open" => Ok(engine::run(&targets::chunks_open::ChunksOpenTarget::new(), mode)),
        "multipart" => Ok(engine::run(&targets::multipart::MultipartTarget::new(), mode)),
        "render" => Ok(engine::run(&targets::render::RenderTarget, mode)),
        "cleanup" => Ok(engine::run(&targets::cleanup::CleanupTarget, mode)),
        other => Err(format!("unknown target {other:?}; the targets are {}", TARGETS.join(", "))),
    }
}

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;
