//! The store an intermediate array is staged in between two stages of one computation.

use super::{ChunkStore, StoreError, chunk_extent};
use crate::dtype::Element;
use crate::error::Result;
use crate::exec::budget::{MemoryBudget, Reservation};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Makes the store that holds an intermediate of `shape` in chunks of `chunk_shape`,
/// charged to `budget`, for the node labelled `label`.
pub fn intermediate_store<T: Element>(
    budget: &MemoryBudget,
    shape: &[usize],
    chunk_shape: &[usize],
    label: &str,
) -> Result<Arc<dyn ChunkStore<T>>> {
    Ok(Arc::new(BudgetedMemoryStore::<T> {
        shape: shape.to_vec(),
        chunk_shape: chunk_shape.to_vec(),
        chunks: Mutex::new(HashMap::new()),
        reservation: Mutex::new(
            budget
                .consumer(format!("intermediate of {label}"))
                .register(),
        ),
        label: label.to_string(),
    }))
}

/// Chunks held in memory, each charged to the budget before it is kept.
struct BudgetedMemoryStore<T> {
    shape: Vec<usize>,
    chunk_shape: Vec<usize>,
    chunks: Mutex<HashMap<Vec<usize>, Vec<T>>>,
    reservation: Mutex<Reservation>,
    label: String,
}

impl<T: Element> ChunkStore<T> for BudgetedMemoryStore<T> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn chunk_shape(&self) -> &[usize] {
        &self.chunk_shape
    }
    fn read_chunk(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError> {
        let chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        match chunks.get(index) {
            Some(values) => out.copy_from_slice(values),
            None => out.fill(T::default()),
        }
        Ok(())
    }
    fn write_chunk(&self, index: &[usize], data: &[T]) -> Result<(), StoreError> {
        let expected: usize = chunk_extent(&self.shape, &self.chunk_shape, index)
            .iter()
            .product();
        debug_assert_eq!(expected, data.len());
        let bytes = std::mem::size_of_val(data) as u64;
        self.reservation
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_grow(bytes)
            .map_err(|e| StoreError::Io {
                location: self.location(),
                message: e.to_string(),
            })?;
        self.chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(index.to_vec(), data.to_vec());
        Ok(())
    }
    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        Ok(self
            .chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(index))
    }
    fn location(&self) -> String {
        format!("memory (intermediate of {})", self.label)
    }
}
