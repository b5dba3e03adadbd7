//! The site's static assets: stylesheet, search script and favicon, with content-hashed URLs
//! so the server can serve them as immutable.

use std::sync::LazyLock;

use vps_core::ContentHash;

/// The site stylesheet, served at [`style_href`].
pub const STYLE_CSS: &str = include_str!("assets/style.css");

/// The optional search-as-you-type script, served at [`search_js_href`]. Pages work without it.
pub const SEARCH_JS: &str = include_str!("assets/search.js");

/// The favicon, served at `/favicon.svg` as `image/svg+xml`.
pub const FAVICON_SVG: &str = include_str!("assets/favicon.svg");

static STYLE_HREF: LazyLock<String> = LazyLock::new(|| hashed_href("style", STYLE_CSS, "css"));
static SEARCH_JS_HREF: LazyLock<String> = LazyLock::new(|| hashed_href("search", SEARCH_JS, "js"));

/// `/_site/style-<16 hex digits of the SHA-256 of STYLE_CSS>.css`: changes whenever the
/// stylesheet does, so it can be cached forever.
pub fn style_href() -> String {
    STYLE_HREF.clone()
}

/// `/_site/search-<16 hex digits of the SHA-256 of SEARCH_JS>.js`.
pub fn search_js_href() -> String {
    SEARCH_JS_HREF.clone()
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
        assert!(search_js_href().starts_with("/_site/search-") && search_js_href().ends_with(".js"));
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
        ] {
            assert!(STYLE_CSS.contains(needle), "missing {needle}");
        }
        assert!(FAVICON_SVG.starts_with("<svg") && FAVICON_SVG.contains("viewBox"));
        assert!(SEARCH_JS.contains("format=json") && !SEARCH_JS.contains("eval("));
    }
}
