//! A zarrs filesystem storage whose writes never leave a half-written file, and that
//! counts the encoded bytes it reads and writes.
//!
//! `set` writes the value to a temporary name beside the key (`<key>.spillway-tmp-<pid>-<n>`),
//! syncs it, and renames it over the key: on POSIX a reader sees the old file or the new
//! one, never a mix, and a writer killed half way leaves only a temporary file, which
//! readers never look at (zarr reads only the keys it computes) and
//! [`remove_temporaries`] deletes on resume.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::util::phase_clock::{Phase, timed};
use zarrs::filesystem::FilesystemStore;
use zarrs::storage::byte_range::ByteRangeIterator;
use zarrs::storage::{
    Bytes, ListableStorageTraits, MaybeBytesIterator, OffsetBytesIterator, ReadableStorageTraits,
    StorageError, StoreKey, StoreKeys, StoreKeysPrefixes, StorePrefix, WritableStorageTraits,
};

/// The marker in temporary file names.
pub(crate) const TEMP_MARKER: &str = ".spillway-tmp-";

/// Encoded bytes and files moved through an [`AtomicFsStore`].
#[derive(Debug, Default)]
pub(crate) struct RawCounters {
    pub(crate) bytes_read: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
}

/// A [`FilesystemStore`] whose `set` is write-temporary + fsync + rename.
pub(crate) struct AtomicFsStore {
    inner: FilesystemStore,
    root: PathBuf,
    counters: Arc<RawCounters>,
    /// The most decoded bytes a zstd frame read from this store may declare (`u64::MAX`:
    /// unchecked).
    zstd_limit: AtomicU64,
}

impl AtomicFsStore {
    /// A store rooted at `root` (which must exist).
    pub(crate) fn new(root: &Path, counters: Arc<RawCounters>) -> Result<Self, String> {
        let inner = FilesystemStore::new(root).map_err(|e| e.to_string())?;
        Ok(AtomicFsStore {
            inner,
            root: root.to_path_buf(),
            counters,
            zstd_limit: AtomicU64::new(u64::MAX),
        })
    }

    /// Refuses, as corrupt, any zstd frame read from now on that declares more than
    /// `bytes` decoded bytes. zarrs's zstd codec allocates what a frame's header declares
    /// before decoding: a flipped bit there asked for 2 x 10^17 bytes and aborted the
    /// process (found by `tests/zarr_untrusted.rs`). The array's owner knows how large a
    /// chunk can be.
    pub(crate) fn limit_zstd_frames(&self, bytes: u64) {
        self.zstd_limit.store(bytes, Ordering::Relaxed);
    }
}

/// zstd's frame magic number, little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The decoded size `bytes` declares when they start a zstd frame whose header declares
/// more than `limit`; `None` otherwise (not a zstd frame, no size declared, within the
/// limit, or no limit).
fn oversized_zstd_frame(bytes: &[u8], limit: u64) -> Option<u64> {
    if limit == u64::MAX || !bytes.starts_with(&ZSTD_MAGIC) {
        return None;
    }
    match zstd::zstd_safe::get_frame_content_size(bytes) {
        Ok(Some(declared)) if declared > limit => Some(declared),
        _ => None,
    }
}

/// Deletes the temporary files a killed writer left under `root`; returns how many.
pub(crate) fn remove_temporaries(root: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if entry.file_name().to_string_lossy().contains(TEMP_MARKER) {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Writes the file `path` whole or not at all: `write` fills a temporary file beside it
/// (parent directories are made), which is synced and renamed over `path`; on failure the
/// temporary file is removed. Returns what `write` returned (the bytes it wrote).
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<u64>,
) -> std::io::Result<u64> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let temp = path.with_file_name(format!("{name}{TEMP_MARKER}{}-{n}", std::process::id()));
    let attempt = || -> std::io::Result<u64> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::fs::File::create(&temp)?;
        let written = write(&mut file)?;
        timed(Phase::Write, || {
            file.sync_all()?;
            drop(file);
            std::fs::rename(&temp, path)
        })?;
        Ok(written)
    };
    // the temporary file goes on error and on panic alike
    let mut guard = RemoveOnDrop(Some(temp.clone()));
    let written = attempt()?;
    guard.0 = None;
    Ok(written)
}

/// Removes the file it names when dropped, unless disarmed (its path taken).
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl ReadableStorageTraits for AtomicFsStore {
    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        let parts = timed(Phase::Read, || {
            self.inner.get_partial_many(key, byte_ranges)
        })?;
        let counters = self.counters.clone();
        let limit = self.zstd_limit.load(Ordering::Relaxed);
        let key = key.clone();
        Ok(parts.map(
            |mut it| -> Box<dyn Iterator<Item = Result<Bytes, StorageError>> + 'a> {
                // the parts may be read as they are taken: that time is reading too
                Box::new(std::iter::from_fn(move || {
                    let part = timed(Phase::Read, || it.next())?;
                    if let Ok(bytes) = &part {
                        counters
                            .bytes_read
                            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                        if let Some(declared) = oversized_zstd_frame(bytes, limit) {
                            return Some(Err(StorageError::Other(format!(
                                "the zstd frame in {key} says it decodes to {declared} bytes, \
                                 more than a chunk of this array holds ({limit} at most): the \
                                 file is corrupt; rewrite the chunk"
                            ))));
                        }
                    }
                    Some(part)
                }))
            },
        ))
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        self.inner.size_key(key)
    }

    fn supports_get_partial(&self) -> bool {
        true
    }
}

impl WritableStorageTraits for AtomicFsStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        // by hand rather than through FilesystemStore::set + rename, whose per-key lock
        // table would keep an entry for every temporary name forever
        let path = self.inner.key_to_fspath(key);
        let written = write_atomically(&path, |file| {
            timed(Phase::Write, || file.write_all(&value))?;
            Ok(value.len() as u64)
        })
        .map_err(|e| StorageError::IOError(Arc::new(e)))?;
        self.counters
            .bytes_written
            .fetch_add(written, Ordering::Relaxed);
        Ok(())
    }

    fn set_partial_many(
        &self,
        key: &StoreKey,
        offset_values: OffsetBytesIterator,
    ) -> Result<(), StorageError> {
        // read, patch and replace whole: in-place partial writes would not be atomic
        let mut whole = self.inner.get(key)?.map(|b| b.to_vec()).unwrap_or_default();
        for (offset, value) in offset_values {
            let start = usize::try_from(offset).map_err(|e| StorageError::Other(e.to_string()))?;
            let end = start + value.len();
            if whole.len() < end {
                whole.resize(end, 0);
            }
            whole[start..end].copy_from_slice(&value);
        }
        self.set(key, Bytes::from(whole))
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.inner.erase(key)
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.inner.erase_prefix(prefix)
    }

    fn supports_set_partial(&self) -> bool {
        false
    }
}

impl ListableStorageTraits for AtomicFsStore {
    fn list(&self) -> Result<StoreKeys, StorageError> {
        self.inner.list()
    }

    fn list_prefix(&self, prefix: &StorePrefix) -> Result<StoreKeys, StorageError> {
        self.inner.list_prefix(prefix)
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<StoreKeysPrefixes, StorageError> {
        self.inner.list_dir(prefix)
    }

    fn size_prefix(&self, prefix: &StorePrefix) -> Result<u64, StorageError> {
        self.inner.size_prefix(prefix)
    }
}

impl std::fmt::Debug for AtomicFsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AtomicFsStore({})", self.root.display())
    }
}
