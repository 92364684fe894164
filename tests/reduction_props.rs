//! Reductions against ndarray references: sum, mean, min, max, var, std (ddof 0 and 1),
//! any, all; over every axis, one axis and several axes, with and without keepdims; for
//! float64, int64 and bool inputs under random chunkings.
//!
//! Tolerances: integer results, min, max, any and all are exact. Float sums and means
//! are compared with a relative tolerance of 1e-10 of their natural scale (the sum of
//! absolute values, the mean absolute value): chunked partials merge in a tree, so the
//! rounding differs from a serial sum. Variances use 1e-10 of `var + 1e-6 * mean(x^2)`
//! (the second term only matters when the variance is ~0 and both sides are rounding
//! noise), standard deviations 1e-10 of `std + 1e-3 * rms(x)`.

mod common;
use common::axis_chunks;
use ndarray::{Array2, ArrayD, Axis, Dimension, IxDyn};
use proptest::prelude::*;
use spillway::{Array, ChunkSpec, Element, compute_all, from_ndarray};
use std::fmt::Debug;

/// Relative tolerance of float reductions.
const RTOL: f64 = 1e-10;

// ---------------------------------------------------------------------------------------
// strategies

fn extent() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 2 => Just(1usize), 7 => 2usize..12]
}

#[derive(Debug, Clone)]
struct Input<T> {
    data: ArrayD<T>,
    chunks: Vec<Vec<usize>>,
}

impl<T: Element> Input<T> {
    fn lazy(&self) -> Array<T> {
        let a = from_ndarray(self.data.clone(), ChunkSpec::Explicit(self.chunks.clone()));
        assert!(a.error().is_none(), "{:?}", a.error());
        a
    }
}

/// Which axes to reduce: a subset (sorted, as non-negative axes), the same axes as the
/// caller passes them (some written negative, in shuffled order), one axis, keepdims.
#[derive(Debug, Clone)]
struct Axes {
    subset: Vec<usize>,
    passed: Vec<isize>,
    one: Option<(usize, isize)>,
    keepdims: bool,
}

fn axes_for(ndim: usize) -> impl Strategy<Value = Axes> {
    (
        proptest::collection::vec(any::<bool>(), ndim),
        proptest::collection::vec(any::<bool>(), ndim),
        any::<bool>(),
        0..ndim.max(1),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            move |(mask, negative, reverse, one, one_negative, keepdims)| {
                let subset: Vec<usize> = (0..ndim).filter(|&a| mask[a]).collect();
                let mut passed: Vec<isize> = subset
                    .iter()
                    .map(|&a| {
                        if negative[a] {
                            a as isize - ndim as isize
                        } else {
                            a as isize
                        }
                    })
                    .collect();
                if reverse {
                    passed.reverse();
                }
                let one = (ndim > 0).then(|| {
                    let written = if one_negative {
                        one as isize - ndim as isize
                    } else {
                        one as isize
                    };
                    (one, written)
                });
                Axes {
                    subset,
                    passed,
                    one,
                    keepdims,
                }
            },
        )
}

fn input_and_axes<T: Debug + Clone + 'static>(
    values: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = (Input<T>, Axes)> {
    proptest::collection::vec(extent(), 0..=3).prop_flat_map(move |shape| {
        let size: usize = shape.iter().product();
        let chunks: Vec<_> = shape.iter().map(|&e| axis_chunks(e)).collect();
        let s = shape.clone();
        (
            (proptest::collection::vec(values.clone(), size), chunks).prop_map(
                move |(v, chunks)| Input {
                    data: ArrayD::from_shape_vec(IxDyn(&s), v).unwrap(),
                    chunks,
                },
            ),
            axes_for(shape.len()),
        )
    })
}

fn float_value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![8 => -50.0f64..50.0, 1 => Just(0.0f64), 1 => Just(7.25f64)]
}

fn int_value() -> impl Strategy<Value = i64> + Clone {
    prop_oneof![6 => -1000i64..1000, 1 => Just(0i64), 1 => any::<i64>()]
}

// ---------------------------------------------------------------------------------------
// references

/// For each output element (row-major over the keep-dims shape), the input values that
/// reduce into it, in row-major input order.
fn buckets<T: Copy>(a: &ArrayD<T>, axes: &[usize]) -> (Vec<usize>, Vec<Vec<T>>) {
    let keep: Vec<usize> = a
        .shape()
        .iter()
        .enumerate()
        .map(|(i, &e)| if axes.contains(&i) { 1 } else { e })
        .collect();
    let n: usize = keep.iter().product();
    let mut out = vec![Vec::new(); n];
    for (ix, &v) in a.indexed_iter() {
        let mut flat = 0;
        for (axis, &k) in keep.iter().enumerate() {
            let i = if axes.contains(&axis) { 0 } else { ix[axis] };
            flat = flat * k + i;
        }
        out[flat].push(v);
    }
    (keep, out)
}

