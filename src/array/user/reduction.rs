//! `reduction(chunk, combine, aggregate)`: user reductions, as Dask's `da.reduction`.

use crate::array::Array;
use crate::array::reduce_more::basic::FnReducer;
use crate::dtype::Element;

impl<T: Element> Array<T> {
    /// A reduction over `axes` (every axis when `None`) from three functions, as Dask's
    /// `reduction`: `chunk` folds a run of consecutive elements of one output group into
    /// a state, `combine(a, b)` merges two states (`a` folded the earlier elements) and
    /// `aggregate` turns a group's final state into its output. Runs are whatever the
    /// tiles give (whole rows, parts of rows, single elements), and states merge in a
    /// fixed pairwise tree, so `combine` must be associative for the result not to depend
    /// on the chunking (it never depends on thread timing). Reducing an empty axis is an
    /// error: there is no state to aggregate.
    ///
    /// ```
    /// // sum of squares and count, aggregated into a root mean square
    /// let x = spillway::arange(1.0, 5.0, 1.0, 3);
    /// let rms = x.reduction(
    ///     None,
    ///     false,
    ///     |xs: &[f64]| (xs.iter().map(|v| v * v).sum::<f64>(), xs.len()),
    ///     |a: (f64, usize), b: (f64, usize)| (a.0 + b.0, a.1 + b.1),
    ///     |(s, n): (f64, usize)| (s / n as f64).sqrt(),
    /// );
    /// assert_eq!(rms.compute_scalar().unwrap(), 7.5f64.sqrt());
    /// ```
    pub fn reduction<A, U, C, M, G>(
        &self,
        axes: Option<&[isize]>,
        keepdims: bool,
        chunk: C,
        combine: M,
        aggregate: G,
    ) -> Array<U>
    where
        A: Copy + Send + Sync + 'static,
        U: Element,
        C: Fn(&[T]) -> A + Clone + Send + Sync + 'static,
        M: Fn(A, A) -> A + Clone + Send + Sync + 'static,
        G: Fn(A) -> U + Clone + Send + Sync + 'static,
    {
        let r = FnReducer::new("reduction", None, chunk, combine, aggregate);
        self.fn_reduce(axes, keepdims, r)
    }
}
