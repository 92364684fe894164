//! The staged-intermediate policy: which store an intermediate array is staged in
//! between two stages of one computation (a rechunk's middle, a persisted array). In one
//! process, a [`SpillableStore`] that holds chunks in memory under the budget and, when
//! the client spills, writes them to a spill directory of its own when memory runs short.
//! Under MPI, a zarr store in the job's work directory that every rank sees
//! ([`shared_intermediate_store`]).

use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::spill_settings::SpillSettings;
use crate::memory::MemoryBudget;
use crate::store::spill::{SpillDir, SpillableStore};
use crate::store::zarr::{Codec, ZarrOptions, ZarrStore};
use crate::store::{ChunkStore, IoMeter};
use std::path::Path;
use std::sync::Arc;

/// An intermediate store and the meter of its spill traffic.
pub type Intermediate<T> = (Arc<dyn ChunkStore<T>>, Arc<dyn IoMeter>);

/// Makes the store that holds an intermediate of `shape` in chunks of `chunk_shape`,
/// charged to `budget`, for the node labelled `label`; with spilling enabled it gets its
/// own spill directory (removed when the store is dropped).
///
/// ```
/// use spillway::exec::spill_settings::SpillSettings;
/// use spillway::graph::intermediate::intermediate_store;
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
            builder = builder
                .quota(quota)
                .quota_setting("Client::builder().spill_quota(..)");
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
/// use spillway::graph::intermediate::shared_intermediate_store;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intermediate_spills_only_when_the_settings_allow() {
        let budget = MemoryBudget::new(100);
        let dir = tempfile::tempdir().unwrap();
        let spilling = SpillSettings {
            dir: Some(dir.path().to_path_buf()),
            ..SpillSettings::default()
        };
        // 2 chunks of 80 bytes under a budget of 100: the second goes to disk.
        let (store, meter) =
            intermediate_store::<f64>(&budget, &spilling, &[20], &[10], "x").unwrap();
        store.write_chunk(&[0], &[1.0; 10]).unwrap();
        store.write_chunk(&[1], &[2.0; 10]).unwrap();
        let mut out = [0.0; 10];
        store.read_chunk(&[0], &mut out).unwrap();
        store.read_chunk(&[1], &mut out).unwrap();
        assert_eq!(out, [2.0; 10]);
        assert!(meter.io_counts().spilled_bytes > 0);
        drop(store);

        let off = SpillSettings {
            enabled: false,
            ..SpillSettings::default()
        };
        let (store, meter) = intermediate_store::<f64>(&budget, &off, &[20], &[10], "y").unwrap();
        store.write_chunk(&[0], &[1.0; 10]).unwrap();
        assert!(store.write_chunk(&[1], &[2.0; 10]).is_err());
        assert_eq!(meter.io_counts(), crate::store::IoCounts::default());
    }
}
