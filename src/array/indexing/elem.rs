//! Index elements and the `s!` macro that writes NumPy index tuples in Rust.

use std::ops::{Range, RangeFrom, RangeFull, RangeTo};

/// One entry of a NumPy index tuple.
///
/// Written with [`s!`](crate::s): `..` is `:`, `a..b` is `a:b`, `a..b;k` is `a:b:k`
/// (NumPy's meaning: with a negative step, counting down from `a`), an integer picks one
/// index and drops the axis, `[10, 1, 5]` is a fancy index, `[true, false, ..]` a boolean
/// mask, [`NewAxis`] inserts an axis of length 1 and [`Ellipsis`] stands for the axes
/// not written.
///
/// ```
/// use spillway::{s, IndexElem, NewAxis};
/// let idx = s![..100, 500..100;-2, 3, NewAxis, [10, 1, 5]];
/// assert_eq!(idx[0], IndexElem::Slice { start: None, stop: Some(100), step: 1 });
/// assert_eq!(idx[1], IndexElem::Slice { start: Some(500), stop: Some(100), step: -2 });
/// assert_eq!(idx[2], IndexElem::Index(3));
/// assert_eq!(idx[3], IndexElem::NewAxis);
/// assert_eq!(idx[4], IndexElem::List(vec![10, 1, 5]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexElem {
    /// `start:stop:step`; a missing bound takes NumPy's default for the step's sign.
    Slice {
        /// First index (negative counts from the end).
        start: Option<isize>,
        /// Bound not included (negative counts from the end).
        stop: Option<isize>,
        /// Stride; not zero.
        step: isize,
    },
    /// One index (negative counts from the end); the axis is dropped.
    Index(isize),
    /// Indices along the axis, in any order, repeats allowed (negative count from the end).
    List(Vec<isize>),
    /// A boolean mask as long as the axis: keeps the indices where it is true.
    Mask(Vec<bool>),
    /// A new axis of length 1 (NumPy's `None` / `np.newaxis`).
    NewAxis,
    /// As many full slices as the axes not indexed (NumPy's `...`).
    Ellipsis,
}

/// NumPy's `np.newaxis` for [`s!`](crate::s).
///
/// ```
/// use spillway::{s, NewAxis};
/// let x = spillway::zeros::<f64>([3, 4], 2);
/// assert_eq!(x.index(s![.., NewAxis, ..]).shape(), &[3, 1, 4]);
/// ```
#[allow(non_upper_case_globals)]
pub const NewAxis: IndexElem = IndexElem::NewAxis;

/// NumPy's `...` for [`s!`](crate::s).
///
/// ```
/// use spillway::{s, Ellipsis};
/// let x = spillway::zeros::<f64>([3, 4, 5], 2);
/// assert_eq!(x.index(s![Ellipsis, 1]).shape(), &[3, 4]);
/// ```
#[allow(non_upper_case_globals)]
pub const Ellipsis: IndexElem = IndexElem::Ellipsis;

impl IndexElem {
    /// The slice written `range;step` in [`s!`](crate::s).
    ///
    /// ```
    /// use spillway::IndexElem;
    /// assert_eq!(IndexElem::stepped(.., -1), IndexElem::Slice { start: None, stop: None, step: -1 });
    /// ```
    pub fn stepped(range: impl Into<IndexElem>, step: isize) -> IndexElem {
        match range.into() {
            IndexElem::Slice { start, stop, .. } => IndexElem::Slice { start, stop, step },
            // a step only applies to a range; anything else is kept as written
            other => other,
        }
    }
}

impl From<RangeFull> for IndexElem {
    fn from(_: RangeFull) -> Self {
        IndexElem::Slice {
            start: None,
            stop: None,
            step: 1,
        }
    }
}

