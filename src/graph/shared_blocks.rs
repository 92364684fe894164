//! Whole blocks of one node shared by every evaluator of that node in a computation.
//!
//! A node that produces whole blocks (a chunk read from a store) is often read through
//! several evaluators at once: `x + x.T` reads `x` directly and through the transpose, and
//! each worker thread has its own evaluators. Each evaluator is charged one block buffer
//! in the plan's memory budget. A [`SharedBlocks`] pools those buffers: an evaluator that
//! needs block `b` takes it from the pool when another evaluator holds or has just held
//! it, waits when another is reading it, and otherwise reads it into a pooled buffer. The
//! pool never holds more buffers than evaluators have joined it, so the budget's count
//! stays exact, while a block wanted twice in a row (`x[i, j]` for task `(i, j)` and again
//! for task `(j, i)`) is read once.
//!
//! ```
//! use spillway::graph::shared_blocks::SharedBlocks;
//! use std::sync::Arc;
//!
//! let pool = Arc::new(SharedBlocks::<f64>::default());
//! let (mut a, mut b) = (SharedBlocks::join(&pool), SharedBlocks::join(&pool));
//! let mut reads = 0;
//! let block = a.get(&[3], 4, |buf| { reads += 1; buf.fill(3.0) });
//! assert_eq!(block, &[3.0; 4]);
//! // the other evaluator finds block 3 in the pool: no second read
//! let again = b.get(&[3], 4, |_| unreachable!());
//! assert_eq!(again, &[3.0; 4]);
//! assert_eq!(reads, 1);
//! ```

use super::region::MAX_NDIM;
use crate::dtype::Element;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A block's multi-index, padded to [`MAX_NDIM`].
type BlockKey = [usize; MAX_NDIM];

/// The pool of one node's block buffers (see the module docs).
pub struct SharedBlocks<T> {
    state: Mutex<PoolState<T>>,
    changed: Condvar,
}

impl<T> Default for SharedBlocks<T> {
    fn default() -> Self {
        SharedBlocks {
            state: Mutex::new(PoolState {
                members: 0,
                buffers: 0,
                cached: Vec::new(),
                loading: Vec::new(),
                free: Vec::new(),
                clock: 0,
            }),
            changed: Condvar::new(),
        }
    }
}

struct PoolState<T> {
    /// Evaluators that joined and have not left: the most buffers the pool may hold.
    members: usize,
    /// Buffers in existence: cached, free, or being filled by a reader.
    buffers: usize,
    cached: Vec<Cached<T>>,
    /// Blocks being read now (each by one member, into a buffer it took).
    loading: Vec<BlockKey>,
    free: Vec<Vec<T>>,
    clock: u64,
}

struct Cached<T> {
    block: BlockKey,
    data: Arc<Vec<T>>,
    last_used: u64,
}

impl<T> PoolState<T> {
    /// A buffer for a new block: a free one, a new one while under the member count, or
    /// the least recently used cached block nobody holds. `None` when every buffer is held
    /// (cannot happen while each member holds at most one; the caller waits).
    fn take_buffer(&mut self) -> Option<Vec<T>> {
        if let Some(buffer) = self.free.pop() {
            return Some(buffer);
        }
        if self.buffers < self.members {
            self.buffers += 1;
            return Some(Vec::new());
        }
        let victim = self.least_recent_unheld()?;
        let entry = self.cached.swap_remove(victim);
        Arc::try_unwrap(entry.data).ok()
    }

    /// The position of the least recently used cached block that no handle holds (only
    /// the pool's own reference is left, and handles clone only under the lock).
    fn least_recent_unheld(&self) -> Option<usize> {
        self.cached
            .iter()
            .enumerate()
            .filter(|(_, c)| Arc::strong_count(&c.data) == 1)
            .min_by_key(|(_, c)| c.last_used)
            .map(|(i, _)| i)
    }

    /// Drops buffers beyond the member count: free ones first, then unheld cached blocks.
    fn trim(&mut self) {
        while self.buffers > self.members {
            if self.free.pop().is_some() {
                self.buffers -= 1;
                continue;
            }
            match self.least_recent_unheld() {
                Some(i) => {
                    self.cached.swap_remove(i);
                    self.buffers -= 1;
                }
                // the rest are held; they are dropped as their holders release them
                None => break,
            }
        }
    }
}

