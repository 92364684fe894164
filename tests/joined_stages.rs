//! Reductions over different selections of one stored array (a climatology's monthly
//! means) run as one joined stage: each stored chunk is read once however many of the
//! reductions need it, while the answers are the same bits as stage by stage. Under a
//! budget too small for the joined stage, the reductions run one by one as before.

use ndarray::{ArrayD, Axis, IxDyn};
use proptest::prelude::*;
use spillway::array::stored::from_store;
use spillway::graph::plan::compute_many;
use spillway::store::{ChunkStore, MemoryStore, StoreError};
use spillway::{Array, Client, s};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A memory store that counts chunk reads.
struct Counting {
    inner: MemoryStore<f64>,
    reads: AtomicU64,
}

impl ChunkStore<f64> for Counting {
    fn shape(&self) -> &[usize] {
        self.inner.shape()
    }
    fn chunk_shape(&self) -> &[usize] {
        self.inner.chunk_shape()
    }
    fn read_chunk(&self, index: &[usize], out: &mut [f64]) -> Result<(), StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_chunk(index, out)
    }
    fn write_chunk(&self, index: &[usize], data: &[f64]) -> Result<(), StoreError> {
        self.inner.write_chunk(index, data)
    }
    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        self.inner.contains_chunk(index)
    }
    fn location(&self) -> String {
        "counting".into()
    }
}

fn client(threads: usize, limit: &str) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit(limit)
        .build()
        .unwrap()
}

/// `values` (rows x cols) in a counting store chunked `chunk` rows at a time.
fn stored(values: &ArrayD<f64>, chunk: usize) -> (Arc<Counting>, Array<f64>) {
    let shape = values.shape().to_vec();
    let store = Arc::new(Counting {
        inner: MemoryStore::new(&shape, &[chunk, shape[1]], 0.0),
        reads: AtomicU64::new(0),
    });
    for (k, rows) in values.axis_chunks_iter(Axis(0), chunk).enumerate() {
        let data: Vec<f64> = rows.iter().copied().collect();
        store.inner.write_chunk(&[k, 0], &data).unwrap();
    }
    let x = from_store(store.clone() as Arc<dyn ChunkStore<f64>>, "x", None);
    (store, x)
}

/// Whole numbers (sums exact in any order) with no two rows alike, so a row taken twice
/// or missed shows; `frac` adds fractions, whose sums depend on the order of additions.
fn values(rows: usize, cols: usize, frac: bool) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| {
        let whole = ((i[0] * 7919 + i[1] * 104729) % 1000) as f64;
        if frac {
            whole / 7.0 + 1e-3 * i[0] as f64
        } else {
            whole
        }
    })
}

/// The sum over each run of `lens` consecutive rows ("months"), one reduction each.
fn monthly_sums(x: &Array<f64>, lens: &[usize]) -> Vec<Array<f64>> {
    let mut start = 0;
    lens.iter()
        .map(|&n| {
            let month = x.index(s![start..start + n, ..]);
            start += n;
            month.sum_axis(0)
        })
        .collect()
}

fn run(
    sums: &[Array<f64>],
    client: &Client,
) -> (Vec<ArrayD<f64>>, spillway::exec::report::RunReport) {
    let exprs: Vec<_> = sums.iter().map(|s| s.expr()).collect();
    compute_many(&exprs, client).unwrap()
}

#[test]
fn monthly_means_read_each_stored_chunk_once() {
    // 48 rows in chunks of 3; twelve months of 4 rows, so most months span two chunks
    // and most chunks hold two months
    let v = values(48, 6, false);
    let (store, x) = stored(&v, 3);
    let lens = [4; 12];
    let client = client(2, "64MB");
    let (got, report) = run(&monthly_sums(&x, &lens), &client);
    for (k, sum) in got.iter().enumerate() {
        let want = v
            .slice_axis(Axis(0), (4 * k..4 * k + 4).into())
            .sum_axis(Axis(0));
        assert_eq!(sum, &want, "month {k}");
    }
    assert_eq!(store.reads.load(Ordering::SeqCst), 16, "{report}");
    assert_eq!(report.stages.len(), 1, "one joined stage: {report}");
    assert_eq!(report.stages[0].label, "sum x12");
    assert!(report.peak_reserved_bytes <= report.budget_bytes);
    client.close();
}

#[test]
fn under_a_small_budget_the_reductions_run_one_by_one_with_the_same_bits() {
    let v = values(48, 6, false);
    let lens = [4; 12];
    let joined = {
        let (_, x) = stored(&v, 3);
        let client = client(2, "64MB");
        let (got, report) = run(&monthly_sums(&x, &lens), &client);
        assert_eq!(report.stages.len(), 1);
        client.close();
        got
    };
    // room for one month's stage and its results, not for twelve joined
    let (store, x) = stored(&v, 3);
    let client = client(2, "400KB");
    let (alone, report) = run(&monthly_sums(&x, &lens), &client);
    assert!(report.stages.len() > 1, "{report}");
    assert!(store.reads.load(Ordering::SeqCst) > 16);
    assert!(report.peak_reserved_bytes <= report.budget_bytes);
    assert_eq!(joined, alone);
    client.close();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn joined_or_not_the_answers_are_the_same_bits(
        chunk in 1usize..7,
        lens in proptest::collection::vec(1usize..9, 1..8),
        threads in 1usize..4,
    ) {
        let rows: usize = lens.iter().sum();
        let v = values(rows, 5, true);
        let (store, x) = stored(&v, chunk);
        let big = client(threads, "64MB");
        let (got, report) = run(&monthly_sums(&x, &lens), &big);
        big.close();
        let mut start = 0;
        for (k, &n) in lens.iter().enumerate() {
            let want = v.slice_axis(Axis(0), (start..start + n).into()).sum_axis(Axis(0));
            for (g, w) in got[k].iter().zip(want.iter()) {
                prop_assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "month {}: {} vs {}", k, g, w);
            }
            start += n;
        }
        // the same bits as the reductions run one by one (a budget with no room to join)
        let (alone_store, x) = stored(&v, chunk);
        let small = client(threads, "400KB");
        let (alone, alone_report) = run(&monthly_sums(&x, &lens), &small);
        small.close();
        prop_assert!(alone_report.stages.len() >= report.stages.len());
        prop_assert_eq!(got, alone);
        // joining never reads more
        prop_assert!(store.reads.load(Ordering::SeqCst) <= alone_store.reads.load(Ordering::SeqCst));
    }
}
