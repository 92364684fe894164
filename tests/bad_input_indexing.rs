//! Bad indices and shapes give typed errors where NumPy raises, never a panic, and the
//! message names the offending value and what would be accepted.

use spillway::{
    Array, ArrayError, Ellipsis, Error, IndexElem, arange, concatenate, s, stack, zeros,
};

/// The error an invalid lazy array carries: `error()`, `check()` and `compute()` agree.
fn carried<T: spillway::Element>(a: &Array<T>) -> Error {
    let e = a.error().expect("the array should carry an error");
    assert_eq!(a.clone().check().err().as_ref(), Some(&e));
    assert_eq!(a.compute().err().as_ref(), Some(&e));
    e
}

fn x() -> Array<i64> {
    arange(0i64, 24, 1, 5).reshape(&[2, 3, 4])
}

#[test]
fn integer_index_out_of_range() {
    let e = carried(&x().index(s![.., 3]));
    assert_eq!(
        e,
        Error::Array(ArrayError::IndexOutOfRange {
            index: 3,
            axis: 1,
            extent: 3
        })
    );
    assert_eq!(
        e.to_string(),
        "index 3 is out of bounds for axis 1 with size 3; use an index in -3..3"
    );
    let msg = carried(&x().index(s![-3])).to_string();
    assert!(
        msg.contains("index -3") && msg.contains("axis 0 with size 2"),
        "{msg}"
    );
    // slice bounds clamp instead, as in NumPy
    assert_eq!(x().index(s![-100..100, 5..]).shape(), &[2, 0, 4]);
}

#[test]
fn index_list_with_a_value_out_of_range() {
    let msg = carried(&x().index(s![.., .., [0, 4, 1]])).to_string();
    assert!(
        msg.contains("index 4") && msg.contains("axis 2 with size 4"),
        "{msg}"
    );
    let e = carried(&x().take(&[-5], 2));
    assert!(matches!(
        e,
        Error::Array(ArrayError::IndexOutOfRange {
            index: -5,
            axis: 2,
            extent: 4
        })
    ));
}

#[test]
fn zero_step() {
    let e = carried(&x().index(s![.., ..;0]));
    assert_eq!(e, Error::Array(ArrayError::ZeroStep { axis: 1 }));
    assert!(e.to_string().contains("step cannot be zero"), "{e}");
}

#[test]
fn mask_of_the_wrong_length() {
    let e = carried(&x().index(s![.., [true, false]]));
    assert_eq!(
        e,
        Error::Array(ArrayError::MaskLength {
            len: 2,
            axis: 1,
            extent: 3
        })
    );
    assert!(e.to_string().contains("give a mask of 3 values"), "{e}");
    // compress accepts a shorter condition (NumPy), not a longer one
    assert_eq!(x().compress(&[true], 1).shape(), &[2, 1, 4]);
    let msg = carried(&x().compress(&[true; 4], 1)).to_string();
    assert!(msg.contains("length 4") && msg.contains("size 3"), "{msg}");
}

#[test]
fn too_many_indices_and_more_than_one_list_or_ellipsis() {
    let e = carried(&x().index(s![0, 0, 0, 0]));
    assert_eq!(
        e,
        Error::Array(ArrayError::TooManyIndices { given: 4, ndim: 3 })
    );
    let msg = carried(&x().index(s![[0], [0]])).to_string();
    assert!(msg.contains("2 index lists"), "{msg}");
    let msg = carried(&x().index(s![Ellipsis, 0, Ellipsis])).to_string();
    assert!(msg.contains("single ellipsis"), "{msg}");
    let msg =
        carried(&zeros::<u8>([3], 1).index([IndexElem::Index(0), IndexElem::Index(0)])).to_string();
    assert!(msg.contains("1-dimensional, but 2 were indexed"), "{msg}");
}

