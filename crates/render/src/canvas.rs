//! Obsidian Canvas files (`.canvas`, the open [JSON Canvas 1.0] format): parsed within bounds
//! ([`Canvas::parse`]), and rendered to a page ([`render_canvas`]) or to the compact Markdown a
//! note's `![[Board.canvas]]` transcludes ([`Canvas::markdown`]). The one rule the publisher
//! (finding what a canvas refers to), the build (its page, its embeds) and the tests share.
//!
//! A canvas holds nodes (text cards written in Markdown, file cards naming a vault file, link
//! cards, and groups) at coordinates, listed bottom first, and edges between them. Its page
//! works without JavaScript: the cards in reading order (top to bottom, then left to right;
//! a group is a section holding the cards inside it), then the connections as a list. Each card
//! and connection carries its coordinates, sides and ends in `data-` attributes, from which the
//! site's `canvas.js` lays the board out as drawn (cards at their places, edges as SVG paths,
//! pan and zoom).
//!
//! Text cards and file cards go through the note renderer, all in one session
//! (the renderer's `markdown` module): a text card is Markdown like a note (sanitised, wikilinks resolved, tags
//! counted, the page's nesting and transclusion budgets shared by every card); a file card is an
//! embed of its file (`![[Notes/Plan.md#Heading]]`: a note's transclusion or an image), or a link
//! to a file of another kind, or a "not published" card.
//!
//! ```
//! use vps_render::{Canvas, CanvasError};
//!
//! let canvas = Canvas::parse(
//!     r##"{"nodes":[{"id":"a","type":"text","text":"# Plan","x":0,"y":0,"width":250,"height":60,"color":"1"},
//!                  {"id":"b","type":"link","url":"https://example.org","x":400,"y":0,"width":250,"height":60},
//!                  {"id":"c","type":"sticker","x":0,"y":0,"width":1,"height":1}],
//!         "edges":[{"id":"e","fromNode":"a","toNode":"b","label":"see"}]}"##,
//! )
//! .unwrap();
//! assert_eq!(canvas.nodes.len(), 2, "an unknown node type is skipped");
//! assert_eq!(canvas.edges[0].label.as_deref(), Some("see"));
//!
//! let error = Canvas::parse(r#"{"nodes":[{"id":"a","type":"text","x":1e9,"y":0,"width":1,"height":1}]}"#).unwrap_err();
//! assert_eq!(error.code().as_str(), "invalid-canvas");
//! ```
//!
//! [JSON Canvas 1.0]: https://jsoncanvas.org/spec/1.0/

use std::fmt::Write as _;

use serde::Deserialize;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use vps_core::ErrorCode;

use crate::limits::Exceeded;

/// The largest canvas file, in bytes (the bound of a note's Markdown,
/// `CLEANUP_MAX_OUTPUT_BYTES`'s default).
pub const MAX_CANVAS_BYTES: usize = 8 * 1024 * 1024;
/// The most nodes a canvas may hold.
pub const MAX_CANVAS_NODES: usize = 2_000;
/// The most edges a canvas may hold.
pub const MAX_CANVAS_EDGES: usize = 4_000;
/// The largest coordinate (either sign) of a node.
pub const MAX_CANVAS_COORDINATE: f64 = 1e7;
/// The largest width or height of a node.
pub const MAX_CANVAS_SIZE: f64 = 1e5;
/// Groups shown inside groups; a card in a deeper group is shown in the deepest one allowed.
pub const MAX_CANVAS_GROUP_DEPTH: usize = 8;
/// The cards an embed of a canvas lists (the page has them all).
pub const MAX_EMBEDDED_CARDS: usize = 50;

/// `.canvas`, compared ignoring ASCII case.
const SUFFIX: &str = ".canvas";

/// Whether the file at `path` is a canvas: its name ends with `.canvas` (any case) and is more
/// than that.
///
/// ```
/// assert!(vps_render::is_canvas("Boards/Plan.canvas"));
/// assert!(!vps_render::is_canvas("Boards/Plan.md"));
/// assert!(!vps_render::is_canvas(".canvas"));
/// ```
pub fn is_canvas(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.len() > SUFFIX.len()
        && name.is_char_boundary(name.len() - SUFFIX.len())
        && name[name.len() - SUFFIX.len()..].eq_ignore_ascii_case(SUFFIX)
}

