//! One page (ARCHITECTURE §5, step 3): a note rendered with its links, embeds and transclusions
//! resolved across the new site ([`PageResolver`]), its tags checked, its source stored, and
//! what the manifest and the reader's site need of it ([`PagePart`], [`Draft`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use vps_core::AssetPath;
use vps_core::ContentHash;
use vps_core::revision::{Asset, Page, SiteSettings};
use vps_core::slug::{decode_route, nfc};
use vps_render::{Exceeded, LinkIndex, PageMeta, PageRef, PublishLimits, RenderOptions, Resolver, Transclusion};
use vps_site::{Heading as SiteHeading, PageInfo};

use crate::documents::Draft;
use crate::error::BuildError;
use crate::links::AssetLookup;
use crate::select::Entry;
use crate::sink::BlobSink;

pub(crate) struct PageContext<'a> {
    pub(crate) index: &'a LinkIndex<'a>,
    pub(crate) refs: &'a [PageRef],
    /// Every note of the new site, in the order of `refs`, for transclusion.
    pub(crate) notes: &'a [(String, Entry)],
    pub(crate) me: usize,
    pub(crate) lookup: &'a AssetLookup,
    pub(crate) assets: &'a BTreeMap<AssetPath, Asset>,
    /// Every note's Markdown after cleanup rules, in the order of `refs`.
    pub(crate) cleaned: &'a [String],
    /// The index in `refs` of each page reference, by its address.
    pub(crate) positions: &'a HashMap<usize, usize>,
    /// The index in `refs` of each note, by its NFC vault path (the first of a file published
    /// under two folders).
    pub(crate) by_vault_path: &'a HashMap<String, usize>,
    pub(crate) settings: &'a SiteSettings,
    pub(crate) limits: &'a PublishLimits,
}

impl PageContext<'_> {
    /// The asset an embed, image or detected reference of this page means, resolved from the
    /// page's own note (next to it first): the one place a page resolves an attachment.
    fn asset(&self, target: &str) -> Option<&AssetPath> {
        self.lookup.resolve(&self.notes[self.me].1.note.vault_path, target)
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
}

impl PagePart {
    pub(crate) fn into_page(self, html_blob: ContentHash) -> Page {
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
            made_from: None,
        }
    }
}

pub(crate) fn build_page(
    sink: &dyn BlobSink,
    cx: &PageContext<'_>,
    route: &str,
    entry: &Entry,
) -> Result<(PagePart, Draft), BuildError> {
    let note = &entry.note;
    let content = &cx.cleaned[cx.me];
    let resolver = PageResolver { cx, shown: RefCell::new(BTreeSet::new()) };
    let options = RenderOptions { ignored_tags: &cx.settings.ignored_tags, limits: *cx.limits };
    let rendered =
        vps_render::try_render(content, &resolver, &options).map_err(|exceeded| exceeded.in_note(&note.vault_path))?;
    let meta = PageMeta::from_frontmatter(&note.frontmatter.flat);
    let title = meta.title.clone().unwrap_or_else(|| note.title.clone());
    let source_blob = match entry.source_blob {
        Some(blob) => blob,
        None => sink.put_bytes(&serde_json::to_vec(note).expect("notes serialize"))?,
    };
    // Assets the client detected (frontmatter images, HTML references) count as shown too.
    let mut shown = resolver.shown.into_inner();
    shown.extend(note.assets.iter().filter_map(|asset| cx.asset(&asset.target).cloned()));
    let image = meta.image.as_deref().and_then(|target| image_url(cx, target, &mut shown));
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
        vault_path: note.vault_path.clone(),
        description: meta.description.clone(),
        tags: tags.clone(),
        headings: rendered.headings.iter().map(|h| SiteHeading::new(h.level, h.text.clone(), h.id.clone())).collect(),
        updated: meta
            .updated
            .clone()
            .or_else(|| meta.date.clone())
            .or_else(|| note.published_at.as_str().map(str::to_owned)),
        noindex: meta.noindex,
        cssclasses: meta.cssclasses.clone(),
        image,
        links_to,
        text: rendered.text,
    };
    let part = PagePart {
        route: route.to_owned(),
        title,
        vault_path: note.vault_path.clone(),
        folder_id: note.folder_config.id.clone(),
        source_sha256: ContentHash::of(note.content.as_bytes()).to_hex(),
        source_blob,
        links,
        assets: shown.into_iter().collect(),
        tags,
    };
    Ok((part, Draft { info, content_html: rendered.html }))
}

/// A frontmatter `image`/`cover`: a published asset (by its immutable URL) or a web address.
fn image_url(cx: &PageContext<'_>, target: &str, shown: &mut BTreeSet<AssetPath>) -> Option<String> {
    if target.starts_with("https://") || target.starts_with("http://") {
        return Some(target.to_owned());
    }
    let target = target.trim_start_matches("![[").trim_start_matches("[[").trim_end_matches("]]");
    let path = cx.asset(target)?.clone();
    let url = format!("/_blob/{}", cx.assets.get(&path)?.sha256);
    shown.insert(path);
    Some(url)
}

