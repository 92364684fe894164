//! Counter-based random numbers: bit-identical however the index space is cut.
//!
//! # The scheme
//!
//! A random array is described by a 64-bit *key* (see [`stream_key`]) and
//! every element is a pure function of the key and the element's global flat
//! index `i`:
//!
//! ```text
//! r(key, i) = mix(key + (i + 1) * γ)        γ = 0x9e3779b97f4a7c15, arithmetic mod 2^64
//! mix(z):  z ^= z >> 30;  z *= 0xbf58476d1ce4e5b9;
//!          z ^= z >> 27;  z *= 0x94d049bb133111eb;
//!          z ^= z >> 31
//! ```
//!
//! This is exactly the output stream of SplitMix64 (Steele, Lea and Flood;
//! rand_xoshiro's `SplitMix64`) started at state `key`: that generator adds
//! `γ` to its state and returns `mix(state)`, so after `i` steps its state is
//! `key + i·γ` and its `(i + 1)`-th output is `r(key, i)`. Because any output
//! can be computed directly from `(key, i)`, values never depend on how the
//! index space is split into chunks, tiles, threads or ranks, on the order in
//! which pieces are produced, or on the SIMD level (see
//! [`crate::kernels::simd`]). All fills write `out[j] = value(start + j)`, so
//! filling `[0, n)` in one call equals concatenating fills of any split of
//! `[0, n)`. Indices wrap modulo 2^64.
//!
//! The fills process several indices per step (the counter of lane `l` is
//! `base + l·γ`, the mix is two 64-bit multiplies, `vpmullq` under AVX-512)
//! and are dispatched at run time, so they run at memory-ish speed.
//!
//! # Derived variates
//!
//! * uniform `f64`: the top 52 bits as a mantissa, `u = from_bits(r >> 12 |
//!   bits(1.0)) - 1.0` in `[0, 1)` on a grid of 2^-52; then `low + (high -
//!   low) * u` (exactly `u` for `[0, 1)`), kept below `high`;
//! * uniform `f32`: the same with the top 23 bits;
//! * integers in `[low, high)`: `low + ⌊r · span / 2^64⌋` (multiply-shift);
//! * normals: Box–Muller with `u1` from stream `stream_key(key, 1)` and `u2`
//!   from `stream_key(key, 2)` at the same index; the logarithm and cosine are
//!   computed in this module from IEEE `+ - * / sqrt` only, so normals too are
//!   bit-identical on every machine, OS and SIMD level;
//! * booleans: `u < p` with a 53-bit `u`.
//!
//! SplitMix64 is a fast, statistically strong generator (it passes BigCrush
//! as a stream and is the standard seeding generator for the xoshiro family),
//! but it is not cryptographically secure.

use crate::kernels::simd::simd_dispatch;

/// Seed used when the user gives none.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::{stream_key, DEFAULT_SEED};
///
/// let key = stream_key(DEFAULT_SEED, 0);
/// assert_eq!(key, stream_key(42, 0));
/// ```
pub const DEFAULT_SEED: u64 = 42;

/// SplitMix64's increment: 2^64 divided by the golden ratio, made odd.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
const MIX_MUL_1: u64 = 0xbf58_476d_1ce4_e5b9;
const MIX_MUL_2: u64 = 0x94d0_49bb_1331_11eb;
const ONE_F64_BITS: u64 = 0x3ff0_0000_0000_0000;
const ONE_F32_BITS: u32 = 0x3f80_0000;

/// SplitMix64's output finalizer (a bijection of `u64`).
#[inline(always)]
const fn mix(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(MIX_MUL_1);
    let z = (z ^ (z >> 27)).wrapping_mul(MIX_MUL_2);
    z ^ (z >> 31)
}

/// SplitMix64 state just before producing the output for `index`.
#[inline(always)]
const fn counter(key: u64, index: u64) -> u64 {
    key.wrapping_add(index.wrapping_add(1).wrapping_mul(GAMMA))
}

/// A decorrelated key for the `(seed, stream)` pair.
///
/// It is the `(stream + 1)`-th output of a SplitMix64 whose state is the first
/// output of a SplitMix64 seeded with `seed`, i.e. two rounds of the mixer.
/// For a fixed seed, distinct streams give distinct keys (and vice versa).
/// Use stream 0, 1, 2, … for independent variates of one operation; normals
/// derive two further keys from theirs (see [`fill_normal_f64`]).
///
/// # Example
///
/// ```
/// use spillway::kernels::random::{fill_uniform_f64, stream_key};
///
/// let (kx, ky) = (stream_key(7, 0), stream_key(7, 1));
/// assert_ne!(kx, ky);
/// let (mut x, mut y) = ([0.0; 4], [0.0; 4]);
/// fill_uniform_f64(kx, 0, 0.0, 1.0, &mut x);
/// fill_uniform_f64(ky, 0, 0.0, 1.0, &mut y);
/// assert_ne!(x, y);
/// ```
pub const fn stream_key(seed: u64, stream: u64) -> u64 {
    let base = mix(counter(seed, 0));
    mix(counter(base, stream))
}

/// The random `u64` of global index `index`: `mix(key + (index + 1) * γ)`,
/// the element [`fill_u64`] writes for that index.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::{fill_u64, u64_at};
///
/// let mut buf = [0u64; 3];
/// fill_u64(9, 100, &mut buf);
/// assert_eq!(buf[2], u64_at(9, 102));
/// ```
#[inline]
pub const fn u64_at(key: u64, index: u64) -> u64 {
    mix(counter(key, index))
}

/// The uniform `[0, 1)` value of global index `index`, as written by
/// [`fill_uniform_f64`] with `low = 0, high = 1`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::{fill_uniform_f64, unit_f64_at};
///
/// let mut buf = [0.0; 5];
/// fill_uniform_f64(3, 10, 0.0, 1.0, &mut buf);
/// assert_eq!(buf[4], unit_f64_at(3, 14));
/// ```
#[inline]
pub fn unit_f64_at(key: u64, index: u64) -> f64 {
    unit_f64(u64_at(key, index))
}

