//! The reader's site around the notes: every page inside the site's layout (navigation,
//! breadcrumbs, table of contents, backlinks, tags), and the documents made for the whole site
//! (folder indexes, tag pages, the generated home page). All of them are blobs, written with
//! URLs relative to their own route: a document that did not change between two revisions
//! costs nothing, and none depends on `BASE_URL`. Each gets its stored gzip and brotli
//! variants ([`crate::encode`]). The documents that do (sitemap, robots.txt,
//! feed, 404) are made by the server when it loads a revision.
//!
//! Each page is checked against `MAX_PAGE_BYTES`, each generated document against
//! `MAX_DOCUMENT_BYTES` and the site model (search) against `MAX_SEARCH_INDEX_BYTES` as it is
//! made, before it is stored; listings of more than
//! `LISTING_PAGE_SIZE` entries continue on numbered pages (`/blog/page/2`).

use std::collections::BTreeMap;

use vps_core::ContentHash;
use vps_core::job::Phase;
use vps_core::revision::{Generated, MadeFrom, Question, Revision};
use vps_render::{Exceeded, PublishLimits};
use vps_site::{PageInfo, Site, SiteInfo, listing_page_route};

use crate::encode::Encoder;
use crate::error::BuildError;
use crate::sink::BlobSink;

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// A page rendered from its note (or reused), waiting for the site around it.
pub(crate) struct Draft {
    pub(crate) info: PageInfo,
    pub(crate) content: Content,
    /// What its content was made from ([`vps_core::revision::MadeFrom::content_key`]).
    pub(crate) content_key: ContentHash,
    /// The questions its rendering asked.
    pub(crate) questions: Vec<Question>,
}

/// A page's content HTML: rendered now, or the same as the base revision's, stored as its
/// content blob (read only if the page must be laid out again).
pub(crate) enum Content {
    Rendered(String),
    Kept(ContentHash),
}

impl Content {
    /// The content HTML and its blob, stored now when it was rendered now.
    fn html(&self, sink: &dyn BlobSink, vault_path: &str) -> Result<(String, ContentHash), BuildError> {
        match self {
            Content::Rendered(html) => Ok((html.clone(), sink.put_bytes(html.as_bytes())?)),
            Content::Kept(blob) => {
                let bytes = sink.read_many(vec![*blob])?.pop().flatten();
                let html = bytes.and_then(|bytes| String::from_utf8(bytes.to_vec()).ok());
                let html = html.ok_or_else(|| BuildError::Source(vault_path.to_owned()))?;
                Ok((html, *blob))
            }
        }
    }
}

/// What the site's documents came to.
pub(crate) struct Documents {
    /// Route → the whole HTML page and what it was made from.
    pub(crate) pages: BTreeMap<String, (ContentHash, MadeFrom)>,
    /// Pages laid out (written) by this build, the others being the base revision's.
    pub(crate) pages_written: u64,
    pub(crate) generated: BTreeMap<String, Generated>,
    pub(crate) site_blob: ContentHash,
    pub(crate) site: Site,
}

/// The model the layout and search are built from, stored with the revision.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SiteModel {
    /// The site's name, base URL, home page, language, folder labels, stylesheet.
    pub info: SiteInfo,
    /// Every page, as navigation, backlinks, tags and search see it.
    pub pages: Vec<PageInfo>,
}

impl SiteModel {
    /// The reader's site of the model (what is served with its revision).
    pub fn build(self) -> Site {
        Site::new(self.info, self.pages)
    }
}

/// What a build is made on: the live revision and, when it is at hand, its reader's site.
#[derive(Clone, Copy)]
pub(crate) struct Base<'a> {
    pub(crate) revision: &'a Revision,
    pub(crate) site: Option<&'a Site>,
}

