//! Writes one n x n f64 chunk of random values to a zarr store and reads it back, printing
//! each I/O and its throughput (decoded MB/s, with the encoded bytes on disk).
//!
//! ```text
//! cargo run --release --example zarr_write_read -- --n 4000 --codec zstd --path /tmp/zwr
//! ```
//! Flags: `--n N` (default 4000), `--codec none|zstd|blosc-lz4|blosc-zstd` (default zstd),
//! `--path DIR` (default a temporary directory, removed at the end), `--repeat R` (default 3).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use spillway::store::ChunkStore;
use spillway::store::zarr::{BloscShuffle, Codec, ZarrOptions, ZarrStore};

/// Writes one n x n f64 chunk of random values to a zarr store and reads it back.
#[derive(Parser, Debug)]
#[command(name = "zarr_write_read")]
struct Args {
    /// Rows and columns of the chunk.
    #[arg(long, default_value_t = 4000)]
    n: usize,
    /// The codec of the store.
    #[arg(long, value_enum, default_value_t = CodecName::Zstd)]
    codec: CodecName,
    /// Directory of the store (default: a temporary one, removed at the end).
    #[arg(long)]
    path: Option<PathBuf>,
    /// Rounds of write and read.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

/// The codecs on offer.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum CodecName {
    /// No compression.
    None,
    /// zstd at its default level.
    Zstd,
    /// Blosc with lz4, level 5, byte shuffle.
    BloscLz4,
    /// Blosc with zstd, level 3, byte shuffle.
    BloscZstd,
}

impl CodecName {
    /// The codec and its name in the output lines.
    fn codec(self) -> (Codec, &'static str) {
        match self {
            CodecName::None => (Codec::None, "none"),
            CodecName::Zstd => (Codec::Zstd { level: 0 }, "zstd"),
            CodecName::BloscLz4 => (
                Codec::BloscLz4 {
                    clevel: 5,
                    shuffle: BloscShuffle::Shuffle,
                },
                "blosc-lz4",
            ),
            CodecName::BloscZstd => (
                Codec::BloscZstd {
                    clevel: 3,
                    shuffle: BloscShuffle::Shuffle,
                },
                "blosc-zstd",
            ),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (n, repeat, path) = (args.n, args.repeat, args.path);
    let (codec, codec_name) = args.codec.codec();
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
