//! Bad input gives a typed error, never a panic, and the message names the offending
//! value (and, where there is one, what would be accepted).
//!
//! Building a client makes it the process-wide current one, and some tests here build
//! clients with tiny budgets, so every test of this file holds one lock.

use ndarray::{ArrayD, IxDyn, arr1};
use spillway::random::default_rng;
use spillway::util::size::SizeError;
use spillway::{
    Array, ArrayError, ChunkSpec, Client, Error, PlanError, arange, from_ndarray, ones, zeros,
};
use std::sync::{Mutex, MutexGuard};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // each test starts on an open current client (a client a test before closed stays
    // current, and computations on it fail with Closed)
    spillway::Client::builder()
        .build()
        .expect("a client with the machine's defaults");
    guard
}

/// The error an invalid lazy array carries, checked three ways: `error()`, `check()` and
/// `compute()` agree.
fn carried<T: spillway::Element>(a: &Array<T>) -> Error {
    let e = a.error().expect("the array should carry an error");
    assert_eq!(a.clone().check().err().as_ref(), Some(&e));
    assert_eq!(a.compute().err().as_ref(), Some(&e));
    // the Display of an invalid array says so
    assert!(a.to_string().starts_with("spillway.Array<invalid: "), "{a}");
    e
}

#[test]
fn shapes_that_cannot_broadcast() {
    let _g = serial();
    let a = zeros::<f64>([10, 3], 2);
    let b = zeros::<f64>([4], 2);
    let e = carried(&(&a + &b));
    let msg = e.to_string();
    assert!(
        matches!(
            &e,
            Error::Array(ArrayError::Broadcast { left, right, axis: 1, left_extent: 3, right_extent: 4 })
                if left == "(10, 3)" && right == "(4,)"
        ),
        "{e:?}"
    );
    assert!(msg.contains("(10, 3)") && msg.contains("(4,)"), "{msg}");
    assert!(msg.contains("equal or 1"), "{msg}");
    // the error survives later operations, reductions and comparisons
    let later = ((&a + &b) * 2.0).sum_axis(0).lt(1.0);
    assert_eq!(carried(&later), e);
    // and it is the same on the other side
    let msg = carried(&(&b - &a)).to_string();
    assert!(msg.contains("(4,) and (10, 3)"), "{msg}");
    // comparisons and zip_with check shapes too
    let msg = carried(&a.lt(&b)).to_string();
    assert!(msg.contains("(10, 3)") && msg.contains("(4,)"), "{msg}");
    let msg = carried(&a.zip_with(&b, |x, y| x * y)).to_string();
    assert!(msg.contains("(10, 3)") && msg.contains("(4,)"), "{msg}");
}

#[test]
fn axis_out_of_range() {
    let _g = serial();
    let x = ones::<f64>([3, 4], 2);
    let e = carried(&x.sum_axis(5));
    assert_eq!(
        e,
        Error::Array(ArrayError::AxisOutOfRange { axis: 5, ndim: 2 })
    );
    let msg = e.to_string();
    assert!(
        msg.contains("axis 5") && msg.contains("2 dimensions"),
        "{msg}"
    );
    assert!(msg.contains("-2..=1"), "{msg}");
    // negative axes too, and every reduction
    let msg = carried(&x.mean_axis(-3)).to_string();
    assert!(msg.contains("axis -3"), "{msg}");
    assert!(matches!(
        carried(&x.max_axis(2)),
        Error::Array(ArrayError::AxisOutOfRange { axis: 2, ndim: 2 })
    ));
    assert!(matches!(
        carried(&x.var_axes(&[0, 7], 0.0, false)),
        Error::Array(ArrayError::AxisOutOfRange { axis: 7, .. })
    ));
    assert!(matches!(
        carried(&x.any_axis(9)),
        Error::Array(ArrayError::AxisOutOfRange { axis: 9, .. })
    ));
    // a 0-d array has no axis 0
    let z = x.sum();
    assert!(matches!(
        carried(&z.sum_axis(0)),
        Error::Array(ArrayError::AxisOutOfRange { axis: 0, ndim: 0 })
    ));
}

