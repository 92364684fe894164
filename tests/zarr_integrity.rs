//! Damaged stores give errors, not numbers: flipped bytes in a chunk (zstd checksums, the
//! crc32c codec), a chunk file deleted from a store marked complete, a store left
//! incomplete; `verify` lists the damage and `to_zarr_with(.., repair)` mends it.

use spillway::array::zarr::{FromZarr, ToZarr};
use spillway::store::zarr::{Codec, ZarrOptions, ZarrStore};
use spillway::store::{ChunkStore, StoreError};
use spillway::{Array, Error, from_zarr, from_zarr_with};
use std::path::Path;

/// A 200 x 200 array of noise in chunks of 100 (four chunk files of 80 KB).
fn noise() -> Array<f64> {
    spillway::random::default_rng(7).random([200, 200], 100)
}

fn store_error(e: Error) -> StoreError {
    match e {
        Error::Store(s) => s,
        other => panic!("expected a store error, got {other:?}"),
    }
}

/// Flips eight bytes in the middle of `file`.
fn flip_middle(file: &Path) {
    let mut bytes = std::fs::read(file).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 8] {
        *b ^= 0x5A;
    }
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn flipped_bytes_in_a_zstd_chunk_are_an_error_naming_the_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    noise().to_zarr(&path).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path.join("zarr.json")).unwrap()).unwrap();
    assert_eq!(json["codecs"][1]["name"], "zstd");
    assert_eq!(json["codecs"][1]["configuration"]["checksum"], true);
    flip_middle(&path.join("c/0/1"));
    let err = store_error(from_zarr::<f64>(&path).sum().compute_scalar().unwrap_err());
    match &err {
        StoreError::CorruptChunk { key, reason, .. } => {
            assert_eq!(key, "c/0/1");
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("expected CorruptChunk, got {other:?}"),
    }
    assert!(err.to_string().contains("repair(true)"), "{err}");
}

#[test]
fn the_crc32c_option_guards_any_codec_chain() {
    for codec in [
        Codec::None,
        Codec::Zstd { level: 1 },
        Codec::BloscLz4 {
            clevel: 5,
            shuffle: spillway::store::zarr::BloscShuffle::Shuffle,
        },
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.zarr");
        let how = ToZarr {
            options: ZarrOptions {
                codec,
                crc32c: true,
                checksum: false,
                ..ZarrOptions::default()
            },
            ..ToZarr::default()
        };
        noise().to_zarr_with(&path, &how).unwrap();
        let text = std::fs::read_to_string(path.join("zarr.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let codecs = json["codecs"].as_array().unwrap();
        assert_eq!(codecs.last().unwrap()["name"], "crc32c", "{codec:?}");
        let expected = noise().sum().compute_scalar().unwrap();
        assert_eq!(
            from_zarr::<f64>(&path).sum().compute_scalar().unwrap(),
            expected
        );
        flip_middle(&path.join("c/1/1"));
        let err = store_error(from_zarr::<f64>(&path).sum().compute_scalar().unwrap_err());
        assert!(
            matches!(&err, StoreError::CorruptChunk { key, .. } if key == "c/1/1"),
            "{codec:?}: {err:?}"
        );
    }
}

#[test]
fn a_chunk_deleted_from_a_complete_store_is_an_error_unless_fill_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let x = noise();
    x.to_zarr(&path).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path.join("zarr.json")).unwrap()).unwrap();
    assert_eq!(
        json["attributes"]["spillway"],
        serde_json::json!({"complete": true, "chunks": 4})
    );
    std::fs::remove_file(path.join("c/1/0")).unwrap();
    let err = store_error(from_zarr::<f64>(&path).sum().compute_scalar().unwrap_err());
    match &err {
        StoreError::MissingChunk { key, recorded, .. } => {
            assert_eq!((key.as_str(), *recorded), ("c/1/0", 4));
        }
        other => panic!("expected MissingChunk, got {other:?}"),
    }
    assert!(err.to_string().contains("fill_missing(true)"), "{err}");
    // zarr's rule, when asked for: the missing chunk reads as the fill value
    let lenient = from_zarr_with::<f64>(&path, &FromZarr::default().fill_missing(true));
    let kept = x
        .index(spillway::s![0..100, ..])
        .sum()
        .compute_scalar()
        .unwrap()
        + x.index(spillway::s![100..200, 100..200])
            .sum()
            .compute_scalar()
            .unwrap();
    let got = lenient.sum().compute_scalar().unwrap();
    assert!((got - kept).abs() < 1e-9 * kept.abs(), "{got} vs {kept}");
}

