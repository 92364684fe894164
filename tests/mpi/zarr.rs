//! The zarr checks: arrays read from a zarr store in a shared directory, a staged rechunk
//! whose intermediate store lives in the job's work directory, and `to_zarr` written by
//! the worker ranks together. The same functions run in the driver (one process) and on
//! every rank, so their results can be compared bit for bit.

use spillway::array::zarr::ToZarr;
use spillway::{Array, from_zarr};
use std::path::Path;

/// The square arrays' side.
pub const N: usize = 300;

fn f64_hash(values: &ndarray::ArrayD<f64>) -> String {
    super::scenarios::hash_bits(values.iter().map(|v| v.to_bits()))
}

/// Writes the inputs once, in one process: `x.zarr` in square chunks, `xm.zarr` in
/// chunks that do not line up with their transpose, `rows.zarr` in whole rows.
pub fn write_inputs(dir: &Path) {
    let x = spillway::random::default_rng(5).random([N, N], 64);
    x.to_zarr(dir.join("x.zarr")).unwrap();
    x.rechunk(vec![64, 48])
        .to_zarr(dir.join("xm.zarr"))
        .unwrap();
    x.rechunk(vec![10, N])
        .to_zarr(dir.join("rows.zarr"))
        .unwrap();
}

/// Rows to columns: read amplification makes the plan stage it through an
/// intermediate store.
fn columns(dir: &Path) -> Array<f64> {
    from_zarr::<f64>(dir.join("rows.zarr")).rechunk(vec![N, 10])
}

/// What is computed from the stored inputs, as (name, hash) pairs, the labels of the
/// stages of the staged rechunk, and the bytes this process wrote to its intermediate
/// store (a zarr store under MPI; memory in one process).
pub fn read_results(dir: &Path) -> (Vec<(String, String)>, String, u64) {
    let x = from_zarr::<f64>(dir.join("x.zarr"));
    let xm = from_zarr::<f64>(dir.join("xm.zarr"));
    let s = &x + &x.t();
    let sm = &xm + &xm.t();
    let (cols, report) = (&columns(dir) * 3.0).compute_with_report().unwrap();
    let stages: Vec<String> = report.stages.iter().map(|s| s.label.clone()).collect();
    let results = vec![
        ("sum".into(), f64_hash(&s.sum().compute().unwrap())),
        (
            "sum_misaligned".into(),
            f64_hash(&sm.sum().compute().unwrap()),
        ),
        ("whole_misaligned".into(), f64_hash(&sm.compute().unwrap())),
        ("columns".into(), f64_hash(&cols)),
        (
            "columns_sum_axis0".into(),
            f64_hash(&columns(dir).sum_axis(0).compute().unwrap()),
        ),
    ];
    (results, stages.join(","), report.io.written_bytes)
}

/// Writes `(x + x.T) * 2` as a plain and a sharded zarr store and the staged columns,
/// under `out`; returns the chunks each write reports and this process's written bytes.
pub fn write_outputs(dir: &Path, out: &Path) -> (Vec<(String, String)>, u64) {
    let x = from_zarr::<f64>(dir.join("x.zarr"));
    let s = (&x + &x.t()) * 2.0;
    let plain = s.to_zarr(out.join("s.zarr")).unwrap();
    let sharded = s
        .to_zarr_with(
            out.join("s_sharded.zarr"),
            &ToZarr::default().chunks(vec![32, 32]).shards(vec![64, 64]),
        )
        .unwrap();
    let cols = columns(dir).to_zarr(out.join("columns.zarr")).unwrap();
    let bytes = [&plain, &sharded, &cols]
        .iter()
        .map(|r| r.run.io.written_bytes)
        .sum();
    let chunks = vec![
        ("s_chunks".into(), plain.chunks_written.to_string()),
        (
            "s_sharded_shards".into(),
            sharded.shards_written.to_string(),
        ),
        ("columns_chunks".into(), cols.chunks_written.to_string()),
    ];
    (chunks, bytes)
}

/// Every file under `root`, by path relative to it, with its bytes.
pub fn files(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}