#[test]
fn duplicate_axes() {
    let _g = serial();
    let x = ones::<f64>([3, 4, 5], 2);
    let e = carried(&x.sum_axes(&[0, 0], false));
    assert_eq!(e, Error::Array(ArrayError::DuplicateAxis { axis: 0 }));
    assert!(e.to_string().contains("axis 0"), "{e}");
    // 1 and -2 name the same axis of a 3-d array
    let e = carried(&x.std_axes(&[1, -2], 1.0, true));
    assert_eq!(e, Error::Array(ArrayError::DuplicateAxis { axis: 1 }));
    assert!(e.to_string().contains("axis 1"), "{e}");
    // a permutation with a repeated axis
    let e = carried(&x.transpose_axes(&[0, 0, 1]));
    assert!(
        matches!(&e, Error::Array(ArrayError::BadPermutation { axes, ndim: 3 }) if axes == &vec![0, 0, 1]),
        "{e:?}"
    );
    assert!(e.to_string().contains("[0, 0, 1]"), "{e}");
    let e = carried(&x.transpose_axes(&[1, 0]));
    assert!(e.to_string().contains("[1, 0]"), "{e}");
}

#[test]
fn zero_chunk_size() {
    let _g = serial();
    let e = carried(&zeros::<f64>([4, 4], [2, 0]));
    assert_eq!(e, Error::Array(ArrayError::ZeroChunk { axis: 1 }));
    let msg = e.to_string();
    assert!(
        msg.contains("chunk size 0") && msg.contains("axis 1"),
        "{msg}"
    );
    assert!(matches!(
        carried(&arange(0i64, 10, 1, 0)),
        Error::Array(ArrayError::ZeroChunk { axis: 0 })
    ));
    assert!(matches!(
        carried(&default_rng(0).random(10, 0)),
        Error::Array(ArrayError::ZeroChunk { axis: 0 })
    ));
    assert!(matches!(
        carried(&from_ndarray(arr1(&[1.0, 2.0]), 0)),
        Error::Array(ArrayError::ZeroChunk { .. })
    ));
}

#[test]
fn chunks_that_do_not_cover() {
    let _g = serial();
    let data = arr1(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    let e = carried(&from_ndarray(data.clone(), vec![vec![2, 2]]));
    assert_eq!(
        e,
        Error::Array(ArrayError::ChunksDoNotCover {
            axis: 0,
            chunks: vec![2, 2],
            extent: 5
        })
    );
    let msg = e.to_string();
    assert!(msg.contains("[2, 2]") && msg.contains('5'), "{msg}");
    // too long, or with an empty chunk
    assert!(
        carried(&from_ndarray(data.clone(), vec![vec![3, 3]]))
            .to_string()
            .contains("[3, 3]")
    );
    let msg = carried(&from_ndarray(data.clone(), vec![vec![5, 0]])).to_string();
    assert!(msg.contains("[5, 0]"), "{msg}");
    // chunks for the wrong number of axes
    let e = carried(&zeros::<f64>([5, 5], ChunkSpec::PerAxis(vec![2])));
    assert!(
        matches!(
            e,
            Error::Array(ArrayError::ChunkRank {
                got: 1,
                ndim: 2,
                ..
            })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("[2]"), "{e}");
    let e = carried(&from_ndarray(data, vec![vec![2, 3], vec![1]]));
    assert!(
        matches!(
            e,
            Error::Array(ArrayError::ChunkRank {
                got: 2,
                ndim: 1,
                ..
            })
        ),
        "{e:?}"
    );
}

#[test]
fn unparsable_chunk_bytes() {
    let _g = serial();
    let e = carried(&zeros::<f64>([100], "12 parsecs"));
    assert!(
        matches!(&e, Error::Array(ArrayError::BadChunkBytes { text, .. }) if text == "12 parsecs"),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("12 parsecs"), "{msg}");
    assert!(msg.contains("auto"), "{msg}");
    let msg = carried(&default_rng(0).random([10, 10], "-5MB")).to_string();
    assert!(msg.contains("-5MB"), "{msg}");
    let msg = carried(&ones::<u8>(10, "")).to_string();
    assert!(msg.contains("empty"), "{msg}");
}

#[test]
fn unparsable_memory_limit_in_the_client_builder() {
    let _g = serial();
    let err = Client::builder().memory_limit("1GXB").build().unwrap_err();
    assert!(
        matches!(
            &err,
            spillway::exec::client::RuntimeError::Size(SizeError::UnknownUnit { text, unit })
                if text == "1GXB" && unit == "GXB"
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("\"1GXB\"") && msg.contains("GXB"), "{msg}");
    assert!(msg.contains("512MiB"), "{msg}");
    // into the crate's error
    let as_error: Error = err.into();
    assert!(matches!(as_error, Error::Runtime(_)));
    // other bad settings
    let msg = Client::builder()
        .memory_limit("-1GB")
        .build()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("-1GB") && msg.contains("negative"), "{msg}");
    let msg = Client::builder()
        .memory_limit(0u64)
        .build()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("zero bytes"), "{msg}");
    let msg = Client::builder()
        .n_workers(0)
        .build()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("n_workers") && msg.contains('0'), "{msg}");
    let msg = Client::builder()
        .threads_per_worker(0)
        .build()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("threads_per_worker"), "{msg}");
}

