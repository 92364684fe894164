//! Which stores are the same: [`StoreIdentity`], so a write whose target the same
//! computation reads can be refused before anything is touched.
//!
//! Stores on a file system compare by canonical path: the same directory, one inside the
//! other (a zarr array inside a group that is rewritten), through symbolic links or
//! relative paths alike. Stores in memory compare by the object itself.

use super::ChunkStore;
use crate::dtype::Element;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Where a store's data lives, for telling whether two stores share any of it.
///
/// ```
/// use spillway::store::StoreIdentity;
/// let dir = tempfile::tempdir().unwrap();
/// let group = StoreIdentity::at_path(dir.path().join("g.zarr"));
/// let inside = StoreIdentity::at_path(dir.path().join("g.zarr/./x"));
/// let beside = StoreIdentity::at_path(dir.path().join("y.zarr"));
/// assert!(group.overlaps(&inside) && inside.overlaps(&group));
/// assert!(!group.overlaps(&beside));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreIdentity {
    /// The store's location, for messages.
    location: String,
    /// The canonical path of a store on a file system.
    path: Option<PathBuf>,
    /// The address of a store object (0: none, a store not made yet).
    address: usize,
}

impl StoreIdentity {
    /// The identity of `store`: its canonical [`local_path`](ChunkStore::local_path)
    /// when it has one, else the store object itself.
    ///
    /// ```
    /// use spillway::store::{ChunkStore, MemoryStore, StoreIdentity};
    /// use std::sync::Arc;
    /// let a: Arc<dyn ChunkStore<f64>> = Arc::new(MemoryStore::<f64>::new(&[4], &[2], 0.0));
    /// let b: Arc<dyn ChunkStore<f64>> = Arc::new(MemoryStore::<f64>::new(&[4], &[2], 0.0));
    /// assert!(StoreIdentity::of(&a).overlaps(&StoreIdentity::of(&a.clone())));
    /// assert!(!StoreIdentity::of(&a).overlaps(&StoreIdentity::of(&b)));
    /// ```
    pub fn of<T: Element>(store: &Arc<dyn ChunkStore<T>>) -> Self {
        StoreIdentity {
            location: store.location(),
            path: store.local_path().map(canonical),
            address: Arc::as_ptr(store).cast::<()>() as usize,
        }
    }

    /// The identity of a store on a file system at `path`, which need not exist yet.
    ///
    /// ```
    /// use spillway::store::StoreIdentity;
    /// let a = StoreIdentity::at_path("/data/x.zarr");
    /// assert!(a.overlaps(&StoreIdentity::at_path("/data/../data/x.zarr/c/0")));
    /// assert_eq!(a.location(), "/data/x.zarr");
    /// ```
    pub fn at_path(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        StoreIdentity {
            location: path.display().to_string(),
            path: Some(canonical(path)),
            address: 0,
        }
    }

    /// Where the store is, as its own messages name it.
    ///
    /// ```
    /// assert_eq!(spillway::store::StoreIdentity::at_path("x.zarr").location(), "x.zarr");
    /// ```
    pub fn location(&self) -> &str {
        &self.location
    }

    /// True when the two stores share data: the same store object, or paths that are
    /// equal or one inside the other.
    ///
    /// ```
    /// use spillway::store::StoreIdentity;
    /// let root = StoreIdentity::at_path("/data");
    /// assert!(root.overlaps(&StoreIdentity::at_path("/data/x.zarr")));
    /// assert!(!root.overlaps(&StoreIdentity::at_path("/database")));
    /// ```
    pub fn overlaps(&self, other: &StoreIdentity) -> bool {
        match (&self.path, &other.path) {
            (Some(a), Some(b)) => a.starts_with(b) || b.starts_with(a),
            _ => self.address != 0 && self.address == other.address,
        }
    }

    /// How `self` relates to `other` in words, for messages: "is", "lies inside" or
    /// "contains".
    ///
    /// ```
    /// use spillway::store::StoreIdentity;
    /// let root = StoreIdentity::at_path("/data");
    /// let x = StoreIdentity::at_path("/data/x.zarr");
    /// assert_eq!(x.relation_to(&root), "lies inside");
    /// assert_eq!(root.relation_to(&x), "contains");
    /// assert_eq!(x.relation_to(&x), "is");
    /// ```
    pub fn relation_to(&self, other: &StoreIdentity) -> &'static str {
        match (&self.path, &other.path) {
            (Some(a), Some(b)) if a != b && a.starts_with(b) => "lies inside",
            (Some(a), Some(b)) if a != b && b.starts_with(a) => "contains",
            _ => "is",
        }
    }
}

/// `path` made absolute with its links resolved, as far as it exists; the rest (a store
/// not made yet) is appended with `.` and `..` resolved by name.
fn canonical(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |d| d.join(path))
    };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(found) = existing.canonicalize() {
            return lexical(found, rest.iter().rev());
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            // `..` at the end, or nothing exists at all: resolve every part by name
            _ => return lexical(PathBuf::new(), [absolute.as_os_str().to_os_string()].iter()),
        }
    }
}

/// `base` joined with `parts`, resolving `.` and `..` by name.
fn lexical<'a>(base: PathBuf, parts: impl Iterator<Item = &'a std::ffi::OsString>) -> PathBuf {
    let mut out = base;
    for part in parts {
        for component in Path::new(part).components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other.as_os_str()),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compare_through_links_and_relative_parts() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::create_dir(real.join("x.zarr")).unwrap();
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            assert!(
                StoreIdentity::at_path(link.join("x.zarr"))
                    .overlaps(&StoreIdentity::at_path(real.join("x.zarr")))
            );
        }
        let via_dots = dir.path().join("real/sub/../x.zarr/new");
        assert!(
            StoreIdentity::at_path(via_dots).overlaps(&StoreIdentity::at_path(real.join("x.zarr")))
        );
        assert!(
            !StoreIdentity::at_path(real.join("x.zarr"))
                .overlaps(&StoreIdentity::at_path(real.join("x.zarr2")))
        );
    }
}
