//! The driver: starts the scenarios under mpirun and checks what they print.

use super::scenarios::{
    PI_CHUNK, PI_POINTS, SPLIT_CHUNK, SPLIT_POINTS, SYM_CHUNK, SYM_N, hash_bits, pi_array,
    sym_results,
};
use super::zarr;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// No run may take longer: a hang fails the check instead of the CI job.
const RUN_LIMIT: Duration = Duration::from_secs(120);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    seconds: f64,
}

impl Run {
    fn results(&self) -> BTreeMap<String, String> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("RESULT "))
            .filter_map(|l| l.split_once(' '))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Elements each rank evaluated (from the `COUNT` lines on stderr).
    fn counts(&self) -> BTreeMap<usize, u64> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("COUNT "))
            .filter_map(|l| l.split_once(' '))
            .filter_map(|(r, n)| Some((r.parse().ok()?, n.trim().parse().ok()?)))
            .collect()
    }

    /// Bytes each rank wrote to stores (from the `WROTE` lines on stderr).
    fn wrote(&self) -> BTreeMap<usize, u64> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("WROTE "))
            .filter_map(|l| l.split_once(' '))
            .filter_map(|(r, n)| Some((r.parse().ok()?, n.trim().parse().ok()?)))
            .collect()
    }

    fn error(&self) -> String {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix("ERROR "))
            .unwrap_or("")
            .to_string()
    }

    fn dump(&self) -> String {
        format!(
            "exit {:?} after {:.1} s\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.seconds, self.stdout, self.stderr
        )
    }
}

fn mpirun(ranks: usize, args: &[&str]) -> Run {
    mpirun_with_timeout(ranks, args, 60)
}

/// [`mpirun`] with extra environment variables (Slurm's, as srun would set them).
fn mpirun_env(ranks: usize, args: &[&str], env: &[(&str, &str)]) -> Run {
    let work = tempfile::tempdir().expect("a temporary work directory");
    mpirun_full(ranks, args, 60, work.path(), env)
}

/// [`mpirun`] with rank 0 waiting at most `timeout` seconds for a rank's share.
fn mpirun_with_timeout(ranks: usize, args: &[&str], timeout: u64) -> Run {
    let work = tempfile::tempdir().expect("a temporary work directory");
    mpirun_in(ranks, args, timeout, work.path())
}

/// [`mpirun_with_timeout`] with `work` as the job's work directory.
fn mpirun_in(ranks: usize, args: &[&str], timeout: u64, work: &Path) -> Run {
    mpirun_full(ranks, args, timeout, work, &[])
}

