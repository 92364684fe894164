//! How one output axis of a selection reads one input axis, and the chunks that follow.
//!
//! Every indexing and most shape ops (slices, fancy indices, masks, `flip`, `roll`,
//! `tile`, `repeat`, `broadcast_to`) are a per-axis map from an output index to an input
//! index. The map is stored in closed form where it has one, so a slice of a huge axis
//! costs nothing to describe; only an explicit index list is stored element by element.

use std::sync::Arc;

/// Output index `i` of an axis reads input index `get(i)`.
#[derive(Debug, Clone)]
pub(crate) enum AxisMap {
    /// `start + step * i` (a NumPy slice; `step == 0` broadcasts one index).
    Affine {
        /// The input index of output index 0.
        start: isize,
        /// The stride; negative for reversed slices.
        step: isize,
    },
    /// `list[i]` (fancy indexing, masks, `take`).
    List(Arc<[usize]>),
    /// `(i + shift) % n` (`roll`).
    Roll {
        /// The input index of output index 0.
        shift: usize,
        /// The axis's extent.
        n: usize,
    },
    /// `i / repeats` (`repeat`).
    Repeat(usize),
    /// `i % n` (`tile`).
    Modulo(usize),
}

impl AxisMap {
    /// The input index that output index `i` reads.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> usize {
        match self {
            AxisMap::Affine { start, step } => (start + step * i as isize) as usize,
            AxisMap::List(list) => list[i],
            AxisMap::Roll { shift, n } => (i + shift) % n,
            AxisMap::Repeat(r) => i / r,
            AxisMap::Modulo(n) => i % n,
        }
    }

    /// True when output `0..len` reads input `0..len` in order.
    pub(crate) fn is_identity(&self, len: usize, in_extent: usize) -> bool {
        len == in_extent
            && match self {
                AxisMap::Affine { start, step } => *start == 0 && *step == 1,
                AxisMap::Roll { shift, .. } => *shift == 0,
                AxisMap::Repeat(r) => *r == 1,
                AxisMap::Modulo(n) => *n >= len,
                AxisMap::List(list) => list.iter().enumerate().all(|(i, &v)| i == v),
            }
    }

    /// Output chunks of an axis of `len` elements read through this map from an input axis
    /// chunked as `in_chunks`.
    ///
    /// - slices keep the input's chunk boundaries restricted to the selection (Dask);
    /// - `roll` is the two slices it is made of, `tile` the input's chunks `reps` times and
    ///   `repeat` each input chunk `repeats` times longer (Dask);
    /// - an index list gets one chunk per run of indices in the same input chunk, with
    ///   neighbouring runs merged while the chunk stays within the input's largest chunk
    ///   (so `x[[0, 1, 2, 5, 6, 7, 8]]` with chunks of 3 gives `(3, 1, 3)`).
    pub(crate) fn out_chunks(&self, len: usize, in_chunks: &[usize]) -> Vec<usize> {
        if len == 0 {
            return vec![0];
        }
        let offsets = offsets(in_chunks);
        match self {
            AxisMap::Affine { start, step } => affine_chunks(*start, *step, len, &offsets),
            AxisMap::Roll { shift, n } => {
                let mut out = restrict(&offsets, *shift, *n);
                out.extend(restrict(&offsets, 0, *shift));
                out
            }
            AxisMap::Repeat(r) => in_chunks.iter().map(|c| c * r).collect(),
            AxisMap::Modulo(n) => {
                let reps = len / n.max(&1);
                (0..reps).flat_map(|_| in_chunks.iter().copied()).collect()
            }
            AxisMap::List(list) => {
                let max = in_chunks.iter().copied().max().unwrap_or(1).max(1);
                list_chunks(list, &offsets, max)
            }
        }
    }
}

/// Start offsets of chunks, with the extent last.
fn offsets(chunks: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(chunks.len() + 1);
    let mut acc = 0;
    out.push(0);
    for &c in chunks {
        acc += c;
        out.push(acc);
    }
    out
}

