//! Bad input to ufuncs, reductions and user functions: typed errors naming the value and
//! the fix, where NumPy or Dask would raise, and never a panic.

use spillway::array::user::blockwise::blockwise;
use spillway::array::user::overlap::Boundary;
use spillway::{ArrayError, Error, arange, from_ndarray, ones, where_, zeros};

fn message<T: spillway::Element>(a: spillway::Array<T>) -> String {
    match a.check() {
        Err(Error::Array(ArrayError::InvalidArgument { message, .. })) => message,
        Err(other) => other.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn percentile_outside_0_100_names_the_value() {
    let x = arange(0.0, 10.0, 1.0, 3);
    for q in [-1.0, 100.5, f64::NAN] {
        let e = x.percentile(q).unwrap_err().to_string();
        assert!(
            e.contains(&format!("q = {q}")) && e.contains("between 0 and 100"),
            "{e}"
        );
    }
    assert_eq!(x.percentile(100.0).unwrap(), 9.0);
    assert_eq!(x.percentile(0.0).unwrap(), 0.0);
}

#[test]
fn median_of_nothing_or_of_nan_is_nan_as_in_numpy() {
    assert!(zeros::<f64>(0, 1).median().unwrap().is_nan());
    let x = from_ndarray(ndarray::array![1.0, f64::NAN, 3.0], 2);
    assert!(x.median().unwrap().is_nan());
}

#[test]
fn histogram_refuses_zero_bins_bad_ranges_and_decreasing_edges() {
    let x = arange(0.0, 10.0, 1.0, 3);
    assert!(message(x.histogram(0, (0.0, 1.0)).0).contains("bins = 0"));
    let m = message(x.histogram(3, (2.0, 1.0)).0);
    assert!(m.contains("range (2, 1)") && m.contains("lo <= hi"), "{m}");
    assert!(message(x.histogram(3, (0.0, f64::INFINITY)).0).contains("finite"));
    let m = message(x.histogram_edges(&[0.0, 5.0, 4.0]));
    assert!(m.contains("edge 1 (5) is followed by edge 2 (4)"), "{m}");
    assert!(message(x.histogram_edges(&[1.0])).contains("at least 2"));
    assert!(message(x.histogram_edges(&[0.0, f64::NAN])).contains("monotonically"));
    // a degenerate range widens like NumPy's
    let (counts, edges) = x.histogram(2, (3.0, 3.0));
    assert_eq!(edges, vec![2.5, 3.0, 3.5]);
    assert_eq!(counts.compute_vec().unwrap(), vec![0, 1]);
}

#[test]
fn map_overlap_depth_larger_than_a_chunk_says_how_to_rechunk() {
    let x = ones::<f64>([10, 10], [2, 5]);
    let m = message(x.map_overlap(&[3, 1], Boundary::Reflect, |b| b.to_owned()));
    assert!(
        m.contains("depth 3 on axis 0") && m.contains("rechunk"),
        "{m}"
    );
    let m = message(x.map_overlap(&[1], Boundary::None, |b| b.to_owned()));
    assert!(m.contains("one depth per axis"), "{m}");
    // the last chunk may be shorter than the depth
    let y = ones::<f64>(7, 3).map_overlap(&[2], Boundary::Nearest, |b| b.to_owned());
    assert_eq!(y.compute_vec().unwrap(), vec![1.0; 7]);
}

#[test]
fn scalar_shifts_out_of_range_name_the_amount() {
    let x = arange(0i32, 4, 1, 2);
    let m = message(&x << 32);
    assert!(m.contains("shift amount 32") && m.contains("0..32"), "{m}");
    assert!(message(x.right_shift(-1)).contains("shift amount -1"));
    let y = arange(0u8, 4, 1, 2);
    assert!(message(&y >> 8).contains("uint8"));
}

#[test]
fn axes_out_of_range_and_empty_reductions_are_errors() {
    let x = ones::<f64>([3, 4], 2);
    assert!(matches!(
        x.argmax(Some(2), false).check(),
        Err(Error::Array(ArrayError::AxisOutOfRange {
            axis: 2,
            ndim: 2
        }))
    ));
    assert!(x.cumsum(-3).check().is_err());
    assert!(x.nanmin(Some(&[0, 0]), false).check().is_err());
    let empty = zeros::<f64>([0, 3], 1);
    assert!(message(empty.argmin(Some(0), false)).contains("zero-size"));
    assert!(message(empty.nanmax(None, false)).contains("zero-size"));
    assert!(
        message(empty.reduction(
            Some(&[0]),
            false,
            |xs: &[f64]| xs.len(),
            |a, b| a + b,
            |n: usize| n as i64
        ))
        .contains("zero-size")
    );
    // but these have identities, as in NumPy
    assert_eq!(empty.prod(None, false).compute_scalar().unwrap(), 1.0);
    assert_eq!(
        empty.nansum(Some(&[0]), false).compute_vec().unwrap(),
        vec![0.0; 3]
    );
    assert_eq!(
        empty.count_nonzero(None, false).compute_scalar().unwrap(),
        0
    );
}

#[test]
fn mismatched_operands_carry_broadcast_and_alignment_errors() {
    let a = ones::<f64>(4, 2);
    let b = ones::<f64>(3, 3);
    assert!(matches!(
        a.hypot(&b).check(),
        Err(Error::Array(ArrayError::Broadcast { .. }))
    ));
    assert!(matches!(
        where_(&a.gt(0.0), &a, &b).check(),
        Err(Error::Array(ArrayError::Broadcast { .. }))
    ));
    let c = ones::<f64>(4, 3);
    let m = message(blockwise(&[&a, &c], None, |bs, _| bs[0].to_owned()));
    assert!(m.contains("input 1") && m.contains("rechunk"), "{m}");
    let m = message(a.map_blocks_with(Some(vec![vec![1, 1, 1]]), |b, _| b.to_owned()));
    assert!(m.contains("3 blocks but the input has 2"), "{m}");
}

#[test]
fn errors_of_operands_propagate_through_new_ops() {
    let bad = ones::<f64>(3, 0);
    assert!(bad.error().is_some());
    assert!(bad.exp2().check().is_err());
    assert!(bad.cumsum(0).check().is_err());
    assert!(bad.histogram(2, (0.0, 1.0)).0.check().is_err());
    assert!(bad.median().is_err());
    assert!(bad.map_blocks(|b| b.to_owned()).check().is_err());
    assert!(where_(&bad.isnan(), 1.0, 2.0).check().is_err());
}
