//! Bytes on the wire between ranks: little helpers to write and read what stages export.
//!
//! Every rank runs the same binary on the same kind of machine, so plain values travel
//! as their in-memory bytes.

use super::MpiError;

/// Appends `value` to `out`.
pub(crate) fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// The bytes of plain values.
///
/// Only for the element types and reduction states of this crate: primitive numbers,
/// `bool` and structs of `f64`s, none of which has padding bytes.
pub(crate) fn bytes_of<T: Copy>(values: &[T]) -> &[u8] {
    // SAFETY: the slice is valid for `size_of_val(values)` bytes, and the types passed
    // here (see above) have no padding, so every byte is initialised.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size_of_val(values)) }
}

/// Values back from [`bytes_of`]'s output, made by the same binary (`fill` sizes the
/// buffer; its bytes are overwritten).
pub(crate) fn values_from<T: Copy>(bytes: &[u8], fill: T) -> Vec<T> {
    let size = size_of::<T>().max(1);
    let mut values = vec![fill; bytes.len() / size];
    let len = values.len() * size_of::<T>();
    // SAFETY: `values` owns `len` bytes; the bytes are those of values of `T` written by
    // `bytes_of` in a process running the same binary, so they form valid values.
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
        let back = values_from(bytes_of(&xs), 0.0f64);
        let same: Vec<u64> = back.iter().map(|x| x.to_bits()).collect();
        let want: Vec<u64> = xs.iter().map(|x| x.to_bits()).collect();
        assert_eq!(same, want);
        let flags = [true, false, true];
        assert_eq!(values_from(bytes_of(&flags), false), flags);
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
