//! Read-ahead: telling stored sources which chunks the next tasks will read.
//!
//! A worker that reads a chunk, computes on it and reads the next one leaves the disk idle
//! while it computes. When a stage's blocks map one to one onto the chunks of a stored
//! source (the source is reached from the stage's root through elementwise nodes on the
//! same chunks and transposes), the stage knows which chunks its next tasks will read
//! and hints them ([`Node::will_need_block`](super::node::Node::will_need_block)) as each
//! task starts; a zarr store then has the kernel read those files into the page cache in
//! the background. Hints cost no budgeted memory and are only hints: a wrong or
//! unanswered one costs some disk time, never a result.

use super::chunks::{BlockGrid, Chunks};
use super::node::{NodeId, NodeKind, NodeRef};
use super::region::MAX_NDIM;
use std::collections::HashSet;

/// The stored sources whose chunks follow a stage's blocks, and how block numbers map to
/// their chunk indices.
///
/// ```
/// use spillway::graph::prefetch::BlockPrefetch;
/// let x = spillway::random::random((4, 4), 2);
/// // random values are computed, not read: nothing to hint
/// assert!(BlockPrefetch::new(&x.node(), &x.node().meta().chunks).is_none());
/// ```
pub struct BlockPrefetch {
    grid: BlockGrid,
    /// Each source, with the root axis each of its axes follows.
    sources: Vec<(NodeRef, Vec<usize>)>,
}

impl std::fmt::Debug for BlockPrefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sources: Vec<(NodeId, &Vec<usize>)> = self
            .sources
            .iter()
            .map(|(node, axes)| (node.meta().id, axes))
            .collect();
        f.debug_struct("BlockPrefetch")
            .field("sources", &sources)
            .finish()
    }
}

impl BlockPrefetch {
    /// The read-ahead for tasks that compute `root`'s blocks on the grid `chunks`, or
    /// `None` when no source that reads whole chunks follows those blocks.
    pub fn new(root: &NodeRef, chunks: &Chunks) -> Option<BlockPrefetch> {
        if root.meta().chunks != *chunks {
            return None;
        }
        let identity: Vec<usize> = (0..chunks.ndim()).collect();
        let mut sources = Vec::new();
        let mut seen: HashSet<(NodeId, Vec<usize>)> = HashSet::new();
        let mut stack = vec![(root.clone(), identity)];
        while let Some((node, axes)) = stack.pop() {
            if !seen.insert((node.meta().id, axes.clone())) {
                continue;
            }
            if let Some(perm) = node.axis_permutation() {
                // output axis i is input axis perm[i]
                let mut input_axes = vec![0; axes.len()];
                for (i, &p) in perm.iter().enumerate() {
                    input_axes[p] = axes[i];
                }
                for input in node.inputs() {
                    if follows(&input.meta().chunks, chunks, &input_axes) {
                        stack.push((input, input_axes.clone()));
                    }
                }
                continue;
            }
            match node.kind() {
                NodeKind::Source if node.computes_whole_blocks() => sources.push((node, axes)),
                NodeKind::Elementwise if !node.stages_input() => {
                    for input in node.inputs() {
                        if input.meta().chunks == node.meta().chunks {
                            stack.push((input, axes.clone()));
                        }
                    }
                }
                _ => {}
            }
        }
        (!sources.is_empty()).then(|| BlockPrefetch {
            grid: BlockGrid::new(chunks),
            sources,
        })
    }

    /// Hints every source's chunk under block number `block` (on the stage's grid).
    pub fn hint(&self, block: usize) {
        if block >= self.grid.len() {
            return;
        }
        let index = self.grid.index(block);
        let mut chunk = [0usize; MAX_NDIM];
        for (node, axes) in &self.sources {
            for (k, &axis) in axes.iter().enumerate() {
                chunk[k] = index[axis];
            }
            node.will_need_block(&chunk[..axes.len()]);
        }
    }
}

