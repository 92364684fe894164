//! [`SpillableStore`]: a chunk store for intermediates that spills under memory pressure.
//!
//! Chunks live in memory, each charged to the budget through its own [`Reservation`] of
//! the consumer `"spillable <name>"` (which can spill). A write grows a fresh reservation
//! *without holding any of the store's locks*, so the budget is free to call back into
//! this store (its [`Reclaimer`], [`ReclaimOrder::Spill`]) to make room; when the budget
//! still says no, the chunk goes straight to the spill directory. Asked to reclaim, the
//! store writes its least recently used in-memory chunks to disk and drops their
//! reservations. Reads come from memory or are decoded from disk straight into the
//! caller's buffer. With spilling disabled (no [`SpillDir`]) the store is a budgeted
//! in-memory store whose failed grow is the budget's [`MemoryError`].
//!
//! Locking: one mutex guards the chunk table; it is held only for table lookups and
//! updates, never across I/O, a copy of chunk data or a reservation grow. So `reclaim`,
//! which runs on whichever thread needs memory (possibly one inside this store's own
//! `write_chunk`), can `try_lock` the table to pick victims without ever deadlocking.
//!
//! [`MemoryError`]: crate::memory::MemoryError

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::dtype::Element;
use crate::memory::{
    MemoryBudget, MemoryConsumer, ReclaimOrder, Reclaimer, ReclaimerRegistration, Reservation,
};
use crate::store::{ChunkStore, StoreError, chunk_extent, grid_shape};

use super::dir::{SpillDir, SpillFile};

/// Counters of one [`SpillableStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpillableStoreMetrics {
    /// Chunks held in memory now (including chunks being spilled).
    pub chunks_in_memory: u64,
    /// Bytes of those chunks (what the store's reservations hold).
    pub bytes_in_memory: u64,
    /// Chunks held on disk now.
    pub chunks_on_disk: u64,
    /// Bytes their spill files hold.
    pub disk_bytes_held: u64,
    /// Chunks written to disk so far (by reclaim or because a write did not fit).
    pub chunks_spilled: u64,
    /// Raw bytes of those chunks.
    pub bytes_spilled: u64,
    /// Bytes their spill files took on disk.
    pub disk_bytes_spilled: u64,
    /// Chunk reads served from disk.
    pub chunks_reread: u64,
    /// Raw bytes of those reads.
    pub bytes_reread: u64,
    /// Spills that failed during a reclaim (quota, disk full); the chunk stayed in memory.
    pub spill_failures: u64,
}

enum Slot<T> {
    Memory {
        data: Arc<Vec<T>>,
        reservation: Reservation,
        last_use: u64,
        version: u64,
    },
    Spilling {
        data: Arc<Vec<T>>,
        reservation: Reservation,
        version: u64,
    },
    Disk {
        file: Arc<SpillFile>,
    },
}

/// Where a read finds its chunk.
enum Source<T> {
    Memory(Arc<Vec<T>>),
    Disk(Arc<SpillFile>),
    Fill,
}

#[derive(Default)]
struct Counters {
    chunks_spilled: AtomicU64,
    bytes_spilled: AtomicU64,
    disk_bytes_spilled: AtomicU64,
    chunks_reread: AtomicU64,
    bytes_reread: AtomicU64,
    spill_failures: AtomicU64,
}

struct Inner<T: Element> {
    name: String,
    shape: Vec<usize>,
    chunk_shape: Vec<usize>,
    grid: Vec<usize>,
    consumer: MemoryConsumer,
    dir: Option<SpillDir>,
    slots: Mutex<HashMap<Vec<usize>, Slot<T>>>,
    clock: AtomicU64,
    counters: Counters,
    last_spill_error: Mutex<Option<StoreError>>,
}