/// Writes every page and document of the site. `progress` is called once per page and per
/// document, so a stopped finalization is seen between two of them.
pub(crate) fn write(
    sink: &dyn BlobSink,
    encoder: &Encoder<'_>,
    base: Base<'_>,
    info: SiteInfo,
    drafts: Vec<Draft>,
    limits: &PublishLimits,
    progress: &dyn Fn(Phase, u8) -> Result<(), BuildError>,
) -> Result<Documents, BuildError> {
    let model = SiteModel { info, pages: drafts.iter().map(|draft| draft.info.clone()).collect() };
    let site_blob = sink.put_bytes(&site_model_json(&model, limits, progress)?)?;
    let home_missing = model.info.home_route.is_none();
    // What each page alone derives (its search text folded…) is shared with the base site.
    let site = Site::new_from(model.info, model.pages, base.site).with_listing_page_size(limits.listing_page_size);
    // A site-wide document too large is blamed on the last note it lists: the one that tipped it.
    let last_note = drafts.last().map_or("", |draft| draft.info.vault_path.as_str());

    let total = drafts.len().max(1);
    let mut pages = BTreeMap::new();
    let mut pages_written = 0;
    let shell_keys = shell_keys(&site, &drafts);
    for (i, (draft, shell_key)) in drafts.iter().zip(shell_keys).enumerate() {
        progress(Phase::PromotingContent, 75 + (10 * i / total) as u8)?;
        let route = &draft.info.route;
        let page_key = page_key(&draft.content_key, shell_key);
        let previous = base.revision.pages.get(route).and_then(|page| Some((page.html_blob, page.made_from.as_ref()?)));
        if let Some((html_blob, made_from)) = previous
            && made_from.page_key == page_key
            && made_from.content_key == draft.content_key
        {
            if !encoder.reuse(&html_blob) {
                let html = sink.read_many(vec![html_blob])?.pop().flatten();
                let html = html.ok_or_else(|| BuildError::Source(draft.info.vault_path.clone()))?;
                encoder.encode(sink, html_blob, &html)?;
            }
            let made_from = MadeFrom { questions: draft.questions.clone(), ..made_from.clone() };
            pages.insert(route.clone(), (html_blob, made_from));
            continue;
        }
        let (content, content_blob) = draft.content.html(sink, &draft.info.vault_path)?;
        let html = site.page(route, &content).unwrap_or_else(|| site.not_found(&vps_site::PublicBase::default()));
        if html.len() > limits.max_page_bytes {
            let what = format!("its page ({} bytes)", html.len());
            return Err(Exceeded::new(what, "MAX_PAGE_BYTES", limits.max_page_bytes)
                .in_note(&draft.info.vault_path)
                .into());
        }
        let blob = sink.put_bytes(html.as_bytes())?;
        encoder.encode(sink, blob, html.as_bytes())?;
        pages_written += 1;
        let made_from = MadeFrom {
            content_key: draft.content_key,
            page_key,
            content: content_blob,
            questions: draft.questions.clone(),
        };
        pages.insert(route.clone(), (blob, made_from));
    }

    let mut generated = BTreeMap::new();
    // A listing is made again only when its key changed (what it lists, its navigation, the
    // site; see `Site::folder_listing_key`): otherwise the base revision's document is kept.
    let mut add_typed = |route: String,
                         content_type: &str,
                         key: ContentHash,
                         render: &mut dyn FnMut() -> Result<Option<String>, BuildError>,
                         blame: &str|
     -> Result<(), BuildError> {
        progress(Phase::PromotingContent, 86)?;
        // A note published at a listing's page route (`/blog/page/2`) keeps it.
        if pages.contains_key(&route) || generated.contains_key(&route) {
            return Ok(());
        }
        if let Some(kept) = base.revision.generated.get(&route).filter(|kept| kept.key == Some(key)) {
            if !encoder.reuse(&kept.blob) {
                let body = sink.read_many(vec![kept.blob])?.pop().flatten();
                let body = body.ok_or_else(|| BuildError::Source(route.clone()))?;
                encoder.encode(sink, kept.blob, &body)?;
            }
            generated.insert(route, kept.clone());
            return Ok(());
        }
        let Some(body) = render()? else { return Ok(()) };
        if body.len() > limits.max_document_bytes {
            let what = format!("the document {route:?} ({} bytes)", body.len());
            return Err(Exceeded::new(what, "MAX_DOCUMENT_BYTES", limits.max_document_bytes).in_note(blame).into());
        }
        let blob = sink.put_bytes(body.as_bytes())?;
        encoder.encode(sink, blob, body.as_bytes())?;
        generated.insert(route, Generated { blob, content_type: content_type.to_owned(), key: Some(key) });
        Ok(())
    };
    let mut add = |route: String,
                   key: ContentHash,
                   render: &mut dyn FnMut() -> Result<Option<String>, BuildError>,
                   blame: &str|
     -> Result<(), BuildError> { add_typed(route, HTML, key, render, blame) };
    if home_missing {
        for number in 1..=site.folder_index_pages("/") {
            let key = listing_key(site.folder_listing_key("/", number), None, limits);
            let mut render = || Ok(site.folder_index_page("/", None, number));
            add(listing_page_route("/", number), key, &mut render, last_note)?;
        }
    }
    // A folder's index note (`<folder>/index`, e.g. a custom index file) opens its folder page.
    let by_route: BTreeMap<&str, &Draft> = drafts.iter().map(|draft| (draft.info.route.as_str(), draft)).collect();
    // A listing too large is blamed on the first note in its folder.
    let listed = |folder: &str| -> &str {
        let prefix = format!("{}/", folder.trim_end_matches('/'));
        let first = by_route.range(prefix.as_str()..).next().filter(|(route, _)| route.starts_with(&prefix));
        first.map_or(last_note, |(_, draft)| draft.info.vault_path.as_str())
    };
    for folder in site.folder_routes() {
        let index_route = format!("{}/index", folder.trim_end_matches('/'));
        // Not one listed nowhere: an unlisted or protected index note is not shown to everyone.
        let intro_draft = by_route.get(index_route.as_str()).copied().filter(|draft| !draft.info.unlisted);
        // The intro is read (a kept page's content is a blob) only if a listing page is made.
        let mut intro: Option<Option<String>> = None;
        for number in 1..=site.folder_index_pages(&folder) {
            let key = listing_key(
                site.folder_listing_key(&folder, number),
                intro_draft.map(|draft| &draft.content_key),
                limits,
            );
            let mut render = || {
                if intro.is_none() {
                    let html = match intro_draft {
                        Some(draft) => Some(draft.content.html(sink, &draft.info.vault_path)?.0),
                        None => None,
                    };
                    intro = Some(html);
                }
                Ok(site.folder_index_page(&folder, intro.as_ref().and_then(|intro| intro.as_deref()), number))
            };
            add(listing_page_route(&folder, number), key, &mut render, listed(&folder))?;
        }
    }
    let key = listing_key(Some(site.tags_index_key()), None, limits);
    add("/tags".into(), key, &mut || Ok(Some(site.tags_index())), last_note)?;
    let key = listing_key(Some(site.recent_key()), None, limits);
    add(vps_site::RECENT_ROUTE.into(), key, &mut || Ok(Some(site.recent_page())), last_note)?;
    for tag in site.tags() {
        // At the tag's one URL (`tag_href`), whatever spelling the site shows.
        let route = vps_core::slug::tag_route(&tag);
        for number in 1..=site.tag_pages(&tag) {
            let key = listing_key(site.tag_listing_key(&tag, number), None, limits);
            let mut render = || Ok(site.tag_page_number(&tag, number));
            add(listing_page_route(&route, number), key, &mut render, last_note)?;
        }
    }
    // The graph: its page, and its document, made in O(pages + links) to be compared with the
    // base revision's (the same graph is the same blob).
    if site.info().presentation.show_graph {
        let key = listing_key(Some(site.graph_page_key()), None, limits);
        add(vps_site::GRAPH_ROUTE.into(), key, &mut || Ok(Some(site.graph_page())), last_note)?;
        let graph = site.graph_json(limits.graph_max_nodes);
        let key = ContentHash::of(graph.as_bytes());
        let mut graph = Some(graph);
        add_typed(vps_site::GRAPH_JSON_ROUTE.into(), JSON, key, &mut || Ok(graph.take()), last_note)?;
    }
    // The 404 page, sitemap.xml, robots.txt and feed.xml depend on the public address
    // (`BASE_URL`): the server makes them when it loads the revision, not stored here.
    Ok(Documents { pages, pages_written, generated, site_blob, site })
}