/// `[0, 1)` from the top 52 bits: mantissa of a number in `[1, 2)`, minus 1.
#[inline(always)]
fn unit_f64(r: u64) -> f64 {
    f64::from_bits((r >> 12) | ONE_F64_BITS) - 1.0
}

/// `[0, 1)` from the top 23 bits.
#[inline(always)]
fn unit_f32(r: u64) -> f32 {
    f32::from_bits(((r >> 41) as u32) | ONE_F32_BITS) - 1.0
}

/// The kernel body: `out[j] = f(r(key, start + j))`.
///
/// Written as a plain loop over an induction variable (the SplitMix64 state,
/// step γ); LLVM turns it into `base + lane·γ` vectors with a step of
/// `lanes·γ` and vectorises the mixer and `f` (8 lanes per zmm register,
/// unrolled, under AVX-512).
#[inline(always)]
fn fill_body<T, F: Fn(u64) -> T + Copy>(key: u64, start: u64, out: &mut [T], f: F) {
    let mut state = counter(key, start);
    for o in out.iter_mut() {
        *o = f(mix(state));
        state = state.wrapping_add(GAMMA);
    }
}

/// Fills `out[j]` with the random `u64` of global index `start + j`
/// (see the [module documentation](self) for the scheme).
///
/// With `start = 0` this is the output sequence of rand_xoshiro's
/// `SplitMix64::seed_from_u64(key)`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_u64;
///
/// let mut whole = [0u64; 10];
/// fill_u64(1, 0, &mut whole);
/// // Any split of the index range gives the same values.
/// let (mut a, mut b) = ([0u64; 3], [0u64; 7]);
/// fill_u64(1, 0, &mut a);
/// fill_u64(1, 3, &mut b);
/// assert_eq!(whole[..3], a);
/// assert_eq!(whole[3..], b);
/// ```
pub fn fill_u64(key: u64, start: u64, out: &mut [u64]) {
    simd_dispatch!(fill_body(key, start, out, |r| r))
}

/// Fills `out[j]` with a uniform value in `[low, high)` for global index
/// `start + j`.
///
/// `u` in `[0, 1)` comes from the top 52 bits (`f64::from_bits(r >> 12 |
/// bits(1.0)) - 1.0`, a grid of 2^-52) and the value is `low + (high - low) *
/// u`, exactly `u` when `low = 0, high = 1`. Rounding could make that equal
/// `high`; such values are replaced by the largest float below `high`, so the
/// result is always in `[low, high)` when `low < high`. If `high - low`
/// overflows, `low * (1 - u) + high * u` is used instead. If `high <= low`
/// the values lie in `(high, low]` (as in NumPy); NaN bounds give NaN.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::{fill_uniform_f64, stream_key};
///
/// let mut buf = vec![0.0; 1000];
/// fill_uniform_f64(stream_key(42, 0), 0, -2.0, 3.0, &mut buf);
/// assert!(buf.iter().all(|&x| (-2.0..3.0).contains(&x)));
/// ```
pub fn fill_uniform_f64(key: u64, start: u64, low: f64, high: f64, out: &mut [f64]) {
    if low == 0.0 && high == 1.0 {
        return simd_dispatch!(fill_body(key, start, out, unit_f64));
    }
    let max = if low < high { high.next_down() } else { low };
    let scale = high - low;
    if scale.is_finite() {
        simd_dispatch!(fill_body(key, start, out, move |r| {
            let v = low + scale * unit_f64(r);
            if v > max { max } else { v }
        }))
    } else {
        simd_dispatch!(fill_body(key, start, out, move |r| {
            let u = unit_f64(r);
            let v = low * (1.0 - u) + high * u;
            if v > max { max } else { v }
        }))
    }
}

/// Fills `out[j]` with a uniform `f32` in `[low, high)` for global index
/// `start + j`: as [`fill_uniform_f64`] with a 23-bit `u` (the top 23 bits of
/// the same `u64`) and `f32` arithmetic.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_uniform_f32;
///
/// let mut buf = [0.0f32; 100];
/// fill_uniform_f32(5, 0, 10.0, 20.0, &mut buf);
/// assert!(buf.iter().all(|&x| (10.0..20.0).contains(&x)));
/// ```
pub fn fill_uniform_f32(key: u64, start: u64, low: f32, high: f32, out: &mut [f32]) {
    if low == 0.0 && high == 1.0 {
        return simd_dispatch!(fill_body(key, start, out, unit_f32));
    }
    let max = if low < high { high.next_down() } else { low };
    let scale = high - low;
    if scale.is_finite() {
        simd_dispatch!(fill_body(key, start, out, move |r| {
            let v = low + scale * unit_f32(r);
            if v > max { max } else { v }
        }))
    } else {
        simd_dispatch!(fill_body(key, start, out, move |r| {
            let u = unit_f32(r);
            let v = low * (1.0 - u) + high * u;
            if v > max { max } else { v }
        }))
    }
}

// ---------------------------------------------------------------------------
// Normals
// ---------------------------------------------------------------------------

/// `1 / n!`, correctly rounded (`n!` is exact in `f64` for `n <= 18`).
const fn inv_factorial(n: u32) -> f64 {
    let mut product = 1.0;
    let mut k = 2;
    while k <= n {
        product *= k as f64;
        k += 1;
    }
    1.0 / product
}

/// 2^52 + 2^51 as `f64` bits: adding an integer `|t| < 2^51` to these bits
/// (i.e. to the mantissa) and subtracting `MAGIC` as a float converts `t` to
/// `f64` exactly, without an integer-to-float instruction (AVX2 has none for
/// 64-bit lanes).
const MAGIC_BITS: u64 = 0x4338_0000_0000_0000;
const MAGIC: f64 = 6_755_399_441_055_744.0; // 2^52 + 2^51

/// `1/3, 1/5, ..., 1/23`: the series `atanh(s)/s - 1` in powers of `s²`.
const ATANH_COEFFICIENTS: [f64; 11] = {
    let mut c = [0.0; 11];
    let mut i = 0;
    while i < c.len() {
        c[i] = 1.0 / (2 * i + 3) as f64;
        i += 1;
    }
    c
};

