//! Exact `median` and `percentile` of arrays larger than memory, by multi-pass selection.
//!
//! Dask's `percentile` merges per-chunk approximations; this is exact. Elements map to an
//! order-preserving 64-bit key. The first pass counts the elements and finds the
//! smallest and largest key; each following pass cuts the current key bracket into
//! [`BINS`] bins and counts the elements below the bracket and in each bin (with each
//! bin's smallest and largest key). The bin holding the wanted rank becomes the next
//! bracket; bins are the top 8 significant bits of a key's offset in the bracket, so the
//! key range shrinks by a factor of at least 128 per pass: at most 10 passes after the
//! first for 64-bit keys, each one staged fold holding a few kilobytes per task, so the memory
//! used does not grow with the data. Counts add exactly, so the result does not depend
//! on the chunking or on thread timing.
//!
//! NumPy's default `linear` interpolation between the two ranks around
//! `q / 100 * (n - 1)` needs the next value too: one more pass counts the elements equal
//! to the first and finds the smallest one above it.

use super::fold::{FoldExpr, Folder};
use crate::array::{Array, ArrayError};
use crate::dtype::{Element, Numeric};
use crate::error::Result;
use crate::graph::region::Region;
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

/// Bins per selection pass.
pub const BINS: usize = 256;

/// An order-preserving map of values to `u64` (for floats, NaN excluded; `-0.0` sorts
/// just below `0.0`).
///
/// ```
/// use spillway::array::reduce_more::select::SortKey;
/// assert!((-1.5f64).sort_key() < 0.0f64.sort_key());
/// assert!((-3i64).sort_key() < 2i64.sort_key());
/// assert_eq!(f64::from_sort_key(7.25f64.sort_key()), 7.25);
/// ```
pub trait SortKey: Numeric {
    /// The key.
    fn sort_key(self) -> u64;
    /// The value of a key.
    fn from_sort_key(key: u64) -> Self;
}

macro_rules! float_key {
    ($t:ty, $bits:ty, $sign:expr) => {
        impl SortKey for $t {
            fn sort_key(self) -> u64 {
                let b = self.to_bits();
                let k = if b & $sign != 0 { !b } else { b | $sign };
                k as u64
            }
            fn from_sort_key(key: u64) -> Self {
                let k = key as $bits;
                let b = if k & $sign != 0 { k & !$sign } else { !k };
                <$t>::from_bits(b)
            }
        }
    };
}

float_key!(f64, u64, 1u64 << 63);
float_key!(f32, u32, 1u32 << 31);

macro_rules! signed_key {
    ($($t:ty),*) => {$(
        impl SortKey for $t {
            fn sort_key(self) -> u64 {
                (self as i64 as u64) ^ (1u64 << 63)
            }
            fn from_sort_key(key: u64) -> Self {
                (key ^ (1u64 << 63)) as i64 as $t
            }
        }
    )*};
}
signed_key!(i64, i32, i16, i8);

macro_rules! unsigned_key {
    ($($t:ty),*) => {$(
        impl SortKey for $t {
            fn sort_key(self) -> u64 {
                self as u64
            }
            fn from_sort_key(key: u64) -> Self {
                key as $t
            }
        }
    )*};
}
unsigned_key!(u64, u32, u16, u8);

/// NaN for floats, never for integers.
#[allow(clippy::eq_op)]
fn is_nan<T: Element>(x: T) -> bool {
    x != x
}

/// Pass 0: count, NaN seen, smallest and largest key.
struct Bounds;

impl<T: SortKey> Folder<T> for Bounds {
    type State = [u64; 4];
    type Total = [u64; 4];
    type Out = u64;
    fn label(&self) -> &'static str {
        "select_bounds"
    }
    fn out_shape(&self) -> Vec<usize> {
        vec![4]
    }
    fn state_bytes(&self) -> u64 {
        32
    }
    fn total_bytes(&self) -> u64 {
        64
    }
    fn start(&self, _block: &Region) -> [u64; 4] {
        self.total_start()
    }
    fn fold(&self, s: &mut [u64; 4], data: &[T], _tile: &Region) {
        for &x in data {
            if is_nan(x) {
                s[1] = 1;
                continue;
            }
            let k = x.sort_key();
            s[0] += 1;
            s[2] = s[2].min(k);
            s[3] = s[3].max(k);
        }
    }
    fn total(&self) -> [u64; 4] {
        self.total_start()
    }
    fn absorb(&self, t: &mut [u64; 4], s: [u64; 4]) {
        t[0] += s[0];
        t[1] |= s[1];
        t[2] = t[2].min(s[2]);
        t[3] = t[3].max(s[3]);
    }
    fn finish(&self, t: [u64; 4]) -> ArrayD<u64> {
        ArrayD::from_shape_vec(IxDyn(&[4]), t.to_vec()).expect("four numbers")
    }
}

