//! The dashboard as a client-builder option: [`DashboardExt`] adds `.dashboard(address)`
//! to [`ClientBuilder`], through exec's status-page hook.

use super::Dashboard;
use crate::exec::client::{ClientBuilder, StatusPage};

/// Where [`DashboardExt::dashboard_default`] serves the dashboard (Dask's default port).
///
/// ```
/// assert_eq!(spillway::observe::dashboard::DEFAULT_DASHBOARD_ADDRESS, "127.0.0.1:8787");
/// ```
pub const DEFAULT_DASHBOARD_ADDRESS: &str = "127.0.0.1:8787";

/// `.dashboard(address)` on a [`ClientBuilder`]: the client serves a [`Dashboard`] once
/// built. Bring it into scope with `use spillway::DashboardExt;`.
///
/// ```
/// use spillway::{Client, DashboardExt};
///
/// let client = Client::builder().n_workers(1).memory_limit("64MB").dashboard("127.0.0.1:0").build()?;
/// assert!(client.dashboard_url().is_some());
/// client.close();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait DashboardExt: Sized {
    /// Serves a live status page ([`Dashboard`]) on `address` once the client is built,
    /// like Dask's dashboard: `"127.0.0.1:8787"`, `":8787"` (loopback), or
    /// `"127.0.0.1:0"` for a port the OS picks. Read the URL back with
    /// [`Client::dashboard_url`](crate::exec::client::Client::dashboard_url);
    /// [`Client::close`](crate::exec::client::Client::close) stops the server. The page has
    /// no authentication, so prefer loopback addresses.
    ///
    /// `build` then fails with
    /// [`RuntimeError::DashboardAddressInUse`](crate::exec::client::RuntimeError::DashboardAddressInUse)
    /// when the port is taken and
    /// [`RuntimeError::DashboardAddress`](crate::exec::client::RuntimeError::DashboardAddress)
    /// when the address is not usable.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::{Client, DashboardExt};
    ///
    /// let client = Client::builder().n_workers(1).memory_limit("64MB").dashboard("127.0.0.1:0").build()?;
    /// assert!(client.to_string().contains("dashboard: http://127.0.0.1:"));
    /// client.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    fn dashboard(self, address: impl Into<String>) -> Self;

    /// [`dashboard`](Self::dashboard) on Dask's default address, [`DEFAULT_DASHBOARD_ADDRESS`].
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::{Client, DashboardExt};
    ///
    /// // Building would bind port 8787; `.dashboard("127.0.0.1:0")` picks a free port instead.
    /// let builder = Client::builder().dashboard_default();
    /// assert!(format!("{builder:?}").contains("127.0.0.1:8787"));
    /// ```
    #[must_use]
    fn dashboard_default(self) -> Self {
        self.dashboard(DEFAULT_DASHBOARD_ADDRESS)
    }
}

impl DashboardExt for ClientBuilder {
    fn dashboard(self, address: impl Into<String>) -> Self {
        let address = address.into();
        self.status_page(format!("dashboard on {address}"), move |client| {
            Ok(Box::new(Dashboard::start(client, &address)?) as Box<dyn StatusPage>)
        })
    }
}
