//! One page (ARCHITECTURE §5, step 3): a note rendered with its links, embeds and transclusions
//! resolved across the new site ([`PageResolver`]), its tags checked, and what the manifest and
//! the reader's site need of it ([`PagePart`], [`Draft`]) — or, when nothing it was made from
//! changed, the base revision's page kept without reading its note ([`keep_page`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use vps_access::PageAccess;
use vps_core::AssetPath;
use vps_core::ContentHash;
use vps_core::image::{ImageMeta, VariantFormat, variant_href, variant_widths};
use vps_core::revision::{Asset, MadeFrom, NoteHead, Page, Question, SiteSettings};
use vps_core::slug::{decode_route, nfc};
use vps_render::{
    Exceeded, ImageSource, LinkIndex, PageMeta, PageRef, PublishLimits, RenderOptions, Resolver, Transclusion,
};
use vps_site::{Heading as SiteHeading, PageInfo};

use crate::audience::listed_for_everyone;
use crate::clean::Notes;
use crate::documents::{Content, Draft};
use crate::error::BuildError;
use crate::links::AssetLookup;
use crate::select::Entry;

pub(crate) struct PageContext<'a> {
    pub(crate) index: &'a LinkIndex<'a>,
    pub(crate) refs: &'a [PageRef],
    /// Every note of the new site, in the order of `refs`.
    pub(crate) routed: &'a [(String, Entry)],
    /// Who may read each note's page, in the order of `refs`: a page names (links to,
    /// transcludes) only pages whose audience covers its own.
    pub(crate) access: &'a [PageAccess],
    /// The notes themselves and their Markdown after cleanup rules, in the order of `refs`,
    /// read on demand (a kept page reads nothing).
    pub(crate) notes: &'a Notes<'a>,
    pub(crate) me: usize,
    pub(crate) lookup: &'a AssetLookup,
    pub(crate) assets: &'a BTreeMap<AssetPath, Asset>,
    /// What is known of each raster image, by its hash ([`crate::images`]).
    pub(crate) images: &'a BTreeMap<ContentHash, ImageMeta>,
    /// The widths images offer variants at (`IMAGE_VARIANT_WIDTHS`); empty when variants are off.
    pub(crate) variant_widths: &'a [u32],
    /// The index in `refs` of each page reference, by its address.
    pub(crate) positions: &'a HashMap<usize, usize>,
    /// The index in `refs` of each note, by its NFC vault path (the first of a file published
    /// under two folders).
    pub(crate) by_vault_path: &'a HashMap<String, usize>,
    pub(crate) settings: &'a SiteSettings,
    pub(crate) limits: &'a PublishLimits,
    /// The hash of the render settings ([`render_settings_key`]), made once per build.
    pub(crate) render_settings: ContentHash,
    /// `SHOW_PROPERTIES` (in `render_settings`): pages show their frontmatter properties.
    pub(crate) show_properties: bool,
    /// This build's [`links_key`] is the base revision's: every link and asset question of a
    /// kept page gets the answer it got then.
    pub(crate) links_unchanged: bool,
}

/// The hash of what every page's rendering depends on besides its note: the cleanup rules,
/// ignored tags, limits, and whether pages show their properties (`SHOW_PROPERTIES`).
pub(crate) fn render_settings_key(
    settings: &SiteSettings,
    limits: &PublishLimits,
    show_properties: bool,
    variant_widths: &[u32],
) -> ContentHash {
    let settings =
        (&settings.cleanup_rules, &settings.ignored_tags, format!("{limits:?}"), show_properties, variant_widths);
    ContentHash::of(&serde_json::to_vec(&settings).expect("serializes"))
}

impl PageContext<'_> {
    /// The asset an embed, image or detected reference of this page means, resolved from the
    /// page's own note (next to it first): the one place a page resolves an attachment.
    fn asset(&self, target: &str) -> Option<&AssetPath> {
        self.lookup.resolve(&self.routed[self.me].1.vault_path, target)
    }
}

