//! `from_zarr` and `to_zarr`: arrays stored as zarr v3 (zarr v2 read), through
//! [`ZarrStore`].
//!
//! A zarr-backed array's chunks are the store's chunks; computing on it reads each chunk
//! whole when a task first needs it. `to_zarr` writes any array in parallel, one store
//! chunk (one shard, for sharded arrays) per task, under the memory budget: each chunk
//! goes to a temporary file renamed into place, the store says it is incomplete until the
//! last chunk is written, and a write that was interrupted resumes with
//! [`ToZarr::resume`], writing only the missing chunks.

use super::Array;
use super::stored::{StoreOptions, StoreReport, from_store};
use crate::dtype::Element;
use crate::error::Result;
use crate::exec::collective;
use crate::store::zarr::{
    Codec, CodecChoice, IntoDimensionName, ZarrOpenOptions, ZarrOptions, ZarrStore,
};
use crate::store::{ChunkStore, IoMeter, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Opens the zarr array at `path` (v3, or v2 read-only) as a lazy array of `T`, as Dask's
/// `da.from_zarr(path)`; `path` may name an array inside a group (`data.zarr/x`). A path
/// that is missing, not a zarr array, or holds another dtype gives an array that carries
/// the error (`check()` or `compute()` returns it).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("x.zarr");
/// spillway::arange(0.0, 10.0, 1.0, 4).to_zarr(&path).unwrap();
/// let x = spillway::from_zarr::<f64>(&path);
/// assert_eq!(x.chunks().to_string(), "((4, 4, 2),)");
/// assert_eq!(x.sum().compute_scalar().unwrap(), 45.0);
/// assert!(spillway::from_zarr::<f64>(dir.path().join("missing.zarr")).check().is_err());
/// assert!(spillway::from_zarr::<i32>(&path).check().is_err()); // stored as float64
/// ```
pub fn from_zarr<T: Element>(path: impl AsRef<Path>) -> Array<T> {
    from_zarr_with(path, &FromZarr::default())
}

/// How [`from_zarr_with`] opens a store: whether a store left incomplete by an
/// interrupted write may be read, and whether a chunk missing from a store spillway
/// recorded whole reads as the fill value. Both are errors by default.
///
/// ```
/// use spillway::array::zarr::FromZarr;
/// let how = FromZarr::default().allow_incomplete(true).fill_missing(true);
/// assert!(how.allow_incomplete && how.options.fill_missing);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FromZarr {
    /// Read a store whose write was interrupted (its missing chunks read as the fill
    /// value) instead of failing with [`StoreError::Incomplete`].
    pub allow_incomplete: bool,
    /// How the store is opened ([`ZarrOpenOptions::fill_missing`]).
    pub options: ZarrOpenOptions,
}

impl FromZarr {
    /// Allows reading a store left incomplete by an interrupted write.
    pub fn allow_incomplete(mut self, allow: bool) -> Self {
        self.allow_incomplete = allow;
        self
    }
    /// Reads a chunk missing from a store recorded whole as the fill value (zarr's rule).
    pub fn fill_missing(mut self, fill: bool) -> Self {
        self.options.fill_missing = fill;
        self
    }
}

/// [`from_zarr`] as `how` says: a store left incomplete by an interrupted write is an
/// error ([`StoreError::Incomplete`]) unless `how.allow_incomplete`, and a chunk missing
/// from a store spillway recorded whole is an error ([`StoreError::MissingChunk`]) unless
/// `how.options.fill_missing`.
///
/// ```
/// use spillway::array::zarr::{from_zarr_with, FromZarr};
/// use spillway::store::{ChunkStore, zarr::{ZarrOptions, ZarrStore}};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("x.zarr");
/// let s = ZarrStore::<f64>::create(&path, &[4], &[2], &ZarrOptions::default()).unwrap();
/// s.write_chunk(&[0], &[1.0, 2.0]).unwrap(); // a write that stops half way
/// let err = spillway::from_zarr::<f64>(&path).check().unwrap_err();
/// assert!(err.to_string().contains("incomplete"), "{err}");
/// let x = from_zarr_with::<f64>(&path, &FromZarr::default().allow_incomplete(true));
/// assert_eq!(x.sum().compute_scalar().unwrap(), 3.0); // the missing chunk reads as 0
/// ```
pub fn from_zarr_with<T: Element>(path: impl AsRef<Path>, how: &FromZarr) -> Array<T> {
    match ZarrStore::<T>::open_with(path.as_ref(), &how.options) {
        Ok(store) if !store.is_complete() && !how.allow_incomplete => {
            Array::invalid(StoreError::Incomplete {
                location: store.location(),
            })
        }
        Ok(store) => zarr_array(store),
        Err(e) => Array::invalid(e),
    }
}

