//! Output chunks between MPI ranks (feature `mpi`): a rank exports the values of the
//! chunks its tasks wrote, in task order, and every rank copies them into its own output.

use super::MaterializeStage;
use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::stage::{Exchange, Stage};
use crate::memory::MemoryBudget;
use crate::util::wire::{WireError, bytes_of, values_from};
use std::ops::Range;
use std::sync::Arc;

impl<T: Element> MaterializeStage<T> {
    /// Calls `f(flat, len)` for each row-major run of output elements task `task` wrote,
    /// in the order the task's values are exported.
    fn task_runs(&self, task: usize, mut f: impl FnMut(usize, usize)) {
        let region = self.grid.region(&self.grid.index(self.task_block(task)));
        region.for_each_run(&self.root.meta().shape, |flat, _offset, len| f(flat, len));
    }
}

impl<T: Element> Exchange for Arc<MaterializeStage<T>> {
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> Result<()> {
        Stage::prepare(self, budget, workers)
    }
    fn export(&self, tasks: Range<usize>) -> Vec<u8> {
        let out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let Some((data, _)) = out.as_ref() else {
            return Vec::new();
        };
        let mut bytes = Vec::new();
        if self.num_tasks() == 0 {
            return bytes;
        }
        for task in tasks {
            self.task_runs(task, |flat, len| {
                bytes.extend_from_slice(bytes_of(&data[flat..flat + len]));
            });
        }
        bytes
    }
    fn import(&self, tasks: Range<usize>, bytes: &[u8]) -> Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let Some((data, _)) = out.as_mut() else {
            return Ok(());
        };
        let size = std::mem::size_of::<T>();
        let mut offset = 0;
        let mut short = false;
        if self.num_tasks() > 0 {
            for task in tasks {
                self.task_runs(task, |flat, len| {
                    let end = offset + len * size;
                    if short || end > bytes.len() {
                        short = true;
                        return;
                    }
                    match values_from::<T>(&bytes[offset..end]) {
                        Some(values) => data[flat..flat + len].copy_from_slice(&values),
                        None => short = true,
                    }
                    offset = end;
                });
            }
        }
        if short || offset != bytes.len() {
            return Err(WireError::Corrupt {
                what: format!("{} output chunks", self.root.meta().label),
                detail: format!(
                    "{} bytes received for the chunks of the tasks, which hold {}",
                    bytes.len(),
                    offset
                ),
            }
            .into());
        }
        Ok(())
    }
}
