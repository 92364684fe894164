//! Chunk layouts: an array's chunk lengths along each axis, and Python-style tuples.

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

    /// The chunks with the axes in the order `perm` (output axis i is input axis perm[i]).
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