impl<T: Element> SharedBlocks<T> {
    /// Joins the pool as one more evaluator: the pool may then hold one more buffer.
    ///
    /// ```
    /// use spillway::graph::shared_blocks::SharedBlocks;
    /// let pool = std::sync::Arc::new(SharedBlocks::<u8>::default());
    /// let mut member = SharedBlocks::join(&pool);
    /// member.get(&[0], 3, |buf| buf.fill(1));
    /// assert_eq!(pool.buffers(), 1);
    /// drop(member); // leaving gives the buffer back
    /// assert_eq!(pool.buffers(), 0);
    /// ```
    pub fn join(pool: &Arc<Self>) -> BlockHandle<T> {
        pool.lock().members += 1;
        BlockHandle {
            pool: pool.clone(),
            held: None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState<T>> {
        // a panicking reader leaves consistent state: its guard undoes its load
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Buffers the pool holds now (for tests and reports).
    ///
    /// ```
    /// let pool = spillway::graph::shared_blocks::SharedBlocks::<f32>::default();
    /// assert_eq!(pool.buffers(), 0);
    /// ```
    pub fn buffers(&self) -> usize {
        self.lock().buffers
    }
}

/// One evaluator's membership of a [`SharedBlocks`] pool; holds at most one block.
pub struct BlockHandle<T: Element> {
    pool: Arc<SharedBlocks<T>>,
    held: Option<Arc<Vec<T>>>,
}

/// Waits for another member to finish a read or give back a buffer; the wait counts as
/// [`Phase::WaitBlock`](crate::util::phase_clock::Phase::WaitBlock) in the run's breakdown.
fn wait_for_change<'a, T>(
    pool: &'a SharedBlocks<T>,
    state: MutexGuard<'a, PoolState<T>>,
) -> MutexGuard<'a, PoolState<T>> {
    use crate::util::phase_clock::{Phase, timed};
    timed(Phase::WaitBlock, || {
        pool.changed.wait(state).unwrap_or_else(|e| e.into_inner())
    })
}

impl<T: Element> BlockHandle<T> {
    /// Block `block` (`len` elements), from the pool when present, else filled by `load`
    /// into a pooled buffer. The block stays held by this handle until the next `get` (or
    /// [`release`](Self::release)). The handle is the block's only holder outside the
    /// pool, so every release happens here, under the pool's lock, and wakes the members
    /// waiting for a buffer (a release outside the lock could be missed by a waiter).
    pub fn get(&mut self, block: &[usize], len: usize, load: impl FnOnce(&mut [T])) -> &[T] {
        let mut key = [0usize; MAX_NDIM];
        key[..block.len()].copy_from_slice(block);
        let pool = self.pool.clone();
        let mut state = pool.lock();
        // release the previous block first: it may be the one evicted
        if self.held.take().is_some() {
            pool.changed.notify_all();
        }
        let mut buffer = loop {
            state.clock += 1;
            let now = state.clock;
            if let Some(entry) = state.cached.iter_mut().find(|c| c.block == key) {
                entry.last_used = now;
                let data = self.held.insert(entry.data.clone());
                return &data[..len];
            }
            if state.loading.contains(&key) {
                state = wait_for_change(&pool, state);
                continue;
            }
            match state.take_buffer() {
                Some(buffer) => break buffer,
                None => state = wait_for_change(&pool, state),
            }
        };
        state.loading.push(key);
        drop(state);
        // if `load` panics, the guard returns the buffer's slot and wakes the waiters
        let mut guard = LoadGuard {
            pool: &pool,
            key,
            done: false,
        };
        buffer.resize(len, T::default());
        load(&mut buffer[..len]);
        let data = Arc::new(buffer);
        let mut state = pool.lock();
        state.loading.retain(|k| *k != key);
        let now = state.clock;
        state.cached.push(Cached {
            block: key,
            data: data.clone(),
            last_used: now,
        });
        guard.done = true;
        drop(state);
        pool.changed.notify_all();
        &self.held.insert(data)[..len]
    }

    /// The block this handle holds, if any.
    ///
    /// ```
    /// use spillway::graph::shared_blocks::SharedBlocks;
    /// let pool = std::sync::Arc::new(SharedBlocks::<i64>::default());
    /// let mut member = SharedBlocks::join(&pool);
    /// assert!(member.held().is_none());
    /// member.get(&[2, 1], 2, |buf| buf.copy_from_slice(&[4, 5]));
    /// assert_eq!(member.held(), Some(&[4i64, 5][..]));
    /// ```
    pub fn held(&self) -> Option<&[T]> {
        self.held.as_deref().map(|v| &v[..])
    }

