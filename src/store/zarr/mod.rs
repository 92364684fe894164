//! Zarr arrays on a local or shared file system, through the `zarrs` crate.
//!
//! [`ZarrStore::open`] opens a zarr v3 array for reading and writing (zarr v2 arrays open
//! read-only); [`ZarrStore::create`] makes a v3 array with zarr-python 3's layout
//! (little-endian bytes + zstd, at level 1 where zarr-python uses 0), optionally sharded. Every chunk (or shard) is
//! written to a temporary file beside its key and renamed into place, so a reader never
//! sees half a chunk. A store made by `create` says it is incomplete until
//! [`ZarrStore::mark_complete`]; [`ZarrStore::resume`] reopens such a store for writing
//! and [`ChunkStore::contains_chunk`] says which chunks are done. See `docs/zarr.md`.
//!
//! ```
//! use spillway::store::ChunkStore;
//! use spillway::store::zarr::{ZarrOptions, ZarrStore};
//!
//! let dir = std::env::temp_dir().join(format!("spillway-doc-zarr-{}", std::process::id()));
//! let path = dir.join("x.zarr");
//! let store = ZarrStore::<f64>::create(&path, &[5, 3], &[2, 3], &ZarrOptions::default()).unwrap();
//! store.write_chunk(&[2, 0], &[1.0, 2.0, 3.0]).unwrap(); // the clipped edge chunk: 1 x 3
//! store.mark_complete().unwrap();
//!
//! let back = ZarrStore::<f64>::open(&path).unwrap();
//! assert!(back.is_complete());
//! let mut out = [0.0; 3];
//! back.read_chunk(&[2, 0], &mut out).unwrap();
//! assert_eq!(out, [1.0, 2.0, 3.0]);
//! back.read_chunk(&[0, 0], &mut [0.0; 6]).unwrap(); // never written: fill value
//! assert!(ZarrStore::<i32>::open(&path).is_err()); // float64 is not int32
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod atomic;
mod codec_pick;
mod direct;
mod info;
mod integrity;
mod io;
mod limits;
mod metadata;
mod probe;
mod readahead;
mod stream;

pub use codec_pick::{AUTO_CANDIDATES, CodecChoice, CodecProbe, DEFAULT_DISK_GBS, pick_codec};
pub use info::{IntoDimensionName, ZarrArrayInfo, array_info, list_group};
pub(crate) use info::{check_attributes, check_dimension_names};
pub use integrity::{DamagedChunk, VerifyReport, ZarrOpenOptions};
pub use limits::{MAX_ELEMENTS, MAX_GRID_CHUNKS};
pub use metadata::{BloscShuffle, Codec, ZarrOptions};
pub use probe::stored_dtype;

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use zarrs::array::codec::{ShardingCodecOptions, SubchunkWriteOrder};
use zarrs::array::{Array, ArrayShardedExt, CodecOptions, CodecSpecificOptions};
use zarrs::storage::{Bytes, StoreKey, WritableStorageTraits};

use self::atomic::{AtomicFsStore, RawCounters};
use super::{ChunkStore, StoreError};
use crate::dtype::Element;

/// The attribute in `zarr.json` that marks a store being written.
pub(crate) const MARKER_KEY: &str = "spillway";

/// Number of lock stripes serialising read-modify-write of shards.
const SHARD_LOCKS: usize = 64;

