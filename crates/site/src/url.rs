//! Where the site's links point. Every document the site stores is written with URLs relative
//! to its own route, so that it works under any path prefix (`BASE_URL=https://host/notes`) and
//! never names its own origin: [`relative_url`] is the one rule, and [`relativize_html`] applies
//! it to every URL attribute of a finished document (the layout's and the note's own,
//! root-relative links alike). Documents served at any URL (the 404 page) or read by other
//! programs (sitemap, feed, robots.txt) are made at serve time with the [`PublicBase`] instead.

use std::borrow::Cow;

use vps_core::url::encode_path;

/// The public address of the site, from `BASE_URL`: an origin (`https://example.com`), when
/// known, and a path prefix (`/notes`, or empty) under which every route is served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicBase {
    origin: Option<String>,
    prefix: String,
}

impl PublicBase {
    /// Splits a base URL (`https://example.com/notes/`) into its origin and path prefix; `None`
    /// or a blank text gives no origin and no prefix. A text without `scheme://` is taken as a
    /// path prefix alone. Query and fragment are dropped; the prefix is percent-encoded.
    ///
    /// ```
    /// let base = vps_site::PublicBase::parse(Some("https://example.com/notes/"));
    /// assert_eq!(base.prefix(), "/notes");
    /// assert_eq!(base.absolute("/blog/Été").as_deref(), Some("https://example.com/notes/blog/%C3%89t%C3%A9"));
    /// assert_eq!(base.local("/"), "/notes/");
    /// assert_eq!(vps_site::PublicBase::parse(None).local("/blog"), "/blog");
    /// ```
    pub fn parse(base_url: Option<&str>) -> PublicBase {
        let Some(text) = base_url.map(str::trim).filter(|t| !t.is_empty()) else { return PublicBase::default() };
        let text = text.split(['?', '#']).next().unwrap_or_default();
        let (origin, path) = match text.find("://") {
            Some(scheme_end) => {
                let after = scheme_end + 3;
                match text[after..].find('/') {
                    Some(slash) => (Some(&text[..after + slash]), &text[after + slash..]),
                    None => (Some(text), ""),
                }
            }
            None => (None, text),
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty() && *s != "." && *s != "..").collect();
        let prefix = if segments.is_empty() {
            String::new()
        } else {
            let decoded: Vec<String> = segments.iter().map(|s| vps_core::slug::decode_route(s)).collect();
            encode_path(&format!("/{}", decoded.join("/")))
        };
        let origin = origin.map(|o| o.to_owned()).filter(|o| o.len() > o.find("://").unwrap_or(0) + 3);
        PublicBase { origin, prefix }
    }

    /// The path prefix, percent-encoded, without a trailing `/` (`/notes`), or empty.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The origin (`https://example.com`), when the base URL gives one.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The absolute URL of a site path (plain Unicode: it is percent-encoded here), when the
    /// origin is known: origin + prefix + path; the root is `origin/prefix/`.
    pub fn absolute(&self, path: &str) -> Option<String> {
        self.origin.as_ref().map(|origin| format!("{origin}{}", self.local(path)))
    }

    /// The path a browser asks for to reach a site path (plain Unicode): prefix + the path
    /// percent-encoded (`/notes/blog`; the root is `/notes/`).
    pub fn local(&self, path: &str) -> String {
        self.local_encoded(&encode_path(path))
    }

    /// As [`PublicBase::local`], for a path already percent-encoded.
    pub(crate) fn local_encoded(&self, encoded: &str) -> String {
        format!("{}{encoded}", self.prefix)
    }
}

/// A root-relative URL of the site (`/blog/post`, `/_site/style.css`, `/tags/x?y#z`, already
/// percent-encoded) written relative to the document served at `from` (its public path:
/// `/` for the home page, `/blog/page/2` for a listing page, never with a trailing `/`).
/// Anything that is not a root-relative path (`//host`, `/\host`, `https:`, `#frag`, `x`) is
/// returned unchanged, and so is a path with a `.` or `..` segment.
///
/// ```
/// use vps_site::relative_url;
/// assert_eq!(relative_url("/blog/post", "/_site/style.css"), "../_site/style.css");
/// assert_eq!(relative_url("/blog/post", "/blog/other#x"), "other#x");
/// assert_eq!(relative_url("/blog/post", "/blog"), "../blog");
/// assert_eq!(relative_url("/blog/post", "/"), "../");
/// assert_eq!(relative_url("/", "/"), "./");
/// assert_eq!(relative_url("/", "/search?q=a"), "search?q=a");
/// assert_eq!(relative_url("/blog/page/2", "/blog/page/3"), "3");
/// assert_eq!(relative_url("/x", "//evil.example/"), "//evil.example/");
/// ```
pub fn relative_url(from: &str, target: &str) -> String {
    relative(from, target).unwrap_or_else(|| target.to_owned())
}