/// A page's manifest entry, all but its HTML (which needs the whole site around it).
pub(crate) struct PagePart {
    pub(crate) route: String,
    title: String,
    vault_path: String,
    folder_id: String,
    source_sha256: String,
    source_blob: ContentHash,
    links: Vec<String>,
    assets: Vec<AssetPath>,
    tags: Vec<String>,
    head: NoteHead,
    access: PageAccess,
}

impl PagePart {
    pub(crate) fn into_page(self, html_blob: ContentHash, made_from: MadeFrom) -> Page {
        Page {
            title: self.title,
            vault_path: self.vault_path,
            folder_id: self.folder_id,
            source_sha256: self.source_sha256,
            source_blob: self.source_blob,
            html_blob,
            links: self.links,
            assets: self.assets,
            tags: self.tags,
            made_from: Some(made_from),
            head: Some(self.head),
            audience: self.access.audience,
            unlisted: self.access.unlisted,
        }
    }
}

/// Bumped whenever rendering or the page layout changes in a way the keys cannot see (a new
/// feature of the renderer, a fix, a new way of making the keys): every page of the next
/// build is then made again.
const ENGINE_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "/incremental-4");

/// A page of the base revision that may be reused: its manifest entry and its site info.
pub(crate) struct Previous<'a> {
    pub(crate) page: &'a Page,
    pub(crate) info: &'a PageInfo,
}

/// The base revision's page, kept as it is when it is the same note at the same route asking
/// the same questions and getting the same answers (then its content is the same; its page is
/// laid out again only if its shell changed). Reads neither its note nor its content.
pub(crate) fn keep_page(
    cx: &PageContext<'_>,
    route: &str,
    previous: Option<Previous<'_>>,
) -> Option<(PagePart, Draft)> {
    let entry = &cx.routed[cx.me].1;
    let Previous { page, info } = previous?;
    let made_from = page.made_from.as_ref()?;
    if page.source_blob != entry.source_blob || info.route != route {
        return None;
    }
    // Same note, same route, same render settings and engine (in the links key), and every
    // answer the same: the content key holds without being made again. An embed's answer also
    // says which source the embedded note has, which may have changed: those pages ask again.
    let embeds = || made_from.questions.iter().any(|question| matches!(question, Question::Embed { .. }));
    if !cx.links_unchanged || embeds() {
        let answers: Vec<Answer> = made_from.questions.iter().map(|question| cx.ask(question)).collect();
        if content_key(&own_key(cx, route, entry.source_blob), &made_from.questions, &answers) != made_from.content_key
        {
            return None;
        }
    }
    let part = PagePart {
        route: route.to_owned(),
        title: page.title.clone(),
        vault_path: page.vault_path.clone(),
        folder_id: page.folder_id.clone(),
        source_sha256: page.source_sha256.clone(),
        source_blob: entry.source_blob,
        links: page.links.clone(),
        assets: page.assets.clone(),
        tags: page.tags.clone(),
        head: entry.head.clone(),
        access: cx.access[cx.me].clone(),
    };
    // The page's access may have changed without its note (a folder rule did).
    let info = PageInfo { unlisted: !listed_for_everyone(&cx.access[cx.me]), ..info.clone() };
    let draft = Draft {
        info,
        content: Content::Kept(made_from.content),
        content_key: made_from.content_key,
        questions: made_from.questions.clone(),
    };
    Some((part, draft))
}

