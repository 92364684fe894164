//! Chunk layouts: how an array's index space is cut into blocks, under Dask's rules.

use super::ArrayError;
pub use crate::graph::chunks::{Chunks, python_tuple};
use crate::util::size::parse_bytes;

/// The most chunks one axis may be cut into (each costs a word of metadata).
pub const MAX_BLOCKS_PER_AXIS: usize = 1 << 28;

/// The default byte target of `"auto"` chunks (Dask's `array.chunk-size`).
pub const AUTO_CHUNK_BYTES: u64 = 128 * 1024 * 1024;

/// How the user asks for chunks, in any of Dask's forms.
///
/// ```
/// use spillway::ChunkSpec;
/// let _one_size: ChunkSpec = 5.into();                    // 5 on every axis
/// let _per_axis: ChunkSpec = [10, 5].into();               // 10 on axis 0, 5 on axis 1
/// let _explicit: ChunkSpec = vec![vec![5, 5, 5, 2]].into(); // exact sizes per axis
/// let _bytes: ChunkSpec = "128MiB".into();                 // a byte target
/// let _auto: ChunkSpec = "auto".into();                    // 128 MiB target
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkSpec {
    /// One chunk length for every axis (the last chunk of an axis may be shorter).
    Uniform(usize),
    /// One chunk length per axis.
    PerAxis(Vec<usize>),
    /// Exact chunk lengths per axis; each axis's lengths must sum to its extent.
    Explicit(Vec<Vec<usize>>),
    /// A byte target such as `"128MiB"`, or `"auto"`, turned into near-cubic chunks.
    Bytes(String),
    /// A negative chunk size other than -1 (an error when used).
    Negative(i64),
}

impl From<usize> for ChunkSpec {
    fn from(n: usize) -> Self {
        ChunkSpec::Uniform(n)
    }
}
impl From<i32> for ChunkSpec {
    /// `-1` means one chunk along every axis (Dask's `chunks=-1`).
    fn from(n: i32) -> Self {
        match n {
            -1 => ChunkSpec::Uniform(usize::MAX),
            n if n < 0 => ChunkSpec::Negative(n as i64),
            n => ChunkSpec::Uniform(n as usize),
        }
    }
}
impl From<i64> for ChunkSpec {
    /// `-1` means one chunk along every axis (Dask's `chunks=-1`).
    fn from(n: i64) -> Self {
        match n {
            -1 => ChunkSpec::Uniform(usize::MAX),
            n if n < 0 => ChunkSpec::Negative(n),
            n => ChunkSpec::Uniform(n as usize),
        }
    }
}
impl<const N: usize> From<[usize; N]> for ChunkSpec {
    fn from(n: [usize; N]) -> Self {
        ChunkSpec::PerAxis(n.to_vec())
    }
}
impl From<(usize, usize)> for ChunkSpec {
    fn from((a, b): (usize, usize)) -> Self {
        ChunkSpec::PerAxis(vec![a, b])
    }
}
impl From<(usize, usize, usize)> for ChunkSpec {
    fn from((a, b, c): (usize, usize, usize)) -> Self {
        ChunkSpec::PerAxis(vec![a, b, c])
    }
}
impl From<Vec<usize>> for ChunkSpec {
    fn from(n: Vec<usize>) -> Self {
        ChunkSpec::PerAxis(n)
    }
}
impl From<&[usize]> for ChunkSpec {
    fn from(n: &[usize]) -> Self {
        ChunkSpec::PerAxis(n.to_vec())
    }
}
impl From<Vec<Vec<usize>>> for ChunkSpec {
    fn from(n: Vec<Vec<usize>>) -> Self {
        ChunkSpec::Explicit(n)
    }
}
impl From<&str> for ChunkSpec {
    fn from(s: &str) -> Self {
        ChunkSpec::Bytes(s.to_string())
    }
}
impl From<&Chunks> for ChunkSpec {
    fn from(c: &Chunks) -> Self {
        ChunkSpec::Explicit(c.0.clone())
    }
}

/// Lengths `size, size, ..., rest` that cut `extent` (one empty chunk for extent 0, as Dask).
fn regular(extent: usize, size: usize) -> Vec<usize> {
    if extent == 0 {
        return vec![0];
    }
    let mut out = vec![size; extent / size];
    if !extent.is_multiple_of(size) {
        out.push(extent % size);
    }
    out
}

