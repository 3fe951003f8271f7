//! The path trie: every simple path any route reads, merged into one tree, so an
//! event is parsed only along paths the mapping uses.

use super::FastMap;
use crate::mapping::path::Segment;

pub type NodeId = u32;

/// The root node: the whole event.
pub const ROOT: NodeId = 0;

/// Children past this many are also found through a hash index: a scan is faster for
/// the few children most nodes have, a hash for a node with thousands (a route per
/// top-level field), which would make compiling and reading quadratic.
const INDEXED_FROM: usize = 16;

#[derive(Debug, Default, Clone)]
pub struct TrieNode {
    key_children: Vec<(Box<str>, NodeId)>,
    index_children: Vec<(usize, NodeId)>,
    /// Key children by key, once there are [`INDEXED_FROM`] of them.
    key_index: Option<Box<FastMap<Box<str>, NodeId>>>,
    /// Index children by index, once there are [`INDEXED_FROM`] of them.
    index_index: Option<Box<FastMap<usize, NodeId>>>,
    /// A path ends here: its value is read as a whole.
    pub read_whole: bool,
    /// The value is a string of `Key: Value` lines, parsed into an object.
    pub key_values: bool,
}

impl TrieNode {
    /// Every child node, keys first, in insertion order.
    pub fn children(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.key_children
            .iter()
            .map(|&(_, c)| c)
            .chain(self.index_children.iter().map(|&(_, c)| c))
    }

    pub fn has_children(&self) -> bool {
        !self.key_children.is_empty() || !self.index_children.is_empty()
    }

    #[inline]
    fn key_child(&self, key: &str) -> Option<NodeId> {
        if let Some(index) = &self.key_index {
            return index.get(key).copied();
        }
        self.key_children
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, id)| *id)
    }

    #[inline]
    fn index_child(&self, index: usize) -> Option<NodeId> {
        if let Some(by_index) = &self.index_index {
            return by_index.get(&index).copied();
        }
        self.index_children
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, id)| *id)
    }

    fn add_key_child(&mut self, key: &str, id: NodeId) {
        self.key_children.push((key.into(), id));
        if let Some(index) = &mut self.key_index {
            index.insert(key.into(), id);
        } else if self.key_children.len() >= INDEXED_FROM {
            self.key_index = Some(Box::new(self.key_children.iter().cloned().collect()));
        }
    }

    fn add_index_child(&mut self, i: usize, id: NodeId) {
        self.index_children.push((i, id));
        if let Some(index) = &mut self.index_index {
            index.insert(i, id);
        } else if self.index_children.len() >= INDEXED_FROM {
            self.index_index = Some(Box::new(self.index_children.iter().copied().collect()));
        }
    }
}

#[derive(Debug, Clone)]
pub struct Trie {
    pub nodes: Vec<TrieNode>,
}

impl Default for Trie {
    fn default() -> Self {
        Trie {
            nodes: vec![TrieNode::default()],
        }
    }
}

impl Trie {
    /// Adds a path and returns its node.
    pub fn insert(&mut self, segments: &[Segment]) -> NodeId {
        let mut node = ROOT;
        for seg in segments {
            let existing = match seg {
                Segment::Key(k) => self.child_key(node, k),
                Segment::Index(i) => self.child_index(node, *i),
            };
            node = if let Some(n) = existing {
                n
            } else {
                let id = NodeId::try_from(self.nodes.len()).expect("fewer than 2^32 paths");
                self.nodes.push(TrieNode::default());
                let parent = &mut self.nodes[node as usize];
                match seg {
                    Segment::Key(k) => parent.add_key_child(k, id),
                    Segment::Index(i) => parent.add_index_child(*i, id),
                }
                id
            };
        }
        node
    }

    #[inline]
    pub fn child_key(&self, node: NodeId, key: &str) -> Option<NodeId> {
        self.nodes[node as usize].key_child(key)
    }

    #[inline]
    pub fn child_index(&self, node: NodeId, index: usize) -> Option<NodeId> {
        self.nodes[node as usize].index_child(index)
    }

    pub fn node(&self, id: NodeId) -> &TrieNode {
        &self.nodes[id as usize]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Parent of every node (the root's parent is itself), for consumption marks.
    pub fn parents(&self) -> Vec<NodeId> {
        let mut parents = vec![ROOT; self.nodes.len()];
        for (id, node) in self.nodes.iter().enumerate() {
            for &(_, child) in &node.key_children {
                parents[child as usize] = id as NodeId;
            }
            for &(_, child) in &node.index_children {
                parents[child as usize] = id as NodeId;
            }
        }
        parents
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn children_are_found_before_and_after_the_hash_index_takes_over() {
        let mut trie = Trie::default();
        let n = INDEXED_FROM * 4;
        let ids: Vec<NodeId> = (0..n)
            .map(|i| trie.insert(&[key(&format!("k{i}")), Segment::Index(i)]))
            .collect();
        let list = trie.insert(&[key("list")]);
        let items: Vec<NodeId> = (0..n)
            .map(|i| trie.insert(&[key("list"), Segment::Index(i)]))
            .collect();
        for i in 0..n {
            let parent = trie.child_key(ROOT, &format!("k{i}")).unwrap();
            assert_eq!(trie.child_index(parent, i), Some(ids[i]));
            assert_eq!(trie.child_index(list, i), Some(items[i]));
            // Inserting again finds the same node.
            assert_eq!(
                trie.insert(&[key(&format!("k{i}")), Segment::Index(i)]),
                ids[i]
            );
        }
        assert_eq!(trie.child_key(ROOT, "absent"), None);
        assert_eq!(trie.child_index(list, n), None);
        let parents = trie.parents();
        assert!(items.iter().all(|&c| parents[c as usize] == list));
    }
}
