//! Zarr stores of a dtype learnt at run time: [`AnyArray::from_zarr`] reads the store's
//! dtype from its metadata, then opens it typed.

use super::AnyArray;
use crate::array::stored::StoreReport;
use crate::array::zarr::ToZarr;
use crate::error::Result;
use crate::store::zarr::stored_dtype;
use std::path::Path;

impl AnyArray {
    /// Opens the zarr array at `path` in the dtype it was stored with, as `da.from_zarr`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("x.zarr");
    /// spillway::arange(0u32, 5, 1, 2).to_zarr(&path).unwrap();
    /// let x = AnyArray::from_zarr(&path).unwrap();
    /// assert_eq!(x.dtype(), spillway::DType::UInt32);
    /// assert!(AnyArray::from_zarr(dir.path().join("none")).is_err());
    /// ```
    pub fn from_zarr(path: impl AsRef<Path>) -> Result<AnyArray> {
        let path = path.as_ref();
        let dtype = stored_dtype(path).map_err(crate::error::Error::from)?;
        let array: AnyArray = with_dtype!(dtype, T => crate::from_zarr::<T>(path).into());
        match array.error() {
            Some(e) => Err(e),
            None => Ok(array),
        }
    }

    /// Writes the array to a zarr v3 store at `path`, as `to_zarr`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("x.zarr");
    /// let x = AnyArray::from(spillway::arange(0i32, 5, 1, 2));
    /// x.to_zarr(&path, &Default::default()).unwrap();
    /// assert_eq!(AnyArray::from_zarr(&path).unwrap().shape(), &[5]);
    /// ```
    pub fn to_zarr(&self, path: impl AsRef<Path>, how: &ToZarr) -> Result<StoreReport> {
        each!(self, a => a.to_zarr_with(path.as_ref(), how))
    }
}
