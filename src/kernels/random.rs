//! TEMPORARY (replaced by the kernels helper)
pub const DEFAULT_SEED: u64 = 42;
const G: u64 = 0x9e3779b97f4a7c15;
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}
pub fn stream_key(seed: u64, stream: u64) -> u64 {
    mix(mix(seed) ^ stream.wrapping_mul(G))
}
pub fn fill_u64(key: u64, start: u64, out: &mut [u64]) {
    for (j, o) in out.iter_mut().enumerate() {
        *o = mix(key.wrapping_add((start + j as u64 + 1).wrapping_mul(G)));
    }
}
pub fn fill_uniform_f64(key: u64, start: u64, low: f64, high: f64, out: &mut [f64]) {
    for (j, o) in out.iter_mut().enumerate() {
        let r = mix(key.wrapping_add((start + j as u64 + 1).wrapping_mul(G)));
        let u = f64::from_bits((r >> 12) | 0x3FF0_0000_0000_0000) - 1.0;
        *o = low + (high - low) * u;
    }
}
pub fn fill_normal_f64(key: u64, start: u64, mean: f64, std: f64, out: &mut [f64]) {
    let mut a = vec![0.0; out.len()];
    let mut b = vec![0.0; out.len()];
    fill_uniform_f64(stream_key(key, 1), start, 0.0, 1.0, &mut a);
    fill_uniform_f64(stream_key(key, 2), start, 0.0, 1.0, &mut b);
    for i in 0..out.len() {
        out[i] =
            mean + std * (-2.0 * (1.0 - a[i]).ln()).sqrt() * (std::f64::consts::TAU * b[i]).cos();
    }
}
pub fn fill_integers_i64(key: u64, start: u64, low: i64, high: i64, out: &mut [i64]) {
    let span = (high as i128 - low as i128) as u128;
    let mut r = vec![0u64; out.len()];
    fill_u64(key, start, &mut r);
    for (o, &x) in out.iter_mut().zip(&r) {
        *o = (low as i128 + ((x as u128 * span) >> 64) as i128) as i64;
    }
}
