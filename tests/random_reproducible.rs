//! Random arrays are a pure function of (seed, stream, global index): the same seed gives
//! the same bits whatever the chunking and whatever the number of threads.

mod common;
use common::chunking;
use ndarray::ArrayD;
use proptest::prelude::*;
use spillway::random::{Generator, default_rng};
use spillway::{Array, ChunkSpec, Client, Element};
use std::sync::OnceLock;

/// A 1-thread and a 2-thread client, built once for the whole binary (building a client
/// makes it the current one; both have ample memory for these sizes).
fn clients() -> &'static (Client, Client) {
    static CLIENTS: OnceLock<(Client, Client)> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let one = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .memory_limit("256MiB")
            .build()
            .unwrap();
        let two = Client::builder()
            .n_workers(1)
            .threads_per_worker(2)
            .memory_limit("256MiB")
            .build()
            .unwrap();
        (one, two)
    })
}

/// A shape of 1 to 3 axes with extents 0..40 and two chunkings of it.
fn shape_and_two_chunkings() -> impl Strategy<Value = (Vec<usize>, Vec<Vec<usize>>, Vec<Vec<usize>>)>
{
    proptest::collection::vec(0usize..40, 1..=3)
        .prop_flat_map(|shape| (Just(shape.clone()), chunking(&shape), chunking(&shape)))
}

fn spec(chunks: &[Vec<usize>]) -> ChunkSpec {
    ChunkSpec::Explicit(chunks.to_vec())
}

