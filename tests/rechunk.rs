//! `rechunk` against the values it started from: random arrays (any region on the fly)
//! and store-backed arrays (whole chunks), direct and staged through an intermediate.

mod common;

use common::chunking;
use proptest::prelude::*;
use spillway::array::rechunk::read_amplification;
use spillway::array::stored::{StoreOptions, from_store};
use spillway::store::{ChunkStore, StoreError, chunk_extent};
use spillway::{Chunks, random};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A chunk store in memory that counts the chunks read.
struct CountingStore {
    shape: Vec<usize>,
    chunk_shape: Vec<usize>,
    chunks: Mutex<HashMap<Vec<usize>, Vec<f64>>>,
    reads: AtomicUsize,
}

impl CountingStore {
    fn new(shape: &[usize], chunk_shape: &[usize]) -> Arc<Self> {
        Arc::new(CountingStore {
            shape: shape.to_vec(),
            chunk_shape: chunk_shape.to_vec(),
            chunks: Mutex::new(HashMap::new()),
            reads: AtomicUsize::new(0),
        })
    }
}

impl ChunkStore<f64> for CountingStore {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn chunk_shape(&self) -> &[usize] {
        &self.chunk_shape
    }
    fn read_chunk(&self, index: &[usize], out: &mut [f64]) -> Result<(), StoreError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        out.copy_from_slice(&self.chunks.lock().unwrap()[index]);
        Ok(())
    }
    fn write_chunk(&self, index: &[usize], data: &[f64]) -> Result<(), StoreError> {
        let n: usize = chunk_extent(&self.shape, &self.chunk_shape, index)
            .iter()
            .product();
        assert_eq!(n, data.len(), "chunk {index:?} written whole");
        self.chunks
            .lock()
            .unwrap()
            .insert(index.to_vec(), data.to_vec());
        Ok(())
    }
    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        Ok(self.chunks.lock().unwrap().contains_key(index))
    }
    fn location(&self) -> String {
        "memory".into()
    }
}

fn stored_random(
    shape: &[usize],
    chunk_shape: &[usize],
) -> (Arc<CountingStore>, spillway::Array<f64>) {
    let store = CountingStore::new(shape, chunk_shape);
    random::random(shape.to_vec(), 7)
        .store(store.clone(), StoreOptions::default())
        .unwrap();
    let x = from_store::<f64>(store.clone(), "from-store", None);
    (store, x)
}

#[test]
fn rows_to_columns_of_a_stored_array_is_staged_and_reads_each_chunk_once() {
    let (store, x) = stored_random(&[60, 60], &[6, 60]);
    let want = x.compute().unwrap();
    store.reads.store(0, Ordering::Relaxed);
    let y = x.rechunk([60, 6]);
    assert!(read_amplification(x.chunks(), y.chunks()) >= 10.0);
    let (got, report) = y.compute_with_report().unwrap();
    assert_eq!(got, want);
    // staged: one stage writes the intermediate, the output reads it
    assert_eq!(report.stages.len(), 2, "{report:?}");
    let reads = store.reads.load(Ordering::Relaxed);
    assert!(
        (10..=20).contains(&reads),
        "each input chunk read once per worker at most: {reads}"
    );
}

#[test]
fn an_off_by_one_rechunk_of_a_stored_array_is_direct_and_reads_little() {
    let (store, x) = stored_random(&[2000], &[1000]);
    let want = x.compute().unwrap();
    store.reads.store(0, Ordering::Relaxed);
    let y = x.rechunk(999);
    assert_eq!(y.chunks().to_string(), "((999, 999, 2),)");
    let (got, report) = y.compute_with_report().unwrap();
    assert_eq!(got, want);
    assert_eq!(report.stages.len(), 1, "direct: no staging stage");
    // output blocks read input blocks 0 | 0,1 | 1
    let reads = store.reads.load(Ordering::Relaxed);
    assert!((2..=4).contains(&reads), "{reads}");
}

#[test]
fn rechunk_then_reduce_after_staging() {
    let (_, x) = stored_random(&[40, 30], &[4, 30]);
    let y = x.rechunk([40, 3]);
    let want = x.compute().unwrap().sum_axis(ndarray::Axis(0));
    let got = y.sum_axis(0).compute().unwrap();
    for (a, b) in got.iter().zip(want.iter()) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
}

#[test]
fn amplification_reuses_the_chunk_last_read() {
    let a = Chunks::from_lengths(vec![vec![1000, 1000]]);
    let b = Chunks::from_lengths(vec![vec![999, 999, 2]]);
    assert_eq!(read_amplification(&a, &b), 1.0);
    // columns of a row-chunked array: every output chunk walks every row chunk
    let rows = Chunks::from_lengths(vec![vec![3; 4], vec![12]]);
    let cols = Chunks::from_lengths(vec![vec![12], vec![3; 4]]);
    assert_eq!(read_amplification(&rows, &cols), 4.0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn rechunk_of_random_values_keeps_every_bit(
        (shape, from, to) in proptest::collection::vec(0usize..9, 1..4).prop_flat_map(|shape| {
            (Just(shape.clone()), chunking(&shape), chunking(&shape))
        })
    ) {
        let x = random::random(shape.clone(), from);
        let y = x.rechunk(to.clone());
        prop_assert_eq!(y.chunks().as_vecs(), &to[..]);
        prop_assert_eq!(y.compute().unwrap(), x.compute().unwrap());
    }

    #[test]
    fn rechunk_of_stored_values_keeps_every_bit(
        (shape, chunk_shape, to) in proptest::collection::vec(1usize..12, 1..4).prop_flat_map(|shape| {
            let chunk_shape: Vec<BoxedStrategy<usize>> = shape.iter().map(|&n| (1..=n).boxed()).collect();
            (Just(shape.clone()), chunk_shape, chunking(&shape))
        })
    ) {
        let (_, x) = stored_random(&shape, &chunk_shape);
        let want = x.compute().unwrap();
        prop_assert_eq!(x.rechunk(to).compute().unwrap(), want);
    }
}
