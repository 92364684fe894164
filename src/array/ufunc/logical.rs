//! Logical operators on bool arrays: `logical_and/or/xor/not` and the `& | ^ !` operators.

use crate::array::Array;
use std::ops::{BitAnd, BitOr, BitXor, Not};

impl Array<bool> {
    /// `self and other`, elementwise (broadcast), as `np.logical_and`.
    ///
    /// ```
    /// let a = spillway::from_ndarray(ndarray::array![true, true, false], 2);
    /// let b = spillway::from_ndarray(ndarray::array![true, false, false], 2);
    /// assert_eq!(a.logical_and(&b).compute_vec().unwrap(), vec![true, false, false]);
    /// ```
    pub fn logical_and(&self, other: &Array<bool>) -> Array<bool> {
        self.binary("logical_and", other, |a: bool, b: bool| a & b)
    }

    /// `self or other`, elementwise, as `np.logical_or`.
    ///
    /// ```
    /// let a = spillway::from_ndarray(ndarray::array![true, false], 1);
    /// let b = spillway::from_ndarray(ndarray::array![false, false], 1);
    /// assert_eq!(a.logical_or(&b).compute_vec().unwrap(), vec![true, false]);
    /// ```
    pub fn logical_or(&self, other: &Array<bool>) -> Array<bool> {
        self.binary("logical_or", other, |a: bool, b: bool| a | b)
    }

    /// `self xor other`, elementwise, as `np.logical_xor`.
    ///
    /// ```
    /// let a = spillway::from_ndarray(ndarray::array![true, true], 1);
    /// let b = spillway::from_ndarray(ndarray::array![true, false], 1);
    /// assert_eq!(a.logical_xor(&b).compute_vec().unwrap(), vec![false, true]);
    /// ```
    pub fn logical_xor(&self, other: &Array<bool>) -> Array<bool> {
        self.binary("logical_xor", other, |a: bool, b: bool| a ^ b)
    }

    /// `not self`, elementwise, as `np.logical_not`.
    ///
    /// ```
    /// let a = spillway::from_ndarray(ndarray::array![true, false], 1);
    /// assert_eq!(a.logical_not().compute_vec().unwrap(), vec![false, true]);
    /// ```
    pub fn logical_not(&self) -> Array<bool> {
        self.unary("logical_not", |a: bool| !a)
    }
}

macro_rules! bool_operator {
    ($trait:ident, $method:ident, $f:ident) => {
        impl $trait<&Array<bool>> for &Array<bool> {
            type Output = Array<bool>;
            fn $method(self, rhs: &Array<bool>) -> Array<bool> {
                self.$f(rhs)
            }
        }
        impl $trait<Array<bool>> for Array<bool> {
            type Output = Array<bool>;
            fn $method(self, rhs: Array<bool>) -> Array<bool> {
                self.$f(&rhs)
            }
        }
    };
}

bool_operator!(BitAnd, bitand, logical_and);
bool_operator!(BitOr, bitor, logical_or);
bool_operator!(BitXor, bitxor, logical_xor);

impl Not for &Array<bool> {
    type Output = Array<bool>;
    fn not(self) -> Array<bool> {
        self.logical_not()
    }
}

impl Not for Array<bool> {
    type Output = Array<bool>;
    fn not(self) -> Array<bool> {
        self.logical_not()
    }
}
