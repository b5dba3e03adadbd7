//! Permalinks and aliases: a note's frontmatter `permalink:` is its route, the route it would
//! otherwise have and its aliases redirect there, and a permalink that is invalid or taken fails
//! the publish naming the notes.

use vps_build::{BuildError, MemoryBlobs, build};
use vps_core::ErrorCode;
use vps_core::note::Note;
use vps_core::revision::Revision;

use super::{Publish, note, route_of};

fn with_front(mut note: Note, key: &str, value: serde_json::Value) -> Note {
    note.frontmatter.flat.insert(key.to_owned(), value);
    note
}

fn permalinked(vault_path: &str, content: &str, permalink: &str) -> Note {
    with_front(note(vault_path, content), "permalink", permalink.into())
}

fn aliased(vault_path: &str, content: &str, aliases: &[&str]) -> Note {
    with_front(note(vault_path, content), "aliases", aliases.into())
}

/// The stored HTML of the page at `route`.
fn html(blobs: &MemoryBlobs, revision: &Revision, route: &str) -> String {
    let bytes = blobs.get(&revision.pages[route].html_blob).expect("the page is stored");
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The build of `notes` on an empty site, which must fail: its error.
fn failed(notes: Vec<Note>) -> BuildError {
    let blobs = MemoryBlobs::new();
    let publish = Publish { notes, ..Publish::default() };
    publish
        .with_input(&Revision::empty(), None, |input| build(&blobs, input, &|_, _| Ok(())).err())
        .expect("the build fails")
}

#[test]
fn a_page_answers_at_its_permalink_its_own_route_redirects_there_and_links_follow() {
    let blobs = MemoryBlobs::new();
    let notes = vec![
        permalinked("Guides/Getting Started.md", "Welcome.", "/start"),
        note("Home.md", "Read [[Getting Started]] first, or ![[Getting Started]]."),
    ];
    let built = Publish { notes, ..Publish::default() }.on(&blobs, &Revision::empty()).revision;
    assert_eq!(route_of(&built, "Guides/Getting Started.md"), "/start");
    assert!(!built.pages.contains_key("/guides/getting-started"));
    assert_eq!(built.redirects.get("/guides/getting-started").map(String::as_str), Some("/start"));
    let home = html(&blobs, &built, "/home");
    let href = vps_site::relative_url("/home", "/start");
    assert!(home.contains(&format!("href=\"{href}\"")), "the link points at the permalink: {home}");
    assert!(!home.contains("getting-started\""), "no link to the route it would otherwise have: {home}");
    assert_eq!(built.pages["/home"].links, ["/start"]);
}

#[test]
fn a_permalink_written_without_its_slash_is_from_the_sites_root_as_obsidian_publish_writes_it() {
    let blobs = MemoryBlobs::new();
    let notes = vec![permalinked("Obsidian Publish/Set up.md", "x", "publish/setup"), note("Home.md", "[[Set up]]")];
    let built = Publish { notes, ..Publish::default() }.on(&blobs, &Revision::empty());
    assert_eq!(route_of(&built.revision, "Obsidian Publish/Set up.md"), "/publish/setup");
    assert_eq!(built.revision.redirects["/obsidian-publish/set-up"], "/publish/setup");
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
}

#[test]
fn a_permalink_on_a_site_listing_is_not_taken_and_the_publish_says_so() {
    let blobs = MemoryBlobs::new();
    // The Obsidian help vault's `Editing and formatting/Tags.md` has `permalink: tags`.
    let notes = vec![
        permalinked("Editing and formatting/Tags.md", "Tags are #keywords.", "tags"),
        permalinked("Notes/Later.md", "r", "/recent/x"),
    ];
    let built = Publish { notes, ..Publish::default() }.on(&blobs, &Revision::empty());
    assert_eq!(route_of(&built.revision, "Editing and formatting/Tags.md"), "/editing-and-formatting/tags");
    assert_eq!(route_of(&built.revision, "Notes/Later.md"), "/notes/later");
    assert!(built.revision.generated.contains_key("/tags"), "the tag listing keeps its route");
    assert!(built.revision.redirects.is_empty(), "{:?}", built.revision.redirects);
    assert_eq!(
        built.warnings,
        [
            "note \"Editing and formatting/Tags.md\": permalink \"tags\" is not taken: /tags is the site's own listing",
            "note \"Notes/Later.md\": permalink \"/recent/x\" is not taken: /recent is the site's own listing",
        ]
    );
}

#[test]
fn a_permalink_added_later_moves_the_page_and_its_old_route_redirects() {
    let blobs = MemoryBlobs::new();
    let first = Publish { notes: vec![note("Post.md", "x"), note("Other.md", "[[Post]]")], ..Publish::default() }
        .on(&blobs, &Revision::empty());
    assert_eq!(route_of(&first.revision, "Post.md"), "/post");
    let notes = vec![permalinked("Post.md", "x", "/2024/My Post/"), note("Other.md", "[[Post]]")];
    let second = Publish { notes, ..Publish::default() }.on_live(&blobs, &first);
    assert_eq!(route_of(&second.revision, "Post.md"), "/2024/My Post", "decoded, without its trailing slash");
    assert_eq!(second.revision.redirects["/post"], "/2024/My Post");
    assert_eq!(second.revision.pages["/other"].links, ["/2024/My Post"]);
    // The permalink removed: the page is back at its route, the permalink redirects to it.
    let third = Publish { notes: vec![note("Post.md", "x"), note("Other.md", "[[Post]]")], ..Publish::default() }
        .on_live(&blobs, &second);
    assert_eq!(route_of(&third.revision, "Post.md"), "/post");
    assert_eq!(third.revision.redirects.get("/2024/My Post").map(String::as_str), Some("/post"));
    assert!(!third.revision.redirects.contains_key("/post"), "a redirect never shadows a page");
}

#[test]
fn a_kept_page_keeps_its_permalink_even_from_a_revision_made_before_heads_held_it() {
    let blobs = MemoryBlobs::new();
    let notes = vec![permalinked("Post.md", "x", "/p"), note("Other.md", "o")];
    let mut old = Publish { notes, ..Publish::default() }.on(&blobs, &Revision::empty()).revision;
    let kept = Publish { notes: vec![note("Other.md", "o, edited")], partial: true, ..Publish::default() }
        .on(&blobs, &old)
        .revision;
    assert_eq!(route_of(&kept, "Post.md"), "/p", "routed again from its head");
    // As an older server wrote it: heads without `permalink:`, another options key.
    for page in old.pages.values_mut() {
        page.head.as_mut().unwrap().permalink = None;
    }
    old.options_key = Some(vps_core::ContentHash::of(b"an older server's options"));
    let kept = Publish { notes: vec![note("Other.md", "o, edited")], partial: true, ..Publish::default() }
        .on(&blobs, &old)
        .revision;
    assert_eq!(route_of(&kept, "Post.md"), "/p", "its head made again from its source");
}

#[test]
fn two_notes_with_one_permalink_fail_the_publish_naming_both() {
    let error = failed(vec![
        permalinked("Zeta.md", "z", "/same"),
        permalinked("Alpha.md", "a", "/same/"),
        note("Other.md", "o"),
    ]);
    assert_eq!(error.code(), Some(ErrorCode::PermalinkCollision));
    assert_eq!(error.to_string(), "notes \"Alpha.md\" and \"Zeta.md\" have the same permalink \"/same\"");
}

#[test]
fn a_permalink_that_is_another_notes_route_fails_the_publish_naming_both() {
    let error = failed(vec![permalinked("Alpha.md", "a", "/notes/beta"), note("Notes/Beta.md", "b")]);
    assert_eq!(error.code(), Some(ErrorCode::PermalinkCollision));
    let message = error.to_string();
    assert_eq!(
        message,
        "note \"Alpha.md\" has the permalink \"/notes/beta\", which is the route of note \"Notes/Beta.md\""
    );
}

#[test]
fn invalid_permalinks_fail_the_publish_naming_the_note_and_the_rule() {
    let table: [(serde_json::Value, &str); 11] = [
        ("/_blob/x".into(), "/_blob is a path the server keeps for itself"),
        ("/_site/style.css".into(), "/_site is a path the server keeps for itself"),
        ("/api/session/start".into(), "/api is a path the server keeps for itself"),
        ("/search".into(), "/search is a path the server keeps for itself"),
        ("/a/../b".into(), "it has a `.` or `..` segment"),
        ("//evil.example/x".into(), "it has an empty segment (`//`)"),
        ("/a\u{0}b".into(), "it has a control character"),
        ("/a%0D%0ALocation: x".into(), "it has a control character"),
        ("/a\\b".into(), "it has a backslash"),
        ("../etc".into(), "it has a `.` or `..` segment"),
        (42.into(), "it is not a text"),
    ];
    for (value, reason) in table {
        let error = failed(vec![with_front(note("Bad Note.md", "x"), "permalink", value.clone()), note("Ok.md", "")]);
        assert!(matches!(error, BuildError::Permalink { .. }), "{value}: {error:?}");
        assert_eq!(error.code(), Some(ErrorCode::InvalidPermalink), "{value}");
        let message = error.to_string();
        assert!(message.starts_with("note \"Bad Note.md\": permalink "), "{message}");
        assert!(message.ends_with(&format!(" is refused: {reason}")), "{value}: {message}");
    }
    let long = format!("/{}", "x".repeat(5000));
    let error = failed(vec![permalinked("Long.md", "x", &long)]);
    assert!(error.to_string().ends_with("it is 5001 bytes long; the limit is 1024"), "{error}");
    assert!(error.to_string().len() < 400, "the value is cut in the message");
}

#[test]
fn a_permalink_deeper_than_the_depth_limit_fails_the_publish() {
    let deep = format!("/{}x", "d/".repeat(40));
    let error = failed(vec![permalinked("Deep.md", "x", &deep)]);
    assert!(matches!(error, BuildError::Limit(_)), "{error:?}");
    assert!(error.to_string().starts_with("note \"Deep.md\": "), "{error}");
    assert!(error.to_string().ends_with("exceeds MAX_PATH_DEPTH (32)"), "{error}");
}

#[test]
fn aliases_redirect_to_their_page_from_its_folder() {
    let blobs = MemoryBlobs::new();
    let notes = vec![
        aliased("Notes/Long Title.md", "x", &["Short", "Été Spécial", "!!!", "Long Title"]),
        aliased("Moved.md", "y", &["Old Name"]),
        with_front(aliased("P.md", "p", &["Pee"]), "permalink", "/elsewhere/p".into()),
    ];
    let built = Publish { notes, ..Publish::default() }.on(&blobs, &Revision::empty()).revision;
    let to = |from: &str| built.redirects.get(from).map(String::as_str);
    assert_eq!(to("/notes/short"), Some("/notes/long-title"));
    assert_eq!(to("/notes/ete-special"), Some("/notes/long-title"));
    assert_eq!(to("/old-name"), Some("/moved"));
    assert_eq!(to("/pee"), Some("/elsewhere/p"), "beside the note in the vault, not beside its permalink");
    assert_eq!(to("/p"), Some("/elsewhere/p"));
    assert_eq!(built.redirects.len(), 5, "an alias without a slug or equal to the note's name is none: {built:?}");
}

#[test]
fn an_alias_never_takes_a_page_and_the_first_note_by_vault_path_wins_an_alias() {
    let blobs = MemoryBlobs::new();
    let notes = vec![
        aliased("Zed.md", "z", &["Beta", "Shared", "API", "_blob"]),
        note("Beta.md", "the real beta"),
        aliased("Alpha.md", "a", &["Shared"]),
    ];
    let built = Publish { notes, ..Publish::default() }.on(&blobs, &Revision::empty()).revision;
    assert_eq!(route_of(&built, "Beta.md"), "/beta");
    assert!(!built.redirects.contains_key("/beta"), "the page wins over the alias");
    assert!(html(&blobs, &built, "/beta").contains("the real beta"));
    assert_eq!(built.redirects["/shared"], "/alpha");
    assert_eq!(built.redirects.get("/api"), None, "a reserved path is no alias");
    assert_eq!(built.redirects.len(), 2, "{:?}", built.redirects);
}

#[test]
fn a_note_gets_at_most_max_alias_redirects_redirects() {
    let blobs = MemoryBlobs::new();
    let aliases: Vec<String> = (0..1000).map(|n| format!("alias {n}")).collect();
    let aliases: Vec<&str> = aliases.iter().map(String::as_str).collect();
    let notes = vec![aliased("Many.md", "m", &aliases), note("Other.md", "[[alias 999]]")];
    let built = Publish { notes, ..Publish::default() }.on(&blobs, &Revision::empty()).revision;
    let limit = vps_render::PublishLimits::default().max_alias_redirects;
    assert_eq!(limit, 16);
    assert_eq!(built.redirects.len(), limit);
    assert_eq!(built.redirects["/alias-0"], "/many");
    assert_eq!(built.pages["/other"].links, ["/many"], "every alias still finds the note by a link");
}

#[test]
fn permalink_slash_asks_for_the_home_page_as_obsidian_publish_writes_it() {
    let blobs = MemoryBlobs::new();
    // The help vault's `Home.md` says `permalink: /`.
    let notes = || vec![permalinked("Start/Welcome.md", "w", "/"), note("Home.md", "h"), note("Other.md", "o")];
    let built = Publish { notes: notes(), ..Publish::default() }.on(&blobs, &Revision::empty());
    assert_eq!(route_of(&built.revision, "Start/Welcome.md"), "/start/welcome", "it keeps its route");
    assert_eq!(built.revision.home.as_deref(), Some("/start/welcome"), "before a `Home` note");
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);

    let configured = Publish { notes: notes(), home_note: Some("Other.md".into()), ..Publish::default() }
        .on(&blobs, &Revision::empty());
    assert_eq!(configured.revision.home.as_deref(), Some("/other"), "the server's setting wins");
    assert_eq!(
        configured.warnings,
        ["note \"Start/Welcome.md\": permalink \"/\" is not taken: the home page is \"Other.md\""]
    );

    let empty =
        Publish { notes: vec![permalinked("B.md", "b", "/"), permalinked("A.md", "a", "")], ..Publish::default() };
    assert_eq!(empty.on(&blobs, &Revision::empty()).revision.home.as_deref(), Some("/b"), "an empty one is none");
    let error = failed(vec![permalinked("B.md", "b", "/"), permalinked("A.md", "a", "/")]);
    assert_eq!(error.code(), Some(ErrorCode::PermalinkCollision));
    assert_eq!(error.to_string(), "notes \"A.md\" and \"B.md\" have the same permalink \"/\"");
}
