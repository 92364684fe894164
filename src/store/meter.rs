//! Bytes a store moves to and from storage: [`IoCounts`], the [`IoMeter`] trait stores
//! report them through, and its implementations for the stores that count
//! ([`ZarrStore`]: bytes read and written; [`SpillableStore`]: bytes spilled and read
//! back). A run reads each meter before and after and reports the difference.

use super::spill::SpillableStore;
use super::zarr::ZarrStore;
use crate::dtype::Element;

/// Bytes moved to and from storage, as counted by stores and spill files.
///
/// ```
/// use spillway::store::IoCounts;
/// let a = IoCounts { read_bytes: 10, written_bytes: 4, spilled_bytes: 0, reread_bytes: 0 };
/// let b = IoCounts { read_bytes: 25, written_bytes: 4, spilled_bytes: 8, reread_bytes: 8 };
/// assert_eq!(b.since(&a), IoCounts { read_bytes: 15, written_bytes: 0, spilled_bytes: 8, reread_bytes: 8 });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoCounts {
    /// Bytes read from stores (as stored, i.e. compressed when the store compresses).
    pub read_bytes: u64,
    /// Bytes written to stores (as stored).
    pub written_bytes: u64,
    /// Bytes of intermediates written to spill files (as written to disk).
    pub spilled_bytes: u64,
    /// Bytes of spill files read back.
    pub reread_bytes: u64,
}

impl IoCounts {
    /// The counts accumulated since `earlier` (saturating).
    ///
    /// ```
    /// use spillway::store::IoCounts;
    /// let now = IoCounts { read_bytes: 5, ..IoCounts::default() };
    /// let later = IoCounts { read_bytes: 3, ..IoCounts::default() };
    /// assert_eq!(later.since(&now), IoCounts::default()); // never below zero
    /// ```
    pub fn since(&self, earlier: &IoCounts) -> IoCounts {
        IoCounts {
            read_bytes: self.read_bytes.saturating_sub(earlier.read_bytes),
            written_bytes: self.written_bytes.saturating_sub(earlier.written_bytes),
            spilled_bytes: self.spilled_bytes.saturating_sub(earlier.spilled_bytes),
            reread_bytes: self.reread_bytes.saturating_sub(earlier.reread_bytes),
        }
    }

    /// The sum of two counts.
    ///
    /// ```
    /// use spillway::store::IoCounts;
    /// let a = IoCounts { read_bytes: 1, spilled_bytes: 2, ..IoCounts::default() };
    /// let b = IoCounts { read_bytes: 10, reread_bytes: 4, ..IoCounts::default() };
    /// assert_eq!(
    ///     a.plus(&b),
    ///     IoCounts { read_bytes: 11, written_bytes: 0, spilled_bytes: 2, reread_bytes: 4 }
    /// );
    /// ```
    pub fn plus(&self, other: &IoCounts) -> IoCounts {
        IoCounts {
            read_bytes: self.read_bytes + other.read_bytes,
            written_bytes: self.written_bytes + other.written_bytes,
            spilled_bytes: self.spilled_bytes + other.spilled_bytes,
            reread_bytes: self.reread_bytes + other.reread_bytes,
        }
    }
}

/// Something that counts the bytes it moves (a store, a spill directory); a run reads
/// each meter before and after and reports the difference.
///
/// ```
/// use spillway::MemoryBudget;
/// use spillway::store::spill::{SpillDir, SpillableStore};
/// use spillway::store::{ChunkStore, IoMeter};
///
/// let dir = SpillDir::builder().build().unwrap();
/// // a budget of 8 bytes: a chunk of 16 goes to disk
/// let s = SpillableStore::<f64>::new("x", &[4], &[2], &MemoryBudget::new(8), Some(dir)).unwrap();
/// s.write_chunk(&[0], &[1.0, 2.0]).unwrap();
/// s.read_chunk(&[0], &mut [0.0; 2]).unwrap();
/// let counts = s.io_counts();
/// assert!(counts.spilled_bytes > 0);
/// assert_eq!(counts.reread_bytes, 16); // read back, as raw bytes
/// ```
pub trait IoMeter: Send + Sync {
    /// The totals so far.
    fn io_counts(&self) -> IoCounts;
}

impl<T: Element> IoMeter for ZarrStore<T> {
    fn io_counts(&self) -> IoCounts {
        let c = self.io_counters();
        IoCounts {
            read_bytes: c.bytes_read,
            written_bytes: c.bytes_written,
            ..IoCounts::default()
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ChunkStore;
    use crate::store::zarr::ZarrOptions;

    #[test]
    fn a_zarr_store_counts_what_it_reads_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = ZarrStore::<f64>::create(
            dir.path().join("m.zarr"),
            &[4],
            &[2],
            &ZarrOptions::default(),
        )
        .unwrap();
        let before = store.io_counts();
        store.write_chunk(&[1], &[3.0, 4.0]).unwrap();
        store.read_chunk(&[1], &mut [0.0; 2]).unwrap();
        let moved = store.io_counts().since(&before);
        assert!(moved.written_bytes > 0 && moved.read_bytes > 0);
        assert_eq!((moved.spilled_bytes, moved.reread_bytes), (0, 0));
    }
}