fn relative(from: &str, target: &str) -> Option<String> {
    if !target.starts_with('/') || target.starts_with("//") || target.starts_with("/\\") {
        return None;
    }
    let split = target.find(['?', '#']).unwrap_or(target.len());
    let (path, rest) = target.split_at(split);
    let to: Vec<&str> = path[1..].split('/').collect();
    if to.iter().any(|s| *s == "." || *s == ".." || s.contains('\\')) {
        return None;
    }
    let from = encode_path(from);
    // The folders of the document's URL: `/blog/post` → [blog]; `/` → [].
    let mut from_dir: Vec<&str> = from.trim_start_matches('/').split('/').collect();
    from_dir.pop();
    // `/` (the root) is the target with no segment: only `../` or `./` reach it.
    let to: Vec<&str> = if to == [""] { Vec::new() } else { to };
    let (to_dir, to_name) = match to.split_last() {
        Some((name, dir)) => (dir, Some(*name)),
        None => (&[][..], None),
    };
    let common = from_dir.iter().zip(to_dir).take_while(|(a, b)| a == b).count();
    let mut out = "../".repeat(from_dir.len() - common);
    for segment in &to_dir[common..] {
        out.push_str(segment);
        out.push('/');
    }
    if let Some(name) = to_name {
        out.push_str(name);
    }
    // `a:b` would read as a scheme, `/x` (an empty segment first) as root-relative, `` as the
    // document itself.
    let first = out.split('/').next().unwrap_or_default();
    if out.is_empty() || out.starts_with('/') || first.contains(':') {
        out.insert_str(0, "./");
    }
    out.push_str(rest);
    Some(out)
}

/// The attributes whose values are URLs (or, for `srcset`, lists of URLs) in what we write:
/// the layout's and the sanitised note content's.
const URL_ATTRIBUTES: &[&str] = &["href", "src", "srcset", "poster", "action", "data-href", "data", "data-graph"];

/// Elements whose content is text up to their end tag, never markup.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"];

/// `html` with every root-relative URL in a URL attribute written relative to `from` (see
/// [`relative_url`]). For the documents the site writes (its own markup around sanitised
/// content): quoted or unquoted values, any case, comments and raw-text elements skipped.
pub(crate) fn relativize_html(html: &str, from: &str) -> String {
    rewrite_url_attributes(html, &|url| relative(from, url))
}

/// `html` with every root-relative URL in a URL attribute under the base's path prefix (for
/// documents served at any URL, where relative URLs cannot work).
pub(crate) fn prefix_html(html: &str, base: &PublicBase) -> String {
    if base.prefix.is_empty() {
        return html.to_owned();
    }
    rewrite_url_attributes(html, &|url| {
        (url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\")).then(|| base.local_encoded(url))
    })
}

/// Rewrites the value of every attribute of [`URL_ATTRIBUTES`] with `map` (which returns `None`
/// to leave a URL alone). The scan follows the HTML tokenizer where it matters: tags open with
/// `<` and a letter, attribute values are quoted with `"` or `'` or end at whitespace or `>`,
/// comments run to `-->`, and the content of raw-text elements is not markup.
pub(crate) fn rewrite_url_attributes(html: &str, map: &dyn Fn(&str) -> Option<String>) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut copied = 0;
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset;
        i = start + 1;
        if html[start..].starts_with("<!--") {
            i = html[start + 4..].find("-->").map_or(html.len(), |end| start + 4 + end + 3);
            continue;
        }
        if html[start..].starts_with("<![CDATA[") {
            i = html[start..].find("]]>").map_or(html.len(), |end| start + end + 3);
            continue;
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        // The tag name.
        let name_end =
            html[i..].find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>').map_or(html.len(), |n| i + n);
        let name = html[i..name_end].to_ascii_lowercase();
        i = name_end;
        // Attributes, up to `>`.
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                i = (i + 1).min(bytes.len());
                break;
            }
            let attr_start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>' | b'/') {
                i += 1;
            }
            // A name may start with `=` or `/`-less junk; always advance.
            if i == attr_start {
                i += 1;
                continue;
            }
            let attr = html[attr_start..i].to_ascii_lowercase();
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if bytes.get(j) != Some(&b'=') {
                continue;
            }
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let (value_start, value_end, next) = match bytes.get(j) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let end = html[j + 1..].find(quote as char).map_or(html.len(), |n| j + 1 + n);
                    (j + 1, end, (end + 1).min(html.len()))
                }
                _ => {
                    let end =
                        html[j..].find(|c: char| c.is_ascii_whitespace() || c == '>').map_or(html.len(), |n| j + n);
                    (j, end, end)
                }
            };
            i = next;
            if !URL_ATTRIBUTES.contains(&attr.as_str()) {
                continue;
            }
            let value = &html[value_start..value_end];
            let rewritten = if attr == "srcset" { rewrite_srcset(value, map) } else { map_value(value, map) };
            if let Cow::Owned(new) = rewritten {
                out.push_str(&html[copied..value_start]);
                out.push_str(&new);
                copied = value_end;
            }
        }
        if RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            let lower = html[i.min(html.len())..].to_ascii_lowercase();
            i = lower.find(&close).map_or(html.len(), |n| i + n);
        }
    }
    out.push_str(&html[copied..]);
    out
}