impl Bounds {
    fn total_start(&self) -> [u64; 4] {
        [0, 0, u64::MAX, 0]
    }
}

/// Pass i: elements below the bracket `[lo, hi]` of keys, and per bin (count, smallest
/// key, largest key). Output: `[below, count_0, min_0, max_0, count_1, ...]`.
struct Narrow {
    lo: u64,
    hi: u64,
}

impl Narrow {
    /// The bin of a key in the bracket: the top 8 significant bits of its offset, so
    /// `lo` is in bin 0 and `hi` in bin 128 or above (or every key has its own bin).
    fn bin(&self, key: u64) -> usize {
        let bits = 64 - (self.hi - self.lo).leading_zeros();
        let shift = bits.saturating_sub(BINS.trailing_zeros());
        ((key - self.lo) >> shift) as usize
    }
    fn empty(&self) -> Vec<u64> {
        let mut v = vec![0u64; 1 + 3 * BINS];
        for b in 0..BINS {
            v[2 + 3 * b] = u64::MAX;
        }
        v
    }
}

impl<T: SortKey> Folder<T> for Narrow {
    type State = Vec<u64>;
    type Total = Vec<u64>;
    type Out = u64;
    fn label(&self) -> &'static str {
        "select_narrow"
    }
    fn out_shape(&self) -> Vec<usize> {
        vec![1 + 3 * BINS]
    }
    fn state_bytes(&self) -> u64 {
        8 * (1 + 3 * BINS) as u64
    }
    fn total_bytes(&self) -> u64 {
        16 * (1 + 3 * BINS) as u64
    }
    fn start(&self, _block: &Region) -> Vec<u64> {
        self.empty()
    }
    fn fold(&self, s: &mut Vec<u64>, data: &[T], _tile: &Region) {
        for &x in data {
            if is_nan(x) {
                continue;
            }
            let k = x.sort_key();
            if k < self.lo {
                s[0] += 1;
            } else if k <= self.hi {
                let b = self.bin(k);
                s[1 + 3 * b] += 1;
                s[2 + 3 * b] = s[2 + 3 * b].min(k);
                s[3 + 3 * b] = s[3 + 3 * b].max(k);
            }
        }
    }
    fn total(&self) -> Vec<u64> {
        self.empty()
    }
    fn absorb(&self, t: &mut Vec<u64>, s: Vec<u64>) {
        t[0] += s[0];
        for b in 0..BINS {
            t[1 + 3 * b] += s[1 + 3 * b];
            t[2 + 3 * b] = t[2 + 3 * b].min(s[2 + 3 * b]);
            t[3 + 3 * b] = t[3 + 3 * b].max(s[3 + 3 * b]);
        }
    }
    fn finish(&self, t: Vec<u64>) -> ArrayD<u64> {
        ArrayD::from_shape_vec(IxDyn(&[t.len()]), t).expect("one entry per slot")
    }
}

/// The last pass: elements with key <= `key`, and the smallest key above it.
struct Next {
    key: u64,
}

impl<T: SortKey> Folder<T> for Next {
    type State = [u64; 2];
    type Total = [u64; 2];
    type Out = u64;
    fn label(&self) -> &'static str {
        "select_next"
    }
    fn out_shape(&self) -> Vec<usize> {
        vec![2]
    }
    fn state_bytes(&self) -> u64 {
        16
    }
    fn total_bytes(&self) -> u64 {
        32
    }
    fn start(&self, _block: &Region) -> [u64; 2] {
        [0, u64::MAX]
    }
    fn fold(&self, s: &mut [u64; 2], data: &[T], _tile: &Region) {
        for &x in data {
            if is_nan(x) {
                continue;
            }
            let k = x.sort_key();
            if k <= self.key {
                s[0] += 1;
            } else {
                s[1] = s[1].min(k);
            }
        }
    }
    fn total(&self) -> [u64; 2] {
        [0, u64::MAX]
    }
    fn absorb(&self, t: &mut [u64; 2], s: [u64; 2]) {
        t[0] += s[0];
        t[1] = t[1].min(s[1]);
    }
    fn finish(&self, t: [u64; 2]) -> ArrayD<u64> {
        ArrayD::from_shape_vec(IxDyn(&[2]), t.to_vec()).expect("two numbers")
    }
}

