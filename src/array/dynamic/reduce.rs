//! Reductions and scans of [`AnyArray`], in NumPy's result dtypes: `sum` and `prod` of
//! bool and signed integers give int64 and of unsigned integers uint64; `mean`, `var` and
//! `std` give float64 (float32 for float32); `min`, `max` keep the dtype.

use super::{AnyArray, AnyElement};
use crate::array::{Array, ArrayError};
use crate::dtype::{DType, FloatElement};
use crate::error::Result;

/// A reduction over some axes, with NumPy's name.
///
/// ```
/// use spillway::array::dynamic::Reduction;
/// assert_eq!(Reduction::from_name("nanmean", 0.0), Some(Reduction::NanMean));
/// assert_eq!(Reduction::from_name("std", 1.0), Some(Reduction::Std { ddof: 1.0 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Reduction {
    Sum,
    Prod,
    Mean,
    Var { ddof: f64 },
    Std { ddof: f64 },
    Min,
    Max,
    Any,
    All,
    Ptp,
    CountNonzero,
    NanSum,
    NanMean,
    NanMin,
    NanMax,
    NanVar { ddof: f64 },
    NanStd { ddof: f64 },
}

impl Reduction {
    /// The reduction NumPy calls `name` (`ddof` is used by the variance family).
    ///
    /// ```
    /// use spillway::array::dynamic::Reduction;
    /// assert_eq!(Reduction::from_name("amax", 0.0), Some(Reduction::Max));
    /// ```
    pub fn from_name(name: &str, ddof: f64) -> Option<Reduction> {
        Some(match name {
            "sum" => Reduction::Sum,
            "prod" => Reduction::Prod,
            "mean" => Reduction::Mean,
            "var" => Reduction::Var { ddof },
            "std" => Reduction::Std { ddof },
            "min" | "amin" => Reduction::Min,
            "max" | "amax" => Reduction::Max,
            "any" => Reduction::Any,
            "all" => Reduction::All,
            "ptp" => Reduction::Ptp,
            "count_nonzero" => Reduction::CountNonzero,
            "nansum" => Reduction::NanSum,
            "nanmean" => Reduction::NanMean,
            "nanmin" => Reduction::NanMin,
            "nanmax" => Reduction::NanMax,
            "nanvar" => Reduction::NanVar { ddof },
            "nanstd" => Reduction::NanStd { ddof },
            _ => return None,
        })
    }
}

fn nan_family<T: FloatElement + AnyElement>(
    a: &Array<T>,
    r: Reduction,
    axes: Option<&[isize]>,
    keepdims: bool,
) -> AnyArray {
    match r {
        Reduction::NanSum => a.nansum(axes, keepdims).into(),
        Reduction::NanMean => a.nanmean(axes, keepdims).into(),
        Reduction::NanMin => a.nanmin(axes, keepdims).into(),
        Reduction::NanMax => a.nanmax(axes, keepdims).into(),
        Reduction::NanVar { ddof } => a.nanvar(axes, ddof, keepdims).into(),
        Reduction::NanStd { ddof } => a.nanstd(axes, ddof, keepdims).into(),
        _ => unreachable_reduction(),
    }
}

fn unreachable_reduction() -> AnyArray {
    AnyArray::from(Array::<f64>::invalid(ArrayError::InvalidArgument {
        op: "reduce",
        message: "internal: a nan-reduction dispatched wrongly".into(),
    }))
}

