//! The spill layer: codec round trips of every dtype through a spill directory, the
//! quota and its error, clean-up on drop, error and panic, and the spillable store under
//! tiny budgets (paired: spilling disabled fails with the budget error, enabled succeeds
//! under the limit), also with concurrent writers and readers while reclaim runs.

use std::sync::Arc;
use std::thread;

use ndarray::{Array2, s};
use proptest::prelude::*;
use spillway::store::spill::{SpillDir, SpillableStore};
use spillway::store::{ChunkStore, StoreError, chunk_extent, grid_shape};
use spillway::{Element, MemoryBudget, MemoryError};

fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

/// Writes `data` to a spill file and reads it back; compares the bytes (NaNs included).
fn roundtrip<T: Element>(dir: &SpillDir, data: &[T]) -> spillway::store::spill::SpillFile {
    let file = dir.write("roundtrip", data).unwrap();
    assert_eq!(file.raw_bytes() as usize, std::mem::size_of_val(data));
    let mut back = vec![T::default(); data.len()];
    file.read_into(&mut back).unwrap();
    let same = data
        .iter()
        .zip(&back)
        .all(|(a, b)| a == b || (a.to_f64().is_nan() && b.to_f64().is_nan()));
    assert!(same, "{} values differ after a round trip", T::DTYPE);
    if T::DTYPE.is_float() {
        let bits = |v: &[T]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(data), bits(&back));
    }
    file
}

/// Random and smooth vectors of every dtype of length `n`, through one directory.
fn every_dtype(dir: &SpillDir, n: usize, seed: u64) {
    let mut r = xorshift(seed);
    let bits: Vec<u64> = (0..n).map(|_| r()).collect();
    roundtrip(
        dir,
        &bits.iter().map(|&b| f64::from_bits(b)).collect::<Vec<_>>(),
    );
    roundtrip(
        dir,
        &bits
            .iter()
            .map(|&b| f32::from_bits(b as u32))
            .collect::<Vec<_>>(),
    );
    roundtrip(dir, &bits.iter().map(|&b| b as i64).collect::<Vec<_>>());
    roundtrip(dir, &bits.iter().map(|&b| b as i32).collect::<Vec<_>>());
    roundtrip(dir, &bits);
    roundtrip(dir, &bits.iter().map(|&b| b as u32).collect::<Vec<_>>());
    roundtrip(dir, &bits.iter().map(|&b| b as u8).collect::<Vec<_>>());
    roundtrip(dir, &bits.iter().map(|&b| b & 1 == 1).collect::<Vec<_>>());
    let ramp = |i: usize| i as f64 * 0.25 - 7.0;
    roundtrip(dir, &(0..n).map(ramp).collect::<Vec<f64>>());
    roundtrip(dir, &(0..n).map(|i| ramp(i) as f32).collect::<Vec<f32>>());
    roundtrip(dir, &(0..n).map(|i| i as i64 - 50).collect::<Vec<i64>>());
    roundtrip(dir, &(0..n).map(|i| i as i32 / 3).collect::<Vec<i32>>());
    roundtrip(dir, &(0..n as u64).collect::<Vec<u64>>());
    roundtrip(dir, &(0..n as u32).map(|i| i / 100).collect::<Vec<u32>>());
    roundtrip(dir, &(0..n).map(|i| (i / 9) as u8).collect::<Vec<u8>>());
    roundtrip(dir, &(0..n).map(|i| i % 64 < 40).collect::<Vec<bool>>());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_dtype_round_trips_at_any_length(n in prop_oneof![0usize..3, 0usize..70_000], seed in any::<u64>()) {
        let dir = SpillDir::new().unwrap();
        every_dtype(&dir, n, seed);
        let m = dir.metrics();
        prop_assert_eq!(m.chunks_live, 0);
        prop_assert_eq!(m.disk_used, 0);
        prop_assert_eq!(m.chunks_written, 16);
        prop_assert_eq!(m.bytes_read, m.bytes_written);
    }
}

#[test]
fn chunks_of_several_frames_round_trip() {
    let dir = SpillDir::new().unwrap();
    every_dtype(&dir, 3 * (1 << 17) + 11, 5); // 3 MiB + of f64: four frames
}

