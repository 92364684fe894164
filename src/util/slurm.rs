//! What Slurm granted a task, read from the variables `srun` and `sbatch` set: CPUs per
//! task (`SLURM_CPUS_PER_TASK`), memory (`SLURM_MEM_PER_NODE` or `SLURM_MEM_PER_CPU`, in
//! MiB, Slurm's unit) and tasks per node (`SLURM_NTASKS_PER_NODE`).
//!
//! Pure functions: the environment comes in as a map, the grant goes out, so every case
//! is a unit test. `spillway::mpi::initialize` uses them for a rank's threads and memory
//! limit when the program does not give them, and to refuse a thread count or memory limit
//! larger than Slurm granted.

use std::collections::HashMap;

/// `--cpus-per-task`: CPUs of each task.
pub const CPUS_PER_TASK: &str = "SLURM_CPUS_PER_TASK";
/// `--mem`: MiB per node, shared by the node's tasks.
pub const MEM_PER_NODE: &str = "SLURM_MEM_PER_NODE";
/// `--mem-per-cpu`: MiB per CPU.
pub const MEM_PER_CPU: &str = "SLURM_MEM_PER_CPU";
/// `--ntasks-per-node`: tasks on each node.
pub const NTASKS_PER_NODE: &str = "SLURM_NTASKS_PER_NODE";

const MIB: u64 = 1 << 20;

/// What Slurm granted one task (one MPI rank); `None` where Slurm said nothing.
///
/// ```
/// use spillway::util::slurm::{SlurmGrant, from_env};
/// let env = [("SLURM_CPUS_PER_TASK", "4"), ("SLURM_MEM_PER_NODE", "12000"), ("SLURM_NTASKS_PER_NODE", "3")]
///     .into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
/// let grant: SlurmGrant = from_env(&env, 1)?;
/// assert_eq!(grant.cpus_per_task, Some(4));
/// assert_eq!(grant.memory.unwrap().bytes, 4000 << 20);
/// # Ok::<(), spillway::util::slurm::SlurmError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SlurmGrant {
    /// `SLURM_CPUS_PER_TASK`.
    pub cpus_per_task: Option<usize>,
    /// Memory of one task, with where it came from.
    pub memory: Option<MemoryGrant>,
    /// `SLURM_NTASKS_PER_NODE`.
    pub tasks_per_node: Option<usize>,
}

/// Memory Slurm granted one task, and how it was worked out (for messages).
///
/// ```
/// use spillway::util::slurm::MemoryGrant;
/// let m = MemoryGrant { bytes: 1 << 30, source: "SLURM_MEM_PER_NODE=1024 MiB / 1 task per node".into() };
/// assert!(m.source.starts_with("SLURM_MEM_PER_NODE"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryGrant {
    /// Bytes per task.
    pub bytes: u64,
    /// The variables and arithmetic it came from, such as
    /// `SLURM_MEM_PER_NODE=12000 MiB / 3 tasks per node (SLURM_NTASKS_PER_NODE)`.
    pub source: String,
}

impl SlurmGrant {
    /// True when Slurm said nothing of CPUs or memory (not under Slurm, or a job without
    /// `--cpus-per-task` and `--mem`).
    ///
    /// ```
    /// assert!(spillway::util::slurm::SlurmGrant::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.cpus_per_task.is_none() && self.memory.is_none()
    }
}

/// A Slurm variable that does not parse, or a setting larger than what Slurm granted.
///
/// ```
/// use spillway::util::slurm::SlurmError;
/// let e = SlurmError::ThreadsOverGrant { threads: 8, cpus: 4 };
/// assert!(e.to_string().contains("8 threads") && e.to_string().contains("SLURM_CPUS_PER_TASK=4"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlurmError {
    /// A variable whose value is not what Slurm writes there.
    #[error("{var}={value:?} is not {expected}: {fix}")]
    Malformed {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it should hold.
        expected: &'static str,
        /// How to put it right.
        fix: &'static str,
    },
    /// More threads asked for than Slurm granted CPUs.
    #[error(
        "{threads} threads asked for, but Slurm granted {cpus} CPUs per task (SLURM_CPUS_PER_TASK={cpus}): ask for at most {cpus} threads (or give none, to use Slurm's), or submit with --cpus-per-task={threads}"
    )]
    ThreadsOverGrant {
        /// Threads asked for.
        threads: usize,
        /// `SLURM_CPUS_PER_TASK`.
        cpus: usize,
    },
    /// A larger memory limit asked for than Slurm granted the task.
    #[error(
        "a memory limit of {asked} bytes asked for, but Slurm granted {granted} bytes per task ({source_text}): ask for at most that (or give none, to use Slurm's), or submit with more --mem"
    )]
    MemoryOverGrant {
        /// Bytes asked for.
        asked: u64,
        /// Bytes granted.
        granted: u64,
        /// How the grant was worked out.
        source_text: String,
    },
}

