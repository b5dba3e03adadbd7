//! Kept only for `render-bench` (crates/bench, not a test): it resolves the links of the pages it
//! renders by itself. No test uses this; when render-bench takes the engine's resolver (issue 13,
//! item 2), delete this file.

use std::collections::HashMap;

use vps_core::slug::nfc;

use super::file_name;

/// `\` → `/`, and leading `./` and `/` removed.
pub fn clean_path(target: &str) -> String {
    let mut path = target.replace('\\', "/");
    loop {
        if let Some(rest) = path.strip_prefix("./") {
            path = rest.to_owned();
        } else if let Some(rest) = path.strip_prefix('/') {
            path = rest.to_owned();
        } else {
            return path;
        }
    }
}

/// A vault file by exact path, then path suffix, then file name; among several, the shortest
/// path wins (then the first in byte order). Compared in NFC.
pub struct FileResolver<'a> {
    files: HashMap<String, &'a str>,
    by_name: HashMap<String, Vec<&'a str>>,
}

impl<'a> FileResolver<'a> {
    pub fn new(files: &'a [String]) -> Self {
        let mut by_name: HashMap<String, Vec<&str>> = HashMap::new();
        for file in files {
            by_name.entry(nfc(file_name(file)).into_owned()).or_default().push(file);
        }
        Self { files: files.iter().map(|file| (nfc(file).into_owned(), file.as_str())).collect(), by_name }
    }

    pub fn resolve(&self, target: &str) -> Option<&'a str> {
        let target = nfc(target);
        if let Some(exact) = self.files.get(target.as_ref()) {
            return Some(exact);
        }
        let candidates = self.by_name.get(nfc(file_name(&target)).as_ref())?;
        let shortest = |paths: &mut dyn Iterator<Item = &'a str>| paths.min_by_key(|path| (path.len(), *path));
        let suffix = format!("/{target}");
        shortest(&mut candidates.iter().copied().filter(|path| nfc(path).ends_with(&suffix)))
            .or_else(|| shortest(&mut candidates.iter().copied()))
    }
}
