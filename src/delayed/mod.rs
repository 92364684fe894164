//! Delayed tasks: any function made lazy, as Dask's `dask.delayed`.
//!
//! [`delayed`] wraps a closure into a [`Delayed`] value; nothing runs until `compute`.
//! Tasks may read other delayed values ([`Delayed::then`], [`delayed2`], [`delayed_many`]),
//! which makes a graph; [`compute_all`] runs many at once, independent tasks in parallel
//! on the client's threads.
//!
//! ```
//! use spillway::delayed::{compute_all, delayed};
//!
//! fn calculate_pi(size_in_bytes: usize) -> f64 {
//!     // a deterministic stand-in for the Monte-Carlo estimate
//!     let n = size_in_bytes / 16;
//!     4.0 * (0..n).filter(|i| {
//!         let (x, y) = ((i * 7919 % n) as f64 / n as f64, (i * 104_729 % n) as f64 / n as f64);
//!         x * x + y * y < 1.0
//!     }).count() as f64 / n as f64
//! }
//!
//! let dask_calpi = delayed(move || calculate_pi(10_000)).name("calculate_pi");
//! let pi = dask_calpi.compute().unwrap();
//! assert!((pi - std::f64::consts::PI).abs() < 0.2);
//!
//! let results: Vec<_> = (1..=5)
//!     .map(|i| delayed(move || calculate_pi(10_000 * i)).name("calculate_pi").memory_bytes(10_000 * i as u64))
//!     .collect();
//! let pis = compute_all(&results).unwrap();
//! assert_eq!(pis.len(), 5);
//! ```
//!
//! # Memory
//!
//! Every task, while it runs, holds a [`Reservation`](crate::Reservation) of
//! [`TASK_OVERHEAD_BYTES`] plus the memory it declares (`.memory("1GB")`; nothing by
//! default) from the client's budget. Tasks whose declared memory together exceeds the
//! budget therefore run as the budget allows, not all at once, and a task that declares
//! more than the whole budget is refused before anything runs
//! ([`DelayedError::TaskTooLarge`]). The declaration is the task's promise: spillway cannot
//! see what a closure allocates.
//!
//! # Results
//!
//! A task's closure is `FnOnce`, so a task runs once: its value is kept in the task and
//! shared by every later `compute` and every reader, for as long as any [`Delayed`] handle
//! reaches it. Values are not counted in the budget (like the ndarray `compute()` returns).
//! A task that fails or panics keeps its error; computing it (or a reader) again returns
//! that error. Tasks that had not started when another failed stay pending.
//!
//! # Monitors
//!
//! A delayed computation shows to the client's monitors as one stage labelled
//! [`STAGE_LABEL`] (`"delayed"`); each task's record carries its own name as label and its
//! index within the computation (inputs before readers).

mod array;
mod blocks;
pub(crate) mod error;
mod graph;
mod stage;
mod task;

pub use array::from_delayed;
pub use blocks::from_delayed_blocks;
pub use error::DelayedError;
pub use graph::task_graph;
pub use stage::STAGE_LABEL;

use crate::error::Result;
use crate::exec::client::Client;
use crate::exec::report::RunReport;
use crate::graph::view::TaskGraph;
use crate::util::size::parse_bytes;
use std::fmt;
use std::sync::Arc;
use task::{Task, TaskNode, Work, default_name};

/// Bytes every running task reserves besides its declared memory (16 KiB): its
/// bookkeeping, so that even tasks that declare nothing are counted.
pub const TASK_OVERHEAD_BYTES: u64 = 16 * 1024;

/// A lazy value of type `T`: a task (and the tasks it reads) that `compute` runs.
///
/// Cloning is cheap and shares the task.
///
/// ```
/// use spillway::delayed;
/// let a = delayed(|| 20).name("twenty");
/// let b = a.then(|x| x + 1);
/// assert_eq!(b.compute().unwrap(), 21);
/// assert_eq!(a.task_name(), "twenty");
/// ```
pub struct Delayed<T> {
    pub(crate) task: Arc<Task<T>>,
}

impl<T> Clone for Delayed<T> {
    fn clone(&self) -> Self {
        Delayed {
            task: self.task.clone(),
        }
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for Delayed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl<T: Send + Sync + 'static> fmt::Display for Delayed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Delayed<{}, {}>",
            self.task.name(),
            if self.is_computed() {
                "computed"
            } else {
                "pending"
            }
        )
    }
}

