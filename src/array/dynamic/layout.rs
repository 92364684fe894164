//! Shape and layout operations of [`AnyArray`] that keep the dtype (rechunk, index,
//! transpose, reshape, ...), the multi-array ones (concatenate, stack, where) in the
//! operands' common dtype, and the linear algebra (float64, or float32 when every
//! operand is float32).

use super::{AnyArray, AnyElement};
use crate::array::chunks::ChunkSpec;
use crate::array::indexing::IndexElem;
use crate::array::linalg::{self, TensorAxes};
use crate::array::{Array, ArrayError};
use crate::dtype::DType;
use crate::error::Result;

impl AnyArray {
    /// The array in new chunks, as `rechunk`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<u8>([6], 2)).rechunk(3usize);
    /// assert_eq!(x.chunks().to_string(), "((3, 3),)");
    /// ```
    pub fn rechunk(&self, chunks: impl Into<ChunkSpec>) -> AnyArray {
        let chunks = chunks.into();
        each!(self, a => a.rechunk(chunks).into())
    }

    /// NumPy's basic and advanced indexing, as `x[index]`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// use spillway::IndexElem;
    /// let x = AnyArray::from(spillway::arange(0i64, 10, 1, 4));
    /// let y = x.index(&[IndexElem::Slice { start: None, stop: None, step: -3 }]);
    /// assert_eq!(y.typed::<i64>().compute_vec().unwrap(), vec![9, 6, 3, 0]);
    /// ```
    pub fn index(&self, index: &[IndexElem]) -> AnyArray {
        each!(self, a => a.index(index).into())
    }

    /// Selects along `axis` where the bool array `mask` (as long as the axis) is true.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(0i64, 4, 1, 2));
    /// let m = spillway::arange(0i64, 4, 1, 2).gt(1);
    /// assert_eq!(x.index_mask(&m, 0).typed::<i64>().compute_vec().unwrap(), vec![2, 3]);
    /// ```
    pub fn index_mask(&self, mask: &Array<bool>, axis: isize) -> AnyArray {
        each!(self, a => a.index_mask(mask, axis).into())
    }

    /// The axes permuted (`axes` empty: reversed), as `transpose`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([2, 3], 2));
    /// assert_eq!(x.transpose(&[]).shape(), &[3, 2]);
    /// ```
    pub fn transpose(&self, axes: &[isize]) -> AnyArray {
        if axes.is_empty() {
            return each!(self, a => a.transpose().into());
        }
        each!(self, a => a.transpose_axes(axes).into())
    }

    /// A new shape with the same elements in C order (one extent may be -1), as `reshape`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([6], 3)).reshape(&[2, -1]);
    /// assert_eq!(x.shape(), &[2, 3]);
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> AnyArray {
        each!(self, a => a.reshape(shape).into())
    }

    /// Length-1 axes removed (`axis`: only that one), as `squeeze`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([1, 3], 3)).squeeze(None);
    /// assert_eq!(x.shape(), &[3]);
    /// ```
    pub fn squeeze(&self, axis: Option<isize>) -> AnyArray {
        each!(self, a => a.squeeze(axis).into())
    }

    /// A length-1 axis inserted at `axis`, as `expand_dims`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([3], 3)).expand_dims(0);
    /// assert_eq!(x.shape(), &[1, 3]);
    /// ```
    pub fn expand_dims(&self, axis: isize) -> AnyArray {
        each!(self, a => a.expand_dims(axis).into())
    }

    /// Two axes swapped, as `swapaxes`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([2, 3], 3)).swapaxes(0, 1);
    /// assert_eq!(x.shape(), &[3, 2]);
    /// ```
    pub fn swapaxes(&self, a: isize, b: isize) -> AnyArray {
        each!(self, x => x.swapaxes(a, b).into())
    }

    /// One axis moved to a new position, as `moveaxis`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([2, 3, 4], 3)).moveaxis(0, -1);
    /// assert_eq!(x.shape(), &[3, 4, 2]);
    /// ```
    pub fn moveaxis(&self, source: isize, destination: isize) -> AnyArray {
        each!(self, a => a.moveaxis(source, destination).into())
    }

    /// The array broadcast to `shape`, as `broadcast_to`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([3], 3)).broadcast_to(&[2, 3]);
    /// assert_eq!(x.shape(), &[2, 3]);
    /// ```
    pub fn broadcast_to(&self, shape: &[usize]) -> AnyArray {
        each!(self, a => a.broadcast_to(shape).into())
    }

