//! Spill overhead: the same computation with a budget that holds everything and with one
//! that forces its intermediate to spill to disk.
//!
//! The workload is a rows-to-columns rechunk of a zarr array followed by column sums: the
//! plan stages the rechunk through an intermediate store, which stays in memory under the
//! roomy budget and spills (shuffle + lz4 where it pays, raw for random values) under the
//! tight one. The ratio of the two times is the cost of spilling.
//!
//! Size from `SPILLWAY_SPILL_BENCH_MB` (default 256), e.g.
//! `SPILLWAY_SPILL_BENCH_MB=1024 cargo bench --bench spill`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spillway::array::zarr::ToZarr;
use spillway::store::zarr::Codec;
use spillway::{Client, from_zarr, random};
use std::hint::black_box;

fn bench_spill(c: &mut Criterion) {
    let megabytes: usize = std::env::var("SPILLWAY_SPILL_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let cols = 2048usize;
    let rows = (megabytes << 20) / 8 / cols;
    let row_chunk = (rows / 16).max(1);
    let col_chunk = cols / 16;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("x.zarr");
    let setup = Client::builder()
        .memory_limit("2GB")
        .build()
        .expect("client");
    random::default_rng(3)
        .random((rows, cols), (row_chunk, cols))
        .to_zarr_with(&path, &ToZarr::default().codec(Codec::None))
        .expect("input written");
    setup.close();
    let bytes = (rows * cols * 8) as u64;

    let mut group = c.benchmark_group("spill_overhead");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    // everything fits: 4x the data; spilling forced: a quarter of it
    for (name, limit) in [
        ("in_memory", (4 * bytes).to_string()),
        ("spilling", (bytes / 4).to_string()),
    ] {
        let client = Client::builder()
            .threads_per_worker(2)
            .memory_limit(limit.as_str())
            .build()
            .expect("client");
        group.bench_function(BenchmarkId::new(name, format!("{megabytes}MB")), |b| {
            b.iter(|| {
                let x = from_zarr::<f64>(&path);
                let (sums, report) = x
                    .rechunk((rows, col_chunk))
                    .sum_axis(0)
                    .compute_with_report()
                    .expect("computes");
                if name == "spilling" {
                    assert!(report.io.spilled_bytes > 0, "the tight budget spills");
                } else {
                    assert_eq!(
                        report.io.spilled_bytes, 0,
                        "the roomy budget does not spill"
                    );
                }
                black_box(sums)
            })
        });
        client.close();
    }
    group.finish();
}

criterion_group!(benches, bench_spill);
criterion_main!(benches);