    /// Gives the held block back to the pool (it stays cached until evicted).
    ///
    /// ```
    /// use spillway::graph::shared_blocks::SharedBlocks;
    /// let pool = std::sync::Arc::new(SharedBlocks::<u8>::default());
    /// let mut member = SharedBlocks::join(&pool);
    /// member.get(&[0], 1, |buf| buf[0] = 9);
    /// member.release();
    /// assert!(member.held().is_none());
    /// // still cached: getting it again does not load it
    /// assert_eq!(member.get(&[0], 1, |_| unreachable!()), &[9]);
    /// ```
    pub fn release(&mut self) {
        let pool = self.pool.clone();
        let _state = pool.lock();
        if self.held.take().is_some() {
            pool.changed.notify_all();
        }
    }
}

impl<T: Element> Drop for BlockHandle<T> {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        self.held = None;
        state.members -= 1;
        state.trim();
        drop(state);
        self.pool.changed.notify_all();
    }
}

/// An [`Eval`] serving regions from whole blocks of a [`BlockCompute`], shared through
/// the node's [`SharedBlocks`] pool with the node's other evaluators: like
/// [`BlockEval`](super::block::BlockEval), it holds one block at a time, but a block
/// another evaluator holds or just released is not computed again.
///
/// ```
/// use spillway::graph::block::BlockCompute;
/// use spillway::graph::node::Eval;
/// use spillway::graph::region::Region;
/// use spillway::graph::shared_blocks::{SharedBlockEval, SharedBlocks};
/// use spillway::Chunks;
/// use std::sync::Arc;
///
/// struct Count(Arc<std::sync::atomic::AtomicUsize>);
/// impl BlockCompute<i32> for Count {
///     fn compute_block(&mut self, block: &[usize], _r: &Region, out: &mut [i32]) {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         out.fill(block[0] as i32);
///     }
/// }
/// let chunks = Chunks::from_lengths(vec![vec![2, 2]]);
/// let computed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
/// let pool = Arc::new(SharedBlocks::default());
/// let mut a = SharedBlockEval::new(&chunks, &pool, Count(computed.clone()));
/// let mut b = SharedBlockEval::new(&chunks, &pool, Count(computed.clone()));
/// let (mut x, mut y) = ([0; 4], [0; 2]);
/// a.eval(&Region::new(&[0], &[4]), &mut x);
/// b.eval(&Region::new(&[2], &[2]), &mut y);
/// assert_eq!((x, y), ([0, 0, 1, 1], [1, 1]));
/// assert_eq!(computed.load(std::sync::atomic::Ordering::Relaxed), 2);
/// ```
pub struct SharedBlockEval<T: Element, C> {
    grid: super::chunks::BlockGrid,
    handle: BlockHandle<T>,
    compute: C,
    /// The block the handle holds, and its box.
    held: Option<(BlockKey, super::region::Region)>,
}

impl<T: Element, C: super::block::BlockCompute<T>> SharedBlockEval<T, C> {
    /// An evaluator of a node chunked as `chunks` whose blocks `compute` makes, sharing
    /// them through `pool` (see the type's example).
    pub fn new(chunks: &super::chunks::Chunks, pool: &Arc<SharedBlocks<T>>, compute: C) -> Self {
        SharedBlockEval {
            grid: super::chunks::BlockGrid::new(chunks),
            handle: SharedBlocks::join(pool),
            compute,
            held: None,
        }
    }
}

impl<T: Element, C: super::block::BlockCompute<T>> super::node::Eval<T> for SharedBlockEval<T, C> {
    fn eval(&mut self, region: &super::region::Region, out: &mut [T]) {
        let mut blocks = Vec::new();
        self.grid.for_each_block_in(region, |block, block_region| {
            blocks.push((*block, block_region))
        });
        let ndim = region.ndim();
        for (block, block_region) in blocks {
            if self.held.as_ref().is_none_or(|(b, _)| *b != block) {
                self.held = None;
                let compute = &mut self.compute;
                self.handle.get(&block[..ndim], block_region.size(), |buf| {
                    compute.compute_block(&block[..ndim], &block_region, buf)
                });
                self.held = Some((block, block_region));
            }
            let (_, held_region) = self.held.as_ref().expect("a block is held");
            let data = self.handle.held().expect("the handle holds the block");
            if let Some(part) = held_region.intersect(region) {
                super::region::copy_between_boxes(
                    &data[..held_region.size()],
                    held_region,
                    out,
                    region,
                    &part,
                );
            } else if ndim == 0 {
                out[0] = data[0];
            }
        }
    }
}

/// Undoes a load that did not finish (its `load` panicked).
struct LoadGuard<'p, T> {
    pool: &'p SharedBlocks<T>,
    key: BlockKey,
    done: bool,
}