/// Links and embeds of one page, resolved across the new site.
struct PageResolver<'a> {
    cx: &'a PageContext<'a>,
    shown: RefCell<BTreeSet<AssetPath>>,
}

impl PageResolver<'_> {
    /// The page of the note whose vault path is `source` (a [`Transclusion::key`]), NFC
    /// compared; the current page when it is unknown.
    fn source(&self, source: &str) -> &PageRef {
        let position = self.cx.by_vault_path.get(nfc(source).as_ref()).copied().unwrap_or(self.cx.me);
        &self.cx.refs[position]
    }

    /// The href of `target` linked from `from` ([`vps_render::page_href`]).
    fn href_from(&self, from: &PageRef, target: &str, subpath: Option<&str>) -> Option<String> {
        let page = self.cx.index.resolve(from, target)?;
        Some(vps_render::page_href(page, subpath))
    }

    /// `target` embedded from `from`: the note's Markdown (its cleanup rules applied).
    fn markdown_from(&self, from: &PageRef, target: &str) -> Option<Transclusion> {
        let page = self.cx.index.resolve(from, target)?;
        let position = *self.cx.positions.get(&std::ptr::from_ref(page).addr())?;
        let note = &self.cx.notes[position].1.note;
        let markdown = self.cx.cleaned[position].clone();
        Some(Transclusion { markdown, href: vps_render::page_href(page, None), key: note.vault_path.clone() })
    }
}

impl Resolver for PageResolver<'_> {
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
        self.href_from(&self.cx.refs[self.cx.me], target, subpath)
    }

    /// A link inside an embedded note resolves from that note, as in Obsidian.
    fn page_href_from(&self, source: &str, target: &str, subpath: Option<&str>) -> Option<String> {
        self.href_from(self.source(source), target, subpath)
    }

    /// `![[Note]]`: the embedded note's Markdown (its cleanup rules applied), to render in place.
    fn note_markdown(&self, target: &str) -> Option<Transclusion> {
        self.markdown_from(&self.cx.refs[self.cx.me], target)
    }

    fn note_markdown_from(&self, source: &str, target: &str) -> Option<Transclusion> {
        self.markdown_from(self.source(source), target)
    }

    /// Assets are linked by their immutable `/_blob/<sha256>` URL: caches keep them for a year,
    /// and a changed file is a new URL.
    fn asset_href(&self, target: &str) -> Option<String> {
        let path = self.cx.asset(target)?.clone();
        let href = format!("/_blob/{}", self.cx.assets.get(&path)?.sha256);
        self.shown.borrow_mut().insert(path);
        Some(href)
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
        Entry { note, source_blob: None }
    }

    /// Resolves `check` against the site of `notes`, as the page `me` (a vault path).
    fn with_resolver(notes: &[(&str, &str)], me: &str, check: impl FnOnce(&PageResolver<'_>)) {
        let settings = SiteSettings::default();
        let routed = route_all(
            notes.iter().map(|(path, content)| entry(path, content)).collect(),
            &settings,
            &Revision::empty(),
        );
        let refs: Vec<PageRef> = routed.iter().map(|(route, entry)| page_ref(route, &entry.note)).collect();
        let index = LinkIndex::new(&refs);
        let positions = refs.iter().enumerate().map(|(i, page)| (std::ptr::from_ref(page).addr(), i)).collect();
        let by_vault_path =
            routed.iter().enumerate().map(|(i, (_, entry))| (nfc(&entry.note.vault_path).into_owned(), i)).collect();
        let cleaned: Vec<String> = routed.iter().map(|(_, entry)| entry.note.content.clone()).collect();
        let assets = BTreeMap::new();
        let lookup = AssetLookup::new(assets.keys());
        let limits = PublishLimits::default();
        let cx = PageContext {
            index: &index,
            refs: &refs,
            notes: &routed,
            me: routed.iter().position(|(_, entry)| entry.note.vault_path == me).unwrap(),
            lookup: &lookup,
            assets: &assets,
            cleaned: &cleaned,
            positions: &positions,
            by_vault_path: &by_vault_path,
            settings: &settings,
            limits: &limits,
        };
        check(&PageResolver { cx: &cx, shown: RefCell::new(BTreeSet::new()) });
    }

    fn route_of(notes: &[(&str, &str)], vault_path: &str) -> String {
        let routed = route_all(
            notes.iter().map(|(path, content)| entry(path, content)).collect(),
            &SiteSettings::default(),
            &Revision::empty(),
        );
        routed.into_iter().find(|(_, entry)| entry.note.vault_path == vault_path).unwrap().0
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
