//! Byte views of element slices, for the thirteen dtypes only.
//!
//! The views are bytemuck's (no `unsafe` here); the spill store takes only spillway's
//! thirteen element types (checked by `TypeId`). `bool` is special on the way back in: only
//! 0 and 1 are valid, so bytes read from disk are checked and normalised before anyone
//! sees them as `bool`.

use std::any::type_name;

use crate::dtype::Element;
use crate::store::StoreError;

/// Whether `T` is one of the thirteen plain element types (the store layer's one check).
fn is_plain<T: Element>() -> bool {
    crate::store::bytes::is_primitive::<T>()
}

fn unsupported<T>() -> StoreError {
    StoreError::UnsupportedElement {
        type_name: type_name::<T>().to_string(),
    }
}

/// The bytes of `data` (native byte order).
pub(crate) fn as_bytes<T: Element>(data: &[T]) -> Result<&[u8], StoreError> {
    crate::store::bytes::as_bytes(data).ok_or_else(unsupported::<T>)
}

/// Fills `out` through a byte view with `fill`, then, for `bool`, checks every byte is
/// 0 or 1 (taking any other as 1, as a bool) and reports `Ok(false)` when one was not.
///
/// The numbers are filled in place (`Element::bytes_mut`, bytemuck's `Pod` cast); `bool`
/// is not `Pod` (only 0 and 1 are valid), so its bytes are filled into a scratch buffer
/// and checked on the way in.
pub(crate) fn fill_bytes<T: Element, E>(
    out: &mut [T],
    fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
) -> Result<Result<bool, E>, StoreError> {
    if !is_plain::<T>() {
        return Err(unsupported::<T>());
    }
    if let Some(bytes) = T::bytes_mut(out) {
        return Ok(fill(bytes).map(|()| true));
    }
    let mut bytes = vec![0u8; std::mem::size_of_val(out)];
    let filled = fill(&mut bytes);
    let mut valid = true;
    for (o, &b) in out.iter_mut().zip(&bytes) {
        valid &= b <= 1;
        *o = T::from_i128(i128::from(b != 0));
    }
    Ok(filled.map(|()| valid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_cover_whole_elements() {
        assert_eq!(as_bytes(&[1.0f64, 2.0]).unwrap().len(), 16);
        assert_eq!(as_bytes(&[1u32]).unwrap(), &1u32.to_ne_bytes());
        assert_eq!(as_bytes::<bool>(&[]).unwrap().len(), 0);
    }

    #[test]
    fn invalid_bools_are_normalised_and_reported() {
        let mut out = [false; 3];
        let ok = fill_bytes(&mut out, |b| {
            b.copy_from_slice(&[0, 1, 7]);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(ok, Ok(false));
        assert_eq!(out, [false, true, true]);
        let ok = fill_bytes(&mut out, |b| {
            b.copy_from_slice(&[1, 0, 1]);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(ok, Ok(true));
        assert_eq!(out, [true, false, true]);
    }
}
