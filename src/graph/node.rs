//! Expression nodes: the lazy graph an `Array` stands for.
//!
//! Every array is an [`Expr`] node. A node knows its metadata ([`NodeMeta`]), its inputs
//! and how to build an [`Eval`]: a per-thread evaluator that fills any requested
//! [`Region`] of the node's values into a caller's buffer, pulling its inputs tile by tile.
//! Pulling regions through a chain of evaluators is what fuses blockwise operations: no
//! intermediate array is ever materialised, only cache-sized tile buffers.
//!
//! A node implementation states only what is particular to it: its inputs, its kind, its
//! tile scratch and its evaluator. What every node writes the same way comes from here:
//! `node_meta!` writes `meta()` for a node that keeps its [`NodeMeta`] in a field `meta`,
//! `node_debug!` writes its `Debug` (`Name(meta, …)`), and the erasing upcasts (`as_node`
//! from a typed to an erased handle, `as_any` for downcasting) are trait upcasting,
//! written once below for every node.

use super::chunks::Chunks;
use super::eval::EvalContext;
use super::region::Region;
use crate::dtype::{DType, Element};
use crate::exec::error::OpError;
use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A process-unique node identity.
pub type NodeId = u64;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh node identity.
pub fn next_node_id() -> NodeId {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// What every node carries: identity, label, shape, chunks and dtype.
#[derive(Debug, Clone)]
pub struct NodeMeta {
    /// Unique identity (shared inputs are recognised by it).
    pub id: NodeId,
    /// The op's name as shown in reprs and graphs (`"uniform"`, `"add"`, `"sum"`).
    pub label: String,
    /// Extent per axis.
    pub shape: Vec<usize>,
    /// Chunk lengths per axis.
    pub chunks: Chunks,
    /// Element type.
    pub dtype: DType,
}

impl NodeMeta {
    /// Metadata for a new node.
    pub fn new(label: impl Into<String>, shape: Vec<usize>, chunks: Chunks, dtype: DType) -> Self {
        NodeMeta {
            id: next_node_id(),
            label: label.into(),
            shape,
            chunks,
            dtype,
        }
    }
}

/// How a node maps regions of its output to regions of its inputs, for the planner.
#[derive(Debug, Clone)]
pub enum NodeKind {
    /// Produces values from nothing (random, arange, a wrapped ndarray).
    Source,
    /// Output element depends on the same (broadcast) element of each input.
    Elementwise,
    /// Reduces `axes` of its single input.
    Reduction {
        /// The reduced input axes, sorted.
        axes: Vec<usize>,
    },
    /// Moves elements around without computing (transpose).
    Layout,
    /// An invalid operation; computing it returns the error (made above the graph, so
    /// carried type-erased).
    Invalid(OpError),
}

/// The type-erased face of a node, for planning, display and graph walks.
///
/// An implementation writes `meta()` with `node_meta!`, and `Debug` with `node_debug!` or
/// by hand; the `Any` supertrait (a `'static` node) gives every node `as_any`.
pub trait Node: Any + Send + Sync + std::fmt::Debug {
    /// The node's metadata (written by `node_meta!` for a node with a `meta` field).
    fn meta(&self) -> &NodeMeta;
    /// The node's inputs.
    fn inputs(&self) -> Vec<NodeRef>;
    /// How outputs map to inputs.
    fn kind(&self) -> NodeKind;
    /// Bytes of tile scratch the node's evaluator holds, for tiles of `tile_elems`.
    fn scratch_bytes(&self, tile_elems: usize) -> u64;
    /// True when evaluating any region costs whole blocks (a chunk read from a store, a
    /// user function over a chunk, a matrix product): the planner then avoids access
    /// patterns that would make one block per small request (see `rechunk`).
    fn computes_whole_blocks(&self) -> bool {
        false
    }
    /// For a node that only reorders axes (a transpose): output axis `i` is input axis
    /// `perm[i]`. The planner pairs the tasks such a node makes read the same input
    /// blocks (see [`order`](super::order)).
    fn axis_permutation(&self) -> Option<Vec<usize>> {
        None
    }
    /// A hint that block `block` of this node will be evaluated soon (see
    /// [`prefetch`](super::prefetch)): a stored source starts loading the chunk. Others
    /// ignore it (the default).
    fn will_need_block(&self, _block: &[usize]) {}
    /// The I/O counters of a node that reads or writes storage, so a run can report the
    /// bytes it moved.
    fn io_meter(&self) -> Option<std::sync::Arc<dyn crate::store::IoMeter>> {
        None
    }
    /// The store a node reads its values from (a stored array's source), so that a write
    /// into the same store by the same computation can be refused.
    fn source_store(&self) -> Option<crate::store::StoreIdentity> {
        None
    }
    /// True when the node reads its input from an intermediate store written by its
    /// [`staging_stage`](Self::staging_stage), so later stages never evaluate the input.
    fn stages_input(&self) -> bool {
        false
    }
    /// For a node that reads its input through an intermediate store (a `rechunk` whose
    /// direct reads would re-read input blocks many times): the stage that writes the
    /// input into that store, given the context and the input's fused tile scratch. The
    /// planner runs it before any stage that evaluates this node.
    fn staging_stage(
        &self,
        _ctx: &std::sync::Arc<super::eval::EvalContext>,
        _input_scratch: u64,
    ) -> Option<Box<dyn crate::exec::stage::Stage>> {
        None
    }
    /// The reduction face of a reduction node.
    fn as_reduction(&self) -> Option<&dyn super::reduce::ReductionNode> {
        None
    }
}

impl dyn Node {
    /// Downcasting support: the node as `Any`, to recognise a concrete node type.
    ///
    /// ```
    /// let x = spillway::random::random([10, 10], 5);
    /// let node = x.node();
    /// assert!(!node.as_any().is::<u8>());
    /// ```
    pub fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A type-erased node handle.
pub type NodeRef = Arc<dyn Node>;

/// Writes `fn meta(&self) -> &NodeMeta` inside an `impl Node` block, for a node that keeps
/// its metadata in a field named `meta` (every node in this crate does).
///
/// ```ignore
/// impl<T: Element> Node for ReshapeExpr<T> {
///     node_meta!();
///     fn inputs(&self) -> Vec<NodeRef> {
///         vec![self.input.clone().as_node()]
///     }
///     // ... kind, scratch_bytes
/// }
/// ```
macro_rules! node_meta {
    () => {
        fn meta(&self) -> &$crate::graph::node::NodeMeta {
            &self.meta
        }
    };
}
pub(crate) use node_meta;

/// Writes the `Debug` impl of a node type with a `meta` field: `Name(meta)`, or with a
/// format string and fields, `Name(meta` + the formatted fields + `)`. Generic parameters
/// and their bounds go in brackets first.
///
/// ```ignore
/// node_debug!([T: Element] ReshapeExpr<T>); // ReshapeExpr(NodeMeta { .. })
/// node_debug!([T: Element] ConcatExpr<T>, ", axis {}", axis); // ConcatExpr(NodeMeta { .. }, axis 1)
/// ```
macro_rules! node_debug {
    ([$($bounds:tt)*] $name:ident $(<$($param:ident),+>)? $(, $format:literal $(, $field:ident)*)?) => {
        impl<$($bounds)*> std::fmt::Debug for $name $(<$($param),+>)? {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?}", stringify!($name), self.meta)?;
                $(write!(f, $format $(, self.$field)*)?;)?
                write!(f, ")")
            }
        }
    };
}
pub(crate) use node_debug;

