//! More reductions against ndarray references over random shapes (empty and size-1 axes
//! included) and random chunkings (chunks of 1, uneven): prod, nansum, nanmean, nanvar, nanmin,
//! nanmax, count_nonzero, ptp, argmin, argmax, cumsum, cumprod, median, percentile and
//! histogram; plus an exact median of data larger than the memory budget.
//!
//! Tolerances: integer results, nanmin, nanmax, argmin, argmax, count_nonzero, medians,
//! percentiles and histograms are exact (the percentile's final interpolation uses
//! NumPy's formula on both sides). Float nansum, nanmean, prod and cumsum are compared
//! with a relative tolerance of 1e-12 of their natural scale (the sum of absolute values;
//! for products the product of absolute values; for nanvar the sum of squares + 1), since chunked partials associate
//! differently from a serial loop.
//!
//! Tests that build a client make it the current one, so every test holds one lock.

mod common;
use common::chunking;
use ndarray::{ArrayD, Axis, IxDyn};
use proptest::prelude::*;
use spillway::{Array, ChunkSpec, Client, Element, from_ndarray};
use std::sync::{Mutex, MutexGuard};

const RTOL: f64 = 1e-12;

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // each test starts on an open current client (a client a test before closed stays
    // current, and computations on it fail with Closed)
    spillway::Client::builder()
        .build()
        .expect("a client with the machine's defaults");
    guard
}

#[derive(Debug, Clone)]
struct Input<T> {
    data: ArrayD<T>,
    chunks: Vec<Vec<usize>>,
}

impl<T: Element> Input<T> {
    fn lazy(&self) -> Array<T> {
        from_ndarray(self.data.clone(), ChunkSpec::Explicit(self.chunks.clone()))
    }
}

fn extent() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 2 => Just(1usize), 6 => 2usize..9]
}

fn input<T: Clone + std::fmt::Debug + 'static>(
    values: impl Strategy<Value = T> + Clone + 'static,
    min_ndim: usize,
) -> impl Strategy<Value = Input<T>> {
    proptest::collection::vec(extent(), min_ndim..=3).prop_flat_map(move |shape| {
        let n: usize = shape.iter().product();
        (
            chunking(&shape),
            proptest::collection::vec(values.clone(), n),
        )
            .prop_map(move |(chunks, data)| Input {
                data: ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap(),
                chunks,
            })
    })
}

fn float_value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        8 => (-8i32..8).prop_map(|v| v as f64 * 0.5),
        3 => -10.0f64..10.0,
        1 => Just(f64::NAN),
    ]
}

fn close(got: f64, want: f64, scale: f64) -> bool {
    (got.is_nan() && want.is_nan()) || got == want || (got - want).abs() <= RTOL * scale
}

/// Lanes of `data` along `axis` (every element in one lane for `None`), with the
/// shape of the result.
fn lanes<T: Clone>(data: &ArrayD<T>, axis: Option<usize>) -> (Vec<Vec<T>>, Vec<usize>) {
    match axis {
        None => (vec![data.iter().cloned().collect()], vec![]),
        Some(a) => {
            let mut shape = data.shape().to_vec();
            shape.remove(a);
            let lanes = data
                .lanes(Axis(a))
                .into_iter()
                .map(|l| l.to_vec())
                .collect();
            (lanes, shape)
        }
    }
}

/// NumPy's linear-interpolation percentile of sorted values.
fn np_percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let n = sorted.len();
    let position = q / 100.0 * (n - 1) as f64;
    let rank = (position.floor() as usize).min(n - 1);
    let t = position - rank as f64;
    let a = sorted[rank];
    if t == 0.0 || rank + 1 >= n {
        return a;
    }
    let b = sorted[rank + 1];
    if t < 0.5 {
        a + (b - a) * t
    } else {
        b - (b - a) * (1.0 - t)
    }
}

