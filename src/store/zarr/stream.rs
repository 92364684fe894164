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
        let buffers = 2 * BUFFER as u64;
        match self {
            StreamCodec::Raw => buffers,
            StreamCodec::Zstd { level, .. } if level <= 9 => buffers + (16 << 20),
            StreamCodec::Zstd { .. } => buffers + (128 << 20),
        }
    }

    /// Decodes the chunk file `file` into `out`, which must be exactly the chunk's decoded
    /// size: `Ok(encoded bytes)`, or the failure as text with whether it is corruption
    /// (wrong size, undecodable) rather than an I/O failure.
    pub(crate) fn read(self, file: std::fs::File, out: &mut [u8]) -> Result<u64, ReadFailure> {
        let encoded = file.metadata().map_err(ReadFailure::io)?.len();
        match self {
            StreamCodec::Raw => {
                if encoded != out.len() as u64 {
                    return Err(ReadFailure::Corrupt(format!(
                        "the file has {encoded} bytes, the chunk {}",
                        out.len()
                    )));
                }
                let mut file = file;
                file.read_exact(out).map_err(ReadFailure::decoding)?;
            }
            StreamCodec::Zstd { .. } => decode_zstd_into(file, encoded, out)?,
        }
        Ok(encoded)
    }

    /// Encodes `data` (a whole chunk's bytes) into `file`; returns the encoded size.
    pub(crate) fn write(self, file: &mut std::fs::File, data: &[u8]) -> std::io::Result<u64> {
        match self {
            StreamCodec::Raw => {
                file.write_all(data)?;
            }
            StreamCodec::Zstd { level, checksum } => {
                // never more buffer than the chunk: the budget counts at most its size
                let writer =
                    std::io::BufWriter::with_capacity(BUFFER.min(data.len().max(1)), &mut *file);
                let mut encoder = zstd::stream::write::Encoder::new(writer, level)?;
                // the frame header records the decoded size, as one-shot zstd writes it
                encoder.include_contentsize(true)?;
                encoder.set_pledged_src_size(Some(data.len() as u64))?;
                encoder.include_checksum(checksum)?;
                encoder.write_all(data)?;
                encoder.finish()?.flush()?;
            }
        }
        file.metadata().map(|m| m.len())
    }
}

/// Decodes the single zstd frame in `file` (of `size` bytes) straight into `out` (zstd's
/// stable output buffer: no window copy), reading the file a buffer at a time.
fn decode_zstd_into(mut file: std::fs::File, size: u64, out: &mut [u8]) -> Result<(), ReadFailure> {
    use zstd::zstd_safe::{DCtx, DParameter, InBuffer, OutBuffer};
    let corrupt = |e: zstd::zstd_safe::ErrorCode| {
        ReadFailure::Corrupt(zstd::zstd_safe::get_error_name(e).to_string())
    };
    let mut dctx = DCtx::create();
    dctx.set_parameter(DParameter::StableOutBuffer(true))
        .map_err(corrupt)?;
    let capacity = out.len();
    let mut output = OutBuffer::around(out);
    // never more buffer than the file: the budget counts at most a whole encoded chunk
    let mut input = vec![0u8; BUFFER.min(usize::try_from(size).unwrap_or(BUFFER).max(1))];
    loop {
        let filled = file.read(&mut input).map_err(ReadFailure::io)?;
        if filled == 0 {
            return Err(ReadFailure::Corrupt(format!(
                "the file ends early (after {} of the chunk's {capacity} bytes)",
                output.pos()
            )));
        }
        let mut source = InBuffer::around(&input[..filled]);
        loop {
            let before = (source.pos(), output.pos());
            let hint = dctx
                .decompress_stream(&mut output, &mut source)
                .map_err(corrupt)?;
            if hint == 0 {
                // the frame is complete: it must fill the chunk and be all the file holds
                let mut probe = [0u8; 1];
                let more =
                    filled - source.pos() + file.read(&mut probe).map_err(ReadFailure::io)?;
                if output.pos() != capacity || more != 0 {
                    return Err(ReadFailure::Corrupt(format!(
                        "it decodes to {} bytes{}; the chunk has {capacity}",
                        output.pos(),
                        if more != 0 {
                            " followed by more data"
                        } else {
                            ""
                        }
                    )));
                }
                return Ok(());
            }
            if source.pos() == filled {
                break; // read on
            }
            if (source.pos(), output.pos()) == before {
                // input left that cannot go anywhere: the chunk is full
                return Err(ReadFailure::Corrupt(format!(
                    "it decodes to more than the chunk's {capacity} bytes"
                )));
            }
        }
    }
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

    #[test]
    fn round_trips_and_detects_damage() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for codec in [
            StreamCodec::Raw,
            StreamCodec::Zstd {
                level: 0,
                checksum: true,
            },
        ] {
            let path = dir.path().join(format!("{codec:?}"));
            let mut file = std::fs::File::create(&path).unwrap();
            let size = codec.write(&mut file, &data).unwrap();
            drop(file);
            assert_eq!(size, std::fs::metadata(&path).unwrap().len());
            let mut out = vec![0u8; data.len()];
            let file = open_existing(&path).unwrap().unwrap();
            assert_eq!(codec.read(file, &mut out).unwrap(), size);
            assert_eq!(out, data);
            // a buffer larger than the chunk: the file ends early
            let mut long = vec![0u8; data.len() + 1];
            let file = open_existing(&path).unwrap().unwrap();
            assert!(matches!(
                codec.read(file, &mut long),
                Err(ReadFailure::Corrupt(_))
            ));
            // a buffer smaller than the chunk: more data than the chunk
            let mut short = vec![0u8; data.len() - 1];
            let file = open_existing(&path).unwrap().unwrap();
            assert!(matches!(
                codec.read(file, &mut short),
                Err(ReadFailure::Corrupt(_))
            ));
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
        codec.write(&mut file, &data).unwrap();
        let encoded = std::fs::read(&path).unwrap();
        // the content size is in the header: a one-shot decoder (as numcodecs uses) needs it
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&encoded).ok(),
            Some(Some(data.len() as u64))
        );
        assert_eq!(zstd::bulk::decompress(&encoded, data.len()).unwrap(), data);
    }
}