/// Opens array `name` of the zarr group at `group`, as `da.from_zarr(group, component=name)`.
///
/// ```
/// let err = spillway::from_zarr_in_group::<f64>("/no/such/group.zarr", "x").check().unwrap_err();
/// assert!(err.to_string().contains("/no/such/group.zarr"));
/// ```
pub fn from_zarr_in_group<T: Element>(group: impl AsRef<Path>, name: &str) -> Array<T> {
    match ZarrStore::<T>::open_in_group(group.as_ref(), name) {
        Ok(store) if !store.is_complete() => Array::invalid(StoreError::Incomplete {
            location: store.location(),
        }),
        Ok(store) => zarr_array(store),
        Err(e) => Array::invalid(e),
    }
}

fn zarr_array<T: Element>(store: ZarrStore<T>) -> Array<T> {
    let store = Arc::new(store);
    let meter: Arc<dyn IoMeter> = store.clone();
    from_store(store, "from-zarr", Some(meter))
}

/// How [`Array::to_zarr_with`] writes: codec, shards and fill value ([`ZarrOptions`]),
/// the chunk shape, and whether to resume an interrupted write.
///
/// ```
/// use spillway::array::zarr::ToZarr;
/// use spillway::store::zarr::Codec;
/// let how = ToZarr::default().codec(Codec::None).chunks(vec![100, 100]).overwrite(true);
/// assert_eq!(how.options.codec, Codec::None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ToZarr {
    /// Codec, shards, fill value, overwrite, attributes.
    pub options: ZarrOptions,
    /// The store's chunk shape; the array's `chunksize()` when `None`.
    pub chunk_shape: Option<Vec<usize>>,
    /// Reopen an incomplete store at the path and write only its missing chunks.
    pub resume: bool,
    /// The disk bandwidth, GB/s, that [`Codec::Auto`] prices its candidates at
    /// ([`DEFAULT_DISK_GBS`](crate::store::zarr::DEFAULT_DISK_GBS) when `None`).
    pub assumed_disk_gbs: Option<f64>,
    /// Resume, after reading every chunk already written ([`ZarrStore::verify`]) and
    /// deleting those that are corrupt, so that they are written again with the missing
    /// ones: how a store whose chunks were damaged is repaired from the array that made it.
    pub repair: bool,
}

