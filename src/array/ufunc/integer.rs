//! Remainder (`%`) for every numeric type and the bitwise operators `& | ^ << >>` for
//! integer arrays, with NumPy's semantics and no panics:
//!
//! - `%` is `np.remainder`: the result takes the sign of the divisor; an integer `% 0`
//!   gives 0 (as the crate's floor division by zero does), a float `% 0` gives NaN.
//! - `<<` and `>>` by an array: shift amounts outside `0..bits` shift every bit out
//!   (`<<` gives 0, `>>` gives 0, or -1 for negative signed values), as NumPy does.
//!   A scalar shift amount outside `0..bits` is refused with a typed error instead.

use crate::array::{Array, ArrayError};
use crate::dtype::Numeric;
use std::ops::{BitAnd, BitOr, BitXor, Rem, Shl, Shr};

/// Numeric types with NumPy's remainder.
///
/// ```
/// use spillway::array::ufunc::integer::Remainder;
/// assert_eq!(<i64 as Remainder>::remainder(-7, 3), 2);
/// assert_eq!(<i64 as Remainder>::remainder(7, -3), -2);
/// assert_eq!(<i64 as Remainder>::remainder(7, 0), 0);
/// assert_eq!(<f64 as Remainder>::remainder(-1.0, 3.0), 2.0);
/// assert!(<f64 as Remainder>::remainder(1.0, 0.0).is_nan());
/// ```
pub trait Remainder: Numeric {
    /// `a mod b` with the sign of `b` (`np.remainder`).
    fn remainder(a: Self, b: Self) -> Self;
}

/// Integer element types with bitwise operations and shifts.
///
/// ```
/// use spillway::array::ufunc::integer::Integer;
/// assert_eq!(<i32 as Integer>::shl(1, 40), 0);
/// assert_eq!(<i32 as Integer>::shr(-8, 40), -1);
/// assert_eq!(<u8 as Integer>::shl(1, 3), 8);
/// ```
pub trait Integer: Remainder {
    /// Width in bits.
    const BITS: u32;
    /// `a & b`.
    fn and(a: Self, b: Self) -> Self;
    /// `a | b`.
    fn or(a: Self, b: Self) -> Self;
    /// `a ^ b`.
    fn xor(a: Self, b: Self) -> Self;
    /// `a << b`; 0 when `b` is negative or at least the width.
    fn shl(a: Self, b: Self) -> Self;
    /// `a >> b` (arithmetic for signed types); every bit shifted out when `b` is negative
    /// or at least the width.
    fn shr(a: Self, b: Self) -> Self;
    /// The shift amount as a `u32` when it lies in `0..BITS`.
    fn shift_amount(b: Self) -> Option<u32>;
}

macro_rules! float_remainder {
    ($($t:ty),*) => {$(
        impl Remainder for $t {
            #[inline(always)]
            fn remainder(a: Self, b: Self) -> Self {
                if b == 0.0 {
                    return <$t>::NAN;
                }
                let m = a % b;
                if m != 0.0 && ((m < 0.0) != (b < 0.0)) {
                    m + b
                } else if m == 0.0 {
                    (0.0 as $t).copysign(b)
                } else {
                    m
                }
            }
        }
    )*};
}

float_remainder!(f64, f32);

/// NumPy has no remainder of complex numbers: NaN parts (`AnyArray` refuses `%` of
/// complex operands before it gets here).
impl<F: crate::dtype::ComplexPart> Remainder for crate::dtype::Complex<F> {
    fn remainder(_: Self, _: Self) -> Self {
        crate::dtype::Complex::new(F::nan(), F::nan())
    }
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Remainder for $t {
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn remainder(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let m = a.wrapping_rem(b);
                if m != 0 && ((m < 0) != (b < 0)) { m.wrapping_add(b) } else { m }
            }
        }
        impl Integer for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline(always)]
            fn and(a: Self, b: Self) -> Self {
                a & b
            }
            #[inline(always)]
            fn or(a: Self, b: Self) -> Self {
                a | b
            }
            #[inline(always)]
            fn xor(a: Self, b: Self) -> Self {
                a ^ b
            }
            #[inline(always)]
            fn shl(a: Self, b: Self) -> Self {
                match Self::shift_amount(b) {
                    Some(s) => a << s,
                    None => 0,
                }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn shr(a: Self, b: Self) -> Self {
                match Self::shift_amount(b) {
                    Some(s) => a >> s,
                    None => if a < 0 { (0 as $t).wrapping_sub(1) } else { 0 },
                }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn shift_amount(b: Self) -> Option<u32> {
                if b >= 0 && (b as u64) < u64::from(<$t>::BITS) { Some(b as u32) } else { None }
            }
        }
    )*};
}

integer!(i64, i32, i16, i8, u64, u32, u16, u8);

impl<T: Integer> Array<T> {
    fn checked_shift(&self, label: &'static str, amount: T) -> Result<u32, ArrayError> {
        T::shift_amount(amount).ok_or_else(|| ArrayError::InvalidArgument {
            op: label,
            message: format!(
                "shift amount {amount} is out of range for {}; use an amount in 0..{}",
                T::DTYPE,
                T::BITS
            ),
        })
    }

    /// `self << amount` for a scalar amount; an amount outside `0..bits` is an error
    /// naming it.
    ///
    /// ```
    /// let x = spillway::arange(0i32, 4, 1, 2);
    /// assert_eq!(x.left_shift(2).compute_vec().unwrap(), vec![0, 4, 8, 12]);
    /// assert!(x.left_shift(32).check().is_err());
    /// ```
    pub fn left_shift(&self, amount: T) -> Array<T> {
        match self.checked_shift("left_shift", amount) {
            Ok(s) => self.unary("left_shift", move |a: T| T::shl(a, T::from_i128(s as i128))),
            Err(e) => Array::invalid(e),
        }
    }

