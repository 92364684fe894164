//! Noise for unit tests: xorshift64 words that no codec shrinks much, the same for a seed
//! on every run.

/// `len` pseudo-random words from `seed` (xorshift64; a zero seed is made odd).
pub(crate) fn noise_words(len: usize, seed: u64) -> impl Iterator<Item = u64> {
    let mut state = seed | 1;
    (0..len).map(move |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    })
}

/// `len` pseudo-random bytes from `seed`.
pub(crate) fn noise_bytes(len: usize, seed: u64) -> Vec<u8> {
    noise_words(len, seed).map(|w| (w >> 24) as u8).collect()
}

#[test]
fn noise_is_repeatable_and_varied() {
    assert_eq!(noise_bytes(64, 7), noise_bytes(64, 7));
    assert_ne!(noise_bytes(64, 7), noise_bytes(64, 8));
    let distinct: std::collections::HashSet<u8> = noise_bytes(4096, 1).into_iter().collect();
    assert!(distinct.len() > 200);
}
