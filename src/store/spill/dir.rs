//! The spill directory: one temporary directory per computation, with a disk quota.
//!
//! A [`SpillDir`] creates a fresh `tempfile` directory under a parent directory (the
//! builder's [`parent`](SpillDirBuilder::parent), else the `SPILLWAY_SPILL_DIR`
//! environment variable, else the system temp dir) and removes it, with everything in
//! it, when the last handle is dropped: after success, after an error, and while a panic
//! unwinds. Spilled chunks are records in a few [arena](super::arena) files
//! (`arena-0.spill`, one per writer thread the machine can run), written through the
//! [codec](super::codec) at page-aligned offsets; a record's disk blocks are given back
//! as soon as its [`SpillFile`] handle is dropped, so the disk holds only chunks that are
//! still needed. A directory left by a killed process is removed when the next spill
//! directory is made beside it (`owner.rs`).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::dtype::Element;
use crate::store::StoreError;
use crate::util::size::parse_bytes;

use super::arena::{Arena, aligned};
use super::bytes::{as_bytes, fill_bytes};
use super::codec::{self, Scratch};
use super::owner;

/// Environment variable naming the parent directory of spill directories.
pub const SPILL_DIR_ENV: &str = "SPILLWAY_SPILL_DIR";
/// Environment variable setting the default spill quota (`"200GB"`, `"5 GiB"`, bytes).
pub const SPILL_QUOTA_ENV: &str = "SPILLWAY_SPILL_QUOTA";
/// Share of the parent file system's free space the default quota allows, in percent.
pub const DEFAULT_QUOTA_PERCENT: u64 = 90;
/// Scratch buffer sets kept for reuse by one spill directory.
const MAX_POOLED_SCRATCH: usize = 16;
/// Most arena files one spill directory writes to (writers of one file on ext4 share
/// its inode lock, so there is one per thread the machine runs, up to this many).
const MAX_ARENAS: usize = 16;

/// Counters of one spill directory (all bytes are bytes on disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpillDirMetrics {
    /// Bytes written to spill files.
    pub bytes_written: u64,
    /// Bytes read back from spill files.
    pub bytes_read: u64,
    /// Chunks spilled (each is one record in an arena file).
    pub chunks_written: u64,
    /// Spilled chunks on disk now.
    pub chunks_live: u64,
    /// Bytes the spilled chunks on disk hold now (what counts against the quota).
    pub disk_used: u64,
    /// The most [`disk_used`](Self::disk_used) ever was.
    pub peak_disk_used: u64,
}

/// Settings of a [`SpillDir`]; see [`SpillDir::builder`].
#[derive(Debug, Clone, Default)]
pub struct SpillDirBuilder {
    parent: Option<PathBuf>,
    quota: Option<u64>,
    quota_setting: Option<String>,
}

