//! An LRU cache of decoded chunks, sized in bytes and charged to the memory budget.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::{ChunkStore, StoreError};
use crate::dtype::Element;
use crate::memory::{MemoryBudget, ReclaimOrder, Reclaimer, ReclaimerRegistration, Reservation};

/// What a [`ChunkCache`] has done so far.
///
/// ```
/// assert_eq!(spillway::store::CacheStats::default().hits, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Gets answered from the cache.
    pub hits: u64,
    /// Gets that read the store.
    pub misses: u64,
    /// Chunks dropped to make room (for the cache's own capacity or for the budget).
    pub evictions: u64,
    /// Chunks held now.
    pub entries: u64,
    /// Bytes held (and reserved from the budget) now.
    pub bytes: u64,
}

type Loading<T> = Arc<OnceLock<Result<Arc<[T]>, StoreError>>>;

struct Entry<T> {
    data: Arc<[T]>,
    tick: u64,
}

struct State<T> {
    entries: HashMap<Vec<usize>, Entry<T>>,
    /// Least recently used first.
    order: BTreeMap<u64, Vec<usize>>,
    tick: u64,
    used: u64,
    /// Bumped by every write: a chunk read before a write is not cached after it.
    epoch: u64,
    reservation: Reservation,
}

impl<T: Element> State<T> {
    /// Drops the least recently used chunk; returns its bytes (0 when empty).
    fn evict_one(&mut self) -> u64 {
        let Some((_, key)) = self.order.pop_first() else {
            return 0;
        };
        let bytes = self
            .entries
            .remove(&key)
            .map_or(0, |e| size_of_val(&*e.data) as u64);
        self.used -= bytes;
        self.reservation.shrink(bytes);
        bytes
    }

    fn remove(&mut self, key: &[usize]) {
        if let Some(e) = self.entries.remove(key) {
            self.order.remove(&e.tick);
            let bytes = size_of_val(&*e.data) as u64;
            self.used -= bytes;
            self.reservation.shrink(bytes);
        }
    }
}

struct Inner<T: Element> {
    store: Arc<dyn ChunkStore<T>>,
    capacity: u64,
    state: Mutex<State<T>>,
    loading: Mutex<HashMap<Vec<usize>, Loading<T>>>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl<T: Element> Reclaimer for Inner<T> {
    fn order(&self) -> ReclaimOrder {
        ReclaimOrder::EvictClean
    }

    fn reclaim(&self, bytes: u64) -> u64 {
        // runs on a thread that needs memory: never wait for the cache's lock
        let Ok(mut state) = self.state.try_lock() else {
            return 0;
        };
        let mut freed = 0;
        while freed < bytes {
            let b = state.evict_one();
            if b == 0 && state.entries.is_empty() {
                break;
            }
            self.evictions.fetch_add(1, Ordering::Relaxed);
            freed += b;
        }
        freed
    }
}

/// An LRU cache of decoded chunks in front of any store, holding at most `capacity`
/// bytes, every one of them reserved from a [`MemoryBudget`] (consumer
/// `"chunk cache <location>"`). When the budget is short it evicts its own least recently
/// used chunks, and when still short it hands the chunk out without keeping it. Other
/// reservations of the budget that cannot grow make it give chunks back (it is a
/// [`Reclaimer`] of order [`ReclaimOrder::EvictClean`]).
///
/// Concurrent gets of the same missing chunk read it once. Writes go through to the
/// store and drop the cached copy. A chunk handed out stays alive while its `Arc` does,
/// even after eviction (the budget no longer counts it then).
///
/// ```
/// use std::sync::Arc;
/// use spillway::MemoryBudget;
/// use spillway::store::{ChunkCache, ChunkStore, MemoryStore};
///
/// let store = Arc::new(MemoryStore::<f64>::new(&[8], &[4], 0.0));
/// store.write_chunk(&[1], &[1.0, 2.0, 3.0, 4.0]).unwrap();
/// let budget = MemoryBudget::new(1 << 20);
/// let cache = ChunkCache::new(store, 32, &budget); // room for one chunk of 4 f64
/// assert_eq!(&*cache.get(&[1]).unwrap(), &[1.0, 2.0, 3.0, 4.0]);
/// cache.get(&[1]).unwrap();
/// cache.get(&[0]).unwrap(); // evicts chunk 1
/// let s = cache.stats();
/// assert_eq!((s.hits, s.misses, s.evictions, s.bytes), (1, 2, 1, 32));
/// assert_eq!(budget.reserved(), 32);
/// ```
pub struct ChunkCache<T: Element> {
    inner: Arc<Inner<T>>,
    _registration: ReclaimerRegistration,
}

impl<T: Element> std::fmt::Debug for ChunkCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkCache")
            .field("location", &self.inner.store.location())
            .field("capacity", &self.inner.capacity)
            .field("stats", &self.stats())
            .finish()
    }
}

impl<T: Element> ChunkCache<T> {
    /// A cache of at most `capacity_bytes` of decoded chunks of `store`, charged to `budget`.
    pub fn new(store: Arc<dyn ChunkStore<T>>, capacity_bytes: u64, budget: &MemoryBudget) -> Self {
        let reservation = budget
            .consumer(format!("chunk cache {}", store.location()))
            .register();
        let inner = Arc::new(Inner {
            store,
            capacity: capacity_bytes,
            state: Mutex::new(State {
                entries: HashMap::new(),
                order: BTreeMap::new(),
                tick: 0,
                used: 0,
                epoch: 0,
                reservation,
            }),
            loading: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        });
        let registration = budget.register_reclaimer(inner.clone());
        ChunkCache {
            inner,
            _registration: registration,
        }
    }

