//! Per-task cost of the planner and executor: a reduction over an array cut into very
//! many tiny chunks, so the work per task is negligible and the time is overhead.
//!
//! `SPILLWAY_TASKS` sets the chunk count (default 1,000,000).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spillway::{Client, ones};
use std::hint::black_box;

fn bench_tasks(c: &mut Criterion) {
    let tasks: usize = std::env::var("SPILLWAY_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let client = Client::builder()
        .memory_limit("1GB")
        .build()
        .expect("client");
    let mut group = c.benchmark_group("task_overhead");
    group.sample_size(10);
    group.throughput(Throughput::Elements(tasks as u64));
    group.bench_with_input(
        BenchmarkId::new("sum_of_one_element_chunks", tasks),
        &tasks,
        |b, &n| {
            b.iter(|| {
                let x = ones::<f64>(n, 1);
                let total = x.sum().compute_on(&client).expect("sum computes");
                black_box(total)
            })
        },
    );
    group.bench_with_input(BenchmarkId::new("plan_only", tasks), &tasks, |b, &n| {
        b.iter(|| black_box(ones::<f64>(n, 1).sum().npartitions()))
    });
    group.finish();
    client.close();
}

criterion_group!(benches, bench_tasks);
criterion_main!(benches);
