//! Elementwise operations: arithmetic, math functions, comparisons, casts.
//!
//! Each op is a node whose evaluator pulls the same region of its inputs and applies a
//! vectorised kernel to the tile, so chains of them fuse into one pass per chunk.

use super::broadcast::{broadcast_shapes, operand_region, unify_chunks};
use super::{Array, ArrayError};
use crate::dtype::{Element, FloatElement, Numeric};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
};
use crate::graph::region::Region;
use crate::kernels::elementwise as kernel;
use ndarray::{ArrayView, ArrayViewMut, IxDyn, Zip};
use std::any::TypeId;
use std::ops::{Add, Div, Mul, Neg, Sub};
use std::sync::Arc;

/// `f` applied to every element of one input.
struct UnaryExpr<T: Element, U: Element, F> {
    meta: NodeMeta,
    input: ExprRef<T>,
    f: F,
    _u: std::marker::PhantomData<fn() -> U>,
}

node_debug!([T: Element, U: Element, F] UnaryExpr<T, U, F>);

impl<T: Element, U: Element, F: Fn(T) -> U + Copy + Send + Sync + 'static> Node
    for UnaryExpr<T, U, F>
{
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Elementwise
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        (tile_elems * std::mem::size_of::<T>()) as u64
    }
}

impl<T: Element, U: Element, F: Fn(T) -> U + Copy + Send + Sync + 'static> Expr<U>
    for UnaryExpr<T, U, F>
{
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<U>> {
        Box::new(UnaryEval {
            input: ctx.build(&self.input),
            scratch: Scratch::default(),
            f: self.f,
        })
    }
}

struct UnaryEval<T, F> {
    input: Box<dyn Eval<T>>,
    scratch: Scratch<T>,
    f: F,
}

impl<T: Element, U: Element, F: Fn(T) -> U + Copy + Send + Sync> Eval<U> for UnaryEval<T, F> {
    fn eval(&mut self, region: &Region, out: &mut [U]) {
        let f = self.f;
        if TypeId::of::<T>() == TypeId::of::<U>() {
            // same type in and out: evaluate the input straight into `out` and map it in
            // place, so the tile stays in one cache-resident buffer
            // SAFETY: `T` and `U` are the same type (checked above).
            let data: &mut [T] =
                unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<T>(), out.len()) };
            self.input.eval(region, data);
            // SAFETY: as above, `U` is `T`, so this copy is the identity.
            kernel::map_inplace(data, move |x: T| unsafe {
                std::mem::transmute_copy::<U, T>(&f(x))
            });
            return;
        }
        let buf = self.scratch.get(region.size());
        self.input.eval(region, buf);
        kernel::map(buf, out, f);
    }

    fn row_sums(&mut self, region: &Region, row: usize, sums: &mut [U::Sum], assign: bool) -> bool {
        let buf = self.scratch.get(region.size());
        self.input.eval(region, buf);
        crate::kernels::reduce::sum_rows_mapped(sums, buf, row, self.f, assign);
        true
    }
}

/// `f` applied to broadcast pairs of elements of two inputs.
struct BinaryExpr<A: Element, B: Element, U: Element, F> {
    meta: NodeMeta,
    left: ExprRef<A>,
    right: ExprRef<B>,
    f: F,
    _u: std::marker::PhantomData<fn() -> U>,
}

node_debug!([A: Element, B: Element, U: Element, F] BinaryExpr<A, B, U, F>);

impl<A: Element, B: Element, U: Element, F: Fn(A, B) -> U + Copy + Send + Sync + 'static> Node
    for BinaryExpr<A, B, U, F>
{
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.left.clone().as_node(), self.right.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Elementwise
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        (tile_elems * (std::mem::size_of::<A>() + std::mem::size_of::<B>())) as u64
    }
}

impl<A: Element, B: Element, U: Element, F: Fn(A, B) -> U + Copy + Send + Sync + 'static> Expr<U>
    for BinaryExpr<A, B, U, F>
{
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<U>> {
        Box::new(BinaryEval {
            left: ctx.build(&self.left),
            right: ctx.build(&self.right),
            left_shape: self.left.meta().shape.clone(),
            right_shape: self.right.meta().shape.clone(),
            left_scratch: Scratch::default(),
            right_scratch: Scratch::default(),
            f: self.f,
        })
    }
}