impl SpillDirBuilder {
    /// The directory the spill directory is created in (default: `SPILLWAY_SPILL_DIR`,
    /// else the system temp dir). It must exist.
    ///
    /// ```
    /// let parent = std::env::temp_dir();
    /// let dir = spillway::store::spill::SpillDir::builder().parent(&parent).build().unwrap();
    /// assert!(dir.path().starts_with(&parent));
    /// ```
    #[must_use]
    pub fn parent(mut self, parent: impl Into<PathBuf>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// The most bytes the spill files may hold at once (default: `SPILLWAY_SPILL_QUOTA`,
    /// else 90% of the parent file system's free space when the directory is created).
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::builder().quota(1 << 30).build().unwrap();
    /// assert_eq!(dir.quota(), 1 << 30);
    /// ```
    #[must_use]
    pub fn quota(mut self, bytes: u64) -> Self {
        self.quota = Some(bytes);
        self
    }

    /// How the [`quota`](Self::quota) was given, as the user wrote it, for the advice of
    /// the error past it (default `SpillDir::builder().quota(..)`): a client's spill
    /// directory names `Client::builder().spill_quota(..)`.
    ///
    /// ```
    /// use spillway::store::spill::SpillDir;
    /// let dir = SpillDir::builder().quota(1).quota_setting("my_tool --spill-quota").build().unwrap();
    /// let err = dir.write("x", &[1.0f64; 100]).unwrap_err();
    /// assert!(err.to_string().contains("raise the quota with my_tool --spill-quota"));
    /// ```
    #[must_use]
    pub fn quota_setting(mut self, setting: impl Into<String>) -> Self {
        self.quota_setting = Some(setting.into());
        self
    }

    /// Creates the directory.
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] naming the parent when it cannot be created there;
    /// [`StoreError::InvalidSpillSetting`] for a `SPILLWAY_SPILL_QUOTA` that is not a size.
    ///
    /// ```
    /// use spillway::store::{StoreError, spill::SpillDir};
    /// let err = SpillDir::builder().parent("/no/such/parent").build().unwrap_err();
    /// assert!(matches!(err, StoreError::Io { .. }));
    /// assert!(err.to_string().contains("/no/such/parent"));
    /// ```
    pub fn build(self) -> Result<SpillDir, StoreError> {
        let parent = match self.parent {
            Some(p) => p,
            None => std::env::var_os(SPILL_DIR_ENV)
                .filter(|v| !v.is_empty())
                .map_or_else(std::env::temp_dir, PathBuf::from),
        };
        let dir = tempfile::Builder::new()
            .prefix(owner::DIR_PREFIX)
            .tempdir_in(&parent)
            .map_err(|e| {
                StoreError::io(
                    parent.display().to_string(),
                    "cannot create a spill directory here",
                    e,
                )
            })?;
        // mark it as this process's, then clear away what killed processes left
        let owner = owner::mark(dir.path());
        owner::reclaim_orphans(&parent, dir.path());
        let (quota, setting) = match self.quota {
            Some(q) => (
                q,
                self.quota_setting
                    .unwrap_or_else(|| "SpillDir::builder().quota(..)".to_string()),
            ),
            None => match std::env::var(SPILL_QUOTA_ENV) {
                Ok(text) if !text.trim().is_empty() => (
                    quota_from_env(&text)?,
                    format!(
                        "the {SPILL_QUOTA_ENV} environment variable (now {:?}; e.g. {SPILL_QUOTA_ENV}=200GB)",
                        text.trim()
                    ),
                ),
                _ => (
                    default_quota(dir.path()),
                    format!(
                        "Client::builder().spill_quota(..) or the {SPILL_QUOTA_ENV} environment variable \
                         (e.g. {SPILL_QUOTA_ENV}=200GB; the default is {DEFAULT_QUOTA_PERCENT}% of the free space)"
                    ),
                ),
            },
        };
        Ok(SpillDir {
            inner: Arc::new(DirInner {
                quota,
                quota_setting: setting,
                used: AtomicU64::new(0),
                peak: AtomicU64::new(0),
                bytes_written: AtomicU64::new(0),
                bytes_read: AtomicU64::new(0),
                chunks_written: AtomicU64::new(0),
                chunks_live: AtomicU64::new(0),
                seq: AtomicU64::new(0),
                scratch: Mutex::new(Vec::new()),
                arenas: (0..arena_count()).map(|_| Mutex::new(None)).collect(),
                _owner: owner,
                dir,
            }),
        })
    }
}

/// The quota a `SPILLWAY_SPILL_QUOTA` value asks for.
fn quota_from_env(text: &str) -> Result<u64, StoreError> {
    parse_bytes(text).map_err(|e| StoreError::InvalidSpillSetting {
        setting: SPILL_QUOTA_ENV.into(),
        value: text.to_string(),
        reason: format!("{e}; give a size such as 200GB or 5GiB"),
    })
}

/// 90% of the free space of the file system holding `path` (unlimited where unknown).
fn default_quota(path: &Path) -> u64 {
    free_space(path).map_or(u64::MAX, |free| {
        (free as u128 * DEFAULT_QUOTA_PERCENT as u128 / 100) as u64
    })
}

