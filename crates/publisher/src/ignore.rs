//! Ignore rules on frontmatter properties, evaluated as the plugin's `EvaluateIgnoreRulesHandler`.

use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use crate::config::IgnoreRule;
use crate::frontmatter::camel_case;

/// Why the first matching rule ignores a note with this `nested` frontmatter, if one does.
///
/// The property is looked up in `nested`, part by part, comparing camelCased names. `ignore_if`
/// matches a boolean equal to it (the text `"false"` is not a boolean). `ignore_values` matches
/// a value, or any item of a list, equal to one of them: text ignoring case, accents and
/// surrounding spaces, numbers and booleans exactly.
pub(crate) fn ignored_by(rules: &[IgnoreRule], nested: &Map<String, Value>) -> Option<String> {
    for rule in rules {
        let Some(value) = lookup(nested, &rule.property) else { continue };
        if let (Some(wanted), Value::Bool(actual)) = (rule.ignore_if, value)
            && wanted == *actual
        {
            return Some(format!("`{}` is {actual}", rule.property));
        }
        let candidates: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        for target in &rule.ignore_values {
            if candidates.iter().any(|candidate| same(candidate, target)) {
                return Some(format!("`{}` has the ignored value {target}", rule.property));
            }
        }
    }
    None
}

fn lookup<'a>(nested: &'a Map<String, Value>, property: &str) -> Option<&'a Value> {
    let mut current = nested;
    let segments: Vec<String> = property.split('.').map(camel_case).collect();
    let (last, parents) = segments.split_last()?;
    for segment in parents {
        current = find(current, segment)?.as_object()?;
    }
    find(current, last)
}

fn find<'a>(map: &'a Map<String, Value>, segment: &str) -> Option<&'a Value> {
    map.get(segment).or_else(|| map.iter().find(|(key, _)| camel_case(key) == segment).map(|(_, value)| value))
}

fn same(value: &Value, target: &Value) -> bool {
    match (value, target) {
        (Value::String(a), Value::String(b)) => fold(a) == fold(b),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Bool(a), Value::Bool(b)) => a == b,
        _ => false,
    }
}

fn fold(text: &str) -> String {
    text.nfd().filter(|c| !('\u{300}'..='\u{36f}').contains(c)).collect::<String>().to_lowercase().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(property: &str, ignore_if: Option<bool>, values: Value) -> IgnoreRule {
        IgnoreRule {
            property: property.to_owned(),
            ignore_if,
            ignore_values: values.as_array().cloned().unwrap_or_default(),
        }
    }

    fn nested(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn ignore_if_matches_booleans_only() {
        let rules = [rule("publish", Some(false), json!([]))];
        assert!(ignored_by(&rules, &nested(json!({"publish": false}))).is_some());
        assert!(ignored_by(&rules, &nested(json!({"publish": true}))).is_none());
        assert!(ignored_by(&rules, &nested(json!({"publish": "false"}))).is_none());
        assert!(ignored_by(&rules, &nested(json!({}))).is_none());
    }

    #[test]
    fn ignore_values_match_text_loosely_and_lists_by_item() {
        let rules = [rule("status", None, json!(["Brouillon", 3, true]))];
        assert!(ignored_by(&rules, &nested(json!({"status": "  brouillon "}))).is_some());
        assert!(ignored_by(&rules, &nested(json!({"status": "BRÖUILLON"}))).is_some());
        assert!(ignored_by(&rules, &nested(json!({"status": ["done", "brouillon"]}))).is_some());
        assert!(ignored_by(&rules, &nested(json!({"status": 3.0}))).is_some());
        assert!(ignored_by(&rules, &nested(json!({"status": "3"}))).is_none());
        assert!(ignored_by(&rules, &nested(json!({"status": "final"}))).is_none());
    }

    #[test]
    fn dotted_properties_reach_nested_values_by_camel_case_name() {
        let rules = [rule("meta.Publish State", Some(false), json!([]))];
        assert!(ignored_by(&rules, &nested(json!({"meta": {"publishState": false}}))).is_some());
        assert!(ignored_by(&rules, &nested(json!({"meta": false}))).is_none());
    }
}
