//! Direct reads and writes of large chunk files: `O_DIRECT`, in aligned blocks, one block
//! moved by a helper thread while the caller decodes or encodes the other.
//!
//! A buffered read of a file that is not cached has the kernel allocate page-cache pages
//! and copy out of them. On this project's VMs freshly allocated pages are slow to touch,
//! and reading a 12 GB array cold through the page cache cost 10-20 s of system time on
//! two cores (against 1-2 s direct), which made a one-pass read CPU-bound in the kernel.
//! Direct reads move the file into the same two reused blocks straight from the device;
//! the helper thread keeps a read in flight while the caller decompresses, so the disk and
//! the codec overlap within one chunk as the kernel's read-ahead would have. Writes are
//! the same the other way round (writing the 12 GB result of `(x + x.T).to_zarr` through
//! the page cache cost 29 s of system time): the encoder fills one block while the helper
//! writes the other, the last block is padded to the alignment and the file is then cut
//! to its length. The file system may refuse `O_DIRECT` (tmpfs): [`make_direct`] then says
//! so and the caller goes through the page cache on the same file.

use super::stream::ReadFailure;
use std::fs::File;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per direct read.
pub(crate) const BLOCK: usize = 4 << 20;
/// Files smaller than this are read through the page cache: for them a helper thread and
/// uncached reads cost more than they save.
pub(crate) const MIN_FILE: u64 = 8 << 20;
/// Chunks smaller than this are written through the page cache. Lower than for reads: a
/// write through the cache pays for its sync before the rename, which a direct write
/// overlaps with the encoding (1000 x 1000 float64 chunks, 8 MB: see [`writes_worth_it`]).
pub(crate) const MIN_WRITE: u64 = 1 << 20;
/// Alignment of direct reads' buffers, offsets and lengths (the page size covers every
/// logical block size in use).
const ALIGN: usize = 4096;
/// Memory one direct read or write holds: two blocks and their alignment slack.
pub(crate) const SCRATCH_BYTES: u64 = 2 * (BLOCK + ALIGN) as u64;

/// Whether an array of `array_bytes` (decoded) should read its large chunks past the page
/// cache: when it is at least half the machine's memory. The cache could not keep much of
/// it for a second read, and filling it costs system time that direct transfers do not;
/// a smaller array is read through the cache, which then serves re-reads at memory speed.
/// False where the machine's memory is unknown. `SPILLWAY_DIRECT_IO=always` or `never`
/// overrides the size rule (for measuring one against the other).
pub(crate) fn reads_worth_it(array_bytes: u64) -> bool {
    match override_setting() {
        Some(direct) => direct,
        None => crate::util::machine::total_memory_bytes()
            .is_some_and(|memory| array_bytes >= memory / 2),
    }
}

/// Whether large chunks are written past the page cache, whatever the array's size (unless
/// `SPILLWAY_DIRECT_IO=never`). A chunk file is synced before it is renamed into place;
/// written through the cache, that sync waits for the kernel to write the whole file back,
/// while a direct write has the helper thread write one block as the encoder fills the
/// other, so the sync finds nothing left to write. Measured cold on a 3.2 GB
/// `(x + x.T).to_zarr` in 2000 x 2000 chunks (zstd, 2 threads): 8.8 s direct against 19.9 s
/// through the cache, of which 15.0 thread-seconds waited for writes.
pub(crate) fn writes_worth_it() -> bool {
    override_setting().unwrap_or(true)
}

/// `SPILLWAY_DIRECT_IO`: `always` (true), `never` (false), anything else or unset (`None`:
/// the rules above).
fn override_setting() -> Option<bool> {
    match std::env::var("SPILLWAY_DIRECT_IO").as_deref() {
        Ok("always") => Some(true),
        Ok("never") => Some(false),
        _ => None,
    }
}

/// Whether at least half of `file`'s `len` bytes are in the page cache: such a file is
/// read through the cache, which is faster than the disk, and direct reads are kept for
/// files the cache does not hold. False where it cannot tell.
pub(crate) fn mostly_cached(file: &File, len: u64) -> bool {
    let Ok(len) = usize::try_from(len) else {
        return false;
    };
    resident_pages(file, len).is_some_and(|(cached, pages)| 2 * cached >= pages)
}

