//! Hot elementwise loops, dispatched to the best SIMD level at run time.
//!
//! Each function takes the scalar operation as a closure (`F: Fn(..) -> U +
//! Copy`). The loop body is an `#[inline(always)]` generic function called
//! through the crate's `simd_dispatch!` macro (see [`crate::kernels::simd`]),
//! so the closure is inlined into an AVX-512, AVX2 or baseline copy of the
//! loop and vectorised there, e.g. `map(&x, &mut y, |v| v * 2.0 + 1.0)` runs
//! on 8 `f64` per zmm register under AVX-512.
//!
//! Output slices must have the length of the inputs (checked with
//! `debug_assert!`); in release builds the loops stop at the shortest slice.
//! Closures must be pure for results to be independent of the SIMD level
//! (Rust never fuses `a * b + c` into an FMA on its own, so ordinary float
//! arithmetic is bit-identical at every level).

use crate::kernels::simd::simd_dispatch;

#[inline(always)]
fn map_body<T: Copy, U, F: Fn(T) -> U + Copy>(input: &[T], out: &mut [U], f: F) {
    for (o, &x) in out.iter_mut().zip(input) {
        *o = f(x);
    }
}

#[inline(always)]
fn map_inplace_body<T: Copy, F: Fn(T) -> T + Copy>(data: &mut [T], f: F) {
    for x in data.iter_mut() {
        *x = f(*x);
    }
}

#[inline(always)]
fn zip_body<A: Copy, B: Copy, U, F: Fn(A, B) -> U + Copy>(a: &[A], b: &[B], out: &mut [U], f: F) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}

/// `out[i] = f(input[i])`.
///
/// # Example
///
/// ```
/// use spillway::kernels::elementwise::map;
///
/// let x = [1.0, 2.0, 3.0];
/// let mut y = [0.0; 3];
/// map(&x, &mut y, |v: f64| v * v);
/// assert_eq!(y, [1.0, 4.0, 9.0]);
///
/// // The output type may differ from the input type.
/// let mut inside = [false; 3];
/// map(&x, &mut inside, |v: f64| v < 2.5);
/// assert_eq!(inside, [true, true, false]);
/// ```
pub fn map<T: Copy, U, F: Fn(T) -> U + Copy>(input: &[T], out: &mut [U], f: F) {
    debug_assert_eq!(input.len(), out.len(), "map: length mismatch");
    simd_dispatch!(map_body(input, out, f))
}

/// `data[i] = f(data[i])`.
///
/// # Example
///
/// ```
/// use spillway::kernels::elementwise::map_inplace;
///
/// let mut data = [1i32, -2, 3];
/// map_inplace(&mut data, |v: i32| v.abs() * 10);
/// assert_eq!(data, [10, 20, 30]);
/// ```
pub fn map_inplace<T: Copy, F: Fn(T) -> T + Copy>(data: &mut [T], f: F) {
    simd_dispatch!(map_inplace_body(data, f))
}

/// `out[i] = f(a[i], b[i])`.
///
/// # Example
///
/// ```
/// use spillway::kernels::elementwise::zip;
///
/// let x = [0.5, 0.9];
/// let y = [0.5, 0.9];
/// let mut hit = [false; 2];
/// zip(&x, &y, &mut hit, |a: f64, b: f64| a * a + b * b <= 1.0);
/// assert_eq!(hit, [true, false]);
/// ```
pub fn zip<A: Copy, B: Copy, U, F: Fn(A, B) -> U + Copy>(a: &[A], b: &[B], out: &mut [U], f: F) {
    debug_assert_eq!(a.len(), out.len(), "zip: length mismatch");
    debug_assert_eq!(b.len(), out.len(), "zip: length mismatch");
    simd_dispatch!(zip_body(a, b, out, f))
}

/// `out[i] = f(a[i], b)` (array ⊕ scalar).
///
/// # Example
///
/// ```
/// use spillway::kernels::elementwise::zip_scalar_right;
///
/// let mut out = [0.0; 3];
/// zip_scalar_right(&[1.0, 2.0, 3.0], 10.0, &mut out, |a: f64, b: f64| a - b);
/// assert_eq!(out, [-9.0, -8.0, -7.0]);
/// ```
pub fn zip_scalar_right<A: Copy, B: Copy, U, F: Fn(A, B) -> U + Copy>(
    a: &[A],
    b: B,
    out: &mut [U],
    f: F,
) {
    debug_assert_eq!(a.len(), out.len(), "zip_scalar_right: length mismatch");
    simd_dispatch!(map_body(a, out, move |x| f(x, b)))
}

