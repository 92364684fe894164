//! Whole chunks of the common codec chains, streamed between the file and the caller's
//! buffer.
//!
//! zarrs decodes a chunk from a fresh buffer holding the whole encoded file, and encodes
//! into another: for a 128 MB chunk that is 128 MB of transient memory per read or write
//! and, on machines where first touch of fresh pages is slow, most of the read's time
//! (measured here: 0.38 s per 4000 x 4000 f64 zstd chunk through zarrs, 0.16 s streamed).
//! For the chains zarr-python and spillway write by default, `bytes` (little-endian) alone
//! or `bytes` then `zstd`, a whole unsharded chunk is a plain file or a single zstd frame,
//! so it can be streamed through a small buffer instead. Everything else (other codecs,
//! shards, clipped edge chunks, chunks never written) goes through zarrs.

use crate::util::phase_clock::{Phase, TimedWrite, timed};
use std::io::{Read, Write};
use std::path::Path;

/// A codec chain whose whole chunks stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamCodec {
    /// `bytes` alone: the file is the chunk's little-endian bytes.
    Raw,
    /// `bytes` then `zstd`: the file is one zstd frame.
    Zstd {
        /// The zstd level (0 is zstd's default).
        level: i32,
        /// Whether frames carry a content checksum.
        checksum: bool,
    },
}

/// Streaming buffer size: large enough that per-call costs vanish, small enough to stay
/// in cache.
const BUFFER: usize = 1 << 20;

impl StreamCodec {
    /// The streamable chain described by a v3 array's `zarr.json`, or `None` (sharded,
    /// storage transformers, big-endian or other codecs, or a big-endian machine).
    pub(crate) fn from_metadata(json: &serde_json::Value) -> Option<StreamCodec> {
        if cfg!(target_endian = "big") {
            return None;
        }
        if json
            .get("storage_transformers")
            .and_then(|t| t.as_array())
            .is_some_and(|t| !t.is_empty())
        {
            return None;
        }
        let codecs = json.get("codecs")?.as_array()?;
        let name = |c: &serde_json::Value| c.get("name").and_then(|n| n.as_str()).map(String::from);
        let bytes_is_little = |c: &serde_json::Value| {
            name(c).as_deref() == Some("bytes")
                && c.pointer("/configuration/endian")
                    .and_then(|e| e.as_str())
                    .is_none_or(|e| e == "little")
        };
        match codecs.as_slice() {
            [bytes] if bytes_is_little(bytes) => Some(StreamCodec::Raw),
            [bytes, zstd] if bytes_is_little(bytes) && name(zstd).as_deref() == Some("zstd") => {
                let level = zstd
                    .pointer("/configuration/level")
                    .and_then(|l| l.as_i64())
                    .unwrap_or(0);
                let checksum = zstd
                    .pointer("/configuration/checksum")
                    .and_then(|c| c.as_bool())
                    .unwrap_or(false);
                Some(StreamCodec::Zstd {
                    level: i32::try_from(level).ok()?,
                    checksum,
                })
            }
            _ => None,
        }
    }

    /// Memory one streamed read or write holds: its buffers and the zstd context (up to
    /// level 9 the window is at most 8 MiB and the encoder's tables about as much again;
    /// higher levels take far more).
    pub(crate) fn scratch_bytes(self) -> u64 {
        // a direct read's two blocks, or a buffered read's and a write's buffers
        let buffers = super::direct::SCRATCH_BYTES.max(2 * BUFFER as u64);
        match self {
            StreamCodec::Raw => buffers,
            StreamCodec::Zstd { level, .. } if level <= 9 => buffers + (16 << 20),
            StreamCodec::Zstd { .. } => buffers + (128 << 20),
        }
    }

