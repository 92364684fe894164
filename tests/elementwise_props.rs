//! Elementwise operations against ndarray, bit for bit: every elementwise float op is one
//! IEEE operation (or the same libm call) per element, so chunking, tiling and fusion
//! must not change a single bit.
//!
//! Inputs are ndarrays wrapped with `from_ndarray(data, chunks)`; shapes have 0 to 3
//! axes with empty and size-1 axes, chunkings have chunks of 1 and uneven last chunks,
//! and the two operands of a binary op are chunked independently.

mod common;
use common::chunking;
use ndarray::{ArrayD, Dimension, IxDyn, Zip};
use proptest::prelude::*;
use spillway::{Array, ChunkSpec, Element, from_ndarray};
use std::fmt::Debug;

// ---------------------------------------------------------------------------------------
// strategies

/// An axis extent: sometimes 0, often 1, mostly 2..9.
fn extent() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 2 => Just(1usize), 7 => 2usize..9]
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(extent(), 0..=3)
}

/// An in-memory array and the chunking to wrap it with.
#[derive(Debug, Clone)]
struct Input<T> {
    data: ArrayD<T>,
    chunks: Vec<Vec<usize>>,
}

impl<T: Element> Input<T> {
    fn lazy(&self) -> Array<T> {
        let a = from_ndarray(self.data.clone(), ChunkSpec::Explicit(self.chunks.clone()));
        assert!(a.error().is_none(), "{:?}", a.error());
        assert_eq!(a.chunks().as_vecs(), &self.chunks[..]);
        a
    }
}

fn input_from<T: Debug + Clone + 'static>(
    shape: Vec<usize>,
    values: impl Strategy<Value = T> + Clone + 'static,
) -> BoxedStrategy<Input<T>> {
    let size: usize = shape.iter().product();
    (proptest::collection::vec(values, size), chunking(&shape))
        .prop_map(move |(v, chunks)| Input {
            data: ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap(),
            chunks,
        })
        .boxed()
}

/// Floats in -50..50 with exact zeros, negative zeros and small values mixed in.
fn float_value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        8 => -50.0f64..50.0,
        1 => Just(0.0f64),
        1 => Just(-0.0f64),
        1 => -1e-3f64..1e-3,
    ]
}

fn positive_value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![8 => 0.01f64..50.0, 1 => 1e-6f64..1e-3]
}

fn int_value() -> impl Strategy<Value = i64> + Clone {
    prop_oneof![6 => -30i64..30, 1 => Just(0i64), 1 => any::<i64>()]
}

/// Two operands of one shape, chunked independently.
fn same_shape_pair<T: Debug + Clone + 'static>(
    values: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = (Input<T>, Input<T>)> {
    shape().prop_flat_map(move |s| {
        (
            input_from(s.clone(), values.clone()),
            input_from(s, values.clone()),
        )
    })
}

fn single<T: Debug + Clone + 'static>(
    values: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = Input<T>> {
    shape().prop_flat_map(move |s| input_from(s, values.clone()))
}

/// Two shapes that broadcast: per axis both full, or one of them 1; then some leading
/// axes dropped from one of them (missing leading dims broadcast too).
fn broadcast_shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    proptest::collection::vec((extent(), 0u8..4), 0..=3).prop_flat_map(|axes| {
        let ndim = axes.len();
        (Just(axes), 0..=ndim, any::<bool>()).prop_map(|(axes, drop, drop_left)| {
            let mut left = Vec::new();
            let mut right = Vec::new();
            for &(e, mode) in &axes {
                // mode 0/1: both full, 2: left is 1, 3: right is 1
                left.push(if mode == 2 { 1 } else { e });
                right.push(if mode == 3 { 1 } else { e });
            }
            if drop_left {
                left.drain(..drop);
            } else {
                right.drain(..drop);
            }
            (left, right)
        })
    })
}

fn broadcast_pair<T: Debug + Clone + 'static>(
    values: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = (Input<T>, Input<T>)> {
    broadcast_shapes()
        .prop_flat_map(move |(l, r)| (input_from(l, values.clone()), input_from(r, values.clone())))
}

// ---------------------------------------------------------------------------------------
// references and comparisons

