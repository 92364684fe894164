//! The in-memory store, the LRU chunk cache and the metrics adapter: conformance checks
//! (over memory and zarr stores), LRU order, capacity, budget charging and reclaiming,
//! single reads of a chunk wanted by many threads, write-through, counters; a property
//! test that a cache of any size always reads what the store holds.

mod store_conformance;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use spillway::MemoryBudget;
use spillway::store::zarr::{ZarrOptions, ZarrStore};
use spillway::store::{ChunkCache, ChunkStore, MemoryStore, MetricsStore, StoreError};
use store_conformance::{TempDir, conformance};

#[test]
fn memory_store_passes_the_conformance_checks() {
    conformance(|shape, chunk| MemoryStore::<f64>::new(shape, chunk, 0.0));
}

#[test]
fn metrics_store_passes_the_conformance_checks() {
    conformance(|shape, chunk| MetricsStore::new(MemoryStore::<f64>::new(shape, chunk, 0.0)));
}

#[test]
fn caches_pass_the_conformance_checks() {
    let budget = MemoryBudget::new(1 << 20);
    for capacity in [0, 16, 100, 1 << 20] {
        conformance(|shape, chunk| {
            ChunkCache::new(
                Arc::new(MemoryStore::<f64>::new(shape, chunk, 0.0)),
                capacity,
                &budget,
            )
        });
    }
    let dir = TempDir::new("cache-zarr");
    let n = AtomicU64::new(0);
    conformance(|shape, chunk| {
        let path = dir
            .path()
            .join(format!("{}.zarr", n.fetch_add(1, Ordering::Relaxed)));
        let z = ZarrStore::<f64>::create(&path, shape, chunk, &ZarrOptions::default()).unwrap();
        ChunkCache::new(Arc::new(MetricsStore::new(z)), 64, &budget)
    });
    assert_eq!(budget.reserved(), 0); // every cache gave its bytes back when dropped
}

/// A store that counts reads and can be slowed down.
struct Counting {
    inner: MemoryStore<f64>,
    reads: AtomicU64,
    delay_ms: u64,
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
        std::thread::sleep(std::time::Duration::from_millis(self.delay_ms));
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

/// Ten chunks of four f64 (32 bytes each); chunk i holds i, i, i, i.
fn counting(delay_ms: u64) -> Arc<Counting> {
    let inner = MemoryStore::new(&[40], &[4], 0.0);
    for i in 0..10 {
        inner.write_chunk(&[i], &[i as f64; 4]).unwrap();
    }
    Arc::new(Counting {
        inner,
        reads: AtomicU64::new(0),
        delay_ms,
    })
}

#[test]
fn the_least_recently_used_chunk_goes_first() {
    let store = counting(0);
    let budget = MemoryBudget::new(1 << 20);
    let cache = ChunkCache::new(store.clone(), 3 * 32, &budget);
    for i in [0, 1, 2, 0, 3] {
        assert_eq!(&*cache.get(&[i]).unwrap(), &[i as f64; 4]);
    }
    // 1 was least recently used when 3 came in
    assert_eq!(store.reads.load(Ordering::SeqCst), 4);
    cache.get(&[0]).unwrap();
    cache.get(&[2]).unwrap();
    assert_eq!(store.reads.load(Ordering::SeqCst), 4);
    cache.get(&[1]).unwrap();
    assert_eq!(store.reads.load(Ordering::SeqCst), 5);
    let s = cache.stats();
    assert_eq!(
        (s.hits, s.misses, s.evictions, s.entries, s.bytes),
        (3, 5, 2, 3, 96)
    );
    assert_eq!(budget.reserved(), 96);
    cache.clear();
    assert_eq!(budget.reserved(), 0);
    assert_eq!(cache.stats().entries, 0);
}

#[test]
fn a_short_budget_evicts_then_stops_caching() {
    let store = counting(0);
    let budget = MemoryBudget::new(64);
    let mut other = budget.consumer("task").register();
    let cache = ChunkCache::new(store.clone(), 1 << 20, &budget);
    cache.get(&[0]).unwrap();
    cache.get(&[1]).unwrap();
    assert_eq!(budget.reserved(), 64);
    cache.get(&[2]).unwrap(); // the budget is full: evicts chunk 0 to make room
    assert_eq!(cache.stats().entries, 2);
    assert_eq!(budget.reserved(), 64);
    // another consumer's grow makes the cache give memory back (clean evictions)
    other.try_grow(40).unwrap();
    assert!(cache.stats().bytes <= 24);
    assert_eq!(budget.reserved(), 40 + cache.stats().bytes);
    other.try_grow(24).unwrap();
    assert_eq!(cache.stats().entries, 0);
    // no room at all: chunks are handed out uncached, still correct
    assert_eq!(&*cache.get(&[5]).unwrap(), &[5.0; 4]);
    assert_eq!(cache.stats().entries, 0);
    let reads = store.reads.load(Ordering::SeqCst);
    cache.get(&[5]).unwrap();
    assert_eq!(store.reads.load(Ordering::SeqCst), reads + 1);
    drop(other);
    cache.get(&[5]).unwrap();
    assert_eq!(cache.stats().entries, 1);
}

#[test]
fn a_chunk_larger_than_the_capacity_is_not_cached() {
    let store = counting(0);
    let budget = MemoryBudget::new(1 << 20);
    let cache = ChunkCache::new(store.clone(), 31, &budget);
    cache.get(&[1]).unwrap();
    cache.get(&[1]).unwrap();
    assert_eq!(store.reads.load(Ordering::SeqCst), 2);
    assert_eq!(budget.reserved(), 0);
}

#[test]
fn concurrent_gets_of_one_missing_chunk_read_it_once() {
    let store = counting(50);
    let budget = MemoryBudget::new(1 << 20);
    let cache = ChunkCache::new(store.clone(), 1 << 20, &budget);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| assert_eq!(&*cache.get(&[7]).unwrap(), &[7.0; 4]));
        }
    });
    assert_eq!(store.reads.load(Ordering::SeqCst), 1);
    let st = cache.stats();
    assert_eq!((st.hits + st.misses, st.misses), (8, 1));
}

