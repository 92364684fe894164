//! `rechunk`: the same values cut into new chunks.
//!
//! Values computed on the fly (random numbers, ranges and maps of them) can be produced
//! for any region, so a rechunk of them only changes which regions tasks ask for. Values
//! that come a whole block at a time (chunks read from a store, a user function's blocks)
//! are different: every output chunk reads each input block it overlaps. When the
//! chunkings cross badly (rows to columns) that re-reads the input many times over, so the
//! plan stages the rechunk as rechunker and Cubed do: a first stage reads each input block
//! once and writes an intermediate store whose chunks are the elementwise minimum of the
//! old and new chunk shapes (in memory under the budget, spilled to disk when it does not
//! fit), and the output reads the intermediate. The choice is made by counting the bytes
//! each way reads. Under MPI the intermediate is a zarr store in the job's shared work
//! directory instead: each worker rank writes its share of it, and every rank reads it.

use super::chunks::{ChunkSpec, normalize_chunks};
use super::{Array, ArrayError};
use crate::dtype::Element;
use crate::exec::stage::Stage;
use crate::graph::block::{BlockCompute, BlockEval, eval_by_input_blocks};
use crate::graph::chunks::{BlockGrid, Chunks};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
    reads_whole_blocks,
};
use crate::graph::region::Region;
use crate::graph::write::WriteStage;
use crate::store::intermediate::{intermediate_store, shared_intermediate_store};
use std::sync::Arc;

/// Input reads of one way of rechunking, in units of the input's size.
///
/// Output chunks are made in row-major order, each reading the input chunks it overlaps
/// one at a time, and the reader keeps the last input chunk it read (as the evaluator of a
/// stored array does), so consecutive output chunks that need the same input chunk read it
/// once. Very large grids fall back to assuming no reuse.
///
/// ```
/// use spillway::array::rechunk::read_amplification;
/// use spillway::Chunks;
/// let rows = Chunks::from_lengths(vec![vec![10; 10], vec![100]]);
/// let cols = Chunks::from_lengths(vec![vec![100], vec![10; 10]]);
/// assert_eq!(read_amplification(&rows, &cols), 10.0); // every column chunk reads all rows
/// assert_eq!(read_amplification(&rows, &rows), 1.0);
/// let tiles = Chunks::from_lengths(vec![vec![10; 10], vec![10; 10]]);
/// assert_eq!(read_amplification(&rows, &tiles), 1.0); // a row of tiles reuses its row
/// ```
pub fn read_amplification(input: &Chunks, output: &Chunks) -> f64 {
    let ndim = input.ndim();
    let total: f64 = input
        .as_vecs()
        .iter()
        .map(|v| v.iter().sum::<usize>() as f64)
        .product();
    if total == 0.0 || ndim == 0 {
        return 1.0;
    }
    let in_offsets: Vec<Vec<usize>> = input.as_vecs().iter().map(|v| offsets(v)).collect();
    // per axis and output chunk: the range of input chunks it overlaps
    let overlaps: Vec<Vec<(usize, usize)>> = (0..ndim)
        .map(|axis| {
            let grid = &in_offsets[axis];
            let mut start = 0;
            output.as_vecs()[axis]
                .iter()
                .map(|&len| {
                    let first = grid.partition_point(|&o| o <= start) - 1;
                    let last = grid.partition_point(|&o| o < start + len).max(first + 1);
                    start += len;
                    (first, last.min(grid.len() - 1))
                })
                .collect()
        })
        .collect();
    let work: f64 = overlaps
        .iter()
        .map(|axis| axis.iter().map(|(a, b)| (b - a) as f64).sum::<f64>())
        .product();
    let block_elems = |block: &[usize]| -> f64 {
        (0..ndim)
            .map(|a| (in_offsets[a][block[a] + 1] - in_offsets[a][block[a]]) as f64)
            .product()
    };
    if work > 4.0e6 {
        // too many to walk: every output chunk reads its overlaps in full
        let read: f64 = (0..ndim)
            .map(|axis| {
                overlaps[axis]
                    .iter()
                    .map(|&(a, b)| (in_offsets[axis][b] - in_offsets[axis][a]) as f64)
                    .sum::<f64>()
            })
            .product();
        return read / total;
    }
    let mut read = 0.0;
    let mut held: Option<Vec<usize>> = None;
    let numblocks: Vec<usize> = output.numblocks();
    let mut out_block = vec![0usize; ndim];
    'outer: loop {
        // visit the overlapped input chunks of this output chunk in row-major order
        let ranges: Vec<(usize, usize)> = (0..ndim).map(|a| overlaps[a][out_block[a]]).collect();
        let mut in_block: Vec<usize> = ranges.iter().map(|r| r.0).collect();
        loop {
            if held.as_ref() != Some(&in_block) {
                read += block_elems(&in_block);
                held = Some(in_block.clone());
            }
            let mut axis = ndim;
            loop {
                if axis == 0 {
                    break;
                }
                axis -= 1;
                in_block[axis] += 1;
                if in_block[axis] < ranges[axis].1 {
                    break;
                }
                in_block[axis] = ranges[axis].0;
                if axis == 0 {
                    axis = usize::MAX;
                    break;
                }
            }
            if axis == usize::MAX {
                break;
            }
        }
        let mut axis = ndim;
        loop {
            if axis == 0 {
                break 'outer;
            }
            axis -= 1;
            out_block[axis] += 1;
            if out_block[axis] < numblocks[axis] {
                break;
            }
            out_block[axis] = 0;
        }
    }
    read / total
}