impl<T: SortKey> Array<T> {
    fn run_fold<F: Folder<T, Out = u64>>(&self, folder: F) -> Result<Vec<u64>> {
        Array::<u64>::from_expr(Arc::new(FoldExpr::new(self.expr.clone(), folder))).compute_vec()
    }

    /// The key of the element of 0-based rank `rank` among the `n` non-NaN elements whose
    /// keys lie in `[lo, hi]`, with `below` elements under `lo` (selection passes).
    fn select_key(&self, rank: u64, mut lo: u64, mut hi: u64) -> Result<u64> {
        loop {
            if lo == hi {
                return Ok(lo);
            }
            let counts = self.run_fold(Narrow { lo, hi })?;
            let mut seen = counts[0];
            let mut chosen = None;
            for b in 0..BINS {
                let c = counts[1 + 3 * b];
                if rank < seen + c {
                    chosen = Some((counts[2 + 3 * b], counts[3 + 3 * b]));
                    break;
                }
                seen += c;
            }
            let (new_lo, new_hi) = chosen.ok_or_else(|| {
                // the counts of this pass must agree with the first pass's count
                crate::error::Error::from(ArrayError::InvalidArgument {
                    op: "percentile",
                    message: format!(
                        "the input changed between passes (rank {rank} not found); percentile needs an input that gives the same values each time it is computed"
                    ),
                })
            })?;
            if (new_lo, new_hi) == (lo, hi) {
                // cannot happen for lo < hi (at least two bins are used); stop anyway
                return Ok(lo);
            }
            lo = new_lo;
            hi = new_hi;
        }
    }

    /// The `q`-th percentile of every element (`0 <= q <= 100`), exact, with NumPy's
    /// default linear interpolation, as `np.percentile(x, q)`: NaN when the array is
    /// empty or holds a NaN. Computed eagerly on the current client, in a few passes over
    /// the data that each hold a few kilobytes per task (see the module docs).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 101, 1, 7);
    /// assert_eq!(x.percentile(25.0).unwrap(), 25.0);
    /// let y = spillway::from_ndarray(ndarray::array![4.0, 1.0, 3.0, 2.0], 3);
    /// assert_eq!(y.percentile(50.0).unwrap(), 2.5);
    /// assert!(y.percentile(101.0).is_err());
    /// ```
    pub fn percentile(&self, q: f64) -> Result<T::Float> {
        if !(0.0..=100.0).contains(&q) {
            return Err(ArrayError::InvalidArgument {
                op: "percentile",
                message: format!(
                    "q = {q} is outside [0, 100]; give a percentile between 0 and 100"
                ),
            }
            .into());
        }
        if let Some(e) = self.error() {
            return Err(e);
        }
        let bounds = self.run_fold(Bounds)?;
        let (n, nan) = (bounds[0], bounds[1] != 0);
        if n == 0 || nan {
            return Ok(T::Float::from_f64(f64::NAN));
        }
        let position = q / 100.0 * (n - 1) as f64;
        let rank = (position.floor() as u64).min(n - 1);
        let t = position - rank as f64;
        let key = self.select_key(rank, bounds[2], bounds[3])?;
        let a = T::from_sort_key(key).to_f64();
        if t == 0.0 || rank + 1 >= n {
            return Ok(T::Float::from_f64(a));
        }
        let next = self.run_fold(Next { key })?;
        let b = if next[0] > rank + 1 {
            a
        } else {
            T::from_sort_key(next[1]).to_f64()
        };
        // NumPy's lerp: exact at both ends, monotone in t
        let value = if t < 0.5 {
            a + (b - a) * t
        } else {
            b - (b - a) * (1.0 - t)
        };
        Ok(T::Float::from_f64(value))
    }

    /// The exact median of every element (NaN when empty or when a NaN is present), as
    /// `np.median(x)`; see [`percentile`](Array::percentile).
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![5, 1, 4, 2, 3], 2);
    /// assert_eq!(x.median().unwrap(), 3.0);
    /// ```
    pub fn median(&self) -> Result<T::Float> {
        self.percentile(50.0)
    }
}