/// Makes an empty zarr v3 group at `path` (parent directories too), for arrays created
/// inside it with [`ZarrStore::create`]`(path.join(name), ..)`; an existing group is kept.
///
/// ```
/// use spillway::store::zarr::{create_group, ZarrOptions, ZarrStore};
/// let g = std::env::temp_dir().join(format!("spillway-doc-group-{}.zarr", std::process::id()));
/// create_group(&g).unwrap();
/// ZarrStore::<f64>::create(g.join("x"), &[2], &[2], &ZarrOptions::default()).unwrap();
/// assert!(ZarrStore::<f64>::open_in_group(&g, "x").is_ok());
/// std::fs::remove_dir_all(&g).unwrap();
/// ```
pub fn create_group(path: impl AsRef<Path>) -> Result<(), StoreError> {
    let path = path.as_ref();
    match inspect(path) {
        Ok(Node::Group) => return Ok(()),
        Ok(Node::Other(_)) | Err(StoreError::NotFound { .. }) => {}
        Ok(_) => {
            return Err(StoreError::AlreadyExists {
                location: path.display().to_string(),
            });
        }
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(path).map_err(|e| io_error(path, e))?;
    let storage = AtomicFsStore::new(path, Arc::new(RawCounters::default()))
        .map_err(|e| storage_error(path, e))?;
    let json = serde_json::json!({"zarr_format": 3, "node_type": "group", "attributes": {}});
    let key = StoreKey::new("zarr.json").expect("a valid key");
    storage
        .set(&key, Bytes::from(json.to_string()))
        .map_err(|e| storage_error(path, e))
}

/// Chunks and encoded bytes a [`ZarrStore`] moved to and from disk.
///
/// ```
/// let c = spillway::store::zarr::ZarrIoCounters::default();
/// assert_eq!(c.bytes_written, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZarrIoCounters {
    /// Chunks read (a chunk never written counts too).
    pub chunks_read: u64,
    /// Chunks (or shards) written.
    pub chunks_written: u64,
    /// Encoded bytes read from files (metadata included).
    pub bytes_read: u64,
    /// Encoded bytes written to files (metadata included).
    pub bytes_written: u64,
}

/// A zarr array on disk as a [`ChunkStore`] of `T`.
///
/// Its chunk grid is the array's chunks (the inner chunks of a sharded array). Reads and
/// writes go straight between the caller's buffer and the codec: one decode into `out`
/// for whole chunks, one copy for clipped edge chunks. Shared by threads; writers of
/// different shards never contend.
pub struct ZarrStore<T: Element> {
    array: Array<AtomicFsStore>,
    storage: Arc<AtomicFsStore>,
    root: PathBuf,
    location: String,
    shape: Vec<usize>,
    chunk_shape: Vec<usize>,
    shard_shape: Option<Vec<usize>>,
    /// `Some(reason)` when writes are refused.
    read_only: Option<String>,
    complete: AtomicBool,
    /// Chunk files the completion record counts (`u64::MAX`: no record).
    recorded_files: AtomicU64,
    /// Read a chunk missing from a store recorded whole as the fill value.
    fill_missing: bool,
    counters: Arc<RawCounters>,
    chunks_read: AtomicU64,
    chunks_written: AtomicU64,
    shard_locks: Vec<Mutex<()>>,
    /// Whether shards end with the usual index (bytes + crc32c) that contains_chunk reads.
    standard_shard_index: bool,
    codec_options: CodecOptions,
    /// The codec chain when whole chunks can be streamed (see `stream.rs`).
    stream: Option<stream::StreamCodec>,
    /// Whether large streamed chunks may be read past the page cache (see `direct.rs`).
    direct_reads: bool,
    /// Whether large streamed chunks are written past the page cache (see `direct.rs`).
    direct_writes: bool,
    /// Dimension names and user attributes (see `info.rs`).
    user: info::UserMetadata,
    _element: PhantomData<fn() -> T>,
}

impl<T: Element> std::fmt::Debug for ZarrStore<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZarrStore")
            .field("location", &self.location)
            .field("shape", &self.shape)
            .field("chunk_shape", &self.chunk_shape)
            .field("shard_shape", &self.shard_shape)
            .finish()
    }
}

fn io_error(location: &Path, e: std::io::Error) -> StoreError {
    StoreError::io(location.display().to_string(), "", e)
}

/// A failure of zarrs's storage layer, which carries its text only.
fn storage_error(location: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Io {
        location: location.display().to_string(),
        message: e.to_string(),
        source: None,
    }
}