#[test]
fn writes_go_through_and_drop_the_cached_copy() {
    let store = counting(0);
    let budget = MemoryBudget::new(1 << 20);
    let cache = ChunkCache::new(store.clone(), 1 << 20, &budget);
    cache.get(&[3]).unwrap();
    cache.write_chunk(&[3], &[9.0; 4]).unwrap();
    let mut out = [0.0; 4];
    store.read_chunk(&[3], &mut out).unwrap();
    assert_eq!(out, [9.0; 4]);
    cache.read_chunk(&[3], &mut out).unwrap();
    assert_eq!(out, [9.0; 4]);
    assert_eq!(cache.location(), "counting");
    assert!(cache.write_chunk(&[3], &[1.0]).is_err());
    assert!(cache.get(&[99]).is_err());
}

#[test]
fn metrics_count_chunks_bytes_and_errors() {
    let m = MetricsStore::new(MemoryStore::<i32>::new(&[10], &[4], 0));
    m.write_chunk(&[0], &[1, 2, 3, 4]).unwrap();
    m.write_chunk(&[2], &[5, 6]).unwrap();
    let mut out = [0; 4];
    m.read_chunk(&[0], &mut out).unwrap();
    m.read_chunk(&[1], &mut out).unwrap();
    assert!(m.read_chunk(&[3], &mut out).is_err());
    let s = m.snapshot();
    assert_eq!(
        (
            s.chunks_written,
            s.bytes_written,
            s.chunks_read,
            s.bytes_read,
            s.errors
        ),
        (2, 24, 2, 32, 1)
    );
    assert_eq!(m.inner().len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of reads and writes through a cache of any capacity reads exactly
    /// what a plain store given the same writes reads, and the budget holds only what
    /// the cache holds.
    #[test]
    fn a_cache_reads_what_the_store_holds(
        capacity in 0u64..200,
        budget_bytes in 0u64..200,
        ops in proptest::collection::vec((0usize..6, any::<bool>(), -5i64..5), 0..60),
    ) {
        let budget = MemoryBudget::new(budget_bytes);
        let reference = MemoryStore::<i64>::new(&[11], &[2], 0);
        let cache = ChunkCache::new(Arc::new(MemoryStore::<i64>::new(&[11], &[2], 0)), capacity, &budget);
        for (chunk, write, value) in ops {
            let n = if chunk == 5 { 1 } else { 2 };
            if write {
                let data = vec![value; n];
                reference.write_chunk(&[chunk], &data).unwrap();
                cache.write_chunk(&[chunk], &data).unwrap();
            } else {
                let mut want = vec![0; n];
                reference.read_chunk(&[chunk], &mut want).unwrap();
                prop_assert_eq!(&*cache.get(&[chunk]).unwrap(), &want[..]);
            }
            let s = cache.stats();
            prop_assert!(s.bytes <= capacity && s.bytes <= budget_bytes);
            prop_assert_eq!(budget.reserved(), s.bytes);
        }
    }
}
