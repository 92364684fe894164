//! Reading and writing chunks of a [`ZarrStore`]: decode straight into the caller's
//! buffer, encode straight from it, errors that name the chunk key and the path.

use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;

use unsafe_cell_slice::UnsafeCellSlice;
use zarrs::array::{
    ArrayBytes, ArrayBytesDecodeIntoTarget, ArrayBytesFixedDisjointView, ArrayError, ArraySubset,
    CodecError,
};
use zarrs::storage::byte_range::ByteRange;
use zarrs::storage::{ReadableStorageTraits, StorageError};

use super::ZarrStore;
use crate::dtype::Element;
use crate::store::bytes::{as_bytes, fill_from_bytes, is_primitive};
use crate::store::{StoreError, checked_extent, grid_shape};
use crate::util::phase_clock::{Phase, timed_beside};

impl<T: Element> ZarrStore<T> {
    /// The key of the file holding chunk `index` (its shard's, when sharded).
    pub(super) fn file_key(&self, index: &[usize]) -> String {
        let file_index: Vec<u64> = match &self.shard_shape {
            None => index.iter().map(|&i| i as u64).collect(),
            Some(shard) => index
                .iter()
                .zip(&self.chunk_shape)
                .zip(shard)
                .map(|((&i, &c), &s)| (i * c / s) as u64)
                .collect(),
        };
        self.array.chunk_key(&file_index).to_string()
    }