fn map_value<'v>(value: &'v str, map: &dyn Fn(&str) -> Option<String>) -> Cow<'v, str> {
    // Leading whitespace is stripped by browsers when they parse a URL; keep the value exact
    // otherwise.
    let trimmed = value.trim_start();
    match map(trimmed) {
        Some(new) => Cow::Owned(new),
        None => Cow::Borrowed(value),
    }
}

/// `srcset`: comma-separated `url [descriptor]` candidates.
fn rewrite_srcset<'v>(value: &'v str, map: &dyn Fn(&str) -> Option<String>) -> Cow<'v, str> {
    let mut changed = false;
    let parts: Vec<String> = value
        .split(',')
        .map(|candidate| {
            let trimmed = candidate.trim_start();
            let lead = &candidate[..candidate.len() - trimmed.len()];
            let url_end = trimmed.find(|c: char| c.is_ascii_whitespace()).unwrap_or(trimmed.len());
            match map(&trimmed[..url_end]) {
                Some(new) => {
                    changed = true;
                    format!("{lead}{new}{}", &trimmed[url_end..])
                }
                None => candidate.to_owned(),
            }
        })
        .collect();
    if changed { Cow::Owned(parts.join(",")) } else { Cow::Borrowed(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a browser makes of `href` on the page at `from` (the path part), for checking.
    fn resolve(from: &str, href: &str) -> String {
        let base = url_for(from);
        base.join(href).unwrap().path().to_owned()
    }

    fn url_for(path: &str) -> ::url::Url {
        ::url::Url::parse(&format!("https://example.com/notes{path}")).unwrap()
    }

    #[test]
    fn relative_urls_resolve_to_the_target_under_any_prefix() {
        let froms = ["/", "/a", "/blog/post", "/blog/page/2", "/a/b/c/d", "/Mon%20Blog/x", "/tags/rust/page/3"];
        let targets = [
            "/",
            "/a",
            "/blog",
            "/blog/post",
            "/blog/page/3",
            "/_site/style-0123.css",
            "/_blob/abc",
            "/assets/img/a%20b.png",
            "/tags/rust",
            "/search",
            "/a/b/c/d/e",
            "/x%3Ay",
            "/a//b",
        ];
        for from in froms {
            for target in targets {
                let rel = relative_url(from, target);
                assert!(!rel.starts_with('/'), "{from} → {target}: {rel}");
                assert_eq!(resolve(from, &rel), format!("/notes{target}"), "{from} → {target}: {rel}");
            }
        }
    }

    #[test]
    fn relative_urls_keep_query_and_fragment_and_guard_schemes() {
        assert_eq!(relative_url("/a/b", "/a/c?x=1&amp;y#f"), "c?x=1&amp;y#f");
        assert_eq!(relative_url("/", "/#top"), "./#top");
        assert_eq!(relative_url("/a", "/a:b"), "./a:b", "never read as a scheme");
        assert_eq!(relative_url("/a", "/a"), "a");
        assert_eq!(relative_url("/a/b", "/a/b"), "b");
        for untouched in ["//evil.example/x", "/\\evil.example", "https://x.example/", "#f", "x/y", "", "/a/../b"] {
            assert_eq!(relative_url("/a/b", untouched), untouched);
        }
    }

    #[test]
    fn every_url_attribute_is_relativized_and_nothing_else() {
        let html = concat!(
            "<a href=\"/blog/x\">/blog/x</a>",
            "<img src='/_blob/abc' alt=\"/not/a/url\" srcset=\"/a.png 1x, /b.png 2x,https://c.example/c.png 3x\">",
            "<video poster=/p.png src=\"/v.mp4\"></video>",
            "<FORM ACTION = \"/search\">",
            "<div data-href=\"/notes/n#p\" data-callout-metadata=\"/keep\"></div>",
            "<object data=\"/_blob/pdf#page=2\" type=\"application/pdf\"></object>",
            "<a href=\"//evil.example/\">x</a><a href=\"/\\evil.example\">y</a><a href=\"https://o.example/\">z</a>",
            "<!-- <a href=\"/comment\"> --><p>text &lt;a href=\"/escaped\"&gt;</p>",
            "<a href=\"/\" title=\"/title\">home</a><a href>bare</a><a href=\"\">empty</a>",
            "<title><a href=\"/in-title\"></title>",
        );
        let out = relativize_html(html, "/blog/post");
        let expected = concat!(
            "<a href=\"x\">/blog/x</a>",
            "<img src='../_blob/abc' alt=\"/not/a/url\" srcset=\"../a.png 1x, ../b.png 2x,https://c.example/c.png 3x\">",
            "<video poster=../p.png src=\"../v.mp4\"></video>",
            "<FORM ACTION = \"../search\">",
            "<div data-href=\"../notes/n#p\" data-callout-metadata=\"/keep\"></div>",
            "<object data=\"../_blob/pdf#page=2\" type=\"application/pdf\"></object>",
            "<a href=\"//evil.example/\">x</a><a href=\"/\\evil.example\">y</a><a href=\"https://o.example/\">z</a>",
            "<!-- <a href=\"/comment\"> --><p>text &lt;a href=\"/escaped\"&gt;</p>",
            "<a href=\"../\" title=\"/title\">home</a><a href>bare</a><a href=\"\">empty</a>",
            "<title><a href=\"/in-title\"></title>",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn hostile_markup_never_makes_a_url_leave_the_site_or_panics() {
        let inputs = [
            "<a href=\"/x",
            "<a href=",
            "<a href='/x' href=\"//evil\">",
            "<",
            "<a",
            "<a href=/x>",
            "<!--",
            "<![CDATA[ <a href=\"/x\">",
            "<script><a href=\"/x\"></script><a href=\"/y\">",
            "<a =\"/x\" href=\"/y\">",
            "<a href=\"/é/ü\">",
            "<a\thref=\"/t\"\nsrc=\"/u\">",
            "<a href=\" /lead\">",
            "<a href=\"/\\\\x\">",
        ];
        for input in inputs {
            let out = relativize_html(input, "/a/b");
            assert!(!out.contains("href=\"//") || input.contains("\"//evil"), "{input} → {out}");
            assert!(!out.contains("=\"/y") && !out.contains("=/x>"), "{input} → {out}");
        }
        assert_eq!(relativize_html("<a href=/x>", "/a/b"), "<a href=../x>");
        assert_eq!(
            relativize_html("<script><a href=\"/x\"></script><a href=\"/y\">", "/"),
            "<script><a href=\"/x\"></script><a href=\"y\">"
        );
        assert_eq!(relativize_html("<a href=\" /lead\">", "/"), "<a href=\"lead\">");
    }

    #[test]
    fn prefixed_html_keeps_absolute_paths_under_the_prefix() {
        let base = PublicBase::parse(Some("https://example.com/notes"));
        let html = "<a href=\"/\">h</a><form action=\"/search\"></form><a href=\"//x.example\">x</a>";
        assert_eq!(
            prefix_html(html, &base),
            "<a href=\"/notes/\">h</a><form action=\"/notes/search\"></form><a href=\"//x.example\">x</a>"
        );
        assert_eq!(prefix_html(html, &PublicBase::default()), html);
    }

    #[test]
    fn base_urls_split_into_origin_and_prefix() {
        let rows = [
            (Some("https://example.com"), Some("https://example.com"), ""),
            (Some("https://example.com/"), Some("https://example.com"), ""),
            (Some("https://example.com/notes/"), Some("https://example.com"), "/notes"),
            (Some("http://h:8080/a/b?x#y"), Some("http://h:8080"), "/a/b"),
            (Some("https://example.com/Mes Notes"), Some("https://example.com"), "/Mes%20Notes"),
            (Some("https://example.com/../x"), Some("https://example.com"), "/x"),
            (Some("/notes"), None, "/notes"),
            (Some("  "), None, ""),
            (None, None, ""),
        ];
        for (input, origin, prefix) in rows {
            let base = PublicBase::parse(input);
            assert_eq!((base.origin(), base.prefix()), (origin, prefix), "{input:?}");
        }
        let base = PublicBase::parse(Some("https://example.com/notes"));
        assert_eq!(base.absolute("/").as_deref(), Some("https://example.com/notes/"));
        assert_eq!(base.absolute("/feed.xml").as_deref(), Some("https://example.com/notes/feed.xml"));
        assert_eq!(PublicBase::parse(Some("/n")).absolute("/"), None);
    }
}
