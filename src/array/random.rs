//! Random arrays whose values do not depend on the chunking: `spillway::random`.
//!
//! # The scheme
//!
//! A [`Generator`] has a seed and counts the arrays it has made; array number `k` gets the
//! key `stream_key(seed, k)`. The element with global row-major index `i` of that array is
//! made from the `i`-th output of rand_xoshiro's `SplitMix64` started at the key. Because
//! SplitMix64's state after `i` steps is `key + i·γ`, that output is computed directly
//! from `(key, i)` (see [`crate::kernels::random`]), so the values are bit-identical
//! whatever the chunks, the tile size, the thread count, the worker count or the number of
//! MPI ranks: only the seed, the order in which arrays are made and the shape matter.
//!
//! The module-level functions use a process-wide generator seeded with
//! [`DEFAULT_SEED`] (42); [`seed`] resets it, and [`default_rng`] makes an independent one.
//!
//! ```
//! use spillway::random;
//! let a = random::default_rng(7).random([10, 10], 3).compute().unwrap();
//! let b = random::default_rng(7).random([10, 10], [10, 1]).compute().unwrap();
//! assert_eq!(a, b); // same seed, other chunks: the same bits
//! ```

use super::Array;
use super::ArrayError;
use super::chunks::ChunkSpec;
use super::creation::{FlatSource, IntoShape, source_array};
use crate::kernels::random as kernel;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::kernels::random::DEFAULT_SEED;

/// A seeded source of random arrays (NumPy's `Generator`, Dask's `RandomState`).
///
/// ```
/// let rng = spillway::random::default_rng(1234);
/// let x = rng.uniform(-1.0, 1.0, [1000], 100).compute().unwrap();
/// assert!(x.iter().all(|&v| (-1.0..1.0).contains(&v)));
/// ```
#[derive(Debug)]
pub struct Generator {
    seed: u64,
    next_stream: AtomicU64,
}

/// A generator seeded with `seed`.
///
/// ```
/// let rng = spillway::random::default_rng(5);
/// assert_eq!(rng.seed(), 5);
/// ```
pub fn default_rng(seed: u64) -> Generator {
    Generator::new(seed)
}

impl Generator {
    /// A generator seeded with `seed`; its first array uses stream 0.
    ///
    /// ```
    /// let rng = spillway::random::Generator::new(3);
    /// assert_eq!(rng.random(4, 2).compute().unwrap(), spillway::random::default_rng(3).random(4, 4).compute().unwrap());
    /// ```
    pub fn new(seed: u64) -> Self {
        Generator {
            seed,
            next_stream: AtomicU64::new(0),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn next_key(&self) -> u64 {
        kernel::stream_key(self.seed, self.next_stream.fetch_add(1, Ordering::Relaxed))
    }

    /// Uniform float64 values in `[0, 1)`, as `da.random.random`.
    ///
    /// ```
    /// let x = spillway::random::default_rng(0).random(20, 5);
    /// assert_eq!(x.numblocks(), vec![4]);
    /// ```
    pub fn random(&self, shape: impl IntoShape, chunks: impl Into<ChunkSpec>) -> Array<f64> {
        self.uniform_named("random", 0.0, 1.0, shape, chunks)
    }

    /// Uniform float64 values in `[low, high)`, as `da.random.uniform`.
    ///
    /// ```
    /// let xy = spillway::random::default_rng(0).uniform(0.0, 1.0, (625000, 2), 31250);
    /// assert_eq!(xy.to_string(), "spillway.Array<uniform, shape=(625000, 2), dtype=float64, chunksize=(31250, 2)>");
    /// ```
    pub fn uniform(
        &self,
        low: f64,
        high: f64,
        shape: impl IntoShape,
        chunks: impl Into<ChunkSpec>,
    ) -> Array<f64> {
        self.uniform_named("uniform", low, high, shape, chunks)
    }

    fn uniform_named(
        &self,
        label: &str,
        low: f64,
        high: f64,
        shape: impl IntoShape,
        chunks: impl Into<ChunkSpec>,
    ) -> Array<f64> {
        if !(low.is_finite() && high.is_finite() && low <= high) {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "uniform",
                message: format!("bounds low={low} high={high} must be finite with low <= high"),
            });
        }
        let key = self.next_key();
        source_array(
            label,
            shape.into_shape(),
            chunks.into(),
            Uniform { key, low, high },
        )
    }

