//! The spill codec: byte shuffle + LZ4 where it pays, raw where it does not.
//!
//! # Format
//!
//! A spilled chunk is its elements' bytes in native byte order, encoded as
//!
//! ```text
//! chunk  := 0x00 raw-bytes                      (stored raw, whole)
//!         | 0x01 frame*                         (framed)
//! frame  := kind:u8 len:u32-le payload[len]
//! kind   := 0x00  payload is the frame's raw bytes          (len = frame size)
//!         | 0x01  payload is an LZ4 block of the frame's bytes after a byte shuffle
//! ```
//!
//! Frames hold [`FRAME_BYTES`] of the chunk each (the last one the rest), so the scratch
//! memory a writer or reader needs is bounded (about 2.1 x [`FRAME_BYTES`]) whatever the
//! chunk size, and each frame is compressed only where that pays (compressed size under
//! [`PAYS_PERCENT`] of raw). Before framing a large chunk, a cheap probe compresses three small windows
//! (start, middle, end); data that does not compress (random bits) is stored raw at the
//! cost of that probe alone.

use lz4_flex::block::{compress_into, decompress_into, get_maximum_output_size};

use crate::kernels::shuffle::{shuffle, unshuffle};

/// Raw bytes per frame.
pub const FRAME_BYTES: usize = 1 << 20;
/// Bytes per probe window.
const PROBE_WINDOW: usize = 16 << 10;
/// Chunk header: stored raw.
const CHUNK_RAW: u8 = 0;
/// Chunk header: framed.
const CHUNK_FRAMED: u8 = 1;
/// Frame kind: raw payload.
const FRAME_RAW: u8 = 0;
/// Frame kind: shuffled LZ4 payload.
const FRAME_LZ4: u8 = 1;
/// Frame header: kind byte and a u32 length.
const FRAME_HEADER: usize = 5;

/// Compressed data is kept only under this share of its raw size, in percent.
///
/// Measured (`benches/spill_codec.rs`): uniform [0, 1) f64 shuffles and compresses to 88%,
/// and doing so cut encode throughput from about 2 GB/s (probe + copy) to 0.6 GB/s and
/// decode from 2.9 to 0.9 GB/s, slower than writing the 12% extra at this machine's
/// 0.5-1.8 GB/s disk. A saving of a quarter or more is kept.
pub const PAYS_PERCENT: u128 = 75;

/// Whether `compressed` bytes are worth keeping instead of `raw` (under [`PAYS_PERCENT`]).
///
/// ```
/// use spillway::store::spill::codec::pays;
/// assert!(pays(74, 100));
/// assert!(!pays(75, 100));
/// ```
pub fn pays(compressed: usize, raw: usize) -> bool {
    (compressed as u128) * 100 < (raw as u128) * PAYS_PERCENT
}

/// Reusable scratch buffers for encoding and decoding (one per thread at a time).
///
/// They only grow, to at most about 2.1 x [`FRAME_BYTES`], so after the first frame no
/// chunk touches fresh pages.
///
/// ```
/// use spillway::store::spill::codec::Scratch;
/// let scratch = Scratch::default();
/// assert_eq!(scratch.capacity_bytes(), 0);
/// ```
#[derive(Debug, Default)]
pub struct Scratch {
    shuffled: Vec<u8>,
    packed: Vec<u8>,
}

impl Scratch {
    /// Bytes the buffers hold (what keeping this scratch costs).
    ///
    /// ```
    /// use spillway::store::spill::codec::{encode, Scratch};
    /// let mut scratch = Scratch::default();
    /// let data = vec![7u8; 1000];
    /// encode(&data, 1, &mut scratch, &mut |_| Ok::<(), ()>(())).unwrap();
    /// assert!(scratch.capacity_bytes() >= 2000);
    /// ```
    pub fn capacity_bytes(&self) -> usize {
        self.shuffled.len() + self.packed.len()
    }

    /// The two buffers, at least `shuffled` and `packed` bytes long.
    fn buffers(&mut self, shuffled: usize, packed: usize) -> (&mut [u8], &mut [u8]) {
        if self.shuffled.len() < shuffled {
            self.shuffled.resize(shuffled, 0);
        }
        if self.packed.len() < packed {
            self.packed.resize(packed, 0);
        }
        (&mut self.shuffled[..shuffled], &mut self.packed[..packed])
    }
}