impl ToZarr {
    /// The disk bandwidth [`Codec::Auto`] assumes, GB/s.
    ///
    /// ```
    /// use spillway::array::zarr::ToZarr;
    /// assert_eq!(ToZarr::default().disk_gbs(), spillway::store::zarr::DEFAULT_DISK_GBS);
    /// assert_eq!(ToZarr::default().disk_bandwidth(4.0).disk_gbs(), 4.0);
    /// ```
    pub fn disk_gbs(&self) -> f64 {
        self.assumed_disk_gbs
            .unwrap_or(crate::store::zarr::DEFAULT_DISK_GBS)
    }
    /// Sets the disk bandwidth, GB/s, that [`Codec::Auto`] prices its candidates at.
    pub fn disk_bandwidth(mut self, gbs: f64) -> Self {
        self.assumed_disk_gbs = Some(gbs);
        self
    }
    /// Sets the codec.
    pub fn codec(mut self, codec: crate::store::zarr::Codec) -> Self {
        self.options.codec = codec;
        self
    }
    /// Sets the store's chunk shape.
    pub fn chunks(mut self, chunk_shape: Vec<usize>) -> Self {
        self.chunk_shape = Some(chunk_shape);
        self
    }
    /// Groups chunks into shards of `shard_shape` (a multiple of the chunk shape).
    pub fn shards(mut self, shard_shape: Vec<usize>) -> Self {
        self.options.shard_shape = Some(shard_shape);
        self
    }
    /// Replaces an existing zarr store at the path.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.options.overwrite = overwrite;
        self
    }
    /// Names the array's dimensions in `zarr.json` (zarr v3's `dimension_names`, which
    /// xarray reads as the variable's dimensions and zarr-python as
    /// `metadata.dimension_names`): one per axis, a string or `None` for an unnamed axis
    /// (as zarrs's `ArrayBuilder::dimension_names`). A count other than the array's
    /// number of dimensions fails the write before anything is touched, with
    /// [`StoreError::DimensionNames`] naming both. Used when the store is created; a
    /// resumed write keeps the store's names.
    ///
    /// ```
    /// use spillway::array::zarr::ToZarr;
    /// use spillway::store::zarr::ZarrStore;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("t.zarr");
    /// let x = spillway::zeros::<f32>([4, 3], 2);
    /// x.to_zarr_with(&path, &ToZarr::default().dimension_names(["time", "lat"])).unwrap();
    /// let back = ZarrStore::<f32>::open(&path).unwrap();
    /// assert_eq!(back.dimension_names().unwrap()[0].as_deref(), Some("time"));
    /// let wrong = x.to_zarr_with(dir.path().join("u.zarr"), &ToZarr::default().dimension_names(["time"]));
    /// assert!(wrong.unwrap_err().to_string().contains("1 dimension names"));
    /// assert!(!dir.path().join("u.zarr").exists()); // refused before anything was made
    /// let partly = ToZarr::default().dimension_names([Some("time"), None]);
    /// assert_eq!(partly.options.dimension_names, Some(vec![Some("time".into()), None]));
    /// ```
    pub fn dimension_names<N: IntoDimensionName>(
        mut self,
        names: impl IntoIterator<Item = N>,
    ) -> Self {
        self.options.dimension_names = Some(
            names
                .into_iter()
                .map(IntoDimensionName::into_dimension_name)
                .collect(),
        );
        self
    }
    /// Sets the user attributes written in `zarr.json` (zarr-python's and xarray's
    /// `attrs`), replacing any set before. The key `"spillway"` is spillway's own and is
    /// refused ([`StoreError::Metadata`]). Used when the store is created.
    ///
    /// ```
    /// use spillway::array::zarr::ToZarr;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("t.zarr");
    /// let serde_json::Value::Object(attrs) = serde_json::json!({"units": "K", "scale": 0.5}) else { unreachable!() };
    /// spillway::zeros::<f64>([4], 2).to_zarr_with(&path, &ToZarr::default().attributes(attrs)).unwrap();
    /// let info = spillway::store::zarr::array_info(&path).unwrap();
    /// assert_eq!(info.attributes["units"], "K");
    /// assert_eq!(info.attributes["scale"], 0.5);
    /// ```
    pub fn attributes(mut self, attributes: serde_json::Map<String, serde_json::Value>) -> Self {
        self.options.attributes = attributes;
        self
    }
    /// Resumes an interrupted write instead of creating the store.
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }
    /// Repairs the store: verifies every chunk written, deletes the corrupt ones and
    /// resumes the write, so corrupt and missing chunks are written again.
    ///
    /// ```
    /// use spillway::array::zarr::ToZarr;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("x.zarr");
    /// let x = spillway::arange(0.0, 8.0, 1.0, 2);
    /// x.to_zarr(&path).unwrap();
    /// std::fs::write(path.join("c/1"), b"garbage").unwrap();
    /// assert!(spillway::from_zarr::<f64>(&path).sum().compute_scalar().is_err());
    /// let report = x.to_zarr_with(&path, &ToZarr::default().repair(true)).unwrap();
    /// assert_eq!(report.chunks_written, 1);
    /// assert_eq!(spillway::from_zarr::<f64>(&path).sum().compute_scalar().unwrap(), 28.0);
    /// ```
    pub fn repair(mut self, repair: bool) -> Self {
        self.repair = repair;
        self
    }
}

