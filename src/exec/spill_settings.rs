//! Where and whether a client's computations spill intermediates to disk.

use std::path::PathBuf;

/// A client's spill settings: on by default, in `SPILLWAY_SPILL_DIR` or the system's
/// temporary directory, with a quota of 90% of that file system's free space unless one
/// is given. Set them with [`ClientBuilder::spill`](crate::ClientBuilder::spill),
/// [`spill_dir`](crate::ClientBuilder::spill_dir) and
/// [`spill_quota`](crate::ClientBuilder::spill_quota).
///
/// ```
/// let client = spillway::Client::builder().spill(false).build().unwrap();
/// assert!(!client.spill_settings().enabled);
/// client.close();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpillSettings {
    /// Spill intermediates that do not fit in the memory budget to disk; when false, such
    /// a computation fails with the budget's error instead.
    pub enabled: bool,
    /// The directory spill directories are made in (`None`: the default above).
    pub dir: Option<PathBuf>,
    /// The most bytes one computation may spill (`None`: the default above).
    pub quota: Option<u64>,
}

impl Default for SpillSettings {
    fn default() -> Self {
        SpillSettings {
            enabled: true,
            dir: None,
            quota: None,
        }
    }
}