/// What [`encode`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Encoded {
    /// Bytes handed to the sink (what the file holds).
    pub disk_bytes: u64,
    /// Frames stored compressed (0 when the chunk was stored raw).
    pub lz4_frames: usize,
    /// Frames stored raw inside a framed chunk.
    pub raw_frames: usize,
}

impl Encoded {
    /// Whether any of the chunk was stored compressed.
    ///
    /// ```
    /// use spillway::store::spill::codec::Encoded;
    /// assert!(!Encoded::default().compressed());
    /// ```
    pub fn compressed(&self) -> bool {
        self.lz4_frames > 0
    }
}

/// Frame size for `elem_size`-byte elements: whole elements only.
fn frame_len(elem_size: usize) -> usize {
    (FRAME_BYTES / elem_size).max(1) * elem_size
}

/// Shuffles and compresses `raw` into `packed` (from `at`); returns the compressed length.
fn pack(raw: &[u8], elem_size: usize, scratch: &mut Scratch, at: usize) -> usize {
    let (shuffled, packed) = scratch.buffers(raw.len(), at + get_maximum_output_size(raw.len()));
    shuffle(raw, shuffled, elem_size);
    compress_into(shuffled, &mut packed[at..])
        .expect("the output buffer has lz4's maximum output size")
}

/// Bytes per probe window for `elem_size`-byte elements: whole elements only.
fn probe_window(elem_size: usize) -> usize {
    (PROBE_WINDOW / elem_size).max(1) * elem_size
}

/// Whether shuffle + LZ4 is likely to pay on `data`, judged from three windows.
///
/// ```
/// use spillway::store::spill::codec::{probe_pays, Scratch};
/// let smooth: Vec<u8> = (0..100_000u64).flat_map(|i| (i as f64).to_ne_bytes()).collect();
/// assert!(probe_pays(&smooth, 8, &mut Scratch::default()));
/// ```
pub fn probe_pays(data: &[u8], elem_size: usize, scratch: &mut Scratch) -> bool {
    let window = probe_window(elem_size);
    if data.len() <= 3 * window {
        let packed = pack(data, elem_size, scratch, 0);
        return pays(packed, data.len());
    }
    let n = data.len() / elem_size;
    let per = window / elem_size;
    let starts = [0, (n / 2 - per / 2) * elem_size, (n - per) * elem_size];
    let packed: usize = starts
        .iter()
        .map(|&s| pack(&data[s..s + window], elem_size, scratch, 0))
        .sum();
    pays(packed, 3 * window)
}

/// The most bytes [`encode`] writes for `raw_len` bytes of `elem_size`-byte elements: a
/// frame is kept compressed only when that is smaller, so the worst case is every frame
/// raw, each behind its header.
///
/// ```
/// use spillway::store::spill::codec::{encode, max_encoded_len, Scratch, FRAME_BYTES};
/// assert_eq!(max_encoded_len(0, 8), 1);
/// assert_eq!(max_encoded_len(FRAME_BYTES + 8, 8), 1 + FRAME_BYTES + 8 + 2 * 5);
/// let data = vec![3u8; 100_000];
/// let enc = encode(&data, 1, &mut Scratch::default(), &mut |_| Ok::<(), ()>(())).unwrap();
/// assert!(enc.disk_bytes as usize <= max_encoded_len(data.len(), 1));
/// ```
pub fn max_encoded_len(raw_len: usize, elem_size: usize) -> usize {
    1 + raw_len + raw_len.div_ceil(frame_len(elem_size)) * FRAME_HEADER
}

