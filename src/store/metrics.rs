//! A store adapter that counts chunks and decoded bytes read and written.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{ChunkStore, StoreError};
use crate::dtype::Element;

/// What a [`MetricsStore`] counted; bytes are decoded (element) bytes.
///
/// ```
/// assert_eq!(spillway::store::MetricsSnapshot::default().chunks_read, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Successful chunk reads.
    pub chunks_read: u64,
    /// Element bytes of those reads.
    pub bytes_read: u64,
    /// Successful chunk writes.
    pub chunks_written: u64,
    /// Element bytes of those writes.
    pub bytes_written: u64,
    /// Reads and writes that failed.
    pub errors: u64,
}

/// Wraps any store `S` and counts what passes through it.
///
/// ```
/// use spillway::store::{ChunkStore, MemoryStore, MetricsStore};
/// let s = MetricsStore::new(MemoryStore::<f64>::new(&[4], &[2], 0.0));
/// s.write_chunk(&[1], &[1.0, 2.0]).unwrap();
/// s.read_chunk(&[1], &mut [0.0; 2]).unwrap();
/// let m = s.snapshot();
/// assert_eq!((m.chunks_written, m.bytes_written, m.chunks_read, m.bytes_read), (1, 16, 1, 16));
/// ```
#[derive(Debug)]
pub struct MetricsStore<S> {
    inner: S,
    chunks_read: AtomicU64,
    bytes_read: AtomicU64,
    chunks_written: AtomicU64,
    bytes_written: AtomicU64,
    errors: AtomicU64,
}

impl<S> MetricsStore<S> {
    /// Counts what passes through `inner`, from zero.
    pub fn new(inner: S) -> Self {
        MetricsStore {
            inner,
            chunks_read: AtomicU64::new(0),
            bytes_read: AtomicU64::new(0),
            chunks_written: AtomicU64::new(0),
            bytes_written: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    /// The counts so far.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            chunks_read: self.chunks_read.load(Ordering::Relaxed),
            bytes_read: self.bytes_read.load(Ordering::Relaxed),
            chunks_written: self.chunks_written.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn count<R>(
        &self,
        r: Result<R, StoreError>,
        chunks: &AtomicU64,
        bytes: &AtomicU64,
        n: u64,
    ) -> Result<R, StoreError> {
        match &r {
            Ok(_) => {
                chunks.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(n, Ordering::Relaxed);
            }
            Err(_) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        r
    }
}

impl<T: Element, S: ChunkStore<T>> ChunkStore<T> for MetricsStore<S> {
    fn shape(&self) -> &[usize] {
        self.inner.shape()
    }

    fn chunk_shape(&self) -> &[usize] {
        self.inner.chunk_shape()
    }

    fn read_chunk(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError> {
        let n = size_of_val(out) as u64;
        let r = self.inner.read_chunk(index, out);
        self.count(r, &self.chunks_read, &self.bytes_read, n)
    }

    fn write_chunk(&self, index: &[usize], data: &[T]) -> Result<(), StoreError> {
        let n = size_of_val(data) as u64;
        let r = self.inner.write_chunk(index, data);
        self.count(r, &self.chunks_written, &self.bytes_written, n)
    }

    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        self.inner.contains_chunk(index)
    }

    fn location(&self) -> String {
        self.inner.location()
    }

    fn io_scratch_bytes(&self) -> u64 {
        self.inner.io_scratch_bytes()
    }

    fn will_need(&self, index: &[usize]) {
        self.inner.will_need(index);
    }

    fn local_path(&self) -> Option<&std::path::Path> {
        self.inner.local_path()
    }
}
