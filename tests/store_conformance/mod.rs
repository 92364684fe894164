//! The checks every chunk store passes (as zarrs_storage's store_test.rs): round trip,
//! clipped edge chunks, never-written chunks read the fill value, contains_chunk, bad
//! indices and buffer lengths refused, concurrent writers of different chunks.

// each test binary uses only some of these helpers
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use spillway::store::{ChunkStore, StoreError, chunk_extent, grid_shape};

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory named after `name`.
    pub fn new(name: &str) -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "spillway-test-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every chunk index of a grid, row-major.
pub fn chunk_indices(grid: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = grid.iter().product();
    (0..total)
        .map(|mut flat| {
            let mut idx = vec![0; grid.len()];
            for d in (0..grid.len()).rev() {
                idx[d] = flat % grid[d];
                flat /= grid[d];
            }
            idx
        })
        .collect()
}

/// The values of chunk `index` of the reference array whose element at row-major flat
/// position `p` is `p + 1`.
pub fn expected_chunk(shape: &[usize], chunk: &[usize], index: &[usize]) -> Vec<f64> {
    let extent = chunk_extent(shape, chunk, index);
    let n: usize = extent.iter().product();
    (0..n)
        .map(|mut local| {
            let mut flat = 0;
            let mut coords = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                coords[d] = index[d] * chunk[d] + local % extent[d];
                local /= extent[d];
            }
            for d in 0..shape.len() {
                flat = flat * shape[d] + coords[d];
            }
            (flat + 1) as f64
        })
        .collect()
}

/// The shapes and chunk shapes the conformance checks run over: clipped edges on every
/// axis, chunks of 1, one chunk, size-1 and empty axes, 3-d.
pub const CASES: &[(&[usize], &[usize])] = &[
    (&[10, 7], &[4, 3]),
    (&[5], &[5]),
    (&[6], &[1]),
    (&[1, 1, 1], &[1, 1, 1]),
    (&[6, 4, 5], &[4, 3, 2]),
    (&[0, 3], &[2, 2]),
    (&[3, 1], &[2, 4]),
];

/// Runs every check on stores made by `make(shape, chunk_shape)` (fill value 0).
pub fn conformance<S: ChunkStore<f64>>(make: impl Fn(&[usize], &[usize]) -> S) {
    conformance_with(make, true);
}

/// [`conformance`], for stores that may not record a chunk equal to the fill value
/// everywhere as written (`fill_chunks_recorded == false`: zarr's sharding codec drops
/// such inner chunks from the shard).
pub fn conformance_with<S: ChunkStore<f64>>(
    make: impl Fn(&[usize], &[usize]) -> S,
    fill_chunks_recorded: bool,
) {
    for &(shape, chunk) in CASES {
        round_trip(&make(shape, chunk));
        missing_and_contains(&make(shape, chunk), fill_chunks_recorded);
        refuses_bad_input(&make(shape, chunk));
        concurrent_writers(&make(shape, chunk));
    }
}

fn read(store: &impl ChunkStore<f64>, index: &[usize]) -> Vec<f64> {
    let n: usize = chunk_extent(store.shape(), store.chunk_shape(), index)
        .iter()
        .product();
    let mut out = vec![-7.0; n];
    store.read_chunk(index, &mut out).unwrap();
    out
}

/// Writes every chunk, then reads every chunk back.
pub fn round_trip(store: &impl ChunkStore<f64>) {
    let (shape, chunk) = (store.shape().to_vec(), store.chunk_shape().to_vec());
    let grid = grid_shape(&shape, &chunk);
    for idx in chunk_indices(&grid) {
        store
            .write_chunk(&idx, &expected_chunk(&shape, &chunk, &idx))
            .unwrap();
    }
    for idx in chunk_indices(&grid) {
        assert_eq!(
            read(store, &idx),
            expected_chunk(&shape, &chunk, &idx),
            "{} chunk {idx:?} of shape {shape:?} chunks {chunk:?}",
            store.location()
        );
    }
    // a rewrite replaces the chunk whole
    if let Some(first) = chunk_indices(&grid).first() {
        let twice: Vec<f64> = expected_chunk(&shape, &chunk, first)
            .iter()
            .map(|v| v * 2.0)
            .collect();
        store.write_chunk(first, &twice).unwrap();
        assert_eq!(read(store, first), twice);
    }
}

/// Never-written chunks read 0 and are not contained; written ones are.
pub fn missing_and_contains(store: &impl ChunkStore<f64>, fill_chunks_recorded: bool) {
    let (shape, chunk) = (store.shape().to_vec(), store.chunk_shape().to_vec());
    let all = chunk_indices(&grid_shape(&shape, &chunk));
    for idx in &all {
        assert!(
            !store.contains_chunk(idx).unwrap(),
            "{idx:?} before writing"
        );
        assert!(read(store, idx).iter().all(|&v| v == 0.0));
    }
    let Some(last) = all.last() else { return };
    store
        .write_chunk(last, &expected_chunk(&shape, &chunk, last))
        .unwrap();
    for idx in &all {
        assert_eq!(store.contains_chunk(idx).unwrap(), idx == last, "{idx:?}");
    }
    // a chunk of zeros (the fill value) still counts as written
    if let Some(first) = all.first().filter(|f| *f != last) {
        let n = expected_chunk(&shape, &chunk, first).len();
        store.write_chunk(first, &vec![0.0; n]).unwrap();
        assert_eq!(store.contains_chunk(first).unwrap(), fill_chunks_recorded);
        assert!(read(store, first).iter().all(|&v| v == 0.0));
    }
}

/// Indices off the grid and buffers of the wrong length are typed errors.
pub fn refuses_bad_input(store: &impl ChunkStore<f64>) {
    let (shape, chunk) = (store.shape().to_vec(), store.chunk_shape().to_vec());
    let grid = grid_shape(&shape, &chunk);
    let off: Vec<usize> = grid.clone();
    let err = store.read_chunk(&off, &mut [0.0]).unwrap_err();
    assert!(matches!(err, StoreError::Shape { .. }), "{err}");
    assert!(store.write_chunk(&off, &[0.0]).is_err());
    assert!(store.contains_chunk(&off).is_err());
    assert!(store.read_chunk(&[0; 9], &mut [0.0]).is_err());
    if let Some(first) = chunk_indices(&grid).first() {
        let n = expected_chunk(&shape, &chunk, first).len();
        let err = store.write_chunk(first, &vec![1.0; n + 1]).unwrap_err();
        assert!(err.to_string().contains(&format!("expected {n}")), "{err}");
        assert!(store.read_chunk(first, &mut vec![0.0; n + 1]).is_err());
    }
}

/// Four threads write disjoint sets of chunks at once; every chunk reads back.
pub fn concurrent_writers(store: &impl ChunkStore<f64>) {
    let (shape, chunk) = (store.shape().to_vec(), store.chunk_shape().to_vec());
    let all = chunk_indices(&grid_shape(&shape, &chunk));
    std::thread::scope(|s| {
        for t in 0..4 {
            let all = &all;
            let (shape, chunk) = (&shape, &chunk);
            s.spawn(move || {
                for idx in all.iter().skip(t).step_by(4) {
                    store
                        .write_chunk(idx, &expected_chunk(shape, chunk, idx))
                        .unwrap();
                }
            });
        }
    });
    for idx in &all {
        assert_eq!(
            read(store, idx),
            expected_chunk(&shape, &chunk, idx),
            "{idx:?}"
        );
    }
}