fn to_usize(v: &[u64]) -> Vec<usize> {
    v.iter().map(|&x| x as usize).collect()
}

/// What sits at `path`: a v3 array, a v2 array, a group, or nothing zarr.
enum Node {
    V3Array(serde_json::Value),
    V2Array,
    Group,
    Other(String),
}

fn inspect(path: &Path) -> Result<Node, StoreError> {
    let location = path.display().to_string();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::NotFound { location });
        }
        Err(e) => return Err(io_error(path, e)),
        Ok(m) if !m.is_dir() => {
            return Ok(Node::Other("a file, not a directory".into()));
        }
        Ok(_) => {}
    }
    let v3 = path.join("zarr.json");
    if v3.exists() {
        let len = std::fs::metadata(&v3).map_err(|e| io_error(&v3, e))?.len();
        if len > limits::MAX_METADATA_BYTES {
            return Ok(Node::Other(format!(
                "its zarr.json has {len} bytes; metadata of more than {} bytes is not read",
                limits::MAX_METADATA_BYTES
            )));
        }
        let text = std::fs::read_to_string(&v3).map_err(|e| io_error(&v3, e))?;
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => return Ok(Node::Other(format!("zarr.json is not valid JSON: {e}"))),
        };
        return Ok(match json.get("node_type").and_then(|v| v.as_str()) {
            Some("array") => Node::V3Array(json),
            Some("group") => Node::Group,
            other => Node::Other(format!("zarr.json has node_type {other:?}")),
        });
    }
    if path.join(".zarray").exists() {
        return Ok(Node::V2Array);
    }
    if path.join(".zgroup").exists() {
        return Ok(Node::Group);
    }
    Ok(Node::Other(
        "a directory without zarr.json or .zarray".into(),
    ))
}