/// Bitwise equality per element: floats by their bits (NaN-safe, -0.0 is not 0.0).
trait BitEq: Copy + Debug {
    fn bit_eq(self, other: Self) -> bool;
}
impl BitEq for f64 {
    fn bit_eq(self, other: Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}
impl BitEq for f32 {
    fn bit_eq(self, other: Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}
macro_rules! bit_eq_by_value {
    ($($t:ty),*) => {$(
        impl BitEq for $t {
            fn bit_eq(self, other: Self) -> bool {
                self == other
            }
        }
    )*};
}
bit_eq_by_value!(i64, i32, i16, i8, u64, u32, u16, u8, bool);

fn assert_same<T: BitEq + Element>(
    lazy: &Array<T>,
    want: &ArrayD<T>,
    what: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(lazy.error().is_none(), "{}: {:?}", what, lazy.error());
    prop_assert_eq!(lazy.shape(), want.shape(), "{} shape", what);
    let got = lazy
        .compute()
        .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    prop_assert_eq!(got.shape(), want.shape(), "{} computed shape", what);
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        prop_assert!(
            g.bit_eq(*w),
            "{}: element {} is {:?}, expected {:?}",
            what,
            i,
            g,
            w
        );
    }
    Ok(())
}

/// NumPy's broadcast shape (test-side implementation).
fn numpy_broadcast(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let x = if i + a.len() >= n {
                a[i + a.len() - n]
            } else {
                1
            };
            let y = if i + b.len() >= n {
                b[i + b.len() - n]
            } else {
                1
            };
            if x == 1 { y } else { x }
        })
        .collect()
}

fn zip_ref<A: Copy, B: Copy, U>(a: &ArrayD<A>, b: &ArrayD<B>, f: impl Fn(A, B) -> U) -> ArrayD<U> {
    let shape = numpy_broadcast(a.shape(), b.shape());
    let av = a.broadcast(IxDyn(&shape)).unwrap();
    let bv = b.broadcast(IxDyn(&shape)).unwrap();
    Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y))
}

fn wrap_div(a: i64, b: i64) -> i64 {
    // `/` on integer arrays is NumPy's floor division `//`: rounds toward negative
    // infinity; division by zero gives 0, as NumPy does (with a warning there)
    if b == 0 {
        return 0;
    }
    let q = a.wrapping_div(b);
    if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

/// The properties of `narrow_integers_behave_like_numpy` for one type `$t` whose sums are
/// `$sum`: the inputs are `i64` values cast (wrapping) to `$t`.
macro_rules! narrow_integer_checks {
    ($a:expr, $b:expr, $s:expr, $t:ty, $sum:ty) => {{
        let (x, y) = ($a.lazy().astype::<$t>(), $b.lazy().astype::<$t>());
        let (u, v) = ($a.data.mapv(|p| p as $t), $b.data.mapv(|p| p as $t));
        let s = $s as $t;
        let name = stringify!($t);
        assert_same(&(&x + &y), &zip_ref(&u, &v, <$t>::wrapping_add), name)?;
        assert_same(&(&x - &y), &zip_ref(&u, &v, <$t>::wrapping_sub), name)?;
        assert_same(&(&x * &y), &zip_ref(&u, &v, <$t>::wrapping_mul), name)?;
        let floor = |p: $t, q: $t| wrap_div(p as i64, q as i64) as $t;
        assert_same(&(&x / &y), &zip_ref(&u, &v, floor), name)?;
        assert_same(&(&x + s), &u.mapv(|p| p.wrapping_add(s)), name)?;
        assert_same(&(s - &x), &u.mapv(|p| s.wrapping_sub(p)), name)?;
        assert_same(&x.neg(), &u.mapv(<$t>::wrapping_neg), name)?;
        assert_same(&x.lt(&y), &zip_ref(&u, &v, |p, q| p < q), name)?;
        assert_same(&x.eq(s), &u.mapv(|p| p == s), name)?;
        assert_same(&x.astype::<f64>(), &u.mapv(|p| p as f64), name)?;
        assert_same(&x.astype::<i64>(), &u.mapv(|p| p as i64), name)?;
        let total: $sum = u
            .iter()
            .fold(0, |acc: $sum, &p| acc.wrapping_add(p as $sum));
        let got = x
            .sum()
            .compute_scalar()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got, total, "{} sum", name);
    }};
}

