//! `Codec::Auto`: the pick follows the price of the candidates on a sample chunk (the most
//! compressive codec on a slow disk, raw bytes when the disk is free and the codec is
//! not), the store is written with the pick and reads back exactly, and a store is never
//! created with `Auto` itself.

use spillway::array::zarr::ToZarr;
use spillway::store::zarr::{Codec, ZarrOptions, ZarrStore, pick_codec};
use spillway::{Client, from_zarr, random};

/// A smooth field: sums of sines over a 256 x 256 chunk.
fn smooth(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|k| {
            let (i, j) = ((k / n) as f64, (k % n) as f64);
            (i / 40.0).sin() + (j / 25.0).cos()
        })
        .collect()
}

#[test]
fn a_slow_disk_picks_the_codec_that_stores_fewest_bytes() {
    let sample = smooth(256);
    // at 10 MB/s a chunk's disk time dwarfs any codec's
    let choice = pick_codec(&sample, &[256, 256], &ZarrOptions::default(), 0.01, 2).unwrap();
    let smallest = choice.probes.iter().min_by_key(|p| p.stored_bytes).unwrap();
    assert_eq!(choice.codec, smallest.codec, "{choice}");
    assert_ne!(choice.codec, Codec::None);
    let raw = &choice.probes[0];
    assert_eq!(raw.codec, Codec::None);
    assert!(raw.stored_bytes >= raw.raw_bytes);
    assert!(smallest.stored_bytes < raw.raw_bytes * 9 / 10, "{choice}");
}

#[test]
fn a_free_disk_picks_raw_bytes_for_incompressible_values() {
    let sample: Vec<f64> = random::default_rng(1)
        .random([256, 256], 256)
        .compute()
        .unwrap()
        .iter()
        .copied()
        .collect();
    // at 10 TB/s only the codec costs: raw bytes cost nothing beyond the file system
    let choice = pick_codec(&sample, &[256, 256], &ZarrOptions::default(), 1e4, 2).unwrap();
    assert_eq!(choice.codec, Codec::None, "{choice}");
    // uniform random doubles: zstd saves little (their exponent bytes are alike)
    let zstd = &choice.probes[2];
    assert_eq!(zstd.codec, Codec::Zstd { level: 1 });
    assert!(zstd.stored_bytes > zstd.raw_bytes * 8 / 10, "{choice}");
}

#[test]
fn to_zarr_with_auto_writes_the_pick_and_reads_back_exactly() {
    let _client = Client::builder().memory_limit("256MB").build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, x) in [
        (
            "random",
            random::default_rng(4).random([300, 200], [128, 128]),
        ),
        (
            "ints",
            (&random::default_rng(5).random([300, 200], [128, 128]) * 8.0).floor(),
        ),
    ] {
        let path = dir.path().join(format!("{name}.zarr"));
        let how = ToZarr::default().codec(Codec::Auto).disk_bandwidth(0.05);
        let report = x.to_zarr_with(&path, &how).unwrap();
        let choice = report.codec_choice.expect("Auto reports its pick");
        assert_eq!(choice.probes.len(), 3);
        // the store's zarr.json names the codec picked
        let json = std::fs::read_to_string(path.join("zarr.json")).unwrap();
        match choice.codec {
            Codec::None => assert!(!json.contains("zstd") && !json.contains("blosc"), "{json}"),
            Codec::Zstd { .. } => assert!(json.contains("\"zstd\""), "{json}"),
            Codec::BloscLz4 { .. } => assert!(json.contains("\"blosc\""), "{json}"),
            other => panic!("{other:?} is not a candidate"),
        }
        assert_eq!(
            from_zarr::<f64>(&path).compute().unwrap(),
            x.compute().unwrap(),
            "{name}"
        );
        // a codec given is not probed
        let given = x
            .to_zarr_with(&path, &ToZarr::default().overwrite(true))
            .unwrap();
        assert!(given.codec_choice.is_none());
    }
    // small-range integers compress: on a slow disk the pick is a compressor
    let path = dir.path().join("ints2.zarr");
    let ints = (&random::default_rng(6).random([256, 256], 256) * 4.0).floor();
    let how = ToZarr::default().codec(Codec::Auto).disk_bandwidth(0.01);
    let report = ints.to_zarr_with(&path, &how).unwrap();
    assert_ne!(report.codec_choice.unwrap().codec, Codec::None);
}

#[test]
fn a_store_is_never_created_with_auto() {
    let dir = tempfile::tempdir().unwrap();
    let options = ZarrOptions {
        codec: Codec::Auto,
        ..Default::default()
    };
    let err = ZarrStore::<f64>::create(dir.path().join("x.zarr"), &[10], &[5], &options)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Codec::Auto"), "{err}");
    assert!(!dir.path().join("x.zarr").exists());
    // NaN in the sample reads back as the same bits: priced, not refused
    let mut with_nan = vec![1.5f64; 1024];
    with_nan[7] = f64::NAN;
    assert!(pick_codec(&with_nan, &[1024], &ZarrOptions::default(), 2.0, 2).is_ok());
    // a bad sample is an error, not a panic
    assert!(pick_codec(&[1.0f64; 3], &[4], &ZarrOptions::default(), 2.0, 2).is_err());
    assert!(pick_codec(&[1.0f64; 4], &[4], &ZarrOptions::default(), 0.0, 2).is_err());
}