/// Bitwise equality of two float arrays (NaN-safe, tells -0.0 from 0.0).
fn same_bits_f64(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Makes four arrays (random, uniform, normal, integers) from a fresh generator of
/// `seed`, in that order, with `chunks`.
fn four(
    seed: u64,
    shape: &[usize],
    chunks: &[Vec<usize>],
) -> (Array<f64>, Array<f64>, Array<f64>, Array<i64>) {
    let rng = default_rng(seed);
    make_four(&rng, shape, chunks)
}

fn make_four(
    rng: &Generator,
    shape: &[usize],
    chunks: &[Vec<usize>],
) -> (Array<f64>, Array<f64>, Array<f64>, Array<i64>) {
    (
        rng.random(shape.to_vec(), spec(chunks)),
        rng.uniform(-3.5, 2.25, shape.to_vec(), spec(chunks)),
        rng.normal(10.0, 2.0, shape.to_vec(), spec(chunks)),
        rng.integers(-1000, 1_000_000, shape.to_vec(), spec(chunks)),
    )
}

fn check_shape_chunks<T: Element>(a: &Array<T>, shape: &[usize], chunks: &[Vec<usize>]) {
    assert_eq!(a.shape(), shape);
    assert_eq!(a.chunks().as_vecs(), chunks);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn same_seed_same_bits_whatever_the_chunking(
        (shape, ca, cb) in shape_and_two_chunkings(),
        seed in any::<u64>(),
    ) {
        let (ra, ua, na, ia) = four(seed, &shape, &ca);
        let (rb, ub, nb, ib) = four(seed, &shape, &cb);
        check_shape_chunks(&ra, &shape, &ca);
        check_shape_chunks(&ib, &shape, &cb);
        let (ra, rb) = (ra.compute().unwrap(), rb.compute().unwrap());
        let (ua, ub) = (ua.compute().unwrap(), ub.compute().unwrap());
        let (na, nb) = (na.compute().unwrap(), nb.compute().unwrap());
        let (ia, ib) = (ia.compute().unwrap(), ib.compute().unwrap());
        prop_assert_eq!(ra.shape(), &shape[..]);
        prop_assert!(same_bits_f64(&ra, &rb));
        prop_assert!(same_bits_f64(&ua, &ub));
        prop_assert!(same_bits_f64(&na, &nb));
        prop_assert_eq!(&ia, &ib);
        // ranges
        prop_assert!(ra.iter().all(|v| (0.0..1.0).contains(v)));
        prop_assert!(ua.iter().all(|v| (-3.5..2.25).contains(v)));
        prop_assert!(na.iter().all(|v| v.is_finite()));
        prop_assert!(ia.iter().all(|v| (-1000..1_000_000).contains(v)));
    }

    #[test]
    fn same_bits_on_one_and_two_threads(
        (shape, ca, cb) in shape_and_two_chunkings(),
        seed in any::<u64>(),
    ) {
        let (one, two) = clients();
        let (ra, ua, na, ia) = four(seed, &shape, &ca);
        let (rb, ub, nb, ib) = four(seed, &shape, &cb);
        prop_assert!(same_bits_f64(&ra.compute_on(one).unwrap(), &rb.compute_on(two).unwrap()));
        prop_assert!(same_bits_f64(&ua.compute_on(two).unwrap(), &ub.compute_on(one).unwrap()));
        prop_assert!(same_bits_f64(&na.compute_on(one).unwrap(), &nb.compute_on(two).unwrap()));
        prop_assert_eq!(ia.compute_on(two).unwrap(), ib.compute_on(one).unwrap());
        // the same array on both clients
        prop_assert!(same_bits_f64(&na.compute_on(one).unwrap(), &na.compute_on(two).unwrap()));
    }

    #[test]
    fn a_sub_block_of_an_array_is_the_same_region_of_a_bigger_chunking(
        n in 1usize..200,
        size_a in 1usize..50,
        size_b in 1usize..50,
        seed in any::<u64>(),
    ) {
        // 1-d: chunk boundaries anywhere, including odd offsets (pairs of normals must not
        // straddle chunks)
        let rng_a = default_rng(seed);
        let rng_b = default_rng(seed);
        let a = rng_a.normal(0.0, 1.0, n, size_a).compute().unwrap();
        let b = rng_b.normal(0.0, 1.0, n, size_b).compute().unwrap();
        prop_assert!(same_bits_f64(&a, &b));
        let whole = default_rng(seed).normal(0.0, 1.0, n, n).compute().unwrap();
        prop_assert!(same_bits_f64(&a, &whole));
    }

    #[test]
    fn different_seeds_differ(
        shape in proptest::collection::vec(2usize..12, 1..=3),
        seed in any::<u64>(),
        delta in 1u64..1_000_000,
    ) {
        let other = seed.wrapping_add(delta);
        let a = default_rng(seed).random(shape.clone(), 5).compute().unwrap();
        let b = default_rng(other).random(shape.clone(), 5).compute().unwrap();
        // at least 2 elements; two independent streams agreeing everywhere is impossible
        // in practice (2^-52 per element)
        prop_assert!(a.iter().zip(&b).any(|(x, y)| x != y));
        let ia = default_rng(seed).integers(0, i64::MAX, shape.clone(), 3).compute().unwrap();
        let ib = default_rng(other).integers(0, i64::MAX, shape.clone(), 3).compute().unwrap();
        prop_assert_ne!(ia, ib);
    }

    #[test]
    fn successive_arrays_of_one_generator_differ(
        shape in proptest::collection::vec(2usize..12, 1..=3),
        seed in any::<u64>(),
    ) {
        let rng = default_rng(seed);
        let first = rng.random(shape.clone(), 4).compute().unwrap();
        let second = rng.random(shape.clone(), 4).compute().unwrap();
        let third = rng.uniform(0.0, 1.0, shape.clone(), 4).compute().unwrap();
        prop_assert!(first.iter().zip(&second).any(|(x, y)| x != y));
        prop_assert!(second.iter().zip(&third).any(|(x, y)| x != y));
        prop_assert!(first.iter().zip(&third).any(|(x, y)| x != y));
        // and the sequence itself is reproducible: a fresh generator replays it
        let replay = default_rng(seed);
        let r1 = replay.random(shape.clone(), 3).compute().unwrap();
        let r2 = replay.random(shape.clone(), 7).compute().unwrap();
        prop_assert!(same_bits_f64(&first, &r1));
        prop_assert!(same_bits_f64(&second, &r2));
    }
}

#[test]
fn streams_depend_on_creation_order_not_on_compute_order() {
    let rng = default_rng(99);
    let a = rng.random([30, 7], [4, 3]);
    let b = rng.random([30, 7], [7, 7]);
    // computing b first changes nothing
    let vb = b.compute().unwrap();
    let va = a.compute().unwrap();
    let replay = default_rng(99);
    let wa = replay.random([30, 7], 30).compute().unwrap();
    let wb = replay.random([30, 7], 1).compute().unwrap();
    assert!(same_bits_f64(&va, &wa));
    assert!(same_bits_f64(&vb, &wb));
    assert_ne!(va, vb);
}

#[test]
fn every_chunk_spec_form_gives_the_same_bits() {
    let shape = [23, 9];
    let forms: Vec<ChunkSpec> = vec![
        5.into(),
        [23, 9].into(),
        [1, 2].into(),
        vec![vec![10, 13], vec![1, 8]].into(),
        "64B".into(),
        "auto".into(),
    ];
    let reference = default_rng(3).random(shape, 1).compute().unwrap();
    for form in forms {
        let x = default_rng(3).random(shape, form.clone());
        assert!(x.error().is_none(), "{form:?}");
        assert!(same_bits_f64(&x.compute().unwrap(), &reference), "{form:?}");
    }
}

#[test]
fn uniform_values_are_spread_over_the_interval() {
    // a sanity check that the generator is not degenerate: 10_000 uniforms have a mean
    // within 0.02 of 0.5 (sd of the mean ~0.003) and fill every tenth of [0, 1)
    let x = default_rng(1).random(10_000, 1000).compute().unwrap();
    let mean = x.mean().unwrap();
    assert!((mean - 0.5).abs() < 0.02, "{mean}");
    let mut bins = [0usize; 10];
    for v in &x {
        bins[(v * 10.0) as usize] += 1;
    }
    assert!(bins.iter().all(|&c| (800..1200).contains(&c)), "{bins:?}");
    // normals: mean within 0.05 of loc, sd within 0.05 of scale (10_000 samples)
    let n = default_rng(2)
        .normal(3.0, 1.5, 10_000, 999)
        .compute()
        .unwrap();
    let m = n.mean().unwrap();
    let sd = n.std(0.0);
    assert!((m - 3.0).abs() < 0.05, "{m}");
    assert!((sd - 1.5).abs() < 0.05, "{sd}");
}
