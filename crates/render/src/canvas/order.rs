//! The reading order of a canvas: top to bottom, then left to right, groups as sections.

use super::{Canvas, MAX_CANVAS_GROUP_DEPTH};

/// One step of the reading order of a canvas ([`Canvas::reading_order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A group starts: the nodes up to its [`Step::Close`] are inside it.
    Open(usize),
    /// A card (a node that is not a group).
    Card(usize),
    /// The group last opened ends.
    Close,
}

impl Canvas {
    /// The nodes in reading order: top to bottom, then left to right; each group opens a section
    /// holding the nodes it surrounds (a node belongs to the smallest group around it), groups
    /// nested at most [`MAX_CANVAS_GROUP_DEPTH`] deep. Every node is in it once.
    pub fn reading_order(&self) -> Vec<Step> {
        let nodes = &self.nodes;
        // A group may hold a node only if it is larger, or as large and below it: the relation
        // has no cycle, so every chain of groups ends.
        let holds = |group: usize, node: usize| {
            let (g, n) = (&nodes[group], &nodes[node]);
            group != node
                && g.is_group()
                && g.contains(n)
                && (g.area() > n.area() || (g.area() == n.area() && group < node))
        };
        let groups: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].is_group()).collect();
        let mut parent: Vec<Option<usize>> = (0..nodes.len())
            .map(|node| {
                groups
                    .iter()
                    .copied()
                    .filter(|&group| holds(group, node))
                    .min_by(|&a, &b| nodes[a].area().total_cmp(&nodes[b].area()).then(b.cmp(&a)))
            })
            .collect();
        // Parents before children (larger first), so that each chain below is already capped.
        let mut by_size: Vec<usize> = (0..nodes.len()).collect();
        by_size.sort_by(|&a, &b| nodes[b].area().total_cmp(&nodes[a].area()).then(a.cmp(&b)));
        for &node in &by_size {
            let mut chain = Vec::new();
            let mut up = parent[node];
            while let Some(group) = up {
                chain.push(group);
                up = parent[group];
            }
            // A group opens one more section: at most MAX_CANVAS_GROUP_DEPTH - 1 above it.
            let above = if nodes[node].is_group() { MAX_CANVAS_GROUP_DEPTH - 1 } else { MAX_CANVAS_GROUP_DEPTH };
            if chain.len() > above {
                parent[node] = Some(chain[chain.len() - above]);
            }
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len() + 1];
        for (node, parent) in parent.iter().enumerate() {
            children[parent.unwrap_or(nodes.len())].push(node);
        }
        for list in &mut children {
            list.sort_by(|&a, &b| {
                nodes[a].y.total_cmp(&nodes[b].y).then(nodes[a].x.total_cmp(&nodes[b].x)).then(a.cmp(&b))
            });
        }
        // Depth-first, without recursion: (container, next child).
        let mut steps = Vec::with_capacity(nodes.len() + 2 * groups.len());
        let mut stack = vec![(nodes.len(), 0)];
        while let Some((container, next)) = stack.pop() {
            let Some(&node) = children[container].get(next) else {
                if container != nodes.len() {
                    steps.push(Step::Close);
                }
                continue;
            };
            stack.push((container, next + 1));
            if nodes[node].is_group() {
                steps.push(Step::Open(node));
                stack.push((node, 0));
            } else {
                steps.push(Step::Card(node));
            }
        }
        steps
    }
}