fn axis_choice(ndim: usize) -> impl Strategy<Value = Option<usize>> {
    if ndim == 0 {
        Just(None).boxed()
    } else {
        prop_oneof![Just(None), (0..ndim).prop_map(Some)].boxed()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn float_reductions_match_references(
        (x, axis, keepdims) in input(float_value(), 0).prop_flat_map(|x| {
            let ndim = x.data.ndim();
            (Just(x), axis_choice(ndim), any::<bool>())
        })
    ) {
        let _g = serial();
        let a = x.lazy();
        let axes_vec: Vec<isize> = axis.map(|a| vec![a as isize]).unwrap_or_default();
        let axes = axis.map(|_| axes_vec.as_slice());
        let (lanes, shape) = lanes(&x.data, axis);
        // NumPy refuses these whenever the reduced axes are empty, even with no lanes
        let empty_lanes = match axis {
            None => x.data.is_empty(),
            Some(a) => x.data.shape()[a] == 0,
        };
        let got_sum = a.nansum(axes, keepdims).compute().unwrap();
        let got_mean = a.nanmean(axes, keepdims).compute().unwrap();
        let got_prod = a.prod(axes, keepdims).compute().unwrap();
        let got_count = a.count_nonzero(axes, keepdims).compute().unwrap();
        let got_var = a.nanvar(axes, 1.0, keepdims).compute().unwrap();
        for (i, lane) in lanes.iter().enumerate() {
            let finite: Vec<f64> = lane.iter().copied().filter(|v| !v.is_nan()).collect();
            let scale: f64 = finite.iter().map(|v| v.abs()).sum();
            let sum: f64 = finite.iter().sum();
            prop_assert!(close(got_sum.as_slice().unwrap()[i], sum, scale), "nansum lane {}", i);
            let mean = if finite.is_empty() { f64::NAN } else { sum / finite.len() as f64 };
            prop_assert!(close(got_mean.as_slice().unwrap()[i], mean, scale), "nanmean lane {}", i);
            let prod: f64 = lane.iter().product();
            let pscale: f64 = lane.iter().map(|v| v.abs()).product();
            prop_assert!(close(got_prod.as_slice().unwrap()[i], prod, pscale), "prod lane {}", i);
            let var = if finite.len() < 2 {
                f64::NAN
            } else {
                finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (finite.len() - 1) as f64
            };
            let vscale = finite.iter().map(|v| v * v).sum::<f64>() + 1.0;
            prop_assert!(close(got_var.as_slice().unwrap()[i], var, vscale), "nanvar lane {}", i);
            let count = lane.iter().filter(|v| **v != 0.0).count() as i64;
            prop_assert_eq!(got_count.as_slice().unwrap()[i], count);
        }
        let want_shape: Vec<usize> = if keepdims {
            (0..x.data.ndim()).map(|d| if axis.is_none_or(|a| a == d) { 1 } else { x.data.shape()[d] }).collect()
        } else {
            shape.clone()
        };
        prop_assert_eq!(got_sum.shape(), want_shape.as_slice());
        if empty_lanes {
            // NumPy raises for these on zero-size lanes
            prop_assert!(a.nanmin(axes, keepdims).check().is_err());
            prop_assert!(a.argmax(axis.map(|a| a as isize), keepdims).check().is_err());
            prop_assert!(a.ptp(axes, keepdims).check().is_err());
            return Ok(());
        }
        let got_min = a.nanmin(axes, keepdims).compute().unwrap();
        let got_max = a.nanmax(axes, keepdims).compute().unwrap();
        let got_argmin = a.argmin(axis.map(|a| a as isize), keepdims).compute().unwrap();
        let got_argmax = a.argmax(axis.map(|a| a as isize), keepdims).compute().unwrap();
        let got_ptp = a.ptp(axes, keepdims).compute().unwrap();
        for (i, lane) in lanes.iter().enumerate() {
            let finite: Vec<f64> = lane.iter().copied().filter(|v| !v.is_nan()).collect();
            let nmin = finite.iter().copied().fold(f64::NAN, |m, v| if m.is_nan() || v < m { v } else { m });
            let nmax = finite.iter().copied().fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m });
            prop_assert!(close(got_min.as_slice().unwrap()[i], nmin, 0.0), "nanmin lane {}", i);
            prop_assert!(close(got_max.as_slice().unwrap()[i], nmax, 0.0), "nanmax lane {}", i);
            // first NaN if any, else the first extreme
            let first_nan = lane.iter().position(|v| v.is_nan());
            let argmin = first_nan.unwrap_or_else(|| lane.iter().position(|&v| v == nmin).unwrap());
            let argmax = first_nan.unwrap_or_else(|| lane.iter().position(|&v| v == nmax).unwrap());
            prop_assert_eq!(got_argmin.as_slice().unwrap()[i], argmin as i64, "argmin lane {}", i);
            prop_assert_eq!(got_argmax.as_slice().unwrap()[i], argmax as i64, "argmax lane {}", i);
            let ptp = if first_nan.is_some() { f64::NAN } else { nmax - nmin };
            prop_assert!(close(got_ptp.as_slice().unwrap()[i], ptp, 0.0), "ptp lane {}", i);
        }
    }

    #[test]
    fn integer_reductions_are_exact(
        (x, axis) in input(-3i64..4, 0).prop_flat_map(|x| {
            let ndim = x.data.ndim();
            (Just(x), axis_choice(ndim))
        })
    ) {
        let _g = serial();
        let a = x.lazy();
        let axes_vec: Vec<isize> = axis.map(|a| vec![a as isize]).unwrap_or_default();
        let axes = axis.map(|_| axes_vec.as_slice());
        let (lanes, _) = lanes(&x.data, axis);
        let prod = a.prod(axes, false).compute().unwrap();
        for (i, lane) in lanes.iter().enumerate() {
            let want = lane.iter().fold(1i64, |p, &v| p.wrapping_mul(v));
            prop_assert_eq!(prod.as_slice().unwrap()[i], want);
        }
        let reduced_empty = match axis {
            None => x.data.is_empty(),
            Some(a) => x.data.shape()[a] == 0,
        };
        if !reduced_empty {
            let ptp = a.ptp(axes, false).compute().unwrap();
            let argmax = a.argmax(axis.map(|a| a as isize), false).compute().unwrap();
            for (i, lane) in lanes.iter().enumerate() {
                let (mn, mx) = (*lane.iter().min().unwrap(), *lane.iter().max().unwrap());
                prop_assert_eq!(ptp.as_slice().unwrap()[i], mx - mn);
                prop_assert_eq!(argmax.as_slice().unwrap()[i], lane.iter().position(|&v| v == mx).unwrap() as i64);
            }
        }
    }

    #[test]
    fn cumsum_and_cumprod_along_every_axis(
        (x, axis) in input(-3i64..4, 1).prop_flat_map(|x| {
            let ndim = x.data.ndim();
            (Just(x), 0..ndim)
        })
    ) {
        let _g = serial();
        let a = x.lazy();
        let mut want_sum = x.data.clone();
        let mut want_prod = x.data.clone();
        want_sum.accumulate_axis_inplace(Axis(axis), |&prev, cur| *cur = prev.wrapping_add(*cur));
        want_prod.accumulate_axis_inplace(Axis(axis), |&prev, cur| *cur = prev.wrapping_mul(*cur));
        prop_assert_eq!(a.cumsum(axis as isize).compute().unwrap(), want_sum);
        prop_assert_eq!(a.cumprod(-(x.data.ndim() as isize) + axis as isize).compute().unwrap(), want_prod);
        // floats: a serial running sum up to rounding at chunk boundaries
        let f = x.data.mapv(|v| v as f64 * 0.3);
        let lazy_f = from_ndarray(f.clone(), ChunkSpec::Explicit(x.chunks.clone()));
        let got = lazy_f.cumsum(axis as isize).compute().unwrap();
        let mut want = f.clone();
        want.accumulate_axis_inplace(Axis(axis), |&prev, cur| *cur += prev);
        let scale: f64 = f.iter().map(|v| v.abs()).sum::<f64>() + 1.0;
        for (g, w) in got.iter().zip(want.iter()) {
            prop_assert!(close(*g, *w, scale), "cumsum got {} want {}", g, w);
        }
    }

    #[test]
    fn median_and_percentile_are_exact(x in input(float_value(), 1), q in 0.0f64..=100.0) {
        let _g = serial();
        let a = x.lazy();
        let mut sorted: Vec<f64> = x.data.iter().copied().collect();
        let has_nan = sorted.iter().any(|v| v.is_nan());
        sorted.sort_by(f64::total_cmp);
        let (median, pq) = (a.median().unwrap(), a.percentile(q).unwrap());
        if has_nan {
            prop_assert!(median.is_nan() && pq.is_nan());
        } else {
            prop_assert!(close(median, np_percentile(&sorted, 50.0), 0.0), "median {} vs {:?}", median, sorted);
            prop_assert!(close(pq, np_percentile(&sorted, q), 0.0), "p{} {} vs {:?}", q, pq, sorted);
        }
        // integers, with many duplicates and the extremes of the type
        let ints = x.data.mapv(|v| if v.is_nan() { i64::MIN } else if v > 9.0 { i64::MAX } else { v as i64 });
        let lazy_i = from_ndarray(ints.clone(), ChunkSpec::Explicit(x.chunks.clone()));
        let mut sorted_i: Vec<i64> = ints.iter().copied().collect();
        sorted_i.sort();
        let as_f: Vec<f64> = sorted_i.iter().map(|&v| v as f64).collect();
        prop_assert!(close(lazy_i.percentile(q).unwrap(), np_percentile(&as_f, q), 0.0));
    }

    #[test]
    fn histogram_counts_match_a_brute_force_count(
        x in input(float_value(), 0),
        bins in 1usize..7,
        lo in -6.0f64..0.0,
        width in 0.0f64..8.0,
    ) {
        let _g = serial();
        let (counts, edges) = x.lazy().histogram(bins, (lo, lo + width));
        let counts = counts.compute_vec().unwrap();
        prop_assert_eq!(edges.len(), bins + 1);
        let mut want = vec![0i64; bins];
        for &v in x.data.iter() {
            // NumPy: [e_i, e_i+1) except the last bin, which includes its right edge
            for b in 0..bins {
                let last = b == bins - 1;
                if v >= edges[b] && (v < edges[b + 1] || (last && v == edges[b + 1])) {
                    want[b] += 1;
                    break;
                }
            }
        }
        prop_assert_eq!(counts, want);
    }
}