impl AnyArray {
    /// Reduces over `axes` (all axes when `None`), keeping them as length-1 axes when
    /// `keepdims`.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, Reduction};
    /// use spillway::DType;
    /// let x = AnyArray::from(spillway::arange(0i32, 6, 1, 4).reshape(&[2, 3]));
    /// let s = x.reduce(Reduction::Sum, Some(&[0]), false);
    /// assert_eq!(s.dtype(), DType::Int64);
    /// assert_eq!(s.typed::<i64>().compute_vec().unwrap(), vec![3, 5, 7]);
    /// let m = x.reduce(Reduction::Mean, None, false);
    /// assert_eq!(m.typed::<f64>().compute_scalar().unwrap(), 2.5);
    /// ```
    pub fn reduce(&self, r: Reduction, axes: Option<&[isize]>, keepdims: bool) -> AnyArray {
        let all: Vec<isize> = (0..self.ndim() as isize).collect();
        let ax = axes.unwrap_or(&all);
        if self.dtype().is_complex() {
            return self.reduce_complex(r, axes, keepdims);
        }
        match r {
            Reduction::Sum => each!(self, a => a.sum_axes(ax, keepdims).into()),
            Reduction::Prod => each!(self, a => a.prod(axes, keepdims).into()),
            Reduction::Mean => each!(self, a => a.mean_axes(ax, keepdims).into()),
            Reduction::Var { ddof } => each!(self, a => a.var_axes(ax, ddof, keepdims).into()),
            Reduction::Std { ddof } => each!(self, a => a.std_axes(ax, ddof, keepdims).into()),
            Reduction::Any => each!(self, a => a.any_axes(ax, keepdims).into()),
            Reduction::All => each!(self, a => a.all_axes(ax, keepdims).into()),
            Reduction::CountNonzero => each!(self, a => a.count_nonzero(axes, keepdims).into()),
            Reduction::Min | Reduction::Max | Reduction::Ptp => {
                with_numeric!(self.dtype(), T => {
                    let a = self.typed::<T>();
                    match r {
                        Reduction::Min => a.min_axes(ax, keepdims).into(),
                        Reduction::Max => a.max_axes(ax, keepdims).into(),
                        _ => a.ptp(axes, keepdims).into(),
                    }
                }, bool => match r {
                    Reduction::Min => self.typed::<bool>().all_axes(ax, keepdims).into(),
                    Reduction::Max => self.typed::<bool>().any_axes(ax, keepdims).into(),
                    _ => AnyArray::from(Array::<bool>::invalid(ArrayError::UnsupportedDtype {
                        op: "ptp",
                        dtype: "bool".into(),
                        fix: "cast to an integer dtype first (astype)".into(),
                    })),
                })
            }
            _ => match self {
                AnyArray::Float32(a) => nan_family(a, r, axes, keepdims),
                AnyArray::Float64(a) => nan_family(a, r, axes, keepdims),
                // no NaN in integers: the plain reduction (NumPy does the same)
                _ => {
                    let plain = match r {
                        Reduction::NanSum => Reduction::Sum,
                        Reduction::NanMean => Reduction::Mean,
                        Reduction::NanMin => Reduction::Min,
                        Reduction::NanMax => Reduction::Max,
                        Reduction::NanVar { ddof } => Reduction::Var { ddof },
                        Reduction::NanStd { ddof } => Reduction::Std { ddof },
                        other => other,
                    };
                    self.reduce(plain, axes, keepdims)
                }
            },
        }
    }

    /// The flat (axis `None`) or per-axis index of the smallest (`max == false`) or
    /// largest element, as `argmin` / `argmax`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::from_ndarray(ndarray::arr1(&[3.0, 9.0, 1.0]), 2));
    /// assert_eq!(x.arg_extreme(true, None, false).typed::<i64>().compute_scalar().unwrap(), 1);
    /// ```
    pub fn arg_extreme(&self, max: bool, axis: Option<isize>, keepdims: bool) -> AnyArray {
        if let Some(refused) = self.refuse_complex(if max { "argmax" } else { "argmin" }) {
            return refused;
        }
        with_numeric!(self.dtype(), T => {
            let a = self.typed::<T>();
            if max { a.argmax(axis, keepdims).into() } else { a.argmin(axis, keepdims).into() }
        }, bool => self.astype(DType::UInt8).arg_extreme(max, axis, keepdims))
    }

    /// Cumulative sum (`product == false`) or product along `axis`, in the sum dtype.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(1i32, 5, 1, 2));
    /// assert_eq!(x.cumulative(false, 0).typed::<i64>().compute_vec().unwrap(), vec![1, 3, 6, 10]);
    /// ```
    pub fn cumulative(&self, product: bool, axis: isize) -> AnyArray {
        each!(self, a => if product { a.cumprod(axis).into() } else { a.cumsum(axis).into() })
    }

    /// The `q`-th percentile (0..=100) of every element, computed at once (float64;
    /// NumPy's linear interpolation).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(0i64, 11, 1, 4));
    /// assert_eq!(x.percentile(50.0).unwrap(), 5.0);
    /// ```
    pub fn percentile(&self, q: f64) -> Result<f64> {
        if let Some(refused) = self.refuse_complex("percentile") {
            return Err(refused.error().expect("a refusal carries its error"));
        }
        match self {
            AnyArray::Float32(a) => Ok(a.percentile(q)? as f64),
            _ => self.typed::<f64>().percentile(q),
        }
    }