    /// The elements along `axis` in reverse order, as `flip`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(0i64, 3, 1, 2)).flip(0);
    /// assert_eq!(x.typed::<i64>().compute_vec().unwrap(), vec![2, 1, 0]);
    /// ```
    pub fn flip(&self, axis: isize) -> AnyArray {
        each!(self, a => a.flip(axis).into())
    }

    /// Windows of `window` elements along `axis` as a new trailing axis (see
    /// [`Array::sliding_window_view`](crate::Array::sliding_window_view)).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(0i64, 4, 1, 2));
    /// let w = x.sliding_window_view(2, 0);
    /// assert_eq!(w.shape(), &[3, 2]);
    /// assert_eq!(w.typed::<i64>().compute_vec().unwrap(), vec![0, 1, 1, 2, 2, 3]);
    /// ```
    pub fn sliding_window_view(&self, window: usize, axis: isize) -> AnyArray {
        each!(self, a => a.sliding_window_view(window, axis).into())
    }

    /// The values of a 1-d array in ascending order (`argsort`: the `int64` indices
    /// that sort it), stable, out of core under the budget (see
    /// [`Array::sort`](crate::Array::sort)).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::from_ndarray(ndarray::arr1(&[3i32, 1, 2]), [2]));
    /// assert_eq!(x.sort(false).typed::<i32>().compute_vec().unwrap(), vec![1, 2, 3]);
    /// assert_eq!(x.sort(true).typed::<i64>().compute_vec().unwrap(), vec![1, 2, 0]);
    /// ```
    pub fn sort(&self, argsort: bool) -> AnyArray {
        if let Some(refused) = self.refuse_complex(if argsort { "argsort" } else { "sort" }) {
            return refused;
        }
        each!(self, a => if argsort { a.argsort().into() } else { a.sort().into() })
    }

    /// The values computed and held in memory as one in-memory array, as `persist`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(0i64, 3, 1, 2)).persist().unwrap();
    /// assert_eq!(x.typed::<i64>().compute_vec().unwrap(), vec![0, 1, 2]);
    /// ```
    pub fn persist(&self) -> Result<AnyArray> {
        Ok(each!(self, a => a.persist()?.into()))
    }
}

/// The dtype every operand converts to (NumPy's `result_type` of them all).
fn common_dtype(arrays: &[AnyArray]) -> DType {
    arrays
        .iter()
        .map(AnyArray::dtype)
        .reduce(DType::promote)
        .unwrap_or(DType::Float64)
}

fn typed_all<T: AnyElement>(arrays: &[AnyArray]) -> Vec<Array<T>> {
    arrays.iter().map(AnyArray::typed::<T>).collect()
}

/// Joins arrays along an existing axis, in their common dtype, as `concatenate`.
///
/// ```
/// use spillway::array::dynamic::{AnyArray, concatenate};
/// let a = AnyArray::from(spillway::arange(0i32, 2, 1, 2));
/// let b = AnyArray::from(spillway::arange(0.5, 1.0, 1.0, 2));
/// let c = concatenate(&[a, b], 0);
/// assert_eq!(c.typed::<f64>().compute_vec().unwrap(), vec![0.0, 1.0, 0.5]);
/// ```
pub fn concatenate(arrays: &[AnyArray], axis: isize) -> AnyArray {
    with_dtype!(common_dtype(arrays), T => crate::concatenate(typed_all::<T>(arrays), axis).into())
}

/// Joins arrays along a new axis, in their common dtype, as `stack`.
///
/// ```
/// use spillway::array::dynamic::{AnyArray, stack};
/// let a = AnyArray::from(spillway::zeros::<u8>([2], 2));
/// assert_eq!(stack(&[a.clone(), a], 0).shape(), &[2, 2]);
/// ```
pub fn stack(arrays: &[AnyArray], axis: isize) -> AnyArray {
    with_dtype!(common_dtype(arrays), T => crate::stack(typed_all::<T>(arrays), axis).into())
}

/// `a` where `cond` is true, else `b`, in their common dtype, as `where`.
///
/// ```
/// use spillway::array::dynamic::{AnyArray, where_};
/// let x = spillway::arange(0i64, 4, 1, 2);
/// let r = where_(&x.gt(1), &AnyArray::from(x.clone()), &AnyArray::from(spillway::zeros::<f64>([4], 2)));
/// assert_eq!(r.typed::<f64>().compute_vec().unwrap(), vec![0.0, 0.0, 2.0, 3.0]);
/// ```
pub fn where_(cond: &Array<bool>, a: &AnyArray, b: &AnyArray) -> AnyArray {
    with_dtype!(a.dtype().promote(b.dtype()), T =>
        crate::where_(cond, a.typed::<T>(), b.typed::<T>()).into())
}

