//! The zarr store: conformance with every codec, sharded and not; every element type;
//! errors for missing paths, non-zarr directories, dtype mismatches, corrupt and truncated
//! chunks, read-only stores and destinations; atomic writes, completion and resume.

mod store_conformance;

use std::sync::Arc;

use spillway::store::zarr::{BloscShuffle, Codec, ZarrOptions, ZarrStore};
use spillway::store::{ChunkStore, StoreError};
use store_conformance::{TempDir, conformance_with};

const CODECS: [Codec; 4] = [
    Codec::None,
    Codec::Zstd { level: 0 },
    Codec::BloscLz4 {
        clevel: 5,
        shuffle: BloscShuffle::Shuffle,
    },
    Codec::BloscZstd {
        clevel: 3,
        shuffle: BloscShuffle::BitShuffle,
    },
];

fn options(codec: Codec, sharded: bool, chunk: &[usize]) -> ZarrOptions {
    ZarrOptions {
        codec,
        shard_shape: sharded.then(|| chunk.iter().map(|c| c * 2).collect()),
        ..Default::default()
    }
}

#[test]
fn every_codec_passes_the_conformance_checks() {
    for codec in CODECS {
        for sharded in [false, true] {
            let dir = TempDir::new("zarr-conf");
            let n = std::sync::atomic::AtomicUsize::new(0);
            conformance_with(
                |shape, chunk| {
                    let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let path = dir.path().join(format!("a{i}.zarr"));
                    ZarrStore::<f64>::create(&path, shape, chunk, &options(codec, sharded, chunk))
                        .unwrap()
                },
                !sharded,
            );
        }
    }
}

#[test]
fn a_reopened_store_reads_what_was_written() {
    let dir = TempDir::new("zarr-reopen");
    for codec in CODECS {
        for sharded in [false, true] {
            let path = dir.path().join(format!("{codec:?}-{sharded}.zarr"));
            let s = ZarrStore::<f64>::create(
                &path,
                &[9, 5],
                &[4, 2],
                &options(codec, sharded, &[4, 2]),
            )
            .unwrap();
            store_conformance::round_trip(&s);
            s.mark_complete().unwrap();
            drop(s);
            let back = ZarrStore::<f64>::open(&path).unwrap();
            assert!(back.is_complete());
            assert_eq!(back.shape(), &[9, 5]);
            assert_eq!(back.chunk_shape(), &[4, 2]);
            assert_eq!(
                back.shard_shape().map(|s| s.to_vec()),
                sharded.then(|| vec![8, 4])
            );
            let mut corner = [0.0];
            back.read_chunk(&[2, 2], &mut corner).unwrap(); // the 1 x 1 corner, clipped
            assert_eq!(corner, [45.0]);
            assert!(back.read_chunk(&[2, 2], &mut [0.0; 2]).is_err());
        }
    }
}

fn round_trip_typed<T: spillway::Element>(values: impl Fn(usize) -> T) {
    let dir = TempDir::new("zarr-typed");
    for codec in CODECS {
        let path = dir.path().join(format!("{codec:?}.zarr"));
        let s = ZarrStore::<T>::create(&path, &[7], &[3], &options(codec, false, &[3])).unwrap();
        let data: Vec<T> = (0..7).map(&values).collect();
        for (i, c) in data.chunks(3).enumerate() {
            s.write_chunk(&[i], c).unwrap();
        }
        let back = ZarrStore::<T>::open(&path).unwrap();
        let mut out = vec![T::default(); 1];
        back.read_chunk(&[2], &mut out).unwrap();
        assert_eq!(out, vec![values(6)]);
        let mut out = vec![T::default(); 3];
        back.read_chunk(&[1], &mut out).unwrap();
        assert_eq!(out, data[3..6].to_vec());
    }
}

#[test]
fn every_element_type_round_trips() {
    round_trip_typed(|i| i as f64 * 0.5 - 1.0);
    round_trip_typed(|i| i as f32 * 0.25);
    round_trip_typed(|i| i as i64 - 3);
    round_trip_typed(|i| i as i32 * -7);
    round_trip_typed(|i| u64::MAX - i as u64);
    round_trip_typed(|i| i as u32 * 1000);
    round_trip_typed(|i| i as u8 * 30);
    round_trip_typed(|i| i % 3 == 0);
}