fn reduce_ref<T: Copy, U: Clone>(
    a: &ArrayD<T>,
    axes: &[usize],
    keepdims: bool,
    f: impl Fn(&[T]) -> U,
) -> ArrayD<U> {
    let (keep, groups) = buckets(a, axes);
    let values: Vec<U> = groups.iter().map(|g| f(g)).collect();
    let shape: Vec<usize> = if keepdims {
        keep
    } else {
        (0..a.ndim())
            .filter(|x| !axes.contains(x))
            .map(|x| a.shape()[x])
            .collect()
    };
    ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap()
}

/// A float reference value and the scale its tolerance is relative to.
type Approx = (f64, f64);

fn sum_ref(xs: &[f64]) -> Approx {
    (xs.iter().sum(), xs.iter().map(|x| x.abs()).sum())
}

fn mean_ref(xs: &[f64]) -> Approx {
    if xs.is_empty() {
        return (f64::NAN, 0.0);
    }
    let n = xs.len() as f64;
    (
        xs.iter().sum::<f64>() / n,
        xs.iter().map(|x| x.abs()).sum::<f64>() / n,
    )
}

/// Two-pass variance: the mean first, then the squared deviations from it.
fn var_ref(xs: &[f64], ddof: f64) -> Approx {
    let n = xs.len() as f64;
    if n - ddof <= 0.0 {
        return (f64::NAN, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - ddof);
    let mean_sq = xs.iter().map(|x| x * x).sum::<f64>() / n;
    (var, var + 1e-6 * mean_sq)
}

fn std_ref(xs: &[f64], ddof: f64) -> Approx {
    let (var, _) = var_ref(xs, ddof);
    let n = xs.len() as f64;
    let rms = (xs.iter().map(|x| x * x).sum::<f64>() / n).sqrt();
    (var.sqrt(), var.sqrt() + 1e-3 * rms)
}

fn assert_approx(
    lazy: &Array<f64>,
    want: &ArrayD<Approx>,
    what: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(lazy.error().is_none(), "{}: {:?}", what, lazy.error());
    prop_assert_eq!(lazy.shape(), want.shape(), "{} shape", what);
    let got = lazy
        .compute()
        .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    prop_assert_eq!(got.shape(), want.shape(), "{} computed shape", what);
    for (g, &(w, scale)) in got.iter().zip(want.iter()) {
        if w.is_nan() {
            prop_assert!(g.is_nan(), "{}: got {}, expected NaN", what, g);
        } else {
            prop_assert!(
                (g - w).abs() <= RTOL * scale.max(w.abs()),
                "{}: got {}, expected {} (scale {})",
                what,
                g,
                w,
                scale
            );
        }
    }
    Ok(())
}

fn assert_exact<T: Element>(
    lazy: &Array<T>,
    want: &ArrayD<T>,
    what: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(lazy.error().is_none(), "{}: {:?}", what, lazy.error());
    prop_assert_eq!(lazy.shape(), want.shape(), "{} shape", what);
    let got = lazy
        .compute()
        .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    prop_assert_eq!(&got, want, "{}", what);
    Ok(())
}

fn to_f64<T: Element>(a: &ArrayD<T>) -> ArrayD<f64> {
    a.mapv(|v| v.to_f64())
}

fn all_axes(ndim: usize) -> Vec<usize> {
    (0..ndim).collect()
}

/// min/max over `axes` is an error exactly when a reduced axis is empty.
fn empty_reduction(shape: &[usize], axes: &[usize]) -> bool {
    axes.iter().any(|&a| shape[a] == 0)
}

// ---------------------------------------------------------------------------------------
// properties

/// Checks the moments reductions (mean, var, std) of `x` against float references of
/// `u` over every axis, one axis and a subset of axes.
fn check_moments<T: Element>(
    x: &Array<T>,
    u: &ArrayD<f64>,
    axes: &Axes,
) -> Result<(), TestCaseError> {
    let all = all_axes(u.ndim());
    let (sub, passed, keep) = (&axes.subset, &axes.passed, axes.keepdims);
    assert_approx(
        &x.mean().astype::<f64>(),
        &reduce_ref(u, &all, false, mean_ref),
        "mean()",
    )?;
    assert_approx(
        &x.mean_axes(passed, keep).astype::<f64>(),
        &reduce_ref(u, sub, keep, mean_ref),
        "mean_axes",
    )?;
    for ddof in [0.0, 1.0] {
        assert_approx(
            &x.var(ddof).astype::<f64>(),
            &reduce_ref(u, &all, false, |g| var_ref(g, ddof)),
            "var()",
        )?;
        assert_approx(
            &x.std(ddof).astype::<f64>(),
            &reduce_ref(u, &all, false, |g| std_ref(g, ddof)),
            "std()",
        )?;
        assert_approx(
            &x.var_axes(passed, ddof, keep).astype::<f64>(),
            &reduce_ref(u, sub, keep, |g| var_ref(g, ddof)),
            "var_axes",
        )?;
        assert_approx(
            &x.std_axes(passed, ddof, keep).astype::<f64>(),
            &reduce_ref(u, sub, keep, |g| std_ref(g, ddof)),
            "std_axes",
        )?;
        if let Some((one, written)) = axes.one {
            assert_approx(
                &x.var_axis(written, ddof).astype::<f64>(),
                &reduce_ref(u, &[one], false, |g| var_ref(g, ddof)),
                "var_axis",
            )?;
            assert_approx(
                &x.std_axis(written, ddof).astype::<f64>(),
                &reduce_ref(u, &[one], false, |g| std_ref(g, ddof)),
                "std_axis",
            )?;
        }
    }
    if let Some((one, written)) = axes.one {
        assert_approx(
            &x.mean_axis(written).astype::<f64>(),
            &reduce_ref(u, &[one], false, mean_ref),
            "mean_axis",
        )?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn float_reductions_match_ndarray((a, axes) in input_and_axes(float_value())) {
        let x = a.lazy();
        let u = &a.data;
        let all = all_axes(u.ndim());
        let (sub, passed, keep) = (&axes.subset, &axes.passed, axes.keepdims);
        // sum
        assert_approx(&x.sum(), &reduce_ref(u, &all, false, sum_ref), "sum()")?;
        assert_approx(&x.sum_axes(passed, keep), &reduce_ref(u, sub, keep, sum_ref), "sum_axes")?;
        if let Some((one, written)) = axes.one {
            assert_approx(&x.sum_axis(written), &reduce_ref(u, &[one], false, sum_ref), "sum_axis")?;
        }
        check_moments(&x, u, &axes)?;
        // min / max: exact, or an error when a reduced axis is empty
        let fmin = |g: &[f64]| g.iter().copied().fold(f64::INFINITY, f64::min);
        let fmax = |g: &[f64]| g.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if empty_reduction(u.shape(), &all) {
            prop_assert!(x.min().check().is_err());
            prop_assert!(x.max().compute().is_err());
        } else {
            assert_exact(&x.min(), &reduce_ref(u, &all, false, fmin), "min()")?;
            assert_exact(&x.max(), &reduce_ref(u, &all, false, fmax), "max()")?;
        }
        if empty_reduction(u.shape(), sub) {
            prop_assert!(x.min_axes(passed, keep).check().is_err());
        } else {
            assert_exact(&x.min_axes(passed, keep), &reduce_ref(u, sub, keep, fmin), "min_axes")?;
            assert_exact(&x.max_axes(passed, keep), &reduce_ref(u, sub, keep, fmax), "max_axes")?;
        }
        if let Some((one, written)) = axes.one
            && u.shape()[one] > 0
        {
            assert_exact(&x.min_axis(written), &reduce_ref(u, &[one], false, fmin), "min_axis")?;
            assert_exact(&x.max_axis(written), &reduce_ref(u, &[one], false, fmax), "max_axis")?;
        }
        // any / all (non-zero)
        let fany = |g: &[f64]| g.iter().any(|&v| v != 0.0);
        let fall = |g: &[f64]| g.iter().all(|&v| v != 0.0);
        assert_exact(&x.any(), &reduce_ref(u, &all, false, fany), "any()")?;
        assert_exact(&x.all(), &reduce_ref(u, &all, false, fall), "all()")?;
        assert_exact(&x.any_axes(passed, keep), &reduce_ref(u, sub, keep, fany), "any_axes")?;
        assert_exact(&x.all_axes(passed, keep), &reduce_ref(u, sub, keep, fall), "all_axes")?;
        if let Some((one, written)) = axes.one {
            assert_exact(&x.any_axis(written), &reduce_ref(u, &[one], false, fany), "any_axis")?;
            assert_exact(&x.all_axis(written), &reduce_ref(u, &[one], false, fall), "all_axis")?;
        }
    }

    #[test]
    fn integer_reductions_match_ndarray((a, axes) in input_and_axes(int_value())) {
        let x = a.lazy();
        let u = &a.data;
        let all = all_axes(u.ndim());
        let (sub, passed, keep) = (&axes.subset, &axes.passed, axes.keepdims);
        // sums wrap, as NumPy's int64 sums do
        let fsum = |g: &[i64]| g.iter().fold(0i64, |s, &v| s.wrapping_add(v));
        assert_exact(&x.sum(), &reduce_ref(u, &all, false, fsum), "sum()")?;
        assert_exact(&x.sum_axes(passed, keep), &reduce_ref(u, sub, keep, fsum), "sum_axes")?;
        if let Some((one, written)) = axes.one {
            assert_exact(&x.sum_axis(written), &reduce_ref(u, &[one], false, fsum), "sum_axis")?;
        }
        let fmin = |g: &[i64]| *g.iter().min().unwrap();
        let fmax = |g: &[i64]| *g.iter().max().unwrap();
        if !empty_reduction(u.shape(), &all) {
            assert_exact(&x.min(), &reduce_ref(u, &all, false, fmin), "min()")?;
            assert_exact(&x.max(), &reduce_ref(u, &all, false, fmax), "max()")?;
        }
        if !empty_reduction(u.shape(), sub) {
            assert_exact(&x.min_axes(passed, keep), &reduce_ref(u, sub, keep, fmin), "min_axes")?;
            assert_exact(&x.max_axes(passed, keep), &reduce_ref(u, sub, keep, fmax), "max_axes")?;
        } else {
            prop_assert!(x.max_axes(passed, keep).check().is_err());
        }
        let fany = |g: &[i64]| g.iter().any(|&v| v != 0);
        let fall = |g: &[i64]| g.iter().all(|&v| v != 0);
        assert_exact(&x.any_axes(passed, keep), &reduce_ref(u, sub, keep, fany), "any_axes")?;
        assert_exact(&x.all_axes(passed, keep), &reduce_ref(u, sub, keep, fall), "all_axes")?;
        // mean / var / std in float64
        prop_assert_eq!(x.mean().dtype(), spillway::DType::Float64);
        check_moments(&x, &to_f64(u), &axes)?;
    }

    #[test]
    fn bool_reductions_count((a, axes) in input_and_axes(any::<bool>())) {
        let x = a.lazy();
        let u = &a.data;
        let all = all_axes(u.ndim());
        let (sub, passed, keep) = (&axes.subset, &axes.passed, axes.keepdims);
        // bool sums count the true values, in int64
        let count = |g: &[bool]| g.iter().filter(|&&b| b).count() as i64;
        prop_assert_eq!(x.sum().dtype(), spillway::DType::Int64);
        assert_exact(&x.sum(), &reduce_ref(u, &all, false, count), "sum()")?;
        assert_exact(&x.sum_axes(passed, keep), &reduce_ref(u, sub, keep, count), "sum_axes")?;
        if let Some((one, written)) = axes.one {
            assert_exact(&x.sum_axis(written), &reduce_ref(u, &[one], false, count), "sum_axis")?;
        }
        let fany = |g: &[bool]| g.iter().any(|&b| b);
        let fall = |g: &[bool]| g.iter().all(|&b| b);
        assert_exact(&x.any(), &reduce_ref(u, &all, false, fany), "any()")?;
        assert_exact(&x.all(), &reduce_ref(u, &all, false, fall), "all()")?;
        assert_exact(&x.any_axes(passed, keep), &reduce_ref(u, sub, keep, fany), "any_axes")?;
        assert_exact(&x.all_axes(passed, keep), &reduce_ref(u, sub, keep, fall), "all_axes")?;
        if let Some((one, written)) = axes.one {
            assert_exact(&x.any_axis(written), &reduce_ref(u, &[one], false, fany), "any_axis")?;
            assert_exact(&x.all_axis(written), &reduce_ref(u, &[one], false, fall), "all_axis")?;
        }
        // the mean of a bool array is the fraction of true values
        check_moments(&x, &to_f64(u), &axes)?;
    }

    #[test]
    fn variance_is_sound_with_a_large_offset(
        n in 2usize..400,
        size in 1usize..64,
        noise in proptest::collection::vec(-1.0f64..1.0, 400),
        offset_exp in 6i32..10,
    ) {
        // 1e6..1e9 plus noise of order 1: a naive sum of squares loses every digit here
        let offset = 10f64.powi(offset_exp);
        let data = ndarray::Array1::from_shape_fn(n, |i| offset + noise[i]);
        let x = from_ndarray(data.clone(), size);
        let g = data.as_slice().unwrap();
        for ddof in [0.0, 1.0] {
            let (want, _) = var_ref(g, ddof);
            let got = x.var(ddof).compute_scalar().unwrap();
            // tolerance: 1e-6 relative to the two-pass variance
            prop_assert!((got - want).abs() <= 1e-6 * want, "var ddof={} got {} want {}", ddof, got, want);
            let got_std = x.std(ddof).compute_scalar().unwrap();
            let want_std = want.sqrt();
            prop_assert!((got_std - want_std).abs() <= 1e-6 * want_std, "std got {} want {}", got_std, want_std);
        }
        let got_mean = x.mean().compute_scalar().unwrap();
        // tolerance: 1e-12 relative to the offset
        prop_assert!((got_mean - mean_ref(g).0).abs() <= 1e-12 * offset);
        // along an axis of a 2-d array with the offset
        let m = Array2::from_shape_fn((n, 3), |(i, j)| offset + noise[(i * 3 + j) % 400]);
        let y = from_ndarray(m.clone(), [size, 2]);
        let got = y.var_axis(0, 1.0).compute().unwrap();
        for j in 0..3 {
            let col: Vec<f64> = m.column(j).to_vec();
            let (want, _) = var_ref(&col, 1.0);
            prop_assert!((got[[j]] - want).abs() <= 1e-6 * want, "column {}: {} vs {}", j, got[[j]], want);
        }
    }

    #[test]
    fn reductions_of_chained_expressions(
        (a, axes) in input_and_axes(float_value()),
        s in -3.0f64..3.0,
    ) {
        let x = a.lazy();
        let u = &a.data;
        let (sub, passed, keep) = (&axes.subset, &axes.passed, axes.keepdims);
        let v = u.mapv(|p| p * 2.0 + 1.0);
        let chained = &x * 2.0 + 1.0;
        assert_approx(&chained.sum_axes(passed, keep), &reduce_ref(&v, sub, keep, sum_ref), "(x*2+1).sum_axes")?;
        if let Some((one, written)) = axes.one {
            assert_approx(&chained.sum_axis(written), &reduce_ref(&v, &[one], false, sum_ref), "(x*2+1).sum_axis")?;
        }
        // a count of a comparison (the pi pattern)
        let count = |g: &[bool]| g.iter().filter(|&&b| b).count() as i64;
        let below = u.mapv(|p| p * p < s * s * 100.0);
        let counted = x.powi(2).lt(s * s * 100.0).sum_axes(passed, keep);
        assert_exact(&counted, &reduce_ref(&below, sub, keep, count), "count")?;
        // a reduction of a transpose
        let rev: Vec<usize> = (0..u.ndim()).rev().collect();
        let t = u.clone().permuted_axes(IxDyn(&rev)).as_standard_layout().into_owned();
        assert_approx(&x.t().sum_axes(passed, keep), &reduce_ref(&t, sub, keep, sum_ref), "x.T.sum_axes")?;
        // a reduction of a reduction
        if let Some((one, written)) = axes.one {
            let fmax = |g: &[f64]| g.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let inner = reduce_ref(u, &[one], false, fmax);
            if u.shape()[one] > 0 {
                let all: Vec<usize> = all_axes(inner.ndim());
                let want = reduce_ref(&inner, &all, false, sum_ref);
                assert_approx(&x.max_axis(written).sum(), &want, "max_axis().sum()")?;
            }
        }
    }

    #[test]
    fn reduction_result_used_elementwise(
        rows in 1usize..20,
        cols in 1usize..6,
        values in proptest::collection::vec(-50.0f64..50.0, 120),
        rchunk in 1usize..8,
        cchunk in 1usize..4,
    ) {
        let u = Array2::from_shape_fn((rows, cols), |(i, j)| values[(i * cols + j) % 120] + i as f64);
        let x = from_ndarray(u.clone(), [rchunk, cchunk]);
        // centre the columns: x - x.mean(axis=0, keepdims=True)
        let centred = &x - &x.mean_axes(&[0], true);
        prop_assert_eq!(centred.shape(), &[rows, cols]);
        let got = centred.compute().unwrap();
        let want = &u - &u.mean_axis(Axis(0)).unwrap().insert_axis(Axis(0));
        for ((i, j), w) in want.indexed_iter() {
            let g = got[[i, j]];
            // tolerance: 1e-10 of the column's mean absolute value (the mean is rounded)
            let scale = u.column(j).iter().map(|v| v.abs()).sum::<f64>() / rows as f64;
            prop_assert!((g - w).abs() <= RTOL * scale.max(1.0), "({}, {}): {} vs {}", i, j, g, w);
        }
        // the centred columns sum to ~0
        let sums = centred.sum_axis(0).compute().unwrap();
        for (j, s) in sums.iter().enumerate() {
            let scale: f64 = u.column(j).iter().map(|v| v.abs()).sum();
            prop_assert!(s.abs() <= 1e-9 * scale.max(1.0), "column {} sums to {}", j, s);
        }
        // row-wise: divide by the row maximum (keepdims on axis 1)
        let scaled = &x / &x.abs().max_axes(&[1], true);
        let got = scaled.compute().unwrap();
        for ((i, j), &v) in u.indexed_iter() {
            let m = u.row(i).iter().fold(0.0f64, |a, b| a.max(b.abs()));
            prop_assert_eq!(got[[i, j]].to_bits(), (v / m).to_bits());
        }
    }

    #[test]
    fn compute_all_equals_individual_computes((a, axes) in input_and_axes(float_value())) {
        let x = a.lazy();
        let (passed, keep) = (&axes.passed, axes.keepdims);
        let arrays = vec![
            x.sum(),
            x.mean(),
            x.std(1.0),
            (&x * 3.0).sum_axes(passed, keep).sum(),
            x.any().astype::<f64>(),
        ];
        let together = compute_all(&arrays).unwrap();
        prop_assert_eq!(together.len(), arrays.len());
        for (i, (arr, t)) in arrays.iter().zip(&together).enumerate() {
            let alone = arr.compute().unwrap();
            prop_assert_eq!(alone.shape(), t.shape());
            // bit for bit: the same reduction tree runs in both plans
            for (p, q) in alone.iter().zip(t) {
                prop_assert_eq!(p.to_bits(), q.to_bits(), "array {}: {} vs {}", i, p, q);
            }
        }
        // arrays of several shapes in one call, sharing a reduction
        let m = x.mean_axes(passed, true);
        let centred = &x - &m;
        let parts = compute_all(&[x.clone(), centred.clone(), m.clone()]).unwrap();
        prop_assert_eq!(&parts[0], &a.data);
        prop_assert_eq!(&parts[1], &centred.compute().unwrap());
        let m_alone = m.compute().unwrap();
        prop_assert_eq!(parts[2].shape(), m_alone.shape());
        for (p, q) in parts[2].iter().zip(&m_alone) {
            prop_assert!(p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()));
        }
    }
}

#[test]
fn reductions_are_deterministic_run_to_run() {
    let x = spillway::random::default_rng(5).normal(0.0, 1.0, [300, 7], [17, 3]);
    let a = x.sum_axis(0).compute().unwrap();
    let b = x.sum_axis(0).compute().unwrap();
    assert_eq!(a, b);
    let v1 = x.var(1.0).compute_scalar().unwrap();
    let v2 = x.var(1.0).compute_scalar().unwrap();
    assert_eq!(v1.to_bits(), v2.to_bits());
    // and near the 2-pass reference: 2100 normals have variance ~1
    let data = x.compute().unwrap();
    let (want, _) = var_ref(data.as_slice().unwrap(), 1.0);
    assert!((v1 - want).abs() <= RTOL * want, "{v1} vs {want}");
    assert!((0.8..1.2).contains(&v1), "{v1}");
}

#[test]
fn empty_reductions_follow_numpy() {
    let e = from_ndarray(ArrayD::<f64>::zeros(IxDyn(&[0, 3])), 2);
    assert_eq!(e.sum().compute_scalar().unwrap(), 0.0);
    assert!(e.mean().compute_scalar().unwrap().is_nan());
    assert!(e.var(0.0).compute_scalar().unwrap().is_nan());
    assert!(!e.any().compute_scalar().unwrap());
    assert!(e.all().compute_scalar().unwrap());
    assert_eq!(e.sum_axis(0).compute_vec().unwrap(), vec![0.0; 3]);
    assert_eq!(e.sum_axis(1).compute().unwrap().shape(), &[0]);
    assert_eq!(e.max_axis(1).compute().unwrap().shape(), &[0]);
    assert!(e.max_axis(0).check().is_err());
    // a one-element var with ddof=1 has no degrees of freedom: NaN, as NumPy
    let one = from_ndarray(ndarray::arr1(&[3.0f64]), 1);
    assert!(one.var(1.0).compute_scalar().unwrap().is_nan());
    assert_eq!(one.var(0.0).compute_scalar().unwrap(), 0.0);
    // a 0-d array reduces to itself
    let z = from_ndarray(
        ArrayD::from_elem(IxDyn(&[]), 2.5f64),
        ChunkSpec::Explicit(vec![]),
    );
    assert_eq!(z.sum().compute_scalar().unwrap(), 2.5);
    assert_eq!(z.max().compute_scalar().unwrap(), 2.5);
    assert_eq!(z.mean().compute_scalar().unwrap(), 2.5);
    let dims: Vec<usize> = z.sum().compute().unwrap().raw_dim().slice().to_vec();
    assert!(dims.is_empty());
}

#[test]
fn nan_propagates_through_min_max_and_sum() {
    let data = ndarray::arr1(&[1.0, f64::NAN, -2.0, 5.0, 0.5]);
    for size in 1..=5 {
        let x = from_ndarray(data.clone(), size);
        assert!(
            x.min().compute_scalar().unwrap().is_nan(),
            "chunks of {size}"
        );
        assert!(
            x.max().compute_scalar().unwrap().is_nan(),
            "chunks of {size}"
        );
        assert!(
            x.sum().compute_scalar().unwrap().is_nan(),
            "chunks of {size}"
        );
        assert!(x.any().compute_scalar().unwrap());
        // NaN is non-zero, as bool(nan) in NumPy
        assert!(x.ne(0.0).all().compute_scalar().unwrap());
    }
}

// ---------------------------------------------------------------------------------------
// chunks larger than one tile, reductions sharing a stage, and blocks cut into tasks

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn reductions_over_chunks_larger_than_a_tile(
        rows in 40usize..300,
        cols in 20usize..90,
        rchunk in 1usize..300,
        cchunk in 1usize..90,
        seed in any::<u64>(),
    ) {
        let x = spillway::random::default_rng(seed).normal(5.0, 3.0, [rows, cols], [rchunk, cchunk]);
        let u = x.compute().unwrap();
        let all = all_axes(2);
        assert_approx(&x.sum(), &reduce_ref(&u, &all, false, sum_ref), "sum()")?;
        for axis in 0..2usize {
            assert_approx(&x.sum_axis(axis as isize), &reduce_ref(&u, &[axis], false, sum_ref), "sum_axis")?;
            let want = reduce_ref(&u, &[axis], false, |g| var_ref(g, 1.0));
            assert_approx(&x.var_axis(axis as isize, 1.0), &want, "var_axis")?;
            let fmin = |g: &[f64]| g.iter().copied().fold(f64::INFINITY, f64::min);
            assert_exact(&x.min_axis(axis as isize), &reduce_ref(&u, &[axis], false, fmin), "min_axis")?;
        }
        let want = reduce_ref(&u, &all, true, |g| std_ref(g, 0.0));
        assert_approx(&x.std_axes(&[0, 1], 0.0, true), &want, "std keepdims")?;
        // several reductions of one input in one plan (they share one stage)
        let (s, m, v, mx) =
            spillway::compute((&x.sum_axis(0), &x.mean_axis(0), &x.var_axis(0, 0.0), &x.max_axis(0)))
                .unwrap();
        prop_assert_eq!(&s, &x.sum_axis(0).compute().unwrap());
        prop_assert_eq!(&m, &x.mean_axis(0).compute().unwrap());
        prop_assert_eq!(&v, &x.var_axis(0, 0.0).compute().unwrap());
        prop_assert_eq!(&mx, &x.max_axis(0).compute().unwrap());
        // mixed dtypes together: a count and a mean
        let (count, mean) = spillway::compute((&x.gt(5.0).sum(), &x.mean())).unwrap();
        let want = u.iter().filter(|&&p| p > 5.0).count() as i64;
        prop_assert_eq!(count[[]], want);
        prop_assert!((mean[[]] - mean_ref(u.as_slice().unwrap()).0).abs() <= RTOL * 5.0);
    }
}