#[test]
fn random_f64_is_stored_raw_and_smooth_f64_compressed() {
    let dir = SpillDir::new().unwrap();
    let mut r = xorshift(11);
    let random: Vec<f64> = (0..1 << 20).map(|_| f64::from_bits(r())).collect();
    let file = roundtrip(&dir, &random);
    assert!(!file.compressed());
    assert_eq!(
        file.disk_bytes(),
        file.raw_bytes() + 1,
        "raw: one header byte"
    );

    let n = 1 << 20;
    let smooth: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect(); // linspace(0, 1)
    let file = roundtrip(&dir, &smooth);
    assert!(file.compressed());
    assert!(
        file.disk_bytes() * 2 < file.raw_bytes(),
        "linspace: {} of {} bytes",
        file.disk_bytes(),
        file.raw_bytes()
    );
    let m = dir.metrics();
    assert_eq!(m.bytes_written, m.bytes_read);
}

#[test]
fn quota_error_names_quota_request_directory_and_knob() {
    let dir = SpillDir::builder().quota(10_000).build().unwrap();
    let mut r = xorshift(3);
    let noise: Vec<u64> = (0..2000).map(|_| r()).collect();
    let err = dir.write("x-chunk-0-0", &noise).unwrap_err();
    let StoreError::SpillQuotaExceeded {
        quota,
        used,
        directory,
        ..
    } = &err
    else {
        panic!("expected a quota error, got {err:?}");
    };
    assert_eq!((*quota, *used), (10_000, 1));
    assert_eq!(directory, &dir.path().display().to_string());
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "spill quota exhausted: writing 15.62 kiB more to spill directory {} would exceed its 9.77 kiB quota (1 B in use)",
            dir.path().display()
        )),
        "{text}"
    );
    // the quota came from the builder: that is the setting to raise
    assert!(
        text.contains("raise the quota with SpillDir::builder().quota(..),"),
        "{text}"
    );
    // Nothing is left behind, and what fits still works.
    assert_eq!(bytes_in(dir.path()), 0);
    assert_eq!(dir.metrics().disk_used, 0);
    roundtrip(&dir, &noise[..1000]);
}

/// Bytes the spill files in `dir` hold (the arena files' lengths; not the owner file,
/// which names the process that owns the directory).
fn bytes_in(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "owner")
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

#[test]
fn directory_is_removed_on_drop_error_and_panic() {
    // Success.
    let dir = SpillDir::new().unwrap();
    let path = dir.path().to_path_buf();
    let kept = dir.write("kept", &[1.5f64; 100]).unwrap();
    drop(dir);
    assert!(path.exists(), "a live spill file keeps its directory");
    drop(kept);
    assert!(!path.exists());

    // An error path: a function that fails with the directory in scope.
    fn failing(parent: &std::path::Path) -> Result<(), (StoreError, std::path::PathBuf)> {
        let dir = SpillDir::builder()
            .parent(parent)
            .quota(64)
            .build()
            .unwrap();
        let _small = dir.write("small", &[0u8; 8]).unwrap();
        dir.write("big", &[7u64; 4096])
            .map(drop)
            .map_err(|e| (e, dir.path().to_path_buf()))?;
        dir.write("never", &[7u64; 100_000])
            .map(drop)
            .map_err(|e| (e, dir.path().to_path_buf()))
    }
    let parent = tempfile::tempdir().unwrap();
    let (err, path) = failing(parent.path()).unwrap_err();
    assert!(matches!(err, StoreError::SpillQuotaExceeded { .. }));
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);

    // A panic in a thread that holds a directory and a store spilling into it.
    let parent_path = parent.path().to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = thread::spawn(move || {
        let dir = SpillDir::builder().parent(&parent_path).build().unwrap();
        let budget = MemoryBudget::new(1024);
        let store =
            SpillableStore::<f64>::new("p", &[1024], &[128], &budget, Some(dir.clone())).unwrap();
        for c in 0..8 {
            store.write_chunk(&[c], &[c as f64; 128]).unwrap();
        }
        assert!(dir.metrics().chunks_live >= 7);
        tx.send(dir.path().to_path_buf()).unwrap();
        panic!("boom while holding a spill directory");
    });
    assert!(worker.join().is_err());
    let path = rx.recv().unwrap();
    assert!(!path.exists(), "{} survived the panic", path.display());
    assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
}