#[cfg(unix)]
fn free_space(path: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(path).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(not(unix))]
fn free_space(_path: &Path) -> Option<u64> {
    None
}

/// Arena files per directory: one per thread the machine runs, at most [`MAX_ARENAS`].
fn arena_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_ARENAS))
}

struct DirInner {
    quota: u64,
    /// How the quota was given, for the error past it.
    quota_setting: String,
    used: AtomicU64,
    peak: AtomicU64,
    bytes_written: AtomicU64,
    bytes_read: AtomicU64,
    chunks_written: AtomicU64,
    chunks_live: AtomicU64,
    seq: AtomicU64,
    scratch: Mutex<Vec<Scratch>>,
    /// Created on first use, so a directory that never spills holds no files.
    arenas: Vec<Mutex<Option<Arc<Arena>>>>,
    /// The locked owner file, held for the directory's life (see `owner.rs`).
    _owner: Option<std::fs::File>,
    /// Last field: removed after everything else is dropped.
    dir: tempfile::TempDir,
}

impl DirInner {
    fn location(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// Counts `bytes` against the quota, or refuses them.
    fn charge(&self, bytes: u64) -> Result<(), StoreError> {
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let total = used
                .checked_add(bytes)
                .filter(|&t| t <= self.quota)
                .ok_or_else(|| StoreError::SpillQuotaExceeded {
                    directory: self.location(),
                    quota: self.quota,
                    used,
                    requested: bytes,
                    setting: self.quota_setting.clone(),
                })?;
            match self
                .used
                .compare_exchange_weak(used, total, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    self.peak.fetch_max(total, Ordering::Relaxed);
                    return Ok(());
                }
                Err(now) => used = now,
            }
        }
    }

    fn uncharge(&self, bytes: u64) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// The arena for the `seq`-th write (round robin, so concurrent writers mostly use
    /// different files), created on first use.
    fn arena(&self, seq: u64) -> Result<Arc<Arena>, StoreError> {
        let slot = (seq % self.arenas.len() as u64) as usize;
        let mut held = self.arenas[slot]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(arena) = held.as_ref() {
            return Ok(Arc::clone(arena));
        }
        let path = self.dir.path().join(format!("arena-{slot}.spill"));
        let arena =
            Arena::create(&path).map_err(|e| write_error(&self.location(), &path, 0, &e))?;
        Ok(Arc::clone(held.insert(Arc::new(arena))))
    }

    fn with_scratch<R>(&self, f: impl FnOnce(&mut Scratch) -> R) -> R {
        let taken = self
            .scratch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut scratch = taken.unwrap_or_default();
        let result = f(&mut scratch);
        let mut pool = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < MAX_POOLED_SCRATCH {
            pool.push(scratch);
        }
        result
    }
}

/// Maps a failed write: a full disk is its own error.
fn write_error(directory: &str, file: &Path, requested: u64, e: &io::Error) -> StoreError {
    const ENOSPC: i32 = 28;
    if e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(ENOSPC) {
        StoreError::DiskFull {
            directory: directory.to_string(),
            requested,
            message: e.to_string(),
        }
    } else {
        // the caller keeps its error: the source is a copy with the same code and text
        let copy = match e.raw_os_error() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(e.kind(), e.to_string()),
        };
        StoreError::Io {
            location: file.display().to_string(),
            message: format!("cannot write spill file: {e}"),
            source: Some(copy.into()),
        }
    }
}

/// Keeps only characters that are safe in a file name.
fn sanitize(purpose: &str) -> String {
    let name: String = purpose
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "spill".into()
    } else {
        name
    }
}

/// A temporary spill directory with a disk quota; cheap to clone (clones share it). The
/// directory and its files are removed when the last clone and the last [`SpillFile`]
/// are dropped.
///
/// ```
/// use spillway::store::spill::SpillDir;
///
/// let dir = SpillDir::builder().quota(10 << 20).build().unwrap();
/// let path = dir.path().to_path_buf();
/// let data: Vec<f64> = (0..10_000).map(|i| i as f64).collect();
/// let file = dir.write("x-chunk-0", &data).unwrap();
/// assert!(file.disk_bytes() < file.raw_bytes()); // smooth data compresses
/// let mut back = vec![0.0; data.len()];
/// file.read_into(&mut back).unwrap();
/// assert_eq!(back, data);
/// drop(file);
/// assert_eq!(dir.metrics().disk_used, 0);
/// drop(dir);
/// assert!(!path.exists());
/// ```
#[derive(Clone)]
pub struct SpillDir {
    inner: Arc<DirInner>,
}