/// [`mpirun_in`] with extra environment variables.
fn mpirun_full(
    ranks: usize,
    args: &[&str],
    timeout: u64,
    work: &Path,
    env: &[(&str, &str)],
) -> Run {
    let me = std::env::current_exe().expect("the test binary's path");
    let started = Instant::now();
    let mut child = Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-n"])
        .arg(ranks.to_string())
        .arg(&me)
        .arg("--child")
        .args(args)
        .env("SPILLWAY_MPI_TIMEOUT", timeout.to_string())
        .env("SPILLWAY_WORK_DIR", work)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpirun starts (install openmpi-bin)");
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for mpirun") {
            break status.code();
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "mpirun -n {ranks} {args:?} hung for {} s",
                RUN_LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn expected_pi() -> String {
    let v = pi_array(PI_POINTS, PI_CHUNK, 11, false)
        .compute_scalar()
        .unwrap();
    hash_bits([v.to_bits()])
}

/// The pi on `ranks` ranks is bit-identical to this process's, every element is
/// evaluated exactly once, and only the ranks that run tasks in the layout evaluate any
/// (every rank by default; ranks 2+ with `dask_mpi`).
fn check_pi(ranks: usize, dask_mpi: bool) {
    let args: &[&str] = if dask_mpi {
        &["pi", "--dask-mpi"]
    } else {
        &["pi"]
    };
    let run = mpirun(ranks, args);
    check_pi_run(&run, ranks, dask_mpi);
}

fn check_pi_run(run: &Run, ranks: usize, dask_mpi: bool) {
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_eq!(
        run.results().get("pi"),
        Some(&expected_pi()),
        "{}",
        run.dump()
    );
    let counts = run.counts();
    assert_eq!(counts.len(), ranks, "{}", run.dump());
    let first_worker = if dask_mpi { 2 } else { 0 };
    for (&rank, &n) in &counts {
        if rank < first_worker {
            assert_eq!(n, 0, "rank {rank} is no worker\n{}", run.dump());
        } else {
            assert!(n > 0, "worker rank {rank} ran no task\n{}", run.dump());
        }
    }
    assert_eq!(
        counts.values().sum::<u64>(),
        2 * PI_POINTS as u64,
        "{}",
        run.dump()
    );
    let summary = run
        .stdout
        .lines()
        .find(|l| l.starts_with("CLIENT "))
        .unwrap_or("");
    let layout = if dask_mpi {
        "layout: dask-mpi"
    } else {
        "layout: every rank computes"
    };
    assert!(
        summary.contains(&format!("MPI: {ranks} ranks, {layout}"))
            && summary.contains("rank 0 on "),
        "{summary}"
    );
}

/// Threads and memory not given come from Slurm's variables: 2 CPUs per task, 1024 MiB
/// per node shared by 4 tasks; the pi stays bit-identical.
fn check_slurm_settings() {
    let env = [
        ("SLURM_CPUS_PER_TASK", "2"),
        ("SLURM_MEM_PER_NODE", "1024"),
        ("SLURM_NTASKS_PER_NODE", "4"),
    ];
    let run = mpirun_env(4, &["slurm"], &env);
    check_pi_run(&run, 4, false);
    let summary = run
        .stdout
        .lines()
        .find(|l| l.starts_with("CLIENT "))
        .unwrap_or("");
    // every rank: "worker" or "coordinator+worker", 2 threads, 1024 MiB / 4
    let each = summary
        .matches("worker, 2 threads, memory limit 256.00 MiB")
        .count();
    assert_eq!(each, 4, "{summary}");
    assert!(
        summary.contains("threads SLURM_CPUS_PER_TASK=2, memory limit SLURM_MEM_PER_NODE=1024 MiB / 4 tasks per node"),
        "{summary}"
    );
}

/// More threads asked for than SLURM_CPUS_PER_TASK grants: the same clear error on every
/// rank, naming both numbers, and no hang (the run limit).
fn check_slurm_over_grant() {
    let run = mpirun_env(3, &["slurm_over"], &[("SLURM_CPUS_PER_TASK", "2")]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ERROR "))
        .collect();
    assert_eq!(errors.len(), 3, "one error per rank\n{}", run.dump());
    for error in errors {
        assert!(
            error.contains("every rank (0, 1, 2)")
                && error.contains(
                    "4 threads asked for, but Slurm granted 2 CPUs per task (SLURM_CPUS_PER_TASK=2)"
                ),
            "{}",
            run.dump()
        );
    }
}

/// A program that initialised MPI itself hands spillway its communicator: the world's
/// on 4 ranks, or (`split`) one of ranks 0..3 while rank 3 stays out. The pi is
/// bit-identical to one process on every rank inside, only those ranks evaluate
/// elements, and the program's own MPI calls work before and after.
fn check_embedded(split: bool) {
    let args: &[&str] = if split {
        &["embed", "--split"]
    } else {
        &["embed"]
    };
    let work = tempfile::tempdir().unwrap();
    let run = mpirun_full(4, args, 60, work.path(), &[]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_eq!(
        run.results().get("pi"),
        Some(&expected_pi()),
        "{}",
        run.dump()
    );
    assert!(run.stdout.contains("SAME true"), "{}", run.dump());
    assert!(run.stdout.contains("RANKS_SUM 6"), "{}", run.dump());
    let inside = if split { 3 } else { 4 };
    assert!(
        run.stdout
            .contains(&format!("MPI: {inside} ranks, layout: every rank computes")),
        "{}",
        run.dump()
    );
    let counts = run.counts();
    assert_eq!(counts.len(), 4, "{}", run.dump());
    for (&rank, &n) in &counts {
        assert_eq!(n > 0, rank < inside, "rank {rank}: {n}\n{}", run.dump());
    }
    assert_eq!(counts.values().sum::<u64>(), 2 * PI_POINTS as u64);
    // the job's directory is gone
    let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().collect();
    assert!(left.is_empty(), "left in the work directory: {left:?}");
}

/// Blocks cut into several tasks, shared unevenly by 3 worker ranks.
fn check_pi_split() {
    let run = mpirun(5, &["pi_split"]);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let v = pi_array(SPLIT_POINTS, SPLIT_CHUNK, 12, false)
        .compute_scalar()
        .unwrap();
    assert_eq!(
        run.results().get("pi"),
        Some(&hash_bits([v.to_bits()])),
        "{}",
        run.dump()
    );
}

fn check_sym(ranks: usize, dask_mpi: bool) {
    let args: &[&str] = if dask_mpi {
        &["sym", "--dask-mpi"]
    } else {
        &["sym"]
    };
    let run = mpirun(ranks, args);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let got = run.results();
    for (name, hash) in sym_results(SYM_N, SYM_CHUNK, 5) {
        assert_eq!(got.get(&name), Some(&hash), "{name}\n{}", run.dump());
    }
}

fn check_panic() {
    let run = mpirun(4, &["panic"]);
    assert_ne!(run.code, Some(0), "{}", run.dump());
    assert!(run.seconds < 60.0, "{}", run.dump());
    let error = run.error();
    assert!(
        error.contains("rank 3 (on ")
            && error.contains("failed in stage sum (tasks 15..20 of 20): task 1")
            && error.contains("panicked: injected failure on rank 3"),
        "{}",
        run.dump()
    );
}

/// A killed rank ends the job. In the lesson's layout the client (rank 1, which runs no
/// tasks) names the rank and the task it was running. In the default layout the client
/// is rank 0, which also runs tasks, and in about 3 of 8 runs here its line was lost as
/// mpirun tore the job down (not understood yet): there the check is that the job ends
/// and mpirun names rank 3 (`check_kill_every_rank`).
fn check_kill() {
    let run = mpirun(4, &["kill", "--dask-mpi"]);
    assert_ne!(run.code, Some(0), "{}", run.dump());
    assert!(run.seconds < 60.0, "{}", run.dump());
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("RESULT"), "{}", run.dump());
    // the client names the rank and the task it was running (one of its range 10..20),
    // unless mpirun, seeing a rank die, ends the job first (it then names the rank
    // itself): which comes first is a race on a busy machine
    let client_line = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("error: rank 3 (on "));
    if let Some(line) = client_line {
        let task = line
            .split_once(") died while running task ")
            .and_then(|(_, rest)| rest.split_once(" of stage sum"))
            .and_then(|(task, _)| task.parse::<usize>().ok());
        assert!(
            task.is_some_and(|t| (10..20).contains(&t)),
            "{}",
            run.dump()
        );
    }
    assert!(all.contains("rank 3"), "{}", run.dump());
}

/// A killed rank ends the job in the default layout too, and mpirun names it.
fn check_kill_every_rank() {
    let run = mpirun(4, &["kill"]);
    assert_ne!(run.code, Some(0), "{}", run.dump());
    assert!(!run.stdout.contains("RESULT"), "{}", run.dump());
    assert!(
        run.stderr.contains("process rank 3 ") || run.stderr.contains("error: rank 3 (on "),
        "{}",
        run.dump()
    );
}

/// A rank stuck in a task (alive: its liveness thread goes on beating): rank 0 gives up
/// after the stage's timeout and ends the job, naming the rank and its tasks.
fn check_hang() {
    let run = mpirun_with_timeout(4, &["hang"], 3);
    assert_ne!(run.code, Some(0), "{}", run.dump());
    assert!(run.seconds < 60.0, "{}", run.dump());
    assert!(
        run.stderr
            .contains("stage sum: no answer within 3 s from rank 3 on ")
            && run
                .stderr
                .contains("(its share of this stage: tasks 15..20 of 20)"),
        "{}",
        run.dump()
    );
}

/// A rank whose process stops (SIGSTOP, as a host cut off the network goes silent): its
/// heartbeats stop, and rank 0 names it within the liveness check's timeout (2 s here),
/// long before the stage's (60 s), and ends the job. With `victim` 0, the other ranks
/// stop hearing from rank 0 and name it.
fn check_stopped(victim: usize) {
    let work = tempfile::tempdir().unwrap();
    let scenario = if victim == 0 { "stop0" } else { "stop" };
    let env = [("SPILLWAY_MPI_HEARTBEAT_TIMEOUT", "2")];
    let run = mpirun_full(4, &[scenario], 60, work.path(), &env);
    assert_ne!(run.code, Some(0), "{}", run.dump());
    assert!(run.seconds < 30.0, "{}", run.dump());
    assert!(!run.stdout.contains("RESULT"), "{}", run.dump());
    assert!(!run.stderr.contains("no answer within"), "{}", run.dump());
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("error: rank {victim} on ")))
        .unwrap_or_else(|| panic!("no line names rank {victim}\n{}", run.dump()));
    assert!(
        line.contains(" is unreachable: no word from it for ")
            && line.contains("SPILLWAY_MPI_HEARTBEAT_TIMEOUT"),
        "{}",
        run.dump()
    );
    let seen_from = if victim == 0 {
        "(seen from rank "
    } else {
        "(seen from rank 0 on "
    };
    assert!(line.contains(seen_from), "{}", run.dump());
}