    /// `self >> amount` for a scalar amount (arithmetic for signed types); an amount
    /// outside `0..bits` is an error naming it.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![-8i64, 8], 1);
    /// assert_eq!(x.right_shift(2).compute_vec().unwrap(), vec![-2, 2]);
    /// assert!(x.right_shift(-1).check().is_err());
    /// ```
    pub fn right_shift(&self, amount: T) -> Array<T> {
        match self.checked_shift("right_shift", amount) {
            Ok(s) => self.unary("right_shift", move |a: T| {
                T::shr(a, T::from_i128(s as i128))
            }),
            Err(e) => Array::invalid(e),
        }
    }

    /// `self << other` elementwise (broadcast); amounts outside `0..bits` give 0.
    ///
    /// ```
    /// let x = spillway::ones::<u8>(3, 2);
    /// let s = spillway::from_ndarray(ndarray::array![0u8, 7, 8], 2);
    /// assert_eq!(x.left_shift_by(&s).compute_vec().unwrap(), vec![1, 128, 0]);
    /// ```
    pub fn left_shift_by(&self, other: &Array<T>) -> Array<T> {
        self.binary("left_shift", other, T::shl)
    }

    /// `self >> other` elementwise (broadcast); amounts outside `0..bits` shift every
    /// bit out.
    ///
    /// ```
    /// let x = spillway::full(2, -16i32, 2);
    /// let s = spillway::from_ndarray(ndarray::array![2i32, 99], 2);
    /// assert_eq!(x.right_shift_by(&s).compute_vec().unwrap(), vec![-4, -1]);
    /// ```
    pub fn right_shift_by(&self, other: &Array<T>) -> Array<T> {
        self.binary("right_shift", other, T::shr)
    }
}

macro_rules! operator {
    ($trait:ident, $method:ident, $bound:ident, $label:literal, $f:path) => {
        impl<T: $bound> $trait<&Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                self.binary($label, rhs, $f)
            }
        }
        impl<T: $bound> $trait<Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                self.binary($label, &rhs, $f)
            }
        }
        impl<T: $bound> $trait<&Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                self.binary($label, rhs, $f)
            }
        }
        impl<T: $bound> $trait<Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                self.binary($label, &rhs, $f)
            }
        }
        impl<T: $bound> $trait<T> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.unary($label, move |a| $f(a, rhs))
            }
        }
        impl<T: $bound> $trait<T> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.unary($label, move |a| $f(a, rhs))
            }
        }
    };
}

operator!(Rem, rem, Remainder, "remainder", Remainder::remainder);
operator!(BitAnd, bitand, Integer, "bitwise_and", Integer::and);
operator!(BitOr, bitor, Integer, "bitwise_or", Integer::or);
operator!(BitXor, bitxor, Integer, "bitwise_xor", Integer::xor);

// `x << n` / `x >> n` with a scalar check the amount; with an array they broadcast.
impl<T: Integer> Shl<T> for &Array<T> {
    type Output = Array<T>;
    fn shl(self, rhs: T) -> Array<T> {
        self.left_shift(rhs)
    }
}
impl<T: Integer> Shl<T> for Array<T> {
    type Output = Array<T>;
    fn shl(self, rhs: T) -> Array<T> {
        self.left_shift(rhs)
    }
}
impl<T: Integer> Shr<T> for &Array<T> {
    type Output = Array<T>;
    fn shr(self, rhs: T) -> Array<T> {
        self.right_shift(rhs)
    }
}
impl<T: Integer> Shr<T> for Array<T> {
    type Output = Array<T>;
    fn shr(self, rhs: T) -> Array<T> {
        self.right_shift(rhs)
    }
}
impl<T: Integer> Shl<&Array<T>> for &Array<T> {
    type Output = Array<T>;
    fn shl(self, rhs: &Array<T>) -> Array<T> {
        self.left_shift_by(rhs)
    }
}
impl<T: Integer> Shr<&Array<T>> for &Array<T> {
    type Output = Array<T>;
    fn shr(self, rhs: &Array<T>) -> Array<T> {
        self.right_shift_by(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remainder_takes_the_sign_of_the_divisor() {
        for (a, b, want) in [
            (7i64, 3, 1),
            (-7, 3, 2),
            (7, -3, -2),
            (-7, -3, -1),
            (5, 0, 0),
        ] {
            assert_eq!(<i64 as Remainder>::remainder(a, b), want, "{a} % {b}");
        }
        assert_eq!(<i64 as Remainder>::remainder(i64::MIN, -1), 0);
        assert_eq!(<u8 as Remainder>::remainder(200, 7), 4);
        assert_eq!(<f64 as Remainder>::remainder(-0.0, 2.0), 0.0);
        assert!(<f64 as Remainder>::remainder(-4.0, -2.0).is_sign_negative());
    }

    #[test]
    fn operators_on_arrays() {
        let x = crate::arange(-4i64, 5, 1, 4);
        assert_eq!(
            (&x % 3).compute_vec().unwrap(),
            vec![2, 0, 1, 2, 0, 1, 2, 0, 1]
        );
        assert_eq!(
            (&x & 1).compute_vec().unwrap(),
            vec![0, 1, 0, 1, 0, 1, 0, 1, 0]
        );
        assert_eq!((&x << 1).compute_vec().unwrap()[0], -8);
        assert!((&x << 64).check().is_err());
    }
}