#[test]
fn arange_with_step_zero() {
    let _g = serial();
    let e = carried(&arange(0i64, 5, 0, 2));
    assert!(
        matches!(
            &e,
            Error::Array(ArrayError::InvalidArgument { op: "arange", .. })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("step 0"), "{e}");
    let e = carried(&arange(0.0, 1.0, 0.0, 2));
    assert!(e.to_string().contains("step 0"), "{e}");
    let e = carried(&arange(0.0, 1.0, f64::NAN, 2));
    assert!(e.to_string().contains("NaN"), "{e}");
}

#[test]
fn arange_with_an_infinite_or_nan_bound() {
    let _g = serial();
    // before: "too many chunks" (the length saturated), which names neither bound
    for (x, name, what) in [
        (
            arange(0.0, f64::INFINITY, 1.0, 1000),
            "stop inf",
            "is infinite",
        ),
        (
            arange(f64::NEG_INFINITY, 0.0, 1.0, 1000),
            "start -inf",
            "is infinite",
        ),
        (
            arange(0.0, f64::NAN, 1.0, 1000),
            "stop NaN",
            "is not a number",
        ),
        (
            arange(f64::NAN, 1.0, 1.0, 1000),
            "start NaN",
            "is not a number",
        ),
        (
            arange(0.0, 1.0, f64::INFINITY, 1000),
            "step inf",
            "is infinite",
        ),
    ] {
        let e = carried(&x);
        assert!(
            matches!(
                &e,
                Error::Array(ArrayError::InvalidArgument { op: "arange", .. })
            ),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.contains(&format!("{name} {what}")), "{msg}");
        assert!(!msg.contains("chunks"), "{msg}");
    }
    let e = carried(&arange(0.0f32, f32::INFINITY, 1.0, 1000));
    assert!(e.to_string().contains("stop inf is infinite"), "{e}");
}

#[test]
fn integer_power_minus_one() {
    let _g = serial();
    let a = arange(1i64, 50, 3, 5);
    let e = carried(&a.powi(-1));
    assert!(
        matches!(
            &e,
            Error::Array(ArrayError::InvalidArgument { op: "power", .. })
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("-1"), "{msg}");
    assert!(msg.contains("astype::<f64>()"), "{msg}");
    // the suggested fix works
    let inv = a.astype::<f64>().powi(-1).compute_vec().unwrap();
    assert_eq!(inv[0], 1.0);
    assert_eq!(inv[1], 0.25);
    // float arrays accept negative powers; unsigned ones do not
    assert!(ones::<u8>(3, 1).powi(-2).check().is_err());
}

#[test]
fn min_of_an_empty_array() {
    let _g = serial();
    let empty = zeros::<f64>(0, 1);
    let e = carried(&empty.min());
    assert!(
        matches!(
            &e,
            Error::Array(ArrayError::InvalidArgument { op: "min", .. })
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("min") && msg.contains("[0]"), "{msg}");
    assert!(msg.contains("identity"), "{msg}");
    let e = carried(&zeros::<i64>([3, 0], 2).max_axis(1));
    assert!(e.to_string().contains("[3, 0]"), "{e}");
    // sums of empty arrays are fine (0), as in NumPy
    assert_eq!(empty.sum().compute_scalar().unwrap(), 0.0);
}

#[test]
fn bad_random_arguments() {
    let _g = serial();
    let rng = default_rng(1);
    let msg = carried(&rng.uniform(1.0, 0.0, 10, 5)).to_string();
    assert!(msg.contains("low=1") && msg.contains("high=0"), "{msg}");
    let msg = carried(&rng.uniform(0.0, f64::INFINITY, 10, 5)).to_string();
    assert!(msg.contains("inf"), "{msg}");
    let msg = carried(&rng.normal(0.0, -1.0, 10, 5)).to_string();
    assert!(msg.contains("scale=-1"), "{msg}");
    let msg = carried(&rng.integers(5, 5, 10, 5)).to_string();
    assert!(msg.contains("low=5") && msg.contains("high=5"), "{msg}");
}

#[test]
fn other_shape_errors() {
    let _g = serial();
    // more axes than supported
    let shape = vec![1usize; 9];
    let e = carried(&zeros::<f64>(shape, 1));
    assert!(
        matches!(e, Error::Array(ArrayError::TooManyDims { ndim: 9, .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains('9'), "{e}");
    // compute_scalar of an array with many elements
    let e = ones::<f64>([2, 3], 2).compute_scalar().unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("[2, 3]") && msg.contains("6 elements"),
        "{msg}"
    );
    // a 0-d array made from ndarray with wrong explicit chunks
    let z = from_ndarray(ArrayD::from_elem(IxDyn(&[]), 1.0f64), vec![vec![1]]);
    assert!(matches!(
        carried(&z),
        Error::Array(ArrayError::ChunkRank {
            got: 1,
            ndim: 0,
            ..
        })
    ));
}

#[test]
fn memory_limit_too_small_for_one_tile() {
    let _g = serial();
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(1)
        .memory_limit("1kB")
        .build()
        .unwrap();
    let x = default_rng(3).random(10_000, 1_000);
    let err = x.sum().compute_on(&client).unwrap_err();
    client.close();
    assert!(
        matches!(
            &err,
            Error::Plan(PlanError::TaskTooLarge { budget: 1000, .. })
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("memory budget"), "{msg}");
    assert!(msg.contains("1000 B"), "{msg}");
    assert!(msg.contains("[1000]"), "{msg}");
    // the same sum fits a sensible budget
    let fine = Client::builder()
        .n_workers(1)
        .threads_per_worker(1)
        .memory_limit("16MB")
        .build()
        .unwrap();
    let total = x.sum().compute_on(&fine).unwrap();
    fine.close();
    let total = total.into_iter().next().unwrap();
    assert!((4_000.0..6_000.0).contains(&total), "{total}");
}

#[test]
fn computed_result_larger_than_the_budget() {
    let _g = serial();
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("1MB")
        .build()
        .unwrap();
    // 500_000 float64 = 4 MB, in chunks of 50_000
    let x = default_rng(4).random(500_000, 50_000);
    assert_eq!(x.nbytes(), 4_000_000);
    let err = x.compute_on(&client).unwrap_err();
    client.close();
    match &err {
        Error::Plan(PlanError::TaskTooLarge {
            op,
            chunk_shape,
            needed,
            budget,
            suggestion,
            ..
        }) => {
            assert_eq!(op, "random");
            assert_eq!(chunk_shape, &vec![50_000]);
            assert!(*needed >= 4_000_000, "{needed}");
            assert_eq!(*budget, 1_000_000);
            assert!(!suggestion.is_empty());
            assert!(
                suggestion.contains("reduction") || suggestion.contains("memory limit"),
                "{suggestion}"
            );
        }
        other => panic!("expected Error::Plan, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.starts_with("random:"), "{msg}");
    assert!(msg.contains("[50000]"), "{msg}");
    assert!(msg.contains("MiB"), "{msg}");
    assert!(msg.contains("976.56 kiB"), "{msg}");
    assert!(msg.contains("raise the memory limit"), "{msg}");
    // elementwise work on it is refused the same way, naming the last op
    let small = Client::builder().memory_limit("1MB").build().unwrap();
    let err = (&x * 2.0).compute_on(&small).unwrap_err();
    small.close();
    assert!(err.to_string().starts_with("mul:"), "{err}");
}

#[test]
fn negative_chunk_sizes_other_than_minus_one() {
    let _g = serial();
    // -1 is Dask's "one chunk along the axis"
    let whole = zeros::<f64>([7, 3], -1);
    assert!(whole.error().is_none());
    assert_eq!(whole.chunks().as_vecs(), &[vec![7], vec![3]]);
    let e = carried(&zeros::<f64>([7, 3], -4));
    assert_eq!(e, Error::Array(ArrayError::NegativeChunk { size: -4 }));
    assert!(e.to_string().contains("-4"), "{e}");
    assert!(e.to_string().contains("-1"), "{e}");
}

#[test]
fn chunk_grids_too_large_to_track() {
    let _g = serial();
    // one element per chunk over 2^60 elements would need exabytes of metadata (2^61
    // float64 elements are refused earlier: their bytes overflow a u64)
    let e = carried(&zeros::<f64>(1usize << 60, 1));
    match &e {
        Error::Array(ArrayError::TooManyChunks {
            axis: 0, blocks, ..
        }) => {
            assert_eq!(*blocks, 1usize << 60)
        }
        other => panic!("expected TooManyChunks, got {other:?}"),
    }
    assert!(e.to_string().contains("use larger chunks"), "{e}");
}

#[test]
fn computing_on_a_closed_client() {
    let _g = serial();
    let c = Client::builder()
        .n_workers(1)
        .threads_per_worker(1)
        .memory_limit("16MB")
        .build()
        .unwrap();
    c.close();
    let e = ones::<f64>(10, 5).sum().compute_on(&c).unwrap_err();
    assert_eq!(e, Error::Runtime(spillway::RuntimeError::Closed));
    assert!(e.to_string().contains("closed"), "{e}");
}