/// How many of the pages holding `file`'s first `len` bytes are in the page cache, and
/// how many pages those are (`mincore` over a memmap2 mapping of them); `None` where it
/// cannot tell.
#[cfg(unix)]
pub(crate) fn resident_pages(file: &File, len: usize) -> Option<(usize, usize)> {
    if len == 0 {
        return None;
    }
    let pages = len.div_ceil(rustix::param::page_size().max(1));
    let mut resident = vec![0u8; pages];
    // a raw read-only shared mapping, never read through: memmap2 maps it and unmaps it
    // when `map` drops (a raw map hands out only pointers, so making it is safe)
    let map = memmap2::MmapOptions::new()
        .len(len)
        .map_raw_read_only(file)
        .ok()?;
    // SAFETY: `map` is a live mapping of `len` bytes; mincore writes one byte per page of
    // it into `resident`, which has that many.
    let rc = unsafe { libc::mincore(map.as_ptr().cast_mut().cast(), len, resident.as_mut_ptr()) };
    (rc == 0).then(|| (resident.iter().filter(|&&v| v & 1 == 1).count(), pages))
}

#[cfg(not(unix))]
pub(crate) fn resident_pages(_file: &File, _len: usize) -> Option<(usize, usize)> {
    None
}

/// A buffer whose usable part starts on an [`ALIGN`] boundary.
struct AlignedBlock {
    backing: Vec<u8>,
    start: usize,
    filled: usize,
}

impl AlignedBlock {
    fn new() -> AlignedBlock {
        let backing = vec![0u8; BLOCK + ALIGN];
        let start = backing.as_ptr().align_offset(ALIGN);
        AlignedBlock {
            backing,
            start,
            filled: 0,
        }
    }

    fn space(&mut self) -> &mut [u8] {
        &mut self.backing[self.start..self.start + BLOCK]
    }

    fn bytes(&self) -> &[u8] {
        &self.backing[self.start..self.start + self.filled]
    }

    /// The filled bytes, zero-padded to the alignment (what a direct write must write).
    fn padded(&mut self) -> &[u8] {
        let (filled, end) = (self.filled, self.filled.next_multiple_of(ALIGN));
        self.space()[filled..end].fill(0);
        &self.backing[self.start..self.start + end]
    }
}

/// Fills `block` from `offset` of `file`; the filled length is short only at the end of
/// the file.
fn fill(file: &File, block: &mut AlignedBlock, offset: u64) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < BLOCK {
        let n = crate::util::positional::read_at(
            file,
            &mut block.space()[filled..],
            offset + filled as u64,
        )?;
        filled += n;
        // a direct read stops short of an aligned length only at the end of the file
        if n == 0 || !n.is_multiple_of(ALIGN) {
            break;
        }
    }
    block.filled = filled;
    Ok(())
}

/// Reads `file` (switched by [`make_direct`]) from its start, a [`BLOCK`] at a time on a helper
/// thread that reads the next block while `consume` handles the current one. `consume`
/// gets the blocks in order and returns whether it wants more; reading stops there, at
/// the end of the file, or at the first error (a read error is an I/O failure).
pub(crate) fn read_blocks(
    file: &File,
    consume: &mut dyn FnMut(&[u8]) -> Result<bool, ReadFailure>,
) -> Result<(), ReadFailure> {
    let (give, empty) = sync_channel::<AlignedBlock>(2);
    let (send, full) = sync_channel::<std::io::Result<AlignedBlock>>(2);
    for _ in 0..2 {
        give.send(AlignedBlock::new())
            .expect("the channel has room for both blocks");
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut offset = 0u64;
            // ends when the consumer stops handing blocks back (it is done or failed)
            for mut block in empty {
                let read = fill(file, &mut block, offset).map(|()| block);
                let last = match &read {
                    Ok(block) => block.filled < BLOCK,
                    Err(_) => true,
                };
                if let Ok(block) = &read {
                    offset += block.filled as u64;
                }
                if send.send(read).is_err() || last {
                    return;
                }
            }
        });
        let outcome = (|| {
            for read in &full {
                let block = read.map_err(|e| ReadFailure::Io(e.to_string()))?;
                let last = block.filled < BLOCK;
                if block.filled > 0 && !consume(block.bytes())? {
                    return Ok(());
                }
                if last {
                    return Ok(());
                }
                // the helper may already have stopped: a block it no longer wants is
                // simply dropped
                let _ = give.send(block);
            }
            Ok(())
        })();
        // wake a helper waiting for a block, so the scope can end
        drop(give);
        drop(full);
        outcome
    })
}

