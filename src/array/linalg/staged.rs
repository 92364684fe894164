//! Nodes computed once in a stage of their own, whose values later stages read from
//! memory: small matrices made from small inputs (the R of a QR, an SVD of it, a
//! projected matrix), and the R factor of a tall-and-skinny matrix by TSQR.
//!
//! They plug into the planner through its reduction face ([`ReductionNode`]): the
//! planner runs staged nodes first, in dependency order, and every evaluator built after
//! that reads their stored values instead of recomputing them. Each node reads its inputs
//! through a private [`Bundle`] node, so it never shares a stage with another reduction.

use super::contract::pull;
use crate::dtype::Element;
use crate::error::Result;
use crate::exec::error::Result as ExecResult;
use crate::exec::stage::{Stage, StageWorker};
use crate::graph::chunks::{BlockGrid, Chunks};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
};
use crate::graph::reduce::ReductionNode;
use crate::graph::region::Region;
use crate::kernels::dense::{LinalgFloat, qr_r, qr_r_stacked};
use crate::memory::{MemoryBudget, Reservation};
use ndarray::{ArrayD, IxDyn};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a stage waits for memory other computations hold.
const RESERVE_WAIT: Duration = Duration::from_secs(600);

fn bytes<T>(elems: usize) -> u64 {
    (elems * std::mem::size_of::<T>()) as u64
}

/// A private node over a staged node's inputs: its identity keeps the staged node out of
/// other reductions' stages, and the planner sums its inputs' tile scratch through it.
pub(crate) struct Bundle<T: Element> {
    meta: NodeMeta,
    inputs: Vec<ExprRef<T>>,
}

node_debug!([T: Element] Bundle<T>);

impl<T: Element> Bundle<T> {
    fn new(inputs: Vec<ExprRef<T>>) -> Arc<Self> {
        let first = inputs.first().map(|x| x.meta().clone());
        let (shape, chunks) = first.map_or((vec![], Chunks(vec![])), |m| (m.shape, m.chunks));
        Arc::new(Bundle {
            meta: NodeMeta::new("inputs", shape, chunks, T::DTYPE),
            inputs,
        })
    }
}

impl<T: Element> Node for Bundle<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        self.inputs.iter().map(|x| x.clone().as_node()).collect()
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
}

impl<T: Element> Expr<T> for Bundle<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        // only ever read as its first input (the planner never evaluates a bundle)
        ctx.build(&self.inputs[0])
    }
}

/// Computes a small array from the whole values of small inputs.
/// An error (a singular matrix, say) fails the computation with it.
pub(crate) type SmallFn<T> = Arc<dyn Fn(&[ArrayD<T>]) -> Result<ArrayD<T>> + Send + Sync>;

/// A small array computed once from whole inputs (each pulled into memory).
pub(crate) struct SmallExpr<T: Element> {
    meta: NodeMeta,
    bundle: Arc<Bundle<T>>,
    f: SmallFn<T>,
}

node_debug!([T: Element] SmallExpr<T>);

/// A small array of `shape` (one chunk) computed by `f` from the values of `inputs`.
pub(crate) fn small<T: LinalgFloat>(
    label: &str,
    inputs: Vec<ExprRef<T>>,
    shape: Vec<usize>,
    f: SmallFn<T>,
) -> ExprRef<T> {
    let chunks = Chunks(shape.iter().map(|&e| vec![e]).collect());
    Arc::new(SmallExpr {
        meta: NodeMeta::new(label, shape, chunks, T::DTYPE),
        bundle: Bundle::new(inputs),
        f,
    })
}

impl<T: LinalgFloat> Node for SmallExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.bundle.clone() as NodeRef]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Reduction { axes: vec![] }
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
    fn as_reduction(&self) -> Option<&dyn ReductionNode> {
        Some(self)
    }
}