#[test]
fn missing_chunks_read_the_fill_value() {
    let dir = TempDir::new("zarr-fill");
    let path = dir.path().join("nan.zarr");
    let o = ZarrOptions {
        fill_value: Some(f64::NAN),
        ..Default::default()
    };
    let s = ZarrStore::<f64>::create(&path, &[4], &[2], &o).unwrap();
    let mut out = [0.0; 2];
    s.read_chunk(&[1], &mut out).unwrap();
    assert!(out.iter().all(|v| v.is_nan()));
    let path = dir.path().join("seven.zarr");
    let o = ZarrOptions {
        fill_value: Some(7.0),
        ..Default::default()
    };
    let s = ZarrStore::<i32>::create(&path, &[5], &[3], &o).unwrap();
    s.write_chunk(&[0], &[1, 2, 3]).unwrap();
    let mut out = [0; 2];
    s.read_chunk(&[1], &mut out).unwrap();
    assert_eq!(out, [7, 7]);
}

#[test]
fn edge_chunks_are_stored_full_size_padded_with_the_fill_value() {
    let dir = TempDir::new("zarr-edge");
    let path = dir.path().join("e.zarr");
    let o = ZarrOptions {
        codec: Codec::None,
        fill_value: Some(9.0),
        ..Default::default()
    };
    let s = ZarrStore::<u8>::create(&path, &[5, 3], &[2, 2], &o).unwrap();
    s.write_chunk(&[2, 1], &[1]).unwrap();
    assert_eq!(std::fs::read(path.join("c/2/1")).unwrap(), vec![1, 9, 9, 9]);
}

#[test]
fn metadata_uses_zarr_python_layout_at_zstd_level_1() {
    let dir = TempDir::new("zarr-meta");
    let path = dir.path().join("m.zarr");
    ZarrStore::<f32>::create(&path, &[4, 4], &[2, 2], &ZarrOptions::default()).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path.join("zarr.json")).unwrap()).unwrap();
    assert_eq!(json["zarr_format"], 3);
    assert_eq!(json["data_type"], "float32");
    assert_eq!(json["codecs"][0]["name"], "bytes");
    assert_eq!(json["codecs"][0]["configuration"]["endian"], "little");
    assert_eq!(json["codecs"][1]["name"], "zstd");
    // zarr-python writes level 0 (zstd's 3); spillway's default is the faster level 1
    assert_eq!(json["codecs"][1]["configuration"]["level"], 1);
    // frames carry checksums, verified on read (zarr-python reads and checks them too)
    assert_eq!(json["codecs"][1]["configuration"]["checksum"], true);
    assert_eq!(
        json["chunk_key_encoding"]["configuration"]["separator"],
        "/"
    );
    assert_eq!(json["attributes"]["spillway"]["complete"], false);
}

#[test]
fn a_missing_path_is_not_found() {
    let err = ZarrStore::<f64>::open("/no/such/dir/x.zarr").unwrap_err();
    assert_eq!(
        err,
        StoreError::NotFound {
            location: "/no/such/dir/x.zarr".into()
        }
    );
    assert!(err.to_string().contains("to_zarr"), "{err}");
}

#[test]
fn a_directory_that_is_not_zarr_is_refused() {
    let dir = TempDir::new("zarr-notzarr");
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let err = ZarrStore::<f64>::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::NotZarr { .. }), "{err}");
    assert!(err.to_string().contains("without zarr.json"), "{err}");
    // and create will not replace it
    let err = ZarrStore::<f64>::create(
        dir.path(),
        &[2],
        &[1],
        &ZarrOptions {
            overwrite: true,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::NotZarr { .. }), "{err}");
    assert!(dir.path().join("notes.txt").exists());
    // garbage metadata
    let bad = dir.path().join("bad.zarr");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("zarr.json"), "{not json").unwrap();
    assert!(matches!(
        ZarrStore::<f64>::open(&bad).unwrap_err(),
        StoreError::NotZarr { .. }
    ));
    std::fs::write(
        bad.join("zarr.json"),
        r#"{"zarr_format": 3, "node_type": "array"}"#,
    )
    .unwrap();
    assert!(matches!(
        ZarrStore::<f64>::open(&bad).unwrap_err(),
        StoreError::NotZarr { .. }
    ));
}

