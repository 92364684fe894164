//! Runtime SIMD dispatch without a global `-C target-cpu=native`.
//!
//! The crate is compiled for the baseline target (x86-64 = SSE2), so hot loops
//! would normally be vectorised with 128-bit SSE2 only. Instead, every hot
//! kernel is written once as a generic `#[inline(always)]` *body function* and
//! called through the crate-internal `simd_dispatch!` macro, which picks one
//! of three wrappers at run time:
//!
//! | level                 | wrapper attributes                                            |
//! |-----------------------|---------------------------------------------------------------|
//! | [`SimdLevel::Avx512`] | `#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]` |
//! | [`SimdLevel::Avx2`]   | `#[target_feature(enable = "avx2,fma")]`                       |
//! | [`SimdLevel::Scalar`] | none (baseline target features)                               |
//!
//! Each wrapper is a generic function `fn(f: F) -> R where F: FnOnce() -> R`
//! that just calls `f()`. The macro builds `f` as a closure around the body
//! call (`|| body(a, b, c)`), a distinct closure for each wrapper, so each
//! wrapper is monomorphised for that very call and is the closure's only
//! caller; LLVM inlines the closure, hence the `#[inline(always)]` body and
//! any closure *arguments* of the body (`F: Fn(T) -> U + Copy`), into the
//! wrapper, and the loop is vectorised with the wrapper's target features
//! (zmm registers and `vpmullq` under AVX-512). Inlining code compiled for
//! fewer features into a function with more features is always allowed, and
//! the generics never have to be spelled out, which is what makes the pattern
//! work for kernels that take closures.
//!
//! The level is detected once with `is_x86_feature_detected!` and cached in a
//! static atomic. It can be *lowered* (never raised) in two ways:
//!
//! * the environment variable `SPILLWAY_SIMD=scalar|avx2|avx512`, read once
//!   when the level is first needed (for whole-process tests and benches);
//! * [`with_simd_level`], which caps the level for the current thread while a
//!   closure runs (for tests and benches that compare levels in one process).
//!
//! On targets other than x86-64 the level is always [`SimdLevel::Scalar`] and
//! only the plain wrapper exists.
//!
//! Every kernel must give bit-identical results at every level: bodies use only
//! exactly rounded operations (integer arithmetic, IEEE `+ - * / sqrt`, no
//! fused multiply-add, which Rust never introduces on its own), so the
//! vector width cannot change a result.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

/// The instruction-set level a kernel runs with, ordered from least to most
/// capable, so that `a.min(b)` is the level both allow.
///
/// # Example
///
/// ```
/// use spillway::kernels::simd::{simd_level, SimdLevel};
///
/// assert!(SimdLevel::Scalar < SimdLevel::Avx2 && SimdLevel::Avx2 < SimdLevel::Avx512);
/// // Whatever this machine supports, it is at least the scalar baseline.
/// assert!(simd_level() >= SimdLevel::Scalar);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// Baseline target features only (SSE2 on x86-64); the only level elsewhere.
    Scalar,
    /// AVX2 and FMA (256-bit vectors). FMA is enabled for the wrapper, but
    /// kernels do not contract `a * b + c`, so results equal the other levels.
    Avx2,
    /// AVX-512 F, DQ, VL and BW (512-bit vectors, 64-bit lane multiplies).
    Avx512,
}

impl SimdLevel {
    /// All levels, from least to most capable.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::kernels::simd::SimdLevel;
    ///
    /// assert_eq!(SimdLevel::ALL.len(), 3);
    /// assert_eq!(SimdLevel::ALL[0], SimdLevel::Scalar);
    /// ```
    pub const ALL: [SimdLevel; 3] = [SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512];

    /// Lower-case name, as accepted by `SPILLWAY_SIMD` and by [`SimdLevel::parse`].
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::kernels::simd::SimdLevel;
    ///
    /// assert_eq!(SimdLevel::Avx512.name(), "avx512");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Scalar => "scalar",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// Parses a level name (`scalar`, `avx2`, `avx512`; case and surrounding
    /// white space ignored). Returns `None` for anything else.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::kernels::simd::SimdLevel;
    ///
    /// assert_eq!(SimdLevel::parse(" AVX2 "), Some(SimdLevel::Avx2));
    /// assert_eq!(SimdLevel::parse("sse9"), None);
    /// ```
    pub fn parse(name: &str) -> Option<SimdLevel> {
        let name = name.trim();
        SimdLevel::ALL
            .into_iter()
            .find(|level| level.name().eq_ignore_ascii_case(name))
    }

