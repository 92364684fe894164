//! The matmul_ooc pair at a CI-friendly size: `(a @ b).sum()` through spillway (blocked,
//! under a memory budget) against faer's in-memory product of the same values.
//!
//! Run with `cargo bench --bench matmul`; `SPILLWAY_MATMUL_N` (default 1024) and
//! `SPILLWAY_MATMUL_CHUNK` (default 256) set the size, `SPILLWAY_MATMUL_MEMORY` (default
//! 64MB) the budget.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spillway::{Client, random};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn matmul(c: &mut Criterion) {
    let n: usize = env_or("SPILLWAY_MATMUL_N", 1024);
    let chunk: usize = env_or("SPILLWAY_MATMUL_CHUNK", 256);
    let memory: String = env_or("SPILLWAY_MATMUL_MEMORY", "64MB".to_string());
    let client = Client::builder()
        .memory_limit(memory.as_str())
        .build()
        .expect("client");
    let rng = random::default_rng(42);
    let a = rng.random([n, n], chunk);
    let b = rng.random([n, n], chunk);
    let total = a.matmul(&b).sum();

    let mut group = c.benchmark_group("matmul");
    group.sample_size(10);
    group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
    group.bench_function(format!("spillway_n{n}_chunk{chunk}_sum"), |bench| {
        bench.iter(|| black_box(total.compute_on(&client).expect("product")))
    });

    let big = Client::builder()
        .memory_limit(spillway::MemoryLimit::Bytes(4 * (n * n * 8) as u64))
        .build()
        .expect("client");
    let av = a.compute_on(&big).expect("a");
    let bv = b.compute_on(&big).expect("b");
    let (av, bv) = (av.as_slice().unwrap(), bv.as_slice().unwrap());
    let mut out = vec![0.0f64; n * n];
    group.bench_function(format!("faer_n{n}_in_memory"), |bench| {
        bench.iter(|| {
            spillway::kernels::dense::gemm(&mut out, av, bv, n, n, n, false, faer::Par::rayon(0));
            black_box(out.iter().sum::<f64>())
        })
    });
    group.finish();
}

criterion_group!(benches, matmul);
criterion_main!(benches);