#[test]
fn arrays_inside_groups_open_by_path_or_name() {
    let dir = TempDir::new("zarr-group");
    let group = dir.path().join("g.zarr");
    std::fs::create_dir(&group).unwrap();
    std::fs::write(
        group.join("zarr.json"),
        r#"{"zarr_format": 3, "node_type": "group", "attributes": {}}"#,
    )
    .unwrap();
    let s = ZarrStore::<i64>::create(group.join("x"), &[3], &[2], &ZarrOptions::default()).unwrap();
    s.write_chunk(&[1], &[5]).unwrap();
    let mut out = [0];
    ZarrStore::<i64>::open_in_group(&group, "x")
        .unwrap()
        .read_chunk(&[1], &mut out)
        .unwrap();
    assert_eq!(out, [5]);
    ZarrStore::<i64>::open(group.join("x"))
        .unwrap()
        .read_chunk(&[1], &mut out)
        .unwrap();
    assert_eq!(out, [5]);
    let err = ZarrStore::<i64>::open(&group).unwrap_err();
    assert!(
        err.to_string().contains("open_in_group") && err.to_string().contains("\"x\""),
        "{err}"
    );
    let err = ZarrStore::<i64>::open_in_group(&group, "y").unwrap_err();
    assert!(err.to_string().contains("no array \"y\""), "{err}");
}

#[test]
fn a_dtype_mismatch_names_both_types_and_the_fix() {
    let dir = TempDir::new("zarr-dtype");
    let path = dir.path().join("f.zarr");
    ZarrStore::<f32>::create(&path, &[3], &[2], &ZarrOptions::default()).unwrap();
    let err = ZarrStore::<f64>::open(&path).unwrap_err();
    assert_eq!(
        err,
        StoreError::DtypeMismatch {
            location: path.display().to_string(),
            stored: "float32".into(),
            requested: "float64".into()
        }
    );
    assert!(err.to_string().contains("from_zarr::<f32>"), "{err}");
    assert!(ZarrStore::<bool>::open(&path).is_err());
}

#[test]
fn corrupt_and_truncated_chunks_name_the_key_and_the_path() {
    let dir = TempDir::new("zarr-corrupt");
    for codec in CODECS {
        for sharded in [false, true] {
            let path = dir.path().join(format!("{codec:?}-{sharded}.zarr"));
            let s = ZarrStore::<f64>::create(
                &path,
                &[8, 8],
                &[4, 4],
                &options(codec, sharded, &[4, 4]),
            )
            .unwrap();
            let data: Vec<f64> = (0..16).map(|i| i as f64 * 1.5).collect();
            s.write_chunk(&[0, 0], &data).unwrap();
            let file = path.join("c/0/0");
            let bytes = std::fs::read(&file).unwrap();
            for damaged in [
                bytes[..bytes.len() / 2].to_vec(),
                vec![0xAB; bytes.len()],
                vec![],
            ] {
                std::fs::write(&file, &damaged).unwrap();
                let s = ZarrStore::<f64>::open(&path).unwrap();
                let mut out = vec![0.0; 16];
                match s.read_chunk(&[0, 0], &mut out) {
                    Err(StoreError::CorruptChunk { key, location, .. }) => {
                        assert_eq!(key, "c/0/0");
                        assert_eq!(location, path.display().to_string());
                    }
                    // uncompressed garbage of the right length decodes to some numbers
                    Ok(()) if codec == Codec::None && !sharded && damaged.len() == bytes.len() => {}
                    other => panic!(
                        "{codec:?} sharded={sharded} len={}: {other:?}",
                        damaged.len()
                    ),
                }
            }
        }
    }
}

