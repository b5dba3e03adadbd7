//! Who may read each page (`[access]` rules, frontmatter `access:` and `unlisted:`), and what a
//! page shows of pages its readers may not all see: nothing (no title, address, text or image).

use std::collections::BTreeSet;
use std::sync::Arc;

use vps_access::{AccessConfig, Audience};
use vps_build::{BuildError, MemoryBlobs, build};
use vps_core::AssetPath;
use vps_core::note::Note;
use vps_core::revision::{Page, Revision};

use super::{Publish, changed_pages, note, png, route_of};

/// A valid Argon2id hash (of "pw"), as `vps-publish password` makes them.
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$iBSgJveR2P3AGhL6t5LYPA$D0l4+WfkMRRnwwf/ANIfY6txf0iHn/jDrvYNHdOqioQ";

/// Alice is in `team`, Bob in `board`; the `Work` folder is for `team`, plus `extra_rules`.
fn config(extra_rules: &str) -> Arc<AccessConfig> {
    let text = format!(
        "[access]\n\
         [access.readers.alice]\npassword = \"{HASH}\"\ngroups = [\"team\"]\n\
         [access.readers.bob]\npassword = \"{HASH}\"\ngroups = [\"board\"]\n\
         [[access.rules]]\nfolder = \"Work\"\ngroups = [\"team\"]\n{extra_rules}"
    );
    Arc::new(AccessConfig::from_settings_text(&text).unwrap().unwrap())
}

fn with_front(mut note: Note, key: &str, value: serde_json::Value) -> Note {
    note.frontmatter.flat.insert(key.to_owned(), value);
    note
}

fn groups(names: &[&str]) -> Audience {
    Audience::Groups(names.iter().map(|name| (*name).to_owned()).collect::<BTreeSet<_>>())
}

fn page<'a>(revision: &'a Revision, vault_path: &str) -> &'a Page {
    &revision.pages[route_of(revision, vault_path)]
}

