//! The zarr v3 `zarr.json` that [`ZarrStore::create`](super::ZarrStore::create) writes,
//! with zarr-python 3's codec names and defaults.

use serde_json::{Value, json};

use crate::dtype::DType;

/// How chunks are compressed on disk.
///
/// ```
/// use spillway::store::zarr::{BloscShuffle, Codec};
/// assert_eq!(Codec::default(), Codec::Zstd { level: 1 });
/// let lz4 = Codec::BloscLz4 { clevel: 5, shuffle: BloscShuffle::Shuffle };
/// assert_ne!(lz4, Codec::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Raw little-endian bytes.
    None,
    /// zstd at `level`; each frame carries a content checksum unless
    /// [`ZarrOptions::checksum`] is off. zarr-python 3 writes level 0 (zstd's default,
    /// 3); spillway's default is level 1 (see [`Codec::default`]).
    Zstd {
        /// zstd level (0 is zstd's default, 3; negative levels are faster).
        level: i32,
    },
    /// blosc with lz4.
    BloscLz4 {
        /// Compression level 0-9.
        clevel: u8,
        /// Byte or bit shuffle before compressing.
        shuffle: BloscShuffle,
    },
    /// blosc with zstd.
    BloscZstd {
        /// Compression level 0-9.
        clevel: u8,
        /// Byte or bit shuffle before compressing.
        shuffle: BloscShuffle,
    },
    /// Picked per array by [`to_zarr_with`](crate::Array::to_zarr_with) from its first
    /// chunk: raw bytes, blosc with lz4 and byte shuffle, or zstd level 1, whichever one
    /// read and one write cost least with ([`pick_codec`](super::pick_codec)); the pick is
    /// in the write's `StoreReport::codec`. A store is never created with `Auto` itself.
    Auto,
}

impl Codec {
    /// A short name: `none`, `zstd-1`, `blosc-lz4-5-shuffle`, `blosc-zstd-5-shuffle`, `auto`.
    ///
    /// ```
    /// use spillway::store::zarr::Codec;
    /// assert_eq!(Codec::Zstd { level: 1 }.name(), "zstd-1");
    /// assert_eq!(Codec::Auto.name(), "auto");
    /// ```
    pub fn name(&self) -> String {
        match self {
            Codec::None => "none".to_string(),
            Codec::Zstd { level } => format!("zstd-{level}"),
            Codec::BloscLz4 { clevel, shuffle } => format!("blosc-lz4-{clevel}-{}", shuffle.name()),
            Codec::BloscZstd { clevel, shuffle } => {
                format!("blosc-zstd-{clevel}-{}", shuffle.name())
            }
            Codec::Auto => "auto".to_string(),
        }
    }
}

impl Default for Codec {
    /// zstd level 1, with a checksum per frame ([`ZarrOptions::checksum`]). zarr-python 3 uses level 0 (zstd's 3), which
    /// compresses floating-point data about half as fast for sizes within a few percent
    /// (measured here on 64 MB of f64: uniform noise 0.939 of raw at 0.57 GB/s against
    /// 0.937 at 1.05 GB/s; a sine 0.909 at 0.46 GB/s against 0.931 at 0.91 GB/s). Writing
    /// is on the critical path of an out-of-core computation, so spillway takes the faster
    /// level; zarr-python and Dask read either. Ask for `Codec::Zstd { level: 0 }` for
    /// zarr-python's exact choice.
    fn default() -> Self {
        Codec::Zstd { level: 1 }
    }
}

/// blosc's shuffle filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BloscShuffle {
    /// No shuffle.
    NoShuffle,
    /// Byte shuffle (groups the n-th bytes of every element).
    Shuffle,
    /// Bit shuffle.
    BitShuffle,
}

impl BloscShuffle {
    fn name(self) -> &'static str {
        match self {
            BloscShuffle::NoShuffle => "noshuffle",
            BloscShuffle::Shuffle => "shuffle",
            BloscShuffle::BitShuffle => "bitshuffle",
        }
    }
}

