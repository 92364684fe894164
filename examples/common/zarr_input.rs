//! Float64 zarr inputs for the out-of-core examples (`#[path = "common/zarr_input.rs"]
//! mod zarr_input;`): an array stored under a directory, written first when it is
//! missing or has another shape or chunking, and removed at the end unless kept.

// each example uses only some of these helpers
#![allow(dead_code)]

use spillway::array::zarr::ToZarr;
use spillway::{Array, from_zarr};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A zarr array the example reads.
pub struct ZarrInput {
    /// Where it is stored.
    pub path: PathBuf,
    /// True when it was there already (with the wanted shape and chunks), so it is kept.
    pub existed: bool,
    /// Bytes its files take (encoded chunks and metadata).
    pub stored_bytes: u64,
    /// What `Codec::Auto` picked, when this run wrote it with `Auto`.
    pub codec_choice: Option<spillway::store::zarr::CodecChoice>,
}

impl ZarrInput {
    /// The stored array, read lazily.
    pub fn array(&self) -> Array<f64> {
        from_zarr::<f64>(&self.path)
    }

    /// Removes the store unless it existed before this run or `keep` is set.
    pub fn clean_up(&self, keep: bool) {
        if !keep && !self.existed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Opens the float64 zarr array at `path` when it holds `shape` in chunks of `chunks`;
/// otherwise writes `make()` there (replacing what was there) and prints how long that
/// took.
pub fn ensure_zarr(
    path: &Path,
    shape: &[usize],
    chunks: &[usize],
    make: impl FnOnce() -> Array<f64>,
) -> spillway::Result<ZarrInput> {
    ensure_zarr_with(path, shape, chunks, &ToZarr::default(), make)
}

/// [`ensure_zarr`], writing with `how` (codec, checksums) when it writes.
pub fn ensure_zarr_with(
    path: &Path,
    shape: &[usize],
    chunks: &[usize],
    how: &ToZarr,
    make: impl FnOnce() -> Array<f64>,
) -> spillway::Result<ZarrInput> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| spillway::Error::io(dir, e))?;
    }
    let existed = from_zarr::<f64>(path)
        .check()
        .is_ok_and(|x| x.shape() == shape && x.chunksize() == chunks);
    let mut codec_choice = None;
    if !existed {
        let t = Instant::now();
        let written = make().to_zarr_with(path, &how.clone().overwrite(true))?;
        println!(
            "created {} ({} chunks) in {:.3} s, written_bytes={}",
            path.display(),
            written.chunks_written,
            t.elapsed().as_secs_f64(),
            written.run.io.written_bytes
        );
        codec_choice = written.codec_choice;
    }
    Ok(ZarrInput {
        path: path.to_path_buf(),
        existed,
        stored_bytes: tree_bytes(path),
        codec_choice,
    })
}

/// Bytes of the regular files under `dir`, recursively (0 where it cannot be read).
fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}
