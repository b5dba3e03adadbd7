//! A synthetic vault of any size, written to disk note by note: deterministic for a seed, in
//! O(notes + images) time and constant memory (every name and link is a function of a note's
//! number, so nothing is kept while writing).
//!
//! Its shape, for `notes` N:
//! - folders nested [`FAN_OUT`] wide (`Area 03/Topic 11/…`), as deep as needed for
//!   N / [`NOTES_PER_FOLDER`] leaf folders (3 levels of path at 10,000 notes, 4 at 100,000);
//!   each leaf folder holds [`NOTES_PER_FOLDER`] notes; `Home.md` at the root is the home page;
//! - note names of two made-up words and the note's number (`Kalo miren 004217.md`), unique, so
//!   every wikilink resolves to exactly one note;
//! - each note: frontmatter `tags` (two of a pool of flat and nested tags), an overview
//!   paragraph, `## Details` with an inline `#tag`, a list of four links to notes picked at
//!   random, `## References` with a link to the next note of its folder; every other note links
//!   to one of [`HUBS`] hub notes (which so get thousands of backlinks at 100,000 notes), every
//!   ninth has a callout, every fiftieth transcludes another note's `Details` section
//!   (`![[Name#Details]]`);
//! - `images` distinct PNG images (real PNGs: IHDR, zlib IDAT, IEND, CRCs; 16–64 px, a pattern
//!   of their own) in `attachments/`, each embedded by at least one note (notes 0…images−1, then
//!   every tenth note);
//! - optionally ([`generate`]'s `big_folder`), the last notes in one flat folder `Inbox/` (the
//!   case of a folder of thousands of notes: its listing, and the navigation of its pages).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Result;

/// Notes per leaf folder (the issue asks for folders of 20–50 entries).
pub const NOTES_PER_FOLDER: usize = 25;
/// Sub-folders per folder.
pub const FAN_OUT: usize = 20;
/// Notes that every other note links to, spread over the vault.
pub const HUBS: usize = 20;
/// Random links per note.
const RANDOM_LINKS: usize = 4;
/// The sentence the one-note change replaces ([`change_one_note`]).
const MARKER: &str = "This is revision one of this note.";
const CHANGED: &str = "This is revision two of this note: its body was edited for the benchmark.";
/// Folder names by level (deeper levels reuse the last).
const LEVELS: [&str; 4] = ["Area", "Topic", "Project", "Part"];
const SYLLABLES: [&str; 32] = [
    "ka", "lo", "mi", "ren", "ta", "so", "vel", "nor", "pi", "dun", "ha", "ri", "mo", "zel", "bra", "tin", "ce", "lu",
    "gar", "fe", "no", "sha", "qui", "ber", "do", "wen", "ly", "tro", "ma", "ki", "sol", "pe",
];
/// Accented words, mixed into the text now and then (search folds accents).
const ACCENTED: [&str; 4] = ["été", "café", "naïve", "crème"];

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct Synth {
    /// Where the vault is.
    pub dir: PathBuf,
    /// Notes written (`Home.md` included).
    pub notes: usize,
    /// PNG images written.
    pub images: usize,
    /// Folders written (`attachments/` excluded).
    pub folders: usize,
    /// Folder levels above the notes.
    pub depth: usize,
    /// Bytes of notes and images.
    pub bytes: u64,
    /// Words a reader would search for: common and rare words, two-word queries, a title, an
    /// accented word, an absent word.
    pub search_terms: Vec<String>,
    /// The note [`change_one_note`] edits (not a hub).
    pub note_to_change: PathBuf,
}

/// The flat folder of [`generate`]'s `big_folder` notes.
pub const BIG_FOLDER: &str = "Inbox";

