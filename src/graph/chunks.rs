//! Chunk layouts: an array's chunk lengths along each axis, and Python-style tuples.

use super::region::{MAX_NDIM, Region};
use std::fmt;

/// An array's chunk lengths along each axis, as Dask's `.chunks`.
///
/// Displays as a Python tuple of tuples:
/// ```
/// let a = spillway::arange(1i64, 50, 3, 5);
/// assert_eq!(a.chunks().to_string(), "((5, 5, 5, 2),)");
/// assert_eq!(a.chunks().as_vecs(), &[vec![5, 5, 5, 2]]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Chunks(pub(crate) Vec<Vec<usize>>);

impl Chunks {
    /// A chunking from explicit lengths per axis (each axis's lengths sum to its extent).
    ///
    /// ```
    /// use spillway::Chunks;
    /// let c = Chunks::from_lengths(vec![vec![5, 5, 2], vec![3]]);
    /// assert_eq!(c.to_string(), "((5, 5, 2), (3,))");
    /// ```
    pub fn from_lengths(lengths: Vec<Vec<usize>>) -> Chunks {
        Chunks(lengths)
    }

    /// The chunking of a regular grid of `chunk_shape` over `shape`, edge chunks clipped
    /// (how zarr stores chunk an array).
    ///
    /// ```
    /// let c = spillway::Chunks::regular(&[10, 7, 0], &[4, 7, 3]);
    /// assert_eq!(c.to_string(), "((4, 4, 2), (7,), (0,))");
    /// ```
    pub fn regular(shape: &[usize], chunk_shape: &[usize]) -> Chunks {
        Chunks(
            shape
                .iter()
                .zip(chunk_shape)
                .map(|(&n, &c)| {
                    let c = c.max(1);
                    if n == 0 {
                        return vec![0];
                    }
                    let mut lengths = vec![c; n / c];
                    if n % c != 0 {
                        lengths.push(n % c);
                    }
                    lengths
                })
                .collect(),
        )
    }

    /// The lengths per axis.
    pub fn as_vecs(&self) -> &[Vec<usize>] {
        &self.0
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.0.len()
    }

    /// Number of blocks per axis (Dask's `numblocks`).
    pub fn numblocks(&self) -> Vec<usize> {
        self.0.iter().map(Vec::len).collect()
    }

    /// Total number of blocks (Dask's `npartitions`).
    pub fn nblocks(&self) -> usize {
        self.0.iter().map(Vec::len).product()
    }

    /// The largest chunk length per axis (Dask's `chunksize`).
    pub fn chunksize(&self) -> Vec<usize> {
        self.0
            .iter()
            .map(|c| c.iter().copied().max().unwrap_or(0))
            .collect()
    }

    /// Start offsets of the blocks along `axis` (one more entry than blocks: the extent).
    pub fn offsets(&self, axis: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.0[axis].len() + 1);
        let mut acc = 0;
        out.push(0);
        for &c in &self.0[axis] {
            acc += c;
            out.push(acc);
        }
        out
    }

    /// The chunks with the axes in the order `perm` (output axis `i` is input axis `perm[i]`).
    pub fn permuted(&self, perm: &[usize]) -> Chunks {
        Chunks(perm.iter().map(|&p| self.0[p].clone()).collect())
    }
}

impl fmt::Display for Chunks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&python_tuple(
            self.0.iter().map(|axis| python_tuple(axis.iter())),
        ))
    }
}

/// Formats items as a Python tuple: `(a, b)`, `(a,)`, `()`.
pub fn python_tuple<I: IntoIterator<Item = D>, D: fmt::Display>(items: I) -> String {
    let parts: Vec<String> = items.into_iter().map(|d| d.to_string()).collect();
    match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    }
}

