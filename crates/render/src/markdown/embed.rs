//! Embeds of published files: `![[photo.png|300]]`, `![[talk.mp3]]`, `![[paper.pdf]]`.
//!
//! Only the extensions the plugin uploads as assets count (§7.4); any other embed is a note embed,
//! which [`transclude`](super::transclude) handles. The `<figure>` markup the
//! reference builds from the plugin's `display` data (alignment, classes) is left to the full
//! renderer; alignment words are accepted and ignored here.

use crate::links::WikiTarget;
use crate::markdown::ImageSource;

use super::escape_html;

/// What kind of media an embedded file is, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AssetKind {
    Image,
    Audio,
    Video,
    Pdf,
}

impl AssetKind {
    /// The kind of `target`, or `None` when it is not a published asset (a note).
    pub(super) fn of(target: &str) -> Option<AssetKind> {
        let name = target.rsplit(['/', '\\']).next().unwrap_or(target);
        let (_, extension) = name.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg" => Some(AssetKind::Image),
            "mp3" | "wav" | "flac" | "ogg" => Some(AssetKind::Audio),
            "mp4" | "webm" | "mkv" | "mov" => Some(AssetKind::Video),
            "pdf" => Some(AssetKind::Pdf),
            _ => None,
        }
    }
}

/// What the `|…` parts of an embed ask for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Modifiers {
    width: Option<u32>,
    height: Option<u32>,
    /// The first part that is neither a size nor an alignment: Obsidian's alt text / caption.
    alt: Option<String>,
}

impl Modifiers {
    /// Parses `300`, `300x200`, `left|200`, `A caption|200`…
    fn parse(alias: Option<&str>) -> Modifiers {
        let mut modifiers = Modifiers::default();
        for part in alias.unwrap_or_default().split('|').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some((w, h)) = part.split_once('x')
                && let (Ok(w), Ok(h)) = (w.parse(), h.parse())
            {
                modifiers.width = Some(w);
                modifiers.height = Some(h);
            } else if let Ok(w) = part.parse() {
                modifiers.width = Some(w);
            } else if matches!(part, "left" | "right" | "center") {
                // Alignment belongs to the figure markup of the full renderer.
            } else if modifiers.alt.is_none() {
                modifiers.alt = Some(part.to_owned());
            }
        }
        modifiers
    }
}

