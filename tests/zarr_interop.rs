//! Interoperability with zarr-python 3 and dask, driven by `scripts/zarr_interop.sh`.
//!
//! Runs only when the environment variable `SPILLWAY_ZARR_INTEROP_DIR` is set; otherwise
//! it prints that it was skipped and passes (plain `cargo test` has no Python). With it
//! set, it reads every array `scripts/zarr_interop.py write DIR` left in
//! `DIR/from_python` and compares the values with the rule both sides share, then writes
//! arrays with every codec, sharded and in a group, into `DIR/from_spillway` for
//! `scripts/zarr_interop.py read DIR` to check.

use std::path::{Path, PathBuf};

use spillway::store::zarr::{BloscShuffle, Codec, ZarrOptions, ZarrStore, create_group};
use spillway::store::{ChunkStore, chunk_extent, grid_shape};
use spillway::{DType, Element};

fn interop_dir() -> Option<PathBuf> {
    match std::env::var_os("SPILLWAY_ZARR_INTEROP_DIR") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            eprintln!(
                "zarr interop skipped: SPILLWAY_ZARR_INTEROP_DIR is not set (scripts/zarr_interop.sh sets it)"
            );
            None
        }
    }
}

/// The shared rule: floats i * 0.25 - 1, integers (i * 7) % 251, bool i % 3 == 0.
fn rule<T: Element>(i: usize) -> T {
    match T::DTYPE {
        DType::Float64 | DType::Float32 => T::from_f64(i as f64 * 0.25 - 1.0),
        DType::Bool => T::from_i128(i.is_multiple_of(3) as i128),
        _ => T::from_i128(((i * 7) % 251) as i128),
    }
}

/// The row-major flat indices (in the whole array) of chunk `index`'s elements.
fn flat_indices(shape: &[usize], chunk: &[usize], index: &[usize]) -> Vec<usize> {
    let extent = chunk_extent(shape, chunk, index);
    let n: usize = extent.iter().product();
    (0..n)
        .map(|mut local| {
            let mut coords = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                coords[d] = index[d] * chunk[d] + local % extent[d];
                local /= extent[d];
            }
            coords.iter().zip(shape).fold(0, |f, (&c, &s)| f * s + c)
        })
        .collect()
}

fn all_chunks(grid: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = grid.iter().product();
    (0..total)
        .map(|mut flat| {
            let mut idx = vec![0; grid.len()];
            for d in (0..grid.len()).rev() {
                idx[d] = flat % grid[d];
                flat /= grid[d];
            }
            idx
        })
        .collect()
}

/// Reads the whole array, row-major.
fn read_all<T: Element>(s: &ZarrStore<T>) -> Vec<T> {
    let (shape, chunk) = (s.shape().to_vec(), s.chunk_shape().to_vec());
    let mut out = vec![T::default(); shape.iter().product()];
    for idx in all_chunks(&grid_shape(&shape, &chunk)) {
        let flat = flat_indices(&shape, &chunk, &idx);
        let mut buf = vec![T::default(); flat.len()];
        s.read_chunk(&idx, &mut buf).unwrap();
        for (f, v) in flat.into_iter().zip(buf) {
            out[f] = v;
        }
    }
    out
}

