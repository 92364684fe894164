//! `prod`, `nansum`, `nanmean`, `nanvar`, `nanstd`, `nanmin`, `nanmax`, `count_nonzero`
//! and `ptp`.
//!
//! Each is a [`Reducer`] (closures wrapped as one, `FnReducer`), so it gets the reduction stages, the
//! fixed pairwise merge tree and the memory bounds of `sum`; `ptp` is `max - min`, two
//! reductions of the same input that share one stage.

use crate::array::Array;
use crate::array::reduction::Moments;
use crate::array::ufunc::float::{fmax, fmin};
use crate::dtype::{Element, FloatElement, Numeric};
use crate::graph::reduce::Reducer;
use std::marker::PhantomData;

/// A reducer from closures: `chunk` folds a run of elements into a state, `combine`
/// merges two states (the left one folded earlier elements), `aggregate` turns the final
/// state into the output; `empty` is the output of an empty group (None when the op
/// refuses zero-size reductions).
pub(crate) struct FnReducer<T, A, U, C, M, G> {
    label: &'static str,
    empty: Option<U>,
    chunk: C,
    combine: M,
    aggregate: G,
    _t: PhantomData<fn(T) -> A>,
}

impl<T, A, U: Clone, C: Clone, M: Clone, G: Clone> Clone for FnReducer<T, A, U, C, M, G> {
    fn clone(&self) -> Self {
        FnReducer {
            label: self.label,
            empty: self.empty.clone(),
            chunk: self.chunk.clone(),
            combine: self.combine.clone(),
            aggregate: self.aggregate.clone(),
            _t: PhantomData,
        }
    }
}

impl<T, A, U, C, M, G> FnReducer<T, A, U, C, M, G> {
    /// A reducer named `label` from its three functions.
    pub(crate) fn new(
        label: &'static str,
        empty: Option<U>,
        chunk: C,
        combine: M,
        aggregate: G,
    ) -> Self {
        FnReducer {
            label,
            empty,
            chunk,
            combine,
            aggregate,
            _t: PhantomData,
        }
    }
}

impl<T, A, U, C, M, G> Reducer<T> for FnReducer<T, A, U, C, M, G>
where
    T: Element,
    A: Copy + Send + Sync + 'static,
    U: Element,
    C: Fn(&[T]) -> A + Clone + Send + Sync + 'static,
    M: Fn(A, A) -> A + Clone + Send + Sync + 'static,
    G: Fn(A) -> U + Clone + Send + Sync + 'static,
{
    type Acc = Option<A>;
    type Out = U;
    fn label(&self) -> &'static str {
        self.label
    }
    fn identity(&self) -> Option<A> {
        None
    }
    fn fold_slice(&self, acc: &mut Option<A>, xs: &[T]) {
        if xs.is_empty() {
            return;
        }
        let part = (self.chunk)(xs);
        *acc = Some(match *acc {
            Some(a) => (self.combine)(a, part),
            None => part,
        });
    }
    fn fold_elementwise(&self, accs: &mut [Option<A>], xs: &[T]) {
        for (acc, x) in accs.iter_mut().zip(xs) {
            self.fold_slice(acc, std::slice::from_ref(x));
        }
    }
    fn merge(&self, a: &mut Option<A>, b: &Option<A>) {
        if let Some(b) = *b {
            *a = Some(match *a {
                Some(x) => (self.combine)(x, b),
                None => b,
            });
        }
    }
    fn finish(&self, acc: &Option<A>) -> U {
        match *acc {
            Some(a) => (self.aggregate)(a),
            // empty groups are refused at build time when `empty` is None
            None => self.empty.unwrap_or_default(),
        }
    }
}

/// Chan's merge of (count, mean) pairs.
fn merge_mean(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let count = a.0 + b.0;
    if count == 0.0 {
        return (0.0, 0.0);
    }
    (count, a.1 + (b.1 - a.1) * (b.0 / count))
}

impl<T: Element> Array<T> {
    pub(crate) fn fn_reduce<A, U, C, M, G>(
        &self,
        axes: Option<&[isize]>,
        keepdims: bool,
        reducer: FnReducer<T, A, U, C, M, G>,
    ) -> Array<U>
    where
        A: Copy + Send + Sync + 'static,
        U: Element,
        C: Fn(&[T]) -> A + Clone + Send + Sync + 'static,
        M: Fn(A, A) -> A + Clone + Send + Sync + 'static,
        G: Fn(A) -> U + Clone + Send + Sync + 'static,
    {
        let needs_identity = reducer.empty.is_none();
        match axes {
            Some(axes) => self.reduce(axes, keepdims, reducer, needs_identity),
            None => self.reduce(&self.every_axis(), keepdims, reducer, needs_identity),
        }
    }

