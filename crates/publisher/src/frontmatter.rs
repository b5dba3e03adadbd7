//! A note's YAML frontmatter: cut from the text, parsed with a real YAML parser and shaped as the
//! plugin sends it (`{flat, nested, tags}`, protocol §5.1).
//!
//! Only a `---` block that opens the file is frontmatter, as in Obsidian. (The plugin strips the
//! first `---` pair found anywhere, which eats text between two horizontal rules of a note with
//! no frontmatter; that is not repeated here.)

use serde_json::{Map, Number, Value};
use vps_core::note::Frontmatter;
use yaml_rust2::{Yaml, YamlLoader};

/// Nested keys deeper than this stay flat, as in the plugin.
const MAX_NESTING: usize = 10;

/// The frontmatter block (without its `---` lines) and the text after it. A block opens on the
/// first line (`---`, trailing spaces allowed) and closes at the next line that is `---`; the
/// line break after the closing line goes with it. Without both, there is no frontmatter.
pub(crate) fn split(text: &str) -> (Option<&str>, &str) {
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else { return (None, text) };
    if first.trim_end() != "---" || !first.ends_with('\n') {
        return (None, text);
    }
    let mut offset = first.len();
    for line in lines {
        if line.trim_end() == "---" {
            return (Some(&text[first.len()..offset]), &text[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

/// Parses a frontmatter block. An empty block is an empty frontmatter; YAML that does not parse,
/// or is not a mapping, is an error (the caller publishes the note without frontmatter).
pub(crate) fn parse(yaml: &str) -> Result<Frontmatter, String> {
    let docs = YamlLoader::load_from_str(yaml).map_err(|err| err.to_string())?;
    let map = match docs.into_iter().next() {
        None | Some(Yaml::Null | Yaml::BadValue) => return Ok(Frontmatter::default()),
        Some(Yaml::Hash(hash)) => hash,
        Some(_) => return Err("the frontmatter is not a list of `key: value` properties".to_owned()),
    };
    let entries: Vec<(String, Value)> = map.into_iter().map(|(key, value)| (key_text(&key), to_json(value))).collect();
    Ok(normalize(entries))
}

/// `{flat, nested, tags}` from the properties in file order, as the plugin's
/// `NormalizeFrontmatterService`: `flat` has camelCased keys; `nested` splits keys on `.` and
/// camelCases each part; `tags` is the `tags` property (a string becomes a one-item list, a
/// list is kept when all its items are strings).
pub(crate) fn normalize(entries: Vec<(String, Value)>) -> Frontmatter {
    let mut flat = Map::new();
    let mut nested = Map::new();
    let mut tags = Vec::new();
    for (key, value) in entries {
        if key == "tags" {
            tags = match &value {
                Value::String(tag) => vec![tag.clone()],
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
                }
                _ => Vec::new(),
            };
        }
        set_nested(&mut nested, &key, value.clone());
        flat.insert(camel_case(&key), value);
    }
    Frontmatter { flat, nested, tags }
}

fn set_nested(target: &mut Map<String, Value>, path: &str, value: Value) {
    let segments: Vec<String> = path.split('.').map(camel_case).collect();
    if segments.len() > MAX_NESTING {
        target.insert(path.to_owned(), value);
        return;
    }
    let (last, parents) = segments.split_last().expect("split yields at least one part");
    let mut current = target;
    for segment in parents {
        let entry = current.entry(segment.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        current = entry.as_object_mut().expect("made an object just above");
    }
    current.insert(last.clone(), value);
}

/// The plugin's `normalizePropertyKey`: a key with no space, `-` or `_` is kept as it is
/// (`publishedAt`); otherwise its words are lower-cased and joined in camelCase
/// (`Cover Image` → `coverImage`, `cover_image` → `coverImage`).
pub(crate) fn camel_case(key: &str) -> String {
    let key = key.trim();
    if !key.contains([' ', '-', '_']) {
        return key.to_owned();
    }
    let mut out = String::with_capacity(key.len());
    for word in key.split([' ', '-', '_']).filter(|word| !word.is_empty()) {
        let lower = word.to_lowercase();
        if out.is_empty() {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            out.extend(chars.next().map(|c| c.to_uppercase().collect::<String>()));
            out.extend(chars);
        }
    }
    out
}

fn key_text(key: &Yaml) -> String {
    match key {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null => "null".to_owned(),
        other => format!("{other:?}"),
    }
}

/// YAML to JSON as JavaScript would hold it: integral floats become integers, NaN and infinities
/// become `null` (what `JSON.stringify` writes), and dates stay the text they were written as.
fn to_json(value: Yaml) -> Value {
    match value {
        Yaml::String(s) => Value::String(s),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(text) => match value_f64(&text) {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => Value::from(f as i64),
            Some(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            None => Value::Null,
        },
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Yaml::Hash(hash) => Value::Object(hash.into_iter().map(|(k, v)| (key_text(&k), to_json(v))).collect()),
        Yaml::Null | Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

fn value_f64(text: &str) -> Option<f64> {
    Yaml::Real(text.to_owned()).as_f64().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_a_block_at_the_very_start_is_frontmatter() {
        assert_eq!(split("---\na: 1\n---\nbody\n"), (Some("a: 1\n"), "body\n"));
        assert_eq!(split("---\r\na: 1\r\n---\r\nbody"), (Some("a: 1\r\n"), "body"));
        assert_eq!(split("---\n---\nbody"), (Some(""), "body"));
        assert_eq!(split("---  \na: 1\n---"), (Some("a: 1\n"), ""));
        // The plugin's bug: text between two rules of a note without frontmatter is kept.
        let ruled = "Intro\n\n---\nmiddle\n---\nend\n";
        assert_eq!(split(ruled), (None, ruled));
        assert_eq!(split("---\nnever closed\n"), (None, "---\nnever closed\n"));
        assert_eq!(split("----\na: 1\n----\n").0, None);
    }

    #[test]
    fn keys_are_camel_cased_and_dotted_keys_nested() {
        let fm = parse(
            "Cover Image: pic.png\npublishedAt: 2024-01-05\nsite.nav-title: Home\nmy_key: [1, 2.0, 2.5]\ntags: [a, b]\n",
        )
        .unwrap();
        assert_eq!(fm.flat["coverImage"], json!("pic.png"));
        assert_eq!(fm.flat["publishedAt"], json!("2024-01-05"));
        assert_eq!(fm.flat["site.navTitle"], json!("Home"));
        assert_eq!(fm.flat["myKey"], json!([1, 2, 2.5]));
        assert_eq!(fm.nested["site"], json!({"navTitle": "Home"}));
        assert_eq!(fm.nested["coverImage"], json!("pic.png"));
        assert_eq!(fm.tags, ["a", "b"]);
    }

    #[test]
    fn yaml_features_are_understood() {
        let fm = parse(
            "aliases:\n  - Start\n  - \"Home: page\"\nnested:\n  deep:\n    x: true\nnothing:\nquoted: 'yes'\nbare: yes\nblock: |\n  line one\n  line two\nbase: &b {k: 1}\ncopy: *b\n",
        )
        .unwrap();
        assert_eq!(fm.flat["aliases"], json!(["Start", "Home: page"]));
        assert_eq!(fm.flat["nested"], json!({"deep": {"x": true}}));
        assert_eq!(fm.flat["nothing"], Value::Null);
        assert_eq!(fm.flat["quoted"], json!("yes"));
        assert_eq!(fm.flat["bare"], json!("yes"), "YAML 1.2, as Obsidian: `yes` is text");
        assert_eq!(fm.flat["block"], json!("line one\nline two\n"));
        assert_eq!(fm.flat["copy"], json!({"k": 1}));
    }

    #[test]
    fn tags_take_the_plugins_shapes() {
        assert_eq!(parse("tags: solo").unwrap().tags, ["solo"]);
        assert!(parse("tags: [a, 1]").unwrap().tags.is_empty());
        assert!(parse("title: x").unwrap().tags.is_empty());
    }

    #[test]
    fn bad_yaml_and_non_mappings_are_errors_and_empty_is_empty() {
        assert!(parse("a: [unclosed").is_err());
        assert!(parse("- just\n- a list\n").is_err());
        assert_eq!(parse("").unwrap(), Frontmatter::default());
        assert_eq!(parse("# only a comment\n").unwrap(), Frontmatter::default());
    }

    #[test]
    fn camel_case_matches_the_plugin() {
        for (key, expected) in [
            ("Cover Image", "coverImage"),
            ("cover_image", "coverImage"),
            ("cover-image", "coverImage"),
            ("publishedAt", "publishedAt"),
            ("Title", "Title"),
            ("SEO Title", "seoTitle"),
            ("  spaced  key ", "spacedKey"),
        ] {
            assert_eq!(camel_case(key), expected, "{key:?}");
        }
    }
}