impl<T: LinalgFloat> Expr<T> for SmallExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        // reached only when the stage's stored values are missing, which the planner
        // prevents; compute in place as a fallback
        let inputs: Vec<ArrayD<T>> = self
            .bundle
            .inputs
            .iter()
            .map(|x| pull_all(x, ctx))
            .collect();
        let shape = self.meta.shape.clone();
        let nan = ArrayD::from_elem(IxDyn(&shape), T::from_f64(f64::NAN));
        Box::new(StoredEval((self.f)(&inputs).unwrap_or(nan)))
    }
}

struct StoredEval<T>(ArrayD<T>);

impl<T: Element> Eval<T> for StoredEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        crate::graph::eval::copy_region(&self.0, region, out);
    }
}

/// Pulls the whole of `x` into memory through a fresh evaluator, tile by tile.
fn pull_all<T: Element>(x: &ExprRef<T>, ctx: &EvalContext) -> ArrayD<T> {
    let shape = x.meta().shape.clone();
    let mut values = vec![T::default(); shape.iter().product()];
    let mut eval = ctx.build(x);
    let mut scratch = Scratch::default();
    pull(
        eval.as_mut(),
        &Region::full(&shape),
        &mut values,
        ctx.tile_elems(),
        &mut scratch,
    );
    ArrayD::from_shape_vec(IxDyn(&shape), values).expect("pulled values fill the shape")
}

impl<T: LinalgFloat> ReductionNode for SmallExpr<T> {
    fn is_blockwise(&self) -> bool {
        false
    }
    fn input_node(&self) -> NodeRef {
        self.bundle.clone() as NodeRef
    }
    fn run_any(&self) -> Box<dyn Any> {
        Box::new(())
    }
    fn stage(
        &self,
        _siblings: &[NodeRef],
        ctx: Arc<EvalContext>,
        worker_scratch: u64,
    ) -> Box<dyn Stage> {
        Box::new(SmallStage {
            label: self.meta.label.clone(),
            id: self.meta.id,
            inputs: self.bundle.inputs.clone(),
            f: self.f.clone(),
            out_elems: self.meta.shape.iter().product(),
            shape: self.meta.shape.clone(),
            ctx,
            worker_scratch,
            reservation: Mutex::new(None),
            result: Mutex::new(None),
        })
    }
}

struct SmallStage<T: Element> {
    label: String,
    id: u64,
    inputs: Vec<ExprRef<T>>,
    f: SmallFn<T>,
    out_elems: usize,
    shape: Vec<usize>,
    ctx: Arc<EvalContext>,
    worker_scratch: u64,
    reservation: Mutex<Option<Reservation>>,
    result: Mutex<Option<ArrayD<T>>>,
}

impl<T: LinalgFloat> Stage for SmallStage<T> {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn num_tasks(&self) -> usize {
        1
    }
    fn task_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }
    fn worker_bytes(&self) -> u64 {
        // every input whole, the kernel's copies of them, and the output
        let inputs: usize = self
            .inputs
            .iter()
            .map(|x| x.meta().shape.iter().product::<usize>())
            .sum();
        self.worker_scratch + bytes::<T>(2 * inputs + 2 * self.out_elems + self.ctx.tile_elems())
    }
    fn stage_bytes(&self, _workers: usize) -> u64 {
        bytes::<T>(self.out_elems)
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        Some(format!(
            "{} holds its inputs and result in memory ({} bytes); it needs matrices that fit in {} bytes: use smaller inputs or raise the memory limit",
            self.label,
            self.worker_bytes() + self.stage_bytes(1),
            budget
        ))
    }
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> ExecResult<()> {
        let mut reservation = budget.consumer(format!("{} result", self.label)).register();
        reservation.grow_waiting(self.stage_bytes(workers), RESERVE_WAIT)?;
        *self.reservation.lock().unwrap_or_else(|e| e.into_inner()) = Some(reservation);
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(SmallWorker { stage: self })
    }
    fn finish(&self) -> ExecResult<()> {
        let result = self.result.lock().unwrap_or_else(|e| e.into_inner()).take();
        let reservation = self
            .reservation
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let values = result.expect("the one task stored a result");
        self.ctx.store(self.id, values, reservation);
        Ok(())
    }
}

