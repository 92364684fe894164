//! What observers attach to a client through (observe's progress bar, traces and
//! dashboard use them; exec knows none of them): [`Monitor`]s, told of every computation,
//! and one [`StatusPage`], started by the builder, shown in the client's summary and
//! stopped by [`Client::close`].

use super::{Client, ClientInner, RuntimeError};
use crate::exec::monitor::Monitor;
use std::fmt;
use std::sync::{Arc, MutexGuard, PoisonError};

/// A page served for a client, such as observe's `Dashboard`: the builder starts it
/// ([`ClientBuilder::status_page`](super::ClientBuilder::status_page)), the client shows
/// its URL ([`Client::dashboard_url`], `Display`) and [`Client::close`] stops it.
///
/// ```
/// use spillway::exec::client::StatusPage;
///
/// struct Fixed;
/// impl StatusPage for Fixed {
///     fn url(&self) -> String {
///         "http://127.0.0.1:1/status".to_string()
///     }
///     fn stop(&self) {}
/// }
/// assert!(Fixed.url().ends_with("/status"));
/// ```
pub trait StatusPage: Send + Sync {
    /// Where to open it, such as `http://127.0.0.1:8787/status`.
    fn url(&self) -> String;
    /// Stops serving (idempotent); the client calls it once, from [`Client::close`].
    fn stop(&self);
}

/// Starts a status page for a client that was just built.
pub(super) type StartPage =
    Arc<dyn Fn(&Client) -> Result<Box<dyn StatusPage>, RuntimeError> + Send + Sync>;

/// A status page a builder starts: what it is (for the builder's `Debug`) and how.
#[derive(Clone)]
pub(super) struct PageRequest {
    /// Shown by the builder's `Debug`, such as `dashboard on 127.0.0.1:8787`.
    pub(super) what: String,
    /// Starts it.
    pub(super) start: StartPage,
}

impl fmt::Debug for PageRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

/// A [`Client`] handle that does not keep it alive.
pub(crate) struct WeakClient(std::sync::Weak<ClientInner>);

impl WeakClient {
    /// The client, if a strong handle still exists.
    pub(crate) fn upgrade(&self) -> Option<Client> {
        self.0.upgrade().map(|inner| Client { inner })
    }
}

impl Client {
    /// The URL of the client's status page, such as observe's dashboard
    /// (`http://127.0.0.1:PORT/status`), when the builder was given one
    /// (`DashboardExt::dashboard`, or [`ClientBuilder::status_page`](super::ClientBuilder::status_page));
    /// `None` without one and after [`close`](Self::close).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::{Client, DashboardExt};
    ///
    /// let plain = Client::builder().n_workers(1).memory_limit("64MB").build()?;
    /// assert_eq!(plain.dashboard_url(), None);
    /// let watched = Client::builder().n_workers(1).memory_limit("64MB").dashboard(":0").build()?;
    /// let url = watched.dashboard_url().unwrap();
    /// assert!(url.starts_with("http://127.0.0.1:"));
    /// watched.close();
    /// assert_eq!(watched.dashboard_url(), None);
    /// # plain.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dashboard_url(&self) -> Option<String> {
        self.lock_page().as_ref().map(|page| page.url())
    }

    /// A handle that does not keep the client alive (for a status page, which the client owns).
    pub(crate) fn downgrade(&self) -> WeakClient {
        WeakClient(Arc::downgrade(&self.inner))
    }

    pub(super) fn lock_page(&self) -> MutexGuard<'_, Option<Box<dyn StatusPage>>> {
        self.inner
            .page
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers an observer of this client's computations (progress, dashboard, traces).
    ///
    /// ```
    /// # use spillway::exec::monitor::Monitor;
    /// struct Quiet;
    /// impl Monitor for Quiet {}
    /// let client = spillway::Client::builder().memory_limit("64MB").build().unwrap();
    /// client.add_monitor(std::sync::Arc::new(Quiet));
    /// assert_eq!(client.monitors().len(), 1);
    /// client.close();
    /// ```
    pub fn add_monitor(&self, monitor: Arc<dyn Monitor>) {
        self.inner
            .monitors
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(monitor);
    }

    /// Unregisters an observer added with [`Client::add_monitor`] (compared by pointer).
    ///
    /// ```
    /// # use spillway::exec::monitor::Monitor;
    /// # use std::sync::Arc;
    /// struct Quiet;
    /// impl Monitor for Quiet {}
    /// let client = spillway::Client::builder().memory_limit("64MB").build().unwrap();
    /// let m: Arc<dyn Monitor> = Arc::new(Quiet);
    /// client.add_monitor(m.clone());
    /// client.remove_monitor(&m);
    /// assert!(client.monitors().is_empty());
    /// client.close();
    /// ```
    pub fn remove_monitor(&self, monitor: &Arc<dyn Monitor>) {
        self.inner
            .monitors
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|m| !Arc::ptr_eq(m, monitor));
    }

    /// The registered observers.
    ///
    /// ```
    /// let client = spillway::Client::builder().memory_limit("64MB").build().unwrap();
    /// assert!(client.monitors().is_empty());
    /// client.close();
    /// ```
    pub fn monitors(&self) -> Vec<Arc<dyn Monitor>> {
        self.inner
            .monitors
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
