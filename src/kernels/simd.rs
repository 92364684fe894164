//! TEMPORARY (replaced by the kernels helper): runtime SIMD dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    Scalar,
    Avx2,
    Avx512,
}
pub fn simd_level() -> SimdLevel {
    SimdLevel::Scalar
}
macro_rules! simd_dispatch {
    ($e:expr) => {
        $e
    };
}
pub(crate) use simd_dispatch;
