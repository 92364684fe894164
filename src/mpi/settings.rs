//! A rank's threads and memory limit: as the program gave them, else what Slurm granted
//! the task (`util::slurm`), else a share of this node; checked against Slurm's grant.

use super::options::Options;
use crate::exec::client::{Client, MemoryLimit};
use crate::util::machine::{available_cores, total_memory_bytes};
use crate::util::size::format_bytes;
use crate::util::slurm;

/// Memory assumed when the node's memory cannot be read.
const FALLBACK_MEMORY: u64 = 1 << 30;

/// A rank's settings, with its client built (and made current).
pub(super) struct Resolved {
    pub(super) client: Client,
    pub(super) threads: usize,
    /// Where the threads and the memory limit came from, in words.
    pub(super) from: String,
}

/// This rank's settings from `options`, the process's `SLURM_` variables and the
/// `ranks_on_node` ranks of the job on this node. The error is a sentence for the other
/// ranks (it travels as text).
pub(super) fn resolve(options: &Options, ranks_on_node: usize) -> Result<Resolved, String> {
    let ranks_on_node = ranks_on_node.max(1);
    let grant = slurm::from_process_env(ranks_on_node).map_err(|e| e.to_string())?;
    let (threads, threads_from) = match slurm::threads(options.nthreads, &grant) {
        Err(e) => return Err(e.to_string()),
        Ok(Some(t)) if options.nthreads.is_some() => (t, "given".to_string()),
        Ok(Some(t)) => (t, format!("{}={t}", slurm::CPUS_PER_TASK)),
        Ok(None) => {
            let cores = available_cores();
            (
                (cores / ranks_on_node).max(1),
                format!("{cores} cores / {ranks_on_node} ranks on this node"),
            )
        }
    };
    let (memory, memory_from) = match (&options.memory_limit, &grant.memory) {
        (Some(m), _) => (m.clone(), "given".to_string()),
        (None, Some(g)) => (MemoryLimit::Bytes(g.bytes), g.source.clone()),
        (None, None) => {
            let half = total_memory_bytes().map_or(FALLBACK_MEMORY, |t| (t / 2).max(1));
            (
                MemoryLimit::Bytes((half / ranks_on_node as u64).max(1)),
                format!(
                    "half of this node's memory ({}) / {ranks_on_node} ranks on this node",
                    format_bytes(half)
                ),
            )
        }
    };
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit(memory)
        .build()
        .map_err(|e| e.to_string())?;
    if options.memory_limit.is_some()
        && let Err(e) = slurm::check_memory(client.memory_limit_per_worker(), &grant)
    {
        client.close();
        return Err(e.to_string());
    }
    let from = format!("threads {threads_from}, memory limit {memory_from}");
    Ok(Resolved {
        client,
        threads,
        from,
    })
}
