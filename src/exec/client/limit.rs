//! The memory-limit policy: a per-worker limit as Dask's `memory_limit=` takes it (bytes,
//! a size text, or `"auto"`: half of this machine's memory, split between the workers).

use super::RuntimeError;
use crate::util::machine::total_memory_bytes;
use crate::util::size::parse_bytes;

/// Memory assumed when the machine's total memory cannot be read.
pub(super) const FALLBACK_MEMORY: u64 = 1 << 30;

/// A per-worker memory limit, as Dask's `memory_limit=` accepts it: a byte
/// count, a text such as `"1GB"` / `"512MiB"`, or `"auto"`.
///
/// `Auto` gives the workers, together, half of this machine's memory
/// ([`total_memory_bytes`], which honours container limits; 1 GiB when
/// unknown), split evenly between them. Half leaves room for the rest of
/// the process and the system, since spillway's budget is strict.
///
/// # Example
///
/// ```
/// use spillway::Client;
///
/// // Each of these is `impl Into<MemoryLimit>`.
/// let a = Client::builder().memory_limit("512MiB").build()?;
/// let b = Client::builder().memory_limit(1u64 << 29).build()?;
/// let c = Client::builder().memory_limit(String::from("auto")).build()?;
/// assert_eq!(a.memory_limit_per_worker(), b.memory_limit_per_worker());
/// assert!(c.memory_limit_per_worker() > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryLimit {
    /// Exactly this many bytes per worker.
    Bytes(u64),
    /// A human size such as `"1GB"`, parsed by [`parse_bytes`]; `"auto"`
    /// (any case) means [`MemoryLimit::Auto`].
    Text(String),
    /// A share of this machine's memory.
    Auto,
}

impl From<&str> for MemoryLimit {
    fn from(text: &str) -> Self {
        if text.trim().eq_ignore_ascii_case("auto") {
            MemoryLimit::Auto
        } else {
            MemoryLimit::Text(text.to_string())
        }
    }
}

impl From<String> for MemoryLimit {
    fn from(text: String) -> Self {
        if text.trim().eq_ignore_ascii_case("auto") {
            MemoryLimit::Auto
        } else {
            MemoryLimit::Text(text)
        }
    }
}

impl From<u64> for MemoryLimit {
    fn from(bytes: u64) -> Self {
        MemoryLimit::Bytes(bytes)
    }
}

/// Half of this machine's memory, or the fallback when it is unknown.
pub(super) fn machine_share() -> u64 {
    total_memory_bytes().map_or(FALLBACK_MEMORY, |total| (total / 2).max(1))
}

impl MemoryLimit {
    /// Bytes per worker for `n_workers` workers.
    pub(super) fn per_worker(&self, n_workers: usize) -> Result<u64, RuntimeError> {
        let (bytes, shown) = match self {
            MemoryLimit::Bytes(b) => (*b, b.to_string()),
            MemoryLimit::Text(t) if t.trim().eq_ignore_ascii_case("auto") => {
                return MemoryLimit::Auto.per_worker(n_workers);
            }
            MemoryLimit::Text(t) => (parse_bytes(t)?, t.clone()),
            MemoryLimit::Auto => {
                let workers = u64::try_from(n_workers).unwrap_or(u64::MAX).max(1);
                return Ok((machine_share() / workers).max(1));
            }
        };
        if bytes == 0 {
            return Err(RuntimeError::ZeroMemory { value: shown });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::client::{Client, client_test_guard};
    use std::sync::MutexGuard;

    fn serial() -> MutexGuard<'static, ()> {
        client_test_guard()
    }

    #[test]
    fn memory_limit_conversions() {
        assert_eq!(MemoryLimit::from("auto"), MemoryLimit::Auto);
        assert_eq!(MemoryLimit::from(" AUTO "), MemoryLimit::Auto);
        assert_eq!(MemoryLimit::from(String::from("Auto")), MemoryLimit::Auto);
        assert_eq!(MemoryLimit::from("1GB"), MemoryLimit::Text("1GB".into()));
        assert_eq!(
            MemoryLimit::from(String::from("2GiB")),
            MemoryLimit::Text("2GiB".into())
        );
        assert_eq!(MemoryLimit::from(7u64), MemoryLimit::Bytes(7));
        assert_eq!(MemoryLimit::Bytes(5).per_worker(3), Ok(5));
        assert_eq!(MemoryLimit::Text("1kB".into()).per_worker(3), Ok(1000));
        // A hand-built Text("auto") is Auto too.
        assert_eq!(
            MemoryLimit::Text("auto".into()).per_worker(2),
            MemoryLimit::Auto.per_worker(2)
        );
    }

    #[test]
    fn auto_splits_half_the_machine_between_workers() {
        let _g = serial();
        let share = machine_share();
        let one = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .memory_limit("auto")
            .set_as_current(false)
            .build()
            .unwrap();
        assert_eq!(one.total_memory(), share);
        let two = Client::builder()
            .n_workers(2)
            .threads_per_worker(1)
            .set_as_current(false)
            .build()
            .unwrap();
        assert_eq!(two.memory_limit_per_worker(), share / 2);
        assert!(two.total_memory() <= share);
        if let Some(total) = total_memory_bytes() {
            assert_eq!(share, total / 2);
        }
        one.close();
        two.close();
    }
}