    /// Chunk `index`, decoded, from the cache or read from the store (and kept when it fits).
    pub fn get(&self, index: &[usize]) -> Result<Arc<[T]>, StoreError> {
        let inner = &self.inner;
        if let Some(hit) = self.lookup(index) {
            inner.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        let slot: Loading<T> = inner
            .loading
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(index.to_vec())
            .or_default()
            .clone();
        let mut loaded_here = false;
        let result = slot
            .get_or_init(|| {
                loaded_here = true;
                inner.misses.fetch_add(1, Ordering::Relaxed);
                let epoch = inner
                    .state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .epoch;
                let data = self.read(index)?;
                self.insert(index, &data, epoch);
                Ok(data)
            })
            .clone();
        if loaded_here {
            let mut loading = inner.loading.lock().unwrap_or_else(PoisonError::into_inner);
            if loading.get(index).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                loading.remove(index);
            }
        } else {
            inner.hits.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// The counters and what the cache holds now.
    pub fn stats(&self) -> CacheStats {
        let (entries, bytes) = {
            let s = self
                .inner
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            (s.entries.len() as u64, s.used)
        };
        CacheStats {
            hits: self.inner.hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
            evictions: self.inner.evictions.load(Ordering::Relaxed),
            entries,
            bytes,
        }
    }

    /// Drops every cached chunk and gives its bytes back to the budget.
    pub fn clear(&self) {
        let mut s = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while s.evict_one() > 0 || !s.entries.is_empty() {}
    }

    /// The store behind the cache.
    pub fn store(&self) -> &Arc<dyn ChunkStore<T>> {
        &self.inner.store
    }

    fn lookup(&self, index: &[usize]) -> Option<Arc<[T]>> {
        let mut s = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        s.tick += 1;
        let tick = s.tick;
        let entry = s.entries.get_mut(index)?;
        let old = std::mem::replace(&mut entry.tick, tick);
        let data = entry.data.clone();
        s.order.remove(&old);
        s.order.insert(tick, index.to_vec());
        Some(data)
    }

    fn read(&self, index: &[usize]) -> Result<Arc<[T]>, StoreError> {
        let store = &self.inner.store;
        let n: usize = super::chunk_extent(store.shape(), store.chunk_shape(), index)
            .iter()
            .product();
        let mut data: Arc<[T]> = std::iter::repeat_n(T::default(), n).collect();
        let out = Arc::get_mut(&mut data).expect("a fresh Arc is unique");
        store.read_chunk(index, out)?;
        Ok(data)
    }

    /// Keeps `data`, read when the write epoch was `epoch`, if no write came since and it
    /// fits the capacity and the budget.
    fn insert(&self, index: &[usize], data: &Arc<[T]>, epoch: u64) {
        let bytes = size_of_val(&**data) as u64;
        if bytes > self.inner.capacity {
            return;
        }
        let mut s = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if s.epoch != epoch || s.entries.contains_key(index) {
            return;
        }
        while s.used + bytes > self.inner.capacity && !s.entries.is_empty() {
            s.evict_one();
            self.inner.evictions.fetch_add(1, Ordering::Relaxed);
        }
        while s.reservation.try_grow(bytes).is_err() {
            if s.entries.is_empty() {
                return; // no room in the budget: hand the chunk out uncached
            }
            s.evict_one();
            self.inner.evictions.fetch_add(1, Ordering::Relaxed);
        }
        s.tick += 1;
        let tick = s.tick;
        s.used += bytes;
        s.order.insert(tick, index.to_vec());
        s.entries.insert(
            index.to_vec(),
            Entry {
                data: data.clone(),
                tick,
            },
        );
    }
}

impl<T: Element> Reclaimer for ChunkCache<T> {
    fn order(&self) -> ReclaimOrder {
        ReclaimOrder::EvictClean
    }

    fn reclaim(&self, bytes: u64) -> u64 {
        self.inner.reclaim(bytes)
    }
}

impl<T: Element> ChunkStore<T> for ChunkCache<T> {
    fn shape(&self) -> &[usize] {
        self.inner.store.shape()
    }

    fn chunk_shape(&self) -> &[usize] {
        self.inner.store.chunk_shape()
    }

    fn read_chunk(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError> {
        let store = &self.inner.store;
        super::checked_extent(
            &store.location(),
            store.shape(),
            store.chunk_shape(),
            index,
            out.len(),
        )?;
        out.copy_from_slice(&self.get(index)?);
        Ok(())
    }

    fn write_chunk(&self, index: &[usize], data: &[T]) -> Result<(), StoreError> {
        let r = self.inner.store.write_chunk(index, data);
        let mut s = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        s.epoch += 1;
        s.remove(index);
        r
    }

    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        // not from the cache: a chunk never written is cached as its fill value
        self.inner.store.contains_chunk(index)
    }

    fn location(&self) -> String {
        self.inner.store.location()
    }

    fn local_path(&self) -> Option<&std::path::Path> {
        self.inner.store.local_path()
    }

    fn io_scratch_bytes(&self) -> u64 {
        self.inner.store.io_scratch_bytes()
    }

    fn will_need(&self, index: &[usize]) {
        self.inner.store.will_need(index);
    }
}
