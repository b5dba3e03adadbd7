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
    pub root: PathBuf,
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

/// A fetched page: status, `Location`, body.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub bytes: Vec<u8>,
}

/// A reader's HTTP client that does not follow redirects.
pub struct Reader {
    pub base: String,
    pub client: reqwest::Client,
}

impl Reader {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("a client");
        Self { base: base.trim_end_matches('/').to_owned(), client }
    }

    /// `GET path` (written into the URL as given: reqwest percent-encodes what needs it).
    pub async fn get(&self, path: &str) -> Fetched {
        let response =
            self.client.get(format!("{}{path}", self.base)).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status();
        let location = response.headers().get("location").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let bytes = response.bytes().await.map(|bytes| bytes.to_vec()).unwrap_or_default();
        Fetched { status, location, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
    }

    /// `GET path` with the path's bytes written into the request line as they are (UTF-8, not
    /// percent-encoded), as `curl` sends a URL typed with Unicode; answers status, `Location`
    /// and body.
    pub async fn get_raw(&self, path: &str) -> Fetched {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.trim_start_matches("http://");
        let mut socket = tokio::net::TcpStream::connect(host).await.unwrap_or_else(|e| panic!("connect {host}: {e}"));
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        socket.write_all(request.as_bytes()).await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let split = answer.windows(4).position(|window| window == b"\r\n\r\n").unwrap_or(answer.len());
        let head = String::from_utf8_lossy(&answer[..split]).into_owned();
        let bytes = answer.get(split + 4..).unwrap_or_default().to_vec();
        let status =
            head.get(9..12).and_then(|code| code.parse().ok()).and_then(|code| StatusCode::from_u16(code).ok());
        let location = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location").then(|| value.trim().to_owned())
        });
        // Bodies are whole (`Connection: close`); a chunked one is not expected from a page.
        Fetched {
            status: status.unwrap_or(StatusCode::BAD_GATEWAY),
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// `GET /search?q=query`.
    pub async fn search(&self, query: &str) -> Fetched {
        self.get(&format!("/search?q={}", vps_core::url::encode_segment(query))).await
    }
}

/// An href split into its route (percent-decoded, NFC) and its fragment (decoded, NFC), when it
/// points into the site. `None` for other origins, `mailto:` and the like.
pub fn split_href(href: &str, page_route: &str) -> Option<(String, Option<String>)> {
    if href.contains("://") || href.starts_with("//") || (href.contains(':') && !href.starts_with('/')) {
        return None;
    }
    let href = href.split('?').next().unwrap_or_default();
    let (path, fragment) = match href.split_once('#') {
        Some((path, fragment)) => (path, Some(decode_route(fragment))),
        None => (href, None),
    };
    let route = if path.is_empty() { page_route.to_owned() } else { decode_route(path) };
    Some((route, fragment))
}

/// The `id`s of a page, NFC.
pub fn ids(page: &[Element]) -> BTreeSet<String> {
    page.iter().filter_map(|element| element.attr("id")).map(|id| nfc(id).into_owned()).collect()
}

impl ScriptVault {
    pub fn note(&self, script: &str) -> &ScriptNote {
        self.notes.iter().find(|note| note.script == script).unwrap_or_else(|| panic!("no {script} note"))
    }

