//! Facts about the machine the process runs on: physical memory (capped by a
//! container's cgroup limit), usable cores, and this process's resident set.
//!
//! Everything here reads Linux's `/proc` and `/sys/fs/cgroup`; on other
//! systems the memory functions return `None`.

use std::fs;
use std::path::{Path, PathBuf};

/// A cgroup v1 limit at or above this is the kernel's "unlimited" marker
/// (`9223372036854771712` on 4 KiB pages) rather than a real limit.
const CGROUP_V1_UNLIMITED: u64 = 1 << 62;

/// Reads a `Key:   1234 kB` field of a `/proc` status-style file, in bytes.
fn parse_kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, rest) = line.split_once(':')?;
        if name.trim() != key {
            return None;
        }
        let mut parts = rest.split_whitespace();
        let value: u64 = parts.next()?.parse().ok()?;
        match parts.next() {
            Some(unit) if unit.eq_ignore_ascii_case("kb") => value.checked_mul(1024),
            None => Some(value),
            Some(_) => None,
        }
    })
}

/// Parses a cgroup v2 `memory.max`: a byte count, or `max` for no limit.
fn parse_cgroup_v2_limit(text: &str) -> Option<u64> {
    let text = text.trim();
    if text == "max" {
        return None;
    }
    text.parse().ok().filter(|&v| v > 0)
}

/// Parses a cgroup v1 `memory.limit_in_bytes`, ignoring the "unlimited" marker.
fn parse_cgroup_v1_limit(text: &str) -> Option<u64> {
    text.trim()
        .parse()
        .ok()
        .filter(|&v| v > 0 && v < CGROUP_V1_UNLIMITED)
}

/// This process's cgroup path for the v2 hierarchy (`0::/path`) or for the
/// v1 memory controller (`N:...memory...:/path`), from `/proc/self/cgroup`.
fn own_cgroup_path(proc_self_cgroup: &str, v2: bool) -> Option<String> {
    proc_self_cgroup.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let id = fields.next()?;
        let controllers = fields.next()?;
        let path = fields.next()?;
        let wanted = if v2 {
            id == "0" && controllers.is_empty()
        } else {
            controllers.split(',').any(|c| c == "memory")
        };
        wanted.then(|| path.to_string())
    })
}

/// The directories to check under `mount`: the process's own cgroup and each
/// of its ancestors up to the mount root (a limit anywhere above applies).
fn cgroup_dirs(mount: &Path, own: Option<&str>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(own) = own {
        let mut rel = PathBuf::from(own.trim_start_matches('/'));
        // Bounded: cgroup paths are short, but never loop forever.
        for _ in 0..64 {
            if rel.as_os_str().is_empty() {
                break;
            }
            dirs.push(mount.join(&rel));
            if !rel.pop() {
                break;
            }
        }
    }
    dirs.push(mount.to_path_buf());
    dirs
}

/// The tightest cgroup memory limit on this process, if any.
fn cgroup_limit_bytes() -> Option<u64> {
    let self_cgroup = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let root = Path::new("/sys/fs/cgroup");

    let v2_dirs = cgroup_dirs(root, own_cgroup_path(&self_cgroup, true).as_deref());
    let v2 = v2_dirs
        .iter()
        .filter_map(|d| fs::read_to_string(d.join("memory.max")).ok())
        .filter_map(|t| parse_cgroup_v2_limit(&t))
        .min();

    let v1_mount = root.join("memory");
    let v1_dirs = cgroup_dirs(&v1_mount, own_cgroup_path(&self_cgroup, false).as_deref());
    let v1 = v1_dirs
        .iter()
        .filter_map(|d| fs::read_to_string(d.join("memory.limit_in_bytes")).ok())
        .filter_map(|t| parse_cgroup_v1_limit(&t))
        .min();

    match (v2, v1) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Combines physical memory with an optional cgroup limit.
fn cap_memory(physical: Option<u64>, cgroup: Option<u64>) -> Option<u64> {
    match (physical, cgroup) {
        (Some(p), Some(c)) => Some(p.min(c)),
        (Some(p), None) => Some(p),
        // Without /proc/meminfo a container limit is still a usable answer.
        (None, c) => c,
    }
}

/// Total memory this process may use, in bytes: physical memory
/// (`MemTotal` of `/proc/meminfo`) capped by a cgroup v2 (`memory.max`) or
/// v1 (`memory.limit_in_bytes`) limit on the process's cgroup or any parent.
///
/// `None` where it cannot be known (non-Linux systems).
///
/// # Example
///
/// ```
/// use spillway::util::machine::total_memory_bytes;
///
/// if let Some(bytes) = total_memory_bytes() {
///     assert!(bytes > 0);
/// }
/// ```
pub fn total_memory_bytes() -> Option<u64> {
    let physical = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| parse_kib_field(&t, "MemTotal"))
        .filter(|&b| b > 0);
    cap_memory(physical, cgroup_limit_bytes())
}

/// The number of threads that can run at once
/// ([`std::thread::available_parallelism`], which honours CPU affinity and
/// cgroup CPU quotas), at least 1.
///
/// # Example
///
/// ```
/// use spillway::util::machine::available_cores;
///
/// assert!(available_cores() >= 1);
/// ```
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().max(1))
}

