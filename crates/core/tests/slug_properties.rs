//! Properties of the slug rules over arbitrary text in every script: a slug is its own slug,
//! has no `-` at either end or twice in a row, and an href built from a route decodes back
//! to that route.

use proptest::prelude::*;
use vps_core::slug::{decode_route, nfc, route_segment, slug};
use vps_core::url::encode_path;

/// Text drawn from the scripts that vaults are written in, with punctuation, marks, emoji,
/// full-width forms and invisible characters among them.
fn names() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "Z",
        "é",
        "E\u{301}",
        "ß",
        "Ø",
        " ",
        "-",
        "_",
        ".",
        "'",
        "’",
        "!",
        "/",
        "#",
        "日本",
        "ノート",
        "が",
        "か\u{3099}",
        "ｶﾀ",
        "快速",
        "시작",
        "Йога",
        "Σσς",
        "ά",
        "مرحبا",
        "عَ",
        "שלום",
        "हिन्दी",
        "१२",
        "ไทย",
        "🎉",
        "❤\u{FE0F}",
        "\u{200D}",
        "\u{200B}",
        "ＡＢＣ",
        "１２",
        "ﬁ",
        "²",
        "½",
        "İ",
        "ǅ",
        "\u{0301}",
        "\u{0651}",
        "\u{3000}",
        "\t",
        "İı",
        "ẞ",
        "Ω",
        "Ω",
        "K",
    ]);
    prop_oneof![prop::collection::vec(pieces, 0..12).prop_map(|parts| parts.concat()), any::<String>(),]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_slug_is_its_own_slug(name in names()) {
        let once = slug(&name);
        prop_assert_eq!(slug(&once), once.clone(), "name {:?}", name);
        prop_assert!(!once.starts_with('-') && !once.ends_with('-') && !once.contains("--"), "{:?} → {:?}", name, once);
        prop_assert!(!once.contains('/'), "{:?} → {:?}", name, once);
        prop_assert_eq!(nfc(&once).into_owned(), once.clone(), "slugs are NFC");
    }

    #[test]
    fn an_href_decodes_back_to_its_route(a in names(), b in names()) {
        let route = format!("/{}/{}", route_segment(&a), route_segment(&b));
        prop_assert_eq!(decode_route(&encode_path(&route)), route.clone());
        prop_assert!(encode_path(&route).is_ascii());
    }

    #[test]
    fn nfd_and_nfc_names_give_one_slug(name in names()) {
        use unicode_normalization::UnicodeNormalization;
        let nfd: String = name.nfd().collect();
        prop_assert_eq!(slug(&nfd), slug(&name));
    }
}
