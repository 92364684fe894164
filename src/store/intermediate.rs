//! The store an intermediate array is staged in between two stages of one computation:
//! a [`SpillableStore`] that holds chunks in memory under the budget and, when the client
//! spills, writes them to a spill directory of its own when memory runs short. Under MPI,
//! a zarr store in the job's work directory that every rank sees
//! ([`shared_intermediate_store`]).

use super::ChunkStore;
use super::spill::{SpillDir, SpillableStore};
use super::zarr::{Codec, ZarrOptions, ZarrStore};
use crate::dtype::Element;
use crate::exec::budget::MemoryBudget;
use crate::exec::error::Result;
use crate::exec::report::{IoCounts, IoMeter};
use crate::exec::spill_settings::SpillSettings;
use std::path::Path;
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

/// Makes the intermediate store of `shape` in chunks of `chunk_shape` that every rank of
/// an MPI job writes its share of and then reads: a zarr store at `path` (raw bytes, no
/// compression: it is read once, soon), created by one rank and opened by the others.
/// In one process it is simply created.
///
/// ```
/// use spillway::store::ChunkStore;
/// use spillway::store::intermediate::shared_intermediate_store;
/// let dir = tempfile::tempdir().unwrap();
/// let (store, _meter) = shared_intermediate_store::<f64>(&dir.path().join("m.zarr"), &[4], &[2]).unwrap();
/// store.write_chunk(&[1], &[3.0, 4.0]).unwrap();
/// let mut out = [0.0; 2];
/// store.read_chunk(&[1], &mut out).unwrap();
/// assert_eq!(out, [3.0, 4.0]);
/// ```
pub fn shared_intermediate_store<T: Element>(
    path: &Path,
    shape: &[usize],
    chunk_shape: &[usize],
) -> Result<Intermediate<T>> {
    let options = ZarrOptions {
        codec: Codec::None,
        overwrite: true,
        ..ZarrOptions::default()
    };
    let store = crate::exec::collective::made_once(
        &format!("creating the intermediate zarr store {}", path.display()),
        || Ok(ZarrStore::<T>::create(path, shape, chunk_shape, &options)?),
        || Ok(ZarrStore::<T>::open(path)?),
    )?;
    let store = Arc::new(store);
    let meter: Arc<dyn IoMeter> = store.clone();
    Ok((store, meter))
}
