//! The allowlist sanitiser every rendered page goes through (§6.3: the reference had none).
//!
//! Starting from ammonia's defaults (no scripts, styles, event handlers or unknown tags), this
//! adds what Markdown rendering and Obsidian notes need and nothing else: media elements,
//! read-only task-list checkboxes, footnote markup, heading and block ids, callouts, embeds,
//! MathML (presentation elements only, no links) and a short list of our own classes, plus the
//! `hl-` classes of highlighted code. URLs may only be `http`, `https`, `mailto`, `tel` or
//! relative; `data:` is refused everywhere, images included.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use ammonia::Builder;

use super::code::CLASS_PREFIX;

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(builder);

/// Sanitises rendered HTML.
pub(super) fn clean(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Classes we emit ourselves or that comrak emits, per element. Any other class is dropped: a
/// note must not borrow the site's own styling classes to fake its interface. Besides these,
/// `span` keeps classes starting with [`CLASS_PREFIX`] and `code` keeps `language-*`.
const CLASSES: &[(&str, &[&str])] = &[
    (
        "a",
        &[
            "wikilink",
            "embed-note",
            "embed",
            "embed-pdf",
            "pdf-download",
            "image-link",
            "footnote-backref",
            "tag",
            "markdown-embed-link",
        ],
    ),
    (
        "span",
        &[
            "wikilink",
            "wikilink-unresolved",
            "tag",
            "callout-title-inner",
            "embed",
            "embed-pdf",
            "pdf-embed",
            "excalidraw-missing",
        ],
    ),
    ("object", &["pdf-frame"]),
    ("sup", &["footnote-ref"]),
    ("section", &["footnotes"]),
    ("ul", &["contains-task-list"]),
    ("ol", &["contains-task-list"]),
    ("li", &["task-list-item"]),
    ("input", &["task-list-item-checkbox"]),
    (
        "div",
        &[
            "callout",
            "callout-title",
            "callout-title-inner",
            "callout-content",
            "markdown-embed",
            "markdown-embed-cycle",
            "markdown-embed-title",
            "markdown-embed-content",
            "block-anchor",
            // The plugin turns Leaflet blocks into these placeholders (§5.3).
            "leaflet-map-placeholder",
        ],
    ),
    ("details", &["callout"]),
    ("summary", &["callout-title"]),
    ("pre", &["mermaid"]),
    ("code", &["math-error"]),
];

const CALLOUT_ATTRIBUTES: &[&str] = &["data-callout", "data-callout-kind", "data-callout-metadata"];

/// Attributes allowed on top of ammonia's defaults (which keep `img` `src/alt/width/height`,
/// `a` `href`, table alignment…), besides `class` on the elements of [`CLASSES`].
const ATTRIBUTES: &[(&str, &[&str])] = &[
    ("h1", &["id"]),
    ("h2", &["id"]),
    ("h3", &["id"]),
    ("h4", &["id"]),
    ("h5", &["id"]),
    ("h6", &["id"]),
    // Footnote anchors and their targets, block ids.
    ("a", &["id"]),
    ("li", &["id"]),
    ("p", &["id"]),
    ("div", &["id", "data-href"]),
    ("img", &["loading", "decoding", "srcset", "sizes"]),
    ("audio", &["controls", "src"]),
    ("video", &["controls", "src"]),
    ("source", &["src", "type"]),
    ("input", &["checked", "disabled"]),
    ("details", &["open"]),
    // PDF embeds: only a file of the site (see `filter_attribute`), always as a PDF.
    ("object", &["data"]),
];

/// MathML Core presentation elements and their harmless attributes. No `href` (MathML links),
/// no `annotation-xml` (an HTML integration point, the usual road to mutation XSS).
const MATHML: &[(&str, &[&str])] = &[
    ("math", &["display"]),
    ("semantics", &[]),
    ("annotation", &["encoding"]),
    ("mi", &[]),
    ("mn", &[]),
    (
        "mo",
        &[
            "form",
            "fence",
            "separator",
            "lspace",
            "rspace",
            "stretchy",
            "symmetric",
            "maxsize",
            "minsize",
            "largeop",
            "movablelimits",
            "accent",
        ],
    ),
    ("ms", &[]),
    ("mtext", &[]),
    ("mspace", &["width", "height", "depth"]),
    ("mrow", &[]),
    ("mfrac", &["linethickness"]),
    ("msqrt", &[]),
    ("mroot", &[]),
    ("mstyle", &[]),
    ("merror", &[]),
    ("mpadded", &["width", "height", "depth", "lspace", "voffset"]),
    ("mphantom", &[]),
    ("msub", &[]),
    ("msup", &[]),
    ("msubsup", &[]),
    ("munder", &["accentunder"]),
    ("mover", &["accent"]),
    ("munderover", &["accent", "accentunder"]),
    ("mmultiscripts", &[]),
    ("mprescripts", &[]),
    ("mtable", &["columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame"]),
    ("mtr", &["columnalign", "rowalign"]),
    ("mtd", &["columnalign", "rowalign", "columnspan", "rowspan"]),
    ("menclose", &["notation"]),
];

/// Attributes every MathML element may carry.
const MATHML_GLOBAL: &[&str] = &["mathvariant", "displaystyle", "scriptlevel", "dir"];

/// `data-*` attributes are listed one by one rather than allowed by prefix: some front-end
/// libraries (htmx, Alpine) act on `data-` attributes, which would turn a note into a script.
const GENERIC_ATTRIBUTES: &[&str] = &[
    "aria-label",
    "data-footnote-ref",
    "data-footnotes",
    "data-footnote-backref",
    "data-footnote-backref-idx",
    "data-leaflet-map-id",
];

fn builder() -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .add_tags(["section", "audio", "video", "source", "input", "object"])
        .add_tags(MATHML.iter().map(|&(tag, _)| tag))
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .add_generic_attributes(GENERIC_ATTRIBUTES)
        // Raw HTML may not turn an input into a text field, nor an object into anything but a
        // PDF. Only one attribute is forced per element: ammonia appends an element's forced
        // attributes in hash-map order, and with two of them the output would change from one
        // process to the next.
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("object", "type", "application/pdf")
        .attribute_filter(filter_attribute);
    for &(tag, attributes) in ATTRIBUTES {
        builder.add_tag_attributes(tag, attributes);
    }
    for tag in ["div", "details"] {
        builder.add_tag_attributes(tag, CALLOUT_ATTRIBUTES);
    }
    for &(tag, _) in CLASSES {
        builder.add_tag_attributes(tag, ["class"]);
    }
    for &(tag, attributes) in MATHML {
        builder.add_tag_attributes(tag, attributes).add_tag_attributes(tag, MATHML_GLOBAL);
    }
    builder
}

