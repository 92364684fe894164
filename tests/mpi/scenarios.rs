//! What every rank runs under mpirun: one scenario per check. The client rank prints
//! `RESULT <name> <hash>` lines (the other ranks' stdout is silenced) and every rank
//! prints `COUNT <rank> <elements>` to stderr: how many elements its tasks evaluated.
//! `--dask-mpi` runs the scenario in the lesson's layout instead of the default.

use spillway::mpi::{Layout, Options, initialize_with};
use spillway::{Array, Client};
use std::sync::atomic::{AtomicU64, Ordering};

/// Elements this process evaluated through [`counted`] arrays.
static EVALUATED: AtomicU64 = AtomicU64::new(0);

/// Elements this process evaluated so far.
pub fn evaluated() -> u64 {
    EVALUATED.load(Ordering::Relaxed)
}

/// FNV-1a over the values' bits: equal hashes mean bit-identical values.
pub fn hash_bits(values: impl IntoIterator<Item = u64>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut n = 0usize;
    for v in values {
        for b in v.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        n += 1;
    }
    format!("{n}:{h:016x}")
}

fn f64_hash(values: &ndarray::ArrayD<f64>) -> String {
    hash_bits(values.iter().map(|v| v.to_bits()))
}

/// The pi of the lesson over `n` points in uneven chunks.
pub fn pi_array(n: usize, chunk: usize, seed: u64, counted: bool) -> Array<f64> {
    let xy = spillway::random::default_rng(seed).uniform(0.0, 1.0, (n, 2), chunk);
    let xy = if counted {
        xy.map(|v: f64| {
            EVALUATED.fetch_add(1, Ordering::Relaxed);
            v
        })
    } else {
        xy
    };
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    4.0 * inside.sum().astype::<f64>() / inside.size() as f64
}

/// The symmetric-matrix checks: `(x + x.T).sum()`, a column sum (one merge tree per
/// column block), a row mean (moments) and the whole matrix (an output stage).
pub fn sym_results(n: usize, chunk: usize, seed: u64) -> Vec<(String, String)> {
    let x = spillway::random::default_rng(seed).random([n, n], chunk);
    let s = &x + &x.t();
    let total = s.sum().compute().unwrap();
    let cols = s.sum_axis(0).compute().unwrap();
    let means = x.mean_axis(1).compute().unwrap();
    let whole = (&s * 2.0).compute().unwrap();
    vec![
        ("sum".into(), f64_hash(&total)),
        ("sum_axis0".into(), f64_hash(&cols)),
        ("mean_axis1".into(), f64_hash(&means)),
        ("whole".into(), f64_hash(&whole)),
    ]
}

pub const PI_POINTS: usize = 1_000_003;
pub const PI_CHUNK: usize = 90_000;
/// Two blocks of 9M points: each is cut into two reduction tasks (TASK_ELEMS), so the
/// ranks' task ranges end inside blocks.
pub const SPLIT_POINTS: usize = 18_000_000;
pub const SPLIT_CHUNK: usize = 9_000_000;
pub const SYM_N: usize = 301;
pub const SYM_CHUNK: usize = 64;

pub fn run(args: &[String]) {
    let scenario = args.first().map(String::as_str).unwrap_or("");
    if scenario == "embed" {
        return super::embed::run(args.iter().any(|a| a == "--split"));
    }
    let layout = if args.iter().any(|a| a == "--dask-mpi") {
        Layout::DaskMpi
    } else {
        Layout::EveryRankComputes
    };
    let memory = if scenario == "refuse" { "2MB" } else { "512MB" };
    let options = match scenario {
        // threads and memory from the SLURM_ variables the driver set
        "slurm" => Options::default(),
        // 4 threads where SLURM_CPUS_PER_TASK grants fewer
        "slurm_over" => Options::new(4, memory),
        _ => Options::new(1, memory),
    };
    let mpi = match initialize_with(options.layout(layout)) {
        Ok(m) => m,
        Err(e) => {
            println!("ERROR {e}");
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let rank = mpi.rank();
    let client = Client::builder().build().unwrap();
    println!("CLIENT {}", client.to_string().replace('\n', "|"));
    let outcome: spillway::Result<Vec<(String, String)>> = match scenario {
        "pi_split" => pi_array(SPLIT_POINTS, SPLIT_CHUNK, 12, false)
            .compute_scalar()
            .map(|v| vec![("pi".into(), hash_bits([v.to_bits()]))]),
        "pi" | "slurm" => pi_array(PI_POINTS, PI_CHUNK, 11, true)
            .compute_scalar()
            .map(|v| vec![("pi".into(), hash_bits([v.to_bits()]))]),
        "sym" => Ok(sym_results(SYM_N, SYM_CHUNK, 5)),
        "panic" | "kill" | "hang" | "stop" | "stop0" => {
            let kill = scenario == "kill";
            let hang = scenario == "hang";
            // the whole process stops (SIGSTOP), its liveness thread too
            let stop = scenario.starts_with("stop");
            let victim = if scenario == "stop0" { 0 } else { 3 };
            let x = spillway::random::default_rng(2).random([200_000], 10_000);
            let y = x.map(move |v: f64| {
                if rank == victim && v > 0.9999 {
                    if hang {
                        std::thread::sleep(std::time::Duration::from_secs(100));
                    }
                    if stop {
                        let pid = std::process::id().to_string();
                        let _ = std::process::Command::new("kill")
                            .args(["-STOP", &pid])
                            .status();
                        std::thread::sleep(std::time::Duration::from_secs(60));
                    }
                    if kill {
                        let pid = std::process::id().to_string();
                        let _ = std::process::Command::new("kill")
                            .args(["-9", &pid])
                            .status();
                        std::thread::sleep(std::time::Duration::from_secs(60));
                    }
                    panic!("injected failure on rank {victim}");
                }
                v
            });
            y.sum()
                .compute_scalar()
                .map(|v| vec![("sum".into(), hash_bits([v.to_bits()]))])
        }
        "zarr_read" => {
            let (results, stages, staged) =
                super::zarr::read_results(std::path::Path::new(&args[1]));
            println!("STAGES {stages}");
            let line = format!("WROTE {rank} {staged}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            Ok(results)
        }
        "zarr_write" => {
            let (dir, out) = (
                std::path::Path::new(&args[1]),
                std::path::Path::new(&args[2]),
            );
            let (results, bytes) = super::zarr::write_outputs(dir, out);
            let line = format!("WROTE {rank} {bytes}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            Ok(results)
        }
        // rank 2's program builds its array in other chunks than the others'
        "mismatch" => {
            let chunk = if rank == 2 { 1_000 } else { 10_000 };
            spillway::random::default_rng(2)
                .random([200_000], chunk)
                .sum()
                .compute_scalar()
                .map(|v| vec![("sum".into(), hash_bits([v.to_bits()]))])
        }
        "refuse" => spillway::random::default_rng(2)
            .random([1000, 1000], 100)
            .compute()
            .map(|v| vec![("whole".into(), f64_hash(&v))]),
        other => panic!("unknown scenario {other:?}"),
    };
    // one write, so that the ranks' lines do not interleave
    let line = format!("COUNT {rank} {}\n", EVALUATED.load(Ordering::Relaxed));
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    match outcome {
        Ok(results) => {
            for (name, hash) in results {
                println!("RESULT {name} {hash}");
            }
        }
        Err(e) => {
            println!("ERROR {e}");
            // one write too: eprintln! may split the line, and another rank's COUNT line
            // then lands inside it
            let line = format!("rank {rank}: error: {e}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            client.close();
            std::process::exit(1);
        }
    }
    client.close();
}