/// The chunk holding input index `i`.
fn chunk_of(offsets: &[usize], i: usize) -> usize {
    offsets.partition_point(|&o| o <= i) - 1
}

/// The chunk lengths of `lo..hi` cut at the input's boundaries (none when empty).
fn restrict(offsets: &[usize], lo: usize, hi: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for w in offsets.windows(2) {
        let (a, b) = (w[0].max(lo), w[1].min(hi));
        if a < b {
            out.push(b - a);
        }
    }
    out
}

/// Runs of a strided selection that stay in one input chunk, counted per chunk.
fn affine_chunks(start: isize, step: isize, len: usize, offsets: &[usize]) -> Vec<usize> {
    if step == 0 {
        return vec![len];
    }
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < len {
        let idx = (start + step * i as isize) as usize;
        let c = chunk_of(offsets, idx);
        // how many further indices stay in chunk c
        let count = if step > 0 {
            (offsets[c + 1] - idx).div_ceil(step as usize)
        } else {
            (idx - offsets[c]) / (-step) as usize + 1
        };
        let count = count.min(len - i);
        out.push(count);
        i += count;
    }
    out
}

/// Runs of an index list in one input chunk, merged up to `max` long.
fn list_chunks(list: &[usize], offsets: &[usize], max: usize) -> Vec<usize> {
    let mut runs: Vec<usize> = Vec::new();
    let mut prev = usize::MAX;
    for &idx in list {
        let c = chunk_of(offsets, idx);
        match runs.last_mut() {
            Some(last) if c == prev => *last += 1,
            _ => runs.push(1),
        }
        prev = c;
    }
    let mut out: Vec<usize> = Vec::new();
    for r in runs {
        match out.last_mut() {
            Some(last) if *last + r <= max => *last += r,
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_keep_input_boundaries() {
        // x[1:9:3] over chunks (4, 4, 2): indices 1, 4, 7 -> (1, 2)
        let m = AxisMap::Affine { start: 1, step: 3 };
        assert_eq!(m.out_chunks(3, &[4, 4, 2]), vec![1, 2]);
        // x[::-1] over chunks (4, 4, 2) -> (2, 4, 4)
        let m = AxisMap::Affine { start: 9, step: -1 };
        assert_eq!(m.out_chunks(10, &[4, 4, 2]), vec![2, 4, 4]);
        // x[8:0:-3]: 8, 5, 2 -> (1, 1, 1)
        let m = AxisMap::Affine { start: 8, step: -3 };
        assert_eq!(m.out_chunks(3, &[4, 4, 2]), vec![1, 1, 1]);
    }

    #[test]
    fn lists_group_runs_in_one_chunk() {
        let m = AxisMap::List(vec![10, 1, 5].into());
        assert_eq!(m.out_chunks(3, &[5, 5, 5]), vec![3]);
        let m = AxisMap::List(vec![0, 1, 2, 5, 6, 7, 8].into());
        assert_eq!(m.out_chunks(7, &[3, 3, 3]), vec![3, 1, 3]);
        let m = AxisMap::List(vec![0, 10, 1, 11].into());
        assert_eq!(m.out_chunks(4, &[2; 6]), vec![2, 2]);
    }

    #[test]
    fn roll_tile_repeat_follow_dask() {
        let m = AxisMap::Roll { shift: 7, n: 10 };
        assert_eq!(m.out_chunks(10, &[4, 4, 2]), vec![1, 2, 4, 3]);
        assert_eq!(
            AxisMap::Repeat(3).out_chunks(30, &[4, 4, 2]),
            vec![12, 12, 6]
        );
        assert_eq!(AxisMap::Modulo(5).out_chunks(10, &[3, 2]), vec![3, 2, 3, 2]);
        assert_eq!(AxisMap::Roll { shift: 7, n: 10 }.get(4), 1);
    }
}
