//! Writes one n x n f64 chunk of random values to a zarr store and reads it back, printing
//! each I/O and its throughput (decoded MB/s, with the encoded bytes on disk).
//!
//! ```text
//! cargo run --release --example zarr_write_read -- --n 4000 --codec zstd --path /tmp/zwr
//! ```
//! Flags: `--n N` (default 4000), `--codec none|zstd|blosc-lz4|blosc-zstd` (default zstd),
//! `--path DIR` (default a temporary directory, removed at the end), `--repeat R` (default 3).

use std::time::Instant;

use spillway::store::ChunkStore;
use spillway::store::zarr::{BloscShuffle, Codec, ZarrOptions, ZarrStore};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut n = 4000usize;
    let mut codec = Codec::Zstd { level: 0 };
    let mut codec_name = "zstd".to_string();
    let mut path = None;
    let mut repeat = 3;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--n" => n = value.parse()?,
            "--repeat" => repeat = value.parse()?,
            "--path" => path = Some(std::path::PathBuf::from(value)),
            "--codec" => {
                codec = match value.as_str() {
                    "none" => Codec::None,
                    "zstd" => Codec::Zstd { level: 0 },
                    "blosc-lz4" => Codec::BloscLz4 {
                        clevel: 5,
                        shuffle: BloscShuffle::Shuffle,
                    },
                    "blosc-zstd" => Codec::BloscZstd {
                        clevel: 3,
                        shuffle: BloscShuffle::Shuffle,
                    },
                    other => {
                        return Err(format!(
                            "unknown codec {other}: none, zstd, blosc-lz4 or blosc-zstd"
                        )
                        .into());
                    }
                };
                codec_name = value;
            }
            other => {
                return Err(format!("unknown flag {other}: --n, --codec, --path, --repeat").into());
            }
        }
    }
    let temporary = path.is_none();
    let dir = path.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("spillway-zwr-{}", std::process::id()))
    });
    let store_path = dir.join(format!("x-{codec_name}.zarr"));

    // splitmix64 uniform values in [0, 1): incompressible like the benchmark's random input
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let data: Vec<f64> = (0..n * n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        })
        .collect();
    let mb = (n * n * 8) as f64 / 1e6;
    let options = ZarrOptions {
        codec,
        overwrite: true,
        ..Default::default()
    };
    let mut out = vec![0.0f64; n * n];
    for round in 0..repeat {
        let store = ZarrStore::<f64>::create(&store_path, &[n, n], &[n, n], &options)?;
        let before = store.io_counters();
        let t = Instant::now();
        store.write_chunk(&[0, 0], &data)?;
        let write_s = t.elapsed().as_secs_f64();
        let written = store.io_counters().bytes_written - before.bytes_written;
        store.mark_complete()?;
        let store = ZarrStore::<f64>::open(&store_path)?;
        let before = store.io_counters();
        let t = Instant::now();
        store.read_chunk(&[0, 0], &mut out)?;
        let read_s = t.elapsed().as_secs_f64();
        let read = store.io_counters().bytes_read - before.bytes_read;
        assert!(out == data, "read back differs");
        println!(
            "round={round} codec={codec_name} n={n} chunk_mb={mb:.1} write_s={write_s:.3} write_mb_s={:.0} encoded_written={written} read_s={read_s:.3} read_mb_s={:.0} encoded_read={read} path={}",
            mb / write_s,
            mb / read_s,
            store_path.display()
        );
    }
    if temporary {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
