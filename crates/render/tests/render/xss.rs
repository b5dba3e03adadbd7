//! Hostile notes: whatever a note contains, the page must come out with no script element, no
//! event-handler attribute and no `javascript:` or `data:text` URL.

use crate::site::Site;

const PAYLOADS: &[&str] = &[
    // Script elements, in every casing.
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt src=//evil.example/x.js></sCrIpT>",
    "text <script\n>alert(1)</script\n> more",
    // Event handlers on ordinary and foreign elements.
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<video src=x onerror=alert(1)></video><audio src=x onloadstart=alert(1)></audio>",
    "<div data-href=\"javascript:alert(1)\" onclick=alert(1)>x</div>",
    "<span class=\"hl-x tag\" style=\"color:red\" onmouseover=alert(1)>x</span>",
    // javascript: in Markdown links, wikilink aliases and raw HTML.
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](jav&#x61;script:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]: javascript:alert(1)\n\n[link][x]",
    "[[Note|javascript:alert(1)]] [[javascript:alert(1)]] [[Note|<img src=x onerror=alert(1)>]]",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    // data: documents.
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<img src=\"data:text/html;base64,PHNjcmlwdD4=\">",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+)",
    // Active and document-level elements.
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"x.swf\" type=\"application/x-shockwave-flash\"></object>",
    "<object data=\"https://evil.example/x.html\" type=\"text/html\"></object>",
    "<object data=\"//evil.example/x.pdf\"></object>",
    "![[doc.pdf|\" onload=\"alert(1)]]",
    "<embed src=\"x.swf\">",
    "<form action=\"https://evil.example\"><button formaction=javascript:alert(1)>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<base href=\"javascript:alert(1)//\">",
    // MathML: handlers, links and the namespace-confusion trick.
    "<math><mi onclick=alert(1) href=\"javascript:alert(1)\">x</mi></math>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "$\\href{javascript:alert(1)}{x}$ and $$\\text{<script>alert(1)</script>}$$",
    // Callout titles and types.
    "> [!note] <img src=x onerror=alert(1)> title\n> body",
    "> [!note\" onmouseover=\"alert(1)] x\n> y",
    "> [!tip]- <svg onload=alert(1)> <a href=\"javascript:alert(1)\">t</a>\n> body",
    // Our own markup built from note text.
    "![[img.png|\" onerror=\"alert(1)]]",
    "![[gone.png|\" onerror=\"alert(1)]]",
    "#tag\" onclick=\"alert(1)",
    "```js\n</code></pre><script>alert(1)</script>\n```",
    "```mermaid\n<script>alert(1)</script>\n```",
    "Block ^x\" onclick=\"alert(1)",
    // A payload inside a transcluded note.
    "![[Evil]]",
];

/// Element names and (name, decoded value) attributes of sanitised HTML. ammonia always
/// double-quotes attribute values and escapes `<` in text, which keeps this simple.
fn elements(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    for tag in html.split('<').skip(1) {
        let tag = &tag[..tag.find('>').expect("closed tag")];
        if tag.starts_with('/') {
            continue;
        }
        let (name, mut rest) = tag.split_once([' ', '\n']).unwrap_or((tag, ""));
        let mut attributes = Vec::new();
        loop {
            let trimmed = rest.trim_start();
            if trimmed.is_empty() || trimmed == "/" {
                break;
            }
            let name_end = trimmed.find(['=', ' ']).unwrap_or(trimmed.len());
            let attribute = trimmed[..name_end].to_ascii_lowercase();
            rest = &trimmed[name_end..];
            let value = match rest.strip_prefix("=\"") {
                Some(quoted) => {
                    let end = quoted.find('"').expect("quoted value");
                    rest = &quoted[end + 1..];
                    decode(&quoted[..end])
                }
                None => String::new(),
            };
            attributes.push((attribute, value));
        }
        found.push((name.to_ascii_lowercase(), attributes));
    }
    found
}

/// Decodes the character references ammonia writes in attribute values.
fn decode(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let end = rest[amp..].find(';').map(|e| amp + e).expect("terminated reference");
        let entity = &rest[amp + 1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        out.push(decoded.expect("known reference"));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn hostile_notes_come_out_inert() {
    let site = Site::new();
    let forbidden_elements =
        ["script", "iframe", "embed", "form", "button", "meta", "style", "link", "base", "svg", "frame"];
    for payload in PAYLOADS {
        let html = site.render(payload).html;
        assert!(!html.to_ascii_lowercase().contains("<script"), "{payload:?} kept a script: {html}");
        for (name, attributes) in elements(&html) {
            assert!(!forbidden_elements.contains(&name.as_str()), "{payload:?} kept <{name}>: {html}");
            for (attribute, value) in attributes {
                let context = format!("{payload:?} kept {attribute}={value:?} on <{name}>: {html}");
                // A PDF embed's object: always a PDF, only from the site itself.
                if name == "object" {
                    match attribute.as_str() {
                        "type" => assert_eq!(value, "application/pdf", "{context}"),
                        "data" => assert!(value.starts_with('/') && !value.starts_with("//"), "{context}"),
                        _ => assert!(["class", "aria-label"].contains(&attribute.as_str()), "{context}"),
                    }
                }
                assert!(!attribute.starts_with("on"), "{context}");
                assert!(
                    !["style", "srcdoc", "formaction", "action", "http-equiv"].contains(&attribute.as_str()),
                    "{context}"
                );
                let squeezed: String = value
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                assert!(!squeezed.contains("javascript:"), "{context}");
                assert!(!squeezed.contains("vbscript:"), "{context}");
                assert!(!squeezed.starts_with("data:"), "{context}");
            }
        }
    }
}

#[test]
fn the_table_is_large_enough_to_mean_something() {
    assert!(PAYLOADS.len() >= 20);
}

#[test]
fn the_inspector_reads_quoted_and_bare_attributes() {
    let found = elements(r#"<p><input checked="" disabled="" type="checkbox"><a href="/x?a=1&amp;b=&#106;">y</a></p>"#);
    assert_eq!(found[1].0, "input");
    assert_eq!(found[1].1.len(), 3);
    assert_eq!(found[2].1, [("href".to_owned(), "/x?a=1&b=j".to_owned())]);
}
