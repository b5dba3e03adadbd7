//! A vault written in every script (issue 12), made on disk by the tests, and what a reader of
//! its published site must find there.
//!
//! [`multi_script_vault`] writes notes and folders named in Japanese, Chinese, Korean, Russian,
//! Greek, Arabic, Hebrew and Hindi, an emoji name, full-width Latin, mixed scripts, a French
//! name stored in NFD (as macOS writes it) and linked in NFC, an image stored in NFD and
//! embedded in NFC, names that differ only by case (in two folders) or punctuation (a real
//! collision, in one folder), headings in each script with `[[Note#見出し]]` and `[[#Heading]]`
//! links, a transclusion whose section links to its own note's heading, and the tags `#tag`,
//! `#Tag`, `#TAG`, `#日本語`, `#Проект/Этап`. [`ScriptVault::problems`] fetches the published
//! site over HTTP as a reader would and lists every way it falls short; expected routes come
//! from [`crate::vault::note_route`], that is from `vps_core::slug`, never from a copy of the
//! rules.
//!
//! ```no_run
//! # async fn demo(base: &str) {
//! let dir = tempfile::tempdir().unwrap();
//! let vault = vps_testkit::scripts_vault::multi_script_vault(dir.path());
//! let scanned = vps_testkit::vault::scan(dir.path()).unwrap();
//! vps_testkit::Plugin::new(base, "key").publish(&scanned.note_payloads(), &scanned.asset_payloads()).await;
//! let problems = vault.problems(base).await;
//! assert!(problems.is_empty(), "{problems:#?}");
//! # }
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use unicode_normalization::UnicodeNormalization;
use vps_core::slug::{decode_route, heading_id, nfc, route_segment, tag_href};
use vps_core::url::encode_path;

use crate::html::{Element, elements};
use crate::vault::note_route;

/// One note of the vault.
#[derive(Debug, Clone)]
pub struct ScriptNote {
    /// The script (or case) it stands for: `japanese`, `chinese`, `nfd-french`…
    pub script: &'static str,
    /// Its vault path in NFC: how the product compares it.
    pub vault_path: String,
    /// Its path on disk, in NFD for the macOS cases, else the same as `vault_path`.
    pub file_path: String,
    /// The title a reader sees (the file name without `.md`, NFC).
    pub title: String,
    /// A query that must find it, and only text of this note contains it (`None`: no search check).
    pub query: Option<&'static str>,
    /// Its headings, as written.
    pub headings: Vec<&'static str>,
    /// `(target note's script, heading)`: the `[[Note#Heading]]` links it holds to other notes.
    pub heading_links: Vec<(&'static str, &'static str)>,
    /// Headings of its own that it links with `[[#Heading]]`.
    pub self_links: Vec<&'static str>,
}

impl ScriptNote {
    /// Its route, as `vps_core::slug` makes it (see [`note_route`]); for the two colliding
    /// notes, the route they would have without the collision.
    pub fn route(&self) -> String {
        note_route(&self.vault_path)
    }
}

