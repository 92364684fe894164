//! Ufuncs against ndarray references, bit for bit: float math, rounding, classification,
//! binary float ops with broadcasting, `where_`, `clip`, integer `% & | ^ << >>` and
//! logical ops on bool arrays, over random shapes (empty and size-1 axes included) and
//! random chunkings (chunks of 1, uneven; operands chunked differently).

mod common;
use common::chunking;
use ndarray::{ArrayD, IxDyn, Zip};
use proptest::prelude::*;
use spillway::{Array, ChunkSpec, Element, from_ndarray, where_};

#[derive(Debug, Clone)]
struct Case<T> {
    data: ArrayD<T>,
    chunks: Vec<Vec<usize>>,
    /// A second operand whose shape broadcasts against `data` (some axes cut to 1).
    other: ArrayD<T>,
    other_chunks: Vec<Vec<usize>>,
}

impl<T: Element> Case<T> {
    fn lazy(&self) -> Array<T> {
        from_ndarray(self.data.clone(), ChunkSpec::Explicit(self.chunks.clone()))
    }
    fn lazy_other(&self) -> Array<T> {
        from_ndarray(
            self.other.clone(),
            ChunkSpec::Explicit(self.other_chunks.clone()),
        )
    }
    /// `f` over the broadcast pairs, as the reference of a binary op.
    fn reference<U: Clone + Default>(&self, f: impl Fn(T, T) -> U) -> ArrayD<U> {
        let other = self.other.broadcast(self.data.raw_dim()).unwrap();
        let mut out = ArrayD::<U>::default(self.data.raw_dim());
        Zip::from(&mut out)
            .and(&self.data)
            .and(&other)
            .for_each(|o, &a, &b| *o = f(a, b));
        out
    }
}

fn extent() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 2 => Just(1usize), 6 => 2usize..9]
}

fn case<T: Clone + std::fmt::Debug + 'static>(
    values: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = Case<T>> {
    proptest::collection::vec(extent(), 0..=3).prop_flat_map(move |shape| {
        let n: usize = shape.iter().product();
        let values = values.clone();
        (
            proptest::collection::vec(any::<bool>(), shape.len()),
            chunking(&shape),
            proptest::collection::vec(values.clone(), n),
        )
            .prop_flat_map(move |(cut, chunks, data)| {
                let other_shape: Vec<usize> = shape
                    .iter()
                    .zip(&cut)
                    .map(|(&e, &c)| if c { 1 } else { e })
                    .collect();
                let m: usize = other_shape.iter().product();
                let data = ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap();
                (
                    Just(data),
                    Just(chunks),
                    proptest::collection::vec(values.clone(), m),
                    chunking(&other_shape),
                    Just(other_shape),
                )
                    .prop_map(
                        |(data, chunks, other, other_chunks, other_shape)| Case {
                            data,
                            chunks,
                            other: ArrayD::from_shape_vec(IxDyn(&other_shape), other).unwrap(),
                            other_chunks,
                        },
                    )
            })
    })
}

fn float_value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        6 => -10.0f64..10.0,
        1 => prop::sample::select(vec![
            0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1.0, -1.0, 3.0,
            f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e-300,
        ]),
    ]
}

fn int_value() -> impl Strategy<Value = i64> + Clone {
    prop_oneof![
        6 => -20i64..20,
        1 => prop::sample::select(vec![0i64, 1, -1, i64::MIN, i64::MAX, 63, 64, 65, -64]),
    ]
}

fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn assert_float_eq(name: &str, got: &ArrayD<f64>, want: &ArrayD<f64>) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.shape(), want.shape(), "{}", name);
    for (g, w) in got.iter().zip(want.iter()) {
        prop_assert!(same_bits(*g, *w), "{}: got {} want {}", name, g, w);
    }
    Ok(())
}

/// NumPy's sign.
fn np_sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// NumPy's float remainder (sign of the divisor; NaN for a zero divisor), derived from
/// `a - b * floor(a / b)` for finite values and checked to agree with `fmod` adjusted.
fn np_fmod_remainder(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return f64::NAN;
    }
    let m = a % b;
    if m == 0.0 {
        0.0f64.copysign(b)
    } else if (m < 0.0) != (b < 0.0) {
        m + b
    } else {
        m
    }
}

