//! The short run of every fuzz target, part of `cargo test`: the checked-in seeds, then a fixed
//! number of cases generated from a fixed RNG seed, so that a run is repeatable. A failure prints
//! the property that broke and the minimal input proptest shrank it to.
//!
//! `cargo test -p vps-fuzz --test fuzz -- render` runs the targets whose name contains `render`.
//! `VPS_FUZZ_CASES=N` changes how many cases are generated per target.

use std::process::ExitCode;

/// Generated cases per target: each target's short run takes a few seconds in a debug build.
const CASES: &[(&str, u32)] =
    &[("path", 3000), ("envelope", 300), ("chunks-open", 200), ("multipart", 300), ("render", 150), ("cleanup", 600)];

fn main() -> ExitCode {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let cases_override = std::env::var("VPS_FUZZ_CASES").ok().and_then(|v| v.parse().ok());
    let (mut passed, mut failed) = (0, 0);
    for &(target, cases) in CASES {
        if !filters.is_empty() && !filters.iter().any(|f| target.contains(f.as_str())) {
            continue;
        }
        let mode = vps_fuzz::Mode::Short { cases: cases_override.unwrap_or(cases), seed: 11 };
        let summary = vps_fuzz::run(target, mode).expect("a known target");
        println!("{summary}");
        if summary.crashes == 0 {
            passed += 1;
        } else {
            for failure in &summary.failures {
                println!("fuzz {target}: FAILED: {failure}");
            }
            failed += 1;
        }
    }
    println!("fuzz: {passed} passed, {failed} failed");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