/// Renders the page of the note at `cx.me`.
pub(crate) fn render_page(cx: &PageContext<'_>, route: &str) -> Result<(PagePart, Draft), BuildError> {
    let entry = &cx.routed[cx.me].1;
    let note = cx.notes.note(cx.me)?;
    // An Excalidraw drawing's note is its compressed scene: its page shows the drawing's export
    // (or says how to publish one), the one rule of `vps_render::drawing_page_markdown`.
    let drawing;
    let content = if vps_render::is_drawing_note(&note.vault_path) {
        drawing = vps_render::drawing_page_markdown(&note.vault_path);
        drawing.as_str()
    } else if crate::canvas::is_canvas(note) {
        // A canvas's note is its JSON, rendered by `crate::canvas` (no cleanup rule applies).
        ""
    } else {
        cx.notes.cleaned(cx.me)?
    };
    let own_key = own_key(cx, route, entry.source_blob);
    let resolver = PageResolver {
        cx,
        shown: RefCell::new(BTreeSet::new()),
        images: RefCell::default(),
        asked: RefCell::new(Vec::new()),
        failed: RefCell::new(None),
    };
    let options = RenderOptions { ignored_tags: &cx.settings.ignored_tags, limits: *cx.limits };
    let rendered = if crate::canvas::is_canvas(note) {
        crate::canvas::render(note, &resolver, &options)?
    } else {
        vps_render::try_render(content, &resolver, &options).map_err(|exceeded| exceeded.in_note(&note.vault_path))?
    };
    if let Some(error) = resolver.failed.take() {
        return Err(error);
    }
    let meta = PageMeta::from_frontmatter(&note.frontmatter.flat);
    let title = meta.title.clone().unwrap_or_else(|| note.title.clone());
    // Assets the client detected (frontmatter images, HTML references) count as shown too.
    for asset in &note.assets {
        resolver.asset(&asset.target);
    }
    let image = meta.image.as_deref().and_then(|target| image_url(&resolver, target));
    let asked = resolver.asked.into_inner();
    let (questions, answers): (Vec<Question>, Vec<Answer>) = asked.into_iter().unzip();
    let content_key = content_key(&own_key, &questions, &answers);
    let shown = resolver.shown.into_inner();
    let mut tags: Vec<String> = note
        .frontmatter
        .tags
        .iter()
        .chain(&meta.tags)
        .cloned()
        .chain(rendered.tags)
        .map(|t| t.trim_start_matches('#').to_owned())
        .collect();
    tags.sort();
    tags.dedup();
    if let Some(tag) = tags.iter().find(|tag| vps_render::tag_depth(tag) > cx.limits.max_tag_depth) {
        let depth = vps_render::tag_depth(tag);
        let what = if tag.len() > 200 {
            format!("a tag's depth ({depth} levels)")
        } else {
            format!("the depth of tag #{tag} ({depth} levels)")
        };
        return Err(Exceeded::new(what, "MAX_TAG_DEPTH", cx.limits.max_tag_depth).in_note(&note.vault_path).into());
    }
    // Hrefs are percent-encoded; the site's model and the manifest name routes.
    let links: Vec<String> = rendered
        .links
        .iter()
        .map(|href| match href.split_once('#') {
            Some((path, fragment)) => format!("{}#{fragment}", decode_route(path)),
            None => decode_route(href),
        })
        .collect();
    let links_to: Vec<String> =
        links.iter().map(|link| link.split('#').next().unwrap_or_default().to_owned()).collect();
    let info = PageInfo {
        route: route.to_owned(),
        title: title.clone(),
        properties: vps_render::shown_properties(&note.frontmatter.flat, cx.show_properties),
        vault_path: note.vault_path.clone(),
        description: meta.description.clone(),
        tags: tags.clone(),
        headings: rendered
            .headings
            .iter()
            .map(|h| SiteHeading::new(h.level, h.text.clone(), h.id.clone()).at(h.offset))
            .collect(),
        updated: meta
            .updated
            .clone()
            .or_else(|| meta.date.clone())
            .or_else(|| note.published_at.as_str().map(str::to_owned)),
        noindex: meta.noindex,
        cssclasses: meta
            .cssclasses
            .iter()
            .cloned()
            .chain(crate::canvas::is_canvas(note).then(|| crate::canvas::PAGE_CLASS.to_owned()))
            .collect(),
        image,
        links_to,
        text: rendered.text,
        unlisted: !listed_for_everyone(&cx.access[cx.me]),
        // Set with every page's, by the build (`routes::nav_routes`).
        nav_route: None,
    };
    let part = PagePart {
        route: route.to_owned(),
        title,
        vault_path: note.vault_path.clone(),
        folder_id: note.folder_config.id.clone(),
        source_sha256: ContentHash::of(note.content.as_bytes()).to_hex(),
        source_blob: entry.source_blob,
        links,
        assets: shown.into_iter().collect(),
        tags,
        head: entry.head.clone(),
        access: cx.access[cx.me].clone(),
    };
    Ok((part, Draft { info, content: Content::Rendered(rendered.html), content_key, questions }))
}