#[test]
fn median_of_data_larger_than_the_budget_is_exact() {
    let _g = serial();
    // 1_000_000 float64 = 8 MB of data under a 2 MB budget: the data cannot be held, so
    // each selection pass streams it through a few kilobytes of bin counts
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("2MB")
        .build()
        .unwrap();
    let x = spillway::random::default_rng(5).random(1_000_000, 20_000);
    assert!(
        x.compute().is_err(),
        "the whole array must not fit the budget"
    );
    let median = x.median().unwrap();
    let p90 = x.percentile(90.0).unwrap();
    client.close();
    // a closed client stays current: the reference runs on a roomy one, built for it
    let _roomy = Client::builder().build().unwrap();
    let mut values = x.compute_vec().unwrap();
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(median, np_percentile(&values, 50.0));
    assert_eq!(p90, np_percentile(&values, 90.0));
}

#[test]
fn nan_argmax_and_ties_resolve_like_numpy() {
    let _g = serial();
    let x = from_ndarray(
        ndarray::array![[1.0, 3.0, 3.0], [f64::NAN, 0.0, f64::NAN]],
        [1, 2],
    );
    assert_eq!(x.argmax(None, false).compute_scalar().unwrap(), 3);
    assert_eq!(x.argmax(Some(1), false).compute_vec().unwrap(), vec![1, 0]);
    assert_eq!(x.argmin(Some(0), true).compute().unwrap().shape(), &[1, 3]);
    assert_eq!(
        x.argmin(Some(0), false).compute_vec().unwrap(),
        vec![1, 1, 1]
    );
}

