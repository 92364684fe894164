//! The MPI job as the executor's distributed hook: what `initialize` registers in
//! `exec::distributed`, so that each `compute()`, store made once and intermediate store
//! goes through the ranks.

use super::world::{World, rank_settings, write_summary};
use super::{exec, shared};
use crate::exec::client::{Client, MemoryLimit};
use crate::exec::distributed::Distributed;
use crate::exec::error::Result;
use crate::exec::report::RunReport;
use crate::exec::stage::Stage;
use std::fmt;
use std::path::PathBuf;

/// The job, as registered by `initialize`.
pub(super) struct Hook(pub(super) &'static World);

impl Distributed for Hook {
    fn run_stages(&self, stages: &[Box<dyn Stage>], client: &Client) -> Result<RunReport> {
        exec::run(self.0, stages, client)
    }
    fn is_maker(&self) -> bool {
        shared::maker(self.0) == self.0.rank
    }
    fn meet(&self, what: &str, mine: &Result<()>) -> Result<()> {
        shared::meet(self.0, what, mine)
    }
    fn scratch_path(&self, label: &str) -> PathBuf {
        shared::scratch_path(self.0, label)
    }
    fn client_defaults(&self) -> (usize, MemoryLimit) {
        rank_settings(self.0)
    }
    fn write_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_summary(self.0, f)
    }
}