impl std::fmt::Debug for SpillDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillDir")
            .field("path", &self.inner.dir.path())
            .field("quota", &self.inner.quota)
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl SpillDir {
    /// Settings, starting from the defaults.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::builder().quota(1 << 20).build().unwrap();
    /// assert!(dir.path().is_dir());
    /// ```
    pub fn builder() -> SpillDirBuilder {
        SpillDirBuilder::default()
    }

    /// A spill directory with the default parent and quota.
    ///
    /// # Errors
    ///
    /// As [`SpillDirBuilder::build`].
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// assert!(dir.quota() > 0);
    /// ```
    pub fn new() -> Result<SpillDir, StoreError> {
        SpillDir::builder().build()
    }

    /// Where the spill files are.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// assert!(dir.path().file_name().unwrap().to_str().unwrap().starts_with("spillway-spill-"));
    /// ```
    pub fn path(&self) -> &Path {
        self.inner.dir.path()
    }

    /// The disk quota in bytes.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::builder().quota(5).build().unwrap();
    /// assert_eq!(dir.quota(), 5);
    /// ```
    pub fn quota(&self) -> u64 {
        self.inner.quota
    }

    /// The directory's counters now.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// let file = dir.write("a", &[1u8, 2, 3]).unwrap();
    /// let m = dir.metrics();
    /// assert_eq!((m.chunks_written, m.chunks_live, m.bytes_written), (1, 1, 4));
    /// ```
    pub fn metrics(&self) -> SpillDirMetrics {
        let i = &self.inner;
        SpillDirMetrics {
            bytes_written: i.bytes_written.load(Ordering::Relaxed),
            bytes_read: i.bytes_read.load(Ordering::Relaxed),
            chunks_written: i.chunks_written.load(Ordering::Relaxed),
            chunks_live: i.chunks_live.load(Ordering::Relaxed),
            disk_used: i.used.load(Ordering::Relaxed),
            peak_disk_used: i.peak.load(Ordering::Relaxed),
        }
    }

    /// Writes `data` as a new spilled chunk named after `purpose`, shuffled and
    /// compressed where that pays, into one of the directory's arena files. The bytes
    /// count against the quota as they are written; a write that fails leaves no charge
    /// behind, and its extent's blocks are given back.
    ///
    /// # Errors
    ///
    /// [`StoreError::SpillQuotaExceeded`] past the quota, [`StoreError::DiskFull`] when
    /// the file system is full, [`StoreError::Io`] for other failures,
    /// [`StoreError::UnsupportedElement`] for a type that is not one of the thirteen dtypes.
    ///
    /// ```
    /// use spillway::store::{StoreError, spill::SpillDir};
    /// let dir = SpillDir::builder().quota(10).build().unwrap();
    /// let err = dir.write("big", &[0u64; 1000]).unwrap_err(); // ~50 bytes compressed
    /// assert!(matches!(err, StoreError::SpillQuotaExceeded { quota: 10, .. }));
    /// assert_eq!(dir.metrics().disk_used, 0);
    /// ```
    pub fn write<T: Element>(&self, purpose: &str, data: &[T]) -> Result<SpillFile, StoreError> {
        let bytes = as_bytes(data)?;
        let inner = &self.inner;
        let seq = inner.seq.fetch_add(1, Ordering::Relaxed);
        let arena = inner.arena(seq)?;
        let extent = codec::max_encoded_len(bytes.len(), size_of::<T>()) as u64;
        let offset = arena.allocate(extent);
        let directory = inner.location();
        let mut written = 0u64;
        let encoded = inner.with_scratch(|scratch| {
            codec::encode(bytes, size_of::<T>(), scratch, &mut |piece| {
                let n = piece.len() as u64;
                inner.charge(n)?;
                written += n;
                arena
                    .write_at(piece, offset + written - n)
                    .map_err(|e| write_error(&directory, arena.path(), n, &e))
            })
        });
        match encoded {
            Ok(enc) => {
                // The record keeps the pages it wrote; the rest of the extent goes back.
                let kept = aligned(enc.disk_bytes);
                if kept < aligned(extent) {
                    arena.release(offset + kept, aligned(extent) - kept);
                }
                inner.bytes_written.fetch_add(written, Ordering::Relaxed);
                inner.chunks_written.fetch_add(1, Ordering::Relaxed);
                inner.chunks_live.fetch_add(1, Ordering::Relaxed);
                Ok(SpillFile {
                    dir: Arc::clone(inner),
                    arena,
                    purpose: sanitize(purpose),
                    offset,
                    disk_bytes: enc.disk_bytes,
                    raw_bytes: bytes.len() as u64,
                    compressed: enc.compressed(),
                })
            }
            Err(e) => {
                arena.release(offset, extent);
                inner.uncharge(written);
                Err(e)
            }
        }
    }
}

