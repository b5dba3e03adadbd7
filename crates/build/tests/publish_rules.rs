//! The publish rules, checked on the engine alone (no HTTP, no store): which pages a publish
//! keeps, removes and redirects, which page is the home page, which assets stay.

use std::collections::BTreeMap;

use vps_build::{BuildInput, Built, MemoryBlobs, SessionInput, SiteOptions, build};
use vps_core::api::StartSessionRequest;
use vps_core::note::{FolderConfig, Note};
use vps_core::revision::{Asset, Revision, RevisionId};
use vps_core::{AssetPath, ContentHash, MediaType, SessionId};

fn note_in(route_base: &str, vault_path: &str, content: &str) -> Note {
    let title = vault_path.rsplit('/').next().unwrap().trim_end_matches(".md").to_owned();
    Note {
        note_id: String::new(),
        title,
        vault_path: vault_path.to_owned(),
        relative_path: vault_path.to_owned(),
        content: content.to_owned(),
        frontmatter: Default::default(),
        folder_config: FolderConfig { id: "f".into(), route_base: route_base.into(), ..Default::default() },
        published_at: serde_json::Value::Null,
        assets: vec![],
        leaflet_blocks: None,
    }
}

fn note(vault_path: &str, content: &str) -> Note {
    note_in("/", vault_path, content)
}

fn png(path: &str, byte: u8) -> (AssetPath, Asset) {
    let asset = Asset {
        sha256: ContentHash::from_digest([byte; 32]),
        size: 1,
        media_type: MediaType::parse("image/png").unwrap(),
    };
    (AssetPath::parse(path).unwrap(), asset)
}

/// One publish: what a session sends, built on `base`.
#[derive(Default)]
struct Publish {
    notes: Vec<Note>,
    assets: Vec<(AssetPath, Asset)>,
    /// The server offered skip hints (a partial publish).
    partial: bool,
    inventory: Option<Vec<String>>,
    home_note: Option<String>,
}

impl Publish {
    fn on(self, blobs: &MemoryBlobs, base: &Revision) -> Built {
        let start = StartSessionRequest::default();
        let site = SiteOptions { name: "Site".into(), home_note: self.home_note, ..SiteOptions::default() };
        let input = BuildInput {
            base_site: None,
            base,
            session: SessionInput {
                id: SessionId::generate(),
                start: &start,
                assets: self.assets.into_iter().collect(),
                offered_skips: self.partial,
                cleanup_rules: None,
            },
            notes: self.notes,
            inventory: self.inventory.as_deref(),
            site: &site,
            revision_id: RevisionId::new(1_700_000_000_000, 1),
            now_ms: 1_700_000_000_000,
        };
        build(blobs, input, &|_, _| Ok(())).expect("the build succeeds")
    }
}

fn vault_paths(revision: &Revision) -> Vec<&str> {
    let mut paths: Vec<&str> = revision.pages.values().map(|page| page.vault_path.as_str()).collect();
    paths.sort_unstable();
    paths
}

fn route_of<'a>(revision: &'a Revision, vault_path: &str) -> &'a str {
    revision.pages.iter().find(|(_, page)| page.vault_path == vault_path).map(|(route, _)| route.as_str()).unwrap()
}

fn first_site(blobs: &MemoryBlobs) -> Revision {
    Publish { notes: vec![note("A.md", "a"), note("B.md", "b"), note("C.md", "c")], ..Publish::default() }
        .on(blobs, &Revision::empty())
        .revision
}

#[test]
fn a_partial_publish_keeps_the_pages_the_client_skipped() {
    let blobs = MemoryBlobs::new();
    let base = first_site(&blobs);
    let built =
        Publish { notes: vec![note("A.md", "a, edited")], partial: true, ..Publish::default() }.on(&blobs, &base);
    assert_eq!(vault_paths(&built.revision), ["A.md", "B.md", "C.md"]);
    let b = &built.revision.pages[route_of(&built.revision, "B.md")];
    assert_eq!(b.source_blob, base.pages[route_of(&base, "B.md")].source_blob, "kept from its stored source");
    assert_ne!(
        built.revision.pages[route_of(&built.revision, "A.md")].source_sha256,
        base.pages[route_of(&base, "A.md")].source_sha256
    );
    assert_eq!((built.stats.notes_published, built.stats.notes_deduplicated, built.stats.notes_deleted), (1, 2, 0));
}

#[test]
fn a_full_publish_publishes_exactly_what_it_uploaded() {
    let blobs = MemoryBlobs::new();
    let base = first_site(&blobs);
    let built = Publish { notes: vec![note("A.md", "a")], partial: false, ..Publish::default() }.on(&blobs, &base);
    assert_eq!(vault_paths(&built.revision), ["A.md"]);
    assert_eq!(built.stats.notes_deleted, 2);
}

#[test]
fn an_inventory_removes_the_pages_of_notes_no_longer_in_the_vault() {
    let blobs = MemoryBlobs::new();
    let base = first_site(&blobs);
    let inventory = vec!["A.md".to_owned(), "C.md".to_owned()];
    let built =
        Publish { notes: vec![], partial: true, inventory: Some(inventory), ..Publish::default() }.on(&blobs, &base);
    assert_eq!(vault_paths(&built.revision), ["A.md", "C.md"], "B.md is gone from the vault");
    assert_eq!(built.stats.notes_deleted, 1);
}