    /// Every way the site at `base`, where this vault was published, falls short of issue 12,
    /// one line each; empty when it does not.
    pub async fn problems(&self, base: &str) -> Vec<String> {
        let reader = Reader::new(base);
        let mut problems = Vec::new();
        let mut pages: HashMap<String, Vec<Element>> = HashMap::new();

        // Every note at the route made of its own name, showing its title.
        for note in &self.notes {
            let route = note.route();
            let segment = route_segment(note.title.as_str());
            if !route.ends_with(&format!("/{segment}")) {
                problems.push(format!("{}: route {route} does not end with its name's segment {segment}", note.script));
            }
            let page = reader.get(&encode_path(&route)).await;
            if page.status != StatusCode::OK {
                problems.push(format!("{} ({}): GET {route} answered {}", note.script, note.vault_path, page.status));
                continue;
            }
            let parsed = elements(&page.body);
            let h1 =
                parsed.iter().find(|e| e.name == "h1").map(|e| nfc(e.text.trim()).into_owned()).unwrap_or_default();
            if h1 != note.title {
                problems.push(format!("{}: {route} shows the title {h1:?}, not {:?}", note.script, note.title));
            }
            pages.insert(route, parsed);
        }

        // No placeholder anywhere: no href of any page has a `note` or `note-N` segment.
        let mut placeholders = BTreeSet::new();
        for (route, page) in &pages {
            for href in page.iter().filter_map(|e| e.attr("href")) {
                let Some((target, _)) = split_href(href, route) else { continue };
                if target.split('/').any(is_placeholder) {
                    placeholders.insert(target);
                }
            }
        }
        if !placeholders.is_empty() {
            problems.push(format!("pages link to the placeholder routes {placeholders:?}"));
        }

        self.check_collision(&reader, &mut problems).await;
        self.check_folders(&reader, &pages, &mut problems).await;
        self.check_fragments(&reader, &pages, &mut problems).await;
        self.check_tags(&reader, &pages, &mut problems).await;
        self.check_spellings(&reader, &mut problems).await;
        self.check_image(&reader, &pages, &mut problems).await;
        self.check_search(&reader, &mut problems).await;
        problems
    }

    /// `post-one` and `post_one` in one folder: two pages, each its own note, both routes made
    /// of the name's letters.
    async fn check_collision(&self, reader: &Reader, problems: &mut Vec<String>) {
        let folder = format!("/{}", route_segment(self.collision_folder));
        let listing = reader.get(&encode_path(&folder)).await;
        if listing.status != StatusCode::OK {
            problems.push(format!("collision: the folder {folder} answered {}", listing.status));
            return;
        }
        let page = elements(&listing.body);
        let routes: BTreeSet<String> = links_in(&page, &folder, |e| e.has_class("listing"))
            .into_iter()
            .filter(|route| route.starts_with(&format!("{folder}/")))
            .collect();
        if routes.len() != 2 {
            problems.push(format!("collision: {folder} lists {routes:?}, not two pages"));
        }
        let mut found = Vec::new();
        for route in &routes {
            if !route.contains(&route_segment("post-one")) {
                problems.push(format!("collision: {route} lost the name's letters"));
            }
            let page = reader.get(&encode_path(route)).await;
            found.extend(
                self.collision.iter().filter(|(_, text)| page.body.contains(text)).map(|(path, _)| path.clone()),
            );
        }
        if found.len() != 2 || found[0] == found[1] {
            problems.push(format!("collision: the two routes {routes:?} serve {found:?}, not one note each"));
        }
    }

    /// Each folder's page lists its own notes and no other folder's; each note's breadcrumbs
    /// name its own folder.
    async fn check_folders(&self, reader: &Reader, pages: &HashMap<String, Vec<Element>>, problems: &mut Vec<String>) {
        let mut seen_routes = HashMap::new();
        for (folder, paths) in &self.folders {
            let route = format!("/{}", route_segment(folder));
            if let Some(other) = seen_routes.insert(route.clone(), folder.clone()) {
                problems.push(format!("folders {other} and {folder} share the route {route}"));
            }
            let listing = reader.get(&encode_path(&route)).await;
            if listing.status != StatusCode::OK {
                problems.push(format!("folder {folder}: GET {route} answered {}", listing.status));
                continue;
            }
            let parsed = elements(&listing.body);
            let listed = links_in(&parsed, &route, |e| e.has_class("listing"));
            if folder.as_str() == self.collision_folder {
                continue; // its routes carry the collision suffix: check_collision
            }
            let own: BTreeSet<String> = paths.iter().map(|path| note_route(path)).collect();
            for missing in own.iter().filter(|route| !listed.contains(*route)) {
                problems.push(format!("folder {folder} ({route}) does not list {missing}: {listed:?}"));
            }
            let other_notes: BTreeSet<String> =
                self.notes.iter().map(ScriptNote::route).filter(|note| !own.contains(note)).collect();
            for stray in listed.iter().filter(|listed| other_notes.contains(*listed)) {
                problems.push(format!("folder {folder} ({route}) lists {stray}, a note of another folder"));
            }
            let h1 = parsed.iter().find(|e| e.name == "h1").map(|e| nfc(e.text.trim()).into_owned());
            if h1.as_deref() != Some(folder.as_str()) {
                problems.push(format!("folder {folder}: its page's title is {h1:?}"));
            }
            for path in paths {
                let note_route = note_route(path);
                let Some(page) = pages.get(&note_route) else { continue };
                let crumbs: Vec<(String, String)> = page
                    .iter()
                    .filter(|e| e.name == "a" && e.is_inside(page, |outer| outer.has_class("breadcrumbs")))
                    .filter_map(|e| {
                        let (target, _) = split_href(e.attr("href")?, &note_route)?;
                        Some((target, nfc(e.text.trim()).into_owned()))
                    })
                    .collect();
                if !crumbs.iter().any(|(target, text)| *target == route && text == folder) {
                    problems.push(format!("{note_route}: the breadcrumbs {crumbs:?} do not name {folder} at {route}"));
                }
            }
        }
    }