/// Makes `f` a lazy task; it runs when the value (or a reader of it) is computed.
///
/// The task is named after `f` when `f` is a function, `"delayed"` for a closure; use
/// [`Delayed::name`] to name it.
///
/// ```
/// fn answer() -> i32 { 42 }
/// let d = spillway::delayed(answer);
/// assert_eq!(d.task_name(), "answer");
/// assert_eq!(d.compute().unwrap(), 42);
/// ```
pub fn delayed<T, F>(f: F) -> Delayed<T>
where
    T: Send + Sync + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let name = default_name::<F>();
    Delayed::from_work(name, Vec::new(), Box::new(move |_: &Client| Ok(f())))
}

/// Like [`delayed`], for a fallible function: its error is the computation's error.
///
/// ```
/// use spillway::delayed::try_delayed;
/// let bad = try_delayed(|| spillway::util::size::parse_bytes("ten").map_err(spillway::Error::from));
/// assert!(bad.compute().is_err());
/// ```
pub fn try_delayed<T, F>(f: F) -> Delayed<T>
where
    T: Send + Sync + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let name = default_name::<F>();
    Delayed::from_work(name, Vec::new(), Box::new(move |_: &Client| f()))
}

/// A task that reads `input`'s value: the same as [`Delayed::then`].
///
/// ```
/// let a = spillway::delayed(|| vec![1, 2, 3]);
/// let total = spillway::delayed::delayed_map(&a, |v| v.iter().sum::<i32>());
/// assert_eq!(total.compute().unwrap(), 6);
/// ```
pub fn delayed_map<A, T, F>(input: &Delayed<A>, f: F) -> Delayed<T>
where
    A: Send + Sync + 'static,
    T: Send + Sync + 'static,
    F: FnOnce(&A) -> T + Send + 'static,
{
    input.then(f)
}

/// A task that reads two delayed values.
///
/// ```
/// use spillway::delayed::{delayed, delayed2};
/// let a = delayed(|| 2.0);
/// let b = delayed(|| String::from("pi"));
/// let c = delayed2(&a, &b, |x, s| format!("{s}={}", x * 1.5));
/// assert_eq!(c.compute().unwrap(), "pi=3");
/// ```
pub fn delayed2<A, B, T, F>(a: &Delayed<A>, b: &Delayed<B>, f: F) -> Delayed<T>
where
    A: Send + Sync + 'static,
    B: Send + Sync + 'static,
    T: Send + Sync + 'static,
    F: FnOnce(&A, &B) -> T + Send + 'static,
{
    let (ta, tb) = (a.task.clone(), b.task.clone());
    let inputs: Vec<Arc<dyn TaskNode>> = vec![ta.clone(), tb.clone()];
    Delayed::from_work(
        default_name::<F>(),
        inputs,
        Box::new(move |_: &Client| {
            let (x, y) = (ta.outcome()?, tb.outcome()?);
            Ok(f(&x, &y))
        }),
    )
}

/// A task that reads many delayed values of one type, in order (a reduction of them).
///
/// ```
/// use spillway::delayed::{delayed, delayed_many};
/// let parts: Vec<_> = (1..=4).map(|i| delayed(move || i * 10)).collect();
/// let total = delayed_many(&parts, |xs| xs.iter().copied().sum::<i32>());
/// assert_eq!(total.compute().unwrap(), 100);
/// ```
pub fn delayed_many<A, T, F>(inputs: &[Delayed<A>], f: F) -> Delayed<T>
where
    A: Send + Sync + 'static,
    T: Send + Sync + 'static,
    F: FnOnce(&[&A]) -> T + Send + 'static,
{
    let tasks: Vec<Arc<Task<A>>> = inputs.iter().map(|d| d.task.clone()).collect();
    let erased: Vec<Arc<dyn TaskNode>> = tasks
        .iter()
        .map(|t| t.clone() as Arc<dyn TaskNode>)
        .collect();
    Delayed::from_work(
        default_name::<F>(),
        erased,
        Box::new(move |_: &Client| {
            let values = tasks
                .iter()
                .map(|t| t.outcome())
                .collect::<Result<Vec<_>>>()?;
            let refs: Vec<&A> = values.iter().map(|v| v.as_ref()).collect();
            Ok(f(&refs))
        }),
    )
}

