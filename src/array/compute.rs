//! Running the graph: `compute`, `compute_scalar`, `compute_all`.

use super::Array;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::exec::client::Client;
use crate::exec::report::RunReport;
use crate::graph::plan::{Plan, compute_many};
use ndarray::ArrayD;

impl<T: Element> Array<T> {
    /// Computes the array on the current [`Client`] and returns it as an ndarray.
    ///
    /// ```
    /// let a = spillway::arange(1i64, 50, 3, 5);
    /// let squares = a.powi(2).compute().unwrap();
    /// assert_eq!(squares.as_slice().unwrap()[..4], [1, 16, 49, 100]);
    /// ```
    pub fn compute(&self) -> Result<ArrayD<T>> {
        Ok(self.compute_with_report()?.0)
    }

    /// Computes on `client` instead of the current one.
    ///
    /// ```
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(2).memory_limit("64MiB").build().unwrap();
    /// let total = spillway::ones::<f64>(1000, 100).sum().compute_on(&client).unwrap();
    /// assert_eq!(total.into_iter().next(), Some(1000.0));
    /// client.close();
    /// ```
    pub fn compute_on(&self, client: &Client) -> Result<ArrayD<T>> {
        let (mut values, _) = compute_many(std::slice::from_ref(&self.expr), client)?;
        Ok(values.pop().expect("one result per root"))
    }

    /// Computes and also returns the run's report (tasks, time, peak memory).
    ///
    /// ```
    /// let (v, report) = spillway::ones::<f64>(100, 10).sum().compute_with_report().unwrap();
    /// assert_eq!(v.into_iter().next(), Some(100.0));
    /// assert!(report.tasks >= 10);
    /// ```
    pub fn compute_with_report(&self) -> Result<(ArrayD<T>, RunReport)> {
        let (mut values, report) =
            on_current(|client| Ok(compute_many(std::slice::from_ref(&self.expr), client)?))?;
        Ok((values.pop().expect("one result per root"), report))
    }

    /// Computes the array and returns its elements in row-major order.
    ///
    /// ```
    /// let a = spillway::arange(0i64, 4, 1, 3);
    /// assert_eq!(a.compute_vec().unwrap(), vec![0, 1, 2, 3]);
    /// ```
    pub fn compute_vec(&self) -> Result<Vec<T>> {
        Ok(self.compute()?.iter().copied().collect())
    }

    /// Computes a 0-d (or one-element) array and returns its value, as `float(x.compute())`.
    ///
    /// ```
    /// let n = spillway::ones::<bool>([4, 5], 2).sum().compute_scalar().unwrap();
    /// assert_eq!(n, 20i64);
    /// ```
    pub fn compute_scalar(&self) -> Result<T> {
        let values = self.compute()?;
        if values.len() != 1 {
            return Err(Error::Array(super::ArrayError::InvalidArgument {
                op: "compute_scalar",
                message: format!(
                    "the array has shape {:?} ({} elements); reduce it to one element first, or call compute()",
                    values.shape(),
                    values.len()
                ),
            }));
        }
        Ok(values.into_iter().next().expect("one element"))
    }
}

/// Computes several arrays of one dtype in one plan: reductions they share run once, and
/// the whole set is checked against the memory budget before anything runs.
///
/// ```
/// let x = spillway::random::random([100, 10], [10, 10]);
/// let y = (&x * 2.0).sum_axis(0);
/// let results = spillway::compute_all(&[x.sum(), x.mean(), y]).unwrap();
/// assert_eq!(results.len(), 3);
/// assert_eq!(results[2].shape(), &[10]);
/// ```
pub fn compute_all<T: Element>(arrays: &[Array<T>]) -> Result<Vec<ArrayD<T>>> {
    let exprs: Vec<_> = arrays.iter().map(|a| a.expr.clone()).collect();
    Ok(on_current(|client| Ok(compute_many(&exprs, client)?))?.0)
}

/// [`compute_all`], also returning the run's report (tasks, bytes read, peak memory).
///
/// ```
/// let x = spillway::random::random([100, 10], [10, 10]);
/// let (results, report) = spillway::compute_all_with_report(&[x.mean_axis(0), x.std(0.0)]).unwrap();
/// assert_eq!(results[0].shape(), &[10]);
/// assert_eq!(report.stages.len(), 1); // both reductions fold each tile of x once
/// ```
pub fn compute_all_with_report<T: Element>(
    arrays: &[Array<T>],
) -> Result<(Vec<ArrayD<T>>, RunReport)> {
    let exprs: Vec<_> = arrays.iter().map(|a| a.expr.clone()).collect();
    on_current(|client| Ok(compute_many(&exprs, client)?))
}

/// Arrays that can be computed together in one plan: tuples of array references of any
/// element types (Dask's `dask.compute(a, b)`).
pub trait ComputeTogether {
    /// The computed values, one ndarray per array.
    type Output;
    /// Computes all of them in one plan on `client`.
    fn compute_on(self, client: &Client) -> Result<Self::Output>;
}

macro_rules! compute_tuple {
    ($($name:ident : $t:ident),+) => {
        impl<'a, $($t: Element),+> ComputeTogether for ($(&'a Array<$t>,)+) {
            type Output = ($(ArrayD<$t>,)+);
            fn compute_on(self, client: &Client) -> Result<Self::Output> {
                let ($($name,)+) = self;
                let roots = vec![$($name.expr.clone().as_node()),+];
                let mut plan = Plan::new(&roots)?;
                $(let $name = plan.output(&$name.expr);)+
                let finished = plan.run(client)?;
                Ok(($(finished.take($name),)+))
            }
        }
    };
}

compute_tuple!(a: A);
compute_tuple!(a: A, b: B);
compute_tuple!(a: A, b: B, c: C);
compute_tuple!(a: A, b: B, c: C, d: D);

/// Computes a tuple of arrays of any element types in one plan, as `dask.compute(a, b)`:
/// reductions of a shared input fold each of its tiles once.
///
/// ```
/// let x = spillway::random::random([1000, 10], [100, 10]);
/// let inside = x.lt(0.5);
/// let (mean, count) = spillway::compute((&x.mean_axis(0), &inside.sum())).unwrap();
/// assert_eq!(mean.shape(), &[10]);
/// assert!(count[[]] > 4000 && count[[]] < 6000);
/// ```
pub fn compute<C: ComputeTogether + Copy>(arrays: C) -> Result<C::Output> {
    on_current(|client| arrays.compute_on(client))
}

/// Runs `f` on the current client. A client closed between being looked up and running
/// fails the computation with `Closed`; it never moves to another client (and budget).
pub(crate) fn on_current<R>(f: impl FnOnce(&Client) -> Result<R>) -> Result<R> {
    f(&Client::current())
}