/// One spilled chunk on disk: a record in an arena file. Its disk blocks are given back
/// (and its bytes leave the quota) when this handle is dropped.
///
/// ```
/// let dir = spillway::store::spill::SpillDir::new().unwrap();
/// let file = dir.write("noise", &[0x9E37_79B9_7F4A_7C15u64]).unwrap();
/// assert!(!file.compressed());
/// assert_eq!(file.disk_bytes(), 9); // one header byte + the raw value
/// ```
pub struct SpillFile {
    dir: Arc<DirInner>,
    arena: Arc<Arena>,
    purpose: String,
    offset: u64,
    disk_bytes: u64,
    raw_bytes: u64,
    compressed: bool,
}

impl std::fmt::Debug for SpillFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillFile")
            .field("purpose", &self.purpose)
            .field("path", &self.arena.path())
            .field("offset", &self.offset)
            .field("disk_bytes", &self.disk_bytes)
            .field("raw_bytes", &self.raw_bytes)
            .field("compressed", &self.compressed)
            .finish()
    }
}

impl SpillFile {
    /// The arena file that holds the chunk.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// let file = dir.write("x-chunk-3-4", &[1i32]).unwrap();
    /// assert!(file.path().starts_with(dir.path()));
    /// ```
    pub fn path(&self) -> &Path {
        self.arena.path()
    }

    /// Where in [`path`](Self::path) the chunk's record starts (a multiple of the page
    /// size).
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// assert_eq!(dir.write("a", &[1u8]).unwrap().offset() % 4096, 0);
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// What the chunk was spilled as (`x-chunk-3-4`), for messages.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// assert_eq!(dir.write("x chunk [3]", &[1u8]).unwrap().purpose(), "x_chunk__3_");
    /// ```
    pub fn purpose(&self) -> &str {
        &self.purpose
    }

    /// Bytes the file holds.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// assert_eq!(dir.write("e", &[0u8; 0]).unwrap().disk_bytes(), 1);
    /// ```
    pub fn disk_bytes(&self) -> u64 {
        self.disk_bytes
    }