/// Reads one memory field of `/proc/self/status` in bytes.
fn self_status_field(key: &str) -> Option<u64> {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| parse_kib_field(&t, key))
}

/// The peak resident set size of this process so far, in bytes
/// (`VmHWM` of `/proc/self/status`); `None` where unavailable.
///
/// # Example
///
/// ```
/// use spillway::util::machine::{current_rss_bytes, peak_rss_bytes};
///
/// if let (Some(peak), Some(now)) = (peak_rss_bytes(), current_rss_bytes()) {
///     assert!(peak > 0 && now > 0);
/// }
/// ```
pub fn peak_rss_bytes() -> Option<u64> {
    self_status_field("VmHWM")
}

/// The current resident set size of this process, in bytes (`VmRSS` of
/// `/proc/self/status`); `None` where unavailable.
///
/// # Example
///
/// ```
/// use spillway::util::machine::current_rss_bytes;
///
/// let rss = current_rss_bytes();
/// assert!(rss.is_none() || rss > Some(0));
/// ```
pub fn current_rss_bytes() -> Option<u64> {
    self_status_field("VmRSS")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "MemTotal:       24684096 kB\n\
                           MemFree:        24237580 kB\n\
                           MemAvailable:   24000000 kB\n";

    const STATUS: &str = "Name:\tspillway\n\
                          VmPeak:\t  100000 kB\n\
                          VmHWM:\t    2048 kB\n\
                          VmRSS:\t    1024 kB\n";

    #[test]
    fn parses_meminfo_and_status_fields() {
        assert_eq!(
            parse_kib_field(MEMINFO, "MemTotal"),
            Some(24_684_096 * 1024)
        );
        assert_eq!(parse_kib_field(MEMINFO, "MemFree"), Some(24_237_580 * 1024));
        assert_eq!(parse_kib_field(MEMINFO, "Missing"), None);
        assert_eq!(parse_kib_field(STATUS, "VmHWM"), Some(2048 * 1024));
        assert_eq!(parse_kib_field(STATUS, "VmRSS"), Some(1024 * 1024));
        // "Mem" must not match "MemTotal" by prefix.
        assert_eq!(parse_kib_field(MEMINFO, "Mem"), None);
        assert_eq!(parse_kib_field("X: 12\n", "X"), Some(12));
        assert_eq!(parse_kib_field("X: 12 MB\n", "X"), None);
        assert_eq!(parse_kib_field("X: lots kB\n", "X"), None);
    }

    #[test]
    fn parses_cgroup_limits() {
        assert_eq!(parse_cgroup_v2_limit("max\n"), None);
        assert_eq!(parse_cgroup_v2_limit("1073741824\n"), Some(1 << 30));
        assert_eq!(parse_cgroup_v2_limit("0\n"), None);
        assert_eq!(parse_cgroup_v2_limit("garbage"), None);
        assert_eq!(parse_cgroup_v1_limit("9223372036854771712\n"), None);
        assert_eq!(parse_cgroup_v1_limit("536870912\n"), Some(512 << 20));
        assert_eq!(parse_cgroup_v1_limit("-1"), None);
    }

    #[test]
    fn finds_own_cgroup_paths() {
        let v1 = "9:name=systemd:/\n4:memory:/box/abc\n0::/\n";
        assert_eq!(own_cgroup_path(v1, false).as_deref(), Some("/box/abc"));
        assert_eq!(own_cgroup_path(v1, true).as_deref(), Some("/"));
        let v2 = "0::/user.slice/session-1.scope\n";
        assert_eq!(
            own_cgroup_path(v2, true).as_deref(),
            Some("/user.slice/session-1.scope")
        );
        assert_eq!(own_cgroup_path(v2, false), None);
        let combined = "5:cpu,memory,pids:/x\n";
        assert_eq!(own_cgroup_path(combined, false).as_deref(), Some("/x"));
    }

    #[test]
    fn lists_cgroup_dirs_up_to_the_root() {
        let root = Path::new("/sys/fs/cgroup");
        assert_eq!(
            cgroup_dirs(root, Some("/a/b")),
            vec![root.join("a/b"), root.join("a"), root.to_path_buf()]
        );
        assert_eq!(cgroup_dirs(root, Some("/")), vec![root.to_path_buf()]);
        assert_eq!(cgroup_dirs(root, None), vec![root.to_path_buf()]);
    }

    #[test]
    fn caps_memory_by_cgroup() {
        assert_eq!(cap_memory(Some(100), Some(40)), Some(40));
        assert_eq!(cap_memory(Some(100), Some(400)), Some(100));
        assert_eq!(cap_memory(Some(100), None), Some(100));
        assert_eq!(cap_memory(None, Some(40)), Some(40));
        assert_eq!(cap_memory(None, None), None);
    }

    #[test]
    fn live_values_are_sane() {
        assert!(available_cores() >= 1);
        if cfg!(target_os = "linux") {
            let total = total_memory_bytes().expect("linux reports memory");
            assert!(total > 1 << 20);
            let peak = peak_rss_bytes().expect("linux reports VmHWM");
            let now = current_rss_bytes().expect("linux reports VmRSS");
            assert!(now > 0 && peak > 0);
        }
    }
}