/// Value checks for the attributes whose name alone is not enough.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match (element, attribute) {
        (_, "class") => {
            let kept: Vec<&str> =
                value.split_ascii_whitespace().filter(|class| allowed_class(element, class)).collect();
            (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
        }
        ("img", "width" | "height") => {
            (!value.is_empty() && value.len() <= 5 && value.bytes().all(|b| b.is_ascii_digit())).then_some(value.into())
        }
        ("img", "loading") => matches!(value, "lazy" | "eager").then_some(value.into()),
        ("img", "decoding") => matches!(value, "async" | "sync" | "auto").then_some(value.into()),
        ("img", "srcset") => local_srcset(value).then_some(value.into()),
        ("img", "sizes") => (value.len() <= 200
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '(' | ')' | ':' | ',' | '.' | '-')))
        .then_some(value.into()),
        (_, "id") => {
            (!value.is_empty() && value.len() <= MAX_ID_BYTES && value.chars().all(is_id_char)).then_some(value.into())
        }
        (_, "data-href") | ("object", "data") => {
            (value.starts_with('/') && !value.starts_with("//")).then_some(value.into())
        }
        // MathML: lengths, keywords, alignments. Nothing there is a URL or a script.
        (element, _) if MATHML.iter().any(|&(tag, _)| tag == element) => (value.len() <= 100
            && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '+' | '%' | '/')))
        .then_some(value.into()),
        _ => Some(value.into()),
    }
}

/// Whether a `srcset` names only files of the site (`/…`, never `//host`) with width or density
/// descriptors: the renderer writes one for images with variants; ammonia checks `src`, not this.
fn local_srcset(value: &str) -> bool {
    value.len() <= 4096
        && value.split(',').all(|candidate| {
            let mut parts = candidate.split_ascii_whitespace();
            let url_ok = parts.next().is_some_and(|url| {
                url.starts_with('/') && !url.starts_with("//") && !url.contains(['\\', '"', '\'', '<', '>'])
            });
            let descriptor_ok = parts.next().is_none_or(|descriptor| {
                let (number, unit) = descriptor.split_at(descriptor.len().saturating_sub(1));
                matches!(unit, "w" | "x")
                    && !number.is_empty()
                    && number.len() <= 8
                    && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            });
            url_ok && descriptor_ok && parts.next().is_none()
        })
}

