//! Excalidraw drawings: which published image shows a drawing, and what a drawing's own note
//! becomes. The one rule the publisher (choosing what to upload), the server (choosing what the
//! page shows) and the tests share.
//!
//! The Obsidian Excalidraw plugin keeps a drawing as a note, `Drawing.excalidraw.md` (or, in its
//! old compatibility mode, a `Drawing.excalidraw` JSON file). Notes link to it without the `.md`:
//! `![[Drawing.excalidraw]]`. A web page cannot draw it; what it can show is the image the plugin
//! writes beside the drawing when *Auto-export SVG* / *Auto-export PNG* is on (its
//! `getIMGFilename`: the drawing's path without its last extension, plus the image's):
//!
//! | drawing                 | exports                                                        |
//! |-------------------------|----------------------------------------------------------------|
//! | `Drawing.excalidraw.md` | `Drawing.excalidraw.svg`, `Drawing.excalidraw.png`              |
//! | `Drawing.excalidraw`    | `Drawing.svg`, `Drawing.png` (and as above, when the link means a `.md`) |
//!
//! With *Export both dark- and light-themed image* on, the plugin writes `….light.svg` and
//! `….dark.svg` instead; the light one is shown (the page's theme is the reader's choice, made
//! in the browser after the HTML is written, and a light drawing reads on both).
//!
//! [`drawing_exports`] lists the candidates in order of preference (SVG before PNG, the plain
//! export before the light one); each is then resolved like any attachment written in the note
//! ([`AttachmentIndex`](crate::AttachmentIndex)): the export sits beside the drawing, so a target
//! with folders finds it by path and a bare name finds it by name. An export is always shown as an
//! `<img>` (an SVG never becomes markup of the page); without one, the embed is a placeholder that
//! says how to turn auto-export on.
//!
//! ```
//! use vps_render::{drawing_exports, is_drawing};
//!
//! assert!(is_drawing("Sketches/Plan.excalidraw"));
//! assert!(!is_drawing("Plan.md"));
//! assert_eq!(
//!     drawing_exports("Sketches/Plan.excalidraw.md"),
//!     [
//!         "Sketches/Plan.excalidraw.svg",
//!         "Sketches/Plan.excalidraw.light.svg",
//!         "Sketches/Plan.excalidraw.png",
//!         "Sketches/Plan.excalidraw.light.png",
//!     ]
//! );
//! ```

/// `.excalidraw.md`, compared ignoring ASCII case.
const NOTE_SUFFIX: &str = ".excalidraw.md";
/// `.excalidraw`, compared ignoring ASCII case.
const SUFFIX: &str = ".excalidraw";

/// Whether `target` (a link's target, without `#subpath`) names an Excalidraw drawing: its file
/// name ends with `.excalidraw` or `.excalidraw.md` (any case), and is more than that.
pub fn is_drawing(target: &str) -> bool {
    let name = file_name(target.trim());
    [NOTE_SUFFIX, SUFFIX].iter().any(|suffix| name.len() > suffix.len() && ends_with_ignore_case(name, suffix))
}

/// Whether the note at `vault_path` is a drawing of the Excalidraw plugin (`….excalidraw.md`):
/// its page shows the drawing's export ([`drawing_page_markdown`]), not its Markdown (the
/// drawing's compressed JSON and the plugin's notices).
pub fn is_drawing_note(vault_path: &str) -> bool {
    let name = file_name(vault_path);
    name.len() > NOTE_SUFFIX.len() && ends_with_ignore_case(name, NOTE_SUFFIX)
}

/// The targets of the images that may show the drawing `target`, best first (see the module's
/// table); empty when `target` is not a drawing ([`is_drawing`]). At most eight.
pub fn drawing_exports(target: &str) -> Vec<String> {
    let target = target.trim();
    if !is_drawing(target) {
        return Vec::new();
    }
    // `Drawing.excalidraw.md` and `Drawing.excalidraw` (meaning that note) → `Drawing.excalidraw`;
    // a `Drawing.excalidraw` file of its own exports as `Drawing`.
    let mut stems = Vec::with_capacity(2);
    if ends_with_ignore_case(target, NOTE_SUFFIX) {
        stems.push(&target[..target.len() - ".md".len()]);
    } else {
        stems.push(target);
        stems.push(&target[..target.len() - SUFFIX.len()]);
    }
    let mut exports = Vec::with_capacity(8);
    for extension in ["svg", "png"] {
        for stem in &stems {
            exports.push(format!("{stem}.{extension}"));
            exports.push(format!("{stem}.light.{extension}"));
        }
    }
    exports
}

/// The Markdown a drawing note's page is rendered from instead of its own: an embed of itself,
/// which shows its export or the placeholder. A name Obsidian could not link to (one holding
/// `[`, `]`, `|`, `#`, `^` or a line break) gets the placeholder directly.
pub fn drawing_page_markdown(vault_path: &str) -> String {
    let name = file_name(vault_path);
    if name.contains(['[', ']', '|', '#', '^', '\n', '\r']) {
        return format!("{}\n", crate::markdown::drawing_missing_html(name));
    }
    format!("![[{name}]]\n")
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.is_char_boundary(text.len() - suffix.len())
        && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawings_are_named_excalidraw_or_excalidraw_md() {
        for drawing in ["Drawing.excalidraw", "a/b/Drawing.EXCALIDRAW.md", "Été.excalidraw.md", " x.excalidraw "] {
            assert!(is_drawing(drawing), "{drawing}");
        }
        for other in [".excalidraw", ".excalidraw.md", "Drawing.md", "Drawing.svg", "excalidraw", "x.excalidraw/y"] {
            assert!(!is_drawing(other), "{other}");
        }
        assert!(is_drawing_note("Sketches/Plan.excalidraw.md"));
        assert!(!is_drawing_note("Sketches/Plan.excalidraw"));
        assert!(!is_drawing_note("Sketches/Plan.md"));
    }

    #[test]
    fn a_link_without_md_looks_for_the_notes_export_then_the_legacy_files() {
        assert_eq!(
            drawing_exports("Drawing.excalidraw"),
            [
                "Drawing.excalidraw.svg",
                "Drawing.excalidraw.light.svg",
                "Drawing.svg",
                "Drawing.light.svg",
                "Drawing.excalidraw.png",
                "Drawing.excalidraw.light.png",
                "Drawing.png",
                "Drawing.light.png",
            ]
        );
        assert!(drawing_exports("Drawing.md").is_empty());
    }

    #[test]
    fn a_drawing_page_embeds_itself_unless_its_name_cannot_be_linked() {
        assert_eq!(drawing_page_markdown("Sketches/Plan.excalidraw.md"), "![[Plan.excalidraw.md]]\n");
        let hostile = drawing_page_markdown("Sketches/x]]<img src=y onerror=alert(1)>.excalidraw.md");
        assert!(hostile.starts_with(r#"<span class="excalidraw-missing""#), "{hostile}");
        assert!(hostile.contains("x]]&lt;img src=y onerror=alert(1)&gt;.excalidraw.md"), "{hostile}");
    }
}
