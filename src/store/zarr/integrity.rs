//! Whether a [`ZarrStore`]'s chunks can be trusted: the completion record (how many chunk
//! files a finished write left), missing-chunk errors in stores recorded whole, and
//! [`ZarrStore::verify`], which reads every chunk and lists the damaged ones.
//!
//! A store [`create`](ZarrStore::create) makes says `"spillway": {"complete": false}` in
//! its attributes until [`mark_complete`](ZarrStore::mark_complete) replaces it with
//! `{"complete": true, "chunks": N}`, N the number of chunk files (shards, when sharded)
//! then on disk. When N is the whole grid, every chunk was written, so a chunk file that
//! is missing later was lost: reading it is [`StoreError::MissingChunk`], not zarr's fill
//! value, unless the store was opened with [`ZarrOpenOptions::fill_missing`].

use std::sync::atomic::Ordering;

use zarrs::storage::{Bytes, StoreKey, WritableStorageTraits};

use super::{MARKER_KEY, ZarrStore, io_error, storage_error};
use crate::dtype::Element;
use crate::store::{ChunkStore, StoreError, chunk_extent, grid_shape};

/// How [`ZarrStore::open_with`] treats what it finds.
///
/// ```
/// use spillway::store::zarr::ZarrOpenOptions;
/// assert!(!ZarrOpenOptions::default().fill_missing);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZarrOpenOptions {
    /// Read a chunk file missing from a store recorded whole as the fill value (zarr's
    /// rule for chunks never written) instead of failing with
    /// [`StoreError::MissingChunk`].
    pub fill_missing: bool,
}

/// One chunk that [`ZarrStore::verify`] found damaged.
///
/// ```
/// let d = spillway::store::zarr::DamagedChunk { index: vec![0, 1], key: "c/0/1".into(), reason: "missing".into() };
/// assert_eq!(d.key, "c/0/1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedChunk {
    /// The chunk's grid index (the inner chunk's, in a sharded store).
    pub index: Vec<usize>,
    /// The key of the file holding it (`c/0/1`; the shard's, when sharded).
    pub key: String,
    /// What is wrong: the decoder's error, or that the file is missing.
    pub reason: String,
}

/// What [`ZarrStore::verify`] found.
///
/// ```
/// let r = spillway::store::zarr::VerifyReport::default();
/// assert!(r.is_ok() && r.damaged().next().is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Chunks read and decoded (every chunk of the grid that has a file).
    pub chunks_checked: u64,
    /// Chunks whose bytes do not decode (checksum mismatch, truncated, undecodable).
    pub corrupt: Vec<DamagedChunk>,
    /// Chunks missing from a store whose completion record says every chunk was written.
    pub missing: Vec<DamagedChunk>,
    /// Chunk files (shards, when sharded) the completion record says were written, for
    /// stores spillway marked complete.
    pub recorded_files: Option<u64>,
    /// Chunk files (shards, when sharded) found on disk.
    pub files_found: u64,
}

impl VerifyReport {
    /// True when nothing is corrupt or missing and no recorded file is gone.
    ///
    /// ```
    /// let mut r = spillway::store::zarr::VerifyReport::default();
    /// r.recorded_files = Some(3);
    /// assert!(!r.is_ok()); // the record says 3 files, none were found
    /// ```
    pub fn is_ok(&self) -> bool {
        self.corrupt.is_empty()
            && self.missing.is_empty()
            && self.recorded_files.is_none_or(|n| n <= self.files_found)
    }

    /// The corrupt and the missing chunks together.
    ///
    /// ```
    /// assert_eq!(spillway::store::zarr::VerifyReport::default().damaged().count(), 0);
    /// ```
    pub fn damaged(&self) -> impl Iterator<Item = &DamagedChunk> {
        self.corrupt.iter().chain(&self.missing)
    }
}

/// The completion record in a `zarr.json`: whether the store is complete, and the number
/// of chunk files recorded (`None` for stores other tools wrote, or older spillway ones).
pub(super) fn read_marker(json: &serde_json::Value) -> (bool, Option<u64>) {
    let marker = json.pointer(&format!("/attributes/{MARKER_KEY}"));
    let complete = marker
        .and_then(|m| m.get("complete"))
        .and_then(|v| v.as_bool())
        .unwrap_or(true);
    let files = marker
        .and_then(|m| m.get("chunks"))
        .and_then(|v| v.as_u64());
    (complete, files)
}

