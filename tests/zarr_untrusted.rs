//! A store's `zarr.json` and chunk bytes are untrusted input: crafted sizes are typed
//! errors without large allocations (checked in a child process: its exit status and
//! peak RSS), and a property-based fuzzer over mutated metadata and chunk bytes checks
//! that opening, reading and computing return `Ok` or a typed error, never a panic.
//!
//! The fuzzer runs `SPILLWAY_FUZZ_CASES` cases (64 by default); `.ci/run` runs it longer.

mod common;

use proptest::prelude::*;
use serde_json::{Value, json};
use spillway::array::zarr::FromZarr;
use spillway::store::zarr::{ZarrOpenOptions, ZarrStore};
use spillway::store::{ChunkStore, StoreError};
use spillway::{ArrayError, Error, from_zarr, from_zarr_with};
use std::path::Path;
use std::time::Duration;

const CHILD_ENV: &str = "SPILLWAY_UNTRUSTED_CHILD";

/// A `zarr.json` of float64 with `shape` and `chunks`, zstd-compressed.
fn metadata(shape: &[u64], chunks: &[u64]) -> Value {
    json!({
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": "float64",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0.0,
        "codecs": [
            {"name": "bytes", "configuration": {"endian": "little"}},
            {"name": "zstd", "configuration": {"level": 0, "checksum": false}}
        ],
        "attributes": {}
    })
}

fn write_metadata(dir: &Path, json: &Value) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("zarr.json"), serde_json::to_vec(json).unwrap()).unwrap();
}

/// The crafted cases: the error each must give (checked by the child).
fn crafted_cases() -> Vec<(Vec<u64>, Vec<u64>, &'static str)> {
    vec![
        (vec![1 << 40], vec![1], "1099511627776 chunks along axis 0"),
        (vec![u64::MAX], vec![10], "overflows"),
        (
            vec![100_000_000_000],
            vec![1000],
            "100000000 chunks along axis 0",
        ),
        (vec![1 << 40, 1 << 40], vec![1 << 20, 1 << 20], "overflows"),
        (vec![10], vec![1 << 62], "chunk shape [4611686018427387904]"),
        (
            vec![1 << 30, 1 << 30],
            vec![1, 1 << 30],
            "chunks along axis 0",
        ),
    ]
}

/// Plays the child: opens every crafted store, checks its error, and reports its peak
/// memory. Does nothing unless run by the test below.
#[test]
fn crafted_metadata_child() {
    if std::env::var(CHILD_ENV).is_err() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases = crafted_cases();
    for (k, (shape, chunks, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{k}.zarr"));
        write_metadata(&path, &metadata(shape, chunks));
        let err = from_zarr::<f64>(&path).check().unwrap_err();
        match &err {
            Error::Store(StoreError::Shape { message, .. }) => {
                assert!(
                    message.contains(expected),
                    "{shape:?}/{chunks:?}: {message}"
                )
            }
            other => panic!("{shape:?}/{chunks:?}: expected a Shape error, got {other:?}"),
        }
        assert!(err.to_string().contains(&format!("case{k}.zarr")), "{err}");
    }
    println!(
        "CHILD cases={} vmhwm={}",
        cases.len(),
        common::vm_hwm_bytes("self").unwrap_or(0)
    );
}

#[test]
fn crafted_metadata_is_a_typed_error_without_a_large_allocation() {
    let child = common::run_child_test(
        "crafted_metadata_child",
        (CHILD_ENV, "1"),
        Duration::from_secs(120),
    );
    assert!(
        child
            .line
            .contains(&format!("cases={}", crafted_cases().len())),
        "{}",
        child.line
    );
    // the test binary itself takes a few MiB; 0.8 GB of chunk boundaries would show
    assert!(
        child.peak_bytes < 64 << 20,
        "peak RSS {} bytes opening crafted stores",
        child.peak_bytes
    );
}

/// A zstd frame of `data` (at most 255 bytes, one raw block) whose header declares
/// `declared` decoded bytes.
fn zstd_frame_declaring(declared: u64, data: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd];
    // frame header descriptor: an 8-byte content size, single segment, no checksum
    frame.push(0xe0);
    frame.extend_from_slice(&declared.to_le_bytes());
    // the last block, raw, of data.len() bytes
    let header = 1u32 | ((data.len() as u32) << 3);
    frame.extend_from_slice(&header.to_le_bytes()[..3]);
    frame.extend_from_slice(data);
    frame
}

