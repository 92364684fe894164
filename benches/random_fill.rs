//! Throughput of the counter-based random fills at every SIMD level this CPU
//! supports, against the sequential `rand_xoshiro::SplitMix64` generator (the
//! same numbers, one at a time) as the scalar baseline.
//!
//! Run with `cargo bench --bench random_fill`; `SPILLWAY_SIMD=avx2` (or
//! `scalar`) lowers the level of the un-suffixed `dispatch` entries too.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::SplitMix64;
use spillway::kernels::random::{
    fill_integers_i64, fill_normal_f64, fill_u64, fill_uniform_f64, stream_key,
};
use spillway::kernels::simd::{SimdLevel, hardware_simd_level, simd_level, with_simd_level};

const LEN: usize = 1 << 16;

fn levels() -> Vec<SimdLevel> {
    SimdLevel::ALL
        .into_iter()
        .filter(|&level| level <= hardware_simd_level().min(simd_level()))
        .collect()
}

fn random_fill(c: &mut Criterion) {
    let key = stream_key(42, 0);
    let mut group = c.benchmark_group("random_fill");
    group.throughput(Throughput::Elements(LEN as u64));

    let mut words = vec![0u64; LEN];
    let mut floats = vec![0.0f64; LEN];
    let mut ints = vec![0i64; LEN];

    group.bench_function("splitmix64_sequential_u64", |b| {
        b.iter(|| {
            let mut rng = SplitMix64::seed_from_u64(black_box(key));
            for w in words.iter_mut() {
                *w = rng.next_u64();
            }
            black_box(&mut words);
        })
    });
    group.bench_function("splitmix64_sequential_uniform_f64", |b| {
        b.iter(|| {
            let mut rng = SplitMix64::seed_from_u64(black_box(key));
            for x in floats.iter_mut() {
                *x = f64::from_bits((rng.next_u64() >> 12) | 0x3ff0_0000_0000_0000) - 1.0;
            }
            black_box(&mut floats);
        })
    });

    for level in levels() {
        let name = level.name();
        group.bench_with_input(BenchmarkId::new("fill_u64", name), &level, |b, &level| {
            with_simd_level(level, || {
                b.iter(|| fill_u64(black_box(key), black_box(0), &mut words))
            })
        });
        group.bench_with_input(
            BenchmarkId::new("fill_uniform_f64", name),
            &level,
            |b, &level| {
                with_simd_level(level, || {
                    b.iter(|| fill_uniform_f64(black_box(key), black_box(0), 0.0, 1.0, &mut floats))
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("fill_uniform_f64_scaled", name),
            &level,
            |b, &level| {
                with_simd_level(level, || {
                    b.iter(|| {
                        fill_uniform_f64(black_box(key), black_box(0), -1.0, 1.0, &mut floats)
                    })
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("fill_normal_f64", name),
            &level,
            |b, &level| {
                with_simd_level(level, || {
                    b.iter(|| fill_normal_f64(black_box(key), black_box(0), 0.0, 1.0, &mut floats))
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("fill_integers_i64", name),
            &level,
            |b, &level| {
                with_simd_level(level, || {
                    b.iter(|| fill_integers_i64(black_box(key), black_box(0), -50, 50, &mut ints))
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, random_fill);
criterion_main!(benches);