/// What [`make_direct`] tries once to see that direct transfers work: some file systems
/// accept `O_DIRECT` and then refuse the reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    /// Read the first aligned block (the file is to be read).
    Read,
    /// Write a zeroed aligned block at the start (the file is new, empty and to be
    /// written; the block is overwritten or cut off later).
    Write,
}

/// Switches the open `file` to direct transfers and checks them with `probe`; false, with
/// the file as it was, where the file system or platform refuses. The caller then goes
/// through the page cache on the same file.
#[cfg(target_os = "linux")]
pub(crate) fn make_direct(file: &File, probe: Probe) -> bool {
    use crate::util::positional::{read_at, write_all_at};
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let Ok(flags) = fcntl_getfl(file) else {
        return false;
    };
    if fcntl_setfl(file, flags | OFlags::DIRECT).is_err() {
        return false;
    }
    let mut page = vec![0u8; 2 * ALIGN];
    let start = page.as_ptr().align_offset(ALIGN);
    let page = &mut page[start..start + ALIGN];
    let works = match probe {
        Probe::Read => read_at(file, page, 0).is_ok(),
        Probe::Write => write_all_at(file, page, 0).is_ok(),
    };
    if !works {
        let _ = fcntl_setfl(file, flags);
        if probe == Probe::Write {
            let _ = file.set_len(0);
        }
    }
    works
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn make_direct(_file: &File, _probe: Probe) -> bool {
    false
}

/// The [`Write`] that [`write_blocks`] hands its producer: it fills a block and passes each
/// full one to the writing thread.
pub(crate) struct BlockSink {
    block: Option<AlignedBlock>,
    offset: u64,
    full: SyncSender<(AlignedBlock, u64)>,
    empty: Receiver<AlignedBlock>,
}

impl BlockSink {
    fn hand_over(&mut self) -> std::io::Result<()> {
        let block = self
            .block
            .take()
            .expect("the sink holds a block between writes");
        let filled = block.filled as u64;
        let gone = || std::io::Error::other("the writing thread stopped");
        self.full.send((block, self.offset)).map_err(|_| gone())?;
        self.offset += filled;
        self.block = Some(self.empty.recv().map_err(|_| gone())?);
        Ok(())
    }
}

impl Write for BlockSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let block = self
            .block
            .as_mut()
            .expect("the sink holds a block between writes");
        let n = bytes.len().min(BLOCK - block.filled);
        let at = block.filled;
        block.space()[at..at + n].copy_from_slice(&bytes[..n]);
        block.filled += n;
        if block.filled == BLOCK {
            self.hand_over()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes what `produce` writes into its sink to `file` (empty, open for writing) with
/// direct writes, a [`BLOCK`] at a time on a helper thread while `produce` fills the next
/// block; returns the bytes written, or `Ok(None)` (nothing written) where the file
/// cannot be written directly.
pub(crate) fn write_blocks(
    file: &File,
    produce: impl FnOnce(&mut BlockSink) -> std::io::Result<()>,
) -> std::io::Result<Option<u64>> {
    if !make_direct(file, Probe::Write) {
        return Ok(None);
    }
    let (to_writer, full) = sync_channel::<(AlignedBlock, u64)>(2);
    let (give, empty) = sync_channel::<AlignedBlock>(2);
    let mut sink = BlockSink {
        block: Some(AlignedBlock::new()),
        offset: 0,
        full: to_writer,
        empty,
    };
    give.send(AlignedBlock::new())
        .expect("the channel has room for the second block");
    let length = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> std::io::Result<()> {
            for (mut block, offset) in full {
                crate::util::positional::write_all_at(file, block.padded(), offset)?;
                block.filled = 0;
                // the producer may be done: a block it no longer wants is dropped
                let _ = give.send(block);
            }
            Ok(())
        });
        let produced = produce(&mut sink).and_then(|()| {
            let last = sink.block.as_ref().map_or(0, |b| b.filled);
            if last > 0 {
                sink.hand_over()?;
            }
            Ok(sink.offset)
        });
        drop(sink);
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // the writer's error explains a producer that found it gone
        written.and(produced)
    })?;
    // the last block was padded to the alignment: cut the file to the bytes produced
    file.set_len(length)?;
    Ok(Some(length))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    /// `path` opened and switched to direct reads, or `None` where the file system
    /// refuses them.
    fn direct_reader(path: &std::path::Path) -> Option<File> {
        let file = File::open(path).unwrap();
        make_direct(&file, Probe::Read).then_some(file)
    }

    #[test]
    fn only_arrays_of_half_the_memory_are_read_directly_and_every_array_is_written_so() {
        if std::env::var_os("SPILLWAY_DIRECT_IO").is_some() {
            return; // the rules are overridden
        }
        let memory = crate::util::machine::total_memory_bytes().expect("Linux reports it");
        assert!(!reads_worth_it(memory / 2 - 1));
        assert!(reads_worth_it(memory / 2));
        assert!(!reads_worth_it(1 << 20));
        assert!(writes_worth_it());
    }

    #[test]
    fn blocks_arrive_whole_and_in_order_for_any_length() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, ALIGN, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 12_345] {
            let path = dir.path().join(format!("f{len}"));
            let data = pattern(len);
            std::fs::write(&path, &data).unwrap();
            let Some(file) = direct_reader(&path) else {
                return; // this file system refuses O_DIRECT: nothing to test here
            };
            let mut back = Vec::new();
            read_blocks(&file, &mut |b| {
                assert!(b.len() <= BLOCK);
                back.extend_from_slice(b);
                Ok(true)
            })
            .unwrap();
            assert_eq!(back.len(), len);
            assert!(back == data, "length {len}");
        }
    }

    #[test]
    fn cached_files_are_told_apart_from_uncached_ones() {
        use rustix::fs::{Advice, fadvise};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, pattern(2 * BLOCK)).unwrap();
        let file = File::open(&path).unwrap();
        let len = 2 * BLOCK as u64;
        std::fs::read(&path).unwrap();
        assert!(mostly_cached(&file, len), "just written and read");
        file.sync_all().unwrap();
        fadvise(&file, 0, None, Advice::DontNeed).unwrap();
        if direct_reader(&path).is_some() {
            // a file system with a page cache to drop from (not tmpfs)
            assert!(!mostly_cached(&file, len), "dropped from the cache");
        }
    }

    #[test]
    fn the_consumer_can_stop_early_or_fail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, pattern(3 * BLOCK)).unwrap();
        let Some(file) = direct_reader(&path) else {
            return;
        };
        let mut calls = 0;
        read_blocks(&file, &mut |_| {
            calls += 1;
            Ok(false)
        })
        .unwrap();
        assert_eq!(calls, 1);
        let err = read_blocks(&file, &mut |_| Err(ReadFailure::Corrupt("bad".into())));
        assert!(matches!(err, Err(ReadFailure::Corrupt(m)) if m == "bad"));
    }

    #[test]
    fn written_blocks_read_back_for_any_length() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, ALIGN + 3, BLOCK, 2 * BLOCK + 12_345] {
            let path = dir.path().join(format!("w{len}"));
            let data = pattern(len);
            let file = File::create(&path).unwrap();
            // pieces of odd sizes, as an encoder writes
            let written = write_blocks(&file, |sink| {
                for piece in data.chunks(777_777) {
                    sink.write_all(piece)?;
                }
                Ok(())
            })
            .unwrap();
            let Some(written) = written else {
                return; // this file system refuses O_DIRECT
            };
            drop(file);
            assert_eq!(written, len as u64);
            assert!(std::fs::read(&path).unwrap() == data, "length {len}");
        }
    }

    #[test]
    fn a_failing_producer_fails_the_write() {
        let dir = tempfile::tempdir().unwrap();
        let file = File::create(dir.path().join("w")).unwrap();
        let err = write_blocks(&file, |sink| {
            sink.write_all(&pattern(BLOCK + 5))?;
            Err(std::io::Error::other("encoder failed"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "encoder failed");
    }
}
