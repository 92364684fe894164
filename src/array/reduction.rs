//! Reductions: `sum`, `mean`, `min`, `max`, `var`, `std`, `any`, `all`.
//!
//! Each takes every axis (`sum()`), one axis (`sum_axis(1)`) or several with `keepdims`
//! (`sum_axes(&[0, 1], true)`). Partial results of chunks merge in a fixed pairwise tree;
//! `var` and `std` merge (count, mean, M2) states with Chan's formula, never a naive sum
//! of squares.

use super::{Array, ArrayError, normalize_axis};
use crate::dtype::{Element, Numeric};
use crate::graph::node::Eval;
use crate::graph::reduce::{ReduceExpr, Reducer};
use crate::graph::region::Region;
use crate::kernels::reduce as kernel;
use std::marker::PhantomData;
use std::sync::Arc;

/// Sum in NumPy's sum dtype.
pub struct Sum<T>(PhantomData<fn() -> T>);

impl<T> Clone for Sum<T> {
    fn clone(&self) -> Self {
        Sum(PhantomData)
    }
}

impl<T: Element> Reducer<T> for Sum<T> {
    type Acc = T::Sum;
    type Out = T::Sum;
    fn label(&self) -> &'static str {
        "sum"
    }
    fn identity(&self) -> T::Sum {
        <T::Sum as Numeric>::ZERO
    }
    fn fold_slice(&self, acc: &mut T::Sum, xs: &[T]) {
        *acc = Numeric::add(*acc, kernel::sum(xs));
    }
    fn fold_elementwise(&self, accs: &mut [T::Sum], xs: &[T]) {
        kernel::add_into(accs, xs);
    }
    fn fold_rows(&self, accs: &mut [T::Sum], xs: &[T], row: usize) {
        kernel::sum_rows(accs, xs, row);
    }
    fn fold_rows_from(
        &self,
        input: &mut dyn Eval<T>,
        tile: &Region,
        accs: &mut [T::Sum],
        row: usize,
        assign: bool,
    ) -> bool {
        input.row_sums(tile, row, accs, assign)
    }
    fn merge(&self, a: &mut T::Sum, b: &T::Sum) {
        *a = Numeric::add(*a, *b);
    }
    fn finish(&self, acc: &T::Sum) -> T::Sum {
        *acc
    }
    fn finish_is_identity(&self) -> bool {
        true
    }
}

/// Count, mean and sum of squared deviations: the mergeable state of mean and variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Elements folded.
    pub count: f64,
    /// Their mean.
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    const EMPTY: Moments = Moments {
        count: 0.0,
        mean: 0.0,
        m2: 0.0,
    };

    /// Chan et al.'s parallel merge of two states.
    ///
    /// ```
    /// use spillway::array::reduction::Moments;
    /// let mut a = Moments { count: 2.0, mean: 1.0, m2: 0.0 };
    /// a.merge(&Moments { count: 2.0, mean: 3.0, m2: 0.0 });
    /// assert_eq!((a.count, a.mean, a.m2), (4.0, 2.0, 4.0));
    /// ```
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0.0 {
            return;
        }
        if self.count == 0.0 {
            *self = *other;
            return;
        }
        let count = self.count + other.count;
        if !(self.mean.is_finite() && other.mean.is_finite()) {
            // an infinite or NaN part: the weighted sum gives NumPy's mean (inf and inf
            // stay inf, inf and -inf are NaN) where the difference of means would be
            // NaN, and the spread about an infinite mean is NaN, as NumPy's var
            self.mean = self.mean * (self.count / count) + other.mean * (other.count / count);
            self.m2 = f64::NAN;
            self.count = count;
            return;
        }
        let delta = other.mean - self.mean;
        self.mean += delta * other.count / count;
        self.m2 += other.m2 + delta * delta * self.count * other.count / count;
        self.count = count;
    }

    fn of_slice<T: Element>(xs: &[T]) -> Moments {
        if xs.is_empty() {
            return Moments::EMPTY;
        }
        let count = xs.len() as f64;
        let mean = kernel::sum_f64(xs) / count;
        let m2 = kernel::sum_sq_dev(xs, mean);
        Moments { count, mean, m2 }
    }

    fn push(&mut self, x: f64) {
        if !(x.is_finite() && self.mean.is_finite()) {
            let m2 = if x.is_finite() { 0.0 } else { f64::NAN };
            self.merge(&Moments {
                count: 1.0,
                mean: x,
                m2,
            });
            return;
        }
        self.count += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.count;
        self.m2 += delta * (x - self.mean);
    }
}