impl<T: Element> Array<T> {
    /// Writes the array to a new zarr v3 store at `path` with the default codec (zstd level
    /// 1, see [`Codec::default`](crate::store::zarr::Codec::default); chunks = the array's
    /// `chunksize()`), as Dask's `x.to_zarr(path)`. Fails if a store
    /// already exists there (see [`to_zarr_with`](Self::to_zarr_with) to overwrite or
    /// resume).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let x = spillway::random::random([100, 100], 25);
    /// let report = x.to_zarr(dir.path().join("x.zarr")).unwrap();
    /// assert_eq!(report.chunks_written, 16);
    /// assert!(report.run.io.written_bytes > 0);
    /// assert!(x.to_zarr(dir.path().join("x.zarr")).is_err()); // exists
    /// ```
    pub fn to_zarr(&self, path: impl AsRef<Path>) -> Result<StoreReport> {
        self.to_zarr_with(path, &ToZarr::default())
    }

    /// Writes the array to zarr as `how` says.
    ///
    /// ```
    /// use spillway::array::zarr::ToZarr;
    /// use spillway::store::zarr::Codec;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("x.zarr");
    /// let x = spillway::arange(0i64, 100, 1, 10);
    /// x.to_zarr_with(&path, &ToZarr::default().codec(Codec::None).shards(vec![40])).unwrap();
    /// assert_eq!(spillway::from_zarr::<i64>(&path).compute().unwrap(), x.compute().unwrap());
    /// // resuming a finished store writes nothing
    /// let again = x.to_zarr_with(&path, &ToZarr::default().resume(true)).unwrap();
    /// assert_eq!(again.chunks_written, 0);
    /// ```
    pub fn to_zarr_with(&self, path: impl AsRef<Path>, how: &ToZarr) -> Result<StoreReport> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let path: PathBuf = path.as_ref().to_path_buf();
        // nothing is touched before the write is known to be possible: names and
        // attributes that cannot be written, a target the computation reads and a plan
        // over the budget are refused first
        if !(how.resume || how.repair) {
            let location = path.display().to_string();
            if let Some(names) = &how.options.dimension_names {
                crate::store::zarr::check_dimension_names(&location, names, self.ndim())?;
            }
            crate::store::zarr::check_attributes(&location, &how.options.attributes)?;
        }
        self.refuse_writing_a_source(&crate::store::StoreIdentity::at_path(&path))?;
        let mut codec_choice = None;
        let picked;
        let how = if how.options.codec == Codec::Auto && !(how.resume || how.repair) {
            let choice = self.pick_zarr_codec(how)?;
            let mut resolved = how.clone();
            resolved.options.codec = choice.codec;
            codec_choice = Some(choice);
            picked = resolved;
            &picked
        } else {
            how
        };
        if !how.resume {
            self.check_store_plan(Arc::new(self.planned_zarr(&path, how)))?;
        }
        // under MPI one rank creates (or resumes) the store and the others open it; each
        // worker rank then writes its share of the chunks (the store is shared)
        let store = collective::made_once(
            &format!("making the zarr store {}", path.display()),
            || Ok(self.zarr_target(&path, how)?),
            || Ok(ZarrStore::<T>::open(&path)?),
        )?;
        let store = Arc::new(store);
        let meter: Arc<dyn IoMeter> = store.clone();
        let shard_writer = store.shard_shape().map(|shard| {
            Arc::new(ShardWriter {
                store: store.clone(),
                shard_shape: shard.to_vec(),
                chunks_written: AtomicUsize::new(0),
            })
        });
        let target: Arc<dyn ChunkStore<T>> = match &shard_writer {
            Some(writer) => writer.clone(),
            None => store.clone(),
        };
        if how.repair {
            // collective::made_once already resumed it; a damaged chunk is deleted, then
            // written again as a missing one
            collective::on_one_rank(
                &format!("verifying the zarr store {}", path.display()),
                || {
                    let report = store.verify()?;
                    store.discard_damaged(&report)?;
                    Ok(())
                },
            )?;
        }
        let options = StoreOptions {
            skip_existing: how.resume || how.repair,
        };
        let mut report = self.store_metered(target.clone(), options, Some(meter))?;
        if let Some(writer) = &shard_writer {
            // the tasks wrote shards: count the chunks they hold
            let grid = crate::store::grid_shape(store.shape(), store.chunk_shape());
            let total: usize = grid.iter().product();
            let written = writer.chunks_written.load(Ordering::Relaxed);
            report.shards_written = report.chunks_written;
            report.chunks_written = written;
            report.chunks_skipped = total.saturating_sub(written);
        }
        report.codec_choice = codec_choice;
        // once every rank has written its share: one rank checks that it sees them all
        // (a store on a disk that only some ranks see loses chunks) and marks the store
        collective::on_one_rank(
            &format!("marking the zarr store {} complete", path.display()),
            || {
                if collective::spread() {
                    check_every_chunk(target.as_ref())?;
                }
                Ok(store.mark_complete()?)
            },
        )?;
        Ok(report)
    }

    /// Resolves [`Codec::Auto`]: computes the array's first chunk (in the store's chunk
    /// shape, clipped to the array) and prices the candidates on it
    /// ([`pick_codec`](crate::store::zarr::pick_codec)) at [`ToZarr::disk_gbs`] and the
    /// current client's threads. An empty array takes the default codec.
    fn pick_zarr_codec(&self, how: &ToZarr) -> Result<CodecChoice> {
        let chunk_shape = self.zarr_chunk_shape(how);
        let first: Vec<usize> = chunk_shape
            .iter()
            .zip(self.shape())
            .map(|(&c, &n)| c.min(n))
            .collect();
        if first.contains(&0) {
            return Ok(CodecChoice {
                codec: Codec::default(),
                probes: Vec::new(),
                disk_gbs: how.disk_gbs(),
                threads: 0,
            });
        }
        let index: Vec<crate::array::indexing::IndexElem> = first
            .iter()
            .map(|&n| crate::array::indexing::IndexElem::from(0..n as isize))
            .collect();
        let sample = self.index(index).compute()?;
        let values: Vec<T> = sample.iter().copied().collect();
        let threads = super::compute::on_current(|client| Ok(client.total_threads()))?;
        Ok(crate::store::zarr::pick_codec(
            &values,
            &first,
            &how.options,
            how.disk_gbs(),
            threads,
        )?)
    }

    /// The zarr store `to_zarr_with` would create at `path`, as far as planning its write
    /// needs it (shape, write granularity, I/O scratch), before it exists.
    fn planned_zarr(&self, path: &Path, how: &ToZarr) -> PlannedStore {
        let chunk_shape = self.zarr_chunk_shape(how);
        let io_scratch =
            ZarrStore::<T>::planned_io_scratch_bytes(self.shape(), &chunk_shape, &how.options);
        PlannedStore {
            shape: self.shape().to_vec(),
            granule: how.options.shard_shape.clone().unwrap_or(chunk_shape),
            io_scratch,
            location: path.display().to_string(),
        }
    }

    /// The chunk shape of the store `to_zarr_with` creates.
    fn zarr_chunk_shape(&self, how: &ToZarr) -> Vec<usize> {
        how.chunk_shape
            .clone()
            .unwrap_or_else(|| self.chunksize().iter().map(|&c| c.max(1)).collect())
    }

    /// The store `to_zarr_with` writes: created, or reopened to resume.
    fn zarr_target(&self, path: &Path, how: &ToZarr) -> Result<ZarrStore<T>> {
        if how.resume || how.repair {
            let store = ZarrStore::<T>::resume(path)?;
            if store.shape() != self.shape() {
                return Err(StoreError::Shape {
                    location: store.location(),
                    message: format!(
                        "the store has shape {:?} but the array has shape {:?}; resume writes the same array",
                        store.shape(),
                        self.shape()
                    ),
                }
                .into());
            }
            return Ok(store);
        }
        let chunk_shape = self.zarr_chunk_shape(how);
        Ok(ZarrStore::<T>::create(
            path,
            self.shape(),
            &chunk_shape,
            &how.options,
        )?)
    }
}