/// Natural logarithm of `x` in `(0, 1]` with `x >= 2^-1022` (error a few ulp).
///
/// `x = 2^e · m` with `m` in `[√½, √2)`, `ln x = e·ln 2 + 2·atanh(s)` with
/// `s = (m - 1) / (m + 1)`, `|s| <= 0.1716`; the odd series of `atanh` is
/// summed to `s^23` (the next term is below 2^-60 relative).
#[inline(always)]
fn ln_unit(x: f64) -> f64 {
    const MANTISSA: u64 = (1 << 52) - 1;
    let bits = x.to_bits();
    let m = f64::from_bits((bits & MANTISSA) | ONE_F64_BITS); // [1, 2)
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let biased_exponent = (bits >> 52) + big as u64; // <= 1024 for x <= 1
    let e = f64::from_bits(MAGIC_BITS + biased_exponent) - (MAGIC + 1023.0);
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // 1/3 + s2/5 + s2^2/7 + ... + s2^10/23, by Horner's rule.
    let mut p = ATANH_COEFFICIENTS[ATANH_COEFFICIENTS.len() - 1];
    for &c in ATANH_COEFFICIENTS[..ATANH_COEFFICIENTS.len() - 1]
        .iter()
        .rev()
    {
        p = p * s2 + c;
    }
    let two_s = s + s;
    e * std::f64::consts::LN_2 + (two_s + two_s * (s2 * p))
}

/// `cos(2π · k / 2^52)` for `k < 2^52` (absolute error about 1e-16).
///
/// The angle is reduced exactly in integer "turn" units to the nearest
/// quarter turn `q` and a remainder `t` with `|t| <= 2^49` units (π/4); the
/// remainder's sine or cosine (Taylor series to x^15 / x^16) gives the result
/// with the quadrant's sign.
#[inline(always)]
fn cos_turns(k: u64) -> f64 {
    const S3: f64 = -inv_factorial(3);
    const S5: f64 = inv_factorial(5);
    const S7: f64 = -inv_factorial(7);
    const S9: f64 = inv_factorial(9);
    const S11: f64 = -inv_factorial(11);
    const S13: f64 = inv_factorial(13);
    const S15: f64 = -inv_factorial(15);
    const C4: f64 = inv_factorial(4);
    const C6: f64 = -inv_factorial(6);
    const C8: f64 = inv_factorial(8);
    const C10: f64 = -inv_factorial(10);
    const C12: f64 = inv_factorial(12);
    const C14: f64 = -inv_factorial(14);
    const C16: f64 = inv_factorial(16);
    /// Radians per turn unit: (π/2) / 2^50.
    const RADIANS_PER_UNIT: f64 = std::f64::consts::PI / (1u64 << 51) as f64;

    let quarter = (k + (1 << 49)) >> 50; // nearest quarter turn, 0..=4
    // t = k - quarter·2^50 lies in [-2^49, 2^49] (two's complement here).
    let t = k.wrapping_sub(quarter << 50);
    let t = f64::from_bits(MAGIC_BITS.wrapping_add(t)) - MAGIC;
    let x = t * RADIANS_PER_UNIT;
    let x2 = x * x;
    let sin_p = S3 + x2 * (S5 + x2 * (S7 + x2 * (S9 + x2 * (S11 + x2 * (S13 + x2 * S15)))));
    let sin = x + x * (x2 * sin_p);
    let cos_p = C4 + x2 * (C6 + x2 * (C8 + x2 * (C10 + x2 * (C12 + x2 * (C14 + x2 * C16)))));
    let cos = (1.0 - 0.5 * x2) + (x2 * x2) * cos_p;
    // cos(q·π/2 + x) = cos x, -sin x, -cos x, sin x for q = 0, 1, 2, 3 (4 = 0).
    let value = if quarter & 1 == 1 { sin } else { cos };
    let negate = ((quarter + 1) & 2) << 62;
    f64::from_bits(value.to_bits() ^ negate)
}

/// A standard normal from two random words: Box–Muller's
/// `sqrt(-2 ln u1) · cos(2π u2)` with `u1 = 1 - unit(r1)` in `(0, 1]` and
/// `u2 = unit(r2)` in `[0, 1)`.
#[inline(always)]
fn standard_normal(r1: u64, r2: u64) -> f64 {
    let u1 = 2.0 - f64::from_bits((r1 >> 12) | ONE_F64_BITS); // (0, 1]
    let radius = (-2.0 * ln_unit(u1)).sqrt();
    radius * cos_turns(r2 >> 12)
}

#[inline(always)]
fn normal_body<T, F: Fn(f64) -> T + Copy>(key: u64, start: u64, out: &mut [T], f: F) {
    let mut s1 = counter(stream_key(key, 1), start);
    let mut s2 = counter(stream_key(key, 2), start);
    for o in out.iter_mut() {
        *o = f(standard_normal(mix(s1), mix(s2)));
        s1 = s1.wrapping_add(GAMMA);
        s2 = s2.wrapping_add(GAMMA);
    }
}

/// Fills `out[j]` with a normal `N(mean, std²)` value for global index
/// `start + j`: `mean + std * z` with `z` from Box–Muller,
/// `z = sqrt(-2 ln u1) · cos(2π u2)`, where `u1` in `(0, 1]` comes from
/// stream `stream_key(key, 1)` and `u2` in `[0, 1)` from `stream_key(key, 2)`,
/// both at the element's own index (one normal per index, so still a pure
/// function of `(key, index)`). `|z| <= 8.5`.
///
/// The logarithm and cosine are evaluated with IEEE `+ - * / sqrt` only (no
/// libm, no fused multiply-add), so the values are bit-identical on every
/// platform and SIMD level, and the loop vectorises.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_normal_f64;
///
/// let mut buf = vec![0.0; 100_000];
/// fill_normal_f64(11, 0, 5.0, 2.0, &mut buf);
/// let mean = buf.iter().sum::<f64>() / buf.len() as f64;
/// assert!((mean - 5.0).abs() < 0.05);
/// ```
pub fn fill_normal_f64(key: u64, start: u64, mean: f64, std: f64, out: &mut [f64]) {
    simd_dispatch!(normal_body(key, start, out, move |z| mean + std * z))
}