struct SmallWorker<'s, T: Element> {
    stage: &'s SmallStage<T>,
}

impl<T: LinalgFloat> StageWorker for SmallWorker<'_, T> {
    fn run(&mut self, _index: usize) -> ExecResult<()> {
        let s = self.stage;
        let inputs: Vec<ArrayD<T>> = s.inputs.iter().map(|x| pull_all(x, &s.ctx)).collect();
        let out = (s.f)(&inputs)?;
        debug_assert_eq!(out.shape(), s.shape.as_slice());
        *s.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(out);
        Ok(())
    }
}

/// The `n x n` R factor of a tall-and-skinny matrix chunked along rows, by TSQR: each row
/// block's R, then R's of stacked pairs in a fixed binary tree (lower block on top), so
/// the result does not depend on which task finished first.
pub(crate) struct TsqrRExpr<T: Element> {
    meta: NodeMeta,
    bundle: Arc<Bundle<T>>,
}

node_debug!([T: Element] TsqrRExpr<T>);

/// The R of `x` (2-d, columns in one chunk; the caller checked).
pub(crate) fn tsqr_r<T: LinalgFloat>(x: ExprRef<T>) -> ExprRef<T> {
    let n = x.meta().shape[1];
    Arc::new(TsqrRExpr {
        meta: NodeMeta::new("tsqr", vec![n, n], Chunks(vec![vec![n], vec![n]]), T::DTYPE),
        bundle: Bundle::new(vec![x]),
    })
}

impl<T: LinalgFloat> Node for TsqrRExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.bundle.clone() as NodeRef]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Reduction { axes: vec![0] }
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
    fn as_reduction(&self) -> Option<&dyn ReductionNode> {
        Some(self)
    }
}

impl<T: LinalgFloat> Expr<T> for TsqrRExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        // reached only without the stage's stored values: compute serially as a fallback
        let x = pull_all(&self.bundle.inputs[0], ctx);
        let (m, n) = (x.shape()[0], x.shape()[1]);
        let r = qr_r(x.as_slice().expect("standard layout"), m, n);
        Box::new(StoredEval(
            ArrayD::from_shape_vec(IxDyn(&[n, n]), r).expect("n x n"),
        ))
    }
}

impl<T: LinalgFloat> ReductionNode for TsqrRExpr<T> {
    fn is_blockwise(&self) -> bool {
        false
    }
    fn input_node(&self) -> NodeRef {
        self.bundle.clone() as NodeRef
    }
    fn run_any(&self) -> Box<dyn Any> {
        Box::new(())
    }
    fn stage(
        &self,
        _siblings: &[NodeRef],
        ctx: Arc<EvalContext>,
        worker_scratch: u64,
    ) -> Box<dyn Stage> {
        let x = self.bundle.inputs[0].clone();
        let grid = BlockGrid::new(&x.meta().chunks);
        Box::new(TsqrStage {
            id: self.meta.id,
            n: self.meta.shape[0],
            rows: x.meta().chunks.chunksize()[0],
            x,
            grid,
            ctx,
            worker_scratch,
            tree: Mutex::new(Tree {
                pending: HashMap::new(),
                root: None,
                reservation: None,
            }),
        })
    }
}

struct Tree<T> {
    pending: HashMap<(u32, usize), Vec<T>>,
    root: Option<Vec<T>>,
    reservation: Option<Reservation>,
}

struct TsqrStage<T: Element> {
    id: u64,
    n: usize,
    rows: usize,
    x: ExprRef<T>,
    grid: BlockGrid,
    ctx: Arc<EvalContext>,
    worker_scratch: u64,
    tree: Mutex<Tree<T>>,
}