struct BinaryEval<A, B, F> {
    left: Box<dyn Eval<A>>,
    right: Box<dyn Eval<B>>,
    left_shape: Vec<usize>,
    right_shape: Vec<usize>,
    left_scratch: Scratch<A>,
    right_scratch: Scratch<B>,
    f: F,
}

impl<A: Element, B: Element, U: Element, F: Fn(A, B) -> U + Copy + Send + Sync> Eval<U>
    for BinaryEval<A, B, F>
{
    fn eval(&mut self, region: &Region, out: &mut [U]) {
        let left_region = operand_region(region, &self.left_shape);
        let right_region = operand_region(region, &self.right_shape);
        let l = self.left_scratch.get(left_region.size());
        self.left.eval(&left_region, l);
        let r = self.right_scratch.get(right_region.size());
        self.right.eval(&right_region, r);
        let n = region.size();
        let f = self.f;
        if l.len() == n && r.len() == n {
            kernel::zip(l, r, out, f);
        } else if l.len() == 1 && r.len() == n {
            kernel::zip_scalar_left(l[0], r, out, f);
        } else if r.len() == 1 && l.len() == n {
            kernel::zip_scalar_right(l, r[0], out, f);
        } else {
            // general broadcast: ndarray aligns the views
            let out_shape = region.shape.as_slice();
            let lv =
                ArrayView::from_shape(IxDyn(left_region.shape.as_slice()), l).expect("tile shape");
            let rv =
                ArrayView::from_shape(IxDyn(right_region.shape.as_slice()), r).expect("tile shape");
            let lb = lv
                .broadcast(IxDyn(out_shape))
                .expect("shapes broadcast by construction");
            let rb = rv
                .broadcast(IxDyn(out_shape))
                .expect("shapes broadcast by construction");
            let ov = ArrayViewMut::from_shape(IxDyn(out_shape), out).expect("tile shape");
            Zip::from(ov)
                .and(&lb)
                .and(&rb)
                .for_each(|o, &a, &b| *o = f(a, b));
        }
    }
}