/// Appends `part` to a key, its length first (so that two lists of parts cannot run together).
fn put(key: &mut Vec<u8>, part: &[u8]) {
    key.extend_from_slice(&(part.len() as u64).to_le_bytes());
    key.extend_from_slice(part);
}

/// The hash of what a page's content depends on besides the rest of the site: the engine, the
/// route, the note as received (its source blob: content, frontmatter, folder settings), and
/// the render settings (which include the cleanup rules: with the source, they make the
/// cleaned Markdown).
fn own_key(cx: &PageContext<'_>, route: &str, source_blob: ContentHash) -> Vec<u8> {
    let mut key = Vec::with_capacity(512);
    put(&mut key, ENGINE_VERSION.as_bytes());
    put(&mut key, route.as_bytes());
    key.extend_from_slice(source_blob.as_bytes());
    key.extend_from_slice(cx.render_settings.as_bytes());
    key
}

/// The hash of everything [`PageContext::ask`] answers link and asset questions from, and of
/// what every page's own key holds besides its note and route: the engine, the render
/// settings, every note's names, route and audience (`refs` and `access`, in route order) and
/// every asset. (A changed audience changes answers: a link to a page its reader may not see
/// is unresolved.)
pub(crate) fn links_key(
    render_settings: ContentHash,
    refs: &[PageRef],
    access: &[PageAccess],
    assets: &BTreeMap<AssetPath, Asset>,
    images: &BTreeMap<ContentHash, ImageMeta>,
) -> ContentHash {
    let mut key = Vec::with_capacity(64 + refs.len() * 128);
    put(&mut key, ENGINE_VERSION.as_bytes());
    key.extend_from_slice(render_settings.as_bytes());
    key.extend_from_slice(&(refs.len() as u64).to_le_bytes());
    for (page, access) in refs.iter().zip(access) {
        for part in [&page.route, &page.vault_path, &page.relative_path, &page.title] {
            put(&mut key, part.as_bytes());
        }
        key.extend_from_slice(&(page.aliases.len() as u64).to_le_bytes());
        for alias in &page.aliases {
            put(&mut key, alias.as_bytes());
        }
        put_audience(&mut key, &access.audience);
    }
    key.extend_from_slice(&(assets.len() as u64).to_le_bytes());
    for (path, asset) in assets {
        put(&mut key, path.as_str().as_bytes());
        key.extend_from_slice(asset.sha256.as_bytes());
        put(&mut key, asset.media_type.as_str().as_bytes());
        put_image(&mut key, images.get(&asset.sha256));
    }
    ContentHash::of(&key)
}

/// Appends what is known of an image to a key.
fn put_image(key: &mut Vec<u8>, image: Option<&ImageMeta>) {
    match image {
        Some(meta) => {
            key.push(1);
            key.extend_from_slice(&meta.width.to_le_bytes());
            key.extend_from_slice(&meta.height.to_le_bytes());
            key.push(u8::from(meta.variants));
        }
        None => key.push(0),
    }
}

