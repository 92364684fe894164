//! The codec floor of one pass over a zarr array, measured the way `shared/tools/zscan`
//! does: every chunk file is read (untimed), zstd-decoded into a reused buffer and encoded
//! again at level 1, timing only the codec, on `threads` threads; the files are left out
//! of the page cache afterwards. Shared by the
//! out-of-core examples (`#[path = "common/codec_floor.rs"] mod codec_floor;`), which
//! print their steps' times against the larger of this floor and the disk's.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// zstd's frame magic number, little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// What one pass of the codec over an array costs.
#[derive(Debug, Clone, Copy)]
pub struct CodecFloor {
    /// Bytes of the chunk files.
    pub stored_bytes: u64,
    /// Seconds of zstd decoding of every chunk (the busiest thread's).
    pub decode_seconds: f64,
    /// Seconds of zstd encoding (level 1) of every decoded chunk (the busiest thread's).
    pub encode_seconds: f64,
}

impl CodecFloor {
    /// The codec seconds of a step that reads `read_bytes` and writes `written_bytes` of
    /// chunk files like the measured array's.
    pub fn step_seconds(&self, read_bytes: u64, written_bytes: u64) -> f64 {
        let per_byte = |bytes: u64| bytes as f64 / self.stored_bytes.max(1) as f64;
        self.decode_seconds * per_byte(read_bytes) + self.encode_seconds * per_byte(written_bytes)
    }
}

/// Every file under `dir` (a zarr v3 array's `c/` directory of chunk files).
fn chunk_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            chunk_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The bytes of `file`, then its pages dropped from the page cache (they are clean), so
/// measuring the floor does not warm the cache for the steps timed after it.
fn read_leaving_no_cache(file: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let mut f = std::fs::File::open(file)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    // SAFETY: a valid open descriptor; the advice changes no memory of this process
    unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    Ok(bytes)
}

/// Measures the codec floor of the zarr array at `array` on `threads` threads. Chunk files
/// that are not one zstd frame (raw bytes) cost no decoding.
pub fn codec_floor(array: &Path, threads: usize) -> std::io::Result<CodecFloor> {
    let mut files = Vec::new();
    chunk_files(&array.join("c"), &mut files)?;
    let next = AtomicUsize::new(0);
    let totals = Mutex::new((0u64, 0.0f64, 0.0f64));
    let work = || -> std::io::Result<()> {
        let mut decoder = zstd::bulk::Decompressor::new()?;
        let mut encoder = zstd::bulk::Compressor::new(1)?;
        let (mut decoded, mut encoded) = (Vec::new(), Vec::new());
        let (mut stored, mut decode, mut encode) = (0u64, Duration::ZERO, Duration::ZERO);
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(i) else { break };
            let bytes = read_leaving_no_cache(file)?;
            stored += bytes.len() as u64;
            let raw: &[u8] = if bytes.starts_with(&ZSTD_MAGIC) {
                let size = zstd::zstd_safe::get_frame_content_size(&bytes)
                    .ok()
                    .flatten()
                    .unwrap_or(0) as usize;
                decoded.clear();
                decoded.reserve(size.max(bytes.len()));
                let t = Instant::now();
                decoder.decompress_to_buffer(&bytes, &mut decoded)?;
                decode += t.elapsed();
                &decoded
            } else {
                &bytes
            };
            encoded.clear();
            encoded.reserve(zstd::zstd_safe::compress_bound(raw.len()));
            let t = Instant::now();
            encoder.compress_to_buffer(raw, &mut encoded)?;
            encode += t.elapsed();
        }
        let mut totals = totals.lock().expect("no panics while held");
        totals.0 += stored;
        totals.1 = totals.1.max(decode.as_secs_f64());
        totals.2 = totals.2.max(encode.as_secs_f64());
        Ok(())
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1)).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("a codec thread panicked"))
    })?;
    let (stored_bytes, decode_seconds, encode_seconds) = totals.into_inner().expect("unpoisoned");
    Ok(CodecFloor {
        stored_bytes,
        decode_seconds,
        encode_seconds,
    })
}

/// [`codec_floor`] with its failure as a spillway I/O error naming `array`; prints
/// `codec_floor stored_bytes=<n> decode_seconds=<s> encode_seconds=<s> threads=<t>`.
pub fn measure(array: &Path, threads: usize) -> spillway::Result<CodecFloor> {
    let floor = codec_floor(array, threads).map_err(|e| spillway::Error::io(array, e))?;
    println!(
        "codec_floor stored_bytes={} decode_seconds={:.3} encode_seconds={:.3} threads={threads}",
        floor.stored_bytes, floor.decode_seconds, floor.encode_seconds
    );
    Ok(floor)
}