#[test]
fn huge_blocks_cut_into_tasks_give_the_same_reductions() {
    // one chunk of 12M elements is folded by several tasks (cut along the reduced axis);
    // the same data in 1M-element chunks is not: tolerance 1e-10 relative between them
    let n = 12_000_000;
    let whole = spillway::random::default_rng(77).random(n, n);
    let chunked = spillway::random::default_rng(77).random(n, 1_000_000);
    let pairs = [
        (whole.sum(), chunked.sum()),
        (whole.mean(), chunked.mean()),
        (whole.var(0.0), chunked.var(0.0)),
        (whole.max(), chunked.max()),
        (whole.min(), chunked.min()),
    ];
    for (i, (a, b)) in pairs.iter().enumerate() {
        let (a, b) = (a.compute_scalar().unwrap(), b.compute_scalar().unwrap());
        assert!(
            (a - b).abs() <= RTOL * a.abs().max(1e-300),
            "reduction {i}: {a} vs {b}"
        );
    }
    let sum = whole.sum().compute_scalar().unwrap();
    assert!((sum / n as f64 - 0.5).abs() < 1e-3, "{sum}");
    // the same together, in one shared stage
    let together = compute_all(&[whole.sum(), whole.var(1.0), whole.max()]).unwrap();
    assert_eq!(together[0][[]].to_bits(), sum.to_bits());
    assert_eq!(
        together[1][[]].to_bits(),
        whole.var(1.0).compute_scalar().unwrap().to_bits()
    );
    // 2-d: a (3000, 3000) single chunk, reduced along either axis, against 500-chunks
    let m = spillway::random::default_rng(78).random([3000, 3000], 3000);
    let c = spillway::random::default_rng(78).random([3000, 3000], 500);
    for axis in 0..2isize {
        let a = m.sum_axis(axis).compute().unwrap();
        let b = c.sum_axis(axis).compute().unwrap();
        assert_eq!(a.shape(), &[3000]);
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() <= RTOL * p.abs(), "axis {axis}: {p} vs {q}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// sums fused into the map that feeds them: row sums over whole rows, many tiles

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// `x.powi(2).sum_axis(-1)` and `(x * 3.0).sum_axes(&[1, 2])` take the fused path
    /// (the map folds rows without storing its values) when the reduced axes lie in one
    /// chunk; rows of 1 to 9 values over up to 3000 rows span many 4096-element tiles.
    /// Tolerance: 1e-12 relative to the sum of absolute values of each row.
    #[test]
    fn sums_fused_into_maps_match_ndarray(
        rows in 1usize..3000,
        row in 1usize..10,
        inner in 1usize..3,
        row_chunk in 1usize..1500,
        seed in any::<u64>(),
    ) {
        let x2 = spillway::random::default_rng(seed).uniform(-2.0, 2.0, (rows, row), (row_chunk, row));
        let v2 = x2.compute().unwrap();
        let got = x2.powi(2).sum_axis(-1).compute().unwrap();
        let want = v2.mapv(|v| v * v).sum_axis(Axis(1));
        for (g, w) in got.iter().zip(want.iter()) {
            prop_assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{} vs {}", g, w);
        }
        let x3 = spillway::random::default_rng(seed).uniform(-2.0, 2.0, (rows, row, inner), (row_chunk, row, inner));
        let v3 = x3.compute().unwrap();
        let got = (&x3 * 3.0).sum_axes(&[1, 2], false).compute().unwrap();
        let want = v3.mapv(|v| v * 3.0).sum_axis(Axis(2)).sum_axis(Axis(1));
        for (g, w) in got.iter().zip(want.iter()) {
            prop_assert!((g - w).abs() <= 1e-12 * 6.0 * (row * inner) as f64, "{} vs {}", g, w);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A sum gives the same bits whether it is fused into the map that feeds it or runs
    /// over the map's stored values with the same chunks: the plan does not change the
    /// answer.
    #[test]
    fn fused_and_unfused_sums_are_bit_identical(
        rows in 1usize..2000,
        row in 1usize..7,
        row_chunk in 1usize..900,
        seed in any::<u64>(),
    ) {
        let x = spillway::random::default_rng(seed).uniform(-3.0, 3.0, (rows, row), (row_chunk, row));
        let squared = x.powi(2);
        let stored = from_ndarray(squared.compute().unwrap(), (row_chunk, row));
        for (fused, plain) in [
            (squared.sum_axis(1), stored.sum_axis(1)),
            (squared.sum_axes(&[0, 1], false), stored.sum_axes(&[0, 1], false)),
            (squared.sum_axis(0), stored.sum_axis(0)),
        ] {
            let (a, b) = (fused.compute().unwrap(), plain.compute().unwrap());
            prop_assert_eq!(a.shape(), b.shape());
            for (p, q) in a.iter().zip(b.iter()) {
                prop_assert_eq!(p.to_bits(), q.to_bits(), "{} vs {}", p, q);
            }
        }
    }
}

/// Infinities across chunks: the mean is NumPy's (inf and inf stay inf, inf and -inf are
/// NaN) and the variance is NaN, however the values are chunked. Merging per-chunk means
/// by their difference once gave NaN for `[inf, inf]` in two chunks.
#[test]
fn mean_and_var_of_infinities_match_numpy_across_chunks() {
    let cases: [(&[f64], f64); 4] = [
        (&[f64::INFINITY, f64::INFINITY], f64::INFINITY),
        (
            &[f64::NEG_INFINITY, 1.0, f64::NEG_INFINITY],
            f64::NEG_INFINITY,
        ),
        (&[f64::INFINITY, f64::NEG_INFINITY], f64::NAN),
        (&[1.0, f64::INFINITY, 2.0, 3.0], f64::INFINITY),
    ];
    for (values, mean) in cases {
        for chunk in 1..=values.len() {
            let x = from_ndarray(ndarray::Array1::from(values.to_vec()), chunk);
            let got = x.mean().compute_vec().unwrap()[0];
            assert!(
                got == mean || (got.is_nan() && mean.is_nan()),
                "mean of {values:?} in chunks of {chunk}: {got}, NumPy gives {mean}"
            );
            let var = x.var(0.0).compute_vec().unwrap()[0];
            assert!(
                var.is_nan(),
                "var of {values:?} in chunks of {chunk}: {var}, NumPy gives nan"
            );
        }
    }
}
