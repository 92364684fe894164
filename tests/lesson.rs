//! Twins of every array example of the Dask lesson (`shared/lesson/dask-lesson.md`),
//! asserting the lesson's printed outputs where it shows them.
//!
//! Tests in this binary run on parallel threads, and a client that was current stays
//! current once closed (its computations then fail), so the lesson's clients are built
//! with `set_as_current(false)` and used with `compute_on`; the other tests compute on
//! the process's default client.

use ndarray::{Array2, ArrayD, Ix2};
use spillway::random::{self, default_rng};
use spillway::{Array, Client, DType, arange, compute_all};
use std::sync::Mutex;

/// Serialises the tests that touch the process-wide random generator (`random::seed`
/// and the module-level functions): its stream counter is shared by the whole binary.
static GLOBAL_RNG: Mutex<()> = Mutex::new(());

fn global_rng_lock() -> std::sync::MutexGuard<'static, ()> {
    GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// `np.arange(1, 50, 3)`, as the lesson prints it.
const NUMPY_ARANGE: [i64; 17] = [
    1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34, 37, 40, 43, 46, 49,
];

/// `(a_da ** 2).compute()` exactly as the lesson prints it. The listing drops one value:
/// it has 16 entries and goes 1, 16, 100, leaving out 7**2 = 49.
const LESSON_SQUARES_LISTING: [i64; 16] = [
    1, 16, 100, 169, 256, 361, 484, 625, 784, 961, 1156, 1369, 1600, 1849, 2116, 2401,
];

// ---------------------------------------------------------------------------------------
// a_da = da.arange(1, 50, 3, chunks=5)

#[test]
fn arange_matches_numpy_listing_and_shape() {
    // a_np = np.arange(1, 50, 3); print(a_np); a_np.shape  ->  [ 1 4 7 ... 49] (17,)
    let a = arange(1i64, 50, 3, 5);
    assert_eq!(a.shape(), &[17]);
    assert_eq!(a.compute_vec().unwrap(), NUMPY_ARANGE.to_vec());
    let computed = a.compute().unwrap();
    assert_eq!(computed.shape(), &[17]);
}

#[test]
fn arange_metadata_matches_lesson() {
    // print(a_da.dtype); print(a_da.shape); print(a_da.chunks); print(a_da.chunksize)
    // int64 / (17,) / ((5, 5, 5, 2),) / (5,)
    let a = arange(1i64, 50, 3, 5);
    assert_eq!(a.dtype().to_string(), "int64");
    assert_eq!(a.dtype(), DType::Int64);
    assert_eq!(a.shape(), &[17]);
    assert_eq!(a.chunks().to_string(), "((5, 5, 5, 2),)");
    assert_eq!(a.chunks().as_vecs(), &[vec![5, 5, 5, 2]]);
    assert_eq!(a.chunksize(), vec![5]);
    assert_eq!(a.numblocks(), vec![4]);
    assert_eq!(a.npartitions(), 4);
    assert_eq!(a.nbytes(), 17 * 8);
}

#[test]
fn arange_squared_computes_the_true_squares() {
    // (a_da ** 2).compute()
    let a = arange(1i64, 50, 3, 5);
    let squares = a.powi(2);
    // squaring is elementwise: same chunks, same dtype
    assert_eq!(squares.chunks().to_string(), "((5, 5, 5, 2),)");
    assert_eq!(squares.dtype(), DType::Int64);
    let got = squares.compute_vec().unwrap();
    let want: Vec<i64> = NUMPY_ARANGE.iter().map(|v| v * v).collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 17);
    // The lesson's printed listing drops one value (7**2 = 49): every value it does show
    // is in our result, in order, and the only value missing from it is 49.
    let missing: Vec<i64> = got
        .iter()
        .copied()
        .filter(|v| !LESSON_SQUARES_LISTING.contains(v))
        .collect();
    assert_eq!(missing, vec![49]);
    let without_49: Vec<i64> = got.iter().copied().filter(|&v| v != 49).collect();
    assert_eq!(without_49, LESSON_SQUARES_LISTING.to_vec());
}

