//! Byte shuffle: transposes the bytes of fixed-size elements so that byte `k` of every
//! element lands in one contiguous stream (`stream k = [e0[k], e1[k], e2[k], ..]`).
//!
//! Numbers that are close to one another share their high bytes, so after a shuffle
//! those bytes form long runs that a byte-oriented compressor such as LZ4 finds at once
//! (the idea of HDF5's and Blosc's shuffle filter). The spill codec
//! (`store::spill::codec`) shuffles every block before it compresses it.
//!
//! Elements of 8 and 4 bytes are transposed 8 (or 4) at a time in registers with a
//! three-stage (two-stage) mask-and-shift byte-matrix transpose; other sizes use a plain
//! loop. Both directions run through `simd_dispatch!`, so the loops are compiled for
//! AVX-512, AVX2 and the baseline CPU and the best one is picked at run time; every level
//! gives the same bytes.

use crate::kernels::simd::simd_dispatch;

/// Shuffles `src`, a sequence of `elem_size`-byte elements, into `dst`: byte `k` of
/// element `i` goes to `dst[k * n + i]`, where `n = src.len() / elem_size`.
///
/// # Panics
///
/// When `elem_size` is 0, `src.len()` is not a multiple of it, or `dst.len() != src.len()`
/// (caller bugs, never user input).
///
/// ```
/// use spillway::kernels::shuffle::{shuffle, unshuffle};
///
/// let values = [0x0102u16, 0x0304, 0x0506];
/// let src: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
/// let mut shuffled = vec![0; src.len()];
/// shuffle(&src, &mut shuffled, 2);
/// assert_eq!(shuffled, [0x02, 0x04, 0x06, 0x01, 0x03, 0x05]); // low bytes, then high bytes
/// let mut back = vec![0; src.len()];
/// unshuffle(&shuffled, &mut back, 2);
/// assert_eq!(back, src);
/// ```
pub fn shuffle(src: &[u8], dst: &mut [u8], elem_size: usize) {
    check(src, dst, elem_size);
    match elem_size {
        1 => dst.copy_from_slice(src),
        8 => simd_dispatch!(shuffle8_body(src, dst)),
        4 => simd_dispatch!(shuffle4_body(src, dst)),
        _ => simd_dispatch!(shuffle_any_body(src, dst, elem_size)),
    }
}

/// Undoes [`shuffle`]: `dst[i * elem_size + k] = src[k * n + i]`.
///
/// # Panics
///
/// As [`shuffle`].
///
/// ```
/// use spillway::kernels::shuffle::{shuffle, unshuffle};
///
/// let src: Vec<u8> = (0..80).collect(); // ten 8-byte elements
/// let mut shuffled = vec![0; 80];
/// shuffle(&src, &mut shuffled, 8);
/// assert_eq!(&shuffled[..3], &[0, 8, 16]); // byte 0 of elements 0, 1, 2
/// let mut back = vec![0; 80];
/// unshuffle(&shuffled, &mut back, 8);
/// assert_eq!(back, src);
/// ```
pub fn unshuffle(src: &[u8], dst: &mut [u8], elem_size: usize) {
    check(src, dst, elem_size);
    match elem_size {
        1 => dst.copy_from_slice(src),
        8 => simd_dispatch!(unshuffle8_body(src, dst)),
        4 => simd_dispatch!(unshuffle4_body(src, dst)),
        _ => simd_dispatch!(unshuffle_any_body(src, dst, elem_size)),
    }
}

fn check(src: &[u8], dst: &[u8], elem_size: usize) {
    assert!(elem_size > 0, "shuffle: element size must be positive");
    assert!(
        src.len().is_multiple_of(elem_size),
        "shuffle: {} bytes is not a whole number of {elem_size}-byte elements",
        src.len()
    );
    assert_eq!(
        src.len(),
        dst.len(),
        "shuffle: source and destination differ in length"
    );
}

/// Transposes the 8 x 8 byte matrix whose row `i` is `w[i]` (byte `k` = column `k`).
#[inline(always)]
fn transpose8(w: &mut [u64; 8]) {
    const LO32: u64 = 0x0000_0000_FFFF_FFFF;
    const LO16: u64 = 0x0000_FFFF_0000_FFFF;
    const LO8: u64 = 0x00FF_00FF_00FF_00FF;
    for i in 0..4 {
        let (a, b) = (w[i], w[i + 4]);
        w[i] = (a & LO32) | (b << 32);
        w[i + 4] = (a >> 32) | (b & !LO32);
    }
    for i in [0, 1, 4, 5] {
        let (a, b) = (w[i], w[i + 2]);
        w[i] = (a & LO16) | ((b << 16) & !LO16);
        w[i + 2] = ((a >> 16) & LO16) | (b & !LO16);
    }
    for i in [0, 2, 4, 6] {
        let (a, b) = (w[i], w[i + 1]);
        w[i] = (a & LO8) | ((b << 8) & !LO8);
        w[i + 1] = ((a >> 8) & LO8) | (b & !LO8);
    }
}

/// Transposes the 4 x 4 byte matrix whose row `i` is `w[i]`.
#[inline(always)]
fn transpose4(w: &mut [u32; 4]) {
    const LO16: u32 = 0x0000_FFFF;
    const LO8: u32 = 0x00FF_00FF;
    for i in 0..2 {
        let (a, b) = (w[i], w[i + 2]);
        w[i] = (a & LO16) | (b << 16);
        w[i + 2] = (a >> 16) | (b & !LO16);
    }
    for i in [0, 2] {
        let (a, b) = (w[i], w[i + 1]);
        w[i] = (a & LO8) | ((b << 8) & !LO8);
        w[i + 1] = ((a >> 8) & LO8) | (b & !LO8);
    }
}

