//! Small utilities: human byte sizes and facts about the machine.

pub mod machine;
pub mod positional;
pub mod size;
#[cfg(test)]
pub(crate) mod test_noise;