    /// Decodes the chunk file `file` into `out`, which must be exactly the chunk's decoded
    /// size: `Ok(encoded bytes)`, or the failure as text with whether it is corruption
    /// (wrong size, undecodable) rather than an I/O failure. A file of at least
    /// [`direct::MIN_FILE`](super::direct::MIN_FILE) bytes that is not mostly in the page
    /// cache is read directly (see [`direct`](super::direct)) where the file system allows
    /// it and `allow_direct` says the array is worth it.
    pub(crate) fn read(
        self,
        mut file: std::fs::File,
        out: &mut [u8],
        allow_direct: bool,
    ) -> Result<u64, ReadFailure> {
        let encoded = file.metadata().map_err(ReadFailure::io)?.len();
        if let StreamCodec::Raw = self
            && encoded != out.len() as u64
        {
            return Err(ReadFailure::Corrupt(format!(
                "the file has {encoded} bytes, the chunk {}",
                out.len()
            )));
        }
        // large files the page cache does not hold are read past it
        let direct = allow_direct
            && encoded >= super::direct::MIN_FILE
            && !super::direct::mostly_cached(&file, encoded)
            && super::direct::make_direct(&file, super::direct::Probe::Read);
        match (self, direct) {
            (StreamCodec::Raw, false) => {
                file.read_exact(out).map_err(ReadFailure::decoding)?;
            }
            (StreamCodec::Raw, true) => {
                let mut at = 0;
                super::direct::read_blocks(&file, &mut |block| {
                    let end = at + block.len();
                    let Some(dest) = out.get_mut(at..end) else {
                        return Err(ReadFailure::Corrupt("the file grew while read".into()));
                    };
                    dest.copy_from_slice(block);
                    at = end;
                    Ok(true)
                })?;
                if at != out.len() {
                    return Err(ReadFailure::Corrupt(format!(
                        "the file ends early (after {at} of {} bytes)",
                        out.len()
                    )));
                }
            }
            (StreamCodec::Zstd { .. }, direct) => {
                let mut decoder = ZstdInto::new(out, encoded)?;
                // the decoding counts as such; the rest of the read is waiting for bytes
                let mut feed = |piece: &[u8]| timed(Phase::Decode, || decoder.feed(piece));
                if direct {
                    super::direct::read_blocks(&file, &mut feed)?;
                } else {
                    read_buffered(&mut file, encoded, &mut feed)?;
                }
                timed(Phase::Decode, || decoder.finish())?;
            }
        }
        Ok(encoded)
    }

    /// Encodes `data` (a whole chunk's bytes) into `file` (new and empty); returns the
    /// encoded size. A chunk of at least [`direct::MIN_WRITE`](super::direct::MIN_WRITE)
    /// bytes is written directly (see [`direct`](super::direct)) where the file system
    /// allows it and `allow_direct` says the array is worth it.
    pub(crate) fn write(
        self,
        file: &mut std::fs::File,
        data: &[u8],
        allow_direct: bool,
    ) -> std::io::Result<u64> {
        if allow_direct
            && data.len() as u64 >= super::direct::MIN_WRITE
            && let Some(written) =
                super::direct::write_blocks(file, |sink| self.encode_into(sink, data))?
        {
            return Ok(written);
        }
        self.encode_buffered(file, data)?;
        file.metadata().map(|m| m.len())
    }

    /// Encodes `data` into `sink`, which buffers it.
    fn encode_into(self, sink: &mut impl Write, data: &[u8]) -> std::io::Result<()> {
        // what the sink takes (waiting for the disk) counts as writing, the rest as encoding
        let mut sink = TimedWrite::new(sink, Phase::Write);
        match self {
            StreamCodec::Raw => sink.write_all(data),
            StreamCodec::Zstd { level, checksum } => {
                let mut encoder = zstd_encoder(sink, level, checksum, data.len())?;
                encoder.write_all(data)?;
                encoder.finish()?;
                Ok(())
            }
        }
    }

    /// Encodes `data` into `file` through a buffer of at most the chunk's size.
    fn encode_buffered(self, file: &mut std::fs::File, data: &[u8]) -> std::io::Result<()> {
        match self {
            StreamCodec::Raw => {
                timed(Phase::Write, || file.write_all(data))?;
            }
            StreamCodec::Zstd { level, checksum } => {
                // never more buffer than the chunk: the budget counts at most its size
                let writer = std::io::BufWriter::with_capacity(
                    BUFFER.min(data.len().max(1)),
                    TimedWrite::new(&mut *file, Phase::Write),
                );
                let mut encoder = zstd_encoder(writer, level, checksum, data.len())?;
                encoder.write_all(data)?;
                encoder.finish()?.flush()?;
            }
        }
        Ok(())
    }
}

/// Reads `file` (of `size` bytes) from its position a buffer at a time, handing each piece
/// to `consume` until it wants no more or the file ends. The buffer is never larger than
/// the file: the budget counts at most a whole encoded chunk.
fn read_buffered(
    file: &mut std::fs::File,
    size: u64,
    consume: &mut dyn FnMut(&[u8]) -> Result<bool, ReadFailure>,
) -> Result<(), ReadFailure> {
    let mut input = vec![0u8; BUFFER.min(usize::try_from(size).unwrap_or(BUFFER).max(1))];
    loop {
        let filled = file.read(&mut input).map_err(ReadFailure::io)?;
        if filled == 0 || !consume(&input[..filled])? {
            return Ok(());
        }
    }
}

