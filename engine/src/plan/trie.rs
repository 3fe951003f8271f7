//! The path trie: every simple path any route reads, merged into one tree, so an
//! event is parsed only along paths the mapping uses.

use crate::mapping::path::Segment;

pub type NodeId = u32;

/// The root node: the whole event.
pub const ROOT: NodeId = 0;

#[derive(Debug, Default, Clone)]
pub struct TrieNode {
    pub key_children: Vec<(Box<str>, NodeId)>,
    pub index_children: Vec<(usize, NodeId)>,
    /// A path ends here: its value is read as a whole.
    pub read_whole: bool,
    /// The value is a string of `Key: Value` lines, parsed into an object.
    pub key_values: bool,
}

impl TrieNode {
    pub fn has_children(&self) -> bool {
        !self.key_children.is_empty() || !self.index_children.is_empty()
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
                    Segment::Key(k) => parent.key_children.push((k.as_str().into(), id)),
                    Segment::Index(i) => parent.index_children.push((*i, id)),
                }
                id
            };
        }
        node
    }

    #[inline]
    pub fn child_key(&self, node: NodeId, key: &str) -> Option<NodeId> {
        self.nodes[node as usize]
            .key_children
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, id)| *id)
    }

    #[inline]
    pub fn child_index(&self, node: NodeId, index: usize) -> Option<NodeId> {
        self.nodes[node as usize]
            .index_children
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, id)| *id)
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
