//! A `to_zarr` killed half way (SIGKILL to a child process) leaves a store that says it is
//! incomplete; resuming it writes only the missing chunks and gives the same store, file
//! for file, as a write that was never interrupted.

use spillway::array::zarr::ToZarr;
use spillway::store::zarr::ZarrStore;
use spillway::{Client, random};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "SPILLWAY_RESUME_TEST_CHILD_PATH";
const N: usize = 2048;
const CHUNK: usize = 32;

fn the_array() -> spillway::Array<f64> {
    random::default_rng(11).uniform(-1.0, 1.0, (N, N), CHUNK)
}

/// Every file under `dir` (relative path -> bytes), metadata excluded.
fn chunk_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().unwrap() != "zarr.json" {
                out.insert(
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

fn count_chunk_files(dir: &Path) -> usize {
    let chunks = dir.join("c");
    let Ok(rows) = std::fs::read_dir(&chunks) else {
        return 0;
    };
    rows.filter_map(|r| std::fs::read_dir(r.ok()?.path()).ok())
        .map(|cols| cols.count())
        .sum()
}

/// Run as a child process: writes the array slowly (one thread) until killed.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return; // only meaningful as the child of `killed_write_resumes_to_the_same_store`
    };
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(1)
        .memory_limit("256MB")
        .build()
        .unwrap();
    let _ = client;
    the_array().to_zarr(&path).unwrap();
}

#[test]
fn killed_write_resumes_to_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let killed = dir.path().join("killed.zarr");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writer",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, &killed)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // wait until some chunks are on disk, then kill the writer without warning
    let started = Instant::now();
    while count_chunk_files(&killed) < 40 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the child wrote no chunks"
        );
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let total = (N / CHUNK) * (N / CHUNK);
    let on_disk = count_chunk_files(&killed);
    assert!(
        on_disk < total,
        "the child finished before it was killed ({on_disk} chunks)"
    );
    let store = ZarrStore::<f64>::open(&killed).unwrap();
    assert!(
        !store.is_complete(),
        "a killed write must say it is incomplete"
    );
    // reading an incomplete store works; the missing chunks read as the fill value
    drop(store);

    let resumed = the_array()
        .to_zarr_with(&killed, &ToZarr::default().resume(true))
        .unwrap();
    // a chunk being written when the child died is a temporary file, not a chunk
    assert!(resumed.chunks_skipped >= 30, "{resumed:?}");
    assert_eq!(resumed.chunks_written + resumed.chunks_skipped, total);
    assert!(ZarrStore::<f64>::open(&killed).unwrap().is_complete());

    let clean = dir.path().join("clean.zarr");
    the_array().to_zarr(&clean).unwrap();
    let (a, b) = (chunk_files(&killed), chunk_files(&clean));
    assert_eq!(a.len(), total, "no temporary files left behind");
    assert!(
        a == b,
        "the resumed store's chunk files equal an uninterrupted write's"
    );
    assert_eq!(
        spillway::from_zarr::<f64>(&killed).compute().unwrap(),
        the_array().compute().unwrap()
    );
}
