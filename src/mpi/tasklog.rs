//! Which task a rank was running when it died.
//!
//! A rank killed outright (SIGKILL, the out-of-memory killer, a segfault) cannot say
//! anything, and mpirun then names only the rank. So every rank keeps a small file in the
//! job's directory, `.spillway-rank-<r>.task`: a header (its process id, and whether
//! mpirun asked it to stop), then one line per worker thread naming the task that thread
//! started last, rewritten in place at each task start (one `pwrite`, no sync). When a
//! rank dies, mpirun sends SIGTERM to the others; each marks its header `terminated`, and
//! the client rank waits a moment, reads every rank's file, prints
//! `rank R (on H) died while running task T of stage S` for a rank that did not mark
//! itself (or whose process is gone), and exits before mpirun's SIGKILL (1 s later).
//!
//! Across nodes this is only as fresh as the file system makes another node's writes:
//! Lustre and GPFS show them at once; NFS may show an earlier task.

use super::world::World;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// Bytes of the header: the state, then the process id.
const HEADER: usize = 64;
/// Bytes of one thread's line.
const LINE: usize = 128;
/// Threads with a line of their own (more share them).
pub(super) const SLOTS: usize = 64;
const ALIVE: &[u8; 16] = b"running         ";
const TERMINATED: &[u8; 16] = b"terminated      ";
const ABORTED: &[u8; 16] = b"aborted         ";

static LOG: OnceLock<File> = OnceLock::new();
/// This rank's record file, for the signal handler.
static FD: AtomicI32 = AtomicI32::new(-1);
/// The client's pipe to its watcher thread (-1 on other ranks).
static WAKE: AtomicI32 = AtomicI32::new(-1);

fn record_path(world: &World, rank: usize) -> PathBuf {
    world.job_dir.join(format!(".spillway-rank-{rank}.task"))
}

fn put(at: usize, bytes: &[u8]) {
    if let Some(file) = LOG.get() {
        // SAFETY: writes `bytes` from a live slice to an open descriptor.
        unsafe {
            libc::pwrite(
                file.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                at as libc::off_t,
            );
        }
    }
}

