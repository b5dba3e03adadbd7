//! A vault of any size, generated on disk: the same files for the same size on every run (a
//! seeded xorshift, no clock), shaped like a large real vault.
//!
//! - `Home.md` (the site's home) links to the hub and a few notes; `Hub.md` is linked from every
//!   tenth note (hundreds of backlinks);
//! - the other notes, `Note 00000.md`…, live in 72 folders two or three levels deep
//!   (`Area 3/Topic 2/Deeper/`), except every eighth one, which is in the flat `Inbox/` (more
//!   notes than a listing shows on one page past a few thousand notes);
//! - each note has a heading, two paragraphs, three wikilinks to other notes (some with an
//!   alias), one or two nested tags (`#topic/t7`), every third one the frontmatter tag
//!   `status/draft` (a tag on a third of the vault), every twentieth one an image embed;
//! - every seventh note is an **orphan**: no tag, no link in or out, so that only the folder
//!   navigation leads to it;
//! - `Attachments/` holds small real PNG images (a browser decodes them).
//!
//! Read it with [`crate::vault::scan`], the product's own scan.
//!
//! ```no_run
//! let dir = tempfile::tempdir().unwrap();
//! let generated = vps_testkit::generated_vault::write(dir.path(), 5_000).unwrap();
//! let vault = vps_testkit::vault::scan(dir.path()).unwrap();
//! assert_eq!(vault.notes.len(), generated.notes.len());
//! ```

use std::fmt::Write as _;
use std::path::Path;

/// Areas × topics: with a `Deeper` folder under every even topic, 72 folders that hold notes.
const AREAS: usize = 8;
const TOPICS: usize = 6;
const TOPIC_TAGS: u64 = 20;
const WORDS: &[&str] = &[
    "garden", "river", "lantern", "quartz", "meadow", "signal", "harbor", "copper", "thistle", "orbit", "ledger",
    "willow", "ember", "atlas", "cedar", "prism", "canyon", "velvet", "mosaic", "tundra", "beacon", "saffron",
    "glacier", "compass", "fable", "nectar", "summit", "raven", "delta", "juniper",
];

/// What [`write()`] wrote, as vault paths with `/`.
#[derive(Debug, Clone)]
pub struct GeneratedVault {
    /// Every note, `Home.md` and `Hub.md` first.
    pub notes: Vec<String>,
    /// The notes nothing links to and that have no tag.
    pub orphans: Vec<String>,
    /// The images in `Attachments/`.
    pub images: Vec<String>,
}

