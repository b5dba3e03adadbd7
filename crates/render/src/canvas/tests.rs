use super::*;
use crate::markdown::RenderOptions;
use crate::markdown::tests::MapResolver;

fn node(id: &str, kind: &str, x: f64, y: f64, extra: &str) -> String {
    format!(r#"{{"id":"{id}","type":"{kind}","x":{x},"y":{y},"width":100,"height":50{extra}}}"#)
}

fn canvas(nodes: &[String], edges: &str) -> String {
    format!(r#"{{"nodes":[{}],"edges":[{edges}]}}"#, nodes.join(","))
}

#[test]
fn every_node_type_parses_with_its_fields_and_colours() {
    let json = canvas(
        &[
            node("t", "text", 0.0, 0.0, r##","text":"Hello","color":"3""##),
            node("f", "file", 200.0, 0.0, r##","file":"Notes/Plan.md","subpath":"#Goals","color":"#A0B1C2""##),
            node("l", "link", 400.0, 0.0, r#","url":"https://example.org","color":"red""#),
            r#"{"id":"g","type":"group","x":-10,"y":-10,"width":1000,"height":500,"label":"Team","color":"7","background":"x.png","backgroundStyle":"cover"}"#.to_owned(),
            node("s", "sticker", 0.0, 0.0, ""),
        ],
        r#"{"id":"e1","fromNode":"t","toNode":"f","fromSide":"right","toSide":"left","label":"next","color":"4"},
           {"id":"e2","fromNode":"f","toNode":"l","fromEnd":"arrow","toEnd":"none"},
           {"id":"e3","fromNode":"s","toNode":"l"}"#,
    );
    let canvas = Canvas::parse(&json).unwrap();
    assert_eq!(canvas.nodes.len(), 4, "the sticker is skipped");
    assert_eq!(canvas.nodes[0].kind, NodeKind::Text { text: "Hello".into() });
    assert_eq!(canvas.nodes[0].color, Some(Color::Preset(3)));
    assert_eq!(canvas.nodes[1].kind, NodeKind::File { file: "Notes/Plan.md".into(), subpath: Some("#Goals".into()) });
    assert_eq!(canvas.nodes[1].color, Some(Color::Hex("#a0b1c2".into())));
    assert_eq!(canvas.nodes[2].kind, NodeKind::Link { url: "https://example.org".into() });
    assert_eq!(canvas.nodes[2].color, None, "a colour name is ignored");
    assert_eq!(canvas.nodes[3].kind, NodeKind::Group { label: Some("Team".into()) });
    assert_eq!(canvas.nodes[3].color, None, "preset 7 does not exist");
    assert_eq!(canvas.edges.len(), 2, "the edge to the skipped node is skipped");
    let first = &canvas.edges[0];
    assert_eq!((first.from, first.to, first.from_side, first.to_side), (0, 1, Some(Side::Right), Some(Side::Left)));
    assert_eq!((first.from_arrow, first.to_arrow), (false, true), "the defaults");
    assert_eq!(first.label.as_deref(), Some("next"));
    assert_eq!(first.color, Some(Color::Preset(4)));
    assert_eq!((canvas.edges[1].from_arrow, canvas.edges[1].to_arrow), (true, false));
}

#[test]
fn bad_input_is_refused_with_its_code_and_the_node_named() {
    let many_nodes = canvas(&vec![node("n", "text", 0.0, 0.0, ""); MAX_CANVAS_NODES + 1], "");
    let edge = r#"{"id":"e","fromNode":"a","toNode":"a"}"#;
    let many_edges = canvas(&[node("a", "text", 0.0, 0.0, "")], &vec![edge; MAX_CANVAS_EDGES + 1].join(","));
    let cases: Vec<(String, &str, &str)> = vec![
        ("{not json".into(), "invalid-canvas", "valid JSON Canvas"),
        ("[1, 2]".into(), "invalid-canvas", "valid JSON Canvas"),
        (canvas(&[node("far", "text", 1e8, 0.0, "")], ""), "invalid-canvas", "node \"far\": its x"),
        (canvas(&[node("up", "text", 0.0, -1.5e7, "")], ""), "invalid-canvas", "node \"up\": its y"),
        (
            r#"{"nodes":[{"id":"w","type":"text","x":0,"y":0,"width":0,"height":5}]}"#.into(),
            "invalid-canvas",
            "node \"w\": its width",
        ),
        (
            r#"{"nodes":[{"id":"h","type":"text","x":0,"y":0,"width":5,"height":100001}]}"#.into(),
            "invalid-canvas",
            "node \"h\": its height",
        ),
        (
            r#"{"nodes":[{"id":"s","type":"text","x":"0","y":0,"width":5,"height":5}]}"#.into(),
            "invalid-canvas",
            "node \"s\": its x",
        ),
        (
            r#"{"nodes":[{"id":"big","type":"text","x":1e400,"y":0,"width":5,"height":5}]}"#.into(),
            "invalid-canvas",
            "valid JSON Canvas",
        ),
        (
            r#"{"nodes":[{"type":"text","x":0,"y":0,"width":5,"height":5}]}"#.into(),
            "invalid-canvas",
            "node 1 (text) has no id",
        ),
        (
            r#"{"nodes":[{"id":"f","type":"file","x":0,"y":0,"width":5,"height":5}]}"#.into(),
            "invalid-canvas",
            "node \"f\": its file",
        ),
        (
            r#"{"nodes":[{"id":"t","type":"text","text":5,"x":0,"y":0,"width":5,"height":5}]}"#.into(),
            "invalid-canvas",
            "its text",
        ),
        (many_nodes, "canvas-too-large", "its 2001 nodes exceeds MAX_CANVAS_NODES (2000)"),
        (many_edges, "canvas-too-large", "its 4001 edges exceeds MAX_CANVAS_EDGES (4000)"),
        (" ".repeat(MAX_CANVAS_BYTES + 1), "canvas-too-large", "MAX_CANVAS_BYTES"),
    ];
    for (json, code, message) in cases {
        let error = Canvas::parse(&json).unwrap_err();
        assert_eq!(error.code().as_str(), code, "{error}");
        assert!(error.to_string().contains(message), "{error} does not say {message}");
    }
    assert_eq!(Canvas::parse("").unwrap().nodes.len(), 0, "an empty file is an empty canvas");
    assert_eq!(Canvas::parse("{}").unwrap().edges.len(), 0);
}

#[test]
fn reading_order_is_top_to_bottom_then_left_to_right_with_groups_as_sections() {
    let json = canvas(
        &[
            r#"{"id":"g","type":"group","x":0,"y":100,"width":500,"height":300,"label":"G"}"#.to_owned(),
            node("below", "text", 0.0, 900.0, ""),
            node("right", "text", 300.0, 0.0, ""),
            node("left", "text", 0.0, 0.0, ""),
            node("in2", "text", 200.0, 200.0, ""),
            node("in1", "text", 10.0, 110.0, ""),
            r#"{"id":"inner","type":"group","x":180,"y":180,"width":150,"height":100}"#.to_owned(),
        ],
        "",
    );
    let canvas = Canvas::parse(&json).unwrap();
    let ids = |step: &Step| match step {
        Step::Open(i) => format!("[{}", canvas.nodes[*i].id),
        Step::Card(i) => canvas.nodes[*i].id.clone(),
        Step::Close => "]".into(),
    };
    let order: Vec<String> = canvas.reading_order().iter().map(ids).collect();
    assert_eq!(order, ["left", "right", "[g", "in1", "[inner", "in2", "]", "]", "below"]);
}

#[test]
fn groups_nest_at_most_the_maximum_depth_and_every_node_is_listed_once() {
    let groups: Vec<String> = (0..30)
        .map(|i| {
            let at = f64::from(i) * 10.0;
            let size = 10_000.0 - at * 2.0;
            format!(r#"{{"id":"g{i}","type":"group","x":{at},"y":{at},"width":{size},"height":{size}}}"#)
        })
        .chain([node("card", "text", 5000.0, 5000.0, "")])
        .collect();
    let canvas = Canvas::parse(&canvas(&groups, "")).unwrap();
    let steps = canvas.reading_order();
    let (mut depth, mut deepest) = (0usize, 0usize);
    for step in &steps {
        match step {
            Step::Open(_) => depth += 1,
            Step::Close => depth -= 1,
            Step::Card(_) => {}
        }
        deepest = deepest.max(depth);
    }
    assert_eq!(depth, 0);
    assert_eq!(deepest, MAX_CANVAS_GROUP_DEPTH);
    let listed = steps.iter().filter(|step| !matches!(step, Step::Close)).count();
    assert_eq!(listed, canvas.nodes.len());
}

#[test]
fn the_page_lists_every_card_and_connection_and_keeps_payloads_inert() {
    let json = canvas(
        &[
            node(
                "a",
                "text",
                0.0,
                0.0,
                r###","text":"## Start\n\nSee [[Note]] #plan <script>alert(1)</script><img src=x onerror=alert(1)>""###,
            ),
            node("b", "file", 300.0, 0.0, r#","file":"img.png""#),
            node("c", "link", 0.0, 300.0, r#","url":"javascript:alert(1)""#),
            node("d", "link", 300.0, 300.0, r#","url":"https://example.org/?a=1&b=\"2\"""#),
            node("e", "file", 600.0, 0.0, r#","file":"Gone.md""#),
            node("f", "file", 600.0, 300.0, r#","file":"doc.pdf""#),
        ],
        r#"{"id":"x","fromNode":"a","toNode":"b","label":"shows <b>"},{"id":"y","fromNode":"c","toNode":"d","fromEnd":"arrow"}"#,
    );
    let canvas = Canvas::parse(&json).unwrap();
    let page = render_canvas(&canvas, &MapResolver::new(), &RenderOptions::default()).unwrap();
    let html = &page.html;
    assert_eq!(html.matches("class=\"canvas-node canvas-card").count(), 6, "{html}");
    assert!(html.contains(r#"<h2 id="start">Start</h2>"#), "{html}");
    assert!(html.contains(r#"href="/notes/note""#), "{html}");
    assert!(html.contains(r#"src="/assets/img.png""#), "{html}");
    assert!(
        html.contains(
            r#"<a class="canvas-link" href="https://example.org/?a=1&amp;b=&quot;2&quot;" rel="noopener nofollow ugc">"#
        ),
        "{html}"
    );
    assert!(html.contains(r#"<p class="canvas-link-text">javascript:alert(1)</p>"#), "{html}");
    assert!(html.contains("“Gone.md” is not published."), "{html}");
    assert!(html.contains(r#"<a class="canvas-file" href="/assets/doc.pdf">doc.pdf</a>"#), "{html}");
    assert!(!html.contains("<script") && !html.contains("onerror") && !html.contains("href=\"javascript"), "{html}");
    assert!(html.contains(r#"data-from="0" data-to="1" data-from-end="none" data-to-end="arrow""#), "{html}");
    assert!(html.contains("<span class=\"canvas-edge-from\">Start</span> → <span class=\"canvas-edge-to\">img.png</span>: <span class=\"canvas-edge-label\">shows &lt;b&gt;</span>"), "{html}");
    assert!(html.contains("javascript:alert(1)</span> ↔ "), "{html}");
    assert_eq!(page.links, ["/notes/note"]);
    assert_eq!(page.tags, ["plan"]);
    assert!(
        page.text.contains("Start") && page.text.contains("https://example.org") && page.text.contains("shows <b>")
    );
    assert_eq!(page.headings[0].id, "start");
}

#[test]
fn the_embed_markdown_lists_cards_in_reading_order_within_its_bound() {
    let json = canvas(
        &[
            node("b", "text", 0.0, 100.0, r#","text":"second\nline two""#),
            node("a", "file", 0.0, 0.0, r##","file":"Notes/Plan.md","subpath":"#Goals""##),
            node("c", "link", 0.0, 200.0, r#","url":"https://example.org""#),
            node("d", "file", 0.0, 300.0, r#","file":"x]]y.png""#),
        ],
        "",
    );
    let canvas = Canvas::parse(&json).unwrap();
    assert_eq!(
        canvas.markdown(10),
        "- ![[Notes/Plan.md#Goals]]\n- second\n  line two\n- <https://example.org>\n- `x]]y.png` (not published)\n"
    );
    assert_eq!(canvas.markdown(1), "- ![[Notes/Plan.md#Goals]]\n\n*… and 3 more.*\n");
}
