//! Link previews: what a reader hovering (or focusing) an internal link sees of its target,
//! [`Site::preview`] — the page's title and the start of its first section, or of the linked
//! heading's section. Made per request from the site model (O(text of one page)), for listed
//! pages only: an unlisted, protected or private page has no preview in a site that does not
//! list it, so a preview shows nothing a reader could not open from a listing.

use serde::Serialize;

use crate::escape::summarize;
use crate::model::PageInfo;
use crate::site::Site;

/// Characters of text a preview shows at most.
pub const PREVIEW_CHARS: usize = 400;

/// A link preview, as [`Site::preview_json`] writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// The page's title.
    pub title: String,
    /// The linked heading's text, when the link named one the page has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// Plain text (the script writes it as text, never as markup), at most about
    /// [`PREVIEW_CHARS`] characters.
    pub text: String,
}

impl Site {
    /// The preview of the listed page at `route` (`/` is the home page), of the section of its
    /// heading `anchor` when it has one (by its id, as links write it). `None` for an unknown
    /// or unlisted page.
    pub fn preview(&self, route: &str, anchor: Option<&str>) -> Option<Preview> {
        let index = self.page_index(route)?;
        let page = &self.pages[index];
        if page.unlisted {
            return None;
        }
        let spans = heading_spans(page);
        let wanted = anchor.filter(|a| !a.is_empty()).and_then(|a| page.headings.iter().position(|h| h.id == a));
        let (heading, section) = match wanted {
            Some(h) => (Some(page.headings[h].text.clone()), section_after(page, &spans, h)),
            None => (None, first_section(page, &spans)),
        };
        let description = page.description.as_deref().filter(|d| !d.trim().is_empty());
        let section = if section.trim().is_empty() { description.unwrap_or(&page.text) } else { section };
        let text = summarize(section, PREVIEW_CHARS);
        Some(Preview { title: page.title.clone(), heading, text })
    }

    /// [`Site::preview`] as JSON: `{"title":…,"heading":…,"text":…}`.
    pub fn preview_json(preview: &Preview) -> String {
        serde_json::to_string(preview).expect("a preview serialises")
    }
}

/// Where each heading's text is in the page's text (start, end): at its offset when the
/// renderer gave one (a heading whose text is not there is `None`), else — a revision made
/// before offsets — searched for after the previous heading. A search that fails ends the
/// searching: the text is scanned at most once, O(text + headings) whatever the page holds.
fn heading_spans(page: &PageInfo) -> Vec<Option<(usize, usize)>> {
    let mut from = 0;
    let mut searching = true;
    page.headings
        .iter()
        .map(|heading| {
            let text = heading.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if text.is_empty() {
                return None;
            }
            let start = match heading.offset {
                Some(offset) => {
                    let found = page.text.get(offset..).is_some_and(|rest| rest.starts_with(&text));
                    (found && offset >= from).then_some(offset)?
                }
                None if searching => match page.text[from..].find(&text) {
                    Some(at) => from + at,
                    None => {
                        searching = false;
                        return None;
                    }
                },
                None => return None,
            };
            from = start + text.len();
            Some((start, from))
        })
        .collect()
}

/// The text of heading `h`'s section: after its text, up to the next heading of its level or
/// above.
fn section_after<'p>(page: &'p PageInfo, spans: &[Option<(usize, usize)>], h: usize) -> &'p str {
    let Some((_, start)) = spans[h] else { return "" };
    let level = page.headings[h].level;
    let end = (h + 1..page.headings.len())
        .filter(|&next| page.headings[next].level <= level)
        .find_map(|next| spans[next].map(|(s, _)| s))
        .unwrap_or(page.text.len());
    &page.text[start..end.max(start)]
}

/// The page's first section: its text up to its first heading, or (when the text opens with a
/// heading, the title's or another) from that heading to the next one.
fn first_section<'p>(page: &'p PageInfo, spans: &[Option<(usize, usize)>]) -> &'p str {
    let mut found = spans.iter().flatten();
    let Some(&(start, end)) = found.next() else { return &page.text };
    if !page.text[..start].trim().is_empty() {
        return &page.text[..start];
    }
    let next = found.next().map_or(page.text.len(), |&(next, _)| next);
    &page.text[end..next.max(end)]
}

#[cfg(test)]
mod tests {
    use crate::model::{Heading, PageInfo, SiteInfo};
    use crate::{Preview, Site};

    fn site() -> Site {
        let page = PageInfo {
            route: "/guide".into(),
            title: "Guide".into(),
            vault_path: "Guide.md".into(),
            headings: vec![
                Heading::new(1, "Guide", "guide").at(0),
                Heading::new(2, "Install", "install").at(27),
                Heading::new(3, "On Linux", "on-linux").at(51),
                Heading::new(2, "Use", "use").at(69),
            ],
            text: "Guide Start here to learn. Install Get the binary. On Linux Use apt. Use Run it daily.".into(),
            ..PageInfo::default()
        };
        let secret = PageInfo {
            route: "/secret".into(),
            title: "Secret".into(),
            text: "hidden words".into(),
            unlisted: true,
            ..PageInfo::default()
        };
        Site::new(SiteInfo::default(), vec![page, secret])
    }

    #[test]
    fn a_preview_is_the_first_section_or_the_linked_headings() {
        let site = site();
        let first = site.preview("/guide", None).unwrap();
        assert_eq!(first, Preview { title: "Guide".into(), heading: None, text: "Start here to learn.".into() });
        let install = site.preview("/guide", Some("install")).unwrap();
        assert_eq!(install.heading.as_deref(), Some("Install"));
        assert_eq!(install.text, "Get the binary. On Linux Use apt.", "its sub-sections included, up to the next h2");
        assert_eq!(site.preview("/guide", Some("use")).unwrap().text, "Run it daily.");
        assert_eq!(site.preview("/guide", Some("nope")).unwrap().text, "Start here to learn.", "unknown anchor");
        // Without offsets (a revision made before them), headings are searched for in order: a
        // heading's words met earlier in the text end its section early, nothing worse.
        let mut pages = site.pages().to_vec();
        pages[0].headings.iter_mut().for_each(|h| h.offset = None);
        let old = Site::new(SiteInfo::default(), pages);
        assert_eq!(old.preview("/guide", Some("install")).unwrap().text, "Get the binary. On Linux");
        let json: serde_json::Value = serde_json::from_str(&Site::preview_json(&install)).unwrap();
        assert_eq!(json["heading"], "Install");
    }

    #[test]
    fn no_preview_of_unlisted_or_unknown_pages_and_text_is_bounded() {
        let site = site();
        assert_eq!(site.preview("/secret", None), None);
        assert_eq!(site.preview("/missing", None), None);
        let long = PageInfo {
            route: "/long".into(),
            title: "Long".into(),
            text: "word ".repeat(10_000),
            ..PageInfo::default()
        };
        let preview = Site::new(SiteInfo::default(), vec![long]).preview("/long", None).unwrap();
        assert!(preview.text.chars().count() <= super::PREVIEW_CHARS + 1, "{}", preview.text.len());
    }
}