    /// Product of the elements over `axes` (every axis when `None`), in NumPy's sum
    /// dtype (int64 for signed ints and bool, uint64 for unsigned, floats keep theirs);
    /// integers wrap. An empty product is 1.
    ///
    /// ```
    /// let x = spillway::arange(1i32, 6, 1, 2);
    /// assert_eq!(x.prod(None, false).compute_scalar().unwrap(), 120i64);
    /// let m = spillway::from_ndarray(ndarray::array![[1.0, 2.0], [3.0, 4.0]], 1);
    /// assert_eq!(m.prod(Some(&[0]), false).compute_vec().unwrap(), vec![3.0, 8.0]);
    /// ```
    pub fn prod(&self, axes: Option<&[isize]>, keepdims: bool) -> Array<T::Sum> {
        let r = FnReducer::new(
            "prod",
            Some(<T::Sum as Numeric>::ONE),
            |xs: &[T]| {
                xs.iter().fold(<T::Sum as Numeric>::ONE, |a, &x| {
                    Numeric::mul(a, x.cast::<T::Sum>())
                })
            },
            |a: T::Sum, b: T::Sum| Numeric::mul(a, b),
            |a: T::Sum| a,
        );
        self.fn_reduce(axes, keepdims, r)
    }

    /// Number of non-zero (true, NaN included) elements over `axes`, as
    /// `np.count_nonzero`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![[0, 1, 2], [0, 0, 3]], 1);
    /// assert_eq!(x.count_nonzero(None, false).compute_scalar().unwrap(), 3);
    /// assert_eq!(x.count_nonzero(Some(&[1]), false).compute_vec().unwrap(), vec![2, 1]);
    /// ```
    pub fn count_nonzero(&self, axes: Option<&[isize]>, keepdims: bool) -> Array<i64> {
        let r = FnReducer::new(
            "count_nonzero",
            Some(0i64),
            |xs: &[T]| xs.iter().filter(|x| x.is_nonzero()).count() as i64,
            |a: i64, b: i64| a + b,
            |a: i64| a,
        );
        self.fn_reduce(axes, keepdims, r)
    }
}

impl<T: Numeric> Array<T> {
    /// Range of values (`max - min`) over `axes`, as `np.ptp`; NaN propagates, integers
    /// wrap, an empty axis is an error.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![[4, 9, 2], [3, 3, 3]], 1);
    /// assert_eq!(x.ptp(Some(&[1]), false).compute_vec().unwrap(), vec![7, 0]);
    /// ```
    pub fn ptp(&self, axes: Option<&[isize]>, keepdims: bool) -> Array<T> {
        let all = self.every_axis();
        let axes = axes.unwrap_or(&all);
        self.max_axes(axes, keepdims) - self.min_axes(axes, keepdims)
    }
}

impl<T: FloatElement> Array<T> {
    /// Sum treating NaN as zero, as `np.nansum`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1.0, f64::NAN, 2.0], 2);
    /// assert_eq!(x.nansum(None, false).compute_scalar().unwrap(), 3.0);
    /// ```
    pub fn nansum(&self, axes: Option<&[isize]>, keepdims: bool) -> Array<T> {
        let r = FnReducer::new(
            "nansum",
            Some(T::ZERO),
            |xs: &[T]| {
                xs.iter()
                    .fold(T::ZERO, |a, &x| if x.is_nan() { a } else { a + x })
            },
            |a: T, b: T| a + b,
            |a: T| a,
        );
        self.fn_reduce(axes, keepdims, r)
    }

