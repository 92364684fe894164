//! Reduction loops over slices, written so they vectorise: several independent
//! accumulator lanes instead of one serial chain.
//!
//! Lanes also make float sums more accurate than a single running sum (each lane adds an
//! eighth of the values), and the fold order is fixed by the slice, so results are
//! deterministic.

use crate::dtype::{Element, Numeric};

const LANES: usize = 8;

/// `x` converted to its sum type (bool and ints widen, floats stay).
#[inline(always)]
pub fn to_sum<T: Element>(x: T) -> T::Sum {
    if T::DTYPE.is_float() {
        T::Sum::from_f64(x.to_f64())
    } else {
        T::Sum::from_i128(x.to_i128())
    }
}

#[inline(always)]
fn sum_body<T: Element>(xs: &[T]) -> T::Sum {
    let mut lanes = [<T::Sum as Numeric>::ZERO; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            lanes[l] = Numeric::add(lanes[l], to_sum(c[l]));
        }
    }
    for (l, &x) in chunks.remainder().iter().enumerate() {
        lanes[l] = Numeric::add(lanes[l], to_sum(x));
    }
    // pairwise combination of the lanes
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            lanes[l] = Numeric::add(lanes[l], lanes[l + width]);
        }
    }
    lanes[0]
}

/// The sum of a slice in `T`'s sum type (NumPy's dtype rules: bool counts).
///
/// ```
/// use spillway::kernels::reduce::sum;
/// assert_eq!(sum(&[1.0f64, 2.0, 3.0]), 6.0);
/// assert_eq!(sum(&[true, false, true]), 2i64);
/// assert_eq!(sum(&[200u8, 100]), 300u64);
/// ```
pub fn sum<T: Element>(xs: &[T]) -> T::Sum {
    if T::DTYPE == crate::dtype::DType::Bool {
        // SAFETY: `T` is `bool` (the only element type with the Bool dtype), so the slice
        // is a slice of bools.
        let flags = unsafe { std::slice::from_raw_parts(xs.as_ptr().cast::<bool>(), xs.len()) };
        return T::Sum::from_i128(count_true(flags) as i128);
    }
    crate::kernels::simd::simd_dispatch!(sum_body::<T>(xs))
}

#[inline(always)]
fn count_true_body(flags: &[bool]) -> u64 {
    // bytes are 0 or 1: add them as u8 in blocks short enough not to overflow
    let mut total = 0u64;
    for block in flags.chunks(255 * 64) {
        let mut lanes = [0u8; 64];
        let mut chunks = block.chunks_exact(64);
        for c in &mut chunks {
            for l in 0..64 {
                lanes[l] += c[l] as u8;
            }
        }
        total += lanes.iter().map(|&v| v as u64).sum::<u64>();
        total += chunks.remainder().iter().map(|&b| b as u64).sum::<u64>();
    }
    total
}

/// The number of `true` values.
///
/// ```
/// assert_eq!(spillway::kernels::reduce::count_true(&[true, false, true, true]), 3);
/// ```
pub fn count_true(flags: &[bool]) -> u64 {
    crate::kernels::simd::simd_dispatch!(count_true_body(flags))
}

#[inline(always)]
fn sum_rows_body<T: Element>(accs: &mut [T::Sum], xs: &[T], row: usize) {
    match row {
        1 => {
            for (a, &x) in accs.iter_mut().zip(xs) {
                *a = Numeric::add(*a, to_sum(x));
            }
        }
        2 => {
            let n = accs.len().min(xs.len() / 2);
            let (accs, xs) = (&mut accs[..n], &xs[..2 * n]);
            for i in 0..n {
                accs[i] = Numeric::add(
                    accs[i],
                    Numeric::add(to_sum(xs[2 * i]), to_sum(xs[2 * i + 1])),
                );
            }
        }
        3 => {
            let n = accs.len().min(xs.len() / 3);
            let (accs, xs) = (&mut accs[..n], &xs[..3 * n]);
            for i in 0..n {
                let row = Numeric::add(
                    Numeric::add(to_sum(xs[3 * i]), to_sum(xs[3 * i + 1])),
                    to_sum(xs[3 * i + 2]),
                );
                accs[i] = Numeric::add(accs[i], row);
            }
        }
        _ => {
            for (a, p) in accs.iter_mut().zip(xs.chunks_exact(row)) {
                *a = Numeric::add(*a, sum_body(p));
            }
        }
    }
}

/// `accs[i] += sum(xs[i*row .. (i+1)*row])`: a sum over the last axis of short rows,
/// as the pi's `(xy ** 2).sum(axis=1)` over rows of two.
///
/// ```
/// use spillway::kernels::reduce::sum_rows;
/// let mut accs = [0.0f64; 2];
/// sum_rows(&mut accs, &[1.0, 2.0, 3.0, 4.0], 2);
/// assert_eq!(accs, [3.0, 7.0]);
/// ```
pub fn sum_rows<T: Element>(accs: &mut [T::Sum], xs: &[T], row: usize) {
    crate::kernels::simd::simd_dispatch!(sum_rows_body::<T>(accs, xs, row))
}

