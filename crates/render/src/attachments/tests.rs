use super::*;

fn index(paths: &[&str]) -> AttachmentIndex {
    AttachmentIndex::new(paths)
}

#[test]
fn an_attachment_next_to_the_note_wins_over_one_at_the_vault_root() {
    // The bug of issue 13: the publisher uploaded one `img.png`, the server showed the other.
    let vault = index(&["img.png", "Notes/img.png"]);
    assert_eq!(vault.resolve("Notes/Post.md", "img.png"), Some("Notes/img.png"));
    assert_eq!(vault.resolve("Notes/Post.md", "./img.png"), Some("Notes/img.png"));
    // The same whatever order the files come in.
    let reversed = index(&["Notes/img.png", "img.png"]);
    assert_eq!(reversed.resolve("Notes/Post.md", "img.png"), Some("Notes/img.png"));
    // A note elsewhere, or a target written from the vault root, gets the root file.
    assert_eq!(vault.resolve("Elsewhere/Post.md", "img.png"), Some("img.png"));
    assert_eq!(vault.resolve("Post.md", "img.png"), Some("img.png"));
    assert_eq!(vault.resolve("Notes/Post.md", "/img.png"), Some("img.png"));
}

#[test]
fn resolution_goes_relative_then_assets_folder_then_vault() {
    let vault = index(&[
        "Notes/pic.png",
        "assets/pic.png",
        "assets/deep/only-in-assets.png",
        "z/only-in-assets.png",
        "Other/far.png",
        "deep/a/b/far.png",
        "Notes/sub/x.png",
    ]);
    let with = |fallback| vault.clone().with_assets_folder(Some("assets"), fallback);
    let (fallback, strict) = (with(true), with(false));
    fn resolve<'i>(index: &'i AttachmentIndex, target: &str, dir: &str) -> Option<&'i str> {
        index.resolve(&format!("{dir}/Note.md"), target)
    }
    assert_eq!(resolve(&fallback, "pic.png", "Notes"), Some("Notes/pic.png"), "next to the note first");
    assert_eq!(resolve(&fallback, "pic.png", "Elsewhere"), Some("assets/pic.png"), "then the assets folder");
    assert_eq!(resolve(&fallback, "only-in-assets.png", "Notes"), Some("assets/deep/only-in-assets.png"));
    assert_eq!(resolve(&fallback, "far.png", "Notes"), Some("Other/far.png"), "then the vault, fewest folders");
    assert_eq!(resolve(&fallback, "b/far.png", "Notes"), Some("deep/a/b/far.png"), "a path suffix beats a name");
    assert_eq!(resolve(&strict, "far.png", "Notes"), None, "no vault fallback");
    assert_eq!(resolve(&fallback, "../Notes/sub/x.png", "Notes/sub"), Some("Notes/sub/x.png"));
    assert_eq!(resolve(&fallback, "sub/x.png", "Notes"), Some("Notes/sub/x.png"));
    assert_eq!(resolve(&fallback, "FAR.PNG", "Notes"), Some("Other/far.png"), "any case, last");
    assert_eq!(resolve(&fallback, "gone.png", "Notes"), None);
    assert_eq!(vault.resolve("Note.md", "far.png"), Some("Other/far.png"), "no assets folder: the whole vault");
}

#[test]
fn by_name_the_fewest_folders_win_then_the_shortest_path_then_byte_order() {
    let vault = index(&["a/b/c/img.png", "long-folder-name/img.png", "x/img.png", "w/img.png"]);
    assert_eq!(vault.resolve("n/Note.md", "img.png"), Some("w/img.png"), "one folder, shortest, then w < x");
    let vault = index(&["a/b/img.png", "very-long-folder/img.png"]);
    assert_eq!(vault.resolve("Note.md", "img.png"), Some("very-long-folder/img.png"), "folders before length");
    assert_eq!(vault.resolve_index("Note.md", "img.png"), Some(1), "the position in the paths given");
}

#[test]
fn a_target_with_folders_must_match_the_end_of_a_path() {
    let vault = index(&["Attachments/img.png", "deep/er/img.png"]);
    assert_eq!(vault.resolve("Note.md", "er/img.png"), Some("deep/er/img.png"));
    assert_eq!(vault.resolve("Note.md", "nowhere/img.png"), None);
    assert_eq!(vault.resolve("Note.md", "../er/img.png"), Some("deep/er/img.png"), "above the vault: by suffix");
    assert_eq!(vault.resolve("Note.md", "Attachments\\img.png#frag"), Some("Attachments/img.png"));
    assert_eq!(vault.resolve("Note.md", ""), None);
    assert_eq!(vault.resolve("Note.md", "#only-a-fragment"), None);
}

#[test]
fn exact_case_is_preferred_then_any_case() {
    let vault = index(&["Img.png", "sub/img.png"]);
    assert_eq!(vault.resolve("Note.md", "img.png"), Some("sub/img.png"));
    assert_eq!(vault.resolve("Note.md", "Img.png"), Some("Img.png"));
    assert_eq!(vault.resolve("Note.md", "IMG.PNG"), Some("Img.png"));
}

#[test]
fn nfd_and_nfc_names_find_each_other_and_keep_their_spelling() {
    let nfd = "Photos/E\u{301}te\u{301}.png";
    let vault = index(&[nfd, "x/y/Café.jpg"]).with_assets_folder(Some("assets"), true);
    let resolve = |target| vault.resolve("Notes/Note.md", target);
    assert_eq!(resolve("Été.png"), Some(nfd), "by name, NFC typed, NFD stored");
    assert_eq!(resolve("Photos/Été.png"), Some(nfd), "by vault path");
    assert_eq!(resolve("../Photos/Été.png"), Some(nfd), "relative");
    assert_eq!(resolve("été.png"), Some(nfd), "any case");
    assert_eq!(resolve("y/Cafe\u{301}.jpg"), Some("x/y/Café.jpg"), "by suffix, NFD typed");
    assert_eq!(vault.resolve("Ce\u{301}dric/Note.md", "../x/y/Café.jpg"), Some("x/y/Café.jpg"));
    assert_eq!(vault.get("x/y/Cafe\u{301}.jpg"), Some(1));
}

#[test]
fn two_spellings_of_one_path_find_the_first_in_byte_order() {
    let (nfc_path, nfd_path) = ("É.png", "E\u{301}.png");
    let vault = index(&[nfc_path, nfd_path]);
    let first = if nfc_path < nfd_path { nfc_path } else { nfd_path };
    assert_eq!(vault.resolve("Note.md", "É.png"), Some(first));
}

#[test]
fn joins_resolve_dots_and_refuse_to_leave_the_vault() {
    assert_eq!(join("a/b", "../c.png").as_deref(), Some("a/c.png"));
    assert_eq!(join("", "./c.png").as_deref(), Some("c.png"));
    assert_eq!(join("a", "../../c.png"), None);
}