const CPUS_FIX: &str = "Slurm sets it from --cpus-per-task (a whole number of CPUs, at least 1); unset it or set it to such a number";
const MEM_FIX: &str = "Slurm sets it from --mem / --mem-per-cpu as a whole number of MiB (no unit); unset it or set it to such a number";
const TASKS_FIX: &str = "Slurm sets it from --ntasks-per-node (a whole number of tasks, at least 1); unset it or set it to such a number";

/// A whole number in `var`, or `None` when unset or empty.
fn number(
    env: &HashMap<String, String>,
    var: &'static str,
    expected: &'static str,
    fix: &'static str,
    min: u64,
) -> Result<Option<u64>, SlurmError> {
    let Some(value) = env.get(var) else {
        return Ok(None);
    };
    let text = value.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(n) if n >= min => Ok(Some(n)),
        _ => Err(SlurmError::Malformed {
            var,
            value: value.clone(),
            expected,
            fix,
        }),
    }
}

/// What Slurm granted this task, from the environment `env`. `SLURM_MEM_PER_NODE` is
/// divided by `SLURM_NTASKS_PER_NODE`, or by `ranks_on_node` (the ranks the MPI job counts
/// on this node) when that is unset or smaller (ranks started by mpirun's daemons see the
/// daemons' step, one task per node). `SLURM_MEM_PER_NODE=0` (`--mem=0`, all of the
/// node's memory) grants no particular amount. With both memory variables set,
/// `SLURM_MEM_PER_NODE` wins; `SLURM_MEM_PER_CPU` counts `SLURM_CPUS_PER_TASK` CPUs per
/// task (1 when unset).
///
/// # Errors
///
/// [`SlurmError::Malformed`] naming the variable, its value and the fix, for a value that
/// is not a whole number (or is 0 where that means nothing).
///
/// ```
/// use spillway::util::slurm::from_env;
/// let env = [("SLURM_MEM_PER_CPU", "2048"), ("SLURM_CPUS_PER_TASK", "2")]
///     .into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
/// assert_eq!(from_env(&env, 4)?.memory.unwrap().bytes, 4096 << 20);
/// # Ok::<(), spillway::util::slurm::SlurmError>(())
/// ```
pub fn from_env(
    env: &HashMap<String, String>,
    ranks_on_node: usize,
) -> Result<SlurmGrant, SlurmError> {
    let cpus = number(env, CPUS_PER_TASK, "a whole number of CPUs", CPUS_FIX, 1)?;
    let tasks = number(
        env,
        NTASKS_PER_NODE,
        "a whole number of tasks",
        TASKS_FIX,
        1,
    )?;
    let per_node = number(env, MEM_PER_NODE, "a whole number of MiB", MEM_FIX, 0)?;
    let per_cpu = number(env, MEM_PER_CPU, "a whole number of MiB", MEM_FIX, 1)?;
    let memory = match (per_node, per_cpu) {
        (Some(0), _) => None,
        (Some(mib), _) => {
            // ranks that mpirun starts through its daemons inherit the daemons' step,
            // one task per node: more ranks on the node than Slurm's count share it
            let r = ranks_on_node.max(1) as u64;
            let (divide, by) = match tasks {
                Some(t) if t >= r => (t, format!("{t} tasks per node ({NTASKS_PER_NODE})")),
                Some(t) => (
                    r,
                    format!("{r} ranks on this node (more than {NTASKS_PER_NODE}={t})"),
                ),
                None => (r, format!("{r} ranks on this node")),
            };
            Some(MemoryGrant {
                bytes: mib.saturating_mul(MIB) / divide,
                source: format!("{MEM_PER_NODE}={mib} MiB / {by}"),
            })
        }
        (None, Some(mib)) => {
            let c = cpus.unwrap_or(1);
            Some(MemoryGrant {
                bytes: mib.saturating_mul(MIB).saturating_mul(c),
                source: format!("{MEM_PER_CPU}={mib} MiB x {c} CPUs per task"),
            })
        }
        (None, None) => None,
    };
    Ok(SlurmGrant {
        cpus_per_task: cpus.map(|c| c as usize),
        memory,
        tasks_per_node: tasks.map(|t| t as usize),
    })
}