fn offsets(lengths: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(lengths.len() + 1);
    let mut acc = 0;
    out.push(0);
    for &l in lengths {
        acc += l;
        out.push(acc);
    }
    out
}

/// The regular chunk shape of the intermediate store of a staged rechunk: the elementwise
/// minimum of the largest old and new chunk lengths.
fn intermediate_chunk_shape(input: &Chunks, output: &Chunks) -> Vec<usize> {
    input
        .chunksize()
        .iter()
        .zip(output.chunksize())
        .map(|(&a, b)| a.min(b).max(1))
        .collect()
}

/// Extra cost of writing and reading back an intermediate, in units of the input's size.
const STAGING_COST: f64 = 2.0;

/// The intermediate chunk shape when staging reads less than reading directly.
fn staging_choice(input: &Chunks, output: &Chunks) -> Option<Vec<usize>> {
    let direct = read_amplification(input, output);
    let middle = intermediate_chunk_shape(input, output);
    let shape: Vec<usize> = input.as_vecs().iter().map(|v| v.iter().sum()).collect();
    let staged = read_amplification(input, &Chunks::regular(&shape, &middle)) + STAGING_COST;
    (staged < direct).then_some(middle)
}

impl<T: Element> Array<T> {
    /// The same values in new chunks, as Dask's `x.rechunk(chunks)`: any [`ChunkSpec`]
    /// (`1000`, `[1000, -1]`, explicit lengths, `"64MiB"`). Nothing is computed until the
    /// result is; under the hood the plan reads the input directly or through a staged
    /// intermediate, whichever reads fewer bytes (see the module docs).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 10, 1, 4);
    /// let y = x.rechunk(3);
    /// assert_eq!(y.chunks().to_string(), "((3, 3, 3, 1),)");
    /// assert_eq!(y.compute_vec().unwrap(), x.compute_vec().unwrap());
    /// ```
    pub fn rechunk(&self, chunks: impl Into<ChunkSpec>) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let chunks = match normalize_chunks(&chunks.into(), self.shape(), T::DTYPE.itemsize()) {
            Ok(c) => c,
            Err(e) => return Array::invalid(e),
        };
        if &chunks == self.chunks() {
            return self.clone();
        }
        if chunks.ndim() != self.ndim() {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "rechunk",
                message: format!(
                    "chunks {chunks} have {} axes but the array has {}",
                    chunks.ndim(),
                    self.ndim()
                ),
            });
        }
        let input_node = self.expr.clone().as_node();
        let whole_blocks = reads_whole_blocks(&input_node);
        let staged = if whole_blocks {
            staging_choice(self.chunks(), &chunks)
        } else {
            None
        };
        Array::from_expr(Arc::new(RechunkExpr {
            meta: NodeMeta::new("rechunk", self.shape().to_vec(), chunks, T::DTYPE),
            input: self.expr.clone(),
            whole_blocks,
            staged,
        }))
    }
}