/// Fills `out[j]` with a normal `f32` for global index `start + j`: the value
/// of [`fill_normal_f64`] with the same key, `mean` and `std` (computed in
/// `f64`), rounded to `f32`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::{fill_normal_f32, fill_normal_f64};
///
/// let (mut a, mut b) = ([0.0f32; 8], [0.0f64; 8]);
/// fill_normal_f32(1, 0, 0.0, 1.0, &mut a);
/// fill_normal_f64(1, 0, 0.0, 1.0, &mut b);
/// assert!(a.iter().zip(&b).all(|(&x, &y)| x == y as f32));
/// ```
pub fn fill_normal_f32(key: u64, start: u64, mean: f32, std: f32, out: &mut [f32]) {
    let (mean, std) = (f64::from(mean), f64::from(std));
    simd_dispatch!(normal_body(key, start, out, move |z| (mean + std * z) as f32))
}

// ---------------------------------------------------------------------------
// Integers and booleans
// ---------------------------------------------------------------------------

/// `⌊a · b / 2^64⌋` from 32-bit halves, so that it vectorises (`vpmuludq`);
/// equal to `((a as u128 * b as u128) >> 64) as u64`.
#[inline(always)]
fn mul_hi(a: u64, b: u64) -> u64 {
    const LOW: u64 = u32::MAX as u64;
    let (a0, a1) = (a & LOW, a >> 32);
    let (b0, b1) = (b & LOW, b >> 32);
    let lo_lo = a0 * b0;
    let lo_hi = a0 * b1;
    let hi_lo = a1 * b0;
    let hi_hi = a1 * b1;
    let middle = (lo_lo >> 32) + (lo_hi & LOW) + (hi_lo & LOW); // < 3·2^32
    hi_hi + (lo_hi >> 32) + (hi_lo >> 32) + (middle >> 32)
}

/// `⌊a · b / 2^64⌋` for `b < 2^32` (two 32×32 multiplies).
#[inline(always)]
fn mul_hi_narrow(a: u64, b: u64) -> u64 {
    let (a0, a1) = (a & u64::from(u32::MAX), a >> 32);
    // a1·b + ⌊a0·b / 2^32⌋ < 2^64 because b < 2^32.
    (a1 * b + ((a0 * b) >> 32)) >> 32
}

/// Integer types [`fill_integers`] can produce.
///
/// This trait is sealed: it is implemented for `i8, i16, i32, i64, u8, u16,
/// u32, u64` and cannot be implemented outside this crate.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::{fill_integers, RandomInteger};
///
/// fn dice<T: RandomInteger + From<u8>>(out: &mut [T]) {
///     fill_integers(3, 0, T::from(1), T::from(7), out);
/// }
/// let mut rolls = [0u16; 50];
/// dice(&mut rolls);
/// assert!(rolls.iter().all(|r| (1..7).contains(r)));
/// ```
pub trait RandomInteger: Copy + PartialOrd + sealed::Sealed {
    /// `high - low` as an unsigned count (wrapping), i.e. the number of values
    /// in `[low, high)` when `low < high`.
    #[doc(hidden)]
    fn span(low: Self, high: Self) -> u64;
    /// `low + offset` (wrapping), for `offset < span`.
    #[doc(hidden)]
    fn offset(low: Self, offset: u64) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! impl_random_integer {
    ($($t:ty => $unsigned:ty),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl RandomInteger for $t {
            #[inline(always)]
            fn span(low: Self, high: Self) -> u64 {
                high.wrapping_sub(low) as $unsigned as u64
            }
            #[inline(always)]
            fn offset(low: Self, offset: u64) -> Self {
                low.wrapping_add(offset as $t)
            }
        }
    )*};
}
impl_random_integer!(
    i8 => u8, i16 => u16, i32 => u32, i64 => u64,
    u8 => u8, u16 => u16, u32 => u32, u64 => u64,
);

/// Fills `out[j]` with an integer in `[low, high)` for global index
/// `start + j`: `low + ⌊r · span / 2^64⌋` with `span = high - low` (Lemire's
/// multiply-shift without rejection, so the bias is at most `span / 2^64`,
/// below 2^-32 for every 32-bit or narrower type).
///
/// `high <= low` is the caller's error: it is checked by `debug_assert!`; in
/// release builds `high == low` gives `low` everywhere and `high < low` gives
/// unspecified values of type `T` (but never undefined behaviour).
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_integers;
///
/// let mut buf = [0i16; 64];
/// fill_integers(8, 0, -3i16, 4, &mut buf);
/// assert!(buf.iter().all(|v| (-3..4).contains(v)));
/// ```
pub fn fill_integers<T: RandomInteger>(key: u64, start: u64, low: T, high: T, out: &mut [T]) {
    debug_assert!(low < high, "fill_integers: empty range (high <= low)");
    let span = T::span(low, high);
    if span <= u64::from(u32::MAX) {
        let sample = move |r| T::offset(low, mul_hi_narrow(r, span));
        simd_dispatch!(fill_body(key, start, out, sample))
    } else {
        let sample = move |r| T::offset(low, mul_hi(r, span));
        simd_dispatch!(fill_body(key, start, out, sample))
    }
}

/// [`fill_integers`] for `i64`: values in `[low, high)`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_integers_i64;
///
/// let mut buf = [0i64; 100];
/// fill_integers_i64(1, 0, i64::MIN, i64::MAX, &mut buf);
/// assert!(buf.iter().all(|&v| v < i64::MAX));
/// ```
pub fn fill_integers_i64(key: u64, start: u64, low: i64, high: i64, out: &mut [i64]) {
    fill_integers(key, start, low, high, out)
}