#[test]
fn a_sharded_store_missing_a_shard_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let how = ToZarr::default()
        .chunks(vec![50, 50])
        .shards(vec![100, 100]);
    let report = noise().to_zarr_with(&path, &how).unwrap();
    // item 7: the report counts chunks, and the shards beside them
    assert_eq!((report.chunks_written, report.shards_written), (16, 4));
    std::fs::remove_file(path.join("c/0/1")).unwrap();
    let err = store_error(from_zarr::<f64>(&path).sum().compute_scalar().unwrap_err());
    assert!(
        matches!(&err, StoreError::MissingChunk { key, .. } if key == "c/0/1"),
        "{err:?}"
    );
    // resuming writes the lost shard again, counted in chunks
    let again = noise()
        .to_zarr_with(&path, &ToZarr::default().resume(true))
        .unwrap();
    assert_eq!(
        (
            again.chunks_written,
            again.chunks_skipped,
            again.shards_written
        ),
        (4, 12, 1)
    );
    assert_eq!(
        from_zarr::<f64>(&path).compute().unwrap(),
        noise().compute().unwrap()
    );
}

#[test]
fn an_incomplete_store_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let s = ZarrStore::<f64>::create(&path, &[4], &[2], &ZarrOptions::default()).unwrap();
    s.write_chunk(&[0], &[1.0, 2.0]).unwrap();
    drop(s); // the writer dies
    let err = store_error(from_zarr::<f64>(&path).check().unwrap_err());
    assert!(
        matches!(&err, StoreError::Incomplete { location } if location.ends_with("x.zarr")),
        "{err:?}"
    );
    assert!(err.to_string().contains("resume(true)"), "{err}");
    let err = spillway::from_zarr_in_group::<f64>(dir.path(), "x").check();
    assert!(err.is_err());
    let x = from_zarr_with::<f64>(&path, &FromZarr::default().allow_incomplete(true));
    assert_eq!(x.compute_vec().unwrap(), vec![1.0, 2.0, 0.0, 0.0]);
}

#[test]
fn verify_finds_every_damaged_chunk_and_repair_rewrites_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let x = noise();
    x.to_zarr(&path).unwrap();
    flip_middle(&path.join("c/0/0"));
    let whole = std::fs::read(path.join("c/1/1")).unwrap();
    std::fs::write(path.join("c/1/1"), &whole[..whole.len() / 2]).unwrap();
    std::fs::remove_file(path.join("c/0/1")).unwrap();

    let report = ZarrStore::<f64>::open(&path).unwrap().verify().unwrap();
    assert!(!report.is_ok());
    let keys = |list: &[spillway::store::zarr::DamagedChunk]| {
        list.iter().map(|d| d.key.clone()).collect::<Vec<_>>()
    };
    assert_eq!(keys(&report.corrupt), ["c/0/0", "c/1/1"]);
    assert_eq!(keys(&report.missing), ["c/0/1"]);
    assert_eq!((report.recorded_files, report.files_found), (Some(4), 3));
    assert_eq!(report.chunks_checked, 3);
    // item 7: the truncated chunk's message counts its stored bytes
    let truncated = &report.corrupt[1].reason;
    assert!(
        truncated.contains(&format!("its {} stored bytes", whole.len() / 2)),
        "{truncated}"
    );

    // the advice in the error works: repair rewrites exactly the damaged chunks
    let repaired = x
        .to_zarr_with(&path, &ToZarr::default().repair(true))
        .unwrap();
    assert_eq!((repaired.chunks_written, repaired.chunks_skipped), (3, 1));
    let again = ZarrStore::<f64>::open(&path).unwrap();
    assert!(again.is_complete());
    assert!(again.verify().unwrap().is_ok());
    assert_eq!(
        from_zarr::<f64>(&path).compute().unwrap(),
        x.compute().unwrap()
    );
    // a plain resume of a complete store still writes nothing
    let resumed = x
        .to_zarr_with(&path, &ToZarr::default().resume(true))
        .unwrap();
    assert_eq!(resumed.chunks_written, 0);
}