impl<T: Send + Sync + 'static> Delayed<T> {
    pub(crate) fn from_work(name: String, inputs: Vec<Arc<dyn TaskNode>>, work: Work<T>) -> Self {
        Delayed {
            task: Arc::new(Task::new(name, inputs, work)),
        }
    }

    pub(crate) fn node(&self) -> Arc<dyn TaskNode> {
        self.task.clone()
    }

    /// Names the task (for progress, errors and graphs). The name belongs to the task, so
    /// every clone of this handle sees it.
    ///
    /// ```
    /// let d = spillway::delayed(|| 1).name("calculate_pi");
    /// assert_eq!(d.task_name(), "calculate_pi");
    /// ```
    #[must_use]
    pub fn name(self, name: &str) -> Self {
        self.task.set_name(name);
        self
    }

    /// Declares the memory the task needs while it runs, as a size text (`"1GB"`,
    /// `"512MiB"`). An unparsable text is returned as the error of `compute`.
    ///
    /// ```
    /// let d = spillway::delayed(|| 1).memory("1MB");
    /// assert_eq!(d.declared_memory().unwrap(), 1_000_000);
    /// assert!(spillway::delayed(|| 1).memory("lots").compute().is_err());
    /// ```
    #[must_use]
    pub fn memory(self, size: &str) -> Self {
        self.task
            .set_memory(parse_bytes(size).map_err(crate::error::Error::from));
        self
    }

    /// Declares the memory the task needs while it runs, in bytes (default 0; every task
    /// also reserves [`TASK_OVERHEAD_BYTES`]).
    ///
    /// ```
    /// let d = spillway::delayed(|| 1).memory_bytes(4096);
    /// assert_eq!(d.declared_memory().unwrap(), 4096);
    /// ```
    #[must_use]
    pub fn memory_bytes(self, bytes: u64) -> Self {
        self.task.set_memory(Ok(bytes));
        self
    }

    /// The task's name.
    ///
    /// ```
    /// assert_eq!(spillway::delayed(|| 1).task_name(), "delayed");
    /// ```
    pub fn task_name(&self) -> String {
        self.task.name().to_string()
    }

    /// The memory the task declares, or the error of an unparsable [`memory`](Self::memory).
    ///
    /// ```
    /// assert_eq!(spillway::delayed(|| 1).declared_memory().unwrap(), 0);
    /// ```
    pub fn declared_memory(&self) -> Result<u64> {
        self.task.memory()
    }

    /// True once the task has run successfully (its value is kept).
    ///
    /// ```
    /// let d = spillway::delayed(|| 1);
    /// assert!(!d.is_computed());
    /// d.compute().unwrap();
    /// assert!(d.is_computed());
    /// ```
    pub fn is_computed(&self) -> bool {
        self.task.is_done()
    }

    /// A task that reads this value: `f(&value)`.
    ///
    /// ```
    /// let squared = spillway::delayed(|| 12).then(|x| x * x).name("square");
    /// assert_eq!(squared.compute().unwrap(), 144);
    /// ```
    pub fn then<U, F>(&self, f: F) -> Delayed<U>
    where
        U: Send + Sync + 'static,
        F: FnOnce(&T) -> U + Send + 'static,
    {
        let input = self.task.clone();
        Delayed::from_work(
            default_name::<F>(),
            vec![self.node()],
            Box::new(move |_: &Client| Ok(f(&*input.outcome()?))),
        )
    }

    /// Both values as a pair (a task named `"zip"` that clones them).
    ///
    /// ```
    /// let pair = spillway::delayed(|| 1).zip(&spillway::delayed(|| "one"));
    /// assert_eq!(pair.compute().unwrap(), (1, "one"));
    /// ```
    pub fn zip<U>(&self, other: &Delayed<U>) -> Delayed<(T, U)>
    where
        T: Clone,
        U: Clone + Send + Sync + 'static,
    {
        delayed2(self, other, |a: &T, b: &U| (a.clone(), b.clone())).name("zip")
    }

    /// Computes the value on [`Client::current`] and returns a clone of it.
    ///
    /// ```
    /// assert_eq!(spillway::delayed(|| "done".to_string()).compute().unwrap(), "done");
    /// ```
    pub fn compute(&self) -> Result<T>
    where
        T: Clone,
    {
        self.compute_on(&Client::current())
    }

    /// Computes the value on `client`.
    ///
    /// ```
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(2).memory_limit("64MB").build().unwrap();
    /// assert_eq!(spillway::delayed(|| 7).compute_on(&client).unwrap(), 7);
    /// client.close();
    /// ```
    pub fn compute_on(&self, client: &Client) -> Result<T>
    where
        T: Clone,
    {
        Ok((*self.compute_shared_on(client)?).clone())
    }

    /// Computes the value on `client` and returns it shared, without a clone (for values
    /// that are large or not `Clone`).
    ///
    /// ```
    /// let client = spillway::Client::current();
    /// let v = spillway::delayed(|| vec![0u8; 1024]).compute_shared_on(&client).unwrap();
    /// assert_eq!(v.len(), 1024);
    /// ```
    pub fn compute_shared_on(&self, client: &Client) -> Result<Arc<T>> {
        stage::run(&[self.node()], client)?;
        self.task.outcome()
    }

    /// The graph of this value's tasks, for drawing: one node per task (kind
    /// `"delayed"`, labelled with its name), edges from inputs to readers.
    ///
    /// ```
    /// let a = spillway::delayed(|| 1).name("a");
    /// let b = a.then(|x| x + 1).name("b");
    /// let g = b.task_graph();
    /// assert_eq!(g.nodes.len(), 2);
    /// assert_eq!(g.edges, vec![(0, 1)]);
    /// ```
    pub fn task_graph(&self) -> TaskGraph {
        graph::build(&[self.node()])
    }

    /// The task graph as a picture (`dask.visualize(dask_calpi)`): `.svg()`, `.dot()`,
    /// `.save("graph.svg")`.
    ///
    /// ```
    /// use spillway::delayed::delayed;
    /// let dask_calpi = delayed(|| 3.14).name("calculate_pi");
    /// let picture = dask_calpi.visualize();
    /// assert!(picture.dot().contains("calculate_pi"));
    /// assert!(picture.svg().starts_with("<svg"));
    /// ```
    pub fn visualize(&self) -> crate::array::visualize::Visualization {
        crate::array::visualize::Visualization::new(self.task_graph())
    }
}

