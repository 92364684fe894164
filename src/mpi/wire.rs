//! Bytes on the wire between ranks: little helpers to write and read what stages export.
//!
//! Every rank runs the same binary on the same kind of machine, so plain values travel
//! as their in-memory bytes: element values through bytemuck's casts, reduction states
//! (any `Copy` type a reducer picks) through [`state_bytes_of`] and [`states_from`].

use super::MpiError;

/// Appends `value` to `out`.
pub(crate) fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// The bytes of plain values (bytemuck's cast: `NoUninit` types have no padding, so
/// every byte is initialised).
pub(crate) fn bytes_of<T: bytemuck::NoUninit>(values: &[T]) -> &[u8] {
    bytemuck::cast_slice(values)
}

/// Values back from [`bytes_of`]'s output; `None` when `bytes` is not a whole number of
/// values or holds a bit pattern that is no `T` (a `bool` other than 0 or 1).
pub(crate) fn values_from<T: bytemuck::CheckedBitPattern>(bytes: &[u8]) -> Option<Vec<T>> {
    let size = size_of::<T>();
    if size == 0 {
        return Some(Vec::new());
    }
    if !bytes.len().is_multiple_of(size) {
        return None;
    }
    bytes
        .chunks_exact(size)
        .map(|raw| bytemuck::checked::try_pod_read_unaligned(raw).ok())
        .collect()
}

/// The bytes of reduction states, which are any `Copy` type (user reductions pick
/// their own, `Option`s of tuples among them), so bytemuck's bounds cannot be asked of
/// them without changing the public `Array::reduction`.
///
/// Only for the reduction states of this crate's reducers and of user reductions made
/// by the same binary on every rank.
pub(crate) fn state_bytes_of<T: Copy>(values: &[T]) -> &[u8] {
    // SAFETY: the slice is valid for `size_of_val(values)` bytes. (A state type with
    // padding, such as an `Option` of a number, exposes uninitialised padding bytes
    // here; they are copied, never interpreted, and read back into the padding.)
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size_of_val(values)) }
}

/// States back from [`state_bytes_of`]'s output, made by the same binary (`fill` sizes
/// the buffer; its bytes are overwritten).
pub(crate) fn states_from<T: Copy>(bytes: &[u8], fill: T) -> Vec<T> {
    let size = size_of::<T>().max(1);
    let mut values = vec![fill; bytes.len() / size];
    let len = values.len() * size_of::<T>();
    // SAFETY: `values` owns `len` bytes; the bytes are those of values of `T` written by
    // `state_bytes_of` in a process running the same binary, so they form valid values.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), values.as_mut_ptr().cast::<u8>(), len);
    }
    values
}

/// Reads what [`put_u64`] and byte runs wrote, failing with [`MpiError::Corrupt`].
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader of `bytes`, which hold `what` (for errors).
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader {
            bytes,
            pos: 0,
            what,
        }
    }

    /// The error for malformed input.
    pub(crate) fn corrupt(&self) -> MpiError {
        MpiError::Corrupt {
            what: self.what.to_string(),
            detail: format!("malformed at byte {} of {}", self.pos, self.bytes.len()),
        }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], MpiError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(out)
            }
            None => Err(self.corrupt()),
        }
    }

    /// The next `u64`.
    pub(crate) fn u64(&mut self) -> Result<u64, MpiError> {
        let raw = self.take(8)?;
        Ok(u64::from_le_bytes(raw.try_into().expect("8 bytes")))
    }

    /// The next `u64`, as a `usize`.
    pub(crate) fn usize(&mut self) -> Result<usize, MpiError> {
        let v = self.u64()?;
        usize::try_from(v).map_err(|_| self.corrupt())
    }

    /// Bytes read so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_bytes() {
        let xs = [1.5f64, -0.0, f64::NAN, 3e300];
        let back = values_from::<f64>(bytes_of(&xs)).unwrap();
        let same: Vec<u64> = back.iter().map(|x| x.to_bits()).collect();
        let want: Vec<u64> = xs.iter().map(|x| x.to_bits()).collect();
        assert_eq!(same, want);
        let flags = [true, false, true];
        assert_eq!(values_from::<bool>(bytes_of(&flags)).unwrap(), flags);
        // not a bool, and not a whole number of values
        assert_eq!(values_from::<bool>(&[0, 2]), None);
        assert_eq!(values_from::<u32>(&[0, 0, 0]), None);
        let states = [(1.0f64, 2u64), (-3.5, u64::MAX)];
        let back = states_from(state_bytes_of(&states), (0.0, 0));
        assert_eq!(back, states);
    }

    #[test]
    fn reader_reads_back_and_refuses_short_input() {
        let mut out = Vec::new();
        put_u64(&mut out, 7);
        put_u64(&mut out, u64::MAX);
        out.extend_from_slice(&[1, 2, 3]);
        let mut r = Reader::new(&out, "test bytes");
        assert_eq!(r.u64().unwrap(), 7);
        assert_eq!(r.u64().unwrap(), u64::MAX);
        assert_eq!(r.take(3).unwrap(), &[1, 2, 3]);
        assert_eq!(r.position(), 19);
        let err = r.u64().unwrap_err().to_string();
        assert!(
            err.contains("test bytes") && err.contains("byte 19 of 19"),
            "{err}"
        );
    }
}
