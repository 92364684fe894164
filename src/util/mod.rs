//! Small utilities: human byte sizes, facts about the machine, positional I/O, the
//! byte encoding of what stages send between processes, what Slurm granted a task and
//! whether an MPI launcher started this process as one of several ranks.

pub mod machine;
pub mod mpi_launch;
pub mod positional;
pub mod size;
pub mod slurm;
#[cfg(test)]
pub(crate) mod test_noise;
pub mod wire;