#[test]
fn a_partial_publish_fails_when_a_kept_page_has_no_stored_source() {
    let base = first_site(&MemoryBlobs::new());
    let blobs = MemoryBlobs::new();
    let start = StartSessionRequest::default();
    let site = SiteOptions::default();
    let input = BuildInput {
        base_site: None,
        base: &base,
        session: SessionInput {
            id: SessionId::generate(),
            start: &start,
            assets: BTreeMap::new(),
            offered_skips: true,
            cleanup_rules: None,
        },
        notes: vec![note("A.md", "a")],
        inventory: None,
        site: &site,
        revision_id: RevisionId::new(1, 1),
        now_ms: 1,
    };
    let error = build(&blobs, input, &|_, _| Ok(())).err().expect("a missing source fails the build");
    assert_eq!(error.to_string(), "the stored source of B.md is missing or unreadable");
}

#[test]
fn a_page_whose_route_moved_leaves_a_redirect() {
    let blobs = MemoryBlobs::new();
    let base =
        Publish { notes: vec![note_in("/", "Post.md", "p")], ..Publish::default() }.on(&blobs, &Revision::empty());
    let old = route_of(&base.revision, "Post.md").to_owned();
    let built =
        Publish { notes: vec![note_in("/blog", "Post.md", "p")], ..Publish::default() }.on(&blobs, &base.revision);
    let new = route_of(&built.revision, "Post.md");
    assert_ne!(old, new);
    assert_eq!(built.revision.redirects.get(&old).map(String::as_str), Some(new));
}

#[test]
fn the_home_page_is_the_root_index_then_the_configured_note_then_home_then_index() {
    let blobs = MemoryBlobs::new();
    let home = |notes: &[&str], configured: Option<&str>| {
        let notes = notes.iter().map(|path| note(path, "")).collect();
        let built = Publish { notes, home_note: configured.map(str::to_owned), ..Publish::default() }
            .on(&blobs, &Revision::empty());
        let route = built.revision.home.clone()?;
        Some(built.revision.pages[&route].vault_path.clone())
    };
    assert_eq!(home(&["index.md", "Home.md", "About.md"], Some("About.md")).as_deref(), Some("index.md"));
    assert_eq!(home(&["Home.md", "About.md"], Some("About.md")).as_deref(), Some("About.md"));
    assert_eq!(home(&["Home.md", "About.md"], Some("Missing.md")).as_deref(), Some("Home.md"));
    assert_eq!(home(&["Sub/index.md", "About.md"], None), None, "only at the top of the vault");
    assert_eq!(home(&["About.md"], None), None, "no home note: the generated folder index");
}

#[test]
fn assets_are_kept_while_a_page_shows_them() {
    let blobs = MemoryBlobs::new();
    let base = Publish {
        notes: vec![note("A.md", "![[shown.png]]"), note("B.md", "![[gone.png]]")],
        assets: vec![png("shown.png", 1), png("gone.png", 2), png("publish.css", 3)],
        ..Publish::default()
    }
    .on(&blobs, &Revision::empty());
    let paths = |revision: &Revision| revision.assets.keys().map(|p| p.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(paths(&base.revision), ["gone.png", "publish.css", "shown.png"]);
    // B no longer shows its image; A, kept without being uploaded, still shows its own.
    let built = Publish { notes: vec![note("B.md", "no image now")], partial: true, ..Publish::default() }
        .on(&blobs, &base.revision);
    assert_eq!(paths(&built.revision), ["publish.css", "shown.png"], "the vault's stylesheet stays too");
    let a = &built.revision.pages[route_of(&built.revision, "A.md")];
    assert_eq!(a.assets, [AssetPath::parse("shown.png").unwrap()]);
    assert_eq!(built.stats.assets_deduplicated, 2);
    // An asset the session uploads stays even when no page shows it yet.
    let built =
        Publish { assets: vec![png("later.png", 4)], partial: true, ..Publish::default() }.on(&blobs, &built.revision);
    assert!(built.revision.assets.contains_key(&AssetPath::parse("later.png").unwrap()));
}

#[test]
fn a_stopped_build_fails_with_the_reason_it_was_given() {
    let blobs = MemoryBlobs::new();
    let start = StartSessionRequest::default();
    let site = SiteOptions::default();
    let input = BuildInput {
        base_site: None,
        base: &Revision::empty(),
        session: SessionInput {
            id: SessionId::generate(),
            start: &start,
            assets: BTreeMap::new(),
            offered_skips: false,
            cleanup_rules: None,
        },
        notes: vec![note("A.md", "a")],
        inventory: None,
        site: &site,
        revision_id: RevisionId::new(1, 1),
        now_ms: 1,
    };
    let stop = |_, _| Err(vps_build::BuildError::Stopped("aborted by the client".into()));
    let error = build(&blobs, input, &stop).err().expect("a stopped build fails");
    assert_eq!(error.to_string(), "aborted by the client");
}