/// Whether linear algebra on these operands runs in float32 (all float32) or float64.
fn all_f32(arrays: &[&AnyArray]) -> bool {
    arrays.iter().all(|a| a.dtype() == DType::Float32)
}

/// Linear algebra on [`AnyArray`]s: the typed [`crate::linalg`] functions, in float64
/// (float32 when every operand is float32), as `da.linalg` and NumPy promote.
pub mod dyn_linalg {
    use super::*;

    macro_rules! in_float {
        ($ops:expr, $t:ident => $e:expr) => {
            if all_f32($ops) {
                type $t = f32;
                $e
            } else {
                type $t = f64;
                $e
            }
        };
    }

    /// The matrix product, as `a @ b`.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::matmul};
    /// let a = AnyArray::from(spillway::ones::<i64>([2, 3], 2));
    /// let c = matmul(&a, &a.transpose(&[]));
    /// assert_eq!(c.typed::<f64>().compute_vec().unwrap(), vec![3.0; 4]);
    /// ```
    pub fn matmul(a: &AnyArray, b: &AnyArray) -> AnyArray {
        if a.dtype().is_complex() || b.dtype().is_complex() {
            return bilinear_complex(a, b, matmul);
        }
        in_float!(&[a, b], T => linalg::matmul(&a.linalg_operand::<T>(), &b.linalg_operand::<T>()).into())
    }

    /// `tensordot` over the given axes.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::tensordot};
    /// use spillway::array::linalg::TensorAxes;
    /// let a = AnyArray::from(spillway::ones::<f64>([2, 3], 2));
    /// assert_eq!(tensordot(&a, &a, TensorAxes::Count(2)).typed::<f64>().compute_scalar().unwrap(), 6.0);
    /// ```
    pub fn tensordot(a: &AnyArray, b: &AnyArray, axes: TensorAxes) -> AnyArray {
        if a.dtype().is_complex() || b.dtype().is_complex() {
            return bilinear_complex(a, b, |x, y| tensordot(x, y, axes.clone()));
        }
        in_float!(&[a, b], T => linalg::tensordot(&a.linalg_operand::<T>(), &b.linalg_operand::<T>(), axes).into())
    }

    /// `einsum` of the operands.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::einsum};
    /// let a = AnyArray::from(spillway::ones::<f64>([2, 3], 2));
    /// assert_eq!(einsum("ij->", &[&a]).typed::<f64>().compute_scalar().unwrap(), 6.0);
    /// ```
    pub fn einsum(subscripts: &str, operands: &[&AnyArray]) -> AnyArray {
        in_float!(operands, T => {
            let typed: Vec<Array<T>> = operands.iter().map(|a| a.linalg_operand::<T>()).collect();
            let refs: Vec<&Array<T>> = typed.iter().collect();
            linalg::einsum(subscripts, &refs).into()
        })
    }

    /// Solves `a x = b`.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::solve};
    /// let a = AnyArray::from(spillway::from_ndarray(ndarray::arr2(&[[2.0, 0.0], [0.0, 4.0]]), 2));
    /// let b = AnyArray::from(spillway::from_ndarray(ndarray::arr1(&[2.0, 8.0]), 2));
    /// assert_eq!(solve(&a, &b).typed::<f64>().compute_vec().unwrap(), vec![1.0, 2.0]);
    /// ```
    pub fn solve(a: &AnyArray, b: &AnyArray) -> AnyArray {
        in_float!(&[a, b], T => linalg::solve(&a.linalg_operand::<T>(), &b.linalg_operand::<T>()).into())
    }

    /// The inverse of a square matrix.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::inv};
    /// let a = AnyArray::from(spillway::from_ndarray(ndarray::arr2(&[[2.0, 0.0], [0.0, 4.0]]), 2));
    /// assert_eq!(inv(&a).typed::<f64>().compute_vec().unwrap(), vec![0.5, 0.0, 0.0, 0.25]);
    /// ```
    pub fn inv(a: &AnyArray) -> AnyArray {
        in_float!(&[a], T => linalg::inv(&a.linalg_operand::<T>()).into())
    }

