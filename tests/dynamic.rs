//! `AnyArray`, the run-time-dtype array: NumPy's promotion table, weak scalars, and
//! results against typed arrays and known values.

use proptest::prelude::*;
use spillway::DType;
use spillway::array::dynamic::{AnyArray, AnyValues, BinaryOp, Reduction, Scalar};

/// `np.result_type(a, b).name` for spillway's dtypes, in `DType::ALL`'s order (printed
/// by NumPy 2.4.6).
#[rustfmt::skip]
const NUMPY_RESULT_TYPE: [[&str; 13]; 13] = [
    ["float64", "float64", "float64", "float64", "float64", "float64", "float64", "float64", "float64", "float64", "float64", "complex128", "complex128"],
    ["float64", "float32", "float64", "float64", "float32", "float32", "float64", "float64", "float32", "float32", "float32", "complex64", "complex128"],
    ["float64", "float64", "int64", "int64", "int64", "int64", "float64", "int64", "int64", "int64", "int64", "complex128", "complex128"],
    ["float64", "float64", "int64", "int32", "int32", "int32", "float64", "int64", "int32", "int32", "int32", "complex128", "complex128"],
    ["float64", "float32", "int64", "int32", "int16", "int16", "float64", "int64", "int32", "int16", "int16", "complex64", "complex128"],
    ["float64", "float32", "int64", "int32", "int16", "int8", "float64", "int64", "int32", "int16", "int8", "complex64", "complex128"],
    ["float64", "float64", "float64", "float64", "float64", "float64", "uint64", "uint64", "uint64", "uint64", "uint64", "complex128", "complex128"],
    ["float64", "float64", "int64", "int64", "int64", "int64", "uint64", "uint32", "uint32", "uint32", "uint32", "complex128", "complex128"],
    ["float64", "float32", "int64", "int32", "int32", "int32", "uint64", "uint32", "uint16", "uint16", "uint16", "complex64", "complex128"],
    ["float64", "float32", "int64", "int32", "int16", "int16", "uint64", "uint32", "uint16", "uint8", "uint8", "complex64", "complex128"],
    ["float64", "float32", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool", "complex64", "complex128"],
    ["complex128", "complex64", "complex128", "complex128", "complex64", "complex64", "complex128", "complex128", "complex64", "complex64", "complex64", "complex64", "complex128"],
    ["complex128", "complex128", "complex128", "complex128", "complex128", "complex128", "complex128", "complex128", "complex128", "complex128", "complex128", "complex128", "complex128"],
];

#[test]
fn promotion_is_numpys_result_type() {
    for (i, a) in DType::ALL.iter().enumerate() {
        for (j, b) in DType::ALL.iter().enumerate() {
            assert_eq!(
                a.promote(*b).name(),
                NUMPY_RESULT_TYPE[i][j],
                "{a} with {b}"
            );
        }
    }
}

#[test]
fn every_dtype_name_round_trips() {
    for d in DType::ALL {
        assert_eq!(DType::from_name(d.name()), Some(d));
    }
}

fn ints(values: &[i64]) -> AnyArray {
    AnyArray::from(spillway::from_ndarray(
        ndarray::Array1::from(values.to_vec()),
        2,
    ))
}

#[test]
fn integer_division_modulo_and_power_follow_numpy() {
    let a = ints(&[7, -7, 7, -7, 0]);
    let b = ints(&[2, 2, -2, -2, 3]);
    let get = |x: AnyArray| match x.compute().unwrap() {
        AnyValues::Int64(v) => v.into_raw_vec_and_offset().0,
        other => panic!("dtype {}", other.dtype()),
    };
    // np.floor_divide, np.remainder
    assert_eq!(get(a.binary(BinaryOp::FloorDiv, &b)), vec![3, -4, -4, 3, 0]);
    assert_eq!(get(a.binary(BinaryOp::Mod, &b)), vec![1, 1, -1, -1, 0]);
    assert_eq!(
        get(a.binary_scalar(BinaryOp::Pow, Scalar::Int(2), false)),
        vec![49, 49, 49, 49, 0]
    );
    let q = a.binary(BinaryOp::TrueDiv, &b);
    assert_eq!(q.dtype(), DType::Float64);
    assert_eq!(
        q.typed::<f64>().compute_vec().unwrap(),
        vec![3.5, -3.5, -3.5, 3.5, 0.0]
    );
}

#[test]
fn float_floor_division_matches_numpy_at_the_edges() {
    let a = AnyArray::from(spillway::from_ndarray(
        ndarray::arr1(&[7.0, -7.0, 0.5, -0.0, 1.0]),
        2,
    ));
    let b = AnyArray::from(spillway::from_ndarray(
        ndarray::arr1(&[2.0, 2.0, 0.1, 3.0, 0.0]),
        2,
    ));
    let got = a
        .binary(BinaryOp::FloorDiv, &b)
        .typed::<f64>()
        .compute_vec()
        .unwrap();
    // np.floor_divide([7, -7, 0.5, -0.0, 1], [2, 2, 0.1, 3, 0]) = [3, -4, 4, -0, inf]
    assert_eq!(&got[..3], &[3.0, -4.0, 4.0]);
    assert!(got[3] == 0.0 && got[3].is_sign_negative());
    assert!(got[4].is_infinite());
}

#[test]
fn bool_arithmetic_is_a_dtype_error_and_logic_stays_bool() {
    let t = AnyArray::from(spillway::arange(0i64, 4, 1, 2).gt(1));
    assert!(
        t.binary(BinaryOp::Sub, &t)
            .error()
            .unwrap()
            .to_string()
            .contains("bool")
    );
    assert_eq!(t.binary(BinaryOp::Add, &t).dtype(), DType::Bool);
    let counted = t.reduce(Reduction::Sum, None, false);
    assert_eq!(counted.dtype(), DType::Int64);
    assert_eq!(counted.typed::<i64>().compute_scalar().unwrap(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// `x + y` in the promoted dtype equals the typed computation, whatever the chunks.
    #[test]
    fn mixed_dtype_add_equals_the_typed_sum(n in 1usize..40, c1 in 1usize..10, c2 in 1usize..10, i in 0usize..13, j in 0usize..13) {
        let (da, db) = (DType::ALL[i], DType::ALL[j]);
        let base = AnyArray::from(spillway::arange(0i64, n as i64, 1, c1));
        let a = base.astype(da);
        let b = base.rechunk(c2).astype(db);
        let sum = a.binary(BinaryOp::Add, &b);
        let common = da.promote(db);
        prop_assert_eq!(sum.dtype(), common);
        let got = sum.typed::<f64>().compute_vec().unwrap();
        let expected = a.astype(common).typed::<f64>().compute_vec().unwrap().iter()
            .zip(b.astype(common).typed::<f64>().compute_vec().unwrap())
            .map(|(x, y)| if common == DType::Bool { ((*x != 0.0) | (y != 0.0)) as u8 as f64 } else { x + y })
            .collect::<Vec<_>>();
        // uint8 wraps as NumPy does
        let expected: Vec<f64> = if common == DType::UInt8 { expected.iter().map(|v| (*v as u64 % 256) as f64).collect() } else { expected };
        prop_assert_eq!(got, expected);
    }
}