/// The task graph of several delayed values as one picture (`dask.visualize(results)`).
///
/// ```
/// use spillway::delayed::{delayed, visualize};
/// let results: Vec<_> = (1..=5).map(|i| delayed(move || i as f64).name("calculate_pi")).collect();
/// assert_eq!(visualize(&results).task_graph().nodes.len(), 5);
/// ```
pub fn visualize<T: Send + Sync + 'static>(
    values: &[Delayed<T>],
) -> crate::array::visualize::Visualization {
    crate::array::visualize::Visualization::new(graph::task_graph(values))
}

/// Computes many delayed values in one run on [`Client::current`] (Dask's
/// `dask.compute(*results)`): shared inputs run once, independent tasks in parallel.
///
/// ```
/// use spillway::delayed::{compute_all, delayed};
/// let ds: Vec<_> = (0..4).map(|i| delayed(move || i * i)).collect();
/// assert_eq!(compute_all(&ds).unwrap(), vec![0, 1, 4, 9]);
/// ```
pub fn compute_all<T: Clone + Send + Sync + 'static>(values: &[Delayed<T>]) -> Result<Vec<T>> {
    compute_all_on(values, &Client::current())
}

/// [`compute_all`] on `client`.
///
/// ```
/// let client = spillway::Client::builder().n_workers(2).threads_per_worker(1).memory_limit("64MB").build().unwrap();
/// let ds = vec![spillway::delayed(|| 1), spillway::delayed(|| 2)];
/// assert_eq!(spillway::delayed::compute_all_on(&ds, &client).unwrap(), vec![1, 2]);
/// client.close();
/// ```
pub fn compute_all_on<T: Clone + Send + Sync + 'static>(
    values: &[Delayed<T>],
    client: &Client,
) -> Result<Vec<T>> {
    Ok(compute_all_with_report(values, client)?.0)
}

/// [`compute_all_on`], also returning the run's report (tasks, time, peak reserved memory).
///
/// ```
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(2).memory_limit("64MB").build().unwrap();
/// let ds = vec![spillway::delayed(|| 1).memory("1MB"), spillway::delayed(|| 2)];
/// let (values, report) = spillway::delayed::compute_all_with_report(&ds, &client).unwrap();
/// assert_eq!(values, vec![1, 2]);
/// assert_eq!(report.tasks, 2);
/// assert!(report.peak_reserved_bytes >= 1_000_000);
/// client.close();
/// ```
pub fn compute_all_with_report<T: Clone + Send + Sync + 'static>(
    values: &[Delayed<T>],
    client: &Client,
) -> Result<(Vec<T>, RunReport)> {
    let roots: Vec<Arc<dyn TaskNode>> = values.iter().map(|d| d.node()).collect();
    let report = stage::run(&roots, client)?;
    let out = values
        .iter()
        .map(|d| d.task.outcome().map(|v| (*v).clone()))
        .collect::<Result<Vec<T>>>()?;
    Ok((out, report))
}