type FloatUnary = (&'static str, fn(&Array<f64>) -> Array<f64>, fn(f64) -> f64);

fn float_unaries() -> Vec<FloatUnary> {
    vec![
        ("exp", |a| a.exp(), f64::exp),
        ("log", |a| a.log(), f64::ln),
        ("log2", |a| a.log2(), f64::log2),
        ("log10", |a| a.log10(), f64::log10),
        ("exp2", |a| a.exp2(), f64::exp2),
        ("expm1", |a| a.expm1(), f64::exp_m1),
        ("log1p", |a| a.log1p(), f64::ln_1p),
        ("sqrt", |a| a.sqrt(), f64::sqrt),
        ("cbrt", |a| a.cbrt(), f64::cbrt),
        ("sin", |a| a.sin(), f64::sin),
        ("cos", |a| a.cos(), f64::cos),
        ("tan", |a| a.tan(), f64::tan),
        ("arcsin", |a| a.arcsin(), f64::asin),
        ("arccos", |a| a.arccos(), f64::acos),
        ("arctan", |a| a.arctan(), f64::atan),
        ("sinh", |a| a.sinh(), f64::sinh),
        ("cosh", |a| a.cosh(), f64::cosh),
        ("tanh", |a| a.tanh(), f64::tanh),
        ("floor", |a| a.floor(), f64::floor),
        ("ceil", |a| a.ceil(), f64::ceil),
        ("round", |a| a.round(), f64::round_ties_even),
        ("trunc", |a| a.trunc(), f64::trunc),
        ("sign", |a| a.sign(), np_sign),
        ("abs", |a| a.abs(), f64::abs),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn float_unary_ufuncs_match_std(c in case(float_value())) {
        let x = c.lazy();
        let lazies: Vec<Array<f64>> = float_unaries().iter().map(|(_, op, _)| op(&x)).collect();
        let results = spillway::compute_all(&lazies).unwrap();
        for ((name, _, f), got) in float_unaries().iter().zip(&results) {
            assert_float_eq(name, got, &c.data.mapv(f))?;
        }
        let flags = spillway::compute_all(&[x.isnan(), x.isfinite(), x.isinf()]).unwrap();
        prop_assert_eq!(&flags[0], &c.data.mapv(f64::is_nan));
        prop_assert_eq!(&flags[1], &c.data.mapv(f64::is_finite));
        prop_assert_eq!(&flags[2], &c.data.mapv(f64::is_infinite));
    }

    #[test]
    fn float_binary_ufuncs_broadcast_like_numpy(c in case(float_value()), lo in -3.0f64..0.0, hi in 0.0f64..3.0) {
        let (x, y) = (c.lazy(), c.lazy_other());
        let lazies = vec![
            x.arctan2(&y),
            x.hypot(&y),
            x.fmax(&y),
            x.fmin(&y),
            x.maximum(&y),
            x.minimum(&y),
            &x % &y,
            where_(&x.gt(&y), &x, &y),
            where_(&y.isnan(), 7.0, &x),
            x.clip(lo, hi),
        ];
        let results = spillway::compute_all(&lazies).unwrap();
        let nan_max = |a: f64, b: f64| if a.is_nan() || b.is_nan() { f64::NAN } else if a >= b { a } else { b };
        let nan_min = |a: f64, b: f64| if a.is_nan() || b.is_nan() { f64::NAN } else if a <= b { a } else { b };
        let fmax = |a: f64, b: f64| if a.is_nan() { b } else if b.is_nan() || a >= b { a } else { b };
        let fmin = |a: f64, b: f64| if a.is_nan() { b } else if b.is_nan() || a <= b { a } else { b };
        let wants = [
            ("arctan2", c.reference(f64::atan2)),
            ("hypot", c.reference(f64::hypot)),
            ("fmax", c.reference(fmax)),
            ("fmin", c.reference(fmin)),
            ("maximum", c.reference(nan_max)),
            ("minimum", c.reference(nan_min)),
            ("remainder", c.reference(np_fmod_remainder)),
            ("where", c.reference(|a, b| if a > b { a } else { b })),
            ("where_scalar", c.reference(|a, b| if b.is_nan() { 7.0 } else { a })),
            ("clip", c.data.mapv(|a| if a.is_nan() { a } else { a.max(lo).min(hi) })),
        ];
        for ((name, want), got) in wants.iter().zip(&results) {
            // max/min of equal-valued zeros of either sign may pick either: compare values
            if name.starts_with('f') || name.starts_with("max") || name.starts_with("min") || *name == "clip" {
                for (g, w) in got.iter().zip(want.iter()) {
                    prop_assert!(g == w || (g.is_nan() && w.is_nan()), "{}: got {} want {}", name, g, w);
                }
            } else {
                assert_float_eq(name, got, want)?;
            }
        }
    }

    #[test]
    fn integer_operators_follow_numpy(c in case(int_value()), s in 0i64..64) {
        let (x, y) = (c.lazy(), c.lazy_other());
        let lazies = vec![
            &x % &y,
            &x & &y,
            &x | &y,
            &x ^ &y,
            &x << &y,
            &x >> &y,
            &x << s,
            &x >> s,
            &x % 7,
        ];
        let results = spillway::compute_all(&lazies).unwrap();
        // remainder with the divisor's sign, from Euclid's remainder in i128
        let rem = |a: i64, b: i64| -> i64 {
            let (a, b) = (a as i128, b as i128);
            if b == 0 { 0 } else if b > 0 { a.rem_euclid(b) as i64 } else { (-((-a).rem_euclid(-b))) as i64 }
        };
        let shl = |a: i64, b: i64| if (0..64).contains(&b) { ((a as i128) << b) as i64 } else { 0 };
        let shr = |a: i64, b: i64| if (0..64).contains(&b) { a >> b } else if a < 0 { -1 } else { 0 };
        let wants = [
            c.reference(rem),
            c.reference(|a, b| a & b),
            c.reference(|a, b| a | b),
            c.reference(|a, b| a ^ b),
            c.reference(shl),
            c.reference(shr),
            c.data.mapv(|a| shl(a, s)),
            c.data.mapv(|a| shr(a, s)),
            c.data.mapv(|a| rem(a, 7)),
        ];
        for (i, (want, got)) in wants.iter().zip(&results).enumerate() {
            prop_assert_eq!(got, want, "op {}", i);
        }
    }

    #[test]
    fn logical_ops_on_bool_arrays(c in case(any::<bool>())) {
        let (x, y) = (c.lazy(), c.lazy_other());
        let results = spillway::compute_all(&[&x & &y, &x | &y, &x ^ &y, !&x, x.logical_and(&y)]).unwrap();
        prop_assert_eq!(&results[0], &c.reference(|a, b| a && b));
        prop_assert_eq!(&results[1], &c.reference(|a, b| a || b));
        prop_assert_eq!(&results[2], &c.reference(|a, b| a != b));
        prop_assert_eq!(&results[3], &c.data.mapv(|a| !a));
        prop_assert_eq!(&results[4], &results[0]);
    }

    #[test]
    fn u8_shifts_and_remainder(c in case(any::<u8>())) {
        let (x, y) = (c.lazy(), c.lazy_other());
        let results = spillway::compute_all(&[&x % &y, &x << &y, &x >> &y]).unwrap();
        prop_assert_eq!(&results[0], &c.reference(|a: u8, b: u8| a.checked_rem(b).unwrap_or(0)));
        prop_assert_eq!(&results[1], &c.reference(|a: u8, b: u8| if b < 8 { a << b } else { 0 }));
        prop_assert_eq!(&results[2], &c.reference(|a: u8, b: u8| if b < 8 { a >> b } else { 0 }));
    }
}

#[test]
fn round_is_half_to_even_on_f32_too() {
    let x = from_ndarray(
        ndarray::array![0.5f32, 1.5, 2.5, -0.5, -1.5, 1e8, 0.49999997],
        3,
    );
    assert_eq!(
        x.round().compute_vec().unwrap(),
        vec![0.0, 2.0, 2.0, -0.0, -2.0, 1e8, 0.0]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn float32_ufuncs_match_std(c in case((-8.0f32..8.0).boxed())) {
        let x = c.lazy();
        let y = c.lazy_other();
        let results = spillway::compute_all(&[x.exp(), x.log1p(), x.tanh(), x.round(), x.sign(), x.hypot(&y), &x % &y]).unwrap();
        let same = |a: &ArrayD<f32>, b: &ArrayD<f32>| a.iter().zip(b.iter()).all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()));
        prop_assert!(same(&results[0], &c.data.mapv(f32::exp)));
        prop_assert!(same(&results[1], &c.data.mapv(f32::ln_1p)));
        prop_assert!(same(&results[2], &c.data.mapv(f32::tanh)));
        prop_assert!(same(&results[3], &c.data.mapv(f32::round_ties_even)));
        let sign = |v: f32| if v > 0.0 { 1.0 } else if v < 0.0 { -1.0 } else { v };
        prop_assert!(same(&results[4], &c.data.mapv(sign)));
        prop_assert!(same(&results[5], &c.reference(f32::hypot)));
        let rem = |a: f32, b: f32| if b == 0.0 { f32::NAN } else { let m = a % b; if m == 0.0 { 0.0f32.copysign(b) } else if (m < 0.0) != (b < 0.0) { m + b } else { m } };
        prop_assert!(same(&results[6], &c.reference(rem)));
    }
}