    fn from_u8(value: u8) -> SimdLevel {
        match value {
            0 => SimdLevel::Scalar,
            1 => SimdLevel::Avx2,
            _ => SimdLevel::Avx512,
        }
    }
}

const UNKNOWN: u8 = u8::MAX;

/// Hardware level, detected once.
static HARDWARE: AtomicU8 = AtomicU8::new(UNKNOWN);
/// Hardware level lowered by `SPILLWAY_SIMD`, computed once.
static PROCESS: AtomicU8 = AtomicU8::new(UNKNOWN);

thread_local! {
    /// Per-thread cap installed by [`with_simd_level`].
    static THREAD_CAP: Cell<SimdLevel> = const { Cell::new(SimdLevel::Avx512) };
}

#[cfg(target_arch = "x86_64")]
fn detect_hardware() -> SimdLevel {
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512bw")
    {
        SimdLevel::Avx512
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        SimdLevel::Avx2
    } else {
        SimdLevel::Scalar
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_hardware() -> SimdLevel {
    SimdLevel::Scalar
}

/// The most capable level this CPU supports, ignoring `SPILLWAY_SIMD` and
/// [`with_simd_level`]. Detected on first use and cached.
///
/// # Example
///
/// ```
/// use spillway::kernels::simd::{hardware_simd_level, simd_level};
///
/// assert!(simd_level() <= hardware_simd_level());
/// ```
pub fn hardware_simd_level() -> SimdLevel {
    match HARDWARE.load(Ordering::Relaxed) {
        UNKNOWN => {
            let level = detect_hardware();
            HARDWARE.store(level as u8, Ordering::Relaxed);
            level
        }
        value => SimdLevel::from_u8(value),
    }
}

#[cold]
fn init_process_level() -> SimdLevel {
    let hardware = hardware_simd_level();
    let level = level_from_env(std::env::var("SPILLWAY_SIMD").ok().as_deref(), hardware);
    PROCESS.store(level as u8, Ordering::Relaxed);
    level
}

/// The process level for a `SPILLWAY_SIMD` value. Only lowering is honoured:
/// asking for more than the CPU has would be unsound, so the request is
/// capped at the hardware level; unknown values are ignored.
fn level_from_env(value: Option<&str>, hardware: SimdLevel) -> SimdLevel {
    value
        .and_then(SimdLevel::parse)
        .map_or(hardware, |wanted| wanted.min(hardware))
}

/// The level kernels run with on this thread: the hardware level, lowered by
/// `SPILLWAY_SIMD` (read once per process) and by any enclosing
/// [`with_simd_level`] on this thread.
///
/// Detection runs once; afterwards this is one relaxed atomic load and one
/// thread-local read.
///
/// # Example
///
/// ```
/// use spillway::kernels::simd::{simd_level, with_simd_level, SimdLevel};
///
/// let level = simd_level();
/// with_simd_level(SimdLevel::Scalar, || assert_eq!(simd_level(), SimdLevel::Scalar));
/// assert_eq!(simd_level(), level);
/// ```
#[inline]
pub fn simd_level() -> SimdLevel {
    let process = match PROCESS.load(Ordering::Relaxed) {
        UNKNOWN => init_process_level(),
        value => SimdLevel::from_u8(value),
    };
    process.min(THREAD_CAP.with(Cell::get))
}

/// Runs `f` with [`simd_level`] capped at `level` on the current thread, then
/// restores the previous cap (also when `f` panics). Caps nest, and a cap
/// above the hardware or `SPILLWAY_SIMD` level has no effect. Work that `f`
/// hands to other threads is not capped.
///
/// # Example
///
/// ```
/// use spillway::kernels::random::fill_u64;
/// use spillway::kernels::simd::{with_simd_level, SimdLevel};
///
/// let mut fast = [0u64; 100];
/// let mut slow = [0u64; 100];
/// fill_u64(7, 0, &mut fast);
/// with_simd_level(SimdLevel::Scalar, || fill_u64(7, 0, &mut slow));
/// assert_eq!(fast, slow); // every level gives the same bits
/// ```
pub fn with_simd_level<R>(level: SimdLevel, f: impl FnOnce() -> R) -> R {
    struct Restore(SimdLevel);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREAD_CAP.with(|cap| cap.set(self.0));
        }
    }
    let previous = THREAD_CAP.with(|cap| cap.replace(level.min(cap.get())));
    let _restore = Restore(previous);
    f()
}