/// [`fill_integers`] for `u64`: values in `[low, high)`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_integers_u64;
///
/// let mut buf = [0u64; 100];
/// fill_integers_u64(1, 0, 10, 20, &mut buf);
/// assert!(buf.iter().all(|v| (10..20).contains(v)));
/// ```
pub fn fill_integers_u64(key: u64, start: u64, low: u64, high: u64, out: &mut [u64]) {
    fill_integers(key, start, low, high, out)
}

/// [`fill_integers`] for `i32`: values in `[low, high)`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_integers_i32;
///
/// let mut buf = [0i32; 100];
/// fill_integers_i32(1, 0, -5, 5, &mut buf);
/// assert!(buf.iter().all(|v| (-5..5).contains(v)));
/// ```
pub fn fill_integers_i32(key: u64, start: u64, low: i32, high: i32, out: &mut [i32]) {
    fill_integers(key, start, low, high, out)
}

/// [`fill_integers`] for `u32`: values in `[low, high)`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_integers_u32;
///
/// let mut buf = [0u32; 100];
/// fill_integers_u32(1, 0, 0, u32::MAX, &mut buf);
/// assert!(buf.iter().all(|&v| v < u32::MAX));
/// ```
pub fn fill_integers_u32(key: u64, start: u64, low: u32, high: u32, out: &mut [u32]) {
    fill_integers(key, start, low, high, out)
}

/// [`fill_integers`] for `u8`: values in `[low, high)`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_integers_u8;
///
/// let mut pixels = [0u8; 256];
/// fill_integers_u8(1, 0, 0, 255, &mut pixels);
/// assert!(pixels.iter().all(|&v| v < 255));
/// ```
pub fn fill_integers_u8(key: u64, start: u64, low: u8, high: u8, out: &mut [u8]) {
    fill_integers(key, start, low, high, out)
}

