//! The lesson's serial `calculate_pi`, written on ndarray: shared by the `pi` and
//! `delayed_pi` examples (included with `#[path]`, so it is not an example itself).

use ndarray::{Array2, Axis};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The lesson's `calculate_pi`, on ndarray.
pub fn calculate_pi(size_in_bytes: usize) -> f64 {
    let rand_array_shape = (size_in_bytes / 8 / 2, 2);

    // 2D random array with positions (x, y)
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let xy = Array2::from_shape_simple_fn(rand_array_shape, || {
        (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    });

    // check if position (x, y) is in unit circle
    let xy_inside_circle = xy.mapv(|v| v * v).sum_axis(Axis(1)).mapv(|r| r < 1.0);

    // pi is the fraction of points in circle x 4
    let inside = xy_inside_circle.iter().filter(|&&b| b).count();
    let pi = 4.0 * inside as f64 / xy_inside_circle.len().max(1) as f64;

    println!(
        "\nfrom {} GB randomly chosen positions",
        (xy.len() * 8) as f64 / 1e9
    );
    println!("   pi estimate: {pi}");
    println!("   pi error: {}\n", (pi - std::f64::consts::PI).abs());
    pi
}
