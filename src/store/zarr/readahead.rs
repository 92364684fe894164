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

/// Posts `path` to the read-ahead thread (started on first use); returns whether it was
/// queued (false when the queue is full or the thread could not start).
pub(super) fn hint(path: PathBuf) -> bool {
    static SENDER: OnceLock<Option<SyncSender<PathBuf>>> = OnceLock::new();
    let sender = SENDER.get_or_init(|| {
        let (sender, receiver) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("spillway-readahead".into())
            .spawn(move || serve(receiver))
            .ok()
            .map(|_| sender)
    });
    match sender {
        Some(sender) => match sender.try_send(path) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        },
        None => false,
    }
}

fn serve(receiver: Receiver<PathBuf>) {
    for path in receiver {
        advise_will_need(&path);
    }
}

/// Asks the kernel to read the whole file at `path` into its cache; a file that does not
/// exist (a chunk never written) or a platform without the advice is skipped.
#[cfg(target_os = "linux")]
pub(super) fn advise_will_need(path: &std::path::Path) {
    use rustix::fs::{Advice, fadvise};
    if let Ok(file) = std::fs::File::open(path) {
        let _ = fadvise(&file, 0, None, Advice::WillNeed);
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn advise_will_need(_path: &std::path::Path) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rustix::fs::{Advice, fadvise};
    use std::time::{Duration, Instant};

    /// Pages of `file` in the page cache, by `mincore` over a mapping of it.
    fn resident_pages(file: &std::fs::File, len: usize) -> usize {
        use std::os::fd::AsRawFd;
        let page = 4096;
        let mut vec = vec![0u8; len.div_ceil(page)];
        // SAFETY: a private read-only mapping of `len` bytes of an open file, unmapped
        // before return; mincore writes one byte per page into `vec`, which has that many.
        unsafe {
            let map = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            );
            assert_ne!(map, libc::MAP_FAILED, "{}", std::io::Error::last_os_error());
            let rc = libc::mincore(map, len, vec.as_mut_ptr());
            libc::munmap(map, len);
            assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
        }
        vec.iter().filter(|&&v| v & 1 == 1).count()
    }

    #[test]
    fn a_hinted_chunk_file_is_loaded_into_the_page_cache() {
        use crate::store::ChunkStore;
        use crate::store::zarr::{Codec, ZarrOptions, ZarrStore};
        let dir = tempfile::tempdir().unwrap();
        let options = ZarrOptions {
            codec: Codec::None,
            ..Default::default()
        };
        let store = ZarrStore::<f64>::create(
            dir.path().join("x.zarr"),
            &[2048, 1024],
            &[1024, 1024],
            &options,
        )
        .unwrap();
        store.write_chunk(&[1, 0], &vec![0.5; 1024 * 1024]).unwrap();
        let path = dir.path().join("x.zarr").join(store.file_key(&[1, 0]));
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        assert_eq!(len, 8 << 20, "a raw chunk");
        let file = std::fs::File::open(&path).unwrap();
        file.sync_all().unwrap();
        // clean pages can be dropped from the cache without privileges
        fadvise(&file, 0, None, Advice::DontNeed).unwrap();
        let pages = len / 4096;
        if resident_pages(&file, len) > pages / 2 {
            return; // this file system keeps them (tmpfs): nothing to observe
        }
        store.will_need(&[1, 0]);
        let started = Instant::now();
        while resident_pages(&file, len) < pages && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            resident_pages(&file, len),
            pages,
            "the whole file was read ahead"
        );
        // a chunk never written is no error
        store.will_need(&[0, 0]);
        advise_will_need(&dir.path().join("missing"));
        assert!(hint(dir.path().join("missing")));
    }
}