macro_rules! int_conversions {
    ($($t:ty),*) => {$(
        impl From<$t> for IndexElem {
            fn from(i: $t) -> Self {
                IndexElem::Index(i as isize)
            }
        }
        impl From<Range<$t>> for IndexElem {
            fn from(r: Range<$t>) -> Self {
                IndexElem::Slice { start: Some(r.start as isize), stop: Some(r.end as isize), step: 1 }
            }
        }
        impl From<RangeFrom<$t>> for IndexElem {
            fn from(r: RangeFrom<$t>) -> Self {
                IndexElem::Slice { start: Some(r.start as isize), stop: None, step: 1 }
            }
        }
        impl From<RangeTo<$t>> for IndexElem {
            fn from(r: RangeTo<$t>) -> Self {
                IndexElem::Slice { start: None, stop: Some(r.end as isize), step: 1 }
            }
        }
        impl<const N: usize> From<[$t; N]> for IndexElem {
            fn from(v: [$t; N]) -> Self {
                IndexElem::List(v.iter().map(|&i| i as isize).collect())
            }
        }
        impl From<Vec<$t>> for IndexElem {
            fn from(v: Vec<$t>) -> Self {
                IndexElem::List(v.iter().map(|&i| i as isize).collect())
            }
        }
        impl From<&[$t]> for IndexElem {
            fn from(v: &[$t]) -> Self {
                IndexElem::List(v.iter().map(|&i| i as isize).collect())
            }
        }
    )*};
}

int_conversions!(i32, i64, isize, usize, u32);

impl<const N: usize> From<[bool; N]> for IndexElem {
    fn from(v: [bool; N]) -> Self {
        IndexElem::Mask(v.to_vec())
    }
}

impl From<Vec<bool>> for IndexElem {
    fn from(v: Vec<bool>) -> Self {
        IndexElem::Mask(v)
    }
}

impl From<&[bool]> for IndexElem {
    fn from(v: &[bool]) -> Self {
        IndexElem::Mask(v.to_vec())
    }
}

/// A NumPy index tuple, for [`Array::index`](crate::Array::index).
///
/// `s![..100, 500..100;-2]` is NumPy's `[:100, 500:100:-2]`: ranges are slices with
/// NumPy's clamping and negative-index rules, `;k` gives the step (a negative step counts
/// down from the start, unlike ndarray's `s!`), integers drop an axis, `[i, j, ..]` is a
/// fancy index and `[true, false, ..]` a boolean mask, [`NewAxis`](crate::NewAxis) and
/// [`Ellipsis`](crate::Ellipsis) are `None` and `...`.
///
/// ```
/// use spillway::s;
/// let x = spillway::random::random([1000, 1000], 100);
/// assert_eq!(x.index(s![..100, 500..100;-2]).shape(), &[100, 200]);
/// assert_eq!(x.index(s![.., [10, 1, 5]]).shape(), &[1000, 3]);
/// assert_eq!(x.index(s![3, ..]).shape(), &[1000]);
/// ```
#[macro_export]
macro_rules! s {
    // `500..100;-2` is NumPy's 500:100:-2, not an empty range: silence clippy's lint
    (@stepped $r:expr, $step:expr) => {{
        #[allow(clippy::reversed_empty_ranges)]
        let range = $r;
        $crate::IndexElem::stepped(range, $step)
    }};
    (@parse [$($acc:expr,)*]) => {
        ::std::vec![$($acc),*]
    };
    (@parse [$($acc:expr,)*] $r:expr ; $step:expr , $($rest:tt)*) => {
        $crate::s!(@parse [$($acc,)* $crate::s!(@stepped $r, $step),] $($rest)*)
    };
    (@parse [$($acc:expr,)*] $r:expr ; $step:expr) => {
        $crate::s!(@parse [$($acc,)* $crate::s!(@stepped $r, $step),])
    };
    (@parse [$($acc:expr,)*] $r:expr , $($rest:tt)*) => {
        $crate::s!(@parse [$($acc,)* $crate::IndexElem::from($r),] $($rest)*)
    };
    (@parse [$($acc:expr,)*] $r:expr) => {
        $crate::s!(@parse [$($acc,)* $crate::IndexElem::from($r),])
    };
    ($($t:tt)*) => {
        $crate::s!(@parse [] $($t)*)
    };
}
