//! Spill settings under hostile use: a zero or unreadable quota is refused naming the
//! option the user called, the quota error names that option too, and a spill
//! directory left by a process killed with SIGKILL is reclaimed by the next one.
//!
//! Building a client makes it the current one, so every test of this file holds one lock.

use spillway::store::StoreError;
use spillway::store::spill::SpillDir;
use spillway::{Client, Error, RuntimeError};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

const CHILD_ENV: &str = "SPILLWAY_RECLAIM_CHILD";

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_zero_or_unreadable_spill_quota_names_spill_quota() {
    let _g = serial();
    let err = Client::builder().spill_quota("0").build().unwrap_err();
    assert!(
        matches!(&err, RuntimeError::SpillQuota { value, .. } if value == "0"),
        "{err:?}"
    );
    let text = err.to_string();
    // before: "memory limit \"0\" is zero bytes"
    assert!(!text.contains("memory limit"), "{text}");
    assert!(
        text.starts_with("spill_quota \"0\" is zero bytes"),
        "{text}"
    );
    assert!(text.contains(".spill(false)"), "{text}");
    let err = Client::builder().spill_quota("lots").build().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("spill_quota \"lots\" is not a byte size"),
        "{err}"
    );
    let client = Client::builder().spill_quota("1KB").build().unwrap();
    assert_eq!(client.spill_settings().quota, Some(1000));
    client.close();
}

#[test]
fn the_quota_error_names_the_clients_spill_quota() {
    let _g = serial();
    let parent = tempfile::tempdir().unwrap();
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(1)
        .memory_limit("1MB")
        .spill_dir(parent.path())
        .spill_quota("10KB")
        .build()
        .unwrap();
    // 8 MB of noise (it does not compress) kept under a 1 MB budget must spill
    let x = spillway::random::default_rng(3).random([1000, 1000], [100, 100]);
    let err = x.persist().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Store(StoreError::SpillQuotaExceeded { quota: 10_000, .. })
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("raise the quota with Client::builder().spill_quota(..)"),
        "{text}"
    );
    assert!(!text.contains("SpillDir::builder()"), "{text}");
    client.close();
}

/// The child's side: makes a spill directory in the parent given, spills into it, says
/// where it is, and waits to be killed.
fn child_holds_a_spill_dir(parent: &Path) {
    let dir = SpillDir::builder().parent(parent).build().unwrap();
    let _file = dir.write("x-chunk-0", &[1.5f64; 1000]).unwrap();
    // tell the parent where it is (a file: the harness may hold the child's stdout back)
    let note = parent.join("child-dir.txt");
    std::fs::write(
        parent.join("child-dir.tmp"),
        dir.path().display().to_string(),
    )
    .unwrap();
    std::fs::rename(parent.join("child-dir.tmp"), note).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(120));
}

#[test]
fn a_spill_dir_left_by_a_killed_process_is_reclaimed() {
    if let Ok(parent) = std::env::var(CHILD_ENV) {
        child_holds_a_spill_dir(Path::new(&parent));
        return;
    }
    let _g = serial();
    let parent = tempfile::tempdir().unwrap();
    // one of this process's, alive
    let live = SpillDir::builder().parent(parent.path()).build().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_spill_dir_left_by_a_killed_process_is_reclaimed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, parent.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let note = parent.path().join("child-dir.txt");
    let started = std::time::Instant::now();
    while !note.exists() {
        if started.elapsed() > std::time::Duration::from_secs(60)
            || child.try_wait().unwrap().is_some()
        {
            let _ = child.kill();
            panic!("the child did not make its spill directory");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let left = PathBuf::from(std::fs::read_to_string(&note).unwrap());
    assert!(left.is_dir());
    // while the child runs, its directory is left alone
    drop(SpillDir::builder().parent(parent.path()).build().unwrap());
    assert!(
        left.is_dir(),
        "a live process's spill directory was removed"
    );
    child.kill().unwrap(); // SIGKILL: nothing of the child's runs
    child.wait().unwrap();
    assert!(left.is_dir(), "SIGKILL leaves the directory behind");

    let next = SpillDir::builder().parent(parent.path()).build().unwrap();
    assert!(!left.exists(), "{} was not reclaimed", left.display());
    assert!(live.path().is_dir() && next.path().is_dir());
    let file = live.write("y-chunk-0", &[2.0f64; 10]).unwrap();
    let mut back = [0.0f64; 10];
    file.read_into(&mut back).unwrap();
    assert_eq!(back, [2.0; 10]);
}