#[test]
fn a_parent_that_does_not_exist_is_named() {
    let err = SpillDir::builder()
        .parent("/no/such/spill/parent")
        .build()
        .unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with("store /no/such/spill/parent: cannot create a spill directory here"),
        "{err}"
    );
}

/// A 2-D array's chunks, row-major, as the store expects them (ndarray slices them).
fn chunks_of(a: &Array2<f64>, chunk: [usize; 2]) -> Vec<(Vec<usize>, Vec<f64>)> {
    let shape = [a.nrows(), a.ncols()];
    let grid = grid_shape(&shape, &chunk);
    let mut out = Vec::new();
    for i in 0..grid[0] {
        for j in 0..grid[1] {
            let ext = chunk_extent(&shape, &chunk, &[i, j]);
            let (r0, c0) = (i * chunk[0], j * chunk[1]);
            let block = a.slice(s![r0..r0 + ext[0], c0..c0 + ext[1]]);
            out.push((vec![i, j], block.iter().copied().collect()));
        }
    }
    out
}

fn random_matrix(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut r = xorshift(seed);
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        if (i + j) % 3 == 0 {
            f64::from_bits(r())
        } else {
            (i * cols + j) as f64 * 0.5
        }
    })
}

/// Writes every chunk of `a` through a store under `limit` bytes; returns the budget,
/// the store and the first error.
fn write_all(
    a: &Array2<f64>,
    chunk: [usize; 2],
    limit: u64,
    spill: bool,
) -> (MemoryBudget, SpillableStore<f64>, Result<(), StoreError>) {
    let budget = MemoryBudget::new(limit);
    let dir = spill.then(|| SpillDir::new().unwrap());
    let store = SpillableStore::new("x", &[a.nrows(), a.ncols()], &chunk, &budget, dir).unwrap();
    let result = chunks_of(a, chunk)
        .iter()
        .try_for_each(|(index, data)| store.write_chunk(index, data));
    (budget, store, result)
}

fn assert_reads_back(store: &SpillableStore<f64>, a: &Array2<f64>, chunk: [usize; 2]) {
    for (index, want) in chunks_of(a, chunk) {
        let mut got = vec![0.0; want.len()];
        store.read_chunk(&index, &mut got).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "chunk {index:?}");
    }
}

#[test]
fn paired_spill_disabled_fails_with_the_budget_error() {
    let a = random_matrix(300, 200, 1);
    let limit = 100_000; // a fifth of the 480 kB array
    let (budget, store, result) = write_all(&a, [50, 50], limit, false);
    let err = result.unwrap_err();
    let StoreError::Memory(MemoryError::ResourcesExhausted {
        consumer,
        requested,
        limit: l,
        ..
    }) = &err
    else {
        panic!("expected the budget error, got {err:?}");
    };
    assert_eq!(
        (consumer.as_str(), *requested, *l),
        ("spillable x", 20_000, limit)
    );
    assert!(
        err.to_string().starts_with(
            "memory budget exhausted: consumer \"spillable x\" asked for 19.53 kiB, holds 0 B"
        ),
        "{err}"
    );
    assert!(budget.peak_reserved() <= limit);
    assert_eq!(store.metrics().chunks_spilled, 0);
}

