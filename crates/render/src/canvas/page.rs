//! The page of a canvas ([`render_canvas`]): its cards in reading order (a group a section),
//! each with its place in `data-` attributes, then its connections as a list.

use std::fmt::Write as _;

use super::{Canvas, Color, FileKind, Node, NodeKind, Side, Step, file_embed, web_url};
use crate::limits::Exceeded;
use crate::markdown::{self, RenderOptions, Rendered, Resolver};

/// A number for a `data-` attribute: integral when it is, else with at most two decimals.
fn num(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{}", (value * 100.0).round() / 100.0) }
}

fn color_attributes(color: Option<&Color>) -> (String, String) {
    match color {
        Some(Color::Preset(n)) => (format!(" canvas-color-{n}"), String::new()),
        Some(Color::Hex(hex)) => (" canvas-color".to_owned(), format!(r#" data-color="{hex}""#)),
        None => (String::new(), String::new()),
    }
}

/// The page of `canvas`: its cards (text and file cards rendered by the note renderer, all in
/// one session, asking `resolver` for every link, embed and file), groups, and connections.
/// Fails with the first note limit a card exceeds (nesting, transclusion).
pub fn render_canvas(
    canvas: &Canvas,
    resolver: &dyn Resolver,
    options: &RenderOptions<'_>,
) -> Result<Rendered, Exceeded> {
    let esc = crate::markdown::escape_html;
    // What each card shows, before rendering: the Markdown parts go through one session.
    enum Body {
        Markdown(usize),
        Html(String),
    }
    let mut parts: Vec<String> = Vec::new();
    let mut file_links: Vec<String> = Vec::new();
    let mut bodies: Vec<Option<Body>> = Vec::with_capacity(canvas.nodes.len());
    let missing =
        |node: &Node| Body::Html(format!(r#"<p class="canvas-missing">“{}” is not published.</p>"#, esc(&node.name())));
    for node in &canvas.nodes {
        let body = match &node.kind {
            NodeKind::Text { text } => {
                parts.push(text.clone());
                Some(Body::Markdown(parts.len() - 1))
            }
            NodeKind::File { file, subpath } => {
                let kind = FileKind::of(file);
                let embed = file_embed(file, subpath.as_deref());
                Some(match (kind, embed) {
                    (FileKind::Note, Some(embed)) => match resolver.page_href(file, None) {
                        Some(href) => {
                            file_links.push(href);
                            parts.push(embed);
                            Body::Markdown(parts.len() - 1)
                        }
                        None => missing(node),
                    },
                    (FileKind::Image, Some(embed)) if resolver.asset_href(file).is_some() => {
                        parts.push(embed);
                        Body::Markdown(parts.len() - 1)
                    }
                    (FileKind::Other, _) => match resolver.asset_href(file) {
                        Some(href) => Body::Html(format!(
                            r#"<p><a class="canvas-file" href="{}">{}</a></p>"#,
                            esc(&href),
                            esc(&node.name())
                        )),
                        None => missing(node),
                    },
                    _ => missing(node),
                })
            }
            NodeKind::Link { url } => Some(Body::Html(match web_url(url) {
                Some(url) => format!(
                    r#"<p><a class="canvas-link" href="{}" rel="noopener nofollow ugc">{}</a></p>"#,
                    esc(url),
                    esc(url)
                ),
                None => format!(r#"<p class="canvas-link-text">{}</p>"#, esc(url.trim())),
            })),
            NodeKind::Group { .. } => None,
        };
        bodies.push(body);
    }
    let (html_parts, mut rendered) = markdown::try_render_parts(&parts, resolver, options)?;
    // A text card is named in the list of connections by what it shows.
    let names: Vec<String> = canvas
        .nodes
        .iter()
        .zip(&bodies)
        .map(|(node, body)| match (&node.kind, body) {
            (NodeKind::Text { .. }, Some(Body::Markdown(part))) => {
                let name = html_parts[*part].1.trim();
                let mut short: String = name.chars().take(80).collect();
                if short.len() < name.len() {
                    short.push('…');
                }
                if short.is_empty() { node.name() } else { short }
            }
            _ => node.name(),
        })
        .collect();
    for href in file_links {
        markdown::push_unique(&mut rendered.links, &href);
    }

    let mut html = String::with_capacity(1024 + html_parts.iter().map(|(html, _)| html.len()).sum::<usize>());
    let (min_x, min_y, max_x, max_y) = canvas
        .nodes
        .iter()
        .fold((f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY), |(a, b, c, d), n| {
            (a.min(n.x), b.min(n.y), c.max(n.x + n.width), d.max(n.y + n.height))
        });
    let (min_x, min_y, max_x, max_y) =
        if canvas.nodes.is_empty() { (0.0, 0.0, 0.0, 0.0) } else { (min_x, min_y, max_x, max_y) };
    let cards = canvas.nodes.iter().filter(|node| !node.is_group()).count();
    let _ = write!(
        html,
        r#"<div class="canvas" data-canvas="" data-min-x="{}" data-min-y="{}" data-max-x="{}" data-max-y="{}">"#,
        num(min_x),
        num(min_y),
        num(max_x),
        num(max_y)
    );
    let _ = write!(
        html,
        "\n<p class=\"canvas-summary\">{cards} card{}, {} connection{}.</p>\n<div class=\"canvas-board\">\n",
        if cards == 1 { "" } else { "s" },
        canvas.edges.len(),
        if canvas.edges.len() == 1 { "" } else { "s" }
    );
    let mut text = vec![rendered.text.clone()];
    let geometry = |index: usize, node: &Node| {
        let (class, data) = color_attributes(node.color.as_ref());
        (
            class,
            format!(
                r#" data-node="{index}" data-x="{}" data-y="{}" data-width="{}" data-height="{}"{data}"#,
                num(node.x),
                num(node.y),
                num(node.width),
                num(node.height)
            ),
        )
    };
    for step in canvas.reading_order() {
        match step {
            Step::Open(index) => {
                let node = &canvas.nodes[index];
                let (class, data) = geometry(index, node);
                let label = match &node.kind {
                    NodeKind::Group { label: Some(label) } => {
                        text.push(label.clone());
                        esc(label)
                    }
                    _ => String::new(),
                };
                let _ = write!(
                    html,
                    "<section class=\"canvas-node canvas-group{class}\"{data}>\n<h2 class=\"canvas-group-label\">{label}</h2>\n"
                );
            }
            Step::Close => html.push_str("</section>\n"),
            Step::Card(index) => {
                let node = &canvas.nodes[index];
                let (class, data) = geometry(index, node);
                let kind = match &node.kind {
                    NodeKind::Text { .. } => "text",
                    NodeKind::File { .. } => "file",
                    NodeKind::Link { url } => {
                        text.push(url.trim().to_owned());
                        "link"
                    }
                    NodeKind::Group { .. } => "group",
                };
                let _ = writeln!(html, "<div class=\"canvas-node canvas-card canvas-{kind}{class}\"{data}>");
                match &bodies[index] {
                    Some(Body::Markdown(part)) => html.push_str(&html_parts[*part].0),
                    Some(Body::Html(body)) => html.push_str(body),
                    None => {}
                }
                html.push_str("\n</div>\n");
            }
        }
    }
    html.push_str("</div>\n");
    if !canvas.edges.is_empty() {
        html.push_str("<section class=\"canvas-connections\">\n<h2>Connections</h2>\n<ul>\n");
        for edge in &canvas.edges {
            let (class, data) = color_attributes(edge.color.as_ref());
            let side = |name: &str, side: Option<Side>| {
                side.map(|side| format!(r#" data-{name}="{}""#, side.as_str())).unwrap_or_default()
            };
            let arrow = match (edge.from_arrow, edge.to_arrow) {
                (true, true) => "↔",
                (false, true) => "→",
                (true, false) => "←",
                (false, false) => "—",
            };
            let _ = write!(
                html,
                "<li class=\"canvas-edge{class}\" data-from=\"{}\" data-to=\"{}\"{}{} data-from-end=\"{}\" data-to-end=\"{}\"{data}>\
                 <span class=\"canvas-edge-from\">{}</span> {arrow} <span class=\"canvas-edge-to\">{}</span>",
                edge.from,
                edge.to,
                side("from-side", edge.from_side),
                side("to-side", edge.to_side),
                if edge.from_arrow { "arrow" } else { "none" },
                if edge.to_arrow { "arrow" } else { "none" },
                esc(&names[edge.from]),
                esc(&names[edge.to]),
            );
            if let Some(label) = &edge.label {
                text.push(label.clone());
                let _ = write!(html, ": <span class=\"canvas-edge-label\">{}</span>", esc(label));
            }
            html.push_str("</li>\n");
        }
        html.push_str("</ul>\n</section>\n");
    }
    html.push_str("</div>\n");
    rendered.html = html;
    rendered.text = text.into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ");
    Ok(rendered)
}