struct RechunkExpr<T: Element> {
    meta: NodeMeta,
    input: ExprRef<T>,
    /// The input reads whole blocks: assemble output blocks one input block at a time.
    whole_blocks: bool,
    /// The intermediate store's chunk shape, when the input is staged through one.
    staged: Option<Vec<usize>>,
}

node_debug!([T: Element] RechunkExpr<T>, ", staged {:?}", staged);

impl<T: Element> Node for RechunkExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        if !self.whole_blocks {
            return 0;
        }
        let item = std::mem::size_of::<T>();
        let block: usize = self.meta.chunks.chunksize().iter().product();
        let middle: usize = self.staged.as_ref().map_or(0, |c| c.iter().product());
        // the output block assembled, a tile, and the intermediate chunk being read
        ((block + tile_elems + middle) * item) as u64
    }
    fn computes_whole_blocks(&self) -> bool {
        self.whole_blocks
    }
    fn stages_input(&self) -> bool {
        self.staged.is_some()
    }
    fn staging_stage(&self, ctx: &Arc<EvalContext>, input_scratch: u64) -> Option<Box<dyn Stage>> {
        let middle = self.staged.clone()?;
        let shape = self.meta.shape.clone();
        let label = self.input.meta().label.clone();
        let reader = self.meta.id;
        let publish_to = ctx.clone();
        let settings_from = ctx.clone();
        // under MPI the intermediate is a zarr store in the job's work directory: each
        // rank writes its share of it and every rank reads it
        let shared = crate::exec::collective::spread();
        let stage = WriteStage::deferred(
            self.input.clone(),
            middle.clone(),
            (
                Box::new(move |budget| {
                    let (store, meter) = match crate::exec::collective::scratch_path(&label) {
                        Some(path) => shared_intermediate_store::<T>(&path, &shape, &middle)?,
                        None => {
                            let settings = settings_from.spill_settings();
                            intermediate_store::<T>(budget, &settings, &shape, &middle, &label)?
                        }
                    };
                    settings_from.add_late_meter(meter);
                    Ok(store)
                }),
                Box::new(move |store| publish_to.set_intermediate(reader, store)),
            ),
            shared,
            ctx.clone(),
            input_scratch,
        );
        Some(Box::new(Arc::new(stage)))
    }
}

impl<T: Element> Expr<T> for RechunkExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        if !self.whole_blocks {
            // values computed on the fly: any region can be asked for directly
            return ctx.build(&self.input);
        }
        let (input, input_chunks) = match ctx.intermediate::<T>(self.meta.id) {
            Some(store) => {
                let chunks = Chunks::regular(store.shape(), store.chunk_shape());
                let source = super::stored::from_store(store, "intermediate", None);
                (source.expr.evaluator(ctx), chunks)
            }
            None => (ctx.build(&self.input), self.input.meta().chunks.clone()),
        };
        Box::new(BlockEval::new(
            &self.meta.chunks,
            Assemble {
                input,
                input_grid: BlockGrid::new(&input_chunks),
                tile_elems: ctx.tile_elems(),
                tile: Scratch::default(),
            },
        ))
    }
}

/// Builds an output block from the input, one input block at a time.
struct Assemble<T: Element> {
    input: Box<dyn Eval<T>>,
    input_grid: BlockGrid,
    tile_elems: usize,
    tile: Scratch<T>,
}

impl<T: Element> BlockCompute<T> for Assemble<T> {
    fn compute_block(&mut self, _block: &[usize], region: &Region, out: &mut [T]) {
        eval_by_input_blocks(
            self.input.as_mut(),
            &self.input_grid,
            region,
            out,
            self.tile_elems,
            &mut self.tile,
        );
    }
}