    /// The Cholesky factor (lower, or upper when `lower` is false).
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::cholesky};
    /// let a = AnyArray::from(spillway::from_ndarray(ndarray::arr2(&[[4.0, 0.0], [0.0, 9.0]]), 2));
    /// assert_eq!(cholesky(&a, true).typed::<f64>().compute_vec().unwrap(), vec![2.0, 0.0, 0.0, 3.0]);
    /// ```
    pub fn cholesky(a: &AnyArray, lower: bool) -> AnyArray {
        in_float!(&[a], T => linalg::cholesky(&a.linalg_operand::<T>(), lower).into())
    }

    /// Least squares: the solution and the residual sums of squares.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::lstsq};
    /// let a = AnyArray::from(spillway::from_ndarray(ndarray::arr2(&[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 3));
    /// let b = AnyArray::from(spillway::from_ndarray(ndarray::arr1(&[1.0, 2.0, 0.0]), 3));
    /// let (x, _res) = lstsq(&a, &b);
    /// assert_eq!(x.shape(), &[2]);
    /// ```
    pub fn lstsq(a: &AnyArray, b: &AnyArray) -> (AnyArray, AnyArray) {
        in_float!(&[a, b], T => {
            let (x, r) = linalg::lstsq(&a.linalg_operand::<T>(), &b.linalg_operand::<T>());
            (x.into(), r.into())
        })
    }

    /// The tall-and-skinny QR factors.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::qr};
    /// let (q, r) = qr(&AnyArray::from(spillway::ones::<f64>([6, 2], [3, 2])));
    /// assert_eq!((q.shape(), r.shape()), (&[6, 2][..], &[2, 2][..]));
    /// ```
    pub fn qr(a: &AnyArray) -> (AnyArray, AnyArray) {
        in_float!(&[a], T => {
            let (q, r) = linalg::qr(&a.linalg_operand::<T>());
            (q.into(), r.into())
        })
    }

    /// The thin SVD of a tall-and-skinny matrix: `u`, `s`, `vt`.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::svd};
    /// let (u, s, v) = svd(&AnyArray::from(spillway::ones::<f64>([6, 2], [3, 2])));
    /// assert_eq!(s.shape(), &[2]);
    /// ```
    pub fn svd(a: &AnyArray) -> (AnyArray, AnyArray, AnyArray) {
        in_float!(&[a], T => {
            let (u, s, v) = linalg::svd(&a.linalg_operand::<T>());
            (u.into(), s.into(), v.into())
        })
    }

    /// A randomized rank-`k` SVD, as `da.linalg.svd_compressed`.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::svd_compressed};
    /// let (u, s, v) = svd_compressed(&AnyArray::from(spillway::ones::<f64>([6, 4], [3, 4])), 1, 0, 0);
    /// assert_eq!(s.shape(), &[1]);
    /// ```
    pub fn svd_compressed(
        a: &AnyArray,
        k: usize,
        n_power_iter: usize,
        seed: u64,
    ) -> (AnyArray, AnyArray, AnyArray) {
        in_float!(&[a], T => {
            let (u, s, v) = linalg::svd_compressed(&a.linalg_operand::<T>(), k, n_power_iter, seed);
            (u.into(), s.into(), v.into())
        })
    }

    /// A vector or matrix norm.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, dyn_linalg::norm};
    /// use spillway::array::linalg::NormOrd;
    /// let x = AnyArray::from(spillway::full([2], 3.0, 2));
    /// let n = norm(&x, NormOrd::Default).typed::<f64>().compute_scalar().unwrap();
    /// assert!((n - 18f64.sqrt()).abs() < 1e-12);
    /// ```
    pub fn norm(a: &AnyArray, ord: linalg::NormOrd) -> AnyArray {
        in_float!(&[a], T => linalg::norm(&a.linalg_operand::<T>(), ord).into())
    }

    /// A bilinear product `f` of complex operands from four real ones:
    /// `(A + iB)·(C + iD) = (AC - BD) + i(AD + BC)`.
    fn bilinear_complex(
        a: &AnyArray,
        b: &AnyArray,
        f: impl Fn(&AnyArray, &AnyArray) -> AnyArray,
    ) -> AnyArray {
        use crate::array::dynamic::{BinaryOp, UnaryOp};
        let (ar, ai) = (a.unary(UnaryOp::Real), a.unary(UnaryOp::Imag));
        let (br, bi) = (b.unary(UnaryOp::Real), b.unary(UnaryOp::Imag));
        let re = f(&ar, &br).binary(BinaryOp::Sub, &f(&ai, &bi));
        let im = f(&ar, &bi).binary(BinaryOp::Add, &f(&ai, &br));
        AnyArray::complex(&re, &im)
    }
}

impl AnyArray {
    /// The array as a real linear-algebra operand: complex arrays are refused (only the
    /// products `matmul` and `tensordot` take them, as four real products).
    fn linalg_operand<T: AnyElement>(&self) -> Array<T> {
        if self.dtype().is_complex() {
            return Array::invalid(ArrayError::UnsupportedDtype {
                op: "linalg",
                dtype: self.dtype().name().into(),
                fix: "spillway's decompositions and solvers are real: split the problem into real and imaginary parts (matmul and tensordot take complex operands)".into(),
            });
        }
        self.typed::<T>()
    }
}
