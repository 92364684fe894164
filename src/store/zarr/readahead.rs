//! Read-ahead of chunk files: one background thread asks the kernel to load files that
//! will be read soon (`posix_fadvise(WILLNEED)`), so a worker that computes on one chunk
//! finds the next one in the page cache instead of waiting for the disk.
//!
//! The advice can block while the kernel queues the reads, so workers never give it
//! themselves: they post the path to the thread and go on. The queue is short and a
//! hint that does not fit is dropped: read-ahead only helps when it stays a few chunks
//! ahead of the readers, and the pages it loads belong to the kernel's cache, which gives
//! them back under memory pressure, not to the process or its budget.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

/// Hints waiting for the thread at most; more are dropped.
const QUEUE: usize = 32;

/// A file to read ahead.
pub(super) struct Hint {
    /// The chunk's file.
    pub path: PathBuf,
    /// Files at least this long are skipped: the store reads them directly, past the page
    /// cache (see [`direct`](super::direct)), so loading them there would be wasted.
    pub unless_at_least: Option<u64>,
}

/// Posts `hint` to the read-ahead thread (started on first use); returns whether it was
/// queued (false when the queue is full or the thread could not start).
pub(super) fn hint(hint: Hint) -> bool {
    static SENDER: OnceLock<Option<SyncSender<Hint>>> = OnceLock::new();
    let sender = SENDER.get_or_init(|| {
        let (sender, receiver) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("spillway-readahead".into())
            .spawn(move || serve(receiver))
            .ok()
            .map(|_| sender)
    });
    match sender {
        Some(sender) => match sender.try_send(hint) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        },
        None => false,
    }
}

fn serve(receiver: Receiver<Hint>) {
    for hint in receiver {
        advise_will_need(&hint.path, hint.unless_at_least);
    }
}

/// Bytes asked for per advice. Linux reads at most the device's read-ahead window or
/// its largest request (`read_ahead_kb`, `max_sectors_kb`; 8 MB and 4 MB here, often
/// 128 KB and 1.25 MB elsewhere) per `WILLNEED`, whatever length it is given, so a whole
/// chunk file (120 MB for 4000 x 4000 doubles) is asked for in pieces of this size.
const ADVICE_STEP: u64 = 1 << 20;

