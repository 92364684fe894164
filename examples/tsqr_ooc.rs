//! TSQR of a tall-and-skinny random array out of core, with its error norms.
//!
//! ```text
//! cargo run --release --example tsqr_ooc -- [--rows 1000000] [--cols 100] [--chunk 100000]
//!     [--memory-limit 512MB] [--cond 1]
//! ```
//!
//! Column `j` of the uniform random array is scaled by `cond^(-j/(cols-1))` and the
//! columns are then mixed by a random orthogonal matrix, so `--cond` sets the condition
//! number roughly. Prints the time of `(q, r)` and then,
//! computed out of core too, `||QR - A||_F / ||A||_F` and `max |QᵀQ - I|`. The last line is
//! `seconds=<qr seconds> recon=<relative error> ortho=<orthogonality error>`.

use ndarray::Array1;
use spillway::array::linalg::{NormOrd, norm, qr};
use spillway::{Client, from_ndarray, random, tensordot};
use std::time::Instant;

fn main() {
    let mut rows = 1_000_000usize;
    let mut cols = 100usize;
    let mut chunk = 100_000usize;
    let mut memory = "512MB".to_string();
    let mut cond = 1.0f64;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        let bad = || -> ! {
            eprintln!(
                "usage: tsqr_ooc [--rows M] [--cols N] [--chunk C] [--memory-limit 512MB] [--cond K]"
            );
            std::process::exit(2)
        };
        match flag.as_str() {
            "--rows" => rows = value.parse().unwrap_or_else(|_| bad()),
            "--cols" => cols = value.parse().unwrap_or_else(|_| bad()),
            "--chunk" => chunk = value.parse().unwrap_or_else(|_| bad()),
            "--memory-limit" => memory = value,
            "--cond" => cond = value.parse().unwrap_or_else(|_| bad()),
            _ => bad(),
        }
    }
    let client = Client::builder()
        .memory_limit(memory.as_str())
        .build()
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
    println!("{client}");
    let scales = Array1::from_shape_fn(cols, |j| cond.powf(-(j as f64) / (cols.max(2) - 1) as f64));
    let scaled =
        &random::default_rng(7).random([rows, cols], [chunk, cols]) * &from_ndarray(scales, cols);
    // mix the scaled columns by a random orthogonal matrix, so the ill-conditioning is
    // not a mere column scaling (which Householder QR absorbs exactly)
    let mixer = qr(&random::default_rng(8).random([cols, cols], cols))
        .0
        .compute()
        .unwrap();
    let a = scaled.matmul(&from_ndarray(mixer, cols));
    let (q, r) = qr(&a);
    let t0 = Instant::now();
    // q is as large as a: reduce it rather than hold it, so the timing covers all passes
    let (qsum, _r) = match spillway::compute((&q.sum(), &r)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1)
        }
    };
    let seconds = t0.elapsed().as_secs_f64();
    println!(
        "qr of {rows} x {cols} in {seconds:.3} s (sum of Q = {:.6})",
        qsum.iter().next().unwrap()
    );
    let resid = norm(&(&q.matmul(&r) - &a), NormOrd::Fro);
    let scale = norm(&a, NormOrd::Fro);
    let recon = resid.compute_scalar().unwrap() / scale.compute_scalar().unwrap();
    let qtq = tensordot(&q, &q, ([0], [0])).compute().unwrap();
    let mut ortho = 0.0f64;
    for ((i, j), v) in qtq
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .indexed_iter()
    {
        let want = if i == j { 1.0 } else { 0.0 };
        ortho = ortho.max((v - want).abs());
    }
    println!("||QR - A|| / ||A|| = {recon:.3e}, max |QtQ - I| = {ortho:.3e}");
    println!("seconds={seconds:.3} recon={recon:.3e} ortho={ortho:.3e}");
}
