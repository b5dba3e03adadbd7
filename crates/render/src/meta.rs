//! What a note's frontmatter says about its page: [`PageMeta`].

use serde_json::{Map, Value};

/// The frontmatter properties the site uses, read leniently.
///
/// Keys are matched without regard to case, `-`, `_` or spaces, because the plugin camelCases
/// them (`Cover Image` → `coverImage`, §5.1): `cssclasses`, `cssClasses` and `css-classes` are
/// one key. Lists may also be written as one string, separated by commas or spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// `title`.
    pub title: Option<String>,
    /// `aliases` (or `alias`).
    pub aliases: Vec<String>,
    /// `tags` (or `tag`), without `#`.
    pub tags: Vec<String>,
    /// `description` (or `summary`).
    pub description: Option<String>,
    /// `date` (or `created`), as written.
    pub date: Option<String>,
    /// `updated` (or `modified`, `lastmod`), as written.
    pub updated: Option<String>,
    /// `cssclasses` (or `cssclass`).
    pub cssclasses: Vec<String>,
    /// `image`, else `cover` / `coverImage`, else `banner`: the social-card image, as written.
    pub image: Option<String>,
    /// `publish`; `Some(false)` keeps the note off the site.
    pub publish: Option<bool>,
    /// `noindex` (or `noIndex`): ask search engines not to index the page.
    pub noindex: bool,
}

impl PageMeta {
    /// Reads the properties from a note's frontmatter (the plugin's `frontmatter.flat`).
    ///
    /// ```
    /// use serde_json::json;
    /// use vps_render::PageMeta;
    ///
    /// let frontmatter = json!({
    ///     "title": "Home", "tags": "#a, b/c", "cssClasses": ["wide"],
    ///     "coverImage": "pics/cover.png", "publish": true, "noIndex": "true"
    /// });
    /// let meta = PageMeta::from_frontmatter(frontmatter.as_object().unwrap());
    /// assert_eq!(meta.title.as_deref(), Some("Home"));
    /// assert_eq!(meta.tags, ["a", "b/c"]);
    /// assert_eq!(meta.cssclasses, ["wide"]);
    /// assert_eq!(meta.image.as_deref(), Some("pics/cover.png"));
    /// assert_eq!(meta.publish, Some(true));
    /// assert!(meta.noindex);
    /// ```
    pub fn from_frontmatter(frontmatter: &Map<String, Value>) -> PageMeta {
        let get = |names: &[&str]| {
            names.iter().find_map(|name| frontmatter.iter().find(|(key, _)| fold_key(key) == *name).map(|(_, v)| v))
        };
        let text = |names: &[&str]| get(names).and_then(scalar);
        let list = |names: &[&str]| get(names).map(strings).unwrap_or_default();
        PageMeta {
            title: text(&["title"]),
            aliases: list(&["aliases", "alias"]),
            tags: list(&["tags", "tag"])
                .into_iter()
                .map(|tag| tag.trim_start_matches('#').to_owned())
                .filter(|tag| !tag.is_empty())
                .collect(),
            description: text(&["description", "summary"]),
            date: text(&["date", "created"]),
            updated: text(&["updated", "modified", "lastmod"]),
            cssclasses: list(&["cssclasses", "cssclass"]),
            image: text(&["image"]).or_else(|| text(&["cover", "coverimage", "banner"])),
            publish: get(&["publish"]).and_then(boolean),
            noindex: get(&["noindex"]).and_then(boolean).unwrap_or(false),
        }
    }
}

/// Frontmatter keys the site reads for itself (or the publishing tools do), never shown as a
/// page's properties, compared folded ([`fold_key`]): `publish`, `access`, `permalink`…
const INTERNAL_PROPERTIES: &[&str] = &[
    "publish",
    "access",
    "unlisted",
    "permalink",
    "cssclasses",
    "cssclass",
    "showproperties",
    "noindex",
    "title",
    "tags",
    "tag",
    "aliases",
    "alias",
    "position",
];

/// Most properties a page shows; past them, the rest are left out.
pub const MAX_SHOWN_PROPERTIES: usize = 32;
/// Most characters of a shown property's name or value; longer ones end with `…`.
pub const MAX_PROPERTY_CHARS: usize = 300;

