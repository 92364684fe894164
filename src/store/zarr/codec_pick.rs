//! [`Codec::Auto`]: the codec a pass over an array costs least with, picked per array from
//! a sample chunk.
//!
//! zstd saves 6% of uniform random float64 and costs a second of decoding per 2.5 GB on
//! each core, so on a fast disk it makes every pass slower; on a smooth field it saves
//! half the bytes. The picker writes the sample chunk with each candidate (raw bytes, blosc
//! with lz4 and byte shuffle, zstd level 1) into a temporary store, reads it back, and
//! prices one read and one write of a chunk like it: the larger of its bytes' time at the
//! assumed disk bandwidth and its codec time spread over the threads. The raw candidate's
//! own read and write times are the file system's share, taken out of the others' codec
//! times. The cheapest candidate wins.

use super::{Codec, ZarrOptions, ZarrStore};
use crate::dtype::Element;
use crate::store::{ChunkStore, StoreError};
use std::time::Instant;

/// The candidates [`pick_codec`] prices, in order.
pub const AUTO_CANDIDATES: [Codec; 3] = [
    Codec::None,
    Codec::BloscLz4 {
        clevel: 5,
        shuffle: super::BloscShuffle::Shuffle,
    },
    Codec::Zstd { level: 1 },
];

/// Disk bandwidth [`pick_codec`] assumes when not told, in GB/s (these machines have
/// measured 0.8 to 4.5).
pub const DEFAULT_DISK_GBS: f64 = 2.0;

/// What one candidate codec did with the sample chunk.
///
/// ```
/// use spillway::store::zarr::{pick_codec, Codec, ZarrOptions};
/// let sample = vec![0.5f64; 4096];
/// let choice = pick_codec(&sample, &[4096], &ZarrOptions::default(), 2.0, 2).unwrap();
/// let zstd = choice.probes.iter().find(|p| p.codec == Codec::Zstd { level: 1 }).unwrap();
/// assert!(zstd.stored_bytes < zstd.raw_bytes / 10); // a constant compresses well
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CodecProbe {
    /// The codec.
    pub codec: Codec,
    /// Bytes of the encoded sample chunk.
    pub stored_bytes: u64,
    /// Bytes of the sample chunk.
    pub raw_bytes: u64,
    /// Seconds of encoding the sample beyond writing its bytes raw.
    pub encode_seconds: f64,
    /// Seconds of decoding the sample beyond reading its bytes raw.
    pub decode_seconds: f64,
    /// The price of one read and one write of a chunk like the sample, in seconds.
    pub cost_seconds: f64,
}

/// The codec [`pick_codec`] chose and what each candidate did.
///
/// ```
/// use spillway::store::zarr::{pick_codec, ZarrOptions};
/// let choice = pick_codec(&vec![1u8; 1000], &[1000], &ZarrOptions::default(), 2.0, 2).unwrap();
/// assert_eq!(choice.probes.len(), 3);
/// assert!(choice.probes.iter().any(|p| p.codec == choice.codec));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CodecChoice {
    /// The codec picked.
    pub codec: Codec,
    /// Every candidate, in [`AUTO_CANDIDATES`] order.
    pub probes: Vec<CodecProbe>,
    /// The disk bandwidth assumed, GB/s.
    pub disk_gbs: f64,
    /// The threads a pass decodes on.
    pub threads: usize,
}

impl std::fmt::Display for CodecChoice {
    /// `codec=<picked> (<candidate> <stored/raw> <cost> s, ...)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "codec={}", self.codec.name())?;
        for (i, p) in self.probes.iter().enumerate() {
            let sep = if i == 0 { " (" } else { ", " };
            write!(
                f,
                "{sep}{} {:.3} of raw, {:.2} ms",
                p.codec.name(),
                p.stored_bytes as f64 / p.raw_bytes.max(1) as f64,
                p.cost_seconds * 1e3
            )?;
        }
        write!(f, ")")
    }
}

