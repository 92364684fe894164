//! Sizes read from a `zarr.json` are untrusted: every product is overflow-checked and the
//! chunk grid is bounded before anything is allocated in proportion to it.
//!
//! A crafted `zarr.json` such as `shape [1099511627776]` with `chunk_shape [1]` once made
//! spillway allocate 8.8 TB of chunk boundaries, `[18446744073709551615]` / `[10]` panic
//! with "capacity overflow", and `[100000000000]` / `[1000]` take 0.8 GB outside the
//! memory budget. [`check_grid`] refuses all three with [`StoreError::Shape`], naming the
//! store, the values and the fix, before the array's chunks are built.

use crate::store::StoreError;

/// The most chunks a zarr array read from disk may have along all its axes together.
/// Each costs a word of metadata (its length) while the array is in use, outside the
/// memory budget, so the grid is capped at 16 MiB of it: 2,097,152 chunks (a 1-D array
/// of 2e9 elements in chunks of 1000, or a 2-D one in a 1,048,576 x 1,048,576 grid).
pub const MAX_GRID_CHUNKS: u64 = 1 << 21;

/// The largest `zarr.json` read (bytes): a real one is a few kilobytes.
pub(crate) const MAX_METADATA_BYTES: u64 = 16 << 20;

/// The most elements an array may have: its bytes must fit in a `u64` for every dtype,
/// so `size()` and `nbytes()` never wrap.
pub const MAX_ELEMENTS: u64 = u64::MAX / 8;

/// Checks the shape, chunk shape and shard shape a store's metadata gives, for elements
/// of `itemsize` bytes: element counts and byte sizes that overflow, and chunk grids
/// beyond [`MAX_GRID_CHUNKS`], are [`StoreError::Shape`].
pub(crate) fn check_grid(
    location: &str,
    shape: &[u64],
    chunk_shape: &[u64],
    shard_shape: Option<&[u64]>,
    itemsize: usize,
) -> Result<(), StoreError> {
    let error = |message: String| StoreError::Shape {
        location: location.to_string(),
        message,
    };
    let elements = checked_product(shape).filter(|&n| n <= MAX_ELEMENTS);
    if elements.is_none() {
        return Err(error(format!(
            "its shape {shape:?} has more than {MAX_ELEMENTS} elements (its size in bytes overflows); the metadata is corrupt or not meant for this machine"
        )));
    }
    for (what, cell) in [("chunk", Some(chunk_shape)), ("shard", shard_shape)] {
        let Some(cell) = cell else { continue };
        if cell.len() != shape.len() || cell.contains(&0) {
            return Err(error(format!(
                "its {what} shape {cell:?} does not fit its shape {shape:?}: give one length of at least 1 per axis"
            )));
        }
        let bytes = checked_product(cell)
            .and_then(|n| n.checked_mul(itemsize as u64))
            .filter(|&b| usize::try_from(b).is_ok_and(|b| b <= isize::MAX as usize));
        if bytes.is_none() {
            return Err(error(format!(
                "its {what} shape {cell:?} is more bytes than this machine can address; rewrite the store with smaller chunks"
            )));
        }
    }
    if let Some(shard) = shard_shape
        && shard.iter().zip(chunk_shape).any(|(&s, &c)| s % c != 0)
    {
        return Err(error(format!(
            "its shard shape {shard:?} is not a multiple of its inner chunk shape {chunk_shape:?} on every axis, as zarr's sharding requires"
        )));
    }
    let mut total = 0u64;
    for (axis, (&n, &c)) in shape.iter().zip(chunk_shape).enumerate() {
        let blocks = n.div_ceil(c);
        total = total.saturating_add(blocks);
        if total > MAX_GRID_CHUNKS {
            return Err(error(format!(
                "its chunk grid has {blocks} chunks along axis {axis} (shape {shape:?}, chunk shape {chunk_shape:?}); spillway reads at most {MAX_GRID_CHUNKS} chunks along all axes together (each is a word of metadata held outside the memory budget); rewrite the store with larger chunks"
            )));
        }
    }
    Ok(())
}

fn checked_product(values: &[u64]) -> Option<u64> {
    values.iter().try_fold(1u64, |n, &v| n.checked_mul(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<(), StoreError>) -> String {
        match r {
            Err(StoreError::Shape { message, .. }) => message,
            other => panic!("expected a Shape error, got {other:?}"),
        }
    }

    #[test]
    fn absurd_grids_are_refused_with_the_values() {
        let m = message(check_grid("s", &[1 << 40], &[1], None, 8));
        assert!(m.contains("1099511627776 chunks along axis 0"), "{m}");
        let m = message(check_grid("s", &[u64::MAX], &[10], None, 8));
        assert!(m.contains("overflows"), "{m}");
        let m = message(check_grid("s", &[100_000_000_000], &[1000], None, 8));
        assert!(m.contains("100000000 chunks"), "{m}");
        let m = message(check_grid(
            "s",
            &[1 << 40, 1 << 40],
            &[1 << 20, 1 << 20],
            None,
            8,
        ));
        assert!(m.contains("overflows"), "{m}");
        let m = message(check_grid("s", &[10], &[1 << 62], None, 8));
        assert!(m.contains("chunk shape"), "{m}");
        let m = message(check_grid("s", &[10], &[2], Some(&[0]), 8));
        assert!(m.contains("shard shape [0]"), "{m}");
        let m = message(check_grid("s", &[1, 1], &[1, 2], Some(&[1, 1]), 8));
        assert!(m.contains("not a multiple"), "{m}");
    }

    #[test]
    fn ordinary_grids_pass() {
        check_grid("s", &[16000, 16000], &[2000, 2000], None, 8).unwrap();
        check_grid("s", &[0, 5], &[1, 5], Some(&[2, 5]), 1).unwrap();
        check_grid("s", &[], &[], None, 8).unwrap();
        check_grid("s", &[2_000_000], &[1], None, 8).unwrap();
    }
}