/// Appends an audience to a key.
fn put_audience(key: &mut Vec<u8>, audience: &vps_access::Audience) {
    match audience {
        vps_access::Audience::Public => key.push(b'P'),
        vps_access::Audience::Readers => key.push(b'R'),
        vps_access::Audience::Groups(groups) => {
            key.push(b'G');
            key.extend_from_slice(&(groups.len() as u64).to_le_bytes());
            for group in groups {
                put(key, group.as_bytes());
            }
        }
    }
}

/// The content key: the note's own key and every question with its answer, in order.
fn content_key(own: &[u8], questions: &[Question], answers: &[Answer]) -> ContentHash {
    let mut bytes = own.to_vec();
    let optional = |bytes: &mut Vec<u8>, part: Option<&str>| match part {
        Some(part) => {
            bytes.push(1);
            put(bytes, part.as_bytes());
        }
        None => bytes.push(0),
    };
    for (question, answer) in questions.iter().zip(answers) {
        match question {
            Question::Link { from, target, subpath } => {
                bytes.push(b'l');
                optional(&mut bytes, from.as_deref());
                put(&mut bytes, target.as_bytes());
                optional(&mut bytes, subpath.as_deref());
            }
            Question::Embed { from, target } => {
                bytes.push(b'e');
                optional(&mut bytes, from.as_deref());
                put(&mut bytes, target.as_bytes());
            }
            Question::Asset { target } => {
                bytes.push(b'a');
                put(&mut bytes, target.as_bytes());
            }
        }
        answer.put(&mut bytes);
    }
    ContentHash::of(&bytes)
}

/// What the site answered to a [`Question`].
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Link(Option<String>),
    Embed(Option<Embedded>),
    Asset(Option<FoundAsset>),
}

/// The asset an [`Answer::Asset`] found: its path, its URL, and for a raster image its size and
/// variants.
#[derive(Debug, Clone)]
pub(crate) struct FoundAsset {
    path: AssetPath,
    href: String,
    image: Option<ImageSource>,
}

/// The note an embed found: where it is in the site and which source it is. Its Markdown (what
/// the page shows) follows from the source and the cleanup rules, so the source blob stands for
/// it in a key and the note is read only when a page is rendered.
#[derive(Debug, Clone)]
pub(crate) struct Embedded {
    position: usize,
    href: String,
    key: String,
    source_blob: ContentHash,
}

impl Answer {
    /// Appends what the answer says to a key.
    fn put(&self, bytes: &mut Vec<u8>) {
        let found = |bytes: &mut Vec<u8>, tag: u8, parts: &[&[u8]]| {
            bytes.push(tag);
            for part in parts {
                put(bytes, part);
            }
        };
        match self {
            Answer::Link(None) | Answer::Embed(None) | Answer::Asset(None) => bytes.push(0),
            Answer::Link(Some(href)) => found(bytes, b'L', &[href.as_bytes()]),
            Answer::Embed(Some(embedded)) => found(
                bytes,
                b'E',
                &[embedded.href.as_bytes(), embedded.key.as_bytes(), embedded.source_blob.as_bytes()],
            ),
            Answer::Asset(Some(FoundAsset { path, href, image })) => {
                found(bytes, b'A', &[path.as_str().as_bytes(), href.as_bytes()]);
                if let Some(image) = image {
                    bytes.push(b'I');
                    bytes.extend_from_slice(&image.width.to_le_bytes());
                    bytes.extend_from_slice(&image.height.to_le_bytes());
                    for (url, width) in &image.variants {
                        put(bytes, url.as_bytes());
                        bytes.extend_from_slice(&width.to_le_bytes());
                    }
                }
            }
        }
    }
}