#[test]
fn a_destination_that_cannot_be_written_is_an_io_error() {
    let dir = TempDir::new("zarr-ro");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let err = ZarrStore::<f64>::create(file.join("x.zarr"), &[2], &[1], &ZarrOptions::default())
        .unwrap_err();
    match &err {
        StoreError::Io {
            location, message, ..
        } => {
            assert!(location.contains("plain-file"), "{err}");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn zarr_v2_arrays_open_read_only() {
    let dir = TempDir::new("zarr-v2");
    let path = dir.path().join("v2.zarr");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(
        path.join(".zarray"),
        r#"{"zarr_format": 2, "shape": [3, 2], "chunks": [2, 2], "dtype": "<i4",
            "compressor": null, "fill_value": 0, "filters": null, "order": "C",
            "dimension_separator": "."}"#,
    )
    .unwrap();
    let chunk: Vec<u8> = [1i32, 2, 3, 4]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(path.join("0.0"), chunk).unwrap();
    let s = ZarrStore::<i32>::open(&path).unwrap();
    assert!(s.read_only_reason().is_some());
    let mut out = [0; 4];
    s.read_chunk(&[0, 0], &mut out).unwrap();
    assert_eq!(out, [1, 2, 3, 4]);
    let mut out = [9; 2];
    s.read_chunk(&[1, 0], &mut out).unwrap();
    assert_eq!(out, [0, 0]);
    assert!(s.contains_chunk(&[0, 0]).unwrap() && !s.contains_chunk(&[1, 0]).unwrap());
    let err = s.write_chunk(&[1, 0], &[5, 6]).unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
    assert!(matches!(
        ZarrStore::<i32>::resume(&path).unwrap_err(),
        StoreError::ReadOnly { .. }
    ));
    assert!(matches!(
        ZarrStore::<f64>::open(&path).unwrap_err(),
        StoreError::DtypeMismatch { .. }
    ));
}

#[test]
fn writes_leave_no_temporary_files_and_resume_removes_stale_ones() {
    let dir = TempDir::new("zarr-resume");
    let path = dir.path().join("r.zarr");
    let s = ZarrStore::<f64>::create(&path, &[6, 6], &[3, 3], &ZarrOptions::default()).unwrap();
    s.write_chunk(&[0, 0], &[1.0; 9]).unwrap();
    s.write_chunk(&[1, 1], &[2.0; 9]).unwrap();
    let temporaries = |root: &std::path::Path| {
        walk(root)
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(".spillway-tmp-"))
            .count()
    };
    assert_eq!(temporaries(&path), 0);
    drop(s);
    // a writer killed mid-chunk leaves a temporary beside the key
    std::fs::write(path.join("c/0/.spillway-tmp-1-1"), b"half").unwrap();
    std::fs::write(path.join("c/1/0.spillway-tmp-1-2"), b"half").unwrap();
    let reader = ZarrStore::<f64>::open(&path).unwrap();
    assert!(!reader.is_complete());
    let mut out = [5.0; 9];
    reader.read_chunk(&[1, 0], &mut out).unwrap();
    assert_eq!(out, [0.0; 9]); // the temporary is not the chunk
    let r = ZarrStore::<f64>::resume(&path).unwrap();
    assert_eq!(temporaries(&path), 0);
    let done: Vec<bool> = [[0, 0], [0, 1], [1, 0], [1, 1]]
        .iter()
        .map(|i| r.contains_chunk(i).unwrap())
        .collect();
    assert_eq!(done, [true, false, false, true]);
    for idx in [[0, 1], [1, 0]] {
        r.write_chunk(&idx, &[3.0; 9]).unwrap();
    }
    r.mark_complete().unwrap();
    let back = ZarrStore::<f64>::open(&path).unwrap();
    assert!(back.is_complete());
    back.read_chunk(&[1, 1], &mut out).unwrap();
    assert_eq!(out, [2.0; 9]);
    back.read_chunk(&[1, 0], &mut out).unwrap();
    assert_eq!(out, [3.0; 9]);
    // create refuses an existing store without overwrite, replaces it with
    let err = ZarrStore::<f64>::create(&path, &[2], &[1], &ZarrOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
    let o = ZarrOptions {
        overwrite: true,
        ..Default::default()
    };
    let fresh = ZarrStore::<f64>::create(&path, &[2], &[1], &o).unwrap();
    assert!(!fresh.contains_chunk(&[0]).unwrap());
}

fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                dirs.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn sharded_arrays_write_whole_shards_and_count_io() {
    let dir = TempDir::new("zarr-shard");
    let path = dir.path().join("s.zarr");
    let o = ZarrOptions {
        shard_shape: Some(vec![4, 4]),
        ..Default::default()
    };
    let s = Arc::new(ZarrStore::<f64>::create(&path, &[6, 6], &[2, 2], &o).unwrap());
    assert_eq!(s.write_granularity(), &[4, 4]);
    let shard: Vec<f64> = (0..16).map(f64::from).collect();
    s.write_shard(&[0, 0], &shard).unwrap();
    s.write_shard(&[1, 1], &[1.0, 2.0, 3.0, 4.0]).unwrap();
    let mut out = [0.0; 4];
    s.read_chunk(&[0, 1], &mut out).unwrap();
    assert_eq!(out, [2.0, 3.0, 6.0, 7.0]);
    s.read_chunk(&[2, 2], &mut out).unwrap();
    assert_eq!(out, [1.0, 2.0, 3.0, 4.0]);
    assert!(s.contains_chunk(&[1, 1]).unwrap());
    assert!(!s.contains_chunk(&[0, 2]).unwrap()); // shard (0, 1) never written
    assert_eq!(walk(&path.join("c")).len(), 2);
    let c = s.io_counters();
    assert_eq!((c.chunks_written, c.chunks_read), (2, 2));
    assert!(c.bytes_written > 0 && c.bytes_read > 0);
    assert!(s.write_shard(&[0, 0], &[1.0; 4]).is_err()); // wrong length
}

/// A shard's inner chunks are encoded in parallel; they must land in the file in C order
/// whatever order the encodes finish in, so the same data always gives the same bytes
/// (under MPI a shard written by another rank is compared byte for byte).
#[test]
fn a_shard_holds_its_inner_chunks_in_c_order_on_every_write() {
    let dir = TempDir::new("zarr-shard-order");
    let data: Vec<f64> = (0..64 * 64u64)
        .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11) as f64)
        .collect();
    // more encoder threads than inner chunks per thread, so that encodes finish out of order
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(8)
        .build()
        .unwrap();
    let mut first: Option<Vec<u8>> = None;
    for round in 0..6 {
        let path = dir.path().join(format!("s{round}.zarr"));
        let o = ZarrOptions {
            codec: Codec::Zstd { level: 1 },
            shard_shape: Some(vec![64, 64]),
            ..Default::default()
        };
        let s = ZarrStore::<f64>::create(&path, &[64, 64], &[8, 8], &o).unwrap();
        pool.install(|| s.write_shard(&[0, 0], &data)).unwrap();
        let bytes = std::fs::read(path.join("c/0/0")).unwrap();
        // the index at the end: (offset, size) as little-endian u64 per inner chunk, then
        // a crc32c
        let index = &bytes[bytes.len() - 64 * 16 - 4..bytes.len() - 4];
        let offsets: Vec<u64> = index
            .chunks(16)
            .map(|e| u64::from_le_bytes(e[..8].try_into().unwrap()))
            .collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "round {round}: inner chunks out of C order: {offsets:?}"
        );
        match &first {
            None => first = Some(bytes),
            Some(f) => assert!(f == &bytes, "round {round}: the shard's bytes changed"),
        }
        let mut out = vec![0.0; 64];
        s.read_chunk(&[7, 7], &mut out).unwrap();
        assert_eq!(out[..8], data[56 * 64 + 56..56 * 64 + 64]);
    }
}