#[inline(always)]
fn sum_rows_mapped_body<S: Element, T: Element, F: Fn(S) -> T + Copy>(
    sums: &mut [T::Sum],
    xs: &[S],
    row: usize,
    f: F,
    assign: bool,
) {
    let g = |x: S| to_sum(f(x));
    match row {
        2 => {
            let n = sums.len().min(xs.len() / 2);
            let (sums, xs) = (&mut sums[..n], &xs[..2 * n]);
            if assign {
                for i in 0..n {
                    sums[i] = Numeric::add(g(xs[2 * i]), g(xs[2 * i + 1]));
                }
            } else {
                for i in 0..n {
                    sums[i] = Numeric::add(sums[i], Numeric::add(g(xs[2 * i]), g(xs[2 * i + 1])));
                }
            }
        }
        _ => {
            for (s, p) in sums.iter_mut().zip(xs.chunks_exact(row)) {
                let mut lanes = [<T::Sum as Numeric>::ZERO; LANES];
                let mut chunks = p.chunks_exact(LANES);
                for c in &mut chunks {
                    for l in 0..LANES {
                        lanes[l] = Numeric::add(lanes[l], g(c[l]));
                    }
                }
                let mut total = <T::Sum as Numeric>::ZERO;
                for &x in chunks.remainder() {
                    total = Numeric::add(total, g(x));
                }
                for lane in lanes {
                    total = Numeric::add(total, lane);
                }
                *s = if assign {
                    total
                } else {
                    Numeric::add(*s, total)
                };
            }
        }
    }
}

/// Row sums of mapped values, `sums[i] (+)= sum(f(xs[i*row .. (i+1)*row]))`, in one pass
/// with `f` inlined: the values `f` makes are never stored.
///
/// ```
/// use spillway::kernels::reduce::sum_rows_mapped;
/// let mut sums = [0.0f64; 2];
/// sum_rows_mapped(&mut sums, &[1.0f64, 2.0, 3.0, 4.0], 2, |x| x * x, true);
/// assert_eq!(sums, [5.0, 25.0]);
/// ```
pub fn sum_rows_mapped<S: Element, T: Element, F: Fn(S) -> T + Copy>(
    sums: &mut [T::Sum],
    xs: &[S],
    row: usize,
    f: F,
    assign: bool,
) {
    crate::kernels::simd::simd_dispatch!(sum_rows_mapped_body::<S, T, F>(sums, xs, row, f, assign))
}

#[inline(always)]
fn add_into_body<T: Element>(accs: &mut [T::Sum], xs: &[T]) {
    for (a, &x) in accs.iter_mut().zip(xs) {
        *a = Numeric::add(*a, to_sum(x));
    }
}

/// `accs[i] += xs[i]` in the sum type.
///
/// ```
/// use spillway::kernels::reduce::add_into;
/// let mut accs = [1i64, 1];
/// add_into(&mut accs, &[true, false]);
/// assert_eq!(accs, [2, 1]);
/// ```
pub fn add_into<T: Element>(accs: &mut [T::Sum], xs: &[T]) {
    crate::kernels::simd::simd_dispatch!(add_into_body::<T>(accs, xs))
}

#[inline(always)]
fn sum_f64_body<T: Element>(xs: &[T]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            lanes[l] += c[l].to_f64();
        }
    }
    for (l, &x) in chunks.remainder().iter().enumerate() {
        lanes[l] += x.to_f64();
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            lanes[l] += lanes[l + width];
        }
    }
    lanes[0]
}

/// The sum of a slice in `f64` (for means of any type).
///
/// ```
/// assert_eq!(spillway::kernels::reduce::sum_f64(&[1i32, 2, 3]), 6.0);
/// ```
pub fn sum_f64<T: Element>(xs: &[T]) -> f64 {
    crate::kernels::simd::simd_dispatch!(sum_f64_body::<T>(xs))
}

#[inline(always)]
fn sum_sq_dev_body<T: Element>(xs: &[T], mean: f64) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            let d = c[l].to_f64() - mean;
            lanes[l] += d * d;
        }
    }
    for (l, &x) in chunks.remainder().iter().enumerate() {
        let d = x.to_f64() - mean;
        lanes[l] += d * d;
    }
    lanes.iter().sum()
}

/// `sum((x - mean)^2)` over a slice, in `f64`: the second pass of a two-pass variance.
///
/// ```
/// assert_eq!(spillway::kernels::reduce::sum_sq_dev(&[1.0f64, 3.0], 2.0), 2.0);
/// ```
pub fn sum_sq_dev<T: Element>(xs: &[T], mean: f64) -> f64 {
    crate::kernels::simd::simd_dispatch!(sum_sq_dev_body::<T>(xs, mean))
}

#[inline(always)]
fn fold_minmax_body<T: Numeric>(xs: &[T], init: T, f: fn(T, T) -> T) -> T {
    let mut lanes = [init; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            lanes[l] = f(lanes[l], c[l]);
        }
    }
    let mut acc = init;
    for &x in chunks.remainder() {
        acc = f(acc, x);
    }
    lanes.iter().fold(acc, |a, &b| f(a, b))
}

/// The minimum of a slice and `init`; NaN propagates.
///
/// ```
/// assert_eq!(spillway::kernels::reduce::min(&[3i32, -1, 2], i32::MAX), -1);
/// assert!(spillway::kernels::reduce::min(&[1.0, f64::NAN], f64::INFINITY).is_nan());
/// ```
pub fn min<T: Numeric>(xs: &[T], init: T) -> T {
    crate::kernels::simd::simd_dispatch!(fold_minmax_body::<T>(xs, init, T::min_nan))
}

/// The maximum of a slice and `init`; NaN propagates.
///
/// ```
/// assert_eq!(spillway::kernels::reduce::max(&[3u8, 9, 2], 0), 9);
/// ```
pub fn max<T: Numeric>(xs: &[T], init: T) -> T {
    crate::kernels::simd::simd_dispatch!(fold_minmax_body::<T>(xs, init, T::max_nan))
}