impl PageContext<'_> {
    /// The page of the note whose vault path is `source` (a [`Transclusion::key`]), NFC
    /// compared; the current page when it is unknown or absent.
    fn source(&self, source: Option<&str>) -> &PageRef {
        let position = source.and_then(|source| self.by_vault_path.get(nfc(source).as_ref()).copied());
        &self.refs[position.unwrap_or(self.me)]
    }

    /// The page a link or embed written in `from` (the page's own note when `None`) finds, and
    /// its position in `refs`: only a page whose audience covers this page's (everyone who may
    /// read this page may read that one). Any other page is answered as if it did not exist,
    /// so no title, address or text of it is shown where its readers are not the only ones.
    fn find(&self, from: Option<&str>, target: &str) -> Option<(&PageRef, usize)> {
        let page = self.index.resolve(self.source(from), target)?;
        let position = *self.positions.get(&std::ptr::from_ref(page).addr())?;
        self.access[position].audience.covers(&self.access[self.me].audience).then_some((page, position))
    }

    /// The site's answer to `question`: the one place a page's rendering learns about the rest
    /// of the site, so that asking again tells whether anything it used changed.
    pub(crate) fn ask(&self, question: &Question) -> Answer {
        match question {
            Question::Link { from, target, subpath } => {
                let page = self.find(from.as_deref(), target);
                Answer::Link(page.map(|(page, _)| vps_render::page_href(page, subpath.as_deref())))
            }
            Question::Embed { from, target } => {
                let found = self.find(from.as_deref(), target).map(|(page, position)| {
                    let entry = &self.routed[position].1;
                    Embedded {
                        position,
                        href: vps_render::page_href(page, None),
                        key: entry.vault_path.clone(),
                        source_blob: entry.source_blob,
                    }
                });
                Answer::Embed(found)
            }
            Question::Asset { target } => {
                let found = self.asset(target).and_then(|path| {
                    let asset = self.assets.get(path)?;
                    let image = self.images.get(&asset.sha256).and_then(|meta| self.image_source(&asset.sha256, meta));
                    Some(FoundAsset { path: path.clone(), href: format!("/_blob/{}", asset.sha256), image })
                });
                Answer::Asset(found)
            }
        }
    }
}

impl PageContext<'_> {
    /// How a page offers the image `hash`: its size, and its variants when it has them.
    fn image_source(&self, hash: &ContentHash, meta: &ImageMeta) -> Option<ImageSource> {
        let (width, height) = meta.size()?;
        let variants = if meta.variants {
            variant_widths(width, self.variant_widths)
                .into_iter()
                .map(|w| (variant_href(hash, w, VariantFormat::Webp), w))
                .collect()
        } else {
            Vec::new()
        };
        Some(ImageSource { width, height, variants })
    }
}

/// A frontmatter `image`/`cover`: a published asset (by its immutable URL) or a web address.
fn image_url(resolver: &PageResolver<'_>, target: &str) -> Option<String> {
    if target.starts_with("https://") || target.starts_with("http://") {
        return Some(target.to_owned());
    }
    let target = target.trim_start_matches("![[").trim_start_matches("[[").trim_end_matches("]]");
    resolver.asset(target)
}

/// Links and embeds of one page, resolved across the new site through [`PageContext::ask`],
/// every question and answer kept.
struct PageResolver<'a> {
    cx: &'a PageContext<'a>,
    shown: RefCell<BTreeSet<AssetPath>>,
    /// The images among the assets found, by URL: what [`Resolver::image_source`] answers.
    images: RefCell<HashMap<String, ImageSource>>,
    asked: RefCell<Vec<(Question, Answer)>>,
    /// The first error met while answering (an embedded note's source unreadable, its cleanup
    /// over a limit): the page fails with it once rendered.
    failed: RefCell<Option<BuildError>>,
}