#[test]
fn io_counters_count_encoded_bytes() {
    let dir = TempDir::new("zarr-count");
    let path = dir.path().join("n.zarr");
    let o = ZarrOptions {
        codec: Codec::None,
        ..Default::default()
    };
    let s = ZarrStore::<u32>::create(&path, &[10], &[4], &o).unwrap();
    let before = s.io_counters();
    s.write_chunk(&[0], &[1, 2, 3, 4]).unwrap();
    s.write_chunk(&[2], &[9, 9]).unwrap();
    let mut out = [0; 4];
    s.read_chunk(&[0], &mut out).unwrap();
    let c = s.io_counters();
    assert_eq!(c.chunks_written - before.chunks_written, 2);
    assert_eq!(c.bytes_written - before.bytes_written, 32); // both chunks full size on disk
    assert_eq!(c.chunks_read, 1);
    assert_eq!(c.bytes_read - before.bytes_read, 16); // (opening read zarr.json)
}

/// The child half of `a_killed_writer_loses_nothing`: writes every chunk, over and over,
/// until it is killed. Does nothing unless the parent set the variable.
#[test]
fn killed_writer_child() {
    let Some(path) = std::env::var_os("SPILLWAY_TEST_KILLED_WRITER") else {
        return;
    };
    let s = ZarrStore::<f64>::resume(&path).unwrap();
    for round in 0.. {
        for i in 0..16 {
            let v = (round * 16 + i) as f64;
            s.write_chunk(&[i, 0], &vec![v; 256 * 256]).unwrap();
        }
    }
}