// ---------------------------------------------------------------------------------------
// properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn float_arithmetic_between_arrays((a, b) in same_shape_pair(float_value())) {
        let (x, y) = (a.lazy(), b.lazy());
        let (u, v) = (&a.data, &b.data);
        assert_same(&(&x + &y), &zip_ref(u, v, |p, q| p + q), "x + y")?;
        assert_same(&(&x - &y), &zip_ref(u, v, |p, q| p - q), "x - y")?;
        assert_same(&(&x * &y), &zip_ref(u, v, |p, q| p * q), "x * y")?;
        assert_same(&(&x / &y), &zip_ref(u, v, |p, q| p / q), "x / y")?;
        // owned operands too
        assert_same(&(x.clone() + y.clone()), &zip_ref(u, v, |p, q| p + q), "owned x + y")?;
        assert_same(&(x.clone() - &y), &zip_ref(u, v, |p, q| p - q), "owned x - &y")?;
        assert_same(&(&x * y.clone()), &zip_ref(u, v, |p, q| p * q), "&x * owned y")?;
        // a fused chain
        let chain = ((&x + &y) * 2.0 - &x / &y) * &x;
        let want = zip_ref(u, v, |p, q| ((p + q) * 2.0 - p / q) * p);
        assert_same(&chain, &want, "((x + y) * 2 - x / y) * x")?;
    }

    #[test]
    fn float_arithmetic_with_scalars_on_both_sides(a in single(float_value()), s in float_value()) {
        let x = a.lazy();
        let u = &a.data;
        assert_same(&(&x + s), &u.mapv(|p| p + s), "x + s")?;
        assert_same(&(s + &x), &u.mapv(|p| s + p), "s + x")?;
        assert_same(&(&x - s), &u.mapv(|p| p - s), "x - s")?;
        assert_same(&(s - &x), &u.mapv(|p| s - p), "s - x")?;
        assert_same(&(&x * s), &u.mapv(|p| p * s), "x * s")?;
        assert_same(&(s * &x), &u.mapv(|p| s * p), "s * x")?;
        assert_same(&(&x / s), &u.mapv(|p| p / s), "x / s")?;
        assert_same(&(s / &x), &u.mapv(|p| s / p), "s / x")?;
        assert_same(&(s - x.clone()), &u.mapv(|p| s - p), "s - owned x")?;
        assert_same(&(x.clone() / s), &u.mapv(|p| p / s), "owned x / s")?;
    }

    #[test]
    fn float_unary_ops(a in single(float_value()), n in -3i32..5) {
        let x = a.lazy();
        let u = &a.data;
        assert_same(&x.powi(n), &u.mapv(|p| p.powi(n)), "powi")?;
        assert_same(&x.powi(2), &u.mapv(|p| p * p), "powi(2)")?;
        assert_same(&x.neg(), &u.mapv(|p| -p), "neg")?;
        assert_same(&(-&x), &u.mapv(|p| -p), "-x")?;
        assert_same(&(-x.clone()), &u.mapv(|p| -p), "-owned x")?;
        assert_same(&x.abs(), &u.mapv(f64::abs), "abs")?;
        assert_same(&x.sin(), &u.mapv(f64::sin), "sin")?;
        assert_same(&x.cos(), &u.mapv(f64::cos), "cos")?;
        assert_same(&x.exp(), &u.mapv(f64::exp), "exp")?;
    }

    #[test]
    fn float_functions_on_positive_data(a in single(positive_value())) {
        let x = a.lazy();
        let u = &a.data;
        assert_same(&x.sqrt(), &u.mapv(f64::sqrt), "sqrt")?;
        assert_same(&x.log(), &u.mapv(f64::ln), "log")?;
        assert_same(&x.exp(), &u.mapv(f64::exp), "exp")?;
        assert_same(&x.sin(), &u.mapv(f64::sin), "sin")?;
        assert_same(&x.cos(), &u.mapv(f64::cos), "cos")?;
        // black_box keeps the compiler from turning the reference's pow(p, 0.5) into
        // sqrt(p): both sides must call the same libm pow
        let half = std::hint::black_box(0.5);
        assert_same(&x.powf(half), &u.mapv(|p| p.powf(half)), "powf")?;
        // a fused chain of functions
        let chain = (x.log() * 0.5).exp() - x.sqrt().cos().abs();
        let want = u.mapv(|p| (p.ln() * 0.5).exp() - p.sqrt().cos().abs());
        assert_same(&chain, &want, "exp(log(x)/2) - |cos(sqrt(x))|")?;
    }

    #[test]
    fn integer_arithmetic_wraps_like_numpy(
        (a, b) in same_shape_pair(int_value()),
        s in int_value(),
        n in 0i32..5,
    ) {
        let (x, y) = (a.lazy(), b.lazy());
        let (u, v) = (&a.data, &b.data);
        assert_same(&(&x + &y), &zip_ref(u, v, i64::wrapping_add), "x + y")?;
        assert_same(&(&x - &y), &zip_ref(u, v, i64::wrapping_sub), "x - y")?;
        assert_same(&(&x * &y), &zip_ref(u, v, i64::wrapping_mul), "x * y")?;
        assert_same(&(&x / &y), &zip_ref(u, v, wrap_div), "x / y")?;
        assert_same(&(&x + s), &u.mapv(|p| p.wrapping_add(s)), "x + s")?;
        assert_same(&(s - &x), &u.mapv(|p| s.wrapping_sub(p)), "s - x")?;
        assert_same(&(s * &x), &u.mapv(|p| s.wrapping_mul(p)), "s * x")?;
        assert_same(&(s / &x), &u.mapv(|p| wrap_div(s, p)), "s / x")?;
        assert_same(&(&x / s), &u.mapv(|p| wrap_div(p, s)), "x / s")?;
        assert_same(&x.powi(n), &u.mapv(|p| p.wrapping_pow(n as u32)), "powi")?;
        assert_same(&x.neg(), &u.mapv(i64::wrapping_neg), "neg")?;
        assert_same(&x.abs(), &u.mapv(i64::wrapping_abs), "abs")?;
    }

    /// The narrow integers (`int8`, `int16`, `uint16`) wrap, divide, compare, cast and
    /// sum (into 64 bits) as NumPy does, whatever the chunks.
    #[test]
    fn narrow_integers_behave_like_numpy(
        (a, b) in same_shape_pair(int_value()),
        s in int_value(),
    ) {
        narrow_integer_checks!(a, b, s, i8, i64);
        narrow_integer_checks!(a, b, s, i16, i64);
        narrow_integer_checks!(a, b, s, u16, u64);
    }

    #[test]
    fn comparisons_with_arrays_and_scalars((a, b) in same_shape_pair(float_value()), s in float_value()) {
        let (x, y) = (a.lazy(), b.lazy());
        let (u, v) = (&a.data, &b.data);
        assert_same(&x.lt(&y), &zip_ref(u, v, |p, q| p < q), "lt")?;
        assert_same(&x.le(&y), &zip_ref(u, v, |p, q| p <= q), "le")?;
        assert_same(&x.gt(&y), &zip_ref(u, v, |p, q| p > q), "gt")?;
        assert_same(&x.ge(&y), &zip_ref(u, v, |p, q| p >= q), "ge")?;
        assert_same(&x.eq(&y), &zip_ref(u, v, |p, q| p == q), "eq")?;
        assert_same(&x.ne(&y), &zip_ref(u, v, |p, q| p != q), "ne")?;
        assert_same(&x.eq(&x), &u.mapv(|p| !p.is_nan()), "x == x")?;
        assert_same(&x.lt(s), &u.mapv(|p| p < s), "lt s")?;
        assert_same(&x.le(s), &u.mapv(|p| p <= s), "le s")?;
        assert_same(&x.gt(s), &u.mapv(|p| p > s), "gt s")?;
        assert_same(&x.ge(s), &u.mapv(|p| p >= s), "ge s")?;
        assert_same(&x.eq(s), &u.mapv(|p| p == s), "eq s")?;
        assert_same(&x.ne(s), &u.mapv(|p| p != s), "ne s")?;
        // y.clone() as an owned operand
        assert_same(&x.lt(y.clone()), &zip_ref(u, v, |p, q| p < q), "lt owned")?;
    }

    #[test]
    fn integer_comparisons((a, b) in broadcast_pair(-5i64..5), s in -5i64..5) {
        let (x, y) = (a.lazy(), b.lazy());
        let (u, v) = (&a.data, &b.data);
        assert_same(&x.lt(&y), &zip_ref(u, v, |p, q| p < q), "lt")?;
        assert_same(&x.ge(&y), &zip_ref(u, v, |p, q| p >= q), "ge")?;
        assert_same(&x.eq(&y), &zip_ref(u, v, |p, q| p == q), "eq")?;
        assert_same(&x.ne(s), &u.mapv(|p| p != s), "ne s")?;
    }

    #[test]
    fn astype_between_dtypes(a in single(float_value()), b in single(int_value())) {
        let x = a.lazy();
        let u = &a.data;
        // values lie in -50..50, so float -> int truncates toward zero, as NumPy's astype
        assert_same(&x.astype::<i64>(), &u.mapv(|p| p as i64), "f64 -> i64")?;
        assert_same(&x.astype::<i32>(), &u.mapv(|p| p as i32), "f64 -> i32")?;
        // negative floats to uint8 wrap through int64, as NumPy does on x86-64
        assert_same(&x.astype::<u8>(), &u.mapv(|p| (p as i64) as u8), "f64 -> u8")?;
        assert_same(&x.astype::<f32>(), &u.mapv(|p| p as f32), "f64 -> f32")?;
        assert_same(&x.astype::<bool>(), &u.mapv(|p| p != 0.0), "f64 -> bool")?;
        assert_same(&x.astype::<f64>(), u, "f64 -> f64")?;
        assert_same(&x.astype::<f32>().astype::<f64>(), &u.mapv(|p| p as f32 as f64), "f64 -> f32 -> f64")?;
        let y = b.lazy();
        let v = &b.data;
        assert_same(&y.astype::<f64>(), &v.mapv(|p| p as f64), "i64 -> f64")?;
        assert_same(&y.astype::<u8>(), &v.mapv(|p| p as u8), "i64 -> u8")?;
        assert_same(&y.astype::<i32>(), &v.mapv(|p| p as i32), "i64 -> i32")?;
        assert_same(&y.astype::<u64>(), &v.mapv(|p| p as u64), "i64 -> u64")?;
        assert_same(&y.astype::<bool>(), &v.mapv(|p| p != 0), "i64 -> bool")?;
        let z = x.lt(0.0);
        let w = u.mapv(|p| p < 0.0);
        assert_same(&z.astype::<f64>(), &w.mapv(|p| if p { 1.0 } else { 0.0 }), "bool -> f64")?;
        assert_same(&z.astype::<i64>(), &w.mapv(i64::from), "bool -> i64")?;
        assert_same(&z.astype::<u8>(), &w.mapv(u8::from), "bool -> u8")?;
    }

    #[test]
    fn broadcasting_size_one_and_missing_leading_dims(
        (a, b) in broadcast_pair(float_value()),
        s in float_value(),
    ) {
        let (x, y) = (a.lazy(), b.lazy());
        let (u, v) = (&a.data, &b.data);
        let want_shape = numpy_broadcast(u.shape(), v.shape());
        let sum = &x + &y;
        prop_assert_eq!(sum.shape(), &want_shape[..]);
        prop_assert_eq!(sum.ndim(), want_shape.len());
        // the output's chunks cover the output shape
        for (axis, lens) in sum.chunks().as_vecs().iter().enumerate() {
            prop_assert_eq!(lens.iter().sum::<usize>(), want_shape[axis]);
        }
        assert_same(&sum, &zip_ref(u, v, |p, q| p + q), "x + y")?;
        assert_same(&(&y - &x), &zip_ref(v, u, |p, q| p - q), "y - x")?;
        assert_same(&(&x * &y), &zip_ref(u, v, |p, q| p * q), "x * y")?;
        assert_same(&(&y / &x), &zip_ref(v, u, |p, q| p / q), "y / x")?;
        assert_same(&x.le(&y), &zip_ref(u, v, |p, q| p <= q), "x <= y")?;
        assert_same(&x.maximum(&y), &zip_ref(u, v, |p: f64, q: f64| if p > q { p } else { q }), "maximum")?;
        // broadcast inside a fused chain with a scalar
        let chain = (&x - s) * &y + &x;
        assert_same(&chain, &zip_ref(u, v, |p, q| (p - s) * q + p), "(x - s) * y + x")?;
    }

    #[test]
    fn transpose_and_permutations(a in single(float_value()), perm_seed in any::<u64>()) {
        let x = a.lazy();
        let u = &a.data;
        let ndim = u.ndim();
        let reversed: Vec<usize> = (0..ndim).rev().collect();
        let want_t = u.clone().permuted_axes(IxDyn(&reversed)).as_standard_layout().into_owned();
        assert_same(&x.transpose(), &want_t, "transpose")?;
        assert_same(&x.t(), &want_t, "t")?;
        // chunks follow the axes
        let want_chunks: Vec<Vec<usize>> = reversed.iter().map(|&p| a.chunks[p].clone()).collect();
        let xt = x.t();
        prop_assert_eq!(xt.chunks().as_vecs(), &want_chunks[..]);
        // a pseudo-random permutation (Fisher-Yates on a tiny LCG)
        let mut perm: Vec<usize> = (0..ndim).collect();
        let mut state = perm_seed;
        for i in (1..ndim).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let j = (state >> 33) as usize % (i + 1);
            perm.swap(i, j);
        }
        let axes: Vec<isize> = perm.iter().map(|&p| p as isize).collect();
        let want_p = u.clone().permuted_axes(IxDyn(&perm)).as_standard_layout().into_owned();
        assert_same(&x.transpose_axes(&axes), &want_p, "transpose_axes")?;
        // negative axes name the same permutation
        let negative: Vec<isize> = perm.iter().map(|&p| p as isize - ndim as isize).collect();
        assert_same(&x.transpose_axes(&negative), &want_p, "transpose_axes (negative)")?;
        // transposing twice is the identity
        assert_same(&x.t().t(), u, "t().t()")?;
        // elementwise after a transpose
        assert_same(&(x.t() * 3.0), &want_t.mapv(|p| p * 3.0), "t() * 3")?;
    }

    #[test]
    fn x_plus_x_transpose(n in 0usize..9, values in proptest::collection::vec(float_value(), 64)) {
        // a square matrix with two different chunkings per axis
        let data =
            ArrayD::from_shape_fn(IxDyn(&[n, n]), |ix| values[(ix[0] * 8 + ix[1]) % 64] + ix[0] as f64);
        let size = (n / 2).max(1);
        let x = from_ndarray(data.clone(), [size, (n / 3).max(1)]);
        let m = data.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
        let want = (&m + &m.t()).into_dyn();
        let sym = &x + &x.t();
        assert_same(&sym, &want, "x + x.T")?;
        let got = sym.compute().unwrap();
        for i in 0..n {
            for j in 0..n {
                prop_assert!(got[[i, j]].bit_eq(got[[j, i]]));
            }
        }
        // addition commutes bit for bit: x.T + x is the same matrix
        assert_same(&(&x.t() + &x), &want, "x.T + x")?;
    }

    #[test]
    fn mixed_chunkings_in_one_expression(
        (a, b) in same_shape_pair(positive_value()),
        c_chunks in shape().prop_flat_map(|s| chunking(&s).prop_map(move |c| (s.clone(), c))),
    ) {
        // the same data under a third chunking, combined with itself under another
        let x = a.lazy();
        let y = b.lazy();
        let x2 = from_ndarray(a.data.clone(), ChunkSpec::Explicit(b.chunks.clone()));
        let (u, v) = (&a.data, &b.data);
        assert_same(&(&x - &x2), &u.mapv(|p| p - p), "x - x(rechunked)")?;
        assert_same(&((&x + &y).sqrt() / &x2), &zip_ref(u, v, |p, q| (p + q).sqrt() / p), "sqrt(x + y) / x")?;
        // an unrelated shape with its own chunks broadcast against a 0-d value
        let (shape, chunks) = c_chunks;
        let size: usize = shape.iter().product();
        let data = ArrayD::from_shape_fn(IxDyn(&shape), |ix| ix.slice().iter().sum::<usize>() as f64);
        let z = from_ndarray(data.clone(), ChunkSpec::Explicit(chunks));
        let scalar = from_ndarray(ArrayD::from_elem(IxDyn(&[]), 2.5), ChunkSpec::Explicit(vec![]));
        assert_same(&(&z * &scalar), &data.mapv(|p| p * 2.5), "z * 0-d")?;
        assert_same(&(&scalar - &z), &data.mapv(|p| 2.5 - p), "0-d - z")?;
        prop_assert_eq!((&z * &scalar).size(), size);
    }
}