/// `out[i] = f(a, b[i])` (scalar ⊕ array).
///
/// # Example
///
/// ```
/// use spillway::kernels::elementwise::zip_scalar_left;
///
/// let mut out = [0.0; 3];
/// zip_scalar_left(10.0, &[1.0, 2.0, 4.0], &mut out, |a: f64, b: f64| a / b);
/// assert_eq!(out, [10.0, 5.0, 2.5]);
/// ```
pub fn zip_scalar_left<A: Copy, B: Copy, U, F: Fn(A, B) -> U + Copy>(
    a: A,
    b: &[B],
    out: &mut [U],
    f: F,
) {
    debug_assert_eq!(b.len(), out.len(), "zip_scalar_left: length mismatch");
    simd_dispatch!(map_body(b, out, move |y| f(a, y)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd::{SimdLevel, with_simd_level};
    use proptest::prelude::*;

    fn inputs(n: usize) -> (Vec<f64>, Vec<f64>) {
        let a = (0..n).map(|i| (i as f64 * 0.37).sin() * 3.0).collect();
        let b = (0..n).map(|i| (i as f64 * 0.11).cos() + 0.5).collect();
        (a, b)
    }

    #[test]
    fn all_kernels_match_plain_loops_at_every_level() {
        for n in [0, 1, 7, 8, 9, 64, 1000, 1037] {
            let (a, b) = inputs(n);
            let f = |x: f64, y: f64| x * y - x / y + 0.25;
            let g = |x: f64| x * x * 0.5 - 3.0;
            let expect_map: Vec<f64> = a.iter().map(|&x| g(x)).collect();
            let expect_zip: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| f(x, y)).collect();
            let expect_right: Vec<f64> = a.iter().map(|&x| f(x, 1.75)).collect();
            let expect_left: Vec<f64> = b.iter().map(|&y| f(1.75, y)).collect();
            for level in SimdLevel::ALL {
                with_simd_level(level, || {
                    let mut out = vec![0.0; n];
                    map(&a, &mut out, g);
                    assert_eq!(out, expect_map, "{level:?}");
                    let mut data = a.clone();
                    map_inplace(&mut data, g);
                    assert_eq!(data, expect_map, "{level:?}");
                    zip(&a, &b, &mut out, f);
                    assert_eq!(out, expect_zip, "{level:?}");
                    zip_scalar_right(&a, 1.75, &mut out, f);
                    assert_eq!(out, expect_right, "{level:?}");
                    zip_scalar_left(1.75, &b, &mut out, f);
                    assert_eq!(out, expect_left, "{level:?}");
                });
            }
        }
    }

    #[test]
    fn mixed_types_and_captured_state() {
        let a: Vec<u8> = (0..=255).collect();
        let b: Vec<i32> = (0..256).map(|i| i * 3 - 100).collect();
        let offset = 17i64;
        let mut out = vec![0i64; 256];
        zip(&a, &b, &mut out, move |x: u8, y: i32| {
            i64::from(x) * i64::from(y) + offset
        });
        for i in 0..256 {
            assert_eq!(out[i], i64::from(a[i]) * i64::from(b[i]) + offset);
        }
        let mut flags = vec![false; 256];
        map(&a, &mut flags, |x: u8| x.is_multiple_of(3));
        assert_eq!(flags.iter().filter(|&&f| f).count(), 86);
        let strings = ["a", "bb", "ccc"];
        let mut lengths = [0usize; 3];
        map(&strings, &mut lengths, str::len);
        assert_eq!(lengths, [1, 2, 3]);
        let mut owned = vec![String::new(); 3];
        map(&strings, &mut owned, |s: &str| s.to_uppercase());
        assert_eq!(owned, ["A", "BB", "CCC"]);
    }

    proptest! {
        #[test]
        fn levels_agree_on_random_data(data in proptest::collection::vec(-1e6f64..1e6, 0..300), s in -10.0f64..10.0) {
            let f = move |x: f64, y: f64| (x - y) * (x + y) / (s.abs() + 1.0);
            let mut results = Vec::new();
            for level in SimdLevel::ALL {
                let mut out = vec![0.0; data.len()];
                with_simd_level(level, || zip_scalar_right(&data, s, &mut out, f));
                results.push(out);
            }
            prop_assert!(results.windows(2).all(|w| w[0] == w[1]));
        }
    }
}
