//! Byte views of element slices, for the eight dtypes only.
//!
//! `Element` is an open trait, so a byte view is granted only after checking, by
//! `TypeId`, that `T` is one of spillway's eight plain element types (no padding, every
//! byte initialised). `bool` is special on the way back in: only 0 and 1 are valid, so
//! bytes read from disk are checked and normalised before anyone sees them as `bool`.

use std::any::{TypeId, type_name};

use crate::dtype::Element;
use crate::store::StoreError;

/// Whether `T` is one of the eight plain element types (the store layer's one check).
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
/// 0 or 1 (normalising any other to 1 so the memory is a valid `bool` slice again) and
/// reports `Ok(false)` when one was not.
pub(crate) fn fill_bytes<T: Element, E>(
    out: &mut [T],
    fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
) -> Result<Result<bool, E>, StoreError> {
    if !is_plain::<T>() {
        return Err(unsupported::<T>());
    }
    let len = std::mem::size_of_val(out);
    // SAFETY: as in `as_bytes`, and the byte view is the only access to `out` until it is
    // dropped below; for bool the bytes are made 0 or 1 before `out` is used again.
    let bytes = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), len) };
    let filled = fill(bytes);
    let mut valid = true;
    if TypeId::of::<T>() == TypeId::of::<bool>() {
        for b in bytes.iter_mut() {
            if *b > 1 {
                *b = 1;
                valid = false;
            }
        }
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