/// Whether the array's sharding keeps its index at the end with codecs bytes + crc32c.
fn standard_shard_index(array: &Array<AtomicFsStore>) -> bool {
    let zarrs::array::ArrayMetadata::V3(meta) = array.metadata() else {
        return false;
    };
    let Ok(json) = serde_json::to_value(meta) else {
        return false;
    };
    let config = &json["codecs"][0]["configuration"];
    let names: Vec<&str> = config["index_codecs"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    json["codecs"][0]["name"] == "sharding_indexed"
        && config["index_location"].as_str().unwrap_or("end") == "end"
        && names == ["bytes", "crc32c"]
}

/// The names of the arrays directly inside group `path`, for hints.
fn group_children(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| matches!(inspect(&e.path()), Ok(Node::V3Array(_) | Node::V2Array)))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

impl<T: Element> ZarrStore<T> {
    /// Opens the zarr array at `path` (a path inside a group such as `g.zarr/x` works
    /// too). Zarr v3 arrays open for reading and writing, zarr v2 arrays read-only.
    ///
    /// Errors: [`StoreError::NotFound`], [`StoreError::NotZarr`] (a group, a plain
    /// directory), [`StoreError::DtypeMismatch`] when the array does not hold `T`.
    ///
    /// ```
    /// use spillway::store::{StoreError, zarr::ZarrStore};
    /// let err = ZarrStore::<f64>::open("/no/such/x.zarr").unwrap_err();
    /// assert!(matches!(err, StoreError::NotFound { .. }));
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &ZarrOpenOptions::default())
    }

    /// [`open`](Self::open) with `options`: whether a chunk missing from a store spillway
    /// recorded whole reads as the fill value ([`ZarrOpenOptions::fill_missing`]) rather
    /// than failing with [`StoreError::MissingChunk`].
    ///
    /// ```
    /// use spillway::store::{ChunkStore, StoreError};
    /// use spillway::store::zarr::{ZarrOpenOptions, ZarrOptions, ZarrStore};
    /// let path = std::env::temp_dir().join(format!("spillway-doc-openw-{}.zarr", std::process::id()));
    /// let s = ZarrStore::<f64>::create(&path, &[2], &[1], &ZarrOptions::default()).unwrap();
    /// s.write_chunk(&[0], &[1.0]).unwrap();
    /// s.write_chunk(&[1], &[2.0]).unwrap();
    /// s.mark_complete().unwrap(); // records 2 chunk files: the whole grid
    /// std::fs::remove_file(path.join("c/1")).unwrap();
    /// let err = ZarrStore::<f64>::open(&path).unwrap().read_chunk(&[1], &mut [0.0]).unwrap_err();
    /// assert!(matches!(err, StoreError::MissingChunk { ref key, .. } if key == "c/1"));
    /// let lenient = ZarrStore::<f64>::open_with(&path, &ZarrOpenOptions { fill_missing: true }).unwrap();
    /// let mut out = [9.0];
    /// lenient.read_chunk(&[1], &mut out).unwrap();
    /// assert_eq!(out, [0.0]); // the fill value
    /// std::fs::remove_dir_all(&path).unwrap();
    /// ```
    pub fn open_with(
        path: impl AsRef<Path>,
        options: &ZarrOpenOptions,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref();
        match inspect(path)? {
            Node::V3Array(json) => {
                let grid = json["chunk_grid"]["name"].as_str().unwrap_or("");
                if grid != "regular" {
                    return Err(StoreError::NotZarr {
                        location: path.display().to_string(),
                        reason: format!(
                            "its chunk grid is {grid:?}; spillway reads regular chunk grids only"
                        ),
                    });
                }
                let (complete, files) = integrity::read_marker(&json);
                // checked before zarrs reads it, for errors that name the field
                let user = info::v3_user_metadata(&path.display().to_string(), &json)?;
                let mut store = Self::open_array(path, None, complete)?;
                store.recorded_files = AtomicU64::new(files.unwrap_or(u64::MAX));
                store.fill_missing = options.fill_missing;
                store.user = user;
                Ok(store)
            }
            Node::V2Array => {
                let user = info::v2_user_metadata(path)?;
                let mut store = Self::open_array(
                    path,
                    Some("zarr v2 arrays are read-only in spillway".into()),
                    true,
                )?;
                store.user = user;
                Ok(store)
            }
            Node::Group => Err(StoreError::NotZarr {
                location: path.display().to_string(),
                reason: format!(
                    "a zarr group holding arrays {:?}; open one with open_in_group(path, name)",
                    group_children(path)
                ),
            }),
            Node::Other(reason) => Err(StoreError::NotZarr {
                location: path.display().to_string(),
                reason,
            }),
        }
    }

    /// Opens array `name` inside the zarr group at `group`.
    ///
    /// ```
    /// use spillway::store::zarr::ZarrStore;
    /// assert!(ZarrStore::<f64>::open_in_group("/no/such/g.zarr", "x").is_err());
    /// ```
    pub fn open_in_group(group: impl AsRef<Path>, name: &str) -> Result<Self, StoreError> {
        let group = group.as_ref();
        match inspect(group)? {
            Node::Group => {}
            Node::V3Array(_) | Node::V2Array => {
                return Err(StoreError::NotZarr {
                    location: group.display().to_string(),
                    reason: "an array, not a group; open it with ZarrStore::open".into(),
                });
            }
            Node::Other(reason) => {
                return Err(StoreError::NotZarr {
                    location: group.display().to_string(),
                    reason,
                });
            }
        }
        let path = group.join(name);
        if !path.exists() {
            return Err(StoreError::NotZarr {
                location: path.display().to_string(),
                reason: format!(
                    "the group has no array {name:?}; it holds {:?}",
                    group_children(group)
                ),
            });
        }
        Self::open(path)
    }

    /// Makes a new zarr v3 array of `T` at `path` and returns it open for writing, marked
    /// incomplete until [`mark_complete`](Self::mark_complete). Parent directories are
    /// created. An existing zarr store at `path` is replaced only with
    /// `options.overwrite`; a directory that is not a zarr store is never replaced.
    ///
    /// ```
    /// use spillway::store::zarr::{Codec, ZarrOptions, ZarrStore};
    /// let path = std::env::temp_dir().join(format!("spillway-doc-create-{}.zarr", std::process::id()));
    /// let o = ZarrOptions { codec: Codec::None, shard_shape: Some(vec![4, 4]), ..Default::default() };
    /// let s = ZarrStore::<u8>::create(&path, &[6, 6], &[2, 2], &o).unwrap();
    /// assert_eq!(s.write_granularity(), &[4, 4]);
    /// assert!(!s.is_complete());
    /// assert!(ZarrStore::<u8>::create(&path, &[6, 6], &[2, 2], &o).is_err()); // exists
    /// std::fs::remove_dir_all(&path).unwrap();
    /// ```
    pub fn create(
        path: impl AsRef<Path>,
        shape: &[usize],
        chunk_shape: &[usize],
        options: &ZarrOptions,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let location = path.display().to_string();
        let shape_error = |message: String| StoreError::Shape {
            location: location.clone(),
            message,
        };
        if chunk_shape.len() != shape.len() {
            return Err(shape_error(format!(
                "got chunk shape {chunk_shape:?} for array shape {shape:?}; give one chunk length per axis"
            )));
        }
        if chunk_shape.contains(&0) {
            return Err(shape_error(format!(
                "got chunk shape {chunk_shape:?}; every chunk length must be at least 1"
            )));
        }
        if let Some(shard) = &options.shard_shape {
            let fits = shard.len() == chunk_shape.len()
                && shard
                    .iter()
                    .zip(chunk_shape)
                    .all(|(&s, &c)| s > 0 && s % c == 0);
            if !fits {
                return Err(shape_error(format!(
                    "got shard shape {shard:?} for chunk shape {chunk_shape:?}; each shard length must be a multiple of the chunk length"
                )));
            }
        }
        if let Some(names) = &options.dimension_names {
            check_dimension_names(&location, names, shape.len())?;
        }
        check_attributes(&location, &options.attributes)?;
        if options.codec == Codec::Auto {
            return Err(StoreError::Shape {
                location,
                message: "Codec::Auto picks a codec from the array's values, which creating an empty store does not have; write with Array::to_zarr_with, or give a codec (pick_codec prices them on a sample chunk)".to_string(),
            });
        }
        match inspect(path) {
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
            Ok(Node::Other(reason)) => {
                let empty = std::fs::read_dir(path)
                    .map(|mut d| d.next().is_none())
                    .unwrap_or(false);
                if !empty {
                    return Err(StoreError::NotZarr {
                        location,
                        reason: format!("{reason}; refusing to replace it"),
                    });
                }
            }
            Ok(_) if !options.overwrite => return Err(StoreError::AlreadyExists { location }),
            Ok(_) => std::fs::remove_dir_all(path).map_err(|e| io_error(path, e))?,
        }
        std::fs::create_dir_all(path).map_err(|e| io_error(path, e))?;
        let json = metadata::array_json(T::DTYPE, shape, chunk_shape, options);
        let counters = Arc::new(RawCounters::default());
        let storage = AtomicFsStore::new(path, counters).map_err(|e| storage_error(path, e))?;
        let key = StoreKey::new("zarr.json").expect("a valid key");
        let text = serde_json::to_vec_pretty(&json).expect("JSON values serialise");
        storage
            .set(&key, Bytes::from(text))
            .map_err(|e| storage_error(path, e))?;
        let mut store = Self::open_array(path, None, false)?;
        store.user = info::UserMetadata {
            dimension_names: options.dimension_names.clone(),
            attributes: options.attributes.clone(),
        };
        Ok(store)
    }

    /// Reopens a store that [`create`](Self::create) made and a killed writer left
    /// incomplete, for writing the chunks still missing: temporary files the writer left
    /// are deleted, so no other writer of this store may be running. Also works on
    /// complete v3 stores.
    ///
    /// ```
    /// use spillway::store::{ChunkStore, zarr::{ZarrOptions, ZarrStore}};
    /// let path = std::env::temp_dir().join(format!("spillway-doc-resume-{}.zarr", std::process::id()));
    /// let s = ZarrStore::<i64>::create(&path, &[4], &[2], &ZarrOptions::default()).unwrap();
    /// s.write_chunk(&[0], &[1, 2]).unwrap();
    /// drop(s); // the writer stops half way
    /// let r = ZarrStore::<i64>::resume(&path).unwrap();
    /// assert!(!r.is_complete());
    /// assert!(r.contains_chunk(&[0]).unwrap() && !r.contains_chunk(&[1]).unwrap());
    /// r.write_chunk(&[1], &[3, 4]).unwrap();
    /// r.mark_complete().unwrap();
    /// assert!(ZarrStore::<i64>::open(&path).unwrap().is_complete());
    /// std::fs::remove_dir_all(&path).unwrap();
    /// ```
    pub fn resume(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let store = Self::open(path)?;
        if let Some(reason) = &store.read_only {
            return Err(StoreError::ReadOnly {
                location: store.location.clone(),
                reason: reason.clone(),
                fix: "write a new v3 store with ZarrStore::create".into(),
            });
        }
        atomic::remove_temporaries(path).map_err(|e| io_error(path, e))?;
        Ok(store)
    }

    fn open_array(
        path: &Path,
        read_only: Option<String>,
        complete: bool,
    ) -> Result<Self, StoreError> {
        let location = path.display().to_string();
        let counters = Arc::new(RawCounters::default());
        let storage = Arc::new(
            AtomicFsStore::new(path, counters.clone()).map_err(|e| storage_error(path, e))?,
        );
        let array = Array::open(storage.clone(), "/").map_err(|e| StoreError::NotZarr {
            location: location.clone(),
            reason: format!("its metadata cannot be read: {e}"),
        })?;
        // A shard's inner chunks go into its file in C order, not in the order their
        // parallel encodes finish: the same data gives the same bytes on every run,
        // thread count and rank count.
        let array =
            array.with_codec_specific_options(&CodecSpecificOptions::default().with_option(
                ShardingCodecOptions::default().with_subchunk_write_order(SubchunkWriteOrder::C),
            ));
        let stored = array.data_type().to_string();
        let stored = stored.split(" / ").next().unwrap_or("").to_string();
        if stored != T::DTYPE.name() {
            return Err(StoreError::DtypeMismatch {
                location,
                stored,
                requested: T::DTYPE.name().into(),
            });
        }
        let zarr_chunk = array
            .chunk_shape(&vec![0; array.shape().len()])
            .map_err(|e| StoreError::NotZarr {
                location: location.clone(),
                reason: format!("its chunk grid is not regular: {e}"),
            })?;
        let zarr_chunk: Vec<u64> = zarr_chunk.iter().map(|c| c.get()).collect();
        let (chunk_shape, shard_shape) = match array.subchunk_shape() {
            Some(inner) if array.is_exclusively_sharded() => {
                (inner.iter().map(|c| c.get()).collect(), Some(zarr_chunk))
            }
            _ => (zarr_chunk, None),
        };
        // sizes from disk: checked before anything is built in proportion to them
        limits::check_grid(
            &location,
            array.shape(),
            &chunk_shape,
            shard_shape.as_deref(),
            std::mem::size_of::<T>(),
        )?;
        let shape = to_usize(array.shape());
        let chunk_shape = to_usize(&chunk_shape);
        let shard_shape = shard_shape.as_deref().map(to_usize);
        // a zstd frame holds at most a chunk (or a chunk as another codec encoded it,
        // which stays within twice its size): a header that says more is corrupt
        let chunk_bytes = (chunk_shape.iter().product::<usize>() as u64)
            .saturating_mul(std::mem::size_of::<T>() as u64);
        storage.limit_zstd_frames(chunk_bytes.saturating_mul(2).saturating_add(1 << 20));
        let codec_options = CodecOptions::default().with_store_empty_chunks(true);
        let standard_shard_index = standard_shard_index(&array);
        let stream = match (&read_only, &shard_shape) {
            (None, None) => std::fs::read(path.join("zarr.json"))
                .ok()
                .and_then(|text| serde_json::from_slice(&text).ok())
                .and_then(|json| stream::StreamCodec::from_metadata(&json)),
            _ => None,
        };
        Ok(ZarrStore {
            direct_reads: direct::reads_worth_it(shape_bytes::<T>(&shape)),
            direct_writes: direct::writes_worth_it(),
            array,
            storage,
            root: path.to_path_buf(),
            location,
            shape,
            chunk_shape,
            shard_shape,
            read_only,
            complete: AtomicBool::new(complete),
            recorded_files: AtomicU64::new(u64::MAX),
            fill_missing: false,
            counters,
            chunks_read: AtomicU64::new(0),
            chunks_written: AtomicU64::new(0),
            shard_locks: (0..SHARD_LOCKS).map(|_| Mutex::new(())).collect(),
            standard_shard_index,
            codec_options,
            stream,
            user: info::UserMetadata::default(),
            _element: PhantomData,
        })
    }

    /// Whether every chunk has been written: false for a store [`create`](Self::create)
    /// made until [`mark_complete`](Self::mark_complete); true for stores written by
    /// other tools.
    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    /// Records in `zarr.json` that every chunk has been written (atomically, like a chunk),
    /// with the number of chunk files (shards, when sharded) on disk: one `stat` per file
    /// of the grid. When that is the whole grid, a chunk file missing later is an error
    /// on read ([`StoreError::MissingChunk`]), not the fill value.
    pub fn mark_complete(&self) -> Result<(), StoreError> {
        self.write_marker(true)
    }

    /// The shard shape of a sharded array (`None` when every chunk is its own file).
    pub fn shard_shape(&self) -> Option<&[usize]> {
        self.shard_shape.as_deref()
    }

    /// The box one writer should own: the shard shape of a sharded array, else the
    /// chunk shape. Writing an inner chunk of a shard reads, patches and rewrites the
    /// whole shard (serialised within this process, not across processes), so parallel
    /// writers should each write whole shards ([`write_shard`](Self::write_shard)).
    pub fn write_granularity(&self) -> &[usize] {
        self.shard_shape.as_deref().unwrap_or(&self.chunk_shape)
    }

    /// Whether writes are refused, and why (zarr v2 arrays).
    pub fn read_only_reason(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// Chunks and encoded bytes this store has read and written so far.
    pub fn io_counters(&self) -> ZarrIoCounters {
        ZarrIoCounters {
            chunks_read: self.chunks_read.load(Ordering::Relaxed),
            chunks_written: self.chunks_written.load(Ordering::Relaxed),
            bytes_read: self.counters.bytes_read.load(Ordering::Relaxed),
            bytes_written: self.counters.bytes_written.load(Ordering::Relaxed),
        }
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        match &self.read_only {
            None => Ok(()),
            Some(reason) => Err(StoreError::ReadOnly {
                location: self.location.clone(),
                reason: reason.clone(),
                fix: "write a new v3 store with ZarrStore::create".into(),
            }),
        }
    }
}

