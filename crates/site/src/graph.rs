//! The link graph of a site: [`Site::graph_json`] (the document the graph script draws, made
//! once per revision), the panel of each page's neighbours ([`Site::neighbours`]; the list a
//! reader without JavaScript gets) and the global graph page ([`Site::graph_page`]).
//!
//! Like every document but a page's own, the graph is the listed pages' only: an unlisted,
//! protected or private page is no node, and no edge leads to it. A link that resolved to no
//! page is no edge. Its size is bounded: at most `max_nodes` nodes (the most linked pages when
//! there are more, and the document says so), and each node's edges are the page's own links
//! (bounded by the render limits on a note's links).

use std::collections::HashMap;

use serde::Serialize;

use crate::escape::escape;
use crate::layout::{Document, Served};
use crate::site::Site;
use crate::tags::spelling_segments;

/// The route of the global graph page.
pub const GRAPH_ROUTE: &str = "/graph";

/// The route of the graph document ([`Site::graph_json`]).
pub const GRAPH_JSON_ROUTE: &str = "/_graph.json";

/// Neighbours a page's panel lists; past them, "N more…" (the graph script still draws them all).
pub(crate) const NEIGHBOURS_SHOWN: usize = 50;

/// The graph document: nodes (listed pages), the tags they carry and the links between them.
#[derive(Serialize)]
struct GraphDocument<'s> {
    /// Every node, in the site's page order.
    nodes: Vec<Node<'s>>,
    /// The tags the nodes carry (`g` of a node indexes this list), as the site writes them.
    tags: Vec<String>,
    /// `[source, target]` pairs of node indexes: source links to target (each pair once, no
    /// self link).
    edges: Vec<[u32; 2]>,
    /// The number of listed pages; more than `nodes.len()` when the graph was cut to the most
    /// linked ones.
    pages: usize,
}

#[derive(Serialize)]
struct Node<'s> {
    /// The page's path, percent-encoded, from the site's root (`/` for the home page): the
    /// script resolves it against the site's root URL, so the document works under any prefix.
    r: String,
    /// The title.
    t: &'s str,
    /// Indexes of the page's tags in `tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    g: Vec<u32>,
}

