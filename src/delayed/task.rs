//! One delayed task: its closure, its cached result, and the type-erased face the
//! stage the runner runs and the graph views work with.

use crate::error::{Error, Result};
use crate::exec::client::Client;
use std::any::type_name;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

static NEXT_TASK: AtomicU64 = AtomicU64::new(1);

/// The work of a task: runs once, on the client of the computation that runs it.
pub(crate) type Work<T> = Box<dyn FnOnce(&Client) -> Result<T> + Send>;

/// Where a task stands.
enum State<T> {
    /// Not run yet: the closure is still there.
    Pending(Work<T>),
    /// Running on some thread now.
    Running,
    /// Ran; the value is shared by every reader.
    Done(Arc<T>),
    /// Ran and failed (or panicked): the closure is gone, so the error stays.
    Failed(Error),
}

/// What the runner needs to know about a task, whatever its value type.
pub(crate) trait TaskNode: Send + Sync {
    /// A process-unique identity.
    fn id(&self) -> u64;
    /// The task's name.
    fn name(&self) -> Arc<str>;
    /// Declared memory in bytes, or the error of an unparsable `.memory(..)`.
    fn memory(&self) -> Result<u64>;
    /// The tasks whose values it reads.
    fn inputs(&self) -> &[Arc<dyn TaskNode>];
    /// True once it has a value.
    fn is_done(&self) -> bool;
    /// The error it failed with, if it ran and failed.
    fn failure(&self) -> Option<Error>;
    /// Runs it (once): waits if another computation is running it; returns at once when
    /// it is already done or failed. `index` is its index in the running computation.
    fn run(&self, client: &Client, index: usize) -> Result<()>;
}

/// A typed task.
pub(crate) struct Task<T> {
    id: u64,
    name: Mutex<Arc<str>>,
    memory: Mutex<Result<u64>>,
    inputs: Vec<Arc<dyn TaskNode>>,
    state: Mutex<State<T>>,
    changed: Condvar,
}

fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    // nothing panics while these locks are held; a poisoned one still holds valid data
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The default name of a task running `F`: a function's own name, or `"delayed"` for a
/// closure (whose type has no readable name).
pub(crate) fn default_name<F>() -> String {
    let full = type_name::<F>();
    if full.contains("{{closure}}") || full.contains('<') {
        return "delayed".to_string();
    }
    full.rsplit("::").next().unwrap_or("delayed").to_string()
}

impl<T: Send + Sync + 'static> Task<T> {
    pub(crate) fn new(name: String, inputs: Vec<Arc<dyn TaskNode>>, work: Work<T>) -> Self {
        Task {
            id: NEXT_TASK.fetch_add(1, Ordering::Relaxed),
            name: Mutex::new(Arc::from(name)),
            memory: Mutex::new(Ok(0)),
            inputs,
            state: Mutex::new(State::Pending(work)),
            changed: Condvar::new(),
        }
    }

    pub(crate) fn set_name(&self, name: &str) {
        *lock(&self.name) = Arc::from(name);
    }

    pub(crate) fn set_memory(&self, memory: Result<u64>) {
        *lock(&self.memory) = memory;
    }

    /// The value, or the error it failed with (for reading results after a run).
    pub(crate) fn outcome(&self) -> Result<Arc<T>> {
        match &*lock(&self.state) {
            State::Done(v) => Ok(v.clone()),
            State::Failed(e) => Err(e.clone()),
            _ => Err(Error::TaskPanicked {
                op: self.name().to_string(),
                task: 0,
                message: "the task has not run".to_string(),
            }),
        }
    }
}

impl<T: Send + Sync + 'static> TaskNode for Task<T> {
    fn id(&self) -> u64 {
        self.id
    }
    fn name(&self) -> Arc<str> {
        lock(&self.name).clone()
    }
    fn memory(&self) -> Result<u64> {
        lock(&self.memory).clone()
    }
    fn inputs(&self) -> &[Arc<dyn TaskNode>] {
        &self.inputs
    }
    fn is_done(&self) -> bool {
        matches!(&*lock(&self.state), State::Done(_))
    }
    fn failure(&self) -> Option<Error> {
        match &*lock(&self.state) {
            State::Failed(e) => Some(e.clone()),
            _ => None,
        }
    }
    fn run(&self, client: &Client, index: usize) -> Result<()> {
        let mut state = lock(&self.state);
        loop {
            match &*state {
                State::Pending(_) => break,
                State::Running => {
                    state = self
                        .changed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                State::Done(_) => return Ok(()),
                State::Failed(e) => return Err(e.clone()),
            }
        }
        let State::Pending(work) = std::mem::replace(&mut *state, State::Running) else {
            unreachable!("the loop above leaves only on Pending");
        };
        drop(state);
        let outcome = match catch_unwind(AssertUnwindSafe(|| work(client))) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(e),
            Err(payload) => Err(Error::TaskPanicked {
                op: self.name().to_string(),
                task: index,
                message: crate::exec::executor::panic_message(payload.as_ref()),
            }),
        };
        let mut state = lock(&self.state);
        let result = match outcome {
            Ok(value) => {
                *state = State::Done(Arc::new(value));
                Ok(())
            }
            Err(e) => {
                *state = State::Failed(e.clone());
                Err(e)
            }
        };
        drop(state);
        self.changed.notify_all();
        result
    }
}
