//! The lesson's Monte-Carlo pi through spillway, beside a hand-fused loop over the same
//! random numbers, so the cost of laziness is always visible.
//!
//! Sizes come from `SPILLWAY_PI_SIZES` (default `1GB,16GB`), e.g.
//! `SPILLWAY_PI_SIZES=1GB cargo bench --bench pi`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spillway::kernels::random::{fill_uniform_f64, stream_key};
use spillway::util::size::parse_bytes;
use spillway::{Client, random};
use std::hint::black_box;

/// spillway's pi: the lesson's lines, 40 chunks.
fn spillway_pi(size_in_bytes: u64, client: &Client) -> f64 {
    let n = (size_in_bytes / 16) as usize;
    let xy = random::default_rng(42).uniform(0.0, 1.0, (n, 2), (n / 40).max(1));
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    let pi = 4.0 * inside.sum().astype::<f64>() / inside.size() as f64;
    pi.compute_on(client).expect("pi computes")[[]]
}

/// The same count written by hand: one buffer per thread, generate, square, compare, count.
fn hand_fused_pi(size_in_bytes: u64, threads: usize) -> f64 {
    let points = size_in_bytes / 16;
    let key = stream_key(42, 0);
    const BLOCK: u64 = 4096;
    let blocks = points.div_ceil(BLOCK);
    let per_thread = blocks.div_ceil(threads as u64);
    let inside: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                s.spawn(move || {
                    let mut buf = vec![0.0f64; 2 * BLOCK as usize];
                    let mut count = 0u64;
                    let first = t * per_thread;
                    let last = ((t + 1) * per_thread).min(blocks);
                    for b in first..last {
                        let start = b * BLOCK;
                        let len = (points - start).min(BLOCK) as usize;
                        let xy = &mut buf[..2 * len];
                        fill_uniform_f64(key, 2 * start, 0.0, 1.0, xy);
                        count += xy
                            .chunks_exact(2)
                            .map(|p| (p[0] * p[0] + p[1] * p[1] < 1.0) as u64)
                            .sum::<u64>();
                    }
                    count
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    4.0 * inside as f64 / points as f64
}

fn bench_pi(c: &mut Criterion) {
    let sizes = std::env::var("SPILLWAY_PI_SIZES").unwrap_or_else(|_| "1GB,16GB".to_string());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit("1GB")
        .build()
        .expect("client");
    let mut group = c.benchmark_group("pi");
    group.sample_size(10);
    for text in sizes.split(',') {
        let size = parse_bytes(text.trim()).expect("SPILLWAY_PI_SIZES holds byte sizes");
        group.throughput(Throughput::Bytes(size));
        group.bench_with_input(BenchmarkId::new("spillway", text), &size, |b, &s| {
            b.iter(|| black_box(spillway_pi(s, &client)))
        });
        group.bench_with_input(BenchmarkId::new("hand_fused", text), &size, |b, &s| {
            b.iter(|| black_box(hand_fused_pi(s, threads)))
        });
    }
    group.finish();
    client.close();
}

criterion_group!(benches, bench_pi);
criterion_main!(benches);