/// Writes a vault of `notes` notes (at least 1) and `images` images (at most one per note) into
/// `dir`, which must be empty or absent; the last `big_folder` notes (at most all) go into one
/// flat folder, [`BIG_FOLDER`].
pub fn generate(dir: &Path, notes: usize, images: usize, big_folder: usize, seed: u64) -> Result<Synth> {
    if notes == 0 {
        return Err("a synthetic vault needs at least one note".into());
    }
    let images = images.min(notes);
    let vault = Vault::new(notes, images, big_folder, seed);
    fs::create_dir_all(dir)?;
    let mut bytes = 0u64;
    let mut folders = 0usize;
    let mut current_folder = None;
    for i in 0..notes {
        let leaf = vault.leaf(i);
        if current_folder != Some(leaf) {
            let folder = dir.join(vault.folder_of(i));
            fs::create_dir_all(&folder)?;
            // Count each folder once: a new leaf adds itself, and its ancestors when it is the
            // first leaf under them.
            folders += match leaf {
                Some(leaf) => 1 + (1..vault.depth).filter(|&up| leaf.is_multiple_of(FAN_OUT.pow(up as u32))).count(),
                None => 1,
            };
            current_folder = Some(leaf);
        }
        let text = vault.note(i);
        bytes += text.len() as u64;
        let path = dir.join(vault.folder_of(i)).join(format!("{}.md", vault.name(i)));
        fs::write(&path, text)?;
    }
    let home = vault.home();
    bytes += home.len() as u64;
    fs::write(dir.join("Home.md"), home)?;
    let attachments = dir.join("attachments");
    fs::create_dir_all(&attachments)?;
    for k in 0..images {
        let png = png_image(seed, k);
        bytes += png.len() as u64;
        fs::write(attachments.join(image_name(k)), png)?;
    }
    let mut change = notes / 2;
    while vault.is_hub(change) {
        change = (change + 1) % notes;
    }
    let note_to_change = dir.join(vault.folder_of(change)).join(format!("{}.md", vault.name(change)));
    let search_terms = vec![
        vault.word(1),
        vault.word(17),
        vault.word(200),
        format!("{} {}", vault.word(3), vault.word(40)),
        vault.name(notes / 3),
        vault.word(333),
        ACCENTED[0].to_owned(),
        vault.word(90),
        format!("{} {}", vault.word(7), vault.word(8)),
        "zzzqqq".to_owned(),
    ];
    Ok(Synth {
        dir: dir.to_owned(),
        notes: notes + 1,
        images,
        folders,
        depth: vault.depth,
        bytes,
        search_terms,
        note_to_change,
    })
}

/// Edits the body text of [`Synth::note_to_change`] (one sentence of its overview; its links,
/// headings and tags stay as they were).
pub fn change_one_note(synth: &Synth) -> Result<()> {
    let path = &synth.note_to_change;
    let text = fs::read_to_string(path)?;
    if !text.contains(MARKER) {
        return Err(format!("{} does not contain the sentence to change", path.display()).into());
    }
    fs::write(path, text.replacen(MARKER, CHANGED, 1))?;
    Ok(())
}

/// `img-00042.png`.
fn image_name(k: usize) -> String {
    format!("img-{k:05}.png")
}

/// The names and texts of one vault.
struct Vault {
    notes: usize,
    images: usize,
    /// Notes `notes - big..notes` are in [`BIG_FOLDER`].
    big: usize,
    seed: u64,
    /// Folder levels above the notes.
    depth: usize,
}

impl Vault {
    fn new(notes: usize, images: usize, big: usize, seed: u64) -> Self {
        let big = big.min(notes);
        let leaves = (notes - big).div_ceil(NOTES_PER_FOLDER);
        let mut depth = 1;
        while FAN_OUT.pow(depth as u32) < leaves {
            depth += 1;
        }
        Self { notes, images, big, seed, depth }
    }

    /// The leaf folder of note `i`; `None` for [`BIG_FOLDER`].
    fn leaf(&self, i: usize) -> Option<usize> {
        (i < self.notes - self.big).then_some(i / NOTES_PER_FOLDER)
    }

    /// The folder of note `i`, relative to the vault.
    fn folder_of(&self, i: usize) -> PathBuf {
        self.leaf(i).map_or_else(|| PathBuf::from(BIG_FOLDER), |leaf| self.folder(leaf))
    }

    /// The path of leaf folder `leaf`, relative to the vault: one segment per level.
    fn folder(&self, leaf: usize) -> PathBuf {
        let mut path = PathBuf::new();
        for level in 0..self.depth {
            let digit = leaf / FAN_OUT.pow((self.depth - 1 - level) as u32) % FAN_OUT;
            path.push(format!("{} {digit:02}", LEVELS[level.min(LEVELS.len() - 1)]));
        }
        path
    }