#[test]
fn zero_d_and_empty_arrays() {
    let zero_d = from_ndarray(
        ArrayD::from_elem(IxDyn(&[]), 4.0f64),
        ChunkSpec::Explicit(vec![]),
    );
    assert_eq!(zero_d.shape(), &[] as &[usize]);
    assert_eq!(
        zero_d.sqrt().compute().unwrap(),
        ArrayD::from_elem(IxDyn(&[]), 2.0)
    );
    assert_eq!(zero_d.transpose().compute_scalar().unwrap(), 4.0);
    let empty = from_ndarray(ArrayD::<f64>::zeros(IxDyn(&[3, 0, 2])), 2);
    assert_eq!(empty.chunks().as_vecs(), &[vec![2, 1], vec![0], vec![2]]);
    let out = (&empty + 1.0).t().compute().unwrap();
    assert_eq!(out.shape(), &[2, 0, 3]);
    let row = from_ndarray(ArrayD::<f64>::ones(IxDyn(&[1, 2])), 1);
    assert_eq!((&empty + &row).compute().unwrap().shape(), &[3, 0, 2]);
}

// ---------------------------------------------------------------------------------------
// arrays whose chunks are larger than one evaluation tile (4096 elements), so chunks are
// cut into several tiles and tile edges fall mid-row