/// Fills `out[j]` with `true` with probability `p_true` for global index
/// `start + j`: `u < p_true` with `u = (r >> 11) · 2^-53`. `p_true <= 0` (or
/// NaN) gives all `false`, `p_true >= 1` all `true`.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_bool;
///
/// let mut buf = vec![false; 10_000];
/// fill_bool(4, 0, 0.25, &mut buf);
/// let hits = buf.iter().filter(|&&b| b).count();
/// assert!((2_250..2_750).contains(&hits));
/// ```
pub fn fill_bool(key: u64, start: u64, p_true: f64, out: &mut [bool]) {
    // u < p  <=>  (r >> 11) < p·2^53  <=>  (r >> 11) < ceil(p·2^53); the
    // saturating cast maps NaN and negatives to 0, and p >= 1 gives >= 2^53.
    let threshold = (p_true * (1u64 << 53) as f64).ceil() as u64;
    simd_dispatch!(fill_body(key, start, out, move |r| (r >> 11) < threshold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd::{SimdLevel, with_simd_level};
    use proptest::prelude::*;
    use rand_core::{Rng, SeedableRng};
    use rand_xoshiro::SplitMix64;

    const KEYS: [u64; 6] = [
        0,
        1,
        42,
        0x9e37_79b9_7f4a_7c15,
        u64::MAX,
        1_477_776_061_723_855_037,
    ];

    fn reference_u64(key: u64, skip: u64, n: usize) -> Vec<u64> {
        let mut rng = SplitMix64::seed_from_u64(key);
        for _ in 0..skip {
            rng.next_u64();
        }
        (0..n).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn known_answers_match_rand_xoshiro_splitmix64() {
        for key in KEYS {
            for n in [0, 1, 7, 8, 9, 31, 100, 1000] {
                let mut buf = vec![0; n];
                fill_u64(key, 0, &mut buf);
                assert_eq!(buf, reference_u64(key, 0, n), "key {key} n {n}");
            }
            for start in [1u64, 5, 17, 1000, 4099] {
                let mut buf = vec![0; 77];
                fill_u64(key, start, &mut buf);
                assert_eq!(
                    buf,
                    reference_u64(key, start, 77),
                    "key {key} start {start}"
                );
            }
        }
        // The published reference vector of splitmix64.c (state 1477776061723855037).
        assert_eq!(
            u64_at(1_477_776_061_723_855_037, 0),
            1_985_237_415_132_408_290
        );
        assert_eq!(
            u64_at(1_477_776_061_723_855_037, 1),
            2_979_275_885_539_914_483
        );
    }

    #[test]
    fn stream_key_is_two_splitmix_rounds_and_distinct() {
        for seed in KEYS {
            let inner = SplitMix64::seed_from_u64(seed).next_u64();
            let outer = reference_u64(inner, 0, 10);
            for (stream, &expected) in outer.iter().enumerate() {
                assert_eq!(stream_key(seed, stream as u64), expected);
            }
            let mut keys: Vec<u64> = (0..1000).map(|s| stream_key(seed, s)).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), 1000);
        }
        assert_ne!(stream_key(1, 0), stream_key(0, 1));
    }

    #[test]
    fn unit_values_are_exact_mantissas() {
        assert_eq!(unit_f64(0), 0.0);
        assert_eq!(unit_f64(u64::MAX), 1.0 - f64::EPSILON);
        assert_eq!(unit_f64(1 << 12), f64::EPSILON);
        assert_eq!(unit_f32(0), 0.0);
        assert_eq!(unit_f32(u64::MAX), 1.0 - f32::EPSILON);
        let mut buf = [0.0; 50];
        fill_uniform_f64(9, 3, 0.0, 1.0, &mut buf);
        for (j, &x) in buf.iter().enumerate() {
            let r = u64_at(9, 3 + j as u64);
            assert_eq!(x, (r >> 12) as f64 / (1u64 << 52) as f64);
            assert_eq!(x, unit_f64_at(9, 3 + j as u64));
        }
        let mut buf = [0.0f32; 50];
        fill_uniform_f32(9, 3, 0.0, 1.0, &mut buf);
        for (j, &x) in buf.iter().enumerate() {
            let r = u64_at(9, 3 + j as u64);
            assert_eq!(x, (r >> 41) as f32 / (1u32 << 23) as f32);
        }
    }

    #[test]
    fn uniform_edge_ranges_stay_in_bounds() {
        let mut buf = vec![0.0; 4096];
        // A range one ulp wide: every value is `low`.
        let low = 1.0f64;
        fill_uniform_f64(1, 0, low, low.next_up(), &mut buf);
        assert!(buf.iter().all(|&x| x == low));
        // high - low overflows: the fallback formula is used.
        fill_uniform_f64(1, 0, -f64::MAX, f64::MAX, &mut buf);
        assert!(buf.iter().all(|&x| x.is_finite() && x < f64::MAX));
        assert!(buf.iter().any(|&x| x < 0.0) && buf.iter().any(|&x| x > 0.0));
        // Reversed bounds: values in (high, low].
        fill_uniform_f64(1, 0, 2.0, 1.0, &mut buf);
        assert!(buf.iter().all(|&x| x > 1.0 && x <= 2.0));
        // Empty range: all low.
        fill_uniform_f64(1, 0, 3.0, 3.0, &mut buf);
        assert!(buf.iter().all(|&x| x == 3.0));

        let mut buf = vec![0.0f32; 4096];
        fill_uniform_f32(1, 0, -f32::MAX, f32::MAX, &mut buf);
        assert!(buf.iter().all(|&x| x.is_finite() && x < f32::MAX));
        fill_uniform_f32(1, 0, 1.0, 1.0f32.next_up(), &mut buf);
        assert!(buf.iter().all(|&x| x == 1.0));
    }

    /// Per-element reference for the normal kernel, using libm.
    fn libm_normal(key: u64, index: u64) -> f64 {
        let r1 = u64_at(stream_key(key, 1), index);
        let r2 = u64_at(stream_key(key, 2), index);
        let u1 = ((1u64 << 52) - (r1 >> 12)) as f64 / (1u64 << 52) as f64;
        let u2 = (r2 >> 12) as f64 / (1u64 << 52) as f64;
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    #[test]
    fn ln_and_cos_match_libm() {
        let mut worst_ln = 0.0f64;
        let mut worst_cos = 0.0f64;
        for i in 0..200_000u64 {
            let r = u64_at(5, i);
            let x = 2.0 - f64::from_bits((r >> 12) | ONE_F64_BITS);
            let got = ln_unit(x);
            let want = x.ln();
            if want != 0.0 {
                worst_ln = worst_ln.max(((got - want) / want).abs());
            } else {
                assert_eq!(got, 0.0);
            }
            let k = r >> 12;
            let angle = std::f64::consts::TAU * (k as f64 / (1u64 << 52) as f64);
            worst_cos = worst_cos.max((cos_turns(k) - angle.cos()).abs());
        }
        // Extremes and quadrant boundaries.
        for x in [
            f64::EPSILON,
            0.5,
            std::f64::consts::FRAC_1_SQRT_2,
            1.0 - f64::EPSILON,
            1.0,
        ] {
            let want = x.ln();
            assert!(
                (ln_unit(x) - want).abs() <= 4.0 * f64::EPSILON * want.abs(),
                "ln {x}"
            );
        }
        for k in [
            0u64,
            1,
            (1 << 49) - 1,
            1 << 49,
            1 << 50,
            3 << 50,
            (1 << 52) - 1,
        ] {
            let angle = std::f64::consts::TAU * (k as f64 / (1u64 << 52) as f64);
            assert!((cos_turns(k) - angle.cos()).abs() < 1e-15, "cos {k}");
        }
        assert!(
            worst_ln < 4.0 * f64::EPSILON,
            "ln relative error {worst_ln:e}"
        );
        assert!(worst_cos < 1e-15, "cos absolute error {worst_cos:e}");
    }

    #[test]
    fn normal_matches_libm_box_muller() {
        let mut buf = vec![0.0; 10_000];
        fill_normal_f64(77, 1234, 0.0, 1.0, &mut buf);
        for (j, &z) in buf.iter().enumerate() {
            let want = libm_normal(77, 1234 + j as u64);
            assert!(
                (z - want).abs() <= 1e-14 * want.abs().max(1.0),
                "{j}: {z} vs {want}"
            );
        }
    }

    #[test]
    fn normal_statistics() {
        let n = 1_000_000;
        let mut buf = vec![0.0; n];
        fill_normal_f64(stream_key(DEFAULT_SEED, 0), 0, 0.0, 1.0, &mut buf);
        let mean = buf.iter().sum::<f64>() / n as f64;
        let var = buf.iter().map(|z| (z - mean) * (z - mean)).sum::<f64>() / (n - 1) as f64;
        let skew = buf.iter().map(|z| (z - mean).powi(3)).sum::<f64>() / n as f64;
        let kurt = buf.iter().map(|z| (z - mean).powi(4)).sum::<f64>() / n as f64;
        let within_one = buf.iter().filter(|z| z.abs() < 1.0).count() as f64 / n as f64;
        // Standard errors: mean 1e-3, variance 1.4e-3, skewness 2.4e-3,
        // kurtosis 4.9e-3, P(|z| < 1) 4.7e-4; allow about five of them.
        assert!(mean.abs() < 5e-3, "mean {mean}");
        assert!((var - 1.0).abs() < 7e-3, "variance {var}");
        assert!(skew.abs() < 1.2e-2, "skewness {skew}");
        assert!((kurt - 3.0).abs() < 2.5e-2 * 3.0, "kurtosis {kurt}");
        assert!(
            (within_one - 0.682_689_5).abs() < 2.5e-3,
            "P(|z|<1) {within_one}"
        );
        assert!(buf.iter().all(|z| z.abs() < 8.6));

        let mut scaled = vec![0.0f32; n];
        fill_normal_f32(3, 0, 10.0, 0.5, &mut scaled);
        let mean = scaled.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        let var = scaled
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 10.0).abs() < 5e-3 * 0.5, "mean {mean}");
        assert!((var.sqrt() - 0.5).abs() < 5e-3, "std {}", var.sqrt());
    }

    #[test]
    fn integers_in_range_and_roughly_uniform() {
        let n = 200_000;
        let mut buf = vec![0i64; n];
        fill_integers_i64(5, 0, -3, 7, &mut buf);
        let mut counts = [0usize; 10];
        for &v in &buf {
            assert!((-3..7).contains(&v));
            counts[(v + 3) as usize] += 1;
        }
        // Expected 20000 each, standard deviation ~134.
        assert!(
            counts.iter().all(|&c| c.abs_diff(n / 10) < 700),
            "{counts:?}"
        );

        fill_integers_i64(5, 0, i64::MIN, i64::MAX, &mut buf);
        assert!(buf.iter().all(|&v| v < i64::MAX));
        let negatives = buf.iter().filter(|&&v| v < 0).count();
        assert!(negatives.abs_diff(n / 2) < 1500);

        let mut buf = vec![0u64; n];
        fill_integers_u64(6, 0, 1 << 40, 3 << 40, &mut buf);
        assert!(buf.iter().all(|v| ((1 << 40)..(3 << 40)).contains(v)));
        let upper = buf.iter().filter(|&&v| v >= 2 << 40).count();
        assert!(upper.abs_diff(n / 2) < 1500);

        let mut buf = vec![0u8; n];
        fill_integers_u8(7, 0, 0, 255, &mut buf);
        assert!(buf.iter().all(|&v| v < 255));
        let mut counts = [0usize; 256];
        buf.iter().for_each(|&v| counts[v as usize] += 1);
        let expected = n / 255; // ~784, sd ~28
        assert!(
            counts[..255].iter().all(|&c| c.abs_diff(expected) < 170),
            "{counts:?}"
        );

        let mut buf = vec![0i32; n];
        fill_integers_i32(8, 0, i32::MIN, i32::MAX, &mut buf);
        assert!(buf.iter().all(|&v| v < i32::MAX));
        let mut buf = vec![0u32; n];
        fill_integers_u32(8, 0, 100, 101, &mut buf);
        assert!(buf.iter().all(|&v| v == 100));

        let mut buf = vec![0i8; 1000];
        fill_integers(9, 0, -128i8, 127, &mut buf);
        assert!(buf.iter().all(|&v| v < 127));
        assert!(buf.contains(&-128));
    }

    #[test]
    fn integers_equal_the_u128_formula() {
        let spans: [(i64, i64); 5] = [
            (0, 10),
            (-5, 1 << 33),
            (i64::MIN, i64::MAX),
            (7, 8),
            (0, u32::MAX as i64),
        ];
        for (low, high) in spans {
            let mut buf = vec![0i64; 3000];
            fill_integers_i64(12, 99, low, high, &mut buf);
            let span = high.wrapping_sub(low) as u64;
            for (j, &v) in buf.iter().enumerate() {
                let r = u64_at(12, 99 + j as u64);
                let offset = ((u128::from(r) * u128::from(span)) >> 64) as u64;
                assert_eq!(v, low.wrapping_add(offset as i64));
            }
        }
        for i in 0..10_000u64 {
            let a = u64_at(1, i);
            let b = u64_at(2, i);
            assert_eq!(mul_hi(a, b), ((u128::from(a) * u128::from(b)) >> 64) as u64);
            let b = b >> 32;
            assert_eq!(
                mul_hi_narrow(a, b),
                ((u128::from(a) * u128::from(b)) >> 64) as u64
            );
        }
        assert_eq!(mul_hi(u64::MAX, u64::MAX), u64::MAX - 1);
        assert_eq!(
            mul_hi_narrow(u64::MAX, u64::from(u32::MAX)),
            u64::from(u32::MAX) - 1
        );
    }

    #[test]
    fn bool_probabilities() {
        let mut buf = vec![false; 100_000];
        fill_bool(1, 0, 0.0, &mut buf);
        assert!(buf.iter().all(|&b| !b));
        fill_bool(1, 0, f64::NAN, &mut buf);
        assert!(buf.iter().all(|&b| !b));
        fill_bool(1, 0, 1.0, &mut buf);
        assert!(buf.iter().all(|&b| b));
        fill_bool(1, 0, 0.3, &mut buf);
        let hits = buf.iter().filter(|&&b| b).count();
        assert!(hits.abs_diff(30_000) < 800, "{hits}");
        for (j, &b) in buf.iter().enumerate().take(1000) {
            assert_eq!(b, unit_f64_at(1, j as u64) < 0.3);
        }
    }

    /// Every fill at one level, on awkward lengths and an odd start.
    fn all_fills(level: SimdLevel) -> Vec<Vec<u64>> {
        with_simd_level(level, || {
            let mut results = Vec::new();
            for n in [0usize, 1, 3, 8, 15, 16, 17, 63, 1001] {
                let start = 0xffff_ffff_ffff_fff0; // wraps around inside the fill
                let mut a = vec![0u64; n];
                fill_u64(11, start, &mut a);
                results.push(a);
                let mut b = vec![0.0f64; n];
                fill_uniform_f64(11, start, -1.5, 2.5, &mut b);
                results.push(b.iter().map(|x| x.to_bits()).collect());
                fill_uniform_f64(11, 3, 0.0, 1.0, &mut b);
                results.push(b.iter().map(|x| x.to_bits()).collect());
                fill_normal_f64(11, 3, 1.0, 2.0, &mut b);
                results.push(b.iter().map(|x| x.to_bits()).collect());
                let mut c = vec![0.0f32; n];
                fill_uniform_f32(11, 3, -1.0, 1.0, &mut c);
                results.push(c.iter().map(|x| u64::from(x.to_bits())).collect());
                fill_normal_f32(11, 3, 0.0, 1.0, &mut c);
                results.push(c.iter().map(|x| u64::from(x.to_bits())).collect());
                let mut d = vec![0i64; n];
                fill_integers_i64(11, 3, -1000, 1 << 40, &mut d);
                results.push(d.iter().map(|&x| x as u64).collect());
                fill_integers_i64(11, 3, -1000, 1000, &mut d);
                results.push(d.iter().map(|&x| x as u64).collect());
                let mut e = vec![0u8; n];
                fill_integers_u8(11, 3, 1, 200, &mut e);
                results.push(e.iter().map(|&x| u64::from(x)).collect());
                let mut f = vec![false; n];
                fill_bool(11, 3, 0.4, &mut f);
                results.push(f.iter().map(|&x| u64::from(x)).collect());
            }
            results
        })
    }

    #[test]
    fn all_dispatch_levels_are_bit_identical() {
        let scalar = all_fills(SimdLevel::Scalar);
        for level in [SimdLevel::Avx2, SimdLevel::Avx512] {
            assert!(all_fills(level) == scalar, "{level:?} differs from scalar");
        }
        // The first group (n = 0) is empty; check the scalar level itself
        // against the per-index definition on the wrapped start.
        let n1001 = &scalar[scalar.len() - 10];
        for (j, &v) in n1001.iter().enumerate() {
            assert_eq!(
                v,
                u64_at(11, 0xffff_ffff_ffff_fff0u64.wrapping_add(j as u64))
            );
        }
    }

    /// Fills `[start, start + n)` whole and as the concatenation of the pieces
    /// cut at `cuts`, with `fill`.
    fn whole_and_pieces<T: Clone + Default>(
        start: u64,
        n: usize,
        cuts: &[usize],
        fill: impl Fn(u64, &mut [T]),
    ) -> (Vec<T>, Vec<T>) {
        let mut whole = vec![T::default(); n];
        fill(start, &mut whole);
        let mut bounds: Vec<usize> = cuts.iter().map(|&c| c % (n + 1)).collect();
        bounds.push(0);
        bounds.push(n);
        bounds.sort_unstable();
        let mut pieces = Vec::with_capacity(n);
        for w in bounds.windows(2) {
            let mut piece = vec![T::default(); w[1] - w[0]];
            fill(start.wrapping_add(w[0] as u64), &mut piece);
            pieces.extend(piece);
        }
        (whole, pieces)
    }

    /// Finite floats of every magnitude, half of them within f32 range.
    fn finite_f64() -> impl Strategy<Value = f64> {
        use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
        prop_oneof![
            (POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO),
            -1e30f64..1e30,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn chunking_does_not_change_values(
            key in any::<u64>(),
            start in prop_oneof![any::<u64>(), 0u64..1000, (u64::MAX - 500)..=u64::MAX],
            n in 0usize..600,
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
            low in -1e6f64..1e6,
            width in 1e-3f64..1e6,
        ) {
            let (w, p) = whole_and_pieces(start, n, &cuts, |s, o| fill_u64(key, s, o));
            prop_assert_eq!(w, p);
            let (w, p) = whole_and_pieces(start, n, &cuts, |s, o| fill_uniform_f64(key, s, low, low + width, o));
            prop_assert_eq!(w, p);
            let (w, p) = whole_and_pieces(start, n, &cuts, |s, o| fill_uniform_f32(key, s, -1.0, 3.0, o));
            prop_assert_eq!(w, p);
            let (w, p) = whole_and_pieces(start, n, &cuts, |s, o| fill_normal_f64(key, s, low, width, o));
            prop_assert_eq!(w, p);
            let (w, p) = whole_and_pieces(start, n, &cuts, |s, o| fill_normal_f32(key, s, 0.0, 1.0, o));
            prop_assert_eq!(w, p);
            let (w, p) = whole_and_pieces(start, n, &cuts, |s, o| fill_integers_i64(key, s, -7, 1 << 50, o));
            prop_assert_eq!(w, p);
            let (w, p) = whole_and_pieces(start, n, &cuts, |s, o| fill_integers_u32(key, s, 3, 9, o));
            prop_assert_eq!(w, p);
            let (w, p) = whole_and_pieces(start, n, &cuts, |s, o| fill_bool(key, s, 0.5, o));
            prop_assert_eq!(w, p);
        }

        #[test]
        fn uniform_in_range(
            key in any::<u64>(),
            start in any::<u64>(),
            a in finite_f64(),
            b in finite_f64(),
            ulps in 1u32..50,
            narrow in any::<bool>(),
            n in 1usize..300,
        ) {
            let (low, high) = if narrow {
                (a, (0..ulps).fold(a, |x, _| x.next_up()))
            } else {
                (a.min(b), a.max(b))
            };
            prop_assume!(low < high && high.is_finite());
            let mut buf = vec![0.0; n];
            fill_uniform_f64(key, start, low, high, &mut buf);
            prop_assert!(buf.iter().all(|&x| low <= x && x < high));
            let (low, high) = if narrow {
                (a as f32, (0..ulps).fold(a as f32, |x, _| x.next_up()))
            } else {
                (a.min(b) as f32, a.max(b) as f32)
            };
            prop_assume!(low < high && low.is_finite() && high.is_finite());
            let mut buf = vec![0.0f32; n];
            fill_uniform_f32(key, start, low, high, &mut buf);
            prop_assert!(buf.iter().all(|&x| low <= x && x < high));
        }

        #[test]
        fn integers_in_range(
            key in any::<u64>(),
            start in any::<u64>(),
            a in any::<i64>(),
            b in any::<i64>(),
            c in any::<i32>(),
            d in any::<i32>(),
        ) {
            prop_assume!(a != b && c != d);
            let (low, high) = (a.min(b), a.max(b));
            let mut buf = vec![0i64; 64];
            fill_integers_i64(key, start, low, high, &mut buf);
            prop_assert!(buf.iter().all(|v| (low..high).contains(v)));
            let (low, high) = (c.min(d), c.max(d));
            let mut buf = vec![0i32; 64];
            fill_integers_i32(key, start, low, high, &mut buf);
            prop_assert!(buf.iter().all(|v| (low..high).contains(v)));
            let (low, high) = (c.min(d) as u32, c.max(d) as u32);
            if low < high {
                let mut buf = vec![0u32; 64];
                fill_integers_u32(key, start, low, high, &mut buf);
                prop_assert!(buf.iter().all(|v| (low..high).contains(v)));
            }
        }
    }
}