impl<T: Element> Array<T> {
    /// Applies `f` to every element, lazily (Dask's `map_blocks` for elementwise `f`).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2).map(|v| v * 10);
    /// assert_eq!(x.compute_vec().unwrap(), vec![0, 10, 20, 30]);
    /// ```
    pub fn map<U: Element, F: Fn(T) -> U + Copy + Send + Sync + 'static>(&self, f: F) -> Array<U> {
        self.unary("map", f)
    }

    pub(crate) fn unary<U: Element, F: Fn(T) -> U + Copy + Send + Sync + 'static>(
        &self,
        label: &str,
        f: F,
    ) -> Array<U> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let meta = NodeMeta::new(
            label,
            self.shape().to_vec(),
            self.chunks().clone(),
            U::DTYPE,
        );
        Array::from_expr(Arc::new(UnaryExpr {
            meta,
            input: self.expr.clone(),
            f,
            _u: std::marker::PhantomData,
        }))
    }

    /// Combines broadcast pairs of elements of `self` and `other` with `f`.
    ///
    /// ```
    /// let a = spillway::arange(0i64, 3, 1, 2);
    /// let b = spillway::full([2, 1], 10i64, 1);
    /// let c = a.zip_with(&b, |x, y| x + y).compute().unwrap();
    /// assert_eq!(c.shape(), &[2, 3]);
    /// assert_eq!(c[[1, 2]], 12);
    /// ```
    pub fn zip_with<B: Element, U: Element, F: Fn(T, B) -> U + Copy + Send + Sync + 'static>(
        &self,
        other: &Array<B>,
        f: F,
    ) -> Array<U> {
        self.binary("map", other, f)
    }

    pub(crate) fn binary<
        B: Element,
        U: Element,
        F: Fn(T, B) -> U + Copy + Send + Sync + 'static,
    >(
        &self,
        label: &str,
        other: &Array<B>,
        f: F,
    ) -> Array<U> {
        if let Some(e) = self.error().or_else(|| other.error()) {
            return Array::invalid(e);
        }
        let shape = match broadcast_shapes(self.shape(), other.shape()) {
            Ok(s) => s,
            Err(e) => return Array::invalid(e),
        };
        let chunks = unify_chunks(
            &[
                (self.shape(), self.chunks()),
                (other.shape(), other.chunks()),
            ],
            &shape,
        );
        let meta = NodeMeta::new(label, shape, chunks, U::DTYPE);
        Array::from_expr(Arc::new(BinaryExpr {
            meta,
            left: self.expr.clone(),
            right: other.expr.clone(),
            f,
            _u: std::marker::PhantomData,
        }))
    }

    /// Casts every element, as NumPy's `astype`.
    ///
    /// ```
    /// let x = spillway::arange(0.0, 3.0, 1.0, 2).astype::<i32>();
    /// assert_eq!(x.dtype(), spillway::DType::Int32);
    /// assert_eq!(x.compute_vec().unwrap(), vec![0, 1, 2]);
    /// ```
    pub fn astype<U: Element>(&self) -> Array<U> {
        self.unary("astype", |v: T| v.cast::<U>())
    }

    fn compare<F: Fn(T, T) -> bool + Copy + Send + Sync + 'static>(
        &self,
        label: &str,
        other: Operand<T>,
        f: F,
    ) -> Array<bool> {
        match other {
            Operand::Scalar(s) => self.unary(label, move |a| f(a, s)),
            Operand::Array(b) => self.binary(label, &b, f),
        }
    }

    /// `self < other`, elementwise, against an array or a scalar.
    ///
    /// ```
    /// let x = spillway::arange(0.0, 4.0, 1.0, 2);
    /// assert_eq!(x.lt(2.0).compute_vec().unwrap(), vec![true, true, false, false]);
    /// ```
    pub fn lt(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.compare("lt", other.into(), |a, b| a < b)
    }

    /// `self <= other`, elementwise.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// assert_eq!(x.le(1).compute_vec().unwrap(), vec![true, true, false, false]);
    /// ```
    pub fn le(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.compare("le", other.into(), |a, b| a <= b)
    }

    /// `self > other`, elementwise.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// assert_eq!(x.gt(&x).compute_vec().unwrap(), vec![false; 4]);
    /// ```
    pub fn gt(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.compare("gt", other.into(), |a, b| a > b)
    }

    /// `self >= other`, elementwise.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// assert_eq!(x.ge(2).compute_vec().unwrap(), vec![false, false, true, true]);
    /// ```
    pub fn ge(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.compare("ge", other.into(), |a, b| a >= b)
    }

    /// `self == other`, elementwise (NaN is unequal to everything, as in NumPy).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// assert_eq!(x.eq(&x).compute_vec().unwrap(), vec![true; 4]);
    /// ```
    pub fn eq(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.compare("eq", other.into(), |a, b| a == b)
    }

    /// `self != other`, elementwise.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// assert_eq!(x.ne(3).compute_vec().unwrap(), vec![true, true, true, false]);
    /// ```
    pub fn ne(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.compare("ne", other.into(), |a, b| a != b)
    }
}

/// The right-hand side of a comparison: a scalar or an array.
///
/// ```
/// use spillway::Operand;
/// let _s: Operand<f64> = 1.0.into();
/// let _a: Operand<f64> = (&spillway::zeros::<f64>(3, 1)).into();
/// ```
pub enum Operand<T: Element> {
    /// A scalar, broadcast to every element.
    Scalar(T),
    /// An array, broadcast against the other operand.
    Array(Array<T>),
}

impl<T: Element> From<T> for Operand<T> {
    fn from(v: T) -> Self {
        Operand::Scalar(v)
    }
}
impl<T: Element> From<&Array<T>> for Operand<T> {
    fn from(a: &Array<T>) -> Self {
        Operand::Array(a.clone())
    }
}
impl<T: Element> From<Array<T>> for Operand<T> {
    fn from(a: Array<T>) -> Self {
        Operand::Array(a)
    }
}