/// `level` capped at [`hardware_simd_level`]: the level `simd_dispatch!`
/// actually runs, so any requested level is safe.
///
/// # Example
///
/// ```
/// use spillway::kernels::simd::{effective_level, hardware_simd_level, SimdLevel};
///
/// assert_eq!(effective_level(SimdLevel::Avx512), hardware_simd_level());
/// assert_eq!(effective_level(SimdLevel::Scalar), SimdLevel::Scalar);
/// ```
#[inline]
pub fn effective_level(level: SimdLevel) -> SimdLevel {
    level.min(hardware_simd_level())
}

/// AVX-512 wrapper: the closure, and everything inlined into it, is compiled
/// with these features.
///
/// # Safety
///
/// The CPU must support avx512f, avx512dq, avx512vl and avx512bw
/// (`effective_level(..) == SimdLevel::Avx512`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
pub(crate) unsafe fn run_avx512<R, F: FnOnce() -> R>(f: F) -> R {
    f()
}

/// AVX2 + FMA wrapper.
///
/// # Safety
///
/// The CPU must support avx2 and fma (`effective_level(..) >= SimdLevel::Avx2`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn run_avx2<R, F: FnOnce() -> R>(f: F) -> R {
    f()
}

/// Baseline wrapper. `#[inline(never)]` keeps the three variants alike (one
/// out-of-line, monomorphised function per kernel and level).
#[inline(never)]
pub(crate) fn run_scalar<R, F: FnOnce() -> R>(f: F) -> R {
    f()
}