#[test]
fn a_zstd_frame_declaring_a_huge_size_is_a_corrupt_chunk_not_an_abort() {
    // zarrs decodes this chain (crc32c after zstd: not streamed), and its zstd codec
    // allocates what the frame's header declares: 2^57 bytes aborted the process
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let mut json = metadata(&[2], &[2]);
    json["codecs"] = json!([
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "zstd", "configuration": {"level": 0, "checksum": false}},
        {"name": "crc32c"}
    ]);
    write_metadata(&path, &json);
    let values: Vec<u8> = [1.5f64, -2.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let chunk = |declared: u64| {
        let mut bytes = zstd_frame_declaring(declared, &values);
        let sum = crc32c::crc32c(&bytes).to_le_bytes();
        bytes.extend_from_slice(&sum);
        std::fs::create_dir_all(path.join("c")).unwrap();
        std::fs::write(path.join("c").join("0"), bytes).unwrap();
    };
    // the honest frame reads back
    chunk(16);
    let store = ZarrStore::<f64>::open(&path).unwrap();
    let mut out = [0.0; 2];
    store.read_chunk(&[0], &mut out).unwrap();
    assert_eq!(out, [1.5, -2.0]);
    // the lying one is a typed error naming the chunk
    chunk(1 << 57);
    let err = store.read_chunk(&[0], &mut out).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("144115188075855872"), "{text}");
    assert!(text.contains("c/0"), "{text}");
}

#[test]
fn shapes_whose_size_overflows_are_refused_at_creation() {
    let huge = 1usize << 40;
    let err = spillway::zeros::<f64>([huge, huge], 1 << 20)
        .check()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Array(ArrayError::TooManyElements { shape, .. }) if shape == &vec![huge, huge]),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("[1099511627776, 1099511627776]"),
        "{err}"
    );
    // the largest allowed still counts right
    let x = spillway::zeros::<u8>([1 << 30, 1 << 30], 1 << 16);
    assert_eq!(x.size(), 1 << 60);
    assert_eq!(x.nbytes(), 1 << 60);
}

// ---- the fuzzer ----

/// Values that break naive size arithmetic, and ordinary ones.
fn extent() -> impl Strategy<Value = Value> {
    prop_oneof![
        60 => (1u64..12).prop_map(Value::from),
        3 => Just(Value::from(0)),
        1 => Just(Value::from(u64::MAX)),
        1 => Just(Value::from(1u64 << 40)),
        1 => Just(Value::from(1u64 << 62)),
        1 => Just(Value::from(-1)),
        1 => Just(Value::from(2.5)),
        1 => Just(Value::from("7")),
    ]
}

fn dims(n: usize) -> impl Strategy<Value = Value> {
    proptest::collection::vec(extent(), n).prop_map(Value::from)
}

fn codec() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => Just(json!({"name": "zstd", "configuration": {"level": 0, "checksum": true}})),
        8 => Just(json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}})),
        6 => Just(json!({"name": "crc32c"})),
        3 => Just(json!({"name": "gzip", "configuration": {"level": 1}})),
        3 => Just(json!({"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 8, "blocksize": 0}})),
        1 => Just(json!({"name": "zstd"})),
        1 => Just(json!({"name": "nonesuch"})),
    ]
}

fn codecs() -> impl Strategy<Value = Value> {
    let bytes = prop_oneof![
        6 => Just(json!({"name": "bytes", "configuration": {"endian": "little"}})),
        1 => Just(json!({"name": "bytes", "configuration": {"endian": "big"}})),
        1 => Just(json!({"name": "bytes"})),
    ];
    let sharding = (dims(2), proptest::collection::vec(codec(), 0..2)).prop_map(|(inner, rest)| {
        let mut codecs = vec![json!({"name": "bytes", "configuration": {"endian": "little"}})];
        codecs.extend(rest);
        json!({"name": "sharding_indexed", "configuration": {
            "chunk_shape": inner,
            "codecs": codecs,
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_location": "end"
        }})
    });
    prop_oneof![
        8 => (bytes, proptest::collection::vec(codec(), 0..3)).prop_map(|(b, rest)| {
            let mut v = vec![b];
            v.extend(rest);
            Value::from(v)
        }),
        3 => sharding.prop_map(|s| Value::from(vec![s])),
        1 => Just(json!([])),
    ]
}

fn marker() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        Just(json!({"spillway": {"complete": false}})),
        Just(json!({"spillway": {"complete": true, "chunks": 4}})),
        Just(json!({"spillway": {"complete": true, "chunks": u64::MAX}})),
        Just(json!({"spillway": {"complete": "yes", "chunks": -3}})),
        Just(json!({"spillway": 7})),
    ]
}

