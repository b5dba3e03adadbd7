//! The fixed publication the tests render against.

use std::collections::HashMap;

use vps_render::{LinkIndex, PageRef, RenderOptions, Rendered, Resolver, Transclusion, page_href, render};

/// Vault path, route, aliases.
const PAGES: &[(&str, &str, &[&str])] = &[
    ("Current.md", "/current", &[]),
    ("Notes/Note.md", "/notes/note", &["First Alias"]),
    ("Notes/Other Note.md", "/notes/other-note", &[]),
    ("A/Dup.md", "/a/dup", &[]),
    ("B/Deeper/Dup.md", "/b/deeper/dup", &[]),
    ("Embedded.md", "/embedded", &[]),
    ("Cycle A.md", "/cycle-a", &[]),
    ("Cycle B.md", "/cycle-b", &[]),
    ("Deep 1.md", "/deep-1", &[]),
    ("Deep 2.md", "/deep-2", &[]),
    ("Deep 3.md", "/deep-3", &[]),
    ("Deep 4.md", "/deep-4", &[]),
    ("Deep 5.md", "/deep-5", &[]),
    ("Deep 6.md", "/deep-6", &[]),
    ("Evil.md", "/evil", &[]),
    ("ノート/はじめに.md", "/ノート/はじめに", &[]),
    ("B/Deeper/Uses Dup.md", "/b/deeper/uses-dup", &[]),
];

/// The Markdown of the notes that can be transcluded, by vault path.
const NOTES: &[(&str, &str)] = &[
    (
        "Embedded.md",
        "# Embedded\n\nIntro of the embedded note.\n\n## Section One\n\nFirst section, with a [[Note|link]] and a #tag.\n\n### Sub\n\nStill in section one.[^1]\n\n[^1]: Embedded footnote.\n\n## Section Two\n\nA quotable paragraph. ^quote-me\n\n- item one\n- item two ^item\n",
    ),
    ("Cycle A.md", "A embeds B:\n\n![[Cycle B]]\n"),
    ("Cycle B.md", "B embeds A:\n\n![[Cycle A]]\n"),
    ("Deep 1.md", "Level 1\n\n![[Deep 2]]\n"),
    ("Deep 2.md", "Level 2\n\n![[Deep 3]]\n"),
    ("Deep 3.md", "Level 3\n\n![[Deep 4]]\n"),
    ("Deep 4.md", "Level 4\n\n![[Deep 5]]\n"),
    ("Deep 5.md", "Level 5\n\n![[Deep 6]]\n"),
    ("Deep 6.md", "Level 6\n"),
    ("Evil.md", "<script>alert('embedded')</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n"),
    ("Current.md", "# Current\n\n## Local Part\n\nLocal text.\n"),
    (
        "ノート/はじめに.md",
        "# はじめに\n\n## 見出し\n\nJapanese.\n\n## Что такое Obsidian?\n\nRussian.\n\n## مرحبا بالعالم\n\nArabic.\n\n## 見出し\n\nAgain.\n",
    ),
    ("B/Deeper/Uses Dup.md", "# Uses\n\n## Part\n\nSee [[Dup]] and [[#Local]].\n\n## Local\n\nHere.\n"),
];

const ASSETS: &[(&str, &str)] = &[
    ("img.png", "/assets/img.png"),
    ("pics/photo one.jpg", "/assets/pics/photo%20one.jpg"),
    ("song.mp3", "/assets/song.mp3"),
    ("clip.mp4", "/assets/clip.mp4"),
    ("doc.pdf", "/assets/doc.pdf"),
];

pub(crate) struct Site {
    pages: Vec<PageRef>,
    notes: HashMap<&'static str, &'static str>,
}

impl Site {
    pub(crate) fn new() -> Site {
        let pages = PAGES
            .iter()
            .map(|&(vault_path, route, aliases)| PageRef {
                vault_path: vault_path.into(),
                relative_path: vault_path.into(),
                title: vault_path.rsplit('/').next().unwrap().trim_end_matches(".md").into(),
                aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
                route: route.into(),
            })
            .collect();
        Site { pages, notes: NOTES.iter().copied().collect() }
    }

    /// Renders `markdown` as the page `Current.md`.
    pub(crate) fn render(&self, markdown: &str) -> Rendered {
        self.render_as("Current.md", markdown)
    }

    /// Renders `markdown` as the page at `vault_path`.
    pub(crate) fn render_as(&self, vault_path: &str, markdown: &str) -> Rendered {
        let current = self.pages.iter().find(|p| p.vault_path == vault_path).expect("a page of the site");
        let resolver = PageResolver { index: LinkIndex::new(&self.pages), current, notes: &self.notes };
        render(markdown, &resolver, &RenderOptions::default())
    }

    /// The Markdown of a note of the site.
    pub(crate) fn note(&self, vault_path: &str) -> &'static str {
        self.notes[vault_path]
    }
}

struct PageResolver<'a> {
    index: LinkIndex<'a>,
    current: &'a PageRef,
    notes: &'a HashMap<&'static str, &'static str>,
}

impl PageResolver<'_> {
    /// The page of a [`Transclusion::key`] (a vault path).
    fn page(&self, key: &str) -> Option<&PageRef> {
        self.index.resolve(self.current, key)
    }

    fn transclusion(&self, from: &PageRef, target: &str) -> Option<Transclusion> {
        let page = self.index.resolve(from, target)?;
        let markdown = self.notes.get(page.vault_path.as_str())?;
        Some(Transclusion {
            markdown: (*markdown).to_owned(),
            href: page_href(page, None),
            key: page.vault_path.clone(),
        })
    }
}

/// Resolves as the server does: links written in an embedded note from that note.
impl Resolver for PageResolver<'_> {
    fn page_href(&self, target: &str, subpath: Option<&str>) -> Option<String> {
        Some(page_href(self.index.resolve(self.current, target)?, subpath))
    }

    fn page_href_from(&self, source: &str, target: &str, subpath: Option<&str>) -> Option<String> {
        Some(page_href(self.index.resolve(self.page(source)?, target)?, subpath))
    }

    fn note_markdown_from(&self, source: &str, target: &str) -> Option<Transclusion> {
        self.transclusion(self.page(source)?, target)
    }

    fn asset_href(&self, target: &str) -> Option<String> {
        ASSETS.iter().find(|(name, _)| *name == target).map(|(_, href)| (*href).to_owned())
    }

    fn note_markdown(&self, target: &str) -> Option<Transclusion> {
        self.transclusion(self.current, target)
    }
}
