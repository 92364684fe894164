//! Evaluators of nodes whose values come a whole block at a time.
//!
//! Most nodes fill any region tile by tile. Some can only produce whole output blocks: a
//! user function applied to a chunk (`map_blocks`), a matrix product (one output block
//! sums products of input panels), a stencil over a chunk and its halo. Such a node
//! implements [`BlockCompute`] and wraps it in a [`BlockEval`], which computes the block a
//! requested tile falls in once, keeps it in a reused buffer, and serves the block's
//! following tiles from it. A task covers one output chunk, so within a task every block
//! is computed exactly once; the node's `scratch_bytes` must count one block buffer.

use super::chunks::{BlockGrid, Chunks};
use super::node::Eval;
use super::region::{MAX_NDIM, Region, copy_between_boxes};
use crate::dtype::Element;

/// Computes one whole output block of a node.
pub trait BlockCompute<T: Element>: Send {
    /// Writes the values of the output block `block` (its multi-index on the node's chunk
    /// grid; `region` is its box) into `out`, row-major, `out.len() == region.size()`.
    fn compute_block(&mut self, block: &[usize], region: &Region, out: &mut [T]);
}

/// An [`Eval`] that serves any region from whole blocks computed by a [`BlockCompute`].
///
/// ```
/// use spillway::graph::block::{BlockCompute, BlockEval};
/// use spillway::graph::node::Eval;
/// use spillway::graph::region::Region;
/// use spillway::Chunks;
///
/// // a 1-d node of 10 elements in blocks of 4 whose value is 100 * block + offset
/// struct Numbered(usize);
/// impl BlockCompute<i64> for Numbered {
///     fn compute_block(&mut self, block: &[usize], _region: &Region, out: &mut [i64]) {
///         self.0 += 1; // count how many blocks were computed
///         for (i, v) in out.iter_mut().enumerate() {
///             *v = 100 * block[0] as i64 + i as i64;
///         }
///     }
/// }
/// let mut eval = BlockEval::new(&Chunks::from_lengths(vec![vec![4, 4, 2]]), Numbered(0));
/// let mut out = [0i64; 3];
/// eval.eval(&Region::new(&[3], &[3]), &mut out);
/// assert_eq!(out, [3, 100, 101]);
/// ```
pub struct BlockEval<T, C> {
    grid: BlockGrid,
    compute: C,
    /// The block held in `buffer`, if any.
    held: Option<[usize; MAX_NDIM]>,
    held_region: Option<Region>,
    buffer: Vec<T>,
}

impl<T: Element, C: BlockCompute<T>> BlockEval<T, C> {
    /// An evaluator of a node chunked as `chunks` whose blocks `compute` makes.
    pub fn new(chunks: &Chunks, compute: C) -> Self {
        BlockEval {
            grid: BlockGrid::new(chunks),
            compute,
            held: None,
            held_region: None,
            buffer: Vec::new(),
        }
    }

    /// The block computer (e.g. to read counters it keeps).
    pub fn inner(&self) -> &C {
        &self.compute
    }

    fn ensure(&mut self, block: &[usize; MAX_NDIM], region: &Region) {
        if self.held.as_ref() == Some(block) {
            return;
        }
        let size = region.size();
        if self.buffer.len() < size {
            self.buffer.resize(size, T::default());
        }
        let ndim = region.ndim();
        self.held = None;
        self.compute
            .compute_block(&block[..ndim], region, &mut self.buffer[..size]);
        self.held = Some(*block);
        self.held_region = Some(*region);
    }
}

impl<T: Element, C: BlockCompute<T>> Eval<T> for BlockEval<T, C> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let mut blocks = Vec::new();
        self.grid.for_each_block_in(region, |block, block_region| {
            blocks.push((*block, block_region))
        });
        for (block, block_region) in blocks {
            self.ensure(&block, &block_region);
            let held = self.held_region.expect("a block is held after ensure");
            if let Some(part) = held.intersect(region) {
                copy_between_boxes(&self.buffer[..held.size()], &held, out, region, &part);
            } else if region.ndim() == 0 {
                out[0] = self.buffer[0];
            }
        }
    }
}

/// Fills `out` (row-major over `region`) from `input`, one block of `input_grid` at a
/// time and tile by tile inside each block: an input that reads whole blocks (a store, a
/// [`BlockEval`]) then reads each block it overlaps once, and the tiles requested stay
/// tile-sized so fused chains keep their small buffers. `tile` is reused scratch.
pub fn eval_by_input_blocks<T: Element>(
    input: &mut dyn Eval<T>,
    input_grid: &BlockGrid,
    region: &Region,
    out: &mut [T],
    tile_elems: usize,
    tile: &mut super::node::Scratch<T>,
) {
    let mut parts = Vec::new();
    input_grid.for_each_block_in(region, |_, block_region| {
        if let Some(part) = block_region.intersect(region) {
            parts.push(part);
        }
    });
    for part in parts {
        for piece in part.tiles(tile_elems) {
            let buf = tile.get(piece.size());
            input.eval(&piece, buf);
            copy_between_boxes(buf, &piece, out, region, &piece);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Value = row-major global index; counts blocks computed.
    struct Global {
        shape: Vec<usize>,
        computed: usize,
    }
    impl BlockCompute<u64> for Global {
        fn compute_block(&mut self, _block: &[usize], region: &Region, out: &mut [u64]) {
            self.computed += 1;
            region.for_each_run(&self.shape, |flat, offset, len| {
                for i in 0..len {
                    out[offset + i] = (flat + i) as u64;
                }
            });
        }
    }

    #[test]
    fn tiles_of_a_block_compute_it_once_and_read_correct_values() {
        let shape = vec![7, 9];
        let chunks = Chunks::from_lengths(vec![vec![3, 3, 1], vec![4, 4, 1]]);
        let mut eval = BlockEval::new(
            &chunks,
            Global {
                shape: shape.clone(),
                computed: 0,
            },
        );
        let grid = BlockGrid::new(&chunks);
        for b in 0..grid.len() {
            let block = grid.region(&grid.index(b));
            for tile in block.tiles(2) {
                let mut out = vec![0u64; tile.size()];
                eval.eval(&tile, &mut out);
                let mut want = vec![0u64; tile.size()];
                tile.for_each_run(&shape, |flat, offset, len| {
                    for i in 0..len {
                        want[offset + i] = (flat + i) as u64;
                    }
                });
                assert_eq!(out, want);
            }
        }
        assert_eq!(eval.inner().computed, grid.len());
    }

    #[test]
    fn a_region_across_blocks_is_assembled() {
        let shape = vec![7, 9];
        let chunks = Chunks::from_lengths(vec![vec![3, 3, 1], vec![4, 4, 1]]);
        let mut eval = BlockEval::new(
            &chunks,
            Global {
                shape: shape.clone(),
                computed: 0,
            },
        );
        let region = Region::new(&[1, 2], &[6, 7]);
        let mut out = vec![0u64; region.size()];
        eval.eval(&region, &mut out);
        let mut want = vec![0u64; region.size()];
        region.for_each_run(&shape, |flat, offset, len| {
            for i in 0..len {
                want[offset + i] = (flat + i) as u64;
            }
        });
        assert_eq!(out, want);
    }
}