/// A [`ChunkStore`] for intermediates: chunks in memory under a budget, spilled to a
/// [`SpillDir`] when the budget needs the memory back, read back bit-identical.
///
/// ```
/// use spillway::MemoryBudget;
/// use spillway::store::ChunkStore;
/// use spillway::store::spill::{SpillDir, SpillableStore};
///
/// // Room for two 8 KiB chunks of four.
/// let budget = MemoryBudget::new(20 << 10);
/// let store = SpillableStore::<f64>::new("x", &[4096], &[1024], &budget, Some(SpillDir::new().unwrap())).unwrap();
/// for c in 0..4 {
///     let chunk: Vec<f64> = (0..1024).map(|i| (c * 1024 + i) as f64).collect();
///     store.write_chunk(&[c], &chunk).unwrap();
/// }
/// assert!(budget.peak_reserved() <= 20 << 10);
/// assert!(store.metrics().chunks_spilled >= 2);
/// let mut out = vec![0.0; 1024];
/// store.read_chunk(&[0], &mut out).unwrap();
/// assert_eq!(out[5], 5.0);
/// ```
pub struct SpillableStore<T: Element> {
    inner: Arc<Inner<T>>,
    _registration: Option<ReclaimerRegistration>,
}

impl<T: Element> std::fmt::Debug for SpillableStore<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillableStore")
            .field("name", &self.inner.name)
            .field("shape", &self.inner.shape)
            .field("chunk_shape", &self.inner.chunk_shape)
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl<T: Element> SpillableStore<T> {
    /// A store named `name` for an array of `shape` in chunks of `chunk_shape`, holding
    /// chunks under `budget` and spilling them to `spill` (`None`: spilling disabled, a
    /// chunk that does not fit is a [`StoreError::Memory`] error).
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidSpillSetting`] when the chunk shape's rank differs from the
    /// shape's or a chunk length is 0 on a non-empty axis.
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use spillway::store::spill::SpillableStore;
    /// let budget = MemoryBudget::new(1 << 20);
    /// let err = SpillableStore::<f32>::new("y", &[10, 10], &[5], &budget, None).unwrap_err();
    /// assert!(err.to_string().contains("rank"));
    /// ```
    pub fn new(
        name: &str,
        shape: &[usize],
        chunk_shape: &[usize],
        budget: &MemoryBudget,
        spill: Option<SpillDir>,
    ) -> Result<Self, StoreError> {
        let bad = |reason: String| StoreError::InvalidSpillSetting {
            setting: format!("chunk shape of spillable store {name}"),
            value: format!("{chunk_shape:?}"),
            reason,
        };
        if chunk_shape.len() != shape.len() {
            return Err(bad(format!(
                "its rank {} differs from the rank {} of the array shape {shape:?}",
                chunk_shape.len(),
                shape.len()
            )));
        }
        if let Some(d) = (0..shape.len()).find(|&d| chunk_shape[d] == 0 && shape[d] > 0) {
            return Err(bad(format!(
                "axis {d} has chunk length 0 but extent {}; give a positive length",
                shape[d]
            )));
        }
        let consumer = budget
            .consumer(format!("spillable {name}"))
            .with_can_spill(spill.is_some());
        let spilling = spill.is_some();
        let inner = Arc::new(Inner {
            name: name.to_string(),
            shape: shape.to_vec(),
            chunk_shape: chunk_shape.to_vec(),
            grid: grid_shape(shape, chunk_shape),
            consumer,
            dir: spill,
            slots: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            counters: Counters::default(),
            last_spill_error: Mutex::new(None),
        });
        let registration = spilling.then(|| budget.register_reclaimer(inner.clone()));
        Ok(SpillableStore {
            inner,
            _registration: registration,
        })
    }

    /// Whether chunks that do not fit are spilled (a spill directory was given).
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use spillway::store::spill::SpillableStore;
    /// let s = SpillableStore::<u8>::new("z", &[4], &[2], &MemoryBudget::new(8), None).unwrap();
    /// assert!(!s.spilling_enabled());
    /// ```
    pub fn spilling_enabled(&self) -> bool {
        self.inner.dir.is_some()
    }

    /// The spill directory, when spilling is enabled.
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use spillway::store::spill::{SpillDir, SpillableStore};
    /// let dir = SpillDir::new().unwrap();
    /// let s = SpillableStore::<u8>::new("z", &[4], &[2], &MemoryBudget::new(8), Some(dir.clone())).unwrap();
    /// assert_eq!(s.spill_dir().unwrap().path(), dir.path());
    /// ```
    pub fn spill_dir(&self) -> Option<&SpillDir> {
        self.inner.dir.as_ref()
    }

    /// The store's counters now.
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use spillway::store::ChunkStore;
    /// use spillway::store::spill::SpillableStore;
    /// let s = SpillableStore::<u8>::new("z", &[4], &[2], &MemoryBudget::new(8), None).unwrap();
    /// s.write_chunk(&[1], &[7, 8]).unwrap();
    /// let m = s.metrics();
    /// assert_eq!((m.chunks_in_memory, m.bytes_in_memory, m.chunks_on_disk), (1, 2, 0));
    /// ```
    pub fn metrics(&self) -> SpillableStoreMetrics {
        let c = &self.inner.counters;
        let mut m = SpillableStoreMetrics {
            chunks_spilled: c.chunks_spilled.load(Ordering::Relaxed),
            bytes_spilled: c.bytes_spilled.load(Ordering::Relaxed),
            disk_bytes_spilled: c.disk_bytes_spilled.load(Ordering::Relaxed),
            chunks_reread: c.chunks_reread.load(Ordering::Relaxed),
            bytes_reread: c.bytes_reread.load(Ordering::Relaxed),
            spill_failures: c.spill_failures.load(Ordering::Relaxed),
            ..SpillableStoreMetrics::default()
        };
        for slot in self.inner.lock().values() {
            match slot {
                Slot::Memory { reservation, .. } | Slot::Spilling { reservation, .. } => {
                    m.chunks_in_memory += 1;
                    m.bytes_in_memory += reservation.size();
                }
                Slot::Disk { file } => {
                    m.chunks_on_disk += 1;
                    m.disk_bytes_held += file.disk_bytes();
                }
            }
        }
        m
    }

    /// The error of the last spill that failed during a reclaim, if any (the chunk stayed
    /// in memory, and the write that needed the memory saw the budget's refusal).
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use spillway::store::spill::SpillableStore;
    /// let s = SpillableStore::<u8>::new("z", &[4], &[2], &MemoryBudget::new(8), None).unwrap();
    /// assert!(s.last_spill_error().is_none());
    /// ```
    pub fn last_spill_error(&self) -> Option<StoreError> {
        self.inner
            .last_spill_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Spills least recently used in-memory chunks until at least `bytes` of memory are
    /// given back (or none are left); returns the bytes given back. This is what the
    /// budget calls; the executor may call it ahead of need.
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use spillway::store::ChunkStore;
    /// use spillway::store::spill::{SpillDir, SpillableStore};
    /// let budget = MemoryBudget::new(1 << 20);
    /// let s = SpillableStore::<u8>::new("z", &[4], &[2], &budget, Some(SpillDir::new().unwrap())).unwrap();
    /// s.write_chunk(&[0], &[1, 2]).unwrap();
    /// assert_eq!(s.spill(1), 2);
    /// assert_eq!(budget.reserved(), 0);
    /// ```
    pub fn spill(&self, bytes: u64) -> u64 {
        self.inner.reclaim(bytes)
    }

    /// Frees chunk `index` (memory or disk) once its last reader is done; returns whether
    /// it was held. It then reads as the fill value again.
    ///
    /// # Errors
    ///
    /// [`StoreError::BadChunk`] for an index outside the grid.
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use spillway::store::ChunkStore;
    /// use spillway::store::spill::SpillableStore;
    /// let budget = MemoryBudget::new(64);
    /// let s = SpillableStore::<u8>::new("z", &[4], &[2], &budget, None).unwrap();
    /// s.write_chunk(&[0], &[1, 2]).unwrap();
    /// assert!(s.remove_chunk(&[0]).unwrap());
    /// assert!(!s.remove_chunk(&[0]).unwrap());
    /// assert_eq!(budget.reserved(), 0);
    /// ```
    pub fn remove_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        self.inner.check_index(index)?;
        let old = self.inner.lock().remove(index);
        Ok(old.is_some())
    }

    /// Reads chunk `index` into `out` and frees it, as [`read_chunk`](ChunkStore::read_chunk)
    /// then [`remove_chunk`](Self::remove_chunk) in one step; returns whether it was held
    /// (if not, `out` gets the fill value).
    ///
    /// # Errors
    ///
    /// As [`read_chunk`](ChunkStore::read_chunk).
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use spillway::store::ChunkStore;
    /// use spillway::store::spill::SpillableStore;
    /// let s = SpillableStore::<i32>::new("z", &[3], &[3], &MemoryBudget::new(64), None).unwrap();
    /// s.write_chunk(&[0], &[4, 5, 6]).unwrap();
    /// let mut out = [0; 3];
    /// assert!(s.take_chunk(&[0], &mut out).unwrap());
    /// assert_eq!(out, [4, 5, 6]);
    /// assert!(!s.contains_chunk(&[0]).unwrap());
    /// ```
    pub fn take_chunk(&self, index: &[usize], out: &mut [T]) -> Result<bool, StoreError> {
        self.inner.check_chunk(index, out.len())?;
        let old = self.inner.lock().remove(index);
        let held = old.is_some();
        let source = match old {
            Some(Slot::Memory { data, .. } | Slot::Spilling { data, .. }) => Source::Memory(data),
            Some(Slot::Disk { file }) => Source::Disk(file),
            None => Source::Fill,
        };
        self.inner.read_from(source, out)?;
        Ok(held)
    }
}