/// Why a canvas cannot be published.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CanvasError {
    /// Not JSON Canvas (`invalid-canvas`).
    #[error("is not a valid JSON Canvas file: {0}")]
    Invalid(String),
    /// Over one of the bounds (`canvas-too-large`).
    #[error("{0}")]
    TooLarge(Exceeded),
}

impl CanvasError {
    /// The stable code of the error: `invalid-canvas` or `canvas-too-large`.
    pub fn code(&self) -> ErrorCode {
        match self {
            CanvasError::Invalid(_) => ErrorCode::InvalidCanvas,
            CanvasError::TooLarge(_) => ErrorCode::CanvasTooLarge,
        }
    }
}

/// A parsed canvas: its nodes of known types, bottom first, and the edges between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    /// The nodes, in the file's order (z-order: the first is at the bottom).
    pub nodes: Vec<Node>,
    /// The edges whose both ends are nodes of [`Canvas::nodes`].
    pub edges: Vec<Edge>,
}

/// One node: where it is, what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its id in the file (edges name it).
    pub id: String,
    /// What it shows.
    pub kind: NodeKind,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width, positive.
    pub width: f64,
    /// Height, positive.
    pub height: f64,
    /// Its colour, when it has a valid one.
    pub color: Option<Color>,
}

/// What a node shows.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A card of Markdown.
    Text {
        /// The Markdown.
        text: String,
    },
    /// A file of the vault.
    File {
        /// Its vault path.
        file: String,
        /// `#Heading` or `#^block`: the part of a note shown.
        subpath: Option<String>,
    },
    /// A web page.
    Link {
        /// Its URL, as written.
        url: String,
    },
    /// A box around other nodes.
    Group {
        /// Its label.
        label: Option<String>,
    },
}

/// A colour: one of the six presets of the format or `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Color {
    /// `"1"` red, `"2"` orange, `"3"` yellow, `"4"` green, `"5"` cyan, `"6"` purple.
    Preset(u8),
    /// `#rrggbb`, lower case.
    Hex(String),
}

impl Color {
    /// A preset or `#RRGGBB`; anything else is no colour.
    fn parse(value: &serde_json::Value) -> Option<Color> {
        let text = value.as_str()?.trim();
        match text.as_bytes() {
            [digit @ b'1'..=b'6'] => Some(Color::Preset(digit - b'0')),
            [b'#', hex @ ..] if hex.len() == 6 && hex.iter().all(u8::is_ascii_hexdigit) => {
                Some(Color::Hex(text.to_ascii_lowercase()))
            }
            _ => None,
        }
    }
}

/// A side of a node an edge starts or ends at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The top side.
    Top,
    /// The right side.
    Right,
    /// The bottom side.
    Bottom,
    /// The left side.
    Left,
}

impl Side {
    fn parse(text: Option<&str>) -> Option<Side> {
        match text? {
            "top" => Some(Side::Top),
            "right" => Some(Side::Right),
            "bottom" => Some(Side::Bottom),
            "left" => Some(Side::Left),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Side::Top => "top",
            Side::Right => "right",
            Side::Bottom => "bottom",
            Side::Left => "left",
        }
    }
}

/// An edge between two nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The index in [`Canvas::nodes`] of the node it starts at.
    pub from: usize,
    /// The index of the node it ends at.
    pub to: usize,
    /// The side it starts at, when given.
    pub from_side: Option<Side>,
    /// The side it ends at, when given.
    pub to_side: Option<Side>,
    /// Whether its start has an arrow (default: no).
    pub from_arrow: bool,
    /// Whether its end has an arrow (default: yes).
    pub to_arrow: bool,
    /// Its colour.
    pub color: Option<Color>,
    /// Its label.
    pub label: Option<String>,
}

/// A JSON array read into at most `N` items; the items past `N` are counted, not kept.
struct Bounded<T, const N: usize> {
    items: Vec<T>,
    total: usize,
}

