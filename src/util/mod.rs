//! Small utilities: human byte sizes, facts about the machine, positional I/O and the
//! byte encoding of what stages send between processes.

pub mod machine;
pub mod positional;
pub mod size;
#[cfg(test)]
pub(crate) mod test_noise;
pub mod wire;