/// What a moments reduction reports.
#[derive(Clone, Copy, Debug)]
enum MomentsOutput {
    Mean,
    Var { ddof: f64 },
    Std { ddof: f64 },
}

/// Mean, variance or standard deviation through mergeable [`Moments`].
pub struct MomentsReducer<T> {
    output: MomentsOutput,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for MomentsReducer<T> {
    fn clone(&self) -> Self {
        MomentsReducer {
            output: self.output,
            _t: PhantomData,
        }
    }
}

impl<T: Element> Reducer<T> for MomentsReducer<T> {
    type Acc = Moments;
    type Out = T::Float;
    fn label(&self) -> &'static str {
        match self.output {
            MomentsOutput::Mean => "mean",
            MomentsOutput::Var { .. } => "var",
            MomentsOutput::Std { .. } => "std",
        }
    }
    fn identity(&self) -> Moments {
        Moments::EMPTY
    }
    fn fold_slice(&self, acc: &mut Moments, xs: &[T]) {
        acc.merge(&Moments::of_slice(xs));
    }
    fn fold_elementwise(&self, accs: &mut [Moments], xs: &[T]) {
        for (a, &x) in accs.iter_mut().zip(xs) {
            a.push(x.to_f64());
        }
    }
    fn merge(&self, a: &mut Moments, b: &Moments) {
        a.merge(b);
    }
    fn finish(&self, acc: &Moments) -> T::Float {
        let value = match self.output {
            MomentsOutput::Mean => {
                if acc.count == 0.0 {
                    f64::NAN
                } else {
                    acc.mean
                }
            }
            MomentsOutput::Var { ddof } | MomentsOutput::Std { ddof } => {
                let dof = acc.count - ddof;
                let var = if dof <= 0.0 { f64::NAN } else { acc.m2 / dof };
                match self.output {
                    MomentsOutput::Std { .. } => var.sqrt(),
                    _ => var,
                }
            }
        };
        T::Float::from_f64(value)
    }
}

/// Minimum or maximum, NaN propagating as NumPy's.
pub struct Extreme<T> {
    max: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Extreme<T> {
    fn clone(&self) -> Self {
        Extreme {
            max: self.max,
            _t: PhantomData,
        }
    }
}

impl<T: Numeric> Reducer<T> for Extreme<T> {
    type Acc = T;
    type Out = T;
    fn label(&self) -> &'static str {
        if self.max { "max" } else { "min" }
    }
    fn identity(&self) -> T {
        if self.max { T::MIN } else { T::MAX }
    }
    fn fold_slice(&self, acc: &mut T, xs: &[T]) {
        *acc = if self.max {
            kernel::max(xs, *acc)
        } else {
            kernel::min(xs, *acc)
        };
    }
    fn fold_elementwise(&self, accs: &mut [T], xs: &[T]) {
        let f = if self.max { T::max_nan } else { T::min_nan };
        for (a, &x) in accs.iter_mut().zip(xs) {
            *a = f(*a, x);
        }
    }
    fn merge(&self, a: &mut T, b: &T) {
        *a = if self.max {
            T::max_nan(*a, *b)
        } else {
            T::min_nan(*a, *b)
        };
    }
    fn finish(&self, acc: &T) -> T {
        *acc
    }
    fn finish_is_identity(&self) -> bool {
        true
    }
}

