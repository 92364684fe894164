//! `x + x.T` over stored chunks: tasks `(i, j)` and `(j, i)` run side by side and share
//! the chunks both read, so each chunk is read once; the values equal ndarray's and the
//! same expression over an array that is not stored (computed in block order), bit for
//! bit, whatever the chunking and threads.

use ndarray::ArrayD;
use proptest::prelude::*;
use spillway::array::stored::{StoreOptions, from_store};
use spillway::store::{ChunkStore, MemoryStore, MetricsStore};
use spillway::{Array, Client, random};
use std::sync::Arc;

type Counted = Arc<MetricsStore<MemoryStore<f64>>>;

/// An `n x n` random array stored in `c x c` chunks: the store, the stored array and the
/// values.
fn stored(n: usize, c: usize, seed: u64) -> (Counted, Array<f64>, ArrayD<f64>) {
    let values = random::default_rng(seed).random([n, n], c);
    let store: Counted = Arc::new(MetricsStore::new(MemoryStore::new(&[n, n], &[c, c], 0.0)));
    values
        .store(store.clone(), StoreOptions::default())
        .unwrap();
    let x = from_store(store.clone() as Arc<dyn ChunkStore<f64>>, "x", None);
    (store, x, values.compute().unwrap())
}

/// The tests of this file one at a time: `store` runs on the current client, which is
/// the one built last by any test.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn client(threads: usize) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit("256MB")
        .build()
        .unwrap()
}

#[test]
fn each_chunk_is_read_once_by_sum_store_and_compute() {
    let _alone = alone();
    let client = client(1);
    let (store, x, values) = stored(64, 8, 3); // 8 x 8 = 64 chunks
    let want = &values + &values.t();
    let y = &x + &x.t();

    let before = store.snapshot().chunks_read;
    let sum = y.sum().compute_on(&client).unwrap();
    assert_eq!(
        store.snapshot().chunks_read - before,
        64,
        "the sum reads each chunk once"
    );
    let expected = (&random::default_rng(3).random([64, 64], 8)
        + &random::default_rng(3).random([64, 64], 8).t())
        .sum()
        .compute_on(&client)
        .unwrap();
    assert_eq!(sum, expected, "same bits as the block-order computation");

    let before = store.snapshot().chunks_read;
    assert_eq!(y.compute_on(&client).unwrap(), want);
    assert_eq!(
        store.snapshot().chunks_read - before,
        64,
        "compute reads each once"
    );

    let target: Counted = Arc::new(MetricsStore::new(MemoryStore::new(&[64, 64], &[8, 8], 0.0)));
    let before = store.snapshot().chunks_read;
    y.store(target.clone(), StoreOptions::default()).unwrap();
    assert_eq!(
        store.snapshot().chunks_read - before,
        64,
        "store reads each once"
    );
    let back = from_store(target as Arc<dyn ChunkStore<f64>>, "y", None);
    assert_eq!(back.compute_on(&client).unwrap(), want);
    drop(client);
}

#[test]
fn chunks_that_do_not_pair_still_give_the_right_values() {
    // x.T's chunks are (8, 4) where x's are (4, 8): no pairing, direct reads
    let _alone = alone();
    let client = client(2);
    let values = random::default_rng(5).random([16, 16], [4, 8]);
    let store: Counted = Arc::new(MetricsStore::new(MemoryStore::new(&[16, 16], &[4, 8], 0.0)));
    values
        .store(store.clone(), StoreOptions::default())
        .unwrap();
    let x = from_store(store as Arc<dyn ChunkStore<f64>>, "x", None);
    let want = values.compute().unwrap();
    let got = (&x + &x.t()).compute_on(&client).unwrap();
    assert_eq!(got, &want + &want.t());
    drop(client);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn paired_tasks_match_ndarray_and_block_order(
        n in 1usize..40,
        c in 1usize..12,
        threads in 1usize..4,
        seed in 0u64..1000,
    ) {
        let _alone = alone();
        let client = client(threads);
        let (_store, x, values) = stored(n, c, seed);
        let y = &x + &x.t();
        prop_assert_eq!(y.compute_on(&client).unwrap(), &values + &values.t());
        let unstored = random::default_rng(seed).random([n, n], c);
        let sums = |a: &Array<f64>| {
            (
                a.sum().compute_on(&client).unwrap(),
                a.sum_axis(0).compute_on(&client).unwrap(),
            )
        };
        prop_assert_eq!(sums(&y), sums(&(&unstored + &unstored.t())));
        drop(client);
    }
}