impl PageResolver<'_> {
    fn ask(&self, question: Question) -> Answer {
        let answer = self.cx.ask(&question);
        self.asked.borrow_mut().push((question, answer.clone()));
        answer
    }

    fn link(&self, from: Option<&str>, target: &str, subpath: Option<&str>) -> Option<String> {
        let question = Question::Link {
            from: from.map(str::to_owned),
            target: target.to_owned(),
            subpath: subpath.map(str::to_owned),
        };
        let Answer::Link(href) = self.ask(question) else { unreachable!("a link question gets a link answer") };
        href
    }

    fn embed(&self, from: Option<&str>, target: &str) -> Option<Transclusion> {
        let question = Question::Embed { from: from.map(str::to_owned), target: target.to_owned() };
        let Answer::Embed(found) = self.ask(question) else { unreachable!("an embed question gets an embed answer") };
        let Embedded { position, href, key, .. } = found?;
        // A canvas is transcluded as the list of its cards (`crate::canvas`).
        let markdown = if vps_render::is_canvas(&self.cx.routed[position].1.vault_path) {
            self.cx.notes.note(position).and_then(crate::canvas::embed_markdown)
        } else {
            self.cx.notes.cleaned(position).map(str::to_owned)
        };
        match markdown {
            Ok(markdown) => Some(Transclusion { markdown, href, key }),
            Err(error) => {
                self.failed.borrow_mut().get_or_insert(error);
                None
            }
        }
    }

    /// Assets are linked by their immutable `/_blob/<sha256>` URL: caches keep them for a year,
    /// and a changed file is a new URL.
    fn asset(&self, target: &str) -> Option<String> {
        let Answer::Asset(found) = self.ask(Question::Asset { target: target.to_owned() }) else {
            unreachable!("an asset question gets an asset answer")
        };
        let FoundAsset { path, href, image } = found?;
        self.shown.borrow_mut().insert(path);
        if let Some(image) = image {
            self.images.borrow_mut().insert(href.clone(), image);
        }
        Some(href)
    }
}

