//! Spill codec throughput (bytes of raw f64 per second): the byte shuffle at every SIMD
//! level, shuffle + LZ4 encode and decode of 64 MB of random bits, of uniform [0, 1)
//! values and of a linspace, and a write + read-back of 64 MB through a spill directory,
//! as one 64 MB file and as 64 files of 1 MB.
//!
//! Run with `cargo bench --bench spill_codec`. Spill files go to `SPILLWAY_SPILL_DIR` or
//! the system temp dir, so the directory numbers include that file system's page cache.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spillway::kernels::random::{fill_u64, fill_uniform_f64, stream_key};
use spillway::kernels::shuffle::{shuffle, unshuffle};
use spillway::kernels::simd::{SimdLevel, hardware_simd_level, simd_level, with_simd_level};
use spillway::store::spill::SpillDir;
use spillway::store::spill::codec::{Scratch, decode, encode};

const LEN: usize = 8 << 20; // 64 MB of f64

fn inputs() -> Vec<(&'static str, Vec<f64>)> {
    let key = stream_key(7, 0);
    let mut bits = vec![0u64; LEN];
    fill_u64(key, 0, &mut bits);
    let random_bits = bits.iter().map(|&b| f64::from_bits(b)).collect();
    let mut uniform = vec![0.0; LEN];
    fill_uniform_f64(key, 0, 0.0, 1.0, &mut uniform);
    let linspace = (0..LEN).map(|i| i as f64 / (LEN - 1) as f64).collect();
    vec![
        ("random_bits", random_bits),
        ("uniform", uniform),
        ("linspace", linspace),
    ]
}

fn as_bytes(data: &[f64]) -> Vec<u8> {
    data.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn shuffle_levels(c: &mut Criterion) {
    let mut group = c.benchmark_group("spill_shuffle");
    group.sample_size(10);
    group.throughput(Throughput::Bytes((LEN * 8) as u64));
    let src = as_bytes(&inputs().swap_remove(1).1);
    let mut dst = vec![0u8; src.len()];
    let levels = SimdLevel::ALL
        .into_iter()
        .filter(|&l| l <= hardware_simd_level().min(simd_level()));
    for level in levels {
        group.bench_with_input(
            BenchmarkId::new("shuffle8", level.name()),
            &level,
            |b, &l| with_simd_level(l, || b.iter(|| shuffle(black_box(&src), &mut dst, 8))),
        );
        group.bench_with_input(
            BenchmarkId::new("unshuffle8", level.name()),
            &level,
            |b, &l| with_simd_level(l, || b.iter(|| unshuffle(black_box(&src), &mut dst, 8))),
        );
    }
    group.finish();
}

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("spill_codec");
    group.sample_size(10);
    group.throughput(Throughput::Bytes((LEN * 8) as u64));
    let mut scratch = Scratch::default();
    for (name, data) in inputs() {
        let raw = as_bytes(&data);
        let mut file = Vec::with_capacity(raw.len() + raw.len() / 8 + 64);
        let encode_once = |file: &mut Vec<u8>, scratch: &mut Scratch| {
            file.clear();
            encode(&raw, 8, scratch, &mut |piece| {
                file.extend_from_slice(piece);
                Ok::<(), ()>(())
            })
            .unwrap()
        };
        let enc = encode_once(&mut file, &mut scratch);
        eprintln!(
            "{name}: {} of {} bytes on disk ({:.1}%), {} lz4 frames, {} raw frames",
            enc.disk_bytes,
            raw.len(),
            100.0 * enc.disk_bytes as f64 / raw.len() as f64,
            enc.lz4_frames,
            enc.raw_frames
        );
        group.bench_function(BenchmarkId::new("encode", name), |b| {
            b.iter(|| encode_once(&mut file, &mut scratch))
        });
        let mut out = vec![0u8; raw.len()];
        let decode_once = |out: &mut [u8], scratch: &mut Scratch| {
            let mut at = 0;
            decode(
                out,
                8,
                scratch,
                &mut |buf: &mut [u8]| {
                    buf.copy_from_slice(&file[at..at + buf.len()]);
                    at += buf.len();
                    Ok::<(), String>(())
                },
                &|m| m,
            )
            .unwrap()
        };
        decode_once(&mut out, &mut scratch);
        assert!(out == raw, "{name}: the decoded bytes differ");
        group.bench_function(BenchmarkId::new("decode", name), |b| {
            b.iter(|| decode_once(&mut out, &mut scratch))
        });
    }
    group.finish();
}

fn spill_dir(c: &mut Criterion) {
    let mut group = c.benchmark_group("spill_dir_write_read");
    group.sample_size(10);
    group.throughput(Throughput::Bytes((LEN * 8) as u64));
    let dir = SpillDir::new().unwrap();
    let mut out = vec![0.0f64; LEN];
    for (name, data) in inputs() {
        for chunk in [LEN, 1 << 17] {
            let files: Vec<_> = data
                .chunks(chunk)
                .map(|part| dir.write("check", part).unwrap())
                .collect();
            for (file, dst) in files.iter().zip(out.chunks_mut(chunk)) {
                file.read_into(dst).unwrap();
            }
            assert!(
                out.iter()
                    .zip(&data)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
            drop(files);
            let id = format!("{name}/{}MB_chunks", (chunk * 8) >> 20);
            group.bench_function(BenchmarkId::from_parameter(id), |b| {
                b.iter(|| {
                    let files: Vec<_> = data
                        .chunks(chunk)
                        .map(|part| dir.write("bench", part).unwrap())
                        .collect();
                    for (file, dst) in files.iter().zip(out.chunks_mut(chunk)) {
                        file.read_into(dst).unwrap();
                    }
                })
            });
        }
        assert!(
            out.iter()
                .zip(&data)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
    group.finish();
}

criterion_group!(benches, shuffle_levels, codec, spill_dir);
criterion_main!(benches);