impl<T: Element> Inner<T> {
    fn lock(&self) -> MutexGuard<'_, HashMap<Vec<usize>, Slot<T>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn location(&self) -> String {
        match &self.dir {
            Some(dir) => format!(
                "spillable store {} (spilling to {})",
                self.name,
                dir.path().display()
            ),
            None => format!("spillable store {} (memory only)", self.name),
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    fn check_index(&self, index: &[usize]) -> Result<(), StoreError> {
        let inside =
            index.len() == self.grid.len() && index.iter().zip(&self.grid).all(|(i, g)| i < g);
        if inside {
            Ok(())
        } else {
            Err(StoreError::BadChunk {
                location: self.location(),
                index: index.to_vec(),
                message: format!("outside the chunk grid {:?}", self.grid),
            })
        }
    }

    fn check_chunk(&self, index: &[usize], len: usize) -> Result<(), StoreError> {
        self.check_index(index)?;
        let extent = chunk_extent(&self.shape, &self.chunk_shape, index);
        let want: usize = extent.iter().product();
        if want == len {
            Ok(())
        } else {
            Err(StoreError::BadChunk {
                location: self.location(),
                index: index.to_vec(),
                message: format!("got {len} elements, expected {want} (chunk extent {extent:?})"),
            })
        }
    }

    fn purpose(&self, index: &[usize]) -> String {
        let parts: Vec<String> = index.iter().map(usize::to_string).collect();
        format!("{}-chunk-{}", self.name, parts.join("-"))
    }

    fn count_spill(&self, file: &SpillFile) {
        let c = &self.counters;
        c.chunks_spilled.fetch_add(1, Ordering::Relaxed);
        c.bytes_spilled
            .fetch_add(file.raw_bytes(), Ordering::Relaxed);
        c.disk_bytes_spilled
            .fetch_add(file.disk_bytes(), Ordering::Relaxed);
    }

    fn read_from(&self, source: Source<T>, out: &mut [T]) -> Result<(), StoreError> {
        match source {
            Source::Memory(data) => out.copy_from_slice(&data),
            Source::Disk(file) => {
                file.read_into(out)?;
                self.counters.chunks_reread.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .bytes_reread
                    .fetch_add(file.raw_bytes(), Ordering::Relaxed);
            }
            Source::Fill => out.fill(T::default()),
        }
        Ok(())
    }

    /// Puts `slot` at `index`; the slot it replaces is dropped after the lock is released.
    fn replace(&self, index: &[usize], slot: Slot<T>) {
        let old = self.lock().insert(index.to_vec(), slot);
        drop(old);
    }
}

impl<T: Element> Reclaimer for Inner<T> {
    fn order(&self) -> ReclaimOrder {
        ReclaimOrder::Spill
    }