/// `any` (some element non-zero) or `all` (every element non-zero).
pub struct Truth<T> {
    all: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Truth<T> {
    fn clone(&self) -> Self {
        Truth {
            all: self.all,
            _t: PhantomData,
        }
    }
}

impl<T: Element> Reducer<T> for Truth<T> {
    type Acc = bool;
    type Out = bool;
    fn label(&self) -> &'static str {
        if self.all { "all" } else { "any" }
    }
    fn identity(&self) -> bool {
        self.all
    }
    fn fold_slice(&self, acc: &mut bool, xs: &[T]) {
        *acc = if self.all {
            *acc && xs.iter().all(|x| x.is_nonzero())
        } else {
            *acc || xs.iter().any(|x| x.is_nonzero())
        };
    }
    fn fold_elementwise(&self, accs: &mut [bool], xs: &[T]) {
        for (a, x) in accs.iter_mut().zip(xs) {
            *a = if self.all {
                *a && x.is_nonzero()
            } else {
                *a || x.is_nonzero()
            };
        }
    }
    fn merge(&self, a: &mut bool, b: &bool) {
        *a = if self.all { *a && *b } else { *a || *b };
    }
    fn finish(&self, acc: &bool) -> bool {
        *acc
    }
    fn finish_is_identity(&self) -> bool {
        true
    }
}

