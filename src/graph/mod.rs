//! The expression graph: nodes, regions, fused evaluators, reductions, and the planner
//! that lowers a graph to stages of chunk tasks.

pub mod block;
pub mod chunks;
pub mod diagram;
pub mod dot;
pub mod eval;
pub mod intermediate;
pub mod node;
pub mod order;
pub mod plan;
pub mod prefetch;
pub mod reduce;
pub mod region;
pub mod shared_blocks;
pub mod svg;
pub mod view;
pub mod write;
