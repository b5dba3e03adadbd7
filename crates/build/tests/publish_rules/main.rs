//! The publish rules, checked on the engine alone (no HTTP, no store): which pages a publish
//! keeps, removes and redirects, which page is the home page, which assets stay, who may read
//! each page and what the others see of it (`access.rs`), how the site looks (`look.rs`).

mod access;
mod canvas;
mod content;
mod drawings;
mod images;
mod look;
mod permalinks;

use std::collections::BTreeMap;
use std::sync::Arc;

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
    /// `SITE_NAME` (default "Site").
    site_name: Option<String>,
    /// The `[access]` table (none: every page public).
    access: Option<Arc<vps_access::AccessConfig>>,
    /// `start`'s `calloutStyles`.
    callout_styles: Vec<vps_core::api::CalloutStyle>,
    /// `SHOW_PROPERTIES`.
    show_properties: bool,
    /// The server's look settings (`SITE_LOGO`, `SHOW_OUTLINE`…).
    look: vps_core::look::SiteLook,
    /// `IMAGE_VARIANT_WIDTHS` and the decoding limits (default: variants off).
    images: vps_build::ImageOptions,
}

impl Publish {
    fn on(self, blobs: &MemoryBlobs, base: &Revision) -> Built {
        self.on_site(blobs, base, None)
    }

    /// The publish built on `base` with its reader's site at hand (as the server runs it).
    fn on_live(self, blobs: &MemoryBlobs, live: &Built) -> Built {
        self.on_site(blobs, &live.revision, Some(&live.site))
    }

    fn on_site(self, blobs: &MemoryBlobs, base: &Revision, base_site: Option<&vps_site::Site>) -> Built {
        self.try_on(blobs, base, base_site).expect("the build succeeds")
    }

    /// The build's outcome, which may be an error.
    fn try_on(
        self,
        blobs: &MemoryBlobs,
        base: &Revision,
        base_site: Option<&vps_site::Site>,
    ) -> Result<Built, vps_build::BuildError> {
        self.with_input(base, base_site, |input| build(blobs, input, &|_, _| Ok(())))
    }

    /// What `changes_nothing` says of this publish on `base`.
    fn changes_nothing(self, base: &Revision) -> Option<vps_core::job::PromotionStats> {
        self.with_input(base, None, |input| vps_build::changes_nothing(&input))
    }