/// How [`ZarrStore::create`](super::ZarrStore::create) lays the array out.
///
/// ```
/// use spillway::store::zarr::{Codec, ZarrOptions};
/// let o = ZarrOptions::default();
/// assert_eq!(o.codec, Codec::Zstd { level: 1 });
/// assert!(o.shard_shape.is_none() && !o.overwrite);
/// assert!(o.checksum && !o.crc32c); // zstd frames carry checksums; no crc32c codec
/// assert!(o.dimension_names.is_none() && o.attributes.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ZarrOptions {
    /// The compressor.
    pub codec: Codec,
    /// Shards (the files on disk) of this shape, each holding chunks of the chunk shape
    /// (`sharding_indexed`); every axis a multiple of the chunk shape.
    pub shard_shape: Option<Vec<usize>>,
    /// The value of chunks never written (0 when `None`; `NaN` is allowed for floats).
    pub fill_value: Option<f64>,
    /// Replace a zarr store already at the path.
    pub overwrite: bool,
    /// User attributes stored in `zarr.json` (zarr-python's and xarray's `attrs`). The
    /// key `"spillway"` is spillway's own (the completion record) and is refused.
    pub attributes: serde_json::Map<String, Value>,
    /// zarr v3's `dimension_names` (xarray's dimensions): one per axis, `None` for an
    /// unnamed axis; `None` writes no names. A count other than the array's number of
    /// dimensions is [`StoreError::DimensionNames`](crate::store::StoreError::DimensionNames).
    pub dimension_names: Option<Vec<Option<String>>>,
    /// zstd frames carry a content checksum (zarr's zstd `checksum: true`), verified on
    /// every read, so a damaged chunk is an error rather than wrong numbers. On by default;
    /// it costs a hash of the decoded bytes (see `docs/zarr.md` for the measured cost).
    /// Other codecs ignore it; use [`crc32c`](Self::crc32c) for those.
    pub checksum: bool,
    /// Ends every chunk's codec chain with zarr's `crc32c` codec (a 4-byte checksum of the
    /// encoded chunk, verified on every read), whatever the compressor. Off by default.
    pub crc32c: bool,
}

impl Default for ZarrOptions {
    fn default() -> Self {
        ZarrOptions {
            codec: Codec::default(),
            shard_shape: None,
            fill_value: None,
            overwrite: false,
            attributes: serde_json::Map::new(),
            dimension_names: None,
            checksum: true,
            crc32c: false,
        }
    }
}

/// The `fill_value` JSON for `dtype`.
fn fill_json(dtype: DType, fill: f64) -> Value {
    let float = |fill: f64| {
        if fill.is_nan() {
            json!("NaN")
        } else if fill.is_infinite() {
            json!(if fill > 0.0 { "Infinity" } else { "-Infinity" })
        } else {
            json!(fill)
        }
    };
    match dtype {
        DType::Float64 | DType::Float32 => float(fill),
        // complex: `[real, imaginary]`
        DType::Complex64 | DType::Complex128 => json!([float(fill), 0.0]),
        DType::Bool => json!(fill != 0.0),
        DType::UInt64 | DType::UInt32 | DType::UInt16 | DType::UInt8 => {
            json!(fill.max(0.0) as u64)
        }
        DType::Int64 | DType::Int32 | DType::Int16 | DType::Int8 => json!(fill as i64),
    }
}

/// The codec chain (array-to-bytes, then bytes-to-bytes) of `options`.
fn codec_chain(options: &ZarrOptions, itemsize: usize) -> Vec<Value> {
    let codec = options.codec;
    let mut chain = vec![json!({"name": "bytes", "configuration": {"endian": "little"}})];
    let blosc = |cname: &str, clevel: u8, shuffle: BloscShuffle| {
        json!({"name": "blosc", "configuration": {
            "cname": cname, "clevel": clevel.min(9), "shuffle": shuffle.name(),
            "typesize": itemsize, "blocksize": 0
        }})
    };
    match codec {
        Codec::None => {}
        Codec::Zstd { level } => chain
            .push(json!({"name": "zstd", "configuration": {"level": level, "checksum": options.checksum}})),
        Codec::BloscLz4 { clevel, shuffle } => chain.push(blosc("lz4", clevel, shuffle)),
        Codec::BloscZstd { clevel, shuffle } => chain.push(blosc("zstd", clevel, shuffle)),
        // refused by `ZarrStore::create`; to_zarr resolves it first
        Codec::Auto => {}
    }
    if options.crc32c {
        chain.push(json!({"name": "crc32c"}));
    }
    chain
}

/// The whole `zarr.json` of a new array, marked incomplete (`"spillway": {"complete": false}`).
pub(crate) fn array_json(
    dtype: DType,
    shape: &[usize],
    chunk_shape: &[usize],
    options: &ZarrOptions,
) -> Value {
    let inner = codec_chain(options, dtype.itemsize());
    let (grid, codecs) = match &options.shard_shape {
        None => (chunk_shape.to_vec(), inner),
        Some(shard) => (
            shard.clone(),
            vec![json!({"name": "sharding_indexed", "configuration": {
                "chunk_shape": chunk_shape,
                "codecs": inner,
                "index_codecs": [
                    {"name": "bytes", "configuration": {"endian": "little"}},
                    {"name": "crc32c"}
                ],
                "index_location": "end"
            }})],
        ),
    };
    let mut attributes = options.attributes.clone();
    attributes.insert(super::MARKER_KEY.into(), json!({"complete": false}));
    let mut array = json!({
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": dtype.name(),
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": grid}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill_json(dtype, options.fill_value.unwrap_or(0.0)),
        "codecs": codecs,
        "attributes": attributes,
        "storage_transformers": []
    });
    if let Some(names) = &options.dimension_names {
        array["dimension_names"] = json!(names);
    }
    array
}