impl<T, const N: usize> Default for Bounded<T, N> {
    fn default() -> Self {
        Bounded { items: Vec::new(), total: 0 }
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Bounded<T, N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T, const N: usize>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Items<T, N> {
            type Value = Bounded<T, N>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut bounded = Bounded { items: Vec::new(), total: 0 };
                while bounded.items.len() < N {
                    match seq.next_element()? {
                        Some(item) => bounded.items.push(item),
                        None => {
                            bounded.total = bounded.items.len();
                            return Ok(bounded);
                        }
                    }
                }
                bounded.total = bounded.items.len();
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    bounded.total += 1;
                }
                Ok(bounded)
            }
        }
        deserializer.deserialize_seq(Items::<T, N>(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct RawCanvas {
    #[serde(default)]
    nodes: Bounded<RawNode, MAX_CANVAS_NODES>,
    #[serde(default)]
    edges: Bounded<RawEdge, MAX_CANVAS_EDGES>,
}

/// A node as written; every field is checked by [`Canvas::parse`] (an unknown type is skipped
/// whatever its other fields hold).
#[derive(Deserialize)]
struct RawNode {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default, rename = "type")]
    kind: serde_json::Value,
    #[serde(default)]
    x: serde_json::Value,
    #[serde(default)]
    y: serde_json::Value,
    #[serde(default)]
    width: serde_json::Value,
    #[serde(default)]
    height: serde_json::Value,
    #[serde(default)]
    color: serde_json::Value,
    #[serde(default)]
    text: serde_json::Value,
    #[serde(default)]
    file: serde_json::Value,
    #[serde(default)]
    subpath: serde_json::Value,
    #[serde(default)]
    url: serde_json::Value,
    #[serde(default)]
    label: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEdge {
    #[serde(default)]
    from_node: serde_json::Value,
    #[serde(default)]
    to_node: serde_json::Value,
    #[serde(default)]
    from_side: serde_json::Value,
    #[serde(default)]
    to_side: serde_json::Value,
    #[serde(default)]
    from_end: serde_json::Value,
    #[serde(default)]
    to_end: serde_json::Value,
    #[serde(default)]
    color: serde_json::Value,
    #[serde(default)]
    label: serde_json::Value,
}

/// At most 40 characters of an id, for messages.
fn short(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

impl Canvas {
    /// Parses a canvas file, checking every bound: its size ([`MAX_CANVAS_BYTES`]), nodes
    /// ([`MAX_CANVAS_NODES`]) and edges ([`MAX_CANVAS_EDGES`]) are `canvas-too-large`; JSON
    /// that is not a canvas, a node of a known type without its fields, a coordinate that is
    /// not a finite number within ±[`MAX_CANVAS_COORDINATE`] or a size not in
    /// (0, [`MAX_CANVAS_SIZE`]] are `invalid-canvas`. Unknown fields are ignored; nodes of an
    /// unknown type are skipped, and so are the edges to them; a colour that is neither a
    /// preset nor `#rrggbb` is no colour.
    pub fn parse(json: &str) -> Result<Canvas, CanvasError> {
        if json.len() > MAX_CANVAS_BYTES {
            let what = format!("its size ({} bytes)", json.len());
            return Err(CanvasError::TooLarge(Exceeded::new(what, "MAX_CANVAS_BYTES", MAX_CANVAS_BYTES)));
        }
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        // An empty file is an empty canvas, as Obsidian creates one.
        let raw: RawCanvas = if json.trim().is_empty() {
            RawCanvas { nodes: Bounded::default(), edges: Bounded::default() }
        } else {
            serde_json::from_str(json).map_err(|error| CanvasError::Invalid(error.to_string()))?
        };
        for (total, setting, limit, what) in [
            (raw.nodes.total, "MAX_CANVAS_NODES", MAX_CANVAS_NODES, "nodes"),
            (raw.edges.total, "MAX_CANVAS_EDGES", MAX_CANVAS_EDGES, "edges"),
        ] {
            if total > limit {
                return Err(CanvasError::TooLarge(Exceeded::new(format!("its {total} {what}"), setting, limit)));
            }
        }
        let mut nodes = Vec::with_capacity(raw.nodes.items.len());
        for (position, raw) in raw.nodes.items.into_iter().enumerate() {
            if let Some(node) = node(position, raw)? {
                nodes.push(node);
            }
        }
        let find = |id: &serde_json::Value| id.as_str().and_then(|id| nodes.iter().position(|node| node.id == id));
        let mut edges = Vec::with_capacity(raw.edges.items.len());
        for raw in raw.edges.items {
            // An edge to a node that is not shown (an unknown type, a missing id) is not shown.
            let (Some(from), Some(to)) = (find(&raw.from_node), find(&raw.to_node)) else { continue };
            edges.push(Edge {
                from,
                to,
                from_side: Side::parse(raw.from_side.as_str()),
                to_side: Side::parse(raw.to_side.as_str()),
                from_arrow: raw.from_end.as_str() == Some("arrow"),
                to_arrow: raw.to_end.as_str() != Some("none"),
                color: Color::parse(&raw.color),
                label: raw.label.as_str().map(str::trim).filter(|label| !label.is_empty()).map(str::to_owned),
            });
        }
        Ok(Canvas { nodes, edges })
    }
}

/// The node `raw` (the `position`-th of the file), `None` when its type is unknown.
fn node(position: usize, raw: RawNode) -> Result<Option<Node>, CanvasError> {
    let Some(kind) = raw.kind.as_str() else {
        return Err(CanvasError::Invalid(format!("node {} has no type", position + 1)));
    };
    if !matches!(kind, "text" | "file" | "link" | "group") {
        return Ok(None);
    }
    let Some(id) = raw.id.as_str().filter(|id| !id.is_empty()) else {
        return Err(CanvasError::Invalid(format!("node {} ({kind}) has no id", position + 1)));
    };
    let name = || format!("node {:?}", short(id));
    let number = |value: &serde_json::Value, field: &str, valid: &dyn Fn(f64) -> bool, rule: &str| match value.as_f64()
    {
        Some(number) if number.is_finite() && valid(number) => Ok(number),
        _ => Err(CanvasError::Invalid(format!("{}: its {field} must be {rule}", name()))),
    };
    let coordinate = |value: &serde_json::Value, field: &str| {
        number(value, field, &|n| n.abs() <= MAX_CANVAS_COORDINATE, "a number within ±10000000")
    };
    let size = |value: &serde_json::Value, field: &str| {
        number(value, field, &|n| n > 0.0 && n <= MAX_CANVAS_SIZE, "a number above 0 and at most 100000")
    };
    let text = |value: &serde_json::Value, field: &str, required: bool| match value {
        serde_json::Value::String(text) => Ok(Some(text.clone())),
        serde_json::Value::Null if !required => Ok(None),
        _ => Err(CanvasError::Invalid(format!("{}: its {field} must be a string", name()))),
    };
    let kind = match kind {
        "text" => NodeKind::Text { text: text(&raw.text, "text", false)?.unwrap_or_default() },
        "file" => NodeKind::File {
            file: text(&raw.file, "file", true)?.unwrap_or_default(),
            subpath: text(&raw.subpath, "subpath", false)?
                .filter(|subpath| !subpath.trim_start_matches('#').is_empty()),
        },
        "link" => NodeKind::Link { url: text(&raw.url, "url", true)?.unwrap_or_default() },
        _ => NodeKind::Group { label: text(&raw.label, "label", false)?.filter(|label| !label.trim().is_empty()) },
    };
    Ok(Some(Node {
        id: id.to_owned(),
        x: coordinate(&raw.x, "x")?,
        y: coordinate(&raw.y, "y")?,
        width: size(&raw.width, "width")?,
        height: size(&raw.height, "height")?,
        color: Color::parse(&raw.color),
        kind,
    }))
}

impl Node {
    fn contains(&self, other: &Node) -> bool {
        self.x <= other.x
            && self.y <= other.y
            && other.x + other.width <= self.x + self.width
            && other.y + other.height <= self.y + self.height
    }

    fn area(&self) -> f64 {
        self.width * self.height
    }

    fn is_group(&self) -> bool {
        matches!(self.kind, NodeKind::Group { .. })
    }

    /// A short name of the node, for the list of connections: a text card's first line, a
    /// file's name, a link's URL, a group's label. At most 80 characters, plain text.
    pub fn name(&self) -> String {
        let name = match &self.kind {
            NodeKind::Text { text } => text
                .lines()
                .map(|line| line.trim().trim_start_matches(['#', '>', '-', '*', ' ']).trim())
                .find(|line| !line.is_empty())
                .unwrap_or("Text card")
                .replace("![[", "")
                .replace("[[", "")
                .replace("]]", ""),
            NodeKind::File { file, .. } => file.rsplit('/').next().unwrap_or(file).to_owned(),
            NodeKind::Link { url } => url.trim().to_owned(),
            NodeKind::Group { label } => label.clone().unwrap_or_else(|| "Group".to_owned()),
        };
        let mut short: String = name.chars().take(80).collect();
        if short.len() < name.len() {
            short.push('…');
        }
        short
    }
}

impl Canvas {
    /// The canvas as Markdown: its nodes in reading order, at most `max_cards` of them (then a
    /// line saying how many are left out), each a list item — a text card's Markdown, a file as
    /// an embed (`![[file#subpath]]`) or, for a file that is neither a note nor an image, a link;
    /// a link card's URL; a group's label in bold. What `![[Board.canvas]]` transcludes, and what
    /// the publisher looks for attachments in.
    pub fn markdown(&self, max_cards: usize) -> String {
        let mut out = String::new();
        let mut shown = 0;
        let mut depth = 0usize;
        for step in self.reading_order() {
            let node = match step {
                Step::Open(node) | Step::Card(node) => node,
                Step::Close => {
                    depth = depth.saturating_sub(1);
                    continue;
                }
            };
            if shown == max_cards {
                let left = self.nodes.len() - shown;
                let _ = writeln!(out, "\n*… and {left} more.*");
                return out;
            }
            shown += 1;
            let indent = "  ".repeat(depth);
            let node = &self.nodes[node];
            let body = match &node.kind {
                NodeKind::Text { text } => text.clone(),
                NodeKind::File { file, subpath } => match file_embed(file, subpath.as_deref()) {
                    Some(markdown) => markdown,
                    None => format!("`{}` (not published)", node.name().replace('`', "'")),
                },
                NodeKind::Link { url } => match web_url(url) {
                    Some(url) => format!("<{}>", url.replace(['<', '>', ' '], "")),
                    None => format!("`{}`", url.replace('`', "'")),
                },
                NodeKind::Group { .. } => format!("**{}**", node.name().replace(['*', '_', '`'], "")),
            };
            if let Step::Open(_) = step {
                depth += 1;
            }
            let _ = write!(out, "{indent}- ");
            let inner = format!("{indent}  ");
            for (i, line) in body.lines().enumerate() {
                if i > 0 {
                    out.push_str(&inner);
                }
                out.push_str(line);
                out.push('\n');
            }
            if body.lines().next().is_none() {
                out.push('\n');
            }
        }
        out
    }
}

/// `![[file#subpath]]` for a file a wikilink can name (no `[`, `]`, `|` or line break), else
/// `None`. A file that is neither a note nor an image is linked, not embedded.
fn file_embed(file: &str, subpath: Option<&str>) -> Option<String> {
    let forbidden = |text: &str| text.contains(['[', ']', '|', '\n', '\r']);
    let subpath = subpath.map(|sub| sub.trim_start_matches('#'));
    if file.trim().is_empty() || forbidden(file) || subpath.is_some_and(forbidden) || file.contains('#') {
        return None;
    }
    let target = match subpath {
        Some(subpath) => format!("{file}#{subpath}"),
        None => file.to_owned(),
    };
    Some(match FileKind::of(file) {
        FileKind::Note | FileKind::Image => format!("![[{target}]]"),
        FileKind::Other => format!("[[{target}]]"),
    })
}

/// What a file card shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// A note or a canvas: its transclusion.
    Note,
    /// An image: the image.
    Image,
    /// Anything else: a link to it.
    Other,
}

impl FileKind {
    fn of(file: &str) -> FileKind {
        let name = file.rsplit('/').next().unwrap_or(file);
        let extension = name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase());
        match extension.as_deref() {
            None | Some("md" | "canvas") => FileKind::Note,
            Some("png" | "jpg" | "jpeg" | "gif" | "webp" | "svg" | "avif" | "bmp") => FileKind::Image,
            Some(_) => FileKind::Other,
        }
    }
}

/// The URL of a link card when it is a web address (`http:` or `https:`).
fn web_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let scheme = url.split_once(':')?.0;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")).then_some(url)
}

mod order;
mod page;

pub use order::Step;
pub use page::render_canvas;

#[cfg(test)]
mod tests;
