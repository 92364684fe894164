//! Small utilities: human byte sizes, facts about the machine, positional I/O, the
//! byte encoding of what stages send between processes and what Slurm granted a task.

pub mod machine;
pub mod positional;
pub mod size;
pub mod slurm;
#[cfg(test)]
pub(crate) mod test_noise;
pub mod wire;
