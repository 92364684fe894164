//! spillway's element types as the numpy crate's. The real types are NumPy elements
//! themselves; spillway's [`Complex`](spillway::dtype::Complex) has the layout of
//! `num_complex::Complex` (NumPy's `complex64` and `complex128`: real part first, no
//! padding), so complex buffers cross between the two by a `bytemuck` cast, without a
//! copy.

use ndarray::{ArrayD, ArrayViewD};
use spillway::Element;
use spillway::array::dynamic::AnyElement;
use spillway::dtype::{Complex64, Complex128};

/// An element spillway holds and NumPy reads: `Np` is the numpy crate's element of the
/// same layout (`Self` for the real types, `num_complex::Complex<F>` for the complex
/// ones).
pub trait NumpyElement: Element + AnyElement {
    /// The numpy crate's element type with `Self`'s bytes.
    type Np: numpy::Element + Copy;

    /// `values` as NumPy's elements (the same memory).
    fn as_np(values: &[Self]) -> &[Self::Np];

    /// NumPy's elements as `Self` (the same memory).
    fn from_np(values: &[Self::Np]) -> &[Self];

    /// Owned values as NumPy's elements: the same buffer when the array owns exactly
    /// its elements in C order (what spillway's computations give), else one copy.
    fn into_np(values: ArrayD<Self>) -> ArrayD<Self::Np>;

    /// One NumPy element as `Self`.
    fn from_np_one(value: Self::Np) -> Self {
        Self::from_np(std::slice::from_ref(&value))[0]
    }

    /// A view of NumPy's elements copied into an owned array of `Self`.
    fn from_np_view(values: ArrayViewD<'_, Self::Np>) -> ArrayD<Self> {
        values.mapv(Self::from_np_one)
    }

    /// A view of `Self` copied into an owned array of NumPy's elements.
    fn to_np_owned(values: ArrayViewD<'_, Self>) -> ArrayD<Self::Np> {
        values.mapv(|v| Self::as_np(std::slice::from_ref(&v))[0])
    }
}

macro_rules! numpy_itself {
    ($($t:ty),*) => {$(
        impl NumpyElement for $t {
            type Np = $t;
            fn as_np(values: &[Self]) -> &[Self] {
                values
            }
            fn from_np(values: &[Self]) -> &[Self] {
                values
            }
            fn into_np(values: ArrayD<Self>) -> ArrayD<Self> {
                values
            }
        }
    )*};
}

numpy_itself!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8, bool);

macro_rules! numpy_complex {
    ($($t:ty => $np:ty),*) => {$(
        impl NumpyElement for $t {
            type Np = $np;
            fn as_np(values: &[Self]) -> &[$np] {
                bytemuck::cast_slice(values)
            }
            fn from_np(values: &[$np]) -> &[Self] {
                bytemuck::cast_slice(values)
            }
            fn into_np(values: ArrayD<Self>) -> ArrayD<$np> {
                let shape = values.shape().to_vec();
                let len = values.len();
                if !values.is_standard_layout() {
                    return Self::to_np_owned(values.view());
                }
                match values.into_raw_vec_and_offset() {
                    (buffer, offset) if buffer.len() == len && offset.unwrap_or(0) == 0 => {
                        let buffer: Vec<$np> = bytemuck::allocation::cast_vec(buffer);
                        ArrayD::from_shape_vec(shape, buffer)
                            .expect("a C-order buffer of as many elements as the shape")
                    }
                    (buffer, offset) => {
                        // a slice of a larger buffer: copy the elements out
                        let start = offset.unwrap_or(0);
                        let buffer: Vec<$np> = Self::as_np(&buffer[start..start + len]).to_vec();
                        ArrayD::from_shape_vec(shape, buffer)
                            .expect("a C-order buffer of as many elements as the shape")
                    }
                }
            }
        }
    )*};
}

numpy_complex!(Complex64 => numpy::Complex32, Complex128 => numpy::Complex64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complex_buffers_are_handed_over_without_a_copy() {
        let values = ArrayD::from_shape_vec(
            vec![2, 2],
            (0..4).map(|i| Complex128::new(i as f64, -1.0)).collect(),
        )
        .unwrap();
        let before = values.as_ptr() as usize;
        let np = Complex128::into_np(values);
        assert_eq!(np.as_ptr() as usize, before);
        assert_eq!(np[[1, 0]], numpy::Complex64::new(2.0, -1.0));
    }

    #[test]
    fn transposed_and_sliced_arrays_are_copied_in_c_order() {
        let values = ArrayD::from_shape_vec(
            vec![2, 3],
            (0..6).map(|i| Complex64::new(i as f32, 0.5)).collect(),
        )
        .unwrap();
        let t = Complex64::into_np(values.clone().reversed_axes());
        assert_eq!(t.shape(), &[3, 2]);
        assert_eq!(t[[2, 1]], numpy::Complex32::new(5.0, 0.5));
        let mut sliced = values;
        sliced.slice_collapse(ndarray::s![1.., ..]);
        let s = Complex64::into_np(sliced);
        assert_eq!(s.shape(), &[1, 3]);
        assert_eq!(s[[0, 0]], numpy::Complex32::new(3.0, 0.5));
    }
}