    /// A made-up word: two or three syllables, a function of `k`.
    fn word(&self, k: usize) -> String {
        let mut state = mix(self.seed ^ 0x5eed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let syllables = 2 + (state % 2) as usize;
        let mut word = String::new();
        for _ in 0..syllables {
            state = mix(state);
            word.push_str(SYLLABLES[(state % SYLLABLES.len() as u64) as usize]);
        }
        word
    }

    /// Note `i`'s name (its file name without `.md`, its title): unique by its number.
    fn name(&self, i: usize) -> String {
        let mut first = self.word(i % 509);
        if let Some(letter) = first.get_mut(0..1) {
            letter.make_ascii_uppercase();
        }
        format!("{first} {} {i:06}", self.word((i * 7 + 11) % 263))
    }

    fn hub(&self, k: usize) -> usize {
        k * self.notes / HUBS.min(self.notes)
    }

    fn is_hub(&self, i: usize) -> bool {
        (0..HUBS.min(self.notes)).any(|k| self.hub(k) == i)
    }

    fn tag(&self, k: usize) -> String {
        if k.is_multiple_of(4) { format!("topic/{}", self.word(1000 + k % 20)) } else { self.word(2000 + k % 60) }
    }

    /// `words` words of text drawn by `rng`, an accented one now and then.
    fn sentence_words(&self, rng: &mut Rng, words: usize) -> String {
        let mut text = String::new();
        for w in 0..words {
            if w > 0 {
                text.push(' ');
            }
            let pick = rng.below(600);
            if pick < 3 {
                text.push_str(ACCENTED[rng.below(ACCENTED.len())]);
            } else {
                // Skewed to the first words: some are common, most rare.
                let skewed = pick * pick / 600;
                text.push_str(&self.word(skewed));
            }
        }
        text
    }

    fn paragraph(&self, rng: &mut Rng, sentences: usize) -> String {
        let mut text = String::new();
        for s in 0..sentences {
            if s > 0 {
                text.push(' ');
            }
            let words = 6 + rng.below(10);
            let mut sentence = self.sentence_words(rng, words);
            if let Some(letter) = sentence.get_mut(0..1) {
                letter.make_ascii_uppercase();
            }
            text.push_str(&sentence);
            text.push('.');
        }
        text
    }

    /// A note other than `i`, at random.
    fn other(&self, rng: &mut Rng, i: usize) -> usize {
        if self.notes == 1 {
            return i;
        }
        let j = rng.below(self.notes - 1);
        if j >= i { j + 1 } else { j }
    }

    fn note(&self, i: usize) -> String {
        let mut rng = Rng(mix(self.seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)));
        let mut text = String::with_capacity(1600);
        let (t1, t2) = (rng.below(80), rng.below(80));
        text.push_str(&format!(
            "---\ntags: [{}, {}]\ncreated: 2024-{:02}-{:02}\n---\n\n",
            self.tag(t1),
            self.tag(t2),
            1 + i % 12,
            1 + i % 28
        ));
        text.push_str(&self.paragraph(&mut rng, 3));
        text.push(' ');
        text.push_str(MARKER);
        text.push_str(&format!(" It starts from [[{}]].\n\n", self.name(self.other(&mut rng, i))));
        text.push_str("## Details\n\n");
        text.push_str(&self.paragraph(&mut rng, 4));
        text.push_str(&format!(" #{}\n\n", self.word(3000 + rng.below(40))));
        for _ in 0..RANDOM_LINKS {
            let j = self.other(&mut rng, i);
            text.push_str(&format!("- [[{}]] — {}\n", self.name(j), self.sentence_words(&mut rng, 4)));
        }
        text.push('\n');
        if self.images > 0 && (i < self.images || i.is_multiple_of(10)) {
            let k = if i < self.images { i } else { (i / 10) % self.images };
            text.push_str(&format!("![[{}]]\n\n", image_name(k)));
        }
        if i % 9 == 4 {
            text.push_str(&format!(
                "> [!note] {}\n> {}\n\n",
                self.sentence_words(&mut rng, 3),
                self.paragraph(&mut rng, 2)
            ));
        }
        if i % 50 == 25 {
            text.push_str(&format!("![[{}#Details]]\n\n", self.name(self.other(&mut rng, i))));
        }
        text.push_str("## References\n\n");
        text.push_str(&self.paragraph(&mut rng, 2));
        let next = if (i + 1).is_multiple_of(NOTES_PER_FOLDER) || i + 1 == self.notes {
            i + 1 - NOTES_PER_FOLDER.min(i + 1)
        } else {
            i + 1
        };
        if next != i {
            text.push_str(&format!(" Next: [[{}]].", self.name(next)));
        }
        if i.is_multiple_of(2) {
            let hub = self.hub(rng.below(HUBS.min(self.notes)));
            if hub != i {
                text.push_str(&format!(" See also [[{}]].", self.name(hub)));
            }
        }
        text.push('\n');
        text
    }