    /// Every link with a fragment lands on an `id` of its target page, and the links the vault
    /// holds are there with the fragment of `heading_id`.
    async fn check_fragments(
        &self,
        reader: &Reader,
        pages: &HashMap<String, Vec<Element>>,
        problems: &mut Vec<String>,
    ) {
        let mut targets: HashMap<String, BTreeSet<String>> =
            pages.iter().map(|(route, page)| (route.clone(), ids(page))).collect();
        let mut found: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut checked = 0;
        for (route, page) in pages {
            for element in page.iter().filter(|e| e.name == "a") {
                let Some(href) = element.attr("href") else { continue };
                let Some((target, Some(fragment))) = split_href(href, route) else { continue };
                checked += 1;
                found.entry(route.clone()).or_default().push((target.clone(), fragment.clone()));
                if fragment.is_empty() {
                    problems.push(format!("{route}: the link {href:?} has an empty fragment"));
                    continue;
                }
                if !targets.contains_key(&target) {
                    let fetched = reader.get(&encode_path(&target)).await;
                    if fetched.status != StatusCode::OK {
                        problems.push(format!(
                            "{route}: the link {href:?} leads to {target}, which answers {}",
                            fetched.status
                        ));
                        continue;
                    }
                    targets.insert(target.clone(), ids(&elements(&fetched.body)));
                }
                if !targets[&target].contains(&fragment) {
                    problems.push(format!("{route}: the link {href:?} has no id {fragment:?} on {target}"));
                }
            }
        }
        if checked == 0 {
            problems.push("no link with a fragment on any page".to_owned());
        }
        for note in &self.notes {
            let route = note.route();
            let links = found.get(&route).cloned().unwrap_or_default();
            let expected = note
                .heading_links
                .iter()
                .map(|(script, heading)| (self.note(script).route(), *heading))
                .chain(note.self_links.iter().map(|heading| (route.clone(), *heading)));
            for (target, heading) in expected {
                let wanted = (target.clone(), heading_id(heading));
                if !links.contains(&wanted) {
                    problems.push(format!("{route}: no link to {target}#{} ({heading}): {links:?}", wanted.1));
                }
            }
            for heading in &note.headings {
                let id = heading_id(heading);
                if !targets.get(&route).is_some_and(|ids| ids.contains(&id)) {
                    problems.push(format!("{route}: the heading {heading:?} has no id {id:?}"));
                }
            }
        }
        // `[[#Other heading]]` inside the embedded section points at the note it comes from.
        let (embedder, source, heading) = self.embed;
        let (embedder, source) = (self.note(embedder).route(), self.note(source).route());
        let wanted = (source.clone(), heading_id(heading));
        if !found.get(&embedder).is_some_and(|links| links.contains(&wanted)) {
            problems.push(format!(
                "{embedder}: the embedded [[#{heading}]] does not point at {source}#{}: {:?}",
                wanted.1,
                found.get(&embedder)
            ));
        }
    }