#[test]
fn paired_spill_enabled_succeeds_under_the_limit() {
    let a = random_matrix(300, 200, 1);
    let limit = 100_000;
    let (budget, store, result) = write_all(&a, [50, 50], limit, true);
    result.unwrap();
    assert!(
        budget.peak_reserved() <= limit,
        "peak {}",
        budget.peak_reserved()
    );
    let m = store.metrics();
    assert_eq!(m.chunks_in_memory + m.chunks_on_disk, 24);
    assert!(m.chunks_spilled >= 24 - 5, "{m:?}");
    assert_eq!(m.bytes_in_memory, budget.reserved());
    assert_reads_back(&store, &a, [50, 50]);
    let m2 = store.metrics();
    assert_eq!(m2.chunks_reread, m.chunks_on_disk);
    let dir = store.spill_dir().unwrap();
    assert_eq!(dir.metrics().bytes_read, m.disk_bytes_held);
    assert!(budget.peak_reserved() <= limit);
    // Freeing every chunk gives memory and disk back.
    for (index, _) in chunks_of(&a, [50, 50]) {
        assert!(store.remove_chunk(&index).unwrap());
    }
    assert_eq!(budget.reserved(), 0);
    assert_eq!(dir.metrics().disk_used, 0);
    assert_eq!(dir.metrics().chunks_live, 0);
}

#[test]
fn a_chunk_larger_than_the_budget_goes_straight_to_disk() {
    let a = random_matrix(64, 64, 2);
    let (budget, store, result) = write_all(&a, [64, 64], 1000, true);
    result.unwrap();
    assert_eq!(budget.peak_reserved(), 0);
    assert_eq!(store.metrics().chunks_on_disk, 1);
    assert_reads_back(&store, &a, [64, 64]);
}

#[test]
fn least_recently_used_chunks_spill_first() {
    let budget = MemoryBudget::new(3 * 800);
    let store = SpillableStore::<u64>::new(
        "lru",
        &[400],
        &[100],
        &budget,
        Some(SpillDir::new().unwrap()),
    )
    .unwrap();
    for c in 0..3 {
        store.write_chunk(&[c], &[c as u64; 100]).unwrap();
    }
    let mut out = [0u64; 100];
    store.read_chunk(&[0], &mut out).unwrap(); // chunk 1 is now the least recent
    store.write_chunk(&[3], &[3; 100]).unwrap();
    let m = store.metrics();
    assert_eq!(
        (m.chunks_in_memory, m.chunks_on_disk, m.chunks_spilled),
        (3, 1, 1)
    );
    assert_eq!(m.chunks_reread, 0);
    store.read_chunk(&[1], &mut out).unwrap();
    assert_eq!(out, [1; 100]);
    assert_eq!(store.metrics().chunks_reread, 1);
}

#[test]
fn a_failed_spill_keeps_the_chunk_and_surfaces_the_quota() {
    let budget = MemoryBudget::new(1600);
    let dir = SpillDir::builder().quota(100).build().unwrap();
    let store = SpillableStore::<u64>::new("q", &[300], &[100], &budget, Some(dir)).unwrap();
    let mut r = xorshift(9);
    let chunks: Vec<Vec<u64>> = (0..3).map(|_| (0..100).map(|_| r()).collect()).collect();
    store.write_chunk(&[0], &chunks[0]).unwrap();
    store.write_chunk(&[1], &chunks[1]).unwrap();
    let err = store.write_chunk(&[2], &chunks[2]).unwrap_err();
    assert!(
        matches!(err, StoreError::SpillQuotaExceeded { quota: 100, .. }),
        "{err}"
    );
    assert!(matches!(
        store.last_spill_error(),
        Some(StoreError::SpillQuotaExceeded { .. })
    ));
    let m = store.metrics();
    assert_eq!(
        (m.chunks_in_memory, m.chunks_on_disk, m.spill_failures),
        (2, 0, 1)
    );
    let mut out = vec![0u64; 100];
    store.read_chunk(&[0], &mut out).unwrap();
    assert_eq!(out, chunks[0]);
    assert!(!store.contains_chunk(&[2]).unwrap());
}