/// [`ChunkStore::io_scratch_bytes`] of a store of `shape` in `chunk_shape` chunks written
/// `granule` at a time, whose whole chunks stream through `stream` when it is given.
fn scratch_bytes<T: Element>(
    shape: &[usize],
    chunk_shape: &[usize],
    granule: &[usize],
    stream: Option<stream::StreamCodec>,
) -> u64 {
    let no_edges = shape.iter().zip(chunk_shape).all(|(&n, &c)| n % c == 0);
    let granule: usize = granule.iter().product();
    let bytes = (granule * std::mem::size_of::<T>()) as u64;
    let encoded = bytes + bytes / 64 + 4096;
    match (stream, no_edges) {
        // small chunks: the codec's state can exceed a whole encoded chunk
        (Some(codec), true) => codec.scratch_bytes().min(encoded),
        _ => encoded,
    }
}

impl<T: Element> ZarrStore<T> {
    /// The [`io_scratch_bytes`](ChunkStore::io_scratch_bytes) of the store that
    /// [`create`](Self::create) would make with these arguments, worked out without
    /// touching the disk: a write is checked against the memory budget before its store
    /// is made, so a refused write leaves nothing behind.
    ///
    /// ```
    /// use spillway::store::{ChunkStore, zarr::{ZarrOptions, ZarrStore}};
    /// let path = std::env::temp_dir().join(format!("spillway-doc-planned-{}.zarr", std::process::id()));
    /// let o = ZarrOptions::default();
    /// let planned = ZarrStore::<f64>::planned_io_scratch_bytes(&[100, 100], &[30, 30], &o);
    /// let made = ZarrStore::<f64>::create(&path, &[100, 100], &[30, 30], &o).unwrap();
    /// assert_eq!(planned, made.io_scratch_bytes());
    /// std::fs::remove_dir_all(&path).unwrap();
    /// ```
    pub fn planned_io_scratch_bytes(
        shape: &[usize],
        chunk_shape: &[usize],
        options: &ZarrOptions,
    ) -> u64 {
        let stream = match &options.shard_shape {
            None => stream::StreamCodec::from_metadata(&metadata::array_json(
                T::DTYPE,
                shape,
                chunk_shape,
                options,
            )),
            Some(_) => None,
        };
        let granule = options.shard_shape.as_deref().unwrap_or(chunk_shape);
        scratch_bytes::<T>(shape, chunk_shape, granule, stream)
    }
}