/// The vault written by [`multi_script_vault`], and what its site must show.
#[derive(Debug, Clone)]
pub struct ScriptVault {
    /// The vault's directory.
    pub root: PathBuf,
    /// The notes of the scripts and cases, in the order written (the collision notes are not here).
    pub notes: Vec<ScriptNote>,
    /// Each folder (NFC name) and the vault paths of the notes directly in it.
    pub folders: Vec<(String, Vec<String>)>,
    /// The image stored under an NFD name: `(path on disk, NFC vault path, script of the note
    /// embedding it in NFC, bytes)`.
    pub image: (String, String, &'static str, Vec<u8>),
    /// The two notes whose names slug alike in one folder (`post-one`, `post_one`), with a text
    /// only each holds.
    pub collision: [(String, &'static str); 2],
    /// The folder of the collision.
    pub collision_folder: &'static str,
    /// `(embedding note's script, embedded note's script, heading linked from inside the
    /// embedded section)`.
    pub embed: (&'static str, &'static str, &'static str),
    /// `(tag as written, scripts of the notes that carry it)`.
    pub tags: Vec<(&'static str, Vec<&'static str>)>,
}

/// `(script, vault path, content, query, headings, heading links, self links)`.
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const NOTES: &[Spec] = &[
    (
        "japanese",
        "日本語/はじめに.md",
        "東京の天気は晴れです。 #日本語 #tag\n\n## 見出し\n\n本文です。[[#使い方]]を参照。\n\n## 使い方\n\n使い方の説明です。\n",
        Some("天気は晴れ"),
        &["見出し", "使い方"],
        &[],
        &["使い方"],
    ),
    (
        "japanese-2",
        "日本語/設定.md",
        "[[はじめに#見出し]]と[[はじめに#使い方]]を読んでください。 #Tag\n\n## 設定の手順\n\n手順です。\n",
        None,
        &["設定の手順"],
        &[("japanese", "見出し"), ("japanese", "使い方")],
        &[],
    ),
    (
        "chinese",
        "中文/笔记.md",
        "我们今天学习中文很开心。 #TAG\n\n## 标题\n\n内容在这里。[[#标题]]\n",
        Some("学习中文"),
        &["标题"],
        &[],
        &["标题"],
    ),
    (
        "korean",
        "한국어/메모.md",
        "서울의 날씨는 맑음입니다.\n\n## 제목\n\n내용입니다. [[#제목]]\n",
        Some("날씨는"),
        &["제목"],
        &[],
        &["제목"],
    ),
    (
        "russian",
        "Русский/Заметка.md",
        "Быстрая коричневая лиса прыгает. #Проект/Этап\n\n## Что такое Obsidian?\n\nСм. [[#Что такое Obsidian?]] и [[はじめに#見出し]].\n",
        Some("коричневая лиса"),
        &["Что такое Obsidian?"],
        &[("japanese", "見出し")],
        &["Что такое Obsidian?"],
    ),
    (
        "greek",
        "Ελληνικά/Σημείωση.md",
        "Η γρήγορη καφέ αλεπού πηδάει.\n\n## Επικεφαλίδα\n\nΔείτε [[#Επικεφαλίδα]].\n",
        Some("αλεπού"),
        &["Επικεφαλίδα"],
        &[],
        &["Επικεφαλίδα"],
    ),
    (
        "arabic",
        "العربية/ملاحظة.md",
        "مرحبا بالعالم العربي. هذه فقرة طويلة باللغة العربية لاختبار اتجاه النص من اليمين إلى اليسار في الصفحة.\n\n## عنوان\n\nانظر [[#عنوان]].\n",
        Some("بالعالم"),
        &["عنوان"],
        &[],
        &["عنوان"],
    ),
    (
        "hebrew",
        "עברית/הערה.md",
        "שלום עולם, זו הערה בעברית.\n\n## כותרת\n\nראו [[#כותרת]].\n",
        Some("שלום עולם"),
        &["כותרת"],
        &[],
        &["כותרת"],
    ),
    (
        "hindi",
        "हिन्दी/टिप्पणी.md",
        "नमस्ते दुनिया, यह हिन्दी में एक टिप्पणी है।\n\n## शीर्षक\n\nदेखें [[#शीर्षक]]।\n",
        Some("नमस्ते दुनिया"),
        &["शीर्षक"],
        &[],
        &["शीर्षक"],
    ),
    (
        "emoji",
        "🎉.md",
        "Party time, confetti everywhere.\n\n## 🚀 Launch\n\nSee [[#🚀 Launch]].\n",
        Some("confetti"),
        &["🚀 Launch"],
        &[],
        &["🚀 Launch"],
    ),
    ("full-width", "ＡＢＣ Ｎｏｔｅ.md", "Written with full-width letters.\n", None, &[], &[], &[]),
    (
        "mixed",
        "Mixed/Café 東京 Москва.md",
        "Three scripts in one name. See [[はじめに#使い方]].\n\n## Mixed 見出し Заголовок\n\n[[#Mixed 見出し Заголовок]]\n",
        None,
        &["Mixed 見出し Заголовок"],
        &[("japanese", "使い方")],
        &["Mixed 見出し Заголовок"],
    ),
    (
        "nfd-french",
        "Français/Été.md",
        "Un été écrit par macOS.\n\n## Chaleur\n\nIl fait chaud.\n",
        None,
        &["Chaleur"],
        &[],
        &[],
    ),
    (
        "french-links",
        "Français/Liens.md",
        "Voir [[Été]] et [[Été#Chaleur]].\n\n![[Café.png]]\n",
        None,
        &[],
        &[("nfd-french", "Chaleur")],
        &[],
    ),
    ("case-upper", "A/Notes.md", "Upper-case notes, in folder A. #Tag\n", None, &[], &[], &[]),
    ("case-lower", "B/notes.md", "Lower-case notes, in folder B. #TAG\n", None, &[], &[], &[]),
    (
        "embedded",
        "Embeds/Other.md",
        "Intro of the other note.\n\n## Section\n\nSee [[#Other heading]] below.\n\n## Other heading\n\nThe other heading's text.\n",
        None,
        &["Section", "Other heading"],
        &[],
        &["Other heading"],
    ),
    (
        "embedder",
        "Embeds/Embedder.md",
        "Before the embed.\n\n![[Other#Section]]\n\nAfter the embed.\n",
        None,
        &[],
        &[],
        &[],
    ),
];

/// Notes stored on disk in NFD (the NFC vault path is in [`NOTES`]).
const NFD_ON_DISK: &[&str] = &["nfd-french"];

/// Writes the vault into `dir` (which must be empty) and answers what it holds.
pub fn multi_script_vault(dir: &Path) -> ScriptVault {
    let mut notes = Vec::new();
    let mut folders: Vec<(String, Vec<String>)> = Vec::new();
    for &(script, path, content, query, headings, heading_links, self_links) in NOTES {
        let vault_path = nfc(path).into_owned();
        let file_path = if NFD_ON_DISK.contains(&script) { path.nfd().collect() } else { vault_path.clone() };
        write(dir, &file_path, content.as_bytes());
        let title = vault_path.rsplit('/').next().unwrap_or_default().trim_end_matches(".md").to_owned();
        if let Some((folder, _)) = vault_path.rsplit_once('/') {
            match folders.iter_mut().find(|(name, _)| name == folder) {
                Some((_, paths)) => paths.push(vault_path.clone()),
                None => folders.push((folder.to_owned(), vec![vault_path.clone()])),
            }
        }
        notes.push(ScriptNote {
            script,
            vault_path,
            file_path,
            title,
            query,
            headings: headings.to_vec(),
            heading_links: heading_links.to_vec(),
            self_links: self_links.to_vec(),
        });
    }
    let collision_folder = "Collide";
    let collision = [
        ("Collide/post-one.md".to_owned(), "Hyphenated post."),
        ("Collide/post_one.md".to_owned(), "Underscored post."),
    ];
    for (path, text) in &collision {
        write(dir, path, text.as_bytes());
    }
    folders.push((collision_folder.to_owned(), collision.iter().map(|(path, _)| path.clone()).collect()));

    // An image named in NFD on disk, embedded as `![[Café.png]]` (NFC) by `Français/Liens.md`.
    let image_bytes: Vec<u8> = b"\x89PNG\r\n\x1a\n".iter().copied().chain((0..200u16).map(|i| (i * 7) as u8)).collect();
    let image_disk: String = "Français/Café.png".nfd().collect();
    write(dir, &image_disk, &image_bytes);
    let image = (image_disk, "Français/Café.png".to_owned(), "french-links", image_bytes);

    ScriptVault {
        root: dir.to_owned(),
        notes,
        folders,
        image,
        collision,
        collision_folder,
        embed: ("embedder", "embedded", "Other heading"),
        tags: vec![
            ("#tag", vec!["japanese"]),
            ("#Tag", vec!["japanese-2", "case-upper"]),
            ("#TAG", vec!["chinese", "case-lower"]),
            ("#日本語", vec!["japanese"]),
            ("#Проект/Этап", vec!["russian"]),
        ],
    }
}

fn write(dir: &Path, path: &str, bytes: &[u8]) {
    let file = dir.join(path);
    std::fs::create_dir_all(file.parent().expect("a vault path has a parent")).expect("the vault's folders");
    std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
}

mod reader;
pub use reader::{Fetched, Reader, ids, is_placeholder, split_href};

#[cfg(test)]
mod tests;
