//! The order a stage hands its tasks out in.
//!
//! Tasks run in block order unless reading in another order reads less. One case is
//! worth it: an expression that reads a whole-block input (a zarr chunk) both directly and
//! through a transpose, as `x + x.T` does. Task `(i, j)` reads chunks `(i, j)` and
//! `(j, i)`; so does task `(j, i)`. Run next to each other, the two tasks find both chunks
//! in the input's shared block pool ([`SharedBlocks`](super::shared_blocks::SharedBlocks))
//! and every chunk is read once instead of twice.

use super::chunks::{BlockGrid, Chunks};
use super::node::{NodeId, NodeRef};
use super::region::MAX_NDIM;
use std::collections::{HashMap, HashSet};

/// The order of the blocks of `chunks` (the grid of the stage computing `root`'s values)
/// in which block `b` is followed by its image under a transpose that `root` reads a
/// whole-block input through, when `root` also reads that input directly: `None` when
/// there is no such transpose (then block order is best). Reductions that run as stages
/// of their own (computed before `root`'s stage) are not walked.
///
/// ```
/// use spillway::graph::order::pairing_order;
///
/// // a store-backed x would read whole blocks; a random array does not, so no pairing
/// let x = spillway::random::random([4, 4], 2);
/// let y = &x + &x.t();
/// assert!(pairing_order(&y.node(), y.node().meta().chunks.clone()).is_none());
/// ```
pub fn pairing_order(root: &NodeRef, chunks: Chunks) -> Option<Vec<usize>> {
    let perm = transpose_of_shared_input(root)?;
    if perm.len() != chunks.ndim() || chunks.permuted(&perm).as_vecs() != chunks.as_vecs() {
        return None;
    }
    let grid = BlockGrid::new(&chunks);
    let numblocks = grid.numblocks().to_vec();
    let number = |block: &[usize; MAX_NDIM]| {
        (0..numblocks.len()).fold(0, |n, a| n * numblocks[a] + block[a])
    };
    let mut seen = vec![false; grid.len()];
    let mut order = Vec::with_capacity(grid.len());
    for first in 0..grid.len() {
        let mut current = first;
        // follow the permutation's cycle from `first` (a pair for a two-axis swap)
        while !seen[current] {
            seen[current] = true;
            order.push(current);
            let block = grid.index(current);
            let mut image = [0usize; MAX_NDIM];
            for (axis, &p) in perm.iter().enumerate() {
                image[axis] = block[p];
            }
            current = number(&image);
        }
    }
    Some(order)
}

/// The task order for a stage over the blocks of `chunks` computing `root`: the pairing
/// order of [`pairing_order`] when `root` reads whole blocks somewhere below it, else
/// `None` (block order). What the reduction, write and output stages call.
///
/// ```
/// let x = spillway::random::random([4, 4], 2);
/// let y = &x + &x.t();
/// assert!(spillway::graph::order::task_order(&y.node(), y.node().meta().chunks.clone()).is_none());
/// ```
pub fn task_order(root: &NodeRef, chunks: Chunks) -> Option<Vec<usize>> {
    if !super::node::reads_whole_blocks(root) {
        return None;
    }
    pairing_order(root, chunks)
}

/// The permutation of a transpose under `root` whose input subgraph holds a whole-block
/// node that `root` also reads without a transpose.
fn transpose_of_shared_input(root: &NodeRef) -> Option<Vec<usize>> {
    // whole-block nodes reached directly, and those reached through a transpose (with
    // the permutation of the first transpose on the way)
    let mut direct: HashSet<NodeId> = HashSet::new();
    let mut transposed: HashMap<NodeId, Vec<usize>> = HashMap::new();
    let mut stack: Vec<(NodeRef, Option<Vec<usize>>)> = vec![(root.clone(), None)];
    let mut visited: HashSet<(NodeId, bool)> = HashSet::new();
    while let Some((node, through)) = stack.pop() {
        let id = node.meta().id;
        if !visited.insert((id, through.is_some())) {
            continue;
        }
        let staged = node.as_reduction().is_some_and(|r| !r.is_blockwise());
        if staged && id != root.meta().id {
            continue; // computed by an earlier stage: its input is not read here
        }
        if node.computes_whole_blocks() {
            match &through {
                None => {
                    direct.insert(id);
                }
                Some(perm) => {
                    transposed.entry(id).or_insert_with(|| perm.clone());
                }
            }
        }
        if node.stages_input() {
            continue; // it reads an intermediate store, not its input
        }
        let through = through.or_else(|| node.axis_permutation());
        for input in node.inputs() {
            stack.push((input, through.clone()));
        }
    }
    direct.iter().find_map(|id| transposed.get(id)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::stored::from_store;
    use crate::store::MemoryStore;
    use std::sync::Arc;

    fn stored(n: usize, c: usize) -> crate::Array<f64> {
        let store = Arc::new(MemoryStore::<f64>::new(&[n, n], &[c, c], 0.0));
        from_store(store, "x", None)
    }

    #[test]
    fn pairs_each_block_with_its_transpose() {
        let x = stored(6, 2);
        let y = &x + &x.t();
        let order = pairing_order(&y.node(), y.node().meta().chunks.clone())
            .expect("x is read directly and through x.T");
        // 3 x 3 blocks: (0,0); (0,1),(1,0); (0,2),(2,0); (1,1); (1,2),(2,1); (2,2)
        assert_eq!(order, vec![0, 1, 3, 2, 6, 4, 5, 7, 8]);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..9).collect::<Vec<_>>());
    }

    #[test]
    fn no_pairing_without_a_shared_whole_block_input() {
        let x = stored(6, 2);
        let t = x.t();
        assert!(pairing_order(&t.node(), t.node().meta().chunks.clone()).is_none());
        let other = stored(6, 2);
        let y = &x + &other.t();
        assert!(pairing_order(&y.node(), y.node().meta().chunks.clone()).is_none());
        // a grid that is not symmetric cannot pair
        let z = &x + &x.t();
        let uneven = Chunks::from_lengths(vec![vec![3, 3], vec![2, 2, 2]]);
        assert!(pairing_order(&z.node(), uneven).is_none());
    }
}