/// Turns a [`ChunkSpec`] into explicit chunks for `shape`, checking every length.
pub fn normalize_chunks(
    spec: &ChunkSpec,
    shape: &[usize],
    itemsize: usize,
) -> Result<Chunks, ArrayError> {
    let per_axis: Vec<usize> = match spec {
        ChunkSpec::Uniform(n) => vec![*n; shape.len()],
        ChunkSpec::PerAxis(v) => {
            if v.len() != shape.len() {
                return Err(ArrayError::ChunkRank {
                    chunks: format!("{v:?}"),
                    got: v.len(),
                    ndim: shape.len(),
                });
            }
            v.clone()
        }
        ChunkSpec::Explicit(v) => {
            if v.len() != shape.len() {
                return Err(ArrayError::ChunkRank {
                    chunks: format!("{v:?}"),
                    got: v.len(),
                    ndim: shape.len(),
                });
            }
            for (axis, (lens, &extent)) in v.iter().zip(shape).enumerate() {
                let total: usize = lens.iter().sum();
                let has_zero = lens.contains(&0) && extent != 0;
                if total != extent || lens.is_empty() || has_zero {
                    return Err(ArrayError::ChunksDoNotCover {
                        axis,
                        chunks: lens.clone(),
                        extent,
                    });
                }
            }
            return Ok(Chunks(v.clone()));
        }
        ChunkSpec::Bytes(text) => auto_chunk_lengths(text, shape, itemsize)?,
        ChunkSpec::Negative(n) => return Err(ArrayError::NegativeChunk { size: *n }),
    };
    let mut out = Vec::with_capacity(shape.len());
    for (axis, (&size, &extent)) in per_axis.iter().zip(shape).enumerate() {
        if size == 0 {
            return Err(ArrayError::ZeroChunk { axis });
        }
        let size = size.min(extent.max(1));
        let blocks = extent.div_ceil(size);
        if blocks > MAX_BLOCKS_PER_AXIS {
            return Err(ArrayError::TooManyChunks {
                axis,
                blocks,
                max: MAX_BLOCKS_PER_AXIS,
                extent,
            });
        }
        out.push(regular(extent, size));
    }
    Ok(Chunks(out))
}

/// Near-cubic chunk lengths whose bytes come close to the target named by `text`.
fn auto_chunk_lengths(
    text: &str,
    shape: &[usize],
    itemsize: usize,
) -> Result<Vec<usize>, ArrayError> {
    let target = if text.trim().eq_ignore_ascii_case("auto") {
        AUTO_CHUNK_BYTES
    } else {
        parse_bytes(text).map_err(|e| ArrayError::BadChunkBytes {
            text: text.to_string(),
            reason: e.to_string(),
        })?
    };
    let target_elems = (target / itemsize.max(1) as u64).max(1) as f64;
    let mut lens: Vec<usize> = shape.to_vec();
    let mut free: Vec<usize> = (0..shape.len()).filter(|&a| shape[a] > 1).collect();
    // axes shorter than the cubic edge are kept whole; the rest share what is left
    loop {
        let fixed: f64 = (0..shape.len())
            .filter(|a| !free.contains(a))
            .map(|a| shape[a].max(1) as f64)
            .product();
        if free.is_empty() {
            break;
        }
        let edge = (target_elems / fixed).powf(1.0 / free.len() as f64);
        let short: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&a| (shape[a] as f64) <= edge)
            .collect();
        if short.is_empty() {
            for &a in &free {
                lens[a] = (edge.floor() as usize).clamp(1, shape[a]);
            }
            break;
        }
        free.retain(|a| !short.contains(a));
    }
    Ok(lens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_chunks_leave_a_short_last_chunk() {
        let c = normalize_chunks(&5.into(), &[17], 8).unwrap();
        assert_eq!(c.0, vec![vec![5, 5, 5, 2]]);
        assert_eq!(c.to_string(), "((5, 5, 5, 2),)");
        let c = normalize_chunks(&[10, 5].into(), &[15, 15], 8).unwrap();
        assert_eq!(c.to_string(), "((10, 5), (5, 5, 5))");
        assert_eq!(c.numblocks(), vec![2, 3]);
        assert_eq!(c.chunksize(), vec![10, 5]);
    }

    #[test]
    fn chunk_larger_than_extent_is_clamped() {
        let c = normalize_chunks(&100.into(), &[7, 3], 8).unwrap();
        assert_eq!(c.0, vec![vec![7], vec![3]]);
        assert_eq!(c.to_string(), "((7,), (3,))");
    }

    #[test]
    fn bad_chunks_are_errors() {
        assert!(matches!(
            normalize_chunks(&0.into(), &[4], 8),
            Err(ArrayError::ZeroChunk { axis: 0 })
        ));
        assert!(matches!(
            normalize_chunks(&vec![vec![2, 2]].into(), &[5], 8),
            Err(ArrayError::ChunksDoNotCover { .. })
        ));
        assert!(matches!(
            normalize_chunks(&[2].into(), &[5, 5], 8),
            Err(ArrayError::ChunkRank { .. })
        ));
        let err = normalize_chunks(&"12 parsecs".into(), &[5], 8).unwrap_err();
        assert!(err.to_string().contains("12 parsecs"), "{err}");
    }

    #[test]
    fn byte_targets_give_near_cubic_chunks() {
        let c = normalize_chunks(&"8MiB".into(), &[10_000, 10_000], 8).unwrap();
        let size = c.chunksize();
        assert!(size[0] * size[1] * 8 <= 8 << 20);
        assert!(size[0] * size[1] * 8 > 4 << 20);
        assert!(size[0].abs_diff(size[1]) <= 1);
        // a short axis is kept whole
        let c = normalize_chunks(&"1MiB".into(), &[1_000_000, 2], 8).unwrap();
        assert_eq!(c.chunksize()[1], 2);
        assert_eq!(c.chunksize()[0], 65536);
        let c = normalize_chunks(&"auto".into(), &[100], 8).unwrap();
        assert_eq!(c.0, vec![vec![100]]);
    }

    #[test]
    fn empty_axes_have_one_empty_chunk() {
        let c = normalize_chunks(&3.into(), &[0, 4], 8).unwrap();
        assert_eq!(c.0, vec![vec![0], vec![3, 1]]);
    }
}
