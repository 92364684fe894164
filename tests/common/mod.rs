//! Strategies shared by the property tests: chunkings of an axis and of a shape.

// each test binary uses only some of these helpers
#![allow(dead_code)]

use proptest::prelude::*;

/// Chunk lengths for one axis of `extent`: either regular (`size, size, .., rest`) or an
/// arbitrary partition into positive lengths (chunks of 1 included).
pub fn axis_chunks(extent: usize) -> BoxedStrategy<Vec<usize>> {
    if extent == 0 {
        return Just(vec![0]).boxed();
    }
    let regular = (1..=extent).prop_map(move |size| {
        let mut out = vec![size; extent / size];
        if !extent.is_multiple_of(size) {
            out.push(extent % size);
        }
        out
    });
    let arbitrary = proptest::collection::vec(any::<bool>(), extent - 1).prop_map(|cuts| {
        let mut out = Vec::new();
        let mut len = 1;
        for cut in cuts {
            if cut {
                out.push(len);
                len = 1;
            } else {
                len += 1;
            }
        }
        out.push(len);
        out
    });
    prop_oneof![regular, arbitrary].boxed()
}

/// A chunking of every axis of `shape`.
pub fn chunking(shape: &[usize]) -> BoxedStrategy<Vec<Vec<usize>>> {
    shape
        .iter()
        .map(|&e| axis_chunks(e))
        .collect::<Vec<_>>()
        .boxed()
}

/// `VmHWM` (peak resident set) of a process in bytes, from `/proc/<pid>/status` (`"self"`
/// for this process); `None` once the process has exited or on systems without /proc.
pub fn vm_hwm_bytes(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// What a child test process reported.
pub struct ChildRun {
    /// Its `CHILD ...` line.
    pub line: String,
    /// Its peak resident memory: the larger of what polling `/proc` saw and the `vmhwm=`
    /// the child printed just before it returned.
    pub peak_bytes: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Runs test `name` of this test binary again as a child process with `env` set (the
/// test then plays the child: it does the work and prints a line `CHILD ... vmhwm=<n>`),
/// polls the child's peak resident memory while it runs, and returns what it reported.
/// Panics when the child fails or runs longer than `limit`.
pub fn run_child_test(name: &str, env: (&str, &str), limit: std::time::Duration) -> ChildRun {
    use std::io::Read;
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(env.0, env.1)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut polled = 0u64;
    let status = loop {
        // read before reaping: once reaped the /proc entry is gone
        if let Some(hwm) = vm_hwm_bytes(&pid) {
            polled = polled.max(hwm);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the child ran for over {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "child failed: {status}\n{out}\n{err}");
    // the harness prints "test <name> ... " on the same line, before the report
    let line = out
        .lines()
        .find_map(|l| l.find("CHILD ").map(|i| l[i..].to_string()))
        .unwrap_or_else(|| panic!("no report from the child:\n{out}\n{err}"));
    let own: u64 = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("vmhwm="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(polled > 0 || own > 0, "never read the child's memory");
    ChildRun {
        line,
        peak_bytes: polled.max(own),
        seconds: started.elapsed().as_secs_f64(),
    }
}