/// The properties a note's page shows, as (name, value) text in the frontmatter's order, or
/// none: shown when `show_properties` (the server's `SHOW_PROPERTIES`) is on, unless the note
/// says `show_properties: false`, or when the note says `show_properties: true`. Internal keys
/// ([`INTERNAL_PROPERTIES`]) and empty values are left out; a list is its items joined with
/// `, `; an object is left out. At most [`MAX_SHOWN_PROPERTIES`], each name and value cut to
/// [`MAX_PROPERTY_CHARS`]. Plain text: the site escapes it.
///
/// ```
/// use serde_json::json;
/// use vps_render::shown_properties;
///
/// let frontmatter = json!({"publish": true, "author": "Ada", "topics": ["math", 3], "showProperties": true});
/// let shown = shown_properties(frontmatter.as_object().unwrap(), false);
/// assert_eq!(shown, [("author".to_owned(), "Ada".to_owned()), ("topics".to_owned(), "math, 3".to_owned())]);
/// ```
pub fn shown_properties(frontmatter: &Map<String, Value>, show_properties: bool) -> Vec<(String, String)> {
    let asked = frontmatter.iter().find(|(key, _)| fold_key(key) == "showproperties").and_then(|(_, v)| boolean(v));
    if !asked.unwrap_or(show_properties) {
        return Vec::new();
    }
    let cut = |text: &str| -> String {
        let text = text.trim();
        match text.char_indices().nth(MAX_PROPERTY_CHARS) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text.to_owned(),
        }
    };
    frontmatter
        .iter()
        .filter(|(key, _)| !INTERNAL_PROPERTIES.contains(&fold_key(key).as_str()))
        .filter_map(|(key, value)| {
            let value = match value {
                Value::Array(items) => items.iter().filter_map(scalar).collect::<Vec<_>>().join(", "),
                other => scalar(other)?,
            };
            (!value.is_empty() && !key.trim().is_empty()).then(|| (cut(key), cut(&value)))
        })
        .take(MAX_SHOWN_PROPERTIES)
        .collect()
}

/// A key without case, spaces, `-` and `_`.
fn fold_key(key: &str) -> String {
    key.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_lowercase).collect()
}

/// A string or number, trimmed; empty strings are absent.
fn scalar(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        // A one-element list where a single value was expected (`image: [x]`).
        Value::Array(items) => return items.first().and_then(scalar),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A list of strings, from a list or from one string separated by commas (or, failing that,
/// whitespace).
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(scalar).collect(),
        Value::String(s) if s.contains(',') => {
            s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
        }
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn shown(value: Value, show: bool) -> Vec<(String, String)> {
        shown_properties(value.as_object().expect("an object"), show)
    }

    #[test]
    fn properties_are_shown_when_the_server_or_the_note_asks_without_internal_keys() {
        let note = json!({
            "author": "Ada", "publish": true, "access": "team", "cssClasses": "wide", "permalink": "/x",
            "unlisted": false, "tags": ["a"], "rating": 4.5, "draft": false, "empty": "", "nested": {"a": 1},
            "Show Properties": null
        });
        let expected =
            [("author", "Ada"), ("draft", "false"), ("rating", "4.5")].map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(shown(note.clone(), true), expected);
        assert!(shown(note, false).is_empty(), "off unless asked");
        assert_eq!(shown(json!({"show_properties": true, "a": "b"}), false), [("a".to_owned(), "b".to_owned())]);
        assert!(shown(json!({"showProperties": "no", "a": "b"}), true).is_empty(), "a note may turn them off");
    }

    #[test]
    fn shown_properties_are_bounded_in_count_and_length() {
        let mut many = Map::new();
        for i in 0..100 {
            many.insert(format!("key{i:03}"), json!("v"));
        }
        assert_eq!(shown_properties(&many, true).len(), MAX_SHOWN_PROPERTIES);
        let long = shown(json!({"k": "x".repeat(10_000), "y".repeat(1000): "v"}), true);
        assert!(
            long.iter().all(
                |(k, v)| k.chars().count() <= MAX_PROPERTY_CHARS + 1 && v.chars().count() <= MAX_PROPERTY_CHARS + 1
            )
        );
        assert!(long.iter().any(|(_, v)| v.ends_with('…')), "{long:?}");
    }

    fn meta(value: Value) -> PageMeta {
        PageMeta::from_frontmatter(value.as_object().expect("an object"))
    }

    #[test]
    fn every_property_is_read_from_its_usual_spellings() {
        let page = meta(json!({
            "title": " Home ", "aliases": ["Start", "Index"], "tags": ["#a", "b/c"],
            "description": "About", "date": "2024-01-05", "updated": 20240106,
            "cssclasses": "wide, dark", "cover": "c.png", "publish": "false", "noindex": true
        }));
        assert_eq!(
            page,
            PageMeta {
                title: Some("Home".into()),
                aliases: vec!["Start".into(), "Index".into()],
                tags: vec!["a".into(), "b/c".into()],
                description: Some("About".into()),
                date: Some("2024-01-05".into()),
                updated: Some("20240106".into()),
                cssclasses: vec!["wide".into(), "dark".into()],
                image: Some("c.png".into()),
                publish: Some(false),
                noindex: true,
            }
        );
    }

    #[test]
    fn camel_cased_keys_and_space_separated_strings_are_accepted() {
        let page = meta(
            json!({"cssClasses": ["x"], "noIndex": "yes", "coverImage": "k.png", "tags": "one two #three", "alias": "Solo"}),
        );
        assert_eq!(page.cssclasses, ["x"]);
        assert!(page.noindex);
        assert_eq!(page.image.as_deref(), Some("k.png"));
        assert_eq!(page.tags, ["one", "two", "three"]);
        assert_eq!(page.aliases, ["Solo"]);
    }

    #[test]
    fn image_wins_over_cover_and_missing_values_stay_absent() {
        let page = meta(json!({"image": "i.png", "cover": "c.png", "title": "", "publish": null}));
        assert_eq!(page.image.as_deref(), Some("i.png"));
        assert_eq!(page.title, None);
        assert_eq!(page.publish, None);
        assert!(!page.noindex);
        assert_eq!(meta(json!({})), PageMeta::default());
    }
}
