//! Chunks in memory: for tests and small intermediates.

use std::collections::HashMap;
use std::sync::RwLock;

use super::{ChunkStore, StoreError, checked_extent};
use crate::dtype::Element;

/// A [`ChunkStore`] keeping each written chunk in a `HashMap` behind a lock. Chunks never
/// written read as the fill value.
///
/// ```
/// use spillway::store::{ChunkStore, MemoryStore};
/// let s = MemoryStore::<i32>::new(&[5], &[2], -1);
/// s.write_chunk(&[2], &[7]).unwrap();
/// let mut out = [0; 2];
/// s.read_chunk(&[0], &mut out).unwrap();
/// assert_eq!(out, [-1, -1]);
/// assert!(s.contains_chunk(&[2]).unwrap());
/// ```
#[derive(Debug)]
pub struct MemoryStore<T: Element> {
    shape: Vec<usize>,
    chunk_shape: Vec<usize>,
    fill: T,
    chunks: RwLock<HashMap<Vec<usize>, Box<[T]>>>,
}

impl<T: Element> MemoryStore<T> {
    /// An empty store of `shape` in chunks of `chunk_shape` (a chunk length of 0 is
    /// treated as 1), reading `fill` where nothing was written.
    pub fn new(shape: &[usize], chunk_shape: &[usize], fill: T) -> Self {
        MemoryStore {
            shape: shape.to_vec(),
            chunk_shape: chunk_shape.iter().map(|&c| c.max(1)).collect(),
            fill,
            chunks: RwLock::new(HashMap::new()),
        }
    }

    /// How many chunks have been written.
    ///
    /// ```
    /// let s = spillway::store::MemoryStore::<u8>::new(&[4], &[2], 0);
    /// assert_eq!(s.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.chunks.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no chunk has been written.
    ///
    /// ```
    /// assert!(spillway::store::MemoryStore::<u8>::new(&[4], &[2], 0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: Element> ChunkStore<T> for MemoryStore<T> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn chunk_shape(&self) -> &[usize] {
        &self.chunk_shape
    }

    fn read_chunk(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError> {
        checked_extent("memory", &self.shape, &self.chunk_shape, index, out.len())?;
        let chunks = self.chunks.read().unwrap_or_else(|p| p.into_inner());
        match chunks.get(index) {
            Some(chunk) => out.copy_from_slice(chunk),
            None => out.fill(self.fill),
        }
        Ok(())
    }

    fn write_chunk(&self, index: &[usize], data: &[T]) -> Result<(), StoreError> {
        checked_extent("memory", &self.shape, &self.chunk_shape, index, data.len())?;
        let chunk: Box<[T]> = data.into();
        self.chunks
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(index.to_vec(), chunk);
        Ok(())
    }

    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        let len = super::chunk_extent(&self.shape, &self.chunk_shape, index)
            .iter()
            .product();
        checked_extent("memory", &self.shape, &self.chunk_shape, index, len)?;
        Ok(self
            .chunks
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(index))
    }

    fn location(&self) -> String {
        "memory".into()
    }
}