    /// Normal (Gaussian) float64 values, as `da.random.normal(loc, scale, size, chunks)`.
    ///
    /// ```
    /// let x = spillway::random::default_rng(0).normal(10.0, 2.0, 100_000, 10_000);
    /// let mean = x.mean().compute_scalar().unwrap();
    /// assert!((mean - 10.0).abs() < 0.05);
    /// ```
    pub fn normal(
        &self,
        loc: f64,
        scale: f64,
        shape: impl IntoShape,
        chunks: impl Into<ChunkSpec>,
    ) -> Array<f64> {
        if !(loc.is_finite() && scale.is_finite() && scale >= 0.0) {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "normal",
                message: format!("loc={loc} must be finite and scale={scale} finite and >= 0"),
            });
        }
        let key = self.next_key();
        source_array(
            "normal",
            shape.into_shape(),
            chunks.into(),
            Normal { key, loc, scale },
        )
    }

    /// Uniform int64 values in `[low, high)`, as NumPy's `Generator.integers`.
    ///
    /// ```
    /// let x = spillway::random::default_rng(0).integers(1, 7, 1000, 100).compute().unwrap();
    /// assert!(x.iter().all(|&v| (1..7).contains(&v)));
    /// ```
    pub fn integers(
        &self,
        low: i64,
        high: i64,
        shape: impl IntoShape,
        chunks: impl Into<ChunkSpec>,
    ) -> Array<i64> {
        if high <= low {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "integers",
                message: format!("low={low} must be less than high={high}"),
            });
        }
        let key = self.next_key();
        source_array(
            "integers",
            shape.into_shape(),
            chunks.into(),
            Integers { key, low, high },
        )
    }
}

#[derive(Clone)]
struct Uniform {
    key: u64,
    low: f64,
    high: f64,
}

impl FlatSource<f64> for Uniform {
    fn fill(&self, start: usize, out: &mut [f64]) {
        kernel::fill_uniform_f64(self.key, start as u64, self.low, self.high, out);
    }
}

#[derive(Clone)]
struct Normal {
    key: u64,
    loc: f64,
    scale: f64,
}

impl FlatSource<f64> for Normal {
    fn fill(&self, start: usize, out: &mut [f64]) {
        kernel::fill_normal_f64(self.key, start as u64, self.loc, self.scale, out);
    }
}

#[derive(Clone)]
struct Integers {
    key: u64,
    low: i64,
    high: i64,
}

impl FlatSource<i64> for Integers {
    fn fill(&self, start: usize, out: &mut [i64]) {
        kernel::fill_integers_i64(self.key, start as u64, self.low, self.high, out);
    }
}

static GLOBAL: Mutex<Option<Generator>> = Mutex::new(None);

fn with_global<R>(f: impl FnOnce(&Generator) -> R) -> R {
    let mut guard = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let generator = guard.get_or_insert_with(|| Generator::new(DEFAULT_SEED));
    f(generator)
}

/// Reseeds the process-wide generator behind the module-level functions
/// (NumPy's `np.random.seed`).
///
/// ```
/// spillway::random::seed(9);
/// let a = spillway::random::random(5, 5).compute().unwrap();
/// spillway::random::seed(9);
/// let b = spillway::random::random(5, 2).compute().unwrap();
/// assert_eq!(a, b);
/// ```
pub fn seed(seed: u64) {
    *GLOBAL.lock().unwrap_or_else(|e| e.into_inner()) = Some(Generator::new(seed));
}

/// Uniform values in `[0, 1)` from the process-wide generator, as `da.random.random`.
///
/// ```
/// let x = spillway::random::random(20, 5);
/// let total = x.sum().compute_scalar().unwrap();
/// assert!((0.0..20.0).contains(&total));
/// ```
pub fn random(shape: impl IntoShape, chunks: impl Into<ChunkSpec>) -> Array<f64> {
    with_global(|g| g.random(shape, chunks))
}

/// Uniform values in `[low, high)` from the process-wide generator, as `da.random.uniform`.
///
/// ```
/// let xy = spillway::random::uniform(0.0, 1.0, (1000, 2), 100);
/// assert_eq!(xy.shape(), &[1000, 2]);
/// ```
pub fn uniform(
    low: f64,
    high: f64,
    shape: impl IntoShape,
    chunks: impl Into<ChunkSpec>,
) -> Array<f64> {
    with_global(|g| g.uniform(low, high, shape, chunks))
}

/// Normal values from the process-wide generator, as `da.random.normal`.
///
/// ```
/// let x = spillway::random::normal(0.0, 1.0, 1000, 100);
/// assert_eq!(x.dtype(), spillway::DType::Float64);
/// ```
pub fn normal(
    loc: f64,
    scale: f64,
    shape: impl IntoShape,
    chunks: impl Into<ChunkSpec>,
) -> Array<f64> {
    with_global(|g| g.normal(loc, scale, shape, chunks))
}

/// Integers in `[low, high)` from the process-wide generator.
///
/// ```
/// let x = spillway::random::integers(0, 10, 100, 10);
/// assert_eq!(x.dtype(), spillway::DType::Int64);
/// ```
pub fn integers(
    low: i64,
    high: i64,
    shape: impl IntoShape,
    chunks: impl Into<ChunkSpec>,
) -> Array<i64> {
    with_global(|g| g.integers(low, high, shape, chunks))
}