impl<T: Numeric> Array<T> {
    /// Raises every element to an integer power (the lesson's `**`). Integer arrays
    /// refuse negative powers, as NumPy does.
    ///
    /// ```
    /// let a = spillway::arange(1i64, 50, 3, 5);
    /// assert_eq!(a.powi(2).compute().unwrap()[[16]], 2401);
    /// assert!(a.powi(-1).check().is_err());
    /// ```
    pub fn powi(&self, n: i32) -> Array<T> {
        if n < 0 && !T::DTYPE.is_float() && !T::DTYPE.is_complex() {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "power",
                message: format!(
                    "integers to negative integer powers are not allowed (got {n}); cast to float first with astype::<f64>()"
                ),
            });
        }
        // small powers as plain products, so the kernel loop vectorises
        match n {
            1 => self.unary("pow", |a| a),
            2 => self.unary("pow", |a| T::mul(a, a)),
            3 => self.unary("pow", |a| T::mul(T::mul(a, a), a)),
            _ => self.unary("pow", move |a| T::powi(a, n)),
        }
    }

    /// `-x`, elementwise (wrapping for unsigned types, as NumPy).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 3, 1, 2);
    /// assert_eq!((-&x).compute_vec().unwrap(), vec![0, -1, -2]);
    /// ```
    pub fn neg(&self) -> Array<T> {
        self.unary("neg", T::neg)
    }

    /// `|x|`, elementwise.
    ///
    /// ```
    /// let x = spillway::arange(-2i64, 1, 1, 2).abs();
    /// assert_eq!(x.compute_vec().unwrap(), vec![2, 1, 0]);
    /// ```
    pub fn abs(&self) -> Array<T> {
        self.unary("absolute", T::abs)
    }

    /// Elementwise maximum of two arrays (NaN propagates), as `np.maximum`.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// let y = spillway::full(4, 2i64, 4);
    /// assert_eq!(x.maximum(&y).compute_vec().unwrap(), vec![2, 2, 2, 3]);
    /// ```
    pub fn maximum(&self, other: &Array<T>) -> Array<T> {
        self.binary("maximum", other, T::max_nan)
    }

    /// Elementwise minimum of two arrays (NaN propagates), as `np.minimum`.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 4, 1, 2);
    /// let y = spillway::full(4, 2i64, 4);
    /// assert_eq!(x.minimum(&y).compute_vec().unwrap(), vec![0, 1, 2, 2]);
    /// ```
    pub fn minimum(&self, other: &Array<T>) -> Array<T> {
        self.binary("minimum", other, T::min_nan)
    }
}

macro_rules! float_unary {
    ($($(#[$doc:meta])* $name:ident => $label:literal, $f:expr;)*) => {
        impl<T: FloatElement> Array<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Array<T> {
                    self.unary($label, $f)
                }
            )*
        }
    };
}

float_unary! {
    /// Square root, elementwise.
    ///
    /// ```
    /// let x = spillway::full(2, 9.0, 1).sqrt();
    /// assert_eq!(x.compute_vec().unwrap(), vec![3.0, 3.0]);
    /// ```
    sqrt => "sqrt", |a: T| num_traits::Float::sqrt(a);
    /// `e^x`, elementwise.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>(2, 1).exp();
    /// assert_eq!(x.compute_vec().unwrap(), vec![1.0, 1.0]);
    /// ```
    exp => "exp", |a: T| a.exp();
    /// Natural logarithm, elementwise (NumPy's `log`).
    ///
    /// ```
    /// let x = spillway::ones::<f64>(2, 1).log();
    /// assert_eq!(x.compute_vec().unwrap(), vec![0.0, 0.0]);
    /// ```
    log => "log", |a: T| a.ln();
    /// Sine, elementwise.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>(2, 1).sin();
    /// assert_eq!(x.compute_vec().unwrap(), vec![0.0, 0.0]);
    /// ```
    sin => "sin", |a: T| a.sin();
    /// Cosine, elementwise.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>(2, 1).cos();
    /// assert_eq!(x.compute_vec().unwrap(), vec![1.0, 1.0]);
    /// ```
    cos => "cos", |a: T| a.cos();
}

impl<T: FloatElement> Array<T> {
    /// Raises every element to a float power, as `x ** p` with a float `p`.
    ///
    /// ```
    /// let x = spillway::full(2, 4.0, 1).powf(0.5);
    /// assert_eq!(x.compute_vec().unwrap(), vec![2.0, 2.0]);
    /// ```
    pub fn powf(&self, p: T) -> Array<T> {
        self.unary("pow", move |a: T| a.powf(p))
    }
}