/// [`from_env`] on this process's environment (its `SLURM_` variables).
///
/// # Errors
///
/// As [`from_env`].
///
/// ```
/// let grant = spillway::util::slurm::from_process_env(1)?;
/// # let _ = grant;
/// # Ok::<(), spillway::util::slurm::SlurmError>(())
/// ```
pub fn from_process_env(ranks_on_node: usize) -> Result<SlurmGrant, SlurmError> {
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
        .filter(|(k, _)| k.starts_with("SLURM_"))
        .collect();
    from_env(&env, ranks_on_node)
}

/// The threads a task runs: `asked` when given (no more than the CPUs Slurm granted),
/// else Slurm's CPUs per task, else `None`.
///
/// # Errors
///
/// [`SlurmError::ThreadsOverGrant`] naming both numbers when `asked` exceeds
/// `SLURM_CPUS_PER_TASK`.
///
/// ```
/// use spillway::util::slurm::{SlurmGrant, threads};
/// let grant = SlurmGrant { cpus_per_task: Some(4), ..SlurmGrant::default() };
/// assert_eq!(threads(None, &grant)?, Some(4));
/// assert_eq!(threads(Some(2), &grant)?, Some(2));
/// assert!(threads(Some(8), &grant).is_err());
/// # Ok::<(), spillway::util::slurm::SlurmError>(())
/// ```
pub fn threads(asked: Option<usize>, grant: &SlurmGrant) -> Result<Option<usize>, SlurmError> {
    match (asked, grant.cpus_per_task) {
        (Some(threads), Some(cpus)) if threads > cpus => {
            Err(SlurmError::ThreadsOverGrant { threads, cpus })
        }
        (Some(threads), _) => Ok(Some(threads)),
        (None, cpus) => Ok(cpus),
    }
}