/// Asks the kernel to read the whole file at `path` into its cache, unless it is at least
/// `unless_at_least` bytes long; a file that does not exist (a chunk never written) or a
/// platform without the advice is skipped.
#[cfg(target_os = "linux")]
pub(super) fn advise_will_need(path: &std::path::Path, unless_at_least: Option<u64>) {
    use rustix::fs::{Advice, fadvise};
    use std::num::NonZeroU64;
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return;
    };
    if unless_at_least.is_some_and(|limit| len >= limit) {
        return;
    }
    let mut offset = 0;
    while offset < len {
        let step = NonZeroU64::new(ADVICE_STEP.min(len - offset));
        if fadvise(&file, offset, step, Advice::WillNeed).is_err() {
            return;
        }
        offset += ADVICE_STEP;
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn advise_will_need(_path: &std::path::Path, _unless_at_least: Option<u64>) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rustix::fs::{Advice, fadvise};
    use std::time::{Duration, Instant};

    /// Pages of `file` in the page cache.
    fn resident_pages(file: &std::fs::File, len: usize) -> usize {
        super::super::direct::resident_pages(file, len)
            .expect("mincore works on this file system")
            .0
    }

    /// Noise that no codec shrinks much.
    fn noise(len: usize) -> Vec<f64> {
        crate::util::test_noise::noise_words(len, 0x9E37_79B9_7F4A_7C15)
            .map(f64::from_bits)
            .collect()
    }

    /// A store of two 24 MB chunks of noise (larger than the kernel reads for one advice
    /// here, 8 MB), both written, with the page cache emptied of them: the store, and
    /// each chunk's file and length. `None` where the file system keeps the pages.
    /// Each chunk's open file and its length.
    type ChunkFiles = Vec<(std::fs::File, usize)>;

    fn cold_store(
        dir: &std::path::Path,
        codec: crate::store::zarr::Codec,
    ) -> Option<(crate::store::zarr::ZarrStore<f64>, ChunkFiles)> {
        use crate::store::ChunkStore;
        use crate::store::zarr::{ZarrOptions, ZarrStore};
        let options = ZarrOptions {
            codec,
            ..Default::default()
        };
        let store =
            ZarrStore::<f64>::create(dir.join("x.zarr"), &[6144, 1024], &[3072, 1024], &options)
                .unwrap();
        let mut files = Vec::new();
        for i in 0..2 {
            store.write_chunk(&[i, 0], &noise(3072 * 1024)).unwrap();
            let path = dir.join("x.zarr").join(store.file_key(&[i, 0]));
            let file = std::fs::File::open(&path).unwrap();
            let len = file.metadata().unwrap().len() as usize;
            assert!(len > 20 << 20, "{len}");
            file.sync_all().unwrap();
            // clean pages can be dropped from the cache without privileges
            fadvise(&file, 0, None, Advice::DontNeed).unwrap();
            if resident_pages(&file, len) > len / 4096 / 2 {
                return None; // this file system keeps them (tmpfs): nothing to observe
            }
            files.push((file, len));
        }
        Some((store, files))
    }

    /// Gives the hint `post` (again every 100 ms: other tests of this process may fill the
    /// thread's short queue, and a hint that does not fit is dropped) until the whole file
    /// is in the page cache, for up to 10 s; returns whether it is.
    fn becomes_resident(file: &std::fs::File, len: usize, post: &dyn Fn()) -> bool {
        let started = Instant::now();
        let mut posted = started;
        post();
        while resident_pages(file, len) < len.div_ceil(4096) {
            if started.elapsed() > Duration::from_secs(10) {
                return false;
            }
            if posted.elapsed() > Duration::from_millis(100) {
                post();
                posted = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    #[test]
    fn a_hinted_chunk_file_is_loaded_into_the_page_cache() {
        use crate::store::ChunkStore;
        use crate::store::zarr::{BloscShuffle, Codec};
        // blosc chunks are read through zarrs and the page cache: hinted, they are loaded
        let dir = tempfile::tempdir().unwrap();
        let blosc = Codec::BloscLz4 {
            clevel: 5,
            shuffle: BloscShuffle::NoShuffle,
        };
        let Some((store, files)) = cold_store(dir.path(), blosc) else {
            return;
        };
        assert!(
            becomes_resident(&files[1].0, files[1].1, &|| store.will_need(&[1, 0])),
            "the whole file was read ahead"
        );
        assert!(
            resident_pages(&files[0].0, files[0].1) < files[0].1 / 4096,
            "only it"
        );
        // a chunk never written is no error
        advise_will_need(&dir.path().join("missing"), None);
    }

    #[test]
    fn large_streamed_chunks_are_not_loaded_as_they_are_read_directly() {
        use crate::store::ChunkStore;
        use crate::store::zarr::Codec;
        let dir = tempfile::tempdir().unwrap();
        let Some((mut store, files)) = cold_store(dir.path(), Codec::None) else {
            return;
        };
        store.direct_reads = true; // as for an array of half the machine's memory
        // the thread takes hints in order: once the second is done, so was the first
        let second = dir.path().join("x.zarr").join(store.file_key(&[1, 0]));
        let both = || {
            store.will_need(&[0, 0]); // skipped: read directly
            hint(Hint {
                path: second.clone(),
                unless_at_least: None,
            });
        };
        assert!(becomes_resident(&files[1].0, files[1].1, &both));
        assert!(resident_pages(&files[0].0, files[0].1) < files[0].1 / 4096 / 2);
    }
}