impl Resolver for PageResolver<'_> {
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
        self.link(None, target, subpath)
    }

    /// A link inside an embedded note resolves from that note, as in Obsidian.
    fn page_href_from(&self, source: &str, target: &str, subpath: Option<&str>) -> Option<String> {
        self.link(Some(source), target, subpath)
    }

    /// `![[Note]]`: the embedded note's Markdown (its cleanup rules applied), to render in place.
    fn note_markdown(&self, target: &str) -> Option<Transclusion> {
        self.embed(None, target)
    }

    fn note_markdown_from(&self, source: &str, target: &str) -> Option<Transclusion> {
        self.embed(Some(source), target)
    }

    fn asset_href(&self, target: &str) -> Option<String> {
        self.asset(target)
    }

    fn image_source(&self, href: &str) -> Option<ImageSource> {
        self.images.borrow().get(href).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::{page_ref, route_all};
    use vps_core::note::Note;
    use vps_core::revision::Revision;
    use vps_core::url::encode_path;

    fn entry(vault_path: &str, content: &str) -> Entry {
        let title = vault_path.rsplit('/').next().unwrap().trim_end_matches(".md").to_owned();
        let note = Note {
            note_id: String::new(),
            title,
            vault_path: vault_path.to_owned(),
            relative_path: vault_path.to_owned(),
            content: content.to_owned(),
            frontmatter: Default::default(),
            folder_config: vps_core::note::FolderConfig {
                id: "f".into(),
                route_base: "/".into(),
                ..Default::default()
            },
            published_at: serde_json::Value::Null,
            assets: vec![],
            leaflet_blocks: None,
        };
        Entry::of(note, ContentHash::of(vault_path.as_bytes()))
    }

    /// Resolves `check` against the site of `notes`, as the page `me` (a vault path).
    fn with_resolver(notes: &[(&str, &str)], me: &str, check: impl FnOnce(&PageResolver<'_>)) {
        let settings = SiteSettings::default();
        let routed = route_all(
            notes.iter().map(|(path, content)| entry(path, content)).collect(),
            &settings,
            &Revision::empty(),
            &mut crate::routes::RouteReport::default(),
        )
        .unwrap();
        let refs: Vec<PageRef> = routed.iter().map(|(route, entry)| page_ref(route, entry)).collect();
        let index = LinkIndex::new(&refs);
        let positions = refs.iter().enumerate().map(|(i, page)| (std::ptr::from_ref(page).addr(), i)).collect();
        let by_vault_path =
            routed.iter().enumerate().map(|(i, (_, entry))| (nfc(&entry.vault_path).into_owned(), i)).collect();
        let access = vec![PageAccess { audience: vps_access::Audience::Public, unlisted: false }; routed.len()];
        let assets = BTreeMap::new();
        let lookup = AssetLookup::new(assets.keys());
        let limits = PublishLimits::default();
        let sink = crate::MemoryBlobs::new();
        let notes = Notes::new(&routed, &settings, &limits, &sink).unwrap();
        let cx = PageContext {
            index: &index,
            refs: &refs,
            routed: &routed,
            access: &access,
            notes: &notes,
            me: routed.iter().position(|(_, entry)| entry.vault_path == me).unwrap(),
            lookup: &lookup,
            assets: &assets,
            images: &BTreeMap::new(),
            variant_widths: &[],
            positions: &positions,
            by_vault_path: &by_vault_path,
            settings: &settings,
            limits: &limits,
            render_settings: render_settings_key(&settings, &limits, false, &[]),
            show_properties: false,
            links_unchanged: false,
        };
        check(&PageResolver {
            cx: &cx,
            shown: RefCell::new(BTreeSet::new()),
            images: RefCell::default(),
            asked: RefCell::new(Vec::new()),
            failed: RefCell::new(None),
        });
    }

    fn route_of(notes: &[(&str, &str)], vault_path: &str) -> String {
        let routed = route_all(
            notes.iter().map(|(path, content)| entry(path, content)).collect(),
            &SiteSettings::default(),
            &Revision::empty(),
            &mut crate::routes::RouteReport::default(),
        )
        .unwrap();
        routed.into_iter().find(|(_, entry)| entry.vault_path == vault_path).unwrap().0
    }

    #[test]
    fn links_inside_an_embedded_note_resolve_from_that_note() {
        let notes = [("Home.md", "![[Inner]]"), ("sub/Inner.md", "[[Other]]"), ("sub/Other.md", ""), ("Other.md", "")];
        let sibling = encode_path(&route_of(&notes, "sub/Other.md"));
        let root = encode_path(&route_of(&notes, "Other.md"));
        assert_ne!(sibling, root);
        with_resolver(&notes, "Home.md", |resolver| {
            assert_eq!(resolver.page_href("Other", None), Some(root.clone()), "from the embedding page");
            assert_eq!(resolver.page_href_from("sub/Inner.md", "Other", None), Some(sibling.clone()));
            let embedded = resolver.note_markdown_from("sub/Inner.md", "Other").unwrap();
            assert_eq!(embedded.href, sibling, "an embed inside the embedded note, from that note");
            assert_eq!(embedded.key, "sub/Other.md");
            assert_eq!(resolver.note_markdown("Other").unwrap().key, "Other.md");
        });
    }

    #[test]
    fn wikilinks_find_notes_in_either_normalization_and_hrefs_are_encoded() {
        let nfd = "Dossier/E\u{301}te\u{301}.md";
        let notes = [("Home.md", ""), (nfd, "## Section"), ("Blog/Café.md", "")];
        with_resolver(&notes, "Home.md", |resolver| {
            let href = resolver.page_href("Été", None).expect("NFC target, NFD file");
            assert!(href.is_ascii(), "{href}");
            assert_eq!(decode_route(&href), route_of(&notes, nfd));
            let cafe = resolver.page_href("Cafe\u{301}", Some("x")).expect("NFD target, NFC file");
            assert!(cafe.is_ascii() && cafe.ends_with("#x"), "{cafe}");
            assert_eq!(resolver.note_markdown("Dossier/Été").unwrap().markdown, "## Section");
        });
    }

    #[test]
    fn routes_are_nfc_and_owned_by_their_note() {
        let nfd = "Caf\u{65}\u{301}.md";
        let route = route_of(&[(nfd, "")], nfd);
        assert_eq!(route, nfc(&route));
    }
}
