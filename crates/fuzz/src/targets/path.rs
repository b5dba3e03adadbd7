//! Target `path`: the asset path parser, note routes, wikilink splitting and the slugs.
//!
//! Properties: nothing panics; a parsed [`AssetPath`] is the text it was parsed from, relative,
//! without `.`/`..`/empty segments, backslash or control character, and
//! parses again to itself (also through serde); a refused one has a `path-…` code. A route starts
//! with exactly one `/` and never holds `//`; from a plain route base, every segment is a
//! non-empty slug (its own `vps_core::slug::slug`), so no `..` can come from a note's path, and
//! the route's href decodes back to it. The `vps_core::slug` functions: slugs are idempotent,
//! never hold `--`, `/` or a `-` at either end; route segments and heading ids are never empty;
//! tag keys are idempotent and their hrefs decode to `/tags/<key>` without a `.` or `..` segment
//! (which a browser would resolve away); NFC is idempotent.

use proptest::prelude::*;
use proptest::sample::select;
use vps_core::slug::{decode_route, heading_id, nfc, route_segment, slug, tag_href, tag_key};
use vps_core::url::encode_path;
use vps_core::{AssetPath, SessionId};
use vps_render::{compute_route, split_wikilink};

use super::{ensure, lines};
use crate::engine::Target;
use crate::inputs::{repeated, text_of};

const FRAGMENTS: &[&str] = &[
    "..",
    ".",
    "/",
    "//",
    "\\",
    "a",
    "Notes",
    "b.png",
    "x.md",
    "é",
    "e\u{301}",
    "日本語",
    "%2e%2e",
    "%2F",
    "C:",
    "c:/",
    "\0",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{202e}",
    "\u{200b}",
    "\u{feff}",
    " ",
    "\t",
    ".md",
    ".png",
    "#",
    "|",
    "^block",
    "__additional__/",
    "~",
    "$",
    "\r\n",
    "*",
    "?",
    "..\\",
    "/..",
    "../",
    "./",
    "-",
    "_",
    "'",
];

/// Route bases that name plain folders: every segment of their routes must be a slug.
const PLAIN_BASES: &[&str] = &["/", "", "/blog", "docs/", " /guide/ ", "/a/b"];

#[derive(Debug, Clone)]
pub(crate) struct PathInput {
    text: String,
    base: String,
    plain_base: bool,
    flatten: bool,
}

pub(crate) struct PathTarget;

impl Target for PathTarget {
    type Input = PathInput;

    fn name(&self) -> &'static str {
        "path"
    }

    fn strategy(&self) -> BoxedStrategy<PathInput> {
        let text = prop_oneof![
            8 => text_of(FRAGMENTS, 24),
            1 => repeated(&["a/", "../", "x/", "é/"], 20_000),
            1 => repeated(&["n", "é"], 2_000),
        ];
        let base = prop_oneof![
            3 => select(PLAIN_BASES).prop_map(|b| (b.to_owned(), true)),
            1 => text_of(FRAGMENTS, 6).prop_map(|b| (b, false)),
        ];
        (text, base, any::<bool>())
            .prop_map(|(text, (base, plain_base), flatten)| PathInput { text, base, plain_base, flatten })
            .boxed()
    }

    /// One path per line, checked with every plain base, flattened or not.
    fn seed_inputs(&self, bytes: &[u8]) -> Vec<PathInput> {
        lines(bytes)
            .into_iter()
            .flat_map(|text| {
                PLAIN_BASES.iter().flat_map(move |base| {
                    let text = text.clone();
                    [false, true].map(move |flatten| PathInput {
                        text: text.clone(),
                        base: (*base).to_owned(),
                        plain_base: true,
                        flatten,
                    })
                })
            })
            .collect()
    }

    fn check(&self, input: &PathInput) -> Result<(), String> {
        check_asset_path(&input.text)?;
        check_route(input)?;
        check_wikilink(&input.text)?;
        check_slugs(&input.text)?;
        if let Ok(id) = SessionId::parse(&input.text) {
            ensure(SessionId::parse(&id.to_string()) == Ok(id), || format!("session id {id} does not round-trip"))?;
        }
        Ok(())
    }
}

