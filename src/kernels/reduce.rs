//! Reduction loops over slices, written so they vectorise: several independent
//! accumulator lanes instead of one serial chain.
//!
//! Lanes also make float sums more accurate than a single running sum (each lane adds an
//! eighth of the values), and the fold order is fixed by the slice, so results are
//! deterministic.

use crate::dtype::{Element, Numeric};

const LANES: usize = 8;

/// `x` converted to its sum type (bool and ints widen, floats and complex numbers stay).
#[inline(always)]
pub fn to_sum<T: Element>(x: T) -> T::Sum {
    if T::DTYPE.is_complex() {
        let (re, im) = x.to_complex();
        T::Sum::from_complex(re, im)
    } else if T::DTYPE.is_float() {
        T::Sum::from_f64(x.to_f64())
    } else {
        T::Sum::from_i128(x.to_i128())
    }
}

/// The sum of `g` over a slice, in eight lanes combined pairwise. Every sum in this
/// module is this association, whether or not it is fused into a map, so a result does
/// not depend on the plan that computed it.
#[inline(always)]
fn lane_sum<S: Copy, A: Numeric>(xs: &[S], g: impl Fn(S) -> A) -> A {
    match xs.len() {
        // the same association as the lanes below, spelled out for short rows
        0 => A::ZERO,
        1 => A::add(A::ZERO, g(xs[0])),
        2 => A::add(A::add(A::ZERO, g(xs[0])), A::add(A::ZERO, g(xs[1]))),
        3 => A::add(
            A::add(A::add(A::ZERO, g(xs[0])), A::add(A::ZERO, g(xs[2]))),
            A::add(A::ZERO, g(xs[1])),
        ),
        _ => {
            let mut lanes = [A::ZERO; LANES];
            let mut chunks = xs.chunks_exact(LANES);
            for c in &mut chunks {
                for l in 0..LANES {
                    lanes[l] = A::add(lanes[l], g(c[l]));
                }
            }
            for (l, &x) in chunks.remainder().iter().enumerate() {
                lanes[l] = A::add(lanes[l], g(x));
            }
            let mut width = LANES;
            while width > 1 {
                width /= 2;
                for l in 0..width {
                    lanes[l] = A::add(lanes[l], lanes[l + width]);
                }
            }
            lanes[0]
        }
    }
}

#[inline(always)]
fn sum_body<T: Element>(xs: &[T]) -> T::Sum {
    lane_sum(xs, to_sum::<T>)
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
    sum_rows_mapped_body::<T, T, _>(accs, xs, row, |x| x, false)
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
    if T::DTYPE == crate::dtype::DType::Bool {
        // counting: add the flags as bytes in blocks short enough not to overflow
        // SAFETY: `T` is `bool`, the only element type with the Bool dtype.
        let flag = |x: S| unsafe { std::mem::transmute_copy::<T, bool>(&f(x)) } as u8;
        for (s, p) in sums.iter_mut().zip(xs.chunks_exact(row)) {
            let mut total = 0u64;
            for block in p.chunks(255 * 64) {
                let mut lanes = [0u8; 64];
                let mut chunks = block.chunks_exact(64);
                for c in &mut chunks {
                    for l in 0..64 {
                        lanes[l] += flag(c[l]);
                    }
                }
                total += lanes.iter().map(|&v| v as u64).sum::<u64>();
                total += chunks
                    .remainder()
                    .iter()
                    .map(|&x| flag(x) as u64)
                    .sum::<u64>();
            }
            let total = T::Sum::from_i128(total as i128);
            *s = if assign {
                total
            } else {
                Numeric::add(*s, total)
            };
        }
        return;
    }
    let zero = <T::Sum as Numeric>::ZERO;
    let z = |x: S| Numeric::add(zero, g(x));
    // short rows get loops over rows that vectorise; each row's sum is associated
    // exactly as `lane_sum` does it
    match row {
        2 => {
            let n = sums.len().min(xs.len() / 2);
            let (sums, xs) = (&mut sums[..n], &xs[..2 * n]);
            for i in 0..n {
                let total = Numeric::add(z(xs[2 * i]), z(xs[2 * i + 1]));
                sums[i] = Numeric::add(if assign { zero } else { sums[i] }, total);
            }
        }
        3 => {
            let n = sums.len().min(xs.len() / 3);
            let (sums, xs) = (&mut sums[..n], &xs[..3 * n]);
            for i in 0..n {
                let total = Numeric::add(
                    Numeric::add(z(xs[3 * i]), z(xs[3 * i + 2])),
                    z(xs[3 * i + 1]),
                );
                sums[i] = Numeric::add(if assign { zero } else { sums[i] }, total);
            }
        }
        _ => {
            for (s, p) in sums.iter_mut().zip(xs.chunks_exact(row)) {
                let total = lane_sum(p, g);
                *s = Numeric::add(if assign { zero } else { *s }, total);
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