impl<T: Element> Array<T> {
    /// Validates `axes` (negative ones count from the end) and builds the reduction.
    pub(crate) fn reduce<R: Reducer<T>>(
        &self,
        axes: &[isize],
        keepdims: bool,
        reducer: R,
        needs_identity: bool,
    ) -> Array<R::Out> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let ndim = self.ndim();
        let mut normalized = Vec::with_capacity(axes.len());
        for &a in axes {
            match normalize_axis(a, ndim) {
                Ok(n) if normalized.contains(&n) => {
                    return Array::invalid(ArrayError::DuplicateAxis { axis: n });
                }
                Ok(n) => normalized.push(n),
                Err(e) => return Array::invalid(e),
            }
        }
        normalized.sort_unstable();
        if needs_identity && normalized.iter().any(|&a| self.shape()[a] == 0) {
            return Array::invalid(ArrayError::InvalidArgument {
                op: reducer.label(),
                message: format!(
                    "zero-size reduction over axes {normalized:?} of an array of shape {:?} has no identity; reduce a non-empty axis",
                    self.shape()
                ),
            });
        }
        Array::from_expr(Arc::new(ReduceExpr::new(
            self.expr.clone(),
            normalized,
            keepdims,
            reducer,
        )))
    }

    pub(crate) fn every_axis(&self) -> Vec<isize> {
        (0..self.ndim() as isize).collect()
    }

    /// Sum of every element (bool counts), a 0-d array; NumPy's dtype rules.
    ///
    /// ```
    /// let x = spillway::arange(0i32, 5, 1, 2);
    /// assert_eq!(x.sum().compute_scalar().unwrap(), 10i64);
    /// ```
    pub fn sum(&self) -> Array<T::Sum> {
        self.sum_axes(&self.every_axis(), false)
    }

    /// Sum along one axis.
    ///
    /// ```
    /// let x = spillway::ones::<f64>([3, 4], 2);
    /// assert_eq!(x.sum_axis(1).compute_vec().unwrap(), vec![4.0; 3]);
    /// ```
    pub fn sum_axis(&self, axis: isize) -> Array<T::Sum> {
        self.sum_axes(&[axis], false)
    }

    /// Sum along several axes, keeping them as length-1 axes when `keepdims`.
    ///
    /// ```
    /// let x = spillway::ones::<u8>([2, 3, 4], 2);
    /// let s = x.sum_axes(&[0, 2], true);
    /// assert_eq!(s.shape(), &[1, 3, 1]);
    /// assert_eq!(s.compute().unwrap().iter().copied().collect::<Vec<u64>>(), vec![8, 8, 8]);
    /// ```
    pub fn sum_axes(&self, axes: &[isize], keepdims: bool) -> Array<T::Sum> {
        self.reduce(axes, keepdims, Sum(PhantomData), false)
    }

    /// Mean of every element (NaN for an empty array), in float64 (float32 for float32).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 5, 1, 2);
    /// assert_eq!(x.mean().compute_scalar().unwrap(), 2.0);
    /// ```
    pub fn mean(&self) -> Array<T::Float> {
        self.mean_axes(&self.every_axis(), false)
    }

    /// Mean along one axis.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], 1);
    /// assert_eq!(x.mean_axis(0).compute_vec().unwrap(), vec![1.5, 2.5, 3.5]);
    /// assert_eq!(x.mean_axis(1).compute_vec().unwrap(), vec![1.0, 4.0]);
    /// ```
    pub fn mean_axis(&self, axis: isize) -> Array<T::Float> {
        self.mean_axes(&[axis], false)
    }

    /// Mean along several axes.
    ///
    /// ```
    /// let x = spillway::ones::<f32>([2, 3], 1);
    /// assert_eq!(x.mean_axes(&[0], true).shape(), &[1, 3]);
    /// ```
    pub fn mean_axes(&self, axes: &[isize], keepdims: bool) -> Array<T::Float> {
        self.moments(axes, keepdims, MomentsOutput::Mean)
    }

    /// The mean, variance or standard deviation over `axes`; complex arrays are refused
    /// here (their moments are taken part by part by
    /// [`AnyArray::reduce`](crate::array::dynamic::AnyArray::reduce)).
    fn moments(&self, axes: &[isize], keepdims: bool, output: MomentsOutput) -> Array<T::Float> {
        if T::DTYPE.is_complex() {
            return Array::invalid(ArrayError::UnsupportedDtype {
                op: "mean",
                dtype: T::DTYPE.name().into(),
                fix: "take the moments through AnyArray::reduce, which works part by part, or of real() and imag()".into(),
            });
        }
        let r = MomentsReducer {
            output,
            _t: PhantomData,
        };
        self.reduce(axes, keepdims, r, false)
    }

    /// Variance of every element with `ddof` delta degrees of freedom (NumPy's `var`).
    ///
    /// ```
    /// let x = spillway::arange(1.0f64, 5.0, 1.0, 3);
    /// assert_eq!(x.var(0.0).compute_scalar().unwrap(), 1.25);
    /// assert!((x.var(1.0).compute_scalar().unwrap() - 5.0 / 3.0).abs() < 1e-15);
    /// ```
    pub fn var(&self, ddof: f64) -> Array<T::Float> {
        self.var_axes(&self.every_axis(), ddof, false)
    }

    /// Variance along one axis.
    ///
    /// ```
    /// let x = spillway::ones::<f64>([3, 4], 2);
    /// assert_eq!(x.var_axis(0, 0.0).compute_vec().unwrap(), vec![0.0; 4]);
    /// ```
    pub fn var_axis(&self, axis: isize, ddof: f64) -> Array<T::Float> {
        self.var_axes(&[axis], ddof, false)
    }

    /// Variance along several axes.
    ///
    /// ```
    /// let x = spillway::ones::<f64>([3, 4], 2);
    /// assert_eq!(x.var_axes(&[0, 1], 0.0, true).shape(), &[1, 1]);
    /// ```
    pub fn var_axes(&self, axes: &[isize], ddof: f64, keepdims: bool) -> Array<T::Float> {
        self.moments(axes, keepdims, MomentsOutput::Var { ddof })
    }

    /// Standard deviation of every element with `ddof` (NumPy's `std`).
    ///
    /// ```
    /// let x = spillway::arange(1.0f64, 5.0, 1.0, 3);
    /// assert_eq!(x.std(0.0).compute_scalar().unwrap(), 1.25f64.sqrt());
    /// ```
    pub fn std(&self, ddof: f64) -> Array<T::Float> {
        self.std_axes(&self.every_axis(), ddof, false)
    }

    /// Standard deviation along one axis.
    ///
    /// ```
    /// let x = spillway::ones::<f64>([3, 4], 2);
    /// assert_eq!(x.std_axis(1, 0.0).compute_vec().unwrap(), vec![0.0; 3]);
    /// ```
    pub fn std_axis(&self, axis: isize, ddof: f64) -> Array<T::Float> {
        self.std_axes(&[axis], ddof, false)
    }

    /// Standard deviation along several axes.
    ///
    /// ```
    /// let x = spillway::ones::<f64>([3, 4], 2);
    /// assert_eq!(x.std_axes(&[1], 0.0, true).shape(), &[3, 1]);
    /// ```
    pub fn std_axes(&self, axes: &[isize], ddof: f64, keepdims: bool) -> Array<T::Float> {
        self.moments(axes, keepdims, MomentsOutput::Std { ddof })
    }

    /// True when any element is non-zero.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 3, 1, 2);
    /// assert!(x.any().compute_scalar().unwrap());
    /// assert!(!x.all().compute_scalar().unwrap());
    /// ```
    pub fn any(&self) -> Array<bool> {
        self.any_axes(&self.every_axis(), false)
    }

    /// `any` along one axis.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![[0, 1], [0, 0]], 1);
    /// assert_eq!(x.any_axis(1).compute_vec().unwrap(), vec![true, false]);
    /// ```
    pub fn any_axis(&self, axis: isize) -> Array<bool> {
        self.any_axes(&[axis], false)
    }

    /// `any` along several axes.
    ///
    /// ```
    /// let x = spillway::zeros::<bool>([2, 2], 1);
    /// assert_eq!(x.any_axes(&[1], false).compute_vec().unwrap(), vec![false, false]);
    /// ```
    pub fn any_axes(&self, axes: &[isize], keepdims: bool) -> Array<bool> {
        let r = Truth {
            all: false,
            _t: PhantomData,
        };
        self.reduce(axes, keepdims, r, false)
    }

    /// True when every element is non-zero.
    ///
    /// ```
    /// assert!(spillway::ones::<u8>(4, 2).all().compute_scalar().unwrap());
    /// ```
    pub fn all(&self) -> Array<bool> {
        self.all_axes(&self.every_axis(), false)
    }

    /// `all` along one axis.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![[1, 1], [0, 1]], 1);
    /// assert_eq!(x.all_axis(0).compute_vec().unwrap(), vec![false, true]);
    /// ```
    pub fn all_axis(&self, axis: isize) -> Array<bool> {
        self.all_axes(&[axis], false)
    }

    /// `all` along several axes.
    ///
    /// ```
    /// let x = spillway::ones::<bool>([2, 2], 1);
    /// assert_eq!(x.all_axes(&[0], false).compute_vec().unwrap(), vec![true, true]);
    /// ```
    pub fn all_axes(&self, axes: &[isize], keepdims: bool) -> Array<bool> {
        let r = Truth {
            all: true,
            _t: PhantomData,
        };
        self.reduce(axes, keepdims, r, false)
    }
}

