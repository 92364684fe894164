//! Progress as a switch on a client: [`install`] / [`uninstall`] a [`ProgressBar`], and
//! [`ProgressExt::show_progress`] on the client.

use super::{Progress, ProgressBar};
use crate::exec::client::Client;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Installs a [`ProgressBar`] with these settings on `client`, replacing one installed
/// before; returns it (to read its counts).
///
/// ```
/// use spillway::observe::progress::{install, uninstall, Progress};
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
/// let bar = install(&client, Progress::never());
/// install(&client, Progress::never());
/// assert_eq!(client.monitors().len(), 1);
/// spillway::ones::<f64>(10, 5).sum().compute_on(&client).unwrap();
/// assert!(uninstall(&client));
/// assert!(client.monitors().is_empty());
/// # drop(bar);
/// client.close();
/// ```
pub fn install(client: &Client, progress: Progress) -> Arc<ProgressBar> {
    uninstall(client);
    let bar = Arc::new(ProgressBar::new(progress));
    {
        let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
        installed.retain(|w| w.strong_count() > 0);
        installed.push(Arc::downgrade(&bar));
    }
    client.add_monitor(bar.clone());
    bar
}

/// Removes the bars [`install`] put on `client`; true when there was one.
///
/// ```
/// use spillway::observe::progress::uninstall;
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
/// assert!(!uninstall(&client));
/// client.close();
/// ```
pub fn uninstall(client: &Client) -> bool {
    let installed: Vec<Arc<ProgressBar>> = INSTALLED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    let mut removed = false;
    for monitor in client.monitors() {
        let ptr = Arc::as_ptr(&monitor).cast::<()>();
        if installed
            .iter()
            .any(|bar| std::ptr::eq(Arc::as_ptr(bar).cast::<()>(), ptr))
        {
            client.remove_monitor(&monitor);
            removed = true;
        }
    }
    removed
}

/// Bars put on clients by [`install`], to find them again in [`uninstall`].
static INSTALLED: Mutex<Vec<Weak<ProgressBar>>> = Mutex::new(Vec::new());

/// `client.show_progress(bool)`: the progress bar as a switch on the client.
///
/// ```
/// use spillway::observe::progress::ProgressExt;
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
/// client.show_progress(true);
/// assert_eq!(client.monitors().len(), 1);
/// client.show_progress(false);
/// assert!(client.monitors().is_empty());
/// client.close();
/// ```
pub trait ProgressExt {
    /// `true` installs a bar under the default rule ([`Progress::auto`]), `false`
    /// removes it.
    fn show_progress(&self, show: bool);
    /// Installs a bar with these settings (see [`install`]).
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressExt};
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
    /// let bar = client.progress(Progress::never());
    /// spillway::ones::<f64>(10, 5).sum().compute_on(&client).unwrap();
    /// assert_eq!(bar.stages()[0].done, 2);
    /// client.close();
    /// ```
    fn progress(&self, progress: Progress) -> Arc<ProgressBar>;
}

impl ProgressExt for Client {
    fn show_progress(&self, show: bool) {
        if show {
            install(self, Progress::auto());
        } else {
            uninstall(self);
        }
    }

    fn progress(&self, progress: Progress) -> Arc<ProgressBar> {
        install(self, progress)
    }
}
