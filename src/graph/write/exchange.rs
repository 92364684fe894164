//! A store write between MPI ranks (feature `mpi`): each rank writes its share of the
//! chunks straight into the shared store, so only the counts of chunks written and
//! skipped travel, and every rank ends with the whole write's counts.

use super::WriteStage;
use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::stage::{Exchange, Stage};
use crate::memory::MemoryBudget;
use crate::util::wire::{Reader, put_u64};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl<T: Element> Exchange for Arc<WriteStage<T>> {
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> Result<()> {
        Stage::prepare(self, budget, workers)
    }
    fn export(&self, _tasks: Range<usize>) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(16);
        put_u64(&mut bytes, self.written.swap(0, Ordering::Relaxed) as u64);
        put_u64(&mut bytes, self.skipped.swap(0, Ordering::Relaxed) as u64);
        bytes
    }
    fn import(&self, _tasks: Range<usize>, bytes: &[u8]) -> Result<()> {
        let mut reader = Reader::new(bytes, "a rank's count of chunks written");
        let written = reader.usize()?;
        let skipped = reader.usize()?;
        self.written.fetch_add(written, Ordering::Relaxed);
        self.skipped.fetch_add(skipped, Ordering::Relaxed);
        Ok(())
    }
}
