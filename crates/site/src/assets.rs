//! The site's static assets: stylesheet, scripts and favicon, with content-hashed URLs so the
//! server can serve them as immutable.
//!
//! Two scripts, both optional enhancements (every page works without them), both ours and
//! served from `/_site/` under `script-src 'self'`:
//! - [`THEME_JS`], loaded without `defer` at the top of `<head>`: it applies the reader's
//!   remembered theme before the first paint, so there is no flash of the wrong theme;
//! - [`SITE_JS`], loaded with `defer`: one file made of one part per feature (search as you
//!   type, graph, link previews, media, canvas), each part an independent function that does nothing
//!   when its markup is not on the page.

use std::sync::LazyLock;

use vps_core::ContentHash;

/// The site stylesheet, served at [`style_href`]: `style.css` and `canvas.css`, then the dark theme's colours
/// (`dark.css`, written once) under the system's dark preference unless the reader chose light
/// (`<html data-theme="light">`, set by [`THEME_JS`]), and whenever the reader chose dark.
pub const STYLE_CSS: &str = concat!(
    include_str!("assets/style.css"),
    "\n",
    include_str!("assets/canvas.css"),
    "\n@media (prefers-color-scheme: dark) {\n:root:not([data-theme=\"light\"]) {\n",
    include_str!("assets/dark.css"),
    "}\n}\n:root[data-theme=\"dark\"] {\n",
    include_str!("assets/dark.css"),
    "}\n",
);

/// The deferred script of every page, served at [`site_js_href`]: one part per feature.
pub const SITE_JS: &str = concat!(
    include_str!("assets/search.js"),
    "\n",
    include_str!("assets/graph.js"),
    "\n",
    include_str!("assets/preview.js"),
    "\n",
    include_str!("assets/media.js"),
    "\n",
    include_str!("assets/canvas.js"),
);

/// The theme script, served at [`theme_js_href`] and loaded before the first paint.
pub const THEME_JS: &str = include_str!("assets/theme.js");

/// The favicon, served at `/favicon.svg` as `image/svg+xml`.
pub const FAVICON_SVG: &str = include_str!("assets/favicon.svg");

static STYLE_HREF: LazyLock<String> = LazyLock::new(|| hashed_href("style", STYLE_CSS, "css"));
static SITE_JS_HREF: LazyLock<String> = LazyLock::new(|| hashed_href("site", SITE_JS, "js"));
static THEME_JS_HREF: LazyLock<String> = LazyLock::new(|| hashed_href("theme", THEME_JS, "js"));

/// `/_site/style-<16 hex digits of the SHA-256 of STYLE_CSS>.css`: changes whenever the
/// stylesheet does, so it can be cached forever.
pub fn style_href() -> String {
    STYLE_HREF.clone()
}

/// `/_site/site-<16 hex digits of the SHA-256 of SITE_JS>.js`.
pub fn site_js_href() -> String {
    SITE_JS_HREF.clone()
}

/// `/_site/theme-<16 hex digits of the SHA-256 of THEME_JS>.js`.
pub fn theme_js_href() -> String {
    THEME_JS_HREF.clone()
}

/// Every static file: its URL (`/_site/…`), content and media type. The one table the server
/// serves `/_site/` from.
pub fn static_files() -> [(&'static str, &'static str, &'static str); 3] {
    [
        (STYLE_HREF.as_str(), STYLE_CSS, "text/css; charset=utf-8"),
        (SITE_JS_HREF.as_str(), SITE_JS, "text/javascript; charset=utf-8"),
        (THEME_JS_HREF.as_str(), THEME_JS, "text/javascript; charset=utf-8"),
    ]
}

/// Every static file's URL, for keys of documents that name them.
pub(crate) fn static_hrefs() -> [&'static str; 3] {
    static_files().map(|(href, _, _)| href)
}

fn hashed_href(stem: &str, content: &str, extension: &str) -> String {
    let hex = ContentHash::of(content.as_bytes()).to_hex();
    format!("/_site/{stem}-{}.{extension}", &hex[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_hrefs_carry_a_stable_content_hash() {
        let css = style_href();
        assert!(css.starts_with("/_site/style-") && css.ends_with(".css"), "{css}");
        let hex = &css["/_site/style-".len()..css.len() - ".css".len()];
        assert_eq!(hex.len(), 16);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(css, hashed_href("style", STYLE_CSS, "css"));
        assert_ne!(hashed_href("style", "a", "css"), hashed_href("style", "b", "css"));
        assert!(site_js_href().starts_with("/_site/site-") && site_js_href().ends_with(".js"));
        assert!(theme_js_href().starts_with("/_site/theme-") && theme_js_href().ends_with(".js"));
        assert_eq!(static_hrefs(), [css.as_str(), site_js_href().as_str(), theme_js_href().as_str()]);
    }

    #[test]
    fn hash_is_the_first_sixteen_hex_digits_of_sha256() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223…
        assert_eq!(hashed_href("x", "abc", "css"), "/_site/x-ba7816bf8f01cfea.css");
    }

    #[test]
    fn stylesheet_covers_dark_mode_and_the_render_markup() {
        for needle in [
            "prefers-color-scheme: dark",
            ".callout",
            "data-callout=\"warning\"",
            ".wikilink-unresolved",
            "a.tag",
            "mark",
            ".hl-comment",
            ".math-error",
            ".markdown-embed",
            "max-width: 100%",
            ".canvas-live .canvas-node",
            ".canvas-color-6",
        ] {
            assert!(STYLE_CSS.contains(needle), "missing {needle}");
        }
        assert!(FAVICON_SVG.starts_with("<svg") && FAVICON_SVG.contains("viewBox"));
        assert!(SITE_JS.contains("format=json"));
        assert!(SITE_JS.contains(".canvas[data-canvas]"), "the canvas part");
        for script in [SITE_JS, THEME_JS] {
            assert!(!script.contains("eval(") && !script.contains("new Function"), "no eval");
        }
    }
}
