//! Fancy indexing of a stored array with unsorted rows reads each chunk an output block
//! needs once (not once per row), and gives the rows in the order asked for.

use ndarray::Axis;
use spillway::array::stored::from_store;
use spillway::store::zarr::{Codec, ZarrStore};
use std::sync::Arc;

/// Rows in a scrambled order with repeats: every input chunk of 16 rows visited often.
fn scrambled_rows(n: usize, extent: usize) -> Vec<usize> {
    (0..n).map(|i| (i * 37 + 11) % extent).collect()
}

#[test]
fn unsorted_takes_read_each_needed_chunk_once_per_output_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    // 64 x 4096 in chunks of 16 rows: a row is one 4096-element tile
    let x = spillway::random::default_rng(3).random([64, 4096], [16, 4096]);
    let how = spillway::array::zarr::ToZarr::default().codec(Codec::None);
    x.to_zarr_with(&path, &how).unwrap();
    let expected_all = x.compute().unwrap();

    let store = Arc::new(ZarrStore::<f64>::open(&path).unwrap());
    let stored = from_store::<f64>(store.clone(), "x", None);
    let rows = scrambled_rows(64, 64);
    assert!(!rows.is_sorted());
    let list: Vec<isize> = rows.iter().map(|&r| r as isize).collect();
    let taken = stored.take(&list, 0);
    let before = store.io_counters().chunks_read;
    let got = taken.compute().unwrap();
    let reads = store.io_counters().chunks_read - before;

    assert_eq!(got, expected_all.select(Axis(0), &rows));
    // each output block (rows grouped as the output chunks say) reads the input chunks
    // its rows fall in, once
    let mut bound = 0;
    let mut at = 0;
    for &len in &taken.chunks().as_vecs()[0] {
        let mut chunks: Vec<usize> = rows[at..at + len].iter().map(|r| r / 16).collect();
        chunks.sort_unstable();
        chunks.dedup();
        bound += chunks.len();
        at += len;
    }
    assert!(
        reads <= bound as u64,
        "{reads} chunk reads, at most {bound} needed"
    );
    // 64 rows of 4096 fit four input chunks' elements: one output block, so each of the
    // four input chunks is read exactly once (with blocks of 16 rows, up to four times)
    assert_eq!(taken.chunks().as_vecs()[0], vec![64]);
    assert_eq!(reads, 4, "each input chunk read once");
    // tile by tile in output order it was one read per row that changes chunk
    assert!(
        bound < 40,
        "the test needs fewer reads than rows: bound {bound}"
    );

    // the same rows sorted give the same values, sorted
    let mut sorted = rows.clone();
    sorted.sort_unstable();
    let list: Vec<isize> = sorted.iter().map(|&r| r as isize).collect();
    let got = stored.take(&list, 0).compute().unwrap();
    assert_eq!(got, expected_all.select(Axis(0), &sorted));
}

#[test]
fn unsorted_takes_along_any_axis_match_ndarray() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("y.zarr");
    let x = spillway::random::default_rng(5).random([30, 20, 12], [7, 6, 5]);
    x.to_zarr(&path).unwrap();
    let expected = x.compute().unwrap();
    let stored = spillway::from_zarr::<f64>(&path);
    for axis in 0..3 {
        let extent = x.shape()[axis];
        let rows: Vec<usize> = (0..2 * extent)
            .map(|i| (i * 7 + 3) % extent)
            .rev()
            .collect();
        let list: Vec<isize> = rows.iter().map(|&r| r as isize).collect();
        let got = stored.take(&list, axis as isize).compute().unwrap();
        assert_eq!(got, expected.select(Axis(axis), &rows), "axis {axis}");
        // after a slice, and with a reduction after
        let sliced = [28, 20, 9][axis];
        let few: Vec<usize> = rows.iter().take(9).map(|&r| r % sliced).collect();
        let list: Vec<isize> = few.iter().map(|&r| r as isize).collect();
        let part = stored
            .index(spillway::s![1..29, .., 2..11])
            .take(&list, axis as isize)
            .sum_axis(0)
            .compute()
            .unwrap();
        let reference = expected
            .slice(ndarray::s![1..29, .., 2..11])
            .select(Axis(axis), &few)
            .sum_axis(Axis(0));
        let close = part
            .iter()
            .zip(reference.iter())
            .all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs().max(1.0));
        assert!(close, "axis {axis}");
    }
}
