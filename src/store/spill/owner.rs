//! Who owns a spill directory, so that one left by a killed process is reclaimed.
//!
//! A [`SpillDir`](super::SpillDir) removes its directory when dropped, but a process
//! killed with SIGKILL (or by the out-of-memory killer) drops nothing. So each spill
//! directory holds an `owner` file that its process keeps locked (`flock`) for the
//! directory's life and that names the process (its pid, for people). The operating
//! system releases the lock when the process ends however it ends. When a new spill
//! directory is made, the directories beside it whose `owner` file can be locked belong
//! to no running process and are removed; a directory whose owner file is still locked,
//! or that has none yet (being made), is never touched.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// The file in a spill directory that its owner keeps locked.
pub(super) const OWNER_FILE: &str = "owner";
/// The prefix of spill directories' names.
pub(super) const DIR_PREFIX: &str = "spillway-spill-";

/// Marks `dir` as this process's: writes and locks its owner file. The lock lasts as
/// long as the returned file is open. Where locks are not available the directory is
/// simply not marked (and so never reclaimed by others).
pub(super) fn mark(dir: &Path) -> Option<File> {
    // made under another name and locked before it gets its own, so no reclaimer ever
    // finds an owner file that is not locked yet
    let making = dir.join(format!("{OWNER_FILE}.new"));
    let mut file = File::create(&making).ok()?;
    if !lock(&file) {
        let _ = std::fs::remove_file(&making);
        return None;
    }
    let _ = writeln!(file, "{}", std::process::id());
    std::fs::rename(&making, dir.join(OWNER_FILE)).ok()?;
    Some(file)
}

/// Removes the spill directories in `parent` (other than `own`) whose owner ended;
/// returns how many were removed. Failures are ignored: reclaiming is a courtesy.
pub(super) fn reclaim_orphans(parent: &Path, own: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_spill_dir = entry.file_name().to_string_lossy().starts_with(DIR_PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_spill_dir || path == own {
            continue;
        }
        let Ok(owner) = File::open(path.join(OWNER_FILE)) else {
            continue; // no owner file: made by an older version, or being made
        };
        if !lock(&owner) {
            continue; // its owner runs
        }
        let pid = std::fs::read_to_string(path.join(OWNER_FILE)).unwrap_or_default();
        if std::fs::remove_dir_all(&path).is_ok() {
            log::info!(
                "removed spill directory {} left by process {} that ended",
                path.display(),
                pid.trim()
            );
            removed += 1;
        }
    }
    removed
}

/// Takes an exclusive lock on `file` without waiting; true when taken.
#[cfg(unix)]
fn lock(file: &File) -> bool {
    rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
}

#[cfg(not(unix))]
fn lock(_file: &File) -> bool {
    false
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_locked_owner_keeps_its_directory_and_an_unlocked_one_does_not() {
        let parent = tempfile::tempdir().unwrap();
        let live = parent.path().join(format!("{DIR_PREFIX}live"));
        let dead = parent.path().join(format!("{DIR_PREFIX}dead"));
        let unmarked = parent.path().join(format!("{DIR_PREFIX}unmarked"));
        let other = parent.path().join("not-a-spill-dir");
        for d in [&live, &dead, &unmarked, &other] {
            std::fs::create_dir(d).unwrap();
        }
        let held = mark(&live).unwrap();
        drop(mark(&dead).unwrap()); // its owner ended: the lock is gone
        std::fs::write(other.join(OWNER_FILE), "1\n").unwrap();
        let own = parent.path().join("own");
        assert_eq!(reclaim_orphans(parent.path(), &own), 1);
        assert!(live.is_dir() && unmarked.is_dir() && other.is_dir());
        assert!(!dead.exists());
        assert_eq!(
            std::fs::read_to_string(live.join(OWNER_FILE)).unwrap(),
            format!("{}\n", std::process::id())
        );
        drop(held);
    }
}