/// Calls an `#[inline(always)]` kernel body through the target-feature
/// wrapper for the current [`simd_level`] (or an explicit level).
///
/// ```text
/// simd_dispatch!(body(arg1, arg2, ...))
/// simd_dispatch!(path::to::body::<T, U>(arg1, arg2, ...))
/// simd_dispatch!(level = some_level; body(arg1, arg2, ...))
/// ```
///
/// expands to a `match` on `effective_level(level)` whose arms are
///
/// ```text
/// unsafe { run_avx512(|| body(arg1, arg2, ...)) }   // x86-64 only
/// unsafe { run_avx2(|| body(arg1, arg2, ...)) }     // x86-64 only
/// run_scalar(|| body(arg1, arg2, ...))
/// ```
///
/// The body is an ordinary generic function; its type parameters, closures
/// included, are inferred as for a direct call:
///
/// ```text
/// #[inline(always)]
/// fn map_body<T: Copy, U, F: Fn(T) -> U + Copy>(input: &[T], out: &mut [U], f: F) {
///     for (o, &x) in out.iter_mut().zip(input) {
///         *o = f(x);
///     }
/// }
///
/// pub fn map<T: Copy, U, F: Fn(T) -> U + Copy>(input: &[T], out: &mut [U], f: F) {
///     simd_dispatch!(map_body(input, out, f))
/// }
/// ```
///
/// Why one closure *per arm*: each closure then has exactly one caller, its
/// wrapper, and LLVM inlines a local function with a single call site even
/// when it is large (a body with an unrolled polynomial, say). A single
/// closure shared by the three wrappers would have three callers and, past
/// the inliner's size threshold, stay an out-of-line call compiled for the
/// baseline CPU: correct, but not vectorised with the wrapper's features.
///
/// Rules for bodies: `#[inline(always)]`, not themselves `#[target_feature]`,
/// closure arguments small and `Copy`. The argument expressions are evaluated
/// once, inside the chosen arm.
macro_rules! simd_dispatch {
    // Internal: splits `path::to::body::<G>(args)` into the callee tokens and
    // the parenthesised argument list (the last token tree).
    (@split [$level:expr] [$($callee:tt)*] ($($arg:tt)*)) => {
        match $crate::kernels::simd::effective_level($level) {
            #[cfg(target_arch = "x86_64")]
            $crate::kernels::simd::SimdLevel::Avx512 => {
                // SAFETY: `effective_level` never exceeds the detected
                // hardware level, so avx512f/dq/vl/bw are available.
                unsafe { $crate::kernels::simd::run_avx512(|| $($callee)* ($($arg)*)) }
            }
            #[cfg(target_arch = "x86_64")]
            $crate::kernels::simd::SimdLevel::Avx2 => {
                // SAFETY: as above, avx2 and fma are available.
                unsafe { $crate::kernels::simd::run_avx2(|| $($callee)* ($($arg)*)) }
            }
            _ => $crate::kernels::simd::run_scalar(|| $($callee)* ($($arg)*)),
        }
    };
    (@split [$level:expr] [$($callee:tt)*] $next:tt $($rest:tt)+) => {
        $crate::kernels::simd::simd_dispatch!(@split [$level] [$($callee)* $next] $($rest)+)
    };
    (level = $level:expr; $($call:tt)+) => {
        $crate::kernels::simd::simd_dispatch!(@split [$level] [] $($call)+)
    };
    ($($call:tt)+) => {
        $crate::kernels::simd::simd_dispatch!(
            @split [$crate::kernels::simd::simd_level()] [] $($call)+
        )
    };
}
pub(crate) use simd_dispatch;

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(always)]
    fn affine_body<F: Fn(f64) -> f64 + Copy>(input: &[f64], out: &mut [f64], f: F) -> usize {
        for (o, &x) in out.iter_mut().zip(input) {
            *o = f(x);
        }
        out.len()
    }

    #[inline(always)]
    fn generic_sum<T: Copy + Into<u64>>(data: &[T]) -> u64 {
        data.iter().map(|&x| x.into()).sum()
    }

    #[test]
    fn levels_are_ordered_and_named() {
        for level in SimdLevel::ALL {
            assert_eq!(SimdLevel::parse(level.name()), Some(level));
            assert_eq!(SimdLevel::from_u8(level as u8), level);
        }
        assert_eq!(SimdLevel::parse("AVX512"), Some(SimdLevel::Avx512));
        assert_eq!(SimdLevel::parse(""), None);
        assert_eq!(SimdLevel::parse("native"), None);
    }

    #[test]
    fn env_override_only_lowers() {
        use SimdLevel::*;
        assert_eq!(level_from_env(None, Avx512), Avx512);
        assert_eq!(level_from_env(Some("avx2"), Avx512), Avx2);
        assert_eq!(level_from_env(Some("Scalar"), Avx2), Scalar);
        assert_eq!(level_from_env(Some("avx512"), Avx2), Avx2);
        assert_eq!(level_from_env(Some("avx512"), Scalar), Scalar);
        assert_eq!(level_from_env(Some("bogus"), Avx2), Avx2);
        assert_eq!(level_from_env(Some(""), Avx512), Avx512);
    }

    #[test]
    fn simd_level_never_exceeds_hardware() {
        assert!(simd_level() <= hardware_simd_level());
        #[cfg(not(target_arch = "x86_64"))]
        assert_eq!(hardware_simd_level(), SimdLevel::Scalar);
    }

    #[test]
    fn with_simd_level_caps_nests_and_restores() {
        let outer = simd_level();
        with_simd_level(SimdLevel::Avx2, || {
            assert!(simd_level() <= SimdLevel::Avx2);
            with_simd_level(SimdLevel::Scalar, || {
                assert_eq!(simd_level(), SimdLevel::Scalar)
            });
            // Raising inside a cap does not lift the outer cap.
            with_simd_level(SimdLevel::Avx512, || {
                assert!(simd_level() <= SimdLevel::Avx2)
            });
            assert!(simd_level() <= SimdLevel::Avx2);
        });
        assert_eq!(simd_level(), outer);

        let caught = std::panic::catch_unwind(|| {
            with_simd_level(SimdLevel::Scalar, || panic!("boom"));
        });
        assert!(caught.is_err());
        assert_eq!(simd_level(), outer);
    }

    #[test]
    fn macro_forms_agree_at_every_level() {
        let input: Vec<f64> = (0..1003).map(|i| i as f64 * 0.25).collect();
        let mut expected = vec![0.0; input.len()];
        for (o, &x) in expected.iter_mut().zip(&input) {
            *o = x * 1.5 - 2.0;
        }
        let (a, b) = (1.5, 2.0);
        for level in SimdLevel::ALL {
            let mut out = vec![0.0; input.len()];
            let n =
                simd_dispatch!(level = level; affine_body(&input, &mut out, move |x| x * a - b));
            assert_eq!(n, input.len());
            assert_eq!(out, expected);
            let total = simd_dispatch!(level = level; generic_sum::<u32>(&[1u32, 2, 3]));
            assert_eq!(total, 6);
        }
        let mut out = vec![0.0; input.len()];
        simd_dispatch!(affine_body(&input, &mut out, move |x| x * a - b));
        assert_eq!(out, expected);
        assert_eq!(simd_dispatch!(self::generic_sum(&[4u8, 5])), 9);
        assert_eq!(
            simd_dispatch!(level = SimdLevel::Scalar; generic_sum(&[4u8, 5])),
            9
        );
    }
}