impl Site {
    /// The listed pages page `index` links to (each once, itself excepted), in page order.
    /// O(k log k) in its k links.
    fn links_out(&self, index: usize) -> Vec<usize> {
        let mut out: Vec<usize> = self.derived[index]
            .links
            .iter()
            .filter_map(|route| if route == "/" { self.home } else { self.by_route.get(route).copied() })
            .filter(|&target| target != index && !self.pages[target].unlisted)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The listed pages linked with page `index` either way (its links and its backlinks), each
    /// once, by title: the local graph at depth 1. O(k log k) in its k links and backlinks.
    pub(crate) fn neighbours_of(&self, index: usize) -> Vec<usize> {
        let mut all = self.links_out(index);
        all.extend_from_slice(&self.backlinks[index]);
        all.sort_unstable();
        all.dedup();
        all.sort_unstable_by(|&a, &b| self.title_cmp(a, b));
        all
    }

    /// The routes of the pages linked with the page at `route` either way, by title: what its
    /// local graph shows at depth 1. `None` for an unknown route.
    pub fn neighbours(&self, route: &str) -> Option<Vec<&str>> {
        let index = self.page_index(route)?;
        Some(self.neighbours_of(index).into_iter().map(|n| self.pages[n].route.as_str()).collect())
    }

    /// The graph document (JSON) of the listed pages: `{"nodes":[{"r":path,"t":title,"g":[tag
    /// indexes]}],"tags":[…],"edges":[[source,target]…],"pages":count}`. With more than
    /// `max_nodes` listed pages, the `max_nodes` most linked ones (links either way) and the
    /// edges between them. O(pages + links) time and output.
    pub fn graph_json(&self, max_nodes: usize) -> String {
        let listed: Vec<usize> = (0..self.pages.len()).filter(|&i| !self.pages[i].unlisted).collect();
        let outgoing: Vec<Vec<usize>> = (0..self.pages.len())
            .map(|i| if self.pages[i].unlisted { Vec::new() } else { self.links_out(i) })
            .collect();
        let mut chosen = listed.clone();
        if chosen.len() > max_nodes {
            let degree = |i: usize| outgoing[i].len() + self.backlinks[i].len();
            chosen.sort_by(|&a, &b| degree(b).cmp(&degree(a)).then(a.cmp(&b)));
            chosen.truncate(max_nodes);
            chosen.sort_unstable();
        }
        let node_of: HashMap<usize, u32> = chosen.iter().enumerate().map(|(n, &i)| (i, n as u32)).collect();
        let mut tags: Vec<String> = Vec::new();
        let mut tag_of: HashMap<String, u32> = HashMap::new();
        let mut nodes = Vec::with_capacity(chosen.len());
        let mut edges = Vec::new();
        for &i in &chosen {
            let page = &self.pages[i];
            let mut g = Vec::new();
            for tag in &page.tags {
                let spelling = spelling_segments(tag).join("/");
                let Some(entry) = self.tags.get(&spelling) else { continue };
                let next = tags.len() as u32;
                let id = *tag_of.entry(entry.key.clone()).or_insert_with(|| {
                    tags.push(entry.name.clone());
                    next
                });
                if !g.contains(&id) {
                    g.push(id);
                }
            }
            nodes.push(Node { r: self.href(&page.route), t: &page.title, g });
            let source = node_of[&i];
            edges.extend(outgoing[i].iter().filter_map(|target| node_of.get(target)).map(|&target| [source, target]));
        }
        let document = GraphDocument { nodes, tags, edges, pages: listed.len() };
        serde_json::to_string(&document).expect("a graph serialises")
    }

    /// The panel of page `index`'s neighbours: the local graph's place (the script draws it from
    /// the graph document) and, for every reader, the neighbours as links.
    pub(crate) fn graph_panel(&self, index: usize, neighbours: &[usize], more: usize) -> String {
        if !self.info.presentation.show_graph {
            return String::new();
        }
        let words = self.words;
        let route = self.public_path(&self.pages[index].route);
        let mut panel = format!(
            "<aside class=\"local-graph\" aria-labelledby=\"local-graph-title\" data-graph=\"{json}\" data-route=\"{route}\">\
<h2 id=\"local-graph-title\" class=\"local-graph-title\">{title}</h2>\
<div class=\"graph-canvas\" hidden></div>",
            json = escape(GRAPH_JSON_ROUTE),
            route = escape(&vps_core::url::encode_path(route)),
            title = escape(words.connected_pages),
        );
        if neighbours.is_empty() {
            panel.push_str(&format!("<p class=\"graph-none\">{}</p>", escape(words.no_connected_pages)));
        } else {
            panel.push_str("<ul class=\"graph-neighbours\">");
            for &n in neighbours {
                panel.push_str(&format!(
                    "<li><a href=\"{}\" dir=\"auto\">{}</a></li>",
                    escape(&self.href(&self.pages[n].route)),
                    escape(&self.pages[n].title)
                ));
            }
            if more > 0 {
                panel.push_str(&format!("<li class=\"more\">{}</li>", escape(&(words.more)(more))));
            }
            panel.push_str("</ul>");
        }
        panel.push_str(&format!(
            "<p class=\"graph-open\"><a href=\"{}\">{}</a></p></aside>\n",
            escape(GRAPH_ROUTE),
            escape(words.open_graph)
        ));
        panel
    }

    /// The global graph page (`/graph`): the whole graph, drawn by the script; without it, a
    /// word on where to find every page.
    pub fn graph_page(&self) -> String {
        let words = self.words;
        let main = format!(
            "<header class=\"page-header\"><h1>{title}</h1></header>\n\
<div class=\"global-graph\" data-graph=\"{json}\">\
<div class=\"graph-controls\" hidden><label><input type=\"checkbox\" class=\"graph-show-tags\"> {show_tags}</label></div>\
<div class=\"graph-canvas\" hidden></div>\
<noscript><p>{needs_js}</p></noscript></div>\n\
<p><a href=\"/tags\">{tags}</a></p>",
            title = escape(words.graph),
            json = escape(GRAPH_JSON_ROUTE),
            show_tags = escape(words.show_tags),
            needs_js = escape(words.graph_needs_js),
            tags = escape(words.tags),
        );
        self.render_document(&Document {
            title: Some(words.graph),
            description: Document::description_or(None, words.graph),
            path: Some(GRAPH_ROUTE),
            served: Served::At(GRAPH_ROUTE),
            og_type: "website",
            image: None,
            noindex: true,
            nav_current: None,
            query: "",
            main,
        })
    }

    /// A key of everything [`Site::graph_page`] shows: its chrome (navigation included).
    pub fn graph_page_key(&self) -> [u8; 32] {
        use std::hash::Hash;
        let mut hasher = crate::derived::KeyHasher::new();
        "graph-page-1".hash(&mut hasher);
        self.hash_chrome(&mut hasher);
        self.tree.nav_items(&self.pages, None, None, self.listing_page_size).hash(&mut hasher);
        hasher.finish_key()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::model::{PageInfo, SiteInfo};
    use crate::{GRAPH_JSON_ROUTE, Site};

    fn page(route: &str, title: &str, links: &[&str], tags: &[&str]) -> PageInfo {
        PageInfo {
            route: route.into(),
            title: title.into(),
            vault_path: format!("{}.md", title),
            links_to: links.iter().map(|l| (*l).to_owned()).collect(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            ..PageInfo::default()
        }
    }

    fn site() -> Site {
        Site::new(
            SiteInfo::default(),
            vec![
                page("/a", "A", &["/b", "/b#x", "/c", "/missing", "/a", "/secret"], &["topic"]),
                page("/b", "B", &["/a"], &["Topic", "other"]),
                page("/c", "C", &[], &[]),
                page("/d", "D", &["/c"], &[]),
                PageInfo { unlisted: true, ..page("/secret", "Secret", &["/a"], &["hidden"]) },
            ],
        )
    }

    fn graph(site: &Site, max: usize) -> Value {
        serde_json::from_str(&site.graph_json(max)).unwrap()
    }

    fn edges(graph: &Value) -> Vec<(String, String)> {
        let route = |n: &Value| graph["nodes"][n.as_u64().unwrap() as usize]["r"].as_str().unwrap().to_owned();
        let mut edges: Vec<(String, String)> =
            graph["edges"].as_array().unwrap().iter().map(|e| (route(&e[0]), route(&e[1]))).collect();
        edges.sort();
        edges
    }

    #[test]
    fn the_graph_is_the_listed_pages_and_their_resolved_links() {
        let graph = graph(&site(), 100);
        let routes: Vec<&str> = graph["nodes"].as_array().unwrap().iter().map(|n| n["r"].as_str().unwrap()).collect();
        assert_eq!(routes, ["/a", "/b", "/c", "/d"], "no unlisted page");
        let pairs = |list: &[(&str, &str)]| list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
        let expected: Vec<(String, String)> = pairs(&[("/a", "/b"), ("/a", "/c"), ("/b", "/a"), ("/d", "/c")]);
        assert_eq!(edges(&graph), expected, "one edge per link, no self link, none to missing or unlisted");
        let site = site();
        let name = |tag: &str| site.tags.get(tag).unwrap().name.clone();
        assert_eq!(
            graph["tags"],
            serde_json::json!([name("topic"), name("other")]),
            "tags once, as the site writes them"
        );
        assert!(site.tags.get("hidden").is_none() && !graph.to_string().contains("hidden"));
        assert_eq!(graph["nodes"][1]["g"], serde_json::json!([0, 1]));
        assert_eq!(graph["nodes"][0]["t"], "A");
        assert_eq!(graph["pages"], 4);
    }

    #[test]
    fn a_graph_over_its_bound_keeps_the_most_linked_pages() {
        let graph = graph(&site(), 2);
        let routes: Vec<&str> = graph["nodes"].as_array().unwrap().iter().map(|n| n["r"].as_str().unwrap()).collect();
        assert_eq!(routes, ["/a", "/b"], "links either way: a 3, b 2, c 2, d 1; ties by page order");
        assert_eq!(edges(&graph), vec![("/a".to_owned(), "/b".to_owned()), ("/b".to_owned(), "/a".to_owned())]);
        assert_eq!(graph["pages"], 4, "the document says how many pages there are");
    }

    #[test]
    fn neighbours_are_links_either_way_by_title_and_the_panel_lists_them() {
        let site = site();
        assert_eq!(site.neighbours("/a").unwrap(), ["/b", "/c"]);
        assert_eq!(site.neighbours("/c").unwrap(), ["/a", "/d"], "backlinks are neighbours");
        assert_eq!(site.neighbours("/secret").unwrap(), ["/a"], "an unlisted page's own panel lists listed pages");
        assert_eq!(site.neighbours("/nope"), None);
        let html = site.page("/c", "<p>c</p>").unwrap();
        let panel = &html[html.find("<aside class=\"local-graph\"").unwrap()..];
        let panel = &panel[..panel.find("</aside>").unwrap()];
        assert!(panel.contains(&format!("data-graph=\"{}\"", &GRAPH_JSON_ROUTE[1..])), "relative: {panel}");
        assert!(panel.contains("<li><a href=\"a\" dir=\"auto\">A</a></li><li><a href=\"d\" dir=\"auto\">D</a></li>"));
        let lonely = Site::new(SiteInfo::default(), vec![page("/x", "X", &[], &[])]).page("/x", "").unwrap();
        assert!(lonely.contains("class=\"graph-none\""));
    }

    #[test]
    fn the_panel_follows_the_presentation_and_the_page_key_its_neighbours_titles() {
        let mut info = SiteInfo::default();
        info.presentation.show_graph = false;
        let hidden = Site::new(info, site().pages().to_vec());
        assert!(!hidden.page("/a", "").unwrap().contains("local-graph"));
        assert_ne!(hidden.shell_key("/a"), site().shell_key("/a"));
        let mut pages = site().pages().to_vec();
        pages[2].title = "C renamed".into();
        assert_ne!(Site::new(SiteInfo::default(), pages).shell_key("/a"), site().shell_key("/a"), "/a shows C's title");
    }

    #[test]
    fn the_graph_page_works_without_script_and_names_the_document() {
        let html = site().graph_page();
        assert!(html.contains("<noscript>") && html.contains("data-graph=\"_graph.json\""), "{html}");
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
    }
}