#[inline(always)]
fn shuffle8_body(src: &[u8], dst: &mut [u8]) {
    let n = src.len() / 8;
    let blocks = n / 8;
    for (j, block) in src.chunks_exact(64).enumerate() {
        let mut w = [0u64; 8];
        for (i, word) in w.iter_mut().enumerate() {
            *word = u64::from_le_bytes(block[i * 8..i * 8 + 8].try_into().unwrap());
        }
        transpose8(&mut w);
        for (k, word) in w.iter().enumerate() {
            let at = k * n + j * 8;
            dst[at..at + 8].copy_from_slice(&word.to_le_bytes());
        }
    }
    for i in blocks * 8..n {
        for k in 0..8 {
            dst[k * n + i] = src[i * 8 + k];
        }
    }
}

#[inline(always)]
fn unshuffle8_body(src: &[u8], dst: &mut [u8]) {
    let n = src.len() / 8;
    let blocks = n / 8;
    for (j, block) in dst.chunks_exact_mut(64).enumerate() {
        let mut w = [0u64; 8];
        for (k, word) in w.iter_mut().enumerate() {
            let at = k * n + j * 8;
            *word = u64::from_le_bytes(src[at..at + 8].try_into().unwrap());
        }
        transpose8(&mut w);
        for (i, word) in w.iter().enumerate() {
            block[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
    }
    for i in blocks * 8..n {
        for k in 0..8 {
            dst[i * 8 + k] = src[k * n + i];
        }
    }
}

#[inline(always)]
fn shuffle4_body(src: &[u8], dst: &mut [u8]) {
    let n = src.len() / 4;
    let blocks = n / 4;
    for (j, block) in src.chunks_exact(16).enumerate() {
        let mut w = [0u32; 4];
        for (i, word) in w.iter_mut().enumerate() {
            *word = u32::from_le_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
        }
        transpose4(&mut w);
        for (k, word) in w.iter().enumerate() {
            let at = k * n + j * 4;
            dst[at..at + 4].copy_from_slice(&word.to_le_bytes());
        }
    }
    for i in blocks * 4..n {
        for k in 0..4 {
            dst[k * n + i] = src[i * 4 + k];
        }
    }
}

#[inline(always)]
fn unshuffle4_body(src: &[u8], dst: &mut [u8]) {
    let n = src.len() / 4;
    let blocks = n / 4;
    for (j, block) in dst.chunks_exact_mut(16).enumerate() {
        let mut w = [0u32; 4];
        for (k, word) in w.iter_mut().enumerate() {
            let at = k * n + j * 4;
            *word = u32::from_le_bytes(src[at..at + 4].try_into().unwrap());
        }
        transpose4(&mut w);
        for (i, word) in w.iter().enumerate() {
            block[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
    }
    for i in blocks * 4..n {
        for k in 0..4 {
            dst[i * 4 + k] = src[k * n + i];
        }
    }
}

#[inline(always)]
fn shuffle_any_body(src: &[u8], dst: &mut [u8], size: usize) {
    let n = src.len() / size;
    for (i, element) in src.chunks_exact(size).enumerate() {
        for (k, &byte) in element.iter().enumerate() {
            dst[k * n + i] = byte;
        }
    }
}

#[inline(always)]
fn unshuffle_any_body(src: &[u8], dst: &mut [u8], size: usize) {
    let n = src.len() / size;
    for (i, element) in dst.chunks_exact_mut(size).enumerate() {
        for (k, byte) in element.iter_mut().enumerate() {
            *byte = src[k * n + i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::simd::{SimdLevel, with_simd_level};

    fn naive(src: &[u8], size: usize) -> Vec<u8> {
        let n = src.len() / size;
        let mut out = vec![0; src.len()];
        for i in 0..n {
            for k in 0..size {
                out[k * n + i] = src[i * size + k];
            }
        }
        out
    }

    #[test]
    fn matches_the_definition_for_every_size_length_and_level() {
        let bytes: Vec<u8> = (0..8 * 203u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for size in [1, 2, 3, 4, 5, 8, 16] {
            for n in [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100] {
                let src = &bytes[..n * size];
                let want = naive(src, size);
                for level in SimdLevel::ALL {
                    with_simd_level(level, || {
                        let mut got = vec![0xAA; src.len()];
                        shuffle(src, &mut got, size);
                        assert_eq!(got, want, "shuffle size {size} n {n} {level:?}");
                        let mut back = vec![0x55; src.len()];
                        unshuffle(&got, &mut back, size);
                        assert_eq!(back, src, "unshuffle size {size} n {n} {level:?}");
                    });
                }
            }
        }
    }

    #[test]
    fn smooth_values_give_constant_high_byte_streams() {
        let src: Vec<u8> = (0..64)
            .flat_map(|i| (1000.0 + i as f64).to_le_bytes())
            .collect();
        let mut out = vec![0; src.len()];
        shuffle(&src, &mut out, 8);
        // The top byte (sign and exponent) is the same for every value.
        assert!(out[7 * 64..].iter().all(|&b| b == out[7 * 64]));
    }

    #[test]
    #[should_panic(expected = "whole number")]
    fn ragged_input_is_a_caller_bug() {
        shuffle(&[1, 2, 3], &mut [0; 3], 2);
    }
}