#[test]
fn scans_histograms_and_argmax_stream_under_a_budget_smaller_than_the_data() {
    let _g = serial();
    let x = spillway::random::default_rng(9).random([1000, 1000], [100, 250]);
    let run = || {
        (
            x.cumsum(0).sum_axis(0).compute_vec().unwrap(),
            x.histogram(16, (0.0, 1.0)).0.compute_vec().unwrap(),
            x.argmax(Some(1), false).compute_vec().unwrap(),
            x.nanmean(Some(&[0]), false).compute_vec().unwrap(),
        )
    };
    // 8 MB of data under a 2 MB budget
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("2MB")
        .build()
        .unwrap();
    assert!(
        x.compute().is_err(),
        "the whole array must not fit the budget"
    );
    let small = run();
    client.close();
    let _roomy = Client::builder().build().unwrap();
    let data = x.compute().unwrap();
    let big = run();
    // same plan shapes on both clients: bit-identical
    assert_eq!(small, big);
    let argmax_row0 = data
        .index_axis(Axis(0), 0)
        .iter()
        .enumerate()
        .fold(
            (0, f64::MIN),
            |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
        )
        .0;
    assert_eq!(small.2[0], argmax_row0 as i64);
    assert_eq!(small.1.iter().sum::<i64>(), 1_000_000);
}