    fn reclaim(&self, bytes: u64) -> u64 {
        let Some(dir) = &self.dir else { return 0 };
        // Pick the least recently used chunks and mark them as being spilled; readers
        // still find their data meanwhile.
        let victims: Vec<(Vec<usize>, Arc<Vec<T>>, u64)> = {
            let Ok(mut slots) = self.slots.try_lock() else {
                return 0;
            };
            let mut lru: Vec<(u64, u64, Vec<usize>)> = slots
                .iter()
                .filter_map(|(key, slot)| match slot {
                    Slot::Memory {
                        last_use,
                        reservation,
                        ..
                    } => Some((*last_use, reservation.size(), key.clone())),
                    _ => None,
                })
                .collect();
            lru.sort_unstable();
            // spill at least an eighth of what is in memory: finding the least recently
            // used chunks walks every chunk, so a store of many small chunks under steady
            // pressure would otherwise walk them once per chunk written
            let held: u64 = lru.iter().map(|(_, size, _)| size).sum();
            let target = bytes.max(held / 8);
            let mut planned = 0;
            let mut victims = Vec::new();
            for (_, size, key) in lru {
                if planned >= target {
                    break;
                }
                let Some(Slot::Memory {
                    data,
                    reservation,
                    version,
                    ..
                }) = slots.remove(&key)
                else {
                    unreachable!("listed as in memory under the same lock")
                };
                planned += size;
                victims.push((key.clone(), Arc::clone(&data), version));
                slots.insert(
                    key,
                    Slot::Spilling {
                        data,
                        reservation,
                        version,
                    },
                );
            }
            victims
        };
        let mut freed = 0;
        for (key, data, version) in victims {
            let written = dir.write(&self.purpose(&key), &data);
            drop(data);
            let mut slots = self.lock();
            let ours =
                matches!(slots.get(&key), Some(Slot::Spilling { version: v, .. }) if *v == version);
            if !ours {
                // Overwritten or removed while it was written: the new file is not needed.
                drop(slots);
                continue;
            }
            let Some(Slot::Spilling {
                data,
                reservation,
                version,
            }) = slots.remove(&key)
            else {
                unreachable!("checked under the same lock")
            };
            match written {
                Ok(file) => {
                    self.count_spill(&file);
                    slots.insert(
                        key,
                        Slot::Disk {
                            file: Arc::new(file),
                        },
                    );
                    drop(slots);
                    freed += reservation.size();
                    drop(data);
                    drop(reservation);
                }
                Err(e) => {
                    let last_use = self.tick();
                    slots.insert(
                        key,
                        Slot::Memory {
                            data,
                            reservation,
                            last_use,
                            version,
                        },
                    );
                    drop(slots);
                    self.counters.spill_failures.fetch_add(1, Ordering::Relaxed);
                    *self
                        .last_spill_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(e);
                }
            }
        }
        freed
    }
}

impl<T: Element> ChunkStore<T> for SpillableStore<T> {
    fn shape(&self) -> &[usize] {
        &self.inner.shape
    }