    /// Every tag link answers 200; each spelling of a tag has one canonical page listing every
    /// note that carries it in any case; `/tags/Tag` answers 301 to it.
    async fn check_tags(&self, reader: &Reader, pages: &HashMap<String, Vec<Element>>, problems: &mut Vec<String>) {
        let mut tag_links = BTreeSet::new();
        for (route, page) in pages {
            for href in page.iter().filter(|e| e.name == "a").filter_map(|e| e.attr("href")) {
                if let Some((target, _)) = split_href(href, route).filter(|(target, _)| target.starts_with("/tags/")) {
                    tag_links.insert((route.clone(), href.to_owned(), target));
                }
            }
        }
        if tag_links.is_empty() {
            problems.push("no page links to a tag".to_owned());
        }
        for (route, href, _) in &tag_links {
            let fetched = reader.get(href).await;
            if fetched.status != StatusCode::OK {
                problems.push(format!("{route}: the tag link {href} answers {}", fetched.status));
            }
        }
        for (tag, scripts) in &self.tags {
            let canonical = tag_href(tag);
            let linked = tag_links.iter().any(|(route, _, target)| {
                *target == decode_route(&canonical) && scripts.iter().any(|script| self.note(script).route() == *route)
            });
            if !linked {
                problems.push(format!("{tag}: no note carrying it links to {canonical}"));
            }
            let page = reader.get(&canonical).await;
            if page.status != StatusCode::OK {
                problems.push(format!("{tag}: its page {canonical} answers {}", page.status));
                continue;
            }
            let listed = links_in(&elements(&page.body), &decode_route(&canonical), |e| e.name == "main");
            let carriers = self.tags.iter().filter(|(other, _)| tag_href(other) == canonical).flat_map(|(_, s)| s);
            for script in carriers {
                let route = self.note(script).route();
                if !listed.contains(&route) {
                    problems.push(format!("{tag}: {canonical} does not list {route}"));
                }
            }
        }
        let canonical = tag_href("#tag");
        let moved = reader.get("/tags/Tag").await;
        let location = moved.location.as_deref().map(decode_route);
        if moved.status != StatusCode::MOVED_PERMANENTLY || location.as_deref() != Some(canonical.as_str()) {
            problems
                .push(format!("/tags/Tag answers {} to {:?}, not 301 to {canonical}", moved.status, moved.location));
        }
    }

    /// The NFC and NFD spellings of a route reach the same page: as a browser sends them
    /// (percent-encoded) and as `curl` does (raw UTF-8 in the request line).
    async fn check_spellings(&self, reader: &Reader, problems: &mut Vec<String>) {
        let mut compared = 0;
        for note in &self.notes {
            let route = note.route();
            let nfd: String = route.nfd().collect();
            if nfd == route {
                continue;
            }
            compared += 1;
            let reference = reader.get(&encode_path(&route)).await;
            let spellings = [
                (route.clone(), false),
                (nfd.clone(), false),
                (encode_path(&nfd), false),
                (route.clone(), true),
                (nfd.clone(), true),
            ];
            for (spelling, raw) in spellings {
                let fetched = if raw { reader.get_raw(&spelling).await } else { reader.get(&spelling).await };
                let spelling = if raw { format!("{spelling} (raw UTF-8)") } else { spelling };
                // The page itself, or a redirect to its one URL.
                let same = match fetched.status {
                    StatusCode::OK => h1(&fetched.body) == h1(&reference.body),
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT => {
                        fetched.location.as_deref().map(decode_route).as_deref() == Some(route.as_str())
                    }
                    _ => false,
                };
                if reference.status != StatusCode::OK || !same {
                    problems.push(format!(
                        "{}: {spelling:?} answers {} (Location {:?}), not the page of {route}",
                        note.script, fetched.status, fetched.location
                    ));
                }
            }
        }
        if compared < 3 {
            problems.push(format!("only {compared} routes differ in NFD"));
        }
    }

    /// The image stored in NFD loads from the note that embeds it in NFC, with its bytes.
    async fn check_image(&self, reader: &Reader, pages: &HashMap<String, Vec<Element>>, problems: &mut Vec<String>) {
        let (_, _, script, bytes) = &self.image;
        let route = self.note(script).route();
        let Some(page) = pages.get(&route) else { return };
        let sources: Vec<&str> = page
            .iter()
            .filter(|e| e.name == "img" && e.is_inside(page, |outer| outer.name == "article"))
            .filter_map(|e| e.attr("src"))
            .collect();
        if sources.is_empty() {
            problems.push(format!("{route}: the NFD image embedded in NFC is not shown"));
        }
        for src in sources {
            let fetched = reader.get(src).await;
            if fetched.status != StatusCode::OK || fetched.bytes != *bytes {
                problems.push(format!("{route}: the image {src} answers {} with other bytes", fetched.status));
            }
        }
    }

