//! TEMPORARY (replaced by the kernels helper)
pub fn map<T: Copy, U, F: Fn(T) -> U + Copy>(input: &[T], out: &mut [U], f: F) {
    for (o, &x) in out.iter_mut().zip(input) {
        *o = f(x);
    }
}
pub fn zip<A: Copy, B: Copy, U, F: Fn(A, B) -> U + Copy>(a: &[A], b: &[B], out: &mut [U], f: F) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}
pub fn zip_scalar_right<A: Copy, B: Copy, U, F: Fn(A, B) -> U + Copy>(
    a: &[A],
    b: B,
    out: &mut [U],
    f: F,
) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = f(x, b);
    }
}
pub fn zip_scalar_left<A: Copy, B: Copy, U, F: Fn(A, B) -> U + Copy>(
    a: A,
    b: &[B],
    out: &mut [U],
    f: F,
) {
    for (o, &y) in out.iter_mut().zip(b) {
        *o = f(a, y);
    }
}
