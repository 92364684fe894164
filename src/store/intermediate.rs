//! The store an intermediate array is staged in between two stages of one computation:
//! a [`SpillableStore`] that holds chunks in memory under the budget and, when the client
//! spills, writes them to a spill directory of its own when memory runs short.

use super::ChunkStore;
use super::spill::{SpillDir, SpillableStore};
use crate::dtype::Element;
use crate::error::Result;
use crate::exec::budget::MemoryBudget;
use crate::exec::report::{IoCounts, IoMeter};
use crate::exec::spill_settings::SpillSettings;
use std::sync::Arc;

impl<T: Element> IoMeter for SpillableStore<T> {
    fn io_counts(&self) -> IoCounts {
        let m = self.metrics();
        IoCounts {
            spilled_bytes: m.disk_bytes_spilled,
            reread_bytes: m.bytes_reread,
            ..IoCounts::default()
        }
    }
}

/// An intermediate store and the meter of its spill traffic.
pub type Intermediate<T> = (Arc<dyn ChunkStore<T>>, Arc<dyn IoMeter>);

/// Makes the store that holds an intermediate of `shape` in chunks of `chunk_shape`,
/// charged to `budget`, for the node labelled `label`; with spilling enabled it gets its
/// own spill directory (removed when the store is dropped).
///
/// ```
/// use spillway::exec::spill_settings::SpillSettings;
/// use spillway::store::intermediate::intermediate_store;
/// use spillway::MemoryBudget;
/// let budget = MemoryBudget::new(1000);
/// let (store, _meter) = intermediate_store::<f64>(&budget, &SpillSettings::default(), &[100], &[50], "x").unwrap();
/// store.write_chunk(&[0], &[1.0; 50]).unwrap(); // 400 bytes: in memory
/// store.write_chunk(&[1], &[2.0; 50]).unwrap();
/// let mut out = [0.0; 50];
/// store.read_chunk(&[1], &mut out).unwrap();
/// assert_eq!(out, [2.0; 50]);
/// ```
pub fn intermediate_store<T: Element>(
    budget: &MemoryBudget,
    settings: &SpillSettings,
    shape: &[usize],
    chunk_shape: &[usize],
    label: &str,
) -> Result<Intermediate<T>> {
    let dir = if settings.enabled {
        let mut builder = SpillDir::builder();
        if let Some(parent) = &settings.dir {
            builder = builder.parent(parent.clone());
        }
        if let Some(quota) = settings.quota {
            builder = builder.quota(quota);
        }
        Some(builder.build()?)
    } else {
        None
    };
    let store = Arc::new(SpillableStore::<T>::new(
        &format!("intermediate of {label}"),
        shape,
        chunk_shape,
        budget,
        dir,
    )?);
    let meter: Arc<dyn IoMeter> = store.clone();
    Ok((store, meter))
}
