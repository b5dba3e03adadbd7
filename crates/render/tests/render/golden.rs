//! Golden files: `tests/golden/<feature>.md` must render to `tests/golden/<feature>.html`,
//! byte for byte. `UPDATE_GOLDEN=1` rewrites the expected files instead of comparing.

use std::fs;
use std::path::{Path, PathBuf};

use crate::site::Site;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn every_feature_renders_exactly_as_its_golden_file() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let site = Site::new();
    let mut inputs: Vec<PathBuf> = fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 24, "expected one golden input per feature, found {}", inputs.len());

    let mut failures = Vec::new();
    for input in &inputs {
        let markdown = fs::read_to_string(input).expect("readable input");
        let html = site.render(&markdown).html;
        let expected_path = input.with_extension("html");
        if update {
            fs::write(&expected_path, &html).expect("writable golden file");
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected == html => {}
            Ok(expected) => failures.push(format!(
                "{}: output differs\n--- expected\n{expected}\n--- actual\n{html}",
                input.file_name().unwrap().to_string_lossy()
            )),
            Err(_) => failures.push(format!("{}: missing (run with UPDATE_GOLDEN=1)", expected_path.display())),
        }
    }
    assert!(failures.is_empty(), "{} golden file(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}