#[test]
fn a_killed_writer_loses_nothing() {
    let dir = TempDir::new("zarr-kill");
    let path = dir.path().join("k.zarr");
    let o = ZarrOptions {
        codec: Codec::None,
        ..Default::default()
    };
    ZarrStore::<f64>::create(&path, &[16 * 256, 256], &[256, 256], &o).unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "killed_writer_child", "--nocapture"])
        .env("SPILLWAY_TEST_KILLED_WRITER", &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let reader = ZarrStore::<f64>::open(&path).unwrap();
    let mut chunk = vec![0.0; 256 * 256];
    let start = std::time::Instant::now();
    // read while the child writes: every chunk is whole, old or new, never a mix
    while start.elapsed() < std::time::Duration::from_millis(1500) {
        for i in 0..16 {
            reader.read_chunk(&[i, 0], &mut chunk).unwrap();
            assert!(chunk.iter().all(|&v| v == chunk[0]), "chunk {i} is a mix");
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!ZarrStore::<f64>::open(&path).unwrap().is_complete());
    let r = ZarrStore::<f64>::resume(&path).unwrap();
    let leftovers = walk(&path)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".spillway-tmp-"))
        .count();
    assert_eq!(leftovers, 0);
    let mut written = 0;
    for i in 0..16 {
        if r.contains_chunk(&[i, 0]).unwrap() {
            written += 1;
            r.read_chunk(&[i, 0], &mut chunk).unwrap();
            assert!(chunk.iter().all(|&v| v == chunk[0]), "chunk {i} is a mix");
            assert_eq!(chunk[0] as usize % 16, i);
        } else {
            r.write_chunk(&[i, 0], &vec![i as f64; 256 * 256]).unwrap();
        }
    }
    assert!(written > 0, "the child wrote nothing in 1.5 s");
    r.mark_complete().unwrap();
    assert!(ZarrStore::<f64>::open(&path).unwrap().is_complete());
}

#[test]
fn gzip_arrays_and_irregular_grids() {
    let dir = TempDir::new("zarr-gzip");
    let path = dir.path().join("gz.zarr");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(
        path.join("zarr.json"),
        r#"{"zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": 0, "codecs": [{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 5}}],
            "attributes": {}}"#,
    )
    .unwrap();
    let s = ZarrStore::<u8>::open(&path).unwrap();
    s.write_chunk(&[0], &[1, 2, 3, 4]).unwrap();
    let mut out = [0; 4];
    ZarrStore::<u8>::open(&path)
        .unwrap()
        .read_chunk(&[0], &mut out)
        .unwrap();
    assert_eq!(out, [1, 2, 3, 4]);
    let json = std::fs::read_to_string(path.join("zarr.json"))
        .unwrap()
        .replace(
            r#"{"name": "regular", "configuration": {"chunk_shape": [4]}}"#,
            r#"{"name": "rectangular", "configuration": {"chunk_shape": [[1, 3]]}}"#,
        );
    std::fs::write(path.join("zarr.json"), json).unwrap();
    let err = ZarrStore::<u8>::open(&path).unwrap_err();
    assert!(err.to_string().contains("rectangular"), "{err}");
}