/// A zstd encoder into `sink` for a chunk of `len` bytes whose frame header records the
/// decoded size, as one-shot zstd writes it (one-shot decoders such as numcodecs need it).
fn zstd_encoder<W: Write>(
    sink: W,
    level: i32,
    checksum: bool,
    len: usize,
) -> std::io::Result<zstd::stream::write::Encoder<'static, W>> {
    let mut encoder = zstd::stream::write::Encoder::new(sink, level)?;
    encoder.include_contentsize(true)?;
    encoder.set_pledged_src_size(Some(len as u64))?;
    encoder.include_checksum(checksum)?;
    Ok(encoder)
}

/// Decodes the single zstd frame of a file, fed in pieces, straight into a chunk's
/// buffer (zstd's stable output buffer: no window copy).
struct ZstdInto<'a> {
    dctx: zstd::zstd_safe::DCtx<'static>,
    output: zstd::zstd_safe::OutBuffer<'a, [u8]>,
    capacity: usize,
    /// The file's size, and how much of it was fed.
    size: u64,
    fed: u64,
    finished: bool,
}

impl<'a> ZstdInto<'a> {
    fn new(out: &'a mut [u8], size: u64) -> Result<Self, ReadFailure> {
        use zstd::zstd_safe::{DCtx, DParameter, OutBuffer};
        let mut dctx = DCtx::create();
        dctx.set_parameter(DParameter::StableOutBuffer(true))
            .map_err(corrupt)?;
        Ok(ZstdInto {
            dctx,
            capacity: out.len(),
            output: OutBuffer::around(out),
            size,
            fed: 0,
            finished: false,
        })
    }

    /// Decodes the next piece of the file; returns whether more is wanted (false once the
    /// frame is complete, which must be at the end of the file with the chunk full).
    fn feed(&mut self, piece: &[u8]) -> Result<bool, ReadFailure> {
        let mut source = zstd::zstd_safe::InBuffer::around(piece);
        loop {
            let before = (source.pos(), self.output.pos());
            let hint = self
                .dctx
                .decompress_stream(&mut self.output, &mut source)
                .map_err(corrupt)?;
            if hint == 0 {
                // the frame is complete: it must fill the chunk and be all the file holds
                let end = self.fed + source.pos() as u64;
                if self.output.pos() != self.capacity || end != self.size {
                    return Err(ReadFailure::Corrupt(format!(
                        "it decodes to {} bytes{}; the chunk has {}",
                        self.output.pos(),
                        if end != self.size {
                            " followed by more data"
                        } else {
                            ""
                        },
                        self.capacity
                    )));
                }
                self.finished = true;
                return Ok(false);
            }
            if source.pos() == piece.len() {
                self.fed += piece.len() as u64;
                return Ok(true);
            }
            if (source.pos(), self.output.pos()) == before {
                // input left that cannot go anywhere: the chunk is full
                return Err(ReadFailure::Corrupt(format!(
                    "it decodes to more than the chunk's {} bytes",
                    self.capacity
                )));
            }
        }
    }

    /// Checks that the frame was complete when the file ended. The message counts the
    /// stored bytes: zstd may hold back what it decoded until the frame's next block, so
    /// the decoded count says little about how much of the file is left.
    fn finish(self) -> Result<(), ReadFailure> {
        if self.finished {
            Ok(())
        } else {
            Err(ReadFailure::Corrupt(format!(
                "the file ends early: its {} stored bytes stop inside the zstd frame of a {}-byte chunk",
                self.fed, self.capacity
            )))
        }
    }
}

fn corrupt(e: zstd::zstd_safe::ErrorCode) -> ReadFailure {
    ReadFailure::Corrupt(zstd::zstd_safe::get_error_name(e).to_string())
}

/// Why a streamed read failed.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// The file could not be read.
    Io(String),
    /// The file does not hold a valid chunk.
    Corrupt(String),
}

impl ReadFailure {
    fn io(e: std::io::Error) -> Self {
        ReadFailure::Io(e.to_string())
    }

    /// A failure while decoding: a short file or a decoder error means corruption.
    fn decoding(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            ReadFailure::Corrupt(format!("the file ends early ({e})"))
        } else if e.kind() == std::io::ErrorKind::Other
            || e.kind() == std::io::ErrorKind::InvalidData
        {
            ReadFailure::Corrupt(e.to_string())
        } else {
            ReadFailure::Io(e.to_string())
        }
    }
}

