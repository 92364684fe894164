//! `pad` with a constant: the array concatenated, axis by axis, between constant blocks.

use super::concat::concatenate;
use crate::array::chunks::ChunkSpec;
use crate::array::creation::full;
use crate::array::{Array, ArrayError};
use crate::dtype::Element;

impl<T: Element> Array<T> {
    /// Pads with `value`, as `np.pad(x, pad_width, constant_values=value)`:
    /// `pad_width[i] = (before, after)` per axis, or one pair for every axis. Each pad is
    /// one chunk along its axis (Dask's chunks for a constant pad).
    ///
    /// ```
    /// let x = spillway::arange(1i64, 4, 1, 2);
    /// let p = x.pad(&[(2, 1)], 0);
    /// assert_eq!(p.compute().unwrap().iter().copied().collect::<Vec<_>>(), vec![0, 0, 1, 2, 3, 0]);
    /// assert_eq!(p.chunks().to_string(), "((2, 2, 1, 1),)");
    /// ```
    pub fn pad(&self, pad_width: &[(usize, usize)], value: T) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let nd = self.ndim();
        let widths: Vec<(usize, usize)> = match pad_width.len() {
            1 => vec![pad_width[0]; nd],
            n if n == nd => pad_width.to_vec(),
            n => {
                return Array::invalid(ArrayError::InvalidArgument {
                    op: "pad",
                    message: format!(
                        "{n} (before, after) pairs given for an array of {nd} dimensions; give one pair, or one per axis"
                    ),
                });
            }
        };
        let mut out = self.clone();
        for (axis, &(before, after)) in widths.iter().enumerate() {
            if before == 0 && after == 0 {
                continue;
            }
            let block = |width: usize, x: &Array<T>| {
                let mut shape = x.shape().to_vec();
                shape[axis] = width;
                let mut chunks = x.chunks().as_vecs().to_vec();
                chunks[axis] = vec![width];
                full(shape, value, ChunkSpec::Explicit(chunks))
            };
            let mut parts = Vec::new();
            if before > 0 {
                parts.push(block(before, &out));
            }
            parts.push(out.clone());
            if after > 0 {
                parts.push(block(after, &out));
            }
            out = concatenate(&parts, axis as isize);
        }
        out
    }
}