/// Calls `f` with every index of `grid`, row-major, until it returns an error.
fn for_each_index(
    grid: &[usize],
    mut f: impl FnMut(&[usize]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    if grid.contains(&0) {
        return Ok(());
    }
    let mut index = vec![0; grid.len()];
    loop {
        f(&index)?;
        let mut axis = grid.len();
        loop {
            if axis == 0 {
                return Ok(());
            }
            axis -= 1;
            index[axis] += 1;
            if index[axis] < grid[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
}

impl<T: Element> ZarrStore<T> {
    /// The grid of chunk files: shards when sharded, else chunks.
    fn file_grid(&self) -> Vec<usize> {
        grid_shape(&self.shape, self.write_granularity())
    }

    /// Number of chunk files (shards) a whole store has (saturating).
    fn total_files(&self) -> u64 {
        self.file_grid()
            .iter()
            .fold(1u64, |n, &g| n.saturating_mul(g as u64))
    }

    /// Whether a chunk file that is missing is lost (not merely never written): the store
    /// was recorded complete with every chunk file, and not opened with `fill_missing`.
    pub(super) fn missing_is_error(&self) -> bool {
        !self.fill_missing
            && self.is_complete()
            && self.recorded_files.load(Ordering::Acquire) == self.total_files()
    }

    /// The error for chunk `index`, whose file is missing from a store recorded whole.
    pub(super) fn missing_chunk(&self, index: &[usize]) -> StoreError {
        StoreError::MissingChunk {
            key: self.file_key(index),
            location: self.location.clone(),
            recorded: self.recorded_files.load(Ordering::Acquire),
        }
    }

    /// Whether chunk file `file_index` (a shard's index, when sharded) exists.
    fn file_exists(&self, file_index: &[usize]) -> Result<bool, StoreError> {
        let idx: Vec<u64> = file_index.iter().map(|&i| i as u64).collect();
        let key = self.array.chunk_key(&idx);
        zarrs::storage::ReadableStorageTraits::size_key(self.storage.as_ref(), &key)
            .map(|s| s.is_some())
            .map_err(|e| StoreError::Io {
                location: format!("{}/{}", self.location, key),
                message: e.to_string(),
                source: None,
            })
    }

    /// Fails with [`StoreError::MissingChunk`] when chunk `index`'s file is missing and
    /// the store is recorded whole (see the module docs).
    pub(super) fn check_present(&self, index: &[usize]) -> Result<(), StoreError> {
        if !self.missing_is_error() {
            return Ok(());
        }
        let file: Vec<usize> = match &self.shard_shape {
            None => index.to_vec(),
            Some(shard) => index
                .iter()
                .zip(&self.chunk_shape)
                .zip(shard)
                .map(|((&i, &c), &s)| i * c / s)
                .collect(),
        };
        if self.file_exists(&file)? {
            Ok(())
        } else {
            Err(self.missing_chunk(index))
        }
    }

    /// Number of chunk files (shards) on disk, one `stat` per file of the grid.
    fn count_files(&self) -> Result<u64, StoreError> {
        let mut found = 0u64;
        for_each_index(&self.file_grid(), |file| {
            if self.file_exists(file)? {
                found += 1;
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Rewrites the completion record in `zarr.json` (atomically, like a chunk):
    /// `complete: true` with the number of chunk files on disk, or `complete: false`.
    pub(super) fn write_marker(&self, complete: bool) -> Result<(), StoreError> {
        self.check_writable()?;
        let files = if complete {
            Some(self.count_files()?)
        } else {
            None
        };
        let file = self.root.join("zarr.json");
        let text = std::fs::read_to_string(&file).map_err(|e| io_error(&file, e))?;
        let mut json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| storage_error(&file, e))?;
        let marker = match files {
            Some(n) => serde_json::json!({"complete": true, "chunks": n}),
            None => serde_json::json!({"complete": false}),
        };
        match json.get_mut("attributes").and_then(|a| a.as_object_mut()) {
            Some(attrs) => {
                attrs.insert(MARKER_KEY.into(), marker);
            }
            None => json["attributes"] = serde_json::json!({ MARKER_KEY: marker }),
        }
        let key = StoreKey::new("zarr.json").expect("a valid key");
        let text = serde_json::to_vec_pretty(&json).expect("JSON values serialise");
        self.storage
            .set(&key, Bytes::from(text))
            .map_err(|e| storage_error(&file, e))?;
        self.recorded_files
            .store(files.unwrap_or(u64::MAX), Ordering::Release);
        self.complete.store(complete, Ordering::Release);
        Ok(())
    }

    /// Reads and decodes every chunk (one chunk's buffer at a time, outside the memory
    /// budget: at most the chunk size) and reports those that are corrupt, and those
    /// missing from a store whose completion record says every chunk was written. Read
    /// and decode failures are listed, not returned; only a failure to list or open
    /// files is an error. Repair what it finds by writing the array again with
    /// `to_zarr_with(path, &ToZarr::default().repair(true))`.
    ///
    /// ```
    /// use spillway::store::{ChunkStore, zarr::{ZarrOptions, ZarrStore}};
    /// let path = std::env::temp_dir().join(format!("spillway-doc-verify-{}.zarr", std::process::id()));
    /// let s = ZarrStore::<f64>::create(&path, &[4], &[2], &ZarrOptions::default()).unwrap();
    /// s.write_chunk(&[0], &[1.0, 2.0]).unwrap();
    /// s.write_chunk(&[1], &[3.0, 4.0]).unwrap();
    /// s.mark_complete().unwrap();
    /// std::fs::write(path.join("c/1"), b"not zstd").unwrap();
    /// std::fs::remove_file(path.join("c/0")).unwrap();
    /// let report = s.verify().unwrap();
    /// assert_eq!(report.corrupt[0].key, "c/1");
    /// assert_eq!(report.missing[0].key, "c/0");
    /// assert!(!report.is_ok());
    /// std::fs::remove_dir_all(&path).unwrap();
    /// ```
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport {
            recorded_files: match self.recorded_files.load(Ordering::Acquire) {
                u64::MAX => None,
                n => Some(n),
            },
            files_found: self.count_files()?,
            ..VerifyReport::default()
        };
        let grid = grid_shape(&self.shape, &self.chunk_shape);
        let mut buffer: Vec<T> = Vec::new();
        let whole = self.missing_is_error();
        for_each_index(&grid, |index| {
            let damaged = |reason: String| DamagedChunk {
                index: index.to_vec(),
                key: self.file_key(index),
                reason,
            };
            if !self.contains_chunk(index)? {
                if whole {
                    report.missing.push(damaged("the file is missing".into()));
                }
                return Ok(());
            }
            let len: usize = chunk_extent(&self.shape, &self.chunk_shape, index)
                .iter()
                .product();
            buffer.clear();
            buffer.resize(len, T::default());
            match self.read_chunk(index, &mut buffer) {
                Ok(()) => report.chunks_checked += 1,
                Err(StoreError::CorruptChunk { reason, .. }) => {
                    report.chunks_checked += 1;
                    report.corrupt.push(damaged(reason));
                }
                Err(StoreError::MissingChunk { .. }) => {
                    report.missing.push(damaged("the file vanished".into()))
                }
                Err(e) => return Err(e),
            }
            Ok(())
        })?;
        Ok(report)
    }

    /// Deletes the files of the chunks `report` lists as corrupt (their shards, when
    /// sharded) after marking the store incomplete, so that a resumed write rewrites
    /// them; returns how many files were deleted.
    pub(crate) fn discard_damaged(&self, report: &VerifyReport) -> Result<usize, StoreError> {
        self.check_writable()?;
        if report.damaged().next().is_none() {
            return Ok(0);
        }
        self.write_marker(false)?;
        let mut keys: Vec<&str> = report.corrupt.iter().map(|d| d.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in &keys {
            let path = self.root.join(key);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(&path, e)),
            }
        }
        Ok(keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_reads_old_and_new_records() {
        let new = serde_json::json!({"attributes": {"spillway": {"complete": true, "chunks": 4}}});
        assert_eq!(read_marker(&new), (true, Some(4)));
        let old = serde_json::json!({"attributes": {"spillway": {"complete": false}}});
        assert_eq!(read_marker(&old), (false, None));
        assert_eq!(read_marker(&serde_json::json!({})), (true, None));
    }

    #[test]
    fn indices_cover_the_grid_row_major() {
        let mut seen = Vec::new();
        for_each_index(&[2, 3], |i| {
            seen.push(i.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 6);
        assert_eq!(
            (seen[1].as_slice(), seen[5].as_slice()),
            (&[0, 1][..], &[1, 2][..])
        );
        for_each_index(&[0, 3], |_| panic!("an empty grid has no index")).unwrap();
    }
}