// ---------------------------------------------------------------------------------------
// x = da.random.random(20, chunks=5); result = x.sum(); result.compute()

#[test]
fn random_sum_lies_in_range_and_matches_ndarray() {
    let _g = global_rng_lock();
    // the lesson's line, on the process-wide generator
    let x = random::random(20, 5);
    assert_eq!(x.chunks().to_string(), "((5, 5, 5, 5),)");
    assert_eq!(x.dtype(), DType::Float64);
    let total = x.sum().compute_scalar().unwrap();
    assert!((0.0..=20.0).contains(&total), "{total}");
    // 20 uniforms in [0, 1) sum far from the ends (mean 10, sd ~1.3)
    assert!((3.0..=17.0).contains(&total), "{total}");
    let values = x.compute().unwrap();
    assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
    // tolerance: 1e-12 relative; the lazy sum merges chunk partials in a tree, ndarray
    // sums in its own order, so the last bits may differ
    let reference: f64 = values.sum();
    assert!(
        (total - reference).abs() <= 1e-12 * reference.abs(),
        "{total} vs {reference}"
    );
}

#[test]
fn random_sum_of_a_fixed_generator_matches_ndarray() {
    let seed = 20_240_515;
    let x = default_rng(seed).random(20, 5);
    let total = x.sum().compute_scalar().unwrap();
    let values = default_rng(seed).random(20, 5).compute().unwrap();
    assert_eq!(values.shape(), &[20]);
    let reference: f64 = values.sum();
    assert!((0.0..=20.0).contains(&total), "{total}");
    // tolerance: 1e-12 relative (summation order differs, see above)
    assert!(
        (total - reference).abs() <= 1e-12 * reference.abs(),
        "{total} vs {reference}"
    );
    // seeding the process-wide generator gives the same stream as default_rng(seed)
    let _g = global_rng_lock();
    random::seed(seed);
    let global = random::random(20, 5).compute().unwrap();
    assert_eq!(global, values);
}

// ---------------------------------------------------------------------------------------
// x = da.random.random(size=(15, 15), chunks=(10, 5)); result = (x + x.T).sum()

#[test]
fn fifteen_by_fifteen_chunks_match_lesson() {
    let x = default_rng(7).random([15, 15], [10, 5]);
    assert_eq!(x.shape(), &[15, 15]);
    assert_eq!(x.chunks().to_string(), "((10, 5), (5, 5, 5))");
    assert_eq!(x.numblocks(), vec![2, 3]);
    assert_eq!(x.chunksize(), vec![10, 5]);
    // x.T reverses the chunks too
    assert_eq!(x.t().chunks().to_string(), "((5, 5, 5), (10, 5))");
    // the module-level twin of the lesson's line has the same layout
    let _g = global_rng_lock();
    let y = random::random([15, 15], [10, 5]);
    assert_eq!(y.chunks().to_string(), "((10, 5), (5, 5, 5))");
}

#[test]
fn x_plus_x_transpose_sum_matches_ndarray() {
    let x = default_rng(15).random([15, 15], [10, 5]);
    let v: Array2<f64> = x.compute().unwrap().into_dimensionality::<Ix2>().unwrap();
    let sym = &x + &x.t();
    let result = sym.sum().compute_scalar().unwrap();
    let reference_matrix = &v + &v.t();
    let reference: f64 = reference_matrix.sum();
    // tolerance: 1e-12 relative (chunk partials merged in a tree vs ndarray's order)
    assert!(
        (result - reference).abs() <= 1e-12 * reference.abs(),
        "{result} vs {reference}"
    );
    // 225 uniforms doubled: the lesson printed 222.7; anything near 225 is plausible
    assert!((150.0..300.0).contains(&result), "{result}");
    // elementwise the twin is exact, and symmetric
    let s: Array2<f64> = sym.compute().unwrap().into_dimensionality::<Ix2>().unwrap();
    assert_eq!(s, reference_matrix);
    assert_eq!(s, s.t());
}