impl<T: LinalgFloat> TsqrStage<T> {
    fn leaves(&self) -> usize {
        self.grid.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tree<T>> {
        self.tree.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Merges leaf `leaf`'s R up the tree: siblings merge as soon as both exist.
    fn merge_up(&self, mut leaf: usize, mut r: Vec<T>) {
        let n = self.n;
        let mut width = self.leaves();
        let mut level = 0u32;
        loop {
            if width == 1 {
                self.lock().root = Some(r);
                return;
            }
            let sibling = leaf ^ 1;
            if sibling < width {
                let mut tree = self.lock();
                match tree.pending.remove(&(level, sibling)) {
                    Some(other) => {
                        drop(tree);
                        r = if sibling < leaf {
                            qr_r_stacked(&other, &r, n)
                        } else {
                            qr_r_stacked(&r, &other, n)
                        };
                    }
                    None => {
                        tree.pending.insert((level, leaf), r);
                        return;
                    }
                }
            }
            leaf /= 2;
            width = width.div_ceil(2);
            level += 1;
        }
    }
}

impl<T: LinalgFloat> Stage for TsqrStage<T> {
    fn label(&self) -> String {
        "tsqr".to_string()
    }
    fn num_tasks(&self) -> usize {
        self.leaves()
    }
    fn task_shape(&self) -> Vec<usize> {
        vec![self.rows, self.n]
    }
    fn worker_bytes(&self) -> u64 {
        // the row block, faer's working copy of it, a stacked pair, and one tile
        let block = self.rows.max(self.n) * self.n;
        self.worker_scratch + bytes::<T>(2 * block + 3 * self.n * self.n + self.ctx.tile_elems())
    }
    fn stage_bytes(&self, workers: usize) -> u64 {
        // R's waiting in the tree: one per level in order, plus one per level for each
        // other worker finishing out of order; and the result
        let levels = (usize::BITS - self.leaves().max(1).leading_zeros()) as usize;
        bytes::<T>((levels * workers.max(1) + 1) * self.n * self.n)
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        let per_row = bytes::<T>(2 * self.n).max(1);
        let rows = (budget / 2 / per_row).max(1);
        Some(format!(
            "each tsqr task holds a block of {} rows x {} columns twice; rechunk with x.rechunk(({}, -1)) or raise the memory limit",
            self.rows, self.n, rows
        ))
    }
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> ExecResult<()> {
        let mut reservation = budget.consumer("tsqr partial R's").register();
        reservation.grow_waiting(self.stage_bytes(workers), RESERVE_WAIT)?;
        self.lock().reservation = Some(reservation);
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(TsqrWorker {
            stage: self,
            eval: self.ctx.build(&self.x),
            block: Vec::new(),
            tile: Scratch::default(),
        })
    }
    fn finish(&self) -> ExecResult<()> {
        let (root, reservation) = {
            let mut tree = self.lock();
            (tree.root.take(), tree.reservation.take())
        };
        let n = self.n;
        let r = root.unwrap_or_else(|| vec![T::default(); n * n]);
        let values = ArrayD::from_shape_vec(IxDyn(&[n, n]), r).expect("n x n");
        self.ctx.store(self.id, values, reservation);
        Ok(())
    }
}

struct TsqrWorker<'s, T: Element> {
    stage: &'s TsqrStage<T>,
    eval: Box<dyn Eval<T>>,
    block: Vec<T>,
    tile: Scratch<T>,
}

impl<T: LinalgFloat> StageWorker for TsqrWorker<'_, T> {
    fn run(&mut self, index: usize) -> ExecResult<()> {
        let s = self.stage;
        let region = s.grid.region(&s.grid.index(index));
        let size = region.size();
        if self.block.len() < size {
            self.block.resize(size, T::default());
        }
        pull(
            self.eval.as_mut(),
            &region,
            &mut self.block[..size],
            s.ctx.tile_elems(),
            &mut self.tile,
        );
        let r = qr_r(&self.block[..size], region.shape[0], s.n);
        s.merge_up(index, r);
        Ok(())
    }
}
