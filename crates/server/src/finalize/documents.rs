//! The reader's site around the notes: every page inside the site's layout (navigation,
//! breadcrumbs, table of contents, backlinks, tags), and the documents made for the whole site
//! (folder indexes, tag pages, the generated home page, sitemap, robots.txt, feed, 404). All of
//! them are blobs: a document that did not change between two revisions costs nothing.

use std::collections::BTreeMap;

use vps_core::ContentHash;
use vps_core::job::iso8601;
use vps_core::revision::Generated;
use vps_site::{PageInfo, Site, SiteInfo};
use vps_store::StoreError;

use super::BlockingBlobs;

const HTML: &str = "text/html; charset=utf-8";

/// A page rendered from its note, waiting for the site around it.
pub struct Draft {
    pub info: PageInfo,
    pub content_html: String,
}

/// What the site's documents came to.
pub struct Documents {
    /// Route → the whole HTML page.
    pub pages: BTreeMap<String, ContentHash>,
    pub generated: BTreeMap<String, Generated>,
    pub site_blob: ContentHash,
    pub site: Site,
}

/// The model the layout and search are built from, stored with the revision.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SiteModel {
    pub info: SiteInfo,
    pub pages: Vec<PageInfo>,
}

impl SiteModel {
    pub fn build(self) -> Site {
        Site::new(self.info, self.pages)
    }
}

pub fn write(
    store: &BlockingBlobs<'_>,
    info: SiteInfo,
    drafts: Vec<Draft>,
    now_ms: u64,
) -> Result<Documents, StoreError> {
    let model = SiteModel { info, pages: drafts.iter().map(|draft| draft.info.clone()).collect() };
    let site_blob = store.put_bytes(&serde_json::to_vec(&model).expect("the site model serializes"))?;
    let home_missing = model.info.home_route.is_none();
    let site = model.build();

    let mut pages = BTreeMap::new();
    for draft in &drafts {
        let html = site.page(&draft.info.route, &draft.content_html).unwrap_or_else(|| site.not_found());
        pages.insert(draft.info.route.clone(), store.put_bytes(html.as_bytes())?);
    }

    let mut generated = BTreeMap::new();
    let mut add = |route: String, body: String, content_type: &str| -> Result<(), StoreError> {
        let blob = store.put_bytes(body.as_bytes())?;
        generated.insert(route, Generated { blob, content_type: content_type.to_owned() });
        Ok(())
    };
    if home_missing {
        add("/".into(), site.home(), HTML)?;
    }
    // A folder's index note (`<folder>/index`, e.g. a custom index file) opens its folder page.
    for folder in site.folder_routes() {
        let index_route = format!("{}/index", folder.trim_end_matches('/'));
        let intro =
            drafts.iter().find(|draft| draft.info.route == index_route).map(|draft| draft.content_html.as_str());
        if let Some(html) = site.folder_index(&folder, intro) {
            add(folder, html, HTML)?;
        }
    }
    add("/tags".into(), site.tags_index(), HTML)?;
    for tag in site.tags() {
        if let Some(html) = site.tag_page(&tag) {
            add(format!("/tags/{tag}"), html, HTML)?;
        }
    }
    add("/404".into(), site.not_found(), HTML)?;
    add("/sitemap.xml".into(), site.sitemap_xml(), "application/xml; charset=utf-8")?;
    add("/robots.txt".into(), site.robots_txt(), "text/plain; charset=utf-8")?;
    add("/feed.xml".into(), site.feed_xml(&iso8601(now_ms)), "application/atom+xml; charset=utf-8")?;
    Ok(Documents { pages, generated, site_blob, site })
}