    /// Counts per bin of `bins` equal bins over `range`, and the bin edges, as
    /// `da.histogram(x, bins, range)`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(0.0, 10.0, 1.0, 4));
    /// let (counts, edges) = x.histogram(2, (0.0, 10.0));
    /// assert_eq!(counts.typed::<i64>().compute_vec().unwrap(), vec![5, 5]);
    /// assert_eq!(edges, vec![0.0, 5.0, 10.0]);
    /// ```
    pub fn histogram(&self, bins: usize, range: (f64, f64)) -> (AnyArray, Vec<f64>) {
        if let Some(refused) = self.refuse_complex("histogram") {
            return (refused, Vec::new());
        }
        let (counts, edges) = each!(self, a => a.histogram(bins, range));
        (counts.into(), edges)
    }

    /// Counts per bin between explicit, increasing `edges`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(0.0, 10.0, 1.0, 4));
    /// let counts = x.histogram_edges(&[0.0, 2.0, 10.0]);
    /// assert_eq!(counts.typed::<i64>().compute_vec().unwrap(), vec![2, 8]);
    /// ```
    pub fn histogram_edges(&self, edges: &[f64]) -> AnyArray {
        if let Some(refused) = self.refuse_complex("histogram") {
            return refused;
        }
        each!(self, a => a.histogram_edges(edges).into())
    }
}

impl AnyArray {
    /// An invalid array naming `op` when `self` is complex: the operations that order
    /// values (extremes, percentiles, histograms, sorts) are defined for real numbers only.
    pub(crate) fn refuse_complex(&self, op: &'static str) -> Option<AnyArray> {
        self.dtype().is_complex().then(|| {
            AnyArray::from(Array::<f64>::invalid(ArrayError::UnsupportedDtype {
                op,
                dtype: self.dtype().name().into(),
                fix: "complex numbers have no order: use the real part, the imaginary part or the magnitude (real, imag, abs) first".into(),
            }))
        })
    }

    /// A reduction of a complex array. Sums, products and the truth tests run on the
    /// complex elements; the mean is the sum over the count (so, like the sum, the same
    /// bits whatever the chunking); the variance is the sum of the parts' variances
    /// (`mean(|x - mean(x)|²)`, real, as NumPy's) and the standard deviation its square
    /// root. The order-based and NaN-skipping reductions are refused.
    fn reduce_complex(&self, r: Reduction, axes: Option<&[isize]>, keepdims: bool) -> AnyArray {
        use super::UnaryOp;
        let all: Vec<isize> = (0..self.ndim() as isize).collect();
        let ax = axes.unwrap_or(&all);
        let parts = || (self.unary(UnaryOp::Real), self.unary(UnaryOp::Imag));
        match r {
            Reduction::Sum => each!(self, a => a.sum_axes(ax, keepdims).into()),
            Reduction::Prod => each!(self, a => a.prod(axes, keepdims).into()),
            Reduction::Any => each!(self, a => a.any_axes(ax, keepdims).into()),
            Reduction::All => each!(self, a => a.all_axes(ax, keepdims).into()),
            Reduction::CountNonzero => each!(self, a => a.count_nonzero(axes, keepdims).into()),
            Reduction::Mean => {
                let count: usize = match axes {
                    None => self.size(),
                    Some(list) => list
                        .iter()
                        .filter_map(|&a| crate::array::normalize_axis(a, self.ndim()).ok())
                        .map(|a| self.shape()[a])
                        .product(),
                };
                self.reduce(Reduction::Sum, axes, keepdims).binary_scalar(
                    super::BinaryOp::TrueDiv,
                    super::Scalar::Float(count as f64),
                    false,
                )
            }
            Reduction::Var { ddof } | Reduction::Std { ddof } => {
                let (re, im) = parts();
                let var = Reduction::Var { ddof };
                let total = re
                    .reduce(var, axes, keepdims)
                    .binary(super::BinaryOp::Add, &im.reduce(var, axes, keepdims));
                match r {
                    Reduction::Std { .. } => total.unary(UnaryOp::Float(super::FloatFn::Sqrt)),
                    _ => total,
                }
            }
            _ => self
                .refuse_complex(match r {
                    Reduction::Min | Reduction::NanMin => "min",
                    Reduction::Max | Reduction::NanMax => "max",
                    Reduction::Ptp => "ptp",
                    _ => "a NaN-skipping reduction",
                })
                .expect("self is complex"),
        }
    }
}