/// Encodes `data` (whole `elem_size`-byte elements) and hands the pieces of the encoded
/// form, in order, to `sink`; stops at the sink's first error.
///
/// ```
/// use spillway::store::spill::codec::{decode, encode, Scratch};
///
/// let data: Vec<u8> = (0..4096u64).flat_map(|i| (i as f64 * 0.5).to_ne_bytes()).collect();
/// let mut scratch = Scratch::default();
/// let mut file = Vec::new();
/// let enc = encode(&data, 8, &mut scratch, &mut |piece| {
///     file.extend_from_slice(piece);
///     Ok::<(), String>(())
/// })
/// .unwrap();
/// assert!(enc.compressed() && file.len() < data.len() / 2);
///
/// let mut back = vec![0u8; data.len()];
/// let mut at = 0;
/// decode(&mut back, 8, &mut scratch, &mut |buf: &mut [u8]| {
///     let end = at + buf.len();
///     let src = file.get(at..end).ok_or("truncated")?;
///     buf.copy_from_slice(src);
///     at = end;
///     Ok::<(), String>(())
/// }, &|msg| msg)
/// .unwrap();
/// assert_eq!(back, data);
/// ```
pub fn encode<E>(
    data: &[u8],
    elem_size: usize,
    scratch: &mut Scratch,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> Result<Encoded, E> {
    let frame = frame_len(elem_size);
    let mut enc = Encoded::default();
    // Chunks larger than the probe windows are probed first; a chunk of one frame is
    // then packed once, to decide and to write, and a larger one frame by frame.
    let probed = data.len() <= 3 * probe_window(elem_size) || probe_pays(data, elem_size, scratch);
    let single = (probed && !data.is_empty() && data.len() <= frame)
        .then(|| pack(data, elem_size, scratch, FRAME_HEADER));
    let framed = probed
        && !data.is_empty()
        && match single {
            Some(packed) => pays(packed, data.len()),
            None => true,
        };
    if !framed {
        put(sink, &mut enc, &[CHUNK_RAW])?;
        put(sink, &mut enc, data)?;
        return Ok(enc);
    }
    put(sink, &mut enc, &[CHUNK_FRAMED])?;
    for raw in data.chunks(frame) {
        let packed = match single {
            Some(packed) => packed,
            None => pack(raw, elem_size, scratch, FRAME_HEADER),
        };
        if pays(packed, raw.len()) {
            let buf = &mut scratch.packed[..FRAME_HEADER + packed];
            buf[0] = FRAME_LZ4;
            buf[1..FRAME_HEADER].copy_from_slice(&(packed as u32).to_le_bytes());
            enc.lz4_frames += 1;
            put(sink, &mut enc, buf)?;
        } else {
            let mut header = [FRAME_RAW; FRAME_HEADER];
            header[1..].copy_from_slice(&(raw.len() as u32).to_le_bytes());
            enc.raw_frames += 1;
            put(sink, &mut enc, &header)?;
            put(sink, &mut enc, raw)?;
        }
    }
    Ok(enc)
}

fn put<E>(
    sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    enc: &mut Encoded,
    piece: &[u8],
) -> Result<(), E> {
    enc.disk_bytes += piece.len() as u64;
    sink(piece)
}

/// Decodes a chunk written by [`encode`] into `out` (its raw bytes, so its length says
/// how many bytes to expect). `source` fills a buffer with the next bytes of the encoded
/// form (like `Read::read_exact`); `corrupt` turns a description of bad input into the
/// caller's error. Raw chunks and raw frames are read straight into `out`.
///
/// See [`encode`] for an example.
pub fn decode<E>(
    out: &mut [u8],
    elem_size: usize,
    scratch: &mut Scratch,
    source: &mut dyn FnMut(&mut [u8]) -> Result<(), E>,
    corrupt: &dyn Fn(String) -> E,
) -> Result<(), E> {
    let mut header = [0u8];
    source(&mut header)?;
    match header[0] {
        CHUNK_RAW => return source(out),
        CHUNK_FRAMED => {}
        other => return Err(corrupt(format!("unknown chunk header byte {other:#04x}"))),
    }
    let frame = frame_len(elem_size);
    let total = out.len();
    for (f, dst) in out.chunks_mut(frame).enumerate() {
        let mut head = [0u8; FRAME_HEADER];
        source(&mut head)?;
        let len = u32::from_le_bytes(head[1..].try_into().expect("4 bytes")) as usize;
        let n = dst.len();
        match head[0] {
            FRAME_RAW if len == n => source(dst)?,
            FRAME_LZ4 if len <= get_maximum_output_size(n) => {
                let (shuffled, packed) = scratch.buffers(n, len);
                source(packed)?;
                match decompress_into(packed, shuffled) {
                    Ok(got) if got == n => unshuffle(shuffled, dst, elem_size),
                    Ok(got) => {
                        return Err(corrupt(format!(
                            "frame {f} decompressed to {got} bytes, expected {n}"
                        )));
                    }
                    Err(e) => return Err(corrupt(format!("frame {f}: {e}"))),
                }
            }
            kind => {
                return Err(corrupt(format!(
                    "frame {f} of a {total}-byte chunk has kind {kind:#04x} and length {len}, \
                     expected a {n}-byte frame"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8], elem_size: usize) -> (Encoded, Vec<u8>) {
        let mut scratch = Scratch::default();
        let mut file = Vec::new();
        let enc = encode(data, elem_size, &mut scratch, &mut |p| {
            file.extend_from_slice(p);
            Ok::<(), String>(())
        })
        .unwrap();
        assert_eq!(enc.disk_bytes, file.len() as u64);
        let mut back = vec![0xEE; data.len()];
        let mut at = 0;
        decode(
            &mut back,
            elem_size,
            &mut scratch,
            &mut |buf: &mut [u8]| {
                let end = at + buf.len();
                buf.copy_from_slice(file.get(at..end).ok_or("truncated")?);
                at = end;
                Ok::<(), String>(())
            },
            &|m| m,
        )
        .unwrap();
        assert_eq!(at, file.len(), "decode read the whole encoding");
        assert_eq!(back, data);
        (enc, file)
    }

    fn noise(n: usize, seed: u64) -> Vec<u8> {
        crate::util::test_noise::noise_bytes(n, seed)
    }

    #[test]
    fn random_bytes_are_stored_raw_after_the_probe() {
        for n in [0, 8, 1000, FRAME_BYTES, 3 * FRAME_BYTES + 24] {
            let data = noise(n, 7);
            let (enc, file) = roundtrip(&data, 8);
            assert_eq!(enc.lz4_frames, 0);
            assert_eq!(file.len(), n + 1, "raw chunk: one header byte");
            assert_eq!(file[0], CHUNK_RAW);
        }
    }

    #[test]
    fn smooth_values_are_compressed_in_frames() {
        let data: Vec<u8> = (0..(3 * FRAME_BYTES / 8 + 5))
            .flat_map(|i| (i as f64 * 1e-3).to_ne_bytes())
            .collect();
        let (enc, file) = roundtrip(&data, 8);
        // The 40-byte tail frame does not pay and is stored raw.
        assert_eq!((enc.lz4_frames, enc.raw_frames), (3, 1));
        assert!(
            file.len() * 3 < data.len(),
            "{} vs {}",
            file.len(),
            data.len()
        );
    }

    #[test]
    fn a_frame_that_does_not_pay_is_stored_raw_inside_a_framed_chunk() {
        // Smooth everywhere the probe looks, noise in the second frame.
        let mut data: Vec<u8> = (0..(4 * FRAME_BYTES / 8))
            .flat_map(|i| (i as f64).to_ne_bytes())
            .collect();
        let noisy = noise(FRAME_BYTES, 3);
        data[FRAME_BYTES..2 * FRAME_BYTES].copy_from_slice(&noisy);
        let (enc, _) = roundtrip(&data, 8);
        assert_eq!((enc.lz4_frames, enc.raw_frames), (3, 1));
    }

    #[test]
    fn every_element_size_round_trips() {
        for size in [1, 2, 4, 8] {
            for n in [0, 1, 2, 17, 4099] {
                let data: Vec<u8> = (0..n * size).map(|i| (i / 7 % 251) as u8).collect();
                roundtrip(&data, size);
                roundtrip(&noise(n * size, n as u64), size);
            }
        }
    }

    #[test]
    fn damage_is_reported_not_panicked() {
        let data: Vec<u8> = (0..8192u64).flat_map(|i| i.to_ne_bytes()).collect();
        let (_, file) = roundtrip(&data, 8);
        let mut scratch = Scratch::default();
        let truncated =
            [0, 1, 3, 6, file.len() / 2, file.len() - 1].map(|cut| file[..cut].to_vec());
        let flipped = [0, 1, 3].map(|at| {
            let mut bad = file.clone();
            bad[at] ^= 0x5A;
            bad
        });
        for bad in truncated.iter().chain(&flipped) {
            let mut at = 0;
            let mut out = vec![0u8; data.len()];
            let result = decode(
                &mut out,
                8,
                &mut scratch,
                &mut |buf: &mut [u8]| {
                    let end = at + buf.len();
                    buf.copy_from_slice(bad.get(at..end).ok_or("truncated")?);
                    at = end;
                    Ok::<(), String>(())
                },
                &|m| m,
            );
            assert!(result.is_err(), "{} bytes of {}", bad.len(), file.len());
        }
        let mut out = [0u8; 8];
        let err = decode(
            &mut out,
            8,
            &mut scratch,
            &mut |b: &mut [u8]| {
                b.fill(9);
                Ok::<(), String>(())
            },
            &|m| m,
        )
        .unwrap_err();
        assert!(err.contains("unknown chunk header byte 0x09"), "{err}");
    }
}
