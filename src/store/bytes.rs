//! Element slices viewed as bytes, for stores that encode chunks.
//!
//! The views are bytemuck's casts: every [`Element`] is `bytemuck::NoUninit` (no
//! padding), so reading its bytes is safe, and the numbers hand out a writable view
//! through [`Element::bytes_mut`] (`bytemuck::Pod`); `bool`, which not every byte pattern
//! is, is only filled through [`fill_from_bytes`]. Stores still accept only the thirteen
//! primitive element types (checked by `TypeId`), the ones they can name to zarr.

use std::any::TypeId;

use crate::dtype::Element;

/// Whether `T` is one of the primitive element types.
pub(crate) fn is_primitive<T: Element>() -> bool {
    TypeId::of::<T>() == T::DTYPE.type_id()
}

/// `data`'s bytes in native order; `None` for a non-primitive `T`.
pub(crate) fn as_bytes<T: Element>(data: &[T]) -> Option<&[u8]> {
    is_primitive::<T>().then(|| bytemuck::cast_slice(data))
}

/// `out`'s bytes, writable, when any byte pattern is a valid `T` (not `bool`).
pub(crate) fn as_bytes_mut<T: Element>(out: &mut [T]) -> Option<&mut [u8]> {
    if !is_primitive::<T>() {
        return None;
    }
    T::bytes_mut(out)
}

/// Fills `out` from native-order `bytes` (`bool`: any non-zero byte is true).
pub(crate) fn fill_from_bytes<T: Element>(bytes: &[u8], out: &mut [T]) {
    if let Some(dst) = as_bytes_mut(out) {
        dst.copy_from_slice(bytes);
    } else {
        for (o, &b) in out.iter_mut().zip(bytes) {
            *o = T::from_i128(i128::from(b != 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_s_rust_type_is_primitive() {
        assert!(is_primitive::<f64>() && is_primitive::<f32>() && is_primitive::<i64>());
        assert!(is_primitive::<i32>() && is_primitive::<i16>() && is_primitive::<i8>());
        assert!(is_primitive::<u64>() && is_primitive::<u32>() && is_primitive::<u16>());
        assert!(is_primitive::<u8>() && is_primitive::<bool>());
    }

    #[test]
    fn bytes_round_trip_every_primitive() {
        let x = [1.5f64, -2.0];
        let mut y = [0.0f64; 2];
        fill_from_bytes(as_bytes(&x).unwrap(), &mut y);
        assert_eq!(x, y);
        let mut b = [false; 3];
        fill_from_bytes(&[0, 1, 7], &mut b);
        assert_eq!(b, [false, true, true]);
        assert_eq!(as_bytes(&[true, false]).unwrap(), &[1, 0]);
        assert!(as_bytes_mut(&mut b).is_none());
    }
}