// `/` divides floats; on integer arrays it is NumPy's floor division `//` (cast to a
// float type first for true division), see `Numeric::div`.
macro_rules! arithmetic_operator {
    ($trait:ident, $method:ident, $label:literal, $f:path) => {
        impl<T: Numeric> $trait<&Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                self.binary($label, rhs, $f)
            }
        }
        impl<T: Numeric> $trait<Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                self.binary($label, &rhs, $f)
            }
        }
        impl<T: Numeric> $trait<&Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                self.binary($label, rhs, $f)
            }
        }
        impl<T: Numeric> $trait<Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                self.binary($label, &rhs, $f)
            }
        }
        impl<T: Numeric> $trait<T> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.unary($label, move |a| $f(a, rhs))
            }
        }
        impl<T: Numeric> $trait<T> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.unary($label, move |a| $f(a, rhs))
            }
        }
    };
}

arithmetic_operator!(Add, add, "add", Numeric::add);
arithmetic_operator!(Sub, sub, "sub", Numeric::sub);
arithmetic_operator!(Mul, mul, "mul", Numeric::mul);
arithmetic_operator!(Div, div, "div", Numeric::div);

macro_rules! scalar_on_left {
    ($($t:ty),*) => {$(
        impl Add<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn add(self, rhs: &Array<$t>) -> Array<$t> {
                rhs.unary("add", move |a| Numeric::add(self, a))
            }
        }
        impl Add<Array<$t>> for $t {
            type Output = Array<$t>;
            fn add(self, rhs: Array<$t>) -> Array<$t> {
                self + &rhs
            }
        }
        impl Sub<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn sub(self, rhs: &Array<$t>) -> Array<$t> {
                rhs.unary("sub", move |a| Numeric::sub(self, a))
            }
        }
        impl Sub<Array<$t>> for $t {
            type Output = Array<$t>;
            fn sub(self, rhs: Array<$t>) -> Array<$t> {
                self - &rhs
            }
        }
        impl Mul<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn mul(self, rhs: &Array<$t>) -> Array<$t> {
                rhs.unary("mul", move |a| Numeric::mul(self, a))
            }
        }
        impl Mul<Array<$t>> for $t {
            type Output = Array<$t>;
            fn mul(self, rhs: Array<$t>) -> Array<$t> {
                self * &rhs
            }
        }
        impl Div<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn div(self, rhs: &Array<$t>) -> Array<$t> {
                rhs.unary("div", move |a| Numeric::div(self, a))
            }
        }
        impl Div<Array<$t>> for $t {
            type Output = Array<$t>;
            fn div(self, rhs: Array<$t>) -> Array<$t> {
                self / &rhs
            }
        }
    )*};
}

scalar_on_left!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8);

impl<T: Numeric> Neg for &Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        Array::neg(self)
    }
}

impl<T: Numeric> Neg for Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        Array::neg(&self)
    }
}

#[cfg(test)]
mod tests {
    use crate::{arange, full, zeros};

    #[test]
    fn scalars_work_on_either_side() {
        let x = arange(1.0f64, 4.0, 1.0, 2);
        assert_eq!((4.0 * &x).compute_vec().unwrap(), vec![4.0, 8.0, 12.0]);
        assert_eq!((&x - 1.0).compute_vec().unwrap(), vec![0.0, 1.0, 2.0]);
        assert_eq!((6.0 / &x).compute_vec().unwrap(), vec![6.0, 3.0, 2.0]);
        assert_eq!((10.0 - x).compute_vec().unwrap(), vec![9.0, 8.0, 7.0]);
    }

    #[test]
    fn broadcasting_combines_row_and_column() {
        let row = arange(0i64, 3, 1, 2).check().unwrap();
        let col = full([4, 1], 10i64, [3, 1]);
        let sum = (&row + &col).compute().unwrap();
        assert_eq!(sum.shape(), &[4, 3]);
        for i in 0..4 {
            for j in 0..3 {
                assert_eq!(sum[[i, j]], 10 + j as i64);
            }
        }
    }

    #[test]
    fn mismatched_shapes_carry_a_broadcast_error() {
        let a = zeros::<f64>([10], 3);
        let b = zeros::<f64>([3], 3);
        let c = (&a + &b) * 2.0;
        let err = c.compute().unwrap_err().to_string();
        assert!(err.contains("(10,) and (3,)"), "{err}");
    }
}
