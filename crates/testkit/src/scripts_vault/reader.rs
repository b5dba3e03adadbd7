//! The published site of a [`ScriptVault`] read as a reader reads it: pages fetched over HTTP
//! ([`Reader`]), and [`ScriptVault::problems`], every way the site falls short.

use super::*;

/// A fetched page: status, `Location`, body.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The answer's status (502 when [`Reader::get_raw`] cannot read one).
    pub status: StatusCode,
    /// The `Location` header, on a redirect.
    pub location: Option<String>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// The body's bytes, as received.
    pub bytes: Vec<u8>,
}

/// A reader's HTTP client that does not follow redirects.
pub struct Reader {
    /// The site's URL, without a trailing `/`.
    pub base: String,
    /// The client (no redirects followed, no proxy).
    pub client: reqwest::Client,
}

impl Reader {
    /// A reader of the site at `base`.
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

/// An href of the page at `page_route` split into the route it reaches (resolved as a browser
/// does — pages link relative to themselves —, percent-decoded, NFC) and its fragment (decoded,
/// NFC), when it points into the site. `None` for other origins, `mailto:` and the like.
pub fn split_href(href: &str, page_route: &str) -> Option<(String, Option<String>)> {
    if href.contains("://") || href.starts_with("//") || (href.contains(':') && !href.starts_with('/')) {
        return None;
    }
    let href = href.split('?').next().unwrap_or_default();
    let (path, fragment) = match href.split_once('#') {
        Some((path, fragment)) => (path, Some(decode_route(fragment))),
        None => (href, None),
    };
    let route = if path.is_empty() {
        page_route.to_owned()
    } else {
        let base =
            reqwest::Url::parse(&format!("http://site.invalid{}", vps_core::url::encode_path(page_route))).ok()?;
        decode_route(base.join(path).ok()?.path())
    };
    Some((route, fragment))
}

/// The `id`s of a page, NFC.
pub fn ids(page: &[Element]) -> BTreeSet<String> {
    page.iter().filter_map(|element| element.attr("id")).map(|id| nfc(id).into_owned()).collect()
}

impl ScriptVault {
    /// The note written for `script`; panics if there is none.
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
        for (route, href, target) in &tag_links {
            let fetched = reader.get(&encode_path(target)).await;
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
            // Relative to the page, as a browser resolves it.
            let Some((target, _)) = split_href(src, &route) else { continue };
            let fetched = reader.get(&encode_path(&target)).await;
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