/// Where the writer's callout styles are served: a generated document of the revision, linked
/// from every page's head with its content hash in the query ([`callout_css_href`]).
pub const CALLOUT_CSS_ROUTE: &str = "/_callouts.css";

/// The writer's callout styles (`start`'s `calloutStyles`) sanitised into one stylesheet
/// ([`vps_render::sanitize_callout_css`]), or `None` when nothing is left of them. More than
/// `MAX_DOCUMENT_BYTES` of them fails the publish, naming the snippet.
pub(crate) fn callout_stylesheet(
    styles: &[vps_core::api::CalloutStyle],
    limits: &PublishLimits,
) -> Result<Option<String>, BuildError> {
    let styles: Vec<(&str, &str)> = styles.iter().map(|style| (style.path.as_str(), style.css.as_str())).collect();
    let css = vps_render::sanitize_callout_css(&styles, limits.max_document_bytes)?;
    Ok((!css.is_empty()).then_some(css))
}

/// The href pages link the callout stylesheet `css` with: it changes when the stylesheet does.
pub(crate) fn callout_css_href(css: &str) -> String {
    format!("{CALLOUT_CSS_ROUTE}?v={}", &ContentHash::of(css.as_bytes()).to_hex()[..12])
}

/// Stores the callout stylesheet as the revision's document at [`CALLOUT_CSS_ROUTE`] (unless a
/// page took that route).
pub(crate) fn add_callout_stylesheet(
    sink: &dyn BlobSink,
    encoder: &Encoder<'_>,
    documents: &mut Documents,
    css: &str,
) -> Result<(), BuildError> {
    if documents.pages.contains_key(CALLOUT_CSS_ROUTE) {
        return Ok(());
    }
    let blob = sink.put_bytes(css.as_bytes())?;
    encoder.encode(sink, blob, css.as_bytes())?;
    let key = Some(ContentHash::of(css.as_bytes()));
    let document = Generated { blob, content_type: "text/css; charset=utf-8".to_owned(), key };
    documents.generated.insert(CALLOUT_CSS_ROUTE.to_owned(), document);
    Ok(())
}