    /// Mean of the non-NaN elements, as `np.nanmean` (NaN when there are none).
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1.0, f64::NAN, 2.0], 2);
    /// assert_eq!(x.nanmean(None, false).compute_scalar().unwrap(), 1.5);
    /// ```
    pub fn nanmean(&self, axes: Option<&[isize]>, keepdims: bool) -> Array<T> {
        let r = FnReducer::new(
            "nanmean",
            Some(T::nan()),
            |xs: &[T]| {
                let (mut count, mut sum) = (0.0f64, 0.0f64);
                for &x in xs {
                    if !x.is_nan() {
                        count += 1.0;
                        sum += x.to_f64();
                    }
                }
                if count == 0.0 {
                    (0.0, 0.0)
                } else {
                    (count, sum / count)
                }
            },
            merge_mean,
            |(count, mean): (f64, f64)| {
                if count == 0.0 {
                    T::nan()
                } else {
                    T::from_f64(mean)
                }
            },
        );
        self.fn_reduce(axes, keepdims, r)
    }

    /// Minimum ignoring NaN, as `np.nanmin` (NaN where every element is NaN); an empty
    /// axis is an error.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![f64::NAN, 3.0, 1.0], 2);
    /// assert_eq!(x.nanmin(None, false).compute_scalar().unwrap(), 1.0);
    /// ```
    pub fn nanmin(&self, axes: Option<&[isize]>, keepdims: bool) -> Array<T> {
        let r = FnReducer::new(
            "nanmin",
            None,
            |xs: &[T]| xs.iter().fold(T::nan(), |a, &x| fmin(a, x)),
            fmin,
            |a: T| a,
        );
        self.fn_reduce(axes, keepdims, r)
    }

    /// Maximum ignoring NaN, as `np.nanmax`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![f64::NAN, 3.0, 1.0], 2);
    /// assert_eq!(x.nanmax(None, false).compute_scalar().unwrap(), 3.0);
    /// ```
    pub fn nanmax(&self, axes: Option<&[isize]>, keepdims: bool) -> Array<T> {
        let r = FnReducer::new(
            "nanmax",
            None,
            |xs: &[T]| xs.iter().fold(T::nan(), |a, &x| fmax(a, x)),
            fmax,
            |a: T| a,
        );
        self.fn_reduce(axes, keepdims, r)
    }
}

/// (count, mean, M2) of the non-NaN values of a run.
fn nan_moments<T: FloatElement>(xs: &[T]) -> Moments {
    let (mut count, mut sum) = (0.0f64, 0.0f64);
    for &x in xs {
        if !x.is_nan() {
            count += 1.0;
            sum += x.to_f64();
        }
    }
    if count == 0.0 {
        return Moments {
            count: 0.0,
            mean: 0.0,
            m2: 0.0,
        };
    }
    let mean = sum / count;
    let m2 = xs
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| (x.to_f64() - mean) * (x.to_f64() - mean))
        .sum();
    Moments { count, mean, m2 }
}

impl<T: FloatElement> Array<T> {
    fn nan_spread(
        &self,
        label: &'static str,
        axes: Option<&[isize]>,
        ddof: f64,
        keepdims: bool,
        root: bool,
    ) -> Array<T> {
        let r = FnReducer::new(
            label,
            Some(T::nan()),
            nan_moments::<T>,
            |mut a: Moments, b: Moments| {
                a.merge(&b);
                a
            },
            move |m: Moments| {
                let dof = m.count - ddof;
                let var = if dof <= 0.0 { f64::NAN } else { m.m2 / dof };
                T::from_f64(if root { var.sqrt() } else { var })
            },
        );
        self.fn_reduce(axes, keepdims, r)
    }

    /// Variance of the non-NaN elements with `ddof` delta degrees of freedom, as
    /// `np.nanvar` (NaN where fewer than `ddof + 1` numbers remain); (count, mean, M2)
    /// states merge with Chan's formula.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1.0, f64::NAN, 3.0], 2);
    /// assert_eq!(x.nanvar(None, 0.0, false).compute_scalar().unwrap(), 1.0);
    /// ```
    pub fn nanvar(&self, axes: Option<&[isize]>, ddof: f64, keepdims: bool) -> Array<T> {
        self.nan_spread("nanvar", axes, ddof, keepdims, false)
    }

    /// Standard deviation of the non-NaN elements, as `np.nanstd`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1.0, f64::NAN, 3.0], 2);
    /// assert_eq!(x.nanstd(None, 1.0, false).compute_scalar().unwrap(), 2f64.sqrt());
    /// ```
    pub fn nanstd(&self, axes: Option<&[isize]>, ddof: f64, keepdims: bool) -> Array<T> {
        self.nan_spread("nanstd", axes, ddof, keepdims, true)
    }
}
