//! Element slices viewed as bytes, for stores that encode chunks.
//!
//! Only the eight primitive element types are viewed this way (checked by `TypeId`, so
//! an `Element` implemented elsewhere cannot make the casts unsound): all of them are
//! plain bytes without padding, and every byte pattern is a valid value for all but
//! `bool`, which is only read through [`fill_from_bytes`].

use std::any::TypeId;

use crate::dtype::Element;

/// Whether `T` is one of the primitive element types.
pub(crate) fn is_primitive<T: Element>() -> bool {
    let t = TypeId::of::<T>();
    [
        TypeId::of::<f64>(),
        TypeId::of::<f32>(),
        TypeId::of::<i64>(),
        TypeId::of::<i32>(),
        TypeId::of::<u64>(),
        TypeId::of::<u32>(),
        TypeId::of::<u8>(),
        TypeId::of::<bool>(),
    ]
    .contains(&t)
}

/// `data`'s bytes in native order; `None` for a non-primitive `T`.
pub(crate) fn as_bytes<T: Element>(data: &[T]) -> Option<&[u8]> {
    if !is_primitive::<T>() {
        return None;
    }
    // SAFETY: T is a primitive number or bool: no padding, every byte initialised.
    Some(unsafe { std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), size_of_val(data)) })
}

/// `out`'s bytes, writable, when any byte pattern is a valid `T` (not `bool`).
pub(crate) fn as_bytes_mut<T: Element>(out: &mut [T]) -> Option<&mut [u8]> {
    if !is_primitive::<T>() || TypeId::of::<T>() == TypeId::of::<bool>() {
        return None;
    }
    // SAFETY: T is a primitive number: no padding, every byte pattern is a valid value.
    Some(unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), size_of_val(out)) })
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