/// A node whose elements are `T`: it can build evaluators.
pub trait Expr<T: Element>: Node {
    /// Builds a fresh evaluator for this node (one per worker thread).
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>>;
}

impl<T: Element> dyn Expr<T> {
    /// Upcast to the erased face.
    ///
    /// ```
    /// let x = spillway::random::random([10, 10], 5);
    /// let node: spillway::graph::node::NodeRef = x.expr().as_node();
    /// assert_eq!(node.meta().shape, vec![10, 10]);
    /// ```
    pub fn as_node(self: Arc<Self>) -> NodeRef {
        self
    }
}

/// True when evaluating `node` reads whole blocks somewhere below it (a store source, a
/// block-computing node), so requests that straddle those blocks cost extra reads.
///
/// ```
/// let x = spillway::random::random([10, 10], 5);
/// assert!(!spillway::graph::node::reads_whole_blocks(&x.node()));
/// ```
pub fn reads_whole_blocks(node: &NodeRef) -> bool {
    let mut stack = vec![node.clone()];
    while let Some(n) = stack.pop() {
        if n.computes_whole_blocks() {
            return true;
        }
        if n.as_reduction().is_some() {
            continue; // a staged reduction's values are held in memory
        }
        stack.extend(n.inputs());
    }
    false
}

/// A typed node handle.
pub type ExprRef<T> = Arc<dyn Expr<T>>;

/// A per-thread evaluator of one node.
pub trait Eval<T: Element>: Send {
    /// Writes the node's values over `region` into `out` in row-major order;
    /// `out.len() == region.size()`.
    fn eval(&mut self, region: &Region, out: &mut [T]);

    /// Sums the node's values over `region` row by row without writing them out: the
    /// region's elements in row-major order form rows of `row` values, and row `i` is
    /// added to `sums[i]` (or stored there when `assign`). This is how a sum fuses into
    /// the map that produces its input. Returns false, having written nothing, when the
    /// evaluator has no such path; the caller then evaluates and folds.
    fn row_sums(
        &mut self,
        _region: &Region,
        _row: usize,
        _sums: &mut [T::Sum],
        _assign: bool,
    ) -> bool {
        false
    }
}

/// A reusable scratch buffer that grows to the largest tile it has held.
#[derive(Default)]
pub struct Scratch<T> {
    buf: Vec<T>,
}

impl<T: Element> Scratch<T> {
    /// A buffer of exactly `len` elements (contents unspecified), reusing the allocation.
    pub fn get(&mut self, len: usize) -> &mut [T] {
        if self.buf.len() < len {
            self.buf.resize(len, T::default());
        }
        &mut self.buf[..len]
    }
}