#[test]
fn reshape_to_a_different_size() {
    let e = carried(&x().reshape(&[5, 5]));
    assert_eq!(
        e,
        Error::Array(ArrayError::ReshapeSize {
            size: 24,
            shape: "(5, 5)".into()
        })
    );
    assert_eq!(
        e.to_string(),
        "cannot reshape array of size 24 into shape (5, 5); the new shape must have 24 elements"
    );
    assert!(
        carried(&x().reshape(&[5, -1]))
            .to_string()
            .contains("size 24")
    );
    let msg = carried(&x().reshape(&[-1, -1])).to_string();
    assert!(msg.contains("at most one -1"), "{msg}");
    let msg = carried(&x().reshape(&[-2, 12])).to_string();
    assert!(msg.contains("(-2, 12)"), "{msg}");
}

#[test]
fn concatenate_and_stack_of_mismatched_shapes() {
    let a = zeros::<f64>([2, 3], 2);
    let b = zeros::<f64>([2, 4], 2);
    let e = carried(&concatenate([&a, &b], 0));
    assert_eq!(
        e.to_string(),
        "concatenate: array 1 has shape (2, 4) but array 0 has shape (2, 3); all shapes must match except along axis 0"
    );
    assert_eq!(concatenate([&a, &b], 1).shape(), &[2, 7]);
    let msg = carried(&concatenate([&a, &zeros::<f64>([6], 2)], 0)).to_string();
    assert!(msg.contains("(6,)"), "{msg}");
    let msg = carried(&stack([&a, &b], 0)).to_string();
    assert!(msg.starts_with("stack: array 1 has shape (2, 4)"), "{msg}");
    let none: [&Array<f64>; 0] = [];
    assert!(
        carried(&concatenate(none, 0))
            .to_string()
            .contains("at least one")
    );
    let scalar = zeros::<f64>(Vec::<usize>::new(), 1);
    let msg = carried(&concatenate([&scalar, &scalar], 0)).to_string();
    assert!(msg.contains("zero-dimensional"), "{msg}");
    // errors of the operands come through
    assert!(concatenate([&a.reshape(&[7]), &a], 0).check().is_err());
}

#[test]
fn bad_axes() {
    let axis_err = |a: Array<i64>, axis: isize, ndim: usize| {
        assert_eq!(
            carried(&a),
            Error::Array(ArrayError::AxisOutOfRange { axis, ndim })
        );
    };
    axis_err(x().swapaxes(0, 3), 3, 3);
    axis_err(x().moveaxis(-4, 0), -4, 3);
    axis_err(x().take(&[0], 5), 5, 3);
    axis_err(x().compress(&[true], -4), -4, 3);
    axis_err(x().flip(3), 3, 3);
    axis_err(x().roll(1, 3), 3, 3);
    axis_err(x().repeat(2, -5), -5, 3);
    axis_err(x().expand_dims(4), 4, 4);
    axis_err(x().squeeze(Some(3)), 3, 3);
    axis_err(concatenate([&x(), &x()], 3), 3, 3);
    axis_err(stack([&x(), &x()], -5), -5, 4);
    let msg = carried(&x().squeeze(Some(1))).to_string();
    assert!(msg.contains("axis 1 has size 3"), "{msg}");
}

#[test]
fn broadcast_and_pad_arguments() {
    let msg = carried(&x().broadcast_to(&[2, 5, 4])).to_string();
    assert!(
        msg.contains("(2, 3, 4)") && msg.contains("(2, 5, 4)"),
        "{msg}"
    );
    let msg = carried(&x().broadcast_to(&[3, 4])).to_string();
    assert!(msg.contains("to shape (3, 4)"), "{msg}");
    let msg = carried(&x().pad(&[(1, 1), (1, 1)], 0)).to_string();
    assert!(
        msg.contains("2 (before, after) pairs") && msg.contains("3 dimensions"),
        "{msg}"
    );
}

#[test]
fn too_many_dimensions() {
    let y = zeros::<u8>([1; 8], 1);
    let e = carried(&y.expand_dims(0));
    assert!(
        matches!(e, Error::Array(ArrayError::TooManyDims { ndim: 9, max: 8 })),
        "{e:?}"
    );
    assert!(carried(&y.reshape(&[1; 9])).to_string().contains("up to 8"));
    assert!(y.tile(&[1; 9]).check().is_err());
    assert!(y.index(s![spillway::NewAxis]).check().is_err());
}
