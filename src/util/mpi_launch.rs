//! Whether an MPI launcher started this process as one of several ranks, read from the
//! variables the launchers set before the program runs: `OMPI_COMM_WORLD_SIZE` /
//! `OMPI_COMM_WORLD_RANK` (OpenMPI's mpirun), `PMI_SIZE` / `PMI_RANK` (MPICH's hydra,
//! Intel MPI, Slurm's `srun --mpi=pmi2`) and `PMIX_RANK` with `SLURM_STEP_NUM_TASKS`
//! (`srun --mpi=pmix`).
//!
//! A process that computes without joining the MPI job (a build without the `mpi`
//! feature, or a program that never called `spillway::mpi::initialize`) would compute the
//! whole job on its own, once per rank: the executor refuses that with an error naming
//! the rank, unless `SPILLWAY_MPI_LAUNCH=ignore` says the ranks compute independently on
//! purpose. Pure functions over a variable lookup, so they are tested without a launcher.

/// The variable that, set to `ignore`, lets one of several ranks compute on its own.
pub const IGNORE_VARIABLE: &str = "SPILLWAY_MPI_LAUNCH";

/// This process's place in an MPI launch of more than one rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// This process's rank (0 when the launcher did not say).
    pub rank: usize,
    /// How many ranks the launcher started.
    pub size: usize,
    /// The variable the size was read from, with its value, as `NAME=value`.
    pub evidence: String,
}

/// The launch `var` describes, when it is one of more than one rank and
/// [`IGNORE_VARIABLE`] is not `ignore`; `None` for a process started on its own.
///
/// ```
/// use spillway::util::mpi_launch::launch_from;
/// let env = |name: &str| match name {
///     "OMPI_COMM_WORLD_SIZE" => Some("4".to_string()),
///     "OMPI_COMM_WORLD_RANK" => Some("2".to_string()),
///     _ => None,
/// };
/// let launch = launch_from(env).unwrap();
/// assert_eq!((launch.rank, launch.size), (2, 4));
/// assert_eq!(launch.evidence, "OMPI_COMM_WORLD_SIZE=4");
/// assert!(launch_from(|_| None).is_none());
/// ```
pub fn launch_from(var: impl Fn(&str) -> Option<String>) -> Option<Launch> {
    if var(IGNORE_VARIABLE).is_some_and(|v| v.trim().eq_ignore_ascii_case("ignore")) {
        return None;
    }
    let number = |name: &str| var(name).and_then(|v| v.trim().parse::<usize>().ok());
    let pairs = [
        ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
        ("PMI_SIZE", "PMI_RANK"),
        ("SLURM_STEP_NUM_TASKS", "PMIX_RANK"),
    ];
    pairs.iter().find_map(|&(size_name, rank_name)| {
        let size = number(size_name)?;
        // a Slurm step count alone is any multi-task step: only with PMIx's rank is it MPI
        let rank = match number(rank_name) {
            Some(rank) => rank,
            None if size_name == "SLURM_STEP_NUM_TASKS" => return None,
            None => 0,
        };
        (size > 1).then(|| Launch {
            rank,
            size,
            evidence: format!("{size_name}={size}"),
        })
    })
}

/// [`launch_from`] over this process's environment.
///
/// ```
/// // a test process is not started by an MPI launcher
/// assert!(spillway::util::mpi_launch::launch().is_none());
/// ```
pub fn launch() -> Option<Launch> {
    launch_from(|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    /// Variables set, and the (rank, size) they should give.
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<(usize, usize)>);

    #[test]
    fn each_launcher_is_recognised() {
        let cases: [Case; 7] = [
            (
                &[("OMPI_COMM_WORLD_SIZE", "6"), ("OMPI_COMM_WORLD_RANK", "5")],
                Some((5, 6)),
            ),
            (&[("PMI_SIZE", "3"), ("PMI_RANK", "1")], Some((1, 3))),
            (
                &[("SLURM_STEP_NUM_TASKS", "8"), ("PMIX_RANK", "7")],
                Some((7, 8)),
            ),
            // one rank is a process on its own
            (
                &[("OMPI_COMM_WORLD_SIZE", "1"), ("OMPI_COMM_WORLD_RANK", "0")],
                None,
            ),
            // a multi-task Slurm step without an MPI plugin is not an MPI launch
            (&[("SLURM_STEP_NUM_TASKS", "8")], None),
            // values that are not numbers are not a launch
            (&[("OMPI_COMM_WORLD_SIZE", "many")], None),
            (&[], None),
        ];
        for (vars, want) in cases {
            let got = launch_from(env(vars)).map(|l| (l.rank, l.size));
            assert_eq!(got, want, "{vars:?}");
        }
    }

    #[test]
    fn ignore_lets_a_rank_compute_alone() {
        let vars = [
            ("OMPI_COMM_WORLD_SIZE", "4"),
            ("OMPI_COMM_WORLD_RANK", "0"),
            (IGNORE_VARIABLE, "ignore"),
        ];
        assert!(launch_from(env(&vars)).is_none());
        let vars = [("OMPI_COMM_WORLD_SIZE", "4"), (IGNORE_VARIABLE, "yes")];
        assert_eq!(launch_from(env(&vars)).map(|l| l.size), Some(4));
    }
}