/// The HTML of an embedded asset whose published URL is `src`. An image not already inside a
/// link (`in_link`) is wrapped in one to the full-size file: the page's script opens it in a
/// lightbox, and without script the link still shows it whole. `image` is what is known of an
/// image ([`image_html`]); `eager` says it is the page's first image.
pub(super) fn asset_html(
    kind: AssetKind,
    src: &str,
    link: &WikiTarget,
    in_link: bool,
    image: Option<&ImageSource>,
    eager: bool,
) -> String {
    let modifiers = Modifiers::parse(link.alias.as_deref());
    let src_attr = escape_html(src);
    match kind {
        AssetKind::Image => {
            let alt = modifiers.alt.as_deref().unwrap_or(&link.target);
            let html = image_html(src, alt, (modifiers.width, modifiers.height), image, eager);
            if in_link { html } else { format!(r#"{}{html}</a>"#, image_link_open(src)) }
        }
        AssetKind::Audio => format!(r#"<audio controls src="{src_attr}"></audio>"#),
        AssetKind::Video => format!(r#"<video controls src="{src_attr}"></video>"#),
        // An `<object>`, not a sandboxed `<iframe>`: Chromium refuses to run its PDF viewer in a
        // sandboxed frame, and an unsandboxed frame would be a document of the site's origin.
        // The page's CSP allows objects from the site only (`object-src 'self'`), the sanitiser
        // forces `type="application/pdf"` and a local `data` URL. The link inside shows where no
        // viewer is available; the one after it is always there (download, open in a tab).
        AssetKind::Pdf => {
            let label = escape_html(modifiers.alt.as_deref().unwrap_or(&link.target));
            let href = match &link.subpath {
                Some(sub) => escape_html(&format!("{src}#{sub}")),
                None => src_attr.clone(),
            };
            if in_link {
                return format!(r#"<span class="embed embed-pdf">{label}</span>"#);
            }
            format!(
                r#"<span class="pdf-embed"><object class="pdf-frame" data="{href}" type="application/pdf" aria-label="{label}"><a class="embed embed-pdf" href="{href}">{label}</a></object><a class="embed embed-pdf pdf-download" href="{src_attr}">{label}</a></span>"#
            )
        }
    }
}

/// The `sizes` of an image shown at the text column's width: the whole screen on a phone, the
/// column (`.site-main`'s `max-width` in the stylesheet) on a wider one.
pub(crate) const COLUMN_SIZES: &str = "(max-width: 52rem) 100vw, 52rem";

/// The `<img>` of the published image at `src`:
/// - `size`, what the writer asked for (`![[img.png|300]]`, `|300x200`), wins; a missing side
///   follows from the image's own ratio, so the browser reserves the right box before the image
///   arrives (no layout shift). Without either, the image's own size.
/// - With variants, a `srcset` of them and of the original (the widest candidate), with `sizes`
///   the width it is shown at: the browser picks the smallest that fills it on its screen.
/// - `loading="lazy"` unless `eager` (the page's first image, likely above the fold), and
///   `decoding="async"`.
pub(crate) fn image_html(
    src: &str,
    alt: &str,
    size: (Option<u32>, Option<u32>),
    image: Option<&ImageSource>,
    eager: bool,
) -> String {
    let (mut width, mut height) = size;
    if let Some(image) = image.filter(|image| image.width > 0 && image.height > 0) {
        let scale = |value: u32, to: u32, from: u32| {
            ((u64::from(value) * u64::from(to) + u64::from(from) / 2) / u64::from(from)).clamp(1, 99_999) as u32
        };
        match (width, height) {
            (None, None) => (width, height) = (Some(image.width), Some(image.height)),
            (Some(w), None) => height = Some(scale(w, image.height, image.width)),
            (None, Some(h)) => width = Some(scale(h, image.width, image.height)),
            (Some(_), Some(_)) => {}
        }
    }
    let mut html = format!(r#"<img src="{}" alt="{}""#, escape_html(src), escape_html(alt));
    if let Some(image) = image.filter(|image| !image.variants.is_empty()) {
        let mut candidates: Vec<String> =
            image.variants.iter().map(|(url, width)| format!("{} {width}w", escape_html(url))).collect();
        candidates.push(format!("{} {}w", escape_html(src), image.width));
        let sizes = match size.0 {
            Some(w) => format!("(max-width: {w}px) 100vw, {w}px"),
            None => COLUMN_SIZES.to_owned(),
        };
        html.push_str(&format!(r#" srcset="{}" sizes="{sizes}""#, candidates.join(", ")));
    }
    if let Some(width) = width {
        html.push_str(&format!(r#" width="{width}""#));
    }
    if let Some(height) = height {
        html.push_str(&format!(r#" height="{height}""#));
    }
    if !eager {
        html.push_str(r#" loading="lazy""#);
    }
    html.push_str(r#" decoding="async">"#);
    html
}

/// What an embed of the Excalidraw drawing `name` shows when no export of it is published
/// ([`crate::drawing`]): a note that says why, and how to have the plugin write one.
pub(crate) fn drawing_missing_html(name: &str) -> String {
    format!(
        concat!(
            r#"<span class="excalidraw-missing"><strong>Drawing “{}” is not published as an image.</strong> "#,
            "To show it, turn on Auto-export SVG (or PNG) in Obsidian: Settings → Excalidraw → Embedding Excalidraw ",
            "into your Notes and Exporting → Export settings. Then save the drawing and publish again.</span>"
        ),
        escape_html(name)
    )
}

/// The link an image is wrapped in to open it full size (see [`asset_html`]).
pub(super) fn image_link_open(src: &str) -> String {
    format!(r#"<a class="image-link" href="{}">"#, escape_html(src))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::split_wikilink;

    #[test]
    fn kinds_follow_the_protocol_extension_list() {
        assert_eq!(AssetKind::of("a/b/Photo.JPG"), Some(AssetKind::Image));
        assert_eq!(AssetKind::of("x.svg"), Some(AssetKind::Image));
        assert_eq!(AssetKind::of("talk.flac"), Some(AssetKind::Audio));
        assert_eq!(AssetKind::of("clip.mov"), Some(AssetKind::Video));
        assert_eq!(AssetKind::of("paper.pdf"), Some(AssetKind::Pdf));
        assert_eq!(AssetKind::of("Note"), None);
        assert_eq!(AssetKind::of("Release 1.5"), None);
        assert_eq!(AssetKind::of("dir.png/Note"), None);
    }

    #[test]
    fn modifiers_give_size_alignment_and_alt() {
        assert_eq!(Modifiers::parse(Some("300")), Modifiers { width: Some(300), ..Modifiers::default() });
        assert_eq!(Modifiers::parse(Some("300x200")), Modifiers { width: Some(300), height: Some(200), alt: None });
        assert_eq!(
            Modifiers::parse(Some("right|A cat|200")),
            Modifiers { width: Some(200), height: None, alt: Some("A cat".into()) }
        );
        assert_eq!(Modifiers::parse(None), Modifiers::default());
    }

    #[test]
    fn image_markup_escapes_alt_and_src() {
        let link = split_wikilink(r#"a.png|"><script>|50"#);
        let html = asset_html(AssetKind::Image, "/assets/a.png?x=\"1\"", &link, true, None, false);
        assert_eq!(
            html,
            r#"<img src="/assets/a.png?x=&quot;1&quot;" alt="&quot;&gt;&lt;script&gt;" width="50" loading="lazy" decoding="async">"#
        );
    }

    #[test]
    fn an_image_outside_a_link_links_to_its_full_size_file() {
        let link = split_wikilink("a.png|300");
        assert_eq!(
            asset_html(AssetKind::Image, "/assets/a.png", &link, false, None, false),
            r#"<a class="image-link" href="/assets/a.png"><img src="/assets/a.png" alt="a.png" width="300" loading="lazy" decoding="async"></a>"#
        );
    }

    fn screenshot() -> ImageSource {
        ImageSource {
            width: 2000,
            height: 1000,
            variants: vec![("/_img/h/480.webp".into(), 480), ("/_img/h/960.webp".into(), 960)],
        }
    }

    #[test]
    fn an_image_with_variants_offers_them_with_its_size() {
        let html = image_html("/_blob/h", "Shot", (None, None), Some(&screenshot()), false);
        assert_eq!(
            html,
            concat!(
                r#"<img src="/_blob/h" alt="Shot" srcset="/_img/h/480.webp 480w, /_img/h/960.webp 960w, /_blob/h 2000w" "#,
                r#"sizes="(max-width: 52rem) 100vw, 52rem" width="2000" height="1000" loading="lazy" decoding="async">"#
            )
        );
    }

    #[test]
    fn the_writers_size_wins_and_the_other_side_keeps_the_ratio() {
        let html = image_html("/_blob/h", "Shot", (Some(300), None), Some(&screenshot()), true);
        assert!(
            html.contains(r#"sizes="(max-width: 300px) 100vw, 300px" width="300" height="150" decoding="async">"#),
            "{html}"
        );
        assert!(!html.contains("loading"), "the first image is not lazy: {html}");
        let html = image_html("/_blob/h", "Shot", (Some(300), Some(40)), Some(&screenshot()), false);
        assert!(html.contains(r#"width="300" height="40""#), "{html}");
        let html = image_html("/_blob/h", "Shot", (None, Some(100)), Some(&screenshot()), false);
        assert!(html.contains(r#"width="200" height="100""#), "{html}");
    }

    #[test]
    fn an_image_without_variants_still_gets_its_size() {
        let source = ImageSource { variants: Vec::new(), ..screenshot() };
        let html = image_html("/_blob/h", "a", (None, None), Some(&source), false);
        assert_eq!(html, r#"<img src="/_blob/h" alt="a" width="2000" height="1000" loading="lazy" decoding="async">"#);
    }

    #[test]
    fn the_missing_drawing_note_escapes_the_name() {
        let html = drawing_missing_html(r#"<img src=x onerror="alert(1)">.excalidraw"#);
        assert!(html.starts_with(r#"<span class="excalidraw-missing"><strong>Drawing “&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.excalidraw”"#), "{html}");
        assert!(html.contains("Auto-export SVG"), "{html}");
    }

    #[test]
    fn pdf_embeds_show_inline_with_a_link_that_keeps_the_page_fragment() {
        let link = split_wikilink("paper.pdf#page=3");
        let html = asset_html(AssetKind::Pdf, "/assets/paper.pdf", &link, false, None, false);
        assert_eq!(
            html,
            concat!(
                r#"<span class="pdf-embed"><object class="pdf-frame" data="/assets/paper.pdf#page=3" type="application/pdf" aria-label="paper.pdf">"#,
                r#"<a class="embed embed-pdf" href="/assets/paper.pdf#page=3">paper.pdf</a></object>"#,
                r#"<a class="embed embed-pdf pdf-download" href="/assets/paper.pdf">paper.pdf</a></span>"#
            )
        );
    }
}