#[test]
fn bad_indices_and_lengths_are_typed_errors() {
    let budget = MemoryBudget::new(1 << 20);
    let store = SpillableStore::<i32>::new("b", &[10, 7], &[4, 7], &budget, None).unwrap();
    let err = store.write_chunk(&[3, 0], &[0; 28]).unwrap_err();
    assert!(matches!(err, StoreError::BadChunk { .. }));
    assert_eq!(
        err.to_string(),
        "store spillable store b (memory only): chunk [3, 0]: outside the chunk grid [3, 1]"
    );
    let err = store.write_chunk(&[2, 0], &[0; 28]).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("got 28 elements, expected 14 (chunk extent [2, 7])"),
        "{err}"
    );
    assert!(store.read_chunk(&[0], &mut [0; 28]).is_err());
    assert!(store.contains_chunk(&[0, 1]).is_err());
    let mut out = [9; 14];
    store.read_chunk(&[2, 0], &mut out).unwrap();
    assert_eq!(out, [0; 14], "unwritten chunks read as the fill value");
    let err = SpillableStore::<i32>::new("b", &[10], &[0], &budget, None).unwrap_err();
    assert!(
        err.to_string()
            .contains("axis 0 has chunk length 0 but extent 10"),
        "{err}"
    );
}

#[test]
fn concurrent_writers_and_readers_while_reclaim_runs() {
    const THREADS: usize = 4;
    const CHUNKS: usize = 64;
    const LEN: usize = 2048; // 16 KiB chunks, 1 MiB in all
    let limit = 8 * LEN as u64 * 8; // room for 8 of 64
    let budget = MemoryBudget::new(limit);
    let store = Arc::new(
        SpillableStore::<f64>::new(
            "c",
            &[CHUNKS * LEN],
            &[LEN],
            &budget,
            Some(SpillDir::new().unwrap()),
        )
        .unwrap(),
    );
    let value = |c: usize, i: usize| {
        if c.is_multiple_of(2) {
            (c * LEN + i) as f64
        } else {
            f64::from_bits(((c * LEN + i) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        }
    };
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                let mut out = vec![0.0; LEN];
                for round in 0..3 {
                    for c in (t..CHUNKS).step_by(THREADS) {
                        let data: Vec<f64> = (0..LEN).map(|i| value(c, i)).collect();
                        store.write_chunk(&[c], &data).unwrap();
                        // Read back a chunk another thread may be spilling right now.
                        let other = (c + 1 + round) % CHUNKS;
                        store.read_chunk(&[other], &mut out).unwrap();
                        let written = out.iter().any(|x| x.to_bits() != 0);
                        if written {
                            assert!(
                                out.iter()
                                    .enumerate()
                                    .all(|(i, x)| x.to_bits() == value(other, i).to_bits())
                            );
                        }
                        if round == 1 {
                            store.spill(LEN as u64 * 8);
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(
        budget.peak_reserved() <= limit,
        "peak {}",
        budget.peak_reserved()
    );
    let m = store.metrics();
    assert_eq!(m.chunks_in_memory + m.chunks_on_disk, CHUNKS as u64);
    assert!(m.chunks_spilled >= (CHUNKS - 8) as u64);
    let mut out = vec![0.0; LEN];
    for c in 0..CHUNKS {
        store.read_chunk(&[c], &mut out).unwrap();
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, x)| x.to_bits() == value(c, i).to_bits()),
            "chunk {c}"
        );
    }
    let dir = store.spill_dir().unwrap().clone();
    drop(store);
    assert_eq!(budget.reserved(), 0);
    assert_eq!(dir.metrics().chunks_live, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Any shape (empty and size-1 axes), chunking and budget: with spilling every chunk
    /// reads back bit-identical and the budget's peak stays under its limit; without it,
    /// writes fail exactly when the chunks do not fit.
    #[test]
    fn store_holds_any_array_under_any_budget(
        rows in 0usize..40,
        cols in 0usize..40,
        cr in 1usize..12,
        cc in 1usize..12,
        share in 0u64..=100,
        seed in any::<u64>(),
    ) {
        let a = random_matrix(rows, cols, seed);
        let total = (rows * cols * 8) as u64;
        let limit = total * share / 100;
        let (budget, store, result) = write_all(&a, [cr, cc], limit, true);
        prop_assert!(result.is_ok());
        prop_assert!(budget.peak_reserved() <= limit);
        assert_reads_back(&store, &a, [cr, cc]);
        prop_assert!(budget.peak_reserved() <= limit);

        let (budget, _store, result) = write_all(&a, [cr, cc], limit, false);
        prop_assert_eq!(result.is_ok(), total <= limit);
        prop_assert!(budget.peak_reserved() <= limit);
    }
}