fn check_asset_path(text: &str) -> Result<(), String> {
    let path = match AssetPath::parse(text) {
        Ok(path) => path,
        Err(e) => return ensure(e.code().as_str().starts_with("path-"), || format!("{text:?}: code {:?}", e.code())),
    };
    let s = path.as_str();
    ensure(s == text, || format!("{text:?} parsed as {s:?}"))?;
    ensure(!s.starts_with('/') && !s.contains('\\'), || format!("{s:?} is absolute or has a backslash"))?;
    ensure(!s.chars().any(char::is_control), || format!("{s:?} has a control character"))?;
    for segment in s.split('/') {
        ensure(!matches!(segment, "" | "." | ".."), || format!("{s:?} has the segment {segment:?}"))?;
    }
    ensure(AssetPath::parse(s).as_ref() == Ok(&path), || format!("{s:?} does not parse to itself"))?;
    let json = serde_json::to_string(&path).map_err(|e| e.to_string())?;
    let back: AssetPath = serde_json::from_str(&json).map_err(|e| format!("{s:?} through serde: {e}"))?;
    ensure(back == path, || format!("{s:?} through serde became {back:?}"))?;
    let name = path.file_name();
    ensure(!name.is_empty() && !name.contains('/'), || format!("{s:?} has the file name {name:?}"))?;
    let _ = path.extension();
    Ok(())
}

fn check_route(input: &PathInput) -> Result<(), String> {
    let route = compute_route(&input.base, &input.text, input.flatten);
    let context = || format!("compute_route({:?}, {:?}, {}) = {route:?}", input.base, input.text, input.flatten);
    ensure(route.starts_with('/'), || format!("{}: not absolute", context()))?;
    ensure(!route.contains("//"), || format!("{}: holds //", context()))?;
    if input.plain_base {
        for segment in route.split('/').skip(1) {
            let ok = !segment.is_empty() && slug(segment) == segment;
            ensure(ok, || format!("{}: the segment {segment:?} is not a slug", context()))?;
        }
        let back = decode_route(&encode_path(&route));
        ensure(back == route, || format!("{}: its href decodes to {back:?}", context()))?;
    }
    Ok(())
}

fn check_wikilink(text: &str) -> Result<(), String> {
    let link = split_wikilink(text);
    let context = || format!("split_wikilink({text:?}) = {link:?}");
    ensure(!link.target.contains('|') && !link.target.contains('#'), || format!("{}: target keeps | or #", context()))?;
    ensure(link.target == link.target.trim(), || format!("{}: target not trimmed", context()))?;
    for part in [&link.subpath, &link.alias].into_iter().flatten() {
        ensure(!part.is_empty() && part == part.trim(), || format!("{}: an empty or untrimmed part", context()))?;
    }
    let _ = link.label();
    if let Some(subpath) = &link.subpath {
        let _ = heading_id(subpath);
    }
    Ok(())
}

fn check_slugs(text: &str) -> Result<(), String> {
    let words = |slug: &str| !slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--");
    let once = slug(text);
    let ok = words(&once) && !once.contains('/') && !once.chars().any(|c| c.is_whitespace() || c.is_control());
    ensure(ok, || format!("slug({text:?}) = {once:?}"))?;
    let twice = slug(&once);
    ensure(twice == once, || format!("slug is not idempotent on {text:?}: {once:?} then {twice:?}"))?;
    let segment = route_segment(text);
    ensure(!segment.is_empty() && words(&segment) && slug(&segment) == segment, || {
        format!("route_segment({text:?}) = {segment:?}")
    })?;
    let route = format!("/{segment}");
    let back = decode_route(&encode_path(&route));
    ensure(back == route, || format!("decode_route(encode_path({route:?})) = {back:?}"))?;
    let id = heading_id(text);
    ensure(!id.is_empty() && heading_id(&id) == id, || format!("heading_id({text:?}) = {id:?}"))?;
    let key = tag_key(text);
    ensure(tag_key(&key) == key, || format!("tag_key is not idempotent on {text:?}: {key:?}"))?;
    let href = tag_href(text);
    let expected = if key.is_empty() { "/tags".to_owned() } else { format!("/tags/{key}") };
    ensure(decode_route(&href) == expected, || format!("tag_href({text:?}) = {href:?}, not {expected:?}"))?;
    ensure(href.is_ascii(), || format!("tag_href({text:?}) = {href:?} is not percent-encoded"))?;
    // A browser resolves `.` and `..` segments away before it asks: such a page is unreachable.
    let dots = href.split('/').any(|segment| matches!(segment, "." | ".."));
    ensure(!dots, || format!("tag_href({text:?}) = {href:?} has a dot segment"))?;
    let composed = nfc(text);
    ensure(nfc(&composed) == composed, || format!("nfc is not idempotent on {text:?}"))
}
