//! The inline evaluator: a blockwise reduction evaluated tile by tile inside the fused
//! chain that pulls it.

use super::Reducer;
use super::layout::{accumulate_box, rows_layout};
use crate::dtype::Element;
use crate::graph::node::{Eval, Scratch};
use crate::graph::region::{MAX_NDIM, Region};
use std::any::TypeId;

/// The shape facts an inline evaluator needs (so it does not borrow the node).
pub(super) struct ReduceShape {
    pub(super) axes: Vec<usize>,
    pub(super) keepdims: bool,
    pub(super) input_shape: Vec<usize>,
}

impl ReduceShape {
    fn keepdims_region(&self, region: &Region) -> Region {
        if self.keepdims {
            return *region;
        }
        let ndim = self.input_shape.len();
        let mut start = [0usize; MAX_NDIM];
        let mut shape = [1usize; MAX_NDIM];
        let mut k = 0;
        for axis in 0..ndim {
            if !self.axes.contains(&axis) {
                start[axis] = region.start[k];
                shape[axis] = region.shape[k];
                k += 1;
            }
        }
        Region::new(&start[..ndim], &shape[..ndim])
    }
}

/// Evaluates a reduction inside a fused chain: folds the input region under each output
/// tile, tile by tile.
pub(super) struct InlineReduceEval<T: Element, R: Reducer<T>> {
    pub(super) node: ReduceShape,
    pub(super) reducer: R,
    pub(super) input: Box<dyn Eval<T>>,
    pub(super) input_scratch: Scratch<T>,
    pub(super) accs: Vec<R::Acc>,
    pub(super) tile_elems: usize,
    pub(super) reduced: Vec<bool>,
}

impl<T: Element, R: Reducer<T>> InlineReduceEval<T, R> {
    /// The fused path: when every tile covers whole rows of the reduced axes (so each
    /// state is folded by exactly one tile) and the input folds rows without storing its
    /// values, store each tile's row folds straight into the states. False, with nothing
    /// written, when that does not apply.
    fn fold_fused(&mut self, input_region: &Region, target: &Region, accs: &mut [R::Acc]) -> bool {
        let tiles = input_region.tiles(self.tile_elems);
        let mut layouts = [(0usize, 0usize, 0usize); 4];
        let mut count = 0;
        for tile in tiles.clone() {
            let covers_rows = self
                .node
                .axes
                .iter()
                .all(|&a| tile.shape[a] == input_region.shape[a]);
            match rows_layout(&tile, target, &self.reduced) {
                Some(layout) if covers_rows && count < layouts.len() => {
                    layouts[count] = layout;
                    count += 1;
                }
                _ => return false,
            }
        }
        if count == 0 {
            // an empty input: the states keep their identity, set by the caller
            return false;
        }
        for (tile, &(base, rows, row)) in tiles.zip(&layouts[..count]) {
            let states = &mut accs[base..base + rows];
            if !self
                .reducer
                .fold_rows_from(self.input.as_mut(), &tile, states, row, true)
            {
                // support does not change between tiles of one evaluator: only the first
                // tile can get here, before anything was written
                debug_assert_eq!(base, 0);
                return false;
            }
        }
        true
    }
}

impl<T: Element, R: Reducer<T>> Eval<R::Out> for InlineReduceEval<T, R> {
    fn eval(&mut self, region: &Region, out: &mut [R::Out]) {
        let reducer = &self.reducer;
        let target = self.node.keepdims_region(region);
        let mut input_region = target;
        for &axis in &self.node.axes {
            input_region.start[axis] = 0;
            input_region.shape[axis] = self.node.input_shape[axis];
        }
        if reducer.finish_is_identity() && TypeId::of::<R::Acc>() == TypeId::of::<R::Out>() {
            // SAFETY: `Acc` and `Out` are the same type (checked above), so the output
            // slice is a valid slice of states of the same length.
            let accs: &mut [R::Acc] = unsafe {
                std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<R::Acc>(), out.len())
            };
            if self.fold_fused(&input_region, &target, accs) {
                return;
            }
            let reducer = &self.reducer;
            accs.fill(reducer.identity());
            for tile in input_region.tiles(self.tile_elems) {
                let buf = self.input_scratch.get(tile.size());
                self.input.eval(&tile, buf);
                accumulate_box(reducer, buf, &tile, &target, &self.reduced, accs);
            }
            return;
        }
        self.accs.clear();
        self.accs.resize(target.size(), reducer.identity());
        for tile in input_region.tiles(self.tile_elems) {
            let buf = self.input_scratch.get(tile.size());
            self.input.eval(&tile, buf);
            accumulate_box(reducer, buf, &tile, &target, &self.reduced, &mut self.accs);
        }
        for (o, acc) in out.iter_mut().zip(&self.accs) {
            *o = reducer.finish(acc);
        }
    }
}