impl<T: Element> ChunkStore<T> for ZarrStore<T> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn chunk_shape(&self) -> &[usize] {
        &self.chunk_shape
    }

    fn read_chunk(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError> {
        self.read_chunk_impl(index, out)
    }

    fn write_chunk(&self, index: &[usize], data: &[T]) -> Result<(), StoreError> {
        self.write_chunk_impl(index, data)
    }

    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        self.contains_chunk_impl(index)
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    /// Hands the chunk's file to the read-ahead thread ([`readahead`]), for unsharded
    /// stores (a shard can be much larger than the chunk asked for). Large chunks that
    /// are read directly, past the page cache, are left out.
    fn will_need(&self, index: &[usize]) {
        if self.shard_shape.is_none() && index.len() == self.shape.len() {
            readahead::hint(readahead::Hint {
                path: self.root.join(self.file_key(index)),
                unless_at_least: self
                    .stream
                    .filter(|_| self.direct_reads)
                    .map(|_| direct::MIN_FILE),
            });
        }
    }

    /// Files on a file system: every process that sees the path sees the chunks.
    fn shared_between_processes(&self) -> bool {
        true
    }

    fn local_path(&self) -> Option<&Path> {
        Some(&self.root)
    }

    /// The encoded bytes of one chunk (of one shard when writing whole shards): at most
    /// the decoded size plus the codec's framing for data that does not compress. Stores
    /// whose whole chunks stream (the default codecs, no shards) and that have no clipped
    /// edge chunks need only the streaming buffers and the codec's state.
    fn io_scratch_bytes(&self) -> u64 {
        scratch_bytes::<T>(
            &self.shape,
            &self.chunk_shape,
            self.write_granularity(),
            self.stream,
        )
    }
}

/// Bytes of an array of `shape` decoded (saturating).
fn shape_bytes<T: Element>(shape: &[usize]) -> u64 {
    shape.iter().fold(size_of::<T>() as u64, |bytes, &n| {
        bytes.saturating_mul(n as u64)
    })
}
