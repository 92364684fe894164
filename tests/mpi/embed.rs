//! A program that starts MPI itself and hands spillway a communicator
//! (`spillway::mpi::initialize_in`): the world's, or, with `--split`, one of all ranks but
//! the last, which stays out of spillway and only meets the others in the program's own
//! MPI calls. The program then uses MPI itself around spillway's computation.

use super::scenarios::{PI_CHUNK, PI_POINTS, evaluated, hash_bits, pi_array};
use mpi::Threading;
use mpi::collective::SystemOperation;
use mpi::topology::Color;
use mpi::traits::*;
use spillway::mpi::{Options, initialize_in};

pub fn run(split: bool) {
    let (universe, _) = mpi::initialize_with_threading(Threading::Serialized)
        .expect("MPI starts once, in this program");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    // the program's own message before spillway: every rank's rank, summed
    let mut ranks_sum = 0i32;
    world.all_reduce_into(&rank, &mut ranks_sum, SystemOperation::sum());
    let inside = !split || rank < size - 1;
    let color = Color::with_value(if inside { 0 } else { 1 });
    let part = world.split_by_color(color).expect("every rank has a color");
    let mut bits = 0u64;
    if inside {
        let job = match initialize_in(&part, Options::new(1, "512MB")) {
            Ok(job) => job,
            Err(e) => {
                println!("ERROR {e}");
                std::process::exit(2);
            }
        };
        let client = spillway::Client::builder().build().unwrap();
        let pi = pi_array(PI_POINTS, PI_CHUNK, 11, true).compute_scalar();
        let pi = match pi {
            Ok(pi) => pi,
            Err(e) => {
                println!("ERROR {e}");
                std::process::exit(1);
            }
        };
        bits = pi.to_bits();
        if job.is_client() {
            println!("CLIENT {}", client.to_string().replace('\n', "|"));
            println!("RESULT pi {}", hash_bits([bits]));
        }
        client.close();
    }
    // the program's own messages after spillway: every rank inside holds the same bits
    let (mut lo, mut hi) = (0u64, 0u64);
    let mine_lo = if inside { bits } else { u64::MAX };
    world.all_reduce_into(&mine_lo, &mut lo, SystemOperation::min());
    world.all_reduce_into(&bits, &mut hi, SystemOperation::max());
    if rank == 0 {
        println!("SAME {}", lo == hi);
        println!("RANKS_SUM {ranks_sum}");
    }
    let line = format!("COUNT {rank} {}\n", evaluated());
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    drop(part);
    // the program finalizes MPI itself
    drop(universe);
}
