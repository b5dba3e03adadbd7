//! The callout stylesheet sanitiser against what writers' snippets hold and what an attacker
//! would send.

use super::*;

fn clean(css: &str) -> String {
    sanitize_callout_css(&[("snippets/c.css", css)], 1 << 20).unwrap()
}

/// Whatever the input, the output holds none of these (case-insensitively).
const NEVER: &[&str] =
    &["@import", "url(", "expression(", "javascript:", "</style", "<", "\\", "/*", "image(", "@font"];

fn assert_inert(input: &str) -> String {
    let out = clean(input);
    let lower = out.to_ascii_lowercase();
    for bad in NEVER {
        assert!(!lower.contains(bad), "{input:?} gave {bad:?} in {out:?}");
    }
    out
}

/// The image rule a kept `--callout-icon: lucide-chef-hat` adds.
fn chef_hat() -> String {
    format!("  --callout-icon-image: {};\n", callout_icon_url("lucide-chef-hat").unwrap())
}

#[test]
fn an_obsidian_snippet_keeps_its_colour_and_icon() {
    let css = r#"
/* Recipe callouts */
.callout[data-callout="recipe"] {
    --callout-color: 200, 120, 40;
    --callout-icon: lucide-chef-hat;
}
.callout[data-callout='todo-list'] .callout-title { color: rgb(var(--callout-color)) !important; }
.theme-dark .callout[data-callout=recipe] > .callout-content { background-color: rgba(0, 0, 0, 0.2); }
"#;
    assert_eq!(
        clean(css),
        [
            ".callout[data-callout=\"recipe\"] {\n  --callout-color: 200, 120, 40;\n  --callout-icon: lucide-chef-hat;\n",
            &chef_hat(),
            "}\n",
            ".callout[data-callout='todo-list'] .callout-title {\n  color: rgb(var(--callout-color)) !important;\n}\n",
            ".theme-dark .callout[data-callout=recipe] > .callout-content {\n  background-color: rgba(0, 0, 0, 0.2);\n}\n",
        ]
        .concat()
    );
}

#[test]
fn icons_come_from_the_vendored_set_only() {
    let icon = callout_icon_url("lucide-flame").unwrap();
    assert_eq!(callout_icon_url("flame"), Some(icon.clone()));
    assert!(icon.starts_with("url(\"data:image/svg+xml,%3Csvg%20xmlns="), "{icon}");
    assert!(icon.ends_with("%3C/svg%3E\")"), "{icon}");
    assert!(!icon[5..icon.len() - 2].contains(['"', '<', '>', '#', '\'', '(', ')', '\\', ' ']), "{icon}");
    assert_eq!(callout_icon_url("not-an-icon"), None);
    assert_eq!(callout_icon_url("../flame"), None);
    // An unknown icon is kept as written (harmless) but draws nothing of its own.
    assert_eq!(
        clean(".callout[data-callout=x] { --callout-icon: lucide-not-an-icon; }"),
        ".callout[data-callout=x] {\n  --callout-icon: lucide-not-an-icon;\n}\n"
    );
    // The image property is ours: a writer cannot set it (to a URL or anything else).
    assert_eq!(clean(".callout[data-callout=x] { --callout-icon-image: var(--x); }"), "");
}

/// The site's stylesheet gives each built-in callout kind its Obsidian icon from the same set.
#[test]
fn the_site_stylesheet_draws_each_kind_with_its_vendored_icon() {
    let style = include_str!("../../../site/src/assets/style.css");
    let kinds = [
        ("note", "pencil"),
        ("abstract", "clipboard-list"),
        ("info", "info"),
        ("todo", "circle-check"),
        ("tip", "flame"),
        ("success", "check"),
        ("question", "circle-help"),
        ("warning", "triangle-alert"),
        ("failure", "x"),
        ("danger", "zap"),
        ("bug", "bug"),
        ("example", "list"),
        ("quote", "quote"),
    ];
    let mut missing = Vec::new();
    for (kind, icon) in kinds {
        let rule = format!(
            ".callout[data-callout-kind=\"{kind}\"] {{ --callout-icon-image: {}; }}",
            callout_icon_url(icon).unwrap()
        );
        if !style.contains(&rule) {
            missing.push(rule);
        }
    }
    assert!(missing.is_empty(), "style.css lacks:\n{}", missing.join("\n"));
}

#[test]
fn imports_and_other_at_rules_are_dropped_media_blocks_kept() {
    let css = "@import url(https://evil.example/x.css);\n@import 'x.css';\n@charset \"utf-8\";\n\
        @font-face { font-family: x; src: url(https://evil.example/f.woff); }\n\
        @namespace svg url(http://www.w3.org/2000/svg);\n\
        @media (prefers-color-scheme: dark) { .callout[data-callout=x] { --callout-color: 1, 2, 3; } body { color: red } }\n\
        @supports (color: red) { .callout { color: red } }\n\
        .callout[data-callout=y] { color: blue }";
    assert_eq!(
        assert_inert(css),
        "@media (prefers-color-scheme: dark) {\n  .callout[data-callout=x] {\n    --callout-color: 1, 2, 3;\n  }\n}\n\
         .callout[data-callout=y] {\n  color: blue;\n}\n"
    );
}