#[test]
fn x_plus_x_transpose_on_the_global_generator_is_symmetric() {
    let x = {
        let _g = global_rng_lock();
        random::random([15, 15], [10, 5])
    };
    let s = (&x + &x.t()).compute().unwrap();
    let s: Array2<f64> = s.into_dimensionality::<Ix2>().unwrap();
    for i in 0..15 {
        for j in 0..15 {
            assert_eq!(s[[i, j]], s[[j, i]], "({i}, {j})");
        }
    }
    let total = (&x + &x.t()).sum().compute_scalar().unwrap();
    // tolerance: 1e-12 relative
    assert!((total - s.sum()).abs() <= 1e-12 * total.abs(), "{total}");
}

// ---------------------------------------------------------------------------------------
// dask_calculate_pi(10000000, 20)

/// The lesson's `dask_calculate_pi`, line for line; returns the estimate and `xy`.
fn dask_calculate_pi(size_in_bytes: usize, nchunks: usize) -> (f64, Array<f64>, Array<bool>) {
    let rand_array_shape = (size_in_bytes / 8 / 2, 2);
    let chunk_size = rand_array_shape.0 / nchunks;

    // 2D random array with positions (x, y)
    let xy = default_rng(2024).uniform(0.0, 1.0, rand_array_shape, chunk_size);

    // check if position (x, y) is in unit circle
    let xy_inside_circle = xy.powi(2).sum_axis(1).lt(1.0);

    // pi is the fraction of points in circle x 4
    let pi = 4.0 * xy_inside_circle.sum().astype::<f64>() / xy_inside_circle.size() as f64;

    // Do the computation
    let result = pi.compute_scalar().unwrap();
    (result, xy, xy_inside_circle)
}

#[test]
fn dask_calculate_pi_twin() {
    let (pi, xy, inside) = dask_calculate_pi(10_000_000, 20);
    // dask.array<uniform, shape=(625000, 2), dtpye=float64, chunksize=(31250, 2), ...>
    assert_eq!(xy.shape(), &[625_000, 2]);
    assert_eq!(xy.chunksize(), vec![31_250, 2]);
    assert_eq!(xy.numblocks(), vec![20, 1]);
    assert_eq!(
        xy.to_string(),
        "spillway.Array<uniform, shape=(625000, 2), dtype=float64, chunksize=(31250, 2)>"
    );
    // from 0.01 GB randomly chosen positions
    assert_eq!(xy.nbytes() as f64 / 1e9, 0.01);
    assert_eq!(inside.shape(), &[625_000]);
    assert_eq!(inside.size(), 625_000);
    // pi estimate within 0.01 (the lesson's error was 0.0046; sd here is ~0.002)
    assert!((pi - std::f64::consts::PI).abs() < 0.01, "{pi}");

    // the same estimate from the materialised points, on ndarray: bit for bit (the count
    // is an integer and x*x + y*y has one rounding order for two terms)
    let points: ArrayD<f64> = xy.compute().unwrap();
    let points = points.into_dimensionality::<Ix2>().unwrap();
    assert!(points.iter().all(|v| (0.0..1.0).contains(v)));
    let count = points
        .rows()
        .into_iter()
        .filter(|r| r[0] * r[0] + r[1] * r[1] < 1.0)
        .count();
    let reference = 4.0 * count as f64 / points.nrows() as f64;
    assert_eq!(pi.to_bits(), reference.to_bits(), "{pi} vs {reference}");
}

#[test]
fn module_level_uniform_pi_matches_lesson_repr() {
    // da.random.uniform on the module-level generator, as the lesson writes it
    let xy = {
        let _g = global_rng_lock();
        random::uniform(0.0, 1.0, (625_000, 2), 31_250)
    };
    assert_eq!(
        xy.to_string(),
        "spillway.Array<uniform, shape=(625000, 2), dtype=float64, chunksize=(31250, 2)>"
    );
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    let pi = (4.0 * inside.sum().astype::<f64>() / inside.size() as f64)
        .compute_scalar()
        .unwrap();
    assert!((pi - std::f64::consts::PI).abs() < 0.01, "{pi}");
}