    fn chunk_shape(&self) -> &[usize] {
        &self.inner.chunk_shape
    }

    fn read_chunk(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError> {
        let inner = &self.inner;
        inner.check_chunk(index, out.len())?;
        let source = {
            let mut slots = inner.lock();
            match slots.get_mut(index) {
                Some(Slot::Memory { data, last_use, .. }) => {
                    *last_use = inner.tick();
                    Source::Memory(Arc::clone(data))
                }
                Some(Slot::Spilling { data, .. }) => Source::Memory(Arc::clone(data)),
                Some(Slot::Disk { file }) => Source::Disk(Arc::clone(file)),
                None => Source::Fill,
            }
        };
        inner.read_from(source, out)
    }

    fn write_chunk(&self, index: &[usize], data: &[T]) -> Result<(), StoreError> {
        let inner = &self.inner;
        inner.check_chunk(index, data.len())?;
        // Grow before allocating, holding none of the store's locks: the budget may ask
        // this very store to spill.
        let mut reservation = inner.consumer.clone().register();
        match reservation.try_grow(size_of_val(data) as u64) {
            Ok(()) => {
                let slot = Slot::Memory {
                    data: Arc::new(data.to_vec()),
                    reservation,
                    last_use: inner.tick(),
                    version: inner.tick(),
                };
                inner.replace(index, slot);
                Ok(())
            }
            Err(refused) => {
                let Some(dir) = &inner.dir else {
                    return Err(StoreError::Memory(refused));
                };
                let file = dir.write(&inner.purpose(index), data)?;
                inner.count_spill(&file);
                inner.replace(
                    index,
                    Slot::Disk {
                        file: Arc::new(file),
                    },
                );
                Ok(())
            }
        }
    }

    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        self.inner.check_index(index)?;
        Ok(self.inner.lock().contains_key(index))
    }

    fn location(&self) -> String {
        self.inner.location()
    }
}
