//! What `map_overlap` reserves covers what it allocates: the heap this process holds
//! while a map_overlap runs, counted by a global allocator, stays within the peak the run
//! reserved, for a function that makes one temporary of its block's size besides its
//! result (a stencil written with array arithmetic).
//!
//! One test only: the allocator counts every thread of the process.

use spillway::Client;
use spillway::array::user::overlap::Boundary;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes live and the most ever live.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bookkeeping the planner and runner allocate besides the counted buffers (plans,
/// reports, index lists).
const SLACK: usize = 256 << 10;

#[test]
fn the_overlap_stage_reserves_what_it_allocates() {
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(1)
        .memory_limit("256MB")
        .build()
        .unwrap();
    // 200 x 200 chunks with a halo of 100: each extended block is 400 x 400 (1.28 MB)
    for boundary in [Boundary::Reflect, Boundary::Constant(0.0), Boundary::None] {
        let x = spillway::random::default_rng(5).random([1000, 1000], [200, 200]);
        let y = x.map_overlap(&[100, 100], boundary, |b| {
            let doubled = b.mapv(|v| v * 2.0); // one temporary of the block's size
            doubled.mapv(|v| v + 1.0)
        });
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let (values, report) = y.compute_with_report().unwrap();
        let allocated = PEAK.load(Ordering::Relaxed) - before;
        assert_eq!(values.len(), 1_000_000);
        let reserved = report.peak_reserved_bytes as usize;
        eprintln!("{boundary:?}: allocated {allocated} bytes at the peak, reserved {reserved}");
        assert!(
            allocated <= reserved + SLACK,
            "{boundary:?}: allocated {allocated} bytes at the peak but reserved {reserved}"
        );
    }
    client.close();
}