impl<T: Numeric> Array<T> {
    /// Minimum of every element (NaN propagates); an empty array is an error, as NumPy.
    ///
    /// ```
    /// let x = spillway::arange(3i64, 9, 1, 4);
    /// assert_eq!(x.min().compute_scalar().unwrap(), 3);
    /// ```
    pub fn min(&self) -> Array<T> {
        self.min_axes(&self.every_axis(), false)
    }

    /// Minimum along one axis.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// assert_eq!(x.min_axis(0).compute_scalar().unwrap(), 0);
    /// ```
    pub fn min_axis(&self, axis: isize) -> Array<T> {
        self.min_axes(&[axis], false)
    }

    /// Minimum along several axes.
    ///
    /// ```
    /// let x = spillway::ones::<f64>([2, 3], 1);
    /// assert_eq!(x.min_axes(&[1], true).shape(), &[2, 1]);
    /// ```
    pub fn min_axes(&self, axes: &[isize], keepdims: bool) -> Array<T> {
        let r = Extreme {
            max: false,
            _t: PhantomData,
        };
        self.reduce(axes, keepdims, r, true)
    }

    /// Maximum of every element (NaN propagates); an empty array is an error.
    ///
    /// ```
    /// let x = spillway::arange(3i64, 9, 1, 4);
    /// assert_eq!(x.max().compute_scalar().unwrap(), 8);
    /// assert!(spillway::zeros::<f64>(0, 1).max().check().is_err());
    /// ```
    pub fn max(&self) -> Array<T> {
        self.max_axes(&self.every_axis(), false)
    }

    /// Maximum along one axis.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// assert_eq!(x.max_axis(-1).compute_scalar().unwrap(), 3);
    /// ```
    pub fn max_axis(&self, axis: isize) -> Array<T> {
        self.max_axes(&[axis], false)
    }

    /// Maximum along several axes.
    ///
    /// ```
    /// let x = spillway::ones::<f64>([2, 3], 1);
    /// assert_eq!(x.max_axes(&[0, 1], false).shape(), &[] as &[usize]);
    /// ```
    pub fn max_axes(&self, axes: &[isize], keepdims: bool) -> Array<T> {
        let r = Extreme {
            max: true,
            _t: PhantomData,
        };
        self.reduce(axes, keepdims, r, true)
    }
}