/// Fails, naming the first chunk missing and the fix, unless `store` holds every chunk:
/// after an MPI write, a chunk that another rank wrote but this one does not see means
/// the store is not on a file system every rank shares.
fn check_every_chunk<T: Element>(store: &dyn ChunkStore<T>) -> Result<()> {
    let grid = crate::store::grid_shape(store.shape(), store.chunk_shape());
    if grid.contains(&0) {
        return Ok(());
    }
    let count: usize = grid.iter().product();
    let mut index = vec![0; grid.len()];
    for flat in 0..count {
        let mut rest = flat;
        for axis in (0..grid.len()).rev() {
            index[axis] = rest % grid[axis];
            rest /= grid[axis];
        }
        if !store.contains_chunk(&index)? {
            return Err(StoreError::Io {
                location: store.location(),
                message: format!(
                    "chunk {index:?} (task {flat} of {count}) is missing after every MPI rank finished writing: the rank that wrote it sees a different directory; write to a file system that every rank shares (Lustre, GPFS, NFS), not a node-local disk"
                ),
                source: None,
            }
            .into());
        }
    }
    Ok(())
}

/// A zarr store not made yet, for checking its write against the budget: what the
/// planner reads of a store (shape, the chunks written, the I/O scratch), and nothing
/// to read or write.
struct PlannedStore {
    shape: Vec<usize>,
    /// The chunks (or shards) the write tasks write.
    granule: Vec<usize>,
    io_scratch: u64,
    location: String,
}