/// Whether `inner`'s chunks along each axis `k` are `outer`'s along `axes[k]`.
fn follows(inner: &Chunks, outer: &Chunks, axes: &[usize]) -> bool {
    inner.ndim() == axes.len()
        && axes
            .iter()
            .enumerate()
            .all(|(k, &a)| inner.as_vecs()[k] == outer.as_vecs()[a])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::stored::from_store;
    use crate::store::{ChunkStore, MemoryStore, StoreError};
    use std::sync::{Arc, Mutex};

    /// A memory store that records the chunks it was told will be needed.
    struct Hinted {
        inner: MemoryStore<f64>,
        hints: Mutex<Vec<Vec<usize>>>,
    }

    impl ChunkStore<f64> for Hinted {
        fn shape(&self) -> &[usize] {
            self.inner.shape()
        }
        fn chunk_shape(&self) -> &[usize] {
            self.inner.chunk_shape()
        }
        fn read_chunk(&self, index: &[usize], out: &mut [f64]) -> Result<(), StoreError> {
            self.inner.read_chunk(index, out)
        }
        fn write_chunk(&self, index: &[usize], data: &[f64]) -> Result<(), StoreError> {
            self.inner.write_chunk(index, data)
        }
        fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
            self.inner.contains_chunk(index)
        }
        fn location(&self) -> String {
            "hinted".into()
        }
        fn will_need(&self, index: &[usize]) {
            self.hints.lock().unwrap().push(index.to_vec());
        }
    }

    fn hinted(shape: &[usize], chunk: &[usize]) -> (Arc<Hinted>, crate::Array<f64>) {
        let store = Arc::new(Hinted {
            inner: MemoryStore::new(shape, chunk, 0.0),
            hints: Mutex::new(Vec::new()),
        });
        let x = from_store(store.clone(), "x", None);
        (store, x)
    }

    #[test]
    fn a_transpose_hints_the_mirrored_chunk() {
        let (store, x) = hinted(&[6, 4], &[2, 2]);
        let y = (&x.t() * 2.0).exp(); // 2 x 3 blocks
        let node = y.node();
        let prefetch = BlockPrefetch::new(&node, &node.meta().chunks).expect("x follows");
        prefetch.hint(1); // block (0, 1) of y is chunk (1, 0) of x
        prefetch.hint(5); // block (1, 2) is chunk (2, 1)
        prefetch.hint(6); // past the grid: nothing
        assert_eq!(*store.hints.lock().unwrap(), vec![vec![1, 0], vec![2, 1]]);
    }

    #[test]
    fn a_three_axis_permutation_maps_each_axis() {
        let (store, x) = hinted(&[2, 4, 6], &[1, 2, 3]); // 2 x 2 x 2 chunks
        let y = x.transpose_axes(&[2, 0, 1]); // shape (6, 2, 4): y axis 0 is x axis 2
        let node = y.node();
        let prefetch = BlockPrefetch::new(&node, &node.meta().chunks).expect("x follows");
        prefetch.hint(4); // block (1, 0, 0) of y
        assert_eq!(*store.hints.lock().unwrap(), vec![vec![0, 0, 1]]);
    }

    #[test]
    fn both_operands_of_x_plus_x_t_are_hinted() {
        let (store, x) = hinted(&[4, 4], &[2, 2]);
        let y = &x + &x.t();
        let node = y.node();
        let prefetch = BlockPrefetch::new(&node, &node.meta().chunks).expect("x follows");
        prefetch.hint(1);
        let mut hints = store.hints.lock().unwrap().clone();
        hints.sort();
        assert_eq!(hints, vec![vec![0, 1], vec![1, 0]]);
    }

    #[test]
    fn other_chunks_and_other_grids_are_not_followed() {
        let (_, x) = hinted(&[4, 4], &[2, 2]);
        let rechunked = x.rechunk((4, 1));
        let node = rechunked.node();
        assert!(BlockPrefetch::new(&node, &node.meta().chunks).is_none());
        let node = x.node();
        let other = Chunks::regular(&[4, 4], &[4, 4]);
        assert!(BlockPrefetch::new(&node, &other).is_none());
    }
}