#[test]
fn urls_expressions_and_scripts_in_values_are_dropped() {
    for value in [
        "url(https://evil)",
        "URL(https://evil)",
        "url( 'https://evil' )",
        "image-set(\"https://evil/x.png\" 1x)",
        "expression(alert(1))",
        "javascript:alert(1)",
        "var(--x, url(https://evil))",
        "rgb(1,2,3) url(x)",
        "-webkit-image-set(x)",
        "element(#x)",
        "\"a string\"",
        "'</style><script>alert(1)</script>'",
        "red; background: url(https://evil)",
        "calc(1px * 2)",
        "rgb(1, 2, 3",
        "rgb 1, 2, 3)",
    ] {
        let css = format!(".callout[data-callout=x] {{ background: {value}; }}");
        let out = assert_inert(&css);
        assert!(!out.contains("background:") || value.starts_with("red;"), "{value:?} kept: {out:?}");
    }
    // `red; background: url(…)`: the first declaration stays, the second goes.
    assert_eq!(
        clean(".callout[data-callout=x] { background: red; background: url(https://evil) }"),
        ".callout[data-callout=x] {\n  background: red;\n}\n"
    );
}

#[test]
fn closing_the_style_element_or_opening_a_script_goes_nowhere() {
    for css in [
        "</style><script>alert(1)</script>",
        ".callout[data-callout=x] { color: red }</style><script>alert(1)</script>",
        ".callout[data-callout=\"</style><script>alert(1)</script>\"] { color: red }",
        ".callout[data-callout=x] { --callout-icon: </style><script>alert(1)</script>; }",
        ".callout[data-callout=x] { --callout-icon: '<svg onload=alert(1)>'; }",
    ] {
        let out = assert_inert(css);
        assert!(!out.contains("script"), "{css:?} gave {out:?}");
    }
}

#[test]
fn backslash_escapes_cannot_hide_a_url_or_a_tag() {
    for css in [
        ".callout[data-callout=x] { background: u\\72l(https://evil) }",
        ".callout[data-callout=x] { background: \\75 rl(https://evil) }",
        ".callout[data-callout=x] { color: \\3c /style\\3e }",
        ".callout[data-callout=\"\\3c/style\"] { color: red }",
        ".call\\6f ut { color: red }",
        "\\40 import 'x'; .callout { color: red }",
    ] {
        let out = assert_inert(css);
        assert!(!out.contains("evil") && !out.contains("style"), "{css:?} gave {out:?}");
    }
}

#[test]
fn comments_are_removed_and_cannot_splice_tokens() {
    assert_eq!(
        clean("/* a */.callout/* b */[data-callout=x]/**/{/* c */color:/* d */red/* e */}/* unterminated"),
        ".callout[data-callout=x] {\n  color: red;\n}\n"
    );
    for css in [
        ".callout[data-callout=x] { background: u/**/rl(https://evil) }",
        ".callout[data-callout=x] { background: url/**/(https://evil) }",
        "@im/**/port 'https://evil/x.css'; .callout { color: red }",
        ".callout { color: red } /* .callout { background: url(https://evil) } */",
        ".callout[data-callout=\"/*\"] { color: red } @import url(https://evil); .x[a=\"*/\"] { color: red }",
        "/* unterminated .callout { background: url(https://evil) }",
    ] {
        let out = assert_inert(css);
        assert!(!out.contains("evil"), "{css:?} gave {out:?}");
    }
}

#[test]
fn only_rules_that_style_callouts_stay() {
    for css in [
        "body { display: none }",
        "* { color: red }",
        ".site-header { background: red }",
        ".callout ~ .site-nav { display: none }",
        ".callout + p { color: red }",
        "body:has(.callout) .site-header { color: red }",
        ".callout, .site-header { color: red }",
        ".callouts { color: red }",
        "html .x { color: red }",
        ".callout:not(.x) ~ * { color: red }",
        ".callout[data-callout=x] { position: fixed; top: 0; content: 'x'; display: none; }",
        ".callout[data-callout=x] { & .y { color: red } }",
        ".callout[data-callout=x] { color: red",
    ] {
        assert_eq!(clean(css), "", "{css:?} was kept");
    }
    assert_eq!(
        clean(".callout[data-callout=x]:hover .callout-title::before, .callout-title { color: red; position: fixed }"),
        ".callout[data-callout=x]:hover .callout-title::before, .callout-title {\n  color: red;\n}\n"
    );
}

#[test]
fn huge_input_is_refused_before_any_work_with_the_snippet_named() {
    let big = ".callout { color: red }\n".repeat(50_000);
    let error =
        sanitize_callout_css(&[("a.css", ".callout { color: red }"), ("snippets/big.css", &big)], 1 << 20).unwrap_err();
    assert_eq!(error.note, "snippets/big.css");
    assert!(error.to_string().contains("MAX_DOCUMENT_BYTES"), "{error}");
    // Under the bound, a large hostile input is one quick pass.
    let hostile = "{".repeat(200_000) + &"}".repeat(200_000) + &"/*".repeat(100_000) + &"[(".repeat(100_000);
    let started = std::time::Instant::now();
    assert_eq!(sanitize_callout_css(&[("h.css", &hostile)], 1 << 20).unwrap(), "");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
}

#[test]
fn every_snippet_is_kept_in_order() {
    let out = sanitize_callout_css(
        &[("a.css", ".callout[data-callout=a] { color: red }"), ("b.css", ".callout[data-callout=b] { color: blue }")],
        4096,
    )
    .unwrap();
    assert!(out.find("data-callout=a").unwrap() < out.find("data-callout=b").unwrap(), "{out}");
}