impl PlannedStore {
    fn not_made(&self) -> StoreError {
        StoreError::Io {
            location: self.location.clone(),
            message: "the store is only planned, not made yet".into(),
            source: None,
        }
    }
}

impl<T: Element> ChunkStore<T> for PlannedStore {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn chunk_shape(&self) -> &[usize] {
        &self.granule
    }
    fn read_chunk(&self, _index: &[usize], _out: &mut [T]) -> Result<(), StoreError> {
        Err(self.not_made())
    }
    fn write_chunk(&self, _index: &[usize], _data: &[T]) -> Result<(), StoreError> {
        Err(self.not_made())
    }
    fn contains_chunk(&self, _index: &[usize]) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn location(&self) -> String {
        self.location.clone()
    }
    fn io_scratch_bytes(&self) -> u64 {
        self.io_scratch
    }
}

/// Presents a sharded zarr array as a store of whole shards, so each write task encodes
/// one shard with no read-modify-write.
struct ShardWriter<T: Element> {
    store: Arc<ZarrStore<T>>,
    shard_shape: Vec<usize>,
    /// Inner chunks in the shards written.
    chunks_written: AtomicUsize,
}

impl<T: Element> ChunkStore<T> for ShardWriter<T> {
    fn shape(&self) -> &[usize] {
        self.store.shape()
    }
    fn chunk_shape(&self) -> &[usize] {
        &self.shard_shape
    }
    fn read_chunk(&self, _index: &[usize], _out: &mut [T]) -> Result<(), StoreError> {
        Err(StoreError::Io {
            location: self.store.location(),
            message: "whole shards are only written here; read the store's chunks instead".into(),
            source: None,
        })
    }
    fn write_chunk(&self, index: &[usize], data: &[T]) -> Result<(), StoreError> {
        self.store.write_shard(index, data)?;
        let extent = crate::store::chunk_extent(self.store.shape(), &self.shard_shape, index);
        let inner: usize = extent
            .iter()
            .zip(self.store.chunk_shape())
            .map(|(&e, &c)| e.div_ceil(c))
            .product();
        self.chunks_written.fetch_add(inner, Ordering::Relaxed);
        Ok(())
    }
    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        // a shard is written whole, so its first inner chunk tells
        let inner: Vec<usize> = index
            .iter()
            .zip(&self.shard_shape)
            .zip(self.store.chunk_shape())
            .map(|((&i, &s), &c)| i * (s / c))
            .collect();
        self.store.contains_chunk(&inner)
    }
    fn location(&self) -> String {
        self.store.location()
    }

    fn io_scratch_bytes(&self) -> u64 {
        self.store.io_scratch_bytes()
    }

    fn shared_between_processes(&self) -> bool {
        self.store.shared_between_processes()
    }

    fn local_path(&self) -> Option<&Path> {
        self.store.local_path()
    }
}
