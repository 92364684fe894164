//! A process that an MPI launcher started as one of several ranks, but that computes
//! without having joined the job (built without the `mpi` feature, or never calling
//! `spillway::mpi::initialize`), is refused at its first computation with an error naming
//! its rank and the launcher's variable, instead of computing the whole job once per
//! rank. The launcher's variables are set on a child process (this test binary run
//! again), so no launcher is needed.

use std::process::Command;

const CHILD_ENV: &str = "SPILLWAY_TEST_MPI_LAUNCH_CHILD";

/// In the child: computes a sum and prints the result or the error.
fn child() {
    match spillway::ones::<f64>([100], 10).sum().compute_scalar() {
        Ok(v) => println!("\nRESULT {v}"),
        Err(e) => println!("\nERROR {e}"),
    }
}

/// Runs the child with `vars` set; returns what it printed.
fn run_child(vars: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "a_rank_that_did_not_join_the_job_is_refused",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, "1");
    for var in [
        "OMPI_COMM_WORLD_SIZE",
        "OMPI_COMM_WORLD_RANK",
        "PMI_SIZE",
        "PMI_RANK",
        "PMIX_RANK",
        "SLURM_STEP_NUM_TASKS",
        "SPILLWAY_MPI_LAUNCH",
    ] {
        cmd.env_remove(var);
    }
    for (name, value) in vars {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_rank_that_did_not_join_the_job_is_refused() {
    if std::env::var(CHILD_ENV).is_ok() {
        child();
        return;
    }
    let refused = run_child(&[("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_RANK", "2")]);
    let error = refused
        .lines()
        .find_map(|l| l.strip_prefix("ERROR "))
        .unwrap_or_else(|| panic!("the child computed: {refused}"));
    assert!(
        error.contains("rank 2 of 4")
            && error.contains("OMPI_COMM_WORLD_SIZE=4")
            && error.contains("SPILLWAY_MPI_LAUNCH=ignore"),
        "{error}"
    );
    let why = if cfg!(feature = "mpi") {
        "did not call spillway::mpi::initialize"
    } else {
        "built without its `mpi` feature"
    };
    assert!(error.contains(why), "{error}");

    let pmi = run_child(&[("PMI_SIZE", "3"), ("PMI_RANK", "0")]);
    assert!(pmi.contains("ERROR this process is rank 0 of 3"), "{pmi}");

    // one rank, no launcher, or the ranks computing independently on purpose: computed
    for vars in [
        &[("OMPI_COMM_WORLD_SIZE", "1"), ("OMPI_COMM_WORLD_RANK", "0")][..],
        &[][..],
        &[
            ("OMPI_COMM_WORLD_SIZE", "4"),
            ("OMPI_COMM_WORLD_RANK", "1"),
            ("SPILLWAY_MPI_LAUNCH", "ignore"),
        ][..],
    ] {
        let out = run_child(vars);
        assert!(out.contains("RESULT 100"), "{vars:?}: {out}");
    }
}