/// Opens `path` for a streamed read: `Ok(None)` when it does not exist (a chunk never
/// written: zarrs fills it with the fill value).
pub(crate) fn open_existing(path: &Path) -> std::io::Result<Option<std::fs::File>> {
    match std::fs::File::open(path) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_the_default_chains_only() {
        let bytes = json!({"name": "bytes", "configuration": {"endian": "little"}});
        let zstd = json!({"name": "zstd", "configuration": {"level": 3, "checksum": true}});
        assert_eq!(
            StreamCodec::from_metadata(&json!({ "codecs": [bytes] })),
            Some(StreamCodec::Raw)
        );
        assert_eq!(
            StreamCodec::from_metadata(&json!({ "codecs": [bytes, zstd] })),
            Some(StreamCodec::Zstd {
                level: 3,
                checksum: true
            })
        );
        let big = json!({"name": "bytes", "configuration": {"endian": "big"}});
        assert_eq!(
            StreamCodec::from_metadata(&json!({ "codecs": [big] })),
            None
        );
        let blosc = json!({"name": "blosc", "configuration": {}});
        assert_eq!(
            StreamCodec::from_metadata(&json!({ "codecs": [bytes, blosc] })),
            None
        );
        let sharded = json!({"name": "sharding_indexed", "configuration": {}});
        assert_eq!(
            StreamCodec::from_metadata(&json!({ "codecs": [sharded] })),
            None
        );
        let transformed = json!({"codecs": [bytes], "storage_transformers": [{"name": "x"}]});
        assert_eq!(StreamCodec::from_metadata(&transformed), None);
    }

    /// Bytes that zstd cannot shrink much, so a large chunk stays a large file.
    fn noise(len: usize) -> Vec<u8> {
        crate::util::test_noise::noise_bytes(len, 0x9E37_79B9_7F4A_7C15)
    }

    #[test]
    fn round_trips_and_detects_damage() {
        let dir = tempfile::tempdir().unwrap();
        // read through the page cache, and directly (a file of at least MIN_FILE bytes,
        // not a whole number of blocks)
        let small: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let large = noise(super::super::direct::MIN_FILE as usize + 12_345);
        for (data, direct) in [(&small, false), (&large, false), (&large, true)] {
            for codec in [
                StreamCodec::Raw,
                StreamCodec::Zstd {
                    level: 0,
                    checksum: true,
                },
            ] {
                let path = dir
                    .path()
                    .join(format!("{codec:?}-{}-{direct}", data.len()));
                let mut file = std::fs::File::create(&path).unwrap();
                let size = codec.write(&mut file, data, direct).unwrap();
                drop(file);
                assert_eq!(size, std::fs::metadata(&path).unwrap().len());
                let read = |out: &mut [u8]| {
                    let file = open_existing(&path).unwrap().unwrap();
                    codec.read(file, out, direct)
                };
                let mut out = vec![0u8; data.len()];
                assert_eq!(read(&mut out).unwrap(), size);
                assert!(&out == data, "{codec:?}, {} bytes", data.len());
                // a buffer larger than the chunk: the file ends early
                let mut long = vec![0u8; data.len() + 1];
                assert!(matches!(read(&mut long), Err(ReadFailure::Corrupt(_))));
                // a buffer smaller than the chunk: more data than the chunk
                let mut short = vec![0u8; data.len() - 1];
                assert!(matches!(read(&mut short), Err(ReadFailure::Corrupt(_))));
                // a truncated file
                let whole = std::fs::read(&path).unwrap();
                let half = whole.len() / 2;
                std::fs::write(&path, &whole[..half]).unwrap();
                match read(&mut out) {
                    Err(ReadFailure::Corrupt(m)) if codec != StreamCodec::Raw => assert!(
                        m.contains(&format!(
                            "its {half} stored bytes stop inside the zstd frame of a {}-byte chunk",
                            data.len()
                        )),
                        "{m}"
                    ),
                    Err(ReadFailure::Corrupt(_)) => {}
                    other => panic!("{codec:?}, {} bytes, truncated: {other:?}", data.len()),
                }
            }
        }
        assert!(open_existing(&dir.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn zstd_frames_decode_with_one_shot_zstd() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 13) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frame");
        let mut file = std::fs::File::create(&path).unwrap();
        let codec = StreamCodec::Zstd {
            level: 0,
            checksum: false,
        };
        codec.write(&mut file, &data, false).unwrap();
        let encoded = std::fs::read(&path).unwrap();
        // the content size is in the header: a one-shot decoder (as numcodecs uses) needs it
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&encoded).ok(),
            Some(Some(data.len() as u64))
        );
        assert_eq!(zstd::bulk::decompress(&encoded, data.len()).unwrap(), data);
    }
}
