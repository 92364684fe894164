//! Small utilities: human byte sizes, facts about the machine, positional I/O, the
//! byte encoding of what stages send between processes, what Slurm granted a task and
//! whether an MPI launcher started this process as one of several ranks, and where a
//! worker thread's time goes.

pub mod machine;
pub mod mpi_launch;
pub mod phase_clock;
pub mod positional;
pub mod size;
pub mod slurm;
#[cfg(test)]
pub(crate) mod test_noise;
pub mod wire;