/// Checks a memory limit of `asked` bytes against Slurm's grant.
///
/// # Errors
///
/// [`SlurmError::MemoryOverGrant`] when `asked` exceeds the memory Slurm granted a task.
///
/// ```
/// use spillway::util::slurm::{MemoryGrant, SlurmGrant, check_memory};
/// let grant = SlurmGrant { memory: Some(MemoryGrant { bytes: 100, source: "x".into() }), ..SlurmGrant::default() };
/// assert!(check_memory(100, &grant).is_ok());
/// assert!(check_memory(101, &grant).is_err());
/// ```
pub fn check_memory(asked: u64, grant: &SlurmGrant) -> Result<(), SlurmError> {
    match &grant.memory {
        Some(m) if asked > m.bytes => Err(SlurmError::MemoryOverGrant {
            asked,
            granted: m.bytes,
            source_text: m.source.clone(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn nothing_set_grants_nothing() {
        let grant = from_env(&env(&[("SLURM_JOB_ID", "7")]), 3).unwrap();
        assert!(grant.is_empty());
        assert_eq!(grant, SlurmGrant::default());
    }

    #[test]
    fn cpus_and_memory_per_node_divided_by_tasks_per_node() {
        let grant = from_env(
            &env(&[
                (CPUS_PER_TASK, "4"),
                (MEM_PER_NODE, "120000"),
                (NTASKS_PER_NODE, "3"),
            ]),
            1,
        )
        .unwrap();
        assert_eq!(grant.cpus_per_task, Some(4));
        assert_eq!(grant.tasks_per_node, Some(3));
        let m = grant.memory.unwrap();
        assert_eq!(m.bytes, 40000 * MIB);
        assert!(
            m.source
                .contains("SLURM_MEM_PER_NODE=120000 MiB / 3 tasks per node")
        );
    }

    #[test]
    fn memory_per_node_without_tasks_per_node_divides_by_ranks_on_node() {
        let grant = from_env(&env(&[(MEM_PER_NODE, "3000")]), 2).unwrap();
        assert_eq!(grant.memory.unwrap().bytes, 1500 * MIB);
        assert_eq!(grant.cpus_per_task, None);
    }

    #[test]
    fn memory_per_cpu_times_cpus_per_task() {
        let grant = from_env(&env(&[(MEM_PER_CPU, "1000"), (CPUS_PER_TASK, "3")]), 5).unwrap();
        assert_eq!(grant.memory.unwrap().bytes, 3000 * MIB);
        let grant = from_env(&env(&[(MEM_PER_CPU, "1000")]), 5).unwrap();
        assert_eq!(grant.memory.unwrap().bytes, 1000 * MIB);
    }

    #[test]
    fn mem_zero_means_the_whole_node_and_grants_no_amount() {
        let grant = from_env(&env(&[(MEM_PER_NODE, "0"), (MEM_PER_CPU, "9")]), 1).unwrap();
        assert_eq!(grant.memory, None);
    }

    #[test]
    fn per_node_wins_over_per_cpu() {
        let grant = from_env(&env(&[(MEM_PER_NODE, "2048"), (MEM_PER_CPU, "1")]), 1).unwrap();
        assert_eq!(grant.memory.unwrap().bytes, 2048 * MIB);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let grant = from_env(&env(&[(CPUS_PER_TASK, " "), (MEM_PER_NODE, "")]), 1).unwrap();
        assert!(grant.is_empty());
    }

    #[test]
    fn malformed_values_name_variable_value_and_fix() {
        for (var, value) in [
            (CPUS_PER_TASK, "four"),
            (CPUS_PER_TASK, "0"),
            (CPUS_PER_TASK, "-2"),
            (MEM_PER_NODE, "4G"),
            (MEM_PER_NODE, "1.5"),
            (MEM_PER_CPU, "0"),
            (NTASKS_PER_NODE, "2(x3)"),
            (NTASKS_PER_NODE, "0"),
        ] {
            let err = from_env(&env(&[(var, value)]), 1).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(var) && text.contains(value) && text.contains("unset it"),
                "{text}"
            );
            assert!(matches!(err, SlurmError::Malformed { var: v, .. } if v == var));
        }
    }

    #[test]
    fn explicit_threads_above_the_grant_are_refused_naming_both() {
        let grant = from_env(&env(&[(CPUS_PER_TASK, "2")]), 1).unwrap();
        let err = threads(Some(3), &grant).unwrap_err();
        assert_eq!(
            err,
            SlurmError::ThreadsOverGrant {
                threads: 3,
                cpus: 2
            }
        );
        let text = err.to_string();
        assert!(text.contains("3 threads") && text.contains("SLURM_CPUS_PER_TASK=2"));
        assert_eq!(threads(Some(2), &grant).unwrap(), Some(2));
        assert_eq!(threads(None, &grant).unwrap(), Some(2));
        assert_eq!(threads(Some(64), &SlurmGrant::default()).unwrap(), Some(64));
        assert_eq!(threads(None, &SlurmGrant::default()).unwrap(), None);
    }

    #[test]
    fn more_ranks_on_the_node_than_slurm_counts_share_its_memory() {
        // ranks started by mpirun's daemons see the daemons' step: one task per node
        let vars = [(MEM_PER_NODE, "1200"), (NTASKS_PER_NODE, "1")];
        let grant = from_env(&env(&vars), 3).unwrap();
        let memory = grant.memory.unwrap();
        assert_eq!(memory.bytes, 400 * MIB);
        assert_eq!(
            memory.source,
            "SLURM_MEM_PER_NODE=1200 MiB / 3 ranks on this node (more than SLURM_NTASKS_PER_NODE=1)"
        );
        // fewer ranks than Slurm's tasks: Slurm's count (the others are another program's)
        let vars = [(MEM_PER_NODE, "1200"), (NTASKS_PER_NODE, "4")];
        assert_eq!(
            from_env(&env(&vars), 2).unwrap().memory.unwrap().bytes,
            300 * MIB
        );
    }

    #[test]
    fn explicit_memory_above_the_grant_is_refused() {
        let grant = from_env(&env(&[(MEM_PER_NODE, "1024"), (NTASKS_PER_NODE, "2")]), 1).unwrap();
        assert!(check_memory(512 * MIB, &grant).is_ok());
        let text = check_memory(512 * MIB + 1, &grant).unwrap_err().to_string();
        assert!(
            text.contains("SLURM_MEM_PER_NODE=1024 MiB / 2 tasks per node"),
            "{text}"
        );
        assert!(check_memory(u64::MAX, &SlurmGrant::default()).is_ok());
    }
}