/// The whole HTML page of a note, as stored.
fn html(blobs: &MemoryBlobs, revision: &Revision, vault_path: &str) -> String {
    let bytes = blobs.get(&page(revision, vault_path).html_blob).expect("the page is stored");
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The ways the page at `from` (a route) writes a URL of the page of `vault_path`: relative, as
/// the site writes them, or root-relative, each as an attribute's whole value or before its `#`.
fn addresses(revision: &Revision, from: &str, vault_path: &str) -> Vec<String> {
    let route = vps_core::url::encode_path(route_of(revision, vault_path));
    let relative = vps_site::relative_url(from, &route);
    [&relative, &route].iter().flat_map(|url| [format!("=\"{url}\""), format!("=\"{url}#")]).collect()
}

/// Whether the HTML of the page at `from` names the page of `vault_path` by its URL.
fn names(html: &str, revision: &Revision, from: &str, vault_path: &str) -> bool {
    addresses(revision, from, vault_path).iter().any(|address| html.contains(address))
}

/// What the page at `from` must not show of the protected notes: their titles, addresses and
/// words.
fn secrets(revision: &Revision, from: &str) -> Vec<String> {
    let mut secrets: Vec<String> =
        ["Quarterly Secrets", "merger with ACME", "confidential memo words", "Minutes"].map(str::to_owned).to_vec();
    for protected in ["Work/Plan.md", "Memo.md", "Work/Board.md"] {
        secrets.extend(addresses(revision, from, protected));
    }
    secrets
}

/// A public home page links to and embeds a page for `team` (by folder rule) and links to one
/// for `team` (by frontmatter); the protected plan links back to the public home page and to a
/// page for `board`; one page is unlisted, one is public by frontmatter inside `Work`.
fn vault() -> Vec<Note> {
    vec![
        note("Home.md", "Welcome. See [[Plan]], read [[Memo]], open [[Handbook]].\n\n![[Plan]]\n\n![[shared.png]]"),
        with_front(
            note(
                "Work/Plan.md",
                "The merger with ACME.\n\n![[secret.png]]\n\n![[shared.png]]\n\nBack [[Home]], see [[Board]].",
            ),
            "title",
            "Quarterly Secrets".into(),
        ),
        with_front(note("Memo.md", "The confidential memo words."), "access", "team".into()),
        with_front(note("Work/Board.md", "# Minutes\n\nBoard only."), "access", serde_json::json!(["board"])),
        with_front(note("Work/Handbook.md", "Open to all. [[Home]]"), "access", "public".into()),
        with_front(note("Hidden.md", "Reachable, listed nowhere."), "unlisted", true.into()),
    ]
}

fn vault_publish(access: Option<Arc<AccessConfig>>) -> Publish {
    Publish { notes: vault(), assets: vec![png("secret.png", 1), png("shared.png", 2)], access, ..Publish::default() }
}

#[test]
fn each_page_gets_the_audience_of_its_frontmatter_or_deepest_rule_and_its_unlisted_flag() {
    let blobs = MemoryBlobs::new();
    let built = vault_publish(Some(config(""))).on(&blobs, &Revision::empty());
    let revision = &built.revision;
    let access = |vault_path: &str| {
        let page = page(revision, vault_path);
        (page.audience.clone(), page.unlisted)
    };
    assert_eq!(access("Home.md"), (Audience::Public, false));
    assert_eq!(access("Work/Plan.md"), (groups(&["team"]), false), "the Work rule");
    assert_eq!(access("Memo.md"), (groups(&["team"]), false), "its frontmatter");
    assert_eq!(access("Work/Board.md"), (groups(&["board"]), false), "frontmatter over the rule");
    assert_eq!(access("Work/Handbook.md"), (Audience::Public, false), "`access: public` in a team folder");
    assert_eq!(access("Hidden.md"), (Audience::Public, true));

    // The site laid out and stored is the anonymous reader's: only public, listed pages in it.
    let unlisted = |vault_path: &str| built.site.page_info(route_of(revision, vault_path)).unwrap().unlisted;
    for listed in ["Home.md", "Work/Handbook.md"] {
        assert!(!unlisted(listed), "{listed}");
    }
    for hidden in ["Work/Plan.md", "Memo.md", "Work/Board.md", "Hidden.md"] {
        assert!(unlisted(hidden), "{hidden} is listed nowhere");
    }
    let stored: vps_build::SiteModel =
        serde_json::from_slice(&blobs.get(&revision.site_blob.unwrap()).unwrap()).unwrap();
    assert_eq!(stored.pages.iter().filter(|info| info.unlisted).count(), 4);
}

#[test]
fn a_public_page_shows_nothing_of_a_protected_page_it_links_to_or_embeds() {
    let blobs = MemoryBlobs::new();
    let built = vault_publish(Some(config(""))).on(&blobs, &Revision::empty());
    let revision = &built.revision;
    for public in ["Home.md", "Work/Handbook.md", "Hidden.md"] {
        let html = html(&blobs, revision, public);
        for secret in secrets(revision, route_of(revision, public)) {
            assert!(!html.contains(&secret), "{public} shows {secret:?}:\n{html}");
        }
    }
    let home = html(&blobs, revision, "Home.md");
    assert!(home.contains("wikilink-unresolved"), "the link to the plan is as if it did not exist");
    assert!(names(&home, revision, route_of(revision, "Home.md"), "Work/Handbook.md"), "a public page in Work");
    let home_page = page(revision, "Home.md");
    assert!(home_page.links.iter().all(|link| !link.starts_with(route_of(revision, "Work/Plan.md"))));
    // An image only the protected plan shows is not the public page's: the server keeps it
    // from anonymous readers. One both show is public.
    assert_eq!(home_page.assets, [AssetPath::parse("shared.png").unwrap()]);
    let plan = page(revision, "Work/Plan.md");
    assert_eq!(plan.assets, [AssetPath::parse("secret.png").unwrap(), AssetPath::parse("shared.png").unwrap()]);
    assert!(revision.assets.contains_key(&AssetPath::parse("secret.png").unwrap()), "still published");
    // Search (the anonymous site model) finds nothing protected.
    for word in ["merger", "confidential", "Quarterly", "Minutes"] {
        let hits = built.site.search(word, 10);
        assert!(hits.is_empty(), "{word}: {}", vps_site::Site::search_json(&hits));
    }
}

#[test]
fn a_protected_page_shows_its_content_and_links_only_to_pages_all_its_readers_may_see() {
    let blobs = MemoryBlobs::new();
    let built = vault_publish(Some(config(""))).on(&blobs, &Revision::empty());
    let revision = &built.revision;
    let plan = html(&blobs, revision, "Work/Plan.md");
    assert!(plan.contains("The merger with ACME.") && plan.contains("Quarterly Secrets"), "{plan}");
    let from = route_of(revision, "Work/Plan.md");
    assert!(names(&plan, revision, from, "Home.md"), "a team page links to a public one");
    assert!(!names(&plan, revision, from, "Work/Board.md"), "a page for team does not name a page for board:\n{plan}");
    assert!(html(&blobs, revision, "Work/Board.md").contains("Board only."));
}

#[test]
fn without_an_access_table_every_page_is_public_and_unlisted_still_hides_a_page() {
    let blobs = MemoryBlobs::new();
    let built = vault_publish(None).on(&blobs, &Revision::empty());
    let revision = &built.revision;
    assert!(revision.pages.values().all(|page| page.audience == Audience::Public));
    let hidden = page(revision, "Hidden.md");
    assert!(hidden.unlisted);
    assert!(built.site.page_info(route_of(revision, "Hidden.md")).unwrap().unlisted);
    assert!(!built.site.page_info(route_of(revision, "Memo.md")).unwrap().unlisted);
    assert!(html(&blobs, revision, "Home.md").contains("The merger with ACME."), "all public: embedded");
}

#[test]
fn a_note_naming_a_group_no_reader_has_fails_the_build_naming_the_note() {
    let blobs = MemoryBlobs::new();
    let mut publish = vault_publish(Some(config("")));
    publish.notes.push(with_front(note("Notes/Typo.md", "x"), "access", "teem".into()));
    let error = publish
        .with_input(&Revision::empty(), None, |input| build(&blobs, input, &|_, _| Ok(())).err())
        .expect("the build fails");
    assert!(matches!(error, BuildError::Access(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("Notes/Typo.md") && message.contains("\"teem\""), "{message}");
    let mut publish = vault_publish(Some(config("")));
    publish.notes.push(with_front(note("Odd.md", "x"), "unlisted", "yes".into()));
    let error = publish.with_input(&Revision::empty(), None, |input| build(&blobs, input, &|_, _| Ok(())).err());
    assert!(error.unwrap().to_string().contains("Odd.md"));
}

/// Plain garden around the vault: a page that names no protected page, to check that it is
/// kept as it is when audiences change elsewhere.
fn bystander() -> Note {
    note("Garden/Bystander.md", "Names nothing protected.")
}

#[test]
fn a_note_made_protected_by_its_frontmatter_disappears_from_the_kept_pages_that_named_it() {
    let blobs = MemoryBlobs::new();
    let mut publish = vault_publish(Some(config("")));
    publish.notes.push(bystander());
    // At first the handbook is public (in `Open`, no rule) and the home page embeds it.
    publish.notes.retain(|note| note.vault_path != "Work/Handbook.md");
    publish.notes.push(note("Open/Handbook.md", "Open to all, handbook words."));
    publish.notes[0] = note("Home.md", "Welcome. [[Handbook]]\n\n![[Handbook]]");
    let before = publish.on(&blobs, &Revision::empty());
    let home = html(&blobs, &before.revision, "Home.md");
    assert!(home.contains("handbook words"), "{home}");

    // Only the handbook is sent again, now for the team: the home page, kept, is made again.
    let protected = with_front(note("Open/Handbook.md", "Open to all, handbook words."), "access", "team".into());
    let after = Publish { notes: vec![protected], partial: true, access: Some(config("")), ..Publish::default() }
        .on_live(&blobs, &before);
    let revision = &after.revision;
    assert_eq!(page(revision, "Open/Handbook.md").audience, groups(&["team"]));
    let home = html(&blobs, revision, "Home.md");
    assert!(!home.contains("handbook words"), "{home}");
    assert!(!names(&home, revision, route_of(revision, "Home.md"), "Open/Handbook.md"), "{home}");
    assert_eq!(
        page(revision, "Garden/Bystander.md").made_from.as_ref().unwrap().content_key,
        page(&before.revision, "Garden/Bystander.md").made_from.as_ref().unwrap().content_key,
        "a page that names neither keeps its content"
    );
    assert!(changed_pages(&before.revision, revision).contains(&route_of(revision, "Home.md").to_owned()));
}

#[test]
fn a_new_folder_rule_alone_rebuilds_the_public_pages_that_named_the_pages_it_protects() {
    let blobs = MemoryBlobs::new();
    let mut publish = vault_publish(Some(config("")));
    publish.notes.push(bystander());
    publish.notes.push(note("Links.md", "To [[Bystander]]:\n\n![[Bystander]]"));
    let before = publish.on(&blobs, &Revision::empty());
    assert!(html(&blobs, &before.revision, "Links.md").contains("Names nothing protected."));

    // The operator protects the `Garden` folder; no note is sent again.
    let garden_rule = "[[access.rules]]\nfolder = \"Garden\"\ngroups = [\"team\"]\n";
    let again = || Publish { partial: true, access: Some(config(garden_rule)), ..Publish::default() };
    assert_eq!(again().changes_nothing(&before.revision), None, "new rules are never \"nothing changed\"");
    let after = again().on_live(&blobs, &before);
    let revision = &after.revision;
    assert_eq!(page(revision, "Garden/Bystander.md").audience, groups(&["team"]));
    assert!(after.site.page_info(route_of(revision, "Garden/Bystander.md")).unwrap().unlisted);
    for public in ["Links.md", "Home.md", "Hidden.md"] {
        let html = html(&blobs, revision, public);
        let named = names(&html, revision, route_of(revision, public), "Garden/Bystander.md");
        assert!(!named && !html.contains("Names nothing protected"), "{public}:\n{html}");
    }
    let links = page(revision, "Links.md");
    assert_ne!(links.made_from, page(&before.revision, "Links.md").made_from, "made again");
    assert!(links.links.is_empty(), "{:?}", links.links);
    // Pages that never named it keep their content (the plan names no garden page).
    let content = |revision: &Revision| page(revision, "Work/Plan.md").made_from.as_ref().unwrap().content_key;
    assert_eq!(content(revision), content(&before.revision));
}

#[test]
fn kept_pages_of_a_revision_made_before_heads_held_access_are_decided_from_their_sources() {
    let blobs = MemoryBlobs::new();
    let mut old = vault_publish(None).on(&blobs, &Revision::empty()).revision;
    // As an older server wrote it: heads without `access:`/`unlisted:`, another options key.
    for page in old.pages.values_mut() {
        let head = page.head.as_mut().unwrap();
        (head.access, head.unlisted) = (None, None);
    }
    old.options_key = Some(vps_core::ContentHash::of(b"an older server's options"));
    let built = Publish { partial: true, access: Some(config("")), ..Publish::default() }.on(&blobs, &old);
    assert_eq!(page(&built.revision, "Memo.md").audience, groups(&["team"]), "read from its source");
    assert!(page(&built.revision, "Hidden.md").unlisted);
    assert!(!html(&blobs, &built.revision, "Home.md").contains("confidential memo words"));
}

#[test]
fn a_protected_index_note_does_not_open_its_public_folder_page() {
    let blobs = MemoryBlobs::new();
    let listing = |access: Option<Arc<AccessConfig>>| {
        let notes = vec![
            note("Home.md", "home"),
            with_front(note("Team/index.md", "The team intro, for the team."), "access", "team".into()),
            note("Team/Public.md", "A public page of the folder."),
        ];
        let built = Publish { notes, access, ..Publish::default() }.on(&blobs, &Revision::empty());
        let index = route_of(&built.revision, "Team/index.md");
        let (folder, name) = index.rsplit_once('/').unwrap();
        assert_eq!(name, "index", "the note opens its folder's page");
        let listing = &built.revision.generated.get(folder).expect("the folder has a public page").blob;
        String::from_utf8(blobs.get(listing).unwrap().to_vec()).unwrap()
    };
    assert!(listing(None).contains("The team intro"), "without access rules it is public");
    let protected = listing(Some(config("")));
    assert!(!protected.contains("The team intro"), "{protected}");
}