fn medium_matrix() -> impl Strategy<Value = (usize, usize, Vec<usize>, Vec<usize>, u64)> {
    (40usize..300, 20usize..90).prop_flat_map(|(r, c)| {
        (
            Just(r),
            Just(c),
            (1..=r, 1..=c).prop_map(|(a, b)| vec![a, b]),
            (1..=r, 1..=c).prop_map(|(a, b)| vec![a, b]),
            any::<u64>(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn chunks_larger_than_a_tile((rows, cols, ca, cb, seed) in medium_matrix()) {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 100.0 - 50.0
        };
        let u = ArrayD::from_shape_simple_fn(IxDyn(&[rows, cols]), &mut next);
        let v = ArrayD::from_shape_simple_fn(IxDyn(&[rows, cols]), &mut next);
        let col = ArrayD::from_shape_simple_fn(IxDyn(&[rows, 1]), &mut next);
        let row = ArrayD::from_shape_simple_fn(IxDyn(&[cols]), &mut next);
        let x = from_ndarray(u.clone(), ca.clone());
        let y = from_ndarray(v.clone(), cb.clone());
        let c = from_ndarray(col.clone(), [ca[0], 1]);
        let r = from_ndarray(row.clone(), cb[1]);
        assert_same(&((&x * &y - &x) / 3.0), &zip_ref(&u, &v, |p, q| (p * q - p) / 3.0), "(x*y - x)/3")?;
        let with_col = zip_ref(&u, &col, |p, q| p - q);
        assert_same(&(&x - &c), &with_col, "x - column")?;
        assert_same(&(&(&x - &c) * &r), &zip_ref(&with_col, &row, |p, q| p * q), "(x - column) * row")?;
        // the transpose of a matrix whose chunks span several tiles
        let ut = u.t().as_standard_layout().into_owned();
        assert_same(&x.t(), &ut, "x.T")?;
        let vt = v.t().as_standard_layout().into_owned();
        assert_same(&(x.t() + y.t()), &zip_ref(&ut, &vt, |p, q| p + q), "x.T + y.T")?;
        let want = zip_ref(&u, &v, |p: f64, q: f64| p.abs().sqrt() < q.abs().sqrt());
        assert_same(&x.abs().sqrt().lt(y.abs().sqrt()), &want, "sqrt|x| < sqrt|y|")?;
        // a square block, added to its own transpose
        let n = rows.min(cols);
        let sq = u.slice(ndarray::s![..n, ..n]).to_owned();
        let s = from_ndarray(sq.clone(), [ca[0].min(n), cb[1].min(n)]);
        let sq2 = sq.into_dimensionality::<ndarray::Ix2>().unwrap();
        assert_same(&(&s + &s.t()), &(&sq2 + &sq2.t()).into_dyn(), "s + s.T")?;
    }
}