fn check_too_few() {
    let run = mpirun(2, &["pi", "--dask-mpi"]);
    assert_eq!(run.code, Some(2), "{}", run.dump());
    let error = run.error();
    assert!(
        error.contains("has 2 rank(s)") && error.contains("need at least 3"),
        "{}",
        run.dump()
    );
}

fn check_refusal() {
    let run = mpirun(4, &["refuse"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert!(run.seconds < 60.0, "{}", run.dump());
    assert!(run.error().contains("memory limit"), "{}", run.dump());
}

/// Ranks whose programs disagree (rank 2 chunks its array differently) are refused at
/// the same `compute()` on every rank, each naming rank 2's plan, within seconds.
fn check_mismatch() {
    let run = mpirun(4, &["mismatch"]);
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert!(run.seconds < 60.0, "{}", run.dump());
    assert!(!run.stdout.contains("RESULT"), "{}", run.dump());
    // every rank refuses: the client prints its error, and each rank's error line names
    // a plan that differs (the others name rank 2's, rank 2 names rank 0's)
    assert!(run.error().contains("plan"), "{}", run.dump());
    for rank in 0..4 {
        let line = format!("rank {rank}: error: ");
        let named = run
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .unwrap_or_else(|| panic!("rank {rank} did not refuse\n{}", run.dump()));
        let other = if rank == 2 {
            "rank 0's plan"
        } else {
            "rank 2's plan"
        };
        assert!(
            named.contains(other),
            "rank {rank}: {named}\n{}",
            run.dump()
        );
    }
}

/// Inputs written once in this process; `(x + x.T).sum()` and friends from them on 4
/// ranks equal this process's bit for bit, the rows-to-columns rechunk is staged through
/// an intermediate zarr store in the work directory, and the work directory is left
/// empty.
fn check_zarr_read() {
    let dir = tempfile::tempdir().unwrap();
    zarr::write_inputs(dir.path());
    let (expected, stages, _) = zarr::read_results(dir.path());
    assert!(stages.contains("store from-zarr"), "not staged: {stages}");
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let run = mpirun_in(
        4,
        &["zarr_read", &dir.path().display().to_string()],
        60,
        &work,
    );
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let got = run.results();
    for (name, hash) in expected {
        assert_eq!(got.get(&name), Some(&hash), "{name}\n{}", run.dump());
    }
    let line = run.stdout.lines().find_map(|l| l.strip_prefix("STAGES "));
    assert_eq!(line, Some(stages.as_str()), "{}", run.dump());
    // every rank wrote its share of the intermediate into the work directory
    let wrote = run.wrote();
    let grid = zarr::N * zarr::N * 8 / 8; // half of a quarter of the array each, at least
    for rank in 0..4 {
        assert!(wrote[&rank] > grid as u64, "rank {rank}\n{}", run.dump());
    }
    let left: Vec<_> = std::fs::read_dir(&work).unwrap().collect();
    assert!(left.is_empty(), "left in the work directory: {left:?}");
}

/// `to_zarr` on 4 ranks (plain, sharded, and through a staged rechunk) writes the same
/// files, byte for byte, as one process; every rank writes its share of the chunks.
fn check_zarr_write() {
    let dir = tempfile::tempdir().unwrap();
    zarr::write_inputs(dir.path());
    let (one, mpi) = (dir.path().join("one"), dir.path().join("mpi"));
    let (expected, _) = zarr::write_outputs(dir.path(), &one);
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let args = [
        "zarr_write".to_string(),
        dir.path().display().to_string(),
        mpi.display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = mpirun_in(4, &args, 60, &work);
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let got = run.results();
    for (name, count) in expected {
        assert_eq!(got.get(&name), Some(&count), "{name}\n{}", run.dump());
    }
    let (a, b) = (zarr::files(&one), zarr::files(&mpi));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{}",
        run.dump()
    );
    for (name, bytes) in &a {
        assert!(&b[name] == bytes, "{name} differs\n{}", run.dump());
    }
    let wrote = run.wrote();
    let chunk_bytes = 64 * 64 * 8 / 2; // at least half a chunk each, compressed
    for rank in 0..4 {
        assert!(
            wrote[&rank] > chunk_bytes,
            "rank {rank} wrote little\n{}",
            run.dump()
        );
    }
    assert!(std::fs::read_dir(&work).unwrap().next().is_none());
}

/// A named check; it panics when it fails.
type Check = Box<dyn Fn()>;

pub fn run_all() {
    let checks: Vec<(&str, Check)> = vec![
        ("pi_1_rank_bit_identical", Box::new(|| check_pi(1, false))),
        ("pi_4_ranks_bit_identical", Box::new(|| check_pi(4, false))),
        ("pi_5_ranks_bit_identical", Box::new(|| check_pi(5, false))),
        ("pi_dask_mpi_4_ranks", Box::new(|| check_pi(4, true))),
        ("pi_dask_mpi_5_ranks", Box::new(|| check_pi(5, true))),
        ("pi_split_blocks_5_ranks", Box::new(check_pi_split)),
        (
            "sym_4_ranks_bit_identical",
            Box::new(|| check_sym(4, false)),
        ),
        ("sym_dask_mpi_4_ranks", Box::new(|| check_sym(4, true))),
        ("slurm_settings_from_env", Box::new(check_slurm_settings)),
        (
            "slurm_threads_over_grant_every_rank",
            Box::new(check_slurm_over_grant),
        ),
        ("embedded_world_4_ranks", Box::new(|| check_embedded(false))),
        (
            "embedded_sub_communicator",
            Box::new(|| check_embedded(true)),
        ),
        ("zarr_sym_4_ranks_bit_identical", Box::new(check_zarr_read)),
        ("to_zarr_4_ranks_same_files", Box::new(check_zarr_write)),
        ("panicking_rank_names_rank_and_task", Box::new(check_panic)),
        ("killed_rank_ends_the_job", Box::new(check_kill)),
        (
            "killed_rank_ends_the_job_every_rank",
            Box::new(check_kill_every_rank),
        ),
        ("silent_rank_times_out", Box::new(check_hang)),
        (
            "stopped_rank_named_by_liveness_check",
            Box::new(|| check_stopped(3)),
        ),
        (
            "stopped_rank_0_named_by_the_others",
            Box::new(|| check_stopped(0)),
        ),
        ("too_few_ranks_says_how_many", Box::new(check_too_few)),
        ("plan_refused_on_every_rank", Box::new(check_refusal)),
        (
            "ranks_with_different_programs_refused",
            Box::new(check_mismatch),
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut failed = Vec::new();
    for (name, check) in &checks {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
        let secs = started.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => println!("test {name} ... ok ({secs:.1} s)"),
            Err(_) => {
                println!("test {name} ... FAILED ({secs:.1} s)");
                failed.push(*name);
            }
        }
    }
    if !failed.is_empty() {
        println!("failed: {failed:?}");
        std::process::exit(1);
    }
}