fn allowed_class(element: &str, class: &str) -> bool {
    let listed = CLASSES.iter().any(|&(tag, classes)| tag == element && classes.contains(&class));
    let prefixed = match element {
        "span" => class.strip_prefix(CLASS_PREFIX),
        "code" => class.strip_prefix("language-"),
        _ => None,
    };
    listed || prefixed.is_some_and(|name| !name.is_empty() && name.chars().all(is_name_char))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#' | '.')
}

/// The longest `id` kept: a heading id of 250 characters of any script (four bytes each at most).
const MAX_ID_BYTES: usize = 1024;

/// Heading ids ([`vps_core::slug::heading_id`]: letters, digits, marks and emoji of every
/// script, `-`), footnote ids and Obsidian block ids (`^abc`) fit this set: no space, no
/// control character, nothing ASCII but letters, digits and `-_^:.`.
fn is_id_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '^' | ':' | '.')
    } else {
        !c.is_whitespace() && !c.is_control()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::html;
    use super::*;

    /// The elements of sanitised HTML: name and attributes (name, value). Text never contains a
    /// raw `<` after sanitising, and ammonia always double-quotes values, which keeps this simple.
    fn elements(html: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut found = Vec::new();
        for tag in html.split('<').skip(1) {
            let tag = &tag[..tag.find('>').expect("closed tag")];
            if tag.starts_with('/') {
                continue;
            }
            let (name, mut rest) = tag.split_once(' ').unwrap_or((tag, ""));
            let mut attributes = Vec::new();
            while let Some(eq) = rest.find("=\"") {
                let attribute = rest[..eq].trim().to_owned();
                let value_end = rest[eq + 2..].find('"').expect("quoted value") + eq + 2;
                attributes.push((attribute, rest[eq + 2..value_end].to_owned()));
                rest = &rest[value_end + 1..];
            }
            found.push((name.trim_end_matches('/').to_owned(), attributes));
        }
        found
    }

    /// Each payload, rendered from Markdown, must come out without anything that runs: no
    /// active element, no event handler or styling attribute, no script-capable URL.
    #[test]
    fn xss_payloads_come_out_inert() {
        let payloads = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"java&#x09;script:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)><circle/></svg>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
            "<style>body{display:none}</style>",
            "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
            "<object data=\"https://evil.example/x\" type=\"text/html\"></object>",
            "<object data=\"//evil.example/x\" type=\"image/svg+xml\"></object>",
            "<object data=\"javascript:alert(1)\"></object>",
            "<form action=\"https://evil.example\"><input type=text name=q autofocus onfocus=alert(1)></form>",
            "<details open ontoggle=alert(1)><summary>s</summary></details>",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "<math><mtext><script>alert(1)</script></mtext></math>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<base href=\"https://evil.example/\"><meta http-equiv=refresh content=0>",
            "[[x\" onmouseover=\"alert(1)]]",
            "![[img.png|\" onerror=\"alert(1)]]",
            "![[gone.png|\" onerror=\"alert(1)]]",
            "<video src=x onerror=alert(1) autoplay></video>",
            "<a href=\"https://ok.example\" target=_blank onclick=alert(1)>x</a>",
        ];
        // `<object>` stays, as a PDF of the site only (checked below).
        let active = ["script", "iframe", "svg", "style", "embed", "form", "base", "meta", "link"];
        let unsafe_attributes = ["style", "autoplay", "autofocus", "target", "action", "formaction", "srcdoc"];
        for payload in payloads {
            let out = html(payload);
            for (name, attributes) in elements(&out) {
                assert!(!active.contains(&name.as_str()), "{payload:?} kept <{name}> in {out:?}");
                for (attribute, value) in attributes {
                    let context = format!("{payload:?} kept {attribute}={value:?} on <{name}> in {out:?}");
                    assert!(!attribute.starts_with("on"), "{context}");
                    assert!(!unsafe_attributes.contains(&attribute.as_str()), "{context}");
                    if attribute == "type" {
                        assert_eq!(value, if name == "object" { "application/pdf" } else { "checkbox" }, "{context}");
                    }
                    if name == "object" {
                        assert!(["type", "class"].contains(&attribute.as_str()), "{context}");
                    }
                    if matches!(attribute.as_str(), "href" | "src") {
                        let scheme = value.split(':').next().unwrap_or_default().to_ascii_lowercase();
                        let has_scheme = value.contains(':') && !scheme.contains(['/', '?', '#']);
                        assert!(
                            !has_scheme || ["http", "https", "mailto", "tel"].contains(&scheme.as_str()),
                            "{context}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_inspector_sees_attributes() {
        let found = elements(r#"<p><a href="/x" class="wikilink">y</a><br></p>"#);
        assert_eq!(found[1].0, "a");
        assert_eq!(found[1].1, [("href".to_owned(), "/x".to_owned()), ("class".to_owned(), "wikilink".to_owned())]);
        assert_eq!(found[2].0, "br");
    }

    #[test]
    fn injected_attributes_stay_inside_their_quotes() {
        let out = html("[[x\" onmouseover=\"alert(1)]]");
        assert_eq!(out, "<p><span class=\"wikilink wikilink-unresolved\">x\" onmouseover=\"alert(1)</span></p>\n");
    }

    #[test]
    fn foreign_classes_are_dropped_and_ours_are_kept() {
        let out = html(
            r#"<span class="tag admin-only">a</span> <div class="modal leaflet-map-placeholder" data-leaflet-map-id="m1"></div>"#,
        );
        assert!(out.contains(r#"<span class="tag">a</span>"#), "{out}");
        assert!(out.contains(r#"<div class="leaflet-map-placeholder" data-leaflet-map-id="m1"></div>"#), "{out}");
    }

    #[test]
    fn unlisted_data_attributes_are_dropped() {
        let out = html(r#"<span data-hx-get="/admin">x</span>"#);
        assert_eq!(out, "<p><span>x</span></p>\n");
    }

    #[test]
    fn attribute_values_are_checked() {
        assert_eq!(filter_attribute("img", "width", "300"), Some("300".into()));
        assert_eq!(filter_attribute("img", "width", "100%;x"), None);
        assert_eq!(filter_attribute("img", "loading", "soon"), None);
        let srcset = "/_img/h/480.webp 480w, /_blob/h 2000w";
        assert_eq!(filter_attribute("img", "srcset", srcset), Some(srcset.into()));
        for bad in
            ["//evil.example/x.png 1x", "javascript:alert(1) 1x", "/a.png 1x, https://e.example/b.png 2x", "/a.png 1y"]
        {
            assert_eq!(filter_attribute("img", "srcset", bad), None, "{bad}");
        }
        assert_eq!(
            filter_attribute("img", "sizes", "(max-width: 52rem) 100vw, 52rem"),
            Some("(max-width: 52rem) 100vw, 52rem".into())
        );
        assert_eq!(filter_attribute("img", "sizes", "calc(1px;x)"), None);
        assert_eq!(filter_attribute("img", "decoding", "async"), Some("async".into()));
        assert_eq!(filter_attribute("code", "class", "language-rust evil"), Some("language-rust".into()));
        assert_eq!(filter_attribute("code", "class", "evil"), None);
        assert_eq!(filter_attribute("span", "class", "hl-source hl-rust admin"), Some("hl-source hl-rust".into()));
        assert_eq!(filter_attribute("span", "class", "hl-"), None);
        assert_eq!(filter_attribute("div", "class", "hl-x callout"), Some("callout".into()));
        assert_eq!(filter_attribute("mo", "lspace", "0.1667em"), Some("0.1667em".into()));
        assert_eq!(filter_attribute("mo", "lspace", "url(x)"), None);
        assert_eq!(filter_attribute("h2", "id", "^block-1"), Some("^block-1".into()));
        assert_eq!(filter_attribute("h2", "id", "a b"), None);
        for id in ["見出し-2", "что-такое-obsidian", "مرحبا-بالعالم", "हिन्दी", "🎉-party"]
        {
            assert_eq!(filter_attribute("h2", "id", id), Some(id.into()), "{id}");
        }
        assert_eq!(filter_attribute("h2", "id", "a\u{3000}b"), None, "no ideographic space");
        assert_eq!(filter_attribute("h2", "id", "a\u{85}b"), None, "no control character");
    }

    #[test]
    fn inputs_are_always_checkboxes() {
        let out = html(r#"<input type="text" value="x"> <input checked>"#);
        assert_eq!(out, "<p><input type=\"checkbox\"> <input checked=\"\" type=\"checkbox\"></p>\n");
    }
}