    fn with_input<R>(
        self,
        base: &Revision,
        base_site: Option<&vps_site::Site>,
        then: impl FnOnce(BuildInput<'_>) -> R,
    ) -> R {
        let start = StartSessionRequest { callout_styles: self.callout_styles, ..StartSessionRequest::default() };
        let name = self.site_name.unwrap_or_else(|| "Site".into());
        let site = SiteOptions {
            name,
            home_note: self.home_note,
            access: self.access,
            show_properties: self.show_properties,
            look: self.look,
            images: self.images,
            ..SiteOptions::default()
        };
        let input = BuildInput {
            base_site,
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
        then(input)
    }
}

fn vault_paths(revision: &Revision) -> Vec<&str> {
    let mut paths: Vec<&str> = revision.pages.values().map(|page| page.vault_path.as_str()).collect();
    paths.sort_unstable();
    paths
}

/// The HTML of the page of `vault_path` in what `built` stored in `blobs`.
fn html_of(blobs: &MemoryBlobs, built: &Built, vault_path: &str) -> String {
    let page = &built.revision.pages[route_of(&built.revision, vault_path)];
    String::from_utf8(blobs.get(&page.html_blob).expect("stored").to_vec()).unwrap()
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
fn a_note_sent_again_with_publish_false_leaves_the_site_in_a_partial_publish() {
    let blobs = MemoryBlobs::new();
    let base = first_site(&blobs);
    let mut hidden = note("B.md", "b");
    hidden.frontmatter.flat.insert("publish".into(), false.into());
    let built = Publish { notes: vec![hidden], partial: true, ..Publish::default() }.on(&blobs, &base);
    assert_eq!(vault_paths(&built.revision), ["A.md", "C.md"]);
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

/// A small garden: `A` links to `B`, `C` embeds `B`, `D` shows an image, `E` stands alone.
fn garden() -> Vec<Note> {
    vec![
        note("Notes/A.md", "A links to [[B]]."),
        note("Notes/B.md", "# B\n\nB's text."),
        note("Notes/C.md", "C embeds B:\n\n![[B]]"),
        note("Media/D.md", "![[pic.png]]"),
        note("E.md", "E stands alone."),
    ]
}

/// The garden published with its picture.
fn garden_publish() -> Publish {
    Publish { notes: garden(), assets: vec![png("Media/pic.png", 1)], ..Publish::default() }
}

/// The routes whose page HTML differs between two revisions (added or removed pages included).
fn changed_pages(before: &Revision, after: &Revision) -> Vec<String> {
    let mut routes: Vec<String> = after
        .pages
        .iter()
        .filter(|(route, page)| before.pages.get(*route).map(|old| old.html_blob) != Some(page.html_blob))
        .map(|(route, _)| route.clone())
        .chain(before.pages.keys().filter(|route| !after.pages.contains_key(*route)).cloned())
        .collect();
    routes.sort();
    routes
}

#[test]
fn a_publish_that_changes_nothing_lays_out_no_page() {
    let blobs = MemoryBlobs::new();
    let first = garden_publish().on(&blobs, &Revision::empty());
    assert_eq!(first.pages_written, 5);
    assert!(first.revision.pages.values().all(|page| page.made_from.is_some()));
    let stored = blobs.len();

    // The plugin sends every note again (a full publish with the same notes)…
    let again = garden_publish().on_live(&blobs, &first);
    assert_eq!(again.pages_written, 0, "no page laid out again");
    assert_eq!(changed_pages(&first.revision, &again.revision), Vec::<String>::new());
    // …or the CLI skips them all (a partial publish with nothing uploaded).
    let skipped = Publish { partial: true, ..Publish::default() }.on_live(&blobs, &again);
    assert_eq!(skipped.pages_written, 0);
    assert_eq!(changed_pages(&again.revision, &skipped.revision), Vec::<String>::new());
    assert_eq!(skipped.revision.encodings, first.revision.encodings, "variants reused, not made again");
    assert_eq!(blobs.len(), stored, "not one new blob");
}

#[test]
fn one_changed_note_lays_out_only_the_pages_it_affects() {
    let blobs = MemoryBlobs::new();
    let first = garden_publish().on(&blobs, &Revision::empty());
    let b = route_of(&first.revision, "Notes/B.md").to_owned();
    let c = route_of(&first.revision, "Notes/C.md").to_owned();
    let d = route_of(&first.revision, "Media/D.md").to_owned();

    // B's text changes: its page and C's, which shows it, change; A only links to it.
    let edited =
        Publish { notes: vec![note("Notes/B.md", "# B\n\nB's new text.")], partial: true, ..Publish::default() }
            .on_live(&blobs, &first);
    assert_eq!(changed_pages(&first.revision, &edited.revision), [b.clone(), c.clone()]);
    assert_eq!(edited.pages_written, 2);
    let c_html = String::from_utf8(blobs.get(&edited.revision.pages[&c].html_blob).unwrap().to_vec()).unwrap();
    assert!(c_html.contains("B&#39;s new text") || c_html.contains("B's new text"), "{c_html}");

    // The picture's bytes change: only the page that shows it.
    let repainted =
        Publish { assets: vec![png("Media/pic.png", 2)], partial: true, ..Publish::default() }.on_live(&blobs, &edited);
    assert_eq!(changed_pages(&edited.revision, &repainted.revision), [d]);

    // A note is removed from the vault: its page goes, and the pages that linked to or
    // embedded it change (the link is now unresolved).
    let inventory = ["Notes/A.md", "Notes/C.md", "Media/D.md", "E.md"].map(str::to_owned).to_vec();
    let removed =
        Publish { partial: true, inventory: Some(inventory), ..Publish::default() }.on_live(&blobs, &repainted);
    let changed = changed_pages(&repainted.revision, &removed.revision);
    for route in [&b, &c, route_of(&first.revision, "Notes/A.md")] {
        assert!(changed.iter().any(|r| r == route), "{route} changed: {changed:?}");
    }
    let e = route_of(&first.revision, "E.md");
    assert!(!changed.iter().any(|r| r == e), "E is not affected: {changed:?}");
}

#[test]
fn a_build_without_the_live_site_at_hand_renders_again_and_keeps_the_same_pages() {
    let blobs = MemoryBlobs::new();
    let first = Publish { notes: garden(), ..Publish::default() }.on(&blobs, &Revision::empty());
    let cold = Publish { notes: garden(), ..Publish::default() }.on(&blobs, &first.revision);
    // Every note is rendered again (no site info to reuse), and its keys say the pages are the
    // ones already stored.
    assert_eq!(cold.pages_written, 0);
    assert_eq!(changed_pages(&first.revision, &cold.revision), Vec::<String>::new());
    for (route, page) in &cold.revision.pages {
        assert_eq!(page.made_from, first.revision.pages[route].made_from, "{route}");
    }
}

#[test]
fn a_page_whose_shell_changed_is_laid_out_again_around_its_kept_content() {
    let blobs = MemoryBlobs::new();
    let first = Publish { notes: garden(), ..Publish::default() }.on(&blobs, &Revision::empty());
    let html = |built: &Built, vault_path: &str| {
        let page = &built.revision.pages[route_of(&built.revision, vault_path)];
        String::from_utf8(blobs.get(&page.html_blob).unwrap().to_vec()).unwrap()
    };
    // E is listed at the top level of every page's navigation: its new title changes every
    // page's shell, not their notes.
    let mut renamed = note("E.md", "E stands alone.");
    renamed.title = "Echo".into();
    let built = Publish { notes: vec![renamed], partial: true, ..Publish::default() }.on_live(&blobs, &first);
    assert_eq!(built.pages_written, 5, "every shell changed");
    for (vault_path, text) in
        [("Notes/B.md", "B&#39;s text"), ("Notes/C.md", "B&#39;s text"), ("Notes/A.md", "A links to")]
    {
        let (before, after) = (html(&first, vault_path), html(&built, vault_path));
        assert!(after.contains(">Echo<") && !before.contains(">Echo<"), "{vault_path}: the new title in the nav");
        let text = if before.contains(text) { text.to_owned() } else { text.replace("&#39;", "'") };
        assert!(before.contains(&text) && after.contains(&text), "{vault_path}: its content is kept: {after}");
        // The page is the one a full render gives.
        let cold =
            Publish { notes: garden_with_echo(), ..Publish::default() }.on(&MemoryBlobs::new(), &Revision::empty());
        let fresh = &cold.revision.pages[route_of(&cold.revision, vault_path)];
        assert_eq!(
            built.revision.pages[route_of(&built.revision, vault_path)].html_blob,
            fresh.html_blob,
            "{vault_path}"
        );
    }
}

fn garden_with_echo() -> Vec<Note> {
    let mut notes = garden();
    notes.last_mut().unwrap().title = "Echo".into();
    notes
}

#[test]
fn a_publish_that_changes_nothing_is_known_without_building() {
    let blobs = MemoryBlobs::new();
    let first = garden_publish().on(&blobs, &Revision::empty());
    let live = &first.revision;
    let all: Vec<String> = vault_paths(live).into_iter().map(str::to_owned).collect();

    // Nothing sent, or only what is live already (assets linked by hash), the full inventory.
    let stats = Publish { partial: true, ..Publish::default() }.changes_nothing(live).expect("nothing changes");
    assert_eq!((stats.notes_published, stats.notes_deduplicated, stats.notes_deleted), (0, 5, 0));
    let same = Publish {
        assets: vec![png("Media/pic.png", 1)],
        partial: true,
        inventory: Some(all.clone()),
        ..Publish::default()
    };
    assert!(same.changes_nothing(live).is_some());
    // And the build agrees: the same pages.
    let built = Publish { partial: true, ..Publish::default() }.on_live(&blobs, &first);
    assert_eq!(changed_pages(live, &built.revision), Vec::<String>::new());

    // Anything that may change the site must be built.
    let cases = [
        (
            "a note uploaded",
            Publish { notes: vec![note("E.md", "E stands alone.")], partial: true, ..Publish::default() },
        ),
        (
            "an asset's new bytes",
            Publish { assets: vec![png("Media/pic.png", 2)], partial: true, ..Publish::default() },
        ),
        ("a new asset", Publish { assets: vec![png("Media/new.png", 3)], partial: true, ..Publish::default() }),
        ("a full publish of nothing", Publish { partial: false, ..Publish::default() }),
        (
            "a note gone from the inventory",
            Publish { partial: true, inventory: Some(all[1..].to_vec()), ..Publish::default() },
        ),
        ("another site name", Publish { partial: true, site_name: Some("Other".into()), ..Publish::default() }),
        ("another home note", Publish { partial: true, home_note: Some("E.md".into()), ..Publish::default() }),
    ];
    for (what, publish) in cases {
        assert!(publish.changes_nothing(live).is_none(), "{what}");
    }
    assert!(
        Publish { partial: true, ..Publish::default() }.changes_nothing(&Revision::empty()).is_none(),
        "no site yet"
    );
}

/// A store that records which blobs a build reads back and which it writes.
#[derive(Default)]
struct Watched {
    blobs: MemoryBlobs,
    read: std::cell::RefCell<Vec<ContentHash>>,
    written: std::cell::RefCell<Vec<ContentHash>>,
}

impl vps_build::BlobSink for Watched {
    fn put_bytes(&self, bytes: &[u8]) -> Result<ContentHash, vps_store::StoreError> {
        let hash = self.blobs.put_bytes(bytes)?;
        self.written.borrow_mut().push(hash);
        Ok(hash)
    }
    fn flush(&self) -> Result<(), vps_store::StoreError> {
        self.blobs.flush()
    }
    fn read_many(&self, hashes: Vec<ContentHash>) -> Result<Vec<Option<bytes::Bytes>>, vps_store::StoreError> {
        self.read.borrow_mut().extend(hashes.iter().copied());
        self.blobs.read_many(hashes)
    }
}

#[test]
fn a_publish_reads_only_the_sources_of_the_pages_it_renders_again() {
    let watched = Watched::default();
    let publish = |publish: Publish, base: &Built| -> Built {
        publish.with_input(&base.revision, Some(&base.site), |input| {
            build(&watched, input, &|_, _| Ok(())).expect("the build succeeds")
        })
    };
    let first =
        garden_publish().with_input(&Revision::empty(), None, |input| build(&watched, input, &|_, _| Ok(())).unwrap());
    let source_of = |built: &Built, vault_path: &str| {
        built.revision.pages.values().find(|page| page.vault_path == vault_path).unwrap().source_blob
    };
    let sources_read = |built: &Built| -> Vec<String> {
        let read = watched.read.take();
        let mut paths: Vec<String> = built
            .revision
            .pages
            .values()
            .filter(|page| read.contains(&page.source_blob))
            .map(|page| page.vault_path.clone())
            .collect();
        paths.sort();
        paths
    };
    watched.read.take();

    // E stands alone: nothing else is rendered, no kept note is read.
    let e = publish(Publish { notes: vec![note("E.md", "E, edited.")], partial: true, ..Publish::default() }, &first);
    assert_eq!(sources_read(&e), Vec::<String>::new());
    assert_ne!(source_of(&e, "E.md"), source_of(&first, "E.md"));

    // B changes: C, which embeds it, is rendered again, so C's note is read (B was uploaded).
    let b =
        publish(Publish { notes: vec![note("Notes/B.md", "# B\n\nNew.")], partial: true, ..Publish::default() }, &e);
    assert_eq!(sources_read(&b), ["Notes/C.md"]);
    let c_html = String::from_utf8(
        watched.blobs.get(&b.revision.pages[route_of(&b.revision, "Notes/C.md")].html_blob).unwrap().to_vec(),
    )
    .unwrap();
    assert!(c_html.contains("New."), "{c_html}");

    // The kept pages' heads are in the manifest: a later build routes them without their notes.
    assert!(b.revision.pages.values().all(|page| page.head.is_some()));
}

#[test]
fn a_listing_whose_entries_did_not_change_is_not_made_again() {
    let watched = Watched::default();
    let first = Publish { notes: garden(), ..Publish::default() }
        .with_input(&Revision::empty(), None, |input| build(&watched, input, &|_, _| Ok(())).unwrap());
    assert!(first.revision.generated.contains_key("/notes"), "{:?}", first.revision.generated.keys());
    watched.written.take();

    // E's text changes: the root listing shows E, the folders `Notes/` and `Media/` do not.
    let e = Publish { notes: vec![note("E.md", "E, edited.")], partial: true, ..Publish::default() }.with_input(
        &first.revision,
        Some(&first.site),
        |input| build(&watched, input, &|_, _| Ok(())).unwrap(),
    );
    let written = watched.written.take();
    let made: Vec<&str> = e
        .revision
        .generated
        .iter()
        .filter(|(_, document)| written.contains(&document.blob))
        .map(|(route, _)| route.as_str())
        .collect();
    assert!(!made.contains(&"/notes") && !made.contains(&"/media"), "made again: {made:?}");
    assert_eq!(e.revision.generated["/notes"], first.revision.generated["/notes"]);

    // A's title changes: the listing of `Notes/` shows it, so it is made again, with the new title.
    let mut a = note("Notes/A.md", "A links to [[B]].");
    a.frontmatter.flat.insert("title".into(), "Alpha".into());
    let renamed = Publish { notes: vec![a], partial: true, ..Publish::default() }.with_input(
        &e.revision,
        Some(&e.site),
        |input| build(&watched, input, &|_, _| Ok(())).unwrap(),
    );
    let listing = &renamed.revision.generated["/notes"];
    assert_ne!(listing.blob, e.revision.generated["/notes"].blob);
    let html = String::from_utf8(watched.blobs.get(&listing.blob).unwrap().to_vec()).unwrap();
    assert!(html.contains("Alpha"), "{html}");
}