    /// Each note's query finds it, with a highlighted snippet.
    async fn check_search(&self, reader: &Reader, problems: &mut Vec<String>) {
        for note in &self.notes {
            let Some(query) = note.query else { continue };
            let results = reader.search(query).await;
            let route = note.route();
            let page = elements(&results.body);
            let found = links_in(&page, "/search", |e| e.name == "main").contains(&route);
            if results.status != StatusCode::OK || !found {
                problems
                    .push(format!("search {query:?} ({}): {} without a link to {route}", note.script, results.status));
            } else if !page.iter().any(|e| e.name == "mark" && !e.text.is_empty()) {
                problems.push(format!("search {query:?} ({}): no <mark> in the snippet", note.script));
            }
        }
    }
}

/// The text of a page's first `<h1>`, NFC.
fn h1(html: &str) -> Option<String> {
    elements(html).into_iter().find(|e| e.name == "h1").map(|e| nfc(e.text.trim()).into_owned())
}

/// `note` or `note-<N>`: the positional placeholders routes had before issue 12.
pub fn is_placeholder(segment: &str) -> bool {
    segment == "note"
        || segment.strip_prefix("note-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Routes of the `<a href>`s inside an element that `container` accepts.
fn links_in(page: &[Element], page_route: &str, container: impl Fn(&Element) -> bool) -> Vec<String> {
    page.iter()
        .filter(|e| e.name == "a" && e.is_inside(page, &container))
        .filter_map(|e| e.attr("href"))
        .filter_map(|href| split_href(href, page_route).map(|(route, _)| route))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vault_is_written_with_nfd_names_and_read_back_as_the_plugin_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let vault = multi_script_vault(dir.path());
        let nfd: String = "Français/Été.md".nfd().collect();
        assert!(dir.path().join(&nfd).is_file(), "stored in NFD");
        assert_eq!(vault.note("nfd-french").vault_path, "Français/Été.md");
        assert_eq!(vault.note("nfd-french").file_path, nfd);
        let scanned = crate::vault::scan(dir.path()).unwrap();
        assert_eq!(scanned.notes.len(), vault.notes.len() + 2);
        assert_eq!(scanned.assets.len(), 1, "the NFD image is found from its NFC embed");
        assert_eq!(scanned.assets[0].bytes, vault.image.3);
        // Routes keep every script's letters.
        assert_eq!(
            vault.note("japanese").route(),
            format!("/{}/{}", route_segment("日本語"), route_segment("はじめに"))
        );
        assert!(vault.note("arabic").route().contains("ملاحظة"));
        for note in &vault.notes {
            assert!(!note.route().split('/').any(is_placeholder), "{}", note.route());
        }
    }

    #[tokio::test]
    async fn a_raw_request_sends_the_path_unencoded_and_reads_the_answer() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0; 1024];
            let n = socket.read(&mut request).await.unwrap();
            request.truncate(n);
            let answer = "HTTP/1.1 301 Moved Permanently\r\nLocation: /%E3%81%AF\r\ncontent-length: 5\r\n\r\nmoved";
            socket.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8(request).unwrap()
        });
        let fetched = Reader::new(&base).get_raw("/は").await;
        assert!(server.await.unwrap().starts_with("GET /は HTTP/1.1\r\n"), "the path went out as UTF-8");
        assert_eq!(fetched.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(fetched.location.as_deref(), Some("/%E3%81%AF"));
        assert_eq!(fetched.body, "moved");
    }

    #[test]
    fn hrefs_split_into_decoded_routes_and_fragments() {
        let href = format!("{}#{}", encode_path("/日本語/はじめに"), encode_path("見出し"));
        assert_eq!(split_href(&href, "/x"), Some(("/日本語/はじめに".to_owned(), Some("見出し".to_owned()))));
        assert_eq!(split_href("#a", "/x"), Some(("/x".to_owned(), Some("a".to_owned()))));
        assert_eq!(split_href("https://e.com/a", "/x"), None);
        assert_eq!(split_href("mailto:a@b", "/x"), None);
    }
}