// ---------------------------------------------------------------------------------------
// client = Client(n_workers=2, threads_per_worker=2, memory_limit='1GB'); client.close()

#[test]
fn client_of_the_lesson() {
    let client = Client::builder()
        .n_workers(2)
        .threads_per_worker(2)
        .memory_limit("1GB")
        // the other tests of this binary run meanwhile on the current client, which a
        // closed client would stay
        .set_as_current(false)
        .build()
        .unwrap();
    // Total threads: 4 / Workers: 2 / Total memory: 1.86 GiB
    assert_eq!(client.total_threads(), 4);
    assert_eq!(client.n_workers(), 2);
    assert_eq!(client.threads_per_worker(), 2);
    assert_eq!(client.memory_limit_per_worker(), 1_000_000_000);
    assert_eq!(client.total_memory(), 2_000_000_000);
    assert_eq!(client.pool().current_num_threads(), 4);
    assert_eq!(client.status().to_string(), "running");
    let shown = client.to_string();
    assert!(shown.contains("workers: 2"), "{shown}");
    assert!(shown.contains("total threads: 4"), "{shown}");
    assert!(shown.contains("1.00 GB"), "{shown}");
    assert!(shown.contains("1.86 GiB"), "{shown}");
    assert!(shown.contains("running"), "{shown}");
    // it computes
    let total = arange(1i64, 50, 3, 5).sum().compute_on(&client).unwrap();
    assert_eq!(
        total.iter().copied().collect::<Vec<i64>>(),
        vec![NUMPY_ARANGE.iter().sum::<i64>()]
    );
    // client.close()
    client.close();
    assert!(client.is_closed());
    assert_eq!(client.status().to_string(), "closed");
    assert!(client.to_string().contains("closed"));
    // built with set_as_current(false), it never was the current client
    assert!(!Client::current().same_client(&client));
    // closing twice is fine
    client.close();
    assert!(client.is_closed());
}

// ---------------------------------------------------------------------------------------
// calculate_pi(10000), and the five delayed calls computed together

/// The lesson's serial `calculate_pi`, on a lazy array with a single chunk (NumPy's
/// version has no chunks): returns the lazy estimate and the points.
fn calculate_pi(size_in_bytes: usize, seed: u64) -> (Array<f64>, Array<f64>) {
    let rand_array_shape = (size_in_bytes / 8 / 2, 2);
    let xy = default_rng(seed).uniform(0.0, 1.0, rand_array_shape, rand_array_shape.0.max(1));
    let xy_inside_circle = xy.powi(2).sum_axis(1).lt(1.0);
    let pi = 4.0 * xy_inside_circle.sum().astype::<f64>() / xy_inside_circle.size() as f64;
    (pi, xy)
}

#[test]
fn calculate_pi_of_ten_thousand_bytes() {
    // %time calculate_pi(10000)  ->  from 1e-05 GB randomly chosen positions
    let (pi, xy) = calculate_pi(10_000, 1);
    assert_eq!(xy.shape(), &[625, 2]);
    assert_eq!(xy.numblocks(), vec![1, 1]);
    assert_eq!(xy.nbytes() as f64 / 1e9, 1e-05);
    let pi = pi.compute_scalar().unwrap();
    // 625 points: the estimate is a multiple of 4/625 (the lesson got 3.072 = 4 * 480/625)
    let count = pi * 625.0 / 4.0;
    assert_eq!(count, count.round(), "{pi}");
    // sd of the estimate is ~0.066; 0.35 is over five sd
    assert!((pi - std::f64::consts::PI).abs() < 0.35, "{pi}");
}