impl<T> Drop for LoadGuard<'_, T> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.pool.state.lock().unwrap_or_else(|e| e.into_inner());
        state.loading.retain(|k| *k != self.key);
        state.buffers -= 1; // the buffer unwound with the panic
        drop(state);
        self.pool.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_holds_more_buffers_than_members() {
        let pool = Arc::new(SharedBlocks::<u32>::default());
        let mut a = SharedBlocks::join(&pool);
        let mut b = SharedBlocks::join(&pool);
        let mut reads = 0;
        for round in 0..5usize {
            for i in 0..4usize {
                let block = [round * 4 + i];
                let handle = if i % 2 == 0 { &mut a } else { &mut b };
                let data = handle.get(&block, 3, |buf| {
                    reads += 1;
                    buf.fill(block[0] as u32)
                });
                assert_eq!(data, &[block[0] as u32; 3]);
                assert!(pool.buffers() <= 2);
            }
        }
        assert_eq!(reads, 20);
        drop(a);
        assert!(pool.buffers() <= 1);
        drop(b);
        assert_eq!(pool.buffers(), 0);
    }

    #[test]
    fn a_block_wanted_by_two_members_in_turn_is_read_once() {
        // the pattern of x + x.T: member a wants (i, j) then (j, i), member b the reverse
        let pool = Arc::new(SharedBlocks::<u64>::default());
        let mut a = SharedBlocks::join(&pool);
        let mut b = SharedBlocks::join(&pool);
        let mut reads = 0;
        for (i, j) in [(0, 1), (2, 3), (1, 4)] {
            for (x, y) in [(i, j), (j, i)] {
                a.get(&[x, y], 2, |buf| {
                    reads += 1;
                    buf.fill((10 * x + y) as u64)
                });
                let back = b.get(&[y, x], 2, |buf| {
                    reads += 1;
                    buf.fill((10 * y + x) as u64)
                });
                assert_eq!(back[0], (10 * y + x) as u64);
            }
        }
        assert_eq!(reads, 6, "each of the 6 blocks read once");
    }

    #[test]
    fn concurrent_members_read_each_block_once_and_agree() {
        let pool = Arc::new(SharedBlocks::<u64>::default());
        let reads = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let pool = pool.clone();
                let reads = &reads;
                s.spawn(move || {
                    let mut handle = SharedBlocks::join(&pool);
                    for block in 0..50usize {
                        let data = handle.get(&[block / 2], 1000, |buf| {
                            reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            std::thread::sleep(std::time::Duration::from_micros(200));
                            buf.fill(block as u64 / 2)
                        });
                        assert!(data.iter().all(|&v| v == block as u64 / 2));
                        assert!(pool.buffers() <= 4);
                    }
                });
            }
        });
        // 25 distinct blocks, each read at least once
        assert!(reads.into_inner() >= 25);
        assert_eq!(pool.buffers(), 0);
    }

    #[test]
    fn a_member_leaving_while_sharing_a_block_does_not_strand_the_other() {
        // two evaluators hold the same block; one leaves; the other moves on to a new
        // block, which needs the shared block's buffer (the pool may keep only one)
        use crate::graph::block::BlockCompute;
        use crate::graph::node::Eval;
        use crate::graph::region::Region;
        struct Fill;
        impl BlockCompute<u32> for Fill {
            fn compute_block(&mut self, block: &[usize], _r: &Region, out: &mut [u32]) {
                out.fill(block[0] as u32);
            }
        }
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let chunks = crate::Chunks::from_lengths(vec![vec![2, 2, 2]]);
            let pool = Arc::new(SharedBlocks::default());
            let mut a = SharedBlockEval::new(&chunks, &pool, Fill);
            let mut b = SharedBlockEval::new(&chunks, &pool, Fill);
            let mut out = [0u32; 2];
            a.eval(&Region::new(&[0], &[2]), &mut out);
            b.eval(&Region::new(&[0], &[2]), &mut out);
            drop(a);
            b.eval(&Region::new(&[4], &[2]), &mut out);
            done.send((out, pool.buffers())).unwrap();
        });
        let (out, buffers) = finished
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the remaining member gets its block");
        assert_eq!(out, [2, 2]);
        assert_eq!(buffers, 1);
    }

    #[test]
    fn a_panicking_load_frees_its_slot_and_wakes_waiters() {
        let pool = Arc::new(SharedBlocks::<u8>::default());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut a = SharedBlocks::join(&pool);
            a.get(&[1], 4, |_| panic!("store failed"));
        }));
        assert!(result.is_err());
        assert_eq!(pool.buffers(), 0);
        let mut b = SharedBlocks::join(&pool);
        assert_eq!(b.get(&[1], 2, |buf| buf.fill(7)), &[7, 7]);
    }
}