fn check<T: Element>(dir: &Path, entry: &serde_json::Value) {
    let name = entry["name"].as_str().unwrap();
    let path = dir.join(entry["path"].as_str().unwrap());
    let s = match entry["group_member"].as_str() {
        Some(member) => ZarrStore::<T>::open_in_group(&path, member),
        None => ZarrStore::<T>::open(&path),
    }
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let shape: Vec<usize> = serde_json::from_value(entry["shape"].clone()).unwrap();
    let chunks: Vec<usize> = serde_json::from_value(entry["chunks"].clone()).unwrap();
    assert_eq!(s.shape(), &shape[..], "{name}");
    assert_eq!(s.chunk_shape(), &chunks[..], "{name}");
    if let Some(shards) = entry.get("shards") {
        let shards: Vec<usize> = serde_json::from_value(shards.clone()).unwrap();
        assert_eq!(s.shard_shape(), Some(&shards[..]), "{name}");
    }
    assert!(
        s.is_complete(),
        "{name}: arrays written by others are complete"
    );
    assert_eq!(
        s.read_only_reason().is_some(),
        entry["zarr_format"] == 2,
        "{name}: v2 arrays are read-only"
    );
    let got = read_all(&s);
    match entry["values"].as_str().unwrap() {
        "rule" => {
            let want: Vec<T> = (0..got.len()).map(rule).collect();
            assert_eq!(got, want, "{name}");
        }
        "partial" => {
            let written = entry["written"].as_u64().unwrap() as usize;
            let fill = T::from_f64(entry["fill_value"].as_f64().unwrap());
            let want: Vec<T> = (0..got.len())
                .map(|i| if i < written { rule(i) } else { fill })
                .collect();
            assert_eq!(got, want, "{name}");
        }
        "stats" => {
            let sum: f64 = got.iter().map(|v| v.to_f64()).sum();
            let want = entry["sum"].as_f64().unwrap();
            assert!(
                (sum - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{name}: sum {sum} vs {want}"
            );
            let first: Vec<f64> = serde_json::from_value(entry["first"].clone()).unwrap();
            let got_first: Vec<f64> = got.iter().take(first.len()).map(|v| v.to_f64()).collect();
            assert_eq!(got_first, first, "{name}");
        }
        other => panic!("{name}: unknown values kind {other}"),
    }
}

#[test]
fn reads_arrays_written_by_zarr_python_and_dask() {
    let Some(root) = interop_dir() else { return };
    let dir = root.join("from_python");
    let manifest: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(!manifest.is_empty());
    for entry in &manifest {
        match entry["dtype"].as_str().unwrap() {
            "float64" => check::<f64>(&dir, entry),
            "float32" => check::<f32>(&dir, entry),
            "int64" => check::<i64>(&dir, entry),
            "int32" => check::<i32>(&dir, entry),
            "uint64" => check::<u64>(&dir, entry),
            "uint32" => check::<u32>(&dir, entry),
            "uint8" => check::<u8>(&dir, entry),
            "bool" => check::<bool>(&dir, entry),
            other => panic!("unexpected dtype {other}"),
        }
        eprintln!("read {}", entry["name"]);
    }
}

fn write_one<T: Element>(
    path: &Path,
    shape: &[usize],
    chunk: &[usize],
    options: &ZarrOptions,
) -> serde_json::Value {
    let s = ZarrStore::<T>::create(path, shape, chunk, options).unwrap();
    for idx in all_chunks(&grid_shape(shape, chunk)) {
        let data: Vec<T> = flat_indices(shape, chunk, &idx)
            .into_iter()
            .map(rule)
            .collect();
        s.write_chunk(&idx, &data).unwrap();
    }
    s.mark_complete().unwrap();
    serde_json::json!({"dtype": T::DTYPE.name(), "shape": shape, "chunks": chunk})
}

#[test]
fn writes_arrays_for_zarr_python_to_read() {
    let Some(root) = interop_dir() else { return };
    let dir = root.join("from_spillway");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let codecs = [
        ("none", Codec::None),
        ("zstd", Codec::Zstd { level: 0 }),
        (
            "blosc_lz4",
            Codec::BloscLz4 {
                clevel: 5,
                shuffle: BloscShuffle::Shuffle,
            },
        ),
        (
            "blosc_zstd",
            Codec::BloscZstd {
                clevel: 3,
                shuffle: BloscShuffle::BitShuffle,
            },
        ),
    ];
    let mut manifest = Vec::new();
    let mut add = |name: String, mut entry: serde_json::Value| {
        entry["name"] = name.clone().into();
        if entry.get("path").is_none() {
            entry["path"] = name.into();
        }
        manifest.push(entry);
    };
    let (shape, chunk) = ([13usize, 7], [4usize, 3]);
    for (cname, codec) in codecs {
        let o = ZarrOptions {
            codec,
            ..Default::default()
        };
        let p = |t: &str| format!("{cname}_{t}.zarr");
        add(
            p("float64"),
            write_one::<f64>(&dir.join(p("float64")), &shape, &chunk, &o),
        );
        add(
            p("float32"),
            write_one::<f32>(&dir.join(p("float32")), &shape, &chunk, &o),
        );
        add(
            p("int64"),
            write_one::<i64>(&dir.join(p("int64")), &shape, &chunk, &o),
        );
        add(
            p("int32"),
            write_one::<i32>(&dir.join(p("int32")), &shape, &chunk, &o),
        );
        add(
            p("uint64"),
            write_one::<u64>(&dir.join(p("uint64")), &shape, &chunk, &o),
        );
        add(
            p("uint32"),
            write_one::<u32>(&dir.join(p("uint32")), &shape, &chunk, &o),
        );
        add(
            p("uint8"),
            write_one::<u8>(&dir.join(p("uint8")), &shape, &chunk, &o),
        );
        add(
            p("bool"),
            write_one::<bool>(&dir.join(p("bool")), &shape, &chunk, &o),
        );
        let o = ZarrOptions {
            codec,
            shard_shape: Some(vec![4, 6]),
            ..Default::default()
        };
        let name = format!("{cname}_sharded.zarr");
        let mut e = write_one::<f64>(&dir.join(&name), &[10, 10], &[2, 3], &o);
        e["shards"] = serde_json::json!([4, 6]);
        add(name, e);
    }
    let o = ZarrOptions::default();
    add(
        "3d.zarr".into(),
        write_one::<f64>(&dir.join("3d.zarr"), &[5, 1, 9], &[2, 1, 4], &o),
    );
    create_group(dir.join("group.zarr")).unwrap();
    let mut e = write_one::<u32>(&dir.join("group.zarr/x"), &[6, 5], &[4, 4], &o);
    e["path"] = "group.zarr".into();
    e["group_member"] = "x".into();
    add("group.zarr/x".into(), e);
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}