/// A `zarr.json` for a 2-D array with some fields mutated.
fn document() -> impl Strategy<Value = Value> {
    let ndim = prop_oneof![12 => Just(2usize), 1 => 0usize..4];
    (
        ndim.prop_flat_map(|n| (dims(n), dims(n))),
        codecs(),
        marker(),
        prop_oneof![
            20 => Just(Value::from("float64")),
            1 => Just(Value::from("int32")),
            1 => Just(Value::from("complex128"))
        ],
        prop_oneof![
            10 => Just(Value::from(0.0)),
            3 => Just(Value::from("NaN")),
            1 => Just(Value::from("0x7ff8000000000000")),
            1 => Just(Value::Null)
        ],
        prop_oneof![
            20 => Just(Value::from("regular")),
            1 => Just(Value::from("rectilinear"))
        ],
    )
        .prop_map(|((shape, chunks), codecs, attributes, dtype, fill, grid)| {
            json!({
                "zarr_format": 3,
                "node_type": "array",
                "shape": shape,
                "data_type": dtype,
                "chunk_grid": {"name": grid, "configuration": {"chunk_shape": chunks}},
                "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
                "fill_value": fill,
                "codecs": codecs,
                "attributes": attributes
            })
        })
}

/// Chunk file bytes: random, or a valid zstd frame of `len` f64 values with bytes flipped.
fn chunk_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        (
            1usize..64,
            proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            any::<bool>()
        )
            .prop_map(|(len, flips, crc)| {
                let values: Vec<u8> = (0..len * 8).map(|i| (i % 7) as u8).collect();
                let mut bytes = zstd::bulk::compress(&values, 1).unwrap();
                if crc {
                    let sum = crc32c::crc32c(&bytes).to_le_bytes();
                    bytes.extend_from_slice(&sum);
                }
                for (at, value) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] ^= value;
                }
                bytes
            }),
    ]
}

/// Opens, reads every chunk of, verifies and computes the store at `path` when it is
/// small enough; every failure must be a typed error (a panic fails the case).
fn exercise(path: &Path) -> Result<(), TestCaseError> {
    let store = match ZarrStore::<f64>::open_with(path, &ZarrOpenOptions::default()) {
        Ok(s) => s,
        Err(_) => return Ok(()), // a typed error
    };
    let elements: u128 = store.shape().iter().map(|&n| n as u128).product();
    let chunk: u128 = store.chunk_shape().iter().map(|&n| n as u128).product();
    let grid = spillway::store::grid_shape(store.shape(), store.chunk_shape());
    let count: u128 = grid.iter().map(|&n| n as u128).product();
    if chunk <= 1 << 16 && count <= 64 && elements <= 1 << 16 {
        let mut buffer = Vec::new();
        let mut index = vec![0; grid.len()];
        for flat in 0..count as usize {
            let mut rest = flat;
            for axis in (0..grid.len()).rev() {
                index[axis] = rest % grid[axis];
                rest /= grid[axis];
            }
            let extent = spillway::store::chunk_extent(store.shape(), store.chunk_shape(), &index);
            buffer.clear();
            buffer.resize(extent.iter().product(), 0.0);
            let _ = store.read_chunk(&index, &mut buffer);
            let _ = store.contains_chunk(&index);
        }
        let _ = store.verify();
        let how = FromZarr::default().allow_incomplete(true);
        if let Err(Error::TaskPanicked { message, .. }) =
            from_zarr_with::<f64>(path, &how).sum().compute_scalar()
        {
            return Err(TestCaseError::fail(format!("a task panicked: {message}")));
        }
    }
    Ok(())
}

fn fuzz_cases() -> u32 {
    std::env::var("SPILLWAY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_metadata_and_chunks_never_panic(
        doc in document(),
        chunks in proptest::collection::vec(chunk_bytes(), 0..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.zarr");
        write_metadata(&path, &doc);
        for (k, bytes) in chunks.iter().enumerate() {
            let key = match k { 0 => "c/0/0", 1 => "c/0/1", _ => "c/0" };
            let file = path.join(key);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, bytes).unwrap();
        }
        exercise(&path)?;
    }
}