    fn home(&self) -> String {
        let mut text = String::from("# Home\n\nA generated vault for the benchmarks. Start from the hubs:\n\n");
        for k in 0..HUBS.min(self.notes) {
            text.push_str(&format!("- [[{}]]\n", self.name(self.hub(k))));
        }
        text
    }
}

/// SplitMix64's finalizer.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = mix(self.0);
        self.0
    }

    /// Uniform enough in `0..n` (n ≥ 1).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Image `k`: a real PNG (8-bit RGB), 16–64 px a side, with a pattern and colours of its own,
/// so that every image is distinct.
pub fn png_image(seed: u64, k: usize) -> Vec<u8> {
    let mut rng = Rng(mix(seed ^ 0x1a2b_3c4d ^ (k as u64).wrapping_mul(0xA24B_AED4_963E_E407)));
    let width = 16 + rng.below(49) as u32;
    let height = 16 + rng.below(49) as u32;
    let (r0, g0, b0) = (rng.next() as u8, rng.next() as u8, rng.next() as u8);
    let mut raw = Vec::with_capacity((height * (1 + width * 3)) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            let noise = (rng.next() & 0x1f) as u8;
            raw.push(r0.wrapping_add((x * 4) as u8) ^ noise);
            raw.push(g0.wrapping_add((y * 4) as u8));
            raw.push(b0.wrapping_add(((x + y) * 2) as u8) ^ (k as u8));
        }
    }
    let mut idat = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    idat.write_all(&raw).expect("writing to a Vec");
    let idat = idat.finish().expect("writing to a Vec");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, no filter variants, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &ihdr[..]), (b"IDAT", &idat[..]), (b"IEND", &[][..])] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    }
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vault_is_deterministic_and_its_links_resolve() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let first = generate(a.path(), 120, 10, 30, 7).unwrap();
        generate(b.path(), 120, 10, 30, 7).unwrap();
        assert_eq!(first.notes, 121);
        assert_eq!(first.depth, 1);
        let files_a: Vec<String> = crate::files_under(a.path()).unwrap().into_iter().map(|(f, _)| f).collect();
        let files_b: Vec<String> = crate::files_under(b.path()).unwrap().into_iter().map(|(f, _)| f).collect();
        assert_eq!(files_a, files_b);
        let names: std::collections::HashSet<String> = files_a
            .iter()
            .filter_map(|f| f.strip_suffix(".md"))
            .map(|f| f.rsplit('/').next().unwrap().to_owned())
            .collect();
        assert_eq!(names.len(), 121, "note names are unique");
        assert_eq!(files_a.iter().filter(|f| f.starts_with("Inbox/")).count(), 30);
        for file in files_a.iter().filter(|f| f.ends_with(".md")) {
            let text = fs::read_to_string(a.path().join(file)).unwrap();
            assert_eq!(text, fs::read_to_string(b.path().join(file)).unwrap());
            for link in text.split("[[").skip(1) {
                let target = link.split("]]").next().unwrap().split('#').next().unwrap();
                assert!(names.contains(target) || target.starts_with("img-"), "{file}: [[{target}]]");
            }
        }
        change_one_note(&first).unwrap();
        assert!(fs::read_to_string(&first.note_to_change).unwrap().contains(CHANGED));
    }

    #[test]
    fn images_are_real_distinct_pngs() {
        let a = png_image(1, 0);
        let b = png_image(1, 1);
        assert_ne!(a, b);
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"));
        assert!(a.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
    }

    #[test]
    fn large_vaults_nest_deeper() {
        assert_eq!(Vault::new(10_000, 0, 0, 0).depth, 2);
        assert_eq!(Vault::new(100_000, 0, 0, 0).depth, 3);
        assert_eq!(Vault::new(100_000, 0, 0, 0).folder(3999), PathBuf::from("Area 09/Topic 19/Project 19"));
        let with_inbox = Vault::new(10_000, 0, 2_000, 0);
        assert_eq!(with_inbox.folder_of(7_999), PathBuf::from("Area 15/Topic 19"));
        assert_eq!(with_inbox.folder_of(8_000), PathBuf::from(BIG_FOLDER));
    }
}