/// The blocks of a chunking, numbered row-major: block multi-indices and their regions.
///
/// ```
/// use spillway::graph::chunks::{BlockGrid, Chunks};
/// let grid = BlockGrid::new(&spillway::zeros::<u8>([15, 15], [10, 5]).chunks().clone());
/// assert_eq!(grid.len(), 6);
/// let region = grid.region(&grid.index(4));
/// assert_eq!((region.start.as_slice(), region.shape.as_slice()), (&[10, 5][..], &[5, 5][..]));
/// ```
#[derive(Debug, Clone)]
pub struct BlockGrid {
    numblocks: Vec<usize>,
    offsets: Vec<Vec<usize>>,
}

impl BlockGrid {
    /// The grid of `chunks`.
    pub fn new(chunks: &Chunks) -> Self {
        let numblocks = chunks.numblocks();
        let offsets = (0..numblocks.len()).map(|a| chunks.offsets(a)).collect();
        BlockGrid { numblocks, offsets }
    }

    /// Blocks per axis.
    pub fn numblocks(&self) -> &[usize] {
        &self.numblocks
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.numblocks.iter().product()
    }

    /// True when the grid has no block (never for a normalised chunking).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The multi-index of block number `number`.
    pub fn index(&self, mut number: usize) -> [usize; MAX_NDIM] {
        let mut out = [0; MAX_NDIM];
        for axis in (0..self.numblocks.len()).rev() {
            out[axis] = number % self.numblocks[axis];
            number /= self.numblocks[axis];
        }
        out
    }

    /// The region of the block at multi-index `block`.
    pub fn region(&self, block: &[usize; MAX_NDIM]) -> Region {
        let ndim = self.numblocks.len();
        let mut start = [0; MAX_NDIM];
        let mut shape = [0; MAX_NDIM];
        for axis in 0..ndim {
            start[axis] = self.offsets[axis][block[axis]];
            shape[axis] = self.offsets[axis][block[axis] + 1] - start[axis];
        }
        Region::new(&start[..ndim], &shape[..ndim])
    }

    /// The blocks along `axis` that overlap `start .. start + len`, as a range of block
    /// indices (empty when `len == 0`).
    ///
    /// ```
    /// use spillway::graph::chunks::{BlockGrid, Chunks};
    /// let grid = BlockGrid::new(&Chunks::from_lengths(vec![vec![5, 5, 5, 2]]));
    /// assert_eq!(grid.blocks_along(0, 4, 7), 0..3);
    /// assert_eq!(grid.blocks_along(0, 15, 2), 3..4);
    /// ```
    pub fn blocks_along(&self, axis: usize, start: usize, len: usize) -> std::ops::Range<usize> {
        if len == 0 {
            return 0..0;
        }
        let offsets = &self.offsets[axis];
        // block b covers offsets[b] .. offsets[b + 1]
        let first = offsets.partition_point(|&o| o <= start).saturating_sub(1);
        let last = offsets.partition_point(|&o| o < start + len);
        first..last.max(first + 1).min(offsets.len() - 1)
    }

    /// Visits every block overlapping `region`, passing its multi-index and its region.
    pub fn for_each_block_in(
        &self,
        region: &Region,
        mut visit: impl FnMut(&[usize; MAX_NDIM], Region),
    ) {
        let ndim = self.numblocks.len();
        let ranges: Vec<std::ops::Range<usize>> = (0..ndim)
            .map(|a| self.blocks_along(a, region.start[a], region.shape[a]))
            .collect();
        if ranges.iter().any(|r| r.is_empty()) && ndim > 0 {
            return;
        }
        let mut block = [0usize; MAX_NDIM];
        for axis in 0..ndim {
            block[axis] = ranges[axis].start;
        }
        loop {
            visit(&block, self.region(&block));
            let mut axis = ndim;
            loop {
                if axis == 0 {
                    return;
                }
                axis -= 1;
                block[axis] += 1;
                if block[axis] < ranges[axis].end {
                    break;
                }
                block[axis] = ranges[axis].start;
            }
        }
    }

    /// Start offset of block `index` along `axis` and its length.
    pub fn span(&self, axis: usize, index: usize) -> (usize, usize) {
        let start = self.offsets[axis][index];
        (start, self.offsets[axis][index + 1] - start)
    }
}