    /// Bytes of the chunk it holds (elements x element size).
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// assert_eq!(dir.write("e", &[0f32; 10]).unwrap().raw_bytes(), 40);
    /// ```
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }

    /// Whether any of it is stored compressed.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// assert!(dir.write("zeros", &[0f64; 4096]).unwrap().compressed());
    /// ```
    pub fn compressed(&self) -> bool {
        self.compressed
    }

    /// Reads the chunk back into `out`, decompressing straight into it.
    ///
    /// # Errors
    ///
    /// [`StoreError::BadChunk`] when `out` is not the chunk's size,
    /// [`StoreError::CorruptSpill`] for a file that does not decode, [`StoreError::Io`]
    /// when it cannot be read.
    ///
    /// ```
    /// let dir = spillway::store::spill::SpillDir::new().unwrap();
    /// let file = dir.write("flags", &[true, false, true]).unwrap();
    /// let mut out = [false; 3];
    /// file.read_into(&mut out).unwrap();
    /// assert_eq!(out, [true, false, true]);
    /// assert!(file.read_into(&mut [false; 2]).is_err());
    /// ```
    pub fn read_into<T: Element>(&self, out: &mut [T]) -> Result<(), StoreError> {
        let location = || {
            format!(
                "{} at offset {} of {}",
                self.purpose,
                self.offset,
                self.arena.path().display()
            )
        };
        if size_of_val(out) as u64 != self.raw_bytes {
            return Err(StoreError::BadChunk {
                location: location(),
                index: Vec::new(),
                message: format!(
                    "the spill file holds {} bytes but {} {}-byte elements were asked for",
                    self.raw_bytes,
                    out.len(),
                    size_of::<T>()
                ),
            });
        }
        let mut read = 0u64;
        let corrupt = |message: String| StoreError::CorruptSpill {
            file: location(),
            message,
        };
        let filled = fill_bytes(out, |bytes| {
            self.dir.with_scratch(|scratch| {
                codec::decode(
                    bytes,
                    size_of::<T>(),
                    scratch,
                    &mut |buf: &mut [u8]| {
                        let at = self.offset + read;
                        self.arena.read_at(buf, at).map_err(|e| match e.kind() {
                            io::ErrorKind::UnexpectedEof => {
                                corrupt(format!("truncated after {read} bytes"))
                            }
                            _ => StoreError::io(location(), "cannot read spill file", e),
                        })?;
                        read += buf.len() as u64;
                        Ok(())
                    },
                    &corrupt,
                )
            })
        })?;
        self.dir.bytes_read.fetch_add(read, Ordering::Relaxed);
        match filled? {
            true if read == self.disk_bytes => Ok(()),
            true => Err(corrupt(format!(
                "decoded from {read} of its {} bytes",
                self.disk_bytes
            ))),
            false => Err(corrupt("a bool that is neither 0 nor 1".into())),
        }
    }
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        self.arena.release(self.offset, self.disk_bytes);
        self.dir.uncharge(self.disk_bytes);
        self.dir.chunks_live.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_its_own_error() {
        let e = io::Error::from(io::ErrorKind::StorageFull);
        let err = write_error("/spill/d", Path::new("/spill/d/f"), 42, &e);
        assert!(matches!(err, StoreError::DiskFull { requested: 42, .. }));
        assert!(
            err.to_string()
                .starts_with("disk full: cannot write 42 B more to spill directory /spill/d")
        );
        assert!(err.to_string().contains("SPILLWAY_SPILL_DIR"));
        let e = io::Error::from_raw_os_error(28);
        assert!(matches!(
            write_error("d", Path::new("f"), 1, &e),
            StoreError::DiskFull { .. }
        ));
        let e = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(matches!(
            write_error("d", Path::new("f"), 1, &e),
            StoreError::Io { .. }
        ));
    }

    #[test]
    fn quota_from_the_environment_is_a_size() {
        assert_eq!(quota_from_env("2GB").unwrap(), 2_000_000_000);
        assert_eq!(quota_from_env("5 GiB").unwrap(), 5 << 30);
        let err = quota_from_env("lots").unwrap_err();
        assert!(matches!(err, StoreError::InvalidSpillSetting { .. }));
        assert!(
            err.to_string()
                .starts_with("invalid spill setting SPILLWAY_SPILL_QUOTA = \"lots\": "),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with("give a size such as 200GB or 5GiB"),
            "{err}"
        );
    }

    #[test]
    fn default_quota_is_most_of_the_free_space() {
        let dir = SpillDir::builder().build().unwrap();
        if std::env::var_os(SPILL_QUOTA_ENV).is_none() {
            let free = free_space(dir.path());
            if let Some(free) = free {
                assert!(
                    dir.quota() <= free && dir.quota() >= free / 100 * 80,
                    "{} of {free}",
                    dir.quota()
                );
            }
        }
    }

    #[test]
    fn scratch_buffers_are_reused_not_reallocated() {
        let dir = SpillDir::new().unwrap();
        let data: Vec<f64> = (0..300_000).map(|i| i as f64).collect(); // 2.4 MB, 3 frames
        let mut out = vec![0.0; data.len()];
        for _ in 0..4 {
            let file = dir.write("reuse", &data).unwrap();
            file.read_into(&mut out).unwrap();
        }
        assert_eq!(out, data);
        let pool = dir.inner.scratch.lock().unwrap();
        assert_eq!(pool.len(), 1, "one thread, one scratch set");
        let held = pool[0].capacity_bytes();
        assert!(
            held <= 3 * codec::FRAME_BYTES,
            "scratch is bounded by the frame size: {held}"
        );
    }

    #[test]
    fn names_keep_their_purpose_and_stay_safe() {
        assert_eq!(sanitize("x-chunk-3-4"), "x-chunk-3-4");
        assert_eq!(sanitize("spillable a/b [0, 1]"), "spillable_a_b__0__1_");
        assert_eq!(sanitize(""), "spill");
    }

    #[test]
    fn quota_is_charged_exactly_and_given_back() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..600)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        let dir = SpillDir::builder().quota(1000).build().unwrap();
        let a = dir.write("a", &noise[..500]).unwrap();
        assert_eq!(a.disk_bytes(), 501, "noise is stored raw");
        assert_eq!(dir.metrics().disk_used, a.disk_bytes());
        let err = dir.write("b", &noise).unwrap_err();
        assert!(
            matches!(err, StoreError::SpillQuotaExceeded { quota: 1000, .. }),
            "{err}"
        );
        assert_eq!(dir.metrics().disk_used, a.disk_bytes());
        let on_disk: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name() != owner::OWNER_FILE)
            .map(|e| e.metadata().unwrap().len())
            .sum();
        assert_eq!(on_disk, a.disk_bytes(), "no partial record left");
        drop(a);
        assert_eq!(dir.metrics().disk_used, 0);
        dir.write("b", &noise).unwrap();
    }

    #[test]
    fn records_given_back_on_drop_and_corruption_reported() {
        let dir = SpillDir::new().unwrap();
        let data: Vec<f64> = (0..50_000).map(|i| (i as f64).sin()).collect();
        let file = dir.write("sin", &data).unwrap();
        let path = file.path().to_path_buf();
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(len, file.disk_bytes(), "the record is the whole file");
        // Truncate it behind the handle's back.
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len / 2)
            .unwrap();
        let mut out = vec![0.0; data.len()];
        let err = file.read_into(&mut out).unwrap_err();
        assert!(matches!(err, StoreError::CorruptSpill { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("sin at offset 0"), "{text}");
        drop(file);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            0,
            "blocks given back"
        );
        assert_eq!(dir.metrics().chunks_live, 0);
    }

    #[test]
    fn concurrent_writers_read_back_their_own_chunks() {
        let dir = SpillDir::new().unwrap();
        std::thread::scope(|scope| {
            for t in 0..4u64 {
                let dir = dir.clone();
                scope.spawn(move || {
                    let mut kept = Vec::new();
                    for i in 0..20u64 {
                        let data: Vec<u64> =
                            (0..3000 + i * 700).map(|k| k ^ (t << 40) ^ i).collect();
                        let file = dir.write("c", &data).unwrap();
                        if i % 3 == 0 {
                            drop(file); // frees holes between live records
                        } else {
                            kept.push((file, data));
                        }
                    }
                    for (file, data) in kept {
                        let mut back = vec![0u64; data.len()];
                        file.read_into(&mut back).unwrap();
                        assert_eq!(back, data);
                    }
                });
            }
        });
        let m = dir.metrics();
        assert_eq!((m.chunks_written, m.chunks_live, m.disk_used), (80, 0, 0));
    }
}