/// Times of writing then reading `sample` as one chunk of `chunk_shape` with `codec`:
/// (stored bytes, write seconds, read seconds), the read the fastest of three.
fn probe<T: Element>(
    dir: &std::path::Path,
    sample: &[T],
    chunk_shape: &[usize],
    options: &ZarrOptions,
    codec: Codec,
) -> Result<(u64, f64, f64), StoreError> {
    let options = ZarrOptions {
        codec,
        shard_shape: None,
        overwrite: true,
        ..options.clone()
    };
    let path = dir.join(format!("{}.zarr", codec.name()));
    let store = ZarrStore::<T>::create(&path, chunk_shape, chunk_shape, &options)?;
    let index = vec![0usize; chunk_shape.len()];
    let before = store.io_counters().bytes_written;
    let t = Instant::now();
    store.write_chunk(&index, sample)?;
    let write = t.elapsed().as_secs_f64();
    let stored = store.io_counters().bytes_written - before;
    let mut out = vec![T::default(); sample.len()];
    let mut read = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        store.read_chunk(&index, &mut out)?;
        read = read.min(t.elapsed().as_secs_f64());
    }
    // compared as bytes: a NaN read back is the NaN written, though NaN != NaN
    if crate::util::wire::bytes_of(&out) != crate::util::wire::bytes_of(sample) {
        return Err(StoreError::CorruptChunk {
            key: "c/0".to_string(),
            location: path.display().to_string(),
            reason: format!(
                "the sample chunk read back differs from what was written with {}",
                codec.name()
            ),
        });
    }
    Ok((stored, write, read))
}

/// Picks the codec of [`AUTO_CANDIDATES`] that one read and one write of chunks like
/// `sample` (one chunk of `chunk_shape`, row-major) cost least with, at `disk_gbs` GB/s
/// and `threads` threads decoding at once. `options` gives the rest of the chain
/// (checksums). The sample is written to a temporary directory, removed on return.
///
/// ```
/// use spillway::store::zarr::{pick_codec, Codec, ZarrOptions};
/// // a constant on a slow disk (10 MB/s: 52 ms for the raw chunk): every compressor saves
/// // nearly all the bytes, so raw loses even when decoding is slowed by a busy machine
/// let choice = pick_codec(&vec![7i64; 1 << 16], &[1 << 16], &ZarrOptions::default(), 0.01, 2).unwrap();
/// assert_ne!(choice.codec, Codec::None);
/// ```
pub fn pick_codec<T: Element>(
    sample: &[T],
    chunk_shape: &[usize],
    options: &ZarrOptions,
    disk_gbs: f64,
    threads: usize,
) -> Result<CodecChoice, StoreError> {
    let elems: usize = chunk_shape.iter().product();
    if elems != sample.len() || elems == 0 {
        return Err(StoreError::Shape {
            location: "the codec probe".to_string(),
            message: format!(
                "a sample of {} values for chunk shape {chunk_shape:?}; give one whole, non-empty chunk",
                sample.len()
            ),
        });
    }
    if !(disk_gbs.is_finite() && disk_gbs > 0.0) {
        return Err(StoreError::Shape {
            location: "the codec probe".to_string(),
            message: format!("disk bandwidth {disk_gbs} GB/s; give a positive number"),
        });
    }
    let dir = tempfile::Builder::new()
        .prefix("spillway-codec-probe")
        .tempdir()
        .map_err(|e| super::io_error(&std::env::temp_dir(), e))?;
    let raw_bytes = std::mem::size_of_val(sample) as u64;
    let mut measured = Vec::with_capacity(AUTO_CANDIDATES.len());
    for codec in AUTO_CANDIDATES {
        measured.push((
            codec,
            probe(dir.path(), sample, chunk_shape, options, codec)?,
        ));
    }
    // the raw candidate's times are the file system's, per byte
    let (_, (raw_stored, raw_write, raw_read)) = measured[0];
    let per_byte = |t: f64| t / raw_stored.max(1) as f64;
    let threads = threads.max(1) as f64;
    let disk = |bytes: u64| bytes as f64 / (disk_gbs * 1e9);
    let probes: Vec<CodecProbe> = measured
        .into_iter()
        .map(|(codec, (stored, write, read))| {
            let encode = (write - per_byte(raw_write) * stored as f64).max(0.0);
            let decode = (read - per_byte(raw_read) * stored as f64).max(0.0);
            let cost = disk(stored).max(decode / threads) + disk(stored).max(encode / threads);
            CodecProbe {
                codec,
                stored_bytes: stored,
                raw_bytes,
                encode_seconds: encode,
                decode_seconds: decode,
                cost_seconds: cost,
            }
        })
        .collect();
    let codec = probes
        .iter()
        .min_by(|a, b| a.cost_seconds.total_cmp(&b.cost_seconds))
        .map(|p| p.codec)
        .unwrap_or_default();
    Ok(CodecChoice {
        codec,
        probes,
        disk_gbs,
        threads: threads as usize,
    })
}