/// Opens this rank's record and installs the SIGTERM handler (and, on the client rank,
/// the thread that reports a dead rank). A record that cannot be made only loses the
/// report: the job runs on.
pub(super) fn start(world: &World, is_client: bool) {
    if std::fs::create_dir_all(&world.job_dir).is_err() {
        return;
    }
    let Ok(file) = File::create(record_path(world, world.rank)) else {
        return;
    };
    let mut head = [b' '; HEADER];
    head[..16].copy_from_slice(ALIVE);
    let pid = std::process::id().to_string();
    head[16..16 + pid.len()].copy_from_slice(pid.as_bytes());
    head[HEADER - 1] = b'\n';
    FD.store(file.as_raw_fd(), Ordering::Relaxed);
    let _ = LOG.set(file);
    put(0, &head);
    idle();
    if is_client {
        let mut fds = [0; 2];
        // SAFETY: pipe fills the two descriptors of a live array.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } == 0 {
            WAKE.store(fds[1], Ordering::Relaxed);
            let read_end = fds[0];
            std::thread::spawn(move || watch(read_end));
        }
    }
    // SAFETY: installs a handler that only makes async-signal-safe calls.
    unsafe {
        libc::signal(
            libc::SIGTERM,
            on_sigterm as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// Records that the thread with line `slot` starts task `task` of stage `stage`.
pub(super) fn running(slot: usize, stage: &str, task: usize) {
    let mut line = [b' '; LINE];
    let text = format!("task {task} of stage {stage}");
    let n = text.len().min(LINE - 1);
    line[..n].copy_from_slice(&text.as_bytes()[..n]);
    line[LINE - 1] = b'\n';
    put(HEADER + (slot % SLOTS) * LINE, &line);
}

/// Records that this rank runs no task (between stages).
pub(super) fn idle() {
    let mut lines = vec![b' '; SLOTS * LINE];
    for line in lines.chunks_mut(LINE) {
        line[LINE - 1] = b'\n';
    }
    put(HEADER, &lines);
}

/// Records that this rank ends the job itself (`MPI_Abort`): it did not die.
pub(super) fn aborting() {
    put(0, ABORTED);
}

extern "C" fn on_sigterm(_: libc::c_int) {
    let fd = FD.load(Ordering::Relaxed);
    // SAFETY: pwrite, fsync, write, signal and raise are async-signal-safe.
    unsafe {
        if fd >= 0 {
            libc::pwrite(fd, TERMINATED.as_ptr().cast(), TERMINATED.len(), 0);
            libc::fsync(fd);
        }
        let wake = WAKE.load(Ordering::Relaxed);
        if wake >= 0 {
            // the watcher thread reports and exits
            libc::write(wake, [1u8].as_ptr().cast(), 1);
        } else {
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::raise(libc::SIGTERM);
        }
    }
}

/// The client's watcher: woken by SIGTERM, names the ranks that died and exits.
fn watch(read_end: libc::c_int) {
    let mut byte = 0u8;
    // SAFETY: reads one byte into a live local.
    while unsafe { libc::read(read_end, (&raw mut byte).cast(), 1) } != 1 {}
    // mpirun sends SIGKILL soon after SIGTERM: look at once, then again while the other
    // ranks mark their records as the SIGTERM reaches them (on other hosts, later)
    let started = std::time::Instant::now();
    let Some(world) = World::get() else { return };
    let lines = loop {
        let waited = started.elapsed() > Duration::from_millis(200);
        let (dead, unsure) = dead_ranks(world, waited);
        if !dead.is_empty() || unsure == 0 || waited {
            break dead;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut text = String::new();
    for line in &lines {
        text.push_str(&format!("error: {line}\n"));
    }
    if lines.is_empty() {
        text.push_str("error: mpirun ended the job (SIGTERM)\n");
    }
    let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
    // mpirun's daemon forwards the line while this process lives; exiting at once lost
    // it in some runs. mpirun's SIGKILL comes about a second after its SIGTERM.
    std::thread::sleep(Duration::from_millis(200));
    // what the job kept in its directory, if time allows before mpirun's SIGKILL
    let _ = std::fs::remove_dir_all(&world.job_dir);
    // SAFETY: ends the process at once, as the default SIGTERM action would.
    unsafe { libc::_exit(if lines.is_empty() { 143 } else { 1 }) }
}

/// A line for every rank on this host that did not mark its record after SIGTERM and
/// whose process is gone, and with `other_hosts`, for every rank elsewhere that did not
/// mark its record; and how many ranks on other hosts did not (yet).
fn dead_ranks(world: &World, other_hosts: bool) -> (Vec<String>, usize) {
    let here = &world.ranks[world.rank].host;
    let mut out = Vec::new();
    let mut unsure = 0;
    for info in &world.ranks {
        if info.rank == world.rank {
            continue;
        }
        let Ok(record) = std::fs::read(record_path(world, info.rank)) else {
            continue;
        };
        if record.len() < HEADER {
            continue;
        }
        if record.starts_with(TERMINATED) || record.starts_with(ABORTED) {
            continue; // it got mpirun's SIGTERM, or ended the job itself
        }
        let pid: i32 = String::from_utf8_lossy(&record[16..HEADER])
            .trim()
            .parse()
            .unwrap_or(0);
        let same_host = &info.host == here;
        if same_host && pid > 0 && process_lives(pid) {
            continue; // alive, the signal not yet there
        }
        if !same_host {
            unsure += 1;
            if !other_hosts {
                continue;
            }
        }
        let tasks: Vec<String> = record[HEADER..]
            .chunks(LINE)
            .map(|l| String::from_utf8_lossy(l).trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let doing = if tasks.is_empty() {
            "between tasks".to_string()
        } else {
            format!("while running {}", tasks.join(", "))
        };
        out.push(format!(
            "rank {} (on {}) died {doing} ({})",
            info.rank,
            info.host,
            if same_host {
                "its process is gone"
            } else {
                "it did not answer mpirun's SIGTERM"
            }
        ));
    }
    (out, unsure)
}

/// Whether process `pid` on this host still runs (a zombie does not).
fn process_lives(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        // SAFETY: signal 0 only checks that the process exists.
        Err(_) => unsafe { libc::kill(pid, 0) == 0 },
    }
}

/// The other ranks whose record names a task they run now: the ranks a waiting rank
/// waits on (a rank between tasks has cleared its lines).
pub(super) fn busy_ranks(world: &World) -> Vec<usize> {
    world
        .ranks
        .iter()
        .filter(|info| info.rank != world.rank)
        .filter(|info| {
            std::fs::read(record_path(world, info.rank)).is_ok_and(|record| {
                record.len() > HEADER
                    && record[HEADER..]
                        .chunks(LINE)
                        .any(|l| !String::from_utf8_lossy(l).trim().is_empty())
            })
        })
        .map(|info| info.rank)
        .collect()
}