/// A listing document's key: the site's key of what it shows ([`Site::folder_listing_key`],
/// [`Site::tag_listing_key`], [`Site::tags_index_key`]), the content key of the folder's intro
/// note if it has one, and the document limit it was checked against.
fn listing_key(shown: Option<[u8; 32]>, intro: Option<&ContentHash>, limits: &PublishLimits) -> ContentHash {
    let mut bytes = b"listing-1".to_vec();
    match shown {
        Some(shown) => bytes.extend_from_slice(&shown),
        None => bytes.extend_from_slice(b"not in the site"),
    }
    match intro {
        Some(intro) => bytes.extend_from_slice(intro.as_bytes()),
        None => bytes.push(0),
    }
    bytes.extend_from_slice(&(limits.max_document_bytes as u64).to_le_bytes());
    ContentHash::of(&bytes)
}

/// How many pages of `revision` the reader's site `site` would lay out otherwise than they are
/// stored: their page key no longer matches (the site's name changed, or the layout's version
/// with an upgrade). Pages of revisions made before page keys are not counted.
pub fn stale_pages(revision: &Revision, site: &Site) -> usize {
    let stale = |(route, page): &(&String, &vps_core::revision::Page)| {
        page.made_from.as_ref().is_some_and(|made| made.page_key != page_key(&made.content_key, site.shell_key(route)))
    };
    revision.pages.iter().filter(stale).count()
}

/// Most threads [`shell_keys`] uses.
const SHELL_KEY_THREADS: usize = 4;

/// Every draft's [`Site::shell_key`], in order. Each is a pure function of the site, and every
/// page needs one (a shell changes when a page far away in the tree moves), so they are made on
/// the machine's cores (at most [`SHELL_KEY_THREADS`]).
fn shell_keys(site: &Site, drafts: &[Draft]) -> Vec<Option<[u8; 32]>> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, SHELL_KEY_THREADS);
    let chunk = drafts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = drafts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|draft| site.shell_key(&draft.info.route)).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a shell key does not panic")).collect()
    })
}

/// A page's key: its content's and its shell's (navigation, backlinks, site; see
/// [`Site::shell_key`]).
fn page_key(content_key: &ContentHash, shell_key: Option<[u8; 32]>) -> ContentHash {
    let mut bytes = content_key.as_bytes().to_vec();
    match shell_key {
        Some(shell) => bytes.extend_from_slice(&shell),
        None => bytes.extend_from_slice(b"not in the site"),
    }
    ContentHash::of(&bytes)
}

/// The site model as JSON (what `SiteModel`'s `Serialize` writes), page by page: the search
/// index grows with every note's text, so its size is checked as each page is added and the
/// note that takes it over `MAX_SEARCH_INDEX_BYTES` is named.
fn site_model_json(
    model: &SiteModel,
    limits: &PublishLimits,
    progress: &dyn Fn(Phase, u8) -> Result<(), BuildError>,
) -> Result<Vec<u8>, BuildError> {
    let mut out = b"{\"info\":".to_vec();
    serde_json::to_writer(&mut out, &model.info).expect("the site info serializes");
    out.extend_from_slice(b",\"pages\":[");
    for (i, page) in model.pages.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, page).expect("a page's info serializes");
        if out.len() > limits.max_search_index_bytes {
            let what = format!("the search index (over {} bytes with this note)", out.len());
            return Err(Exceeded::new(what, "MAX_SEARCH_INDEX_BYTES", limits.max_search_index_bytes)
                .in_note(&page.vault_path)
                .into());
        }
        if i % 256 == 255 {
            progress(Phase::PromotingContent, 75)?;
        }
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}