#[test]
fn five_delayed_pis_computed_together() {
    // results = [dask.delayed(calculate_pi)(10000*(i+1)) for i in range(5)]; dask.compute(*results)
    let results: Vec<Array<f64>> = (0..5)
        .map(|i| calculate_pi(10_000 * (i + 1), 10 + i as u64).0)
        .collect();
    let together = compute_all(&results).unwrap();
    assert_eq!(together.len(), 5);
    for (i, (lazy, value)) in results.iter().zip(&together).enumerate() {
        let alone = lazy.compute_scalar().unwrap();
        assert_eq!(value.shape(), &[] as &[usize]);
        assert_eq!(value[[]].to_bits(), alone.to_bits(), "call {i}");
        let n = 625.0 * (i + 1) as f64;
        let count = alone * n / 4.0;
        assert_eq!(count, count.round(), "call {i}: {alone}");
        assert!(
            (alone - std::f64::consts::PI).abs() < 0.35,
            "call {i}: {alone}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// the other clients of the lesson, and the 100 GB exercise (planned, not computed)

#[test]
fn clients_of_the_array_and_pi_sections() {
    // client = Client(n_workers=2, threads_per_worker=1, memory_limit='1GB')
    let array_client = Client::builder()
        .n_workers(2)
        .threads_per_worker(1)
        .memory_limit("1GB")
        .set_as_current(false)
        .build()
        .unwrap();
    assert_eq!(array_client.total_threads(), 2);
    assert_eq!(array_client.total_memory(), 2_000_000_000);
    // client = Client(n_workers=5, threads_per_worker=1, memory_limit='1GB')
    let pi_client = Client::builder()
        .n_workers(5)
        .threads_per_worker(1)
        .memory_limit("1GB")
        .set_as_current(false)
        .build()
        .unwrap();
    assert_eq!(pi_client.total_threads(), 5);
    assert_eq!(pi_client.total_memory(), 5_000_000_000);
    let shown = pi_client.to_string();
    assert!(
        shown.contains("workers: 5") && shown.contains("4.66 GiB"),
        "{shown}"
    );
    // the pi is the same bits on either client (and on the default one)
    let xy = default_rng(31).uniform(0.0, 1.0, (625_000, 2), 31_250);
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    let pi = 4.0 * inside.sum().astype::<f64>() / inside.size() as f64;
    let a = pi.compute_on(&array_client).unwrap()[[]];
    let b = pi.compute_on(&pi_client).unwrap()[[]];
    array_client.close();
    pi_client.close();
    let c = pi.compute_scalar().unwrap();
    assert_eq!(a.to_bits(), b.to_bits());
    assert_eq!(a.to_bits(), c.to_bits());
    assert!((a - std::f64::consts::PI).abs() < 0.01, "{a}");
}

#[test]
fn hundred_gigabyte_exercise_is_planned_lazily() {
    // dask_calculate_pi(100000000000, 40) on Client(n_workers=5, threads_per_worker=4,
    // memory_limit='40GB'): nothing is computed here, only the graph's layout
    let client = Client::builder()
        .n_workers(5)
        .threads_per_worker(4)
        .memory_limit("40GB")
        .set_as_current(false)
        .build()
        .unwrap();
    assert_eq!(client.total_threads(), 20);
    assert_eq!(client.total_memory(), 200_000_000_000);
    client.close();
    let size_in_bytes = 100_000_000_000usize;
    let rand_array_shape = (size_in_bytes / 8 / 2, 2);
    let chunk_size = rand_array_shape.0 / 40;
    assert_eq!(chunk_size, 156_250_000);
    let xy = default_rng(1).uniform(0.0, 1.0, rand_array_shape, chunk_size);
    assert_eq!(
        xy.to_string(),
        "spillway.Array<uniform, shape=(6250000000, 2), dtype=float64, chunksize=(156250000, 2)>"
    );
    // print(f" Number of partitions/chunks is {xy.numblocks}")  ->  (40, 1)
    assert_eq!(xy.numblocks(), vec![40, 1]);
    assert_eq!(xy.nbytes(), 100_000_000_000);
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    assert_eq!(inside.size(), 6_250_000_000);
    assert_eq!(inside.chunks().as_vecs(), &[vec![156_250_000; 40]]);
    let pi = 4.0 * inside.sum().astype::<f64>() / inside.size() as f64;
    assert_eq!(pi.shape(), &[] as &[usize]);
    assert!(pi.error().is_none());
}