    /// A zarrs error while touching chunk `index`, as a [`StoreError`].
    fn chunk_error(&self, index: &[usize], e: ArrayError) -> StoreError {
        let storage = |message: String| StoreError::Io {
            location: format!("{}/{}", self.location, self.file_key(index)),
            message,
            source: None,
        };
        let corrupt = |reason: String| StoreError::CorruptChunk {
            key: self.file_key(index),
            location: self.location.clone(),
            reason,
        };
        match e {
            // a file shorter than its own index or byte ranges says: truncated
            ArrayError::StorageError(StorageError::InvalidByteRangeError(r))
            | ArrayError::CodecError(CodecError::StorageError(
                StorageError::InvalidByteRangeError(r),
            )) => corrupt(r.to_string()),
            ArrayError::StorageError(StorageError::IOError(io))
            | ArrayError::CodecError(CodecError::StorageError(StorageError::IOError(io)))
                if io.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                corrupt(format!("the file ends early ({io})"))
            }
            ArrayError::StorageError(s) | ArrayError::CodecError(CodecError::StorageError(s)) => {
                storage(s.to_string())
            }
            // codecs report decoding failures (zstd, blosc) as I/O errors of their streams
            ArrayError::CodecError(CodecError::IOError(io)) => corrupt(io.to_string()),
            ArrayError::CodecError(c) => StoreError::CorruptChunk {
                key: self.file_key(index),
                location: self.location.clone(),
                reason: c.to_string(),
            },
            ArrayError::UnexpectedChunkDecodedSize(..)
            | ArrayError::UnexpectedChunkDecodedShape(..)
            | ArrayError::ArrayBytesFixedDisjointViewCreateError(..) => StoreError::CorruptChunk {
                key: self.file_key(index),
                location: self.location.clone(),
                reason: e.to_string(),
            },
            other => StoreError::Zarr {
                location: self.location.clone(),
                message: other.to_string(),
            },
        }
    }

    fn unsupported_element(&self) -> StoreError {
        StoreError::Zarr {
            location: self.location.clone(),
            message: format!(
                "element type {} is not a primitive ({})",
                std::any::type_name::<T>(),
                crate::dtype::DType::rust_names()
            ),
        }
    }

    /// The subset of the array covered by `extent` at grid position `index` of `cell`.
    fn subset(index: &[usize], cell: &[usize], extent: &[usize]) -> ArraySubset {
        let start: Vec<u64> = index
            .iter()
            .zip(cell)
            .map(|(&i, &c)| (i * c) as u64)
            .collect();
        let shape: Vec<u64> = extent.iter().map(|&e| e as u64).collect();
        ArraySubset::new_with_start_shape(start, shape)
            .expect("start and shape have one length per axis")
    }

    /// Decodes `subset` into `out` (native-order bytes of its elements).
    fn decode_into(
        &self,
        index: &[usize],
        subset: &ArraySubset,
        out: &mut [u8],
    ) -> Result<(), StoreError> {
        let shape: Vec<u64> = subset.shape().to_vec();
        let size = std::mem::size_of::<T>();
        let whole = ArraySubset::new_with_shape(shape.clone());
        // SAFETY: the one view covers the whole buffer and no other view of it exists.
        let view = unsafe {
            ArrayBytesFixedDisjointView::new(UnsafeCellSlice::new(out), size, &shape, whole)
        }
        .map_err(|e| self.chunk_error(index, e.into()))?;
        // zarrs's partial decoders can panic on crafted bytes (a chunk shorter than its
        // crc32c suffix subtracts with overflow, found by tests/zarr_untrusted.rs): such a
        // chunk is corrupt, never a crash
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let mut view = view;
            // file reads count themselves (in the storage); the rest is decoding
            timed_beside(Phase::Decode, Phase::Read, || {
                self.array.retrieve_array_subset_into_opt(
                    subset,
                    ArrayBytesDecodeIntoTarget::Fixed(&mut view),
                    &self.codec_options,
                )
            })
        }));
        match decoded {
            Ok(result) => result.map_err(|e| self.chunk_error(index, e)),
            Err(_) => Err(StoreError::CorruptChunk {
                key: self.file_key(index),
                location: self.location.clone(),
                reason: "its bytes cannot be decoded (the codec chain rejected them)".into(),
            }),
        }
    }

    pub(super) fn read_chunk_impl(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError> {
        let extent = checked_extent(
            &self.location,
            &self.shape,
            &self.chunk_shape,
            index,
            out.len(),
        )?;
        if !is_primitive::<T>() {
            return Err(self.unsupported_element());
        }
        self.chunks_read.fetch_add(1, Ordering::Relaxed);
        if out.is_empty() {
            return Ok(());
        }
        let subset = Self::subset(index, &self.chunk_shape, &extent);
        match crate::store::bytes::as_bytes_mut(out) {
            Some(bytes) => {
                if extent == self.chunk_shape && self.stream.is_some() {
                    // checks that the file is there when the store says it must be
                    if self.read_streamed(index, bytes)? {
                        return Ok(());
                    }
                } else {
                    self.check_present(index)?;
                }
                self.decode_into(index, &subset, bytes)
            }
            None => {
                self.check_present(index)?;
                // bool: decode bytes, then map every byte to a valid bool
                let mut scratch = vec![0u8; size_of_val(out)];
                self.decode_into(index, &subset, &mut scratch)?;
                fill_from_bytes(&scratch, out);
                Ok(())
            }
        }
    }

    /// Reads the whole chunk `index` by streaming its file through the codec into `out`
    /// when the store's codec chain allows it: `Ok(false)` when it does not, or the file
    /// does not exist (zarrs then fills the fill value) and the store does not say it
    /// must ([`StoreError::MissingChunk`]).
    fn read_streamed(&self, index: &[usize], out: &mut [u8]) -> Result<bool, StoreError> {
        let Some(codec) = self.stream else {
            return Ok(false);
        };
        let key = self.file_key(index);
        let path = self.root.join(&key);
        let io = |message: String| StoreError::Io {
            location: path.display().to_string(),
            message,
            source: None,
        };
        let Some(file) = super::stream::open_existing(&path).map_err(|e| io(e.to_string()))? else {
            if self.missing_is_error() {
                return Err(self.missing_chunk(index));
            }
            return Ok(false);
        };
        // the decoding counts itself (in `read`); the rest is waiting for the bytes
        let read = timed_beside(Phase::Read, Phase::Decode, || {
            codec.read(file, out, self.direct_reads)
        });
        match read {
            Ok(encoded) => {
                self.counters
                    .bytes_read
                    .fetch_add(encoded, Ordering::Relaxed);
                Ok(true)
            }
            Err(super::stream::ReadFailure::Io(message)) => Err(io(message)),
            Err(super::stream::ReadFailure::Corrupt(reason)) => Err(StoreError::CorruptChunk {
                key,
                location: self.location.clone(),
                reason,
            }),
        }
    }

    /// Encodes and writes zarr chunk (shard) `file_index`'s clipped box from `data`,
    /// padding edge chunks with the fill value as zarr stores them.
    fn write_file(
        &self,
        file_index: &[usize],
        cell: &[usize],
        extent: &[usize],
        data: &[u8],
    ) -> Result<(), StoreError> {
        let size = std::mem::size_of::<T>();
        let idx: Vec<u64> = file_index.iter().map(|&i| i as u64).collect();
        let full = extent == cell;
        if full
            && self.shard_shape.is_none()
            && let Some(codec) = self.stream
        {
            // a whole chunk of a streamable chain: encoded straight into its file
            let path = self.root.join(self.file_key(file_index));
            // the file's writes, sync and rename count themselves; the rest is encoding
            let written = timed_beside(Phase::Encode, Phase::Write, || {
                super::atomic::write_atomically(&path, |file| {
                    codec.write(file, data, self.direct_writes)
                })
            })
            .map_err(|e| StoreError::io(path.display().to_string(), "", e))?;
            self.counters
                .bytes_written
                .fetch_add(written, Ordering::Relaxed);
            self.chunks_written.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let padded;
        let bytes: &[u8] = if full {
            data
        } else {
            padded = pad_with_fill(
                data,
                extent,
                cell,
                self.array.fill_value().as_ne_bytes(),
                size,
            );
            &padded
        };
        // the storage's writes count themselves; the rest is encoding
        timed_beside(Phase::Encode, Phase::Write, || {
            self.array
                .store_chunk_opt(&idx, ArrayBytes::new_flen(bytes), &self.codec_options)
        })
        .map_err(|e| self.chunk_error(file_index, e))?;
        self.chunks_written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    pub(super) fn write_chunk_impl(&self, index: &[usize], data: &[T]) -> Result<(), StoreError> {
        self.check_writable()?;
        let extent = checked_extent(
            &self.location,
            &self.shape,
            &self.chunk_shape,
            index,
            data.len(),
        )?;
        let bytes = as_bytes(data).ok_or_else(|| self.unsupported_element())?;
        if data.is_empty() {
            return Ok(());
        }
        match &self.shard_shape {
            None => self.write_file(index, &self.chunk_shape, &extent, bytes),
            Some(_) => {
                // an inner chunk of a shard: read-modify-write of the shard, serialised
                let _guard = self
                    .shard_lock(index)
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                let subset = Self::subset(index, &self.chunk_shape, &extent);
                // reads and writes of the shard count themselves; the rest is the codec
                timed_beside(Phase::Encode, Phase::Write, || {
                    self.array.store_array_subset_opt(
                        &subset,
                        ArrayBytes::new_flen(bytes),
                        &self.codec_options,
                    )
                })
                .map_err(|e| self.chunk_error(index, e))?;
                self.chunks_written.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    /// Writes shard `shard_index` whole (its clipped box, row-major): one encode and one
    /// file, no read. The way to write a sharded array in parallel: one task per shard.
    /// On an array without shards this is [`write_chunk`](crate::store::ChunkStore::write_chunk).
    ///
    /// ```
    /// use spillway::store::{ChunkStore, zarr::{ZarrOptions, ZarrStore}};
    /// let path = std::env::temp_dir().join(format!("spillway-doc-shard-{}.zarr", std::process::id()));
    /// let o = ZarrOptions { shard_shape: Some(vec![4]), ..Default::default() };
    /// let s = ZarrStore::<f32>::create(&path, &[6], &[2], &o).unwrap();
    /// s.write_shard(&[0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
    /// s.write_shard(&[1], &[5.0, 6.0]).unwrap(); // the clipped last shard
    /// let mut c = [0.0f32; 2];
    /// s.read_chunk(&[1], &mut c).unwrap();
    /// assert_eq!(c, [3.0, 4.0]);
    /// std::fs::remove_dir_all(&path).unwrap();
    /// ```
    pub fn write_shard(&self, shard_index: &[usize], data: &[T]) -> Result<(), StoreError> {
        self.check_writable()?;
        let cell = self.write_granularity().to_vec();
        let extent = checked_extent(&self.location, &self.shape, &cell, shard_index, data.len())?;
        let bytes = as_bytes(data).ok_or_else(|| self.unsupported_element())?;
        if data.is_empty() {
            return Ok(());
        }
        let _guard = self
            .shard_lock_by_file(shard_index)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        self.write_file(shard_index, &cell, &extent, bytes)
    }

    /// Whether shard `shard_index` (the chunk, on an array without shards) has been
    /// written: how a resumed write that writes whole shards skips finished ones.
    ///
    /// ```
    /// use spillway::store::zarr::{ZarrOptions, ZarrStore};
    /// let path = std::env::temp_dir().join(format!("spillway-doc-cshard-{}.zarr", std::process::id()));
    /// let o = ZarrOptions { shard_shape: Some(vec![4]), ..Default::default() };
    /// let s = ZarrStore::<u8>::create(&path, &[8], &[2], &o).unwrap();
    /// s.write_shard(&[1], &[0, 0, 0, 0]).unwrap();
    /// assert!(!s.contains_shard(&[0]).unwrap() && s.contains_shard(&[1]).unwrap());
    /// std::fs::remove_dir_all(&path).unwrap();
    /// ```
    pub fn contains_shard(&self, shard_index: &[usize]) -> Result<bool, StoreError> {
        let cell = self.write_granularity().to_vec();
        let len = crate::store::chunk_extent(&self.shape, &cell, shard_index)
            .iter()
            .product();
        checked_extent(&self.location, &self.shape, &cell, shard_index, len)?;
        let idx: Vec<u64> = shard_index.iter().map(|&i| i as u64).collect();
        let key = self.array.chunk_key(&idx);
        self.storage
            .size_key(&key)
            .map(|s| s.is_some())
            .map_err(|e| StoreError::Io {
                location: format!("{}/{}", self.location, key),
                message: e.to_string(),
                source: None,
            })
    }

    fn shard_lock(&self, index: &[usize]) -> &std::sync::Mutex<()> {
        let shard = self.shard_shape.as_deref().unwrap_or(&self.chunk_shape);
        let file: Vec<usize> = index
            .iter()
            .zip(&self.chunk_shape)
            .zip(shard)
            .map(|((&i, &c), &s)| i * c / s)
            .collect();
        self.shard_lock_by_file(&file)
    }

    fn shard_lock_by_file(&self, file: &[usize]) -> &std::sync::Mutex<()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        file.hash(&mut h);
        &self.shard_locks[(h.finish() as usize) % self.shard_locks.len()]
    }

    pub(super) fn contains_chunk_impl(&self, index: &[usize]) -> Result<bool, StoreError> {
        let grid = grid_shape(&self.shape, &self.chunk_shape);
        if index.len() != grid.len() || index.iter().zip(&grid).any(|(&i, &g)| i >= g) {
            return Err(StoreError::Shape {
                location: self.location.clone(),
                message: format!("got chunk index {index:?}, the chunk grid is {grid:?}"),
            });
        }
        match &self.shard_shape {
            None => {
                let idx: Vec<u64> = index.iter().map(|&i| i as u64).collect();
                let key = self.array.chunk_key(&idx);
                self.storage
                    .size_key(&key)
                    .map(|s| s.is_some())
                    .map_err(|e| StoreError::Io {
                        location: format!("{}/{}", self.location, key),
                        message: e.to_string(),
                        source: None,
                    })
            }
            Some(shard) => self.shard_holds(index, shard),
        }
    }

    /// Whether the shard holding inner chunk `index` has an entry for it: reads the
    /// shard index (at the end of the shard, 16 bytes per inner chunk and a crc32c, as
    /// spillway and zarr-python write it); an empty entry is `u64::MAX` twice.
    fn shard_holds(&self, index: &[usize], shard: &[usize]) -> Result<bool, StoreError> {
        let file: Vec<u64> = index
            .iter()
            .zip(&self.chunk_shape)
            .zip(shard)
            .map(|((&i, &c), &s)| (i * c / s) as u64)
            .collect();
        let key = self.array.chunk_key(&file);
        let io = |message: String| StoreError::Io {
            location: format!("{}/{}", self.location, key),
            message,
            source: None,
        };
        let Some(size) = self.storage.size_key(&key).map_err(|e| io(e.to_string()))? else {
            return Ok(false);
        };
        if !self.standard_shard_index {
            return Ok(true); // another index layout: the shard's existence is all we check
        }
        let per: Vec<usize> = shard
            .iter()
            .zip(&self.chunk_shape)
            .map(|(&s, &c)| s / c)
            .collect();
        let mut slot = 0;
        for ((&i, &c), &p) in index.iter().zip(&self.chunk_shape).zip(&per) {
            slot = slot * p + (i * c) % (c * p) / c;
        }
        let index_len = (per.iter().product::<usize>() * 16 + 4) as u64;
        if size < index_len {
            return Err(StoreError::CorruptChunk {
                key: key.to_string(),
                location: self.location.clone(),
                reason: format!(
                    "the shard has {size} bytes, fewer than its {index_len}-byte index"
                ),
            });
        }
        let entry = self
            .storage
            .get_partial(
                &key,
                ByteRange::FromStart(size - index_len + slot as u64 * 16, Some(16)),
            )
            .map_err(|e| io(e.to_string()))?
            .ok_or_else(|| io("the shard vanished while being read".into()))?;
        Ok(entry.iter().any(|&b| b != 0xFF))
    }
}

/// A full `cell`-shaped chunk of fill values with `data` (an `extent` box, row-major) in
/// its corner.
fn pad_with_fill(
    data: &[u8],
    extent: &[usize],
    cell: &[usize],
    fill: &[u8],
    size: usize,
) -> Vec<u8> {
    let total: usize = cell.iter().product::<usize>() * size;
    let mut out = Vec::with_capacity(total);
    if fill.iter().all(|&b| b == 0) {
        out.resize(total, 0);
    } else {
        while out.len() < total {
            out.extend_from_slice(fill);
        }
    }
    let nd = cell.len();
    if nd == 0 {
        out[..data.len()].copy_from_slice(data);
        return out;
    }
    let row = extent[nd - 1] * size;
    let rows: usize = extent[..nd - 1].iter().product();
    let mut pos = vec![0usize; nd.saturating_sub(1)];
    for r in 0..rows {
        let mut offset = 0;
        for d in 0..nd - 1 {
            offset = offset * cell[d] + pos[d];
        }
        let dst = offset * cell[nd - 1] * size;
        out[dst..dst + row].copy_from_slice(&data[r * row..(r + 1) * row]);
        for d in (0..nd - 1).rev() {
            pos[d] += 1;
            if pos[d] < extent[d] {
                break;
            }
            pos[d] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pad_with_fill;

    #[test]
    fn pads_the_clipped_box_into_the_corner() {
        let out = pad_with_fill(&[1, 2, 3, 4], &[2, 2], &[3, 3], &[9], 1);
        assert_eq!(out, vec![1, 2, 9, 3, 4, 9, 9, 9, 9]);
        let out = pad_with_fill(&[1, 2], &[2], &[3], &[0], 1);
        assert_eq!(out, vec![1, 2, 0]);
    }
}