/// Writes a vault of `notes` notes (at least 10) into `root`, an empty directory.
pub fn write(root: &Path, notes: usize) -> std::io::Result<GeneratedVault> {
    let notes = notes.max(10);
    let body_notes = notes - 2;
    let mut random = XorShift(0x5EED_CAFE_F00D_0001);

    let mut leaves = Vec::new();
    for area in 0..AREAS {
        for topic in 0..TOPICS {
            leaves.push(format!("Area {area}/Topic {topic}"));
            if topic % 2 == 0 {
                leaves.push(format!("Area {area}/Topic {topic}/Deeper"));
            }
        }
    }
    let image_count = (notes / 50).clamp(1, 200);
    let images: Vec<String> = (0..image_count).map(|k| format!("Attachments/image {k:03}.png")).collect();
    for (k, image) in images.iter().enumerate() {
        let shade = (k * 37 % 200) as u8;
        let png = crate::image_png(4 + (k % 5) as u32, 3, [shade, 120, 255 - shade]);
        write_file(root, image, &png)?;
    }

    let is_orphan = |i: usize| i % 7 == 3;
    let name = |i: usize| format!("Note {i:05}");
    // Another note that is not an orphan (so that nothing links to an orphan).
    let linked = |random: &mut XorShift| loop {
        let i = random.below(body_notes as u64) as usize;
        if !is_orphan(i) {
            return i;
        }
    };

    let mut paths = vec!["Home.md".to_owned(), "Hub.md".to_owned()];
    let mut orphans = Vec::new();
    for i in 0..body_notes {
        let folder =
            if i % 8 == 0 { "Inbox".to_owned() } else { leaves[random.below(leaves.len() as u64) as usize].clone() };
        let path = format!("{folder}/{}.md", name(i));
        let mut text = String::new();
        let orphan = is_orphan(i);
        if !orphan && i % 3 == 0 {
            text.push_str("---\ntags: [status/draft]\n---\n");
        }
        let _ = writeln!(text, "# {}\n", name(i));
        text.push_str(&sentence(&mut random, 30));
        if !orphan {
            let (a, b, c) = (linked(&mut random), linked(&mut random), linked(&mut random));
            let _ = write!(text, " See [[{}]], [[{}|{}]] and [[{}]].", name(a), name(b), word(&mut random), name(c));
            let _ = write!(text, " #topic/t{}", random.below(TOPIC_TAGS));
            if i % 2 == 0 {
                let _ = write!(text, " #topic/t{}/sub", random.below(TOPIC_TAGS));
            }
            if i % 10 == 0 {
                text.push_str(" Back to the [[Hub]].");
            }
        }
        let _ = write!(text, "\n\n## {}\n\n", word(&mut random));
        text.push_str(&sentence(&mut random, 40));
        text.push('\n');
        if !orphan && i % 20 == 0 {
            let image = &images[random.below(images.len() as u64) as usize];
            let _ = writeln!(text, "\n![[{}]]", crate::vault::file_name(image));
        }
        write_file(root, &path, text.as_bytes())?;
        if orphan {
            orphans.push(path.clone());
        }
        paths.push(path);
    }

    let mut home = String::from("# Home\n\nWelcome to the generated vault. Start at the [[Hub]]");
    for _ in 0..3 {
        let _ = write!(home, ", or [[{}]]", name(linked(&mut random)));
    }
    home.push_str(".\n");
    write_file(root, "Home.md", home.as_bytes())?;
    let hub = format!("# Hub\n\nThe note every tenth note links to.\n\n{}\n", sentence(&mut random, 20));
    write_file(root, "Hub.md", hub.as_bytes())?;
    Ok(GeneratedVault { notes: paths, orphans, images })
}

fn write_file(root: &Path, vault_path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = root.join(vault_path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)
}

fn word(random: &mut XorShift) -> &'static str {
    WORDS[random.below(WORDS.len() as u64) as usize]
}

/// `count` words, capitalised, with a full stop.
fn sentence(random: &mut XorShift, count: usize) -> String {
    let words: Vec<&str> = (0..count).map(|_| word(random)).collect();
    let text = words.join(" ");
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// xorshift64: deterministic, good enough to spread links and folders.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_size_gives_the_same_vault_and_the_product_reads_every_note_and_link() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = write(one.path(), 300).unwrap();
        write(two.path(), 300).unwrap();
        for path in first.notes.iter().chain(&first.images) {
            let (a, b) = (std::fs::read(one.path().join(path)).unwrap(), std::fs::read(two.path().join(path)).unwrap());
            assert_eq!(a, b, "{path}");
        }
        let vault = crate::vault::scan(one.path()).unwrap();
        assert_eq!(vault.notes.len(), 300);
        assert!(vault.unresolved_embeds.is_empty(), "{:?}", vault.unresolved_embeds);
        assert!(!vault.assets.is_empty());
        assert_eq!(first.orphans.len(), (0..298).filter(|i| i % 7 == 3).count());
        let orphan = vault.notes.iter().find(|note| note.vault_path == first.orphans[0]).unwrap();
        assert!(!orphan.content.contains("[[") && !orphan.content.contains("#topic"), "{}", orphan.content);
        let orphan_name = crate::vault::file_name(&first.orphans[0]).trim_end_matches(".md");
        assert!(vault.notes.iter().all(|note| !note.content.contains(&format!("[[{orphan_name}"))));
        assert!(first.notes.iter().any(|path| path.contains("/Deeper/")));
        assert!(first.notes.iter().any(|path| path.starts_with("Inbox/")));
    }
}
